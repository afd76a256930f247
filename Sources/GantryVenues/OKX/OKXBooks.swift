import CZlib
import GantryBook
import GantryCore

/// OKX v5 order-book channel messages (`books`, `books5`, `bbo-tbt`, …): `{"arg":{…},"action":"snapshot"|
/// "update","data":[{"asks":[[px,sz,"0",n],…],"bids":…,"ts":…,"checksum":…,"seqId":…,"prevSeqId":…}]}`,
/// decoded in place.
public enum OKX {
    public enum BookAction: Sendable, Equatable { case snapshot, update }

    public struct BookMessage {
        public let message: UnsafeRawBufferPointer
        public var action: BookAction
        public var instrument: UnsafeRawBufferPointer
        /// `ts`, as wall-clock ns.
        public var time: Nanos
        /// The signed CRC32 of the top 25 levels; 0 when OKX no longer sends one.
        public var checksum: Int32
        /// `seqId` and `prevSeqId` when present (-1 for prevSeqId on a snapshot).
        public var seqId: Int64?
        public var prevSeqId: Int64?
        /// The offset of `bids`' array, or -1 when the quick path left it to be found after `asks`'.
        @usableFromInline var bids: Int
        @usableFromInline var asks: Int
        /// With `bids` -1: where the members after the level arrays begin (`,"ts":`), which the levels must
        /// reach exactly.
        @usableFromInline var tail = -1

        /// Each level, in the order the message lists the sides (OKX: asks first), at the instrument's scales;
        /// size 0 removes the level.
        @inlinable
        public func forEachLevel(priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void) throws(DecodeError) {
            if bids >= 0 {
                let (first, firstSide, second, secondSide) = asks < bids ? (asks, Side.sell, bids, Side.buy) : (bids, .buy, asks, .sell)
                try LevelArrays.forEach(
                    message, at: first, firstSide, priceScale: priceScale, quantityScale: quantityScale,
                    field: firstSide == .buy ? "bids" : "asks", body)
                try LevelArrays.forEach(
                    message, at: second, secondSide, priceScale: priceScale, quantityScale: quantityScale,
                    field: secondSide == .buy ? "bids" : "asks", body)
                return
            }
            // The quick path's message: `asks`, then the members up to the tail it matched (`bids`, as OKX sends it).
            _ = try LevelArrays.forEachThenMembers(
                message, first: asks, .sell, firstKey: "asks", secondKey: "bids", tail: tail, priceScale: priceScale,
                quantityScale: quantityScale, body)
        }
    }

    /// Decodes a books-channel push. - Throws: `DecodeError`; `.unknownMessage` for other channels and events.
    ///
    /// One pass with a `JSONCursor`: the book object (the first of `data`) is read where it lies, its level
    /// arrays stepped over by brackets and quotes (`forEachLevel` parses and checks every level).
    public static func decodeBook(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> BookMessage {
        if let quick = quickBook(message) { return quick }
        return try decodeBookInFull(message)
    }

    /// A books push exactly as OKX sends it: `arg` (`channel`, `instId`), `action`, then one book object with
    /// `asks` first and `ts`, `checksum` (and `prevSeqId`, `seqId` where OKX sends them) last, with no white
    /// space. The head is matched literally up to `asks`' array and the tail backwards from the end, so the
    /// level arrays between them are not stepped over here: `forEachLevel` reads them once and checks that they
    /// end where the tail begins.
    /// - Returns: Nil for anything else: `decodeBook` then reads the message in full generality. (A push with
    ///   a second book object in `data` is taken here and refused by `forEachLevel`, whose levels then do not
    ///   reach the tail; the general path refuses it as well.)
    @inline(__always)
    static func quickBook(_ message: UnsafeRawBufferPointer) -> BookMessage? {
        guard var m = LiteralMatcher(message),
            m.literal(#"{"arg":{"channel":""#), m.plainString() != nil,
            m.literal(#","instId":""#), let instrument = m.plainString(),
            m.literal(#"},"action":""#), let actionText = m.plainString(),
            m.literal(#","data":[{"asks":"#), m.next == 0x5B
        else { return nil }
        let action: BookAction
        if actionText.equals("snapshot") { action = .snapshot } else if actionText.equals("update") { action = .update } else { return nil }
        let asks = m.i
        m.i &+= 1
        guard let bookEnd = m.literal("}]}", before: m.end) else { return nil }
        // `prevSeqId` and `seqId` where OKX sends them (documented in that order; either order is taken).
        var seqId: Int64? = nil
        var prevSeqId: Int64? = nil
        var checksumEnd = bookEnd
        if let (last, lastStart) = m.signedInteger(before: bookEnd) {
            let lastIsSeq = m.literal(#","seqId":"#, before: lastStart)
            if let lastKey = lastIsSeq ?? m.literal(#","prevSeqId":"#, before: lastStart) {
                guard let (first, firstStart) = m.signedInteger(before: lastKey),
                    let firstKey = m.literal(lastIsSeq != nil ? #","prevSeqId":"# : #","seqId":"#, before: firstStart)
                else { return nil }
                (seqId, prevSeqId) = lastIsSeq != nil ? (last, first) : (first, last)
                checksumEnd = firstKey
            }
        }
        guard let (checksum, checksumStart) = m.signedInteger(before: checksumEnd),
            let tsEnd = m.literal(#"","checksum":"#, before: checksumStart),
            let (ts, tsStart) = m.integer(before: tsEnd), ts < UInt64(Int64.max / 1_000_000),
            let tail = m.literal(#","ts":""#, before: tsStart)
        else { return nil }
        return BookMessage(
            message: message, action: action, instrument: instrument, time: Nanos(raw: Int64(ts) * 1_000_000),
            checksum: Int32(truncatingIfNeeded: checksum), seqId: seqId, prevSeqId: prevSeqId, bids: -1, asks: asks, tail: tail)
    }

    /// `decodeBook` in full generality: any key order, white space, escapes; every problem named.
    static func decodeBookInFull(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> BookMessage {
        var c = JSONCursor(message)
        var action: BookAction? = nil
        var instrument = UnsafeRawBufferPointer(start: nil, count: 0)
        var book = BookFields()
        var sawData = false
        var dataNotArray = -1
        try c.object { key, next, c throws(DecodeError) in
            if key.equals("action") && next == 0x22 {
                let a = try c.string()
                if a.equals("snapshot") { action = .snapshot } else if a.equals("update") { action = .update }
            } else if key.equals("arg") && next == 0x7B {
                try c.object { k, value, c throws(DecodeError) in
                    if k.equals("instId") && value == 0x22 { instrument = try c.string() } else { try c.skipValue() }
                }
            } else if key.equals("data") && next != 0x5B {
                sawData = true
                dataNotArray = c.offset
                try c.skipValue()
            } else if key.equals("data") {
                sawData = true
                try c.expect(0x5B, "[")
                if !(try c.consume(0x5D)) {
                    try readBook(&c, &book)
                    // OKX sends one book object; which of several would count is anyone's guess (and the quick
                    // path, which reads the levels of the first and the sequence fields of the last, refuses
                    // them too), so a push with more is refused.
                    try c.expect(0x5D, "] after the one book object")
                }
            } else {
                try c.skipValue()
            }
        }
        try c.expectEnd()
        guard let action, sawData else { throw .unknownMessage }
        guard dataNotArray < 0 else { throw .malformed(offset: dataNotArray, expected: "[") }
        guard book.bids >= 0 else { throw .missingField("bids") }
        guard book.asks >= 0 else { throw .missingField("asks") }
        return BookMessage(
            message: message, action: action, instrument: instrument, time: book.time, checksum: book.checksum, seqId: book.seqId,
            prevSeqId: book.prevSeqId, bids: book.bids, asks: book.asks)
    }

    /// What the book object of a push holds besides its levels, and where the level arrays are.
    struct BookFields {
        var bids = -1, asks = -1
        var time = Nanos.zero
        var checksum: Int32 = 0
        var seqId: Int64? = nil
        var prevSeqId: Int64? = nil
    }

    /// Reads the book object at the cursor.
    static func readBook(_ c: inout JSONCursor, _ f: inout BookFields) throws(DecodeError) {
        try c.object { key, next, c throws(DecodeError) in
            if key.equals("bids") || key.equals("asks") {
                guard next == 0x5B else { throw .malformed(offset: c.offset, expected: "[") }
                guard (key.equals("bids") ? f.bids : f.asks) < 0 else {
                    throw .malformed(offset: c.offset, expected: "one bids and one asks")
                }
                if key.equals("bids") { f.bids = c.offset } else { f.asks = c.offset }
                if !LevelArrays.quickSkip(&c) { try c.skipValue() }
            } else if key.equals("ts") {
                let ms = try JSONCursor.unsigned(try c.string(), "ts")
                guard ms < UInt64(Int64.max / 1_000_000) else { throw .badNumber(field: "ts", .overflow) }
                f.time = Nanos(raw: Int64(ms) * 1_000_000)
            } else if key.equals("checksum") {
                f.checksum = Int32(truncatingIfNeeded: try c.int64("checksum"))
            } else if key.equals("seqId") {
                f.seqId = try c.int64("seqId")
            } else if key.equals("prevSeqId") {
                f.prevSeqId = try c.int64("prevSeqId")
            } else {
                try c.skipValue()
            }
        }
    }

    /// OKX's book checksum: CRC32 of "bid1px:bid1sz:ask1px:ask1sz:…" over the best 25 levels of each side
    /// (the longer side's extra levels after the shorter one ends), as a signed 32-bit integer. The text is
    /// each value's shortest decimal form, which is how OKX sends them. No allocation.
    public static func checksum(_ book: borrowing L2Book, priceScale: Int, quantityScale: Int) -> Int32 {
        var crc: UInt = 0
        var first = true
        var text = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))  // 32 bytes of scratch
        var colon = UInt8(ascii: ":")
        withUnsafeMutableBytes(of: &text) { scratch in
            func add(_ raw: Int64, _ scale: Int) {
                if !first { crc = crc32(crc, &colon, 1) }
                first = false
                let n = FixedPoint.format(raw, scale: scale, trimTrailingZeros: true, into: scratch)
                crc = crc32(crc, scratch.baseAddress!.assumingMemoryBound(to: Bytef.self), UInt32(n))
            }
            for i in 0..<25 {
                if i < book.bids.count {
                    let l = book.bids.level(i)
                    add(l.price.raw, priceScale)
                    add(l.quantity.raw, quantityScale)
                }
                if i < book.asks.count {
                    let l = book.asks.level(i)
                    add(l.price.raw, priceScale)
                    add(l.quantity.raw, quantityScale)
                }
            }
        }
        return Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: crc))
    }
}

/// Keeps one instrument's OKX book as OKX documents it: a snapshot, then updates whose `prevSeqId` is the
/// previous message's `seqId` (when OKX sends them), and a non-zero checksum verified after every message.
/// A break in the chain or a checksum mismatch makes the book stale: the owner resubscribes for a snapshot.
public struct OKXBookSync: ~Copyable {
    public var book: L2Book
    public let priceScale: Int
    public let quantityScale: Int
    public var counters: BookSyncCounters { storedCounters }
    // Stored apart from the public getters so that `apply` can be inlined where it is called (the caller's
    // `onLevel` inlined into the level loop) without the counters being settable from outside.
    @usableFromInline var storedCounters = BookSyncCounters()
    /// An update's levels, decoded whole before any is applied.
    @usableFromInline var scratch = LevelScratch()
    public var checksumFailures: Int { storedChecksumFailures }
    @usableFromInline var storedChecksumFailures = 0
    @usableFromInline var lastSeqId: Int64? = nil

    public enum Outcome: Equatable, Sendable {
        case applied
        /// An update before any snapshot (or after the book went stale): dropped until the snapshot.
        case waitingForSnapshot
        case sequenceGap(expected: Int64, got: Int64)
        case checksumMismatch(expected: Int32, computed: Int32)
    }

    public init(venue: VenueId, instrument: InstrumentId, priceScale: Int, quantityScale: Int, depth: Int = 5_000) {
        book = L2Book(venue: venue, instrument: instrument, depth: depth)
        self.priceScale = priceScale
        self.quantityScale = quantityScale
        book.state = .syncing
    }

    /// Applies a snapshot or an update. - Throws: `DecodeError` (the book is then marked stale; a malformed
    /// update leaves its levels as they were).
    /// - Parameter onLevel: Told of each level an update applies (not of a snapshot's: after a snapshot the
    ///   book is read whole).
    @inlinable
    public mutating func apply(_ message: OKX.BookMessage, onLevel: (Side, Price, Quantity) -> Void = { _, _, _ in }) throws(DecodeError) -> Outcome {
        switch message.action {
        case .snapshot: break
        case .update:
            // An update that is dropped is read to the end all the same: a malformed one is reported either way.
            guard book.state == .live else {
                try message.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { _, _, _ in }
                return .waitingForSnapshot
            }
            if let prev = message.prevSeqId, let last = lastSeqId, prev != last {
                storedCounters.gaps += 1
                book.state = .stale
                try message.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { _, _, _ in }
                return .sequenceGap(expected: last, got: prev)
            }
        }
        try book.applyLevels(
            message, priceScale: priceScale, quantityScale: quantityScale, snapshot: message.action == .snapshot, counters: &storedCounters, scratch: &scratch, onLevel: onLevel)
        lastSeqId = message.seqId
        if let seq = message.seqId, seq >= 0 { book.sequence = UInt64(seq) }
        storedCounters.applied += 1
        if message.checksum != 0 {
            let computed = OKX.checksum(book, priceScale: priceScale, quantityScale: quantityScale)
            if computed != message.checksum {
                storedChecksumFailures += 1
                book.state = .stale
                return .checksumMismatch(expected: message.checksum, computed: computed)
            }
        }
        if book.isCrossed {
            storedCounters.crossed += 1
            book.state = .stale
            return .checksumMismatch(expected: message.checksum, computed: 0)
        }
        book.state = .live
        return .applied
    }
}

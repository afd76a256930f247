import GantryBook
import GantryCore

/// Bybit v5 public order-book topic `orderbook.{depth}.{symbol}` (spot, linear, inverse):
/// `{"topic":…,"type":"snapshot"|"delta","ts":…,"data":{"s":…,"b":[[px,sz],…],"a":…,"u":…,"seq":…},"cts":…}`,
/// decoded in place. Key order differs between products (spot sends `ts` before `type`), so none is assumed.
public enum Bybit {
    public enum BookAction: Sendable, Equatable { case snapshot, delta }

    public struct BookMessage {
        public let message: UnsafeRawBufferPointer
        public var action: BookAction
        public var symbol: UnsafeRawBufferPointer
        /// The subscribed depth from the topic (1, 50, 200, 500, 1000).
        public var depth: Int
        /// `u`: the update id, one more for each message of the topic; 1 after a service restart.
        public var updateId: UInt64
        /// `seq`: the cross sequence, comparable between the depths of one symbol.
        public var crossSequence: UInt64
        /// `ts` (the system's push time) and `cts` (the matching engine's time), as wall-clock ns.
        public var time: Nanos
        public var matchingTime: Nanos
        @usableFromInline var bids: Int
        /// The offset of `a`'s array, or -1 when the quick path left it to be found after `b`'s.
        @usableFromInline var asks: Int
        /// With `asks` -1: where the members after the level arrays begin (`,"u":`), which the levels must
        /// reach exactly.
        @usableFromInline var tail = -1

        /// Each level, bids first, at the instrument's scales; size 0 removes the level.
        @inlinable
        public func forEachLevel(priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void) throws(DecodeError) {
            if asks >= 0 {
                try LevelArrays.forEach(message, at: bids, .buy, priceScale: priceScale, quantityScale: quantityScale, field: "b", body)
                try LevelArrays.forEach(message, at: asks, .sell, priceScale: priceScale, quantityScale: quantityScale, field: "a", body)
                return
            }
            // The quick path's message: `b`, then the members up to the tail it matched (`a`, as Bybit sends it).
            _ = try LevelArrays.forEachThenMembers(
                message, first: bids, .buy, firstKey: "b", secondKey: "a", tail: tail, priceScale: priceScale,
                quantityScale: quantityScale, body)
        }
    }

    /// Decodes an order-book push.
    /// - Throws: `DecodeError`; `.unknownMessage` for other topics and for operation replies (`subscribe`,
    ///   `pong`), which carry `op` instead of `topic`.
    public static func decodeBook(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> BookMessage {
        if let quick = quickBook(message) { return quick }
        return try decodeBookInFull(message)
    }

    /// `decodeBook` in full generality: any key order, white space, escapes; every problem named.
    static func decodeBookInFull(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> BookMessage {
        var c = JSONCursor(message)
        var topic = -1, type = -1, ts = -1, cts = -1
        var data = DataFields()
        var sawData = false
        var dataNotObject = -1
        try c.object { key, next, c throws(DecodeError) in
            if key.equals("data") {
                sawData = true
                // The book's object is read where it lies (its level arrays stepped over, to be parsed by
                // `forEachLevel`), not skipped here and read again. Other topics' data (trades: an array)
                // is skipped.
                if next == 0x7B {
                    try readData(&c, &data)
                    return
                }
                dataNotObject = c.offset
            }
            if key.equals("topic") { topic = c.offset } else if key.equals("type") { type = c.offset } else if key.equals("ts") {
                ts = c.offset
            } else if key.equals("cts") { cts = c.offset }
            try c.skipValue()
        }
        try c.expectEnd()
        guard topic >= 0 else { throw .unknownMessage }
        var t = JSONCursor(message, at: topic)
        let topicText = try t.string()
        guard let depth = orderBookDepth(topicText) else { throw .unknownMessage }
        guard type >= 0 else { throw .missingField("type") }
        guard sawData else { throw .missingField("data") }
        guard dataNotObject < 0 else { throw .malformed(offset: dataNotObject, expected: "{") }
        var ty = JSONCursor(message, at: type)
        let typeText = try ty.string()
        let action: BookAction
        if typeText.equals("snapshot") { action = .snapshot } else if typeText.equals("delta") { action = .delta } else {
            throw .unknownMessage
        }
        guard data.b >= 0 else { throw .missingField("b") }
        guard data.a >= 0 else { throw .missingField("a") }
        guard data.u >= 0 else { throw .missingField("u") }
        guard data.symbol.count > 0 else { throw .missingField("s") }
        return BookMessage(
            message: message, action: action, symbol: data.symbol, depth: depth, updateId: try integer(message, data.u, "u"),
            crossSequence: data.seq >= 0 ? try integer(message, data.seq, "seq") : 0, time: try milliseconds(message, ts),
            matchingTime: try milliseconds(message, cts), bids: data.b, asks: data.a)
    }

    /// A book push exactly as Bybit sends it: `topic`, `type`, `ts`, then `data` with `s` and `b` first and `u`,
    /// `seq` last, then `cts`, with no white space. The head is matched literally up to `b`'s array and the tail
    /// backwards from the end, so the level arrays between them are not stepped over here: `forEachLevel` reads
    /// them once and checks that they end where the tail begins.
    /// - Returns: Nil for anything else (another order, white space, an escape, a number that does not fit):
    ///   `decodeBook` then reads the message in full generality and names any problem.
    @inline(__always)
    static func quickBook(_ message: UnsafeRawBufferPointer) -> BookMessage? {
        guard var m = LiteralMatcher(message),
            m.literal(#"{"topic":""#), let topic = m.plainString(), let depth = orderBookDepth(topic),
            m.literal(#","type":""#), let type = m.plainString(),
            m.literal(#","ts":"#), let ts = m.integer(), ts < UInt64(Int64.max / 1_000_000),
            m.literal(#","data":{"s":""#), let symbol = m.plainString(), symbol.count > 0,
            m.literal(#","b":"#), m.next == 0x5B
        else { return nil }
        let action: BookAction
        if type.equals("snapshot") { action = .snapshot } else if type.equals("delta") { action = .delta } else { return nil }
        let bids = m.i
        m.i &+= 1
        guard m.end > m.i, m.p[m.end &- 1] == 0x7D,
            let (cts, ctsStart) = m.integer(before: m.end &- 1), cts < UInt64(Int64.max / 1_000_000),
            let seqEnd = m.literal(#"},"cts":"#, before: ctsStart),
            let (seq, seqStart) = m.integer(before: seqEnd),
            let uEnd = m.literal(#","seq":"#, before: seqStart),
            let (u, uStart) = m.integer(before: uEnd),
            let tail = m.literal(#","u":"#, before: uStart)
        else { return nil }
        return BookMessage(
            message: message, action: action, symbol: symbol, depth: depth, updateId: u, crossSequence: seq,
            time: Nanos(raw: Int64(ts) * 1_000_000), matchingTime: Nanos(raw: Int64(cts) * 1_000_000), bids: bids, asks: -1,
            tail: tail)
    }

    /// Where the fields of a book message's `data` object are.
    struct DataFields {
        var symbol = UnsafeRawBufferPointer(start: nil, count: 0)
        var u = -1, seq = -1, b = -1, a = -1
    }

    /// Reads the `data` object at the cursor, noting where its fields are.
    static func readData(_ d: inout JSONCursor, _ f: inout DataFields) throws(DecodeError) {
        try d.object { key, next, d throws(DecodeError) in
            if key.count == 1 && key[0] == UInt8(ascii: "s") {
                f.symbol = try d.string()
                return
            }
            if key.count == 1 && (key[0] == UInt8(ascii: "b") || key[0] == UInt8(ascii: "a")) {
                guard next == 0x5B else { throw .malformed(offset: d.offset, expected: "[") }
                guard (key[0] == UInt8(ascii: "b") ? f.b : f.a) < 0 else { throw .malformed(offset: d.offset, expected: "one b and one a") }
                // Stepped over by brackets and quotes only: `forEachLevel` parses and checks every level.
                if key[0] == UInt8(ascii: "b") { f.b = d.offset } else { f.a = d.offset }
                if LevelArrays.quickSkip(&d) { return }
            } else if key.count == 1 && key[0] == UInt8(ascii: "u") {
                f.u = d.offset
            } else if key.equals("seq") {
                f.seq = d.offset
            }
            try d.skipValue()
        }
    }

    /// The depth of an `orderbook.{depth}.{symbol}` topic, nil for any other topic.
    static func orderBookDepth(_ topic: UnsafeRawBufferPointer) -> Int? {
        let prefix: StaticString = "orderbook."
        let n = prefix.utf8CodeUnitCount
        guard topic.count > n + 2, UnsafeRawBufferPointer(rebasing: topic[0..<n]).equals(prefix) else { return nil }
        var depth = 0
        var i = n
        while i < topic.count, topic[i] &- 0x30 < 10, depth < 100_000 {
            depth = depth * 10 + Int(topic[i] &- 0x30)
            i += 1
        }
        guard i > n, i < topic.count, topic[i] == UInt8(ascii: "."), depth > 0 else { return nil }
        return depth
    }

    static func integer(_ message: UnsafeRawBufferPointer, _ at: Int, _ field: StaticString) throws(DecodeError) -> UInt64 {
        var c = JSONCursor(message, at: at)
        return try c.uint64(field)
    }

    static func milliseconds(_ message: UnsafeRawBufferPointer, _ at: Int) throws(DecodeError) -> Nanos {
        try JSONCursor.milliseconds(message, at: at, "ts")
    }
}

/// Keeps one instrument's Bybit book: a snapshot (the first message after subscribing, or whenever Bybit
/// resends one, and any message with `u` = 1, which follows a restart of Bybit's service) replaces the book;
/// each delta must carry the previous `u` + 1 (Bybit's REST reference: `u` is "always in sequence"). An older
/// or repeated `u` is ignored; a skipped one, or a crossed book, makes the book stale until the owner
/// resubscribes for a snapshot. After each message the book is cut to the subscribed depth.
public struct BybitBookSync: ~Copyable {
    public var book: L2Book
    public let priceScale: Int
    public let quantityScale: Int
    public var counters: BookSyncCounters { storedCounters }
    // Stored apart from the public getters so that `apply` can be inlined where it is called (the caller's
    // `onLevel` inlined into the level loop) without the counters being settable from outside.
    @usableFromInline var storedCounters = BookSyncCounters()
    /// An update's levels, decoded whole before any is applied.
    @usableFromInline var scratch = LevelScratch()
    /// The last cross sequence applied.
    public var crossSequence: UInt64 { storedCrossSequence }
    @usableFromInline var storedCrossSequence: UInt64 = 0

    public enum Outcome: Equatable, Sendable {
        case applied
        /// A delta whose `u` is not newer than the book's (a duplicate): dropped.
        case ignored
        /// A delta before any snapshot (or after the book went stale): dropped until the snapshot.
        case waitingForSnapshot
        case sequenceGap(expected: UInt64, got: UInt64)
        /// The best bid reached the best ask: the book is stale.
        case crossed
    }

    /// - Parameter depth: The subscribed depth (at least). The book holds twice that (64 more at least) until
    ///   each message's end, when it is cut to the message's depth: a delta may insert better levels before it
    ///   removes others, and a full book would push out a level that stays in Bybit's top meanwhile (Bybit
    ///   never sends it again).
    public init(venue: VenueId, instrument: InstrumentId, priceScale: Int, quantityScale: Int, depth: Int = 1_000) {
        book = L2Book(venue: venue, instrument: instrument, depth: max(2 * depth, depth + 64))
        self.priceScale = priceScale
        self.quantityScale = quantityScale
        book.state = .syncing
    }

    /// Applies a snapshot or a delta. - Throws: `DecodeError` (the book is then stale: a malformed delta leaves
    /// it as it was, a malformed snapshot half loaded, and neither may be traded on).
    /// - Parameter onLevel: Told of each level an update applies (not of a snapshot's: after a snapshot the
    ///   book is read whole).
    @inlinable
    public mutating func apply(_ message: Bybit.BookMessage, onLevel: (Side, Price, Quantity) -> Void = { _, _, _ in }) throws(DecodeError) -> Outcome {
        let isSnapshot = message.action == .snapshot || message.updateId == 1
        if !isSnapshot {
            // A delta that is dropped is read to the end all the same: a malformed one is reported either way.
            guard book.state == .live else {
                try message.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { _, _, _ in }
                return .waitingForSnapshot
            }
            if message.updateId <= book.sequence {
                try message.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { _, _, _ in }
                storedCounters.ignored += 1
                return .ignored
            }
            if message.updateId != book.sequence &+ 1 {
                storedCounters.gaps += 1
                book.state = .stale
                try message.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { _, _, _ in }
                return .sequenceGap(expected: book.sequence &+ 1, got: message.updateId)
            }
        }
        try book.applyLevels(
            message, priceScale: priceScale, quantityScale: quantityScale, snapshot: isSnapshot, counters: &storedCounters, scratch: &scratch, onLevel: onLevel)
        // Levels pushed out of the subscribed depth: an update tells `onLevel` of each as removed (consumers
        // that mirror the book from its changes would keep them otherwise); a snapshot's book is read whole.
        if isSnapshot {
            book.bids.truncate(toDepth: message.depth)
            book.asks.truncate(toDepth: message.depth)
        } else {
            book.bids.truncate(toDepth: message.depth) { onLevel(.buy, $0.price, .zero) }
            book.asks.truncate(toDepth: message.depth) { onLevel(.sell, $0.price, .zero) }
        }
        book.sequence = message.updateId
        storedCrossSequence = message.crossSequence
        storedCounters.applied += 1
        if book.isCrossed {
            storedCounters.crossed += 1
            book.state = .stale
            return .crossed
        }
        book.state = .live
        return .applied
    }
}

import GantryBook
import GantryCore

/// Kraken Spot WebSocket v2 `book` channel: `{"channel":"book","type":"snapshot"|"update","data":[{"symbol":…,
/// "bids":[{"price":…,"qty":…}],"asks":[…],"checksum":…,"timestamp":…}]}`. Prices and quantities are JSON
/// numbers at the engine's precision, read from their text (never through `Double`). The book is the first
/// and only element of `data`. Decoded in place.
public enum KrakenV2 {
    public struct BookMessage {
        public let message: UnsafeRawBufferPointer
        public var isSnapshot: Bool
        public var symbol: UnsafeRawBufferPointer
        /// The CRC32 of the top 10 asks and bids after this message.
        public var checksum: UInt32
        public var hasChecksum: Bool
        @usableFromInline var bids: Int
        /// The offset of `asks`'s array, or -1 (with `tail` set) when the quick path left it to be found after
        /// `bids`'s.
        @usableFromInline var asks: Int
        /// Where the members after the level arrays begin (`,"checksum":`) when the quick path matched the
        /// message's tail; the levels must reach it exactly. -1 otherwise.
        @usableFromInline var tail = -1

        /// Each level in message order (bids, then asks); quantity 0 removes the level.
        @inlinable
        public func forEachLevel(priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void) throws(DecodeError) {
            if tail >= 0 {
                // The quick path's message: `bids`, then the members up to the tail it matched (`asks`, as
                // Kraken sends it, though either side may be left out), each array read once.
                _ = try LevelArrays.thenMembers(
                    message, first: bids, .buy, firstKey: "bids", secondKey: "asks", tail: tail, secondRequired: false
                ) {
                    (c: inout JSONCursor, side: Side, _: StaticString) throws(DecodeError) in
                    try LevelObjects.parse(&c, side, keys: KrakenV2.levelKeys, priceScale: priceScale, quantityScale: quantityScale, body)
                }
                return
            }
            if bids >= 0 {
                try LevelObjects.forEach(
                    message, at: bids, .buy, keys: KrakenV2.levelKeys, priceScale: priceScale, quantityScale: quantityScale, body)
            }
            if asks >= 0 {
                try LevelObjects.forEach(
                    message, at: asks, .sell, keys: KrakenV2.levelKeys, priceScale: priceScale, quantityScale: quantityScale, body)
            }
        }
    }

    /// A level's keys, `{"price":…,"qty":…}`.
    @_transparent
    public static var levelKeys: LevelObjectKeys {
        LevelObjectKeys(price: "price", quantity: "qty")
    }

    /// Decodes a book push. - Throws: `DecodeError`; `.unknownMessage` for other channels (`heartbeat`,
    /// `trade`, …) and method replies (`subscribe`, `pong`).
    public static func decodeBook(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> BookMessage {
        if let quick = quickBook(message) { return quick }
        return try decodeBookInFull(message)
    }

    /// A book push exactly as Kraken sends it: `channel`, `type`, then `data` holding one book with `symbol`
    /// and `bids` first and `checksum` last, or followed by `timestamp` (a string without escapes), with no
    /// white space. The head is matched literally up to `bids`'s array and the tail backwards from the end, so
    /// the level arrays between them are not stepped over here: `forEachLevel` reads them once and checks that
    /// they end where the tail begins.
    /// - Returns: Nil for anything else (another order, no `bids` or no `checksum`, white space, an escape,
    ///   a second item in `data`): `decodeBook` then reads the message in full generality and names any problem.
    @inline(__always)
    static func quickBook(_ message: UnsafeRawBufferPointer) -> BookMessage? {
        guard var m = LiteralMatcher(message),
            m.literal(#"{"channel":"book","type":""#), let type = m.plainString(),
            m.literal(#","data":[{"symbol":""#), let symbol = m.plainString(), symbol.count > 0,
            m.literal(#","bids":"#), m.next == 0x5B
        else { return nil }
        let isSnapshot: Bool
        if type.equals("snapshot") { isSnapshot = true } else if type.equals("update") { isSnapshot = false } else { return nil }
        let bids = m.i
        m.i &+= 1
        guard var checksumEnd = m.literal("}]}", before: m.end) else { return nil }
        if checksumEnd > m.i && m.p[checksumEnd &- 1] == 0x22 {
            // `,"timestamp":"…"`: its opening quote is the last quote before the closing one.
            var k = checksumEnd &- 1
            // Looked for first where Kraken's timestamps put it ("2026-11-25T12:00:00.000000Z", 27 bytes): a
            // quote there and no quote or backslash after it up to the closing one is what the byte walk
            // below would find, in a few word steps instead of 27 byte steps.
            let guess = k &- 27
            if guess &- 1 >= m.i && m.p[guess &- 1] == 0x22,
                let (at, escaped) = JSONCursor.plainStringEnd(m.p, from: guess, end: k &+ 1), at == k, !escaped
            {
                k = guess
            } else {
                while k > m.i && m.p[k &- 1] != 0x22 && m.p[k &- 1] != 0x5C { k &-= 1 }
            }
            guard let start = m.literal(#","timestamp":""#, before: k) else { return nil }
            checksumEnd = start
        }
        guard let (checksum, checksumStart) = m.integer(before: checksumEnd), checksum <= UInt64(UInt32.max),
            let tail = m.literal(#","checksum":"#, before: checksumStart)
        else { return nil }
        return BookMessage(
            message: message, isSnapshot: isSnapshot, symbol: symbol, checksum: UInt32(checksum), hasChecksum: true, bids: bids,
            asks: -1, tail: tail)
    }

    /// `decodeBook` in full generality: any key order, white space, escapes; every problem named.
    static func decodeBookInFull(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> BookMessage {
        var c = JSONCursor(message)
        var channel = UnsafeRawBufferPointer(start: nil, count: 0)
        var type = UnsafeRawBufferPointer(start: nil, count: 0)
        var data = -1
        var result = BookMessage(
            message: message, isSnapshot: false, symbol: UnsafeRawBufferPointer(start: nil, count: 0), checksum: 0,
            hasChecksum: false, bids: -1, asks: -1)
        var bookRead = false
        try c.object { key, next, c throws(DecodeError) in
            if key.equals("channel") && next == 0x22 {
                channel = try c.string()
            } else if key.equals("type") && next == 0x22 {
                type = try c.string()
            } else if key.equals("data") && next == 0x5B && channel.equals("book") {
                // Kraken sends the channel first: the book is read where it lies, not skipped and read again.
                data = c.offset
                try readBook(&c, &result)
                bookRead = true
            } else {
                if key.equals("data") { data = c.offset }
                try c.skipValue()
            }
        }
        try c.expectEnd()
        guard channel.equals("book") else { throw .unknownMessage }
        if type.equals("snapshot") { result.isSnapshot = true } else if !type.equals("update") { throw .missingField("type") }
        guard data >= 0 else { throw .missingField("data") }
        if !bookRead {
            var d = JSONCursor(message, at: data)
            try readBook(&d, &result)
        }
        guard result.symbol.count > 0 else { throw .missingField("symbol") }
        guard result.bids >= 0 || result.asks >= 0 else { throw .missingField("bids or asks") }
        return result
    }

    /// Reads `data`, the array whose first item is the book, at the cursor: its symbol and checksum, and where
    /// its level arrays are (stepped over: `forEachLevel` parses them).
    static func readBook(_ d: inout JSONCursor, _ result: inout BookMessage) throws(DecodeError) {
        try d.expect(0x5B, "[")
        guard try d.peek() == 0x7B else { throw .malformed(offset: d.offset, expected: "{ (the book)") }
        try d.object { key, _, d throws(DecodeError) in
            if key.equals("symbol") {
                result.symbol = try d.string()
            } else if key.equals("checksum") {
                let value = try d.uint64("checksum")
                guard value <= UInt64(UInt32.max) else { throw .badNumber(field: "checksum", .overflow) }
                result.checksum = UInt32(value)
                result.hasChecksum = true
            } else if key.equals("bids") || key.equals("asks") {
                // A second array of a side is refused (as the quick path does): which would count is anyone's guess.
                guard (key.equals("bids") ? result.bids : result.asks) < 0 else {
                    throw .malformed(offset: d.offset, expected: "one bids and one asks")
                }
                if key.equals("bids") { result.bids = d.offset } else { result.asks = d.offset }
                if !LevelObjects.quickSkip(&d, "price", "qty") { try d.skipValue() }
            } else {
                try d.skipValue()
            }
        }
        // "The book element is always the first and only item": anything after it is read past, not used.
        while try d.consume(0x2C) { try d.skipValue() }
        try d.expect(0x5D, "] or ,")
    }
}

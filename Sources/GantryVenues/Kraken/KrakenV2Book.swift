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
        @usableFromInline var asks: Int

        /// Each level in message order (bids, then asks); quantity 0 removes the level.
        @inlinable
        public func forEachLevel(priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void) throws(DecodeError) {
            if bids >= 0 {
                try LevelObjects.forEach(
                    message, at: bids, .buy, priceKey: "price", quantityKey: "qty", priceScale: priceScale,
                    quantityScale: quantityScale, body)
            }
            if asks >= 0 {
                try LevelObjects.forEach(
                    message, at: asks, .sell, priceKey: "price", quantityKey: "qty", priceScale: priceScale,
                    quantityScale: quantityScale, body)
            }
        }
    }

    /// Decodes a book push. - Throws: `DecodeError`; `.unknownMessage` for other channels (`heartbeat`,
    /// `trade`, …) and method replies (`subscribe`, `pong`).
    public static func decodeBook(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> BookMessage {
        var c = ByteCursor(message, at: 0)
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
                data = c.i
                try readBook(&c, &result)
                bookRead = true
            } else {
                if key.equals("data") { data = c.i }
                try c.skipValue()
            }
        }
        guard channel.equals("book") else { throw .unknownMessage }
        if type.equals("snapshot") { result.isSnapshot = true } else if !type.equals("update") { throw .missingField("type") }
        guard data >= 0 else { throw .missingField("data") }
        if !bookRead {
            var d = ByteCursor(message, at: data)
            try readBook(&d, &result)
        }
        guard result.symbol.count > 0 else { throw .missingField("symbol") }
        guard result.bids >= 0 || result.asks >= 0 else { throw .missingField("bids or asks") }
        return result
    }

    /// Reads `data`, the array whose first item is the book, at the cursor: its symbol and checksum, and where
    /// its level arrays are (stepped over: `forEachLevel` parses them).
    static func readBook(_ d: inout ByteCursor, _ result: inout BookMessage) throws(DecodeError) {
        try d.expect(0x5B, "[")
        guard try d.peek() == 0x7B else { throw .malformed(offset: d.i, expected: "{ (the book)") }
        try d.object { key, _, d throws(DecodeError) in
            if key.equals("symbol") {
                result.symbol = try d.string()
            } else if key.equals("checksum") {
                let value = try d.uint64("checksum")
                guard value <= UInt64(UInt32.max) else { throw .badNumber(field: "checksum", .overflow) }
                result.checksum = UInt32(value)
                result.hasChecksum = true
            } else if key.equals("bids") || key.equals("asks") {
                if key.equals("bids") { result.bids = d.i } else { result.asks = d.i }
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

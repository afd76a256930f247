import GantryBook
import GantryCore

/// Kraken WebSocket v1 `book` channel: `[channelID, {"as":…,"bs":…}, "book-N", "PAIR"]` for the snapshot,
/// `[channelID, {"a":…}|{"b":…}, …]` or `[channelID, {"a":…}, {"b":…,"c":…}, "book-N", "PAIR"]` for updates;
/// levels `[price, volume, timestamp(, "r")]` with the pair's fixed decimals; `c` the CRC32 of the top 10 of
/// each side. Decoded in place.
public enum KrakenV1 {
    public struct BookMessage {
        public let message: UnsafeRawBufferPointer
        public var isSnapshot: Bool
        /// The checksum `c` (0 if absent).
        public var checksum: UInt32
        public var hasChecksum: Bool
        /// Offsets of up to two level arrays per side.
        @usableFromInline var sides: (Int, Side, Int, Side, Int, Side, Int, Side) = (-1, .none, -1, .none, -1, .none, -1, .none)

        @inlinable
        public func forEachLevel(priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void) throws(DecodeError) {
            if sides.0 >= 0 { try LevelArrays.forEach(message, at: sides.0, sides.1, priceScale: priceScale, quantityScale: quantityScale, field: "a/b", body) }
            if sides.2 >= 0 { try LevelArrays.forEach(message, at: sides.2, sides.3, priceScale: priceScale, quantityScale: quantityScale, field: "a/b", body) }
            if sides.4 >= 0 { try LevelArrays.forEach(message, at: sides.4, sides.5, priceScale: priceScale, quantityScale: quantityScale, field: "a/b", body) }
            if sides.6 >= 0 { try LevelArrays.forEach(message, at: sides.6, sides.7, priceScale: priceScale, quantityScale: quantityScale, field: "a/b", body) }
        }
    }

    /// Decodes a book push. - Throws: `DecodeError`; `.unknownMessage` for events (`{"event":…}`) and other channels.
    public static func decodeBook(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> BookMessage {
        var s = JSONCursor(message)
        guard try s.peek() == 0x5B else { throw .unknownMessage }
        var result = BookMessage(message: message, isSnapshot: false, checksum: 0, hasChecksum: false)
        var found = 0
        var element = 0
        try s.array { s throws(DecodeError) in
            element += 1
            guard try s.peek() == 0x7B else {
                try s.skipValue()
                return
            }
            try s.object { key, _, s throws(DecodeError) in
                var side = Side.none
                if key.equals("as") || key.equals("a") { side = .sell }
                if key.equals("bs") || key.equals("b") { side = .buy }
                if key.equals("as") || key.equals("bs") { result.isSnapshot = true }
                if side != .none {
                    guard found < 4 else { throw .malformed(offset: s.offset, expected: "at most four level arrays") }
                    switch found {
                    case 0: result.sides.0 = s.offset; result.sides.1 = side
                    case 1: result.sides.2 = s.offset; result.sides.3 = side
                    case 2: result.sides.4 = s.offset; result.sides.5 = side
                    default: result.sides.6 = s.offset; result.sides.7 = side
                    }
                    found += 1
                    try s.skipValue()
                } else if key.equals("c") {
                    let digits = try s.string()
                    let value = try JSONCursor.unsigned(digits, "c")
                    guard value <= UInt64(UInt32.max) else { throw .badNumber(field: "c", .overflow) }
                    result.checksum = UInt32(value)
                    result.hasChecksum = true
                } else {
                    try s.skipValue()
                }
            }
        }
        try s.expectEnd()
        guard found > 0 else { throw .unknownMessage }
        return result
    }
}

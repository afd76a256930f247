import CZlib
import GantryBook
import GantryCore

/// What Kraken's WebSocket versions share.
public enum Kraken {
    /// Kraken's book checksum (v1 and v2): for the 10 best asks (lowest first) then the 10 best bids (highest
    /// first), the price and the quantity printed with the pair's fixed decimals (v1 sends them so; v2 sends
    /// numbers, which the book holds at the pair's `price_precision` and `qty_precision`), the point and
    /// leading zeros removed, concatenated; CRC32 as an unsigned 32-bit integer.
    ///
    /// A value printed with exactly `scale` decimals, without its point and leading zeros, is the decimal
    /// text of its mantissa at that scale ("0.00100000" at scale 8 → mantissa 100000 → "100000"; zero → "0"),
    /// so the text is built from the mantissas into one stack buffer and hashed with one CRC32 call. No
    /// allocation.
    /// - Parameters:
    ///   - priceScale, quantityScale: The book's scales, which must be the pair's decimals.
    public static func checksum(_ book: borrowing L2Book, priceScale: Int, quantityScale: Int) -> UInt32 {
        // 40 values of at most 19 digits each.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40 * 20) { buffer in
            var n = 0
            func add(_ raw: Int64) {
                // Mantissas in a book are non-negative (prices > 0, quantities ≥ 0).
                var v = UInt64(max(raw, 0))
                var digits = 0
                repeat {
                    digits += 1
                    v /= 10
                } while v > 0
                v = UInt64(max(raw, 0))
                var k = n + digits - 1
                repeat {
                    buffer[k] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                    v /= 10
                    k -= 1
                } while v > 0
                n += digits
            }
            for i in 0..<min(10, book.asks.count) {
                let l = book.asks.level(i)
                add(l.price.raw)
                add(l.quantity.raw)
            }
            for i in 0..<min(10, book.bids.count) {
                let l = book.bids.level(i)
                add(l.price.raw)
                add(l.quantity.raw)
            }
            return UInt32(truncatingIfNeeded: crc32(0, buffer.baseAddress, UInt32(n)))
        }
    }
}

import CZlib
import GantryBook
import GantryCore

/// What Kraken's WebSocket versions share.
public enum Kraken {
    /// Kraken's book checksum (v1 and v2): for the 10 best asks (lowest first) then the 10 best bids (highest
    /// first), the price and the quantity printed with the pair's fixed decimals (v1 sends them so; v2 sends
    /// numbers, which the book holds at the pair's `price_precision` and `qty_precision`), the point and
    /// leading zeros removed, concatenated; CRC32 as an unsigned 32-bit integer. No allocation.
    /// - Parameters:
    ///   - priceScale, quantityScale: The book's scales, which must be the pair's decimals.
    public static func checksum(_ book: borrowing L2Book, priceScale: Int, quantityScale: Int) -> UInt32 {
        var crc: UInt = 0
        var text = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &text) { scratch in
            func add(_ raw: Int64, _ scale: Int) {
                let n = FixedPoint.format(raw, scale: scale, trimTrailingZeros: false, into: scratch)
                // Drop the point in place, then skip leading zeros.
                var k = 0
                for i in 0..<n where scratch[i] != UInt8(ascii: ".") {
                    scratch[k] = scratch[i]
                    k += 1
                }
                var start = 0
                while start < k - 1 && scratch[start] == UInt8(ascii: "0") { start += 1 }
                crc = crc32(crc, (scratch.baseAddress! + start).assumingMemoryBound(to: Bytef.self), UInt32(k - start))
            }
            for i in 0..<min(10, book.asks.count) {
                let l = book.asks.level(i)
                add(l.price.raw, priceScale)
                add(l.quantity.raw, quantityScale)
            }
            for i in 0..<min(10, book.bids.count) {
                let l = book.bids.level(i)
                add(l.price.raw, priceScale)
                add(l.quantity.raw, quantityScale)
            }
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}

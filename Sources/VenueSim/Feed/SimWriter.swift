import GantryBook
import GantryCore

/// Builds a venue message's JSON text byte by byte into a reused buffer: decimals straight from fixed point
/// (no `String`, no `Double`), so that a simulated venue can push hundreds of thousands of messages a second.
public struct SimWriter {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 16_384) { bytes.reserveCapacity(capacity) }

    public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    /// Appends literal text.
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends text (a symbol, a key): not escaped, so only for text the simulator itself controls.
    public mutating func text(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// Appends a JSON string of `text`, escaping quotes, backslashes and control characters.
    public mutating func quoted(_ text: String) {
        bytes.append(0x22)
        for b in text.utf8 {
            switch b {
            case 0x22, 0x5C:
                bytes.append(0x5C)
                bytes.append(b)
            case 0..<0x20:
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, Hex.digit(b >> 4), Hex.digit(b)])
            default: bytes.append(b)
            }
        }
        bytes.append(0x22)
    }

    /// Appends an integer.
    public mutating func int<T: BinaryInteger>(_ value: T) {
        if value < 0 {
            bytes.append(0x2D)
            int(value.magnitude)
            return
        }
        var v = UInt64(value)
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { d in
            var n = 0
            repeat {
                d[n] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                v /= 10
                n += 1
            } while v > 0
            while n > 0 {
                n -= 1
                bytes.append(d[n])
            }
        }
    }

    /// Appends the last `count` decimal digits of a non-negative `value`, zero-padded.
    public mutating func digits(_ value: Int64, count: Int) {
        var div: Int64 = 1
        for _ in 1..<max(1, count) { div *= 10 }
        for _ in 0..<count {
            bytes.append(UInt8(value / div % 10) + 0x30)
            div /= 10
        }
    }

    /// Appends a fixed-point value as decimal text: with exactly `scale` decimals, or trimmed.
    public mutating func decimal(_ raw: Int64, scale: Int, trim: Bool = false) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { s in
            let n = FixedPoint.format(raw, scale: scale, trimTrailingZeros: trim, into: s)
            // Byte by byte: the array's capacity is reserved, and each append is a store and a count.
            for k in 0..<n { bytes.append(s[k]) }
        }
    }

    /// Appends `"price","quantity"` pairs as `[["p","q"],…]` (Binance, Bybit).
    public mutating func stringPairs(_ levels: some Sequence<(Price, Quantity)>, priceScale: Int, quantityScale: Int) {
        raw("[")
        var first = true
        for (p, q) in levels {
            if !first { raw(",") }
            first = false
            raw("[\"")
            decimal(p.raw, scale: priceScale)
            raw("\",\"")
            decimal(q.raw, scale: quantityScale)
            raw("\"]")
        }
        raw("]")
    }

    /// Appends one side of `changes` as `[["p","q"],…]` (Binance, Bybit), without building an array first.
    public mutating func stringPairs(_ changes: [SimLevelChange], side: Side, priceScale: Int, quantityScale: Int) {
        raw("[")
        var first = true
        for c in changes where c.side == side {
            if !first { raw(",") }
            first = false
            raw("[\"")
            decimal(c.price.raw, scale: priceScale)
            raw("\",\"")
            decimal(c.quantity.raw, scale: quantityScale)
            raw("\"]")
        }
        raw("]")
    }

    /// Appends an ISO 8601 UTC time with nanoseconds, "2023-02-09T20:32:50.714964855Z", or with `digits`
    /// fractional digits (Kraken uses 6).
    public mutating func isoTime(_ wall: Nanos, digits: Int = 9) {
        let ns = wall.raw
        let seconds = ns / 1_000_000_000
        let fraction = ns % 1_000_000_000
        let (y, m, d) = Self.civil(days: seconds / 86_400)
        let s = seconds % 86_400
        func two(_ v: Int64) {
            bytes.append(UInt8(v / 10) + 0x30)
            bytes.append(UInt8(v % 10) + 0x30)
        }
        int(y)
        raw("-")
        two(m)
        raw("-")
        two(d)
        raw("T")
        two(s / 3_600)
        raw(":")
        two(s / 60 % 60)
        raw(":")
        two(s % 60)
        raw(".")
        self.digits(fraction / Self.power(9 - digits), count: digits)
        raw("Z")
    }

    static func power(_ n: Int) -> Int64 { n <= 0 ? 1 : 10 * power(n - 1) }

    /// Year, month, day of a count of days since 1970-01-01 (the proleptic Gregorian calendar).
    static func civil(days: Int64) -> (Int64, Int64, Int64) {
        let c = CivilDate.from(days: days)
        return (c.year, c.month, c.day)
    }
}

extension Array where Element == BookLevel {
    /// (price, quantity) pairs for `SimWriter.stringPairs`.
    var pairs: [(Price, Quantity)] { map { ($0.price, $0.quantity) } }
}

extension Array where Element == SimLevelChange {
    /// The changes on one side, as (price, quantity) pairs, in the order given.
    func pairs(_ side: Side) -> [(Price, Quantity)] { filter { $0.side == side }.map { ($0.price, $0.quantity) } }
}

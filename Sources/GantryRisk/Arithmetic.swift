/// Exact fixed-point ratios on the check path: 64-bit division when the operands fit (a hardware divide), 128-bit
/// otherwise (a software routine several times slower). The results are the same either way.
enum Exact {
    /// ⌊a × b / c⌋ toward zero, for c > 0.
    @inline(__always)
    static func mulDiv(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64 {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int64(Int128(a) * Int128(b) / Int128(c)) : p / c
    }

    /// (a − b) / b in hundredths of a basis point, toward zero (b > 0).
    @inline(__always)
    static func centiBasisPoints(_ a: Int64, from b: Int64) -> Int64 { mulDiv(a - b, 1_000_000, b) }

    /// n / d toward zero, for d > 0.
    @inline(__always)
    static func divide(_ n: Int128, _ d: Int128) -> Int128 {
        if let n64 = Int64(exactly: n), let d64 = Int64(exactly: d) { return Int128(n64 / d64) }
        return n / d
    }
}

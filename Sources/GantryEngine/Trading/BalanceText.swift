import GantryCore

/// Exact sums of balances as the venues write them ("1.5", "-0.25", "0.0000000000", "171288.6158"): each amount
/// read as an `Int128` at its own number of decimals, the two brought to the larger, added, and written back with
/// the fraction's trailing zeros dropped. Never a `Double`; amounts of up to 38 digits hold any balance a venue
/// reports at any scale it uses, where `FixedPoint`'s `Int64` would overflow at 10^11 with 8 decimals.
enum BalanceText {
    /// `a + b`. - Throws: `GatewayError` naming `what` if either is not decimal text (an optional "-", at most 38
    ///   digits, an optional "." among them) or the sum at the finer scale does not fit an `Int128`.
    static func sum(_ a: String, _ b: String, _ what: String) throws -> String {
        let (x, xs) = try parse(a, what), (y, ys) = try parse(b, what)
        let scale = max(xs, ys)
        guard let x = scaled(x, by: scale - xs), let y = scaled(y, by: scale - ys) else { throw GatewayError("\(what): \(a) + \(b) is too large") }
        let (total, overflow) = x.addingReportingOverflow(y)
        guard !overflow else { throw GatewayError("\(what): \(a) + \(b) is too large") }
        return format(total, scale: scale)
    }

    /// `-a`. - Throws: as `sum` if `a` is not decimal text.
    static func negated(_ a: String, _ what: String) throws -> String {
        let (x, scale) = try parse(a, what)
        return format(-x, scale: scale)
    }

    /// The amount as an integer and its number of decimals ("-1.50" → (-150, 2)).
    static func parse(_ text: String, _ what: String) throws -> (Int128, Int) {
        var value: Int128 = 0
        var negative = false, digits = 0, decimals = 0, point = false
        for (k, c) in text.utf8.enumerated() {
            switch c {
            case UInt8(ascii: "-") where k == 0: negative = true
            case UInt8(ascii: ".") where !point: point = true
            case UInt8(ascii: "0")...UInt8(ascii: "9") where digits < 38:
                value = value * 10 + Int128(c - UInt8(ascii: "0"))
                digits += 1
                if point { decimals += 1 }
            default: throw GatewayError("\(what): \"\(text.prefix(60))\" is not a decimal amount")
            }
        }
        guard digits > 0 else { throw GatewayError("\(what): \"\(text.prefix(60))\" is not a decimal amount") }
        return (negative ? -value : value, decimals)
    }

    /// `value × 10^places`, nil on overflow.
    static func scaled(_ value: Int128, by places: Int) -> Int128? {
        var v = value
        for _ in 0..<places {
            let (m, overflow) = v.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            v = m
        }
        return v
    }

    /// `raw / 10^scale` as decimal text without trailing fraction zeros ("150", 2 → "1.5"; 0 → "0").
    static func format(_ raw: Int128, scale: Int) -> String {
        var digits = Array(String(raw.magnitude))
        if digits.count <= scale { digits.insert(contentsOf: repeatElement("0", count: scale - digits.count + 1), at: 0) }
        var fraction = digits[(digits.count - scale)...]
        while fraction.last == "0" { fraction.removeLast() }
        let whole = String(digits[..<(digits.count - scale)])
        let text = fraction.isEmpty ? whole : whole + "." + String(fraction)
        return raw < 0 ? "-" + text : text
    }
}

/// Lower-case hexadecimal, the one implementation for every module: signatures (Binance, Bybit), nonces,
/// `\u00XX` escapes, UUIDs.
public enum Hex {
    /// The lower-case hex digit of `nibble`'s low four bits.
    @inlinable
    public static func digit(_ nibble: UInt8) -> UInt8 {
        let v = nibble & 15
        return v < 10 ? v &+ 0x30 : v &+ 0x57
    }

    /// Two lower-case hex digits a byte, most significant first.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digit(b >> 4))
            out.append(digit(b))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The low `digits` hex digits of `value`, most significant first, with leading zeros.
    /// - Parameter digits: From 1 to 16. Traps if out of range.
    public static func encode(_ value: UInt64, digits: Int) -> String {
        precondition((1...16).contains(digits), "a UInt64 has 1 to 16 hex digits")
        var out: [UInt8] = []
        out.reserveCapacity(digits)
        for k in stride(from: digits - 1, through: 0, by: -1) { out.append(digit(UInt8(truncatingIfNeeded: value >> UInt64(4 * k)))) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes that hex `text` spells, two digits a byte (either case).
    /// - Returns: nil if `text` has an odd number of characters or one that is not a hex digit.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 2)
        var high: UInt8? = nil
        for c in text {
            guard let v = value(c) else { return nil }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return out
    }

    /// The value of the hex digit `character` (either case); nil if it is not one.
    public static func value(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

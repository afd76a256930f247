/// RFC 4648 base64, the one implementation for every module: the standard alphabet with `=` padding (§4:
/// HTTP and WebSocket keys, the venues' HMAC signatures and secrets) and the URL-safe alphabet without
/// padding (§5: JWTs).
public enum Base64 {
    /// Which of RFC 4648's two base64 encodings.
    public enum Variant: Sendable {
        /// §4: `+` and `/` for 62 and 63, the text padded with `=` to a multiple of four characters.
        case standard
        /// §5 as JWTs use it: `-` and `_` for 62 and 63, no padding.
        case url
    }

    /// The base64 text of `bytes`.
    /// - Parameter variant: The alphabet and padding (standard unless told).
    /// - Returns: `(bytes.count + 2) / 3 * 4` characters (standard) or the same without the padding (url).
    public static func encode(_ bytes: [UInt8], _ variant: Variant = .standard) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let rest = min(3, bytes.count - i)
            let n = UInt32(bytes[i]) << 16 | (rest > 1 ? UInt32(bytes[i + 1]) << 8 : 0) | (rest > 2 ? UInt32(bytes[i + 2]) : 0)
            // `rest` bytes make `rest + 1` characters of six bits each.
            for k in 0...rest { out.append(character(UInt8(n >> (18 - 6 * UInt32(k)) & 63), variant)) }
            if variant == .standard { for _ in rest..<3 { out.append(UInt8(ascii: "=")) } }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of base64 `text`.
    /// - Parameter variant: The alphabet and padding (standard unless told). Standard text must be padded to a
    ///   multiple of four characters; url text must have no padding.
    /// - Returns: nil if `text` has a character outside the alphabet (white space included), padding that is
    ///   missing or out of place, an impossible length, or bits after the last byte that are not zero (the
    ///   encoding is canonical, RFC 4648 §3.5).
    public static func decode(_ text: String, _ variant: Variant = .standard) -> [UInt8]? {
        var digits = Array(text.utf8)[...]
        if variant == .standard {
            guard digits.count % 4 == 0 else { return nil }
            // At most two `=`, only at the end.
            for _ in 0..<2 where digits.last == UInt8(ascii: "=") { digits.removeLast() }
        }
        guard digits.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count * 3 / 4)
        var n: UInt32 = 0
        var bits = 0
        for c in digits {
            guard let v = value(c, variant) else { return nil }
            n = n << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: n >> UInt32(bits)))
                n &= (1 << UInt32(bits)) - 1
            }
        }
        // The 2 or 4 bits left over pad the last byte out to a character: zero in a canonical encoding.
        guard n == 0 else { return nil }
        return out
    }

    /// The standard alphabet's character (§4) for the six-bit `value` (its low six bits), for writers that
    /// encode into a buffer of their own.
    @inlinable
    public static func digit(_ value: UInt8) -> UInt8 {
        let v = value & 63
        return v < 26 ? v &+ 0x41 : v < 52 ? v &+ 0x47 : v < 62 ? v &- 4 : v == 62 ? 0x2B : 0x2F
    }

    /// The character for the six-bit `value`.
    static func character(_ value: UInt8, _ variant: Variant) -> UInt8 {
        switch value {
        case 0..<26: value + UInt8(ascii: "A")
        case 26..<52: value - 26 + UInt8(ascii: "a")
        case 52..<62: value - 52 + UInt8(ascii: "0")
        case 62: variant == .standard ? UInt8(ascii: "+") : UInt8(ascii: "-")
        default: variant == .standard ? UInt8(ascii: "/") : UInt8(ascii: "_")
        }
    }

    /// The six-bit value of `character`; nil if it is not in the variant's alphabet.
    static func value(_ character: UInt8, _ variant: Variant) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+") where variant == .standard, UInt8(ascii: "-") where variant == .url: 62
        case UInt8(ascii: "/") where variant == .standard, UInt8(ascii: "_") where variant == .url: 63
        default: nil
        }
    }
}

import GantryCore
import GantryVenues

/// A 20-byte Ethereum address as three big-endian words: compared and hashed without allocation.
@frozen
public struct EthereumAddress: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// Bytes 0–3, 4–11 and 12–19, big-endian.
    public var high: UInt32
    public var middle: UInt64
    public var low: UInt64

    @inlinable
    public init(high: UInt32, middle: UInt64, low: UInt64) {
        self.high = high
        self.middle = middle
        self.low = low
    }

    /// An address from its text: "0x" and 40 hex digits, either case (a checksummed address is accepted as it is).
    /// - Returns: nil for anything else.
    public init?(_ text: String) {
        var text = text
        let parsed = text.withUTF8 { u -> EthereumAddress? in
            let bytes = UnsafeRawBufferPointer(u)
            guard bytes.count == 42, bytes[0] == 0x30, bytes[1] | 0x20 == 0x78 else { return nil }
            return EthereumHex.address(digits: bytes, at: 2)
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// "0x" and 40 lower-case hex digits.
    public var description: String {
        "0x" + Hex.encode(UInt64(high), digits: 8) + Hex.encode(middle, digits: 16) + Hex.encode(low, digits: 16)
    }
}

/// Ethereum's hex encodings read in place (execution-apis base types): quantities ("0x" and hex digits, a
/// `uint`), 32-byte words (`bytes32`, a uint256 in `data`), addresses and addresses padded into topics.
/// Either case is accepted; every digit is checked; nothing is allocated.
public enum EthereumHex {
    /// The value of one hex digit, or nil.
    @inlinable
    static func nibble(_ c: UInt8) -> UInt64? {
        let d = c &- 0x30
        if d < 10 { return UInt64(d) }
        // Lower-cases a letter; anything that is not a-f (or A-F) lands outside 0..<6.
        let l = (c | 0x20) &- 0x61
        if l < 6 { return UInt64(l) &+ 10 }
        return nil
    }

    /// `count` (≤ 16) hex digits at `at` as an integer, or nil if one is not a hex digit.
    @inlinable
    static func word(_ digits: UnsafeRawBufferPointer, at: Int, count: Int) -> UInt64? {
        var value: UInt64 = 0
        for k in at..<(at + count) {
            guard let v = nibble(digits[k]) else { return nil }
            value = value << 4 | v
        }
        return value
    }

    /// 40 hex digits at `at` as an address, or nil.
    @inlinable
    static func address(digits: UnsafeRawBufferPointer, at: Int) -> EthereumAddress? {
        guard let h = word(digits, at: at, count: 8), let m = word(digits, at: at + 8, count: 16),
            let l = word(digits, at: at + 24, count: 16)
        else { return nil }
        return EthereumAddress(high: UInt32(h), middle: m, low: l)
    }

    /// The digits of a "0x…" string's bytes (without its quotes), or nil without the prefix.
    @inlinable
    static func digits(_ text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard text.count >= 2, text[0] == 0x30, text[1] | 0x20 == 0x78 else { return nil }
        return UnsafeRawBufferPointer(rebasing: text[2...])
    }

    /// A quantity ("0x" and 1 to 16 hex digits; leading zeros are tolerated) as an integer, exactly.
    /// - Throws: `.badNumber` naming `field` without the prefix, without digits, with a non-hex digit, or with a
    ///   value beyond 64 bits (`.overflow`).
    @inlinable
    public static func quantity(_ text: UnsafeRawBufferPointer, _ field: StaticString) throws(DecodeError) -> UInt64 {
        guard var d = digits(text), !d.isEmpty else { throw .badNumber(field: "\(field)", nil) }
        while d.count > 16, d[0] == 0x30 { d = UnsafeRawBufferPointer(rebasing: d[1...]) }
        guard d.count <= 16 else { throw .badNumber(field: "\(field)", .overflow) }
        guard let v = word(d, at: 0, count: d.count) else { throw .badNumber(field: "\(field)", nil) }
        return v
    }

    /// A 32-byte word ("0x" and exactly 64 hex digits) as a uint256's high and low 128 bits.
    /// - Throws: `.badNumber` naming `field` for another length or a non-hex digit.
    @inlinable
    public static func uint256(_ text: UnsafeRawBufferPointer, _ field: StaticString) throws(DecodeError) -> (high: UInt128, low: UInt128) {
        guard let d = digits(text), d.count == 64 else { throw .badNumber(field: "\(field)", nil) }
        guard let a = word(d, at: 0, count: 16), let b = word(d, at: 16, count: 16), let c = word(d, at: 32, count: 16),
            let e = word(d, at: 48, count: 16)
        else { throw .badNumber(field: "\(field)", nil) }
        return (UInt128(a) << 64 | UInt128(b), UInt128(c) << 64 | UInt128(e))
    }

    /// The first 8 bytes of a 32-byte hash ("0x" and 64 hex digits): enough to tell two blocks of one height apart.
    /// - Throws: `.badNumber` naming `field` for another length or a non-hex digit.
    @inlinable
    public static func hashPrefix(_ text: UnsafeRawBufferPointer, _ field: StaticString) throws(DecodeError) -> UInt64 {
        guard let d = digits(text), d.count == 64, let v = word(d, at: 0, count: 16) else { throw .badNumber(field: "\(field)", nil) }
        for k in 16..<64 where nibble(d[k]) == nil { throw .badNumber(field: "\(field)", nil) }
        return v
    }

    /// An address ("0x" and 40 hex digits).
    /// - Throws: `.badNumber` naming `field` for another length or a non-hex digit.
    @inlinable
    public static func address(_ text: UnsafeRawBufferPointer, _ field: StaticString) throws(DecodeError) -> EthereumAddress {
        guard let d = digits(text), d.count == 40, let a = address(digits: d, at: 0) else { throw .badNumber(field: "\(field)", nil) }
        return a
    }

    /// An address padded into a 32-byte topic: 24 zero digits, then the address's 40.
    /// - Throws: `.badNumber` naming `field` for another length, a non-hex digit or a padding that is not zero.
    @inlinable
    public static func topicAddress(_ text: UnsafeRawBufferPointer, _ field: StaticString) throws(DecodeError) -> EthereumAddress {
        guard let d = digits(text), d.count == 64 else { throw .badNumber(field: "\(field)", nil) }
        for k in 0..<24 where d[k] != 0x30 { throw .badNumber(field: "\(field)", nil) }
        guard let a = address(digits: d, at: 24) else { throw .badNumber(field: "\(field)", nil) }
        return a
    }
}

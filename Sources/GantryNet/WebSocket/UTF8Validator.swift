/// Incremental UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF),
/// fed chunk by chunk so that a text message split across frames is checked as it arrives.
@frozen
public struct UTF8Validator: Sendable, Equatable {
    /// Continuation bytes still expected for the current code point.
    @usableFromInline var pending: UInt8 = 0
    /// The allowed range of the next continuation byte (narrower right after some lead bytes).
    @usableFromInline var low: UInt8 = 0x80
    @usableFromInline var high: UInt8 = 0xBF

    public init() {}

    /// True between code points (a message may end here).
    @inlinable public var isComplete: Bool { pending == 0 }

    /// Checks `bytes` as the continuation of what was fed before.
    /// - Returns: false at the first byte that cannot be UTF-8; the validator is then spent.
    @inlinable
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let count = bytes.count
        while i < count {
            // ASCII runs, 32 then 8 bytes at a time, while no code point is open (venue JSON is ASCII).
            if pending == 0 {
                while i &+ 32 <= count {
                    let a = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    let b = bytes.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self)
                    let c = bytes.loadUnaligned(fromByteOffset: i &+ 16, as: UInt64.self)
                    let d = bytes.loadUnaligned(fromByteOffset: i &+ 24, as: UInt64.self)
                    if (a | b | c | d) & 0x8080_8080_8080_8080 != 0 { break }
                    i &+= 32
                }
                while i &+ 8 <= count && bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    i &+= 8
                }
                if i >= count { break }
            }
            let b = bytes[i]
            if pending > 0 {
                guard b >= low && b <= high else { return false }
                pending &-= 1
                low = 0x80
                high = 0xBF
            } else if b < 0x80 {
                // ASCII
            } else if b >= 0xC2 && b <= 0xDF {
                pending = 1
            } else if b >= 0xE0 && b <= 0xEF {
                pending = 2
                if b == 0xE0 { low = 0xA0 }  // no overlong 3-byte forms
                if b == 0xED { high = 0x9F }  // no surrogates
            } else if b >= 0xF0 && b <= 0xF4 {
                pending = 3
                if b == 0xF0 { low = 0x90 }  // no overlong 4-byte forms
                if b == 0xF4 { high = 0x8F }  // nothing above U+10FFFF
            } else {
                return false  // 0x80…0xC1 as a lead byte, or 0xF5…0xFF
            }
            i &+= 1
        }
        return true
    }
}

import GantryCore

/// Matches a message against the exact bytes a venue sends nearly always (its documented field order, no white
/// space), for a decoder's quick path: a literal compared eight bytes at a time, an integer read eight digits
/// at a time, a string without escapes. Every method returns false or nil at the first difference and never
/// reads past the end; the decoder then reads the message with its general path, which accepts any valid JSON
/// and names every problem. So a failed match is never an error in itself.
@usableFromInline
struct LiteralMatcher {
    @usableFromInline let p: UnsafePointer<UInt8>
    @usableFromInline let end: Int
    @usableFromInline var i = 0

    @inlinable
    init?(_ message: UnsafeRawBufferPointer) {
        guard let base = message.baseAddress else { return nil }
        p = base.assumingMemoryBound(to: UInt8.self)
        end = message.count
    }

    /// Steps over `text` if the message continues with it.
    @inlinable @inline(__always)
    mutating func literal(_ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard end &- i >= n else { return false }
        let here = UnsafeRawPointer(p + i)
        let expected = UnsafeRawPointer(text.utf8Start)
        var k = 0
        while k &+ 8 <= n {
            if here.loadUnaligned(fromByteOffset: k, as: UInt64.self) != expected.loadUnaligned(fromByteOffset: k, as: UInt64.self) {
                return false
            }
            k &+= 8
        }
        while k < n {
            if here.load(fromByteOffset: k, as: UInt8.self) != expected.load(fromByteOffset: k, as: UInt8.self) { return false }
            k &+= 1
        }
        i &+= n
        return true
    }

    /// An unsigned integer of at most 19 digits.
    @inlinable @inline(__always)
    mutating func integer() -> UInt64? {
        guard let (value, next) = FixedPoint.unsignedInteger(p, from: i, end: end) else { return nil }
        i = next
        return value
    }

    /// The bytes of a string whose opening quote is already matched, up to its closing quote (stepped over);
    /// nil at a backslash (an escape is for the general path).
    @inlinable @inline(__always)
    mutating func plainString() -> UnsafeRawBufferPointer? {
        let start = i
        guard let (at, escaped) = ByteCursor.plainStringEnd(p, from: start, end: end), !escaped else { return nil }
        i = at &+ 1
        return UnsafeRawBufferPointer(start: p + start, count: at &- start)
    }

    /// A decimal `digits[.digits]` at `scale` (no sign, no exponent), up to the byte after it; nil for
    /// anything else, or a non-zero digit beyond the scale.
    @_transparent @usableFromInline
    mutating func decimal(scale: Int) -> Int64? {
        guard let (value, next) = FixedPoint.unsignedPrefix(p, from: i, end: end, scale: scale) else { return nil }
        i = next
        return value
    }

    /// The next byte, if any.
    @inlinable
    var next: UInt8? { i < end ? p[i] : nil }
}

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
        // Compared a word at a time, as keys are (`equals`).
        guard UnsafeRawBufferPointer(start: p + i, count: n).equals(text) else { return false }
        i &+= n
        return true
    }

    /// An unsigned integer of at most 19 digits.
    @_transparent @usableFromInline
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
        guard let (at, escaped) = JSONCursor.plainStringEnd(p, from: start, end: end), !escaped else { return nil }
        i = at &+ 1
        return UnsafeRawBufferPointer(start: p + start, count: at &- start)
    }

    /// Where `text` starts if it ends just before `j` (a message's tail read backwards), not reaching back
    /// before the forward position `i`; nil otherwise.
    @inlinable @inline(__always)
    func literal(_ text: StaticString, before j: Int) -> Int? {
        let n = text.utf8CodeUnitCount
        guard j &- n >= i, j <= end, UnsafeRawBufferPointer(start: p + (j &- n), count: n).equals(text) else { return nil }
        return j &- n
    }

    /// The unsigned integer (at most 19 digits) whose digits end just before `j`, and where they start; nil if
    /// there is none, it is longer, or it would reach back before the forward position `i`.
    @inlinable @inline(__always)
    func integer(before j: Int) -> (UInt64, start: Int)? {
        guard j <= end else { return nil }
        if j &- 16 >= i {
            // Up to 16 digits (checksums, ids, times) from the two words before `j`, with no byte loop: the digits
            // are the high bytes of each word above its highest non-digit.
            let last = UInt64(littleEndian: UnsafeRawPointer(p + (j &- 8)).loadUnaligned(as: UInt64.self))
            let lastFlags = Self.nonDigits(last)
            if lastFlags != 0 {
                let n = lastFlags.leadingZeroBitCount &>> 3
                guard n > 0 else { return nil }
                return (FixedPoint.digitsValue(last &>> UInt64(truncatingIfNeeded: 8 &* (8 &- n)), n), j &- n)
            }
            let first = UInt64(littleEndian: UnsafeRawPointer(p + (j &- 16)).loadUnaligned(as: UInt64.self))
            let m = Self.nonDigits(first).leadingZeroBitCount &>> 3
            if m < 8 {
                let high = m == 0 ? 0 : FixedPoint.digitsValue(first &>> UInt64(truncatingIfNeeded: 8 &* (8 &- m)), m)
                return (high &* 100_000_000 &+ FixedPoint.digitsValue(last, 8), j &- 8 &- m)
            }
        }
        var k = j
        var found = false
        if j &- 8 >= i {
            let word = UInt64(littleEndian: UnsafeRawPointer(p + (j &- 8)).loadUnaligned(as: UInt64.self))
            let nonDigits = Self.nonDigits(word)
            if nonDigits != 0 {
                k = j &- (nonDigits.leadingZeroBitCount &>> 3)
                found = true
            } else {
                k = j &- 8
            }
        }
        while !found && k > i && p[k &- 1] &- 0x30 < 10 {
            k &-= 1
            if j &- k > 19 { return nil }
        }
        guard k < j, let (value, next) = FixedPoint.unsignedInteger(p, from: k, end: j), next == j else { return nil }
        return (value, k)
    }

    /// 0x80 in each byte of `word` that is not an ASCII digit, exact in every byte (the carry-free form: a word
    /// read backwards needs its highest flag, not only its lowest).
    @inlinable @inline(__always)
    static func nonDigits(_ word: UInt64) -> UInt64 {
        let low = word & 0x7F7F_7F7F_7F7F_7F7F
        let atLeastZero = low &+ 0x5050_5050_5050_5050
        let aboveNine = low &+ 0x4646_4646_4646_4646
        return (~atLeastZero | aboveNine | word) & 0x8080_8080_8080_8080
    }

    /// `integer(before:)` with an optional minus sign, as an `Int64`.
    @inlinable @inline(__always)
    func signedInteger(before j: Int) -> (Int64, start: Int)? {
        guard let (magnitude, start) = integer(before: j), magnitude <= UInt64(Int64.max) else { return nil }
        if start > i && p[start &- 1] == UInt8(ascii: "-") { return (-Int64(magnitude), start &- 1) }
        return (Int64(magnitude), start)
    }

    /// A decimal `digits[.digits]` at `scale` (no sign, no exponent) as venues send it nearly always
    /// (`FixedPoint.shortPrefix`: short enough for the vector step or the word reader), up to the byte after
    /// it; nil for anything else, or a non-zero digit beyond the scale (the general path judges those).
    @_transparent @usableFromInline
    mutating func decimal(scale: ShortScale) -> Int64? {
        guard let (value, next) = FixedPoint.shortPrefix(p, from: i, end: end, scale: scale) else { return nil }
        i = next
        return value
    }

    /// A decimal sent as a JSON number or as a string, `digits[.digits]` either way (see `decimal`).
    @_transparent @usableFromInline
    mutating func numberOrQuoted(scale: ShortScale) -> Int64? {
        if next != 0x22 { return decimal(scale: scale) }
        i &+= 1
        guard let value = decimal(scale: scale), next == 0x22 else { return nil }
        i &+= 1
        return value
    }

    /// Steps over a number `digits[.digits]` (or a string without escapes); false for anything else (a sign,
    /// an exponent: the general skip judges those).
    @inlinable @inline(__always)
    mutating func skipNumberOrString() -> Bool {
        if next == 0x22 {
            i &+= 1
            return plainString() != nil
        }
        let integer = digits()
        if integer == 0 { return false }
        if next == 0x2E {
            i &+= 1
            return digits() > 0
        }
        return true
    }

    /// Steps over ASCII digits, eight at a time; returns how many.
    @inlinable @inline(__always)
    mutating func digits() -> Int {
        let start = i
        while i &+ 8 <= end {
            let word = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
            let flags = ((word &+ 0x4646_4646_4646_4646) | (word &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080
            if flags != 0 {
                i &+= flags.trailingZeroBitCount &>> 3
                return i &- start
            }
            i &+= 8
        }
        while i < end && p[i] &- 0x30 < 10 { i &+= 1 }
        return i &- start
    }

    /// The next byte, if any.
    @inlinable
    var next: UInt8? { i < end ? p[i] : nil }
}

#if GANTRY_DECIMAL16
import CDecimal
#endif

/// Exact conversion between a venue's decimal text and an `Int64` mantissa at a given scale.
///
/// A value `v` at scale `s` is stored as the integer `v × 10^s`: "0.00012340" at scale 8 is `12340`.
/// Nothing passes through `Double`, `Foundation` or an intermediate `String`; parsing reads the bytes
/// in place and never rounds: a non-zero digit beyond the scale is an error.
public enum FixedPoint {
    /// The largest scale: `10^18` is the largest power of ten below `Int64.max`.
    public static let maxScale = 18

    /// `10^exponent` for `exponent` in `0...19`.
    ///
    /// A switch rather than a global array: the optimiser turns it into a constant table read with no lazy
    /// initialisation check and no bounds check (a global `let` array cost a `swift_once` call per use on the
    /// decoders' hot path).
    @inlinable @inline(__always)
    static func pow10(_ exponent: Int) -> UInt64 {
        switch exponent {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        case 8: 100_000_000
        case 9: 1_000_000_000
        case 10: 10_000_000_000
        case 11: 100_000_000_000
        case 12: 1_000_000_000_000
        case 13: 10_000_000_000_000
        case 14: 100_000_000_000_000
        case 15: 1_000_000_000_000_000
        case 16: 10_000_000_000_000_000
        case 17: 100_000_000_000_000_000
        case 18: 1_000_000_000_000_000_000
        default: 10_000_000_000_000_000_000
        }
    }

    /// Parses decimal text such as `"0.00012340"`, `"-3.5"`, `"+12"` or `"1e-5"` into a mantissa at `scale`.
    ///
    /// The grammar is JSON's number grammar with an optional leading `+`: digits on both sides of a point,
    /// an optional exponent `e`/`E` with an optional sign. Trailing zeros beyond the scale are accepted
    /// (`"1.50000000000"` at scale 2 is `150`); any other digit beyond it is an error, never rounded.
    /// - Parameters:
    ///   - bytes: The ASCII text, exactly as the venue sent it (no quotes, no whitespace).
    ///   - scale: Decimals kept, `0...maxScale`.
    /// - Returns: The value times `10^scale`.
    /// - Throws: `DecimalError` naming the first problem.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, scale: Int) throws(DecimalError) -> Int64 {
        guard scale >= 0 && scale <= maxScale else { throw .scaleOutOfRange(scale) }
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { throw .empty }
        // SAFETY: every read below is at an index checked against `count`.
        let p = base.assumingMemoryBound(to: UInt8.self)
        // Fast path, for what venues send nearly always: [-]digits[.digits]; anything else (and every error)
        // takes the general path.
        let negative = p[0] == UInt8(ascii: "-")
        let start = negative ? 1 : 0
        if count < 16 {
            // A text on its own (a REST field, a configuration value) is shorter than the 16 bytes the quick
            // readers load: padded with zeros, which end it, it is read the same way.
            if let quick = paddedPrefix(p + start, count: count &- start, scale: scale) { return negative ? -quick : quick }
        } else if let (magnitude, next) = unsignedPrefix(p, from: start, end: count, scale: scale), next == count {
            return negative ? -magnitude : magnitude
        }
        return try parseGeneral(p, count: count, scale: scale)
    }

    /// The value of the whole text `p[0..<count]` (`count` < 16) by the quick readers, nil for anything they do
    /// not take. With the vector step the bytes are gathered into two words in registers (two overlapping loads
    /// each, nothing read outside the text); otherwise they are copied into 16 zeroed bytes.
    @inlinable @inline(__always)
    static func paddedPrefix(_ p: UnsafePointer<UInt8>, count: Int, scale: Int) -> Int64? {
        #if GANTRY_DECIMAL16
        func load<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> UInt64 {
            UInt64(truncatingIfNeeded: T(littleEndian: UnsafeRawPointer(p + offset).loadUnaligned(as: T.self)))
        }
        var low: UInt64 = 0
        var high: UInt64 = 0
        if count >= 8 {
            low = load(0, as: UInt64.self)
            // The bytes 8..<count are the last count - 8 of the word ending the text.
            if count > 8 { high = load(count &- 8, as: UInt64.self) &>> UInt64(truncatingIfNeeded: (16 &- count) &* 8) }
        } else if count >= 4 {
            low = load(0, as: UInt32.self) | (load(count &- 4, as: UInt32.self) &>> UInt64(truncatingIfNeeded: (8 &- count) &* 8)) &<< 32
        } else {
            for k in 0..<count { low |= UInt64(p[k]) &<< UInt64(truncatingIfNeeded: 8 &* k) }
        }
        var length: Int64 = 0
        let value = gantry_decimal16_words(low, high, Int64(truncatingIfNeeded: scale), &length)
        return value >= 0 && Int(truncatingIfNeeded: length) == count ? value : nil
        #else
        var padded: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &padded) { words -> Int64? in
            words.copyMemory(from: UnsafeRawBufferPointer(start: p, count: count))
            let q = UnsafePointer(words.baseAddress!.assumingMemoryBound(to: UInt8.self))
            guard let (magnitude, next) = unsignedPrefix(q, from: 0, end: 16, scale: scale), next == count else { return nil }
            return magnitude
        }
        #endif
    }

    /// Reads `digits[.digits]` starting at `p[start]` and stops at the first byte that does not continue it,
    /// without knowing where the text ends: decoders parse a quoted decimal where it lies and then check that
    /// the closing quote follows (`next`). Zeros beyond the scale are stepped over ("97123.45000000" at scale 2
    /// stops at the quote); a non-zero digit beyond it stops there (so `next` is not the end of the text).
    ///
    /// - Returns: The value at `scale` and the index after it; nil for anything the full grammar must judge
    ///   (no integer digit, a point without digits, more than 19 significant digits, overflow).
    /// - Precondition: `0 <= scale <= maxScale`; every read stays below `end`.
    @inlinable @inline(__always)
    public static func unsignedPrefix(_ p: UnsafePointer<UInt8>, from start: Int, end: Int, scale: Int) -> (Int64, next: Int)? {
        if let quick = shortPrefix(p, from: start, end: end, scale: scale) { return quick }
        var i = start
        // Digits are taken up to eight at a time (`digitRun`); a wrapped mantissa is never used, since more
        // than 19 digits return nil.
        var mantissa: UInt64 = 0
        var integerDigits = 0
        while true {
            let (value, n) = digitRun(p, from: i, count: end)
            mantissa = mantissa &* pow10(n) &+ value
            integerDigits &+= n
            i &+= n
            if n < 8 { break }
        }
        if integerDigits == 0 { return nil }
        var fractionDigits = 0
        if i < end && p[i] == UInt8(ascii: ".") {
            i &+= 1
            // Digits up to the scale are accumulated; zeros beyond it are stepped over rather than divided away.
            let scaleEnd = min(end, i &+ scale)
            while i < scaleEnd {
                let (value, n) = digitRun(p, from: i, count: scaleEnd)
                mantissa = mantissa &* pow10(n) &+ value
                fractionDigits &+= n
                i &+= n
                if n < 8 { break }
            }
            let fractionStart = i &- fractionDigits
            if i == scaleEnd {
                // Eight zeros at a time, then the rest one by one.
                while i &+ 8 <= end
                    && UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) == 0x3030_3030_3030_3030
                {
                    i &+= 8
                }
                while i < end && p[i] == UInt8(ascii: "0") { i &+= 1 }
            }
            // "1." (a point with no digit after it) is for the general path to reject.
            if i == fractionStart { return nil }
        }
        if integerDigits &+ fractionDigits > 19 { return nil }
        let (m, overflow) = mantissa.multipliedReportingOverflow(by: pow10(scale &- fractionDigits))
        if overflow || m > UInt64(Int64.max) { return nil }
        return (Int64(m), i)
    }

    /// The unsigned integer whose digits start at `p[start]` (ids, sequence numbers, millisecond times), read
    /// eight digits at a time; it stops at the first byte that is not a digit.
    /// - Returns: The value and the index after its digits; nil if there is no digit, more than 19, or the
    ///   value does not fit a `UInt64`.
    @_transparent
    public static func unsignedInteger(_ p: UnsafePointer<UInt8>, from start: Int, end: Int) -> (UInt64, next: Int)? {
        // At most fifteen digits (ids, millisecond times) with sixteen bytes to read: two loads, no loop, and
        // nothing that can overflow.
        if end &- start >= 16 {
            let high = UInt64(littleEndian: UnsafeRawPointer(p + start).loadUnaligned(as: UInt64.self))
            let n = nonDigitFlags(high).trailingZeroBitCount &>> 3
            if n == 0 { return nil }
            if n < 8 { return (digitsValue(high, n), start &+ n) }
            let low = UInt64(littleEndian: UnsafeRawPointer(p + (start &+ 8)).loadUnaligned(as: UInt64.self))
            let m = nonDigitFlags(low).trailingZeroBitCount &>> 3
            if m < 8 { return (digitsValue(high, 8) &* pow10(m) &+ digitsValue(low, m), start &+ 8 &+ m) }
        }
        var i = start
        var value: UInt64 = 0
        while true {
            let (run, n) = digitRun(p, from: i, count: end)
            if i &- start &+ n > 19 { return nil }
            let (shifted, o1) = value.multipliedReportingOverflow(by: pow10(n))
            let (sum, o2) = shifted.addingReportingOverflow(run)
            if o1 || o2 { return nil }
            value = sum
            i &+= n
            if n < 8 { break }
        }
        return i == start ? nil : (value, i)
    }

    /// `unsignedPrefix` for what venues send nearly always, with no loop: the vector step (`vectorPrefix`)
    /// where the build has it and 16 bytes can be read, else the word reader (`wordPrefix`). Nil for anything
    /// they do not take (the general loop then judges it, so nil never means an error).
    @_transparent
    public static func shortPrefix(_ p: UnsafePointer<UInt8>, from start: Int, end: Int, scale: Int) -> (Int64, next: Int)? {
        shortPrefix(p, from: start, end: end, scale: ShortScale(scale))
    }

    /// `shortPrefix` with what the scale implies worked out beforehand (a level reader does so once per array).
    @_transparent
    public static func shortPrefix(_ p: UnsafePointer<UInt8>, from start: Int, end: Int, scale: ShortScale) -> (Int64, next: Int)? {
        #if GANTRY_DECIMAL16
        if end &- start >= 16 { return vectorPrefix(p, from: start, scale: scale) }
        #endif
        return wordPrefix(p, from: start, end: end, scale: scale)
    }

    #if GANTRY_DECIMAL16
    /// The vector step (CDecimal's `gantry_decimal16`, SSSE3 and SSE4.1): up to 14 integer digits, the digits
    /// kept (integer digits and decimals up to the scale) at most 16, the number ending within the 16 bytes
    /// read from `start`, the decimals beyond the scale zeros. Nil for anything else.
    /// - Precondition: 16 bytes from `start` can be read.
    @_transparent
    public static func vectorPrefix(_ p: UnsafePointer<UInt8>, from start: Int, scale: ShortScale) -> (Int64, next: Int)? {
        var length: Int64 = 0
        let value = gantry_decimal16(p + start, Int64(truncatingIfNeeded: scale.scale), &length)
        return value < 0 ? nil : (value, start &+ Int(truncatingIfNeeded: length))
    }
    #endif

    /// The word reader, with two loads: at most seven integer digits and at most eight decimals, where the
    /// decimals beyond the scale are zeros, at a scale of at most eight. Nil for anything else. Reads whole
    /// words, so it needs eight bytes from `start` and ten from the point (nil nearer the end).
    @_transparent
    public static func wordPrefix(_ p: UnsafePointer<UInt8>, from start: Int, end: Int, scale: ShortScale) -> (Int64, next: Int)? {
        if end &- start < 8 || !scale.usable { return nil }
        let word = UInt64(littleEndian: UnsafeRawPointer(p + start).loadUnaligned(as: UInt64.self))
        let integerDigits = nonDigitFlags(word).trailingZeroBitCount &>> 3
        // No digit, or eight or more: the general loop.
        if integerDigits == 0 || integerDigits == 8 { return nil }
        // At most seven digits at a scale of at most eight: below 10^15, so nothing here can overflow or be
        // negative as an Int64.
        let point = start &+ integerDigits
        if p[point] != UInt8(ascii: ".") {
            return (Int64(truncatingIfNeeded: digitsValue(word, integerDigits) &* scale.factor), point)
        }
        if end &- point < 10 { return nil }
        let fraction = UInt64(littleEndian: UnsafeRawPointer(p + (point &+ 1)).loadUnaligned(as: UInt64.self))
        let decimals = nonDigitFlags(fraction).trailingZeroBitCount &>> 3
        // "1." is for the general path to reject; nine or more decimals take the general loop.
        if decimals == 0 || (decimals == 8 && p[point &+ 9] &- 0x30 < 10) { return nil }
        // Decimals not sent read as zeros ("0.5" at scale 8 is 50000000); those beyond the scale must be zeros.
        let sent = UInt64.max &>> UInt64(truncatingIfNeeded: 64 &- 8 &* decimals)
        let padded = (fraction & sent) | (0x3030_3030_3030_3030 & ~sent)
        if (padded ^ 0x3030_3030_3030_3030) & scale.beyond != 0 { return nil }
        let next = point &+ 1 &+ decimals
        if integerDigits &+ scale.scale <= 8 {
            // The integer digits and the kept decimals side by side in one word ("97123.45" at scale 2 reads as
            // 9712345): one conversion instead of two. The bytes shifted out are beyond the scale.
            let integer = word & (UInt64.max &>> UInt64(truncatingIfNeeded: 64 &- 8 &* integerDigits))
            let joined = integer | (padded &<< UInt64(truncatingIfNeeded: 8 &* integerDigits))
            return (Int64(truncatingIfNeeded: digitsValue(joined, integerDigits &+ scale.scale)), next)
        }
        // A single integer digit (sizes such as "0.01400000") needs no conversion.
        let integer = integerDigits == 1 ? word & 0x0F : digitsValue(word, integerDigits)
        return (Int64(truncatingIfNeeded: integer &* scale.factor &+ digitsValue(padded, scale.scale)), next)
    }

    /// A mask of the low `n` (0...8) bytes of a word.
    @inlinable @inline(__always)
    static func lowBytes(_ n: Int) -> UInt64 { n >= 8 ? UInt64.max : (UInt64(1) &<< UInt64(8 &* n)) &- 1 }

    /// 0x80 in each byte of `word` that is not an ASCII digit. The lowest flag is exact (carries and borrows
    /// only move towards higher bytes, and every byte below the first flagged one is a digit); 0 if all are.
    @inlinable @inline(__always)
    static func nonDigitFlags(_ word: UInt64) -> UInt64 {
        ((word &+ 0x4646_4646_4646_4646) | (word &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080
    }

    /// The value of the first `n` (0...8) bytes of `word`, which are ASCII digits, byte 0 the most significant.
    @inlinable @inline(__always)
    public static func digitsValue(_ word: UInt64, _ n: Int) -> UInt64 {
        if n == 0 { return 0 }
        // Move the n digits to the top of the word (the vacated low bytes read as leading zeros), then combine
        // pairs, quads and octets.
        var v = (word &<< UInt64(8 &* (8 &- n))) & 0x0F0F_0F0F_0F0F_0F0F
        v = (v &* 10) &+ (v &>> 8)
        v = (((v & 0x0000_00FF_0000_00FF) &* (100 &+ (1_000_000 << 32)))
            &+ (((v &>> 16) & 0x0000_00FF_0000_00FF) &* (1 &+ (10_000 << 32)))) &>> 32
        return v & 0xFFFF_FFFF
    }

    /// The value of the ASCII digits starting at `p[start]`, at most eight of them, and how many there are.
    ///
    /// One unaligned 8-byte load and three multiplies instead of a multiply-add per digit (whose chain of
    /// dependent multiplies is what bounds a byte loop). Never reads outside `p[0..<count]`.
    // @inline(__always): measured. Left to itself the optimiser outlines this helper of `parse`, and the call
    // costs a third of a 10-character parse (gantry-perf-report: ~20 ns → see README).
    @inlinable @inline(__always)
    static func digitRun(_ p: UnsafePointer<UInt8>, from start: Int, count: Int) -> (value: UInt64, digits: Int) {
        let available = count &- start
        if available <= 0 { return (0, 0) }
        var word: UInt64
        var limit = 8
        if available >= 8 {
            // SAFETY: start + 8 <= count.
            word = UInt64(littleEndian: UnsafeRawPointer(p + start).loadUnaligned(as: UInt64.self))
        } else if count >= 8 {
            // The text's last 8 bytes, shifted so that p[start] is the lowest byte; the vacated bytes are 0.
            // SAFETY: count - 8 >= 0, and the load ends at count.
            let last = UInt64(littleEndian: UnsafeRawPointer(p + (count &- 8)).loadUnaligned(as: UInt64.self))
            word = last >> UInt64(8 &* (8 &- available))
            limit = available
        } else {
            word = 0
            for k in 0..<available { word |= UInt64(p[start &+ k]) << UInt64(8 &* k) }
            limit = available
        }
        let flags = nonDigitFlags(word)
        let n = min(flags == 0 ? 8 : flags.trailingZeroBitCount / 8, limit)
        return (digitsValue(word, n), n)
    }

    /// `mantissa × 10 + digit`. - Throws: `.overflow`.
    @inlinable
    static func appending(_ digit: UInt8, to mantissa: UInt64) throws(DecimalError) -> UInt64 {
        let (m, o1) = mantissa.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(UInt64(digit))
        if o1 || o2 { throw .overflow }
        return s
    }

    /// `mantissa × 10^shift`, exactly. - Throws: `.overflow`, or `.tooManyDecimals` if a non-zero digit
    /// would be dropped.
    // @inline(__always): measured. Left to itself the optimiser outlines this helper of `parse`, and the call
    // costs a third of a 10-character parse (gantry-perf-report: ~20 ns → see README).
    @inlinable @inline(__always)
    static func shifted(_ mantissa: UInt64, by shift: Int, scale: Int) throws(DecimalError) -> UInt64 {
        if mantissa == 0 || shift == 0 { return mantissa }
        if shift > 0 {
            guard shift < 20 else { throw .overflow }
            let (m, o) = mantissa.multipliedReportingOverflow(by: pow10(shift))
            if o { throw .overflow }
            return m
        }
        guard shift > -20 else { throw .tooManyDecimals(scale: scale) }
        let (q, r) = mantissa.quotientAndRemainder(dividingBy: pow10(-shift))
        guard r == 0 else { throw .tooManyDecimals(scale: scale) }
        return q
    }

    /// The magnitude with its sign, if it fits an `Int64`. - Throws: `.overflow`.
    // @inline(__always): measured. Left to itself the optimiser outlines this helper of `parse`, and the call
    // costs a third of a 10-character parse (gantry-perf-report: ~20 ns → see README).
    @inlinable @inline(__always)
    static func signed(_ magnitude: UInt64, negative: Bool) throws(DecimalError) -> Int64 {
        if negative {
            guard magnitude <= UInt64(Int64.max) &+ 1 else { throw .overflow }
            return Int64(truncatingIfNeeded: 0 &- magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw .overflow }
        return Int64(magnitude)
    }

    /// The general path of `parse`: signs, exponents, long digit strings and every error.
    @usableFromInline
    static func parseGeneral(_ p: UnsafePointer<UInt8>, count: Int, scale: Int) throws(DecimalError) -> Int64 {
        var i = 0
        var negative = false
        if p[0] == UInt8(ascii: "-") {
            negative = true
            i = 1
        } else if p[0] == UInt8(ascii: "+") {
            i = 1
        }
        var mantissa: UInt64 = 0
        var fractionDigits = 0  // digits after the point that are in `mantissa`
        var pendingZeros = 0  // zeros after the point not yet in `mantissa` (dropped if trailing)
        var integerDigits = 0
        var exponent = 0

        // Integer part: at least one digit.
        while i < count {
            let d = p[i] &- UInt8(ascii: "0")
            guard d < 10 else { break }
            mantissa = try appending(d, to: mantissa)
            integerDigits &+= 1
            i &+= 1
        }
        guard integerDigits > 0 else { throw .malformed(offset: i) }

        // Fraction: a point followed by at least one digit.
        if i < count && p[i] == UInt8(ascii: ".") {
            i &+= 1
            let start = i
            while i < count {
                let d = p[i] &- UInt8(ascii: "0")
                guard d < 10 else { break }
                if d == 0 {
                    pendingZeros &+= 1
                } else {
                    if pendingZeros > 0 {
                        guard pendingZeros < 20 else { throw .tooManyDecimals(scale: scale) }
                        let (m, o) = mantissa.multipliedReportingOverflow(by: pow10(pendingZeros))
                        if o { throw .overflow }
                        mantissa = m
                        fractionDigits &+= pendingZeros
                        pendingZeros = 0
                    }
                    mantissa = try appending(d, to: mantissa)
                    fractionDigits &+= 1
                }
                i &+= 1
            }
            guard i > start else { throw .malformed(offset: i) }
        }

        // Exponent: e or E, an optional sign, at least one digit.
        if i < count && (p[i] | 0x20) == UInt8(ascii: "e") {
            i &+= 1
            var exponentNegative = false
            if i < count && (p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+")) {
                exponentNegative = p[i] == UInt8(ascii: "-")
                i &+= 1
            }
            let start = i
            while i < count {
                let d = p[i] &- UInt8(ascii: "0")
                guard d < 10 else { break }
                // Saturate: any exponent past a few hundred is overflow or too many decimals anyway.
                if exponent < 10_000 { exponent = exponent &* 10 &+ Int(d) }
                i &+= 1
            }
            guard i > start else { throw .malformed(offset: i) }
            if exponentNegative { exponent = -exponent }
        }
        guard i == count else { throw .malformed(offset: i) }

        // Bring the mantissa to the requested scale: value = mantissa × 10^(exponent − fractionDigits).
        return try signed(try shifted(mantissa, by: scale &+ exponent &- fractionDigits, scale: scale), negative: negative)
    }

    /// Parses decimal text held in a `String`; see `parse(_:scale:)` for the grammar.
    /// - Throws: `DecimalError`.
    public static func parse(_ text: String, scale: Int) throws(DecimalError) -> Int64 {
        var text = text
        let result: Result<Int64, DecimalError> = text.withUTF8 { utf8 in
            do throws(DecimalError) {
                return .success(try parse(UnsafeRawBufferPointer(utf8), scale: scale))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The most bytes `format` writes: a sign, 19 digits, a point and one leading zero.
    public static let maxFormattedLength = 22

    /// Writes `raw / 10^scale` as decimal text, e.g. raw 12340 at scale 8 → `"0.00012340"`.
    /// - Parameters:
    ///   - raw: The mantissa.
    ///   - scale: Decimals, `0...maxScale`.
    ///   - trimTrailingZeros: Drop zeros at the end of the fraction (and the point, if nothing is left).
    ///   - buffer: At least `maxFormattedLength` bytes.
    /// - Returns: How many bytes were written.
    /// - Traps if the scale is out of range or the buffer is too small.
    @inlinable
    public static func format(
        _ raw: Int64, scale: Int, trimTrailingZeros: Bool = false, into buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        precondition(scale >= 0 && scale <= maxScale, "scale out of range")
        precondition(buffer.count >= maxFormattedLength, "format buffer too small")
        // Digits are produced backwards into a 20-byte scratch, then copied forwards.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &scratch) { digits in
            var magnitude = raw.magnitude
            var n = 0
            repeat {
                digits[n] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
                n &+= 1
            } while magnitude != 0 || n <= scale
            // digits[0..<n] are least significant first; at least scale+1 digits exist.
            var fractionEnd = 0  // digits[0..<fractionEnd] are trimmed zeros
            if trimTrailingZeros {
                while fractionEnd < scale && digits[fractionEnd] == UInt8(ascii: "0") { fractionEnd &+= 1 }
            }
            var out = 0
            if raw < 0 {
                buffer[0] = UInt8(ascii: "-")
                out = 1
            }
            var k = n &- 1
            while k >= scale {
                buffer[out] = digits[k]
                out &+= 1
                k &-= 1
            }
            if scale > fractionEnd {
                buffer[out] = UInt8(ascii: ".")
                out &+= 1
                while k >= fractionEnd {
                    buffer[out] = digits[k]
                    out &+= 1
                    k &-= 1
                }
            }
            return out
        }
    }

    /// The decimal text of `raw / 10^scale` as a `String` (allocates: not for the hot path).
    public static func string(_ raw: Int64, scale: Int, trimTrailingZeros: Bool = false) -> String {
        String(unsafeUninitializedCapacity: maxFormattedLength) { buffer in
            format(raw, scale: scale, trimTrailingZeros: trimTrailingZeros, into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// Converts a mantissa from one scale to another without losing digits.
    /// - Throws: `.tooManyDecimals` if a non-zero digit would be dropped, `.overflow` if it does not fit.
    @inlinable
    public static func rescale(_ raw: Int64, from: Int, to: Int) throws(DecimalError) -> Int64 {
        guard from >= 0 && from <= maxScale else { throw .scaleOutOfRange(from) }
        guard to >= 0 && to <= maxScale else { throw .scaleOutOfRange(to) }
        if to >= from {
            let (m, o) = raw.multipliedReportingOverflow(by: Int64(pow10(to - from)))
            if o { throw .overflow }
            return m
        }
        let (q, r) = raw.quotientAndRemainder(dividingBy: Int64(pow10(from - to)))
        guard r == 0 else { throw .tooManyDecimals(scale: to) }
        return q
    }
}

/// A scale for `FixedPoint.shortPrefix`, with what the reader derives from it (its power of ten, the fraction
/// bytes beyond it) worked out once: a level reader makes one per array, not one per decimal.
@frozen
public struct ShortScale: Sendable {
    public let scale: Int
    /// `10^scale`.
    @usableFromInline let factor: UInt64
    /// The bytes of a fraction word beyond the scale (which must be zeros).
    @usableFromInline let beyond: UInt64
    /// The short reader takes scales `0...8` only.
    @usableFromInline let usable: Bool

    @_transparent
    public init(_ scale: Int) {
        self.scale = scale
        usable = scale >= 0 && scale <= 8
        factor = usable ? FixedPoint.pow10(scale) : 1
        beyond = usable ? ~FixedPoint.lowBytes(scale) : 0
    }
}

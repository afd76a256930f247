import Testing
@testable import GantryCore

struct Case: Sendable, CustomTestStringConvertible {
    let text: String
    let scale: Int
    let expected: Int64
    var testDescription: String { "\"\(text)\" @\(scale) → \(expected)" }
}

struct Bad: Sendable, CustomTestStringConvertible {
    let text: String
    let scale: Int
    let error: DecimalError
    var testDescription: String { "\"\(text)\" @\(scale) → \(error)" }
}

struct Formatted: Sendable, CustomTestStringConvertible {
    let raw: Int64
    let scale: Int
    let full: String
    let trimmed: String
    var testDescription: String { "\(raw) @\(scale) → \(full)" }
}

@Suite("Fixed-point decimal parsing and formatting")
struct FixedPointTests {
    static let valid: [Case] = [
        Case(text: "0.00012340", scale: 8, expected: 12_340),
        Case(text: "-3.5", scale: 8, expected: -350_000_000),
        Case(text: "+12", scale: 2, expected: 1_200),
        Case(text: "0", scale: 0, expected: 0),
        Case(text: "-0", scale: 4, expected: 0),
        Case(text: "0.0", scale: 0, expected: 0),
        Case(text: "27123.45", scale: 2, expected: 2_712_345),
        Case(text: "27123.4500000000", scale: 2, expected: 2_712_345),  // trailing zeros beyond the scale
        Case(text: "1.00000000000000000000000000000", scale: 0, expected: 1),  // many trailing zeros
        Case(text: "97123.45000000", scale: 2, expected: 9_712_345),  // Binance's 8 decimals at a 2-decimal scale
        Case(text: "12345678901234567.800000000000", scale: 1, expected: 123_456_789_012_345_678),  // > 19 digits, zeros beyond
        Case(text: "0000123.4", scale: 1, expected: 1_234),  // leading zeros
        Case(text: "1e-5", scale: 8, expected: 1_000),
        Case(text: "1E-5", scale: 5, expected: 1),
        Case(text: "1.5e3", scale: 0, expected: 1_500),
        Case(text: "1.5E+3", scale: 2, expected: 150_000),
        Case(text: "-2.5e-1", scale: 3, expected: -250),
        Case(text: "12300e-2", scale: 0, expected: 123),
        Case(text: "0e400", scale: 8, expected: 0),  // zero with any exponent is zero
        Case(text: "9223372036854775807", scale: 0, expected: Int64.max),
        Case(text: "-9223372036854775808", scale: 0, expected: Int64.min),
        Case(text: "9.223372036854775807", scale: 18, expected: Int64.max),
        Case(text: "-9.223372036854775808", scale: 18, expected: Int64.min),
        Case(text: "0.000000000000000001", scale: 18, expected: 1),
        Case(text: "92233720368.54775807", scale: 8, expected: Int64.max),
    ]

    @Test("valid text parses to the exact mantissa", arguments: valid)
    func parsesValid(_ c: Case) throws {
        #expect(try FixedPoint.parse(c.text, scale: c.scale) == c.expected)
    }

    static let invalid: [Bad] = [
        Bad(text: "", scale: 2, error: .empty),
        Bad(text: "-", scale: 2, error: .malformed(offset: 1)),
        Bad(text: "+", scale: 2, error: .malformed(offset: 1)),
        Bad(text: ".5", scale: 2, error: .malformed(offset: 0)),
        Bad(text: "1.", scale: 2, error: .malformed(offset: 2)),
        Bad(text: "1.2.3", scale: 2, error: .malformed(offset: 3)),
        Bad(text: "1e", scale: 2, error: .malformed(offset: 2)),
        Bad(text: "1e+", scale: 2, error: .malformed(offset: 3)),
        Bad(text: "e5", scale: 2, error: .malformed(offset: 0)),
        Bad(text: " 1", scale: 2, error: .malformed(offset: 0)),
        Bad(text: "1 ", scale: 2, error: .malformed(offset: 1)),
        Bad(text: "+-1", scale: 2, error: .malformed(offset: 1)),
        Bad(text: "--1", scale: 2, error: .malformed(offset: 1)),
        Bad(text: "NaN", scale: 2, error: .malformed(offset: 0)),
        Bad(text: "Infinity", scale: 2, error: .malformed(offset: 0)),
        Bad(text: "0x10", scale: 0, error: .malformed(offset: 1)),
        Bad(text: "1,5", scale: 2, error: .malformed(offset: 1)),
        Bad(text: "\"1.5\"", scale: 2, error: .malformed(offset: 0)),
        Bad(text: "0.001", scale: 2, error: .tooManyDecimals(scale: 2)),
        Bad(text: "0.00012341", scale: 7, error: .tooManyDecimals(scale: 7)),
        Bad(text: "97123.45000001", scale: 2, error: .tooManyDecimals(scale: 2)),  // a digit after zeros beyond the scale
        Bad(text: "1.50x", scale: 1, error: .malformed(offset: 4)),
        Bad(text: "1e-9", scale: 8, error: .tooManyDecimals(scale: 8)),
        Bad(text: "1.0000000000000000000000001", scale: 8, error: .tooManyDecimals(scale: 8)),
        Bad(text: "9223372036854775808", scale: 0, error: .overflow),
        Bad(text: "-9223372036854775809", scale: 0, error: .overflow),
        Bad(text: "92233720368.54775808", scale: 8, error: .overflow),
        Bad(text: "100000000000", scale: 8, error: .overflow),
        Bad(text: "99999999999999999999999", scale: 0, error: .overflow),
        Bad(text: "1e19", scale: 0, error: .overflow),
        Bad(text: "1e400", scale: 0, error: .overflow),
        Bad(text: "1", scale: 19, error: .scaleOutOfRange(19)),
        Bad(text: "1", scale: -1, error: .scaleOutOfRange(-1)),
    ]

    @Test("invalid text gives the typed error that names the problem", arguments: invalid)
    func rejectsInvalid(_ c: Bad) {
        #expect(throws: c.error) { try FixedPoint.parse(c.text, scale: c.scale) }
    }

    @Test("every prefix of a valid number either parses or throws, never traps")
    func prefixesNeverTrap() {
        for text in ["-27123.4500e-3", "0.00012340", "9223372036854775807"] {
            let bytes = Array(text.utf8)
            for end in 0...bytes.count {
                _ = try? bytes[0..<end].withUnsafeBytes { try FixedPoint.parse($0, scale: 8) }
            }
        }
    }

    static let formats: [Formatted] = [
        Formatted(raw: 12_340, scale: 8, full: "0.00012340", trimmed: "0.0001234"),
        Formatted(raw: -350_000_000, scale: 8, full: "-3.50000000", trimmed: "-3.5"),
        Formatted(raw: 0, scale: 0, full: "0", trimmed: "0"),
        Formatted(raw: 0, scale: 3, full: "0.000", trimmed: "0"),
        Formatted(raw: 100, scale: 2, full: "1.00", trimmed: "1"),
        Formatted(raw: Int64.max, scale: 0, full: "9223372036854775807", trimmed: "9223372036854775807"),
        Formatted(raw: Int64.min, scale: 0, full: "-9223372036854775808", trimmed: "-9223372036854775808"),
        Formatted(raw: Int64.min, scale: 18, full: "-9.223372036854775808", trimmed: "-9.223372036854775808"),
        Formatted(raw: -1, scale: 18, full: "-0.000000000000000001", trimmed: "-0.000000000000000001"),
    ]

    @Test("formatting writes the exact decimal text", arguments: formats)
    func formatsExactly(_ f: Formatted) {
        #expect(FixedPoint.string(f.raw, scale: f.scale) == f.full)
        #expect(FixedPoint.string(f.raw, scale: f.scale, trimTrailingZeros: true) == f.trimmed)
    }

    @Test("format then parse returns the same mantissa for a million random values at every scale")
    func roundTripProperty() throws {
        var rng = SplitMix64(seed: 0x6A6E_7472_79)
        var buffer = [UInt8](repeating: 0, count: FixedPoint.maxFormattedLength)
        for i in 0..<1_000_000 {
            // Mix full-range values with small ones, where most venue prices live.
            let raw: Int64 = i % 3 == 0 ? Int64(bitPattern: rng.next()) : Int64(bitPattern: rng.next()) >> (rng.next() % 63)
            let scale = Int(rng.next() % UInt64(FixedPoint.maxScale + 1))
            let trim = i % 2 == 0
            let n = buffer.withUnsafeMutableBytes { FixedPoint.format(raw, scale: scale, trimTrailingZeros: trim, into: $0) }
            let back = try buffer[0..<n].withUnsafeBytes { try FixedPoint.parse($0, scale: scale) }
            if back != raw {
                Issue.record("round trip failed: \(raw) @\(scale) → \(String(decoding: buffer[0..<n], as: UTF8.self))")
                return
            }
        }
    }

    @Test("parsing is exact where Double is not: 0.1 + 0.2 == 0.3")
    func exactWhereDoubleIsNot() throws {
        let a = try FixedPoint.parse("0.1", scale: 8)
        let b = try FixedPoint.parse("0.2", scale: 8)
        #expect(a + b == (try FixedPoint.parse("0.3", scale: 8)))
    }

    @Test("rescaling keeps exact values and refuses to drop digits")
    func rescale() throws {
        #expect(try FixedPoint.rescale(150, from: 2, to: 8) == 150_000_000)
        #expect(try FixedPoint.rescale(150_000_000, from: 8, to: 2) == 150)
        #expect(throws: DecimalError.tooManyDecimals(scale: 2)) { try FixedPoint.rescale(150_000_001, from: 8, to: 2) }
        #expect(throws: DecimalError.overflow) { try FixedPoint.rescale(Int64.max / 10, from: 0, to: 2) }
    }
}

/// A small deterministic generator for property tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Eight-digit runs")
struct DigitRunTests {
    @Test("every run of 0 to 8 digits, at every offset of texts shorter and longer than 8 bytes, is read exactly")
    func runs() {
        for length in 1...20 {
            for start in 0..<length {
                for digits in 0...min(8, length - start) {
                    // digits, then a non-digit, padded with more digits that must not be taken.
                    var text = [UInt8](repeating: UInt8(ascii: "7"), count: length)
                    var expected: UInt64 = 0
                    for k in 0..<digits {
                        let d = UInt8((start * 7 + k * 3 + length) % 10)
                        text[start + k] = UInt8(ascii: "0") + d
                        expected = expected * 10 + UInt64(d)
                    }
                    if start + digits < length { text[start + digits] = UInt8(ascii: ".") }
                    let (value, n) = text.withUnsafeBufferPointer { FixedPoint.digitRun($0.baseAddress!, from: start, count: length) }
                    let expectedCount = start + digits < length ? digits : min(8, length - start)
                    #expect(n == expectedCount, "length \(length) start \(start) digits \(digits)")
                    if n == digits { #expect(value == expected, "length \(length) start \(start) digits \(digits)") }
                }
            }
        }
    }
}

@Suite("Decimals read where they lie")
struct DecimalPrefixTests {
    /// A random decimal text as venues might send it: 0–10 integer digits, maybe a point, 0–12 decimals (often
    /// padded with zeros, as Binance pads to eight), sometimes a stray byte.
    static func randomText(_ rng: inout SplitMix64) -> [UInt8] {
        var text: [UInt8] = []
        let integerDigits = Int(rng.next() % 11)
        for _ in 0..<integerDigits { text.append(UInt8(ascii: "0") + UInt8(rng.next() % 10)) }
        if rng.next() % 5 != 0 {
            text.append(UInt8(ascii: "."))
            let significant = Int(rng.next() % 9)
            for _ in 0..<significant { text.append(UInt8(ascii: "0") + UInt8(rng.next() % 10)) }
            for _ in 0..<Int(rng.next() % 5) { text.append(UInt8(ascii: "0")) }
        }
        if rng.next() % 17 == 0 { text.insert(UInt8(ascii: "e"), at: Int(rng.next() % UInt64(text.count + 1))) }
        return text
    }

    @Test("the quick paths agree with the full grammar on 300,000 random quoted decimals, at every scale")
    func quickPathsAgreeWithGrammar() {
        var rng = SplitMix64(seed: 0x5157_4f52_54)
        var wordTaken = 0
        var vectorTaken = 0
        defer {
            // Each reader takes a good share of the numbers (a reader that refused everything would pass the
            // comparisons above).
            #expect(wordTaken > 30_000, "the word reader took \(wordTaken)")
            #if GANTRY_DECIMAL16
            #expect(vectorTaken > 50_000, "the vector reader took \(vectorTaken)")
            #endif
        }
        for _ in 0..<300_000 {
            let text = Self.randomText(&rng)
            let scale = Int(rng.next() % UInt64(FixedPoint.maxScale + 1))
            // The closing quote, then digits that must never be taken, then sometimes the message's end.
            var message = text + [UInt8(ascii: "\"")]
            message += [UInt8](repeating: UInt8(ascii: "9"), count: Int(rng.next() % 20))
            // The reference is the general grammar alone (`parse` itself takes the quick readers first).
            let expected: Int64? = text.isEmpty ? nil : text.withUnsafeBufferPointer { b in
                try? FixedPoint.parseGeneral(b.baseAddress!, count: b.count, scale: scale)
            }
            // `parse` on the text alone (shorter than 16 bytes: padded in registers) and with a sign.
            let parsed: Int64? = text.isEmpty ? nil : text.withUnsafeBytes { try? FixedPoint.parse($0, scale: scale) }
            #expect(parsed == expected, "parse \(String(decoding: text, as: UTF8.self)) @\(scale)")
            if let expected, text.first != UInt8(ascii: "-") && text.first != UInt8(ascii: "+") {
                let negated: Int64? = ([UInt8(ascii: "-")] + text).withUnsafeBytes { try? FixedPoint.parse($0, scale: scale) }
                #expect(negated == -expected, "parse -\(String(decoding: text, as: UTF8.self)) @\(scale)")
            }
            let name = String(decoding: text, as: UTF8.self) + " @\(scale)"
            message.withUnsafeBufferPointer { b in
                let p = b.baseAddress!
                // A prefix that stops before the quote is left to the caller's full grammar; one that reaches
                // it must be the exact value.
                if let (value, next) = FixedPoint.shortPrefix(p, from: 0, end: b.count, scale: scale) {
                    #expect(next <= text.count, "shortPrefix \(name) read past the quote")
                    if next == text.count { #expect(value == expected, "shortPrefix \(name) → \(value)") }
                }
                // Both readers behind it, each on its own (the build uses one or the other for a given number).
                if let (value, next) = FixedPoint.wordPrefix(p, from: 0, end: b.count, scale: ShortScale(scale)) {
                    #expect(next <= text.count, "wordPrefix \(name) read past the quote")
                    if next == text.count {
                        #expect(value == expected, "wordPrefix \(name) → \(value)")
                        wordTaken += 1
                    }
                }
                #if GANTRY_DECIMAL16
                if b.count >= 16, let (value, next) = FixedPoint.vectorPrefix(p, from: 0, scale: ShortScale(scale)) {
                    #expect(next <= text.count, "vectorPrefix \(name) read past the quote")
                    if next == text.count {
                        #expect(value == expected, "vectorPrefix \(name) → \(value)")
                        vectorTaken += 1
                    }
                }
                #endif
                if let (value, next) = FixedPoint.unsignedPrefix(p, from: 0, end: b.count, scale: scale), next == text.count {
                    #expect(value == expected, "unsignedPrefix \(name) → \(value)")
                } else if let expected, expected >= 0, text.first != UInt8(ascii: "+") {
                    // The general path must have a reason: an exponent, over 19 digits, or a non-zero digit beyond the scale.
                    let digits = text.filter { $0 != UInt8(ascii: ".") }.count
                    #expect(text.contains(UInt8(ascii: "e")) || digits > 19 || text.last == UInt8(ascii: "."), "\(name) = \(expected) not read")
                }
            }
        }
    }

    #if GANTRY_DECIMAL16
    @Test("the vector step: its limits (14 integer digits, 16 kept, the end within 16 bytes) and zeros beyond the scale")
    func vectorStepLimits() {
        func read(_ s: String, _ scale: Int) -> (Int64, Int)? {
            // Padded to 32 bytes with digits that must never be taken.
            let bytes = Array(s.utf8) + Array(repeating: UInt8(ascii: "7"), count: 32)
            return bytes.withUnsafeBufferPointer { FixedPoint.vectorPrefix($0.baseAddress!, from: 0, scale: ShortScale(scale)).map { ($0.0, $0.next) } }
        }
        #expect(read(#"97123.45000000""#, 2)! == (9_712_345, 14))
        #expect(read(#"0.12300000""#, 8)! == (12_300_000, 10))
        #expect(read(#"0.5""#, 8)! == (50_000_000, 3))
        #expect(read(#"12""#, 8)! == (1_200_000_000, 2))
        #expect(read(#"12,"#, 0)! == (12, 2))
        #expect(read(#"12345678901234""#, 2)! == (1_234_567_890_123_400, 14))
        #expect(read(#"123456789012345""#, 0) == nil, "15 integer digits")
        #expect(read(#"1234.5678901234""#, 12)! == (1_234_567_890_123_400, 15))
        #expect(read(#"12345.5678901234""#, 11) == nil, "the number may go on past 16 bytes")
        #expect(read(#"1.000000000000""#, 15)! == (1_000_000_000_000_000, 14))
        #expect(read(#"1.000000000000""#, 16) == nil, "17 digits kept")
        #expect(read(#"12.5""#, 15) == nil, "17 digits kept")
        #expect(read(#"1.5""#, 18) == nil)
        #expect(read(#"1.5""#, -1) == nil)
        #expect(read(#"1.50000""#, 1)! == (15, 7))
        #expect(read(#"1.50001""#, 1) == nil, "a non-zero decimal beyond the scale")
        #expect(read(#"1.5e3""#, 2)! == (150, 3), "stops at the exponent for the caller to see")
        #expect(read(#"1.""#, 2) == nil)
        #expect(read(#".5""#, 2) == nil)
        #expect(read(#"-1""#, 2) == nil)
        #expect(read(#"""#, 2) == nil)
    }
    #endif

    @Test("integers are read eight digits at a time, up to 19 digits, and refused beyond")
    func integers() {
        func read(_ s: String) -> (UInt64, Int)? {
            let bytes = Array(s.utf8)
            return bytes.withUnsafeBufferPointer { FixedPoint.unsignedInteger($0.baseAddress!, from: 0, end: $0.count).map { ($0.0, $0.next) } }
        }
        #expect(read("1764000000000,")! == (1_764_000_000_000, 13))
        #expect(read("0}")! == (0, 1))
        #expect(read("12345678")! == (12_345_678, 8))
        #expect(read("9999999999999999999,")! == (9_999_999_999_999_999_999, 19))
        #expect(read("18446744073709551615,") == nil)  // 20 digits
        #expect(read(",1") == nil)
        #expect(read("") == nil)
    }

    @Test("integers of every length agree with the standard library, with and without sixteen bytes to read")
    func randomIntegers() {
        var rng = SplitMix64(seed: 0x696E_7473)
        let stops: [UInt8] = Array(",}]\" e.-".utf8)
        for _ in 0..<100_000 {
            let digits = (0..<Int(rng.next() % 22)).map { _ in UInt8(ascii: "0") + UInt8(rng.next() % 10) }
            // A stop byte, then sometimes more bytes (digits too), so both the two-load path and the loop run.
            var bytes = digits + [stops[Int(rng.next() % UInt64(stops.count))]]
            bytes += (0..<Int(rng.next() % 20)).map { _ in UInt8(ascii: "0") + UInt8(rng.next() % 10) }
            let text = String(decoding: digits, as: UTF8.self)
            let expected: UInt64? = digits.isEmpty || digits.count > 19 ? nil : UInt64(text)
            let got = bytes.withUnsafeBufferPointer { FixedPoint.unsignedInteger($0.baseAddress!, from: 0, end: $0.count) }
            #expect(got?.0 == expected, "\(text)")
            if let got { #expect(got.next == digits.count, "\(text) stopped at \(got.next)") }
        }
    }
}

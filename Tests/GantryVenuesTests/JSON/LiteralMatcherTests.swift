import Testing

@testable import GantryVenues

@Suite("Literal matcher")
struct LiteralMatcherTests {
    @Test("an integer read backwards eight bytes at a time starts where a byte-by-byte walk finds it, or is refused as it is")
    func integerBefore() {
        // Digits, the bytes just below '0' and above '9' (a borrow or carry must not fake or hide a digit),
        // white space, a sign, and bytes with the high bit set, some of whose low seven bits are digits.
        let alphabet: [UInt8] = Array(#"0123456789/:,-" }"#.utf8) + [0x00, 0x2F, 0x3A, 0x7F, 0x80, 0xB0, 0xB9, 0xFF]
        var state: UInt64 = 0x6265_666F_7265
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var found = 0
        for _ in 0..<200_000 {
            // Mostly digits, so that runs of every length up to past 19 occur, cut anywhere in a word.
            let count = next() % 40
            let bytes = (0..<count).map { _ in next() % 4 == 0 ? alphabet[next() % alphabet.count] : UInt8(0x30 + next() % 10) }
            let forward = count == 0 ? 0 : next() % (count + 1)
            let j = forward + (count == forward ? 0 : next() % (count - forward + 1))
            bytes.withUnsafeBytes { b in
                var m = LiteralMatcher(b) ?? LiteralMatcher(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: 8), count: 0))!
                m.i = forward
                // The reference: walk back over digits one byte at a time, not before `forward`, at most 19.
                var k = j
                while k > forward && bytes[k - 1] >= 0x30 && bytes[k - 1] <= 0x39 { k -= 1 }
                var expected: (UInt64, Int)? = nil
                if k < j && j - k <= 19, let value = UInt64(String(decoding: bytes[k..<j], as: UTF8.self)) {
                    expected = (value, k)
                }
                let got = m.integer(before: j)
                #expect(got?.0 == expected?.0 && got?.start == expected?.1, "\(bytes) before \(j) from \(forward)")
                if got != nil { found += 1 }
            }
        }
        #expect(found > 50_000)
    }
}

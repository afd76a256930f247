import Testing

@testable import GantryVenues

@Suite("Byte cursor")
struct ByteCursorTests {
    @Test("a string's end is found eight bytes at a time exactly where a byte-by-byte search finds it")
    func stringEnd() {
        // Quotes, backslashes and bytes one away from them (a borrow or carry must not fake a match).
        let alphabet: [UInt8] = Array(#"a"\!#[]01"#.utf8) + [0x21, 0x23, 0x5B, 0x5D, 0x00, 0xFF, 0xA2, 0xDC]
        var state: UInt64 = 0x7374_7269_6E67
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        for _ in 0..<200_000 {
            // Mostly plain bytes, so that matches land anywhere in a word, and some messages with none at all.
            let count = next() % 40
            let bytes = (0..<count).map { _ in next() % 6 == 0 ? alphabet[next() % alphabet.count] : UInt8(ascii: "x") }
            let start = count == 0 ? 0 : next() % (count + 1)
            bytes.withUnsafeBufferPointer { b in
                let p = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
                var expected: (Int, Bool)?
                for k in start..<count where bytes[k] == 0x22 || bytes[k] == 0x5C {
                    expected = (k, bytes[k] == 0x5C)
                    break
                }
                let got = ByteCursor.plainStringEnd(p, from: start, end: count)
                #expect(got?.at == expected?.0 && got?.escaped == expected?.1, "\(bytes) from \(start)")
            }
        }
    }
}

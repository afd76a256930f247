import Testing

@testable import GantryVenues

@Suite("Decimal text for the Kraken checksum")
struct DecimalTextTests {
    @Test("the digits written a word at a time are the standard library's, at every length from 1 to 20")
    func digits() {
        var state: UInt64 = 0x6B72_616B
        var values: [UInt64] = [0, 1, 9, 10, 99, 100, 99_999_999, 100_000_000, 9_999_999_999_999_999, 10_000_000_000_000_000, UInt64.max]
        for _ in 0..<100_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Every length equally often: a random value cut to a random number of digits.
            let length = Int(state >> 59) % 20 + 1
            var v = state ^ (state >> 29)
            if length < 20 { v %= (0..<length).reduce(UInt64(1)) { p, _ in p * 10 } }
            values.append(v)
        }
        var buffer = [UInt8](repeating: 0, count: 32)
        for v in values {
            let text = buffer.withUnsafeMutableBytes { b in
                let n = DecimalText.write(v, to: b.baseAddress!)
                return String(decoding: b[0..<n], as: UTF8.self)
            }
            #expect(text == String(v))
        }
    }
}

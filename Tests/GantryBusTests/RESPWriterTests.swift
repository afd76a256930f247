import Testing

@testable import GantryBus

@Suite("RESP writer")
struct RESPWriterTests {
    @Test("a command is an array of bulk strings, binary bytes and decimals as they are")
    func command() {
        var w = RESPWriter(capacity: 8)  // grows as it goes
        w.command(arguments: 4)
        w.bulk("XADD")
        w.bulk([0, 13, 10, 255])
        w.bulk(decimal: 0)
        w.bulk(decimal: UInt64.max)
        let expected = Array("*4\r\n$4\r\nXADD\r\n$4\r\n".utf8) + [0, 13, 10, 255] + Array("\r\n$1\r\n0\r\n$20\r\n18446744073709551615\r\n".utf8)
        #expect(Array(w.bytes) == expected)
        w.reset()
        #expect(w.bytes.isEmpty)
    }

    @Test("decimals parse back, and anything not an unsigned 64-bit decimal is refused", arguments: [
        ("0", UInt64(0)), ("42", 42), ("18446744073709551615", UInt64.max), ("18446744073709551616", nil), ("", nil), ("-1", nil),
        ("1a", nil), (" 1", nil),
    ] as [(String, UInt64?)])
    func decimals(text: String, value: UInt64?) {
        #expect(Array(text.utf8).withUnsafeBytes { parseDecimal($0) } == value)
    }
}

@testable import GantryVenues
import Testing

@Suite("JSON cursor")
struct JSONCursorTests {
    /// Skips the value at the start of `text`; returns where it ended, or nil if it was refused.
    func skip(_ text: String) -> Int? {
        Array(text.utf8).withUnsafeBytes { bytes in
            var s = JSONCursor(bytes)
            do throws(DecodeError) {
                try s.skipValue()
                return s.offset
            } catch { return nil }
        }
    }

    @Test("the cursor is the message, its pointer and end, and the offset: five words")
    func size() {
        #expect(MemoryLayout<JSONCursor>.size == 40)
    }

    @Test("well-formed values are stepped over whole, white space, escapes and nesting included")
    func wellFormed() {
        for text in [
            #"{}"#, #"[]"#, #"{"a":1}"#, #"[1,2.5e-3,-4]"#, #"{ "a" : [ { "b" : "x\"}]" } , null , true ] , "c":false }"#,
            #"[[[[]]],{"k":{}},"\\",-0.0]"#, #""str""#, #"12"#, #"null"#,
        ] {
            #expect(skip(text + ",9") == text.utf8.count, "\(text)")
        }
    }

    @Test("containers that are not JSON are refused, whatever their brackets")
    func refused() {
        for text in [
            #"{"a":452y}"#, #"[1 2]"#, #"{"a" 1}"#, #"{"a":1,}"#, #"[1,]"#, #"{1:2}"#, #"[nul]"#, #"{"a":}"#, #"[}"#,
            #"{"a":[1,2}"#, #"["#, #"{"a":1"#, String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
        ] {
            #expect(skip(text + ",9") == nil, "\(text)")
        }
    }

    @Test("a Kraken v2 push whose unread items are not JSON is refused by both reads (a fuzzer's find)")
    func krakenUnreadItems() throws {
        let text = #"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":45283.4,"qty":1.5}],"asksXce":45285.2,"qty":0.001},{"price":452y,"checksum":3310070434}]}"#
        Array(text.utf8).withUnsafeBytes { bytes in
            #expect(throws: DecodeError.self) { try KrakenV2.decodeBookInFull(bytes) }
            if let quick = KrakenV2.quickBook(bytes) {
                #expect(throws: DecodeError.self) { try quick.forEachLevel(priceScale: 1, quantityScale: 8) { _, _, _ in } }
            }
        }
    }

    @Test("a string with escapes ends at the first quote that no backslash escapes; its escapes are kept as sent")
    func escapedStrings() {
        for (text, content) in [
            (#""a\"b""#, #"a\"b"#), (#""a\\""#, #"a\\"#), (#""\\\"""#, #"\\\""#), (#""x\u0022y\n\/""#, #"x\u0022y\n\/"#),
            (#""0123456789\"0123456789\\""#, #"0123456789\"0123456789\\"#),
        ] {
            Array((text + ",").utf8).withUnsafeBytes { bytes in
                var c = JSONCursor(bytes)
                #expect((try? c.string()).map { String(decoding: $0, as: UTF8.self) } == content, "\(text)")
                #expect(c.offset == text.utf8.count, "\(text)")
            }
        }
        for text in [#""abc\""#, #""abc\"#, #""abc\\\""#, #""abc"#] {
            Array(text.utf8).withUnsafeBytes { bytes in
                var c = JSONCursor(bytes)
                #expect(throws: DecodeError.truncated, "\(text)") { _ = try c.string() }
            }
        }
    }

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
                let got = JSONCursor.plainStringEnd(p, from: start, end: count)
                #expect(got?.at == expected?.0 && got?.escaped == expected?.1, "\(bytes) from \(start)")
            }
        }
    }
}

@testable import GantryVenues
import Testing

@Suite("Skipping a value checks its grammar")
struct SkipValueTests {
    /// Skips the value at the start of `text`; returns where it ended, or nil if it was refused.
    func skip(_ text: String) -> Int? {
        Array(text.utf8).withUnsafeBytes { bytes in
            var s = JSONScanner(bytes)
            do throws(DecodeError) {
                try s.skipValue()
                return s.offset
            } catch { return nil }
        }
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
}

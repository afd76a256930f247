import GantryCore
import Testing

@Suite("Hex")
struct HexTests {
    @Test("bytes are two lower-case digits each, most significant first (RFC 4648 §10's base16 vectors)")
    func vectors() {
        let vectors = [("", ""), ("f", "66"), ("fo", "666f"), ("foo", "666f6f"), ("foob", "666f6f62"), ("fooba", "666f6f6261"), ("foobar", "666f6f626172")]
        for (plain, encoded) in vectors {
            #expect(Hex.encode(Array(plain.utf8)) == encoded)
            #expect(Hex.decode(encoded.utf8) == Array(plain.utf8))
            #expect(Hex.decode(encoded.uppercased().utf8) == Array(plain.utf8))
        }
        #expect(Hex.encode([0x00, 0x0F, 0xA0, 0xFF]) == "000fa0ff")
    }

    @Test("every byte value survives a round trip")
    func roundTrip() {
        let all = (0...255).map { UInt8($0) }
        let text = Hex.encode(all)
        #expect(text.utf8.count == 512 && Hex.decode(text.utf8) == all)
        for b in all { #expect(Hex.value(Hex.digit(b)) == b & 15) }
    }

    @Test("an integer's low digits, zero-padded, for fixed-width fields")
    func integers() {
        #expect(Hex.encode(0xAB, digits: 4) == "00ab")
        #expect(Hex.encode(0x1234_5678_9ABC_DEF0, digits: 3) == "ef0")
        #expect(Hex.encode(.max, digits: 16) == "ffffffffffffffff")
        #expect(Hex.encode(0, digits: 1) == "0")
    }

    @Test("an odd length or a character that is not a hex digit is refused")
    func refused() {
        for text in ["0", "abc", "0g", "+f", " 0", "0x"] { #expect(Hex.decode(text.utf8) == nil, "\(text)") }
    }
}

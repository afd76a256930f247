import GantryCore
import Testing

@Suite("Base64, standard and URL-safe")
struct Base64Tests {
    /// RFC 4648 §10.
    static let vectors = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]

    @Test("the standard encoding matches RFC 4648's test vectors both ways")
    func rfcVectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8), "\(encoded)")
        }
    }

    @Test("the URL-safe encoding is the standard one without padding, with - and _ for + and /")
    func urlVectors() {
        for (plain, encoded) in Self.vectors {
            let unpadded = String(encoded.prefix { $0 != "=" })
            #expect(Base64.encode(Array(plain.utf8), .url) == unpadded)
            #expect(Base64.decode(unpadded, .url) == Array(plain.utf8), "\(unpadded)")
        }
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
        #expect(Base64.encode([0xFB, 0xFF, 0xBF], .url) == "-_-_")
        #expect(Base64.decode("-_-_", .url) == [0xFB, 0xFF, 0xBF] && Base64.decode("+/+/") == [0xFB, 0xFF, 0xBF])
    }

    @Test("every length and byte value survives a round trip in both variants")
    func roundTrips() {
        var state: UInt64 = 0x6261_7365_3634
        for count in 0..<200 {
            let bytes = (0..<count).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            #expect(Base64.decode(Base64.encode(bytes, .url), .url) == bytes)
        }
        let all = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encode(all)) == all && Base64.decode(Base64.encode(all, .url), .url) == all)
    }

    @Test("text that is not base64 of the variant is refused")
    func refused() {
        // Standard: padding missing, misplaced or too long; a URL-safe character; white space; bits left over.
        for text in ["Zg", "Zg=", "Zm8", "Z===", "Zg=a", "=Zg=", "Zm9v====", "-_-_", "Zm9v\n", "Zh==", "Zm9=", "a"] {
            #expect(Base64.decode(text) == nil, "\(text)")
        }
        // URL-safe: padding, a standard-only character, an impossible length, bits left over.
        for text in ["Zg==", "Zm8=", "+/+/", "a+", "a", "Zm9vY", "Zh", "Zm9"] {
            #expect(Base64.decode(text, .url) == nil, "\(text)")
        }
    }
}

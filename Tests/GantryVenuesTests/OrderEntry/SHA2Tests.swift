import GantryCore
import GantryVenues
import Testing

/// Hex text of bytes (tests).
func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }

@Suite("SHA-256, SHA-512 and HMAC in Swift: FIPS 180-4 and RFC 4231 vectors, and agreement with OpenSSL")
struct SHA2Tests {
    @Test("FIPS 180-4's examples: \"abc\", the empty message and the 448-bit two-block message")
    func fipsDigests() {
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            hex(SHA512.hash(Array("abc".utf8)))
                == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
        #expect(
            hex(SHA512.hash([]))
                == "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")
    }

    /// RFC 4231 §4: test cases 1, 2, 3, 6 and 7 (key, data, HMAC-SHA-256, HMAC-SHA-512).
    static let rfc4231: [([UInt8], [UInt8], String, String)] = [
        (
            [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"
        ),
        (
            Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        ),
        (
            [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131),
            Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"
        ),
    ]

    @Test("RFC 4231's HMAC-SHA-256 and HMAC-SHA-512 vectors, keys shorter and longer than a block")
    func rfc4231Vectors() {
        for (key, data, sha256, sha512) in Self.rfc4231 {
            #expect(hex(key.withUnsafeBytes { HMACSHA256Key(key: $0) }.authenticate(data)) == sha256)
            #expect(hex(key.withUnsafeBytes { HMACSHA512Key(key: $0) }.authenticate(data)) == sha512)
        }
    }

    @Test("every length from 0 to 300 bytes and every key length to 200 agree with OpenSSL's HMAC and SHA-256")
    func agreesWithOpenSSL() {
        var rng = SplitMix(seed: 7)
        for length in 0...300 {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let key = (0..<(length % 201)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let k256 = key.withUnsafeBytes { HMACSHA256Key(key: $0) }
            let k512 = key.withUnsafeBytes { HMACSHA512Key(key: $0) }
            #expect(k256.authenticate(data) == Crypto.hmacSHA256(key: key, data), "length \(length)")
            #expect(k512.authenticate(data) == Crypto.hmacSHA512(key: key, data), "length \(length)")
            #expect(SHA256.hash(data) == Crypto.sha256(data), "length \(length)")
        }
    }

    @Test("a MAC fed in parts, split at every offset, equals the MAC of the whole")
    func splitUpdates() {
        let data = Array("the quick brown fox jumps over the lazy dog, twice over: the quick brown fox jumps over the lazy dog".utf8)
        let key = HMACSHA256Key(VenueSecret(text: "secret"))
        let whole = key.authenticate(data)
        for cut in 0...data.count {
            var mac = key.start()
            data.withUnsafeBytes { b in
                mac.update(UnsafeRawBufferPointer(rebasing: b[0..<cut]))
                mac.update(UnsafeRawBufferPointer(rebasing: b[cut...]))
            }
            var out = [UInt8](repeating: 0, count: 32)
            out.withUnsafeMutableBytes { mac.finish(into: $0.baseAddress!) }
            #expect(out == whole, "cut at \(cut)")
        }
    }
}

/// A seeded generator (tests repeat exactly).
struct SplitMix: RandomNumberGenerator {
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

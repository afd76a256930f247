import Foundation
import GantryCore
import GantryVenues
import Testing

@Suite("ES256 (ECDSA P-256, SHA-256) and Coinbase's JWTs")
struct ES256Tests {
    /// RFC 7515 Appendix A.3's public key (JWK x, y) as a PEM SubjectPublicKeyInfo.
    static func rfcPublicKey() -> String {
        let x = Base64.decode("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", .url)!
        let y = Base64.decode("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", .url)!
        // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING 04 ‖ x ‖ y }
        let prefix: [UInt8] = [0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04]
        return "-----BEGIN PUBLIC KEY-----\n" + Data(prefix + x + y).base64EncodedString(options: .lineLength64Characters) + "\n-----END PUBLIC KEY-----\n"
    }

    @Test("RFC 7515 A.3's ES256 example verifies; one changed byte does not")
    func rfcExample() throws {
        let key = try ES256Key(publicKeyPEM: Self.rfcPublicKey())
        let token = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
        let parts = try #require(CoinbaseJWT.parts(token))
        #expect(parts.header == #"{"alg":"ES256"}"#)
        #expect(parts.signed(by: key))
        var tampered = parts
        tampered.signingInput[tampered.signingInput.count - 1] ^= 1
        #expect(!tampered.signed(by: key))
    }

    @Test("a generated key signs and verifies; the PEM round trip keeps it; another key does not verify")
    func roundTrip() throws {
        let key = ES256Key.generate()
        let message = Array("hello".utf8)
        let signature = try key.sign(message)
        #expect(signature.count == 64 && key.verify(signature, message))
        let again = try ES256Key(privateKeyPEM: try #require(key.privateKeyPEM))
        let publicOnly = try ES256Key(publicKeyPEM: key.publicKeyPEM)
        #expect(publicOnly.verify(try again.sign(message), message) && !publicOnly.isPrivate)
        #expect(throws: VenueCryptoError.signingFailed) { try publicOnly.sign(message) }
        #expect(!ES256Key.generate().verify(signature, message))
        #expect(throws: VenueCryptoError.badKey("not a PEM public key")) { try ES256Key(publicKeyPEM: "nope") }
    }

    @Test("Coinbase JWT: ES256 header with kid and nonce, cdp claims with a two-minute life and the request's uri")
    func coinbaseToken() throws {
        let key = ES256Key.generate()
        let token = try CoinbaseJWT.make(
            keyName: "organizations/o1/apiKeys/k1", key: key, uri: "POST api.coinbase.com/api/v3/brokerage/orders", now: 1_700_000_000,
            nonce: [0xAB, 0x01])
        let parts = try #require(CoinbaseJWT.parts(token))
        #expect(parts.header == #"{"alg":"ES256","kid":"organizations/o1/apiKeys/k1","nonce":"ab01","typ":"JWT"}"#)
        #expect(parts.claims == #"{"iss":"cdp","nbf":1700000000,"exp":1700000120,"sub":"organizations/o1/apiKeys/k1","uri":"POST api.coinbase.com/api/v3/brokerage/orders"}"#)
        #expect(parts.signed(by: try ES256Key(publicKeyPEM: key.publicKeyPEM)))
    }
}

// Every OpenSSL call of GantryVenues passes through this file: HMAC-SHA256 (Binance) and ES256 (Coinbase).
import COpenSSL

/// HMAC-SHA256, for the venues that sign with a shared secret (Binance and Bybit as hex, OKX as base64).
public enum Crypto {
    /// The 32-byte HMAC-SHA256 of `data` under `key`.
    public static func hmacSHA256(key: [UInt8], _ data: [UInt8]) -> [UInt8] { hmac(EVP_sha256(), size: 32, key: key, data) }

    /// The 64-byte HMAC-SHA512 of `data` under `key` (Kraken).
    public static func hmacSHA512(key: [UInt8], _ data: [UInt8]) -> [UInt8] { hmac(EVP_sha512(), size: 64, key: key, data) }

    /// The HMAC of `data` under `key` with `digest`, whose output is `size` bytes.
    static func hmac(_ digest: OpaquePointer?, size: Int, key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var length: UInt32 = 0
        key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                _ = HMAC(digest, k.baseAddress, Int32(k.count), d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count, &out, &length)
            }
        }
        return Array(out.prefix(Int(length)))
    }

    /// The SHA-256 digest of `data`.
    public static func sha256(_ data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha256(), nil) }
        precondition(ok == 1 && length == 32, "OpenSSL SHA-256 failed")
        return digest
    }
}

/// Why a key could not be loaded or used.
public enum VenueCryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    case badKey(String)
    case signingFailed

    public var description: String {
        switch self {
        case .badKey(let why): "bad key: \(why)"
        case .signingFailed: "signing failed"
        }
    }
}

/// An ECDSA P-256 key for ES256 (RFC 7518 §3.4: SHA-256, the signature as the 64 bytes r ‖ s), as Coinbase's
/// CDP API keys use it for their JWTs. Loaded from PEM (the private key to sign, the public key to verify).
///
/// `@unchecked Sendable`: the OpenSSL key is immutable once loaded, and OpenSSL's EVP_PKEY may be used from
/// several threads for signing and verifying (each call makes its own digest context).
public final class ES256Key: @unchecked Sendable {
    let pkey: OpaquePointer
    public let isPrivate: Bool

    init(pkey: OpaquePointer, isPrivate: Bool) throws(VenueCryptoError) {
        guard EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC, EVP_PKEY_get_bits(pkey) == 256 else {
            EVP_PKEY_free(pkey)
            throw .badKey("not a P-256 EC key")
        }
        self.pkey = pkey
        self.isPrivate = isPrivate
    }

    deinit { EVP_PKEY_free(pkey) }

    /// A private key in PEM ("-----BEGIN EC PRIVATE KEY-----" or PKCS #8).
    public convenience init(privateKeyPEM: String) throws(VenueCryptoError) {
        let bio = Self.memoryBIO(privateKeyPEM)
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else { throw .badKey("not a PEM private key") }
        try self.init(pkey: key, isPrivate: true)
    }

    /// A public key in PEM ("-----BEGIN PUBLIC KEY-----").
    public convenience init(publicKeyPEM: String) throws(VenueCryptoError) {
        let bio = Self.memoryBIO(publicKeyPEM)
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PUBKEY(bio, nil, nil, nil) else { throw .badKey("not a PEM public key") }
        try self.init(pkey: key, isPrivate: false)
    }

    /// A new random key (for tests and the simulator's own accounts).
    public static func generate() -> ES256Key {
        let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil)
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) == 1,
            EVP_PKEY_keygen(ctx, &key) == 1, let key
        else { preconditionFailure("OpenSSL could not generate a P-256 key") }
        return try! ES256Key(pkey: key, isPrivate: true)
    }

    /// The public key in PEM.
    public var publicKeyPEM: String { Self.pem { PEM_write_bio_PUBKEY($0, pkey) } }

    /// The private key in PEM (PKCS #8), nil for a public key.
    public var privateKeyPEM: String? { isPrivate ? Self.pem { PEM_write_bio_PrivateKey($0, pkey, nil, nil, 0, nil, nil) } : nil }

    /// The ES256 signature of `message`: SHA-256, ECDSA, r ‖ s as 32 bytes each. - Throws: on a public key.
    public func sign(_ message: [UInt8]) throws(VenueCryptoError) -> [UInt8] {
        guard isPrivate, let ctx = EVP_MD_CTX_new() else { throw .signingFailed }
        defer { EVP_MD_CTX_free(ctx) }
        var length = 0
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, pkey) == 1, EVP_DigestSign(ctx, nil, &length, message, message.count) == 1
        else { throw .signingFailed }
        var der = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(ctx, &der, &length, message, message.count) == 1 else { throw .signingFailed }
        // DER SEQUENCE { r, s } → r ‖ s.
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { b in
            var p: UnsafePointer<UInt8>? = b.baseAddress
            return d2i_ECDSA_SIG(nil, &p, length)
        }
        guard let sig = parsed else { throw .signingFailed }
        defer { ECDSA_SIG_free(sig) }
        var out = [UInt8](repeating: 0, count: 64)
        guard BN_bn2binpad(ECDSA_SIG_get0_r(sig), &out, 32) == 32 else { throw .signingFailed }
        let s = out.withUnsafeMutableBufferPointer { BN_bn2binpad(ECDSA_SIG_get0_s(sig), $0.baseAddress! + 32, 32) }
        guard s == 32 else { throw .signingFailed }
        return out
    }

    /// Whether `signature` (r ‖ s, 64 bytes) is this key's ES256 signature of `message`.
    public func verify(_ signature: [UInt8], _ message: [UInt8]) -> Bool {
        guard signature.count == 64, let sig = ECDSA_SIG_new() else { return false }
        defer { ECDSA_SIG_free(sig) }
        let r = BN_bin2bn(signature, 32, nil)
        let s = signature.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress! + 32, 32, nil) }
        guard ECDSA_SIG_set0(sig, r, s) == 1 else { return false }
        var derPointer: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_ECDSA_SIG(sig, &derPointer)
        guard length > 0, let der = derPointer else { return false }
        defer { CRYPTO_free(der, #fileID, #line) }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, pkey) == 1 else { return false }
        return EVP_DigestVerify(ctx, der, Int(length), message, message.count) == 1
    }

    static func memoryBIO(_ text: String) -> OpaquePointer {
        let bytes = Array(text.utf8)
        let bio = BIO_new(BIO_s_mem())!
        _ = BIO_write(bio, bytes, Int32(bytes.count))
        return bio
    }

    static func pem(_ write: (OpaquePointer) -> Int32) -> String {
        let bio = BIO_new(BIO_s_mem())!
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { return "" }
        let n = Int(BIO_ctrl_pending(bio))
        var out = [UInt8](repeating: 0, count: n)
        _ = BIO_read(bio, &out, Int32(n))
        return String(decoding: out, as: UTF8.self)
    }
}

import GantryCore

/// A venue's shared secret (an API secret), kept out of every text: `description`, `debugDescription` and
/// `dump`/`Mirror` show only that it is redacted and its length. Made once, when keys are loaded; the signing
/// keys (`HMACKey`) are derived from it and the order path never reads it.
public struct VenueSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    @usableFromInline let bytes: [UInt8]

    /// A secret from its bytes (Binance, OKX, Bybit: the secret's text as UTF-8).
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// A secret from its text, used as UTF-8 bytes (Binance, OKX and Bybit sign with the secret's text).
    public init(text: String) { bytes = Array(text.utf8) }

    /// A secret given as base64 (Kraken's API secrets): the key is the decoded bytes.
    /// - Throws: `VenueCryptoError.badKey` if it is not base64.
    public init(base64: String) throws(VenueCryptoError) {
        guard let decoded = Base64.decode(base64) else { throw .badKey("the secret is not base64") }
        bytes = decoded
    }

    public var count: Int { bytes.count }
    public var description: String { "VenueSecret(redacted, \(bytes.count) bytes)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Calls `body` with the secret's bytes (key derivation and tests that look for leaks).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try bytes.withUnsafeBytes(body) }
}

/// An HMAC key (RFC 2104) ready to sign: the hash states after the key's inner and outer pad blocks, computed
/// once from the secret. Each signature then hashes the message and finishes two hashes, on the stack: no
/// allocation, no lock, no reference. A value that is as secret as the secret itself: its texts are redacted.
@frozen
public struct HMACKey<V: SHA2Variant>: Sendable, BitwiseCopyable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    @usableFromInline var inner: SHA2Hasher<V>
    @usableFromInline var outer: SHA2Hasher<V>

    /// Derives the pad states from `secret` (a key longer than a block is hashed first, RFC 2104 §2).
    public init(_ secret: VenueSecret) {
        self = secret.withUnsafeBytes { HMACKey(key: $0) }
    }

    /// Derives the pad states from key bytes.
    public init(key: UnsafeRawBufferPointer) {
        inner = SHA2Hasher<V>()
        outer = SHA2Hasher<V>()
        let size = SHA2Hasher<V>.blockSize
        var pad: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &pad) { k in
            if key.count > size {
                V.hash(key, into: k.baseAddress!)
            } else if key.count > 0 {
                k.baseAddress!.copyMemory(from: key.baseAddress!, byteCount: key.count)
            }
            for i in 0..<size { k[i] ^= 0x36 }
            inner.update(UnsafeRawBufferPointer(rebasing: k[0..<size]))
            for i in 0..<size { k[i] ^= 0x36 ^ 0x5C }
            outer.update(UnsafeRawBufferPointer(rebasing: k[0..<size]))
            // The pads held the key: wiped before the stack slot is reused.
            for i in 0..<k.count { k[i] = 0 }
        }
    }

    /// A signature in progress: feed the message in parts, then `finish`.
    public func start() -> HMACComputation<V> { HMACComputation(key: self) }

    /// The MAC of `message`, written at `out` (`V.digestSize` bytes).
    public func authenticate(_ message: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer) {
        var mac = start()
        mac.update(message)
        mac.finish(into: out)
    }

    /// The MAC of `message` (allocates: tests).
    public func authenticate(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: V.digestSize)
        message.withUnsafeBytes { m in out.withUnsafeMutableBytes { authenticate(m, into: $0.baseAddress!) } }
        return out
    }

    public var description: String { "HMACKey<\(V.self)>(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// One HMAC under way (a copy of the key's inner state and its outer state).
@frozen
public struct HMACComputation<V: SHA2Variant>: BitwiseCopyable {
    @usableFromInline var inner: SHA2Hasher<V>
    @usableFromInline let outer: SHA2Hasher<V>

    @usableFromInline
    init(key: HMACKey<V>) {
        inner = key.inner
        outer = key.outer
    }

    /// Adds message bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { inner.update(bytes) }

    /// Adds the bytes of a literal.
    public mutating func update(_ literal: StaticString) { inner.update(literal) }

    /// Ends the MAC: H(outer ‖ H(inner ‖ message)), `V.digestSize` bytes at `out`.
    public mutating func finish(into out: UnsafeMutableRawPointer) {
        var digest: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digest) { d in
            inner.finish(into: d.baseAddress!)
            var o = outer
            o.update(UnsafeRawBufferPointer(rebasing: d[0..<V.digestSize]))
            o.finish(into: out)
        }
    }
}

/// HMAC-SHA256 keys (Binance, OKX, Bybit).
public typealias HMACSHA256Key = HMACKey<SHA256>
/// HMAC-SHA512 keys (Kraken).
public typealias HMACSHA512Key = HMACKey<SHA512>

extension ByteWriter {
    /// Appends the HMAC of `payload` under `key` as lower-case hex (Binance, Bybit).
    @inlinable
    public mutating func hexMAC<V: SHA2Variant>(_ key: HMACKey<V>, of payload: UnsafeRawBufferPointer) {
        var digest: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digest) { d in
            key.authenticate(payload, into: d.baseAddress!)
            hex(UnsafeRawBufferPointer(rebasing: d[0..<V.digestSize]))
        }
    }

    /// Appends the HMAC of `payload` under `key` as base64 (OKX, Kraken).
    @inlinable
    public mutating func base64MAC<V: SHA2Variant>(_ key: HMACKey<V>, of payload: UnsafeRawBufferPointer) {
        var digest: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digest) { d in
            key.authenticate(payload, into: d.baseAddress!)
            base64(UnsafeRawBufferPointer(rebasing: d[0..<V.digestSize]))
        }
    }
}

import GantryCore

// SHA-256 and SHA-512 (FIPS 180-4) over unsafe buffers, in Swift, for signing orders without allocating:
// OpenSSL's HMAC and EVP digest contexts allocate on every new context and on every copy of one, and a
// signature needs a fresh context each time. The state is a value on the stack (eight words and one block);
// `HMACKey` keeps the states after the key's inner and outer pads so that a signature costs the message's blocks
// and two more. Checked against FIPS 180-4's and RFC 4231's vectors and against OpenSSL (`Crypto`).

/// What SHA-256 and SHA-512 differ in: the word, the round count and constants, and the four sigma functions.
public protocol SHA2Variant {
    associatedtype Word: FixedWidthInteger & UnsignedInteger & Sendable & BitwiseCopyable
    /// Rounds per block (64 or 80).
    static var rounds: Int { get }
    /// Digest bytes (32 or 64).
    static var digestSize: Int { get }
    /// The initial hash value H(0).
    static var initial: SHA2Words<Word> { get }
    /// The round constants (read once per block).
    static var constants: [Word] { get }
    static func bigSigma0(_ x: Word) -> Word
    static func bigSigma1(_ x: Word) -> Word
    static func smallSigma0(_ x: Word) -> Word
    static func smallSigma1(_ x: Word) -> Word
}

/// Eight words of hash state.
@frozen
public struct SHA2Words<Word: FixedWidthInteger & Sendable & BitwiseCopyable>: Sendable, BitwiseCopyable {
    public var a, b, c, d, e, f, g, h: Word
    @inlinable
    public init(_ a: Word, _ b: Word, _ c: Word, _ d: Word, _ e: Word, _ f: Word, _ g: Word, _ h: Word) {
        (self.a, self.b, self.c, self.d, self.e, self.f, self.g, self.h) = (a, b, c, d, e, f, g, h)
    }
}

/// FIPS 180-4 §6.2: 32-bit words, 64 rounds, a 32-byte digest.
public enum SHA256: SHA2Variant {
    public typealias Word = UInt32
    public static var rounds: Int { 64 }
    public static var digestSize: Int { 32 }
    public static var initial: SHA2Words<UInt32> {
        SHA2Words(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    }
    public static let constants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
        0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
        0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
        0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
        0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
        0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
    @inlinable @inline(__always) static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 &- n) }
    @inlinable public static func bigSigma0(_ x: UInt32) -> UInt32 { rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22) }
    @inlinable public static func bigSigma1(_ x: UInt32) -> UInt32 { rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25) }
    @inlinable public static func smallSigma0(_ x: UInt32) -> UInt32 { rotr(x, 7) ^ rotr(x, 18) ^ x >> 3 }
    @inlinable public static func smallSigma1(_ x: UInt32) -> UInt32 { rotr(x, 17) ^ rotr(x, 19) ^ x >> 10 }
}

/// FIPS 180-4 §6.4: 64-bit words, 80 rounds, a 64-byte digest.
public enum SHA512: SHA2Variant {
    public typealias Word = UInt64
    public static var rounds: Int { 80 }
    public static var digestSize: Int { 64 }
    public static var initial: SHA2Words<UInt64> {
        SHA2Words(
            0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1, 0x510e527fade682d1, 0x9b05688c2b3e6c1f,
            0x1f83d9abfb41bd6b, 0x5be0cd19137e2179)
    }
    public static let constants: [UInt64] = [
        0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc, 0x3956c25bf348b538, 0x59f111f1b605d019,
        0x923f82a4af194f9b, 0xab1c5ed5da6d8118, 0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
        0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694, 0xe49b69c19ef14ad2, 0xefbe4786384f25e3,
        0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65, 0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
        0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4, 0xc6e00bf33da88fc2, 0xd5a79147930aa725,
        0x06ca6351e003826f, 0x142929670a0e6e70, 0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
        0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b, 0xa2bfe8a14cf10364, 0xa81a664bbc423001,
        0xc24b8b70d0f89791, 0xc76c51a30654be30, 0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
        0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8, 0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb,
        0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3, 0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
        0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b, 0xca273eceea26619c, 0xd186b8c721c0c207,
        0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178, 0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
        0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c, 0x4cc5d4becb3e42b6, 0x597f299cfc657e2a,
        0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
    ]
    @inlinable @inline(__always) static func rotr(_ x: UInt64, _ n: UInt64) -> UInt64 { x >> n | x << (64 &- n) }
    @inlinable public static func bigSigma0(_ x: UInt64) -> UInt64 { rotr(x, 28) ^ rotr(x, 34) ^ rotr(x, 39) }
    @inlinable public static func bigSigma1(_ x: UInt64) -> UInt64 { rotr(x, 14) ^ rotr(x, 18) ^ rotr(x, 41) }
    @inlinable public static func smallSigma0(_ x: UInt64) -> UInt64 { rotr(x, 1) ^ rotr(x, 8) ^ x >> 7 }
    @inlinable public static func smallSigma1(_ x: UInt64) -> UInt64 { rotr(x, 19) ^ rotr(x, 61) ^ x >> 6 }
}

/// A running SHA-2 hash: feed it with `update`, read it with `finish`. A value (copy it to fork a hash, as
/// `HMACKey` does with its pad states); nothing is allocated.
@frozen
public struct SHA2Hasher<V: SHA2Variant>: Sendable, BitwiseCopyable {
    @usableFromInline var state: SHA2Words<V.Word>
    /// The pending partial block (at most 128 bytes: SHA-512's block).
    @usableFromInline var block: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    @usableFromInline var pending = 0
    /// Bytes hashed so far.
    @usableFromInline var length: UInt64 = 0

    /// Bytes a block: 16 words.
    @inlinable static var blockSize: Int { MemoryLayout<V.Word>.size &* 16 }

    public init() { state = V.initial }

    /// Hashes `bytes` (any length, in as many calls as wanted).
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress else { return }
        var n = bytes.count
        length &+= UInt64(n)
        let size = Self.blockSize
        if pending > 0 {
            let take = min(n, size &- pending)
            let at = pending
            withUnsafeMutableBytes(of: &block) { $0.baseAddress!.advanced(by: at).copyMemory(from: p, byteCount: take) }
            pending &+= take
            p += take
            n &-= take
            if pending < size { return }
            var full = block
            withUnsafeBytes(of: &full) { compress($0.baseAddress!) }
            pending = 0
        }
        while n >= size {
            compress(p)
            p += size
            n &-= size
        }
        if n > 0 {
            withUnsafeMutableBytes(of: &block) { $0.baseAddress!.copyMemory(from: p, byteCount: n) }
            pending = n
        }
    }

    /// Hashes the bytes of a literal.
    public mutating func update(_ literal: StaticString) {
        update(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Ends the hash: pads it (FIPS 180-4 §5.1) and writes the `V.digestSize`-byte digest at `out`.
    public mutating func finish(into out: UnsafeMutableRawPointer) {
        let size = Self.blockSize
        let lengthBytes = MemoryLayout<V.Word>.size &* 2
        let bits = length &<< 3
        var padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        // 0x80, zeros, then the length in bits as a big-endian 64- or 128-bit number, to a whole block.
        let padLength = (pending &+ 1 &+ lengthBytes <= size ? size : 2 &* size) &- pending
        withUnsafeMutableBytes(of: &padding) { pad in
            pad[0] = 0x80
            for k in 0..<8 { pad[padLength &- 1 &- k] = UInt8(truncatingIfNeeded: bits >> (8 &* UInt64(k))) }
            update(UnsafeRawBufferPointer(rebasing: pad[0..<padLength]))
        }
        var s = state
        withUnsafeBytes(of: &s) { raw in
            let wordSize = MemoryLayout<V.Word>.size
            for i in 0..<8 {
                let w = raw.load(fromByteOffset: i &* wordSize, as: V.Word.self).bigEndian
                withUnsafeBytes(of: w) { out.advanced(by: i &* wordSize).copyMemory(from: $0.baseAddress!, byteCount: wordSize) }
            }
        }
    }

    /// One block (FIPS 180-4 §6.2.2 / §6.4.2) at `p`.
    @usableFromInline
    mutating func compress(_ p: UnsafeRawPointer) {
        let rounds = V.rounds
        V.constants.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: V.Word.self, capacity: 80) { w in
                let wordSize = MemoryLayout<V.Word>.size
                for t in 0..<16 { w[t] = V.Word(bigEndian: p.loadUnaligned(fromByteOffset: t &* wordSize, as: V.Word.self)) }
                for t in 16..<rounds {
                    w[t] = V.smallSigma1(w[t &- 2]) &+ w[t &- 7] &+ V.smallSigma0(w[t &- 15]) &+ w[t &- 16]
                }
                var (a, b, c, d, e, f, g, h) = (state.a, state.b, state.c, state.d, state.e, state.f, state.g, state.h)
                for t in 0..<rounds {
                    let t1 = h &+ V.bigSigma1(e) &+ ((e & f) ^ (~e & g)) &+ k[t] &+ w[t]
                    let t2 = V.bigSigma0(a) &+ ((a & b) ^ (a & c) ^ (b & c))
                    (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
                }
                state.a &+= a
                state.b &+= b
                state.c &+= c
                state.d &+= d
                state.e &+= e
                state.f &+= f
                state.g &+= g
                state.h &+= h
            }
        }
    }
}

extension SHA2Variant {
    /// The digest of `bytes`, written at `out` (`digestSize` bytes).
    public static func hash(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer) {
        var h = SHA2Hasher<Self>()
        h.update(bytes)
        h.finish(into: out)
    }

    /// The digest of `bytes` (allocates: tests and key loading).
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: digestSize)
        bytes.withUnsafeBytes { b in out.withUnsafeMutableBytes { hash(b, into: $0.baseAddress!) } }
        return out
    }
}

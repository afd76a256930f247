import GantryCore

/// Writes a request's bytes into memory it does not own, without growing: every append that does not fit is
/// dropped and remembered (`overflowed`), so that an encoder finishes with one check (`OrderRequestBuffer.finish`)
/// instead of one per field. Decimals, integers, hex, base64 and client order ids are written in place.
///
/// ```
///   base                          base+count            base+capacity
///   |<---- written (the request) -->|<---- free ----------->|
/// ```
///
/// SAFETY: `base` points at `capacity` writable bytes owned by the `OrderRequestBuffer` this writer belongs to;
/// every store below is at an index checked against `capacity`.
public struct ByteWriter {
    @usableFromInline let base: UnsafeMutablePointer<UInt8>
    /// How many bytes fit.
    public let capacity: Int
    /// How many bytes are written.
    @inlinable public var count: Int { used }
    /// Whether an append did not fit (and was dropped): the request is incomplete.
    @inlinable public var overflowed: Bool { dropped }
    @usableFromInline var used = 0
    @usableFromInline var dropped = false

    @usableFromInline
    init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// The bytes written so far. Valid until the next write to this writer or the buffer's end of life.
    public var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Forgets what was written.
    public mutating func reset() {
        used = 0
        dropped = false
    }

    /// Room for `n` more bytes, or false (and the writer marked overflowed).
    @inlinable @inline(__always)
    mutating func reserve(_ n: Int) -> Bool {
        if capacity &- count >= n { return true }
        dropped = true
        return false
    }

    /// Appends one byte.
    @inlinable
    public mutating func byte(_ b: UInt8) {
        guard reserve(1) else { return }
        base[count] = b
        used &+= 1
    }

    /// Appends an ASCII literal (field names, punctuation).
    @inlinable
    public mutating func text(_ literal: StaticString) {
        bytes(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Appends raw bytes.
    @inlinable
    public mutating func bytes(_ source: UnsafeRawBufferPointer) {
        let n = source.count
        guard n > 0, reserve(n), let from = source.baseAddress else { return }
        UnsafeMutableRawPointer(base + count).copyMemory(from: from, byteCount: n)
        used &+= n
    }

    /// Appends the bytes of an inline text.
    @inlinable
    public mutating func text(_ t: InlineText) {
        withUnsafeBytes(of: t.storage) { bytes(UnsafeRawBufferPointer(rebasing: $0[0..<Int(t.length)])) }
    }

    /// Appends the decimal digits of `value`.
    @inlinable
    public mutating func unsigned(_ value: UInt64) {
        // At most 20 digits, produced backwards into a scratch word triple, then copied forwards.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { digits in
            var v = value
            var n = 0
            repeat {
                digits[23 &- n] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                v /= 10
                n &+= 1
            } while v != 0
            bytes(UnsafeRawBufferPointer(rebasing: digits[(24 &- n)...]))
        }
    }

    /// Appends the decimal text of a signed integer.
    @inlinable
    public mutating func signed(_ value: Int64) {
        if value < 0 { byte(0x2D) }
        unsigned(value.magnitude)
    }

    /// Appends `raw / 10^scale` as exact decimal text without trailing zeros ("97000.1", "0.05", "3").
    /// Traps if the scale is out of range (an instrument's scale is checked when it is configured).
    @inlinable
    public mutating func decimal(_ raw: Int64, scale: Int) {
        guard reserve(FixedPoint.maxFormattedLength) else { return }
        used &+= FixedPoint.format(
            raw, scale: scale, trimTrailingZeros: true,
            into: UnsafeMutableRawBufferPointer(start: base + count, count: FixedPoint.maxFormattedLength))
    }

    /// Appends two lower-case hex digits a byte.
    @inlinable
    public mutating func hex(_ source: UnsafeRawBufferPointer) {
        guard reserve(source.count &* 2) else { return }
        for b in source {
            base[count] = Hex.digit(b >> 4)
            base[count &+ 1] = Hex.digit(b)
            used &+= 2
        }
    }

    /// Appends RFC 4648 §4 base64 (standard alphabet, `=` padding) of `source`.
    @inlinable
    public mutating func base64(_ source: UnsafeRawBufferPointer) {
        let n = source.count
        guard reserve((n &+ 2) / 3 &* 4) else { return }
        var i = 0
        while i < n {
            let rest = min(3, n &- i)
            let v = UInt32(source[i]) << 16 | (rest > 1 ? UInt32(source[i &+ 1]) << 8 : 0) | (rest > 2 ? UInt32(source[i &+ 2]) : 0)
            for k in 0..<4 {
                base[count &+ k] = k <= rest ? Base64.digit(UInt8(truncatingIfNeeded: v >> (18 &- 6 &* UInt32(k))) & 63) : 0x3D
            }
            used &+= 4
            i &+= 3
        }
    }

    /// Appends a client order id's text form: "g" and the 16 lower-case hex digits of its raw value
    /// (`ClientOrderIdText`).
    @inlinable
    public mutating func clientOrderId(_ id: ClientOrderId) {
        guard reserve(ClientOrderIdText.length) else { return }
        ClientOrderIdText.write(id, to: base + count)
        used &+= ClientOrderIdText.length
    }
}

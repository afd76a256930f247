// Redis commands as RESP arrays of bulk strings, written into one growing buffer so that a whole pipeline goes
// to hiredis in one call (`redisAppendFormattedCommand`):
//
//   *<argc>\r\n  then per argument  $<length>\r\n<bytes>\r\n

/// Writes Redis commands in the RESP request format into a buffer of its own, which grows (by doubling) only
/// when a pipeline is larger than any before it.
struct RESPWriter: ~Copyable {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    /// Bytes written since the last `reset`.
    private(set) var count = 0

    init(capacity: Int = 64 * 1024) {
        self.capacity = max(capacity, 64)
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 8)
    }

    deinit { base.deallocate() }

    /// The bytes written since the last `reset` (valid until the next write).
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    mutating func reset() { count = 0 }

    /// Starts a command of `arguments` arguments.
    mutating func command(arguments: Int) {
        byte(UInt8(ascii: "*"))
        decimal(UInt64(arguments))
        crlf()
    }

    /// One argument: the bytes as they are (binary-safe).
    mutating func bulk(_ argument: UnsafeRawBufferPointer) {
        byte(UInt8(ascii: "$"))
        decimal(UInt64(argument.count))
        crlf()
        reserve(argument.count + 2)
        // SAFETY: `reserve` made room for the argument and its CRLF.
        if argument.count > 0 { (base + count).copyMemory(from: argument.baseAddress!, byteCount: argument.count) }
        count += argument.count
        crlf()
    }

    /// Bytes already in the RESP format (a cached command prefix).
    mutating func raw(_ bytes: [UInt8]) {
        reserve(bytes.count)
        bytes.withUnsafeBytes { (base + count).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        count += bytes.count
    }

    /// One argument: the UTF-8 of `text`.
    mutating func bulk(_ text: StaticString) {
        text.withUTF8Buffer { bulk(UnsafeRawBufferPointer($0)) }
    }

    /// One argument: the bytes of `argument`.
    mutating func bulk(_ argument: [UInt8]) {
        argument.withUnsafeBytes { bulk($0) }
    }

    /// One argument: `value` in decimal ASCII.
    mutating func bulk(decimal value: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for UInt64.max's 20 digits
        let n = withUnsafeMutableBytes(of: &digits) { Self.format(value, into: $0) }
        withUnsafeBytes(of: &digits) { bulk(UnsafeRawBufferPointer(rebasing: $0[(24 - n)...])) }
    }

    /// Writes `value`'s decimal digits at the end of `buffer`. - Returns: how many.
    static func format(_ value: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var v = value
        var at = buffer.count
        repeat {
            at -= 1
            buffer[at] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
        } while v > 0
        return buffer.count - at
    }

    private mutating func decimal(_ value: UInt64) {
        reserve(20)
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let n = withUnsafeMutableBytes(of: &digits) { Self.format(value, into: $0) }
        withUnsafeBytes(of: &digits) { (base + count).copyMemory(from: $0.baseAddress! + (24 - n), byteCount: n) }
        count += n
    }

    private mutating func crlf() {
        reserve(2)
        base.storeBytes(of: 0x0A0D as UInt16, toByteOffset: count, as: UInt16.self)  // "\r\n", little-endian
        count += 2
    }

    private mutating func byte(_ b: UInt8) {
        reserve(1)
        base.storeBytes(of: b, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    private mutating func reserve(_ n: Int) {
        guard count + n > capacity else { return }
        var grown = capacity * 2
        while count + n > grown { grown *= 2 }
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 8)
        fresh.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = fresh
        capacity = grown
    }
}

/// Reads an unsigned decimal from ASCII digits (a stream entry's producer or sequence field).
/// - Returns: nil if `bytes` is empty, holds a non-digit, or overflows 64 bits.
func parseDecimal(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
    guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
    var v: UInt64 = 0
    for b in bytes {
        guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return nil }
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(UInt64(b - UInt8(ascii: "0")))
        if o1 || o2 { return nil }
        v = s
    }
    return v
}

/// CRC-32C (Castagnoli: polynomial 0x1EDC6F41, bit-reflected 0x82F63B78, initial and final value all ones), the
/// checksum of every journal record: the value iSCSI (RFC 3720), ext4 and SSE4.2's `crc32` instruction compute;
/// "123456789" gives 0xE3069283.
///
/// With SSE4.2 (CPUID, checked once) it runs the `crc32` instruction over 8-byte words (CCRC32C); otherwise a
/// portable slicing-by-8 table, which gives the same values (the tests compare the two on every length and
/// alignment).
public enum CRC32C {
    /// The CRC-32C of `bytes`, continued from `crc` (0 to start; the result of the bytes before to go on).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return checksum(base, count: bytes.count, continuing: crc)
    }

    /// The CRC-32C of `count` bytes at `bytes`, continued from `crc`.
    @usableFromInline
    static func checksum(_ bytes: UnsafeRawPointer, count: Int, continuing crc: UInt32 = 0) -> UInt32 {
        if let value = Sys.crc32cHardware(crc, bytes, count) { return value }
        return portable(bytes, count: count, continuing: crc)
    }

    /// The table method (slicing by 8: eight table lookups per 8-byte word), for CPUs without SSE4.2.
    static func portable(_ bytes: UnsafeRawPointer, count: Int, continuing crc: UInt32 = 0) -> UInt32 {
        table.withUnsafeBufferPointer { t in
            var state = ~crc
            var p = bytes
            var n = count
            while n >= 8 {
                let word = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)) ^ UInt64(state)
                state =
                    t[7 &* 256 &+ Int(word & 0xFF)] ^ t[6 &* 256 &+ Int((word >> 8) & 0xFF)]
                    ^ t[5 &* 256 &+ Int((word >> 16) & 0xFF)] ^ t[4 &* 256 &+ Int((word >> 24) & 0xFF)]
                    ^ t[3 &* 256 &+ Int((word >> 32) & 0xFF)] ^ t[2 &* 256 &+ Int((word >> 40) & 0xFF)]
                    ^ t[1 &* 256 &+ Int((word >> 48) & 0xFF)] ^ t[Int(word >> 56)]
                p += 8
                n &-= 8
            }
            while n > 0 {
                state = t[Int((state ^ UInt32(p.load(as: UInt8.self))) & 0xFF)] ^ (state >> 8)
                p += 1
                n &-= 1
            }
            return ~state
        }
    }

    /// Eight 256-entry tables: table k maps a byte to its CRC state after k more zero bytes.
    static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let previous = t[(k - 1) * 256 + b]
                t[k * 256 + b] = t[Int(previous & 0xFF)] ^ (previous >> 8)
            }
        }
        return t
    }()
}

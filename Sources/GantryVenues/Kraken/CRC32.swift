import CCRC32
import CZlib

/// The CRC-32 of zlib (Kraken's book checksum): whole 16-byte blocks folded with PCLMULQDQ where the CPU has
/// it (CCRC32), the rest by zlib's table method. Both take and return zlib's running value.
enum CRC32 {
    /// The CRC of `count` bytes at `p`, continuing from `crc` (0 to start).
    static func checksum(_ p: UnsafePointer<UInt8>, count: Int, continuing crc: UInt32 = 0) -> UInt32 {
        var taken = 0
        let folded = gantry_crc32_blocks(crc, p, count, &taken)
        if taken == count { return folded }
        return UInt32(truncatingIfNeeded: crc32(uLong(folded), p + taken, uInt(count - taken)))
    }

    /// The CRC of `count` bytes at `p` (from 0), where the 15 bytes before `p` are readable and zero: folded
    /// whole, with no tail for zlib's byte loop (`gantry_crc32_front_padded`).
    static func checksum(zeroPadded p: UnsafePointer<UInt8>, count: Int) -> UInt32 {
        var done: Int32 = 0
        let crc = gantry_crc32_front_padded(p, count, &done)
        return done != 0 ? crc : checksum(p, count: count)
    }
}

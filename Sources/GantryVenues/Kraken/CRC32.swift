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
}

// CCRC32: the CRC-32 of zlib, PKZIP and Ethernet (polynomial 0x04C11DB7, reflected) folded 16 bytes at a time
// with carry-less multiplication (PCLMULQDQ), for Kraken's book checksum: about 320 bytes of level text after
// every update, which zlib's table method takes about a cycle and a half a byte to hash. The caller finishes
// what is left (fewer than 16 bytes, or everything on a CPU without PCLMULQDQ) with zlib's crc32, which takes
// and returns the same running value.
#ifndef CCRC32_H
#define CCRC32_H

#include <stddef.h>
#include <stdint.h>

/// Folds the longest prefix of `bytes` that is a whole number of 16-byte blocks into `crc` (zlib's running
/// value: 0 to start), when that prefix is at least 64 bytes and the CPU has PCLMULQDQ and SSE4.1.
/// Returns the updated value and stores the number of bytes taken in `*taken` (0 when it took none).
uint32_t gantry_crc32_blocks(uint32_t crc, const uint8_t *bytes, size_t count, size_t *taken);

#endif

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

/// The CRC-32 (zlib's value, from the start) of `count` bytes at `text`, all of it folded: the 15 bytes before
/// `text` must be readable and zero. A text whose length is not a multiple of 16 is hashed as if it began with
/// the zero bytes that make it one, from a starting state that those zeros carry to the standard one (so the
/// value is exactly the text's CRC, and no tail is left for a byte loop). Stores 1 in `*done`, or 0 with the
/// text untouched when it is too short (under 49 bytes) or the CPU lacks PCLMULQDQ: the caller then uses
/// `gantry_crc32_blocks` and zlib.
uint32_t gantry_crc32_front_padded(const uint8_t *text, size_t count, int *done);

#endif

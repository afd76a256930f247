// CCRC32: the CRC-32 of zlib, PKZIP and Ethernet (polynomial 0x04C11DB7, reflected) folded 16 bytes at a time
// with carry-less multiplication (PCLMULQDQ), for Kraken's book checksum: about 320 bytes of level text after
// every update, which zlib's table method takes about a cycle and a half a byte to hash. The caller finishes
// what is left (fewer than 16 bytes, or everything on a CPU without PCLMULQDQ) with zlib's crc32, which takes
// and returns the same running value. Also the digit count the checksum's level text is written with.
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

/// How many decimal digits `value` has (1 for zero), for the checksum's level text: `floor(bits * log10 2)`
/// from the value's bit length (1233 / 4096 is log10 2 to within what 64 bits need), or one more, told apart
/// by one comparison with a power of ten from a table. No branch, and nothing that waits for the digits
/// themselves, so where the next value's text goes is known before this value is converted.
static inline __attribute__((always_inline)) int64_t gantry_decimal_digits(uint64_t value) {
    static const uint64_t powers[20] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull, 1000000000ull,
        10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull, 100000000000000ull,
        1000000000000000ull, 10000000000000000ull, 100000000000000000ull, 1000000000000000000ull,
        10000000000000000000ull,
    };
    // Zero is counted as one (one digit, "0").
    const uint64_t v = value | 1;
    const int64_t bits = 64 - __builtin_clzll(v);
    const int64_t guess = (bits * 1233) >> 12;
    return guess + (v >= powers[guess]);
}

#endif

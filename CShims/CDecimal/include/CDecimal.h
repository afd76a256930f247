// CDecimal: the vector step of Gantry's decimal reader (GantryCore's FixedPoint.shortPrefix), as a static inline
// function so that Swift inlines it where a decoder reads a price. Built only when the target CPU has SSSE3 and
// SSE4.1 (x86-64-v2 and later; see Package.swift for how the CPU level is chosen); otherwise Swift keeps its
// eight-byte word reader. Logic beyond this one step stays in Swift.
#ifndef CDECIMAL_H
#define CDECIMAL_H

#include <stdint.h>

#if defined(__SSSE3__) && defined(__SSE4_1__)
#include <immintrin.h>

#define GANTRY_DECIMAL16 1

/// Reads `digits[.digits]` from the 16 bytes of `text` as a mantissa at `scale` (0...18).
///
/// The digits kept (the integer digits and the first `scale` decimals, at most 16 of them) are gathered with
/// one byte shuffle into the low end of a vector, the decimals not sent reading as zeros, and converted with
/// three multiply-adds. Decimals sent beyond the scale must be zeros.
/// Returns the mantissa and stores the length read in `*length`, or returns -1 for anything else: no integer
/// digit, a point with no decimal after it, more than 14 integer digits, a number that may run past the 16
/// bytes, more than 16 digits kept, or a non-zero decimal beyond the scale (the caller's general reader then
/// judges the text, so -1 is never itself an error).
static inline __attribute__((always_inline)) int64_t gantry_decimal16_text(__m128i text, int64_t scale, int64_t *length) {
    const __m128i values = _mm_sub_epi8(text, _mm_set1_epi8('0'));
    const __m128i isDigit = _mm_cmpeq_epi8(_mm_min_epu8(values, _mm_set1_epi8(9)), values);
    // Bits 16...31 are set, so every count below stops within them.
    const uint32_t nonDigits = ~(uint32_t)_mm_movemask_epi8(isDigit);
    const uint32_t integer = (uint32_t)__builtin_ctz(nonDigits);
    if (integer - 1u >= 14u) return -1;
    uint32_t end = integer;
    const uint32_t points = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(text, _mm_set1_epi8('.')));
    if ((points >> integer) & 1) {
        const uint32_t decimals = (uint32_t)__builtin_ctz(nonDigits >> (integer + 1));
        end = integer + 1 + decimals;
        // No decimal after the point, or digits that may go on past the 16 bytes.
        if (decimals == 0 || end > 15) return -1;
    }
    // A scale outside 0...16 (which no 16 digits can meet) is refused before any arithmetic with it.
    if ((uint64_t)scale > 16) return -1;
    const uint32_t kept = integer + (uint32_t)scale;
    if (kept > 16) return -1;
    // The decimals sent beyond the scale: bytes integer + 1 + scale ..< end must be '0'.
    const uint64_t zeros = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(text, _mm_set1_epi8('0')));
    const uint64_t beyond = (~0ull << (integer + 1 + (uint32_t)scale)) & ((1ull << end) - 1);
    if ((beyond & ~zeros) != 0) return -1;
    // Lane k of the result holds kept digit k - (16 - kept) (a negative index shuffles in zero); digits after
    // the integer ones skip the point, and those beyond the decimals sent read as zeros.
    const __m128i lane = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m128i digit = _mm_sub_epi8(lane, _mm_set1_epi8((char)(16 - kept)));
    const __m128i afterPoint = _mm_cmpgt_epi8(digit, _mm_set1_epi8((char)(integer - 1)));
    const __m128i source = _mm_sub_epi8(digit, afterPoint);
    const __m128i unsent = _mm_cmpgt_epi8(source, _mm_set1_epi8((char)(end - 1)));
    const __m128i gathered = _mm_shuffle_epi8(values, _mm_or_si128(source, unsent));
    // 16 digits → 8 pairs → 4 groups of four → 2 groups of eight.
    const __m128i pairs = _mm_maddubs_epi16(gathered, _mm_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1));
    const __m128i fours = _mm_madd_epi16(pairs, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
    const __m128i packed = _mm_packus_epi32(fours, fours);
    const __m128i eights = _mm_madd_epi16(packed, _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1));
    const uint64_t both = (uint64_t)_mm_cvtsi128_si64(eights);
    *length = end;
    return (int64_t)((both & 0xFFFFFFFFu) * 100000000u + (both >> 32));
}

/// `gantry_decimal16_text` on the 16 bytes at `p`.
static inline __attribute__((always_inline)) int64_t gantry_decimal16(const uint8_t *p, int64_t scale, int64_t *length) {
    return gantry_decimal16_text(_mm_loadu_si128((const __m128i *)p), scale, length);
}

/// `gantry_decimal16_text` on 16 bytes given as two words (byte 0 the lowest byte of `low`), for a text
/// shorter than 16 bytes assembled in registers: a vector loaded from memory just written in smaller pieces
/// would wait for those stores (a failed store-to-load forward).
static inline __attribute__((always_inline)) int64_t gantry_decimal16_words(uint64_t low, uint64_t high, int64_t scale, int64_t *length) {
    return gantry_decimal16_text(_mm_set_epi64x((long long)high, (long long)low), scale, length);
}
#endif

#endif

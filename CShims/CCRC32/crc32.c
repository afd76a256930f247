// CRC-32 by folding (see CCRC32.h). The method is Gopal et al., "Fast CRC Computation for Generic Polynomials
// Using PCLMULQDQ Instruction" (Intel, 2009), in its bit-reflected form: the message is kept as a 128-bit
// remainder (four of them side by side while 64 bytes or more remain), each multiplied forward past the next
// block by constants x^k mod P and added (xor) to it; at the end one 128-bit remainder is reduced to 96, then
// 64 bits, and a Barrett step gives the 32-bit CRC. Constants are x^k mod P bit-reflected and shifted by one
// (the paper's appendix); the tests compare every length from 0 to 1,100 bytes with zlib.
#include "CCRC32.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#include <stdatomic.h>

// The paper's fold constants (powers of x mod P, bit-reflected): a pair for folding across 512 bits (four
// chains), a pair for 128 bits, one for the 96 -> 64 bit step; then P itself and floor(x^64 / P) for the
// Barrett reduction.
#define FOLD_512_LOW 0x154442bd4ULL
#define FOLD_512_HIGH 0x1c6e41596ULL
#define FOLD_128_LOW 0x1751997d0ULL
#define FOLD_128_HIGH 0x0ccaa009eULL
#define FOLD_64 0x163cd6124ULL
#define POLYNOMIAL 0x1db710641ULL
#define BARRETT_MU 0x1f7011641ULL

/// `x` carried past the next 128 bits (or 512: the constants say which) and added to `next`.
__attribute__((target("pclmul,sse4.1"), always_inline)) static inline __m128i fold(__m128i x, __m128i constants, __m128i next) {
    const __m128i low = _mm_clmulepi64_si128(x, constants, 0x00);
    const __m128i high = _mm_clmulepi64_si128(x, constants, 0x11);
    return _mm_xor_si128(_mm_xor_si128(low, high), next);
}

/// The CRC state (inverted, as the algorithm works) after `count` bytes: a multiple of 16, at least 64.
__attribute__((target("pclmul,sse4.1"))) static uint32_t fold_blocks(uint32_t state, const uint8_t *p, size_t count) {
    __m128i a = _mm_loadu_si128((const __m128i *)p);
    __m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(p + 48));
    a = _mm_xor_si128(a, _mm_cvtsi32_si128((int)state));
    p += 64;
    count -= 64;
    const __m128i by512 = _mm_set_epi64x((long long)FOLD_512_HIGH, (long long)FOLD_512_LOW);
    // Four independent chains while 64 bytes remain: the multiplies of one overlap those of the others.
    while (count >= 64) {
        a = fold(a, by512, _mm_loadu_si128((const __m128i *)p));
        b = fold(b, by512, _mm_loadu_si128((const __m128i *)(p + 16)));
        c = fold(c, by512, _mm_loadu_si128((const __m128i *)(p + 32)));
        d = fold(d, by512, _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64;
        count -= 64;
    }
    const __m128i by128 = _mm_set_epi64x((long long)FOLD_128_HIGH, (long long)FOLD_128_LOW);
    __m128i x = fold(fold(fold(a, by128, b), by128, c), by128, d);
    for (; count >= 16; p += 16, count -= 16) x = fold(x, by128, _mm_loadu_si128((const __m128i *)p));

    // 128 -> 96 bits: the low half carried past the high half.
    const __m128i low32 = _mm_setr_epi32(-1, 0, -1, 0);
    x = _mm_xor_si128(_mm_srli_si128(x, 8), _mm_clmulepi64_si128(x, by128, 0x10));
    // 96 -> 64 bits: the low 32 carried past the rest.
    const __m128i by64 = _mm_set_epi64x(0, (long long)FOLD_64);
    x = _mm_xor_si128(_mm_srli_si128(x, 4), _mm_clmulepi64_si128(_mm_and_si128(x, low32), by64, 0x00));
    // Barrett: the quotient by P from mu, then the remainder.
    const __m128i barrett = _mm_set_epi64x((long long)BARRETT_MU, (long long)POLYNOMIAL);
    __m128i q = _mm_clmulepi64_si128(_mm_and_si128(x, low32), barrett, 0x10);
    q = _mm_clmulepi64_si128(_mm_and_si128(q, low32), barrett, 0x00);
    return (uint32_t)_mm_extract_epi32(_mm_xor_si128(x, q), 1);
}

/// 1 if the CPU has PCLMULQDQ and SSE4.1, 0 if not, -1 before the first call asks (an idempotent race).
static _Atomic int has_fold = -1;

static int cpu_can_fold(void) {
    int known = atomic_load_explicit(&has_fold, memory_order_relaxed);
    if (known >= 0) return known;
    unsigned eax, ebx, ecx, edx;
    int yes = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_PCLMUL) && (ecx & bit_SSE4_1);
    atomic_store_explicit(&has_fold, yes, memory_order_relaxed);
    return yes;
}
#endif

#if defined(__x86_64__)
/// For k zero bytes in front of a text: the CRC state that k zero bytes carry to the standard starting state
/// (all ones). A zero byte's step is invertible (the polynomial's top bit tells which branch a bit took), so
/// each is the start stepped back 8k bits; the tests check every k against zlib.
static const uint32_t zero_front_start[16] = {
    0xffffffff, 0xf0958fd9, 0x9a1c9d90, 0xa32e2681, 0x9226f562, 0xf47bf9cc, 0xaf4c9d16, 0x46865aa9,
    0xefe4d0af, 0x31c08543, 0xae0bacae, 0xdac6e4e8, 0xa65c386b, 0xe06f0ca5, 0xbae5bb0a, 0x358d0ff4,
};
#endif

uint32_t gantry_crc32_front_padded(const uint8_t *text, size_t count, int *done) {
    *done = 0;
#if defined(__x86_64__)
    const size_t front = (16 - (count & 15)) & 15;
    if (count + front >= 64 && cpu_can_fold()) {
        *done = 1;
        return ~fold_blocks(zero_front_start[front], text - front, count + front);
    }
#endif
    return 0;
}

uint32_t gantry_crc32_blocks(uint32_t crc, const uint8_t *bytes, size_t count, size_t *taken) {
    *taken = 0;
#if defined(__x86_64__)
    const size_t blocks = count & ~(size_t)15;
    if (blocks >= 64 && cpu_can_fold()) {
        *taken = blocks;
        return ~fold_blocks(~crc, bytes, blocks);
    }
#endif
    return crc;
}

// CRC-32C with SSE4.2 (see CCRC32C.h). The crc32 instruction keeps the state inverted as the standard
// algorithm does (start ~0, end ~state), one 8-byte word per instruction; the words are one dependency chain
// (3 cycles each, about 8 bytes in 3 cycles), which is ample for journal records of a few hundred bytes.
// Unaligned loads go through memcpy (one mov). Built without -march (Package.swift's CPU level leaves the C
// targets alone): the target attribute enables SSE4.2 for this one function, and CPUID decides at run time.
#include "CCRC32C.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#include <stdatomic.h>

/// 1 if the CPU has SSE4.2, 0 if not, -1 before the first call asks (an idempotent race).
static _Atomic int has_sse42 = -1;

static int cpu_has_sse42(void) {
    int known = atomic_load_explicit(&has_sse42, memory_order_relaxed);
    if (known >= 0) return known;
    unsigned eax, ebx, ecx, edx;
    int yes = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_SSE4_2);
    atomic_store_explicit(&has_sse42, yes, memory_order_relaxed);
    return yes;
}

__attribute__((target("sse4.2"))) static uint32_t crc32c_words(uint32_t state, const uint8_t *p, size_t n) {
    uint64_t s = state;
    // Whole words while at least 32 bytes remain, four per round (the loop overhead once per four).
    for (; n >= 32; p += 32, n -= 32) {
        uint64_t w0, w1, w2, w3;
        memcpy(&w0, p, 8);
        memcpy(&w1, p + 8, 8);
        memcpy(&w2, p + 16, 8);
        memcpy(&w3, p + 24, 8);
        s = _mm_crc32_u64(s, w0);
        s = _mm_crc32_u64(s, w1);
        s = _mm_crc32_u64(s, w2);
        s = _mm_crc32_u64(s, w3);
    }
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        s = _mm_crc32_u64(s, w);
    }
    uint32_t t = (uint32_t)s;
    for (; n > 0; p++, n--) t = _mm_crc32_u8(t, *p);
    return t;
}
#endif

uint32_t gantry_crc32c_sse42(uint32_t crc, const uint8_t *bytes, size_t count, int *done) {
#if defined(__x86_64__)
    if (cpu_has_sse42()) {
        *done = 1;
        return ~crc32c_words(~crc, bytes, count);
    }
#endif
    *done = 0;
    return crc;
}

// CCRC32C: CRC-32C (Castagnoli: polynomial 0x1EDC6F41, bit-reflected 0x82F63B78; iSCSI, ext4, SSE4.2's crc32
// instruction) eight bytes a step with SSE4.2, for the journal's per-record checksums. Chosen at run time:
// on a CPU without SSE4.2 (or not x86-64) it takes nothing and the caller (GantryJournal's CRC32C) uses its
// portable table, which gives the same values.
#ifndef CCRC32C_H
#define CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// The CRC-32C of `count` bytes at `bytes` continued from `crc` (0 to start; a previous result to go on),
/// computed with SSE4.2's crc32 instruction. Stores 1 in `*done`; or 0, returning `crc` untouched, when the
/// CPU lacks SSE4.2: the caller then computes it itself.
uint32_t gantry_crc32c_sse42(uint32_t crc, const uint8_t *bytes, size_t count, int *done);

#endif

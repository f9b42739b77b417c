// SHA-256 block function on the CPU's SHA extensions (x86-64 SHA-NI), which Swift cannot emit.
// The Swift SHA256 in Stack keeps the padding and the portable rounds; this is only the inner loop.
#ifndef OVUDEV_CSHA256_H
#define OVUDEV_CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SHA extensions (and SSSE3, SSE4.1), else 0.
int ovu_sha256_accelerated(void);

/// Runs `blocks` 64-byte blocks of `data` through the compression function, updating `state`
/// (H0…H7). Call only when ovu_sha256_accelerated() returned 1.
void ovu_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif

#include "csha256.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

int ovu_sha256_accelerated(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int sha = (b >> 29) & 1;
    return ssse3 && sse41 && sha;
}

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// Four rounds: W+K of group `i` into the state pair. sha256rnds2 does two rounds with the low
// 64 bits of `wk`, taking CDGH and ABEF and giving the new ABEF; the old ABEF is the new CDGH.
#define ROUNDS(i, w)                                                          \
    do {                                                                      \
        __m128i wk = _mm_add_epi32((w), _mm_loadu_si128((const __m128i *)&K[4 * (i)])); \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                         \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E)); \
    } while (0)

// The schedule: W[t] for the group after `cur` goes into `next` (sha256msg2 on what
// sha256msg1 prepared two groups before, plus W[t-7] from the pair cur:prev).
#define SCHEDULE_NEXT(next, cur, prev)                                        \
    do {                                                                      \
        (next) = _mm_add_epi32((next), _mm_alignr_epi8((cur), (prev), 4));    \
        (next) = _mm_sha256msg2_epu32((next), (cur));                         \
    } while (0)
#define SCHEDULE_PREPARE(prev, cur) ((prev) = _mm_sha256msg1_epu32((prev), (cur)))

__attribute__((target("sha,sse4.1,ssse3")))
void ovu_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    // Big-endian words of the message.
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    // H0..H7 → the instructions' layout: abef = {F, E, B, A}, cdgh = {H, G, D, C} (lane 0 first).
    __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1); // B A D C
    __m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B); // H G F E
    __m128i abef = _mm_alignr_epi8(dcba, hgfe, 8);
    __m128i cdgh = _mm_blend_epi16(hgfe, dcba, 0xF0);

    for (; blocks > 0; blocks--, data += 64) {
        __m128i abef0 = abef, cdgh0 = cdgh;
        __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), swap);
        __m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), swap);
        __m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), swap);
        __m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), swap);

        ROUNDS(0, m0);
        ROUNDS(1, m1); SCHEDULE_PREPARE(m0, m1);
        ROUNDS(2, m2); SCHEDULE_PREPARE(m1, m2);
        // Groups 3..14 hold the four words in turn: m[g%4] is the current one.
        ROUNDS(3, m3);  SCHEDULE_NEXT(m0, m3, m2); SCHEDULE_PREPARE(m2, m3);
        ROUNDS(4, m0);  SCHEDULE_NEXT(m1, m0, m3); SCHEDULE_PREPARE(m3, m0);
        ROUNDS(5, m1);  SCHEDULE_NEXT(m2, m1, m0); SCHEDULE_PREPARE(m0, m1);
        ROUNDS(6, m2);  SCHEDULE_NEXT(m3, m2, m1); SCHEDULE_PREPARE(m1, m2);
        ROUNDS(7, m3);  SCHEDULE_NEXT(m0, m3, m2); SCHEDULE_PREPARE(m2, m3);
        ROUNDS(8, m0);  SCHEDULE_NEXT(m1, m0, m3); SCHEDULE_PREPARE(m3, m0);
        ROUNDS(9, m1);  SCHEDULE_NEXT(m2, m1, m0); SCHEDULE_PREPARE(m0, m1);
        ROUNDS(10, m2); SCHEDULE_NEXT(m3, m2, m1); SCHEDULE_PREPARE(m1, m2);
        ROUNDS(11, m3); SCHEDULE_NEXT(m0, m3, m2); SCHEDULE_PREPARE(m2, m3);
        ROUNDS(12, m0); SCHEDULE_NEXT(m1, m0, m3); SCHEDULE_PREPARE(m3, m0);
        ROUNDS(13, m1); SCHEDULE_NEXT(m2, m1, m0);
        ROUNDS(14, m2); SCHEDULE_NEXT(m3, m2, m1);
        ROUNDS(15, m3);

        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }

    // Back to H0..H7.
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

#else

int ovu_sha256_accelerated(void) { return 0; }
void ovu_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) { (void)state; (void)data; (void)blocks; }

#endif

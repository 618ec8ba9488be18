/* poisson.c - batched Poisson counts; see poisson.h. */
#include "poisson.h"

#include "rng.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

void hebb_poisson_law_init(hebb_poisson_law *law, double lambda, bool inversion) {
  memset(law, 0, sizeof *law);
  law->exp_neg_lambda = exp(-lambda);
  if (!inversion)
    return;                                /* table false: Knuth's method */
  double p = law->exp_neg_lambda, f = 0.0; /* P(count = k), P(count <= k) */
  for (uint32_t k = 0; k <= HEBB_POISSON_TABLE; k++) {
    f += p;
    double next = p * lambda / (double)(k + 1);
    /* past the mean the probabilities fall at least by lambda / (k + 2) < 1 a term, so the
     * tail after k is below next / (1 - lambda / (k + 2)) */
    bool tail_gone = (double)(k + 2) > lambda && next / (1.0 - lambda / (double)(k + 2)) < 0x1p-40;
    double t = ceil(f * 0x1p32);
    if (tail_gone || t >= 0x1p32) { /* no word reaches P(count <= k): the count stops at k */
      law->table = true;
      law->n = k;
      return;
    }
    if (k == HEBB_POISSON_TABLE)
      break;
    law->t[k] = (uint32_t)t;
    p = next;
  }
  law->table = false; /* the table would be longer: Knuth's method */
}

/* The sequences of a batch still drawing, compacted: their id, the running product of
 * Knuth's method, and kl = the count so far << 8 | their place in the batch (the vectorised
 * blocks count at most 2 * HEBB_POISSON_ROUNDS). */
typedef struct {
  uint32_t id[HEBB_POISSON_BATCH];
  double p[HEBB_POISSON_BATCH];
  uint32_t kl[HEBB_POISSON_BATCH], alive[HEBB_POISSON_BATCH];
  double ua[HEBB_POISSON_BATCH], ub[HEBB_POISSON_BATCH]; /* the uniforms of a block */
} lanes;
_Static_assert(HEBB_POISSON_BATCH <= 256 && 2 * HEBB_POISSON_ROUNDS < 1 << 24, "kl fits");

/* The counter of block R of a batch's sequences but for word 0 (the id), and the round keys. */
typedef struct {
  uint32_t c1, c2, c3;
  uint64_t seed;
  uint32_t k0[10], k1[10];
} ctr;

/* Philox4x32-10 blocks are computed for a tile of TILE counters at a time. A round is two
 * 32 x 32 -> 64-bit products and some exclusive ors. With SSE2 or AVX2 each 64-bit lane of a
 * vector holds one counter word (only its low half is the word: the products read only the
 * low halves, so the high halves need no clearing), and the ten dependent rounds of the
 * tile's vectors are interleaved so that several are in flight at once. Otherwise (or with
 * HEBB_POISSON_PLAIN defined, to test it), a plain loop. */
#define TILE 16
_Static_assert(HEBB_POISSON_BATCH % TILE == 0, "whole tiles");

#if (defined(__AVX2__) || defined(__SSE2__)) && !defined(HEBB_POISSON_PLAIN)
#if defined(__AVX2__)
#include <immintrin.h>
typedef __m256i vec;
#define VL 4
#define V_LOAD(p) _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)(p)))
#define V_STORE(p, a) _mm256_storeu_si256((__m256i *)(p), (a))
#define V_SET1(x) _mm256_set1_epi64x((long long)(x))
#define V_XOR _mm256_xor_si256
#define V_MUL _mm256_mul_epu32
#define V_HI(a) _mm256_srli_epi64((a), 32)
typedef __m256d vecd;
#define V_SRL _mm256_srli_epi64
#define V_AND _mm256_and_si256
#define V_OR _mm256_or_si256
#define VD_CAST _mm256_castsi256_pd
#define VD_SET1 _mm256_set1_pd
#define VD_SUB _mm256_sub_pd
#define VD_ADD _mm256_add_pd
#define VD_MUL _mm256_mul_pd
#define VD_STORE _mm256_storeu_pd
#else
#include <emmintrin.h>
typedef __m128i vec;
#define VL 2
#define V_LOAD(p) _mm_unpacklo_epi32(_mm_loadl_epi64((const __m128i *)(p)), _mm_setzero_si128())
#define V_STORE(p, a) _mm_storeu_si128((__m128i *)(p), (a))
#define V_SET1(x) _mm_set1_epi64x((long long)(x))
#define V_XOR _mm_xor_si128
#define V_MUL _mm_mul_epu32
#define V_HI(a) _mm_srli_epi64((a), 32)
typedef __m128d vecd;
#define V_SRL _mm_srli_epi64
#define V_AND _mm_and_si128
#define V_OR _mm_or_si128
#define VD_CAST _mm_castsi128_pd
#define VD_SET1 _mm_set1_pd
#define VD_SUB _mm_sub_pd
#define VD_ADD _mm_add_pd
#define VD_MUL _mm_mul_pd
#define VD_STORE _mm_storeu_pd
#endif
#define NV (TILE / VL)

/* The uniform (exactly as from an integer below 2^52 by (double)) of words HI and LO of a block
 * in the low halves of the lanes, as hebb_rng_uniform makes it: the integers below 2^27 and
 * 2^26 are the mantissas of 2^52 + them, less 2^52. */
static inline vecd uniform(vec hi, vec lo) {
  const vec exp52 = V_SET1(0x4330000000000000u);
  const vecd two52 = VD_SET1(4503599627370496.0);
  vecd a = VD_SUB(VD_CAST(V_OR(V_AND(V_SRL(hi, 5), V_SET1(0x7ffffffu)), exp52)), two52);
  vecd b = VD_SUB(VD_CAST(V_OR(V_AND(V_SRL(lo, 6), V_SET1(0x3ffffffu)), exp52)), two52);
  return VD_MUL(VD_ADD(VD_MUL(a, VD_SET1(67108864.0)), b), VD_SET1(1.0 / 9007199254740992.0));
}

/* The Philox4x32-10 blocks of counters (ID[t], C->c1, C->c2, C->c3), t < TILE, word w of block
 * t in the low half of lane t % VL of XW[v], v = t / VL. The first round's product of word 2
 * is the same for all. */
static inline void philox_rounds(const uint32_t *id, const ctr *c, vec *x0, vec *x1, vec *x2,
                                 vec *x3) {
  const vec m0 = V_SET1(PHILOX_M4x32_0), m1 = V_SET1(PHILOX_M4x32_1);
  uint64_t q1 = (uint64_t)PHILOX_M4x32_1 * c->c2;
  const vec y0 = V_SET1((uint32_t)(q1 >> 32) ^ c->c1 ^ c->k0[0]), y1 = V_SET1((uint32_t)q1),
            ka = V_SET1(c->c3 ^ c->k1[0]);
  for (int v = 0; v < NV; v++) {
    vec p0 = V_MUL(V_LOAD(id + v * VL), m0);
    x0[v] = y0;
    x1[v] = y1;
    x2[v] = V_XOR(V_HI(p0), ka);
    x3[v] = p0;
  }
#pragma GCC unroll 9
  for (int j = 1; j < 10; j++) {
    const vec kj0 = V_SET1(c->k0[j]), kj1 = V_SET1(c->k1[j]);
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) {
      vec p0 = V_MUL(x0[v], m0), p1 = V_MUL(x2[v], m1);
      x0[v] = V_XOR(V_XOR(V_HI(p1), x1[v]), kj0);
      x2[v] = V_XOR(V_XOR(V_HI(p0), x3[v]), kj1);
      x1[v] = p1;
      x3[v] = p0;
    }
  }
}

/* The two uniforms UA, UB of the blocks of counters (ID[t], C->c1, C->c2, C->c3), t < TILE. */
static inline void philox_tile(const uint32_t *id, const ctr *c, double *ua, double *ub) {
  vec x0[NV], x1[NV], x2[NV], x3[NV];
  philox_rounds(id, c, x0, x1, x2, x3);
  for (int v = 0; v < NV; v++) {
    VD_STORE(ua + v * VL, uniform(x0[v], x1[v]));
    VD_STORE(ub + v * VL, uniform(x2[v], x3[v]));
  }
}

/* The four words of the same blocks: word w of block t in the low half of W[w][t]. */
static inline void philox_tile_words(const uint32_t *id, const ctr *c, uint64_t *const w[4]) {
  vec x0[NV], x1[NV], x2[NV], x3[NV];
  philox_rounds(id, c, x0, x1, x2, x3);
  for (int v = 0; v < NV; v++) {
    V_STORE(w[0] + v * VL, x0[v]);
    V_STORE(w[1] + v * VL, x1[v]);
    V_STORE(w[2] + v * VL, x2[v]);
    V_STORE(w[3] + v * VL, x3[v]);
  }
}
#else
_Static_assert(TILE == HEBB_PHILOX_LANES, "a tile is one hebb_philox_lanes call");
static inline void philox_tile_words(const uint32_t *id, const ctr *c, uint64_t *const w[4]) {
  uint32_t x[4][HEBB_PHILOX_LANES];
  for (int t = 0; t < TILE; t++) {
    x[0][t] = id[t];
    x[1][t] = c->c1;
    x[2][t] = c->c2;
    x[3][t] = c->c3;
  }
  hebb_philox_lanes(x, c->seed);
  for (int k = 0; k < 4; k++)
    for (int t = 0; t < TILE; t++)
      w[k][t] = x[k][t];
}

static inline void philox_tile(const uint32_t *id, const ctr *c, double *ua, double *ub) {
  uint64_t w[4][TILE];
  philox_tile_words(id, c, (uint64_t *const[4]){w[0], w[1], w[2], w[3]});
  for (int t = 0; t < TILE; t++) {
    ua[t] = hebb_u53((uint32_t)w[0][t], (uint32_t)w[1][t]);
    ub[t] = hebb_u53((uint32_t)w[2][t], (uint32_t)w[3][t]);
  }
}
#endif

/* One block of each of the N sequences of L (counter words 1-3 in C), its two uniforms, and
 * the two steps of Knuth's loop they allow: p *= u; if p > exp(-lambda), one more and go on,
 * else stop. The steps are a loop without branches, which the compiler vectorises. */
static void round_block(lanes *restrict l, size_t n, const ctr *c, double enl) {
  for (size_t i0 = 0; i0 < n; i0 += TILE)
    philox_tile(l->id + i0, c, l->ua + i0, l->ub + i0);
  for (size_t i = 0; i < n; i++) {
    double p1 = l->p[i] * l->ua[i];
    uint32_t a1 = p1 > enl;
    double p2 = p1 * l->ub[i];
    uint32_t a2 = a1 & (p2 > enl);
    l->kl[i] += (a1 + a2) << 8;
    l->p[i] = a1 ? p2 : p1;
    l->alive[i] = a2;
  }
}

/* The counts of B by inversion of its law's table: the word of each sequence (the blocks of
 * the batch computed once each, a tile at a time), then the thresholds it reaches counted,
 * threshold by threshold across the batch, until one lies above every word. */
static uint64_t counts_inverted(const hebb_poisson_batch *b, const ctr *c, uint32_t *cnt) {
  const size_t n = b->n;
  const uint32_t *id = b->id;
  enum { CHUNK = 16 };
  uint32_t quad[HEBB_POISSON_BATCH], word[HEBB_POISSON_BATCH];
  uint16_t slot[HEBB_POISSON_BATCH]; /* the lane's block among QUAD */
  uint64_t w[4][HEBB_POISSON_BATCH];
  /* The blocks of the batch, each computed once. The usual batch is every d-th id from id[0]
   * (a population's neurons on one of d partitions), d a power of two up to 64. Then within
   * one window of 256 ids (a block's four ids lie in one, 64 apart) lane s + j, j counted
   * from the window's first lane s, has the block of lane s + j mod 64 / d. */
  const uint32_t d = n > 1 ? id[1] - id[0] : 1;
  uint32_t off = 0; /* nonzero when some id is not id[0] + i d */
  for (size_t i = 1; i < n; i++)
    off |= id[i] ^ (id[0] + (uint32_t)i * d);
  const bool ap = off == 0 && d != 0 && d <= 64 && (d & (d - 1)) == 0 &&
                  (uint64_t)id[0] + (uint64_t)(n - 1) * d <= UINT32_MAX;
  size_t m = 0;
  if (ap) {
    const uint32_t L = 64 / d;
    for (size_t s = 0; s < n;) {
      const uint64_t next = ((uint64_t)(id[s] >> 8) + 1) << 8; /* the next window's first id */
      size_t e = s + (size_t)((next - id[s] + d - 1) / d);
      e = e < n ? e : n;
      const size_t nb = e - s < L ? e - s : L;
      for (size_t j = 0; j < nb; j++)
        quad[m + j] = hebb_poisson_block(id[s + j]);
      for (size_t i = s; i < e; i++)
        slot[i] = (uint16_t)(m + ((i - s) & (L - 1)));
      m += nb;
      s = e;
    }
  } else {                      /* any other ids: consecutive repeats once */
    uint32_t prev = UINT32_MAX; /* no block: block ids are below 2^30 */
    for (size_t i = 0; i < n; i++) {
      uint32_t q = hebb_poisson_block(id[i]);
      m += q != prev;
      quad[m - 1] = q;
      slot[i] = (uint16_t)(m - 1);
      prev = q;
    }
  }
  for (size_t i = m; i % TILE; i++)
    quad[i] = 0; /* the tile's spare lanes: drawn and ignored */
  for (size_t i0 = 0; i0 < m; i0 += TILE)
    philox_tile_words(quad + i0, c,
                      (uint64_t *const[4]){w[0] + i0, w[1] + i0, w[2] + i0, w[3] + i0});
  for (size_t i = 0; i < n; i++)
    word[i] = (uint32_t)w[hebb_poisson_word(id[i])][slot[i]];
  for (size_t i = n; i % CHUNK; i++)
    word[i] = 0;
  /* CHUNK lanes at a time, their counts in registers, up to the first threshold above all
   * their words */
  const hebb_poisson_law *law = b->law;
  uint64_t sum = 0;
  for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
    uint32_t wmax = 0, k[CHUNK] = {0};
    for (int i = 0; i < CHUNK; i++)
      wmax = word[i0 + i] > wmax ? word[i0 + i] : wmax;
    for (uint32_t j = 0; j < law->n && law->t[j] <= wmax; j++) {
      const uint32_t t = law->t[j];
      for (int i = 0; i < CHUNK; i++)
        k[i] += word[i0 + i] >= t;
    }
    const size_t nc = n - i0 < CHUNK ? n - i0 : CHUNK;
    for (size_t i = 0; i < nc; i++) {
      cnt[i0 + i] = k[i];
      sum += k[i];
    }
  }
  return sum;
}

/* Writes the counts of the finished sequences of L[0..n) and moves those still drawing to
 * the front; returns how many these are. Without branches: every count is written (a
 * sequence still drawing writes its count again when it finishes). */
static size_t compact(lanes *l, size_t n, uint32_t *cnt) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t kl = l->kl[i];
    cnt[kl & 0xff] = kl >> 8;
    l->id[m] = l->id[i];
    l->p[m] = l->p[i];
    l->kl[m] = kl;
    m += l->alive[i];
  }
  return m;
}

uint64_t hebb_poisson_counts_ex(const hebb_poisson_batch *b, uint64_t seed, uint32_t *cnt,
                                int rounds, size_t min_lanes) {
  size_t n = b->n;
  if (!n)
    return 0;
  if (rounds > HEBB_POISSON_ROUNDS)
    rounds = HEBB_POISSON_ROUNDS;
  /* as hebb_rng_init */
  uint64_t ix = b->index << 16;
  ctr c = {.c1 = (uint32_t)ix, .c2 = (uint32_t)(ix >> 32), .c3 = b->stream, .seed = seed};
  c.k0[0] = (uint32_t)seed;
  c.k1[0] = (uint32_t)(seed >> 32);
  for (int j = 1; j < 10; j++) {
    c.k0[j] = c.k0[j - 1] + PHILOX_W32_0;
    c.k1[j] = c.k1[j - 1] + PHILOX_W32_1;
  }
  if (b->law->table)
    return counts_inverted(b, &c, cnt);
  const double enl = b->law->exp_neg_lambda;
  lanes l;
  memcpy(l.id, b->id, n * sizeof *l.id);
  /* p = 1: the first product 1 * u is u, the first uniform of Knuth's loop */
  for (size_t i = 0; i < n; i++) {
    l.p[i] = 1.0;
    l.kl[i] = (uint32_t)i;
  }
  /* round_block works on whole tiles: the lanes after the last sequence are drawn too and
   * ignored; give them values (compaction leaves defined values there) */
  for (size_t i = n; i % TILE; i++) {
    l.id[i] = 0;
    l.p[i] = 0.0;
    l.kl[i] = 0;
  }
  /* block r of every sequence: word 1 of the counter is index << 16 + r, which never carries
   * into word 2 for r < 2^16 (hebb_rng_u32 carries) */
  int r = 0;
  for (; r < rounds && n > 0 && n >= min_lanes; r++) {
    round_block(&l, n, &c, enl);
    c.c1++;
    n = compact(&l, n, cnt);
  }
  /* the rest one by one, from block r of their sequences */
  for (size_t i = 0; i < n; i++) {
    hebb_rng g;
    hebb_rng_init_at(&g, seed, b->stream, l.id[i], b->index, (uint32_t)r);
    cnt[l.kl[i] & 0xff] = hebb_poisson_knuth(&g, l.p[i], l.kl[i] >> 8, enl);
  }
  uint64_t sum = 0;
  for (size_t i = 0; i < b->n; i++)
    sum += cnt[i];
  return sum;
}

uint64_t hebb_poisson_counts(const hebb_poisson_batch *b, uint64_t seed, uint32_t *cnt) {
  return hebb_poisson_counts_ex(b, seed, cnt, HEBB_POISSON_ROUNDS, 4);
}

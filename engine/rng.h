/* rng.h - counter-based random numbers (Random123's Philox4x32-10).
 *
 * Invariant I1 of the design: a random number depends only on what it is for, never on
 * which thread draws it or in what order. Each draw is keyed by the model seed and a
 * counter made of (stream, id, index): the stream names the purpose (a projection's
 * connectivity, its weights, a population's Poisson input, ...), the id a global neuron id,
 * the index a step or a synapse ordinal. A hebb_rng walks one such (stream, id, index)
 * sequence; within it, 2^16 blocks of four 32-bit words are available before the index
 * part rolls over, so callers give each index its own sequence.
 */
#ifndef HEBB_ENGINE_RNG_H
#define HEBB_ENGINE_RNG_H

#include <Random123/philox.h>
#include <math.h>
#include <stdint.h>

/* Streams: purpose << 16 | object id. Frozen: changing them changes every result. */
enum {
  HEBB_STREAM_INITIAL = 1,  /* per population and state variable */
  HEBB_STREAM_CONNECT = 2,  /* per projection: which pairs are connected */
  HEBB_STREAM_WEIGHT = 3,   /* per projection: weight of each synapse */
  HEBB_STREAM_DELAY = 4,    /* per projection: delay of each synapse */
  HEBB_STREAM_POISSON = 5,  /* per population: Poisson generator spikes */
  HEBB_STREAM_CRITIC = 6,   /* per projection: delays of its critic's rewards */
  HEBB_STREAM_FEEDBACK = 7, /* per feedback: random feedback weights B_ki */
  HEBB_STREAM_INDEGREE = 8, /* per projection: fixed_total_number's in-degrees */
};

typedef struct {
  philox4x32_key_t key;
  philox4x32_ctr_t ctr;
  philox4x32_ctr_t out;
  int pos; /* next unused word of out; 4 = empty */
} hebb_rng;

static inline uint32_t hebb_stream(uint32_t purpose, uint32_t object) {
  return purpose << 16 | (object & 0xffffu);
}

/* Starts the sequence (seed, stream, id, index). */
static inline void hebb_rng_init(hebb_rng *r, uint64_t seed, uint32_t stream, uint32_t id,
                                 uint64_t index) {
  r->key.v[0] = (uint32_t)seed;
  r->key.v[1] = (uint32_t)(seed >> 32);
  uint64_t c = index << 16;
  r->ctr.v[0] = id;
  r->ctr.v[1] = (uint32_t)c;
  r->ctr.v[2] = (uint32_t)(c >> 32);
  r->ctr.v[3] = stream;
  r->pos = 4;
}

/* Starts the sequence (seed, stream, id, index) at its block BLOCK (< 2^16, four words
 * each): where a caller that computed the first blocks itself (hebb_philox_lanes) goes on. */
static inline void hebb_rng_init_at(hebb_rng *r, uint64_t seed, uint32_t stream, uint32_t id,
                                    uint64_t index, uint32_t block) {
  hebb_rng_init(r, seed, stream, id, index);
  r->ctr.v[1] += block; /* the low 16 bits of index << 16 are zero: no carry */
}

/* The next 32 random bits of the sequence. */
static inline uint32_t hebb_rng_u32(hebb_rng *r) {
  if (r->pos == 4) {
    r->out = philox4x32(r->ctr, r->key);
    if (++r->ctr.v[1] == 0)
      ++r->ctr.v[2];
    r->pos = 0;
  }
  return r->out.v[r->pos++];
}

/* Uniform in [0, 1) with 53 random bits, from two words. */
static inline double hebb_u53(uint32_t w0, uint32_t w1) {
  uint64_t a = w0 >> 5, b = w1 >> 6;
  return ((double)a * 67108864.0 + (double)b) * (1.0 / 9007199254740992.0);
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double hebb_rng_uniform(hebb_rng *r) {
  uint32_t w0 = hebb_rng_u32(r);
  return hebb_u53(w0, hebb_rng_u32(r));
}

/* Uniform integer in [0, n) from two words (as hebb_rng_below). */
static inline uint64_t hebb_below2(uint32_t w0, uint32_t w1, uint64_t n) {
  uint64_t x = (uint64_t)w0 << 32 | w1;
  return (uint64_t)(((unsigned __int128)x * n) >> 64);
}

/* Uniform integer in [0, n), n > 0 (64-bit multiply-shift; bias below n / 2^64). */
static inline uint64_t hebb_rng_below(hebb_rng *r, uint64_t n) {
  uint32_t w0 = hebb_rng_u32(r); /* the high word first, in sequence */
  return hebb_below2(w0, hebb_rng_u32(r), n);
}

/* Standard normal by Box-Muller; one value per two uniforms, the partner discarded so that
 * every draw consumes the same number of words. */
static inline double hebb_rng_normal(hebb_rng *r) {
  double u1 = 1.0 - hebb_rng_uniform(r); /* (0, 1] keeps log finite */
  double u2 = hebb_rng_uniform(r);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Philox4x32-10 of HEBB_PHILOX_LANES counters at once, in place (c[word][lane]): the same
 * function as philox4x32, written lane-parallel so that the compiler vectorises it. For
 * callers that know many counters in advance (a hebb_rng's block b of sequence (stream, id,
 * index) has the counter {id, (index << 16) + b, stream}, carry included). */
enum { HEBB_PHILOX_LANES = 16 };
static inline void hebb_philox_lanes(uint32_t c[4][HEBB_PHILOX_LANES], uint64_t seed) {
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int round = 0; round < 10; round++) {
    for (int i = 0; i < HEBB_PHILOX_LANES; i++) {
      uint64_t p0 = (uint64_t)PHILOX_M4x32_0 * c[0][i], p1 = (uint64_t)PHILOX_M4x32_1 * c[2][i];
      uint32_t x1 = c[1][i], x3 = c[3][i];
      c[0][i] = (uint32_t)(p1 >> 32) ^ x1 ^ k0;
      c[1][i] = (uint32_t)p1;
      c[2][i] = (uint32_t)(p0 >> 32) ^ x3 ^ k1;
      c[3][i] = (uint32_t)p0;
    }
    k0 += PHILOX_W32_0;
    k1 += PHILOX_W32_1;
  }
}

#endif

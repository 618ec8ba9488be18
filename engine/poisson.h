/* poisson.h - Poisson counts for many counter-based sequences at once.
 *
 * The count of mean lambda of neuron ID at step INDEX of a stream is drawn in one of two
 * ways (hebb_poisson_law_init):
 *  - by inversion, where asked for (a poisson_generator's `draws: inversion`) and the table
 *    of the distribution function fits in HEBB_POISSON_TABLE entries (means up to about
 *    25): the count is the number of thresholds ceil(P(count <= k) * 2^32) that one 32-bit
 *    word reaches (probabilities resolved to 2^-32). The word is word hebb_poisson_word(ID)
 *    of the first Philox4x32-10 block of sequence (stream, hebb_poisson_block(ID), INDEX) of
 *    hebb_rng: one block serves the four neurons whose ids differ only in bits 6 and 7, so
 *    that a partition, whose neurons' ids agree modulo the number of partitions, uses all
 *    four words when that number is a power of two up to 64;
 *  - by Knuth's product of uniforms otherwise (the default, the streams of hebb 0.1), from
 *    sequence (stream, ID, INDEX), each uniform two 32-bit words (about lambda + 1 of them).
 * hebb_poisson_draw draws one count; a batch draws the same counts for up to
 * HEBB_POISSON_BATCH sequences that differ only in their id (the neurons of a Poisson
 * population in one step), bit for bit. It computes the Philox blocks in vectorised loops:
 * for inversion, each block the batch needs once; for Knuth's method, one block (two
 * uniforms) for every sequence still drawing, with the same double products in the same
 * order, keeping the sequences that need more, and finishing the few left after
 * HEBB_POISSON_ROUNDS blocks (or when too few are left to fill the vectors) one by one with
 * hebb_rng, from the block they reached.
 */
#ifndef HEBB_ENGINE_POISSON_H
#define HEBB_ENGINE_POISSON_H

#include "rng.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEBB_POISSON_TABLE 64

/* How counts of one mean are drawn. */
typedef struct {
  bool table;            /* by inversion of t; false: Knuth's method */
  uint32_t n;            /* thresholds in t: the largest count by inversion */
  double exp_neg_lambda; /* Knuth's method: exp(-lambda) */
  /* t[k] = ceil(P(count <= k) * 2^32), the probabilities summed in double; a word w gives
   * the count #{k < n : w >= t[k]}. The n-th would be 2^32 (or the tail beyond it is
   * below 2^-40). */
  uint32_t t[HEBB_POISSON_TABLE];
} hebb_poisson_law;

/* The law of counts of mean LAMBDA (>= 0, finite), drawn by inversion where INVERSION asks
 * for it and the table fits, by Knuth's method otherwise. */
void hebb_poisson_law_init(hebb_poisson_law *law, double lambda, bool inversion);

/* Drawing by inversion, neuron ID's block (the id word of its counter) and its word in it: id
 * bits 0-5 and 8-31 name the block, bits 6-7 the word. */
static inline uint32_t hebb_poisson_block(uint32_t id) {
  return (id & 63u) | (id >> 8 << 6);
}
static inline uint32_t hebb_poisson_word(uint32_t id) {
  return id >> 6 & 3u;
}

/* Knuth's method from where a count stands: the running product P and count K so far, the
 * next uniform from R; returns the count. */
static inline uint32_t hebb_poisson_knuth(hebb_rng *r, double p, uint32_t k,
                                          double exp_neg_lambda) {
  for (;;) {
    p *= hebb_rng_uniform(r);
    if (!(p > exp_neg_lambda))
      return k;
    k++;
  }
}

/* One count: of sequence (STREAM, ID, INDEX) under SEED (see above). */
static inline uint32_t hebb_poisson_draw(uint64_t seed, uint32_t stream, uint32_t id,
                                         uint64_t index, const hebb_poisson_law *law) {
  hebb_rng r;
  uint32_t k = 0;
  if (law->table) {
    hebb_rng_init(&r, seed, stream, hebb_poisson_block(id), index);
    uint32_t w = 0;
    for (uint32_t j = 0; j <= hebb_poisson_word(id); j++)
      w = hebb_rng_u32(&r);
    for (uint32_t j = 0; j < law->n; j++)
      k += w >= law->t[j];
    return k;
  }
  hebb_rng_init(&r, seed, stream, id, index);
  return hebb_poisson_knuth(&r, 1.0, 0, law->exp_neg_lambda); /* 1 * u is u */
}

#define HEBB_POISSON_BATCH 256
#define HEBB_POISSON_ROUNDS 8

/* The sequences (stream, id[i], index) of hebb_rng_init, i < n, each with the counts' LAW. */
typedef struct {
  uint32_t stream;
  uint64_t index;
  const hebb_poisson_law *law;
  size_t n;
  uint32_t id[HEBB_POISSON_BATCH];
} hebb_poisson_batch;

/* cnt[i] = hebb_poisson_draw of sequence i of B under SEED, for i < B->n; returns their sum. */
uint64_t hebb_poisson_counts(const hebb_poisson_batch *b, uint64_t seed, uint32_t *cnt);

/* The same with at most ROUNDS (<= HEBB_POISSON_ROUNDS) vectorised blocks of Knuth's method
 * and MIN_LANES the fewest sequences worth a vectorised block: for the tests of the scalar
 * completion (inversion takes one vectorised block whatever ROUNDS). */
uint64_t hebb_poisson_counts_ex(const hebb_poisson_batch *b, uint64_t seed, uint32_t *cnt,
                                int rounds, size_t min_lanes);

#endif

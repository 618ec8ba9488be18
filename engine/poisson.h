/* poisson.h - Poisson counts for many counter-based sequences at once.
 *
 * hebb_rng_poisson (rng.h) draws one count from one (seed, stream, id, index) sequence: Knuth's
 * product of uniforms, each uniform two 32-bit words of Philox4x32-10. A batch draws the same
 * counts for up to HEBB_POISSON_BATCH sequences that differ only in their id (the neurons of a
 * Poisson population in one step), bit for bit: the same words, the same double products in
 * the same order, the same comparisons. It computes one Philox block (two uniforms) for every
 * sequence still drawing in vectorised loops, keeps the sequences that need more, and
 * finishes the few left after HEBB_POISSON_ROUNDS blocks (or when too few are left to fill
 * the vectors) one by one with hebb_rng, from the block they reached.
 */
#ifndef HEBB_ENGINE_POISSON_H
#define HEBB_ENGINE_POISSON_H

#include <stddef.h>
#include <stdint.h>

#define HEBB_POISSON_BATCH 256
#define HEBB_POISSON_ROUNDS 8

/* The sequences (stream, id[i], index) of hebb_rng_init, i < n, each with exp_neg_lambda =
 * exp(-lambda) as for hebb_rng_poisson. */
typedef struct {
  uint32_t stream;
  uint64_t index;
  double exp_neg_lambda;
  size_t n;
  uint32_t id[HEBB_POISSON_BATCH];
} hebb_poisson_batch;

/* cnt[i] = hebb_rng_poisson of sequence i of B under SEED, for i < B->n; returns their sum. */
uint64_t hebb_poisson_counts(const hebb_poisson_batch *b, uint64_t seed, uint32_t *cnt);

/* The same with at most ROUNDS (<= HEBB_POISSON_ROUNDS) vectorised blocks and MIN_LANES
 * the fewest sequences worth a vectorised block: for the tests of the scalar completion. */
uint64_t hebb_poisson_counts_ex(const hebb_poisson_batch *b, uint64_t seed, uint32_t *cnt,
                                int rounds, size_t min_lanes);

#endif

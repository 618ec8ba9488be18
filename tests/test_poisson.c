/* test_poisson.c - tests of engine/poisson: batched Poisson counts must equal, count for
 * count, those of hebb_rng_poisson on the same (seed, stream, id, index) sequences, whatever
 * the batch size, the mix of means in a batch, and however many sequences are finished by
 * the vectorised blocks or one by one (the scalar completion). */
#include "harness.h"
#include "poisson.h"
#include "rng.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

static const double lambdas[] = {0.01, 0.5, 2.0, 8.0, 30.0};
#define NLAMBDA (sizeof lambdas / sizeof lambdas[0])

static uint32_t reference(uint64_t seed, uint32_t stream, uint32_t id, uint64_t index, double enl) {
  hebb_rng r;
  hebb_rng_init(&r, seed, stream, id, index);
  return hebb_rng_poisson(&r, enl);
}

/* A small generator of test cases (not the engine's streams). */
static uint64_t mix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Fills B with N sequences of STREAM at INDEX with mean LAMBDA: consecutive ids from ID0 (as
 * deliver_direct makes them) or, when MIXED, random ids. */
static void fill(hebb_poisson_batch *b, size_t n, uint32_t stream, uint32_t id0, uint64_t index,
                 double lambda, bool mixed, uint64_t *x) {
  b->stream = stream;
  b->index = index;
  b->exp_neg_lambda = exp(-lambda);
  b->n = n;
  for (size_t i = 0; i < n; i++)
    b->id[i] = mixed ? (uint32_t)mix(x) : id0 + (uint32_t)i;
}

/* The counts of B under SEED, with ROUNDS (< 0: hebb_poisson_counts) and MIN_LANES, against
 * the reference. */
static void check_batch(const hebb_poisson_batch *b, uint64_t seed, int rounds, size_t min_lanes,
                        const char *what) {
  uint32_t cnt[HEBB_POISSON_BATCH];
  uint64_t sum = rounds < 0 ? hebb_poisson_counts(b, seed, cnt)
                            : hebb_poisson_counts_ex(b, seed, cnt, rounds, min_lanes);
  uint64_t want_sum = 0;
  for (size_t i = 0; i < b->n; i++) {
    uint32_t want = reference(seed, b->stream, b->id[i], b->index, b->exp_neg_lambda);
    ck_assert_msg(cnt[i] == want,
                  "%s: lane %zu of %zu (id %u, index %llu, exp(-lambda) %.17g, rounds %d): "
                  "%u, expected %u",
                  what, i, b->n, b->id[i], (unsigned long long)b->index, b->exp_neg_lambda, rounds,
                  cnt[i], want);
    want_sum += want;
  }
  ck_assert_uint_eq(sum, want_sum);
}

/* A random index, small or large (both counter words it fills). */
static uint64_t any_index(uint64_t *x) {
  uint64_t i = mix(x);
  return i >> (i & 63);
}

/* Full batches of each mean at many steps, as deliver_direct makes them. */
START_TEST(test_each_lambda) {
  hebb_poisson_batch b;
  uint64_t x = 1;
  for (size_t li = 0; li < NLAMBDA; li++)
    for (uint64_t step = 0; step < 40; step++) {
      fill(&b, HEBB_POISSON_BATCH, hebb_stream(HEBB_STREAM_POISSON, 3), (uint32_t)(step * 977),
           step * 12345 + 7, lambdas[li], false, &x);
      check_batch(&b, 1, -1, 0, "full batch");
      check_batch(&b, 0xfedcba9876543210u, -1, 0, "full batch, 64-bit seed");
    }
}
END_TEST

/* Every batch size, with random ids, streams, indices and means. */
START_TEST(test_sizes_mixed) {
  hebb_poisson_batch b;
  uint64_t x = 2;
  for (size_t n = 0; n <= HEBB_POISSON_BATCH; n++) {
    fill(&b, n, hebb_stream(HEBB_STREAM_POISSON, (uint32_t)mix(&x)), 0, any_index(&x),
         lambdas[mix(&x) % NLAMBDA], true, &x);
    check_batch(&b, mix(&x), -1, 0, "mixed");
  }
}
END_TEST

/* The scalar completion from every block: no vectorised block at all, one, two, ..., and
 * a vectorised block for every sequence however few are left. With lambda = 30 (about 31
 * uniforms, 16 blocks) every sequence is completed one by one after HEBB_POISSON_ROUNDS. */
START_TEST(test_scalar_completion) {
  hebb_poisson_batch b;
  uint64_t x = 3;
  for (size_t li = 0; li < NLAMBDA; li++)
    for (int rounds = 0; rounds <= HEBB_POISSON_ROUNDS; rounds++)
      for (int t = 0; t < 4; t++) {
        fill(&b, 1 + mix(&x) % HEBB_POISSON_BATCH, hebb_stream(HEBB_STREAM_POISSON, 1),
             (uint32_t)mix(&x), any_index(&x), lambdas[li], t & 1, &x);
        check_batch(&b, 42, rounds, 1, "rounds");
        check_batch(&b, 42, rounds, 1 + mix(&x) % 64, "rounds, min lanes");
        check_batch(&b, 42, rounds, HEBB_POISSON_BATCH + 1, "all scalar");
      }
}
END_TEST

/* Extreme means: lambda 0 (no spikes) and a large one (hundreds of uniforms). */
START_TEST(test_extremes) {
  hebb_poisson_batch b;
  uint64_t x = 4;
  fill(&b, HEBB_POISSON_BATCH, 5, 5, 9, 0.0, false, &x);
  uint32_t cnt[HEBB_POISSON_BATCH];
  ck_assert_uint_eq(hebb_poisson_counts(&b, 7, cnt), 0);
  for (size_t i = 0; i < b.n; i++)
    ck_assert_uint_eq(cnt[i], 0);
  fill(&b, 64, 5, 5, 9, 300.0, false, &x);
  check_batch(&b, 7, -1, 0, "lambda 300");
}
END_TEST

/* The mean of many counts is lambda (the batch is the same process, not only the same
 * numbers as the reference). */
START_TEST(test_mean) {
  hebb_poisson_batch b;
  uint64_t x = 5;
  uint32_t cnt[HEBB_POISSON_BATCH];
  for (size_t li = 0; li < NLAMBDA; li++) {
    uint64_t sum = 0, n = 0;
    for (uint64_t step = 0; step < 200; step++) {
      fill(&b, HEBB_POISSON_BATCH, 5, 0, step, lambdas[li], false, &x);
      sum += hebb_poisson_counts(&b, 11, cnt);
      n += b.n;
    }
    double mean = (double)sum / (double)n, sd = sqrt(lambdas[li] / (double)n);
    ck_assert_msg(fabs(mean - lambdas[li]) < 5 * sd, "lambda %g: mean %g", lambdas[li], mean);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("poisson");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_each_lambda);
  tcase_add_test(tc, test_sizes_mixed);
  tcase_add_test(tc, test_scalar_completion);
  tcase_add_test(tc, test_extremes);
  tcase_add_test(tc, test_mean);
  suite_add_tcase(s, tc);
  return run_suite(s);
}

/* test_poisson.c - tests of engine/poisson: batched Poisson counts must equal, count for
 * count, those of hebb_poisson_draw on the same (seed, stream, id, index) sequences, whatever
 * the batch size, the ids in a batch (consecutive, every other one, random), the mix of
 * means, and however many sequences are finished by the vectorised blocks or one by one (the
 * scalar completion); both ways of drawing (inversion of a table, Knuth's method) must give
 * Poisson counts: the distribution against the Poisson probabilities (chi-square), the
 * mean and variance, and no correlation between the four neurons that share a block. */
#include "harness.h"
#include "poisson.h"
#include "rng.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* by inversion up to 8; 30 and 300 by Knuth's method */
static const double lambdas[] = {0.01, 0.5, 2.0, 8.0, 30.0};
#define NLAMBDA (sizeof lambdas / sizeof lambdas[0])

/* The way of drawing under test: every test runs once with each (the tcases' fixtures). */
static bool inversion;
static void use_knuth(void) {
  inversion = false;
}
static void use_inversion(void) {
  inversion = true;
}

/* One law per mean and way of drawing, made once. */
static const hebb_poisson_law *law_of(double lambda) {
  static hebb_poisson_law laws[16];
  static double made[16];
  static bool made_inv[16];
  static int nmade;
  for (int i = 0; i < nmade; i++)
    if (made[i] == lambda && made_inv[i] == inversion)
      return &laws[i];
  ck_assert_int_lt(nmade, 16);
  hebb_poisson_law_init(&laws[nmade], lambda, inversion);
  made[nmade] = lambda;
  made_inv[nmade] = inversion;
  return &laws[nmade++];
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
  b->law = law_of(lambda);
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
    uint32_t want = hebb_poisson_draw(seed, b->stream, b->id[i], b->index, b->law);
    ck_assert_msg(cnt[i] == want,
                  "%s: lane %zu of %zu (id %u, index %llu, exp(-lambda) %.17g, rounds %d): "
                  "%u, expected %u",
                  what, i, b->n, b->id[i], (unsigned long long)b->index, b->law->exp_neg_lambda,
                  rounds, cnt[i], want);
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

/* The ids of one partition of P round-robin partitions, as update() and deliver_direct make
 * them: every P-th id (by inversion, batches whose P is a power of two up to 64 take their
 * blocks window by window, the others through the general path). */
START_TEST(test_strided_ids) {
  hebb_poisson_batch b;
  uint64_t x = 6;
  static const uint32_t parts[] = {1, 2, 3, 4, 5, 8, 64, 128};
  for (size_t pi = 0; pi < sizeof parts / sizeof parts[0]; pi++)
    for (uint32_t P = parts[pi], part = 0; part < P; part++)
      for (size_t li = 0; li < NLAMBDA; li++) {
        fill(&b, 1 + mix(&x) % HEBB_POISSON_BATCH, hebb_stream(HEBB_STREAM_POISSON, 2), 0,
             any_index(&x), lambdas[li], false, &x);
        uint32_t id0 = (uint32_t)(mix(&x) % 100000);
        for (size_t i = 0; i < b.n; i++)
          b.id[i] = (id0 + (uint32_t)i) * P + part;
        check_batch(&b, 3, -1, 0, "strided");
      }
}
END_TEST

/* The table: inversion, when asked for, up to 8 (and the table flag off beyond it),
 * thresholds rising, lambda 0 drawing nothing. */
START_TEST(test_law) {
  for (size_t li = 0; li < NLAMBDA; li++) {
    const hebb_poisson_law *l = law_of(lambdas[li]);
    ck_assert_msg(l->table == (inversion && lambdas[li] <= 8.0), "lambda %g: table %d", lambdas[li],
                  l->table);
    ck_assert_double_eq(l->exp_neg_lambda, exp(-lambdas[li]));
    if (!l->table)
      continue;
    ck_assert_uint_gt(l->n, lambdas[li]);
    for (uint32_t k = 1; k < l->n; k++)
      ck_assert_uint_ge(l->t[k], l->t[k - 1]);
    /* the first threshold is P(0) = exp(-lambda) in units of 2^-32 */
    ck_assert(fabs((double)l->t[0] - exp(-lambdas[li]) * 0x1p32) <= 1.0);
  }
  hebb_poisson_law z;
  hebb_poisson_law_init(&z, 0.0, inversion);
  ck_assert(z.table == inversion);
  ck_assert_uint_eq(z.n, 0);
  ck_assert_uint_eq(hebb_poisson_draw(1, 2, 3, 4, &z), 0);
}
END_TEST

/* Chi-square of the counts of many neurons and steps against the Poisson probabilities, and
 * their variance, for means drawn each way; and the correlation of the counts of the
 * neighbours that share a block (ids 4q + w) must be none. */
START_TEST(test_distribution) {
  const double ls[] = {0.05, 0.4, 2.0, 8.0, 30.0};
  enum { KMAX = 80 };
  for (size_t li = 0; li < sizeof ls / sizeof ls[0]; li++) {
    const double lambda = ls[li];
    hebb_poisson_batch b;
    uint64_t x = 7, hist[KMAX + 1] = {0}, n = 0;
    double s = 0, s2 = 0, sxy = 0;
    uint64_t npair = 0;
    uint32_t cnt[HEBB_POISSON_BATCH];
    for (uint64_t step = 0; step < 2000; step++) {
      fill(&b, HEBB_POISSON_BATCH, hebb_stream(HEBB_STREAM_POISSON, 9), 1024, step, lambda, false,
           &x);
      hebb_poisson_counts(&b, 17, cnt);
      for (size_t i = 0; i < b.n; i++) {
        hist[cnt[i] < KMAX ? cnt[i] : KMAX]++;
        s += cnt[i];
        s2 += (double)cnt[i] * cnt[i];
        n++;
        /* ids 1024 + i, one window of 256: lanes i, i + 64, i + 128, i + 192 share a block
         * (by inversion); every pair of them */
        for (size_t j = i + 64; j < HEBB_POISSON_BATCH; j += 64) {
          sxy += ((double)cnt[i] - lambda) * ((double)cnt[j] - lambda);
          npair++;
        }
      }
    }
    double mean = s / (double)n, var = s2 / (double)n - mean * mean;
    ck_assert_msg(fabs(mean - lambda) < 5 * sqrt(lambda / (double)n), "lambda %g: mean %g", lambda,
                  mean);
    /* the variance of a sample variance of a Poisson variable: (lambda + 2 lambda^2) / n */
    ck_assert_msg(fabs(var - lambda) < 5 * sqrt((lambda + 2 * lambda * lambda) / (double)n),
                  "lambda %g: variance %g", lambda, var);
    double r = sxy / (double)npair / lambda;
    ck_assert_msg(fabs(r) < 5 / sqrt((double)npair), "lambda %g: neighbours correlated, r = %g",
                  lambda, r);
    /* chi-square over the bins with at least 20 expected, the rest lumped at each end */
    double chi2 = 0, p = exp(-lambda), lo_e = 0, lo_o = 0, hi_o = 0, cum = 0;
    int dof = -1;
    for (int k = 0; k < KMAX; k++) {
      double e = p * (double)n;
      if (e >= 20) {
        if (lo_e > 0) {
          chi2 += (lo_o - lo_e) * (lo_o - lo_e) / lo_e;
          dof++;
          lo_e = lo_o = 0;
        }
        chi2 += ((double)hist[k] - e) * ((double)hist[k] - e) / e;
        dof++;
        cum += p;
      } else if (cum < 0.5) {
        lo_e += e, lo_o += (double)hist[k], cum += p;
      } else {
        hi_o += (double)hist[k];
      }
      p *= lambda / (k + 1);
    }
    hi_o += (double)hist[KMAX];
    double hi_e = (1 - cum) * (double)n;
    if (hi_e >= 1) {
      chi2 += (hi_o - hi_e) * (hi_o - hi_e) / hi_e;
      dof++;
    }
    /* the 1 - 3e-7 quantile (z = 5) of chi-square, Wilson and Hilferty */
    double c = 2.0 / (9.0 * dof), crit = dof * pow(1 - c + 5 * sqrt(c), 3);
    ck_assert_msg(dof >= 1 && chi2 < crit, "lambda %g: chi-square %g on %d degrees, limit %g",
                  lambda, chi2, dof, crit);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("poisson");
  const char *names[2] = {"knuth", "inversion"};
  void (*setups[2])(void) = {use_knuth, use_inversion};
  for (int k = 0; k < 2; k++) {
    TCase *tc = tcase_create(names[k]);
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setups[k], NULL);
    tcase_add_test(tc, test_each_lambda);
    tcase_add_test(tc, test_sizes_mixed);
    tcase_add_test(tc, test_scalar_completion);
    tcase_add_test(tc, test_extremes);
    tcase_add_test(tc, test_mean);
    tcase_add_test(tc, test_strided_ids);
    tcase_add_test(tc, test_law);
    tcase_add_test(tc, test_distribution);
    suite_add_tcase(s, tc);
  }
  return run_suite(s);
}

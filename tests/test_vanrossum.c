/* test_vanrossum.c - tests of engine/vanrossum: the van Rossum distance (MODELS.md section 3,
 * validation VR1 of section 4).
 *
 * Two independent references: the O(n m) pairwise closed form
 *   D^2 = 1/2 [sum_ii' e^-|u_i-u_i'|/tau + sum_jj' e^-|v_j-v_j'|/tau - 2 sum_ij e^-|u_i-v_j|/tau]
 * evaluated in long double (64-bit mantissa, so its own rounding stays far below the 1e-12
 * asked of the double result), and the definition (1/tau) int (f - g)^2 dt integrated on a
 * fine grid from f and g summed spike by spike. Exact values: 1/2 for one unmatched spike,
 * 1 - e^{-|d|/tau} for two single spikes d apart, 0 for a train against itself. Each of them
 * fails for a wrong normalisation (no 1/2, tau in place of 1/tau), a dropped tail, a wrong
 * decay factor or a wrong sign. Trains come from a fixed xorshift sequence, so a failure
 * reproduces.
 */
#include "hebb.h"

#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64: a small, fixed, reproducible sequence */
static uint64_t rng_state;

static void rng_seed(uint64_t s) {
  rng_state = s ? s : 88172645463325252ull;
}

static uint64_t rng_next(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

/* uniform in [0, 1) */
static double rng_unit(void) {
  return (double)(rng_next() >> 11) * 0x1.0p-53;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* N sorted times uniform in [0, LEN) ms; with GRID > 0 on multiples of GRID ms (so that
 * coincident spikes, within and across trains, occur). The caller frees. */
static double *random_train(size_t n, double len, double grid) {
  double *t = malloc((n ? n : 1) * sizeof *t);
  ck_assert_ptr_nonnull(t);
  for (size_t i = 0; i < n; i++) {
    t[i] = rng_unit() * len;
    if (grid > 0)
      t[i] = floor(t[i] / grid) * grid;
  }
  qsort(t, n, sizeof *t, cmp_double);
  return t;
}

/* The O(n m) closed form in long double. */
static long double pair_sum(const double *a, size_t n, const double *b, size_t m, double tau) {
  long double s = 0.0L;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < m; j++)
      s += expl(-fabsl((long double)a[i] - (long double)b[j]) / (long double)tau);
  return s;
}

static double closed_form(const double *u, size_t n, const double *v, size_t m, double tau) {
  long double d2 = 0.5L * (pair_sum(u, n, u, n, tau) + pair_sum(v, m, v, m, tau) -
                           2.0L * pair_sum(u, n, v, m, tau));
  return (double)d2;
}

static void assert_rel(double got, double want, double tol, const char *what) {
  double err = fabs(got - want) / fmax(fabs(want), 1e-300);
  ck_assert_msg(err <= tol, "%s: got %.17g, expected %.17g (relative error %.3g > %.3g)", what, got,
                want, err, tol);
}

START_TEST(test_single_spike_is_half) {
  /* exactly 1/2, whatever the time and tau: the normalisation of MODELS.md section 3 */
  const double times[] = {0.0, 0.1, 37.25, 1e6, -5.0};
  const double taus[] = {0.01, 1.0, 10.0, 1e4};
  for (size_t a = 0; a < sizeof times / sizeof *times; a++)
    for (size_t b = 0; b < sizeof taus / sizeof *taus; b++) {
      ck_assert_double_eq(hebb_van_rossum(&times[a], 1, NULL, 0, taus[b]), 0.5);
      ck_assert_double_eq(hebb_van_rossum(NULL, 0, &times[a], 1, taus[b]), 0.5);
    }
  /* two spikes in the same step of one neuron: f jumps by 2, (1/tau) int 4 e^{-2t/tau} = 2 */
  const double twice[] = {5.0, 5.0};
  ck_assert_double_eq(hebb_van_rossum(twice, 2, NULL, 0, 10.0), 2.0);
  /* and one of them matched: 1/2 again */
  ck_assert_double_eq(hebb_van_rossum(twice, 2, twice, 1, 10.0), 0.5);
  /* empty against empty */
  ck_assert_double_eq(hebb_van_rossum(NULL, 0, NULL, 0, 10.0), 0.0);
  /* spikes far apart (10000 tau) add 1/2 each, to rounding */
  const double far[] = {0.0, 1e5, 2e5};
  ck_assert_double_eq_tol(hebb_van_rossum(far, 3, NULL, 0, 10.0), 1.5, 1e-15);
}
END_TEST

START_TEST(test_same_train_is_zero) {
  rng_seed(3);
  const size_t sizes[] = {0, 1, 2, 7, 100, 2000};
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
    /* continuous times, and times on a coarse grid (repeated spikes) */
    for (int grid = 0; grid < 2; grid++) {
      double *u = random_train(sizes[k], 500.0, grid ? 1.0 : 0.0);
      ck_assert_double_eq(hebb_van_rossum(u, sizes[k], u, sizes[k], 10.0), 0.0);
      ck_assert_double_eq(hebb_van_rossum(u, sizes[k], u, sizes[k], 0.3), 0.0);
      /* a copy, not the same memory */
      double *c = malloc((sizes[k] ? sizes[k] : 1) * sizeof *c);
      ck_assert_ptr_nonnull(c);
      if (sizes[k])
        memcpy(c, u, sizes[k] * sizeof *c);
      ck_assert_double_eq(hebb_van_rossum(u, sizes[k], c, sizes[k], 10.0), 0.0);
      free(c);
      free(u);
    }
  }
}
END_TEST

START_TEST(test_two_spikes_shifted) {
  /* u = {a}, v = {a + d}: D^2 = 1/2 (1 + 1 - 2 e^{-|d|/tau}) = 1 - e^{-|d|/tau}, to a few
   * ulps even for d of 1e-12 tau (the pairwise form would return 0 or noise there) */
  const double taus[] = {1.0, 10.0, 20.0};
  const double shifts[] = {1e-12, 1e-9, 1e-4, 0.1, 1.0, 5.0, 10.0, 33.3, 100.0, 1000.0};
  const double starts[] = {0.0, 3.5, 1000.0};
  for (size_t a = 0; a < sizeof taus / sizeof *taus; a++)
    for (size_t b = 0; b < sizeof shifts / sizeof *shifts; b++)
      for (size_t c = 0; c < sizeof starts / sizeof *starts; c++)
        for (int sign = -1; sign <= 1; sign += 2) {
          double tau = taus[a], d = sign * shifts[b] * tau / 10.0;
          double u = starts[c], v = starts[c] + d;
          double want = -expm1(-fabs(v - u) / tau); /* the shift as represented */
          char what[96];
          snprintf(what, sizeof what, "tau %g, shift %g", tau, v - u);
          assert_rel(hebb_van_rossum(&u, 1, &v, 1, tau), want, 4e-15, what);
        }
  /* the long-shift limit: two unmatched spikes */
  double u = 0.0, v = 1e9;
  ck_assert_double_eq(hebb_van_rossum(&u, 1, &v, 1, 10.0), 1.0);
}
END_TEST

START_TEST(test_symmetry) {
  rng_seed(5);
  for (int rep = 0; rep < 50; rep++) {
    size_t n = (size_t)(rng_unit() * 60), m = (size_t)(rng_unit() * 60);
    double grid = rep % 2 ? 0.5 : 0.0;
    double *u = random_train(n, 300.0, grid), *v = random_train(m, 300.0, grid);
    double tau = 0.5 + 30.0 * rng_unit();
    /* the same merge with the sign of f - g flipped: equal to the last bit */
    ck_assert_double_eq(hebb_van_rossum(u, n, v, m, tau), hebb_van_rossum(v, m, u, n, tau));
    free(u);
    free(v);
  }
}
END_TEST

START_TEST(test_closed_form) {
  /* random trains, dense (many spikes within tau, so every pair term matters) and sparse,
   * against the O(n m) closed form to 1e-12 relative */
  rng_seed(11);
  const size_t sizes[] = {0, 1, 2, 3, 10, 57, 300};
  const double taus[] = {0.5, 10.0, 100.0};
  int checked = 0;
  for (size_t a = 0; a < sizeof sizes / sizeof *sizes; a++)
    for (size_t b = 0; b < sizeof sizes / sizeof *sizes; b++)
      for (size_t c = 0; c < sizeof taus / sizeof *taus; c++)
        for (int grid = 0; grid < 2; grid++) {
          size_t n = sizes[a], m = sizes[b];
          if (n == 0 && m == 0)
            continue;
          double *u = random_train(n, 1000.0, grid ? 0.1 : 0.0);
          double *v = random_train(m, 1000.0, grid ? 0.1 : 0.0);
          double want = closed_form(u, n, v, m, taus[c]);
          char what[96];
          snprintf(what, sizeof what, "n %zu, m %zu, tau %g, grid %d", n, m, taus[c], grid);
          assert_rel(hebb_van_rossum(u, n, v, m, taus[c]), want, 1e-12, what);
          free(u);
          free(v);
          checked++;
        }
  ck_assert_int_eq(checked, (7 * 7 - 1) * 3 * 2);
}
END_TEST

START_TEST(test_nearly_equal_trains) {
  /* v = u shifted by 1e-9 ms, spikes 100 tau apart: D^2 = n (1 - e^{-delta/tau}) + (far
   * below a ulp). Relative accuracy must hold although D^2 is 1e-10 of the pair sums. */
  const size_t n = 1000;
  const double tau = 10.0, delta = 1e-9;
  double *u = malloc(n * sizeof *u), *v = malloc(n * sizeof *v);
  ck_assert_ptr_nonnull(u);
  ck_assert_ptr_nonnull(v);
  long double want = 0.0L;
  for (size_t i = 0; i < n; i++) {
    u[i] = 1000.0 * (double)i;
    v[i] = u[i] + delta;
    want += -expm1l(-(long double)(v[i] - u[i]) / tau); /* the shift as represented */
  }
  assert_rel(hebb_van_rossum(u, n, v, n, tau), (double)want, 1e-14, "shifted by 1e-9 ms");
  /* (the pairwise closed form in double keeps some 6 digits here: sums ~1000, D^2 ~1e-7) */
  free(u);
  free(v);
}
END_TEST

/* (1/tau) int (f - g)^2 dt by the trapezoid rule on the grid t = k h, for trains on
 * multiples of GRID = K h (so every jump of f - g lies on a grid point; each cell uses the
 * right limit at its left end and the left limit at its right end, so the integrand is
 * smooth on every cell and the error is c2 h^2 + c4 h^4 + ...). f and g are summed spike
 * by spike at every grid point, from the definition. Integrated up to 40 tau after the last
 * spike (the rest is e^-80 of the last value). */
static long double trapezoid(const double *u, size_t n, const double *v, size_t m, double tau,
                             double grid, long K) {
  long double h = (long double)grid / K;
  long first = LONG_MAX, last = 0;
  long *iu = malloc((n ? n : 1) * sizeof *iu), *iv = malloc((m ? m : 1) * sizeof *iv);
  ck_assert_ptr_nonnull(iu);
  ck_assert_ptr_nonnull(iv);
  for (size_t i = 0; i < n; i++) {
    iu[i] = lround(u[i] / grid) * K;
    first = iu[i] < first ? iu[i] : first;
    last = iu[i] > last ? iu[i] : last;
  }
  for (size_t j = 0; j < m; j++) {
    iv[j] = lround(v[j] / grid) * K;
    first = iv[j] < first ? iv[j] : first;
    last = iv[j] > last ? iv[j] : last;
  }
  long end = last + (long)ceill(40.0L * tau / h);
  long double sum = 0.0L, prev_right = 0.0L;
  for (long k = first; k <= end; k++) {
    long double left = 0.0L, right = 0.0L; /* f - g just before and just after k h */
    for (size_t i = 0; i < n; i++)
      if (iu[i] <= k) {
        long double e = expl(-(long double)(k - iu[i]) * h / tau);
        right += e;
        if (iu[i] < k)
          left += e;
      }
    for (size_t j = 0; j < m; j++)
      if (iv[j] <= k) {
        long double e = expl(-(long double)(k - iv[j]) * h / tau);
        right -= e;
        if (iv[j] < k)
          left -= e;
      }
    if (k > first)
      sum += 0.5L * h * (prev_right * prev_right + left * left);
    prev_right = right;
  }
  free(iu);
  free(iv);
  return sum / tau;
}

START_TEST(test_brute_force_integral) {
  /* The grid integral converges to hebb_van_rossum as h^2 (the error ratio between h and h/2
   * is 4), and its Richardson extrapolation (4 T(h/2) - T(h))/3, with h = tau/1600, agrees to
   * 1e-12 relative (measured: 1.4e-14): the next error term is of order (h/tau)^4 ~ 1e-13,
   * and long double summation of 1e5 cells adds ~1e-15. A D^2 off by 1e-11 relative fails. */
  rng_seed(17);
  const double tau = 10.0, grid = 0.5;
  for (int rep = 0; rep < 4; rep++) {
    size_t n = 3 + (size_t)(rng_unit() * 10), m = 3 + (size_t)(rng_unit() * 10);
    double *u = random_train(n, 100.0, grid), *v = random_train(m, 100.0, grid);
    if (rep == 0) /* a spike of u and one of v at the same time */
      v[0] = u[0];
    qsort(v, m, sizeof *v, cmp_double);
    double d2 = hebb_van_rossum(u, n, v, m, tau);
    long double t1 = trapezoid(u, n, v, m, tau, grid, 20); /* h = tau/400 */
    long double t2 = trapezoid(u, n, v, m, tau, grid, 40); /* h = tau/800 */
    long double t4 = trapezoid(u, n, v, m, tau, grid, 80); /* h = tau/1600 */
    long double ratio = (t1 - d2) / (t2 - d2);
    ck_assert_msg(fabsl(ratio - 4.0L) < 0.01L, "rep %d: error ratio %.6Lg, expected 4 (h^2)", rep,
                  ratio);
    ratio = (t2 - d2) / (t4 - d2);
    ck_assert_msg(fabsl(ratio - 4.0L) < 0.01L, "rep %d: error ratio %.6Lg, expected 4 (h^2)", rep,
                  ratio);
    double rich = (double)((4.0L * t4 - t2) / 3.0L);
    char what[64];
    snprintf(what, sizeof what, "rep %d (n %zu, m %zu), Richardson", rep, n, m);
    assert_rel(d2, rich, 1e-12, what);
    /* and the closed form agrees with the integral too (the normalisation is the same) */
    assert_rel(closed_form(u, n, v, m, tau), rich, 1e-12, what);
    free(u);
    free(v);
  }
}
END_TEST

START_TEST(test_window) {
  rng_seed(23);
  const double tau = 10.0, T = 100.0;
  size_t n = 80, m = 70;
  double *u = random_train(n, 1000.0, 0.1), *v = random_train(m, 1000.0, 0.1);
  for (int k = 0; k < 10; k++) {
    double t0 = k * T, t1 = (k + 1) * T;
    /* the spikes in [t0, t1), extracted by hand */
    double su[80], sv[70];
    size_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++)
      if (u[i] >= t0 && u[i] < t1)
        su[a++] = u[i];
    for (size_t j = 0; j < m; j++)
      if (v[j] >= t0 && v[j] < t1)
        sv[b++] = v[j];
    ck_assert_double_eq(hebb_van_rossum_window(u, n, v, m, t0, t1, tau),
                        hebb_van_rossum(su, a, sv, b, tau));
    assert_rel(hebb_van_rossum_window(u, n, v, m, t0, t1, tau), closed_form(su, a, sv, b, tau),
               1e-12, "window");
  }
  free(u);
  free(v);

  /* [t0, t1): a spike at t0 counts, one at t1 does not; one just before t1 costs the full
   * 1/2 (its kernel is followed past the window's end); spikes before t0 do not reach in */
  const double x[] = {90.0, 99.0, 100.0, 150.0, 199.999, 200.0};
  const double y[] = {100.0, 150.0};
  ck_assert_double_eq(hebb_van_rossum_window(x, 6, y, 2, 100.0, 200.0, tau), 0.5);
  ck_assert_double_eq(hebb_van_rossum_window(x, 6, y, 2, 100.0, 199.999, tau), 0.0);
  /* x's 90 and 99 alone: 1/2 (1 + 1 + 2 e^{-0.9}) */
  ck_assert_double_eq_tol(hebb_van_rossum_window(x, 6, y, 2, 0.0, 100.0, tau), 1.0 + exp(-0.9),
                          1e-15);
  ck_assert_double_eq(hebb_van_rossum_window(x, 6, y, 2, 150.0, 150.0, tau), 0.0);
  ck_assert_double_eq(hebb_van_rossum_window(x, 6, y, 2, -INFINITY, INFINITY, tau),
                      hebb_van_rossum(x, 6, y, 2, tau));
  ck_assert_double_eq_tol(hebb_van_rossum_window(NULL, 0, y, 2, 0.0, 1000.0, tau), 1.0 + exp(-5.0),
                          1e-15);
  ck_assert(isnan(hebb_van_rossum_window(x, 6, y, 2, 200.0, 100.0, tau)));
  ck_assert(isnan(hebb_van_rossum_window(x, 6, y, 2, NAN, 100.0, tau)));
}
END_TEST

START_TEST(test_invalid_input) {
  const double u[] = {1.0, 2.0, 3.0}, unsorted[] = {1.0, 3.0, 2.0};
  const double with_nan[] = {1.0, NAN}, with_inf[] = {1.0, INFINITY};
  ck_assert(isnan(hebb_van_rossum(u, 3, u, 3, 0.0)));
  ck_assert(isnan(hebb_van_rossum(u, 3, u, 3, -1.0)));
  ck_assert(isnan(hebb_van_rossum(u, 3, u, 3, NAN)));
  ck_assert(isnan(hebb_van_rossum(u, 3, u, 3, INFINITY)));
  ck_assert(isnan(hebb_van_rossum(unsorted, 3, u, 3, 10.0)));
  ck_assert(isnan(hebb_van_rossum(u, 3, unsorted, 3, 10.0)));
  ck_assert(isnan(hebb_van_rossum(unsorted, 3, NULL, 0, 10.0)));
  ck_assert(isnan(hebb_van_rossum(with_nan, 2, u, 3, 10.0)));
  ck_assert(isnan(hebb_van_rossum(u, 3, with_inf, 2, 10.0)));
  /* an empty train with tau invalid is still invalid */
  ck_assert(isnan(hebb_van_rossum(NULL, 0, NULL, 0, 0.0)));
}
END_TEST

static Suite *vanrossum_suite(void) {
  Suite *s = suite_create("vanrossum");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_single_spike_is_half);
  tcase_add_test(tc, test_same_train_is_zero);
  tcase_add_test(tc, test_two_spikes_shifted);
  tcase_add_test(tc, test_symmetry);
  tcase_add_test(tc, test_closed_form);
  tcase_add_test(tc, test_nearly_equal_trains);
  tcase_add_test(tc, test_brute_force_integral);
  tcase_add_test(tc, test_window);
  tcase_add_test(tc, test_invalid_input);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(vanrossum_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

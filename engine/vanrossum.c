/* vanrossum.c - the van Rossum distance between two spike trains (van Rossum 2001, Neural
 * Comput 13:751-763), the loss that SuperSpike-type learning minimises and the measure its
 * tests and `hebb vanrossum` report. Pure arithmetic on arrays of spike times: it keeps no
 * state, allocates nothing and may be called from any thread.
 *
 * With f = sum_i exp(-(t - u_i)/tau) H(t - u_i) and g likewise for v (MODELS.md section 3),
 *
 *   D^2 = (1/tau) int (f - g)^2 dt,
 *
 * so one unmatched spike gives 1/2 and the pairwise closed form is
 * D^2 = 1/2 [sum_ii' e^-|u_i-u_i'|/tau + sum_jj' e^-|v_j-v_j'|/tau - 2 sum_ij e^-|u_i-v_j|/tau].
 *
 * Houghton & Kreuz's O(n+m) "markage" recursion evaluates these three sums and subtracts
 * them, which cancels catastrophically when the trains are close (D^2 of order eps times
 * the sums, lost entirely). We integrate instead: between consecutive spikes of the merged
 * trains the difference d = f - g decays as d e^{-s/tau}, so an interval of length L
 * contributes (d^2/2)(1 - e^{-2L/tau}) and the tail after the last spike d^2/2. This is the
 * same O(n+m) merge with the same e^{-(t_k - t_{k-1})/tau} factors, but D^2 is a sum of
 * non-negative terms (summed with compensation), so it keeps its relative accuracy however
 * small it is; spikes of u and v at the same time cancel exactly in d, so D^2(u, u) is
 * exactly 0 and a single unmatched spike exactly 1/2.
 */
#include "hebb.h"

#include <math.h>

/* Neumaier's compensated sum: the error of adding N terms stays near one ulp of the sum
 * instead of growing with N (a run of many seconds has millions of intervals). */
typedef struct {
  double sum, carry;
} compensated;

static void compensated_add(compensated *c, double x) {
  double t = c->sum + x;
  if (fabs(c->sum) >= fabs(x))
    c->carry += (c->sum - t) + x;
  else
    c->carry += (x - t) + c->sum;
  c->sum = t;
}

double hebb_van_rossum(const double *u, size_t n, const double *v, size_t m, double tau_ms) {
  if (!(tau_ms > 0) || !isfinite(tau_ms))
    return NAN;
  compensated acc = {0.0, 0.0};
  double d = 0.0, last = 0.0; /* f - g just after the spikes at time `last` */
  bool started = false;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    double t = i < n && (j >= m || u[i] <= v[j]) ? u[i] : v[j];
    if (!isfinite(t))
      return NAN;
    if (started) {
      /* also catches a train that is not sorted: its next spike lies before `last` */
      double gap = t - last;
      if (!(gap >= 0))
        return NAN;
      double x = gap / tau_ms;
      /* expm1 keeps short gaps accurate: 1 - e^{-2x} ~ 2x */
      compensated_add(&acc, d * d * -expm1(-2.0 * x));
      d *= exp(-x);
    }
    /* all spikes at time t at once, so that coincident spikes of u and v cancel exactly */
    double jump = 0.0;
    for (; i < n && u[i] == t; i++)
      jump += 1.0;
    for (; j < m && v[j] == t; j++)
      jump -= 1.0;
    d += jump;
    last = t;
    started = true;
  }
  compensated_add(&acc, d * d);
  return 0.5 * (acc.sum + acc.carry);
}

/* The first index of the sorted times T[0..n) that is not below X. */
static size_t lower_bound(const double *t, size_t n, double x) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (t[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

double hebb_van_rossum_window(const double *u, size_t n, const double *v, size_t m, double t0_ms,
                              double t1_ms, double tau_ms) {
  if (isnan(t0_ms) || isnan(t1_ms) || t0_ms > t1_ms)
    return NAN;
  size_t ua = lower_bound(u, n, t0_ms), ub = lower_bound(u, n, t1_ms);
  size_t va = lower_bound(v, m, t0_ms), vb = lower_bound(v, m, t1_ms);
  /* an empty part is passed as NULL: NULL + 0 is not defined in C */
  return hebb_van_rossum(ub > ua ? u + ua : NULL, ub - ua, vb > va ? v + va : NULL, vb - va,
                         tau_ms);
}

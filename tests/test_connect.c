/* test_connect.c - tests of the connection rules and of determinism across thread counts.
 *
 * There is no public accessor for single synapses, so the tests read connectivity in two
 * ways: the total synapse count (hebb_sim_stats) and behaviour. The behavioural probe
 * measures the whole connection matrix: every source fires alone, in its own step, onto
 * iaf_psc_delta targets that neither leak (tau_m = 1e300 ms makes the propagator exactly 1)
 * nor fire (V_th far away), through synapses of weight 1 mV; the jump of target i's V_m when
 * source j fires is then the number of synapses j -> i, an exact integer. For a recurrent
 * projection the sources are the target population itself, made to fire one at a time by a
 * spike_generator that kicks them over threshold (V_th 1e5 mV, kick 1e6 mV, t_ref 0 so that
 * an autapse arriving one step later is not dropped as refractory input).
 */
#include "harness.h"
#include "hebb.h"
#include "rng.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const int thread_counts[] = {1, 2, 3, 4};
#define NTHREADS ((int)(sizeof thread_counts / sizeof thread_counts[0]))

static int add_pop(hebb_model *m, const char *name, const char *model, uint32_t size) {
  int id = -1;
  OK(m, hebb_model_add_population(m, name, model, size, &id));
  return id;
}

static void set(hebb_model *m, int pop, const char *name, double value) {
  OK(m, hebb_model_set_param(m, pop, name, value));
}

static hebb_sim *build(hebb_model *m, int threads) {
  hebb_sim_options o = hebb_sim_options_default();
  o.threads = threads;
  o.pin = false;
  hebb_sim *s = NULL;
  OK(m, hebb_sim_new(m, &o, &s));
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(hebb_sim_threads(s), threads);
  return s;
}

static uint64_t synapse_count(hebb_sim *s) {
  hebb_stats st;
  ck_assert_int_eq(hebb_sim_stats(s, &st), 0);
  return st.synapses;
}

/* A projection spec: RULE with P or N, autapse and multapse flags; weight 1, delay 0.1 ms. */
static hebb_projection_spec rule_spec(hebb_conn_rule rule, double p, uint64_t n, bool autapses,
                                      bool multapses) {
  hebb_projection_spec sp = hebb_projection_spec_default();
  sp.rule = rule;
  sp.p = p;
  sp.n = n;
  sp.allow_autapses = autapses;
  sp.allow_multapses = multapses;
  sp.weight = hebb_dist_const(1.0);
  sp.delay_ms = hebb_dist_const(0.1);
  return sp;
}

/* ---------------------------------------------------------------------------------------- */
/* Counting: the total number of synapses of one projection */

/* Synapses of projection SP between two populations of NS and NT neurons (one population of
 * NS when SAME), with the given thread count. */
static uint64_t count_synapses(hebb_projection_spec sp, uint32_t ns, uint32_t nt, bool same,
                               int threads, uint64_t seed) {
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_seed(m, seed));
  int a = add_pop(m, "a", "iaf_psc_exp", ns);
  int b = same ? a : add_pop(m, "b", "iaf_psc_exp", nt);
  sp.source = a;
  sp.target = b;
  OK(m, hebb_model_add_projection(m, &sp, NULL));
  hebb_sim *s = build(m, threads);
  uint64_t n = synapse_count(s);
  hebb_sim_free(s);
  hebb_model_free(m);
  return n;
}

/* The count of SP is EXPECT on every thread count. */
static void assert_count(hebb_projection_spec sp, uint32_t ns, uint32_t nt, bool same,
                         uint64_t expect) {
  for (int t = 0; t < NTHREADS; t++) {
    uint64_t n = count_synapses(sp, ns, nt, same, thread_counts[t], 1);
    ck_assert_msg(n == expect,
                  "rule %d (%u -> %u%s, autapses %d, multapses %d), %d threads: "
                  "%llu synapses, expected %llu",
                  sp.rule, ns, nt, same ? ", same population" : "", sp.allow_autapses,
                  sp.allow_multapses, thread_counts[t], (unsigned long long)n,
                  (unsigned long long)expect);
  }
}

START_TEST(test_count_all_to_all) {
  hebb_projection_spec sp = rule_spec(HEBB_CONN_ALL_TO_ALL, 0, 0, true, true);
  assert_count(sp, 7, 5, false, 35);
  assert_count(sp, 6, 6, true, 36);
  sp.allow_autapses = false;
  assert_count(sp, 7, 5, false, 35); /* autapses only exist within a population */
  assert_count(sp, 6, 6, true, 30);
  assert_count(sp, 1, 1, true, 0);
}
END_TEST

START_TEST(test_count_one_to_one) {
  hebb_projection_spec sp = rule_spec(HEBB_CONN_ONE_TO_ONE, 0, 0, true, true);
  assert_count(sp, 9, 9, false, 9);
  assert_count(sp, 9, 9, true, 9);
  sp.allow_autapses = false;
  assert_count(sp, 9, 9, false, 9);
  assert_count(sp, 9, 9, true, 0); /* every pair would be an autapse */
}
END_TEST

START_TEST(test_count_pairwise_bernoulli) {
  const uint32_t ns = 300, nt = 400;
  const double p = 0.1;
  hebb_projection_spec sp = rule_spec(HEBB_CONN_PAIRWISE_BERNOULLI, p, 0, true, true);
  /* binomial(ns nt, p): within 5 standard deviations, for several seeds */
  const double mean = p * ns * nt, sd = sqrt(mean * (1 - p));
  uint64_t prev = 0;
  for (uint64_t seed = 1; seed <= 4; seed++) {
    uint64_t n = count_synapses(sp, ns, nt, false, 1, seed);
    ck_assert_msg(fabs((double)n - mean) < 5 * sd, "seed %llu: %llu synapses, expected %g +- %g",
                  (unsigned long long)seed, (unsigned long long)n, mean, 5 * sd);
    ck_assert_uint_ne(n, prev); /* the seed matters */
    prev = n;
    /* exactly the same on other thread counts */
    for (int t = 1; t < NTHREADS; t++)
      ck_assert_uint_eq(count_synapses(sp, ns, nt, false, thread_counts[t], seed), n);
  }
  /* within a population without autapses: binomial(n (n - 1), p) */
  sp.allow_autapses = false;
  uint64_t n = count_synapses(sp, ns, ns, true, 1, 7);
  const double mean2 = p * ns * (ns - 1), sd2 = sqrt(mean2 * (1 - p));
  ck_assert_msg(fabs((double)n - mean2) < 5 * sd2, "%llu synapses, expected %g +- %g",
                (unsigned long long)n, mean2, 5 * sd2);
  for (int t = 1; t < NTHREADS; t++)
    ck_assert_uint_eq(count_synapses(sp, ns, ns, true, thread_counts[t], 7), n);
  /* the edges of p */
  sp.p = 0;
  assert_count(sp, 50, 50, true, 0);
  sp.p = 1;
  assert_count(sp, 50, 50, true, 50 * 49);
  sp.allow_autapses = true;
  assert_count(sp, 50, 50, true, 50 * 50);
  assert_count(sp, 30, 70, false, 30 * 70);
  /* a small p: 1e-3 of 1e6 pairs */
  sp.p = 1e-3;
  n = count_synapses(sp, 1000, 1000, false, 2, 3);
  ck_assert_msg(fabs((double)n - 1000.0) < 5 * sqrt(1000.0 * (1 - 1e-3)), "p = 1e-3: %llu",
                (unsigned long long)n);
}
END_TEST

START_TEST(test_count_fixed_indegree) {
  hebb_projection_spec sp = rule_spec(HEBB_CONN_FIXED_INDEGREE, 0, 13, true, true);
  assert_count(sp, 40, 50, false, 13 * 50);
  sp.allow_multapses = false;
  assert_count(sp, 40, 50, false, 13 * 50);
  sp.allow_autapses = false;
  assert_count(sp, 40, 40, true, 13 * 40);
  sp.n = 39; /* every other neuron */
  assert_count(sp, 40, 40, true, 39 * 40);
  sp.allow_multapses = true;
  sp.n = 100; /* more than the sources: multapses necessarily */
  assert_count(sp, 40, 40, true, 100 * 40);
}
END_TEST

START_TEST(test_count_fixed_outdegree) {
  hebb_projection_spec sp = rule_spec(HEBB_CONN_FIXED_OUTDEGREE, 0, 11, true, true);
  assert_count(sp, 40, 50, false, 11 * 40);
  sp.allow_multapses = false;
  assert_count(sp, 40, 50, false, 11 * 40);
  sp.allow_autapses = false;
  assert_count(sp, 40, 40, true, 11 * 40);
  sp.n = 39;
  assert_count(sp, 40, 40, true, 39 * 40);
  sp.allow_multapses = true;
  sp.n = 100;
  assert_count(sp, 40, 40, true, 100 * 40);
}
END_TEST

START_TEST(test_count_fixed_total_number) {
  hebb_projection_spec sp = rule_spec(HEBB_CONN_FIXED_TOTAL_NUMBER, 0, 1234, true, true);
  assert_count(sp, 40, 50, false, 1234);
  sp.allow_autapses = false;
  assert_count(sp, 40, 40, true, 1234);
  sp.n = 0;
  assert_count(sp, 40, 40, true, 0);
}
END_TEST

START_TEST(test_rule_checks) {
  /* the model refuses what the rules cannot do */
  hebb_model *m = hebb_model_new();
  int a = add_pop(m, "a", "iaf_psc_exp", 10);
  int b = add_pop(m, "b", "iaf_psc_exp", 12);
  hebb_projection_spec sp = rule_spec(HEBB_CONN_ONE_TO_ONE, 0, 0, true, true);
  sp.source = a;
  sp.target = b;
  ck_assert_int_eq(hebb_model_add_projection(m, &sp, NULL), HEBB_EINVAL);
  sp = rule_spec(HEBB_CONN_FIXED_INDEGREE, 0, 11, true, false);
  sp.source = a;
  sp.target = b;
  ck_assert_int_eq(hebb_model_add_projection(m, &sp, NULL), HEBB_ERANGE);
  sp.n = 10;
  sp.name = "in10";
  OK(m, hebb_model_add_projection(m, &sp, NULL));
  sp = rule_spec(HEBB_CONN_FIXED_INDEGREE, 0, 10, false, false);
  sp.source = a;
  sp.target = a;
  ck_assert_int_eq(hebb_model_add_projection(m, &sp, NULL), HEBB_ERANGE);
  sp = rule_spec(HEBB_CONN_FIXED_OUTDEGREE, 0, 13, true, false);
  sp.source = a;
  sp.target = b;
  ck_assert_int_eq(hebb_model_add_projection(m, &sp, NULL), HEBB_ERANGE);
  sp = rule_spec(HEBB_CONN_FIXED_TOTAL_NUMBER, 0, 5, true, false);
  sp.source = a;
  sp.target = b;
  ck_assert_int_eq(hebb_model_add_projection(m, &sp, NULL), HEBB_EINVAL);
  sp = rule_spec(HEBB_CONN_PAIRWISE_BERNOULLI, 1.5, 0, true, true);
  sp.source = a;
  sp.target = b;
  ck_assert_int_eq(hebb_model_add_projection(m, &sp, NULL), HEBB_ERANGE);
  ck_assert_int_eq(hebb_model_projection_count(m), 1);
  hebb_model_free(m);
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* The behavioural probe: the connection matrix */

typedef struct {
  uint32_t ns, nt;
  int *c;            /* c[j * nt + i]: synapses from source j to target i */
  uint64_t synapses; /* of the projection under test */
} conn_matrix;

static int cm(const conn_matrix *x, uint32_t j, uint32_t i) {
  return x->c[(size_t)j * x->nt + i];
}

static void conn_free(conn_matrix *x) {
  free(x->c);
  x->c = NULL;
}

/* Steps between the firings of consecutive sources. */
#define GAP 3

/* Population "t" of N iaf_psc_delta neurons whose V_m counts the mV that arrive: no leak
 * (tau_m = 1e300 ms makes the propagator exactly 1), no firing, no refractoriness. */
static int add_counters(hebb_model *m, uint32_t n) {
  int tgt = add_pop(m, "t", "iaf_psc_delta", n);
  set(m, tgt, "E_L", 0.0);
  set(m, tgt, "V_reset", 0.0);
  set(m, tgt, "V_th", 1e5);
  set(m, tgt, "t_ref", 0.0);
  set(m, tgt, "tau_m", 1e300);
  return tgt;
}

/* Measures the matrix of projection SP from NS sources to NT targets (RECURRENT: one
 * population of NS neurons onto itself) with the given thread count and seed. */
static void probe(hebb_projection_spec sp, uint32_t ns, uint32_t nt, bool recurrent, int threads,
                  uint64_t seed, conn_matrix *out) {
  const double dt = 0.1;
  if (recurrent)
    nt = ns;
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  OK(m, hebb_model_set_seed(m, seed));
  int sg = add_pop(m, "sg", "spike_generator", ns);
  int tgt = add_counters(m, nt);
  /* source j fires in step j GAP (stamped j GAP + 1) */
  for (uint32_t j = 0; j < ns; j++) {
    double t = (double)(j * GAP + 1) * dt;
    OK(m, hebb_model_set_spike_times(m, sg, j, &t, 1));
  }
  uint32_t arrive; /* the step, after source j's, in which its spike reaches the targets */
  if (recurrent) {
    /* the kick arrives in step j GAP + 1, the target fires at its end, its spike arrives
     * in step j GAP + 2 */
    hebb_projection_spec kick = rule_spec(HEBB_CONN_ONE_TO_ONE, 0, 0, true, true);
    kick.source = sg;
    kick.target = tgt;
    kick.weight = hebb_dist_const(1e6);
    OK(m, hebb_model_add_projection(m, &kick, NULL));
    sp.source = tgt;
    arrive = 2;
  } else {
    sp.source = sg;
    arrive = 1;
  }
  sp.target = tgt;
  OK(m, hebb_model_add_projection(m, &sp, NULL));
  OK(m, hebb_model_record_state(m, tgt, "V_m", NULL, 0, dt));
  hebb_sim *s = build(m, threads);
  const uint64_t steps = (uint64_t)ns * GAP + arrive + 2;
  ck_assert_int_eq(hebb_sim_run_until(s, (double)steps * dt), 0);
  hebb_sample *smp = NULL;
  size_t n = 0;
  ck_assert_int_eq(hebb_sim_take_samples(s, &smp, &n), 0);
  ck_assert_uint_eq(n, (size_t)steps * nt);
  /* V of target i at sample step k (k >= 1) is smp[(k - 1) nt + i] */
  out->ns = ns;
  out->nt = nt;
  out->c = calloc((size_t)ns * nt, sizeof *out->c);
  ck_assert_ptr_nonnull(out->c);
  for (uint32_t j = 0; j < ns; j++) {
    const size_t k = (size_t)j * GAP + arrive + 1; /* the sample that shows the jump */
    for (uint32_t i = 0; i < nt; i++) {
      const hebb_sample *after = &smp[(k - 1) * nt + i], *before = &smp[(k - 2) * nt + i];
      ck_assert_uint_eq(after->step, k);
      ck_assert_uint_eq(after->index, i);
      const double jump = after->value - before->value;
      ck_assert_msg(jump == floor(jump) && jump >= 0 && jump < 1e4,
                    "source %u, target %u: V jumped by %.17g, not a count of synapses", j, i, jump);
      out->c[(size_t)j * nt + i] = (int)jump;
    }
  }
  /* between the jumps nothing moved, except a recurrent source's own reset */
  for (size_t k = 2; k <= steps; k++) {
    if (k >= arrive + 1 && (k - arrive - 1) % GAP == 0 && (k - arrive - 1) / GAP < ns)
      continue;
    for (uint32_t i = 0; i < nt; i++) {
      const double a = smp[(k - 1) * nt + i].value, b = smp[(k - 2) * nt + i].value;
      if (recurrent && a == 0.0 && k >= 2 && (k - 2) % GAP == 0 && (k - 2) / GAP == i)
        continue; /* target i was kicked, fired and reset in this step */
      ck_assert_msg(a == b, "target %u moved from %g to %g at step %zu, outside the probes", i, b,
                    a, k);
    }
  }
  hebb_stats st;
  ck_assert_int_eq(hebb_sim_stats(s, &st), 0);
  out->synapses = st.synapses - (recurrent ? ns : 0);
  /* the matrix accounts for every synapse */
  uint64_t sum = 0;
  for (size_t q = 0; q < (size_t)ns * nt; q++)
    sum += (uint64_t)out->c[q];
  ck_assert_uint_eq(sum, out->synapses);
  free(smp);
  hebb_sim_free(s);
  hebb_model_free(m);
}

static int in_degree(const conn_matrix *x, uint32_t i) {
  int d = 0;
  for (uint32_t j = 0; j < x->ns; j++)
    d += cm(x, j, i);
  return d;
}

static int out_degree(const conn_matrix *x, uint32_t j) {
  int d = 0;
  for (uint32_t i = 0; i < x->nt; i++)
    d += cm(x, j, i);
  return d;
}

static int max_entry(const conn_matrix *x) {
  int mx = 0;
  for (size_t q = 0; q < (size_t)x->ns * x->nt; q++)
    mx = x->c[q] > mx ? x->c[q] : mx;
  return mx;
}

/* Probes SP on every thread count, checks the matrices are identical and returns the one
 * of the first. */
static void probe_all_threads(hebb_projection_spec sp, uint32_t ns, uint32_t nt, bool recurrent,
                              uint64_t seed, conn_matrix *out) {
  probe(sp, ns, nt, recurrent, thread_counts[0], seed, out);
  for (int t = 1; t < NTHREADS; t++) {
    conn_matrix other;
    probe(sp, ns, nt, recurrent, thread_counts[t], seed, &other);
    ck_assert_uint_eq(other.synapses, out->synapses);
    for (uint32_t j = 0; j < out->ns; j++)
      for (uint32_t i = 0; i < out->nt; i++)
        ck_assert_msg(cm(&other, j, i) == cm(out, j, i),
                      "rule %d: synapses %u -> %u: %d with %d threads, %d with %d", sp.rule, j, i,
                      cm(&other, j, i), thread_counts[t], cm(out, j, i), thread_counts[0]);
    conn_free(&other);
  }
}

START_TEST(test_probe_all_to_all) {
  conn_matrix x;
  probe_all_threads(rule_spec(HEBB_CONN_ALL_TO_ALL, 0, 0, false, true), 12, 9, false, 1, &x);
  for (uint32_t j = 0; j < 12; j++)
    for (uint32_t i = 0; i < 9; i++)
      ck_assert_int_eq(cm(&x, j, i), 1);
  conn_free(&x);
  /* recurrent: no autapses, every other pair once */
  probe_all_threads(rule_spec(HEBB_CONN_ALL_TO_ALL, 0, 0, false, true), 11, 0, true, 1, &x);
  for (uint32_t j = 0; j < 11; j++)
    for (uint32_t i = 0; i < 11; i++)
      ck_assert_msg(cm(&x, j, i) == (i != j), "all_to_all without autapses: %u -> %u: %d", j, i,
                    cm(&x, j, i));
  conn_free(&x);
  /* with autapses: the self jump is 1 */
  probe(rule_spec(HEBB_CONN_ALL_TO_ALL, 0, 0, true, true), 11, 0, true, 2, 1, &x);
  for (uint32_t j = 0; j < 11; j++)
    for (uint32_t i = 0; i < 11; i++)
      ck_assert_int_eq(cm(&x, j, i), 1);
  conn_free(&x);
}
END_TEST

START_TEST(test_probe_one_to_one) {
  conn_matrix x;
  probe_all_threads(rule_spec(HEBB_CONN_ONE_TO_ONE, 0, 0, true, true), 13, 13, false, 1, &x);
  for (uint32_t j = 0; j < 13; j++)
    for (uint32_t i = 0; i < 13; i++)
      ck_assert_msg(cm(&x, j, i) == (i == j), "one_to_one: %u -> %u: %d", j, i, cm(&x, j, i));
  conn_free(&x);
  /* recurrent with autapses allowed: each neuron onto itself */
  probe(rule_spec(HEBB_CONN_ONE_TO_ONE, 0, 0, true, true), 13, 0, true, 3, 1, &x);
  for (uint32_t j = 0; j < 13; j++)
    for (uint32_t i = 0; i < 13; i++)
      ck_assert_msg(cm(&x, j, i) == (i == j), "one_to_one autapses: %u -> %u: %d", j, i,
                    cm(&x, j, i));
  conn_free(&x);
}
END_TEST

START_TEST(test_probe_pairwise_bernoulli) {
  const uint32_t ns = 150, nt = 120;
  const double p = 0.2;
  conn_matrix x;
  probe_all_threads(rule_spec(HEBB_CONN_PAIRWISE_BERNOULLI, p, 0, true, true), ns, nt, false, 5,
                    &x);
  ck_assert_int_eq(max_entry(&x), 1); /* one draw per pair: never a multapse */
  /* each source's and each target's degree is binomial; none is outside 5 s.d. (a skipped
   * or favoured source or target would be) */
  for (uint32_t j = 0; j < ns; j++) {
    const double mu = p * nt, sd = sqrt(mu * (1 - p));
    ck_assert_msg(fabs(out_degree(&x, j) - mu) < 5 * sd, "source %u: out-degree %d, expected %g", j,
                  out_degree(&x, j), mu);
  }
  for (uint32_t i = 0; i < nt; i++) {
    const double mu = p * ns, sd = sqrt(mu * (1 - p));
    ck_assert_msg(fabs(in_degree(&x, i) - mu) < 5 * sd, "target %u: in-degree %d, expected %g", i,
                  in_degree(&x, i), mu);
  }
  /* the first and last source and target are reachable (off-by-one in the skipping) */
  ck_assert_int_gt(out_degree(&x, 0), 0);
  ck_assert_int_gt(out_degree(&x, ns - 1), 0);
  ck_assert_int_gt(in_degree(&x, 0), 0);
  ck_assert_int_gt(in_degree(&x, nt - 1), 0);
  conn_free(&x);
  /* recurrent without autapses */
  probe_all_threads(rule_spec(HEBB_CONN_PAIRWISE_BERNOULLI, 0.5, 0, false, true), 40, 0, true, 6,
                    &x);
  for (uint32_t j = 0; j < 40; j++)
    ck_assert_msg(cm(&x, j, j) == 0, "autapse %u -> %u although disallowed", j, j);
  ck_assert_int_eq(max_entry(&x), 1);
  conn_free(&x);
}
END_TEST

START_TEST(test_probe_fixed_indegree) {
  const uint32_t ns = 40, nt = 50, n = 13;
  conn_matrix x;
  /* no multapses: every target has n distinct sources */
  probe_all_threads(rule_spec(HEBB_CONN_FIXED_INDEGREE, 0, n, true, false), ns, nt, false, 1, &x);
  ck_assert_uint_eq(x.synapses, (uint64_t)n * nt);
  for (uint32_t i = 0; i < nt; i++)
    ck_assert_msg(in_degree(&x, i) == (int)n, "target %u: in-degree %d, expected %u", i,
                  in_degree(&x, i), n);
  ck_assert_int_eq(max_entry(&x), 1);
  /* targets draw independently: no two share the same source set */
  for (uint32_t a = 0; a < nt; a++)
    for (uint32_t b = a + 1; b < nt; b++) {
      bool same = true;
      for (uint32_t j = 0; j < ns && same; j++)
        same = cm(&x, j, a) == cm(&x, j, b);
      ck_assert_msg(!same, "targets %u and %u drew the same sources", a, b);
    }
  /* every source is drawn by someone: 650 draws over 40 sources */
  for (uint32_t j = 0; j < ns; j++)
    ck_assert_int_gt(out_degree(&x, j), 0);
  conn_free(&x);
  /* multapses allowed and n > ns: by pigeonhole every target has one */
  probe_all_threads(rule_spec(HEBB_CONN_FIXED_INDEGREE, 0, 25, true, true), 20, 30, false, 2, &x);
  for (uint32_t i = 0; i < 30; i++) {
    ck_assert_int_eq(in_degree(&x, i), 25);
    int mx = 0;
    for (uint32_t j = 0; j < 20; j++)
      mx = cm(&x, j, i) > mx ? cm(&x, j, i) : mx;
    ck_assert_int_ge(mx, 2);
  }
  conn_free(&x);
  /* recurrent, no autapses, no multapses */
  probe_all_threads(rule_spec(HEBB_CONN_FIXED_INDEGREE, 0, 10, false, false), 30, 0, true, 3, &x);
  for (uint32_t i = 0; i < 30; i++) {
    ck_assert_int_eq(in_degree(&x, i), 10);
    ck_assert_msg(cm(&x, i, i) == 0, "autapse onto %u although disallowed", i);
  }
  ck_assert_int_eq(max_entry(&x), 1);
  conn_free(&x);
  /* n = ns - 1 without autapses or multapses leaves one choice: all but self */
  probe(rule_spec(HEBB_CONN_FIXED_INDEGREE, 0, 14, false, false), 15, 0, true, 2, 4, &x);
  for (uint32_t j = 0; j < 15; j++)
    for (uint32_t i = 0; i < 15; i++)
      ck_assert_int_eq(cm(&x, j, i), i != j);
  conn_free(&x);
  /* recurrent with autapses allowed: some self-connection appears (30 targets, 10 of 30
   * sources each: the chance of none is (2/3)^30 ~ 5e-6, and the seed is fixed) */
  probe(rule_spec(HEBB_CONN_FIXED_INDEGREE, 0, 10, true, false), 30, 0, true, 1, 3, &x);
  int self = 0;
  for (uint32_t i = 0; i < 30; i++)
    self += cm(&x, i, i);
  ck_assert_int_gt(self, 0);
  conn_free(&x);
}
END_TEST

START_TEST(test_probe_fixed_outdegree) {
  const uint32_t ns = 40, nt = 50, n = 11;
  conn_matrix x;
  probe_all_threads(rule_spec(HEBB_CONN_FIXED_OUTDEGREE, 0, n, true, false), ns, nt, false, 1, &x);
  ck_assert_uint_eq(x.synapses, (uint64_t)n * ns);
  for (uint32_t j = 0; j < ns; j++)
    ck_assert_msg(out_degree(&x, j) == (int)n, "source %u: out-degree %d, expected %u", j,
                  out_degree(&x, j), n);
  ck_assert_int_eq(max_entry(&x), 1);
  for (uint32_t a = 0; a < ns; a++)
    for (uint32_t b = a + 1; b < ns; b++) {
      bool same = true;
      for (uint32_t i = 0; i < nt && same; i++)
        same = cm(&x, a, i) == cm(&x, b, i);
      ck_assert_msg(!same, "sources %u and %u drew the same targets", a, b);
    }
  for (uint32_t i = 0; i < nt; i++)
    ck_assert_int_gt(in_degree(&x, i), 0);
  conn_free(&x);
  /* multapses allowed and n > nt: every source has one */
  probe_all_threads(rule_spec(HEBB_CONN_FIXED_OUTDEGREE, 0, 25, true, true), 30, 20, false, 2, &x);
  for (uint32_t j = 0; j < 30; j++) {
    ck_assert_int_eq(out_degree(&x, j), 25);
    int mx = 0;
    for (uint32_t i = 0; i < 20; i++)
      mx = cm(&x, j, i) > mx ? cm(&x, j, i) : mx;
    ck_assert_int_ge(mx, 2);
  }
  conn_free(&x);
  /* recurrent without autapses */
  probe_all_threads(rule_spec(HEBB_CONN_FIXED_OUTDEGREE, 0, 10, false, false), 30, 0, true, 3, &x);
  for (uint32_t j = 0; j < 30; j++) {
    ck_assert_int_eq(out_degree(&x, j), 10);
    ck_assert_msg(cm(&x, j, j) == 0, "autapse of %u although disallowed", j);
  }
  ck_assert_int_eq(max_entry(&x), 1);
  conn_free(&x);
  probe(rule_spec(HEBB_CONN_FIXED_OUTDEGREE, 0, 14, false, false), 15, 0, true, 3, 4, &x);
  for (uint32_t j = 0; j < 15; j++)
    for (uint32_t i = 0; i < 15; i++)
      ck_assert_int_eq(cm(&x, j, i), i != j);
  conn_free(&x);
}
END_TEST

START_TEST(test_probe_fixed_total_number) {
  const uint32_t ns = 60, nt = 50, total = 3000;
  conn_matrix x;
  probe_all_threads(rule_spec(HEBB_CONN_FIXED_TOTAL_NUMBER, 0, total, true, true), ns, nt, false, 1,
                    &x);
  ck_assert_uint_eq(x.synapses, total);
  /* pairs drawn uniformly: each source's count is binomial(total, 1/ns), each target's
   * binomial(total, 1/nt) */
  for (uint32_t j = 0; j < ns; j++) {
    const double mu = (double)total / ns, sd = sqrt(mu * (1 - 1.0 / ns));
    ck_assert_msg(fabs(out_degree(&x, j) - mu) < 5 * sd, "source %u: %d synapses, expected %g", j,
                  out_degree(&x, j), mu);
  }
  for (uint32_t i = 0; i < nt; i++) {
    const double mu = (double)total / nt, sd = sqrt(mu * (1 - 1.0 / nt));
    ck_assert_msg(fabs(in_degree(&x, i) - mu) < 5 * sd, "target %u: %d synapses, expected %g", i,
                  in_degree(&x, i), mu);
  }
  /* 3000 draws over 3000 pairs: multapses occur */
  ck_assert_int_ge(max_entry(&x), 2);
  conn_free(&x);
  /* recurrent without autapses */
  probe_all_threads(rule_spec(HEBB_CONN_FIXED_TOTAL_NUMBER, 0, 900, false, true), 30, 0, true, 2,
                    &x);
  ck_assert_uint_eq(x.synapses, 900);
  for (uint32_t j = 0; j < 30; j++)
    ck_assert_msg(cm(&x, j, j) == 0, "autapse of %u although disallowed", j);
  conn_free(&x);
}
END_TEST

/* The variance of N values around their expected mean MU. */
static double spread(const int *v, uint32_t n, double mu) {
  double s = 0;
  for (uint32_t i = 0; i < n; i++)
    s += (v[i] - mu) * (v[i] - mu);
  return s / n;
}

/* fixed_total_number draws in-degrees (a binomial chain) and then each target's sources: the
 * joint law must be that of N independent uniform pairs. In-degrees binomial(N, 1/nt),
 * out-degrees binomial(N, 1/ns), the pair counts about Poisson(N / (ns nt)), and no
 * preference for early or late targets. */
START_TEST(test_fixed_total_number_law) {
  const uint32_t ns = 300, nt = 400;
  const uint64_t total = 120000;
  conn_matrix x;
  probe_all_threads(rule_spec(HEBB_CONN_FIXED_TOTAL_NUMBER, 0, total, true, true), ns, nt, false, 7,
                    &x);
  ck_assert_uint_eq(x.synapses, total);
  int *in = malloc(nt * sizeof *in), *out = malloc(ns * sizeof *out);
  ck_assert_ptr_nonnull(in);
  ck_assert_ptr_nonnull(out);
  for (uint32_t i = 0; i < nt; i++)
    in[i] = in_degree(&x, i);
  for (uint32_t j = 0; j < ns; j++)
    out[j] = out_degree(&x, j);
  /* sample variances: relative standard errors sqrt(2 / n), 7 % and 8 %; 25 % is over 3 */
  const double mu_in = (double)total / nt, var_in = mu_in * (1 - 1.0 / nt);
  const double mu_out = (double)total / ns, var_out = mu_out * (1 - 1.0 / ns);
  double v_in = spread(in, nt, mu_in), v_out = spread(out, ns, mu_out);
  ck_assert_msg(fabs(v_in / var_in - 1) < 0.25, "in-degree variance %g, expected %g", v_in, var_in);
  ck_assert_msg(fabs(v_out / var_out - 1) < 0.25, "out-degree variance %g, expected %g", v_out,
                var_out);
  /* first half of the targets against the second: each binomial(N, 1/2), sd sqrt(N) / 2 */
  long first = 0;
  for (uint32_t i = 0; i < nt / 2; i++)
    first += in[i];
  ck_assert_msg(fabs((double)first - total / 2.0) < 5 * sqrt((double)total) / 2,
                "the first half of the targets has %ld of %llu synapses", first,
                (unsigned long long)total);
  /* pair counts: mean 1, variance 1 - 1/(ns nt), standard error of the variance
   * sqrt(3 / (ns nt)) = 0.5 %; 3 % is 6 of them */
  double v_pair = 0;
  for (size_t q = 0; q < (size_t)ns * nt; q++)
    v_pair += (x.c[q] - 1.0) * (x.c[q] - 1.0);
  v_pair /= (double)ns * nt;
  ck_assert_msg(fabs(v_pair - 1) < 0.03, "pair count variance %g, expected 1", v_pair);
  free(in);
  free(out);
  conn_free(&x);
}
END_TEST

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* The value of synapse ORD of target GID for PURPOSE (weight or delay) of projection PROJ,
 * by the definition (model-format.md): sequence (PURPOSE's stream of the projection, GID,
 * ORD) of Philox, Box-Muller through libm, a clipped value redrawn from the same sequence. */
static double defined_normal(uint64_t seed, uint32_t purpose, int proj, uint32_t gid, uint32_t ord,
                             hebb_dist d) {
  hebb_rng r;
  hebb_rng_init(&r, seed, hebb_stream(purpose, (uint32_t)proj), gid, ord);
  double x;
  do
    x = d.a + d.b * hebb_rng_normal(&r);
  while (d.kind == HEBB_DIST_NORMAL_CLIPPED && !(x >= d.lo && x <= d.hi));
  return x;
}

/* The build draws normal weights with vector log and cos and keeps a value only where it
 * stores the same float as the definition's libm draw: every weight must be that one. Clip
 * bounds close to the mean make many values fall outside (redrawn) or near a bound. */
START_TEST(test_normal_weights_exact) {
  enum { NS = 30, NT = 40, K = 150 };
  const uint64_t seed = 424242;
  const hebb_dist dist[2] = {{HEBB_DIST_NORMAL_CLIPPED, 35.0, 3.0, 34.7, 41.0},
                             {HEBB_DIST_NORMAL, 0.5, 2.0, -INFINITY, INFINITY}};
  for (int t = 1; t <= 3; t += 2) {
    hebb_model *m = hebb_model_new();
    OK(m, hebb_model_set_seed(m, seed));
    int src = add_pop(m, "s", "spike_generator", NS);
    int tgt[2] = {add_pop(m, "e", "iaf_psc_exp", NT), add_pop(m, "c", "iaf_cond_exp", NT)};
    for (int p = 0; p < 2; p++) {
      hebb_projection_spec sp = rule_spec(HEBB_CONN_FIXED_INDEGREE, 0, K, true, true);
      sp.source = src;
      sp.target = tgt[p];
      sp.weight = dist[p];
      OK(m, hebb_model_add_projection(m, &sp, NULL));
    }
    hebb_sim *s = build(m, t);
    for (int p = 0; p < 2; p++) {
      hebb_synapse *syn = NULL;
      size_t n = 0;
      ck_assert_int_eq(hebb_sim_synapses(s, p, &syn, &n), 0);
      ck_assert_uint_eq(n, (size_t)NT * K);
      float got[K], want[K];
      for (uint32_t i = 0; i < NT; i++) {
        size_t g = 0;
        for (size_t k = 0; k < n; k++)
          if (syn[k].target == i)
            got[g++] = syn[k].weight;
        ck_assert_uint_eq(g, K);
        for (uint32_t k = 0; k < K; k++) {
          double x =
              defined_normal(seed, HEBB_STREAM_WEIGHT, p, NS + (uint32_t)p * NT + i, k, dist[p]);
          want[k] = (float)(p == 1 ? fabs(x) : x);
        }
        qsort(got, K, sizeof *got, cmp_float);
        qsort(want, K, sizeof *want, cmp_float);
        for (uint32_t k = 0; k < K; k++)
          ck_assert_msg(got[k] == want[k],
                        "%d threads, projection %d, target %u: weight %.9g, "
                        "defined %.9g",
                        t, p, i, (double)got[k], (double)want[k]);
      }
      free(syn);
    }
    hebb_sim_free(s);
    hebb_model_free(m);
  }
}
END_TEST

/* The same for normal delays, read through behaviour: one spike reaches K synapses of every
 * target, each adding 1 mV to a V_m that neither leaks nor fires (as in probe), so the jump
 * of V_m in each step counts the synapses of that delay. Each target's delays in steps
 * (llround(delay / dt), at least 1) must be the definition's, clipped near the mean so that
 * many are redrawn. */
START_TEST(test_normal_delays_exact) {
  enum { NT = 30, K = 120, DMAX = 40 };
  const uint64_t seed = 515151;
  const double dt = 0.1;
  const hebb_dist dist = {HEBB_DIST_NORMAL_CLIPPED, 1.5, 0.75, 1.2, DMAX * dt};
  for (int t = 1; t <= 3; t += 2) {
    hebb_model *m = hebb_model_new();
    OK(m, hebb_model_set_dt(m, dt));
    OK(m, hebb_model_set_seed(m, seed));
    int sg = add_pop(m, "sg", "spike_generator", 1);
    int tgt = add_counters(m, NT);
    const double t0 = dt; /* fires in step 0 (stamped 1): delay d shows in sample d + 1 */
    OK(m, hebb_model_set_spike_times(m, sg, 0, &t0, 1));
    hebb_projection_spec sp = rule_spec(HEBB_CONN_FIXED_INDEGREE, 0, K, true, true);
    sp.source = sg;
    sp.target = tgt;
    sp.delay_ms = dist;
    OK(m, hebb_model_add_projection(m, &sp, NULL));
    OK(m, hebb_model_record_state(m, tgt, "V_m", NULL, 0, dt));
    hebb_sim *s = build(m, t);
    const uint32_t steps = DMAX + 3;
    ck_assert_int_eq(hebb_sim_run_until(s, steps * dt), 0);
    hebb_sample *smp = NULL;
    size_t n = 0;
    ck_assert_int_eq(hebb_sim_take_samples(s, &smp, &n), 0);
    ck_assert_uint_eq(n, (size_t)steps * NT);
    for (uint32_t i = 0; i < NT; i++) {
      int got[DMAX + 2] = {0}, want[DMAX + 2] = {0};
      for (uint32_t d = 1; d <= DMAX + 1; d++) { /* V of sample k is smp[(k - 1) NT + i] */
        double jump = smp[(size_t)d * NT + i].value - smp[(size_t)(d - 1) * NT + i].value;
        ck_assert_msg(jump == floor(jump) && jump >= 0 && jump <= K, "target %u: jump %g", i, jump);
        got[d] = (int)jump;
      }
      for (uint32_t k = 0; k < K; k++) {
        long ds = llround(defined_normal(seed, HEBB_STREAM_DELAY, 0, 1 + i, k, dist) / dt);
        ck_assert_int_le(ds, DMAX);
        want[ds < 1 ? 1 : ds]++;
      }
      for (uint32_t d = 1; d <= DMAX + 1; d++)
        ck_assert_msg(got[d] == want[d],
                      "%d threads, target %u: %d synapses of %u steps, "
                      "defined %d",
                      t, i, got[d], d, want[d]);
    }
    free(smp);
    hebb_sim_free(s);
    hebb_model_free(m);
  }
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* Determinism of a whole network across thread counts */

/* A small balanced network with every random ingredient: Poisson input, random initial
 * V_m, normal weights, uniform delays, the three neuron models, a dc_generator, and every
 * connection rule. */
static hebb_model *network(void) {
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, 0.1));
  OK(m, hebb_model_set_seed(m, 20240917));
  int pg = add_pop(m, "pg", "poisson_generator", 40);
  set(m, pg, "rate", 400.0);
  int e = add_pop(m, "e", "iaf_psc_exp", 160);
  int i = add_pop(m, "i", "iaf_psc_exp", 40);
  int d = add_pop(m, "d", "iaf_psc_delta", 25);
  int c = add_pop(m, "c", "iaf_cond_exp", 30);
  set(m, d, "I_e", 250.0); /* just below rheobase (375 pA): input and the dc make them fire */
  set(m, c, "I_e", 240.0); /* rheobase g_L (V_th - E_L) = 250 pA */
  int dc = add_pop(m, "dc", "dc_generator", 1);
  set(m, dc, "amplitude", 150.0);
  set(m, dc, "start", 20.0);
  set(m, dc, "stop", 70.0);
  hebb_dist v0 = {HEBB_DIST_UNIFORM, -70.0, -56.0, 0, 0};
  OK(m, hebb_model_set_initial(m, e, "V_m", v0));
  OK(m, hebb_model_set_initial(m, i, "V_m", v0));
  OK(m, hebb_model_set_initial(m, d, "V_m", v0));
  hebb_dist v0c = {HEBB_DIST_NORMAL, -62.0, 3.0, 0, 0};
  OK(m, hebb_model_set_initial(m, c, "V_m", v0c));
  const struct {
    int src, tgt;
    hebb_conn_rule rule;
    double p;
    uint64_t n;
    hebb_dist w, delay;
  } pr[] = {
      {pg,
       e,
       HEBB_CONN_FIXED_INDEGREE,
       0,
       10,
       {HEBB_DIST_CONSTANT, 60, 0, 0, 0},
       {HEBB_DIST_CONSTANT, 1.0, 0, 0, 0}},
      {pg,
       i,
       HEBB_CONN_PAIRWISE_BERNOULLI,
       0.3,
       0,
       {HEBB_DIST_UNIFORM, 40, 80, 0, 0},
       {HEBB_DIST_UNIFORM, 1.0, 2.0, 0, 0}},
      {e,
       e,
       HEBB_CONN_PAIRWISE_BERNOULLI,
       0.1,
       0,
       {HEBB_DIST_NORMAL, 40, 10, 0, 0},
       {HEBB_DIST_UNIFORM, 1.0, 3.0, 0, 0}},
      {e,
       i,
       HEBB_CONN_FIXED_OUTDEGREE,
       0,
       8,
       {HEBB_DIST_NORMAL_CLIPPED, 50, 20, 0, 100},
       {HEBB_DIST_NORMAL_CLIPPED, 1.5, 0.5, 1.0, 3.0}},
      {i,
       e,
       HEBB_CONN_FIXED_INDEGREE,
       0,
       10,
       {HEBB_DIST_CONSTANT, -150, 0, 0, 0},
       {HEBB_DIST_CONSTANT, 1.2, 0, 0, 0}},
      {i,
       i,
       HEBB_CONN_ALL_TO_ALL,
       0,
       0,
       {HEBB_DIST_UNIFORM, -20, -5, 0, 0},
       {HEBB_DIST_CONSTANT, 1.0, 0, 0, 0}},
      {e,
       d,
       HEBB_CONN_FIXED_TOTAL_NUMBER,
       0,
       1000,
       {HEBB_DIST_NORMAL, 2.0, 0.5, 0, 0},
       {HEBB_DIST_UNIFORM, 1.0, 2.5, 0, 0}},
      {e,
       c,
       HEBB_CONN_FIXED_INDEGREE,
       0,
       20,
       {HEBB_DIST_UNIFORM, 5.0, 15.0, 0, 0},
       {HEBB_DIST_CONSTANT, 1.0, 0, 0, 0}},
      {i,
       c,
       HEBB_CONN_PAIRWISE_BERNOULLI,
       0.5,
       0,
       {HEBB_DIST_UNIFORM, -1.0, -0.2, 0, 0},
       {HEBB_DIST_CONSTANT, 1.0, 0, 0, 0}},
      {pg,
       i,
       HEBB_CONN_ONE_TO_ONE,
       0,
       0,
       {HEBB_DIST_CONSTANT, 30.0, 0, 0, 0},
       {HEBB_DIST_CONSTANT, 1.0, 0, 0, 0}},
      {d,
       d,
       HEBB_CONN_FIXED_INDEGREE,
       0,
       3,
       {HEBB_DIST_CONSTANT, 0.5, 0, 0, 0},
       {HEBB_DIST_CONSTANT, 1.0, 0, 0, 0}},
      {dc,
       c,
       HEBB_CONN_ALL_TO_ALL,
       0,
       0,
       {HEBB_DIST_UNIFORM, 0.5, 1.5, 0, 0},
       {HEBB_DIST_CONSTANT, 0.5, 0, 0, 0}},
      {dc,
       d,
       HEBB_CONN_ALL_TO_ALL,
       0,
       0,
       {HEBB_DIST_CONSTANT, 1.0, 0, 0, 0},
       {HEBB_DIST_CONSTANT, 0.1, 0, 0, 0}},
  };
  for (size_t k = 0; k < sizeof pr / sizeof pr[0]; k++) {
    hebb_projection_spec sp = hebb_projection_spec_default();
    char name[16];
    snprintf(name, sizeof name, "p%zu", k);
    sp.name = name;
    sp.source = pr[k].src;
    sp.target = pr[k].tgt;
    sp.rule = pr[k].rule;
    sp.p = pr[k].p;
    sp.n = pr[k].n;
    sp.allow_autapses = false;
    sp.allow_multapses = true;
    sp.weight = pr[k].w;
    sp.weight.lo = pr[k].rule == HEBB_CONN_FIXED_OUTDEGREE ? 0 : -INFINITY;
    sp.weight.hi = pr[k].rule == HEBB_CONN_FIXED_OUTDEGREE ? 100 : INFINITY;
    sp.delay_ms = pr[k].delay;
    OK(m, hebb_model_add_projection(m, &sp, NULL));
  }
  const int rec[4] = {e, i, d, c};
  for (int k = 0; k < 4; k++) {
    OK(m, hebb_model_record_spikes(m, rec[k]));
    OK(m, hebb_model_record_state(m, rec[k], "V_m", NULL, 0, 0.1));
  }
  const uint32_t some_i[3] = {39, 0, 7}, some_c[3] = {29, 7, 0};
  OK(m, hebb_model_record_state(m, i, "I_syn_in", some_i, 3, 0.2));
  OK(m, hebb_model_record_state(m, c, "g_ex", some_c, 3, 0.1));
  OK(m, hebb_model_record_spikes(m, pg));
  return m;
}

typedef struct {
  hebb_stats st;
  hebb_spike *spikes;
  size_t nspikes;
  hebb_sample *samples;
  size_t nsamples;
  uint64_t pop_spikes[6];
} run_result;

/* Runs the network with THREADS to 100 ms, in one call or in uneven pieces. */
static void run_network(int threads, bool pieces, run_result *r) {
  hebb_model *m = network();
  hebb_sim *s = build(m, threads);
  if (pieces) {
    const double stops[] = {0.3, 3.7, 3.7, 10.0, 41.3, 100.0};
    for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++)
      ck_assert_int_eq(hebb_sim_run_until(s, stops[k]), 0);
  } else {
    ck_assert_int_eq(hebb_sim_run_until(s, 100.0), 0);
  }
  ck_assert_uint_eq(hebb_sim_step(s), 1000);
  ck_assert_int_eq(hebb_sim_stats(s, &r->st), 0);
  ck_assert_int_eq(hebb_sim_take_spikes(s, &r->spikes, &r->nspikes), 0);
  ck_assert_int_eq(hebb_sim_take_samples(s, &r->samples, &r->nsamples), 0);
  for (int p = 0; p < 6; p++)
    r->pop_spikes[p] = hebb_sim_population_spikes(s, p);
  hebb_sim_free(s);
  hebb_model_free(m);
}

static void assert_same_run(const run_result *a, const run_result *b, const char *what) {
  ck_assert_msg(a->st.synapses == b->st.synapses, "%s: %llu synapses vs %llu", what,
                (unsigned long long)a->st.synapses, (unsigned long long)b->st.synapses);
  ck_assert_uint_eq(a->st.neurons, b->st.neurons);
  ck_assert_uint_eq(a->st.spikes_total, b->st.spikes_total);
  ck_assert_uint_eq(a->st.synaptic_events, b->st.synaptic_events);
  for (int p = 0; p < 6; p++)
    ck_assert_uint_eq(a->pop_spikes[p], b->pop_spikes[p]);
  ck_assert_msg(a->nspikes == b->nspikes, "%s: %zu spikes vs %zu", what, a->nspikes, b->nspikes);
  for (size_t k = 0; k < a->nspikes; k++)
    ck_assert_msg(a->spikes[k].step == b->spikes[k].step && a->spikes[k].pop == b->spikes[k].pop &&
                      a->spikes[k].index == b->spikes[k].index,
                  "%s: spike %zu differs: (%llu, %u, %u) vs (%llu, %u, %u)", what, k,
                  (unsigned long long)a->spikes[k].step, a->spikes[k].pop, a->spikes[k].index,
                  (unsigned long long)b->spikes[k].step, b->spikes[k].pop, b->spikes[k].index);
  ck_assert_msg(a->nsamples == b->nsamples, "%s: %zu samples vs %zu", what, a->nsamples,
                b->nsamples);
  for (size_t k = 0; k < a->nsamples; k++) {
    const hebb_sample *x = &a->samples[k], *y = &b->samples[k];
    ck_assert_msg(x->step == y->step && x->pop == y->pop && x->index == y->index &&
                      x->var == y->var && memcmp(&x->value, &y->value, sizeof x->value) == 0,
                  "%s: sample %zu (step %llu, pop %u, index %u, var %u) is %.17g vs %.17g", what, k,
                  (unsigned long long)x->step, x->pop, x->index, x->var, x->value, y->value);
  }
}

static void free_run(run_result *r) {
  free(r->spikes);
  free(r->samples);
}

START_TEST(test_network_threads) {
  run_result ref;
  run_network(1, false, &ref);
  /* the network is alive: all four neuron populations fire, and not in lockstep */
  ck_assert_uint_gt(ref.pop_spikes[0], 100); /* poisson: 40 x 400 Hz x 0.1 s ~ 1600 */
  ck_assert_uint_gt(ref.pop_spikes[1], 50);  /* e */
  ck_assert_uint_gt(ref.pop_spikes[2], 5);   /* i */
  ck_assert_uint_gt(ref.pop_spikes[3], 50);  /* d */
  ck_assert_uint_gt(ref.pop_spikes[4], 50);  /* c */
  ck_assert_uint_gt(ref.st.synaptic_events, 10000);
  ck_assert_uint_eq(ref.nsamples, 1000 * (160 + 40 + 25 + 30) + 500 * 3 + 1000 * 3);
  for (int t = 1; t < NTHREADS; t++) {
    run_result r;
    run_network(thread_counts[t], false, &r);
    char what[32];
    snprintf(what, sizeof what, "%d threads", thread_counts[t]);
    assert_same_run(&ref, &r, what);
    free_run(&r);
  }
  /* running in pieces changes nothing */
  for (int t = 0; t < 2; t++) {
    run_result r;
    run_network(thread_counts[t] + 1, true, &r);
    assert_same_run(&ref, &r, "in pieces");
    free_run(&r);
  }
  free_run(&ref);
}
END_TEST

/* The order in which a target sums the inputs of one step is part of invariant I1: groups
 * are delivered in ascending (source gid, projection, delay), whatever the partitioning.
 * Five one-neuron spike_generators (gids 0..4) fire in the same step onto one
 * iaf_psc_delta neuron that neither leaks nor fires, all through the excitatory receptor so
 * that the weights 2^60, -2^60, 1, 1, 1 meet in one double accumulator. In gid order the sum
 * is exactly 3; partitions read in turn would add them as 0, 2, 4, 1, 3 (two partitions:
 * sum 1) or 0, 3, 1, 4, 2 and 0, 4, 1, 2, 3 (three and four: sum 2), because 2^60 + 1
 * rounds to 2^60. Most sums of float weights are exact in double and would not show this. */
START_TEST(test_delivery_order) {
  const double w[5] = {0x1p60, -0x1p60, 1.0, 1.0, 1.0};
  for (int t = 0; t < NTHREADS; t++) {
    hebb_model *m = hebb_model_new();
    int src[5];
    for (int k = 0; k < 5; k++) {
      char name[8];
      snprintf(name, sizeof name, "s%d", k);
      src[k] = add_pop(m, name, "spike_generator", 1);
      const double ts = 1.0;
      OK(m, hebb_model_set_spike_times(m, src[k], 0, &ts, 1));
    }
    int tgt = add_pop(m, "t", "iaf_psc_delta", 1);
    set(m, tgt, "E_L", 0.0);
    set(m, tgt, "V_reset", 0.0);
    set(m, tgt, "V_th", 1e30);
    set(m, tgt, "tau_m", 1e300);
    for (int k = 0; k < 5; k++) {
      hebb_projection_spec sp = rule_spec(HEBB_CONN_ALL_TO_ALL, 0, 0, true, true);
      sp.source = src[k];
      sp.target = tgt;
      sp.weight = hebb_dist_const(w[k]);
      sp.delay_ms = hebb_dist_const(1.0);
      sp.receptor = HEBB_RECEPTOR_EXCITATORY;
      OK(m, hebb_model_add_projection(m, &sp, NULL));
    }
    hebb_sim *s = build(m, thread_counts[t]);
    ck_assert_int_eq(hebb_sim_run_until(s, 5.0), 0);
    double v = 0;
    ck_assert_int_eq(hebb_sim_get_state(s, tgt, 0, "V_m", &v), 0);
    ck_assert_msg(v == 3.0, "%d threads: the inputs summed to %.17g, expected 3 (gid order)",
                  thread_counts[t], v);
    hebb_sim_free(s);
    hebb_model_free(m);
  }
}
END_TEST

/* Shared weights (share_weights in engine/sim.c): a static network whose projections each
 * give all their synapses one weight stores no weight per synapse, and must run exactly as
 * the same network stored with a weight per synapse. The second is forced by one extra
 * projection with uniform weights from a spike_generator that never fires, so that both
 * networks have the same dynamics; run in single and double precision, on 1 to 3 threads. */
typedef struct {
  hebb_spike *spikes;
  size_t nspikes;
  uint64_t nsyn, weight_bytes;
} shared_result;

static void shared_run(bool single, bool mixed, int threads, shared_result *r) {
  hebb_model *m = hebb_model_new();
  int e = add_pop(m, "e", "iaf_psc_delta", 160), i = add_pop(m, "i", "iaf_psc_delta", 40);
  int noise = add_pop(m, "noise", "poisson_generator", 200);
  int mute = add_pop(m, "mute", "spike_generator", 1);
  set(m, noise, "rate", 13000.0);
  const int neurons[2] = {e, i};
  for (int k = 0; k < 2; k++) {
    set(m, neurons[k], "E_L", 0.0);
    set(m, neurons[k], "V_th", 20.0);
    set(m, neurons[k], "V_reset", 10.0);
    set(m, neurons[k], "t_ref", 2.0);
    if (single)
      OK(m, hebb_model_set_option(m, neurons[k], "precision", "single"));
    OK(m, hebb_model_record_spikes(m, neurons[k]));
  }
  const struct {
    int src, tgt;
    double w;
  } pr[] = {{e, e, 0.3}, {e, i, 0.3}, {i, e, -1.4}, {i, i, -1.4}};
  for (size_t k = 0; k < 4; k++) {
    hebb_projection_spec sp = rule_spec(HEBB_CONN_PAIRWISE_BERNOULLI, 0.2, 0, false, false);
    sp.source = pr[k].src;
    sp.target = pr[k].tgt;
    sp.weight = hebb_dist_const(pr[k].w);
    sp.delay_ms = (hebb_dist){HEBB_DIST_UNIFORM, 0.5, 2.0, 0, 0}; /* several groups per source */
    OK(m, hebb_model_add_projection(m, &sp, NULL));
  }
  hebb_projection_spec sp = rule_spec(HEBB_CONN_ONE_TO_ONE, 0, 0, false, false);
  sp.source = noise;
  sp.target = e; /* the first 160 noise trains onto e, through the pairwise rule below */
  sp.rule = HEBB_CONN_PAIRWISE_BERNOULLI;
  sp.p = 0.02;
  sp.weight = hebb_dist_const(0.9);
  OK(m, hebb_model_add_projection(m, &sp, NULL));
  sp.target = i;
  OK(m, hebb_model_add_projection(m, &sp, NULL));
  if (mixed) {
    hebb_projection_spec q = rule_spec(HEBB_CONN_ALL_TO_ALL, 0, 0, false, false);
    q.source = mute;
    q.target = e;
    q.weight = (hebb_dist){HEBB_DIST_UNIFORM, 0.1, 0.2, 0, 0};
    OK(m, hebb_model_add_projection(m, &q, NULL));
    q.target = i;
    OK(m, hebb_model_add_projection(m, &q, NULL));
  }
  hebb_sim *s = build(m, threads);
  hebb_memory mem;
  ck_assert_int_eq(hebb_sim_memory(s, &mem), 0);
  r->nsyn = synapse_count(s);
  r->weight_bytes = mem.weights;
  if (!mixed) { /* every synapse still reads as its projection's weight */
    for (int p = 0; p < 4; p++) {
      hebb_synapse *syn = NULL;
      size_t n = 0;
      ck_assert_int_eq(hebb_sim_synapses(s, p, &syn, &n), 0);
      ck_assert_uint_gt(n, 100);
      for (size_t k = 0; k < n; k++)
        ck_assert_msg(syn[k].weight == (float)pr[p].w, "projection %d synapse %zu: %g", p, k,
                      (double)syn[k].weight);
      free(syn);
    }
  }
  ck_assert_int_eq(hebb_sim_run_until(s, 100.0), 0);
  ck_assert_int_eq(hebb_sim_take_spikes(s, &r->spikes, &r->nspikes), 0);
  hebb_sim_free(s);
  hebb_model_free(m);
}

START_TEST(test_shared_weights) {
  for (int single = 0; single < 2; single++) {
    shared_result ref;
    shared_run(single, true, 1, &ref);
    ck_assert_uint_eq(ref.weight_bytes, 4 * ref.nsyn); /* one weight per synapse */
    ck_assert_uint_gt(ref.nspikes, 250);               /* the network is active */
    /* shared on 1, 2 and 3 threads; per-synapse once more on 3 */
    for (int t = 1; t <= 3; t++) {
      for (int mixed = 0; mixed < (t == 3 ? 2 : 1); mixed++) {
        shared_result r;
        shared_run(single, mixed, t, &r);
        ck_assert_uint_eq(r.nsyn, ref.nsyn - (mixed ? 0 : 200));
        ck_assert_uint_eq(r.weight_bytes, mixed ? 4 * r.nsyn : 0);
        ck_assert_msg(r.nspikes == ref.nspikes, "%s, %d threads, %s weights: %zu spikes vs %zu",
                      single ? "single" : "double", t, mixed ? "per-synapse" : "shared", r.nspikes,
                      ref.nspikes);
        for (size_t k = 0; k < r.nspikes; k++)
          ck_assert_msg(r.spikes[k].step == ref.spikes[k].step &&
                            r.spikes[k].pop == ref.spikes[k].pop &&
                            r.spikes[k].index == ref.spikes[k].index,
                        "%s, %d threads, %s weights: spike %zu differs",
                        single ? "single" : "double", t, mixed ? "per-synapse" : "shared", k);
        free(r.spikes);
      }
    }
    free(ref.spikes);
  }
}
END_TEST

static Suite *connect_suite(void) {
  Suite *s = suite_create("connect");
  TCase *counts = tcase_create("counts");
  tcase_set_timeout(counts, 60);
  tcase_add_test(counts, test_count_all_to_all);
  tcase_add_test(counts, test_count_one_to_one);
  tcase_add_test(counts, test_count_pairwise_bernoulli);
  tcase_add_test(counts, test_count_fixed_indegree);
  tcase_add_test(counts, test_count_fixed_outdegree);
  tcase_add_test(counts, test_count_fixed_total_number);
  tcase_add_test(counts, test_rule_checks);
  suite_add_tcase(s, counts);
  TCase *probes = tcase_create("probes");
  tcase_set_timeout(probes, 60);
  tcase_add_test(probes, test_probe_all_to_all);
  tcase_add_test(probes, test_probe_one_to_one);
  tcase_add_test(probes, test_probe_pairwise_bernoulli);
  tcase_add_test(probes, test_probe_fixed_indegree);
  tcase_add_test(probes, test_probe_fixed_outdegree);
  tcase_add_test(probes, test_probe_fixed_total_number);
  tcase_add_test(probes, test_fixed_total_number_law);
  suite_add_tcase(s, probes);
  TCase *det = tcase_create("determinism");
  tcase_set_timeout(det, 60);
  tcase_add_test(det, test_delivery_order);
  tcase_add_test(det, test_network_threads);
  suite_add_tcase(s, det);
  TCase *shared = tcase_create("shared_weights"); /* 10 runs: slow under the sanitizers */
  tcase_set_timeout(shared, 240);
  tcase_add_test(shared, test_shared_weights);
  tcase_add_test(shared, test_normal_weights_exact);
  tcase_add_test(shared, test_normal_delays_exact);
  suite_add_tcase(s, shared);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(connect_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_stdp.c - the pair STDP rule [stdp] driven by known spike times.
 *
 * A spike_generator "pre" reaches the target through the plastic projection; a second
 * spike_generator "drive" makes the target spike at chosen times through a strong static
 * projection onto an iaf_psc_delta neuron that forgets its input within a step (tau_m =
 * 0.05 ms), so the plastic input alone never makes it spike. The weight trajectory is
 * compared with an independent computation from the spike lists: traces as explicit sums
 * of exponentials over earlier spikes (MODELS.md 2.1, 2.2; traces read at t - eps, so
 * equal-time pairs do not interact), NEST's update formulas, and the weight stored as a
 * float after every update, as the engine stores it.
 */
#include "harness.h"
#include "hebb.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  double tau_plus, tau_minus, lambda, alpha, mu_plus, mu_minus, wmax;
  const char *scheme;
} stdp_params;

typedef struct {
  const double *pre; /* presynaptic spike stamps (ms) */
  size_t npre;
  const double *drive; /* drive spike stamps; the target spikes one step later */
  size_t ndrive;
  double delay; /* of the plastic projection (ms) */
  double w0;
  double t_end;
  int threads;
  bool final_only;               /* return only the final weight (no recording every step) */
  double frozen_from, frozen_to; /* weights frozen in [from, to) (ms); equal: never */
} protocol;

/* Builds and runs the protocol; returns the recorded weight after every step (index k:
 * weight at the end of step k) in *w, and the target's spike stamps in *post. */
static void run(const stdp_params *sp, const protocol *pr, double dt, float **w, size_t *nw,
                double **post, size_t *npost) {
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  int pre = 0, drive = 0, tgt = 0, proj = 0;
  OK(m, hebb_model_add_population(m, "post", "iaf_psc_delta", 1, &tgt));
  OK(m, hebb_model_add_population(m, "pre", "spike_generator", 1, &pre));
  OK(m, hebb_model_add_population(m, "drive", "spike_generator", 1, &drive));
  OK(m, hebb_model_set_param(m, tgt, "tau_m", 0.05));
  OK(m, hebb_model_set_param(m, tgt, "E_L", 0.0));
  OK(m, hebb_model_set_param(m, tgt, "V_reset", 0.0));
  OK(m, hebb_model_set_param(m, tgt, "V_th", 1000.0));
  OK(m, hebb_model_set_param(m, tgt, "t_ref", 0.0));
  OK(m, hebb_model_set_spike_times(m, pre, 0, pr->pre, pr->npre));
  OK(m, hebb_model_set_spike_times(m, drive, 0, pr->drive, pr->ndrive));
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = drive;
  s.target = tgt;
  s.weight = hebb_dist_const(5000.0);
  s.delay_ms = hebb_dist_const(dt);
  OK(m, hebb_model_add_projection(m, &s, NULL));
  s.source = pre;
  s.weight = hebb_dist_const(pr->w0);
  s.delay_ms = hebb_dist_const(pr->delay);
  s.name = "plastic";
  OK(m, hebb_model_add_projection(m, &s, &proj));
  OK(m, hebb_model_set_plasticity(m, proj, "stdp"));
  OK(m, hebb_model_set_plasticity_param(m, proj, "tau_plus", sp->tau_plus));
  OK(m, hebb_model_set_plasticity_param(m, proj, "tau_minus", sp->tau_minus));
  OK(m, hebb_model_set_plasticity_param(m, proj, "lambda", sp->lambda));
  OK(m, hebb_model_set_plasticity_param(m, proj, "alpha", sp->alpha));
  OK(m, hebb_model_set_plasticity_param(m, proj, "mu_plus", sp->mu_plus));
  OK(m, hebb_model_set_plasticity_param(m, proj, "mu_minus", sp->mu_minus));
  OK(m, hebb_model_set_plasticity_param(m, proj, "Wmax", sp->wmax));
  OK(m, hebb_model_set_plasticity_option(m, proj, "scheme", sp->scheme));
  if (pr->frozen_to > pr->frozen_from) {
    const double at[2] = {pr->frozen_from, pr->frozen_to};
    const bool learn[2] = {false, true};
    OK(m, hebb_model_set_learning_schedule(m, proj, at, learn, 2, 0.0));
  }
  if (!pr->final_only)
    OK(m, hebb_model_record_weights(m, proj, dt));
  OK(m, hebb_model_record_spikes(m, tgt));
  hebb_sim_options o = hebb_sim_options_default();
  o.threads = pr->threads;
  o.pin = false;
  hebb_sim *sim = NULL;
  OK(m, hebb_sim_new(m, &o, &sim));
  ck_assert_int_eq(hebb_sim_run_until(sim, pr->t_end), 0);
  hebb_synapse *syn;
  size_t n;
  if (pr->final_only)
    ck_assert_int_eq(hebb_sim_synapses(sim, proj, &syn, &n), 0);
  else
    ck_assert_int_eq(hebb_sim_take_weights(sim, &syn, &n), 0);
  *w = malloc(n * sizeof **w);
  for (size_t i = 0; i < n; i++) {
    ck_assert_uint_eq(syn[i].step, pr->final_only ? (uint64_t)llround(pr->t_end / dt) : i + 1);
    (*w)[i] = syn[i].weight;
  }
  *nw = n;
  free(syn);
  hebb_spike *spk;
  ck_assert_int_eq(hebb_sim_take_spikes(sim, &spk, &n), 0);
  *post = malloc((n ? n : 1) * sizeof **post);
  for (size_t i = 0; i < n; i++)
    (*post)[i] = (double)spk[i].step * dt;
  *npost = n;
  free(spk);
  hebb_sim_free(sim);
  hebb_model_free(m);
}

static float facilitate(const stdp_params *p, float w, double x) {
  double u = (double)w / p->wmax;
  u += p->lambda * pow(1.0 - u, p->mu_plus) * x;
  return (float)(u < 1.0 ? u * p->wmax : p->wmax);
}

static float depress(const stdp_params *p, float w, double y) {
  double u = (double)w / p->wmax;
  u -= p->alpha * p->lambda * pow(u, p->mu_minus) * y;
  return (float)(u > 0.0 ? u * p->wmax : 0.0);
}

/* The trace of spikes T[0..n) read just before time t: all-to-all sums every earlier spike,
 * the nearest schemes take the latest one. */
static double trace(const double *t, size_t n, double now, double tau, bool nearest, double *last) {
  double x = 0.0;
  *last = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (!(t[i] < now - 1e-9))
      continue;
    *last = t[i];
    if (nearest)
      x = exp(-(now - t[i]) / tau);
    else
      x += exp(-(now - t[i]) / tau);
  }
  return x;
}

/* The independent weight trajectory: events at grid times, pre arrivals before post
 * spikes within a time, each reading the other side's trace at t - eps. Returns w at the
 * end of step k in ref[k]. */
static void reference(const stdp_params *p, const double *arr, size_t narr, const double *post,
                      size_t npost, double w0, double dt, size_t nsteps, float *ref,
                      double frozen_from, double frozen_to) {
  bool nearest = strcmp(p->scheme, "all_to_all") != 0;
  bool restricted = strcmp(p->scheme, "nearest_restricted") == 0;
  float w = (float)w0;
  size_t ia = 0, ip = 0;
  for (size_t k = 0; k < nsteps; k++) {
    double t = (double)(k + 1) * dt;
    /* step k is frozen when its start time lies in [from, to) */
    if ((double)k * dt >= frozen_from - 1e-9 && (double)k * dt < frozen_to - 1e-9) {
      for (; ia < narr && fabs(arr[ia] - t) < 1e-9; ia++)
        ;
      for (; ip < npost && fabs(post[ip] - t) < 1e-9; ip++)
        ;
      ref[k] = w;
      continue;
    }
    for (; ia < narr && fabs(arr[ia] - t) < 1e-9; ia++) {
      double last_post, last_pre_before;
      double y = trace(post, npost, t, p->tau_minus, nearest, &last_post);
      trace(arr, narr, t, p->tau_plus, nearest, &last_pre_before);
      if (restricted && !(last_post > last_pre_before))
        continue;
      if (y != 0.0)
        w = depress(p, w, y);
    }
    for (; ip < npost && fabs(post[ip] - t) < 1e-9; ip++) {
      double last_pre, last_post_before;
      double x = trace(arr, narr, t, p->tau_plus, nearest, &last_pre);
      trace(post, npost, t, p->tau_minus, nearest, &last_post_before);
      if (restricted && !(last_pre > last_post_before))
        continue;
      if (x != 0.0)
        w = facilitate(p, w, x);
    }
    ref[k] = w;
  }
}

/* Runs PROTOCOL and compares every step's weight with the reference. */
static void check_trajectory(const stdp_params *sp, const protocol *pr, double dt) {
  float *w;
  double *post;
  size_t nw, npost;
  run(sp, pr, dt, &w, &nw, &post, &npost);
  /* the target spikes one step after each drive spike, and only then */
  ck_assert_uint_eq(npost, pr->ndrive);
  for (size_t i = 0; i < npost; i++)
    ck_assert_msg(fabs(post[i] - (pr->drive[i] + dt)) < 1e-9, "post spike %zu at %g, expected %g",
                  i, post[i], pr->drive[i] + dt);
  double *arr = malloc(pr->npre * sizeof *arr);
  for (size_t i = 0; i < pr->npre; i++)
    arr[i] = pr->pre[i] + pr->delay; /* axonal delay: the synapse sees emission + delay */
  float *ref = malloc(nw * sizeof *ref);
  reference(sp, arr, pr->npre, post, npost, pr->w0, dt, nw, ref, pr->frozen_from, pr->frozen_to);
  size_t changes = 0;
  for (size_t k = 0; k < nw; k++) {
    ck_assert_msg(fabs((double)w[k] - (double)ref[k]) <= 1e-12 * fabs((double)ref[k]),
                  "scheme %s, step %zu (t = %g ms): weight %.9g, reference %.9g", sp->scheme, k,
                  (k + 1) * dt, (double)w[k], (double)ref[k]);
    changes += k > 0 && w[k] != w[k - 1];
  }
  /* the protocol must exercise the rule: the weight moved at several times */
  ck_assert_uint_ge(changes, 4);
  free(arr);
  free(ref);
  free(w);
  free(post);
}

static const double irregular_pre[] = {5.0, 12.3, 12.9, 20.0, 31.4, 33.0, 47.5, 60.1, 61.0, 75.0};
static const double irregular_drive[] = {8.0, 14.0, 25.2, 31.3, 40.0, 58.0, 62.4, 70.0};

static protocol irregular(int threads) {
  protocol p = {irregular_pre,
                sizeof irregular_pre / sizeof irregular_pre[0],
                irregular_drive,
                sizeof irregular_drive / sizeof irregular_drive[0],
                1.5,
                40.0,
                100.0,
                threads,
                false,
                0.0,
                0.0};
  return p;
}

START_TEST(test_trajectory_additive) {
  stdp_params sp = {20.0, 20.0, 0.01, 1.05, 0.0, 0.0, 100.0, "all_to_all"};
  protocol pr = irregular(1);
  check_trajectory(&sp, &pr, 0.1);
}
END_TEST

START_TEST(test_trajectory_multiplicative) {
  stdp_params sp = {16.8, 33.7, 0.05, 1.2, 1.0, 1.0, 80.0, "all_to_all"};
  protocol pr = irregular(2);
  check_trajectory(&sp, &pr, 0.1);
}
END_TEST

START_TEST(test_trajectory_guetig) {
  stdp_params sp = {20.0, 20.0, 0.05, 1.1, 0.4, 0.7, 100.0, "all_to_all"};
  protocol pr = irregular(3);
  check_trajectory(&sp, &pr, 0.05);
}
END_TEST

START_TEST(test_trajectory_nearest_symmetric) {
  stdp_params sp = {20.0, 20.0, 0.02, 1.05, 0.0, 1.0, 100.0, "nearest_symmetric"};
  protocol pr = irregular(1);
  check_trajectory(&sp, &pr, 0.1);
}
END_TEST

START_TEST(test_trajectory_nearest_restricted) {
  stdp_params sp = {20.0, 20.0, 0.02, 1.05, 0.0, 0.0, 100.0, "nearest_restricted"};
  protocol pr = irregular(2);
  check_trajectory(&sp, &pr, 0.1);
}
END_TEST

/* Learning phases: weights frozen in [30, 60) ms (a prediction phase) stay constant there,
 * and the updates after it see the traces of the spikes that came during it. */
START_TEST(test_learning_phase) {
  stdp_params sp = {20.0, 20.0, 0.01, 1.05, 0.0, 0.0, 100.0, "all_to_all"};
  protocol pr = irregular(2);
  pr.frozen_from = 30.0;
  pr.frozen_to = 60.0;
  check_trajectory(&sp, &pr, 0.1);
  float *w;
  double *post;
  size_t nw, npost;
  run(&sp, &pr, 0.1, &w, &nw, &post, &npost);
  for (size_t k = 300; k < 600; k++)
    ck_assert_msg(w[k] == w[299], "step %zu: weight changed while frozen", k);
  ck_assert_msg(w[700] != w[599], "no learning after the frozen phase");
  free(w);
  free(post);
}
END_TEST

/* Hard bounds: a strong additive rule drives the weight to Wmax and to 0 exactly. */
START_TEST(test_bounds) {
  static const double pre_up[] = {10, 30, 50, 70, 90}, drive_up[] = {10.5, 30.5, 50.5, 70.5, 90.5};
  stdp_params sp = {20.0, 20.0, 0.5, 1.0, 0.0, 0.0, 10.0, "all_to_all"};
  protocol pr = {pre_up, 5, drive_up, 5, 0.1, 5.0, 100.0, 1, false, 0.0, 0.0};
  float *w;
  double *post;
  size_t nw, npost;
  run(&sp, &pr, 0.1, &w, &nw, &post, &npost);
  ck_assert_float_eq(w[nw - 1], 10.0f);
  free(w);
  free(post);
  /* anti-causal pairs: post before pre, the weight floors at 0 */
  static const double pre_dn[] = {12, 32, 52, 72, 92}, drive_dn[] = {10, 30, 50, 70, 90};
  protocol pd = {pre_dn, 5, drive_dn, 5, 0.1, 5.0, 100.0, 1, false, 0.0, 0.0};
  run(&sp, &pd, 0.1, &w, &nw, &post, &npost);
  ck_assert_float_eq(w[nw - 1], 0.0f);
  free(w);
  free(post);
}
END_TEST

/* P1 (MODELS.md 4): 60 pre/post pairs at 1 Hz with a fixed lag; additive, all-to-all:
 * the total change is 60 A+ exp(-dt/tau+) for causal lags and -60 A- exp(dt/tau-) for
 * anti-causal ones (A+ = lambda Wmax, A- = alpha lambda Wmax; the weight stays far from the
 * bounds). Weights are stored as floats: 60 roundings of a weight near 500 bound the error. */
static void window_point(double lag) {
  enum { PAIRS = 60 };
  const double dt = 0.1, delay = 1.0;
  double pre[PAIRS], drive[PAIRS];
  for (int i = 0; i < PAIRS; i++) {
    double t_arrival = 200.0 + 1000.0 * i; /* the pre spike reaches the synapse here */
    pre[i] = t_arrival - delay;
    drive[i] = t_arrival + lag - dt; /* the target spikes one step after its drive */
  }
  stdp_params sp = {20.0, 20.0, 0.001, 1.05, 0.0, 0.0, 1000.0, "all_to_all"};
  protocol pr = {pre, PAIRS, drive, PAIRS, delay, 500.0, 1000.0 * PAIRS, 1, true, 0.0, 0.0};
  float *w;
  double *post;
  size_t nw, npost;
  run(&sp, &pr, dt, &w, &nw, &post, &npost);
  ck_assert_uint_eq(npost, PAIRS);
  double a_plus = sp.lambda * sp.wmax, a_minus = sp.alpha * sp.lambda * sp.wmax;
  double expect = lag > 0 ? PAIRS * a_plus * exp(-lag / sp.tau_plus)
                          : -PAIRS * a_minus * exp(lag / sp.tau_minus);
  double got = (double)w[nw - 1] - 500.0;
  ck_assert_msg(fabs(got - expect) <= PAIRS * 6.2e-5 + 1e-9 * fabs(expect),
                "lag %g ms: dw %.9g, expected %.9g", lag, got, expect);
  free(w);
  free(post);
}

START_TEST(test_window) {
  const double lags[] = {-100, -50, -20, -10, -5, -1, 1, 5, 10, 20, 50, 100};
  for (size_t i = 0; i < sizeof lags / sizeof lags[0]; i++)
    window_point(lags[i]);
}
END_TEST

/* Invariant I1 with plasticity: a network with plastic feed-forward and recurrent
 * projections (heterogeneous delays, multiplicative and additive STDP) gives bit-identical
 * weights and spikes on 1, 2, 3 and 4 threads. */
static void plastic_network(int threads, hebb_synapse **w, size_t *nw, hebb_spike **spk,
                            size_t *ns) {
  hebb_model *m = hebb_model_new();
  int in = 0, exc = 0, p1 = 0, p2 = 0;
  OK(m, hebb_model_set_seed(m, 11));
  OK(m, hebb_model_add_population(m, "exc", "iaf_psc_exp", 120, &exc));
  OK(m, hebb_model_add_population(m, "in", "poisson_generator", 200, &in));
  OK(m, hebb_model_set_param(m, in, "rate", 25.0));
  OK(m, hebb_model_set_param(m, exc, "tau_m", 20.0));
  OK(m, hebb_model_set_initial(m, exc, "V_m",
                               (hebb_dist){HEBB_DIST_UNIFORM, -70.0, -56.0, -INFINITY, INFINITY}));
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = in;
  s.target = exc;
  s.rule = HEBB_CONN_FIXED_INDEGREE;
  s.n = 60;
  s.weight = (hebb_dist){HEBB_DIST_UNIFORM, 20.0, 80.0, -INFINITY, INFINITY};
  s.delay_ms = (hebb_dist){HEBB_DIST_UNIFORM, 0.5, 3.0, -INFINITY, INFINITY};
  OK(m, hebb_model_add_projection(m, &s, &p1));
  OK(m, hebb_model_set_plasticity(m, p1, "stdp"));
  OK(m, hebb_model_set_plasticity_param(m, p1, "Wmax", 120.0));
  OK(m, hebb_model_set_plasticity_param(m, p1, "lambda", 0.02));
  s.source = exc;
  s.rule = HEBB_CONN_PAIRWISE_BERNOULLI;
  s.p = 0.1;
  s.weight = hebb_dist_const(30.0);
  s.delay_ms = (hebb_dist){HEBB_DIST_NORMAL_CLIPPED, 1.5, 0.7, 0.1, 4.0};
  OK(m, hebb_model_add_projection(m, &s, &p2));
  OK(m, hebb_model_set_plasticity(m, p2, "stdp"));
  OK(m, hebb_model_set_plasticity_param(m, p2, "mu_plus", 0.0));
  OK(m, hebb_model_set_plasticity_param(m, p2, "mu_minus", 0.0));
  OK(m, hebb_model_set_plasticity_param(m, p2, "Wmax", 60.0));
  OK(m, hebb_model_set_plasticity_param(m, p2, "alpha", 1.05));
  OK(m, hebb_model_set_plasticity_option(m, p2, "scheme", "nearest_symmetric"));
  OK(m, hebb_model_record_spikes(m, exc));
  hebb_sim_options o = hebb_sim_options_default();
  o.threads = threads;
  o.pin = false;
  hebb_sim *sim = NULL;
  OK(m, hebb_sim_new(m, &o, &sim));
  ck_assert_int_eq(hebb_sim_run_until(sim, 300.0), 0);
  ck_assert_int_eq(hebb_sim_run_until(sim, 700.0), 0); /* in two pieces */
  hebb_synapse *a, *b;
  size_t na, nb;
  ck_assert_int_eq(hebb_sim_synapses(sim, p1, &a, &na), 0);
  ck_assert_int_eq(hebb_sim_synapses(sim, p2, &b, &nb), 0);
  *w = malloc((na + nb) * sizeof **w);
  memcpy(*w, a, na * sizeof *a);
  memcpy(*w + na, b, nb * sizeof *b);
  *nw = na + nb;
  free(a);
  free(b);
  ck_assert_int_eq(hebb_sim_take_spikes(sim, spk, ns), 0);
  hebb_sim_free(sim);
  hebb_model_free(m);
}

START_TEST(test_determinism) {
  hebb_synapse *w1;
  hebb_spike *s1;
  size_t nw1, ns1;
  plastic_network(1, &w1, &nw1, &s1, &ns1);
  ck_assert_uint_gt(ns1, 200); /* the network is active */
  size_t moved = 0;
  for (size_t i = 0; i < nw1; i++)
    moved += w1[i].weight != 30.0f && w1[i].proj == 1;
  ck_assert_uint_gt(moved, nw1 / 10); /* and learns */
  for (int t = 2; t <= 4; t++) {
    hebb_synapse *w;
    hebb_spike *sp;
    size_t nw, ns;
    plastic_network(t, &w, &nw, &sp, &ns);
    ck_assert_uint_eq(nw, nw1);
    ck_assert_uint_eq(ns, ns1);
    ck_assert_msg(memcmp(w, w1, nw * sizeof *w) == 0, "weights differ at %d threads", t);
    ck_assert_msg(memcmp(sp, s1, ns * sizeof *sp) == 0, "spikes differ at %d threads", t);
    free(w);
    free(sp);
  }
  free(w1);
  free(s1);
}
END_TEST

static Suite *stdp_suite(void) {
  Suite *s = suite_create("stdp");
  TCase *tc = tcase_create("stdp");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_trajectory_additive);
  tcase_add_test(tc, test_trajectory_multiplicative);
  tcase_add_test(tc, test_trajectory_guetig);
  tcase_add_test(tc, test_trajectory_nearest_symmetric);
  tcase_add_test(tc, test_trajectory_nearest_restricted);
  tcase_add_test(tc, test_bounds);
  tcase_add_test(tc, test_learning_phase);
  tcase_add_test(tc, test_window);
  tcase_add_test(tc, test_determinism);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(stdp_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

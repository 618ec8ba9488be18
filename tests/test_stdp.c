/* test_stdp.c - the pair STDP rule [stdp] driven by known spike times.
 *
 * A spike_generator "pre" reaches the target through the plastic projection; a second
 * spike_generator "drive" makes the target spike at chosen times through a strong static
 * projection onto an iaf_psc_delta neuron that forgets its input within a step (tau_m =
 * 0.05 ms), so the plastic input alone never makes it spike. The weight trajectory is
 * compared with an independent computation from the spike lists: traces as explicit sums
 * of exponentials over earlier spikes (MODELS.md 2.1, 2.2; traces read at t - eps, so
 * equal-time pairs do not interact), for nearest_presynaptic the explicit sum over the
 * arrivals since the previous postsynaptic spike, NEST's update formulas, and the weight
 * stored as a float after every update, as the engine stores it.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include "harness.h"
#include "hebb.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
  bool spike_at_start;           /* the target starts above threshold: a post spike at dt */
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
  if (pr->spike_at_start)
    OK(m, hebb_model_set_initial(m, tgt, "V_m", hebb_dist_const(1e5)));
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

/* nearest_presynaptic's LTP trace at a postsynaptic spike at NOW: every arrival not earlier
 * than the previous postsynaptic spike (and before NOW) pairs with this one. */
static double unpaired(const double *arr, size_t narr, const double *post, size_t npost, double now,
                       double tau) {
  double prev_post = -INFINITY;
  for (size_t i = 0; i < npost; i++)
    if (post[i] < now - 1e-9)
      prev_post = post[i];
  double x = 0.0;
  for (size_t i = 0; i < narr; i++)
    if (arr[i] > prev_post - 1e-9 && arr[i] < now - 1e-9)
      x += exp(-(now - arr[i]) / tau);
  return x;
}

/* The independent weight trajectory: events at grid times, pre arrivals before post
 * spikes within a time, each reading the other side's trace at t - eps. Returns w at the
 * end of step k in ref[k]. Spikes in a frozen phase change no weight but still pair
 * (for nearest_presynaptic: a postsynaptic spike in a frozen phase ends the pairing of the
 * arrivals before it). */
static void reference(const stdp_params *p, const double *arr, size_t narr, const double *post,
                      size_t npost, double w0, double dt, size_t nsteps, float *ref,
                      double frozen_from, double frozen_to) {
  bool nearest = strcmp(p->scheme, "all_to_all") != 0;
  bool restricted = strcmp(p->scheme, "nearest_restricted") == 0;
  bool presynaptic = strcmp(p->scheme, "nearest_presynaptic") == 0;
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
      if (presynaptic)
        x = unpaired(arr, narr, post, npost, t, p->tau_plus);
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
                0.0,
                false};
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

/* Presynaptic-centred pairing (Morrison et al. 2008 Fig. 7B). The irregular protocol (pre
 * arrivals at emission + 1.5 ms, post spikes at drive + 0.1 ms) tells it from the other
 * three schemes: the post spikes at 25.3 and 40.1 ms potentiate with two arrivals each
 * (14.4, 21.5 and 32.9, 34.5: all_to_all takes every earlier arrival, the nearest schemes
 * only the last); the one at 31.4 ms finds no arrival since 25.3 ms and does not potentiate
 * (nearest_symmetric pairs it with 21.5); the arrival at 34.5 ms depresses although no post
 * spike came since 32.9 ms (nearest_restricted skips it); the arrival at 62.5 ms, in the
 * step of a post spike, pairs with the next one at 70.1 ms. */
START_TEST(test_trajectory_nearest_presynaptic) {
  stdp_params sp = {20.0, 20.0, 0.02, 1.05, 0.0, 0.0, 100.0, "nearest_presynaptic"};
  protocol pr = irregular(3);
  check_trajectory(&sp, &pr, 0.1);
  /* multiplicative, on a finer grid and another thread count */
  stdp_params mp = {16.8, 33.7, 0.05, 1.2, 1.0, 1.0, 80.0, "nearest_presynaptic"};
  pr = irregular(4);
  check_trajectory(&mp, &pr, 0.05);

  /* arrivals every 1 ms and post spikes every 2 ms: each post spike pairs with the two
   * arrivals since the previous one while the group trace holds about 20. The paired part is
   * subtracted from the trace every time, so keeping it to float precision only would move
   * the weights (a large lambda makes each change large) by a float step now and then. */
  double dense_pre[40], dense_drive[20];
  for (int i = 0; i < 40; i++)
    dense_pre[i] = 1.5 + i; /* arrivals at 2.0 + i ms */
  for (int i = 0; i < 20; i++)
    dense_drive[i] = 3.2 + 2.0 * i; /* post spikes at 3.3 + 2 i ms */
  stdp_params dp = {20.0, 20.0, 0.2, 1.05, 1.0, 1.0, 100.0, "nearest_presynaptic"};
  protocol de = {dense_pre, 40, dense_drive, 20, 0.5, 40.0, 60.0, 2, false, 0.0, 0.0, false};
  check_trajectory(&dp, &de, 0.1);

  /* the same spikes give four different trajectories under the four schemes */
  static const char *const schemes[] = {"all_to_all", "nearest_symmetric", "nearest_restricted",
                                        "nearest_presynaptic"};
  enum { NS = sizeof schemes / sizeof schemes[0], STEPS = 1000 };
  const double dt = 0.1;
  double arr[sizeof irregular_pre / sizeof irregular_pre[0]];
  double post[sizeof irregular_drive / sizeof irregular_drive[0]];
  for (size_t i = 0; i < pr.npre; i++)
    arr[i] = irregular_pre[i] + 1.5;
  for (size_t i = 0; i < pr.ndrive; i++)
    post[i] = irregular_drive[i] + dt;
  static float traj[NS][STEPS];
  for (int a = 0; a < NS; a++) {
    stdp_params q = sp;
    q.scheme = schemes[a];
    reference(&q, arr, pr.npre, post, pr.ndrive, 40.0, dt, STEPS, traj[a], 0.0, 0.0);
  }
  for (int a = 0; a < NS - 1; a++) {
    size_t differ = 0;
    for (size_t k = 0; k < STEPS; k++)
      differ += traj[a][k] != traj[NS - 1][k];
    ck_assert_msg(differ > 0 && traj[a][STEPS - 1] != traj[NS - 1][STEPS - 1],
                  "nearest_presynaptic does not differ from %s", schemes[a]);
  }
}
END_TEST

/* A frozen phase [30, 45) ms holds the weight, but its post spikes (31.4, 40.1 ms) still end
 * the pairing of the arrivals before them: the post spike at 58.1 ms potentiates with the
 * arrival at 49.0 ms only, not with those at 32.9 and 34.5 ms, which paired (without effect)
 * with 40.1 ms. */
START_TEST(test_presynaptic_frozen_phase) {
  stdp_params sp = {20.0, 20.0, 0.02, 1.05, 0.0, 0.0, 100.0, "nearest_presynaptic"};
  protocol pr = irregular(2);
  pr.frozen_from = 30.0;
  pr.frozen_to = 45.0;
  check_trajectory(&sp, &pr, 0.1);
}
END_TEST

/* nearest_presynaptic keeps its pairing per synapse, not per presynaptic group: two sources
 * reach two targets through one (source, delay) group each, and each target ends the
 * pairing of its own synapses only. Every synapse's trajectory matches the reference for
 * its own pre and post trains, on 1 to 4 threads. */
static void shared_groups(int threads) {
  static const double pre0[] = {5.0, 9.0, 12.3, 20.0, 26.0, 31.4, 44.0, 47.5, 61.0};
  static const double pre1[] = {3.0, 7.5, 16.0, 18.2, 33.0, 35.1, 52.0, 58.8};
  static const double drv0[] = {8.0, 14.0, 25.2, 40.0, 58.0, 70.0};
  static const double drv1[] = {11.0, 23.5, 29.0, 37.0, 50.0, 62.4};
  const double *pre[2] = {pre0, pre1}, *drv[2] = {drv0, drv1};
  const size_t npre[2] = {sizeof pre0 / sizeof pre0[0], sizeof pre1 / sizeof pre1[0]};
  const size_t ndrv[2] = {sizeof drv0 / sizeof drv0[0], sizeof drv1 / sizeof drv1[0]};
  const double dt = 0.1, delay = 1.5, w0 = 40.0, t_end = 80.0;
  stdp_params sp = {20.0, 20.0, 0.02, 1.05, 0.0, 1.0, 100.0, "nearest_presynaptic"};
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  int src = 0, drive = 0, tgt = 0, proj = 0;
  OK(m, hebb_model_add_population(m, "post", "iaf_psc_delta", 2, &tgt));
  OK(m, hebb_model_add_population(m, "pre", "spike_generator", 2, &src));
  OK(m, hebb_model_add_population(m, "drive", "spike_generator", 2, &drive));
  OK(m, hebb_model_set_param(m, tgt, "tau_m", 0.05));
  OK(m, hebb_model_set_param(m, tgt, "E_L", 0.0));
  OK(m, hebb_model_set_param(m, tgt, "V_reset", 0.0));
  OK(m, hebb_model_set_param(m, tgt, "V_th", 1000.0));
  OK(m, hebb_model_set_param(m, tgt, "t_ref", 0.0));
  for (uint32_t j = 0; j < 2; j++) {
    OK(m, hebb_model_set_spike_times(m, src, j, pre[j], npre[j]));
    OK(m, hebb_model_set_spike_times(m, drive, j, drv[j], ndrv[j]));
  }
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = drive;
  s.target = tgt;
  s.rule = HEBB_CONN_ONE_TO_ONE;
  s.weight = hebb_dist_const(5000.0);
  s.delay_ms = hebb_dist_const(dt);
  OK(m, hebb_model_add_projection(m, &s, NULL));
  s.source = src;
  s.rule = HEBB_CONN_ALL_TO_ALL;
  s.weight = hebb_dist_const(w0);
  s.delay_ms = hebb_dist_const(delay);
  s.name = "plastic";
  OK(m, hebb_model_add_projection(m, &s, &proj));
  OK(m, hebb_model_set_plasticity(m, proj, "stdp"));
  OK(m, hebb_model_set_plasticity_param(m, proj, "lambda", sp.lambda));
  OK(m, hebb_model_set_plasticity_param(m, proj, "alpha", sp.alpha));
  OK(m, hebb_model_set_plasticity_param(m, proj, "mu_plus", sp.mu_plus));
  OK(m, hebb_model_set_plasticity_param(m, proj, "mu_minus", sp.mu_minus));
  OK(m, hebb_model_set_plasticity_option(m, proj, "scheme", sp.scheme));
  OK(m, hebb_model_record_weights(m, proj, dt));
  OK(m, hebb_model_record_spikes(m, tgt));
  hebb_sim_options o = hebb_sim_options_default();
  o.threads = threads;
  o.pin = false;
  hebb_sim *sim = NULL;
  OK(m, hebb_sim_new(m, &o, &sim));
  ck_assert_int_eq(hebb_sim_run_until(sim, t_end), 0);
  hebb_synapse *syn;
  hebb_spike *spk;
  size_t nsyn, nspk;
  ck_assert_int_eq(hebb_sim_take_weights(sim, &syn, &nsyn), 0);
  ck_assert_int_eq(hebb_sim_take_spikes(sim, &spk, &nspk), 0);
  const size_t steps = (size_t)llround(t_end / dt);
  ck_assert_uint_eq(nsyn, 4 * steps); /* snapshots by step, then source, then target */
  double post[2][8];
  size_t npost[2] = {0, 0};
  for (size_t e = 0; e < nspk; e++) {
    ck_assert_uint_lt(npost[spk[e].index], 8);
    post[spk[e].index][npost[spk[e].index]++] = (double)spk[e].step * dt;
  }
  float *ref = malloc(steps * sizeof *ref);
  for (uint32_t j = 0; j < 2; j++) {
    double arr[16];
    for (size_t k = 0; k < npre[j]; k++)
      arr[k] = pre[j][k] + delay;
    for (uint32_t i = 0; i < 2; i++) {
      ck_assert_uint_eq(npost[i], ndrv[i]);
      reference(&sp, arr, npre[j], post[i], npost[i], w0, dt, steps, ref, 0.0, 0.0);
      size_t changes = 0;
      for (size_t k = 0; k < steps; k++) {
        const hebb_synapse *y = &syn[4 * k + 2 * j + i];
        ck_assert_uint_eq(y->source, j);
        ck_assert_uint_eq(y->target, i);
        ck_assert_msg(fabs((double)y->weight - (double)ref[k]) <= 1e-12 * fabs((double)ref[k]),
                      "%d threads, synapse %u->%u, step %zu: weight %.9g, reference %.9g", threads,
                      j, i, k, (double)y->weight, (double)ref[k]);
        changes += k > 0 && ref[k] != ref[k - 1];
      }
      ck_assert_uint_ge(changes, 6);
    }
  }
  free(ref);
  free(syn);
  free(spk);
  hebb_sim_free(sim);
  hebb_model_free(m);
}

START_TEST(test_presynaptic_shared_groups) {
  for (int t = 1; t <= 4; t++)
    shared_groups(t);
}
END_TEST

/* A post spike in the very first step (the target starts above threshold) is one "since the
 * previous arrival" when none has arrived yet: nearest_restricted depresses at the first
 * arrival. (The step of the last arrival reads 0 both before any arrival and after one in
 * step 0; the rule tells them apart by the trace, which is zero only before the first.) */
START_TEST(test_restricted_first_step) {
  static const double pre[] = {4.0, 9.0}, drive[] = {14.9};
  stdp_params sp = {20.0, 20.0, 0.02, 1.05, 0.0, 0.0, 100.0, "nearest_restricted"};
  protocol pr = {pre, 2, drive, 1, 1.0, 40.0, 20.0, 1, false, 0.0, 0.0, true};
  const double dt = 0.1;
  float *w;
  double *post;
  size_t nw, npost;
  run(&sp, &pr, dt, &w, &nw, &post, &npost);
  ck_assert_uint_eq(npost, 2);
  ck_assert(fabs(post[0] - dt) < 1e-9 && fabs(post[1] - 15.0) < 1e-9);
  const double arr[] = {5.0, 10.0};
  float *ref = malloc(nw * sizeof *ref);
  reference(&sp, arr, 2, post, npost, pr.w0, dt, nw, ref, 0.0, 0.0);
  for (size_t k = 0; k < nw; k++)
    ck_assert_msg(w[k] == ref[k], "step %zu: weight %.9g, reference %.9g", k, (double)w[k],
                  (double)ref[k]);
  /* depressed at 5 ms (by the spike at 0.1 ms), not at 10 ms, potentiated at 15 ms */
  ck_assert(w[49] < w[48] && w[99] == w[98] && w[149] > w[148]);
  free(ref);
  free(w);
  free(post);
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
  protocol pr = {pre_up, 5, drive_up, 5, 0.1, 5.0, 100.0, 1, false, 0.0, 0.0, false};
  float *w;
  double *post;
  size_t nw, npost;
  run(&sp, &pr, 0.1, &w, &nw, &post, &npost);
  ck_assert_float_eq(w[nw - 1], 10.0f);
  free(w);
  free(post);
  /* anti-causal pairs: post before pre, the weight floors at 0 */
  static const double pre_dn[] = {12, 32, 52, 72, 92}, drive_dn[] = {10, 30, 50, 70, 90};
  protocol pd = {pre_dn, 5, drive_dn, 5, 0.1, 5.0, 100.0, 1, false, 0.0, 0.0, false};
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
  protocol pr = {pre, PAIRS, drive, PAIRS, delay, 500.0, 1000.0 * PAIRS, 1, true, 0.0, 0.0, false};
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

/* Target indices are stored in 16 bits on a partition where every target population has
 * at most 65536 neurons, else in 32 (sim.c, build_synapses), and the rules read either. A
 * population of 70000 neurons (single precision) and one of 100 (double): one thread
 * stores 32-bit targets, two and three threads 16-bit ones. Plastic (stdp) and static
 * synapses onto them give bit-identical weights and spikes either way, and a checkpoint
 * written with one width resumes with the other. */
static hebb_model *wide_network(int *plastic) {
  hebb_model *m = hebb_model_new();
  int big = 0, small = 0, in = 0, rec = 0;
  OK(m, hebb_model_set_seed(m, 5));
  OK(m, hebb_model_add_population(m, "big", "iaf_psc_delta", 70000, &big));
  OK(m, hebb_model_add_population(m, "small", "iaf_psc_delta", 100, &small));
  for (int p = big; p <= small; p++) {
    OK(m, hebb_model_set_param(m, p, "E_L", 0.0));
    OK(m, hebb_model_set_param(m, p, "V_reset", 0.0));
    OK(m, hebb_model_set_param(m, p, "V_th", 10.0));
    OK(m, hebb_model_record_spikes(m, p));
  }
  OK(m, hebb_model_set_option(m, big, "precision", "single"));
  OK(m, hebb_model_add_population(m, "in", "poisson_generator", 300, &in));
  OK(m, hebb_model_set_param(m, in, "rate", 20.0));
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = in;
  s.target = big;
  s.rule = HEBB_CONN_FIXED_INDEGREE;
  s.n = 4;
  s.weight = (hebb_dist){HEBB_DIST_UNIFORM, 4.0, 8.0, -INFINITY, INFINITY};
  s.delay_ms = (hebb_dist){HEBB_DIST_UNIFORM, 1.0, 2.0, -INFINITY, INFINITY};
  OK(m, hebb_model_add_projection(m, &s, plastic));
  OK(m, hebb_model_set_plasticity(m, *plastic, "stdp"));
  OK(m, hebb_model_set_plasticity_param(m, *plastic, "Wmax", 12.0));
  OK(m, hebb_model_set_plasticity_param(m, *plastic, "lambda", 0.05));
  s.source = big;
  s.n = 2;
  s.weight = hebb_dist_const(1.0);
  OK(m, hebb_model_add_projection(m, &s, &rec));
  s.target = small;
  s.n = 400;
  OK(m, hebb_model_add_projection(m, &s, &rec));
  return m;
}

typedef struct {
  hebb_synapse *w;
  size_t nw;
  hebb_spike *spk; /* after 50 ms */
  size_t nspk;
  double v[100]; /* V_m of "small" at the end */
} wide_result;

/* Runs the network in SIM from 50 to 100 ms and takes its results. */
static void wide_finish(hebb_sim *sim, int plastic, wide_result *r) {
  ck_assert_int_eq(hebb_sim_run_until(sim, 100.0), 0);
  ck_assert_int_eq(hebb_sim_synapses(sim, plastic, &r->w, &r->nw), 0);
  ck_assert_int_eq(hebb_sim_take_spikes(sim, &r->spk, &r->nspk), 0);
  for (uint32_t i = 0; i < 100; i++)
    ck_assert_int_eq(hebb_sim_get_state(sim, 1, i, "V_m", &r->v[i]), 0);
}

static void wide_same(const wide_result *a, const wide_result *b, const char *what) {
  ck_assert_msg(a->nw == b->nw && memcmp(a->w, b->w, a->nw * sizeof *a->w) == 0,
                "%s: the weights differ", what);
  ck_assert_msg(a->nspk == b->nspk && memcmp(a->spk, b->spk, a->nspk * sizeof *a->spk) == 0,
                "%s: the spikes differ", what);
  ck_assert_msg(memcmp(a->v, b->v, sizeof a->v) == 0, "%s: the potentials differ", what);
}

START_TEST(test_wide_targets) {
  char dir[] = "/tmp/hebb-wide-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[2][64];
  wide_result ref[3];
  for (int t = 1; t <= 3; t++) {
    int plastic = 0;
    hebb_model *m = wide_network(&plastic);
    hebb_sim *sim = start_sim(m, t);
    hebb_stats st;
    hebb_memory mem;
    ck_assert_int_eq(hebb_sim_stats(sim, &st), 0);
    ck_assert_int_eq(hebb_sim_memory(sim, &mem), 0);
    ck_assert_uint_eq(st.synapses, 70000 * 6 + 100 * 400);
    ck_assert_uint_eq(mem.targets, st.synapses * (t == 1 ? 4 : 2));
    ck_assert_int_eq(hebb_sim_run_until(sim, 50.0), 0);
    hebb_spike *early;
    size_t nearly;
    ck_assert_int_eq(hebb_sim_take_spikes(sim, &early, &nearly), 0);
    free(early);
    if (t <= 2) {
      char err[256];
      snprintf(path[t - 1], sizeof path[t - 1], "%s/t%d.ckpt", dir, t);
      ck_assert_msg(hebb_checkpoint_write(sim, NULL, path[t - 1], err, sizeof err) == 0, "%s", err);
    }
    wide_finish(sim, plastic, &ref[t - 1]);
    hebb_sim_free(sim);
    hebb_model_free(m);
  }
  ck_assert_uint_gt(ref[0].nspk, 1000); /* the network is active */
  size_t moved = 0;
  for (size_t i = 0; i < ref[0].nw; i++)
    moved += ref[0].w[i].weight < 4.0f || ref[0].w[i].weight > 8.0f;
  ck_assert_uint_gt(moved, 100); /* and learns */
  wide_same(&ref[0], &ref[1], "32-bit targets (1 thread) against 16-bit (2 threads)");
  wide_same(&ref[0], &ref[2], "32-bit targets (1 thread) against 16-bit (3 threads)");
  /* a checkpoint of 32-bit targets resumed with 16-bit ones, and the reverse */
  for (int c = 0; c < 2; c++) {
    int plastic = 0;
    hebb_model *m = wide_network(&plastic);
    hebb_sim_options o = hebb_sim_options_default();
    o.threads = c == 0 ? 2 : 1;
    o.pin = false;
    hebb_sim *sim = NULL;
    char err[256];
    ck_assert_msg(hebb_checkpoint_resume(path[c], m, &o, &sim, NULL, err, sizeof err) == 0, "%s",
                  err);
    wide_result r;
    wide_finish(sim, plastic, &r);
    wide_same(&ref[0], &r,
              c == 0 ? "written at 1 thread, resumed at 2" : "written at 2, resumed at 1");
    free(r.w);
    free(r.spk);
    hebb_sim_free(sim);
    hebb_model_free(m);
    remove(path[c]);
  }
  rmdir(dir);
  for (int t = 0; t < 3; t++) {
    free(ref[t].w);
    free(ref[t].spk);
  }
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
  tcase_add_test(tc, test_trajectory_nearest_presynaptic);
  tcase_add_test(tc, test_presynaptic_frozen_phase);
  tcase_add_test(tc, test_presynaptic_shared_groups);
  tcase_add_test(tc, test_restricted_first_step);
  tcase_add_test(tc, test_bounds);
  tcase_add_test(tc, test_learning_phase);
  tcase_add_test(tc, test_window);
  tcase_add_test(tc, test_determinism);
  tcase_add_test(tc, test_wide_targets);
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

/* test_vogels.c - inhibitory STDP of Vogels et al. 2011 [vogels_istdp].
 *
 * Trajectories: a spike_generator "pre" reaches an iaf_cond_exp target through the plastic
 * projection (receptor inhibitory: the weight is the conductance increment); a second
 * spike_generator "drive" makes the target spike at chosen times through an enormous
 * excitatory conductance (1e5 nS) that decays within a step (tau_syn_ex = 0.01 ms), so the
 * target spikes two steps after each drive spike (the input of a step enters the conductance
 * at the end of that step and the voltage in the next) and never otherwise. The weight
 * trajectory is compared with an independent computation from the spike lists: traces as
 * explicit sums of exponentials over earlier spikes (read at t - eps, so equal-time pairs do
 * not interact), the update of MODELS.md 2.6, clipping, and the weight rounded to a float
 * after every update, as the engine stores it.
 *
 * Fixed point (MODELS.md 4, I1): conductance-based neurons driven by excitatory Poisson input
 * and plastic inhibitory Poisson afferents settle at rho0 = alpha / (2 tau) = 3 Hz, from
 * above and from below, while the same weights held fixed give rates far from it.
 *
 * Determinism (invariant I1 of the engine): a recurrent network with plastic I->E synapses
 * gives bit-identical weights and spikes on 1, 2 and 3 threads.
 */
#include "harness.h"
#include "hebb.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  double tau, eta, alpha, rho0, wmax, wmin;
} vogels_params;

typedef struct {
  const double *pre; /* presynaptic spike stamps (ms) */
  size_t npre;
  const double *drive; /* drive spike stamps; the target spikes two steps later */
  size_t ndrive;
  double delay; /* of the plastic projection (ms) */
  double w0;    /* nS */
  double t_end;
  int threads;
} protocol;

enum { DRIVE_LAG_STEPS = 2 };

/* Sets the rule's parameters on projection PROJ of M. */
static void set_rule(hebb_model *m, int proj, const vogels_params *vp) {
  OK(m, hebb_model_set_plasticity(m, proj, "vogels_istdp"));
  OK(m, hebb_model_set_plasticity_param(m, proj, "tau", vp->tau));
  OK(m, hebb_model_set_plasticity_param(m, proj, "eta", vp->eta));
  OK(m, hebb_model_set_plasticity_param(m, proj, "alpha", vp->alpha));
  OK(m, hebb_model_set_plasticity_param(m, proj, "rho0", vp->rho0));
  OK(m, hebb_model_set_plasticity_param(m, proj, "Wmax", vp->wmax));
  OK(m, hebb_model_set_plasticity_param(m, proj, "Wmin", vp->wmin));
}

/* Vogels' TIF-like conductance-based neuron (MODELS.md 2.6): tau_m = C / g_L = 20 ms. */
static void tif_params(hebb_model *m, int pop) {
  OK(m, hebb_model_set_param(m, pop, "C_m", 200.0));
  OK(m, hebb_model_set_param(m, pop, "g_L", 10.0));
  OK(m, hebb_model_set_param(m, pop, "E_L", -60.0));
  OK(m, hebb_model_set_param(m, pop, "V_th", -50.0));
  OK(m, hebb_model_set_param(m, pop, "V_reset", -60.0));
  OK(m, hebb_model_set_param(m, pop, "t_ref", 5.0));
  OK(m, hebb_model_set_param(m, pop, "tau_syn_ex", 5.0));
  OK(m, hebb_model_set_param(m, pop, "tau_syn_in", 10.0));
  OK(m, hebb_model_set_param(m, pop, "E_ex", 0.0));
  OK(m, hebb_model_set_param(m, pop, "E_in", -80.0));
}

/* Builds and runs the protocol; returns the recorded weight after every step (index k:
 * weight at the end of step k) in *w, and the target's spike stamps in *post. */
static void run(const vogels_params *vp, const protocol *pr, double dt, float **w, size_t *nw,
                double **post, size_t *npost) {
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  int pre = 0, drive = 0, tgt = 0, proj = 0;
  OK(m, hebb_model_add_population(m, "post", "iaf_cond_exp", 1, &tgt));
  OK(m, hebb_model_add_population(m, "pre", "spike_generator", 1, &pre));
  OK(m, hebb_model_add_population(m, "drive", "spike_generator", 1, &drive));
  tif_params(m, tgt);
  OK(m, hebb_model_set_param(m, tgt, "tau_syn_ex", 0.01));
  OK(m, hebb_model_set_param(m, tgt, "t_ref", 0.5));
  OK(m, hebb_model_set_spike_times(m, pre, 0, pr->pre, pr->npre));
  OK(m, hebb_model_set_spike_times(m, drive, 0, pr->drive, pr->ndrive));
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = drive;
  s.target = tgt;
  s.weight = hebb_dist_const(1e5);
  s.delay_ms = hebb_dist_const(dt);
  s.receptor = HEBB_RECEPTOR_EXCITATORY;
  OK(m, hebb_model_add_projection(m, &s, NULL));
  s.source = pre;
  s.weight = hebb_dist_const(pr->w0);
  s.delay_ms = hebb_dist_const(pr->delay);
  s.receptor = HEBB_RECEPTOR_INHIBITORY;
  s.name = "plastic";
  OK(m, hebb_model_add_projection(m, &s, &proj));
  set_rule(m, proj, vp);
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
  ck_assert_int_eq(hebb_sim_take_weights(sim, &syn, &n), 0);
  *w = malloc(n * sizeof **w);
  for (size_t i = 0; i < n; i++) {
    ck_assert_uint_eq(syn[i].step, i + 1);
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

/* The trace of spikes T[0..n) (all-to-all, +1 per spike) read just before time NOW. */
static double trace(const double *t, size_t n, double now, double tau) {
  double x = 0.0;
  for (size_t i = 0; i < n; i++)
    if (t[i] < now - 1e-9)
      x += exp(-(now - t[i]) / tau);
  return x;
}

static float clip(const vogels_params *p, double w) {
  return (float)(w < p->wmin ? p->wmin : w > p->wmax ? p->wmax : w);
}

/* The independent weight trajectory: events at grid times, pre arrivals before post
 * spikes within a time, each reading the other side's trace at t - eps. Returns w at the
 * end of step k in ref[k]; counts the steps that left w at Wmin and at Wmax. */
static void reference(const vogels_params *p, const double *arr, size_t narr, const double *post,
                      size_t npost, double w0, double dt, size_t nsteps, float *ref, size_t *at_min,
                      size_t *at_max) {
  /* alpha from the target rate when one is given: 2 rho0 tau, rho0 in Hz, tau in ms */
  const double alpha = p->rho0 > 0 ? 2.0 * p->rho0 * p->tau * 1e-3 : p->alpha;
  float w = (float)w0;
  size_t ia = 0, ip = 0;
  *at_min = *at_max = 0;
  for (size_t k = 0; k < nsteps; k++) {
    double t = (double)(k + 1) * dt;
    for (; ia < narr && fabs(arr[ia] - t) < 1e-9; ia++)
      w = clip(p, (double)w + p->eta * (trace(post, npost, t, p->tau) - alpha));
    for (; ip < npost && fabs(post[ip] - t) < 1e-9; ip++)
      w = clip(p, (double)w + p->eta * trace(arr, narr, t, p->tau));
    ref[k] = w;
    *at_min += w == (float)p->wmin;
    *at_max += w == (float)p->wmax;
  }
}

/* Runs PROTOCOL, compares every step's weight with the reference, and returns how many steps
 * ended with the weight at Wmin and at Wmax. */
static void check_trajectory(const vogels_params *vp, const protocol *pr, double dt, size_t *at_min,
                             size_t *at_max) {
  float *w;
  double *post;
  size_t nw, npost;
  run(vp, pr, dt, &w, &nw, &post, &npost);
  /* the target spikes two steps after each drive spike, and only then */
  ck_assert_uint_eq(npost, pr->ndrive);
  for (size_t i = 0; i < npost; i++) {
    double expect = pr->drive[i] + DRIVE_LAG_STEPS * dt;
    ck_assert_msg(fabs(post[i] - expect) < 1e-9, "post spike %zu at %g, expected %g", i, post[i],
                  expect);
  }
  double *arr = malloc(pr->npre * sizeof *arr);
  for (size_t i = 0; i < pr->npre; i++)
    arr[i] = pr->pre[i] + pr->delay; /* axonal delay: the synapse sees emission + delay */
  float *ref = malloc(nw * sizeof *ref);
  reference(vp, arr, pr->npre, post, npost, pr->w0, dt, nw, ref, at_min, at_max);
  size_t changes = 0;
  for (size_t k = 0; k < nw; k++) {
    ck_assert_msg(fabs((double)w[k] - (double)ref[k]) <= 1e-12 * fabs((double)ref[k]),
                  "step %zu (t = %g ms): weight %.9g, reference %.9g", k, (k + 1) * dt,
                  (double)w[k], (double)ref[k]);
    changes += k > 0 && w[k] != w[k - 1];
  }
  /* the protocol must exercise the rule: the weight moved at many times */
  ck_assert_uint_ge(changes, 8);
  free(arr);
  free(ref);
  free(w);
  free(post);
}

/* Pre and post spikes interleaved at various lags; the pre spike emitted at 23.9 ms reaches
 * the synapse (delay 1.5 ms) at 25.4 ms, the step in which the target spikes (drive 25.2 ms):
 * an equal-time pair, which must not interact. */
static const double irregular_pre[] = {3.0,  5.0,  12.3, 12.9, 20.0, 23.9, 31.4, 33.0,
                                       47.5, 60.1, 61.0, 75.0, 80.2, 88.8, 90.0};
static const double irregular_drive[] = {8.0,  14.0, 17.5, 25.2, 31.3, 40.0,
                                         58.0, 62.4, 70.0, 77.7, 91.0};

static protocol irregular(double w0, int threads) {
  protocol p = {irregular_pre,
                sizeof irregular_pre / sizeof irregular_pre[0],
                irregular_drive,
                sizeof irregular_drive / sizeof irregular_drive[0],
                1.5,
                w0,
                100.0,
                threads};
  return p;
}

/* Unbounded in practice: every pre arrival depresses by eta alpha and potentiates by eta y,
 * every post spike potentiates by eta x. */
/* Sets NAME to V on PROJ's rule and expects the rule's check to refuse it, naming NAME; then
 * puts back the rule's default. (Values are judged together by hebb_model_check_plasticity,
 * once set.) */
static void refused(hebb_model *m, int proj, const char *rule, const char *name, double v) {
  ck_assert_int_eq(hebb_model_set_plasticity_param(m, proj, name, v), 0);
  ck_assert_int_eq(hebb_model_check_plasticity(m, proj), HEBB_ERANGE);
  ck_assert_str_eq(hebb_model_error(m)->field, name);
  double def = 0;
  const char *unit;
  for (size_t i = 0; hebb_rule_param(rule, i, &unit, &def); i++)
    if (strcmp(hebb_rule_param(rule, i, NULL, NULL), name) == 0)
      break;
  ck_assert_int_eq(hebb_model_set_plasticity_param(m, proj, name, def), 0);
}

START_TEST(test_trajectory) {
  vogels_params vp = {20.0, 0.5, 0.12, 0.0, 1e6, 0.0};
  protocol pr = irregular(5.0, 1);
  size_t at_min, at_max;
  check_trajectory(&vp, &pr, 0.1, &at_min, &at_max);
  ck_assert_uint_eq(at_min + at_max, 0);
}
END_TEST

/* alpha from the target rate: rho0 = 7 Hz, tau = 13.7 ms (alpha = 0.1918, not the 0.12 given
 * alongside, which rho0 overrides); another step and two threads. */
START_TEST(test_trajectory_rho0) {
  vogels_params vp = {13.7, 0.8, 0.12, 7.0, 1e6, 0.0};
  protocol pr = irregular(5.0, 2);
  size_t at_min, at_max;
  check_trajectory(&vp, &pr, 0.05, &at_min, &at_max);
  ck_assert_uint_eq(at_min + at_max, 0);
}
END_TEST

/* A strong depression (alpha = 4) drives the weight onto Wmin = 0, where it stays while
 * only pre spikes come (the tail after 91 ms), and post spikes lift it off again. */
static const double floor_pre[] = {3.0,  5.0,  12.3, 12.9, 20.0, 23.9,  31.4,  33.0,  47.5,  60.1,
                                   61.0, 75.0, 80.2, 88.8, 90.0, 100.0, 104.0, 110.0, 118.0, 125.0};

START_TEST(test_trajectory_floor) {
  vogels_params vp = {20.0, 0.5, 4.0, 0.0, 1e6, 0.0};
  protocol pr = irregular(1.2, 3);
  pr.pre = floor_pre;
  pr.npre = sizeof floor_pre / sizeof floor_pre[0];
  pr.t_end = 140.0;
  size_t at_min, at_max;
  check_trajectory(&vp, &pr, 0.1, &at_min, &at_max);
  ck_assert_uint_gt(at_min, 200); /* the floor was reached and held */
  float *w;
  double *post;
  size_t nw, npost;
  run(&vp, &pr, 0.1, &w, &nw, &post, &npost);
  ck_assert_float_eq(w[nw - 1], 0.0f);
  size_t lifted = 0; /* steps at which the weight left the floor */
  for (size_t k = 1; k < nw; k++)
    lifted += w[k - 1] == 0.0f && w[k] > 0.0f;
  ck_assert_uint_ge(lifted, 2);
  free(w);
  free(post);
}
END_TEST

/* Both bounds, with Wmin above 0: [2, 6] nS, large steps (eta = 1 nS, alpha = 2). */
START_TEST(test_trajectory_bounds) {
  vogels_params vp = {20.0, 1.0, 2.0, 0.0, 6.0, 2.0};
  protocol pr = irregular(4.0, 1);
  size_t at_min, at_max;
  check_trajectory(&vp, &pr, 0.1, &at_min, &at_max);
  ck_assert_uint_gt(at_min, 0);
  ck_assert_uint_gt(at_max, 0);
}
END_TEST

/* Values the rule refuses; a refused value leaves the previous one. */
START_TEST(test_params) {
  hebb_model *m = hebb_model_new();
  int a = 0, b = 0, proj = 0;
  OK(m, hebb_model_add_population(m, "b", "iaf_cond_exp", 1, &b));
  OK(m, hebb_model_add_population(m, "a", "poisson_generator", 1, &a));
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = a;
  s.target = b;
  s.receptor = HEBB_RECEPTOR_INHIBITORY;
  OK(m, hebb_model_add_projection(m, &s, &proj));
  OK(m, hebb_model_set_plasticity(m, proj, "vogels_istdp"));
  refused(m, proj, "vogels_istdp", "tau", 0.0);
  refused(m, proj, "vogels_istdp", "eta", -1e-3);
  refused(m, proj, "vogels_istdp", "alpha", -0.1);
  refused(m, proj, "vogels_istdp", "rho0", -3.0);
  refused(m, proj, "vogels_istdp", "Wmin", -1.0);
  OK(m, hebb_model_set_plasticity_param(m, proj, "Wmax", 10.0));
  refused(m, proj, "vogels_istdp", "Wmin", 11.0);
  OK(m, hebb_model_set_plasticity_param(m, proj, "Wmin", 10.0));
  refused(m, proj, "vogels_istdp", "Wmax", 9.0);
  ck_assert_int_eq(hebb_model_set_plasticity_param(m, proj, "lambda", 1.0), HEBB_ENOENT);
  hebb_model_free(m);
  /* the rule is listed with NEST's defaults where NEST has them */
  const char *unit;
  double v;
  ck_assert_str_eq(hebb_rule_param("vogels_istdp", 0, &unit, &v), "tau");
  ck_assert_str_eq(unit, "ms");
  ck_assert_double_eq(v, 20.0);
  ck_assert_str_eq(hebb_rule_param("vogels_istdp", 1, &unit, &v), "eta");
  ck_assert_str_eq(unit, "weight");
  ck_assert_double_eq(v, 0.001);
  ck_assert_str_eq(hebb_rule_param("vogels_istdp", 2, &unit, &v), "alpha");
  ck_assert_double_eq(v, 0.12);
  ck_assert_str_eq(hebb_rule_param("vogels_istdp", 3, &unit, &v), "rho0");
  ck_assert_str_eq(unit, "Hz");
  ck_assert_double_eq(v, 0.0);
}
END_TEST

/* I1 (MODELS.md 4). Two groups of 20 neurons with Vogels' TIF-like parameters. Each neuron
 * has its own excitatory Poisson drive, one generator at 1.3 kHz with weight 3 nS (a sum of
 * Poisson trains is Poisson: the same as 260 afferents at 5 Hz), and receives all 100
 * inhibitory Poisson afferents at 80 Hz (shared by all 40 neurons) through plastic synapses
 * starting at 0.1 nS ("from above": about 130 Hz with these weights fixed) or 1 nS ("from
 * below": silent with these weights fixed). tau = 20 ms, alpha = 0.12 (rho0 = 3 Hz), eta =
 * 0.003 nS: both groups reach the fixed point within 30 s (the weights settle near 0.61 nS).
 *
 * The fixed point alpha / (2 tau) is exact for uncorrelated trains; here each inhibitory
 * spike delays the next postsynaptic spike, which lowers x_j at postsynaptic spikes by a
 * fraction that grows with the single synapse's weight and so raises the rate. Many small
 * synapses (100 x 80 Hz, 0.6 nS each) keep that shift near 3 % (3.07 Hz); with 40 afferents
 * at 6 Hz and about 45 nS each, as in the paper's network, the same neurons settle at 4-5 Hz
 * (see examples/vogels2011.yaml). */
enum { I1_N = 20, I1_NIN = 100 };

typedef struct {
  uint64_t spikes[2]; /* per group, within [t_from, t_to) */
  double mean_w[2];   /* mean weight per group at the end */
} i1_result;

static i1_result i1_run(bool plastic, double t_from, double t_to) {
  hebb_model *m = hebb_model_new();
  int post[2], ex = 0, in = 0, pj[2];
  const double w0[2] = {0.1, 1.0};
  OK(m, hebb_model_set_seed(m, 2011));
  OK(m, hebb_model_add_population(m, "above", "iaf_cond_exp", I1_N, &post[0]));
  OK(m, hebb_model_add_population(m, "below", "iaf_cond_exp", I1_N, &post[1]));
  OK(m, hebb_model_add_population(m, "ex", "poisson_generator", 2 * I1_N, &ex));
  OK(m, hebb_model_add_population(m, "in", "poisson_generator", I1_NIN, &in));
  OK(m, hebb_model_set_param(m, ex, "rate", 1300.0));
  OK(m, hebb_model_set_param(m, in, "rate", 80.0));
  vogels_params vp = {20.0, 0.003, 0.12, 0.0, 1e6, 0.0};
  for (int g = 0; g < 2; g++) {
    tif_params(m, post[g]);
    hebb_projection_spec s = hebb_projection_spec_default();
    s.source = ex; /* a generator of its own for every neuron */
    s.target = post[g];
    s.rule = HEBB_CONN_FIXED_INDEGREE;
    s.n = 1;
    s.allow_multapses = false;
    s.weight = hebb_dist_const(3.0);
    s.receptor = HEBB_RECEPTOR_EXCITATORY;
    OK(m, hebb_model_add_projection(m, &s, NULL));
    s.source = in;
    s.rule = HEBB_CONN_ALL_TO_ALL;
    s.weight = hebb_dist_const(w0[g]);
    s.receptor = HEBB_RECEPTOR_INHIBITORY;
    s.name = g ? "in_below" : "in_above";
    OK(m, hebb_model_add_projection(m, &s, &pj[g]));
    if (plastic)
      set_rule(m, pj[g], &vp);
    OK(m, hebb_model_record_spikes(m, post[g]));
  }
  hebb_sim_options o = hebb_sim_options_default();
  o.threads = 1;
  o.pin = false;
  hebb_sim *sim = NULL;
  OK(m, hebb_sim_new(m, &o, &sim));
  i1_result r = {{0, 0}, {0, 0}};
  hebb_spike *spk;
  size_t n;
  ck_assert_int_eq(hebb_sim_run_until(sim, t_from), 0);
  ck_assert_int_eq(hebb_sim_take_spikes(sim, &spk, &n), 0);
  free(spk);
  ck_assert_int_eq(hebb_sim_run_until(sim, t_to), 0);
  ck_assert_int_eq(hebb_sim_take_spikes(sim, &spk, &n), 0);
  for (size_t i = 0; i < n; i++)
    r.spikes[spk[i].pop == (uint32_t)post[1]]++;
  free(spk);
  for (int g = 0; g < 2; g++) {
    hebb_synapse *syn;
    size_t ns;
    ck_assert_int_eq(hebb_sim_synapses(sim, pj[g], &syn, &ns), 0);
    ck_assert_uint_eq(ns, I1_N * I1_NIN);
    double sum = 0;
    for (size_t i = 0; i < ns; i++)
      sum += syn[i].weight;
    r.mean_w[g] = sum / (double)ns;
    free(syn);
  }
  hebb_sim_free(sim);
  hebb_model_free(m);
  return r;
}

START_TEST(test_fixed_point) {
  const double rho0 = 0.12 / (2 * 20e-3); /* Hz */
  /* with the initial weights held fixed the rates are far from rho0, on either side */
  i1_result fixed = i1_run(false, 1000.0, 6000.0);
  double above = (double)fixed.spikes[0] / (I1_N * 5.0),
         below = (double)fixed.spikes[1] / (I1_N * 5.0);
  fprintf(stderr, "I1 static weights: %.3f Hz (0.1 nS), %.3f Hz (1 nS)\n", above, below);
  ck_assert_msg(above > 10 * rho0, "static, weak inhibition: %g Hz", above);
  ck_assert_msg(below < 0.1 * rho0, "static, strong inhibition: %g Hz", below);
  /* plastic: the last 60 s of 100 s */
  i1_result r = i1_run(true, 40000.0, 100000.0);
  for (int g = 0; g < 2; g++) {
    double rate = (double)r.spikes[g] / (I1_N * 60.0);
    fprintf(stderr, "I1 plastic, from %s: %.3f Hz over 40-100 s, mean weight %.4f nS\n",
            g ? "below" : "above", rate, r.mean_w[g]);
    ck_assert_msg(fabs(rate - rho0) <= 0.1 * rho0, "group %d: %g Hz, expected %g Hz +- 10%%", g,
                  rate, rho0);
  }
  /* the same fixed point from both sides */
  ck_assert_msg(fabs(r.mean_w[0] - r.mean_w[1]) <= 0.05 * r.mean_w[0], "mean weights %g and %g",
                r.mean_w[0], r.mean_w[1]);
}
END_TEST

/* Invariant I1 with plasticity: a recurrent conductance-based network with plastic I->E
 * synapses (heterogeneous delays, bounded weights) gives bit-identical weights and spikes on
 * 1, 2 and 3 threads. */
static void plastic_network(int threads, hebb_synapse **w, size_t *nw, hebb_spike **spk,
                            size_t *ns) {
  hebb_model *m = hebb_model_new();
  int exc = 0, inh = 0, bg = 0, pie = 0;
  OK(m, hebb_model_set_seed(m, 5));
  OK(m, hebb_model_add_population(m, "exc", "iaf_cond_exp", 160, &exc));
  OK(m, hebb_model_add_population(m, "inh", "iaf_cond_exp", 40, &inh));
  OK(m, hebb_model_add_population(m, "bg", "poisson_generator", 100, &bg));
  OK(m, hebb_model_set_param(m, bg, "rate", 40.0));
  tif_params(m, exc);
  tif_params(m, inh);
  hebb_dist v0 = {HEBB_DIST_UNIFORM, -60.0, -50.0, -INFINITY, INFINITY};
  OK(m, hebb_model_set_initial(m, exc, "V_m", v0));
  OK(m, hebb_model_set_initial(m, inh, "V_m", v0));
  hebb_projection_spec s = hebb_projection_spec_default();
  s.rule = HEBB_CONN_FIXED_INDEGREE;
  s.delay_ms = (hebb_dist){HEBB_DIST_UNIFORM, 0.5, 3.0, -INFINITY, INFINITY};
  s.receptor = HEBB_RECEPTOR_EXCITATORY;
  s.source = bg;
  s.n = 30;
  s.weight = hebb_dist_const(3.0);
  s.target = exc;
  OK(m, hebb_model_add_projection(m, &s, NULL));
  s.target = inh;
  OK(m, hebb_model_add_projection(m, &s, NULL));
  s.rule = HEBB_CONN_PAIRWISE_BERNOULLI;
  s.p = 0.1;
  s.source = exc;
  s.target = exc;
  OK(m, hebb_model_add_projection(m, &s, NULL));
  s.target = inh;
  OK(m, hebb_model_add_projection(m, &s, NULL));
  s.source = inh;
  s.receptor = HEBB_RECEPTOR_INHIBITORY;
  s.weight = hebb_dist_const(30.0);
  OK(m, hebb_model_add_projection(m, &s, NULL));
  s.target = exc;
  s.weight = (hebb_dist){HEBB_DIST_UNIFORM, 5.0, 15.0, -INFINITY, INFINITY};
  s.delay_ms = (hebb_dist){HEBB_DIST_NORMAL_CLIPPED, 1.5, 0.7, 0.1, 4.0};
  OK(m, hebb_model_add_projection(m, &s, &pie));
  vogels_params vp = {20.0, 0.2, 0.12, 0.0, 20.0, 0.0};
  set_rule(m, pie, &vp);
  OK(m, hebb_model_record_spikes(m, exc));
  OK(m, hebb_model_record_spikes(m, inh));
  hebb_sim_options o = hebb_sim_options_default();
  o.threads = threads;
  o.pin = false;
  hebb_sim *sim = NULL;
  OK(m, hebb_sim_new(m, &o, &sim));
  ck_assert_int_eq(hebb_sim_run_until(sim, 300.0), 0);
  ck_assert_int_eq(hebb_sim_run_until(sim, 1000.0), 0); /* in two pieces */
  ck_assert_int_eq(hebb_sim_synapses(sim, pie, w, nw), 0);
  ck_assert_int_eq(hebb_sim_take_spikes(sim, spk, ns), 0);
  hebb_sim_free(sim);
  hebb_model_free(m);
}

START_TEST(test_determinism) {
  hebb_synapse *w1;
  hebb_spike *s1;
  size_t nw1, ns1;
  plastic_network(1, &w1, &nw1, &s1, &ns1);
  ck_assert_uint_gt(ns1, 500); /* the network is active */
  /* the weights learned: many left [5, 15] nS, where they all started */
  size_t moved = 0;
  for (size_t i = 0; i < nw1; i++)
    moved += w1[i].weight < 5.0f || w1[i].weight > 15.0f;
  ck_assert_uint_gt(moved, nw1 / 4);
  for (int t = 2; t <= 3; t++) {
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

/* The example model file loads, with the rule on its I->E projection. */
START_TEST(test_example) {
  const char *src = getenv("HEBB_SOURCE_DIR");
  if (!src)
    return; /* run outside meson: the source tree is unknown */
  char path[4096];
  snprintf(path, sizeof path, "%s/examples/vogels2011.yaml", src);
  hebb_model *m = NULL;
  hebb_diag diag;
  int rc = hebb_model_load(path, &m, &diag);
  ck_assert_msg(rc == 0, "%s: %s", path, diag.text);
  ck_assert_int_ge(hebb_model_find_projection(m, "inh_to_exc"), 0);
  hebb_model_free(m);
}
END_TEST

static Suite *vogels_suite(void) {
  Suite *s = suite_create("vogels");
  TCase *tc = tcase_create("vogels");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, test_trajectory);
  tcase_add_test(tc, test_trajectory_rho0);
  tcase_add_test(tc, test_trajectory_floor);
  tcase_add_test(tc, test_trajectory_bounds);
  tcase_add_test(tc, test_params);
  tcase_add_test(tc, test_fixed_point);
  tcase_add_test(tc, test_determinism);
  tcase_add_test(tc, test_example);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(vogels_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

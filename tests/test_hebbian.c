/* test_hebbian.c - the rate-based Hebbian rules [oja] and [bcm] (MODELS.md 2.4, 2.5;
 * validation experiments O1 and B1 of section 4).
 *
 * 1. Trajectories: spike_generator inputs, and a "drive" spike_generator that makes an
 *    iaf_psc_delta neuron (forgetting its input within a step) spike one step after each
 *    drive spike, while the plastic inputs never make it spike (as in test_stdp.c). Every
 *    step's weights are compared with an independent computation from the spike lists:
 *    traces as explicit sums of exponentials over earlier spikes, the rules' formulas
 *    written out here, and every stored value (weight; BCM's threshold) rounded to float
 *    after each update, as the engine stores it.
 * 2. Oja's drift with independent Poisson trains, and its fixed point nu_j / nu_i reached
 *    from above and from below.
 * 3. O1 in rate form: a faithful spiking O1 would need a neuron whose rate is linear in
 *    w.x, including negative rates for x ~ N(0, C); out of reach with spiking neurons. So O1
 *    runs Oja's rate rule through the rule's own update (hebb_oja_dw, rules/hebbian.h),
 *    the spiking rule's arithmetic, with the post "event" weighted by y.
 * 4. B1 in rate form through hebb_bcm_dw and hebb_bcm_theta; and, spiking, the sign of
 *    BCM's drift around a fixed threshold and around the sliding one.
 * 5. Determinism of both rules on 1, 2 and 3 threads.
 */
#include "harness.h"
#include "hebb.h"
#include "hebbian.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double PI = 3.14159265358979323846;

/* ---------------------------------------------------------------------------------------- */
/* Shared helpers                                                                            */
/* ---------------------------------------------------------------------------------------- */

static bool has_spike(const double *t, size_t n, double now) {
  for (size_t i = 0; i < n; i++)
    if (fabs(t[i] - now) < 1e-9)
      return true;
  return false;
}

/* The mean rate estimate (Hz) that a trace of time constant TAU (ms) gives at t - eps, for
 * a train of rate NU (Hz) on the grid of step DT (ms): a Poisson count (or a Bernoulli
 * spike) per step of mean nu h, summed over the earlier steps, nu h / (e^{h/tau} - 1), over
 * tau. In continuous time this is nu. */
static double grid_rate(double nu, double tau, double dt) {
  return nu * (dt / tau) / expm1(dt / tau);
}

/* Mean and standard error of X[0..n). */
static void mean_se(const double *x, size_t n, double *mean, double *se) {
  double s = 0.0, s2 = 0.0;
  for (size_t i = 0; i < n; i++)
    s += x[i];
  *mean = s / (double)n;
  for (size_t i = 0; i < n; i++)
    s2 += (x[i] - *mean) * (x[i] - *mean);
  *se = sqrt(s2 / (double)(n - 1) / (double)n);
}

/* ---------------------------------------------------------------------------------------- */
/* 1. Trajectories for known spike times                                                     */
/* ---------------------------------------------------------------------------------------- */

/* Three presynaptic sources and three targets, all to all, weights drawn in [0.5, 1.5];
 * the plastic delay is 1.5 ms. Source 1's spike at 8.6 ms arrives at 10.1 ms, in the step
 * of a post spike of target 1 (t - eps: it must not count there, and must later). Target 1
 * bursts (a large y_hat), target 2 never spikes (its weights must not move). Target 1's
 * spike at 60.0 ms closes a BCM period of 2 ms: the threshold step must include it, the
 * weight update at that spike must not. */
static const double tr_pre0[] = {5.0, 12.3, 12.9, 20.0, 31.4, 33.0, 47.5, 60.1, 61.0, 75.0};
static const double tr_pre1[] = {2.0, 8.6, 15.5, 27.1, 40.0, 41.2, 55.5, 66.6, 80.3, 91.0};
static const double tr_pre2[] = {50.0};
static const double tr_drive0[] = {8.0, 14.0, 25.2, 31.3, 40.0, 58.0, 62.4, 70.0, 85.0, 93.0};
static const double tr_drive1[] = {10.0, 10.5, 11.0, 11.5, 45.0, 59.9, 99.8};

enum { TR_NPRE = 3, TR_NTGT = 3, TR_NSYN = TR_NPRE * TR_NTGT };

typedef struct {
  const char *rule;
  const char *const *names;
  const double *values;
  size_t nparams;
  int threads;
} tr_setup;

/* What a trajectory run returns: the recorded weights (rec[k * nsyn + e]: synapse e at the
 * end of step k), the synapses at the start, the presynaptic arrival times per source and
 * the post spike stamps per target. */
typedef struct {
  hebb_synapse *rec, *init;
  size_t nrec, nsyn, nsteps;
  double arr[TR_NPRE][16];
  size_t narr[TR_NPRE];
  double post[TR_NTGT][16];
  size_t npost[TR_NTGT];
  double dt;
} tr_result;

static tr_result tr_run(const tr_setup *su) {
  const double dt = 0.1, delay = 1.5, t_end = 100.0;
  const double *pre[TR_NPRE] = {tr_pre0, tr_pre1, tr_pre2};
  const size_t npre[TR_NPRE] = {COUNT(tr_pre0), COUNT(tr_pre1), COUNT(tr_pre2)};
  const double *drv[TR_NTGT] = {tr_drive0, tr_drive1, NULL};
  const size_t ndrv[TR_NTGT] = {COUNT(tr_drive0), COUNT(tr_drive1), 0};
  tr_result r;
  memset(&r, 0, sizeof r);
  r.dt = dt;
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  OK(m, hebb_model_set_seed(m, 5));
  int tgt = silent_targets(m, "post", TR_NTGT);
  int src = 0, drive = 0, proj = 0;
  OK(m, hebb_model_add_population(m, "pre", "spike_generator", TR_NPRE, &src));
  OK(m, hebb_model_add_population(m, "drive", "spike_generator", TR_NTGT, &drive));
  for (uint32_t j = 0; j < TR_NPRE; j++)
    OK(m, hebb_model_set_spike_times(m, src, j, pre[j], npre[j]));
  for (uint32_t i = 0; i < TR_NTGT; i++)
    if (ndrv[i])
      OK(m, hebb_model_set_spike_times(m, drive, i, drv[i], ndrv[i]));
  drive_projection(m, drive, tgt, dt);
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = src;
  s.target = tgt;
  s.weight = (hebb_dist){HEBB_DIST_UNIFORM, 0.5, 1.5, -INFINITY, INFINITY};
  s.delay_ms = hebb_dist_const(delay);
  s.name = "plastic";
  OK(m, hebb_model_add_projection(m, &s, &proj));
  set_rule_params(m, proj, su->rule, su->names, su->values, su->nparams);
  OK(m, hebb_model_record_weights(m, proj, dt));
  OK(m, hebb_model_record_spikes(m, tgt));
  hebb_sim *sim = start_sim(m, su->threads);
  r.init = proj_synapses(sim, proj, &r.nsyn);
  ck_assert_uint_eq(r.nsyn, TR_NSYN);
  ck_assert_int_eq(hebb_sim_run_until(sim, t_end), 0);
  ck_assert_int_eq(hebb_sim_take_weights(sim, &r.rec, &r.nrec), 0);
  r.nsteps = (size_t)llround(t_end / dt);
  ck_assert_uint_eq(r.nrec, r.nsteps * r.nsyn);
  for (size_t k = 0; k < r.nsteps; k++)
    for (size_t e = 0; e < r.nsyn; e++) {
      const hebb_synapse *q = &r.rec[k * r.nsyn + e];
      ck_assert_uint_eq(q->step, k + 1);
      ck_assert(q->source == r.init[e].source && q->target == r.init[e].target);
    }
  hebb_spike *spk;
  size_t nspk;
  ck_assert_int_eq(hebb_sim_take_spikes(sim, &spk, &nspk), 0);
  /* the targets spike one step after each drive spike, and only then */
  for (uint32_t i = 0; i < TR_NTGT; i++) {
    r.npost[i] = spike_times(spk, nspk, (uint32_t)tgt, i, dt, r.post[i]);
    ck_assert_uint_eq(r.npost[i], ndrv[i]);
    for (size_t k = 0; k < r.npost[i]; k++)
      ck_assert(fabs(r.post[i][k] - (drv[i][k] + dt)) < 1e-9);
  }
  /* axonal delay: the synapse sees emission + delay */
  for (uint32_t j = 0; j < TR_NPRE; j++) {
    r.narr[j] = npre[j];
    for (size_t k = 0; k < npre[j]; k++)
      r.arr[j][k] = pre[j][k] + delay;
  }
  free(spk);
  hebb_sim_free(sim);
  hebb_model_free(m);
  return r;
}

static void tr_free(tr_result *r) {
  free(r->rec);
  free(r->init);
}

/* Compares the recorded trajectory with REF[k * nsyn + e]; returns the number of weight
 * changes seen. */
static size_t tr_compare(const tr_result *r, const float *ref, const char *what) {
  size_t changes = 0;
  for (size_t k = 0; k < r->nsteps; k++)
    for (size_t e = 0; e < r->nsyn; e++) {
      double got = r->rec[k * r->nsyn + e].weight, want = ref[k * r->nsyn + e];
      ck_assert_msg(fabs(got - want) <= 1e-12 * fabs(want),
                    "%s: synapse %zu (%u -> %u), step %zu (t = %g ms): weight %.9g, reference "
                    "%.9g",
                    what, e, r->init[e].source, r->init[e].target, k, (double)(k + 1) * r->dt, got,
                    want);
      double before = k ? r->rec[(k - 1) * r->nsyn + e].weight : r->init[e].weight;
      changes += got != before;
    }
  return changes;
}

/* Oja: at each post spike of target i, w += eta (x_hat - w y_hat), x_hat and y_hat the
 * traces at t - eps over their time constants in s, then the clip. */
static void oja_trajectory(double eta, double tau_x, double tau_y, double wmin, double wmax,
                           int threads, size_t nclipped[2], size_t *nchanges) {
  const char *names[] = {"eta", "tau_x", "tau_y", "Wmin", "Wmax"};
  const double values[] = {eta, tau_x, tau_y, wmin, wmax};
  tr_setup su = {"oja", names, values, COUNT(names), threads};
  tr_result r = tr_run(&su);
  float *ref = calloc(r.nrec, sizeof *ref);
  float w[TR_NSYN];
  for (size_t e = 0; e < r.nsyn; e++)
    w[e] = r.init[e].weight;
  nclipped[0] = nclipped[1] = 0;
  for (size_t k = 0; k < r.nsteps; k++) {
    double t = (double)(k + 1) * r.dt;
    for (size_t e = 0; e < r.nsyn; e++) {
      uint32_t j = r.init[e].source, i = r.init[e].target;
      if (has_spike(r.post[i], r.npost[i], t)) {
        double x = spike_trace(r.arr[j], r.narr[j], t, tau_x) / (tau_x * 1e-3);
        double y = spike_trace(r.post[i], r.npost[i], t, tau_y) / (tau_y * 1e-3);
        double v = (double)w[e] + eta * (x - (double)w[e] * y);
        nclipped[0] += v < wmin;
        nclipped[1] += v > wmax;
        w[e] = (float)(v < wmin ? wmin : v > wmax ? wmax : v);
      }
      ref[k * r.nsyn + e] = w[e];
    }
  }
  *nchanges = tr_compare(&r, ref, "oja");
  printf("Oja trajectory (%d thread%s): %zu weight changes, %zu clipped at Wmin, %zu at Wmax\n",
         threads, threads > 1 ? "s" : "", *nchanges, nclipped[0], nclipped[1]);
  /* target 2 never spikes: its weights never move */
  for (size_t e = 0; e < r.nsyn; e++)
    if (r.init[e].target == 2)
      ck_assert(r.rec[(r.nsteps - 1) * r.nsyn + e].weight == r.init[e].weight);
  free(ref);
  tr_free(&r);
}

START_TEST(test_oja_trajectory) {
  size_t clipped[2], changes;
  oja_trajectory(2e-3, 15.0, 25.0, -1e30, 1e30, 1, clipped, &changes);
  ck_assert_uint_eq(clipped[0] + clipped[1], 0);
  ck_assert_uint_ge(changes, 30); /* the protocol exercises the rule */
  /* with bounds, on two threads: the clip acts at both ends (the weights start in [0.5,
   * 1.5]) */
  oja_trajectory(4e-3, 20.0, 10.0, 0.8, 1.2, 2, clipped, &changes);
  ck_assert_uint_ge(clipped[0], 3);
  ck_assert_uint_ge(clipped[1], 3);
  ck_assert_uint_ge(changes, 10);
}
END_TEST

/* BCM: at each post spike of target i, w += eta x_hat (y_hat - theta_i), then the clip;
 * every period, after the spikes of the step that closes it, theta_i += (period /
 * tau_theta) (y_hat_incl^2 / y0 - theta_i), stored as double, with y_hat_incl the trace
 * including that step's spikes. */
static void bcm_trajectory(double eta, double tau_x, double tau_y, double tau_theta, double y0,
                           double theta0, double period, double wmin, double wmax, int threads,
                           size_t nclipped[2], size_t *ndepressed, size_t *npotentiated,
                           size_t *nchanges) {
  const char *names[] = {"eta",    "tau_x",  "tau_y", "tau_theta", "y0",
                         "theta0", "period", "Wmin",  "Wmax"};
  const double values[] = {eta, tau_x, tau_y, tau_theta, y0, theta0, period, wmin, wmax};
  tr_setup su = {"bcm", names, values, COUNT(names), threads};
  tr_result r = tr_run(&su);
  float *ref = calloc(r.nrec, sizeof *ref);
  float w[TR_NSYN];
  double theta[TR_NTGT];
  for (size_t e = 0; e < r.nsyn; e++)
    w[e] = r.init[e].weight;
  for (size_t i = 0; i < TR_NTGT; i++)
    theta[i] = theta0;
  const size_t psteps = (size_t)llround(period / r.dt);
  nclipped[0] = nclipped[1] = *ndepressed = *npotentiated = 0;
  for (size_t k = 0; k < r.nsteps; k++) {
    double t = (double)(k + 1) * r.dt;
    for (size_t e = 0; e < r.nsyn; e++) {
      uint32_t j = r.init[e].source, i = r.init[e].target;
      if (has_spike(r.post[i], r.npost[i], t)) {
        double x = spike_trace(r.arr[j], r.narr[j], t, tau_x) / (tau_x * 1e-3);
        double y = spike_trace(r.post[i], r.npost[i], t, tau_y) / (tau_y * 1e-3);
        double dw = eta * x * (y - theta[i]);
        double v = (double)w[e] + dw;
        nclipped[0] += v < wmin;
        nclipped[1] += v > wmax;
        *ndepressed += dw < 0;
        *npotentiated += dw > 0;
        w[e] = (float)(v < wmin ? wmin : v > wmax ? wmax : v);
      }
      ref[k * r.nsyn + e] = w[e];
    }
    if ((k + 1) % psteps == 0)
      for (size_t i = 0; i < TR_NTGT; i++) {
        double y = spike_trace_incl(r.post[i], r.npost[i], t, tau_y) / (tau_y * 1e-3);
        theta[i] = theta[i] + period / tau_theta * (y * y / y0 - theta[i]);
      }
  }
  *nchanges = tr_compare(&r, ref, "bcm");
  printf("BCM trajectory (%d thread%s): %zu weight changes (%zu depressions, %zu "
         "potentiations), %zu clipped at Wmin, %zu at Wmax; final theta %.4g, %.4g, %.4g Hz\n",
         threads, threads > 1 ? "s" : "", *nchanges, *ndepressed, *npotentiated, nclipped[0],
         nclipped[1], (double)theta[0], (double)theta[1], (double)theta[2]);
  for (size_t e = 0; e < r.nsyn; e++)
    if (r.init[e].target == 2)
      ck_assert(r.rec[(r.nsteps - 1) * r.nsyn + e].weight == r.init[e].weight);
  /* the thresholds moved far from theta0 (at most 15 Hz): up where the target fired, down
   * to near 0 where it never did */
  ck_assert_double_gt(theta[0], 30.0);
  ck_assert_double_gt(theta[1], 30.0);
  ck_assert_double_lt(theta[2], 1.0);
  free(ref);
  tr_free(&r);
}

START_TEST(test_bcm_trajectory) {
  size_t clipped[2], dep, pot, changes;
  bcm_trajectory(2e-5, 15.0, 25.0, 30.0, 40.0, 15.0, 2.0, -100.0, 100.0, 1, clipped, &dep, &pot,
                 &changes);
  ck_assert_uint_eq(clipped[0] + clipped[1], 0);
  ck_assert_uint_ge(changes, 30);
  /* both branches of the BCM curve were taken */
  ck_assert_uint_ge(dep, 5);
  ck_assert_uint_ge(pot, 5);
  /* with bounds, on three threads (one target each) */
  bcm_trajectory(5e-5, 20.0, 10.0, 50.0, 5.0, 5.0, 1.0, 0.8, 1.2, 3, clipped, &dep, &pot, &changes);
  ck_assert_uint_ge(clipped[0], 3);
  ck_assert_uint_ge(clipped[1], 3);
  ck_assert_uint_ge(changes, 10);
}
END_TEST

/* The rules' declarations: names, units and defaults, and the parameter checks. */
START_TEST(test_declaration) {
  bool found_oja = false, found_bcm = false;
  for (size_t i = 0; i < hebb_rule_count(); i++) {
    found_oja |= strcmp(hebb_rule_name(i), "oja") == 0;
    found_bcm |= strcmp(hebb_rule_name(i), "bcm") == 0;
  }
  ck_assert(found_oja && found_bcm);
  ck_assert_ptr_nonnull(hebb_rule_doc("oja"));
  ck_assert_ptr_nonnull(hebb_rule_doc("bcm"));
  static const char *const oja_names[] = {"eta", "tau_x", "tau_y", "Wmin", "Wmax"};
  static const char *const oja_units[] = {"", "ms", "ms", "weight", "weight"};
  static const double oja_defaults[] = {1e-4, 100.0, 100.0, -1e30, 1e30};
  for (size_t i = 0; i < COUNT(oja_names); i++) {
    const char *unit;
    double v;
    ck_assert_str_eq(hebb_rule_param("oja", i, &unit, &v), oja_names[i]);
    ck_assert_str_eq(unit, oja_units[i]);
    ck_assert(v == oja_defaults[i]);
  }
  ck_assert_ptr_null(hebb_rule_param("oja", COUNT(oja_names), NULL, NULL));
  static const char *const bcm_names[] = {"eta",    "tau_x",  "tau_y", "tau_theta", "y0",
                                          "theta0", "period", "Wmin",  "Wmax"};
  static const char *const bcm_units[] = {"",   "ms", "ms",     "ms",    "Hz",
                                          "Hz", "ms", "weight", "weight"};
  static const double bcm_defaults[] = {1e-5, 100.0, 100.0, 1000.0, 10.0, 10.0, 10.0, 0.0, 1e30};
  for (size_t i = 0; i < COUNT(bcm_names); i++) {
    const char *unit;
    double v;
    ck_assert_str_eq(hebb_rule_param("bcm", i, &unit, &v), bcm_names[i]);
    ck_assert_str_eq(unit, bcm_units[i]);
    ck_assert(v == bcm_defaults[i]);
  }
  ck_assert_ptr_null(hebb_rule_param("bcm", COUNT(bcm_names), NULL, NULL));
  /* bad values are refused, when they are set or when the simulation is built (the
   * engine may wait for the whole set of values), with a message that names the parameter */
  static const struct {
    const char *rule, *param;
    double value;
  } bad[] = {{"oja", "eta", -1.0},  {"oja", "Wmin", 2e30},     {"oja", "tau_x", 0.0},
             {"bcm", "y0", 0.0},    {"bcm", "theta0", -1.0},   {"bcm", "eta", -1e-5},
             {"bcm", "Wmax", -1.0}, {"bcm", "tau_theta", 0.0}, {"bcm", "period", 0.25}};
  for (size_t b = 0; b < COUNT(bad); b++) {
    hebb_model *m = hebb_model_new();
    int pre = 0, post = 0, proj = 0;
    OK(m, hebb_model_add_population(m, "pre", "spike_generator", 1, &pre));
    post = silent_targets(m, "post", 1);
    hebb_projection_spec s = hebb_projection_spec_default();
    s.source = pre;
    s.target = post;
    OK(m, hebb_model_add_projection(m, &s, &proj));
    OK(m, hebb_model_set_plasticity(m, proj, bad[b].rule));
    int rc = hebb_model_set_plasticity_param(m, proj, bad[b].param, bad[b].value);
    if (rc == 0) {
      hebb_sim_options o = hebb_sim_options_default();
      o.threads = 1;
      o.pin = false;
      hebb_sim *sim = NULL;
      rc = hebb_sim_new(m, &o, &sim);
      ck_assert_ptr_null(sim);
    }
    ck_assert_msg(rc != 0, "%s: %s = %g accepted", bad[b].rule, bad[b].param, bad[b].value);
    const char *msg = hebb_model_error(m)->message;
    ck_assert_msg(strstr(msg, bad[b].param) != NULL, "%s: message '%s' does not name %s",
                  bad[b].rule, msg, bad[b].param);
    hebb_model_free(m);
  }
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* Independent Poisson trains                                                                */
/* ---------------------------------------------------------------------------------------- */

/* N independent synapses: a Poisson generator per synapse (the pre train, a Poisson count
 * per step of mean nu_pre h), onto its own target, which a Poisson drive of its own makes
 * spike: the target spikes in a step iff its drive sent a spike the step before, with
 * probability 1 - exp(-nu_d h); the drive's rate nu_d = -ln(1 - nu_post h) / h makes that
 * exactly nu_post h. The plastic inputs cannot make the target spike, so its train is
 * independent of the presynaptic ones and of its own past (a Bernoulli train). */
typedef struct {
  int pre, drive, tgt, proj;
} pgroup;

static pgroup poisson_group(hebb_model *m, const char *tag, uint32_t n, double nu_pre,
                            double nu_post, double w0, double dt, const char *rule,
                            const char *const *names, const double *values, size_t nparams) {
  pgroup g;
  const double h = dt * 1e-3;
  char name[48];
  snprintf(name, sizeof name, "pre_%s", tag);
  OK(m, hebb_model_add_population(m, name, "poisson_generator", n, &g.pre));
  OK(m, hebb_model_set_param(m, g.pre, "rate", nu_pre));
  snprintf(name, sizeof name, "drive_%s", tag);
  OK(m, hebb_model_add_population(m, name, "poisson_generator", n, &g.drive));
  OK(m, hebb_model_set_param(m, g.drive, "rate", -log1p(-nu_post * h) / h));
  snprintf(name, sizeof name, "post_%s", tag);
  g.tgt = silent_targets(m, name, n);
  drive_projection(m, g.drive, g.tgt, dt);
  hebb_projection_spec s = hebb_projection_spec_default();
  s.rule = HEBB_CONN_ONE_TO_ONE;
  s.source = g.pre;
  s.target = g.tgt;
  s.weight = hebb_dist_const(w0);
  s.delay_ms = hebb_dist_const(1.0);
  snprintf(name, sizeof name, "plastic_%s", tag);
  s.name = name;
  OK(m, hebb_model_add_projection(m, &s, &g.proj));
  set_rule_params(m, g.proj, rule, names, values, nparams);
  return g;
}

/* The weights of PROJ now, as doubles (N of them). */
static double *weights(hebb_sim *sim, int proj, size_t n) {
  size_t k;
  hebb_synapse *syn = proj_synapses(sim, proj, &k);
  ck_assert_uint_eq(k, n);
  double *w = malloc(n * sizeof *w);
  for (size_t i = 0; i < n; i++)
    w[i] = syn[i].weight;
  free(syn);
  return w;
}

/* The mean rate (Hz) of population POP since SPIKES0 spikes, over N neurons and T ms. */
static double pop_rate(hebb_sim *sim, int pop, uint64_t spikes0, size_t n, double t) {
  return (double)(hebb_sim_population_spikes(sim, pop) - spikes0) / (double)n / (t * 1e-3);
}

/* ---------------------------------------------------------------------------------------- */
/* 2. Oja: drift and fixed point                                                             */
/* ---------------------------------------------------------------------------------------- */

/* Pre at nu_j = 60 Hz, post at nu_i = 40 Hz, tau_x = tau_y = 100 ms: w* = nu_j / nu_i = 1.5.
 * Four groups of N synapses: drift groups (eta 1e-4) and fixed-point groups (eta 3e-4),
 * each starting at 0.5 and at 2.5. The weights are frozen for the first second (the traces
 * start at 0 and need a few tau to become stationary; they keep running while the weights
 * are frozen).
 *
 * The mean weight: at a post spike (probability p = nu_i h per step, independent of
 * everything else) the mean change is eta (X - w Y), X and Y the mean rate estimates at t -
 * eps (grid_rate: nu (1 - h / (2 tau)) on the grid). So the mean weight follows m += p eta
 * (X - m Y) per step, m_n = X/Y + (m_0 - X/Y) (1 - p eta Y)^n: the continuous-time drift
 * eta nu_i (nu_j - w nu_i) of MODELS.md 2.4, integrated while w moves. (MODELS.md's causal
 * correction vanishes: the plastic inputs do not drive the target.) The noise of y_hat,
 * correlated with the past updates of w, adds a bias of relative order eta nu_i / 2 to the
 * w Y term (0.2 % for eta 1e-4, 0.6 % for 3e-4).
 *
 * Drift: the mean change over T = 4 s must match the prediction within 4 standard errors
 * (over the independent synapses), with the grid and with the continuous formula, and be
 * significant (20 s.e.) with the sign of nu_j - w0 nu_i.
 *
 * Fixed point: both groups approach w* monotonically from their side (means at 1 s
 * intervals for 5 s) and follow the prediction within 4 s.e. plus 1 % of w* (the bias) at
 * each of them and after 10 s (about 5 relaxation times 1 / (eta nu_i^2)), when both are
 * within 3 % of w* and the gap between them has shrunk from 2 to below 0.05. */
START_TEST(test_oja_drift) {
  enum { N = 300, NG = 4, NCHECK = 6 };
  const double dt = 0.1, h = dt * 1e-3, nu_j = 60.0, nu_i = 40.0, tau = 100.0;
  const double warm = 1000.0, t_drift = 4000.0;
  const double t_check[NCHECK] = {1000.0, 2000.0, 3000.0, 4000.0, 5000.0, 10000.0};
  const double eta[NG] = {1e-4, 1e-4, 3e-4, 3e-4}, w_init[NG] = {0.5, 2.5, 0.5, 2.5};
  const char *tags[NG] = {"drift_lo", "drift_hi", "fix_lo", "fix_hi"};
  const double X = grid_rate(nu_j, tau, dt), Y = grid_rate(nu_i, tau, dt), p = nu_i * h;
  const double wstar = nu_j / nu_i;
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  OK(m, hebb_model_set_seed(m, 1982));
  pgroup g[NG];
  for (int k = 0; k < NG; k++) {
    const char *names[] = {"eta", "tau_x", "tau_y"};
    const double values[] = {eta[k], tau, tau};
    g[k] =
        poisson_group(m, tags[k], N, nu_j, nu_i, w_init[k], dt, "oja", names, values, COUNT(names));
    const double at[2] = {0.0, warm};
    const bool learn[2] = {false, true};
    OK(m, hebb_model_set_learning_schedule(m, g[k].proj, at, learn, 2, 0.0));
  }
  hebb_sim *sim = start_sim(m, 1);
  ck_assert_int_eq(hebb_sim_run_until(sim, warm), 0);
  uint64_t spikes0 = hebb_sim_population_spikes(sim, g[0].tgt);
  double fix[2][NCHECK], fix_se[2][NCHECK], pred[2][NCHECK];
  for (int c = 0; c < NCHECK; c++) {
    ck_assert_int_eq(hebb_sim_run_until(sim, warm + t_check[c]), 0);
    for (int k = 2; k < NG; k++) {
      double *w = weights(sim, g[k].proj, N);
      mean_se(w, N, &fix[k - 2][c], &fix_se[k - 2][c]);
      free(w);
      pred[k - 2][c] = X / Y + (w_init[k] - X / Y) * pow(1.0 - p * eta[k] * Y, t_check[c] / dt);
    }
    if (t_check[c] != t_drift)
      continue;
    double rate = pop_rate(sim, g[0].tgt, spikes0, N, t_drift);
    ck_assert_double_lt(fabs(rate - nu_i), 4 * sqrt(nu_i / (N * t_drift * 1e-3)));
    for (int k = 0; k < 2; k++) {
      double *d = weights(sim, g[k].proj, N), mean, se;
      for (size_t i = 0; i < N; i++)
        d[i] -= w_init[k];
      mean_se(d, N, &mean, &se);
      free(d);
      double grid = (X / Y - w_init[k]) * (1.0 - pow(1.0 - p * eta[k] * Y, t_drift / dt));
      double cont = (wstar - w_init[k]) * -expm1(-eta[k] * nu_i * nu_i * t_drift * 1e-3);
      printf("Oja drift, w0 = %g: mean change over %g s %.6f (s.e. %.6f); grid %.6f, "
             "continuous %.6f; initial drift %.5f /s (eta nu_i (nu_j - w nu_i))\n",
             w_init[k], t_drift * 1e-3, mean, se, grid, cont,
             eta[k] * nu_i * (nu_j - w_init[k] * nu_i));
      ck_assert_msg(fabs(mean - grid) <= 4 * se, "w0 %g: change %g +- %g, grid theory %g",
                    w_init[k], mean, se, grid);
      ck_assert_msg(fabs(mean - cont) <= 4 * se, "w0 %g: change %g +- %g, theory %g", w_init[k],
                    mean, se, cont);
      /* significant, with the sign of nu_j - w0 nu_i */
      ck_assert((w_init[k] < wstar ? mean : -mean) > 20 * se);
    }
  }
  for (int k = 0; k < 2; k++) {
    const bool below = w_init[k + 2] < wstar;
    printf("Oja fixed point w* = %g, from %g: mean w (prediction) after", wstar, w_init[k + 2]);
    for (int c = 0; c < NCHECK; c++) {
      printf(" %g s %.4f (%.4f)%s", t_check[c] * 1e-3, fix[k][c], pred[k][c],
             c + 1 < NCHECK ? "," : "\n");
      ck_assert_msg(fabs(fix[k][c] - pred[k][c]) <= 4 * fix_se[k][c] + 0.01 * wstar,
                    "from %g, %g s: mean w %g +- %g, prediction %g", w_init[k + 2],
                    t_check[c] * 1e-3, fix[k][c], fix_se[k][c], pred[k][c]);
      if (c == NCHECK - 1)
        break;
      /* monotonic, on its side of w* */
      double before = c ? fix[k][c - 1] : w_init[k + 2];
      ck_assert_msg(
          below ? fix[k][c] > before && fix[k][c] < wstar : fix[k][c] < before && fix[k][c] > wstar,
          "from %g, %g s: mean w %g after %g", w_init[k + 2], t_check[c] * 1e-3, fix[k][c], before);
    }
    ck_assert_msg(fabs(fix[k][NCHECK - 1] - wstar) < 0.03 * wstar, "from %g: mean w %g, w* %g",
                  w_init[k + 2], fix[k][NCHECK - 1], wstar);
  }
  ck_assert_double_lt(fabs(fix[1][NCHECK - 1] - fix[0][NCHECK - 1]), 0.05);
  hebb_sim_free(sim);
  hebb_model_free(m);
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* 3, 4. O1 and B1 in rate form, through the rules' own updates                              */
/* ---------------------------------------------------------------------------------------- */

/* splitmix64: a small, seeded generator for the rate-form samples */
static uint64_t next_u64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* uniform in (0, 1) */
static double uniform(uint64_t *s) {
  return ((double)(next_u64(s) >> 11) + 0.5) * 0x1.0p-53;
}

/* two independent standard normal numbers (Box-Muller) */
static void normal2(uint64_t *s, double *a, double *b) {
  double r = sqrt(-2.0 * log(uniform(s))), phi = 2.0 * PI * uniform(s);
  *a = r * cos(phi);
  *b = r * sin(phi);
}

/* O1 (MODELS.md 4): x ~ N(0, C), C with eigenvalues 4 and 1, its principal axis e1 at 30
 * degrees; a linear neuron y = w.x; each sample updates w_j by hebb_oja_dw(eta y, w_j, x_j,
 * y) = eta y (x_j - w_j y), eta = 1e-3, 1e5 samples. Expected: |w| -> 1 within 0.02 and
 * the direction of w within 2 degrees of +-e1. The last sample's w wobbles around e1 with
 * an angle of s.d. sqrt(eta l1 l2 / (2 (l1 - l2))) = 1.5 degrees (l1 = 4, l2 = 1), so the
 * 2 degree test is made on w averaged over the second half of the run (s.d. well below
 * 0.5 degree); the last w must be within 6 degrees (4 s.d.). Two starts. */
static double angle_deg(double w0, double w1, double e0, double e1) {
  double c = fabs(w0 * e0 + w1 * e1) / hypot(w0, w1);
  return acos(c < 1.0 ? c : 1.0) * 180.0 / PI;
}

START_TEST(test_oja_o1) {
  const double phi = 30.0 * PI / 180.0, c = cos(phi), s = sin(phi), eta = 1e-3;
  const double starts[2][2] = {{0.2, -0.5}, {-0.05, 0.1}};
  const long n = 100000;
  for (int st = 0; st < 2; st++) {
    uint64_t seed = 1982 + (uint64_t)st;
    double w[2] = {starts[st][0], starts[st][1]}, avg[2] = {0.0, 0.0};
    for (long k = 0; k < n; k++) {
      double z1, z2;
      normal2(&seed, &z1, &z2);
      z1 *= 2.0; /* s.d. sqrt(4) along e1, 1 along e2 */
      const double x[2] = {c * z1 - s * z2, s * z1 + c * z2};
      const double y = w[0] * x[0] + w[1] * x[1];
      const double d0 = hebb_oja_dw(eta * y, w[0], x[0], y);
      const double d1 = hebb_oja_dw(eta * y, w[1], x[1], y);
      w[0] += d0;
      w[1] += d1;
      if (k >= n / 2) {
        avg[0] += w[0];
        avg[1] += w[1];
      }
    }
    avg[0] /= (double)(n - n / 2);
    avg[1] /= (double)(n - n / 2);
    double norm = hypot(w[0], w[1]), norm_avg = hypot(avg[0], avg[1]);
    double ang = angle_deg(w[0], w[1], c, s), ang_avg = angle_deg(avg[0], avg[1], c, s);
    printf("O1, start (%g, %g): |w| %.4f, angle to e1 %.3f deg; averaged over the second half: "
           "|w| %.4f, angle %.3f deg\n",
           starts[st][0], starts[st][1], norm, ang, norm_avg, ang_avg);
    ck_assert_msg(fabs(norm - 1.0) < 0.02, "|w| = %g", norm);
    ck_assert_msg(fabs(norm_avg - 1.0) < 0.02, "averaged |w| = %g", norm_avg);
    ck_assert_msg(ang_avg < 2.0, "averaged w at %g degrees from e1", ang_avg);
    ck_assert_msg(ang < 6.0, "w at %g degrees from e1", ang);
  }
}
END_TEST

/* B1 (MODELS.md 4): two orthogonal unit patterns e1, e2, each with probability p = 1/2; a
 * linear neuron y = w.x. Each sample: w_j += hebb_bcm_dw(eta y, x_j, y, theta) = eta x_j y
 * (y - theta), then theta = hebb_bcm_theta(theta, y, y0 = 1, h) (the spiking rule's order:
 * weights at spikes use the threshold of the last period). eta = 1e-3, h = 1/20 (tau_theta
 * = 20 samples, far below the weights' time of about 1 / (eta p y theta) = 500 samples),
 * theta starts at 0, 1e5 samples. With theta = <y^2> the selective fixed point is y = 2 (=
 * 1/p) for one pattern and 0 for the other; which one wins depends on the start: (0.6, 0.4)
 * selects pattern 1, (0.4, 0.6) and the small (0.1, 0.12) pattern 2. The response to the
 * winner (averaged over the second half; the last sample's wobbles with s.d. ~0.05) must be
 * within 0.05 of 2, the last one within 0.25, the response to the other below 1e-3. */
START_TEST(test_bcm_b1) {
  const double eta = 1e-3, h = 1.0 / 20.0, y0 = 1.0;
  const double starts[3][2] = {{0.6, 0.4}, {0.4, 0.6}, {0.1, 0.12}};
  const int winner[3] = {0, 1, 1};
  const long n = 100000;
  for (int st = 0; st < 3; st++) {
    uint64_t seed = 1992 + (uint64_t)st;
    double w[2] = {starts[st][0], starts[st][1]}, avg[2] = {0.0, 0.0}, theta = 0.0;
    for (long k = 0; k < n; k++) {
      const int pat = (int)(next_u64(&seed) >> 63);
      const double x[2] = {pat == 0 ? 1.0 : 0.0, pat == 1 ? 1.0 : 0.0};
      const double y = w[0] * x[0] + w[1] * x[1];
      const double d0 = hebb_bcm_dw(eta * y, x[0], y, theta);
      const double d1 = hebb_bcm_dw(eta * y, x[1], y, theta);
      w[0] += d0;
      w[1] += d1;
      theta = hebb_bcm_theta(theta, y, y0, h);
      if (k >= n / 2) {
        avg[0] += w[0];
        avg[1] += w[1];
      }
    }
    avg[0] /= (double)(n - n / 2);
    avg[1] /= (double)(n - n / 2);
    /* the responses to the patterns are the weights */
    const int win = winner[st], lose = 1 - win;
    printf("B1, start (%g, %g): responses %.4f, %.4f (averaged %.4f, %.4f), theta %.3f\n",
           starts[st][0], starts[st][1], w[0], w[1], avg[0], avg[1], theta);
    ck_assert_msg(fabs(avg[win] - 2.0) < 0.05, "response to pattern %d: %g", win + 1, avg[win]);
    ck_assert_msg(fabs(w[win] - 2.0) < 0.25, "last response to pattern %d: %g", win + 1, w[win]);
    ck_assert_msg(fabs(avg[lose]) < 1e-3 && fabs(w[lose]) < 1e-3,
                  "response to pattern %d: %g (averaged %g)", lose + 1, w[lose], avg[lose]);
  }
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* 4. BCM, spiking: the sign of the drift at the threshold                                   */
/* ---------------------------------------------------------------------------------------- */

/* The mean of y_hat^2 for a Bernoulli train of rate NU (probability p = nu h per step) read
 * by a trace of time constant TAU (ms) at the end of a step, including its spike: the trace
 * sums s_{n-k} e^{-k a} over k >= 0 (a = h / tau), mean p / (1 - e^{-a}), variance p (1 - p)
 * / (1 - e^{-2a}); y_hat = trace / tau (s). */
static double mean_y2_incl(double nu, double tau, double dt) {
  double p = nu * dt * 1e-3, a = dt / tau;
  double mean = p / -expm1(-a), var = p * (1.0 - p) / -expm1(-2.0 * a);
  return (var + mean * mean) / (tau * 1e-3 * tau * 1e-3);
}

/* Independent Poisson pre (nu_x = 20 Hz) and driven Bernoulli post trains; eta = 1e-5,
 * tau_x = tau_y = 100 ms, no bounds in the way (Wmin = -1e6).
 *
 * Fixed threshold (theta0 = 20 Hz, tau_theta = 1e12 ms: theta moves by less than 1e-8 Hz):
 * post at 12, 16, 24 and 28 Hz. At a post spike the change is eta x_hat (y_hat - theta),
 * y_hat read at t - eps, independent of the spike: the drift is eta nu_y X (Y - theta) (X,
 * Y: grid_rate), i.e. eta nu_x nu_y (nu_y - theta) in continuous time: depression below
 * theta, potentiation above, each significant (4 s.e.) and within 4 s.e. of the formula.
 *
 * Sliding threshold (y0 = 20 Hz, tau_theta = 500 ms, period 10 ms): post at 10 and 30 Hz.
 * In steady state theta = <y_hat^2> / y0 (sampled at the ends of periods, spikes included;
 * mean_y2_incl), about (nu^2 + nu / (2 tau_y)) / y0: 7.5 Hz at 10 Hz, 52.5 Hz at 30 Hz.
 * theta0 is set to it, the drift measured after 3 s (6 tau_theta) over 5 s: eta nu_y X (Y -
 * <theta>), now potentiation at 10 Hz and depression at 30 Hz (the reverse of the fixed
 * threshold of 20 Hz): the threshold slides to keep the rate near y0 - 1 / (2 tau_y) = 15
 * Hz. The pre train is independent of theta and y_hat, and the post spike of the post's
 * past, so the drift is exactly linear in <theta>. */
START_TEST(test_bcm_drift) {
  enum { N = 200, NF = 4, NS = 2, NG = NF + NS };
  const double dt = 0.1, nu_x = 20.0, tau = 100.0, eta = 1e-5, theta_fixed = 20.0, y0 = 20.0;
  const double tau_theta = 500.0, warm = 3000.0, T = 5000.0;
  const double nu_y[NG] = {12.0, 16.0, 24.0, 28.0, 10.0, 30.0};
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  OK(m, hebb_model_set_seed(m, 1982));
  pgroup g[NG];
  double theta[NG];
  for (int k = 0; k < NG; k++) {
    bool fixed = k < NF;
    theta[k] = fixed ? theta_fixed : mean_y2_incl(nu_y[k], tau, dt) / y0;
    const char *names[] = {"eta", "tau_x", "tau_y", "tau_theta", "y0", "theta0", "period", "Wmin"};
    const double values[] = {eta,      tau,  tau, fixed ? 1e12 : tau_theta, fixed ? 10.0 : y0,
                             theta[k], 10.0, -1e6};
    char tag[16];
    snprintf(tag, sizeof tag, "%s%d", fixed ? "fixed" : "sliding", k);
    g[k] = poisson_group(m, tag, N, nu_x, nu_y[k], 1.0, dt, "bcm", names, values, COUNT(names));
  }
  hebb_sim *sim = start_sim(m, 1);
  ck_assert_int_eq(hebb_sim_run_until(sim, warm), 0);
  double *w0[NG];
  uint64_t spikes0[NG];
  for (int k = 0; k < NG; k++) {
    w0[k] = weights(sim, g[k].proj, N);
    spikes0[k] = hebb_sim_population_spikes(sim, g[k].tgt);
  }
  ck_assert_int_eq(hebb_sim_run_until(sim, warm + T), 0);
  const double X = grid_rate(nu_x, tau, dt);
  printf("BCM drift, nu_x = %g Hz, %d synapses, %g s:\n  nu_y/Hz  post/Hz  theta/Hz    "
         "drift/s (s.e.)        grid/s      continuous/s\n",
         nu_x, N, T * 1e-3);
  for (int k = 0; k < NG; k++) {
    double *d = weights(sim, g[k].proj, N), mean, se;
    for (size_t i = 0; i < N; i++)
      d[i] = (d[i] - w0[k][i]) / (T * 1e-3);
    mean_se(d, N, &mean, &se);
    free(d);
    free(w0[k]);
    const double Y = grid_rate(nu_y[k], tau, dt);
    const double grid = eta * nu_y[k] * X * (Y - theta[k]);
    double cont = eta * nu_x * nu_y[k] * (nu_y[k] - theta[k]);
    if (k >= NF) /* the continuous steady threshold, (nu^2 + nu / (2 tau_y)) / y0 */
      cont =
          eta * nu_x * nu_y[k] * (nu_y[k] - (nu_y[k] * nu_y[k] + nu_y[k] / (2 * tau * 1e-3)) / y0);
    double rate = pop_rate(sim, g[k].tgt, spikes0[k], N, T);
    printf("  %5.0f    %6.2f   %6.2f   %+.6f (%.6f)   %+.6f   %+.6f\n", nu_y[k], rate, theta[k],
           mean, se, grid, cont);
    ck_assert_double_lt(fabs(rate - nu_y[k]), 4 * sqrt(nu_y[k] / (N * T * 1e-3)));
    ck_assert_msg(fabs(mean - grid) <= 4 * se, "nu_y %g Hz: drift %g +- %g, grid theory %g",
                  nu_y[k], mean, se, grid);
    ck_assert_msg(fabs(mean - cont) <= 4 * se, "nu_y %g Hz: drift %g +- %g, theory %g", nu_y[k],
                  mean, se, cont);
    /* the sign, significantly: with the fixed threshold, depression below it and
     * potentiation above; with the sliding one, depression above the rate y0 - 1 / (2 tau_y)
     * and potentiation below */
    const bool depress = k < NF ? nu_y[k] < theta_fixed : nu_y[k] > y0 - 1 / (2 * tau * 1e-3);
    ck_assert_msg((depress ? -mean : mean) > 4 * se, "nu_y %g Hz: drift %g +- %g", nu_y[k], mean,
                  se);
  }
  hebb_sim_free(sim);
  hebb_model_free(m);
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* 5. Determinism                                                                            */
/* ---------------------------------------------------------------------------------------- */

/* Invariant I1 with both rules: a network with a plastic feed-forward projection under
 * [oja] (heterogeneous delays) and a plastic recurrent one under [bcm] (its threshold per
 * neuron, kept in per-synapse copies on the target's partition) gives bit-identical weights
 * and spikes on 1, 2 and 3 threads. Weights in pA. The delays are at least 1 ms, so that the
 * threads meet every 10 steps only (the suite runs beside others). */
static void hebbian_network(int threads, hebb_synapse **w, size_t *nw, size_t moved[2],
                            hebb_spike **spk, size_t *ns) {
  hebb_model *m = hebb_model_new();
  int in = 0, exc = 0, p1 = 0, p2 = 0;
  OK(m, hebb_model_set_seed(m, 23));
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
  s.delay_ms = (hebb_dist){HEBB_DIST_UNIFORM, 1.0, 3.0, -INFINITY, INFINITY};
  OK(m, hebb_model_add_projection(m, &s, &p1));
  const char *on[] = {"eta", "tau_x", "tau_y", "Wmin", "Wmax"};
  const double ov[] = {2e-3, 50.0, 50.0, 0.0, 150.0};
  set_rule_params(m, p1, "oja", on, ov, COUNT(on));
  s.source = exc;
  s.rule = HEBB_CONN_PAIRWISE_BERNOULLI;
  s.p = 0.1;
  s.weight = hebb_dist_const(30.0);
  s.delay_ms = (hebb_dist){HEBB_DIST_NORMAL_CLIPPED, 1.8, 0.7, 1.0, 4.0};
  OK(m, hebb_model_add_projection(m, &s, &p2));
  const char *bn[] = {"eta", "tau_x", "tau_y", "tau_theta", "y0", "theta0", "period", "Wmax"};
  const double bv[] = {2e-4, 50.0, 50.0, 100.0, 10.0, 10.0, 5.0, 60.0};
  set_rule_params(m, p2, "bcm", bn, bv, COUNT(bn));
  OK(m, hebb_model_record_spikes(m, exc));
  hebb_sim *sim = start_sim(m, threads);
  size_t n1, n2;
  hebb_synapse *i1 = proj_synapses(sim, p1, &n1), *i2 = proj_synapses(sim, p2, &n2);
  ck_assert_int_eq(hebb_sim_run_until(sim, 330.0), 0);
  ck_assert_int_eq(hebb_sim_run_until(sim, 700.0), 0); /* in two pieces */
  hebb_synapse *a, *b;
  size_t na, nb;
  ck_assert_int_eq(hebb_sim_synapses(sim, p1, &a, &na), 0);
  ck_assert_int_eq(hebb_sim_synapses(sim, p2, &b, &nb), 0);
  ck_assert_uint_eq(na, n1);
  ck_assert_uint_eq(nb, n2);
  moved[0] = moved[1] = 0;
  for (size_t i = 0; i < na; i++)
    moved[0] += a[i].weight != i1[i].weight;
  for (size_t i = 0; i < nb; i++)
    moved[1] += b[i].weight != i2[i].weight;
  free(i1);
  free(i2);
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
  size_t nw1, ns1, moved1[2];
  hebbian_network(1, &w1, &nw1, moved1, &s1, &ns1);
  ck_assert_uint_gt(ns1, 200); /* the network is active */
  size_t n_oja = 120 * 60;
  ck_assert_uint_gt(moved1[0], n_oja / 2);         /* oja learns */
  ck_assert_uint_gt(moved1[1], (nw1 - n_oja) / 2); /* and bcm */
  for (int t = 2; t <= 3; t++) {
    hebb_synapse *w;
    hebb_spike *sp;
    size_t nw, ns, moved[2];
    hebbian_network(t, &w, &nw, moved, &sp, &ns);
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

/* One case per test, so that CK_RUN_CASE selects one. */
#define ADD(test)                                                                                  \
  do {                                                                                             \
    TCase *tc = tcase_create(#test);                                                               \
    tcase_set_timeout(tc, 120);                                                                    \
    tcase_add_test(tc, test);                                                                      \
    suite_add_tcase(s, tc);                                                                        \
  } while (0)

static Suite *hebbian_suite(void) {
  Suite *s = suite_create("hebbian");
  ADD(test_oja_trajectory);
  ADD(test_bcm_trajectory);
  ADD(test_declaration);
  ADD(test_oja_drift);
  ADD(test_oja_o1);
  ADD(test_bcm_b1);
  ADD(test_bcm_drift);
  ADD(test_determinism);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(hebbian_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

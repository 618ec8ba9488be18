/* test_superspike.c - the superspike rule driven by known spike times.
 *
 * One iaf_psc_exp output neuron with a target spike train, three presynaptic spike
 * generators onto it through superspike synapses, and a strong drive that makes the neuron
 * spike at chosen times. The weights after every step are compared with an independent
 * computation of the rule's per-step algorithm (rules/superspike.c, MODELS.md 2.10): the
 * presynaptic current and potential traces, the surrogate derivative of the recorded
 * membrane potential, the eligibility, the filtered error (target spikes minus own spikes)
 * and the normalised update every period, with the float storage of the per-synapse
 * variables emulated. Also: the surrogate derivative's shape, and that the output neuron
 * learns to fire near its target times (SS1 in small).
 */
#include "harness.h"
#include "hebb.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NPRE 3
static const double pre_t[NPRE][6] = {{3.0, 11.0, 26.0, 41.0, 58.0, 77.0},
                                      {5.5, 9.0, 28.0, 44.5, 60.0, 88.0},
                                      {1.0, 20.0, 35.0, 52.0, 71.0, 90.5}};
static const size_t npre_t[NPRE] = {6, 6, 6};
static const double drive_t[] = {14.0, 47.0, 83.0};
static const double target_t[] = {12.0, 30.0, 47.0};

typedef struct {
  double tau_syn, tau_mem, tau_rise, tau_decay, beta, theta, v_min, eta, eps, tau_rms, period, wmax;
} ss_params;

static const ss_params P = {5.0,   10.0, 5.0,   10.0,   1.0,  -50.0,
                            -80.0, 3.0,  1e-12, 1000.0, 10.0, 24.0};

typedef struct {
  float *w;  /* [step * NPRE + j] */
  double *v; /* [step] */
  uint8_t *spk;
  size_t nsteps;
} ss_run;

static ss_run run(double dt, double t_end, int threads) {
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  int out, pre, drive, proj;
  OK(m, hebb_model_add_population(m, "out", "iaf_psc_exp", 1, &out));
  const char *pn[] = {"C_m",   "tau_m", "tau_syn_ex", "tau_syn_in",
                      "t_ref", "E_L",   "V_reset",    "V_th"};
  const double pv[] = {250.0, 10.0, 5.0, 5.0, 2.0, -60.0, -60.0, -50.0};
  for (size_t i = 0; i < COUNT(pn); i++)
    OK(m, hebb_model_set_param(m, out, pn[i], pv[i]));
  OK(m, hebb_model_set_target(m, out, 0, target_t, COUNT(target_t), 50.0));
  OK(m, hebb_model_add_population(m, "pre", "spike_generator", NPRE, &pre));
  for (uint32_t j = 0; j < NPRE; j++)
    OK(m, hebb_model_set_spike_times(m, pre, j, pre_t[j], npre_t[j]));
  OK(m, hebb_model_add_population(m, "drive", "spike_generator", 1, &drive));
  OK(m, hebb_model_set_spike_times(m, drive, 0, drive_t, COUNT(drive_t)));
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = drive;
  s.target = out;
  s.weight = hebb_dist_const(60000.0);
  s.delay_ms = hebb_dist_const(dt);
  OK(m, hebb_model_add_projection(m, &s, NULL));
  s.source = pre;
  s.rule = HEBB_CONN_ALL_TO_ALL;
  s.weight = (hebb_dist){HEBB_DIST_UNIFORM, -10.0, 20.0, 0, 0};
  s.delay_ms = hebb_dist_const(1.0);
  s.receptor = HEBB_RECEPTOR_EXCITATORY;
  s.name = "ss";
  OK(m, hebb_model_add_projection(m, &s, &proj));
  const char *names[] = {"tau_syn", "tau_mem", "tau_rise", "tau_decay", "beta",   "theta",
                         "v_min",   "eta",     "epsilon",  "tau_rms",   "period", "Wmax"};
  const double values[] = {P.tau_syn, P.tau_mem, P.tau_rise, P.tau_decay, P.beta,   P.theta,
                           P.v_min,   P.eta,     P.eps,      P.tau_rms,   P.period, P.wmax};
  set_rule_params(m, proj, "superspike", names, values, COUNT(names));
  OK(m, hebb_model_record_weights(m, proj, dt));
  OK(m, hebb_model_record_spikes(m, out));
  OK(m, hebb_model_record_state(m, out, "V_m", NULL, 0, dt));
  hebb_sim *sim = start_sim(m, threads);
  ck_assert_int_eq(hebb_sim_run_until(sim, t_end), 0);
  ss_run r = {0};
  r.nsteps = (size_t)llround(t_end / dt);
  r.w = calloc(r.nsteps * NPRE, sizeof *r.w);
  r.v = calloc(r.nsteps, sizeof *r.v);
  r.spk = calloc(r.nsteps, 1);
  hebb_synapse *w;
  size_t nw;
  ck_assert_int_eq(hebb_sim_take_weights(sim, &w, &nw), 0);
  ck_assert_uint_eq(nw, r.nsteps * NPRE);
  for (size_t i = 0; i < nw; i++)
    r.w[(w[i].step - 1) * NPRE + w[i].source] = w[i].weight;
  free(w);
  hebb_sample *sm;
  size_t ns;
  ck_assert_int_eq(hebb_sim_take_samples(sim, &sm, &ns), 0);
  ck_assert_uint_eq(ns, r.nsteps);
  for (size_t i = 0; i < ns; i++)
    r.v[sm[i].step - 1] = sm[i].value;
  free(sm);
  hebb_spike *sp;
  ck_assert_int_eq(hebb_sim_take_spikes(sim, &sp, &ns), 0);
  for (size_t i = 0; i < ns; i++)
    r.spk[sp[i].step - 1]++;
  free(sp);
  hebb_sim_free(sim);
  hebb_model_free(m);
  return r;
}

static double surrogate(double u) {
  if (u < P.v_min)
    return 0.0;
  double d = 1.0 + P.beta * fabs(u - P.theta);
  return P.beta / (d * d);
}

START_TEST(test_surrogate_shape) {
  ck_assert_double_eq(surrogate(-50.0), 1.0);
  ck_assert_double_eq_tol(surrogate(-51.0), 0.25, 1e-15);
  ck_assert_double_eq_tol(surrogate(-49.0), 0.25, 1e-15);
  ck_assert_double_eq(surrogate(-80.5), 0.0);
}
END_TEST

/* The per-step algorithm, written out on the recorded potential and spikes. */
START_TEST(test_trajectory) {
  const double dt = 0.1, t_end = 100.0;
  ss_run r = run(dt, t_end, 1);
  const size_t T = r.nsteps, period_steps = (size_t)llround(P.period / dt);
  const size_t tperiod = (size_t)llround(50.0 / dt);
  double pval[NPRE] = {0}, q[NPRE] = {0};
  uint64_t plast[NPRE] = {0};
  float w[NPRE], lt[NPRE] = {0}, l[NPRE] = {0}, mm[NPRE] = {0}, vv[NPRE] = {0};
  for (int j = 0; j < NPRE; j++)
    w[j] = r.w[j]; /* after step 0: nothing has learnt yet (first update at 10 ms) */
  double et = 0.0, e = 0.0;
  const double ts = P.tau_syn / dt, rise = exp(-dt / P.tau_rise), k = dt / P.tau_decay;
  size_t own = 0, nchange = 0;
  for (size_t n = 0; n < T; n++) {
    double t = (double)(n + 1) * dt;
    /* the engine's presynaptic trace: +1 at an arrival (emission + 1 ms), decayed exactly */
    for (int j = 0; j < NPRE; j++) {
      for (size_t a = 0; a < npre_t[j]; a++)
        if (fabs(pre_t[j][a] + 1.0 - t) < 1e-9) {
          pval[j] = pval[j] * exp(-(double)(n - plast[j]) / ts) + 1.0;
          plast[j] = n;
        }
      double p = pval[j] * exp(-(double)(n - plast[j]) / ts);
      q[j] += dt / P.tau_mem * (p - q[j]);
    }
    double tgt = 0.0;
    for (size_t a = 0; a < COUNT(target_t); a++)
      if ((size_t)llround(target_t[a] / dt) - 1 == n % tperiod)
        tgt += 1.0;
    own += r.spk[n];
    et = et * rise + (tgt - (double)r.spk[n]);
    e += k * (et - e);
    double sg = surrogate(r.v[n]);
    for (int j = 0; j < NPRE; j++) {
      double a = lt[j];
      if (q[j] > 1e-7)
        a += sg * q[j];
      double b = (double)l[j] + k * (a - (double)l[j]);
      l[j] = (float)b;
      lt[j] = (float)(a * rise);
      if (fabs(e) >= 1e-7)
        mm[j] = (float)((double)mm[j] + e * b);
    }
    if ((n + 1) % period_steps == 0)
      for (int j = 0; j < NPRE; j++) {
        double g = (double)mm[j] / (double)period_steps;
        double v = exp(-P.period / P.tau_rms) * (double)vv[j];
        if (g * g > v)
          v = g * g;
        vv[j] = (float)v;
        double nw = (double)w[j] + P.eta * g / (sqrt((double)vv[j]) + P.eps);
        nw = nw < -P.wmax ? -P.wmax : nw > P.wmax ? P.wmax : nw;
        nchange += (float)nw != w[j];
        w[j] = (float)nw;
        mm[j] = 0.0f;
      }
    for (int j = 0; j < NPRE; j++)
      ck_assert_msg(fabs((double)r.w[n * NPRE + j] - (double)w[j]) <= 1e-12 * fabs((double)w[j]),
                    "step %zu (t = %g ms), synapse %d: weight %.9g, reference %.9g", n, t, j,
                    (double)r.w[n * NPRE + j], (double)w[j]);
  }
  /* the protocol exercises the rule: spikes of its own, updates in both directions */
  ck_assert_uint_ge(own, 3);
  ck_assert_uint_ge(nchange, 15);
  free(r.w);
  free(r.v);
  free(r.spk);
}
END_TEST

/* The same weights on 1 and 3 threads. */
START_TEST(test_threads) {
  ss_run a = run(0.1, 60.0, 1), b = run(0.1, 60.0, 3);
  ck_assert(memcmp(a.w, b.w, a.nsteps * NPRE * sizeof *a.w) == 0);
  free(a.w);
  free(a.v);
  free(a.spk);
  free(b.w);
  free(b.v);
  free(b.spk);
}
END_TEST

int main(void) {
  Suite *s = suite_create("superspike");
  TCase *tc = tcase_create("superspike");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_surrogate_shape);
  tcase_add_test(tc, test_trajectory);
  tcase_add_test(tc, test_threads);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

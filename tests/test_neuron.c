/* test_neuron.c - tests of the neuron and stimulus models, through the public API only.
 *
 * Each test builds a tiny network, records a state variable every step and compares every
 * sample with a closed form (MODELS.md 1.1 and section 4, tests N1 and N2) or with the same
 * recursion computed here. The timing conventions checked throughout (engine/sim.c):
 *
 *   - a spike_generator spike at time ts is produced in step m = ts/dt - 1 (a spike produced
 *     during step m, the interval (m dt, (m+1) dt], is stamped (m+1) dt);
 *   - with a delay of D steps it is delivered (deliver()) at the start of step m + D; the
 *     update of that step adds it to the synaptic current (iaf_psc_exp) or to V
 *     (iaf_psc_delta) after propagating V, so the current or V jumps at time
 *     (m + D + 1) dt = ts + D dt, as in NEST;
 *   - the sample recorded after step n carries step n + 1, i.e. it is the state at time
 *     (n + 1) dt.
 *
 * So the state at sample step k is the response at t = (k - k0) dt after the jump, with
 * k0 = ts/dt + D, and exactly the resting state for k <= k0 (for V of iaf_psc_exp).
 */
#include "harness.h"
#include "hebb.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* |got - want| <= rel |want| + abs, with a message naming the sample. */
#define ASSERT_CLOSE(got, want, rel, abs_, what, k)                                                \
  do {                                                                                             \
    double g_ = (got), w_ = (want);                                                                \
    ck_assert_msg(fabs(g_ - w_) <= (rel)*fabs(w_) + (abs_),                                        \
                  "%s, sample step %zu: got %.17g, expected %.17g (rel. error %.3g)", (what),      \
                  (size_t)(k), g_, w_, fabs(g_ - w_) / fabs(w_));                                  \
  } while (0)

static int add_pop(hebb_model *m, const char *name, const char *model, uint32_t size) {
  int id = -1;
  OK(m, hebb_model_add_population(m, name, model, size, &id));
  return id;
}

static void set(hebb_model *m, int pop, const char *name, double value) {
  OK(m, hebb_model_set_param(m, pop, name, value));
}

static int connect(hebb_model *m, int src, int tgt, hebb_conn_rule rule, double w,
                   double delay_ms) {
  hebb_projection_spec sp = hebb_projection_spec_default();
  sp.source = src;
  sp.target = tgt;
  sp.rule = rule;
  sp.weight = hebb_dist_const(w);
  sp.delay_ms = hebb_dist_const(delay_ms);
  int id = -1;
  OK(m, hebb_model_add_projection(m, &sp, &id));
  return id;
}

static hebb_sim *build(hebb_model *m, int threads) {
  hebb_sim_options o = hebb_sim_options_default();
  o.threads = threads;
  o.pin = false;
  hebb_sim *s = NULL;
  OK(m, hebb_sim_new(m, &o, &s));
  ck_assert_ptr_nonnull(s);
  return s;
}

/* Runs to T_MS and returns the samples, checking that they are NVARS * NNEURONS per step
 * for each of the STEPS steps. */
static hebb_sample *run_and_take(hebb_sim *s, double t_ms, size_t per_step, size_t *n) {
  ck_assert_int_eq(hebb_sim_run_until(s, t_ms), 0);
  hebb_sample *smp = NULL;
  ck_assert_int_eq(hebb_sim_take_samples(s, &smp, n), 0);
  size_t steps = (size_t)hebb_sim_step(s);
  ck_assert_uint_eq(*n, steps * per_step);
  for (size_t i = 0; i < *n; i++)
    ck_assert_uint_eq(smp[i].step, i / per_step + 1);
  return smp;
}

/* ---------------------------------------------------------------------------------------- */
/* N1: the PSP of iaf_psc_exp */

/* The PSP of a current jump W (pA) at t = 0: (w/C) tau_m tau_s/(tau_m - tau_s)
 * (exp(-t/tau_m) - exp(-t/tau_s)), written as exp(-t/tau_m) (1 - exp(-t (tau_m - tau_s)/(tau_s
 * tau_m))) with expm1, so that small t and close time constants keep their precision (the
 * difference tau_m - tau_s is exact, 1/tau_s - 1/tau_m would not be); (w/C) t exp(-t/tau)
 * when tau_s == tau_m. */
static double psp(double w, double c, double tau_m, double tau_s, double t) {
  if (tau_s == tau_m)
    return w / c * t * exp(-t / tau_m);
  return w / c * tau_m * tau_s / (tau_m - tau_s) * exp(-t / tau_m) *
         -expm1(-t * (tau_m - tau_s) / (tau_s * tau_m));
}

/* One spike at TS through a delay of D steps into two NEST-default iaf_psc_exp neurons
 * with E_L = 0 and no threshold: "ex" receives +100 pA (tau_syn_ex = TAU_EX), "in" receives
 * -100 pA (tau_syn_in = TAU_IN, tau_syn_ex left at 2 ms so a mix-up shows). Every sample of
 * V_m and of the synaptic current is compared with the closed form. */
static void psc_exp_psp_prec(double dt, double tau_ex, double tau_in, double ts, uint32_t d,
                             double t_end, int threads, bool single) {
  const double w = 100.0, c = 250.0, tau_m = 10.0;
  /* single precision: float state, relative error of a few float epsilons per step */
  const double rel = single ? 2e-5 : 1e-12, abs_tol = single ? 1e-6 : 1e-15;
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  int sg = add_pop(m, "sg", "spike_generator", 1);
  int ex = add_pop(m, "ex", "iaf_psc_exp", 1);
  int in = add_pop(m, "in", "iaf_psc_exp", 1);
  const int pops[2] = {ex, in};
  for (int i = 0; i < 2; i++) {
    int p = pops[i];
    set(m, p, "C_m", c);
    set(m, p, "tau_m", tau_m);
    set(m, p, "E_L", 0.0);
    set(m, p, "V_reset", 0.0);
    set(m, p, "V_th", 1e9);
    if (single)
      OK(m, hebb_model_set_option(m, p, "precision", "single"));
  }
  set(m, ex, "tau_syn_ex", tau_ex);
  set(m, in, "tau_syn_in", tau_in);
  OK(m, hebb_model_set_spike_times(m, sg, 0, &ts, 1));
  connect(m, sg, ex, HEBB_CONN_ONE_TO_ONE, w, d * dt);
  connect(m, sg, in, HEBB_CONN_ALL_TO_ALL, -w, d * dt);
  OK(m, hebb_model_record_state(m, ex, "V_m", NULL, 0, dt));
  OK(m, hebb_model_record_state(m, ex, "I_syn_ex", NULL, 0, dt));
  OK(m, hebb_model_record_state(m, in, "V_m", NULL, 0, dt));
  OK(m, hebb_model_record_state(m, in, "I_syn_in", NULL, 0, dt));
  hebb_sim *s = build(m, threads);
  size_t n = 0;
  hebb_sample *smp = run_and_take(s, t_end, 4, &n);
  const long k0 = lround(ts / dt) + (long)d; /* the sample step of the jump */
  ck_assert_int_gt((long)(n / 4), k0 + 10);
  for (size_t i = 0; i < n; i += 4) {
    const long k = (long)smp[i].step;
    /* sorted by step, population, index, variable: ex V_m, ex I_syn_ex, in V_m, in I_syn_in */
    ck_assert_uint_eq(smp[i].pop, (uint32_t)ex);
    ck_assert_uint_eq(smp[i].var, 0);
    ck_assert_uint_eq(smp[i + 1].var, 1);
    ck_assert_uint_eq(smp[i + 2].pop, (uint32_t)in);
    ck_assert_uint_eq(smp[i + 3].var, 2);
    if (k < k0) {
      ck_assert_msg(smp[i].value == 0.0 && smp[i + 1].value == 0.0 && smp[i + 2].value == 0.0 &&
                        smp[i + 3].value == 0.0,
                    "step %ld: state moved before the spike arrived (V %g, I %g)", k, smp[i].value,
                    smp[i + 1].value);
      continue;
    }
    const double t = (double)(k - k0) * dt;
    /* single precision really is float state: every sample is a float value */
    if (single)
      ck_assert_msg((double)(float)smp[i].value == smp[i].value &&
                        (double)(float)smp[i + 1].value == smp[i + 1].value,
                    "step %ld: V %.17g is not a float", k, smp[i].value);
    if (k == k0) {
      /* the current has just jumped; V has not moved yet */
      ck_assert_msg(smp[i + 1].value == w && smp[i + 3].value == -w,
                    "step %ld: I_syn_ex %g, I_syn_in %g, expected the jump of +-%g", k,
                    smp[i + 1].value, smp[i + 3].value, w);
      ck_assert_msg(smp[i].value == 0.0 && smp[i + 2].value == 0.0, "step %ld: V %g at the jump", k,
                    smp[i].value);
      continue;
    }
    ASSERT_CLOSE(smp[i].value, psp(w, c, tau_m, tau_ex, t), rel, abs_tol, "V_m (ex)", k);
    ASSERT_CLOSE(smp[i + 1].value, w * exp(-t / tau_ex), rel, abs_tol, "I_syn_ex", k);
    ASSERT_CLOSE(smp[i + 2].value, psp(-w, c, tau_m, tau_in, t), rel, abs_tol, "V_m (in)", k);
    ASSERT_CLOSE(smp[i + 3].value, -w * exp(-t / tau_in), rel, abs_tol, "I_syn_in", k);
  }
  /* the test would be empty if the PSP had vanished: it peaks at several tenths of a mV */
  double peak = 0;
  for (size_t i = 0; i < n; i += 4)
    peak = fmax(peak, smp[i].value);
  ck_assert_double_gt(peak, 0.1);
  free(smp);
  hebb_sim_free(s);
  hebb_model_free(m);
}

static void psc_exp_psp(double dt, double tau_ex, double tau_in, double ts, uint32_t d,
                        double t_end, int threads) {
  psc_exp_psp_prec(dt, tau_ex, tau_in, ts, d, t_end, threads, false);
}

/* precision: single follows the same closed form to float accuracy */
START_TEST(test_psc_exp_psp_single) {
  psc_exp_psp_prec(0.1, 2.0, 5.0, 1.0, 1, 100.0, 1, true);
}
END_TEST

START_TEST(test_psc_exp_psp_dt01) {
  psc_exp_psp(0.1, 2.0, 5.0, 1.0, 1, 100.0, 1);
}
END_TEST

START_TEST(test_psc_exp_psp_dt001) {
  psc_exp_psp(0.01, 2.0, 5.0, 1.0, 1, 60.0, 1);
}
END_TEST

START_TEST(test_psc_exp_psp_dt1) {
  psc_exp_psp(1.0, 2.0, 5.0, 1.0, 1, 150.0, 1);
}
END_TEST

START_TEST(test_psc_exp_psp_delay) {
  /* a longer delay, a later spike, and three partitions (two of them hold one neuron) */
  psc_exp_psp(0.1, 2.0, 5.0, 3.7, 17, 80.0, 3);
}
END_TEST

START_TEST(test_psc_exp_psp_singular) {
  /* tau_syn == tau_m: V = (w/C) t exp(-t/tau) */
  psc_exp_psp(0.1, 10.0, 10.0, 1.0, 1, 150.0, 1);
  psc_exp_psp(1.0, 10.0, 10.0, 2.0, 2, 200.0, 1);
}
END_TEST

START_TEST(test_psc_exp_psp_close_taus) {
  /* tau_syn within 1e-6 ms of tau_m: the expm1 form keeps full precision */
  psc_exp_psp(0.1, 10.0 - 1e-6, 10.0 + 1e-6, 1.0, 1, 100.0, 1);
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* iaf_psc_delta: a jump of J decays as J exp(-t/tau_m) */

START_TEST(test_psc_delta_decay) {
  const double dt = 0.1, tau_m = 10.0, ts = 2.0;
  const double jumps[2] = {2.5, -0.75};
  /* two one-neuron populations, one excitatory and one inhibitory jump, delay 3 steps */
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  int sg = add_pop(m, "sg", "spike_generator", 1);
  int p[2] = {add_pop(m, "a", "iaf_psc_delta", 1), add_pop(m, "b", "iaf_psc_delta", 1)};
  for (int i = 0; i < 2; i++) {
    set(m, p[i], "E_L", 0.0);
    set(m, p[i], "V_reset", 0.0);
    set(m, p[i], "V_th", 1e9);
    set(m, p[i], "tau_m", tau_m);
    connect(m, sg, p[i], HEBB_CONN_ALL_TO_ALL, jumps[i], 0.3);
    OK(m, hebb_model_record_state(m, p[i], "V_m", NULL, 0, dt));
  }
  OK(m, hebb_model_set_spike_times(m, sg, 0, &ts, 1));
  hebb_sim *s = build(m, 1);
  size_t n = 0;
  hebb_sample *smp = run_and_take(s, 100.0, 2, &n);
  const long k0 = lround(ts / dt) + 3; /* V jumps at ts + delay */
  for (size_t i = 0; i < n; i += 2) {
    const long k = (long)smp[i].step;
    for (int j = 0; j < 2; j++) {
      double v = smp[i + (size_t)j].value;
      if (k < k0)
        ck_assert_msg(v == 0.0, "step %ld: V %g before the input arrived", k, v);
      else if (k == k0)
        ck_assert_msg(v == jumps[j], "step %ld: V %.17g, expected the jump %g", k, v, jumps[j]);
      else
        ASSERT_CLOSE(v, jumps[j] * exp(-(double)(k - k0) * dt / tau_m), 1e-12, 1e-15,
                     "iaf_psc_delta V_m", k);
    }
  }
  free(smp);
  hebb_sim_free(s);
  hebb_model_free(m);
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* N2: f-I curve of iaf_psc_exp */

/* For each I_e, a NEST-default iaf_psc_exp neuron (E_L -70, V_th -55, V_reset -70, tau_m 10,
 * C 250, t_ref 2) driven by I_e alone. Relative to E_L, V(t) = R I (1 - exp(-t/tau_m)) from
 * V = 0, so the threshold Theta = 15 mV is reached after t* = tau_m ln(R I / (R I - Theta)),
 * R = tau_m / C. On the grid V is tested at the ends of steps: the first spike is stamped
 * j dt with j = ceil(t* / dt); after it V is clamped for r = t_ref/dt steps and restarts from
 * V_reset = 0, so every later interval is r + j steps (analytic t_ref + t*, within dt). */
static void fi_curve(double dt, double t_end) {
  const double currents[] = {400.0, 500.0, 600.0, 800.0, 1000.0, 2000.0, 370.0, 374.0};
  const int nc = (int)(sizeof currents / sizeof currents[0]);
  const double tau_m = 10.0, c = 250.0, theta = 15.0, t_ref = 2.0;
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  int pop[8];
  for (int i = 0; i < nc; i++) {
    char name[16];
    snprintf(name, sizeof name, "n%d", i);
    pop[i] = add_pop(m, name, "iaf_psc_exp", 1);
    set(m, pop[i], "I_e", currents[i]);
    OK(m, hebb_model_record_spikes(m, pop[i]));
  }
  hebb_sim *s = build(m, 2);
  ck_assert_int_eq(hebb_sim_run_until(s, t_end), 0);
  hebb_spike *sp = NULL;
  size_t nsp = 0;
  ck_assert_int_eq(hebb_sim_take_spikes(s, &sp, &nsp), 0);
  const long steps = lround(t_end / dt), r = lround(t_ref / dt);
  size_t total = 0;
  for (int i = 0; i < nc; i++) {
    const double ri = tau_m / c * currents[i];
    uint64_t count = hebb_sim_population_spikes(s, pop[i]);
    if (ri <= theta) {
      ck_assert_msg(count == 0, "I_e = %g pA is below rheobase (375 pA) but gave %llu spikes",
                    currents[i], (unsigned long long)count);
      continue;
    }
    const double tstar = tau_m * log(ri / (ri - theta));
    const double x = tstar / dt;
    long j = (long)ceil(x);
    /* exactly on the grid, rounding decides: not for the currents used here */
    ck_assert_msg(fabs(x - round(x)) > 1e-6, "t* / dt = %.12g is too close to an integer", x);
    const long expected = (steps - j) / (r + j) + 1;
    ck_assert_msg((long)count == expected, "I_e = %g pA: %llu spikes in %g ms, expected %ld",
                  currents[i], (unsigned long long)count, t_end, expected);
    /* every spike at its step: j, j + (r + j), j + 2 (r + j), ... */
    long nth = 0, last = 0;
    for (size_t q = 0; q < nsp; q++) {
      if (sp[q].pop != (uint32_t)pop[i])
        continue;
      const long want = j + nth * (r + j);
      ck_assert_msg((long)sp[q].step == want, "I_e = %g pA: spike %ld at step %llu, expected %ld",
                    currents[i], nth, (unsigned long long)sp[q].step, want);
      if (nth > 0) {
        /* the measured interval lies within one step of the analytic one */
        const double isi = (double)(sp[q].step - (uint64_t)last) * dt;
        ck_assert_msg(fabs(isi - (t_ref + tstar)) < dt, "I_e = %g pA: ISI %g ms, analytic %g ms",
                      currents[i], isi, t_ref + tstar);
      }
      last = (long)sp[q].step;
      nth++;
    }
    ck_assert_int_eq(nth, expected);
    total += (size_t)nth;
    /* and the rate over the run matches 1/(t_ref + t*) to within the quantisation */
    const double rate = 1000.0 * (double)(count - 1) / (double)((last - j) * dt);
    const double rate_an = 1000.0 / (t_ref + tstar);
    ck_assert_msg(fabs(1000.0 / rate - 1000.0 / rate_an) < dt, "I_e = %g pA: rate %g Hz vs %g Hz",
                  currents[i], rate, rate_an);
  }
  ck_assert_uint_eq(total, nsp);
  free(sp);
  hebb_sim_free(s);
  hebb_model_free(m);
}

START_TEST(test_fi_curve_dt01) {
  fi_curve(0.1, 2000.0);
}
END_TEST

START_TEST(test_fi_curve_dt0025) {
  fi_curve(0.025, 2000.0);
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* iaf_cond_exp: relaxation to E_L without input */

static void cond_relax(const char *integrator) {
  const double dt = 0.1, c = 250.0, g_l = 16.6667, e_l = -60.0, v0 = -70.0;
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  int p = add_pop(m, "n", "iaf_cond_exp", 1);
  set(m, p, "E_L", e_l);
  set(m, p, "V_th", 1e9);
  OK(m, hebb_model_set_option(m, p, "integrator", integrator));
  OK(m, hebb_model_set_initial(m, p, "V_m", hebb_dist_const(v0)));
  OK(m, hebb_model_record_state(m, p, "V_m", NULL, 0, dt));
  hebb_sim *s = build(m, 1);
  size_t n = 0;
  hebb_sample *smp = run_and_take(s, 200.0, 1, &n);
  double v = v0;
  for (size_t i = 0; i < n; i++) {
    const size_t k = smp[i].step;
    if (strcmp(integrator, "euler") == 0) {
      v = v + dt / c * (g_l * (e_l - v));
      ck_assert_msg(smp[i].value == v, "euler, step %zu: V %.17g, recursion %.17g", k, smp[i].value,
                    v);
    } else {
      ASSERT_CLOSE(smp[i].value, e_l + (v0 - e_l) * exp(-(double)k * dt * g_l / c), 1e-12, 0,
                   "exp_euler V_m", k);
    }
  }
  /* it did relax: after 200 ms (13 time constants) V is within 1e-4 mV of E_L */
  ck_assert_double_lt(fabs(smp[n - 1].value - e_l), 1e-4);
  ck_assert_double_gt(fabs(smp[0].value - v0), 0.01);
  free(smp);
  hebb_sim_free(s);
  hebb_model_free(m);
}

START_TEST(test_cond_exp_relax_exp_euler) {
  cond_relax("exp_euler");
}
END_TEST

START_TEST(test_cond_exp_relax_euler) {
  cond_relax("euler");
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* dc_generator */

/* A dc_generator (amplitude A, start, stop) projected with weight W and a delay of D steps
 * onto an iaf_psc_exp neuron. engine/sim.c (add_dc, apply_dc) turns it into a current
 * A W that is on during the steps [on, off) with
 *     on  = round(start/dt) + D - 1,   off = round(stop/dt) + D - 1,
 * i.e. the current drives the membrane over the interval (start + (D-1) dt, stop + (D-1) dt]:
 * V first leaves rest in the sample at start + D dt, and last rises in the sample at
 * stop + (D-1) dt. With V relative to E_L = 0 and R = tau_m / C:
 *     V(k dt) = 0                                           for k <= on,
 *               R A W (1 - exp(-(k - on) dt / tau_m))       for on < k <= off,
 *               V(off dt) exp(-(k - off) dt / tau_m)        for k > off.
 * With D = 1 this is NEST's convention for current generators (stimulation_device.h): the
 * current first affects the step (start, start + h] and last the step (stop - h, stop]; a
 * longer delay shifts both by (D - 1) h. */
START_TEST(test_dc_generator) {
  const double dt = 0.1, amp = 200.0, start = 10.0, stop = 30.0, tau_m = 10.0, c = 250.0;
  const double weight[2] = {1.0, 0.5};
  const uint32_t delay[2] = {1, 5};
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  int dc = add_pop(m, "dc", "dc_generator", 1);
  set(m, dc, "amplitude", amp);
  set(m, dc, "start", start);
  set(m, dc, "stop", stop);
  int p[2];
  for (int i = 0; i < 2; i++) {
    char name[8];
    snprintf(name, sizeof name, "n%d", i);
    p[i] = add_pop(m, name, "iaf_psc_exp", 1);
    set(m, p[i], "E_L", 0.0);
    set(m, p[i], "V_reset", 0.0);
    set(m, p[i], "V_th", 1e9);
    connect(m, dc, p[i], HEBB_CONN_ALL_TO_ALL, weight[i], delay[i] * dt);
    OK(m, hebb_model_record_state(m, p[i], "V_m", NULL, 0, dt));
  }
  hebb_sim *s = build(m, 2);
  size_t n = 0;
  hebb_sample *smp = run_and_take(s, 80.0, 2, &n);
  for (int i = 0; i < 2; i++) {
    const long on = lround(start / dt) + (long)delay[i] - 1;
    const long off = lround(stop / dt) + (long)delay[i] - 1;
    const double va = tau_m / c * amp * weight[i];
    const double v_off = va * -expm1(-(double)(off - on) * dt / tau_m);
    for (size_t q = (size_t)i; q < n; q += 2) {
      const long k = (long)smp[q].step;
      const double v = smp[q].value;
      if (k <= on)
        ck_assert_msg(v == 0.0, "n%d step %ld: V %g before the current is on (on = %ld)", i, k, v,
                      on);
      else if (k <= off)
        ASSERT_CLOSE(v, va * -expm1(-(double)(k - on) * dt / tau_m), 1e-12, 0, "dc rising", k);
      else
        ASSERT_CLOSE(v, v_off * exp(-(double)(k - off) * dt / tau_m), 1e-12, 0, "dc decay", k);
    }
  }
  free(smp);
  hebb_sim_free(s);
  hebb_model_free(m);
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* Refractoriness */

/* An iaf_psc_exp neuron driven hard by I_e (1000 pA) spikes repeatedly. A spike recorded at
 * step s was detected at the end of step s - 1, where V was set to V_reset; V must then stay
 * at V_reset for exactly r = round(t_ref/dt) further steps (samples s + 1 .. s + r) and move
 * in the sample s + r + 1, by exactly one propagation step from V_reset. */
static void refractory(double t_ref, long r_expected) {
  const double dt = 0.1, e_l = -70.0, v_reset = -65.0, i_e = 1000.0, tau_m = 10.0, c = 250.0;
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  int p = add_pop(m, "n", "iaf_psc_exp", 1);
  set(m, p, "V_reset", v_reset);
  set(m, p, "t_ref", t_ref);
  set(m, p, "I_e", i_e);
  OK(m, hebb_model_record_spikes(m, p));
  OK(m, hebb_model_record_state(m, p, "V_m", NULL, 0, dt));
  hebb_sim *s = build(m, 1);
  size_t n = 0;
  hebb_sample *smp = run_and_take(s, 100.0, 1, &n);
  hebb_spike *sp = NULL;
  size_t nsp = 0;
  ck_assert_int_eq(hebb_sim_take_spikes(s, &sp, &nsp), 0);
  ck_assert_uint_ge(nsp, 5);
  const double p22 = exp(-dt / tau_m), p20 = tau_m / c * -expm1(-dt / tau_m);
  const double v_first = e_l + p22 * (v_reset - e_l) + p20 * i_e;
  size_t checked = 0;
  for (size_t q = 0; q < nsp; q++) {
    const size_t st = sp[q].step; /* samples are indexed by step - 1 */
    if (st + (size_t)r_expected + 1 > n)
      break;
    for (long k = 0; k <= r_expected; k++)
      ck_assert_msg(smp[st - 1 + (size_t)k].value == v_reset,
                    "t_ref %g: spike at step %zu, sample %ld steps later is %.17g, expected "
                    "V_reset while refractory (%ld steps)",
                    t_ref, st, k, smp[st - 1 + (size_t)k].value, r_expected);
    const double v = smp[st + (size_t)r_expected].value;
    ASSERT_CLOSE(v, v_first, 1e-13, 0, "first step after refractoriness", st + r_expected + 1);
    if (q + 1 < nsp)
      ck_assert_uint_gt(sp[q + 1].step, st + (size_t)r_expected + 1);
    checked++;
  }
  ck_assert_uint_ge(checked, 4);
  free(sp);
  free(smp);
  hebb_sim_free(s);
  hebb_model_free(m);
}

START_TEST(test_refractory) {
  refractory(2.0, 20);
  refractory(2.04, 20); /* rounded to the nearest step */
  refractory(2.06, 21);
  refractory(0.5, 5);
  refractory(0.0, 0);
}
END_TEST

static Suite *neuron_suite(void) {
  Suite *s = suite_create("neuron");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_psc_exp_psp_dt01);
  tcase_add_test(tc, test_psc_exp_psp_single);
  tcase_add_test(tc, test_psc_exp_psp_dt001);
  tcase_add_test(tc, test_psc_exp_psp_dt1);
  tcase_add_test(tc, test_psc_exp_psp_delay);
  tcase_add_test(tc, test_psc_exp_psp_singular);
  tcase_add_test(tc, test_psc_exp_psp_close_taus);
  tcase_add_test(tc, test_psc_delta_decay);
  tcase_add_test(tc, test_fi_curve_dt01);
  tcase_add_test(tc, test_fi_curve_dt0025);
  tcase_add_test(tc, test_cond_exp_relax_exp_euler);
  tcase_add_test(tc, test_cond_exp_relax_euler);
  tcase_add_test(tc, test_dc_generator);
  tcase_add_test(tc, test_refractory);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(neuron_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

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
 *
 * Hidden layers (engine/feedback.c): a hidden layer between the inputs and two outputs
 * learns from the error fed back to it, err_k(n) = sum_i B_ki r_i(n - D), for uniform,
 * symmetric and random feedback; its weights after every step are compared with the same
 * independent computation, on the recorded output spikes and, for symmetric feedback, the
 * recorded forward weights at the end of the error's epoch. The same on 1, 2 and 3
 * threads; random B looks like N(0, scale^2).
 */
#include "harness.h"
#include "hebb.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
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

/* ---- hidden layer ------------------------------------------------------------------------
 *
 * HPRE spike generators -> 2 hidden iaf_psc_exp neurons -> 2 output neurons with target
 * trains, superspike on both projections (so that the forward weights, and with them
 * symmetric feedback, change), and a feedback from the outputs to the hidden layer. Drives
 * make the hidden and output neurons spike once at chosen times (tau_syn_ex 0.5 ms: the
 * drive's current is gone within the refractory time). The smallest delay (the drives') is
 * 0.3 ms, so an epoch is 3 steps; the feedback delay is 0.8 ms (8 steps, not a multiple of
 * the epoch). The weights learn every 2 ms (20 steps), at steps 19, 39, 59, ..., which fall
 * on every position within an epoch; targets at 29.8, 31.7 and 34 ms (steps 297, 316, 339;
 * again 600 steps later) lie in or just before the epochs of the updates at steps 299, 319
 * and 339, where the forward weights at the end of the error's epoch differ from those after
 * the error's own step and from those at the end of the epoch before or after it. At 34 ms
 * both outputs have a target (two terms in one step's sum); at 10.7 ms output 0's driven
 * spike meets its target (no error in that step). */
#define HPRE 3
#define NHID 2
#define NOUT 2
#define H_DT 0.1
#define H_END 120.0
#define H_EPOCH 3   /* steps: the drives' delay */
#define H_DELAY 8   /* steps: the feedback's delay */
#define H_PERIOD 20 /* steps: the rule's period */
#define H_TPERIOD 60.0
#define H_ETA 1.0    /* pA */
#define H_WMAX 100.0 /* pA */
static const double hpre_t[HPRE][8] = {{3.0, 11.0, 26.0, 41.0, 58.0, 77.0, 96.0, 108.5},
                                       {5.5, 9.0, 28.0, 44.5, 60.0, 88.0, 101.0, 113.0},
                                       {1.0, 20.0, 35.0, 52.0, 71.0, 90.5, 99.0, 116.0}};
static const double hdrive_t[NHID][5] = {{6.0, 21.0, 36.5, 70.0, 95.0},
                                         {7.5, 25.0, 44.0, 81.0, 103.0}};
static const double odrive_t[NOUT][6] = {{10.0, 20.0, 45.0, 66.0, 78.0, 88.0},
                                         {18.0, 24.0, 40.0, 72.5, 84.0, 99.0}};
static const double otarget_t[NOUT][5] = {{5.5, 10.7, 29.8, 34.0, 48.2},
                                          {13.3, 31.7, 34.0, 52.6, 58.0}};

typedef struct {
  float *w_in;           /* hidden projection: [(step * HPRE + j) * NHID + k] */
  float *w_out;          /* forward projection: [(step * NHID + k) * NOUT + i] */
  double *v;             /* hidden potentials: [step * NHID + k] */
  uint8_t *spk_o;        /* output spikes: [step * NOUT + i] */
  size_t nspk_h;         /* hidden spikes */
  double B[NHID * NOUT]; /* hebb_sim_feedback_matrix at the end */
  size_t nsteps;
} hid_run;

/* Frees what run_hidden allocated. */
static void hid_free(hid_run *r) {
  free(r->w_in);
  free(r->w_out);
  free(r->v);
  free(r->spk_o);
}

/* N iaf_psc_exp neurons with the reference parameters, except a fast excitatory current
 * (0.5 ms), so that a drive makes one spike. */
static int iaf_layer(hebb_model *m, const char *name, uint32_t n) {
  int pop;
  OK(m, hebb_model_add_population(m, name, "iaf_psc_exp", n, &pop));
  const char *pn[] = {"C_m",   "tau_m", "tau_syn_ex", "tau_syn_in",
                      "t_ref", "E_L",   "V_reset",    "V_th"};
  const double pv[] = {250.0, 10.0, 0.5, 5.0, 2.0, -60.0, -60.0, -50.0};
  for (size_t i = 0; i < COUNT(pn); i++)
    OK(m, hebb_model_set_param(m, pop, pn[i], pv[i]));
  return pop;
}

/* N spike generators, neuron j firing at T[j * STRIDE .. j * STRIDE + COUNT). */
static int generators(hebb_model *m, const char *name, uint32_t n, const double *t, size_t stride,
                      size_t count) {
  int pop;
  OK(m, hebb_model_add_population(m, name, "spike_generator", n, &pop));
  for (uint32_t j = 0; j < n; j++)
    OK(m, hebb_model_set_spike_times(m, pop, j, t + j * stride, count));
  return pop;
}

/* An all-to-all superspike projection (weights U(-10, 20) pA, eta H_ETA, Wmax H_WMAX, an
 * update every H_PERIOD steps), its weights recorded every step; returns its id. */
static int ss_projection(hebb_model *m, const char *name, int src, int tgt, double delay_ms) {
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = src;
  s.target = tgt;
  s.rule = HEBB_CONN_ALL_TO_ALL;
  s.weight = (hebb_dist){HEBB_DIST_UNIFORM, -10.0, 20.0, 0, 0};
  s.delay_ms = hebb_dist_const(delay_ms);
  s.receptor = HEBB_RECEPTOR_EXCITATORY;
  s.name = name;
  int proj;
  OK(m, hebb_model_add_projection(m, &s, &proj));
  const char *names[] = {"tau_syn", "tau_mem", "tau_rise", "tau_decay", "beta",   "theta",
                         "v_min",   "eta",     "epsilon",  "tau_rms",   "period", "Wmax"};
  const double values[] = {P.tau_syn, P.tau_mem, P.tau_rise, P.tau_decay, P.beta,          P.theta,
                           P.v_min,   H_ETA,     P.eps,      P.tau_rms,   H_PERIOD * H_DT, H_WMAX};
  set_rule_params(m, proj, "superspike", names, values, COUNT(names));
  OK(m, hebb_model_record_weights(m, proj, H_DT));
  return proj;
}

/* A drive: each spike of SRC makes its partner in TGT spike once, soon after. Its delay is
 * the network's smallest: it sets the epoch. */
static void one_to_one_drive(hebb_model *m, int src, int tgt) {
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = src;
  s.target = tgt;
  s.rule = HEBB_CONN_ONE_TO_ONE;
  s.weight = hebb_dist_const(10000.0);
  s.delay_ms = hebb_dist_const(H_EPOCH * H_DT);
  OK(m, hebb_model_add_projection(m, &s, NULL));
}

/* Runs the hidden-layer network for H_END ms on THREADS threads with feedback KIND. */
static hid_run run_hidden(hebb_feedback_kind kind, double scale, int threads) {
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, H_DT));
  int hid = iaf_layer(m, "hid", NHID), out = iaf_layer(m, "out", NOUT);
  for (uint32_t i = 0; i < NOUT; i++)
    OK(m, hebb_model_set_target(m, out, i, otarget_t[i], COUNT(otarget_t[i]), H_TPERIOD));
  int pre = generators(m, "pre", HPRE, hpre_t[0], COUNT(hpre_t[0]), COUNT(hpre_t[0]));
  int dh = generators(m, "dh", NHID, hdrive_t[0], COUNT(hdrive_t[0]), COUNT(hdrive_t[0]));
  int dout = generators(m, "dout", NOUT, odrive_t[0], COUNT(odrive_t[0]), COUNT(odrive_t[0]));
  one_to_one_drive(m, dh, hid);
  one_to_one_drive(m, dout, out);
  int pin = ss_projection(m, "ss_in", pre, hid, 1.0);
  int pout = ss_projection(m, "ss_out", hid, out, 0.5);
  int fb;
  OK(m, hebb_model_add_feedback(m, "fb", out, hid, kind, H_DELAY * H_DT, scale, &fb));
  OK(m, hebb_model_record_spikes(m, out));
  OK(m, hebb_model_record_spikes(m, hid));
  OK(m, hebb_model_record_state(m, hid, "V_m", NULL, 0, H_DT));
  hebb_sim *sim = start_sim(m, threads);
  ck_assert_int_eq(hebb_sim_run_until(sim, H_END), 0);
  hid_run r = {0};
  const size_t T = r.nsteps = (size_t)llround(H_END / H_DT);
  r.w_in = calloc(T * HPRE * NHID, sizeof *r.w_in);
  r.w_out = calloc(T * NHID * NOUT, sizeof *r.w_out);
  r.v = calloc(T * NHID, sizeof *r.v);
  r.spk_o = calloc(T * NOUT, 1);
  hebb_synapse *w;
  size_t nw, nin = 0, nout = 0;
  ck_assert_int_eq(hebb_sim_take_weights(sim, &w, &nw), 0);
  for (size_t x = 0; x < nw; x++)
    if ((int)w[x].proj == pin) {
      r.w_in[((w[x].step - 1) * HPRE + w[x].source) * NHID + w[x].target] = w[x].weight;
      nin++;
    } else if ((int)w[x].proj == pout) {
      r.w_out[((w[x].step - 1) * NHID + w[x].source) * NOUT + w[x].target] = w[x].weight;
      nout++;
    }
  ck_assert_uint_eq(nin, T * HPRE * NHID);
  ck_assert_uint_eq(nout, T * NHID * NOUT);
  free(w);
  hebb_sample *sm;
  size_t ns;
  ck_assert_int_eq(hebb_sim_take_samples(sim, &sm, &ns), 0);
  ck_assert_uint_eq(ns, T * NHID);
  for (size_t x = 0; x < ns; x++)
    r.v[(sm[x].step - 1) * NHID + sm[x].index] = sm[x].value;
  free(sm);
  hebb_spike *sp;
  ck_assert_int_eq(hebb_sim_take_spikes(sim, &sp, &ns), 0);
  for (size_t x = 0; x < ns; x++)
    if ((int)sp[x].pop == out)
      r.spk_o[(sp[x].step - 1) * NOUT + sp[x].index]++;
    else
      r.nspk_h++;
  free(sp);
  ck_assert_int_eq(hebb_sim_feedback_matrix(sim, fb, r.B), 0);
  hebb_sim_free(sim);
  hebb_model_free(m);
  return r;
}

/* Which forward weights the reference sends the error of step s back through (symmetric
 * feedback): those at the end of s's epoch (what the engine promises), or, to show that the
 * test tells them apart, those after step s, at the end of the epoch before, or at the end
 * of the epoch after. */
typedef enum { AT_EPOCH_END, AT_STEP, AT_EPOCH_BEFORE, AT_EPOCH_AFTER } b_when;

static size_t b_step(size_t s, b_when when) {
  size_t end = (s / H_EPOCH + 1) * H_EPOCH - 1;
  switch (when) {
  case AT_STEP:
    return s;
  case AT_EPOCH_BEFORE:
    return end < H_EPOCH ? 0 : end - H_EPOCH; /* no update before step 19 */
  case AT_EPOCH_AFTER:
    return end + H_EPOCH; /* recorded: s is at most the last step - H_DELAY */
  default:
    return end;
  }
}

/* The raw error of output neuron i in step s: target spikes minus own spikes. */
static double raw_error(const hid_run *r, size_t s, uint32_t i) {
  const size_t tperiod = (size_t)llround(H_TPERIOD / H_DT);
  double tgt = 0.0;
  for (size_t a = 0; a < COUNT(otarget_t[i]); a++)
    if ((size_t)llround(otarget_t[i][a] / H_DT) - 1 == s % tperiod)
      tgt += 1.0;
  return tgt - (double)r->spk_o[s * NOUT + i];
}

typedef struct {
  size_t nerr;     /* steps with a non-zero hidden error */
  size_t up, down; /* weight changes of the hidden projection */
  size_t bad;      /* steps at which a recorded weight differs from the reference */
  char first[200]; /* the first difference */
} hid_check;

/* The hidden projection's weights after every step, computed from the recorded hidden
 * potentials, output spikes and targets, and B (for symmetric feedback: SCALE times the
 * recorded forward weights at the step b_step(s, WHEN), else R's feedback matrix), with the
 * error of step s arriving D steps later; compared with the recorded weights. The rule's
 * per-step algorithm is test_trajectory's, with the error err_k(n) = sum_i B_ki r_i(n - D)
 * (ascending i) in place of target minus own spikes. */
static hid_check hidden_replay(const hid_run *r, hebb_feedback_kind kind, double scale, size_t D,
                               b_when when) {
  hid_check c = {0};
  const size_t T = r->nsteps;
  double pval[HPRE] = {0}, q[HPRE] = {0};
  uint64_t plast[HPRE] = {0};
  float w[HPRE][NHID], lt[HPRE][NHID] = {{0}}, l[HPRE][NHID] = {{0}}, mm[HPRE][NHID] = {{0}},
                       vv[HPRE][NHID] = {{0}};
  for (int j = 0; j < HPRE; j++)
    for (int k = 0; k < NHID; k++)
      w[j][k] = r->w_in[j * NHID + k]; /* after step 0: the first update is at step 19 */
  double et[NHID] = {0}, e[NHID] = {0};
  const double ts = P.tau_syn / H_DT, rise = exp(-H_DT / P.tau_rise), kd = H_DT / P.tau_decay;
  for (size_t n = 0; n < T; n++) {
    double t = (double)(n + 1) * H_DT;
    for (int j = 0; j < HPRE; j++) {
      for (size_t a = 0; a < COUNT(hpre_t[j]); a++)
        if (fabs(hpre_t[j][a] + 1.0 - t) < 1e-9) {
          pval[j] = pval[j] * exp(-(double)(n - plast[j]) / ts) + 1.0;
          plast[j] = n;
        }
      double p = pval[j] * exp(-(double)(n - plast[j]) / ts);
      q[j] += H_DT / P.tau_mem * (p - q[j]);
    }
    double err[NHID] = {0};
    if (n >= D) {
      size_t s = n - D, at = b_step(s, when);
      for (uint32_t i = 0; i < NOUT; i++) {
        double ri = raw_error(r, s, i);
        if (ri == 0.0)
          continue;
        for (int k = 0; k < NHID; k++) {
          double b = kind == HEBB_FEEDBACK_SYMMETRIC
                         ? scale * (double)r->w_out[(at * NHID + k) * NOUT + i]
                         : r->B[k * NOUT + i];
          err[k] += b * ri;
        }
      }
    }
    c.nerr += err[0] != 0.0 || err[1] != 0.0;
    for (int k = 0; k < NHID; k++) {
      et[k] = et[k] * rise + err[k];
      e[k] += kd * (et[k] - e[k]);
      double sg = surrogate(r->v[n * NHID + k]);
      for (int j = 0; j < HPRE; j++) {
        double a = lt[j][k];
        if (q[j] > 1e-7)
          a += sg * q[j];
        double b = (double)l[j][k] + kd * (a - (double)l[j][k]);
        l[j][k] = (float)b;
        lt[j][k] = (float)(a * rise);
        if (fabs(e[k]) >= 1e-7)
          mm[j][k] = (float)((double)mm[j][k] + e[k] * b);
      }
    }
    if ((n + 1) % H_PERIOD == 0)
      for (int j = 0; j < HPRE; j++)
        for (int k = 0; k < NHID; k++) {
          double g = (double)mm[j][k] / H_PERIOD;
          double v = exp(-H_PERIOD * H_DT / P.tau_rms) * (double)vv[j][k];
          if (g * g > v)
            v = g * g;
          vv[j][k] = (float)v;
          double nw = (double)w[j][k] + H_ETA * g / (sqrt((double)vv[j][k]) + P.eps);
          nw = nw < -H_WMAX ? -H_WMAX : nw > H_WMAX ? H_WMAX : nw;
          c.up += (float)nw > w[j][k];
          c.down += (float)nw < w[j][k];
          w[j][k] = (float)nw;
          mm[j][k] = 0.0f;
        }
    bool same = true;
    for (int j = 0; j < HPRE; j++)
      for (int k = 0; k < NHID; k++) {
        double got = r->w_in[(n * HPRE + j) * NHID + k], want = w[j][k];
        if (same && !(fabs(got - want) <= 1e-12 * fabs(want))) {
          if (!c.bad)
            snprintf(c.first, sizeof c.first,
                     "step %zu (t = %g ms), synapse %d -> %d: weight %.9g, reference %.9g", n, t, j,
                     k, got, want);
          same = false;
        }
      }
    c.bad += !same;
  }
  return c;
}

/* The kinds of feedback the hidden-layer tests loop over, each with its scale. */
static const struct {
  hebb_feedback_kind kind;
  double scale;
  const char *name;
} HIDDEN[] = {{HEBB_FEEDBACK_UNIFORM, 0.7, "uniform"},
              {HEBB_FEEDBACK_SYMMETRIC, 1.3, "symmetric"},
              {HEBB_FEEDBACK_RANDOM, 1.0, "random"}};

/* The hidden layer's weights after every step, for each kind of feedback. */
START_TEST(test_hidden_trajectory) {
  const hebb_feedback_kind kind = HIDDEN[_i].kind;
  const double scale = HIDDEN[_i].scale;
  const char *name = HIDDEN[_i].name;
  hid_run r = run_hidden(kind, scale, 1);
  const size_t T = r.nsteps;
  /* B: uniform is SCALE exactly; random is fixed and not constant; symmetric is the scaled
   * forward weights now */
  for (int x = 0; x < NHID * NOUT; x++) {
    if (kind == HEBB_FEEDBACK_UNIFORM)
      ck_assert_double_eq(r.B[x], scale);
    if (kind == HEBB_FEEDBACK_SYMMETRIC)
      ck_assert_double_eq(r.B[x], scale * (double)r.w_out[(T - 1) * NHID * NOUT + x]);
    if (kind == HEBB_FEEDBACK_RANDOM)
      for (int y = 0; y < x; y++)
        ck_assert_double_ne(r.B[x], r.B[y]);
  }
  /* the forward weights learn (so that symmetric B moves) */
  size_t fwd = 0;
  for (size_t n = 1; n < T; n++)
    fwd += memcmp(r.w_out + n * NHID * NOUT, r.w_out + (n - 1) * NHID * NOUT,
                  NHID * NOUT * sizeof *r.w_out) != 0;
  ck_assert_uint_ge(fwd, 20);
  ck_assert_uint_ge(r.nspk_h, 8);
  ck_assert_uint_eq(r.spk_o[106 * NOUT], 1); /* 10.7 ms: output 0's spike meets its target */
  ck_assert_double_eq(raw_error(&r, 106, 0), 0.0);

  hid_check c = hidden_replay(&r, kind, scale, H_DELAY, AT_EPOCH_END);
  ck_assert_msg(c.bad == 0, "%s feedback: %zu steps differ, first at %s", name, c.bad, c.first);
  /* the protocol exercises the rule: hidden errors, updates in both directions */
  ck_assert_uint_ge(c.nerr, 20);
  ck_assert_uint_ge(c.up, 20);
  ck_assert_uint_ge(c.down, 20);
  /* and tells a wrong delay or (symmetric) the wrong forward weights from the right ones */
  hid_check d1 = hidden_replay(&r, kind, scale, H_DELAY - 1, AT_EPOCH_END);
  hid_check d2 = hidden_replay(&r, kind, scale, H_DELAY + 1, AT_EPOCH_END);
  ck_assert_msg(d1.bad > 0 && d2.bad > 0, "%s: delay %d or %d steps match too", name, H_DELAY - 1,
                H_DELAY + 1);
  if (kind == HEBB_FEEDBACK_SYMMETRIC)
    for (b_when when = AT_STEP; when <= AT_EPOCH_AFTER; when++) {
      hid_check x = hidden_replay(&r, kind, scale, H_DELAY, when);
      ck_assert_msg(x.bad > 0, "symmetric: forward weights chosen by rule %d match too", (int)when);
    }
  hid_free(&r);
}
END_TEST

/* The same hidden and output weights and the same B on 1, 2 and 3 threads, for each kind
 * of feedback (symmetric feedback reads forward weights that other partitions publish). */
START_TEST(test_hidden_threads) {
  const hebb_feedback_kind kind = HIDDEN[_i].kind;
  hid_run a = run_hidden(kind, HIDDEN[_i].scale, 1);
  for (int threads = 2; threads <= 3; threads++) {
    hid_run b = run_hidden(kind, HIDDEN[_i].scale, threads);
    ck_assert_msg(memcmp(a.B, b.B, sizeof a.B) == 0, "%s, %d threads: B", HIDDEN[_i].name, threads);
    ck_assert_msg(memcmp(a.w_in, b.w_in, a.nsteps * HPRE * NHID * sizeof *a.w_in) == 0,
                  "%s, %d threads: hidden weights", HIDDEN[_i].name, threads);
    ck_assert_msg(memcmp(a.w_out, b.w_out, a.nsteps * NHID * NOUT * sizeof *a.w_out) == 0,
                  "%s, %d threads: output weights", HIDDEN[_i].name, threads);
    hid_free(&b);
  }
  hid_free(&a);
}
END_TEST

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Random feedback: B_ki ~ N(0, SCALE^2), one draw per pair, the same on any thread count.
 * 80 hidden x 60 output neurons, 4800 draws: the mean within 4 standard errors of 0
 * (1.3 / sqrt(4800) = 0.019), the variance within 4.3 of 1.69 (sd 0.035), the fraction
 * within one SCALE of 0 within 4.5 of 0.6827 (sd 0.0067); no two draws equal. */
START_TEST(test_random_feedback_matrix) {
  enum { KH = 80, KO = 60 };
  const double scale = 1.3;
  double *B[2];
  for (int v = 0; v < 2; v++) {
    hebb_model *m = hebb_model_new();
    OK(m, hebb_model_set_dt(m, H_DT));
    int hid = iaf_layer(m, "hid", KH), out = iaf_layer(m, "out", KO);
    OK(m, hebb_model_set_target(m, out, 0, otarget_t[0], COUNT(otarget_t[0]), H_TPERIOD));
    int pre = generators(m, "pre", 1, hpre_t[0], 0, COUNT(hpre_t[0]));
    ss_projection(m, "ss_in", pre, hid, 1.0);
    int fb;
    OK(m, hebb_model_add_feedback(m, "fb", out, hid, HEBB_FEEDBACK_RANDOM, 0.0, scale, &fb));
    hebb_sim *sim = start_sim(m, v ? 3 : 1);
    B[v] = malloc(KH * KO * sizeof *B[v]);
    ck_assert_int_eq(hebb_sim_feedback_matrix(sim, fb, B[v]), 0);
    hebb_sim_free(sim);
    hebb_model_free(m);
  }
  ck_assert(memcmp(B[0], B[1], KH * KO * sizeof *B[0]) == 0);
  double sum = 0.0, sq = 0.0;
  size_t inside = 0;
  for (int x = 0; x < KH * KO; x++) {
    sum += B[0][x];
    sq += B[0][x] * B[0][x];
    inside += fabs(B[0][x]) < scale;
  }
  const double n = KH * KO, mean = sum / n, var = sq / n - mean * mean;
  ck_assert_msg(fabs(mean) < 0.075, "mean %g", mean);
  ck_assert_msg(fabs(var - scale * scale) < 0.15, "variance %g, expected %g", var, scale * scale);
  ck_assert_msg(fabs((double)inside / n - 0.6827) < 0.03, "fraction within one scale %g",
                (double)inside / n);
  double *sorted = malloc(KH * KO * sizeof *sorted);
  memcpy(sorted, B[0], KH * KO * sizeof *sorted);
  qsort(sorted, KH * KO, sizeof *sorted, cmp_double);
  for (int x = 1; x < KH * KO; x++)
    ck_assert_double_ne(sorted[x], sorted[x - 1]);
  free(sorted);
  free(B[0]);
  free(B[1]);
}
END_TEST

int main(void) {
  Suite *s = suite_create("superspike");
  TCase *tc = tcase_create("superspike");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_surrogate_shape);
  tcase_add_test(tc, test_trajectory);
  tcase_add_test(tc, test_threads);
  tcase_add_loop_test(tc, test_hidden_trajectory, 0, (int)COUNT(HIDDEN));
  tcase_add_loop_test(tc, test_hidden_threads, 0, (int)COUNT(HIDDEN));
  tcase_add_test(tc, test_random_feedback_matrix);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* neuron.c - neuron and stimulus model tables and their update kernels. See neuron.h. */
#include "neuron.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Parameter tables: NEST's names, units and defaults. The order fixes the PSC_*, DELTA_*,
 * COND_* indices of neuron.h. */
static const hebb_nm_entry psc_exp_params[] = {
    {"C_m", "pF", 250.0},      {"tau_m", "ms", 10.0}, {"tau_syn_ex", "ms", 2.0},
    {"tau_syn_in", "ms", 2.0}, {"t_ref", "ms", 2.0},  {"E_L", "mV", -70.0},
    {"V_reset", "mV", -70.0},  {"V_th", "mV", -55.0}, {"I_e", "pA", 0.0},
};
static const hebb_nm_entry psc_exp_states[] = {
    {"V_m", "mV", NAN}, {"I_syn_ex", "pA", 0.0}, {"I_syn_in", "pA", 0.0}};

static const hebb_nm_entry psc_delta_params[] = {
    {"C_m", "pF", 250.0},     {"tau_m", "ms", 10.0}, {"t_ref", "ms", 2.0}, {"E_L", "mV", -70.0},
    {"V_reset", "mV", -70.0}, {"V_th", "mV", -55.0}, {"I_e", "pA", 0.0},
};
static const hebb_nm_entry psc_delta_states[] = {{"V_m", "mV", NAN}};

static const hebb_nm_entry cond_exp_params[] = {
    {"C_m", "pF", 250.0},      {"g_L", "nS", 16.6667}, {"E_L", "mV", -70.0},
    {"E_ex", "mV", 0.0},       {"E_in", "mV", -85.0},  {"tau_syn_ex", "ms", 0.2},
    {"tau_syn_in", "ms", 2.0}, {"t_ref", "ms", 2.0},   {"V_reset", "mV", -60.0},
    {"V_th", "mV", -55.0},     {"I_e", "pA", 0.0},
};
static const hebb_nm_entry cond_exp_states[] = {
    {"V_m", "mV", NAN}, {"g_ex", "nS", 0.0}, {"g_in", "nS", 0.0}};
static const hebb_nm_option cond_exp_options[] = {{"integrator", "exp_euler|euler"}};

static const hebb_nm_entry poisson_params[] = {
    {"rate", "Hz", 0.0}, {"start", "ms", 0.0}, {"stop", "ms", INFINITY}};
static const hebb_nm_entry dc_params[] = {
    {"amplitude", "pA", 0.0}, {"start", "ms", 0.0}, {"stop", "ms", INFINITY}};

static const hebb_nm_desc models[HEBB_NM_COUNT] = {
    {"iaf_psc_exp", HEBB_NM_IAF_PSC_EXP, psc_exp_params, COUNT(psc_exp_params), psc_exp_states,
     COUNT(psc_exp_states), NULL, 0, "pA", false},
    {"iaf_psc_delta", HEBB_NM_IAF_PSC_DELTA, psc_delta_params, COUNT(psc_delta_params),
     psc_delta_states, COUNT(psc_delta_states), NULL, 0, "mV", false},
    {"iaf_cond_exp", HEBB_NM_IAF_COND_EXP, cond_exp_params, COUNT(cond_exp_params), cond_exp_states,
     COUNT(cond_exp_states), cond_exp_options, COUNT(cond_exp_options), "nS", false},
    {"poisson_generator", HEBB_NM_POISSON_GENERATOR, poisson_params, COUNT(poisson_params), NULL, 0,
     NULL, 0, NULL, true},
    {"spike_generator", HEBB_NM_SPIKE_GENERATOR, NULL, 0, NULL, 0, NULL, 0, NULL, true},
    {"dc_generator", HEBB_NM_DC_GENERATOR, dc_params, COUNT(dc_params), NULL, 0, NULL, 0, NULL,
     true},
};

const hebb_nm_desc *hebb_nm_get(hebb_nm_kind kind) {
  return kind < HEBB_NM_COUNT ? &models[kind] : NULL;
}

const hebb_nm_desc *hebb_nm_find(const char *name) {
  for (size_t i = 0; i < HEBB_NM_COUNT; i++)
    if (name && strcmp(models[i].name, name) == 0)
      return &models[i];
  return NULL;
}

static int entry_index(const hebb_nm_entry *e, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(e[i].name, name) == 0)
      return (int)i;
  return -1;
}

int hebb_nm_param_index(const hebb_nm_desc *d, const char *name) {
  return entry_index(d->params, d->nparams, name);
}

int hebb_nm_state_index(const hebb_nm_desc *d, const char *name) {
  return entry_index(d->states, d->nstates, name);
}

int hebb_nm_option_index(const hebb_nm_desc *d, const char *name) {
  for (size_t i = 0; i < d->noptions; i++)
    if (strcmp(d->options[i].name, name) == 0)
      return (int)i;
  return -1;
}

int hebb_nm_option_value(const hebb_nm_desc *d, int opt, const char *value) {
  const char *a = d->options[opt].allowed;
  size_t len = strlen(value);
  for (int i = 0; *a; i++) {
    const char *bar = strchr(a, '|');
    size_t n = bar ? (size_t)(bar - a) : strlen(a);
    if (n == len && strncmp(a, value, n) == 0)
      return i;
    a += n + (bar ? 1 : 0);
  }
  return -1;
}

/* P21 of Rotter & Diesmann 1999 (MODELS.md 1.1): the voltage response at h to a unit
 * synaptic current at 0, written with expm1 so that close time constants keep precision;
 * the singular limit tau_s == tau_m has its own closed form. */
static double propagator_21(double tau_s, double tau_m, double c, double h) {
  if (tau_s == tau_m)
    return h / c * exp(-h / tau_m);
  double gamma = tau_s * tau_m / ((tau_m - tau_s) * c);
  return gamma * exp(-h / tau_s) * expm1(h * (tau_m - tau_s) / (tau_s * tau_m));
}

static int positive(const double *params, int i, const char *name, char *msg, size_t len) {
  if (params[i] > 0 && isfinite(params[i]))
    return 0;
  snprintf(msg, len, "%s must be positive and finite, got %g", name, params[i]);
  return -1;
}

int hebb_nm_prepare(const hebb_nm_desc *d, const double *p, int integrator, double dt,
                    hebb_nm_consts *k, char *msg, size_t msglen) {
  memset(k, 0, sizeof *k);
  k->dt = dt;
  k->integrator = integrator;
  for (size_t i = 0; i < d->nparams; i++) {
    if (isnan(p[i]) || (isinf(p[i]) && strcmp(d->params[i].name, "stop") != 0)) {
      snprintf(msg, msglen, "%s must be finite", d->params[i].name);
      return -1;
    }
  }
  switch (d->kind) {
  case HEBB_NM_IAF_PSC_EXP:
    if (positive(p, PSC_C_m, "C_m", msg, msglen) || positive(p, PSC_tau_m, "tau_m", msg, msglen) ||
        positive(p, PSC_tau_syn_ex, "tau_syn_ex", msg, msglen) ||
        positive(p, PSC_tau_syn_in, "tau_syn_in", msg, msglen))
      return -1;
    k->p11ex = exp(-dt / p[PSC_tau_syn_ex]);
    k->p11in = exp(-dt / p[PSC_tau_syn_in]);
    k->p22 = exp(-dt / p[PSC_tau_m]);
    k->p20 = p[PSC_tau_m] / p[PSC_C_m] * -expm1(-dt / p[PSC_tau_m]);
    k->p21ex = propagator_21(p[PSC_tau_syn_ex], p[PSC_tau_m], p[PSC_C_m], dt);
    k->p21in = propagator_21(p[PSC_tau_syn_in], p[PSC_tau_m], p[PSC_C_m], dt);
    k->e_l = p[PSC_E_L];
    k->theta = p[PSC_V_th] - p[PSC_E_L];
    k->v_reset = p[PSC_V_reset] - p[PSC_E_L];
    k->refr_steps = (int32_t)llround(p[PSC_t_ref] / dt);
    break;
  case HEBB_NM_IAF_PSC_DELTA:
    if (positive(p, DELTA_C_m, "C_m", msg, msglen) ||
        positive(p, DELTA_tau_m, "tau_m", msg, msglen))
      return -1;
    k->p22 = exp(-dt / p[DELTA_tau_m]);
    k->p20 = p[DELTA_tau_m] / p[DELTA_C_m] * -expm1(-dt / p[DELTA_tau_m]);
    k->e_l = p[DELTA_E_L];
    k->theta = p[DELTA_V_th] - p[DELTA_E_L];
    k->v_reset = p[DELTA_V_reset] - p[DELTA_E_L];
    k->refr_steps = (int32_t)llround(p[DELTA_t_ref] / dt);
    break;
  case HEBB_NM_IAF_COND_EXP:
    if (positive(p, COND_C_m, "C_m", msg, msglen) || positive(p, COND_g_L, "g_L", msg, msglen) ||
        positive(p, COND_tau_syn_ex, "tau_syn_ex", msg, msglen) ||
        positive(p, COND_tau_syn_in, "tau_syn_in", msg, msglen))
      return -1;
    k->p11ex = exp(-dt / p[COND_tau_syn_ex]);
    k->p11in = exp(-dt / p[COND_tau_syn_in]);
    k->g_l = p[COND_g_L];
    k->e_l = p[COND_E_L];
    k->e_ex = p[COND_E_ex];
    k->e_in = p[COND_E_in];
    k->c_m = p[COND_C_m];
    k->theta = p[COND_V_th];
    k->v_reset = p[COND_V_reset];
    k->refr_steps = (int32_t)llround(p[COND_t_ref] / dt);
    break;
  case HEBB_NM_DC_GENERATOR:
  case HEBB_NM_POISSON_GENERATOR:
    /* start and stop share their indices in both tables */
    if (!(p[POISSON_start] >= 0 && p[POISSON_stop] >= p[POISSON_start] &&
          (isinf(p[POISSON_stop]) || p[POISSON_stop] / dt < 4e18))) {
      snprintf(msg, msglen, "start and stop must satisfy 0 <= start <= stop, got %g and %g ms",
               p[POISSON_start], p[POISSON_stop]);
      return -1;
    }
    if (d->kind == HEBB_NM_DC_GENERATOR)
      break;
    if (p[POISSON_rate] < 0) {
      snprintf(msg, msglen, "rate must not be negative, got %g Hz", p[POISSON_rate]);
      return -1;
    }
    /* rate (Hz) * dt (ms) / 1000 is the mean count per step. */
    k->exp_neg_lambda = exp(-p[POISSON_rate] * dt * 1e-3);
    k->start_step = (uint64_t)llround(p[POISSON_start] / dt);
    k->stop_step = isinf(p[POISSON_stop]) ? UINT64_MAX : (uint64_t)llround(p[POISSON_stop] / dt);
    break;
  default:
    break;
  }
  if (d->kind <= HEBB_NM_IAF_COND_EXP && k->refr_steps < 0) {
    snprintf(msg, msglen, "t_ref must not be negative");
    return -1;
  }
  return 0;
}

/* iaf_psc_exp, exact integration in NEST's order (MODELS.md 1.1): propagate V with the
 * currents of the step start unless refractory, decay the currents, add this step's input,
 * then test the threshold. */
static void update_psc_exp(const hebb_nm_consts *k, const double *p, hebb_nm_state *s,
                           double *restrict acc_ex, double *restrict acc_in) {
  const double p11ex = k->p11ex, p11in = k->p11in, p22 = k->p22, p21ex = k->p21ex, p21in = k->p21in,
               p20 = k->p20, i_e = p[PSC_I_e];
  double *restrict v = s->v, *restrict iex = s->s_ex, *restrict iin = s->s_in;
  const double *restrict i0 = s->i_0;
  double *restrict r = s->refr;
  const uint32_t n = s->n;
#pragma omp simd
  for (uint32_t i = 0; i < n; i++) {
    const double vi = v[i], ri = r[i];
    const double vn = p22 * vi + p21ex * iex[i] + p21in * iin[i] + p20 * (i_e + i0[i]);
    const double refr = ri > 0.0 ? 1.0 : 0.0; /* this form if-converts and vectorises */
    v[i] = ri > 0.0 ? vi : vn;
    r[i] = ri - refr;
    iex[i] = p11ex * iex[i] + acc_ex[i];
    iin[i] = p11in * iin[i] + acc_in[i];
    acc_ex[i] = 0.0;
    acc_in[i] = 0.0;
  }
}

/* iaf_psc_delta as NEST: exact decay, voltage jumps added unless refractory (input that
 * arrives while refractory is dropped). */
static void update_psc_delta(const hebb_nm_consts *k, const double *p, hebb_nm_state *s,
                             double *restrict acc_ex, double *restrict acc_in) {
  const double p22 = k->p22, p20 = k->p20, i_e = p[DELTA_I_e];
  double *restrict v = s->v;
  const double *restrict i0 = s->i_0;
  double *restrict r = s->refr;
  const uint32_t n = s->n;
#pragma omp simd
  for (uint32_t i = 0; i < n; i++) {
    const double vi = v[i], ri = r[i];
    const double vn = p22 * vi + p20 * (i_e + i0[i]) + acc_ex[i] + acc_in[i];
    const double refr = ri > 0.0 ? 1.0 : 0.0; /* this form if-converts and vectorises */
    v[i] = ri > 0.0 ? vi : vn;
    r[i] = ri - refr;
    acc_ex[i] = 0.0;
    acc_in[i] = 0.0;
  }
}

/* e^x for |x| <= 700, within one ulp of libm's exp, in plain arithmetic that the compiler
 * vectorises (libm's exp does not vectorise, and a vector libm would not promise the same
 * result in every lane, which determinism needs). Cody-Waite reduction x = k ln2 + r,
 * |r| <= ln2/2, a degree-13 Taylor polynomial for e^r (truncation below 1e-17), and 2^k
 * built in the exponent bits. */
static inline double exp_vec(double x) {
  x = x < -700.0 ? -700.0 : x > 700.0 ? 700.0 : x;
  const double shifter = 0x1.8p52; /* adding it rounds to an integer in the low bits */
  const double t = x * 0x1.71547652b82fep0 + shifter;
  const double k = t - shifter;
  double r = x - k * 0x1.62e42fefa3800p-1; /* ln2 split in a high part exact in k */
  r = r - k * 0x1.ef35793c76730p-45;
  /* Estrin's scheme: the same polynomial with a short dependency chain */
  const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const double q0 = 1.0 + r, q1 = 0.5 + r * (1.0 / 6.0);
  const double q2 = 1.0 / 24.0 + r * (1.0 / 120.0), q3 = 1.0 / 720.0 + r * (1.0 / 5040.0);
  const double q4 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
  const double q5 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
  const double q6 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
  const double s0 = q0 + q1 * r2, s1 = q2 + q3 * r2, s2 = q4 + q5 * r2;
  const double p = (s0 + s1 * r4) + (s2 + q6 * r4) * r8;
  uint64_t tb, sb;
  memcpy(&tb, &t, sizeof tb);
  sb = (uint64_t)((int64_t)(tb - 0x4338000000000000ull) + 1023) << 52;
  double scale;
  memcpy(&scale, &sb, sizeof scale);
  return p * scale;
}

/* iaf_cond_exp. Conductances decay exactly. V by exponential Euler with the conductances
 * frozen over the step (exact for constant g; Brian2's "exponential_euler"), or by forward
 * Euler (Brette et al. 2007 scripts, Auryn's TIFGroup). */
static void update_cond_exp(const hebb_nm_consts *k, const double *p, hebb_nm_state *s,
                            double *restrict acc_ex, double *restrict acc_in) {
  const double p11ex = k->p11ex, p11in = k->p11in, g_l = k->g_l, e_l = k->e_l, e_ex = k->e_ex,
               e_in = k->e_in, h = k->dt, c = k->c_m, i_e = p[COND_I_e];
  double *restrict v = s->v, *restrict gex = s->s_ex, *restrict gin = s->s_in;
  const double *restrict i0 = s->i_0;
  double *restrict r = s->refr;
  const uint32_t n = s->n;
  if (k->integrator == COND_INTEGRATOR_EULER) {
    const double h_c = h / c;
#pragma omp simd
    for (uint32_t i = 0; i < n; i++) {
      const double vi = v[i], ri = r[i];
      const double dv =
          g_l * (e_l - vi) + gex[i] * (e_ex - vi) + gin[i] * (e_in - vi) + i_e + i0[i];
      const double vn = vi + h_c * dv;
      const double refr = ri > 0.0 ? 1.0 : 0.0; /* this form if-converts and vectorises */
      v[i] = ri > 0.0 ? vi : vn;
      r[i] = ri - refr;
      gex[i] = p11ex * gex[i] + acc_ex[i];
      gin[i] = p11in * gin[i] + acc_in[i];
      acc_ex[i] = 0.0;
      acc_in[i] = 0.0;
    }
  } else {
    const double mh_c = -h / c;
#pragma omp simd
    for (uint32_t i = 0; i < n; i++) {
      const double vi = v[i], ri = r[i];
      const double gt = g_l + gex[i] + gin[i];
      const double vinf = (g_l * e_l + gex[i] * e_ex + gin[i] * e_in + i_e + i0[i]) / gt;
      const double vn = vinf + (vi - vinf) * exp_vec(mh_c * gt);
      const double refr = ri > 0.0 ? 1.0 : 0.0; /* this form if-converts and vectorises */
      v[i] = ri > 0.0 ? vi : vn;
      r[i] = ri - refr;
      gex[i] = p11ex * gex[i] + acc_ex[i];
      gin[i] = p11in * gin[i] + acc_in[i];
      acc_ex[i] = 0.0;
      acc_in[i] = 0.0;
    }
  }
}

/* The threshold test and reset, after the vectorised state update. */
static uint32_t detect(const hebb_nm_consts *k, hebb_nm_state *s, uint32_t *restrict spiked) {
  const double theta = k->theta, v_reset = k->v_reset;
  const double refr = (double)k->refr_steps;
  uint32_t ns = 0;
  for (uint32_t i = 0; i < s->n; i++) {
    if (s->v[i] >= theta) {
      s->v[i] = v_reset;
      s->refr[i] = refr;
      spiked[ns++] = i;
    }
  }
  return ns;
}

uint32_t hebb_nm_update(const hebb_nm_desc *d, const hebb_nm_consts *k, const double *params,
                        hebb_nm_state *s, double *restrict acc_ex, double *restrict acc_in,
                        uint32_t *restrict spiked) {
  switch (d->kind) {
  case HEBB_NM_IAF_PSC_EXP:
    update_psc_exp(k, params, s, acc_ex, acc_in);
    break;
  case HEBB_NM_IAF_PSC_DELTA:
    update_psc_delta(k, params, s, acc_ex, acc_in);
    break;
  case HEBB_NM_IAF_COND_EXP:
    update_cond_exp(k, params, s, acc_ex, acc_in);
    break;
  default:
    return 0; /* stimuli are advanced by the simulation itself */
  }
  return detect(k, s, spiked);
}

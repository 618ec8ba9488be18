/* neuron.c - neuron and stimulus model tables and their update kernels. See neuron.h. */
#include "neuron.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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
static const hebb_nm_option psc_options[] = {{"precision", "double|single"}};
static const hebb_nm_option cond_exp_options[] = {{"integrator", "exp_euler|euler"},
                                                  {"precision", "double|single"}};

static const hebb_nm_entry poisson_params[] = {
    {"rate", "Hz", 0.0}, {"start", "ms", 0.0}, {"stop", "ms", INFINITY}, {"period", "ms", 0.0}};
static const hebb_nm_option poisson_options[] = {{"draws", "knuth|inversion"}};
static const hebb_nm_entry dc_params[] = {
    {"amplitude", "pA", 0.0}, {"start", "ms", 0.0}, {"stop", "ms", INFINITY}};

static const hebb_nm_desc models[HEBB_NM_COUNT] = {
    {"iaf_psc_exp", HEBB_NM_IAF_PSC_EXP, psc_exp_params, COUNT(psc_exp_params), psc_exp_states,
     COUNT(psc_exp_states), psc_options, COUNT(psc_options), "pA", false},
    {"iaf_psc_delta", HEBB_NM_IAF_PSC_DELTA, psc_delta_params, COUNT(psc_delta_params),
     psc_delta_states, COUNT(psc_delta_states), psc_options, COUNT(psc_options), "mV", false},
    {"iaf_cond_exp", HEBB_NM_IAF_COND_EXP, cond_exp_params, COUNT(cond_exp_params), cond_exp_states,
     COUNT(cond_exp_states), cond_exp_options, COUNT(cond_exp_options), "nS", false},
    {"poisson_generator", HEBB_NM_POISSON_GENERATOR, poisson_params, COUNT(poisson_params), NULL, 0,
     poisson_options, COUNT(poisson_options), NULL, true},
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

int hebb__allowed_index(const char *allowed, const char *value) {
  size_t len = strlen(value);
  for (int i = 0; *allowed; i++) {
    const char *bar = strchr(allowed, '|');
    size_t n = bar ? (size_t)(bar - allowed) : strlen(allowed);
    if (n == len && strncmp(allowed, value, n) == 0)
      return i;
    allowed += n + (bar ? 1 : 0);
  }
  return -1;
}

int hebb_nm_option_value(const hebb_nm_desc *d, int opt, const char *value) {
  return hebb__allowed_index(d->options[opt].allowed, value);
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

/* The value of option NAME among OPTIONS (0, its default, when absent). */
static int option(const hebb_nm_desc *d, const int *options, const char *name) {
  int i = hebb_nm_option_index(d, name);
  return i >= 0 && options ? options[i] : 0;
}

int hebb_nm_prepare(const hebb_nm_desc *d, const double *p, const int *options, double dt,
                    hebb_nm_consts *k, char *msg, size_t msglen) {
  memset(k, 0, sizeof *k);
  k->dt = dt;
  k->integrator = option(d, options, "integrator");
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
    hebb_poisson_law_init(&k->poisson, p[POISSON_rate] * dt * 1e-3,
                          option(d, options, "draws") == POISSON_DRAWS_INVERSION);
    k->start_step = (uint64_t)llround(p[POISSON_start] / dt);
    k->stop_step = isinf(p[POISSON_stop]) ? UINT64_MAX : (uint64_t)llround(p[POISSON_stop] / dt);
    {
      double ps = p[POISSON_period] / dt;
      if (!(ps >= 0) || !isfinite(ps) || fabs(ps - llround(ps)) > 1e-6 * fmax(ps, 1.0)) {
        snprintf(msg, msglen, "period must be 0 or a whole number of steps (dt = %g ms), got %g ms",
                 dt, p[POISSON_period]);
        return -1;
      }
      k->period_steps = (uint64_t)llround(ps);
    }
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

/* e^x in single precision for |x| <= 87, within about one ulp of expf: the same scheme as
 * exp_vec with a degree-7 polynomial (truncation below 1e-8 relative). */
static inline float exp_vec_f(float x) {
  x = x < -87.0f ? -87.0f : x > 87.0f ? 87.0f : x;
  const float shifter = 0x1.8p23f;
  const float t = x * 0x1.715476p0f + shifter;
  const float k = t - shifter;
  float r = x - k * 0.693359375f; /* ln2 = 0.693359375 - 2.12194440e-4, high part exact in k */
  r = r + k * 2.12194440e-4f;
  const float r2 = r * r, r4 = r2 * r2;
  const float q0 = 1.0f + r, q1 = 0.5f + r * (1.0f / 6.0f);
  const float q2 = 1.0f / 24.0f + r * (1.0f / 120.0f), q3 = 1.0f / 720.0f + r * (1.0f / 5040.0f);
  const float p = (q0 + q1 * r2) + (q2 + q3 * r2) * r4;
  uint32_t tb, sb;
  memcpy(&tb, &t, sizeof tb);
  sb = (uint32_t)((int32_t)(tb - 0x4b400000u) + 127) << 23;
  float scale;
  memcpy(&scale, &sb, sizeof scale);
  return p * scale;
}

#define REAL double
#define EXP_VEC exp_vec
#define KSUFFIX(name) name##_f64
#include "neuron_kernels.h"
#undef REAL
#undef EXP_VEC
#undef KSUFFIX

#define REAL float
#define EXP_VEC exp_vec_f
#define KSUFFIX(name) name##_f32
#include "neuron_kernels.h"
#undef REAL
#undef EXP_VEC
#undef KSUFFIX

uint32_t hebb_nm_update(const hebb_nm_desc *d, const hebb_nm_consts *k, const double *params,
                        hebb_nm_state *s, uint32_t *restrict spiked) {
  return s->single ? update_f32(d, k, params, s, spiked) : update_f64(d, k, params, s, spiked);
}

/* The array of state variable VAR (0: V_m, 1: s_ex, 2: s_in). */
static void *state_array(const hebb_nm_state *s, int var) {
  return var == 0 ? s->v : var == 1 ? s->s_ex : s->s_in;
}

double hebb_nm_state_get(const hebb_nm_state *s, int var, uint32_t i) {
  const void *a = state_array(s, var);
  return s->single ? (double)((const float *)a)[i] : ((const double *)a)[i];
}

void hebb_nm_state_set(hebb_nm_state *s, int var, uint32_t i, double x) {
  void *a = state_array(s, var);
  if (s->single)
    ((float *)a)[i] = (float)x;
  else
    ((double *)a)[i] = x;
}

void hebb_nm_state_set_current(hebb_nm_state *s, uint32_t i, double x) {
  if (s->single)
    ((float *)s->i_0)[i] = (float)x;
  else
    ((double *)s->i_0)[i] = x;
}

int hebb_nm_state_alloc(hebb_nm_state *s, uint32_t n, bool single) {
  size_t sz = single ? sizeof(float) : sizeof(double), cnt = n ? n : 1;
  memset(s, 0, sizeof *s);
  s->n = n;
  s->single = single;
  void **arrays[] = {&s->v, &s->s_ex, &s->s_in, &s->i_0, &s->refr, &s->acc_ex, &s->acc_in};
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
    if (!(*arrays[i] = calloc(cnt, sz)))
      return -1;
  return 0;
}

void hebb_nm_state_free(hebb_nm_state *s) {
  free(s->v);
  free(s->s_ex);
  free(s->s_in);
  free(s->i_0);
  free(s->refr);
  free(s->acc_ex);
  free(s->acc_in);
  memset(s, 0, sizeof *s);
}

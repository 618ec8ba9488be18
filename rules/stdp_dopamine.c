/* stdp_dopamine.c - reward-modulated STDP, dopamine-gated eligibility traces
 * [stdp_dopamine].
 *
 * Izhikevich (2007) in the exact event-driven form of NEST's stdp_dopamine_synapse
 * (Potjans, Morrison & Diesmann 2010; MODELS.md 2.9):
 *   eligibility   dc/dt = -c / tau_c,   c += A_plus x_pre at a post spike,
 *                                       c -= A_minus y_post at a pre arrival;
 *   dopamine      dn/dt = -n / tau_n,   n += amount / tau_n at a neuromodulator event (one
 *                                       per spike of the modulating population, or a
 *                                       scheduled reward of the given amount);
 *   weight        dw/dt = c (n - b),    clipped to [Wmin, Wmax].
 * Between events c and n decay exponentially, so the weight change over an interval of
 * length D that starts with c0, n0 is exact:
 *   w += c0 [ n0 (1 - exp(-D/tau_s)) tau_s - b tau_c (1 - exp(-D/tau_c)) ],
 *   1/tau_s = 1/tau_c + 1/tau_n.
 * A synapse is brought up to date at its own pre and post events and at every modulator
 * event (on_modulator), so the concentration is smooth over every interval it integrates.
 * Its last update step is kept beside c (32 bits: intervals up to 2^32 steps, 4.9 days at
 * 0.1 ms). A weight snapshot shows the weight at the synapse's last update.
 *
 * Learning phases (a learning schedule on the projection): in a frozen phase the eligibility
 * keeps running (pre and post events change c, c decays) and so does the dopamine, but the
 * weight does not integrate c (n - b). Every synapse is brought up to date at the end of
 * each phase (on_phase), so each interval the closed form spans lies within one phase.
 */
#include "rule.h"

#include <stdio.h>
#include <string.h>

enum { P_TAU_PLUS, P_TAU_MINUS, P_A_PLUS, P_A_MINUS, P_TAU_C, P_TAU_N, P_B, P_WMIN, P_WMAX };
enum { S_C, S_LAST };

static const hebb_rule_param_desc params[] = {
    {"tau_plus", "ms", 20.0, "time constant of the presynaptic trace"},
    {"tau_minus", "ms", 20.0, "time constant of the postsynaptic trace"},
    {"A_plus", "", 1.0, "eligibility increment per post spike, times the pre trace"},
    {"A_minus", "", 1.5, "eligibility decrement per pre arrival, times the post trace"},
    {"tau_c", "ms", 1000.0, "time constant of the eligibility trace"},
    {"tau_n", "ms", 200.0, "time constant of the dopamine concentration"},
    {"b", "", 0.0, "dopamine baseline subtracted in dw/dt = c (n - b)"},
    {"Wmin", "weight", 0.0, "lower bound of the weight"},
    {"Wmax", "weight", 200.0, "upper bound of the weight"},
};

static const char *const syn_state[] = {"c", "last_step"};

static const hebb_rule_trace pre_traces[] = {{P_TAU_PLUS, -1, {HEBB_TRACE_ADD}}};
static const hebb_rule_trace post_traces[] = {{P_TAU_MINUS, -1, {HEBB_TRACE_ADD}}};

static int check(const double *p, const int *opt, char *err, size_t len) {
  (void)opt;
  const char *names[] = {"tau_plus", "tau_minus", "tau_c", "tau_n"};
  const int idx[] = {P_TAU_PLUS, P_TAU_MINUS, P_TAU_C, P_TAU_N};
  for (int i = 0; i < 4; i++)
    if (!(p[idx[i]] > 0)) {
      snprintf(err, len, "%s must be positive, got %g ms", names[i], p[idx[i]]);
      return -1;
    }
  if (!(p[P_WMIN] <= p[P_WMAX])) {
    snprintf(err, len, "Wmin (%g) must not exceed Wmax (%g)", p[P_WMIN], p[P_WMAX]);
    return -1;
  }
  return 0;
}

/* The last update step lives in a float slot as raw 32 bits. */
static inline uint32_t get_last(const float *slot) {
  uint32_t u;
  memcpy(&u, slot, sizeof u);
  return u;
}

static inline void set_last(float *slot, uint64_t step) {
  uint32_t u = (uint32_t)step;
  memcpy(slot, &u, sizeof u);
}

/* Brings weight W and eligibility C of a synapse from its last update to STEP. */
static inline void advance(const hebb_rule_ctx *ctx, float *w, float *c, float *last) {
  const double *p = ctx->p;
  uint32_t elapsed = (uint32_t)ctx->step - get_last(last); /* wraps correctly */
  if (elapsed == 0)
    return;
  set_last(last, ctx->step);
  if (*c == 0.0f)
    return;
  double d = (double)elapsed * ctx->dt;
  if (!ctx->learning) { /* frozen: the eligibility decays, the weight stays */
    *c = (float)((double)*c * exp(-d / p[P_TAU_C]));
    return;
  }
  double n0 = hebb_modulator_at(ctx->mod, ctx->step - elapsed) / p[P_TAU_N];
  double tau_s = 1.0 / (1.0 / p[P_TAU_C] + 1.0 / p[P_TAU_N]);
  double c0 = *c;
  double nw =
      *w + c0 * (n0 * tau_s * -expm1(-d / tau_s) - p[P_B] * p[P_TAU_C] * -expm1(-d / p[P_TAU_C]));
  nw = nw < p[P_WMIN] ? p[P_WMIN] : nw > p[P_WMAX] ? p[P_WMAX] : nw;
  *w = (float)nw;
  *c = (float)(c0 * exp(-d / p[P_TAU_C]));
}

static void on_pre(const hebb_rule_ctx *ctx, const hebb_rule_pre *s) {
  const double a_minus = ctx->p[P_A_MINUS];
  float *c = s->syn[S_C], *last = s->syn[S_LAST];
  for (uint32_t k = 0; k < s->n; k++) {
    advance(ctx, &s->w[k], &c[k], &last[k]);
    c[k] = (float)((double)c[k] -
                   a_minus * hebb_trace_at(ctx->post, hebb_pre_target(s, k), 0, ctx->step));
  }
}

static void on_post(const hebb_rule_ctx *ctx, const hebb_rule_post *s) {
  const double a_plus = ctx->p[P_A_PLUS];
  float *c = s->syn[S_C], *last = s->syn[S_LAST];
  for (uint32_t k = 0; k < s->n; k++) {
    hebb_post_prefetch(s, k);
    uint32_t q = hebb_post_index(s, k);
    advance(ctx, &s->w[q], &c[q], &last[q]);
    c[q] = (float)((double)c[q] +
                   a_plus * hebb_trace_at(ctx->pre, hebb_post_group(s, k), 0, ctx->step));
  }
}

static void on_modulator(const hebb_rule_ctx *ctx, const hebb_rule_post *s) {
  float *c = s->syn[S_C], *last = s->syn[S_LAST];
  for (uint32_t k = 0; k < s->n; k++) {
    hebb_post_prefetch(s, k);
    uint32_t q = hebb_post_index(s, k);
    advance(ctx, &s->w[q], &c[q], &last[q]);
  }
}

const hebb_rule hebb_rule_stdp_dopamine = {
    .abi = HEBB_RULE_ABI,
    .name = "stdp_dopamine",
    .doc = "reward-modulated STDP: eligibility traces gated by dopamine (NEST's "
           "stdp_dopamine_synapse, exact between events)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .syn_state = syn_state,
    .nsyn = 2,
    .pre = pre_traces,
    .npre = 1,
    .post = post_traces,
    .npost = 1,
    .check = check,
    .on_pre = on_pre,
    .on_post = on_post,
    .on_modulator = on_modulator,
    .mod_tau_param = P_TAU_N,
    .on_phase = on_modulator, /* bring every synapse up to the switch */
};

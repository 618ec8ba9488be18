/* stdp.c - pair-based spike-timing-dependent plasticity [stdp].
 *
 * NEST's stdp_synapse form (MODELS.md 2.1, 2.2), with normalised weights u = w / Wmax:
 *   at a postsynaptic spike:  u += lambda (1 - u)^mu_plus x_pre        capped at 1
 *   at a presynaptic arrival: u -= alpha lambda u^mu_minus y_post      floored at 0
 * mu_plus = mu_minus = 0 is additive STDP with hard bounds (Song, Miller & Abbott 2000;
 * A+ = lambda Wmax, A- = alpha lambda Wmax); mu = 1 is multiplicative (van Rossum, Bi &
 * Turrigiano 2000); mu_plus = 0, mu_minus = 1 is van Rossum's mixed rule; values between are
 * Guetig et al. (2003).
 *
 * Interaction schemes (Morrison, Diesmann & Gerstner 2008):
 *   all_to_all          traces add one per spike: every pre/post pair counts;
 *   nearest_symmetric   traces are set to one: each spike pairs with the nearest earlier
 *                       spike of the other neuron;
 *   nearest_restricted  as nearest_symmetric, but LTP at a post spike only if a pre spike
 *                       arrived since the previous post spike, and LTD at a pre arrival only
 *                       if a post spike occurred since the previous arrival (each spike
 *                       pairs once: the symmetric reduced scheme).
 * Traces are read at t - eps, so a pre arrival and a post spike in the same step do not
 * pair.
 */
#include "rule.h"

#include <stdbool.h>
#include <stdio.h>

enum { P_TAU_PLUS, P_TAU_MINUS, P_LAMBDA, P_ALPHA, P_MU_PLUS, P_MU_MINUS, P_WMAX };
enum { O_SCHEME };
enum { ALL_TO_ALL, NEAREST_SYMMETRIC, NEAREST_RESTRICTED };

static const hebb_rule_param_desc params[] = {
    {"tau_plus", "ms", 20.0, "time constant of the presynaptic trace (LTP window)"},
    {"tau_minus", "ms", 20.0, "time constant of the postsynaptic trace (LTD window)"},
    {"lambda", "", 0.01, "learning rate: the LTP step as a fraction of Wmax"},
    {"alpha", "", 1.0, "LTD step relative to LTP"},
    {"mu_plus", "", 1.0, "weight dependence of LTP (0 additive, 1 multiplicative)"},
    {"mu_minus", "", 1.0, "weight dependence of LTD (0 additive, 1 multiplicative)"},
    {"Wmax", "weight", 100.0, "upper bound of the weight (the lower bound is 0)"},
};

static const hebb_rule_option_desc options[] = {
    {"scheme", "all_to_all|nearest_symmetric|nearest_restricted", "which spike pairs interact"},
};

static const hebb_rule_trace pre_traces[] = {
    {P_TAU_PLUS, O_SCHEME, {HEBB_TRACE_ADD, HEBB_TRACE_SET, HEBB_TRACE_SET}}};
static const hebb_rule_trace post_traces[] = {
    {P_TAU_MINUS, O_SCHEME, {HEBB_TRACE_ADD, HEBB_TRACE_SET, HEBB_TRACE_SET}}};

static int check(const double *p, const int *opt, char *err, size_t len) {
  (void)opt;
  if (!(p[P_TAU_PLUS] > 0) || !(p[P_TAU_MINUS] > 0)) {
    snprintf(err, len, "tau_plus and tau_minus must be positive");
    return -1;
  }
  if (!(p[P_WMAX] > 0)) {
    snprintf(err, len, "Wmax must be positive, got %g", p[P_WMAX]);
    return -1;
  }
  if (!(p[P_LAMBDA] >= 0) || !(p[P_ALPHA] >= 0) || !(p[P_MU_PLUS] >= 0) || !(p[P_MU_MINUS] >= 0)) {
    snprintf(err, len, "lambda, alpha, mu_plus and mu_minus must not be negative");
    return -1;
  }
  return 0;
}

/* u^mu without a pow call in the common additive and multiplicative cases */
static inline double power(double u, double mu) {
  return mu == 0.0 ? 1.0 : mu == 1.0 ? u : pow(u, mu);
}

static inline float facilitate(const double *p, float w, double x) {
  double u = (double)w / p[P_WMAX];
  u += p[P_LAMBDA] * power(1.0 - u, p[P_MU_PLUS]) * x;
  return (float)(u < 1.0 ? u * p[P_WMAX] : p[P_WMAX]);
}

static inline float depress(const double *p, float w, double y) {
  double u = (double)w / p[P_WMAX];
  u -= p[P_ALPHA] * p[P_LAMBDA] * power(u, p[P_MU_MINUS]) * y;
  return (float)(u > 0.0 ? u * p[P_WMAX] : 0.0);
}

static void on_pre(const hebb_rule_ctx *c, const hebb_rule_pre *s) {
  const double *p = c->p;
  const bool restricted = c->opt[O_SCHEME] == NEAREST_RESTRICTED;
  const uint64_t last_pre = c->pre->last[s->group];
  for (uint32_t k = 0; k < s->n; k++) {
    uint32_t i = s->target[k];
    /* restricted: only a post spike since the previous arrival pairs */
    if (restricted && !(c->post->last[i] > last_pre && c->post->value[i] != 0.0))
      continue;
    double y = hebb_trace_at(c->post, i, 0, c->step);
    if (y != 0.0)
      s->w[k] = depress(p, s->w[k], y);
  }
}

static void on_post(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  const double *p = c->p;
  const bool restricted = c->opt[O_SCHEME] == NEAREST_RESTRICTED;
  const uint64_t last_post = c->post->last[s->neuron];
  const bool posted = c->post->value[s->neuron] != 0.0;
  for (uint32_t k = 0; k < s->n; k++) {
    uint32_t g = s->group[k];
    /* restricted: only a pre arrival since the previous post spike pairs */
    if (restricted && !(c->pre->last[g] > last_post || !posted))
      continue;
    double x = hebb_trace_at(c->pre, g, 0, c->step);
    if (x != 0.0) {
      float *w = &s->w[s->index[k]];
      *w = facilitate(p, *w, x);
    }
  }
}

const hebb_rule hebb_rule_stdp = {
    .abi = HEBB_RULE_ABI,
    .name = "stdp",
    .doc = "pair-based STDP, additive to multiplicative (NEST's stdp_synapse)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .options = options,
    .noptions = sizeof options / sizeof options[0],
    .pre = pre_traces,
    .npre = 1,
    .post = post_traces,
    .npost = 1,
    .check = check,
    .on_pre = on_pre,
    .on_post = on_post,
};

/* zenke2015.c - orchestrated plasticity, simplest form (Zenke, Agnes & Gerstner 2015)
 * [zenke2015].
 *
 * Triplet LTP, doublet LTD, transmitter-induced growth, heterosynaptic depression toward a
 * consolidated reference weight w~, and consolidation of w~ (MODELS.md 2.8; the paper's
 * P10Connection in fzenke/pub2015orchestrated). Traces, all adding one per spike:
 * presynaptic z+ (tau_plus), postsynaptic z- (tau_minus) and z_slow (tau_slow).
 *   at a presynaptic arrival:  w += -B z-(t-eps) + delta
 *   at a postsynaptic spike, for every plastic synapse onto the neuron:
 *                              w += A z+(t-eps) z_slow(t-eps) - beta (w - w~) z-(t-eps)^3
 * and w is clipped to [0, w_max] after each update. Every trace is read at t - eps, before
 * this step's spikes: MODELS.md writes z+_j(t) in the LTP term, but in the reference code
 * (Auryn) the traces take a step's spikes only after all connections have propagated them,
 * so z+ does not contain a presynaptic spike of the same step either, and a pre arrival and
 * a post spike in the same step do not pair, as in every rule here. Both terms of on_post
 * use the weight before the update.
 * Consolidation, every delta_c by forward Euler (on_period), for each synapse:
 *   w~ += (delta_c / tau_cons) ((w - w~) - P w~ (w_P/2 - w~)(w_P - w~)),
 * i.e. tau_cons dw~/dt = (w - w~) - P w~ (w_P/2 - w~)(w_P - w~): w~ follows w and is pulled
 * toward 0 or w_P, the stable states at w = 0 and w = w_P (the stable root for w = 0.1 is
 * 0.033, for w = 0.6 it is 0.526; bistable only for w near w_P/2). w~ is a per-synapse state
 * variable ("w_tilde"), 0 initially as in the reference code (weight_a = 0), stored as a
 * float like the weight.
 *
 * Parameters (defaults from MODELS.md 2.8: the reference code and its run script):
 * A = B = eta = 1e-3 (A3_plus, A2_minus), delta = 2e-5 (0.02 eta), beta = 0.05,
 * tau_plus = tau_minus = 20 ms, tau_slow = 100 ms, w_P = 0.5, P = 20, tau_cons = 1200 s,
 * delta_c = 1.2 s (must be a whole number of steps), w_max = 5 (the run script's wmax).
 * Weights are relative: w, w~ and the parameters A, B, delta, w_P, w_max are in the weight
 * unit of the projection (pA, mV or nS by the target); beta is per trace cubed and P per
 * weight squared, so their values assume weights of order w_P.
 */
#include "rule.h"

#include <stdio.h>

enum {
  P_TAU_PLUS,
  P_TAU_MINUS,
  P_TAU_SLOW,
  P_A,
  P_B,
  P_DELTA,
  P_BETA,
  P_W_P,
  P_P,
  P_TAU_CONS,
  P_DELTA_C,
  P_WMAX
};
enum { T_MINUS, T_SLOW }; /* postsynaptic traces */
enum { S_W_TILDE };

static const hebb_rule_param_desc params[] = {
    {"tau_plus", "ms", 20.0, "time constant of the presynaptic trace z+"},
    {"tau_minus", "ms", 20.0, "time constant of the postsynaptic trace z-"},
    {"tau_slow", "ms", 100.0, "time constant of the slow postsynaptic trace z_slow"},
    {"A", "weight", 1e-3, "triplet LTP amplitude (A3+)"},
    {"B", "weight", 1e-3, "doublet LTD amplitude (A2-)"},
    {"delta", "weight", 2e-5, "transmitter-induced increase per presynaptic spike"},
    {"beta", "", 0.05, "strength of heterosynaptic plasticity"},
    {"w_P", "weight", 0.5, "upper stable state of the consolidation dynamics"},
    {"P", "", 20.0, "strength of the consolidation potential (per weight squared)"},
    {"tau_cons", "ms", 1200000.0, "time constant of consolidation"},
    {"delta_c", "ms", 1200.0, "interval between consolidation steps (a whole number of steps)"},
    {"w_max", "weight", 5.0, "upper bound of the weight (the lower bound is 0)"},
};

static const hebb_rule_trace pre_traces[] = {{P_TAU_PLUS, -1, {HEBB_TRACE_ADD}}};
static const hebb_rule_trace post_traces[] = {{P_TAU_MINUS, -1, {HEBB_TRACE_ADD}},
                                              {P_TAU_SLOW, -1, {HEBB_TRACE_ADD}}};
static const char *const syn_state[] = {"w_tilde"};

static int check(const double *p, const int *opt, char *err, size_t len) {
  (void)opt;
  if (!(p[P_TAU_PLUS] > 0) || !(p[P_TAU_MINUS] > 0) || !(p[P_TAU_SLOW] > 0) ||
      !(p[P_TAU_CONS] > 0) || !(p[P_DELTA_C] > 0)) {
    snprintf(err, len, "tau_plus, tau_minus, tau_slow, tau_cons and delta_c must be positive");
    return -1;
  }
  if (!(p[P_WMAX] > 0)) {
    snprintf(err, len, "w_max must be positive, got %g", p[P_WMAX]);
    return -1;
  }
  if (!(p[P_A] >= 0) || !(p[P_B] >= 0) || !(p[P_DELTA] >= 0) || !(p[P_BETA] >= 0) ||
      !(p[P_P] >= 0) || !(p[P_W_P] >= 0)) {
    snprintf(err, len, "A, B, delta, beta, P and w_P must not be negative");
    return -1;
  }
  return 0;
}

/* w~ starts at the lower stable state 0, whatever the initial weight */
static float syn_init(const double *p, const int *opt, uint32_t s, float w) {
  (void)p;
  (void)opt;
  (void)s;
  (void)w;
  return 0.0f;
}

static inline float clip(const double *p, double w) {
  return (float)(w < 0.0 ? 0.0 : w > p[P_WMAX] ? p[P_WMAX] : w);
}

static void on_pre(const hebb_rule_ctx *c, const hebb_rule_pre *s) {
  const double *p = c->p;
  for (uint32_t k = 0; k < s->n; k++) {
    double z = hebb_trace_at(c->post, hebb_pre_target(s, k), T_MINUS, c->step);
    s->w[k] = clip(p, (double)s->w[k] - p[P_B] * z + p[P_DELTA]);
  }
}

static void on_post(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  const double *p = c->p;
  const double zm = hebb_trace_at(c->post, s->neuron, T_MINUS, c->step);
  const double zs = hebb_trace_at(c->post, s->neuron, T_SLOW, c->step);
  const double het = p[P_BETA] * zm * zm * zm;
  const float *wt = s->syn[S_W_TILDE];
  for (uint32_t k = 0; k < s->n; k++) {
    hebb_post_prefetch(s, k);
    uint32_t e = hebb_post_index(s, k);
    double zp = hebb_trace_at(c->pre, hebb_post_group(s, k), 0, c->step);
    double w = (double)s->w[e];
    s->w[e] = clip(p, w + p[P_A] * zp * zs - het * (w - (double)wt[e]));
  }
}

static void on_period(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  const double *p = c->p;
  const double h = p[P_DELTA_C] / p[P_TAU_CONS], wp = p[P_W_P], pot = p[P_P];
  float *wt = s->syn[S_W_TILDE];
  for (uint32_t k = 0; k < s->n; k++) {
    hebb_post_prefetch(s, k);
    uint32_t e = hebb_post_index(s, k);
    double x = (double)wt[e];
    double f = ((double)s->w[e] - x) - pot * x * (0.5 * wp - x) * (wp - x);
    wt[e] = (float)(x + h * f);
  }
}

const hebb_rule hebb_rule_zenke2015 = {
    .abi = HEBB_RULE_ABI,
    .name = "zenke2015",
    .doc = "orchestrated plasticity: triplet STDP, heterosynaptic and transmitter-induced "
           "plasticity, consolidation (Zenke, Agnes & Gerstner 2015)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .syn_state = syn_state,
    .nsyn = 1,
    .pre = pre_traces,
    .npre = 1,
    .post = post_traces,
    .npost = 2,
    .check = check,
    .syn_init = syn_init,
    .on_pre = on_pre,
    .on_post = on_post,
    .on_period = on_period,
    .period_param = P_DELTA_C,
};

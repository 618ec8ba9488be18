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
 * Interaction schemes (Morrison, Diesmann & Gerstner 2008, Fig. 7):
 *   all_to_all          traces add one per spike: every pre/post pair counts;
 *   nearest_symmetric   traces are set to one: each spike pairs with the nearest earlier
 *                       spike of the other neuron (Fig. 7A);
 *   nearest_restricted  as nearest_symmetric, but LTP at a post spike only if a pre spike
 *                       arrived since the previous post spike, and LTD at a pre arrival only
 *                       if a post spike occurred since the previous arrival (each spike
 *                       pairs once: the symmetric reduced scheme, Fig. 7C);
 *   nearest_presynaptic presynaptic-centred (Fig. 7B; Izhikevich & Desai 2003; NEST's
 *                       stdp_nn_pre_centered_synapse): each presynaptic spike pairs with the
 *                       nearest postsynaptic spike before it (LTD, post trace set to one) and
 *                       with the first postsynaptic spike after it (LTP). A postsynaptic
 *                       spike potentiates with x = the sum of exp(-(t - t_pre) / tau_plus)
 *                       over the arrivals of that synapse not earlier than the previous
 *                       postsynaptic spike, and so ends their pairing: each presynaptic
 *                       spike potentiates at most once, a postsynaptic spike may pair with
 *                       several. (NEST: pre trace += 1, reset to 0 after LTP.)
 * Traces are read at t - eps, so a pre arrival and a post spike in the same step do not
 * pair; such an arrival pairs with the next postsynaptic spike.
 *
 * How nearest_presynaptic finds its unpaired arrivals. The presynaptic trace is kept per
 * (source, delay) group and adds one per arrival (x_g), but the reset at a postsynaptic
 * spike belongs to one synapse. So at every postsynaptic spike (step p) each synapse onto
 * the neuron stores the group trace it has just read, K = x_g(p - eps): the part of the
 * trace that is now paired. At the next postsynaptic spike (step n) the unpaired part is
 *   x = x_g(n - eps) - K exp(-(n - p) dt / tau_plus),
 * the arrivals in [p, n), exactly: both terms decay alike (before the neuron's first spike,
 * x = x_g). K lives in two float slots
 * (hi + lo: about 48 significant bits), since per-synapse state is float and a rounded K
 * would leave a rounding residue of the old, paired arrivals in x. The neuron's last
 * postsynaptic step is the postsynaptic trace's own (c->post->last). The pairing state
 * follows every spike, also in the frozen phases of a learning schedule: the rule has an
 * (empty) on_phase hook, so the engine calls on_pre and on_post while frozen too, with
 * c->learning = 0; they then change no weight, and nearest_presynaptic only records K
 * (NEST's stdp_nn_pre_centered_synapse with lambda = 0). The two slots are allocated only
 * for a projection with this scheme (syn_used); the others carry no per-synapse state.
 */
#include "rule.h"

#include <stdbool.h>
#include <stdio.h>

enum { P_TAU_PLUS, P_TAU_MINUS, P_LAMBDA, P_ALPHA, P_MU_PLUS, P_MU_MINUS, P_WMAX };
enum { O_SCHEME };
enum { ALL_TO_ALL, NEAREST_SYMMETRIC, NEAREST_RESTRICTED, NEAREST_PRESYNAPTIC };
enum { S_PAIRED_HI, S_PAIRED_LO };

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
    {"scheme", "all_to_all|nearest_symmetric|nearest_restricted|nearest_presynaptic",
     "which spike pairs interact: all; each spike with the nearest earlier spike of the other "
     "neuron; the same, each spike pairing once; each presynaptic spike with the nearest "
     "postsynaptic spike before it and the first one after it (presynaptic-centred)"},
};

/* nearest_presynaptic: the group trace read at the target's last postsynaptic spike, as
 * hi + lo (see the opening comment) */
static const char *const syn_state[] = {"paired_x", "paired_x_lo"};

static const hebb_rule_trace pre_traces[] = {
    {P_TAU_PLUS, O_SCHEME, {HEBB_TRACE_ADD, HEBB_TRACE_SET, HEBB_TRACE_SET, HEBB_TRACE_ADD}}};
static const hebb_rule_trace post_traces[] = {
    {P_TAU_MINUS, O_SCHEME, {HEBB_TRACE_ADD, HEBB_TRACE_SET, HEBB_TRACE_SET, HEBB_TRACE_SET}}};

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

/* Depression at an arrival. nearest_presynaptic depresses like nearest_symmetric (the post
 * trace holds the nearest earlier postsynaptic spike) and keeps no state at arrivals. */
static void on_pre(const hebb_rule_ctx *c, const hebb_rule_pre *s) {
  if (!c->learning) /* frozen: the traces are the engine's, the weights stay */
    return;
  const double *p = c->p;
  const bool restricted = c->opt[O_SCHEME] == NEAREST_RESTRICTED;
  const uint64_t last_pre = c->pre->last[s->group];
  /* a group trace is zero until the first arrival, and set or incremented after: zero tells
   * "never arrived" from "arrived at step 0", which last alone cannot */
  const bool arrived = c->pre->value[(size_t)s->group * c->pre->n] != 0.0;
  for (uint32_t k = 0; k < s->n; k++) {
    uint32_t i = hebb_pre_target(s, k);
    /* restricted: only a post spike since the previous arrival pairs */
    if (restricted && !(c->post->value[(size_t)i * c->post->n] != 0.0 &&
                        (!arrived || c->post->last[i] > last_pre)))
      continue;
    double y = hebb_trace_at(c->post, i, 0, c->step);
    if (y != 0.0)
      s->w[k] = depress(p, s->w[k], y);
  }
}

/* exp(-k dt / tau) of trace J, as hebb_trace_at decays it */
static inline double decay(const hebb_trace_set *t, uint32_t j, uint64_t k) {
  return k < t->table_len ? t->decay[j][k] : exp(-(double)k / t->tau_steps[j]);
}

/* nearest_presynaptic at a postsynaptic spike: potentiate with the arrivals since the
 * previous postsynaptic spike, then mark every arrival so far as paired. Runs in frozen phases
 * too (c->learning = 0), recording the pairing without changing weights. */
static void on_post_presynaptic(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  const double *p = c->p;
  const uint32_t i = s->neuron;
  const bool posted = c->post->value[(size_t)i * c->post->n] != 0.0;
  const uint64_t last_post = c->post->last[i];
  const double f = posted ? decay(c->pre, 0, c->step - last_post) : 0.0;
  float *hi = s->syn[S_PAIRED_HI], *lo = s->syn[S_PAIRED_LO];
  for (uint32_t k = 0; k < s->n; k++) {
    hebb_post_prefetch(s, k);
    const uint32_t g = hebb_post_group(s, k), q = hebb_post_index(s, k);
    const double x = hebb_trace_at(c->pre, g, 0, c->step); /* every arrival before now */
    double u = x;                                          /* the unpaired ones */
    if (posted)
      u = c->pre->last[g] < last_post ? 0.0 /* none since the last post spike: exactly zero */
                                      : x - ((double)hi[q] + (double)lo[q]) * f;
    if (c->learning && u > 0.0)
      s->w[q] = facilitate(p, s->w[q], u);
    hi[q] = (float)x;
    lo[q] = (float)(x - (double)hi[q]); /* exact in double; rounded once more to float */
  }
}

static void on_post(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  if (c->opt[O_SCHEME] == NEAREST_PRESYNAPTIC) {
    on_post_presynaptic(c, s);
    return;
  }
  if (!c->learning)
    return;
  const double *p = c->p;
  const bool restricted = c->opt[O_SCHEME] == NEAREST_RESTRICTED;
  const uint64_t last_post = c->post->last[s->neuron];
  const bool posted = c->post->value[(size_t)s->neuron * c->post->n] != 0.0;
  for (uint32_t k = 0; k < s->n; k++) {
    hebb_post_prefetch(s, k);
    uint32_t g = hebb_post_group(s, k);
    /* restricted: only a pre arrival since the previous post spike pairs */
    if (restricted && !(c->pre->last[g] > last_post || !posted))
      continue;
    double x = hebb_trace_at(c->pre, g, 0, c->step);
    if (x != 0.0) {
      float *w = &s->w[hebb_post_index(s, k)];
      *w = facilitate(p, *w, x);
    }
  }
}

/* No state to bring up to a phase switch. Declared so that the engine calls on_pre and
 * on_post in frozen phases too (rule.h), which nearest_presynaptic needs to keep its pairing
 * in step with the spikes; the other schemes return at once when frozen. */
static void on_phase(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  (void)c;
  (void)s;
}

/* only nearest_presynaptic keeps per-synapse state */
static uint32_t syn_used(const double *p, const int *opt) {
  (void)p;
  return opt[O_SCHEME] == NEAREST_PRESYNAPTIC ? 2 : 0;
}

const hebb_rule hebb_rule_stdp = {
    .abi = HEBB_RULE_ABI,
    .name = "stdp",
    .doc = "pair-based STDP, additive to multiplicative (NEST's stdp_synapse)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .options = options,
    .noptions = sizeof options / sizeof options[0],
    .syn_state = syn_state,
    .nsyn = 2,
    .pre = pre_traces,
    .npre = 1,
    .post = post_traces,
    .npost = 1,
    .check = check,
    .on_pre = on_pre,
    .on_post = on_post,
    .on_phase = on_phase,
    .syn_used = syn_used,
};

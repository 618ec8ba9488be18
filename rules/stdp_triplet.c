/* stdp_triplet.c - triplet spike-timing-dependent plasticity [stdp_triplet].
 *
 * Pfister & Gerstner (2006), J Neurosci 26:9673-9682 (MODELS.md 2.3). Two presynaptic traces,
 * r1 (tau_plus) and r2 (tau_x), kept per presynaptic group, and two postsynaptic ones, o1
 * (tau_minus) and o2 (tau_y), kept per target neuron:
 *   at a presynaptic arrival:  w -= o1(t - eps) [A2_minus + A3_minus r2(t - eps)]
 *   at a postsynaptic spike:   w += r1(t - eps) [A2_plus  + A3_plus  o2(t - eps)]
 * then w is clipped to [Wmin, Wmax]. The pair terms (A2) are the classical STDP window; the
 * triplet terms (A3) make LTP grow with the postsynaptic rate (post-pre-post triplets) and
 * LTD with the presynaptic one. Every trace is read at t - eps, before this step's spikes are
 * added: o2 at a post spike counts the earlier post spikes only (NEST's stdp_triplet_synapse
 * reads Kminus_triplet - 1 for the same reason), and equal-time pre/post pairs do not
 * interact. Weights are stored as float; each update is computed in double.
 *
 * Defaults: the minimal all-to-all visual-cortex fit of the paper's Table 4 (tau_plus 16.8 ms,
 * tau_minus 33.7 ms, tau_y 114 ms, A2_plus 0, A3_plus 6.5e-3, A2_minus 7.1e-3, A3_minus 0;
 * tau_x = 101 ms from the full fit, unused while A3_minus = 0), in relative weights (w0 = 1,
 * Wmax 1, Wmin 0). The full fit is tau_y 125 ms, A2_plus 5e-10, A3_plus 6.2e-3, A2_minus
 * 7e-3, A3_minus 2.3e-4. For independent Poisson trains at rates nu_x, nu_y the mean drift of
 * the minimal model is nu_x nu_y (A3_plus tau_plus tau_y nu_y - A2_minus tau_minus): BCM-like,
 * with the threshold 19.2 Hz for these parameters.
 *
 * Interaction schemes (the paper's two fits):
 *   all_to_all   traces add one per spike: every pair and triplet counts;
 *   nearest      traces are set to one: each spike interacts with the latest earlier spike
 *                of each trace (the paper's nearest-spike model).
 *
 * Homeostasis (optional, kappa > 0): the sliding threshold of Auryn's TripletConnection
 * (fzenke/auryn src/auryn/TripletConnection.cpp, hom_fudge; MODELS.md 2.3). A third
 * postsynaptic trace o_hom (tau_hom, always adding one, whatever the scheme) estimates the
 * rate nu_bar = o_hom(t - eps) / tau_hom (Hz, tau_hom in s), and A2_minus is replaced by
 *   A2_minus_eff = (A3_plus tau_plus tau_y / tau_minus) nu_bar^2 / kappa     (taus in s)
 * so that the drift becomes nu_x nu_y A3_plus tau_plus tau_y (nu_y - nu_bar^2 / kappa), with
 * the stable fixed point nu_y = kappa. The A2_minus parameter is then unused. This is
 * Auryn's exact form, preferred over the simpler A2_minus nu_bar^2 / kappa^2, which has the
 * same fixed point only when A2_minus sits at the rate-kappa threshold. As in Auryn the
 * A3_minus term is kept unchanged. o_hom starts at zero (Auryn can preset it to a rate with
 * set_hom_trace; the plasticity interface cannot), so LTD is weak until o_hom has built up.
 */
#include "rule.h"

#include <stdio.h>

enum {
  P_TAU_PLUS,
  P_TAU_MINUS,
  P_TAU_X,
  P_TAU_Y,
  P_A2_PLUS,
  P_A3_PLUS,
  P_A2_MINUS,
  P_A3_MINUS,
  P_WMAX,
  P_WMIN,
  P_KAPPA,
  P_TAU_HOM,
};
enum { O_SCHEME };
enum { ALL_TO_ALL, NEAREST };
/* trace indices: presynaptic r1, r2; postsynaptic o1, o2, o_hom */
enum { R1, R2 };
enum { O1, O2, O_HOM };

static const hebb_rule_param_desc params[] = {
    {"tau_plus", "ms", 16.8, "time constant of r1, the presynaptic trace of pair LTP"},
    {"tau_minus", "ms", 33.7, "time constant of o1, the postsynaptic trace of pair LTD"},
    {"tau_x", "ms", 101.0, "time constant of r2, the presynaptic trace of triplet LTD"},
    {"tau_y", "ms", 114.0, "time constant of o2, the postsynaptic trace of triplet LTP"},
    {"A2_plus", "weight", 0.0, "pair LTP amplitude (post after pre)"},
    {"A3_plus", "weight", 6.5e-3, "triplet LTP amplitude (post-pre-post)"},
    {"A2_minus", "weight", 7.1e-3, "pair LTD amplitude (pre after post); unused when kappa > 0"},
    {"A3_minus", "weight", 0.0, "triplet LTD amplitude (pre-post-pre)"},
    {"Wmax", "weight", 1.0, "upper bound of the weight"},
    {"Wmin", "weight", 0.0, "lower bound of the weight"},
    {"kappa", "Hz", 0.0,
     "target rate of the sliding LTD threshold (Auryn's TripletConnection); 0: off"},
    {"tau_hom", "ms", 10000.0,
     "time constant of o_hom, the rate estimate of the sliding threshold"},
};

static const hebb_rule_option_desc options[] = {
    {"scheme", "all_to_all|nearest", "which spikes interact: all, or the latest of each kind"},
};

static const hebb_rule_trace pre_traces[] = {
    {P_TAU_PLUS, O_SCHEME, {HEBB_TRACE_ADD, HEBB_TRACE_SET}},
    {P_TAU_X, O_SCHEME, {HEBB_TRACE_ADD, HEBB_TRACE_SET}},
};
static const hebb_rule_trace post_traces[] = {
    {P_TAU_MINUS, O_SCHEME, {HEBB_TRACE_ADD, HEBB_TRACE_SET}},
    {P_TAU_Y, O_SCHEME, {HEBB_TRACE_ADD, HEBB_TRACE_SET}},
    {P_TAU_HOM, -1, {HEBB_TRACE_ADD}}, /* a rate estimate: always all-to-all */
};

static int check(const double *p, const int *opt, char *err, size_t len) {
  (void)opt;
  if (!(p[P_TAU_PLUS] > 0) || !(p[P_TAU_MINUS] > 0) || !(p[P_TAU_X] > 0) || !(p[P_TAU_Y] > 0) ||
      !(p[P_TAU_HOM] > 0)) {
    snprintf(err, len, "tau_plus, tau_minus, tau_x, tau_y and tau_hom must be positive");
    return -1;
  }
  if (!(p[P_A2_PLUS] >= 0) || !(p[P_A3_PLUS] >= 0) || !(p[P_A2_MINUS] >= 0) ||
      !(p[P_A3_MINUS] >= 0)) {
    snprintf(err, len, "A2_plus, A3_plus, A2_minus and A3_minus must not be negative");
    return -1;
  }
  /* values are checked as they are set, one at a time: the message says how to order them */
  if (!(p[P_WMIN] <= p[P_WMAX])) {
    snprintf(err, len,
             "Wmin (%g) must not exceed Wmax (%g); give Wmax first when raising both, Wmin "
             "first when lowering both",
             p[P_WMIN], p[P_WMAX]);
    return -1;
  }
  if (!(p[P_KAPPA] >= 0)) {
    snprintf(err, len, "kappa must not be negative (0 turns the sliding threshold off), got %g",
             p[P_KAPPA]);
    return -1;
  }
  return 0;
}

static inline float clip(const double *p, double w) {
  return (float)(w < p[P_WMIN] ? p[P_WMIN] : w > p[P_WMAX] ? p[P_WMAX] : w);
}

static void on_pre(const hebb_rule_ctx *c, const hebb_rule_pre *s) {
  const double *p = c->p;
  /* the triplet factor is the same for every synapse of the group */
  const double a3 = p[P_A3_MINUS] * hebb_trace_at(c->pre, s->group, R2, c->step);
  const double kappa = p[P_KAPPA];
  /* Auryn's hom_fudge without the 1/tau_hom^2: A2_minus_eff = fudge * o_hom^2 */
  const double fudge = kappa > 0 ? p[P_A3_PLUS] * (p[P_TAU_PLUS] * 1e-3) * (p[P_TAU_Y] * 1e-3) /
                                       (p[P_TAU_MINUS] * 1e-3) / kappa /
                                       ((p[P_TAU_HOM] * 1e-3) * (p[P_TAU_HOM] * 1e-3))
                                 : 0.0;
  for (uint32_t k = 0; k < s->n; k++) {
    uint32_t i = hebb_pre_target(s, k);
    double o1 = hebb_trace_at(c->post, i, O1, c->step);
    double a2 = p[P_A2_MINUS];
    if (kappa > 0) {
      double h = hebb_trace_at(c->post, i, O_HOM, c->step);
      a2 = fudge * (h * h);
    }
    s->w[k] = clip(p, (double)s->w[k] - o1 * (a2 + a3));
  }
}

static void on_post(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  const double *p = c->p;
  /* the triplet factor is the same for every synapse onto the neuron */
  const double f = p[P_A2_PLUS] + p[P_A3_PLUS] * hebb_trace_at(c->post, s->neuron, O2, c->step);
  for (uint32_t k = 0; k < s->n; k++) {
    hebb_post_prefetch(s, k);
    double r1 = hebb_trace_at(c->pre, hebb_post_group(s, k), R1, c->step);
    float *w = &s->w[hebb_post_index(s, k)];
    *w = clip(p, (double)*w + r1 * f);
  }
}

const hebb_rule hebb_rule_stdp_triplet = {
    .abi = HEBB_RULE_ABI,
    .name = "stdp_triplet",
    .doc = "triplet STDP (Pfister & Gerstner 2006), optional sliding threshold (Auryn)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .options = options,
    .noptions = sizeof options / sizeof options[0],
    .pre = pre_traces,
    .npre = sizeof pre_traces / sizeof pre_traces[0],
    .post = post_traces,
    .npost = sizeof post_traces / sizeof post_traces[0],
    .check = check,
    .on_pre = on_pre,
    .on_post = on_post,
};

/* my_stdp.c - a template for a Hebb plasticity rule loaded at run time (a plugin).
 *
 * Copy this directory, rename the rule (the .name below and the file names), put your
 * equations in on_pre and on_post, build with `make` and load it with `plugins:` in a model
 * file or `hebb run --plugin` (README.md). The interface is documented in hebb/rule.h; read
 * its opening comment first: it says when the hooks run and what they may touch.
 *
 * The rule itself is pair-based STDP, additive, with all-to-all spike interaction and hard
 * bounds [0, Wmax] (Song, Miller & Abbott 2000): the built-in rule `stdp` with mu_plus =
 * mu_minus = 0 and scheme all_to_all, written out without the options. It computes exactly
 * what the built-in computes, operation for operation, so both give bit-identical weights
 * (tests/e2e/plugin.sh checks that). With normalised weights u = w / Wmax:
 *
 *   presynaptic trace  x: +1 at each presynaptic spike as it reaches the synapse (after the
 *                         delay), decays with tau_plus;
 *   postsynaptic trace y: +1 at each postsynaptic spike, decays with tau_minus;
 *   at a postsynaptic spike:  u += lambda x            capped at 1     (LTP)
 *   at a presynaptic arrival: u -= alpha lambda y      floored at 0    (LTD)
 *
 * The engine keeps, decays and increments the traces; the rule only reads them, at t - eps
 * (before this step's spikes are added), through hebb_trace_at().
 *
 * Build it with the same floating-point flags as Hebb (-ffp-contract=off: no fused
 * multiply-add) if you want results that do not depend on the compiler's choices.
 */
#include <hebb/rule.h>

#include <stdio.h>

/* ---- 1. Parameters ----------------------------------------------------------------------
 * Give every parameter an index (the enum) and a descriptor (the table): its name in model
 * files, its unit, its default value and a one-line doc (shown by `hebb rules`). Units:
 *   "ms"      a time; the hook sees it in ms;
 *   "Hz"      a frequency, in Hz;
 *   "weight"  the weight unit of the projection's target (pA, mV or nS), so that Wmax: 12 nS
 *             is accepted onto an iaf_cond_exp population and refused as 12 ms;
 *   ""        a plain number.
 * The hooks receive the values in c->p[], in this order. At most 32 parameters. */
enum { P_TAU_PLUS, P_TAU_MINUS, P_LAMBDA, P_ALPHA, P_WMAX, P_COUNT };

static const hebb_rule_param_desc params[P_COUNT] = {
    [P_TAU_PLUS] = {"tau_plus", "ms", 20.0, "time constant of the presynaptic trace (LTP window)"},
    [P_TAU_MINUS] = {"tau_minus", "ms", 20.0,
                     "time constant of the postsynaptic trace (LTD window)"},
    [P_LAMBDA] = {"lambda", "", 0.01, "learning rate: the LTP step as a fraction of Wmax"},
    [P_ALPHA] = {"alpha", "", 1.0, "LTD step relative to LTP"},
    [P_WMAX] = {"Wmax", "weight", 100.0, "upper bound of the weight (the lower bound is 0)"},
};

/* ---- 2. Options (none here) ---------------------------------------------------------------
 * Named choices among words: {"scheme", "all_to_all|nearest", "doc"}; the first word is the
 * default, and the hooks see the index of the chosen word in c->opt[]. At most 8. */

/* ---- 3. Traces ----------------------------------------------------------------------------
 * One entry per trace. tau_param is the index of the parameter that holds its time constant.
 * mode_option = -1: every spike adds one to the trace (all-to-all interaction); an option's
 * index instead lets that option choose per value between HEBB_TRACE_ADD and
 * HEBB_TRACE_SET (set to one: nearest-spike interaction) through modes[]. Presynaptic traces
 * are kept per (source neuron, delay), postsynaptic ones per target neuron. At most 4 of
 * each. Read trace j with hebb_trace_at(c->pre or c->post, owner, j, c->step). */
static const hebb_rule_trace pre_traces[] = {
    {.tau_param = P_TAU_PLUS, .mode_option = -1, .modes = {HEBB_TRACE_ADD}}, /* x */
};
static const hebb_rule_trace post_traces[] = {
    {.tau_param = P_TAU_MINUS, .mode_option = -1, .modes = {HEBB_TRACE_ADD}}, /* y */
};

/* ---- 4. Parameter check ---------------------------------------------------------------------
 * Called each time a parameter is set (the model file's line is then reported) and again
 * when the network is built. Return 0, or -1 with a message that names the parameter. */
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
  if (!(p[P_LAMBDA] >= 0) || !(p[P_ALPHA] >= 0)) {
    snprintf(err, len, "lambda and alpha must not be negative");
    return -1;
  }
  return 0;
}

/* ---- 5. The equations -------------------------------------------------------------------
 * The weight update at a presynaptic arrival and at a postsynaptic spike. Weights are float
 * (in the projection's weight unit); compute in double and round once, as here. The
 * expressions are the built-in's with mu = 0, in the same order of operations:
 * (lambda * 1.0) * x == lambda * x and ((alpha * lambda) * 1.0) * y == (alpha * lambda) * y
 * exactly, so the weights agree bit for bit. */
static inline float facilitate(const double *p, float w, double x) {
  double u = (double)w / p[P_WMAX];
  u += p[P_LAMBDA] * x;
  return (float)(u < 1.0 ? u * p[P_WMAX] : p[P_WMAX]);
}

static inline float depress(const double *p, float w, double y) {
  double u = (double)w / p[P_WMAX];
  u -= p[P_ALPHA] * p[P_LAMBDA] * y;
  return (float)(u > 0.0 ? u * p[P_WMAX] : 0.0);
}

/* ---- 6. Hooks ---------------------------------------------------------------------------
 * on_pre: one presynaptic spike reaches s->n synapses (one source, one delay) in this step.
 * Synapse k has weight s->w[k] and target hebb_pre_target(s, k) (the owner of its
 * postsynaptic traces; Hebb stores targets in 16 or 32 bits, and the accessor reads either);
 * s->group owns the presynaptic traces. LTD reads the postsynaptic trace y of each target.
 * Hooks run on worker threads, many at once: touch only what they are given, and never
 * allocate, block, print or keep pointers. */
static void on_pre(const hebb_rule_ctx *c, const hebb_rule_pre *s) {
  const double *p = c->p;
  for (uint32_t k = 0; k < s->n; k++) {
    double y = hebb_trace_at(c->post, hebb_pre_target(s, k), 0, c->step);
    if (y != 0.0) /* no postsynaptic spike yet: nothing to do (and the result is the same) */
      s->w[k] = depress(p, s->w[k], y);
  }
}

/* on_post: neuron s->neuron spiked in this step; s->n plastic synapses of this projection
 * end on it. Synapse k is s->w[hebb_post_index(s, k)] and belongs to presynaptic group
 * hebb_post_group(s, k) (the owner of its presynaptic traces; the index is packed, read it
 * only through these two). LTP reads the presynaptic trace x of each group. */
static void on_post(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  const double *p = c->p;
  for (uint32_t k = 0; k < s->n; k++) {
    hebb_post_prefetch(s, k); /* a neuron's weights are scattered: overlap the cache misses */
    double x = hebb_trace_at(c->pre, hebb_post_group(s, k), 0, c->step);
    if (x != 0.0) {
      float *w = &s->w[hebb_post_index(s, k)];
      *w = facilitate(p, *w, x);
    }
  }
}

/* ---- 7. The rule ------------------------------------------------------------------------
 * Everything Hebb needs, in one constant structure:
 *   abi        HEBB_RULE_ABI of the rule.h this was compiled against; a Hebb with another
 *              version refuses the plugin ("rebuild it against this hebb");
 *   name       the name for `plasticity: {rule: NAME}`: an identifier, not the name of a
 *              built-in rule or of another loaded plugin;
 *   doc        one line for `hebb rules`;
 *   params, options, traces: the tables above, with their lengths;
 *   syn_state, nsyn: names of per-synapse state variables (float arrays beside the weights,
 *              up to 8; hooks get them as s->syn[v][k]) and syn_init to set them; none here;
 *   pre_state, post_state (npre_state, npost_state): names of state variables per
 *              presynaptic group and per target neuron (double, up to 8 each; hooks get them
 *              as c->pre_state[v][group] and c->post_state[v][neuron]), state_init to set
 *              them; none here (rules/bcm.c keeps its threshold per neuron this way);
 *   check      the parameter check (may be NULL);
 *   on_pre, on_post: the hooks (both required);
 *   on_period, period_param: an optional hook run every p[period_param] ms for every neuron
 *              of the target population (homeostasis, consolidation); NULL here.
 * Fields left out of the initializer are zero: NULL for the optional hooks this rule does not
 * use (hebb/rule.h lists them all). */
static const hebb_rule rule = {
    .abi = HEBB_RULE_ABI,
    .name = "my_stdp",
    .doc = "template plugin: additive all-to-all pair STDP with hard bounds (= stdp, mu = 0)",
    .params = params,
    .nparams = P_COUNT,
    .options = NULL,
    .noptions = 0,
    .syn_state = NULL,
    .nsyn = 0,
    .pre = pre_traces,
    .npre = sizeof pre_traces / sizeof pre_traces[0],
    .post = post_traces,
    .npost = sizeof post_traces / sizeof post_traces[0],
    .check = check,
    .syn_init = NULL,
    .on_pre = on_pre,
    .on_post = on_post,
    .on_period = NULL,
    .period_param = -1,
};

/* ---- 8. The entry point -------------------------------------------------------------------
 * The one symbol Hebb looks up (dlsym) in the shared object. It must be exported: keep the
 * visibility attribute if you build with -fvisibility=hidden, and extern "C" in C++. */
__attribute__((visibility("default"))) const hebb_rule *hebb_rule_entry(void) {
  return &rule;
}

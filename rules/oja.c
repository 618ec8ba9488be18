/* oja.c - Oja's rule, spike-based [oja].
 *
 * Oja (1982), J Math Biol 15:267-273 (MODELS.md 2.4). The rate rule, for a linear neuron
 * y = w.x, is dw/dt = eta y (x - y w): Hebbian growth with a decay proportional to y^2 w,
 * which keeps the norm of w at 1 and turns w toward the principal eigenvector of <x x^T>.
 *
 * Spike-based form (the engineering construction of MODELS.md 2.4, not from a paper): each
 * side keeps a rate estimate in Hz from its trace (+1 per spike),
 *   x_hat_j = x_j / tau_x    (presynaptic trace, per presynaptic group),
 *   y_hat_i = y_i / tau_y    (postsynaptic trace, per target neuron),   taus in s,
 * and at every postsynaptic spike of neuron i, for every plastic synapse j -> i,
 *   w_ij += eta (x_hat_j(t - eps) - w_ij y_hat_i(t - eps)),   then clipped to [Wmin, Wmax].
 * Postsynaptic spikes come at the rate nu_i, which supplies the factor y of the rate rule:
 * for independent Poisson trains (a post neuron driven by inputs other than these synapses)
 * the mean drift is
 *   <dw_ij/dt> = eta nu_i (nu_j - w_ij nu_i),   fixed point w* = nu_j / nu_i,
 * Oja's rule with y = nu_i. When the synapses themselves drive the neuron, the causal
 * pre -> post correlation adds a term (a presynaptic spike raises x_hat_j just before the
 * post spikes it helped cause; of the order of w_ij / tau_x times the spike-triggered
 * excess of the presynaptic rate). On the grid of step h a trace read at t - eps has the
 * mean nu h / (e^{h/tau} - 1) = nu tau (1 - h / (2 tau) + ...), so x_hat and y_hat are
 * biased by -h / (2 tau) (0.05 % for h = 0.1 ms, tau = 100 ms). The estimates are noisy
 * (variance nu / (2 tau) Hz^2 for a Poisson train), and the noise of y_hat, correlated
 * with the past updates of w, raises the mean fixed point by a relative amount of the
 * order of eta nu_i / 2: keep eta nu_i << 1. Traces are read at t - eps, before this
 * step's spikes, so a presynaptic spike arriving in the step of a post spike does not
 * count. Presynaptic spikes change nothing by themselves (on_pre is empty). Weights are
 * stored as float; each update is computed in double. The update itself is hebb_oja_dw
 * (rules/hebbian.h), which the rate-form test O1 runs too.
 *
 * Units: w is read as a plain number in the projection's weight unit (pA, mV or nS), and
 * rates are in Hz, so eta is a plain number with the meaning "weight per Hz" (the weight
 * change per postsynaptic spike per Hz of x_hat - w y_hat). The fixed point nu_j / nu_i and
 * Oja's norm |w| = 1 are in that weight unit: changing the unit of the weights changes the
 * rule.
 *
 * Parameters: eta (default 1e-4: at nu_i = 10 Hz the weights relax with the rate eta nu_i^2
 * = 0.01 / s), tau_x and tau_y (ms, default 100: the averaging window of the rate
 * estimates), Wmin and Wmax (weight unit, defaults -1e30 and 1e30: no bounds, as the rule
 * needs none; a hard clip only where set).
 */
#include "hebbian.h"
#include "rule.h"

#include <stdio.h>

enum { P_ETA, P_TAU_X, P_TAU_Y, P_WMIN, P_WMAX };

static const hebb_rule_param_desc params[] = {
    {"eta", "", 1e-4,
     "learning rate: weight change per postsynaptic spike per Hz (weight unit / Hz)"},
    {"tau_x", "ms", 100.0, "time constant of the presynaptic trace (rate estimate x / tau_x)"},
    {"tau_y", "ms", 100.0, "time constant of the postsynaptic trace (rate estimate y / tau_y)"},
    {"Wmin", "weight", -1e30, "lower bound of the weight (default: none)"},
    {"Wmax", "weight", 1e30, "upper bound of the weight (default: none)"},
};

static const hebb_rule_trace pre_traces[] = {{P_TAU_X, -1, {HEBB_TRACE_ADD}}};
static const hebb_rule_trace post_traces[] = {{P_TAU_Y, -1, {HEBB_TRACE_ADD}}};

static int check(const double *p, const int *opt, char *err, size_t len) {
  (void)opt;
  if (!(p[P_TAU_X] > 0) || !(p[P_TAU_Y] > 0)) {
    snprintf(err, len, "tau_x and tau_y must be positive");
    return -1;
  }
  if (!(p[P_ETA] >= 0) || !isfinite(p[P_ETA])) {
    snprintf(err, len, "eta must be finite and not negative, got %g", p[P_ETA]);
    return -1;
  }
  if (!(p[P_WMIN] <= p[P_WMAX])) {
    snprintf(err, len, "Wmin (%g) must not exceed Wmax (%g)", p[P_WMIN], p[P_WMAX]);
    return -1;
  }
  return 0;
}

static void on_pre(const hebb_rule_ctx *c, const hebb_rule_pre *s) {
  (void)c;
  (void)s;
}

static void on_post(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  const double *p = c->p;
  /* rates in Hz: a trace over a time constant in s */
  const double y = hebb_trace_at(c->post, s->neuron, 0, c->step) * 1000.0 / p[P_TAU_Y];
  const double to_hz = 1000.0 / p[P_TAU_X];
  for (uint32_t k = 0; k < s->n; k++) {
    hebb_post_prefetch(s, k);
    double x = hebb_trace_at(c->pre, hebb_post_group(s, k), 0, c->step) * to_hz;
    float *w = &s->w[hebb_post_index(s, k)];
    double v = (double)*w + hebb_oja_dw(p[P_ETA], (double)*w, x, y);
    *w = (float)hebb_hebbian_clip(v, p[P_WMIN], p[P_WMAX]);
  }
}

const hebb_rule hebb_rule_oja = {
    .abi = HEBB_RULE_ABI,
    .name = "oja",
    .doc = "Oja's rule from trace rate estimates, at postsynaptic spikes (Oja 1982)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .pre = pre_traces,
    .npre = 1,
    .post = post_traces,
    .npost = 1,
    .check = check,
    .on_pre = on_pre,
    .on_post = on_post,
};

/* bcm.c - BCM with a sliding threshold, spike-based [bcm].
 *
 * Bienenstock, Cooper & Munro (1982), J Neurosci 2:32-48; Intrator & Cooper (1992), Neural
 * Netw 5:3-17 (MODELS.md 2.5). The rate rule, for a neuron of rate y:
 *   dw/dt = eta x phi(y, theta),  phi = y (y - theta),
 *   tau_theta dtheta/dt = y^2 / y0 - theta        (theta tracks <y^2> / y0),
 * depression below the threshold theta, potentiation above it; the threshold slides with
 * the recent activity, faster than the weights, which makes the rule stable and selective.
 *
 * Spike-based form (an engineering construction, like [oja]'s): rate estimates in Hz from
 * traces (+1 per spike),
 *   x_hat_j = x_j / tau_x    (presynaptic trace, per presynaptic group),
 *   y_hat_i = y_i / tau_y    (postsynaptic trace, per target neuron),   taus in s.
 *   Weights, at every postsynaptic spike of neuron i, for every plastic synapse j -> i:
 *     w_ij += eta x_hat_j(t - eps) (y_hat_i(t - eps) - theta_i),   clipped to [Wmin, Wmax].
 *   The postsynaptic spike, at the rate nu_i, supplies the factor y of phi (as it supplies
 *   the factor y of Oja's rule in [oja]); updating by eta x_hat y_hat (y_hat - theta) at
 *   each spike would give y^2 (y - theta), the wrong power.
 *   Threshold, every `period` (on_period), for each target neuron i:
 *     theta_i += (period / tau_theta) (y_hat_i^2 / y0 - theta_i)      (forward Euler),
 *   with y_hat_i read at the end of the step that closes the period, including its spikes.
 * Traces are read at t - eps at spikes, so a presynaptic spike arriving in the step of a post
 * spike does not count. Presynaptic spikes change nothing by themselves (on_pre is empty).
 * The updates are hebb_bcm_dw and hebb_bcm_theta (rules/hebbian.h), which the rate-form test
 * B1 runs too. Weights are stored as float, theta as double; each update is computed in double.
 *
 * Where theta lives: per target neuron, in the rule's postsynaptic state ("theta", double),
 * starting at theta0. on_period updates it for every neuron of the target population, also
 * for a neuron without plastic synapses of this projection (it has one threshold all the
 * same). theta is per projection: two projections with [bcm] onto one neuron keep separate
 * thresholds. In a phase with frozen weights (hebb_model_set_learning_schedule) on_period
 * does not run, so theta pauses too.
 *
 * Expected drift, independent Poisson trains (pre nu_j; post nu_i, driven by other inputs):
 *   fixed theta:  <dw_ij/dt> = eta nu_j nu_i (nu_i - theta):  the BCM curve, with its sign
 *                 change at nu_i = theta (the post spike samples y_hat(t - eps)
 *                 independently of its own occurrence, so its mean is nu_i; no estimate
 *                 noise enters);
 *   sliding theta, in steady state: <theta> = <y_hat^2> / y0 = (nu_i^2 + nu_i / (2 tau_y)) / y0
 *                 (a Poisson trace estimate has the variance nu / (2 tau)), so the drift is
 *                 eta nu_j nu_i^2 (1 - (nu_i + 1 / (2 tau_y)) / y0): potentiation below, and
 *                 depression above, the rate y0 - 1 / (2 tau_y) (5 Hz below y0 for tau_y =
 *                 100 ms; take tau_y >> 1 / y0 or raise y0 to compensate).
 * On the grid of step h a trace read at t - eps has the mean nu h / (e^{h/tau} - 1) (tau in
 * s), i.e. nu (1 - h / (2 tau)) for the rate estimates. When the synapses drive the neuron,
 * the causal pre -> post correlation adds a term, as for any Hebbian rule. theta must move
 * faster than the weights (tau_theta << 1 / (eta nu_j nu_i)) and slower than the rate
 * estimates (tau_theta >> tau_y, period).
 *
 * Units: rates and theta in Hz, w read as a plain number in the projection's weight unit, so
 * eta is a plain number with the meaning "weight per Hz^2" (the change per postsynaptic
 * spike per Hz^2 of x_hat (y_hat - theta)).
 *
 * Parameters: eta (default 1e-5), tau_x, tau_y (ms, default 100), tau_theta (ms, default
 * 1 s), y0 (Hz, default 10), theta0 (Hz, default 10: the steady threshold at the rate y0,
 * up to the estimate noise), period (ms, default 10; a whole number of steps), Wmin and Wmax
 * (weight unit, defaults 0 and 1e30: a weight does not change sign; no upper bound, as the
 * sliding threshold stabilises the weights).
 */
#include "hebbian.h"
#include "rule.h"

#include <stdio.h>

enum { P_ETA, P_TAU_X, P_TAU_Y, P_TAU_THETA, P_Y0, P_THETA0, P_PERIOD, P_WMIN, P_WMAX };
enum { N_THETA };

static const hebb_rule_param_desc params[] = {
    {"eta", "", 1e-5,
     "learning rate: weight change per postsynaptic spike per Hz^2 (weight unit / Hz^2)"},
    {"tau_x", "ms", 100.0, "time constant of the presynaptic trace (rate estimate x / tau_x)"},
    {"tau_y", "ms", 100.0, "time constant of the postsynaptic trace (rate estimate y / tau_y)"},
    {"tau_theta", "ms", 1000.0, "time constant of the sliding threshold"},
    {"y0", "Hz", 10.0, "scale of the threshold: theta tracks <y^2> / y0"},
    {"theta0", "Hz", 10.0, "initial threshold"},
    {"period", "ms", 10.0, "interval between threshold updates (a whole number of steps)"},
    {"Wmin", "weight", 0.0, "lower bound of the weight"},
    {"Wmax", "weight", 1e30, "upper bound of the weight (default: none)"},
};

static const hebb_rule_trace pre_traces[] = {{P_TAU_X, -1, {HEBB_TRACE_ADD}}};
static const hebb_rule_trace post_traces[] = {{P_TAU_Y, -1, {HEBB_TRACE_ADD}}};
static const char *const post_state[] = {"theta"};

static int check(const double *p, const int *opt, char *err, size_t len) {
  (void)opt;
  if (!(p[P_TAU_X] > 0) || !(p[P_TAU_Y] > 0) || !(p[P_TAU_THETA] > 0) || !(p[P_PERIOD] > 0)) {
    snprintf(err, len, "tau_x, tau_y, tau_theta and period must be positive");
    return -1;
  }
  if (!(p[P_Y0] > 0) || !isfinite(p[P_Y0])) {
    snprintf(err, len, "y0 must be a positive rate, got %g Hz", p[P_Y0]);
    return -1;
  }
  if (!(p[P_THETA0] >= 0) || !isfinite(p[P_THETA0])) {
    snprintf(err, len, "theta0 must be a rate, finite and not negative, got %g Hz", p[P_THETA0]);
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

static double state_init(const double *p, const int *opt, int side, uint32_t s) {
  (void)opt;
  (void)side;
  (void)s;
  return p[P_THETA0];
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
  const double theta = c->post_state[N_THETA][s->neuron];
  for (uint32_t k = 0; k < s->n; k++) {
    hebb_post_prefetch(s, k);
    uint32_t e = hebb_post_index(s, k);
    double x = hebb_trace_at(c->pre, hebb_post_group(s, k), 0, c->step) * to_hz;
    double v = (double)s->w[e] + hebb_bcm_dw(p[P_ETA], x, y, theta);
    s->w[e] = (float)hebb_hebbian_clip(v, p[P_WMIN], p[P_WMAX]);
  }
}

static void on_period(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  const double *p = c->p;
  /* the traces already hold this step's spikes: read at this step (k = 0 for a spike now),
   * the estimate at the end time of the step */
  const double y = hebb_trace_at(c->post, s->neuron, 0, c->step) * 1000.0 / p[P_TAU_Y];
  double *theta = &c->post_state[N_THETA][s->neuron];
  *theta = hebb_bcm_theta(*theta, y, p[P_Y0], p[P_PERIOD] / p[P_TAU_THETA]);
}

const hebb_rule hebb_rule_bcm = {
    .abi = HEBB_RULE_ABI,
    .name = "bcm",
    .doc = "BCM with a sliding threshold, from trace rate estimates (Bienenstock, Cooper & "
           "Munro 1982)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .pre = pre_traces,
    .npre = 1,
    .post = post_traces,
    .npost = 1,
    .check = check,
    .on_pre = on_pre,
    .on_post = on_post,
    .on_period = on_period,
    .period_param = P_PERIOD,
    .post_state = post_state,
    .npost_state = 1,
    .state_init = state_init,
};

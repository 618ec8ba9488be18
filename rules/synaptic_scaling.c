/* synaptic_scaling.c - multiplicative synaptic scaling toward a target rate [synaptic_scaling].
 *
 * Homeostatic scaling (Turrigiano et al. 1998; the model of van Rossum, Bi & Turrigiano 2000,
 * MODELS.md 2.7). Each target neuron i keeps a rate sensor, its postsynaptic trace with time
 * constant tau_a divided by tau_a:
 *   tau_a da_i/dt = -a_i + sum_k delta(t - t_i^k)          a_i in Hz (trace / tau_a)
 * and every synapse onto i is scaled by the same factor toward the target rate nu_target:
 *   dw_ij/dt = w_ij (nu_target - a_i) / (nu_target tau_scale).
 * The equation is integrated by forward Euler every `period` of model time (on_period), for
 * all plastic synapses onto every neuron of the target population:
 *   w_ij += (period / tau_scale) w_ij (nu_target - a_i) / nu_target,   clipped to [0, Wmax],
 * with a_i read at the end of the step that closes the period, including the spikes of that
 * step (they are stamped with its end time). Spikes do nothing else: on_pre and on_post
 * leave the weights alone (the engine requires both hooks). All synapses onto a neuron are
 * multiplied by one factor, so their ratios are preserved (up to the float rounding of the
 * stored weights) as long as none is clipped.
 *
 * Parameters: nu_target (Hz, default 5), tau_scale (ms, default 10 s: biological scaling
 * acts over hours to days, but a homeostat must act on seconds to minutes to stabilise
 * Hebbian learning, Zenke, Hennequin & Gerstner 2013), tau_a (ms, default 1 s: the rate
 * sensor must be faster than the scaling, yet average over several spikes), period (ms,
 * default 100 ms; must be a whole number of steps, and much shorter than tau_scale for the
 * Euler step to be accurate), Wmax (weight unit of the target). The Auryn variant
 * TripletScalingConnection uses (1 - (a/nu_target)^3) in place of the linear term.
 */
#include "rule.h"

#include <stdio.h>

enum { P_NU_TARGET, P_TAU_SCALE, P_TAU_A, P_PERIOD, P_WMAX };

static const hebb_rule_param_desc params[] = {
    {"nu_target", "Hz", 5.0, "target rate of the postsynaptic neuron"},
    {"tau_scale", "ms", 10000.0, "time constant of the scaling"},
    {"tau_a", "ms", 1000.0, "time constant of the rate sensor (postsynaptic trace)"},
    {"period", "ms", 100.0, "interval between scaling steps (a whole number of steps)"},
    {"Wmax", "weight", 100.0, "upper bound of the weight (the lower bound is 0)"},
};

static const hebb_rule_trace post_traces[] = {{P_TAU_A, -1, {HEBB_TRACE_ADD}}};

static int check(const double *p, const int *opt, char *err, size_t len) {
  (void)opt;
  if (!(p[P_NU_TARGET] > 0)) {
    snprintf(err, len, "nu_target must be positive, got %g Hz", p[P_NU_TARGET]);
    return -1;
  }
  if (!(p[P_TAU_SCALE] > 0) || !(p[P_TAU_A] > 0)) {
    snprintf(err, len, "tau_scale and tau_a must be positive");
    return -1;
  }
  if (!(p[P_PERIOD] > 0)) {
    snprintf(err, len, "period must be positive, got %g ms", p[P_PERIOD]);
    return -1;
  }
  if (!(p[P_WMAX] > 0)) {
    snprintf(err, len, "Wmax must be positive, got %g", p[P_WMAX]);
    return -1;
  }
  return 0;
}

static void on_pre(const hebb_rule_ctx *c, const hebb_rule_pre *s) {
  (void)c;
  (void)s;
}

static void on_post(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  (void)c;
  (void)s;
}

static void on_period(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  const double *p = c->p;
  if (s->n == 0)
    return;
  /* the traces already hold this step's spikes: read them at this step (k = 0 for a spike
   * now), which is the sensor at the end time of the step */
  double a = hebb_trace_at(c->post, s->neuron, 0, c->step) * 1000.0 / p[P_TAU_A]; /* Hz */
  double g = p[P_PERIOD] / p[P_TAU_SCALE] * (p[P_NU_TARGET] - a) / p[P_NU_TARGET];
  for (uint32_t k = 0; k < s->n; k++) {
    hebb_post_prefetch(s, k);
    float *w = &s->w[hebb_post_index(s, k)];
    double v = (double)*w + g * (double)*w;
    *w = (float)(v < 0.0 ? 0.0 : v > p[P_WMAX] ? p[P_WMAX] : v);
  }
}

const hebb_rule hebb_rule_synaptic_scaling = {
    .abi = HEBB_RULE_ABI,
    .name = "synaptic_scaling",
    .doc = "multiplicative synaptic scaling toward a target rate (van Rossum et al. 2000)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .post = post_traces,
    .npost = 1,
    .check = check,
    .on_pre = on_pre,
    .on_post = on_post,
    .on_period = on_period,
    .period_param = P_PERIOD,
};

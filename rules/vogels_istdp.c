/* vogels_istdp.c - inhibitory spike-timing-dependent plasticity [vogels_istdp].
 *
 * Vogels, Sprekeler, Zenke, Clopath & Gerstner (2011), "Inhibitory plasticity balances
 * excitation and inhibition in sensory pathways and memory networks", Science 334:1569-1573
 * (MODELS.md 2.6); NEST's vogels_sprekeler_synapse, Auryn's SymmetricSTDPConnection.
 *
 * A symmetric learning window plus a constant depression at every presynaptic spike. With a
 * presynaptic trace x_j (kept per source as the synapse sees its spikes, i.e. after the
 * axonal delay) and a postsynaptic trace y_i (per target neuron), both with time constant
 * tau and incremented by one per spike (all-to-all), both read at t - eps:
 *
 *   at a presynaptic arrival:  w <- clip(w + eta (y_i - alpha))
 *   at a postsynaptic spike:   w <- clip(w + eta x_j)
 *   between spikes:            dx_j/dt = -x_j / tau,   dy_i/dt = -y_i / tau
 *   clip(w) = min(max(w, Wmin), Wmax)
 *
 * For uncorrelated Poisson trains at rates nu_j, nu_i the drift is
 * <dw/dt> = eta nu_j (2 tau nu_i - alpha), so the postsynaptic rate settles at
 * rho0 = alpha / (2 tau): alpha = 0.12 with tau = 20 ms is 3 Hz. With correlated trains the
 * rate settles elsewhere: a strong inhibitory synapse delays its target's next spike, which
 * lowers x_j at postsynaptic spikes and so raises the rate at which the rule balances (by
 * about 60 % in the full-size network of examples/vogels2011.yaml, 40 inhibitory afferents of
 * 3-4 g_L per cell; Auryn's reference implementation settles at the same rate).
 *
 * Parameters (NEST's names and defaults where NEST has them):
 *   tau   (ms, 20)       time constant of both traces (tau_STDP);
 *   eta   (weight, 0.001) learning rate: the weight change per unit of trace, in the weight
 *                         unit of the target (nS onto iaf_cond_exp). The paper's network uses
 *                         1e-4 g_L-units times gamma = 10, i.e. 0.01 nS with g_L = 10 nS;
 *   alpha (0.12)         depression at each presynaptic arrival, in units of eta;
 *   rho0  (Hz, 0)        target rate, an alternative to alpha: when positive,
 *                        alpha = 2 rho0 tau (rho0 in Hz, tau in s) and the alpha parameter is
 *                        ignored; 0 means "use alpha";
 *   Wmax  (weight, 1e6)  upper bound. NEST's default, 1, would be 1 nS here, far below the
 *                        inhibitory conductances the rule has to reach (the paper starts at
 *                        30 nS and bounds at 300 nS), so the default leaves the weight
 *                        effectively unbounded; set Wmax (e.g. 10x the initial weight, as the
 *                        paper does) to bound it;
 *   Wmin  (weight, 0)    lower bound, 0 <= Wmin <= Wmax.
 *
 * Differences from NEST: NEST applies a presynaptic spike as two clipped steps (facilitation
 * by eta y, then depression by eta alpha); here the two are one step, clipped once (as in
 * Auryn and MODELS.md 2.6). They differ only when a bound is reached within the step.
 *
 * The weight is a magnitude. Onto iaf_cond_exp the projection feeds the inhibitory
 * conductance (receptor: inhibitory, positive weights) and the conductance increment is what
 * learns. Onto the current- and voltage-based models (iaf_psc_exp, iaf_psc_delta) the engine
 * requires non-negative plastic weights, and a positive weight there is depolarising whatever
 * the receptor, so an inhibitory current-based projection cannot be plastic under this rule
 * yet: use iaf_cond_exp targets.
 *
 * The weights are stored as floats: each update is computed in double from the stored value
 * and rounded once when stored.
 */
#include "rule.h"

#include <stdio.h>

enum { P_TAU, P_ETA, P_ALPHA, P_RHO0, P_WMAX, P_WMIN };

static const hebb_rule_param_desc params[] = {
    {"tau", "ms", 20.0, "time constant of the pre- and postsynaptic traces"},
    {"eta", "weight", 0.001, "learning rate: weight change per unit of trace"},
    {"alpha", "", 0.12, "depression per presynaptic arrival, in units of eta (2 rho0 tau)"},
    {"rho0", "Hz", 0.0, "target rate; if positive, alpha = 2 rho0 tau and alpha is ignored"},
    {"Wmax", "weight", 1e6, "upper bound of the weight"},
    {"Wmin", "weight", 0.0, "lower bound of the weight (at least 0)"},
};

static const hebb_rule_trace pre_traces[] = {{P_TAU, -1, {HEBB_TRACE_ADD}}};
static const hebb_rule_trace post_traces[] = {{P_TAU, -1, {HEBB_TRACE_ADD}}};

static int check(const double *p, const int *opt, char *err, size_t len) {
  (void)opt;
  if (!(p[P_TAU] > 0)) {
    snprintf(err, len, "tau must be positive, got %g ms", p[P_TAU]);
    return -1;
  }
  if (!(p[P_ETA] >= 0) || !(p[P_ALPHA] >= 0) || !(p[P_RHO0] >= 0)) {
    snprintf(err, len, "eta, alpha and rho0 must not be negative");
    return -1;
  }
  if (!(p[P_WMIN] >= 0) || !(p[P_WMAX] >= p[P_WMIN])) {
    snprintf(err, len, "the bounds need 0 <= Wmin <= Wmax, got Wmin %g and Wmax %g", p[P_WMIN],
             p[P_WMAX]);
    return -1;
  }
  return 0;
}

/* alpha, or 2 rho0 tau from the target rate (Hz times ms: 1e-3) */
static inline double depression(const double *p) {
  return p[P_RHO0] > 0 ? 2.0 * p[P_RHO0] * p[P_TAU] * 1e-3 : p[P_ALPHA];
}

static inline float clip(const double *p, double w) {
  return (float)(w < p[P_WMIN] ? p[P_WMIN] : w > p[P_WMAX] ? p[P_WMAX] : w);
}

static void on_pre(const hebb_rule_ctx *c, const hebb_rule_pre *s) {
  const double *p = c->p;
  const double eta = p[P_ETA], alpha = depression(p);
  for (uint32_t k = 0; k < s->n; k++) {
    double y = hebb_trace_at(c->post, hebb_pre_target(s, k), 0, c->step);
    s->w[k] = clip(p, (double)s->w[k] + eta * (y - alpha));
  }
}

static void on_post(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  const double *p = c->p;
  const double eta = p[P_ETA];
  for (uint32_t k = 0; k < s->n; k++) {
    hebb_post_prefetch(s, k);
    double x = hebb_trace_at(c->pre, hebb_post_group(s, k), 0, c->step);
    float *w = &s->w[hebb_post_index(s, k)];
    *w = clip(p, (double)*w + eta * x);
  }
}

const hebb_rule hebb_rule_vogels_istdp = {
    .abi = HEBB_RULE_ABI,
    .name = "vogels_istdp",
    .doc = "inhibitory STDP of Vogels et al. 2011 (NEST's vogels_sprekeler_synapse)",
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

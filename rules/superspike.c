/* superspike.c - SuperSpike: learning to emit given spike trains with a surrogate gradient
 * [superspike].
 *
 * Zenke & Ganguli (2018), Neural Comput 30:1514-1541 (MODELS.md 2.10), in the per-step form
 * of the reference implementation (Auryn's SuperSpikeConnection, h the step). For an output
 * neuron i whose population has a target spike train (hebb_model_set_target; `target:` in a
 * model file), the loss is the van Rossum-type distance between the target train S^_i and
 * the neuron's own S_i, both filtered by the double-exponential kernel alpha (tau_rise,
 * tau_decay), and the weights of the synapses j -> i follow
 *   dw_ij/dt = r e_i(t) lambda_ij(t),   e_i = alpha * (S^_i - S_i),
 *   lambda_ij = alpha * (sigma'(U_i) (eps * S_j)),   sigma'(U) = beta / (1 + beta |U - theta|)^2
 * (the "fast sigmoid" surrogate of the spike's derivative, 0 below v_min).
 *
 * Every step, after the neurons were updated and the traces took the step's spikes:
 *   presynaptic PSC trace   p_j = the engine's presynaptic trace (tau_syn, +1 per arrival)
 *   presynaptic PSP trace   q_j += (h / tau_mem) (p_j - q_j)                  (per group)
 *   surrogate               s_i = sigma'(U_i), U_i the membrane potential at the step's end
 *   eligibility             lt_ij += s_i q_j (only if q_j > 1e-7);
 *                           l_ij += (h / tau_decay) (lt_ij - l_ij);  lt_ij *= exp(-h / tau_rise)
 *   error                   et_i = et_i exp(-h / tau_rise) + (target spikes - own spikes);
 *                           e_i += (h / tau_decay) (et_i - e_i)
 *   gradient                m_ij += e_i l_ij (only if |e_i| >= 1e-7)
 * and every `period` (Auryn: 5000 steps), the RMSprop-like update with the per-parameter
 * normalisation of the reference code (a running maximum, not a mean):
 *   g = m / (period / h);  v = max(exp(-period / tau_rms) v, g^2);
 *   w += eta g / (sqrt(v) + epsilon),  clipped to [-Wmax, Wmax];  m = 0.
 * Weights may change sign (the rule is HEBB_RULE_SIGNED): onto iaf_psc_exp a negative weight
 * is a negative current with the receptor's time constant, as in the reference.
 *
 * Storage: q per presynaptic group (double), et and e per target neuron (double), and lt, l,
 * m, v per synapse (float, beside the weight). Every update is computed in double and stored.
 * The loss is not computed here: `hebb vanrossum` measures it on the recorded spikes.
 *
 * Hidden layers: a population without a target that receives feedback (a `feedback` entry,
 * hebb_model_add_feedback) learns from the raw error the feedback brings it,
 *   err_k = sum_i B_ki (target spikes - own spikes of output neuron i), a feedback delay ago,
 * filtered by its own kernel like an output neuron's (MODELS.md 2.10); the surrogate uses its
 * own potential. B is symmetric (the forward weights k -> i), random or uniform.
 * Not here: the layer-wise normalisation option, and delaying the hidden layer's surrogate
 * and presynaptic traces by the feedback delay as the reference's random-feedback run does.
 *
 * Units: U, theta, v_min in mV; beta in 1/mV; eta and Wmax in the projection's weight unit.
 */
#include "rule.h"

#include <stdbool.h>
#include <stdio.h>

enum {
  P_TAU_SYN,
  P_TAU_MEM,
  P_TAU_RISE,
  P_TAU_DECAY,
  P_BETA,
  P_THETA,
  P_V_MIN,
  P_ETA,
  P_EPSILON,
  P_TAU_RMS,
  P_PERIOD,
  P_WMAX,
};
enum { S_LT, S_L, S_M, S_V };
enum { PRE_Q };
enum { POST_ET, POST_E };

static const hebb_rule_param_desc params[] = {
    {"tau_syn", "ms", 5.0, "time constant of the presynaptic current trace p"},
    {"tau_mem", "ms", 10.0, "time constant of the presynaptic potential trace q"},
    {"tau_rise", "ms", 5.0, "rise time constant of the kernel alpha (error and eligibility)"},
    {"tau_decay", "ms", 10.0, "decay time constant of the kernel alpha"},
    {"beta", "", 1.0, "steepness of the surrogate derivative (1/mV)"},
    {"theta", "", -50.0, "centre of the surrogate derivative (mV): the firing threshold"},
    {"v_min", "", -80.0, "below this potential (mV) the surrogate derivative is zero"},
    {"eta", "weight", 1e-3, "learning rate: the largest weight change per update"},
    {"epsilon", "", 1e-12, "regulariser of the normalisation"},
    {"tau_rms", "ms", 30000.0, "decay time constant of the running gradient magnitude v"},
    {"period", "ms", 500.0, "interval between weight updates (a whole number of steps)"},
    {"Wmax", "weight", 0.1, "weights are clipped to [-Wmax, Wmax]"},
};

static const hebb_rule_trace pre_traces[] = {{P_TAU_SYN, -1, {HEBB_TRACE_ADD}}};
static const char *const syn_state[] = {"lambda_rise", "lambda", "grad", "rms"};
static const char *const pre_state[] = {"q"};
static const char *const post_state[] = {"error_rise", "error"};

static int check(const double *p, const int *opt, char *err, size_t len) {
  (void)opt;
  const int taus[] = {P_TAU_SYN, P_TAU_MEM, P_TAU_RISE, P_TAU_DECAY, P_TAU_RMS, P_PERIOD};
  for (size_t i = 0; i < sizeof taus / sizeof taus[0]; i++)
    if (!(p[taus[i]] > 0) || !isfinite(p[taus[i]])) {
      snprintf(err, len, "%s must be a positive time, got %g ms", params[taus[i]].name, p[taus[i]]);
      return -1;
    }
  if (!(p[P_BETA] > 0) || !(p[P_ETA] >= 0) || !(p[P_EPSILON] >= 0) || !(p[P_WMAX] > 0)) {
    snprintf(err, len, "beta and Wmax must be positive, eta and epsilon not negative");
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

/* q of every group follows its current trace p */
static void on_step_pre(const hebb_rule_ctx *c, uint32_t ngroups) {
  const double k = c->dt / c->p[P_TAU_MEM];
  double *q = c->pre_state[PRE_Q];
  for (uint32_t g = 0; g < ngroups; g++) {
    double p = hebb_trace_at(c->pre, g, 0, c->step);
    q[g] += k * (p - q[g]);
  }
}

static inline double surrogate(const double *p, double u) {
  if (u < p[P_V_MIN])
    return 0.0;
  double d = 1.0 + p[P_BETA] * fabs(u - p[P_THETA]);
  return p[P_BETA] / (d * d);
}

static void on_step(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  const double *p = c->p;
  const uint32_t i = s->neuron;
  const double rise = exp(-c->dt / p[P_TAU_RISE]), k = c->dt / p[P_TAU_DECAY];
  const double sg = surrogate(p, c->post_v[i]);
  double *et = &c->post_state[POST_ET][i], *e = &c->post_state[POST_E][i];
  /* an output neuron's raw error is its target minus its own spikes; a hidden neuron's is
   * what the feedback brings it */
  double err = c->post_error
                   ? c->post_error[i]
                   : (c->post_target ? (double)c->post_target[i] : 0.0) - (double)c->post_spikes[i];
  *et = *et * rise + err;
  *e += k * (*et - *e);
  const double *q = c->pre_state[PRE_Q];
  const bool learn = fabs(*e) >= 1e-7;
  float *lt = s->syn[S_LT], *l = s->syn[S_L], *m = s->syn[S_M];
  for (uint32_t n = 0; n < s->n; n++) {
    uint32_t x = hebb_post_index(s, n);
    double qj = q[hebb_post_group(s, n)];
    double a = lt[x];
    if (qj > 1e-7)
      a += sg * qj;
    double b = (double)l[x] + k * (a - (double)l[x]);
    l[x] = (float)b;
    lt[x] = (float)(a * rise);
    if (learn)
      m[x] = (float)((double)m[x] + *e * b);
  }
}

/* every period: the normalised gradient step */
static void on_period(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  const double *p = c->p;
  const double steps = p[P_PERIOD] / c->dt, gamma = exp(-p[P_PERIOD] / p[P_TAU_RMS]);
  float *m = s->syn[S_M], *v = s->syn[S_V];
  for (uint32_t n = 0; n < s->n; n++) {
    uint32_t x = hebb_post_index(s, n);
    double g = (double)m[x] / steps;
    double vv = gamma * (double)v[x];
    if (g * g > vv)
      vv = g * g;
    v[x] = (float)vv;
    double w = (double)s->w[x] + p[P_ETA] * g / (sqrt((double)v[x]) + p[P_EPSILON]);
    w = w < -p[P_WMAX] ? -p[P_WMAX] : w > p[P_WMAX] ? p[P_WMAX] : w;
    s->w[x] = (float)w;
    m[x] = 0.0f;
  }
}

const hebb_rule hebb_rule_superspike = {
    .abi = HEBB_RULE_ABI,
    .name = "superspike",
    .doc = "SuperSpike (Zenke & Ganguli 2018): surrogate-gradient learning of target spike "
           "trains, output and hidden layers",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .syn_state = syn_state,
    .nsyn = 4,
    .pre = pre_traces,
    .npre = 1,
    .check = check,
    .on_pre = on_pre,
    .on_post = on_post,
    .on_period = on_period,
    .period_param = P_PERIOD,
    .pre_state = pre_state,
    .npre_state = 1,
    .post_state = post_state,
    .npost_state = 2,
    .on_step_pre = on_step_pre,
    .on_step = on_step,
    .flags = HEBB_RULE_SIGNED,
};

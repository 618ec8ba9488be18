/* rule.h - the plasticity interface: what a synaptic learning rule declares and the hooks
 * through which the engine calls it. Built-in rules (one file each in rules/) and rules loaded at
 * run time from shared objects use exactly this interface, so a plugin runs as fast as a built-in.
 *
 * A rule declares
 *   - its parameters, with units and defaults ("weight" as a unit means the weight unit of
 *     the projection's target: pA, mV or nS), and named options (a scheme, say);
 *   - the state it needs per synapse (float arrays beside the weights), per presynaptic
 *     group and per postsynaptic neuron (double arrays, owned like the traces below: a
 *     threshold or a rate estimate that belongs to the neuron rather than to a synapse);
 *   - its traces: presynaptic ones, kept per (source neuron, delay) as the synapse sees the
 *     presynaptic spike train (axonal delays: a spike reaches the synapse at emission plus
 *     delay), and postsynaptic ones, kept per target neuron. The engine stores, decays and
 *     increments traces; a rule only reads them;
 *   - its hooks: on_pre for the synapses that a presynaptic spike reaches in this step,
 *     on_post for the plastic synapses onto a neuron that spiked in this step, and
 *     optionally on_period, for the plastic synapses onto every neuron of the target
 *     population, every `period` of model time (homeostasis, consolidation, batched
 *     updates), at the end of a step whose end time is a multiple of the period; and
 *     optionally on_modulator, for three-factor rules, at every neuromodulator event
 *     (at the end of its step, after on_pre, on_post and the trace updates).
 *
 * Within a step (MODELS.md section 0): spikes are delivered to the neurons' inputs, neurons
 * are updated, then on_pre runs for every arrival (in the delivery order of invariant I1),
 * then on_post for every postsynaptic spike; both read every trace at t - eps, i.e. before
 * the spikes of this step are added, so equal-time pre/post pairs contribute nothing. Then
 * the traces take this step's spikes. Time t is the end of the step.
 *
 * Hooks run on the worker thread of the target's partition and touch only the memory they
 * are given. They must not allocate, block or keep pointers.
 */
#ifndef HEBB_RULE_H
#define HEBB_RULE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this interface. A rule built against another version is refused. Bump it
 * with any change to the structures below. Version 2 added the neuromodulator (on_modulator,
 * mod_tau_param, hebb_rule_ctx.mod); version 3 the per-neuron state (pre_state, post_state,
 * state_init, hebb_rule_ctx.pre_state / post_state) and learning phases for rules that
 * integrate between events (on_phase, hebb_rule_ctx.learning); version 4 the error that a
 * hidden layer receives through feedback (hebb_rule_ctx.post_error); version 5 narrow target
 * indices (hebb_rule_pre.target16 / target32, read with hebb_pre_target) and a packed
 * postsynaptic index (hebb_rule_post.entry, chunk_first, chunk_group and shift, read with
 * hebb_post_index and hebb_post_group). Frozen in every version: `abi` and `name` are the
 * first two fields of hebb_rule, so that a loader can read them before it trusts the rest. */
#define HEBB_RULE_ABI 5

typedef struct {
  const char *name;
  const char *unit; /* "ms", "Hz", "weight", or "" for a plain number */
  double value;     /* default */
  const char *doc;
} hebb_rule_param_desc;

typedef struct {
  const char *name;
  const char *allowed; /* '|'-separated; the first is the default */
  const char *doc;
} hebb_rule_option_desc;

/* What a spike does to a trace: add one (all-to-all interaction) or set it to one
 * (nearest-spike interaction). */
typedef enum { HEBB_TRACE_ADD = 0, HEBB_TRACE_SET = 1 } hebb_trace_mode;

typedef struct {
  int tau_param; /* index of the parameter that holds the time constant (ms) */
  /* index of the option that selects the mode per trace: -1 = always ADD; else the option's
   * value indexes modes[] */
  int mode_option;
  hebb_trace_mode modes[4];
} hebb_rule_trace;

/* A set of traces of one kind (pre or post): n traces per owner, stored owner-major, each
 * with the step it was last brought up to date. decay[j][k] = exp(-k dt / tau_j) for
 * k < table_len; beyond, the exponential is computed. */
typedef struct {
  double *value;  /* [owner * n + j] */
  uint64_t *last; /* [owner] step of the last update; 0 both before any spike and after a
                     spike in step 0: only value != 0 tells that a spike has come */
  const double *const *decay;
  const double *tau_steps; /* [j] tau_j / dt */
  uint32_t n;
  uint32_t table_len;
} hebb_trace_set;

/* Trace J of OWNER at step STEP (before this step's spikes). */
static inline double hebb_trace_at(const hebb_trace_set *t, uint32_t owner, uint32_t j,
                                   uint64_t step) {
  uint64_t k = step - t->last[owner];
  double f = k < t->table_len ? t->decay[j][k] : exp(-(double)k / t->tau_steps[j]);
  return t->value[(size_t)owner * t->n + j] * f;
}

/* A neuromodulator concentration shared by all synapses of a projection: VALUE at step LAST
 * (just after that step's events), decaying with TAU_STEPS; each modulator event (a spike of
 * the modulating population, or a scheduled reward) adds its amount. */
typedef struct {
  double value;
  uint64_t last;
  double tau_steps;
} hebb_modulator;

/* The modulator concentration at the end of step STEP, before that step's events. */
static inline double hebb_modulator_at(const hebb_modulator *m, uint64_t step) {
  return m->value * exp(-(double)(step - m->last) / m->tau_steps);
}

typedef struct {
  const double *p;            /* parameter values, in default units */
  const int *opt;             /* option values (indices into allowed) */
  double dt;                  /* ms */
  uint64_t step;              /* the current step: spikes now are stamped (step + 1) * dt */
  const hebb_trace_set *pre;  /* owners: presynaptic groups */
  const hebb_trace_set *post; /* owners: target neurons (block-local index) */
  const hebb_modulator *mod;  /* the projection's neuromodulator, or NULL */
  /* the rule's own state per presynaptic group (pre_state[s][group]) and per target neuron
   * (post_state[s][neuron]); hooks read and write it */
  double *const *pre_state;
  double *const *post_state;
  /* 1 while the projection's learning schedule lets weights change in this step, 0 in a
   * frozen phase (only rules with on_phase are called then) */
  int learning;
  /* For on_step only, per target neuron (block-local index), at the end of this step: the
   * membrane potential (mV, absolute), the neuron's own spikes in this step, and the spikes
   * of its target train in this step (post_target NULL when the population has no target,
   * hebb_model_set_target) */
  const double *post_v;
  const uint8_t *post_spikes;
  const uint8_t *post_target;
  /* For on_step only: per target neuron, the raw error that reaches it in this step through
   * feedback from a layer with a target (hebb_model_add_feedback: the sum over that layer's
   * neurons i of B_ki (target spikes - own spikes of i), made a feedback delay ago); NULL
   * when the population receives no feedback */
  const double *post_error;
} hebb_rule_ctx;

/* The synapses reached by one presynaptic spike: one source, one delay, consecutive in
 * memory. hebb_pre_target(s, k) is the block-local index of synapse k's target; w[k] its
 * weight; syn[s][k] the rule's per-synapse state s. The engine stores target indices in 16
 * bits where they fit (a target population's share of a thread has at most 65536 neurons),
 * else in 32: exactly one of target16 and target32 is non-NULL. */
typedef struct {
  uint32_t n;
  uint32_t group; /* owner of this group's presynaptic traces */
  const uint16_t *target16;
  const uint32_t *target32;
  float *w;
  float *const *syn;
} hebb_rule_pre;

/* The target of synapse K (block-local index: the owner of its postsynaptic traces). The
 * test is the same for every k of a hook call, so the branch predicts perfectly (and an
 * optimising compiler takes it out of the loop). */
static inline uint32_t hebb_pre_target(const hebb_rule_pre *s, uint32_t k) {
  return s->target16 ? s->target16[k] : s->target32[k];
}

/* The plastic synapses onto one neuron of this projection: synapse k is
 * hebb_post_index(s, k) in the projection's arrays and belongs to presynaptic group
 * hebb_post_group(s, k). The engine keeps this index in 4 bytes per synapse: entry[k] is
 * chunk << shift | the synapse's offset in its chunk, a chunk being a run of consecutive
 * synapses of one group: the whole group, unless a group number and an offset would not fit
 * in 32 bits together (about 2^30 plastic synapses on one thread); then groups are cut into
 * chunks of 2^shift synapses and chunk_group is not NULL. */
typedef struct {
  uint32_t n;
  uint32_t neuron; /* owner of the postsynaptic traces */
  const uint32_t *entry;
  const uint32_t *chunk_first; /* [chunk] the index of its first synapse */
  const uint32_t *chunk_group; /* [chunk] its presynaptic group; NULL: each chunk is a group */
  uint32_t shift;              /* 0..31 */
  float *w;                    /* base of the weights: w[hebb_post_index(s, k)] */
  float *const *syn;           /* bases of the per-synapse state: syn[v][hebb_post_index(s, k)] */
} hebb_rule_post;

/* The presynaptic group (owner of the presynaptic traces) of synapse K. The test is the same
 * for every k of a hook call. */
static inline uint32_t hebb_post_group(const hebb_rule_post *s, uint32_t k) {
  uint32_t c = s->entry[k] >> s->shift;
  return s->chunk_group ? s->chunk_group[c] : c;
}

/* The index of synapse K in w and syn. */
static inline uint32_t hebb_post_index(const hebb_rule_post *s, uint32_t k) {
  uint32_t e = s->entry[k];
  return s->chunk_first[e >> s->shift] + (e & ((UINT32_C(1) << s->shift) - 1));
}

/* How far ahead hebb_post_prefetch looks, in synapses. */
#define HEBB_POST_AHEAD 16

/* Asks for the weight of synapse K + HEBB_POST_AHEAD, if there is one, to be fetched into
 * the cache. A neuron's synapses lie in as many presynaptic groups, so in a large network
 * each weight an on_post loop touches is a cache miss; calling this at the top of the loop
 * body overlaps the misses instead of waiting for each in turn (B8's STDP: 73 % of on_post
 * waited on the weight load without it). A read prefetch: a prefetch for writing is only
 * emitted where the compiler targets PREFETCHW, and a line read by one core alone is held
 * exclusively, so the write that follows costs nothing more. No effect on results. */
#if defined(__GNUC__)
/* Always inlined: a prefetch has no effect the compiler can see, so a function holding only
 * one may be judged pure and its calls removed as dead code, as GCC 12 does when it does not
 * inline it. */
__attribute__((always_inline))
#endif
static inline void
hebb_post_prefetch(const hebb_rule_post *s, uint32_t k) {
#if defined(__GNUC__)
  if (k + HEBB_POST_AHEAD < s->n)
    __builtin_prefetch(&s->w[hebb_post_index(s, k + HEBB_POST_AHEAD)], 0, 3);
#else
  (void)s;
  (void)k;
#endif
}

typedef struct hebb_rule {
  uint32_t abi; /* HEBB_RULE_ABI */
  const char *name;
  const char *doc;
  const hebb_rule_param_desc *params;
  uint32_t nparams;
  const hebb_rule_option_desc *options;
  uint32_t noptions;
  const char *const *syn_state; /* names of the per-synapse state variables */
  uint32_t nsyn;
  const hebb_rule_trace *pre;
  uint32_t npre;
  const hebb_rule_trace *post;
  uint32_t npost;
  /* Checks parameter values (0, or -1 with a message naming the parameter). May be NULL. */
  int (*check)(const double *p, const int *opt, char *err, size_t errlen);
  /* Initial value of per-synapse state S for a synapse of weight W. May be NULL (zero). */
  float (*syn_init)(const double *p, const int *opt, uint32_t s, float w);
  void (*on_pre)(const hebb_rule_ctx *c, const hebb_rule_pre *syn);
  void (*on_post)(const hebb_rule_ctx *c, const hebb_rule_post *syn);
  /* Optional: called for every neuron of the target population (syn->n may be 0) every
   * params[period_param] ms, after this step's traces were updated: traces read at c->step
   * are the values at the end of the step, this step's spikes included. Skipped while a
   * learning schedule freezes the weights (also for a rule with on_phase). NULL: no periodic hook.
   */
  void (*on_period)(const hebb_rule_ctx *c, const hebb_rule_post *syn);
  int period_param;
  /* Optional, for three-factor rules: called for every neuron of the target population at a
   * modulator event, before the event changes the concentration (so that a rule can bring
   * its synapses up to date with the old concentration). The concentration decays with
   * params[mod_tau_param] (ms). A rule with on_modulator needs a modulator on its
   * projection (a population's spikes or a reward schedule). */
  void (*on_modulator)(const hebb_rule_ctx *c, const hebb_rule_post *syn);
  int mod_tau_param;
  /* Optional state per presynaptic group (owners as the presynaptic traces) and per target
   * neuron (owners as the postsynaptic traces), by name; hooks reach it through
   * hebb_rule_ctx. SIDE is 0 for pre, 1 for post; state_init gives the initial value of
   * variable S (NULL: zero). */
  const char *const *pre_state;
  uint32_t npre_state;
  const char *const *post_state;
  uint32_t npost_state;
  double (*state_init)(const double *p, const int *opt, int side, uint32_t s);
  /* Optional, for rules that integrate their weights between events (stdp_dopamine): a
   * rule with on_phase is called in frozen phases of a learning schedule too, with
   * c->learning = 0, and must then leave the weights alone while its other state (an
   * eligibility trace) keeps running; on_phase itself is called for every neuron of the
   * target population at the end of the last step of every phase, with c->learning telling
   * which phase ends, so that the rule can bring each synapse up to the switch. Rules
   * without on_phase are simply not called while frozen. */
  void (*on_phase)(const hebb_rule_ctx *c, const hebb_rule_post *syn);
  /* Optional: how many of the per-synapse variables (the first ones of syn_state) this
   * projection needs with these parameters and options, when some serve only one option
   * (a scheme, say): only those are allocated, and syn[s] is NULL for the others. NULL:
   * all nsyn. */
  uint32_t (*syn_used)(const double *p, const int *opt);
  /* Optional, for rules that integrate every step (gradient-based learning such as
   * superspike): at the end of every step, after the traces took the step's spikes (a trace
   * read at c->step includes them), on_step_pre once for the projection (c->pre_state and
   * the presynaptic traces of all NGROUPS groups), then on_step for every neuron of the
   * target population, with c->post_v, c->post_spikes, c->post_target and c->post_error. Both run
   * in frozen phases too if the rule has on_phase; otherwise they are skipped then. */
  void (*on_step_pre)(const hebb_rule_ctx *c, uint32_t ngroups);
  void (*on_step)(const hebb_rule_ctx *c, const hebb_rule_post *syn);
  /* HEBB_RULE_SIGNED: weights may be negative (the rule bounds them to [-Wmax, Wmax], say);
   * the projection's receptor stays the one its initial weights chose. */
  uint32_t flags;
} hebb_rule;

#define HEBB_RULE_SIGNED 1u

#ifdef __cplusplus
}
#endif
#endif

/* model.h - the inside of a hebb_model: the network description that the builder functions
 * of hebb.h fill in and that sim.c turns into partitions. A model is plain data; it knows
 * nothing of threads. Global neuron ids (gids) number the neurons of all populations in the
 * order the populations were added.
 */
#ifndef HEBB_ENGINE_MODEL_H
#define HEBB_ENGINE_MODEL_H

#include "hebb.h"
#include "neuron.h"
#include "rule.h"

#define HEBB_RULE_MAX_PARAMS 32
#define HEBB_RULE_MAX_OPTIONS 8
#define HEBB_RULE_MAX_SYN 8
#define HEBB_RULE_MAX_TRACES 4
#define HEBB_RULE_MAX_STATE 8 /* per-neuron variables per side */

typedef struct {
  char name[64];
  const hebb_nm_desc *desc;
  uint32_t size;
  uint32_t gid0;
  double params[HEBB_MAX_PARAMS];
  int options[2];
  hebb_dist initial[HEBB_MAX_STATES];
  bool record_spikes;
  /* spike_generator: per neuron, sorted times (ms) */
  double **spike_times;
  size_t *n_spike_times;
  /* target spike trains (hebb_model_set_target): per neuron, sorted times (ms) in (0,
   * target_period_ms], repeated with that period; NULL without a target */
  double **target_times;
  size_t *n_target_times;
  double target_period_ms;
} hebb_pop;

typedef struct {
  char name[64];
  hebb_projection_spec spec; /* spec.name points at name */
  uint32_t delay_min_steps, delay_max_steps;
  bool inhibitory;       /* the receptor it feeds, resolved from AUTO */
  const hebb_rule *rule; /* NULL: static */
  double rule_params[HEBB_RULE_MAX_PARAMS];
  int rule_opts[HEBB_RULE_MAX_OPTIONS];
  /* the parameter whose setting last left the rule's values refused by its check, "" when
   * they pass; reported by hebb_model_check_plasticity */
  char rule_bad_field[48];
  uint32_t weights_every; /* steps between weight snapshots; 0: none */
  /* learning schedule: from switch_step[k] on, weights change iff switch_learn[k]; the
   * schedule repeats every schedule_period steps (0: once). Learning is on before the first
   * switch. */
  uint64_t *switch_step;
  bool *switch_learn;
  size_t nswitch;
  uint64_t schedule_period;
  /* neuromodulator of a three-factor rule: the spikes of population mod_pop (-1: none),
   * seen mod_delay_ms after emission, and/or scheduled rewards (time, amount) */
  int mod_pop;
  double mod_delay_ms;
  double *reward_ms, *reward_amount;
  size_t nrewards;
  /* critic (hebb_model_set_critic): critic_pre < 0 when there is none */
  int critic_pre, critic_post; /* populations */
  uint32_t critic_pre_index, critic_post_index;
  double critic_window_ms, critic_amount;
  hebb_dist critic_delay_ms;
} hebb_proj;

/* Error feedback onto a hidden layer (hebb_model_add_feedback). */
typedef struct {
  char name[64];
  int from, to; /* the population with the target; the population that receives its error */
  hebb_feedback_kind kind;
  double delay_ms; /* <= 0: the network's smallest delay */
  double scale;
} hebb_feedback;

typedef struct {
  int pop;
  int var;
  uint32_t *indices; /* sorted, unique */
  size_t n;
  uint32_t interval_steps;
} hebb_state_rec;

struct hebb_model {
  char name[256];
  double dt;
  double duration;
  uint64_t seed;
  int threads;
  hebb_pop *pops;
  int npops;
  hebb_proj *projs;
  int nprojs;
  hebb_state_rec *recs;
  int nrecs;
  hebb_feedback *fbs;
  int nfbs;
  uint64_t total_neurons;
  hebb_error_info err;
};

/* Records a builder error (field may be ""); returns CODE. */
int hebb__model_fail(const hebb_model *m, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Makes projection PROJ plastic under RULE (checked against HEBB_RULE_ABI and the limits
 * above) with its default parameters. rules/registry.c finds rules by name. */
int hebb__model_set_rule(hebb_model *m, int proj, const hebb_rule *rule);

/* Whether projection PJ's weights may change in step N (its learning schedule). */
bool hebb__proj_learning(const hebb_proj *pj, uint64_t n);

/* Delay in steps of a value in ms. */
uint32_t hebb__delay_steps(double delay_ms, double dt);

#endif

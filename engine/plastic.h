/* plastic.h - one plastic projection on one partition: the state a rule declared (per
 * synapse, per presynaptic group, per postsynaptic neuron), the index from each target
 * neuron to its plastic synapses, and the calls that run the rule's hooks and keep its
 * traces.
 *
 * sim.c owns the synapse arrays and calls this module in the order of MODELS.md section 0:
 * hebb_plastic_pre for every arrival of a step, hebb_plastic_post for every postsynaptic
 * spike, then hebb_plastic_count_pre / _post to add the step's spikes to the traces.
 * Traces are stored with the step of their last update and decayed when read (exactly, by
 * a table of exp(-k dt / tau)), so nothing runs for a synapse or neuron that is quiet.
 */
#ifndef HEBB_ENGINE_PLASTIC_H
#define HEBB_ENGINE_PLASTIC_H

#include "model.h"
#include "rule.h"

#define HEBB_DECAY_TABLE 2048

typedef struct {
  const hebb_proj *pj;
  const hebb_rule *rule;
  int proj;
  int blk; /* target population = block */
  double dt;
  /* traces */
  hebb_trace_set pre, post;
  double *decay[2][HEBB_RULE_MAX_TRACES];
  const double *decay_c[2][HEBB_RULE_MAX_TRACES];
  double tau_steps[2][HEBB_RULE_MAX_TRACES];
  hebb_trace_mode mode[2][HEBB_RULE_MAX_TRACES];
  uint32_t ngroups; /* presynaptic groups of this projection here */
  uint32_t nneurons;
  /* postsynaptic index: the plastic synapses onto neuron i are rev[rev_start[i] ..
   * rev_start[i + 1]], in group order, each chunk << rev_shift | offset in the chunk
   * (rule.h, hebb_rule_post); chunks are whole groups (chunk_group NULL) unless a group
   * number and an offset would not fit in 32 bits together */
  uint32_t *rev_start, *rev, *chunk_first, *chunk_group;
  uint32_t nchunks, rev_shift;
  float *syn[HEBB_RULE_MAX_SYN]; /* per-synapse state, indexed like the partition's weights */
  uint32_t nsyn;                 /* per-synapse variables allocated (rule's syn_used) */
  double *pre_state[HEBB_RULE_MAX_STATE];  /* per presynaptic group */
  double *post_state[HEBB_RULE_MAX_STATE]; /* per target neuron */
  uint64_t updates;                        /* hook calls on synapses, for the profile */
  uint64_t period_steps;                   /* of on_period; 0: none */
  bool learning;                           /* in this step, by the projection's learning schedule */
  bool hooks;                              /* in this step: learning, or a rule with on_phase */
  /* neuromodulator: pending events (arrival step, amount), sorted by step */
  bool has_mod;
  hebb_modulator mod;
  uint64_t *ev_step;
  double *ev_amount;
  size_t nev, ev_cap, ev_pos;
  /* critic (hebb_model_set_critic): gids watched, the step of the latest presynaptic spike
   * (UINT64_MAX: none yet), rewards given so far (the index of the next delay draw) */
  bool has_critic;
  uint32_t critic_gid[2]; /* pre, post */
  uint64_t critic_last_pre, critic_rewards;
  uint64_t *critic_buf; /* the watched spikes of an epoch (2 x epoch steps), set up by sim.c */
} hebb_plastic;

/* A group of synapses on a partition: those of one source, projection and delay, at
 * [start, the next group's start) of the partition's synapse arrays. One record of 8 bytes,
 * so that the delivery of a group finds all three in one cache line. */
typedef struct {
  uint32_t start;
  uint16_t delay; /* in steps */
  uint16_t proj;
} hebb_group;

/* Sets up projection PROJ's plastic state on a partition whose synapses are grouped as
 * described (grp[g].proj, grp[g .. g + 1].start, the block-local targets in TGT16 or TGT32, the
 * other NULL, and syn_w of nsyn synapses), with NNEURONS neurons in the target block. Writes
 * the plastic group index of each group of this projection into grp_gp[g]. 0 or
 * HEBB_ENOMEM / HEBB_EINVAL (message in err). */
int hebb_plastic_init(hebb_plastic *pl, const hebb_model *m, int proj, uint32_t nneurons,
                      uint32_t ngroups, const hebb_group *grp, const uint16_t *tgt16,
                      const uint32_t *tgt32, const float *syn_w, uint64_t nsyn, uint32_t *grp_gp,
                      char *err, size_t errlen);
void hebb_plastic_free(hebb_plastic *pl);

/* A presynaptic spike of group GP (synapses [a, b), targets in TGT16 or TGT32) reaches its
 * synapses at STEP. */
void hebb_plastic_pre(hebb_plastic *pl, uint64_t step, uint32_t gp, uint32_t a, uint32_t b,
                      const uint16_t *tgt16, const uint32_t *tgt32, float *syn_w);
/* Neuron I of the target block spiked at STEP. */
void hebb_plastic_post(hebb_plastic *pl, uint64_t step, uint32_t i, float *syn_w);
/* Queues a modulator event of AMOUNT at STEP (not before any queued step but the unprocessed
 * tail is re-sorted, so events from several sources may come in any order). 0 or
 * HEBB_ENOMEM. Called at epoch boundaries. */
int hebb_plastic_add_modulator_event(hebb_plastic *pl, uint64_t step, double amount);
/* Processes the modulator events due at STEP: the rule's on_modulator for every neuron,
 * then the concentration jumps. */
void hebb_plastic_modulate(hebb_plastic *pl, uint64_t step, float *syn_w);
/* Runs the rule's periodic hook if STEP ends a period. */
void hebb_plastic_period(hebb_plastic *pl, uint64_t step, float *syn_w);
/* The rule's per-step hooks (on_step_pre, then on_step for every neuron) with the target
 * block's membrane potentials, spikes, target spikes and fed-back error (NULL: none) of this
 * step. */
void hebb_plastic_step(hebb_plastic *pl, uint64_t step, float *syn_w, const double *v,
                       const uint8_t *spk, const uint8_t *tgt, const double *err);
/* STEP is the last of a learning phase: the rule's on_phase for every neuron. */
void hebb_plastic_phase_end(hebb_plastic *pl, uint64_t step, float *syn_w);
/* Adds this step's spikes to the traces, after the hooks. */
void hebb_plastic_count_pre(hebb_plastic *pl, uint64_t step, uint32_t gp);
void hebb_plastic_count_post(hebb_plastic *pl, uint64_t step, uint32_t i);
/* Bytes of plastic state (traces, index, per-synapse state). */
size_t hebb_plastic_bytes(const hebb_plastic *pl, uint64_t nsyn);

#endif

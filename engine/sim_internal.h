/* sim_internal.h - the inside of a hebb_sim, shared by sim.c (construction and the epoch
 * loop) and sim_state.c (checkpoints: saving and restoring the mutable state). Nothing
 * outside engine/ includes it.
 */
#ifndef HEBB_ENGINE_SIM_INTERNAL_H
#define HEBB_ENGINE_SIM_INTERNAL_H

#include "hebb.h"
#include "model.h"
#include "plastic.h"
#include "queue.h"

#include <hwloc.h>
#include <stdlib.h>

enum {
  PH_DELIVER,
  PH_UPDATE,
  PH_EXCHANGE,
  PH_BARRIER,
  PH_RECORD,
  PH_PLASTICITY,
  PH_CHECKPOINT,
  PH_COUNT
};

/* Hardware counters of a partition's thread (perf_event_open), read at every phase
 * boundary while a run profiles them: cycles, instructions, cache misses. */
enum { HW_CYCLES, HW_INSTRUCTIONS, HW_CACHE_MISSES, HW_COUNT };

typedef struct {
  uint64_t step; /* the step during which the spike was produced */
  uint32_t gid;
} spk;

typedef struct {
  spk *v;
  size_t n, cap;
} spkbuf;

typedef struct {
  hebb_sample *v;
  size_t n, cap;
} samplebuf;

/* A weight snapshot entry; seq orders multapses of one (source, target) pair. */
typedef struct {
  hebb_synapse s;
  uint64_t seq;
} wsnap;

typedef struct {
  wsnap *v;
  size_t n, cap;
} wsnapbuf;

/* A dc_generator's current onto one local neuron, active in steps [on, off). */
typedef struct {
  uint32_t target; /* partition-local index */
  uint16_t blk;
  double amp;
  uint64_t on, off;
} dcsrc;

/* Poisson drive fused into its target: a poisson_generator projected one_to_one onto a
 * neuron is drawn where the neuron lives, at delivery, from the same counter-based stream as
 * the generator's own spikes (keyed by the generator's gid and the production step), so no
 * spike of it crosses the outboxes or the queue. */
typedef struct {
  uint32_t tgt;     /* block-local */
  uint32_t gen_gid; /* the generator neuron */
  uint16_t blk, gen_pop, delay;
  uint8_t inh, counts; /* counts: this entry counts the generator's spikes */
  float w;
} direct;

/* One population's neurons on one partition. */
typedef struct {
  int pop;
  const hebb_pop *mp;
  hebb_nm_consts k;
  uint32_t l0, n; /* local indices [l0, l0 + n) */
  hebb_nm_state st;
  uint64_t **sg_step; /* spike_generator: production steps per neuron */
  uint32_t *sg_n, *sg_pos;
  uint64_t spikes;
  /* for rules with on_step (sim.c: step_rules): per neuron this step, the membrane potential
   * (absolute mV), own spikes, target spikes; and the target schedule (phase step, neuron)
   * sorted, with its cursor */
  double *rule_v;
  uint8_t *rule_spk, *rule_tgt;
  uint64_t *tg_ev; /* phase step << 32 | block-local neuron */
  size_t ntg, tg_pos;
  uint64_t tg_period;
  double *rule_err; /* the error fed back to each neuron this step (feedback.c), or NULL */
} block;

/* Error feedback onto a hidden population (feedback.c), what every partition shares: the
 * output population's target schedule and, for symmetric feedback, the forward weights
 * published at the end of every epoch, double-buffered by epoch parity. */
typedef struct {
  uint32_t nout, nhid;
  uint32_t D;      /* delay in steps, at least the epoch */
  int fwd;         /* the projection hidden -> output, or -1 */
  uint64_t period; /* of the output's target, in steps */
  uint64_t *tg;    /* target events of the output population: phase step << 32 | index */
  size_t ntg;
  double *w[2]; /* symmetric: W[i * nhid + k], weight of k -> i; NULL otherwise */
} fbshared;

/* ... and what each partition keeps of it. */
typedef struct {
  double *B;    /* random and uniform: B[l * nout + i] for local hidden neuron l */
  double *ring; /* [D * local hidden]: the error due in step t is at slot t % D */
  uint64_t *ev; /* scratch of the exchange: an epoch's output spikes and targets */
  size_t nev, evcap;
  uint32_t *ri; /* scratch: output neurons with a raw error in one step, and their errors */
  int *rv;
} fbpart;

/* A state recorder's share on one partition. */
typedef struct {
  const hebb_state_rec *r;
  int blk;
  uint32_t n;
  uint32_t *local; /* index within the block */
  uint32_t *index; /* index within the population */
} staterec;

/* Where the synapses of one projection add their weights on a partition: the excitatory or
 * inhibitory accumulator of the target block. A property of the projection, so that a
 * group needs to store only its projection. */
typedef struct {
  void *acc;
  int pl; /* the projection's index in the partition's pl, or -1: static */
  bool single;
  float w; /* the weight of every synapse of the projection here, when syn_w is NULL */
} sink;

typedef struct {
  int id;
  uint32_t n_local;
  uint32_t *spiked;
  direct *din;
  size_t ndin;
  uint32_t *din_end; /* the runs of alike entries of din (deliver_direct): where each ends */
  size_t ndrun;
  block *blocks;
  int nblocks;
  /* Synapses onto this partition's neurons, grouped by (source gid, projection, delay) and
   * sorted so. A group stores its start, delay and projection (8 bytes; 12 on a partition
   * with plastic projections); its target block and receptor follow from the projection
   * (proj_sink) and its source from src_groups (group_source). */
  uint32_t *src_groups; /* [total neurons + 1]: groups of each source gid */
  uint32_t ngroups;
  hebb_group *grp;  /* [ngroups + 1]; grp[ngroups].start = nsyn */
  uint32_t *grp_gp; /* index among its plastic projection's groups, UINT32_MAX: static; NULL
                       when no projection onto this partition is plastic */
  sink *proj_sink;  /* [projections] */
  /* Per synapse: the index of its target within the target block, in 16 bits when every
   * one fits (target populations of at most 65536 neurons on this partition), else in 32
   * (exactly one of the two is non-NULL; syn_target reads either); and its weight. */
  uint16_t *syn_tgt16;
  uint32_t *syn_tgt32;
  /* NULL when every projection onto this partition is static and each has one weight for
   * all its synapses here (share_weights): then proj_sink[p].w holds it; read with
   * syn_weight. */
  float *syn_w;
  uint64_t nsyn;
  hebb_queue q;
  /* plasticity */
  hebb_plastic *pl;
  int npl;
  bool *blk_plastic;  /* block is the target of a plastic projection */
  uint32_t *arrivals; /* plastic groups delivered this step, in delivery order */
  size_t narrivals, arrivals_cap;
  uint32_t *post_idx; /* spikes of this step in plastic blocks: block-local index */
  uint16_t *post_blk;
  size_t npost;
  wsnapbuf weights;
  spkbuf out[2];
  spkbuf xin;   /* the exchange's scratch: an epoch's spikes of all partitions, merged */
  size_t *xpos; /* [partitions]: the merge's place in each outbox */
  spkbuf rec;
  samplebuf samples;
  staterec *srec;
  int nsrec;
  fbpart *fb; /* per feedback of the model */
  int nfb;
  dcsrc *dc;
  size_t ndc;
  uint64_t *dc_change;
  size_t ndc_change, dc_pos;
  double phase[PH_COUNT];
  double mark_t;                   /* time of the last phase boundary */
  int hw_fd;                       /* perf event group leader, -1: none */
  uint64_t hw_last[HW_COUNT];      /* counter values at the last boundary */
  uint64_t hw[PH_COUNT][HW_COUNT]; /* counts per phase */
  bool hw_missing;                 /* counters could not be opened in some run */
  uint64_t syn_events;
  int core;
  int rc;
  char msg[256];
} partition;

struct hebb_sim {
  const hebb_model *m;
  bool *proj_direct; /* projection drawn at its targets (see direct) */
  bool *pop_silent;  /* generator whose spikes are only ever drawn at its targets */
  int P;
  uint32_t epoch; /* steps per epoch = d_min */
  uint64_t step;
  partition *parts;
  fbshared *fbs;
  int nfbs;
  hwloc_topology_t topo;
  bool pin;
  bool hw_counters; /* measure hardware counters per phase (hebb_sim_options) */
  double build_wall_s, sim_wall_s;
  int failed;
};

/* The target index (within its block) of synapse K of PT, whatever the width; for the paths
 * that are not hot (the delivery has a loop per width). */
static inline uint32_t syn_target(const partition *pt, uint64_t k) {
  return pt->syn_tgt16 ? pt->syn_tgt16[k] : pt->syn_tgt32[k];
}

/* The weight of synapse K of group G of PT, stored per synapse or shared by its projection;
 * for the paths that are not hot (the delivery has a loop for each). */
static inline float syn_weight(const partition *pt, uint32_t g, uint64_t k) {
  return pt->syn_w ? pt->syn_w[k] : pt->proj_sink[pt->grp[g].proj].w;
}

/* Sizes PT's list of plastic arrivals to the largest bucket of its queue, which bounds the
 * groups delivered in a step: where events are queued (the exchange, a resume), never on the
 * hot path. 0 or HEBB_ENOMEM. */
static inline int size_arrivals(partition *pt) {
  if (!pt->npl || pt->arrivals_cap >= pt->q.max_cap)
    return 0;
  uint32_t *na = realloc(pt->arrivals, pt->q.max_cap * sizeof *na);
  if (!na)
    return HEBB_ENOMEM;
  pt->arrivals = na;
  pt->arrivals_cap = pt->q.max_cap;
  return 0;
}

/* The queue event (queue.h) that delivers group G of PT: the group's first synapse (the
 * key, which ascends with the group id) and what else delivery needs of it, so that delivery
 * does not read the group's record, which would be one more random access per group (B5: a
 * fifth of the delivery time, perf/README.md): for a static group of fewer than 2^15
 * synapses, its size and projection (EV_GROUP clear); for any other group its id (EV_GROUP
 * set), and delivery looks the record up. Group ids are below EV_GROUP (checked at the
 * build). */
#define EV_GROUP UINT32_C(0x80000000)
#define EV_MAX_LEN UINT32_C(0x8000)

static inline hebb_event group_event(const partition *pt, uint32_t g) {
  const hebb_group *r = &pt->grp[g];
  const uint32_t len = r[1].start - r[0].start;
  const uint32_t lo =
      pt->proj_sink[r->proj].pl < 0 && len < EV_MAX_LEN ? len << 16 | r->proj : EV_GROUP | g;
  return (hebb_event)r->start << 32 | lo;
}

/* Checkpoint sections of the engine's state (sim_state.c; io/ckpt.h is the container).
 * Frozen numbers: a reader refuses unknown critical sections. */
enum {
  HEBB_SEC_META = 0x0001,     /* the step and the network's shape */
  HEBB_SEC_NEURONS = 0x0002,  /* neuron state by population and index */
  HEBB_SEC_FLIGHT = 0x0003,   /* spikes with deliveries still queued */
  HEBB_SEC_PLASTIC = 0x0004,  /* weights, rule state, traces, neuromodulators */
  HEBB_SEC_COUNTERS = 0x0005, /* ancillary: spike and event counts for the summary */
  HEBB_SEC_FEEDBACK = 0x0006, /* errors on their way back to hidden layers */
  HEBB_SEC_OUTPUT = 0x0010,   /* io/checkpoint.c: lengths of the output files */
  HEBB_SEC_LEARNING = 0x0011, /* io/checkpoint.c, ancillary: the length of learning.tsv */
};

/* Error feedback (feedback.c). */
int hebb__fb_build_shared(hebb_sim *s); /* checks the model's feedbacks; model error set */
void hebb__fb_free_shared(hebb_sim *s);
int hebb__fb_build(hebb_sim *s, partition *pt);
void hebb__fb_free(partition *pt);
/* at the end of epoch E, before the barrier */
void hebb__fb_publish(hebb_sim *s, partition *pt, uint64_t e);
/* after the barrier of epoch E */
int hebb__fb_exchange(hebb_sim *s, partition *pt, uint64_t e);
/* at step N, before the rules' per-step hooks */
void hebb__fb_consume(hebb_sim *s, partition *pt, uint64_t n);

typedef struct hebb_ckpt_writer hebb_ckpt_writer;
typedef struct hebb_ckpt_reader hebb_ckpt_reader;

/* Writes the state of S as sections (S must stand at an epoch boundary). */
int hebb__sim_save(hebb_sim *s, hebb_ckpt_writer *w, char *err, size_t errlen);
/* Restores the state saved by hebb__sim_save into S, freshly built from the same model (any
 * number of partitions). On failure S is unusable. */
int hebb__sim_restore(hebb_sim *s, const hebb_ckpt_reader *r, char *err, size_t errlen);

#endif

/* hebb.h - the public interface of libhebb, a spiking neural network simulator.
 *
 * A program describes a network in a hebb_model (populations, projections, stimuli,
 * recorders), either through the builder functions below or by loading a YAML model file
 * (hebb_model_load), then builds a hebb_sim from it and advances it in time. The simulation
 * is event-driven and multithreaded: neurons are split into partitions, one per worker
 * thread, and the result is bit-identical whatever the number of threads.
 *
 * Units: every quantity crossing this interface is in NEST's units: ms, mV, pA, nS, pF, Hz.
 *
 * Errors: functions that can fail return 0 on success or a negative HEBB_E* code;
 * hebb_strerror() names a code, and the object involved keeps a message that says what was
 * wrong and, where it applies, which field (hebb_model_error, hebb_sim_error).
 *
 * Minimal use:
 *
 *   hebb_model *m = NULL;
 *   hebb_diag diag;
 *   if (hebb_model_load("net.yaml", &m, &diag) != 0) { fputs(diag.text, stderr); ... }
 *   hebb_sim *s = NULL;
 *   hebb_sim_options opt = hebb_sim_options_default();
 *   if (hebb_sim_new(m, &opt, &s) != 0) { ... hebb_model_error(m)->message ... }
 *   hebb_sim_run_until(s, hebb_model_duration(m));
 *   hebb_sim_free(s);
 *   hebb_model_free(m);
 */
#ifndef HEBB_H
#define HEBB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HEBB_VERSION "0.1.0"

/* Error codes. Each X(NAME, message) yields HEBB_E<NAME> = -(index + 1). */
#define HEBB_ERRNO_MAP(X)                                                                          \
  X(NOMEM, "out of memory")                                                                        \
  X(INVAL, "invalid argument")                                                                     \
  X(NOENT, "no such name")                                                                         \
  X(RANGE, "value out of range")                                                                   \
  X(IO, "input/output error")                                                                      \
  X(PARSE, "malformed input")                                                                      \
  X(STATE, "operation not allowed in this state")                                                  \
  X(TOPO, "hardware topology error")

enum {
#define HEBB__ERR_ENUM(name, msg) HEBB__E_##name,
  HEBB_ERRNO_MAP(HEBB__ERR_ENUM)
#undef HEBB__ERR_ENUM
      HEBB__E_COUNT
};
#define HEBB__ERR_DEFINE(name, msg) HEBB_E##name = -(HEBB__E_##name + 1),
enum { HEBB_OK = 0, HEBB_ERRNO_MAP(HEBB__ERR_DEFINE) };
#undef HEBB__ERR_DEFINE

/* The message of an error code ("unknown error" for a code not in the table). */
const char *hebb_strerror(int err);

/* ---------------------------------------------------------------------------------------- */
/* Model description                                                                         */
/* ---------------------------------------------------------------------------------------- */

typedef struct hebb_model hebb_model;

/* A random or constant value: per neuron (initial state) or per synapse (weight, delay).
 * constant: a; uniform: [a, b); normal: mean a, s.d. b; normal_clipped: mean a, s.d. b,
 * redrawn until it lies in [lo, hi] (NEST's normal_clipped). */
typedef enum {
  HEBB_DIST_CONSTANT = 0,
  HEBB_DIST_UNIFORM,
  HEBB_DIST_NORMAL,
  HEBB_DIST_NORMAL_CLIPPED,
} hebb_dist_kind;

typedef struct {
  hebb_dist_kind kind;
  double a, b;
  double lo, hi;
} hebb_dist;

/* A constant hebb_dist. */
hebb_dist hebb_dist_const(double value);

typedef enum {
  HEBB_CONN_ALL_TO_ALL = 0,
  HEBB_CONN_ONE_TO_ONE,
  HEBB_CONN_PAIRWISE_BERNOULLI, /* each ordered pair with probability p */
  HEBB_CONN_FIXED_INDEGREE,     /* n sources drawn for every target */
  HEBB_CONN_FIXED_OUTDEGREE,    /* n targets drawn for every source */
  HEBB_CONN_FIXED_TOTAL_NUMBER, /* n (source, target) pairs drawn uniformly */
} hebb_conn_rule;

/* Which synaptic input a projection feeds. AUTO picks by the sign of the weight's mean
 * (negative: inhibitory). For current- and voltage-based models the weight keeps its sign
 * and the receptor picks the time constant; for conductance-based models the conductance
 * increment is |weight|. */
typedef enum {
  HEBB_RECEPTOR_AUTO = 0,
  HEBB_RECEPTOR_EXCITATORY,
  HEBB_RECEPTOR_INHIBITORY,
} hebb_receptor;

typedef struct {
  const char *name; /* NULL: "SOURCE_to_TARGET" */
  int source;       /* population ids returned by hebb_model_add_population */
  int target;
  hebb_conn_rule rule;
  double p;   /* pairwise_bernoulli */
  uint64_t n; /* fixed_indegree, fixed_outdegree, fixed_total_number */
  bool allow_autapses;
  bool allow_multapses;
  hebb_dist weight;   /* pA (current), mV (voltage jump) or nS (conductance) */
  hebb_dist delay_ms; /* rounded to whole steps; must not go below dt */
  hebb_receptor receptor;
} hebb_projection_spec;

/* A projection spec with NEST's defaults: all_to_all, autapses and multapses allowed,
 * weight 1, delay 1 ms, receptor from the weight's sign. */
hebb_projection_spec hebb_projection_spec_default(void);

/* What went wrong in the last failing builder call: the offending field (a model-file key
 * such as "indegree", or "" when none applies) and a one-line message. */
typedef struct {
  char field[48];
  char message[320];
} hebb_error_info;

/* A new, empty model: dt 0.1 ms, duration 1000 ms, seed 1. NULL when out of memory. */
hebb_model *hebb_model_new(void);
void hebb_model_free(hebb_model *m);
const hebb_error_info *hebb_model_error(const hebb_model *m);

/* Simulation settings. dt must be positive; duration non-negative. */
int hebb_model_set_dt(hebb_model *m, double dt_ms);
int hebb_model_set_duration(hebb_model *m, double duration_ms);
int hebb_model_set_seed(hebb_model *m, uint64_t seed);
/* 0 = let the run decide (all cores). */
int hebb_model_set_threads(hebb_model *m, int threads);
double hebb_model_dt(const hebb_model *m);
double hebb_model_duration(const hebb_model *m);
uint64_t hebb_model_seed(const hebb_model *m);
int hebb_model_threads(const hebb_model *m);
/* A name for reports (the model file's name, say). */
int hebb_model_set_name(hebb_model *m, const char *name);
const char *hebb_model_name(const hebb_model *m);

/* Neuron and stimulus models known to Hebb: iaf_psc_exp, iaf_psc_delta, iaf_cond_exp,
 * poisson_generator, spike_generator, dc_generator. */
size_t hebb_neuron_model_count(void);
const char *hebb_neuron_model_name(size_t i);
/* Parameter I of a neuron model (by name): its name, default unit ("ms", "mV", "pA", "nS",
 * "pF", "Hz", or "" for a dimensionless number) and default value. Returns NULL past the end. */
const char *hebb_neuron_model_param(const char *model, size_t i, const char **unit,
                                    double *default_value);
/* State variable I of a neuron model (NEST's names: V_m, I_syn_ex, g_ex, ...), with its unit. */
const char *hebb_neuron_model_state(const char *model, size_t i, const char **unit);
/* Named option I of a neuron model (set with hebb_model_set_option) and its allowed values
 * separated by '|' ("exp_euler|euler"); NULL past the end. */
const char *hebb_neuron_model_option(const char *model, size_t i, const char **allowed);
/* The unit of a synaptic weight onto a neuron of MODEL: "pA" (current-based), "mV"
 * (voltage jumps) or "nS" (conductance-based); NULL for a model that takes no input. A
 * projection from a dc_generator scales its amplitude: its weight is a plain number. */
const char *hebb_neuron_model_weight_unit(const char *model);
/* True for the stimulus models (poisson_generator, spike_generator, dc_generator). */
bool hebb_neuron_model_is_stimulus(const char *model);

/* Adds a population of SIZE neurons of MODEL with default parameters; stores its id. */
int hebb_model_add_population(hebb_model *m, const char *name, const char *model, uint32_t size,
                              int *pop_id);
int hebb_model_population_count(const hebb_model *m);
/* -1 when there is no population of that name. */
int hebb_model_find_population(const hebb_model *m, const char *name);
const char *hebb_model_population_name(const hebb_model *m, int pop);
const char *hebb_model_population_model(const hebb_model *m, int pop);
uint32_t hebb_model_population_size(const hebb_model *m, int pop);

/* Sets a numeric parameter (in its default unit). HEBB_ENOENT for a name the model lacks. */
int hebb_model_set_param(hebb_model *m, int pop, const char *name, double value);
/* Sets a named option of a model: iaf_cond_exp's "integrator" ("exp_euler", the default,
 * or "euler", forward Euler as Brian2's and Auryn's benchmarks use it). */
int hebb_model_set_option(hebb_model *m, int pop, const char *name, const char *value);
/* Initial value of a state variable, the same or drawn per neuron. */
int hebb_model_set_initial(hebb_model *m, int pop, const char *var, hebb_dist value);
/* Explicit spike times (ms) of neuron INDEX of a spike_generator population. The times are
 * copied; they must be finite and are sorted. */
int hebb_model_set_spike_times(hebb_model *m, int pop, uint32_t index, const double *times_ms,
                               size_t n);

/* A target spike train for neuron INDEX of population POP, for learning rules that train
 * spike trains (superspike): spike times (ms) in (0, PERIOD_MS], repeated every PERIOD_MS
 * (the same period for every neuron of POP; a whole number of steps). The times are copied
 * and sorted; a target time t counts in the step that ends at t (mod the period). */
int hebb_model_set_target(hebb_model *m, int pop, uint32_t index, const double *times_ms, size_t n,
                          double period_ms);

/* Adds a projection; stores its id. Checks it against the populations and dt. */
int hebb_model_add_projection(hebb_model *m, const hebb_projection_spec *spec, int *proj_id);
int hebb_model_projection_count(const hebb_model *m);
const char *hebb_model_projection_name(const hebb_model *m, int proj);

/* Plasticity. The rules known to Hebb (built in, or loaded from plugins) are listed by
 * hebb_rule_count / hebb_rule_name; their parameters (with units: "ms", "Hz", "" or "weight",
 * the weight unit of the projection's target) and options by hebb_rule_param and
 * hebb_rule_option. */
size_t hebb_rule_count(void);
const char *hebb_rule_name(size_t i);
const char *hebb_rule_doc(const char *rule);
const char *hebb_rule_param(const char *rule, size_t i, const char **unit, double *default_value);
const char *hebb_rule_option(const char *rule, size_t i, const char **allowed);
/* The shared object a rule was loaded from (the path given to hebb_rule_load), or NULL for a
 * built-in rule or an unknown name. */
const char *hebb_rule_origin(const char *rule);
/* Loads a plasticity rule from the shared object PATH (a bare file name means the current
 * directory, not the library search path) and registers it after the known rules, so that
 * it is found by name like a built-in one. The object must export the function
 *   const hebb_rule *hebb_rule_entry(void);
 * (hebb/rule.h; a template is in examples/plugins). The rule is refused unless it was built
 * for this HEBB_RULE_ABI, its name is an identifier that no known rule has, it has its hooks
 * and stays within the engine's limits, and its descriptors are consistent. Loading a file
 * that is already loaded (under any path) does nothing. A loaded object stays loaded for the
 * life of the process. Safe to call from several threads, and while other threads look rules
 * up. Returns 0, or HEBB_EIO (cannot be loaded: missing, not a shared object, unresolved
 * symbols), HEBB_EINVAL (not a usable rule), HEBB_ERANGE (too many plugins) or HEBB_ENOMEM,
 * with a one-line message starting with PATH in ERR. */
int hebb_rule_load(const char *path, char *err, size_t errlen);

/* Makes projection PROJ plastic under RULE with its default parameters. */
int hebb_model_set_plasticity(hebb_model *m, int proj, const char *rule);
/* Sets a parameter (in its unit) or an option of the projection's rule. Unknown names are
 * refused at once; the values themselves are judged by hebb_model_check_plasticity, once all
 * are set (values such as Wmin <= Wmax only make sense together), and again by hebb_sim_new. */
int hebb_model_set_plasticity_param(hebb_model *m, int proj, const char *name, double value);
int hebb_model_set_plasticity_option(hebb_model *m, int proj, const char *name, const char *value);
/* Learning phases: from AT_MS[k] on, the weights of PROJ change iff LEARN[k] (times sorted,
 * whole numbers of steps); before the first switch they do. With REPEAT_MS > 0 the schedule
 * repeats with that period (switch times then lie in [0, REPEAT_MS), and the part of a period
 * before its first switch continues the state of its last switch). Traces keep running while
 * weights are frozen, so an update phase after a prediction phase sees the whole spike
 * history. A step ending at time t belongs to the phase in force at t - dt. */
int hebb_model_set_learning_schedule(hebb_model *m, int proj, const double *at_ms,
                                     const bool *learn, size_t n, double repeat_ms);
/* The neuromodulator of a three-factor rule on PROJ (stdp_dopamine): every spike of
 * population POP (NEST's volume transmitter) reaches all synapses of PROJ DELAY_MS after its
 * emission (at least the network's smallest delay, so that it arrives in time on every
 * thread). */
int hebb_model_set_modulator(hebb_model *m, int proj, int pop, double delay_ms);
/* A scheduled neuromodulator event of size AMOUNT at AT_MS (a whole number of steps, at
 * least one step), for rewards given by the protocol rather than by a population. */
int hebb_model_add_reward(hebb_model *m, int proj, double at_ms, double amount);
/* A critic that rewards a pairing (closed-loop reinforcement, Izhikevich 2007): whenever
 * neuron POST_INDEX of population POST_POP spikes within WINDOW_MS after a spike of neuron
 * PRE_INDEX of PRE_POP (0 < lag <= window; the latest such spike), a neuromodulator event of
 * AMOUNT reaches PROJ's synapses DELAY_MS after that postsynaptic spike, the delay drawn per
 * reward (counter-based, the same on any thread count); the delay must be at least the
 * network's smallest delay and at most 65535 steps. One critic per projection. */
int hebb_model_set_critic(hebb_model *m, int proj, int pre_pop, uint32_t pre_index, int post_pop,
                          uint32_t post_index, double window_ms, hebb_dist delay_ms, double amount);
/* Error feedback for learning rules that train spike trains through a hidden layer
 * (superspike): the raw error of every neuron i of population FROM, the population with the
 * target (+1 per target spike, -1 per own spike), reaches every neuron k of population TO
 * DELAY_MS later, weighted by B_ki, and is the error that TO's rules learn from:
 *   HEBB_FEEDBACK_SYMMETRIC  B_ki = SCALE * (the weight of the synapses k -> i of the one
 *                            projection from TO to FROM), as it stands at the end of the
 *                            epoch the error was made in;
 *   HEBB_FEEDBACK_RANDOM     B_ki ~ N(0, SCALE^2), drawn once (counter-based: the same on any
 *                            number of threads);
 *   HEBB_FEEDBACK_UNIFORM    B_ki = SCALE.
 * DELAY_MS <= 0 means the network's smallest delay; a positive delay must be at least that
 * (the error travels like a spike) and at most 65535 steps. Stores the feedback's id in ID
 * (may be NULL). */
typedef enum {
  HEBB_FEEDBACK_SYMMETRIC,
  HEBB_FEEDBACK_RANDOM,
  HEBB_FEEDBACK_UNIFORM,
} hebb_feedback_kind;
int hebb_model_add_feedback(hebb_model *m, const char *name, int from_pop, int to_pop,
                            hebb_feedback_kind kind, double delay_ms, double scale, int *id);
/* Checks feedback FB against the rest of the model, once targets and projections are in
 * place: FROM has a target, TO has none and is the target of a projection whose rule learns
 * from an error, and symmetric feedback has its one forward projection. hebb_sim_new checks
 * again, and also the delay. */
int hebb_model_check_feedback(const hebb_model *m, int fb);

/* Checks the rule parameters of PROJ together; on failure the error's field is the
 * parameter whose setting last made them invalid (or "plasticity"). */
int hebb_model_check_plasticity(hebb_model *m, int proj);
/* Records the weights of every synapse of PROJ every EVERY_MS (a whole number of steps). */
int hebb_model_record_weights(hebb_model *m, int proj, double every_ms);
/* -1 when there is no projection of that name. */
int hebb_model_find_projection(const hebb_model *m, const char *name);

/* Records the spikes of a population. */
int hebb_model_record_spikes(hebb_model *m, int pop);
/* Records state variable VAR of the listed neurons (indices within the population; NULL and
 * n = 0 for all) every INTERVAL_MS (a whole number of steps, at least one). */
int hebb_model_record_state(hebb_model *m, int pop, const char *var, const uint32_t *indices,
                            size_t n, double interval_ms);

/* ---------------------------------------------------------------------------------------- */
/* Model files                                                                               */
/* ---------------------------------------------------------------------------------------- */

/* Diagnostics from reading a model file: every problem found, one per line, each as
 * "FILE:LINE:COLUMN: what is wrong; expected WHAT". */
typedef struct {
  int count;       /* number of problems */
  char text[8192]; /* the lines (truncated with a last line saying so) */
} hebb_diag;

/* Reads a YAML model file into a new model. On failure returns HEBB_EPARSE (or HEBB_EIO if
 * the file cannot be read), *out is NULL and diag lists the problems. */
int hebb_model_load(const char *path, hebb_model **out, hebb_diag *diag);
/* The same from a string; NAME is used in the messages in place of a file name. */
int hebb_model_load_string(const char *yaml, size_t len, const char *name, hebb_model **out,
                           hebb_diag *diag);

/* ---------------------------------------------------------------------------------------- */
/* Simulation                                                                                */
/* ---------------------------------------------------------------------------------------- */

typedef struct hebb_sim hebb_sim;

typedef struct {
  int threads;      /* partitions and worker threads; 0 = the model's value, else all cores */
  bool pin;         /* pin each worker thread to its own core (hwloc) */
  bool hw_counters; /* count cycles, instructions and cache misses per phase and partition
                       (perf_event_open; absent where the kernel does not allow it) */
} hebb_sim_options;

hebb_sim_options hebb_sim_options_default(void);

/* Builds the network of M (connectivity, initial state) on the partitions. M must outlive
 * the simulation and not change while it exists. On failure *out is NULL and
 * hebb_model_error(m) says why. */
int hebb_sim_new(const hebb_model *m, const hebb_sim_options *opt, hebb_sim **out);
void hebb_sim_free(hebb_sim *s);

/* Advances the simulation to model time T_MS (rounded to a whole step). Running in several
 * calls gives the same result as one call. */
int hebb_sim_run_until(hebb_sim *s, double t_ms);
/* The current model time in steps and ms. */
uint64_t hebb_sim_step(const hebb_sim *s);
double hebb_sim_time(const hebb_sim *s);
int hebb_sim_threads(const hebb_sim *s);

/* One recorded spike: population, index in the population, and the step at whose end it
 * was emitted (time = step * dt). */
typedef struct {
  uint64_t step;
  uint32_t pop;
  uint32_t index;
} hebb_spike;

/* Moves the spikes recorded since the last call into a new array sorted by step, then
 * population, then index (the caller frees it with free()). */
int hebb_sim_take_spikes(hebb_sim *s, hebb_spike **spikes, size_t *n);

/* One recorded state sample. */
typedef struct {
  uint64_t step;
  uint32_t pop;
  uint32_t index;
  uint32_t var; /* index into the model's state variables (hebb_neuron_model_state) */
  double value;
} hebb_sample;

/* Moves the state samples recorded since the last call, sorted by step, population, index,
 * variable (the caller frees them). */
int hebb_sim_take_samples(hebb_sim *s, hebb_sample **samples, size_t *n);

/* One synapse: its projection, source and target (indices within their populations) and
 * weight; or, from hebb_sim_take_weights, a snapshot of it at STEP. */
typedef struct {
  uint64_t step;
  uint32_t proj;
  uint32_t source;
  uint32_t target;
  float weight;
} hebb_synapse;

/* All synapses of projection PROJ now, sorted by source, target, then creation order (the
 * caller frees the array). */
int hebb_sim_synapses(const hebb_sim *s, int proj, hebb_synapse **syn, size_t *n);
/* The feedback matrix of feedback FB (hebb_model_add_feedback) now, into B[k * nout + i]
 * for hidden neuron k and output neuron i (nout, nhid: the sizes of the feedback's source and
 * target populations; B holds nhid * nout values). For symmetric feedback, the scaled
 * forward weights as they stand now. */
int hebb_sim_feedback_matrix(const hebb_sim *s, int fb, double *B);
/* Moves the recorded weight snapshots into a new array sorted by step, projection, source,
 * target (the caller frees it). */
int hebb_sim_take_weights(hebb_sim *s, hebb_synapse **syn, size_t *n);

/* Reads a state variable of one neuron now. */
int hebb_sim_get_state(const hebb_sim *s, int pop, uint32_t index, const char *var, double *value);

/* Counters and timers of the run so far. */
#define HEBB_PHASES 7
typedef struct {
  double build_wall_s;
  double sim_wall_s;
  uint64_t neurons;
  uint64_t synapses;
  uint64_t synapse_bytes; /* storage of synapses: hebb_memory's indices, weights, delays,
                             targets and rule_state */
  uint64_t spikes_total;
  uint64_t synaptic_events;    /* synapses activated by delivered spikes */
  uint64_t queue_events;       /* events pushed through the calendar queues */
  uint64_t plastic_updates;    /* synapses visited by plasticity hooks */
  double phase_s[HEBB_PHASES]; /* summed over partitions: deliver, update, exchange,
                                  barrier_wait, record, plasticity, checkpoint
                                  (hebb_phase_name) */
} hebb_stats;

int hebb_sim_stats(const hebb_sim *s, hebb_stats *st);
const char *hebb_phase_name(int phase);
/* Spikes emitted so far by population POP. */
uint64_t hebb_sim_population_spikes(const hebb_sim *s, int pop);
/* The profile of partition P: time per phase, counts, and (hw true) hardware counters per
 * phase, measured when the simulation was built with hw_counters and the kernel allowed it
 * on every run of that partition. */
typedef struct {
  double phase_s[HEBB_PHASES];
  uint64_t spikes, synaptic_events, plastic_updates, queue_events;
  bool hw_requested; /* the simulation was built with hw_counters */
  bool hw;           /* ... and the counters could be opened on every run */
  uint64_t cycles[HEBB_PHASES], instructions[HEBB_PHASES], cache_misses[HEBB_PHASES];
} hebb_partition_profile;
int hebb_sim_partition_profile(const hebb_sim *s, int p, hebb_partition_profile *out);

/* The profile of the run so far as a table (hebb run --profile; docs in README.md). */
int hebb_profile_print(const hebb_sim *s, FILE *f);
/* The same as a summary.json member (",\n  \"profile\": {...}", for hebb_output_finish's
 * EXTRA); NULL when out of memory; the caller frees it. */
char *hebb_profile_json(const hebb_sim *s);

/* Memory of the network by component, bytes, over all partitions. */
typedef struct {
  uint64_t indices;      /* source -> groups, group tables (start, projection, plastic index) */
  uint64_t weights;      /* a float per synapse */
  uint64_t delays;       /* per group */
  uint64_t targets;      /* a target index per synapse: 16 bits on a partition where every
                            target population has at most 65536 neurons, else 32 */
  uint64_t rule_state;   /* traces and rule state per group and neuron, per-synapse rule
                            variables, postsynaptic index */
  uint64_t queues;       /* event queues */
  uint64_t neuron_state; /* state variables and input accumulators */
  uint64_t total;
} hebb_memory;
int hebb_sim_memory(const hebb_sim *s, hebb_memory *mem);
/* Per-partition phase times (seconds), HEBB_PHASES * threads values, partition-major. */
int hebb_sim_partition_phases(const hebb_sim *s, double *out, size_t n);
/* The core each worker thread was pinned to (-1 when not pinned), one per thread. */
int hebb_sim_pinning(const hebb_sim *s, int *cores, size_t n);

/* ---------------------------------------------------------------------------------------- */
/* Output directories                                                                        */
/* ---------------------------------------------------------------------------------------- */

/* An output directory: spikes.bin, state.bin and weights.bin (formats in
 * docs/output-format.md), filled as the run goes; learning.tsv, the running loss of a
 * training run: for each population with a target (hebb_model_set_target), one line per
 * period of the target with the van Rossum distance between the population's spikes in the
 * period and its target; and summary.json, written last by hebb_output_finish: a directory
 * without summary.json is an unfinished run. The loss is computed from the spikes written to
 * spikes.bin: a population with a target must be recorded. */
typedef struct hebb_output hebb_output;

/* Creates DIR (and missing parents) and opens its files, removing an old summary.json (and
 * an old learning.tsv when M has no target). The run is to start at step 0 and end at M's
 * duration (the period that ends there also holds the run's end, as in `hebb vanrossum`).
 * On failure writes a message into err: HEBB_EINVAL (nothing created) when a population of M
 * has a target but is not recorded. */
int hebb_output_open(hebb_output **out, const char *dir, const hebb_model *m, char *err,
                     size_t errlen);
/* The time constant of the loss in learning.tsv (default 10 ms, as hebb vanrossum's --tau);
 * call it before the first hebb_output_write. HEBB_EINVAL for a tau that is not positive and
 * finite, or that differs from the one of the losses learning.tsv already holds (a resumed
 * run keeps its tau). Does nothing else for a model without targets. */
int hebb_output_set_loss_tau(hebb_output *o, double tau_ms, char *err, size_t errlen);
/* Moves the spikes and samples recorded so far from the simulation into the files, and
 * writes the loss of every period that has ended by now into learning.tsv. */
int hebb_output_write(hebb_output *o, hebb_sim *s);
/* The last loss written to learning.tsv for population POP since the output was opened or
 * resumed: the end of its period (ms) and its value. HEBB_ENOENT when there is none (POP has
 * no target, or none of its periods has ended yet). */
int hebb_output_last_loss(const hebb_output *o, int pop, double *time_ms, double *loss);
/* Writes what remains, flushes and closes the files, and writes summary.json. EXTRA, if not
 * NULL, is inserted as additional members of the summary object (",\n  \"key\": ..."
 * fragments). Frees O whatever the result. */
int hebb_output_finish(hebb_output *o, hebb_sim *s, const char *extra, char *err, size_t errlen);
/* Frees O without writing a summary (a failed run). */
void hebb_output_abort(hebb_output *o);

/* Prints DIR/spikes.bin as "population<TAB>index<TAB>time_ms" lines, in file order (time,
 * population, index). */
int hebb_output_print_spikes(const char *dir, FILE *out, char *err, size_t errlen);
/* Prints DIR/weights.bin as "projection<TAB>time_ms<TAB>source_index<TAB>target_index<TAB>
 * weight", sorted by time, projection, source, target; only projection PROJ if not NULL. */
int hebb_output_print_weights(const char *dir, const char *proj, FILE *out, char *err,
                              size_t errlen);
/* Prints DIR/state.bin as "population<TAB>index<TAB>variable<TAB>time_ms<TAB>value". */
int hebb_output_print_state(const char *dir, FILE *out, char *err, size_t errlen);
/* Reads the spikes of population POP (by name) from DIR/spikes.bin into a new array in file
 * order (by step, then index; the caller frees it with free()). Their pop field is POP's
 * number in the file (model order: populations, then stimuli). Stores the population's size
 * in *POP_SIZE and the run's time step in *DT_MS (a spike's time is step * dt); either may be
 * NULL. A population that was not recorded reads as one without spikes. Returns HEBB_ENOENT
 * when the run has no population POP, HEBB_EPARSE when the file cannot be read or is damaged,
 * HEBB_ENOMEM; ERR then says what, naming the file. On failure *SPIKES is NULL and *N 0. */
int hebb_output_read_spikes(const char *dir, const char *pop, hebb_spike **spikes, size_t *n,
                            uint32_t *pop_size, double *dt_ms, char *err, size_t errlen);

/* ---------------------------------------------------------------------------------------- */
/* Checkpoints (docs/checkpoint-format.md)                                                   */
/* ---------------------------------------------------------------------------------------- */

/* A hash of everything in M that shapes the network or what is recorded of it; not the
 * duration, the number of threads or the model's name. A checkpoint belongs to one hash. */
uint64_t hebb_model_hash(const hebb_model *m);
/* Steps per epoch (the smallest delay): checkpoints are taken at multiples of it. */
uint32_t hebb_sim_epoch_steps(const hebb_sim *s);

/* How far the output files of a run had been written when a checkpoint was taken. */
typedef struct {
  bool valid;                      /* false: the checkpoint was taken without an output directory */
  uint64_t spikes, state, weights; /* bytes of spikes.bin, state.bin, weights.bin */
  uint64_t learning;               /* bytes of learning.tsv; UINT64_MAX when the checkpoint holds
                                      none (the model has no target, or it was written by a
                                      Hebb before learning.tsv) */
  uint64_t step;                   /* the step at which the checkpoint was taken */
} hebb_output_pos;

/* Writes a checkpoint of S to PATH: as PATH.tmp, flushed, fsynced, renamed onto PATH, the
 * directory fsynced, so that a crash at any moment leaves the previous PATH intact. If O is
 * not NULL, the output recorded so far is first written to O's files and synced, and the
 * checkpoint holds their lengths. S must stand at a multiple of hebb_sim_epoch_steps. On
 * failure PATH is unchanged, S can go on, and ERR says what failed. */
int hebb_checkpoint_write(hebb_sim *s, hebb_output *o, const char *path, char *err, size_t errlen);
/* Verifies the checkpoint PATH (every checksum, the format version, the model hash against
 * M), builds the network of M with OPT (any number of threads) and restores the state into
 * it, at the checkpoint's step. POS (may be NULL) receives the output positions. On failure
 * *s is NULL and ERR names the file and what is wrong with it. */
int hebb_checkpoint_resume(const char *path, const hebb_model *m, const hebb_sim_options *opt,
                           hebb_sim **s, hebb_output_pos *pos, char *err, size_t errlen);
/* Writes what S recorded so far to O's files, flushes and fsyncs them, and reports their
 * lengths in POS. */
int hebb_output_sync(hebb_output *o, hebb_sim *s, hebb_output_pos *pos, char *err, size_t errlen);
/* The name of a checkpoint section type ("neurons", ...), NULL for one this Hebb does not
 * know. */
const char *hebb_checkpoint_section_name(uint32_t type);
/* The section types this Hebb knows (N of them): a reader refuses other critical ones. */
const uint32_t *hebb_checkpoint_sections(size_t *n);
/* Reopens the output directory DIR of an interrupted run to continue it: its files are cut
 * back to POS (what was written after the checkpoint is discarded) and appended to; the
 * spikes of the target periods under way at the checkpoint are read back from spikes.bin,
 * so that learning.tsv continues as if the run had not stopped. Fails, changing nothing,
 * when a file is missing, shorter than POS, or has another header. When POS is not valid or
 * DIR holds no spikes.bin, the directory starts anew (hebb_output_open) at POS's step, and
 * learning.tsv with the first period that begins after it; likewise learning.tsv alone when
 * POS records no length for it (a checkpoint of a Hebb before learning.tsv). */
int hebb_output_resume(hebb_output **out, const char *dir, const hebb_model *m,
                       const hebb_output_pos *pos, char *err, size_t errlen);

/* ---------------------------------------------------------------------------------------- */
/* Spike train distances                                                                     */
/* ---------------------------------------------------------------------------------------- */

/* The squared van Rossum distance (van Rossum 2001) between the spike trains U[0..n) and
 * V[0..m) (times in ms, each sorted ascending; equal times allowed; NULL for an empty train):
 *   D^2 = (1/tau) integral over all t of (f(t) - g(t))^2,
 * f and g the trains filtered by the causal kernel e^{-t/tau} (MODELS.md section 3). So a
 * spike many tau away from every other spike adds 1/2, two single spikes a time d apart give
 * 1 - e^{-|d|/tau}, D^2(u, u) is exactly 0, and two empty trains give 0. Computed in O(n + m)
 * by one merge of the trains, as a sum of non-negative terms: it keeps its relative accuracy
 * (1e-14 in the tests) even for nearly equal trains, where the pairwise closed form cancels.
 * Returns NaN when TAU_MS is not positive and finite, a time is not finite, or a train is not
 * sorted. A loss 1/2 integral (f - g)^2 dt, as SuperSpike's with this kernel, is TAU_MS/2
 * times D^2. */
double hebb_van_rossum(const double *u, size_t n, const double *v, size_t m, double tau_ms);
/* The same for the spikes of U and V in [T0_MS, T1_MS) only, as separate trains: spikes
 * before T0_MS are ignored (their kernels do not reach into the window), and the kernels of
 * the spikes in the window are followed past T1_MS to their end, so that a missing spike
 * late in the window costs the full 1/2. This is the loss of one pattern period of length
 * T1_MS - T0_MS, independent of the periods before; the distances of consecutive windows do
 * not add up to the whole trains' distance (cross terms between windows, e^{-T/tau} small
 * when the period T is long against tau). NaN also when T0_MS > T1_MS or either is NaN. */
double hebb_van_rossum_window(const double *u, size_t n, const double *v, size_t m, double t0_ms,
                              double t1_ms, double tau_ms);

#ifdef __cplusplus
}
#endif
#endif /* HEBB_H */

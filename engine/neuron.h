/* neuron.h - the neuron and stimulus models: their parameters, state variables and the
 * per-step update of a block of neurons of one population on one partition.
 *
 * A model is described by a table (names, units and defaults as NEST's) and implemented by
 * an update kernel over structure-of-arrays state. Kernels integrate exactly where the
 * model allows (Rotter & Diesmann 1999 propagators for iaf_psc_exp, iaf_psc_delta) and
 * say which scheme they use where it does not (iaf_cond_exp). The model builder (model.c)
 * and the simulation (sim.c) use this module; nothing here knows about partitions.
 */
#ifndef HEBB_ENGINE_NEURON_H
#define HEBB_ENGINE_NEURON_H

#include "poisson.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEBB_MAX_PARAMS 16
#define HEBB_MAX_STATES 4

typedef enum {
  HEBB_NM_IAF_PSC_EXP = 0,
  HEBB_NM_IAF_PSC_DELTA,
  HEBB_NM_IAF_COND_EXP,
  HEBB_NM_POISSON_GENERATOR,
  HEBB_NM_SPIKE_GENERATOR,
  HEBB_NM_DC_GENERATOR,
  HEBB_NM_COUNT
} hebb_nm_kind;

typedef struct {
  const char *name;
  const char *unit;
  double value; /* default parameter value; for a state: NAN = "from a parameter" */
} hebb_nm_entry;

typedef struct {
  const char *name;
  const char *allowed; /* '|'-separated; the first is the default */
} hebb_nm_option;

typedef struct {
  const char *name;
  hebb_nm_kind kind;
  const hebb_nm_entry *params;
  size_t nparams;
  const hebb_nm_entry *states;
  size_t nstates;
  const hebb_nm_option *options;
  size_t noptions;
  const char *weight_unit; /* NULL: takes no synaptic input */
  bool stimulus;
} hebb_nm_desc;

const hebb_nm_desc *hebb_nm_find(const char *name);
const hebb_nm_desc *hebb_nm_get(hebb_nm_kind kind);
/* Index of a parameter, state or option by name; -1 if absent. */
int hebb_nm_param_index(const hebb_nm_desc *d, const char *name);
int hebb_nm_state_index(const hebb_nm_desc *d, const char *name);
int hebb_nm_option_index(const hebb_nm_desc *d, const char *name);
/* Index of VALUE in a '|'-separated list of allowed words ("exp_euler|euler"); -1 if it
 * is not one of them. Options of neuron models and of plasticity rules use it. */
int hebb__allowed_index(const char *allowed, const char *value);
/* Index of VALUE among the allowed values of option OPT; -1 if not allowed. */
int hebb_nm_option_value(const hebb_nm_desc *d, int opt, const char *value);

/* Parameter indices, frozen by the order of the tables in neuron.c. */
enum {
  PSC_C_m,
  PSC_tau_m,
  PSC_tau_syn_ex,
  PSC_tau_syn_in,
  PSC_t_ref,
  PSC_E_L,
  PSC_V_reset,
  PSC_V_th,
  PSC_I_e
};
enum { DELTA_C_m, DELTA_tau_m, DELTA_t_ref, DELTA_E_L, DELTA_V_reset, DELTA_V_th, DELTA_I_e };
enum {
  COND_C_m,
  COND_g_L,
  COND_E_L,
  COND_E_ex,
  COND_E_in,
  COND_tau_syn_ex,
  COND_tau_syn_in,
  COND_t_ref,
  COND_V_reset,
  COND_V_th,
  COND_I_e
};
enum { POISSON_rate, POISSON_start, POISSON_stop, POISSON_period };
enum { DC_amplitude, DC_start, DC_stop }; /* start, stop at the same indices as POISSON_ */
enum { COND_INTEGRATOR_EXP_EULER = 0, COND_INTEGRATOR_EULER = 1 };
enum { POISSON_DRAWS_KNUTH = 0, POISSON_DRAWS_INVERSION = 1 }; /* poisson_generator's draws */

/* Per-population constants of an update kernel, derived once from parameters and dt. */
typedef struct {
  double p11ex, p11in, p22, p21ex, p21in, p20; /* psc_exp propagators */
  double theta, v_reset;                       /* relative to E_L where the model is */
  double e_l;
  int32_t refr_steps;
  /* cond_exp */
  double g_l, e_ex, e_in, c_m, dt;
  int integrator;
  bool single; /* state in float */
  /* poisson */
  hebb_poisson_law poisson; /* the counts per step, of mean rate * dt */
  uint64_t start_step, stop_step;
  uint64_t period_steps; /* frozen noise: the draws of step n are those of n mod period; 0 */
} hebb_nm_consts;

/* Derives the kernel constants of a population from its parameters and OPTIONS (the values
 * of the model's options in their order; NULL: the defaults); 0 or a negative error code if
 * the parameters are not usable (the message says which). */
int hebb_nm_prepare(const hebb_nm_desc *d, const double *params, const int *options, double dt,
                    hebb_nm_consts *k, char *msg, size_t msglen);

/* State of a block of N neurons, structure of arrays of double or, for a population with
 * precision: single, float. Units: mV, pA, nS; v is relative to E_L for the iaf_psc_*
 * models (as NEST stores it) and absolute for iaf_cond_exp. acc_ex/acc_in collect the
 * synaptic input that arrives during a step (pA, nS, or mV jumps); the update consumes and
 * zeroes them. */
typedef struct {
  uint32_t n;
  bool single;
  void *v;
  void *s_ex; /* I_syn_ex (pA) or g_ex (nS) */
  void *s_in;
  void *i_0;  /* current from dc_generators (pA), piecewise constant */
  void *refr; /* refractory steps left, a whole number stored as REAL so the update vectorises */
  void *acc_ex, *acc_in;
} hebb_nm_state;

/* Allocates zeroed state for N neurons; 0 or -1 when out of memory (free what was made
 * with hebb_nm_state_free). */
int hebb_nm_state_alloc(hebb_nm_state *s, uint32_t n, bool single);
void hebb_nm_state_free(hebb_nm_state *s);
/* Reads or writes state variable VAR (index into the model's state table) of neuron I. */
double hebb_nm_state_get(const hebb_nm_state *s, int var, uint32_t i);
void hebb_nm_state_set(hebb_nm_state *s, int var, uint32_t i, double x);
/* Sets the dc_generator current of neuron I. */
void hebb_nm_state_set_current(hebb_nm_state *s, uint32_t i, double x);

/* Advances a block by one step. Indices of neurons that spiked at the end of the step are
 * written to spiked (capacity n); returns their count. */
uint32_t hebb_nm_update(const hebb_nm_desc *d, const hebb_nm_consts *k, const double *params,
                        hebb_nm_state *s, uint32_t *restrict spiked);

#endif

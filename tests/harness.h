/* harness.h - what the Check suites of the engine and the rules share: the OK assertion for
 * builder calls, and the "drive" protocol that makes chosen neurons spike at chosen times
 * (a strong one-to-one input onto iaf_psc_delta neurons that forget their input within a
 * step), with helpers to run a model and read traces from spike lists the way the rules
 * read them. Header-only: every test program is a single file.
 */
#ifndef HEBB_TESTS_HARNESS_H
#define HEBB_TESTS_HARNESS_H

#include "hebb.h"

#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Asserts that a builder call returned 0, with the model's message otherwise. */
#define OK(m, call)                                                                                \
  do {                                                                                             \
    int rc_ = (call);                                                                              \
    ck_assert_msg(rc_ == 0, "%s failed: %s", #call, hebb_model_error(m)->message);                 \
  } while (0)

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A population of N iaf_psc_delta neurons that spike only when driven: the input is
 * forgotten within a step (tau_m = 0.05 ms) and the threshold is far away. */
static inline int silent_targets(hebb_model *m, const char *name, uint32_t n) {
  int pop = 0;
  OK(m, hebb_model_add_population(m, name, "iaf_psc_delta", n, &pop));
  OK(m, hebb_model_set_param(m, pop, "tau_m", 0.05));
  OK(m, hebb_model_set_param(m, pop, "E_L", 0.0));
  OK(m, hebb_model_set_param(m, pop, "V_reset", 0.0));
  OK(m, hebb_model_set_param(m, pop, "V_th", 1000.0));
  OK(m, hebb_model_set_param(m, pop, "t_ref", 0.0));
  return pop;
}

/* A strong one-to-one projection from DRIVE onto TGT: each drive spike makes its target
 * spike one step later. */
static inline void drive_projection(hebb_model *m, int drive, int tgt, double dt) {
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = drive;
  s.target = tgt;
  s.rule = HEBB_CONN_ONE_TO_ONE;
  s.weight = hebb_dist_const(5000.0);
  s.delay_ms = hebb_dist_const(dt);
  OK(m, hebb_model_add_projection(m, &s, NULL));
}

static inline void set_rule_params(hebb_model *m, int proj, const char *rule,
                                   const char *const *names, const double *values, size_t n) {
  OK(m, hebb_model_set_plasticity(m, proj, rule));
  for (size_t i = 0; i < n; i++)
    OK(m, hebb_model_set_plasticity_param(m, proj, names[i], values[i]));
}

static inline hebb_sim *start_sim(hebb_model *m, int threads) {
  hebb_sim_options o = hebb_sim_options_default();
  o.threads = threads;
  o.pin = false;
  hebb_sim *sim = NULL;
  OK(m, hebb_sim_new(m, &o, &sim));
  return sim;
}

/* The synapses of PROJ now (sorted by source, target, creation order). */
static inline hebb_synapse *proj_synapses(hebb_sim *sim, int proj, size_t *n) {
  hebb_synapse *syn = NULL;
  ck_assert_int_eq(hebb_sim_synapses(sim, proj, &syn, n), 0);
  return syn;
}

/* Sum of exp(-(now - t)/tau) over the spikes T[0..n) strictly before NOW (t - eps). */
static inline double spike_trace(const double *t, size_t n, double now, double tau) {
  double x = 0.0;
  for (size_t i = 0; i < n && t[i] < now - 1e-9; i++)
    x += exp(-(now - t[i]) / tau);
  return x;
}

/* The same including spikes at NOW (the value after this step's spikes). */
static inline double spike_trace_incl(const double *t, size_t n, double now, double tau) {
  double x = 0.0;
  for (size_t i = 0; i < n && t[i] < now + 1e-9; i++)
    x += exp(-(now - t[i]) / tau);
  return x;
}

/* Spike stamps (ms) of neuron INDEX of population POP among SPK[0..n). */
static inline size_t spike_times(const hebb_spike *spk, size_t n, uint32_t pop, uint32_t index,
                                 double dt, double *out) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (spk[i].pop == pop && spk[i].index == index)
      out[k++] = (double)spk[i].step * dt;
  return k;
}

/* Runs suite S (freed here) and returns the program's exit status. */
static inline int run_suite(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}

#endif

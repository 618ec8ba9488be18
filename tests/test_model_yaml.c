/* test_model_yaml.c - tests of io/model_yaml: reading Hebb model files (YAML) into a model.
 *
 * A good model must come back through the builder's getters unchanged. Bad models must fail
 * with HEBB_EPARSE, no model, and a diagnostic line "NAME:LINE:COLUMN: ..." that points at
 * the exact node at fault and says what is wrong; the position and a key phrase of the
 * message are asserted, and for the one-problem files also that nothing else was reported
 * (a cascade of follow-on errors would make users guess which one matters).
 *
 * The bad models below are also stored one per file under tests/data/bad/ (first line
 * "# expect: LINE:COLUMN: phrase") for the command-line tool's end-to-end test; when the
 * data directory is known (HEBB_SOURCE_DIR or HEBB_TEST_DATA_DIR in the environment),
 * those files and tests/data/good/ are checked here too.
 */
#define _POSIX_C_SOURCE 200809L /* opendir, to walk tests/data/bad */

#include "hebb.h"

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether D has a line starting "NAME:LINE:COL: " that contains PHRASE. */
static bool diag_has(const hebb_diag *d, const char *name, int line, int col, const char *phrase) {
  char prefix[1100]; /* a path of up to 1023 bytes and the position */
  snprintf(prefix, sizeof prefix, "%s:%d:%d: ", name, line, col);
  size_t pl = strlen(prefix);
  for (const char *p = d->text; *p != '\0';) {
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len >= pl && memcmp(p, prefix, pl) == 0) {
      char buf[2048];
      snprintf(buf, sizeof buf, "%.*s", (int)len, p);
      if (phrase == NULL || strstr(buf, phrase) != NULL)
        return true;
    }
    p += len + (end ? 1 : 0);
  }
  return false;
}

/* Loads YAML (named "t.yaml" in messages) and asserts that it fails to parse. */
static void load_bad(const char *yaml, hebb_diag *d) {
  hebb_model *m = (hebb_model *)&m; /* not NULL, to see that it is cleared */
  int rc = hebb_model_load_string(yaml, strlen(yaml), "t.yaml", &m, d);
  ck_assert_msg(rc == HEBB_EPARSE, "rc %d (%s), diag:\n%s", rc, hebb_strerror(rc), d->text);
  ck_assert_ptr_null(m);
  ck_assert_int_gt(d->count, 0);
}

/* Loads YAML and asserts that it succeeds. */
static hebb_model *load_good(const char *yaml) {
  hebb_model *m = NULL;
  hebb_diag d;
  int rc = hebb_model_load_string(yaml, strlen(yaml), "good.yaml", &m, &d);
  ck_assert_msg(rc == 0, "rc %d, diag:\n%s", rc, d.text);
  ck_assert_ptr_nonnull(m);
  ck_assert_int_eq(d.count, 0);
  return m;
}

#define ASSERT_DIAG(d, line, col, phrase)                                                          \
  ck_assert_msg(diag_has(&(d), "t.yaml", (line), (col), (phrase)),                                 \
                "no problem at %d:%d containing \"%s\"; got:\n%s", (line), (col), (phrase),        \
                (d).text)

static const char GOOD[] =
    "# a small but complete model\n"
    "simulation:\n"
    "  dt: 0.05 ms\n"
    "  duration: 2 s\n"
    "  seed: 18446744073709551615\n"
    "  threads: 3\n"
    "populations:\n"
    "  - name: exc\n"
    "    size: 3200\n"
    "    model: iaf_cond_exp\n"
    "    params:\n"
    "      C_m: 0.2 nF\n"
    "      V_th: -50 mV\n"
    "      integrator: euler\n"
    "    initial:\n"
    "      V_m: {distribution: uniform, low: -60 mV, high: -50 mV}\n"
    "      g_ex: {distribution: normal, mean: 40 nS, std: 15 nS}\n"
    "      g_in: {distribution: normal_clipped, mean: 200 nS, std: 120 nS, low: 0 nS}\n"
    "  - name: inh\n"
    "    size: 800\n"
    "    model: iaf_psc_exp\n"
    "    initial: {V_m: -65 mV}\n"
    "stimuli:\n"
    "  - name: noise\n"
    "    size: 100\n"
    "    model: poisson_generator\n"
    "    params: {rate: 10 Hz}\n"
    "  - name: pattern\n"
    "    size: 2\n"
    "    model: spike_generator\n"
    "    spike_times:\n"
    "      - [1 ms, 2.5 ms, 10]\n"
    "      - []\n"
    "  - name: drive\n"
    "    size: 1\n"
    "    model: dc_generator\n"
    "    params: {amplitude: 376 pA, start: 0 ms, stop: 0.5 s}\n"
    "projections:\n"
    "  - name: ee\n"
    "    source: exc\n"
    "    target: exc\n"
    "    rule: pairwise_bernoulli\n"
    "    p: 0.02\n"
    "    weight: 6 nS\n"
    "    delay: 0.8 ms\n"
    "  - source: inh\n"
    "    target: exc\n"
    "    rule: fixed_indegree\n"
    "    indegree: 200\n"
    "    allow_autapses: false\n"
    "    allow_multapses: false\n"
    "    weight: {distribution: normal_clipped, mean: -67 nS, std: 5 nS, high: 0 nS}\n"
    "    receptor: inhibitory\n"
    "  - source: drive\n"
    "    target: inh\n"
    "    rule: all_to_all\n"
    "    weight: 0.5\n"
    "  - source: noise\n"
    "    target: inh\n"
    "    rule: fixed_total_number\n"
    "    N: 1000\n"
    "    weight: 87.8 pA\n"
    "    delay: {distribution: uniform, low: 1 ms, high: 2 ms}\n"
    "  - source: pattern\n"
    "    target: exc\n"
    "    rule: fixed_outdegree\n"
    "    outdegree: 7\n"
    "record:\n"
    "  spikes: [exc, inh]\n"
    "  state:\n"
    "    - population: exc\n"
    "      variables: [V_m, g_ex]\n"
    "      neurons: [0, 1, 2]\n"
    "      interval: 1 ms\n"
    "    - population: inh\n"
    "      variables: [V_m]\n";

START_TEST(test_good_round_trip) {
  hebb_model *m = load_good(GOOD);
  ck_assert_str_eq(hebb_model_name(m), "good.yaml");
  ck_assert(hebb_model_dt(m) == 0.05);
  ck_assert(hebb_model_duration(m) == 2000.0);
  ck_assert(hebb_model_seed(m) == UINT64_MAX);
  ck_assert_int_eq(hebb_model_threads(m), 3);
  ck_assert_int_eq(hebb_model_population_count(m), 5);
  static const struct {
    const char *name, *model;
    uint32_t size;
  } pops[] = {{"exc", "iaf_cond_exp", 3200},
              {"inh", "iaf_psc_exp", 800},
              {"noise", "poisson_generator", 100},
              {"pattern", "spike_generator", 2},
              {"drive", "dc_generator", 1}};
  for (int i = 0; i < 5; i++) {
    ck_assert_str_eq(hebb_model_population_name(m, i), pops[i].name);
    ck_assert_str_eq(hebb_model_population_model(m, i), pops[i].model);
    ck_assert_uint_eq(hebb_model_population_size(m, i), pops[i].size);
    ck_assert_int_eq(hebb_model_find_population(m, pops[i].name), i);
  }
  ck_assert_int_eq(hebb_model_projection_count(m), 5);
  static const char *const projs[] = {"ee", "inh_to_exc", "drive_to_inh", "noise_to_inh",
                                      "pattern_to_exc"};
  for (int i = 0; i < 5; i++)
    ck_assert_str_eq(hebb_model_projection_name(m, i), projs[i]);
  hebb_model_free(m);
}
END_TEST

/* Defaults: only the required keys; an empty simulation mapping; the base name of a path. */
START_TEST(test_minimal_defaults) {
  static const char y[] = "simulation:\n"
                          "populations: [{name: a, size: 1, model: iaf_psc_delta}]\n"
                          "stimuli: []\n"
                          "record: {spikes: all}\n";
  hebb_model *m = NULL;
  hebb_diag d;
  ck_assert_int_eq(hebb_model_load_string(y, strlen(y), "some/dir/net.yaml", &m, &d), 0);
  ck_assert_str_eq(hebb_model_name(m), "net.yaml");
  ck_assert(hebb_model_dt(m) == 0.1);
  ck_assert(hebb_model_duration(m) == 1000.0);
  ck_assert(hebb_model_seed(m) == 1);
  ck_assert_int_eq(hebb_model_population_count(m), 1);
  ck_assert_int_eq(hebb_model_projection_count(m), 0);
  hebb_model_free(m);
}
END_TEST

typedef struct {
  const char *name;
  const char *yaml;
  int line, col;
  const char *phrase, *phrase2; /* both must be in the line at LINE:COL */
  int count;                    /* the number of problems reported */
} bad_case;

/* Generated together with tests/data/bad/NN_NAME.yaml (same text, one comment line less). */
static const bad_case BAD[] = {
    {"unknown_top_key",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "extras: 1\n",
     7, 1, "unknown key 'extras' in the model file", "expected one of simulation, populations", 1},
    {"unknown_population_key",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "    colour: red\n",
     7, 5, "unknown key 'colour' in population 'exc'", "expected one of name, size, model", 1},
    {"missing_size",
     "simulation: {}\n"
     "populations:\n"
     "  - name: exc\n"
     "    model: iaf_psc_exp\n",
     3, 5, "missing required key 'size' in population 'exc'", "expected size: a positive integer",
     1},
    {"negative_size",
     "simulation: {}\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: -5\n"
     "    model: iaf_psc_exp\n",
     4, 11, "size -5 is negative", "expected a positive integer", 1},
    {"fractional_size",
     "simulation: {}\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 2.5\n"
     "    model: iaf_psc_exp\n",
     4, 11, "size 2.5 is not a whole number", "expected a positive integer", 1},
    {"size_too_large",
     "simulation: {}\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 4294967296\n"
     "    model: iaf_psc_exp\n",
     4, 11, "too large", "at most 4294967295", 1},
    {"unknown_model",
     "simulation: {}\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exq\n",
     5, 12, "unknown neuron model 'iaf_psc_exq'", "did you mean 'iaf_psc_exp'?", 1},
    {"stimulus_model_in_populations",
     "simulation: {}\n"
     "populations:\n"
     "  - name: noise\n"
     "    size: 10\n"
     "    model: poisson_generator\n",
     5, 12, "'poisson_generator' is a stimulus model", "belongs under stimuli", 1},
    {"unknown_parameter",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "    params:\n"
     "      tau_x: 3 ms\n",
     8, 7, "unknown parameter 'tau_x' for model iaf_psc_exp", "C_m, tau_m, tau_syn_ex", 1},
    {"wrong_dimension",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "    params:\n"
     "      V_th: 20 ms\n",
     8, 13, "expected a voltage", "got '20 ms' which is a time", 1},
    {"bad_unit",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "    params:\n"
     "      C_m: 250 pFF\n",
     8, 12, "unknown unit 'pFF'", "invalid C_m", 1},
    {"bad_option_value",
     "simulation: {}\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_cond_exp\n"
     "    params: {integrator: rk4}\n",
     6, 26, "invalid value 'rk4' for option integrator", "expected one of exp_euler, euler", 1},
    {"unknown_rule",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: random\n",
     10, 11, "unknown connection rule 'random'", "fixed_indegree", 1},
    {"p_missing",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: pairwise_bernoulli\n",
     8, 5, "rule pairwise_bernoulli needs 'p'", "expected p:", 1},
    {"indegree_for_bernoulli",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: pairwise_bernoulli\n"
     "    p: 0.1\n"
     "    indegree: 5\n",
     12, 5, "'indegree' is not used by rule pairwise_bernoulli", "expected p instead", 1},
    {"p_out_of_range",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: pairwise_bernoulli\n"
     "    p: 1.5\n",
     11, 8, "not a probability", "between 0 and 1", 1},
    {"unknown_source",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exx\n"
     "    target: exc\n"
     "    rule: all_to_all\n",
     8, 13, "unknown source 'exx'", "did you mean 'exc'?", 1},
    {"target_is_stimulus",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "stimuli:\n"
     "  - name: noise\n"
     "    size: 5\n"
     "    model: poisson_generator\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: noise\n"
     "    rule: all_to_all\n",
     13, 13, "'noise' is a stimulus and cannot be a target", "expected a population name: exc", 1},
    {"duplicate_population",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "  - name: exc\n"
     "    size: 5\n"
     "    model: iaf_psc_delta\n",
     7, 11, "duplicate name 'exc'", "line 4, column 5", 1},
    {"duplicate_key",
     "simulation: {}\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    size: 20\n"
     "    model: iaf_psc_exp\n",
     5, 5, "duplicate key 'size' in population 'exc'", "first given at line 4, column 5", 1},
    {"yaml_syntax",
     "simulation: {}\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "   model: iaf_psc_exp\n",
     5, 4, "YAML syntax error", "line 3, column 3", 1},
    {"tab_indent",
     "simulation:\n"
     "\tdt: 0.1 ms\n",
     2, 1, "YAML syntax error", "tabs", 1},
    {"bad_distribution",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "    initial:\n"
     "      V_m: {distribution: gaussian, mean: -60 mV, std: 5 mV}\n",
     8, 27, "unknown distribution 'gaussian'",
     "expected one of constant, uniform, normal, normal_clipped", 1},
    {"uniform_low_above_high",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "    initial:\n"
     "      V_m: {distribution: uniform, low: -50 mV, high: -60 mV}\n",
     8, 55, "high of V_m (-60) is not above low (-50)", "expected low < high", 1},
    {"spike_times_length",
     "simulation: {}\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "stimuli:\n"
     "  - name: pattern\n"
     "    size: 3\n"
     "    model: spike_generator\n"
     "    spike_times:\n"
     "      - [1 ms, 2 ms]\n"
     "      - []\n",
     11, 7, "spike_times of stimulus 'pattern' has 2 lists but size is 3",
     "one list of times per neuron", 1},
    {"spike_times_not_generator",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "    spike_times: [[1 ms]]\n",
     7, 5, "spike_times is not allowed for model iaf_psc_exp", "spike_generator", 1},
    {"record_bad_state_variable",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "record:\n"
     "  state:\n"
     "    - population: exc\n"
     "      variables: [V_m, V_x]\n",
     10, 24, "unknown state variable 'V_x' for model iaf_psc_exp",
     "expected one of V_m, I_syn_ex, I_syn_in", 1},
    {"record_unknown_population",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "record:\n"
     "  spikes: [exc, ihn]\n",
     8, 17, "unknown population 'ihn' in record.spikes", "expected one of exc", 1},
    {"neuron_index_out_of_range",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "record:\n"
     "  state:\n"
     "    - population: exc\n"
     "      variables: [V_m]\n"
     "      neurons: [0, 10]\n",
     11, 20, "neuron index 10 is too large", "an index from 0 to 9", 1},
    {"bad_bool",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    allow_autapses: maybe\n",
     11, 21, "invalid allow_autapses 'maybe'", "expected true or false", 1},
    {"populations_not_a_list",
     "simulation: {}\n"
     "populations:\n"
     "  name: exc\n",
     3, 3, "populations is a mapping", "expected a list of populations", 1},
    {"missing_simulation",
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n",
     1, 1, "missing required key 'simulation' in the model file", "expected simulation:", 1},
    {"empty_file", "", 1, 1, "empty model file",
     "expected a mapping with simulation and populations", 1},
    {"three_problems",
     "simulation:\n"
     "  dt: 0.1 mV\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 0\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: inh\n"
     "    rule: all_to_all\n",
     2, 7, "invalid dt", "expected a time", 3},
    {"plasticity_unknown_rule",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity:\n"
     "      rule: stdpp\n",
     12, 13, "unknown plasticity rule 'stdpp'", "expected one of stdp", 1},
    {"plasticity_unknown_parameter",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity:\n"
     "      rule: stdp\n"
     "      tau_pluss: 20 ms\n",
     13, 7, "unknown parameter 'tau_pluss' for plasticity rule stdp",
     "expected one of tau_plus, tau_minus, lambda, alpha, mu_plus, mu_minus, Wmax, scheme", 1},
    {"plasticity_wrong_dimension",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_cond_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    weight: 2 nS\n"
     "    plasticity:\n"
     "      rule: stdp\n"
     "      Wmax: 5 ms\n",
     14, 13, "invalid Wmax: expected a conductance", "got '5 ms' which is a time", 1},
    {"plasticity_bad_scheme",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity: {rule: stdp, scheme: nearest}\n",
     11, 38, "invalid value 'nearest' for option scheme of plasticity rule stdp",
     "expected one of all_to_all, nearest_symmetric, nearest_restricted", 1},
    {"plasticity_not_a_mapping",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity: stdp\n",
     11, 17, "plasticity of projection #1 is the scalar 'stdp'",
     "expected a mapping such as {rule: stdp", 1},
    {"plasticity_missing_rule",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - name: ee\n"
     "    source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity: {lambda: 0.01, Wmax: 10 pA}\n",
     12, 17, "missing required key 'rule' in plasticity of projection 'ee'",
     "expected rule: one of stdp", 1},
    {"record_weights_unknown_projection",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "record:\n"
     "  weights:\n"
     "    - projection: exc_to_ecx\n"
     "      every: 10 ms\n",
     13, 19, "unknown projection 'exc_to_ecx' in record.weights", "did you mean 'exc_to_exc'?", 1},
    {"plastic_dc_generator",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "stimuli:\n"
     "  - name: drive\n"
     "    size: 1\n"
     "    model: dc_generator\n"
     "    params: {amplitude: 100 pA}\n"
     "projections:\n"
     "  - source: drive\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    weight: 0.5\n"
     "    plasticity: {rule: stdp, Wmax: 2}\n",
     17, 5, "a dc_generator sends no spikes", "cannot be plastic", 1},
    {"plastic_negative_weight",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    weight: {distribution: normal, mean: 5 pA, std: 1 pA}\n"
     "    plasticity: {rule: stdp, Wmax: 10 pA}\n",
     11, 5, "plastic weights live in [0, Wmax]", "can be negative", 1},
    {"record_weights_every_not_steps",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity: {rule: stdp, Wmax: 10 pA}\n"
     "record:\n"
     "  weights: [{projection: exc_to_exc, every: 0.25 ms}]\n",
     13, 38, "every 0.25 ms must be a whole number of steps", "dt = 0.1 ms", 1},
    {"modulator_unknown_population",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "stimuli:\n"
     "  - name: dopamine\n"
     "    size: 1\n"
     "    model: poisson_generator\n"
     "    params: {rate: 5 Hz}\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity:\n"
     "      rule: stdp_dopamine\n"
     "      modulator: {population: dopamin, delay: 1 ms}\n",
     18, 31, "unknown modulator population 'dopamin' (did you mean 'dopamine'?)",
     "expected a population or stimulus name: exc, dopamine", 1},
    {"modulator_not_three_factor",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "stimuli:\n"
     "  - name: dopamine\n"
     "    size: 1\n"
     "    model: poisson_generator\n"
     "    params: {rate: 5 Hz}\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity:\n"
     "      rule: stdp\n"
     "      Wmax: 20 pA\n"
     "      modulator: {population: dopamine}\n",
     19, 7, "a neuromodulator needs a projection with a three-factor rule", "such as stdp_dopamine",
     1},
    {"rewards_out_of_order",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "stimuli:\n"
     "  - name: dopamine\n"
     "    size: 1\n"
     "    model: poisson_generator\n"
     "    params: {rate: 5 Hz}\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity:\n"
     "      rule: stdp_dopamine\n"
     "      modulator: {population: dopamine}\n"
     "      rewards:\n"
     "        - {at: 1 s, amount: 0.5}\n"
     "        - {at: 3 s}\n"
     "        - {at: 2 s, amount: 0.5}\n",
     22, 16, "reward at 2000 ms comes before the previous one",
     "expected the rewards in time order", 1},
    {"reward_time_not_a_time",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "stimuli:\n"
     "  - name: dopamine\n"
     "    size: 1\n"
     "    model: poisson_generator\n"
     "    params: {rate: 5 Hz}\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity:\n"
     "      rule: stdp_dopamine\n"
     "      rewards: [{at: 1 s}, {at: 2 mV, amount: 0.5}]\n",
     18, 33, "invalid reward time: expected a time", "got '2 mV' which is a voltage", 1},
    {"schedule_switch_missing_learn",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "stimuli:\n"
     "  - name: dopamine\n"
     "    size: 1\n"
     "    model: poisson_generator\n"
     "    params: {rate: 5 Hz}\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity:\n"
     "      rule: stdp_dopamine\n"
     "      modulator: {population: dopamine}\n"
     "      schedule:\n"
     "        switches:\n"
     "          - {at: 0 ms, learn: false}\n"
     "          - {at: 500 ms}\n",
     22, 13, "missing required key 'learn' in switch #2 of the schedule",
     "expected learn: true or false", 1},
    {"schedule_switch_outside_repeat",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "stimuli:\n"
     "  - name: dopamine\n"
     "    size: 1\n"
     "    model: poisson_generator\n"
     "    params: {rate: 5 Hz}\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity:\n"
     "      rule: stdp\n"
     "      scheme: all_to_all\n"
     "      schedule:\n"
     "        switches:\n"
     "          - {at: 0 ms, learn: false}\n"
     "          - {at: 1500 ms, learn: true}\n"
     "        repeat: 1 s\n",
     22, 14, "switch time 1500 ms must lie within the repeat period", "dt = 0.1 ms", 1},
    {"schedule_learn_maybe",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "stimuli:\n"
     "  - name: dopamine\n"
     "    size: 1\n"
     "    model: poisson_generator\n"
     "    params: {rate: 5 Hz}\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity:\n"
     "      rule: stdp_dopamine\n"
     "      modulator: {population: dopamine}\n"
     "      schedule: {switches: [{at: 0 ms, learn: maybe}]}\n",
     19, 47, "invalid learn 'maybe'", "expected true or false", 1},
    {"rewards_not_three_factor",
     "simulation:\n"
     "  dt: 0.1 ms\n"
     "populations:\n"
     "  - name: exc\n"
     "    size: 10\n"
     "    model: iaf_psc_exp\n"
     "stimuli:\n"
     "  - name: dopamine\n"
     "    size: 1\n"
     "    model: poisson_generator\n"
     "    params: {rate: 5 Hz}\n"
     "projections:\n"
     "  - source: exc\n"
     "    target: exc\n"
     "    rule: all_to_all\n"
     "    plasticity:\n"
     "      rule: stdp\n"
     "      rewards: [{at: 1 s, amount: 0.5}]\n",
     18, 7, "rewards need a projection with a three-factor rule", "such as stdp_dopamine", 1},
};

#define NBAD ((int)(sizeof BAD / sizeof BAD[0]))

START_TEST(test_bad_models) {
  const bad_case *c = &BAD[_i];
  hebb_diag d;
  load_bad(c->yaml, &d);
  ck_assert_msg(diag_has(&d, "t.yaml", c->line, c->col, c->phrase),
                "%s: no problem at %d:%d containing \"%s\"; got:\n%s", c->name, c->line, c->col,
                c->phrase, d.text);
  ck_assert_msg(diag_has(&d, "t.yaml", c->line, c->col, c->phrase2),
                "%s: the problem at %d:%d lacks \"%s\"; got:\n%s", c->name, c->line, c->col,
                c->phrase2, d.text);
  ck_assert_msg(d.count == c->count, "%s: %d problems, expected %d:\n%s", c->name, d.count,
                c->count, d.text);
}
END_TEST

/* Three independent problems in one file are all reported, in file order, in one run. */
START_TEST(test_three_problems) {
  static const char y[] = "simulation:\n"
                          "  dt: 0.1 mV\n"
                          "populations:\n"
                          "  - name: exc\n"
                          "    size: 0\n"
                          "    model: iaf_psc_exp\n"
                          "projections:\n"
                          "  - source: exc\n"
                          "    target: inh\n"
                          "    rule: all_to_all\n";
  hebb_diag d;
  load_bad(y, &d);
  ck_assert_int_eq(d.count, 3);
  ASSERT_DIAG(d, 2, 7, "which is a voltage");
  ASSERT_DIAG(d, 5, 11, "size must not be 0");
  ASSERT_DIAG(d, 9, 13, "unknown target 'inh'");
  const char *a = strstr(d.text, ":2:7:"), *b = strstr(d.text, ":5:11:"),
             *c = strstr(d.text, ":9:13:");
  ck_assert(a < b && b < c);
}
END_TEST

/* Problems come out sorted by position even when the sections are in an unusual order (the
 * projections are read after the populations they name). */
START_TEST(test_sorted_by_position) {
  static const char y[] = "projections:\n"
                          "  - {source: nope, target: a, rule: all_to_all}\n"
                          "populations:\n"
                          "  - {name: a, size: 1, model: iaf_psc_exp, bogus: 1}\n"
                          "simulation: {dt: x}\n";
  hebb_diag d;
  load_bad(y, &d);
  ck_assert_int_eq(d.count, 3);
  const char *a = strstr(d.text, "t.yaml:2:14: unknown source 'nope'");
  const char *b = strstr(d.text, "t.yaml:4:44: unknown key 'bogus'");
  const char *c = strstr(d.text, "t.yaml:5:18: invalid dt");
  ck_assert_msg(a && b && c && a < b && b < c, "got:\n%s", d.text);
}
END_TEST

/* More shapes of bad input, each at its own position. */
START_TEST(test_more_problems) {
  static const char y[] = "simulation: {seed: 1.5, threads: 0, dt: [1]}\n"           /* 1 */
                          "populations:\n"                                           /* 2 */
                          "  - name: 9lives\n"                                       /* 3 */
                          "    size: ten\n"                                          /* 4 */
                          "    model: iaf_cond_exp\n"                                /* 5 */
                          "    initial:\n"                                           /* 6 */
                          "      V_m: {distribution: normal, mean: 1 mV}\n"          /* 7 */
                          "      g_ex: {distribution: normal, mean: 1, std: -2}\n"   /* 8 */
                          "      g_in: {distribution: constant, value: 1, low: 0}\n" /* 9 */
                          "  - name: b\n"                                            /* 10 */
                          "    size: 2\n"                                            /* 11 */
                          "    model: iaf_psc_exp\n"                                 /* 12 */
                          "    params: [C_m]\n"                                      /* 13 */
                          "  - just a string\n"                                      /* 14 */
                          "stimuli:\n"                                               /* 15 */
                          "  - {name: s, size: 1, model: iaf_psc_exp}\n"             /* 16 */
                          "projections:\n"                                           /* 17 */
                          "  - {source: b, target: b, rule: all_to_all, p: 0.5, weight: 1 nS,\n"
                          "     receptor: sideways, delay: {distribution: uniform, low: 1 ms}}\n"
                          "  - {name: x, source: b, target: b, rule: one_to_one}\n" /* 20 */
                          "  - {name: x, source: b, target: b, rule: fixed_indegree, indegree: 0}\n"
                          "record:\n"                                                /* 22 */
                          "  spikes: some\n"                                         /* 23 */
                          "  state:\n"                                               /* 24 */
                          "    - {population: b, variables: [], interval: 0.5 V}\n"; /* 25 */
  hebb_diag d;
  load_bad(y, &d);
  ASSERT_DIAG(d, 1, 20, "seed 1.5 is not a whole number");
  ASSERT_DIAG(d, 1, 34, "threads must not be 0");
  ASSERT_DIAG(d, 1, 41, "dt is a sequence; expected a time");
  ASSERT_DIAG(d, 3, 11, "invalid name '9lives'");
  ASSERT_DIAG(d, 4, 11, "invalid size 'ten'; expected a positive integer");
  ASSERT_DIAG(d, 7, 12, "distribution normal of V_m needs 'std'");
  ASSERT_DIAG(d, 8, 50, "std of g_ex is negative");
  ASSERT_DIAG(d, 9, 48, "'low' is not used by distribution constant");
  ASSERT_DIAG(d, 13, 13, "params of population 'b' is a sequence");
  ASSERT_DIAG(d, 14, 5, "population #3 is the scalar 'just a string'; expected a mapping");
  ASSERT_DIAG(d, 16, 31, "'iaf_psc_exp' is a neuron model, not a stimulus");
  ASSERT_DIAG(d, 18, 46, "'p' is not used by rule all_to_all");
  ASSERT_DIAG(d, 18, 62, "expected a current (e.g. 100 pA), got '1 nS'");
  ASSERT_DIAG(d, 19, 16, "unknown receptor 'sideways'");
  ASSERT_DIAG(d, 19, 33, "distribution uniform of delay needs 'high'");
  ASSERT_DIAG(d, 21, 12, "duplicate projection name 'x'");
  ASSERT_DIAG(d, 21, 69, "indegree must not be 0");
  ASSERT_DIAG(d, 23, 11, "invalid spikes 'some'; expected all or a list of names");
  ASSERT_DIAG(d, 25, 34, "variables is empty");
  ASSERT_DIAG(d, 25, 48, "expected a time (e.g. 20 ms), got '0.5 V' which is a voltage");
  ck_assert_int_eq(d.count, 20);
}
END_TEST

/* A plastic projection with weight recording: PLASTIC_FMT with the value of Wmax filled in.
 * The neuron fires every ~7 ms on its own; source 0 spikes every 10 ms, source 1 never. With
 * alpha 0 there is no depression and with lambda 0.5 every pairing is a large step, so the
 * weight of source 0 must end at exactly Wmax (the default Wmax, 100 pA, would not stop it
 * at 12) while that of source 1 stays 1 pA. The projection is unnamed: record.weights uses
 * its default name. */
static const char PLASTIC_FMT[] =
    "simulation: {dt: 0.1 ms, duration: 50 ms, threads: 1}\n"
    "populations:\n"
    "  - {name: post, size: 1, model: iaf_psc_exp, params: {I_e: 1000 pA}}\n"
    "stimuli:\n"
    "  - name: pre\n"
    "    size: 2\n"
    "    model: spike_generator\n"
    "    spike_times: [[5 ms, 15 ms, 25 ms, 35 ms, 45 ms], []]\n"
    "projections:\n"
    "  - source: pre\n"
    "    target: post\n"
    "    rule: all_to_all\n"
    "    weight: 1 pA\n"
    "    plasticity:\n"
    "      rule: stdp\n"
    "      lambda: 0.5\n"
    "      alpha: 0\n"
    "      mu_plus: 0\n"
    "      Wmax: %s\n"
    "      scheme: nearest_symmetric\n"
    "record:\n"
    "  weights:\n"
    "    - {projection: pre_to_post, every: 10 ms}\n";

START_TEST(test_plasticity_and_weight_recording) {
  char y[sizeof PLASTIC_FMT + 32];
  snprintf(y, sizeof y, PLASTIC_FMT, "12 pA");
  hebb_model *m = load_good(y);
  ck_assert_int_eq(hebb_model_projection_count(m), 1);
  ck_assert_str_eq(hebb_model_projection_name(m, 0), "pre_to_post");
  ck_assert_int_eq(hebb_model_find_projection(m, "pre_to_post"), 0);
  hebb_sim_options opt = hebb_sim_options_default();
  opt.threads = 1;
  hebb_sim *s = NULL;
  ck_assert_msg(hebb_sim_new(m, &opt, &s) == 0, "%s", hebb_model_error(m)->message);
  ck_assert_int_eq(hebb_sim_run_until(s, 50.0), 0);
  ck_assert_uint_gt(hebb_sim_population_spikes(s, 0), 3);
  hebb_synapse *w = NULL;
  size_t n = 0;
  ck_assert_int_eq(hebb_sim_take_weights(s, &w, &n), 0);
  ck_assert_uint_eq(n, 10); /* 2 synapses at 10, 20, 30, 40, 50 ms */
  for (size_t i = 0; i < n; i++) {
    ck_assert_uint_eq(w[i].step, (i / 2 + 1) * 100);
    ck_assert_uint_eq(w[i].proj, 0);
    ck_assert_uint_eq(w[i].source, i % 2);
    ck_assert_uint_eq(w[i].target, 0);
    ck_assert(w[i].weight >= 1.0f && w[i].weight <= 12.0f);
  }
  ck_assert(w[8].weight == 12.0f); /* source 0: capped at Wmax */
  ck_assert(w[9].weight == 1.0f);  /* source 1: never paired */
  free(w);
  hebb_sim_free(s);
  hebb_model_free(m);

  /* The same file with Wmax of the wrong dimension, and with a unit-less Wmax (a bare
   * number is in the weight unit, pA here). */
  hebb_diag d;
  snprintf(y, sizeof y, PLASTIC_FMT, "12 mV");
  load_bad(y, &d);
  ck_assert_int_eq(d.count, 1);
  ck_assert(diag_has(&d, "t.yaml", 19, 13, "expected a current (e.g. 100 pA), got '12 mV'"));
  snprintf(y, sizeof y, PLASTIC_FMT, "12");
  m = load_good(y);
  hebb_model_free(m);
}
END_TEST

/* Several problems in plasticity mappings and weight recordings, all reported in one run;
 * a dc_generator source makes Wmax a plain number. */
START_TEST(test_plasticity_problems) {
  static const char y[] =
      "simulation: {dt: 0.1 ms}\n"                                /* 1 */
      "populations: [{name: a, size: 5, model: iaf_psc_delta}]\n" /* 2 */
      "stimuli: [{name: d, size: 1, model: dc_generator}]\n"      /* 3 */
      "projections:\n"                                            /* 4 */
      "  - {source: a, target: a, rule: all_to_all, plasticity: {rule: stdp, Wmx: 3,\n"
      "     tau_plus: 5 mV, scheme: [all_to_all], Wmax: 5 nS, lambda: 1, lambda: 2}}\n"
      "  - {name: p2, source: d, target: a, rule: all_to_all, plasticity: {rule: stdp,\n"
      "     Wmax: 5 mV, rule: stdp}}\n"                                              /* 8 */
      "  - {name: p3, source: a, target: a, rule: all_to_all, plasticity: [stdp]}\n" /* 9 */
      "record:\n"                                                                    /* 10 */
      "  weights:\n"                                                                 /* 11 */
      "    - {projection: p2, every: 0 ms}\n"                                        /* 12 */
      "    - {projection: a_to_a, every: 1 ms}\n"                                    /* 13 */
      "    - {projection: p3, every: 1 ms, interval: 1 ms}\n"                        /* 14 */
      "    - {projection: a_to_a, every: 2 ms}\n"                                    /* 15 */
      "    - {every: 1 ms}\n"                                                        /* 16 */
      "    - {projection: nope, every: 1 V}\n";                                      /* 17 */
  hebb_diag d;
  load_bad(y, &d);
  ASSERT_DIAG(d, 5, 71, "unknown parameter 'Wmx' for plasticity rule stdp (did you mean 'Wmax'?)");
  ASSERT_DIAG(d, 6, 16, "expected a time (e.g. 20 ms), got '5 mV' which is a voltage");
  ASSERT_DIAG(d, 6, 30, "option scheme is a sequence; expected all_to_all, nearest_symmetric");
  ASSERT_DIAG(d, 6, 50, "expected a voltage (e.g. -65 mV), got '5 nS' which is a conductance");
  ASSERT_DIAG(d, 6, 67, "duplicate parameter 'lambda'");
  ASSERT_DIAG(d, 8, 12, "'5 mV' has a unit but a dimensionless number was expected");
  ASSERT_DIAG(d, 8, 18, "duplicate key 'rule' in plasticity of projection 'p2'");
  ASSERT_DIAG(d, 9, 68, "plasticity of projection 'p3' is a sequence; expected a mapping");
  ASSERT_DIAG(d, 12, 31, "every must be positive");
  ASSERT_DIAG(d, 14, 37, "unknown key 'interval' in weight record #3");
  ASSERT_DIAG(d, 15, 20, "projection 'a_to_a' is listed twice in record.weights");
  ASSERT_DIAG(d, 16, 7, "missing required key 'projection' in weight record #5");
  ASSERT_DIAG(d, 17, 20, "unknown projection 'nope' in record.weights");
  ASSERT_DIAG(d, 17, 33, "invalid every: expected a time");
  ck_assert_int_eq(d.count, 14);
}
END_TEST

/* Builder failures of plasticity land at the key the builder names: the projection's weight,
 * its plasticity key; a weight recording at its every; the other entries are still tried. */
START_TEST(test_semantic_plasticity_fields) {
  static const char y[] =
      "simulation: {dt: 0.1 ms}\n"                               /* 1 */
      "populations: [{name: a, size: 5, model: iaf_psc_exp},\n"  /* 2 */
      "              {name: c, size: 5, model: iaf_cond_exp}]\n" /* 3 */
      "stimuli: [{name: d, size: 1, model: dc_generator}]\n"     /* 4 */
      "projections:\n"                                           /* 5 */
      "  - {source: a, target: a, rule: all_to_all, weight: -1 pA, plasticity: {rule: stdp}}\n"
      "  - {source: d, target: a, rule: all_to_all, plasticity: {rule: stdp, Wmax: 3}}\n"
      "  - {source: a, target: c, rule: all_to_all, weight: -1 nS, plasticity: {rule: stdp}}\n"
      "  - {source: c, target: a, rule: all_to_all, weight: {distribution: normal_clipped,\n"
      "     mean: 2 pA, std: 1 pA, low: 0 pA}, plasticity: {rule: stdp, Wmax: 4 pA}}\n"
      "record:\n" /* 11 */
      "  weights: [{projection: a_to_c, every: 0.05 ms}, {projection: c_to_a, every: 1 ms}]\n";
  hebb_diag d;
  load_bad(y, &d);
  ASSERT_DIAG(d, 6, 46, "plastic weights live in [0, Wmax]");
  ASSERT_DIAG(d, 7, 46, "a dc_generator sends no spikes");
  ASSERT_DIAG(d, 12, 34, "every 0.05 ms must be a whole number of steps");
  ck_assert_int_eq(d.count, 3); /* a negative conductance may learn: its magnitude does */
}
END_TEST

/* A three-factor rule with all three reserved plasticity keys: REWARD_FMT with the schedule
 * filled in. The target spikes once per drive spike (5000 pA arriving at 10.1 ms and 45.1 ms);
 * pre spikes at 5 ms reach the synapse at 6 ms, so the eligibility is c = A_plus exp(-(t_post
 * - 6 ms) / tau_plus), decaying with tau_c. The concentration is zero until the reward of 2
 * at 20 ms; the dopamine spike of 25 ms acts at 26 ms and brings the synapse up to date, so
 * the weight then holds the integral of c n from 20 to 26 ms (docs/model-format.md):
 * w = 10 + c(20) n0 tau_s (1 - exp(-6 ms / tau_s)), n0 = 2 / tau_n, 1/tau_s = 1/tau_c +
 * 1/tau_n. With a schedule that freezes the weights from 40 ms on, the weight at 50 ms is the
 * weight at 40 ms (every synapse is brought up to the switch; the second pairing and the
 * reward at 48 ms only move the eligibility), below that of the run without a schedule.
 * With learn: false throughout it never moves. */
static const char REWARD_FMT[] =
    "simulation: {dt: 0.1 ms, duration: 50 ms, threads: 1}\n"
    "populations:\n"
    "  - {name: post, size: 1, model: iaf_psc_exp}\n"
    "stimuli:\n"
    "  - {name: pre, size: 1, model: spike_generator, spike_times: [[5 ms, 42 ms]]}\n"
    "  - {name: drive, size: 1, model: spike_generator, spike_times: [[10 ms, 45 ms]]}\n"
    "  - {name: dopamine, size: 1, model: spike_generator, spike_times: [[25 ms]]}\n"
    "projections:\n"
    "  - {source: drive, target: post, rule: all_to_all, weight: 5000 pA, delay: 0.1 ms}\n"
    "  - name: plastic\n"
    "    source: pre\n"
    "    target: post\n"
    "    rule: all_to_all\n"
    "    weight: 10 pA\n"
    "    delay: 1 ms\n"
    "    plasticity:\n"
    "      rule: stdp_dopamine\n"
    "      tau_c: 100 ms\n"
    "      modulator: {population: dopamine, delay: 1 ms}\n"
    "      rewards: [{at: 20 ms, amount: 2}, {at: 48 ms}]\n"
    "      schedule: %s\n"
    "record:\n"
    "  spikes: [post]\n";

/* The weight of the one synapse of projection PROJ now. */
static double weight_now(const hebb_sim *s, int proj) {
  hebb_synapse *syn = NULL;
  size_t n = 0;
  ck_assert_int_eq(hebb_sim_synapses(s, proj, &syn, &n), 0);
  ck_assert_uint_eq(n, 1);
  double w = syn[0].weight;
  free(syn);
  return w;
}

START_TEST(test_reward_modulated_plasticity) {
  char y[sizeof REWARD_FMT + 128];
  /* an empty schedule is no schedule */
  snprintf(y, sizeof y, REWARD_FMT, "{switches: []}");
  hebb_model *m = load_good(y);
  int proj = hebb_model_find_projection(m, "plastic");
  ck_assert_int_eq(proj, 1);
  hebb_sim_options opt = hebb_sim_options_default();
  opt.threads = 1;
  hebb_sim *s = NULL;
  ck_assert_msg(hebb_sim_new(m, &opt, &s) == 0, "%s", hebb_model_error(m)->message);
  ck_assert_int_eq(hebb_sim_run_until(s, 19.0), 0);
  ck_assert(weight_now(s, proj) == 10.0); /* paired, but no dopamine yet */
  ck_assert_int_eq(hebb_sim_run_until(s, 21.0), 0);
  ck_assert(weight_now(s, proj) == 10.0); /* the reward acts from 20 ms on */
  ck_assert_int_eq(hebb_sim_run_until(s, 27.0), 0);
  double w = weight_now(s, proj);
  hebb_spike *sp = NULL;
  size_t nsp = 0;
  ck_assert_int_eq(hebb_sim_take_spikes(s, &sp, &nsp), 0);
  ck_assert_uint_eq(nsp, 1);
  double t_post = (double)sp[0].step * 0.1;
  free(sp);
  ck_assert(t_post > 10.0 && t_post < 13.0);
  double tau_s = 1.0 / (1.0 / 100.0 + 1.0 / 200.0);
  double c20 = exp(-(t_post - 6.0) / 20.0) * exp(-(20.0 - t_post) / 100.0);
  double expect = 10.0 + c20 * (2.0 / 200.0) * tau_s * -expm1(-6.0 / tau_s);
  ck_assert_msg(fabs(w - expect) < 1e-5, "weight %.7f after the reward, expected %.7f", w, expect);
  /* the second pairing (pre at 43 ms, post at ~46 ms) and the reward at 48 ms are learnt */
  ck_assert_int_eq(hebb_sim_run_until(s, 50.0), 0);
  ck_assert_uint_eq(hebb_sim_population_spikes(s, 0), 2);
  ck_assert_msg(weight_now(s, proj) > w + 1e-3, "%.7f at 50 ms, %.7f at 27 ms", weight_now(s, proj),
                w);
  double w_free = weight_now(s, proj);
  hebb_sim_free(s);
  hebb_model_free(m);

  /* frozen from 40 ms: the weight of 40 ms stays */
  snprintf(y, sizeof y, REWARD_FMT, "{switches: [{at: 40 ms, learn: false}]}");
  m = load_good(y);
  ck_assert_msg(hebb_sim_new(m, &opt, &s) == 0, "%s", hebb_model_error(m)->message);
  ck_assert_int_eq(hebb_sim_run_until(s, 40.0), 0);
  double w40 = weight_now(s, proj);
  ck_assert_int_eq(hebb_sim_run_until(s, 50.0), 0);
  ck_assert_msg(weight_now(s, proj) == w40 && w40 < w_free && w40 > 10.0,
                "%.7f at 50 ms, %.7f at 40 ms, %.7f without the schedule", weight_now(s, proj), w40,
                w_free);
  hebb_sim_free(s);
  hebb_model_free(m);

  /* frozen throughout: never moves */
  snprintf(y, sizeof y, REWARD_FMT, "{switches: [{at: 0 ms, learn: false}]}");
  m = load_good(y);
  ck_assert_msg(hebb_sim_new(m, &opt, &s) == 0, "%s", hebb_model_error(m)->message);
  ck_assert_int_eq(hebb_sim_run_until(s, 50.0), 0);
  ck_assert(weight_now(s, proj) == 10.0);
  hebb_sim_free(s);
  hebb_model_free(m);
}
END_TEST

/* The default modulator delay is the network's smallest synaptic delay (here the lowest
 * value of a uniform delay), which the engine accepts; a shorter one is refused when the
 * network is built. */
START_TEST(test_modulator_default_delay) {
  static const char fmt[] =
      "simulation: {dt: 0.1 ms, duration: 10 ms, threads: 1}\n"
      "populations: [{name: a, size: 2, model: iaf_psc_exp}]\n"
      "stimuli: [{name: da, size: 1, model: poisson_generator, params: {rate: 100 Hz}},\n"
      "          {name: dc, size: 1, model: dc_generator}]\n"
      "projections:\n"
      "  - {source: dc, target: a, rule: all_to_all, delay: 0.1 ms}\n"
      "  - {source: a, target: a, rule: all_to_all, delay: {distribution: uniform, low: 1.5 ms,\n"
      "     high: 3 ms}, plasticity: {rule: stdp_dopamine, modulator: {population: da%s}}}\n";
  char y[sizeof fmt + 32];
  hebb_sim_options opt = hebb_sim_options_default();
  opt.threads = 1;
  const char *delays[] = {"", ", delay: 1.5 ms", ", delay: 1.4 ms"};
  for (int i = 0; i < 3; i++) {
    snprintf(y, sizeof y, fmt, delays[i]);
    hebb_model *m = load_good(y);
    hebb_sim *s = NULL;
    int rc = hebb_sim_new(m, &opt, &s);
    if (i < 2) {
      ck_assert_msg(rc == 0, "%s: %s", delays[i], hebb_model_error(m)->message);
      ck_assert_int_eq(hebb_sim_run_until(s, 10.0), 0);
    } else {
      ck_assert_int_ne(rc, 0);
      ck_assert_ptr_null(s);
      ck_assert_ptr_nonnull(strstr(hebb_model_error(m)->message, "smallest synaptic delay"));
    }
    hebb_sim_free(s);
    hebb_model_free(m);
  }
}
END_TEST

/* Problems in the reserved plasticity keys found while reading, all in one run. */
START_TEST(test_reward_problems) {
  static const char y[] =
      "simulation: {dt: 0.1 ms}\n"                                    /* 1 */
      "populations: [{name: post, size: 1, model: iaf_psc_exp}]\n"    /* 2 */
      "stimuli: [{name: dopa, size: 1, model: poisson_generator}]\n"  /* 3 */
      "projections:\n"                                                /* 4 */
      "  - source: dopa\n"                                            /* 5 */
      "    target: post\n"                                            /* 6 */
      "    rule: all_to_all\n"                                        /* 7 */
      "    plasticity:\n"                                             /* 8 */
      "      rule: stdp_dopamine\n"                                   /* 9 */
      "      modulator: {population: dopaa, delay: 1 mV, extra: 1}\n" /* 10 */
      "      rewards: [{at: 40 ms, amount: 2 pA}, {at: 30 ms}, {at: soon}, {amount: 1}, 5]\n"
      "      schedule: {switches: [{at: 0 ms, learn: maybe}, {learn: true}], repeat: 1 V}\n"
      "      reward: 1\n"                                                        /* 13 */
      "      modulator: {population: dopa}\n"                                    /* 14 */
      "  - {name: p2, source: dopa, target: post, rule: all_to_all,\n"           /* 15 */
      "     plasticity: {rule: stdp, schedule: {switches: {at: 0}, repet: 1},\n" /* 16 */
      "                  rewards: {at: 1}, modulator: dopa}}\n"                  /* 17 */
      "  - {name: p3, source: dopa, target: post, rule: all_to_all,\n"           /* 18 */
      "     plasticity: {rule: stdp_dopamine, rewards: [{at: 20}, {at: 10}, {at: 30}, {at: 30}],\n"
      "                  schedule: {repeat: 1 s}, modulator: {delay: 1 ms}}}\n"; /* 20 */
  hebb_diag d;
  load_bad(y, &d);
  ASSERT_DIAG(d, 10, 31, "unknown modulator population 'dopaa' (did you mean 'dopa'?)");
  ASSERT_DIAG(d, 10, 45, "invalid modulator delay: expected a time");
  ASSERT_DIAG(d, 10, 51, "unknown key 'extra' in the modulator of projection #1");
  ASSERT_DIAG(d, 11, 37, "invalid reward amount: '2 pA' has a unit");
  ASSERT_DIAG(d, 11, 62, "invalid reward time");
  ASSERT_DIAG(d, 11, 69, "missing required key 'at' in reward #4 of projection #1");
  ASSERT_DIAG(d, 11, 82, "reward #5 of projection #1 is the scalar '5'; expected a mapping");
  ASSERT_DIAG(d, 12, 47, "invalid learn 'maybe'; expected true or false");
  ASSERT_DIAG(d, 12, 55, "missing required key 'at' in switch #2 of the schedule of projection");
  ASSERT_DIAG(d, 12, 79, "invalid repeat: expected a time");
  ASSERT_DIAG(d, 13, 7,
              "unknown parameter 'reward' for plasticity rule stdp_dopamine (did you "
              "mean 'rewards'?)");
  ASSERT_DIAG(d, 14, 7, "duplicate key 'modulator' in plasticity of projection #1");
  ASSERT_DIAG(d, 16, 52, "switches is a mapping; expected a list");
  ASSERT_DIAG(d, 16, 61,
              "unknown key 'repet' in the schedule of projection 'p2' (did you mean "
              "'repeat'?)");
  ASSERT_DIAG(d, 17, 28, "rewards is a mapping; expected a list");
  ASSERT_DIAG(d, 17, 48, "the modulator of projection 'p2' is the scalar 'dopa'");
  ASSERT_DIAG(d, 19, 65, "reward at 10 ms comes before the previous one (20 ms, line 19)");
  ASSERT_DIAG(d, 20, 29, "missing required key 'switches' in the schedule of projection 'p3'");
  ASSERT_DIAG(d, 20, 55, "missing required key 'population' in the modulator of projection 'p3'");
  ck_assert_int_eq(d.count, 19); /* the two rewards at 30 ms are in order */
}
END_TEST

/* Builder failures of the reserved plasticity keys land at the key the builder names: the
 * modulator's population or delay, a reward's at, the switch at fault or the schedule's
 * repeat; the modulator or rewards key itself for a rule without a modulator. */
START_TEST(test_semantic_reward_fields) {
  static const char y[] =
      "simulation: {dt: 0.1 ms}\n"                                                /* 1 */
      "populations: [{name: post, size: 1, model: iaf_psc_exp}]\n"                /* 2 */
      "stimuli: [{name: dopa, size: 1, model: poisson_generator},\n"              /* 3 */
      "          {name: dc, size: 1, model: dc_generator}]\n"                     /* 4 */
      "projections:\n"                                                            /* 5 */
      "  - source: dopa\n"                                                        /* 6 */
      "    target: post\n"                                                        /* 7 */
      "    rule: all_to_all\n"                                                    /* 8 */
      "    plasticity:\n"                                                         /* 9 */
      "      rule: stdp_dopamine\n"                                               /* 10 */
      "      modulator: {population: dc, delay: 0.05 ms}\n"                       /* 11 */
      "      rewards: [{at: 40 ms, amount: 2}, {at: 40.05 ms}, {at: 41 ms}]\n"    /* 12 */
      "      schedule:\n"                                                         /* 13 */
      "        switches: [{at: 0 ms, learn: true}, {at: 700 ms, learn: false},\n" /* 14 */
      "                   {at: 600 ms, learn: true}]\n"                           /* 15 */
      "        repeat: 1 s\n"                                                     /* 16 */
      "  - name: p2\n"                                                            /* 17 */
      "    source: dopa\n"                                                        /* 18 */
      "    target: post\n"                                                        /* 19 */
      "    rule: all_to_all\n"                                                    /* 20 */
      "    plasticity:\n"                                                         /* 21 */
      "      rule: stdp\n"                                                        /* 22 */
      "      schedule: {switches: [{at: 0 ms, learn: true}, {at: 1.2 s, learn: false}],\n"
      "                 repeat: 1 s}\n"                                /* 24 */
      "      rewards: [{at: 1 ms}, {at: 2 ms}]\n"                      /* 25 */
      "      modulator: {population: dopa}\n"                          /* 26 */
      "  - {name: p3, source: dopa, target: post, rule: all_to_all,\n" /* 27 */
      "     plasticity: {rule: stdp_dopamine, modulator: {population: dopa, delay: 0.05 ms},\n"
      "                  schedule: {switches: [], repeat: 0.25 ms}}}\n"; /* 29 */
  hebb_diag d;
  load_bad(y, &d);
  ASSERT_DIAG(d, 11, 19, "'dc' is a dc_generator, which sends no spikes");
  ASSERT_DIAG(d, 12, 42, "a reward at 40.05 ms of 1: the time must be a whole number of steps");
  ASSERT_DIAG(d, 15, 21, "switch time 600 ms must come after the previous switch");
  ASSERT_DIAG(d, 23, 55, "switch time 1200 ms must lie within the repeat period");
  ASSERT_DIAG(d, 25, 7, "rewards need a projection with a three-factor rule");
  ASSERT_DIAG(d, 26, 7, "a neuromodulator needs a projection with a three-factor rule");
  ASSERT_DIAG(d, 28, 70, "modulator delay 0.05 ms must be at least one step");
  ASSERT_DIAG(d, 29, 44, "repeat 0.25 ms must be a whole number of steps");
  ck_assert_int_eq(d.count, 8); /* one problem for both rewards of p2 */
}
END_TEST

/* A projection whose source is unknown has no known name: a weight recording that may refer
 * to it is not reported as a second problem. */
START_TEST(test_weights_unknown_source_no_cascade) {
  static const char y[] = "simulation: {}\n"
                          "populations: [{name: a, size: 5, model: iaf_psc_exp}]\n"
                          "projections:\n"
                          "  - {source: b, target: a, rule: all_to_all,\n"
                          "     plasticity: {rule: stdp, Wmax: 3 pA}}\n"
                          "record:\n"
                          "  weights: [{projection: b_to_a, every: 1 ms}]\n";
  hebb_diag d;
  load_bad(y, &d);
  ck_assert_int_eq(d.count, 1);
  ASSERT_DIAG(d, 4, 14, "unknown source 'b'");
}
END_TEST

/* A document whose top level is not a mapping, a second document, and YAML null. */
START_TEST(test_document_shapes) {
  hebb_diag d;
  load_bad("- a\n- b\n", &d);
  ASSERT_DIAG(d, 1, 1, "the model file is a sequence; expected a mapping");
  load_bad("# only a comment\n", &d);
  ASSERT_DIAG(d, 1, 1, "empty model file; expected a mapping with simulation and populations");
  load_bad("~\n", &d);
  ASSERT_DIAG(d, 1, 1, "empty model file");
  load_bad("simulation: {}\npopulations: [{name: a, size: 1, model: iaf_psc_exp}]\n---\nx: 1\n",
           &d);
  ASSERT_DIAG(d, 3, 1, "a second YAML document starts here");
  load_bad("simulation: {}\npopulations: []\n", &d);
  ASSERT_DIAG(d, 2, 14, "populations is empty; expected at least one population");
  load_bad("simulation: {}\npopulations:\n", &d);
  ASSERT_DIAG(d, 2, 13, "populations is an empty value; expected a list of populations");
  load_bad("simulation: {}\npopulations: [{name: a, size: 1, model: iaf_psc_exp}]\nrecord: *x\n",
           &d);
  ASSERT_DIAG(d, 3, 9, "YAML syntax error: found undefined alias");
  load_bad("simulation:\n  dt: \"\xff\"\n", &d);
  ASSERT_DIAG(d, 2, 8, "YAML syntax error: invalid leading UTF-8 octet");
}
END_TEST

/* A builder failure is reported at the key the builder names, inside the entry at fault. */
START_TEST(test_semantic_delay_below_dt) {
  static const char y[] = "simulation:\n"
                          "  dt: 0.1 ms\n"
                          "populations:\n"
                          "  - name: exc\n"
                          "    size: 10\n"
                          "    model: iaf_psc_exp\n"
                          "projections:\n"
                          "  - source: exc\n"
                          "    target: exc\n"
                          "    rule: all_to_all\n"
                          "    delay: 0.05 ms\n"
                          "  - source: exc\n"
                          "    target: exc\n"
                          "    name: second\n"
                          "    rule: one_to_one\n"
                          "    delay: {distribution: normal, mean: 2 ms, std: 0.1 ms}\n";
  hebb_diag d;
  load_bad(y, &d);
  ck_assert_int_eq(d.count, 2); /* both projections fail, both are reported */
  ASSERT_DIAG(d, 11, 5, "");
  ASSERT_DIAG(d, 16, 5, "");
}
END_TEST

START_TEST(test_semantic_indegree_without_multapses) {
  static const char y[] = "simulation: {}\n"
                          "populations:\n"
                          "  - name: exc\n"
                          "    size: 10\n"
                          "    model: iaf_psc_exp\n"
                          "projections:\n"
                          "  - source: exc\n"
                          "    target: exc\n"
                          "    rule: fixed_indegree\n"
                          "    allow_multapses: false\n"
                          "    indegree: 20\n";
  hebb_diag d;
  load_bad(y, &d);
  ck_assert_int_eq(d.count, 1);
  ASSERT_DIAG(d, 11, 5, "");
}
END_TEST

/* Other builder checks: threads beyond the builder's limit, a recording interval that is
 * not a whole number of steps, a spike time before the first step (pointing at that
 * neuron's list), a parameter the builder rejects. */
START_TEST(test_semantic_other_fields) {
  static const char y[] = "simulation: {threads: 100000}\n"
                          "populations:\n"
                          "  - name: exc\n"
                          "    size: 10\n"
                          "    model: iaf_psc_exp\n"
                          "stimuli:\n"
                          "  - name: sg\n"
                          "    size: 2\n"
                          "    model: spike_generator\n"
                          "    spike_times: [[1 ms], [0 ms]]\n"
                          "record:\n"
                          "  state: [{population: exc, variables: [V_m], interval: 0.15 ms}]\n";
  hebb_diag d;
  load_bad(y, &d);
  ck_assert_int_eq(d.count, 3);
  ASSERT_DIAG(d, 1, 14, "threads");
  ASSERT_DIAG(d, 10, 27, "");
  ASSERT_DIAG(d, 12, 47, "interval");
}
END_TEST

/* A population the builder rejects (the engine holds at most 2^32 - 2 neurons in all) is
 * reported once, at its size; the projections that use it are not tried (one of them has a
 * bad delay too), so they add no noise. */
START_TEST(test_semantic_failed_population_stops_dependents) {
  static const char y[] = "simulation: {}\n"
                          "populations:\n"
                          "  - name: a\n"
                          "    size: 4294967295\n"
                          "    model: iaf_psc_exp\n"
                          "  - name: b\n"
                          "    size: 10\n"
                          "    model: iaf_psc_exp\n"
                          "projections:\n"
                          "  - {source: a, target: b, rule: all_to_all}\n"
                          "  - {source: b, target: a, rule: all_to_all, delay: 0.01 ms}\n"
                          "record:\n"
                          "  spikes: all\n"
                          "  state: [{population: b, variables: [V_m]}]\n";
  hebb_diag d;
  load_bad(y, &d);
  ck_assert_int_eq(d.count, 1);
  ASSERT_DIAG(d, 4, 5, ""); /* a is refused; b is added, but nothing that uses a */
}
END_TEST

/* Names longer than the engine keeps are refused in the first pass, with their position. */
START_TEST(test_name_too_long) {
  static const char y[] =
      "simulation: {}\n"
      "populations:\n"
      "  - name: a_very_long_population_name_that_the_engine_would_not_accept_at_all\n"
      "    size: 10\n"
      "    model: iaf_psc_exp\n";
  hebb_diag d;
  load_bad(y, &d);
  ck_assert_int_eq(d.count, 1);
  ASSERT_DIAG(d, 3, 11, "is 67 characters long; expected at most 63");
}
END_TEST

/* More problems than the text holds: it ends with "... and N more problems" and count has
 * them all. */
START_TEST(test_truncation) {
  enum { N = 400 };
  size_t cap = 64 + N * 40;
  char *y = malloc(cap);
  ck_assert_ptr_nonnull(y);
  size_t len = (size_t)snprintf(y, cap, "simulation: {}\npopulations:\n");
  for (int i = 0; i < N; i++)
    len += (size_t)snprintf(y + len, cap - len, "  - {name: p%d, size: -1, model: x}\n", i);
  hebb_diag d;
  load_bad(y, &d);
  ck_assert_int_eq(d.count, 2 * N);
  ck_assert(strlen(d.text) < sizeof d.text);
  const char *last = strstr(d.text, "... and ");
  ck_assert_ptr_nonnull(last);
  ck_assert(strstr(last, " more problems\n") != NULL);
  ck_assert(last[strlen(last) - 1] == '\n' && strchr(last, '\n') == last + strlen(last) - 1);
  ck_assert(diag_has(&d, "t.yaml", 3, 22, "size -1 is negative"));
  /* The lines shown plus the N in the trailer add up to the count. */
  int shown = 0;
  for (const char *p = d.text; p < last; p++)
    shown += *p == '\n';
  ck_assert_int_eq(shown + atoi(last + 8), d.count);
  free(y);
}
END_TEST

START_TEST(test_io_errors_and_arguments) {
  hebb_model *m = (hebb_model *)&m;
  hebb_diag d;
  ck_assert_int_eq(hebb_model_load("/nonexistent/dir/net.yaml", &m, &d), HEBB_EIO);
  ck_assert_ptr_null(m);
  ck_assert_int_eq(d.count, 1);
  ck_assert_str_eq(d.text, "/nonexistent/dir/net.yaml: cannot open: No such file or directory\n");
  ck_assert_int_eq(hebb_model_load_string("x", 1, "n", NULL, &d), HEBB_EINVAL);
  ck_assert_int_eq(hebb_model_load_string(NULL, 3, "n", &m, &d), HEBB_EINVAL);
  /* No diag wanted: still fails cleanly. */
  ck_assert_int_eq(hebb_model_load_string("a: [", 4, NULL, &m, NULL), HEBB_EPARSE);
  ck_assert_ptr_null(m);
  /* No name: "<string>". */
  ck_assert_int_eq(hebb_model_load_string("", 0, NULL, &m, &d), HEBB_EPARSE);
  ck_assert(strncmp(d.text, "<string>:1:1: empty model file", 30) == 0);
}
END_TEST

/* hebb_model_load reads a real file the same way. */
START_TEST(test_load_file) {
  char path[64];
  FILE *f = NULL;
  for (int attempt = 0; attempt < 100 && f == NULL; attempt++) {
    snprintf(path, sizeof path, "/tmp/hebb_test_model_%06d.yaml", rand() % 1000000);
    f = fopen(path, "wx");
  }
  ck_assert_ptr_nonnull(f);
  fputs(GOOD, f);
  fclose(f);
  hebb_model *m = NULL;
  hebb_diag d;
  int rc = hebb_model_load(path, &m, &d);
  remove(path);
  ck_assert_msg(rc == 0, "%s", d.text);
  ck_assert_int_eq(hebb_model_population_count(m), 5);
  ck_assert_str_eq(hebb_model_name(m), strrchr(path, '/') + 1);
  hebb_model_free(m);
}
END_TEST

/* A SuperSpike model whose population 'out' has the target TARGET (a flow mapping). */
static const char TARGET_MODEL[] =
    "simulation: {dt: 0.1 ms, seed: 3}\n"
    "populations:\n"
    "  - name: out\n"
    "    size: 3\n"
    "    model: iaf_psc_exp\n"
    "    params: {tau_syn_ex: 5 ms, tau_syn_in: 5 ms, E_L: -60 mV, V_reset: -60 mV, V_th: -50 mV}\n"
    "    target: %s\n" /* line 7; {file: X, ...} puts X at column 20 */
    "stimuli:\n"
    "  - {name: inp, size: 20, model: poisson_generator, params: {rate: 20 Hz, period: 100 ms}}\n"
    "projections:\n"
    "  - {name: learn, source: inp, target: out, rule: all_to_all, delay: 0.1 ms,\n"
    "     weight: {distribution: normal, mean: 100 pA, std: 100 pA},\n"
    "     plasticity: {rule: superspike, eta: 20 pA, Wmax: 300 pA, period: 100 ms}}\n";

/* Writes TEXT to DIR/NAME. */
static void write_file(const char *dir, const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

/* Loads TARGET_MODEL with TARGET as if it were the file DIR/t.yaml; returns the rc and the
 * model in *M, the problems in *D. */
static int load_target_model(const char *dir, const char *target, hebb_model **m, hebb_diag *d) {
  char yaml[2048], name[512];
  snprintf(yaml, sizeof yaml, TARGET_MODEL, target);
  snprintf(name, sizeof name, "%s/t.yaml", dir);
  return hebb_model_load_string(yaml, strlen(yaml), name, m, d);
}

/* The weights of 'learn' after 1 s (ten target periods) of training with TARGET. */
static float *train_with_target(const char *dir, const char *target, size_t *n) {
  hebb_model *m = NULL;
  hebb_diag d;
  ck_assert_msg(load_target_model(dir, target, &m, &d) == 0, "%s", d.text);
  hebb_sim_options o = hebb_sim_options_default();
  o.threads = 1;
  o.pin = false;
  hebb_sim *sim = NULL;
  ck_assert_int_eq(hebb_sim_new(m, &o, &sim), 0);
  ck_assert_int_eq(hebb_sim_run_until(sim, 1000.0), 0);
  hebb_synapse *syn = NULL;
  ck_assert_int_eq(hebb_sim_synapses(sim, 0, &syn, n), 0);
  float *w = calloc(*n, sizeof *w);
  for (size_t i = 0; i < *n; i++)
    w[i] = syn[i].weight;
  free(syn);
  hebb_sim_free(sim);
  hebb_model_free(m);
  return w;
}

/* target: {file: PATH, period: T} reads the target spike trains from a file (relative to the
 * model file's directory) in the format of hebb vanrossum's target files: it trains exactly
 * as the same trains given inline, and differently from an empty target. Every bad line is
 * reported as FILE:LINE at the file: value, in line order; a missing file at the same place. */
START_TEST(test_target_file) {
  char dir[] = "/tmp/hebb_test_target_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  write_file(dir, "target.tsv",
             "# three neurons; neuron 1 has no line\n"
             "2\t80\n"
             "out\t0\t20.5\n"
             "other\t1\t40   # another population's: skipped\n"
             "\n"
             "0 60ms\n"
             "2\t30\n");
  write_file(dir, "bad.tsv",
             "0\t20\n"
             "0\t20\t1\t2\n"   /* 2: four fields */
             "3\t20\n"         /* 3: neuron 3 of 3 */
             "1\t100.5\n"      /* 4: after the period */
             "out\t-1\t20\n"); /* 5: not an index */
  size_t nf, ni, ne;
  float *wf = train_with_target(dir, "{file: target.tsv, period: 100 ms}", &nf);
  float *wi = train_with_target(
      dir, "{period: 100 ms, spike_times: [[20.5 ms, 60 ms], [], [30 ms, 80 ms]]}", &ni);
  float *we = train_with_target(dir, "{period: 100 ms, spike_times: [[], [], []]}", &ne);
  ck_assert_uint_eq(nf, 60);
  ck_assert_uint_eq(ni, nf);
  ck_assert_uint_eq(ne, nf);
  ck_assert_mem_eq(wf, wi, nf * sizeof *wf);
  size_t differ = 0;
  for (size_t i = 0; i < nf; i++)
    differ += wf[i] != we[i];
  ck_assert_uint_gt(differ, 0);
  free(wf);
  free(wi);
  free(we);

  hebb_model *m = (hebb_model *)&m;
  hebb_diag d;
  char name[512], phrase[600];
  snprintf(name, sizeof name, "%s/t.yaml", dir);
  ck_assert_int_eq(load_target_model(dir, "{file: bad.tsv, period: 100 ms}", &m, &d), HEBB_EPARSE);
  ck_assert_ptr_null(m);
  ck_assert_int_eq(d.count, 4);
  const char *want[] = {"bad.tsv:2: 4 fields; expected 'index<TAB>time_ms'",
                        "bad.tsv:3: neuron index 3 is out of range; expected 0 to 2",
                        "bad.tsv:4: target spike time 100.5 ms is outside the period",
                        "bad.tsv:5: neuron index '-1'"};
  const char *prev = d.text;
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    snprintf(phrase, sizeof phrase, "%s/%s", dir, want[k]);
    ck_assert_msg(diag_has(&d, name, 7, 20, phrase), "no '%s' at 7:20 in:\n%s", phrase, d.text);
    const char *at = strstr(d.text, phrase);
    ck_assert_ptr_nonnull(at);
    ck_assert(at > prev); /* in line order */
    prev = at;
  }
  ck_assert_int_eq(load_target_model(dir, "{file: nope.tsv, period: 100 ms}", &m, &d), HEBB_EPARSE);
  snprintf(phrase, sizeof phrase, "cannot open target file '%s/nope.tsv'", dir);
  ck_assert_msg(diag_has(&d, name, 7, 20, phrase), "%s", d.text);
  ck_assert_int_eq(d.count, 1);

  char path[600];
  snprintf(path, sizeof path, "%s/target.tsv", dir);
  remove(path);
  snprintf(path, sizeof path, "%s/bad.tsv", dir);
  remove(path);
  remove(dir); /* empty by now: remove() takes a directory too */
}
END_TEST

/* The data directory: HEBB_TEST_DATA_DIR, else $HEBB_SOURCE_DIR/tests/data (meson sets
 * HEBB_SOURCE_DIR), else the compile-time HEBB_TEST_DATA_DIR; NULL when none is known. */
static const char *data_dir(char *buf, size_t cap) {
  const char *dir = getenv("HEBB_TEST_DATA_DIR");
  const char *src = getenv("HEBB_SOURCE_DIR");
  if (dir == NULL && src != NULL) {
    snprintf(buf, cap, "%s/tests/data", src);
    dir = buf;
  }
#ifdef HEBB_TEST_DATA_DIR
  if (dir == NULL)
    dir = HEBB_TEST_DATA_DIR;
#endif
  return dir;
}

/* Every tests/data/bad file fails with its "# expect: LINE:COLUMN: phrase"; every
 * tests/data/good file loads. */
START_TEST(test_data_files) {
  char dirbuf[512];
  const char *dir = data_dir(dirbuf, sizeof dirbuf);
  if (dir == NULL)
    return; /* not configured: the inline copies above still run */
  char path[1024];
  snprintf(path, sizeof path, "%s/bad", dir);
  DIR *dp = opendir(path);
  ck_assert_msg(dp != NULL, "cannot open %s", path);
  int nbad = 0;
  struct dirent *e;
  while ((e = readdir(dp)) != NULL) {
    size_t nl = strlen(e->d_name);
    if (nl < 5 || strcmp(e->d_name + nl - 5, ".yaml") != 0)
      continue;
    snprintf(path, sizeof path, "%s/bad/%s", dir, e->d_name);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char first[512] = "";
    ck_assert_ptr_nonnull(fgets(first, sizeof first, f));
    fclose(f);
    int line, col, off = 0;
    ck_assert_msg(sscanf(first, "# expect: %d:%d: %n", &line, &col, &off) == 2 && off > 0,
                  "%s: bad expect line", path);
    char *phrase = first + off;
    phrase[strcspn(phrase, "\n")] = '\0';
    hebb_model *m = NULL;
    hebb_diag d;
    ck_assert_int_eq(hebb_model_load(path, &m, &d), HEBB_EPARSE);
    ck_assert_ptr_null(m);
    ck_assert_msg(diag_has(&d, path, line, col, phrase), "%s: expected %d:%d: %s; got:\n%s", path,
                  line, col, phrase, d.text);
    nbad++;
  }
  closedir(dp);
  ck_assert_int_ge(nbad, 12);

  snprintf(path, sizeof path, "%s/good", dir);
  dp = opendir(path);
  ck_assert_msg(dp != NULL, "cannot open %s", path);
  while ((e = readdir(dp)) != NULL) {
    size_t nl = strlen(e->d_name);
    if (nl < 5 || strcmp(e->d_name + nl - 5, ".yaml") != 0)
      continue;
    snprintf(path, sizeof path, "%s/good/%s", dir, e->d_name);
    hebb_model *m = NULL;
    hebb_diag d;
    ck_assert_msg(hebb_model_load(path, &m, &d) == 0, "%s:\n%s", path, d.text);
    hebb_model_free(m);
  }
  closedir(dp);
}
END_TEST

static Suite *model_yaml_suite(void) {
  Suite *s = suite_create("model_yaml");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_good_round_trip);
  tcase_add_test(tc, test_minimal_defaults);
  tcase_add_loop_test(tc, test_bad_models, 0, NBAD);
  tcase_add_test(tc, test_three_problems);
  tcase_add_test(tc, test_sorted_by_position);
  tcase_add_test(tc, test_more_problems);
  tcase_add_test(tc, test_document_shapes);
  tcase_add_test(tc, test_plasticity_and_weight_recording);
  tcase_add_test(tc, test_plasticity_problems);
  tcase_add_test(tc, test_semantic_plasticity_fields);
  tcase_add_test(tc, test_weights_unknown_source_no_cascade);
  tcase_add_test(tc, test_reward_modulated_plasticity);
  tcase_add_test(tc, test_modulator_default_delay);
  tcase_add_test(tc, test_reward_problems);
  tcase_add_test(tc, test_semantic_reward_fields);
  tcase_add_test(tc, test_semantic_delay_below_dt);
  tcase_add_test(tc, test_semantic_indegree_without_multapses);
  tcase_add_test(tc, test_semantic_other_fields);
  tcase_add_test(tc, test_semantic_failed_population_stops_dependents);
  tcase_add_test(tc, test_name_too_long);
  tcase_add_test(tc, test_truncation);
  tcase_add_test(tc, test_io_errors_and_arguments);
  tcase_add_test(tc, test_load_file);
  tcase_add_test(tc, test_target_file);
  tcase_add_test(tc, test_data_files);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(model_yaml_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

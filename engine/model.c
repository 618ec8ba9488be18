/* model.c - the hebb_model builder: checks each piece of a network description as it is
 * added, so that a bad value is reported against the call (and, through the model-file
 * reader, the line) that gave it. See model.h. */
#include "model.h"

#include <xxhash.h>

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const error_messages[] = {
#define HEBB__ERR_MSG(name, msg) msg,
    HEBB_ERRNO_MAP(HEBB__ERR_MSG)
#undef HEBB__ERR_MSG
};

const char *hebb_strerror(int err) {
  if (err == 0)
    return "success";
  if (err < 0 && -err <= HEBB__E_COUNT)
    return error_messages[-err - 1];
  return "unknown error";
}

int hebb__model_fail(const hebb_model *cm, int code, const char *field, const char *fmt, ...) {
  /* The error slot is the one mutable part of a const model: builders and sim_new report
   * through it. Only the owning thread calls this. */
  hebb_model *m = (hebb_model *)cm;
  snprintf(m->err.field, sizeof m->err.field, "%s", field ? field : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m->err.message, sizeof m->err.message, fmt, ap);
  va_end(ap);
  return code;
}

uint32_t hebb__delay_steps(double delay_ms, double dt) {
  return (uint32_t)llround(delay_ms / dt);
}

hebb_dist hebb_dist_const(double value) {
  hebb_dist d = {HEBB_DIST_CONSTANT, value, 0.0, -INFINITY, INFINITY};
  return d;
}

hebb_projection_spec hebb_projection_spec_default(void) {
  hebb_projection_spec s;
  memset(&s, 0, sizeof s);
  s.rule = HEBB_CONN_ALL_TO_ALL;
  s.allow_autapses = true;
  s.allow_multapses = true;
  s.weight = hebb_dist_const(1.0);
  s.delay_ms = hebb_dist_const(1.0);
  s.receptor = HEBB_RECEPTOR_AUTO;
  return s;
}

hebb_model *hebb_model_new(void) {
  hebb_model *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->dt = 0.1;
  m->duration = 1000.0;
  m->seed = 1;
  snprintf(m->name, sizeof m->name, "model");
  return m;
}

void hebb_model_free(hebb_model *m) {
  if (!m)
    return;
  for (int i = 0; i < m->npops; i++) {
    hebb_pop *p = &m->pops[i];
    if (p->target_times) {
      for (uint32_t j = 0; j < p->size; j++)
        free(p->target_times[j]);
      free(p->target_times);
      free(p->n_target_times);
    }
    if (p->spike_times) {
      for (uint32_t j = 0; j < p->size; j++)
        free(p->spike_times[j]);
      free(p->spike_times);
      free(p->n_spike_times);
    }
  }
  for (int i = 0; i < m->nrecs; i++)
    free(m->recs[i].indices);
  for (int i = 0; i < m->nprojs; i++) {
    free(m->projs[i].switch_step);
    free(m->projs[i].switch_learn);
    free(m->projs[i].reward_ms);
    free(m->projs[i].reward_amount);
  }
  free(m->pops);
  free(m->projs);
  free(m->recs);
  free(m->fbs);
  free(m);
}

const hebb_error_info *hebb_model_error(const hebb_model *m) {
  return &m->err;
}

int hebb_model_set_dt(hebb_model *m, double dt_ms) {
  if (!(dt_ms > 0) || !isfinite(dt_ms))
    return hebb__model_fail(m, HEBB_ERANGE, "dt", "dt must be a positive time, got %g ms", dt_ms);
  /* delays, spike times and recorder intervals were checked against the old dt */
  bool spike_times = false;
  for (int i = 0; i < m->npops; i++)
    spike_times |= m->pops[i].spike_times != NULL || m->pops[i].target_times != NULL;
  if (m->nprojs > 0 || m->nrecs > 0 || spike_times)
    return hebb__model_fail(m, HEBB_ESTATE, "dt",
                            "dt must be set before projections, recorders and spike "
                            "generators are added");
  m->dt = dt_ms;
  return 0;
}

int hebb_model_set_duration(hebb_model *m, double duration_ms) {
  if (!(duration_ms >= 0) || !isfinite(duration_ms))
    return hebb__model_fail(m, HEBB_ERANGE, "duration",
                            "duration must be a non-negative time, got %g ms", duration_ms);
  m->duration = duration_ms;
  return 0;
}

int hebb_model_set_seed(hebb_model *m, uint64_t seed) {
  m->seed = seed;
  return 0;
}

int hebb_model_set_threads(hebb_model *m, int threads) {
  if (threads < 0 || threads > 4096)
    return hebb__model_fail(m, HEBB_ERANGE, "threads", "threads must be 0 to 4096, got %d",
                            threads);
  m->threads = threads;
  return 0;
}

double hebb_model_dt(const hebb_model *m) {
  return m->dt;
}
double hebb_model_duration(const hebb_model *m) {
  return m->duration;
}
uint64_t hebb_model_seed(const hebb_model *m) {
  return m->seed;
}
int hebb_model_threads(const hebb_model *m) {
  return m->threads;
}

int hebb_model_set_name(hebb_model *m, const char *name) {
  snprintf(m->name, sizeof m->name, "%s", name ? name : "");
  return 0;
}

const char *hebb_model_name(const hebb_model *m) {
  return m->name;
}

/* Names are identifiers so that they can stand unquoted in reports and file formats. */
static bool valid_name(const char *s) {
  if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
    return false;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_'))
      return false;
  return true;
}

size_t hebb_neuron_model_count(void) {
  return HEBB_NM_COUNT;
}

const char *hebb_neuron_model_name(size_t i) {
  return i < HEBB_NM_COUNT ? hebb_nm_get((hebb_nm_kind)i)->name : NULL;
}

const char *hebb_neuron_model_param(const char *model, size_t i, const char **unit,
                                    double *default_value) {
  const hebb_nm_desc *d = hebb_nm_find(model);
  if (!d || i >= d->nparams)
    return NULL;
  if (unit)
    *unit = d->params[i].unit;
  if (default_value)
    *default_value = d->params[i].value;
  return d->params[i].name;
}

const char *hebb_neuron_model_state(const char *model, size_t i, const char **unit) {
  const hebb_nm_desc *d = hebb_nm_find(model);
  if (!d || i >= d->nstates)
    return NULL;
  if (unit)
    *unit = d->states[i].unit;
  return d->states[i].name;
}

const char *hebb_neuron_model_option(const char *model, size_t i, const char **allowed) {
  const hebb_nm_desc *d = hebb_nm_find(model);
  if (!d || i >= d->noptions)
    return NULL;
  if (allowed)
    *allowed = d->options[i].allowed;
  return d->options[i].name;
}

const char *hebb_neuron_model_weight_unit(const char *model) {
  const hebb_nm_desc *d = hebb_nm_find(model);
  return d ? d->weight_unit : NULL;
}

bool hebb_neuron_model_is_stimulus(const char *model) {
  const hebb_nm_desc *d = hebb_nm_find(model);
  return d && d->stimulus;
}

int hebb_model_find_population(const hebb_model *m, const char *name) {
  for (int i = 0; i < m->npops; i++)
    if (strcmp(m->pops[i].name, name) == 0)
      return i;
  return -1;
}

int hebb_model_add_population(hebb_model *m, const char *name, const char *model, uint32_t size,
                              int *pop_id) {
  if (!valid_name(name) || strlen(name) >= sizeof m->pops[0].name)
    return hebb__model_fail(m, HEBB_EINVAL, "name",
                            "population name '%s' must be an identifier of at most 63 characters",
                            name ? name : "");
  if (hebb_model_find_population(m, name) >= 0)
    return hebb__model_fail(m, HEBB_EINVAL, "name", "population '%s' is defined twice", name);
  const hebb_nm_desc *d = hebb_nm_find(model);
  if (!d)
    return hebb__model_fail(m, HEBB_ENOENT, "model", "unknown neuron model '%s'",
                            model ? model : "");
  if (size == 0)
    return hebb__model_fail(m, HEBB_ERANGE, "size", "population '%s' must have at least one neuron",
                            name);
  if (m->total_neurons + size > UINT32_MAX - 1)
    return hebb__model_fail(m, HEBB_ERANGE, "size", "more than 2^32 - 2 neurons in all");
  hebb_pop *np = realloc(m->pops, (size_t)(m->npops + 1) * sizeof *np);
  if (!np)
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  m->pops = np;
  hebb_pop *p = &m->pops[m->npops];
  memset(p, 0, sizeof *p);
  memcpy(p->name, name, strlen(name) + 1); /* length checked above */
  p->desc = d;
  p->size = size;
  p->gid0 = (uint32_t)m->total_neurons;
  for (size_t i = 0; i < d->nparams; i++)
    p->params[i] = d->params[i].value;
  for (size_t i = 0; i < d->nstates; i++)
    p->initial[i] = hebb_dist_const(d->states[i].value); /* NAN: E_L, resolved at build */
  if (d->kind == HEBB_NM_SPIKE_GENERATOR) {
    p->spike_times = calloc(size, sizeof *p->spike_times);
    p->n_spike_times = calloc(size, sizeof *p->n_spike_times);
    if (!p->spike_times || !p->n_spike_times) {
      free(p->spike_times);
      free(p->n_spike_times);
      return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
    }
  }
  m->total_neurons += size;
  if (pop_id)
    *pop_id = m->npops;
  m->npops++;
  return 0;
}

int hebb_model_population_count(const hebb_model *m) {
  return m->npops;
}

static bool bad_pop(const hebb_model *m, int pop) {
  return pop < 0 || pop >= m->npops;
}

const char *hebb_model_population_name(const hebb_model *m, int pop) {
  return bad_pop(m, pop) ? NULL : m->pops[pop].name;
}

const char *hebb_model_population_model(const hebb_model *m, int pop) {
  return bad_pop(m, pop) ? NULL : m->pops[pop].desc->name;
}

uint32_t hebb_model_population_size(const hebb_model *m, int pop) {
  return bad_pop(m, pop) ? 0 : m->pops[pop].size;
}

/* Lists the names of a table for "expected one of" messages. */
static void list_names(const hebb_nm_entry *e, size_t n, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && used < len; i++)
    used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", e[i].name);
}

int hebb_model_set_param(hebb_model *m, int pop, const char *name, double value) {
  if (bad_pop(m, pop))
    return hebb__model_fail(m, HEBB_EINVAL, "", "no population %d", pop);
  hebb_pop *p = &m->pops[pop];
  int i = hebb_nm_param_index(p->desc, name);
  if (i < 0) {
    char names[256];
    list_names(p->desc->params, p->desc->nparams, names, sizeof names);
    return hebb__model_fail(m, HEBB_ENOENT, name, "%s has no parameter '%s'; expected one of: %s",
                            p->desc->name, name, names[0] ? names : "(none)");
  }
  if (isnan(value))
    return hebb__model_fail(m, HEBB_ERANGE, name, "%s must be a number", name);
  p->params[i] = value;
  return 0;
}

int hebb_model_set_option(hebb_model *m, int pop, const char *name, const char *value) {
  if (bad_pop(m, pop))
    return hebb__model_fail(m, HEBB_EINVAL, "", "no population %d", pop);
  hebb_pop *p = &m->pops[pop];
  int i = hebb_nm_option_index(p->desc, name);
  if (i < 0)
    return hebb__model_fail(m, HEBB_ENOENT, name, "%s has no option '%s'", p->desc->name, name);
  int v = hebb_nm_option_value(p->desc, i, value);
  if (v < 0)
    return hebb__model_fail(m, HEBB_EINVAL, name, "%s must be one of %s, got '%s'", name,
                            p->desc->options[i].allowed, value);
  p->options[i] = v;
  return 0;
}

/* Checks the shape of a distribution; 0 or an error naming FIELD. */
static int check_dist(const hebb_model *m, const char *field, hebb_dist d) {
  bool ok = true;
  switch (d.kind) {
  case HEBB_DIST_CONSTANT:
    ok = isfinite(d.a);
    break;
  case HEBB_DIST_UNIFORM:
    ok = isfinite(d.a) && isfinite(d.b) && d.a < d.b;
    break;
  case HEBB_DIST_NORMAL:
    ok = isfinite(d.a) && isfinite(d.b) && d.b >= 0;
    break;
  case HEBB_DIST_NORMAL_CLIPPED:
    ok = isfinite(d.a) && isfinite(d.b) && d.b >= 0 && d.lo < d.hi &&
         /* the clipped range must have mass, or the redraw loop would not end */
         (d.b > 0 ? (d.hi > d.a - 8 * d.b && d.lo < d.a + 8 * d.b) : (d.lo <= d.a && d.a <= d.hi));
    break;
  default:
    ok = false;
  }
  if (!ok)
    return hebb__model_fail(m, HEBB_ERANGE, field,
                            "%s: bad distribution (finite values, low < high, std >= 0, and a "
                            "clipped range that holds values)",
                            field);
  return 0;
}

int hebb_model_set_initial(hebb_model *m, int pop, const char *var, hebb_dist value) {
  if (bad_pop(m, pop))
    return hebb__model_fail(m, HEBB_EINVAL, "", "no population %d", pop);
  hebb_pop *p = &m->pops[pop];
  int i = hebb_nm_state_index(p->desc, var);
  if (i < 0) {
    char names[256];
    list_names(p->desc->states, p->desc->nstates, names, sizeof names);
    return hebb__model_fail(m, HEBB_ENOENT, var,
                            "%s has no state variable '%s'; expected one of: %s", p->desc->name,
                            var, names[0] ? names : "(none)");
  }
  int rc = check_dist(m, var, value);
  if (rc)
    return rc;
  p->initial[i] = value;
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int hebb_model_set_spike_times(hebb_model *m, int pop, uint32_t index, const double *times_ms,
                               size_t n) {
  if (bad_pop(m, pop))
    return hebb__model_fail(m, HEBB_EINVAL, "", "no population %d", pop);
  hebb_pop *p = &m->pops[pop];
  if (p->desc->kind != HEBB_NM_SPIKE_GENERATOR)
    return hebb__model_fail(m, HEBB_EINVAL, "spike_times", "'%s' is not a spike_generator",
                            p->name);
  if (index >= p->size)
    return hebb__model_fail(m, HEBB_ERANGE, "spike_times", "neuron %u is beyond '%s' (size %u)",
                            index, p->name, p->size);
  for (size_t i = 0; i < n; i++)
    if (!isfinite(times_ms[i]) || times_ms[i] < m->dt * 0.5)
      return hebb__model_fail(m, HEBB_ERANGE, "spike_times",
                              "spike time %g ms of neuron %u is not a finite time of at least "
                              "one step (dt = %g ms)",
                              times_ms[i], index, m->dt);
  double *t = n ? malloc(n * sizeof *t) : NULL;
  if (n && !t)
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  if (n)
    memcpy(t, times_ms, n * sizeof *t);
  if (n)
    qsort(t, n, sizeof *t, cmp_double);
  free(p->spike_times[index]);
  p->spike_times[index] = t;
  p->n_spike_times[index] = n;
  return 0;
}

int hebb_model_set_target(hebb_model *m, int pop, uint32_t index, const double *times_ms, size_t n,
                          double period_ms) {
  if (bad_pop(m, pop))
    return hebb__model_fail(m, HEBB_EINVAL, "", "no population %d", pop);
  hebb_pop *p = &m->pops[pop];
  if (p->desc->stimulus)
    return hebb__model_fail(m, HEBB_EINVAL, "target",
                            "'%s' is a stimulus; a target belongs to a population of neurons",
                            p->name);
  if (index >= p->size)
    return hebb__model_fail(m, HEBB_ERANGE, "target", "neuron %u is beyond '%s' (size %u)", index,
                            p->name, p->size);
  double steps = period_ms / m->dt;
  if (!(steps >= 1 - 1e-9) || fabs(steps - llround(steps)) > 1e-6 * steps ||
      (p->target_times && period_ms != p->target_period_ms))
    return hebb__model_fail(m, HEBB_ERANGE, "period",
                            "the target's period %g ms must be a whole number of steps (dt = %g "
                            "ms), the same for every neuron",
                            period_ms, m->dt);
  for (size_t i = 0; i < n; i++)
    if (!isfinite(times_ms[i]) || times_ms[i] < m->dt * 0.5 ||
        times_ms[i] > period_ms + m->dt * 0.5)
      return hebb__model_fail(m, HEBB_ERANGE, "spike_times",
                              "target spike time %g ms of neuron %u is not within one step and "
                              "the period (%g ms)",
                              times_ms[i], index, period_ms);
  if (!p->target_times) {
    p->target_times = calloc(p->size, sizeof *p->target_times);
    p->n_target_times = calloc(p->size, sizeof *p->n_target_times);
    if (!p->target_times || !p->n_target_times)
      return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  }
  double *t = n ? malloc(n * sizeof *t) : NULL;
  if (n && !t)
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  if (n) {
    memcpy(t, times_ms, n * sizeof *t);
    qsort(t, n, sizeof *t, cmp_double);
  }
  free(p->target_times[index]);
  p->target_times[index] = t;
  p->n_target_times[index] = n;
  p->target_period_ms = period_ms;
  return 0;
}

/* The smallest and largest delay in steps that a delay distribution can give. */
static int delay_range(const hebb_model *m, hebb_dist d, uint32_t *lo, uint32_t *hi) {
  double a, b;
  switch (d.kind) {
  case HEBB_DIST_CONSTANT:
    a = b = d.a;
    break;
  case HEBB_DIST_UNIFORM:
    a = d.a;
    b = d.b;
    break;
  case HEBB_DIST_NORMAL_CLIPPED:
    a = d.lo;
    b = d.hi;
    if (!isfinite(a) || !isfinite(b))
      return hebb__model_fail(m, HEBB_ERANGE, "delay",
                              "a normal_clipped delay needs finite low and high bounds");
    break;
  default:
    return hebb__model_fail(m, HEBB_ERANGE, "delay",
                            "a normal delay can fall below dt; use normal_clipped with low >= dt");
  }
  if (a < m->dt * (1 - 1e-9))
    return hebb__model_fail(m, HEBB_ERANGE, "delay",
                            "delay %g ms is shorter than dt = %g ms; expected at least one step", a,
                            m->dt);
  if (b / m->dt > 65535)
    return hebb__model_fail(m, HEBB_ERANGE, "delay",
                            "delay %g ms exceeds 65535 steps of dt = %g ms", b, m->dt);
  *lo = hebb__delay_steps(a, m->dt);
  *hi = hebb__delay_steps(b, m->dt);
  if (*lo < 1)
    *lo = 1;
  return 0;
}

int hebb_model_add_projection(hebb_model *m, const hebb_projection_spec *spec, int *proj_id) {
  if (bad_pop(m, spec->source))
    return hebb__model_fail(m, HEBB_EINVAL, "source", "no source population %d", spec->source);
  if (bad_pop(m, spec->target))
    return hebb__model_fail(m, HEBB_EINVAL, "target", "no target population %d", spec->target);
  const hebb_pop *src = &m->pops[spec->source], *tgt = &m->pops[spec->target];
  if (tgt->desc->stimulus)
    return hebb__model_fail(
        m, HEBB_EINVAL, "target",
        "target '%s' is a %s, which takes no input; expected a neuron population", tgt->name,
        tgt->desc->name);
  char name[160];
  if (spec->name)
    snprintf(name, sizeof name, "%s", spec->name);
  else
    snprintf(name, sizeof name, "%s_to_%s", src->name, tgt->name);
  if (strlen(name) >= sizeof m->projs[0].name)
    return hebb__model_fail(
        m, HEBB_EINVAL, "name",
        "projection name '%s' is longer than 63 characters; give it a name:", name);
  if (!valid_name(name))
    return hebb__model_fail(m, HEBB_EINVAL, "name", "projection name '%s' must be an identifier",
                            name);
  for (int i = 0; i < m->nprojs; i++)
    if (strcmp(m->projs[i].name, name) == 0)
      return hebb__model_fail(m, HEBB_EINVAL, "name",
                              "projection '%s' is defined twice (give each a distinct name:)",
                              name);
  for (int i = 0; i < m->nfbs; i++)
    if (strcmp(m->fbs[i].name, name) == 0)
      return hebb__model_fail(m, HEBB_EINVAL, "name",
                              "'%s' already names a feedback (give each a distinct name:)", name);
  if (m->nprojs >= 0xffff)
    return hebb__model_fail(m, HEBB_ERANGE, "", "more than 65535 projections");
  uint64_t ns = src->size, nt = tgt->size;
  switch (spec->rule) {
  case HEBB_CONN_ALL_TO_ALL:
    break;
  case HEBB_CONN_ONE_TO_ONE:
    if (ns != nt)
      return hebb__model_fail(m, HEBB_EINVAL, "rule",
                              "one_to_one needs populations of equal size, got %s (%u) and %s (%u)",
                              src->name, src->size, tgt->name, tgt->size);
    break;
  case HEBB_CONN_PAIRWISE_BERNOULLI:
    if (!(spec->p >= 0 && spec->p <= 1))
      return hebb__model_fail(m, HEBB_ERANGE, "p", "p must be a probability in [0, 1], got %g",
                              spec->p);
    break;
  case HEBB_CONN_FIXED_INDEGREE:
    if (!spec->allow_multapses &&
        spec->n > ns - (spec->source == spec->target && !spec->allow_autapses ? 1 : 0))
      return hebb__model_fail(m, HEBB_ERANGE, "indegree",
                              "indegree %llu exceeds the %llu possible sources of '%s' without "
                              "multapses",
                              (unsigned long long)spec->n, (unsigned long long)ns, src->name);
    if (spec->source == spec->target && !spec->allow_autapses && ns < 2 && spec->n > 0)
      return hebb__model_fail(m, HEBB_ERANGE, "indegree",
                              "no source other than the target itself without autapses");
    break;
  case HEBB_CONN_FIXED_OUTDEGREE:
    if (!spec->allow_multapses &&
        spec->n > nt - (spec->source == spec->target && !spec->allow_autapses ? 1 : 0))
      return hebb__model_fail(m, HEBB_ERANGE, "outdegree",
                              "outdegree %llu exceeds the %llu possible targets in '%s' without "
                              "multapses",
                              (unsigned long long)spec->n, (unsigned long long)nt, tgt->name);
    if (spec->source == spec->target && !spec->allow_autapses && nt < 2 && spec->n > 0)
      return hebb__model_fail(m, HEBB_ERANGE, "outdegree",
                              "no target other than the source itself without autapses");
    break;
  case HEBB_CONN_FIXED_TOTAL_NUMBER:
    if (!spec->allow_multapses)
      return hebb__model_fail(m, HEBB_EINVAL, "allow_multapses",
                              "fixed_total_number draws pairs independently; it needs "
                              "allow_multapses: true");
    if (spec->source == spec->target && !spec->allow_autapses && ns < 2 && spec->n > 0)
      return hebb__model_fail(m, HEBB_ERANGE, "N",
                              "no pair other than autapses in a population of one");
    break;
  default:
    return hebb__model_fail(m, HEBB_EINVAL, "rule", "unknown connection rule %d", spec->rule);
  }
  int rc = check_dist(m, "weight", spec->weight);
  if (rc)
    return rc;
  rc = check_dist(m, "delay", spec->delay_ms);
  if (rc)
    return rc;
  uint32_t dlo = 0, dhi = 0;
  rc = delay_range(m, spec->delay_ms, &dlo, &dhi);
  if (rc)
    return rc;
  bool inhibitory;
  switch (spec->receptor) {
  case HEBB_RECEPTOR_EXCITATORY:
    inhibitory = false;
    break;
  case HEBB_RECEPTOR_INHIBITORY:
    inhibitory = true;
    break;
  default: /* by the sign of the weight's mean (a is the low end of a uniform) */
    inhibitory = (spec->weight.kind == HEBB_DIST_UNIFORM ? 0.5 * (spec->weight.a + spec->weight.b)
                                                         : spec->weight.a) < 0;
  }
  hebb_proj *np = realloc(m->projs, (size_t)(m->nprojs + 1) * sizeof *np);
  if (!np)
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  m->projs = np;
  hebb_proj *p = &m->projs[m->nprojs];
  memset(p, 0, sizeof *p);
  memcpy(p->name, name, strlen(name) + 1); /* length checked above */
  p->spec = *spec;
  p->spec.name = NULL; /* the name lives in p->name; pointers into a realloc'd array would dangle */
  p->mod_pop = -1;
  p->critic_pre = p->critic_post = -1;
  p->delay_min_steps = dlo;
  p->delay_max_steps = dhi;
  p->inhibitory = inhibitory;
  if (proj_id)
    *proj_id = m->nprojs;
  m->nprojs++;
  return 0;
}

int hebb_model_projection_count(const hebb_model *m) {
  return m->nprojs;
}

int hebb_model_find_projection(const hebb_model *m, const char *name) {
  for (int i = 0; i < m->nprojs && name; i++)
    if (strcmp(m->projs[i].name, name) == 0)
      return i;
  return -1;
}

static bool bad_proj(const hebb_model *m, int proj) {
  return proj < 0 || proj >= m->nprojs;
}

int hebb__model_set_rule(hebb_model *m, int proj, const hebb_rule *r) {
  if (bad_proj(m, proj))
    return hebb__model_fail(m, HEBB_EINVAL, "", "no projection %d", proj);
  hebb_proj *p = &m->projs[proj];
  if (!r || r->abi != HEBB_RULE_ABI)
    return hebb__model_fail(m, HEBB_EINVAL, "rule",
                            "rule '%s' was built for plasticity interface version %u; this Hebb "
                            "has version %u (rebuild the rule against this hebb)",
                            r && r->name ? r->name : "?", r ? r->abi : 0, HEBB_RULE_ABI);
  if (r->nparams > HEBB_RULE_MAX_PARAMS || r->noptions > HEBB_RULE_MAX_OPTIONS ||
      r->nsyn > HEBB_RULE_MAX_SYN || r->npre > HEBB_RULE_MAX_TRACES ||
      r->npost > HEBB_RULE_MAX_TRACES || r->npre_state > HEBB_RULE_MAX_STATE ||
      r->npost_state > HEBB_RULE_MAX_STATE || !r->on_pre || !r->on_post)
    return hebb__model_fail(m, HEBB_EINVAL, "rule",
                            "rule '%s' declares more than this Hebb supports (%d parameters, %d "
                            "options, %d synapse variables, %d traces and %d neuron variables "
                            "per side) or lacks a hook",
                            r->name, HEBB_RULE_MAX_PARAMS, HEBB_RULE_MAX_OPTIONS, HEBB_RULE_MAX_SYN,
                            HEBB_RULE_MAX_TRACES, HEBB_RULE_MAX_STATE);
  const hebb_pop *src = &m->pops[p->spec.source];
  if (src->desc->kind == HEBB_NM_DC_GENERATOR)
    return hebb__model_fail(m, HEBB_EINVAL, "plasticity",
                            "a dc_generator sends no spikes; its projection cannot be plastic");
  bool cond = m->pops[p->spec.target].desc->kind == HEBB_NM_IAF_COND_EXP;
  const hebb_dist *w = &p->spec.weight;
  double wlo = w->kind == HEBB_DIST_CONSTANT || w->kind == HEBB_DIST_UNIFORM ? w->a
               : w->kind == HEBB_DIST_NORMAL_CLIPPED                         ? w->lo
                                                                             : -INFINITY;
  if (!cond && wlo < 0 && !(r->flags & HEBB_RULE_SIGNED))
    return hebb__model_fail(m, HEBB_EINVAL, "weight",
                            "plastic weights live in [0, Wmax]: the weight of '%s' can be "
                            "negative (a normal weight needs normal_clipped with low >= 0)",
                            p->name);
  p->rule = r;
  for (uint32_t i = 0; i < r->nparams; i++)
    p->rule_params[i] = r->params[i].value;
  memset(p->rule_opts, 0, sizeof p->rule_opts);
  return 0;
}

int hebb_model_set_plasticity_param(hebb_model *m, int proj, const char *name, double value) {
  if (bad_proj(m, proj) || !m->projs[proj].rule)
    return hebb__model_fail(m, HEBB_ESTATE, "plasticity", "projection %d has no rule", proj);
  hebb_proj *p = &m->projs[proj];
  const hebb_rule *r = p->rule;
  for (uint32_t i = 0; i < r->nparams; i++)
    if (strcmp(r->params[i].name, name) == 0) {
      if (!isfinite(value))
        return hebb__model_fail(m, HEBB_ERANGE, name, "%s must be a finite number", name);
      /* Values that only make sense together (Wmin <= Wmax) may pass through a refused state
       * while they are set one by one, so the verdict waits for hebb_model_check_plasticity
       * (or hebb_sim_new); it names the parameter whose setting last left the values
       * refused. */
      p->rule_params[i] = value;
      char err[256];
      if (r->check && r->check(p->rule_params, p->rule_opts, err, sizeof err))
        snprintf(p->rule_bad_field, sizeof p->rule_bad_field, "%s", name);
      else
        p->rule_bad_field[0] = 0;
      return 0;
    }
  char names[512];
  size_t used = 0;
  names[0] = 0;
  for (uint32_t i = 0; i < r->nparams && used < sizeof names; i++)
    used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                             r->params[i].name);
  return hebb__model_fail(m, HEBB_ENOENT, name,
                          "rule %s has no parameter '%s'; expected one of: %s", r->name, name,
                          names);
}

int hebb_model_check_plasticity(hebb_model *m, int proj) {
  if (bad_proj(m, proj) || !m->projs[proj].rule)
    return 0;
  hebb_proj *p = &m->projs[proj];
  char err[256];
  if (p->rule->check && p->rule->check(p->rule_params, p->rule_opts, err, sizeof err))
    return hebb__model_fail(m, HEBB_ERANGE, p->rule_bad_field[0] ? p->rule_bad_field : "plasticity",
                            "%s", err);
  return 0;
}

int hebb_model_set_plasticity_option(hebb_model *m, int proj, const char *name, const char *value) {
  if (bad_proj(m, proj) || !m->projs[proj].rule)
    return hebb__model_fail(m, HEBB_ESTATE, "plasticity", "projection %d has no rule", proj);
  hebb_proj *p = &m->projs[proj];
  const hebb_rule *r = p->rule;
  for (uint32_t i = 0; i < r->noptions; i++) {
    if (strcmp(r->options[i].name, name) != 0)
      continue;
    int v = hebb__allowed_index(r->options[i].allowed, value);
    if (v >= 0) {
      p->rule_opts[i] = v;
      return 0;
    }
    return hebb__model_fail(m, HEBB_EINVAL, name, "%s must be one of %s, got '%s'", name,
                            r->options[i].allowed, value);
  }
  return hebb__model_fail(m, HEBB_ENOENT, name, "rule %s has no option '%s'", r->name, name);
}

int hebb_model_set_learning_schedule(hebb_model *m, int proj, const double *at_ms,
                                     const bool *learn, size_t n, double repeat_ms) {
  if (bad_proj(m, proj) || !m->projs[proj].rule)
    return hebb__model_fail(m, HEBB_ESTATE, "schedule",
                            "a learning schedule needs a plastic projection");
  /* A three-factor rule integrates its weights lazily over the time since a synapse's last
   * update; skipping its hooks would not freeze the weight: it must handle phases itself
   * (on_phase), or it is refused rather than half-honoured. */
  if (m->projs[proj].rule->on_modulator && !m->projs[proj].rule->on_phase && n > 0)
    return hebb__model_fail(m, HEBB_EINVAL, "schedule",
                            "rule %s integrates its weights between events and has no on_phase "
                            "hook: it cannot follow a learning schedule; gate learning with its "
                            "neuromodulator instead (no dopamine, no change)",
                            m->projs[proj].rule->name);
  double rsteps = repeat_ms / m->dt;
  if (!(repeat_ms >= 0) || fabs(rsteps - llround(rsteps)) > 1e-6 * fmax(rsteps, 1.0))
    return hebb__model_fail(m, HEBB_ERANGE, "repeat",
                            "repeat %g ms must be a whole number of steps of dt = %g ms", repeat_ms,
                            m->dt);
  uint64_t *st = malloc((n ? n : 1) * sizeof *st);
  bool *ln = malloc((n ? n : 1) * sizeof *ln);
  if (!st || !ln) {
    free(st);
    free(ln);
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  }
  for (size_t k = 0; k < n; k++) {
    double steps = at_ms[k] / m->dt;
    const char *bad = NULL;
    if (!(steps >= 0) || fabs(steps - llround(steps)) > 1e-6 * fmax(steps, 1.0))
      bad = "must be a non-negative whole number of steps";
    else if (k > 0 && llround(steps) <= (long long)st[k - 1])
      bad = "must come after the previous switch";
    else if (repeat_ms > 0 && !(at_ms[k] < repeat_ms))
      bad = "must lie within the repeat period";
    if (bad) {
      free(st);
      free(ln);
      return hebb__model_fail(m, HEBB_ERANGE, "at", "switch time %g ms %s (dt = %g ms)", at_ms[k],
                              bad, m->dt);
    }
    st[k] = (uint64_t)llround(steps);
    ln[k] = learn[k];
  }
  hebb_proj *p = &m->projs[proj];
  free(p->switch_step);
  free(p->switch_learn);
  p->switch_step = st;
  p->switch_learn = ln;
  p->nswitch = n;
  p->schedule_period = (uint64_t)llround(rsteps);
  return 0;
}

bool hebb__proj_learning(const hebb_proj *pj, uint64_t n) {
  if (!pj->nswitch)
    return true;
  uint64_t t = pj->schedule_period ? n % pj->schedule_period : n;
  bool on = pj->schedule_period ? pj->switch_learn[pj->nswitch - 1] : true;
  if (pj->schedule_period && pj->switch_step[0] > 0 && t < pj->switch_step[0])
    return on; /* before the first switch of a period: the state the previous period ended in */
  for (size_t k = 0; k < pj->nswitch && pj->switch_step[k] <= t; k++)
    on = pj->switch_learn[k];
  return on;
}

int hebb_model_set_modulator(hebb_model *m, int proj, int pop, double delay_ms) {
  if (bad_proj(m, proj) || !m->projs[proj].rule || !m->projs[proj].rule->on_modulator)
    return hebb__model_fail(m, HEBB_ESTATE, "modulator",
                            "a neuromodulator needs a projection with a three-factor rule "
                            "(such as stdp_dopamine)");
  if (bad_pop(m, pop))
    return hebb__model_fail(m, HEBB_EINVAL, "population", "no population %d", pop);
  if (m->pops[pop].desc->kind == HEBB_NM_DC_GENERATOR)
    return hebb__model_fail(m, HEBB_EINVAL, "population",
                            "'%s' is a dc_generator, which sends no spikes", m->pops[pop].name);
  double steps = delay_ms / m->dt;
  if (!(steps >= 1 - 1e-9) || steps > 65535)
    return hebb__model_fail(m, HEBB_ERANGE, "delay",
                            "modulator delay %g ms must be at least one step and at most 65535",
                            delay_ms);
  m->projs[proj].mod_pop = pop;
  m->projs[proj].mod_delay_ms = delay_ms;
  return 0;
}

int hebb_model_set_critic(hebb_model *m, int proj, int pre_pop, uint32_t pre_index, int post_pop,
                          uint32_t post_index, double window_ms, hebb_dist delay_ms,
                          double amount) {
  if (bad_proj(m, proj) || !m->projs[proj].rule || !m->projs[proj].rule->on_modulator)
    return hebb__model_fail(m, HEBB_ESTATE, "critic",
                            "a critic needs a projection with a three-factor rule (such as "
                            "stdp_dopamine)");
  const int pops[2] = {pre_pop, post_pop};
  const uint32_t idx[2] = {pre_index, post_index};
  const char *field[2] = {"pre", "post"};
  for (int k = 0; k < 2; k++) {
    if (bad_pop(m, pops[k]))
      return hebb__model_fail(m, HEBB_EINVAL, field[k], "no population %d", pops[k]);
    const hebb_pop *pp = &m->pops[pops[k]];
    if (pp->desc->kind == HEBB_NM_DC_GENERATOR)
      return hebb__model_fail(m, HEBB_EINVAL, field[k],
                              "'%s' is a dc_generator, which never spikes", pp->name);
    if (idx[k] >= pp->size)
      return hebb__model_fail(m, HEBB_ERANGE, field[k],
                              "neuron %u is not in '%s' (%u neurons: 0 to %u)", idx[k], pp->name,
                              pp->size, pp->size - 1);
  }
  if (!(window_ms > 0) || !isfinite(window_ms))
    return hebb__model_fail(m, HEBB_ERANGE, "window",
                            "the window must be a positive time, got %g ms", window_ms);
  if (!isfinite(amount))
    return hebb__model_fail(m, HEBB_ERANGE, "amount", "the amount must be finite");
  double lo = delay_ms.kind == HEBB_DIST_CONSTANT || delay_ms.kind == HEBB_DIST_UNIFORM ? delay_ms.a
              : delay_ms.kind == HEBB_DIST_NORMAL_CLIPPED ? delay_ms.lo
                                                          : -INFINITY;
  double hi = delay_ms.kind == HEBB_DIST_CONSTANT         ? delay_ms.a
              : delay_ms.kind == HEBB_DIST_UNIFORM        ? delay_ms.b
              : delay_ms.kind == HEBB_DIST_NORMAL_CLIPPED ? delay_ms.hi
                                                          : INFINITY;
  if (!(lo >= m->dt * (1 - 1e-9)) || !(hi / m->dt <= 65535))
    return hebb__model_fail(m, HEBB_ERANGE, "delay",
                            "the reward delay must lie between one step and 65535 steps (a "
                            "normal distribution needs normal_clipped bounds)");
  hebb_proj *p = &m->projs[proj];
  p->critic_pre = pre_pop;
  p->critic_post = post_pop;
  p->critic_pre_index = pre_index;
  p->critic_post_index = post_index;
  p->critic_window_ms = window_ms;
  p->critic_delay_ms = delay_ms;
  p->critic_amount = amount;
  return 0;
}

int hebb_model_add_reward(hebb_model *m, int proj, double at_ms, double amount) {
  if (bad_proj(m, proj) || !m->projs[proj].rule || !m->projs[proj].rule->on_modulator)
    return hebb__model_fail(m, HEBB_ESTATE, "rewards",
                            "rewards need a projection with a three-factor rule (such as "
                            "stdp_dopamine)");
  double steps = at_ms / m->dt;
  if (!(steps >= 1 - 1e-9) || fabs(steps - llround(steps)) > 1e-6 * steps || !isfinite(amount))
    return hebb__model_fail(m, HEBB_ERANGE, "at",
                            "a reward at %g ms of %g: the time must be a whole number of steps "
                            "(dt = %g ms) of at least one, the amount finite",
                            at_ms, amount, m->dt);
  hebb_proj *p = &m->projs[proj];
  if (p->nrewards && at_ms < p->reward_ms[p->nrewards - 1])
    return hebb__model_fail(m, HEBB_ERANGE, "at", "rewards must be given in time order");
  double *t = realloc(p->reward_ms, (p->nrewards + 1) * sizeof *t);
  if (!t)
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  p->reward_ms = t;
  double *a = realloc(p->reward_amount, (p->nrewards + 1) * sizeof *a);
  if (!a)
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  p->reward_amount = a;
  p->reward_ms[p->nrewards] = at_ms;
  p->reward_amount[p->nrewards++] = amount;
  return 0;
}

int hebb_model_record_weights(hebb_model *m, int proj, double every_ms) {
  if (bad_proj(m, proj))
    return hebb__model_fail(m, HEBB_EINVAL, "projection", "no projection %d", proj);
  if (m->pops[m->projs[proj].spec.source].desc->kind == HEBB_NM_DC_GENERATOR)
    return hebb__model_fail(m, HEBB_EINVAL, "projection",
                            "'%s' comes from a dc_generator, which makes currents, not synapses: "
                            "it has no weights to record",
                            m->projs[proj].name);
  double steps = every_ms / m->dt;
  if (!(steps >= 1 - 1e-9) || fabs(steps - llround(steps)) > 1e-6 * steps || steps > UINT32_MAX)
    return hebb__model_fail(m, HEBB_ERANGE, "every",
                            "every %g ms must be a whole number of steps of dt = %g ms", every_ms,
                            m->dt);
  m->projs[proj].weights_every = (uint32_t)llround(steps);
  return 0;
}

const char *hebb_model_projection_name(const hebb_model *m, int proj) {
  return proj < 0 || proj >= m->nprojs ? NULL : m->projs[proj].name;
}

int hebb_model_record_spikes(hebb_model *m, int pop) {
  if (bad_pop(m, pop))
    return hebb__model_fail(m, HEBB_EINVAL, "spikes", "no population %d", pop);
  m->pops[pop].record_spikes = true;
  return 0;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

int hebb_model_record_state(hebb_model *m, int pop, const char *var, const uint32_t *indices,
                            size_t n, double interval_ms) {
  if (bad_pop(m, pop))
    return hebb__model_fail(m, HEBB_EINVAL, "population", "no population %d", pop);
  hebb_pop *p = &m->pops[pop];
  int v = hebb_nm_state_index(p->desc, var);
  if (v < 0) {
    char names[256];
    list_names(p->desc->states, p->desc->nstates, names, sizeof names);
    return hebb__model_fail(m, HEBB_ENOENT, "variables",
                            "%s has no state variable '%s'; expected one of: %s", p->desc->name,
                            var, names[0] ? names : "(none)");
  }
  double steps = interval_ms / m->dt;
  if (!(steps >= 1 - 1e-9) || fabs(steps - llround(steps)) > 1e-6 * steps || steps > UINT32_MAX)
    return hebb__model_fail(m, HEBB_ERANGE, "interval",
                            "interval %g ms must be a whole number of steps of dt = %g ms",
                            interval_ms, m->dt);
  size_t count = n ? n : p->size;
  uint32_t *idx = malloc(count * sizeof *idx);
  if (!idx)
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  for (size_t i = 0; i < count; i++) {
    idx[i] = n ? indices[i] : (uint32_t)i;
    if (idx[i] >= p->size) {
      uint32_t bad = idx[i];
      free(idx);
      return hebb__model_fail(m, HEBB_ERANGE, "neurons",
                              "neuron index %u is beyond population '%s' of size %u", bad, p->name,
                              p->size);
    }
  }
  qsort(idx, count, sizeof *idx, cmp_u32);
  size_t u = 0;
  for (size_t i = 0; i < count; i++)
    if (u == 0 || idx[i] != idx[u - 1])
      idx[u++] = idx[i];
  hebb_state_rec *nr = realloc(m->recs, (size_t)(m->nrecs + 1) * sizeof *nr);
  if (!nr) {
    free(idx);
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  }
  m->recs = nr;
  hebb_state_rec *r = &m->recs[m->nrecs++];
  r->pop = pop;
  r->var = v;
  r->indices = idx;
  r->n = u;
  r->interval_steps = (uint32_t)llround(steps);
  return 0;
}

int hebb_model_add_feedback(hebb_model *m, const char *name, int from_pop, int to_pop,
                            hebb_feedback_kind kind, double delay_ms, double scale, int *id) {
  const int pops[2] = {from_pop, to_pop};
  const char *field[2] = {"source", "target"};
  for (int k = 0; k < 2; k++) {
    if (bad_pop(m, pops[k]))
      return hebb__model_fail(m, HEBB_EINVAL, field[k], "no population %d", pops[k]);
    if (m->pops[pops[k]].desc->stimulus)
      return hebb__model_fail(m, HEBB_EINVAL, field[k],
                              "'%s' is a stimulus; feedback carries the error between neuron "
                              "populations",
                              m->pops[pops[k]].name);
  }
  if (from_pop == to_pop)
    return hebb__model_fail(m, HEBB_EINVAL, "target",
                            "feedback from '%s' onto itself; it goes from the population with "
                            "the target to a hidden one",
                            m->pops[from_pop].name);
  if (kind != HEBB_FEEDBACK_SYMMETRIC && kind != HEBB_FEEDBACK_RANDOM &&
      kind != HEBB_FEEDBACK_UNIFORM)
    return hebb__model_fail(m, HEBB_EINVAL, "feedback", "unknown feedback kind %d", (int)kind);
  if (!isfinite(delay_ms) || delay_ms / m->dt > 65535)
    return hebb__model_fail(m, HEBB_ERANGE, "delay",
                            "the feedback delay must be at most 65535 steps, got %g ms", delay_ms);
  if (delay_ms > 0 &&
      (delay_ms < m->dt * (1 - 1e-9) ||
       fabs(delay_ms / m->dt - llround(delay_ms / m->dt)) > 1e-6 * delay_ms / m->dt))
    return hebb__model_fail(m, HEBB_ERANGE, "delay",
                            "the feedback delay %g ms must be a whole number of steps (dt = %g ms)",
                            delay_ms, m->dt);
  if (!isfinite(scale))
    return hebb__model_fail(m, HEBB_ERANGE, "scale", "the scale must be finite");
  char nm[160];
  if (name)
    snprintf(nm, sizeof nm, "%s", name);
  else
    snprintf(nm, sizeof nm, "%s_to_%s", m->pops[from_pop].name, m->pops[to_pop].name);
  if (strlen(nm) >= sizeof m->fbs[0].name || !valid_name(nm))
    return hebb__model_fail(m, HEBB_EINVAL, "name",
                            "feedback name '%s' must be an identifier of at most 63 characters",
                            nm);
  for (int i = 0; i < m->nprojs; i++)
    if (strcmp(m->projs[i].name, nm) == 0)
      return hebb__model_fail(m, HEBB_EINVAL, "name",
                              "'%s' already names a projection (give each a distinct name:)", nm);
  for (int i = 0; i < m->nfbs; i++)
    if (strcmp(m->fbs[i].name, nm) == 0)
      return hebb__model_fail(m, HEBB_EINVAL, "name",
                              "feedback '%s' is defined twice (give each a distinct name:)", nm);
  hebb_feedback *v = realloc(m->fbs, (size_t)(m->nfbs + 1) * sizeof *v);
  if (!v)
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  m->fbs = v;
  hebb_feedback *f = &m->fbs[m->nfbs];
  memset(f, 0, sizeof *f);
  memcpy(f->name, nm, strlen(nm) + 1); /* checked above: it fits */
  f->from = from_pop;
  f->to = to_pop;
  f->kind = kind;
  f->delay_ms = delay_ms > 0 ? delay_ms : 0.0;
  f->scale = scale;
  if (id)
    *id = m->nfbs;
  m->nfbs++;
  return 0;
}

int hebb_model_check_feedback(const hebb_model *m, int fb) {
  if (fb < 0 || fb >= m->nfbs)
    return hebb__model_fail(m, HEBB_EINVAL, "", "no feedback %d", fb);
  const hebb_feedback *f = &m->fbs[fb];
  const hebb_pop *out = &m->pops[f->from], *hid = &m->pops[f->to];
  if (!out->target_times)
    return hebb__model_fail(m, HEBB_EINVAL, "source",
                            "feedback '%s': population '%s' has no target; the error it feeds "
                            "back is its target minus its own spikes",
                            f->name, out->name);
  if (hid->target_times)
    return hebb__model_fail(m, HEBB_EINVAL, "target",
                            "feedback '%s': population '%s' has a target of its own; a "
                            "population learns from its target or from feedback, not both",
                            f->name, hid->name);
  bool learns = false;
  int nfwd = 0;
  for (int p = 0; p < m->nprojs; p++) {
    const hebb_proj *pj = &m->projs[p];
    learns |= pj->spec.target == f->to && pj->rule && pj->rule->on_step;
    nfwd += pj->spec.source == f->to && pj->spec.target == f->from;
  }
  if (!learns)
    return hebb__model_fail(m, HEBB_EINVAL, "target",
                            "feedback '%s' reaches population '%s', but no projection onto it "
                            "has a rule that learns from an error (such as superspike)",
                            f->name, hid->name);
  if (f->kind == HEBB_FEEDBACK_SYMMETRIC && nfwd != 1)
    return hebb__model_fail(m, HEBB_EINVAL, "feedback",
                            "feedback '%s' is symmetric: it needs exactly one projection from "
                            "'%s' to '%s' (whose weights it sends the error back through), "
                            "found %d",
                            f->name, hid->name, out->name, nfwd);
  return 0;
}

/* ---- the model hash (checkpoints) ------------------------------------------------------- */

static void h_u64(XXH3_state_t *h, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char)(v >> (8 * i));
  XXH3_64bits_update(h, b, 8);
}

static void h_f64(XXH3_state_t *h, double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  h_u64(h, u);
}

static void h_str(XXH3_state_t *h, const char *s) {
  size_t n = s ? strlen(s) : 0;
  h_u64(h, n);
  XXH3_64bits_update(h, s ? s : "", n);
}

static void h_dist(XXH3_state_t *h, const hebb_dist *d) {
  h_u64(h, (uint64_t)d->kind);
  h_f64(h, d->a);
  h_f64(h, d->b);
  h_f64(h, d->lo);
  h_f64(h, d->hi);
}

/* Every field that shapes the network or what is recorded of it, one by one (never a
 * struct's bytes, whose padding is undefined), in a fixed order and byte order. Left out:
 * the duration (a resumed run may be given another end), the threads, the model's name. */
uint64_t hebb_model_hash(const hebb_model *m) {
  XXH3_state_t *h = XXH3_createState();
  if (!h)
    return 0;
  XXH3_64bits_reset(h);
  h_str(h, "hebb model v1");
  h_f64(h, m->dt);
  h_u64(h, m->seed);
  h_u64(h, (uint64_t)m->npops);
  for (int i = 0; i < m->npops; i++) {
    const hebb_pop *p = &m->pops[i];
    h_str(h, p->name);
    h_str(h, p->desc->name);
    h_u64(h, p->size);
    for (size_t k = 0; k < p->desc->nparams; k++)
      h_f64(h, p->params[k]);
    h_u64(h, (uint64_t)p->options[0]);
    h_u64(h, (uint64_t)p->options[1]);
    for (size_t k = 0; k < p->desc->nstates; k++)
      h_dist(h, &p->initial[k]);
    h_u64(h, p->record_spikes);
    for (uint32_t j = 0; p->spike_times && j < p->size; j++) {
      h_u64(h, p->n_spike_times[j]);
      for (size_t k = 0; k < p->n_spike_times[j]; k++)
        h_f64(h, p->spike_times[j][k]);
    }
    h_f64(h, p->target_times ? p->target_period_ms : 0.0);
    for (uint32_t j = 0; p->target_times && j < p->size; j++) {
      h_u64(h, p->n_target_times[j]);
      for (size_t k = 0; k < p->n_target_times[j]; k++)
        h_f64(h, p->target_times[j][k]);
    }
  }
  h_u64(h, (uint64_t)m->nprojs);
  for (int i = 0; i < m->nprojs; i++) {
    const hebb_proj *p = &m->projs[i];
    const hebb_projection_spec *s = &p->spec;
    h_str(h, p->name);
    h_u64(h, (uint64_t)s->source);
    h_u64(h, (uint64_t)s->target);
    h_u64(h, (uint64_t)s->rule);
    /* fixed_total_number draws in-degrees, then each target's sources; it drew every pair from
     * one stream before: the tag makes a checkpoint of that other network refused */
    if (s->rule == HEBB_CONN_FIXED_TOTAL_NUMBER)
      h_str(h, "in-degrees by binomial chain");
    h_f64(h, s->p);
    h_u64(h, s->n);
    h_u64(h, s->allow_autapses);
    h_u64(h, s->allow_multapses);
    h_dist(h, &s->weight);
    h_dist(h, &s->delay_ms);
    h_u64(h, (uint64_t)s->receptor);
    h_u64(h, p->weights_every);
    h_str(h, p->rule ? p->rule->name : "");
    if (p->rule) {
      for (uint32_t k = 0; k < p->rule->nparams; k++)
        h_f64(h, p->rule_params[k]);
      for (uint32_t k = 0; k < p->rule->noptions; k++)
        h_u64(h, (uint64_t)p->rule_opts[k]);
    }
    h_u64(h, p->nswitch);
    for (size_t k = 0; k < p->nswitch; k++) {
      h_u64(h, p->switch_step[k]);
      h_u64(h, p->switch_learn[k]);
    }
    h_u64(h, p->schedule_period);
    h_u64(h, (uint64_t)p->mod_pop);
    h_f64(h, p->mod_pop >= 0 ? p->mod_delay_ms : 0.0);
    h_u64(h, p->nrewards);
    for (size_t k = 0; k < p->nrewards; k++) {
      h_f64(h, p->reward_ms[k]);
      h_f64(h, p->reward_amount[k]);
    }
    h_u64(h, (uint64_t)p->critic_pre);
    if (p->critic_pre >= 0) {
      h_u64(h, (uint64_t)p->critic_post);
      h_u64(h, p->critic_pre_index);
      h_u64(h, p->critic_post_index);
      h_f64(h, p->critic_window_ms);
      h_f64(h, p->critic_amount);
      h_dist(h, &p->critic_delay_ms);
    }
  }
  h_u64(h, (uint64_t)m->nrecs);
  for (int i = 0; i < m->nrecs; i++) {
    const hebb_state_rec *r = &m->recs[i];
    h_u64(h, (uint64_t)r->pop);
    h_u64(h, (uint64_t)r->var);
    h_u64(h, r->interval_steps);
    h_u64(h, r->n);
    for (size_t k = 0; k < r->n; k++)
      h_u64(h, r->indices[k]);
  }
  /* feedback is hashed only where there is some, so that older models keep their hash */
  if (m->nfbs) {
    h_str(h, "feedback");
    h_u64(h, (uint64_t)m->nfbs);
    for (int i = 0; i < m->nfbs; i++) {
      const hebb_feedback *f = &m->fbs[i];
      h_str(h, f->name);
      h_u64(h, (uint64_t)f->from);
      h_u64(h, (uint64_t)f->to);
      h_u64(h, (uint64_t)f->kind);
      h_f64(h, f->delay_ms);
      h_f64(h, f->scale);
    }
  }
  uint64_t v = XXH3_64bits_digest(h);
  XXH3_freeState(h);
  return v;
}

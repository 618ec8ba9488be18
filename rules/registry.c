/* registry.c - the rules Hebb knows by name: the built-in ones and, later in the same list,
 * rules loaded from plugins. The model-file reader and the command-line tool find rules here;
 * the engine sees only the hebb_rule structures (rule.h).
 *
 * Plugins (hebb_rule_load): a shared object exporting the function
 *   const hebb_rule *hebb_rule_entry(void);
 * is dlopen'ed, its rule checked and appended to the list. The list only grows, one entry at
 * a time under a lock, and its length is published last (release/acquire), so lookups need
 * no lock. Handles stay open and entries stay for the life of the process: a rule may be in
 * use by any model or simulation, and hooks are code in the shared object. */
#define _POSIX_C_SOURCE 200809L
#include "hebb.h"
#include "model.h"
#include "rule.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const hebb_rule hebb_rule_stdp;
extern const hebb_rule hebb_rule_stdp_dopamine;
extern const hebb_rule hebb_rule_vogels_istdp;
extern const hebb_rule hebb_rule_synaptic_scaling;
extern const hebb_rule hebb_rule_zenke2015;
extern const hebb_rule hebb_rule_stdp_triplet;
extern const hebb_rule hebb_rule_oja;
extern const hebb_rule hebb_rule_bcm;
extern const hebb_rule hebb_rule_superspike;

static const hebb_rule *const builtin[] = {
    &hebb_rule_stdp,      &hebb_rule_vogels_istdp, &hebb_rule_synaptic_scaling,
    &hebb_rule_zenke2015, &hebb_rule_stdp_triplet, &hebb_rule_stdp_dopamine,
    &hebb_rule_oja,       &hebb_rule_bcm,          &hebb_rule_superspike};
#define NBUILTIN (sizeof builtin / sizeof builtin[0])

/* Rules loaded from plugins, in load order, after the built-in ones. */
#define MAX_PLUGINS 256
typedef struct {
  const hebb_rule *rule;
  void *handle; /* from dlopen, never closed */
  char *path;   /* as given to hebb_rule_load */
} plugin;
static plugin plugins[MAX_PLUGINS];
static atomic_size_t nplugins; /* plugins[0, nplugins) are complete */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t nloaded(void) {
  return atomic_load_explicit(&nplugins, memory_order_acquire);
}

/* Rule I of the list (built-ins, then plugins), or NULL past the end. */
static const hebb_rule *rule_at(size_t i) {
  if (i < NBUILTIN)
    return builtin[i];
  i -= NBUILTIN;
  return i < nloaded() ? plugins[i].rule : NULL;
}

/* The rule named NAME, or NULL. */
static const hebb_rule *find(const char *name) {
  const hebb_rule *r;
  for (size_t i = 0; name && (r = rule_at(i)) != NULL; i++)
    if (strcmp(r->name, name) == 0)
      return r;
  return NULL;
}

size_t hebb_rule_count(void) {
  return NBUILTIN + nloaded();
}

const char *hebb_rule_name(size_t i) {
  const hebb_rule *r = rule_at(i);
  return r ? r->name : NULL;
}

const char *hebb_rule_origin(const char *rule) {
  for (size_t i = 0, n = nloaded(); rule && i < n; i++)
    if (strcmp(plugins[i].rule->name, rule) == 0)
      return plugins[i].path;
  return NULL;
}

const char *hebb_rule_doc(const char *rule) {
  const hebb_rule *r = find(rule);
  return r ? r->doc : NULL;
}

const char *hebb_rule_param(const char *rule, size_t i, const char **unit, double *default_value) {
  const hebb_rule *r = find(rule);
  if (!r || i >= r->nparams)
    return NULL;
  if (unit)
    *unit = r->params[i].unit;
  if (default_value)
    *default_value = r->params[i].value;
  return r->params[i].name;
}

const char *hebb_rule_option(const char *rule, size_t i, const char **allowed) {
  const hebb_rule *r = find(rule);
  if (!r || i >= r->noptions)
    return NULL;
  if (allowed)
    *allowed = r->options[i].allowed;
  return r->options[i].name;
}

int hebb_model_set_plasticity(hebb_model *m, int proj, const char *rule) {
  const hebb_rule *r = find(rule);
  if (!r) {
    char names[256];
    size_t used = 0;
    names[0] = 0;
    for (size_t i = 0; rule_at(i) && used < sizeof names; i++)
      used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                               rule_at(i)->name);
    return hebb__model_fail(m, HEBB_ENOENT, "rule",
                            "unknown plasticity rule '%s'; expected one of: %s", rule ? rule : "",
                            names);
  }
  return hebb__model_set_rule(m, proj, r);
}

/* ---------------------------------------------------------------------------------------- */
/* Plugins                                                                                   */
/* ---------------------------------------------------------------------------------------- */

static int fail(char *err, size_t len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t len, int code, const char *fmt, ...) {
  if (err && len) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
  }
  return code;
}

static bool is_identifier(const char *s) {
  static const char first[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
  if (!s || !*s || !strchr(first, *s))
    return false;
  for (; *s; s++)
    if (!strchr(first, *s) && !(*s >= '0' && *s <= '9'))
      return false;
  return true;
}

/* The checks of hebb__model_set_rule (the interface's limits and the required hooks), run
 * on a one-neuron model so that they are not written twice. 0, or a code and WHY. */
static int engine_accepts(const hebb_rule *r, char *why, size_t len) {
  hebb_model *m = hebb_model_new();
  if (!m)
    return fail(why, len, HEBB_ENOMEM, "out of memory");
  hebb_projection_spec spec = hebb_projection_spec_default();
  int pop = -1, proj = -1;
  int rc = hebb_model_add_population(m, "probe", "iaf_psc_exp", 1, &pop);
  spec.source = spec.target = pop;
  if (!rc)
    rc = hebb_model_add_projection(m, &spec, &proj);
  if (!rc)
    rc = hebb__model_set_rule(m, proj, r);
  if (rc)
    fail(why, len, rc, "%s", hebb_model_error(m)->message);
  hebb_model_free(m);
  return rc;
}

/* The number of '|'-separated words in S. */
static unsigned count_words(const char *s) {
  unsigned n = 1;
  for (; *s; s++)
    n += *s == '|';
  return n;
}

static bool traces_ok(const hebb_rule *r, const hebb_rule_trace *t, uint32_t n) {
  if (n && !t)
    return false;
  for (uint32_t j = 0; j < n; j++)
    if (t[j].tau_param < 0 || (uint32_t)t[j].tau_param >= r->nparams || t[j].mode_option < -1 ||
        (t[j].mode_option >= 0 && ((uint32_t)t[j].mode_option >= r->noptions ||
                                   count_words(r->options[t[j].mode_option].allowed) > 4)))
      return false;
  return true;
}

/* What the engine trusts a built-in rule for and a plugin must show: every descriptor that
 * the rule declares is there, named, and every index points into its table. */
static int descriptors_ok(const hebb_rule *r, char *why, size_t len) {
  if (!r->doc)
    return fail(why, len, HEBB_EINVAL, "it has no doc string");
  if (r->nparams && !r->params)
    return fail(why, len, HEBB_EINVAL, "params is NULL with nparams = %u", r->nparams);
  for (uint32_t i = 0; i < r->nparams; i++) {
    const char *u = r->params[i].unit;
    if (!is_identifier(r->params[i].name))
      return fail(why, len, HEBB_EINVAL, "parameter %u has no identifier for a name", i);
    if (!u || !(strcmp(u, "ms") == 0 || strcmp(u, "Hz") == 0 || strcmp(u, "weight") == 0 || !*u))
      return fail(why, len, HEBB_EINVAL,
                  "parameter '%s' has unit '%s'; expected \"ms\", \"Hz\", \"weight\" or \"\"",
                  r->params[i].name, u ? u : "(null)");
  }
  if (r->noptions && !r->options)
    return fail(why, len, HEBB_EINVAL, "options is NULL with noptions = %u", r->noptions);
  for (uint32_t i = 0; i < r->noptions; i++)
    if (!is_identifier(r->options[i].name) || !r->options[i].allowed || !*r->options[i].allowed)
      return fail(why, len, HEBB_EINVAL,
                  "option %u needs an identifier for a name and '|'-separated allowed values", i);
  for (uint32_t i = 0; i < r->nsyn; i++)
    if (!r->syn_state || !r->syn_state[i])
      return fail(why, len, HEBB_EINVAL, "synapse variable %u has no name", i);
  for (uint32_t i = 0; i < r->npre_state; i++)
    if (!r->pre_state || !r->pre_state[i])
      return fail(why, len, HEBB_EINVAL, "presynaptic variable %u has no name", i);
  for (uint32_t i = 0; i < r->npost_state; i++)
    if (!r->post_state || !r->post_state[i])
      return fail(why, len, HEBB_EINVAL, "postsynaptic variable %u has no name", i);
  if (!traces_ok(r, r->pre, r->npre) || !traces_ok(r, r->post, r->npost))
    return fail(why, len, HEBB_EINVAL,
                "a trace names a parameter or option it does not have (or an option of more "
                "than 4 values)");
  if (r->on_step_pre && !r->on_step)
    return fail(why, len, HEBB_EINVAL, "it has on_step_pre but no on_step");
  if (r->on_period && (r->period_param < 0 || (uint32_t)r->period_param >= r->nparams))
    return fail(why, len, HEBB_EINVAL, "it has on_period but period_param is not a parameter");
  return 0;
}

int hebb_rule_load(const char *path, char *err, size_t errlen) {
  if (!path || !*path)
    return fail(err, errlen, HEBB_EINVAL, "no plugin path given");
  /* a bare file name would make dlopen search the library path: it means this directory */
  char dlpath[4096];
  if ((size_t)snprintf(dlpath, sizeof dlpath, "%s%s", strchr(path, '/') ? "" : "./", path) >=
      sizeof dlpath)
    return fail(err, errlen, HEBB_EINVAL, "%.64s...: path too long", path);
  char why[320];
  int rc = 0;
  pthread_mutex_lock(&load_lock);
  dlerror();
  void *h = dlopen(dlpath, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    /* dlerror says "DLPATH: what"; keep the what */
    const char *e = dlerror();
    size_t n = strlen(dlpath);
    if (e && strncmp(e, dlpath, n) == 0 && strncmp(e + n, ": ", 2) == 0)
      e += n + 2;
    rc = fail(err, errlen, HEBB_EIO, "%s: cannot load the plugin: %s", path,
              e ? e : "unknown error");
    goto out;
  }
  size_t n = nloaded();
  for (size_t i = 0; i < n; i++)
    if (plugins[i].handle == h) { /* loaded before (under this or another path): no-op */
      dlclose(h);
      goto out;
    }
  dlerror();
  void *sym = dlsym(h, "hebb_rule_entry");
  if (!sym) {
    rc = fail(err, errlen, HEBB_EINVAL,
              "%s: not a Hebb plugin: it has no symbol hebb_rule_entry; expected a shared "
              "object that exports const hebb_rule *hebb_rule_entry(void) (see "
              "examples/plugins)",
              path);
    goto close;
  }
  const hebb_rule *(*entry)(void);
  memcpy(&entry, &sym, sizeof entry); /* POSIX: a dlsym result may be a function */
  const hebb_rule *r = entry();
  if (!r) {
    rc = fail(err, errlen, HEBB_EINVAL, "%s: hebb_rule_entry() returned NULL", path);
    goto close;
  }
  /* abi and name come first in every version of the structure */
  if (r->abi != HEBB_RULE_ABI) {
    rc = fail(err, errlen, HEBB_EINVAL,
              "%s: rule '%s' was built for plasticity interface version %u; this Hebb has "
              "version %u; rebuild it against this hebb",
              path, r->name ? r->name : "?", r->abi, (unsigned)HEBB_RULE_ABI);
    goto close;
  }
  if (!is_identifier(r->name) || strlen(r->name) > 63) {
    rc = fail(err, errlen, HEBB_EINVAL,
              "%s: the rule's name '%.64s' is not an identifier of at most 63 characters "
              "(letters, digits, '_')",
              path, r->name ? r->name : "");
    goto close;
  }
  if ((rc = engine_accepts(r, why, sizeof why)) != 0 ||
      (rc = descriptors_ok(r, why, sizeof why)) != 0) {
    fail(err, errlen, rc, "%s: rule '%s' is not usable: %s", path, r->name, why);
    goto close;
  }
  if (find(r->name)) {
    const char *from = hebb_rule_origin(r->name);
    rc = fail(err, errlen, HEBB_EINVAL, "%s: a rule named '%s' is already %s%s; rename this one",
              path, r->name, from ? "loaded from " : "built in", from ? from : "");
    goto close;
  }
  if (n == MAX_PLUGINS) {
    rc = fail(err, errlen, HEBB_ERANGE, "%s: more than %d plugins", path, MAX_PLUGINS);
    goto close;
  }
  char *copy = strdup(path);
  if (!copy) {
    rc = fail(err, errlen, HEBB_ENOMEM, "%s: out of memory", path);
    goto close;
  }
  plugins[n] = (plugin){r, h, copy};
  atomic_store_explicit(&nplugins, n + 1, memory_order_release);
  goto out;
close:
  dlclose(h);
out:
  pthread_mutex_unlock(&load_lock);
  return rc;
}

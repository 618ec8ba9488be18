/* registry.c - the rules Hebb knows by name: the built-in ones and, later in the same list,
 * rules loaded from plugins. The model-file reader and the command-line tool find rules here;
 * the engine sees only the hebb_rule structures (rule.h). */
#include "hebb.h"
#include "model.h"
#include "rule.h"

#include <stdio.h>
#include <string.h>

extern const hebb_rule hebb_rule_stdp;

static const hebb_rule *const builtin[] = {&hebb_rule_stdp};
#define NBUILTIN (sizeof builtin / sizeof builtin[0])

/* The rule named NAME, or NULL. */
static const hebb_rule *find(const char *name) {
  for (size_t i = 0; i < NBUILTIN; i++)
    if (name && strcmp(builtin[i]->name, name) == 0)
      return builtin[i];
  return NULL;
}

size_t hebb_rule_count(void) {
  return NBUILTIN;
}

const char *hebb_rule_name(size_t i) {
  return i < NBUILTIN ? builtin[i]->name : NULL;
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
    for (size_t i = 0; i < NBUILTIN && used < sizeof names; i++)
      used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                               builtin[i]->name);
    return hebb__model_fail(m, HEBB_ENOENT, "rule",
                            "unknown plasticity rule '%s'; expected one of: %s", rule ? rule : "",
                            names);
  }
  return hebb__model_set_rule(m, proj, r);
}

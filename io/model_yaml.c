/* model_yaml.c - reads a Hebb model file (YAML) into a hebb_model.
 *
 * This file implements hebb_model_load() and hebb_model_load_string() from hebb.h; the
 * command-line tool and library users call them, and they in turn only use the public
 * builder functions (hebb_model_new, hebb_model_add_population, ...). The format is
 * described in docs/model-format.md.
 *
 * Reading is done in two phases so that users never have to guess what is wrong:
 *
 *  1. Schema. libyaml loads the whole document into a node graph (every node keeps its
 *     position), then the document is walked against a table of allowed keys per mapping.
 *     Every problem found (unknown key, wrong type, bad number or unit, unknown model,
 *     parameter, connection or plasticity rule, name, duplicate, ...) is recorded with the
 *     position of the node it concerns and the walk goes on with the next entry. Values are
 *     converted as they are checked, into a small intermediate description (the "ir" below).
 *  2. Semantics. Only when phase 1 found nothing, the ir is turned into builder calls in file
 *     order. A failing call is reported at the key named by hebb_model_error(m)->field
 *     inside the entry being added, and the remaining entries are still tried.
 *
 * Problems are collected, sorted by position and written into a hebb_diag, one line each:
 * "FILE:LINE:COLUMN: what is wrong; expected WHAT". Nothing is printed and nothing exits.
 * The functions keep no global state, so several models may be loaded concurrently (the
 * plugins a file lists go into libhebb's rule registry, which is safe for that).
 */
#define _POSIX_C_SOURCE 200809L /* getline, to read target files */
#include "hebb.h"
#include "spikeline.h"
#include "units.h"

#include <yaml.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define MODEL_YAML_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MODEL_YAML_PRINTF(fmt, args)
#endif

/* Problems kept for sorting; more are only counted (the text holds ~100 lines anyway). */
#define MAX_STORED_DIAGS 4096
/* Longest piece of user text echoed in a message; longer text is cut and ends in "...". */
#define ECHO_MAX 48
/* Longest list of valid names spelled out in a message. */
#define LIST_MAX 400
/* Longest population, stimulus or projection name: the engine keeps names in 64 bytes (and
 * would cut a longer projection name silently). */
#define NAME_MAX_LEN 63

/* ---------------------------------------------------------------------------------------- */
/* Diagnostics                                                                               */
/* ---------------------------------------------------------------------------------------- */

typedef struct {
  int line, col; /* 1-based; 0 for a problem of the whole file (no position) */
  int seq;       /* order of discovery, to keep the sort stable */
  char *msg;
} diag_item;

/* Everything the two phases share: the document, the file name for messages, the problems. */
typedef struct {
  const char *file;
  yaml_document_t *doc;
  diag_item *items;
  size_t n, cap;
  int total;
  bool oom;
} ctx_t;

/* Records one problem at LINE:COL. Control characters (from echoed user text) become '?' so
 * that every problem stays on one line. Memory failures are remembered, never fatal here. */
static void vreport_at(ctx_t *c, int line, int col, const char *fmt, va_list ap) {
  c->total++;
  if (c->n >= MAX_STORED_DIAGS)
    return;
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  for (char *p = buf; *p != '\0'; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7F)
      *p = '?';
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 32;
    diag_item *items = realloc(c->items, cap * sizeof *items);
    if (items == NULL) {
      c->oom = true;
      return;
    }
    c->items = items;
    c->cap = cap;
  }
  char *msg = malloc(strlen(buf) + 1);
  if (msg == NULL) {
    c->oom = true;
    return;
  }
  strcpy(msg, buf);
  c->items[c->n] = (diag_item){line, col, c->total, msg};
  c->n++;
}

static void report_at(ctx_t *c, int line, int col, const char *fmt, ...) MODEL_YAML_PRINTF(4, 5);
static void report_at(ctx_t *c, int line, int col, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport_at(c, line, col, fmt, ap);
  va_end(ap);
}

/* Records a problem at the start of NODE (libyaml marks are 0-based, messages 1-based). */
static void report(ctx_t *c, const yaml_node_t *node, const char *fmt, ...) MODEL_YAML_PRINTF(3, 4);
static void report(ctx_t *c, const yaml_node_t *node, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int line = node ? (int)node->start_mark.line + 1 : 1;
  int col = node ? (int)node->start_mark.column + 1 : 1;
  vreport_at(c, line, col, fmt, ap);
  va_end(ap);
}

static int cmp_diag(const void *pa, const void *pb) {
  const diag_item *a = pa, *b = pb;
  if (a->line != b->line)
    return a->line < b->line ? -1 : 1;
  if (a->col != b->col)
    return a->col < b->col ? -1 : 1;
  return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Writes the problems, sorted by position, into D. When the text would overflow, it stops
 * and ends with "... and N more problems", for which room is always kept. */
static void render(ctx_t *c, hebb_diag *d) {
  enum { TRAILER_ROOM = 48 };
  if (c->n > 1)
    qsort(c->items, c->n, sizeof *c->items, cmp_diag);
  d->count = c->total;
  d->text[0] = '\0';
  size_t cap = sizeof d->text, len = 0;
  for (size_t i = 0; i < c->n; i++) {
    char line[1400];
    const diag_item *it = &c->items[i];
    /* One byte is kept for the newline, so that a very long file name cannot eat it. */
    if (it->line > 0)
      snprintf(line, sizeof line - 1, "%s:%d:%d: %s", c->file, it->line, it->col, it->msg);
    else
      snprintf(line, sizeof line - 1, "%s: %s", c->file, it->msg);
    for (char *p = line; *p != '\0'; p++) /* a file name may hold a newline too */
      if ((unsigned char)*p < 0x20)
        *p = '?';
    size_t ll = strlen(line);
    line[ll++] = '\n';
    line[ll] = '\0';
    size_t reserve = (int)i + 1 < c->total ? TRAILER_ROOM : 0;
    if (len + ll + reserve >= cap) {
      snprintf(d->text + len, cap - len, "... and %d more problems\n", c->total - (int)i);
      return;
    }
    memcpy(d->text + len, line, ll + 1);
    len += ll;
  }
  if ((int)c->n < c->total)
    snprintf(d->text + len, cap - len, "... and %d more problems\n", c->total - (int)c->n);
}

static void ctx_free(ctx_t *c) {
  for (size_t i = 0; i < c->n; i++)
    free(c->items[i].msg);
  free(c->items);
}

/* Allocation that records a failure in the context instead of returning an error code
 * through every helper; the loader checks c->oom before using the results. */
static void *xcalloc(ctx_t *c, size_t n, size_t size) {
  if (n == 0)
    return NULL;
  void *p = calloc(n, size);
  if (p == NULL)
    c->oom = true;
  return p;
}

/* Echoing user text: "%.*s%s" with ECHO(s) prints at most ECHO_MAX bytes, cut on a UTF-8
 * boundary, followed by "..." when cut. */
static int echo_len(const char *s) {
  size_t n = strlen(s);
  if (n <= ECHO_MAX)
    return (int)n;
  n = ECHO_MAX;
  while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
    n--;
  return (int)n;
}
#define ECHO(s) echo_len(s), (s), (strlen(s) > ECHO_MAX ? "..." : "")

/* ---------------------------------------------------------------------------------------- */
/* Name lists: spelling out and suggesting valid names                                       */
/* ---------------------------------------------------------------------------------------- */

/* An iterator over names: returns the next name and advances *CURSOR, or NULL at the end.
 * Lists of keys, models, parameters and populations are all walked through this, so that
 * one function writes "a, b, c" and one finds the closest name to a misspelling. */
typedef const char *(*next_name_fn)(const void *arg, size_t *cursor);

/* A table of structs whose first member is the name. */
typedef struct {
  const void *base;
  size_t stride, n;
} table_ref;

static const char *next_in_table(const void *arg, size_t *cursor) {
  const table_ref *t = arg;
  if (*cursor >= t->n)
    return NULL;
  return *(const char *const *)((const char *)t->base + (*cursor)++ * t->stride);
}
#define TABLE_REF(tab) ((table_ref){(tab), sizeof(tab)[0], sizeof(tab) / sizeof(tab)[0]})

/* Writes the names as "a, b, c" into BUF, ending with ", ..." when they do not fit. */
static const char *list_names(next_name_fn next, const void *arg, char *buf, size_t cap) {
  size_t len = 0, cursor = 0;
  const char *name;
  buf[0] = '\0';
  while ((name = next(arg, &cursor)) != NULL) {
    size_t nl = strlen(name);
    if (len + nl + 8 >= cap) {
      snprintf(buf + len, cap - len, "%s...", len ? ", " : "");
      break;
    }
    len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", name);
  }
  if (len == 0 && buf[0] == '\0')
    snprintf(buf, cap, "(none)");
  return buf;
}

/* Edit distance between A and B (both at most 63 bytes; longer gives a large value). */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63)
    return SIZE_MAX;
  size_t row[64];
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

/* Returns " (did you mean 'x'?)" for the valid name closest to WORD when it is close enough
 * to be a plausible typo (at most a third of its letters off), else "". Uses BUF. */
static const char *suggest(const char *word, next_name_fn next, const void *arg, char *buf,
                           size_t cap) {
  size_t cursor = 0, best = SIZE_MAX;
  const char *name, *best_name = NULL;
  while ((name = next(arg, &cursor)) != NULL) {
    size_t d = edit_distance(word, name);
    if (d < best) {
      best = d;
      best_name = name;
    }
  }
  size_t limit = strlen(word) / 3;
  if (limit < 1)
    limit = 1;
  if (best_name == NULL || best == 0 || best > limit)
    return "";
  snprintf(buf, cap, " (did you mean '%s'?)", best_name);
  return buf;
}

/* ---------------------------------------------------------------------------------------- */
/* Neuron model queries (all through the public hebb_neuron_model_* functions)              */
/* ---------------------------------------------------------------------------------------- */

/* The unit strings the model tables use, and the dimension each one asks the parser for. */
static const struct {
  const char *unit;
  hebb_dim dim;
} UNIT_DIMS[] = {
    {"ms", HEBB_DIM_TIME},         {"mV", HEBB_DIM_VOLTAGE},     {"pA", HEBB_DIM_CURRENT},
    {"nS", HEBB_DIM_CONDUCTANCE},  {"pF", HEBB_DIM_CAPACITANCE}, {"Hz", HEBB_DIM_FREQUENCY},
    {"MOhm", HEBB_DIM_RESISTANCE}, {"", HEBB_DIM_NONE},
};

/* The dimension of a unit string from the model tables; false for one this file does not
 * know (a table entry newer than this reader). */
static bool dim_of_unit(const char *unit, hebb_dim *dim) {
  if (unit == NULL)
    unit = "";
  for (size_t i = 0; i < sizeof UNIT_DIMS / sizeof UNIT_DIMS[0]; i++)
    if (strcmp(UNIT_DIMS[i].unit, unit) == 0) {
      *dim = UNIT_DIMS[i].dim;
      return true;
    }
  return false;
}

static bool model_exists(const char *model) {
  for (size_t i = 0; i < hebb_neuron_model_count(); i++)
    if (strcmp(hebb_neuron_model_name(i), model) == 0)
      return true;
  return false;
}

/* Iterates the neuron models (ARG points to false) or the stimulus models (to true). */
static const char *next_model(const void *arg, size_t *cursor) {
  bool want_stimulus = *(const bool *)arg;
  while (*cursor < hebb_neuron_model_count()) {
    const char *name = hebb_neuron_model_name((*cursor)++);
    if (hebb_neuron_model_is_stimulus(name) == want_stimulus)
      return name;
  }
  return NULL;
}

/* Iterates the parameters and then the options of model ARG (the valid keys of params). */
static const char *next_param_or_option(const void *arg, size_t *cursor) {
  const char *model = arg, *unit, *allowed;
  double def;
  size_t np = 0;
  while (hebb_neuron_model_param(model, np, &unit, &def) != NULL)
    np++;
  size_t i = (*cursor)++;
  if (i < np)
    return hebb_neuron_model_param(model, i, &unit, &def);
  return hebb_neuron_model_option(model, i - np, &allowed);
}

/* Iterates the state variables of model ARG. */
static const char *next_state(const void *arg, size_t *cursor) {
  const char *unit;
  return hebb_neuron_model_state(arg, (*cursor)++, &unit);
}

/* Iterates the alternatives of an option's "a|b|c" list; ARG is the list, names are copied
 * into a small buffer that follows the cursor (so it must be walked in order). */
typedef struct {
  const char *allowed;
  char word[64];
} alt_iter;

static const char *next_alternative(const void *arg, size_t *cursor) {
  alt_iter *it = (alt_iter *)arg; /* the word buffer is scratch space owned by the caller */
  size_t len = strlen(it->allowed);
  if (len == 0 || *cursor > len)
    return NULL;
  const char *p = it->allowed + *cursor;
  size_t n = strcspn(p, "|");
  *cursor += n + 1; /* past the '|', or past the end after the last word */
  if (n >= sizeof it->word)
    n = sizeof it->word - 1;
  memcpy(it->word, p, n);
  it->word[n] = '\0';
  return it->word;
}

/* Whether VALUE is one of the '|'-separated ALLOWED values. */
static bool is_alternative(const char *allowed, const char *value) {
  size_t vl = strlen(value);
  for (const char *p = allowed;;) {
    size_t n = strcspn(p, "|");
    if (n == vl && memcmp(p, value, n) == 0)
      return true;
    if (p[n] == '\0')
      return false;
    p += n + 1;
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Plasticity rule queries (through the public hebb_rule_* functions)                        */
/* ---------------------------------------------------------------------------------------- */

/* Iterates the names of the plasticity rules (ARG is unused). */
static const char *next_plasticity_rule(const void *arg, size_t *cursor) {
  (void)arg;
  if (*cursor >= hebb_rule_count())
    return NULL;
  return hebb_rule_name((*cursor)++);
}

static bool plasticity_rule_exists(const char *rule) {
  for (size_t i = 0; i < hebb_rule_count(); i++)
    if (strcmp(hebb_rule_name(i), rule) == 0)
      return true;
  return false;
}

/* Iterates the parameters and then the options of plasticity rule ARG (the keys that may
 * follow rule: in a plasticity mapping). */
static const char *next_rule_param_or_option(const void *arg, size_t *cursor) {
  const char *rule = arg;
  size_t np = 0;
  while (hebb_rule_param(rule, np, NULL, NULL) != NULL)
    np++;
  size_t i = (*cursor)++;
  if (i < np)
    return hebb_rule_param(rule, i, NULL, NULL);
  return hebb_rule_option(rule, i - np, NULL);
}

/* The keys of a plasticity mapping that belong to the file format, not to a rule: they are
 * read as such whatever the rule, so a rule parameter cannot have one of these names. */
enum { XK_MODULATOR, XK_REWARDS, XK_SCHEDULE, XK_CRITIC, XK_COUNT };
static const char *const PLAST_RESERVED[XK_COUNT] = {"modulator", "rewards", "schedule", "critic"};

/* Iterates every key that may follow rule: in a plasticity mapping of rule ARG: its
 * parameters and options, then the reserved keys. */
static const char *next_plasticity_key(const void *arg, size_t *cursor) {
  size_t nrule = 0, i = (*cursor)++;
  while (next_rule_param_or_option(arg, &nrule) != NULL)
    ;
  nrule--; /* the last call moved past the end */
  if (i < nrule) {
    size_t at = i;
    return next_rule_param_or_option(arg, &at);
  }
  return i - nrule < XK_COUNT ? PLAST_RESERVED[i - nrule] : NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* YAML node helpers                                                                         */
/* ---------------------------------------------------------------------------------------- */

static yaml_node_t *node_at(ctx_t *c, int index) {
  return yaml_document_get_node(c->doc, index);
}

static const char *scalar_text(const yaml_node_t *n) {
  return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Whether N is YAML's null: a plain empty scalar ("key:" with nothing after it), "~" or
 * "null". Such a value stands for an empty mapping or list where one is optional. */
static bool is_null(const yaml_node_t *n) {
  if (n == NULL || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return false;
  const char *s = scalar_text(n);
  return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
         strcmp(s, "NULL") == 0;
}

/* "a mapping", "a sequence", "an empty value" or "a scalar 'x'", for type mismatches. */
static const char *kind_of(const yaml_node_t *n, char *buf, size_t cap) {
  if (n->type == YAML_MAPPING_NODE)
    return "a mapping";
  if (n->type == YAML_SEQUENCE_NODE)
    return "a sequence";
  if (is_null(n) || n->data.scalar.length == 0)
    return "an empty value";
  snprintf(buf, cap, "the scalar '%.*s%s'", ECHO(scalar_text(n)));
  return buf;
}

static size_t seq_len(const yaml_node_t *n) {
  return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_item(ctx_t *c, const yaml_node_t *n, size_t i) {
  return node_at(c, n->data.sequence.items.start[i]);
}

static size_t map_len(const yaml_node_t *n) {
  return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

/* The key node of the pair whose key is the scalar NAME in mapping N, or NULL. */
static yaml_node_t *map_key(ctx_t *c, const yaml_node_t *n, const char *name) {
  if (n == NULL || n->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
    yaml_node_t *k = node_at(c, p->key);
    const char *s = scalar_text(k);
    if (s != NULL && strcmp(s, name) == 0)
      return k;
  }
  return NULL;
}

/* The value of key NAME in mapping N as text, or NULL (used to name an entry in messages
 * before its keys are checked). */
static const char *peek_scalar(ctx_t *c, const yaml_node_t *n, const char *name) {
  if (n == NULL || n->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
    const char *s = scalar_text(node_at(c, p->key));
    if (s != NULL && strcmp(s, name) == 0) {
      yaml_node_t *v = node_at(c, p->value);
      return is_null(v) ? NULL : scalar_text(v);
    }
  }
  return NULL;
}

/* Returns the text of scalar NODE, or reports that it is not a usable scalar (a mapping, a
 * list, nothing at all, or text with a NUL in it) and returns NULL. FIELD names the key in
 * the message; HINT says what a valid value looks like. */
static const char *need_scalar(ctx_t *c, const yaml_node_t *node, const char *field,
                               const char *hint) {
  char kb[96];
  if (node->type != YAML_SCALAR_NODE || is_null(node) || node->data.scalar.length == 0) {
    report(c, node, "%s is %s; expected %s", field, kind_of(node, kb, sizeof kb), hint);
    return NULL;
  }
  const char *s = scalar_text(node);
  if (strlen(s) != node->data.scalar.length) {
    report(c, node, "%s contains a NUL character; expected %s", field, hint);
    return NULL;
  }
  return s;
}

/* Checks NODE's type: a sequence (or, when EMPTY_OK, a null meaning an empty one). Reports
 * and returns false otherwise; *N receives the number of items. */
static bool need_sequence(ctx_t *c, const yaml_node_t *node, const char *field, const char *hint,
                          bool empty_ok, size_t *n) {
  char kb[96];
  *n = 0;
  if (empty_ok && is_null(node))
    return true;
  if (node->type != YAML_SEQUENCE_NODE) {
    report(c, node, "%s is %s; expected %s", field, kind_of(node, kb, sizeof kb), hint);
    return false;
  }
  *n = seq_len(node);
  return true;
}

/* ---------------------------------------------------------------------------------------- */
/* Mappings with a fixed set of keys                                                         */
/* ---------------------------------------------------------------------------------------- */

/* One allowed key of a mapping: its name, whether it must be present, and what its value
 * looks like (for "missing" and "wrong type" messages). */
typedef struct {
  const char *name;
  bool required;
  const char *hint;
} key_spec;

/* Checks that NODE is a mapping whose keys all come from KEYS (N of them), each at
 * most once and every required one present; stores each value in VALS[i] and its key in
 * KEYNODES[i] (NULL when absent). WHAT names the mapping in messages ("population 'exc'").
 * With EMPTY_OK a null value counts as an empty mapping. Every problem is reported; returns
 * false only when NODE is not a mapping at all, so that the caller skips the entry. */
static bool read_mapping(ctx_t *c, const yaml_node_t *node, const key_spec *keys, size_t n,
                         const char *what, bool empty_ok, yaml_node_t **keynodes,
                         yaml_node_t **vals) {
  char kb[96], names[LIST_MAX], sug[96];
  table_ref tab = {keys, sizeof *keys, n};
  for (size_t i = 0; i < n; i++)
    keynodes[i] = vals[i] = NULL;
  if (!(empty_ok && is_null(node))) {
    if (node->type != YAML_MAPPING_NODE) {
      report(c, node, "%s is %s; expected a mapping with keys %s", what,
             kind_of(node, kb, sizeof kb), list_names(next_in_table, &tab, names, sizeof names));
      return false;
    }
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
      yaml_node_t *k = node_at(c, p->key);
      const char *ks = scalar_text(k);
      if (ks == NULL) {
        report(c, k, "a key in %s is %s; expected a plain key such as %s", what,
               kind_of(k, kb, sizeof kb), keys[0].name);
        continue;
      }
      size_t i = 0;
      while (i < n && strcmp(keys[i].name, ks) != 0)
        i++;
      if (i == n) {
        report(c, k, "unknown key '%.*s%s' in %s%s; expected one of %s", ECHO(ks), what,
               suggest(ks, next_in_table, &tab, sug, sizeof sug),
               list_names(next_in_table, &tab, names, sizeof names));
      } else if (keynodes[i] != NULL) {
        report(c, k,
               "duplicate key '%s' in %s (first given at line %d, column %d); expected "
               "each key once",
               ks, what, (int)keynodes[i]->start_mark.line + 1,
               (int)keynodes[i]->start_mark.column + 1);
      } else {
        keynodes[i] = k;
        vals[i] = node_at(c, p->value);
      }
    }
  }
  for (size_t i = 0; i < n; i++)
    if (keys[i].required && vals[i] == NULL)
      report(c, node, "missing required key '%s' in %s; expected %s: %s", keys[i].name, what,
             keys[i].name, keys[i].hint);
  return true;
}

/* ---------------------------------------------------------------------------------------- */
/* Scalar values                                                                             */
/* ---------------------------------------------------------------------------------------- */

/* "a time (default unit ms)" and the like, for messages about a missing quantity. */
static const char *quantity_hint(hebb_dim dim, char *buf, size_t cap) {
  if (dim == HEBB_DIM_NONE)
    return "a number";
  snprintf(buf, cap, "a %s (default unit %s)", hebb_dim_name(dim), hebb_dim_unit(dim));
  return buf;
}

/* Reads scalar NODE as a quantity of dimension DIM into *OUT (in the default unit). The
 * unit parser's message says what was wrong and what was expected. */
static bool read_quantity(ctx_t *c, const yaml_node_t *node, hebb_dim dim, const char *field,
                          double *out) {
  char hint[96], err[256];
  const char *s = need_scalar(c, node, field, quantity_hint(dim, hint, sizeof hint));
  if (s == NULL)
    return false;
  if (hebb_units_parse(s, dim, out, err, sizeof err) != 0) {
    /* Most unit messages say what was expected; add it to those that do not. */
    if (strstr(err, "expected") != NULL)
      report(c, node, "invalid %s: %s", field, err);
    else
      report(c, node, "invalid %s: %s; expected %s", field, err, hint);
    return false;
  }
  return true;
}

/* Reports that the whole number in NODE exceeds MAX; the limit is spelled out unless the
 * hint already gives the range. */
static void report_too_large(ctx_t *c, const yaml_node_t *node, const char *field, const char *text,
                             uint64_t max, const char *hint) {
  char limit[48] = "";
  if (strstr(hint, " to ") == NULL)
    snprintf(limit, sizeof limit, " (at most %llu)", (unsigned long long)max);
  report(c, node, "%s %.*s%s is too large; expected %s%s", field, ECHO(text), hint, limit);
}

/* Reads a whole number in [MIN, MAX] from scalar NODE. Plain digits are read exactly (a
 * seed may need all 64 bits); other spellings ("1e4", "2.5", "-3") go through the number
 * parser so that a fraction or a negative number is named as such. */
static bool read_uint(ctx_t *c, const yaml_node_t *node, const char *field, uint64_t min,
                      uint64_t max, const char *hint, uint64_t *out) {
  const char *s = need_scalar(c, node, field, hint);
  if (s == NULL)
    return false;
  const char *p = s;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '+')
    p++;
  size_t digits = strspn(p, "0123456789");
  size_t tail = digits;
  while (p[tail] == ' ' || p[tail] == '\t')
    tail++;
  uint64_t v = 0;
  if (digits > 0 && p[tail] == '\0') {
    for (size_t i = 0; i < digits; i++) {
      unsigned d = (unsigned)(p[i] - '0');
      if (v > (UINT64_MAX - d) / 10) {
        report_too_large(c, node, field, s, max, hint);
        return false;
      }
      v = v * 10 + d;
    }
  } else {
    double x;
    char err[256];
    if (hebb_units_parse(s, HEBB_DIM_NONE, &x, err, sizeof err) != 0) {
      /* The parser's own "expected a dimensionless number" is less to the point than the
       * hint; what it found wrong (hexadecimal, a unit, not finite) is kept. */
      char *cut = strstr(err, "; expected");
      if (cut != NULL)
        *cut = '\0';
      if (strncmp(err, "expected a", 10) == 0)
        report(c, node, "invalid %s '%.*s%s'; expected %s", field, ECHO(s), hint);
      else
        report(c, node, "invalid %s: %s; expected %s", field, err, hint);
      return false;
    }
    if (x < 0) {
      report(c, node, "%s %.*s%s is negative; expected %s", field, ECHO(s), hint);
      return false;
    }
    if (x != floor(x)) {
      report(c, node, "%s %.*s%s is not a whole number; expected %s", field, ECHO(s), hint);
      return false;
    }
    if (x > 9007199254740992.0) { /* 2^53: beyond it a double no longer holds every integer */
      report_too_large(c, node, field, s, max < 9007199254740992u ? max : 9007199254740992u, hint);
      return false;
    }
    v = (uint64_t)x;
  }
  if (v > max) {
    report_too_large(c, node, field, s, max, hint);
    return false;
  }
  if (v < min) {
    report(c, node, "%s must not be %llu; expected %s", field, (unsigned long long)v, hint);
    return false;
  }
  *out = v;
  return true;
}

/* Reads a YAML boolean (true/false, also YAML 1.1's yes/no/on/off). */
static bool read_bool(ctx_t *c, const yaml_node_t *node, const char *field, bool *out) {
  static const struct {
    const char *text;
    bool value;
  } WORDS[] = {{"true", true},   {"True", true},   {"TRUE", true},   {"yes", true}, {"on", true},
               {"false", false}, {"False", false}, {"FALSE", false}, {"no", false}, {"off", false}};
  const char *s = need_scalar(c, node, field, "true or false");
  if (s == NULL)
    return false;
  for (size_t i = 0; i < sizeof WORDS / sizeof WORDS[0]; i++)
    if (strcmp(WORDS[i].text, s) == 0) {
      *out = WORDS[i].value;
      return true;
    }
  report(c, node, "invalid %s '%.*s%s'; expected true or false", field, ECHO(s));
  return false;
}

/* Whether S is a valid name: [A-Za-z_][A-Za-z0-9_]*. */
static bool is_identifier(const char *s) {
  static const char FIRST[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
  if (s[0] == '\0' || strchr(FIRST, s[0]) == NULL)
    return false;
  for (const char *p = s + 1; *p != '\0'; p++)
    if (strchr(FIRST, *p) == NULL && !(*p >= '0' && *p <= '9'))
      return false;
  return true;
}

/* Reads a name ([A-Za-z_][A-Za-z0-9_]*) from NODE, or reports why it is not one. */
static const char *read_name(ctx_t *c, const yaml_node_t *node, const char *field) {
  const char *s = need_scalar(c, node, field, "a name made of letters, digits and '_'");
  if (s != NULL && !is_identifier(s)) {
    report(c, node,
           "invalid %s '%.*s%s'; expected a name made of letters, digits and '_' that "
           "does not start with a digit",
           field, ECHO(s));
    return NULL;
  }
  if (s != NULL && strlen(s) > NAME_MAX_LEN) {
    report(c, node, "%s '%.*s%s' is %zu characters long; expected at most %d", field, ECHO(s),
           strlen(s), NAME_MAX_LEN);
    return NULL;
  }
  return s;
}

/* ---------------------------------------------------------------------------------------- */
/* Distributions                                                                             */
/* ---------------------------------------------------------------------------------------- */

enum { DK_DISTRIBUTION, DK_VALUE, DK_LOW, DK_HIGH, DK_MEAN, DK_STD, DK_COUNT };

static const key_spec DIST_KEYS[DK_COUNT] = {
    [DK_DISTRIBUTION] = {"distribution", true, "constant, uniform, normal or normal_clipped"},
    [DK_VALUE] = {"value", false, "a value"},
    [DK_LOW] = {"low", false, "a value"},
    [DK_HIGH] = {"high", false, "a value"},
    [DK_MEAN] = {"mean", false, "a value"},
    [DK_STD] = {"std", false, "a non-negative value"},
};

#define BIT(k) (1u << (k))

/* Each distribution: which keys it requires and which it allows (bit masks over DK_*). */
static const struct {
  const char *name;
  hebb_dist_kind kind;
  unsigned required, allowed;
  const char *keys; /* the allowed keys, spelled out for messages */
} DISTS[] = {
    {"constant", HEBB_DIST_CONSTANT, BIT(DK_VALUE), BIT(DK_VALUE), "value"},
    {"uniform", HEBB_DIST_UNIFORM, BIT(DK_LOW) | BIT(DK_HIGH), BIT(DK_LOW) | BIT(DK_HIGH),
     "low and high"},
    {"normal", HEBB_DIST_NORMAL, BIT(DK_MEAN) | BIT(DK_STD), BIT(DK_MEAN) | BIT(DK_STD),
     "mean and std"},
    {"normal_clipped", HEBB_DIST_NORMAL_CLIPPED, BIT(DK_MEAN) | BIT(DK_STD),
     BIT(DK_MEAN) | BIT(DK_STD) | BIT(DK_LOW) | BIT(DK_HIGH), "mean, std, low and high"},
};

/* Reads NODE as a value of dimension DIM: a plain scalar is a constant, a mapping names a
 * distribution with its parameters (see docs/model-format.md). FIELD names it ("weight",
 * "V_m"). Returns false after reporting every problem found. */
static bool read_dist(ctx_t *c, const yaml_node_t *node, hebb_dim dim, const char *field,
                      hebb_dist *out) {
  char what[128], hint[96], names[LIST_MAX], sug[96];
  if (node->type == YAML_SCALAR_NODE) {
    double v;
    if (!read_quantity(c, node, dim, field, &v))
      return false;
    *out = hebb_dist_const(v);
    return true;
  }
  if (node->type == YAML_SEQUENCE_NODE) {
    report(c, node,
           "%s is a sequence; expected %s or a mapping such as {distribution: normal, "
           "mean: ..., std: ...}",
           field, quantity_hint(dim, hint, sizeof hint));
    return false;
  }
  snprintf(what, sizeof what, "the distribution of %s", field);
  yaml_node_t *keys[DK_COUNT], *vals[DK_COUNT];
  read_mapping(c, node, DIST_KEYS, DK_COUNT, what, false, keys, vals);
  if (vals[DK_DISTRIBUTION] == NULL)
    return false;
  table_ref tab = TABLE_REF(DISTS);
  const char *name = need_scalar(c, vals[DK_DISTRIBUTION], "distribution",
                                 "constant, uniform, normal or normal_clipped");
  if (name == NULL)
    return false;
  size_t d = 0;
  while (d < sizeof DISTS / sizeof DISTS[0] && strcmp(DISTS[d].name, name) != 0)
    d++;
  if (d == sizeof DISTS / sizeof DISTS[0]) {
    report(c, vals[DK_DISTRIBUTION], "unknown distribution '%.*s%s'%s; expected one of %s",
           ECHO(name), suggest(name, next_in_table, &tab, sug, sizeof sug),
           list_names(next_in_table, &tab, names, sizeof names));
    return false;
  }
  bool ok = true;
  double v[DK_COUNT] = {0};
  for (int k = DK_VALUE; k < DK_COUNT; k++) {
    char sub[128];
    snprintf(sub, sizeof sub, "%s of %s", DIST_KEYS[k].name, field);
    if (vals[k] != NULL && !(DISTS[d].allowed & BIT(k))) {
      report(c, keys[k], "'%s' is not used by distribution %s; expected only %s", DIST_KEYS[k].name,
             DISTS[d].name, DISTS[d].keys);
      ok = false;
    } else if (vals[k] == NULL && (DISTS[d].required & BIT(k))) {
      report(c, node, "distribution %s of %s needs '%s'; expected %s", DISTS[d].name, field,
             DIST_KEYS[k].name, DISTS[d].keys);
      ok = false;
    } else if (vals[k] != NULL && !read_quantity(c, vals[k], dim, sub, &v[k])) {
      ok = false;
    }
  }
  if (!ok)
    return false;
  hebb_dist r = {DISTS[d].kind, 0, 0, -INFINITY, INFINITY};
  switch (DISTS[d].kind) {
  case HEBB_DIST_CONSTANT:
    r.a = v[DK_VALUE];
    break;
  case HEBB_DIST_UNIFORM:
    r.a = v[DK_LOW];
    r.b = v[DK_HIGH];
    break;
  case HEBB_DIST_NORMAL:
  case HEBB_DIST_NORMAL_CLIPPED:
    r.a = v[DK_MEAN];
    r.b = v[DK_STD];
    if (vals[DK_LOW] != NULL)
      r.lo = v[DK_LOW];
    if (vals[DK_HIGH] != NULL)
      r.hi = v[DK_HIGH];
    break;
  }
  if ((DISTS[d].allowed & BIT(DK_STD)) && r.b < 0) {
    report(c, vals[DK_STD], "std of %s is negative (%g); expected a value >= 0", field, r.b);
    ok = false;
  }
  double lo = r.kind == HEBB_DIST_UNIFORM ? r.a : r.lo;
  double hi = r.kind == HEBB_DIST_UNIFORM ? r.b : r.hi;
  if (vals[DK_LOW] != NULL && vals[DK_HIGH] != NULL && !(lo < hi)) {
    report(c, vals[DK_HIGH], "high of %s (%g) is not above low (%g); expected low < high", field,
           hi, lo);
    ok = false;
  }
  if (ok)
    *out = r;
  return ok;
}

/* ---------------------------------------------------------------------------------------- */
/* The intermediate description filled by phase 1                                            */
/* ---------------------------------------------------------------------------------------- */

typedef struct {
  yaml_node_t *key;
  const char *name;
  const char *option; /* the value, for an option; NULL for a numeric parameter */
  double value;
} param_item;

typedef struct {
  yaml_node_t *key;
  const char *var;
  hebb_dist dist;
} init_item;

typedef struct {
  yaml_node_t *node; /* the neuron's list */
  double *t;
  size_t n;
} times_item;

/* A population or a stimulus. */
typedef struct {
  yaml_node_t *node; /* the entry's mapping */
  const char *name;  /* NULL when missing or invalid */
  const char *model; /* NULL when missing or unknown */
  uint32_t size;     /* 0 when missing or invalid */
  bool stimulus;     /* listed under stimuli */
  bool misplaced;    /* a stimulus model under populations or the reverse (reported) */
  yaml_node_t *params_node, *initial_node;
  param_item *params;
  size_t nparams;
  init_item *inits;
  size_t ninits;
  times_item *times;
  size_t ntimes;
  /* target spike trains (target: {spike_times, period}); target_node NULL without */
  yaml_node_t *target_node;
  times_item *target;
  size_t ntarget;
  double target_period;
  int id; /* builder id; -1 when adding it failed */
} pop_entry;

/* A scheduled neuromodulator event (plasticity.rewards) or a switch of a learning schedule
 * (plasticity.schedule.switches): its mapping, time and amount or learning state. */
typedef struct {
  yaml_node_t *node;
  double at, amount;
  bool learn;
} timed_item;

typedef struct {
  yaml_node_t *node;
  int src, dst; /* indexes into ir.pops, -1 when unknown */
  hebb_projection_spec spec;
  /* The name the builder will give it: spec.name, or SOURCE_to_TARGET (in default_name)
   * for an unnamed one; NULL while unknown. record.weights refers to it. */
  const char *name;
  char default_name[2 * NAME_MAX_LEN + 8];
  /* plasticity: the key and its mapping (NULL without), the rule (NULL when none or not
   * valid) and its parameters and options in file order */
  yaml_node_t *plast_key, *plast_node;
  const char *plast_rule;
  param_item *plast_params;
  size_t nplast_params;
  /* the plasticity keys that are not rule parameters, each with its key node (NULL when
   * absent or not valid): the modulator (mapping, population index into ir.pops, delay when
   * given), the rewards in time order, the learning schedule (switches and repeat) */
  yaml_node_t *mod_key, *mod_node;
  int mod_pop;
  bool mod_has_delay;
  double mod_delay;
  yaml_node_t *rewards_key;
  timed_item *rewards;
  size_t nrewards;
  yaml_node_t *sched_key, *sched_node;
  timed_item *switches;
  size_t nswitches;
  double repeat;
  /* the critic: its key and mapping (NULL when absent or not valid), the watched neurons
   * (populations as indexes into ir.pops), window, delay and amount */
  yaml_node_t *critic_key, *critic_node;
  int critic_pop[2];
  uint64_t critic_index[2];
  double critic_window, critic_amount;
  hebb_dist critic_delay;
  /* a feedback entry (a `feedback:` key): it carries the error of the source, which has a
   * target, back to the target, a hidden layer (hebb_model_add_feedback), not spikes */
  bool feedback;
  int fb_kind; /* hebb_feedback_kind, -1 when not valid */
  double fb_delay, fb_scale;
  int id; /* builder id; -1 until added */
} proj_entry;

typedef struct {
  yaml_node_t *node;
  int pop;
} spike_rec;

/* One entry of record.weights. */
typedef struct {
  yaml_node_t *node;    /* the entry's mapping */
  yaml_node_t *at;      /* its projection value, for duplicate messages */
  yaml_node_t *every_k; /* the every key */
  int proj;             /* index into ir.projs, -1 when unknown */
  double every;
} weight_rec;

typedef struct {
  yaml_node_t *node;
  int pop;
  const char **vars;
  yaml_node_t **var_nodes;
  size_t nvars;
  uint32_t *neurons;
  size_t nneurons;
  bool has_interval;
  double interval;
} state_rec;

enum { SK_DT, SK_DURATION, SK_SEED, SK_THREADS, SK_COUNT };

typedef struct {
  ctx_t *c;
  yaml_node_t *root;
  yaml_node_t *sim_node;
  yaml_node_t *sim_keys[SK_COUNT];
  bool sim_has[SK_COUNT];
  double dt, duration;
  uint64_t seed, threads;
  pop_entry *pops; /* populations, then stimuli, in file order */
  size_t npops;
  proj_entry *projs;
  size_t nprojs;
  spike_rec *spikes;
  size_t nspikes;
  /* Some population or stimulus has no usable name (reported): a reference to an unknown
   * name may mean that one, so it is not reported as a second problem. */
  bool names_incomplete;
  state_rec *states;
  size_t nstates;
  weight_rec *weights;
  size_t nweights;
  /* Some projection has no known name (reported): an unknown projection name in
   * record.weights may mean that one, so it is not reported as a second problem. */
  bool proj_names_incomplete;
} ir_t;

static void ir_free(ir_t *ir) {
  for (size_t i = 0; i < ir->npops; i++) {
    pop_entry *p = &ir->pops[i];
    free(p->params);
    free(p->inits);
    for (size_t j = 0; j < p->ntimes; j++)
      free(p->times[j].t);
    free(p->times);
    for (size_t j = 0; j < p->ntarget; j++)
      free(p->target[j].t);
    free(p->target);
  }
  free(ir->pops);
  for (size_t i = 0; i < ir->nprojs; i++) {
    free(ir->projs[i].plast_params);
    free(ir->projs[i].rewards);
    free(ir->projs[i].switches);
  }
  free(ir->projs);
  free(ir->spikes);
  free(ir->weights);
  for (size_t i = 0; i < ir->nstates; i++) {
    free(ir->states[i].vars);
    free(ir->states[i].var_nodes);
    free(ir->states[i].neurons);
  }
  free(ir->states);
}

/* Iterates the names of ir's entries: ARG is an entry_filter. */
typedef struct {
  const ir_t *ir;
  int which; /* 0: populations and stimuli; 1: populations only */
} entry_filter;

static const char *next_entry(const void *arg, size_t *cursor) {
  const entry_filter *f = arg;
  while (*cursor < f->ir->npops) {
    const pop_entry *p = &f->ir->pops[(*cursor)++];
    if (p->name != NULL && !(f->which == 1 && p->stimulus))
      return p->name;
  }
  return NULL;
}

/* The index of the entry called NAME, or -1. */
static int find_entry(const ir_t *ir, const char *name) {
  for (size_t i = 0; i < ir->npops; i++)
    if (ir->pops[i].name != NULL && strcmp(ir->pops[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* "population 'exc'", or "population #3" while the name is not known. */
static const char *entry_what(const char *kind, const char *name, size_t index, char *buf,
                              size_t cap) {
  if (name != NULL)
    snprintf(buf, cap, "%s '%.*s%s'", kind, ECHO(name));
  else
    snprintf(buf, cap, "%s #%zu", kind, index + 1);
  return buf;
}

/* ---------------------------------------------------------------------------------------- */
/* Phase 1: simulation                                                                       */
/* ---------------------------------------------------------------------------------------- */

static const key_spec SIM_KEYS[SK_COUNT] = {
    [SK_DT] = {"dt", false, "a time step such as 0.1 ms"},
    [SK_DURATION] = {"duration", false, "a time such as 1 s"},
    [SK_SEED] = {"seed", false, "a non-negative integer"},
    [SK_THREADS] = {"threads", false, "a positive integer"},
};

static void read_simulation(ir_t *ir, yaml_node_t *node) {
  ctx_t *c = ir->c;
  yaml_node_t *vals[SK_COUNT];
  ir->sim_node = node;
  if (!read_mapping(c, node, SIM_KEYS, SK_COUNT, "simulation", true, ir->sim_keys, vals))
    return;
  if (vals[SK_DT] != NULL)
    ir->sim_has[SK_DT] = read_quantity(c, vals[SK_DT], HEBB_DIM_TIME, "dt", &ir->dt);
  if (vals[SK_DURATION] != NULL)
    ir->sim_has[SK_DURATION] =
        read_quantity(c, vals[SK_DURATION], HEBB_DIM_TIME, "duration", &ir->duration);
  if (vals[SK_SEED] != NULL)
    ir->sim_has[SK_SEED] =
        read_uint(c, vals[SK_SEED], "seed", 0, UINT64_MAX, "a non-negative integer", &ir->seed);
  if (vals[SK_THREADS] != NULL)
    ir->sim_has[SK_THREADS] =
        read_uint(c, vals[SK_THREADS], "threads", 1, INT_MAX, "a positive integer", &ir->threads);
}

/* ---------------------------------------------------------------------------------------- */
/* Phase 1: populations and stimuli                                                          */
/* ---------------------------------------------------------------------------------------- */

enum { PK_NAME, PK_SIZE, PK_MODEL, PK_PARAMS, PK_INITIAL, PK_SPIKE_TIMES, PK_TARGET, PK_COUNT };

static const key_spec POP_KEYS[PK_COUNT] = {
    [PK_NAME] = {"name", true, "a name made of letters, digits and '_'"},
    [PK_SIZE] = {"size", true, "a positive integer"},
    [PK_MODEL] = {"model", true, "a model name such as iaf_psc_exp"},
    [PK_PARAMS] = {"params", false, "a mapping of parameter names to values"},
    [PK_INITIAL] = {"initial", false, "a mapping of state variables to values"},
    [PK_SPIKE_TIMES] = {"spike_times", false, "one list of spike times per neuron"},
    [PK_TARGET] =
        {"target", false,
         "{spike_times: one list per neuron, period: TIME} or {file: PATH, period: TIME}"},
};

/* spike_times and file are alternatives: exactly one of them is required (read_target). */
enum { TGK_SPIKE_TIMES, TGK_FILE, TGK_PERIOD, TGK_COUNT };
static const key_spec TARGET_KEYS[TGK_COUNT] = {
    [TGK_SPIKE_TIMES] = {"spike_times", false, "one list of target spike times per neuron"},
    [TGK_FILE] = {"file", false, "a target file of 'index<TAB>time_ms' lines"},
    [TGK_PERIOD] = {"period", true, "a time: the target repeats with this period"},
};

/* Reads the params mapping of entry P (whose model is known): each key must be a parameter
 * of the model (value with the parameter's unit) or one of its options (value among the
 * allowed ones). */
static void read_params(ir_t *ir, pop_entry *p, yaml_node_t *node, const char *what) {
  ctx_t *c = ir->c;
  char kb[96], names[LIST_MAX], sug[96], field[160];
  if (is_null(node))
    return;
  if (node->type != YAML_MAPPING_NODE) {
    report(c, node, "params of %s is %s; expected a mapping such as {%s: ...}", what,
           kind_of(node, kb, sizeof kb), next_param_or_option(p->model, &(size_t){0}));
    return;
  }
  size_t npairs = map_len(node), nkeys = 0;
  size_t cursor = 0;
  while (next_param_or_option(p->model, &cursor) != NULL)
    nkeys++;
  if (nkeys == 0 && npairs > 0) {
    report(c, node, "params of %s: model %s has no parameters; expected no params", what, p->model);
    return;
  }
  yaml_node_t **seen = xcalloc(c, nkeys + 1, sizeof *seen);
  p->params = xcalloc(c, npairs, sizeof *p->params);
  if (seen == NULL || (npairs > 0 && p->params == NULL)) {
    free(seen);
    return;
  }
  for (yaml_node_pair_t *pp = node->data.mapping.pairs.start; pp < node->data.mapping.pairs.top;
       pp++) {
    yaml_node_t *k = node_at(c, pp->key), *v = node_at(c, pp->value);
    const char *ks = scalar_text(k);
    if (ks == NULL) {
      report(c, k, "a key in params of %s is %s; expected a parameter name", what,
             kind_of(k, kb, sizeof kb));
      continue;
    }
    /* Find the key among the parameters then the options: same order as the iterator. */
    size_t idx = 0;
    const char *name;
    cursor = 0;
    while ((name = next_param_or_option(p->model, &cursor)) != NULL && strcmp(name, ks) != 0)
      idx++;
    if (name == NULL) {
      report(c, k, "unknown parameter '%.*s%s' for model %s%s; expected one of %s", ECHO(ks),
             p->model, suggest(ks, next_param_or_option, p->model, sug, sizeof sug),
             list_names(next_param_or_option, p->model, names, sizeof names));
      continue;
    }
    if (seen[idx] != NULL) {
      report(c, k,
             "duplicate parameter '%s' in %s (first given at line %d, column %d); "
             "expected each parameter once",
             ks, what, (int)seen[idx]->start_mark.line + 1, (int)seen[idx]->start_mark.column + 1);
      continue;
    }
    seen[idx] = k;
    param_item *it = &p->params[p->nparams];
    it->key = k;
    it->name = ks;
    const char *unit, *allowed;
    double def;
    if (hebb_neuron_model_param(p->model, idx, &unit, &def) != NULL) {
      hebb_dim dim;
      if (!dim_of_unit(unit, &dim)) {
        report(c, k,
               "parameter %s of model %s has the unit '%s' that this reader does not "
               "know; expected one of ms, mV, pA, nS, pF, Hz, MOhm",
               ks, p->model, unit);
        continue;
      }
      if (read_quantity(c, v, dim, ks, &it->value))
        p->nparams++;
      continue;
    }
    size_t np = 0;
    while (hebb_neuron_model_param(p->model, np, &unit, &def) != NULL)
      np++;
    hebb_neuron_model_option(p->model, idx - np, &allowed);
    alt_iter alts = {allowed, ""};
    snprintf(field, sizeof field, "option %s", ks);
    const char *s =
        need_scalar(c, v, field, list_names(next_alternative, &alts, names, sizeof names));
    if (s == NULL)
      continue;
    if (!is_alternative(allowed, s)) {
      report(c, v, "invalid value '%.*s%s' for option %s of model %s; expected one of %s", ECHO(s),
             ks, p->model, list_names(next_alternative, &alts, names, sizeof names));
      continue;
    }
    it->option = s;
    p->nparams++;
  }
  free(seen);
}

/* Reads the initial mapping of entry P (whose model is known): state variable -> value or
 * distribution, in the variable's unit. */
static void read_initial(ir_t *ir, pop_entry *p, yaml_node_t *node, const char *what) {
  ctx_t *c = ir->c;
  char kb[96], names[LIST_MAX], sug[96];
  if (is_null(node))
    return;
  if (node->type != YAML_MAPPING_NODE) {
    report(c, node, "initial of %s is %s; expected a mapping of state variables (%s) to values",
           what, kind_of(node, kb, sizeof kb),
           list_names(next_state, p->model, names, sizeof names));
    return;
  }
  size_t npairs = map_len(node), nvars = 0;
  const char *unit;
  while (hebb_neuron_model_state(p->model, nvars, &unit) != NULL)
    nvars++;
  if (nvars == 0 && npairs > 0) {
    report(c, node,
           "initial of %s: model %s has no state variables; expected no initial "
           "values",
           what, p->model);
    return;
  }
  yaml_node_t **seen = xcalloc(c, nvars + 1, sizeof *seen);
  p->inits = xcalloc(c, npairs, sizeof *p->inits);
  if (seen == NULL || (npairs > 0 && p->inits == NULL)) {
    free(seen);
    return;
  }
  for (yaml_node_pair_t *pp = node->data.mapping.pairs.start; pp < node->data.mapping.pairs.top;
       pp++) {
    yaml_node_t *k = node_at(c, pp->key), *v = node_at(c, pp->value);
    const char *ks = scalar_text(k);
    if (ks == NULL) {
      report(c, k, "a key in initial of %s is %s; expected a state variable name", what,
             kind_of(k, kb, sizeof kb));
      continue;
    }
    size_t idx = 0;
    const char *name;
    while ((name = hebb_neuron_model_state(p->model, idx, &unit)) != NULL && strcmp(name, ks))
      idx++;
    if (name == NULL) {
      report(c, k, "unknown state variable '%.*s%s' for model %s%s; expected one of %s", ECHO(ks),
             p->model, suggest(ks, next_state, p->model, sug, sizeof sug),
             list_names(next_state, p->model, names, sizeof names));
      continue;
    }
    if (seen[idx] != NULL) {
      report(c, k,
             "duplicate state variable '%s' in %s (first given at line %d, column %d); "
             "expected each variable once",
             ks, what, (int)seen[idx]->start_mark.line + 1, (int)seen[idx]->start_mark.column + 1);
      continue;
    }
    seen[idx] = k;
    hebb_dim dim;
    if (!dim_of_unit(unit, &dim)) {
      report(c, k,
             "state variable %s of model %s has the unit '%s' that this reader does not "
             "know; expected one of ms, mV, pA, nS, pF, Hz, MOhm",
             ks, p->model, unit);
      continue;
    }
    init_item *it = &p->inits[p->ninits];
    it->key = k;
    it->var = ks;
    if (read_dist(c, v, dim, ks, &it->dist))
      p->ninits++;
  }
  free(seen);
}

/* Reads spike_times of entry P (a spike_generator's, or its target's): one list of times
 * per neuron, into *OUT (*NOUT lists). */
static void read_spike_times(ir_t *ir, pop_entry *p, yaml_node_t *node, const char *what,
                             times_item **out, size_t *nout) {
  ctx_t *c = ir->c;
  size_t n;
  if (!need_sequence(c, node, "spike_times", "one list of times per neuron, such as [[1 ms], []]",
                     false, &n))
    return;
  if (p->size > 0 && n != p->size)
    report(c, node,
           "spike_times of %s has %zu list%s but size is %u; expected one list of "
           "times per neuron (%u lists)",
           what, n, n == 1 ? "" : "s", (unsigned)p->size, (unsigned)p->size);
  *out = xcalloc(c, n, sizeof **out);
  if (n > 0 && *out == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    yaml_node_t *list = seq_item(c, node, i);
    times_item *t = &(*out)[(*nout)++];
    t->node = list;
    size_t m;
    char field[64];
    snprintf(field, sizeof field, "spike_times[%zu]", i);
    if (!need_sequence(c, list, field, "a list of times such as [1 ms, 2.5 ms]", true, &m))
      continue;
    t->t = xcalloc(c, m, sizeof *t->t);
    if (m > 0 && t->t == NULL)
      return;
    /* Files can hold millions of spike times: the message is only formatted on failure. */
    for (size_t j = 0; j < m; j++) {
      yaml_node_t *tn = seq_item(c, list, j);
      const char *text = need_scalar(c, tn, "a spike time", "a time (default unit ms)");
      char err[256];
      if (text == NULL)
        continue;
      if (hebb_units_parse(text, HEBB_DIM_TIME, &t->t[t->n], err, sizeof err) == 0)
        t->n++;
      else
        report(c, tn, "invalid spike time %zu of neuron %zu: %s", j, i, err);
    }
  }
}

/* One target spike read from a target file. */
typedef struct {
  uint32_t index;
  double t;
} file_spike;

/* Reads the target file PATH (the resolved path, named in messages) of population P into
 * p->target: one list per neuron, empty for neurons without lines. The format is that of
 * `hebb vanrossum`'s target files (docs/output-format.md): one spike per line, "index time"
 * or "population index time" separated by tabs or spaces, lines of other populations
 * skipped, '#' to the end of a line a comment, blank lines skipped; the time a number of ms
 * or a quantity with a unit. Here the times must lie in [DT / 2, PERIOD], the range
 * hebb_model_set_target takes (PERIOD <= 0: not known, not checked). Every bad line is reported as
 * "PATH:LINE: ..." at AT (the file: value), and reading goes on with the next line. */
static void read_target_file(ir_t *ir, pop_entry *p, yaml_node_t *at, const char *path,
                             double period, double dt) {
  ctx_t *c = ir->c;
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    report(c, at,
           "cannot open target file '%s': %s; expected a readable file (a relative path is "
           "taken from the model file's directory)",
           path, strerror(errno));
    return;
  }
  file_spike *sp = NULL;
  size_t n = 0, cap = 0, other = 0, lineno = 0, linecap = 0;
  char *line = NULL;
  int before = c->total;
  while (getline(&line, &linecap, f) >= 0) {
    lineno++;
    hebb_spike_line sl;
    char err[320];
    int k = hebb__parse_spike_line(line, &sl, err, sizeof err);
    if (k == 0)
      continue;
    if (k < 0) {
      report(c, at, "%s:%zu: %s", path, lineno, err);
      continue;
    }
    unsigned long long i = sl.index;
    double t = sl.t_ms;
    if (sl.pop != NULL && (p->name == NULL || strcmp(sl.pop, p->name) != 0)) {
      other++;
      continue;
    }
    /* A time t counts in the step that ends at t: one below half a step has none. */
    if (!isfinite(t) || t < 0.5 * dt || (period > 0 && t > period)) {
      if (period > 0)
        report(c, at,
               "%s:%zu: target spike time %g ms is outside the period; expected a time in "
               "(0, %g ms], at least half a step (%g ms)",
               path, lineno, t, period, 0.5 * dt);
      else
        report(c, at, "%s:%zu: target spike time %g ms; expected at least half a step (%g ms)",
               path, lineno, t, 0.5 * dt);
      continue;
    }
    if (p->size > 0 && i >= p->size) {
      report(c, at,
             "%s:%zu: neuron index %llu is out of range; expected 0 to %u (population '%s' has "
             "%u neurons)",
             path, lineno, i, (unsigned)p->size - 1, p->name ? p->name : "?", (unsigned)p->size);
      continue;
    }
    if (n == cap) {
      size_t ncap = cap ? 2 * cap : 1024;
      file_spike *grown = realloc(sp, ncap * sizeof *sp);
      if (grown == NULL) {
        c->oom = true;
        break;
      }
      sp = grown;
      cap = ncap;
    }
    sp[n++] = (file_spike){(uint32_t)i, t};
  }
  if (ferror(f))
    report(c, at, "cannot read target file '%s': %s; expected a readable text file", path,
           strerror(errno));
  free(line);
  fclose(f);
  /* A file whose every line is another population's would silently give an empty target. */
  if (c->total == before && n == 0 && other > 0 && p->name != NULL)
    report(c, at,
           "%s: no line names population '%s' (%zu line%s of others); expected lines "
           "'%s<TAB>index<TAB>time_ms' or 'index<TAB>time_ms'",
           path, p->name, other, other == 1 ? "" : "s", p->name);
  /* A counting sort by neuron; every neuron gets a list, empty without lines. */
  if (c->total == before && !c->oom && p->size > 0) {
    p->target = xcalloc(c, p->size, sizeof *p->target);
    size_t *fill = xcalloc(c, p->size, sizeof *fill);
    for (size_t k = 0; p->target != NULL && fill != NULL && k < n; k++)
      fill[sp[k].index]++;
    for (uint32_t i = 0; p->target != NULL && fill != NULL && i < p->size; i++) {
      p->target[i].node = at; /* where a builder failure for neuron i is reported */
      p->target[i].t = xcalloc(c, fill[i], sizeof *p->target[i].t);
      if (fill[i] > 0 && p->target[i].t == NULL)
        break;
    }
    p->ntarget = p->target != NULL ? p->size : 0;
    for (size_t k = 0; !c->oom && k < n; k++) {
      times_item *ti = &p->target[sp[k].index];
      ti->t[ti->n++] = sp[k].t;
    }
    free(fill);
  }
  free(sp);
}

/* Reads target of population P: {spike_times: one list per neuron, period: TIME} or
 * {file: PATH, period: TIME} (PATH relative to the model file's directory unless absolute,
 * as the plugins' paths are). */
static void read_target(ir_t *ir, pop_entry *p, yaml_node_t *node, const char *what) {
  ctx_t *c = ir->c;
  char twhat[224];
  snprintf(twhat, sizeof twhat, "the target of %s", what);
  yaml_node_t *keys[TGK_COUNT], *vals[TGK_COUNT];
  if (!read_mapping(c, node, TARGET_KEYS, TGK_COUNT, twhat, false, keys, vals))
    return;
  bool ok = vals[TGK_PERIOD] != NULL &&
            read_quantity(c, vals[TGK_PERIOD], HEBB_DIM_TIME, "target period", &p->target_period);
  yaml_node_t *times = vals[TGK_SPIKE_TIMES], *file = vals[TGK_FILE];
  if (times != NULL && file != NULL) {
    report(c, node, "%s has both spike_times and file; expected exactly one of them", twhat);
    return;
  }
  if (times == NULL && file == NULL) {
    report(c, node,
           "missing key 'spike_times' or 'file' in %s; expected spike_times: one list of "
           "target spike times per neuron, or file: a target file",
           twhat);
    return;
  }
  if (times != NULL) {
    read_spike_times(ir, p, times, twhat, &p->target, &p->ntarget);
  } else {
    const char *s = need_scalar(c, file, "target file", "a path to a target file");
    if (s == NULL)
      return;
    const char *slash = strrchr(c->file, '/');
    int dirlen = slash != NULL && s[0] != '/' ? (int)(slash - c->file) + 1 : 0;
    char path[4096];
    if (snprintf(path, sizeof path, "%.*s%s", dirlen, c->file, s) >= (int)sizeof path) {
      report(c, file, "target file path is too long; expected at most %zu bytes", sizeof path - 1);
      return;
    }
    /* dt: the simulation's, else hebb_model_new's default (hebb.h) */
    double dt = ir->sim_has[SK_DT] && ir->dt > 0 ? ir->dt : 0.1;
    read_target_file(ir, p, file, path, ok ? p->target_period : 0.0, dt);
  }
  if (ok)
    p->target_node = node;
}

/* Reads one entry of populations (STIMULUS false) or stimuli (true) into ir->pops. */
static void read_population(ir_t *ir, yaml_node_t *node, size_t index, bool stimulus) {
  ctx_t *c = ir->c;
  const char *kind = stimulus ? "stimulus" : "population";
  char what[128], names[LIST_MAX], sug[96];
  entry_what(kind, peek_scalar(c, node, "name"), index, what, sizeof what);
  pop_entry *p = &ir->pops[ir->npops++];
  p->node = node;
  p->stimulus = stimulus;
  p->id = -1;
  yaml_node_t *keys[PK_COUNT], *vals[PK_COUNT];
  if (!read_mapping(c, node, POP_KEYS, PK_COUNT, what, false, keys, vals)) {
    ir->names_incomplete = true;
    return;
  }

  if (vals[PK_NAME] != NULL) {
    const char *name = read_name(c, vals[PK_NAME], "name");
    int other = name ? find_entry(ir, name) : -1;
    if (other >= 0) {
      const yaml_node_t *first = map_key(c, ir->pops[other].node, "name");
      report(c, vals[PK_NAME],
             "duplicate name '%s' (already used by the %s at line %d, column "
             "%d); expected a name unique across populations and stimuli",
             name, ir->pops[other].stimulus ? "stimulus" : "population",
             (int)first->start_mark.line + 1, (int)first->start_mark.column + 1);
    } else {
      p->name = name;
    }
    if (name == NULL)
      ir->names_incomplete = true;
  } else {
    ir->names_incomplete = true;
  }
  if (vals[PK_SIZE] != NULL) {
    uint64_t size;
    if (read_uint(c, vals[PK_SIZE], "size", 1, UINT32_MAX, "a positive integer", &size))
      p->size = (uint32_t)size;
  }
  if (vals[PK_MODEL] != NULL) {
    const char *model = need_scalar(c, vals[PK_MODEL], "model", "a model name");
    bool want = stimulus;
    if (model != NULL && !model_exists(model)) {
      report(c, vals[PK_MODEL], "unknown %s model '%.*s%s'%s; expected one of %s",
             stimulus ? "stimulus" : "neuron", ECHO(model),
             suggest(model, next_model, &want, sug, sizeof sug),
             list_names(next_model, &want, names, sizeof names));
    } else if (model != NULL && hebb_neuron_model_is_stimulus(model) != stimulus) {
      /* The model is known, so its parameters can still be checked below. */
      report(c, vals[PK_MODEL],
             stimulus ? "'%s' is a neuron model, not a stimulus: it belongs "
                        "under populations; expected one of %s"
                      : "'%s' is a stimulus model: it belongs "
                        "under stimuli; expected a neuron model: %s",
             model, list_names(next_model, &want, names, sizeof names));
      p->model = model;
      p->misplaced = true;
    } else {
      p->model = model;
    }
  }
  if (vals[PK_PARAMS] != NULL && p->model != NULL)
    read_params(ir, p, vals[PK_PARAMS], what);
  p->params_node = vals[PK_PARAMS];
  if (vals[PK_INITIAL] != NULL && p->model != NULL)
    read_initial(ir, p, vals[PK_INITIAL], what);
  p->initial_node = vals[PK_INITIAL];

  bool is_sg = p->model != NULL && strcmp(p->model, "spike_generator") == 0;
  if (p->model != NULL && !is_sg && vals[PK_SPIKE_TIMES] != NULL)
    report(c, keys[PK_SPIKE_TIMES],
           "spike_times is not allowed for model %s; expected it only "
           "with model spike_generator",
           p->model);
  else if (is_sg && vals[PK_SPIKE_TIMES] == NULL)
    report(c, node,
           "missing required key 'spike_times' in %s (model spike_generator); expected "
           "spike_times: one list of times per neuron",
           what);
  else if (vals[PK_SPIKE_TIMES] != NULL && is_sg)
    read_spike_times(ir, p, vals[PK_SPIKE_TIMES], what, &p->times, &p->ntimes);
  if (vals[PK_TARGET] != NULL && stimulus)
    report(c, keys[PK_TARGET],
           "target is not allowed for a stimulus; expected it only in a population of neurons");
  else if (vals[PK_TARGET] != NULL)
    read_target(ir, p, vals[PK_TARGET], what);
}

/* Reads the populations (STIMULUS false) or stimuli (true) section. */
static void read_population_list(ir_t *ir, yaml_node_t *node, bool stimulus) {
  size_t n;
  const char *field = stimulus ? "stimuli" : "populations";
  if (!need_sequence(ir->c, node, field,
                     stimulus ? "a list of stimuli (- name: ...)"
                              : "a list of populations (- name: ...)",
                     stimulus, &n))
    return;
  if (!stimulus && n == 0) {
    report(ir->c, node, "populations is empty; expected at least one population");
    return;
  }
  for (size_t i = 0; i < n; i++)
    read_population(ir, seq_item(ir->c, node, i), i, stimulus);
}

/* ---------------------------------------------------------------------------------------- */
/* Phase 1: projections                                                                      */
/* ---------------------------------------------------------------------------------------- */

enum {
  JK_NAME,
  JK_SOURCE,
  JK_TARGET,
  JK_RULE,
  JK_P,
  JK_INDEGREE,
  JK_OUTDEGREE,
  JK_N,
  JK_AUTAPSES,
  JK_MULTAPSES,
  JK_WEIGHT,
  JK_DELAY,
  JK_RECEPTOR,
  JK_PLASTICITY,
  JK_COUNT
};

static const key_spec PROJ_KEYS[JK_COUNT] = {
    [JK_NAME] = {"name", false, "a name made of letters, digits and '_'"},
    [JK_SOURCE] = {"source", true, "a population or stimulus name"},
    [JK_TARGET] = {"target", true, "a population name"},
    [JK_RULE] = {"rule", true, "a connection rule such as pairwise_bernoulli"},
    [JK_P] = {"p", false, "a probability between 0 and 1"},
    [JK_INDEGREE] = {"indegree", false, "a positive integer"},
    [JK_OUTDEGREE] = {"outdegree", false, "a positive integer"},
    [JK_N] = {"N", false, "a positive integer"},
    [JK_AUTAPSES] = {"allow_autapses", false, "true or false"},
    [JK_MULTAPSES] = {"allow_multapses", false, "true or false"},
    [JK_WEIGHT] = {"weight", false, "a value or a distribution"},
    [JK_DELAY] = {"delay", false, "a time or a distribution"},
    [JK_RECEPTOR] = {"receptor", false, "excitatory or inhibitory"},
    [JK_PLASTICITY] = {"plasticity", false, "a mapping such as {rule: stdp, Wmax: 10 nS}"},
};

/* A feedback entry shares name, source and target with a projection (same indices). */
enum {
  FK_NAME = JK_NAME,
  FK_SOURCE = JK_SOURCE,
  FK_TARGET = JK_TARGET,
  FK_FEEDBACK,
  FK_DELAY,
  FK_SCALE,
  FK_COUNT
};
static const key_spec FB_KEYS[FK_COUNT] = {
    [FK_NAME] = {"name", false, "a name made of letters, digits and '_'"},
    [FK_SOURCE] = {"source", true, "the population with the target"},
    [FK_TARGET] = {"target", true, "the hidden population that learns from the error"},
    [FK_FEEDBACK] = {"feedback", true, "symmetric, random or uniform"},
    [FK_DELAY] = {"delay", false, "a time such as 1 ms"},
    [FK_SCALE] = {"scale", false, "a number such as 1"},
};

static const struct {
  const char *name;
  hebb_feedback_kind kind;
} FEEDBACKS[] = {{"symmetric", HEBB_FEEDBACK_SYMMETRIC},
                 {"random", HEBB_FEEDBACK_RANDOM},
                 {"uniform", HEBB_FEEDBACK_UNIFORM}};

/* The keys only some rules take; each rule names the one it needs (-1 for none). */
static const int RULE_KEYS[] = {JK_P, JK_INDEGREE, JK_OUTDEGREE, JK_N};

static const struct {
  const char *name;
  hebb_conn_rule rule;
  int key;
} RULES[] = {
    {"all_to_all", HEBB_CONN_ALL_TO_ALL, -1},
    {"one_to_one", HEBB_CONN_ONE_TO_ONE, -1},
    {"pairwise_bernoulli", HEBB_CONN_PAIRWISE_BERNOULLI, JK_P},
    {"fixed_indegree", HEBB_CONN_FIXED_INDEGREE, JK_INDEGREE},
    {"fixed_outdegree", HEBB_CONN_FIXED_OUTDEGREE, JK_OUTDEGREE},
    {"fixed_total_number", HEBB_CONN_FIXED_TOTAL_NUMBER, JK_N},
};

static const struct {
  const char *name;
  hebb_receptor receptor;
} RECEPTORS[] = {{"excitatory", HEBB_RECEPTOR_EXCITATORY},
                 {"inhibitory", HEBB_RECEPTOR_INHIBITORY}};

/* Looks up the source or target name in NODE; reports an unknown name or a stimulus given as
 * a target. Returns the entry index or -1. */
static int read_endpoint(ir_t *ir, yaml_node_t *node, bool target) {
  ctx_t *c = ir->c;
  char names[LIST_MAX], sug[96];
  const char *field = target ? "target" : "source";
  const char *name = need_scalar(c, node, field, PROJ_KEYS[target ? JK_TARGET : JK_SOURCE].hint);
  if (name == NULL)
    return -1;
  entry_filter f = {ir, target ? 1 : 0};
  int e = find_entry(ir, name);
  if (e < 0 && ir->names_incomplete)
    return -1;
  if (e < 0) {
    report(c, node, "unknown %s '%.*s%s'%s; expected %s: %s", field, ECHO(name),
           suggest(name, next_entry, &f, sug, sizeof sug),
           target ? "a population name" : "a population or stimulus name",
           list_names(next_entry, &f, names, sizeof names));
    return -1;
  }
  if (target && ir->pops[e].stimulus) {
    report(c, node, "'%s' is a stimulus and cannot be a target; expected a population name: %s",
           name, list_names(next_entry, &f, names, sizeof names));
    return -1;
  }
  return e;
}

/* Whether the source and target of J are known, with models in the right section: only then
 * is the unit of its weight known. */
static bool endpoints_known(const ir_t *ir, const proj_entry *j) {
  return j->src >= 0 && j->dst >= 0 && ir->pops[j->src].model != NULL &&
         ir->pops[j->dst].model != NULL && !ir->pops[j->src].misplaced &&
         !ir->pops[j->dst].misplaced;
}

/* The dimension of J's weight (and of a rule parameter in the unit "weight"): the target
 * model's weight unit, or a plain number from a dc_generator. False when it is not known;
 * the reason has been reported with the projection's endpoints or weight. */
static bool weight_dim(const ir_t *ir, const proj_entry *j, hebb_dim *dim) {
  if (!endpoints_known(ir, j))
    return false;
  if (strcmp(ir->pops[j->src].model, "dc_generator") == 0) {
    *dim = HEBB_DIM_NONE;
    return true;
  }
  const char *unit = hebb_neuron_model_weight_unit(ir->pops[j->dst].model);
  return unit != NULL && dim_of_unit(unit, dim);
}

enum { MK_POPULATION, MK_DELAY, MK_COUNT };
static const key_spec MOD_KEYS[MK_COUNT] = {
    [MK_POPULATION] = {"population", true, "a population or stimulus name"},
    [MK_DELAY] = {"delay", false, "a time such as 1 ms"},
};

/* The population or stimulus named by the scalar NODE (a FIELD such as "modulator
 * population"), as an index into ir.pops; -1, reported, when it is not one (not reported
 * when the list of names is incomplete: the problem is elsewhere) or NODE is NULL. */
static int spiking_source(ir_t *ir, yaml_node_t *node, const char *field) {
  ctx_t *c = ir->c;
  char names[LIST_MAX], sug[96];
  if (node == NULL)
    return -1;
  const char *name = need_scalar(c, node, "population", "a population or stimulus name");
  entry_filter f = {ir, 0};
  int pop = name != NULL ? find_entry(ir, name) : -1;
  if (name != NULL && pop < 0 && !ir->names_incomplete)
    report(c, node, "unknown %s '%.*s%s'%s; expected a population or stimulus name: %s", field,
           ECHO(name), suggest(name, next_entry, &f, sug, sizeof sug),
           list_names(next_entry, &f, names, sizeof names));
  return pop;
}

/* Reads plasticity.modulator of projection J (WHAT): {population: NAME, delay: TIME}. Whether
 * the rule takes a modulator, and whether the population sends spikes, is the builder's to
 * say in phase 2; the default delay is computed there (default_modulator_delay). */
static void read_modulator(ir_t *ir, proj_entry *j, yaml_node_t *key, yaml_node_t *node,
                           const char *what) {
  ctx_t *c = ir->c;
  char mwhat[224];
  snprintf(mwhat, sizeof mwhat, "the modulator of %s", what);
  yaml_node_t *keys[MK_COUNT], *vals[MK_COUNT];
  if (!read_mapping(c, node, MOD_KEYS, MK_COUNT, mwhat, false, keys, vals))
    return;
  int pop = spiking_source(ir, vals[MK_POPULATION], "modulator population");
  bool ok = pop >= 0;
  if (vals[MK_DELAY] != NULL &&
      !read_quantity(c, vals[MK_DELAY], HEBB_DIM_TIME, "modulator delay", &j->mod_delay))
    ok = false;
  if (!ok)
    return;
  j->mod_key = key;
  j->mod_node = node;
  j->mod_pop = pop;
  j->mod_has_delay = vals[MK_DELAY] != NULL;
}

enum { CK_PRE, CK_POST, CK_WINDOW, CK_DELAY, CK_AMOUNT, CK_COUNT };
static const key_spec CRITIC_KEYS[CK_COUNT] = {
    [CK_PRE] = {"pre", true, "a neuron such as {population: exc, index: 0}"},
    [CK_POST] = {"post", true, "a neuron such as {population: exc, index: 1}"},
    [CK_WINDOW] = {"window", true, "a time such as 20 ms"},
    [CK_DELAY] = {"delay", true, "a time or a distribution of times"},
    [CK_AMOUNT] = {"amount", false, "a number (default 1)"},
};
enum { NK_POPULATION, NK_INDEX, NK_COUNT };
static const key_spec NEURON_KEYS[NK_COUNT] = {
    [NK_POPULATION] = {"population", true, "a population or stimulus name"},
    [NK_INDEX] = {"index", true, "a neuron index from 0"},
};

/* Reads plasticity.critic of projection J (WHAT): {pre: NEURON, post: NEURON, window: TIME,
 * delay: TIME or distribution, amount: NUMBER}, NEURON = {population: NAME, index: N}.
 * Whether the index lies in the population is the builder's to say. */
static void read_critic(ir_t *ir, proj_entry *j, yaml_node_t *key, yaml_node_t *node,
                        const char *what) {
  ctx_t *c = ir->c;
  char cwhat[224];
  snprintf(cwhat, sizeof cwhat, "the critic of %s", what);
  yaml_node_t *keys[CK_COUNT], *vals[CK_COUNT];
  if (!read_mapping(c, node, CRITIC_KEYS, CK_COUNT, cwhat, false, keys, vals))
    return;
  bool ok = true;
  for (int k = 0; k < 2; k++) {
    char nwhat[256];
    snprintf(nwhat, sizeof nwhat, "the critic's %s neuron", k == 0 ? "pre" : "post");
    yaml_node_t *nk[NK_COUNT], *nv[NK_COUNT];
    yaml_node_t *v = vals[k == 0 ? CK_PRE : CK_POST];
    if (v == NULL || !read_mapping(c, v, NEURON_KEYS, NK_COUNT, nwhat, false, nk, nv) ||
        nv[NK_POPULATION] == NULL || nv[NK_INDEX] == NULL) {
      ok = false;
      continue;
    }
    int pop = spiking_source(ir, nv[NK_POPULATION],
                             k == 0 ? "critic pre population" : "critic post population");
    if (!read_uint(c, nv[NK_INDEX], "index", 0, UINT32_MAX, NEURON_KEYS[NK_INDEX].hint,
                   &j->critic_index[k]))
      ok = false;
    j->critic_pop[k] = pop;
    ok = ok && pop >= 0;
  }
  if (vals[CK_WINDOW] != NULL &&
      !read_quantity(c, vals[CK_WINDOW], HEBB_DIM_TIME, "critic window", &j->critic_window))
    ok = false;
  if (vals[CK_DELAY] != NULL &&
      !read_dist(c, vals[CK_DELAY], HEBB_DIM_TIME, "critic delay", &j->critic_delay))
    ok = false;
  j->critic_amount = 1.0;
  if (vals[CK_AMOUNT] != NULL &&
      !read_quantity(c, vals[CK_AMOUNT], HEBB_DIM_NONE, "critic amount", &j->critic_amount))
    ok = false;
  if (!ok || vals[CK_WINDOW] == NULL || vals[CK_DELAY] == NULL)
    return;
  j->critic_key = key;
  j->critic_node = node;
}

enum { RWK_AT, RWK_AMOUNT, RWK_COUNT };
static const key_spec REWARD_KEYS[RWK_COUNT] = {
    [RWK_AT] = {"at", true, "a time such as 1 s"},
    [RWK_AMOUNT] = {"amount", false, "a number (default 1)"},
};

/* Reads plasticity.rewards of projection J (WHAT): a list of {at: TIME, amount: NUMBER} in
 * time order (equal times are allowed: their amounts add up). A reward earlier than the one
 * before it is reported at its time. */
static void read_rewards(ir_t *ir, proj_entry *j, yaml_node_t *key, yaml_node_t *node,
                         const char *what) {
  ctx_t *c = ir->c;
  size_t n;
  if (!need_sequence(c, node, "rewards", "a list such as [{at: 1 s, amount: 0.5}]", true, &n))
    return;
  j->rewards_key = key;
  j->rewards = xcalloc(c, n, sizeof *j->rewards);
  if (n > 0 && j->rewards == NULL)
    return;
  const yaml_node_t *prev = NULL; /* the time of the last good reward */
  for (size_t i = 0; i < n; i++) {
    yaml_node_t *item = seq_item(c, node, i);
    char rwhat[224];
    snprintf(rwhat, sizeof rwhat, "reward #%zu of %s", i + 1, what);
    yaml_node_t *keys[RWK_COUNT], *vals[RWK_COUNT];
    if (!read_mapping(c, item, REWARD_KEYS, RWK_COUNT, rwhat, false, keys, vals))
      continue;
    timed_item r = {item, 0.0, 1.0, false};
    bool ok =
        vals[RWK_AT] != NULL && read_quantity(c, vals[RWK_AT], HEBB_DIM_TIME, "reward time", &r.at);
    if (vals[RWK_AMOUNT] != NULL &&
        !read_quantity(c, vals[RWK_AMOUNT], HEBB_DIM_NONE, "reward amount", &r.amount))
      ok = false;
    if (ok && j->nrewards > 0 && r.at < j->rewards[j->nrewards - 1].at) {
      report(c, vals[RWK_AT],
             "reward at %g ms comes before the previous one (%g ms, line %d); expected the "
             "rewards in time order",
             r.at, j->rewards[j->nrewards - 1].at, (int)prev->start_mark.line + 1);
      ok = false;
    }
    if (ok) {
      j->rewards[j->nrewards++] = r;
      prev = vals[RWK_AT];
    }
  }
}

enum { SCK_SWITCHES, SCK_REPEAT, SCK_COUNT };
static const key_spec SCHEDULE_KEYS[SCK_COUNT] = {
    [SCK_SWITCHES] = {"switches", true, "a list such as [{at: 0 ms, learn: false}]"},
    [SCK_REPEAT] = {"repeat", false, "a period such as 1 s (default 0: no repetition)"},
};

enum { SWK_AT, SWK_LEARN, SWK_COUNT };
static const key_spec SWITCH_KEYS[SWK_COUNT] = {
    [SWK_AT] = {"at", true, "a time such as 500 ms"},
    [SWK_LEARN] = {"learn", true, "true or false"},
};

/* Reads plasticity.schedule of projection J (WHAT): {switches: [{at: TIME, learn: BOOL},
 * ...], repeat: TIME}. The order of the switches, their times in whole steps and within the
 * period are the builder's to check in phase 2. */
static void read_schedule(ir_t *ir, proj_entry *j, yaml_node_t *key, yaml_node_t *node,
                          const char *what) {
  ctx_t *c = ir->c;
  char swhat[224];
  snprintf(swhat, sizeof swhat, "the schedule of %s", what);
  yaml_node_t *keys[SCK_COUNT], *vals[SCK_COUNT];
  if (!read_mapping(c, node, SCHEDULE_KEYS, SCK_COUNT, swhat, false, keys, vals))
    return;
  bool ok = vals[SCK_SWITCHES] != NULL;
  if (vals[SCK_REPEAT] != NULL &&
      !read_quantity(c, vals[SCK_REPEAT], HEBB_DIM_TIME, "repeat", &j->repeat))
    ok = false;
  size_t n = 0;
  if (vals[SCK_SWITCHES] == NULL ||
      !need_sequence(c, vals[SCK_SWITCHES], "switches", SCHEDULE_KEYS[SCK_SWITCHES].hint, true, &n))
    return;
  j->switches = xcalloc(c, n, sizeof *j->switches);
  if (n > 0 && j->switches == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    yaml_node_t *item = seq_item(c, vals[SCK_SWITCHES], i);
    char wwhat[256];
    snprintf(wwhat, sizeof wwhat, "switch #%zu of %s", i + 1, swhat);
    yaml_node_t *wkeys[SWK_COUNT], *wvals[SWK_COUNT];
    if (!read_mapping(c, item, SWITCH_KEYS, SWK_COUNT, wwhat, false, wkeys, wvals)) {
      ok = false;
      continue;
    }
    timed_item *s = &j->switches[j->nswitches];
    s->node = item;
    bool good = wvals[SWK_AT] != NULL &&
                read_quantity(c, wvals[SWK_AT], HEBB_DIM_TIME, "switch time", &s->at);
    if (wvals[SWK_LEARN] == NULL || !read_bool(c, wvals[SWK_LEARN], "learn", &s->learn))
      good = false;
    if (good)
      j->nswitches++;
    else
      ok = false;
  }
  if (ok) {
    j->sched_key = key;
    j->sched_node = node;
  }
}

/* Reads the plasticity mapping of projection J: rule: NAME first (it says which keys may
 * follow), then each key a parameter of the rule (value in the parameter's unit, "weight"
 * meaning the projection's weight unit), one of its options (a value among the allowed
 * ones), or one of the reserved keys modulator, rewards and schedule. Whether the projection
 * can be plastic at all (not from a dc_generator, weights that cannot be negative) and
 * whether its rule takes a modulator are the builder's to say in phase 2. */
static void read_plasticity(ir_t *ir, proj_entry *j, yaml_node_t *node, const char *what) {
  ctx_t *c = ir->c;
  char kb[96], names[LIST_MAX], sug[96], field[160], pwhat[192];
  snprintf(pwhat, sizeof pwhat, "plasticity of %s", what);
  if (node->type != YAML_MAPPING_NODE) {
    report(c, node, "%s is %s; expected a mapping such as {rule: %s, ...} (rules: %s)", pwhat,
           kind_of(node, kb, sizeof kb), hebb_rule_count() > 0 ? hebb_rule_name(0) : "NAME",
           list_names(next_plasticity_rule, NULL, names, sizeof names));
    return;
  }
  yaml_node_t *rule_k = NULL, *rule_v = NULL;
  for (yaml_node_pair_t *pp = node->data.mapping.pairs.start; pp < node->data.mapping.pairs.top;
       pp++) {
    yaml_node_t *k = node_at(c, pp->key);
    const char *ks = scalar_text(k);
    if (ks == NULL || strcmp(ks, "rule") != 0)
      continue;
    if (rule_k != NULL)
      report(c, k,
             "duplicate key 'rule' in %s (first given at line %d, column %d); expected "
             "each key once",
             pwhat, (int)rule_k->start_mark.line + 1, (int)rule_k->start_mark.column + 1);
    else {
      rule_k = k;
      rule_v = node_at(c, pp->value);
    }
  }
  if (rule_v == NULL) {
    report(c, node, "missing required key 'rule' in %s; expected rule: one of %s", pwhat,
           list_names(next_plasticity_rule, NULL, names, sizeof names));
    return;
  }
  const char *rule = need_scalar(c, rule_v, "rule", "a plasticity rule name such as stdp");
  if (rule == NULL)
    return;
  if (!plasticity_rule_exists(rule)) {
    /* Without a rule its parameters cannot be checked: they are left alone. */
    report(c, rule_v, "unknown plasticity rule '%.*s%s'%s; expected one of %s (see hebb rules)",
           ECHO(rule), suggest(rule, next_plasticity_rule, NULL, sug, sizeof sug),
           list_names(next_plasticity_rule, NULL, names, sizeof names));
    return;
  }
  hebb_dim wdim = HEBB_DIM_NONE;
  bool wknown = weight_dim(ir, j, &wdim);
  size_t npairs = map_len(node), nkeys = 0, np = 0, cursor = 0;
  while (next_rule_param_or_option(rule, &cursor) != NULL)
    nkeys++;
  while (hebb_rule_param(rule, np, NULL, NULL) != NULL)
    np++;
  /* A rule (a plugin) with a parameter named like a reserved key could not be given it. */
  cursor = 0;
  for (const char *name; (name = next_rule_param_or_option(rule, &cursor)) != NULL;)
    for (int x = 0; x < XK_COUNT; x++)
      if (strcmp(name, PLAST_RESERVED[x]) == 0)
        report(c, rule_v,
               "plasticity rule %s has a parameter or option named '%s', a key that model "
               "files reserve; expected a rule without parameters or options named modulator, "
               "rewards, schedule or critic",
               rule, name);
  yaml_node_t **seen = xcalloc(c, nkeys + 1, sizeof *seen);
  j->plast_params = xcalloc(c, npairs, sizeof *j->plast_params);
  if (seen == NULL || j->plast_params == NULL) {
    free(seen);
    return;
  }
  yaml_node_t *xkeys[XK_COUNT] = {NULL}, *xvals[XK_COUNT] = {NULL};
  for (yaml_node_pair_t *pp = node->data.mapping.pairs.start; pp < node->data.mapping.pairs.top;
       pp++) {
    yaml_node_t *k = node_at(c, pp->key), *v = node_at(c, pp->value);
    const char *ks = scalar_text(k);
    if (k == rule_k || (ks != NULL && strcmp(ks, "rule") == 0))
      continue; /* the rule, or a duplicate of it (reported above) */
    if (ks == NULL) {
      report(c, k, "a key in %s is %s; expected a parameter of rule %s", pwhat,
             kind_of(k, kb, sizeof kb), rule);
      continue;
    }
    int x = 0;
    while (x < XK_COUNT && strcmp(PLAST_RESERVED[x], ks) != 0)
      x++;
    if (x < XK_COUNT && xkeys[x] != NULL) {
      report(c, k,
             "duplicate key '%s' in %s (first given at line %d, column %d); expected each "
             "key once",
             ks, pwhat, (int)xkeys[x]->start_mark.line + 1, (int)xkeys[x]->start_mark.column + 1);
      continue;
    }
    if (x < XK_COUNT) {
      xkeys[x] = k;
      xvals[x] = v;
      continue;
    }
    size_t idx = 0;
    const char *name;
    cursor = 0;
    while ((name = next_rule_param_or_option(rule, &cursor)) != NULL && strcmp(name, ks) != 0)
      idx++;
    if (name == NULL) {
      report(c, k, "unknown parameter '%.*s%s' for plasticity rule %s%s; expected one of %s",
             ECHO(ks), rule, suggest(ks, next_plasticity_key, rule, sug, sizeof sug),
             list_names(next_plasticity_key, rule, names, sizeof names));
      continue;
    }
    if (seen[idx] != NULL) {
      report(c, k,
             "duplicate parameter '%s' in %s (first given at line %d, column %d); "
             "expected each parameter once",
             ks, pwhat, (int)seen[idx]->start_mark.line + 1, (int)seen[idx]->start_mark.column + 1);
      continue;
    }
    seen[idx] = k;
    param_item *it = &j->plast_params[j->nplast_params];
    it->key = k;
    it->name = ks;
    if (idx < np) {
      const char *unit;
      hebb_dim dim;
      hebb_rule_param(rule, idx, &unit, NULL);
      if (unit != NULL && strcmp(unit, "weight") == 0) {
        if (!wknown)
          continue; /* the projection's own problem is reported: no second one here */
        dim = wdim;
      } else if (!dim_of_unit(unit, &dim)) {
        report(c, k,
               "parameter %s of plasticity rule %s has the unit '%s' that this reader "
               "does not know; expected one of ms, Hz, weight or a plain number",
               ks, rule, unit);
        continue;
      }
      if (read_quantity(c, v, dim, ks, &it->value))
        j->nplast_params++;
      continue;
    }
    const char *allowed;
    hebb_rule_option(rule, idx - np, &allowed);
    alt_iter alts = {allowed, ""};
    snprintf(field, sizeof field, "option %s", ks);
    const char *s =
        need_scalar(c, v, field, list_names(next_alternative, &alts, names, sizeof names));
    if (s == NULL)
      continue;
    if (!is_alternative(allowed, s)) {
      report(c, v, "invalid value '%.*s%s' for option %s of plasticity rule %s; expected one of %s",
             ECHO(s), ks, rule, list_names(next_alternative, &alts, names, sizeof names));
      continue;
    }
    it->option = s;
    j->nplast_params++;
  }
  free(seen);
  j->plast_rule = rule;
  if (xvals[XK_MODULATOR] != NULL)
    read_modulator(ir, j, xkeys[XK_MODULATOR], xvals[XK_MODULATOR], what);
  if (xvals[XK_REWARDS] != NULL)
    read_rewards(ir, j, xkeys[XK_REWARDS], xvals[XK_REWARDS], what);
  if (xvals[XK_SCHEDULE] != NULL)
    read_schedule(ir, j, xkeys[XK_SCHEDULE], xvals[XK_SCHEDULE], what);
  if (xvals[XK_CRITIC] != NULL)
    read_critic(ir, j, xkeys[XK_CRITIC], xvals[XK_CRITIC], what);
}

/* The rest of a feedback entry: {feedback: KIND, delay: TIME, scale: NUMBER}. */
static void read_feedback(ir_t *ir, proj_entry *j, yaml_node_t *const *vals) {
  ctx_t *c = ir->c;
  char names[LIST_MAX], sug[96];
  table_ref tab = TABLE_REF(FEEDBACKS);
  const char *s = need_scalar(c, vals[FK_FEEDBACK], "feedback", FB_KEYS[FK_FEEDBACK].hint);
  for (size_t k = 0; s != NULL && k < sizeof FEEDBACKS / sizeof FEEDBACKS[0]; k++)
    if (strcmp(FEEDBACKS[k].name, s) == 0)
      j->fb_kind = (int)FEEDBACKS[k].kind;
  if (s != NULL && j->fb_kind < 0)
    report(c, vals[FK_FEEDBACK], "unknown feedback '%.*s%s'%s; expected one of %s", ECHO(s),
           suggest(s, next_in_table, &tab, sug, sizeof sug),
           list_names(next_in_table, &tab, names, sizeof names));
  if (vals[FK_DELAY] != NULL &&
      read_quantity(c, vals[FK_DELAY], HEBB_DIM_TIME, "delay", &j->fb_delay) && !(j->fb_delay > 0))
    report(c, vals[FK_DELAY], "the feedback delay must be positive, got %g ms; expected %s",
           j->fb_delay, FB_KEYS[FK_DELAY].hint);
  if (vals[FK_SCALE] != NULL)
    read_quantity(c, vals[FK_SCALE], HEBB_DIM_NONE, "scale", &j->fb_scale);
}

static void read_projection(ir_t *ir, yaml_node_t *node, size_t index) {
  ctx_t *c = ir->c;
  char what[128], names[LIST_MAX], sug[96];
  entry_what(map_key(c, node, "feedback") != NULL ? "feedback" : "projection",
             peek_scalar(c, node, "name"), index, what, sizeof what);
  proj_entry *j = &ir->projs[ir->nprojs++];
  j->node = node;
  j->src = j->dst = -1;
  j->mod_pop = -1;
  j->id = -1;
  j->spec = hebb_projection_spec_default();
  j->feedback = map_key(c, node, "feedback") != NULL;
  j->fb_kind = -1;
  j->fb_scale = 1.0;
  yaml_node_t *keys[JK_COUNT], *vals[JK_COUNT];
  if (!read_mapping(c, node, j->feedback ? FB_KEYS : PROJ_KEYS, j->feedback ? FK_COUNT : JK_COUNT,
                    what, false, keys, vals)) {
    ir->proj_names_incomplete = true;
    return;
  }

  if (vals[JK_NAME] != NULL) {
    const char *name = read_name(c, vals[JK_NAME], "name");
    bool dup = false;
    for (size_t i = 0; name != NULL && i + 1 < ir->nprojs; i++)
      if (ir->projs[i].spec.name != NULL && strcmp(ir->projs[i].spec.name, name) == 0) {
        const yaml_node_t *first = map_key(c, ir->projs[i].node, "name");
        report(c, vals[JK_NAME],
               "duplicate projection name '%s' (already used at line %d, "
               "column %d); expected a unique name",
               name, (int)first->start_mark.line + 1, (int)first->start_mark.column + 1);
        name = NULL;
        dup = true;
      }
    j->spec.name = name;
    j->name = name;
    if (name == NULL && !dup) /* a duplicate's name is known: it is the first one's */
      ir->proj_names_incomplete = true;
  }
  if (vals[JK_SOURCE] != NULL)
    j->src = read_endpoint(ir, vals[JK_SOURCE], false);
  if (vals[JK_TARGET] != NULL)
    j->dst = read_endpoint(ir, vals[JK_TARGET], true);
  /* The builder's default name, computed here so that record.weights can refer to it. */
  if (vals[JK_NAME] == NULL && j->src >= 0 && j->dst >= 0) {
    snprintf(j->default_name, sizeof j->default_name, "%s_to_%s", ir->pops[j->src].name,
             ir->pops[j->dst].name);
    j->name = j->default_name;
  } else if (vals[JK_NAME] == NULL) {
    ir->proj_names_incomplete = true;
  }
  if (j->feedback) {
    read_feedback(ir, j, vals);
    return;
  }

  int rule = -1;
  if (vals[JK_RULE] != NULL) {
    table_ref tab = TABLE_REF(RULES);
    const char *s = need_scalar(c, vals[JK_RULE], "rule", PROJ_KEYS[JK_RULE].hint);
    for (size_t r = 0; s != NULL && r < sizeof RULES / sizeof RULES[0]; r++)
      if (strcmp(RULES[r].name, s) == 0)
        rule = (int)r;
    if (s != NULL && rule < 0)
      report(c, vals[JK_RULE], "unknown connection rule '%.*s%s'%s; expected one of %s", ECHO(s),
             suggest(s, next_in_table, &tab, sug, sizeof sug),
             list_names(next_in_table, &tab, names, sizeof names));
  }
  if (rule >= 0) {
    j->spec.rule = RULES[rule].rule;
    int need = RULES[rule].key;
    for (size_t i = 0; i < sizeof RULE_KEYS / sizeof RULE_KEYS[0]; i++) {
      int k = RULE_KEYS[i];
      if (vals[k] != NULL && k != need) {
        if (need >= 0)
          report(c, keys[k], "'%s' is not used by rule %s; expected %s instead", PROJ_KEYS[k].name,
                 RULES[rule].name, PROJ_KEYS[need].name);
        else
          report(c, keys[k],
                 "'%s' is not used by rule %s; expected no p, indegree, outdegree "
                 "or N with it",
                 PROJ_KEYS[k].name, RULES[rule].name);
      }
    }
    if (need >= 0 && vals[need] == NULL)
      report(c, node, "rule %s needs '%s' in %s; expected %s: %s", RULES[rule].name,
             PROJ_KEYS[need].name, what, PROJ_KEYS[need].name, PROJ_KEYS[need].hint);
  }
  /* The values of the rule keys are checked even when the rule itself is wrong. */
  if (vals[JK_P] != NULL) {
    double p;
    if (read_quantity(c, vals[JK_P], HEBB_DIM_NONE, "p", &p)) {
      if (p < 0 || p > 1)
        report(c, vals[JK_P], "p = %g is not a probability; expected a number between 0 and 1", p);
      else
        j->spec.p = p;
    }
  }
  for (int k = JK_INDEGREE; k <= JK_N; k++) {
    uint64_t v;
    if (vals[k] != NULL &&
        read_uint(c, vals[k], PROJ_KEYS[k].name, 1, 9007199254740992u, "a positive integer", &v) &&
        rule >= 0 && RULES[rule].key == k)
      j->spec.n = v;
  }
  if (vals[JK_AUTAPSES] != NULL)
    read_bool(c, vals[JK_AUTAPSES], "allow_autapses", &j->spec.allow_autapses);
  if (vals[JK_MULTAPSES] != NULL)
    read_bool(c, vals[JK_MULTAPSES], "allow_multapses", &j->spec.allow_multapses);

  /* The weight's unit comes from the target model; a dc_generator source makes it a plain
   * scale factor. Without a known source and target (or with a model in the wrong section,
   * already reported) the unit is unknown: the weight is checked once those are fixed. */
  if (vals[JK_WEIGHT] != NULL && endpoints_known(ir, j)) {
    const char *tmodel = ir->pops[j->dst].model;
    const char *unit = hebb_neuron_model_weight_unit(tmodel);
    hebb_dim dim;
    if (strcmp(ir->pops[j->src].model, "dc_generator") == 0)
      read_dist(c, vals[JK_WEIGHT], HEBB_DIM_NONE, "weight", &j->spec.weight);
    else if (unit == NULL)
      report(c, vals[JK_TARGET],
             "model %s of target '%s' takes no synaptic input; expected a "
             "neuron population as target",
             tmodel, ir->pops[j->dst].name);
    else if (!dim_of_unit(unit, &dim))
      report(c, keys[JK_WEIGHT],
             "the weight unit '%s' of model %s is unknown to this reader; "
             "expected pA, mV or nS",
             unit, tmodel);
    else
      read_dist(c, vals[JK_WEIGHT], dim, "weight", &j->spec.weight);
  }
  if (vals[JK_DELAY] != NULL)
    read_dist(c, vals[JK_DELAY], HEBB_DIM_TIME, "delay", &j->spec.delay_ms);
  if (vals[JK_RECEPTOR] != NULL) {
    table_ref tab = TABLE_REF(RECEPTORS);
    const char *s = need_scalar(c, vals[JK_RECEPTOR], "receptor", "excitatory or inhibitory");
    size_t r = 0;
    while (s != NULL && r < sizeof RECEPTORS / sizeof RECEPTORS[0] &&
           strcmp(RECEPTORS[r].name, s) != 0)
      r++;
    if (s != NULL && r == sizeof RECEPTORS / sizeof RECEPTORS[0])
      report(c, vals[JK_RECEPTOR],
             "unknown receptor '%.*s%s'%s; expected excitatory or "
             "inhibitory",
             ECHO(s), suggest(s, next_in_table, &tab, sug, sizeof sug));
    else if (s != NULL)
      j->spec.receptor = RECEPTORS[r].receptor;
  }
  j->plast_key = keys[JK_PLASTICITY];
  j->plast_node = vals[JK_PLASTICITY];
  if (vals[JK_PLASTICITY] != NULL)
    read_plasticity(ir, j, vals[JK_PLASTICITY], what);
}

/* ---------------------------------------------------------------------------------------- */
/* Phase 1: recording                                                                        */
/* ---------------------------------------------------------------------------------------- */

enum { RK_SPIKES, RK_STATE, RK_WEIGHTS, RK_COUNT };
static const key_spec REC_KEYS[RK_COUNT] = {
    [RK_SPIKES] = {"spikes", false, "all or a list of population and stimulus names"},
    [RK_STATE] = {"state", false, "a list of {population, variables, neurons, interval}"},
    [RK_WEIGHTS] = {"weights", false, "a list of {projection, every}"},
};

enum { WK_PROJECTION, WK_EVERY, WK_COUNT };
static const key_spec WEIGHT_KEYS[WK_COUNT] = {
    [WK_PROJECTION] = {"projection", true, "a projection name"},
    [WK_EVERY] = {"every", true, "a time such as 100 ms"},
};

enum { STK_POPULATION, STK_VARIABLES, STK_NEURONS, STK_INTERVAL, STK_COUNT };
static const key_spec STATE_KEYS[STK_COUNT] = {
    [STK_POPULATION] = {"population", true, "a population name"},
    [STK_VARIABLES] = {"variables", true, "a list of state variables such as [V_m]"},
    [STK_NEURONS] = {"neurons", false, "a list of neuron indices such as [0, 1, 2]"},
    [STK_INTERVAL] = {"interval", false, "a time such as 1 ms"},
};

/* record.spikes: "all" or a list of names, each at most once. */
static void read_record_spikes(ir_t *ir, yaml_node_t *node) {
  ctx_t *c = ir->c;
  char names[LIST_MAX], sug[96];
  entry_filter f = {ir, 0};
  const char *s = scalar_text(node);
  if (s != NULL && !is_null(node)) {
    if (strcmp(s, "all") != 0) {
      report(c, node, "invalid spikes '%.*s%s'; expected all or a list of names such as [%s]",
             ECHO(s), ir->npops && ir->pops[0].name ? ir->pops[0].name : "exc");
      return;
    }
    ir->spikes = xcalloc(c, ir->npops, sizeof *ir->spikes);
    for (size_t i = 0; ir->spikes != NULL && i < ir->npops; i++)
      ir->spikes[ir->nspikes++] = (spike_rec){node, (int)i};
    return;
  }
  size_t n;
  if (!need_sequence(c, node, "spikes", "all or a list of population and stimulus names", true, &n))
    return;
  ir->spikes = xcalloc(c, n, sizeof *ir->spikes);
  if (n > 0 && ir->spikes == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    yaml_node_t *item = seq_item(c, node, i);
    const char *name = need_scalar(c, item, "a name in spikes", "a population or stimulus name");
    if (name == NULL)
      continue;
    int e = find_entry(ir, name);
    if (e < 0 && ir->names_incomplete)
      continue;
    if (e < 0) {
      report(c, item, "unknown population '%.*s%s' in record.spikes%s; expected one of %s",
             ECHO(name), suggest(name, next_entry, &f, sug, sizeof sug),
             list_names(next_entry, &f, names, sizeof names));
      continue;
    }
    bool dup = false;
    for (size_t k = 0; k < ir->nspikes && !dup; k++)
      if (ir->spikes[k].pop == e) {
        report(c, item,
               "'%s' is listed twice in record.spikes (first at line %d, column %d); "
               "expected each name once",
               name, (int)ir->spikes[k].node->start_mark.line + 1,
               (int)ir->spikes[k].node->start_mark.column + 1);
        dup = true;
      }
    if (!dup)
      ir->spikes[ir->nspikes++] = (spike_rec){item, e};
  }
}

/* One entry of record.state. */
static void read_state_rec(ir_t *ir, yaml_node_t *node, size_t index) {
  ctx_t *c = ir->c;
  char what[128], names[LIST_MAX], sug[96];
  snprintf(what, sizeof what, "state record #%zu", index + 1);
  state_rec *r = &ir->states[ir->nstates++];
  r->node = node;
  r->pop = -1;
  yaml_node_t *keys[STK_COUNT], *vals[STK_COUNT];
  if (!read_mapping(c, node, STATE_KEYS, STK_COUNT, what, false, keys, vals))
    return;
  entry_filter f = {ir, 0};
  const pop_entry *p = NULL;
  if (vals[STK_POPULATION] != NULL) {
    const char *name = need_scalar(c, vals[STK_POPULATION], "population", "a population name");
    if (name != NULL) {
      r->pop = find_entry(ir, name);
      if (r->pop >= 0)
        p = &ir->pops[r->pop];
      else if (!ir->names_incomplete)
        report(c, vals[STK_POPULATION], "unknown population '%.*s%s' in %s%s; expected one of %s",
               ECHO(name), what, suggest(name, next_entry, &f, sug, sizeof sug),
               list_names(next_entry, &f, names, sizeof names));
    }
  }
  size_t n;
  if (vals[STK_VARIABLES] != NULL && need_sequence(c, vals[STK_VARIABLES], "variables",
                                                   STATE_KEYS[STK_VARIABLES].hint, false, &n)) {
    if (n == 0)
      report(c, vals[STK_VARIABLES], "variables is empty; expected at least one state variable");
    r->vars = xcalloc(c, n, sizeof *r->vars);
    r->var_nodes = xcalloc(c, n, sizeof *r->var_nodes);
    for (size_t i = 0; r->vars != NULL && r->var_nodes != NULL && i < n; i++) {
      yaml_node_t *item = seq_item(c, vals[STK_VARIABLES], i);
      const char *var = need_scalar(c, item, "a variable", "a state variable name");
      if (var == NULL || p == NULL || p->model == NULL || p->misplaced)
        continue;
      if (hebb_neuron_model_state(p->model, 0, &(const char *){NULL}) == NULL) {
        report(c, item,
               "'%s' is a %s, which has no state variables; expected a neuron "
               "population",
               p->name, p->model);
        break;
      }
      const char *unit, *name;
      size_t k = 0;
      while ((name = hebb_neuron_model_state(p->model, k, &unit)) != NULL && strcmp(name, var))
        k++;
      if (name == NULL) {
        report(c, item,
               "unknown state variable '%.*s%s' for model %s of '%s'%s; expected one "
               "of %s",
               ECHO(var), p->model, p->name, suggest(var, next_state, p->model, sug, sizeof sug),
               list_names(next_state, p->model, names, sizeof names));
        continue;
      }
      bool dup = false;
      for (size_t q = 0; q < r->nvars && !dup; q++)
        dup = strcmp(r->vars[q], var) == 0;
      if (dup) {
        report(c, item, "state variable '%s' is listed twice in %s; expected each once", var, what);
        continue;
      }
      r->var_nodes[r->nvars] = item;
      r->vars[r->nvars++] = var;
    }
  }
  if (vals[STK_NEURONS] != NULL &&
      need_sequence(c, vals[STK_NEURONS], "neurons", STATE_KEYS[STK_NEURONS].hint, false, &n)) {
    if (n == 0)
      report(c, vals[STK_NEURONS],
             "neurons is empty; expected at least one index (or no "
             "neurons key to record all)");
    r->neurons = xcalloc(c, n, sizeof *r->neurons);
    uint64_t max = p != NULL && p->size > 0 ? p->size - 1u : UINT32_MAX - 1u;
    char hint[96];
    snprintf(hint, sizeof hint, "an index from 0 to %llu", (unsigned long long)max);
    for (size_t i = 0; r->neurons != NULL && i < n; i++) {
      uint64_t v;
      if (read_uint(c, seq_item(c, vals[STK_NEURONS], i), "neuron index", 0, max, hint, &v))
        r->neurons[r->nneurons++] = (uint32_t)v;
    }
  }
  if (vals[STK_INTERVAL] != NULL &&
      read_quantity(c, vals[STK_INTERVAL], HEBB_DIM_TIME, "interval", &r->interval)) {
    if (!(r->interval > 0))
      report(c, vals[STK_INTERVAL], "interval must be positive; expected a time such as 1 ms");
    else
      r->has_interval = true;
  }
}

/* Iterates the known projection names; ARG is the ir. */
static const char *next_projection(const void *arg, size_t *cursor) {
  const ir_t *ir = arg;
  while (*cursor < ir->nprojs) {
    const proj_entry *j = &ir->projs[(*cursor)++];
    if (j->name != NULL)
      return j->name;
  }
  return NULL;
}

/* The index of the projection the builder will call NAME (the first one, when a name is
 * given twice), or -1. */
static int find_projection(const ir_t *ir, const char *name) {
  for (size_t i = 0; i < ir->nprojs; i++)
    if (ir->projs[i].name != NULL && strcmp(ir->projs[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* One entry of record.weights: {projection: NAME, every: TIME}, each projection once. */
static void read_weight_rec(ir_t *ir, yaml_node_t *node, size_t index) {
  ctx_t *c = ir->c;
  char what[128], names[LIST_MAX], sug[96];
  snprintf(what, sizeof what, "weight record #%zu", index + 1);
  yaml_node_t *keys[WK_COUNT], *vals[WK_COUNT];
  if (!read_mapping(c, node, WEIGHT_KEYS, WK_COUNT, what, false, keys, vals))
    return;
  int proj = -1;
  const char *name = NULL;
  if (vals[WK_PROJECTION] != NULL)
    name = need_scalar(c, vals[WK_PROJECTION], "projection", WEIGHT_KEYS[WK_PROJECTION].hint);
  if (name != NULL) {
    proj = find_projection(ir, name);
    if (proj < 0 && !ir->proj_names_incomplete) {
      if (ir->nprojs == 0)
        report(c, vals[WK_PROJECTION],
               "unknown projection '%.*s%s' in record.weights; expected the name of a "
               "projection, and the model has none",
               ECHO(name));
      else
        report(c, vals[WK_PROJECTION],
               "unknown projection '%.*s%s' in record.weights%s; expected one of %s (an unnamed "
               "projection is called SOURCE_to_TARGET)",
               ECHO(name), suggest(name, next_projection, ir, sug, sizeof sug),
               list_names(next_projection, ir, names, sizeof names));
    }
    if (proj >= 0 && ir->projs[proj].feedback) {
      report(c, vals[WK_PROJECTION],
             "'%s' is a feedback: it carries the error back and has no weights of its own; "
             "expected a projection",
             name);
      proj = -1;
    }
    for (size_t k = 0; proj >= 0 && k < ir->nweights; k++)
      if (ir->weights[k].proj == proj) {
        report(c, vals[WK_PROJECTION],
               "projection '%s' is listed twice in record.weights (first at line %d, column "
               "%d); expected each projection once",
               name, (int)ir->weights[k].at->start_mark.line + 1,
               (int)ir->weights[k].at->start_mark.column + 1);
        proj = -1;
        break;
      }
  }
  double every = 0;
  if (vals[WK_EVERY] != NULL && read_quantity(c, vals[WK_EVERY], HEBB_DIM_TIME, "every", &every) &&
      !(every > 0))
    report(c, vals[WK_EVERY], "every must be positive; expected a time such as 100 ms");
  /* A missing key or a bad value is reported: the entry is kept only when complete. */
  if (proj >= 0 && every > 0)
    ir->weights[ir->nweights++] =
        (weight_rec){node, vals[WK_PROJECTION], keys[WK_EVERY], proj, every};
}

static void read_record(ir_t *ir, yaml_node_t *node) {
  ctx_t *c = ir->c;
  yaml_node_t *keys[RK_COUNT], *vals[RK_COUNT];
  if (!read_mapping(c, node, REC_KEYS, RK_COUNT, "record", true, keys, vals))
    return;
  if (vals[RK_SPIKES] != NULL)
    read_record_spikes(ir, vals[RK_SPIKES]);
  size_t n;
  if (vals[RK_STATE] != NULL &&
      need_sequence(c, vals[RK_STATE], "state", REC_KEYS[RK_STATE].hint, true, &n)) {
    ir->states = xcalloc(c, n, sizeof *ir->states);
    for (size_t i = 0; ir->states != NULL && i < n; i++)
      read_state_rec(ir, seq_item(c, vals[RK_STATE], i), i);
  }
  if (vals[RK_WEIGHTS] != NULL &&
      need_sequence(c, vals[RK_WEIGHTS], "weights", REC_KEYS[RK_WEIGHTS].hint, true, &n)) {
    ir->weights = xcalloc(c, n, sizeof *ir->weights);
    for (size_t i = 0; ir->weights != NULL && i < n; i++)
      read_weight_rec(ir, seq_item(c, vals[RK_WEIGHTS], i), i);
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Phase 1: the document                                                                     */
/* ---------------------------------------------------------------------------------------- */

enum { TK_SIMULATION, TK_POPULATIONS, TK_STIMULI, TK_PROJECTIONS, TK_RECORD, TK_PLUGINS, TK_COUNT };
static const key_spec TOP_KEYS[TK_COUNT] = {
    [TK_SIMULATION] = {"simulation", true, "a mapping with dt, duration, seed, threads"},
    [TK_POPULATIONS] = {"populations", true, "a list of populations (- name: ...)"},
    [TK_STIMULI] = {"stimuli", false, "a list of stimuli"},
    [TK_PROJECTIONS] = {"projections", false, "a list of projections"},
    [TK_RECORD] = {"record", false, "a mapping with spikes, state and weights"},
    [TK_PLUGINS] = {"plugins", false, "a list of plasticity rule plugins (shared objects)"},
};

/* Loads the plasticity rule plugins listed in NODE (paths relative to the model file's
 * directory unless absolute) into the rule registry, so that projections can name their
 * rules. A plugin stays loaded even when the file has other problems. */
static void read_plugins(ir_t *ir, yaml_node_t *node) {
  ctx_t *c = ir->c;
  size_t n;
  if (!need_sequence(c, node, "plugins", "a list of paths to shared objects", true, &n))
    return;
  const char *slash = strrchr(c->file, '/');
  int dirlen = slash != NULL ? (int)(slash - c->file) + 1 : 0;
  for (size_t i = 0; i < n; i++) {
    yaml_node_t *item = seq_item(c, node, i);
    const char *s = need_scalar(c, item, "a plugin", "a path to a shared object");
    char path[4096], err[512];
    if (s == NULL)
      continue;
    snprintf(path, sizeof path, "%.*s%s", s[0] == '/' ? 0 : dirlen, c->file, s);
    if (hebb_rule_load(path, err, sizeof err) != 0)
      report(c, item, "%s", err);
  }
}

/* Walks the whole document. Sections are read in dependency order (names before the
 * projections and records that use them) whatever their order in the file; the problems are
 * sorted by position afterwards. */
static void read_document(ir_t *ir, yaml_node_t *root) {
  ctx_t *c = ir->c;
  yaml_node_t *keys[TK_COUNT], *vals[TK_COUNT];
  ir->root = root;
  if (!read_mapping(c, root, TOP_KEYS, TK_COUNT, "the model file", false, keys, vals))
    return;
  if (vals[TK_SIMULATION] != NULL)
    read_simulation(ir, vals[TK_SIMULATION]);
  if (vals[TK_PLUGINS] != NULL) /* before the projections name their rules */
    read_plugins(ir, vals[TK_PLUGINS]);
  size_t np = 0, ns = 0, nj = 0;
  if (vals[TK_POPULATIONS] != NULL && vals[TK_POPULATIONS]->type == YAML_SEQUENCE_NODE)
    np = seq_len(vals[TK_POPULATIONS]);
  if (vals[TK_STIMULI] != NULL && vals[TK_STIMULI]->type == YAML_SEQUENCE_NODE)
    ns = seq_len(vals[TK_STIMULI]);
  ir->pops = xcalloc(c, np + ns, sizeof *ir->pops);
  if (np + ns > 0 && ir->pops == NULL)
    return;
  if (vals[TK_POPULATIONS] != NULL)
    read_population_list(ir, vals[TK_POPULATIONS], false);
  if (vals[TK_STIMULI] != NULL)
    read_population_list(ir, vals[TK_STIMULI], true);
  /* Without a readable list of populations or stimuli, names cannot be checked. */
  if (vals[TK_POPULATIONS] == NULL || vals[TK_POPULATIONS]->type != YAML_SEQUENCE_NODE ||
      (vals[TK_STIMULI] != NULL && vals[TK_STIMULI]->type != YAML_SEQUENCE_NODE &&
       !is_null(vals[TK_STIMULI])))
    ir->names_incomplete = true;
  if (vals[TK_PROJECTIONS] != NULL &&
      need_sequence(c, vals[TK_PROJECTIONS], "projections", "a list of projections (- source: ...)",
                    true, &nj)) {
    ir->projs = xcalloc(c, nj, sizeof *ir->projs);
    for (size_t i = 0; ir->projs != NULL && i < nj; i++)
      read_projection(ir, seq_item(c, vals[TK_PROJECTIONS], i), i);
  } else if (vals[TK_PROJECTIONS] != NULL) {
    ir->proj_names_incomplete = true; /* not a list (reported): its names are unknown */
  }
  if (vals[TK_RECORD] != NULL)
    read_record(ir, vals[TK_RECORD]);
}

/* ---------------------------------------------------------------------------------------- */
/* Phase 2: builder calls                                                                    */
/* ---------------------------------------------------------------------------------------- */

/* Builder field names that differ from the model-file key they stand for. */
static const struct {
  const char *field;
  const char *keys[3];
} FIELD_ALIASES[] = {
    {"n", {"indegree", "outdegree", "N"}},
    {"delay_ms", {"delay"}},
    {"interval_ms", {"interval"}},
    {"var", {"variables"}},
    {"indices", {"neurons"}},
    {"times", {"spike_times"}},
    {"dt_ms", {"dt"}},
    {"duration_ms", {"duration"}},
};

/* Reports the last builder failure (RC) at the key named by hebb_model_error(m)->field in
 * mapping ENTRY; at FALLBACK (or ENTRY itself) when the field is empty or not in it. */
static void builder_error(ir_t *ir, hebb_model *m, int rc, const yaml_node_t *entry,
                          const yaml_node_t *fallback) {
  const hebb_error_info *e = hebb_model_error(m);
  const char *field = e != NULL ? e->field : "";
  const yaml_node_t *at = NULL;
  if (field[0] != '\0') {
    at = map_key(ir->c, entry, field);
    for (size_t i = 0; at == NULL && i < sizeof FIELD_ALIASES / sizeof FIELD_ALIASES[0]; i++)
      if (strcmp(FIELD_ALIASES[i].field, field) == 0)
        for (size_t k = 0; at == NULL && k < 3 && FIELD_ALIASES[i].keys[k] != NULL; k++)
          at = map_key(ir->c, entry, FIELD_ALIASES[i].keys[k]);
  }
  if (at == NULL)
    at = fallback != NULL ? fallback : entry;
  if (at == NULL)
    at = ir->root;
  const char *msg = e != NULL && e->message[0] != '\0' ? e->message : hebb_strerror(rc);
  report(ir->c, at, "%s", msg);
  if (rc == HEBB_ENOMEM)
    ir->c->oom = true;
}

/* Adds entry P with its parameters, initial values and spike times. */
static void build_population(ir_t *ir, hebb_model *m, pop_entry *p) {
  int rc = hebb_model_add_population(m, p->name, p->model, p->size, &p->id);
  if (rc != 0) {
    p->id = -1;
    builder_error(ir, m, rc, p->node, NULL);
    return;
  }
  for (size_t i = 0; i < p->nparams; i++) {
    const param_item *it = &p->params[i];
    rc = it->option != NULL ? hebb_model_set_option(m, p->id, it->name, it->option)
                            : hebb_model_set_param(m, p->id, it->name, it->value);
    if (rc != 0)
      builder_error(ir, m, rc, p->params_node, it->key);
  }
  for (size_t i = 0; i < p->ninits; i++) {
    rc = hebb_model_set_initial(m, p->id, p->inits[i].var, p->inits[i].dist);
    if (rc != 0)
      builder_error(ir, m, rc, p->initial_node, p->inits[i].key);
  }
  for (size_t i = 0; i < p->ntimes; i++) {
    rc = hebb_model_set_spike_times(m, p->id, (uint32_t)i, p->times[i].t, p->times[i].n);
    if (rc != 0)
      builder_error(ir, m, rc, NULL, p->times[i].node);
  }
  if (p->target_node != NULL && p->ntarget != p->size)
    report(ir->c, p->target_node,
           "the target of population '%s' has %zu list%s of spike times but the population "
           "has %u neurons; expected one list per neuron",
           p->name, p->ntarget, p->ntarget == 1 ? "" : "s", (unsigned)p->size);
  else
    for (size_t i = 0; p->target_node != NULL && i < p->ntarget; i++) {
      rc = hebb_model_set_target(m, p->id, (uint32_t)i, p->target[i].t, p->target[i].n,
                                 p->target_period);
      if (rc != 0) {
        builder_error(ir, m, rc, p->target_node, p->target[i].node);
        break;
      }
    }
}

/* Reports a failure of the plasticity builder calls of projection J at the key the builder
 * names: inside the plasticity mapping (rule, a parameter), else in the projection's own
 * mapping (weight, plasticity), else at FALLBACK. */
static void plasticity_error(ir_t *ir, hebb_model *m, int rc, const proj_entry *j,
                             const yaml_node_t *fallback) {
  const hebb_error_info *e = hebb_model_error(m);
  bool inner = e != NULL && e->field[0] != '\0' && map_key(ir->c, j->plast_node, e->field) != NULL;
  builder_error(ir, m, rc, inner ? j->plast_node : j->node, fallback);
}

/* Reports a failure of a builder call for a reserved plasticity key of projection J at the
 * key the builder names: inside INNER (the modulator, a reward, a switch, the schedule), else
 * in the plasticity mapping (modulator, rewards), else at FALLBACK. */
static void plasticity_key_error(ir_t *ir, hebb_model *m, int rc, const proj_entry *j,
                                 const yaml_node_t *inner, const yaml_node_t *fallback) {
  const char *field = hebb_model_error(m)->field;
  const yaml_node_t *in = NULL;
  if (field[0] != '\0' && map_key(ir->c, inner, field) != NULL)
    in = inner;
  else if (field[0] != '\0' && map_key(ir->c, j->plast_node, field) != NULL)
    in = j->plast_node;
  builder_error(ir, m, rc, in, fallback);
}

/* The default delay of a modulator: the network's smallest synaptic delay (the lowest value
 * each spike-carrying projection's delay can take, in whole steps of DT), which is the
 * shortest modulator delay the engine accepts. */
static double default_modulator_delay(const ir_t *ir, double dt) {
  long long best = 0;
  for (size_t i = 0; i < ir->nprojs; i++) {
    const proj_entry *j = &ir->projs[i];
    if (j->feedback || j->src < 0 || ir->pops[j->src].model == NULL ||
        strcmp(ir->pops[j->src].model, "dc_generator") == 0)
      continue;
    const hebb_dist *d = &j->spec.delay_ms;
    double lo = d->kind == HEBB_DIST_NORMAL_CLIPPED ? d->lo : d->a;
    if (d->kind == HEBB_DIST_NORMAL || !isfinite(lo))
      continue; /* refused by the builder */
    long long steps = llround(lo / dt);
    if (steps < 1)
      steps = 1;
    if (best == 0 || steps < best)
      best = steps;
  }
  return (double)(best > 0 ? best : 1) * dt;
}

/* Sets the learning schedule of projection J. When a switch is refused, the schedule is set
 * again with the switches up to each one in turn, so that the problem is reported at the
 * switch at fault. */
static void build_schedule(ir_t *ir, hebb_model *m, const proj_entry *j) {
  size_t n = j->nswitches;
  double *at = malloc((n ? n : 1) * sizeof *at);
  bool *learn = malloc((n ? n : 1) * sizeof *learn);
  if (at == NULL || learn == NULL) {
    free(at);
    free(learn);
    ir->c->oom = true;
    return;
  }
  for (size_t i = 0; i < n; i++) {
    at[i] = j->switches[i].at;
    learn[i] = j->switches[i].learn;
  }
  int rc = hebb_model_set_learning_schedule(m, j->id, at, learn, n, j->repeat);
  const yaml_node_t *inner = j->sched_node;
  if (rc != 0 && strcmp(hebb_model_error(m)->field, "at") == 0) {
    for (size_t k = 1; k <= n; k++) {
      int rk = hebb_model_set_learning_schedule(m, j->id, at, learn, k, j->repeat);
      if (rk != 0) {
        rc = rk;
        inner = j->switches[k - 1].node;
        break;
      }
    }
  }
  if (rc != 0)
    plasticity_key_error(ir, m, rc, j, inner, j->sched_key);
  free(at);
  free(learn);
}

/* Makes projection J (added as j->id) plastic under its rule, then sets the rule's
 * parameters and options in file order, then its modulator, rewards and schedule. */
static void build_plasticity(ir_t *ir, hebb_model *m, const proj_entry *j) {
  int rc = hebb_model_set_plasticity(m, j->id, j->plast_rule);
  if (rc != 0) {
    plasticity_error(ir, m, rc, j, j->plast_key);
    return; /* the parameters would only fail for want of a rule */
  }
  for (size_t i = 0; i < j->nplast_params; i++) {
    const param_item *it = &j->plast_params[i];
    rc = it->option != NULL ? hebb_model_set_plasticity_option(m, j->id, it->name, it->option)
                            : hebb_model_set_plasticity_param(m, j->id, it->name, it->value);
    if (rc != 0)
      plasticity_error(ir, m, rc, j, it->key);
  }
  /* the values are judged together, once all are set */
  rc = hebb_model_check_plasticity(m, j->id);
  if (rc != 0)
    plasticity_error(ir, m, rc, j, j->plast_key);
  if (j->mod_node != NULL && ir->pops[j->mod_pop].id >= 0) {
    double delay = j->mod_has_delay ? j->mod_delay : default_modulator_delay(ir, hebb_model_dt(m));
    rc = hebb_model_set_modulator(m, j->id, ir->pops[j->mod_pop].id, delay);
    if (rc != 0)
      plasticity_key_error(ir, m, rc, j, j->mod_node, j->mod_key);
  }
  for (size_t i = 0; i < j->nrewards; i++) {
    const timed_item *r = &j->rewards[i];
    rc = hebb_model_add_reward(m, j->id, r->at, r->amount);
    if (rc != 0) {
      plasticity_key_error(ir, m, rc, j, r->node, r->node);
      if (strcmp(hebb_model_error(m)->field, "at") != 0)
        break; /* not for this reward but for all (a rule without a modulator) */
    }
  }
  if (j->sched_node != NULL)
    build_schedule(ir, m, j);
  if (j->critic_node != NULL && ir->pops[j->critic_pop[0]].id >= 0 &&
      ir->pops[j->critic_pop[1]].id >= 0) {
    rc =
        hebb_model_set_critic(m, j->id, ir->pops[j->critic_pop[0]].id, (uint32_t)j->critic_index[0],
                              ir->pops[j->critic_pop[1]].id, (uint32_t)j->critic_index[1],
                              j->critic_window, j->critic_delay, j->critic_amount);
    if (rc != 0)
      plasticity_key_error(ir, m, rc, j, j->critic_node, j->critic_key);
  }
}

/* Phase 2: makes the builder calls in file order; returns the model, or NULL after
 * reporting every failure. */
static hebb_model *build(ir_t *ir, const char *name) {
  hebb_model *m = hebb_model_new();
  if (m == NULL) {
    ir->c->oom = true;
    return NULL;
  }
  int before = ir->c->total, rc;
  const char *base = strrchr(name, '/');
  if ((rc = hebb_model_set_name(m, base != NULL ? base + 1 : name)) != 0)
    builder_error(ir, m, rc, NULL, ir->root);
  for (int k = 0; k < SK_COUNT; k++) {
    if (!ir->sim_has[k])
      continue;
    switch (k) {
    case SK_DT:
      rc = hebb_model_set_dt(m, ir->dt);
      break;
    case SK_DURATION:
      rc = hebb_model_set_duration(m, ir->duration);
      break;
    case SK_SEED:
      rc = hebb_model_set_seed(m, ir->seed);
      break;
    default:
      rc = hebb_model_set_threads(m, (int)ir->threads);
      break;
    }
    if (rc != 0)
      builder_error(ir, m, rc, ir->sim_node, ir->sim_keys[k]);
  }
  for (size_t i = 0; i < ir->npops; i++)
    build_population(ir, m, &ir->pops[i]);
  for (size_t i = 0; i < ir->nprojs; i++) {
    proj_entry *j = &ir->projs[i];
    /* A failed endpoint was reported already; the projection cannot be checked without it. */
    if (j->src < 0 || j->dst < 0 || ir->pops[j->src].id < 0 || ir->pops[j->dst].id < 0)
      continue;
    if (j->feedback)
      continue; /* after every projection: see below */
    j->spec.source = ir->pops[j->src].id;
    j->spec.target = ir->pops[j->dst].id;
    if ((rc = hebb_model_add_projection(m, &j->spec, &j->id)) != 0) {
      j->id = -1;
      builder_error(ir, m, rc, j->node, NULL);
    } else if (j->plast_rule != NULL) {
      build_plasticity(ir, m, j);
    }
  }
  for (size_t i = 0; i < ir->nprojs; i++) {
    proj_entry *j = &ir->projs[i];
    if (!j->feedback || j->fb_kind < 0 || j->src < 0 || j->dst < 0 || ir->pops[j->src].id < 0 ||
        ir->pops[j->dst].id < 0)
      continue;
    int fb;
    if ((rc = hebb_model_add_feedback(m, j->name, ir->pops[j->src].id, ir->pops[j->dst].id,
                                      (hebb_feedback_kind)j->fb_kind, j->fb_delay, j->fb_scale,
                                      &fb)) != 0 ||
        (rc = hebb_model_check_feedback(m, fb)) != 0) {
      builder_error(ir, m, rc, j->node, NULL);
      continue;
    }
    double dmin = default_modulator_delay(ir, hebb_model_dt(m));
    if (j->fb_delay > 0 && j->fb_delay < dmin * (1 - 1e-9))
      report(ir->c, map_key(ir->c, j->node, "delay"),
             "the feedback delay %g ms is shorter than the network's smallest synaptic delay "
             "(%g ms); expected at least that: the error travels like a spike",
             j->fb_delay, dmin);
  }
  for (size_t i = 0; i < ir->nspikes; i++) {
    int id = ir->pops[ir->spikes[i].pop].id;
    if (id >= 0 && (rc = hebb_model_record_spikes(m, id)) != 0)
      builder_error(ir, m, rc, NULL, ir->spikes[i].node);
  }
  for (size_t i = 0; i < ir->nstates; i++) {
    const state_rec *r = &ir->states[i];
    int id = r->pop >= 0 ? ir->pops[r->pop].id : -1;
    if (id < 0)
      continue;
    double interval = r->has_interval ? r->interval : hebb_model_dt(m);
    for (size_t v = 0; v < r->nvars; v++) {
      rc = hebb_model_record_state(m, id, r->vars[v], r->neurons, r->nneurons, interval);
      if (rc != 0) {
        /* A variable-specific failure points at the variable, anything else at its key. */
        const hebb_error_info *e = hebb_model_error(m);
        bool var_field = e == NULL || e->field[0] == '\0' || strcmp(e->field, "var") == 0 ||
                         strcmp(e->field, "variables") == 0;
        builder_error(ir, m, rc, var_field ? NULL : r->node, r->var_nodes[v]);
      }
    }
  }
  for (size_t i = 0; i < ir->nweights; i++) {
    const weight_rec *r = &ir->weights[i];
    int id = ir->projs[r->proj].id;
    if (id >= 0 && (rc = hebb_model_record_weights(m, id, r->every)) != 0)
      builder_error(ir, m, rc, r->node, r->every_k);
  }
  if (ir->c->total != before) {
    hebb_model_free(m);
    return NULL;
  }
  return m;
}

/* ---------------------------------------------------------------------------------------- */
/* Loading                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/* Reports a libyaml failure: its problem at its position, with the context it was in. The
 * reader (bad UTF-8, control characters) only gives a byte offset, turned into a position
 * by counting lines in the input. */
static void report_yaml_error(ctx_t *c, const yaml_parser_t *parser, const char *buf, size_t len) {
  int line, col;
  if (parser->error == YAML_READER_ERROR) {
    line = 1;
    col = 1;
    for (size_t i = 0; i < parser->problem_offset && i < len; i++) {
      if (buf[i] == '\n') {
        line++;
        col = 1;
      } else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
        col++;
      }
    }
  } else {
    line = (int)parser->problem_mark.line + 1;
    col = (int)parser->problem_mark.column + 1;
  }
  const char *problem = parser->problem != NULL ? parser->problem : "unknown problem";
  /* libyaml's wording is terse; say what usually causes each kind of failure. */
  const char *hint = "well-formed YAML (check the indentation and the ':' after each key)";
  if (parser->error == YAML_READER_ERROR)
    hint = "UTF-8 text without control characters";
  else if (parser->problem_mark.index < len && buf[parser->problem_mark.index] == '\t')
    hint = "spaces for indentation (YAML does not allow tabs there)";
  char ctx[160] = "";
  if (parser->context != NULL)
    snprintf(ctx, sizeof ctx, " (%s at line %d, column %d)", parser->context,
             (int)parser->context_mark.line + 1, (int)parser->context_mark.column + 1);
  report_at(c, line, col, "YAML syntax error: %s%s; expected %s", problem, ctx, hint);
}

/* Parses BUF (LEN bytes) and runs both phases. NAME is used in messages and, without its
 * directory, as the model's name. */
static int load_buffer(const char *buf, size_t len, const char *name, hebb_model **out,
                       hebb_diag *diag) {
  ctx_t c = {.file = name};
  yaml_parser_t parser;
  yaml_document_t doc;
  int rc = HEBB_EPARSE;
  if (!yaml_parser_initialize(&parser)) {
    snprintf(diag->text, sizeof diag->text, "%s: out of memory\n", name);
    diag->count = 1;
    return HEBB_ENOMEM;
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
  if (!yaml_parser_load(&parser, &doc)) {
    if (parser.error == YAML_MEMORY_ERROR)
      c.oom = true;
    else
      report_yaml_error(&c, &parser, buf, len);
    goto done_parser;
  }
  c.doc = &doc;
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (root == NULL || is_null(root)) {
    report_at(&c, 1, 1, "empty model file; expected a mapping with simulation and populations");
    goto done_doc;
  }
  /* A second document in the stream would be silently ignored: refuse it. */
  yaml_document_t extra;
  if (!yaml_parser_load(&parser, &extra)) {
    if (parser.error == YAML_MEMORY_ERROR)
      c.oom = true;
    else
      report_yaml_error(&c, &parser, buf, len);
  } else {
    if (yaml_document_get_root_node(&extra) != NULL)
      report_at(&c, (int)extra.start_mark.line + 1, (int)extra.start_mark.column + 1,
                "a second YAML document starts here; expected a single document per model file");
    yaml_document_delete(&extra);
  }

  ir_t ir = {.c = &c};
  read_document(&ir, root);
  if (c.total == 0 && !c.oom) {
    *out = build(&ir, name);
    if (*out != NULL)
      rc = HEBB_OK;
  }
  ir_free(&ir);
done_doc:
  yaml_document_delete(&doc);
done_parser:
  yaml_parser_delete(&parser);
  if (c.oom) {
    rc = HEBB_ENOMEM;
    report_at(&c, 0, 0, "out of memory while reading the model");
  }
  if (rc != HEBB_OK && *out != NULL) {
    hebb_model_free(*out);
    *out = NULL;
  }
  render(&c, diag);
  ctx_free(&c);
  return rc;
}

/* Reads a model from a string; see hebb.h. */
int hebb_model_load_string(const char *yaml, size_t len, const char *name, hebb_model **out,
                           hebb_diag *diag) {
  hebb_diag local;
  if (diag == NULL)
    diag = &local;
  diag->count = 0;
  diag->text[0] = '\0';
  if (out == NULL || (yaml == NULL && len > 0))
    return HEBB_EINVAL;
  *out = NULL;
  if (name == NULL)
    name = "<string>";
  return load_buffer(yaml != NULL ? yaml : "", len, name, out, diag);
}

/* Reads a model file; see hebb.h. The whole file is read into memory first, so that a
 * reader error's byte offset can be turned into a line and column. */
int hebb_model_load(const char *path, hebb_model **out, hebb_diag *diag) {
  hebb_diag local;
  if (diag == NULL)
    diag = &local;
  diag->count = 0;
  diag->text[0] = '\0';
  if (out == NULL || path == NULL)
    return HEBB_EINVAL;
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    snprintf(diag->text, sizeof diag->text, "%s: cannot open: %s\n", path, strerror(errno));
    diag->count = 1;
    return HEBB_EIO;
  }
  size_t len = 0, cap = 0;
  char *buf = NULL;
  int rc = HEBB_OK;
  for (;;) {
    if (len == cap) {
      size_t ncap = cap ? cap * 2 : 65536;
      char *nbuf = realloc(buf, ncap);
      if (nbuf == NULL) {
        rc = HEBB_ENOMEM;
        break;
      }
      buf = nbuf;
      cap = ncap;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0)
      break;
  }
  if (rc == HEBB_OK && ferror(f)) {
    snprintf(diag->text, sizeof diag->text, "%s: cannot read: %s\n", path, strerror(errno));
    diag->count = 1;
    rc = HEBB_EIO;
  } else if (rc == HEBB_ENOMEM) {
    snprintf(diag->text, sizeof diag->text, "%s: out of memory while reading the file\n", path);
    diag->count = 1;
  }
  fclose(f);
  if (rc == HEBB_OK)
    rc = load_buffer(buf, len, path, out, diag);
  free(buf);
  return rc;
}

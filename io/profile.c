/* profile.c - the profile of a run as a table for people (hebb run --profile, hebb profile)
 * and as a JSON member of summary.json: time per phase and partition, counts, load
 * imbalance, hardware counters where measured, memory by component.
 */
#define _POSIX_C_SOURCE 200809L
#include "hebb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Busy time of a partition: everything but waiting at the barrier. */
static double busy(const hebb_partition_profile *p) {
  double t = 0.0;
  for (int k = 0; k < HEBB_PHASES; k++)
    if (strcmp(hebb_phase_name(k), "barrier_wait") != 0)
      t += p->phase_s[k];
  return t;
}

/* The profiles of all partitions and their sum (in *total). NULL when out of memory. */
static hebb_partition_profile *gather(const hebb_sim *s, hebb_partition_profile *total,
                                      double *imbalance) {
  int P = hebb_sim_threads(s);
  hebb_partition_profile *v = calloc((size_t)P, sizeof *v);
  if (!v)
    return NULL;
  memset(total, 0, sizeof *total);
  total->hw = true;
  double bmax = 0.0, bsum = 0.0;
  for (int p = 0; p < P; p++) {
    hebb_sim_partition_profile(s, p, &v[p]);
    for (int k = 0; k < HEBB_PHASES; k++) {
      total->phase_s[k] += v[p].phase_s[k];
      total->cycles[k] += v[p].cycles[k];
      total->instructions[k] += v[p].instructions[k];
      total->cache_misses[k] += v[p].cache_misses[k];
    }
    total->spikes += v[p].spikes;
    total->synaptic_events += v[p].synaptic_events;
    total->plastic_updates += v[p].plastic_updates;
    total->queue_events += v[p].queue_events;
    total->hw = total->hw && v[p].hw;
    total->hw_requested = v[p].hw_requested;
    double b = busy(&v[p]);
    bmax = b > bmax ? b : bmax;
    bsum += b;
  }
  *imbalance = bsum > 0 ? bmax / (bsum / P) : 1.0;
  return v;
}

static void row(FILE *f, const char *label, const hebb_partition_profile *p) {
  fprintf(f, "  %-9s", label);
  for (int k = 0; k < HEBB_PHASES; k++)
    fprintf(f, " %9.4f", p->phase_s[k]);
  fprintf(f, " %9.4f %10llu %12llu %12llu %12llu\n", busy(p), (unsigned long long)p->spikes,
          (unsigned long long)p->synaptic_events, (unsigned long long)p->plastic_updates,
          (unsigned long long)p->queue_events);
}

static void hw_row(FILE *f, const char *label, const hebb_partition_profile *p) {
  fprintf(f, "  %-9s", label);
  for (int k = 0; k < HEBB_PHASES; k++) {
    double c = (double)p->cycles[k], i = (double)p->instructions[k];
    if (c > 0)
      fprintf(f, " %5.2fG %4.2f %5.1fM", c * 1e-9, i / c, (double)p->cache_misses[k] * 1e-6);
    else
      fprintf(f, " %18s", "-");
  }
  fputc('\n', f);
}

int hebb_profile_print(const hebb_sim *s, FILE *f) {
  hebb_partition_profile total;
  double imb;
  hebb_partition_profile *v = gather(s, &total, &imb);
  if (!v)
    return HEBB_ENOMEM;
  int P = hebb_sim_threads(s);
  fprintf(f, "profile: %d partition%s, %.1f ms of model time\n", P, P == 1 ? "" : "s",
          hebb_sim_time(s));
  fprintf(f, "  time (s)  ");
  for (int k = 0; k < HEBB_PHASES; k++)
    fprintf(f, " %9.9s", hebb_phase_name(k));
  fprintf(f, " %9s %10s %12s %12s %12s\n", "busy", "spikes", "syn_events", "plastic_upd",
          "queue_ops");
  char label[32];
  for (int p = 0; p < P; p++) {
    snprintf(label, sizeof label, "part %d", p);
    row(f, label, &v[p]);
  }
  row(f, "total", &total);
  fprintf(f, "  load imbalance (max / mean busy time): %.3f\n", imb);
  if (total.hw) {
    fprintf(f, "  hardware counters per phase: Gcycles, instructions per cycle, Mcache misses\n");
    fprintf(f, "            ");
    for (int k = 0; k < HEBB_PHASES; k++)
      fprintf(f, " %18.18s", hebb_phase_name(k));
    fputc('\n', f);
    for (int p = 0; p < P; p++) {
      snprintf(label, sizeof label, "part %d", p);
      hw_row(f, label, &v[p]);
    }
  } else if (total.hw_requested) {
    fprintf(f, "  hardware counters: not available here (perf_event_open refused them: no "
               "hardware counters in this kernel or virtual machine, or perf_event_paranoid)\n");
  } else {
    fprintf(f, "  hardware counters: not measured (hebb run --profile measures them where the "
               "kernel allows perf_event_open)\n");
  }
  hebb_memory mem;
  hebb_stats st;
  hebb_sim_memory(s, &mem);
  hebb_sim_stats(s, &st);
  fprintf(f,
          "  memory (MB): indices %.2f, weights %.2f, targets %.2f, delays %.2f, rule state "
          "%.2f, queues %.2f, neuron state %.2f; total %.2f\n",
          mem.indices * 1e-6, mem.weights * 1e-6, mem.targets * 1e-6, mem.delays * 1e-6,
          mem.rule_state * 1e-6, mem.queues * 1e-6, mem.neuron_state * 1e-6, mem.total * 1e-6);
  fprintf(f, "  synapses %llu; bytes per synapse %.2f (synapses, indices and rule state)\n",
          (unsigned long long)st.synapses,
          st.synapses ? (double)st.synapse_bytes / (double)st.synapses : 0.0);
  free(v);
  return 0;
}

/* Appends to a growing string. */
typedef struct {
  char *s;
  size_t n, cap;
  int oom;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(sbuf *b, const char *fmt, ...) {
  if (b->oom)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
      b->oom = 1;
      return;
    }
    if (b->s && b->n + (size_t)k < b->cap) {
      b->n += (size_t)k;
      return;
    }
    size_t cap = (b->cap ? 2 * b->cap : 4096) + (size_t)k;
    char *ns = realloc(b->s, cap);
    if (!ns) {
      b->oom = 1;
      return;
    }
    b->s = ns;
    b->cap = cap;
  }
}

static void json_part(sbuf *b, const hebb_partition_profile *p) {
  put(b, "{\"phases_s\": {");
  for (int k = 0; k < HEBB_PHASES; k++)
    put(b, "%s\"%s\": %.6f", k ? ", " : "", hebb_phase_name(k), p->phase_s[k]);
  put(b, "}, \"busy_s\": %.6f, \"spikes\": %llu, \"synaptic_events\": %llu, ", busy(p),
      (unsigned long long)p->spikes, (unsigned long long)p->synaptic_events);
  put(b, "\"plastic_updates\": %llu, \"queue_events\": %llu",
      (unsigned long long)p->plastic_updates, (unsigned long long)p->queue_events);
  if (p->hw) {
    const char *names[3] = {"cycles", "instructions", "cache_misses"};
    const uint64_t *vals[3] = {p->cycles, p->instructions, p->cache_misses};
    for (int c = 0; c < 3; c++) {
      put(b, ", \"%s\": {", names[c]);
      for (int k = 0; k < HEBB_PHASES; k++)
        put(b, "%s\"%s\": %llu", k ? ", " : "", hebb_phase_name(k), (unsigned long long)vals[c][k]);
      put(b, "}");
    }
  }
  put(b, "}");
}

char *hebb_profile_json(const hebb_sim *s) {
  hebb_partition_profile total;
  double imb;
  hebb_partition_profile *v = gather(s, &total, &imb);
  if (!v)
    return NULL;
  sbuf b = {0};
  put(&b, ",\n  \"profile\": {\n    \"partitions\": [");
  for (int p = 0; p < hebb_sim_threads(s); p++) {
    put(&b, "%s\n      ", p ? "," : "");
    json_part(&b, &v[p]);
  }
  put(&b, "\n    ],\n    \"total\": ");
  json_part(&b, &total);
  hebb_memory m;
  hebb_sim_memory(s, &m);
  put(&b,
      ",\n    \"load_imbalance\": %.6f,\n    \"memory_bytes\": {\"indices\": %llu, \"weights\": "
      "%llu, \"targets\": %llu, \"delays\": %llu, \"rule_state\": %llu, \"queues\": %llu, "
      "\"neuron_state\": %llu, \"total\": %llu}\n  }",
      imb, (unsigned long long)m.indices, (unsigned long long)m.weights,
      (unsigned long long)m.targets, (unsigned long long)m.delays, (unsigned long long)m.rule_state,
      (unsigned long long)m.queues, (unsigned long long)m.neuron_state,
      (unsigned long long)m.total);
  free(v);
  if (b.oom) {
    free(b.s);
    return NULL;
  }
  return b.s;
}

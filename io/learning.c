/* learning.c - see learning.h. */
#define _POSIX_C_SOURCE 200809L
#include "learning.h"

#include "model.h"
#include "timegrid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A recorded spike of a population with a target, kept until its period has ended. */
typedef struct {
  uint64_t step;
  uint32_t index;
} kept_spike;

/* The mean of the summary is over the last RECENT periods. */
#define RECENT 10

typedef struct {
  int pop;
  const hebb_pop *mp;
  uint64_t period_steps; /* the target's period in steps, as the engine repeats it */
  uint64_t next;         /* the next period to end, from 1: window [(next-1) P, next P) */
  kept_spike *kept;      /* spikes from step (next - 1) P on, in step order */
  size_t nkept, cap;
  bool has_last;
  double last_time_ms, last_loss;
} target;

struct hebb_learning {
  const hebb_model *m;
  hebb_time_grid grid;
  double tau_ms;
  uint64_t end_step; /* the run's end: the period that ends there also holds it */
  double end_ms;     /* its time as summary.json gives it to hebb vanrossum */
  target *t;
  int n;
  int *of_pop; /* population -> index into t, -1 without a target */
  /* one window's scratch: the spike times of each neuron i at times[start[i] ..
   * start[i + 1]), its target times */
  size_t *start;
  double *times, *want;
  size_t times_cap, want_cap;
};

static int grow(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap)
    return 0;
  size_t ncap = *cap ? *cap : 64;
  while (ncap < need)
    ncap *= 2;
  void *q = ncap > SIZE_MAX / size ? NULL : realloc(*p, ncap * size);
  if (!q)
    return HEBB_ENOMEM;
  *p = q;
  *cap = ncap;
  return 0;
}

int hebb__learning_new(hebb_learning **out, const hebb_model *m, char *err, size_t errlen) {
  *out = NULL;
  int n = 0;
  uint32_t largest = 0;
  for (int i = 0; i < m->npops; i++) {
    const hebb_pop *p = &m->pops[i];
    if (!p->target_times)
      continue;
    if (!p->record_spikes) {
      snprintf(err, errlen,
               "population '%s' has a target, and its loss per period (learning.tsv) is "
               "computed from its recorded spikes: add '%s' to record: spikes",
               p->name, p->name);
      return HEBB_EINVAL;
    }
    n++;
    if (p->size > largest)
      largest = p->size;
  }
  if (n == 0)
    return 0;
  hebb_learning *l = calloc(1, sizeof *l);
  if (l) {
    l->t = calloc((size_t)n, sizeof *l->t);
    l->of_pop = malloc((size_t)m->npops * sizeof *l->of_pop);
    l->start = calloc((size_t)largest + 2, sizeof *l->start);
  }
  if (!l || !l->t || !l->of_pop || !l->start) {
    hebb__learning_free(l);
    snprintf(err, errlen, "out of memory");
    return HEBB_ENOMEM;
  }
  l->m = m;
  l->grid = hebb__time_grid(m->dt);
  l->tau_ms = HEBB_LEARNING_TAU_MS;
  l->end_step = (uint64_t)llround(m->duration / m->dt);
  l->end_ms = (double)l->end_step * m->dt; /* hebb_sim_time at the end */
  for (int i = 0; i < m->npops; i++) {
    l->of_pop[i] = -1;
    const hebb_pop *p = &m->pops[i];
    if (!p->target_times)
      continue;
    target *tg = &l->t[l->n];
    tg->pop = i;
    tg->mp = p;
    tg->period_steps = (uint64_t)llround(p->target_period_ms / m->dt);
    tg->next = 1;
    l->of_pop[i] = l->n++;
  }
  *out = l;
  return 0;
}

void hebb__learning_free(hebb_learning *l) {
  if (!l)
    return;
  for (int i = 0; l->t && i < l->n; i++)
    free(l->t[i].kept);
  free(l->t);
  free(l->of_pop);
  free(l->start);
  free(l->times);
  free(l->want);
  free(l);
}

void hebb__learning_set_tau(hebb_learning *l, double tau_ms) {
  l->tau_ms = tau_ms;
}

double hebb__learning_tau(const hebb_learning *l) {
  return l->tau_ms;
}

/* Frozen: hebb__learning_header_tau and resumed runs read the first line back. */
#define HEADER_TAU "(tau_ms "

int hebb__learning_write_header(const hebb_learning *l, FILE *f) {
  int rc = fprintf(f,
                   "# the loss of each period of a target: van Rossum distance D^2 " HEADER_TAU
                   "%.17g) between the population's spikes and its target in [time_ms - "
                   "period, time_ms), summed over its neurons\n"
                   "# time_ms\tpopulation\tloss\n",
                   l->tau_ms);
  return rc < 0 ? HEBB_EIO : 0;
}

double hebb__learning_header_tau(const char *line) {
  const char *p = strstr(line, HEADER_TAU);
  if (line[0] != '#' || !p)
    return 0.0;
  char *end;
  double tau = strtod(p + strlen(HEADER_TAU), &end);
  return end != p + strlen(HEADER_TAU) && *end == ')' && tau > 0 && isfinite(tau) ? tau : 0.0;
}

void hebb__learning_continue_at(hebb_learning *l, uint64_t step) {
  /* the run that wrote the checkpoint had written every period ending at or before it */
  for (int i = 0; i < l->n; i++) {
    l->t[i].next = step / l->t[i].period_steps + 1;
    l->t[i].nkept = 0;
  }
}

void hebb__learning_skip_to(hebb_learning *l, uint64_t step) {
  /* the spikes stamped STEP itself went to the old output: a period starting there is
   * incomplete too */
  for (int i = 0; i < l->n; i++) {
    l->t[i].next = step == 0 ? 1 : step / l->t[i].period_steps + 2;
    l->t[i].nkept = 0;
  }
}

uint64_t hebb__learning_replay_from(const hebb_learning *l) {
  uint64_t from = UINT64_MAX;
  for (int i = 0; i < l->n; i++) {
    uint64_t s = (l->t[i].next - 1) * l->t[i].period_steps;
    if (s < from)
      from = s;
  }
  return from;
}

int hebb__learning_add(hebb_learning *l, const hebb_spike *sp, size_t n) {
  for (size_t k = 0; k < n; k++) {
    if (sp[k].pop >= (uint32_t)l->m->npops || l->of_pop[sp[k].pop] < 0)
      continue;
    target *tg = &l->t[l->of_pop[sp[k].pop]];
    if (sp[k].step < (tg->next - 1) * tg->period_steps)
      continue;
    if (grow((void **)&tg->kept, &tg->cap, tg->nkept + 1, sizeof *tg->kept))
      return HEBB_ENOMEM;
    tg->kept[tg->nkept++] = (kept_spike){sp[k].step, sp[k].index};
  }
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The loss of period K of TG over the window [T0, T1) (T1 infinite for the run's last), in
 * *LOSS; the kept spikes before T1 are dropped, those of later periods stay. */
static int period_loss(hebb_learning *l, target *tg, uint64_t k, double t0, double t1,
                       double *loss) {
  const hebb_pop *mp = tg->mp;
  const uint32_t size = mp->size;
  /* the kept spikes by neuron (counting sort; each neuron's times stay ascending) */
  size_t *start = l->start;
  memset(start, 0, ((size_t)size + 2) * sizeof *start);
  for (size_t j = 0; j < tg->nkept; j++)
    start[tg->kept[j].index + 2]++;
  for (uint32_t i = 0; i < size; i++)
    start[i + 2] += start[i + 1];
  if (grow((void **)&l->times, &l->times_cap, tg->nkept + 1, sizeof *l->times))
    return HEBB_ENOMEM;
  for (size_t j = 0; j < tg->nkept; j++)
    l->times[start[tg->kept[j].index + 1]++] = hebb__grid_time(&l->grid, tg->kept[j].step);
  /* Each neuron's target times that may fall into the window: t + j P for the periods j =
   * k - 2 (a time at P + up to dt/2 lies in the next period) and k - 1, each computed as the
   * one rounding of a double sum that a tiled target file holds, and none after the run's
   * end, which hebb vanrossum drops. */
  double total = 0.0, P = mp->target_period_ms;
  for (uint32_t i = 0; i < size; i++) {
    size_t nt = mp->n_target_times[i], nw = 0;
    if (grow((void **)&l->want, &l->want_cap, 2 * nt + 1, sizeof *l->want))
      return HEBB_ENOMEM;
    for (uint64_t j = k >= 2 ? k - 2 : 0; j < k; j++)
      for (size_t q = 0; q < nt; q++) {
        double x = (double)j * P + mp->target_times[i][q];
        if (!(x > l->end_ms))
          l->want[nw++] = x;
      }
    /* sorted but for a rounding where the periods meet */
    qsort(l->want, nw, sizeof *l->want, cmp_double);
    total += hebb_van_rossum_window(l->times + start[i], start[i + 1] - start[i], l->want, nw, t0,
                                    t1, l->tau_ms);
  }
  /* keep the spikes of later periods */
  size_t m = 0;
  for (size_t j = 0; j < tg->nkept; j++)
    if (hebb__grid_time(&l->grid, tg->kept[j].step) >= t1)
      tg->kept[m++] = tg->kept[j];
  tg->nkept = m;
  *loss = total;
  return 0;
}

int hebb__learning_advance(hebb_learning *l, uint64_t now, FILE *f) {
  int lines = 0;
  for (;;) {
    /* the period that ends first, the first population on a tie */
    target *tg = NULL;
    uint64_t end = UINT64_MAX;
    for (int i = 0; i < l->n; i++) {
      uint64_t e = l->t[i].next * l->t[i].period_steps;
      if (e <= now && e < end) {
        end = e;
        tg = &l->t[i];
      }
    }
    if (!tg)
      return lines;
    uint64_t k = tg->next;
    double t0 = hebb__grid_time(&l->grid, (k - 1) * tg->period_steps);
    double t1 = hebb__grid_time(&l->grid, end);
    double loss;
    /* the run's last window reaches past its end, as hebb vanrossum's */
    int rc = period_loss(l, tg, k, t0, end == l->end_step ? INFINITY : t1, &loss);
    if (rc)
      return rc;
    if (fprintf(f, "%.15g\t%s\t%.17g\n", t1, tg->mp->name, loss) < 0)
      return HEBB_EIO;
    tg->has_last = true;
    tg->last_time_ms = t1;
    tg->last_loss = loss;
    tg->next++;
    lines++;
  }
}

int hebb__learning_last(const hebb_learning *l, int pop, double *time_ms, double *loss) {
  if (!l || pop < 0 || pop >= l->m->npops || l->of_pop[pop] < 0 || !l->t[l->of_pop[pop]].has_last)
    return HEBB_ENOENT;
  const target *tg = &l->t[l->of_pop[pop]];
  *time_ms = tg->last_time_ms;
  *loss = tg->last_loss;
  return 0;
}

/* What the summary says of one population. */
typedef struct {
  uint64_t periods;
  double first, last, min, min_time_ms;
  double recent[RECENT]; /* the last RECENT losses, the newest at (periods - 1) % RECENT */
} stats;

static void put_number(FILE *f, const char *key, double v, bool valid) {
  if (valid)
    fprintf(f, ", \"%s\": %.17g", key, v);
  else
    fprintf(f, ", \"%s\": null", key);
}

int hebb__learning_summary(const hebb_learning *l, FILE *in, FILE *json) {
  stats *st = calloc((size_t)l->n, sizeof *st);
  if (!st)
    return HEBB_ENOMEM;
  char *line = NULL;
  size_t cap = 0;
  int rc = 0;
  while (!rc && getline(&line, &cap, in) >= 0) {
    if (line[0] == '#')
      continue;
    /* time_ms<TAB>population<TAB>loss */
    char *end, *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
    if (!tab2) {
      rc = HEBB_EPARSE;
      break;
    }
    *tab2 = '\0';
    double t = strtod(line, &end), loss = strtod(tab2 + 1, NULL);
    int i = 0;
    while (i < l->n && strcmp(l->t[i].mp->name, tab1 + 1) != 0)
      i++;
    if (end != tab1 || i == l->n) {
      rc = HEBB_EPARSE;
      break;
    }
    stats *s = &st[i];
    if (s->periods == 0 || loss < s->min) {
      s->min = loss;
      s->min_time_ms = t;
    }
    if (s->periods == 0)
      s->first = loss;
    s->last = loss;
    s->recent[s->periods % RECENT] = loss;
    s->periods++;
  }
  if (!rc && ferror(in))
    rc = HEBB_EIO;
  free(line);
  if (!rc) {
    fprintf(json, "  \"learning\": {");
    for (int i = 0; i < l->n; i++) {
      const stats *s = &st[i];
      bool any = s->periods > 0;
      /* the mean of the last (up to) RECENT losses, added oldest first */
      uint64_t nr = s->periods < RECENT ? s->periods : RECENT;
      double sum = 0.0;
      for (uint64_t j = s->periods - nr; j < s->periods; j++)
        sum += s->recent[j % RECENT];
      fprintf(json, "%s\n    \"%s\": {\"tau_ms\": %.17g, \"period_ms\": %.17g, \"periods\": %llu",
              i ? "," : "", l->t[i].mp->name, l->tau_ms, l->t[i].mp->target_period_ms,
              (unsigned long long)s->periods);
      put_number(json, "first", s->first, any);
      put_number(json, "last", s->last, any);
      put_number(json, "min", s->min, any);
      put_number(json, "min_time_ms", s->min_time_ms, any);
      put_number(json, "mean_last_10", any ? sum / (double)nr : 0.0, any);
      fputc('}', json);
    }
    fprintf(json, "\n  },\n");
  }
  free(st);
  return rc;
}

/* cli_vanrossum.c - `hebb vanrossum DIR --population P --target FILE [--tau T] [--window T]`:
 * how far the spikes a run recorded for population P are from target spike trains, as the
 * squared van Rossum distance (hebb_van_rossum_window, MODELS.md section 3) per neuron and
 * summed over the population, for each window of --window T of the run (or once for the
 * whole run). The formats of the target file and of the printed lines are in
 * docs/output-format.md ("Spike train distance"); the distance is the loss a
 * spike-timing task such as SuperSpike's minimises, computed after the fact.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_vanrossum.h"

#include "hebb.h"
#include "spikeline.h"
#include "timegrid.h"
#include "units.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_RUN = 1, EXIT_INPUT = 2 };

/* A run of a billion windows is a mistyped --window, not a request. */
#define MAX_WINDOWS 100000000ull

static const char usage[] =
    "usage: hebb vanrossum DIR --population P --target FILE [--tau T] [--window T]\n"
    "\n"
    "Prints the squared van Rossum distance D^2 (kernel e^(-t/tau), normalised so that one\n"
    "unmatched spike costs 1/2) between the spikes that output directory DIR recorded for\n"
    "population P and the target spike trains in FILE, per neuron and in total:\n"
    "  neuron<TAB>window_start_ms<TAB>distance   for each neuron of P, then\n"
    "  total<TAB>window_start_ms<TAB>distance    the sum over the neurons, for each window.\n"
    "\n"
    "FILE has one target spike per line, as 'index<TAB>time_ms' or as the\n"
    "'population<TAB>index<TAB>time_ms' lines that 'hebb spikes' prints (lines of other\n"
    "populations are skipped); '#' starts a comment. Format: docs/output-format.md.\n"
    "\n"
    "Options:\n"
    "  -p, --population P   the population to compare (required)\n"
    "  -t, --target FILE    the target spike trains (required)\n"
    "      --tau T          the kernel's time constant, with a unit (default 10 ms)\n"
    "  -w, --window T       compare each period [k T, (k+1) T) of the run on its own: the\n"
    "                       spikes in the window, their kernels followed past its end\n"
    "                       (default: one window, the whole run)\n"
    "  -h, --help           show this help\n"
    "\n"
    "For a population with a target in its model, 'hebb run' writes the totals of\n"
    "--window PERIOD as it runs, into DIR/learning.tsv.\n";

/* The spike times of each neuron of a population: neuron i's, ascending, are
 * t[start[i] .. start[i + 1]). */
typedef struct {
  uint32_t size;
  size_t *start;
  double *t;
} trains;

static void trains_free(trains *tr) {
  free(tr->start);
  free(tr->t);
  tr->start = NULL;
  tr->t = NULL;
}

/* A counting sort fills TR with N spikes of SIZE neurons: trains_alloc, count() each spike's
 * neuron, trains_offsets, then place() each spike. In between, start[i + 1] is where neuron
 * i's next time goes; once all are placed, start[i] is neuron i's first. */
static int trains_alloc(trains *tr, uint32_t size, size_t n) {
  tr->size = size;
  tr->start = calloc((size_t)size + 2, sizeof *tr->start);
  tr->t = malloc((n ? n : 1) * sizeof *tr->t);
  if (!tr->start || !tr->t) {
    trains_free(tr);
    fprintf(stderr, "hebb: out of memory\n");
    return EXIT_RUN;
  }
  return 0;
}

static void count(trains *tr, uint32_t i) {
  tr->start[i + 2]++;
}

static void trains_offsets(trains *tr) {
  for (uint32_t i = 0; i < tr->size; i++)
    tr->start[i + 2] += tr->start[i + 1];
}

static void place(trains *tr, uint32_t i, double t) {
  tr->t[tr->start[i + 1]++] = t;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The run's duration and how many spikes POP emitted (recorded or not), from
 * DIR/summary.json, whose keys are stable (docs/output-format.md). *EMITTED is -1 when the
 * summary does not list POP. A directory without a summary holds an unfinished run. */
static int read_summary(const char *dir, const char *pop, double *duration_ms, long long *emitted) {
  char path[4200];
  snprintf(path, sizeof path, "%s/summary.json", dir);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "hebb: %s: cannot open: %s (a run that has not finished has none)\n", path,
            strerror(errno));
    return EXIT_INPUT;
  }
  char *buf = NULL;
  size_t cap = 0;
  ssize_t len = getdelim(&buf, &cap, '\0', f); /* the whole file: it holds no NUL */
  fclose(f);
  if (len < 0) {
    fprintf(stderr, "hebb: %s: cannot read: %s\n", path, strerror(errno));
    free(buf);
    return EXIT_INPUT;
  }
  char *end, *p = strstr(buf, "\"duration_ms\":");
  if (p)
    *duration_ms = strtod(p + strlen("\"duration_ms\":"), &end);
  if (!p || end == p + strlen("\"duration_ms\":") || !isfinite(*duration_ms) || *duration_ms < 0) {
    fprintf(stderr, "hebb: %s: no valid \"duration_ms\"\n", path);
    free(buf);
    return EXIT_INPUT;
  }
  *emitted = -1;
  char key[300];
  snprintf(key, sizeof key, "\"%s\": {", pop);
  char *pops = strstr(buf, "\"populations\":");
  char *entry = pops ? strstr(pops, key) : NULL;
  char *close = entry ? strchr(entry, '}') : NULL;
  char *sp = entry ? strstr(entry, "\"spikes\":") : NULL;
  if (sp && sp < close)
    *emitted = strtoll(sp + strlen("\"spikes\":"), NULL, 10);
  free(buf);
  return 0;
}

/* One target spike as read. */
typedef struct {
  uint32_t index;
  double t;
} target_spike;

/* Reads the target spike trains of population POP (SIZE neurons) from PATH: lines
 * "index time" or "population index time" separated by tabs or spaces, '#' comments, blank
 * lines. Spikes after END_MS (the run's end) cannot be compared and are dropped with a
 * warning. */
static int read_target(const char *path, const char *pop, uint32_t size, double end_ms,
                       trains *out) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "hebb: %s: cannot open: %s\n", path, strerror(errno));
    return EXIT_INPUT;
  }
  target_spike *sp = NULL;
  size_t n = 0, cap = 0, other = 0, late = 0, lineno = 0, linecap = 0;
  char *line = NULL;
  int rc = 0;
  while (!rc && getline(&line, &linecap, f) >= 0) {
    lineno++;
    hebb_spike_line sl;
    char msg[320];
    int k = hebb__parse_spike_line(line, &sl, msg, sizeof msg);
    if (k == 0)
      continue;
    if (k < 0 || !isfinite(sl.t_ms) || sl.t_ms < 0) {
      if (k > 0)
        snprintf(msg, sizeof msg, "spike time '%g': expected a finite time of at least 0 ms",
                 sl.t_ms);
      fprintf(stderr, "%s:%zu: %s\n", path, lineno, msg);
      rc = EXIT_INPUT;
      break;
    }
    if (sl.pop != NULL && strcmp(sl.pop, pop) != 0) {
      other++;
      continue;
    }
    unsigned long long i = sl.index;
    double t = sl.t_ms;
    if (i >= size) {
      fprintf(stderr,
              "%s:%zu: neuron index %llu is out of range: population '%s' has %u neurons "
              "(0 to %u)\n",
              path, lineno, i, pop, size, size - 1);
      rc = EXIT_INPUT;
      break;
    }
    if (t > end_ms) {
      late++;
      continue;
    }
    if (n == cap) {
      size_t ncap = cap ? 2 * cap : 1024;
      target_spike *grown = realloc(sp, ncap * sizeof *sp);
      if (!grown) {
        fprintf(stderr, "hebb: out of memory\n");
        rc = EXIT_RUN;
        break;
      }
      sp = grown;
      cap = ncap;
    }
    sp[n++] = (target_spike){(uint32_t)i, t};
  }
  if (!rc && ferror(f)) {
    fprintf(stderr, "hebb: %s: cannot read: %s\n", path, strerror(errno));
    rc = EXIT_INPUT;
  }
  free(line);
  fclose(f);
  if (!rc && n == 0 && other > 0)
    fprintf(stderr,
            "hebb vanrossum: warning: %s: no line names population '%s' (%zu lines of others); "
            "its target is empty\n",
            path, pop, other);
  if (!rc && late > 0)
    fprintf(stderr,
            "hebb vanrossum: warning: %s: %zu target spike%s after the run's end (%.15g ms) "
            "ignored\n",
            path, late, late == 1 ? "" : "s", end_ms);
  if (!rc)
    rc = trains_alloc(out, size, n);
  if (!rc) {
    for (size_t k = 0; k < n; k++)
      count(out, sp[k].index);
    trains_offsets(out);
    for (size_t k = 0; k < n; k++)
      place(out, sp[k].index, sp[k].t);
    /* the file need not be sorted */
    for (uint32_t i = 0; i < size; i++)
      qsort(out->t + out->start[i], out->start[i + 1] - out->start[i], sizeof *out->t, cmp_double);
  }
  free(sp);
  return rc;
}

/* The run's spike trains of POP on the run's time grid, stored in *G. */
static int read_run(const char *dir, const char *pop, trains *out, hebb_time_grid *g) {
  hebb_spike *sp = NULL;
  size_t n = 0;
  uint32_t size = 0;
  double dt = 0.0;
  char err[512];
  int rc = hebb_output_read_spikes(dir, pop, &sp, &n, &size, &dt, err, sizeof err);
  if (rc) {
    fprintf(stderr, "hebb: %s\n", err);
    return rc == HEBB_ENOMEM ? EXIT_RUN : EXIT_INPUT;
  }
  rc = trains_alloc(out, size, n);
  if (!rc) {
    for (size_t k = 0; k < n; k++)
      count(out, sp[k].index);
    trains_offsets(out);
    *g = hebb__time_grid(dt);
    /* in file order, by step: each neuron's times come out ascending */
    for (size_t k = 0; k < n; k++)
      place(out, sp[k].index, hebb__grid_time(g, sp[k].step));
  }
  free(sp);
  return rc;
}

int hebb__cli_vanrossum(int argc, char **argv) {
  static const struct option opts[] = {{"population", required_argument, NULL, 'p'},
                                       {"target", required_argument, NULL, 't'},
                                       {"tau", required_argument, NULL, 'T'},
                                       {"window", required_argument, NULL, 'w'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *pop = NULL, *target = NULL, *dir = NULL;
  double tau = 10.0, window = 0.0; /* ms; window 0: the whole run */
  char err[512];
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "p:t:w:h", opts, NULL)) != -1) {
    switch (c) {
    case 'p':
      pop = optarg;
      break;
    case 't':
      target = optarg;
      break;
    case 'T':
    case 'w': {
      double v = 0.0;
      const char *name = c == 'T' ? "--tau" : "--window";
      bool parsed = hebb_units_parse(optarg, HEBB_DIM_TIME, &v, err, sizeof err) == 0;
      if (!parsed || !(v > 0) || !isfinite(v)) {
        fprintf(stderr, "hebb vanrossum: %s: %s\n", name,
                parsed ? "expected a positive, finite time" : err);
        return EXIT_INPUT;
      }
      if (c == 'T')
        tau = v;
      else
        window = v;
      break;
    }
    case 'h':
      fputs(usage, stdout);
      return 0;
    default:
      fprintf(stderr, "Try 'hebb vanrossum --help'.\n");
      return EXIT_INPUT;
    }
  }
  if (optind < argc)
    dir = argv[optind++];
  if (optind < argc) {
    fprintf(stderr, "hebb vanrossum: unexpected argument '%s'; one output directory expected\n",
            argv[optind]);
    return EXIT_INPUT;
  }
  if (!dir || !pop || !target) {
    fprintf(stderr, "hebb vanrossum: %s\n%s",
            !dir   ? "no output directory given"
            : !pop ? "--population is required"
                   : "--target is required",
            usage);
    return EXIT_INPUT;
  }

  trains run = {0}, want = {0};
  hebb_time_grid g = {0};
  double duration = 0.0;
  long long emitted = -1;
  int rc = read_run(dir, pop, &run, &g);
  if (!rc)
    rc = read_summary(dir, pop, &duration, &emitted);
  if (!rc && emitted > 0 && run.start[run.size] == 0) {
    /* without this, every target spike would count as missed */
    fprintf(stderr,
            "hebb: %s: population '%s' emitted %lld spike%s but none were recorded (add it "
            "to record: spikes)\n",
            dir, pop, emitted, emitted == 1 ? "" : "s");
    rc = EXIT_INPUT;
  }
  if (!rc)
    rc = read_target(target, pop, run.size, duration, &want);

  /* Windows [b_k, b_{k+1}); the last one reaches to the run's end and includes it, where a
   * spike of the last step is stamped. A window of a whole number of steps has its bounds
   * on the grid, computed as the spike times are, so that a spike stamped at a bound falls
   * into the window it starts, without rounding doubt. */
  uint64_t nwin = 1, wsteps = 0;
  if (!rc && window > 0) {
    wsteps = hebb__grid_steps(&g, window);
    double x = duration / window;
    if (wsteps) {
      uint64_t dsteps = (uint64_t)llround(duration / g.dt);
      nwin = dsteps ? (dsteps + wsteps - 1) / wsteps : 1;
    } else if (x > 0) {
      nwin = (uint64_t)ceil(x - 1e-9 * x);
    }
    if (x > (double)MAX_WINDOWS) {
      fprintf(stderr, "hebb vanrossum: --window: %.15g ms makes %.3g windows of a %.15g ms run\n",
              window, x, duration);
      rc = EXIT_INPUT;
    }
  }
  for (uint64_t k = 0; !rc && k < nwin; k++) {
    double t0 = hebb__grid_bound(&g, k, wsteps, window);
    double t1 = k + 1 == nwin ? INFINITY : hebb__grid_bound(&g, k + 1, wsteps, window);
    char start[64];
    snprintf(start, sizeof start, "%.15g", t0);
    double total = 0.0;
    for (uint32_t i = 0; i < run.size; i++) {
      size_t a = run.start[i], b = want.start[i];
      double d2 = hebb_van_rossum_window(run.t + a, run.start[i + 1] - a, want.t + b,
                                         want.start[i + 1] - b, t0, t1, tau);
      total += d2;
      printf("%u\t%s\t%.17g\n", i, start, d2);
    }
    printf("total\t%s\t%.17g\n", start, total);
  }
  trains_free(&run);
  trains_free(&want);
  if (rc)
    return rc;
  if (fflush(stdout) || ferror(stdout)) {
    fprintf(stderr, "hebb: cannot write the output: %s\n", strerror(errno));
    return EXIT_RUN;
  }
  return 0;
}

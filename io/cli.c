/* cli.c - the hebb command-line tool, a thin client of libhebb.
 *
 *   hebb                      run the built-in model (B1 COBA, 1 s) and show what happened
 *   hebb run MODEL.yaml ...   run a model file into an output directory
 *   hebb spikes DIR           print the recorded spikes of a run
 *   hebb state DIR            print the recorded state variables of a run
 *
 * Exit codes: 0 success; 1 the run failed (I/O, memory); 2 bad command line or bad input
 * (model file, output directory).
 */
#define _POSIX_C_SOURCE 200809L
#include "hebb.h"
#include "units.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern const char hebb_default_model[];
extern const size_t hebb_default_model_len;

enum { EXIT_RUN = 1, EXIT_INPUT = 2 };

static const char main_usage[] =
    "usage: hebb [COMMAND] [ARGS]\n"
    "\n"
    "Hebb simulates networks of spiking neurons, bit-identically on any number of threads.\n"
    "\n"
    "Commands:\n"
    "  run MODEL.yaml [OPTIONS]   simulate a model file (see 'hebb run --help')\n"
    "  spikes DIR                 print the spikes recorded in output directory DIR as\n"
    "                             population<TAB>index<TAB>time_ms, sorted by time,\n"
    "                             population, index\n"
    "  state DIR                  print recorded state variables as\n"
    "                             population<TAB>index<TAB>variable<TAB>time_ms<TAB>value\n"
    "  weights DIR [--projection NAME]\n"
    "                             print recorded weights as projection<TAB>time_ms<TAB>\n"
    "                             source_index<TAB>target_index<TAB>weight\n"
    "  models                     list the neuron and stimulus models with their parameters\n"
    "  rules [--plugin PATH]...   list the plasticity rules with their parameters, after\n"
    "                             loading the plugins given (their origin is shown)\n"
    "  help                       show this help\n"
    "  version                    print the version\n"
    "\n"
    "Without a command, hebb runs its built-in model (the COBA benchmark network of Brette\n"
    "et al. 2007: 4000 conductance-based neurons, 1 s) into hebb-out/default.\n"
    "\n"
    "Exit codes: 0 success, 1 the run failed, 2 bad command line or bad input.\n";

static const char run_usage[] =
    "usage: hebb run MODEL.yaml [OPTIONS]\n"
    "\n"
    "Simulates the model file MODEL.yaml (format: docs/model-format.md) and writes\n"
    "DIR/spikes.bin, DIR/state.bin and, when the run has finished, DIR/summary.json.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR     output directory (default: hebb-out/MODEL, MODEL the file name\n"
    "                       without .yaml)\n"
    "  -t, --threads N      worker threads, one partition each, pinned to cores\n"
    "                       (default: the model's simulation.threads, else all cores)\n"
    "  -d, --duration T     model time at which the run ends, with a unit (default ms),\n"
    "                       e.g. 500ms, 10 s (default: the model's simulation.duration)\n"
    "  -s, --seed S         seed of every random number (default: the model's)\n"
    "  -q, --quiet          print nothing but errors\n"
    "  -p, --progress       show a progress line on stderr (default: when stderr is a\n"
    "                       terminal)\n"
    "  -v, --verbose        also print the thread pinning and the time per phase\n"
    "      --no-pin         do not pin threads to cores\n"
    "      --plugin PATH    load a plasticity rule from the shared object PATH before the\n"
    "                       model is read (repeatable; see examples/plugins)\n"
    "  -h, --help           show this help\n";

typedef struct {
  const char *model_path;
  const char *out_dir;
  int threads;
  double duration;
  bool has_duration;
  uint64_t seed;
  bool has_seed;
  bool quiet, verbose, pin;
  int progress; /* -1 auto, 0 off, 1 on */
} run_args;

static double wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int parse_args(int argc, char **argv, run_args *a) {
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"threads", required_argument, NULL, 't'},
                                       {"duration", required_argument, NULL, 'd'},
                                       {"seed", required_argument, NULL, 's'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"progress", no_argument, NULL, 'p'},
                                       {"verbose", no_argument, NULL, 'v'},
                                       {"no-pin", no_argument, NULL, 'P'},
                                       {"help", no_argument, NULL, 'h'},
                                       {"plugin", required_argument, NULL, 'L'},
                                       {NULL, 0, NULL, 0}};
  int c;
  char err[512], *end;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:t:d:s:qpvh", opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      a->out_dir = optarg;
      break;
    case 't': {
      errno = 0;
      long t = strtol(optarg, &end, 10);
      if (errno || *end || end == optarg || t < 1 || t > 4096) {
        fprintf(stderr, "hebb run: --threads: expected a whole number from 1 to 4096, got '%s'\n",
                optarg);
        return EXIT_INPUT;
      }
      a->threads = (int)t;
      break;
    }
    case 'd':
      if (hebb_units_parse(optarg, HEBB_DIM_TIME, &a->duration, err, sizeof err) ||
          a->duration < 0) {
        fprintf(stderr, "hebb run: --duration: %s\n",
                a->duration < 0 ? "expected a non-negative time" : err);
        return EXIT_INPUT;
      }
      a->has_duration = true;
      break;
    case 's': {
      errno = 0;
      unsigned long long s = strtoull(optarg, &end, 10);
      if (errno || *end || end == optarg || optarg[0] == '-') {
        fprintf(stderr, "hebb run: --seed: expected a non-negative whole number, got '%s'\n",
                optarg);
        return EXIT_INPUT;
      }
      a->seed = s;
      a->has_seed = true;
      break;
    }
    case 'q':
      a->quiet = true;
      break;
    case 'p':
      a->progress = 1;
      break;
    case 'v':
      a->verbose = true;
      break;
    case 'P':
      a->pin = false;
      break;
    case 'h':
      fputs(run_usage, stdout);
      exit(0);
    case 'L':
      if (hebb_rule_load(optarg, err, sizeof err)) {
        fprintf(stderr, "hebb: %s\n", err);
        return EXIT_INPUT;
      }
      break;
    default:
      fprintf(stderr, "Try 'hebb run --help'.\n");
      return EXIT_INPUT;
    }
  }
  if (optind < argc)
    a->model_path = argv[optind++];
  if (optind < argc) {
    fprintf(stderr, "hebb run: unexpected argument '%s'; one model file expected\n", argv[optind]);
    return EXIT_INPUT;
  }
  return 0;
}

/* "hebb-out/NAME" for a model file "path/NAME.yaml". */
static void default_out_dir(const char *model_name, char *buf, size_t len) {
  const char *base = strrchr(model_name, '/');
  base = base ? base + 1 : model_name;
  size_t n = strlen(base);
  if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
    n -= 5;
  else if (n > 4 && strcmp(base + n - 4, ".yml") == 0)
    n -= 4;
  snprintf(buf, len, "hebb-out/%.*s", (int)n, base);
}

static void progress_line(FILE *f, bool tty, double t_ms, double end_ms, double sim_s,
                          uint64_t events) {
  double pct = end_ms > 0 ? 100.0 * t_ms / end_ms : 100.0;
  double rtf = t_ms > 0 ? sim_s / (t_ms * 1e-3) : 0.0;
  double eps = sim_s > 0 ? (double)events / sim_s : 0.0;
  fprintf(f, "%s[%3.0f%% ] model time %.1f ms, real-time factor %.2f, %.1e events/s%s",
          tty ? "\r" : "", pct, t_ms, rtf, eps, tty ? "\033[K" : "\n");
  fflush(f);
}

static void print_summary(const hebb_model *m, const hebb_sim *s, const char *dir) {
  hebb_stats st;
  hebb_sim_stats(s, &st);
  double model_s = hebb_sim_time(s) * 1e-3;
  printf("hebb: %s: %" PRIu64 " neurons, %" PRIu64 " synapses, %d thread%s\n", hebb_model_name(m),
         st.neurons, st.synapses, hebb_sim_threads(s), hebb_sim_threads(s) == 1 ? "" : "s");
  printf("  built in %.2f s; simulated %.1f ms in %.2f s (real-time factor %.3g)\n",
         st.build_wall_s, hebb_sim_time(s), st.sim_wall_s,
         model_s > 0 ? st.sim_wall_s / model_s : 0.0);
  printf("  %" PRIu64 " spikes, %" PRIu64 " synaptic events (%.3g per second)\n", st.spikes_total,
         st.synaptic_events, st.sim_wall_s > 0 ? (double)st.synaptic_events / st.sim_wall_s : 0.0);
  for (int i = 0; i < hebb_model_population_count(m); i++) {
    uint32_t size = hebb_model_population_size(m, i);
    uint64_t n = hebb_sim_population_spikes(s, i);
    printf("  %-12s %8u neurons  %10.3f Hz\n", hebb_model_population_name(m, i), size,
           model_s > 0 ? (double)n / (model_s * size) : 0.0);
  }
  if (st.plastic_updates)
    printf("  %" PRIu64 " plastic synapse updates\n", st.plastic_updates);
  printf("  output: %s (summary.json, spikes.bin, state.bin, weights.bin)\n", dir);
}

static void print_verbose_phases(const hebb_sim *s) {
  int P = hebb_sim_threads(s);
  double *ph = malloc((size_t)P * HEBB_PHASES * sizeof *ph);
  if (!ph || hebb_sim_partition_phases(s, ph, (size_t)P * HEBB_PHASES)) {
    free(ph);
    return;
  }
  fprintf(stderr, "hebb: time per phase (s):\n  partition");
  for (int k = 0; k < HEBB_PHASES; k++)
    fprintf(stderr, " %12s", hebb_phase_name(k));
  fputc('\n', stderr);
  for (int p = 0; p < P; p++) {
    fprintf(stderr, "  %9d", p);
    for (int k = 0; k < HEBB_PHASES; k++)
      fprintf(stderr, " %12.4f", ph[p * HEBB_PHASES + k]);
    fputc('\n', stderr);
  }
  free(ph);
}

/* Runs a loaded model with the options of A. */
static int run_model(hebb_model *m, run_args *a, const char *out_dir) {
  if (a->has_duration)
    hebb_model_set_duration(m, a->duration);
  if (a->has_seed)
    hebb_model_set_seed(m, a->seed);
  hebb_sim_options opt = hebb_sim_options_default();
  opt.threads = a->threads;
  opt.pin = a->pin;
  hebb_sim *s = NULL;
  int rc = hebb_sim_new(m, &opt, &s);
  if (rc) {
    const hebb_error_info *e = hebb_model_error(m);
    fprintf(stderr, "hebb: %s: cannot build the network: %s\n", hebb_model_name(m), e->message);
    return rc == HEBB_ENOMEM || rc == HEBB_ETOPO ? EXIT_RUN : EXIT_INPUT;
  }
  if (a->verbose) {
    int P = hebb_sim_threads(s);
    int *cores = malloc((size_t)P * sizeof *cores);
    if (cores && hebb_sim_pinning(s, cores, (size_t)P) == 0) {
      fprintf(stderr, "hebb: %d partition%s; pinning (thread -> core):", P, P == 1 ? "" : "s");
      for (int p = 0; p < P; p++)
        fprintf(stderr, " %d->%s%d", p, cores[p] < 0 ? "none" : "", cores[p] < 0 ? 0 : cores[p]);
      fputc('\n', stderr);
    }
    free(cores);
  }
  char err[512];
  hebb_output *o = NULL;
  if (hebb_output_open(&o, out_dir, m, err, sizeof err)) {
    fprintf(stderr, "hebb: %s\n", err);
    hebb_sim_free(s);
    return EXIT_INPUT;
  }
  bool tty = isatty(STDERR_FILENO);
  bool progress = !a->quiet && (a->progress == 1 || (a->progress < 0 && tty));
  double end = hebb_model_duration(m), dt = hebb_model_dt(m);
  double chunk = fmax(dt, 100.0); /* write spikes out every 100 ms of model time */
  double last = wall();
  for (double t = hebb_sim_time(s); !rc && t < end - 0.5 * dt;) {
    double next = fmin(end, t + chunk);
    rc = hebb_sim_run_until(s, next);
    if (!rc)
      rc = hebb_output_write(o, s);
    t = hebb_sim_time(s);
    if (progress && (wall() - last > 0.25 || t >= end - 0.5 * dt)) {
      hebb_stats st;
      hebb_sim_stats(s, &st);
      progress_line(stderr, tty, t, end, st.sim_wall_s, st.synaptic_events);
      last = wall();
    }
  }
  if (progress && tty)
    fputc('\n', stderr);
  if (rc) {
    fprintf(stderr, "hebb: %s: the run failed at %.1f ms: %s\n", hebb_model_name(m),
            hebb_sim_time(s), hebb_strerror(rc));
    hebb_output_abort(o);
    hebb_sim_free(s);
    return EXIT_RUN;
  }
  if (hebb_output_finish(o, s, NULL, err, sizeof err)) {
    fprintf(stderr, "hebb: %s\n", err);
    hebb_sim_free(s);
    return EXIT_RUN;
  }
  if (!a->quiet)
    print_summary(m, s, out_dir);
  if (a->verbose)
    print_verbose_phases(s);
  hebb_sim_free(s);
  return 0;
}

static int cmd_run(int argc, char **argv, bool builtin) {
  run_args a = {0};
  a.progress = -1;
  a.pin = true;
  int rc = parse_args(argc, argv, &a);
  if (rc)
    return rc;
  hebb_model *m = NULL;
  hebb_diag diag;
  if (builtin) {
    rc = hebb_model_load_string(hebb_default_model, hebb_default_model_len, "default", &m, &diag);
    if (!rc && !a.has_duration) {
      a.has_duration = true;
      a.duration = 1000.0;
    }
  } else {
    if (!a.model_path) {
      fprintf(stderr, "hebb run: no model file given\nTry 'hebb run --help'.\n");
      return EXIT_INPUT;
    }
    rc = hebb_model_load(a.model_path, &m, &diag);
  }
  if (rc) {
    fputs(diag.text, stderr);
    if (diag.count > 0 && diag.text[0] && diag.text[strlen(diag.text) - 1] != '\n')
      fputc('\n', stderr);
    fprintf(stderr, "hebb: %d problem%s in the model; nothing was run\n", diag.count,
            diag.count == 1 ? "" : "s");
    return EXIT_INPUT;
  }
  char dir[4096];
  if (a.out_dir)
    snprintf(dir, sizeof dir, "%s", a.out_dir);
  else
    default_out_dir(builtin ? "default" : a.model_path, dir, sizeof dir);
  rc = run_model(m, &a, dir);
  hebb_model_free(m);
  return rc;
}

static int cmd_print(int argc, char **argv, bool spikes) {
  if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fprintf(argc == 2 ? stdout : stderr, "usage: hebb %s DIR\n", spikes ? "spikes" : "state");
    return argc == 2 ? 0 : EXIT_INPUT;
  }
  char err[512];
  int rc = spikes ? hebb_output_print_spikes(argv[1], stdout, err, sizeof err)
                  : hebb_output_print_state(argv[1], stdout, err, sizeof err);
  if (fflush(stdout) && !rc) {
    fprintf(stderr, "hebb: cannot write the output: %s\n", strerror(errno));
    return EXIT_RUN;
  }
  if (rc) {
    fprintf(stderr, "hebb: %s\n", err);
    return EXIT_INPUT;
  }
  return 0;
}

static int cmd_weights(int argc, char **argv) {
  const char *dir = NULL, *proj = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--projection") == 0 && i + 1 < argc)
      proj = argv[++i];
    else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      printf("usage: hebb weights DIR [--projection NAME]\n");
      return 0;
    } else if (!dir && argv[i][0] != '-')
      dir = argv[i];
    else {
      fprintf(stderr,
              "hebb weights: unexpected argument '%s'\nusage: hebb weights DIR "
              "[--projection NAME]\n",
              argv[i]);
      return EXIT_INPUT;
    }
  }
  if (!dir) {
    fprintf(stderr, "usage: hebb weights DIR [--projection NAME]\n");
    return EXIT_INPUT;
  }
  char err[512];
  int rc = hebb_output_print_weights(dir, proj, stdout, err, sizeof err);
  if (rc) {
    fprintf(stderr, "hebb: %s\n", err);
    return EXIT_INPUT;
  }
  return fflush(stdout) ? EXIT_RUN : 0;
}

static int cmd_rules(int argc, char **argv) {
  static const char usage[] = "usage: hebb rules [--plugin PATH]...\n";
  char err[512];
  for (int i = 1; i < argc; i++) {
    const char *path;
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      return 0;
    } else if (strncmp(argv[i], "--plugin=", 9) == 0) {
      path = argv[i] + 9;
    } else if (strcmp(argv[i], "--plugin") == 0 && i + 1 < argc) {
      path = argv[++i];
    } else {
      fprintf(stderr, "hebb rules: unexpected argument '%s'\n%s", argv[i], usage);
      return EXIT_INPUT;
    }
    if (hebb_rule_load(path, err, sizeof err)) {
      fprintf(stderr, "hebb: %s\n", err);
      return EXIT_INPUT;
    }
  }
  for (size_t i = 0; i < hebb_rule_count(); i++) {
    const char *name = hebb_rule_name(i), *unit, *allowed;
    printf("%s: %s\n", name, hebb_rule_doc(name));
    if (hebb_rule_origin(name))
      printf("  plugin %s\n", hebb_rule_origin(name));
    double def;
    for (size_t k = 0; hebb_rule_param(name, k, &unit, &def); k++)
      printf("  param  %-12s %g %s\n", hebb_rule_param(name, k, NULL, NULL), def,
             strcmp(unit, "weight") == 0 ? "(weight unit of the target)" : unit);
    for (size_t k = 0; hebb_rule_option(name, k, &allowed); k++)
      printf("  option %-12s %s\n", hebb_rule_option(name, k, NULL), allowed);
  }
  return 0;
}

static int cmd_models(void) {
  for (size_t i = 0; i < hebb_neuron_model_count(); i++) {
    const char *name = hebb_neuron_model_name(i), *unit;
    printf("%s%s\n", name, hebb_neuron_model_is_stimulus(name) ? " (stimulus)" : "");
    double def;
    for (size_t k = 0; hebb_neuron_model_param(name, k, &unit, &def); k++)
      printf("  param  %-12s %g %s\n", hebb_neuron_model_param(name, k, NULL, NULL), def, unit);
    for (size_t k = 0; hebb_neuron_model_state(name, k, &unit); k++)
      printf("  state  %-12s %s\n", hebb_neuron_model_state(name, k, NULL), unit);
    const char *allowed;
    for (size_t k = 0; hebb_neuron_model_option(name, k, &allowed); k++)
      printf("  option %-12s %s\n", hebb_neuron_model_option(name, k, NULL), allowed);
    if (hebb_neuron_model_weight_unit(name))
      printf("  weight unit  %s\n", hebb_neuron_model_weight_unit(name));
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return cmd_run(argc, argv, true);
  const char *cmd = argv[1];
  if (strcmp(cmd, "run") == 0)
    return cmd_run(argc - 1, argv + 1, false);
  if (strcmp(cmd, "spikes") == 0)
    return cmd_print(argc - 1, argv + 1, true);
  if (strcmp(cmd, "state") == 0)
    return cmd_print(argc - 1, argv + 1, false);
  if (strcmp(cmd, "models") == 0)
    return cmd_models();
  if (strcmp(cmd, "rules") == 0)
    return cmd_rules(argc - 1, argv + 1);
  if (strcmp(cmd, "weights") == 0)
    return cmd_weights(argc - 1, argv + 1);
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    fputs(main_usage, stdout);
    return 0;
  }
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("hebb %s\n", HEBB_VERSION);
    return 0;
  }
  if (cmd[0] == '-')
    return cmd_run(argc, argv, true); /* options for the built-in run */
  fprintf(stderr, "hebb: unknown command '%s'\n\n%s", cmd, main_usage);
  return EXIT_INPUT;
}

/* cli.c - the hebb command-line tool, a thin client of libhebb.
 *
 *   hebb                      run the built-in model (B1 COBA, 1 s) and show what happened
 *   hebb run MODEL.yaml ...   run a model file into an output directory
 *   hebb spikes DIR           print the recorded spikes of a run
 *   hebb state DIR            print the recorded state variables of a run
 *
 * Exit codes: 0 success; 1 the run failed (I/O, memory); 2 bad command line or bad input
 * (model file, output directory, checkpoint); 3 stopped by SIGINT or SIGTERM after writing a
 * checkpoint (resume with --resume).
 */
#define _POSIX_C_SOURCE 200809L
#include "ckpt.h"
#include "cli_vanrossum.h"
#include "fsutil.h"
#include "hebb.h"
#include "units.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern const char hebb_default_model[];
extern const size_t hebb_default_model_len;

enum { EXIT_RUN = 1, EXIT_INPUT = 2, EXIT_STOPPED = 3 };

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
    "  vanrossum DIR --population P --target FILE [--tau T] [--window T]\n"
    "                             print the van Rossum distance D^2 between P's recorded\n"
    "                             spikes and target trains, per neuron and window, as\n"
    "                             neuron<TAB>window_start_ms<TAB>distance and a total line\n"
    "  profile DIR                print the profile of a finished run (time per phase and\n"
    "                             partition, counts, load imbalance, memory)\n"
    "  inspect CKPT               print a checkpoint's header and sections, and check them\n"
    "  verify CKPT [MODEL.yaml]   check a checkpoint (and that it belongs to MODEL); the\n"
    "                             answer is the exit code\n"
    "  models                     list the neuron and stimulus models with their parameters\n"
    "  rules [--plugin PATH]...   list the plasticity rules with their parameters, after\n"
    "                             loading the plugins given (their origin is shown)\n"
    "  help                       show this help\n"
    "  version                    print the version\n"
    "\n"
    "Without a command, hebb runs its built-in model (the COBA benchmark network of Brette\n"
    "et al. 2007: 4000 conductance-based neurons, 1 s) into hebb-out/default.\n"
    "\n"
    "Exit codes: 0 success, 1 the run failed, 2 bad command line or bad input, 3 stopped\n"
    "by a signal after writing a checkpoint.\n";

static const char run_usage[] =
    "usage: hebb run MODEL.yaml [OPTIONS]\n"
    "\n"
    "Simulates the model file MODEL.yaml (format: docs/model-format.md) and writes\n"
    "DIR/spikes.bin, DIR/state.bin, DIR/weights.bin and, when the run has finished,\n"
    "DIR/summary.json. For a model with targets (populations with `target:`, trained by\n"
    "superspike) it also writes DIR/learning.tsv, the running loss: at the end of every\n"
    "period of a target, a line time_ms<TAB>population<TAB>loss with the van Rossum distance\n"
    "D^2 between the population's spikes in the period and its target, summed over its\n"
    "neurons ('hebb vanrossum DIR --window PERIOD' of the finished run prints the same);\n"
    "summary.json sums it up under \"learning\" (docs/output-format.md). The population\n"
    "must be recorded (record: spikes).\n"
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
    "      --profile        also count cycles, instructions and cache misses per phase and\n"
    "                       partition (perf_event_open), and print the profile: time per\n"
    "                       phase, counts, load imbalance, memory (always written to\n"
    "                       DIR/profile.txt and summary.json; 'hebb profile DIR' shows it)\n"
    "      --plugin PATH    load a plasticity rule from the shared object PATH before the\n"
    "                       model is read (repeatable; see examples/plugins)\n"
    "      --loss-tau T     time constant of the van Rossum kernel of learning.tsv's loss\n"
    "                       (default 10 ms; a resumed run keeps the one it started with)\n"
    "\n"
    "Checkpoints (docs/checkpoint-format.md):\n"
    "      --checkpoint-every T  write a checkpoint every T of model time (e.g. 10 s)\n"
    "      --checkpoint-wall T   write a checkpoint every T of wall-clock time (e.g. 30 min)\n"
    "      --checkpoint-dir D    where (default: DIR/checkpoints)\n"
    "      --keep K              keep the K newest checkpoints (default 2)\n"
    "      --resume CKPT         continue the run of MODEL.yaml from checkpoint CKPT, on any\n"
    "                       number of threads, to the same end (--duration is the model time\n"
    "                       at which the whole run ends); the output directory's files are\n"
    "                       continued from where the checkpoint left them\n"
    "  SIGINT or SIGTERM: the run stops at the next epoch, writes a checkpoint, flushes its\n"
    "  output and exits with code 3; a second signal stops it at once (the checkpoints\n"
    "  already written stay intact).\n"
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
  int progress;                      /* -1 auto, 0 off, 1 on */
  double ckpt_every_ms, ckpt_wall_s; /* 0: none */
  const char *ckpt_dir;
  int keep;
  const char *resume;
  bool profile;
  double loss_tau_ms; /* 0: the default */
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
                                       {"checkpoint-every", required_argument, NULL, 'E'},
                                       {"checkpoint-wall", required_argument, NULL, 'W'},
                                       {"checkpoint-dir", required_argument, NULL, 'D'},
                                       {"keep", required_argument, NULL, 'K'},
                                       {"resume", required_argument, NULL, 'R'},
                                       {"profile", no_argument, NULL, 'F'},
                                       {"loss-tau", required_argument, NULL, 'T'},
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
    case 'E':
    case 'W': {
      double v;
      const char *name = c == 'E' ? "--checkpoint-every" : "--checkpoint-wall";
      if (hebb_units_parse(optarg, HEBB_DIM_TIME, &v, err, sizeof err) || !(v > 0)) {
        fprintf(stderr, "hebb run: %s: %s\n", name, v > 0 ? err : "expected a positive time");
        return EXIT_INPUT;
      }
      if (c == 'E')
        a->ckpt_every_ms = v;
      else
        a->ckpt_wall_s = v * 1e-3;
      break;
    }
    case 'D':
      a->ckpt_dir = optarg;
      break;
    case 'K': {
      errno = 0;
      long k = strtol(optarg, &end, 10);
      if (errno || *end || end == optarg || k < 1 || k > 1000000) {
        fprintf(stderr, "hebb run: --keep: expected a whole number of at least 1, got '%s'\n",
                optarg);
        return EXIT_INPUT;
      }
      a->keep = (int)k;
      break;
    }
    case 'R':
      a->resume = optarg;
      break;
    case 'F':
      a->profile = true;
      break;
    case 'T': {
      double v = 0.0;
      bool parsed = hebb_units_parse(optarg, HEBB_DIM_TIME, &v, err, sizeof err) == 0;
      if (!parsed || !(v > 0) || !isfinite(v)) {
        fprintf(stderr, "hebb run: --loss-tau: %s\n",
                parsed ? "expected a positive, finite time" : err);
        return EXIT_INPUT;
      }
      a->loss_tau_ms = v;
      break;
    }
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

/* ", loss POP VALUE" for each population whose last period's loss is known. */
static void loss_text(const hebb_model *m, const hebb_output *o, char *buf, size_t len) {
  size_t n = 0;
  buf[0] = '\0';
  for (int i = 0; i < hebb_model_population_count(m) && n < len; i++) {
    double t, loss;
    if (hebb_output_last_loss(o, i, &t, &loss) == 0)
      n += (size_t)snprintf(buf + n, len - n, ", loss %s %.4g", hebb_model_population_name(m, i),
                            loss);
  }
}

static void progress_line(FILE *f, bool tty, double t_ms, double end_ms, double sim_s,
                          uint64_t events, const char *loss) {
  double pct = end_ms > 0 ? 100.0 * t_ms / end_ms : 100.0;
  double rtf = t_ms > 0 ? sim_s / (t_ms * 1e-3) : 0.0;
  double eps = sim_s > 0 ? (double)events / sim_s : 0.0;
  fprintf(f, "%s[%3.0f%% ] model time %.1f ms, real-time factor %.2f, %.1e events/s%s%s",
          tty ? "\r" : "", pct, t_ms, rtf, eps, loss, tty ? "\033[K" : "\n");
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
  char learning[4200];
  struct stat st_l;
  snprintf(learning, sizeof learning, "%s/learning.tsv", dir);
  printf("  output: %s (summary.json, spikes.bin, state.bin, weights.bin%s)\n", dir,
         stat(learning, &st_l) == 0 ? ", learning.tsv" : "");
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

/* ---- checkpoints ---------------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal = 0;

/* The first SIGINT or SIGTERM asks the run to stop at the next epoch with a checkpoint; a
 * second one ends the process at once (checkpoints are written to a temporary file and
 * renamed, so the last complete one survives). */
static void on_signal(int sig) {
  if (stop_signal) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  stop_signal = sig;
}

static bool is_ckpt_name(const char *n) {
  size_t len = strlen(n);
  return len == 22 && strncmp(n, "step-", 5) == 0 && strcmp(n + 17, ".ckpt") == 0 &&
         strspn(n + 5, "0123456789") == 12;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Removes all but the KEEP newest checkpoints of DIR (names sort by step), and leftovers
 * of interrupted writes when CLEAN_TMP. */
static void rotate(const char *dir, int keep, bool clean_tmp) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  char path[4400];
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (clean_tmp && len == 26 && strncmp(e->d_name, "step-", 5) == 0 &&
        strcmp(e->d_name + 17, ".ckpt.tmp") == 0) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      remove(path);
      continue;
    }
    if (!is_ckpt_name(e->d_name))
      continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 16;
      char **nn = realloc(names, cap * sizeof *nn);
      if (!nn)
        break;
      names = nn;
    }
    if (!(names[n] = strdup(e->d_name)))
      break;
    n++;
  }
  closedir(d);
  if (n)
    qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i + (size_t)keep < n; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    remove(path);
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

/* Writes a checkpoint of S into DIR; false (reported) when it failed. */
static bool checkpoint(hebb_sim *s, hebb_output *o, const char *dir, int keep, bool quiet) {
  char path[4400], err[640];
  snprintf(path, sizeof path, "%s/step-%012llu.ckpt", dir, (unsigned long long)hebb_sim_step(s));
  double t0 = wall();
  if (hebb__make_dirs(dir)) {
    fprintf(stderr, "hebb: %s: cannot create the checkpoint directory: %s\n", dir, strerror(errno));
    return false;
  }
  if (hebb_checkpoint_write(s, o, path, err, sizeof err)) {
    fprintf(stderr, "hebb: checkpoint at %.1f ms failed, the previous ones are kept: %s\n",
            hebb_sim_time(s), err);
    return false;
  }
  rotate(dir, keep, false);
  if (!quiet) {
    struct stat st;
    double mb = stat(path, &st) == 0 ? (double)st.st_size / 1e6 : 0.0;
    fprintf(stderr, "hebb: checkpoint %s: %.1f ms of model time, %.1f MB in %.2f s\n", path,
            hebb_sim_time(s), mb, wall() - t0);
  }
  return true;
}

static uint64_t ceil_to(uint64_t x, uint64_t e) {
  return (x + e - 1) / e * e;
}

/* Builds the simulation of M: a new one, or the one checkpoint A->resume holds, with its
 * output directory opened to continue. */
static int start(hebb_model *m, run_args *a, const char *out_dir, hebb_sim **s, hebb_output **o) {
  hebb_sim_options opt = hebb_sim_options_default();
  opt.threads = a->threads;
  opt.pin = a->pin;
  opt.hw_counters = a->profile;
  char err[768];
  int rc;
  hebb_output_pos pos = {0};
  if (a->resume) {
    rc = hebb_checkpoint_resume(a->resume, m, &opt, s, &pos, err, sizeof err);
    if (rc) {
      fprintf(stderr, "hebb: cannot resume: %s\n", err);
      return rc == HEBB_ENOMEM || rc == HEBB_ETOPO ? EXIT_RUN : EXIT_INPUT;
    }
  } else if ((rc = hebb_sim_new(m, &opt, s))) {
    const hebb_error_info *e = hebb_model_error(m);
    fprintf(stderr, "hebb: %s: cannot build the network: %s\n", hebb_model_name(m), e->message);
    return rc == HEBB_ENOMEM || rc == HEBB_ETOPO ? EXIT_RUN : EXIT_INPUT;
  }
  double end_ms = hebb_model_duration(m);
  if (a->resume && hebb_sim_time(*s) > end_ms + 0.5 * hebb_model_dt(m)) {
    fprintf(stderr,
            "hebb: cannot resume: %s is at %.17g ms, after the end of the run (%.17g ms); "
            "--duration is the model time at which the whole run ends\n",
            a->resume, hebb_sim_time(*s), end_ms);
    hebb_sim_free(*s);
    *s = NULL;
    return EXIT_INPUT;
  }
  char probe[4200];
  snprintf(probe, sizeof probe, "%s/spikes.bin", out_dir);
  struct stat st;
  bool anew = !pos.valid || stat(probe, &st) != 0; /* hebb_output_resume's test */
  if (a->resume)
    rc = hebb_output_resume(o, out_dir, m, &pos, err, sizeof err);
  else
    rc = hebb_output_open(o, out_dir, m, err, sizeof err);
  if (!rc && a->loss_tau_ms > 0 &&
      (rc = hebb_output_set_loss_tau(*o, a->loss_tau_ms, err, sizeof err))) {
    hebb_output_abort(*o);
    *o = NULL;
  }
  if (rc) {
    fprintf(stderr, "hebb: %s\n", err);
    hebb_sim_free(*s);
    *s = NULL;
    return EXIT_INPUT;
  }
  /* a checkpoint of a Hebb before learning.tsv, of a model with targets */
  char lpath[4200];
  snprintf(lpath, sizeof lpath, "%s/learning.tsv", out_dir);
  bool learning_anew = !anew && pos.learning == UINT64_MAX && stat(lpath, &st) == 0;
  if (a->resume && !a->quiet)
    fprintf(stderr, "hebb: resumed from %s at %.1f ms on %d thread%s%s\n", a->resume,
            hebb_sim_time(*s), hebb_sim_threads(*s), hebb_sim_threads(*s) == 1 ? "" : "s",
            anew            ? "; the output directory starts anew"
            : learning_anew ? "; learning.tsv starts anew with the next period (the checkpoint "
                              "records none)"
                            : "");
  return 0;
}

/* Runs a loaded model with the options of A. */
static int run_model(hebb_model *m, run_args *a, const char *out_dir) {
  if (a->has_duration)
    hebb_model_set_duration(m, a->duration);
  if (a->has_seed)
    hebb_model_set_seed(m, a->seed);
  hebb_sim *s = NULL;
  hebb_output *o = NULL;
  int rc = start(m, a, out_dir, &s, &o);
  if (rc)
    return rc;
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
  char err[512], ckdir[4200];
  if (a->ckpt_dir)
    snprintf(ckdir, sizeof ckdir, "%s", a->ckpt_dir);
  else
    snprintf(ckdir, sizeof ckdir, "%s/checkpoints", out_dir);
  int keep = a->keep ? a->keep : 2;
  rotate(ckdir, keep, true);

  bool tty = isatty(STDERR_FILENO);
  bool progress = !a->quiet && (a->progress == 1 || (a->progress < 0 && tty));
  const double dt = hebb_model_dt(m);
  const uint64_t E = hebb_sim_epoch_steps(s);
  const uint64_t end = (uint64_t)llround(hebb_model_duration(m) / dt);
  const uint64_t max_chunk = (uint64_t)fmax(1.0, llround(100.0 / dt)); /* output every 100 ms */
  uint64_t chunk = max_chunk;
  /* model-time checkpoints at multiples of the interval, each moved to the next epoch */
  uint64_t k_every = 0, next_every = UINT64_MAX;
  if (a->ckpt_every_ms > 0) {
    k_every = (uint64_t)floor(hebb_sim_time(s) / a->ckpt_every_ms) + 1;
    next_every = ceil_to((uint64_t)llround(k_every * a->ckpt_every_ms / dt), E);
  }
  double last = wall(), last_ckpt = wall();
  bool ckpt_failed = false, stopped = false;
  while (!rc && hebb_sim_step(s) < end) {
    uint64_t now = hebb_sim_step(s);
    bool wall_due = a->ckpt_wall_s > 0 && wall() - last_ckpt >= a->ckpt_wall_s;
    uint64_t to = now + chunk < end ? now + chunk : end;
    if (next_every < to)
      to = next_every;
    if (stop_signal || wall_due) /* the next epoch boundary, which may be now */
      to = ceil_to(now, E) < to ? ceil_to(now, E) : to;
    double t0 = wall();
    if (to > now) {
      rc = hebb_sim_run_until(s, (double)to * dt);
      if (!rc)
        rc = hebb_output_write(o, s);
      if (rc)
        break;
      /* chunks of about a quarter second, so that a signal is answered quickly */
      double per_step = (wall() - t0) / (double)(to - now);
      if (to - now == chunk && per_step > 0)
        chunk = (uint64_t)fmax((double)E, fmin((double)max_chunk, 0.25 / per_step));
    }
    now = hebb_sim_step(s);
    bool at_epoch = now % E == 0;
    if (stop_signal && at_epoch && now < end) {
      stopped = true;
      if (!checkpoint(s, o, ckdir, keep, a->quiet))
        ckpt_failed = true;
      break;
    }
    if ((now == next_every || (wall_due && at_epoch)) && now < end) {
      if (!checkpoint(s, o, ckdir, keep, a->quiet))
        ckpt_failed = true;
      last_ckpt = wall();
      while (next_every <= now)
        next_every = ceil_to((uint64_t)llround(++k_every * a->ckpt_every_ms / dt), E);
    }
    double t = hebb_sim_time(s);
    if (progress && (wall() - last > 0.25 || now >= end)) {
      hebb_stats st;
      hebb_sim_stats(s, &st);
      char loss[256];
      loss_text(m, o, loss, sizeof loss);
      progress_line(stderr, tty, t, (double)end * dt, st.sim_wall_s, st.synaptic_events, loss);
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
  if (stopped) {
    /* the output files hold everything up to the checkpoint (it synced them); no summary:
     * the run is not finished */
    hebb_output_abort(o);
    if (!a->quiet || ckpt_failed)
      fprintf(stderr,
              "hebb: stopped by signal %d at %.1f ms%s; continue with the same command and "
              "--resume %s/step-%012llu.ckpt\n",
              (int)stop_signal, hebb_sim_time(s),
              ckpt_failed ? " WITHOUT a new checkpoint (see above)" : "", ckdir,
              (unsigned long long)hebb_sim_step(s));
    hebb_sim_free(s);
    return ckpt_failed ? EXIT_RUN : EXIT_STOPPED;
  }
  char *prof = hebb_profile_json(s);
  if (hebb_output_finish(o, s, prof, err, sizeof err)) {
    fprintf(stderr, "hebb: %s\n", err);
    free(prof);
    hebb_sim_free(s);
    return EXIT_RUN;
  }
  free(prof);
  char ppath[4200];
  snprintf(ppath, sizeof ppath, "%s/profile.txt", out_dir);
  FILE *pf = fopen(ppath, "w");
  if (!pf || hebb_profile_print(s, pf) || fclose(pf)) {
    fprintf(stderr, "hebb: %s: cannot write the profile: %s\n", ppath, strerror(errno));
    hebb_sim_free(s);
    return EXIT_RUN;
  }
  if (!a->quiet)
    print_summary(m, s, out_dir);
  if (a->profile)
    hebb_profile_print(s, stdout);
  if (a->verbose)
    print_verbose_phases(s);
  if (ckpt_failed)
    fprintf(stderr, "hebb: the run finished, but some checkpoints could not be written (see "
                    "above)\n");
  hebb_sim_free(s);
  return 0;
}

/* ---- hebb inspect / verify ----------------------------------------------------------- */

static int open_ckpt(const char *path, hebb_ckpt_reader **r) {
  /* every section type is listed as known, so that inspect shows them all; an unknown
   * critical one is still reported by resume */
  size_t nall;
  const uint32_t *all = hebb_checkpoint_sections(&nall);
  char err[640];
  if (hebb_ckpt_open(r, path, all, nall, err, sizeof err)) {
    fprintf(stderr, "hebb: %s\n", err);
    return EXIT_INPUT;
  }
  return 0;
}

static int cmd_inspect(int argc, char **argv) {
  if (argc != 2 || argv[1][0] == '-') {
    fprintf(argc == 2 ? stdout : stderr, "usage: hebb inspect CKPT\n");
    return argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) ? 0
                                                                                       : EXIT_INPUT;
  }
  hebb_ckpt_reader *r;
  int rc = open_ckpt(argv[1], &r);
  if (rc)
    return rc;
  const hebb_ckpt_header *h = hebb_ckpt_header_of(r);
  printf("checkpoint  %s (%llu bytes)\n", argv[1], (unsigned long long)hebb_ckpt_file_size(r));
  printf("format      %u.%u, written by hebb %s on %u thread%s\n", h->major, h->minor, h->version,
         h->threads, h->threads == 1 ? "" : "s");
  printf("time        %.17g ms (step %llu)\n", h->time_ms, (unsigned long long)h->step);
  printf("model hash  %016llx\n", (unsigned long long)h->model_hash);
  printf("sections    %zu\n", hebb_ckpt_section_count(r));
  printf("  %-6s  %-18s %-9s %12s %14s  %-16s\n", "type", "name", "flags", "offset", "bytes",
         "checksum");
  for (size_t i = 0; i < hebb_ckpt_section_count(r); i++) {
    const hebb_ckpt_section *sec = hebb_ckpt_section_at(r, i);
    const char *name = hebb_checkpoint_section_name(sec->type);
    printf("  0x%04x  %-18s %-9s %12llu %14llu  %016llx ok\n", sec->type, name ? name : "(unknown)",
           sec->flags & HEBB_CKPT_CRITICAL ? "critical" : "ancillary",
           (unsigned long long)sec->offset, (unsigned long long)sec->length,
           (unsigned long long)sec->checksum);
  }
  printf("all checksums verified\n");
  hebb_ckpt_close(r);
  return fflush(stdout) ? EXIT_RUN : 0;
}

static int cmd_profile(int argc, char **argv) {
  if (argc != 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: hebb profile DIR\n");
    return EXIT_INPUT;
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/profile.txt", argv[1]);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "hebb: %s: %s (a profile is written when a run finishes)\n", path,
            strerror(errno));
    return EXIT_INPUT;
  }
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    fwrite(buf, 1, n, stdout);
  fclose(f);
  return fflush(stdout) ? EXIT_RUN : 0;
}

static int cmd_verify(int argc, char **argv) {
  if (argc < 2 || argc > 3 || argv[1][0] == '-') {
    fprintf(stderr, "usage: hebb verify CKPT [MODEL.yaml]\n");
    return EXIT_INPUT;
  }
  hebb_ckpt_reader *r;
  int rc = open_ckpt(argv[1], &r);
  if (rc)
    return rc;
  uint64_t hash = hebb_ckpt_header_of(r)->model_hash;
  hebb_ckpt_close(r);
  if (argc == 3) {
    hebb_model *m = NULL;
    hebb_diag diag;
    if (hebb_model_load(argv[2], &m, &diag)) {
      fputs(diag.text, stderr);
      fprintf(stderr, "hebb: %s: cannot read the model\n", argv[2]);
      return EXIT_INPUT;
    }
    uint64_t want = hebb_model_hash(m);
    hebb_model_free(m);
    if (want != hash) {
      fprintf(stderr,
              "hebb: %s: belongs to another model (model hash %016llx; %s hashes to %016llx)\n",
              argv[1], (unsigned long long)hash, argv[2], (unsigned long long)want);
      return EXIT_INPUT;
    }
  }
  printf("%s: ok\n", argv[1]);
  return 0;
}

static int cmd_run(int argc, char **argv, bool builtin) {
  /* from the start: a signal while the network is built stops the run at its first epoch
   * boundary, with a checkpoint */
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
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
  if (strcmp(cmd, "profile") == 0)
    return cmd_profile(argc - 1, argv + 1);
  if (strcmp(cmd, "vanrossum") == 0)
    return hebb__cli_vanrossum(argc - 1, argv + 1);
  if (strcmp(cmd, "inspect") == 0)
    return cmd_inspect(argc - 1, argv + 1);
  if (strcmp(cmd, "verify") == 0)
    return cmd_verify(argc - 1, argv + 1);
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

/* output.c - the output directory of a run: spike, state and weight files written as the
 * run goes, the running loss of a training run (learning.tsv, computed by learning.c from the
 * spikes written), and the summary written last.
 *
 * The binary files start with a header that makes them self-describing (the populations,
 * their sizes, dt, the state variables) and continue with fixed-size little-endian records
 * sorted by time; docs/output-format.md gives the layout. The command-line tool (cli.c)
 * and library users call this module; the engine knows nothing of files.
 */
#define _POSIX_C_SOURCE 200809L
#include "fsutil.h"
#include "hebb.h"
#include "learning.h"
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Frozen: the magic strings and record layouts below cannot change without a format break
 * (bump the version and keep reading the old one). */
#define SPIKES_MAGIC "HEBBSPK\x01"
#define STATE_MAGIC "HEBBSTA\x01"
#define FORMAT_VERSION 1u
#define SPIKE_RECORD_BYTES 16 /* u64 step, u32 population, u32 index */
/* u64 step, u32 population, u32 index, u32 variable, u32 zero, f64 value */
#define SAMPLE_RECORD_BYTES 32
#define WEIGHTS_MAGIC "HEBBWGT\x01"
/* u64 step, u32 projection, u32 source, u32 target, f32 weight */
#define WEIGHT_RECORD_BYTES 24

struct hebb_output {
  char dir[4096];
  FILE *spikes, *state, *weights;
  /* learning.tsv, when the model has populations with a target (learn not NULL) */
  FILE *learning;
  hebb_learning *learn;
  bool learning_lines; /* learning.tsv holds losses (not only its header) */
  const hebb_model *m;
  uint64_t nspikes, nsamples;
};

static void fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t len, const char *fmt, ...) {
  if (!err || !len)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, len, fmt, ap);
  va_end(ap);
}

static void put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static uint64_t get_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static uint64_t double_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

static double bits_double(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

static int write_u32(FILE *f, uint32_t v) {
  unsigned char b[4];
  put_u32(b, v);
  return fwrite(b, 4, 1, f) == 1 ? 0 : -1;
}

static int write_str(FILE *f, const char *s) {
  size_t n = strlen(s);
  return write_u32(f, (uint32_t)n) || fwrite(s, 1, n, f) != n ? -1 : 0;
}

/* The common header: magic, version, dt, populations (name, size) and, for the state file,
 * each population's state variable names. */
static int write_header(FILE *f, const char *magic, const hebb_model *m, bool vars) {
  unsigned char b[8];
  if (fwrite(magic, 1, 8, f) != 8 || write_u32(f, FORMAT_VERSION) ||
      write_u32(f, (uint32_t)m->npops))
    return -1;
  put_u64(b, double_bits(m->dt));
  if (fwrite(b, 8, 1, f) != 1)
    return -1;
  for (int i = 0; i < m->npops; i++) {
    if (write_str(f, m->pops[i].name) || write_u32(f, m->pops[i].size))
      return -1;
    if (vars) {
      const hebb_nm_desc *d = m->pops[i].desc;
      if (write_u32(f, (uint32_t)d->nstates))
        return -1;
      for (size_t v = 0; v < d->nstates; v++)
        if (write_str(f, d->states[v].name))
          return -1;
    }
  }
  return 0;
}

/* The weight file's header: magic, version, dt, and the projections' names. */
static int write_weights_header(FILE *f, const hebb_model *m) {
  unsigned char b[8];
  if (fwrite(WEIGHTS_MAGIC, 1, 8, f) != 8 || write_u32(f, FORMAT_VERSION) ||
      write_u32(f, (uint32_t)m->nprojs))
    return -1;
  put_u64(b, double_bits(m->dt));
  if (fwrite(b, 8, 1, f) != 1)
    return -1;
  for (int i = 0; i < m->nprojs; i++)
    if (write_str(f, m->projs[i].name))
      return -1;
  return 0;
}

int hebb__make_dirs(const char *path) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = buf + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      if (mkdir(buf, 0777) && errno != EEXIST)
        return -1;
      *p = '/';
    }
  }
  if (mkdir(buf, 0777) && errno != EEXIST)
    return -1;
  struct stat st;
  if (stat(buf, &st) || !S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

/* A new output for M into DIR, with its running loss when M has targets (whose refusal of an
 * unrecorded target comes before anything is created). */
static int new_output(hebb_output **out, const char *dir, const hebb_model *m, char *err,
                      size_t errlen) {
  hebb_output *o = calloc(1, sizeof *o);
  if (!o) {
    fail(err, errlen, "out of memory");
    return HEBB_ENOMEM;
  }
  o->m = m;
  snprintf(o->dir, sizeof o->dir, "%s", dir);
  char why[400] = "";
  int rc = hebb__learning_new(&o->learn, m, why, sizeof why);
  if (rc) {
    fail(err, errlen, "%s: %s", hebb_model_name(m), why);
    free(o);
    return rc;
  }
  *out = o;
  return 0;
}

/* learning.tsv anew, with its header, when the model has targets; else an old one goes. */
static int open_learning(hebb_output *o, char *err, size_t errlen) {
  char path[4200];
  snprintf(path, sizeof path, "%s/learning.tsv", o->dir);
  if (!o->learn) {
    if (remove(path) && errno != ENOENT) {
      fail(err, errlen, "%s: cannot remove the old file: %s", path, strerror(errno));
      return HEBB_EIO;
    }
    return 0;
  }
  o->learning = fopen(path, "w");
  o->learning_lines = false;
  if (!o->learning || hebb__learning_write_header(o->learn, o->learning)) {
    fail(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    return HEBB_EIO;
  }
  return 0;
}

int hebb_output_open(hebb_output **out, const char *dir, const hebb_model *m, char *err,
                     size_t errlen) {
  *out = NULL;
  hebb_output *o;
  int rc = new_output(&o, dir, m, err, errlen);
  if (rc)
    return rc;
  if (hebb__make_dirs(dir)) {
    fail(err, errlen, "%s: cannot create the output directory: %s", dir, strerror(errno));
    hebb_output_abort(o);
    return HEBB_EIO;
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/summary.json", dir);
  if (remove(path) && errno != ENOENT) {
    fail(err, errlen, "%s: cannot remove the old summary: %s", path, strerror(errno));
    hebb_output_abort(o);
    return HEBB_EIO;
  }
  snprintf(path, sizeof path, "%s/spikes.bin", dir);
  o->spikes = fopen(path, "wb");
  if (!o->spikes || write_header(o->spikes, SPIKES_MAGIC, m, false)) {
    fail(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    hebb_output_abort(o);
    return HEBB_EIO;
  }
  snprintf(path, sizeof path, "%s/state.bin", dir);
  o->state = fopen(path, "wb");
  if (!o->state || write_header(o->state, STATE_MAGIC, m, true)) {
    fail(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    hebb_output_abort(o);
    return HEBB_EIO;
  }
  snprintf(path, sizeof path, "%s/weights.bin", dir);
  o->weights = fopen(path, "wb");
  if (!o->weights || write_weights_header(o->weights, m)) {
    fail(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    hebb_output_abort(o);
    return HEBB_EIO;
  }
  if ((rc = open_learning(o, err, errlen))) {
    hebb_output_abort(o);
    return rc;
  }
  *out = o;
  return 0;
}

/* The header FILE would start with, in memory (*buf to free). */
static int expected_header(int which, const hebb_model *m, char **buf, size_t *len) {
  FILE *f = open_memstream(buf, len);
  if (!f)
    return -1;
  int rc = which == 0   ? write_header(f, SPIKES_MAGIC, m, false)
           : which == 1 ? write_header(f, STATE_MAGIC, m, true)
                        : write_weights_header(f, m);
  if (fclose(f) || rc) {
    free(*buf);
    *buf = NULL;
    return -1;
  }
  return 0;
}

/* Checks DIR/learning.tsv before a resume cuts it to LEN bytes: there, at least that long,
 * with a header of ours, whose tau it adopts. Leaves O->learning open at its start. */
static int check_learning(hebb_output *o, uint64_t len, char *err, size_t errlen) {
  char path[4200];
  snprintf(path, sizeof path, "%s/learning.tsv", o->dir);
  o->learning = fopen(path, "r+");
  struct stat st;
  if (!o->learning || fstat(fileno(o->learning), &st)) {
    fail(err, errlen, "%s: cannot continue the run's output: %s", path, strerror(errno));
    return HEBB_EIO;
  }
  char *line = NULL, *hdr = NULL;
  size_t cap = 0, hlen = 0;
  double tau = getline(&line, &cap, o->learning) > 0 ? hebb__learning_header_tau(line) : 0.0;
  free(line);
  bool same = false;
  if (tau > 0) {
    hebb__learning_set_tau(o->learn, tau);
    FILE *mem = open_memstream(&hdr, &hlen);
    int bad = !mem || hebb__learning_write_header(o->learn, mem);
    if ((mem && fclose(mem)) || bad) {
      free(hdr);
      fail(err, errlen, "out of memory");
      return HEBB_ENOMEM;
    }
    char *got = malloc(hlen ? hlen : 1);
    same = got && fseeko(o->learning, 0, SEEK_SET) == 0 &&
           fread(got, 1, hlen, o->learning) == hlen && memcmp(got, hdr, hlen) == 0;
    free(got);
    free(hdr);
  }
  if (!same || len < hlen) {
    fail(err, errlen,
         "%s: cannot continue the run's output: not a learning.tsv of Hebb (its "
         "header differs)",
         path);
    return HEBB_EPARSE;
  }
  if ((uint64_t)st.st_size < len) {
    fail(err, errlen,
         "%s: cannot continue the run's output: the file has %lld bytes, the checkpoint covers "
         "%llu (output written before the checkpoint is missing)",
         path, (long long)st.st_size, (unsigned long long)len);
    return HEBB_EPARSE;
  }
  o->learning_lines = len > hlen;
  return 0;
}

/* Gives the running loss the spikes of its current periods again, from spikes.bin (cut back
 * to the checkpoint: its last records are the checkpoint's last step) whose header is HLEN
 * bytes: the records from the period's first step on, found by bisection (they are sorted by
 * step). */
static int replay_spikes(hebb_output *o, uint64_t hlen, char *err, size_t errlen) {
  FILE *f = o->spikes;
  off_t end = ftello(f);
  if (end < 0 || (uint64_t)end < hlen || ((uint64_t)end - hlen) % SPIKE_RECORD_BYTES) {
    fail(err, errlen, "%s/spikes.bin: damaged: not a whole number of records", o->dir);
    return HEBB_EPARSE;
  }
  uint64_t from = hebb__learning_replay_from(o->learn);
  uint64_t lo = 0, hi = ((uint64_t)end - hlen) / SPIKE_RECORD_BYTES;
  unsigned char rec[SPIKE_RECORD_BYTES];
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (fseeko(f, (off_t)(hlen + mid * SPIKE_RECORD_BYTES), SEEK_SET) ||
        fread(rec, SPIKE_RECORD_BYTES, 1, f) != 1)
      goto io_error;
    if (get_u64(rec) < from)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (fseeko(f, (off_t)(hlen + lo * SPIKE_RECORD_BYTES), SEEK_SET))
    goto io_error;
  hebb_spike batch[256];
  size_t n;
  do {
    for (n = 0; n < sizeof batch / sizeof batch[0] && fread(rec, sizeof rec, 1, f) == 1; n++)
      batch[n] = (hebb_spike){get_u64(rec), get_u32(rec + 8), get_u32(rec + 12)};
    if (hebb__learning_add(o->learn, batch, n)) {
      fail(err, errlen, "out of memory");
      return HEBB_ENOMEM;
    }
  } while (n == sizeof batch / sizeof batch[0]);
  if (ferror(f) || fseeko(f, 0, SEEK_END))
    goto io_error;
  return 0;
io_error:
  fail(err, errlen, "%s/spikes.bin: cannot read the spikes of the current period: %s", o->dir,
       strerror(errno));
  return HEBB_EIO;
}

int hebb_output_resume(hebb_output **out, const char *dir, const hebb_model *m,
                       const hebb_output_pos *pos, char *err, size_t errlen) {
  *out = NULL;
  static const char *const names[3] = {"spikes.bin", "state.bin", "weights.bin"};
  const uint64_t want[3] = {pos->spikes, pos->state, pos->weights};
  char path[4200];
  struct stat st;
  snprintf(path, sizeof path, "%s/spikes.bin", dir);
  if (!pos->valid || stat(path, &st) != 0) {
    /* nothing to continue: the directory starts anew at the checkpoint's step */
    int rc = hebb_output_open(out, dir, m, err, errlen);
    if (!rc && (*out)->learn)
      hebb__learning_skip_to((*out)->learn, pos->step);
    return rc;
  }
  hebb_output *o;
  int rc = new_output(&o, dir, m, err, errlen);
  if (rc)
    return rc;
  /* learning.tsv is continued when the checkpoint knows its length; one written before
   * learning.tsv existed starts it anew */
  bool learning_known = o->learn && pos->learning != UINT64_MAX;
  FILE **files[3] = {&o->spikes, &o->state, &o->weights};
  uint64_t spikes_hlen = 0;
  /* check all before cutting any */
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    *files[i] = fopen(path, "r+b");
    if (!*files[i] || fstat(fileno(*files[i]), &st)) {
      fail(err, errlen, "%s: cannot continue the run's output: %s", path, strerror(errno));
      hebb_output_abort(o);
      return HEBB_EIO;
    }
    char *hdr = NULL;
    size_t hlen = 0;
    if (expected_header(i, m, &hdr, &hlen)) {
      fail(err, errlen, "out of memory");
      hebb_output_abort(o);
      return HEBB_ENOMEM;
    }
    char *got = malloc(hlen ? hlen : 1);
    bool same = got && fread(got, 1, hlen, *files[i]) == hlen && memcmp(got, hdr, hlen) == 0;
    free(got);
    free(hdr);
    if (i == 0)
      spikes_hlen = hlen;
    if (!same || want[i] < hlen) {
      fail(err, errlen,
           "%s: cannot continue the run's output: the file was written for another model (its "
           "header differs)",
           path);
      hebb_output_abort(o);
      return HEBB_EPARSE;
    }
    if ((uint64_t)st.st_size < want[i]) {
      fail(err, errlen,
           "%s: cannot continue the run's output: the file has %lld bytes, the checkpoint "
           "covers %llu (output written before the checkpoint is missing)",
           path, (long long)st.st_size, (unsigned long long)want[i]);
      hebb_output_abort(o);
      return HEBB_EPARSE;
    }
  }
  if (learning_known && (rc = check_learning(o, pos->learning, err, errlen))) {
    hebb_output_abort(o);
    return rc;
  }
  snprintf(path, sizeof path, "%s/summary.json", dir);
  if (remove(path) && errno != ENOENT) {
    fail(err, errlen, "%s: cannot remove the old summary: %s", path, strerror(errno));
    hebb_output_abort(o);
    return HEBB_EIO;
  }
  /* what was written after the checkpoint goes */
  for (int i = 0; i < 4; i++) {
    FILE *f = i < 3 ? *files[i] : o->learning;
    if (!f)
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, i < 3 ? names[i] : "learning.tsv");
    if (fflush(f) || ftruncate(fileno(f), (off_t)(i < 3 ? want[i] : pos->learning)) ||
        fseeko(f, 0, SEEK_END)) {
      fail(err, errlen, "%s: cannot cut the file back to the checkpoint: %s", path,
           strerror(errno));
      hebb_output_abort(o);
      return HEBB_EIO;
    }
  }
  if (learning_known) {
    hebb__learning_continue_at(o->learn, pos->step);
    rc = replay_spikes(o, spikes_hlen, err, errlen);
  } else {
    rc = open_learning(o, err, errlen);
    if (!rc && o->learn)
      hebb__learning_skip_to(o->learn, pos->step);
  }
  if (rc) {
    hebb_output_abort(o);
    return rc;
  }
  *out = o;
  return 0;
}

int hebb_output_set_loss_tau(hebb_output *o, double tau_ms, char *err, size_t errlen) {
  if (!(tau_ms > 0) || !isfinite(tau_ms)) {
    fail(err, errlen, "the loss's tau must be a positive, finite time (got %g ms)", tau_ms);
    return HEBB_EINVAL;
  }
  if (!o->learn || tau_ms == hebb__learning_tau(o->learn))
    return 0;
  if (o->learning_lines) {
    fail(err, errlen,
         "%s/learning.tsv: the losses of the run so far have tau %.17g ms; a resumed run "
         "continues with the same (not %.17g ms)",
         o->dir, hebb__learning_tau(o->learn), tau_ms);
    return HEBB_EINVAL;
  }
  /* no loss written yet: the header is written again */
  hebb__learning_set_tau(o->learn, tau_ms);
  if (fflush(o->learning) || ftruncate(fileno(o->learning), 0) ||
      fseeko(o->learning, 0, SEEK_SET) || hebb__learning_write_header(o->learn, o->learning)) {
    fail(err, errlen, "%s/learning.tsv: cannot write: %s", o->dir, strerror(errno));
    return HEBB_EIO;
  }
  return 0;
}

int hebb_output_last_loss(const hebb_output *o, int pop, double *time_ms, double *loss) {
  return hebb__learning_last(o->learn, pop, time_ms, loss);
}

int hebb_output_sync(hebb_output *o, hebb_sim *s, hebb_output_pos *pos, char *err, size_t errlen) {
  int rc = hebb_output_write(o, s);
  FILE *files[4] = {o->spikes, o->state, o->weights, o->learning};
  uint64_t at[4] = {0, 0, 0, UINT64_MAX};
  for (int i = 0; i < 4 && !rc; i++) {
    off_t p;
    if (!files[i])
      continue;
    if (fflush(files[i]) || fsync(fileno(files[i])) || (p = ftello(files[i])) < 0)
      rc = HEBB_EIO;
    else
      at[i] = (uint64_t)p;
  }
  if (rc) {
    fail(err, errlen, "%s: cannot write the output: %s", o->dir,
         rc == HEBB_EIO ? strerror(errno) : hebb_strerror(rc));
    return rc;
  }
  pos->valid = true;
  pos->spikes = at[0];
  pos->state = at[1];
  pos->weights = at[2];
  pos->learning = at[3];
  pos->step = hebb_sim_step(s);
  return 0;
}

void hebb_output_abort(hebb_output *o) {
  if (!o)
    return;
  if (o->spikes)
    fclose(o->spikes);
  if (o->state)
    fclose(o->state);
  if (o->weights)
    fclose(o->weights);
  if (o->learning)
    fclose(o->learning);
  hebb__learning_free(o->learn);
  free(o);
}

int hebb_output_write(hebb_output *o, hebb_sim *s) {
  hebb_spike *sp;
  size_t n;
  int rc = hebb_sim_take_spikes(s, &sp, &n);
  if (rc)
    return rc;
  unsigned char rec[SAMPLE_RECORD_BYTES];
  for (size_t i = 0; i < n && !rc; i++) {
    put_u64(rec, sp[i].step);
    put_u32(rec + 8, sp[i].pop);
    put_u32(rec + 12, sp[i].index);
    if (fwrite(rec, SPIKE_RECORD_BYTES, 1, o->spikes) != 1)
      rc = HEBB_EIO;
  }
  o->nspikes += n;
  if (!rc && o->learn)
    rc = hebb__learning_add(o->learn, sp, n);
  free(sp);
  if (rc)
    return rc;
  hebb_sample *sm;
  rc = hebb_sim_take_samples(s, &sm, &n);
  if (rc)
    return rc;
  for (size_t i = 0; i < n && !rc; i++) {
    put_u64(rec, sm[i].step);
    put_u32(rec + 8, sm[i].pop);
    put_u32(rec + 12, sm[i].index);
    put_u32(rec + 16, sm[i].var);
    put_u32(rec + 20, 0);
    put_u64(rec + 24, double_bits(sm[i].value));
    if (fwrite(rec, SAMPLE_RECORD_BYTES, 1, o->state) != 1)
      rc = HEBB_EIO;
  }
  o->nsamples += n;
  free(sm);
  if (rc)
    return rc;
  hebb_synapse *w;
  rc = hebb_sim_take_weights(s, &w, &n);
  if (rc)
    return rc;
  for (size_t i = 0; i < n && !rc; i++) {
    uint32_t bits;
    memcpy(&bits, &w[i].weight, sizeof bits);
    put_u64(rec, w[i].step);
    put_u32(rec + 8, w[i].proj);
    put_u32(rec + 12, w[i].source);
    put_u32(rec + 16, w[i].target);
    put_u32(rec + 20, bits);
    if (fwrite(rec, WEIGHT_RECORD_BYTES, 1, o->weights) != 1)
      rc = HEBB_EIO;
  }
  free(w);
  if (!rc && o->learn) { /* the periods that have ended, now that their spikes are in */
    int lines = hebb__learning_advance(o->learn, hebb_sim_step(s), o->learning);
    if (lines < 0)
      rc = lines;
    else if (lines > 0)
      o->learning_lines = true;
  }
  return rc;
}

/* JSON string contents: names are identifiers, but file names may hold anything. */
static void json_escaped(FILE *f, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
}

static int write_summary(hebb_output *o, hebb_sim *s, const char *extra) {
  const hebb_model *m = o->m;
  char path[4200], tmp[4300];
  snprintf(path, sizeof path, "%s/summary.json", o->dir);
  snprintf(tmp, sizeof tmp, "%s/.summary.json.tmp", o->dir);
  FILE *f = fopen(tmp, "w");
  if (!f)
    return HEBB_EIO;
  hebb_stats st;
  hebb_sim_stats(s, &st);
  double model_s = hebb_sim_time(s) * 1e-3;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  int P = hebb_sim_threads(s);
  fprintf(f, "{\n  \"hebb_version\": \"%s\",\n  \"model\": \"", HEBB_VERSION);
  json_escaped(f, m->name);
  fprintf(f, "\",\n  \"seed\": %llu,\n  \"threads\": %d,\n", (unsigned long long)m->seed, P);
  fprintf(f, "  \"dt_ms\": %.17g,\n  \"duration_ms\": %.17g,\n", m->dt, hebb_sim_time(s));
  fprintf(f, "  \"build_wall_s\": %.6f,\n  \"sim_wall_s\": %.6f,\n", st.build_wall_s,
          st.sim_wall_s);
  fprintf(f, "  \"realtime_factor\": %.6g,\n", model_s > 0 ? st.sim_wall_s / model_s : 0.0);
  fprintf(f, "  \"neurons\": %llu,\n  \"synapses\": %llu,\n", (unsigned long long)st.neurons,
          (unsigned long long)st.synapses);
  fprintf(f, "  \"bytes_per_synapse\": %.4f,\n",
          st.synapses ? (double)st.synapse_bytes / (double)st.synapses : 0.0);
  fprintf(f, "  \"spikes_total\": %llu,\n  \"synaptic_events\": %llu,\n",
          (unsigned long long)st.spikes_total, (unsigned long long)st.synaptic_events);
  fprintf(f, "  \"events_per_s\": %.6g,\n",
          st.sim_wall_s > 0 ? (double)st.synaptic_events / st.sim_wall_s : 0.0);
  fprintf(f, "  \"queue_events\": %llu,\n", (unsigned long long)st.queue_events);
  fprintf(f, "  \"peak_rss_bytes\": %lld,\n", (long long)ru.ru_maxrss * 1024);
  fprintf(f, "  \"populations\": {");
  for (int i = 0; i < m->npops; i++) {
    uint64_t ns = hebb_sim_population_spikes(s, i);
    double rate = model_s > 0 ? (double)ns / (model_s * m->pops[i].size) : 0.0;
    fprintf(f, "%s\n    \"%s\": {\"size\": %u, \"spikes\": %llu, \"rate_hz\": %.6g}", i ? "," : "",
            m->pops[i].name, m->pops[i].size, (unsigned long long)ns, rate);
  }
  fprintf(f, "\n  },\n");
  if (o->learn) { /* from learning.tsv, complete and closed by now */
    char lpath[4200];
    snprintf(lpath, sizeof lpath, "%s/learning.tsv", o->dir);
    FILE *in = fopen(lpath, "r");
    int rc = in ? hebb__learning_summary(o->learn, in, f) : HEBB_EIO;
    if (in)
      fclose(in);
    if (rc) {
      fclose(f);
      remove(tmp);
      return rc;
    }
  }
  fprintf(f, "  \"phases_s\": {");
  for (int k = 0; hebb_phase_name(k); k++)
    fprintf(f, "%s\"%s\": %.6f", k ? ", " : "", hebb_phase_name(k), st.phase_s[k]);
  fprintf(f, "},\n  \"pinning\": [");
  int *cores = malloc((size_t)P * sizeof *cores);
  if (cores && hebb_sim_pinning(s, cores, (size_t)P) == 0)
    for (int p = 0; p < P; p++)
      fprintf(f, "%s%d", p ? ", " : "", cores[p]);
  free(cores);
  fprintf(f, "]%s\n}\n", extra ? extra : "");
  int bad = ferror(f);
  bad |= fclose(f) != 0;
  if (bad || rename(tmp, path)) {
    remove(tmp);
    return HEBB_EIO;
  }
  return 0;
}

int hebb_output_finish(hebb_output *o, hebb_sim *s, const char *extra, char *err, size_t errlen) {
  int rc = hebb_output_write(o, s);
  if (!rc && (fflush(o->spikes) || fflush(o->state) || fflush(o->weights) ||
              (o->learning && fflush(o->learning))))
    rc = HEBB_EIO;
  int c1 = fclose(o->spikes), c2 = fclose(o->state), c3 = fclose(o->weights);
  int c4 = o->learning ? fclose(o->learning) : 0;
  o->spikes = o->state = o->weights = o->learning = NULL;
  if (!rc && (c1 || c2 || c3 || c4))
    rc = HEBB_EIO;
  if (!rc)
    rc = write_summary(o, s, extra);
  if (rc)
    fail(err, errlen, "%s: cannot write the output: %s", o->dir,
         rc == HEBB_EIO ? strerror(errno) : hebb_strerror(rc));
  hebb_output_abort(o);
  return rc;
}

/* ------------------------------------------------------------------------------------- */
/* Reading back */

typedef struct {
  uint32_t npops;
  double dt;
  char **names;
  uint32_t *sizes;
  uint32_t *nvars;
  char ***vars;
} header;

static void header_free(header *h) {
  for (uint32_t i = 0; i < h->npops; i++) {
    if (h->names)
      free(h->names[i]);
    if (h->vars && h->vars[i]) {
      for (uint32_t v = 0; v < h->nvars[i]; v++)
        free(h->vars[i][v]);
      free(h->vars[i]);
    }
  }
  free(h->names);
  free(h->sizes);
  free(h->nvars);
  free(h->vars);
}

static int read_u32(FILE *f, uint32_t *v) {
  unsigned char b[4];
  if (fread(b, 4, 1, f) != 1)
    return -1;
  *v = get_u32(b);
  return 0;
}

static char *read_str(FILE *f) {
  uint32_t n;
  if (read_u32(f, &n) || n > 4096)
    return NULL;
  char *s = malloc(n + 1);
  if (!s || fread(s, 1, n, f) != n) {
    free(s);
    return NULL;
  }
  s[n] = '\0';
  return s;
}

static int read_header(FILE *f, const char *magic, bool vars, header *h) {
  memset(h, 0, sizeof *h);
  char mg[8];
  uint32_t version;
  unsigned char b[8];
  if (fread(mg, 1, 8, f) != 8 || memcmp(mg, magic, 8) != 0)
    return -1;
  if (read_u32(f, &version) || version != FORMAT_VERSION || read_u32(f, &h->npops) ||
      h->npops > 1000000 || fread(b, 8, 1, f) != 1)
    return -1;
  h->dt = bits_double(get_u64(b));
  h->names = calloc(h->npops + 1, sizeof *h->names);
  h->sizes = calloc(h->npops + 1, sizeof *h->sizes);
  h->nvars = calloc(h->npops + 1, sizeof *h->nvars);
  h->vars = calloc(h->npops + 1, sizeof *h->vars);
  if (!h->names || !h->sizes || !h->nvars || !h->vars)
    return -1;
  for (uint32_t i = 0; i < h->npops; i++) {
    if (!(h->names[i] = read_str(f)) || read_u32(f, &h->sizes[i]))
      return -1;
    if (vars) {
      uint32_t nv;
      if (read_u32(f, &nv) || nv > 64)
        return -1;
      h->vars[i] = calloc(nv + 1, sizeof(char *));
      if (!h->vars[i])
        return -1;
      h->nvars[i] = nv;
      for (uint32_t v = 0; v < nv; v++)
        if (!(h->vars[i][v] = read_str(f)))
          return -1;
    }
  }
  return 0;
}

/* Decimal places that print every multiple of dt exactly (dt = 0.1 ms: one). */
static int time_decimals(double dt) {
  for (int k = 0; k <= 9; k++) {
    double x = dt * pow(10.0, k);
    if (fabs(x - nearbyint(x)) < 1e-9 * fmax(1.0, x))
      return k;
  }
  return 17;
}

/* Opens DIR/NAME and reads its header; a message names the file on failure. */
static FILE *open_output(const char *dir, const char *name, const char *magic, bool vars, header *h,
                         char *err, size_t errlen) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  if (read_header(f, magic, vars, h)) {
    fail(err, errlen, "%s: not a Hebb %s file of format version %u, or its header is damaged", path,
         vars ? "state" : "spike", FORMAT_VERSION);
    header_free(h);
    fclose(f);
    return NULL;
  }
  return f;
}

int hebb_output_print_spikes(const char *dir, FILE *out, char *err, size_t errlen) {
  header h;
  FILE *f = open_output(dir, "spikes.bin", SPIKES_MAGIC, false, &h, err, errlen);
  if (!f)
    return HEBB_EPARSE;
  int dec = time_decimals(h.dt), rc = 0;
  unsigned char rec[SPIKE_RECORD_BYTES];
  size_t got;
  while ((got = fread(rec, 1, sizeof rec, f)) == sizeof rec) {
    uint64_t step = get_u64(rec);
    uint32_t pop = get_u32(rec + 8), index = get_u32(rec + 12);
    if (pop >= h.npops || index >= h.sizes[pop]) {
      fail(err, errlen, "%s/spikes.bin: record names population %u index %u, not in the header",
           dir, pop, index);
      rc = HEBB_EPARSE;
      break;
    }
    fprintf(out, "%s\t%u\t%.*f\n", h.names[pop], index, dec, (double)step * h.dt);
  }
  if (!rc && got != 0) {
    fail(err, errlen, "%s/spikes.bin: truncated record at the end (%zu bytes)", dir, got);
    rc = HEBB_EPARSE;
  }
  fclose(f);
  header_free(&h);
  return rc;
}

int hebb_output_read_spikes(const char *dir, const char *pop, hebb_spike **spikes, size_t *n,
                            uint32_t *pop_size, double *dt_ms, char *err, size_t errlen) {
  *spikes = NULL;
  *n = 0;
  header h;
  FILE *f = open_output(dir, "spikes.bin", SPIKES_MAGIC, false, &h, err, errlen);
  if (!f)
    return HEBB_EPARSE;
  uint32_t want = h.npops;
  for (uint32_t i = 0; i < h.npops && want == h.npops; i++)
    if (strcmp(h.names[i], pop) == 0)
      want = i;
  int rc = 0;
  if (want == h.npops) {
    /* name the populations there are: the usual mistake is a misspelt one */
    char list[256] = "";
    size_t len = 0;
    for (uint32_t i = 0; i < h.npops && len < sizeof list; i++)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", h.names[i]);
    fail(err, errlen, "%s/spikes.bin: no population '%s' in this run (it has: %s)", dir, pop,
         h.npops ? list : "none");
    rc = HEBB_ENOENT;
  }
  hebb_spike *sp = NULL;
  size_t count = 0, cap = 0, got = 0;
  unsigned char rec[SPIKE_RECORD_BYTES];
  while (!rc && (got = fread(rec, 1, sizeof rec, f)) == sizeof rec) {
    hebb_spike s = {get_u64(rec), get_u32(rec + 8), get_u32(rec + 12)};
    if (s.pop >= h.npops || s.index >= h.sizes[s.pop]) {
      fail(err, errlen, "%s/spikes.bin: record names population %u index %u, not in the header",
           dir, s.pop, s.index);
      rc = HEBB_EPARSE;
      break;
    }
    if (s.pop != want)
      continue;
    if (count == cap) {
      size_t ncap = cap ? 2 * cap : 1024;
      hebb_spike *grown = ncap > SIZE_MAX / sizeof *sp ? NULL : realloc(sp, ncap * sizeof *sp);
      if (!grown) {
        fail(err, errlen, "out of memory");
        rc = HEBB_ENOMEM;
        break;
      }
      sp = grown;
      cap = ncap;
    }
    sp[count++] = s;
  }
  if (!rc && got != 0) {
    fail(err, errlen, "%s/spikes.bin: truncated record at the end (%zu bytes)", dir, got);
    rc = HEBB_EPARSE;
  }
  if (!rc) {
    if (pop_size)
      *pop_size = h.sizes[want];
    if (dt_ms)
      *dt_ms = h.dt;
    *spikes = sp;
    *n = count;
  } else {
    free(sp);
  }
  fclose(f);
  header_free(&h);
  return rc;
}

int hebb_output_print_state(const char *dir, FILE *out, char *err, size_t errlen) {
  header h;
  FILE *f = open_output(dir, "state.bin", STATE_MAGIC, true, &h, err, errlen);
  if (!f)
    return HEBB_EPARSE;
  int dec = time_decimals(h.dt), rc = 0;
  unsigned char rec[SAMPLE_RECORD_BYTES];
  size_t got;
  while ((got = fread(rec, 1, sizeof rec, f)) == sizeof rec) {
    uint64_t step = get_u64(rec);
    uint32_t pop = get_u32(rec + 8), index = get_u32(rec + 12), var = get_u32(rec + 16);
    if (pop >= h.npops || index >= h.sizes[pop] || var >= h.nvars[pop]) {
      fail(err, errlen,
           "%s/state.bin: record names population %u index %u variable %u, not in "
           "the header",
           dir, pop, index, var);
      rc = HEBB_EPARSE;
      break;
    }
    fprintf(out, "%s\t%u\t%s\t%.*f\t%.17g\n", h.names[pop], index, h.vars[pop][var], dec,
            (double)step * h.dt, bits_double(get_u64(rec + 24)));
  }
  if (!rc && got != 0) {
    fail(err, errlen, "%s/state.bin: truncated record at the end (%zu bytes)", dir, got);
    rc = HEBB_EPARSE;
  }
  fclose(f);
  header_free(&h);
  return rc;
}

int hebb_output_print_weights(const char *dir, const char *proj, FILE *out, char *err,
                              size_t errlen) {
  char path[4200];
  snprintf(path, sizeof path, "%s/weights.bin", dir);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return HEBB_EPARSE;
  }
  char mg[8];
  uint32_t version, nproj;
  unsigned char b[WEIGHT_RECORD_BYTES];
  char **names = NULL;
  int rc = 0;
  if (fread(mg, 1, 8, f) != 8 || memcmp(mg, WEIGHTS_MAGIC, 8) != 0 || read_u32(f, &version) ||
      version != FORMAT_VERSION || read_u32(f, &nproj) || nproj > 65536 || fread(b, 8, 1, f) != 1 ||
      !(names = calloc(nproj + 1, sizeof *names))) {
    fail(err, errlen, "%s: not a Hebb weight file of format version %u, or its header is damaged",
         path, FORMAT_VERSION);
    free(names);
    fclose(f);
    return HEBB_EPARSE;
  }
  double dt = bits_double(get_u64(b));
  int want = -1;
  for (uint32_t i = 0; i < nproj && !rc; i++) {
    if (!(names[i] = read_str(f)))
      rc = HEBB_EPARSE;
    else if (proj && strcmp(names[i], proj) == 0)
      want = (int)i;
  }
  if (rc) {
    fail(err, errlen, "%s: damaged header", path);
  } else if (proj && want < 0) {
    fail(err, errlen, "%s: no projection '%s' in this run", path, proj);
    rc = HEBB_ENOENT;
  }
  int dec = time_decimals(dt);
  size_t got = 0;
  while (!rc && (got = fread(b, 1, sizeof b, f)) == sizeof b) {
    uint32_t p = get_u32(b + 8), bits = get_u32(b + 20);
    if (p >= nproj) {
      fail(err, errlen, "%s: record names projection %u, not in the header", path, p);
      rc = HEBB_EPARSE;
      break;
    }
    if (want >= 0 && (int)p != want)
      continue;
    float w;
    memcpy(&w, &bits, sizeof w);
    fprintf(out, "%s\t%.*f\t%u\t%u\t%.9g\n", names[p], dec, (double)get_u64(b) * dt,
            get_u32(b + 12), get_u32(b + 16), (double)w);
  }
  if (!rc && got != 0) {
    fail(err, errlen, "%s: truncated record at the end (%zu bytes)", path, got);
    rc = HEBB_EPARSE;
  }
  for (uint32_t i = 0; i < nproj; i++)
    free(names[i]);
  free(names);
  fclose(f);
  return rc;
}

/* checkpoint.c - checkpoints of a run: the engine's state (engine/sim_state.c) and the
 * lengths of the run's output files, in the container of io/ckpt.c.
 * docs/checkpoint-format.md describes the file.
 */
#define _POSIX_C_SOURCE 200809L
#include "ckpt.h"
#include "hebb.h"
#include "sim_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The section types this Hebb reads: anything else critical is refused. */
static const uint32_t known[] = {HEBB_SEC_META,    HEBB_SEC_NEURONS,  HEBB_SEC_FLIGHT,
                                 HEBB_SEC_PLASTIC, HEBB_SEC_COUNTERS, HEBB_SEC_FEEDBACK,
                                 HEBB_SEC_OUTPUT,  HEBB_SEC_LEARNING};

const uint32_t *hebb_checkpoint_sections(size_t *n) {
  *n = sizeof known / sizeof known[0];
  return known;
}

const char *hebb_checkpoint_section_name(uint32_t type) {
  switch (type) {
  case HEBB_SEC_META:
    return "meta";
  case HEBB_SEC_NEURONS:
    return "neurons";
  case HEBB_SEC_FLIGHT:
    return "spikes in flight";
  case HEBB_SEC_PLASTIC:
    return "plasticity";
  case HEBB_SEC_COUNTERS:
    return "counters";
  case HEBB_SEC_FEEDBACK:
    return "feedback";
  case HEBB_SEC_OUTPUT:
    return "output positions";
  case HEBB_SEC_LEARNING:
    return "learning position";
  default:
    return NULL;
  }
}

int hebb_checkpoint_write(hebb_sim *s, hebb_output *o, const char *path, char *err, size_t errlen) {
  if (hebb_sim_step(s) % hebb_sim_epoch_steps(s)) {
    snprintf(err, errlen,
             "%s: a checkpoint can only be taken at a multiple of %u steps (now at step %llu)",
             path, hebb_sim_epoch_steps(s), (unsigned long long)hebb_sim_step(s));
    return HEBB_ESTATE;
  }
  hebb_output_pos pos = {.learning = UINT64_MAX};
  int rc;
  double t0 = seconds();
  if (o && (rc = hebb_output_sync(o, s, &pos, err, errlen)))
    return rc;
  hebb_ckpt_header h = {0};
  h.step = hebb_sim_step(s);
  h.time_ms = hebb_sim_time(s);
  snprintf(h.version, sizeof h.version, "%s", HEBB_VERSION);
  h.model_hash = hebb_model_hash(s->m);
  h.threads = (uint32_t)hebb_sim_threads(s);
  hebb_ckpt_writer *w = NULL;
  if ((rc = hebb_ckpt_writer_open(&w, path, &h, err, errlen)))
    return rc;
  char why[320] = "";
  rc = hebb__sim_save(s, w, why, sizeof why);
  if (!rc) {
    uint64_t v[4] = {pos.valid, pos.spikes, pos.state, pos.weights};
    hebb_ckpt_begin(w, HEBB_SEC_OUTPUT, HEBB_CKPT_CRITICAL);
    hebb_ckpt_write(w, v, sizeof v);
    hebb_ckpt_end(w);
    /* ancillary: a Hebb that writes no learning.tsv has nothing to continue */
    if (pos.valid && pos.learning != UINT64_MAX) {
      hebb_ckpt_begin(w, HEBB_SEC_LEARNING, 0);
      hebb_ckpt_write(w, &pos.learning, sizeof pos.learning);
      hebb_ckpt_end(w);
    }
  }
  if (rc && rc != HEBB_EIO) { /* the engine's own failure; an I/O one commit reports */
    hebb_ckpt_abort(w);
    snprintf(err, errlen, "%s: %s", path, why[0] ? why : hebb_strerror(rc));
    return rc;
  }
  rc = hebb_ckpt_commit(w, err, errlen);
  s->parts[0].phase[PH_CHECKPOINT] += seconds() - t0; /* the write is serial */
  return rc;
}

int hebb_checkpoint_resume(const char *path, const hebb_model *m, const hebb_sim_options *opt,
                           hebb_sim **out, hebb_output_pos *pos, char *err, size_t errlen) {
  *out = NULL;
  hebb_ckpt_reader *r = NULL;
  int rc = hebb_ckpt_open(&r, path, known, sizeof known / sizeof known[0], err, errlen);
  if (rc)
    return rc;
  const hebb_ckpt_header *h = hebb_ckpt_header_of(r);
  uint64_t want = hebb_model_hash(m);
  if (h->model_hash != want) {
    snprintf(err, errlen,
             "%s: the checkpoint belongs to another model (model hash %016llx; %s hashes to "
             "%016llx): resume it with the model file it was written for",
             path, (unsigned long long)h->model_hash, hebb_model_name(m), (unsigned long long)want);
    hebb_ckpt_close(r);
    return HEBB_EPARSE;
  }
  uint64_t len = 0;
  const unsigned char *ov = hebb_ckpt_data(r, HEBB_SEC_OUTPUT, &len);
  if (!ov || len != 4 * sizeof(uint64_t)) {
    snprintf(err, errlen, "%s: section output (0x%04x) is %s", path, HEBB_SEC_OUTPUT,
             ov ? "of the wrong size" : "missing");
    hebb_ckpt_close(r);
    return HEBB_EPARSE;
  }
  uint64_t v[4], learning = UINT64_MAX;
  memcpy(v, ov, sizeof v);
  const unsigned char *lv = hebb_ckpt_data(r, HEBB_SEC_LEARNING, &len);
  if (lv && len != sizeof learning) {
    snprintf(err, errlen, "%s: section learning position (0x%04x) is of the wrong size", path,
             HEBB_SEC_LEARNING);
    hebb_ckpt_close(r);
    return HEBB_EPARSE;
  }
  if (lv)
    memcpy(&learning, lv, sizeof learning);
  hebb_sim *s = NULL;
  if ((rc = hebb_sim_new(m, opt, &s))) {
    snprintf(err, errlen, "%s: cannot build the network: %s", path, hebb_model_error(m)->message);
    hebb_ckpt_close(r);
    return rc;
  }
  char why[320] = "";
  rc = hebb__sim_restore(s, r, why, sizeof why);
  if (!rc && hebb_sim_step(s) != h->step) {
    snprintf(why, sizeof why, "the header's step (%llu) and the state's (%llu) differ",
             (unsigned long long)h->step, (unsigned long long)hebb_sim_step(s));
    rc = HEBB_EPARSE;
  }
  hebb_ckpt_close(r);
  if (rc) {
    snprintf(err, errlen, "%s: %s", path, why[0] ? why : hebb_strerror(rc));
    hebb_sim_free(s);
    return rc;
  }
  if (pos) {
    pos->valid = v[0] != 0;
    pos->spikes = v[1];
    pos->state = v[2];
    pos->weights = v[3];
    pos->learning = learning;
    pos->step = hebb_sim_step(s); /* the header's, checked above */
  }
  *out = s;
  return 0;
}

/* test_learning.c - tests of io/learning through the output directory (hebb_output_*): the
 * running loss that learning.tsv holds for populations with a target.
 *
 * tests/e2e/learning.sh checks the values against `hebb vanrossum` and the resumes of the
 * command-line tool; here, through the library, what the tool cannot reach: a checkpoint
 * written before learning.tsv existed (no section 0x0011; made by copying a new checkpoint
 * without it) resumes, the other files continue byte for byte and learning.tsv starts anew
 * with the first period after the checkpoint; a new checkpoint continues it exactly; the
 * loss's tau can change until a loss is written and not after; hebb_output_last_loss; an
 * unrecorded target population is refused before anything is created.
 */
#define _XOPEN_SOURCE 700
#include "ckpt.h"
#include "hebb.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A population of 3 neurons, each spike of its driver repeated 0.1 ms later, with a target
 * of period 30 ms; spikes at 5, 10.1, 30, 30.1, 45.1, 60 and 90 ms. A run of 90 ms has the
 * periods ending at 30, 60 and 90 ms. */
static const char model_yaml[] = "simulation: {dt: 0.1 ms, duration: 90 ms, seed: 1}\n"
                                 "populations:\n"
                                 "  - name: out\n"
                                 "    size: 3\n"
                                 "    model: iaf_psc_delta\n"
                                 "    params: {t_ref: 0.1 ms}\n"
                                 "    target:\n"
                                 "      period: 30 ms\n"
                                 "      spike_times: [[5 ms, 30 ms], [0.1 ms, 12.34 ms], []]\n"
                                 "stimuli:\n"
                                 "  - name: drive\n"
                                 "    size: 3\n"
                                 "    model: spike_generator\n"
                                 "    spike_times: [[29.9 ms, 59.9 ms], [4.9 ms, 30 ms, 45 ms],"
                                 " [10 ms, 89.9 ms]]\n"
                                 "projections:\n"
                                 "  - {name: d, source: drive, target: out, rule: one_to_one,"
                                 " weight: 100 mV, delay: 0.1 ms}\n"
                                 "record:\n"
                                 "  spikes: [out]\n";

static hebb_model *load(const char *yaml) {
  hebb_model *m = NULL;
  hebb_diag diag;
  int rc = hebb_model_load_string(yaml, strlen(yaml), "learning", &m, &diag);
  ck_assert_msg(rc == 0, "%s", diag.text);
  return m;
}

static hebb_sim *build(const hebb_model *m) {
  hebb_sim_options o = hebb_sim_options_default();
  o.threads = 1;
  o.pin = false;
  hebb_sim *s = NULL;
  ck_assert_int_eq(hebb_sim_new(m, &o, &s), 0);
  return s;
}

/* A fresh directory under /tmp per test, removed with everything in it by an unchecked
 * fixture (in the runner's process, so that it goes even when a test fails). */
static char tmpdir[64];

static void make_tmpdir(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/hebb-learning-XXXXXX");
  if (!mkdtemp(tmpdir))
    abort();
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void rm_tmpdir(void) {
  nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void in_tmp(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s", tmpdir, name);
}

/* The whole file PATH (NUL-terminated; the caller frees); *LEN its bytes. */
static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "%s: cannot open", path);
  char *buf = NULL;
  size_t cap = 0;
  ssize_t n = getdelim(&buf, &cap, '\0', f);
  fclose(f);
  ck_assert(n >= 0);
  if (len)
    *len = (size_t)n;
  return buf;
}

/* Runs M from S's step to the model's end into O, in chunks of 10 ms, and finishes. */
static void run_to_end(hebb_model *m, hebb_sim *s, hebb_output *o) {
  char err[512];
  double end = hebb_model_duration(m);
  while (hebb_sim_time(s) < end - 0.05) {
    double t = hebb_sim_time(s) + 10.0;
    ck_assert_int_eq(hebb_sim_run_until(s, t < end ? t : end), 0);
    ck_assert_int_eq(hebb_output_write(o, s), 0);
  }
  ck_assert_msg(hebb_output_finish(o, s, NULL, err, sizeof err) == 0, "%s", err);
}

/* Copies the checkpoint FROM to TO without its sections of type SKIP: a checkpoint as a Hebb
 * without them wrote it. */
static void copy_without(const char *from, const char *to, uint32_t skip) {
  static const uint32_t all[] = {0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0010, 0x0011};
  char err[640];
  hebb_ckpt_reader *r = NULL;
  ck_assert_msg(hebb_ckpt_open(&r, from, all, 7, err, sizeof err) == 0, "%s", err);
  hebb_ckpt_header h = *hebb_ckpt_header_of(r);
  hebb_ckpt_writer *w = NULL;
  ck_assert_msg(hebb_ckpt_writer_open(&w, to, &h, err, sizeof err) == 0, "%s", err);
  size_t kept = 0;
  for (size_t i = 0; i < hebb_ckpt_section_count(r); i++) {
    const hebb_ckpt_section *sec = hebb_ckpt_section_at(r, i);
    if (sec->type == skip)
      continue;
    uint64_t len = 0;
    const void *data = hebb_ckpt_data_at(r, i, &len);
    hebb_ckpt_begin(w, sec->type, sec->flags);
    hebb_ckpt_write(w, data, (size_t)len);
    hebb_ckpt_end(w);
    kept++;
  }
  ck_assert_uint_eq(kept + 1, hebb_ckpt_section_count(r)); /* there was one to leave out */
  hebb_ckpt_close(r);
  ck_assert_msg(hebb_ckpt_commit(w, err, sizeof err) == 0, "%s", err);
}

/* Resumes the run of M from CKPT into DIR and runs it to its end. */
static hebb_output_pos resume_to_end(hebb_model *m, const char *ckpt, const char *dir) {
  char err[768];
  hebb_sim_options opt = hebb_sim_options_default();
  opt.threads = 1;
  opt.pin = false;
  hebb_sim *s = NULL;
  hebb_output_pos pos;
  ck_assert_msg(hebb_checkpoint_resume(ckpt, m, &opt, &s, &pos, err, sizeof err) == 0, "%s", err);
  hebb_output *o = NULL;
  ck_assert_msg(hebb_output_resume(&o, dir, m, &pos, err, sizeof err) == 0, "%s", err);
  run_to_end(m, s, o);
  hebb_sim_free(s);
  return pos;
}

START_TEST(test_checkpoints_old_and_new) {
  hebb_model *m = load(model_yaml);
  char dir[128], ckpt[128], old[128], path[200], err[640];
  in_tmp(dir, sizeof dir, "ckpt_out");
  in_tmp(ckpt, sizeof ckpt, "new.ckpt");
  in_tmp(old, sizeof old, "old.ckpt");
  /* the reference: a run with a checkpoint at 45 ms, in the middle of the period 30-60 (its
   * spikes at 30, 30.1 before, 45.1 and the target times 35, 42.34 ... around it) */
  hebb_sim *s = build(m);
  hebb_output *o = NULL;
  ck_assert_msg(hebb_output_open(&o, dir, m, err, sizeof err) == 0, "%s", err);
  ck_assert_int_eq(hebb_sim_run_until(s, 45.0), 0);
  ck_assert_int_eq(hebb_output_write(o, s), 0);
  ck_assert_msg(hebb_checkpoint_write(s, o, ckpt, err, sizeof err) == 0, "%s", err);
  run_to_end(m, s, o);
  hebb_sim_free(s);
  snprintf(path, sizeof path, "%s/learning.tsv", dir);
  char *ref = slurp(path, NULL);
  ck_assert_msg(strstr(ref, "\n30\tout\t") && strstr(ref, "\n60\tout\t") &&
                    strstr(ref, "\n90\tout\t"),
                "%s", ref);
  snprintf(path, sizeof path, "%s/spikes.bin", dir);
  size_t nspk;
  char *spikes = slurp(path, &nspk);

  /* a new checkpoint continues learning.tsv exactly */
  hebb_output_pos pos = resume_to_end(m, ckpt, dir);
  ck_assert_uint_eq(pos.step, 450);
  ck_assert(pos.learning != UINT64_MAX);
  snprintf(path, sizeof path, "%s/learning.tsv", dir);
  char *again = slurp(path, NULL);
  ck_assert_str_eq(again, ref);
  free(again);

  /* an old one: the run resumes, its other files continue byte for byte, learning.tsv
   * starts anew with the period 60-90, the first that begins after 45 ms */
  copy_without(ckpt, old, 0x0011);
  pos = resume_to_end(m, old, dir);
  ck_assert_uint_eq(pos.learning, UINT64_MAX);
  ck_assert_uint_eq(pos.step, 450);
  snprintf(path, sizeof path, "%s/spikes.bin", dir);
  size_t nspk2;
  char *spikes2 = slurp(path, &nspk2);
  ck_assert_uint_eq(nspk2, nspk);
  ck_assert(memcmp(spikes, spikes2, nspk) == 0);
  snprintf(path, sizeof path, "%s/learning.tsv", dir);
  char *anew = slurp(path, NULL);
  const char *header_end = strstr(ref, "\n30\tout\t") + 1, *last = strstr(ref, "\n90\tout\t") + 1;
  ck_assert_uint_eq(strlen(anew), (size_t)(header_end - ref) + strlen(last));
  ck_assert(strncmp(anew, ref, (size_t)(header_end - ref)) == 0);
  ck_assert_str_eq(anew + (header_end - ref), last);
  /* and the summary counts what learning.tsv holds */
  snprintf(path, sizeof path, "%s/summary.json", dir);
  char *summary = slurp(path, NULL);
  ck_assert_msg(strstr(summary, "\"periods\": 1,"), "%s", summary);
  free(summary);
  free(anew);
  free(spikes);
  free(spikes2);
  free(ref);
  hebb_model_free(m);
}
END_TEST

START_TEST(test_loss_tau_and_last_loss) {
  hebb_model *m = load(model_yaml);
  char dir[128], path[200], err[640];
  in_tmp(dir, sizeof dir, "tau_out");
  hebb_sim *s = build(m);
  hebb_output *o = NULL;
  ck_assert_msg(hebb_output_open(&o, dir, m, err, sizeof err) == 0, "%s", err);
  double t = 0, loss = 0;
  ck_assert_int_eq(hebb_output_last_loss(o, 0, &t, &loss), HEBB_ENOENT);
  ck_assert_int_eq(hebb_output_set_loss_tau(o, 0.0, err, sizeof err), HEBB_EINVAL);
  ck_assert_int_eq(hebb_output_set_loss_tau(o, 20.0, err, sizeof err), 0);
  /* 20 ms of the first period: no loss yet, the tau may still change */
  ck_assert_int_eq(hebb_sim_run_until(s, 20.0), 0);
  ck_assert_int_eq(hebb_output_write(o, s), 0);
  ck_assert_int_eq(hebb_output_last_loss(o, 0, &t, &loss), HEBB_ENOENT);
  ck_assert_int_eq(hebb_output_set_loss_tau(o, 5.0, err, sizeof err), 0);
  ck_assert_int_eq(hebb_sim_run_until(s, 40.0), 0);
  ck_assert_int_eq(hebb_output_write(o, s), 0);
  /* period 0-30 of neuron 0: no spike before 30 (its spike at 30 belongs to the next
   * period), targets at 5 and 30 (the next period's too): 1/2; neuron 1: spike 5, targets
   * 0.1 and 12.34; neuron 2: spike 10.1, no target: 1/2 */
  ck_assert_int_eq(hebb_output_last_loss(o, 0, &t, &loss), 0);
  ck_assert_double_eq(t, 30.0);
  double u1[] = {5.0}, v1[] = {0.1, 12.34};
  double want = 0.5 + hebb_van_rossum(u1, 1, v1, 2, 5.0) + 0.5;
  ck_assert_double_eq_tol(loss, want, 1e-12);
  ck_assert_int_eq(hebb_output_last_loss(o, 1, &t, &loss), HEBB_ENOENT); /* a stimulus */
  /* a loss is written: the tau stays */
  ck_assert_int_eq(hebb_output_set_loss_tau(o, 10.0, err, sizeof err), HEBB_EINVAL);
  ck_assert_msg(strstr(err, "have tau 5 ms"), "%s", err);
  ck_assert_int_eq(hebb_output_set_loss_tau(o, 5.0, err, sizeof err), 0);
  run_to_end(m, s, o);
  hebb_sim_free(s);
  snprintf(path, sizeof path, "%s/learning.tsv", dir);
  char *text = slurp(path, NULL);
  ck_assert_msg(strncmp(text, "# ", 2) == 0 && strstr(text, "(tau_ms 5)") &&
                    !strstr(text, "(tau_ms 20)") && !strstr(text, "(tau_ms 10)"),
                "%s", text);
  ck_assert_msg(strstr(text, "# time_ms\tpopulation\tloss\n30\tout\t"), "%s", text);
  free(text);
  hebb_model_free(m);
}
END_TEST

START_TEST(test_unrecorded_target_refused) {
  char yaml[sizeof model_yaml + 16], dir[128], err[640];
  snprintf(yaml, sizeof yaml, "%s", model_yaml);
  char *rec = strstr(yaml, "record:\n");
  ck_assert_ptr_nonnull(rec);
  *rec = '\0'; /* nothing recorded */
  hebb_model *m = load(yaml);
  in_tmp(dir, sizeof dir, "never");
  hebb_output *o = NULL;
  ck_assert_int_eq(hebb_output_open(&o, dir, m, err, sizeof err), HEBB_EINVAL);
  ck_assert_ptr_null(o);
  ck_assert_msg(strstr(err, "population 'out' has a target") &&
                    strstr(err, "add 'out' to record: spikes"),
                "%s", err);
  struct stat st;
  ck_assert_int_ne(stat(dir, &st), 0);
  hebb_model_free(m);
}
END_TEST

static Suite *learning_suite(void) {
  Suite *s = suite_create("learning");
  TCase *tc = tcase_create("core");
  tcase_add_unchecked_fixture(tc, make_tmpdir, rm_tmpdir);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_checkpoints_old_and_new);
  tcase_add_test(tc, test_loss_tau_and_last_loss);
  tcase_add_test(tc, test_unrecorded_target_refused);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(learning_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

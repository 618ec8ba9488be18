/* test_ckpt.c - tests of io/ckpt: the checkpoint container.
 *
 * Every checkpoint here is made by the real writer from section specs whose bytes come from
 * a position-addressed generator (so pieces of any size give the same bytes, and a reader's
 * bytes can be checked without keeping a copy). The tests check what a user relies on: what
 * was written is read back exactly; every single damaged byte and every truncation is
 * refused with a message naming the damage; versions and unknown sections follow the rules;
 * and a failure at any write, fsync or rename, or a SIGKILL at any moment, leaves the
 * previous checkpoint intact and loadable. Files live in a fresh directory under /tmp.
 */
#define _POSIX_C_SOURCE 200809L
#include "ckpt.h"

#include "hebb.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB ((size_t)1 << 20)

/* ---- helpers ---------------------------------------------------------------------------- */

static uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* Bytes [AT, AT + N) of the stream SEED: byte k is byte k % 8 of word k / 8. */
static void gen(unsigned char *p, size_t n, uint64_t seed, uint64_t at) {
  seed *= 0x100000001b3ull;
  size_t i = 0;
  for (; i < n && (at + i) % 8; i++)
    p[i] = (unsigned char)(splitmix(seed ^ ((at + i) >> 3)) >> (8 * ((at + i) & 7)));
  for (; i + 8 <= n; i += 8) {
    uint64_t word = splitmix(seed ^ ((at + i) >> 3));
    for (int b = 0; b < 8; b++)
      p[i + (size_t)b] = (unsigned char)(word >> (8 * b));
  }
  for (; i < n; i++)
    p[i] = (unsigned char)(splitmix(seed ^ ((at + i) >> 3)) >> (8 * ((at + i) & 7)));
}

/* Whether P (N bytes) is bytes [0, N) of stream SEED; compares in blocks. */
static bool matches(const unsigned char *p, size_t n, uint64_t seed) {
  unsigned char block[4096];
  for (size_t at = 0; at < n; at += sizeof block) {
    size_t k = n - at < sizeof block ? n - at : sizeof block;
    gen(block, k, seed, at);
    if (memcmp(block, p + at, k))
      return false;
  }
  return true;
}

typedef struct {
  uint32_t type, flags;
  size_t len;
  uint64_t seed;
  size_t max_piece; /* written in pieces of 1..max_piece bytes (0: one piece) */
} sec_spec;

static hebb_ckpt_header header_for(uint64_t step) {
  hebb_ckpt_header h = {0};
  h.step = step;
  h.time_ms = (double)step * 0.1;
  snprintf(h.version, sizeof h.version, "%s-test", HEBB_VERSION);
  h.model_hash = 0xdeadbeefcafef00dull ^ step;
  h.threads = 7;
  return h;
}

/* Writes the checkpoint PATH with the sections SPEC; returns commit's result. */
static int write_ckpt(const char *path, const hebb_ckpt_header *h, const sec_spec *spec, size_t n,
                      char *err, size_t errlen) {
  hebb_ckpt_writer *w = NULL;
  int rc = hebb_ckpt_writer_open(&w, path, h, err, errlen);
  if (rc)
    return rc;
  size_t bufsz = 1;
  for (size_t i = 0; i < n; i++) {
    size_t piece = spec[i].max_piece ? spec[i].max_piece : spec[i].len;
    bufsz = piece > bufsz ? piece : bufsz;
  }
  unsigned char *buf = malloc(bufsz);
  ck_assert_ptr_nonnull(buf);
  for (size_t i = 0; i < n; i++) {
    hebb_ckpt_begin(w, spec[i].type, spec[i].flags);
    uint64_t rng = spec[i].seed + 1;
    for (size_t at = 0; at < spec[i].len;) {
      size_t left = spec[i].len - at, k = left;
      if (spec[i].max_piece) {
        rng = splitmix(rng);
        k = 1 + (size_t)(rng % spec[i].max_piece);
        k = k < left ? k : left;
      }
      gen(buf, k, spec[i].seed, at);
      hebb_ckpt_write(w, buf, k); /* errors are reported by commit */
      at += k;
    }
    hebb_ckpt_end(w);
  }
  free(buf);
  return hebb_ckpt_commit(w, err, errlen);
}

/* Checks that R holds exactly the header H and the sections SPEC. */
static void check_contents(const hebb_ckpt_reader *r, const hebb_ckpt_header *h,
                           const sec_spec *spec, size_t n) {
  const hebb_ckpt_header *g = hebb_ckpt_header_of(r);
  ck_assert_uint_eq(g->major, HEBB_CKPT_MAJOR);
  ck_assert_uint_eq(g->minor, HEBB_CKPT_MINOR);
  ck_assert_uint_eq(g->step, h->step);
  ck_assert(g->time_ms == h->time_ms);
  ck_assert_str_eq(g->version, h->version);
  ck_assert_uint_eq(g->model_hash, h->model_hash);
  ck_assert_uint_eq(g->threads, h->threads);
  ck_assert_uint_eq(hebb_ckpt_section_count(r), n);
  uint64_t end = HEBB_CKPT_HEADER_SIZE;
  for (size_t i = 0; i < n; i++) {
    const hebb_ckpt_section *s = hebb_ckpt_section_at(r, i);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->type, spec[i].type);
    ck_assert_uint_eq(s->flags, spec[i].flags);
    ck_assert_uint_eq(s->length, spec[i].len);
    ck_assert_uint_eq(s->offset % 8, 0);
    ck_assert_uint_ge(s->offset, end);
    ck_assert_uint_lt(s->offset - end, 8); /* only padding between sections */
    end = s->offset + s->length;
    uint64_t len = 12345;
    const unsigned char *d = hebb_ckpt_data_at(r, i, &len);
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(len, spec[i].len);
    ck_assert_uint_eq((uintptr_t)d % 8, 0);
    ck_assert_msg(matches(d, (size_t)len, spec[i].seed), "section %zu: bytes differ", i);
    ck_assert_uint_eq(s->checksum, hebb_ckpt_hash(d, (size_t)len, 0));
  }
  ck_assert_ptr_null(hebb_ckpt_section_at(r, n));
  /* the table and the trailer follow the last section and end the file */
  uint64_t table_at = (end + 7) / 8 * 8;
  ck_assert_uint_eq(hebb_ckpt_file_size(r), table_at + 32 * n + HEBB_CKPT_TRAILER_SIZE);
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(n ? (size_t)n : 1);
  ck_assert_ptr_nonnull(b);
  ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return b;
}

static void spit(const char *path, const void *b, size_t len) {
  FILE *f = fopen(path, "wb");
  ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
  ck_assert_uint_eq(fwrite(b, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* A fresh directory under /tmp for each test case, made and removed (with the files in it)
 * by an unchecked fixture: in the runner's process, so that it goes even when a test fails.
 * The tests in a case use distinct file names. */
static char tmpdir[64];

static void make_tmpdir(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/hebb-ckpt-XXXXXX");
  if (!mkdtemp(tmpdir)) {
    fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
    abort();
  }
}

static void rm_tmpdir(void) {
  DIR *d = opendir(tmpdir);
  if (!d)
    return;
  struct dirent *e;
  char p[512];
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
      unlink(p);
    }
  closedir(d);
  rmdir(tmpdir);
}

static void in_tmp(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s", tmpdir, name);
}

static void put_u16(unsigned char *p, uint16_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
}

static void put_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* After an edit of the header: its checksum (bytes 120..127) and the file's (the 8 bytes
 * 16 before the end), as a writer would have computed them. */
static void reseal(unsigned char *b, size_t len) {
  put_u64(b + 120, hebb_ckpt_hash(b, 120, 0));
  put_u64(b + len - 16, hebb_ckpt_hash(b, len - 16, 0));
}

static uint64_t get_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* After an edit of the table or trailer: the table's checksum, then the file's. */
static void reseal_table(unsigned char *b, size_t len) {
  unsigned char *t = b + len - HEBB_CKPT_TRAILER_SIZE;
  uint64_t table = get_u64(t), count = get_u64(t + 8);
  ck_assert_uint_le(table + 32 * count, len); /* the test edits keep the table in the file */
  put_u64(t + 16, hebb_ckpt_hash(b + table, (size_t)(32 * count), 0));
  reseal(b, len);
}

static const uint32_t known_all[] = {1, 2, 3, 4, 5};

/* A small checkpoint (about 2 KiB) with odd lengths (padding), an empty section and an
 * unknown ancillary one. */
static const sec_spec small_spec[] = {
    {1, HEBB_CKPT_CRITICAL, 700, 11, 37},
    {2, 0, 0, 12, 0},
    {3, HEBB_CKPT_CRITICAL, 1003, 13, 100},
    {0x77, 0, 101, 14, 0},
};
#define SMALL_N (sizeof small_spec / sizeof small_spec[0])

/* ---- tests ------------------------------------------------------------------------------ */

START_TEST(test_round_trip) {
  char path[256], tmp[300];
  in_tmp(path, sizeof path, "ckpt.bin");
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  hebb_ckpt_header h = header_for(123456789012ull);
  h.time_ms = 1234.5;
  const sec_spec spec[] = {
      {1, HEBB_CKPT_CRITICAL, 1000, 1, 37},
      {2, 0, 0, 2, 0},                                      /* empty */
      {3, HEBB_CKPT_CRITICAL, 5 * MIB + 3, 3, 5 * MIB / 2}, /* pieces up to 2.5 MiB */
      {4, 0, 13, 4, 0},
      {2, 0, 8, 5, 3},                  /* a repeated type */
      {5, HEBB_CKPT_CRITICAL, 0, 6, 0}, /* empty, last */
      {4, 0xf0000000u, 3 * MIB, 7, 4096},
  };
  size_t n = sizeof spec / sizeof spec[0];
  char err[512] = "";
  ck_assert_msg(write_ckpt(path, &h, spec, n, err, sizeof err) == 0, "%s", err);
  ck_assert(!exists(tmp));

  hebb_ckpt_reader *r = NULL;
  int rc = hebb_ckpt_open(&r, path, known_all, 5, err, sizeof err);
  ck_assert_msg(rc == 0, "%s", err);
  check_contents(r, &h, spec, n);
  struct stat st;
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_uint_eq(hebb_ckpt_file_size(r), (uint64_t)st.st_size);
  /* by type: the first of a type; an empty section is there but has no bytes */
  uint64_t len = 99;
  const void *d = hebb_ckpt_data(r, 2, &len);
  ck_assert_ptr_nonnull(d);
  ck_assert_uint_eq(len, 0);
  d = hebb_ckpt_data(r, 4, &len);
  ck_assert_uint_eq(len, 13);
  ck_assert(matches(d, 13, 4));
  len = 99;
  ck_assert_ptr_null(hebb_ckpt_data(r, 0x1234, &len));
  ck_assert_uint_eq(len, 0);
  ck_assert_ptr_null(hebb_ckpt_data_at(r, n, &len));
  hebb_ckpt_close(r);

  /* the bytes in memory read the same; the magics are where the format says */
  size_t flen;
  unsigned char *b = slurp(path, &flen);
  ck_assert_int_eq(memcmp(b, "\211HCK\r\n\032\n", 8), 0);
  ck_assert_int_eq(memcmp(b + flen - 8, "\211END\r\n\032\n", 8), 0);
  ck_assert_uint_eq(b[8] | b[9] << 8, HEBB_CKPT_MAJOR);
  rc = hebb_ckpt_open_mem(&r, b, flen, "mem", known_all, 5, err, sizeof err);
  ck_assert_msg(rc == 0, "%s", err);
  check_contents(r, &h, spec, n);
  hebb_ckpt_close(r);

  /* writing the same again gives the same bytes: the format is deterministic */
  ck_assert_msg(write_ckpt(path, &h, spec, n, err, sizeof err) == 0, "%s", err);
  size_t flen2;
  unsigned char *b2 = slurp(path, &flen2);
  ck_assert_uint_eq(flen2, flen);
  ck_assert_int_eq(memcmp(b, b2, flen), 0);
  free(b);
  free(b2);

  /* no sections at all: header, empty table, trailer */
  ck_assert_msg(write_ckpt(path, &h, NULL, 0, err, sizeof err) == 0, "%s", err);
  rc = hebb_ckpt_open(&r, path, NULL, 0, err, sizeof err);
  ck_assert_msg(rc == 0, "%s", err);
  check_contents(r, &h, NULL, 0);
  ck_assert_uint_eq(hebb_ckpt_file_size(r), HEBB_CKPT_HEADER_SIZE + HEBB_CKPT_TRAILER_SIZE);
  hebb_ckpt_close(r);
}
END_TEST

/* What the message for damage at byte OFF of the small checkpoint B must name. */
static void expect_for_offset(char *want, size_t n, const hebb_ckpt_reader *good, size_t off,
                              size_t flen) {
  size_t count = hebb_ckpt_section_count(good);
  size_t trailer = flen - HEBB_CKPT_TRAILER_SIZE, table = trailer - 32 * count;
  if (off < 8) {
    snprintf(want, n, "not a Hebb checkpoint (bad magic)");
    return;
  }
  if (off < 10) {
    snprintf(want, n, "format version ");
    return;
  }
  if (off < HEBB_CKPT_HEADER_SIZE) {
    snprintf(want, n, "header checksum mismatch");
    return;
  }
  for (size_t i = 0; i < count; i++) {
    const hebb_ckpt_section *s = hebb_ckpt_section_at(good, i);
    if (off >= s->offset && off < s->offset + s->length) {
      snprintf(want, n,
               "section %zu (type 0x%04" PRIx32 ", offset %" PRIu64 ", %" PRIu64
               " bytes): checksum mismatch",
               i, s->type, s->offset, s->length);
      return;
    }
  }
  if (off < table)
    snprintf(want, n, "file checksum mismatch"); /* padding */
  else if (off < trailer)
    snprintf(want, n, "section table (offset %zu, %zu sections): checksum mismatch", table, count);
  else if (off < trailer + 16)
    snprintf(want, n, "trailer: ");
  else if (off < trailer + 24)
    snprintf(want, n, "section table (offset %zu, %zu sections): checksum mismatch", table, count);
  else if (off < trailer + 32)
    snprintf(want, n, "file checksum mismatch");
  else
    snprintf(want, n, "no end magic");
}

START_TEST(test_flip_every_byte) {
  char path[256], err[512];
  in_tmp(path, sizeof path, "flip.bin");
  hebb_ckpt_header h = header_for(42);
  ck_assert_msg(write_ckpt(path, &h, small_spec, SMALL_N, err, sizeof err) == 0, "%s", err);
  size_t flen;
  unsigned char *b = slurp(path, &flen);
  ck_assert_uint_gt(flen, 1900);
  ck_assert_uint_lt(flen, 2300);
  hebb_ckpt_reader *good = NULL;
  ck_assert_int_eq(hebb_ckpt_open_mem(&good, b, flen, "flip.bin", known_all, 5, err, sizeof err),
                   0);
  const unsigned char masks[] = {0x01, 0x80, 0xff};
  char want[256];
  for (size_t off = 0; off < flen; off++) {
    expect_for_offset(want, sizeof want, good, off, flen);
    for (size_t m = 0; m < sizeof masks; m++) {
      b[off] ^= masks[m];
      hebb_ckpt_reader *r = (hebb_ckpt_reader *)1;
      err[0] = '\0';
      int rc = hebb_ckpt_open_mem(&r, b, flen, "flip.bin", known_all, 5, err, sizeof err);
      b[off] ^= masks[m];
      ck_assert_msg(rc == HEBB_EPARSE, "byte %zu ^ 0x%02x: accepted (rc %d)", off, masks[m], rc);
      ck_assert_ptr_null(r);
      ck_assert_msg(!strncmp(err, "flip.bin: ", 10), "byte %zu: message '%s'", off, err);
      ck_assert_msg(strstr(err, want), "byte %zu ^ 0x%02x: message '%s' does not say '%s'", off,
                    masks[m], err, want);
    }
  }
  hebb_ckpt_close(good);
  /* and the file itself, with one flip in a section, read from disk */
  b[600] ^= 0x10;
  spit(path, b, flen);
  hebb_ckpt_reader *r = NULL;
  ck_assert_int_eq(hebb_ckpt_open(&r, path, known_all, 5, err, sizeof err), HEBB_EPARSE);
  ck_assert_ptr_null(r);
  ck_assert_msg(strstr(err, "flip.bin: section 0 (type 0x0001, offset 128, 700 bytes): checksum "
                            "mismatch (stored 0x"),
                "%s", err);
  free(b);
}
END_TEST

START_TEST(test_truncate_every_length) {
  char path[256], err[512], want[128];
  in_tmp(path, sizeof path, "cut.bin");
  hebb_ckpt_header h = header_for(43);
  ck_assert_msg(write_ckpt(path, &h, small_spec, SMALL_N, err, sizeof err) == 0, "%s", err);
  size_t flen;
  unsigned char *b = slurp(path, &flen);
  unsigned char *longer = calloc(flen + 100, 1);
  ck_assert_ptr_nonnull(longer);
  memcpy(longer, b, flen);
  for (size_t len = 0; len < flen + 100; len++) {
    if (len == flen)
      continue;
    hebb_ckpt_reader *r = NULL;
    err[0] = '\0';
    int rc = hebb_ckpt_open_mem(&r, longer, len, "cut.bin", known_all, 5, err, sizeof err);
    ck_assert_msg(rc == HEBB_EPARSE, "%zu of %zu bytes: accepted (rc %d)", len, flen, rc);
    ck_assert_ptr_null(r);
    if (len < 168) {
      snprintf(want, sizeof want, "cut.bin: truncated: %zu bytes, expected at least 168", len);
      ck_assert_str_eq(err, want);
    } else {
      ck_assert_msg(!strncmp(err, "cut.bin: ", 9), "%zu bytes: message '%s'", len, err);
    }
  }
  /* from disk too, at a few lengths */
  for (size_t len = 0; len < flen; len += 97) {
    spit(path, b, len);
    hebb_ckpt_reader *r = NULL;
    ck_assert_int_eq(hebb_ckpt_open(&r, path, known_all, 5, err, sizeof err), HEBB_EPARSE);
    ck_assert_ptr_null(r);
  }
  free(longer);
  free(b);
}
END_TEST

/* Geometry errors behind correct checksums: only the bounds checks stand in the way. */
START_TEST(test_geometry) {
  char path[256], err[512], want[400];
  in_tmp(path, sizeof path, "geo.bin");
  hebb_ckpt_header h = header_for(48);
  ck_assert_msg(write_ckpt(path, &h, small_spec, SMALL_N, err, sizeof err) == 0, "%s", err);
  size_t flen;
  unsigned char *good = slurp(path, &flen);
  unsigned char *b = malloc(flen);
  ck_assert_ptr_nonnull(b);
  const size_t trailer = flen - HEBB_CKPT_TRAILER_SIZE, table = trailer - 32 * SMALL_N;
  /* section 0 is at 128 (700 bytes), 1 (empty) at 832, 2 at 832 (1003 bytes), 3 at 1840 */
  ck_assert_uint_eq(get_u64(good + table + 8), 128);
  ck_assert_uint_eq(get_u64(good + table + 32 + 8), 832);
  ck_assert_uint_eq(get_u64(good + table + 64 + 8), 832);
  ck_assert_uint_eq(get_u64(good + table + 96 + 8), 1840);
  ck_assert_uint_eq(table, 1944);
  const struct {
    size_t at;      /* the u64 field changed */
    uint64_t value; /* its new value */
    const char *msg;
  } cases[] = {
      {table + 8, 64,
       "section 0 (type 0x0001, offset 64, 700 bytes): overlaps the header or the previous "
       "section (which ends at 128)"},
      {table + 64 + 8, 824,
       "section 2 (type 0x0003, offset 824, 1003 bytes): overlaps the header or the previous "
       "section (which ends at 832)"},
      {table + 32 + 8, 836, "section 1 (type 0x0002, offset 836, 0 bytes): offset not 8-aligned"},
      {table + 96 + 16, 105,
       "section 3 (type 0x0077, offset 1840, 105 bytes): extends past the start of the table "
       "(offset 1944)"},
      {table + 96 + 16, ~(uint64_t)0 - 1000,
       "section 3 (type 0x0077, offset 1840, 18446744073709550615 bytes): extends past the "
       "start of the table (offset 1944)"},
      {table + 96 + 8, ~(uint64_t)0 - 7,
       "section 3 (type 0x0077, offset 18446744073709551608, 101 bytes): extends past the "
       "start of the table (offset 1944)"},
      {trailer, table + 32,
       "trailer: a table of 4 sections at offset 1976 does not end where the trailer begins "
       "(offset 2072)"},
      {trailer, (uint64_t)1 << 62,
       "trailer: table offset 4611686018427387904 is not an 8-aligned offset in [128, 2072]"},
      {trailer, 100, "trailer: table offset 100 is not an 8-aligned offset in [128, 2072]"},
      {trailer + 8, (uint64_t)1 << 59,
       "trailer: a table of 576460752303423488 sections at offset 1944 does not end where the "
       "trailer begins (offset 2072)"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    memcpy(b, good, flen);
    put_u64(b + cases[c].at, cases[c].value);
    if (cases[c].at < trailer)
      reseal_table(b, flen);
    else
      reseal(b, flen);
    hebb_ckpt_reader *r = (hebb_ckpt_reader *)1;
    ck_assert_int_eq(hebb_ckpt_open_mem(&r, b, flen, "geo.bin", known_all, 5, err, sizeof err),
                     HEBB_EPARSE);
    ck_assert_ptr_null(r);
    snprintf(want, sizeof want, "geo.bin: %s", cases[c].msg);
    ck_assert_str_eq(err, want);
  }
  /* an empty section at the very end of the sections' area (where the table starts) is
   * allowed; the gap it leaves is checked by the file checksum only */
  memcpy(b, good, flen);
  put_u64(b + table + 96 + 8, 1944);
  put_u64(b + table + 96 + 16, 0);
  put_u64(b + table + 96 + 24, hebb_ckpt_hash("", 0, 0));
  reseal_table(b, flen);
  hebb_ckpt_reader *r = NULL;
  int rc = hebb_ckpt_open_mem(&r, b, flen, "geo.bin", known_all, 5, err, sizeof err);
  ck_assert_msg(rc == 0, "%s", err);
  uint64_t len = 1;
  ck_assert_ptr_nonnull(hebb_ckpt_data_at(r, 3, &len));
  ck_assert_uint_eq(len, 0);
  ck_assert_uint_eq(hebb_ckpt_section_at(r, 3)->offset, 1944);
  hebb_ckpt_close(r);
  free(b);
  free(good);
}
END_TEST

START_TEST(test_unknown_sections) {
  char path[256], err[512];
  in_tmp(path, sizeof path, "types.bin");
  hebb_ckpt_header h = header_for(44);
  const sec_spec anc[] = {{1, HEBB_CKPT_CRITICAL, 64, 1, 0}, {0x99, 0, 40, 2, 0}};
  const uint32_t known1[] = {1};
  ck_assert_msg(write_ckpt(path, &h, anc, 2, err, sizeof err) == 0, "%s", err);
  hebb_ckpt_reader *r = NULL;
  int rc = hebb_ckpt_open(&r, path, known1, 1, err, sizeof err);
  ck_assert_msg(rc == 0, "unknown ancillary refused: %s", err);
  check_contents(r, &h, anc, 2); /* skipped by a restorer, still listed */
  hebb_ckpt_close(r);

  const sec_spec crit[] = {{1, HEBB_CKPT_CRITICAL, 64, 1, 0},
                           {0x99, 0, 40, 2, 0},
                           {0x42, HEBB_CKPT_CRITICAL | 0x100, 24, 3, 0}};
  ck_assert_msg(write_ckpt(path, &h, crit, 3, err, sizeof err) == 0, "%s", err);
  char want[400];
  snprintf(want, sizeof want, "%s: unknown critical section type 0x0042 (section 2, offset", path);
  r = (hebb_ckpt_reader *)1;
  ck_assert_int_eq(hebb_ckpt_open(&r, path, known1, 1, err, sizeof err), HEBB_EPARSE);
  ck_assert_ptr_null(r);
  ck_assert_msg(!strncmp(err, want, strlen(want)), "message '%s'", err);
  /* one who knows it reads it */
  const uint32_t known2[] = {1, 0x42};
  rc = hebb_ckpt_open(&r, path, known2, 2, err, sizeof err);
  ck_assert_msg(rc == 0, "%s", err);
  check_contents(r, &h, crit, 3);
  hebb_ckpt_close(r);
}
END_TEST

START_TEST(test_versions) {
  char path[256], err[512];
  in_tmp(path, sizeof path, "v.bin");
  hebb_ckpt_header h = header_for(45);
  ck_assert_msg(write_ckpt(path, &h, small_spec, 2, err, sizeof err) == 0, "%s", err);
  size_t flen;
  unsigned char *b = slurp(path, &flen);
  hebb_ckpt_reader *r = NULL;

  /* a newer minor of the same major: read, and its minor reported */
  put_u16(b + 10, HEBB_CKPT_MINOR + 7);
  reseal(b, flen);
  int rc = hebb_ckpt_open_mem(&r, b, flen, "v.bin", known_all, 5, err, sizeof err);
  ck_assert_msg(rc == 0, "newer minor refused: %s", err);
  ck_assert_uint_eq(hebb_ckpt_header_of(r)->major, HEBB_CKPT_MAJOR);
  ck_assert_uint_eq(hebb_ckpt_header_of(r)->minor, HEBB_CKPT_MINOR + 7);
  hebb_ckpt_close(r);

  /* a newer major: refused naming both versions, checksums or not */
  put_u16(b + 8, HEBB_CKPT_MAJOR + 1);
  put_u16(b + 10, 0);
  reseal(b, flen);
  ck_assert_int_eq(hebb_ckpt_open_mem(&r, b, flen, "v.bin", known_all, 5, err, sizeof err),
                   HEBB_EPARSE);
  ck_assert_str_eq(err, "v.bin: format version 2.0 is newer than this Hebb reads (1.x)");
  put_u16(b + 10, 3);
  b[200] ^= 1;
  ck_assert_int_eq(hebb_ckpt_open_mem(&r, b, flen, "v.bin", known_all, 5, err, sizeof err),
                   HEBB_EPARSE);
  ck_assert_str_eq(err, "v.bin: format version 2.3 is newer than this Hebb reads (1.x)");
  b[200] ^= 1;
  /* major 0 was never written */
  put_u16(b + 8, 0);
  put_u16(b + 10, 9);
  reseal(b, flen);
  ck_assert_int_eq(hebb_ckpt_open_mem(&r, b, flen, "v.bin", known_all, 5, err, sizeof err),
                   HEBB_EPARSE);
  ck_assert_str_eq(err, "v.bin: format version 0.9 is older than this Hebb reads (1.x)");

  /* foreign files */
  const char *png = "\x89PNG\r\n\x1a\n and the rest of an image, long enough to be checked";
  ck_assert_int_eq(hebb_ckpt_open_mem(&r, png, strlen(png), "x.png", NULL, 0, err, sizeof err),
                   HEBB_EPARSE);
  ck_assert_str_eq(err, "x.png: not a Hebb checkpoint (bad magic)");
  ck_assert_int_eq(hebb_ckpt_open_mem(&r, "\x89HCX", 4, "short", NULL, 0, err, sizeof err),
                   HEBB_EPARSE);
  ck_assert_str_eq(err, "short: not a Hebb checkpoint (bad magic)");
  ck_assert_int_eq(hebb_ckpt_open_mem(&r, NULL, 0, "empty", NULL, 0, err, sizeof err), HEBB_EPARSE);
  ck_assert_str_eq(err, "empty: truncated: 0 bytes, expected at least 168");

  /* a version string without its NUL, correctly checksummed, is refused */
  free(b);
  b = slurp(path, &flen);
  memset(b + 32, 'x', 24);
  reseal(b, flen);
  ck_assert_int_eq(hebb_ckpt_open_mem(&r, b, flen, "v.bin", known_all, 5, err, sizeof err),
                   HEBB_EPARSE);
  ck_assert_str_eq(err, "v.bin: header: the Hebb version string is not NUL-terminated");
  free(b);
}
END_TEST

START_TEST(test_misuse_and_errors) {
  char path[256], tmp[300], err[512];
  in_tmp(path, sizeof path, "m.bin");
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  hebb_ckpt_header h = header_for(46);
  hebb_ckpt_writer *w = NULL;

  /* a write outside a section: every later call does nothing, commit reports the first */
  ck_assert_int_eq(hebb_ckpt_writer_open(&w, path, &h, err, sizeof err), 0);
  ck_assert(exists(tmp));
  ck_assert_int_eq(hebb_ckpt_write(w, "abc", 3), HEBB_ESTATE);
  ck_assert_int_eq(hebb_ckpt_begin(w, 1, 0), HEBB_ESTATE);
  ck_assert_int_eq(hebb_ckpt_commit(w, err, sizeof err), HEBB_ESTATE);
  char want[400];
  snprintf(want, sizeof want, "%s: 3 bytes written outside a section", tmp);
  ck_assert_str_eq(err, want);
  ck_assert(!exists(tmp));
  ck_assert(!exists(path));

  /* a section begun inside another */
  ck_assert_int_eq(hebb_ckpt_writer_open(&w, path, &h, err, sizeof err), 0);
  ck_assert_int_eq(hebb_ckpt_begin(w, 1, 0), 0);
  ck_assert_int_eq(hebb_ckpt_begin(w, 2, 0), HEBB_ESTATE);
  ck_assert_int_eq(hebb_ckpt_commit(w, err, sizeof err), HEBB_ESTATE);
  ck_assert_msg(strstr(err, "section type 0x0002 begun while section type 0x0001 is still open"),
                "%s", err);

  /* commit with a section open; end without begin */
  ck_assert_int_eq(hebb_ckpt_writer_open(&w, path, &h, err, sizeof err), 0);
  ck_assert_int_eq(hebb_ckpt_begin(w, 9, 0), 0);
  ck_assert_int_eq(hebb_ckpt_commit(w, err, sizeof err), HEBB_ESTATE);
  ck_assert_msg(strstr(err, "section type 0x0009 was begun but not ended"), "%s", err);
  ck_assert_int_eq(hebb_ckpt_writer_open(&w, path, &h, err, sizeof err), 0);
  ck_assert_int_eq(hebb_ckpt_end(w), HEBB_ESTATE);
  ck_assert_int_eq(hebb_ckpt_commit(w, err, sizeof err), HEBB_ESTATE);
  ck_assert(!exists(path));
  ck_assert(!exists(tmp));

  /* abort leaves an existing checkpoint as it was */
  ck_assert_msg(write_ckpt(path, &h, small_spec, SMALL_N, err, sizeof err) == 0, "%s", err);
  size_t len0;
  unsigned char *before = slurp(path, &len0);
  ck_assert_int_eq(hebb_ckpt_writer_open(&w, path, &h, err, sizeof err), 0);
  ck_assert_int_eq(hebb_ckpt_begin(w, 1, 0), 0);
  ck_assert_int_eq(hebb_ckpt_write(w, "xyz", 3), 0);
  hebb_ckpt_abort(w);
  ck_assert(!exists(tmp));
  size_t len1;
  unsigned char *after = slurp(path, &len1);
  ck_assert_uint_eq(len1, len0);
  ck_assert_int_eq(memcmp(before, after, len0), 0);
  free(before);
  free(after);

  /* cannot create; bad header; cannot open; not a file */
  char nodir[300];
  snprintf(nodir, sizeof nodir, "%s/no/such/dir/c.bin", tmpdir);
  ck_assert_int_eq(hebb_ckpt_writer_open(&w, nodir, &h, err, sizeof err), HEBB_EIO);
  ck_assert_ptr_null(w);
  snprintf(want, sizeof want, "%s.tmp: cannot create: %s", nodir, strerror(ENOENT));
  ck_assert_str_eq(err, want);
  hebb_ckpt_header bad = h;
  memset(bad.version, 'v', sizeof bad.version);
  ck_assert_int_eq(hebb_ckpt_writer_open(&w, path, &bad, err, sizeof err), HEBB_EINVAL);
  ck_assert_ptr_null(w);
  hebb_ckpt_reader *r = (hebb_ckpt_reader *)1;
  ck_assert_int_eq(hebb_ckpt_open(&r, nodir, NULL, 0, err, sizeof err), HEBB_EIO);
  ck_assert_ptr_null(r);
  snprintf(want, sizeof want, "%s: cannot open: %s", nodir, strerror(ENOENT));
  ck_assert_str_eq(err, want);
  ck_assert_int_eq(hebb_ckpt_open(&r, tmpdir, NULL, 0, err, sizeof err), HEBB_EIO);
  snprintf(want, sizeof want, "%s: not a regular file", tmpdir);
  ck_assert_str_eq(err, want);

  /* a relative path (directory ".") works */
  char cwd[512];
  ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
  ck_assert_int_eq(chdir(tmpdir), 0);
  ck_assert_msg(write_ckpt("rel.bin", &h, small_spec, 1, err, sizeof err) == 0, "%s", err);
  ck_assert_int_eq(hebb_ckpt_open(&r, "rel.bin", known_all, 5, err, sizeof err), 0);
  hebb_ckpt_close(r);
  ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

/* The old checkpoint A and the new B of the fault tests: several MiB, so that a commit makes
 * several write calls, some of them direct (pieces over the 1 MiB buffer). */
static const sec_spec spec_a[] = {
    {1, HEBB_CKPT_CRITICAL, 2 * MIB + 5, 21, 300000},
    {2, 0, 10, 22, 0},
    {3, HEBB_CKPT_CRITICAL, 1536 * 1024, 23, 0},
};
static const sec_spec spec_b[] = {
    {1, HEBB_CKPT_CRITICAL, 3 * MIB + 1, 31, 3 * MIB / 2},
    {3, HEBB_CKPT_CRITICAL, 700 * 1024, 33, 1000},
    {2, 0, 0, 32, 0},
};

START_TEST(test_fault_injection) {
  char path[256], tmp[300], scratch[256], err[1024];
  in_tmp(path, sizeof path, "f.bin");
  in_tmp(scratch, sizeof scratch, "b.bin");
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  hebb_ckpt_header ha = header_for(100), hb = header_for(200);

  /* how many calls of each kind a commit of B makes */
  hebb_ckpt_fault("write", 0);
  ck_assert_msg(write_ckpt(scratch, &hb, spec_b, 3, err, sizeof err) == 0, "%s", err);
  const char *kinds[] = {"write", "fsync", "rename"};
  uint64_t calls[3];
  for (int k = 0; k < 3; k++)
    calls[k] = hebb_ckpt_fault_count(kinds[k]);
  ck_assert_uint_ge(calls[0], 4);
  ck_assert_uint_le(calls[0], 6);
  ck_assert_uint_eq(calls[1], 2);
  ck_assert_uint_eq(calls[2], 1);
  ck_assert_uint_eq(hebb_ckpt_fault_count("bogus"), 0);
  size_t blen;
  unsigned char *bbytes = slurp(scratch, &blen);

  ck_assert_msg(write_ckpt(path, &ha, spec_a, 3, err, sizeof err) == 0, "%s", err);
  size_t alen;
  unsigned char *abytes = slurp(path, &alen);

  for (int k = 0; k < 3; k++) {
    for (uint64_t n = 1; n <= calls[k]; n++) {
      hebb_ckpt_fault(kinds[k], n);
      int rc = write_ckpt(path, &hb, spec_b, 3, err, sizeof err);
      ck_assert_msg(rc == HEBB_EIO, "%s %" PRIu64 ": commit returned %d", kinds[k], n, rc);
      ck_assert_uint_eq(hebb_ckpt_fault_count(kinds[k]), n); /* nothing after the failure */
      ck_assert_msg(strstr(err, strerror(EIO)), "%s %" PRIu64 ": '%s'", kinds[k], n, err);
      ck_assert_msg(!exists(tmp), "%s %" PRIu64 ": %s left behind", kinds[k], n, tmp);
      bool dir_fsync = k == 1 && n == 2; /* after the rename: B is in place */
      const unsigned char *want = dir_fsync ? bbytes : abytes;
      size_t want_len = dir_fsync ? blen : alen;
      char want_msg[700];
      if (dir_fsync)
        snprintf(want_msg, sizeof want_msg, "%s: fsync of the directory failed after the rename",
                 tmpdir);
      else if (k == 2)
        snprintf(want_msg, sizeof want_msg, "%s: cannot rename to %s: ", tmp, path);
      else
        snprintf(want_msg, sizeof want_msg, "%s: %s failed: ", tmp, kinds[k]);
      ck_assert_msg(!strncmp(err, want_msg, strlen(want_msg)), "%s %" PRIu64 ": '%s'", kinds[k], n,
                    err);
      size_t len;
      unsigned char *now = slurp(path, &len);
      ck_assert_msg(len == want_len && !memcmp(now, want, len),
                    "%s %" PRIu64 ": %s is not the %s checkpoint", kinds[k], n, path,
                    dir_fsync ? "new" : "old");
      free(now);
      hebb_ckpt_reader *r = NULL;
      ck_assert_msg(hebb_ckpt_open(&r, path, known_all, 5, err, sizeof err) == 0, "%s", err);
      ck_assert_uint_eq(hebb_ckpt_header_of(r)->step, dir_fsync ? 200 : 100);
      hebb_ckpt_close(r);
      if (dir_fsync) {
        hebb_ckpt_fault("write", 0);
        ck_assert_msg(write_ckpt(path, &ha, spec_a, 3, err, sizeof err) == 0, "%s", err);
      }
    }
  }
  /* a fault armed past the last call does not happen */
  hebb_ckpt_fault("write", calls[0] + 1);
  ck_assert_msg(write_ckpt(path, &hb, spec_b, 3, err, sizeof err) == 0, "%s", err);
  hebb_ckpt_fault("write", 0);
  ck_assert_msg(write_ckpt(path, &ha, spec_a, 3, err, sizeof err) == 0, "%s", err);
  /* no fault: B replaces A */
  hebb_ckpt_fault("write", 0);
  ck_assert_msg(write_ckpt(path, &hb, spec_b, 3, err, sizeof err) == 0, "%s", err);
  size_t len;
  unsigned char *now = slurp(path, &len);
  ck_assert_uint_eq(len, blen);
  ck_assert_int_eq(memcmp(now, bbytes, blen), 0);
  ck_assert(!exists(tmp));
  free(now);
  free(abytes);
  free(bbytes);
}
END_TEST

/* HEBB_CKPT_FAULT arms a fault at the first writer_open of the process; needs Check's fork
 * per test (a fresh process). */
START_TEST(test_fault_env) {
  const char *fork_mode = getenv("CK_FORK");
  if (fork_mode && !strcmp(fork_mode, "no"))
    return;
  char path[256], err[512];
  in_tmp(path, sizeof path, "e.bin");
  hebb_ckpt_header h = header_for(47);
  setenv("HEBB_CKPT_FAULT", "fsync=1", 1);
  hebb_ckpt_writer *w = NULL;
  ck_assert_int_eq(hebb_ckpt_writer_open(&w, path, &h, err, sizeof err), HEBB_EINVAL);
  ck_assert_str_eq(err, "HEBB_CKPT_FAULT: expected KIND:N with KIND write, fsync or rename, "
                        "got 'fsync=1'");
  setenv("HEBB_CKPT_FAULT", "fsync:1x", 1);
  ck_assert_int_eq(hebb_ckpt_writer_open(&w, path, &h, err, sizeof err), HEBB_EINVAL);
  setenv("HEBB_CKPT_FAULT", "fsync:1", 1);
  ck_assert_int_eq(write_ckpt(path, &h, small_spec, SMALL_N, err, sizeof err), HEBB_EIO);
  ck_assert_msg(strstr(err, ".tmp: fsync failed: "), "%s", err);
  ck_assert(!exists(path));
  /* once: the next commit is not affected */
  ck_assert_msg(write_ckpt(path, &h, small_spec, SMALL_N, err, sizeof err) == 0, "%s", err);
  ck_assert_uint_eq(hebb_ckpt_fault_count("fsync"), 3); /* counted since the arming */
  ck_assert_uint_eq(hebb_ckpt_fault_count("write"), 2); /* a small file: one write each */
  unsetenv("HEBB_CKPT_FAULT");
}
END_TEST

/* ---- crash safety: SIGKILL at random moments of a rewrite loop -------------------------- */

#define KILL_SECTIONS 4
#define KILL_SECTION_BYTES (16 * MIB) /* 64 MiB in all */

static void kill_spec(sec_spec *s, uint64_t content) {
  for (int i = 0; i < KILL_SECTIONS; i++)
    s[i] = (sec_spec){(uint32_t)(i + 1), HEBB_CKPT_CRITICAL, KILL_SECTION_BYTES + (size_t)i * 8,
                      content * 10 + (uint64_t)i, 3 * MIB / 2};
}

/* The child: rewrites PATH with content FIRST, then the other, alternating (content 1 or 2),
 * and reports each commit on FD, until killed (or orphaned by a failed test, or after 200
 * commits). */
static void rewrite_forever(const char *path, int fd, pid_t parent, uint64_t first) {
  sec_spec s[KILL_SECTIONS];
  char err[512];
  for (uint64_t i = 0; i < 200 && getppid() == parent; i++) {
    uint64_t content = i % 2 ? 3 - first : first;
    hebb_ckpt_header h = header_for(content);
    kill_spec(s, content);
    if (write_ckpt(path, &h, s, KILL_SECTIONS, err, sizeof err)) {
      fprintf(stderr, "child: %s\n", err);
      _exit(2);
    }
    if (write(fd, "c", 1) != 1)
      _exit(3);
  }
  _exit(0);
}

START_TEST(test_sigkill) {
  char path[256], tmp[300], err[512];
  in_tmp(path, sizeof path, "k.bin");
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  sec_spec s[KILL_SECTIONS];
  kill_spec(s, 1);
  hebb_ckpt_header h1 = header_for(1);
  ck_assert_msg(write_ckpt(path, &h1, s, KILL_SECTIONS, err, sizeof err) == 0, "%s", err);

  uint64_t rng = 0x5eed, content = 1;
  int interrupted = 0, commits = 0;
  const int rounds = 8;
  for (int round = 0; round < rounds; round++) {
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    pid_t parent = getpid(), pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
      close(pfd[0]);
      rewrite_forever(path, pfd[1], parent, 3 - content); /* first a change */
    }
    close(pfd[1]);
    char c;
    if (round % 2 == 1) { /* half the rounds: kill only after a first complete commit */
      ck_assert_int_eq(read(pfd[0], &c, 1), 1);
      commits++;
    }
    rng = splitmix(rng);
    long delay_ms = 5 + (long)(rng % 600);
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "round %d: the writer ended by itself (status 0x%x)", round, status);
    fcntl(pfd[0], F_SETFL, O_NONBLOCK);
    while (read(pfd[0], &c, 1) == 1)
      commits++;
    close(pfd[0]);
    interrupted += exists(tmp);

    hebb_ckpt_reader *r = NULL;
    int rc = hebb_ckpt_open(&r, path, known_all, 5, err, sizeof err);
    ck_assert_msg(rc == 0, "round %d (killed after %ld ms): %s", round, delay_ms, err);
    content = hebb_ckpt_header_of(r)->step;
    ck_assert_msg(content == 1 || content == 2, "round %d: step %" PRIu64, round, content);
    hebb_ckpt_header hc = header_for(content);
    kill_spec(s, content);
    check_contents(r, &hc, s, KILL_SECTIONS);
    hebb_ckpt_close(r);
  }
  /* the kills did land inside writes (a PATH.tmp was being written) */
  ck_assert_int_ge(interrupted, 1);
  ck_assert_int_ge(commits, rounds / 2); /* and the writer did replace PATH meanwhile */
}
END_TEST

static Suite *ckpt_suite(void) {
  Suite *s = suite_create("ckpt");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_unchecked_fixture(tc, make_tmpdir, rm_tmpdir);
  tcase_add_test(tc, test_round_trip);
  tcase_add_test(tc, test_flip_every_byte);
  tcase_add_test(tc, test_truncate_every_length);
  tcase_add_test(tc, test_geometry);
  tcase_add_test(tc, test_unknown_sections);
  tcase_add_test(tc, test_versions);
  tcase_add_test(tc, test_misuse_and_errors);
  tcase_add_test(tc, test_fault_injection);
  tcase_add_test(tc, test_fault_env);
  suite_add_tcase(s, tc);
  TCase *crash = tcase_create("crash");
  tcase_set_timeout(crash, 240);
  tcase_add_unchecked_fixture(crash, make_tmpdir, rm_tmpdir);
  tcase_add_test(crash, test_sigkill);
  suite_add_tcase(s, crash);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(ckpt_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

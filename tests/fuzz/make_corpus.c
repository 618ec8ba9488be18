/* make_corpus.c - writes the seed corpus of the checkpoint fuzz target into a directory:
 * valid checkpoints made by the real writer (no sections, small ones, repeated and unknown
 * types, a newer minor) and damaged ones (flipped, cut, foreign, newer major, and geometry
 * errors with correct checksums, which only the reader's bounds checks catch).
 *
 *   ninja -C build tests/fuzz/make_corpus && build/tests/fuzz/make_corpus tests/fuzz/corpus
 */
#define _POSIX_C_SOURCE 200809L
#include "ckpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_ckpt_reseal(uint8_t *b, size_t len);

typedef struct {
  uint32_t type, flags, len;
} sec;

static const char *dir;

static void die(const char *what) {
  fprintf(stderr, "make_corpus: %s\n", what);
  exit(1);
}

/* Writes DIR/NAME with the sections S and returns its bytes (*len of them). */
static uint8_t *make(const char *name, const sec *s, size_t n, size_t *len) {
  char path[4096], err[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  hebb_ckpt_header h = {.step = 1000, .time_ms = 100.0, .model_hash = 0x1234, .threads = 2};
  strcpy(h.version, "0.1.0");
  hebb_ckpt_writer *w;
  if (hebb_ckpt_writer_open(&w, path, &h, err, sizeof err))
    die(err);
  for (size_t i = 0; i < n; i++) {
    hebb_ckpt_begin(w, s[i].type, s[i].flags);
    for (uint32_t k = 0; k < s[i].len; k++) {
      uint8_t c = (uint8_t)(k * 7 + i);
      hebb_ckpt_write(w, &c, 1);
    }
    hebb_ckpt_end(w);
  }
  if (hebb_ckpt_commit(w, err, sizeof err))
    die(err);
  FILE *f = fopen(path, "rb");
  if (!f)
    die(path);
  static uint8_t buf[1 << 16];
  *len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  uint8_t *b = malloc(*len);
  if (!b)
    die("out of memory");
  memcpy(b, buf, *len);
  return b;
}

static void save(const char *name, const uint8_t *b, size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(b, 1, len, f) != len || fclose(f))
    die(path);
}

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* A copy of B with EDIT applied at OFF (8 bytes, little-endian), resealed. */
static void variant(const char *name, const uint8_t *b, size_t len, size_t off, uint64_t v) {
  uint8_t *c = malloc(len);
  if (!c)
    die("out of memory");
  memcpy(c, b, len);
  put_u64(c + off, v);
  fuzz_ckpt_reseal(c, len);
  save(name, c, len);
  free(c);
}

int main(int argc, char **argv) {
  if (argc != 2)
    die("usage: make_corpus DIR");
  dir = argv[1];
  size_t len, other;
  free(make("valid_empty", NULL, 0, &other));
  const sec small[] = {
      {1, HEBB_CKPT_CRITICAL, 40}, {2, 0, 0}, {3, HEBB_CKPT_CRITICAL, 13}, {0x77, 0, 20}};
  uint8_t *b = make("valid_small", small, 4, &len);
  const sec dup[] = {{1, HEBB_CKPT_CRITICAL, 8}, {1, HEBB_CKPT_CRITICAL, 9}, {4, 0, 300}};
  free(make("valid_repeated", dup, 3, &other));
  const sec crit[] = {{1, HEBB_CKPT_CRITICAL, 16}, {0x42, HEBB_CKPT_CRITICAL, 5}};
  free(make("unknown_critical", crit, 2, &other));

  /* damage to the small one: B's table is at the end, 4 entries of 32 bytes */
  size_t trailer = len - HEBB_CKPT_TRAILER_SIZE, table = trailer - 4 * 32;
  uint8_t *c = malloc(len);
  if (!c)
    die("out of memory");
  memcpy(c, b, len);
  c[140] ^= 0x20;
  save("flip_section", c, len);
  save("cut", b, len - 50);
  memcpy(c, b, len);
  c[1] = 'X';
  save("bad_magic", c, len);
  memcpy(c, b, len);
  c[10] = 3; /* minor 3: read */
  fuzz_ckpt_reseal(c, len);
  save("valid_newer_minor", c, len);
  c[8] = 2; /* major 2: refused */
  fuzz_ckpt_reseal(c, len);
  save("newer_major", c, len);
  free(c);
  variant("table_offset_far", b, len, trailer, 1ull << 40);
  variant("table_offset_unaligned", b, len, trailer, table + 4);
  variant("count_huge", b, len, trailer + 8, ~0ull);
  variant("section_overlap", b, len, table + 32 + 8, 136);          /* 2nd starts in the 1st */
  variant("section_in_header", b, len, table + 8, 64);              /* 1st starts in header */
  variant("section_past_table", b, len, table + 2 * 32 + 16, 5000); /* 3rd too long */
  variant("section_length_wraps", b, len, table + 2 * 32 + 16, ~0ull - 100);
  variant("section_unaligned", b, len, table + 3 * 32 + 8, table - 20 - 3);
  c = malloc(len);
  if (!c)
    die("out of memory");
  memcpy(c, b, len);
  memset(c + 32, 'A', 24); /* the version string loses its NUL */
  fuzz_ckpt_reseal(c, len);
  save("version_unterminated", c, len);
  free(c);
  free(b);
  return 0;
}

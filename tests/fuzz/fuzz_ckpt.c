/* fuzz_ckpt.c - libFuzzer target of the checkpoint reader (io/ckpt.c).
 *
 * Every input is read twice: as it is, and "resealed" (its checksums recomputed where the
 * input's own table says they are), because random bytes almost never pass a 64-bit
 * checksum and the fuzzer would otherwise explore little beyond the header check. A
 * checkpoint that opens is then held to what the reader promises: sections inside the
 * file, 8-aligned, in order, not overlapping, their checksums right, every byte readable;
 * a broken promise aborts. Built with -Dfuzz=true (clang); tests/fuzz/replay.c runs the
 * same function over the corpus in every build.
 */
#include "ckpt.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void fuzz_ckpt_reseal(uint8_t *b, size_t len);

static const uint32_t known[] = {1, 2, 3, 4};

static uint64_t get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* Recomputes, where they are in range, each section's checksum in the table, the table's,
 * the header's and the whole file's, in the order a writer would. (Also used by
 * make_corpus.c to make damaged seeds whose damage is not a checksum's.) */
void fuzz_ckpt_reseal(uint8_t *b, size_t len) {
  if (len < HEBB_CKPT_HEADER_SIZE + HEBB_CKPT_TRAILER_SIZE)
    return;
  uint8_t *t = b + len - HEBB_CKPT_TRAILER_SIZE;
  uint64_t table = get_u64(t), count = get_u64(t + 8), room = len - HEBB_CKPT_TRAILER_SIZE;
  if (table <= room && count <= (room - table) / 32) {
    for (uint64_t i = 0; i < count; i++) {
      uint8_t *e = b + table + 32 * i;
      uint64_t off = get_u64(e + 8), n = get_u64(e + 16);
      if (off <= len && n <= len - off)
        put_u64(e + 24, hebb_ckpt_hash(b + off, (size_t)n, 0));
    }
    put_u64(t + 16, hebb_ckpt_hash(b + table, (size_t)(32 * count), 0));
  }
  put_u64(b + 120, hebb_ckpt_hash(b, 120, 0));
  put_u64(b + len - 16, hebb_ckpt_hash(b, len - 16, 0));
}

static void check(const uint8_t *data, size_t size) {
  hebb_ckpt_reader *r = NULL;
  char err[256];
  if (hebb_ckpt_open_mem(&r, data, size, "fuzz", known, 4, err, sizeof err)) {
    if (r || !err[0] || strncmp(err, "fuzz: ", 6))
      abort(); /* a refusal hands nothing out and says why */
    return;
  }
  const hebb_ckpt_header *h = hebb_ckpt_header_of(r);
  uint64_t fsize = hebb_ckpt_file_size(r);
  size_t n = hebb_ckpt_section_count(r);
  if (fsize != (uint64_t)size || h->major != HEBB_CKPT_MAJOR ||
      !memchr(h->version, 0, sizeof h->version))
    abort();
  volatile uint64_t sink = h->step ^ h->model_hash ^ h->threads ^ h->minor ^ strlen(h->version);
  uint64_t end = HEBB_CKPT_HEADER_SIZE, table = fsize - HEBB_CKPT_TRAILER_SIZE - 32 * (uint64_t)n;
  for (size_t i = 0; i < n; i++) {
    const hebb_ckpt_section *s = hebb_ckpt_section_at(r, i);
    uint64_t len = 0;
    const uint8_t *d = hebb_ckpt_data_at(r, i, &len);
    if (!s || !d || len != s->length || s->offset % 8 || s->offset < end || s->offset > table ||
        s->length > table - s->offset || hebb_ckpt_hash(d, (size_t)len, 0) != s->checksum ||
        ((s->flags & HEBB_CKPT_CRITICAL) && s->type != 1 && s->type != 2 && s->type != 3 &&
         s->type != 4))
      abort();
    end = s->offset + s->length;
    for (uint64_t k = 0; k < len; k++) /* every byte, for ASan */
      sink += d[k];
    uint64_t tlen = 0;
    if (!hebb_ckpt_data(r, s->type, &tlen))
      abort();
  }
  if (hebb_ckpt_section_at(r, n) || hebb_ckpt_data_at(r, n, NULL))
    abort();
  (void)sink;
  hebb_ckpt_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check(data, size);
  uint8_t *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  memcpy(copy, data, size);
  fuzz_ckpt_reseal(copy, size);
  check(copy, size);
  free(copy);
  return 0;
}

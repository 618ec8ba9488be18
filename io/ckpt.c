/* ckpt.c - the checkpoint container: header, streamed sections, table, trailer, checksums,
 * the safe-write protocol, and the reader that verifies everything before handing out a byte.
 *
 * docs/checkpoint-format.md gives the byte layout; the offsets below are that layout. The
 * writer streams through a 1 MiB buffer with write(2) (no stdio, so that fault injection
 * counts exactly the system calls made) while XXH3 states hash the bytes on the way out. The
 * reader takes the whole file into memory and checks it in a fixed order: identity (magic,
 * size, version), then integrity (header, trailer, table, sections, whole file), then
 * compatibility (critical section types); every offset and length read from the file is
 * checked against the file size with arithmetic that cannot overflow.
 */
#define _POSIX_C_SOURCE 200809L
#include "ckpt.h"

#include "hebb.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

/* Frozen: the magics, offsets and sizes below cannot change without a format break (a new
 * major version). The header's first 12 bytes (magic, major, minor) are frozen across all
 * majors, so that any reader can name the version of any checkpoint. */
/* PNG-style, written as PNG's own C source writes its signature "\211PNG\r\n\032\n": a
 * high-bit byte, CR LF, ^Z, LF (docs/checkpoint-format.md says why). */
#define MAGIC "\211HCK\r\n\032\n"
#define END_MAGIC "\211END\r\n\032\n" /* the file's last 8 bytes */
#define H_MAJOR 8
#define H_MINOR 10
#define H_FLAGS 12
#define H_STEP 16
#define H_TIME 24
#define H_VERSION 32
#define H_VERSION_BYTES 24
#define H_MODEL_HASH 56
#define H_THREADS 64
#define H_CHECKSUM 120 /* of bytes [0, 120); bytes 68..119 are reserved, written as zeros */
#define T_TABLE_OFFSET 0
#define T_COUNT 8
#define T_TABLE_CHECKSUM 16
#define T_FILE_CHECKSUM 24 /* of every byte of the file before this field */
#define T_END_MAGIC 32
#define ENTRY_BYTES 32 /* u32 type, u32 flags, u64 offset, u64 length, u64 checksum */
#define ALIGN 8
#define MIN_FILE_BYTES (HEBB_CKPT_HEADER_SIZE + HEBB_CKPT_TRAILER_SIZE)

_Static_assert(H_CHECKSUM + 8 == HEBB_CKPT_HEADER_SIZE, "header layout");
_Static_assert(T_END_MAGIC + 8 == HEBB_CKPT_TRAILER_SIZE, "trailer layout");
_Static_assert(sizeof(MAGIC) - 1 == 8 && sizeof(END_MAGIC) - 1 == 8, "magic sizes");
_Static_assert(sizeof(((hebb_ckpt_header *)0)->version) == H_VERSION_BYTES, "version field");
_Static_assert(HEBB_CKPT_HEADER_SIZE % ALIGN == 0, "sections start aligned");

#define BUF_BYTES ((size_t)1 << 20) /* the writer's buffer */
#define MSG_BYTES 4608              /* room for a PATH_MAX path twice and the words */

static void fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t len, const char *fmt, ...) {
  if (!err || !len)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, len, fmt, ap);
  va_end(ap);
}

static void put_u16(unsigned char *p, uint16_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
}

static void put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get_u16(const unsigned char *p) {
  return (uint16_t)(p[0] | p[1] << 8);
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

static uint64_t pad_to_align(uint64_t pos) {
  return (ALIGN - pos % ALIGN) % ALIGN;
}

uint64_t hebb_ckpt_hash(const void *data, size_t len, uint64_t seed) {
  /* XXH3 with seed 0 is the plain XXH3_64bits the file's checksums use */
  return XXH3_64bits_withSeed(len ? data : "", len, seed);
}

/* ---- fault injection -------------------------------------------------------------------- */

enum { FAULT_WRITE, FAULT_FSYNC, FAULT_RENAME, FAULT_KINDS };
static const char *const fault_names[FAULT_KINDS] = {"write", "fsync", "rename"};

/* Process-wide: the calls of each kind since the last arming, and the one armed fault
 * (kind and 1-based call number; 0 = none). Atomic so that writers on several threads count
 * without a data race; arming is meant to happen while no writer is running. */
static _Atomic uint64_t fault_calls[FAULT_KINDS];
static _Atomic int fault_kind = -1;
static _Atomic uint64_t fault_at;
static atomic_bool fault_env_applied;

static int fault_kind_of(const char *kind, size_t len) {
  for (int k = 0; k < FAULT_KINDS; k++)
    if (kind && strlen(fault_names[k]) == len && !strncmp(kind, fault_names[k], len))
      return k;
  return -1;
}

static void fault_arm(int kind, uint64_t n) {
  for (int k = 0; k < FAULT_KINDS; k++)
    atomic_store(&fault_calls[k], 0);
  atomic_store(&fault_kind, n ? kind : -1);
  atomic_store(&fault_at, n);
}

void hebb_ckpt_fault(const char *kind, uint64_t n) {
  fault_arm(kind ? fault_kind_of(kind, strlen(kind)) : -1, n);
}

uint64_t hebb_ckpt_fault_count(const char *kind) {
  int k = kind ? fault_kind_of(kind, strlen(kind)) : -1;
  return k < 0 ? 0 : atomic_load(&fault_calls[k]);
}

/* Counts a call of KIND; true when it is the armed one, which must then fail with EIO. */
static bool fault_now(int kind) {
  uint64_t n = atomic_fetch_add(&fault_calls[kind], 1) + 1;
  return atomic_load(&fault_kind) == kind && atomic_load(&fault_at) == n;
}

/* Arms the fault named by HEBB_CKPT_FAULT="KIND:N", once per process. A malformed value is
 * an error (at every writer_open until it is fixed), not silently ignored. */
static int fault_from_env(char *err, size_t errlen) {
  if (atomic_load(&fault_env_applied))
    return 0;
  const char *v = getenv("HEBB_CKPT_FAULT");
  if (v && *v) {
    const char *colon = strchr(v, ':');
    int kind = colon ? fault_kind_of(v, (size_t)(colon - v)) : -1;
    char *end = NULL;
    errno = 0;
    unsigned long long n =
        kind >= 0 && colon[1] >= '0' && colon[1] <= '9' ? strtoull(colon + 1, &end, 10) : 0;
    if (kind < 0 || !end || *end || errno) {
      fail(err, errlen,
           "HEBB_CKPT_FAULT: expected KIND:N with KIND write, fsync or rename, got '%s'", v);
      return HEBB_EINVAL;
    }
    fault_arm(kind, n);
  }
  atomic_store(&fault_env_applied, true);
  return 0;
}

static ssize_t counted_write(int fd, const void *p, size_t len) {
  if (fault_now(FAULT_WRITE)) {
    errno = EIO;
    return -1;
  }
  return write(fd, p, len);
}

static int counted_fsync(int fd) {
  if (fault_now(FAULT_FSYNC)) {
    errno = EIO;
    return -1;
  }
  return fsync(fd);
}

static int counted_rename(const char *from, const char *to) {
  if (fault_now(FAULT_RENAME)) {
    errno = EIO;
    return -1;
  }
  return rename(from, to);
}

/* ---- writing ---------------------------------------------------------------------------- */

struct hebb_ckpt_writer {
  int fd;
  char *path, *tmp;
  unsigned char *buf; /* BUF_BYTES, of which USED wait for write(2) */
  size_t used;
  uint64_t pos;                           /* file offset of the next byte */
  XXH3_state_t *file_hash, *section_hash; /* the whole file; the open section */
  bool in_section;
  hebb_ckpt_section cur;
  hebb_ckpt_section *table;
  size_t n, cap;
  int rc; /* the first error; every later call returns it and does nothing */
  char msg[MSG_BYTES];
};

static int writer_fail(hebb_ckpt_writer *w, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int writer_fail(hebb_ckpt_writer *w, int rc, const char *fmt, ...) {
  if (w->rc)
    return w->rc;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->msg, sizeof w->msg, fmt, ap);
  va_end(ap);
  return w->rc = rc;
}

/* write(2) until all of P is written (a regular file rarely writes short, but may). */
static int raw_write(hebb_ckpt_writer *w, const unsigned char *p, size_t len) {
  while (len && !w->rc) {
    ssize_t k = counted_write(w->fd, p, len);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return writer_fail(w, HEBB_EIO, "%s: write failed: %s", w->tmp,
                         k < 0 ? strerror(errno) : "no progress");
    p += k;
    len -= (size_t)k;
  }
  return w->rc;
}

static int flush(hebb_ckpt_writer *w) {
  size_t n = w->used;
  w->used = 0;
  return n ? raw_write(w, w->buf, n) : w->rc;
}

/* Appends bytes to the file through the buffer; pieces at least a buffer long go to
 * write(2) directly, without a copy. HASHED: whether they count in the file checksum (all
 * bytes but the trailer's last 16); IN_SECTION: whether in the open section's. */
static int emit(hebb_ckpt_writer *w, const void *data, size_t len, bool hashed, bool in_section) {
  if (w->rc || !len)
    return w->rc;
  const unsigned char *p = data;
  if (hashed)
    XXH3_64bits_update(w->file_hash, p, len);
  if (in_section)
    XXH3_64bits_update(w->section_hash, p, len);
  w->pos += len;
  if (w->used && len >= BUF_BYTES - w->used) {
    size_t k = BUF_BYTES - w->used;
    memcpy(w->buf + w->used, p, k);
    w->used = BUF_BYTES;
    p += k;
    len -= k;
    if (flush(w))
      return w->rc;
  }
  if (len >= BUF_BYTES)
    return raw_write(w, p, len);
  memcpy(w->buf + w->used, p, len);
  w->used += len;
  return 0;
}

static int emit_padding(hebb_ckpt_writer *w) {
  static const unsigned char zeros[ALIGN];
  return emit(w, zeros, (size_t)pad_to_align(w->pos), true, false);
}

static void writer_free(hebb_ckpt_writer *w) {
  if (w->fd >= 0)
    close(w->fd);
  XXH3_freeState(w->file_hash);
  XXH3_freeState(w->section_hash);
  free(w->buf);
  free(w->table);
  free(w->path);
  free(w->tmp);
  free(w);
}

int hebb_ckpt_writer_open(hebb_ckpt_writer **out, const char *path, const hebb_ckpt_header *h,
                          char *err, size_t errlen) {
  if (out)
    *out = NULL;
  if (!out || !path || !*path || !h) {
    fail(err, errlen, "%s: hebb_ckpt_writer_open: missing argument", path ? path : "(null)");
    return HEBB_EINVAL;
  }
  if (!memchr(h->version, '\0', sizeof h->version)) {
    fail(err, errlen, "%s: the header's version string is not NUL-terminated within %zu bytes",
         path, sizeof h->version);
    return HEBB_EINVAL;
  }
  int rc = fault_from_env(err, errlen);
  if (rc)
    return rc;
  hebb_ckpt_writer *w = calloc(1, sizeof *w);
  size_t plen = strlen(path);
  if (w) {
    w->fd = -1;
    w->path = strdup(path);
    w->tmp = malloc(plen + 5);
    w->buf = malloc(BUF_BYTES);
    w->file_hash = XXH3_createState();
    w->section_hash = XXH3_createState();
  }
  if (!w || !w->path || !w->tmp || !w->buf || !w->file_hash || !w->section_hash) {
    if (w)
      writer_free(w);
    fail(err, errlen, "%s: out of memory", path);
    return HEBB_ENOMEM;
  }
  memcpy(w->tmp, path, plen);
  memcpy(w->tmp + plen, ".tmp", 5);
  XXH3_64bits_reset(w->file_hash);
  w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (w->fd < 0) {
    fail(err, errlen, "%s: cannot create: %s", w->tmp, strerror(errno));
    writer_free(w);
    return HEBB_EIO;
  }

  unsigned char b[HEBB_CKPT_HEADER_SIZE] = {0};
  memcpy(b, MAGIC, 8);
  put_u16(b + H_MAJOR, HEBB_CKPT_MAJOR);
  put_u16(b + H_MINOR, HEBB_CKPT_MINOR);
  put_u32(b + H_FLAGS, 0);
  put_u64(b + H_STEP, h->step);
  uint64_t bits;
  memcpy(&bits, &h->time_ms, sizeof bits);
  put_u64(b + H_TIME, bits);
  strncpy((char *)b + H_VERSION, h->version, H_VERSION_BYTES); /* NUL padded */
  put_u64(b + H_MODEL_HASH, h->model_hash);
  put_u32(b + H_THREADS, h->threads);
  put_u64(b + H_CHECKSUM, XXH3_64bits(b, H_CHECKSUM));
  emit(w, b, sizeof b, true, false); /* cannot fail: the buffer is empty */
  *out = w;
  return 0;
}

int hebb_ckpt_begin(hebb_ckpt_writer *w, uint32_t type, uint32_t flags) {
  if (!w)
    return HEBB_EINVAL;
  if (w->rc)
    return w->rc;
  if (w->in_section)
    return writer_fail(w, HEBB_ESTATE,
                       "%s: section type 0x%04" PRIx32 " begun while section type 0x%04" PRIx32
                       " is still open",
                       w->tmp, type, w->cur.type);
  if (w->n == w->cap) {
    size_t cap = w->cap ? 2 * w->cap : 16;
    hebb_ckpt_section *t = realloc(w->table, cap * sizeof *t);
    if (!t)
      return writer_fail(w, HEBB_ENOMEM, "%s: out of memory", w->tmp);
    w->table = t;
    w->cap = cap;
  }
  if (emit_padding(w))
    return w->rc;
  w->cur = (hebb_ckpt_section){.type = type, .flags = flags, .offset = w->pos};
  XXH3_64bits_reset(w->section_hash);
  w->in_section = true;
  return 0;
}

int hebb_ckpt_write(hebb_ckpt_writer *w, const void *data, size_t len) {
  if (!w)
    return HEBB_EINVAL;
  if (w->rc)
    return w->rc;
  if (!w->in_section)
    return writer_fail(w, HEBB_ESTATE, "%s: %zu bytes written outside a section", w->tmp, len);
  if (len && !data)
    return writer_fail(w, HEBB_EINVAL, "%s: section type 0x%04" PRIx32 ": NULL data", w->tmp,
                       w->cur.type);
  return emit(w, data, len, true, true);
}

int hebb_ckpt_end(hebb_ckpt_writer *w) {
  if (!w)
    return HEBB_EINVAL;
  if (w->rc)
    return w->rc;
  if (!w->in_section)
    return writer_fail(w, HEBB_ESTATE, "%s: section ended but none was begun", w->tmp);
  w->cur.length = w->pos - w->cur.offset;
  w->cur.checksum = XXH3_64bits_digest(w->section_hash);
  w->table[w->n++] = w->cur;
  w->in_section = false;
  return 0;
}

/* The directory holding PATH, for its fsync after the rename. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return strdup(".");
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, path, n);
    d[n] = '\0';
  }
  return d;
}

/* Table, trailer, flush, fsync, close: everything up to the rename. */
static int finish_file(hebb_ckpt_writer *w) {
  if (w->rc)
    return w->rc;
  if (w->in_section)
    return writer_fail(w, HEBB_ESTATE, "%s: section type 0x%04" PRIx32 " was begun but not ended",
                       w->tmp, w->cur.type);
  if (emit_padding(w))
    return w->rc;
  uint64_t table_offset = w->pos;
  XXH3_state_t *table_hash = w->section_hash; /* free now: no section is open */
  XXH3_64bits_reset(table_hash);
  for (size_t i = 0; i < w->n && !w->rc; i++) {
    unsigned char e[ENTRY_BYTES];
    put_u32(e, w->table[i].type);
    put_u32(e + 4, w->table[i].flags);
    put_u64(e + 8, w->table[i].offset);
    put_u64(e + 16, w->table[i].length);
    put_u64(e + 24, w->table[i].checksum);
    XXH3_64bits_update(table_hash, e, sizeof e);
    emit(w, e, sizeof e, true, false);
  }
  unsigned char t[HEBB_CKPT_TRAILER_SIZE];
  put_u64(t + T_TABLE_OFFSET, table_offset);
  put_u64(t + T_COUNT, w->n);
  put_u64(t + T_TABLE_CHECKSUM, XXH3_64bits_digest(table_hash));
  emit(w, t, T_FILE_CHECKSUM, true, false);
  put_u64(t + T_FILE_CHECKSUM, XXH3_64bits_digest(w->file_hash));
  memcpy(t + T_END_MAGIC, END_MAGIC, 8);
  emit(w, t + T_FILE_CHECKSUM, HEBB_CKPT_TRAILER_SIZE - T_FILE_CHECKSUM, false, false);
  if (flush(w))
    return w->rc;
  if (counted_fsync(w->fd))
    return writer_fail(w, HEBB_EIO, "%s: fsync failed: %s", w->tmp, strerror(errno));
  int fd = w->fd;
  w->fd = -1;
  if (close(fd)) /* NFS may report a failed write only here */
    return writer_fail(w, HEBB_EIO, "%s: close failed: %s", w->tmp, strerror(errno));
  return 0;
}

int hebb_ckpt_commit(hebb_ckpt_writer *w, char *err, size_t errlen) {
  if (!w) {
    fail(err, errlen, "hebb_ckpt_commit: no writer");
    return HEBB_EINVAL;
  }
  if (finish_file(w) == 0 && counted_rename(w->tmp, w->path))
    writer_fail(w, HEBB_EIO, "%s: cannot rename to %s: %s", w->tmp, w->path, strerror(errno));
  if (w->rc) {
    unlink(w->tmp);
    fail(err, errlen, "%s", w->msg);
    int rc = w->rc;
    writer_free(w);
    return rc;
  }
  /* PATH is now the new checkpoint; the directory's fsync makes the rename durable. Its
   * failure cannot bring the old file back (it is gone), so it is reported as such. */
  char *dir = dir_of(w->path);
  int rc = 0;
  if (!dir) {
    fail(err, errlen, "%s: out of memory", w->path);
    rc = HEBB_ENOMEM;
  } else {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || counted_fsync(dfd)) {
      fail(err, errlen,
           "%s: %s of the directory failed after the rename: %s (%s is the new checkpoint, "
           "but may not survive a crash)",
           dir, dfd < 0 ? "open" : "fsync", strerror(errno), w->path);
      rc = HEBB_EIO;
    }
    if (dfd >= 0)
      close(dfd);
    free(dir);
  }
  writer_free(w);
  return rc;
}

void hebb_ckpt_abort(hebb_ckpt_writer *w) {
  if (!w)
    return;
  unlink(w->tmp);
  writer_free(w);
}

/* ---- reading ---------------------------------------------------------------------------- */

struct hebb_ckpt_reader {
  unsigned char *bytes;
  uint64_t size;
  hebb_ckpt_header header;
  hebb_ckpt_section *sections;
  size_t n;
};

static void section_fail(char *err, size_t errlen, const char *name, size_t i,
                         const hebb_ckpt_section *s, const char *what) {
  fail(err, errlen,
       "%s: section %zu (type 0x%04" PRIx32 ", offset %" PRIu64 ", %" PRIu64 " bytes): %s", name, i,
       s->type, s->offset, s->length, what);
}

static bool is_known(uint32_t type, const uint32_t *known, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (known[i] == type)
      return true;
  return false;
}

/* Checks R->bytes completely and fills the header and the sections. The order is part of
 * the format's definition (docs/checkpoint-format.md): the version comes before any
 * checksum because a newer major may checksum differently; section checksums come before
 * the whole-file checksum so that a damaged section is named. */
static int verify(hebb_ckpt_reader *r, const char *name, const uint32_t *known, size_t nknown,
                  char *err, size_t errlen) {
  const unsigned char *b = r->bytes;
  const uint64_t len = r->size;
  char what[160];

  if (memcmp(b, MAGIC, len < 8 ? (size_t)len : 8)) {
    fail(err, errlen, "%s: not a Hebb checkpoint (bad magic)", name);
    return HEBB_EPARSE;
  }
  if (len < MIN_FILE_BYTES) {
    fail(err, errlen, "%s: truncated: %" PRIu64 " bytes, expected at least %d", name, len,
         MIN_FILE_BYTES);
    return HEBB_EPARSE;
  }
  unsigned major = get_u16(b + H_MAJOR), minor = get_u16(b + H_MINOR);
  if (major != HEBB_CKPT_MAJOR) {
    fail(err, errlen, "%s: format version %u.%u is %s than this Hebb reads (%d.x)", name, major,
         minor, major > HEBB_CKPT_MAJOR ? "newer" : "older", HEBB_CKPT_MAJOR);
    return HEBB_EPARSE;
  }
  uint64_t stored = get_u64(b + H_CHECKSUM), computed = XXH3_64bits(b, H_CHECKSUM);
  if (stored != computed) {
    fail(err, errlen,
         "%s: header checksum mismatch (stored 0x%016" PRIx64 ", computed 0x%016" PRIx64 ")", name,
         stored, computed);
    return HEBB_EPARSE;
  }
  if (!memchr(b + H_VERSION, '\0', H_VERSION_BYTES)) {
    fail(err, errlen, "%s: header: the Hebb version string is not NUL-terminated", name);
    return HEBB_EPARSE;
  }
  hebb_ckpt_header *h = &r->header;
  h->major = (uint16_t)major;
  h->minor = (uint16_t)minor;
  h->step = get_u64(b + H_STEP);
  uint64_t bits = get_u64(b + H_TIME);
  memcpy(&h->time_ms, &bits, sizeof bits);
  memcpy(h->version, b + H_VERSION, H_VERSION_BYTES);
  h->model_hash = get_u64(b + H_MODEL_HASH);
  h->threads = get_u32(b + H_THREADS);

  const unsigned char *t = b + len - HEBB_CKPT_TRAILER_SIZE;
  if (memcmp(t + T_END_MAGIC, END_MAGIC, 8)) {
    fail(err, errlen, "%s: no end magic in the last 8 bytes (truncated, or not a checkpoint)",
         name);
    return HEBB_EPARSE;
  }
  /* Geometry: [header | sections | table | trailer], the table ending where the trailer
   * begins. Every quantity below is at most LEN, so nothing overflows. */
  const uint64_t trailer_at = len - HEBB_CKPT_TRAILER_SIZE;
  uint64_t table_at = get_u64(t + T_TABLE_OFFSET), count = get_u64(t + T_COUNT);
  if (table_at < HEBB_CKPT_HEADER_SIZE || table_at > trailer_at || table_at % ALIGN) {
    fail(err, errlen,
         "%s: trailer: table offset %" PRIu64 " is not an 8-aligned offset in [%d, %" PRIu64 "]",
         name, table_at, HEBB_CKPT_HEADER_SIZE, trailer_at);
    return HEBB_EPARSE;
  }
  if ((trailer_at - table_at) % ENTRY_BYTES || (trailer_at - table_at) / ENTRY_BYTES != count) {
    fail(err, errlen,
         "%s: trailer: a table of %" PRIu64 " sections at offset %" PRIu64
         " does not end where the trailer begins (offset %" PRIu64 ")",
         name, count, table_at, trailer_at);
    return HEBB_EPARSE;
  }
  stored = get_u64(t + T_TABLE_CHECKSUM);
  computed = XXH3_64bits(b + table_at, (size_t)(trailer_at - table_at));
  if (stored != computed) {
    fail(err, errlen,
         "%s: section table (offset %" PRIu64 ", %" PRIu64 " sections): checksum mismatch "
         "(stored 0x%016" PRIx64 ", computed 0x%016" PRIx64 ")",
         name, table_at, count, stored, computed);
    return HEBB_EPARSE;
  }

  /* COUNT <= LEN / 32, so the array is bounded by the file */
  r->sections = malloc(count ? (size_t)count * sizeof *r->sections : 1);
  if (!r->sections) {
    fail(err, errlen, "%s: out of memory for %" PRIu64 " sections", name, count);
    return HEBB_ENOMEM;
  }
  uint64_t end = HEBB_CKPT_HEADER_SIZE; /* where the previous section ends */
  for (size_t i = 0; i < count; i++) {
    const unsigned char *e = b + table_at + i * ENTRY_BYTES;
    hebb_ckpt_section *s = &r->sections[i];
    *s = (hebb_ckpt_section){.type = get_u32(e),
                             .flags = get_u32(e + 4),
                             .offset = get_u64(e + 8),
                             .length = get_u64(e + 16),
                             .checksum = get_u64(e + 24)};
    r->n = i + 1;
    const char *bad = NULL;
    if (s->offset % ALIGN)
      bad = "offset not 8-aligned";
    else if (s->offset < end) {
      snprintf(what, sizeof what,
               "overlaps the header or the previous section (which ends at %" PRIu64 ")", end);
      bad = what;
    } else if (s->offset > table_at || s->length > table_at - s->offset) {
      snprintf(what, sizeof what, "extends past the start of the table (offset %" PRIu64 ")",
               table_at);
      bad = what;
    }
    if (bad) {
      section_fail(err, errlen, name, i, s, bad);
      return HEBB_EPARSE;
    }
    end = s->offset + s->length;
  }
  for (size_t i = 0; i < r->n; i++) {
    const hebb_ckpt_section *s = &r->sections[i];
    computed = XXH3_64bits(b + s->offset, (size_t)s->length);
    if (computed != s->checksum) {
      snprintf(what, sizeof what,
               "checksum mismatch (stored 0x%016" PRIx64 ", computed 0x%016" PRIx64 ")",
               s->checksum, computed);
      section_fail(err, errlen, name, i, s, what);
      return HEBB_EPARSE;
    }
  }
  stored = get_u64(t + T_FILE_CHECKSUM);
  computed = XXH3_64bits(b, (size_t)(len - (HEBB_CKPT_TRAILER_SIZE - T_FILE_CHECKSUM)));
  if (stored != computed) {
    fail(err, errlen,
         "%s: file checksum mismatch (stored 0x%016" PRIx64 ", computed 0x%016" PRIx64
         "): damage outside the header, table and sections",
         name, stored, computed);
    return HEBB_EPARSE;
  }
  for (size_t i = 0; i < r->n; i++) {
    const hebb_ckpt_section *s = &r->sections[i];
    if ((s->flags & HEBB_CKPT_CRITICAL) && !is_known(s->type, known, nknown)) {
      fail(err, errlen,
           "%s: unknown critical section type 0x%04" PRIx32 " (section %zu, offset %" PRIu64
           "): written by a newer Hebb?",
           name, s->type, i, s->offset);
      return HEBB_EPARSE;
    }
  }
  return 0;
}

/* Takes ownership of BYTES (LEN of them) and verifies them. */
static int reader_make(hebb_ckpt_reader **out, unsigned char *bytes, uint64_t len, const char *name,
                       const uint32_t *known, size_t n, char *err, size_t errlen) {
  hebb_ckpt_reader *r = calloc(1, sizeof *r);
  if (!r) {
    free(bytes);
    fail(err, errlen, "%s: out of memory", name);
    return HEBB_ENOMEM;
  }
  r->bytes = bytes;
  r->size = len;
  int rc = verify(r, name, known, n, err, errlen);
  if (rc) {
    hebb_ckpt_close(r);
    return rc;
  }
  *out = r;
  return 0;
}

int hebb_ckpt_open_mem(hebb_ckpt_reader **out, const void *data, size_t len, const char *name,
                       const uint32_t *known, size_t n, char *err, size_t errlen) {
  if (!name)
    name = "(memory)";
  if (out)
    *out = NULL;
  if (!out || (len && !data) || (n && !known)) {
    fail(err, errlen, "%s: hebb_ckpt_open_mem: missing argument", name);
    return HEBB_EINVAL;
  }
  unsigned char *copy = malloc(len ? len : 1);
  if (!copy) {
    fail(err, errlen, "%s: out of memory for %zu bytes", name, len);
    return HEBB_ENOMEM;
  }
  if (len)
    memcpy(copy, data, len);
  return reader_make(out, copy, len, name, known, n, err, errlen);
}

int hebb_ckpt_open(hebb_ckpt_reader **out, const char *path, const uint32_t *known, size_t n,
                   char *err, size_t errlen) {
  if (out)
    *out = NULL;
  if (!out || !path || (n && !known)) {
    fail(err, errlen, "%s: hebb_ckpt_open: missing argument", path ? path : "(null)");
    return HEBB_EINVAL;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return HEBB_EIO;
  }
  struct stat st;
  if (fstat(fd, &st)) {
    fail(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
    close(fd);
    return HEBB_EIO;
  }
  if (!S_ISREG(st.st_mode)) {
    fail(err, errlen, "%s: not a regular file", path);
    close(fd);
    return HEBB_EIO;
  }
  uint64_t size = (uint64_t)st.st_size;
  unsigned char *bytes = size <= SIZE_MAX ? malloc(size ? (size_t)size : 1) : NULL;
  if (!bytes) {
    fail(err, errlen, "%s: out of memory for %" PRIu64 " bytes", path, size);
    close(fd);
    return HEBB_ENOMEM;
  }
  uint64_t got = 0;
  while (got < size) {
    ssize_t k = read(fd, bytes + got, (size_t)(size - got));
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0) {
      fail(err, errlen, "%s: read failed: %s", path, strerror(errno));
      free(bytes);
      close(fd);
      return HEBB_EIO;
    }
    if (k == 0)
      break; /* shrank since fstat: verified as the shorter file, which it now is */
    got += (uint64_t)k;
  }
  close(fd);
  return reader_make(out, bytes, got, path, known, n, err, errlen);
}

void hebb_ckpt_close(hebb_ckpt_reader *r) {
  if (!r)
    return;
  free(r->bytes);
  free(r->sections);
  free(r);
}

const hebb_ckpt_header *hebb_ckpt_header_of(const hebb_ckpt_reader *r) {
  return &r->header;
}

size_t hebb_ckpt_section_count(const hebb_ckpt_reader *r) {
  return r->n;
}

const hebb_ckpt_section *hebb_ckpt_section_at(const hebb_ckpt_reader *r, size_t i) {
  return i < r->n ? &r->sections[i] : NULL;
}

uint64_t hebb_ckpt_file_size(const hebb_ckpt_reader *r) {
  return r->size;
}

const void *hebb_ckpt_data_at(const hebb_ckpt_reader *r, size_t i, uint64_t *len) {
  if (i >= r->n) {
    if (len)
      *len = 0;
    return NULL;
  }
  if (len)
    *len = r->sections[i].length;
  return r->bytes + r->sections[i].offset; /* inside the file even for an empty section */
}

const void *hebb_ckpt_data(const hebb_ckpt_reader *r, uint32_t type, uint64_t *len) {
  for (size_t i = 0; i < r->n; i++)
    if (r->sections[i].type == type)
      return hebb_ckpt_data_at(r, i, len);
  if (len)
    *len = 0;
  return NULL;
}

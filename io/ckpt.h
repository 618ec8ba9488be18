/* ckpt.h - the checkpoint container: a file of typed, checksummed sections.
 *
 * This layer knows nothing of networks: it writes and reads a header, sections and a
 * trailer safely (docs/checkpoint-format.md). What the sections hold is engine/sim.c's
 * business (hebb_sim_save / hebb_sim_restore).
 *
 * Layout, all integers little-endian whatever the host:
 *
 *   header   (fixed size, HEBB_CKPT_HEADER_SIZE bytes): magic, major, minor, flags, step,
 *            time_ms, Hebb version string, model hash, threads at save time, header checksum
 *   sections (each 8-byte aligned, zero padded), in the order they were added
 *   table    one entry per section: type, flags, offset, length, checksum
 *   trailer  (fixed size): table offset, section count, table checksum, file checksum, end
 *            magic
 *
 * Checksums are XXH3-64 (Debian's libxxhash): of the header's bytes before its checksum
 * field, of each section's bytes, of the table, and of every byte of the file before the
 * trailer's file checksum field.
 *
 * Writing is safe against crashes: the file is written as PATH.tmp, flushed, fsynced,
 * renamed onto PATH, and the directory is fsynced; until the rename, an older PATH stays as
 * it was. Reading checks everything before anything is handed out: a reader either opens a
 * fully verified file or refuses it with a message naming what is wrong.
 */
#ifndef HEBB_IO_CKPT_H
#define HEBB_IO_CKPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEBB_CKPT_MAJOR 1
#define HEBB_CKPT_MINOR 1
#define HEBB_CKPT_HEADER_SIZE 128
#define HEBB_CKPT_TRAILER_SIZE 40

/* A section the reader does not know is skipped if ancillary, refused if critical. */
#define HEBB_CKPT_CRITICAL 1u

typedef struct {
  uint16_t major, minor; /* filled by the writer; read back by the reader */
  uint64_t step;         /* steps simulated */
  double time_ms;        /* step * dt, for people */
  char version[24];      /* Hebb version that wrote it, NUL-terminated */
  uint64_t model_hash;   /* hash of the parsed network and its parameters */
  uint32_t threads;      /* partitions at save time (information only) */
} hebb_ckpt_header;

typedef struct {
  uint32_t type;
  uint32_t flags;
  uint64_t offset; /* from the start of the file */
  uint64_t length;
  uint64_t checksum;
} hebb_ckpt_section;

/* ---- writing ---------------------------------------------------------------------------- */

typedef struct hebb_ckpt_writer hebb_ckpt_writer;

/* Starts writing the checkpoint PATH (as PATH.tmp). On failure returns a negative HEBB_E*
 * code and a one-line message in ERR ("PATH.tmp: what failed: strerror"). */
int hebb_ckpt_writer_open(hebb_ckpt_writer **w, const char *path, const hebb_ckpt_header *h,
                          char *err, size_t errlen);
/* Sections are streamed: begin one, write its bytes in any number of pieces, end it. */
int hebb_ckpt_begin(hebb_ckpt_writer *w, uint32_t type, uint32_t flags);
int hebb_ckpt_write(hebb_ckpt_writer *w, const void *data, size_t len);
int hebb_ckpt_end(hebb_ckpt_writer *w);
/* Writes table and trailer, flushes, fsyncs, renames PATH.tmp onto PATH, fsyncs the
 * directory. Frees W whatever the result; on failure removes PATH.tmp, leaves PATH as it was
 * and says what failed in ERR. An error of an earlier begin/write/end is reported here too
 * (calls after a failure do nothing), so a caller may check only the result of commit.
 * The one failure after which PATH is not as it was: the directory's fsync, which comes
 * after the rename. Then PATH is the new, complete checkpoint, HEBB_EIO is returned and ERR
 * says that the rename may not survive a crash (the old file cannot be brought back). */
int hebb_ckpt_commit(hebb_ckpt_writer *w, char *err, size_t errlen);
/* Gives up: removes PATH.tmp, frees W. */
void hebb_ckpt_abort(hebb_ckpt_writer *w);

/* Fault injection for tests: the N-th (1-based) call of KIND ("write", "fsync" or "rename";
 * write counts every write(2) of the writer, fsync counts both the file's and the
 * directory's) made by any writer from now on fails with EIO. N = 0 disarms. One fault is
 * armed at a time (arming replaces the previous one) and arming or disarming resets the
 * counts of all kinds; an unknown KIND disarms. The environment variable
 * HEBB_CKPT_FAULT="KIND:N" arms it at the first writer_open of the process (a malformed
 * value makes writer_open fail with HEBB_EINVAL). Counts are process-wide;
 * hebb_ckpt_fault_count returns how many calls of KIND have been made since the last
 * arming (so a test can learn how many there are in a checkpoint). A commit makes one
 * write call per 1 MiB of file (the writer's buffer; a piece of 1 MiB or more given to
 * hebb_ckpt_write fills the buffer and goes to one write(2) of its own), 2 fsync calls (the
 * file, then the directory) and 1 rename. */
void hebb_ckpt_fault(const char *kind, uint64_t n);
uint64_t hebb_ckpt_fault_count(const char *kind);

/* ---- reading ---------------------------------------------------------------------------- */

typedef struct hebb_ckpt_reader hebb_ckpt_reader;

/* Opens and verifies the checkpoint PATH completely: magic, major version (a newer major is
 * refused, naming both versions), header checksum, trailer, table checksum, every section's
 * bounds and checksum, the whole-file checksum. KNOWN lists the section types the caller
 * understands (N of them): an unknown critical section is refused, an unknown ancillary one
 * skipped. On failure returns HEBB_EIO (cannot read) or HEBB_EPARSE (damaged, foreign) with
 * a message "PATH: what is wrong" (naming the section type and offset, or the field), or
 * HEBB_ENOMEM, or HEBB_EINVAL for missing arguments. The whole file is read into memory.
 * Nothing is handed out from a file that fails any check. */
int hebb_ckpt_open(hebb_ckpt_reader **r, const char *path, const uint32_t *known, size_t n,
                   char *err, size_t errlen);
/* The same from bytes in memory (the fuzz target); NAME stands for the path in messages.
 * The bytes are copied. */
int hebb_ckpt_open_mem(hebb_ckpt_reader **r, const void *data, size_t len, const char *name,
                       const uint32_t *known, size_t n, char *err, size_t errlen);
void hebb_ckpt_close(hebb_ckpt_reader *r);

const hebb_ckpt_header *hebb_ckpt_header_of(const hebb_ckpt_reader *r);
/* All sections in file order (known or not), for `hebb inspect`; NULL for I out of range. */
size_t hebb_ckpt_section_count(const hebb_ckpt_reader *r);
const hebb_ckpt_section *hebb_ckpt_section_at(const hebb_ckpt_reader *r, size_t i);
uint64_t hebb_ckpt_file_size(const hebb_ckpt_reader *r);
/* The bytes of the first section of TYPE; NULL (and *len 0) when there is none (an empty
 * section gives a non-NULL pointer and *len 0). 8-byte aligned; valid until
 * hebb_ckpt_close. */
const void *hebb_ckpt_data(const hebb_ckpt_reader *r, uint32_t type, uint64_t *len);
/* The same for the I-th section in file order (for repeated types); NULL for I out of
 * range. */
const void *hebb_ckpt_data_at(const hebb_ckpt_reader *r, size_t i, uint64_t *len);

/* XXH3-64 of bytes, for the engine's model hash. */
uint64_t hebb_ckpt_hash(const void *data, size_t len, uint64_t seed);

#endif

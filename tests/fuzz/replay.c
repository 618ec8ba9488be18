/* replay.c - runs files through the fuzz target's function (fuzz_ckpt.c) without libFuzzer:
 * every file named on the command line, or every file in a named directory. The meson test
 * 'ckpt_corpus' replays tests/fuzz/corpus/ in every build, so that the seeds and the
 * fuzzer's finds stay regression tests. Exits 1 when a file cannot be read or no file was
 * found; a failing input aborts (and the sanitizers report) in the target itself.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the file PATH; returns 0, or -1 with a message on stderr. */
static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
    return -1;
  }
  size_t cap = 4096, len = 0;
  uint8_t *b = malloc(cap);
  for (size_t k; b && (k = fread(b + len, 1, cap - len, f)) > 0;) {
    len += k;
    if (len == cap) {
      uint8_t *nb = realloc(b, cap *= 2);
      if (!nb)
        free(b);
      b = nb;
    }
  }
  int bad = ferror(f);
  fclose(f);
  if (!b || bad) {
    fprintf(stderr, "%s: cannot read: %s\n", path, b ? strerror(errno) : "out of memory");
    free(b);
    return -1;
  }
  LLVMFuzzerTestOneInput(b, len);
  free(b);
  return 0;
}

int main(int argc, char **argv) {
  size_t files = 0;
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st)) {
      fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      rc |= run_file(argv[i]);
      files++;
      continue;
    }
    DIR *d = opendir(argv[i]);
    if (!d) {
      fprintf(stderr, "%s: cannot open directory: %s\n", argv[i], strerror(errno));
      return 1;
    }
    for (struct dirent *e; (e = readdir(d));) {
      char p[4096];
      snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
      if (e->d_name[0] == '.' || stat(p, &st) || !S_ISREG(st.st_mode))
        continue;
      rc |= run_file(p);
      files++;
    }
    closedir(d);
  }
  if (!files) {
    fprintf(stderr, "usage: %s FILE|DIR...: no input files\n", argv[0]);
    return 1;
  }
  printf("%zu inputs run\n", files);
  return rc ? 1 : 0;
}

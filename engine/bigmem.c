/* bigmem.c - see bigmem.h. */
#define _GNU_SOURCE
#include "bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void *hebb_big_alloc(size_t bytes) {
  if (bytes < HEBB_BIG_BYTES)
    return malloc(bytes ? bytes : 1);
  void *p = NULL;
  if (posix_memalign(&p, HEBB_BIG_BYTES, bytes))
    return NULL;
#ifdef MADV_HUGEPAGE
  /* whole huge pages only; a failure (no THP in this kernel) leaves ordinary pages */
  size_t len = bytes & ~(size_t)(HEBB_BIG_BYTES - 1);
  if (len)
    (void)madvise(p, len, MADV_HUGEPAGE);
#endif
  return p;
}

void *hebb_big_calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size)
    return NULL;
  size_t bytes = n * size;
  if (!bytes)
    bytes = 1;
  void *p = hebb_big_alloc(bytes);
  if (p)
    memset(p, 0, bytes);
  return p;
}

/* queue.c - calendar queue; see queue.h. */
#include "queue.h"

#include "hebb.h"

#include <stdlib.h>
#include <string.h>

int hebb_queue_init(hebb_queue *q, uint32_t horizon, uint64_t now) {
  memset(q, 0, sizeof *q);
  uint32_t size = 1;
  while (size <= horizon)
    size <<= 1;
  q->b = calloc(size, sizeof *q->b);
  if (!q->b)
    return HEBB_ENOMEM;
  q->mask = size - 1;
  q->now = now;
  return 0;
}

void hebb_queue_free(hebb_queue *q) {
  if (q->b)
    for (uint32_t i = 0; i <= q->mask; i++)
      free(q->b[i].ev);
  free(q->b);
  free(q->scratch);
  memset(q, 0, sizeof *q);
}

void hebb_queue_reset(hebb_queue *q, uint64_t now) {
  for (uint32_t i = 0; i <= q->mask; i++)
    q->b[i].n = 0;
  q->now = now;
}

int hebb_queue_push(hebb_queue *q, uint64_t step, uint32_t ev) {
  if (step < q->now || step - q->now > q->mask)
    return HEBB_ERANGE;
  hebb_bucket *b = &q->b[step & q->mask];
  if (b->n == b->cap) {
    uint32_t cap = b->cap ? 2 * b->cap : 64;
    uint32_t *ne = realloc(b->ev, (size_t)cap * sizeof *ne);
    if (!ne)
      return HEBB_ENOMEM;
    b->ev = ne;
    b->cap = cap;
  }
  b->ev[b->n++] = ev;
  if (b->n > q->scratch_cap) {
    /* keep the sort buffer as large as any bucket, so that popping never allocates */
    uint32_t cap = b->cap;
    uint32_t *ns = realloc(q->scratch, (size_t)cap * sizeof *ns);
    if (!ns)
      return HEBB_ENOMEM;
    q->scratch = ns;
    q->scratch_cap = cap;
  }
  q->pushed++;
  return 0;
}

/* Least-significant-digit radix sort of 32-bit keys, two 16-bit passes. */
static void radix_sort(uint32_t *a, uint32_t *tmp, uint32_t n) {
  uint32_t count[65536];
  for (int shift = 0; shift < 32; shift += 16) {
    memset(count, 0, sizeof count);
    for (uint32_t i = 0; i < n; i++)
      count[(a[i] >> shift) & 0xffff]++;
    uint32_t sum = 0;
    for (uint32_t d = 0; d < 65536; d++) {
      uint32_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (uint32_t i = 0; i < n; i++)
      tmp[count[(a[i] >> shift) & 0xffff]++] = a[i];
    memcpy(a, tmp, (size_t)n * sizeof *a);
  }
}

static void insertion_sort(uint32_t *a, uint32_t n) {
  for (uint32_t i = 1; i < n; i++) {
    uint32_t x = a[i], j = i;
    while (j > 0 && a[j - 1] > x) {
      a[j] = a[j - 1];
      j--;
    }
    a[j] = x;
  }
}

const uint32_t *hebb_queue_due(hebb_queue *q, uint64_t step, size_t *n) {
  hebb_bucket *b = &q->b[step & q->mask];
  uint32_t i = 1;
  while (i < b->n && b->ev[i - 1] <= b->ev[i])
    i++;
  if (i < b->n) {
    if (b->n < 256)
      insertion_sort(b->ev, b->n);
    else
      radix_sort(b->ev, q->scratch, b->n);
  }
  *n = b->n;
  return b->ev;
}

void hebb_queue_pop(hebb_queue *q, uint64_t step) {
  q->b[step & q->mask].n = 0;
  q->now = step + 1;
}

size_t hebb_queue_bytes(const hebb_queue *q) {
  size_t bytes = (size_t)(q->mask + 1) * sizeof *q->b + (size_t)q->scratch_cap * 4;
  for (uint32_t i = 0; i <= q->mask; i++)
    bytes += (size_t)q->b[i].cap * 4;
  return bytes;
}

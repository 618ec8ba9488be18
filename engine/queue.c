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

int hebb__queue_push_slow(hebb_queue *q, uint64_t step, hebb_event ev) {
  if (step < q->now || step - q->now > q->mask)
    return HEBB_ERANGE;
  hebb_bucket *b = &q->b[step & q->mask];
  if (b->n == b->cap) {
    uint32_t cap = b->cap ? 2 * b->cap : 64;
    hebb_event *ne = realloc(b->ev, (size_t)cap * sizeof *ne);
    if (!ne)
      return HEBB_ENOMEM;
    b->ev = ne;
    b->cap = cap;
  }
  if (b->cap > q->scratch_cap) {
    /* keep the sort buffer as large as any bucket, so that popping never allocates */
    hebb_event *ns = realloc(q->scratch, (size_t)b->cap * sizeof *ns);
    if (!ns)
      return HEBB_ENOMEM;
    q->scratch = ns;
    q->scratch_cap = b->cap;
  }
  b->ev[b->n++] = ev;
  q->pushed++;
  return 0;
}

/* Least-significant-digit radix sort of events by their 32-bit keys: three passes of 11, 11
 * and 10 bits, their histograms taken in one read, and a pass skipped when all keys share its
 * digit (group starts rarely use the top bits). Each pass is stable, so equal keys keep their
 * order. The counts fit in L1, so a bucket of a few thousand events costs a few linear passes
 * rather than the clearing and summing of 65536-entry tables. */
#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_MASK (RADIX_SIZE - 1)

static void radix_sort(hebb_event *a, hebb_event *tmp, uint32_t n) {
  uint32_t count[3][RADIX_SIZE];
  memset(count, 0, sizeof count);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t x = (uint32_t)(a[i] >> 32);
    count[0][x & RADIX_MASK]++;
    count[1][(x >> RADIX_BITS) & RADIX_MASK]++;
    count[2][x >> 2 * RADIX_BITS]++;
  }
  hebb_event *src = a, *dst = tmp;
  for (int pass = 0; pass < 3; pass++) {
    uint32_t *c = count[pass];
    const int shift = 32 + pass * RADIX_BITS;
    if (c[(src[0] >> shift) & RADIX_MASK] == n)
      continue; /* every key has this digit: the pass would not move anything */
    uint32_t sum = 0;
    for (uint32_t d = 0; d < RADIX_SIZE; d++) {
      uint32_t k = c[d];
      c[d] = sum;
      sum += k;
    }
    for (uint32_t i = 0; i < n; i++) {
      hebb_event x = src[i];
      dst[c[(x >> shift) & RADIX_MASK]++] = x;
    }
    hebb_event *t = src;
    src = dst;
    dst = t;
  }
  if (src != a)
    memcpy(a, src, (size_t)n * sizeof *a);
}

static void insertion_sort(hebb_event *a, uint32_t n) {
  for (uint32_t i = 1; i < n; i++) {
    hebb_event x = a[i];
    uint32_t j = i;
    while (j > 0 && a[j - 1] >> 32 > x >> 32) {
      a[j] = a[j - 1];
      j--;
    }
    a[j] = x;
  }
}

const hebb_event *hebb_queue_pushed(const hebb_queue *q, uint64_t step, size_t *n) {
  const hebb_bucket *b = &q->b[step & q->mask];
  *n = b->n;
  return b->ev;
}

const hebb_event *hebb_queue_due(hebb_queue *q, uint64_t step, size_t *n) {
  hebb_bucket *b = &q->b[step & q->mask];
  uint32_t i = 1;
  while (i < b->n && b->ev[i - 1] >> 32 <= b->ev[i] >> 32)
    i++;
  if (i < b->n) {
    if (b->n < HEBB_QUEUE_RADIX_MIN)
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
  size_t bytes = (size_t)(q->mask + 1) * sizeof *q->b + (size_t)q->scratch_cap * sizeof(hebb_event);
  for (uint32_t i = 0; i <= q->mask; i++)
    bytes += (size_t)q->b[i].cap * sizeof(hebb_event);
  return bytes;
}

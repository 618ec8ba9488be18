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
  if (b->cap > q->max_cap)
    q->max_cap = b->cap;
  b->ev[b->n++] = ev;
  q->pushed++;
  return 0;
}

const hebb_event *hebb_queue_pushed(const hebb_queue *q, uint64_t step, size_t *n) {
  const hebb_bucket *b = &q->b[step & q->mask];
  *n = b->n;
  return b->ev;
}

void hebb_queue_pop(hebb_queue *q, uint64_t step) {
  q->b[step & q->mask].n = 0;
  q->now = step + 1;
}

size_t hebb_queue_bytes(const hebb_queue *q) {
  size_t bytes = (size_t)(q->mask + 1) * sizeof *q->b;
  for (uint32_t i = 0; i <= q->mask; i++)
    bytes += (size_t)q->b[i].cap * sizeof(hebb_event);
  return bytes;
}

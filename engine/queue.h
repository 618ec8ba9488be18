/* queue.h - the calendar queue that schedules spike deliveries on one partition.
 *
 * Delays are bounded, so the queue is a ring of per-step buckets (a calendar queue): pushing
 * an event for step s appends to bucket s mod ring size, and the events due at a step are
 * that bucket's contents. Both are O(1) amortised. An event is 64 bits: a 32-bit key in the
 * high half and a payload in the low half; the queue does not look inside. hebb_queue_pushed
 * hands a step's events back in the order they were pushed: the simulation pushes in the order
 * of invariant I1 (sim.c, exchange), so it never sorts; its events are what delivery needs of
 * a synapse group (sim_internal.h, group_event). Pushes happen at epoch boundaries, where
 * buckets may grow; popping never allocates.
 */
#ifndef HEBB_ENGINE_QUEUE_H
#define HEBB_ENGINE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/* An event: key << 32 | payload. */
typedef uint64_t hebb_event;

typedef struct {
  hebb_event *ev;
  uint32_t n, cap;
} hebb_bucket;

typedef struct {
  hebb_bucket *b;
  uint32_t mask;    /* ring size - 1, ring size a power of two */
  uint64_t now;     /* steps before now have been popped */
  uint32_t max_cap; /* the largest bucket's capacity: no step holds more events */
  uint64_t pushed;  /* events pushed so far */
} hebb_queue;

/* A queue that can hold events up to HORIZON steps after the current step. */
int hebb_queue_init(hebb_queue *q, uint32_t horizon, uint64_t now);
void hebb_queue_free(hebb_queue *q);
/* Schedules event EV at STEP, which must lie in [now, now + ring size - 1] (the ring is at
 * least horizon + 1 long). 0 or HEBB_ENOMEM, HEBB_ERANGE for a step outside the ring. */
static inline int hebb_queue_push(hebb_queue *q, uint64_t step, hebb_event ev);
/* hebb_queue_push's path for a full bucket or a step outside the ring */
int hebb__queue_push_slow(hebb_queue *q, uint64_t step, hebb_event ev);
/* The events due at STEP (== now), in the order they were pushed. */
const hebb_event *hebb_queue_pushed(const hebb_queue *q, uint64_t step, size_t *n);
/* Empties the bucket of STEP and advances now past it. */
void hebb_queue_pop(hebb_queue *q, uint64_t step);
/* Empties every bucket (keeping their memory) and sets now to NOW. */
void hebb_queue_reset(hebb_queue *q, uint64_t now);
/* Bytes held by the queue. */
size_t hebb_queue_bytes(const hebb_queue *q);

static inline int hebb_queue_push(hebb_queue *q, uint64_t step, hebb_event ev) {
  hebb_bucket *b = &q->b[step & q->mask];
  /* the fast path: a step in the ring and room in its bucket */
  if (step >= q->now && step - q->now <= q->mask && b->n < b->cap) {
    b->ev[b->n++] = ev;
    q->pushed++;
    return 0;
  }
  return hebb__queue_push_slow(q, step, ev);
}

#endif

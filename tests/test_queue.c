/* test_queue.c - tests of engine/queue: the calendar queue of spike deliveries.
 *
 * Every test keeps its own reference of what was pushed where (events drawn from a fixed
 * xorshift sequence, so a failure reproduces) and checks that hebb_queue_pushed hands back,
 * for each step, exactly those events in the order they were pushed, with their payloads:
 * nothing lost, nothing duplicated, nothing reordered, nothing delivered at the wrong step.
 * An event's payload is its push count. Bucket sizes range from empty to many doublings of a
 * bucket's first capacity, and the steps' pushes are interleaved.
 */
#include "queue.h"

#include "hebb.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64: a small, fixed, reproducible sequence */
static uint64_t rng_state;

static void rng_seed(uint64_t s) {
  rng_state = s ? s : 88172645463325252ull;
}

static uint64_t rng_next(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

static uint32_t rng_below(uint32_t n) {
  return (uint32_t)(rng_next() % n);
}

/* The expected events of one step. */
typedef struct {
  hebb_event *v;
  size_t n, cap;
} vec;

/* The payload of the next event pushed: events are numbered in push order. */
static uint32_t push_count;

static hebb_event event_of(uint32_t key) {
  return (hebb_event)key << 32 | push_count++;
}

static void vec_push(vec *r, hebb_event x) {
  if (r->n == r->cap) {
    r->cap = r->cap ? 2 * r->cap : 16;
    r->v = realloc(r->v, r->cap * sizeof *r->v);
    ck_assert_ptr_nonnull(r->v);
  }
  r->v[r->n++] = x;
}

/* The events of STEP are REF, in push order, and asking again gives them again. */
static void check_due(const hebb_queue *q, uint64_t step, const vec *ref) {
  for (int again = 0; again < 2; again++) {
    size_t n = 12345;
    const hebb_event *ev = hebb_queue_pushed(q, step, &n);
    ck_assert_msg(n == ref->n, "step %llu: %zu events due, expected %zu", (unsigned long long)step,
                  n, ref->n);
    for (size_t i = 0; i < n; i++)
      ck_assert_msg(ev[i] == ref->v[i], "step %llu: event %zu is %016llx, expected %016llx",
                    (unsigned long long)step, i, (unsigned long long)ev[i],
                    (unsigned long long)ref->v[i]);
  }
}

/* A key of one of three kinds: full 32-bit, small (many duplicates), or only high bits. The
 * queue must not look at it. */
static uint32_t draw_key(void) {
  switch (rng_below(3)) {
  case 0:
    return (uint32_t)rng_next();
  case 1:
    return rng_below(8); /* duplicates */
  default:
    return (uint32_t)rng_below(16) << 28 | rng_below(4); /* middle digit constant */
  }
}

/* Pushes COUNT[s] random events to each step s in [0, nsteps), interleaved in random step
 * order, then drains step by step. */
static void fill_and_drain(const uint32_t *count, uint32_t nsteps, uint64_t seed) {
  rng_seed(seed);
  hebb_queue q;
  ck_assert_int_eq(hebb_queue_init(&q, nsteps - 1, 0), 0);
  vec *ref = calloc(nsteps, sizeof *ref);
  uint32_t *left = malloc(nsteps * sizeof *left);
  ck_assert_ptr_nonnull(ref);
  ck_assert_ptr_nonnull(left);
  uint64_t total = 0;
  for (uint32_t s = 0; s < nsteps; s++) {
    left[s] = count[s];
    total += count[s];
  }
  for (uint64_t k = 0; k < total; k++) {
    /* a random step that still needs events, so steps are filled interleaved */
    uint32_t s = rng_below(nsteps);
    while (left[s] == 0)
      s = (s + 1) % nsteps;
    left[s]--;
    hebb_event ev = event_of(draw_key());
    ck_assert_int_eq(hebb_queue_push(&q, s, ev), 0);
    vec_push(&ref[s], ev);
  }
  ck_assert_uint_eq(q.pushed, total);
  ck_assert_uint_ge(hebb_queue_bytes(&q),
                    (size_t)nsteps * sizeof(hebb_bucket) + total * sizeof(hebb_event));
  for (uint32_t s = 0; s < nsteps; s++) {
    ck_assert_uint_eq(q.now, s);
    check_due(&q, s, &ref[s]);
    hebb_queue_pop(&q, s);
    free(ref[s].v);
  }
  ck_assert_uint_eq(q.now, nsteps);
  free(ref);
  free(left);
  hebb_queue_free(&q);
  ck_assert_ptr_null(q.b);
}

START_TEST(test_small_buckets) {
  /* sizes below two doublings of a bucket's first capacity (64), including 0, 1 and 2 */
  uint32_t count[64];
  rng_seed(7);
  for (int s = 0; s < 64; s++)
    count[s] = rng_below(160);
  count[3] = 0;
  count[5] = 1;
  count[6] = 2;
  count[9] = 64;
  count[10] = 65;
  fill_and_drain(count, 64, 11);
}
END_TEST

START_TEST(test_large_buckets) {
  /* buckets grown through many doublings, beside small ones */
  uint32_t count[16] = {160,   161, 300, 1000, 5000, 20000, 159, 0,
                        70000, 512, 160, 1,    4096, 3000,  161, 100000};
  fill_and_drain(count, 16, 12345);
}
END_TEST

/* The queue as the simulation uses it: now advances one step at a time over many multiples
 * of the ring size, and each step pushes events at now + horizon (the farthest allowed) and
 * at random offsets in [0, horizon]. Each event's key carries its own step in its high bits,
 * so a misplaced event is seen as such. */
static void wrap_around(uint32_t horizon, uint64_t start, uint64_t nsteps, uint64_t seed) {
  rng_seed(seed);
  hebb_queue q;
  ck_assert_int_eq(hebb_queue_init(&q, horizon, start), 0);
  const uint32_t ring = q.mask + 1;
  ck_assert_uint_gt(ring, horizon);
  ck_assert_uint_le(ring, 2 * horizon + 1); /* the next power of two above horizon */
  /* the reference: expected events of step s in ref[(s - start) % window] */
  const uint64_t window = (uint64_t)horizon + 1;
  vec *ref = calloc(window, sizeof *ref);
  ck_assert_ptr_nonnull(ref);
  uint64_t pushed = 0, popped = 0;
  for (uint64_t s = start; s < start + nsteps; s++) {
    uint32_t k = rng_below(6);
    for (uint32_t i = 0; i < k; i++) {
      uint64_t at = i == 0 ? s + horizon : s + rng_below(horizon + 1);
      hebb_event ev = event_of((uint32_t)(at - start) << 8 | rng_below(256));
      ck_assert_int_eq(hebb_queue_push(&q, at, ev), 0);
      vec_push(&ref[(at - start) % window], ev);
      pushed++;
    }
    vec *r = &ref[(s - start) % window];
    size_t n = 0;
    const hebb_event *ev = hebb_queue_pushed(&q, s, &n);
    for (size_t i = 0; i < n; i++)
      ck_assert_msg(ev[i] >> 40 == (uint32_t)(s - start),
                    "step %llu: got event of step %u (horizon %u)", (unsigned long long)s,
                    (unsigned)(ev[i] >> 40), horizon);
    check_due(&q, s, r);
    popped += r->n;
    r->n = 0;
    hebb_queue_pop(&q, s);
    ck_assert_uint_eq(q.now, s + 1);
  }
  /* what is still scheduled comes out at its step */
  for (uint64_t s = start + nsteps; s <= start + nsteps + horizon; s++) {
    vec *r = &ref[(s - start) % window];
    check_due(&q, s, r);
    popped += r->n;
    r->n = 0;
    hebb_queue_pop(&q, s);
  }
  ck_assert_uint_eq(popped, pushed);
  ck_assert_uint_eq(q.pushed, pushed);
  for (uint64_t i = 0; i < window; i++)
    free(ref[i].v);
  free(ref);
  hebb_queue_free(&q);
}

START_TEST(test_wrap_around) {
  wrap_around(15, 0, 16 * 500, 1);          /* ring of 16 = horizon + 1 */
  wrap_around(16, 0, 32 * 300, 2);          /* ring of 32 > horizon + 1 */
  wrap_around(1, 0, 2 * 2000, 3);           /* the smallest ring used (delay 1, epoch 1) */
  wrap_around(100, 123456789, 128 * 60, 4); /* start away from 0 */
}
END_TEST

START_TEST(test_range) {
  hebb_queue q;
  /* horizon 15: a ring of exactly 16 steps */
  ck_assert_int_eq(hebb_queue_init(&q, 15, 1000), 0);
  ck_assert_uint_eq(q.mask, 15);
  ck_assert_int_eq(hebb_queue_push(&q, 999, 1), HEBB_ERANGE);  /* the past */
  ck_assert_int_eq(hebb_queue_push(&q, 0, 1), HEBB_ERANGE);    /* far in the past */
  ck_assert_int_eq(hebb_queue_push(&q, 1016, 1), HEBB_ERANGE); /* now + horizon + 1 */
  ck_assert_int_eq(hebb_queue_push(&q, 1000 + 1000000, 1), HEBB_ERANGE);
  ck_assert_int_eq(hebb_queue_push(&q, UINT64_MAX, 1), HEBB_ERANGE);
  ck_assert_uint_eq(q.pushed, 0);
  ck_assert_int_eq(hebb_queue_push(&q, 1000, 5), 0); /* now */
  ck_assert_int_eq(hebb_queue_push(&q, 1015, 6), 0); /* now + horizon */
  /* refused pushes left nothing behind: the bucket of 1016 (= that of 1000) holds only 5 */
  size_t n = 0;
  const hebb_event *ev = hebb_queue_pushed(&q, 1000, &n);
  ck_assert_uint_eq(n, 1);
  ck_assert_uint_eq(ev[0], 5);
  hebb_queue_pop(&q, 1000);
  /* after the pop, 1000 is the past and 1016 within reach */
  ck_assert_int_eq(hebb_queue_push(&q, 1000, 1), HEBB_ERANGE);
  ck_assert_int_eq(hebb_queue_push(&q, 1016, 7), 0);
  ck_assert_int_eq(hebb_queue_push(&q, 1017, 1), HEBB_ERANGE);
  for (uint64_t s = 1001; s < 1015; s++) {
    hebb_queue_pushed(&q, s, &n);
    ck_assert_uint_eq(n, 0);
    hebb_queue_pop(&q, s);
  }
  ev = hebb_queue_pushed(&q, 1015, &n);
  ck_assert_uint_eq(n, 1);
  ck_assert_uint_eq(ev[0], 6);
  hebb_queue_pop(&q, 1015);
  ev = hebb_queue_pushed(&q, 1016, &n);
  ck_assert_uint_eq(n, 1);
  ck_assert_uint_eq(ev[0], 7);
  hebb_queue_pop(&q, 1016);
  ck_assert_uint_eq(q.pushed, 3);
  hebb_queue_free(&q);

  /* horizon 16 rounds the ring up to 32: the ring, not the horizon, bounds a push */
  ck_assert_int_eq(hebb_queue_init(&q, 16, 0), 0);
  ck_assert_uint_eq(q.mask, 31);
  ck_assert_int_eq(hebb_queue_push(&q, 16, 1), 0);
  ck_assert_int_eq(hebb_queue_push(&q, 31, 2), 0);
  ck_assert_int_eq(hebb_queue_push(&q, 32, 3), HEBB_ERANGE);
  hebb_queue_free(&q);

  /* horizon 0: a ring of one step, only now */
  ck_assert_int_eq(hebb_queue_init(&q, 0, 5), 0);
  ck_assert_uint_eq(q.mask, 0);
  ck_assert_int_eq(hebb_queue_push(&q, 5, 1), 0);
  ck_assert_int_eq(hebb_queue_push(&q, 6, 1), HEBB_ERANGE);
  hebb_queue_free(&q);
}
END_TEST

START_TEST(test_pop_empties) {
  hebb_queue q;
  ck_assert_int_eq(hebb_queue_init(&q, 7, 0), 0);
  for (uint32_t k = 0; k < 300; k++)
    ck_assert_int_eq(hebb_queue_push(&q, 2, (hebb_event)(300 - k) << 32 | k), 0);
  size_t n = 0;
  for (uint64_t s = 0; s < 2; s++) {
    hebb_queue_pushed(&q, s, &n);
    ck_assert_uint_eq(n, 0);
    hebb_queue_pop(&q, s);
  }
  const hebb_event *ev = hebb_queue_pushed(&q, 2, &n);
  ck_assert_uint_eq(n, 300);
  for (uint32_t k = 0; k < 300; k++) /* as pushed: descending keys stay descending */
    ck_assert_uint_eq(ev[k], (hebb_event)(300 - k) << 32 | k);
  hebb_queue_pop(&q, 2);
  ck_assert_uint_eq(q.now, 3);
  /* the same bucket one ring later starts empty */
  ev = hebb_queue_pushed(&q, 2 + 8, &n);
  ck_assert_uint_eq(n, 0);
  ck_assert_int_eq(hebb_queue_push(&q, 10, 77), 0);
  ev = hebb_queue_pushed(&q, 10, &n);
  ck_assert_uint_eq(n, 1);
  ck_assert_uint_eq(ev[0], 77);
  /* popping keeps the memory: bytes hold the grown bucket, and no step can hold more */
  ck_assert_uint_ge(hebb_queue_bytes(&q), 8 * sizeof(hebb_bucket) + 300 * sizeof(hebb_event));
  ck_assert_uint_ge(q.max_cap, 300);
  hebb_queue_free(&q);
}
END_TEST

START_TEST(test_bytes) {
  hebb_queue q;
  ck_assert_int_eq(hebb_queue_init(&q, 100, 0), 0);
  size_t empty = hebb_queue_bytes(&q);
  ck_assert_uint_eq(empty, 128 * sizeof(hebb_bucket));
  ck_assert_int_eq(hebb_queue_push(&q, 1, 1), 0);
  size_t one = hebb_queue_bytes(&q);
  ck_assert_uint_gt(one, empty);
  ck_assert_uint_ge(one, empty + sizeof(hebb_event)); /* a bucket's array */
  for (uint32_t k = 0; k < 10000; k++)
    ck_assert_int_eq(hebb_queue_push(&q, 1 + k % 50, k), 0);
  ck_assert_uint_ge(hebb_queue_bytes(&q), empty + 10001 * sizeof(hebb_event));
  hebb_queue_free(&q);
}
END_TEST

static Suite *queue_suite(void) {
  Suite *s = suite_create("queue");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_small_buckets);
  tcase_add_test(tc, test_large_buckets);
  tcase_add_test(tc, test_wrap_around);
  tcase_add_test(tc, test_range);
  tcase_add_test(tc, test_pop_empties);
  tcase_add_test(tc, test_bytes);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(queue_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* queue_bench.c - benchmark B6 (BENCHMARKS.md): the event queue alone.
 *
 * Replays the delivery events of the cortical microcircuit (B5) through Hebb's calendar queue
 * (engine/queue.c) and, with the very same events, through a binary heap of (step, event)
 * keys, the textbook alternative, and prints one JSON object: events per second of wall time
 * for each, and the bytes each holds per queued event at the peak. Nothing else of the engine
 * runs, so the figures are the scheduler's alone.
 *
 * The event stream is B5's at full scale (or a fraction --scale of it): every step each
 * population emits a Poisson number of spikes at its published rate; every spike reaches, in
 * each target population, the mean out-degree of synapses of its projection, each with a
 * delay drawn from B5's distribution (normal, mean 1.5 ms for excitatory and 0.75 ms for
 * inhibitory sources, relative s.d. 0.5, redrawn outside [dt, 5 x mean]; rounded to steps).
 * With --mode group (the default) a spike pushes one event per distinct (target population,
 * delay) of its synapses, as the engine does (an event names a synapse group, DESIGN.md);
 * with --mode synapse it pushes one event per synapse (about 1e9 per model second), as a
 * simulator without groups would. Both queues must hand back the same events in the same
 * order; a checksum over the popped sequence checks it, and the program fails (exit 1) when
 * they differ. The order within a step is that of the pushes, what the engine delivers in
 * (its exchange pushes in the order of invariant I1): the calendar hands a bucket back as it
 * is (hebb_queue_pushed) and the heap's keys are (step, push count).
 *
 * Only the queue operations are timed: the events of a step are drawn first, then pushed
 * into each queue under the clock, and each queue's due events are popped under the clock;
 * the first largest delay (7.5 ms, while the queues fill) is not timed. Events per second
 * count each event half at its push and half at its pop. Bytes per event are the queue's
 * memory at the end (a calendar's buckets keep their largest size) over the peak number of
 * events in flight.
 *
 * usage: queue_bench [--duration MS] [--scale S] [--mode group|synapse]
 *                    [--queue both|calendar|heap] [--seed N]
 */
#define _POSIX_C_SOURCE 199309L

#include "queue.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NPOP 8
#define DT_MS 0.1
/* B5's largest delay: 5 x the excitatory mean of 1.5 ms, in steps (perf/gen_b5.py) */
#define MAX_DELAY_STEPS 75

/* B5's populations, synapse counts K[target][source] (fixed_total_number of the full-scale
 * model, 298 880 968 in all, as perf/gen_b5.py and ../shared/peers/params.py compute them)
 * and expected rates (Hz). */
static const uint32_t pop_size[NPOP] = {20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948};
static const double pop_rate_hz[NPOP] = {0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523};
static const uint64_t syn_count[NPOP][NPOP] = {
    {45499805, 22323577, 20253647, 9670918, 3293578, 0, 2271404, 0},
    {17443694, 5018763, 4105338, 1690074, 2221213, 0, 353461, 0},
    {3503670, 756561, 24482849, 17413576, 714524, 7003, 14624432, 0},
    {8114254, 92832, 9933538, 5223272, 87836, 0, 8810905, 0},
    {10613575, 1817058, 5507804, 151900, 2040738, 2407889, 1438969, 0},
    {1241436, 169424, 607667, 12851, 319602, 430444, 132414, 0},
    {4681225, 556108, 6727570, 1320234, 4112225, 305029, 8372649, 10827677},
    {2260836, 17207, 220033, 8078, 401638, 25218, 2888426, 1354320}};

/* ---- random numbers: splitmix64, fixed and reproducible ---------------------------------- */

static uint64_t rng_state = 1;

static uint64_t rng_u64(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static double rng_unit(void) {
  return (double)(rng_u64() >> 11) * 0x1.0p-53;
}

static double rng_normal(void) {
  double u = rng_unit(), v = rng_unit();
  return sqrt(-2.0 * log1p(-u)) * cos(6.283185307179586 * v);
}

/* Poisson by multiplication of uniforms: the means here are a few per step. */
static uint32_t rng_poisson(double mean) {
  double l = exp(-mean), p = 1.0;
  uint32_t k = 0;
  for (;;) {
    p *= rng_unit();
    if (p <= l)
      return k;
    k++;
  }
}

/* ---- the binary heap: keys (step << 32 | event), smallest first --------------------------- */

typedef struct {
  uint64_t *k;
  size_t n, cap;
} heap;

static int heap_push(heap *h, uint64_t key) {
  if (h->n == h->cap) {
    size_t cap = h->cap ? 2 * h->cap : 1024;
    uint64_t *nk = realloc(h->k, cap * sizeof *nk);
    if (!nk)
      return -1;
    h->k = nk;
    h->cap = cap;
  }
  size_t i = h->n++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (h->k[parent] <= key)
      break;
    h->k[i] = h->k[parent];
    i = parent;
  }
  h->k[i] = key;
  return 0;
}

static uint64_t heap_pop(heap *h) {
  uint64_t top = h->k[0], last = h->k[--h->n];
  size_t i = 0, n = h->n;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n)
      break;
    if (c + 1 < n && h->k[c + 1] < h->k[c])
      c++;
    if (last <= h->k[c])
      break;
    h->k[i] = h->k[c];
    i = c;
  }
  if (n)
    h->k[i] = last;
  return top;
}

/* ---- the event stream ------------------------------------------------------------------- */

typedef struct {
  uint64_t step;
  uint32_t ev;
} event;

typedef struct {
  event *v;
  size_t n, cap;
} events;

static int events_add(events *e, uint64_t step, uint32_t ev) {
  if (e->n == e->cap) {
    size_t cap = e->cap ? 2 * e->cap : 4096;
    event *nv = realloc(e->v, cap * sizeof *nv);
    if (!nv)
      return -1;
    e->v = nv;
    e->cap = cap;
  }
  e->v[e->n++] = (event){step, ev};
  return 0;
}

/* A delay in steps from B5's distribution for a source population. */
static uint32_t draw_delay_steps(int src) {
  double mean = src % 2 == 0 ? 1.5 : 0.75, sd = 0.5 * mean, d;
  do
    d = mean + sd * rng_normal();
  while (d < DT_MS || d > 5.0 * mean);
  long s = lround(d / DT_MS);
  return s < 1 ? 1 : (uint32_t)s;
}

/* Appends to E the events that a spike of neuron GID in population SRC, emitted in step NOW,
 * schedules. */
static int spike_events(events *e, int src, uint32_t gid, uint64_t now, int per_synapse,
                        uint32_t max_delay) {
  uint8_t seen[MAX_DELAY_STEPS + 1];
  for (int t = 0; t < NPOP; t++) {
    double mean_out = (double)syn_count[t][src] / pop_size[src];
    if (mean_out == 0)
      continue;
    /* the mean out-degree, its fraction resolved at random */
    uint32_t m = (uint32_t)mean_out + (rng_unit() < mean_out - floor(mean_out));
    memset(seen, 0, sizeof seen);
    for (uint32_t j = 0; j < m; j++) {
      uint32_t d = draw_delay_steps(src);
      if (d > max_delay)
        d = max_delay;
      uint32_t ev;
      if (per_synapse) {
        ev = (uint32_t)rng_u64(); /* a synapse: any 32-bit id */
      } else {
        if (seen[d])
          continue;
        seen[d] = 1;
        /* a group id in the engine's order: source, projection, delay */
        ev = (gid * NPOP + (uint32_t)t) * (MAX_DELAY_STEPS + 1) + d;
      }
      if (events_add(e, now + d, ev))
        return -1;
    }
  }
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* order-sensitive checksum of the popped sequence */
static uint64_t mix(uint64_t h, uint64_t step, uint32_t ev) {
  return (h ^ (step << 32 | ev)) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
}

static void usage(void) {
  fprintf(stderr, "usage: queue_bench [--duration MS] [--scale S] [--mode group|synapse]\n"
                  "                   [--queue both|calendar|heap] [--seed N]\n");
}

int main(int argc, char **argv) {
  double duration_ms = 100.0, scale = 1.0;
  int per_synapse = 0, use_cal = 1, use_heap = 1;
  uint64_t seed = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage();
      return 0;
    }
    if (!v) {
      usage();
      return 2;
    }
    i++;
    if (!strcmp(a, "--duration"))
      duration_ms = atof(v);
    else if (!strcmp(a, "--scale"))
      scale = atof(v);
    else if (!strcmp(a, "--seed"))
      seed = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--mode") && (!strcmp(v, "group") || !strcmp(v, "synapse")))
      per_synapse = !strcmp(v, "synapse");
    else if (!strcmp(a, "--queue") && !strcmp(v, "both"))
      use_cal = use_heap = 1;
    else if (!strcmp(a, "--queue") && !strcmp(v, "calendar"))
      use_cal = 1, use_heap = 0;
    else if (!strcmp(a, "--queue") && !strcmp(v, "heap"))
      use_cal = 0, use_heap = 1;
    else {
      usage();
      return 2;
    }
  }
  if (!(duration_ms > 0) || !(scale > 0) || scale > 1) {
    fprintf(stderr, "queue_bench: --duration must be positive and --scale in (0, 1]\n");
    return 2;
  }
  rng_state = seed;
  const uint64_t steps = (uint64_t)llround(duration_ms / DT_MS);
  const uint32_t max_delay = MAX_DELAY_STEPS;

  hebb_queue q;
  if (hebb_queue_init(&q, max_delay, 0)) {
    fprintf(stderr, "queue_bench: out of memory\n");
    return 1;
  }
  heap h = {0};
  events batch = {0};
  double t_cal_push = 0, t_cal_pop = 0, t_heap_push = 0, t_heap_pop = 0;
  uint64_t sum_cal = 0, sum_heap = 0, pushed = 0, popped_cal = 0, popped_heap = 0;
  uint64_t in_flight = 0, peak_in_flight = 0, spikes = 0;
  double in_flight_sum = 0;
  size_t peak_heap_cap = 0;
  /* the queues fill during the first largest delay; time the steady state after it */
  const uint64_t warm = steps / 2 < MAX_DELAY_STEPS ? steps / 2 : MAX_DELAY_STEPS;
  uint64_t timed_pushes = 0, popped_before_timing = 0;

  for (uint64_t n = 0; n < steps; n++) {
    const int timed = n >= warm;
    /* deliver: the events due at n */
    double t0 = now_s();
    if (use_cal) {
      size_t ne;
      const hebb_event *ev = hebb_queue_pushed(&q, n, &ne);
      for (size_t i = 0; i < ne; i++) /* the push count */
        sum_cal = mix(sum_cal, n, (uint32_t)ev[i]);
      hebb_queue_pop(&q, n);
      popped_cal += ne;
    }
    double t1 = now_s();
    if (use_heap) {
      while (h.n && h.k[0] >> 32 == n) {
        uint64_t k = heap_pop(&h);
        sum_heap = mix(sum_heap, n, (uint32_t)k);
        popped_heap++;
      }
    }
    double t2 = now_s();
    if (timed) {
      t_cal_pop += t1 - t0;
      t_heap_pop += t2 - t1;
    } else {
      popped_before_timing = use_cal ? popped_cal : popped_heap;
    }

    /* the spikes of step n, and the events they schedule (not timed) */
    batch.n = 0;
    uint32_t first_gid = 0;
    for (int p = 0; p < NPOP; p++) {
      uint32_t k = rng_poisson(scale * pop_size[p] * pop_rate_hz[p] * DT_MS * 1e-3);
      spikes += k;
      for (uint32_t j = 0; j < k; j++) {
        uint32_t gid = first_gid + (uint32_t)(rng_u64() % pop_size[p]);
        if (spike_events(&batch, p, gid, n, per_synapse, max_delay)) {
          fprintf(stderr, "queue_bench: out of memory\n");
          return 1;
        }
      }
      first_gid += pop_size[p];
    }
    const uint64_t base = pushed; /* the push count of the batch's first event */
    pushed += batch.n;
    if (pushed > UINT32_MAX) {
      fprintf(stderr, "queue_bench: more than 2^32 events; shorten --duration\n");
      return 2;
    }

    t0 = now_s();
    if (use_cal)
      for (size_t i = 0; i < batch.n; i++)
        if (hebb_queue_push(&q, batch.v[i].step,
                            (hebb_event)batch.v[i].ev << 32 | (uint32_t)(base + i))) {
          fprintf(stderr, "queue_bench: calendar push failed\n");
          return 1;
        }
    t1 = now_s();
    if (use_heap)
      for (size_t i = 0; i < batch.n; i++)
        if (heap_push(&h, batch.v[i].step << 32 | (uint32_t)(base + i))) {
          fprintf(stderr, "queue_bench: out of memory\n");
          return 1;
        }
    t2 = now_s();
    if (timed) {
      t_cal_push += t1 - t0;
      t_heap_push += t2 - t1;
      timed_pushes += batch.n;
    }

    /* events in flight after this step's pushes: pushed minus popped */
    in_flight = pushed - (use_cal ? popped_cal : popped_heap);
    if (in_flight > peak_in_flight)
      peak_in_flight = in_flight;
    in_flight_sum += (double)in_flight;
    if (h.cap > peak_heap_cap)
      peak_heap_cap = h.cap;
  }
  int match = !(use_cal && use_heap) || (sum_cal == sum_heap && popped_cal == popped_heap);
  /* events per second: each event timed once at its push and once at its pop, so the
   * throughput is (pushes + pops) / 2 over the time of both, in the timed steps */
  const uint64_t popped = use_cal ? popped_cal : popped_heap;
  const double timed_events = 0.5 * (double)(timed_pushes + popped - popped_before_timing);

  printf("{\"bench\": \"queue\", \"mode\": \"%s\", \"duration_ms\": %g, \"scale\": %g, "
         "\"steps\": %llu, \"warmup_steps\": %llu, \"spikes\": %llu, \"events_pushed\": %llu, "
         "\"events_popped\": %llu, \"peak_in_flight\": %llu, \"mean_in_flight\": %.1f",
         per_synapse ? "synapse" : "group", duration_ms, scale, (unsigned long long)steps,
         (unsigned long long)warm, (unsigned long long)spikes, (unsigned long long)pushed,
         (unsigned long long)popped, (unsigned long long)peak_in_flight,
         in_flight_sum / (double)steps);
  if (use_cal) {
    size_t bytes = hebb_queue_bytes(&q);
    double t = t_cal_push + t_cal_pop;
    printf(", \"calendar\": {\"push_s\": %.6f, \"pop_s\": %.6f, \"events_per_s\": %.6g, "
           "\"bytes\": %zu, \"bytes_per_event\": %.3f}",
           t_cal_push, t_cal_pop, t > 0 ? timed_events / t : 0.0, bytes,
           peak_in_flight ? (double)bytes / (double)peak_in_flight : 0.0);
  }
  if (use_heap) {
    size_t bytes = peak_heap_cap * sizeof *h.k;
    double t = t_heap_push + t_heap_pop;
    printf(", \"heap\": {\"push_s\": %.6f, \"pop_s\": %.6f, \"events_per_s\": %.6g, "
           "\"bytes\": %zu, \"bytes_per_event\": %.3f}",
           t_heap_push, t_heap_pop, t > 0 ? timed_events / t : 0.0, bytes,
           peak_in_flight ? (double)bytes / (double)peak_in_flight : 0.0);
  }
  printf(", \"same_order\": %s}\n", match ? "true" : "false");
  hebb_queue_free(&q);
  free(h.k);
  free(batch.v);
  if (!match) {
    fprintf(stderr, "queue_bench: the calendar queue and the heap popped different events\n");
    return 1;
  }
  return 0;
}

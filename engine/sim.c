/* sim.c - the simulation: partitions, their construction, and the epoch loop.
 *
 * Neurons are dealt round-robin to P partitions (gid g lives on partition g mod P at local
 * index g / P, so each population is a contiguous block of local indices on every
 * partition). A partition owns its neurons' state, the synapses *onto* them grouped by
 * (source gid, projection, delay), a calendar queue of pending group deliveries, and an
 * outbox of the spikes it emitted. One OpenMP thread runs one partition, pinned to a core.
 *
 * Time runs in epochs of d_min steps (the smallest synaptic delay): inside an epoch no
 * partition needs another's spikes, so partitions only meet at one barrier per epoch, after
 * which each reads every outbox and queues the deliveries for its own synapses. Outboxes
 * are double-buffered by epoch parity so the next epoch can start without a second barrier.
 *
 * Determinism (invariant I1): every random number is keyed by global ids (rng.h), synapses
 * are generated per target (or per source / per pair) from their own streams, and a
 * partition delivers the events of a step in the order (spike step, source gid, projection,
 * delay) whatever the partitioning: the exchange merges the outboxes in (step, gid) order
 * and pushes each spike's groups in group order, so each bucket fills in that order and is
 * delivered as it was filled. Each neuron therefore sums its inputs in the same order on any
 * number of threads.
 */
#define _GNU_SOURCE /* syscall(SYS_perf_event_open) */
#include "poisson.h"
#include "rng.h"
#include "sim_internal.h"

#include "bigmem.h"

#ifdef __AVX__
#include <immintrin.h>
#include <sleef.h> /* vector log and cos of the build's normal draws (draw_lanes) */
#endif
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <linux/perf_event.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *const phase_names[PH_COUNT] = {
    "deliver", "update", "exchange", "barrier_wait", "record", "plasticity", "checkpoint"};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ------------------------------------------------------------------------------------- */
/* Growth of buffers. Outboxes and recorders grow amortised; a failure marks the partition. */

static int spk_push(spkbuf *b, uint64_t step, uint32_t gid) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 1024;
    spk *nv = realloc(b->v, cap * sizeof *nv);
    if (!nv)
      return HEBB_ENOMEM;
    b->v = nv;
    b->cap = cap;
  }
  b->v[b->n].step = step;
  b->v[b->n].gid = gid;
  b->n++;
  return 0;
}

static int sample_push(samplebuf *b, hebb_sample s) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 1024;
    hebb_sample *nv = realloc(b->v, cap * sizeof *nv);
    if (!nv)
      return HEBB_ENOMEM;
    b->v = nv;
    b->cap = cap;
  }
  b->v[b->n++] = s;
  return 0;
}

static void part_fail(partition *pt, int rc, const char *what) {
  if (pt->rc == 0) {
    pt->rc = rc;
    snprintf(pt->msg, sizeof pt->msg, "partition %d: %s: %s", pt->id, what, hebb_strerror(rc));
  }
}

/* ------------------------------------------------------------------------------------- */
/* Layout */

static uint32_t local_begin(uint32_t gid0, int P, int p) {
  /* the smallest l with l * P + p >= gid0 */
  return gid0 <= (uint32_t)p ? 0 : (gid0 - (uint32_t)p + (uint32_t)P - 1) / (uint32_t)P;
}

static uint32_t part_gid(const partition *pt, int P, uint32_t local) {
  return local * (uint32_t)P + (uint32_t)pt->id;
}

/* ------------------------------------------------------------------------------------- */
/* Random values */

static double draw(hebb_rng *r, hebb_dist d) {
  switch (d.kind) {
  case HEBB_DIST_UNIFORM:
    return d.a + (d.b - d.a) * hebb_rng_uniform(r);
  case HEBB_DIST_NORMAL:
    return d.a + d.b * hebb_rng_normal(r);
  case HEBB_DIST_NORMAL_CLIPPED:
    for (;;) {
      double x = d.a + d.b * hebb_rng_normal(r);
      if (x >= d.lo && x <= d.hi)
        return x;
    }
  default:
    return d.a;
  }
}

/* The value of distribution D for element (id, index) of STREAM. */
static double draw_keyed(uint64_t seed, uint32_t stream, uint32_t id, uint64_t index, hebb_dist d) {
  if (d.kind == HEBB_DIST_CONSTANT)
    return d.a;
  hebb_rng r;
  hebb_rng_init(&r, seed, stream, id, index);
  return draw(&r, d);
}

/* ------------------------------------------------------------------------------------- */
/* Neuron state */

/* What to add to stored state variable VAR of block B to report it: the iaf_psc_* models
 * keep V_m relative to E_L, as NEST does. */
static double state_offset(const block *b, int var) {
  return var == 0 && b->mp->desc->kind != HEBB_NM_IAF_COND_EXP ? b->k.e_l : 0.0;
}

static int build_neurons(hebb_sim *s, partition *pt) {
  const hebb_model *m = s->m;
  const int P = s->P;
  uint32_t N = (uint32_t)m->total_neurons;
  pt->n_local = N > (uint32_t)pt->id ? (N - (uint32_t)pt->id + (uint32_t)P - 1) / (uint32_t)P : 0;
  size_t n = pt->n_local ? pt->n_local : 1;
  pt->spiked = calloc(n, sizeof(uint32_t));
  pt->blocks = calloc((size_t)m->npops, sizeof(block));
  if (!pt->spiked || !pt->blocks)
    return HEBB_ENOMEM;
  for (int i = 0; i < m->npops; i++) {
    const hebb_pop *mp = &m->pops[i];
    block *b = &pt->blocks[pt->nblocks++];
    b->pop = i;
    b->mp = mp;
    b->l0 = local_begin(mp->gid0, P, pt->id);
    b->n = local_begin(mp->gid0 + mp->size, P, pt->id) - b->l0;
    char msg[160];
    int prec = hebb_nm_option_index(mp->desc, "precision");
    if (hebb_nm_prepare(mp->desc, mp->params, mp->options, m->dt, &b->k, msg, sizeof msg)) {
      snprintf(pt->msg, sizeof pt->msg, "population '%s': %s", mp->name, msg);
      return HEBB_ERANGE;
    }
    if (hebb_nm_state_alloc(&b->st, b->n, prec >= 0 && mp->options[prec] == 1))
      return HEBB_ENOMEM;
    for (size_t v = 0; v < mp->desc->nstates; v++) {
      hebb_dist d = mp->initial[v];
      if (isnan(d.a) && d.kind == HEBB_DIST_CONSTANT)
        d.a = b->k.e_l; /* V_m starts at E_L, as in NEST */
      /* psc models keep V relative to E_L */
      double shift = state_offset(b, (int)v);
      uint32_t stream = hebb_stream(HEBB_STREAM_INITIAL, (uint32_t)(i * HEBB_MAX_STATES + (int)v));
      for (uint32_t l = 0; l < b->n; l++) {
        uint32_t gid = part_gid(pt, P, b->l0 + l);
        hebb_nm_state_set(&b->st, (int)v, l, draw_keyed(m->seed, stream, gid, 0, d) - shift);
      }
    }
    if (mp->desc->kind == HEBB_NM_SPIKE_GENERATOR && b->n) {
      b->sg_step = calloc(b->n, sizeof *b->sg_step);
      b->sg_n = calloc(b->n, sizeof *b->sg_n);
      b->sg_pos = calloc(b->n, sizeof *b->sg_pos);
      if (!b->sg_step || !b->sg_n || !b->sg_pos)
        return HEBB_ENOMEM;
      for (uint32_t l = 0; l < b->n; l++) {
        uint32_t idx = part_gid(pt, P, b->l0 + l) - mp->gid0;
        size_t cnt = mp->n_spike_times[idx];
        if (!cnt)
          continue;
        b->sg_step[l] = malloc(cnt * sizeof(uint64_t));
        if (!b->sg_step[l])
          return HEBB_ENOMEM;
        /* a spike stamped t is produced during the step that ends at t */
        for (size_t j = 0; j < cnt; j++)
          b->sg_step[l][j] = (uint64_t)llround(mp->spike_times[idx][j] / m->dt) - 1;
        b->sg_n[l] = (uint32_t)cnt;
      }
    }
  }
  return 0;
}

/* ------------------------------------------------------------------------------------- */
/* Connectivity */

typedef struct {
  uint32_t src; /* gid */
  uint32_t tgt; /* local index */
  float w;
  uint16_t delay;
  uint16_t proj;
} synrec;

typedef struct {
  synrec *v;
  size_t n, cap;
} synbuf;

/* A synapse of the projection being filled (12 bytes against 16 of a synrec): its source is
 * implicit in its slot, and its projection is the one being filled. The walk stores its
 * ordinal, fill_values then its weight and delay. */
typedef struct {
  uint32_t tgt; /* block-local */
  union {
    uint32_t ord; /* fits: at most the partition's synapses, checked to fit in 32 bits */
    float w;
  };
  uint16_t delay;
} fillrec;

/* What a walk of a projection's connectivity (generate) does with each synapse it draws.
 * Synapses are built in two walks that draw the same pairs in the same order: the first
 * only counts them per source, so that the second can place them in the partition's final
 * layout projection by projection (build_synapses). Generators' direct and dc projections,
 * which are small, still collect records. */
enum {
  GEN_RECORDS, /* append a synrec to out */
  GEN_COUNT,   /* count per source neuron, note the largest target index */
  GEN_FILL,    /* store target and ordinal at the source's cursor (fill_values draws) */
};

/* The counting walk of a per-target rule (pairwise_bernoulli, fixed_indegree: each target's
 * synapses drawn one after the other, with ordinals 0, 1, ...) kept for the filling walk,
 * which then replays it instead of drawing again: 4 bytes a synapse, while the partition's
 * records stay within WALK_BUDGET bytes (above that, the projection is walked twice;
 * fixed_total_number is always walked twice: recording it measured no faster on B5). */
typedef struct {
  uint32_t *src; /* source gids in generation order; NULL: not kept */
  size_t n, cap;
  uint32_t *per_tgt; /* synapses of each target of the block, in order */
} walkrec;

enum { WALK_BUDGET = 256 << 20 };

typedef struct {
  const hebb_model *m;
  const hebb_proj *pj;
  int proj;
  partition *pt;
  int P;
  synbuf *out;
  bool cond; /* conductance target: |w| */
  int rc;
  int mode;
  uint32_t src0, tl0; /* source gid0, target block's first local index */
  uint32_t *cnt;      /* GEN_COUNT: synapses per source index */
  uint32_t max_tgt;   /* GEN_COUNT: largest block-local target index */
  uint64_t *cur;      /* GEN_FILL: per source index, next slot in fill */
  fillrec *fill;      /* GEN_FILL: the projection's synapses on this partition, by source */
  walkrec *walk;      /* GEN_COUNT: record the walk here; GEN_FILL: replay it */
  size_t walk_left;   /* GEN_COUNT: bytes the record may take */
} genctx;

static void walk_free(walkrec *w) {
  free(w->src);
  free(w->per_tgt);
  w->src = w->per_tgt = NULL;
}

static void emit(genctx *g, uint32_t src_gid, uint32_t tgt_local, uint64_t ordinal) {
  if (g->rc)
    return;
  if (g->mode == GEN_COUNT) {
    g->cnt[src_gid - g->src0]++;
    if (tgt_local - g->tl0 > g->max_tgt)
      g->max_tgt = tgt_local - g->tl0;
    walkrec *w = g->walk;
    if (w && w->src) {
      if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 4096;
        uint32_t *nv = cap * sizeof *nv <= g->walk_left ? realloc(w->src, cap * sizeof *nv) : NULL;
        if (!nv) { /* over budget or out of memory: walk again instead */
          walk_free(w);
          return;
        }
        w->src = nv;
        w->cap = cap;
      }
      w->src[w->n++] = src_gid;
      w->per_tgt[tgt_local - g->tl0]++;
    }
    return;
  }
  if (g->mode == GEN_FILL) {
    g->fill[g->cur[src_gid - g->src0]++] = (fillrec){tgt_local - g->tl0, {(uint32_t)ordinal}, 0};
    return;
  }
  synbuf *b = g->out;
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 4096;
    synrec *nv = realloc(b->v, cap * sizeof *nv);
    if (!nv) {
      g->rc = HEBB_ENOMEM;
      return;
    }
    b->v = nv;
    b->cap = cap;
  }
  const hebb_model *m = g->m;
  uint32_t tgt_gid = part_gid(g->pt, g->P, tgt_local);
  double w = draw_keyed(m->seed, hebb_stream(HEBB_STREAM_WEIGHT, (uint32_t)g->proj), tgt_gid,
                        ordinal, g->pj->spec.weight);
  double d = draw_keyed(m->seed, hebb_stream(HEBB_STREAM_DELAY, (uint32_t)g->proj), tgt_gid,
                        ordinal, g->pj->spec.delay_ms);
  uint32_t ds = hebb__delay_steps(d, m->dt);
  if (ds < 1)
    ds = 1;
  synrec *r = &b->v[b->n++];
  r->src = src_gid;
  r->tgt = tgt_local;
  r->w = (float)(g->cond ? fabs(w) : w);
  r->delay = (uint16_t)ds;
  r->proj = (uint16_t)g->proj;
}

/* Bit set used to refuse multapses while drawing. */
typedef struct {
  uint64_t *bits;
  uint32_t *set;
  size_t nset;
} drawnset;

static bool drawn_test_set(drawnset *d, uint64_t x) {
  uint64_t mask = 1ull << (x & 63);
  if (d->bits[x >> 6] & mask)
    return true;
  d->bits[x >> 6] |= mask;
  d->set[d->nset++] = (uint32_t)x;
  return false;
}

static void drawn_clear(drawnset *d) {
  for (size_t i = 0; i < d->nset; i++)
    d->bits[d->set[i] >> 6] = 0;
  d->nset = 0;
}

static int drawn_init(drawnset *d, uint64_t universe, uint64_t draws) {
  d->bits = calloc(universe / 64 + 1, sizeof(uint64_t));
  d->set = malloc((draws + 1) * sizeof(uint32_t));
  d->nset = 0;
  return d->bits && d->set ? 0 : HEBB_ENOMEM;
}

static void drawn_free(drawnset *d) {
  free(d->bits);
  free(d->set);
}

/* hebb_philox_lanes, out of line: inlined into the loops of generate and fill_values, GCC 12
 * left it scalar (no vector multiply), about twice as slow per block as this copy, which it
 * vectorises. The same arithmetic either way: the integers are exact. */
__attribute__((noinline)) static void philox_lanes(uint32_t c[4][HEBB_PHILOX_LANES],
                                                   uint64_t seed) {
  hebb_philox_lanes(c, seed);
}

/* The uniform integers hebb_rng_below draws from sequence (stream, id, 0), the Philox blocks
 * computed HEBB_PHILOX_LANES at a time (block b has the counter {id, b, b >> 32, stream}):
 * the same values, several times faster than one block at a time. */
typedef struct {
  uint32_t c[4][HEBB_PHILOX_LANES];
  uint64_t seed, block; /* the next block to compute */
  uint32_t stream, id;
  int pos; /* the next draw in c, two words each */
} belowseq;

static void belowseq_init(belowseq *q, uint64_t seed, uint32_t stream, uint32_t id) {
  q->seed = seed;
  q->stream = stream;
  q->id = id;
  q->block = 0;
  q->pos = 2 * HEBB_PHILOX_LANES;
}

static inline uint64_t belowseq_next(belowseq *q, uint64_t n) {
  if (q->pos == 2 * HEBB_PHILOX_LANES) {
    for (int i = 0; i < HEBB_PHILOX_LANES; i++) {
      q->c[0][i] = q->id;
      q->c[1][i] = (uint32_t)(q->block + (uint64_t)i);
      q->c[2][i] = (uint32_t)((q->block + (uint64_t)i) >> 32);
      q->c[3][i] = q->stream;
    }
    philox_lanes(q->c, q->seed);
    q->block += HEBB_PHILOX_LANES;
    q->pos = 0;
  }
  int b = q->pos >> 1, w = (q->pos & 1) << 1;
  q->pos++;
  return hebb_below2(q->c[w][b], q->c[w + 1][b], n);
}

/* A hebb_rng as GSL's generator (gsl_ran_binomial draws from it): 53-bit uniforms. */
static unsigned long gsl_philox_get(void *st) {
  return hebb_rng_u32(st);
}
static double gsl_philox_get_double(void *st) {
  return hebb_rng_uniform(st);
}
static void gsl_philox_set(void *st, unsigned long seed) {
  (void)st; /* seeded by hebb_rng_init */
  (void)seed;
}
static const gsl_rng_type gsl_philox = {"hebb_philox",        0xffffffffUL,   0,
                                        sizeof(hebb_rng),     gsl_philox_set, gsl_philox_get,
                                        gsl_philox_get_double};

/* The in-degrees of fixed_total_number projection PROJ: N pairs drawn uniformly among the
 * allowed ones give every target the same chance, so the in-degrees are multinomial (N;
 * 1/nt, ..., 1/nt), drawn as a chain of binomials, target t taking Binomial(N left,
 * 1 / (nt - t)) from one sequence of the projection, in target order. Every partition draws
 * the whole chain (nt binomials, BTPE) and keeps its own targets' in-degrees in DEG (block
 * local index). */
static void total_indegrees(const hebb_sim *s, const partition *pt, int proj, uint64_t *deg) {
  const hebb_model *m = s->m;
  const hebb_projection_spec *sp = &m->projs[proj].spec;
  const hebb_pop *tgt = &m->pops[sp->target];
  const block *tb = &pt->blocks[sp->target];
  hebb_rng r;
  hebb_rng_init(&r, m->seed, hebb_stream(HEBB_STREAM_INDEGREE, (uint32_t)proj), 0, 0);
  gsl_rng g = {&gsl_philox, &r};
  uint64_t left = sp->n;
  for (uint32_t t = 0; t < tgt->size; t++) {
    uint64_t k = 0;
    if (t + 1 == tgt->size) {
      k = left;
    } else {
      const double p = 1.0 / (double)(tgt->size - t);
      for (uint64_t todo = left; todo;) { /* GSL takes n in an unsigned int */
        unsigned int c = todo > (1u << 31) ? 1u << 31 : (unsigned int)todo;
        k += gsl_ran_binomial(&g, p, c);
        todo -= c;
      }
    }
    left -= k;
    uint32_t tg = tgt->gid0 + t;
    if (tg % (uint32_t)s->P == (uint32_t)pt->id)
      deg[tg / (uint32_t)s->P - tb->l0] = k;
  }
}

/* Generates projection PROJ's synapses onto this partition. Per-target rules draw from the
 * target's stream (fixed_total_number after its in-degrees, total_indegrees); fixed_outdegree
 * from each source's. */
static int generate(hebb_sim *s, partition *pt, int proj, genctx *io) {
  const hebb_model *m = s->m;
  const hebb_proj *pj = &m->projs[proj];
  const hebb_projection_spec *sp = &pj->spec;
  const hebb_pop *src = &m->pops[sp->source], *tgt = &m->pops[sp->target];
  const block *tb = &pt->blocks[sp->target];
  /* the caller's mode and buffers, completed with the projection */
  genctx g = *io;
  g.m = m;
  g.pj = pj;
  g.proj = proj;
  g.pt = pt;
  g.P = s->P;
  g.cond = tgt->desc->kind == HEBB_NM_IAF_COND_EXP;
  g.rc = 0;
  g.src0 = src->gid0;
  g.tl0 = tb->l0;
  const uint32_t ns = src->size, nt = tgt->size;
  const bool same = sp->source == sp->target;
  const uint32_t cstream = hebb_stream(HEBB_STREAM_CONNECT, (uint32_t)proj);
  hebb_rng r;
  belowseq q;
  drawnset ds = {0};
  int rc = 0;

  if (g.mode == GEN_FILL && g.walk && g.walk->src) { /* the counting walk, replayed */
    size_t i = 0;
    for (uint32_t l = 0; l < tb->n; l++)
      for (uint32_t k = 0; k < g.walk->per_tgt[l]; k++)
        emit(&g, g.walk->src[i++], tb->l0 + l, k);
    return g.rc;
  }
  switch (sp->rule) {
  case HEBB_CONN_ALL_TO_ALL:
    for (uint32_t l = 0; l < tb->n && !g.rc; l++) {
      uint32_t tg = part_gid(pt, s->P, tb->l0 + l);
      uint64_t ord = 0;
      for (uint32_t j = 0; j < ns; j++)
        if (!(same && !sp->allow_autapses && src->gid0 + j == tg))
          emit(&g, src->gid0 + j, tb->l0 + l, ord++);
    }
    break;
  case HEBB_CONN_ONE_TO_ONE:
    for (uint32_t l = 0; l < tb->n; l++) {
      uint32_t idx = part_gid(pt, s->P, tb->l0 + l) - tgt->gid0;
      if (!(same && !sp->allow_autapses))
        emit(&g, src->gid0 + idx, tb->l0 + l, 0);
    }
    break;
  case HEBB_CONN_PAIRWISE_BERNOULLI: {
    /* geometric skipping: the gap to the next connected source is Geometric(p) */
    double lq = log1p(-sp->p);
    for (uint32_t l = 0; l < tb->n && !g.rc && sp->p > 0; l++) {
      uint32_t tg = part_gid(pt, s->P, tb->l0 + l);
      hebb_rng_init(&r, m->seed, cstream, tg, 0);
      uint64_t ord = 0;
      double j = -1;
      for (;;) {
        if (sp->p >= 1) {
          j += 1;
        } else {
          double u = hebb_rng_uniform(&r);
          j += 1 + floor(log1p(-u) / lq);
        }
        if (j >= ns)
          break;
        uint32_t sg = src->gid0 + (uint32_t)j;
        if (!(same && !sp->allow_autapses && sg == tg))
          emit(&g, sg, tb->l0 + l, ord++);
      }
    }
    break;
  }
  case HEBB_CONN_FIXED_INDEGREE:
    if ((rc = drawn_init(&ds, ns, sp->allow_multapses ? 0 : sp->n)))
      break;
    for (uint32_t l = 0; l < tb->n && !g.rc; l++) {
      uint32_t tg = part_gid(pt, s->P, tb->l0 + l);
      belowseq_init(&q, m->seed, cstream, tg);
      for (uint64_t k = 0; k < sp->n; k++) {
        uint32_t j;
        for (;;) {
          j = (uint32_t)belowseq_next(&q, ns);
          if (same && !sp->allow_autapses && src->gid0 + j == tg)
            continue;
          if (!sp->allow_multapses && drawn_test_set(&ds, j))
            continue;
          break;
        }
        emit(&g, src->gid0 + j, tb->l0 + l, k);
      }
      drawn_clear(&ds);
    }
    break;
  case HEBB_CONN_FIXED_OUTDEGREE: {
    uint64_t *ord = calloc(tb->n ? tb->n : 1, sizeof *ord);
    if (!ord || (rc = drawn_init(&ds, nt, sp->allow_multapses ? 0 : sp->n))) {
      free(ord);
      rc = HEBB_ENOMEM;
      break;
    }
    for (uint32_t j = 0; j < ns && !g.rc; j++) {
      uint32_t sg = src->gid0 + j;
      hebb_rng_init(&r, m->seed, cstream, sg, 0);
      for (uint64_t k = 0; k < sp->n; k++) {
        uint32_t t;
        for (;;) {
          t = (uint32_t)hebb_rng_below(&r, nt);
          if (same && !sp->allow_autapses && tgt->gid0 + t == sg)
            continue;
          if (!sp->allow_multapses && drawn_test_set(&ds, t))
            continue;
          break;
        }
        uint32_t tg = tgt->gid0 + t;
        if (tg % (uint32_t)s->P == (uint32_t)pt->id) {
          uint32_t l = tg / (uint32_t)s->P;
          emit(&g, sg, l, ord[l - tb->l0]++);
        }
      }
      drawn_clear(&ds);
    }
    free(ord);
    break;
  }
  case HEBB_CONN_FIXED_TOTAL_NUMBER: {
    /* each target's sources from its own stream, as fixed_indegree with multapses */
    uint64_t *deg = malloc((tb->n ? tb->n : 1) * sizeof *deg);
    if (!deg) {
      rc = HEBB_ENOMEM;
      break;
    }
    total_indegrees(s, pt, proj, deg);
    for (uint32_t l = 0; l < tb->n && !g.rc; l++) {
      uint32_t tg = part_gid(pt, s->P, tb->l0 + l);
      belowseq_init(&q, m->seed, cstream, tg);
      for (uint64_t k = 0; k < deg[l]; k++) {
        uint32_t j;
        do
          j = (uint32_t)belowseq_next(&q, ns);
        while (same && !sp->allow_autapses && src->gid0 + j == tg);
        emit(&g, src->gid0 + j, tb->l0 + l, k);
      }
    }
    free(deg);
    break;
  }
  }
  drawn_free(&ds);
  io->max_tgt = g.max_tgt;
  return rc ? rc : g.rc;
}

/* The values of distribution D for the elements (gid[i], ord[i]) of STREAM, lanes i < NL, from
 * the first block of each one's sequence (lane i of C), within TOL[i] of the value draw_keyed
 * gives (TOL[i] = 0: that value exactly). The arithmetic runs lane-parallel, the same IEEE
 * operations in the same order as draw and hebb_rng_normal (no contraction into fma). A normal
 * value needs a log and a cos: libm's, one lane at a time, took 32 % of the samples of B5's
 * build, so where SLEEF's vector functions can run (AVX) they are used instead, and the value
 * is then only known to within TOL (a hundred times what their error against libm's can
 * change). fill_values keeps such a value where everything made of it (the float weight, the
 * delay in steps) is the same for every value within TOL, and draws it exactly otherwise; a
 * clipped value within TOL of a bound, or outside and to be redrawn, is drawn exactly here. */
static void draw_lanes(uint32_t c[4][HEBB_PHILOX_LANES], int nl, uint64_t seed, uint32_t stream,
                       const uint32_t *gid, const uint32_t *ord, hebb_dist d, double *out,
                       double *tol) {
  enum { L = HEBB_PHILOX_LANES };
  double u1[L], u2[L], t = 0.0;
  /* hebb_u53 with 32-bit conversions, which vectorise: the values are below 2^27 */
  for (int i = 0; i < L; i++) {
    u1[i] = ((double)(int32_t)(c[0][i] >> 5) * 67108864.0 + (double)(int32_t)(c[1][i] >> 6)) *
            (1.0 / 9007199254740992.0);
    u2[i] = ((double)(int32_t)(c[2][i] >> 5) * 67108864.0 + (double)(int32_t)(c[3][i] >> 6)) *
            (1.0 / 9007199254740992.0);
  }
  switch (d.kind) {
  case HEBB_DIST_UNIFORM:
    for (int i = 0; i < L; i++)
      out[i] = d.a + (d.b - d.a) * u1[i];
    break;
  case HEBB_DIST_NORMAL:
  case HEBB_DIST_NORMAL_CLIPPED:
    for (int i = 0; i < L; i++) {
      u1[i] = 1.0 - u1[i];
      u2[i] = 6.283185307179586 * u2[i];
    }
#ifdef __AVX__
    for (int i = 0; i < L; i += 4) {
      _mm256_storeu_pd(u1 + i, Sleef_logd4_u35(_mm256_loadu_pd(u1 + i)));
      _mm256_storeu_pd(u2 + i, Sleef_cosd4_u35(_mm256_loadu_pd(u2 + i)));
    }
    /* |N(0,1)| <= sqrt(-2 log 2^-53) < 9: log and cos 4.5 ulp from libm's (SLEEF's u35
     * functions are within 3.5 ulp of the true values) move the normal by less than 1e-14,
     * the value by less than 1e-14 |b| + 2 ulp */
    t = 1e-12 * (fabs(d.a) + 10.0 * fabs(d.b));
#else
    for (int i = 0; i < L; i++) {
      u1[i] = log(u1[i]);
      u2[i] = cos(u2[i]);
    }
#endif
    for (int i = 0; i < L; i++)
      out[i] = d.a + d.b * (sqrt(-2.0 * u1[i]) * u2[i]);
    break;
  default:
    for (int i = 0; i < L; i++)
      out[i] = d.a;
  }
  for (int i = 0; i < nl; i++) {
    tol[i] = t;
    if (d.kind == HEBB_DIST_NORMAL_CLIPPED && !(out[i] - t >= d.lo && out[i] + t <= d.hi)) {
      out[i] = draw_keyed(seed, stream, gid[i], ord[i], d);
      tol[i] = 0.0;
    }
  }
}

/* Whether every value within TOL of X is stored as the same weight ((float) of it, or of its
 * magnitude for a conductance): rounding and fabs are monotone on either side of 0. */
static bool weight_sure(double x, double tol, bool cond) {
  double lo = x - tol, hi = x + tol;
  if (cond && (lo < 0) != (hi < 0))
    return false;
  return (float)(cond ? fabs(lo) : lo) == (float)(cond ? fabs(hi) : hi);
}

/* Whether every delay within TOL of X takes the same number of steps (llround of delay / dt):
 * no half-integer step count lies within twice TOL of X's (twice: for the rounding of the
 * quotients). */
static bool delay_sure(double x, double tol, double dt) {
  double f = x / dt;
  return fabs(f - floor(f) - 0.5) > 2.0 * tol / dt;
}

/* Weights and delays of the N synapses of projection PROJ in FILL (slots holding their
 * ordinals), the values emit would draw: each keyed by (target gid, ordinal), so the
 * first Philox block of every draw is known in advance and computed HEBB_PHILOX_LANES
 * synapses at a time (draw_lanes). */
static void fill_values(hebb_sim *s, partition *pt, int proj, fillrec *fill, size_t n) {
  enum { L = HEBB_PHILOX_LANES };
  const hebb_model *m = s->m;
  const hebb_proj *pj = &m->projs[proj];
  const uint32_t tl0 = pt->blocks[pj->spec.target].l0;
  const bool cond = m->pops[pj->spec.target].desc->kind == HEBB_NM_IAF_COND_EXP;
  const uint32_t sw = hebb_stream(HEBB_STREAM_WEIGHT, (uint32_t)proj);
  const uint32_t sd = hebb_stream(HEBB_STREAM_DELAY, (uint32_t)proj);
  const hebb_dist dw = pj->spec.weight, dd = pj->spec.delay_ms;
  uint32_t cw[4][L], cd[4][L], gid[L], ord[L];
  double w[L], dl[L], tw[L], td[L];
  for (size_t i0 = 0; i0 < n; i0 += L) {
    int nl = n - i0 < L ? (int)(n - i0) : L;
    for (int i = 0; i < L; i++) {
      const fillrec *r = &fill[i0 + (i < nl ? i : 0)]; /* spare lanes repeat the first */
      uint64_t c = (uint64_t)r->ord << 16;
      gid[i] = part_gid(pt, s->P, tl0 + r->tgt);
      ord[i] = r->ord;
      cw[0][i] = cd[0][i] = gid[i];
      cw[1][i] = cd[1][i] = (uint32_t)c;
      cw[2][i] = cd[2][i] = (uint32_t)(c >> 32);
      cw[3][i] = sw;
      cd[3][i] = sd;
    }
    if (dw.kind != HEBB_DIST_CONSTANT)
      philox_lanes(cw, m->seed);
    if (dd.kind != HEBB_DIST_CONSTANT)
      philox_lanes(cd, m->seed);
    draw_lanes(cw, nl, m->seed, sw, gid, ord, dw, w, tw);
    draw_lanes(cd, nl, m->seed, sd, gid, ord, dd, dl, td);
    for (int i = 0; i < nl; i++) {
      fillrec *r = &fill[i0 + i];
      if (tw[i] > 0 && !weight_sure(w[i], tw[i], cond))
        w[i] = draw_keyed(m->seed, sw, gid[i], ord[i], dw);
      if (td[i] > 0 && !delay_sure(dl[i], td[i], m->dt))
        dl[i] = draw_keyed(m->seed, sd, gid[i], ord[i], dd);
      uint32_t ds = hebb__delay_steps(dl[i], m->dt);
      if (ds < 1)
        ds = 1;
      r->w = (float)(cond ? fabs(w[i]) : w[i]);
      r->delay = (uint16_t)ds;
    }
  }
}

enum { SORT_DELAYS = 1024 }; /* sort_run sorts by counting when the delays span fewer */

/* A synapse of a run being sorted. */
typedef struct {
  uint64_t key; /* delay << 32 | block-local target */
  uint32_t idx; /* position in the run as generated */
} runkey;

/* Stable sort of a run's keys: insertion sort of short blocks, then bottom-up merges that
 * take from the right half only when strictly smaller. */
static void sort_keys(runkey *v, size_t n, runkey *tmp) {
  enum { BLOCK = 16 };
  for (size_t lo = 0; lo < n; lo += BLOCK) {
    size_t hi = lo + BLOCK < n ? lo + BLOCK : n;
    for (size_t i = lo + 1; i < hi; i++) {
      runkey x = v[i];
      size_t j = i;
      while (j > lo && v[j - 1].key > x.key) {
        v[j] = v[j - 1];
        j--;
      }
      v[j] = x;
    }
  }
  runkey *from = v, *to = tmp;
  for (size_t width = BLOCK; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n;
      size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t a = lo, b = mid, o = lo;
      while (a < mid && b < hi) { /* without a branch: the outcome is a coin toss */
        bool right = from[b].key < from[a].key;
        to[o++] = from[right ? b : a];
        b += right;
        a += !right;
      }
      while (a < mid)
        to[o++] = from[a++];
      while (b < hi)
        to[o++] = from[b++];
    }
    runkey *x = from;
    from = to;
    to = x;
  }
  if (from != v)
    memcpy(v, from, n * sizeof *v);
}

/* Scratch of sort_run, grown to the longest run that needed sorting. */
typedef struct {
  runkey *key, *tmp;
  fillrec *rec;
  size_t cap;
  uint32_t hist[SORT_DELAYS + 1];
} runscratch;

static void runscratch_free(runscratch *rs) {
  free(rs->key);
  free(rs->tmp);
  free(rs->rec);
}

static bool rec_before(const fillrec *a, const fillrec *b) {
  return a->delay < b->delay || (a->delay == b->delay && a->tgt < b->tgt);
}

/* Orders the N synapses V of one (source, projection) run by delay then target, keeping
 * generation order among equals (ties carry the creation order of multapses, which is
 * partition-independent). Delays span few values: a counting sort by delay, then each
 * delay's few synapses by target, costs less than comparison sorting the run. */
static int sort_run(fillrec *v, size_t n, runscratch *rs) {
  size_t i = 1;
  uint16_t dmin = v[0].delay, dmax = v[0].delay;
  bool sorted = true;
  for (; i < n; i++) {
    sorted = sorted && !rec_before(&v[i], &v[i - 1]);
    dmin = v[i].delay < dmin ? v[i].delay : dmin;
    dmax = v[i].delay > dmax ? v[i].delay : dmax;
  }
  if (sorted)
    return 0; /* the usual case for per-target rules with one delay */
  if (n > rs->cap) {
    size_t cap = n > 2 * rs->cap ? n : 2 * rs->cap;
    runscratch_free(rs);
    rs->key = malloc(cap * sizeof *rs->key);
    rs->tmp = malloc(cap * sizeof *rs->tmp);
    rs->rec = malloc(cap * sizeof *rs->rec);
    rs->cap = cap;
    if (!rs->key || !rs->tmp || !rs->rec)
      return HEBB_ENOMEM;
  }
  if (dmax - dmin < SORT_DELAYS) {
    uint32_t *h = rs->hist;
    memset(h, 0, ((size_t)(dmax - dmin) + 2) * sizeof *h);
    for (i = 0; i < n; i++)
      h[v[i].delay - dmin + 1]++;
    for (int d = 0; d <= dmax - dmin; d++)
      h[d + 1] += h[d];
    for (i = 0; i < n; i++)
      rs->key[h[v[i].delay - dmin]++] =
          (runkey){(uint64_t)v[i].delay << 32 | v[i].tgt, (uint32_t)i};
    /* h[d] is now the end of delay dmin + d's bucket */
    size_t lo = 0;
    for (int d = 0; d <= dmax - dmin; d++) {
      sort_keys(rs->key + lo, h[d] - lo, rs->tmp);
      lo = h[d];
    }
  } else {
    for (i = 0; i < n; i++)
      rs->key[i] = (runkey){(uint64_t)v[i].delay << 32 | v[i].tgt, (uint32_t)i};
    sort_keys(rs->key, n, rs->tmp);
  }
  for (i = 0; i < n; i++)
    rs->rec[i] = v[rs->key[i].idx];
  memcpy(v, rs->rec, n * sizeof *v);
  return 0;
}

/* dc_generator projections become piecewise-constant currents, not synapses. */
static int add_dc(hebb_sim *s, partition *pt, const synbuf *b) {
  const hebb_model *m = s->m;
  dcsrc *nd = realloc(pt->dc, (pt->ndc + b->n + 1) * sizeof *nd);
  if (!nd)
    return HEBB_ENOMEM;
  pt->dc = nd;
  for (size_t i = 0; i < b->n; i++) {
    const synrec *r = &b->v[i];
    const hebb_pop *src = &m->pops[m->projs[r->proj].spec.source];
    const double *p = src->params;
    dcsrc *d = &pt->dc[pt->ndc++];
    d->target = r->tgt;
    d->blk = (uint16_t)m->projs[r->proj].spec.target;
    d->amp = p[DC_amplitude] * (double)r->w;
    d->on = (uint64_t)llround(fmax(p[DC_start], 0.0) / m->dt) + r->delay - 1;
    d->off = isinf(p[DC_stop]) ? UINT64_MAX : (uint64_t)llround(p[DC_stop] / m->dt) + r->delay - 1;
  }
  return 0;
}

static int add_direct(hebb_sim *s, partition *pt, const synbuf *b) {
  const hebb_model *m = s->m;
  direct *nd = realloc(pt->din, (pt->ndin + b->n + 1) * sizeof *nd);
  if (!nd)
    return HEBB_ENOMEM;
  pt->din = nd;
  /* the first direct projection of a silent generator counts its spikes; every record of
   * the buffer comes from the same projection */
  bool counts = false;
  if (b->n) {
    int proj = b->v[0].proj, src = m->projs[proj].spec.source, first = -1;
    for (int q = 0; q < m->nprojs && first < 0; q++)
      if (s->proj_direct[q] && m->projs[q].spec.source == src)
        first = q;
    counts = s->pop_silent[src] && first == proj;
  }
  for (size_t i = 0; i < b->n; i++) {
    const synrec *r = &b->v[i];
    const hebb_proj *pj = &m->projs[r->proj];
    direct *d = &pt->din[pt->ndin++];
    d->blk = (uint16_t)pj->spec.target;
    d->tgt = r->tgt - pt->blocks[pj->spec.target].l0;
    d->gen_gid = r->src;
    d->gen_pop = (uint16_t)pj->spec.source;
    d->delay = r->delay;
    d->inh = pj->inhibitory;
    d->w = r->w;
    d->counts = counts;
  }
  return 0;
}

/* Whether direct entries A and B are drawn and delivered alike: one generator population and
 * delay (one stream, index and mean), one target block and receptor, one spike count. */
static bool direct_alike(const direct *a, const direct *b) {
  return a->gen_pop == b->gen_pop && a->delay == b->delay && a->blk == b->blk && a->inh == b->inh &&
         a->counts == b->counts;
}

/* Cuts din into runs of alike entries of at most HEBB_POISSON_BATCH, once the entries are all
 * there, so that deliver_direct draws and adds a run at a time without comparing entries. */
static int build_direct_runs(partition *pt) {
  pt->din_end = malloc((pt->ndin + 1) * sizeof *pt->din_end);
  if (!pt->din_end)
    return HEBB_ENOMEM;
  pt->ndrun = 0;
  for (size_t i = 0; i < pt->ndin;) {
    size_t e = i + 1;
    while (e < pt->ndin && e - i < HEBB_POISSON_BATCH && direct_alike(&pt->din[e], &pt->din[i]))
      e++;
    pt->din_end[pt->ndrun++] = (uint32_t)e;
    i = e;
  }
  return 0;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static int cmp_dc(const void *a, const void *b) {
  const dcsrc *x = a, *y = b;
  return (x->target > y->target) - (x->target < y->target);
}

static int build_dc_schedule(partition *pt) {
  /* Entries of a target were appended in (projection, ordinal) order; a stable insertion
   * sort by target keeps that order, which fixes the order of the sum in apply_dc. */
  if (!pt->ndc)
    return 0;
  for (size_t i = 1; i < pt->ndc; i++) {
    dcsrc x = pt->dc[i];
    size_t j = i;
    while (j > 0 && cmp_dc(&pt->dc[j - 1], &x) > 0) {
      pt->dc[j] = pt->dc[j - 1];
      j--;
    }
    pt->dc[j] = x;
  }
  pt->dc_change = malloc(2 * pt->ndc * sizeof(uint64_t));
  if (!pt->dc_change)
    return HEBB_ENOMEM;
  size_t n = 0;
  for (size_t i = 0; i < pt->ndc; i++) {
    pt->dc_change[n++] = pt->dc[i].on;
    if (pt->dc[i].off != UINT64_MAX)
      pt->dc_change[n++] = pt->dc[i].off;
  }
  qsort(pt->dc_change, n, sizeof(uint64_t), cmp_u64);
  size_t u = 0;
  for (size_t i = 0; i < n; i++)
    if (u == 0 || pt->dc_change[i] != pt->dc_change[u - 1])
      pt->dc_change[u++] = pt->dc_change[i];
  pt->ndc_change = u;
  return 0;
}

/* The synapses onto PT, grouped by (source gid, projection, delay), in that order and, within
 * a group, by target then generation order: the layout described in sim_internal.h.
 *
 * The final arrays are filled in place, which keeps the peak memory near the network's own
 * (a temporary array of every synapse's record, sorted, made it several times that):
 *  1. a counting walk of every projection gives the synapses per (projection, source), hence
 *     each source's region of the arrays and the width of the target indices (per-target
 *     rules keep this walk for step 2, see walkrec);
 *  2. projection after projection, a second walk (or the replay of the first) yields the
 *     same synapses in the same order, every draw being keyed; they are dealt by source into
 *     a temporary array of the projection's synapses (fillrec, 12 bytes each), where
 *     fill_values draws weights and delays. Each (source, projection) run, in generation
 *     order, is then sorted by delay and target, cut into groups and copied into its
 *     source's region after the runs of the earlier projections. Temporary: the largest
 *     projection's records on this partition, and the list of groups;
 *  3. the groups, found in projection order, are put in source order. */
static int build_synapses(hebb_sim *s, partition *pt, uint32_t *max_delay) {
  const hebb_model *m = s->m;
  const uint32_t N = (uint32_t)m->total_neurons;
  const int np = m->nprojs;
  int rc = 0;
  /* projections of synapses; generators' direct and dc projections become other structures */
#define SYN_PROJ(p)                                                                                \
  (!s->proj_direct[p] && m->pops[m->projs[p].spec.source].desc->kind != HEBB_NM_DC_GENERATOR)
  for (int p = 0; p < np && !rc; p++) {
    if (SYN_PROJ(p))
      continue;
    synbuf tmp = {0};
    genctx g = {.mode = GEN_RECORDS, .out = &tmp};
    rc = generate(s, pt, p, &g);
    if (!rc)
      rc = s->proj_direct[p] ? add_direct(s, pt, &tmp) : add_dc(s, pt, &tmp);
    free(tmp.v);
  }
  if (!rc)
    rc = build_dc_schedule(pt);
  if (!rc)
    rc = build_direct_runs(pt);
  if (rc)
    return rc;

  uint32_t **cnt = calloc((size_t)(np > 0 ? np : 1), sizeof *cnt); /* per projection, source */
  walkrec *walk = calloc((size_t)(np > 0 ? np : 1), sizeof *walk);
  size_t walk_used = 0;
  uint64_t *rcur = calloc((size_t)N + 1, sizeof *rcur); /* per source gid: its region's cursor */
  uint32_t *gcur = calloc((size_t)N + 1, sizeof *gcur); /* groups per source, then cursor */
  uint64_t *cur = NULL;
  fillrec *fill = NULL;
  uint32_t *gt_start = NULL; /* groups in projection order: first synapse and delay */
  uint16_t *gt_delay = NULL;
  size_t ngt = 0, gt_cap = 0;
  runscratch rs = {0};
  pt->src_groups = calloc((size_t)N + 1, sizeof(uint32_t));
  pt->proj_sink = calloc((size_t)(np > 0 ? np : 1), sizeof(sink));
  if (!cnt || !walk || !rcur || !gcur || !pt->src_groups || !pt->proj_sink) {
    rc = HEBB_ENOMEM;
    goto done;
  }

  /* 1. counts */
  uint64_t nsyn = 0, max_proj = 0;
  uint32_t max_tgt = 0, max_src = 1;
  for (int p = 0; p < np && !rc; p++) {
    if (!SYN_PROJ(p))
      continue;
    const hebb_pop *src = &m->pops[m->projs[p].spec.source];
    if (!(cnt[p] = calloc(src->size ? src->size : 1, sizeof(uint32_t)))) {
      rc = HEBB_ENOMEM;
      break;
    }
    hebb_conn_rule rule = m->projs[p].spec.rule;
    walkrec *w = &walk[p];
    uint32_t ntl = pt->blocks[m->projs[p].spec.target].n;
    if ((rule == HEBB_CONN_PAIRWISE_BERNOULLI || rule == HEBB_CONN_FIXED_INDEGREE) &&
        walk_used + ntl * sizeof(uint32_t) < WALK_BUDGET) {
      w->per_tgt = calloc(ntl ? ntl : 1, sizeof(uint32_t));
      w->src = malloc(4096 * sizeof(uint32_t));
      w->cap = 4096;
      if (!w->per_tgt || !w->src)
        walk_free(w);
    }
    genctx g = {.mode = GEN_COUNT, .cnt = cnt[p], .walk = w};
    g.walk_left = WALK_BUDGET - walk_used - ntl * sizeof(uint32_t);
    if ((rc = generate(s, pt, p, &g)))
      break;
    if (w->src)
      walk_used += w->cap * sizeof(uint32_t) + ntl * sizeof(uint32_t);
    if (g.max_tgt > max_tgt)
      max_tgt = g.max_tgt;
    uint64_t tot = 0;
    for (uint32_t j = 0; j < src->size; j++) {
      tot += cnt[p][j];
      rcur[src->gid0 + j] += cnt[p][j];
    }
    nsyn += tot;
    if (tot > max_proj)
      max_proj = tot;
    if (src->size > max_src)
      max_src = src->size;
  }
  if (rc)
    goto done;
  if (nsyn > UINT32_MAX) { /* hebb_group.start indexes synapses in 32 bits */
    snprintf(pt->msg, sizeof pt->msg, "partition %d: %llu synapses, more than 2^32 - 1", pt->id,
             (unsigned long long)nsyn);
    rc = HEBB_ERANGE;
    goto done;
  }
  uint64_t acc = 0;
  for (uint32_t i = 0; i < N; i++) {
    uint64_t c = rcur[i];
    rcur[i] = acc;
    acc += c;
  }
  /* targets in 16 bits when every block-local index fits (the results do not depend on the
   * width) */
  const bool narrow = max_tgt <= UINT16_MAX;
  pt->nsyn = nsyn;
  size_t nalloc = nsyn ? nsyn : 1;
  if (narrow)
    pt->syn_tgt16 = hebb_big_alloc(nalloc * sizeof(uint16_t));
  else
    pt->syn_tgt32 = hebb_big_alloc(nalloc * sizeof(uint32_t));
  pt->syn_w = hebb_big_alloc(nalloc * sizeof(float));
  cur = malloc(max_src * sizeof *cur);
  /* on huge pages: the filling walk scatters its records over up to 12 bytes x the largest
   * projection's synapses (B5: 270 MB), a TLB miss each on 4 KiB pages */
  fill = hebb_big_alloc((max_proj ? max_proj : 1) * sizeof *fill);
  if (!(pt->syn_tgt16 || pt->syn_tgt32) || !pt->syn_w || !cur || !fill) {
    rc = HEBB_ENOMEM;
    goto done;
  }

  /* 2. synapses, projection by projection */
  for (int p = 0; p < np && !rc; p++) {
    if (!SYN_PROJ(p))
      continue;
    const hebb_pop *src = &m->pops[m->projs[p].spec.source];
    uint64_t c = 0;
    for (uint32_t j = 0; j < src->size; j++) {
      cur[j] = c;
      c += cnt[p][j];
    }
    genctx g = {.mode = GEN_FILL, .cur = cur, .fill = fill, .walk = &walk[p]};
    rc = generate(s, pt, p, &g);
    walk_free(&walk[p]);
    if (rc)
      break;
    fill_values(s, pt, p, fill, c);
    /* each source's run: sorted, cut into groups, copied to its place in the region */
    c = 0;
    for (uint32_t j = 0; j < src->size && !rc; j++) {
      size_t n = cnt[p][j];
      if (!n)
        continue;
      uint64_t k0 = rcur[src->gid0 + j];
      fillrec *v = fill + c;
      if ((rc = sort_run(v, n, &rs)))
        break;
      if (ngt + n > gt_cap) { /* a run has at most one group per synapse */
        size_t cap = 2 * gt_cap > ngt + n ? 2 * gt_cap : ngt + n + 4096;
        uint32_t *ns = realloc(gt_start, cap * sizeof *ns);
        if (ns)
          gt_start = ns;
        uint16_t *nd = realloc(gt_delay, cap * sizeof *nd);
        if (nd)
          gt_delay = nd;
        if (!ns || !nd) {
          rc = HEBB_ENOMEM;
          break;
        }
        gt_cap = cap;
      }
      uint32_t ng = 0;
      for (size_t i = 0; i < n; i++) {
        if (i == 0 || v[i].delay != v[i - 1].delay) {
          gt_start[ngt] = (uint32_t)(k0 + i);
          gt_delay[ngt++] = v[i].delay;
          ng++;
        }
        if (narrow)
          pt->syn_tgt16[k0 + i] = (uint16_t)v[i].tgt;
        else
          pt->syn_tgt32[k0 + i] = v[i].tgt;
        pt->syn_w[k0 + i] = v[i].w;
      }
      cnt[p][j] = ng; /* from here on: the run's groups */
      gcur[src->gid0 + j + 1] += ng;
      rcur[src->gid0 + j] += n;
      c += n;
    }
  }
  if (rc)
    goto done;
  free(fill);
  fill = NULL;

  /* 3. groups by source; within one, in projection then delay order as found */
  for (uint32_t i = 0; i < N; i++)
    gcur[i + 1] += gcur[i];
  memcpy(pt->src_groups, gcur, ((size_t)N + 1) * sizeof(uint32_t));
  const uint32_t ng = gcur[N];
  if (ng >= EV_GROUP) { /* a queue event holds a group id in 31 bits (group_event) */
    snprintf(pt->msg, sizeof pt->msg, "partition %d: %u synapse groups, more than 2^31 - 1", pt->id,
             ng);
    rc = HEBB_ERANGE;
    goto done;
  }
  pt->ngroups = ng;
  pt->grp = hebb_big_alloc(((size_t)ng + 1) * sizeof(hebb_group));
  if (!pt->grp) {
    rc = HEBB_ENOMEM;
    goto done;
  }
  size_t q = 0;
  for (int p = 0; p < np; p++) {
    if (!SYN_PROJ(p))
      continue;
    const hebb_pop *src = &m->pops[m->projs[p].spec.source];
    for (uint32_t j = 0; j < src->size; j++)
      for (uint32_t r = 0; r < cnt[p][j]; r++, q++) {
        uint32_t k = gcur[src->gid0 + j]++;
        pt->grp[k].start = gt_start[q];
        pt->grp[k].delay = gt_delay[q];
        pt->grp[k].proj = (uint16_t)p;
        if (gt_delay[q] > *max_delay)
          *max_delay = gt_delay[q];
      }
  }
  pt->grp[ng] = (hebb_group){.start = (uint32_t)nsyn}; /* the end: only start is read */
#undef SYN_PROJ
  for (int p = 0; p < np; p++) {
    const hebb_proj *pj = &m->projs[p];
    hebb_nm_state *st = &pt->blocks[pj->spec.target].st;
    pt->proj_sink[p] = (sink){pj->inhibitory ? st->acc_in : st->acc_ex, -1, st->single, 0.0f};
  }
done:
  for (int p = 0; cnt && p < np; p++)
    free(cnt[p]);
  free(cnt);
  for (int p = 0; walk && p < np; p++)
    walk_free(&walk[p]);
  free(walk);
  free(rcur);
  free(gcur);
  free(cur);
  free(fill);
  free(gt_start);
  free(gt_delay);
  runscratch_free(&rs);
  return rc;
}

/* Static networks often give all synapses of a projection one weight (B1, B2, B4, B8; NEST's
 * static_synapse_hom_w): then storing it per synapse costs 4 of the 6 bytes of a synapse and
 * the delivery's memory traffic. When every projection onto PT is static and each one's
 * synapses here carry bit for bit the same weight, the weights move into proj_sink and
 * syn_w is freed. Decided from the weights themselves, so the delivery adds exactly the
 * values it would have read; a plastic projection (whose weights change) keeps syn_w. */
static int share_weights(hebb_sim *s, partition *pt) {
  const hebb_model *m = s->m;
  if (!pt->nsyn)
    return 0;
  for (int p = 0; p < m->nprojs; p++)
    if (pt->proj_sink[p].pl >= 0)
      return 0;
  bool *seen = calloc((size_t)m->nprojs, sizeof(bool));
  if (!seen)
    return HEBB_ENOMEM;
  bool same = true;
  for (uint32_t g = 0; g < pt->ngroups && same; g++) {
    sink *d = &pt->proj_sink[pt->grp[g].proj];
    for (uint32_t k = pt->grp[g].start; k < pt->grp[g + 1].start && same; k++) {
      if (!seen[pt->grp[g].proj]) {
        seen[pt->grp[g].proj] = true;
        d->w = pt->syn_w[k];
      }
      same = memcmp(&d->w, &pt->syn_w[k], sizeof(float)) == 0;
    }
  }
  free(seen);
  if (same) {
    free(pt->syn_w);
    pt->syn_w = NULL;
  }
  return 0;
}

/* What on_step shows a rule of block B's neurons: their potentials, spikes and target
 * spikes each step, and the target schedule as (phase step, neuron) events in step order. */
static int step_buffers(const hebb_sim *s, partition *pt, block *b) {
  if (b->rule_v)
    return 0;
  size_t n = b->n ? b->n : 1;
  b->rule_v = calloc(n, sizeof *b->rule_v);
  b->rule_spk = calloc(n, 1);
  b->rule_tgt = calloc(n, 1);
  if (!b->rule_v || !b->rule_spk || !b->rule_tgt)
    return HEBB_ENOMEM;
  const hebb_pop *mp = b->mp;
  if (!mp->target_times)
    return 0;
  b->tg_period = (uint64_t)llround(mp->target_period_ms / s->m->dt);
  size_t cnt = 0;
  for (uint32_t l = 0; l < b->n; l++)
    cnt += mp->n_target_times[part_gid(pt, s->P, b->l0 + l) - mp->gid0];
  b->tg_ev = malloc((cnt ? cnt : 1) * sizeof *b->tg_ev);
  if (!b->tg_ev)
    return HEBB_ENOMEM;
  for (uint32_t l = 0; l < b->n; l++) {
    uint32_t idx = part_gid(pt, s->P, b->l0 + l) - mp->gid0;
    for (size_t j = 0; j < mp->n_target_times[idx]; j++) {
      /* a time t counts in the step that ends at t */
      uint64_t st = (uint64_t)llround(mp->target_times[idx][j] / s->m->dt) - 1;
      b->tg_ev[b->ntg++] = (st % b->tg_period) << 32 | l;
    }
  }
  qsort(b->tg_ev, b->ntg, sizeof *b->tg_ev, cmp_u64);
  return 0;
}

/* The plastic state of every plastic projection, and the per-step lists the hooks need. */
static int build_plasticity(hebb_sim *s, partition *pt) {
  const hebb_model *m = s->m;
  int n = 0;
  for (int p = 0; p < m->nprojs; p++)
    n += m->projs[p].rule != NULL;
  pt->blk_plastic = calloc((size_t)m->npops, sizeof(bool));
  pt->pl = calloc((size_t)(n ? n : 1), sizeof(hebb_plastic));
  pt->post_idx = malloc((pt->n_local ? pt->n_local : 1) * sizeof(uint32_t));
  pt->post_blk = malloc((pt->n_local ? pt->n_local : 1) * sizeof(uint16_t));
  if (!pt->blk_plastic || !pt->pl || !pt->post_idx || !pt->post_blk)
    return HEBB_ENOMEM;
  if (n) {
    pt->grp_gp = hebb_big_alloc((pt->ngroups ? pt->ngroups : 1) * sizeof(uint32_t));
    if (!pt->grp_gp)
      return HEBB_ENOMEM;
    for (uint32_t g = 0; g < pt->ngroups; g++)
      pt->grp_gp[g] = UINT32_MAX;
  }
  for (int p = 0; p < m->nprojs; p++) {
    if (!m->projs[p].rule)
      continue;
    int blk = m->projs[p].spec.target;
    char err[160];
    int rc = hebb_plastic_init(&pt->pl[pt->npl], m, p, pt->blocks[blk].n, pt->ngroups, pt->grp,
                               pt->syn_tgt16, pt->syn_tgt32, pt->syn_w, pt->nsyn, pt->grp_gp, err,
                               sizeof err);
    pt->npl++; /* counted even on failure, so that free_partition frees what was made */
    if (rc) {
      if (rc != HEBB_ENOMEM)
        snprintf(pt->msg, sizeof pt->msg, "projection '%s': %s", m->projs[p].name, err);
      return rc;
    }
    pt->proj_sink[p].pl = pt->npl - 1;
    pt->blk_plastic[blk] = true;
    if (m->projs[p].rule->on_step && (rc = step_buffers(s, pt, &pt->blocks[blk])))
      return rc;
    if (m->projs[p].mod_pop >= 0 && hebb__delay_steps(m->projs[p].mod_delay_ms, m->dt) < s->epoch) {
      snprintf(pt->msg, sizeof pt->msg,
               "projection '%s': the neuromodulator delay (%g ms) must be at least the "
               "smallest synaptic delay (%g ms)",
               m->projs[p].name, m->projs[p].mod_delay_ms, s->epoch * m->dt);
      return HEBB_ERANGE;
    }
    hebb_plastic *pl = &pt->pl[pt->npl - 1];
    if (pl->has_critic && !(pl->critic_buf = malloc(2 * s->epoch * sizeof(uint64_t))))
      return HEBB_ENOMEM;
    const hebb_dist *cd = &m->projs[p].critic_delay_ms;
    double cmin = cd->kind == HEBB_DIST_NORMAL_CLIPPED ? cd->lo : cd->a;
    if (m->projs[p].critic_pre >= 0 && hebb__delay_steps(cmin, m->dt) < s->epoch) {
      snprintf(pt->msg, sizeof pt->msg,
               "projection '%s': the critic's reward delay (from %g ms) must be at least the "
               "smallest synaptic delay (%g ms)",
               m->projs[p].name, cmin, s->epoch * m->dt);
      return HEBB_ERANGE;
    }
  }
  return 0;
}

static int build_recorders(hebb_sim *s, partition *pt) {
  const hebb_model *m = s->m;
  if (!m->nrecs)
    return 0;
  pt->srec = calloc((size_t)m->nrecs, sizeof *pt->srec);
  if (!pt->srec)
    return HEBB_ENOMEM;
  pt->nsrec = m->nrecs;
  for (int i = 0; i < m->nrecs; i++) {
    const hebb_state_rec *r = &m->recs[i];
    staterec *sr = &pt->srec[i];
    const block *b = &pt->blocks[r->pop];
    sr->r = r;
    sr->blk = r->pop;
    sr->local = malloc((r->n ? r->n : 1) * sizeof(uint32_t));
    sr->index = malloc((r->n ? r->n : 1) * sizeof(uint32_t));
    if (!sr->local || !sr->index)
      return HEBB_ENOMEM;
    for (size_t k = 0; k < r->n; k++) {
      uint32_t gid = b->mp->gid0 + r->indices[k];
      if (gid % (uint32_t)s->P == (uint32_t)pt->id) {
        sr->local[sr->n] = gid / (uint32_t)s->P - b->l0;
        sr->index[sr->n] = r->indices[k];
        sr->n++;
      }
    }
  }
  return 0;
}

static void free_partition(partition *pt) {
  free(pt->spiked);
  free(pt->din);
  free(pt->din_end);
  for (int i = 0; i < pt->nblocks; i++) {
    block *b = &pt->blocks[i];
    hebb_nm_state_free(&b->st);
    if (b->sg_step)
      for (uint32_t l = 0; l < b->n; l++)
        free(b->sg_step[l]);
    free(b->sg_step);
    free(b->sg_n);
    free(b->sg_pos);
    free(b->rule_v);
    free(b->rule_spk);
    free(b->rule_tgt);
    free(b->tg_ev);
    free(b->rule_err);
  }
  hebb__fb_free(pt);
  free(pt->blocks);
  free(pt->src_groups);
  free(pt->grp);
  free(pt->grp_gp);
  free(pt->proj_sink);
  for (int i = 0; i < pt->npl; i++)
    hebb_plastic_free(&pt->pl[i]);
  free(pt->pl);
  free(pt->blk_plastic);
  free(pt->arrivals);
  free(pt->post_idx);
  free(pt->post_blk);
  free(pt->weights.v);
  free(pt->syn_tgt16);
  free(pt->syn_tgt32);
  free(pt->syn_w);
  hebb_queue_free(&pt->q);
  free(pt->out[0].v);
  free(pt->out[1].v);
  free(pt->xin.v);
  free(pt->xpos);
  free(pt->rec.v);
  free(pt->samples.v);
  for (int i = 0; i < pt->nsrec; i++) {
    free(pt->srec[i].local);
    free(pt->srec[i].index);
  }
  free(pt->srec);
  free(pt->dc);
  free(pt->dc_change);
}

/* Binds the calling thread to core TID mod cores; returns the core or -1. */
static int pin_thread(hwloc_topology_t topo, int tid) {
  int ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
  hwloc_obj_type_t type = HWLOC_OBJ_CORE;
  if (ncores <= 0) {
    ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    type = HWLOC_OBJ_PU;
  }
  if (ncores <= 0)
    return -1;
  hwloc_obj_t obj = hwloc_get_obj_by_type(topo, type, (unsigned)(tid % ncores));
  if (!obj || !obj->cpuset)
    return -1;
  hwloc_cpuset_t set = hwloc_bitmap_dup(obj->cpuset);
  if (!set)
    return -1;
  hwloc_bitmap_singlify(set);
  int rc = hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD);
  hwloc_bitmap_free(set);
  return rc == 0 ? tid % ncores : -1;
}

hebb_sim_options hebb_sim_options_default(void) {
  hebb_sim_options o = {0, true, false};
  return o;
}

void hebb_sim_free(hebb_sim *s) {
  if (!s)
    return;
  if (s->parts)
    for (int p = 0; p < s->P; p++)
      free_partition(&s->parts[p]);
  free(s->parts);
  hebb__fb_free_shared(s);
  free(s->proj_direct);
  free(s->pop_silent);
  if (s->topo)
    hwloc_topology_destroy(s->topo);
  free(s);
}

int hebb_sim_new(const hebb_model *m, const hebb_sim_options *opt, hebb_sim **out) {
  *out = NULL;
  double t0 = now_s();
  hebb_sim_options o = opt ? *opt : hebb_sim_options_default();
  int P = o.threads > 0 ? o.threads : m->threads > 0 ? m->threads : omp_get_num_procs();
  if (P < 1 || P > 4096)
    return hebb__model_fail(m, HEBB_ERANGE, "threads", "threads must be 1 to 4096, got %d", P);
  if (m->npops == 0)
    return hebb__model_fail(m, HEBB_EINVAL, "populations", "the model has no populations");
  hebb_sim *s = calloc(1, sizeof *s);
  if (!s)
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  s->m = m;
  s->P = P;
  s->pin = o.pin;
  s->hw_counters = o.hw_counters;
  s->parts = calloc((size_t)P, sizeof *s->parts);
  if (!s->parts) {
    hebb_sim_free(s);
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  }
  if (s->pin) {
    if (hwloc_topology_init(&s->topo) || hwloc_topology_load(s->topo)) {
      hebb_sim_free(s);
      return hebb__model_fail(m, HEBB_ETOPO, "", "cannot read the hardware topology (hwloc)");
    }
  }
  /* The epoch is the smallest spike-carrying delay, capped so that a network without
   * synapses still flushes its outboxes regularly. */
  s->proj_direct = calloc((size_t)(m->nprojs > 0 ? m->nprojs : 1), sizeof(bool));
  s->pop_silent = calloc((size_t)m->npops, sizeof(bool));
  if (!s->proj_direct || !s->pop_silent) {
    hebb_sim_free(s);
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  }
  for (int i = 0; i < m->nprojs; i++) {
    const hebb_proj *pj = &m->projs[i];
    s->proj_direct[i] = m->pops[pj->spec.source].desc->kind == HEBB_NM_POISSON_GENERATOR &&
                        pj->spec.rule == HEBB_CONN_ONE_TO_ONE && !pj->rule;
  }
  for (int p = 0; p < m->npops; p++) {
    bool silent = m->pops[p].desc->kind == HEBB_NM_POISSON_GENERATOR && !m->pops[p].record_spikes;
    for (int i = 0; i < m->nprojs && silent; i++)
      silent = m->projs[i].spec.source != p || s->proj_direct[i];
    for (int i = 0; i < m->nprojs && silent; i++) /* neuromodulator and critic sources spike */
      silent =
          m->projs[i].mod_pop != p && m->projs[i].critic_pre != p && m->projs[i].critic_post != p;
    s->pop_silent[p] = silent;
  }
  uint32_t dmin = 1024;
  for (int i = 0; i < m->nprojs; i++)
    if (m->pops[m->projs[i].spec.source].desc->kind != HEBB_NM_DC_GENERATOR && !s->proj_direct[i] &&
        m->projs[i].delay_min_steps < dmin)
      dmin = m->projs[i].delay_min_steps;
  s->epoch = dmin ? dmin : 1;
  int fbrc = hebb__fb_build_shared(s);
  if (fbrc) {
    hebb_sim_free(s);
    return fbrc;
  }

  int nthreads = 0;
  omp_set_dynamic(0);
#pragma omp parallel num_threads(P)
  {
    int tid = omp_get_thread_num();
#pragma omp single
    nthreads = omp_get_num_threads();
    if (nthreads == P) {
      partition *pt = &s->parts[tid];
      pt->id = tid;
      pt->core = s->pin ? pin_thread(s->topo, tid) : -1;
      uint32_t max_delay = 1;
      int rc = build_neurons(s, pt);
      if (!rc)
        rc = build_synapses(s, pt, &max_delay);
      if (!rc)
        rc = build_recorders(s, pt);
      if (!rc && !(pt->xpos = calloc((size_t)P, sizeof *pt->xpos)))
        rc = HEBB_ENOMEM;
      if (!rc)
        rc = build_plasticity(s, pt);
      if (!rc)
        rc = hebb__fb_build(s, pt);
      if (!rc)
        rc = share_weights(s, pt);
      /* deliveries are queued at an epoch's end for up to max_delay steps later */
      if (!rc)
        rc = hebb_queue_init(&pt->q, max_delay + s->epoch, 0);
      if (rc && !pt->msg[0])
        snprintf(pt->msg, sizeof pt->msg, "building partition %d: %s", tid, hebb_strerror(rc));
      pt->rc = rc;
    }
  }
  if (nthreads != P) {
    hebb_sim_free(s);
    return hebb__model_fail(m, HEBB_ERANGE, "threads",
                            "asked for %d threads but OpenMP provides %d (OMP_THREAD_LIMIT?)", P,
                            nthreads);
  }
  for (int p = 0; p < P; p++) {
    if (s->parts[p].rc) {
      int rc = s->parts[p].rc;
      hebb__model_fail(m, rc, "", "%s", s->parts[p].msg);
      hebb_sim_free(s);
      return rc;
    }
  }
  s->build_wall_s = now_s() - t0;
  *out = s;
  return 0;
}

/* ------------------------------------------------------------------------------------- */
/* The run loop */

/* select_float, select_double: ACC + ADD when COUNT is not zero, else ACC, chosen without a
 * branch on the bits: a zero count, the likelier one at B4's mean of 0.4 a step, leaves the
 * accumulator exactly as it was (a compiler given `count ? acc + add : acc` may branch). */
#define SELECT_ADD(T, BITS)                                                                        \
  static inline T select_##T(uint32_t count, T acc, T add) {                                       \
    BITS a, b, keep = (BITS)(count != 0) - 1u; /* all ones when count is zero */                   \
    T sum = acc + add;                                                                             \
    memcpy(&a, &acc, sizeof a);                                                                    \
    memcpy(&b, &sum, sizeof b);                                                                    \
    b = (a & keep) | (b & ~keep);                                                                  \
    memcpy(&sum, &b, sizeof b);                                                                    \
    return sum;                                                                                    \
  }
SELECT_ADD(float, uint32_t)
SELECT_ADD(double, uint64_t)
#undef SELECT_ADD

static void deliver_direct(hebb_sim *s, partition *pt, uint64_t n) {
  const hebb_model *m = s->m;
  uint64_t events = 0;
  /* A run of alike entries (build_direct_runs) at a time: their counts, then each added to
   * its target in the entries' order. */
  hebb_poisson_batch b;
  uint32_t cnt[HEBB_POISSON_BATCH];
  for (size_t r = 0; r < pt->ndrun; r++) {
    const size_t i = r ? pt->din_end[r - 1] : 0;
    const direct *d0 = &pt->din[i], *d = d0;
    /* the step in which the generator produced the spikes */
    const uint64_t step = n - d0->delay;
    const hebb_nm_consts *k = &pt->blocks[d0->gen_pop].k;
    if (!(n >= d0->delay && step >= k->start_step && step < k->stop_step))
      continue;
    b.stream = hebb_stream(HEBB_STREAM_POISSON, d0->gen_pop);
    b.index = k->period_steps ? step % k->period_steps : step;
    b.law = &k->poisson;
    b.n = pt->din_end[r] - i;
    for (size_t j = 0; j < b.n; j++)
      b.id[j] = d0[j].gen_gid;
    const uint64_t sum = hebb_poisson_counts(&b, m->seed, cnt);
    if (!sum)
      continue;
    hebb_nm_state *st = &pt->blocks[d0->blk].st;
    void *acc = d0->inh ? st->acc_in : st->acc_ex;
    if (st->single) {
      float *a = acc;
      for (size_t j = 0; j < b.n; j++, d++)
        a[d->tgt] = select_float(cnt[j], a[d->tgt], (float)cnt[j] * d->w);
    } else {
      double *a = acc;
      for (size_t j = 0; j < b.n; j++, d++)
        a[d->tgt] = select_double(cnt[j], a[d->tgt], (double)cnt[j] * (double)d->w);
    }
    events += sum;
    if (d0->counts)
      pt->blocks[d0->gen_pop].spikes += sum;
  }
  pt->syn_events += events;
}

/* The events EV[0..ne) of a step onto their synapses, whose targets are T16 or T32 (one of
 * them NULL) and whose weights are W, or when W is NULL their projection's (share_weights):
 * inlined into one loop per width and weight storage, with no test per synapse. */
static inline __attribute__((always_inline)) void
deliver_events(partition *pt, const hebb_event *ev, size_t ne, const uint16_t *restrict t16,
               const uint32_t *restrict t32, const float *restrict w) {
  uint64_t events = 0;
  /* The groups due in a step are scattered over arrays far larger than the caches (B5: 25
   * million groups, 1.8 GB of synapses), so each waits for memory. The event of a static
   * group holds its start, size and projection (group_event), so only its targets and
   * weights are fetched: PF_NEAR events ahead, so that the misses overlap, and both their
   * first and last line, which a small group often straddles. Other groups need their
   * record too, fetched PF_FAR ahead. On the virtual machine where this was measured, each
   * distinct 4 KiB page a group touches cost about as much as a random access, even within
   * a huge page (perf/README.md, B5). */
  enum { PF_FAR = 48, PF_NEAR = 16 };
  for (size_t e = 0; e < ne; e++) {
    if (e + PF_FAR < ne && (uint32_t)ev[e + PF_FAR] & EV_GROUP)
      __builtin_prefetch(&pt->grp[(uint32_t)ev[e + PF_FAR] & ~EV_GROUP]);
    if (e + PF_NEAR < ne) {
      const hebb_event y = ev[e + PF_NEAR];
      const uint32_t a = (uint32_t)(y >> 32), lo = (uint32_t)y;
      /* a group is never empty */
      const uint32_t z =
          lo & EV_GROUP ? pt->grp[(lo & ~EV_GROUP) + 1].start - 1 : a + (lo >> 16) - 1;
      __builtin_prefetch(t16 ? (const void *)&t16[a] : (const void *)&t32[a]);
      __builtin_prefetch(t16 ? (const void *)&t16[z] : (const void *)&t32[z]);
      if (w) {
        __builtin_prefetch(&w[a]);
        __builtin_prefetch(&w[z]);
      }
    }
    const uint32_t a = (uint32_t)(ev[e] >> 32), lo = (uint32_t)ev[e], g = lo & ~EV_GROUP;
    uint32_t b, p;
    if (lo & EV_GROUP) {
      b = pt->grp[g + 1].start;
      p = pt->grp[g].proj;
    } else {
      b = a + (lo >> 16);
      p = lo & 0xffffu;
    }
    const sink *d = &pt->proj_sink[p];
    if (d->single) {
      float *restrict f = d->acc;
      const float c = d->w;
      if (t16 && w)
        for (uint32_t k = a; k < b; k++)
          f[t16[k]] += w[k];
      else if (t16)
        for (uint32_t k = a; k < b; k++)
          f[t16[k]] += c;
      else if (w)
        for (uint32_t k = a; k < b; k++)
          f[t32[k]] += w[k];
      else
        for (uint32_t k = a; k < b; k++)
          f[t32[k]] += c;
    } else {
      double *restrict x = d->acc;
      const double c = (double)d->w;
      if (t16 && w)
        for (uint32_t k = a; k < b; k++)
          x[t16[k]] += (double)w[k];
      else if (t16)
        for (uint32_t k = a; k < b; k++)
          x[t16[k]] += c;
      else if (w)
        for (uint32_t k = a; k < b; k++)
          x[t32[k]] += (double)w[k];
      else
        for (uint32_t k = a; k < b; k++)
          x[t32[k]] += c;
    }
    events += b - a;
    if (d->pl >= 0)                      /* then the event is the group's id (group_event) */
      pt->arrivals[pt->narrivals++] = g; /* sized at the exchange to the largest bucket */
  }
  pt->syn_events += events;
}

/* Out of line on purpose: inlined into the run loop, GCC 12 ran out of registers and kept
 * the synapse loop's pointers and counter on the stack, which made B5's delivery about a
 * third slower (perf/README.md, B5). */
__attribute__((noinline)) static void deliver(partition *pt, uint64_t n) {
  size_t ne;
  const hebb_event *ev = hebb_queue_pushed(&pt->q, n, &ne); /* in I1 order (exchange) */
  if (pt->syn_tgt16 && pt->syn_w)
    deliver_events(pt, ev, ne, pt->syn_tgt16, NULL, pt->syn_w);
  else if (pt->syn_tgt16)
    deliver_events(pt, ev, ne, pt->syn_tgt16, NULL, NULL);
  else if (pt->syn_w)
    deliver_events(pt, ev, ne, NULL, pt->syn_tgt32, pt->syn_w);
  else
    deliver_events(pt, ev, ne, NULL, pt->syn_tgt32, NULL);
  hebb_queue_pop(&pt->q, n);
}

static void apply_dc(partition *pt, uint64_t n) {
  if (pt->dc_pos >= pt->ndc_change || pt->dc_change[pt->dc_pos] != n)
    return;
  /* recompute every dc target from scratch so the sum never carries rounding from
   * earlier switches; entries are sorted by target, in a fixed order within it */
  for (size_t i = 0; i < pt->ndc;) {
    uint32_t t = pt->dc[i].target;
    double sum = 0.0;
    for (; i < pt->ndc && pt->dc[i].target == t; i++)
      if (pt->dc[i].on <= n && n < pt->dc[i].off)
        sum += pt->dc[i].amp;
    block *b = &pt->blocks[pt->dc[i - 1].blk];
    hebb_nm_state_set_current(&b->st, t - b->l0, sum);
  }
  pt->dc_pos++;
}

/* Puts a spike produced in step N into the outbox and, if recorded, the spike record. */
static void emit_spike(partition *pt, const hebb_pop *mp, spkbuf *out, uint64_t n, uint32_t gid) {
  if (spk_push(out, n, gid) || (mp->record_spikes && spk_push(&pt->rec, n + 1, gid)))
    part_fail(pt, HEBB_ENOMEM, "spike buffer");
}

static void update(hebb_sim *s, partition *pt, uint64_t n) {
  const hebb_model *m = s->m;
  const uint32_t P = (uint32_t)s->P;
  spkbuf *out = &pt->out[(n / s->epoch) & 1];
  apply_dc(pt, n);
  for (int i = 0; i < pt->nblocks; i++) {
    block *b = &pt->blocks[i];
    uint32_t ns = 0;
    const hebb_pop *mp = b->mp;
    switch (mp->desc->kind) {
    case HEBB_NM_POISSON_GENERATOR:
      if (!s->pop_silent[b->pop] && n >= b->k.start_step && n < b->k.stop_step) {
        hebb_poisson_batch pb;
        uint32_t cnt[HEBB_POISSON_BATCH];
        pb.stream = hebb_stream(HEBB_STREAM_POISSON, (uint32_t)b->pop);
        pb.index = b->k.period_steps ? n % b->k.period_steps : n;
        pb.law = &b->k.poisson;
        for (uint32_t l0 = 0; l0 < b->n; l0 += HEBB_POISSON_BATCH) {
          pb.n = b->n - l0 < HEBB_POISSON_BATCH ? b->n - l0 : HEBB_POISSON_BATCH;
          for (size_t j = 0; j < pb.n; j++)
            pb.id[j] = (b->l0 + l0 + (uint32_t)j) * P + (uint32_t)pt->id;
          if (!hebb_poisson_counts(&pb, m->seed, cnt))
            continue;
          /* several spikes in one step are emitted as copies: multiplicity */
          for (size_t j = 0; j < pb.n; j++)
            for (uint32_t k = cnt[j]; k > 0; k--) {
              emit_spike(pt, mp, out, n, pb.id[j]);
              b->spikes++;
            }
        }
      }
      break;
    case HEBB_NM_SPIKE_GENERATOR:
      for (uint32_t l = 0; l < b->n; l++)
        while (b->sg_pos[l] < b->sg_n[l] && b->sg_step[l][b->sg_pos[l]] == n) {
          b->sg_pos[l]++;
          emit_spike(pt, mp, out, n, (b->l0 + l) * P + (uint32_t)pt->id);
          b->spikes++;
        }
      break;
    case HEBB_NM_DC_GENERATOR:
      break;
    default:
      ns = hebb_nm_update(mp->desc, &b->k, mp->params, &b->st, pt->spiked);
    }
    for (uint32_t q = 0; q < ns; q++)
      emit_spike(pt, mp, out, n, (b->l0 + pt->spiked[q]) * P + (uint32_t)pt->id);
    if (pt->blk_plastic[i])
      for (uint32_t q = 0; q < ns; q++) {
        pt->post_idx[pt->npost] = pt->spiked[q];
        pt->post_blk[pt->npost++] = (uint16_t)i;
      }
    b->spikes += ns;
  }
}

static void record_state(hebb_sim *s, partition *pt, uint64_t n) {
  for (int i = 0; i < pt->nsrec; i++) {
    staterec *sr = &pt->srec[i];
    if ((n + 1) % sr->r->interval_steps)
      continue;
    const block *b = &pt->blocks[sr->blk];
    double shift = state_offset(b, sr->r->var);
    for (uint32_t k = 0; k < sr->n; k++) {
      hebb_sample smp = {n + 1, (uint32_t)sr->r->pop, sr->index[k], (uint32_t)sr->r->var,
                         hebb_nm_state_get(&b->st, sr->r->var, sr->local[k]) + shift};
      if (sample_push(&pt->samples, smp))
        part_fail(pt, HEBB_ENOMEM, "state recorder");
    }
  }
  (void)s;
}

/* The critic of PL watches the spikes of epoch E: for a postsynaptic spike within the
 * window after the latest presynaptic one, a reward is queued after a drawn delay. Every
 * partition runs the same critic on the same spikes, sorted by step (a postsynaptic spike
 * before a presynaptic one of the same step, which has lag 0), so all agree. */
static void critic(hebb_sim *s, partition *pt, hebb_plastic *pl, uint64_t e) {
  const hebb_proj *pj = pl->pj;
  uint64_t *seen = pl->critic_buf; /* two neurons, at most a spike each per step */
  size_t n = 0;
  for (int q = 0; q < s->P; q++) {
    const spkbuf *ob = &s->parts[q].out[e & 1];
    for (size_t i = 0; i < ob->n; i++) {
      uint32_t gid = ob->v[i].gid;
      if (gid != pl->critic_gid[0] && gid != pl->critic_gid[1])
        continue;
      /* post (1) sorts before pre (0) of the same step */
      uint64_t key = ob->v[i].step << 2 | (gid == pl->critic_gid[1] ? 0u : 2u);
      if (gid == pl->critic_gid[0] && gid == pl->critic_gid[1])
        key = ob->v[i].step << 2 | 1u; /* one neuron watched as both: one spike, both roles */
      seen[n++] = key;
    }
  }
  qsort(seen, n, sizeof *seen, cmp_u64);
  const uint64_t window = (uint64_t)floor(pj->critic_window_ms / s->m->dt + 1e-9);
  for (size_t i = 0; i < n; i++) {
    uint64_t step = seen[i] >> 2;
    unsigned role = seen[i] & 3u; /* 0 post, 1 both, 2 pre */
    if (role <= 1 && pl->critic_last_pre != UINT64_MAX && step > pl->critic_last_pre &&
        step - pl->critic_last_pre <= window) {
      double d = draw_keyed(s->m->seed, hebb_stream(HEBB_STREAM_CRITIC, (uint32_t)pl->proj), 0,
                            pl->critic_rewards++, pj->critic_delay_ms);
      if (hebb_plastic_add_modulator_event(pl, step + hebb__delay_steps(d, s->m->dt),
                                           pj->critic_amount))
        part_fail(pt, HEBB_ENOMEM, "neuromodulator events");
    }
    if (role >= 1)
      pl->critic_last_pre = step;
  }
}

/* Spikes in (step, gid) order. */
static int cmp_spk(const void *a, const void *b) {
  const spk *x = a, *y = b;
  if (x->step != y->step)
    return x->step < y->step ? -1 : 1;
  return (x->gid > y->gid) - (x->gid < y->gid);
}

/* Every partition's spikes of epoch E in one list, in (step, gid) order, into pt->xin: a
 * merge of the outboxes, each in that order already (update emits step by step, block by
 * block in population order, so in ascending gid0, and within a block in ascending local
 * index; the determinism tests compare 1 to 4 threads, which would differ otherwise). */
static int merge_outboxes(hebb_sim *s, partition *pt, uint64_t e) {
  size_t total = 0;
  for (int q = 0; q < s->P; q++) {
    pt->xpos[q] = 0;
    total += s->parts[q].out[e & 1].n;
  }
  pt->xin.n = 0;
  for (size_t k = 0; k < total; k++) {
    int best = -1;
    spk v = {0, 0};
    for (int q = 0; q < s->P; q++) {
      const spkbuf *ob = &s->parts[q].out[e & 1];
      if (pt->xpos[q] < ob->n && (best < 0 || cmp_spk(&ob->v[pt->xpos[q]], &v) < 0)) {
        best = q;
        v = ob->v[pt->xpos[q]];
      }
    }
    pt->xpos[best]++;
    if (spk_push(&pt->xin, v.step, v.gid))
      return HEBB_ENOMEM;
  }
  return 0;
}

/* Queues the deliveries of every partition's spikes of epoch E onto this partition, in the
 * order of invariant I1: by the spike's step, then its source gid, then group (projection,
 * delay). A bucket receives its events epoch after epoch, so it holds them in that order
 * and delivery needs no sort; any partitioning pushes the same order, each partition its
 * own groups. */
static void exchange(hebb_sim *s, partition *pt, uint64_t e) {
  if (merge_outboxes(s, pt, e)) {
    part_fail(pt, HEBB_ENOMEM, "spike exchange");
    return;
  }
  const spkbuf *in = &pt->xin;
  for (size_t i = 0; i < in->n; i++) {
    /* a source's groups lie anywhere in the group table (B5: 100 MB a partition): fetch
     * the next spike's while this one's are queued */
    if (i + 1 < in->n) {
      const uint32_t *nx = &pt->src_groups[in->v[i + 1].gid];
      __builtin_prefetch(&pt->grp[nx[0]]);
      __builtin_prefetch(&pt->grp[nx[1]]);
    }
    uint32_t gid = in->v[i].gid;
    uint32_t a = pt->src_groups[gid], b = pt->src_groups[gid + 1];
    for (uint32_t g = a; g < b; g++)
      if (hebb_queue_push(&pt->q, in->v[i].step + pt->grp[g].delay, group_event(pt, g)))
        part_fail(pt, HEBB_ENOMEM, "event queue");
  }
  /* neuromodulator spikes reach every partition's plastic projections after their delay */
  for (int k = 0; k < pt->npl; k++) {
    hebb_plastic *pl = &pt->pl[k];
    if (pl->pj->mod_pop < 0)
      continue;
    const hebb_pop *mp = &s->m->pops[pl->pj->mod_pop];
    uint64_t d = hebb__delay_steps(pl->pj->mod_delay_ms, s->m->dt);
    for (int q = 0; q < s->P; q++) {
      const spkbuf *ob = &s->parts[q].out[e & 1];
      for (size_t i = 0; i < ob->n; i++)
        if (ob->v[i].gid >= mp->gid0 && ob->v[i].gid < mp->gid0 + mp->size &&
            hebb_plastic_add_modulator_event(pl, ob->v[i].step + d, 1.0))
          part_fail(pt, HEBB_ENOMEM, "neuromodulator events");
    }
  }
  for (int k = 0; k < pt->npl; k++)
    if (pt->pl[k].has_critic)
      critic(s, pt, &pt->pl[k], e);
  if (size_arrivals(pt))
    part_fail(pt, HEBB_ENOMEM, "plastic arrivals");
}

/* The per-step hooks of rules that have them (on_step), with their blocks' potentials,
 * spikes and target spikes of step N. */
static void step_rules(hebb_sim *s, partition *pt, uint64_t n) {
  if (pt->nfb)
    hebb__fb_consume(s, pt, n);
  bool any = false;
  for (int k = 0; k < pt->npl && !any; k++)
    any = pt->pl[k].rule->on_step && pt->pl[k].hooks;
  if (!any)
    return;
  for (int i = 0; i < pt->nblocks; i++) {
    block *b = &pt->blocks[i];
    if (!b->rule_v)
      continue;
    int var = hebb_nm_state_index(b->mp->desc, "V_m");
    double shift = state_offset(b, var);
    for (uint32_t l = 0; l < b->n; l++)
      b->rule_v[l] = hebb_nm_state_get(&b->st, var, l) + shift;
    memset(b->rule_spk, 0, b->n);
    if (b->tg_ev) {
      memset(b->rule_tgt, 0, b->n);
      uint64_t phase = n % b->tg_period;
      if (phase == 0 || b->tg_pos > b->ntg)
        b->tg_pos = 0;
      /* after a restore the cursor starts anywhere: skip what lies before this phase */
      while (b->tg_pos < b->ntg && b->tg_ev[b->tg_pos] >> 32 < phase)
        b->tg_pos++;
      while (b->tg_pos < b->ntg && b->tg_ev[b->tg_pos] >> 32 == phase) {
        uint32_t l = (uint32_t)b->tg_ev[b->tg_pos++];
        if (b->rule_tgt[l] < UINT8_MAX)
          b->rule_tgt[l]++;
      }
    }
  }
  for (size_t e = 0; e < pt->npost; e++) {
    block *b = &pt->blocks[pt->post_blk[e]];
    if (b->rule_spk && b->rule_spk[pt->post_idx[e]] < UINT8_MAX)
      b->rule_spk[pt->post_idx[e]]++;
  }
  for (int k = 0; k < pt->npl; k++) {
    hebb_plastic *pl = &pt->pl[k];
    if (!pl->rule->on_step || !pl->hooks)
      continue;
    block *b = &pt->blocks[pl->blk];
    hebb_plastic_step(pl, n, pt->syn_w, b->rule_v, b->rule_spk, b->tg_ev ? b->rule_tgt : NULL,
                      b->rule_err);
  }
}

/* The rule hooks of a step (MODELS.md section 0): on_pre for every arrival in delivery
 * order, on_post for every postsynaptic spike, then the traces take this step's spikes. */
static void plasticity(hebb_sim *s, partition *pt, uint64_t n) {
  /* a projection in a frozen phase skips its hooks (unless its rule has on_phase and keeps
   * its weights still itself); its traces still count the spikes */
  for (int k = 0; k < pt->npl; k++) {
    pt->pl[k].learning = hebb__proj_learning(pt->pl[k].pj, n);
    pt->pl[k].hooks = pt->pl[k].learning || pt->pl[k].rule->on_phase;
  }
  for (size_t e = 0; e < pt->narrivals; e++) {
    uint32_t g = pt->arrivals[e];
    hebb_plastic *pl = &pt->pl[pt->proj_sink[pt->grp[g].proj].pl];
    if (pl->hooks)
      hebb_plastic_pre(pl, n, pt->grp_gp[g], pt->grp[g].start, pt->grp[g + 1].start, pt->syn_tgt16,
                       pt->syn_tgt32, pt->syn_w);
  }
  for (size_t e = 0; e < pt->npost; e++)
    for (int k = 0; k < pt->npl; k++)
      if (pt->pl[k].blk == pt->post_blk[e] && pt->pl[k].hooks)
        hebb_plastic_post(&pt->pl[k], n, pt->post_idx[e], pt->syn_w);
  for (size_t e = 0; e < pt->narrivals; e++) {
    uint32_t g = pt->arrivals[e];
    hebb_plastic_count_pre(&pt->pl[pt->proj_sink[pt->grp[g].proj].pl], n, pt->grp_gp[g]);
  }
  for (size_t e = 0; e < pt->npost; e++)
    for (int k = 0; k < pt->npl; k++)
      if (pt->pl[k].blk == pt->post_blk[e])
        hebb_plastic_count_post(&pt->pl[k], n, pt->post_idx[e]);
  step_rules(s, pt, n);
  pt->narrivals = 0;
  pt->npost = 0;
  for (int k = 0; k < pt->npl; k++) {
    if (pt->pl[k].has_mod)
      hebb_plastic_modulate(&pt->pl[k], n, pt->syn_w);
    if (pt->pl[k].learning)
      hebb_plastic_period(&pt->pl[k], n, pt->syn_w);
    if (pt->pl[k].rule->on_phase && hebb__proj_learning(pt->pl[k].pj, n + 1) != pt->pl[k].learning)
      hebb_plastic_phase_end(&pt->pl[k], n, pt->syn_w);
  }
}

/* Snapshots of the weights of projections that record them, at the end of step N. */
static void record_weights(hebb_sim *s, partition *pt, uint64_t n) {
  const hebb_model *m = s->m;
  bool due = false; /* projections are few, groups many: look at the groups only when due */
  for (int p = 0; p < m->nprojs && !due; p++)
    due = m->projs[p].weights_every && (n + 1) % m->projs[p].weights_every == 0;
  if (!due)
    return;
  uint32_t gid = 0; /* the source of group g: groups are sorted by source */
  for (uint32_t g = 0; g < pt->ngroups; g++) {
    while (pt->src_groups[gid + 1] <= g)
      gid++;
    const hebb_proj *pj = &m->projs[pt->grp[g].proj];
    if (!pj->weights_every || (n + 1) % pj->weights_every)
      continue;
    const block *b = &pt->blocks[pj->spec.target];
    uint32_t src = gid - m->pops[pj->spec.source].gid0;
    for (uint32_t k = pt->grp[g].start; k < pt->grp[g + 1].start; k++) {
      wsnapbuf *w = &pt->weights;
      if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 4096;
        wsnap *nv = realloc(w->v, cap * sizeof *nv);
        if (!nv) {
          part_fail(pt, HEBB_ENOMEM, "weight recorder");
          return;
        }
        w->v = nv;
        w->cap = cap;
      }
      uint32_t tgt = (b->l0 + syn_target(pt, k)) * (uint32_t)s->P + (uint32_t)pt->id - b->mp->gid0;
      wsnap e = {{n + 1, pt->grp[g].proj, src, tgt, syn_weight(pt, g, k)}, k};
      w->v[w->n++] = e;
    }
  }
}

/* ---- phase accounting and hardware counters ------------------------------------------ */

/* Opens cycles, instructions and cache misses of the calling thread as one group; -1 where
 * the kernel or the machine does not allow it (then the profile has no counters). */
static int hw_open(void) {
  static const uint64_t cfg[HW_COUNT] = {PERF_COUNT_HW_CPU_CYCLES, PERF_COUNT_HW_INSTRUCTIONS,
                                         PERF_COUNT_HW_CACHE_MISSES};
  int leader = -1;
  for (int i = 0; i < HW_COUNT; i++) {
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_HARDWARE;
    a.config = cfg[i];
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    a.read_format = PERF_FORMAT_GROUP;
    a.disabled = i == 0;
    int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, leader, 0);
    if (fd < 0) {
      if (leader >= 0)
        close(leader); /* members go with their leader */
      return -1;
    }
    if (i == 0)
      leader = fd;
  }
  ioctl(leader, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
  ioctl(leader, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
  return leader;
}

static bool hw_read(int fd, uint64_t v[HW_COUNT]) {
  uint64_t buf[1 + HW_COUNT];
  if (read(fd, buf, sizeof buf) != (ssize_t)sizeof buf || buf[0] != HW_COUNT)
    return false;
  memcpy(v, buf + 1, sizeof(uint64_t) * HW_COUNT);
  return true;
}

/* Ends a stretch of phase PH: its wall time and, when counted, its hardware counts. */
static inline void mark(partition *pt, int ph) {
  double t = now_s();
  pt->phase[ph] += t - pt->mark_t;
  pt->mark_t = t;
  uint64_t v[HW_COUNT];
  if (pt->hw_fd >= 0 && hw_read(pt->hw_fd, v))
    for (int i = 0; i < HW_COUNT; i++) {
      pt->hw[ph][i] += v[i] - pt->hw_last[i];
      pt->hw_last[i] = v[i];
    }
}

static void run_partition(hebb_sim *s, partition *pt, uint64_t from, uint64_t to) {
  const uint32_t E = s->epoch;
  pt->hw_fd = s->hw_counters ? hw_open() : -1;
  if (pt->hw_fd >= 0)
    hw_read(pt->hw_fd, pt->hw_last);
  else if (s->hw_counters)
    pt->hw_missing = true;
  pt->mark_t = now_s();
  for (uint64_t n = from; n < to; n++) {
    if (n % E == 0)
      pt->out[(n / E) & 1].n = 0; /* everyone read it during the previous epoch's exchange */
    deliver(pt, n);
    if (pt->ndin)
      deliver_direct(s, pt, n);
    mark(pt, PH_DELIVER);
    update(s, pt, n);
    mark(pt, PH_UPDATE);
    if (pt->npl) {
      plasticity(s, pt, n);
      mark(pt, PH_PLASTICITY);
    }
    record_state(s, pt, n);
    record_weights(s, pt, n);
    mark(pt, PH_RECORD);
    if ((n + 1) % E == 0) {
      if (pt->nfb) {
        hebb__fb_publish(s, pt, n / E);
        mark(pt, PH_PLASTICITY);
      }
#pragma omp barrier
      mark(pt, PH_BARRIER);
      exchange(s, pt, n / E);
      if (pt->nfb && hebb__fb_exchange(s, pt, n / E))
        part_fail(pt, HEBB_ENOMEM, "error feedback");
      mark(pt, PH_EXCHANGE);
    }
  }
  if (pt->hw_fd >= 0)
    close(pt->hw_fd);
  pt->hw_fd = -1;
}

int hebb_sim_run_until(hebb_sim *s, double t_ms) {
  if (s->failed)
    return HEBB_ESTATE;
  double steps = t_ms / s->m->dt;
  if (!(steps >= 0) || steps > 9e15)
    return HEBB_ERANGE;
  uint64_t to = (uint64_t)llround(steps);
  if (to <= s->step)
    return 0;
  double t0 = now_s();
  uint64_t from = s->step;
#pragma omp parallel num_threads(s->P)
  {
    int tid = omp_get_thread_num();
    run_partition(s, &s->parts[tid], from, to);
  }
  s->sim_wall_s += now_s() - t0;
  s->step = to;
  for (int p = 0; p < s->P; p++)
    if (s->parts[p].rc) {
      s->failed = s->parts[p].rc;
      return s->failed;
    }
  return 0;
}

uint64_t hebb_sim_step(const hebb_sim *s) {
  return s->step;
}
double hebb_sim_time(const hebb_sim *s) {
  return (double)s->step * s->m->dt;
}
uint32_t hebb_sim_epoch_steps(const hebb_sim *s) {
  return s->epoch;
}
int hebb_sim_threads(const hebb_sim *s) {
  return s->P;
}

/* ------------------------------------------------------------------------------------- */
/* Results */

static int pop_of_gid(const hebb_model *m, uint32_t gid) {
  int lo = 0, hi = m->npops - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (m->pops[mid].gid0 <= gid)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

int hebb_sim_take_spikes(hebb_sim *s, hebb_spike **spikes, size_t *n) {
  size_t total = 0;
  for (int p = 0; p < s->P; p++)
    total += s->parts[p].rec.n;
  spk *all = malloc((total ? total : 1) * sizeof *all);
  hebb_spike *res = malloc((total ? total : 1) * sizeof *res);
  if (!all || !res) {
    free(all);
    free(res);
    return HEBB_ENOMEM;
  }
  size_t k = 0;
  for (int p = 0; p < s->P; p++) {
    if (s->parts[p].rec.n) /* v may be NULL when nothing was recorded */
      memcpy(all + k, s->parts[p].rec.v, s->parts[p].rec.n * sizeof *all);
    k += s->parts[p].rec.n;
    s->parts[p].rec.n = 0;
  }
  qsort(all, total, sizeof *all, cmp_spk);
  for (size_t i = 0; i < total; i++) {
    int pop = pop_of_gid(s->m, all[i].gid);
    res[i].step = all[i].step;
    res[i].pop = (uint32_t)pop;
    res[i].index = all[i].gid - s->m->pops[pop].gid0;
  }
  free(all);
  *spikes = res;
  *n = total;
  return 0;
}

static int cmp_sample(const void *a, const void *b) {
  const hebb_sample *x = a, *y = b;
  if (x->step != y->step)
    return x->step < y->step ? -1 : 1;
  if (x->pop != y->pop)
    return x->pop < y->pop ? -1 : 1;
  if (x->index != y->index)
    return x->index < y->index ? -1 : 1;
  return (x->var > y->var) - (x->var < y->var);
}

int hebb_sim_take_samples(hebb_sim *s, hebb_sample **samples, size_t *n) {
  size_t total = 0;
  for (int p = 0; p < s->P; p++)
    total += s->parts[p].samples.n;
  hebb_sample *res = malloc((total ? total : 1) * sizeof *res);
  if (!res)
    return HEBB_ENOMEM;
  size_t k = 0;
  for (int p = 0; p < s->P; p++) {
    if (s->parts[p].samples.n)
      memcpy(res + k, s->parts[p].samples.v, s->parts[p].samples.n * sizeof *res);
    k += s->parts[p].samples.n;
    s->parts[p].samples.n = 0;
  }
  qsort(res, total, sizeof *res, cmp_sample);
  *samples = res;
  *n = total;
  return 0;
}

int hebb_sim_get_state(const hebb_sim *s, int pop, uint32_t index, const char *var, double *value) {
  const hebb_model *m = s->m;
  if (pop < 0 || pop >= m->npops || index >= m->pops[pop].size)
    return HEBB_ERANGE;
  const hebb_pop *mp = &m->pops[pop];
  int v = hebb_nm_state_index(mp->desc, var);
  if (v < 0)
    return HEBB_ENOENT;
  uint32_t gid = mp->gid0 + index;
  const partition *pt = &s->parts[gid % (uint32_t)s->P];
  const block *b = &pt->blocks[pop];
  uint32_t l = gid / (uint32_t)s->P - b->l0;
  *value = hebb_nm_state_get(&b->st, v, l) + state_offset(b, v);
  return 0;
}

int hebb_sim_stats(const hebb_sim *s, hebb_stats *st) {
  memset(st, 0, sizeof *st);
  st->build_wall_s = s->build_wall_s;
  st->sim_wall_s = s->sim_wall_s;
  st->neurons = s->m->total_neurons;
  for (int p = 0; p < s->P; p++) {
    const partition *pt = &s->parts[p];
    st->synapses += pt->nsyn;
    for (int i = 0; i < pt->nblocks; i++)
      st->spikes_total += pt->blocks[i].spikes;
    st->synaptic_events += pt->syn_events;
    st->queue_events += pt->q.pushed;
    for (int k = 0; k < pt->npl; k++)
      st->plastic_updates += pt->pl[k].updates;
    for (int k = 0; k < PH_COUNT; k++)
      st->phase_s[k] += pt->phase[k];
  }
  hebb_memory mem;
  hebb_sim_memory(s, &mem);
  st->synapse_bytes = mem.indices + mem.weights + mem.delays + mem.targets + mem.rule_state;
  return 0;
}

const char *hebb_phase_name(int phase) {
  return phase >= 0 && phase < PH_COUNT ? phase_names[phase] : NULL;
}

uint64_t hebb_sim_population_spikes(const hebb_sim *s, int pop) {
  uint64_t n = 0;
  if (pop < 0 || pop >= s->m->npops)
    return 0;
  for (int p = 0; p < s->P; p++)
    n += s->parts[p].blocks[pop].spikes;
  return n;
}

int hebb_sim_partition_profile(const hebb_sim *s, int p, hebb_partition_profile *out) {
  if (p < 0 || p >= s->P)
    return HEBB_ERANGE;
  const partition *pt = &s->parts[p];
  memset(out, 0, sizeof *out);
  for (int k = 0; k < PH_COUNT; k++)
    out->phase_s[k] = pt->phase[k];
  for (int i = 0; i < pt->nblocks; i++)
    out->spikes += pt->blocks[i].spikes;
  out->synaptic_events = pt->syn_events;
  out->queue_events = pt->q.pushed;
  for (int k = 0; k < pt->npl; k++)
    out->plastic_updates += pt->pl[k].updates;
  out->hw_requested = s->hw_counters;
  out->hw = s->hw_counters && !pt->hw_missing;
  for (int k = 0; k < PH_COUNT && out->hw; k++) {
    out->cycles[k] = pt->hw[k][HW_CYCLES];
    out->instructions[k] = pt->hw[k][HW_INSTRUCTIONS];
    out->cache_misses[k] = pt->hw[k][HW_CACHE_MISSES];
  }
  return 0;
}

int hebb_sim_memory(const hebb_sim *s, hebb_memory *mem) {
  memset(mem, 0, sizeof *mem);
  const uint64_t N = s->m->total_neurons;
  for (int p = 0; p < s->P; p++) {
    const partition *pt = &s->parts[p];
    uint64_t ng = pt->ngroups;
    mem->targets += pt->nsyn * (pt->syn_tgt16 ? sizeof(uint16_t) : sizeof(uint32_t));
    mem->weights += pt->syn_w ? pt->nsyn * sizeof(float) : 0;
    mem->delays += ng * sizeof(uint16_t);
    /* source -> groups, the group records but their delays, plastic group indexes */
    mem->indices += (N + 1) * sizeof(uint32_t) + (ng + 1) * sizeof(hebb_group) -
                    ng * sizeof(uint16_t) + (pt->grp_gp ? ng * sizeof(uint32_t) : 0);
    for (int k = 0; k < pt->npl; k++)
      mem->rule_state += hebb_plastic_bytes(&pt->pl[k], pt->nsyn);
    mem->queues += hebb_queue_bytes(&pt->q);
    for (int i = 0; i < pt->nblocks; i++) {
      const block *b = &pt->blocks[i];
      mem->neuron_state += (uint64_t)b->n * 7 * (b->st.single ? sizeof(float) : sizeof(double));
    }
  }
  mem->total = mem->indices + mem->weights + mem->delays + mem->targets + mem->rule_state +
               mem->queues + mem->neuron_state;
  return 0;
}

int hebb_sim_partition_phases(const hebb_sim *s, double *out, size_t n) {
  if (n < (size_t)s->P * PH_COUNT)
    return HEBB_ERANGE;
  for (int p = 0; p < s->P; p++)
    for (int k = 0; k < PH_COUNT; k++)
      out[p * PH_COUNT + k] = s->parts[p].phase[k];
  return 0;
}

int hebb_sim_pinning(const hebb_sim *s, int *cores, size_t n) {
  if (n < (size_t)s->P)
    return HEBB_ERANGE;
  for (int p = 0; p < s->P; p++)
    cores[p] = s->parts[p].core;
  return 0;
}

/* ------------------------------------------------------------------------------------- */
/* Synapses and weights */

static int cmp_wsnap(const void *a, const void *b) {
  const hebb_synapse *x = &((const wsnap *)a)->s, *y = &((const wsnap *)b)->s;
  if (x->step != y->step)
    return x->step < y->step ? -1 : 1;
  if (x->proj != y->proj)
    return x->proj < y->proj ? -1 : 1;
  if (x->source != y->source)
    return x->source < y->source ? -1 : 1;
  if (x->target != y->target)
    return x->target < y->target ? -1 : 1;
  /* multapses of a pair all live on the target's partition, in (delay, creation) order */
  uint64_t p = ((const wsnap *)a)->seq, q = ((const wsnap *)b)->seq;
  return (p > q) - (p < q);
}

/* Sorts snapshot entries and strips the sequence numbers into a new array. */
static int finish_snaps(wsnap *v, size_t n, hebb_synapse **out) {
  qsort(v, n, sizeof *v, cmp_wsnap);
  hebb_synapse *r = malloc((n ? n : 1) * sizeof *r);
  if (!r)
    return HEBB_ENOMEM;
  for (size_t i = 0; i < n; i++)
    r[i] = v[i].s;
  *out = r;
  return 0;
}

int hebb_sim_take_weights(hebb_sim *s, hebb_synapse **syn, size_t *n) {
  size_t total = 0;
  for (int p = 0; p < s->P; p++)
    total += s->parts[p].weights.n;
  wsnap *all = malloc((total ? total : 1) * sizeof *all);
  if (!all)
    return HEBB_ENOMEM;
  size_t k = 0;
  for (int p = 0; p < s->P; p++) {
    wsnapbuf *w = &s->parts[p].weights;
    if (w->n)
      memcpy(all + k, w->v, w->n * sizeof *all);
    k += w->n;
    w->n = 0;
  }
  int rc = finish_snaps(all, total, syn);
  free(all);
  if (!rc)
    *n = total;
  return rc;
}

int hebb_sim_synapses(const hebb_sim *s, int proj, hebb_synapse **syn, size_t *n) {
  const hebb_model *m = s->m;
  if (proj < 0 || proj >= m->nprojs)
    return HEBB_ERANGE;
  const hebb_proj *pj = &m->projs[proj];
  size_t total = 0;
  for (int p = 0; p < s->P; p++) {
    const partition *pt = &s->parts[p];
    for (uint32_t g = 0; g < pt->ngroups; g++)
      if (pt->grp[g].proj == proj)
        total += pt->grp[g + 1].start - pt->grp[g].start;
  }
  wsnap *all = malloc((total ? total : 1) * sizeof *all);
  if (!all)
    return HEBB_ENOMEM;
  size_t k = 0;
  for (int p = 0; p < s->P; p++) {
    const partition *pt = &s->parts[p];
    const block *b = &pt->blocks[pj->spec.target];
    uint32_t gid = 0; /* the source of group g: groups are sorted by source */
    for (uint32_t g = 0; g < pt->ngroups; g++) {
      while (pt->src_groups[gid + 1] <= g)
        gid++;
      if (pt->grp[g].proj != proj)
        continue;
      for (uint32_t q = pt->grp[g].start; q < pt->grp[g + 1].start; q++) {
        uint32_t tgt =
            (b->l0 + syn_target(pt, q)) * (uint32_t)s->P + (uint32_t)pt->id - b->mp->gid0;
        wsnap e = {{s->step, (uint32_t)proj, gid - m->pops[pj->spec.source].gid0, tgt,
                    syn_weight(pt, g, q)},
                   q};
        all[k++] = e;
      }
    }
  }
  int rc = finish_snaps(all, total, syn);
  free(all);
  if (!rc)
    *n = total;
  return rc;
}

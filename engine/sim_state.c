/* sim_state.c - the mutable state of a simulation, saved to and restored from checkpoint
 * sections (invariant I2 of the design: bit-exact resume, on any number of threads).
 *
 * Everything is written in an order fixed by the model alone, never by the partitioning:
 *   - neurons by population and index;
 *   - synapses of a plastic projection in the order (source gid, delay, target gid,
 *     creation order of multapses), which is the order a one-partition run stores them in;
 *     a P-partition run holds each (source, projection, delay) group as P interleaved
 *     pieces, merged here by target gid;
 *   - presynaptic traces and state once per (source, projection, delay) group (every
 *     partition that holds a piece of the group keeps an identical copy: the spike train it
 *     sees is the same);
 *   - errors on their way back to hidden layers (feedback.c), per hidden neuron by index;
 *   - events in flight as the spikes they came from: (emission step, source gid) of every
 *     spike with a delivery still queued somewhere; a restore queues, on each partition, the
 *     deliveries of those spikes that are not yet due. (The network is rebuilt from the
 *     model first, so groups, delays and connectivity are known.)
 * What is not saved can be derived from the step: positions in spike and dc schedules,
 * Poisson draws (counter-based), learning phases, reward schedules' past. Recorder buffers
 * must have been taken (io/checkpoint.c writes them to the output files first).
 *
 * One function serves both ways: `xfer` writes a value when saving and reads it back when
 * restoring, so the two cannot drift apart. Values are stored as the host holds them, which
 * is little-endian on every platform Hebb builds for (checked at compile time).
 */
#include "ckpt.h"
#include "sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "checkpoints store values in host order, which must be little-endian");

enum { XBUF = 1 << 16 };

typedef struct {
  bool load;
  hebb_ckpt_writer *w; /* saving, through buf (the values are small and many) */
  unsigned char *buf;
  size_t nbuf;
  const unsigned char *p, *end; /* restoring */
  const char *section;
  int rc;
  char *err;
  size_t errlen;
} xio;

static void xfail(xio *x, const char *what) {
  if (x->rc)
    return;
  x->rc = HEBB_EPARSE;
  snprintf(x->err, x->errlen, "section %s: %s", x->section, what);
}

static void flush(xio *x) {
  if (!x->rc && x->nbuf && hebb_ckpt_write(x->w, x->buf, x->nbuf))
    x->rc = HEBB_EIO; /* the writer reports it at commit */
  x->nbuf = 0;
}

static void xfer(xio *x, void *v, size_t n) {
  if (x->rc)
    return;
  if (!x->load) {
    if (x->nbuf + n > XBUF)
      flush(x);
    if (n > XBUF) {
      if (hebb_ckpt_write(x->w, v, n))
        x->rc = HEBB_EIO;
      return;
    }
    memcpy(x->buf + x->nbuf, v, n);
    x->nbuf += n;
    return;
  }
  if ((size_t)(x->end - x->p) < n) {
    xfail(x, "ends early (the checkpoint does not match this network)");
    return;
  }
  memcpy(v, x->p, n);
  x->p += n;
}

/* A value fixed by the model: written on saving, compared on restoring. */
static void xcheck(xio *x, uint64_t v, const char *what) {
  uint64_t got = v;
  xfer(x, &got, sizeof got);
  if (x->load && !x->rc && got != v) {
    char msg[200];
    snprintf(msg, sizeof msg, "%s is %llu in the checkpoint, %llu in this network", what,
             (unsigned long long)got, (unsigned long long)v);
    xfail(x, msg);
  }
}

static void begin(xio *x, const hebb_ckpt_reader *r, uint32_t type, const char *name) {
  x->section = name;
  if (x->rc)
    return;
  if (!x->load) {
    if (hebb_ckpt_begin(x->w, type, HEBB_CKPT_CRITICAL))
      x->rc = HEBB_EIO;
    return;
  }
  uint64_t len = 0;
  x->p = hebb_ckpt_data(r, type, &len);
  x->end = x->p ? x->p + len : NULL;
  if (!x->p)
    xfail(x, "missing");
}

static void end(xio *x) {
  if (x->rc)
    return;
  if (!x->load) {
    flush(x);
    if (!x->rc && hebb_ckpt_end(x->w))
      x->rc = HEBB_EIO;
  } else if (x->p != x->end) {
    xfail(x, "longer than this network's state (the checkpoint does not match it)");
  }
}

/* ---- neurons ------------------------------------------------------------------------- */

static void xfer_neurons(xio *x, hebb_sim *s) {
  const hebb_model *m = s->m;
  const uint32_t P = (uint32_t)s->P;
  for (int i = 0; i < m->npops && !x->rc; i++) {
    const hebb_pop *mp = &m->pops[i];
    bool single = s->parts[0].blocks[i].st.single;
    size_t sz = single ? sizeof(float) : sizeof(double);
    xcheck(x, mp->size, "a population's size");
    xcheck(x, sz, "a population's precision");
    for (uint32_t j = 0; j < mp->size && !x->rc; j++) {
      uint32_t gid = mp->gid0 + j;
      block *b = &s->parts[gid % P].blocks[i];
      size_t l = gid / P - b->l0;
      void *arrays[] = {b->st.v, b->st.s_ex, b->st.s_in, b->st.i_0, b->st.refr};
      for (size_t a = 0; a < sizeof arrays / sizeof arrays[0]; a++)
        xfer(x, (char *)arrays[a] + l * sz, sz);
    }
  }
}

/* ---- spikes in flight ---------------------------------------------------------------- */

/* The source gid of group G of PT (of N neurons): the last gid whose groups start at or
 * before G, by bisection of src_groups (groups are sorted by source). */
static uint32_t group_source(const partition *pt, uint32_t n, uint32_t g) {
  uint32_t lo = 0, hi = n; /* src_groups[lo] <= g < src_groups[hi] */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (pt->src_groups[mid] <= g)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

/* The group that queue event EV of PT delivers (group_event): its id, or the group whose
 * first synapse is the event's key. */
static uint32_t event_group(const partition *pt, hebb_event ev) {
  const uint32_t lo = (uint32_t)ev, start = (uint32_t)(ev >> 32);
  if (lo & EV_GROUP)
    return lo & ~EV_GROUP;
  uint32_t l = 0, h = pt->ngroups; /* the last group with a start <= START */
  while (h - l > 1) {
    uint32_t mid = l + (h - l) / 2;
    if (pt->grp[mid].start <= start)
      l = mid;
    else
      h = mid;
  }
  return l;
}

/* One queued delivery: the spike (step, gid) and the group (partition, index) it reaches. */
typedef struct {
  uint64_t step;
  uint32_t gid, part, g;
} queued;

static int cmp_queued(const void *a, const void *b) {
  const queued *x = a, *y = b;
  if (x->step != y->step)
    return x->step < y->step ? -1 : 1;
  if (x->gid != y->gid)
    return x->gid < y->gid ? -1 : 1;
  if (x->part != y->part)
    return x->part < y->part ? -1 : 1;
  return (x->g > y->g) - (x->g < y->g);
}

/* Every spike with a delivery still queued on some partition, sorted, each as often as it
 * was emitted: a generator may emit one neuron's spike more than once in a step (a spike
 * generator's repeated times, a Poisson generator's count), and then each of its groups is
 * queued as often. All copies of a group arrive in the same step, so every group of the
 * spike still queued is queued that many times: its first group's count is the spike's. */
static int spikes_in_flight(const hebb_sim *s, spk **out, uint64_t *nout) {
  size_t n = 0, cap = 0;
  queued *v = NULL;
  for (int p = 0; p < s->P; p++) {
    const partition *pt = &s->parts[p];
    const hebb_queue *q = &pt->q;
    for (uint32_t k = 0; k <= q->mask; k++) {
      uint64_t t = s->step + k; /* bucket of step t holds only step t's events */
      const hebb_bucket *b = &q->b[t & q->mask];
      for (uint32_t e = 0; e < b->n; e++) {
        if (n == cap) {
          cap = cap ? 2 * cap : 4096;
          queued *nv = realloc(v, cap * sizeof *nv);
          if (!nv) {
            free(v);
            return HEBB_ENOMEM;
          }
          v = nv;
        }
        uint32_t g = event_group(pt, b->ev[e]);
        v[n++] = (queued){t - pt->grp[g].delay, group_source(pt, (uint32_t)s->m->total_neurons, g),
                          (uint32_t)p, g};
      }
    }
  }
  if (n)
    qsort(v, n, sizeof *v, cmp_queued);
  /* a spike's entries are adjacent, those of one group of it too; at most n spikes */
  spk *f = malloc((n ? n : 1) * sizeof *f);
  if (!f) {
    free(v);
    return HEBB_ENOMEM;
  }
  size_t u = 0;
  for (size_t i = 0; i < n;) {
    const spk sp = {v[i].step, v[i].gid};
    for (size_t c = i; c < n && cmp_queued(&v[c], &v[i]) == 0; c++)
      f[u++] = sp;
    while (i < n && v[i].step == sp.step && v[i].gid == sp.gid)
      i++;
  }
  free(v);
  *out = f;
  *nout = u;
  return 0;
}

/* Queues, on every partition, the deliveries of the spikes in flight that are due at or
 * after the current step, and sizes the per-step lists for them. */
static int requeue(hebb_sim *s, const spk *v, uint64_t n) {
  for (int p = 0; p < s->P; p++) {
    partition *pt = &s->parts[p];
    hebb_queue_reset(&pt->q, s->step);
    for (uint64_t i = 0; i < n; i++) {
      uint32_t a = pt->src_groups[v[i].gid], b = pt->src_groups[v[i].gid + 1];
      for (uint32_t g = a; g < b; g++) {
        uint64_t at = v[i].step + pt->grp[g].delay;
        if (at >= s->step && hebb_queue_push(&pt->q, at, group_event(pt, g)))
          return HEBB_ENOMEM;
      }
    }
    if (size_arrivals(pt))
      return HEBB_ENOMEM;
  }
  return 0;
}

static void xfer_flight(xio *x, hebb_sim *s) {
  spk *v = NULL;
  uint64_t n = 0;
  if (!x->load) {
    int rc = spikes_in_flight(s, &v, &n);
    if (rc) {
      x->rc = rc;
      return;
    }
  }
  xfer(x, &n, sizeof n);
  if (x->load && !x->rc) {
    if (n > (uint64_t)(x->end - x->p) / 12) {
      xfail(x, "holds more spikes than it has bytes");
      return;
    }
    v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
      x->rc = HEBB_ENOMEM;
      return;
    }
  }
  for (uint64_t i = 0; i < n && !x->rc; i++) {
    xfer(x, &v[i].step, sizeof v[i].step);
    xfer(x, &v[i].gid, sizeof v[i].gid);
    if (x->load && !x->rc && (v[i].gid >= s->m->total_neurons || v[i].step >= s->step))
      xfail(x, "a spike in flight names a neuron or a time this network does not have");
  }
  if (x->load && !x->rc) {
    int rc = requeue(s, v, n);
    if (rc)
      x->rc = rc;
  }
  free(v);
}

/* ---- plastic projections --------------------------------------------------------------- */

/* Visits the groups of projection PROJ in the order (source gid, delay) and, within each,
 * its synapses in the order (target gid, creation), whatever the partitioning: the P pieces
 * of a group (one per partition that holds targets of it) are merged by target gid. For each
 * group, GROUP_FN gets the pieces (partitions and their group indexes); then SYN_FN gets
 * every synapse. */
typedef struct {
  partition *pt;
  uint32_t g;
  uint32_t k, end; /* synapse cursor within the piece */
  uint64_t l0;     /* the target block's first local index */
} piece;

typedef void (*group_fn)(void *ctx, piece *pieces, int n);
/* synapses [k, k + n) of partition PT, consecutive in the canonical order */
typedef void (*syn_fn)(void *ctx, partition *pt, uint32_t k, uint32_t n);

static void visit(hebb_sim *s, int proj, piece *pc, uint32_t *cur, void *ctx, group_fn gf,
                  syn_fn sf, const int *stop) {
  const hebb_model *m = s->m;
  const uint32_t P = (uint32_t)s->P;
  const uint32_t src0 = m->pops[m->projs[proj].spec.source].gid0;
  const uint32_t src1 = src0 + m->pops[m->projs[proj].spec.source].size;
  for (uint32_t src = src0; src < src1 && !*stop; src++) {
    /* each partition's groups of this source, of this projection, by delay */
    for (uint32_t p = 0; p < P; p++) {
      partition *pt = &s->parts[p];
      cur[p] = pt->src_groups[src];
      while (cur[p] < pt->src_groups[src + 1] && pt->grp[cur[p]].proj != proj)
        cur[p]++;
    }
    for (;;) {
      uint32_t dmin = UINT32_MAX;
      for (uint32_t p = 0; p < P; p++) {
        partition *pt = &s->parts[p];
        if (cur[p] < pt->src_groups[src + 1] && pt->grp[cur[p]].proj == proj &&
            pt->grp[cur[p]].delay < dmin)
          dmin = pt->grp[cur[p]].delay;
      }
      if (dmin == UINT32_MAX)
        break;
      int n = 0;
      for (uint32_t p = 0; p < P; p++) {
        partition *pt = &s->parts[p];
        uint32_t g = cur[p];
        if (g < pt->src_groups[src + 1] && pt->grp[g].proj == proj && pt->grp[g].delay == dmin) {
          pc[n++] = (piece){pt, g, pt->grp[g].start, pt->grp[g + 1].start,
                            pt->blocks[m->projs[proj].spec.target].l0};
          cur[p]++;
        }
      }
      if (gf)
        gf(ctx, pc, n);
      if (!sf)
        continue;
      if (n == 1) { /* the whole group on one partition: already in order */
        sf(ctx, pc[0].pt, pc[0].k, pc[0].end - pc[0].k);
        continue;
      }
      /* merge the pieces by target gid: gid = (l0 + local) * P + partition */
      for (;;) {
        int best = -1;
        uint64_t bgid = UINT64_MAX, second = UINT64_MAX;
        for (int i = 0; i < n; i++) {
          if (pc[i].k >= pc[i].end)
            continue;
          uint64_t gid = (pc[i].l0 + syn_target(pc[i].pt, pc[i].k)) * P + (uint64_t)pc[i].pt->id;
          if (gid < bgid) {
            second = bgid;
            bgid = gid;
            best = i;
          } else if (gid < second) {
            second = gid;
          }
        }
        if (best < 0)
          break;
        /* the run of the best piece that stays below every other piece's next target */
        piece *q = &pc[best];
        uint32_t k0 = q->k++;
        while (q->k < q->end &&
               (q->l0 + syn_target(q->pt, q->k)) * P + (uint64_t)q->pt->id < second)
          q->k++;
        sf(ctx, q->pt, k0, q->k - k0);
      }
    }
  }
}

typedef struct {
  xio *x;
  hebb_sim *s;
  int k; /* index among the plastic projections */
  int what;
  uint32_t sv;
  uint64_t count;
} pctx;

enum { V_WEIGHT, V_SYN, V_PRE };

static void syn_value(void *c, partition *pt, uint32_t k, uint32_t n) {
  pctx *p = c;
  p->count += n;
  if (p->what == V_WEIGHT)
    xfer(p->x, &pt->syn_w[k], n * sizeof(float));
  else
    xfer(p->x, &pt->pl[p->k].syn[p->sv][k], n * sizeof(float));
}

/* A group's presynaptic traces and state: saved from its first piece, restored into all. */
static void group_value(void *c, piece *pc, int n) {
  pctx *p = c;
  p->count++;
  const hebb_plastic *pl0 = &pc[0].pt->pl[p->k];
  uint32_t gp0 = pc[0].pt->grp_gp[pc[0].g];
  uint32_t nt = pl0->pre.n, ns = pl0->rule->npre_state;
  double tv[HEBB_RULE_MAX_TRACES], sv[HEBB_RULE_MAX_STATE];
  uint64_t last = pl0->pre.last[gp0];
  for (uint32_t j = 0; j < nt; j++)
    tv[j] = pl0->pre.value[(size_t)gp0 * nt + j];
  for (uint32_t j = 0; j < ns; j++)
    sv[j] = pl0->pre_state[j][gp0];
  xfer(p->x, tv, nt * sizeof(double));
  xfer(p->x, &last, sizeof last);
  xfer(p->x, sv, ns * sizeof(double));
  if (!p->x->load || p->x->rc)
    return;
  for (int i = 0; i < n; i++) {
    hebb_plastic *pl = &pc[i].pt->pl[p->k];
    uint32_t gp = pc[i].pt->grp_gp[pc[i].g];
    for (uint32_t j = 0; j < nt; j++)
      pl->pre.value[(size_t)gp * nt + j] = tv[j];
    pl->pre.last[gp] = last;
    for (uint32_t j = 0; j < ns; j++)
      pl->pre_state[j][gp] = sv[j];
  }
}

static void xfer_plastic(xio *x, hebb_sim *s, int k, piece *pc, uint32_t *cur) {
  const hebb_model *m = s->m;
  const uint32_t P = (uint32_t)s->P;
  hebb_plastic *pl0 = &s->parts[0].pl[k];
  const hebb_rule *r = pl0->rule;
  const int proj = pl0->proj;
  const hebb_pop *tp = &m->pops[m->projs[proj].spec.target];
  uint64_t nsyn = 0;
  for (uint32_t p = 0; p < P; p++) {
    const hebb_plastic *pl = &s->parts[p].pl[k];
    nsyn += pl->rev_start[pl->nneurons];
  }
  xcheck(x, (uint64_t)proj, "a plastic projection's id");
  xcheck(x, nsyn, "the number of plastic synapses");
  xcheck(x, pl0->nsyn, "the rule's synapse variables");
  xcheck(x, r->npre, "the rule's presynaptic traces");
  xcheck(x, r->npost, "the rule's postsynaptic traces");
  xcheck(x, r->npre_state, "the rule's presynaptic variables");
  xcheck(x, r->npost_state, "the rule's postsynaptic variables");
  /* synapses: weights, then each rule variable */
  pctx c = {x, s, k, V_WEIGHT, 0, 0};
  visit(s, proj, pc, cur, &c, NULL, syn_value, &x->rc);
  for (uint32_t v = 0; v < pl0->nsyn; v++) {
    c.what = V_SYN;
    c.sv = v;
    visit(s, proj, pc, cur, &c, NULL, syn_value, &x->rc);
  }
  if (!x->rc && c.count != nsyn * (1 + pl0->nsyn))
    xfail(x, "the synapses visited do not add up (engine bug)");
  /* presynaptic groups */
  visit(s, proj, pc, cur, &c, group_value, NULL, &x->rc);
  /* postsynaptic traces and state, by target neuron */
  for (uint32_t j = 0; j < tp->size && !x->rc; j++) {
    uint32_t gid = tp->gid0 + j;
    partition *pt = &s->parts[gid % P];
    hebb_plastic *pl = &pt->pl[k];
    uint32_t l = gid / P - pt->blocks[pl->blk].l0;
    xfer(x, &pl->post.value[(size_t)l * pl->post.n], pl->post.n * sizeof(double));
    xfer(x, &pl->post.last[l], sizeof(uint64_t));
    for (uint32_t v = 0; v < r->npost_state; v++)
      xfer(x, &pl->post_state[v][l], sizeof(double));
  }
  /* the neuromodulator, the same on every partition */
  uint8_t has_mod = pl0->has_mod, has_critic = pl0->has_critic;
  xcheck(x, has_mod, "whether a projection has a neuromodulator");
  xcheck(x, has_critic, "whether a projection has a critic");
  if (!has_mod || x->rc)
    return;
  hebb_modulator mod = pl0->mod;
  uint64_t last_pre = pl0->critic_last_pre, rewards = pl0->critic_rewards;
  uint64_t npend = pl0->nev - pl0->ev_pos;
  xfer(x, &mod.value, sizeof mod.value);
  xfer(x, &mod.last, sizeof mod.last);
  xfer(x, &last_pre, sizeof last_pre);
  xfer(x, &rewards, sizeof rewards);
  xfer(x, &npend, sizeof npend);
  if (x->load && !x->rc && npend > (uint64_t)(x->end - x->p) / 16) {
    xfail(x, "holds more neuromodulator events than it has bytes");
    return;
  }
  if (x->load && !x->rc)
    for (uint32_t p = 0; p < P; p++) { /* the schedule's rewards are among the pending events */
      hebb_plastic *pl = &s->parts[p].pl[k];
      pl->nev = pl->ev_pos = 0;
      pl->mod.value = mod.value;
      pl->mod.last = mod.last;
      pl->critic_last_pre = last_pre;
      pl->critic_rewards = rewards;
    }
  for (uint64_t e = 0; e < npend && !x->rc; e++) {
    uint64_t step = x->load ? 0 : pl0->ev_step[pl0->ev_pos + e];
    double amount = x->load ? 0 : pl0->ev_amount[pl0->ev_pos + e];
    xfer(x, &step, sizeof step);
    xfer(x, &amount, sizeof amount);
    if (!x->load || x->rc)
      continue;
    if (step < s->step) {
      xfail(x, "a pending neuromodulator event lies in the past");
      return;
    }
    for (uint32_t p = 0; p < P; p++)
      if (hebb_plastic_add_modulator_event(&s->parts[p].pl[k], step, amount))
        x->rc = HEBB_ENOMEM;
  }
}

/* ---- counters (ancillary) ------------------------------------------------------------ */

static void xfer_counters(xio *x, hebb_sim *s) {
  const hebb_model *m = s->m;
  uint64_t v[3] = {0, 0, 0};
  for (int p = 0; p < s->P; p++) {
    v[0] += s->parts[p].syn_events;
    v[1] += s->parts[p].q.pushed;
    for (int k = 0; k < s->parts[p].npl; k++)
      v[2] += s->parts[p].pl[k].updates;
  }
  xfer(x, v, sizeof v);
  for (int i = 0; i < m->npops && !x->rc; i++) {
    uint64_t n = hebb_sim_population_spikes(s, i);
    xfer(x, &n, sizeof n);
    if (x->load && !x->rc) {
      for (int p = 0; p < s->P; p++)
        s->parts[p].blocks[i].spikes = 0;
      s->parts[0].blocks[i].spikes = n;
    }
  }
  if (x->load && !x->rc) {
    for (int p = 0; p < s->P; p++) {
      s->parts[p].syn_events = 0;
      s->parts[p].q.pushed = 0;
      for (int k = 0; k < s->parts[p].npl; k++)
        s->parts[p].pl[k].updates = 0;
    }
    s->parts[0].syn_events = v[0];
    s->parts[0].q.pushed = v[1];
    if (s->parts[0].npl)
      s->parts[0].pl[0].updates = v[2];
  }
}

/* ---- the whole state ----------------------------------------------------------------- */

/* Positions in the schedules that follow from the step: spike generators, dc sources. */
static void seek_schedules(hebb_sim *s) {
  for (int p = 0; p < s->P; p++) {
    partition *pt = &s->parts[p];
    for (int i = 0; i < pt->nblocks; i++) {
      block *b = &pt->blocks[i];
      for (uint32_t l = 0; b->sg_pos && l < b->n; l++) {
        uint32_t j = 0;
        while (j < b->sg_n[l] && b->sg_step[l][j] < s->step)
          j++;
        b->sg_pos[l] = j;
      }
    }
    size_t j = 0;
    while (j < pt->ndc_change && pt->dc_change[j] < s->step)
      j++;
    pt->dc_pos = j;
  }
}

/* ---- error feedback ------------------------------------------------------------------ */

/* Per feedback, per hidden neuron by index: the errors due in the next D steps, in step
 * order (feedback.c keeps them in a ring). */
static void xfer_feedback(xio *x, hebb_sim *s) {
  const hebb_model *m = s->m;
  const uint32_t P = (uint32_t)s->P;
  xcheck(x, (uint64_t)m->nfbs, "the number of feedbacks");
  for (int f = 0; f < m->nfbs && !x->rc; f++) {
    const fbshared *sh = &s->fbs[f];
    const hebb_pop *hp = &m->pops[m->fbs[f].to];
    xcheck(x, sh->D, "a feedback's delay in steps");
    xcheck(x, hp->size, "the size of a population receiving feedback");
    for (uint32_t j = 0; j < hp->size && !x->rc; j++) {
      uint32_t gid = hp->gid0 + j;
      partition *pt = &s->parts[gid % P];
      const block *b = &pt->blocks[m->fbs[f].to];
      size_t l = gid / P - b->l0;
      for (uint64_t t = s->step; t < s->step + sh->D; t++)
        xfer(x, &pt->fb[f].ring[(size_t)(t % sh->D) * b->n + l], sizeof(double));
    }
  }
}

static int xfer_all(hebb_sim *s, xio *x, const hebb_ckpt_reader *r) {
  const hebb_model *m = s->m;
  begin(x, r, HEBB_SEC_META, "meta");
  uint64_t step = s->step;
  xfer(x, &step, sizeof step);
  if (x->load && !x->rc) {
    if (step % s->epoch) {
      xfail(x, "the step is not at an epoch boundary");
      return x->rc;
    }
    s->step = step;
  }
  xcheck(x, m->total_neurons, "the number of neurons");
  xcheck(x, (uint64_t)m->npops, "the number of populations");
  xcheck(x, (uint64_t)m->nprojs, "the number of projections");
  xcheck(x, s->epoch, "the steps per epoch");
  uint64_t nsyn = 0;
  for (int p = 0; p < s->P; p++)
    nsyn += s->parts[p].nsyn;
  xcheck(x, nsyn, "the number of synapses");
  end(x);

  begin(x, r, HEBB_SEC_NEURONS, "neurons");
  xfer_neurons(x, s);
  end(x);

  begin(x, r, HEBB_SEC_FLIGHT, "spikes in flight");
  xfer_flight(x, s);
  end(x);

  int npl = s->parts[0].npl;
  piece *pc = malloc((size_t)s->P * sizeof *pc);
  uint32_t *cur = malloc((size_t)s->P * sizeof *cur);
  if (!pc || !cur) {
    free(pc);
    free(cur);
    return HEBB_ENOMEM;
  }
  begin(x, r, HEBB_SEC_PLASTIC, "plasticity");
  xcheck(x, (uint64_t)npl, "the number of plastic projections");
  for (int k = 0; k < npl && !x->rc; k++)
    xfer_plastic(x, s, k, pc, cur);
  end(x);
  free(pc);
  free(cur);

  if (m->nfbs) {
    begin(x, r, HEBB_SEC_FEEDBACK, "feedback");
    xfer_feedback(x, s);
    end(x);
  }

  /* ancillary: an older reader may skip it, and a missing one is no error */
  if (!x->load || hebb_ckpt_data(r, HEBB_SEC_COUNTERS, NULL)) {
    x->section = "counters";
    if (!x->load && !x->rc && hebb_ckpt_begin(x->w, HEBB_SEC_COUNTERS, 0))
      x->rc = HEBB_EIO;
    if (x->load) {
      uint64_t len = 0;
      x->p = hebb_ckpt_data(r, HEBB_SEC_COUNTERS, &len);
      x->end = x->p + len;
    }
    xfer_counters(x, s);
    end(x);
  }
  if (x->load && !x->rc)
    seek_schedules(s);
  return x->rc;
}

int hebb__sim_save(hebb_sim *s, hebb_ckpt_writer *w, char *err, size_t errlen) {
  if (s->failed)
    return HEBB_ESTATE;
  if (s->step % s->epoch) {
    snprintf(err, errlen,
             "a checkpoint can only be taken at an epoch boundary (step %llu is not "
             "a multiple of %u)",
             (unsigned long long)s->step, s->epoch);
    return HEBB_ESTATE;
  }
  xio x = {.load = false, .w = w, .err = err, .errlen = errlen};
  if (!(x.buf = malloc(XBUF)))
    return HEBB_ENOMEM;
  int rc = xfer_all(s, &x, NULL);
  free(x.buf);
  return rc;
}

int hebb__sim_restore(hebb_sim *s, const hebb_ckpt_reader *r, char *err, size_t errlen) {
  if (s->failed || s->step != 0)
    return HEBB_ESTATE;
  xio x = {.load = true, .err = err, .errlen = errlen};
  int rc = xfer_all(s, &x, r);
  if (rc)
    s->failed = rc; /* half restored: unusable */
  return rc;
}

/* feedback.c - error feedback onto hidden layers (hebb_model_add_feedback), for rules that
 * learn spike trains through a hidden layer (superspike; MODELS.md 2.10).
 *
 * The raw error of an output neuron i in step s is r_i(s) = (target spikes) - (own spikes).
 * A hidden neuron k receives err_k(s + D) = sum_i B_ki r_i(s), D the feedback delay, and its
 * rules filter it like an output neuron's error (hebb_rule_ctx.post_error).
 *
 * The error travels like a spike: every partition sees every output spike at the epoch's
 * exchange (the outboxes), and the targets are model data, so each partition computes the
 * errors of its own hidden neurons for the steps of the epoch just ended, in a fixed order
 * (steps ascending; within a step, output neurons ascending), and keeps them in a ring of D
 * steps until they are due. D is at least the epoch, so an error is always computed before
 * its step comes. Nothing depends on the partitioning.
 *
 * Symmetric feedback uses the forward weights k -> i, which live on the output neurons'
 * partitions. At the end of every epoch each partition publishes the forward weights onto its
 * output neurons into a dense matrix, double-buffered by epoch parity like the outboxes; the
 * exchange after the barrier reads the matrix of that epoch. So the error of epoch E goes
 * back through the forward weights as they stand at the end of epoch E.
 *
 * Checkpoints save the ring (sim_state.c): per hidden neuron, the errors due in the next D
 * steps.
 */
#include "rng.h"
#include "sim_internal.h"

#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int hebb__fb_build_shared(hebb_sim *s) {
  const hebb_model *m = s->m;
  if (!m->nfbs)
    return 0;
  if (!(s->fbs = calloc((size_t)m->nfbs, sizeof *s->fbs)))
    return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  s->nfbs = m->nfbs;
  for (int f = 0; f < m->nfbs; f++) {
    const hebb_feedback *fb = &m->fbs[f];
    fbshared *sh = &s->fbs[f];
    const hebb_pop *out = &m->pops[fb->from], *hid = &m->pops[fb->to];
    sh->nout = out->size;
    sh->nhid = hid->size;
    sh->fwd = -1;
    int rc = hebb_model_check_feedback(m, f);
    if (rc)
      return rc;
    for (int p = 0; p < m->nprojs; p++)
      if (m->projs[p].spec.source == fb->to && m->projs[p].spec.target == fb->from)
        sh->fwd = p;
    uint64_t D = fb->delay_ms > 0 ? hebb__delay_steps(fb->delay_ms, m->dt) : s->epoch;
    if (D < s->epoch)
      return hebb__model_fail(m, HEBB_ERANGE, "delay",
                              "feedback '%s': the delay (%g ms) must be at least the smallest "
                              "synaptic delay (%g ms): the error travels like a spike",
                              fb->name, fb->delay_ms, s->epoch * m->dt);
    sh->D = (uint32_t)D;
    sh->period = (uint64_t)llround(out->target_period_ms / m->dt);
    size_t cnt = 0;
    for (uint32_t i = 0; i < out->size; i++)
      cnt += out->n_target_times[i];
    if (!(sh->tg = malloc((cnt ? cnt : 1) * sizeof *sh->tg)))
      return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
    for (uint32_t i = 0; i < out->size; i++)
      for (size_t j = 0; j < out->n_target_times[i]; j++) {
        /* a time t counts in the step that ends at t, as for the output's own rule */
        uint64_t st = (uint64_t)llround(out->target_times[i][j] / m->dt) - 1;
        sh->tg[sh->ntg++] = (st % sh->period) << 32 | i;
      }
    qsort(sh->tg, sh->ntg, sizeof *sh->tg, cmp_u64);
    if (fb->kind == HEBB_FEEDBACK_SYMMETRIC)
      for (int k = 0; k < 2; k++)
        if (!(sh->w[k] = calloc((size_t)sh->nout * sh->nhid, sizeof(double))))
          return hebb__model_fail(m, HEBB_ENOMEM, "", "out of memory");
  }
  return 0;
}

void hebb__fb_free_shared(hebb_sim *s) {
  for (int f = 0; f < s->nfbs; f++) {
    free(s->fbs[f].tg);
    free(s->fbs[f].w[0]);
    free(s->fbs[f].w[1]);
  }
  free(s->fbs);
}

int hebb__fb_build(hebb_sim *s, partition *pt) {
  const hebb_model *m = s->m;
  if (!s->nfbs)
    return 0;
  if (!(pt->fb = calloc((size_t)s->nfbs, sizeof *pt->fb)))
    return HEBB_ENOMEM;
  pt->nfb = s->nfbs;
  for (int f = 0; f < s->nfbs; f++) {
    const hebb_feedback *fb = &m->fbs[f];
    const fbshared *sh = &s->fbs[f];
    fbpart *fp = &pt->fb[f];
    block *b = &pt->blocks[fb->to];
    size_t nloc = b->n ? b->n : 1;
    if (!b->rule_err && !(b->rule_err = calloc(nloc, sizeof *b->rule_err)))
      return HEBB_ENOMEM;
    if (!(fp->ring = calloc((size_t)sh->D * nloc, sizeof *fp->ring)) ||
        !(fp->ri = malloc((size_t)sh->nout * sizeof *fp->ri)) ||
        !(fp->rv = malloc((size_t)sh->nout * sizeof *fp->rv)))
      return HEBB_ENOMEM;
    if (fb->kind == HEBB_FEEDBACK_SYMMETRIC)
      continue;
    if (!(fp->B = malloc(nloc * sh->nout * sizeof *fp->B)))
      return HEBB_ENOMEM;
    const uint32_t gid0 = m->pops[fb->to].gid0;
    for (uint32_t l = 0; l < b->n; l++) {
      uint32_t k = (b->l0 + l) * (uint32_t)s->P + (uint32_t)pt->id - gid0;
      for (uint32_t i = 0; i < sh->nout; i++) {
        double v = fb->scale;
        if (fb->kind == HEBB_FEEDBACK_RANDOM) {
          hebb_rng r;
          hebb_rng_init(&r, m->seed, hebb_stream(HEBB_STREAM_FEEDBACK, (uint32_t)f), k, i);
          v *= hebb_rng_normal(&r);
        }
        fp->B[(size_t)l * sh->nout + i] = v;
      }
    }
  }
  return 0;
}

void hebb__fb_free(partition *pt) {
  for (int f = 0; f < pt->nfb; f++) {
    free(pt->fb[f].B);
    free(pt->fb[f].ring);
    free(pt->fb[f].ev);
    free(pt->fb[f].ri);
    free(pt->fb[f].rv);
  }
  free(pt->fb);
}

/* The forward weights onto this partition's output neurons, into the matrix of epoch E's
 * parity: W[i * nhid + k] = the sum of the weights of the synapses k -> i. */
void hebb__fb_publish(hebb_sim *s, partition *pt, uint64_t e) {
  const hebb_model *m = s->m;
  const uint32_t P = (uint32_t)s->P;
  for (int f = 0; f < s->nfbs; f++) {
    const fbshared *sh = &s->fbs[f];
    if (!sh->w[0])
      continue;
    const hebb_feedback *fb = &m->fbs[f];
    double *W = sh->w[e & 1];
    const block *ob = &pt->blocks[fb->from];
    const uint32_t og0 = m->pops[fb->from].gid0, hg0 = m->pops[fb->to].gid0;
    for (uint32_t l = 0; l < ob->n; l++)
      memset(W + (size_t)((ob->l0 + l) * P + (uint32_t)pt->id - og0) * sh->nhid, 0,
             sh->nhid * sizeof *W);
    for (uint32_t k = 0; k < sh->nhid; k++)
      for (uint32_t g = pt->src_groups[hg0 + k]; g < pt->src_groups[hg0 + k + 1]; g++) {
        if (pt->grp[g].proj != sh->fwd)
          continue;
        for (uint32_t x = pt->grp[g].start; x < pt->grp[g + 1].start; x++) {
          uint32_t i = (ob->l0 + syn_target(pt, x)) * P + (uint32_t)pt->id - og0;
          W[(size_t)i * sh->nhid + k] += (double)syn_weight(pt, g, x);
        }
      }
  }
}

static bool ev_push(fbpart *fp, uint64_t v) {
  if (fp->nev == fp->evcap) {
    size_t cap = fp->evcap ? 2 * fp->evcap : 256;
    uint64_t *nv = realloc(fp->ev, cap * sizeof *nv);
    if (!nv)
      return false;
    fp->ev = nv;
    fp->evcap = cap;
  }
  fp->ev[fp->nev++] = v;
  return true;
}

/* The errors that the output spikes and targets of epoch E send to this partition's hidden
 * neurons, into the rings, each at its due step. Returns 0 or HEBB_ENOMEM. */
int hebb__fb_exchange(hebb_sim *s, partition *pt, uint64_t e) {
  const hebb_model *m = s->m;
  const uint32_t P = (uint32_t)s->P;
  const uint64_t E = s->epoch, e0 = e * E;
  for (int f = 0; f < s->nfbs; f++) {
    const hebb_feedback *fb = &m->fbs[f];
    const fbshared *sh = &s->fbs[f];
    fbpart *fp = &pt->fb[f];
    const block *b = &pt->blocks[fb->to];
    if (!b->n)
      continue;
    /* events: step within the epoch << 33 | output neuron << 1 | (1: target, 0: own spike) */
    const uint32_t og0 = m->pops[fb->from].gid0;
    fp->nev = 0;
    for (int q = 0; q < s->P; q++) {
      const spkbuf *ob = &s->parts[q].out[e & 1];
      for (size_t j = 0; j < ob->n; j++) {
        uint32_t gid = ob->v[j].gid;
        if (gid >= og0 && gid - og0 < sh->nout &&
            !ev_push(fp, (ob->v[j].step - e0) << 33 | (uint64_t)(gid - og0) << 1))
          return HEBB_ENOMEM;
      }
    }
    uint64_t ph = e0 % sh->period;
    size_t lo = 0, hi = sh->ntg; /* the first target event of phase >= ph */
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (sh->tg[mid] >> 32 < ph)
        lo = mid + 1;
      else
        hi = mid;
    }
    for (uint64_t st = 0; st < E; st++, ph++) {
      if (ph == sh->period) {
        ph = 0;
        lo = 0;
      }
      for (; lo < sh->ntg && sh->tg[lo] >> 32 == ph; lo++)
        if (!ev_push(fp, st << 33 | (uint64_t)(uint32_t)sh->tg[lo] << 1 | 1u))
          return HEBB_ENOMEM;
    }
    if (fp->nev > 1)
      qsort(fp->ev, fp->nev, sizeof *fp->ev, cmp_u64);
    const uint32_t hg0 = m->pops[fb->to].gid0;
    const double *W = sh->w[0] ? sh->w[e & 1] : NULL;
    for (size_t a = 0; a < fp->nev;) {
      uint64_t rel = fp->ev[a] >> 33;
      uint32_t nr = 0;
      while (a < fp->nev && fp->ev[a] >> 33 == rel) {
        uint64_t who = fp->ev[a] >> 1;
        int r = 0;
        for (; a < fp->nev && fp->ev[a] >> 1 == who; a++)
          r += fp->ev[a] & 1u ? 1 : -1;
        if (r) {
          fp->ri[nr] = (uint32_t)who;
          fp->rv[nr++] = r;
        }
      }
      double *slot = fp->ring + (size_t)((e0 + rel) % sh->D) * b->n;
      for (uint32_t l = 0; l < b->n; l++) {
        double sum = 0.0;
        if (W) {
          uint32_t k = (b->l0 + l) * P + (uint32_t)pt->id - hg0;
          for (uint32_t j = 0; j < nr; j++)
            sum += fb->scale * W[(size_t)fp->ri[j] * sh->nhid + k] * fp->rv[j];
        } else {
          const double *B = fp->B + (size_t)l * sh->nout;
          for (uint32_t j = 0; j < nr; j++)
            sum += B[fp->ri[j]] * fp->rv[j];
        }
        slot[l] = sum;
      }
    }
  }
  return 0;
}

/* The error due in step N for the hidden neurons of this partition, into their blocks'
 * rule_err; the ring slots are cleared for the step N + D that reuses them. */
void hebb__fb_consume(hebb_sim *s, partition *pt, uint64_t n) {
  const hebb_model *m = s->m;
  for (int f = 0; f < pt->nfb; f++)
    memset(pt->blocks[m->fbs[f].to].rule_err, 0, pt->blocks[m->fbs[f].to].n * sizeof(double));
  for (int f = 0; f < pt->nfb; f++) {
    block *b = &pt->blocks[m->fbs[f].to];
    double *slot = pt->fb[f].ring + (size_t)(n % s->fbs[f].D) * b->n;
    for (uint32_t l = 0; l < b->n; l++) {
      b->rule_err[l] += slot[l];
      slot[l] = 0.0;
    }
  }
}

int hebb_sim_feedback_matrix(const hebb_sim *s, int fb, double *B) {
  if (fb < 0 || fb >= s->nfbs)
    return HEBB_EINVAL;
  const hebb_model *m = s->m;
  const hebb_feedback *f = &m->fbs[fb];
  const fbshared *sh = &s->fbs[fb];
  const uint32_t P = (uint32_t)s->P;
  if (f->kind != HEBB_FEEDBACK_SYMMETRIC) {
    for (uint32_t k = 0; k < sh->nhid; k++) {
      uint32_t gid = m->pops[f->to].gid0 + k;
      const partition *pt = &s->parts[gid % P];
      size_t l = gid / P - pt->blocks[f->to].l0;
      memcpy(B + (size_t)k * sh->nout, pt->fb[fb].B + l * sh->nout, sh->nout * sizeof *B);
    }
    return 0;
  }
  hebb_synapse *syn;
  size_t n;
  int rc = hebb_sim_synapses(s, sh->fwd, &syn, &n);
  if (rc)
    return rc;
  memset(B, 0, (size_t)sh->nhid * sh->nout * sizeof *B);
  for (size_t x = 0; x < n; x++)
    B[(size_t)syn[x].source * sh->nout + syn[x].target] += (double)syn[x].weight;
  for (size_t x = 0; x < (size_t)sh->nhid * sh->nout; x++)
    B[x] *= f->scale;
  free(syn);
  return 0;
}

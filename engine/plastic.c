/* plastic.c - plastic projections on a partition; see plastic.h. */
#include "plastic.h"

#include "bigmem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PRE, POST };

static int trace_tables(hebb_plastic *pl, int side, const hebb_rule_trace *tr, uint32_t n,
                        char *err, size_t errlen) {
  const hebb_proj *pj = pl->pj;
  for (uint32_t j = 0; j < n; j++) {
    double tau = pj->rule_params[tr[j].tau_param];
    if (!(tau > 0) || !isfinite(tau)) {
      snprintf(err, errlen, "%s must be a positive time, got %g ms",
               pl->rule->params[tr[j].tau_param].name, tau);
      return HEBB_ERANGE;
    }
    pl->tau_steps[side][j] = tau / pl->dt;
    pl->mode[side][j] =
        tr[j].mode_option < 0 ? HEBB_TRACE_ADD : tr[j].modes[pj->rule_opts[tr[j].mode_option]];
    double *t = malloc(HEBB_DECAY_TABLE * sizeof *t);
    if (!t)
      return HEBB_ENOMEM;
    /* exp of the exact elapsed time, not a product of per-step factors: a trace read k steps
     * after its update carries one rounding, whatever k */
    for (uint32_t k = 0; k < HEBB_DECAY_TABLE; k++)
      t[k] = exp(-(double)k / pl->tau_steps[side][j]);
    pl->decay[side][j] = t;
    pl->decay_c[side][j] = t;
  }
  hebb_trace_set *ts = side == PRE ? &pl->pre : &pl->post;
  ts->decay = pl->decay_c[side];
  ts->tau_steps = pl->tau_steps[side];
  ts->n = n;
  ts->table_len = HEBB_DECAY_TABLE;
  return 0;
}

static int alloc_traces(hebb_trace_set *t, uint32_t owners) {
  t->value = calloc((size_t)(owners ? owners : 1) * (t->n ? t->n : 1), sizeof(double));
  t->last = calloc(owners ? owners : 1, sizeof(uint64_t));
  return t->value && t->last ? 0 : HEBB_ENOMEM;
}

/* The packing of the postsynaptic index of projection PROJ (rule.h, hebb_rule_post): the
 * largest shift (so that every group is one chunk) for which the chunks are numbered within
 * the 32 - shift bits left; their number in *NCHUNKS. Shift 0 (a chunk per synapse) always
 * fits: a partition has fewer than 2^32 synapses. */
static uint32_t rev_shift(uint32_t ngroups, const hebb_group *grp, int proj, uint32_t *nchunks) {
  uint32_t largest = 0;
  for (uint32_t g = 0; g < ngroups; g++)
    if (grp[g].proj == proj && grp[g + 1].start - grp[g].start > largest)
      largest = grp[g + 1].start - grp[g].start;
  uint32_t shift = 0;
  while (shift < 31 && (UINT64_C(1) << shift) < largest)
    shift++;
  for (;; shift--) {
    uint64_t n = 0;
    for (uint32_t g = 0; g < ngroups; g++)
      if (grp[g].proj == proj)
        n += ((uint64_t)(grp[g + 1].start - grp[g].start) + (UINT64_C(1) << shift) - 1) >> shift;
    if (n <= UINT64_C(1) << (32 - shift) || shift == 0) {
      *nchunks = (uint32_t)n;
      return shift;
    }
  }
}

int hebb_plastic_init(hebb_plastic *pl, const hebb_model *m, int proj, uint32_t nneurons,
                      uint32_t ngroups, const hebb_group *grp, const uint16_t *tgt16,
                      const uint32_t *tgt32, const float *syn_w, uint64_t nsyn, uint32_t *grp_gp,
                      char *err, size_t errlen) {
  memset(pl, 0, sizeof *pl);
  const hebb_proj *pj = &m->projs[proj];
  const hebb_rule *r = pj->rule;
  pl->pj = pj;
  pl->rule = r;
  pl->proj = proj;
  pl->blk = pj->spec.target;
  pl->dt = m->dt;
  pl->nneurons = nneurons;
  if (r->check && r->check(pj->rule_params, pj->rule_opts, err, errlen))
    return HEBB_ERANGE;
  if (r->on_modulator) {
    double tau = r->mod_tau_param >= 0 && (uint32_t)r->mod_tau_param < r->nparams
                     ? pj->rule_params[r->mod_tau_param]
                     : NAN;
    if (!(tau > 0) || !isfinite(tau)) {
      snprintf(err, errlen, "the neuromodulator time constant must be positive, got %g ms", tau);
      return HEBB_ERANGE;
    }
    if (pj->mod_pop < 0 && pj->nrewards == 0 && pj->critic_pre < 0) {
      snprintf(err, errlen,
               "rule %s is a three-factor rule and needs a neuromodulator (a population's "
               "spikes, a reward schedule or a critic)",
               r->name);
      return HEBB_EINVAL;
    }
    pl->has_mod = true;
    pl->mod.tau_steps = tau / m->dt;
    if (pj->critic_pre >= 0) {
      pl->has_critic = true;
      pl->critic_gid[0] = m->pops[pj->critic_pre].gid0 + pj->critic_pre_index;
      pl->critic_gid[1] = m->pops[pj->critic_post].gid0 + pj->critic_post_index;
      pl->critic_last_pre = UINT64_MAX;
    }
    for (size_t k = 0; k < pj->nrewards; k++) {
      /* a reward at t acts in the step that ends at t */
      int rc = hebb_plastic_add_modulator_event(pl, (uint64_t)llround(pj->reward_ms[k] / m->dt) - 1,
                                                pj->reward_amount[k]);
      if (rc)
        return rc;
    }
  }
  if (r->on_period) {
    double period = r->period_param >= 0 && (uint32_t)r->period_param < r->nparams
                        ? pj->rule_params[r->period_param]
                        : NAN;
    double steps = period / m->dt;
    if (!(steps >= 1 - 1e-9) || fabs(steps - llround(steps)) > 1e-6 * steps) {
      snprintf(err, errlen, "the period (%g ms) must be a whole number of steps of %g ms", period,
               m->dt);
      return HEBB_ERANGE;
    }
    pl->period_steps = (uint64_t)llround(steps);
  }
  int rc = trace_tables(pl, PRE, r->pre, r->npre, err, errlen);
  if (!rc)
    rc = trace_tables(pl, POST, r->post, r->npost, err, errlen);
  if (rc)
    return rc;
  /* number this projection's groups and count its synapses per target */
  pl->rev_start = calloc((size_t)nneurons + 1, sizeof(uint32_t));
  if (!pl->rev_start)
    return HEBB_ENOMEM;
  uint64_t nplastic = 0;
  for (uint32_t g = 0; g < ngroups; g++) {
    if (grp[g].proj != proj)
      continue;
    grp_gp[g] = pl->ngroups++;
    for (uint32_t k = grp[g].start; k < grp[g + 1].start; k++)
      pl->rev_start[(tgt16 ? tgt16[k] : tgt32[k]) + 1]++;
    nplastic += grp[g + 1].start - grp[g].start;
  }
  for (uint32_t i = 0; i < nneurons; i++)
    pl->rev_start[i + 1] += pl->rev_start[i];
  pl->rev_shift = rev_shift(ngroups, grp, proj, &pl->nchunks);
  pl->rev = hebb_big_alloc((nplastic ? nplastic : 1) * sizeof(uint32_t));
  pl->chunk_first = malloc((pl->nchunks ? pl->nchunks : 1) * sizeof(uint32_t));
  if (pl->nchunks != pl->ngroups) /* groups cut into chunks */
    pl->chunk_group = malloc(pl->nchunks * sizeof(uint32_t));
  uint32_t *fill = malloc(((size_t)nneurons + 1) * sizeof(uint32_t));
  if (!pl->rev || !pl->chunk_first || (pl->nchunks != pl->ngroups && !pl->chunk_group) || !fill) {
    free(fill);
    return HEBB_ENOMEM;
  }
  memcpy(fill, pl->rev_start, ((size_t)nneurons + 1) * sizeof(uint32_t));
  /* each neuron's list in group order, which is (source, delay): fixed by the model alone */
  const uint32_t len = UINT32_C(1) << pl->rev_shift;
  uint32_t c = 0;
  for (uint32_t g = 0; g < ngroups; g++) {
    if (grp[g].proj != proj)
      continue;
    for (uint32_t k = grp[g].start; k < grp[g + 1].start; k++) {
      uint32_t off = (k - grp[g].start) & (len - 1);
      if (off == 0) {
        pl->chunk_first[c] = k;
        if (pl->chunk_group)
          pl->chunk_group[c] = grp_gp[g];
        c++;
      }
      pl->rev[fill[tgt16 ? tgt16[k] : tgt32[k]]++] = (c - 1) << pl->rev_shift | off;
    }
  }
  free(fill);
  if (alloc_traces(&pl->pre, pl->ngroups) || alloc_traces(&pl->post, nneurons))
    return HEBB_ENOMEM;
  for (int side = PRE; side <= POST; side++) {
    uint32_t nvar = side == PRE ? r->npre_state : r->npost_state;
    uint32_t owners = side == PRE ? pl->ngroups : nneurons;
    double **st = side == PRE ? pl->pre_state : pl->post_state;
    for (uint32_t s = 0; s < nvar; s++) {
      st[s] = malloc((owners ? owners : 1) * sizeof(double));
      if (!st[s])
        return HEBB_ENOMEM;
      double v = r->state_init ? r->state_init(pj->rule_params, pj->rule_opts, side, s) : 0.0;
      for (uint32_t o = 0; o < owners; o++)
        st[s][o] = v;
    }
  }
  pl->nsyn = r->syn_used ? r->syn_used(pj->rule_params, pj->rule_opts) : r->nsyn;
  if (pl->nsyn > r->nsyn) {
    snprintf(err, errlen, "rule %s asks for %u synapse variables but declares %u", r->name,
             pl->nsyn, r->nsyn);
    return HEBB_EINVAL;
  }
  for (uint32_t s = 0; s < pl->nsyn; s++) {
    pl->syn[s] = hebb_big_calloc(nsyn ? nsyn : 1, sizeof(float));
    if (!pl->syn[s])
      return HEBB_ENOMEM;
    if (r->syn_init)
      for (uint32_t g = 0; g < ngroups; g++)
        if (grp[g].proj == proj)
          for (uint32_t k = grp[g].start; k < grp[g + 1].start; k++)
            pl->syn[s][k] = r->syn_init(pj->rule_params, pj->rule_opts, s, syn_w[k]);
  }
  return 0;
}

void hebb_plastic_free(hebb_plastic *pl) {
  for (int side = 0; side < 2; side++)
    for (int j = 0; j < HEBB_RULE_MAX_TRACES; j++)
      free(pl->decay[side][j]);
  free(pl->pre.value);
  free(pl->pre.last);
  free(pl->post.value);
  free(pl->post.last);
  free(pl->rev_start);
  free(pl->rev);
  free(pl->chunk_first);
  free(pl->chunk_group);
  free(pl->ev_step);
  free(pl->ev_amount);
  free(pl->critic_buf);
  for (int s = 0; s < HEBB_RULE_MAX_SYN; s++)
    free(pl->syn[s]);
  for (int s = 0; s < HEBB_RULE_MAX_STATE; s++) {
    free(pl->pre_state[s]);
    free(pl->post_state[s]);
  }
  memset(pl, 0, sizeof *pl);
}

static hebb_rule_ctx context(const hebb_plastic *pl, uint64_t step) {
  hebb_rule_ctx c = {.p = pl->pj->rule_params,
                     .opt = pl->pj->rule_opts,
                     .dt = pl->dt,
                     .step = step,
                     .pre = &pl->pre,
                     .post = &pl->post,
                     .mod = pl->has_mod ? &pl->mod : NULL,
                     .pre_state = pl->pre_state,
                     .post_state = pl->post_state,
                     .learning = pl->learning};
  return c;
}

/* The plastic synapses onto neuron I, as the rule's hooks see them. */
static hebb_rule_post post_view(const hebb_plastic *pl, uint32_t i, float *syn_w) {
  uint32_t a = pl->rev_start[i];
  hebb_rule_post p = {.n = pl->rev_start[i + 1] - a,
                      .neuron = i,
                      .entry = pl->rev + a,
                      .chunk_first = pl->chunk_first,
                      .chunk_group = pl->chunk_group,
                      .shift = pl->rev_shift,
                      .w = syn_w,
                      .syn = pl->syn};
  return p;
}

/* HOOK for every neuron of the target block, with context C. */
static void each_neuron(hebb_plastic *pl, const hebb_rule_ctx *c, float *syn_w,
                        void (*hook)(const hebb_rule_ctx *, const hebb_rule_post *)) {
  for (uint32_t i = 0; i < pl->nneurons; i++) {
    hebb_rule_post p = post_view(pl, i, syn_w);
    hook(c, &p);
    pl->updates += p.n;
  }
}

static void all_neurons(hebb_plastic *pl, uint64_t step, float *syn_w,
                        void (*hook)(const hebb_rule_ctx *, const hebb_rule_post *)) {
  hebb_rule_ctx c = context(pl, step);
  each_neuron(pl, &c, syn_w, hook);
}

int hebb_plastic_add_modulator_event(hebb_plastic *pl, uint64_t step, double amount) {
  if (pl->ev_pos > 0 && pl->ev_pos == pl->nev) /* all processed: start over */
    pl->nev = pl->ev_pos = 0;
  if (pl->nev == pl->ev_cap) {
    size_t cap = pl->ev_cap ? 2 * pl->ev_cap : 64;
    uint64_t *ns = realloc(pl->ev_step, cap * sizeof *ns);
    if (!ns)
      return HEBB_ENOMEM;
    pl->ev_step = ns;
    double *na = realloc(pl->ev_amount, cap * sizeof *na);
    if (!na)
      return HEBB_ENOMEM;
    pl->ev_amount = na;
    pl->ev_cap = cap;
  }
  /* insertion keeps the tail sorted by step and, within a step, in arrival order: the same
   * order on every partition */
  size_t i = pl->nev++;
  while (i > pl->ev_pos && pl->ev_step[i - 1] > step) {
    pl->ev_step[i] = pl->ev_step[i - 1];
    pl->ev_amount[i] = pl->ev_amount[i - 1];
    i--;
  }
  pl->ev_step[i] = step;
  pl->ev_amount[i] = amount;
  return 0;
}

void hebb_plastic_modulate(hebb_plastic *pl, uint64_t step, float *syn_w) {
  if (pl->ev_pos >= pl->nev || pl->ev_step[pl->ev_pos] != step)
    return;
  if (pl->hooks)
    all_neurons(pl, step, syn_w, pl->rule->on_modulator);
  double v = hebb_modulator_at(&pl->mod, step);
  for (; pl->ev_pos < pl->nev && pl->ev_step[pl->ev_pos] == step; pl->ev_pos++)
    v += pl->ev_amount[pl->ev_pos];
  pl->mod.value = v;
  pl->mod.last = step;
}

void hebb_plastic_pre(hebb_plastic *pl, uint64_t step, uint32_t gp, uint32_t a, uint32_t b,
                      const uint16_t *tgt16, const uint32_t *tgt32, float *syn_w) {
  float *syn[HEBB_RULE_MAX_SYN] = {NULL};
  for (uint32_t s = 0; s < pl->nsyn; s++)
    syn[s] = pl->syn[s] + a;
  hebb_rule_ctx c = context(pl, step);
  hebb_rule_pre p = {b - a, gp, tgt16 ? tgt16 + a : NULL, tgt32 ? tgt32 + a : NULL, syn_w + a, syn};
  pl->rule->on_pre(&c, &p);
  pl->updates += b - a;
}

void hebb_plastic_post(hebb_plastic *pl, uint64_t step, uint32_t i, float *syn_w) {
  uint32_t a = pl->rev_start[i], b = pl->rev_start[i + 1];
  if (a == b)
    return;
  hebb_rule_ctx c = context(pl, step);
  hebb_rule_post p = post_view(pl, i, syn_w);
  pl->rule->on_post(&c, &p);
  pl->updates += b - a;
}

void hebb_plastic_period(hebb_plastic *pl, uint64_t step, float *syn_w) {
  if (!pl->period_steps || (step + 1) % pl->period_steps)
    return;
  all_neurons(pl, step, syn_w, pl->rule->on_period);
}

void hebb_plastic_step(hebb_plastic *pl, uint64_t step, float *syn_w, const double *v,
                       const uint8_t *spk, const uint8_t *tgt, const double *err) {
  hebb_rule_ctx c = context(pl, step);
  c.post_v = v;
  c.post_spikes = spk;
  c.post_target = tgt;
  c.post_error = err;
  if (pl->rule->on_step_pre)
    pl->rule->on_step_pre(&c, pl->ngroups);
  each_neuron(pl, &c, syn_w, pl->rule->on_step);
}

void hebb_plastic_phase_end(hebb_plastic *pl, uint64_t step, float *syn_w) {
  all_neurons(pl, step, syn_w, pl->rule->on_phase);
}

static void count(hebb_trace_set *t, const hebb_trace_mode *mode, uint64_t step, uint32_t owner) {
  for (uint32_t j = 0; j < t->n; j++) {
    double *v = &t->value[(size_t)owner * t->n + j];
    *v = mode[j] == HEBB_TRACE_SET ? 1.0 : hebb_trace_at(t, owner, j, step) + 1.0;
  }
  t->last[owner] = step;
}

void hebb_plastic_count_pre(hebb_plastic *pl, uint64_t step, uint32_t gp) {
  count(&pl->pre, pl->mode[PRE], step, gp);
}

void hebb_plastic_count_post(hebb_plastic *pl, uint64_t step, uint32_t i) {
  count(&pl->post, pl->mode[POST], step, i);
}

size_t hebb_plastic_bytes(const hebb_plastic *pl, uint64_t nsyn) {
  uint64_t nplastic = pl->rev_start ? pl->rev_start[pl->nneurons] : 0;
  return (size_t)(pl->ngroups * (pl->pre.n * sizeof(double) + sizeof(uint64_t)) +
                  pl->nneurons * (pl->post.n * sizeof(double) + sizeof(uint64_t)) +
                  (pl->nneurons + 1) * sizeof(uint32_t) + nplastic * sizeof(uint32_t) +
                  pl->nchunks * (pl->chunk_group ? 2 : 1) * sizeof(uint32_t) +
                  pl->nsyn * nsyn * sizeof(float) +
                  (pl->ngroups * pl->rule->npre_state + pl->nneurons * pl->rule->npost_state) *
                      sizeof(double));
}

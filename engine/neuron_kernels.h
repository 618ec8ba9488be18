/* neuron_kernels.h - the per-step update kernels, written once for both state precisions.
 *
 * Included by neuron.c twice, with REAL defined as double and as float, EXP_VEC as the
 * matching vectorisable exponential, and KSUFFIX naming the instances (update_psc_exp_f64,
 * ...). Each kernel reads the input that arrived this step
 * from the block's accumulators and zeroes them, advances every neuron of the block by one
 * step with straight-line selects that the compiler vectorises (no branches in the loop),
 * and leaves the threshold test to KSUFFIX(detect). Constants are converted to REAL once per
 * call. The arithmetic is the same in every lane and in the scalar remainder (no fused
 * multiply-adds), which keeps results independent of how neurons fall on partitions.
 */

/* iaf_psc_exp, exact integration in NEST's order (MODELS.md 1.1): propagate V with the
 * currents of the step start unless refractory, decay the currents, add this step's input,
 * then test the threshold. */
static void KSUFFIX(update_psc_exp)(const hebb_nm_consts *k, const double *p, hebb_nm_state *s) {
  const REAL p11ex = (REAL)k->p11ex, p11in = (REAL)k->p11in, p22 = (REAL)k->p22,
             p21ex = (REAL)k->p21ex, p21in = (REAL)k->p21in, p20 = (REAL)k->p20,
             i_e = (REAL)p[PSC_I_e];
  REAL *restrict v = s->v, *restrict iex = s->s_ex, *restrict iin = s->s_in;
  REAL *restrict acc_ex = s->acc_ex, *restrict acc_in = s->acc_in;
  const REAL *restrict i0 = s->i_0;
  REAL *restrict r = s->refr;
  const uint32_t n = s->n;
#pragma omp simd
  for (uint32_t i = 0; i < n; i++) {
    const REAL vi = v[i], ri = r[i];
    const REAL vn = p22 * vi + p21ex * iex[i] + p21in * iin[i] + p20 * (i_e + i0[i]);
    const REAL refr = ri > 0 ? (REAL)1 : (REAL)0; /* this form if-converts and vectorises */
    v[i] = ri > 0 ? vi : vn;
    r[i] = ri - refr;
    iex[i] = p11ex * iex[i] + acc_ex[i];
    iin[i] = p11in * iin[i] + acc_in[i];
    acc_ex[i] = 0;
    acc_in[i] = 0;
  }
}

/* iaf_psc_delta as NEST: exact decay, voltage jumps added unless refractory (input that
 * arrives while refractory is dropped). */
static void KSUFFIX(update_psc_delta)(const hebb_nm_consts *k, const double *p, hebb_nm_state *s) {
  const REAL p22 = (REAL)k->p22, p20 = (REAL)k->p20, i_e = (REAL)p[DELTA_I_e];
  REAL *restrict v = s->v;
  REAL *restrict acc_ex = s->acc_ex, *restrict acc_in = s->acc_in;
  const REAL *restrict i0 = s->i_0;
  REAL *restrict r = s->refr;
  const uint32_t n = s->n;
#pragma omp simd
  for (uint32_t i = 0; i < n; i++) {
    const REAL vi = v[i], ri = r[i];
    const REAL vn = p22 * vi + p20 * (i_e + i0[i]) + acc_ex[i] + acc_in[i];
    const REAL refr = ri > 0 ? (REAL)1 : (REAL)0;
    v[i] = ri > 0 ? vi : vn;
    r[i] = ri - refr;
    acc_ex[i] = 0;
    acc_in[i] = 0;
  }
}

/* iaf_cond_exp. Conductances decay exactly. V by exponential Euler with the conductances
 * frozen over the step (exact for constant g; Brian2's "exponential_euler"), or by forward
 * Euler (Brette et al. 2007 scripts, Auryn's TIFGroup). The exponential is EXP_VEC, the
 * vectorisable exp of REAL's precision. */
static void KSUFFIX(update_cond_exp)(const hebb_nm_consts *k, const double *p, hebb_nm_state *s) {
  const REAL p11ex = (REAL)k->p11ex, p11in = (REAL)k->p11in, g_l = (REAL)k->g_l, e_l = (REAL)k->e_l,
             e_ex = (REAL)k->e_ex, e_in = (REAL)k->e_in, i_e = (REAL)p[COND_I_e];
  REAL *restrict v = s->v, *restrict gex = s->s_ex, *restrict gin = s->s_in;
  REAL *restrict acc_ex = s->acc_ex, *restrict acc_in = s->acc_in;
  const REAL *restrict i0 = s->i_0;
  REAL *restrict r = s->refr;
  const uint32_t n = s->n;
  if (k->integrator == COND_INTEGRATOR_EULER) {
    const REAL h_c = (REAL)(k->dt / k->c_m);
#pragma omp simd
    for (uint32_t i = 0; i < n; i++) {
      const REAL vi = v[i], ri = r[i];
      const REAL dv = g_l * (e_l - vi) + gex[i] * (e_ex - vi) + gin[i] * (e_in - vi) + i_e + i0[i];
      const REAL vn = vi + h_c * dv;
      const REAL refr = ri > 0 ? (REAL)1 : (REAL)0;
      v[i] = ri > 0 ? vi : vn;
      r[i] = ri - refr;
      gex[i] = p11ex * gex[i] + acc_ex[i];
      gin[i] = p11in * gin[i] + acc_in[i];
      acc_ex[i] = 0;
      acc_in[i] = 0;
    }
  } else {
    const REAL mh_c = (REAL)(-k->dt / k->c_m);
#pragma omp simd
    for (uint32_t i = 0; i < n; i++) {
      const REAL vi = v[i], ri = r[i];
      const REAL gt = g_l + gex[i] + gin[i];
      const REAL vinf = (g_l * e_l + gex[i] * e_ex + gin[i] * e_in + i_e + i0[i]) / gt;
      const REAL vn = vinf + (vi - vinf) * EXP_VEC(mh_c * gt);
      const REAL refr = ri > 0 ? (REAL)1 : (REAL)0;
      v[i] = ri > 0 ? vi : vn;
      r[i] = ri - refr;
      gex[i] = p11ex * gex[i] + acc_ex[i];
      gin[i] = p11in * gin[i] + acc_in[i];
      acc_ex[i] = 0;
      acc_in[i] = 0;
    }
  }
}

/* The threshold test and reset, after the vectorised state update. Spikes are rare: a
 * vectorised test of 16 neurons at once skips most of the block. */
static uint32_t KSUFFIX(detect)(const hebb_nm_consts *k, hebb_nm_state *s,
                                uint32_t *restrict spiked) {
  const REAL theta = (REAL)k->theta, v_reset = (REAL)k->v_reset, refr = (REAL)k->refr_steps;
  REAL *restrict v = s->v, *restrict r = s->refr;
  const uint32_t n = s->n;
  uint32_t ns = 0;
  for (uint32_t i = 0; i < n; i += 16) {
    const uint32_t end = i + 16 < n ? i + 16 : n;
    int any = 0;
    if (end == i + 16) {
#pragma omp simd reduction(| : any)
      for (uint32_t j = i; j < i + 16; j++)
        any |= v[j] >= theta;
    } else {
      any = 1;
    }
    if (!any)
      continue;
    for (uint32_t j = i; j < end; j++)
      if (v[j] >= theta) {
        v[j] = v_reset;
        r[j] = refr;
        spiked[ns++] = j;
      }
  }
  return ns;
}

static uint32_t KSUFFIX(update)(const hebb_nm_desc *d, const hebb_nm_consts *k,
                                const double *params, hebb_nm_state *s, uint32_t *spiked) {
  switch (d->kind) {
  case HEBB_NM_IAF_PSC_EXP:
    KSUFFIX(update_psc_exp)(k, params, s);
    break;
  case HEBB_NM_IAF_PSC_DELTA:
    KSUFFIX(update_psc_delta)(k, params, s);
    break;
  case HEBB_NM_IAF_COND_EXP:
    KSUFFIX(update_cond_exp)(k, params, s);
    break;
  default:
    return 0; /* stimuli are advanced by the simulation itself */
  }
  return KSUFFIX(detect)(k, s, spiked);
}

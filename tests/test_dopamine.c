/* test_dopamine.c - reward-modulated STDP [stdp_dopamine] driven by known spike times.
 *
 * R2 of MODELS.md 4: a single synapse with given presynaptic, postsynaptic and dopamine
 * spike lists; the weight after every step equals an independent computation of NEST's exact
 * integration between events (MODELS.md 2.9): traces as explicit sums over earlier spikes,
 * the eligibility c and the weight carried from event to event with the closed form, both
 * stored as floats after each update as the engine stores them. The postsynaptic neuron is
 * made to spike at chosen times by a strong "drive" input, as in test_stdp.c.
 */
#include "harness.h"
#include "hebb.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  double tau_plus, tau_minus, a_plus, a_minus, tau_c, tau_n, b, wmin, wmax;
} da_params;

static const da_params defaults = {20.0, 20.0, 1.0, 1.5, 1000.0, 200.0, 0.0, 0.0, 200.0};

typedef struct {
  const double *pre, *drive, *da; /* stamps (ms) */
  size_t npre, ndrive, nda;
  const double *reward_at, *reward_amount; /* schedule */
  size_t nrewards;
  double delay, mod_delay, w0, t_end;
  int threads;
} protocol;

/* Runs the protocol; weights after every step into *w (nw entries). */
static void run(const da_params *p, const protocol *pr, double dt, float **w, size_t *nw) {
  hebb_model *m = hebb_model_new();
  OK(m, hebb_model_set_dt(m, dt));
  int tgt, pre, drive, da, proj;
  OK(m, hebb_model_add_population(m, "post", "iaf_psc_delta", 1, &tgt));
  OK(m, hebb_model_add_population(m, "pre", "spike_generator", 1, &pre));
  OK(m, hebb_model_add_population(m, "drive", "spike_generator", 1, &drive));
  OK(m, hebb_model_add_population(m, "dopa", "spike_generator", 1, &da));
  OK(m, hebb_model_set_param(m, tgt, "tau_m", 0.05));
  OK(m, hebb_model_set_param(m, tgt, "E_L", 0.0));
  OK(m, hebb_model_set_param(m, tgt, "V_reset", 0.0));
  OK(m, hebb_model_set_param(m, tgt, "V_th", 1000.0));
  OK(m, hebb_model_set_param(m, tgt, "t_ref", 0.0));
  OK(m, hebb_model_set_spike_times(m, pre, 0, pr->pre, pr->npre));
  OK(m, hebb_model_set_spike_times(m, drive, 0, pr->drive, pr->ndrive));
  OK(m, hebb_model_set_spike_times(m, da, 0, pr->da, pr->nda));
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = drive;
  s.target = tgt;
  s.weight = hebb_dist_const(5000.0);
  s.delay_ms = hebb_dist_const(dt);
  OK(m, hebb_model_add_projection(m, &s, NULL));
  s.source = pre;
  s.weight = hebb_dist_const(pr->w0);
  s.delay_ms = hebb_dist_const(pr->delay);
  s.name = "plastic";
  OK(m, hebb_model_add_projection(m, &s, &proj));
  OK(m, hebb_model_set_plasticity(m, proj, "stdp_dopamine"));
  const char *names[] = {"tau_plus", "tau_minus", "A_plus", "A_minus", "tau_c",
                         "tau_n",    "b",         "Wmin",   "Wmax"};
  const double values[] = {p->tau_plus, p->tau_minus, p->a_plus, p->a_minus, p->tau_c,
                           p->tau_n,    p->b,         p->wmin,   p->wmax};
  for (int i = 0; i < 9; i++)
    OK(m, hebb_model_set_plasticity_param(m, proj, names[i], values[i]));
  if (pr->nda)
    OK(m, hebb_model_set_modulator(m, proj, da, pr->mod_delay));
  for (size_t i = 0; i < pr->nrewards; i++)
    OK(m, hebb_model_add_reward(m, proj, pr->reward_at[i], pr->reward_amount[i]));
  OK(m, hebb_model_record_weights(m, proj, dt));
  hebb_sim_options o = hebb_sim_options_default();
  o.threads = pr->threads;
  o.pin = false;
  hebb_sim *sim = NULL;
  OK(m, hebb_sim_new(m, &o, &sim));
  ck_assert_int_eq(hebb_sim_run_until(sim, pr->t_end), 0);
  hebb_synapse *syn;
  size_t n;
  ck_assert_int_eq(hebb_sim_take_weights(sim, &syn, &n), 0);
  *w = malloc(n * sizeof **w);
  for (size_t i = 0; i < n; i++)
    (*w)[i] = syn[i].weight;
  *nw = n;
  free(syn);
  hebb_sim_free(sim);
  hebb_model_free(m);
}

/* sum over spikes t < now of exp(-(now - t)/tau) */
static double trace(const double *t, size_t n, double now, double tau) {
  double x = 0.0;
  for (size_t i = 0; i < n; i++)
    if (t[i] < now - 1e-9)
      x += exp(-(now - t[i]) / tau);
  return x;
}

/* The dopamine concentration n just after the events at time `now` (spikes at times <= now,
 * each adding amount / tau_n). */
static double dopamine(const double *t, const double *amount, size_t n, double now, double tau_n) {
  double x = 0.0;
  for (size_t i = 0; i < n; i++)
    if (t[i] <= now + 1e-9)
      x += amount[i] / tau_n * exp(-(now - t[i]) / tau_n);
  return x;
}

typedef struct {
  float w, c;
  double last; /* time of the last update */
} synapse;

/* NEST's closed form from the last update to `now`, with the concentration just after the
 * events at the last update. */
static void advance(const da_params *p, synapse *s, double now, const double *dat,
                    const double *dam, size_t nda) {
  if (now - s->last < 1e-9)
    return;
  double d = now - s->last;
  if (s->c != 0.0f) {
    double n0 = dopamine(dat, dam, nda, s->last, p->tau_n);
    double tau_s = 1.0 / (1.0 / p->tau_c + 1.0 / p->tau_n);
    double nw = (double)s->w + (double)s->c * (n0 * tau_s * (1.0 - exp(-d / tau_s)) -
                                               p->b * p->tau_c * (1.0 - exp(-d / p->tau_c)));
    nw = fmin(fmax(nw, p->wmin), p->wmax);
    s->w = (float)nw;
    s->c = (float)((double)s->c * exp(-d / p->tau_c));
  }
  s->last = now;
}

/* The weight after every step: within a step, pre arrivals, then post spikes, then dopamine
 * events (which bring the synapse up to date before the concentration jumps). */
static void reference(const da_params *p, const double *arr, size_t narr, const double *post,
                      size_t npost, const double *dat, const double *dam, size_t nda, double w0,
                      double dt, size_t nsteps, float *ref) {
  synapse s = {(float)w0, 0.0f, 0.0};
  for (size_t k = 0; k < nsteps; k++) {
    double t = (double)(k + 1) * dt;
    for (size_t i = 0; i < narr; i++)
      if (fabs(arr[i] - t) < 1e-9) {
        advance(p, &s, t, dat, dam, nda);
        s.c = (float)((double)s.c - p->a_minus * trace(post, npost, t, p->tau_minus));
      }
    for (size_t i = 0; i < npost; i++)
      if (fabs(post[i] - t) < 1e-9) {
        advance(p, &s, t, dat, dam, nda);
        s.c = (float)((double)s.c + p->a_plus * trace(arr, narr, t, p->tau_plus));
      }
    for (size_t i = 0; i < nda; i++)
      if (fabs(dat[i] - t) < 1e-9) {
        advance(p, &s, t, dat, dam, nda);
        break; /* several events at one time: one update, then they all add */
      }
    ref[k] = s.w;
  }
}

static void check(const da_params *p, const protocol *pr, double dt) {
  float *w;
  size_t nw;
  run(p, pr, dt, &w, &nw);
  size_t nsteps = (size_t)llround(pr->t_end / dt);
  ck_assert_uint_eq(nw, nsteps);
  double arr[64], post[64], dat[64], dam[64];
  for (size_t i = 0; i < pr->npre; i++)
    arr[i] = pr->pre[i] + pr->delay;
  for (size_t i = 0; i < pr->ndrive; i++)
    post[i] = pr->drive[i] + dt;
  size_t nda = 0;
  for (size_t i = 0; i < pr->nda; i++, nda++) {
    dat[nda] = pr->da[i] + pr->mod_delay;
    dam[nda] = 1.0;
  }
  for (size_t i = 0; i < pr->nrewards; i++, nda++) {
    dat[nda] = pr->reward_at[i];
    dam[nda] = pr->reward_amount[i];
  }
  float *ref = malloc(nsteps * sizeof *ref);
  reference(p, arr, pr->npre, post, pr->ndrive, dat, dam, nda, pr->w0, dt, nsteps, ref);
  size_t changes = 0;
  for (size_t k = 0; k < nsteps; k++) {
    ck_assert_msg(fabs((double)w[k] - (double)ref[k]) <= 1e-12 * fabs((double)ref[k]),
                  "step %zu (t = %g ms): weight %.9g, reference %.9g", k, (k + 1) * dt,
                  (double)w[k], (double)ref[k]);
    changes += k > 0 && w[k] != w[k - 1];
  }
  ck_assert_uint_ge(changes, 3);
  free(ref);
  free(w);
}

static const double pre_t[] = {10.0, 52.0, 120.0, 181.0, 250.0, 302.0};
static const double drive_t[] = {14.9, 45.9, 125.9, 170.0, 262.0, 296.0};
static const double da_t[] = {60.0, 61.0, 200.0, 330.0};

START_TEST(test_r2_dopamine_spikes) {
  protocol pr = {pre_t, drive_t, da_t, 6, 6, 4, NULL, NULL, 0, 1.0, 2.0, 50.0, 400.0, 1};
  check(&defaults, &pr, 0.1);
}
END_TEST

START_TEST(test_r2_baseline_and_bounds) {
  da_params p = defaults;
  p.b = 0.002;
  p.wmax = 50.3;
  p.wmin = 49.7;
  p.a_plus = 30.0;
  protocol pr = {pre_t, drive_t, da_t, 6, 6, 4, NULL, NULL, 0, 1.0, 2.0, 50.0, 400.0, 2};
  check(&p, &pr, 0.1);
}
END_TEST

START_TEST(test_r2_reward_schedule) {
  static const double at[] = {80.0, 150.0, 280.0}, amount[] = {0.5, 2.0, -1.0};
  protocol pr = {pre_t, drive_t, NULL, 6, 6, 0, at, amount, 3, 1.0, 0.0, 50.0, 400.0, 3};
  check(&defaults, &pr, 0.1);
}
END_TEST

/* Without dopamine the eligibility never reaches the weight. */
START_TEST(test_no_dopamine_no_change) {
  static const double at[] = {399.0}, amount[] = {0.0};
  protocol pr = {pre_t, drive_t, NULL, 6, 6, 0, at, amount, 1, 1.0, 0.0, 50.0, 400.0, 1};
  float *w;
  size_t nw;
  run(&defaults, &pr, 0.1, &w, &nw);
  for (size_t k = 0; k < nw; k++)
    ck_assert_float_eq(w[k], 50.0f);
  free(w);
}
END_TEST

/* A modulator delay shorter than the network's smallest delay is refused at build time. */
START_TEST(test_modulator_delay_too_short) {
  hebb_model *m = hebb_model_new();
  int tgt, pre, da, proj;
  OK(m, hebb_model_add_population(m, "post", "iaf_psc_exp", 1, &tgt));
  OK(m, hebb_model_add_population(m, "pre", "poisson_generator", 1, &pre));
  OK(m, hebb_model_add_population(m, "dopa", "poisson_generator", 1, &da));
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = pre;
  s.target = tgt;
  s.delay_ms = hebb_dist_const(2.0);
  OK(m, hebb_model_add_projection(m, &s, &proj));
  OK(m, hebb_model_set_plasticity(m, proj, "stdp_dopamine"));
  OK(m, hebb_model_set_modulator(m, proj, da, 1.0));
  hebb_sim *sim = NULL;
  ck_assert_int_ne(hebb_sim_new(m, NULL, &sim), 0);
  ck_assert_ptr_null(sim);
  ck_assert_msg(strstr(hebb_model_error(m)->message, "neuromodulator delay") != NULL, "%s",
                hebb_model_error(m)->message);
  hebb_model_free(m);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dopamine");
  TCase *tc = tcase_create("dopamine");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_r2_dopamine_spikes);
  tcase_add_test(tc, test_r2_baseline_and_bounds);
  tcase_add_test(tc, test_r2_reward_schedule);
  tcase_add_test(tc, test_no_dopamine_no_change);
  tcase_add_test(tc, test_modulator_delay_too_short);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

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
  const double *switch_at; /* learning schedule (none when nswitch = 0) */
  const bool *switch_learn;
  size_t nswitch;
  /* a critic watching the presynaptic generator and the postsynaptic neuron (window > 0) */
  double critic_window, critic_amount;
  hebb_dist critic_delay;
} protocol;

/* Whether the weights learn in the step ending at T: the phase in force at T - dt. */
static bool learning_at(const protocol *pr, double t, double dt) {
  bool on = true;
  for (size_t i = 0; i < pr->nswitch; i++)
    if (pr->switch_at[i] <= t - dt + 1e-9)
      on = pr->switch_learn[i];
  return on;
}

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
  if (pr->critic_window > 0)
    OK(m, hebb_model_set_critic(m, proj, pre, 0, tgt, 0, pr->critic_window, pr->critic_delay,
                                pr->critic_amount));
  if (pr->nswitch)
    OK(m, hebb_model_set_learning_schedule(m, proj, pr->switch_at, pr->switch_learn, pr->nswitch,
                                           0.0));
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
 * events at the last update; in a frozen phase (LEARN false) only c decays. */
static void advance(const da_params *p, synapse *s, double now, const double *dat,
                    const double *dam, size_t nda, bool learn) {
  if (now - s->last < 1e-9)
    return;
  double d = now - s->last;
  if (s->c != 0.0f && !learn) {
    s->c = (float)((double)s->c * exp(-d / p->tau_c));
  } else if (s->c != 0.0f) {
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
 * events (which bring the synapse up to date before the concentration jumps), and at the
 * end of the last step of a learning phase the synapse is brought up to date, so that no
 * interval of the closed form spans a switch. */
static void reference(const da_params *p, const protocol *pr, const double *arr, size_t narr,
                      const double *post, size_t npost, const double *dat, const double *dam,
                      size_t nda, double w0, double dt, size_t nsteps, float *ref) {
  synapse s = {(float)w0, 0.0f, 0.0};
  for (size_t k = 0; k < nsteps; k++) {
    double t = (double)(k + 1) * dt;
    bool learn = learning_at(pr, t, dt);
    for (size_t i = 0; i < narr; i++)
      if (fabs(arr[i] - t) < 1e-9) {
        advance(p, &s, t, dat, dam, nda, learn);
        s.c = (float)((double)s.c - p->a_minus * trace(post, npost, t, p->tau_minus));
      }
    for (size_t i = 0; i < npost; i++)
      if (fabs(post[i] - t) < 1e-9) {
        advance(p, &s, t, dat, dam, nda, learn);
        s.c = (float)((double)s.c + p->a_plus * trace(arr, narr, t, p->tau_plus));
      }
    for (size_t i = 0; i < nda; i++)
      if (fabs(dat[i] - t) < 1e-9) {
        advance(p, &s, t, dat, dam, nda, learn);
        break; /* several events at one time: one update, then they all add */
      }
    if (learning_at(pr, t + dt, dt) != learn)
      advance(p, &s, t, dat, dam, nda, learn);
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
  /* the critic's rewards: a post spike within the window after the latest earlier
   * presynaptic emission earns AMOUNT, a constant delay after the post spike */
  for (size_t i = 0; pr->critic_window > 0 && i < pr->ndrive; i++) {
    double tp = post[i], latest = -1.0;
    for (size_t k = 0; k < pr->npre; k++)
      if (pr->pre[k] < tp - 1e-9)
        latest = pr->pre[k];
    if (latest >= 0 && tp - latest <= pr->critic_window + 1e-9) {
      dat[nda] = tp + pr->critic_delay.a;
      dam[nda++] = pr->critic_amount;
    }
  }
  /* the reference finds the events of a step by time: any order will do */
  float *ref = malloc(nsteps * sizeof *ref);
  reference(p, pr, arr, pr->npre, post, pr->ndrive, dat, dam, nda, pr->w0, dt, nsteps, ref);
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
  protocol pr = {
      pre_t, drive_t, da_t,  6, 6,    4,    NULL, NULL, 0,   1.0,
      2.0,   50.0,    400.0, 1, NULL, NULL, 0,    0.0,  0.0, {HEBB_DIST_CONSTANT, 0, 0, 0, 0}};
  check(&defaults, &pr, 0.1);
}
END_TEST

START_TEST(test_r2_baseline_and_bounds) {
  da_params p = defaults;
  p.b = 0.002;
  p.wmax = 50.3;
  p.wmin = 49.7;
  p.a_plus = 30.0;
  protocol pr = {
      pre_t, drive_t, da_t,  6, 6,    4,    NULL, NULL, 0,   1.0,
      2.0,   50.0,    400.0, 2, NULL, NULL, 0,    0.0,  0.0, {HEBB_DIST_CONSTANT, 0, 0, 0, 0}};
  check(&p, &pr, 0.1);
}
END_TEST

START_TEST(test_r2_reward_schedule) {
  static const double at[] = {80.0, 150.0, 280.0}, amount[] = {0.5, 2.0, -1.0};
  protocol pr = {
      pre_t, drive_t, NULL,  6, 6,    0,    at, amount, 3,   1.0,
      0.0,   50.0,    400.0, 3, NULL, NULL, 0,  0.0,    0.0, {HEBB_DIST_CONSTANT, 0, 0, 0, 0}};
  check(&defaults, &pr, 0.1);
}
END_TEST

/* Learning phases: frozen from 55 to 130 ms and from 240 ms on, with dopamine and rewards
 * in both kinds of phase; the eligibility keeps running while frozen. */
START_TEST(test_r2_learning_schedule) {
  static const double at[] = {80.0, 150.0, 280.0}, amount[] = {0.5, 2.0, -1.0};
  static const double sw[] = {55.0, 130.0, 240.0};
  static const bool learn[] = {false, true, false};
  protocol pr = {
      pre_t, drive_t, da_t,  6, 6,  4,     at, amount, 3,   1.0,
      2.0,   50.0,    400.0, 2, sw, learn, 3,  0.0,    0.0, {HEBB_DIST_CONSTANT, 0, 0, 0, 0}};
  check(&defaults, &pr, 0.1);
  /* and the weights do stay still in the frozen phases */
  float *w;
  size_t nw;
  run(&defaults, &pr, 0.1, &w, &nw);
  for (size_t k = 550; k < 1300; k++)
    ck_assert_float_eq(w[k], w[549]);
  for (size_t k = 2400; k < nw; k++)
    ck_assert_float_eq(w[k], w[2399]);
  free(w);
}
END_TEST

/* A critic (closed loop): post spikes 5, 6 and 12 ms after a presynaptic emission are
 * rewarded (window 20 ms), those 36, 50 and 46 ms after are not; each reward comes 30 ms
 * after its post spike. */
START_TEST(test_r2_critic) {
  protocol pr = {
      pre_t, drive_t, NULL,  6, 6,    0,    NULL, NULL, 0,   1.0,
      0.0,   50.0,    400.0, 2, NULL, NULL, 0,    20.0, 1.5, {HEBB_DIST_CONSTANT, 30.0, 0, 0, 0}};
  check(&defaults, &pr, 0.1);
}
END_TEST

/* With delays drawn per reward, the weights are the same on 1, 2 and 3 threads, and differ
 * from those without a critic. */
START_TEST(test_critic_random_delay_threads) {
  protocol pr = {
      pre_t, drive_t, NULL,  6, 6,    0,    NULL, NULL, 0,   1.0,
      0.0,   50.0,    400.0, 1, NULL, NULL, 0,    20.0, 1.5, {HEBB_DIST_UNIFORM, 5.0, 60.0, 0, 0}};
  float *w1, *w;
  size_t n1, n;
  run(&defaults, &pr, 0.1, &w1, &n1);
  ck_assert_float_ne(w1[n1 - 1], 50.0f);
  for (int t = 2; t <= 3; t++) {
    pr.threads = t;
    run(&defaults, &pr, 0.1, &w, &n);
    ck_assert_uint_eq(n, n1);
    ck_assert_msg(memcmp(w, w1, n * sizeof *w) == 0, "weights differ at %d threads", t);
    free(w);
  }
  free(w1);
}
END_TEST

/* A critic's neuron out of its population, and a reward delay below the smallest synaptic
 * delay, are refused. */
START_TEST(test_critic_refusals) {
  hebb_model *m = hebb_model_new();
  int tgt, pre, proj;
  OK(m, hebb_model_add_population(m, "post", "iaf_psc_exp", 2, &tgt));
  OK(m, hebb_model_add_population(m, "pre", "poisson_generator", 1, &pre));
  hebb_projection_spec s = hebb_projection_spec_default();
  s.source = pre;
  s.target = tgt;
  s.delay_ms = hebb_dist_const(2.0);
  OK(m, hebb_model_add_projection(m, &s, &proj));
  hebb_dist d = hebb_dist_const(1000.0);
  ck_assert_int_ne(hebb_model_set_critic(m, proj, pre, 0, tgt, 1, 20.0, d, 1.0), 0);
  ck_assert_str_eq(hebb_model_error(m)->field, "critic"); /* not a three-factor rule */
  OK(m, hebb_model_set_plasticity(m, proj, "stdp_dopamine"));
  ck_assert_int_eq(hebb_model_set_critic(m, proj, pre, 0, tgt, 2, 20.0, d, 1.0), HEBB_ERANGE);
  ck_assert_str_eq(hebb_model_error(m)->field, "post");
  ck_assert_msg(strstr(hebb_model_error(m)->message, "neuron 2 is not in 'post'") != NULL, "%s",
                hebb_model_error(m)->message);
  ck_assert_int_eq(hebb_model_set_critic(m, proj, pre, 0, tgt, 1, 0.0, d, 1.0), HEBB_ERANGE);
  ck_assert_str_eq(hebb_model_error(m)->field, "window");
  OK(m, hebb_model_set_critic(m, proj, pre, 0, tgt, 1, 20.0, hebb_dist_const(1.0), 1.0));
  hebb_sim *sim = NULL;
  ck_assert_int_ne(hebb_sim_new(m, NULL, &sim), 0);
  ck_assert_msg(strstr(hebb_model_error(m)->message, "critic's reward delay") != NULL, "%s",
                hebb_model_error(m)->message);
  hebb_model_free(m);
}
END_TEST

/* Without dopamine the eligibility never reaches the weight. */
START_TEST(test_no_dopamine_no_change) {
  static const double at[] = {399.0}, amount[] = {0.0};
  protocol pr = {
      pre_t, drive_t, NULL,  6, 6,    0,    at, amount, 1,   1.0,
      0.0,   50.0,    400.0, 1, NULL, NULL, 0,  0.0,    0.0, {HEBB_DIST_CONSTANT, 0, 0, 0, 0}};
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
  tcase_add_test(tc, test_r2_learning_schedule);
  tcase_add_test(tc, test_r2_critic);
  tcase_add_test(tc, test_critic_random_delay_threads);
  tcase_add_test(tc, test_critic_refusals);
  tcase_add_test(tc, test_no_dopamine_no_change);
  tcase_add_test(tc, test_modulator_delay_too_short);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

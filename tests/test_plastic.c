/* test_plastic.c - tests of engine/plastic: the postsynaptic index of a plastic projection.
 *
 * The index names each plastic synapse onto a neuron in 4 bytes, chunk << shift | offset
 * (rules/rule.h, hebb_rule_post), where a chunk is a whole presynaptic group unless a group
 * number and an offset would not fit in 32 bits together; then groups are cut into chunks of
 * 2^shift synapses. Real networks reach that only with about 2^30 plastic synapses on one
 * thread, so the test builds a partition's synapse arrays by hand: 2^17 groups of one synapse
 * and one of 2^15 + 1, which would need 18 + 16 bits, and checks every entry of every neuron
 * against the synapse and group it must name, in the order the rules rely on (by group).
 */
#include "plastic.h"

#include "harness.h"

#include <check.h>
#include <stdlib.h>

enum { NEURONS = 1000, SMALL = 1 << 17, LARGE = (1 << 15) + 1 };

START_TEST(test_post_index_chunks) {
  /* a model only for the projection's rule and parameters: projection 0 is plastic */
  hebb_model *m = hebb_model_new();
  int src = 0, tgt = 0, proj = 0, other = 0;
  OK(m, hebb_model_add_population(m, "src", "iaf_psc_delta", 1, &src));
  OK(m, hebb_model_add_population(m, "tgt", "iaf_psc_delta", NEURONS, &tgt));
  hebb_projection_spec sp = hebb_projection_spec_default();
  sp.source = src;
  sp.target = tgt;
  sp.name = "plastic";
  OK(m, hebb_model_add_projection(m, &sp, &proj));
  sp.name = "static";
  OK(m, hebb_model_add_projection(m, &sp, &other));
  OK(m, hebb_model_set_plasticity(m, proj, "stdp"));
  /* groups: the large one third, a static group of projection 1 among them */
  const uint32_t ng = SMALL + 2;
  const uint64_t nsyn = SMALL + LARGE + 3;
  hebb_group *grp = calloc(ng + 1, sizeof *grp);
  uint32_t *gp = malloc(ng * sizeof *gp);
  uint16_t *t16 = malloc(nsyn * sizeof *t16);
  float *w = calloc(nsyn, sizeof *w);
  ck_assert(grp && gp && t16 && w);
  uint32_t k = 0;
  for (uint32_t g = 0; g < ng; g++) {
    uint32_t size = g == 2 ? LARGE : g == 5 ? 3 : 1;
    grp[g].proj = g == 5 ? (uint16_t)other : (uint16_t)proj;
    gp[g] = UINT32_MAX;
    grp[g].start = k;
    for (uint32_t j = 0; j < size; j++, k++)
      t16[k] = (uint16_t)((k * 7919u) % NEURONS);
  }
  grp[ng].start = k;
  ck_assert_uint_eq(k, nsyn);
  hebb_plastic pl;
  char err[160];
  ck_assert_int_eq(
      hebb_plastic_init(&pl, m, proj, NEURONS, ng, grp, t16, NULL, w, nsyn, gp, err, sizeof err),
      0);
  /* 2^17 + 1 groups (18 bits) and offsets up to 2^15 (16 bits) do not fit, nor 2^17 + 2
   * chunks (18 bits) of 2^15 synapses (15); chunks of 2^14: the large group is 3 of them,
   * 2^17 + 3 chunks in 18 bits */
  ck_assert_uint_eq(pl.rev_shift, 14);
  ck_assert_uint_eq(pl.nchunks, SMALL + 3);
  ck_assert_ptr_nonnull(pl.chunk_group);
  ck_assert_uint_eq(pl.ngroups, SMALL + 1);
  ck_assert_uint_eq(gp[5], UINT32_MAX);
  ck_assert_uint_eq(gp[6], 5); /* numbered in group order, the static group skipped */
  /* every neuron's entries name its plastic synapses in ascending order, with their group */
  uint32_t *next = calloc(NEURONS, sizeof *next);
  ck_assert_ptr_nonnull(next);
  for (uint32_t i = 0; i < NEURONS; i++)
    next[i] = pl.rev_start[i];
  uint64_t seen = 0;
  for (uint32_t g = 0; g < ng; g++) {
    if (grp[g].proj != proj)
      continue;
    for (uint32_t q = grp[g].start; q < grp[g + 1].start; q++) {
      uint32_t i = t16[q];
      ck_assert_uint_lt(next[i], pl.rev_start[i + 1]);
      hebb_rule_post p = {.n = pl.rev_start[i + 1] - pl.rev_start[i],
                          .neuron = i,
                          .entry = pl.rev + pl.rev_start[i],
                          .chunk_first = pl.chunk_first,
                          .chunk_group = pl.chunk_group,
                          .shift = pl.rev_shift,
                          .w = w,
                          .syn = pl.syn};
      uint32_t e = next[i]++ - pl.rev_start[i];
      ck_assert_uint_eq(hebb_post_index(&p, e), q);
      ck_assert_uint_eq(hebb_post_group(&p, e), gp[g]);
      seen++;
    }
  }
  ck_assert_uint_eq(seen, nsyn - 3);
  ck_assert_uint_eq(pl.rev_start[NEURONS], seen);
  /* the entries name exactly the chunks counted (and allocated) */
  uint32_t top = 0;
  for (uint64_t e = 0; e < seen; e++)
    if (pl.rev[e] >> pl.rev_shift > top)
      top = pl.rev[e] >> pl.rev_shift;
  ck_assert_uint_eq(top, pl.nchunks - 1);
  free(next);
  hebb_plastic_free(&pl);
  free(grp);
  free(gp);
  free(t16);
  free(w);
  hebb_model_free(m);
}
END_TEST

static Suite *plastic_suite(void) {
  Suite *s = suite_create("plastic");
  TCase *tc = tcase_create("post_index");
  tcase_add_test(tc, test_post_index_chunks);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return run_suite(plastic_suite());
}

/* timegrid.h - the times of a run's steps as the decimals that `hebb spikes` prints: step *
 * dt rounded once to a double, not the binary product (3 * 0.1 != 0.3), so that a time read
 * back from text compares equal. Shared by `hebb vanrossum` (cli_vanrossum.c) and the running
 * loss of `hebb run` (learning.c), which must compute the same distances from the same
 * doubles; the windows of both are cut here too.
 */
#ifndef HEBB_IO_TIMEGRID_H
#define HEBB_IO_TIMEGRID_H

#include <stdint.h>

/* dt = UNITS / SCALE exactly, SCALE = 10^decimals (at most 9); SCALE 0: dt has no short
 * decimal form and times are step * dt in binary. */
typedef struct {
  double dt;
  uint64_t units, scale;
} hebb_time_grid;

/* The grid of a run with time step DT_MS. */
hebb_time_grid hebb__time_grid(double dt_ms);
/* The time of STEP in ms: the product of integers divided once (the decimal rounded once)
 * while it is exact in a double, else step * dt. */
double hebb__grid_time(const hebb_time_grid *g, uint64_t step);
/* The steps in WINDOW_MS when it is a whole number of them (to 1e-9 relative), else 0. */
uint64_t hebb__grid_steps(const hebb_time_grid *g, double window_ms);
/* Bound K (the start of window K, counted from 0) of windows of WINDOW_MS: on the grid
 * (hebb__grid_time of K * WSTEPS) when WSTEPS, the hebb__grid_steps of the window, is not
 * 0, so that a spike stamped at the bound belongs to the window it starts; else
 * K * WINDOW_MS. */
double hebb__grid_bound(const hebb_time_grid *g, uint64_t k, uint64_t wsteps, double window_ms);

#endif /* HEBB_IO_TIMEGRID_H */

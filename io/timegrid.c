/* timegrid.c - see timegrid.h. */
#include "timegrid.h"

#include <math.h>

hebb_time_grid hebb__time_grid(double dt_ms) {
  hebb_time_grid g = {dt_ms, 0, 0};
  double scale = 1.0;
  for (int k = 0; k <= 9; k++, scale *= 10.0) {
    double x = dt_ms * scale;
    if (nearbyint(x) >= 1 && fabs(x - nearbyint(x)) < 1e-9 * x) {
      g.units = (uint64_t)nearbyint(x);
      g.scale = (uint64_t)scale;
      break;
    }
  }
  return g;
}

double hebb__grid_time(const hebb_time_grid *g, uint64_t step) {
  if (g->scale && step <= (UINT64_C(1) << 53) / g->units) /* exact in a double */
    return (double)(step * g->units) / (double)g->scale;
  return (double)step * g->dt;
}

uint64_t hebb__grid_steps(const hebb_time_grid *g, double window_ms) {
  double q = window_ms / g->dt;
  if (nearbyint(q) >= 1 && fabs(q - nearbyint(q)) <= 1e-9 * q)
    return (uint64_t)nearbyint(q);
  return 0;
}

double hebb__grid_bound(const hebb_time_grid *g, uint64_t k, uint64_t wsteps, double window_ms) {
  return wsteps ? hebb__grid_time(g, k * wsteps) : (double)k * window_ms;
}

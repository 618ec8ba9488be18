/* hebbian.h - the arithmetic of the rate-based Hebbian rules [oja] (rules/oja.c) and [bcm]
 * (rules/bcm.c), one function per update, shared by the rules and by their rate-form tests
 * (tests/test_hebbian.c), so that a test of Oja's or BCM's rate dynamics (MODELS.md 4, O1
 * and B1) exercises the very arithmetic that the spiking rule runs at every event.
 *
 * The spiking rules update a synapse at each postsynaptic spike, with rate estimates x_hat
 * (presynaptic) and y_hat (postsynaptic) in Hz read from traces. Postsynaptic spikes come at
 * the rate y, so the spike itself supplies one factor y of the rate rule. In rate form, where
 * there are no spikes, the same functions give the rate rules when the learning rate is
 * weighted by y (one "event" of weight y per sample):
 *   Oja:  w += hebb_oja_dw(eta y, w, x, y)        = eta y (x - w y)
 *   BCM:  w += hebb_bcm_dw(eta y, x, y, theta)    = eta x y (y - theta)
 *         theta = hebb_bcm_theta(theta, y, y0, h)   (h = sample interval / tau_theta)
 * Everything is in double; the caller rounds a stored weight to float and clips it.
 */
#ifndef HEBB_HEBBIAN_H
#define HEBB_HEBBIAN_H

/* Oja's rule, one postsynaptic event: the weight change for weight W and rate estimates
 * X_HAT (pre) and Y_HAT (post), with learning rate ETA per event. */
static inline double hebb_oja_dw(double eta, double w, double x_hat, double y_hat) {
  return eta * (x_hat - w * y_hat);
}

/* BCM, one postsynaptic event: the weight change for rate estimates X_HAT, Y_HAT and the
 * threshold THETA (Hz), with learning rate ETA per event. */
static inline double hebb_bcm_dw(double eta, double x_hat, double y_hat, double theta) {
  return eta * x_hat * (y_hat - theta);
}

/* BCM's sliding threshold, one forward-Euler step of tau_theta dtheta/dt = y^2 / y0 - theta:
 * THETA after a step of H = interval / tau_theta, with the rate Y_HAT and the target Y0. */
static inline double hebb_bcm_theta(double theta, double y_hat, double y0, double h) {
  return theta + h * (y_hat * y_hat / y0 - theta);
}

/* V clipped to [LO, HI]. */
static inline double hebb_hebbian_clip(double v, double lo, double hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

#endif

/* learning.h - the running loss of a training run, for DIR/learning.tsv and the `learning`
 * member of summary.json (docs/output-format.md).
 *
 * For every population with a target spike train (hebb_model_set_target, period P), at the
 * end of every period k = 1, 2, ... of the target (model time k P): the squared van Rossum
 * distance (hebb_van_rossum_window, kernel time constant tau) between each neuron's spikes in
 * [(k-1) P, k P) and its target spikes in the same window (the target times t + j P), summed
 * over the population's neurons. These are the numbers that `hebb vanrossum DIR --population
 * POP --target FILE --window P --tau TAU` prints as its "total" lines, FILE holding the
 * target of every period: the same windows on the same time grid (timegrid.h), the same
 * function, the same order of summation; like hebb vanrossum's last window, the period that
 * ends with the run also holds the run's end (a spike of the last step, a target time at the
 * end).
 *
 * Owned by an output directory (output.c), which feeds it the spikes it writes to spikes.bin,
 * has it write the lines of the periods that have ended into learning.tsv and summarise that
 * file for summary.json. The loss is computed from recorded spikes, so a population with a
 * target must be recorded (refused otherwise). It keeps the spikes of the periods that have
 * not ended, nothing else: what is done is in learning.tsv, and a resumed run gives it the
 * spikes of the current period again from spikes.bin (hebb__learning_replay_from). Serial:
 * called by the thread that writes the output.
 */
#ifndef HEBB_IO_LEARNING_H
#define HEBB_IO_LEARNING_H

#include "hebb.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct hebb_learning hebb_learning;

/* The default time constant of the loss's kernel, as hebb vanrossum's --tau. */
#define HEBB_LEARNING_TAU_MS 10.0

/* The loss of the populations of M that have a target, for a run that ends at M's duration
 * (its last period holds the end), starting at step 0. *OUT is NULL (and 0 returned) when M
 * has no target. HEBB_EINVAL, with a message in ERR, when a population with a target is not
 * recorded (record: spikes); HEBB_ENOMEM. */
int hebb__learning_new(hebb_learning **out, const hebb_model *m, char *err, size_t errlen);
void hebb__learning_free(hebb_learning *l);

/* The kernel's time constant (default HEBB_LEARNING_TAU_MS); positive and finite. */
void hebb__learning_set_tau(hebb_learning *l, double tau_ms);
double hebb__learning_tau(const hebb_learning *l);

/* The header of learning.tsv for the current tau: two '#' lines, the first naming tau as
 * "(tau_ms T)". */
int hebb__learning_write_header(const hebb_learning *l, FILE *f);
/* The tau that a learning.tsv header names, read from its first line LINE; 0 when LINE is
 * not such a header. */
double hebb__learning_header_tau(const char *line);

/* The run continues at STEP from a checkpoint: the periods that ended at or before STEP are
 * in learning.tsv, the spikes of the current one are to be given again through
 * hebb__learning_add (those from step hebb__learning_replay_from on). */
void hebb__learning_continue_at(hebb_learning *l, uint64_t step);
/* The run continues at STEP without the spikes before it (a resumed run whose output
 * directory starts anew): the loss starts with the first period that begins after STEP (at 0
 * when STEP is 0), so that every period it reports was seen whole. */
void hebb__learning_skip_to(hebb_learning *l, uint64_t step);
/* The first step whose spikes the periods not yet ended need. */
uint64_t hebb__learning_replay_from(const hebb_learning *l);

/* Takes note of N recorded spikes, sorted by step (as hebb_sim_take_spikes gives them);
 * spikes of populations without a target, or of periods already done, are ignored. */
int hebb__learning_add(hebb_learning *l, const hebb_spike *sp, size_t n);
/* Writes the line of every period that has ended by step NOW (all spikes up to NOW given),
 * sorted by time, then population (model order): "time_ms<TAB>population<TAB>loss". Returns
 * the number of lines written, or HEBB_EIO / HEBB_ENOMEM. */
int hebb__learning_advance(hebb_learning *l, uint64_t now, FILE *f);
/* The last loss written in this process for population POP: HEBB_ENOENT when none (POP has
 * no target, or none of its periods has ended since the run started or resumed). */
int hebb__learning_last(const hebb_learning *l, int pop, double *time_ms, double *loss);

/* Writes the `learning` member of summary.json ("  \"learning\": {...},\n") from the lines
 * of learning.tsv read from IN: per population with a target, in model order, tau_ms,
 * period_ms, periods, first, last, min, min_time_ms and mean_last_10 (null without a
 * period). HEBB_EPARSE when IN holds a line that is not one of ours, HEBB_EIO. */
int hebb__learning_summary(const hebb_learning *l, FILE *in, FILE *json);

#endif /* HEBB_IO_LEARNING_H */

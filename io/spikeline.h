/* spikeline.h - one line of a spike-train text file (target files of model files and of
 * `hebb vanrossum`): "index time" or "population index time", fields separated by tabs or
 * spaces, '#' to the end of the line a comment; the time a number of ms or a quantity with
 * a unit. Callers check ranges (indices against a population, times against a period). */
#ifndef HEBB_IO_SPIKELINE_H
#define HEBB_IO_SPIKELINE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *pop; /* the population field (points into the line), NULL in the 2-field form */
  uint32_t index;
  double t_ms;
} hebb_spike_line;

/* Parses LINE (modified in place). Returns 1 for a spike, 0 for a blank or comment line,
 * -1 for a bad line with what is wrong in ERR ("3 fields; expected ...", "neuron index 'x';
 * expected ...", "spike time 'y': ..."). */
int hebb__parse_spike_line(char *line, hebb_spike_line *out, char *err, size_t errlen);

#endif

/* units.h - physical quantities with units, as written in Hebb model files.
 *
 * Model files give quantities as text such as "0.6 nS", "20 ms", "-65 mV", "10 Hz",
 * "1.5e-3 s", "250pF" or "100 MOhm"; a bare number is taken in the default unit of the
 * dimension the field expects. This module parses such text and converts it to Hebb's
 * internal units, which are NEST's: ms, mV, pA, nS, pF, Hz and MOhm (self-consistent:
 * pA * ms / pF = mV, nS * mV = pA; note that 1 mV / 1 pA = 1 GOhm = 1000 MOhm).
 *
 * Accepted units: the base units s, V, A, S, F, Hz, Ohm (also written "Ω") with an optional
 * SI prefix p, n, u (also "µ" or "μ"), m, k, M, G; and "min" and "h" for minutes and hours.
 * Units are case-sensitive: "ms" is a millisecond, "mS" a millisiemens, "MS" a megasiemens.
 *
 * The caller is the model-file reader in io/, which knows the field's position and
 * prefixes FILE:LINE:COLUMN to the messages written here. The functions keep no state and
 * allocate nothing, so they may be called from any thread. Numbers are read with strtod,
 * so LC_NUMERIC must be the "C" locale (Hebb never changes it); a different locale makes
 * numbers with a decimal point fail to parse rather than parse wrongly.
 */
#ifndef HEBB_IO_UNITS_H
#define HEBB_IO_UNITS_H

#include <stddef.h>

typedef enum {
  HEBB_DIM_NONE = 0, /* dimensionless: probabilities, counts, ratios; only bare numbers accepted */
  HEBB_DIM_TIME,     /* default ms */
  HEBB_DIM_VOLTAGE,  /* default mV */
  HEBB_DIM_CURRENT,  /* default pA */
  HEBB_DIM_CONDUCTANCE, /* default nS */
  HEBB_DIM_CAPACITANCE, /* default pF */
  HEBB_DIM_FREQUENCY,   /* default Hz */
  HEBB_DIM_RESISTANCE,  /* default MOhm */
} hebb_dim;

/* Name of the default unit of a dimension ("ms", "mV", ..., "" for NONE) and the
   dimension's name ("time", "voltage", ...) for error messages. A value outside the enum
   gives "?" and "unknown dimension". */
const char *hebb_dim_unit(hebb_dim d);
const char *hebb_dim_name(hebb_dim d);

/* Parses TEXT as a number with an optional unit and converts it to the default unit of
   EXPECTED. Returns 0 on success and stores the value; on failure returns -1, leaves *value
   untouched and writes a one-line human message into err (size errlen), e.g.
     "expected a voltage (e.g. -65 mV), got '20 ms' which is a time"
     "unknown unit 'mVx' in '-65 mVx'; expected a voltage (e.g. -65 mV)"
     "expected a number with an optional unit, got 'abc'"
     "'0.5 ms' has a unit but a dimensionless number was expected"
   The message never contains a file name: the caller prefixes FILE:LINE:COLUMN. It is
   always NUL-terminated when errlen > 0 and is cut on a UTF-8 character boundary when it
   does not fit; err may be NULL when errlen is 0. */
int hebb_units_parse(const char *text, hebb_dim expected, double *value, char *err, size_t errlen);

#endif /* HEBB_IO_UNITS_H */

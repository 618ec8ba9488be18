/* units.c - parsing of quantities with units ("20 ms", "0.6 nS") into Hebb's internal units.
 *
 * A quantity is split into a number and a unit token. The number is checked by a small
 * scanner (decimal only: no hex, inf or nan) and then converted by strtod; the unit token is
 * looked up as either a whole unit ("min", "h", "Hz", ...) or an SI prefix followed by a base
 * unit. Every unit is described by its dimension, a power of ten relative to the SI base unit
 * and an integer scale (60 for minutes, 3600 for hours), so converting to the dimension's
 * default unit is one multiplication or one division by an exactly representable number:
 * "20 ms" stays 20.0 and "100 us" becomes the double closest to 0.1.
 */
#include "units.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define UNITS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define UNITS_PRINTF(fmt, args)
#endif

/* Per dimension: default unit, name, an example used in messages and the power of ten of the
 * default unit relative to the SI base unit (ms = 1e-3 s, MOhm = 1e6 Ohm). */
typedef struct {
  const char *unit;
  const char *name;
  const char *example;
  int exp10;
} dim_info;

static const dim_info DIMS[] = {
    [HEBB_DIM_NONE] = {"", "dimensionless number", "0.5", 0},
    [HEBB_DIM_TIME] = {"ms", "time", "20 ms", -3},
    [HEBB_DIM_VOLTAGE] = {"mV", "voltage", "-65 mV", -3},
    [HEBB_DIM_CURRENT] = {"pA", "current", "100 pA", -12},
    [HEBB_DIM_CONDUCTANCE] = {"nS", "conductance", "0.6 nS", -9},
    [HEBB_DIM_CAPACITANCE] = {"pF", "capacitance", "250 pF", -12},
    [HEBB_DIM_FREQUENCY] = {"Hz", "frequency", "10 Hz", 0},
    [HEBB_DIM_RESISTANCE] = {"MOhm", "resistance", "100 MOhm", 6},
};

#define NDIMS (sizeof DIMS / sizeof DIMS[0])

/* A base unit. Only SI units take a prefix: "mmin" or "kh" mean nothing. */
typedef struct {
  const char *symbol;
  hebb_dim dim;
  double scale; /* exact integer: the unit is SCALE times the SI base unit */
  int prefixable;
} base_unit;

static const base_unit BASES[] = {
    {"s", HEBB_DIM_TIME, 1.0, 1},
    {"min", HEBB_DIM_TIME, 60.0, 0},
    {"h", HEBB_DIM_TIME, 3600.0, 0},
    {"V", HEBB_DIM_VOLTAGE, 1.0, 1},
    {"A", HEBB_DIM_CURRENT, 1.0, 1},
    {"S", HEBB_DIM_CONDUCTANCE, 1.0, 1},
    {"F", HEBB_DIM_CAPACITANCE, 1.0, 1},
    {"Hz", HEBB_DIM_FREQUENCY, 1.0, 1},
    {"Ohm", HEBB_DIM_RESISTANCE, 1.0, 1},
    {"\xCE\xA9", HEBB_DIM_RESISTANCE, 1.0, 1},     /* U+03A9 GREEK CAPITAL LETTER OMEGA */
    {"\xE2\x84\xA6", HEBB_DIM_RESISTANCE, 1.0, 1}, /* U+2126 OHM SIGN, its compatibility twin */
};

typedef struct {
  const char *symbol;
  int exp10;
} si_prefix;

static const si_prefix PREFIXES[] = {
    {"p", -12},       /* pico */
    {"n", -9},        /* nano */
    {"u", -6},        /* micro, ASCII */
    {"\xC2\xB5", -6}, /* micro, U+00B5 MICRO SIGN */
    {"\xCE\xBC", -6}, /* micro, U+03BC GREEK SMALL LETTER MU */
    {"m", -3},        /* milli */
    {"k", 3},         /* kilo */
    {"M", 6},         /* mega */
    {"G", 9},         /* giga */
};

/* A unit token resolved: dimension, power of ten and scale relative to the SI base unit. */
typedef struct {
  hebb_dim dim;
  int exp10;
  double scale;
} unit_info;

/* Returns the default unit of D ("" for NONE, "?" for a value outside the enum). */
const char *hebb_dim_unit(hebb_dim d) {
  return (unsigned)d < NDIMS ? DIMS[d].unit : "?";
}

/* Returns the name of D ("time", "voltage", ...) for messages. */
const char *hebb_dim_name(hebb_dim d) {
  return (unsigned)d < NDIMS ? DIMS[d].name : "unknown dimension";
}

/* Cuts S (of length N) back so that it does not end in the middle of a UTF-8 sequence; a
 * message truncated by snprintf could otherwise end with half of a "µ". */
static void trim_partial_utf8(char *s, size_t n) {
  size_t i = n;
  while (i > 0 && n - i < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
    i--; /* skip continuation bytes back to the lead byte */
  if (i == 0)
    return;
  unsigned char lead = (unsigned char)s[i - 1];
  size_t need;
  if (lead < 0x80)
    return; /* ASCII: nothing can be cut */
  else if ((lead & 0xE0) == 0xC0)
    need = 2;
  else if ((lead & 0xF0) == 0xE0)
    need = 3;
  else if ((lead & 0xF8) == 0xF0)
    need = 4;
  else
    return; /* not a lead byte: the text itself was not UTF-8, leave it */
  if (n - (i - 1) < need)
    s[i - 1] = '\0';
}

/* Writes the formatted message into ERR (if there is room) and returns -1. Control characters
 * echoed from the input are replaced by '?' so that the message stays on one line. */
static int fail(char *err, size_t errlen, const char *fmt, ...) UNITS_PRINTF(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err == NULL || errlen == 0)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  if (n < 0) {
    err[0] = '\0';
    return -1;
  }
  size_t len = strlen(err);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)err[i];
    if (c < 0x20 || c == 0x7F)
      err[i] = '?';
  }
  if ((size_t)n >= errlen)
    trim_partial_utf8(err, len);
  return -1;
}

/* The whitespace the C locale's isspace accepts; spelled out so that the locale (and the
 * signedness of char) cannot change what counts as a separator. */
static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* Returns whether S starts with WORD, ignoring ASCII case (WORD is lower case). */
static int starts_with_nocase(const char *s, const char *end, const char *word) {
  for (; *word != '\0'; s++, word++) {
    if (s >= end)
      return 0;
    char c = *s;
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c != *word)
      return 0;
  }
  return 1;
}

/* Returns whether [S, S + N) spells exactly the NUL-terminated SYM. */
static int token_is(const char *s, size_t n, const char *sym) {
  return strlen(sym) == n && memcmp(s, sym, n) == 0;
}

/* Looks up a base unit spelled exactly [S, S + N); returns it or NULL. */
static const base_unit *find_base(const char *s, size_t n) {
  for (size_t i = 0; i < sizeof BASES / sizeof BASES[0]; i++)
    if (token_is(s, n, BASES[i].symbol))
      return &BASES[i];
  return NULL;
}

/* Resolves the unit token [S, S + N) into *OUT. A whole base unit is tried before a prefix
 * split, so "min" is minutes and never "m" + "in"; no base symbol is itself a prefix plus a
 * base, so the split is unambiguous. Returns 0, or -1 for an unknown unit. */
static int lookup_unit(const char *s, size_t n, unit_info *out) {
  const base_unit *b = find_base(s, n);
  if (b != NULL) {
    *out = (unit_info){b->dim, 0, b->scale};
    return 0;
  }
  for (size_t i = 0; i < sizeof PREFIXES / sizeof PREFIXES[0]; i++) {
    size_t plen = strlen(PREFIXES[i].symbol);
    if (plen >= n || memcmp(s, PREFIXES[i].symbol, plen) != 0)
      continue;
    b = find_base(s + plen, n - plen);
    if (b != NULL && b->prefixable) {
      *out = (unit_info){b->dim, PREFIXES[i].exp10, b->scale};
      return 0;
    }
  }
  return -1;
}

/* Returns 10^K for 0 <= K <= 22, exactly: every power of ten up to 1e22 is a double, and each
 * step of the loop multiplies exact integers whose product is still exact. */
static double pow10_exact(int k) {
  double p = 1.0;
  while (k-- > 0)
    p *= 10.0;
  return p;
}

/* Converts V from the unit U to the default unit of U's dimension, rounding once. */
static double convert(double v, unit_info u) {
  int k = u.exp10 - DIMS[u.dim].exp10;
  if (k == 0 && u.scale == 1.0)
    return v; /* already in the default unit: keep the parsed number bit for bit */
  if (k >= 0)
    return v * (u.scale * pow10_exact(k)); /* the factor is an exact integer */
  return (v * u.scale) / pow10_exact(-k);  /* scale is 1 here (min, h take no prefix) */
}

/* Scans a decimal number (sign, digits, optional fraction, optional exponent) at [P, END) and
 * returns the position after it, or P itself if there is none. Only this syntax is accepted,
 * which keeps strtod's hex, inf and nan forms out. */
static const char *scan_number(const char *p, const char *end) {
  const char *q = p;
  if (q < end && (*q == '+' || *q == '-'))
    q++;
  size_t digits = 0;
  while (q < end && is_digit(*q))
    q++, digits++;
  if (q < end && *q == '.') {
    q++;
    while (q < end && is_digit(*q))
      q++, digits++;
  }
  if (digits == 0)
    return p;
  /* An exponent counts only with at least one digit: "5e" is 5 followed by the unit "e". */
  if (q < end && (*q == 'e' || *q == 'E')) {
    const char *e = q + 1;
    if (e < end && (*e == '+' || *e == '-'))
      e++;
    if (e < end && is_digit(*e)) {
      while (e < end && is_digit(*e))
        e++;
      q = e;
    }
  }
  return q;
}

/* Text lengths passed to "%.*s" must be ints; inputs that long are cut in the message. */
static int clamp_len(const char *a, const char *b) {
  size_t n = (size_t)(b - a);
  return n > INT_MAX ? INT_MAX : (int)n;
}

/* Parses TEXT into *VALUE in the default unit of EXPECTED; see units.h. Returns 0 or -1. */
int hebb_units_parse(const char *text, hebb_dim expected, double *value, char *err, size_t errlen) {
  if ((unsigned)expected >= NDIMS)
    return fail(err, errlen, "internal error: invalid expected dimension %d", (int)expected);
  const char *what = DIMS[expected].name;
  const char *ex = DIMS[expected].example;
  if (text == NULL || value == NULL)
    return fail(err, errlen, "internal error: no text or no result given to the unit parser");

  /* Trim: the message echoes the quantity without its surrounding blanks. */
  const char *start = text;
  const char *end = text + strlen(text);
  while (start < end && is_space(*start))
    start++;
  while (end > start && is_space(end[-1]))
    end--;
  int tlen = clamp_len(start, end);
  if (start == end)
    return fail(err, errlen, "expected a %s (e.g. %s), got an empty value", what, ex);

  const char *num = start;
  if (*num == '+' || *num == '-')
    num++;
  if (starts_with_nocase(num, end, "inf") || starts_with_nocase(num, end, "nan"))
    return fail(err, errlen, "'%.*s' is not a finite number; expected a %s (e.g. %s)", tlen, start,
                what, ex);
  if (end - num >= 2 && num[0] == '0' && (num[1] == 'x' || num[1] == 'X'))
    return fail(err, errlen,
                "hexadecimal numbers are not accepted, got '%.*s'; expected a %s (e.g. %s)", tlen,
                start, what, ex);

  const char *num_end = scan_number(start, end);
  if (num_end == start) {
    if (expected == HEBB_DIM_NONE)
      return fail(err, errlen, "expected a number, got '%.*s'", tlen, start);
    return fail(err, errlen, "expected a number with an optional unit, got '%.*s'", tlen, start);
  }

  /* strtod reads the same characters the scanner accepted; a mismatch can only come from a
   * non-"C" LC_NUMERIC, and failing then is better than reading "0.6" as 0. */
  char *strtod_end = NULL;
  errno = 0;
  double v = strtod(start, &strtod_end);
  if (strtod_end != num_end)
    return fail(err, errlen,
                "could not read the number in '%.*s' (is LC_NUMERIC other than \"C\"?)", tlen,
                start);
  if (errno == ERANGE && isinf(v))
    return fail(err, errlen, "'%.*s' is out of range", tlen, start);

  /* The unit is the next run of non-blank characters; anything after it is junk. */
  const char *unit = num_end;
  while (unit < end && is_space(*unit))
    unit++;
  const char *unit_end = unit;
  while (unit_end < end && !is_space(*unit_end))
    unit_end++;
  const char *rest = unit_end;
  while (rest < end && is_space(*rest))
    rest++;

  if (unit == unit_end) {
    *value = v; /* a bare number is already in the default unit */
    return 0;
  }

  unit_info u;
  if (lookup_unit(unit, (size_t)(unit_end - unit), &u) != 0)
    return fail(err, errlen, "unknown unit '%.*s' in '%.*s'; expected a %s (e.g. %s)",
                clamp_len(unit, unit_end), unit, tlen, start, what, ex);
  if (rest < end)
    return fail(err, errlen, "unexpected text '%.*s' after '%.*s' in '%.*s'", clamp_len(rest, end),
                rest, clamp_len(start, unit_end), start, tlen, start);
  if (expected == HEBB_DIM_NONE)
    return fail(err, errlen, "'%.*s' has a unit but a dimensionless number was expected", tlen,
                start);
  if (u.dim != expected)
    return fail(err, errlen, "expected a %s (e.g. %s), got '%.*s' which is a %s", what, ex, tlen,
                start, DIMS[u.dim].name);

  double r = convert(v, u);
  if (isinf(r))
    return fail(err, errlen, "'%.*s' is out of range once converted to %s", tlen, start,
                DIMS[expected].unit);
  *value = r;
  return 0;
}

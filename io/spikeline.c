/* spikeline.c - see spikeline.h. */
#include "spikeline.h"

#include "hebb.h"
#include "units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hebb__parse_spike_line(char *line, hebb_spike_line *out, char *err, size_t errlen) {
  line[strcspn(line, "#\r\n")] = '\0';
  char *field[3];
  size_t nf = 0;
  for (char *q = line + strspn(line, " \t"); *q != '\0'; q += strspn(q, " \t")) {
    if (nf < 3)
      field[nf] = q;
    nf++;
    q += strcspn(q, " \t");
    if (*q != '\0')
      *q++ = '\0';
  }
  if (nf == 0)
    return 0;
  if (nf != 2 && nf != 3) {
    snprintf(err, errlen,
             "%zu field%s; expected 'index<TAB>time_ms' or 'population<TAB>index<TAB>time_ms'", nf,
             nf == 1 ? "" : "s");
    return -1;
  }
  const char *idx = field[nf - 2], *tstr = field[nf - 1];
  size_t digits = strspn(idx, "0123456789");
  errno = 0;
  unsigned long long i = digits == strlen(idx) && digits > 0 ? strtoull(idx, NULL, 10) : 0;
  if (digits != strlen(idx) || digits == 0 || errno != 0 || i > UINT32_MAX) {
    snprintf(err, errlen, "neuron index '%.40s%s'; expected a whole number from 0", idx,
             strlen(idx) > 40 ? "..." : "");
    return -1;
  }
  char msg[256];
  if (hebb_units_parse(tstr, HEBB_DIM_TIME, &out->t_ms, msg, sizeof msg) != 0) {
    snprintf(err, errlen, "spike time '%.40s%s': %s", tstr, strlen(tstr) > 40 ? "..." : "", msg);
    return -1;
  }
  out->pop = nf == 3 ? field[0] : NULL;
  out->index = (uint32_t)i;
  return 1;
}

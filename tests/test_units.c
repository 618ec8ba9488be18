/* test_units.c - tests of io/units: parsing "20 ms", "0.6 nS", ... into Hebb's internal units.
 *
 * Values are compared with ==, not with a tolerance: the module promises that a quantity in
 * the default unit comes back bit for bit and that any other unit costs a single correctly
 * rounded multiplication or division, so e.g. "100 us" must be exactly the double 0.1.
 * Error cases check the return code, that the output value is left alone, and the message
 * (exactly where the wording is part of the contract, by substring elsewhere).
 */
#include "units.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Value stored in the output before a call that must fail, to see that it is not touched. */
#define UNTOUCHED 12345.25

/* TEXT parses as DIM to exactly EXPECT. */
#define ASSERT_VAL(text, dim, expect)                                                              \
  do {                                                                                             \
    double v_ = UNTOUCHED;                                                                         \
    char e_[256] = "";                                                                             \
    int rc_ = hebb_units_parse((text), (dim), &v_, e_, sizeof e_);                                 \
    ck_assert_msg(rc_ == 0, "'%s' failed: %s", (text), e_);                                        \
    ck_assert_msg(v_ == (expect), "'%s' -> %.17g, expected %.17g", (text), v_, (double)(expect));  \
  } while (0)

/* TEXT fails as DIM; the message contains SUB, is one line and the value is untouched. */
#define ASSERT_ERR(text, dim, sub)                                                                 \
  do {                                                                                             \
    double v_ = UNTOUCHED;                                                                         \
    char e_[256] = "";                                                                             \
    int rc_ = hebb_units_parse((text), (dim), &v_, e_, sizeof e_);                                 \
    ck_assert_msg(rc_ == -1, "'%s' parsed to %.17g but should fail", (text), v_);                  \
    ck_assert_msg(v_ == UNTOUCHED, "'%s' wrote the value on failure", (text));                     \
    ck_assert_msg(strstr(e_, (sub)) != NULL, "'%s': message '%s' lacks '%s'", (text), e_, (sub));  \
    ck_assert_msg(strchr(e_, '\n') == NULL, "'%s': message has a newline", (text));                \
  } while (0)

/* TEXT fails as DIM with exactly the message MSG. */
#define ASSERT_MSG(text, dim, msg)                                                                 \
  do {                                                                                             \
    double v_ = UNTOUCHED;                                                                         \
    char e_[256] = "";                                                                             \
    ck_assert_int_eq(hebb_units_parse((text), (dim), &v_, e_, sizeof e_), -1);                     \
    ck_assert_str_eq(e_, (msg));                                                                   \
    ck_assert(v_ == UNTOUCHED);                                                                    \
  } while (0)

START_TEST(test_dim_names) {
  ck_assert_str_eq(hebb_dim_unit(HEBB_DIM_NONE), "");
  ck_assert_str_eq(hebb_dim_unit(HEBB_DIM_TIME), "ms");
  ck_assert_str_eq(hebb_dim_unit(HEBB_DIM_VOLTAGE), "mV");
  ck_assert_str_eq(hebb_dim_unit(HEBB_DIM_CURRENT), "pA");
  ck_assert_str_eq(hebb_dim_unit(HEBB_DIM_CONDUCTANCE), "nS");
  ck_assert_str_eq(hebb_dim_unit(HEBB_DIM_CAPACITANCE), "pF");
  ck_assert_str_eq(hebb_dim_unit(HEBB_DIM_FREQUENCY), "Hz");
  ck_assert_str_eq(hebb_dim_unit(HEBB_DIM_RESISTANCE), "MOhm");
  ck_assert_str_eq(hebb_dim_name(HEBB_DIM_TIME), "time");
  ck_assert_str_eq(hebb_dim_name(HEBB_DIM_VOLTAGE), "voltage");
  ck_assert_str_eq(hebb_dim_name(HEBB_DIM_CURRENT), "current");
  ck_assert_str_eq(hebb_dim_name(HEBB_DIM_CONDUCTANCE), "conductance");
  ck_assert_str_eq(hebb_dim_name(HEBB_DIM_CAPACITANCE), "capacitance");
  ck_assert_str_eq(hebb_dim_name(HEBB_DIM_FREQUENCY), "frequency");
  ck_assert_str_eq(hebb_dim_name(HEBB_DIM_RESISTANCE), "resistance");
  ck_assert_ptr_nonnull(hebb_dim_name(HEBB_DIM_NONE));
  ck_assert_str_eq(hebb_dim_unit((hebb_dim)99), "?");
  ck_assert_ptr_nonnull(hebb_dim_name((hebb_dim)99));
}
END_TEST

/* Each dimension's default unit, written out or implied by a bare number, is untouched. */
START_TEST(test_default_units) {
  ASSERT_VAL("20 ms", HEBB_DIM_TIME, 20.0);
  ASSERT_VAL("0.1 ms", HEBB_DIM_TIME, 0.1);
  ASSERT_VAL("-65 mV", HEBB_DIM_VOLTAGE, -65.0);
  ASSERT_VAL("100 pA", HEBB_DIM_CURRENT, 100.0);
  ASSERT_VAL("0.6 nS", HEBB_DIM_CONDUCTANCE, 0.6);
  ASSERT_VAL("250 pF", HEBB_DIM_CAPACITANCE, 250.0);
  ASSERT_VAL("10 Hz", HEBB_DIM_FREQUENCY, 10.0);
  ASSERT_VAL("100 MOhm", HEBB_DIM_RESISTANCE, 100.0);
  ASSERT_VAL("20", HEBB_DIM_TIME, 20.0);
  ASSERT_VAL("-70.6", HEBB_DIM_VOLTAGE, -70.6);
  ASSERT_VAL("0.6", HEBB_DIM_CONDUCTANCE, 0.6);
  ASSERT_VAL("0.3", HEBB_DIM_RESISTANCE, 0.3);
  ASSERT_VAL("0.25", HEBB_DIM_NONE, 0.25);
  ASSERT_VAL("1000", HEBB_DIM_NONE, 1000.0);
}
END_TEST

/* Every prefix on every base unit it is likely to meet; the expected literals are the doubles
 * closest to the exact values, which one correctly rounded operation must produce. */
START_TEST(test_prefixes) {
  ASSERT_VAL("1 ps", HEBB_DIM_TIME, 1e-9);
  ASSERT_VAL("1 ns", HEBB_DIM_TIME, 1e-6);
  ASSERT_VAL("1 us", HEBB_DIM_TIME, 1e-3);
  ASSERT_VAL("1 ks", HEBB_DIM_TIME, 1e6);
  ASSERT_VAL("1 Ms", HEBB_DIM_TIME, 1e9);
  ASSERT_VAL("1 Gs", HEBB_DIM_TIME, 1e12);
  ASSERT_VAL("1 V", HEBB_DIM_VOLTAGE, 1000.0);
  ASSERT_VAL("1 kV", HEBB_DIM_VOLTAGE, 1e6);
  ASSERT_VAL("3 uV", HEBB_DIM_VOLTAGE, 3e-3);
  ASSERT_VAL("1 nV", HEBB_DIM_VOLTAGE, 1e-6);
  ASSERT_VAL("1 pV", HEBB_DIM_VOLTAGE, 1e-9);
  ASSERT_VAL("1 nA", HEBB_DIM_CURRENT, 1000.0);
  ASSERT_VAL("0.5 nA", HEBB_DIM_CURRENT, 500.0);
  ASSERT_VAL("1 uA", HEBB_DIM_CURRENT, 1e6);
  ASSERT_VAL("1 mA", HEBB_DIM_CURRENT, 1e9);
  ASSERT_VAL("1 A", HEBB_DIM_CURRENT, 1e12);
  ASSERT_VAL("1 kA", HEBB_DIM_CURRENT, 1e15);
  ASSERT_VAL("2 GA", HEBB_DIM_CURRENT, 2e21);
  ASSERT_VAL("1 pS", HEBB_DIM_CONDUCTANCE, 1e-3);
  ASSERT_VAL("1 uS", HEBB_DIM_CONDUCTANCE, 1000.0);
  ASSERT_VAL("1 mS", HEBB_DIM_CONDUCTANCE, 1e6);
  ASSERT_VAL("1 S", HEBB_DIM_CONDUCTANCE, 1e9);
  ASSERT_VAL("1 MS", HEBB_DIM_CONDUCTANCE, 1e15);
  ASSERT_VAL("1 nF", HEBB_DIM_CAPACITANCE, 1000.0);
  ASSERT_VAL("1 uF", HEBB_DIM_CAPACITANCE, 1e6);
  ASSERT_VAL("1 F", HEBB_DIM_CAPACITANCE, 1e12);
  ASSERT_VAL("1 mHz", HEBB_DIM_FREQUENCY, 1e-3);
  ASSERT_VAL("1.5 kHz", HEBB_DIM_FREQUENCY, 1500.0);
  ASSERT_VAL("1 MHz", HEBB_DIM_FREQUENCY, 1e6);
  ASSERT_VAL("1 GHz", HEBB_DIM_FREQUENCY, 1e9);
  ASSERT_VAL("1 GOhm", HEBB_DIM_RESISTANCE, 1000.0);
  ASSERT_VAL("1 kOhm", HEBB_DIM_RESISTANCE, 1e-3);
  ASSERT_VAL("1 Ohm", HEBB_DIM_RESISTANCE, 1e-6);
  ASSERT_VAL("1 mOhm", HEBB_DIM_RESISTANCE, 1e-9);
  ASSERT_VAL("1 pOhm", HEBB_DIM_RESISTANCE, 1e-18);
  /* Values where multiplying by a rounded reciprocal (9 * 0.001) would miss the closest double
   * that a division (9 / 1000) gives. */
  ASSERT_VAL("9 us", HEBB_DIM_TIME, 0.009);
  ASSERT_VAL("5 ns", HEBB_DIM_TIME, 5e-6);
  ASSERT_VAL("3 ps", HEBB_DIM_TIME, 3e-9);
  ASSERT_VAL("13 kOhm", HEBB_DIM_RESISTANCE, 0.013);
  ASSERT_VAL("3 pOhm", HEBB_DIM_RESISTANCE, 3e-18);
}
END_TEST

START_TEST(test_time_units) {
  ASSERT_VAL("1 s", HEBB_DIM_TIME, 1000.0);
  ASSERT_VAL("1.5e-3 s", HEBB_DIM_TIME, 1.5);
  ASSERT_VAL("1e-3 s", HEBB_DIM_TIME, 1.0);
  ASSERT_VAL("0.25 s", HEBB_DIM_TIME, 250.0);
  ASSERT_VAL("100 us", HEBB_DIM_TIME, 0.1);
  ASSERT_VAL("1 min", HEBB_DIM_TIME, 60000.0);
  ASSERT_VAL("0.5 min", HEBB_DIM_TIME, 30000.0);
  ASSERT_VAL("2.5 min", HEBB_DIM_TIME, 150000.0);
  ASSERT_VAL("1 h", HEBB_DIM_TIME, 3600000.0);
  ASSERT_VAL("1.5 h", HEBB_DIM_TIME, 5400000.0);
  ASSERT_VAL("24h", HEBB_DIM_TIME, 86400000.0);
  /* min and h are not SI units and take no prefix; "mmin" is not a millimin. */
  ASSERT_ERR("5 mmin", HEBB_DIM_TIME, "unknown unit 'mmin'");
  ASSERT_ERR("2 kh", HEBB_DIM_TIME, "unknown unit 'kh'");
}
END_TEST

/* The three spellings of micro: ASCII u, U+00B5 MICRO SIGN and U+03BC GREEK SMALL MU. */
START_TEST(test_micro) {
  ASSERT_VAL("100 us", HEBB_DIM_TIME, 0.1);
  ASSERT_VAL("100 µs", HEBB_DIM_TIME, 0.1);
  ASSERT_VAL("100 μs", HEBB_DIM_TIME, 0.1);
  ASSERT_VAL("100 \xC2\xB5s", HEBB_DIM_TIME, 0.1);
  ASSERT_VAL("100 \xCE\xBCs", HEBB_DIM_TIME, 0.1);
  ASSERT_VAL("5 µA", HEBB_DIM_CURRENT, 5e6);
  ASSERT_VAL("2 μS", HEBB_DIM_CONDUCTANCE, 2000.0);
  ASSERT_VAL("1 µF", HEBB_DIM_CAPACITANCE, 1e6);
  ASSERT_VAL("-3µV", HEBB_DIM_VOLTAGE, -3e-3);
  ASSERT_ERR("5 µ", HEBB_DIM_TIME, "unknown unit 'µ'");
}
END_TEST

/* Ohm spelled out, as U+03A9 GREEK CAPITAL OMEGA and as U+2126 OHM SIGN. */
START_TEST(test_ohm) {
  ASSERT_VAL("100 MOhm", HEBB_DIM_RESISTANCE, 100.0);
  ASSERT_VAL("100 MΩ", HEBB_DIM_RESISTANCE, 100.0);
  ASSERT_VAL("100 M\xCE\xA9", HEBB_DIM_RESISTANCE, 100.0);
  ASSERT_VAL("1 GΩ", HEBB_DIM_RESISTANCE, 1000.0);
  ASSERT_VAL("1 kΩ", HEBB_DIM_RESISTANCE, 1e-3);
  ASSERT_VAL("1 Ω", HEBB_DIM_RESISTANCE, 1e-6);
  ASSERT_VAL("50 M\xE2\x84\xA6", HEBB_DIM_RESISTANCE, 50.0);
  ASSERT_ERR("1 ohm", HEBB_DIM_RESISTANCE, "unknown unit 'ohm'");
}
END_TEST

/* Case decides between milli, mega, second and siemens. */
START_TEST(test_case_ambiguity) {
  ASSERT_VAL("2 ms", HEBB_DIM_TIME, 2.0);
  ASSERT_VAL("2 mS", HEBB_DIM_CONDUCTANCE, 2e6);
  ASSERT_VAL("2 MS", HEBB_DIM_CONDUCTANCE, 2e15);
  ASSERT_VAL("2 Ms", HEBB_DIM_TIME, 2e9);
  ASSERT_ERR("2 mS", HEBB_DIM_TIME, "which is a conductance");
  ASSERT_ERR("2 ms", HEBB_DIM_CONDUCTANCE, "which is a time");
  ASSERT_ERR("2 hz", HEBB_DIM_FREQUENCY, "unknown unit 'hz'");
}
END_TEST

START_TEST(test_whitespace) {
  ASSERT_VAL("20ms", HEBB_DIM_TIME, 20.0);
  ASSERT_VAL(" 20 ms ", HEBB_DIM_TIME, 20.0);
  ASSERT_VAL("20   ms", HEBB_DIM_TIME, 20.0);
  ASSERT_VAL("\t20\tms\n", HEBB_DIM_TIME, 20.0);
  ASSERT_VAL("250pF", HEBB_DIM_CAPACITANCE, 250.0);
  ASSERT_VAL("  42  ", HEBB_DIM_NONE, 42.0);
  ASSERT_VAL("\r\n0.5\r\n", HEBB_DIM_NONE, 0.5);
}
END_TEST

START_TEST(test_numbers) {
  ASSERT_VAL("-6.5e1 mV", HEBB_DIM_VOLTAGE, -65.0);
  ASSERT_VAL("-6.5E+1mV", HEBB_DIM_VOLTAGE, -65.0);
  ASSERT_VAL("+20 ms", HEBB_DIM_TIME, 20.0);
  ASSERT_VAL(".5 ms", HEBB_DIM_TIME, 0.5);
  ASSERT_VAL("5. ms", HEBB_DIM_TIME, 5.0);
  ASSERT_VAL("2e3 ms", HEBB_DIM_TIME, 2000.0);
  ASSERT_VAL("2e3", HEBB_DIM_NONE, 2000.0);
  ASSERT_VAL("6.5e-1", HEBB_DIM_NONE, 0.65);
  ASSERT_VAL("0", HEBB_DIM_NONE, 0.0);

  /* A negative zero keeps its sign: the value is returned as parsed. */
  double v = UNTOUCHED;
  char err[128];
  ck_assert_int_eq(hebb_units_parse("-0 mV", HEBB_DIM_VOLTAGE, &v, err, sizeof err), 0);
  ck_assert(v == 0.0 && signbit(v));

  /* "5e" has no exponent digits, so the "e" is read as an (unknown) unit. */
  ASSERT_ERR("5e ms", HEBB_DIM_TIME, "unknown unit 'e'");
  ASSERT_ERR("- 5 ms", HEBB_DIM_TIME, "expected a number");
  ASSERT_ERR("1,5 ms", HEBB_DIM_TIME, "unknown unit ',5'");
}
END_TEST

/* The message wording that units.h documents, character for character. */
START_TEST(test_error_messages) {
  ASSERT_MSG("20 ms", HEBB_DIM_VOLTAGE,
             "expected a voltage (e.g. -65 mV), got '20 ms' which is a time");
  ASSERT_MSG("-65 mVx", HEBB_DIM_VOLTAGE,
             "unknown unit 'mVx' in '-65 mVx'; expected a voltage (e.g. -65 mV)");
  ASSERT_MSG("abc", HEBB_DIM_TIME, "expected a number with an optional unit, got 'abc'");
  ASSERT_MSG("0.5 ms", HEBB_DIM_NONE,
             "'0.5 ms' has a unit but a dimensionless number was expected");
  /* The echoed quantity is trimmed of surrounding blanks. */
  ASSERT_MSG("  20 ms  ", HEBB_DIM_VOLTAGE,
             "expected a voltage (e.g. -65 mV), got '20 ms' which is a time");
}
END_TEST

START_TEST(test_errors) {
  /* Wrong dimension: both the expected and the given dimension are named. */
  ASSERT_ERR("10 Hz", HEBB_DIM_TIME, "expected a time");
  ASSERT_ERR("10 Hz", HEBB_DIM_TIME, "which is a frequency");
  ASSERT_ERR("1 nA", HEBB_DIM_CONDUCTANCE, "expected a conductance");
  ASSERT_ERR("1 nA", HEBB_DIM_CONDUCTANCE, "which is a current");
  ASSERT_ERR("250 pF", HEBB_DIM_RESISTANCE, "which is a capacitance");
  ASSERT_ERR("1 h", HEBB_DIM_FREQUENCY, "which is a time");
  /* Unknown units, including a prefix without a base unit. */
  ASSERT_ERR("5 m", HEBB_DIM_TIME, "unknown unit 'm'");
  ASSERT_ERR("5 k", HEBB_DIM_FREQUENCY, "unknown unit 'k'");
  ASSERT_ERR("m", HEBB_DIM_TIME, "expected a number");
  ASSERT_ERR("ms", HEBB_DIM_TIME, "expected a number");
  ASSERT_ERR("5 sec", HEBB_DIM_TIME, "unknown unit 'sec'");
  ASSERT_ERR("0.5 xyz", HEBB_DIM_NONE, "unknown unit 'xyz'");
  /* Empty and garbage. */
  ASSERT_ERR("", HEBB_DIM_TIME, "empty");
  ASSERT_ERR("   \t ", HEBB_DIM_VOLTAGE, "empty");
  ASSERT_ERR("", HEBB_DIM_NONE, "empty");
  ASSERT_ERR("abc", HEBB_DIM_NONE, "expected a number, got 'abc'");
  ASSERT_ERR("#20 ms", HEBB_DIM_TIME, "expected a number");
  /* Trailing junk after a valid quantity. */
  ASSERT_ERR("20 ms x", HEBB_DIM_TIME, "unexpected text 'x'");
  ASSERT_ERR("20ms ms", HEBB_DIM_TIME, "unexpected text 'ms'");
  ASSERT_ERR("0.5 0.5", HEBB_DIM_NONE, "unknown unit '0.5'");
  /* A unit on a dimensionless value, even the default unit of some dimension. */
  ASSERT_ERR("3 Hz", HEBB_DIM_NONE, "has a unit but a dimensionless number was expected");
  ASSERT_ERR("1e3ms", HEBB_DIM_NONE, "has a unit");
  /* Not finite, or hexadecimal: strtod would take these, the module must not. */
  ASSERT_ERR("nan", HEBB_DIM_NONE, "not a finite number");
  ASSERT_ERR("NaN ms", HEBB_DIM_TIME, "not a finite number");
  ASSERT_ERR("inf", HEBB_DIM_NONE, "not a finite number");
  ASSERT_ERR("-inf mV", HEBB_DIM_VOLTAGE, "not a finite number");
  ASSERT_ERR("+Infinity", HEBB_DIM_TIME, "not a finite number");
  ASSERT_ERR("0x1A", HEBB_DIM_NONE, "hexadecimal");
  ASSERT_ERR("0x10 ms", HEBB_DIM_TIME, "hexadecimal");
  ASSERT_ERR("0x1p3", HEBB_DIM_NONE, "hexadecimal");
  /* Out of range, as written or once converted. */
  ASSERT_ERR("1e400 ms", HEBB_DIM_TIME, "out of range");
  ASSERT_ERR("-1e999", HEBB_DIM_NONE, "out of range");
  ASSERT_ERR("1e300 GA", HEBB_DIM_CURRENT, "out of range");
  /* A control character echoed from the input does not break the message's line. */
  ASSERT_ERR("20 ms\nfoo", HEBB_DIM_TIME, "unexpected text 'foo'");
  /* Bad arguments. */
  double v = UNTOUCHED;
  char err[128] = "";
  ck_assert_int_eq(hebb_units_parse(NULL, HEBB_DIM_TIME, &v, err, sizeof err), -1);
  ck_assert_ptr_nonnull(strstr(err, "internal error"));
  ck_assert(v == UNTOUCHED);
  ck_assert_int_eq(hebb_units_parse("20 ms", HEBB_DIM_TIME, NULL, err, sizeof err), -1);
  ck_assert_ptr_nonnull(strstr(err, "internal error"));
  ASSERT_ERR("20 ms", (hebb_dim)42, "invalid expected dimension");
}
END_TEST

/* The message is cut, NUL-terminated, never written past errlen and never split in the
 * middle of a UTF-8 character. */
START_TEST(test_err_truncation) {
  double v = UNTOUCHED;
  char buf[64];

  /* No buffer at all. */
  ck_assert_int_eq(hebb_units_parse("20 ms", HEBB_DIM_VOLTAGE, &v, NULL, 0), -1);
  ck_assert(v == UNTOUCHED);

  /* errlen 0 with a buffer: nothing is written. */
  memset(buf, 'Z', sizeof buf);
  ck_assert_int_eq(hebb_units_parse("20 ms", HEBB_DIM_VOLTAGE, &v, buf, 0), -1);
  ck_assert_int_eq(buf[0], 'Z');

  /* errlen 1: just the terminator. */
  memset(buf, 'Z', sizeof buf);
  ck_assert_int_eq(hebb_units_parse("20 ms", HEBB_DIM_VOLTAGE, &v, buf, 1), -1);
  ck_assert_int_eq(buf[0], '\0');
  ck_assert_int_eq(buf[1], 'Z');

  /* errlen 8: seven characters and the terminator, nothing beyond. */
  memset(buf, 'Z', sizeof buf);
  ck_assert_int_eq(hebb_units_parse("20 ms", HEBB_DIM_VOLTAGE, &v, buf, 8), -1);
  ck_assert_uint_eq(strlen(buf), 7);
  ck_assert_int_eq(buf[8], 'Z');
  ck_assert(strncmp(buf, "expected", 7) == 0);

  /* A cut that would fall inside the two bytes of "µ" drops the whole character. */
  char full[256];
  ck_assert_int_eq(hebb_units_parse("5 µV", HEBB_DIM_TIME, &v, full, sizeof full), -1);
  const char *mu = strstr(full, "\xC2\xB5");
  ck_assert_ptr_nonnull(mu);
  size_t at = (size_t)(mu - full);
  ck_assert_uint_lt(at + 2, sizeof buf);
  memset(buf, 'Z', sizeof buf);
  ck_assert_int_eq(hebb_units_parse("5 µV", HEBB_DIM_TIME, &v, buf, at + 2), -1);
  ck_assert_uint_eq(strlen(buf), at);
  ck_assert(strncmp(buf, full, at) == 0);
  /* One more byte of room keeps the character whole. */
  ck_assert_int_eq(hebb_units_parse("5 µV", HEBB_DIM_TIME, &v, buf, at + 3), -1);
  ck_assert_uint_eq(strlen(buf), at + 2);
  ck_assert(v == UNTOUCHED);
}
END_TEST

static Suite *units_suite(void) {
  Suite *s = suite_create("units");
  TCase *tc = tcase_create("parse");
  tcase_add_test(tc, test_dim_names);
  tcase_add_test(tc, test_default_units);
  tcase_add_test(tc, test_prefixes);
  tcase_add_test(tc, test_time_units);
  tcase_add_test(tc, test_micro);
  tcase_add_test(tc, test_ohm);
  tcase_add_test(tc, test_case_ambiguity);
  tcase_add_test(tc, test_whitespace);
  tcase_add_test(tc, test_numbers);
  tcase_add_test(tc, test_error_messages);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_err_truncation);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(units_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

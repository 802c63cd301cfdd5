/*
 * Unit tests for src/quota/quantity.c: the parse -> canonical-string vectors
 * follow Kubernetes' own quantity tests (TestQuantityParse, TestQuantityString,
 * TestQuantityParseEmit, the sub-nano and serialization golden tables).
 */
#include "raygate/json.h"
#include "raygate/alloc.h"
#include "raygate/quantity.h"

#include <check.h>

#include "harness.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D QUOTA_QTY_DECIMAL_SI
#define B QUOTA_QTY_BINARY_SI
#define X QUOTA_QTY_DECIMAL_EXPONENT

typedef struct canon_case {
    const char *in;
    const char *out;
    quota_qty_format_t format; /* the format remembered after parsing */
} canon_case_t;

static const canon_case_t CANON[] = {
    /* zeros of every suffix print "0" but remember their format */
    {"0", "0", D},
    {"0n", "0", D},
    {"0u", "0", D},
    {"0m", "0", D},
    {"0Ki", "0", B},
    {"0k", "0", D},
    {"0Mi", "0", B},
    {"0M", "0", D},
    {"0Gi", "0", B},
    {"0G", "0", D},
    {"0Ti", "0", B},
    {"0T", "0", D},
    {"-0", "0", D},
    {"0.0", "0", D},
    {"0e5", "0", X},
    {"0.0e-100", "0", X},
    {"00", "0", D},
    {"1", "1", D},
    /* binary suffixes */
    {"1Ki", "1Ki", B},
    {"8Ki", "8Ki", B},
    {"7Mi", "7Mi", B},
    {"6Gi", "6Gi", B},
    {"5Ti", "5Ti", B},
    {"4Pi", "4Pi", B},
    {"3Ei", "3Ei", B},
    {"10Ti", "10Ti", B},
    {"100Ti", "100Ti", B},
    {"1024Mi", "1Gi", B},
    {"307200Ki", "300Mi", B},
    {"1025024Mi", "1001Gi", B},
    {"1024Gi", "1Ti", B},
    {"6Ki", "6Ki", B},
    /* decimal suffixes */
    {"5n", "5n", D},
    {"4u", "4u", D},
    {"3m", "3m", D},
    {"9", "9", D},
    {"8k", "8k", D},
    {"50k", "50k", D},
    {"7M", "7M", D},
    {"6G", "6G", D},
    {"5T", "5T", D},
    {"40T", "40T", D},
    {"300T", "300T", D},
    {"2P", "2P", D},
    {"1E", "1E", D},
    {"12E", "12E", D},
    {"100E", "100E", D},
    {"1000", "1k", D},
    {"1000M", "1G", D},
    {"0.001T", "1G", D},
    {"1000u", "1m", D},
    {"1500m", "1500m", D},
    {"1080000000n", "1080m", D},
    {"1234567M", "1234567M", D},
    {"1234567m", "1234567m", D},
    {"80n", "80n", D},
    {"1080n", "1080n", D},
    {"80u", "80u", D},
    {"1080u", "1080u", D},
    /* decimal exponents */
    {"1E-3", "1e-3", X},
    {"1e3", "1e3", X},
    {"1e+3", "1e3", X},
    {"1E6", "1e6", X},
    {"1e9", "1e9", X},
    {"1E12", "1e12", X},
    {"1e15", "1e15", X},
    {"1E18", "1e18", X},
    {"1e14", "100e12", X},
    {"1e13", "10e12", X},
    {"2e0", "2", X},
    {".001e12", "1e9", X},
    {"0.001e0", "1e-3", X},
    {"1000e-12", "1e-9", X},
    {"80e-3", "80e-3", X},
    {"300e6", "300e6", X},
    {"3e3", "3e3", X},
    {"1e27", "1e27", X},
    /* things that look like floating point */
    {"100.035k", "100035", D},
    {"0.001", "1m", D},
    {"0.0005k", "500m", D},
    {"0.005", "5m", D},
    {"0.05", "50m", D},
    {"0.5", "500m", D},
    {"0.00050k", "500m", D},
    {"0.00500", "5m", D},
    {"0.05000", "50m", D},
    {"0.50000", "500m", D},
    {"0.5e0", "500e-3", X},
    {"0.5e-1", "50e-3", X},
    {"0.5e-2", "5e-3", X},
    {"10.035M", "10035k", D},
    {"1.2e3", "1200", X},
    {"1.3E+6", "1300e3", X},
    {"1.40e9", "1400e6", X},
    {"1.53E12", "1530e9", X},
    {"1.6e15", "1600e12", X},
    {"1.7E18", "1700e15", X},
    {"9.01", "9010m", D},
    {"8.1k", "8100", D},
    {"7.123456M", "7123456", D},
    {"6.987654321G", "6987654321", D},
    {"5.444T", "5444G", D},
    {"40.1T", "40100G", D},
    {"300.2T", "300200G", D},
    {"2.5P", "2500T", D},
    {"1.01E", "1010P", D},
    {"1.08", "1080m", D},
    {"1.5", "1500m", D},
    {"0.1", "100m", D},
    {"1.441", "1441m", D},
    {"1.000001", "1000001u", D},
    {"1.000000001", "1000000001n", D},
    /* values below 1n round away from zero */
    {"3.001n", "4n", D},
    {"1.1E-9", "2e-9", X},
    {"0.0000000001", "1n", D},
    {"0.0000000005", "1n", D},
    {"0.00000000050", "1n", D},
    {"0.5e-9", "1e-9", X},
    {"0.1n", "1n", D},
    {"0.9n", "1n", D},
    {"0.00000012345", "124n", D},
    {"0.00000012354", "124n", D},
    {"0.000000000000001", "1n", D},
    {"0.0000000000001", "1n", D},
    {"-0.0000000000001", "-1n", D},
    {"1e-100", "1e-9", X},
    {"-1e-100", "-1e-9", X},
    {"1e-1000", "1e-9", X},
    {"1e-10", "1e-9", X},
    {"9e-10", "1e-9", X},
    {"-9e-10", "-1e-9", X},
    {"15e-10", "2e-9", X},
    {"1000000000000000000000e-30", "1e-9", X},
    {"1000000000000000000001e-30", "2e-9", X},
    {"999999999999999999999e-30", "1e-9", X},
    /* binary values are capped at 2^63-1 units */
    {"9Ei", "9223372036854775807", B},
    {"8Ei", "9223372036854775807", B},
    {"-20Ei", "-9223372036854775807", B},
    {"9223372036854775807Ki", "9223372036854775807", B},
    {"99999999999999999999999999999999999999999999999999Ei", "9223372036854775807", B},
    /* fractional binary values and the DecimalSI fallback */
    {"100.035Ki", "102435840m", B},
    {"0.5Mi", "512Ki", B},
    {"0.05Gi", "53687091200m", B},
    {"0.025Ti", "27487790694400m", B},
    {"1.5Gi", "1536Mi", B},
    {"1.5Ki", "1536", B},
    {"0.5Ki", "512", B},
    {"0.1Ki", "102400m", B},
    {"1025Ki", "1025Ki", B},
    {"1.0009765625Ki", "1025", B},
    {"-9.5Gi", "-9728Mi", B},
    {"-9.5000000001Gi", "-10200547328107374183n", B},
    {".001Ki", "1024m", B},
    {".000001Ki", "1024u", D},
    {".000000001Ki", "1024n", D},
    {"0.000000000001Ki", "2n", D},
    {".000000000001Ki", "2n", D},
    {"0.00000000000000000000001Ki", "1n", D},
    /* things written by trolls */
    {".001", "1m", D},
    {".0001k", "100m", D},
    {"1.", "1", D},
    {"1.G", "1G", D},
    {"+.5", "500m", D},
    {"+1Ki", "1Ki", B},
    /* beyond int64 and beyond the largest SI suffix */
    {"9223372036854775807", "9223372036854775807", D},
    {"9223372036854775808", "9223372036854775808", D},
    {"18446744073709551616", "18446744073709551616", D},
    {"-9223372036854775809", "-9223372036854775809", D},
    {"1000E", "1e21", D},
    {"5000E", "5e21", D},
    {"1000000E", "1e24", D},
    {"9999999999999999999999999999", "9999999999999999999999999999", D},
    /* negatives keep their sign */
    {"-1", "-1", D},
    {"-1Ki", "-1Ki", B},
    {"-1.5", "-1500m", D},
    {"-3.001n", "-4n", D},
    {"-0.5Mi", "-512Ki", B},
    {"-100.035Ki", "-102435840m", B},
    {"-1e3", "-1e3", X},
    {"-1000E", "-1e21", D},
};

#define N_CANON ((int)(sizeof(CANON) / sizeof(CANON[0])))

static const char *fmt_name(quota_qty_format_t f)
{
    return quota_qty_format_name(f);
}

START_TEST(test_quantity__canonical_form)
{
    const canon_case_t *c = &CANON[_i];
    quota_qty_t q;
    rg_error_t err = {0};
    int rc = quota_qty_parse(c->in, &q, &err);
    ck_assert_msg(rc == 0, "parse \"%s\": %s", c->in, rg_error_str(&err));
    char buf[QUOTA_QTY_STR_MAX];
    size_t n = quota_qty_format(&q, buf, sizeof(buf));
    ck_assert_msg(strcmp(buf, c->out) == 0, "\"%s\": got \"%s\", want \"%s\"", c->in, buf,
                  c->out);
    ck_assert_uint_eq(n, strlen(c->out));
    ck_assert_msg(q.format == c->format, "\"%s\": format %s, want %s", c->in,
                  fmt_name(q.format), fmt_name(c->format));

    /* The canonical string reads back to the same value and string. */
    quota_qty_t back;
    ck_assert_int_eq(quota_qty_parse(buf, &back, &err), 0);
    ck_assert_int_eq(quota_qty_cmp(&q, &back), 0);
    char again[QUOTA_QTY_STR_MAX];
    quota_qty_format(&back, again, sizeof(again));
    ck_assert_str_eq(again, buf);
}
END_TEST

/* An explicit '+' never changes the value or the format. */
START_TEST(test_quantity__explicit_plus)
{
    const canon_case_t *c = &CANON[_i];
    if (c->in[0] == '-' || c->in[0] == '+')
        return;
    char plus[QUOTA_QTY_INPUT_MAX + 2];
    snprintf(plus, sizeof(plus), "+%s", c->in);
    quota_qty_t a, b;
    ck_assert_int_eq(quota_qty_parse(c->in, &a, NULL), 0);
    ck_assert_int_eq(quota_qty_parse(plus, &b, NULL), 0);
    ck_assert_int_eq(quota_qty_cmp(&a, &b), 0);
    ck_assert_int_eq(a.format, b.format);
}
END_TEST

typedef struct err_case {
    const char *in;
    int code;
    const char *msg; /* exact message, or NULL for "any" */
} err_case_t;

static const err_case_t ERRORS[] = {
    {"", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"1.5.5", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"Gi", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {" 1", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"1 ", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"1 Gi", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"1Gib", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"+", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"-", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {".", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"-.", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"--1", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"e3", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"1.0.0", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"1KI", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"1.1.M", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"1+1.0M", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"0.1am", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"aoeu", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"1e3e3", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"1e3.5", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"1\t", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"1,5", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"0x10", RG_ERR_PARSE, QUOTA_QTY_ERR_FORMAT_MSG},
    {"1e", RG_ERR_PARSE, QUOTA_QTY_ERR_SUFFIX_MSG},
    {"1i", RG_ERR_PARSE, QUOTA_QTY_ERR_SUFFIX_MSG},
    {".5i", RG_ERR_PARSE, QUOTA_QTY_ERR_SUFFIX_MSG},
    {"-3.01i", RG_ERR_PARSE, QUOTA_QTY_ERR_SUFFIX_MSG},
    {"-3.01e-", RG_ERR_PARSE, QUOTA_QTY_ERR_SUFFIX_MSG},
    {"1e+", RG_ERR_PARSE, QUOTA_QTY_ERR_SUFFIX_MSG},
    {"0.1mi", RG_ERR_PARSE, QUOTA_QTY_ERR_SUFFIX_MSG},
    {"1ee3", RG_ERR_PARSE, QUOTA_QTY_ERR_SUFFIX_MSG},
    {"1Ki3", RG_ERR_PARSE, QUOTA_QTY_ERR_SUFFIX_MSG},
    {"1K", RG_ERR_PARSE, QUOTA_QTY_ERR_SUFFIX_MSG},
    {"1ki", RG_ERR_PARSE, QUOTA_QTY_ERR_SUFFIX_MSG},
    {"1mm", RG_ERR_PARSE, QUOTA_QTY_ERR_SUFFIX_MSG},
    {"1e28", RG_ERR_RANGE, NULL},
    {"1e29", RG_ERR_RANGE, NULL},
    {"10000000000000000000000000000", RG_ERR_RANGE, NULL},
    {"-10000000000E", RG_ERR_RANGE, NULL},
    {"1e1001", RG_ERR_RANGE, NULL},
    {"1e-1001", RG_ERR_RANGE, NULL},
    {"0e2000", RG_ERR_RANGE, NULL},
    {"1e99999999999999999999999", RG_ERR_RANGE, NULL},
};

#define N_ERRORS ((int)(sizeof(ERRORS) / sizeof(ERRORS[0])))

START_TEST(test_quantity__rejects_malformed)
{
    const err_case_t *c = &ERRORS[_i];
    quota_qty_t q = {.nano = 12345, .format = B};
    rg_error_t err = {0};
    int rc = quota_qty_parse(c->in, &q, &err);
    ck_assert_msg(rc == c->code, "\"%s\": rc %s, want %s (%s)", c->in, rg_err_name(rc),
                  rg_err_name(c->code), rg_error_str(&err));
    ck_assert_int_eq(err.code, c->code);
    if (c->msg != NULL)
        ck_assert_str_eq(err.msg, c->msg);
    else
        ck_assert_msg(strstr(err.msg, "out of range") != NULL, "%s", err.msg);
    /* *out is left alone on failure. */
    ck_assert_msg(q.nano == 12345 && q.format == B, "\"%s\" wrote *out", c->in);
}
END_TEST

START_TEST(test_quantity__bounds_input_length)
{
    char s[QUOTA_QTY_INPUT_MAX + 2];
    memset(s, '0', sizeof(s));
    s[QUOTA_QTY_INPUT_MAX] = '\0';
    s[QUOTA_QTY_INPUT_MAX - 1] = '1';
    quota_qty_t q;
    rg_error_t err = {0};
    /* Exactly at the limit: 127 zeros then 1. */
    ck_assert_int_eq(quota_qty_parse(s, &q, &err), 0);
    ck_assert(q.nano == (quota_i128_t)1000000000);
    /* One more character is refused. */
    memset(s, '0', sizeof(s));
    s[QUOTA_QTY_INPUT_MAX + 1] = '\0';
    ck_assert_int_eq(quota_qty_parse(s, &q, &err), RG_ERR_RANGE);
    /* A long fraction within the limit rounds up exactly once. */
    char frac[QUOTA_QTY_INPUT_MAX + 1];
    memset(frac, '0', sizeof(frac));
    frac[0] = '0';
    frac[1] = '.';
    frac[QUOTA_QTY_INPUT_MAX - 1] = '1';
    frac[QUOTA_QTY_INPUT_MAX] = '\0';
    ck_assert_int_eq(quota_qty_parse(frac, &q, &err), 0);
    char buf[QUOTA_QTY_STR_MAX];
    quota_qty_format(&q, buf, sizeof(buf));
    ck_assert_str_eq(buf, "1n");
    /* NULL arguments. */
    ck_assert_int_eq(quota_qty_parse(NULL, &q, &err), RG_ERR_INVAL);
    ck_assert_int_eq(quota_qty_parse("1", NULL, &err), RG_ERR_INVAL);
    /* parse_n needs no NUL and stops at len. */
    ck_assert_int_eq(quota_qty_parse_n("1Gi garbage", 3, &q, &err), 0);
    quota_qty_format(&q, buf, sizeof(buf));
    ck_assert_str_eq(buf, "1Gi");
}
END_TEST

typedef struct cmp_case {
    const char *a, *b;
    int want;
} cmp_case_t;

static const cmp_case_t CMPS[] = {
    {"0", "0", 0},
    {"100m", "50m", 1},
    {"50m", "100m", -1},
    {"10000T", "100Gi", 1},
    {"1Ki", "1024", 0},
    {"1k", "1Ki", -1},
    {"-1", "1n", -1},
    {"0Ki", "0", 0},
    {"1e3", "1k", 0},
    {"9.01", "9010m", 0},
    {"800m", "1", -1},
    {"800m", "790m", 1},
    {"9223372036854775807", "100m", 1},
    {"18446744073709551616", "9Ei", 1},
    {"-9223372036854775809", "-1", -1},
};

START_TEST(test_quantity__compares_by_value)
{
    const cmp_case_t *c = &CMPS[_i];
    quota_qty_t a, b;
    ck_assert_int_eq(quota_qty_parse(c->a, &a, NULL), 0);
    ck_assert_int_eq(quota_qty_parse(c->b, &b, NULL), 0);
    ck_assert_msg(quota_qty_cmp(&a, &b) == c->want, "cmp(%s, %s) != %d", c->a, c->b, c->want);
    ck_assert_int_eq(quota_qty_cmp(&b, &a), -c->want);
}
END_TEST

/* Parses s, failing the test on error. */
static quota_qty_t qty(const char *s)
{
    quota_qty_t q;
    rg_error_t err = {0};
    int rc = quota_qty_parse(s, &q, &err);
    ck_assert_msg(rc == 0, "parse \"%s\": %s", s, rg_error_str(&err));
    return q;
}

static void assert_str(const quota_qty_t *q, const char *want)
{
    char buf[QUOTA_QTY_STR_MAX];
    quota_qty_format(q, buf, sizeof(buf));
    ck_assert_str_eq(buf, want);
}

typedef struct arith_case {
    const char *a, *b;
    const char *sum;  /* a + b */
    const char *diff; /* a - b */
} arith_case_t;

static const arith_case_t ARITH[] = {
    /* adding or removing zero keeps the suffix, whichever side it is on */
    {"100m", "0", "100m", "100m"},
    {"0", "100m", "100m", "-100m"},
    {"1Gi", "0", "1Gi", "1Gi"},
    {"0", "1Gi", "1Gi", "-1Gi"},
    {"1Gi", "512Mi", "1536Mi", "512Mi"},
    {"1", "500m", "1500m", "500m"},
    {"1Ki", "1k", "2024", "24"},
    {"1k", "1Ki", "2024", "-24"},
    {"1e3", "1e3", "2e3", "0"},
    {"8Ei", "8Ei", "18446744073709551614", "0"},
    {"1n", "-1n", "0", "2n"},
    {"9223372036854775807", "1", "9223372036854775808", "9223372036854775806"},
    {"-9223372036854775808", "-1", "-9223372036854775809", "-9223372036854775807"},
    {"4Ei", "4Ei", "8Ei", "0"},
};

START_TEST(test_quantity__adds_and_subtracts)
{
    const arith_case_t *c = &ARITH[_i];
    quota_qty_t a = qty(c->a), b = qty(c->b);
    quota_qty_t s = a, d = a;
    rg_error_t err = {0};
    ck_assert_int_eq(quota_qty_add(&s, &b, &err), 0);
    ck_assert_int_eq(quota_qty_sub(&d, &b, &err), 0);
    assert_str(&s, c->sum);
    assert_str(&d, c->diff);
}
END_TEST

START_TEST(test_quantity__detects_overflow)
{
    quota_qty_t max = {QUOTA_QTY_MAX_NANO, D};
    quota_qty_t one_n = qty("1n");
    quota_qty_t q = max;
    rg_error_t err = {0};
    ck_assert_int_eq(quota_qty_add(&q, &one_n, &err), RG_ERR_RANGE);
    ck_assert_int_eq(err.code, RG_ERR_RANGE);
    ck_assert(q.nano == QUOTA_QTY_MAX_NANO); /* unchanged */
    ck_assert_int_eq(quota_qty_sub(&q, &one_n, &err), 0);
    ck_assert(q.nano == QUOTA_QTY_MAX_NANO - 1);

    quota_qty_t big = qty("9999999999999999999999999999");
    quota_qty_t neg = big;
    quota_qty_neg(&neg);
    q = big;
    ck_assert_int_eq(quota_qty_add(&q, &big, &err), RG_ERR_RANGE);
    ck_assert_int_eq(quota_qty_sub(&q, &neg, &err), RG_ERR_RANGE);
    q = neg;
    ck_assert_int_eq(quota_qty_sub(&q, &big, &err), RG_ERR_RANGE);
    ck_assert_int_eq(quota_qty_add(&q, &neg, &err), RG_ERR_RANGE);
    ck_assert_int_eq(quota_qty_add(&q, &big, &err), 0);
    ck_assert(quota_qty_is_zero(&q));

    /* Operands set by hand outside the range are refused, not overflowed. */
    quota_qty_t wild = {.nano = QUOTA_QTY_MAX_NANO * 10, .format = D};
    q = qty("1");
    ck_assert_int_eq(quota_qty_add(&q, &wild, &err), RG_ERR_RANGE);
    ck_assert_int_eq(quota_qty_sub(&wild, &q, &err), RG_ERR_RANGE);
}
END_TEST

typedef struct scaled_case {
    const char *in;
    int milli_rc;
    int64_t milli;
    int value_rc;
    int64_t value;
} scaled_case_t;

static const scaled_case_t SCALED[] = {
    {"0", 0, 0, 0, 0},
    {"1n", 0, 1, 0, 1},
    {"-1n", 0, -1, 0, -1},
    {"100m", 0, 100, 0, 1},
    {"1.5", 0, 1500, 0, 2},
    {"-1.5", 0, -1500, 0, -2},
    {"1500001u", 0, 1501, 0, 2},
    {"1", 0, 1000, 0, 1},
    {"1Ki", 0, 1024000, 0, 1024},
    {"1Gi", 0, 1073741824000LL, 0, 1073741824LL},
    {"9223372036854775807m", 0, INT64_MAX, 0, 9223372036854776LL},
    {"9223372036854775.807", 0, INT64_MAX, 0, 9223372036854776LL},
    {"9223372036854775.8071", RG_ERR_RANGE, 0, 0, 9223372036854776LL},
    {"-9223372036854775808m", 0, INT64_MIN, 0, -9223372036854776LL},
    {"9223372036854775807", RG_ERR_RANGE, 0, 0, INT64_MAX},
    {"9Ei", RG_ERR_RANGE, 0, 0, INT64_MAX},
    {"-9223372036854775808", RG_ERR_RANGE, 0, 0, INT64_MIN},
    {"9223372036854775808", RG_ERR_RANGE, 0, RG_ERR_RANGE, 0},
    {"9223372036854775806.5", RG_ERR_RANGE, 0, 0, INT64_MAX},
    {"9223372036854775807.5", RG_ERR_RANGE, 0, RG_ERR_RANGE, 0},
    {"-9223372036854775809", RG_ERR_RANGE, 0, RG_ERR_RANGE, 0},
};

START_TEST(test_quantity__milli_and_value_round_away_from_zero)
{
    const scaled_case_t *c = &SCALED[_i];
    quota_qty_t q = qty(c->in);
    int64_t m = 77, v = 77;
    rg_error_t err = {0};
    ck_assert_msg(quota_qty_milli(&q, &m, &err) == c->milli_rc, "milli rc of %s", c->in);
    ck_assert_msg(quota_qty_value(&q, &v, &err) == c->value_rc, "value rc of %s", c->in);
    if (c->milli_rc == 0)
        ck_assert_msg(m == c->milli, "milli(%s) = %lld", c->in, (long long)m);
    else
        ck_assert(m == 77);
    if (c->value_rc == 0)
        ck_assert_msg(v == c->value, "value(%s) = %lld", c->in, (long long)v);
    else
        ck_assert(v == 77);
}
END_TEST

START_TEST(test_quantity__constructors_match_new_quantity)
{
    static const struct {
        int64_t value;
        quota_qty_format_t format;
        const char *milli; /* NewMilliQuantity */
        const char *units; /* NewQuantity */
    } cases[] = {
        {1, D, "1m", "1"},
        {1000, D, "1", "1k"},
        {1234000, D, "1234", "1234k"},
        {1024, B, "1024m", "1Ki"},
        {1000000, (quota_qty_format_t)42, "1e3", "1e6"},
        {1024 * 1024, B, "1048576m", "1Mi"},
        {0, B, "0", "0"},
        {-1, D, "-1m", "-1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        quota_qty_t m = quota_qty_from_milli(cases[i].value, cases[i].format);
        quota_qty_t u = quota_qty_from_int(cases[i].value, cases[i].format);
        assert_str(&m, cases[i].milli);
        assert_str(&u, cases[i].units);
        int64_t back;
        ck_assert_int_eq(quota_qty_milli(&m, &back, NULL), 0);
        ck_assert(back == cases[i].value);
        ck_assert_int_eq(quota_qty_value(&u, &back, NULL), 0);
        ck_assert(back == cases[i].value);
    }
    quota_qty_t min = quota_qty_from_int(INT64_MIN, D);
    assert_str(&min, "-9223372036854775808");
    quota_qty_t max = quota_qty_from_int(INT64_MAX, B);
    assert_str(&max, "9223372036854775807");
    quota_qty_t mmin = quota_qty_from_milli(INT64_MIN, D);
    assert_str(&mmin, "-9223372036854775808m");
}
END_TEST

START_TEST(test_quantity__sign_zero_and_neg)
{
    quota_qty_t z = qty("0Ki"), p = qty("1n"), n = qty("-5Gi");
    ck_assert(quota_qty_is_zero(&z));
    ck_assert(!quota_qty_is_zero(&p));
    ck_assert_int_eq(quota_qty_sign(&z), 0);
    ck_assert_int_eq(quota_qty_sign(&p), 1);
    ck_assert_int_eq(quota_qty_sign(&n), -1);
    quota_qty_t q = qty("9.01");
    quota_qty_neg(&q);
    assert_str(&q, "-9010m");
    quota_qty_neg(&z);
    assert_str(&z, "0");
    quota_qty_t zero = {0};
    assert_str(&zero, "0");
    ck_assert_str_eq(quota_qty_format_name(B), "BinarySI");
    ck_assert_str_eq(quota_qty_format_name(D), "DecimalSI");
    ck_assert_str_eq(quota_qty_format_name(X), "DecimalExponent");
}
END_TEST

START_TEST(test_quantity__format_truncates_like_snprintf)
{
    quota_qty_t q = qty("1536Mi");
    char buf[4];
    size_t n = quota_qty_format(&q, buf, sizeof(buf));
    ck_assert_uint_eq(n, 6);
    ck_assert_str_eq(buf, "153");
    ck_assert_uint_eq(quota_qty_format(&q, NULL, 0), 6);
    /* The widest values still fit QUOTA_QTY_STR_MAX. */
    quota_qty_t wide = {.nano = -QUOTA_QTY_MAX_NANO, .format = B};
    char big[QUOTA_QTY_STR_MAX];
    n = quota_qty_format(&wide, big, sizeof(big));
    ck_assert_uint_lt(n, QUOTA_QTY_STR_MAX);
    ck_assert_str_eq(big, "-9999999999999999999999999999999999999n");
    /* Beyond Ei the mantissa grows instead of inventing a suffix. */
    quota_qty_t zetta = {.nano = ((quota_i128_t)1 << 70) * 1000000000, .format = B};
    assert_str(&zetta, "1024Ei");
}
END_TEST

typedef struct json_case {
    const char *json;
    int rc;
    const char *out;
    quota_qty_format_t format;
} json_case_t;

static const json_case_t JSON_CASES[] = {
    {"20", 0, "20", D},
    {"0.5", 0, "500m", D},
    {"1e3", 0, "1k", D}, /* cJSON keeps only the double */
    {"-1", 0, "-1", D},
    {"0", 0, "0", D},
    {"-0.0", 0, "0", D},
    {"0.1", 0, "100m", D},
    {"1.5", 0, "1500m", D},
    {"123456789.123", 0, "123456789123m", D},
    {"1.5e-7", 0, "150e-9", X},
    {"1e-12", 0, "1e-9", X},
    {"1e21", 0, "1e21", X},
    {"1e16", 0, "10P", D},
    {"9007199254740993", 0, "9007199254740992", D},
    {"1e300", RG_ERR_RANGE, NULL, D},
    {"\"1Gi\"", 0, "1Gi", B},
    {"\" 1\"", 0, "1", D},
    {"\"1 \"", 0, "1", D},
    {"\"\\t500m\\n\"", 0, "500m", D},
    {"\"\"", RG_ERR_PARSE, NULL, D},
    {"\"1 Gi\"", RG_ERR_PARSE, NULL, D},
    {"null", 0, "0", D},
    {"true", RG_ERR_TYPE, NULL, D},
    {"{}", RG_ERR_TYPE, NULL, D},
    {"[1]", RG_ERR_TYPE, NULL, D},
};

START_TEST(test_quantity__parses_json_values)
{
    const json_case_t *c = &JSON_CASES[_i];
    rg_error_t err = {0};
    cJSON *node = rg_json_parse(c->json, strlen(c->json), &err);
    ck_assert_msg(node != NULL, "%s: %s", c->json, rg_error_str(&err));
    quota_qty_t q;
    int rc = quota_qty_parse_json(node, &q, &err);
    ck_assert_msg(rc == c->rc, "%s: rc %s (%s)", c->json, rg_err_name(rc), rg_error_str(&err));
    if (rc == 0) {
        char buf[QUOTA_QTY_STR_MAX];
        quota_qty_format(&q, buf, sizeof(buf));
        ck_assert_msg(strcmp(buf, c->out) == 0, "%s: got %s, want %s", c->json, buf, c->out);
        ck_assert_int_eq(q.format, c->format);
    }
    cJSON_Delete(node);
}
END_TEST

START_TEST(test_quantity__json_rejects_non_finite)
{
    quota_qty_t q;
    rg_error_t err = {0};
    cJSON *n = cJSON_CreateNumber(NAN);
    ck_assert_int_eq(quota_qty_parse_json(n, &q, &err), RG_ERR_RANGE);
    cJSON_Delete(n);
    n = cJSON_CreateNumber(INFINITY);
    ck_assert_int_eq(quota_qty_parse_json(n, &q, &err), RG_ERR_RANGE);
    cJSON_Delete(n);
    n = cJSON_CreateNumber(-INFINITY);
    ck_assert_int_eq(quota_qty_parse_json(n, &q, &err), RG_ERR_RANGE);
    cJSON_Delete(n);
    ck_assert_int_eq(quota_qty_parse_json(NULL, &q, &err), RG_ERR_INVAL);
    /* An over-long string is refused before trimming. */
    char *s = calloc(1, 1024);
    ck_assert_ptr_nonnull(s);
    s[0] = '1';
    memset(s + 1, ' ', 1000);
    n = cJSON_CreateString(s);
    ck_assert_int_eq(quota_qty_parse_json(n, &q, &err), RG_ERR_RANGE);
    cJSON_Delete(n);
    free(s);
}
END_TEST

START_TEST(test_quantity__parses_resource_fixture)
{
    size_t len;
    char *data = rgt_fixture_read("", "quantity/resources.json", &len);
    rg_error_t err = {0};
    cJSON *root = rg_json_parse(data, len, &err);
    ck_assert_msg(root != NULL, "%s", rg_error_str(&err));
    static const struct {
        const char *group, *key;
        int rc;
        const char *out;
    } want[] = {
        {"requests", "cpu", 0, "500m"},
        {"requests", "memory", 0, "1536Mi"},
        {"requests", "nvidia.com/gpu", 0, "1"},
        {"requests", "ephemeral-storage", 0, "10G"},
        {"requests", "example.com/tiny", 0, "150e-9"},
        {"requests", "example.com/big", 0, "1e21"},
        {"requests", "example.com/thousand", 0, "1k"},
        {"requests", "example.com/neg", 0, "-1"},
        {"limits", "cpu", 0, "2"},
        {"limits", "memory", 0, "0"},
        {"limits", "bad-bool", RG_ERR_TYPE, NULL},
        {"limits", "bad-object", RG_ERR_TYPE, NULL},
        {"limits", "bad-string", RG_ERR_PARSE, NULL},
    };
    quota_qty_t total = {0};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const cJSON *node = rg_json_path(root, want[i].group, want[i].key, (char *)NULL);
        ck_assert_msg(node != NULL, "missing %s.%s", want[i].group, want[i].key);
        quota_qty_t q;
        int rc = quota_qty_parse_json(node, &q, &err);
        ck_assert_msg(rc == want[i].rc, "%s.%s: %s", want[i].group, want[i].key,
                      rg_error_str(&err));
        if (rc != 0)
            continue;
        assert_str(&q, want[i].out);
        if (strcmp(want[i].key, "cpu") == 0)
            ck_assert_int_eq(quota_qty_add(&total, &q, &err), 0);
    }
    /* Summing the two CPU values: 500m + 2 keeps the first operand's format. */
    assert_str(&total, "2500m");
    cJSON_Delete(root);
    rg_free(data);
}
END_TEST

static Suite *quantity_suite(void)
{
    Suite *s = suite_create("quantity");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_quantity__canonical_form, 0, N_CANON);
    tcase_add_loop_test(tc, test_quantity__explicit_plus, 0, N_CANON);
    tcase_add_loop_test(tc, test_quantity__rejects_malformed, 0, N_ERRORS);
    tcase_add_test(tc, test_quantity__bounds_input_length);
    suite_add_tcase(s, tc);

    tc = tcase_create("arithmetic");
    tcase_add_loop_test(tc, test_quantity__compares_by_value, 0,
                        (int)(sizeof(CMPS) / sizeof(CMPS[0])));
    tcase_add_loop_test(tc, test_quantity__adds_and_subtracts, 0,
                        (int)(sizeof(ARITH) / sizeof(ARITH[0])));
    tcase_add_test(tc, test_quantity__detects_overflow);
    tcase_add_loop_test(tc, test_quantity__milli_and_value_round_away_from_zero, 0,
                        (int)(sizeof(SCALED) / sizeof(SCALED[0])));
    tcase_add_test(tc, test_quantity__constructors_match_new_quantity);
    tcase_add_test(tc, test_quantity__sign_zero_and_neg);
    tcase_add_test(tc, test_quantity__format_truncates_like_snprintf);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_add_loop_test(tc, test_quantity__parses_json_values, 0,
                        (int)(sizeof(JSON_CASES) / sizeof(JSON_CASES[0])));
    tcase_add_test(tc, test_quantity__json_rejects_non_finite);
    tcase_add_test(tc, test_quantity__parses_resource_fixture);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(quantity_suite());
}

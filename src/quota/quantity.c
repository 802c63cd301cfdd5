/*
 * Kubernetes resource quantities: an exact scanner for the quantity grammar,
 * a small fixed-size bignum so that any input length up to the limit is
 * rounded exactly once, and the canonical printer (CanonicalizeBytes).
 */
#include "raygate/quantity.h"

#include "raygate/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128_t;

#define NANO_PER_UNIT 1000000000ULL
#define NANO_PER_MILLI 1000000ULL

/* How much of a JSON string is scanned, surrounding whitespace included. */
#define QUOTA_QTY_STRING_SCAN_MAX (QUOTA_QTY_INPUT_MAX * 4)

/* Largest BinarySI magnitude after parsing: (2^63 - 1) units, as Go caps it. */
#define BINARY_CAP_NANO ((u128_t)INT64_MAX * NANO_PER_UNIT)

/*
 * The bignum only has to hold QUOTA_QTY_INPUT_MAX decimal digits (< 426
 * bits) times 2^60 from the largest binary suffix: 24 limbs of 32 bits
 * leave ample room. Scaling up stops as soon as the value leaves 128 bits.
 */
#define BN_LIMBS 24

typedef struct bn {
    uint32_t w[BN_LIMBS]; /* little-endian limbs */
} bn_t;

/* Multiplies by m; returns false if the product no longer fits. */
static bool bn_mul_add(bn_t *b, uint32_t m, uint32_t add)
{
    uint64_t carry = add;
    for (int i = 0; i < BN_LIMBS; i++) {
        uint64_t t = (uint64_t)b->w[i] * m + carry;
        b->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    return carry == 0;
}

/* Divides by d in place; returns the remainder. */
static uint32_t bn_div(bn_t *b, uint32_t d)
{
    uint64_t rem = 0;
    for (int i = BN_LIMBS - 1; i >= 0; i--) {
        uint64_t cur = (rem << 32) | b->w[i];
        b->w[i] = (uint32_t)(cur / d);
        rem = cur % d;
    }
    return (uint32_t)rem;
}

static bool bn_is_zero(const bn_t *b)
{
    for (int i = 0; i < BN_LIMBS; i++)
        if (b->w[i] != 0)
            return false;
    return true;
}

/* True when the value needs more than 128 bits. */
static bool bn_above_u128(const bn_t *b)
{
    for (int i = 4; i < BN_LIMBS; i++)
        if (b->w[i] != 0)
            return true;
    return false;
}

static u128_t bn_low_u128(const bn_t *b)
{
    return ((u128_t)b->w[3] << 96) | ((u128_t)b->w[2] << 64) |
           ((u128_t)b->w[1] << 32) | (u128_t)b->w[0];
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The characters Kubernetes' scanner lets into a suffix before a sign. */
static bool is_suffix_char(char c)
{
    return c != '\0' && strchr("eEinumkKMGTP", c) != NULL;
}

typedef struct suffix_info {
    const char *text;
    int base;     /* 10 or 2 */
    int exponent; /* power of base */
    quota_qty_format_t format;
} suffix_info_t;

static const suffix_info_t SUFFIXES[] = {
    {"", 10, 0, QUOTA_QTY_DECIMAL_SI},   {"n", 10, -9, QUOTA_QTY_DECIMAL_SI},
    {"u", 10, -6, QUOTA_QTY_DECIMAL_SI}, {"m", 10, -3, QUOTA_QTY_DECIMAL_SI},
    {"k", 10, 3, QUOTA_QTY_DECIMAL_SI},  {"M", 10, 6, QUOTA_QTY_DECIMAL_SI},
    {"G", 10, 9, QUOTA_QTY_DECIMAL_SI},  {"T", 10, 12, QUOTA_QTY_DECIMAL_SI},
    {"P", 10, 15, QUOTA_QTY_DECIMAL_SI}, {"E", 10, 18, QUOTA_QTY_DECIMAL_SI},
    {"Ki", 2, 10, QUOTA_QTY_BINARY_SI},  {"Mi", 2, 20, QUOTA_QTY_BINARY_SI},
    {"Gi", 2, 30, QUOTA_QTY_BINARY_SI},  {"Ti", 2, 40, QUOTA_QTY_BINARY_SI},
    {"Pi", 2, 50, QUOTA_QTY_BINARY_SI},  {"Ei", 2, 60, QUOTA_QTY_BINARY_SI},
};

static int err_format(rg_error_t *err)
{
    return rg_error_set(err, RG_ERR_PARSE, "%s", QUOTA_QTY_ERR_FORMAT_MSG);
}

static int err_suffix(rg_error_t *err)
{
    return rg_error_set(err, RG_ERR_PARSE, "%s", QUOTA_QTY_ERR_SUFFIX_MSG);
}

static int err_range(rg_error_t *err, const char *s, size_t len)
{
    int shown = len > 40 ? 40 : (int)len;
    return rg_error_set(err, RG_ERR_RANGE,
                        "quantity \"%.*s%s\" is out of range: the magnitude must stay "
                        "below 1e28 and any exponent within +-%d",
                        shown, s, len > 40 ? "..." : "", QUOTA_QTY_EXPONENT_MAX);
}

/*
 * Interprets the suffix text (already checked against the scanner's shape)
 * as Kubernetes does: a fixed SI suffix, or e/E followed by an integer that
 * Go's ParseInt accepts (optional sign, at least one digit).
 */
static int suffix_interpret(const char *s, size_t len, int *base, int *exponent,
                            quota_qty_format_t *format, rg_error_t *err,
                            const char *input, size_t input_len)
{
    for (size_t i = 0; i < sizeof(SUFFIXES) / sizeof(SUFFIXES[0]); i++) {
        if (strlen(SUFFIXES[i].text) == len && memcmp(SUFFIXES[i].text, s, len) == 0) {
            *base = SUFFIXES[i].base;
            *exponent = SUFFIXES[i].exponent;
            *format = SUFFIXES[i].format;
            return 0;
        }
    }
    if (len < 2 || (s[0] != 'e' && s[0] != 'E'))
        return err_suffix(err);
    size_t p = 1;
    bool neg = false;
    if (s[p] == '+' || s[p] == '-') {
        neg = s[p] == '-';
        p++;
    }
    if (p == len)
        return err_suffix(err);
    long v = 0;
    for (; p < len; p++) {
        if (!is_digit(s[p]))
            return err_suffix(err);
        /* Saturate: anything past the limit is refused below anyway. */
        if (v <= QUOTA_QTY_EXPONENT_MAX)
            v = v * 10 + (s[p] - '0');
    }
    if (v > QUOTA_QTY_EXPONENT_MAX)
        return err_range(err, input, input_len);
    *base = 10;
    *exponent = neg ? -(int)v : (int)v;
    *format = QUOTA_QTY_DECIMAL_EXPONENT;
    return 0;
}

int quota_qty_parse_n(const char *s, size_t len, quota_qty_t *out, rg_error_t *err)
{
    if (s == NULL || out == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "quantity: NULL argument");
    if (len == 0)
        return err_format(err);
    if (len > QUOTA_QTY_INPUT_MAX)
        return rg_error_set(err, RG_ERR_RANGE,
                            "quantity \"%.40s...\" is out of range: longer than %d characters",
                            s, QUOTA_QTY_INPUT_MAX);

    /* <signedNumber>: [+-] then digits, '.', digits with at least one digit. */
    size_t pos = 0;
    bool negative = false;
    if (s[pos] == '+' || s[pos] == '-') {
        negative = s[pos] == '-';
        pos++;
    }
    size_t int_start = pos;
    while (pos < len && is_digit(s[pos]))
        pos++;
    size_t int_end = pos;
    size_t frac_start = pos, frac_end = pos;
    if (pos < len && s[pos] == '.') {
        pos++;
        frac_start = pos;
        while (pos < len && is_digit(s[pos]))
            pos++;
        frac_end = pos;
    }
    if (int_end == int_start && frac_end == frac_start)
        return err_format(err);

    /*
     * The suffix has the shape Kubernetes' scanner allows: letters from
     * "eEinumkKMGTP", an optional sign, digits, then the end. Anything else
     * (a space, a second '.', a 'b') is a format error; a well-shaped but
     * unknown suffix ("i", "e", "Ki3") is a suffix error.
     */
    size_t suf_start = pos;
    while (pos < len && is_suffix_char(s[pos]))
        pos++;
    if (pos < len && (s[pos] == '+' || s[pos] == '-'))
        pos++;
    while (pos < len && is_digit(s[pos]))
        pos++;
    if (pos != len)
        return err_format(err);

    int base = 10, exponent = 0;
    quota_qty_format_t format = QUOTA_QTY_DECIMAL_SI;
    int rc = suffix_interpret(s + suf_start, len - suf_start, &base, &exponent, &format,
                              err, s, len);
    if (rc != 0)
        return rc;

    /* The digits as one integer D; value = D * 10^-(fraction digits) * suffix. */
    bn_t b;
    memset(&b, 0, sizeof(b));
    for (size_t i = int_start; i < frac_end; i++) {
        if (i == int_end)
            continue; /* the '.' */
        /* Cannot overflow: at most QUOTA_QTY_INPUT_MAX digits. */
        (void)bn_mul_add(&b, 10, (uint32_t)(s[i] - '0'));
    }
    int pow10 = -(int)(frac_end - frac_start);
    if (base == 2) {
        for (int i = 0; i < exponent / 10; i++)
            (void)bn_mul_add(&b, 1024, 0);
    } else {
        pow10 += exponent;
    }

    /* Bring to nano-units: multiply up exactly, or divide down and round up. */
    bool huge = false;
    if (!bn_is_zero(&b)) {
        int shift = pow10 + 9;
        if (shift >= 0) {
            for (int i = 0; i < shift && !huge; i++)
                huge = !bn_mul_add(&b, 10, 0) || bn_above_u128(&b);
        } else {
            bool inexact = false;
            for (int i = 0; i < -shift && !bn_is_zero(&b); i++)
                inexact |= bn_div(&b, 10) != 0;
            if (bn_is_zero(&b))
                inexact = true; /* every digit fell below 1n */
            /*
             * Round away from zero: a non-zero request below the resolution
             * still gets something. Cannot overflow: the value shrank.
             */
            if (inexact)
                (void)bn_mul_add(&b, 1, 1);
        }
        huge = huge || bn_above_u128(&b);
    }

    u128_t mag = huge ? 0 : bn_low_u128(&b);
    if (format == QUOTA_QTY_BINARY_SI) {
        /* Go caps binary quantities at 2^63-1 units, silently. */
        if (huge || mag > BINARY_CAP_NANO)
            mag = BINARY_CAP_NANO;
        /* A non-zero binary value below 1 is shown in DecimalSI, as in Go. */
        if (mag != 0 && mag < NANO_PER_UNIT)
            format = QUOTA_QTY_DECIMAL_SI;
    } else if (huge || mag > (u128_t)QUOTA_QTY_MAX_NANO) {
        return err_range(err, s, len);
    }

    out->nano = negative ? -(quota_i128_t)mag : (quota_i128_t)mag;
    out->format = format;
    return 0;
}

int quota_qty_parse(const char *s, quota_qty_t *out, rg_error_t *err)
{
    if (s == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "quantity: NULL argument");
    /* strnlen bounds the scan; one past the limit is enough to refuse. */
    return quota_qty_parse_n(s, strnlen(s, QUOTA_QTY_INPUT_MAX + 1), out, err);
}

static bool is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * Writes d as the shortest decimal that reads back as the same double, so
 * 0.1 is "0.1" and not "0.10000000000000001", recovering what was written
 * in the JSON for every literal of up to 15 significant digits. Integers
 * print in full so 1e16 stays DecimalSI.
 */
static void json_number_text(double d, char *buf, size_t size)
{
    double mag = d < 0 ? -d : d;
    if (mag < 9007199254740992.0 && d == (double)(int64_t)d) {
        snprintf(buf, size, "%" PRId64, (int64_t)d);
        return;
    }
    if (mag < 1e21 && mag >= 9007199254740992.0) {
        /* Every double this large is an integer; %.0f prints it exactly. */
        snprintf(buf, size, "%.0f", d);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

int quota_qty_parse_json(const cJSON *node, quota_qty_t *out, rg_error_t *err)
{
    if (node == NULL || out == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "quantity: NULL argument");
    if (cJSON_IsNull(node)) {
        /* Quantity.UnmarshalJSON reads null as the zero quantity. */
        out->nano = 0;
        out->format = QUOTA_QTY_DECIMAL_SI;
        return 0;
    }
    if (cJSON_IsString(node)) {
        const char *s = node->valuestring;
        if (s == NULL)
            return rg_error_set(err, RG_ERR_INVAL, "quantity: string node without text");
        /*
         * Go trims surrounding whitespace. Refuse a string too long to scan
         * whole, so that trimming never works on a truncated view.
         */
        size_t len = strnlen(s, QUOTA_QTY_STRING_SCAN_MAX + 1);
        if (len > QUOTA_QTY_STRING_SCAN_MAX)
            return rg_error_set(err, RG_ERR_RANGE,
                                "quantity \"%.40s...\" is out of range: longer than %d characters",
                                s, QUOTA_QTY_INPUT_MAX);
        while (len > 0 && is_json_space(*s)) {
            s++;
            len--;
        }
        while (len > 0 && is_json_space(s[len - 1]))
            len--;
        return quota_qty_parse_n(s, len, out, err);
    }
    if (cJSON_IsNumber(node)) {
        double d = node->valuedouble;
        if (!isfinite(d))
            return rg_error_set(err, RG_ERR_RANGE,
                                "quantity number is out of range: not finite");
        char text[64];
        json_number_text(d, text, sizeof(text));
        return quota_qty_parse(text, out, err);
    }
    return rg_error_set(err, RG_ERR_TYPE,
                        "quantity must be a string or a number, got %s",
                        rg_json_type_name(node));
}

/* Writes the decimal digits of v (> 0 or 0) into buf; returns their count. */
static size_t u128_digits(u128_t v, char *buf)
{
    char tmp[48];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

static const char *decimal_si_suffix(int exponent)
{
    static const char *const names[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
    if (exponent < -9 || exponent > 18 || exponent % 3 != 0)
        return NULL;
    return names[(exponent + 9) / 3];
}

size_t quota_qty_format(const quota_qty_t *q, char *buf, size_t size)
{
    char out[QUOTA_QTY_STR_MAX];
    size_t n = 0;

    if (q == NULL || q->nano == 0) {
        out[n++] = '0';
        goto done;
    }
    u128_t mag = q->nano < 0 ? (u128_t)0 - (u128_t)q->nano : (u128_t)q->nano;
    if (q->nano < 0)
        out[n++] = '-';

    quota_qty_format_t format = q->format;
    if (format != QUOTA_QTY_DECIMAL_SI && format != QUOTA_QTY_BINARY_SI &&
        format != QUOTA_QTY_DECIMAL_EXPONENT)
        format = QUOTA_QTY_DECIMAL_EXPONENT;

    if (format == QUOTA_QTY_BINARY_SI) {
        /*
         * Values inside (-1024, 1024) and values with a fraction print in
         * DecimalSI: a binary suffix would round or say nothing useful.
         */
        if (mag < (u128_t)1024 * NANO_PER_UNIT || mag % NANO_PER_UNIT != 0) {
            format = QUOTA_QTY_DECIMAL_SI;
        } else {
            static const char *const bin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
            u128_t units = mag / NANO_PER_UNIT;
            int k = 0;
            /* Ei is the largest suffix; bigger sums keep a larger mantissa. */
            while (k < 6 && units % 1024 == 0) {
                units /= 1024;
                k++;
            }
            n += u128_digits(units, out + n);
            size_t sl = strlen(bin[k]);
            memcpy(out + n, bin[k], sl);
            n += sl;
            goto done;
        }
    }

    /*
     * Decimal forms: move factors of ten into the exponent, then back out
     * until the exponent is a multiple of three. The mantissa never grows
     * past the original nano count, so it cannot overflow.
     */
    int exponent = -9;
    while (mag % 10 == 0) {
        mag /= 10;
        exponent++;
    }
    while (exponent % 3 != 0) {
        mag *= 10;
        exponent--;
    }
    n += u128_digits(mag, out + n);
    const char *si = format == QUOTA_QTY_DECIMAL_SI ? decimal_si_suffix(exponent) : NULL;
    if (si != NULL) {
        size_t sl = strlen(si);
        memcpy(out + n, si, sl);
        n += sl;
    } else if (exponent != 0) {
        /* DecimalExponent, or DecimalSI beyond "E": Go falls back to e-notation. */
        n += (size_t)snprintf(out + n, sizeof(out) - n, "e%d", exponent);
    }

done:
    out[n] = '\0';
    if (buf != NULL && size > 0) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(buf, out, c);
        buf[c] = '\0';
    }
    return n;
}

int quota_qty_cmp(const quota_qty_t *a, const quota_qty_t *b)
{
    return (a->nano > b->nano) - (a->nano < b->nano);
}

bool quota_qty_is_zero(const quota_qty_t *q)
{
    return q->nano == 0;
}

int quota_qty_sign(const quota_qty_t *q)
{
    return (q->nano > 0) - (q->nano < 0);
}

static bool in_range(quota_i128_t v)
{
    return v <= QUOTA_QTY_MAX_NANO && v >= -QUOTA_QTY_MAX_NANO;
}

/*
 * Once both operands are known to lie within +-QUOTA_QTY_MAX_NANO (the
 * fields are public, so a caller could have stored anything), the sum
 * fits 128 bits and only needs the range check.
 */
static int add_signed(quota_qty_t *q, const quota_qty_t *y, bool subtract,
                      rg_error_t *err)
{
    const char *op = subtract ? "difference" : "sum";
    if (!in_range(q->nano) || !in_range(y->nano))
        return rg_error_set(err, RG_ERR_RANGE,
                            "quantity %s: an operand is out of range", op);
    quota_i128_t r = subtract ? q->nano - y->nano : q->nano + y->nano;
    if (!in_range(r))
        return rg_error_set(err, RG_ERR_RANGE,
                            "quantity %s is out of range: the magnitude must stay below 1e28",
                            op);
    if (q->nano == 0)
        q->format = y->format;
    q->nano = r;
    return 0;
}

int quota_qty_add(quota_qty_t *q, const quota_qty_t *y, rg_error_t *err)
{
    return add_signed(q, y, false, err);
}

int quota_qty_sub(quota_qty_t *q, const quota_qty_t *y, rg_error_t *err)
{
    return add_signed(q, y, true, err);
}

void quota_qty_neg(quota_qty_t *q)
{
    q->nano = -q->nano;
}

/* ceil(|nano| / per) with q's sign, checked against the int64 range. */
static int scaled_value(const quota_qty_t *q, uint64_t per, const char *what,
                        int64_t *out, rg_error_t *err)
{
    u128_t mag = q->nano < 0 ? (u128_t)0 - (u128_t)q->nano : (u128_t)q->nano;
    u128_t r = mag / per + (mag % per != 0);
    u128_t limit = q->nano < 0 ? (u128_t)INT64_MAX + 1 : (u128_t)INT64_MAX;
    if (r > limit) {
        char text[QUOTA_QTY_STR_MAX];
        quota_qty_format(q, text, sizeof(text));
        return rg_error_set(err, RG_ERR_RANGE,
                            "quantity \"%s\" is out of range: its %s value does not fit "
                            "in 64 bits",
                            text, what);
    }
    *out = q->nano < 0 ? (int64_t)((u128_t)0 - r) : (int64_t)r;
    return 0;
}

int quota_qty_milli(const quota_qty_t *q, int64_t *out, rg_error_t *err)
{
    return scaled_value(q, NANO_PER_MILLI, "milli", out, err);
}

int quota_qty_value(const quota_qty_t *q, int64_t *out, rg_error_t *err)
{
    return scaled_value(q, NANO_PER_UNIT, "integer", out, err);
}

quota_qty_t quota_qty_from_int(int64_t value, quota_qty_format_t format)
{
    quota_qty_t q = {(quota_i128_t)value * (quota_i128_t)NANO_PER_UNIT, format};
    return q;
}

quota_qty_t quota_qty_from_milli(int64_t value, quota_qty_format_t format)
{
    quota_qty_t q = {(quota_i128_t)value * (quota_i128_t)NANO_PER_MILLI, format};
    return q;
}

const char *quota_qty_format_name(quota_qty_format_t format)
{
    switch (format) {
    case QUOTA_QTY_DECIMAL_SI:
        return "DecimalSI";
    case QUOTA_QTY_BINARY_SI:
        return "BinarySI";
    case QUOTA_QTY_DECIMAL_EXPONENT:
        return "DecimalExponent";
    }
    return "DecimalExponent";
}

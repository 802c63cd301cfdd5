/*
 * Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity),
 * exactly: parsing from strings and JSON numbers, canonical formatting,
 * comparison and overflow-checked arithmetic. No floating point is used
 * for values: a quantity is an exact signed count of nano-units (10^-9)
 * plus the format it was written in, which decides how it prints.
 *
 * A quantity is a plain value with no heap memory: copy it freely. Every
 * function is pure and reentrant, so any thread may call any of them.
 * This module depends on core errors only (and on cJSON's node type for
 * quota_qty_parse_json); it must not depend on the quota model.
 *
 * Where raygate differs from Go's ParseQuantity, on purpose:
 *  - The number must hold a digit ("+", "-", ".", "Gi", "e3" are refused;
 *    Go reads them as 0, but the documented grammar and the CRD schema
 *    pattern reject them).
 *  - Magnitudes of 10^28 units and beyond, inputs longer than
 *    QUOTA_QTY_INPUT_MAX characters and exponents beyond
 *    +-QUOTA_QTY_EXPONENT_MAX are refused with RG_ERR_RANGE, where Go
 *    keeps an unbounded inf.Dec. BinarySI values are still capped at
 *    2^63-1 units like Go does ("9Ei" -> 9223372036854775807).
 *  - quota_qty_format always prints the canonical form; Go's String() of
 *    a freshly parsed "1.441" echoes the input while we print "1441m".
 *  - Value/milli conversions report RG_ERR_RANGE instead of overflowing.
 */
#ifndef RAYGATE_QUANTITY_H
#define RAYGATE_QUANTITY_H

#include "raygate/err.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The three ways Kubernetes prints a quantity; remembered from the input. */
typedef enum quota_qty_format {
    QUOTA_QTY_DECIMAL_SI = 0,   /* 500m, 12M: also the zero value's format */
    QUOTA_QTY_BINARY_SI = 1,    /* 12Mi (12 * 2^20) */
    QUOTA_QTY_DECIMAL_EXPONENT = 2, /* 12e6 */
} quota_qty_format_t;

/* A 128-bit signed integer; a GNU extension that gcc and clang accept. */
__extension__ typedef __int128 quota_i128_t;

/*
 * A quantity: nano is the exact value in units of 10^-9, always within
 * +-QUOTA_QTY_MAX_NANO. Zero-initialised it is 0 in DecimalSI.
 */
typedef struct quota_qty {
    quota_i128_t nano;
    quota_qty_format_t format;
} quota_qty_t;

/* Bounds on external input and on values (see the file comment). */
#define QUOTA_QTY_INPUT_MAX 128
#define QUOTA_QTY_EXPONENT_MAX 1000
/* 10^37 - 1 nano-units: just under 10^28 units. */
#define QUOTA_QTY_MAX_NANO \
    ((quota_i128_t)10000000000000000000ULL * (quota_i128_t)1000000000000000000ULL - 1)

/* A buffer this large always holds a formatted quantity and its NUL. */
#define QUOTA_QTY_STR_MAX 64

/* Kubernetes' own parse error texts (ErrFormatWrong, ErrSuffix). */
#define QUOTA_QTY_ERR_FORMAT_MSG \
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define QUOTA_QTY_ERR_SUFFIX_MSG "unable to parse quantity's suffix"

/*
 * Parses s (borrowed, NUL-terminated) into *out. Values finer than 1n round
 * away from zero to the next nano ("0.1n" -> 1n, "-3.001n" -> -4n).
 * Returns 0, RG_ERR_PARSE with err->msg exactly one of the two Kubernetes
 * texts above (callers add the field path and value), RG_ERR_RANGE for
 * over-long or out-of-range input, or RG_ERR_INVAL for NULL arguments.
 * *out is written only on success. err may be NULL.
 */
int quota_qty_parse(const char *s, quota_qty_t *out, rg_error_t *err);

/* As quota_qty_parse for the len bytes at s; s needs no NUL. */
int quota_qty_parse_n(const char *s, size_t len, quota_qty_t *out,
                      rg_error_t *err);

/*
 * Parses a JSON value (borrowed) the way Quantity.UnmarshalJSON does:
 * a string (surrounding ASCII whitespace trimmed), a number (20 -> "20",
 * 0.5 -> "500m"; written back as its shortest round-trip decimal, so an
 * exponent spelling like 1e3 is read as DecimalSI "1k" because cJSON keeps
 * only the double), or null (zero). NaN and infinities give RG_ERR_RANGE,
 * other JSON types RG_ERR_TYPE. err may be NULL.
 */
int quota_qty_parse_json(const cJSON *node, quota_qty_t *out, rg_error_t *err);

/*
 * Writes the canonical form of q (Kubernetes CanonicalizeBytes: "1Gi",
 * "1536Mi", "1500m", "1e3", "0") into buf, truncated and NUL-terminated
 * when size > 0. Returns the length of the full form, like snprintf; it
 * is always below QUOTA_QTY_STR_MAX. An unknown format prints as
 * DecimalExponent, like Kubernetes.
 */
size_t quota_qty_format(const quota_qty_t *q, char *buf, size_t size);

/* -1, 0 or 1 as a < b, a == b, a > b, by value (formats are ignored). */
int quota_qty_cmp(const quota_qty_t *a, const quota_qty_t *b);

/* True when q is zero; -1, 0 or 1 by the sign of q. */
bool quota_qty_is_zero(const quota_qty_t *q);
int quota_qty_sign(const quota_qty_t *q);

/*
 * q += y and q -= y. When q is zero beforehand it takes y's format,
 * otherwise it keeps its own, as in Kubernetes. A result beyond
 * QUOTA_QTY_MAX_NANO gives RG_ERR_RANGE and leaves q unchanged.
 */
int quota_qty_add(quota_qty_t *q, const quota_qty_t *y, rg_error_t *err);
int quota_qty_sub(quota_qty_t *q, const quota_qty_t *y, rg_error_t *err);

/* q = -q; always in range. */
void quota_qty_neg(quota_qty_t *q);

/*
 * The value in milli-units (MilliValue) and in whole units (Value),
 * rounded away from zero: 1n -> 1m, 1.5 -> 2, -1.5 -> -2. RG_ERR_RANGE
 * when the result does not fit an int64 (*out untouched). err may be NULL.
 */
int quota_qty_milli(const quota_qty_t *q, int64_t *out, rg_error_t *err);
int quota_qty_value(const quota_qty_t *q, int64_t *out, rg_error_t *err);

/* value units (NewQuantity) and value milli-units (NewMilliQuantity). */
quota_qty_t quota_qty_from_int(int64_t value, quota_qty_format_t format);
quota_qty_t quota_qty_from_milli(int64_t value, quota_qty_format_t format);

/* "DecimalSI", "BinarySI", "DecimalExponent"; a static string. */
const char *quota_qty_format_name(quota_qty_format_t format);

#endif

/*
 * Kubernetes field errors (k8s.io/apimachinery/pkg/util/validation/field):
 * every validator reports violations as a list of these, each with its
 * field path, type, offending value and detail, rendered exactly as
 * Kubernetes renders them ("spec.x[0].y: Invalid value: \"abc\": detail").
 * A list belongs to one thread; the functions keep no global state.
 */
#ifndef RAYGATE_FIELD_H
#define RAYGATE_FIELD_H

#include "raygate/buf.h"
#include "raygate/json.h"
#include "raygate/kstatus.h"

#include <stddef.h>
#include <stdint.h>

typedef enum field_type {
    FIELD_NOT_FOUND = 0, /* "Not found" */
    FIELD_REQUIRED,      /* "Required value" */
    FIELD_DUPLICATE,     /* "Duplicate value" */
    FIELD_INVALID,       /* "Invalid value" */
    FIELD_NOT_SUPPORTED, /* "Unsupported value" */
    FIELD_FORBIDDEN,     /* "Forbidden" */
    FIELD_TOO_LONG,      /* "Too long" */
    FIELD_TOO_MANY,      /* "Too many" */
    FIELD_INTERNAL,      /* "Internal error" */
} field_type_t;

/* The type's text ("Invalid value") and its StatusCause reason
 * ("FieldValueInvalid"); static strings. */
const char *field_type_text(field_type_t t);
const char *field_type_cause(field_type_t t);

typedef struct field_error {
    field_type_t type;
    char *field;  /* owned: "spec.resourceGroups[0].flavors[1].name" */
    char *value;  /* owned, rendered as Kubernetes prints it (strings quoted); NULL = none */
    char *detail; /* owned; NULL = none */
} field_error_t;

/* A caller-owned list; FIELD_ERRORS_INIT or field_errors_init. */
typedef struct field_errors {
    field_error_t *items;
    size_t n;
    size_t cap;
} field_errors_t;

#define FIELD_ERRORS_INIT {NULL, 0, 0}

void field_errors_init(field_errors_t *e);
void field_errors_release(field_errors_t *e);

/*
 * Appends one error. value is already rendered (use the typed helpers
 * below instead where they fit); detail is printf-style, NULL for none.
 */
void field_add(field_errors_t *e, field_type_t type, const char *field, const char *value,
               const char *detail_fmt, ...) __attribute__((format(printf, 5, 6)));

/* Typed helpers: values rendered as Go's field.Error does — strings with
 * %q quoting, integers and booleans bare, Quantities bare (Stringer). */
void field_invalid_str(field_errors_t *e, const char *field, const char *value,
                       const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));
void field_invalid_int(field_errors_t *e, const char *field, int64_t value,
                       const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));
/* Renders a JSON value: strings quoted, numbers/bools bare, null as null,
 * objects and arrays as compact JSON. */
void field_invalid_json(field_errors_t *e, const char *field, const cJSON *value,
                        const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));
void field_required(field_errors_t *e, const char *field, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));
void field_forbidden(field_errors_t *e, const char *field, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));
void field_duplicate_str(field_errors_t *e, const char *field, const char *value);
/*
 * A duplicate item of a list-map keyed by name (x-kubernetes-list-type:
 * map), as the apiserver words it:
 * `path: Duplicate value: map[string]interface {}{"name":"x"}`.
 */
void field_duplicate_map_key(field_errors_t *e, const char *field, const char *name);
void field_not_found_str(field_errors_t *e, const char *field, const char *value);
/* "Unsupported value: \"x\": supported values: \"a\", \"b\"" */
void field_not_supported(field_errors_t *e, const char *field, const char *value,
                         const char *const *supported, size_t n_supported);
/* "Too many: 20: must have at most 16 items" */
void field_too_many(field_errors_t *e, const char *field, int64_t actual, int64_t max);
/* "Too long: may not be more than 2048 bytes" */
void field_too_long(field_errors_t *e, const char *field, int64_t max);

/*
 * A value of the wrong JSON type, as the apiserver's schema layer says it:
 * `x: Invalid value: "string": x in body must be of type integer: "string"`.
 * want is the schema type ("string", "integer", "object", ...).
 */
void field_type_error(field_errors_t *e, const char *field, const char *want, const cJSON *got);

/* Appends a Go %q rendering of s (quotes included) to out. */
void field_quote(rg_buf_t *out, const char *s);

/* Appends "field: Type: value: detail" for one error. */
void field_error_format(const field_error_t *fe, rg_buf_t *out);

/* Drops exact duplicates (same rendered text), keeping first occurrences. */
void field_errors_dedup(field_errors_t *e);

/*
 * Appends the list as Kubernetes' aggregate error text: the one message
 * alone, or "[m1, m2, ...]" for several. Empty list appends nothing.
 */
void field_errors_aggregate(const field_errors_t *e, rg_buf_t *out);

/*
 * Fills causes[i] for every error (at most max); strings borrow from e and
 * from bufs (one rendered message each, which the caller releases).
 * Returns the number filled.
 */
size_t field_errors_causes(const field_errors_t *e, rg_status_cause_t *causes, rg_buf_t *bufs,
                           size_t max);

/*
 * A field path under construction, e.g. spec.podSets[2].template; push
 * returns the previous length to restore with field_path_pop.
 */
#define FIELD_PATH_MAX 512
typedef struct field_path {
    char buf[FIELD_PATH_MAX];
    size_t len;
} field_path_t;

void field_path_init(field_path_t *p, const char *root);
size_t field_path_push_key(field_path_t *p, const char *key);    /* ".key" */
size_t field_path_push_index(field_path_t *p, size_t i);         /* "[i]" */
size_t field_path_push_map_key(field_path_t *p, const char *key); /* "[key]" */
void field_path_pop(field_path_t *p, size_t len);
const char *field_path_str(const field_path_t *p);

#endif

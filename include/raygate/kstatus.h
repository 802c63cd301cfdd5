/*
 * Kubernetes meta/v1 Status objects: the body of every HTTP error raygate
 * answers and the `status` of a denied AdmissionReview. Pure encoding;
 * thread-safe.
 */
#ifndef RAYGATE_KSTATUS_H
#define RAYGATE_KSTATUS_H

#include "raygate/buf.h"

#include <stddef.h>

/* One entry of details.causes: reason is a CauseType ("FieldValueInvalid"). */
typedef struct rg_status_cause {
    const char *reason;
    const char *message;
    const char *field;
} rg_status_cause_t;

typedef struct rg_status {
    int code;            /* HTTP code, e.g. 400 */
    const char *reason;  /* StatusReason, e.g. "BadRequest"; NULL derives from code */
    const char *message; /* human-readable; may be NULL */
    const rg_status_cause_t *causes;
    size_t n_causes;
} rg_status_t;

/* The StatusReason Kubernetes uses for an HTTP code ("NotFound", ...). */
const char *rg_status_reason_for_code(int code);

/*
 * Appends a full Status object ({"kind":"Status","apiVersion":"v1",
 * "metadata":{},"status":"Failure",...}) to out.
 */
void rg_status_encode(rg_buf_t *out, const rg_status_t *st);

/* Appends only the fields of a Status (no kind/apiVersion), for embedding
 * as AdmissionResponse.status. */
void rg_status_encode_fields(rg_buf_t *out, const rg_status_t *st);

#endif

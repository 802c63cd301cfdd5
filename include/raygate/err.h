/*
 * raygate error codes: every fallible function returns 0 or a negative
 * rg_err_t; the name and message of each come from one X-macro table.
 * rg_error_t carries a formatted detail (which field, which value) beside it.
 * Thread-safe: no global state.
 */
#ifndef RAYGATE_ERR_H
#define RAYGATE_ERR_H

#include <stddef.h>

#define RG_ERRORS(X)                                                      \
    X(RG_OK, 0, "success")                                                \
    X(RG_ERR_INVAL, -1, "invalid argument")                               \
    X(RG_ERR_NOMEM, -2, "out of memory")                                  \
    X(RG_ERR_IO, -3, "input/output error")                                \
    X(RG_ERR_PARSE, -4, "malformed input")                                \
    X(RG_ERR_TOO_BIG, -5, "input exceeds its limit")                      \
    X(RG_ERR_NOT_FOUND, -6, "not found")                                  \
    X(RG_ERR_EXISTS, -7, "already exists")                                \
    X(RG_ERR_TLS, -8, "TLS or certificate error")                         \
    X(RG_ERR_CONFIG, -9, "invalid configuration")                         \
    X(RG_ERR_UNSUPPORTED, -10, "not supported")                           \
    X(RG_ERR_TYPE, -11, "wrong type")                                     \
    X(RG_ERR_RANGE, -12, "value out of range")                            \
    X(RG_ERR_STATE, -13, "operation not valid in the current state")      \
    X(RG_ERR_SYS, -14, "system call failed")                              \
    X(RG_ERR_HTTP, -15, "HTTP error")                                     \
    X(RG_ERR_CONFLICT, -16, "conflict")                                   \
    X(RG_ERR_TIMEOUT, -17, "timed out")

typedef enum rg_err {
#define RG_ERR_ENUM(name, value, msg) name = value,
    RG_ERRORS(RG_ERR_ENUM)
#undef RG_ERR_ENUM
} rg_err_t;

/* The symbolic name ("RG_ERR_PARSE") and message of a code; static strings. */
const char *rg_err_name(int code);
const char *rg_err_message(int code);

/* An error with its detail; a caller's struct, no heap. */
#define RG_ERROR_MSG_MAX 512
typedef struct rg_error {
    int code;
    char msg[RG_ERROR_MSG_MAX];
} rg_error_t;

/*
 * Records code and a printf-style detail in err (which may be NULL) and
 * returns code, so that `return rg_error_set(err, RG_ERR_PARSE, ...)` reads
 * naturally.  A NULL fmt uses the code's own message.
 */
int rg_error_set(rg_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing detail with "prefix: "; returns err->code. */
int rg_error_prefix(rg_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The detail if any, else the code's message; borrowed from err. */
const char *rg_error_str(const rg_error_t *err);

#endif

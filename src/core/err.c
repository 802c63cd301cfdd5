/*
 * The error table and the detail-carrying rg_error_t helpers.
 */
#include "raygate/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *rg_err_name(int code)
{
    switch (code) {
#define RG_ERR_NAME(name, value, msg) \
    case value:                       \
        return #name;
        RG_ERRORS(RG_ERR_NAME)
#undef RG_ERR_NAME
    }
    return "RG_ERR_UNKNOWN";
}

const char *rg_err_message(int code)
{
    switch (code) {
#define RG_ERR_MSG(name, value, msg) \
    case value:                      \
        return msg;
        RG_ERRORS(RG_ERR_MSG)
#undef RG_ERR_MSG
    }
    return "unknown error";
}

int rg_error_set(rg_error_t *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    if (fmt == NULL) {
        snprintf(err->msg, sizeof(err->msg), "%s", rg_err_message(code));
        return code;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

int rg_error_prefix(rg_error_t *err, const char *fmt, ...)
{
    if (err == NULL)
        return RG_ERR_INVAL;
    char prefix[RG_ERROR_MSG_MAX];
    char old[RG_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    /* Truncation is acceptable: the detail stays readable and bounded. */
    size_t n = strnlen(prefix, sizeof(err->msg) - 3);
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t room = sizeof(err->msg) - n - 3;
    size_t olen = strnlen(old, room);
    memcpy(err->msg + n + 2, old, olen);
    err->msg[n + 2 + olen] = '\0';
    return err->code;
}

const char *rg_error_str(const rg_error_t *err)
{
    if (err == NULL)
        return "unknown error";
    return err->msg[0] ? err->msg : rg_err_message(err->code);
}

/*
 * Diagnostic log lines on stderr. The level is an atomic so the hot path
 * can skip disabled lines without formatting them.
 */
#include "raygate/log.h"

#include "raygate/err.h"
#include "raygate/timeutil.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static _Atomic int log_level = RG_LOG_INFO;

void rg_log_set_level(rg_log_level_t level)
{
    atomic_store(&log_level, (int)level);
}

rg_log_level_t rg_log_get_level(void)
{
    return (rg_log_level_t)atomic_load(&log_level);
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};

const char *rg_log_level_name(rg_log_level_t level)
{
    if ((unsigned)level > RG_LOG_ERROR)
        return "unknown";
    return level_names[level];
}

int rg_log_level_parse(const char *name, rg_log_level_t *out)
{
    for (int i = 0; i <= RG_LOG_ERROR; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (rg_log_level_t)i;
            return RG_OK;
        }
    }
    if (strcmp(name, "warning") == 0) {
        *out = RG_LOG_WARN;
        return RG_OK;
    }
    return RG_ERR_INVAL;
}

void rg_log(rg_log_level_t level, const char *module, const char *fmt, ...)
{
    if ((int)level < atomic_load(&log_level))
        return;
    char line[2048];
    char ts[40];
    rg_time_format_rfc3339(rg_time_now_ns(), ts, sizeof(ts));
    int n = snprintf(line, sizeof(line), "%s %s %s ", ts, rg_log_level_name(level), module);
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m > 0 ? (size_t)m : 0);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2; /* truncated: keep the newline */
    line[len++] = '\n';
    /* A failed diagnostic write has nowhere else to go. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

/*
 * Diagnostic logging to stderr (the audit log is a separate module): one
 * line per call, `ts level module message key=value ...`. Any thread may log;
 * each line is written with a single write(2) so lines never interleave.
 */
#ifndef RAYGATE_LOG_H
#define RAYGATE_LOG_H

typedef enum rg_log_level {
    RG_LOG_DEBUG = 0,
    RG_LOG_INFO = 1,
    RG_LOG_WARN = 2,
    RG_LOG_ERROR = 3,
} rg_log_level_t;

/* Sets the least severe level that is written. */
void rg_log_set_level(rg_log_level_t level);
rg_log_level_t rg_log_get_level(void);

/* Parses "debug", "info", "warn", "error"; returns 0 or RG_ERR_INVAL. */
int rg_log_level_parse(const char *name, rg_log_level_t *out);
const char *rg_log_level_name(rg_log_level_t level);

/* Writes one line if level is enabled; fmt is the message and its pairs. */
void rg_log(rg_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define rg_log_debug(mod, ...) rg_log(RG_LOG_DEBUG, mod, __VA_ARGS__)
#define rg_log_info(mod, ...) rg_log(RG_LOG_INFO, mod, __VA_ARGS__)
#define rg_log_warn(mod, ...) rg_log(RG_LOG_WARN, mod, __VA_ARGS__)
#define rg_log_error(mod, ...) rg_log(RG_LOG_ERROR, mod, __VA_ARGS__)

#endif

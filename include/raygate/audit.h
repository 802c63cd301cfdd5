/*
 * The audit log: one JSON line per admission or scheduling decision, kept
 * apart from diagnostic logging. This module owns the log file, its
 * size-based rotation and its failure accounting; a full disk is counted and
 * reported through rg_log_error, never silently dropped.
 *
 * Threads: audit_log_write, audit_log_reopen and the counters may be called
 * from any thread concurrently; audit_log_open and audit_log_free by one
 * owner, with no writer running. It depends on core only (no metrics, no
 * HTTP): the caller exports the counters wherever it likes.
 */
#ifndef RAYGATE_AUDIT_H
#define RAYGATE_AUDIT_H

#include "raygate/buf.h"
#include "raygate/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One decision. Every pointer is borrowed for the duration of the call.
 * A NULL string is written as "" and a NULL or empty list as [], so every
 * line carries every key and consumers can rely on a fixed schema.
 * Strings longer than AUDIT_FIELD_MAX bytes are cut (at a UTF-8 boundary)
 * and lists longer than AUDIT_LIST_MAX keep their first entries followed by
 * one entry "+N more", since request data must not make a line unbounded.
 */
typedef struct audit_record {
    int64_t time_ns; /* wall clock, ns since the epoch; 0 means "now" */
    const char *uid;
    const char *user;
    const char *const *groups;
    size_t n_groups;
    const char *operation;
    const char *group, *version, *kind;
    const char *namespace, *name;
    const char *endpoint; /* "mutate", "validate", "scheduler/filter" ... */
    const char *decision; /* "allowed" | "denied" | "patched" | "error" */
    const char *reason;
    const char *const *patch_paths;
    size_t n_patch_paths;
    int64_t latency_us;
    bool dry_run;
} audit_record_t;

#define AUDIT_FIELD_MAX 4096
#define AUDIT_LIST_MAX 64
#define AUDIT_MAX_FILES_LIMIT 1000

/* The daemon's batching interval: a decision reaches the file within this. */
#define AUDIT_FLUSH_MS_DEFAULT 20
/* Pending bytes at which a writer flushes itself instead of waiting for the
 * flusher, so a slow disk slows the writers rather than growing memory. */
#define AUDIT_PENDING_MAX (256 * 1024)

typedef struct audit_opts {
    const char *path; /* file path, or "-" for stdout (never rotated) */
    /* 0: every line is written by its caller with one write(2) before
     * audit_log_write returns. > 0: lines are queued in memory and a
     * flusher thread writes them in batches at most flush_ms after the
     * first of a batch arrived (one write(2) per batch and file); a write
     * that fails counts every line of the batch as a failure. */
    unsigned flush_ms;
    uint64_t max_bytes; /* rotate when the next line would pass it; 0 = never */
    unsigned max_files; /* rotated files kept: path.1 newest .. path.N oldest;
                           must be >= 1 when max_bytes > 0 */
} audit_opts_t;

typedef struct audit_log audit_log_t;

/*
 * Opens (creating it and its missing parent directories, mode 0750 for
 * directories and 0640 for the file) the log named by opts. Returns an owned
 * log (free with audit_log_free) or NULL with err naming the path and cause.
 */
audit_log_t *audit_log_open(const audit_opts_t *opts, rg_error_t *err);

/*
 * Appends rec as one line. Write-through (flush_ms 0): one write(2) (a
 * short write is retried once for the remainder), rotating first when the
 * line would pass max_bytes; returns 0, or RG_ERR_IO after counting the
 * failure and logging it (at most once per second) with the path and
 * strerror. Batched: queues the line and returns 0; a later failure is
 * counted and logged the same way by whoever flushes. RG_ERR_INVAL for NULL
 * arguments. A line is never split across files.
 */
int audit_log_write(audit_log_t *log, const audit_record_t *rec);

/*
 * Writes every queued line now (batched logs; a no-op for write-through).
 * Returns 0, or RG_ERR_IO when some line could not be written (counted).
 */
int audit_log_flush(audit_log_t *log);

/*
 * Formats rec as one JSON line, newline included, appended to out (which the
 * caller owns). Exposed for tests and for callers that ship lines elsewhere.
 */
void audit_record_format(const audit_record_t *rec, rg_buf_t *out);

/* Lines that failed to be written (or rotations that failed); monotonic. */
uint64_t audit_log_failures(const audit_log_t *log);
/* Lines written successfully (for batched logs: flushed); monotonic. */
uint64_t audit_log_records(const audit_log_t *log);

/*
 * Reopens the path (for SIGHUP after an external logrotate), after writing
 * the queued lines to the old file. On failure the
 * old descriptor stays in use and the error is returned (RG_ERR_IO) and
 * counted. A no-op for stdout.
 */
int audit_log_reopen(audit_log_t *log);

/* Flushes, stops the flusher, closes and frees the log; NULL does nothing.
 * No writer may be running. */
void audit_log_free(audit_log_t *log);

#endif

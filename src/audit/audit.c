/*
 * The audit log writer: formats a decision as a JSON line in a per-thread
 * buffer outside any lock, then either appends it with one write(2)
 * (write-through) or queues it for a flusher thread that writes whole
 * batches (one write(2) per batch instead of one per decision, which is
 * most of the webhook's file-system cost). Rotation renames the chain
 * path.N-1 -> path.N ... path -> path.1, between lines, never inside one.
 */
#include "raygate/audit.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_SEC 1000000000LL
/* A thread's line buffer is kept between calls up to this size. */
#define TL_BUF_KEEP (64 * 1024)
/* Room for ".NNNN" after the path in rotated names. */
#define SUFFIX_ROOM 16

struct audit_log {
    /* io_mu guards the file: fd, size, rotate_fail_ns. It is taken before
     * mu when both are needed. */
    pthread_mutex_t io_mu;
    int fd;
    bool owns_fd;    /* false for stdout */
    bool is_regular; /* rotation and truncation only make sense for files */
    uint64_t size;   /* bytes in the current file, as far as we know */
    uint64_t max_bytes;
    unsigned max_files;
    int64_t rotate_fail_ns; /* monotonic time of the last failed rotation */
    char *path;

    /* Batching (flush_ms > 0). mu guards pending, pending_lines, stop. */
    unsigned flush_ms;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    rg_buf_t pending;
    size_t pending_lines;
    bool stop;
    bool flusher_running;
    pthread_t flusher;
    rg_buf_t batch; /* the flusher's side of the swap; under io_mu */

    _Atomic uint64_t records;
    _Atomic uint64_t failures;
    _Atomic uint64_t suppressed;    /* failures not logged by the rate limit */
    _Atomic int64_t last_report_ns; /* monotonic; 0 = never reported */
};

/* ---- per-thread line buffers ------------------------------------------- */

static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static pthread_key_t tl_key;
static bool tl_key_ok;

static void on_thread_exit(void *p)
{
    rg_buf_t *b = p;
    rg_buf_release(b);
    rg_free(b);
}

static void tl_key_make(void)
{
    tl_key_ok = pthread_key_create(&tl_key, on_thread_exit) == 0;
}

/*
 * A thread's reusable buffer, so the hot path allocates nothing once warm.
 * A key with a destructor (not _Thread_local) frees it when the thread exits.
 * Returns NULL only if no key could be made; the caller then uses the stack.
 */
static rg_buf_t *tl_buf(void)
{
    pthread_once(&tl_once, tl_key_make);
    if (!tl_key_ok)
        return NULL;
    rg_buf_t *b = pthread_getspecific(tl_key);
    if (b == NULL) {
        b = rg_malloc(sizeof(*b));
        rg_buf_init(b);
        if (pthread_setspecific(tl_key, b) != 0) {
            rg_free(b);
            return NULL;
        }
    }
    rg_buf_clear(b);
    return b;
}

/* ---- formatting ------------------------------------------------------------ */

/* Length of s cut to at most max bytes without splitting a UTF-8 sequence. */
static size_t cut_len(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static void put_str(rg_buf_t *b, const char *key, const char *s)
{
    rg_buf_append_str(b, key);
    if (s == NULL)
        s = "";
    rg_buf_append_json_strn(b, s, cut_len(s, AUDIT_FIELD_MAX));
}

static void put_list(rg_buf_t *b, const char *key, const char *const *items, size_t n)
{
    rg_buf_append_str(b, key);
    rg_buf_append_char(b, '[');
    if (items == NULL)
        n = 0;
    size_t shown = n > AUDIT_LIST_MAX ? AUDIT_LIST_MAX : n;
    for (size_t i = 0; i < shown; i++) {
        if (i)
            rg_buf_append_char(b, ',');
        const char *s = items[i] ? items[i] : "";
        rg_buf_append_json_strn(b, s, cut_len(s, AUDIT_FIELD_MAX));
    }
    if (n > shown) {
        char more[48];
        snprintf(more, sizeof(more), "+%zu more", n - shown);
        rg_buf_append_char(b, ',');
        rg_buf_append_json_str(b, more);
    }
    rg_buf_append_char(b, ']');
}

/* Appends the decimal digits of v. */
static void put_int(rg_buf_t *b, long long v)
{
    char digits[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        digits[sizeof(digits) - 1 - n++] = '-';
    rg_buf_append(b, digits + sizeof(digits) - n, n);
}

/*
 * Formats the RFC 3339 time with microseconds into ts (at least 40 bytes).
 * The calendar part changes once a second, so each thread keeps the last
 * one it formatted and only writes the microseconds itself: gmtime and
 * printf were a visible share of every webhook call.
 */
static void format_time(int64_t ns, char *ts)
{
    static _Thread_local int64_t cached_sec = INT64_MIN;
    static _Thread_local char cached[40];
    static _Thread_local size_t cached_len;
    int64_t sec = ns / NS_PER_SEC;
    long usec = (long)((ns % NS_PER_SEC) / 1000);
    if (ns < 0 || usec < 0) {
        rg_time_format_rfc3339(ns, ts, 40); /* before 1970: rare, exact path */
        return;
    }
    if (sec != cached_sec) {
        size_t n = rg_time_format_rfc3339(sec * NS_PER_SEC, cached, sizeof(cached));
        /* Keep "YYYY-MM-DDTHH:MM:SS" and drop ".000000Z". */
        char *dot = memchr(cached, '.', n);
        cached_len = dot ? (size_t)(dot - cached) : n;
        cached_sec = sec;
    }
    memcpy(ts, cached, cached_len);
    char *o = ts + cached_len;
    *o++ = '.';
    for (int i = 5; i >= 0; i--) {
        o[i] = (char)('0' + usec % 10);
        usec /= 10;
    }
    o[6] = 'Z';
    o[7] = '\0';
}

void audit_record_format(const audit_record_t *rec, rg_buf_t *out)
{
    char ts[40];
    format_time(rec->time_ns ? rec->time_ns : rg_time_now_ns(), ts);
    rg_buf_reserve(out, 512);
    rg_buf_append_str(out, "{\"time\":\"");
    rg_buf_append_str(out, ts);
    rg_buf_append_char(out, '"');
    put_str(out, ",\"uid\":", rec->uid);
    put_str(out, ",\"user\":", rec->user);
    put_list(out, ",\"groups\":", rec->groups, rec->n_groups);
    put_str(out, ",\"operation\":", rec->operation);
    put_str(out, ",\"group\":", rec->group);
    put_str(out, ",\"version\":", rec->version);
    put_str(out, ",\"kind\":", rec->kind);
    put_str(out, ",\"namespace\":", rec->namespace);
    put_str(out, ",\"name\":", rec->name);
    put_str(out, ",\"endpoint\":", rec->endpoint);
    put_str(out, ",\"decision\":", rec->decision);
    put_str(out, ",\"reason\":", rec->reason);
    put_list(out, ",\"patch\":", rec->patch_paths, rec->n_patch_paths);
    rg_buf_append_str(out, ",\"latencyMicros\":");
    put_int(out, (long long)rec->latency_us);
    rg_buf_append_str(out, rec->dry_run ? ",\"dryRun\":true}\n" : ",\"dryRun\":false}\n");
}

/* ---- failure accounting ------------------------------------------------------ */

/*
 * Counts a failure and logs it, at most once per second per log so a full
 * disk under load yields a steady trickle of lines rather than a flood; the
 * line says how many failures the limit swallowed since the last one.
 */
static void report_failure(audit_log_t *log, const char *what, int errnum)
{
    uint64_t total = atomic_fetch_add(&log->failures, 1) + 1;
    int64_t now = rg_time_mono_ns();
    int64_t last = atomic_load(&log->last_report_ns);
    if ((last != 0 && now - last < NS_PER_SEC) ||
        !atomic_compare_exchange_strong(&log->last_report_ns, &last, now)) {
        atomic_fetch_add(&log->suppressed, 1);
        return;
    }
    uint64_t suppressed = atomic_exchange(&log->suppressed, 0);
    char msg[128];
    if (strerror_r(errnum, msg, sizeof(msg)) != 0)
        snprintf(msg, sizeof(msg), "errno %d", errnum);
    rg_log_error("audit", "%s failed: %s path=\"%s\" failures=%llu suppressed=%llu", what, msg,
                 log->path, (unsigned long long)total, (unsigned long long)suppressed);
}

/* ---- files ----------------------------------------------------------------- */

/* Creates each missing directory above path (mkdir -p of its dirname). */
static int make_parents(const char *path, rg_error_t *err)
{
    char dir[PATH_MAX];
    size_t len = strlen(path);
    memcpy(dir, path, len + 1);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return RG_OK;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0750) != 0 && errno != EEXIST)
            return rg_error_set(err, RG_ERR_IO, "audit: cannot create directory \"%s\": %s", dir,
                                strerror(errno));
        *p = '/';
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return rg_error_set(err, RG_ERR_IO, "audit: cannot create directory \"%s\": %s", dir,
                            strerror(errno));
    return RG_OK;
}

static int open_file(const char *path)
{
    int fd;
    do
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    while (fd < 0 && errno == EINTR);
    return fd;
}

/* Reads the size and type of the file behind log->fd. */
static void stat_fd(audit_log_t *log)
{
    struct stat st;
    if (fstat(log->fd, &st) == 0) {
        log->is_regular = S_ISREG(st.st_mode);
        log->size = log->is_regular ? (uint64_t)st.st_size : 0;
    } else {
        log->is_regular = false;
        log->size = 0;
    }
}

static void *flusher_main(void *arg);

audit_log_t *audit_log_open(const audit_opts_t *opts, rg_error_t *err)
{
    if (opts == NULL || opts->path == NULL || opts->path[0] == '\0') {
        rg_error_set(err, RG_ERR_INVAL, "audit: path is empty");
        return NULL;
    }
    if (strlen(opts->path) + SUFFIX_ROOM >= PATH_MAX) {
        rg_error_set(err, RG_ERR_INVAL, "audit: path is longer than %d bytes",
                     PATH_MAX - SUFFIX_ROOM);
        return NULL;
    }
    if (opts->max_files > AUDIT_MAX_FILES_LIMIT) {
        rg_error_set(err, RG_ERR_RANGE, "audit: maxFiles %u is above the limit %d", opts->max_files,
                     AUDIT_MAX_FILES_LIMIT);
        return NULL;
    }
    if (opts->max_bytes > 0 && opts->max_files == 0) {
        rg_error_set(err, RG_ERR_INVAL,
                     "audit: maxFiles 0 with maxBytes %llu: rotation needs at least one file",
                     (unsigned long long)opts->max_bytes);
        return NULL;
    }

    audit_log_t *log = rg_calloc(1, sizeof(*log));
    log->fd = -1;
    log->path = rg_strdup(opts->path);
    log->max_files = opts->max_files;
    rg_buf_init(&log->pending);
    rg_buf_init(&log->batch);
    if (pthread_mutex_init(&log->mu, NULL) != 0 || pthread_mutex_init(&log->io_mu, NULL) != 0 ||
        pthread_cond_init(&log->wake, NULL) != 0) {
        /* glibc's init of default attributes cannot fail; other libcs may. */
        rg_error_set(err, RG_ERR_SYS, "audit: cannot create a mutex");
        rg_free(log->path);
        rg_free(log);
        return NULL;
    }

    if (strcmp(opts->path, "-") == 0) {
        log->fd = STDOUT_FILENO;
        log->owns_fd = false;
        log->is_regular = false; /* stdout is never rotated: max_bytes stays 0 */
    } else {
        log->max_bytes = opts->max_bytes;
        if (make_parents(opts->path, err) != RG_OK)
            goto err;
        log->fd = open_file(opts->path);
        if (log->fd < 0) {
            rg_error_set(err, RG_ERR_IO, "audit: cannot open \"%s\": %s", opts->path,
                         strerror(errno));
            goto err;
        }
        log->owns_fd = true;
        stat_fd(log);
    }
    log->flush_ms = opts->flush_ms;
    if (log->flush_ms > 0) {
        if (pthread_create(&log->flusher, NULL, flusher_main, log) != 0) {
            rg_error_set(err, RG_ERR_SYS, "audit: cannot start the flusher thread");
            goto err;
        }
        log->flusher_running = true;
    }
    return log;

err:
    audit_log_free(log);
    return NULL;
}

/*
 * Renames path.N-1 -> path.N ... path -> path.1 and opens a fresh path.
 * Called with io_mu held. On failure the current descriptor stays (so
 * lines keep flowing somewhere) and further attempts wait a second, so a
 * broken directory does not turn every write into a rename storm.
 */
static void rotate_locked(audit_log_t *log)
{
    int64_t now = rg_time_mono_ns();
    if (log->rotate_fail_ns != 0 && now - log->rotate_fail_ns < NS_PER_SEC)
        return;
    char from[PATH_MAX], to[PATH_MAX];
    for (unsigned i = log->max_files; i > 1; i--) {
        snprintf(from, sizeof(from), "%s.%u", log->path, i - 1);
        snprintf(to, sizeof(to), "%s.%u", log->path, i);
        if (rename(from, to) != 0 && errno != ENOENT)
            goto fail;
    }
    snprintf(to, sizeof(to), "%s.1", log->path);
    /* ENOENT: the file was moved away already (an earlier half-done rotation
     * or an outside hand); a fresh one is what we want either way. */
    if (rename(log->path, to) != 0 && errno != ENOENT)
        goto fail;
    int fd = open_file(log->path);
    if (fd < 0)
        goto fail;
    close(log->fd);
    log->fd = fd;
    stat_fd(log);
    log->rotate_fail_ns = 0;
    return;

fail:;
    int saved = errno;
    log->rotate_fail_ns = now;
    report_failure(log, "rotation", saved);
}

/*
 * Writes len bytes with one write(2) and, if that falls short or fails, one
 * retry of the remainder. Returns the bytes written; *errnum gets the cause
 * of a shortfall.
 */
static size_t write_all(int fd, const char *data, size_t len, int *errnum)
{
    size_t done = 0;
    *errnum = 0;
    for (int attempt = 0; attempt < 2 && done < len; attempt++) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0) {
            *errnum = errno;
            continue;
        }
        done += (size_t)n;
    }
    if (done < len && *errnum == 0)
        *errnum = ENOSPC; /* two short writes with no error: the disk is full */
    return done;
}

static size_t count_lines(const char *data, size_t len)
{
    size_t n = 0;
    for (const char *p = data; (p = memchr(p, '\n', len - (size_t)(p - data))) != NULL; p++)
        n++;
    return n;
}

/* The end of the line starting at p (after its newline, or end). */
static const char *line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl + 1 : end;
}

/*
 * Writes whole lines [p, end) to the file, rotating before any line that
 * would pass max_bytes: every run of lines that fits goes out in one
 * write(2). Called with io_mu held. Returns the number of lines that could
 * not be written (counted and reported here).
 */
static size_t write_lines_locked(audit_log_t *log, const char *p, const char *end)
{
    size_t failed = 0;
    bool rotating = log->max_bytes > 0 && log->is_regular;
    while (p < end) {
        const char *q = line_end(p, end);
        if (rotating && log->size + (uint64_t)(q - p) > log->max_bytes) {
            /* Our count can be stale after an outside truncation; ask first. */
            stat_fd(log);
            if (log->size > 0 && log->size + (uint64_t)(q - p) > log->max_bytes)
                rotate_locked(log);
        }
        if (rotating) {
            while (q < end) {
                const char *next = line_end(q, end);
                if (log->size + (uint64_t)(next - p) > log->max_bytes)
                    break;
                q = next;
            }
        } else {
            q = end;
        }
        size_t len = (size_t)(q - p);
        int errnum;
        size_t done = write_all(log->fd, p, len, &errnum);
        size_t complete = done == len ? count_lines(p, len) : count_lines(p, done);
        if (done == len) {
            log->size += done;
        } else {
            /* Cut a partial line off so the next line does not glue onto it. */
            size_t whole = done;
            while (whole > 0 && p[whole - 1] != '\n')
                whole--;
            if (!log->is_regular || ftruncate(log->fd, (off_t)(log->size + whole)) != 0)
                log->size += done;
            else
                log->size += whole;
            size_t lost = count_lines(p, len) - complete;
            if (len > 0 && p[len - 1] != '\n')
                lost++; /* a caller's line always ends in '\n'; be safe anyway */
            failed += lost;
            for (size_t i = 0; i < lost; i++)
                report_failure(log, "write", errnum);
        }
        atomic_fetch_add_explicit(&log->records, complete, memory_order_relaxed);
        p = q;
    }
    return failed;
}

/*
 * Writes the queued lines: swaps the pending buffer out under mu (so
 * writers keep queueing meanwhile) and writes it under io_mu. Returns 0 or
 * RG_ERR_IO when some line was lost.
 */
static int flush_pending(audit_log_t *log)
{
    pthread_mutex_lock(&log->io_mu);
    pthread_mutex_lock(&log->mu);
    rg_buf_t swap = log->pending;
    log->pending = log->batch;
    log->batch = swap;
    log->pending_lines = 0;
    pthread_mutex_unlock(&log->mu);
    size_t failed = 0;
    if (log->batch.len > 0)
        failed = write_lines_locked(log, log->batch.data, log->batch.data + log->batch.len);
    rg_buf_clear(&log->batch);
    if (log->batch.cap > AUDIT_PENDING_MAX)
        rg_buf_release(&log->batch); /* a burst must not pin memory for good */
    pthread_mutex_unlock(&log->io_mu);
    return failed ? RG_ERR_IO : RG_OK;
}

static void *flusher_main(void *arg)
{
    audit_log_t *log = arg;
    pthread_mutex_lock(&log->mu);
    for (;;) {
        while (!log->stop && log->pending.len == 0)
            pthread_cond_wait(&log->wake, &log->mu);
        if (log->pending.len == 0 && log->stop)
            break;
        if (!log->stop) {
            /* Let the batch fill for flush_ms after its first line. */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            long ns = until.tv_nsec + (long)log->flush_ms * 1000000L;
            until.tv_sec += ns / 1000000000L;
            until.tv_nsec = ns % 1000000000L;
            while (!log->stop && pthread_cond_timedwait(&log->wake, &log->mu, &until) == 0)
                ;
        }
        pthread_mutex_unlock(&log->mu);
        (void)flush_pending(log); /* failures are counted and reported inside */
        pthread_mutex_lock(&log->mu);
    }
    pthread_mutex_unlock(&log->mu);
    return NULL;
}

int audit_log_write(audit_log_t *log, const audit_record_t *rec)
{
    if (log == NULL || rec == NULL)
        return RG_ERR_INVAL;
    rg_buf_t local = RG_BUF_INIT;
    rg_buf_t *b = tl_buf();
    if (b == NULL)
        b = &local;
    audit_record_format(rec, b);

    int rc = RG_OK;
    if (log->flusher_running) {
        pthread_mutex_lock(&log->mu);
        bool was_empty = log->pending.len == 0;
        rg_buf_append(&log->pending, b->data, b->len);
        log->pending_lines++;
        bool full = log->pending.len >= AUDIT_PENDING_MAX;
        if (was_empty)
            pthread_cond_signal(&log->wake);
        pthread_mutex_unlock(&log->mu);
        if (full)
            rc = flush_pending(log); /* back-pressure: the writer pays */
    } else {
        pthread_mutex_lock(&log->io_mu);
        size_t failed = write_lines_locked(log, b->data, b->data + b->len);
        pthread_mutex_unlock(&log->io_mu);
        rc = failed ? RG_ERR_IO : RG_OK;
    }

    if (b == &local)
        rg_buf_release(&local);
    else if (b->cap > TL_BUF_KEEP)
        rg_buf_release(b); /* one huge record must not pin memory per thread */
    return rc;
}

int audit_log_flush(audit_log_t *log)
{
    if (log == NULL)
        return RG_ERR_INVAL;
    return log->flusher_running ? flush_pending(log) : RG_OK;
}

uint64_t audit_log_failures(const audit_log_t *log)
{
    return log ? atomic_load(&((audit_log_t *)log)->failures) : 0;
}

uint64_t audit_log_records(const audit_log_t *log)
{
    return log ? atomic_load(&((audit_log_t *)log)->records) : 0;
}

int audit_log_reopen(audit_log_t *log)
{
    if (log == NULL)
        return RG_ERR_INVAL;
    if (!log->owns_fd)
        return RG_OK;
    /* Lines decided before the signal belong to the file being rotated. */
    (void)audit_log_flush(log);
    pthread_mutex_lock(&log->io_mu);
    int fd = open_file(log->path);
    if (fd < 0) {
        int saved = errno;
        pthread_mutex_unlock(&log->io_mu);
        report_failure(log, "reopen", saved);
        return RG_ERR_IO;
    }
    int old = log->fd;
    log->fd = fd;
    stat_fd(log);
    log->rotate_fail_ns = 0;
    pthread_mutex_unlock(&log->io_mu);
    close(old);
    return RG_OK;
}

void audit_log_free(audit_log_t *log)
{
    if (log == NULL)
        return;
    if (log->flusher_running) {
        pthread_mutex_lock(&log->mu);
        log->stop = true;
        pthread_cond_signal(&log->wake);
        pthread_mutex_unlock(&log->mu);
        pthread_join(log->flusher, NULL); /* it writes what is left first */
    }
    if (log->owns_fd && log->fd >= 0)
        close(log->fd);
    pthread_cond_destroy(&log->wake);
    pthread_mutex_destroy(&log->mu);
    pthread_mutex_destroy(&log->io_mu);
    rg_buf_release(&log->pending);
    rg_buf_release(&log->batch);
    rg_free(log->path);
    rg_free(log);
}

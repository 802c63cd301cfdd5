/*
 * The audit log writer: formats a decision as a JSON line in a per-thread
 * buffer outside any lock, then appends it with one write(2) under a mutex,
 * rotating by renaming the chain path.N-1 -> path.N ... path -> path.1.
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
#include <unistd.h>

#define NS_PER_SEC 1000000000LL
/* A thread's line buffer is kept between calls up to this size. */
#define TL_BUF_KEEP (64 * 1024)
/* Room for ".NNNN" after the path in rotated names. */
#define SUFFIX_ROOM 16

struct audit_log {
    pthread_mutex_t mu; /* guards fd, size, rotate_fail_ns */
    int fd;
    bool owns_fd;    /* false for stdout */
    bool is_regular; /* rotation and truncation only make sense for files */
    uint64_t size;   /* bytes in the current file, as far as we know */
    uint64_t max_bytes;
    unsigned max_files;
    int64_t rotate_fail_ns; /* monotonic time of the last failed rotation */
    char *path;
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

void audit_record_format(const audit_record_t *rec, rg_buf_t *out)
{
    char ts[40];
    rg_time_format_rfc3339(rec->time_ns ? rec->time_ns : rg_time_now_ns(), ts, sizeof(ts));
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
    rg_buf_appendf(out, ",\"latencyMicros\":%lld,\"dryRun\":%s}\n", (long long)rec->latency_us,
                   rec->dry_run ? "true" : "false");
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
    if (pthread_mutex_init(&log->mu, NULL) != 0) {
        rg_error_set(err, RG_ERR_SYS, "audit: cannot create a mutex");
        rg_free(log->path);
        rg_free(log);
        return NULL;
    }

    if (strcmp(opts->path, "-") == 0) {
        log->fd = STDOUT_FILENO;
        log->owns_fd = false;
        log->is_regular = false;
        return log; /* stdout is never rotated: max_bytes stays 0 */
    }
    log->max_bytes = opts->max_bytes;
    if (make_parents(opts->path, err) != RG_OK)
        goto err;
    log->fd = open_file(opts->path);
    if (log->fd < 0) {
        rg_error_set(err, RG_ERR_IO, "audit: cannot open \"%s\": %s", opts->path, strerror(errno));
        goto err;
    }
    log->owns_fd = true;
    stat_fd(log);
    return log;

err:
    audit_log_free(log);
    return NULL;
}

/*
 * Renames path.N-1 -> path.N ... path -> path.1 and opens a fresh path.
 * Called with the lock held. On failure the current descriptor stays (so
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
static size_t write_line(int fd, const char *data, size_t len, int *errnum)
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

int audit_log_write(audit_log_t *log, const audit_record_t *rec)
{
    if (log == NULL || rec == NULL)
        return RG_ERR_INVAL;
    rg_buf_t local = RG_BUF_INIT;
    rg_buf_t *b = tl_buf();
    if (b == NULL)
        b = &local;
    audit_record_format(rec, b);

    pthread_mutex_lock(&log->mu);
    if (log->max_bytes > 0 && log->is_regular && log->size + b->len > log->max_bytes) {
        /* Our count can be stale after an outside truncation; ask first. */
        stat_fd(log);
        if (log->size > 0 && log->size + b->len > log->max_bytes)
            rotate_locked(log);
    }
    int errnum;
    size_t done = write_line(log->fd, b->data, b->len, &errnum);
    bool ok = done == b->len;
    if (ok) {
        log->size += done;
    } else if (done > 0) {
        /* Cut the partial line off so the next line does not glue onto it. */
        if (!log->is_regular || ftruncate(log->fd, (off_t)log->size) != 0)
            log->size += done;
    }
    pthread_mutex_unlock(&log->mu);

    if (b == &local)
        rg_buf_release(&local);
    else if (b->cap > TL_BUF_KEEP)
        rg_buf_release(b); /* one huge record must not pin memory per thread */

    if (!ok) {
        report_failure(log, "write", errnum);
        return RG_ERR_IO;
    }
    atomic_fetch_add_explicit(&log->records, 1, memory_order_relaxed);
    return RG_OK;
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
    pthread_mutex_lock(&log->mu);
    int fd = open_file(log->path);
    if (fd < 0) {
        int saved = errno;
        pthread_mutex_unlock(&log->mu);
        report_failure(log, "reopen", saved);
        return RG_ERR_IO;
    }
    int old = log->fd;
    log->fd = fd;
    stat_fd(log);
    log->rotate_fail_ns = 0;
    pthread_mutex_unlock(&log->mu);
    close(old);
    return RG_OK;
}

void audit_log_free(audit_log_t *log)
{
    if (log == NULL)
        return;
    if (log->owns_fd && log->fd >= 0)
        close(log->fd);
    pthread_mutex_destroy(&log->mu);
    rg_free(log->path);
    rg_free(log);
}

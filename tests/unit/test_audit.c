/*
 * Tests for the audit log: line format and escaping (checked by parsing
 * with cJSON), rotation, concurrent writers and write-failure accounting.
 */
#include "raygate/audit.h"

#include "raygate/alloc.h"
#include "raygate/json.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <check.h>

#include "harness.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers --------------------------------------------------------------- */

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char *child = rg_asprintf("%s/%s", path, e->d_name);
                rm_rf(child);
                rg_free(child);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static char tmpdir[PATH_MAX];

static void setup(void)
{
    rg_json_init();
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/rg-audit-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    rm_rf(tmpdir);
}

/* Reads a whole file into b; returns false if it does not exist. */
static bool read_file(const char *path, rg_buf_t *b)
{
    rg_buf_clear(b);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        rg_buf_append(b, chunk, (size_t)n);
    close(fd);
    rg_buf_append(b, "", 0); /* NUL-terminate even when empty */
    return true;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/*
 * Calls fn on each line of text as a parsed object; fails the test on a
 * line that is not a JSON object or a missing final newline. Returns the
 * number of lines.
 */
typedef void (*line_fn)(const cJSON *obj, void *arg);
static size_t each_line(const rg_buf_t *b, line_fn fn, void *arg)
{
    size_t count = 0;
    const char *p = b->data;
    const char *end = b->data + b->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        ck_assert_msg(nl != NULL, "last line has no newline");
        rg_error_t err;
        cJSON *obj = rg_json_parse(p, (size_t)(nl - p), &err);
        ck_assert_msg(obj != NULL && cJSON_IsObject(obj), "line %zu is not a JSON object: %.*s",
                      count + 1, (int)(nl - p), p);
        if (fn)
            fn(obj, arg);
        cJSON_Delete(obj);
        count++;
        p = nl + 1;
    }
    return count;
}

static const char *const groups2[] = {"system:authenticated", "team-a"};
static const char *const paths2[] = {"/spec/suspend",
                                     "/metadata/labels/kueue.x-k8s.io~1queue-name"};

static audit_record_t sample_record(void)
{
    audit_record_t r = {
        .time_ns = 1795918240123456789LL, /* 2026-11-29T02:10:40.123456789Z */
        .uid = "705ab4f5-6393-11e8-b7cc-42010a800002",
        .user = "alice",
        .groups = groups2,
        .n_groups = 2,
        .operation = "CREATE",
        .group = "ray.io",
        .version = "v1",
        .kind = "RayCluster",
        .namespace = "team-a",
        .name = "rc-1",
        .endpoint = "mutate",
        .decision = "patched",
        .reason = "defaulted queue",
        .patch_paths = paths2,
        .n_patch_paths = 2,
        .latency_us = 412,
        .dry_run = true,
    };
    return r;
}

/* ---- format ---------------------------------------------------------------- */

START_TEST(test_audit__format_has_every_field)
{
    audit_record_t r = sample_record();
    rg_buf_t b = RG_BUF_INIT;
    audit_record_format(&r, &b);
    ck_assert_int_eq(b.data[b.len - 1], '\n');
    ck_assert_ptr_null(memchr(b.data, '\n', b.len - 1));

    rg_error_t err;
    cJSON *o = rg_json_parse(b.data, b.len - 1, &err);
    ck_assert_ptr_nonnull(o);
    char ts[40];
    rg_time_format_rfc3339(r.time_ns, ts, sizeof(ts));
    ck_assert_str_eq(rg_json_get_string(o, "time"), ts);
    ck_assert_str_eq(rg_json_get_string(o, "uid"), r.uid);
    ck_assert_str_eq(rg_json_get_string(o, "user"), "alice");
    const cJSON *g = rg_json_get_array(o, "groups");
    ck_assert_int_eq(cJSON_GetArraySize(g), 2);
    ck_assert_str_eq(cJSON_GetArrayItem(g, 1)->valuestring, "team-a");
    ck_assert_str_eq(rg_json_get_string(o, "operation"), "CREATE");
    ck_assert_str_eq(rg_json_get_string(o, "group"), "ray.io");
    ck_assert_str_eq(rg_json_get_string(o, "version"), "v1");
    ck_assert_str_eq(rg_json_get_string(o, "kind"), "RayCluster");
    ck_assert_str_eq(rg_json_get_string(o, "namespace"), "team-a");
    ck_assert_str_eq(rg_json_get_string(o, "name"), "rc-1");
    ck_assert_str_eq(rg_json_get_string(o, "endpoint"), "mutate");
    ck_assert_str_eq(rg_json_get_string(o, "decision"), "patched");
    ck_assert_str_eq(rg_json_get_string(o, "reason"), "defaulted queue");
    const cJSON *p = rg_json_get_array(o, "patch");
    ck_assert_int_eq(cJSON_GetArraySize(p), 2);
    ck_assert_str_eq(cJSON_GetArrayItem(p, 1)->valuestring, paths2[1]);
    const cJSON *lat = rg_json_get(o, "latencyMicros");
    ck_assert(cJSON_IsNumber(lat));
    ck_assert_int_eq((long)lat->valuedouble, 412);
    bool dry = false;
    ck_assert_int_eq(rg_json_get_bool(o, "dryRun", &dry), 1);
    ck_assert(dry);
    ck_assert_int_eq(cJSON_GetArraySize(o), 16);
    cJSON_Delete(o);
    rg_buf_release(&b);
}
END_TEST

START_TEST(test_audit__format_golden_line)
{
    audit_record_t r = sample_record();
    r.time_ns = 1795918240123456000LL;
    r.n_groups = 1;
    r.n_patch_paths = 0;
    r.dry_run = false;
    rg_buf_t b = RG_BUF_INIT;
    audit_record_format(&r, &b);
    char ts[40];
    rg_time_format_rfc3339(r.time_ns, ts, sizeof(ts));
    char *want = rg_asprintf(
        "{\"time\":\"%s\",\"uid\":\"705ab4f5-6393-11e8-b7cc-42010a800002\",\"user\":\"alice\","
        "\"groups\":[\"system:authenticated\"],\"operation\":\"CREATE\",\"group\":\"ray.io\","
        "\"version\":\"v1\",\"kind\":\"RayCluster\",\"namespace\":\"team-a\",\"name\":\"rc-1\","
        "\"endpoint\":\"mutate\",\"decision\":\"patched\",\"reason\":\"defaulted queue\","
        "\"patch\":[],\"latencyMicros\":412,\"dryRun\":false}\n",
        ts);
    ck_assert_str_eq(b.data, want);
    ck_assert_str_eq(ts, "2026-11-29T02:10:40.123456Z");
    rg_free(want);
    rg_buf_release(&b);
}
END_TEST

START_TEST(test_audit__null_fields_are_empty)
{
    audit_record_t r = {.time_ns = 1};
    rg_buf_t b = RG_BUF_INIT;
    audit_record_format(&r, &b);
    rg_error_t err;
    cJSON *o = rg_json_parse(b.data, b.len - 1, &err);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(cJSON_GetArraySize(o), 16);
    ck_assert_str_eq(rg_json_get_string(o, "uid"), "");
    ck_assert_str_eq(rg_json_get_string(o, "reason"), "");
    ck_assert_int_eq(cJSON_GetArraySize(rg_json_get_array(o, "groups")), 0);
    ck_assert_int_eq(cJSON_GetArraySize(rg_json_get_array(o, "patch")), 0);
    cJSON_Delete(o);
    rg_buf_release(&b);
}
END_TEST

static const char *const escape_cases[] = {
    "say \"hi\"",
    "line1\nline2\r\n",
    "tab\there",
    "back\\slash",
    "ctl \x01\x02\x1f end",
    "bell\a and del\x7f",
    "unicode: \xc3\xa9\xe2\x82\xac \xf0\x9f\x9a\x80",
    "</script>{\"injected\":true}\n{\"x\":1}",
    "",
};

START_TEST(test_audit__escaping_round_trips)
{
    const char *s = escape_cases[_i];
    audit_record_t r = sample_record();
    r.reason = s;
    r.name = s;
    const char *const list[] = {s, "plain"};
    r.patch_paths = list;
    r.n_patch_paths = 2;
    rg_buf_t b = RG_BUF_INIT;
    audit_record_format(&r, &b);
    /* One line: the only raw newline is the terminator. */
    ck_assert_ptr_eq(memchr(b.data, '\n', b.len), b.data + b.len - 1);
    for (size_t i = 0; i < b.len - 1; i++)
        ck_assert_msg((unsigned char)b.data[i] >= 0x20, "raw control byte at %zu", i);
    rg_error_t err;
    cJSON *o = rg_json_parse(b.data, b.len - 1, &err);
    ck_assert_msg(o != NULL, "not JSON: %s", b.data);
    ck_assert_str_eq(rg_json_get_string(o, "reason"), s);
    ck_assert_str_eq(rg_json_get_string(o, "name"), s);
    ck_assert_str_eq(cJSON_GetArrayItem(rg_json_get_array(o, "patch"), 0)->valuestring, s);
    cJSON_Delete(o);
    rg_buf_release(&b);
}
END_TEST

START_TEST(test_audit__long_fields_are_bounded)
{
    size_t n = AUDIT_FIELD_MAX + 100;
    char *big = rg_malloc(n + 1);
    /* Two-byte characters so a naive cut would split one. */
    for (size_t i = 0; i + 1 < n; i += 2) {
        big[i] = (char)0xc3;
        big[i + 1] = (char)0xa9;
    }
    big[n - 1] = 'x';
    big[n] = '\0';
    const char *many[AUDIT_LIST_MAX + 5];
    for (size_t i = 0; i < AUDIT_LIST_MAX + 5; i++)
        many[i] = "/spec/x";
    audit_record_t r = sample_record();
    r.reason = big;
    r.patch_paths = many;
    r.n_patch_paths = AUDIT_LIST_MAX + 5;
    rg_buf_t b = RG_BUF_INIT;
    audit_record_format(&r, &b);
    rg_error_t err;
    cJSON *o = rg_json_parse(b.data, b.len - 1, &err);
    ck_assert_ptr_nonnull(o);
    const char *reason = rg_json_get_string(o, "reason");
    ck_assert_uint_le(strlen(reason), AUDIT_FIELD_MAX);
    ck_assert_uint_ge(strlen(reason), AUDIT_FIELD_MAX - 1);
    ck_assert_int_eq(strlen(reason) % 2, 0); /* whole characters only */
    const cJSON *p = rg_json_get_array(o, "patch");
    ck_assert_int_eq(cJSON_GetArraySize(p), AUDIT_LIST_MAX + 1);
    ck_assert_str_eq(cJSON_GetArrayItem(p, AUDIT_LIST_MAX)->valuestring, "+5 more");
    cJSON_Delete(o);
    rg_buf_release(&b);
    rg_free(big);
}
END_TEST

/* ---- files ----------------------------------------------------------------- */

START_TEST(test_audit__open_creates_parents_and_writes)
{
    char *path = rg_asprintf("%s/a/b/c/audit.log", tmpdir);
    audit_opts_t opts = {.path = path};
    rg_error_t err;
    audit_log_t *log = audit_log_open(&opts, &err);
    ck_assert_msg(log != NULL, "%s", rg_error_str(&err));
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    mode_t mask = umask(0);
    umask(mask);
    ck_assert_int_eq(st.st_mode & 0777, 0640 & ~mask);
    audit_record_t r = sample_record();
    ck_assert_int_eq(audit_log_write(log, &r), 0);
    ck_assert_int_eq(audit_log_write(log, &r), 0);
    ck_assert_uint_eq(audit_log_records(log), 2);
    ck_assert_uint_eq(audit_log_failures(log), 0);
    audit_log_free(log);

    /* Reopening an existing file appends. */
    log = audit_log_open(&opts, &err);
    ck_assert_ptr_nonnull(log);
    ck_assert_int_eq(audit_log_write(log, &r), 0);
    audit_log_free(log);
    rg_buf_t b = RG_BUF_INIT;
    ck_assert(read_file(path, &b));
    ck_assert_uint_eq(each_line(&b, NULL, NULL), 3);
    rg_buf_release(&b);
    rg_free(path);
}
END_TEST

START_TEST(test_audit__open_rejects_bad_options)
{
    rg_error_t err;
    audit_opts_t empty = {.path = ""};
    ck_assert_ptr_null(audit_log_open(&empty, &err));
    ck_assert_int_eq(err.code, RG_ERR_INVAL);
    ck_assert_ptr_null(audit_log_open(NULL, &err));

    char *path = rg_asprintf("%s/x.log", tmpdir);
    audit_opts_t nofiles = {.path = path, .max_bytes = 100, .max_files = 0};
    ck_assert_ptr_null(audit_log_open(&nofiles, &err));
    ck_assert_int_eq(err.code, RG_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "maxFiles"));
    audit_opts_t toomany = {.path = path, .max_bytes = 100, .max_files = 100000};
    ck_assert_ptr_null(audit_log_open(&toomany, &err));
    ck_assert_int_eq(err.code, RG_ERR_RANGE);

    /* A parent that is a file cannot become a directory. */
    char *blocked = rg_asprintf("%s/x.log/sub/audit.log", tmpdir);
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    ck_assert_int_ge(fd, 0);
    close(fd);
    audit_opts_t under_file = {.path = blocked};
    ck_assert_ptr_null(audit_log_open(&under_file, &err));
    ck_assert_int_eq(err.code, RG_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, "x.log"));
    rg_free(blocked);
    rg_free(path);
    audit_log_free(NULL);
}
END_TEST

struct seq_check {
    long min, max;
    size_t lines;
};

static void on_seq_line(const cJSON *obj, void *arg)
{
    struct seq_check *c = arg;
    const char *uid = rg_json_get_string(obj, "uid");
    ck_assert_ptr_nonnull(uid);
    long seq = strtol(uid, NULL, 10);
    if (c->lines == 0 || seq < c->min)
        c->min = seq;
    if (c->lines == 0 || seq > c->max)
        c->max = seq;
    c->lines++;
}

START_TEST(test_audit__rotation_keeps_n_files_newest_first)
{
    char *path = rg_asprintf("%s/rot/audit.log", tmpdir);
    const unsigned max_files = 3;
    const uint64_t max_bytes = 2000;
    audit_opts_t opts = {.path = path, .max_bytes = max_bytes, .max_files = max_files};
    rg_error_t err;
    audit_log_t *log = audit_log_open(&opts, &err);
    ck_assert_ptr_nonnull(log);
    audit_record_t r = sample_record();
    const int total = 200; /* ~500 bytes a line: dozens of rotations */
    for (int i = 0; i < total; i++) {
        char uid[32];
        snprintf(uid, sizeof(uid), "%d", i);
        r.uid = uid;
        ck_assert_int_eq(audit_log_write(log, &r), 0);
    }
    ck_assert_uint_eq(audit_log_records(log), (uint64_t)total);
    ck_assert_uint_eq(audit_log_failures(log), 0);
    audit_log_free(log);

    rg_buf_t b = RG_BUF_INIT;
    struct seq_check prev = {0};
    /* From the current file back to the oldest: sequences strictly descend. */
    for (unsigned i = 0; i <= max_files; i++) {
        char *name = i == 0 ? rg_strdup(path) : rg_asprintf("%s.%u", path, i);
        ck_assert_msg(read_file(name, &b), "%s missing", name);
        ck_assert_uint_le(b.len, max_bytes);
        struct seq_check c = {0};
        each_line(&b, on_seq_line, &c);
        ck_assert_uint_gt(c.lines, 0);
        ck_assert_int_eq(c.max - c.min + 1, (long)c.lines); /* contiguous, none lost */
        if (i == 0)
            ck_assert_int_eq(c.max, total - 1);
        else
            ck_assert_int_eq(c.max, prev.min - 1);
        prev = c;
        rg_free(name);
    }
    char *extra = rg_asprintf("%s.%u", path, max_files + 1);
    ck_assert(!file_exists(extra));
    rg_free(extra);
    rg_buf_release(&b);
    rg_free(path);
}
END_TEST

START_TEST(test_audit__reopen_follows_external_rotation)
{
    char *path = rg_asprintf("%s/audit.log", tmpdir);
    char *moved = rg_asprintf("%s/audit.log.old", tmpdir);
    audit_opts_t opts = {.path = path};
    rg_error_t err;
    audit_log_t *log = audit_log_open(&opts, &err);
    ck_assert_ptr_nonnull(log);
    audit_record_t r = sample_record();
    ck_assert_int_eq(audit_log_write(log, &r), 0);
    ck_assert_int_eq(rename(path, moved), 0);
    ck_assert_int_eq(audit_log_reopen(log), 0);
    ck_assert_int_eq(audit_log_write(log, &r), 0);
    ck_assert_int_eq(audit_log_write(log, &r), 0);
    audit_log_free(log);
    rg_buf_t b = RG_BUF_INIT;
    ck_assert(read_file(moved, &b));
    ck_assert_uint_eq(each_line(&b, NULL, NULL), 1);
    ck_assert(read_file(path, &b));
    ck_assert_uint_eq(each_line(&b, NULL, NULL), 2);
    rg_buf_release(&b);
    rg_free(moved);
    rg_free(path);
}
END_TEST

START_TEST(test_audit__full_disk_is_counted_and_returned)
{
    if (access("/dev/full", W_OK) != 0)
        return; /* not every sandbox has it */
    audit_opts_t opts = {.path = "/dev/full", .max_bytes = 100, .max_files = 2};
    rg_error_t err;
    audit_log_t *log = audit_log_open(&opts, &err);
    ck_assert_msg(log != NULL, "%s", rg_error_str(&err));
    audit_record_t r = sample_record();
    rg_log_level_t saved = rg_log_get_level();
    ck_assert_int_eq(audit_log_write(log, &r), RG_ERR_IO);
    rg_log_set_level(RG_LOG_ERROR + 1); /* the rate limit keeps it to one line anyway */
    ck_assert_int_eq(audit_log_write(log, &r), RG_ERR_IO);
    ck_assert_int_eq(audit_log_write(log, &r), RG_ERR_IO);
    rg_log_set_level(saved);
    ck_assert_uint_eq(audit_log_failures(log), 3);
    ck_assert_uint_eq(audit_log_records(log), 0);
    audit_log_free(log);
}
END_TEST

struct writer_arg {
    audit_log_t *log;
    int id;
    int n;
};

static void *writer(void *p)
{
    struct writer_arg *a = p;
    audit_record_t r = sample_record();
    char uid[32];
    r.uid = uid;
    for (int i = 0; i < a->n; i++) {
        snprintf(uid, sizeof(uid), "%d", a->id * 100000 + i);
        if (audit_log_write(a->log, &r) != 0)
            return (void *)1;
    }
    return NULL;
}

struct seen {
    unsigned char *hit; /* by id*100000+i */
    size_t lines;
};

static void on_seen_line(const cJSON *obj, void *arg)
{
    struct seen *s = arg;
    long v = strtol(rg_json_get_string(obj, "uid"), NULL, 10);
    ck_assert_int_ge(v, 0);
    ck_assert_int_lt(v, 400000);
    ck_assert_msg(!s->hit[v], "uid %ld twice", v);
    s->hit[v] = 1;
    s->lines++;
}

/* Runs 4 writers x 2000 records against opts and checks every line once. */
static void run_concurrent(const audit_opts_t *opts, unsigned files)
{
    enum { THREADS = 4, PER = 2000 };
    rg_error_t err;
    audit_log_t *log = audit_log_open(opts, &err);
    ck_assert_ptr_nonnull(log);
    pthread_t t[THREADS];
    struct writer_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct writer_arg){log, i, PER};
        ck_assert_int_eq(pthread_create(&t[i], NULL, writer, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        ck_assert_ptr_null(rv);
    }
    ck_assert_uint_eq(audit_log_records(log), THREADS * PER);
    ck_assert_uint_eq(audit_log_failures(log), 0);
    audit_log_free(log);

    struct seen s = {rg_calloc(400000, 1), 0};
    rg_buf_t b = RG_BUF_INIT;
    for (unsigned i = 0; i <= files; i++) {
        char *name = i == 0 ? rg_strdup(opts->path) : rg_asprintf("%s.%u", opts->path, i);
        if (read_file(name, &b)) {
            if (opts->max_bytes)
                ck_assert_uint_le(b.len, opts->max_bytes);
            each_line(&b, on_seen_line, &s);
        }
        rg_free(name);
    }
    ck_assert_uint_eq(s.lines, THREADS * PER);
    rg_buf_release(&b);
    rg_free(s.hit);
}

START_TEST(test_audit__concurrent_writers_lines_intact)
{
    char *path = rg_asprintf("%s/conc.log", tmpdir);
    audit_opts_t opts = {.path = path};
    run_concurrent(&opts, 0);
    rg_free(path);
}
END_TEST

START_TEST(test_audit__concurrent_writers_with_rotation)
{
    /* ~4 MB of lines into 64 KiB files, with room to keep them all. */
    char *path = rg_asprintf("%s/concrot.log", tmpdir);
    audit_opts_t opts = {.path = path, .max_bytes = 64 * 1024, .max_files = 200};
    run_concurrent(&opts, 200);
    rg_free(path);
}
END_TEST

static Suite *audit_suite(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("format");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_audit__format_has_every_field);
    tcase_add_test(tc, test_audit__format_golden_line);
    tcase_add_test(tc, test_audit__null_fields_are_empty);
    tcase_add_loop_test(tc, test_audit__escaping_round_trips, 0,
                        (int)(sizeof(escape_cases) / sizeof(escape_cases[0])));
    tcase_add_test(tc, test_audit__long_fields_are_bounded);
    suite_add_tcase(s, tc);

    tc = tcase_create("file");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_audit__open_creates_parents_and_writes);
    tcase_add_test(tc, test_audit__open_rejects_bad_options);
    tcase_add_test(tc, test_audit__rotation_keeps_n_files_newest_first);
    tcase_add_test(tc, test_audit__reopen_follows_external_rotation);
    tcase_add_test(tc, test_audit__full_disk_is_counted_and_returned);
    tcase_add_test(tc, test_audit__concurrent_writers_lines_intact);
    tcase_add_test(tc, test_audit__concurrent_writers_with_rotation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(audit_suite());
}

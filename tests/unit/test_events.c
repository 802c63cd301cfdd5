/*
 * Events: the token bucket, the fallback decision and the bodies offline;
 * then the recorder against the API-server double: a storm is cut to the
 * burst, identical events become one series, core/v1 is used when the
 * events.k8s.io group is missing, the queue stays bounded.
 */
#include "harness.h"
#include "raygate/alloc.h"
#include "raygate/events.h"
#include "raygate/kube.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEC INT64_C(1000000000)

/* ---- offline ---- */

START_TEST(test_events__bucket)
{
    events_bucket_t b;
    const double rate = 1.0 / 300; /* one per 5 minutes */
    events_bucket_init(&b, 25, 0);
    for (int i = 0; i < 25; i++)
        ck_assert(events_bucket_take(&b, 25, rate, 0));
    ck_assert(!events_bucket_take(&b, 25, rate, 0));
    ck_assert(!events_bucket_take(&b, 25, rate, 299 * SEC));
    ck_assert_int_gt(events_bucket_wait_ns(&b, 25, rate, 299 * SEC), 0);
    ck_assert_int_eq(events_bucket_wait_ns(&b, 25, rate, 300 * SEC), 0);
    ck_assert(events_bucket_take(&b, 25, rate, 300 * SEC));
    ck_assert(!events_bucket_take(&b, 25, rate, 300 * SEC));
    /* A day later the bucket is full again, but not fuller. */
    for (int i = 0; i < 25; i++)
        ck_assert(events_bucket_take(&b, 25, rate, 86400 * SEC));
    ck_assert(!events_bucket_take(&b, 25, rate, 86400 * SEC));
    /* A clock going backwards neither refills nor breaks it. */
    ck_assert(!events_bucket_take(&b, 25, rate, 10 * SEC));
}
END_TEST

typedef struct api_case {
    events_api_t api;
    int create, discovery;
    events_api_t want;
} api_case_t;

static const api_case_t API_CASES[] = {
    {EVENTS_API_NEW, 404, 404, EVENTS_API_CORE}, /* the group is missing */
    {EVENTS_API_NEW, 404, 200, EVENTS_API_NEW},  /* the namespace is missing */
    {EVENTS_API_NEW, 404, 0, EVENTS_API_NEW},    /* discovery did not answer */
    {EVENTS_API_NEW, 201, 0, EVENTS_API_NEW},    {EVENTS_API_NEW, 500, 404, EVENTS_API_NEW},
    {EVENTS_API_NEW, 403, 404, EVENTS_API_NEW},  {EVENTS_API_CORE, 404, 404, EVENTS_API_CORE},
};

START_TEST(test_events__fallback_decision)
{
    const api_case_t *c = &API_CASES[_i];
    ck_assert_int_eq(events_api_next(c->api, c->create, c->discovery), c->want);
}
END_TEST

static cJSON *regarding(const char *ns, const char *name)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "apiVersion", "ray.io/v1");
    cJSON_AddStringToObject(r, "kind", "RayCluster");
    if (ns)
        cJSON_AddStringToObject(r, "namespace", ns);
    cJSON_AddStringToObject(r, "name", name);
    cJSON_AddStringToObject(r, "uid", "0b5e2c1a-0000-4000-8000-000000000001");
    cJSON_AddStringToObject(r, "resourceVersion", "17");
    cJSON_AddStringToObject(r, "extra", "not copied");
    return r;
}

START_TEST(test_events__bodies)
{
    cJSON *reg = regarding("team-a", "rc-1");
    events_fields_t f = {.regarding = reg,
                         .type = "Normal",
                         .reason = "Admitted",
                         .action = "Admit",
                         .note = "admitted by cq-a",
                         .controller = "raygate.dev/admitter",
                         .instance = "pod-1",
                         .name = "rc-1.abc",
                         .ns = "team-a",
                         .first_ns = INT64_C(1893456000) * SEC + 123456000,
                         .last_ns = INT64_C(1893456060) * SEC,
                         .count = 1};
    cJSON *n = events_body_build(EVENTS_API_NEW, &f);
    ck_assert_str_eq(rg_json_get_string(n, "apiVersion"), "events.k8s.io/v1");
    ck_assert_str_eq(rg_json_get_string(n, "eventTime"), "2030-01-01T00:00:00.123456Z");
    ck_assert_str_eq(rg_json_get_string(n, "reportingController"), "raygate.dev/admitter");
    ck_assert_str_eq(rg_json_get_string(n, "note"), "admitted by cq-a");
    const cJSON *r = rg_json_get_object(n, "regarding");
    ck_assert_str_eq(rg_json_get_string(r, "uid"), "0b5e2c1a-0000-4000-8000-000000000001");
    ck_assert_ptr_null(rg_json_get(r, "extra"));
    ck_assert_ptr_null(rg_json_get(n, "series"));
    cJSON_Delete(n);
    f.count = 3;
    n = events_body_build(EVENTS_API_NEW, &f);
    const cJSON *s = rg_json_get_object(n, "series");
    ck_assert_int_eq(cJSON_GetObjectItem(s, "count")->valueint, 3);
    ck_assert_str_eq(rg_json_get_string(s, "lastObservedTime"), "2030-01-01T00:01:00.000000Z");
    cJSON_Delete(n);

    cJSON *c = events_body_build(EVENTS_API_CORE, &f);
    ck_assert_str_eq(rg_json_get_string(c, "apiVersion"), "v1");
    ck_assert_str_eq(rg_json_get_string(rg_json_get_object(c, "involvedObject"), "name"), "rc-1");
    ck_assert_str_eq(rg_json_get_string(c, "message"), "admitted by cq-a");
    ck_assert_str_eq(rg_json_get_string(c, "firstTimestamp"), "2030-01-01T00:00:00Z");
    ck_assert_str_eq(rg_json_get_string(c, "lastTimestamp"), "2030-01-01T00:01:00Z");
    ck_assert_int_eq(cJSON_GetObjectItem(c, "count")->valueint, 3);
    ck_assert_str_eq(rg_json_get_string(rg_json_get_object(c, "source"), "component"),
                     "raygate.dev/admitter");
    ck_assert_ptr_null(rg_json_get(c, "eventTime"));
    cJSON_Delete(c);

    char *p = events_series_patch_build(EVENTS_API_NEW, 7, INT64_C(1893456000) * SEC);
    ck_assert_str_eq(
        p, "{\"series\":{\"count\":7,\"lastObservedTime\":\"2030-01-01T00:00:00.000000Z\"}}");
    rg_free(p);
    p = events_series_patch_build(EVENTS_API_CORE, 7, INT64_C(1893456000) * SEC);
    ck_assert_str_eq(p, "{\"count\":7,\"lastTimestamp\":\"2030-01-01T00:00:00Z\"}");
    rg_free(p);
    cJSON_Delete(reg);
}
END_TEST

/* ---- against the double ---- */

static rg_double_t D;
static kube_creds_t CREDS;
static kube_client_t *C;

static void suite_setup(void)
{
    kube_client_opts_t o = {.qps = 500, .burst = 500, .timeout_ms = 5000};
    rgt_double_client_start(&D, NULL, &CREDS, &o, &C);
}

static void suite_teardown(void)
{
    rgt_double_client_stop(&D, &CREDS, &C);
}

static events_recorder_t *recorder(const events_opts_t *extra)
{
    events_opts_t o = {0};
    if (extra)
        o = *extra;
    o.controller = "raygate.dev/admitter";
    o.instance = "test-instance";
    if (o.global_qps == 0)
        o.global_qps = 200;
    if (o.global_burst == 0)
        o.global_burst = 100;
    rg_error_t err = {0};
    events_recorder_t *r = events_recorder_new(C, &o, &err);
    ck_assert_msg(r != NULL, "%s", rg_error_str(&err));
    return r;
}

/* The Events about name on the server, in the API at prefix; owned array. */
static cJSON *events_about(const char *prefix, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/namespaces/default/events", prefix);
    kube_result_t res = {0};
    rg_error_t err = {0};
    ck_assert_msg(kube_request(C, "GET", path, NULL, NULL, 0, &res, &err) == 0, "%s",
                  rg_error_str(&err));
    ck_assert_int_eq(res.http_status, 200);
    cJSON *out = cJSON_CreateArray();
    bool core = strcmp(prefix, "/api/v1") == 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, rg_json_get_array(res.body, "items"))
    {
        const cJSON *ref = rg_json_get_object(it, core ? "involvedObject" : "regarding");
        const char *n = rg_json_get_string(ref, "name");
        if (n && strcmp(n, name) == 0)
            cJSON_AddItemToArray(out, cJSON_Duplicate(it, true));
    }
    kube_result_release(&res);
    return out;
}

START_TEST(test_events__storm_cut_to_burst)
{
    events_recorder_t *r = recorder(NULL);
    cJSON *reg = regarding("default", "storm-1");
    int outcome[4] = {0, 0, 0, 0};
    rg_error_t err = {0};
    for (int i = 0; i < 1000; i++) {
        char note[64];
        snprintf(note, sizeof(note), "decision %d", i); /* distinct: no aggregation */
        int rc = events_record(r, reg, "Normal", "Admitted", "Admit", note, &err);
        ck_assert_int_ge(rc, 0);
        outcome[rc]++;
    }
    ck_assert_int_eq(outcome[EVENTS_QUEUED], 25);
    ck_assert_int_eq(outcome[EVENTS_RATE_LIMITED], 975);
    /* Another reason on the same object has its own bucket. */
    ck_assert_int_eq(events_record(r, reg, "Warning", "Evicted", "Evict", "x", &err),
                     EVENTS_QUEUED);
    ck_assert_int_eq(events_recorder_flush(r, 20000), 0);
    events_stats_t st;
    events_recorder_stats_get(r, &st);
    ck_assert_uint_eq(st.sent, 26);
    ck_assert_uint_eq(st.rate_limited, 975);
    ck_assert_uint_eq(st.failed, 0);
    ck_assert(!st.core_fallback);
    cJSON *evs = events_about("/apis/events.k8s.io/v1", "storm-1");
    ck_assert_int_eq(cJSON_GetArraySize(evs), 26);
    const cJSON *first = cJSON_GetArrayItem(evs, 0);
    ck_assert_str_eq(rg_json_get_string(first, "reportingInstance"), "test-instance");
    cJSON_Delete(evs);
    cJSON_Delete(reg);
    events_recorder_free(r);
}
END_TEST

START_TEST(test_events__identical_events_aggregate)
{
    events_opts_t o = {.series_flush_ms = 200};
    events_recorder_t *r = recorder(&o);
    cJSON *reg = regarding("default", "agg-1");
    rg_error_t err = {0};
    ck_assert_int_eq(events_record(r, reg, "Warning", "QuotaExceeded", "Admit", "no quota", &err),
                     EVENTS_QUEUED);
    for (int i = 1; i < 50; i++)
        ck_assert_int_eq(
            events_record(r, reg, "Warning", "QuotaExceeded", "Admit", "no quota", &err),
            EVENTS_AGGREGATED);
    ck_assert_int_eq(events_recorder_flush(r, 10000), 0);
    cJSON *evs = events_about("/apis/events.k8s.io/v1", "agg-1");
    ck_assert_int_eq(cJSON_GetArraySize(evs), 1);
    const cJSON *s = rg_json_get_object(cJSON_GetArrayItem(evs, 0), "series");
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(cJSON_GetObjectItem(s, "count")->valueint, 50);
    ck_assert_ptr_nonnull(rg_json_get_string(s, "lastObservedTime"));
    cJSON_Delete(evs);

    /* Later repeats are folded in on the flush period, without a flush. */
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(
            events_record(r, reg, "Warning", "QuotaExceeded", "Admit", "no quota", &err),
            EVENTS_AGGREGATED);
    int count = 0;
    for (int tries = 0; tries < 50 && count != 60; tries++) {
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
        evs = events_about("/apis/events.k8s.io/v1", "agg-1");
        s = rg_json_get_object(cJSON_GetArrayItem(evs, 0), "series");
        count = s ? cJSON_GetObjectItem(s, "count")->valueint : 0;
        cJSON_Delete(evs);
    }
    ck_assert_int_eq(count, 60);
    /* A different note is a different event. */
    ck_assert_int_eq(events_record(r, reg, "Warning", "QuotaExceeded", "Admit", "other", &err),
                     EVENTS_QUEUED);
    ck_assert_int_eq(events_recorder_flush(r, 10000), 0);
    events_stats_t st;
    events_recorder_stats_get(r, &st);
    ck_assert_uint_eq(st.sent, 2);
    ck_assert_uint_eq(st.aggregated, 59);
    ck_assert_uint_ge(st.series_updates, 2);
    ck_assert_uint_eq(st.recorded, 61);
    cJSON_Delete(reg);
    events_recorder_free(r);
}
END_TEST

START_TEST(test_events__core_fallback)
{
    events_opts_t o = {.new_api_prefix = "/apis/nonexistent.raygate.dev/v1"};
    events_recorder_t *r = recorder(&o);
    cJSON *reg = regarding("default", "fallback-1");
    rg_error_t err = {0};
    ck_assert_int_eq(events_record(r, reg, "Normal", "Admitted", "Admit", "hello", &err),
                     EVENTS_QUEUED);
    ck_assert_int_eq(events_record(r, reg, "Normal", "Admitted", "Admit", "hello", &err),
                     EVENTS_AGGREGATED);
    ck_assert_int_eq(events_recorder_flush(r, 10000), 0);
    events_stats_t st;
    events_recorder_stats_get(r, &st);
    ck_assert(st.core_fallback);
    ck_assert_uint_eq(st.sent, 1);
    ck_assert_uint_eq(st.failed, 0);
    cJSON *evs = events_about("/api/v1", "fallback-1");
    ck_assert_int_eq(cJSON_GetArraySize(evs), 1);
    const cJSON *e = cJSON_GetArrayItem(evs, 0);
    ck_assert_str_eq(rg_json_get_string(e, "message"), "hello");
    ck_assert_int_eq(cJSON_GetObjectItem(e, "count")->valueint, 2);
    cJSON_Delete(evs);
    cJSON_Delete(reg);
    events_recorder_free(r);
}
END_TEST

/* A 404 for a missing namespace is not a missing API group. */
START_TEST(test_events__missing_namespace_no_fallback)
{
    events_recorder_t *r = recorder(NULL);
    cJSON *reg = regarding("no-such-namespace", "ghost");
    rg_error_t err = {0};
    ck_assert_int_eq(events_record(r, reg, "Normal", "Admitted", "Admit", "x", &err),
                     EVENTS_QUEUED);
    ck_assert_int_eq(events_recorder_flush(r, 10000), 0);
    events_stats_t st;
    events_recorder_stats_get(r, &st);
    ck_assert(!st.core_fallback);
    ck_assert_uint_eq(st.failed, 1);
    ck_assert_uint_eq(st.sent, 0);
    cJSON_Delete(reg);
    events_recorder_free(r);
}
END_TEST

START_TEST(test_events__bounded_queue)
{
    /* One write per 100 s: the sender holds at most one, the queue five. */
    events_opts_t o = {.queue_max = 5, .global_qps = 0.01, .global_burst = 1};
    events_recorder_t *r = recorder(&o);
    rg_error_t err = {0};
    int queued = 0, dropped = 0;
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof(name), "queue-%d", i);
        cJSON *reg = regarding("default", name);
        int rc = events_record(r, reg, "Normal", "Admitted", "Admit", "x", &err);
        queued += rc == EVENTS_QUEUED;
        dropped += rc == EVENTS_DROPPED;
        cJSON_Delete(reg);
        if (i == 0) { /* let the sender take the first one */
            struct timespec ts = {0, 300000000L};
            nanosleep(&ts, NULL);
        }
    }
    ck_assert_int_eq(queued + dropped, 20);
    ck_assert_int_le(queued, 6);
    ck_assert_int_ge(dropped, 14);
    int64_t t0 = rg_time_mono_ns();
    events_stats_t st;
    events_recorder_stats_get(r, &st);
    ck_assert_uint_eq(st.dropped, (unsigned)dropped);
    /* Freeing does not wait for the global bucket. */
    events_recorder_free(r);
    ck_assert_int_lt(rg_time_mono_ns() - t0, 2 * SEC);
}
END_TEST

START_TEST(test_events__global_rate_paces)
{
    events_opts_t o = {.global_qps = 5, .global_burst = 2};
    events_recorder_t *r = recorder(&o);
    rg_error_t err = {0};
    int64_t t0 = rg_time_mono_ns();
    for (int i = 0; i < 6; i++) {
        char name[32];
        snprintf(name, sizeof(name), "paced-%d", i);
        cJSON *reg = regarding("default", name);
        ck_assert_int_eq(events_record(r, reg, "Normal", "Admitted", "Admit", "x", &err),
                         EVENTS_QUEUED);
        cJSON_Delete(reg);
    }
    ck_assert_int_eq(events_recorder_flush(r, 10000), 0);
    int64_t ms = (rg_time_mono_ns() - t0) / 1000000;
    ck_assert_msg(ms >= 700, "6 events at 5 qps burst 2 took only %lld ms", (long long)ms);
    events_stats_t st;
    events_recorder_stats_get(r, &st);
    ck_assert_uint_eq(st.sent, 6);
    events_recorder_free(r);
}
END_TEST

START_TEST(test_events__record_validates)
{
    events_recorder_t *r = recorder(NULL);
    cJSON *reg = regarding("default", "v-1");
    rg_error_t err = {0};
    ck_assert_int_eq(events_record(r, reg, "Info", "R", "A", "n", &err), RG_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "Normal or Warning"));
    ck_assert_int_eq(events_record(r, reg, "Normal", "", "A", "n", &err), RG_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "reason"));
    ck_assert_int_eq(events_record(r, reg, "Normal", "R", NULL, "n", &err), RG_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "action"));
    cJSON *noname = cJSON_CreateObject();
    cJSON_AddStringToObject(noname, "kind", "Pod");
    ck_assert_int_eq(events_record(r, noname, "Normal", "R", "A", "n", &err), RG_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "regarding.name"));
    /* A long note is cut at 1024 bytes. */
    char *big = rg_malloc(5000);
    memset(big, 'x', 4999);
    big[4999] = '\0';
    ck_assert_int_eq(events_record(r, reg, "Normal", "R", "A", big, &err), EVENTS_QUEUED);
    ck_assert_int_eq(events_recorder_flush(r, 10000), 0);
    cJSON *evs = events_about("/apis/events.k8s.io/v1", "v-1");
    ck_assert_int_eq(cJSON_GetArraySize(evs), 1);
    ck_assert_uint_eq(strlen(rg_json_get_string(cJSON_GetArrayItem(evs, 0), "note")), 1024);
    cJSON_Delete(evs);
    rg_free(big);
    cJSON_Delete(noname);
    cJSON_Delete(reg);
    events_opts_t bad = {0};
    ck_assert_ptr_null(events_recorder_new(C, &bad, &err));
    ck_assert_int_eq(err.code, RG_ERR_CONFIG);
    events_recorder_free(r);
    events_recorder_free(NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("events");
    TCase *pure = tcase_create("pure");
    tcase_add_test(pure, test_events__bucket);
    tcase_add_loop_test(pure, test_events__fallback_decision, 0,
                        (int)(sizeof(API_CASES) / sizeof(API_CASES[0])));
    tcase_add_test(pure, test_events__bodies);
    suite_add_tcase(s, pure);

    TCase *tc = tcase_create("double");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_test(tc, test_events__storm_cut_to_burst);
    tcase_add_test(tc, test_events__identical_events_aggregate);
    tcase_add_test(tc, test_events__core_fallback);
    tcase_add_test(tc, test_events__missing_namespace_no_fallback);
    tcase_add_test(tc, test_events__bounded_queue);
    tcase_add_test(tc, test_events__global_rate_paces);
    tcase_add_test(tc, test_events__record_validates);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(suite());
}

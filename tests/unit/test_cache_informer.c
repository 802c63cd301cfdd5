/*
 * The informers against the API-server double: the first sync equals the
 * double's listing, watch events are applied, and after every fault knob
 * (dropped watches, compaction -> 410 relist, 500s, 429s) the cache
 * converges to the double's state exactly (full listings compared: keys
 * and resourceVersions). Stopping is prompt.
 */
#include "harness.h"

#include "raygate/alloc.h"
#include "raygate/cache.h"
#include "raygate/json.h"
#include "raygate/kube.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static rg_double_t D;
static kube_client_t *C;
static kube_creds_t CREDS;

static const char *const DOUBLE_ARGS[] = {"--bookmark-interval", "1", NULL};

static void suite_setup(void)
{
    kube_client_opts_t o = {.qps = 1000, .burst = 1000};
    rgt_double_client_start(&D, DOUBLE_ARGS, &CREDS, &o, &C);
}

static void suite_teardown(void)
{
    rgt_double_client_stop(&D, &CREDS, &C);
}

static void test_setup(void)
{
    rg_error_t err = {0};
    ck_assert_msg(rg_double_faults(&D, "{\"reset\":true}", &err) == 0, "%s", rg_error_str(&err));
}

/* ---- helpers ---- */

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void faults(const char *json)
{
    rg_error_t err = {0};
    ck_assert_msg(rg_double_faults(&D, json, &err) == 0, "%s", rg_error_str(&err));
}

static void ensure_namespace(const char *ns)
{
    char buf[256];
    snprintf(buf, sizeof buf,
             "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", ns);
    cJSON *o = cJSON_Parse(buf);
    kube_result_t r = {0};
    rg_error_t err = {0};
    ck_assert_int_eq(kube_create(C, &kube_res_namespaces, NULL, o, &r, &err), 0);
    ck_assert_msg(r.http_status == 201 || r.http_status == 409, "namespace %s: %d", ns,
                  r.http_status);
    kube_result_release(&r);
    cJSON_Delete(o);
}

static void create_pod(const char *ns, const char *name, const char *cluster)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\",\"namespace\":"
             "\"%s\",\"labels\":{\"ray.io/cluster\":\"%s\"}},\"spec\":{\"containers\":[{\"name\":"
             "\"c\",\"image\":\"busybox\",\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]}}",
             name, ns, cluster);
    cJSON *o = cJSON_Parse(buf);
    kube_result_t r = {0};
    rg_error_t err = {0};
    ck_assert_msg(kube_create(C, &kube_res_pods, ns, o, &r, &err) == 0, "%s", rg_error_str(&err));
    ck_assert_msg(r.http_status == 201, "create pod %s/%s: %d %s", ns, name, r.http_status,
                  r.message ? r.message : "");
    kube_result_release(&r);
    cJSON_Delete(o);
}

static void create_node(const char *name)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\"},\"status\":{"
             "\"allocatable\":{\"nvidia.com/gpu\":\"8\"}}}",
             name);
    cJSON *o = cJSON_Parse(buf);
    kube_result_t r = {0};
    rg_error_t err = {0};
    ck_assert_int_eq(kube_create(C, &kube_res_nodes, NULL, o, &r, &err), 0);
    ck_assert_msg(r.http_status == 201, "create node %s: %d", name, r.http_status);
    kube_result_release(&r);
    cJSON_Delete(o);
}

static void delete_pod(const char *ns, const char *name)
{
    kube_result_t r = {0};
    rg_error_t err = {0};
    ck_assert_int_eq(kube_delete(C, &kube_res_pods, ns, name, &r, &err), 0);
    ck_assert_msg(r.http_status == 200, "delete %s/%s: %d", ns, name, r.http_status);
    kube_result_release(&r);
}

static void label_pod(const char *ns, const char *name, const char *value)
{
    char patch[256];
    snprintf(patch, sizeof patch, "{\"metadata\":{\"labels\":{\"step\":\"%s\"}}}", value);
    kube_result_t r = {0};
    rg_error_t err = {0};
    ck_assert_int_eq(
        kube_patch(C, &kube_res_pods, ns, name, KUBE_PATCH_MERGE, patch, false, &r, &err), 0);
    ck_assert_msg(r.http_status == 200, "patch %s/%s: %d", ns, name, r.http_status);
    kube_result_release(&r);
}

/* The double's full listing of a kind as sorted "key rv" lines (owned, rg_free). */
static char *double_listing(cache_kind_t kind)
{
    const kube_resource_t *res = cache_kind_resource(kind);
    rg_buf_t out = RG_BUF_INIT;
    char *cont = NULL;
    for (;;) {
        kube_list_opts_t lo = {.limit = 500, .continue_token = cont};
        kube_result_t r = {0};
        rg_error_t err = {0};
        ck_assert_msg(kube_list(C, res, NULL, &lo, &r, &err) == 0, "%s", rg_error_str(&err));
        ck_assert_int_eq(r.http_status, 200);
        const cJSON *it;
        cJSON_ArrayForEach(it, rg_json_get_array(r.body, "items"))
        {
            const cJSON *m = rg_json_get_object(it, "metadata");
            const char *ns = rg_json_get_string(m, "namespace");
            rg_buf_appendf(&out, "%s%s%s %s\n", res->namespaced && ns ? ns : "",
                           res->namespaced && ns ? "/" : "", rg_json_get_string(m, "name"),
                           rg_json_get_string(m, "resourceVersion"));
        }
        const char *next = rg_json_get_string(rg_json_get_object(r.body, "metadata"), "continue");
        rg_free(cont);
        cont = next && *next ? rg_strdup(next) : NULL;
        kube_result_release(&r);
        if (!cont)
            break;
    }
    if (!out.data)
        rg_buf_append_str(&out, "");
    return rg_buf_detach(&out, NULL);
}

static char *cache_listing(cache_set_t *set, cache_kind_t kind)
{
    rg_buf_t out = RG_BUF_INIT;
    cache_snapshot_t *s = cache_snapshot_acquire(set, kind);
    for (size_t i = 0; i < cache_snapshot_count(s); i++) {
        const cache_obj_t *o = cache_snapshot_at(s, i);
        rg_buf_appendf(&out, "%s %s\n", o->key, o->resource_version);
    }
    cache_snapshot_release(s);
    if (!out.data)
        rg_buf_append_str(&out, "");
    return rg_buf_detach(&out, NULL);
}

/*
 * Waits (up to timeout_ms) until the cache lists exactly what the double
 * lists; fails the test with both listings otherwise. The double and the
 * cache sort keys the same way (namespace/name byte order) for the names
 * these tests use.
 */
static void assert_converges(cache_set_t *set, cache_kind_t kind, unsigned timeout_ms)
{
    int64_t deadline = rg_time_mono_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        char *want = double_listing(kind), *got = cache_listing(set, kind);
        bool same = strcmp(want, got) == 0;
        if (same || rg_time_mono_ns() > deadline) {
            ck_assert_msg(same, "%s cache differs from the double:\n--- double\n%s--- cache\n%s",
                          cache_kind_name(kind), want, got);
        }
        rg_free(want);
        rg_free(got);
        if (same)
            return;
        nap_ms(50);
    }
}

typedef struct counts {
    atomic_int add, update, del;
} counts_t;

static void on_change(void *arg, cache_kind_t kind, cache_event_t ev, const cache_obj_t *o,
                      const cache_obj_t *n)
{
    (void)kind;
    counts_t *c = arg;
    ck_assert(ev == CACHE_EVENT_ADD ? (!o && n) : ev == CACHE_EVENT_UPDATE ? (o && n) : (o && !n));
    if (ev == CACHE_EVENT_ADD)
        atomic_fetch_add(&c->add, 1);
    else if (ev == CACHE_EVENT_UPDATE)
        atomic_fetch_add(&c->update, 1);
    else
        atomic_fetch_add(&c->del, 1);
}

static cache_set_t *start_set(unsigned kinds, counts_t *counts)
{
    cache_set_opts_t o = {
        .client = C,
        .kinds = kinds,
        .page_size = 7, /* several pages even with few objects */
        .backoff_min_ms = 50,
        .backoff_max_ms = 800,
        .watch_timeout_s = 30,
    };
    rg_error_t err = {0};
    cache_set_t *set = cache_set_new(&o, &err);
    ck_assert_ptr_nonnull(set);
    if (counts)
        ck_assert_int_eq(cache_set_add_handler(set, CACHE_KIND_POD, on_change, counts, &err), 0);
    ck_assert_msg(cache_set_start(set, &err) == 0, "%s", rg_error_str(&err));
    ck_assert_msg(cache_set_wait_synced(set, 20000), "caches did not sync");
    return set;
}

#define PODS_AND_NODES (CACHE_KIND_BIT(CACHE_KIND_POD) | CACHE_KIND_BIT(CACHE_KIND_NODE))

/* ---- tests ---- */

START_TEST(test_cache_informer__initial_sync_matches_the_double)
{
    ensure_namespace("sync");
    char name[32];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "p%02d", i);
        create_pod("sync", name, i < 5 ? "rc-a" : "rc-b");
    }
    create_node("sync-node-1");
    cache_set_t *set = start_set(CACHE_KINDS_ALL, NULL);
    ck_assert(cache_set_synced(set));
    for (int k = 0; k < CACHE_KIND_COUNT; k++) {
        assert_converges(set, (cache_kind_t)k, 10000); /* a bound, not a target: ASan under load */
        cache_stats_t st;
        cache_set_stats_get(set, (cache_kind_t)k, &st);
        ck_assert(st.enabled && st.synced);
        ck_assert_uint_eq(st.lists, 1);
        ck_assert_str_ne(st.resource_version, "");
    }
    cache_snapshot_t *s = cache_snapshot_acquire(set, CACHE_KIND_POD);
    ck_assert(cache_snapshot_synced(s));
    const cache_obj_t *const *v;
    ck_assert_uint_eq(cache_snapshot_pods_of_cluster(s, "sync", "rc-a", &v), 5);
    ck_assert_uint_eq(cache_snapshot_pods_of_cluster(s, "sync", "rc-b", &v), 15);
    cache_snapshot_release(s);
    s = cache_snapshot_acquire(set, CACHE_KIND_NAMESPACE);
    ck_assert_ptr_nonnull(cache_snapshot_get(s, NULL, "sync"));
    ck_assert_ptr_nonnull(cache_snapshot_get(s, NULL, "kube-system"));
    cache_snapshot_release(s);
    cache_set_free(set);
}
END_TEST

START_TEST(test_cache_informer__events_are_applied)
{
    ensure_namespace("ev");
    counts_t counts = {0};
    cache_set_t *set = start_set(PODS_AND_NODES, &counts);
    int base_add = atomic_load(&counts.add);
    create_pod("ev", "a", "rc");
    create_pod("ev", "b", "rc");
    create_node("ev-node");
    label_pod("ev", "a", "1");
    kube_result_t r = {0};
    rg_error_t err = {0};
    ck_assert_int_eq(kube_bind_pod(C, "ev", "b", NULL, "ev-node", &r, &err), 0);
    ck_assert_int_eq(r.http_status, 201);
    kube_result_release(&r);
    delete_pod("ev", "a");
    assert_converges(set, CACHE_KIND_POD, 5000);
    assert_converges(set, CACHE_KIND_NODE, 5000);
    ck_assert_int_eq(atomic_load(&counts.add) - base_add, 2);
    ck_assert_int_ge(atomic_load(&counts.update), 2); /* the label, the binding */
    ck_assert_int_eq(atomic_load(&counts.del), 1);

    cache_snapshot_t *s = cache_snapshot_acquire(set, CACHE_KIND_POD);
    const cache_obj_t *const *v;
    ck_assert_uint_eq(cache_snapshot_pods_on_node(s, "ev-node", &v), 1);
    ck_assert_str_eq(v[0]->key, "ev/b");
    ck_assert_ptr_null(cache_snapshot_get(s, "ev", "a"));
    cJSON *pod = cache_obj_parse(v[0], &err);
    ck_assert_ptr_nonnull(pod);
    ck_assert_str_eq(rg_json_get_string(rg_json_get_object(pod, "spec"), "nodeName"), "ev-node");
    ck_assert_ptr_nonnull(rg_json_path(pod, "spec", "containers", NULL));
    cJSON_Delete(pod);
    cache_snapshot_release(s);

    cache_stats_t st;
    cache_set_stats_get(set, CACHE_KIND_POD, &st);
    ck_assert_uint_eq(st.relists, 0);
    ck_assert_uint_ge(st.events, 5);
    cache_set_free(set);
}
END_TEST

START_TEST(test_cache_informer__converges_after_dropped_watches)
{
    ensure_namespace("drop");
    cache_set_t *set = start_set(PODS_AND_NODES, NULL);
    /* The knob applies to watches opened after it: cut the current ones. */
    faults("{\"watchDropAfterEvents\": 2, \"dropWatchesNow\": true}");
    char name[32];
    for (int i = 0; i < 15; i++) {
        snprintf(name, sizeof name, "d%02d", i);
        create_pod("drop", name, "rc");
        if (i % 3 == 0)
            label_pod("drop", name, "x");
        if (i % 4 == 0)
            delete_pod("drop", name);
    }
    assert_converges(set, CACHE_KIND_POD, 10000);
    cache_stats_t st;
    cache_set_stats_get(set, CACHE_KIND_POD, &st);
    ck_assert_uint_ge(st.watch_restarts, 3);
    ck_assert_uint_eq(st.relists, 0); /* resumed from the last resourceVersion */

    /* Cut every watch at once, mid-idle. */
    faults("{\"reset\": true, \"dropWatchesNow\": true}");
    create_pod("drop", "after-cut", "rc");
    assert_converges(set, CACHE_KIND_POD, 10000);
    cache_set_free(set);
}
END_TEST

START_TEST(test_cache_informer__relists_after_compaction)
{
    ensure_namespace("cmp");
    char name[32];
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "c%02d", i);
        create_pod("cmp", name, "rc");
    }
    counts_t counts = {0};
    cache_set_t *set = start_set(PODS_AND_NODES, &counts);
    assert_converges(set, CACHE_KIND_POD, 5000);
    int del0 = atomic_load(&counts.del);

    /*
     * Keep the pod informer from watching (its GETs fail), cut its watch,
     * change pods behind its back and forget the history: its resume is
     * answered with 410 and only a relist can see the deletes.
     */
    faults("{\"failNext\": {\"code\": 500, \"count\": 100000, \"pathPrefix\": "
           "\"/api/v1/pods\", \"methods\": [\"GET\"]}, \"dropWatchesNow\": true}");
    delete_pod("cmp", "c00");
    delete_pod("cmp", "c01");
    create_pod("cmp", "c-new", "rc");
    label_pod("cmp", "c02", "z");
    create_node("cmp-node");
    faults("{\"reset\": true, \"compact\": true}");
    int64_t deadline = rg_time_mono_ns() + 10000000000LL;
    cache_stats_t st;
    do {
        nap_ms(20);
        cache_set_stats_get(set, CACHE_KIND_POD, &st);
    } while (st.relists == 0 && rg_time_mono_ns() < deadline);
    assert_converges(set, CACHE_KIND_POD, 10000);
    assert_converges(set, CACHE_KIND_NODE, 10000);
    cache_set_stats_get(set, CACHE_KIND_POD, &st);
    ck_assert_msg(st.relists >= 1, "relists=%llu", (unsigned long long)st.relists);
    /* Whether seen as watch events or as the relist's difference: two deletes. */
    ck_assert_int_eq(atomic_load(&counts.del) - del0, 2);
    ck_assert_int_ge(atomic_load(&counts.update), 1); /* c02's label, from the relist */
    cache_set_free(set);
}
END_TEST

START_TEST(test_cache_informer__converges_after_500_and_429)
{
    ensure_namespace("err");
    /* 500s on list and watch of pods: the first sync is late, not wrong. */
    faults("{\"failNext\": {\"code\": 500, \"count\": 8, \"pathPrefix\": \"/api/v1/pods\"}}");
    create_pod("err", "e0", "rc");
    cache_set_t *set = start_set(PODS_AND_NODES, NULL);
    assert_converges(set, CACHE_KIND_POD, 10000);

    /* A cut watch whose re-opening meets 500s, then 429s. */
    faults("{\"dropWatchesNow\": true, \"failNext\": [{\"code\": 500, \"count\": 3, "
           "\"pathPrefix\": \"/api/v1/pods\"}, {\"code\": 429, \"count\": 2, \"retryAfter\": 1, "
           "\"pathPrefix\": \"/api/v1/pods\", \"methods\": [\"GET\"]}]}");
    create_pod("err", "e1", "rc");
    label_pod("err", "e0", "y");
    assert_converges(set, CACHE_KIND_POD, 15000);
    cache_stats_t st;
    cache_set_stats_get(set, CACHE_KIND_POD, &st);
    ck_assert_uint_ge(st.errors, 1);
    ck_assert_str_ne(st.last_error, "");
    cache_set_free(set);
}
END_TEST

START_TEST(test_cache_informer__stop_is_prompt)
{
    cache_set_t *set = start_set(CACHE_KINDS_ALL, NULL);
    nap_ms(200); /* every informer is inside its watch */
    int64_t t0 = rg_time_mono_ns();
    cache_set_stop(set);
    int64_t ms = (rg_time_mono_ns() - t0) / 1000000;
    ck_assert_msg(ms < 1000, "stop took %lld ms", (long long)ms);
    cache_set_stop(set); /* idempotent */
    /* The last snapshots stay readable after stop. */
    cache_snapshot_t *s = cache_snapshot_acquire(set, CACHE_KIND_NAMESPACE);
    ck_assert_uint_ge(cache_snapshot_count(s), 4);
    cache_snapshot_release(s);

    /* Stopping while the informers back off from failing lists is prompt too. */
    faults("{\"failNext\": {\"code\": 500, \"count\": 1000}}");
    /* The client's own retries of a list are not interruptible: keep them short. */
    kube_client_opts_t co = {.qps = 1000, .burst = 1000, .max_retries = 1};
    kube_client_t *c2 = kube_client_new(&CREDS, &co, NULL);
    ck_assert_ptr_nonnull(c2);
    cache_set_opts_t o = {.client = c2, .backoff_min_ms = 2000, .backoff_max_ms = 30000};
    cache_set_t *set2 = cache_set_new(&o, NULL);
    ck_assert_int_eq(cache_set_start(set2, NULL), 0);
    nap_ms(300);
    ck_assert(!cache_set_synced(set2));
    t0 = rg_time_mono_ns();
    cache_set_free(set2);
    ms = (rg_time_mono_ns() - t0) / 1000000;
    ck_assert_msg(ms < 1500, "stop during backoff took %lld ms", (long long)ms);
    faults("{\"reset\": true}");
    kube_client_free(c2);
    cache_set_free(set);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cache_informer");
    TCase *tc = tcase_create("double");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_checked_fixture(tc, test_setup, NULL);
    tcase_add_test(tc, test_cache_informer__initial_sync_matches_the_double);
    tcase_add_test(tc, test_cache_informer__events_are_applied);
    tcase_add_test(tc, test_cache_informer__converges_after_dropped_watches);
    tcase_add_test(tc, test_cache_informer__relists_after_compaction);
    tcase_add_test(tc, test_cache_informer__converges_after_500_and_429);
    tcase_add_test(tc, test_cache_informer__stop_is_prompt);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(suite());
}

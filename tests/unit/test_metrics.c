/*
 * Tests for the metrics registry: exact Prometheus text (golden strings),
 * escaping, name validation, histogram buckets, concurrent updates and the
 * per-metric child cap.
 */
#include "raygate/metrics.h"

#include "raygate/alloc.h"

#include <check.h>

#include "harness.h"
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *render(metrics_registry_t *reg)
{
    rg_buf_t b = RG_BUF_INIT;
    metrics_registry_render(reg, &b);
    rg_buf_append(&b, "", 0);
    return rg_buf_detach(&b, NULL);
}

static size_t count_substr(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- golden output ------------------------------------------------------------- */

START_TEST(test_metrics__counter_golden)
{
    metrics_registry_t *reg = metrics_registry_new();
    rg_error_t err;
    const char *const labels[] = {"endpoint", "decision"};
    metrics_counter_t *c =
        metrics_counter_new(reg, "raygate_admission_requests_total",
                            "Admission requests by endpoint and decision.", labels, 2, &err);
    ck_assert_ptr_nonnull(c);
    /* Inserted out of order: rendering sorts by label values. */
    metrics_counter_add(c, (const char *const[]){"validate", "denied"}, 2);
    metrics_counter_add(c, (const char *const[]){"mutate", "patched"}, 5);
    metrics_counter_add(c, (const char *const[]){"mutate", "allowed"}, 1);
    metrics_counter_add(c, (const char *const[]){"mutate", "patched"}, 1);
    metrics_counter_t *plain =
        metrics_counter_new(reg, "raygate_restarts_total", "Restarts.", NULL, 0, &err);
    ck_assert_ptr_nonnull(plain);

    char *text = render(reg);
    ck_assert_str_eq(
        text, "# HELP raygate_admission_requests_total Admission requests by endpoint and "
              "decision.\n"
              "# TYPE raygate_admission_requests_total counter\n"
              "raygate_admission_requests_total{endpoint=\"mutate\",decision=\"allowed\"} 1\n"
              "raygate_admission_requests_total{endpoint=\"mutate\",decision=\"patched\"} 6\n"
              "raygate_admission_requests_total{endpoint=\"validate\",decision=\"denied\"} 2\n"
              "# HELP raygate_restarts_total Restarts.\n"
              "# TYPE raygate_restarts_total counter\n"
              "raygate_restarts_total 0\n");
    rg_free(text);
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_metrics__gauge_golden)
{
    metrics_registry_t *reg = metrics_registry_new();
    rg_error_t err;
    const char *const labels[] = {"cluster_queue"};
    metrics_gauge_t *g =
        metrics_gauge_new(reg, "raygate_pending_workloads", "Pending workloads.", labels, 1, &err);
    ck_assert_ptr_nonnull(g);
    metrics_gauge_set(g, (const char *const[]){"cq-b"}, 3);
    metrics_gauge_add(g, (const char *const[]){"cq-b"}, -1.5);
    metrics_gauge_add(g, (const char *const[]){"cq-a"}, 0.1);
    metrics_gauge_add(g, (const char *const[]){"cq-a"}, 0.2);
    metrics_gauge_set(g, (const char *const[]){"cq-c"}, INFINITY);
    metrics_gauge_set(g, (const char *const[]){"cq-d"}, NAN);
    metrics_gauge_set(g, (const char *const[]){"cq-e"}, 1e-7);
    metrics_gauge_set(g, (const char *const[]){"cq-f"}, 12345678901.0);
    metrics_gauge_t *up = metrics_gauge_new(reg, "raygate_up", "", NULL, 0, &err);
    metrics_gauge_set(up, NULL, 1);

    char *text = render(reg);
    ck_assert_str_eq(text, "# HELP raygate_pending_workloads Pending workloads.\n"
                           "# TYPE raygate_pending_workloads gauge\n"
                           "raygate_pending_workloads{cluster_queue=\"cq-a\"} 0.30000000000000004\n"
                           "raygate_pending_workloads{cluster_queue=\"cq-b\"} 1.5\n"
                           "raygate_pending_workloads{cluster_queue=\"cq-c\"} +Inf\n"
                           "raygate_pending_workloads{cluster_queue=\"cq-d\"} NaN\n"
                           "raygate_pending_workloads{cluster_queue=\"cq-e\"} 1e-07\n"
                           "raygate_pending_workloads{cluster_queue=\"cq-f\"} 12345678901\n"
                           "# HELP raygate_up \n"
                           "# TYPE raygate_up gauge\n"
                           "raygate_up 1\n");
    rg_free(text);
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_metrics__histogram_golden)
{
    metrics_registry_t *reg = metrics_registry_new();
    rg_error_t err;
    const char *const labels[] = {"endpoint"};
    const double buckets[] = {0.1, 0.5, 1};
    metrics_histogram_t *h = metrics_histogram_new(reg, "raygate_request_duration_seconds",
                                                   "Request latency.", labels, 1, buckets, 3, &err);
    ck_assert_ptr_nonnull(h);
    const char *const mutate[] = {"mutate"};
    metrics_histogram_observe(h, mutate, 0.05);
    metrics_histogram_observe(h, mutate, 0.1); /* upper bounds are inclusive */
    metrics_histogram_observe(h, mutate, 0.25);
    metrics_histogram_observe(h, mutate, 2);
    metrics_histogram_observe(h, mutate, NAN); /* ignored */
    metrics_histogram_child_t *v = metrics_histogram_with(h, (const char *const[]){"validate"});
    metrics_histogram_child_observe(v, 0.75);
    ck_assert_uint_eq(metrics_histogram_child_count(v), 1);

    char *text = render(reg);
    ck_assert_str_eq(
        text, "# HELP raygate_request_duration_seconds Request latency.\n"
              "# TYPE raygate_request_duration_seconds histogram\n"
              "raygate_request_duration_seconds_bucket{endpoint=\"mutate\",le=\"0.1\"} 2\n"
              "raygate_request_duration_seconds_bucket{endpoint=\"mutate\",le=\"0.5\"} 3\n"
              "raygate_request_duration_seconds_bucket{endpoint=\"mutate\",le=\"1\"} 3\n"
              "raygate_request_duration_seconds_bucket{endpoint=\"mutate\",le=\"+Inf\"} 4\n"
              "raygate_request_duration_seconds_sum{endpoint=\"mutate\"} 2.4\n"
              "raygate_request_duration_seconds_count{endpoint=\"mutate\"} 4\n"
              "raygate_request_duration_seconds_bucket{endpoint=\"validate\",le=\"0.1\"} 0\n"
              "raygate_request_duration_seconds_bucket{endpoint=\"validate\",le=\"0.5\"} 0\n"
              "raygate_request_duration_seconds_bucket{endpoint=\"validate\",le=\"1\"} 1\n"
              "raygate_request_duration_seconds_bucket{endpoint=\"validate\",le=\"+Inf\"} 1\n"
              "raygate_request_duration_seconds_sum{endpoint=\"validate\"} 0.75\n"
              "raygate_request_duration_seconds_count{endpoint=\"validate\"} 1\n");
    rg_free(text);
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_metrics__histogram_default_buckets_unlabelled)
{
    metrics_registry_t *reg = metrics_registry_new();
    rg_error_t err;
    metrics_histogram_t *h =
        metrics_histogram_new(reg, "lat_seconds", "L.", NULL, 0, NULL, 0, &err);
    ck_assert_ptr_nonnull(h);
    metrics_histogram_observe(h, NULL, 0.00005); /* first bucket */
    metrics_histogram_observe(h, NULL, 0.003);   /* le=0.005 */
    metrics_histogram_observe(h, NULL, 10);      /* last finite bucket */
    metrics_histogram_observe(h, NULL, 11);      /* +Inf only */
    char *text = render(reg);
    ck_assert_uint_eq(count_substr(text, "lat_seconds_bucket{"), metrics_default_buckets_len + 1);
    ck_assert_ptr_nonnull(strstr(text, "lat_seconds_bucket{le=\"0.0001\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "lat_seconds_bucket{le=\"0.00025\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "lat_seconds_bucket{le=\"0.0025\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "lat_seconds_bucket{le=\"0.005\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(text, "lat_seconds_bucket{le=\"5\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(text, "lat_seconds_bucket{le=\"10\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(text, "lat_seconds_bucket{le=\"+Inf\"} 4\n"));
    ck_assert_ptr_nonnull(strstr(text, "lat_seconds_count 4\n"));
    ck_assert_ptr_nonnull(strstr(text, "lat_seconds_sum 21.00305"));
    /* Cumulative: each bucket's count is at least the one before it. */
    unsigned long prev = 0;
    for (const char *p = strstr(text, "_bucket{"); p; p = strstr(p + 1, "_bucket{")) {
        const char *sp = strchr(p, ' ');
        unsigned long v = strtoul(sp + 1, NULL, 10);
        ck_assert_uint_ge(v, prev);
        prev = v;
    }
    rg_free(text);
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_metrics__escaping)
{
    metrics_registry_t *reg = metrics_registry_new();
    rg_error_t err;
    const char *const labels[] = {"name"};
    metrics_counter_t *c =
        metrics_counter_new(reg, "esc_total", "back\\slash and\nnewline \"q\"", labels, 1, &err);
    ck_assert_ptr_nonnull(c);
    metrics_counter_add(c, (const char *const[]){"a\"b\\c\nd"}, 1);
    metrics_counter_add(c, (const char *const[]){NULL}, 1); /* NULL value means "" */
    char *text = render(reg);
    ck_assert_str_eq(text, "# HELP esc_total back\\\\slash and\\nnewline \"q\"\n"
                           "# TYPE esc_total counter\n"
                           "esc_total{name=\"\"} 1\n"
                           "esc_total{name=\"a\\\"b\\\\c\\nd\"} 1\n");
    rg_free(text);
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_metrics__long_label_values_are_cut)
{
    metrics_registry_t *reg = metrics_registry_new();
    rg_error_t err;
    const char *const labels[] = {"v"};
    metrics_counter_t *c = metrics_counter_new(reg, "long_total", "", labels, 1, &err);
    char big[METRICS_LABEL_VALUE_MAX + 50];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    metrics_counter_add(c, (const char *const[]){big}, 1);
    big[METRICS_LABEL_VALUE_MAX + 10] = '\0'; /* a different input, same cut value */
    metrics_counter_add(c, (const char *const[]){big}, 1);
    ck_assert_uint_eq(metrics_counter_children(c), 1);
    char *text = render(reg);
    char *want = rg_asprintf("long_total{v=\"%.*s\"} 2\n", METRICS_LABEL_VALUE_MAX, big);
    ck_assert_ptr_nonnull(strstr(text, want));
    rg_free(want);
    rg_free(text);
    metrics_registry_free(reg);
}
END_TEST

/* ---- validation ---------------------------------------------------------------- */

struct name_case {
    const char *name;
    bool ok;
};

static const struct name_case name_cases[] = {
    {"raygate_requests_total", true},
    {"_private", true},
    {"ns:sub:metric", true},
    {"A9_:z", true},
    {"", false},
    {"9starts_with_digit", false},
    {"has-dash", false},
    {"has space", false},
    {"dot.ted", false},
    {"unicode_\xc3\xa9", false},
};

START_TEST(test_metrics__metric_names_validated)
{
    const struct name_case *tc = &name_cases[_i];
    metrics_registry_t *reg = metrics_registry_new();
    rg_error_t err = {0};
    metrics_counter_t *c = metrics_counter_new(reg, tc->name, "h", NULL, 0, &err);
    if (tc->ok) {
        ck_assert_msg(c != NULL, "%s: %s", tc->name, rg_error_str(&err));
    } else {
        ck_assert_msg(c == NULL, "accepted \"%s\"", tc->name);
        ck_assert_int_eq(err.code, RG_ERR_INVAL);
        ck_assert_ptr_nonnull(strstr(err.msg, tc->name));
    }
    metrics_registry_free(reg);
}
END_TEST

struct label_case {
    const char *labels[3];
    size_t n;
    bool histogram;
    bool ok;
};

static const struct label_case label_cases[] = {
    {{"endpoint", "decision"}, 2, false, true},
    {{"_x9"}, 1, false, true},
    {{"le"}, 1, false, true},
    {{"le"}, 1, true, false},
    {{"__reserved"}, 1, false, false},
    {{"has:colon"}, 1, false, false},
    {{"1digit"}, 1, false, false},
    {{""}, 1, false, false},
    {{"a", "b", "a"}, 3, false, false},
    {{NULL}, 1, false, false},
};

START_TEST(test_metrics__label_names_validated)
{
    const struct label_case *tc = &label_cases[_i];
    metrics_registry_t *reg = metrics_registry_new();
    rg_error_t err = {0};
    void *m = tc->histogram
                  ? (void *)metrics_histogram_new(reg, "m", "h", tc->labels, tc->n, NULL, 0, &err)
                  : (void *)metrics_counter_new(reg, "m", "h", tc->labels, tc->n, &err);
    if (tc->ok) {
        ck_assert_msg(m != NULL, "case %d: %s", _i, rg_error_str(&err));
    } else {
        ck_assert_msg(m == NULL, "case %d accepted", _i);
        ck_assert_int_eq(err.code, RG_ERR_INVAL);
    }
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_metrics__duplicates_and_bad_buckets_refused)
{
    metrics_registry_t *reg = metrics_registry_new();
    rg_error_t err;
    ck_assert_ptr_nonnull(metrics_counter_new(reg, "dup", "", NULL, 0, &err));
    ck_assert_ptr_null(metrics_gauge_new(reg, "dup", "", NULL, 0, &err));
    ck_assert_int_eq(err.code, RG_ERR_EXISTS);
    ck_assert_ptr_nonnull(strstr(err.msg, "\"dup\""));

    const double unsorted[] = {0.5, 0.1};
    ck_assert_ptr_null(metrics_histogram_new(reg, "h1", "", NULL, 0, unsorted, 2, &err));
    ck_assert_int_eq(err.code, RG_ERR_INVAL);
    const double equal[] = {0.1, 0.1};
    ck_assert_ptr_null(metrics_histogram_new(reg, "h2", "", NULL, 0, equal, 2, &err));
    const double nan_bound[] = {NAN};
    ck_assert_ptr_null(metrics_histogram_new(reg, "h3", "", NULL, 0, nan_bound, 1, &err));
    /* A trailing +Inf is the implied one, not a second +Inf bucket. */
    const double with_inf[] = {1, INFINITY};
    metrics_histogram_t *h = metrics_histogram_new(reg, "h4", "", NULL, 0, with_inf, 2, &err);
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_null(metrics_gauge_func_new(reg, "f", "", NULL, NULL, &err));
    char *text = render(reg);
    ck_assert_uint_eq(count_substr(text, "h4_bucket{le=\"+Inf\"}"), 1);
    ck_assert_uint_eq(count_substr(text, "h4_bucket{"), 2);
    rg_free(text);
    metrics_registry_free(reg);
    metrics_registry_free(NULL);
}
END_TEST

/* ---- callbacks ----------------------------------------------------------------- */

static double read_u64(void *arg)
{
    return (double)*(const uint64_t *)arg;
}

static double read_double(void *arg)
{
    return *(const double *)arg;
}

START_TEST(test_metrics__callback_metrics_read_at_render)
{
    metrics_registry_t *reg = metrics_registry_new();
    rg_error_t err;
    uint64_t failures = 0;
    double leader = 0;
    metrics_counter_t *c = metrics_counter_func_new(reg, "raygate_audit_failures_total",
                                                    "Audit lines lost.", read_u64, &failures, &err);
    ck_assert_ptr_nonnull(c);
    metrics_gauge_t *g = metrics_gauge_func_new(reg, "raygate_leader", "1 when leading.",
                                                read_double, &leader, &err);
    ck_assert_ptr_nonnull(g);
    leader = 1;
    metrics_counter_add(c, NULL, 5); /* ignored: the callback owns the value */
    failures = 7;
    char *text = render(reg);
    ck_assert_str_eq(text, "# HELP raygate_audit_failures_total Audit lines lost.\n"
                           "# TYPE raygate_audit_failures_total counter\n"
                           "raygate_audit_failures_total 7\n"
                           "# HELP raygate_leader 1 when leading.\n"
                           "# TYPE raygate_leader gauge\n"
                           "raygate_leader 1\n");
    rg_free(text);
    metrics_registry_free(reg);
}
END_TEST

/* ---- cap and growth -------------------------------------------------------------- */

START_TEST(test_metrics__child_cap_drops_and_counts)
{
    metrics_registry_t *reg = metrics_registry_new();
    metrics_registry_set_max_children(reg, 5);
    rg_error_t err;
    const char *const labels[] = {"pod"};
    metrics_counter_t *c = metrics_counter_new(reg, "capped_total", "", labels, 1, &err);
    metrics_histogram_t *h =
        metrics_histogram_new(reg, "capped_seconds", "", labels, 1, NULL, 0, &err);
    char name[32];
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof(name), "pod-%d", i);
        metrics_counter_add(c, (const char *const[]){name}, 1);
        metrics_histogram_observe(h, (const char *const[]){name}, 0.1);
    }
    ck_assert_uint_eq(metrics_counter_children(c), 5);
    ck_assert_uint_eq(metrics_counter_dropped(c), 5);
    ck_assert_uint_eq(metrics_histogram_children(h), 5);
    ck_assert_uint_eq(metrics_histogram_dropped(h), 5);
    ck_assert_ptr_null(metrics_counter_with(c, (const char *const[]){"pod-new"}));
    metrics_counter_child_add(NULL, 1); /* a NULL handle is a no-op */
    /* Existing series still update at the cap. */
    metrics_counter_child_t *p0 = metrics_counter_with(c, (const char *const[]){"pod-0"});
    ck_assert_ptr_nonnull(p0);
    metrics_counter_child_add(p0, 9);
    ck_assert_uint_eq(metrics_counter_child_value(p0), 10);
    metrics_counter_add(c, NULL, 1); /* NULL values on a labelled metric: dropped */
    ck_assert_uint_eq(metrics_registry_dropped(reg), 5 + 1 + 1 + 5);
    rg_free(render(reg));
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_metrics__many_children_stay_distinct)
{
    metrics_registry_t *reg = metrics_registry_new();
    rg_error_t err;
    const char *const labels[] = {"ns", "name"};
    metrics_counter_t *c = metrics_counter_new(reg, "many_total", "", labels, 2, &err);
    enum { N = 5000 };
    char ns[16], nm[16];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            snprintf(ns, sizeof(ns), "ns%d", i % 7);
            snprintf(nm, sizeof(nm), "n%d", i);
            metrics_counter_add(c, (const char *const[]){ns, nm}, (uint64_t)i);
        }
    }
    ck_assert_uint_eq(metrics_counter_children(c), N);
    ck_assert_uint_eq(metrics_counter_dropped(c), 0);
    for (int i = 0; i < N; i += 97) {
        snprintf(ns, sizeof(ns), "ns%d", i % 7);
        snprintf(nm, sizeof(nm), "n%d", i);
        metrics_counter_child_t *ch = metrics_counter_with(c, (const char *const[]){ns, nm});
        ck_assert_uint_eq(metrics_counter_child_value(ch), 2 * (uint64_t)i);
    }
    /* Separator-free concatenations must not collide: ("ab","c") vs ("a","bc"). */
    metrics_counter_add(c, (const char *const[]){"ab", "c"}, 1);
    metrics_counter_add(c, (const char *const[]){"a", "bc"}, 1);
    ck_assert_uint_eq(metrics_counter_children(c), N + 2);
    char *text = render(reg);
    ck_assert_uint_eq(count_substr(text, "many_total{"), N + 2);
    /* Sorted: the ("a","bc") line precedes ("ab","c"). */
    const char *a_bc = strstr(text, "{ns=\"a\",name=\"bc\"}");
    const char *ab_c = strstr(text, "{ns=\"ab\",name=\"c\"}");
    ck_assert(a_bc != NULL && ab_c != NULL && a_bc < ab_c);
    rg_free(text);
    metrics_registry_free(reg);
}
END_TEST

/* ---- concurrency ----------------------------------------------------------------- */

enum { THREADS = 4, ADDS = 100000 };

struct worker {
    metrics_counter_t *c;
    metrics_histogram_t *h;
    metrics_gauge_t *g;
    metrics_registry_t *reg;
    int id;
};

static void *work(void *p)
{
    struct worker *w = p;
    char own[16];
    snprintf(own, sizeof(own), "t%d", w->id);
    const char *const shared_lv[] = {"shared"};
    const char *const own_lv[] = {own};
    metrics_counter_child_t *fast = metrics_counter_with(w->c, shared_lv);
    metrics_histogram_child_t *hfast = metrics_histogram_with(w->h, shared_lv);
    for (int i = 0; i < ADDS; i++) {
        metrics_counter_add(w->c, shared_lv, 1);
        metrics_counter_child_add(fast, 2);
        metrics_counter_add(w->c, own_lv, 1);
        metrics_gauge_add(w->g, shared_lv, 1.0);
        if (i % 4 == 0) {
            metrics_histogram_observe(w->h, own_lv, 0.001);
            metrics_histogram_child_observe(hfast, 0.5);
        }
        if (i % 1000 == 0) {
            /* New children appear while others are being read. */
            char fresh[32];
            snprintf(fresh, sizeof(fresh), "t%d-%d", w->id, i);
            metrics_counter_add(w->c, (const char *const[]){fresh}, 1);
        }
        if (i % 20000 == 0) {
            rg_buf_t b = RG_BUF_INIT;
            metrics_registry_render(w->reg, &b);
            rg_buf_release(&b);
        }
    }
    return NULL;
}

START_TEST(test_metrics__concurrent_updates_are_exact)
{
    metrics_registry_t *reg = metrics_registry_new();
    rg_error_t err;
    const char *const labels[] = {"who"};
    struct worker w[THREADS];
    metrics_counter_t *c = metrics_counter_new(reg, "conc_total", "", labels, 1, &err);
    metrics_histogram_t *h =
        metrics_histogram_new(reg, "conc_seconds", "", labels, 1, NULL, 0, &err);
    metrics_gauge_t *g = metrics_gauge_new(reg, "conc_gauge", "", labels, 1, &err);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){c, h, g, reg, i};
        ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);

    const char *const shared_lv[] = {"shared"};
    ck_assert_uint_eq(metrics_counter_child_value(metrics_counter_with(c, shared_lv)),
                      (uint64_t)THREADS * ADDS * 3);
    for (int i = 0; i < THREADS; i++) {
        char own[16];
        snprintf(own, sizeof(own), "t%d", i);
        ck_assert_uint_eq(
            metrics_counter_child_value(metrics_counter_with(c, (const char *const[]){own})),
            (uint64_t)ADDS);
        ck_assert_uint_eq(
            metrics_histogram_child_count(metrics_histogram_with(h, (const char *const[]){own})),
            (uint64_t)ADDS / 4);
    }
    ck_assert_uint_eq(metrics_histogram_child_count(metrics_histogram_with(h, shared_lv)),
                      (uint64_t)THREADS * ADDS / 4);
    ck_assert(metrics_gauge_child_value(metrics_gauge_with(g, shared_lv)) ==
              (double)THREADS * ADDS);
    ck_assert_uint_eq(metrics_counter_children(c), 1 + THREADS + THREADS * (ADDS / 1000));

    char *text = render(reg);
    char want[96];
    snprintf(want, sizeof(want), "conc_seconds_count{who=\"shared\"} %d\n", THREADS * ADDS / 4);
    ck_assert_ptr_nonnull(strstr(text, want));
    snprintf(want, sizeof(want), "conc_seconds_sum{who=\"shared\"} %d\n", THREADS * ADDS / 8);
    ck_assert_ptr_nonnull(strstr(text, want));
    rg_free(text);
    metrics_registry_free(reg);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("render");
    tcase_add_test(tc, test_metrics__counter_golden);
    tcase_add_test(tc, test_metrics__gauge_golden);
    tcase_add_test(tc, test_metrics__histogram_golden);
    tcase_add_test(tc, test_metrics__histogram_default_buckets_unlabelled);
    tcase_add_test(tc, test_metrics__escaping);
    tcase_add_test(tc, test_metrics__long_label_values_are_cut);
    tcase_add_test(tc, test_metrics__callback_metrics_read_at_render);
    suite_add_tcase(s, tc);

    tc = tcase_create("validate");
    tcase_add_loop_test(tc, test_metrics__metric_names_validated, 0,
                        (int)(sizeof(name_cases) / sizeof(name_cases[0])));
    tcase_add_loop_test(tc, test_metrics__label_names_validated, 0,
                        (int)(sizeof(label_cases) / sizeof(label_cases[0])));
    tcase_add_test(tc, test_metrics__duplicates_and_bad_buckets_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("children");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_metrics__child_cap_drops_and_counts);
    tcase_add_test(tc, test_metrics__many_children_stay_distinct);
    tcase_add_test(tc, test_metrics__concurrent_updates_are_exact);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(metrics_suite());
}

/*
 * Leader election: the pure decision table offline, then electors racing
 * for one Lease on the API-server double (graceful handover, a crashed
 * leader, renew failures), checked from the callbacks and the double's
 * write log.
 */
#include "harness.h"
#include "raygate/alloc.h"
#include "raygate/kube.h"
#include "raygate/leader.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MS INT64_C(1000000)
#define SEC INT64_C(1000000000)

/* ---- the decision table ---- */

static const char *LEASE_FMT =
    "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\","
    "\"metadata\":{\"name\":\"raygate\",\"namespace\":\"kube-system\",\"resourceVersion\":\"42\"},"
    "\"spec\":{\"holderIdentity\":\"%s\",%s\"acquireTime\":\"%s\",\"renewTime\":\"%s\","
    "\"leaseTransitions\":3}}";

typedef struct decide_case {
    const char *name;
    bool absent;
    const char *holder;
    const char *duration; /* the leaseDurationSeconds member, "" for none */
    const char *renew_time;
    bool am_leader;
    int64_t last_renew_ago_ms;
    int64_t observed_ago_ms; /* when this same record was first seen; 0: now */
    leader_action_t want;
    const char *want_holder;
    int want_transitions;
} decide_case_t;

#define D15 "\"leaseDurationSeconds\":15,"
#define NOW_TS "2030-01-01T00:00:00.000000Z"
#define OLD_TS "2001-01-01T00:00:00.000000Z"
#define FUTURE_TS "2099-01-01T00:00:00.000000Z"

static const decide_case_t DECIDE[] = {
    {"absent, candidate -> create", true, NULL, NULL, NULL, false, 0, 0, LEADER_CREATE, "me", 0},
    {"absent, leader -> lost", true, NULL, NULL, NULL, true, 1000, 0, LEADER_LOST, NULL, -1},
    {"other, fresh -> wait", false, "other", D15, NOW_TS, false, 0, 0, LEADER_WAIT, NULL, -1},
    {"other, seen unchanged 14s -> wait", false, "other", D15, NOW_TS, false, 0, 14000, LEADER_WAIT,
     NULL, -1},
    {"other, seen unchanged 16s -> acquire", false, "other", D15, NOW_TS, false, 0, 16000,
     LEADER_ACQUIRE, "me", 4},
    {"skew: remote renewTime ancient but just changed -> wait", false, "other", D15, OLD_TS, false,
     0, 0, LEADER_WAIT, NULL, -1},
    {"skew: remote renewTime in the future but stale -> acquire", false, "other", D15, FUTURE_TS,
     false, 0, 16000, LEADER_ACQUIRE, "me", 4},
    {"released (empty holder) -> acquire", false, "", "\"leaseDurationSeconds\":1,", NOW_TS, false,
     0, 0, LEADER_ACQUIRE, "me", 4},
    {"no duration -> expired -> acquire", false, "other", "", NOW_TS, false, 0, 0, LEADER_ACQUIRE,
     "me", 4},
    {"mine, leading, renewed 3s ago -> renew", false, "me", D15, NOW_TS, true, 3000, 3000,
     LEADER_RENEW, "me", 3},
    {"mine, leading, renew deadline passed -> lost", false, "me", D15, NOW_TS, true, 10001, 3000,
     LEADER_LOST, NULL, -1},
    {"other holds it, I thought I led -> lost", false, "other", D15, NOW_TS, true, 1000, 0,
     LEADER_LOST, NULL, -1},
    {"mine but not leading, fresh -> wait it out", false, "me", D15, NOW_TS, false, 0, 1000,
     LEADER_WAIT, NULL, -1},
    {"mine but not leading, expired -> acquire, no transition", false, "me", D15, NOW_TS, false, 0,
     15000, LEADER_ACQUIRE, "me", 3},
};

static cJSON *lease_make(const char *holder, const char *duration, const char *renew)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), LEASE_FMT, holder, duration, NOW_TS, renew);
    rg_error_t err = {0};
    cJSON *l = rg_json_parse(buf, strlen(buf), &err);
    ck_assert_msg(l != NULL, "%s", rg_error_str(&err));
    return l;
}

static leader_durations_t dur_default(void)
{
    leader_durations_t d;
    rg_error_t err = {0};
    ck_assert_int_eq(leader_durations_resolve(NULL, &d, &err), 0);
    return d;
}

START_TEST(test_leader__decide_table)
{
    const decide_case_t *c = &DECIDE[_i];
    const int64_t now = 1000 * SEC, wall = INT64_C(1893456000) * SEC;
    cJSON *lease = c->absent ? NULL : lease_make(c->holder, c->duration, c->renew_time);
    leader_observation_t obs = {0};
    rg_error_t err = {0};
    if (lease && c->observed_ago_ms)
        ck_assert_int_eq(leader_observe(&obs, lease, now - c->observed_ago_ms * MS, &err), 0);
    leader_input_t in = {
        .lease = lease,
        .identity = "me",
        .ns = "kube-system",
        .name = "raygate",
        .dur = dur_default(),
        .am_leader = c->am_leader,
        .last_renew_mono_ns = now - c->last_renew_ago_ms * MS,
        .mono_ns = now,
        .wall_ns = wall,
    };
    leader_decision_t d;
    ck_assert_int_eq(leader_lease_decide(&in, &obs, &d, &err), 0);
    ck_assert_msg(d.action == c->want, "%s: got %s want %s", c->name, leader_action_name(d.action),
                  leader_action_name(c->want));
    if (c->want_holder) {
        ck_assert_ptr_nonnull(d.lease);
        const cJSON *spec = rg_json_get_object(d.lease, "spec");
        ck_assert_str_eq(rg_json_get_string(spec, "holderIdentity"), c->want_holder);
        ck_assert_int_eq((int)cJSON_GetObjectItem(spec, "leaseDurationSeconds")->valuedouble, 15);
        ck_assert_int_eq((int)cJSON_GetObjectItem(spec, "leaseTransitions")->valuedouble,
                         c->want_transitions);
        ck_assert_str_eq(rg_json_get_string(spec, "renewTime"), NOW_TS);
        if (d.action == LEADER_RENEW) /* a renewal keeps the term's start */
            ck_assert_str_eq(rg_json_get_string(spec, "acquireTime"), NOW_TS);
        if (d.action == LEADER_ACQUIRE || d.action == LEADER_RENEW)
            ck_assert_str_eq(
                rg_json_get_string(rg_json_get_object(d.lease, "metadata"), "resourceVersion"),
                "42");
        if (d.action == LEADER_CREATE)
            ck_assert_str_eq(
                rg_json_get_string(rg_json_get_object(d.lease, "metadata"), "namespace"),
                "kube-system");
    } else {
        ck_assert_ptr_null(d.lease);
    }
    if (d.action == LEADER_WAIT)
        ck_assert(d.expires_in_ns > 0 && d.expires_in_ns <= 15 * SEC);
    cJSON_Delete(d.lease);
    cJSON_Delete(lease);
    leader_observation_release(&obs);
}
END_TEST

/* A changed record restarts the expiry clock, whatever its timestamps say. */
START_TEST(test_leader__observation_resets_on_change)
{
    leader_observation_t obs = {0};
    rg_error_t err = {0};
    leader_durations_t dur = dur_default();
    cJSON *a = lease_make("other", D15, NOW_TS);
    cJSON *b = lease_make("other", D15, OLD_TS); /* renewed, clock far behind */
    ck_assert_int_eq(leader_observe(&obs, a, 0, &err), 0);
    leader_input_t in = {.lease = b,
                         .identity = "me",
                         .ns = "n",
                         .name = "l",
                         .dur = dur,
                         .mono_ns = 14 * SEC,
                         .wall_ns = 0};
    leader_decision_t d;
    ck_assert_int_eq(leader_lease_decide(&in, &obs, &d, &err), 0);
    ck_assert_int_eq(d.action, LEADER_WAIT);
    ck_assert_int_eq(obs.observed_mono_ns, 14 * SEC);
    in.mono_ns = 28 * SEC; /* 14 s after the change: still valid */
    ck_assert_int_eq(leader_lease_decide(&in, &obs, &d, &err), 0);
    ck_assert_int_eq(d.action, LEADER_WAIT);
    ck_assert_int_eq(d.expires_in_ns, 1 * SEC);
    in.mono_ns = 29 * SEC;
    ck_assert_int_eq(leader_lease_decide(&in, &obs, &d, &err), 0);
    ck_assert_int_eq(d.action, LEADER_ACQUIRE);
    cJSON_Delete(d.lease);
    /* The same record seen again does not move the clock. */
    ck_assert_int_eq(leader_observe(&obs, b, 40 * SEC, &err), 0);
    ck_assert_int_eq(obs.observed_mono_ns, 14 * SEC);
    cJSON_Delete(a);
    cJSON_Delete(b);
    leader_observation_release(&obs);
}
END_TEST

START_TEST(test_leader__decide_malformed)
{
    static const char *const BAD[] = {
        "{\"spec\":{\"holderIdentity\":7}}",
        "{\"spec\":[]}",
        "{\"spec\":{\"leaseDurationSeconds\":\"15\"}}",
        "[]",
    };
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        rg_error_t err = {0};
        cJSON *l = rg_json_parse(BAD[i], strlen(BAD[i]), &err);
        leader_observation_t obs = {0};
        leader_input_t in = {.lease = l,
                             .identity = "me",
                             .ns = "n",
                             .name = "l",
                             .dur = dur_default(),
                             .mono_ns = SEC};
        leader_decision_t d;
        ck_assert_int_eq(leader_lease_decide(&in, &obs, &d, &err), RG_ERR_PARSE);
        ck_assert_ptr_nonnull(strstr(err.msg, "lease"));
        ck_assert_ptr_null(d.lease);
        cJSON_Delete(l);
        leader_observation_release(&obs);
    }
}
END_TEST

START_TEST(test_leader__release)
{
    cJSON *mine = lease_make("me", D15, NOW_TS);
    cJSON *rel = leader_lease_release_build(mine, "me", INT64_C(1893456000) * SEC);
    ck_assert_ptr_nonnull(rel);
    const cJSON *spec = rg_json_get_object(rel, "spec");
    ck_assert_str_eq(rg_json_get_string(spec, "holderIdentity"), "");
    ck_assert_int_eq((int)cJSON_GetObjectItem(spec, "leaseDurationSeconds")->valuedouble, 1);
    ck_assert_int_eq((int)cJSON_GetObjectItem(spec, "leaseTransitions")->valuedouble, 3);
    ck_assert_str_eq(rg_json_get_string(rg_json_get_object(rel, "metadata"), "resourceVersion"),
                     "42");
    /* A released lease is taken at once by a candidate, counting a transition. */
    leader_observation_t obs = {0};
    rg_error_t err = {0};
    leader_input_t in = {.lease = rel,
                         .identity = "next",
                         .ns = "n",
                         .name = "l",
                         .dur = dur_default(),
                         .mono_ns = SEC};
    leader_decision_t d;
    ck_assert_int_eq(leader_lease_decide(&in, &obs, &d, &err), 0);
    ck_assert_int_eq(d.action, LEADER_ACQUIRE);
    ck_assert_int_eq(
        (int)cJSON_GetObjectItem(rg_json_get_object(d.lease, "spec"), "leaseTransitions")
            ->valuedouble,
        4);
    cJSON_Delete(d.lease);
    leader_observation_release(&obs);
    cJSON_Delete(rel);
    /* Not mine: nothing to release. */
    ck_assert_ptr_null(leader_lease_release_build(mine, "someone-else", 0));
    ck_assert_ptr_null(leader_lease_release_build(NULL, "me", 0));
    cJSON_Delete(mine);
}
END_TEST

START_TEST(test_leader__durations)
{
    leader_durations_t d;
    rg_error_t err = {0};
    ck_assert_int_eq(leader_durations_resolve(NULL, &d, &err), 0);
    ck_assert_uint_eq(d.lease_ms, 15000);
    ck_assert_uint_eq(d.renew_deadline_ms, 10000);
    ck_assert_uint_eq(d.retry_ms, 2000);
    leader_durations_t bad1 = {10000, 10000, 2000};
    ck_assert_int_eq(leader_durations_resolve(&bad1, &d, &err), RG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "renew deadline"));
    leader_durations_t bad2 = {15000, 2400, 2000};
    ck_assert_int_eq(leader_durations_resolve(&bad2, &d, &err), RG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "retry period"));
    leader_durations_t ok = {3000, 2000, 500};
    ck_assert_int_eq(leader_durations_resolve(&ok, &d, &err), 0);
    ck_assert_uint_eq(d.retry_ms, 500);
}
END_TEST

START_TEST(test_leader__identity_default)
{
    char *a = leader_identity_default(), *b = leader_identity_default();
    ck_assert_ptr_nonnull(strchr(a, '_'));
    ck_assert(strlen(a) <= LEADER_IDENTITY_MAX && strlen(a) > 17);
    ck_assert_str_ne(a, b);
    rg_free(a);
    rg_free(b);
}
END_TEST

/* ---- electors against the double ---- */

static rg_double_t D;
static kube_creds_t CREDS;
static kube_client_t *C;
static const leader_durations_t FAST = {3000, 2000, 500};

static void suite_setup(void)
{
    /* A short timeout and one retry: a lease request must not outlast the deadline. */
    kube_client_opts_t o = {.qps = 200, .burst = 200, .timeout_ms = 1000, .max_retries = 1};
    rgt_double_client_start(&D, NULL, &CREDS, &o, &C);
}

static void suite_teardown(void)
{
    rgt_double_client_stop(&D, &CREDS, &C);
}

/* What one elector's callbacks saw: its leadership terms by both clocks. */
#define TERMS_MAX 16
typedef struct probe {
    pthread_mutex_t mu;
    leader_elector_t *le;
    int n;
    int64_t start[TERMS_MAX], end[TERMS_MAX]; /* monotonic; end 0 while leading */
    double end_wall[TERMS_MAX];
    bool flag_at_stop; /* leader_elector_is_leader inside on_stopped_leading */
} probe_t;

static void on_started(void *arg)
{
    probe_t *p = arg;
    pthread_mutex_lock(&p->mu);
    if (p->n < TERMS_MAX) {
        p->start[p->n] = rg_time_mono_ns();
        p->end[p->n] = 0;
        p->n++;
    }
    pthread_mutex_unlock(&p->mu);
}

static void on_stopped(void *arg)
{
    probe_t *p = arg;
    pthread_mutex_lock(&p->mu);
    if (p->n > 0 && p->end[p->n - 1] == 0) {
        p->end[p->n - 1] = rg_time_mono_ns();
        p->end_wall[p->n - 1] = (double)rg_time_now_ns() / 1e9;
    }
    if (p->le && leader_elector_is_leader(p->le))
        p->flag_at_stop = true;
    pthread_mutex_unlock(&p->mu);
}

static leader_elector_t *elector(probe_t *p, const char *lease, const char *identity)
{
    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    leader_opts_t o = {.ns = "default",
                       .name = lease,
                       .identity = identity,
                       .dur = FAST,
                       .on_started_leading = on_started,
                       .on_stopped_leading = on_stopped,
                       .arg = p};
    rg_error_t err = {0};
    p->le = leader_elector_new(C, &o, &err);
    ck_assert_msg(p->le != NULL, "%s", rg_error_str(&err));
    return p->le;
}

static void probe_done(probe_t *p)
{
    leader_elector_free(p->le);
    p->le = NULL;
    pthread_mutex_destroy(&p->mu);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits up to ms for pred over the probes; returns the elapsed ms or -1. */
static int wait_leader(leader_elector_t *le, int ms)
{
    int64_t t0 = rg_time_mono_ns();
    while (rg_time_mono_ns() - t0 < (int64_t)ms * MS) {
        if (leader_elector_is_leader(le))
            return (int)((rg_time_mono_ns() - t0) / MS);
        sleep_ms(20);
    }
    return -1;
}

/* No two probes' terms overlap in time. */
static void assert_terms_disjoint(probe_t *a, probe_t *b)
{
    int64_t far = rg_time_mono_ns() + 1000 * SEC;
    for (int i = 0; i < a->n; i++)
        for (int j = 0; j < b->n; j++) {
            int64_t ae = a->end[i] ? a->end[i] : far, be = b->end[j] ? b->end[j] : far;
            ck_assert_msg(a->start[i] >= be || b->start[j] >= ae, "terms overlap: a[%d] and b[%d]",
                          i, j);
        }
}

/*
 * From the double's write log: successful writes of this Lease, in order.
 * Whenever the holder changes from one identity to another without a
 * release in between, the newcomer must have waited a lease duration
 * since the previous holder's last write: so no two terms overlap.
 */
static int check_write_log(const char *lease)
{
    cJSON *w = NULL;
    rg_error_t err = {0};
    ck_assert_msg(rg_double_writes(&D, 0, &w, &err) == 0, "%s", rg_error_str(&err));
    char needle[128];
    snprintf(needle, sizeof(needle), "/leases/%s", lease);
    const char *prev = NULL;
    double prev_t = 0;
    int handovers = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, rg_json_get_array(w, "items"))
    {
        const char *path = rg_json_get_string(it, "path");
        const char *name = rg_json_get_string(it, "name");
        const cJSON *code = cJSON_GetObjectItem(it, "code");
        bool ours = (path && strstr(path, needle)) ||
                    (name && strcmp(name, lease) == 0 && path && strstr(path, "/leases"));
        if (!ours || !cJSON_IsNumber(code) || (code->valueint != 200 && code->valueint != 201))
            continue;
        const char *h = rg_json_get_string(it, "holderIdentity");
        double t = cJSON_GetObjectItem(it, "time")->valuedouble;
        if (h == NULL || h[0] == '\0') {
            prev = NULL; /* released: anyone may take it at once */
            continue;
        }
        if (prev && strcmp(prev, h) != 0) {
            ck_assert_msg(t - prev_t >= FAST.lease_ms / 1000.0 - 0.05,
                          "%s took over %.3fs after %s's last renewal", h, t - prev_t, prev);
            handovers++;
        }
        prev = h;
        prev_t = t;
    }
    cJSON_Delete(w);
    return handovers;
}

START_TEST(test_leader__one_leader_then_graceful_handover)
{
    probe_t pa, pb;
    leader_elector_t *a = elector(&pa, "handover", "replica-a");
    leader_elector_t *b = elector(&pb, "handover", "replica-b");
    rg_error_t err = {0};
    ck_assert_int_eq(leader_elector_start(a, &err), 0);
    ck_assert_int_eq(leader_elector_start(b, &err), 0);
    int64_t t0 = rg_time_mono_ns();
    while (!leader_elector_is_leader(a) && !leader_elector_is_leader(b) &&
           rg_time_mono_ns() - t0 < 5 * SEC)
        sleep_ms(20);
    /* Sample for 2 s: exactly one leads, always. */
    for (int i = 0; i < 100; i++) {
        int n = leader_elector_is_leader(a) + leader_elector_is_leader(b);
        ck_assert_int_eq(n, 1);
        sleep_ms(20);
    }
    leader_elector_t *lead = leader_elector_is_leader(a) ? a : b;
    leader_elector_t *other = lead == a ? b : a;
    int64_t ts = rg_time_mono_ns();
    leader_elector_stop(lead);
    ck_assert(!leader_elector_is_leader(lead));
    int took = wait_leader(other, 4000);
    ck_assert_msg(took >= 0, "no successor after a graceful stop");
    ck_assert_msg(rg_time_mono_ns() - ts < 3 * SEC, "successor took %lld ms",
                  (long long)((rg_time_mono_ns() - ts) / MS));
    leader_stats_t st;
    leader_elector_stats_get(other, &st);
    ck_assert(st.is_leader);
    ck_assert_uint_eq(st.became_leader, 1);
    ck_assert_int_ge(st.lease_transitions, 1);
    leader_elector_stop(other);
    ck_assert(!pa.flag_at_stop && !pb.flag_at_stop);
    assert_terms_disjoint(&pa, &pb);
    check_write_log("handover");
    probe_done(&pa);
    probe_done(&pb);
}
END_TEST

START_TEST(test_leader__crashed_leader_expires)
{
    probe_t pa, pb;
    leader_elector_t *a = elector(&pa, "crash", "crash-a");
    leader_elector_t *b = elector(&pb, "crash", "crash-b");
    rg_error_t err = {0};
    ck_assert_int_eq(leader_elector_start(a, &err), 0);
    ck_assert_int_ge(wait_leader(a, 5000), 0);
    ck_assert_int_eq(leader_elector_start(b, &err), 0);
    sleep_ms(1000); /* b watches a renew */
    ck_assert(!leader_elector_is_leader(b));
    int64_t ts = rg_time_mono_ns();
    leader_elector_abandon(a); /* no release: the lease must expire */
    ck_assert_int_ge(wait_leader(b, 6000), 0);
    int64_t ms = (rg_time_mono_ns() - ts) / MS;
    /* It waited for expiry (lease 3 s from its last observed renewal, at
     * most a retry period before the crash) and not much longer. */
    ck_assert_msg(ms >= 2000 && ms <= 3000 + 2000, "took over after %lld ms", (long long)ms);
    leader_elector_stop(b);
    assert_terms_disjoint(&pa, &pb);
    ck_assert_int_ge(check_write_log("crash"), 1);
    probe_done(&pa);
    probe_done(&pb);
}
END_TEST

START_TEST(test_leader__renew_failures_step_down)
{
    probe_t pa;
    leader_elector_t *a = elector(&pa, "faulty", "faulty-a");
    rg_error_t err = {0};
    ck_assert_int_eq(leader_elector_start(a, &err), 0);
    ck_assert_int_ge(wait_leader(a, 5000), 0);
    sleep_ms(700);
    int64_t tf = rg_time_mono_ns();
    ck_assert_int_eq(rg_double_faults(&D,
                                      "{\"failNext\":{\"code\":500,\"count\":100000,"
                                      "\"pathPrefix\":\"/apis/coordination.k8s.io/v1/"
                                      "namespaces/default/leases/faulty\",\"methods\":[\"PUT\"]}}",
                                      &err),
                     0);
    /* The renew deadline (2 s) from the last good renewal, at most a retry before. */
    while (leader_elector_is_leader(a) && rg_time_mono_ns() - tf < 4 * SEC)
        sleep_ms(10);
    int64_t down_ms = (rg_time_mono_ns() - tf) / MS;
    ck_assert_msg(!leader_elector_is_leader(a), "still leading %lld ms into the fault",
                  (long long)down_ms);
    ck_assert_msg(down_ms <= 2000 + 400, "stepped down %lld ms into the fault", (long long)down_ms);
    ck_assert_int_eq(pa.n, 1);
    ck_assert(pa.end[0] != 0);
    ck_assert(!pa.flag_at_stop);
    double down_wall = pa.end_wall[0];
    sleep_ms(2500);
    ck_assert(!leader_elector_is_leader(a));
    ck_assert_int_eq(pa.n, 1);
    leader_stats_t st;
    leader_elector_stats_get(a, &st);
    ck_assert_uint_eq(st.lost, 1);
    ck_assert_uint_ge(st.renew_failures, 2);

    /* While its old term could still be valid, the ex-leader wrote nothing. */
    cJSON *w = NULL;
    ck_assert_int_eq(rg_double_writes(&D, 0, &w, &err), 0);
    const cJSON *it;
    int quiet_writes = 0, fail_writes = 0;
    cJSON_ArrayForEach(it, rg_json_get_array(w, "items"))
    {
        const char *path = rg_json_get_string(it, "path");
        if (!path || !strstr(path, "/leases/faulty"))
            continue;
        double t = cJSON_GetObjectItem(it, "time")->valuedouble;
        if (t > down_wall + 0.5 && t < down_wall + 0.9)
            quiet_writes++;
        if (cJSON_GetObjectItem(it, "code")->valueint == 500)
            fail_writes++;
    }
    cJSON_Delete(w);
    ck_assert_int_eq(quiet_writes, 0);
    ck_assert_int_ge(fail_writes, 2);

    /* The fault ends: the lease is won again. */
    ck_assert_int_eq(rg_double_faults(&D, "{\"reset\":true}", &err), 0);
    ck_assert_int_ge(wait_leader(a, 5000), 0);
    ck_assert_int_eq(pa.n, 2);
    leader_elector_stop(a);
    check_write_log("faulty");
    probe_done(&pa);
}
END_TEST

/* Three replicas, leaders stopped one after another: never two at once. */
START_TEST(test_leader__rotation_never_overlaps)
{
    probe_t p[3];
    leader_elector_t *e[3];
    static const char *const ids[] = {"rot-0", "rot-1", "rot-2"};
    rg_error_t err = {0};
    for (int i = 0; i < 3; i++) {
        e[i] = elector(&p[i], "rotation", ids[i]);
        ck_assert_int_eq(leader_elector_start(e[i], &err), 0);
    }
    bool stopped[3] = {false, false, false};
    for (int round = 0; round < 2; round++) {
        int64_t t0 = rg_time_mono_ns();
        int lead = -1;
        while (lead < 0 && rg_time_mono_ns() - t0 < 6 * SEC) {
            int n = 0;
            for (int i = 0; i < 3; i++)
                if (leader_elector_is_leader(e[i])) {
                    lead = i;
                    n++;
                }
            ck_assert_int_le(n, 1);
            sleep_ms(10);
        }
        ck_assert_int_ge(lead, 0);
        if (round == 0)
            leader_elector_stop(e[lead]);
        else
            leader_elector_abandon(e[lead]);
        stopped[lead] = true;
    }
    for (int i = 0; i < 3; i++)
        if (!stopped[i])
            ck_assert_int_ge(wait_leader(e[i], 6000), 0);
    for (int i = 0; i < 3; i++)
        leader_elector_stop(e[i]);
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            assert_terms_disjoint(&p[i], &p[j]);
    ck_assert_int_ge(check_write_log("rotation"), 1);
    for (int i = 0; i < 3; i++)
        probe_done(&p[i]);
}
END_TEST

START_TEST(test_leader__new_validates)
{
    rg_error_t err = {0};
    leader_opts_t o = {.ns = "default", .name = ""};
    ck_assert_ptr_null(leader_elector_new(C, &o, &err));
    ck_assert_int_eq(err.code, RG_ERR_CONFIG);
    o.name = "x";
    o.dur = (leader_durations_t){1000, 2000, 500};
    ck_assert_ptr_null(leader_elector_new(C, &o, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "lease duration"));
    o.dur = FAST;
    leader_elector_t *le = leader_elector_new(C, &o, &err);
    ck_assert_ptr_nonnull(le);
    ck_assert_ptr_nonnull(strchr(leader_elector_identity(le), '_'));
    ck_assert(!leader_elector_is_leader(le));
    leader_elector_stop(le); /* never started: nothing to do */
    leader_elector_free(le);
    leader_elector_free(NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("leader");
    TCase *pure = tcase_create("decide");
    tcase_add_loop_test(pure, test_leader__decide_table, 0,
                        (int)(sizeof(DECIDE) / sizeof(DECIDE[0])));
    tcase_add_test(pure, test_leader__observation_resets_on_change);
    tcase_add_test(pure, test_leader__decide_malformed);
    tcase_add_test(pure, test_leader__release);
    tcase_add_test(pure, test_leader__durations);
    tcase_add_test(pure, test_leader__identity_default);
    suite_add_tcase(s, pure);

    TCase *tc = tcase_create("double");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_test(tc, test_leader__new_validates);
    tcase_add_test(tc, test_leader__one_leader_then_graceful_handover);
    tcase_add_test(tc, test_leader__crashed_leader_expires);
    tcase_add_test(tc, test_leader__renew_failures_step_down);
    tcase_add_test(tc, test_leader__rotation_never_overlaps);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(suite());
}

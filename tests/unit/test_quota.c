/*
 * Table tests of the quota engine (src/quota): every file in
 * tests/fixtures/quota/ is one case, a YAML stream of real Kueue objects
 * (ClusterQueues, ResourceFlavors, LocalQueues, priority classes,
 * Namespaces, Workloads with or without status.admission) fed to the model
 * in order. A document `kind: Expect` runs a pass and checks its decisions
 * exactly: `admitted` (every ADMIT, with "podSet:resource=flavor,..."),
 * `pending` ("Reason|message substring"), `evicted` ("Reason", or for a
 * preemption "Preempted|PreemptedReason[|message substring]") and
 * `deactivated` (DeactivationTarget reason), and after the pass
 * `weightedShares` (status.fairSharing.weightedShare of "cq/NAME" and
 * "cohort/NAME"); a document `kind: Delete`
 * removes an object, `kind: EvictionFailed` reports an eviction's write
 * as failed, `kind: Config` sets the engine's policy
 * configuration (fairSharing, minRuntimeSeconds, thrash*, podsReady*), and
 * `kind: Simulate` runs the objects so far in a closed loop with a
 * simulated clock (run_simulate). Inputs and expected
 * assignments follow Kueue's flavor-assigner and scheduler tests (each file
 * names the upstream case it takes).
 */
#include "raygate/alloc.h"
#include "raygate/config.h"
#include "raygate/quota.h"
#include "raygate/timeutil.h"

#include <check.h>

#include "harness.h"
#include "quota_sim.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CASES 256

static char *case_files[MAX_CASES];
static int n_cases;

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_cases(void)
{
    const char *root = getenv("RG_FIXTURES");
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/quota", root ? root : "tests/fixtures");
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n_cases < MAX_CASES) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0)
            case_files[n_cases++] = rg_asprintf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(case_files, (size_t)n_cases, sizeof(char *), cmp_name);
}

/* "podSet:res=flavor,res=flavor;podSet:..." of an admission, owned. */
static char *render_admission(const quota_admission_t *a)
{
    rg_buf_t b = RG_BUF_INIT;
    for (size_t i = 0; i < a->n_podsets; i++) {
        rg_buf_appendf(&b, "%s%s:", i ? ";" : "", a->podsets[i].name);
        for (size_t r = 0; r < a->podsets[i].n_res; r++)
            rg_buf_appendf(&b, "%s%s=%s", r ? "," : "", a->podsets[i].res[r].resource,
                           a->podsets[i].res[r].flavor);
    }
    if (b.data == NULL)
        rg_buf_append_str(&b, "");
    return rg_buf_detach(&b, NULL);
}

static const quota_decision_t *find_decision(const quota_decisions_t *d, quota_decision_kind_t kind,
                                             const char *key)
{
    for (size_t i = 0; i < d->n; i++) {
        char k[600];
        snprintf(k, sizeof(k), "%s/%s", d->v[i].ns, d->v[i].name);
        if (d->v[i].kind == kind && strcmp(k, key) == 0)
            return &d->v[i];
    }
    return NULL;
}

static size_t count_kind(const quota_decisions_t *d, quota_decision_kind_t kind)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        n += d->v[i].kind == kind;
    return n;
}

static void check_admitted(const char *file, const cJSON *want, const quota_decisions_t *d)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, want)
    {
        const quota_decision_t *x = find_decision(d, QUOTA_DECISION_ADMIT, it->string);
        ck_assert_msg(x != NULL, "%s: %s not admitted", file, it->string);
        if (cJSON_IsString(it) && it->valuestring[0]) {
            char *got = render_admission(x->admission);
            ck_assert_msg(strcmp(got, it->valuestring) == 0, "%s: %s admitted as %s, want %s", file,
                          it->string, got, it->valuestring);
            rg_free(got);
        }
    }
    size_t n_want = (size_t)cJSON_GetArraySize(want);
    if (count_kind(d, QUOTA_DECISION_ADMIT) != n_want) {
        for (size_t i = 0; i < d->n; i++)
            if (d->v[i].kind == QUOTA_DECISION_ADMIT)
                fprintf(stderr, "%s: admitted %s/%s\n", file, d->v[i].ns, d->v[i].name);
    }
    ck_assert_msg(count_kind(d, QUOTA_DECISION_ADMIT) == n_want, "%s: %zu admitted, want %zu", file,
                  count_kind(d, QUOTA_DECISION_ADMIT), n_want);
}

static void check_pending(const char *file, const cJSON *want, const quota_decisions_t *d)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, want)
    {
        const quota_decision_t *x = find_decision(d, QUOTA_DECISION_PENDING, it->string);
        ck_assert_msg(x != NULL, "%s: no pending decision for %s", file, it->string);
        const char *exp = cJSON_IsString(it) ? it->valuestring : "";
        const char *bar = strchr(exp, '|');
        ck_assert_msg(bar != NULL, "%s: pending %s must be \"Reason|text\"", file, it->string);
        ck_assert_msg(strncmp(x->reason, exp, (size_t)(bar - exp)) == 0 &&
                          strlen(x->reason) == (size_t)(bar - exp),
                      "%s: %s pending with reason %s, want %.*s", file, it->string, x->reason,
                      (int)(bar - exp), exp);
        ck_assert_msg(strstr(x->message, bar + 1) != NULL,
                      "%s: %s pending with \"%s\", want \"%s\"", file, it->string, x->message,
                      bar + 1);
    }
}

/* "a|b|c" split into at most three parts (pointers into buf). */
static size_t split3(const char *v, char *buf, size_t size, const char *part[3])
{
    snprintf(buf, size, "%s", v ? v : "");
    size_t n = 0;
    char *p = buf;
    part[n++] = p;
    while (n < 3 && (p = strchr(p, '|')) != NULL) {
        *p++ = '\0';
        part[n++] = p;
    }
    return n;
}

static void check_evicted(const char *file, const cJSON *want, const quota_decisions_t *d)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, want)
    {
        const quota_decision_t *x = find_decision(d, QUOTA_DECISION_EVICT, it->string);
        if (x == NULL)
            for (size_t i = 0; i < d->n; i++)
                fprintf(stderr, "%s: decision %d %s/%s %s\n", file, (int)d->v[i].kind, d->v[i].ns,
                        d->v[i].name, d->v[i].message ? d->v[i].message : "");
        ck_assert_msg(x != NULL, "%s: %s not evicted", file, it->string);
        char buf[1024];
        const char *part[3];
        size_t n = split3(it->valuestring, buf, sizeof(buf), part);
        ck_assert_msg(strcmp(x->reason, part[0]) == 0, "%s: %s evicted for %s", file, it->string,
                      x->reason);
        if (n > 1 && part[1][0])
            ck_assert_msg(x->preempted_reason && strcmp(x->preempted_reason, part[1]) == 0,
                          "%s: %s preempted for %s, want %s", file, it->string,
                          x->preempted_reason ? x->preempted_reason : "(none)", part[1]);
        if (n > 2)
            ck_assert_msg(strstr(x->message, part[2]) != NULL, "%s: %s evicted with \"%s\"", file,
                          it->string, x->message);
    }
    if (count_kind(d, QUOTA_DECISION_EVICT) != (size_t)cJSON_GetArraySize(want))
        for (size_t i = 0; i < d->n; i++)
            if (d->v[i].kind == QUOTA_DECISION_EVICT)
                fprintf(stderr, "%s: evicted %s/%s (%s)\n", file, d->v[i].ns, d->v[i].name,
                        d->v[i].preempted_reason ? d->v[i].preempted_reason : d->v[i].reason);
    ck_assert_msg(count_kind(d, QUOTA_DECISION_EVICT) == (size_t)cJSON_GetArraySize(want),
                  "%s: %zu evictions, want %d", file, count_kind(d, QUOTA_DECISION_EVICT),
                  cJSON_GetArraySize(want));
}

static void check_deactivated(const char *file, const cJSON *want, const quota_decisions_t *d)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, want)
    {
        const quota_decision_t *x = find_decision(d, QUOTA_DECISION_DEACTIVATE, it->string);
        ck_assert_msg(x != NULL, "%s: %s not deactivated", file, it->string);
        ck_assert_msg(strcmp(x->reason, it->valuestring) == 0, "%s: %s deactivated for %s", file,
                      it->string, x->reason);
    }
    ck_assert_msg(count_kind(d, QUOTA_DECISION_DEACTIVATE) == (size_t)cJSON_GetArraySize(want),
                  "%s: %zu deactivations, want %d", file, count_kind(d, QUOTA_DECISION_DEACTIVATE),
                  cJSON_GetArraySize(want));
}

/* Optional requeueState expectations: {"ns/name": "count|seconds after now"}. */
static void check_requeue(const char *file, const cJSON *want, const quota_decisions_t *d,
                          int64_t now)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, want)
    {
        const quota_decision_t *x = find_decision(d, QUOTA_DECISION_EVICT, it->string);
        ck_assert_msg(x != NULL && x->set_requeue, "%s: %s has no requeueState", file, it->string);
        int count = 0;
        long long secs = 0;
        ck_assert_int_eq(sscanf(it->valuestring, "%d|%lld", &count, &secs), 2);
        ck_assert_msg(x->requeue_count == count && x->requeue_at_ns == now + secs * 1000000000LL,
                      "%s: %s requeue count %d at +%llds, want %s", file, it->string,
                      x->requeue_count, (long long)((x->requeue_at_ns - now) / 1000000000LL),
                      it->valuestring);
    }
}

static int64_t expect_now(const cJSON *expect)
{
    int64_t now = 0;
    const char *t = rg_json_get_string(expect, "now");
    if (t == NULL || rg_time_parse_rfc3339(t, &now) != 0)
        rg_time_parse_rfc3339("2026-01-02T00:00:00Z", &now);
    return now;
}

static bool listed(const cJSON *names, const quota_wl_spec_t *wl)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, names)
    {
        char k[600];
        snprintf(k, sizeof(k), "%s/%s", wl->ns, wl->name);
        if (cJSON_IsString(it) && strcmp(it->valuestring, k) == 0)
            return true;
    }
    return false;
}

/* The Expect document's own admission check: `refuse` lists the workloads
 * it refuses, `refuseAfterPreempting` those it refuses when asked before a
 * preemption is issued for them ("ns/name"). */
static bool test_check_admit(void *arg, const quota_candidate_t *c, int64_t now_ns, char **reason,
                             char **message)
{
    (void)now_ns;
    if (!listed(rg_json_get_array(arg, "refuse"), c->wl))
        return true;
    *reason = rg_strdup("Pending");
    *message = rg_strdup("refused by the test check");
    return false;
}

static bool test_check_admit_after(void *arg, const quota_candidate_t *c,
                                   const quota_wl_ref_t *victims, size_t n, int64_t now_ns,
                                   char **reason, char **message)
{
    (void)now_ns;
    if (!listed(rg_json_get_array(arg, "refuseAfterPreempting"), c->wl))
        return true;
    ck_assert_uint_gt(n, 0);
    *reason = rg_strdup("Pending");
    *message = rg_asprintf("refused by the test check after preempting %zu (first %s/%s)", n,
                           victims[0].ns, victims[0].name);
    return false;
}

/* weightedShares: {"cq/NAME" or "cohort/NAME": status.fairSharing.weightedShare}, after the pass.
 */
static void check_shares(quota_model_t *m, const char *file, const cJSON *want)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, want)
    {
        double share = -1;
        if (strncmp(it->string, "cohort/", 7) == 0) {
            share = quota_model_cohort_weighted_share(m, it->string + 7);
        } else {
            ck_assert_msg(strncmp(it->string, "cq/", 3) == 0, "%s: weightedShares key %s", file,
                          it->string);
            for (size_t i = 0; i < quota_model_cq_count(m); i++) {
                quota_cq_status_t st;
                if (quota_model_cq_status(m, i, &st) == RG_OK &&
                    strcmp(st.name, it->string + 3) == 0)
                    share = st.weighted_share;
            }
        }
        ck_assert_msg(share >= 0, "%s: %s not in the model", file, it->string);
        /* As doubles: YAML's 9223372036854775807 reads as 2^63, which INT64_MAX converts to. */
        ck_assert_msg((double)quota_weighted_share_field(share) == it->valuedouble,
                      "%s: %s weighted share %g, want %.0f", file, it->string, share,
                      it->valuedouble);
    }
}

/* Confirms every admission of the pass as the API server would show it. */
static void run_expect(quota_model_t *m, const char *file, const cJSON *expect)
{
    quota_decisions_t d = {0};
    quota_pass_stats_t st;
    quota_check_t check = {.name = "test",
                           .admit = test_check_admit,
                           .arg = (void *)expect,
                           .admit_after = test_check_admit_after};
    quota_pass_opts_t opts = {.checks = &check, .n_checks = 1};
    quota_model_pass(m, expect_now(expect), &opts, &d, &st);
    check_admitted(file, rg_json_get_object(expect, "admitted"), &d);
    check_pending(file, rg_json_get_object(expect, "pending"), &d);
    check_evicted(file, rg_json_get_object(expect, "evicted"), &d);
    check_deactivated(file, rg_json_get_object(expect, "deactivated"), &d);
    check_requeue(file, rg_json_get_object(expect, "requeue"), &d, expect_now(expect));
    check_shares(m, file, rg_json_get_object(expect, "weightedShares"));
    const cJSON *wake = rg_json_get(expect, "nextWakeSeconds");
    if (cJSON_IsNumber(wake))
        ck_assert_msg(st.next_wake_ns == expect_now(expect) + (int64_t)wake->valuedouble * 1000000000LL,
                      "%s: next wake at +%llds, want +%.0fs", file,
                      (long long)((st.next_wake_ns - expect_now(expect)) / 1000000000LL),
                      wake->valuedouble);
    const cJSON *quiet = rg_json_get_array(expect, "quiet");
    const cJSON *it;
    cJSON_ArrayForEach(it, quiet)
    {
        for (size_t i = 0; i < d.n; i++) {
            char k[600];
            snprintf(k, sizeof(k), "%s/%s", d.v[i].ns, d.v[i].name);
            ck_assert_msg(strcmp(k, it->valuestring) != 0, "%s: %s got a decision", file, k);
        }
    }
    quota_decisions_release(&d);
}

static int64_t seconds(const cJSON *doc, const char *key, int64_t dflt)
{
    const cJSON *v = rg_json_get(doc, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble * 1000000000LL : dflt;
}

/* kind: Config — the engine's policy configuration for the rest of the case. */
static void read_config(const cJSON *doc, quota_policy_cfg_t *out)
{
    quota_policy_cfg_t c;
    quota_policy_cfg_defaults(&c);
    bool b = false;
    if (rg_json_get_bool(doc, "fairSharing", &b) > 0)
        c.fair_sharing = b;
    const cJSON *st;
    cJSON_ArrayForEach(st, rg_json_get_array(doc, "preemptionStrategies"))
    {
        if (c.n_strategies < 2 && cJSON_IsString(st))
            c.strategies[c.n_strategies++] = strcmp(st->valuestring, "LessThanInitialShare") == 0
                                                 ? QUOTA_FS_LESS_THAN_INITIAL_SHARE
                                                 : QUOTA_FS_LESS_THAN_OR_EQUAL_TO_FINAL_SHARE;
    }
    c.min_runtime_ns = seconds(doc, "minRuntimeSeconds", c.min_runtime_ns);
    const cJSON *lim = rg_json_get(doc, "thrashLimit");
    if (cJSON_IsNumber(lim))
        c.thrash_limit = (unsigned)lim->valuedouble;
    c.thrash_window_ns = seconds(doc, "thrashWindowSeconds", c.thrash_window_ns);
    c.thrash_base_ns = seconds(doc, "thrashBackoffSeconds", c.thrash_base_ns);
    c.thrash_max_ns = seconds(doc, "thrashBackoffMaxSeconds", c.thrash_max_ns);
    if (rg_json_get_bool(doc, "podsReady", &b) > 0)
        c.pods_ready = b;
    c.pods_ready_timeout_ns = seconds(doc, "podsReadyTimeoutSeconds", c.pods_ready_timeout_ns);
    c.recovery_timeout_ns = seconds(doc, "recoveryTimeoutSeconds", c.recovery_timeout_ns);
    c.backoff_base_ns = seconds(doc, "backoffBaseSeconds", c.backoff_base_ns);
    c.backoff_max_ns = seconds(doc, "backoffMaxSeconds", c.backoff_max_ns);
    const cJSON *bl = rg_json_get(doc, "backoffLimitCount");
    if (cJSON_IsNumber(bl))
        c.backoff_limit_count = (int32_t)bl->valuedouble;
    *out = c;
}

static void apply_delete(quota_model_t *m, const cJSON *doc)
{
    const char *kind = rg_json_get_string(doc, "target");
    const char *ns = rg_json_get_string(doc, "namespace");
    const char *name = rg_json_get_string(doc, "name");
    ck_assert_ptr_nonnull(kind);
    ck_assert_ptr_nonnull(name);
    if (strcmp(kind, "Workload") == 0)
        quota_model_remove_workload(m, ns ? ns : "default", name);
    else if (strcmp(kind, "ClusterQueue") == 0)
        quota_model_remove_cluster_queue(m, name);
    else if (strcmp(kind, "LocalQueue") == 0)
        quota_model_remove_local_queue(m, ns ? ns : "default", name);
    else if (strcmp(kind, "ResourceFlavor") == 0)
        quota_model_remove_flavor(m, name);
    else if (strcmp(kind, "Cohort") == 0)
        quota_model_remove_cohort(m, name);
    else
        ck_abort_msg("Delete of unknown kind %s", kind);
}

/* kind: EvictionFailed — the admitter reports an EVICT decision's write as failed. */
static void apply_eviction_failed(quota_model_t *m, const cJSON *doc)
{
    const char *ns = rg_json_get_string(doc, "namespace");
    const char *name = rg_json_get_string(doc, "name");
    ck_assert_ptr_nonnull(name);
    quota_model_eviction_failed(m, ns ? ns : "default", name);
}

static void apply_object(quota_model_t *m, const char *file, const cJSON *doc)
{
    const char *kind = rg_json_get_string(doc, "kind");
    const char *av = rg_json_get_string(doc, "apiVersion");
    rg_error_t err = {0};
    ck_assert_msg(kind != NULL, "%s: a document without kind", file);
    if (strcmp(kind, "ClusterQueue") == 0) {
        quota_cq_spec_t *s = quota_decode_cluster_queue(doc, &err);
        ck_assert_msg(s != NULL, "%s: %s", file, rg_error_str(&err));
        quota_model_set_cluster_queue(m, s);
    } else if (strcmp(kind, "Cohort") == 0) {
        quota_cohort_spec_t *s = quota_decode_cohort(doc, &err);
        ck_assert_msg(s != NULL, "%s: %s", file, rg_error_str(&err));
        quota_model_set_cohort(m, s);
    } else if (strcmp(kind, "ResourceFlavor") == 0) {
        quota_flavor_spec_t *s = quota_decode_flavor(doc, &err);
        ck_assert_msg(s != NULL, "%s: %s", file, rg_error_str(&err));
        quota_model_set_flavor(m, s);
    } else if (strcmp(kind, "LocalQueue") == 0 || strcmp(kind, "Queue") == 0) {
        quota_lq_spec_t *s = quota_decode_local_queue(doc, &err);
        ck_assert_msg(s != NULL, "%s: %s", file, rg_error_str(&err));
        quota_model_set_local_queue(m, s);
    } else if (strcmp(kind, "WorkloadPriorityClass") == 0 || strcmp(kind, "PriorityClass") == 0) {
        quota_class_kind_t ck;
        const char *name;
        int32_t value;
        bool gd;
        ck_assert_int_eq(quota_decode_priority_class(doc, &ck, &name, &value, &gd, &err), 0);
        quota_model_set_class(m, ck, name, value, gd);
    } else if (strcmp(kind, "Namespace") == 0) {
        quota_model_set_namespace(m, rg_json_get_string(rg_json_get(doc, "metadata"), "name"),
                                  rg_json_path(doc, "metadata", "labels", NULL));
    } else if (strcmp(kind, "Workload") == 0) {
        quota_wl_spec_t *s = quota_decode_workload(doc, &err);
        ck_assert_msg(s != NULL, "%s: %s", file, rg_error_str(&err));
        quota_model_set_workload(m, s);
    } else {
        ck_abort_msg("%s: unknown kind %s (%s)", file, kind, av ? av : "");
    }
}

/* ---- kind: Simulate ---- */

/*
 * Replays the documents before a Simulate into a new model (owned): *cfg
 * gets the configuration they set, *wls copies of their Workloads (owned
 * array of owned objects, for the simulation).
 */
static quota_model_t *replay(const char *file, const cfg_yaml_docs_t *docs, size_t upto,
                             quota_policy_cfg_t *cfg, cJSON ***wls, size_t *n_wls)
{
    quota_model_t *m = quota_model_new();
    quota_policy_cfg_defaults(cfg);
    *wls = rg_calloc(upto ? upto : 1, sizeof(**wls));
    *n_wls = 0;
    for (size_t i = 0; i < upto; i++) {
        const cJSON *doc = docs->items[i].root;
        const char *kind = rg_json_get_string(doc, "kind");
        ck_assert_msg(kind && strcmp(kind, "Expect") != 0 && strcmp(kind, "Simulate") != 0,
                      "%s: a Simulate replays only objects, Config and Delete", file);
        if (strcmp(kind, "Config") == 0) {
            read_config(doc, cfg);
            quota_model_configure(m, cfg);
        } else if (strcmp(kind, "Delete") == 0) {
            apply_delete(m, doc);
        } else {
            apply_object(m, file, doc);
            if (strcmp(kind, "Workload") == 0)
                (*wls)[(*n_wls)++] = cJSON_Duplicate(doc, true);
        }
    }
    return m;
}

/* releaseSeconds: {"ns/name": s, "*": s}: when an evicted job's pods are gone. */
static int64_t release_after(void *arg, const char *key)
{
    const cJSON *v = rg_json_get(arg, key);
    if (!cJSON_IsNumber(v))
        v = rg_json_get(arg, "*");
    return cJSON_IsNumber(v) ? (int64_t)(v->valuedouble * 1e9) : 1000000000LL;
}

/* The sorted, comma-joined strings of a YAML list (owned). */
static char *joined(const cJSON *list)
{
    size_t n = (size_t)cJSON_GetArraySize(list), k = 0;
    const char **v = rg_calloc(n ? n : 1, sizeof(*v));
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        if (cJSON_IsString(it))
            v[k++] = it->valuestring;
    }
    char *s = rgt_sorted_join(v, k);
    rg_free(v);
    return s;
}

/* One simulated run, with the case's configuration or with anti-thrash off. */
static void simulate(const char *file, const cfg_yaml_docs_t *docs, size_t upto,
                     const cJSON *sim, bool protect, rgt_sim_result_t *res, int64_t *horizon)
{
    quota_policy_cfg_t cfg;
    cJSON **wls;
    size_t n;
    quota_model_t *m = replay(file, docs, upto, &cfg, &wls, &n);
    if (!protect) {
        cfg.thrash_limit = 0;
        quota_model_configure(m, &cfg);
    }
    int64_t start = expect_now(sim);
    *horizon = start + seconds(sim, "seconds", 3600 * 1000000000LL);
    rgt_sim_opts_t o = {
        .start_ns = start,
        .horizon_ns = *horizon,
        .policy = &cfg,
        .release_after = release_after,
        .arg = (void *)rg_json_get_object(sim, "releaseSeconds"),
    };
    rgt_sim_run(m, wls, n, &o, res);
    rg_free(wls);
    quota_model_free(m);
    if (getenv("RG_SIM_TRACE"))
        fputs(res->trace, stderr);
    fprintf(stderr, "%s: %s anti-thrash: %zu preemptions, %zu admissions, %zu passes; last "
                    "admission or eviction at +%llds of %llds; admitted at the end: [%s]\n",
            file, protect ? "with" : "without", res->preemptions, res->admissions, res->passes,
            (long long)((res->last_change_ns - start) / 1000000000LL),
            (long long)((*horizon - start) / 1000000000LL), res->admitted);
}

static long long number(const cJSON *obj, const char *key, long long dflt)
{
    const cJSON *v = rg_json_get(obj, key);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : dflt;
}

/* Fails the test with the simulation's trace on stderr (too long for a message). */
#define SIM_CHECK(cond, r, ...)                                                                    \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fputs((r)->trace, stderr);                                                             \
            ck_abort_msg(__VA_ARGS__);                                                             \
        }                                                                                          \
    } while (0)

/* Checks one run against its expectations (see run_simulate). */
static void check_run(const char *file, const char *run, rgt_sim_result_t *r, int64_t horizon,
                      const cJSON *want)
{
    long long stable = (horizon - r->last_change_ns) / 1000000000LL;
    long long n = (long long)r->preemptions;
    SIM_CHECK(n == number(want, "preemptions", n), r, "%s %s: %lld preemptions, want %lld", file,
              run, n, number(want, "preemptions", n));
    SIM_CHECK(n >= number(want, "minPreemptions", n), r,
              "%s %s: %lld preemptions, want at least %lld", file, run, n,
              number(want, "minPreemptions", n));
    SIM_CHECK(stable >= number(want, "stableForSeconds", 0), r,
              "%s %s: the last admission or eviction %llds before the end, want none in the last "
              "%llds",
              file, run, stable, number(want, "stableForSeconds", 0));
    SIM_CHECK(stable <= number(want, "changingWithinSeconds", stable), r,
              "%s %s: the last admission or eviction %llds before the end: it settled", file, run,
              stable);
    const cJSON *admitted = rg_json_get_array(want, "admitted");
    if (admitted == NULL)
        return;
    char *set = joined(admitted);
    SIM_CHECK(strcmp(set, r->admitted) == 0, r, "%s %s: admitted [%s] at the end, want [%s]", file,
              run, r->admitted, set);
    rg_free(set);
}

/*
 * kind: Simulate — the engine in a closed loop (tests/unit/harness/quota_sim.h)
 * over the objects so far, with the case's configuration (`expect`) and
 * again with thrashLimit 0 (`withoutAntiThrash`, optional). Each may ask
 * for exactly `preemptions` or at least `minPreemptions`, the `admitted`
 * set at the end, no admission or eviction in the last `stableForSeconds`
 * (a fixed point) or one in the last `changingWithinSeconds` (a loop).
 */
static void run_simulate(const char *file, const cfg_yaml_docs_t *docs, size_t upto,
                         const cJSON *sim)
{
    rgt_sim_result_t r;
    int64_t horizon;
    const cJSON *want = rg_json_get_object(sim, "expect");
    ck_assert_msg(want != NULL, "%s: Simulate without expect", file);
    simulate(file, docs, upto, sim, true, &r, &horizon);
    check_run(file, "with anti-thrash", &r, horizon, want);
    rgt_sim_result_release(&r);
    const cJSON *loop = rg_json_get_object(sim, "withoutAntiThrash");
    if (loop == NULL)
        return;
    simulate(file, docs, upto, sim, false, &r, &horizon);
    check_run(file, "without anti-thrash", &r, horizon, loop);
    rgt_sim_result_release(&r);
}

START_TEST(test_quota__case)
{
    const char *file = case_files[_i];
    cfg_yaml_docs_t docs = {0};
    rg_error_t err = {0};
    ck_assert_msg(cfg_yaml_docs_load_file(file, 1 << 20, &docs, &err) == 0, "%s",
                  rg_error_str(&err));
    quota_model_t *m = quota_model_new();
    int expects = 0;
    for (size_t i = 0; i < docs.count; i++) {
        const cJSON *doc = docs.items[i].root;
        const char *kind = rg_json_get_string(doc, "kind");
        if (kind && strcmp(kind, "Expect") == 0) {
            run_expect(m, file, doc);
            expects++;
        } else if (kind && strcmp(kind, "Delete") == 0) {
            apply_delete(m, doc);
        } else if (kind && strcmp(kind, "EvictionFailed") == 0) {
            apply_eviction_failed(m, doc);
        } else if (kind && strcmp(kind, "Simulate") == 0) {
            run_simulate(file, &docs, i, doc);
            expects++;
        } else if (kind && strcmp(kind, "Config") == 0) {
            quota_policy_cfg_t c;
            read_config(doc, &c);
            quota_model_configure(m, &c);
        } else {
            apply_object(m, file, doc);
        }
    }
    ck_assert_msg(expects > 0, "%s: no Expect document", file);
    quota_model_free(m);
    cfg_yaml_docs_release(&docs);
}
END_TEST

static Suite *quota_suite(void)
{
    list_cases();
    Suite *s = suite_create("quota");
    TCase *tc = tcase_create("cases");
    tcase_add_loop_test(tc, test_quota__case, 0, n_cases);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc = rgt_run_suite(quota_suite());
    for (int i = 0; i < n_cases; i++)
        rg_free(case_files[i]);
    return n_cases == 0 ? 1 : rc;
}

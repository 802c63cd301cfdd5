/*
 * Unit tests for src/admit/wlstatus.c: the status merge patches the
 * admitter writes, against Kueue's own wording and apimeta.SetStatusCondition
 * semantics (a condition's lastTransitionTime moves only when its status
 * does), with the resourceVersion precondition on every Workload patch.
 */
#include "raygate/admit.h"
#include "raygate/alloc.h"
#include "raygate/json.h"
#include "raygate/timeutil.h"

#include <check.h>
#include <math.h>

#include "harness.h"
#include <string.h>

static cJSON *parse(const char *s)
{
    cJSON *o = rg_json_parse(s, strlen(s), NULL);
    ck_assert_ptr_nonnull(o);
    return o;
}

static const cJSON *cond(const cJSON *patch, const char *type)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, rg_json_path(patch, "status", "conditions", NULL))
    {
        if (strcmp(rg_json_get_string(c, "type"), type) == 0)
            return c;
    }
    return NULL;
}

static void assert_cond(const cJSON *patch, const char *type, const char *status,
                        const char *reason, const char *message, const char *time)
{
    const cJSON *c = cond(patch, type);
    ck_assert_msg(c != NULL, "no %s condition", type);
    ck_assert_str_eq(rg_json_get_string(c, "status"), status);
    ck_assert_str_eq(rg_json_get_string(c, "reason"), reason);
    ck_assert_str_eq(rg_json_get_string(c, "message"), message);
    if (time)
        ck_assert_str_eq(rg_json_get_string(c, "lastTransitionTime"), time);
}

#define NOW_TS "2026-12-06T10:00:00Z"
#define EARLIER_TS "2026-12-06T09:00:00Z"

static int64_t now_ns(void)
{
    int64_t t = 0;
    rg_time_parse_rfc3339(NOW_TS, &t);
    return t;
}

static const char *const PENDING_WL =
    "{\"metadata\":{\"name\":\"w\",\"namespace\":\"default\",\"resourceVersion\":\"42\","
    "\"generation\":3},\"status\":{\"conditions\":["
    "{\"type\":\"QuotaReserved\",\"status\":\"False\",\"reason\":\"Pending\",\"message\":\"old\","
    "\"lastTransitionTime\":\"" EARLIER_TS "\"},"
    "{\"type\":\"Evicted\",\"status\":\"True\",\"reason\":\"Preempted\",\"message\":\"by x\","
    "\"lastTransitionTime\":\"" EARLIER_TS "\"},"
    "{\"type\":\"Finished\",\"status\":\"False\",\"reason\":\"x\",\"message\":\"\","
    "\"lastTransitionTime\":\"" EARLIER_TS "\"}]}}";

static quota_admission_t *admission(void)
{
    quota_admission_t *a = rg_calloc(1, sizeof(*a));
    a->cluster_queue = rg_strdup("cq");
    a->n_podsets = 1;
    a->podsets = rg_calloc(1, sizeof(*a->podsets));
    a->podsets[0].name = rg_strdup("worker");
    a->podsets[0].count = 2;
    a->podsets[0].n_res = 2;
    a->podsets[0].res = rg_calloc(2, sizeof(quota_ps_res_t));
    a->podsets[0].res[0].resource = rg_strdup("memory");
    a->podsets[0].res[0].flavor = rg_strdup("a100");
    quota_qty_parse("32Gi", &a->podsets[0].res[0].usage, NULL);
    a->podsets[0].res[1].resource = rg_strdup("nvidia.com/gpu");
    a->podsets[0].res[1].flavor = rg_strdup("a100");
    quota_qty_parse("16", &a->podsets[0].res[1].usage, NULL);
    return a;
}

START_TEST(test_admit_status__admission)
{
    cJSON *wl = parse(PENDING_WL);
    quota_admission_t *adm = admission();
    cJSON *p = admit_status_admit(wl, adm, now_ns());
    /* The precondition and Kueue's status.admission shape. */
    ck_assert_str_eq(rg_json_get_string(rg_json_get(p, "metadata"), "resourceVersion"), "42");
    char *text = rg_json_print(rg_json_path(p, "status", "admission", NULL));
    ck_assert_str_eq(text, "{\"clusterQueue\":\"cq\",\"podSetAssignments\":[{\"name\":\"worker\","
                           "\"flavors\":{\"memory\":\"a100\",\"nvidia.com/gpu\":\"a100\"},"
                           "\"resourceUsage\":{\"memory\":\"32Gi\",\"nvidia.com/gpu\":\"16\"},"
                           "\"count\":2}]}");
    rg_free(text);
    /* QuotaReserved turns True (new time), Admitted appears, Evicted resets. */
    assert_cond(p, "QuotaReserved", "True", "QuotaReserved", "Quota reserved in ClusterQueue cq",
                NOW_TS);
    assert_cond(p, "Admitted", "True", "Admitted", "The workload is admitted", NOW_TS);
    assert_cond(p, "Evicted", "False", "QuotaReserved", "Previously: by x", NOW_TS);
    /* Untouched conditions stay as they were; observedGeneration is the Workload's. */
    assert_cond(p, "Finished", "False", "x", "", EARLIER_TS);
    ck_assert_int_eq((int)rg_json_get(cond(p, "QuotaReserved"), "observedGeneration")->valuedouble,
                     3);
    cJSON_Delete(p);
    quota_admission_free(adm);
    cJSON_Delete(wl);
}
END_TEST

START_TEST(test_admit_status__pending_keeps_transition_time)
{
    cJSON *wl = parse(PENDING_WL);
    cJSON *p = admit_status_pending(wl, "Pending", "new words", now_ns());
    /* False -> False: the message changes, the transition time does not. */
    assert_cond(p, "QuotaReserved", "False", "Pending", "new words", EARLIER_TS);
    cJSON_Delete(p);
    cJSON_Delete(wl);
    /* On a Workload without conditions the condition is added with now. */
    wl = parse("{\"metadata\":{\"name\":\"w\",\"resourceVersion\":\"7\"}}");
    p = admit_status_pending(wl, "Inadmissible", "LocalQueue q doesn't exist", now_ns());
    assert_cond(p, "QuotaReserved", "False", "Inadmissible", "LocalQueue q doesn't exist", NOW_TS);
    cJSON_Delete(p);
    cJSON_Delete(wl);
}
END_TEST

START_TEST(test_admit_status__evict_release_finish)
{
    cJSON *wl = parse("{\"metadata\":{\"name\":\"w\",\"resourceVersion\":\"9\"},\"status\":{"
                      "\"admission\":{\"clusterQueue\":\"cq\",\"podSetAssignments\":[]},"
                      "\"conditions\":[{\"type\":\"QuotaReserved\",\"status\":\"True\","
                      "\"reason\":\"QuotaReserved\",\"message\":\"m\",\"lastTransitionTime\":\"" EARLIER_TS
                      "\"},{\"type\":\"Admitted\",\"status\":\"True\",\"reason\":\"Admitted\","
                      "\"message\":\"m\",\"lastTransitionTime\":\"" EARLIER_TS "\"}]}}");
    cJSON *p = admit_status_evict(wl, "Deactivated", "The workload is deactivated", now_ns());
    assert_cond(p, "Evicted", "True", "Deactivated", "The workload is deactivated", NOW_TS);
    ck_assert_ptr_null(rg_json_path(p, "status", "admission", NULL)); /* the reservation stays */
    cJSON_Delete(p);

    p = admit_status_release(wl, "The workload is deactivated", now_ns());
    ck_assert(cJSON_IsNull(rg_json_path(p, "status", "admission", NULL)));
    assert_cond(p, "QuotaReserved", "False", "Pending", "The workload is deactivated", NOW_TS);
    assert_cond(p, "Admitted", "False", "NoReservation", "The workload has no reservation", NOW_TS);
    assert_cond(p, "Requeued", "True", "Pending", "The workload is deactivated", NOW_TS);
    cJSON_Delete(p);

    p = admit_status_finished(wl, "Succeeded", "Job finished successfully", now_ns());
    assert_cond(p, "Finished", "True", "Succeeded", "Job finished successfully", NOW_TS);
    cJSON_Delete(p);
    cJSON_Delete(wl);
}
END_TEST

START_TEST(test_admit_status__cluster_queue)
{
    quota_fr_status_t frs[2] = {
        {.flavor = "a100", .resource = "cpu"},
        {.flavor = "a100", .resource = "nvidia.com/gpu"},
    };
    quota_qty_parse("8", &frs[0].usage, NULL);
    quota_qty_parse("24", &frs[1].usage, NULL);
    quota_qty_parse("8", &frs[1].borrowed, NULL);
    quota_cq_status_t st = {.name = "cq", .active = true, .pending = 3, .reserving = 2,
                            .admitted = 2, .frs = frs, .n_frs = 2};
    cJSON *cq = parse("{\"metadata\":{\"name\":\"cq\",\"generation\":1}}");
    cJSON *p = admit_status_cluster_queue(cq, &st, now_ns());
    ck_assert_ptr_nonnull(p);
    const cJSON *s = rg_json_get(p, "status");
    ck_assert_int_eq((int)rg_json_get(s, "pendingWorkloads")->valuedouble, 3);
    ck_assert_int_eq((int)rg_json_get(s, "reservingWorkloads")->valuedouble, 2);
    char *text = rg_json_print(rg_json_get(s, "flavorsUsage"));
    ck_assert_str_eq(text, "[{\"name\":\"a100\",\"resources\":[{\"name\":\"cpu\",\"total\":\"8\","
                           "\"borrowed\":\"0\"},{\"name\":\"nvidia.com/gpu\",\"total\":\"24\","
                           "\"borrowed\":\"8\"}]}]");
    rg_free(text);
    assert_cond(p, "Active", "True", "Ready", "Can admit new workloads", NOW_TS);
    ck_assert_ptr_null(rg_json_get(s, "fairSharing")); /* fair sharing off, none before */
    /* Applied, the same status produces no write. */
    cJSON_AddItemToObject(cq, "status", cJSON_Duplicate(s, true));
    ck_assert_ptr_null(admit_status_cluster_queue(cq, &st, now_ns()));
    /* A change of any figure or of the Active condition does. */
    st.active = false;
    st.inactive_reason = "Stopped";
    st.inactive_message = "Can't admit new workloads: is stopped.";
    cJSON *p2 = admit_status_cluster_queue(cq, &st, now_ns());
    ck_assert_ptr_nonnull(p2);
    assert_cond(p2, "Active", "False", "Stopped", "Can't admit new workloads: is stopped.", NOW_TS);
    cJSON_Delete(p2);
    cJSON_Delete(p);
    cJSON_Delete(cq);
}
END_TEST

/* status.fairSharing as Kueue's controllers keep it: the weighted share rounded up while fair
 * sharing is on (INT64_MAX for +inf, spelled exactly), removed when it is off. */
START_TEST(test_admit_status__fair_sharing)
{
    quota_cq_status_t st = {
        .name = "cq", .active = true, .fair_sharing = true, .weighted_share = 249.2};
    cJSON *cq = parse("{\"metadata\":{\"name\":\"cq\",\"generation\":1}}");
    cJSON *p = admit_status_cluster_queue(cq, &st, now_ns());
    ck_assert_int_eq(
        (int)rg_json_path(p, "status", "fairSharing", "weightedShare", NULL)->valuedouble, 250);
    cJSON_AddItemToObject(cq, "status", cJSON_Duplicate(rg_json_get(p, "status"), true));
    cJSON_Delete(p);
    ck_assert_ptr_null(admit_status_cluster_queue(cq, &st, now_ns()));
    st.weighted_share = 250.5; /* 251 now: written */
    p = admit_status_cluster_queue(cq, &st, now_ns());
    ck_assert_int_eq(
        (int)rg_json_path(p, "status", "fairSharing", "weightedShare", NULL)->valuedouble, 251);
    cJSON_Delete(p);
    st.fair_sharing = false; /* turned off: removed */
    p = admit_status_cluster_queue(cq, &st, now_ns());
    ck_assert(cJSON_IsNull(rg_json_path(p, "status", "fairSharing", NULL)));
    cJSON_Delete(p);
    cJSON_Delete(cq);

    cJSON *cohort = parse("{\"metadata\":{\"name\":\"LEFT\"}}");
    ck_assert_ptr_null(admit_status_cohort(cohort, false, 0)); /* off and absent: nothing */
    p = admit_status_cohort(cohort, true, INFINITY);
    char *text = rg_json_print(p);
    ck_assert_str_eq(text,
                     "{\"status\":{\"fairSharing\":{\"weightedShare\":9223372036854775807}}}");
    cJSON_Delete(p);
    /* As the API server stores and serves it back. */
    cJSON *served = parse(text);
    rg_free(text);
    cJSON_AddItemToObject(cohort, "status", cJSON_DetachItemFromObject(served, "status"));
    cJSON_Delete(served);
    ck_assert_ptr_null(admit_status_cohort(cohort, true, INFINITY));
    /* As a merge applied in process (standalone) keeps it: the raw number. */
    ck_assert_ptr_null(admit_status_cohort(cohort, true, 1e300)); /* saturates: INT64_MAX too */
    cJSON *kept = parse("{\"status\":{}}");
    cJSON *fs =
        cJSON_AddObjectToObject(cJSON_GetObjectItemCaseSensitive(kept, "status"), "fairSharing");
    cJSON_AddRawToObject(fs, "weightedShare", "9223372036854775807");
    ck_assert_ptr_null(admit_status_cohort(kept, true, INFINITY));
    cJSON_Delete(kept);
    p = admit_status_cohort(cohort, true, 0);
    ck_assert_int_eq(
        (int)rg_json_path(p, "status", "fairSharing", "weightedShare", NULL)->valuedouble, 0);
    cJSON_Delete(p);
    p = admit_status_cohort(cohort, false, 0);
    ck_assert(cJSON_IsNull(rg_json_path(p, "status", "fairSharing", NULL)));
    cJSON_Delete(p);
    cJSON_Delete(cohort);
}
END_TEST

START_TEST(test_admit_status__local_queue)
{
    cJSON *lq = parse("{\"metadata\":{\"name\":\"q\",\"namespace\":\"default\"}}");
    cJSON *p = admit_status_local_queue(lq, 1, 2, 2, true, NULL, NULL, now_ns());
    assert_cond(p, "Active", "True", "Ready", "Can submit new workloads to localQueue", NOW_TS);
    cJSON_AddItemToObject(lq, "status", cJSON_Duplicate(rg_json_get(p, "status"), true));
    ck_assert_ptr_null(admit_status_local_queue(lq, 1, 2, 2, true, NULL, NULL, now_ns()));
    cJSON *p2 = admit_status_local_queue(lq, 1, 2, 2, false, "Stopped", "LocalQueue is stopped",
                                         now_ns());
    assert_cond(p2, "Active", "False", "Stopped", "LocalQueue is stopped", NOW_TS);
    cJSON_Delete(p2);
    cJSON_Delete(p);
    cJSON_Delete(lq);
}
END_TEST

static Suite *admit_status_suite(void)
{
    Suite *s = suite_create("admit_status");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_admit_status__admission);
    tcase_add_test(tc, test_admit_status__pending_keeps_transition_time);
    tcase_add_test(tc, test_admit_status__evict_release_finish);
    tcase_add_test(tc, test_admit_status__cluster_queue);
    tcase_add_test(tc, test_admit_status__local_queue);
    tcase_add_test(tc, test_admit_status__fair_sharing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(admit_status_suite());
}

/*
 * Workload status rules (kueue.x-k8s.io v1beta1 and v1beta2): Kueue's
 * webhook checks of status.admission, status.reclaimablePods,
 * status.admissionChecks[].podSetUpdates and status.clusterName
 * (pkg/webhooks/workload_webhook.go, v0.19), with the CRD bounds and CEL
 * rules of the same fields (apis/kueue/v1beta2/workload_types.go).
 */
#include "raygate/quantity.h"
#include "raygate/validate.h"

#include "raygate/alloc.h"

#include "workload_internal.h"

#include <stdio.h>
#include <string.h>

/* CRD bounds. */
#define WL_ADMISSION_CHECKS_MAX 8
#define WL_PODSET_UPDATES_MAX 18
#define WL_TOLERATIONS_MAX 8
#define WL_RECLAIMABLE_MAX 18
#define WL_NOMINATED_MAX 20
#define WL_CLUSTER_NAME_MAX 256

/* Path buffers: fixed prefixes plus indices and one podSet or resource
 * name, which the CRD bounds (63 and 253 characters) keep short; longer
 * names are cut by snprintf rather than overflowing. */
#define WL_PATH_MAX 512

/* ---- status.admission ---- */

/* "is not a multiple of N": Kueue formats the *int32 count with %d, which
 * prints the pointer; raygate prints the count the message means. */
static void check_usage_divisible(field_errors_t *errs, const cJSON *psa, size_t i)
{
    int64_t count = 0;
    if (wh__wl_get_int32(NULL, "", rg_json_get(psa, "count"), &count) != 1 || count <= 0)
        return;
    const cJSON *usage = rg_json_get_object(psa, "resourceUsage");
    for (const cJSON *u = usage ? usage->child : NULL; u; u = u->next) {
        quota_qty_t q;
        if (quota_qty_parse_json(u, &q, NULL) != RG_OK)
            continue; /* the schema layer reports malformed quantities */
        /* resources.ResourceValue: milli-units for cpu, units otherwise. */
        int64_t v;
        bool cpu = strcmp(u->string, "cpu") == 0;
        if ((cpu ? quota_qty_milli(&q, &v, NULL) : quota_qty_value(&q, &v, NULL)) != RG_OK)
            continue;
        if (v % count == 0)
            continue;
        char path[WL_PATH_MAX], shown[QUOTA_QTY_STR_MAX];
        snprintf(path, sizeof(path), "status.admission.podSetAssignments[%zu].resourceUsage[%s]", i,
                 u->string);
        quota_qty_format(&q, shown, sizeof(shown));
        field_invalid_str(errs, path, shown, "is not a multiple of %lld", (long long)count);
    }
}

void wh__wl_check_admission(field_errors_t *errs, const cJSON *obj, const cJSON *old)
{
    if (!wh__wl_condition_true(obj, "QuotaReserved"))
        return;
    const cJSON *adm = wh__wl_admission(obj);
    if (adm == NULL) {
        /* reservesQuotaWithoutAdmission: one that was already like this may
         * be updated, so it can converge; one that becomes like this may not. */
        if (old != NULL && wh__wl_condition_true(old, "QuotaReserved") &&
            wh__wl_admission(old) == NULL)
            return;
        field_required(errs, "status.admission",
                       "must be set while the QuotaReserved condition is true");
        return;
    }
    const cJSON *podsets = rg_json_get_array(rg_json_get_object(obj, "spec"), "podSets");
    const cJSON *psas = rg_json_get_array(adm, "podSetAssignments");
    /* The root CEL rule of Workload, both versions. */
    int n_spec = cJSON_GetArraySize(podsets), n_psa = cJSON_GetArraySize(psas);
    if (n_spec != n_psa)
        field_invalid_int(errs, "status.admission.podSetAssignments", n_psa,
                          "podSetAssignments must have the same number of podSets as the spec");
    size_t i = 0;
    const cJSON *psa;
    cJSON_ArrayForEach(psa, psas)
    {
        if (i >= WL_PODSETS_SCAN_MAX)
            break;
        const char *name = rg_json_get_string(psa, "name");
        if (name == NULL)
            name = WL_DEFAULT_PODSET;
        if (wh__wl_podset_by_name(obj, name) == NULL) {
            char path[WL_PATH_MAX];
            snprintf(path, sizeof(path), "status.admission.podSetAssignments[%zu].name", i);
            field_not_found_str(errs, path, name);
        }
        check_usage_divisible(errs, psa, i);
        i++;
    }
}

/* ---- status.reclaimablePods ---- */

/* The podSet names of obj in spec order (borrowed), for NotSupported. */
static size_t podset_names(const cJSON *obj, const char **names, size_t max)
{
    const cJSON *podsets = rg_json_get_array(rg_json_get_object(obj, "spec"), "podSets");
    size_t n_all = (size_t)cJSON_GetArraySize(podsets), n = 0;
    const cJSON *ps;
    cJSON_ArrayForEach(ps, podsets)
    {
        const char *pn = cJSON_IsObject(ps) ? wh__wl_podset_name(ps, n_all) : NULL;
        if (pn && n < max)
            names[n++] = pn;
    }
    return n;
}

/* A reclaimablePods entry's count; -1 when absent or unreadable. */
static int64_t reclaimable_count(const cJSON *rp)
{
    int64_t c = -1;
    return wh__wl_get_int32(NULL, "", rg_json_get(rp, "count"), &c) == 1 ? c : -1;
}

/* The entry of list named name, or NULL. */
static const cJSON *entry_named(const cJSON *list, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        const char *n = rg_json_get_string(e, "name");
        if (n && strcmp(n, name) == 0)
            return e;
    }
    return NULL;
}

static const cJSON *reclaimable_of(const cJSON *obj)
{
    return rg_json_get_array(rg_json_get_object(obj, "status"), "reclaimablePods");
}

void wh__wl_check_reclaimable(field_errors_t *errs, const cJSON *obj, const cJSON *old)
{
    const cJSON *list = reclaimable_of(obj);
    int n = cJSON_GetArraySize(list);
    if (n == 0)
        return;
    if (n > WL_RECLAIMABLE_MAX)
        field_too_many(errs, "status.reclaimablePods", n, WL_RECLAIMABLE_MAX);
    const char *names[WL_PODSETS_SCAN_MAX];
    size_t n_names = podset_names(obj, names, WL_PODSETS_SCAN_MAX);
    const cJSON *old_list = old ? reclaimable_of(old) : NULL;
    bool elastic = wh__wl_elastic(obj);
    size_t i = 0;
    const cJSON *rp;
    cJSON_ArrayForEach(rp, list)
    {
        if (i++ >= WL_PODSETS_SCAN_MAX)
            break;
        const char *name = rg_json_get_string(rp, "name");
        char path[WL_PATH_MAX];
        snprintf(path, sizeof(path), "status.reclaimablePods[%s]", name ? name : "");
        size_t mark = strlen(path);
        /* CRD: count is a required int32, minimum 0. */
        snprintf(path + mark, sizeof(path) - mark, ".count");
        int64_t count = -1;
        int have = wh__wl_get_int32(errs, path, rg_json_get(rp, "count"), &count);
        if (have == 0)
            field_required(errs, path, NULL);
        if (have == 1 && count < 0)
            field_invalid_int(errs, path, count, "%s in body should be greater than or equal to 0",
                              path);
        path[mark] = '\0';
        if (have != 1 || count < 0)
            continue;
        const cJSON *ps = name ? wh__wl_podset_by_name(obj, name) : NULL;
        if (ps == NULL) {
            snprintf(path + mark, sizeof(path) - mark, ".name");
            field_not_supported(errs, path, name ? name : "", names, n_names);
            continue;
        }
        int64_t limit = wh__wl_podset_count(ps);
        if (limit < 0 || count <= limit)
            continue;
        /* An unchanged count left over by an elastic scale-down converges
         * instead of blocking the job (kueue#12670). */
        const cJSON *prev = old_list ? entry_named(old_list, name) : NULL;
        if (elastic && prev != NULL && reclaimable_count(prev) == count)
            continue;
        snprintf(path + mark, sizeof(path) - mark, ".count");
        field_invalid_int(errs, path, count, "should be less or equal to %lld", (long long)limit);
    }
}

/* scaledDownPodSetNames: for an elastic Workload, podSets whose admitted
 * count is above their current count. */
static bool scaled_down(const cJSON *obj, const char *name)
{
    const cJSON *adm = wh__wl_admission(obj);
    if (!wh__wl_elastic(obj) || adm == NULL)
        return false;
    const cJSON *psa = entry_named(rg_json_get_array(adm, "podSetAssignments"), name);
    int64_t admitted = 0;
    if (psa == NULL || wh__wl_get_int32(NULL, "", rg_json_get(psa, "count"), &admitted) != 1)
        return false;
    const cJSON *ps = wh__wl_podset_by_name(obj, name);
    int64_t now = ps ? wh__wl_podset_count(ps) : 0;
    return admitted > now;
}

/* The two lists hold the same name -> count pairs (ReclaimablePodsAreEqual). */
static bool reclaimable_equal(const cJSON *a, const cJSON *b)
{
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
        return false;
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        const char *name = rg_json_get_string(e, "name");
        const cJSON *o = name ? entry_named(b, name) : NULL;
        if (o == NULL || reclaimable_count(o) != reclaimable_count(e))
            return false;
    }
    return true;
}

void wh__wl_check_reclaimable_update(field_errors_t *errs, const cJSON *obj, const cJSON *old)
{
    if (!wh__wl_condition_true(obj, "QuotaReserved") ||
        !wh__wl_condition_true(old, "QuotaReserved"))
        return;
    const cJSON *now = reclaimable_of(obj), *before = reclaimable_of(old);
    if (reclaimable_equal(now, before) || cJSON_GetArraySize(before) == 0)
        return;
    char path[WL_PATH_MAX];
    const cJSON *e;
    cJSON_ArrayForEach(e, now)
    {
        const char *name = rg_json_get_string(e, "name");
        const cJSON *o = name ? entry_named(before, name) : NULL;
        int64_t c = reclaimable_count(e), oc = o ? reclaimable_count(o) : -1;
        if (o == NULL || c < 0 || c >= oc || scaled_down(obj, name))
            continue;
        snprintf(path, sizeof(path), "status.reclaimablePods[%s].count", name);
        field_invalid_int(errs, path, c, "cannot be less than %lld", (long long)oc);
    }
    cJSON_ArrayForEach(e, before)
    {
        const char *name = rg_json_get_string(e, "name");
        if (name == NULL || entry_named(now, name) != NULL || scaled_down(obj, name))
            continue;
        snprintf(path, sizeof(path), "status.reclaimablePods[%s]", name);
        field_required(errs, path, "cannot be removed");
    }
}

/* ---- status.admissionChecks[].podSetUpdates ---- */

/* The CEL rules on PodSetUpdate.tolerations, reported on the list as the
 * apiserver does for a rule on an array ("array" as the value). */
static void check_toleration_rules(field_errors_t *errs, const char *path, const cJSON *tols)
{
    static const char *const msgs[] = {
        ("operator must be Exists when 'key' is empty, which means 'match all values and all "
         "keys'"),
        "effect must be 'NoExecute' when 'tolerationSeconds' is set",
        "supported toleration values: 'Equal'(default), 'Exists'",
        "a value must be empty when 'operator' is 'Exists'",
        "supported taint effect values: 'NoSchedule', 'PreferNoSchedule', 'NoExecute'",
    };
    bool broken[5] = {false};
    const cJSON *t;
    cJSON_ArrayForEach(t, tols)
    {
        const char *op = rg_json_get_string(t, "operator");
        const char *effect = rg_json_get_string(t, "effect");
        bool has_op = rg_json_get(t, "operator") != NULL;
        if (rg_json_get(t, "key") == NULL && !(op && strcmp(op, "Exists") == 0))
            broken[0] = true;
        if (rg_json_get(t, "tolerationSeconds") != NULL &&
            !(effect && strcmp(effect, "NoExecute") == 0))
            broken[1] = true;
        if (has_op && !(op && (strcmp(op, "Equal") == 0 || strcmp(op, "Exists") == 0)))
            broken[2] = true;
        if (op && strcmp(op, "Exists") == 0 && rg_json_get(t, "value") != NULL)
            broken[3] = true;
        if (rg_json_get(t, "effect") != NULL &&
            !(effect &&
              (strcmp(effect, "NoSchedule") == 0 || strcmp(effect, "PreferNoSchedule") == 0 ||
               strcmp(effect, "NoExecute") == 0)))
            broken[4] = true;
    }
    for (size_t k = 0; k < 5; k++)
        if (broken[k])
            field_invalid_str(errs, path, "array", "%s", msgs[k]);
}

/* One podSetUpdate at p (restored on return). */
static void check_podset_update(field_errors_t *errs, field_path_t *p, const cJSON *psu,
                                const char *const *names, size_t n_names, const cJSON *obj)
{
    const char *name = rg_json_get_string(psu, "name");
    size_t mark = field_path_push_key(p, "name");
    if (name == NULL || wh__wl_podset_by_name(obj, name) == NULL)
        field_not_supported(errs, field_path_str(p), name ? name : "", names, n_names);
    field_path_pop(p, mark);

    const cJSON *tols = rg_json_get(psu, "tolerations");
    mark = field_path_push_key(p, "tolerations");
    if (cJSON_IsArray(tols)) {
        int n = cJSON_GetArraySize(tols);
        if (n > WL_TOLERATIONS_MAX)
            field_too_many(errs, field_path_str(p), n, WL_TOLERATIONS_MAX);
        size_t j = 0;
        const cJSON *t;
        cJSON_ArrayForEach(t, tols)
        {
            const char *key = rg_json_get_string(t, "key");
            size_t mj = field_path_push_index(p, j++);
            field_path_push_key(p, "key");
            if (key && key[0])
                wh_check_qualified_name(errs, field_path_str(p), key);
            field_path_pop(p, mj);
        }
        check_toleration_rules(errs, field_path_str(p), tols);
    } else if (tols != NULL && !cJSON_IsNull(tols)) {
        field_type_error(errs, field_path_str(p), "array", tols);
    }
    field_path_pop(p, mark);
    mark = field_path_push_key(p, "annotations");
    wh_check_annotations(errs, field_path_str(p), rg_json_get(psu, "annotations"));
    field_path_pop(p, mark);
    mark = field_path_push_key(p, "nodeSelector");
    wh_check_labels(errs, field_path_str(p), rg_json_get(psu, "nodeSelector"));
    field_path_pop(p, mark);
    mark = field_path_push_key(p, "labels");
    wh_check_labels(errs, field_path_str(p), rg_json_get(psu, "labels"));
    field_path_pop(p, mark);
}

static const cJSON *checks_of(const cJSON *obj)
{
    return rg_json_get_array(rg_json_get_object(obj, "status"), "admissionChecks");
}

void wh__wl_check_admission_checks(field_errors_t *errs, const cJSON *obj)
{
    const cJSON *checks = checks_of(obj);
    int n = cJSON_GetArraySize(checks);
    if (n == 0)
        return;
    if (n > WL_ADMISSION_CHECKS_MAX)
        field_too_many(errs, "status.admissionChecks", n, WL_ADMISSION_CHECKS_MAX);
    const char *names[WL_PODSETS_SCAN_MAX];
    size_t n_names = podset_names(obj, names, WL_PODSETS_SCAN_MAX);
    static const char *const states[] = {"Pending", "Ready", "Retry", "Rejected"};
    size_t i = 0;
    const cJSON *ac;
    cJSON_ArrayForEach(ac, checks)
    {
        if (i >= WL_ADMISSION_CHECKS_MAX)
            break;
        char base[96];
        const char *state = rg_json_get_string(ac, "state");
        if (state && strcmp(state, states[0]) != 0 && strcmp(state, states[1]) != 0 &&
            strcmp(state, states[2]) != 0 && strcmp(state, states[3]) != 0) {
            snprintf(base, sizeof(base), "status.admissionChecks[%zu].state", i);
            field_not_supported(errs, base, state, states, 4);
        }
        const cJSON *updates = rg_json_get_array(ac, "podSetUpdates");
        int nu = cJSON_GetArraySize(updates);
        if (nu > WL_PODSET_UPDATES_MAX) {
            snprintf(base, sizeof(base), "status.admissionChecks[%zu].podSetUpdates", i);
            field_too_many(errs, base, nu, WL_PODSET_UPDATES_MAX);
        }
        field_path_t p;
        field_path_init(&p, "status.admissionChecks");
        field_path_push_index(&p, i);
        field_path_push_key(&p, "podSetUpdates");
        size_t j = 0;
        const cJSON *psu;
        cJSON_ArrayForEach(psu, updates)
        {
            if (j >= WL_PODSET_UPDATES_MAX)
                break;
            size_t mark = field_path_push_index(&p, j++);
            check_podset_update(errs, &p, psu, names, n_names, obj);
            field_path_pop(&p, mark);
        }
        i++;
    }
}

/* validateImmutablePodSetUpdates: a check Ready before and after keeps its
 * podSetUpdates. The index is the old list's, as Kueue builds the path. */
void wh__wl_check_podset_updates_immutable(field_errors_t *errs, const cJSON *obj, const cJSON *old)
{
    const cJSON *now = checks_of(obj);
    size_t i = 0;
    const cJSON *oac;
    cJSON_ArrayForEach(oac, checks_of(old))
    {
        const char *name = rg_json_get_string(oac, "name");
        const cJSON *nac = name ? entry_named(now, name) : NULL;
        const char *os = rg_json_get_string(oac, "state");
        const char *ns = nac ? rg_json_get_string(nac, "state") : NULL;
        if (nac && os && ns && strcmp(os, "Ready") == 0 && strcmp(ns, "Ready") == 0) {
            const cJSON *a = rg_json_get(nac, "podSetUpdates");
            const cJSON *b = rg_json_get(oac, "podSetUpdates");
            bool a_empty = a == NULL || cJSON_IsNull(a) || cJSON_GetArraySize(a) == 0;
            bool b_empty = b == NULL || cJSON_IsNull(b) || cJSON_GetArraySize(b) == 0;
            if (!(a_empty && b_empty) && !(a && b && cJSON_Compare(a, b, true))) {
                char path[WL_PATH_MAX];
                snprintf(path, sizeof(path), "status.admissionChecks[%zu].podSetUpdates", i);
                field_invalid_json(errs, path, a_empty ? NULL : a, WL_MSG_IMMUTABLE);
            }
        }
        i++;
    }
}

/* ---- status.clusterName ---- */

static const char *cluster_name_of(const cJSON *obj)
{
    return rg_json_get_string(rg_json_get_object(obj, "status"), "clusterName");
}

static bool has_member(const cJSON *obj, const char *key)
{
    const cJSON *v = rg_json_get(obj, key);
    return v != NULL && !cJSON_IsNull(v);
}

void wh__wl_check_cluster_name(field_errors_t *errs, const cJSON *obj, const cJSON *old)
{
    const cJSON *status = rg_json_get_object(obj, "status");
    const cJSON *nominated = rg_json_get(status, "nominatedClusterNames");
    const char *name = cluster_name_of(obj);
    if (name && strlen(name) > WL_CLUSTER_NAME_MAX)
        field_too_long(errs, "status.clusterName", WL_CLUSTER_NAME_MAX);
    if (cJSON_IsArray(nominated)) {
        int n = cJSON_GetArraySize(nominated);
        if (n > WL_NOMINATED_MAX)
            field_too_many(errs, "status.nominatedClusterNames", n, WL_NOMINATED_MAX);
        size_t i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, nominated)
        {
            if (cJSON_IsString(e) && strlen(e->valuestring) > WL_CLUSTER_NAME_MAX) {
                char path[64];
                snprintf(path, sizeof(path), "status.nominatedClusterNames[%zu]", i);
                field_too_long(errs, path, WL_CLUSTER_NAME_MAX);
            }
            i++;
        }
    }
    /* The two CEL rules on WorkloadStatus, reported at status. */
    if (has_member(status, "clusterName") && cJSON_GetArraySize(nominated) > 0)
        field_invalid_str(errs, "status", "object",
                          "clusterName and nominatedClusterNames are mutually exclusive");
    if (old == NULL)
        return;
    const cJSON *ostatus = rg_json_get_object(old, "status");
    const char *before = cluster_name_of(old);
    if (has_member(ostatus, "clusterName") && has_member(status, "clusterName") &&
        !(name && before && strcmp(name, before) == 0))
        field_invalid_str(errs, "status", "object", "clusterName is immutable once set");
    /* validateClusterNameUpdate: a first clusterName is one the old object
     * nominated, unless the Workload replaces an elastic slice. */
    const char *replaces = rg_json_get_string(rg_json_path(obj, "metadata", "annotations", NULL),
                                              WL_SLICE_REPLACEMENT_ANNOTATION);
    if (replaces != NULL || has_member(ostatus, "clusterName") || name == NULL)
        return;
    const cJSON *e;
    cJSON_ArrayForEach(e, rg_json_get_array(ostatus, "nominatedClusterNames"))
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, name) == 0)
            return;
    }
    field_invalid_str(errs, "status.clusterName", name,
                      "when setting clusterName it must be one of the nominatedClusterNames");
}

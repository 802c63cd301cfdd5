/*
 * Workload rules (kueue.x-k8s.io v1beta1 and v1beta2): Kueue's validating
 * webhook (pkg/webhooks/workload_webhook.go) together with the CRD schema
 * and CEL rules of workload_types.go, since raygate may run where the CRDs
 * are looser. The mutating policy lives in workload.c.
 */
#include "raygate/quantity.h"
#include "raygate/validate.h"
#include "raygate/webhooks.h"

#include "raygate/alloc.h"

#include "kueue_internal.h"
#include "pod_internal.h"
#include "workload_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* podSets bounds: MaxItems 8 in v1beta1, 18 in v1beta2; MinItems 1. */
#define WL_PODSETS_MAX_V1BETA1 8
#define WL_PODSETS_MAX_V1BETA2 18

/* ---- small readers ---- */

int wh__wl_get_int32(field_errors_t *errs, const char *path, const cJSON *v, int64_t *out)
{
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsNumber(v)) {
        if (errs)
            field_type_error(errs, path, "integer", v);
        return -1;
    }
    double d = v->valuedouble;
    if (!(d >= (double)INT32_MIN && d <= (double)INT32_MAX) || d != (double)(int64_t)d) {
        if (errs)
            field_invalid_json(errs, path, v, "must be a 32-bit integer");
        return -1;
    }
    *out = (int64_t)d;
    return 1;
}


/* An optional string member: the string, NULL when absent or null, and an
 * error (NULL returned, *bad set) for another type. */
static const char *get_str(field_errors_t *errs, const char *path, const cJSON *parent,
                           const char *key, bool *bad)
{
    const cJSON *v = rg_json_get(parent, key);
    if (v == NULL || cJSON_IsNull(v))
        return NULL;
    if (!cJSON_IsString(v)) {
        if (errs)
            field_type_error(errs, path, "string", v);
        if (bad)
            *bad = true;
        return NULL;
    }
    return v->valuestring;
}

static const char *str_or(const cJSON *parent, const char *key, const char *dflt)
{
    const char *s = rg_json_get_string(parent, key);
    return s ? s : dflt;
}

/* A lone podSet with an empty name is named "main" by the mutating webhook
 * (Kueue's defaulter), so the validator sees it that way too. */
const char *wh__wl_podset_name(const cJSON *ps, size_t n_podsets)
{
    const cJSON *v = rg_json_get(ps, "name");
    if (v == NULL || cJSON_IsNull(v))
        return WL_DEFAULT_PODSET;
    if (!cJSON_IsString(v))
        return NULL;
    if (v->valuestring[0] == '\0' && n_podsets == 1)
        return WL_DEFAULT_PODSET;
    return v->valuestring;
}

int64_t wh__wl_podset_count(const cJSON *ps)
{
    const cJSON *v = rg_json_get(ps, "count");
    if (v == NULL || cJSON_IsNull(v))
        return 1;
    int64_t c = -1;
    if (wh__wl_get_int32(NULL, "count", v, &c) != 1)
        c = -1;
    return c;
}

const cJSON *wh__wl_podset_by_name(const cJSON *obj, const char *name)
{
    const cJSON *podsets = rg_json_get_array(rg_json_get_object(obj, "spec"), "podSets");
    size_t n = (size_t)cJSON_GetArraySize(podsets);
    const cJSON *ps;
    cJSON_ArrayForEach(ps, podsets)
    {
        const char *pn = cJSON_IsObject(ps) ? wh__wl_podset_name(ps, n) : NULL;
        if (pn && strcmp(pn, name) == 0)
            return ps;
    }
    return NULL;
}

bool wh__wl_condition_true(const cJSON *obj, const char *type)
{
    const cJSON *conds = rg_json_get_array(rg_json_get_object(obj, "status"), "conditions");
    const cJSON *c;
    cJSON_ArrayForEach(c, conds)
    {
        const char *t = rg_json_get_string(c, "type");
        const char *status = rg_json_get_string(c, "status");
        if (t && status && strcmp(t, type) == 0 && strcmp(status, "True") == 0)
            return true;
    }
    return false;
}

const cJSON *wh__wl_admission(const cJSON *obj)
{
    const cJSON *a = rg_json_get(rg_json_get_object(obj, "status"), "admission");
    return a && !cJSON_IsNull(a) ? a : NULL;
}

bool wh__wl_elastic(const cJSON *obj)
{
    const char *v = rg_json_get_string(rg_json_path(obj, "metadata", "annotations", NULL),
                                       WL_ELASTIC_ANNOTATION);
    return v && strcmp(v, "true") == 0;
}


/* workload.HasQuotaReservation: condition QuotaReserved with status True. */
static bool has_quota_reservation(const cJSON *obj)
{
    return wh__wl_condition_true(obj, "QuotaReserved");
}

/* ---- podSets ---- */

/* The pod template: metadata maps, then every requests/limits map. */
static void check_template(field_errors_t *errs, field_path_t *p, const cJSON *tmpl)
{
    size_t mark = field_path_push_key(p, "template");
    const cJSON *meta = rg_json_get_object(tmpl, "metadata");
    if (meta) {
        size_t m = field_path_push_key(p, "metadata");
        size_t m2 = field_path_push_key(p, "labels");
        wh_check_labels(errs, field_path_str(p), rg_json_get(meta, "labels"));
        field_path_pop(p, m2);
        m2 = field_path_push_key(p, "annotations");
        wh_check_annotations(errs, field_path_str(p), rg_json_get(meta, "annotations"));
        field_path_pop(p, m);
    }
    const cJSON *spec = rg_json_get_object(tmpl, "spec");
    if (spec) {
        size_t m = field_path_push_key(p, "spec");
        wh__pod_spec_quantities(errs, p, spec, WH_QTY_RESERVE_PODS);
        field_path_pop(p, m);
    }
    field_path_pop(p, mark);
}

/* A string member of at most max characters (CRD MaxLength); p restored. */
static void check_max_len(field_errors_t *errs, field_path_t *p, const cJSON *obj,
                          const char *key, size_t max)
{
    const char *v = rg_json_get_string(obj, key);
    if (v == NULL || strlen(v) <= max)
        return;
    size_t mark = field_path_push_key(p, key);
    field_too_long(errs, field_path_str(p), (int64_t)max);
    field_path_pop(p, mark);
}

/*
 * spec.podSets[i].topologyRequest: Kueue's validateTASSliceSize (the slice
 * size needs its required-topology companion and is > 0, as is every
 * multi-layer constraint's size) with the CRD bounds of the same fields,
 * and the webhook's warning for a negative subGroupCount.
 */
static void check_topology_request(field_errors_t *errs, wh_warnings_t *warns, field_path_t *p,
                                   const cJSON *tr)
{
    if (tr == NULL || cJSON_IsNull(tr))
        return;
    size_t mark = field_path_push_key(p, "topologyRequest");
    if (!cJSON_IsObject(tr)) {
        field_type_error(errs, field_path_str(p), "object", tr);
        field_path_pop(p, mark);
        return;
    }
    static const struct {
        const char *key;
        size_t max;
    } lens[] = {{"required", 63},          {"preferred", 63},       {"podIndexLabel", 317},
                {"subGroupIndexLabel", 317}, {"podSetGroupName", 256},
                {"podSetSliceRequiredTopology", 63}};
    for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++)
        check_max_len(errs, p, tr, lens[k].key, lens[k].max);

    const cJSON *topo = rg_json_get(tr, "podSetSliceRequiredTopology");
    bool has_topo = topo != NULL && !cJSON_IsNull(topo);
    size_t m = field_path_push_key(p, "podSetSliceSize");
    int64_t size = 0;
    int have_size = wh__wl_get_int32(errs, field_path_str(p), rg_json_get(tr, "podSetSliceSize"), &size);
    if (has_topo && have_size == 0)
        field_required(errs, field_path_str(p),
                       "must be set when podSetSliceRequiredTopology is specified");
    else if (has_topo && have_size == 1 && size <= 0)
        field_invalid_int(errs, field_path_str(p), size, "must be greater than 0");
    if (!has_topo && have_size != 0)
        field_forbidden(errs, field_path_str(p),
                        "may not be set when podSetSliceRequiredTopology is not specified");
    field_path_pop(p, m);

    const cJSON *layers = rg_json_get(tr, "podsetSliceRequiredTopologyConstraints");
    m = field_path_push_key(p, "podsetSliceRequiredTopologyConstraints");
    if (cJSON_IsArray(layers)) {
        int n = cJSON_GetArraySize(layers);
        if (n > 3)
            field_too_many(errs, field_path_str(p), n, 3);
        size_t i = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, layers)
        {
            size_t mi = field_path_push_index(p, i++);
            size_t ms = field_path_push_key(p, "size");
            int64_t cs = 0;
            if (wh__wl_get_int32(errs, field_path_str(p), rg_json_get(c, "size"), &cs) == 1 && cs <= 0)
                field_invalid_int(errs, field_path_str(p), cs, "must be greater than 0");
            field_path_pop(p, ms);
            field_path_pop(p, mi);
        }
    } else if (layers != NULL && !cJSON_IsNull(layers)) {
        field_type_error(errs, field_path_str(p), "array", layers);
    }
    field_path_pop(p, m);

    int64_t groups = 0;
    m = field_path_push_key(p, "subGroupCount");
    if (wh__wl_get_int32(errs, field_path_str(p), rg_json_get(tr, "subGroupCount"), &groups) == 1 &&
        groups < 0)
        wh_warn(warns,
                "%s: negative value %lld is deprecated and will be rejected in a future release",
                field_path_str(p), (long long)groups);
    field_path_pop(p, m);
    field_path_pop(p, mark);
}

static void check_podset(field_errors_t *errs, wh_warnings_t *warns, const cJSON *podsets,
                         const cJSON *ps, size_t i, size_t n, size_t *min_count_users)
{
    field_path_t p;
    field_path_init(&p, "spec.podSets");
    field_path_push_index(&p, i);
    if (!cJSON_IsObject(ps)) {
        field_type_error(errs, field_path_str(&p), "object", ps);
        return;
    }

    size_t mark = field_path_push_key(&p, "name");
    bool bad = false;
    get_str(errs, field_path_str(&p), ps, "name", &bad);
    const char *name = wh__wl_podset_name(ps, n);
    if (name)
        wh_check_dns1123_label(errs, field_path_str(&p), name);
    field_path_pop(&p, mark);

    /* listType=map keyed by name: the apiserver's duplicate error. */
    if (name) {
        size_t j = 0;
        const cJSON *prev;
        cJSON_ArrayForEach(prev, podsets)
        {
            if (j++ >= i)
                break;
            const char *pn = cJSON_IsObject(prev) ? wh__wl_podset_name(prev, n) : NULL;
            if (pn && strcmp(pn, name) == 0) {
                field_duplicate_map_key(errs, field_path_str(&p), name);
                break;
            }
        }
    }

    int64_t count = 1;
    mark = field_path_push_key(&p, "count");
    int have_count = wh__wl_get_int32(errs, field_path_str(&p), rg_json_get(ps, "count"), &count);
    if (have_count == 1 && count < 0)
        field_invalid_int(errs, field_path_str(&p), count,
                          "%s in body should be greater than or equal to 0", field_path_str(&p));
    field_path_pop(&p, mark);

    const cJSON *mc = rg_json_get(ps, "minCount");
    if (mc && !cJSON_IsNull(mc)) {
        (*min_count_users)++;
        int64_t min_count = 0;
        mark = field_path_push_key(&p, "minCount");
        int have_min = wh__wl_get_int32(errs, field_path_str(&p), mc, &min_count);
        if (have_min == 1 && min_count < 1)
            field_invalid_int(errs, field_path_str(&p), min_count,
                              "%s in body should be greater than or equal to 1",
                              field_path_str(&p));
        field_path_pop(&p, mark);
        /* CEL on PodSet: has(self.minCount) ? self.minCount <= self.count. */
        if (have_min == 1 && have_count >= 0 && min_count > count)
            field_invalid_str(errs, field_path_str(&p), "object",
                              "minCount should be positive and less or equal to count");
    }

    const cJSON *tmpl = rg_json_get(ps, "template");
    if (tmpl && !cJSON_IsNull(tmpl)) {
        if (!cJSON_IsObject(tmpl)) {
            mark = field_path_push_key(&p, "template");
            field_type_error(errs, field_path_str(&p), "object", tmpl);
            field_path_pop(&p, mark);
        } else {
            check_template(errs, &p, tmpl);
        }
    }
    check_topology_request(errs, warns, &p, rg_json_get(ps, "topologyRequest"));
}

static void check_podsets(field_errors_t *errs, wh_warnings_t *warns, const cJSON *obj,
                          const cJSON *spec, bool v1beta2)
{
    const cJSON *podsets = rg_json_get(spec, "podSets");
    size_t max = v1beta2 ? WL_PODSETS_MAX_V1BETA2 : WL_PODSETS_MAX_V1BETA1;
    if (podsets == NULL || cJSON_IsNull(podsets)) {
        field_required(errs, "spec.podSets", "at least one podSet is required");
        return;
    }
    if (!cJSON_IsArray(podsets)) {
        field_type_error(errs, "spec.podSets", "array", podsets);
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(podsets);
    if (n == 0)
        field_required(errs, "spec.podSets", "at least one podSet is required");
    else if (n > max)
        field_too_many(errs, "spec.podSets", (int64_t)n, (int64_t)max);

    size_t min_count_users = 0, i = 0;
    const cJSON *ps;
    cJSON_ArrayForEach(ps, podsets)
    {
        if (i >= WL_PODSETS_SCAN_MAX)
            break;
        check_podset(errs, warns, podsets, ps, i, n, &min_count_users);
        i++;
    }
    if (min_count_users > 1)
        field_invalid_int(errs, "spec.podSets", (int64_t)min_count_users,
                          "at most one podSet can use minCount");
    if (min_count_users > 0 && wh__wl_elastic(obj))
        field_invalid_int(errs, "spec.podSets", (int64_t)min_count_users,
                          "partial admission and elastic job cannot be used together");
}

/* maximumExecutionTimeSeconds: an int32 >= 1 (CRD, both versions). */
static void check_max_exec(field_errors_t *errs, const cJSON *spec)
{
    int64_t v = 0;
    if (wh__wl_get_int32(errs, "spec.maximumExecutionTimeSeconds",
                  rg_json_get(spec, "maximumExecutionTimeSeconds"), &v) == 1 &&
        v < 1)
        field_invalid_int(errs, "spec.maximumExecutionTimeSeconds", v,
                          "spec.maximumExecutionTimeSeconds in body should be greater than or "
                          "equal to 1");
}

/* The CEL rule on Workload: while Admitted before and after, the limit
 * stays (absent reads as 0). */
static void check_max_exec_immutable(field_errors_t *errs, const cJSON *obj, const cJSON *old)
{
    if (!wh__wl_condition_true(obj, "Admitted") || !wh__wl_condition_true(old, "Admitted"))
        return;
    const cJSON *a = rg_json_get(rg_json_get_object(obj, "spec"), "maximumExecutionTimeSeconds");
    const cJSON *b = rg_json_get(rg_json_get_object(old, "spec"), "maximumExecutionTimeSeconds");
    int64_t va = 0, vb = 0;
    if (wh__wl_get_int32(NULL, "", a, &va) < 0 || wh__wl_get_int32(NULL, "", b, &vb) < 0)
        return; /* the type error is reported on its own */
    if (va != vb)
        field_invalid_int(errs, "spec.maximumExecutionTimeSeconds", va, WL_MSG_IMMUTABLE);
}

/* ---- queue and priority ---- */

static void check_priority(field_errors_t *errs, const cJSON *spec, bool v1beta2)
{
    int64_t prio = 0;
    int have_prio = wh__wl_get_int32(errs, "spec.priority", rg_json_get(spec, "priority"), &prio);
    bool prio_set = have_prio != 0;

    if (!v1beta2) {
        const cJSON *pcn_node = rg_json_get(spec, "priorityClassName");
        bool pcn_set = pcn_node != NULL && !cJSON_IsNull(pcn_node);
        const char *pcn =
            get_str(errs, "spec.priorityClassName", spec, "priorityClassName", NULL);
        if (pcn)
            wh_check_dns1123_subdomain(errs, "spec.priorityClassName", pcn);
        const char *src =
            get_str(errs, "spec.priorityClassSource", spec, "priorityClassSource", NULL);
        static const char *const sources[] = {"kueue.x-k8s.io/workloadpriorityclass",
                                              "scheduling.k8s.io/priorityclass", ""};
        if (src && strcmp(src, sources[0]) != 0 && strcmp(src, sources[1]) != 0 && src[0])
            field_not_supported(errs, "spec.priorityClassSource", src, sources, 3);
        if (pcn_set && !prio_set)
            field_invalid_str(errs, "spec", "object",
                              "priority should not be nil when priorityClassName is set");
        return;
    }

    const cJSON *ref = rg_json_get(spec, "priorityClassRef");
    if (ref == NULL || cJSON_IsNull(ref))
        return;
    if (!cJSON_IsObject(ref)) {
        field_type_error(errs, "spec.priorityClassRef", "object", ref);
    } else {
        static const char *const groups[] = {"kueue.x-k8s.io", "scheduling.k8s.io"};
        static const char *const kinds[] = {"WorkloadPriorityClass", "PriorityClass"};
        bool bad = false;
        const char *group = get_str(errs, "spec.priorityClassRef.group", ref, "group", &bad);
        const char *kind = get_str(errs, "spec.priorityClassRef.kind", ref, "kind", &bad);
        const char *name = get_str(errs, "spec.priorityClassRef.name", ref, "name", &bad);
        if (group == NULL && rg_json_get(ref, "group") == NULL)
            field_required(errs, "spec.priorityClassRef.group", NULL);
        else if (group && strcmp(group, groups[0]) != 0 && strcmp(group, groups[1]) != 0)
            field_not_supported(errs, "spec.priorityClassRef.group", group, groups, 2);
        if (kind == NULL && rg_json_get(ref, "kind") == NULL)
            field_required(errs, "spec.priorityClassRef.kind", NULL);
        else if (kind && strcmp(kind, kinds[0]) != 0 && strcmp(kind, kinds[1]) != 0)
            field_not_supported(errs, "spec.priorityClassRef.kind", kind, kinds, 2);
        if (name == NULL && rg_json_get(ref, "name") == NULL)
            field_required(errs, "spec.priorityClassRef.name", NULL);
        else if (name)
            wh_check_dns1123_subdomain(errs, "spec.priorityClassRef.name", name);
        /* The two CEL rules of PriorityClassRef. */
        if (group && kind && strcmp(group, groups[1]) == 0 && strcmp(kind, kinds[1]) != 0)
            field_invalid_str(errs, "spec.priorityClassRef", "object",
                              "only the PriorityClass kind is allowed for the "
                              "scheduling.k8s.io group");
        if (group && kind && strcmp(group, groups[0]) == 0 && strcmp(kind, kinds[0]) != 0)
            field_invalid_str(errs, "spec.priorityClassRef", "object",
                              "only the WorkloadPriorityClass kind is allowed for the "
                              "kueue.x-k8s.io group");
    }
    if (!prio_set)
        field_invalid_str(errs, "spec", "object",
                          "priority should not be nil when priorityClassRef is set");
}

/* ---- UPDATE ---- */

/*
 * Kueue's validateImmutablePodSets: same number of podSets, each equal to
 * its old self but for a lower count (the scale-down Kueue allows for
 * elastic workloads).
 */
static void check_podsets_immutable(field_errors_t *errs, const cJSON *obj, const cJSON *old)
{
    const cJSON *np = rg_json_get(rg_json_get_object(obj, "spec"), "podSets");
    const cJSON *op = rg_json_get(rg_json_get_object(old, "spec"), "podSets");
    if (!cJSON_IsArray(np) || !cJSON_IsArray(op) ||
        cJSON_GetArraySize(np) != cJSON_GetArraySize(op)) {
        field_invalid_json(errs, "spec.podSets", np, WL_MSG_IMMUTABLE);
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(np);
    size_t i = 0;
    for (const cJSON *a = np->child, *b = op->child; a && b; a = a->next, b = b->next, i++) {
        if (i >= WL_PODSETS_SCAN_MAX)
            break;
        bool same;
        if (!cJSON_IsObject(a) || !cJSON_IsObject(b)) {
            same = cJSON_Compare(a, b, true);
        } else {
            const char *na = wh__wl_podset_name(a, n), *nb = wh__wl_podset_name(b, n);
            int64_t ca = wh__wl_podset_count(a), cb = wh__wl_podset_count(b);
            same = na && nb && strcmp(na, nb) == 0 && ca >= 0 && cb >= 0 && ca <= cb;
            if (same) {
                cJSON *da = cJSON_Duplicate(a, true), *db = cJSON_Duplicate(b, true);
                static const char *const skip[] = {"name", "count"};
                for (size_t k = 0; k < 2; k++) {
                    cJSON_DeleteItemFromObjectCaseSensitive(da, skip[k]);
                    cJSON_DeleteItemFromObjectCaseSensitive(db, skip[k]);
                }
                same = cJSON_Compare(da, db, true);
                cJSON_Delete(da);
                cJSON_Delete(db);
            }
        }
        if (!same) {
            char path[48];
            snprintf(path, sizeof(path), "spec.podSets[%zu]", i);
            field_invalid_json(errs, path, a, WL_MSG_IMMUTABLE);
        }
    }
}

/* ValidateImmutableField on a string that defaults to "". */
static void check_str_immutable(field_errors_t *errs, const char *path, const cJSON *nspec,
                                const cJSON *ospec, const char *key)
{
    const char *a = str_or(nspec, key, ""), *b = str_or(ospec, key, "");
    if (strcmp(a, b) != 0)
        field_invalid_str(errs, path, a, WL_MSG_IMMUTABLE);
}

/*
 * The priority class reference while the quota stays reserved: v1beta1
 * priorityClassName and priorityClassSource; v1beta2 priorityClassRef's
 * presence, group and kind, and its name for scheduling.k8s.io classes
 * (a WorkloadPriorityClass name may change, as Kueue's CEL allows).
 */
static void check_priority_ref_immutable(field_errors_t *errs, const cJSON *nspec,
                                         const cJSON *ospec, bool v1beta2)
{
    if (!v1beta2) {
        check_str_immutable(errs, "spec.priorityClassName", nspec, ospec, "priorityClassName");
        check_str_immutable(errs, "spec.priorityClassSource", nspec, ospec,
                            "priorityClassSource");
        return;
    }
    const cJSON *nr = rg_json_get_object(nspec, "priorityClassRef");
    const cJSON *orf = rg_json_get_object(ospec, "priorityClassRef");
    if ((nr == NULL) != (orf == NULL)) {
        field_invalid_json(errs, "spec.priorityClassRef", nr, WL_MSG_IMMUTABLE);
        return;
    }
    if (nr == NULL)
        return;
    check_str_immutable(errs, "spec.priorityClassRef.group", nr, orf, "group");
    check_str_immutable(errs, "spec.priorityClassRef.kind", nr, orf, "kind");
    const char *g = str_or(nr, "group", ""), *k = str_or(nr, "kind", "");
    if (strcmp(g, "scheduling.k8s.io") == 0 && strcmp(k, "PriorityClass") == 0)
        check_str_immutable(errs, "spec.priorityClassRef.name", nr, orf, "name");
}

static void check_update(field_errors_t *errs, const cJSON *obj, const cJSON *old, bool v1beta2)
{
    bool old_reserved = has_quota_reservation(old);
    bool new_reserved = has_quota_reservation(obj);
    const cJSON *nspec = rg_json_get_object(obj, "spec");
    const cJSON *ospec = rg_json_get_object(old, "spec");

    if (old_reserved)
        check_podsets_immutable(errs, obj, old);
    if (old_reserved && new_reserved) {
        check_str_immutable(errs, "spec.queueName", nspec, ospec, "queueName");
        check_priority_ref_immutable(errs, nspec, ospec, v1beta2);
    }
    wh__wl_check_reclaimable_update(errs, obj, old);
    /* validateAdmissionUpdate: admission may be set or cleared, not edited. */
    const cJSON *na = wh__wl_admission(obj), *oa = wh__wl_admission(old);
    if (na && oa && !cJSON_Compare(na, oa, true))
        field_invalid_json(errs, "status.admission", na, WL_MSG_IMMUTABLE);
    wh__wl_check_podset_updates_immutable(errs, obj, old);
    check_max_exec_immutable(errs, obj, old);
}

/* ---- cluster references ---- */

static const char *namespace_of(const cJSON *o)
{
    const char *ns = rg_json_get_string(rg_json_get_object(o, "metadata"), "namespace");
    return ns && ns[0] ? ns : "default";
}

/* Kueue lets a Workload wait for its LocalQueue, so a missing one warns. */
static void warn_missing_queue(const wh_vctx_t *ctx, const cJSON *obj, wh_warnings_t *warns)
{
    const wh_cluster_t *cl = ctx->cluster;
    if (cl == NULL || cl->count == NULL || cl->object == NULL)
        return;
    if (ctx->sub_resource && strcmp(ctx->sub_resource, "status") == 0)
        return;
    const char *queue = rg_json_get_string(rg_json_get_object(obj, "spec"), "queueName");
    if (queue == NULL || queue[0] == '\0' || !wh_check_dns1123_subdomain(NULL, "", queue))
        return;
    const char *ns = namespace_of(obj);
    if (!wh_local_queue_exists(cl, ns, queue))
        wh_warn(warns,
                "spec.queueName: LocalQueue \"%s\" does not exist in namespace \"%s\"; the "
                "Workload waits until it does",
                queue, ns);
}

void wh_workload_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                          field_errors_t *errs, wh_warnings_t *warns)
{
    wh_api_t api = ctx->api;
    if (api == WH_API_OTHER)
        api = wh_api_of(rg_json_get_string(obj, "apiVersion"));
    bool v1beta2 = api == WH_API_KUEUE_V1BETA2;

    const cJSON *spec_node = rg_json_get(obj, "spec");
    if (spec_node && !cJSON_IsNull(spec_node) && !cJSON_IsObject(spec_node)) {
        field_type_error(errs, "spec", "object", spec_node);
        return;
    }
    const cJSON *spec = rg_json_get_object(obj, "spec");
    check_podsets(errs, warns, obj, spec, v1beta2);

    bool bad = false;
    const char *queue = get_str(errs, "spec.queueName", spec, "queueName", &bad);
    if (queue && queue[0])
        wh_check_dns1123_subdomain(errs, "spec.queueName", queue);
    check_priority(errs, spec, v1beta2);
    check_max_exec(errs, spec);

    bool update = ctx->operation == ADM_OP_UPDATE && old != NULL;
    wh__wl_check_admission(errs, obj, update ? old : NULL);
    wh__check_conditions(errs, "status.conditions",
                         rg_json_get(rg_json_get_object(obj, "status"), "conditions"));
    wh__wl_check_reclaimable(errs, obj, update ? old : NULL);
    wh__wl_check_admission_checks(errs, obj);
    wh__wl_check_cluster_name(errs, obj, update ? old : NULL);
    wh__check_admission_gated_by(errs, obj, update ? old : NULL);
    if (update)
        check_update(errs, obj, old, v1beta2);

    warn_missing_queue(ctx, obj, warns);
}

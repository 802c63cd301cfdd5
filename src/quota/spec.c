/*
 * Decoding API objects into the engine's specs: ClusterQueue (canonical or
 * the seed's shorthand), ResourceFlavor, LocalQueue (and the seed's Queue),
 * priority classes and Workloads, v1beta1 or v1beta2 (v1beta1 is converted
 * to v1beta2 first, so only one form is read). Untrusted input: every field
 * is type-checked and bounded; errors name the field and the value.
 */
#include "internal.h"

#include "raygate/alloc.h"
#include "raygate/clusterqueue.h"
#include "raygate/convert.h"
#include "raygate/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define V1BETA2 "kueue.x-k8s.io/v1beta2"

/* ---- freeing ---- */

static void group_release(quota_group_t *g)
{
    for (size_t i = 0; i < g->n_covered; i++)
        rg_free(g->covered[i]);
    rg_free(g->covered);
    for (size_t f = 0; f < g->n_flavors; f++) {
        quota_flavor_quotas_t *fq = &g->flavors[f];
        for (size_t r = 0; r < fq->n_res; r++)
            rg_free(fq->res[r].resource);
        rg_free(fq->res);
        rg_free(fq->flavor);
    }
    rg_free(g->flavors);
}

void quota_cq_spec_free(quota_cq_spec_t *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_groups; i++)
        group_release(&s->groups[i]);
    rg_free(s->groups);
    rg_free(s->name);
    rg_free(s->cohort);
    cJSON_Delete(s->namespace_selector);
    rg_free(s);
}

void quota_flavor_spec_free(quota_flavor_spec_t *s)
{
    if (s == NULL)
        return;
    rg_free(s->name);
    cJSON_Delete(s->node_labels);
    cJSON_Delete(s->node_taints);
    cJSON_Delete(s->tolerations);
    rg_free(s);
}

void quota_lq_spec_free(quota_lq_spec_t *s)
{
    if (s == NULL)
        return;
    rg_free(s->ns);
    rg_free(s->name);
    rg_free(s->cluster_queue);
    rg_free(s);
}

void quota_admission_free(quota_admission_t *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n_podsets; i++) {
        quota_ps_admission_t *ps = &a->podsets[i];
        for (size_t r = 0; r < ps->n_res; r++) {
            rg_free(ps->res[r].resource);
            rg_free(ps->res[r].flavor);
        }
        rg_free(ps->res);
        rg_free(ps->name);
    }
    rg_free(a->podsets);
    rg_free(a->cluster_queue);
    rg_free(a);
}

void quota_wl_spec_free(quota_wl_spec_t *s)
{
    if (s == NULL)
        return;
    rg_free(s->ns);
    rg_free(s->name);
    rg_free(s->uid);
    rg_free(s->resource_version);
    rg_free(s->queue);
    rg_free(s->class_name);
    for (size_t i = 0; i < s->n_podsets; i++) {
        rg_free(s->podsets[i].name);
        podspec_reqs_release(&s->podsets[i].per_pod);
        cJSON_Delete(s->podsets[i].placement);
    }
    rg_free(s->podsets);
    rg_free(s->invalid);
    quota_admission_free(s->admission);
    rg_free(s->evicted_reason);
    rg_free(s->note.reason);
    rg_free(s->note.message);
    for (size_t i = 0; i < s->n_reclaimable; i++)
        rg_free(s->reclaimable[i].podset);
    rg_free(s->reclaimable);
    quota__wl_extras_release(s);
    rg_free(s);
}

/* ---- reading helpers ---- */

static char *dup_or_null(const char *s)
{
    return s ? rg_strdup(s) : NULL;
}

static const cJSON *opt_array(const cJSON *obj, const char *key, const char *path, rg_error_t *err,
                              int *rc)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (n == NULL || cJSON_IsNull(n))
        return NULL;
    if (!cJSON_IsArray(n)) {
        *rc = rg_error_set(err, RG_ERR_TYPE, "%s.%s: Invalid value: \"%s\": must be an array", path,
                           key, rg_json_type_name(n));
        return NULL;
    }
    return n;
}

/* An int32 member: absent/null leaves *out; returns 0 or an error. */
static int opt_int32(const cJSON *obj, const char *key, const char *path, int32_t *out,
                     rg_error_t *err)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (n == NULL || cJSON_IsNull(n))
        return RG_OK;
    double d = cJSON_IsNumber(n) ? n->valuedouble : NAN;
    if (!isfinite(d) || d != floor(d) || d < INT32_MIN || d > INT32_MAX)
        return rg_error_set(err, RG_ERR_TYPE, "%s.%s: Invalid value: must be a 32-bit integer",
                            path, key);
    *out = (int32_t)d;
    return RG_OK;
}

/* A quantity at path (and key, when not NULL); errors name both. */
static int parse_qty(const cJSON *n, const char *path, const char *key, quota_qty_t *out,
                     rg_error_t *err)
{
    rg_error_t qerr = {0};
    if (quota_qty_parse_json(n, out, &qerr) == RG_OK)
        return RG_OK;
    return rg_error_set(err, qerr.code, "%s%s%s: Invalid value: %s", path, key ? "." : "",
                        key ? key : "", rg_error_str(&qerr));
}

/* Converts a v1beta1 object; returns the object to read (owned in *hold when converted). */
static const cJSON *as_v1beta2(const cJSON *obj, cJSON **hold, rg_error_t *err)
{
    *hold = NULL;
    const char *av = rg_json_get_string(obj, "apiVersion");
    if (av == NULL || strcmp(av, V1BETA2) == 0 || strncmp(av, "kueue.x-k8s.io/", 15) != 0)
        return obj;
    *hold = convert_kueue_object(obj, V1BETA2, err);
    return *hold;
}

static const char *meta_str(const cJSON *obj, const char *key)
{
    return rg_json_get_string(rg_json_get_object(obj, "metadata"), key);
}

static bool meta_deleting(const cJSON *obj)
{
    return rg_json_get(rg_json_get_object(obj, "metadata"), "deletionTimestamp") != NULL;
}

static int require_name(const cJSON *obj, const char *kind, const char **name, rg_error_t *err)
{
    *name = meta_str(obj, "name");
    if (*name == NULL || (*name)[0] == '\0')
        return rg_error_set(err, RG_ERR_INVAL, "%s: metadata.name: Required value", kind);
    return RG_OK;
}

/* ---- ClusterQueue ---- */

static int decode_limit(const cJSON *obj, const char *key, const char *path, quota_limit_t *out,
                        rg_error_t *err)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (n == NULL || cJSON_IsNull(n))
        return RG_OK;
    out->set = true;
    return parse_qty(n, path, key, &out->v, err);
}

static int decode_flavor_quotas(const cJSON *fl, const char *path, quota_flavor_quotas_t *out,
                                rg_error_t *err)
{
    const char *name = rg_json_get_string(fl, "name");
    if (name == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "%s.name: Required value", path);
    out->flavor = rg_strdup(name);
    int rc = RG_OK;
    const cJSON *res = opt_array(fl, "resources", path, err, &rc);
    size_t n = (size_t)cJSON_GetArraySize(res);
    if (rc != RG_OK || n > QUOTA_MAX_RESOURCES)
        return rc != RG_OK
                   ? rc
                   : rg_error_set(err, RG_ERR_RANGE, "%s.resources: Too many: %zu", path, n);
    out->res = rg_calloc(n ? n : 1, sizeof(*out->res));
    const cJSON *r;
    cJSON_ArrayForEach(r, res)
    {
        char sub[256];
        snprintf(sub, sizeof(sub), "%s.resources[%zu]", path, out->n_res);
        quota_res_quota_t *q = &out->res[out->n_res++];
        const char *rname = rg_json_get_string(r, "name");
        if (rname == NULL)
            return rg_error_set(err, RG_ERR_INVAL, "%s.name: Required value", sub);
        q->resource = rg_strdup(rname);
        const cJSON *nominal = rg_json_get(r, "nominalQuota");
        rc = nominal ? parse_qty(nominal, sub, "nominalQuota", &q->nominal, err) : RG_OK;
        if (rc == RG_OK)
            rc = decode_limit(r, "borrowingLimit", sub, &q->borrowing, err);
        if (rc == RG_OK)
            rc = decode_limit(r, "lendingLimit", sub, &q->lending, err);
        if (rc != RG_OK)
            return rc;
    }
    return RG_OK;
}

static int decode_group(const cJSON *g, const char *path, quota_group_t *out, rg_error_t *err)
{
    int rc = RG_OK;
    const cJSON *covered = opt_array(g, "coveredResources", path, err, &rc);
    const cJSON *flavors = rc == RG_OK ? opt_array(g, "flavors", path, err, &rc) : NULL;
    if (rc != RG_OK)
        return rc;
    size_t nc = (size_t)cJSON_GetArraySize(covered), nf = (size_t)cJSON_GetArraySize(flavors);
    if (nc > QUOTA_MAX_RESOURCES || nf > QUOTA_MAX_FLAVORS)
        return rg_error_set(err, RG_ERR_RANGE, "%s: Too many: %zu resources, %zu flavors", path, nc,
                            nf);
    out->covered = rg_calloc(nc ? nc : 1, sizeof(char *));
    const cJSON *it;
    cJSON_ArrayForEach(it, covered)
    {
        if (!cJSON_IsString(it))
            return rg_error_set(err, RG_ERR_TYPE, "%s.coveredResources[%zu]: must be a string",
                                path, out->n_covered);
        out->covered[out->n_covered++] = rg_strdup(it->valuestring);
    }
    out->flavors = rg_calloc(nf ? nf : 1, sizeof(*out->flavors));
    cJSON_ArrayForEach(it, flavors)
    {
        char sub[200];
        snprintf(sub, sizeof(sub), "%s.flavors[%zu]", path, out->n_flavors);
        rc = decode_flavor_quotas(it, sub, &out->flavors[out->n_flavors++], err);
        if (rc != RG_OK)
            return rc;
    }
    return RG_OK;
}

static quota_fungibility_t fungibility_of(const char *v, quota_fungibility_t dflt)
{
    if (v == NULL)
        return dflt;
    /* v1beta1's Borrow and Preempt are v1beta2's MayStopSearch. */
    if (strcmp(v, "TryNextFlavor") == 0)
        return QUOTA_TRY_NEXT_FLAVOR;
    return QUOTA_MAY_STOP_SEARCH;
}

static quota_stop_t stop_of(const char *v)
{
    if (v && strcmp(v, "Hold") == 0)
        return QUOTA_STOP_HOLD;
    if (v && strcmp(v, "HoldAndDrain") == 0)
        return QUOTA_STOP_HOLD_AND_DRAIN;
    return QUOTA_STOP_NONE;
}

static void decode_cq_policies(const cJSON *spec, quota_cq_spec_t *s)
{
    const char *qs = rg_json_get_string(spec, "queueingStrategy");
    s->queueing = qs && strcmp(qs, "StrictFIFO") == 0 ? QUOTA_STRICT_FIFO : QUOTA_BEST_EFFORT_FIFO;
    s->stop = stop_of(rg_json_get_string(spec, "stopPolicy"));
    const cJSON *fung = rg_json_get_object(spec, "flavorFungibility");
    s->when_can_borrow =
        fungibility_of(rg_json_get_string(fung, "whenCanBorrow"), QUOTA_MAY_STOP_SEARCH);
    s->when_can_preempt =
        fungibility_of(rg_json_get_string(fung, "whenCanPreempt"), QUOTA_TRY_NEXT_FLAVOR);
    const char *pref = rg_json_get_string(fung, "preference");
    if (pref && strcmp(pref, "BorrowingOverPreemption") == 0)
        s->preference = QUOTA_PREF_BORROWING_OVER_PREEMPTION;
    else if (pref && strcmp(pref, "PreemptionOverBorrowing") == 0)
        s->preference = QUOTA_PREF_PREEMPTION_OVER_BORROWING;
    const cJSON *sel = rg_json_get_object(spec, "namespaceSelector");
    s->namespace_selector = sel ? cJSON_Duplicate(sel, true) : NULL;
}

static int decode_groups(const cJSON *spec, quota_cq_spec_t *s, rg_error_t *err)
{
    cJSON *groups = wh_clusterqueue_expand_shorthand(spec, NULL);
    if (groups == NULL)
        return RG_OK; /* no resourceGroups: a queue with no quota */
    int rc = RG_OK;
    size_t n = (size_t)cJSON_GetArraySize(groups);
    if (!cJSON_IsArray(groups) || n > QUOTA_MAX_GROUPS)
        rc = rg_error_set(err, RG_ERR_RANGE, "spec.resourceGroups: Invalid value: %zu groups", n);
    if (rc == RG_OK) {
        s->groups = rg_calloc(n ? n : 1, sizeof(*s->groups));
        const cJSON *g;
        cJSON_ArrayForEach(g, groups)
        {
            char path[64];
            snprintf(path, sizeof(path), "spec.resourceGroups[%zu]", s->n_groups);
            rc = decode_group(g, path, &s->groups[s->n_groups++], err);
            if (rc != RG_OK)
                break;
        }
    }
    cJSON_Delete(groups);
    return rc;
}

quota_cq_spec_t *quota_decode_cluster_queue(const cJSON *obj, rg_error_t *err)
{
    cJSON *hold;
    const cJSON *o = as_v1beta2(obj, &hold, err);
    const char *name;
    if (o == NULL || require_name(o, "ClusterQueue", &name, err) != RG_OK) {
        cJSON_Delete(hold);
        return NULL;
    }
    quota_cq_spec_t *s = rg_calloc(1, sizeof(*s));
    s->name = rg_strdup(name);
    s->deleting = meta_deleting(o);
    const cJSON *spec = rg_json_get_object(o, "spec");
    const char *cohort = rg_json_get_string(spec, "cohortName");
    s->cohort = cohort && cohort[0] ? rg_strdup(cohort) : NULL;
    decode_cq_policies(spec, s);
    quota__decode_cq_extras(o, s);
    int rc = decode_groups(spec, s, err);
    cJSON_Delete(hold);
    if (rc != RG_OK) {
        rg_error_prefix(err, "ClusterQueue %s", name);
        quota_cq_spec_free(s);
        return NULL;
    }
    return s;
}

/* ---- ResourceFlavor, LocalQueue, priority classes ---- */

static cJSON *dup_member(const cJSON *obj, const char *key, cJSON_bool (*is_type)(const cJSON *))
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
    return n && is_type(n) ? cJSON_Duplicate(n, true) : NULL;
}

quota_flavor_spec_t *quota_decode_flavor(const cJSON *obj, rg_error_t *err)
{
    const char *name;
    if (require_name(obj, "ResourceFlavor", &name, err) != RG_OK)
        return NULL;
    quota_flavor_spec_t *s = rg_calloc(1, sizeof(*s));
    s->name = rg_strdup(name);
    const cJSON *spec = rg_json_get_object(obj, "spec");
    s->node_labels = dup_member(spec, "nodeLabels", cJSON_IsObject);
    s->node_taints = dup_member(spec, "nodeTaints", cJSON_IsArray);
    s->tolerations = dup_member(spec, "tolerations", cJSON_IsArray);
    return s;
}

quota_lq_spec_t *quota_decode_local_queue(const cJSON *obj, rg_error_t *err)
{
    const char *name;
    if (require_name(obj, "LocalQueue", &name, err) != RG_OK)
        return NULL;
    const cJSON *spec = rg_json_get_object(obj, "spec");
    const char *cq = rg_json_get_string(spec, "clusterQueue");
    const char *ns = meta_str(obj, "namespace");
    quota_lq_spec_t *s = rg_calloc(1, sizeof(*s));
    s->ns = rg_strdup(ns && ns[0] ? ns : "default");
    s->name = rg_strdup(name);
    s->cluster_queue = dup_or_null(cq);
    s->stop = stop_of(rg_json_get_string(spec, "stopPolicy"));
    s->deleting = meta_deleting(obj);
    return s;
}

int quota_decode_priority_class(const cJSON *obj, quota_class_kind_t *kind, const char **name,
                                int32_t *value, bool *global_default, rg_error_t *err)
{
    const char *av = rg_json_get_string(obj, "apiVersion");
    int rc = require_name(obj, "PriorityClass", name, err);
    if (rc != RG_OK)
        return rc;
    *kind =
        av && strncmp(av, "scheduling.k8s.io/", 18) == 0 ? QUOTA_CLASS_POD : QUOTA_CLASS_WORKLOAD;
    *value = 0;
    *global_default = false;
    rc = opt_int32(obj, "value", "", value, err);
    bool gd = false;
    if (rc == RG_OK && rg_json_get_bool(obj, "globalDefault", &gd) > 0)
        *global_default = gd;
    return rc;
}

/* ---- Workload ---- */

const cJSON *quota__condition(const cJSON *status, const char *type)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, rg_json_get_array(status, "conditions"))
    {
        const char *t = rg_json_get_string(c, "type");
        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

int quota__condition_status(const cJSON *c)
{
    const char *st = rg_json_get_string(c, "status");
    if (c == NULL || st == NULL)
        return -1;
    return strcmp(st, "True") == 0 ? 1 : 0;
}

int64_t quota__condition_time(const cJSON *c)
{
    int64_t ns = 0;
    if (c)
        rg_time_parse_rfc3339(rg_json_get_string(c, "lastTransitionTime"), &ns);
    return ns;
}

/*
 * A podSet's total (per pod × count) must stay far inside the 128-bit
 * amounts the engine sums: past 10^21 units of a resource it is refused
 * as out of range rather than risk an overflow in cohort-wide sums.
 */
static void check_podset_total(const quota_podset_spec_t *ps, const char *path, quota_wl_spec_t *wl)
{
    const quota_i128_t max = (quota_i128_t)1000000000000000000LL * 1000000000000LL;
    for (size_t i = 0; i < ps->per_pod.n && wl->invalid == NULL; i++) {
        quota_i128_t v = ps->per_pod.v[i].qty.nano;
        if (ps->count > 0 && v > max / ps->count)
            wl->invalid = rg_asprintf("%s: Invalid value: %s times count %d: out of range", path,
                                      ps->per_pod.v[i].name, ps->count);
    }
}

/* One podSet: name, counts, per-pod requests (a bad template makes wl invalid). */
static int decode_podset(const cJSON *ps, size_t i, quota_podset_spec_t *out, quota_wl_spec_t *wl,
                         rg_error_t *err)
{
    char path[64];
    snprintf(path, sizeof(path), "spec.podSets[%zu]", i);
    const char *name = rg_json_get_string(ps, "name");
    out->name = rg_strdup(name ? name : "main");
    out->count = 1;
    out->min_count = -1;
    int rc = opt_int32(ps, "count", path, &out->count, err);
    if (rc == RG_OK)
        rc = opt_int32(ps, "minCount", path, &out->min_count, err);
    if (rc == RG_OK && out->count < 0)
        rc = rg_error_set(err, RG_ERR_RANGE, "%s.count: Invalid value: %d: must be >= 0", path,
                          out->count);
    if (rc != RG_OK)
        return rc;
    const cJSON *spec = rg_json_path(ps, "template", "spec", NULL);
    char spath[96];
    snprintf(spath, sizeof(spath), "%s.template.spec", path);
    rg_error_t rerr = {0};
    if (spec == NULL) {
        out->placement = cJSON_CreateObject();
        return RG_OK;
    }
    if (podspec_requests(spec, spath, &out->per_pod, &rerr) != RG_OK && wl->invalid == NULL)
        wl->invalid = rg_strdup(rg_error_str(&rerr));
    check_podset_total(out, path, wl);
    cJSON *pl = cJSON_CreateObject();
    static const char *const keys[] = {"nodeSelector", "affinity", "tolerations"};
    for (size_t k = 0; k < 3; k++) {
        const cJSON *v = rg_json_get(spec, keys[k]);
        if (v)
            cJSON_AddItemToObject(pl, keys[k], cJSON_Duplicate(v, true));
    }
    out->placement = pl;
    return RG_OK;
}

static int decode_podsets(const cJSON *spec, quota_wl_spec_t *s, rg_error_t *err)
{
    int rc = RG_OK;
    const cJSON *podsets = opt_array(spec, "podSets", "spec", err, &rc);
    size_t n = (size_t)cJSON_GetArraySize(podsets);
    if (rc != RG_OK)
        return rc;
    if (n > QUOTA_MAX_PODSETS) {
        s->invalid = rg_asprintf("spec.podSets: Too many: %zu: must have at most %d items", n,
                                 QUOTA_MAX_PODSETS);
        return RG_OK;
    }
    s->podsets = rg_calloc(n ? n : 1, sizeof(*s->podsets));
    const cJSON *ps;
    cJSON_ArrayForEach(ps, podsets)
    {
        rc = decode_podset(ps, s->n_podsets, &s->podsets[s->n_podsets], s, err);
        s->n_podsets++;
        if (rc != RG_OK)
            return rc;
    }
    return RG_OK;
}

static int decode_ps_admission(const cJSON *psa, quota_ps_admission_t *out, rg_error_t *err)
{
    const char *name = rg_json_get_string(psa, "name");
    out->name = rg_strdup(name ? name : "");
    out->count = -1;
    int rc = opt_int32(psa, "count", "status.admission.podSetAssignments[]", &out->count, err);
    const cJSON *flavors = rg_json_get_object(psa, "flavors");
    const cJSON *usage = rg_json_get_object(psa, "resourceUsage");
    size_t n = (size_t)cJSON_GetArraySize(flavors);
    if (rc != RG_OK || n > QUOTA_MAX_RESOURCES)
        return rc != RG_OK ? rc : rg_error_set(err, RG_ERR_RANGE, "too many flavors");
    out->res = rg_calloc(n ? n : 1, sizeof(*out->res));
    const cJSON *f;
    cJSON_ArrayForEach(f, flavors)
    {
        if (!cJSON_IsString(f) || f->string == NULL)
            continue;
        quota_ps_res_t *r = &out->res[out->n_res++];
        r->resource = rg_strdup(f->string);
        r->flavor = rg_strdup(f->valuestring);
        const cJSON *u = rg_json_get(usage, f->string);
        if (u && parse_qty(u, "status.admission.podSetAssignments[].resourceUsage", NULL,
                           &r->usage, err) != RG_OK)
            return err ? err->code : RG_ERR_PARSE;
    }
    return RG_OK;
}

static quota_admission_t *decode_admission(const cJSON *adm, rg_error_t *err)
{
    const char *cq = rg_json_get_string(adm, "clusterQueue");
    const cJSON *psas = rg_json_get_array(adm, "podSetAssignments");
    size_t n = (size_t)cJSON_GetArraySize(psas);
    if (cq == NULL || n > QUOTA_MAX_PODSETS) {
        rg_error_set(err, RG_ERR_INVAL,
                     "status.admission: Invalid value: clusterQueue %s, %zu "
                     "podSetAssignments",
                     cq ? cq : "missing", n);
        return NULL;
    }
    quota_admission_t *a = rg_calloc(1, sizeof(*a));
    a->cluster_queue = rg_strdup(cq);
    a->podsets = rg_calloc(n ? n : 1, sizeof(*a->podsets));
    const cJSON *psa;
    cJSON_ArrayForEach(psa, psas)
    {
        if (decode_ps_admission(psa, &a->podsets[a->n_podsets++], err) != RG_OK) {
            quota_admission_free(a);
            return NULL;
        }
    }
    return a;
}

static void decode_priority(const cJSON *spec, quota_wl_spec_t *s)
{
    const cJSON *p = rg_json_get(spec, "priority");
    if (cJSON_IsNumber(p) && p->valuedouble >= INT32_MIN && p->valuedouble <= INT32_MAX) {
        s->has_priority = true;
        s->priority = (int32_t)p->valuedouble;
    }
    const cJSON *ref = rg_json_get_object(spec, "priorityClassRef");
    const char *group = rg_json_get_string(ref, "group");
    const char *name = rg_json_get_string(ref, "name");
    if (name && name[0]) {
        s->class_name = rg_strdup(name);
        s->class_kind = group && strcmp(group, "scheduling.k8s.io") == 0 ? QUOTA_CLASS_POD
                                                                         : QUOTA_CLASS_WORKLOAD;
    }
}

static void decode_reclaimable(const cJSON *status, quota_wl_spec_t *s)
{
    const cJSON *arr = rg_json_get_array(status, "reclaimablePods");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0 || n > QUOTA_MAX_PODSETS)
        return;
    s->reclaimable = rg_calloc(n, sizeof(*s->reclaimable));
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const char *name = rg_json_get_string(it, "name");
        int32_t count = 0;
        if (name == NULL || opt_int32(it, "count", "", &count, NULL) != RG_OK || count < 0)
            continue;
        s->reclaimable[s->n_reclaimable++] = (quota_reclaim_t){rg_strdup(name), count};
    }
}

static int decode_wl_status(const cJSON *status, quota_wl_spec_t *s, rg_error_t *err)
{
    const cJSON *qr = quota__condition(status, "QuotaReserved");
    s->reserved = quota__condition_status(qr) == 1;
    if (qr && !s->reserved) {
        s->note.reason = dup_or_null(rg_json_get_string(qr, "reason"));
        s->note.message = dup_or_null(rg_json_get_string(qr, "message"));
        s->note.written_ns = quota__condition_time(qr);
    }
    s->finished = quota__condition_status(quota__condition(status, "Finished")) == 1;
    const cJSON *ev = quota__condition(status, "Evicted");
    if (quota__condition_status(ev) == 1) {
        s->evicted = true;
        s->evicted_reason = dup_or_null(rg_json_get_string(ev, "reason"));
        s->evicted_ns = quota__condition_time(ev);
    }
    const cJSON *rq = rg_json_get_object(status, "requeueState");
    if (rq) {
        rg_time_parse_rfc3339(rg_json_get_string(rq, "requeueAt"), &s->requeue_at_ns);
        opt_int32(rq, "count", "status.requeueState", &s->requeue_count, NULL);
    }
    decode_reclaimable(status, s);
    const cJSON *adm = rg_json_get_object(status, "admission");
    if (adm && s->reserved) {
        s->admission = decode_admission(adm, err);
        if (s->admission == NULL)
            return err ? err->code : RG_ERR_INVAL;
    }
    return RG_OK;
}

quota_wl_spec_t *quota_decode_workload(const cJSON *obj, rg_error_t *err)
{
    cJSON *hold;
    const cJSON *o = as_v1beta2(obj, &hold, err);
    const char *name;
    if (o == NULL || require_name(o, "Workload", &name, err) != RG_OK) {
        cJSON_Delete(hold);
        return NULL;
    }
    quota_wl_spec_t *s = rg_calloc(1, sizeof(*s));
    const char *ns = meta_str(o, "namespace");
    s->ns = rg_strdup(ns && ns[0] ? ns : "default");
    s->name = rg_strdup(name);
    s->uid = rg_strdup(meta_str(o, "uid") ? meta_str(o, "uid") : "");
    s->resource_version =
        rg_strdup(meta_str(o, "resourceVersion") ? meta_str(o, "resourceVersion") : "");
    rg_time_parse_rfc3339(meta_str(o, "creationTimestamp"), &s->created_ns);
    s->deleting = meta_deleting(o);
    const cJSON *spec = rg_json_get_object(o, "spec");
    const char *queue = rg_json_get_string(spec, "queueName");
    s->queue = queue && queue[0] ? rg_strdup(queue) : NULL;
    bool active = true;
    s->active = rg_json_get_bool(spec, "active", &active) > 0 ? active : true;
    decode_priority(spec, s);
    int rc = decode_podsets(spec, s, err);
    if (rc == RG_OK)
        rc = decode_wl_status(rg_json_get_object(o, "status"), s, err);
    if (rc == RG_OK)
        quota__decode_wl_extras(o, s);
    cJSON_Delete(hold);
    if (rc != RG_OK) {
        rg_error_prefix(err, "Workload %s/%s", s->ns, name);
        quota_wl_spec_free(s);
        return NULL;
    }
    return s;
}

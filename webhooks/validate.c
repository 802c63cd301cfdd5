/*
 * The validating webhook's dispatch: which rule set an apiVersion and kind
 * get (the seed's aliases included), and the warnings list.
 */
#include "raygate/validate.h"
#include "raygate/webhooks.h"

#include "raygate/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void wh_warnings_release(wh_warnings_t *w)
{
    for (size_t i = 0; i < w->n; i++)
        rg_free(w->items[i]);
    rg_free(w->items);
    w->items = NULL;
    w->n = w->cap = 0;
}

void wh_warn(wh_warnings_t *w, const char *fmt, ...)
{
    if (w == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = rg_malloc(n > 0 ? (size_t)n + 1 : 1);
    va_start(ap, fmt);
    vsnprintf(s, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < w->n; i++) {
        if (strcmp(w->items[i], s) == 0) {
            rg_free(s);
            return;
        }
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4;
        w->items = rg_realloc(w->items, w->cap * sizeof(*w->items));
    }
    w->items[w->n++] = s;
}

static const char *namespace_or_default(const cJSON *o)
{
    const char *ns = rg_json_get_string(rg_json_get_object(o, "metadata"), "namespace");
    return ns && ns[0] ? ns : "default";
}

bool wh_local_queue_exists(const wh_cluster_t *cl, const char *ns, const char *name)
{
    if (cl == NULL || cl->count == NULL || cl->object == NULL || name == NULL)
        return false;
    if (ns == NULL || ns[0] == '\0')
        ns = "default";
    size_t n = cl->count(cl->ctx);
    for (size_t i = 0; i < n; i++) {
        const cJSON *o = cl->object(cl->ctx, i);
        const char *av = rg_json_get_string(o, "apiVersion");
        const char *kind = rg_json_get_string(o, "kind");
        const char *oname = rg_json_get_string(rg_json_get_object(o, "metadata"), "name");
        if (av == NULL || kind == NULL || oname == NULL ||
            strncmp(av, "kueue.x-k8s.io/", 15) != 0)
            continue;
        if (strcmp(kind, "LocalQueue") != 0 && strcmp(kind, "Queue") != 0)
            continue;
        if (strcmp(oname, name) == 0 && strcmp(namespace_or_default(o), ns) == 0)
            return true;
    }
    return false;
}

wh_api_t wh_api_of(const char *api_version)
{
    if (api_version == NULL)
        return WH_API_OTHER;
    if (strcmp(api_version, "kueue.x-k8s.io/v1beta1") == 0)
        return WH_API_KUEUE_V1BETA1;
    if (strcmp(api_version, "kueue.x-k8s.io/v1beta2") == 0)
        return WH_API_KUEUE_V1BETA2;
    if (strcmp(api_version, "ray.io/v1") == 0)
        return WH_API_RAY_V1;
    if (strcmp(api_version, "scheduling.k8s.io/v1") == 0)
        return WH_API_SCHEDULING_V1;
    return WH_API_OTHER;
}

static const struct {
    wh_api_t api;
    const char *kind;
    wh_validate_fn fn;
} validators[] = {
    {WH_API_KUEUE_V1BETA1, "ClusterQueue", wh_clusterqueue_validate},
    {WH_API_KUEUE_V1BETA1, "LocalQueue", wh_localqueue_validate},
    {WH_API_KUEUE_V1BETA1, "Queue", wh_localqueue_validate}, /* the seed's alias */
    {WH_API_KUEUE_V1BETA1, "ResourceFlavor", wh_resourceflavor_validate},
    {WH_API_KUEUE_V1BETA1, "WorkloadPriorityClass", wh_workloadpriorityclass_validate},
    {WH_API_KUEUE_V1BETA1, "PriorityClass", wh_workloadpriorityclass_validate}, /* alias */
    {WH_API_KUEUE_V1BETA1, "Workload", wh_workload_validate},
    {WH_API_KUEUE_V1BETA2, "ClusterQueue", wh_clusterqueue_validate},
    {WH_API_KUEUE_V1BETA2, "LocalQueue", wh_localqueue_validate},
    {WH_API_KUEUE_V1BETA2, "ResourceFlavor", wh_resourceflavor_validate},
    {WH_API_KUEUE_V1BETA2, "WorkloadPriorityClass", wh_workloadpriorityclass_validate},
    {WH_API_KUEUE_V1BETA2, "Workload", wh_workload_validate},
    {WH_API_KUEUE_V1BETA1, "Cohort", wh_cohort_validate},
    {WH_API_KUEUE_V1BETA2, "Cohort", wh_cohort_validate},
    {WH_API_SCHEDULING_V1, "PriorityClass", wh_priorityclass_validate},
    {WH_API_RAY_V1, "RayCluster", wh_raycluster_validate},
    {WH_API_RAY_V1, "RayJob", wh_rayjob_validate},
};

wh_validate_fn wh_validator_for(const char *api_version, const char *kind)
{
    wh_api_t api = wh_api_of(api_version);
    if (api == WH_API_OTHER || kind == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(validators) / sizeof(validators[0]); i++)
        if (validators[i].api == api && strcmp(validators[i].kind, kind) == 0)
            return validators[i].fn;
    return NULL;
}

bool wh_validate_object(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                        field_errors_t *errs, wh_warnings_t *warns)
{
    wh_validate_fn fn = wh_validator_for(rg_json_get_string(obj, "apiVersion"),
                                         rg_json_get_string(obj, "kind"));
    if (fn == NULL)
        return false;
    fn(ctx, obj, old, errs, warns);
    field_errors_dedup(errs);
    return true;
}

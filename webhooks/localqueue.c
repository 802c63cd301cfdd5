/*
 * LocalQueue rules (and the seed's `kind: Queue` alias): Kueue's webhook
 * (pkg/webhooks/localqueue_webhook.go) and CRD markers. A clusterQueue
 * that the cluster view does not hold yet is a warning, not a denial:
 * Kueue lets such a queue exist and its workloads wait.
 */
#include "raygate/alloc.h"
#include "raygate/validate.h"

#include <string.h>

static bool present(const cJSON *n)
{
    return n != NULL && !cJSON_IsNull(n);
}

/* True when the cluster view holds a kueue ClusterQueue named name. */
static bool cluster_queue_exists(const wh_cluster_t *cluster, const char *name)
{
    size_t n = cluster->count(cluster->ctx);
    for (size_t i = 0; i < n; i++) {
        const cJSON *o = cluster->object(cluster->ctx, i);
        const char *kind = rg_json_get_string(o, "kind");
        const char *api = rg_json_get_string(o, "apiVersion");
        const char *oname = rg_json_path(o, "metadata", "name", NULL) &&
                                    cJSON_IsString(rg_json_path(o, "metadata", "name", NULL))
                                ? rg_json_path(o, "metadata", "name", NULL)->valuestring
                                : NULL;
        if (kind && api && oname && strcmp(kind, "ClusterQueue") == 0 &&
            strncmp(api, "kueue.x-k8s.io/", 15) == 0 && strcmp(oname, name) == 0)
            return true;
    }
    return false;
}

/* The clusterQueue member: NULL (with the error added) when absent or
 * not a string. */
static const char *cluster_queue_of(field_errors_t *errs, const cJSON *spec, bool report)
{
    const cJSON *cq = spec ? cJSON_GetObjectItemCaseSensitive(spec, "clusterQueue") : NULL;
    if (!present(cq)) {
        if (report)
            field_required(errs, "spec.clusterQueue", NULL);
        return NULL;
    }
    if (!cJSON_IsString(cq)) {
        if (report)
            field_type_error(errs, "spec.clusterQueue", "string", cq);
        return NULL;
    }
    return cq->valuestring;
}

void wh_localqueue_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                            field_errors_t *errs, wh_warnings_t *warns)
{
    static const char *const stop[] = {"None", "Hold", "HoldAndDrain"};
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
    if (present(spec) && !cJSON_IsObject(spec)) {
        field_type_error(errs, "spec", "object", spec);
        return;
    }
    if (!present(spec))
        spec = NULL;

    const char *kind = rg_json_get_string(obj, "kind");
    if (kind && strcmp(kind, "Queue") == 0)
        wh_warn(warns, "kind \"Queue\" is a raygate alias: read as kueue.x-k8s.io LocalQueue");

    const char *cq = cluster_queue_of(errs, spec, true);
    bool cq_valid = cq && wh_check_dns1123_subdomain(errs, "spec.clusterQueue", cq);

    const cJSON *sp = spec ? cJSON_GetObjectItemCaseSensitive(spec, "stopPolicy") : NULL;
    if (present(sp)) {
        if (!cJSON_IsString(sp)) {
            field_type_error(errs, "spec.stopPolicy", "string", sp);
        } else {
            bool ok = false;
            for (size_t i = 0; i < 3; i++)
                ok = ok || strcmp(sp->valuestring, stop[i]) == 0;
            if (!ok)
                field_not_supported(errs, "spec.stopPolicy", sp->valuestring, stop, 3);
        }
    }

    /* ValidateImmutableField: any change, removal included, is refused. */
    if (old != NULL) {
        const cJSON *old_spec = rg_json_get_object(old, "spec");
        const char *old_cq = cluster_queue_of(NULL, old_spec, false);
        const char *new_cq = cq ? cq : "";
        if (strcmp(new_cq, old_cq ? old_cq : "") != 0)
            field_invalid_str(errs, "spec.clusterQueue", new_cq, "field is immutable");
    }

    if (cq_valid && ctx && ctx->cluster && !cluster_queue_exists(ctx->cluster, cq))
        wh_warn(warns,
                "spec.clusterQueue: clusterQueue \"%s\" does not exist yet; workloads will wait",
                cq);
}

/*
 * Cohort rules (kueue.x-k8s.io v1beta2, and v1beta1 with the same shape):
 * Kueue's webhook (pkg/webhooks/cohort_webhook.go) validates fairSharing and
 * resourceGroups exactly as a ClusterQueue's, with "has a parent" in place
 * of "has a cohort" and no lendingLimit <= nominalQuota rule; raygate adds
 * the parentName cycle checks Kueue leaves to its cache (a Cohort that is
 * its own parent, and a chain through the cluster's Cohorts back to it).
 */
#include "raygate/validate.h"

#include "raygate/alloc.h"

#include <stdio.h>
#include <string.h>

#define MAX_CHAIN 64

/* The ClusterQueue-shaped object whose rules are the Cohort's (owned). */
static cJSON *as_cluster_queue(const cJSON *obj, const char *name, const char *parent)
{
    const cJSON *spec = rg_json_get_object(obj, "spec");
    cJSON *cq = cJSON_CreateObject();
    cJSON_AddStringToObject(cq, "apiVersion", "kueue.x-k8s.io/v1beta2");
    cJSON_AddStringToObject(cq, "kind", "ClusterQueue");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(cq, "metadata"), "name", name ? name : "");
    cJSON *s = cJSON_AddObjectToObject(cq, "spec");
    static const char *const keys[] = {"resourceGroups", "fairSharing"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, keys[i]);
        if (v)
            cJSON_AddItemToObject(s, keys[i], cJSON_Duplicate(v, true));
    }
    if (parent && parent[0])
        cJSON_AddStringToObject(s, "cohortName", parent);
    return cq;
}

/* Copies the ClusterQueue rules' findings that apply to a Cohort. */
static void take_errors(field_errors_t *errs, const field_errors_t *cq)
{
    for (size_t i = 0; i < cq->n; i++) {
        const field_error_t *e = &cq->items[i];
        if (strncmp(e->field, "metadata", 8) == 0 || strncmp(e->field, "spec.cohortName", 15) == 0)
            continue; /* checked here on the Cohort's own terms */
        if (e->detail && strcmp(e->detail, "must be less than or equal to the nominalQuota") == 0)
            continue; /* enforceNominalGreaterThanLending: false for Cohorts */
        field_add(errs, e->type, e->field, e->value, e->detail ? "%s" : NULL, e->detail);
    }
}

/* The parentName of the cluster's Cohort called name (obj stands for itself). */
static const char *parent_of(const wh_vctx_t *ctx, const cJSON *obj, const char *self,
                             const char *name)
{
    if (strcmp(name, self) == 0)
        return rg_json_get_string(rg_json_get_object(obj, "spec"), "parentName");
    if (ctx->cluster == NULL)
        return NULL;
    size_t n = ctx->cluster->count(ctx->cluster->ctx);
    for (size_t i = 0; i < n; i++) {
        const cJSON *o = ctx->cluster->object(ctx->cluster->ctx, i);
        const char *kind = rg_json_get_string(o, "kind");
        const char *oname = rg_json_get_string(rg_json_get_object(o, "metadata"), "name");
        if (kind && oname && strcmp(kind, "Cohort") == 0 && strcmp(oname, name) == 0)
            return rg_json_get_string(rg_json_get_object(o, "spec"), "parentName");
    }
    return NULL;
}

static void check_cycle(const wh_vctx_t *ctx, const cJSON *obj, const char *name,
                        const char *parent, field_errors_t *errs)
{
    if (strcmp(parent, name) == 0) {
        field_invalid_str(errs, "spec.parentName", parent, "a Cohort cannot be its own parent");
        return;
    }
    rg_buf_t chain = RG_BUF_INIT;
    rg_buf_appendf(&chain, "%s -> %s", name, parent);
    const char *at = parent;
    for (int i = 0; i < MAX_CHAIN && at; i++) {
        at = parent_of(ctx, obj, name, at);
        if (at == NULL || at[0] == '\0')
            break;
        rg_buf_appendf(&chain, " -> %s", at);
        if (strcmp(at, name) == 0) {
            field_invalid_str(errs, "spec.parentName", parent,
                              "makes a cycle of Cohorts (%s): every ClusterQueue in it would stop "
                              "admitting",
                              chain.data);
            break;
        }
    }
    rg_buf_release(&chain);
}

void wh_cohort_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                        field_errors_t *errs, wh_warnings_t *warns)
{
    (void)old;
    const cJSON *meta = rg_json_get_object(obj, "metadata");
    const char *name = rg_json_get_string(meta, "name");
    if (name)
        wh_check_dns1123_subdomain(errs, "metadata.name", name);
    const cJSON *spec = rg_json_get_object(obj, "spec");
    const cJSON *pn = cJSON_GetObjectItemCaseSensitive(spec, "parentName");
    const char *parent = NULL;
    if (pn && !cJSON_IsNull(pn) && !cJSON_IsString(pn))
        field_type_error(errs, "spec.parentName", "string", pn);
    else if (cJSON_IsString(pn) && pn->valuestring[0]) {
        parent = pn->valuestring;
        if (wh_check_dns1123_subdomain(errs, "spec.parentName", parent) && name)
            check_cycle(ctx, obj, name, parent, errs);
    }
    cJSON *cq = as_cluster_queue(obj, name, parent);
    field_errors_t found = FIELD_ERRORS_INIT;
    wh_vctx_t cq_ctx = *ctx;
    cq_ctx.api = WH_API_KUEUE_V1BETA2;
    wh_clusterqueue_validate(&cq_ctx, cq, NULL, &found, warns);
    take_errors(errs, &found);
    field_errors_release(&found);
    cJSON_Delete(cq);
}

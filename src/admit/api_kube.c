/*
 * The admitter's writes to a real API server through the kube client:
 * create, merge and JSON patches (status subresource included), deletes
 * with a uid precondition, and reads; answers mapped to what the loop does
 * next.
 */
#include "internal.h"

#include "raygate/alloc.h"

#include <string.h>

static admit_outcome_t outcome_of(int rc, const kube_result_t *r, const rg_error_t *err, char **msg)
{
    if (msg)
        *msg = NULL;
    if (rc == RG_OK && r->http_status >= 200 && r->http_status < 300)
        return ADMIT_OK;
    if (msg)
        *msg = rg_strdup(rg_error_str(err));
    if (rc != RG_OK || r->http_status == 0 || r->http_status >= 500 || r->http_status == 429)
        return ADMIT_UNKNOWN;
    if (r->http_status == 404)
        return ADMIT_GONE;
    if (r->http_status == 409)
        return r->reason && strcmp(r->reason, "AlreadyExists") == 0 ? ADMIT_EXISTS : ADMIT_CONFLICT;
    return ADMIT_REFUSED;
}

/* The resourceVersion of an answered object (owned), or NULL. */
static char *result_rv(const kube_result_t *r)
{
    const char *rv = rg_json_get_string(rg_json_get(r->body, "metadata"), "resourceVersion");
    return rv ? rg_strdup(rv) : NULL;
}

static admit_outcome_t k_create(void *ctx, const kube_resource_t *res, const char *ns,
                                const cJSON *obj, char **msg, char **rv)
{
    kube_result_t r = {0};
    rg_error_t err = {0};
    int rc = kube_create(ctx, res, ns, obj, &r, &err);
    admit_outcome_t o = outcome_of(rc, &r, &err, msg);
    if (rv)
        *rv = o == ADMIT_OK ? result_rv(&r) : NULL;
    kube_result_release(&r);
    return o;
}

static admit_outcome_t k_patch_as(void *ctx, const kube_resource_t *res, const char *ns,
                                  const char *name, const cJSON *body, kube_patch_type_t type,
                                  bool status, char **msg, char **rv)
{
    char *text = rg_json_print(body);
    kube_result_t r = {0};
    rg_error_t err = {0};
    int rc = kube_patch(ctx, res, ns, name, type, text, status, &r, &err);
    admit_outcome_t o = outcome_of(rc, &r, &err, msg);
    if (rv)
        *rv = o == ADMIT_OK ? result_rv(&r) : NULL;
    kube_result_release(&r);
    rg_free(text);
    return o;
}

static admit_outcome_t k_patch(void *ctx, const kube_resource_t *res, const char *ns,
                               const char *name, const cJSON *patch, bool status, char **msg,
                               char **rv)
{
    return k_patch_as(ctx, res, ns, name, patch, KUBE_PATCH_MERGE, status, msg, rv);
}

static admit_outcome_t k_json_patch(void *ctx, const kube_resource_t *res, const char *ns,
                                    const char *name, const cJSON *ops, char **msg)
{
    return k_patch_as(ctx, res, ns, name, ops, KUBE_PATCH_JSON, false, msg, NULL);
}

static admit_outcome_t k_del(void *ctx, const kube_resource_t *res, const char *ns,
                             const char *name, const char *uid, char **msg)
{
    char *path = kube_path(res, ns, name, NULL);
    /* Background propagation: the Workload's dependents (none) go with it,
     * and a uid precondition never deletes a recreated namesake. */
    cJSON *opts = cJSON_CreateObject();
    cJSON_AddStringToObject(opts, "apiVersion", "v1");
    cJSON_AddStringToObject(opts, "kind", "DeleteOptions");
    cJSON_AddStringToObject(opts, "propagationPolicy", "Background");
    if (uid && uid[0])
        cJSON_AddStringToObject(cJSON_AddObjectToObject(opts, "preconditions"), "uid", uid);
    char *body = rg_json_print(opts);
    kube_result_t r = {0};
    rg_error_t err = {0};
    int rc = kube_request(ctx, "DELETE", path, "application/json", body, strlen(body), &r, &err);
    admit_outcome_t o = outcome_of(rc, &r, &err, msg);
    kube_result_release(&r);
    rg_free(body);
    rg_free(path);
    cJSON_Delete(opts);
    return o;
}

static cJSON *k_get(void *ctx, const kube_resource_t *res, const char *ns, const char *name,
                    admit_outcome_t *outcome)
{
    kube_result_t r = {0};
    rg_error_t err = {0};
    int rc = kube_get(ctx, res, ns, name, &r, &err);
    *outcome = outcome_of(rc, &r, &err, NULL);
    cJSON *obj = NULL;
    if (*outcome == ADMIT_OK) {
        obj = r.body;
        r.body = NULL;
    }
    kube_result_release(&r);
    return obj;
}

void admit__api_kube(admit_api_t *api, kube_client_t *client)
{
    *api = (admit_api_t){k_create, k_patch, k_json_patch, k_del, k_get, client};
}

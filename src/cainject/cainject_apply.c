/*
 * The pure half of CA injection: what a webhook configuration or a CRD must
 * hold for the API server to reach raygate, applied to one object in place.
 * No I/O; the injector (cainject.c) reads, calls these, and writes.
 */
#include "raygate/cainject.h"

#include <string.h>

const char *const cainj_conversion_crds[CAINJ_CRD_COUNT] = {
    "clusterqueues.kueue.x-k8s.io",
    "localqueues.kueue.x-k8s.io",
    "workloads.kueue.x-k8s.io",
    "cohorts.kueue.x-k8s.io",
};

static bool cert_manager_injects(const cJSON *obj)
{
    const cJSON *ann = rg_json_path(obj, "metadata", "annotations", NULL);
    return rg_json_get_string(ann, CAINJ_CERT_MANAGER_ANNOTATION) != NULL;
}

/* The member key of obj, created as an empty object when missing; NULL when
 * it exists with another type. */
static cJSON *object_member(cJSON *obj, const char *key)
{
    cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (m == NULL)
        return cJSON_AddObjectToObject(obj, key);
    return cJSON_IsObject(m) ? m : NULL;
}

/* Sets obj[key] to the string value; tells whether it was different. */
static bool set_string(cJSON *obj, const char *key, const char *value)
{
    const char *cur = rg_json_get_string(obj, key);
    if (cur && strcmp(cur, value) == 0)
        return false;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddStringToObject(obj, key, value);
    return true;
}

int cainj_webhooks_apply(cJSON *obj, const char *bundle_b64, bool *changed, rg_error_t *err)
{
    *changed = false;
    if (!cJSON_IsObject(obj))
        return rg_error_set(err, RG_ERR_INVAL, "webhook configuration: not an object");
    if (cert_manager_injects(obj))
        return RG_OK;
    cJSON *hooks = cJSON_GetObjectItemCaseSensitive(obj, "webhooks");
    if (hooks == NULL || cJSON_IsNull(hooks))
        return RG_OK; /* a configuration with no webhooks calls nobody */
    if (!cJSON_IsArray(hooks))
        return rg_error_set(err, RG_ERR_INVAL, "webhooks: expected an array, got %s",
                            rg_json_type_name(hooks));
    int i = 0;
    for (cJSON *h = hooks->child; h; h = h->next, i++) {
        cJSON *cc = cJSON_IsObject(h) ? object_member(h, "clientConfig") : NULL;
        if (cc == NULL)
            return rg_error_set(err, RG_ERR_INVAL, "webhooks[%d].clientConfig: expected an object",
                                i);
        if (set_string(cc, "caBundle", bundle_b64))
            *changed = true;
    }
    return RG_OK;
}

/* True when node is an array holding exactly the one string s. */
static bool is_single_string_array(const cJSON *node, const char *s)
{
    return cJSON_IsArray(node) && cJSON_GetArraySize(node) == 1 && cJSON_IsString(node->child) &&
           strcmp(node->child->valuestring, s) == 0;
}

/* The clientConfig.service raygate's conversion needs; tells whether it changed. */
static bool service_apply(cJSON *cc, const cainj_service_t *svc)
{
    bool changed = false;
    if (cJSON_GetObjectItemCaseSensitive(cc, "url")) {
        cJSON_DeleteItemFromObjectCaseSensitive(cc, "url");
        changed = true;
    }
    cJSON *s = cJSON_GetObjectItemCaseSensitive(cc, "service");
    if (!cJSON_IsObject(s)) {
        cJSON_DeleteItemFromObjectCaseSensitive(cc, "service");
        s = cJSON_AddObjectToObject(cc, "service");
        changed = true;
    }
    changed |= set_string(s, "namespace", svc->ns);
    changed |= set_string(s, "name", svc->name);
    changed |= set_string(s, "path", "/convert");
    double port = svc->port ? svc->port : 443;
    cJSON *p = cJSON_GetObjectItemCaseSensitive(s, "port");
    if (!cJSON_IsNumber(p) || p->valuedouble != port) {
        cJSON_DeleteItemFromObjectCaseSensitive(s, "port");
        cJSON_AddNumberToObject(s, "port", port);
        changed = true;
    }
    return changed;
}

int cainj_crd_apply(cJSON *obj, const cainj_service_t *svc, const char *bundle_b64, bool *changed,
                    rg_error_t *err)
{
    *changed = false;
    cJSON *spec = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, "spec") : NULL;
    if (!cJSON_IsObject(spec))
        return rg_error_set(err, RG_ERR_INVAL, "spec: expected an object");
    cJSON *conv = object_member(spec, "conversion");
    if (conv == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "spec.conversion: expected an object");
    *changed |= set_string(conv, "strategy", "Webhook");
    cJSON *hook = object_member(conv, "webhook");
    cJSON *cc = hook ? object_member(hook, "clientConfig") : NULL;
    if (cc == NULL)
        return rg_error_set(err, RG_ERR_INVAL,
                            "spec.conversion.webhook.clientConfig: expected "
                            "an object");
    /* raygate answers ConversionReview v1 only (docs/conversion.md). */
    if (!is_single_string_array(rg_json_get(hook, "conversionReviewVersions"), "v1")) {
        cJSON_DeleteItemFromObjectCaseSensitive(hook, "conversionReviewVersions");
        cJSON *v = cJSON_AddArrayToObject(hook, "conversionReviewVersions");
        cJSON_AddItemToArray(v, cJSON_CreateString("v1"));
        *changed = true;
    }
    *changed |= service_apply(cc, svc);
    if (!cert_manager_injects(obj))
        *changed |= set_string(cc, "caBundle", bundle_b64);
    return RG_OK;
}

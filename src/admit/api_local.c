/*
 * The standalone store: with no API server, the admitter writes into the
 * caches that hold the local manifests, assigning what kube-apiserver
 * would (uid, creationTimestamp, resourceVersion, generation) and honouring
 * resourceVersion preconditions, so the loop behaves exactly as when
 * connected. One writer at a time.
 */
#include "internal.h"

#include "raygate/alloc.h"
#include "raygate/sha1.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <string.h>

typedef struct local {
    cache_set_t *caches;
    pthread_mutex_t mu;
    uint64_t rv;
} local_t;

static int kind_of(const kube_resource_t *res)
{
    char av[128];
    snprintf(av, sizeof(av), "%s%s%s", res->group, res->group[0] ? "/" : "", res->version);
    return cache_kind_of(av, res->kind);
}

static void key_of(const kube_resource_t *res, const char *ns, const char *name, char *out,
                   size_t size)
{
    if (res->namespaced)
        snprintf(out, size, "%s/%s", ns ? ns : "default", name);
    else
        snprintf(out, size, "%s", name);
}

static cJSON *current(local_t *l, const kube_resource_t *res, const char *ns, const char *name)
{
    int k = kind_of(res);
    char key[600];
    key_of(res, ns, name, key, sizeof(key));
    const cache_obj_t *o = k >= 0 ? cache_set_lookup(l->caches, (cache_kind_t)k, key) : NULL;
    cJSON *copy = o ? cache_obj_parse(o, NULL) : NULL;
    cache_obj_unref(o);
    return copy;
}

static cJSON *meta_of(cJSON *obj)
{
    cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    if (!cJSON_IsObject(m)) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "metadata");
        m = cJSON_AddObjectToObject(obj, "metadata");
    }
    return m;
}

static void meta_set(cJSON *obj, const char *key, cJSON *v)
{
    cJSON *m = meta_of(obj);
    cJSON_DeleteItemFromObjectCaseSensitive(m, key);
    cJSON_AddItemToObject(m, key, v);
}

static void bump_version(local_t *l, cJSON *obj)
{
    char rv[32];
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)++l->rv);
    meta_set(obj, "resourceVersion", cJSON_CreateString(rv));
}

static admit_outcome_t apply(local_t *l, kube_event_type_t type, const cJSON *obj, char **msg,
                             char **rv)
{
    if (rv) {
        const char *v = rg_json_get_string(rg_json_get(obj, "metadata"), "resourceVersion");
        *rv = v && type != KUBE_EVENT_DELETED ? rg_strdup(v) : NULL;
    }
    rg_error_t err = {0};
    if (cache_set_apply_object(l->caches, type, obj, &err) != RG_OK) {
        if (msg)
            *msg = rg_strdup(rg_error_str(&err));
        return ADMIT_REFUSED;
    }
    return ADMIT_OK;
}

static admit_outcome_t l_create(void *ctx, const kube_resource_t *res, const char *ns,
                                const cJSON *obj, char **msg, char **rv)
{
    local_t *l = ctx;
    pthread_mutex_lock(&l->mu);
    cJSON *o = cJSON_Duplicate(obj, true);
    const char *name = rg_json_get_string(rg_json_get(o, "metadata"), "name");
    cJSON *existing = name ? current(l, res, ns, name) : NULL;
    admit_outcome_t out = ADMIT_EXISTS;
    if (name && existing == NULL) {
        char uid[64], ts[40];
        snprintf(uid, sizeof(uid), "standalone-%llu", (unsigned long long)(l->rv + 1));
        rg_time_format_rfc3339_seconds(rg_time_now_ns(), ts, sizeof(ts));
        if (res->namespaced)
            meta_set(o, "namespace", cJSON_CreateString(ns ? ns : "default"));
        meta_set(o, "uid", cJSON_CreateString(uid));
        meta_set(o, "creationTimestamp", cJSON_CreateString(ts));
        meta_set(o, "generation", cJSON_CreateNumber(1));
        bump_version(l, o);
        out = apply(l, KUBE_EVENT_ADDED, o, msg, rv);
    } else if (msg) {
        *msg = rg_asprintf("%s \"%s\" already exists", res->kind, name ? name : "");
    }
    cJSON_Delete(existing);
    cJSON_Delete(o);
    pthread_mutex_unlock(&l->mu);
    return out;
}

static admit_outcome_t l_patch(void *ctx, const kube_resource_t *res, const char *ns,
                               const char *name, const cJSON *patch, bool status, char **msg,
                               char **rv)
{
    local_t *l = ctx;
    pthread_mutex_lock(&l->mu);
    cJSON *cur = current(l, res, ns, name);
    admit_outcome_t out = ADMIT_GONE;
    if (cur) {
        const char *want = rg_json_get_string(rg_json_get(patch, "metadata"), "resourceVersion");
        const char *have = rg_json_get_string(rg_json_get(cur, "metadata"), "resourceVersion");
        if (want && (have == NULL || strcmp(want, have) != 0)) {
            out = ADMIT_CONFLICT;
        } else {
            /* The status subresource changes only status; the object everything else. */
            cJSON *p = cJSON_Duplicate(patch, true);
            cJSON *pm = cJSON_GetObjectItemCaseSensitive(p, "metadata");
            if (cJSON_IsObject(pm))
                cJSON_DeleteItemFromObjectCaseSensitive(pm, "resourceVersion");
            if (status) {
                cJSON *st = cJSON_DetachItemFromObjectCaseSensitive(p, "status");
                cJSON_Delete(p);
                p = cJSON_CreateObject();
                if (st)
                    cJSON_AddItemToObject(p, "status", st);
            } else {
                cJSON_DeleteItemFromObjectCaseSensitive(p, "status");
            }
            cJSON *spec_before = cJSON_Duplicate(rg_json_get(cur, "spec"), true);
            rg_json_merge_patch(&cur, p);
            if (!cJSON_Compare(spec_before, rg_json_get(cur, "spec"), true)) {
                const cJSON *g = rg_json_get(rg_json_get(cur, "metadata"), "generation");
                meta_set(cur, "generation",
                         cJSON_CreateNumber(cJSON_IsNumber(g) ? g->valuedouble + 1 : 1));
            }
            cJSON_Delete(spec_before);
            cJSON_Delete(p);
            bump_version(l, cur);
            out = apply(l, KUBE_EVENT_MODIFIED, cur, msg, rv);
        }
    }
    if (out == ADMIT_CONFLICT && msg)
        *msg = rg_asprintf("Operation cannot be fulfilled on %s \"%s\": the object has been "
                           "modified; please apply your changes to the latest version and try "
                           "again",
                           res->resource, name);
    cJSON_Delete(cur);
    pthread_mutex_unlock(&l->mu);
    return out;
}

static admit_outcome_t l_json_patch(void *ctx, const kube_resource_t *res, const char *ns,
                                    const char *name, const cJSON *ops, char **msg)
{
    (void)ctx;
    (void)ns;
    (void)ops;
    /* Only finalizer removal uses JSON patches, and local objects carry none. */
    if (msg)
        *msg = rg_asprintf("%s %s: JSON patches are not served by the standalone store", res->kind,
                           name);
    return ADMIT_REFUSED;
}

static admit_outcome_t l_del(void *ctx, const kube_resource_t *res, const char *ns,
                             const char *name, const char *uid, char **msg)
{
    local_t *l = ctx;
    pthread_mutex_lock(&l->mu);
    cJSON *cur = current(l, res, ns, name);
    admit_outcome_t out = ADMIT_GONE;
    const char *have = cur ? rg_json_get_string(rg_json_get(cur, "metadata"), "uid") : NULL;
    if (cur && uid && uid[0] && (have == NULL || strcmp(uid, have) != 0))
        out = ADMIT_CONFLICT;
    else if (cur)
        out = apply(l, KUBE_EVENT_DELETED, cur, msg, NULL);
    cJSON_Delete(cur);
    pthread_mutex_unlock(&l->mu);
    return out;
}

static cJSON *l_get(void *ctx, const kube_resource_t *res, const char *ns, const char *name,
                    admit_outcome_t *outcome)
{
    local_t *l = ctx;
    pthread_mutex_lock(&l->mu);
    cJSON *cur = current(l, res, ns, name);
    pthread_mutex_unlock(&l->mu);
    *outcome = cur ? ADMIT_OK : ADMIT_GONE;
    return cur;
}

void admit__api_local(admit_api_t *api, cache_set_t *caches)
{
    local_t *l = rg_calloc(1, sizeof(*l));
    l->caches = caches;
    l->rv = 1000;
    pthread_mutex_init(&l->mu, NULL);
    *api = (admit_api_t){l_create, l_patch, l_json_patch, l_del, l_get, l};
}

void admit__api_local_release(admit_api_t *api)
{
    local_t *l = api->ctx;
    if (l == NULL)
        return;
    pthread_mutex_destroy(&l->mu);
    rg_free(l);
    api->ctx = NULL;
}

static void keep_or_set(cJSON *meta, const char *key, cJSON *v)
{
    if (cJSON_GetObjectItemCaseSensitive(meta, key)) {
        cJSON_Delete(v);
        return;
    }
    cJSON_AddItemToObject(meta, key, v);
}

void admit_local_prepare(cJSON *obj, size_t index, int64_t now_ns)
{
    const char *av = rg_json_get_string(obj, "apiVersion");
    const char *kind = rg_json_get_string(obj, "kind");
    int k = cache_kind_of(av, kind);
    if (k < 0)
        return;
    cJSON *meta = meta_of(obj);
    if (cache_kind_resource((cache_kind_t)k)->namespaced)
        keep_or_set(meta, "namespace", cJSON_CreateString("default"));
    const char *ns = rg_json_get_string(meta, "namespace");
    const char *name = rg_json_get_string(meta, "name");
    /* A stable, UUID-shaped uid from what identifies the object. */
    rg_sha1_t h;
    uint8_t d[RG_SHA1_LEN];
    char hex[2 * RG_SHA1_LEN + 1], uid[40];
    rg_sha1_init(&h);
    char *id = rg_asprintf("%s/%s/%s", kind ? kind : "", ns ? ns : "", name ? name : "");
    rg_sha1_update(&h, id, strlen(id));
    rg_free(id);
    rg_sha1_final(&h, d);
    rg_sha1_hex(d, hex);
    snprintf(uid, sizeof(uid), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
    keep_or_set(meta, "uid", cJSON_CreateString(uid));
    char ts[40];
    rg_time_format_rfc3339_seconds(now_ns + (int64_t)index * 1000000000LL, ts, sizeof(ts));
    keep_or_set(meta, "creationTimestamp", cJSON_CreateString(ts));
    keep_or_set(meta, "resourceVersion", cJSON_CreateString("1"));
    keep_or_set(meta, "generation", cJSON_CreateNumber(1));
}

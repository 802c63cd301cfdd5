/*
 * Cached objects: built once from an API object (trimmed, key fields and
 * index keys extracted, digest computed) and immutable afterwards, shared
 * by the store and every snapshot through a reference count. Each object
 * is one allocation holding its strings (and a Pod's JSON text).
 */
#include "cache_internal.h"

#include "raygate/alloc.h"
#include "raygate/json.h"

#include <stdio.h>
#include <string.h>

static const char *meta_str(const cJSON *meta, const char *key)
{
    const char *s = rg_json_get_string(meta, key);
    return s ? s : "";
}

int cache__key_of(const cache_store_t *st, const cJSON *obj, char *out, size_t out_size,
                  rg_error_t *err)
{
    const cJSON *meta = rg_json_get_object(obj, "metadata");
    const char *name = rg_json_get_string(meta, "name");
    const char *ns = rg_json_get_string(meta, "namespace");
    const char *kname = cache_kind_name(st->kind);
    if (!name || !*name)
        return rg_error_set(err, RG_ERR_INVAL, "%s: metadata.name: Required value", kname);
    if (strlen(name) > CACHE__MAX_NAME)
        return rg_error_set(err, RG_ERR_INVAL, "%s: metadata.name: Too long: %zu bytes (max %d)",
                            kname, strlen(name), CACHE__MAX_NAME);
    int n;
    if (cache__kind_info(st->kind)->res->namespaced) {
        if (!ns || !*ns)
            return rg_error_set(err, RG_ERR_INVAL, "%s \"%s\": metadata.namespace: Required value",
                                kname, name);
        if (strlen(ns) > CACHE__MAX_NAME)
            return rg_error_set(err, RG_ERR_INVAL, "%s \"%s\": metadata.namespace: Too long", kname,
                                name);
        n = snprintf(out, out_size, "%s/%s", ns, name);
    } else {
        n = snprintf(out, out_size, "%s", name);
    }
    if (n < 0 || (size_t)n >= out_size)
        return rg_error_set(err, RG_ERR_INVAL, "%s \"%s\": key too long", kname, name);
    return 0;
}

/* A bump allocator over the object's single block. */
typedef struct bump {
    char *p;
} bump_t;

static const char *bump_str(bump_t *b, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    memcpy(b->p, s, n);
    const char *r = b->p;
    b->p += n;
    return r;
}

static const char *bump_pair(bump_t *b, const char *ns, const char *v)
{
    if (!v)
        return NULL;
    int n = sprintf(b->p, "%s/%s", ns, v);
    const char *r = b->p;
    b->p += n + 1;
    return r;
}

static size_t slen(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

cache_obj_t *cache__obj_new(const cache_store_t *st, const cJSON *full, const char *default_ns,
                            rg_error_t *err)
{
    const cache__kind_info_t *ki = cache__kind_info(st->kind);
    if (!cJSON_IsObject(full)) {
        rg_error_set(err, RG_ERR_TYPE, "%s: object: expected an object, got %s", ki->name,
                     rg_json_type_name(full));
        return NULL;
    }
    cJSON *trimmed = cache__trim(st->kind, full);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(trimmed, "metadata");
    if (!meta)
        meta = cJSON_AddObjectToObject(trimmed, "metadata");
    const char *nsv = rg_json_get_string(meta, "namespace");
    if (ki->res->namespaced && (!nsv || !*nsv) && default_ns) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
        cJSON_AddStringToObject(meta, "namespace", default_ns);
    }
    if (!ki->res->namespaced)
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");

    char key[CACHE__MAX_KEY];
    if (cache__key_of(st, trimmed, key, sizeof key, err) < 0) {
        cJSON_Delete(trimmed);
        return NULL;
    }
    const char *ns = ki->res->namespaced ? rg_json_get_string(meta, "namespace") : "";
    const char *name = rg_json_get_string(meta, "name");
    const char *uid = meta_str(meta, "uid");
    const char *rv = meta_str(meta, "resourceVersion");
    const cJSON *labels = rg_json_get_object(meta, "labels");
    const cJSON *dts = cJSON_GetObjectItemCaseSensitive(meta, "deletionTimestamp");

    const char *node = NULL, *phase = NULL, *cluster = NULL, *queue = NULL;
    if (st->kind == CACHE_KIND_POD) {
        node = rg_json_get_string(rg_json_get_object(trimmed, "spec"), "nodeName");
        if (node && !*node)
            node = NULL;
        phase = rg_json_get_string(rg_json_get_object(trimmed, "status"), "phase");
        cluster = rg_json_get_string(labels, "ray.io/cluster");
    } else if (st->kind == CACHE_KIND_WORKLOAD) {
        queue = rg_json_get_string(rg_json_get_object(trimmed, "spec"), "queueName");
    } else if (st->kind == CACHE_KIND_RAYCLUSTER || st->kind == CACHE_KIND_RAYJOB) {
        queue = rg_json_get_string(labels, "kueue.x-k8s.io/queue-name");
    }
    if (queue && (!*queue || strlen(queue) > CACHE__MAX_NAME))
        queue = NULL;
    if (cluster && (!*cluster || strlen(cluster) > CACHE__MAX_NAME))
        cluster = NULL;

    char *text = NULL;
    size_t text_len = 0;
    if (!ki->keep_tree) {
        text = rg_json_print(trimmed);
        text_len = strlen(text);
    }

    size_t ns_len = strlen(ns);
    size_t need = sizeof(cache_obj_t) + slen(key) + slen(ns) + slen(name) + slen(uid) + slen(rv) +
                  slen(node) + slen(phase) + slen(cluster) + slen(queue) +
                  (cluster ? ns_len + 1 + strlen(cluster) + 1 : 0) +
                  (queue ? ns_len + 1 + strlen(queue) + 1 : 0) + (text ? text_len + 1 : 0);
    cache_obj_t *o = rg_calloc(1, need);
    bump_t b = {(char *)(o + 1)};
    o->kind = st->kind;
    o->key = bump_str(&b, key);
    o->ns = bump_str(&b, ns);
    o->name = bump_str(&b, name);
    o->uid = bump_str(&b, uid);
    o->resource_version = bump_str(&b, rv);
    o->node_name = bump_str(&b, node);
    o->phase = bump_str(&b, phase);
    o->ray_cluster = bump_str(&b, cluster);
    o->queue = bump_str(&b, queue);
    o->deleting = dts && !cJSON_IsNull(dts);
    for (int i = 0; i < 2; i++) {
        switch (ki->index[i]) {
        case CACHE__IDX_NODE: o->ikey[i] = o->node_name; break;
        case CACHE__IDX_CLUSTER: o->ikey[i] = bump_pair(&b, ns, cluster); break;
        case CACHE__IDX_QUEUE: o->ikey[i] = bump_pair(&b, ns, queue); break;
        default: break;
        }
    }
    if (text) {
        memcpy(b.p, text, text_len + 1);
        o->text = b.p;
        o->text_len = text_len;
        rg_free(text);
    }
    atomic_init(&o->refs, 1);

    if (st->digest) {
        o->digest = st->digest(st->digest_arg, o, trimmed);
        o->digest_free = st->digest_free;
        o->digest_arg = st->digest_arg;
    }
    if (ki->keep_tree)
        o->json = trimmed;
    else
        cJSON_Delete(trimmed);
    return o;
}

const cache_obj_t *cache_obj_ref(const cache_obj_t *o)
{
    if (o)
        atomic_fetch_add_explicit(&((cache_obj_t *)o)->refs, 1, memory_order_relaxed);
    return o;
}

void cache_obj_unref(const cache_obj_t *co)
{
    if (!co)
        return;
    cache_obj_t *o = (cache_obj_t *)co;
    if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (o->digest && o->digest_free)
        o->digest_free(o->digest, o->digest_arg);
    cJSON_Delete((cJSON *)o->json);
    rg_free(o);
}

cJSON *cache_obj_parse(const cache_obj_t *o, rg_error_t *err)
{
    if (!o) {
        rg_error_set(err, RG_ERR_INVAL, "cache_obj_parse: no object");
        return NULL;
    }
    if (o->json)
        return cJSON_Duplicate(o->json, true);
    return rg_json_parse(o->text, o->text_len, err);
}

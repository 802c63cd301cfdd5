/*
 * Which Workloads a Ray object controls: an index from the uid of a
 * Workload's controller ownerReference to the Workload's key, kept with the
 * admitter's newest objects (Kueue's job reconciler finds a job's Workloads
 * through its owner-uid field index the same way), so an owner whose
 * Workload is not under raygate's name is found without reading every one.
 */
#include "internal.h"

#include "raygate/alloc.h"
#include "raygate/json.h"

#include <string.h>

/* The Workloads of one controller uid. */
typedef struct owned {
    char *uid; /* the index's key */
    size_t n, cap;
    char **keys; /* Workload keys ("ns/name"), owned, in the order first seen */
} owned_t;

const char *admit__controller_ref(const cJSON *obj, const char **kind, const char **name)
{
    const cJSON *ref;
    cJSON_ArrayForEach(ref, rg_json_path(obj, "metadata", "ownerReferences", NULL))
    {
        bool ctl = false;
        if (rg_json_get_bool(ref, "controller", &ctl) > 0 && ctl) {
            *kind = rg_json_get_string(ref, "kind");
            *name = rg_json_get_string(ref, "name");
            return rg_json_get_string(ref, "uid");
        }
    }
    return NULL;
}

static void owned_free(void *v)
{
    owned_t *o = v;
    for (size_t i = 0; i < o->n; i++)
        rg_free(o->keys[i]);
    rg_free(o->keys);
    rg_free(o->uid);
    rg_free(o);
}

static void index_drop(rg_strmap_t *ix, const char *uid, const char *key)
{
    owned_t *o = rg_strmap_get(ix, uid);
    if (o == NULL)
        return;
    for (size_t i = 0; i < o->n; i++) {
        if (strcmp(o->keys[i], key) == 0) {
            rg_free(o->keys[i]);
            memmove(&o->keys[i], &o->keys[i + 1], (o->n - i - 1) * sizeof(*o->keys));
            o->n--;
            break;
        }
    }
    if (o->n == 0) {
        rg_strmap_del(ix, uid);
        owned_free(o);
    }
}

static void index_add(rg_strmap_t *ix, const char *uid, const char *key)
{
    owned_t *o = rg_strmap_get(ix, uid);
    if (o == NULL) {
        o = rg_calloc(1, sizeof(*o));
        o->uid = rg_strdup(uid);
        rg_strmap_put(ix, o->uid, o);
    }
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 1;
        o->keys = rg_realloc(o->keys, o->cap * sizeof(*o->keys));
    }
    o->keys[o->n++] = rg_strdup(key);
}

void admit__owner_index_update(struct admit *a, const cache_obj_t *prev, const cache_obj_t *now)
{
    const char *kind, *name;
    const char *was = prev ? admit__controller_ref(prev->json, &kind, &name) : NULL;
    const char *is = now ? admit__controller_ref(now->json, &kind, &name) : NULL;
    if (was && is && strcmp(was, is) == 0)
        return;
    if (was)
        index_drop(&a->wl_by_owner, was, prev->key);
    if (is)
        index_add(&a->wl_by_owner, is, now->key);
}

const cache_obj_t *admit__workload_controlled_by(struct admit *a, const char *ns, const char *uid)
{
    const owned_t *o = uid && uid[0] ? rg_strmap_get(&a->wl_by_owner, uid) : NULL;
    for (size_t i = 0; o && i < o->n; i++) {
        const cache_obj_t *w = admit__latest(a, CACHE_KIND_WORKLOAD, o->keys[i]);
        if (w && strcmp(w->ns, ns) == 0)
            return w;
    }
    return NULL;
}

void admit__owner_index_release(struct admit *a)
{
    rg_strmap_release_with(&a->wl_by_owner, owned_free);
}

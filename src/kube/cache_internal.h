/*
 * Internals shared by the cache files (cache_kinds.c, cache_obj.c,
 * cache_store.c, cache_set.c, cache_informer.c): the per-kind store and
 * the functions that apply events to it. Exposed to the unit tests so they
 * can feed events without a network. Not part of the public API.
 */
#ifndef RAYGATE_CACHE_INTERNAL_H
#define RAYGATE_CACHE_INTERNAL_H

#include "raygate/cache.h"
#include "raygate/kube.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CACHE__MAX_HANDLERS 8
/* A Kubernetes name is at most 253 bytes, a namespace or label value 63. */
#define CACHE__MAX_NAME 253
#define CACHE__MAX_KEY 512

/* Which secondary indexes a kind has (slot 0 and 1 of cache_obj_t.ikey). */
enum { CACHE__IDX_NONE = 0, CACHE__IDX_NODE, CACHE__IDX_CLUSTER, CACHE__IDX_QUEUE };

/* Static facts about a kind. */
typedef struct cache__kind_info {
    const char *name;
    const kube_resource_t *res;
    bool keep_tree;          /* false: only the compact text is kept (Pods) */
    int index[2];            /* CACHE__IDX_* of ikey[0], ikey[1] */
    const char *const *keep; /* trimmed field paths, NULL-terminated */
} cache__kind_info_t;

const cache__kind_info_t *cache__kind_info(cache_kind_t kind);

/*
 * Returns the trimmed copy of a full object (owned, cJSON_Delete): only the
 * paths of the kind's keep list, annotation last-applied-configuration
 * dropped, Node conditions reduced to Ready.
 */
cJSON *cache__trim(cache_kind_t kind, const cJSON *full);

struct cache_snapshot {
    atomic_uint refs;
    cache_kind_t kind;
    bool synced;
    uint64_t seq;
    size_t n;
    cache_obj_t **objs; /* sorted by key; one reference each */
    size_t idx_n[2];
    cache_obj_t **idx[2]; /* sorted by (ikey[i], key); borrowed from objs */
};

typedef struct cache_set cache_set_t;

/*
 * One kind's store. The map and the pending changes are written by the
 * kind's writer thread under mu; the publisher reads them under mu too.
 * Readers only touch cur, under snap_mu, and the snapshot it points to.
 */
typedef struct cache_store {
    cache_kind_t kind;
    bool enabled;
    cache_set_t *set;
    unsigned publish_interval_ms;

    pthread_mutex_t mu;
    cache_obj_t **slots; /* open addressing by key, linear probing */
    size_t cap, count;
    cache_obj_t **added; /* objects stored since the last publish (one ref each) */
    size_t added_n, added_cap;
    bool dirty, full_rebuild;
    uint64_t seen_gen;
    int64_t last_publish_ns;
    uint64_t seq;
    cache_stats_t stats;

    pthread_mutex_t snap_mu;
    cache_snapshot_t *cur;

    struct {
        cache_handler_fn fn;
        void *arg;
    } handlers[CACHE__MAX_HANDLERS];
    size_t nhandlers;
    cache_digest_fn digest;
    cache_digest_free_fn digest_free;
    void *digest_arg;

    /* The informer (writer) thread; its state is its own. */
    pthread_t thread;
    bool thread_started;
} cache_store_t;

struct cache_set {
    cache_set_opts_t opts;
    cache_store_t stores[CACHE_KIND_COUNT];
    bool started, loaded;
    atomic_bool stop;
    pthread_mutex_t mu; /* for cond only */
    pthread_cond_t cond;
    pthread_t publisher;
    bool publisher_started;
};

/*
 * A new object (one reference, the caller's) from a full or trimmed API
 * object: trims it, extracts the key fields and index keys, runs the
 * store's digest. default_ns is used for a namespaced object without one
 * (NULL: refuse it). NULL with err when metadata.name is missing or too long.
 */
cache_obj_t *cache__obj_new(const cache_store_t *st, const cJSON *full, const char *default_ns,
                            rg_error_t *err);

/* Writes the key of obj's metadata into out (ns/name or name); 0 or RG_ERR_INVAL. */
int cache__key_of(const cache_store_t *st, const cJSON *obj, char *out, size_t out_size,
                  rg_error_t *err);

void cache__store_init(cache_store_t *st, cache_set_t *set, cache_kind_t kind, bool enabled,
                       unsigned publish_interval_ms);
void cache__store_release(cache_store_t *st);

/*
 * Applies one watch event (ADDED, MODIFIED, DELETED; object borrowed) and
 * calls the handlers. A same-resourceVersion ADDED/MODIFIED and a DELETED
 * of an unknown key change nothing. Returns 0 or the error of a bad object.
 */
int cache__store_apply(cache_store_t *st, kube_event_type_t type, const cJSON *object,
                       rg_error_t *err);

/*
 * Replaces the whole store with objs (takes the n references), calls the
 * handlers for the difference, marks the store synced, counts a list and
 * publishes at once. Objects whose key and resourceVersion are unchanged
 * keep their old version (no handler call).
 */
void cache__store_replace(cache_store_t *st, cache_obj_t **objs, size_t n);

/* The stored object of key with a new reference, or NULL. Writer thread only. */
cache_obj_t *cache__store_lookup(cache_store_t *st, const char *key);

/* Publishes pending changes: always when force, else once publish_interval_ms passed. */
void cache__store_publish(cache_store_t *st, bool force);

/* The store's current snapshot with a new reference; any thread. */
cache_snapshot_t *cache__store_acquire(cache_store_t *st);

/* Records an error message in the stats (errors++). */
void cache__store_error(cache_store_t *st, const char *msg);

/* The informer thread's body (arg: the cache_store_t). */
void *cache__informer_main(void *arg);

/* Waits up to ms or until the set stops; returns whether the set is stopping. */
bool cache__set_sleep(cache_set_t *set, unsigned ms);

#endif

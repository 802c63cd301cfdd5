/*
 * Informer-like caches of the API objects raygate reads: one store per
 * kind, filled by a list then kept current by a watch (or, standalone, by
 * local manifests). Each store has exactly one writer thread (its
 * informer); request threads read immutable, refcounted snapshots and never
 * wait on the API server. Objects are kept trimmed to the fields raygate
 * uses (docs/caches.md lists them per kind).
 *
 * Threads: cache_set_new/_add_handler/_set_digest/_start/_stop/_free from
 * the owner (main) thread; cache_snapshot_* , cache_obj_* and the getters
 * (synced, stats) from any thread; handlers and digests run on the kind's
 * writer thread (or the thread calling cache_set_load_objects).
 * Depends on the kube client only through kube.h; knows nothing of quota,
 * the extender or HTTP.
 */
#ifndef RAYGATE_CACHE_H
#define RAYGATE_CACHE_H

#include "raygate/err.h"
#include "raygate/json.h"
#include "raygate/kube.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The cached kinds (DESIGN.md §2). */
typedef enum cache_kind {
    CACHE_KIND_RAYCLUSTER,
    CACHE_KIND_RAYJOB,
    CACHE_KIND_WORKLOAD,
    CACHE_KIND_CLUSTERQUEUE,
    CACHE_KIND_LOCALQUEUE,
    CACHE_KIND_RESOURCEFLAVOR,
    CACHE_KIND_WORKLOADPRIORITYCLASS,
    CACHE_KIND_PRIORITYCLASS, /* scheduling.k8s.io/v1 */
    CACHE_KIND_POD,
    CACHE_KIND_NODE,
    CACHE_KIND_NAMESPACE,
    CACHE_KIND_COHORT, /* kueue.x-k8s.io/v1beta2 Cohort */
    CACHE_KIND_COUNT
} cache_kind_t;

/* Bit of a kind in cache_set_opts_t.kinds. */
#define CACHE_KIND_BIT(k) (1u << (unsigned)(k))
#define CACHE_KINDS_ALL ((1u << (unsigned)CACHE_KIND_COUNT) - 1u)

/* The kind's name ("Pod"), static; "?" when out of range. */
const char *cache_kind_name(cache_kind_t kind);
/* The REST resource a kind is listed and watched through; static. */
const kube_resource_t *cache_kind_resource(cache_kind_t kind);
/*
 * The kind of an object by apiVersion and kind, or -1 when raygate does
 * not cache it. Accepts the seed's shorthands: kueue.x-k8s.io `Queue`
 * (a LocalQueue) and kueue.x-k8s.io `PriorityClass` (a
 * WorkloadPriorityClass).
 */
int cache_kind_of(const char *api_version, const char *kind);

/*
 * One cached object version. Immutable once published: every field is
 * read-only for users of the module, and valid while the caller holds a
 * snapshot that contains the object or a reference (cache_obj_ref).
 */
typedef struct cache_obj {
    cache_kind_t kind;
    const char *key; /* "ns/name", or "name" when cluster-scoped */
    const char *ns;  /* "" when cluster-scoped */
    const char *name;
    const char *uid;              /* "" when absent */
    const char *resource_version; /* "" when absent (standalone manifests) */
    const char *node_name;        /* Pod spec.nodeName; NULL when unset or not a Pod */
    const char *phase;            /* Pod status.phase; NULL when unset */
    const char *ray_cluster;      /* Pod label ray.io/cluster; NULL when unset */
    const char *queue;            /* Workload spec.queueName, RayCluster/RayJob label
                                     kueue.x-k8s.io/queue-name; NULL when unset */
    bool deleting;                /* metadata.deletionTimestamp is set */
    /*
     * The trimmed object. Pods (the bulk of the memory) keep only the
     * compact JSON text (parse it with cache_obj_parse when a field beyond
     * the ones above is needed); every other kind keeps the parsed tree
     * and text is NULL.
     */
    const cJSON *json;
    const char *text;
    size_t text_len;
    void *digest; /* what the kind's digest function made (cache_set_set_digest), or NULL */

    /* Private to the module below this line. */
    atomic_uint refs;
    bool dead;           /* removed from its store (writer only) */
    uint64_t seen;       /* relist generation (writer only) */
    const char *ikey[2]; /* index keys, see cache_snapshot_* lookups */
    void (*digest_free)(void *digest, void *arg);
    void *digest_arg;
} cache_obj_t;

/* Takes a reference; returns o. */
const cache_obj_t *cache_obj_ref(const cache_obj_t *o);
/* Drops a reference; the last one frees the object. NULL is a no-op. */
void cache_obj_unref(const cache_obj_t *o);
/*
 * The trimmed object as a new tree the caller owns (cJSON_Delete), for
 * any kind; NULL with err only if the stored text is corrupt.
 */
cJSON *cache_obj_parse(const cache_obj_t *o, rg_error_t *err);

/* ---- Snapshots ---- */

/*
 * An immutable view of one kind's store: objects sorted by key, plus the
 * kind's indexes. Readers hold it as long as they like; the writer
 * publishes a new one (at most every publish_interval_ms, at once at sync)
 * and frees an old one when its last reader releases it.
 */
typedef struct cache_snapshot cache_snapshot_t;

/* Number of objects and the i-th in key order (borrowed; NULL past the end). */
size_t cache_snapshot_count(const cache_snapshot_t *s);
const cache_obj_t *cache_snapshot_at(const cache_snapshot_t *s, size_t i);
cache_kind_t cache_snapshot_kind(const cache_snapshot_t *s);
/* Whether the store had completed its first sync when this was published. */
bool cache_snapshot_synced(const cache_snapshot_t *s);
/* Increases with every publish of the store (0 = the empty initial one). */
uint64_t cache_snapshot_seq(const cache_snapshot_t *s);

/* The object ns/name (ns NULL or "" for cluster-scoped kinds); borrowed or NULL. */
const cache_obj_t *cache_snapshot_get(const cache_snapshot_t *s, const char *ns, const char *name);

/*
 * Index lookups: *out gets a borrowed array (sorted by key) of the
 * matching objects; returns its length (0 and *out NULL when none, or when
 * the snapshot's kind has no such index).
 *   pods_on_node:     Pods whose spec.nodeName is node.
 *   pods_of_cluster:  Pods labelled ray.io/cluster=cluster in ns.
 *   by_queue:         Workloads with spec.queueName=queue, RayClusters and
 *                     RayJobs labelled kueue.x-k8s.io/queue-name=queue, in ns.
 */
size_t cache_snapshot_pods_on_node(const cache_snapshot_t *s, const char *node,
                                   const cache_obj_t *const **out);
size_t cache_snapshot_pods_of_cluster(const cache_snapshot_t *s, const char *ns,
                                      const char *cluster, const cache_obj_t *const **out);
size_t cache_snapshot_by_queue(const cache_snapshot_t *s, const char *ns, const char *queue,
                               const cache_obj_t *const **out);

/* ---- Handlers and digests ---- */

typedef enum cache_event {
    CACHE_EVENT_ADD,
    CACHE_EVENT_UPDATE,
    CACHE_EVENT_DELETE,
} cache_event_t;

/*
 * Called on the kind's writer thread after the store changed: ADD (old
 * NULL), UPDATE (both), DELETE (new NULL). The objects are borrowed for
 * the call (cache_obj_ref to keep one). A relist calls it for the
 * difference between the old and the new store. The published snapshot
 * may lag the handler by up to publish_interval_ms. Handlers must not
 * block: enqueue work for another thread.
 */
typedef void (*cache_handler_fn)(void *arg, cache_kind_t kind, cache_event_t ev,
                                 const cache_obj_t *old_obj, const cache_obj_t *new_obj);

/*
 * A digest turns a trimmed object into a module's own summary once per
 * object version, on the writer thread (e.g. the extender's parsed pod
 * requests), so readers never re-parse. trimmed is borrowed for the call.
 * Returns an owned value (freed by free_fn) or NULL.
 */
typedef void *(*cache_digest_fn)(void *arg, const cache_obj_t *obj, const cJSON *trimmed);
typedef void (*cache_digest_free_fn)(void *digest, void *arg);

/* ---- Statistics ---- */

#define CACHE_ERROR_MAX 256

/* One kind's informer counters, for /readyz and /metrics. */
typedef struct cache_stats {
    bool enabled;                     /* the kind is part of the set */
    bool synced;                      /* the first list (or load) is done */
    size_t objects;                   /* objects in the store */
    uint64_t lists;                   /* complete lists, the first included */
    uint64_t relists;                 /* lists after the first (410, fault recovery) */
    uint64_t watch_restarts;          /* watches re-opened after one ended */
    uint64_t events;                  /* watch events applied (bookmarks excluded) */
    uint64_t errors;                  /* failed lists and watches */
    uint64_t publishes;               /* snapshots published */
    int64_t last_list_ns;             /* duration of the last complete list */
    char resource_version[64];        /* last resourceVersion seen */
    char last_error[CACHE_ERROR_MAX]; /* "" when none yet */
} cache_stats_t;

/* ---- The cache set ---- */

typedef struct cache_set cache_set_t;

typedef struct cache_set_opts {
    kube_client_t *client;        /* borrowed, must outlive the set; NULL = standalone */
    unsigned kinds;               /* CACHE_KIND_BIT mask; 0 = CACHE_KINDS_ALL */
    unsigned publish_interval_ms; /* snapshot coalescing; 0 = 50 */
    unsigned page_size;           /* list limit; 0 = 500 */
    unsigned watch_timeout_s;     /* server-side watch timeout; 0 = 300 */
    unsigned backoff_min_ms;      /* after a failed list/watch; 0 = 200 */
    unsigned backoff_max_ms;      /* 0 = 30000 */
} cache_set_opts_t;

/* Returns an owned set (cache_set_free); never fails on valid options. */
cache_set_t *cache_set_new(const cache_set_opts_t *opts, rg_error_t *err);
/* Stops the informers if running and frees everything. NULL is a no-op. */
void cache_set_free(cache_set_t *set);

/* Before start/load only: add a handler (up to 8 per kind) or the digest of a kind. */
int cache_set_add_handler(cache_set_t *set, cache_kind_t kind, cache_handler_fn fn, void *arg,
                          rg_error_t *err);
int cache_set_set_digest(cache_set_t *set, cache_kind_t kind, cache_digest_fn fn,
                         cache_digest_free_fn free_fn, void *arg, rg_error_t *err);

/*
 * Starts one informer thread per kind plus the publisher thread. Needs a
 * client. Returns 0, RG_ERR_STATE (already started / standalone) or RG_ERR_SYS.
 */
int cache_set_start(cache_set_t *set, rg_error_t *err);
/* Stops and joins every thread (promptly: watches are cut). Idempotent. */
void cache_set_stop(cache_set_t *set);

/* Whether every kind of the set has completed its first sync. */
bool cache_set_synced(cache_set_t *set);
/* Waits up to timeout_ms for cache_set_synced; returns whether it is. */
bool cache_set_wait_synced(cache_set_t *set, unsigned timeout_ms);

/*
 * Standalone mode: replaces every store of the set with the objects given
 * (borrowed; each one's apiVersion/kind picks its store, kind List is
 * expanded, kinds not cached are skipped; a namespaced object without a
 * namespace goes to "default"), calls the handlers for the difference,
 * marks every kind synced and publishes at once. Not while started.
 * Returns 0 or RG_ERR_INVAL naming the index of an object without a name.
 */
int cache_set_load_objects(cache_set_t *set, const cJSON *const *objects, size_t n,
                           rg_error_t *err);

/*
 * The latest stored version of key ("ns/name" or "name") of a kind, newer
 * than the published snapshot may be: a new reference (cache_obj_unref) or
 * NULL. Any thread; takes the store's lock briefly.
 */
const cache_obj_t *cache_set_lookup(cache_set_t *set, cache_kind_t kind, const char *key);

/*
 * Standalone mode only (the set holds loaded objects, no informers): applies
 * one object change as a watch event would (type ADDED/MODIFIED or
 * DELETED; obj borrowed, its kind picks the store), calls the handlers on
 * the calling thread and publishes at once. The caller serialises calls
 * (one writer at a time). RG_ERR_STATE when informers run.
 */
int cache_set_apply_object(cache_set_t *set, kube_event_type_t type, const cJSON *obj,
                           rg_error_t *err);

/*
 * The current snapshot of a kind: never NULL (an empty one before the
 * first sync or for a kind not in the set). Release it with
 * cache_snapshot_release; any thread, never blocks on I/O.
 */
cache_snapshot_t *cache_snapshot_acquire(cache_set_t *set, cache_kind_t kind);
void cache_snapshot_release(cache_snapshot_t *s);

/*
 * Like cache_snapshot_acquire, but first publishes the changes the kind's
 * handlers have already been told about, so that a decision taken on an
 * event sees the store that event described. Costs a snapshot merge when
 * there are unpublished changes; for consumers that act on events, not for
 * hot read paths.
 */
cache_snapshot_t *cache_snapshot_acquire_fresh(cache_set_t *set, cache_kind_t kind);

/* Publishes every kind with unpublished changes now (tests, shutdown). */
void cache_set_flush(cache_set_t *set);

/* Fills out with a kind's counters; any thread. */
void cache_set_stats_get(cache_set_t *set, cache_kind_t kind, cache_stats_t *out);

#endif

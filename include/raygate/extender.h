/*
 * The kube-scheduler extender (k8s.io/kube-scheduler/extender/v1): filter,
 * prioritize, bind and preempt for GPU-aware, gang-aware placement. Each
 * verb takes the request body and returns the answer body; HTTP stays in
 * src/serve/. Gangs with a plan recorded on their Workload are steered
 * member by member to it; gangs without one are planned here, one at a
 * time under the planning lock, against capacity net of every earlier plan.
 *
 * Threads: every verb may run on any HTTP thread concurrently (kube-scheduler
 * overlaps binds with later filters). State (in-memory plans, claims,
 * assumed binds) is behind one mutex, the planning lock; decisions read
 * immutable cache snapshots and a shared capacity view rebuilt when they
 * change. Nothing but bind waits on the API server.
 * Depends on the caches, the gang planner and the API client; knows nothing
 * of HTTP.
 */
#ifndef RAYGATE_EXTENDER_H
#define RAYGATE_EXTENDER_H

#include "raygate/arena.h"
#include "raygate/cache.h"
#include "raygate/err.h"
#include "raygate/gang.h"
#include "raygate/kube.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most nodes (or names, or preemption candidates) one request may carry. */
#define EXT_MAX_NODES_DEFAULT 50000

typedef struct ext_opts {
    const char *const *gpu_resources; /* names or "prefix*" patterns; NULL = nvidia.com/gpu */
    size_t n_gpu_resources;
    const char *topology_label;  /* rack/NVLink label beside the zone; NULL or "" = none */
    unsigned plan_ttl_s;         /* an unqueued gang's plan without new members; 0 = 60 */
    unsigned assume_ttl_s;       /* a claim or bind not yet seen in the pod cache; 0 = 30 */
    size_t max_nodes;            /* 0 = EXT_MAX_NODES_DEFAULT */
    gang_weights_t weights;      /* all 0 = {2, 1, 1} */
    /* Called for each gang outcome ("planned", "steered", "replanned", "refused",
     * "expired", "released", "completed"); may be NULL. Any thread. */
    void (*on_gang)(void *arg, const char *outcome);
    void *on_gang_arg;
} ext_opts_t;

typedef struct ext ext_t;

/*
 * Returns an owned extender (ext_free) reading caches (borrowed; the Node
 * and Pod digests must be installed: gang_digests_install) and binding
 * through client (borrowed; NULL in standalone mode, where bind answers an
 * Error). opts is copied.
 */
ext_t *ext_new(const ext_opts_t *opts, cache_set_t *caches, kube_client_t *client,
               rg_error_t *err);
void ext_free(ext_t *x);

/* One verb's answer. */
typedef struct ext_answer {
    int status;           /* 200, or 400 for a body that is not the verb's JSON */
    char *body;           /* owned (rg_free) */
    size_t len;
    const char *decision; /* static: "passed", "steered", "refused", "bound", "error" ... */
    char pod[320];        /* "ns/name" of the pod, for logs and the audit */
    char reason[1024];    /* the main reason, "" when none */
} ext_answer_t;

/*
 * The verbs. body is borrowed; now_ns is the monotonic clock (decisions
 * take it as an argument). out is filled in every case.
 */
void ext_filter(ext_t *x, const char *body, size_t len, int64_t now_ns, ext_answer_t *out);
void ext_prioritize(ext_t *x, const char *body, size_t len, int64_t now_ns, ext_answer_t *out);
void ext_bind(ext_t *x, const char *body, size_t len, int64_t now_ns, ext_answer_t *out);
void ext_preempt(ext_t *x, const char *body, size_t len, int64_t now_ns, ext_answer_t *out);

/* Counts of the extender's in-memory state, for /metrics and tests. */
typedef struct ext_stats {
    size_t plans;   /* gangs planned here and still held */
    size_t claims;  /* members steered or bound, not yet seen bound in the pod cache */
} ext_stats_t;

void ext_stats_get(ext_t *x, int64_t now_ns, ext_stats_t *out);

#endif

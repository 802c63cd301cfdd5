/*
 * The admitter's private pieces: the API it writes through (the cluster's,
 * or the standalone caches), the writer pool, the event queue and the
 * loop's state. Shared by the files of src/admit only.
 */
#ifndef RAYGATE_ADMIT_INTERNAL_H
#define RAYGATE_ADMIT_INTERNAL_H

#include "raygate/admit.h"
#include "raygate/strmap.h"

#include <pthread.h>
#include <stdatomic.h>

/* ---- The API the admitter writes through ---- */

/* Outcome of a write, as the loop acts on it. */
typedef enum admit_outcome {
    ADMIT_OK = 0,
    ADMIT_CONFLICT, /* 409: stale precondition (decide again on the next version) */
    ADMIT_GONE,     /* 404 */
    ADMIT_EXISTS,   /* 409 AlreadyExists on create */
    ADMIT_UNKNOWN,  /* no answer, 5xx, timeout: the write may or may not have landed */
    ADMIT_REFUSED,  /* any other 4xx: the write is wrong or forbidden */
    ADMIT_SKIPPED,  /* never sent: the write it was to follow did not succeed */
} admit_outcome_t;

typedef struct admit_api {
    /* Every call is synchronous; obj/patch borrowed. *msg (may be NULL) gets
     * an owned description of a failure; *rv (may be NULL) the owned
     * resourceVersion the write produced. */
    admit_outcome_t (*create)(void *ctx, const kube_resource_t *res, const char *ns,
                              const cJSON *obj, char **msg, char **rv);
    admit_outcome_t (*patch)(void *ctx, const kube_resource_t *res, const char *ns,
                             const char *name, const cJSON *merge_patch, bool status, char **msg,
                             char **rv);
    admit_outcome_t (*json_patch)(void *ctx, const kube_resource_t *res, const char *ns,
                                  const char *name, const cJSON *ops, char **msg);
    admit_outcome_t (*del)(void *ctx, const kube_resource_t *res, const char *ns, const char *name,
                           const char *uid, char **msg);
    /* The object as stored now (owned) or NULL with the outcome. */
    cJSON *(*get)(void *ctx, const kube_resource_t *res, const char *ns, const char *name,
                  admit_outcome_t *outcome);
    void *ctx;
} admit_api_t;

void admit__api_kube(admit_api_t *api, kube_client_t *client);
/* Standalone: the caches are the store. */
void admit__api_local(admit_api_t *api, cache_set_t *caches);
void admit__api_local_release(admit_api_t *api);

/* ---- Writes ---- */

typedef enum admit_op {
    ADMIT_OP_CREATE,
    ADMIT_OP_PATCH,        /* merge patch on the object */
    ADMIT_OP_PATCH_STATUS, /* merge patch on /status */
    ADMIT_OP_JSON_PATCH,
    ADMIT_OP_DELETE,
    ADMIT_OP_GET, /* the object as stored now lands in body */
} admit_op_t;

/* What a write was for, so its outcome reaches the right place. */
typedef enum admit_purpose {
    ADMIT_FOR_ADMISSION, /* a Workload's admission: on failure, quota_model_forget */
    ADMIT_FOR_VERIFY,    /* reading back an admission whose write had no clear answer */
    ADMIT_FOR_PENDING,
    ADMIT_FOR_EVICTION,
    ADMIT_FOR_RELEASE,
    ADMIT_FOR_FINISH,
    ADMIT_FOR_WORKLOAD_CREATE,
    ADMIT_FOR_WORKLOAD_DELETE,
    ADMIT_FOR_OWNER_START,
    ADMIT_FOR_OWNER_STOP,
    ADMIT_FOR_QUEUE_STATUS,
    ADMIT_FOR_FINALIZER,
    ADMIT_FOR_PLAN, /* the raygate.dev/placement annotation */
    ADMIT_FOR_ANNOTATION,   /* raygate bookkeeping on a Workload (preemption history) */
    ADMIT_FOR_DEACTIVATE,   /* spec.active=false after DeactivationTarget */
    ADMIT_FOR_PODS_READY,   /* the PodsReady condition */
    ADMIT_FOR_OWNER_NOTICE, /* graceful stop: the notice on a preempted owner */
} admit_purpose_t;

typedef struct admit_write {
    admit_op_t op;
    admit_purpose_t purpose;
    const kube_resource_t *res;
    char *ns;
    char *name;
    char *uid;   /* DELETE precondition, may be NULL */
    cJSON *body; /* object, merge patch or JSON patch ops; owned */
    /* Filled by the writer. */
    admit_outcome_t outcome;
    char *msg;
    char *rv; /* the resourceVersion the write produced, when it says */
    int64_t latency_ns;
    struct admit_write *next;
    /* Sent right after this one, by the same writer, only when this one
     * succeeded (else reported ADMIT_SKIPPED); owned. */
    struct admit_write *then;
} admit_write_t;

void admit__write_free(admit_write_t *w);

/* ---- The loop ---- */

typedef enum aev_kind {
    AEV_CACHE,      /* a cache handler call */
    AEV_WRITE_DONE, /* a writer finished a write */
    AEV_LEADING,    /* leadership changed */
} aev_kind_t;

typedef struct aev {
    aev_kind_t kind;
    cache_kind_t ck;
    cache_event_t ev;
    const cache_obj_t *old_obj; /* references held */
    const cache_obj_t *new_obj;
    admit_write_t *write;
    bool leading;
    struct aev *next;
} aev_t;

typedef struct writer {
    struct admit *a;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    admit_write_t *head, *tail;
    bool stop;
} writer_t;

#define ADMIT_MAX_WRITERS 16

struct admit {
    admit_opts_t opts;
    quota_policy_cfg_t policy; /* opts.policy points here */
    admit_api_t api;
    quota_model_t *model;
    /* The queue. */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    aev_t *head, *tail;
    uint64_t enqueued, handled; /* for admit_wait_idle */
    pthread_cond_t idle;
    bool stop;
    pthread_t thread;
    bool started;
    /* Loop state (loop thread only). */
    bool leading;
    bool decided_once;
    int64_t next_wake_ns; /* wall clock; 0 none */
    int64_t last_queue_status_ns;
    rg_strmap_t latest[CACHE_KIND_COUNT]; /* key -> const cache_obj_t * (ref) */
    rg_strmap_t wl_by_owner;              /* controller uid -> Workloads (owner_index.c) */
    rg_strmap_t inflight;                 /* "purpose/ns/name" -> owned key: one write at a time */
    atomic_size_t n_inflight;             /* its size, readable from any thread */
    rg_strmap_t dirty_owners;             /* "kind/ns/name" -> owned key: to reconcile */
    bool status_dirty;                    /* queue status may have changed */
    bool capacity_changed;                /* a Node changed or a pod left one */
    cJSON *shorthand_flavor;              /* the implicit default-flavor ResourceFlavor */
    writer_t writers[ADMIT_MAX_WRITERS];
    unsigned n_writers;
    /* Statistics. */
    atomic_uint_fast64_t st_events, st_passes, st_admitted, st_pending, st_evicted, st_conflicts,
        st_write_errors, st_created, st_started, st_stopped;
    struct admit_metrics *metrics;
    struct admit_placement *placement;
    /* Workloads written but whose new version has not come back through the
     * watch yet: "ns/name" -> awaited_t. Their decisions wait for it. */
    rg_strmap_t awaiting;
};

typedef struct awaited {
    char *key;
    char *rv;
    int64_t until_ns; /* give up waiting then (a relist may skip versions) */
} awaited_t;

/* A write to Workload ns/name produced rv: hold decisions until it is seen. */
void admit__await(struct admit *a, const char *ns, const char *name, const char *rv);
/* Whether decisions about ns/name wait for a version in flight. */
bool admit__awaiting(struct admit *a, const char *ns, const char *name, int64_t now_ns);
/* The watch showed ns/name at rv (NULL: gone). */
void admit__seen(struct admit *a, const char *key, const char *rv);
void admit__awaiting_release(struct admit *a);

/* Writers. */
int admit__writers_start(struct admit *a, rg_error_t *err);
void admit__writers_stop(struct admit *a);
/* Queues a write (takes it) on the writer of its object. */
void admit__submit(struct admit *a, admit_write_t *w);
/* Builds and submits a write; body is taken. Skips it (and frees body) when a
 * write of the same purpose to the same object is still in flight. */
bool admit__write(struct admit *a, admit_op_t op, admit_purpose_t purpose,
                  const kube_resource_t *res, const char *ns, const char *name, cJSON *body);
/* The same, with a follow-up (body then_body, taken) sent only once the
 * write succeeded; the follow-up is dropped when one of its purpose is in flight. */
bool admit__write_then(struct admit *a, admit_op_t op, admit_purpose_t purpose,
                       const kube_resource_t *res, const char *ns, const char *name, cJSON *body,
                       admit_op_t then_op, admit_purpose_t then_purpose, cJSON *then_body);
/* A delete with a uid precondition (may be NULL). */
bool admit__write_delete(struct admit *a, admit_purpose_t purpose, const kube_resource_t *res,
                         const char *ns, const char *name, const char *uid);
/* Whether a write of purpose to the object is in flight. */
bool admit__write_inflight(struct admit *a, admit_purpose_t purpose, const kube_resource_t *res,
                           const char *ns, const char *name);
/* The loop got the write's outcome: another of its kind may go now. */
void admit__write_settled(struct admit *a, const admit_write_t *w);

/* Events into the loop (any thread). */
void admit__enqueue(struct admit *a, aev_t *ev);

/* The newest object seen for a kind and key (borrowed, loop thread), or NULL. */
const cache_obj_t *admit__latest(struct admit *a, cache_kind_t kind, const char *key);

/* The model side: apply a cache event; run a pass and write its decisions. */
void admit__model_apply(struct admit *a, cache_kind_t kind, const cache_obj_t *old_obj,
                        const cache_obj_t *new_obj);
void admit__decide(struct admit *a, int64_t now_ns);
void admit__write_done(struct admit *a, admit_write_t *w);
void admit__queue_status(struct admit *a, int64_t now_ns);

/* The owner index (owner_index.c, loop thread). The uid of obj's controller
 * ownerReference (*kind and *name its kind and name; borrowed from obj), or
 * NULL when it has none. */
const char *admit__controller_ref(const cJSON *obj, const char **kind, const char **name);
/* A Workload's newest version replaces prev (NULL: new); now NULL: gone. */
void admit__owner_index_update(struct admit *a, const cache_obj_t *prev, const cache_obj_t *now);
/* The first-seen newest Workload in ns whose controller has uid (borrowed), or NULL. */
const cache_obj_t *admit__workload_controlled_by(struct admit *a, const char *ns, const char *uid);
void admit__owner_index_release(struct admit *a);

/* The job side (owners.c): Ray objects and their Workloads. */
void admit__owner_touched(struct admit *a, cache_kind_t kind, const char *key);
/* Whether Workload w's controller is a RayCluster or RayJob; *owner is it
 * from the cache (borrowed), NULL when gone or another uid. */
bool admit__ray_owner(struct admit *a, const cache_obj_t *w, const cache_obj_t **owner);
void admit__workload_touched(struct admit *a, const char *key);
/* Marks every Workload controlled by the Ray object kind ns/name for a look. */
void admit__touch_workloads_of(struct admit *a, const char *ns, const char *kind,
                               const char *name);
void admit__reconcile_owners(struct admit *a, int64_t now_ns);
void admit__owner_write_done(struct admit *a, const admit_write_t *w);
/* Clears an evicted Workload's reservation and its placement plan. */
void admit__release(struct admit *a, const cache_obj_t *w, const char *message);
/* Drops kueue.x-k8s.io/resource-in-use from o (only while deleting when asked). */
void admit__finalizer_release(struct admit *a, const kube_resource_t *res, const cache_obj_t *o,
                              bool only_deleting);
/* An Event about a cached object (Normal/Warning), if Events are recorded. */
void admit__event(struct admit *a, const cache_obj_t *o, const char *type, const char *reason,
                  const char *note);

/* "Admitted means placeable" (placement.c). */
typedef struct admit_placement admit_placement_t;
admit_placement_t *admit__placement_new(struct admit *a, const admit_placement_opts_t *o);
void admit__placement_free(admit_placement_t *p);
/* The quota check; arg is p. */
quota_check_t admit__placement_check(admit_placement_t *p);
/* The pass is over: its capacity picture goes (plans in flight stay held). */
void admit__placement_end(admit_placement_t *p);
/* The annotation text of the plan made for ns/name in this pass (owned), or NULL. */
char *admit__placement_take_annotation(admit_placement_t *p, const char *ns, const char *name);
/* Nodes or pods changed while placement kept something pending: look again. */
bool admit__placement_capacity_changed(admit_placement_t *p);
/* Drops an assumed admission: the model's and the plan held for it. */
void admit__forget(struct admit *a, const char *ns, const char *name);

/* Status building blocks (wlstatus.c): apimeta.SetStatusCondition on an
 * owned conditions array; a status merge patch skeleton with the object's
 * resourceVersion and a copy of its conditions (owned); metadata.generation. */
void admit__cond_set(cJSON *conds, const char *type, const char *status, const char *reason,
                     const char *message, int64_t generation, int64_t now_ns);
cJSON *admit__status_patch(const cJSON *obj, cJSON **status, cJSON **conds);
int64_t admit__generation(const cJSON *obj);
/* The status condition of that type on an object (borrowed), or NULL. */
const cJSON *admit__find_cond(const cJSON *obj, const char *type);

/* Preemption and its protections (preempt.c): after an EVICT decision's
 * status write went out, the Events (the victim's preemption history
 * follows the write itself, see decide_evict);
 * a DEACTIVATE decision; a preempted owner's graceful stop (true when it
 * may be suspended now); the anti-thrash requeueAt added to a release. */
void admit__preempt_written(struct admit *a, const quota_decision_t *d, const cache_obj_t *o);
void admit__decide_deactivate(struct admit *a, const quota_decision_t *d, const cache_obj_t *o,
                              int64_t now_ns);
bool admit__graceful_stop_due(struct admit *a, const cache_obj_t *owner, const cache_obj_t *w,
                              const char *reason, int64_t now_ns);
void admit__release_backoff(struct admit *a, const cache_obj_t *w, cJSON *patch, int64_t now_ns);
/* Looks at an owner again at time t (a graceful stop falls due, its pods may be gone). */
void admit__recheck_owner(struct admit *a, const cache_obj_t *owner, int64_t t);
/* Adds the removal of a graceful-stop notice to an owner's stop patch. */
void admit__stop_notice_clear(const cache_obj_t *owner, cJSON *patch);
/* PodsReady on an admitted Workload, as Kueue's job reconciler writes it. */
void admit__pods_ready(struct admit *a, const cache_obj_t *owner, const cache_obj_t *w,
                       int64_t now_ns);

/* Metrics and audit. */
struct admit_metrics *admit__metrics_new(metrics_registry_t *reg);
void admit__metrics_free(struct admit_metrics *m);
void admit__metrics_decision(struct admit *a, const quota_decision_t *d);
void admit__metrics_write(struct admit *a, const admit_write_t *w);
void admit__metrics_queues(struct admit *a);
/* kueue_cohort_weighted_share of a Cohort object (fair sharing on only). */
void admit__metrics_cohort(struct admit *a, const char *cohort, double share);
void admit__audit(struct admit *a, const char *kind, const char *ns, const char *name,
                  const char *decision, const char *reason);

#endif

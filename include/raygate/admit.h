/*
 * The admitter: the leader's loop that turns cluster state into admissions.
 * Cache handlers feed one queue drained by one thread, which keeps the
 * quota engine's model current, reconciles Ray objects with their
 * Workloads (src/jobs), runs admission passes and hands the resulting API
 * writes to a small pool of writer threads (one per object key, so writes
 * to an object stay in order). Every replica keeps the model warm; only the
 * leader decides and writes. Standalone, the same loop writes to the local
 * caches instead of an API server.
 *
 * Threads: admit_new/_start/_stop/_free from the owner thread;
 * admit_set_leading from any thread (the leader elector's callbacks).
 * The pure status builders below may be called from any thread.
 */
#ifndef RAYGATE_ADMIT_H
#define RAYGATE_ADMIT_H

#include "raygate/audit.h"
#include "raygate/cache.h"
#include "raygate/events.h"
#include "raygate/gang.h"
#include "raygate/kube.h"
#include "raygate/metrics.h"
#include "raygate/quota.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- Workload status as Kueue writes it (pure) ---- */

/*
 * JSON merge patches (owned, cJSON_Delete) for a Workload's status
 * subresource, built from the Workload as last seen (borrowed). Each
 * carries metadata.resourceVersion, so the API server refuses it (409) when
 * the Workload changed meanwhile, and the whole status.conditions array
 * with apimeta.SetStatusCondition's semantics (lastTransitionTime moves
 * only when a condition's status does). Times are now_ns.
 */

/* Admission: status.admission, QuotaReserved=True, Admitted=True; active
 * Evicted/Preempted conditions reset to False ("Previously: ..."). */
cJSON *admit_status_admit(const cJSON *wl, const quota_admission_t *adm, int64_t now_ns);
/* Pending: QuotaReserved=False with reason and message. */
cJSON *admit_status_pending(const cJSON *wl, const char *reason, const char *message,
                            int64_t now_ns);
/* Eviction: Evicted=True with reason and message (the reservation stays). */
cJSON *admit_status_evict(const cJSON *wl, const char *reason, const char *message, int64_t now_ns);
/* An EVICT decision (borrowed) as Kueue's workloadevict.Evict writes it:
 * Evicted=True, for a preemption also Preempted=True with its reason, for
 * PodsReadyTimeout the new requeueState, for a deactivation the
 * DeactivationTarget condition and requeueState cleared, and
 * status.schedulingStats.evictions counted. */
cJSON *admit_status_evict_decision(const cJSON *wl, const quota_decision_t *d, int64_t now_ns);
/* After an eviction took effect: the reservation cleared (admission null,
 * QuotaReserved=False reason Pending with the eviction's message, Admitted=False
 * NoReservation), and Requeued=True. */
cJSON *admit_status_release(const cJSON *wl, const char *message, int64_t now_ns);
/* raygate's anti-thrash on release: when the Workload's preemption history
 * (annotation raygate.dev/preempted-at) makes it thrash under policy
 * (borrowed), adds status.requeueState.requeueAt to a release patch (from
 * admit_status_release, changed in place) and returns that time; else 0. */
int64_t admit_status_thrash_backoff(const cJSON *wl, const quota_policy_cfg_t *policy,
                                    cJSON *patch, int64_t now_ns);
/* The metadata merge patch (owned) that records a preemption at now_ns in
 * the victim's history: raygate.dev/preempted-at, unix seconds, newest
 * last, at most 16 kept (the largest preemption.thrashLimit). */
cJSON *admit_preempted_at_patch(const cJSON *wl, int64_t now_ns);
/* Finished=True with Kueue's reason (Succeeded, Failed, ...) and message. */
cJSON *admit_status_finished(const cJSON *wl, const char *reason, const char *message,
                             int64_t now_ns);

/* The admission as Kueue's status.admission object (owned). */
cJSON *admit_admission_json(const quota_admission_t *adm);

/*
 * A ClusterQueue's status as Kueue keeps it (owned merge patch for its
 * status subresource: pendingWorkloads, reservingWorkloads,
 * admittedWorkloads, flavorsReservation, flavorsUsage, condition Active,
 * fairSharing),
 * or NULL when cq (the cached object, borrowed) already says all that.
 */
cJSON *admit_status_cluster_queue(const cJSON *cq, const quota_cq_status_t *st, int64_t now_ns);
/*
 * A Cohort's status (owned merge patch: status.fairSharing.weightedShare
 * while fair sharing is on, removed when off, as Kueue's Cohort controller
 * writes it), or NULL when cohort (borrowed) already says that.
 */
cJSON *admit_status_cohort(const cJSON *cohort, bool fair_sharing, double share);
/* The same for a LocalQueue (pendingWorkloads, reservingWorkloads,
 * admittedWorkloads, condition Active). */
cJSON *admit_status_local_queue(const cJSON *lq, size_t pending, size_t reserving, size_t admitted,
                                bool active, const char *inactive_reason,
                                const char *inactive_message, int64_t now_ns);

/*
 * Standalone: makes a local manifest (owned, changed in place) look as if an
 * API server had stored it: namespace "default" when a namespaced kind has
 * none, a uid derived from kind/namespace/name (stable across restarts, so
 * Workload names are too), creationTimestamp now_ns plus index
 * seconds (manifest order is queue order), resourceVersion "1",
 * generation 1. Fields already present are kept.
 */
void admit_local_prepare(cJSON *obj, size_t index, int64_t now_ns);

/* ---- The loop ---- */

typedef struct admit admit_t;

/* "Admitted means placeable" (docs/admission.md): when the admitter also
 * plans the whole gang on the flavors' nodes before admitting. */
typedef enum admit_placement_mode {
    ADMIT_PLACEMENT_AUTO = 0, /* when the cluster view has any Node */
    ADMIT_PLACEMENT_ON,
    ADMIT_PLACEMENT_OFF,
} admit_placement_mode_t;

typedef struct admit_placement_opts {
    admit_placement_mode_t mode;
    const char *const *gpu_resources; /* as the extender's (NULL = nvidia.com/gpu) */
    size_t n_gpu_resources;
    const char *topology_label;  /* NULL = zones only */
    struct gang_weights weights; /* zero = the extender's defaults */
} admit_placement_opts_t;

typedef struct admit_opts {
    cache_set_t *caches;         /* borrowed; handlers are added by admit_new */
    kube_client_t *client;       /* borrowed; NULL = standalone (writes go to caches) */
    events_recorder_t *events;   /* borrowed, may be NULL */
    audit_log_t *audit;          /* borrowed, may be NULL */
    metrics_registry_t *metrics; /* borrowed, may be NULL */
    unsigned writers;            /* writer threads; 0 = 4 */
    unsigned pending_refresh_s;  /* see quota_pass_opts_t; 0 = 30 */
    unsigned queue_status_ms;    /* ClusterQueue/LocalQueue status at most this often; 0 = 2000 */
    const quota_check_t *checks; /* extra admission checks after quota (borrowed) */
    size_t n_checks;
    admit_placement_opts_t placement;
    /* Preemption, fair sharing, waitForPodsReady (copied); NULL = the engine's defaults. */
    const quota_policy_cfg_t *policy;
    unsigned graceful_stop_s; /* notice given to a preempted job before it is suspended; 0 none */
} admit_opts_t;

/*
 * A new admitter (owned: admit_free). Registers its cache handlers, so
 * call it before cache_set_start / cache_set_load_objects. Standalone
 * (client NULL) it leads from the start.
 */
admit_t *admit_new(const admit_opts_t *opts, rg_error_t *err);
/* Starts the loop and the writers. */
int admit_start(admit_t *a, rg_error_t *err);
/* Leading or not (the Lease); a new leader decides only after its caches synced. */
void admit_set_leading(admit_t *a, bool leading);
/* Stops the threads (writes in flight finish). Idempotent. */
void admit_stop(admit_t *a);
void admit_free(admit_t *a);

/* Waits until the loop has handled everything queued so far (tests, standalone demo). */
bool admit_wait_idle(admit_t *a, unsigned timeout_ms);

typedef struct admit_stats {
    uint64_t events; /* cache events handled */
    uint64_t passes;
    uint64_t admitted; /* ADMIT decisions written successfully */
    uint64_t pending;  /* pending notes written */
    uint64_t evicted;
    uint64_t conflicts;    /* writes refused as stale (409) and decided again */
    uint64_t write_errors; /* other failed writes */
    uint64_t workloads_created;
    uint64_t owners_started; /* Ray objects unsuspended */
    uint64_t owners_stopped; /* Ray objects suspended */
} admit_stats_t;

void admit_stats_get(admit_t *a, admit_stats_t *out);

#endif

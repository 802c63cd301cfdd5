/*
 * The quota engine: Kueue's quota model (ClusterQueues with resource groups,
 * flavors, nominal quota, borrowing and lending limits, cohorts), its flavor
 * assigner and its queue order, as pure functions over an in-memory model
 * that events update incrementally. The engine decides; the admitter
 * (src/admit/) feeds it decoded API objects and writes its decisions back.
 *
 * Threads: a model has one owner thread; nothing here locks, sleeps, does
 * I/O or reads a clock (the time is passed in). Specs are decoded from API
 * objects by quota_decode_* (any thread).
 * Depends on quantities, podspec and the JSON helpers only.
 */
#ifndef RAYGATE_QUOTA_H
#define RAYGATE_QUOTA_H

#include "raygate/err.h"
#include "raygate/json.h"
#include "raygate/podspec.h"
#include "raygate/quantity.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* raygate's annotations: a ClusterQueue's minimum runtime before its
 * workloads may be preempted (whole seconds), and a Workload's recent
 * preemptions (unix seconds, comma-separated, newest last). */
#define QUOTA_ANNOTATION_MIN_RUNTIME "raygate.dev/preemption-min-runtime-seconds"
#define QUOTA_ANNOTATION_PREEMPTED_AT "raygate.dev/preempted-at"

/* The flavor of the ClusterQueue shorthand; exists implicitly (DESIGN.md §2). */
#define QUOTA_SHORTHAND_FLAVOR "default-flavor"
/* Kueue's limits. */
#define QUOTA_MAX_PODSETS 18
#define QUOTA_MAX_GROUPS 16
#define QUOTA_MAX_FLAVORS 64
#define QUOTA_MAX_RESOURCES 64

/* ------------------------------------------------------------------ */
/* Specs: the engine's view of API objects. Every pointer is owned by */
/* the spec; quota_*_spec_free releases one (NULL is a no-op).         */
/* ------------------------------------------------------------------ */

typedef enum quota_queueing {
    QUOTA_BEST_EFFORT_FIFO = 0, /* Kueue's default */
    QUOTA_STRICT_FIFO,
} quota_queueing_t;

typedef enum quota_stop {
    QUOTA_STOP_NONE = 0,
    QUOTA_STOP_HOLD,
    QUOTA_STOP_HOLD_AND_DRAIN,
} quota_stop_t;

/* flavorFungibility.whenCanBorrow / whenCanPreempt (v1beta1 Borrow and
 * Preempt read as MayStopSearch, as Kueue converts them). */
typedef enum quota_fungibility {
    QUOTA_MAY_STOP_SEARCH = 0,
    QUOTA_TRY_NEXT_FLAVOR,
} quota_fungibility_t;

typedef enum quota_preference {
    QUOTA_PREF_UNSET = 0, /* BorrowingOverPreemption, as Kueue when unset */
    QUOTA_PREF_BORROWING_OVER_PREEMPTION,
    QUOTA_PREF_PREEMPTION_OVER_BORROWING,
} quota_preference_t;

typedef struct quota_limit {
    bool set;
    quota_qty_t v;
} quota_limit_t;

typedef struct quota_res_quota {
    char *resource;
    quota_qty_t nominal;
    quota_limit_t borrowing; /* borrowingLimit */
    quota_limit_t lending;   /* lendingLimit */
} quota_res_quota_t;

typedef struct quota_flavor_quotas {
    char *flavor;
    quota_res_quota_t *res;
    size_t n_res;
} quota_flavor_quotas_t;

typedef struct quota_group {
    char **covered; /* coveredResources */
    size_t n_covered;
    quota_flavor_quotas_t *flavors; /* in the ClusterQueue's order */
    size_t n_flavors;
} quota_group_t;

/* spec.preemption's policies (Kueue's PreemptionPolicy values). */
typedef enum quota_preempt_policy {
    QUOTA_PREEMPT_NEVER = 0, /* Kueue's default for both */
    QUOTA_PREEMPT_LOWER_PRIORITY,
    QUOTA_PREEMPT_LOWER_OR_NEWER_EQUAL_PRIORITY,
    QUOTA_PREEMPT_ANY,
} quota_preempt_policy_t;

typedef struct quota_preemption {
    quota_preempt_policy_t within_cq; /* withinClusterQueue */
    quota_preempt_policy_t reclaim;   /* reclaimWithinCohort */
    bool borrow_within_cohort;        /* borrowWithinCohort.policy LowerPriority */
    bool has_max_priority_threshold;  /* borrowWithinCohort.maxPriorityThreshold */
    int32_t max_priority_threshold;
} quota_preemption_t;

typedef struct quota_cq_spec {
    char *name;
    char *cohort; /* NULL when none */
    quota_group_t *groups;
    size_t n_groups;
    quota_queueing_t queueing;
    quota_stop_t stop;
    quota_fungibility_t when_can_borrow;  /* default MayStopSearch */
    quota_fungibility_t when_can_preempt; /* default TryNextFlavor */
    quota_preference_t preference;
    cJSON *namespace_selector; /* LabelSelector; NULL = Kueue's nil: no namespace */
    bool deleting;             /* deletionTimestamp set */
    /* Decoded by quota__decode_cq_extras (spec_preempt.c). */
    quota_preemption_t policy;
    double fair_weight;     /* spec.fairSharing.weight, 1 when unset */
    int64_t min_runtime_ns; /* annotation raygate.dev/preemption-min-runtime-seconds; -1 unset */
} quota_cq_spec_t;

/* A Cohort (kueue.x-k8s.io/v1beta2): a node of a cohort tree with quota of its own. */
typedef struct quota_cohort_spec {
    char *name;
    char *parent; /* spec.parentName; NULL for a root */
    quota_group_t *groups;
    size_t n_groups;
    double fair_weight; /* spec.fairSharing.weight, 1 when unset */
} quota_cohort_spec_t;

typedef struct quota_flavor_spec {
    char *name;
    cJSON *node_labels; /* object of strings, or NULL */
    cJSON *node_taints; /* array of Taints, or NULL */
    cJSON *tolerations; /* array of Tolerations, or NULL */
} quota_flavor_spec_t;

typedef struct quota_lq_spec {
    char *ns;
    char *name;
    char *cluster_queue;
    quota_stop_t stop;
    bool deleting;
} quota_lq_spec_t;

/* A WorkloadPriorityClass or a scheduling.k8s.io PriorityClass. */
typedef enum quota_class_kind {
    QUOTA_CLASS_WORKLOAD = 0, /* kueue.x-k8s.io WorkloadPriorityClass */
    QUOTA_CLASS_POD,          /* scheduling.k8s.io PriorityClass */
} quota_class_kind_t;

/* One resource of a podSet's admission: its flavor and the podSet's total. */
typedef struct quota_ps_res {
    char *resource;
    char *flavor;
    quota_qty_t usage;
} quota_ps_res_t;

/* One podSet's admission (status.admission.podSetAssignments[i]). */
typedef struct quota_ps_admission {
    char *name;
    int32_t count;
    quota_ps_res_t *res; /* sorted by resource */
    size_t n_res;
} quota_ps_admission_t;

typedef struct quota_admission {
    char *cluster_queue;
    quota_ps_admission_t *podsets;
    size_t n_podsets;
} quota_admission_t;

typedef struct quota_podset_spec {
    char *name;
    int32_t count;
    int32_t min_count;      /* -1 when unset */
    podspec_reqs_t per_pod; /* what one pod requests (podspec_requests) */
    cJSON *placement;       /* {nodeSelector, affinity, tolerations} of the template */
} quota_podset_spec_t;

/* The QuotaReserved=False condition as last written, to avoid rewrites. */
typedef struct quota_pending_note {
    char *reason;
    char *message;
    int64_t written_ns; /* its lastTransitionTime, 0 when none */
} quota_pending_note_t;

typedef struct quota_reclaim {
    char *podset;
    int32_t count;
} quota_reclaim_t;

typedef struct quota_wl_spec {
    char *ns;
    char *name;
    char *uid;
    char *resource_version;
    char *queue; /* spec.queueName; NULL when none */
    int64_t created_ns;
    bool has_priority;
    int32_t priority;
    quota_class_kind_t class_kind; /* of priorityClassRef, when class_name */
    char *class_name;
    bool active;   /* spec.active (default true) */
    bool finished; /* Finished=True */
    bool deleting;
    quota_podset_spec_t *podsets;
    size_t n_podsets;
    /* An input the engine cannot read (a bad quantity, too many podSets):
     * the workload stays pending with this message. NULL when fine. */
    char *invalid;
    /* Status. */
    bool reserved;                /* QuotaReserved=True */
    quota_admission_t *admission; /* status.admission, NULL when none */
    bool evicted;                 /* Evicted=True */
    char *evicted_reason;
    int64_t evicted_ns;
    int64_t requeue_at_ns; /* status.requeueState.requeueAt, 0 when none */
    int32_t requeue_count;
    quota_pending_note_t note;
    quota_reclaim_t *reclaimable; /* status.reclaimablePods */
    size_t n_reclaimable;
    /* Decoded by quota__decode_wl_extras (spec_preempt.c). */
    char *job_uid;          /* label kueue.x-k8s.io/job-uid, NULL when none */
    int64_t reserved_ns;    /* QuotaReserved=True since (its lastTransitionTime), 0 unknown */
    int64_t admitted_ns;    /* Admitted=True since, 0 when not admitted */
    int pods_ready;         /* PodsReady condition: -1 absent, 0 False, 1 True */
    char *pods_ready_reason;
    int64_t pods_ready_ns;
    char *deactivation_reason;  /* DeactivationTarget=True: its reason, else NULL */
    char *deactivation_message; /* and its message */
    int64_t *preempted_at;      /* annotation raygate.dev/preempted-at: recent preemptions, unix ns */
    size_t n_preempted_at;
} quota_wl_spec_t;

void quota_cq_spec_free(quota_cq_spec_t *s);
void quota_cohort_spec_free(quota_cohort_spec_t *s);
void quota_flavor_spec_free(quota_flavor_spec_t *s);
void quota_lq_spec_free(quota_lq_spec_t *s);
void quota_wl_spec_free(quota_wl_spec_t *s);
void quota_admission_free(quota_admission_t *a);

/*
 * Decoders: from API objects (borrowed; v1beta1 or v1beta2, the seed's
 * shorthand forms included) to owned specs. Return NULL with err naming the
 * field and the value when the object cannot be read at all (no name, wrong
 * types at the top); a Workload whose podSets cannot be read still decodes,
 * with invalid set, so that it can be reported pending.
 */
quota_cq_spec_t *quota_decode_cluster_queue(const cJSON *obj, rg_error_t *err);
quota_flavor_spec_t *quota_decode_flavor(const cJSON *obj, rg_error_t *err);
quota_cohort_spec_t *quota_decode_cohort(const cJSON *obj, rg_error_t *err);
/* A LocalQueue or the seed's `Queue`; ns "" reads as "default". */
quota_lq_spec_t *quota_decode_local_queue(const cJSON *obj, rg_error_t *err);
quota_wl_spec_t *quota_decode_workload(const cJSON *obj, rg_error_t *err);
/*
 * A priority class: WorkloadPriorityClass (and the seed's kueue
 * PriorityClass) or scheduling.k8s.io PriorityClass; fills the outputs.
 * *name is borrowed from obj.
 */
int quota_decode_priority_class(const cJSON *obj, quota_class_kind_t *kind, const char **name,
                                int32_t *value, bool *global_default, rg_error_t *err);

/* ------------------------------------------------------------------ */
/* The model                                                          */
/* ------------------------------------------------------------------ */

typedef struct quota_model quota_model_t;

/* An empty model, owned: quota_model_free. */
quota_model_t *quota_model_new(void);
void quota_model_free(quota_model_t *m);

/*
 * Updates: each takes ownership of its spec (replacing the object of the
 * same name) or removes by name. They keep usage, cohort sums and queues
 * current and mark what must be looked at again: an update never rebuilds
 * the model.
 */
void quota_model_set_cluster_queue(quota_model_t *m, quota_cq_spec_t *spec);
void quota_model_remove_cluster_queue(quota_model_t *m, const char *name);
void quota_model_set_flavor(quota_model_t *m, quota_flavor_spec_t *spec);
void quota_model_remove_flavor(quota_model_t *m, const char *name);
void quota_model_set_local_queue(quota_model_t *m, quota_lq_spec_t *spec);
void quota_model_remove_local_queue(quota_model_t *m, const char *ns, const char *name);
void quota_model_set_class(quota_model_t *m, quota_class_kind_t kind, const char *name,
                           int32_t value, bool global_default);
void quota_model_remove_class(quota_model_t *m, quota_class_kind_t kind, const char *name);
/* labels: the Namespace's metadata.labels (borrowed, copied). */
void quota_model_set_namespace(quota_model_t *m, const char *name, const cJSON *labels);
void quota_model_remove_namespace(quota_model_t *m, const char *name);
/*
 * A Workload as the API server last showed it. While the engine holds an
 * admission of its own for it that the API has not shown yet (assumed), a
 * version without one is a stale read and does not release the quota.
 */
void quota_model_set_workload(quota_model_t *m, quota_wl_spec_t *spec);
void quota_model_remove_workload(quota_model_t *m, const char *ns, const char *name);

/*
 * After an admission's status write failed for good (conflict, gone):
 * drops the assumed admission, releases its quota and queues the workload
 * again. No-op unless it is assumed.
 */
void quota_model_forget(quota_model_t *m, const char *ns, const char *name);

/* An EVICT decision's write failed without a new version to react to: decide it again. */
void quota_model_eviction_failed(quota_model_t *m, const char *ns, const char *name);

/* Marks every pending workload for another look (e.g. placement capacity changed). */
void quota_model_wake_all(quota_model_t *m);

/*
 * Cohorts (the Cohort kind): a spec (taken) names its parent and holds quota
 * of its own; a cohort that only ClusterQueues or child cohorts name exists
 * implicitly with no quota. A parentName cycle disables every ClusterQueue
 * of the trees it touches, as Kueue does, until it is broken.
 */
void quota_model_set_cohort(quota_model_t *m, quota_cohort_spec_t *spec);
void quota_model_remove_cohort(quota_model_t *m, const char *name);

/* ------------------------------------------------------------------ */
/* Preemption, fair sharing and their protections (configuration)     */
/* ------------------------------------------------------------------ */

typedef enum quota_fs_strategy {
    QUOTA_FS_LESS_THAN_OR_EQUAL_TO_FINAL_SHARE = 0,
    QUOTA_FS_LESS_THAN_INITIAL_SHARE,
} quota_fs_strategy_t;

typedef struct quota_policy_cfg {
    /* Kueue's fairSharing: admission by dominant resource share and
     * preemption by the strategies, in order (Kueue's default: both). */
    bool fair_sharing;
    quota_fs_strategy_t strategies[2];
    size_t n_strategies;
    /* raygate's protections. */
    int64_t min_runtime_ns;   /* admitted for less is not a candidate (default; per-CQ annotation) */
    unsigned thrash_limit;    /* preemptions within the window that make a workload thrash; 0 off */
    int64_t thrash_window_ns; /* the window */
    int64_t thrash_base_ns;   /* first backoff once thrashing; doubles per further preemption */
    int64_t thrash_max_ns;    /* its cap */
    /* Kueue's waitForPodsReady. */
    bool pods_ready;
    int64_t pods_ready_timeout_ns;
    int64_t recovery_timeout_ns; /* 0 = no recovery timeout */
    int64_t backoff_base_ns;
    int64_t backoff_max_ns;
    int32_t backoff_limit_count; /* -1 = requeue forever */
} quota_policy_cfg_t;

/* Kueue's defaults (waitForPodsReady on, 30 min, backoff 60 s..3600 s,
 * fair sharing off) and raygate's (no minimum runtime, thrash after 3
 * preemptions in 15 min, backoff 60 s..1 h). */
void quota_policy_cfg_defaults(quota_policy_cfg_t *c);
/* Applies a configuration (copied) to the model. */
void quota_model_configure(quota_model_t *m, const quota_policy_cfg_t *cfg);

/*
 * Anti-thrash, from a workload's recent preemption times (unix ns, any
 * order), measured back from the newest one so that the answer does not
 * move with the clock: k = how many fall within thrash_window of the
 * newest; thrashing when k >= thrash_limit. A thrashing workload is not
 * admitted again before newest + min(base * 2^(k - limit), max), and does
 * not preempt others until the window after its newest preemption ended
 * and something other than admissions and evictions changed in its cohort
 * tree since (a workload gave its quota back for good, or a spec or the
 * configuration changed): with nothing new it would replay its loop.
 */
size_t quota_thrash_count(const quota_policy_cfg_t *c, const int64_t *at, size_t n);
/* Reads the annotation raygate.dev/preempted-at ("t1,t2,...", unix seconds)
 * into out (unix ns, at most max; unreadable parts skipped); returns the count. */
size_t quota_preempted_at_parse(const char *v, int64_t *out, size_t max);
/* A Workload's (borrowed) recent preemptions into out (unix ns, at most
 * max, newest last): its annotation, plus the preemption it is being
 * evicted for (Evicted=True reason Preempted) while the annotation does not
 * show it yet. Returns the count. */
size_t quota_preemption_history(const cJSON *wl, int64_t *out, size_t max);
/* The time before which it must not be admitted again, 0 when not thrashing. */
int64_t quota_thrash_until(const quota_policy_cfg_t *c, const int64_t *at, size_t n);

/* Kueue's requeuing backoff (wait.Backoff without jitter): base * 2^(count-1), capped. */
int64_t quota_requeue_backoff(const quota_policy_cfg_t *c, int32_t count);

/* ------------------------------------------------------------------ */
/* Admission checks and the pass                                      */
/* ------------------------------------------------------------------ */

/* A workload as an admission check sees it; borrowed for the call. */
/* A Workload by name (borrowed strings). */
typedef struct quota_wl_ref {
    const char *ns;
    const char *name;
} quota_wl_ref_t;

typedef struct quota_candidate {
    const quota_wl_spec_t *wl;
    const quota_admission_t *admission; /* what quota assigned */
    const char *cluster_queue;
} quota_candidate_t;

/*
 * An admission check after quota (e.g. "admitted means placeable"): returns
 * true to admit; false with *reason and *message (owned, rg_malloc'd) to keep
 * the workload pending. A check may keep state of its own through arg
 * (e.g. reserve capacity for what it passed); release is called when the
 * engine drops an admission it passed (quota_model_forget), may be NULL.
 */
typedef struct quota_check {
    const char *name;
    bool (*admit)(void *arg, const quota_candidate_t *c, int64_t now_ns, char **reason,
                  char **message);
    void (*release)(void *arg, const char *ns, const char *name);
    void *arg;
    /*
     * May be NULL. Asked before a preemption is issued for c: whether c
     * would pass this check once the admitted workloads victims[0..n) are
     * gone. False (with *reason and *message as admit's) issues no
     * preemption and keeps c pending, so that nothing is preempted for a
     * workload a check would still refuse (a gang that would still not fit
     * on the nodes).
     */
    bool (*admit_after)(void *arg, const quota_candidate_t *c, const quota_wl_ref_t *victims,
                        size_t n_victims, int64_t now_ns, char **reason, char **message);
} quota_check_t;

typedef enum quota_decision_kind {
    QUOTA_DECISION_ADMIT,   /* write status.admission + QuotaReserved/Admitted */
    QUOTA_DECISION_PENDING, /* write QuotaReserved=False with reason and message */
    QUOTA_DECISION_EVICT,   /* write Evicted=True with reason and message */
    QUOTA_DECISION_DEACTIVATE, /* write DeactivationTarget=True, then spec.active=false */
} quota_decision_kind_t;

typedef struct quota_decision {
    quota_decision_kind_t kind;
    char *ns;
    char *name;
    char *uid;
    char *resource_version; /* the version decided on: the write's precondition */
    char *cluster_queue;    /* NULL when the queue does not resolve */
    char *reason;           /* Kueue's condition reason */
    char *message;
    int position;                 /* PENDING: 1-based place in its ClusterQueue, 0 unknown */
    quota_admission_t *admission; /* ADMIT: owned */
    int64_t wait_ns;              /* ADMIT: since creation (or eviction) */
    char *priority_class;         /* the workload's priorityClassRef name, "" when none */
    /* EVICT by preemption: the Preempted condition's reason (InClusterQueue,
     * InCohortReclamation, InCohortReclaimWhileBorrowing, InCohortFairSharing),
     * the preemptor and the Events' notes; NULL otherwise. */
    char *preempted_reason;
    char *preemptor_ns;
    char *preemptor_name;
    char *victim_note;    /* the Preempted Event on the victim */
    char *preemptor_note; /* the PreemptedWorkload Event on the preemptor */
    /* EVICT for PodsReadyTimeout: status.requeueState to write with it. */
    bool set_requeue;
    int32_t requeue_count;
    int64_t requeue_at_ns;
    /* DEACTIVATE: DeactivationTarget's reason and message are reason/message. */
} quota_decision_t;

typedef struct quota_decisions {
    quota_decision_t *v;
    size_t n;
    size_t cap;
} quota_decisions_t;

void quota_decisions_release(quota_decisions_t *d);

typedef struct quota_pass_opts {
    const quota_check_t *checks; /* after quota, in order; may be NULL */
    size_t n_checks;
    /* A pending message that changed only in its figures or position is
     * rewritten at most this often (0 = 30 s; the admitter passes 300 s); a new reason is written at once. */
    int64_t pending_refresh_ns;
} quota_pass_opts_t;

typedef struct quota_pass_stats {
    size_t considered; /* workloads evaluated */
    size_t admitted;
    size_t pending_written;
    size_t evicted;
    int64_t next_wake_ns; /* earliest requeueAt/refresh still ahead, 0 = none */
} quota_pass_stats_t;

/*
 * One admission pass at now_ns: in every ClusterQueue, in Kueue's order
 * (priority, then creation or eviction time), admits everything that fits
 * quota and passes the checks, across a cohort preferring workloads that fit
 * without borrowing. StrictFIFO stops a queue at its first workload that
 * does not fit; BestEffortFIFO moves on and parks it until something
 * relevant changes. Appends decisions to out; each ADMIT already counts in
 * the model (assumed) before the caller writes it. Only parts of the model
 * that changed since the last pass are looked at.
 */
void quota_model_pass(quota_model_t *m, int64_t now_ns, const quota_pass_opts_t *opts,
                      quota_decisions_t *out, quota_pass_stats_t *stats);

/* ------------------------------------------------------------------ */
/* Reading the model (status, metrics)                                */
/* ------------------------------------------------------------------ */

typedef struct quota_fr_status {
    const char *flavor;
    const char *resource;
    quota_qty_t nominal;
    quota_qty_t usage;       /* admitted (reserving) workloads */
    quota_qty_t borrowed;    /* usage above nominal */
    quota_limit_t borrowing; /* limits as configured */
    quota_limit_t lending;
} quota_fr_status_t;

typedef struct quota_cq_status {
    const char *name;
    const char *cohort;
    bool active;
    const char *inactive_reason;  /* Kueue's reason when !active */
    const char *inactive_message; /* its message */
    size_t pending;               /* active + inadmissible */
    size_t reserving;             /* QuotaReserved (incl. assumed) */
    size_t admitted;              /* Admitted */
    const quota_fr_status_t *frs; /* per flavor and resource, in spec order */
    size_t n_frs;
    /* Kueue's fair sharing: whether it is on, and the queue's weighted share
     * (as quota_model_cohort_weighted_share's). */
    bool fair_sharing;
    double weighted_share;
} quota_cq_status_t;

/* Number of ClusterQueues, and the i-th in name order (borrowed until the next update). */
size_t quota_model_cq_count(const quota_model_t *m);
int quota_model_cq_status(quota_model_t *m, size_t i, quota_cq_status_t *out);

/*
 * Kueue's weighted share of a Cohort (a name ClusterQueues or Cohort objects
 * use): the node's dominant resource share — the largest ratio, per mille,
 * of what it borrows to what its parent can lend — over its fair-sharing
 * weight; 0 when it borrows nothing (a root never does) or the name is
 * unknown; +inf for a zero weight that borrows.
 */
double quota_model_cohort_weighted_share(quota_model_t *m, const char *cohort);
/* status.fairSharing.weightedShare as Kueue writes it: rounded up, INT64_MAX for +inf. */
int64_t quota_weighted_share_field(double share);

/* Pending and reserving workloads of a LocalQueue. */
int quota_model_lq_counts(const quota_model_t *m, const char *ns, const char *name, size_t *pending,
                          size_t *reserving, size_t *admitted);

/* The counts of every LocalQueue that has workloads, in one walk. */
typedef struct quota_lq_counts {
    char *ns;
    char *name;
    size_t pending, reserving, admitted;
} quota_lq_counts_t;

/* Returns an owned array (quota_lq_counts_free) and its length in *n. */
quota_lq_counts_t *quota_model_lq_counts_all(const quota_model_t *m, size_t *n);
void quota_lq_counts_free(quota_lq_counts_t *v, size_t n);

/* Whether any ClusterQueue uses the flavor, and whether the named CQ has any reserving workload. */
bool quota_model_flavor_in_use(const quota_model_t *m, const char *flavor);
bool quota_model_cq_in_use(const quota_model_t *m, const char *cq);
/* Whether the named ClusterQueue exists and is active. */
bool quota_model_cq_active(const quota_model_t *m, const char *cq);

#endif

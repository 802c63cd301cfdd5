/*
 * Job integration: a queued RayCluster or RayJob (the "owner") and its Kueue
 * Workload, as Kueue v0.19's job framework and its Ray integrations relate
 * them: the Workload to create, whether an existing one still matches, the
 * merge patch that starts the owner once admitted and the one that stops it
 * on eviction, and the owner's state (queue, suspended, finished, ready).
 *
 * Pure functions over cJSON trees: no I/O, no locks, no globals; the clock
 * and every cluster lookup (priority classes, ResourceFlavors) come in as
 * arguments. The admitter decides when to call them and performs the API
 * writes they describe. Any thread. Depends on core, quantities, podspec,
 * gang and the shared name checks of webhooks/names.c.
 *
 * Ownership: every tree these functions return is owned by the caller and
 * freed with cJSON_Delete; every input is borrowed and left untouched.
 * Errors name the field and the value (`spec.workerGroupSpecs[1].groupName:
 * Invalid value: "Big": ...`).
 */
#ifndef RAYGATE_JOBS_H
#define RAYGATE_JOBS_H

#include "raygate/err.h"
#include "raygate/json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Labels and annotations Kueue's job framework reads or writes. */
#define JOB_LABEL_QUEUE_NAME "kueue.x-k8s.io/queue-name"
#define JOB_LABEL_PRIORITY_CLASS "kueue.x-k8s.io/priority-class"
#define JOB_LABEL_JOB_UID "kueue.x-k8s.io/job-uid"
#define JOB_LABEL_MAX_EXEC_TIME "kueue.x-k8s.io/max-exec-time-seconds"
#define JOB_LABEL_PODSET "kueue.x-k8s.io/podset"
#define JOB_LABEL_LOCAL_QUEUE "kueue.x-k8s.io/local-queue-name"
#define JOB_LABEL_CLUSTER_QUEUE "kueue.x-k8s.io/cluster-queue-name"
#define JOB_ANNOTATION_WORKLOAD "kueue.x-k8s.io/workload"
#define JOB_ANNOTATION_PROVREQ_PREFIX "provreq.kueue.x-k8s.io/"
/* The finalizer Kueue puts on every Workload it creates for a job. */
#define JOB_FINALIZER_RESOURCE_IN_USE "kueue.x-k8s.io/resource-in-use"
/* KubeRay's labels: the cluster of a pod, and what created a RayCluster. */
#define JOB_LABEL_RAY_CLUSTER "ray.io/cluster"
#define JOB_LABEL_ORIGINATED_FROM_CRD "ray.io/originated-from-crd"
/* raygate's bookkeeping annotations on the owner. */
#define JOB_ANNOTATION_ADMISSION "raygate.dev/admission"
#define JOB_ANNOTATION_CLUSTER_QUEUE "raygate.dev/cluster-queue"
#define JOB_ADMISSION_PENDING "Pending"
#define JOB_ADMISSION_ADMITTED "Admitted"
/* The LocalQueue a namespace's unlabelled jobs go to, when it exists. */
#define JOB_DEFAULT_LOCAL_QUEUE "default"

/* Workload names: at most a label value, so they can be used as one. */
#define JOB_WORKLOAD_NAME_MAX 63
/* Kueue v1beta2's podSets limit: head + 17 worker groups (+ submitter). */
#define JOB_MAX_POD_SETS 18

/* Reasons of the Workload's Finished condition (Kueue's). */
#define JOB_FINISHED_SUCCEEDED "Succeeded"
#define JOB_FINISHED_FAILED "Failed"
#define JOB_FINISHED_FAILED_TO_START "FailedToStart"
#define JOB_FINISHED_OWNER_NOT_FOUND "OwnerNotFound"

typedef enum job_kind {
    JOB_KIND_NONE = 0, /* not an integrated kind */
    JOB_KIND_RAYCLUSTER,
    JOB_KIND_RAYJOB,
} job_kind_t;

/* The kind of obj (borrowed) from apiVersion ray.io/v1 and kind. */
job_kind_t job_kind_of(const cJSON *obj);

/* ---- 1. The Workload for an owner ------------------------------------- */

/*
 * Kueue's GetWorkloadNameForOwnerWithGVK with the 63-character limit of its
 * ShortWorkloadNames gate: "<lowercase kind>-<owner name>" cut to 57
 * characters, "-", then the first 5 hex digits of
 * SHA-1(kind "\n" group "\n" name "\n" uid). Writes the NUL-terminated
 * name into out. RG_ERR_INVAL naming the argument when one is empty (group
 * may be ""), longer than 1024 bytes, or when the result is not a DNS
 * subdomain.
 */
int job_workload_name(const char *kind, const char *group, const char *owner_name,
                      const char *owner_uid, char out[JOB_WORKLOAD_NAME_MAX + 1], rg_error_t *err);

/* Where a Workload's priority comes from (its spec.priorityClassRef). */
typedef enum job_prio_source {
    JOB_PRIO_NONE = 0,       /* no class: priority 0, no priorityClassRef */
    JOB_PRIO_WORKLOAD_CLASS, /* kueue.x-k8s.io WorkloadPriorityClass */
    JOB_PRIO_POD_CLASS,      /* scheduling.k8s.io PriorityClass */
} job_prio_source_t;

typedef struct job_priority {
    job_prio_source_t source;
    char name[254]; /* the class; "" for JOB_PRIO_NONE */
    int32_t value;
} job_priority_t;

/*
 * The caller's priority-class lookup (its caches), called with:
 *   - source WORKLOAD_CLASS or POD_CLASS and a name: set out->value and
 *     return 1, or return 0 when no such class exists;
 *   - source NONE and name NULL: the global default. Fill out (source,
 *     name, value) and return 1, or return 0 when there is none. Kueue's
 *     default is the PriorityClass with globalDefault (the lowest value
 *     when several are); a caller honouring raygate's seed extension may
 *     answer with a WorkloadPriorityClass instead.
 * A negative return is an error (with err set) and is passed up.
 */
typedef int (*job_priority_fn)(void *ctx, job_prio_source_t source, const char *name,
                               job_priority_t *out, rg_error_t *err);

/*
 * The owner's (borrowed) priority as Kueue's jobframework.ExtractPriority
 * resolves it: the label kueue.x-k8s.io/priority-class (a
 * WorkloadPriorityClass), else the first pod template with a
 * priorityClassName in podSet order (a PriorityClass), else the global
 * default, else none (0). A named class that does not exist is
 * RG_ERR_NOT_FOUND naming the label or the template field, as Kueue then
 * creates no Workload.
 */
int job_priority_resolve(const cJSON *owner, job_priority_fn lookup, void *ctx, job_priority_t *out,
                         rg_error_t *err);

/*
 * The LocalQueue of an owner (borrowed): its queue-name label, else
 * "default" when default_queue_exists (the caller saw a LocalQueue named
 * default in the owner's namespace), else NULL. The label value is
 * borrowed from owner; "default" is static.
 */
const char *job_queue_name(const cJSON *owner, bool default_queue_exists);

typedef struct job_workload_opts {
    job_priority_fn priority; /* required */
    void *priority_ctx;
    bool default_queue_exists; /* see job_queue_name */
} job_workload_opts_t;

/*
 * The pod sets of an owner (borrowed) as an owned JSON array (cJSON_Delete),
 * in Kueue's order: "head" (count 1; its template plus the containers
 * KubeRay injects: the autoscaler with enableInTreeAutoscaling, the
 * submitter sidecar in SidecarMode; the Redis-cleanup requests when GCS
 * fault tolerance is on), one per worker group named by its lowercased
 * groupName with count gang_worker_group_pods (KubeRay's clamped replicas
 * times numOfHosts, 0 when the group is suspended), and for a RayJob in
 * K8sJobMode "submitter" (count 1, its submitterPodTemplate or KubeRay's
 * default). Templates keep only labels and annotations in their metadata
 * and have duplicate env entries folded as Kueue does. Every request is
 * checked (podspec_requests) with the owner's own field path. More than
 * JOB_MAX_POD_SETS pod sets is RG_ERR_TOO_BIG.
 */
int job_pod_sets(const cJSON *owner, cJSON **out, rg_error_t *err);

/*
 * An owned kueue.x-k8s.io/v1beta2 Workload (cJSON_Delete) for the owner
 * (borrowed), ready to POST: the name of job_workload_name, the owner's
 * namespace, label kueue.x-k8s.io/job-uid (when the uid is a valid label
 * value), the owner's provreq.kueue.x-k8s.io/ annotations, the
 * kueue.x-k8s.io/resource-in-use finalizer, a controller ownerReference
 * with blockOwnerDeletion, spec.queueName (job_queue_name), spec.podSets
 * (job_pod_sets), spec.priorityClassRef and spec.priority
 * (job_priority_resolve), spec.maximumExecutionTimeSeconds from the label
 * kueue.x-k8s.io/max-exec-time-seconds, spec.active true.
 * Refused with RG_ERR_STATE: a RayJob with spec.clusterSelector (it runs on
 * an existing cluster and has no Workload, as Kueue skips it), a RayCluster
 * created by a RayJob (its RayJob's Workload covers it), an owner with no
 * queue.
 */
int job_workload_build(const cJSON *owner, const job_workload_opts_t *opts, cJSON **out,
                       rg_error_t *err);

/* ---- 2. Does an existing Workload still match its owner? ----------------- */

/*
 * The caller's ResourceFlavor lookup: set *flavor to the ResourceFlavor
 * object named name (borrowed; it must stay valid until the job_* call
 * returns) and return 1, or return 0 when it does not exist; negative on
 * error (err set).
 */
typedef int (*job_flavor_fn)(void *ctx, const char *name, const cJSON **flavor, rg_error_t *err);

/* What the admitter does with an owner's existing Workload (Kueue's
 * ensureOneWorkload). */
typedef enum job_wl_action {
    JOB_WL_KEEP = 0, /* equivalent: keep it */
    JOB_WL_UPDATE,   /* owner suspended, no quota reserved: replace its spec
                        (job_workload_update) and PUT it */
    JOB_WL_RECREATE, /* delete it (after removing the finalizer), stop the
                        owner if it runs (job_stop_patch with this Workload),
                        then create a new one */
} job_wl_action_t;

/*
 * Kueue's EquivalentToWorkload between an owner and a Workload (both
 * borrowed): the Workload's controller owner has the owner's name and uid;
 * spec.maximumExecutionTimeSeconds matches the label; as many pod sets, and
 * for each one the name (a raygate addition), count, minCount, tolerations
 * (not once Admitted), initContainers and containers, compared as Go's
 * semantic equality does (quantities by value; absent, null and zero values
 * alike). With quota reserved, the Workload's pod sets are compared as they
 * run (the admitted flavors' tolerations merged in; flavors may be NULL, then
 * only the plain comparison is made); when that fails and the owner is
 * suspended, the plain pod sets are compared too. Sets *action (KEEP, or
 * what Kueue would do with a Workload that does not match; always RECREATE
 * for a Workload another object controls) and, when why is not NULL, the
 * first difference found ("podSets[1].count: Workload has 1, owner wants
 * 3") or "".
 */
int job_workload_check(const cJSON *owner, const cJSON *workload, job_flavor_fn flavors, void *ctx,
                       job_wl_action_t *action, char *why, size_t why_size, rg_error_t *err);

/*
 * For JOB_WL_UPDATE: an owned copy of existing (borrowed) whose spec is the
 * spec of fresh (job_workload_build's result, borrowed) but keeps existing's
 * spec.active, as Kueue's updateWorkloadToMatchJob; metadata (with its
 * resourceVersion) and status are existing's. PUT it.
 */
int job_workload_update(const cJSON *existing, const cJSON *fresh, cJSON **out, rg_error_t *err);

/* ---- 3. Start an admitted owner ----------------------------------------- */

/*
 * The JSON merge patch (RFC 7386; owned) that starts the owner once its
 * Workload (borrowed) is admitted, as Kueue's startJob and podset.Merge:
 *   metadata.resourceVersion = the owner's (a precondition: 409 when stale),
 *   annotations raygate.dev/admission: Admitted and raygate.dev/cluster-queue,
 *   spec.suspend false, and into every pod template: the assigned flavors'
 *   spec.nodeLabels into nodeSelector and their spec.tolerations (no
 *   duplicates), Kueue's labels kueue.x-k8s.io/podset, local-queue-name and
 *   cluster-queue-name (when a DNS label) and annotation
 *   kueue.x-k8s.io/workload, then the admission checks' podSetUpdates.
 * workerGroupSpecs is sent whole (merge patches replace arrays), rebuilt
 * from the owner's own array with only the templates changed. A RayJob in
 * K8sJobMode without a submitterPodTemplate gets KubeRay's default one with
 * the same additions, as Kueue writes it.
 * Errors: RG_ERR_STATE when the Workload has no status.admission, is not
 * the owner's, or its pod sets do not line up with the owner's (recheck it
 * with job_workload_check); RG_ERR_NOT_FOUND when an assigned flavor is
 * unknown (retry later); RG_ERR_CONFLICT when a value would overwrite a
 * different one already in a template or two flavors disagree — permanent:
 * Kueue then finishes the Workload with reason FailedToStart and the error
 * as message (job_finished_condition).
 */
int job_run_patch(const cJSON *owner, const cJSON *workload, job_flavor_fn flavors, void *ctx,
                  cJSON **patch, rg_error_t *err);

/* ---- 4. Stop an evicted owner -------------------------------------------- */

/*
 * The JSON merge patch (owned) that stops the owner: resourceVersion as
 * above, spec.suspend true, annotation raygate.dev/admission: Pending and
 * raygate.dev/cluster-queue removed, and every pod template's labels,
 * annotations, nodeSelector, tolerations and schedulingGates restored from
 * the Workload's pod sets (the originals Kueue keeps there:
 * podset.RestorePodSpec). workload may be NULL (no Workload: only suspend);
 * when its pod sets do not line up with the owner's, nothing is restored,
 * as Kueue. *restored (may be NULL) says whether templates were restored.
 */
int job_stop_patch(const cJSON *owner, const cJSON *workload, cJSON **patch, bool *restored,
                   rg_error_t *err);

/* ---- 5. Owner state ------------------------------------------------------- */

/* spec.suspend of the owner: RG_ERR_TYPE when present and not a boolean. */
int job_suspended(const cJSON *owner, bool *out, rg_error_t *err);

/*
 * Whether a RayCluster (borrowed) was created by a RayJob: a controller
 * ownerReference of kind RayJob in ray.io, or the label
 * ray.io/originated-from-crd: RayJob. Such clusters are covered by their
 * RayJob's Workload. False for anything else.
 */
bool job_created_by_rayjob(const cJSON *raycluster);

/* Whether a RayJob (borrowed) runs on an existing cluster
 * (spec.clusterSelector non-empty): Kueue skips such RayJobs. */
bool job_uses_existing_cluster(const cJSON *rayjob);

typedef struct job_finish {
    bool finished;
    bool success;
    const char *reason;  /* JOB_FINISHED_SUCCEEDED / _FAILED; NULL when running */
    const char *message; /* status.message, borrowed from the owner; "" when absent */
} job_finish_t;

/*
 * Kueue's Finished: a RayJob is finished when status.jobDeploymentStatus is
 * Complete or Failed, successful when status.jobStatus is SUCCEEDED; a
 * RayCluster never finishes. RG_ERR_TYPE on mistyped status fields.
 */
int job_finished(const cJSON *owner, job_finish_t *out, rg_error_t *err);

/* Kueue's PodsReady: a RayCluster's status.state is "ready"; a RayJob's
 * status.rayClusterStatus.state is "ready". */
bool job_pods_ready(const cJSON *owner);

/* Kueue's IsActive (may pods exist?): a RayCluster is ready; a RayJob's
 * jobDeploymentStatus is neither "" (new) nor Suspended. */
bool job_active(const cJSON *owner);

/* Kueue's IsOnHold: a RayJob whose jobDeploymentStatus is ValidationFailed
 * (its quota reservation is released). Never a RayCluster. */
bool job_on_hold(const cJSON *owner);

/*
 * The Workload status condition Kueue writes when it finishes a Workload
 * (borrowed; its metadata.generation becomes observedGeneration): an owned
 * {type: Finished, status: "True", reason, message (cut to 32 KiB with
 * " ..."), lastTransitionTime: now (RFC 3339, seconds), observedGeneration}.
 * reason is one of JOB_FINISHED_*.
 */
int job_finished_condition(const cJSON *workload, const char *reason, const char *message,
                           int64_t now_unix_ns, cJSON **out, rg_error_t *err);

/* ---- 6. The owner's pods ------------------------------------------------- */

/*
 * The ray.io/cluster label value of the owner's pods (borrowed from owner):
 * a RayCluster's metadata.name; a RayJob's status.rayClusterName, or NULL
 * while KubeRay has not created its cluster yet.
 */
const char *job_gang_cluster_name(const cJSON *owner);

#endif

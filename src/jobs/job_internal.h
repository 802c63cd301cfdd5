/*
 * Private to src/jobs: the owner model every function works from (which pod
 * templates an owner has, in podSet order, and where they live), the
 * per-kind hooks (raycluster.c, rayjob.c) and the pod-template operations
 * Kueue's podset and equality packages define (podset.c). Pure; any thread.
 */
#ifndef RAYGATE_JOBS_INTERNAL_H
#define RAYGATE_JOBS_INTERNAL_H

#include "raygate/field.h"
#include "raygate/jobs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kubernetes name limits the owner's fields are checked against. */
#define JOB__NAME_MAX 253
#define JOB__UID_MAX 128
#define JOB__PATH_MAX 128
/* Env entries per container folded by name (Kueue's SanitizePodSet). */
#define JOB__ENV_MAX 100000
/* Entries read from one admission source (a podSet's flavors, a flavor's or
 * an update's tolerations): Kueue's APIs allow far fewer; this bounds the
 * quadratic de-duplication against hostile objects. */
#define JOB__LIST_MAX 1024

typedef enum job__role {
    JOB__HEAD,
    JOB__WORKER,
    JOB__SUBMITTER,
} job__role_t;

/* One pod template of the owner: one podSet of its Workload. */
typedef struct job__slot {
    job__role_t role;
    int group;                /* index in workerGroupSpecs; -1 for head and submitter */
    char name[64];            /* the podSet name */
    int64_t count;            /* pods */
    const cJSON *tmpl;        /* the owner's template (borrowed); NULL: KubeRay's default
                                 submitter, which the owner does not carry */
    char path[JOB__PATH_MAX]; /* where tmpl is: "spec.headGroupSpec.template" */
} job__slot_t;

/* An owner, validated, with its templates in podSet order. Borrows obj. */
typedef struct job__owner {
    job_kind_t kind;
    const cJSON *obj;
    const char *name, *ns, *uid, *resource_version; /* borrowed; rv may be NULL */
    const cJSON *cluster_spec; /* the RayClusterSpec: spec, or a RayJob's spec.rayClusterSpec */
    const char *cs_path;       /* "spec" or "spec.rayClusterSpec" */
    bool autoscaling;          /* enableInTreeAutoscaling */
    bool redis_cleanup;        /* GCS fault tolerance: KubeRay's Redis-cleanup Job */
    bool sidecar_submitter;    /* RayJob in SidecarMode */
    bool submitter_job;        /* RayJob in K8sJobMode: a submitter Job, its own podSet */
    job__slot_t slots[JOB_MAX_POD_SETS];
    size_t n;
} job__owner_t;

/*
 * Validates obj as a RayCluster or RayJob with everything the Workload
 * needs (metadata.name/namespace/uid, the cluster spec, head and worker
 * templates, group names, counts) and fills o. A RayJob with
 * clusterSelector, or without rayClusterSpec, is RG_ERR_STATE.
 */
int job__owner_load(const cJSON *obj, job__owner_t *o, rg_error_t *err);

/* The owner's priority (job_priority_resolve on a loaded owner). */
int job__priority_of(const job__owner_t *o, job_priority_fn lookup, void *ctx, job_priority_t *out,
                     rg_error_t *err);

/* ---- per kind: raycluster.c ---- */

/* Appends the head and one slot per worker group of o->cluster_spec. */
int job__cluster_slots(job__owner_t *o, rg_error_t *err);

/*
 * Adds to a head podSet's template spec (owned copy) what KubeRay adds to
 * the head pod and Kueue accounts for: the Redis-cleanup requests when
 * o->redis_cleanup, the autoscaler container when o->autoscaling, the
 * submitter container when o->sidecar_submitter.
 */
int job__head_extras(const job__owner_t *o, cJSON *spec, rg_error_t *err);

/* RayCluster readers. */
bool job__raycluster_pods_ready(const cJSON *rc);
bool job__raycluster_active(const cJSON *rc);

/* ---- per kind: rayjob.c ---- */

/* Sets o->cluster_spec from spec.rayClusterSpec and the submission mode;
 * refuses clusterSelector RayJobs. Called before job__cluster_slots. */
int job__rayjob_prepare(job__owner_t *o, rg_error_t *err);

/* Appends the submitter slot when the RayJob runs in K8sJobMode. */
int job__rayjob_submitter_slot(job__owner_t *o, rg_error_t *err);

/* KubeRay's default submitter pod template for o into *out (owned):
 * container ray-job-submitter with the head's image and KubeRay's
 * requests/limits, restartPolicy Never. */
int job__rayjob_default_submitter(const job__owner_t *o, cJSON **out, rg_error_t *err);

/* The ray-job-submitter container KubeRay injects (owned), with the image
 * (may be NULL: then none). */
cJSON *job__rayjob_submitter_container(const char *image);

int job__rayjob_finished(const cJSON *rj, job_finish_t *out, rg_error_t *err);
bool job__rayjob_pods_ready(const cJSON *rj);
bool job__rayjob_active(const cJSON *rj);
bool job__rayjob_on_hold(const cJSON *rj);

/* ---- shared helpers: job.c ---- */

/* A quantity map ({"cpu":"500m"}) as an owned JSON object. */
cJSON *job__resource_list(const char *cpu, const char *memory);
/* An owned container {name, [image], resources: {requests, limits}}. */
cJSON *job__container(const char *name, const char *image, const cJSON *resources);
/* A string member of obj or NULL; RG_ERR_TYPE naming path.key when mistyped. */
int job__opt_string(const cJSON *obj, const char *path, const char *key, const char **out,
                    rg_error_t *err);
/* An object member or NULL (absent or null); RG_ERR_TYPE when mistyped. */
int job__opt_object(const cJSON *obj, const char *path, const char *key, const cJSON **out,
                    rg_error_t *err);
int job__opt_array(const cJSON *obj, const char *path, const char *key, const cJSON **out,
                   rg_error_t *err);

/*
 * Checks value with one of the webhooks' name checks (wh_check_*) and turns
 * its first field error into err (RG_ERR_INVAL), with note appended.
 */
int job__check_name(bool (*check)(field_errors_t *, const char *, const char *), const char *field,
                    const char *value, const char *note, rg_error_t *err);

/*
 * The controller ownerReference of a Workload (borrowed): its name and uid
 * (borrowed), or RG_ERR_STATE when it has none.
 */
int job__workload_controller(const cJSON *wl, const char **name, const char **uid, rg_error_t *err);

/* spec.maximumExecutionTimeSeconds Kueue derives from the owner's label:
 * the value, or -1 when the label is absent or not a positive int32. */
int64_t job__max_exec_seconds(const cJSON *owner);

/* The owner's podSets (job_pod_sets on a loaded owner). */
int job__pod_sets(const job__owner_t *o, cJSON **out, rg_error_t *err);

/* Whether a Workload's status condition of that type is "True". */
bool job__condition_true(const cJSON *wl, const char *type);

/* ---- pod templates: podset.c (Kueue's pkg/podset and pkg/util/equality) ---- */

/*
 * What Kueue injects into one pod template (podset.PodSetInfo): owned JSON
 * maps and lists, each possibly NULL, plus where each map entry came from
 * (for conflict messages). Kueue's info also carries scheduling gates, but
 * only topology-aware scheduling sets them, which raygate does not do.
 */
typedef struct job__info {
    cJSON *labels, *annotations, *node_selector; /* objects of strings */
    cJSON *tolerations;                          /* array */
    cJSON *origin;                               /* "nodeSelector/key" -> "ResourceFlavor \"x\"" */
} job__info_t;

void job__info_release(job__info_t *in);

/*
 * Kueue's getPodSetsInfoFromStatus for one podSet (ps_name) of an admitted
 * Workload (borrowed) into info (released by the caller): the assigned
 * flavors' nodeLabels and tolerations, Kueue's podset / queue labels and
 * workload annotation, then the admission checks' podSetUpdates.
 */
int job__pod_set_info(const cJSON *wl, const char *ps_name, job_flavor_fn flavors, void *ctx,
                      job__info_t *info, rg_error_t *err);

/*
 * Adds the entries of map (borrowed object of strings, may be NULL) to the
 * info map named field ("labels", "annotations", "nodeSelector"), refusing
 * a key already there with another value (RG_ERR_CONFLICT naming both
 * origins). origin says who sets map ("ResourceFlavor \"gpu\""), src where
 * (its field: "spec.nodeLabels"), for the messages.
 */
int job__info_add_map(job__info_t *in, const char *field, const cJSON *map, const char *origin,
                      const char *src, rg_error_t *err);
/* Appends tolerations (borrowed array, may be NULL) not already present
 * (Kueue's tolerations.Equal: key, operator with "" = Equal, value, effect);
 * path names the list in messages. */
int job__info_add_tolerations(job__info_t *in, const cJSON *tolerations, const char *path,
                              rg_error_t *err);

/*
 * podset.Merge: merges info into a pod template (owned, mutable):
 * metadata.labels/annotations and spec.nodeSelector gain info's entries
 * (RG_ERR_CONFLICT when the template has the key with another value, the
 * error naming path and the origin), tolerations gain the ones not present.
 */
int job__template_merge(cJSON *tmpl, const char *path, const job__info_t *info, rg_error_t *err);

/*
 * podset.RestorePodSpec: sets the template's (owned, mutable) labels,
 * annotations, nodeSelector, tolerations and schedulingGates to those of
 * orig (borrowed template of the Workload's podSet); empty ones are removed.
 */
void job__template_restore(cJSON *tmpl, const cJSON *orig);

/* A pod template's shape: an object whose metadata and spec, when present,
 * are objects. RG_ERR_TYPE naming path. */
int job__template_check(const cJSON *tmpl, const char *path, rg_error_t *err);

/*
 * A pod template (borrowed) as a Workload podSet keeps it: an owned copy
 * with only labels and annotations in its metadata, env entries folded by
 * name (the last value at the first position). RG_ERR_TYPE / RG_ERR_TOO_BIG
 * naming path.
 */
int job__template_copy(const cJSON *tmpl, const char *path, cJSON **out, rg_error_t *err);

/*
 * Go's equality.Semantic.DeepEqual on decoded JSON: absent, null and zero
 * values (false, 0, "", [], {}) alike; quantities (resources' requests,
 * limits, claims aside, and divisors) by value. On a difference and when
 * why is not NULL, writes the path under prefix where they first differ.
 */
bool job__semantic_equal(const cJSON *a, const cJSON *b, const char *prefix, char *why,
                         size_t why_size);

/*
 * RFC 7386 merge patch turning old into new (both borrowed objects): owned
 * object, or NULL when they are equal. Removed members are null; objects
 * recurse; anything else (arrays included) is replaced whole.
 */
cJSON *job__merge_diff(const cJSON *old, const cJSON *new);

#endif

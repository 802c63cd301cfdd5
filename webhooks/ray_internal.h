/*
 * Rules shared by the RayCluster and RayJob validators (webhooks/
 * raycluster_validate.c, rayjob_validate.c): the RayCluster spec rules, which
 * a RayJob applies to its spec.rayClusterSpec, and Kueue's job-framework
 * label rules both kinds share (webhooks/jobframework.c). Private to
 * webhooks/; pure functions, any thread.
 */
#ifndef RAYGATE_WEBHOOKS_RAY_INTERNAL_H
#define RAYGATE_WEBHOOKS_RAY_INTERNAL_H

#include "raygate/field.h"
#include "raygate/json.h"
#include "raygate/validate.h"

#include <stdbool.h>

/* Pod sets a queued Ray object may have in all (head + worker groups):
 * Kueue's jobframework.MaxPodSets. */
#define WH_RAY_MAX_POD_SETS 18
/* The pod set name Kueue gives the head group; no worker group may take it. */
#define WH_RAY_HEAD_GROUP_NAME "head"

/* Labels Kueue reads off a job. */
#define WH_LABEL_MAX_EXEC_TIME "kueue.x-k8s.io/max-exec-time-seconds"
#define WH_LABEL_PRIORITY_CLASS "kueue.x-k8s.io/priority-class"

/* How a RayCluster spec is judged: on its own or inside a RayJob. */
typedef struct wh_ray_spec_opts {
    bool rayjob;            /* spec is a RayJob's spec.rayClusterSpec */
    bool elastic;           /* the object has kueue.x-k8s.io/elastic-job: "true" */
    const char *managed_by; /* spec.managedBy of the RayCluster, or NULL */
} wh_ray_spec_opts_t;

/*
 * Appends the violations of a queued RayCluster spec (borrowed; NULL or a
 * non-object reads as an empty spec) to errs, every path under path ("spec"
 * for a RayCluster, "spec.rayClusterSpec" for a RayJob): Kueue's rules
 * (autoscaling only as an elastic job, the pod-set limit, the head name)
 * and KubeRay's worker-group sanity rules.
 */
void wh__ray_cluster_spec_validate(const cJSON *spec, const char *path,
                                   const wh_ray_spec_opts_t *opts, field_errors_t *errs);

/* Kueue's TAS annotation rules over the cluster's pod sets (head, then one
 * per worker group), for every RayCluster spec, queued or not. */
void wh__ray_cluster_tas_validate(const cJSON *spec, const char *path, field_errors_t *errs);

/* Every resource quantity in the spec's pod templates and autoscaler
 * options (the CRD layer: every object, queued or not). */
void wh__ray_cluster_quantities(const cJSON *spec, const char *path, field_errors_t *errs);

/* ValidateJobOnCreate: queue-name label a subdomain (when present), the
 * max-exec-time label a positive integer. */
void wh__ray_job_create_validate(const cJSON *obj, field_errors_t *errs);

/*
 * ValidateJobOnUpdate: the queue label fixed unless suspended before and
 * after, and never removed where the namespace has a default LocalQueue
 * (ctx->cluster); max-exec-time fixed unless suspended; the
 * WorkloadPriorityClass label not added while running, never removed; the
 * elastic-job annotation fixed.
 */
void wh__ray_job_update_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                                 field_errors_t *errs);

/* True when obj's spec.suspend is the boolean true. */
bool wh__ray_suspended(const cJSON *obj);

/* True when obj (or old, on UPDATE) carries a non-empty queue-name label. */
bool wh__ray_queued(const cJSON *obj, const cJSON *old);

/* True when obj carries Kueue's elastic-job annotation set to "true". */
bool wh__ray_elastic(const cJSON *obj);

#endif

/*
 * Rules shared by the RayCluster and RayJob validators (webhooks/
 * raycluster_validate.c, rayjob_validate.c): the RayCluster spec rules, which
 * a RayJob applies to its spec.rayClusterSpec, and the queue-name label rules
 * both kinds share. Private to webhooks/; pure functions, any thread.
 */
#ifndef RAYGATE_WEBHOOKS_RAY_INTERNAL_H
#define RAYGATE_WEBHOOKS_RAY_INTERNAL_H

#include "raygate/field.h"
#include "raygate/json.h"

#include <stdbool.h>

/*
 * Pod sets a queued Ray object may have in all (head + worker groups):
 * Kueue v1beta2's podSets limit, so a RayCluster has at most 17 worker groups.
 */
#define WH_RAY_MAX_POD_SETS 18
/* The pod set name Kueue gives the head group; no worker group may take it. */
#define WH_RAY_HEAD_GROUP_NAME "head"

/*
 * Appends the violations of a RayCluster spec (borrowed; NULL or a non-object
 * reads as an empty spec) to errs, every path under path ("spec" for a
 * RayCluster, "spec.rayClusterSpec" for a RayJob). Call only for queued
 * objects: these are Kueue's rules for the objects it manages.
 */
void wh__ray_cluster_spec_validate(const cJSON *spec, const char *path, field_errors_t *errs);

/*
 * The queue-name label of a queued Ray object must be a DNS subdomain (the
 * name of a LocalQueue). Appends to errs; obj borrowed.
 */
void wh__ray_queue_name_validate(const cJSON *obj, field_errors_t *errs);

/*
 * On UPDATE: the queue-name label may not change (removal included) unless
 * both the old and the new object are suspended. Appends to errs; both
 * objects borrowed; old NULL (CREATE) checks nothing.
 */
void wh__ray_queue_update_validate(const cJSON *obj, const cJSON *old, field_errors_t *errs);

/* True when obj's spec.suspend is the boolean true. */
bool wh__ray_suspended(const cJSON *obj);

/* True when obj (or old, on UPDATE) carries a non-empty queue-name label. */
bool wh__ray_queued(const cJSON *obj, const cJSON *old);

#endif

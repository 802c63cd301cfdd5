/*
 * Gangs: the pods of one RayCluster that must start together. This header
 * owns how big a gang is (the one sizing function the quota code, the job
 * integration and the extender share); the planner builds on it.
 * Pure functions; any thread. Depends only on core JSON helpers.
 */
#ifndef RAYGATE_GANG_H
#define RAYGATE_GANG_H

#include "raygate/err.h"
#include "raygate/json.h"

#include <stdbool.h>
#include <stdint.h>

/* The annotation that overrides a RayCluster's computed gang size. */
#define GANG_SIZE_ANNOTATION "raygate.dev/gang-size"
/* Upper bound of a gang (and of one worker group's pods), against absurd input. */
#define GANG_SIZE_MAX 1000000

/*
 * Pods one worker group (an element of spec.workerGroupSpecs, borrowed)
 * runs, as KubeRay's GetWorkerGroupDesiredReplicas: 0 when the group is
 * suspended, else clamp(replicas, minReplicas, maxReplicas) × numOfHosts
 * (replicas absent reads as minReplicas; minReplicas 0, maxReplicas
 * unbounded and numOfHosts 1 by default). With at_min the group counts
 * minReplicas × numOfHosts: an autoscaling cluster starts at its minimum.
 * path names the group in errors ("spec.workerGroupSpecs[2]"). Returns 0,
 * or RG_ERR_TYPE / RG_ERR_RANGE naming the field and value.
 */
int gang_worker_group_pods(const cJSON *group, const char *path, bool at_min, int64_t *out,
                           rg_error_t *err);

/*
 * Members of the gang a RayClusterSpec (borrowed) describes: the head plus
 * every worker group's pods, counted at minReplicas when
 * enableInTreeAutoscaling is true. path prefixes errors ("spec",
 * "spec.rayClusterSpec").
 */
int gang_cluster_spec_size(const cJSON *spec, const char *path, int64_t *out, rg_error_t *err);

/*
 * The gang size of a RayCluster object (borrowed): the annotation
 * raygate.dev/gang-size when set (a decimal integer in 1..GANG_SIZE_MAX),
 * else gang_cluster_spec_size of its spec.
 */
int gang_raycluster_size(const cJSON *raycluster, int64_t *out, rg_error_t *err);

#endif

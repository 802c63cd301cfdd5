/*
 * Small clusters for placement tests: Nodes, Pods, RayClusters and
 * Workloads written as JSON and loaded into a real cache set (standalone
 * load, gang digests installed), so tests see what the daemon sees.
 * Test code only.
 */
#ifndef RG_TEST_CLUSTER_H
#define RG_TEST_CLUSTER_H

#include "raygate/cache.h"
#include "raygate/gang.h"
#include "raygate/json.h"

#include <stdbool.h>

typedef struct rgt_cluster {
    cJSON *objects; /* an array, owned */
    cache_set_t *caches;
} rgt_cluster_t;

void rgt_cluster_init(rgt_cluster_t *c);
void rgt_cluster_release(rgt_cluster_t *c);
/* Adds an object given as printf-formatted JSON; fails the test when it does not parse. */
void rgt_cluster_add(rgt_cluster_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Removes the object of kind with this ns/name ("" ns for cluster-scoped); returns whether found. */
bool rgt_cluster_remove(rgt_cluster_t *c, const char *kind, const char *ns, const char *name);
/* A Node: gpus nvidia.com/gpu, 32 cpu, 256Gi memory; zone NULL = unlabelled; labels and
 * taints are JSON members/arrays (NULL = none). */
void rgt_cluster_node(rgt_cluster_t *c, const char *name, int gpus, const char *zone,
                      const char *labels, const char *taints, bool ready);
/* A Ray pod of cluster (NULL = no gang) in namespace default: type "head" or a worker
 * group name; node NULL = pending; phase NULL = Running. uid = "uid-<name>". */
void rgt_cluster_pod(rgt_cluster_t *c, const char *name, const char *cluster, const char *group,
                     int gpus, const char *node, const char *phase);
/* The JSON of such a pod (owned, rg_free); gpus 0 = no GPU request. */
char *rgt_pod_json(const char *name, const char *cluster, const char *group, int gpus,
                   const char *node, const char *phase);
/* Sets a pod's spec.nodeName, as a Binding does. */
void rgt_cluster_bind(rgt_cluster_t *c, const char *name, const char *node);
/* Marks a pod terminating (deletionTimestamp set). */
void rgt_cluster_pod_terminating(rgt_cluster_t *c, const char *name);
/* A RayCluster in default: a head (1 cpu) and one worker group of replicas × gpus. */
void rgt_cluster_raycluster(rgt_cluster_t *c, const char *name, const char *group, int replicas,
                            int gpus, bool suspended);
/* (Re)loads every object into the cache set. */
void rgt_cluster_load(rgt_cluster_t *c);
/* A view of the loaded cluster (gang_view_unref). */
gang_view_t *rgt_cluster_view(rgt_cluster_t *c, const char *topology_label);

#endif

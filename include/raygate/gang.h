/*
 * Gangs: the pods of one RayCluster that must start together. This header
 * owns how big a gang is (the one sizing function the quota code, the job
 * integration and the extender share) and where its members go: the
 * capacity view of the cluster (node allocatable minus what bound pods hold
 * minus every recorded plan), the node constraints of a pod template, the
 * planner that places a whole gang at once, and the plan's annotation.
 *
 * Threads: the sizing functions, the constraints, the planner and the plan
 * codec are pure (no I/O, no locks, no clock) and any thread may call them.
 * The digests run on the caches' writer threads; a view is immutable once
 * built and may be shared between threads (gang_view_ref/unref).
 * Depends on core, quantities, podspec and the caches' snapshots; knows
 * nothing of HTTP, the extender protocol or quota.
 */
#ifndef RAYGATE_GANG_H
#define RAYGATE_GANG_H

#include "raygate/cache.h"
#include "raygate/err.h"
#include "raygate/json.h"
#include "raygate/podspec.h"

#include <stdbool.h>
#include <stddef.h>
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

/* ================================================================== */
/* Resource amounts                                                    */
/* ================================================================== */

/*
 * Resource names are interned process-wide into small ids so that fit
 * checks compare integers. At most GANG_RES_NAMES_MAX distinct names; a
 * name past the cap (or empty, or longer than PODSPEC_RESOURCE_NAME_MAX)
 * gets GANG_RID_NONE, which no node offers.
 */
typedef uint16_t gang_rid_t;
#define GANG_RES_NAMES_MAX 1024
#define GANG_RID_NONE ((gang_rid_t)0xFFFF)

/* The id of name; any thread (a mutex guards insertion). */
gang_rid_t gang_res_intern(const char *name);
/* The name of an interned id (static until the process ends); "?" for NONE. */
const char *gang_res_name(gang_rid_t id);

/*
 * Integer amounts as kube-scheduler counts them: cpu in millicores
 * (MilliValue), every other resource in whole units (Value), rounded up.
 */
typedef struct gang_amount {
    gang_rid_t id;
    int64_t v;
} gang_amount_t;

/* A resource list sorted by id, without zero entries. Owns v. */
typedef struct gang_rvec {
    gang_amount_t *v;
    uint32_t n;
} gang_rvec_t;

void gang_rvec_release(gang_rvec_t *r);
/* dst = a copy of src (dst released first). */
void gang_rvec_copy(gang_rvec_t *dst, const gang_rvec_t *src);
/* The amount of id in r; 0 when absent. */
int64_t gang_rvec_get(const gang_rvec_t *r, gang_rid_t id);
/* out (released first) = reqs converted to integer amounts; never fails. */
void gang_rvec_from_reqs(const podspec_reqs_t *reqs, gang_rvec_t *out);
/*
 * Formats r as "cpu: 2, memory: 8Gi, nvidia.com/gpu: 2" into buf (always
 * NUL-terminated; truncated to size). Returns buf.
 */
const char *gang_rvec_format(const gang_rvec_t *r, char *buf, size_t size);
/* Formats one amount of resource id ("8Gi", "1500m", "2"). */
const char *gang_amount_format(gang_rid_t id, int64_t v, char *buf, size_t size);

/* ================================================================== */
/* Digests: what the caches keep per Node and Pod for placement        */
/* ================================================================== */

typedef struct gang_label {
    const char *key, *value;
} gang_label_t;

typedef struct gang_taint {
    const char *key, *value, *effect; /* effect NoSchedule or NoExecute */
} gang_taint_t;

/*
 * A Node as placement reads it. It owns its strings (one block): the cache
 * keeps a Node only as text, and the tree the info is built from is freed
 * right after.
 */
typedef struct gang_node_info {
    gang_rvec_t alloc;     /* status.allocatable, else status.capacity */
    gang_label_t *labels;  /* sorted by key */
    uint32_t n_labels;
    gang_taint_t *taints;  /* NoSchedule and NoExecute taints only */
    uint32_t n_taints;
    bool ready;            /* condition Ready is True */
    bool unschedulable;    /* spec.unschedulable */
    char *strings;         /* the labels' and taints' text, owned */
} gang_node_info_t;

/* Builds the info of a Node (borrowed, only during the call). Owned: gang_node_info_free. */
gang_node_info_t *gang_node_info_new(const cJSON *node);
void gang_node_info_free(gang_node_info_t *ni);
/* A label value of the node, or NULL. */
const char *gang_node_label(const gang_node_info_t *ni, const char *key);

/* A Pod as placement reads it. Owns everything. */
typedef struct gang_pod_info {
    gang_rvec_t reqs; /* podspec_requests of spec, as integer amounts */
    char *podset;     /* its podSet: label kueue.x-k8s.io/podset, else "head" for a Ray
                         head, else the lower-cased ray.io/group of a worker; NULL */
    bool holds;       /* phase is neither Succeeded nor Failed: it holds what it requests
                         (terminating pods included) */
    bool bad_spec;    /* requests unreadable: counted as none */
} gang_pod_info_t;

/* Builds the info of a Pod (borrowed). Owned. */
gang_pod_info_t *gang_pod_info_new(const cJSON *pod);
void gang_pod_info_free(gang_pod_info_t *pi);
/* The podSet a pod with these labels (borrowed, may be NULL) belongs to; static or borrowed. */
const char *gang_podset_of_labels(const cJSON *labels, char *buf, size_t size);

/*
 * Installs the Node and Pod digests on a cache set (before it starts or
 * loads), so cache_obj_t.digest of a Node is a gang_node_info_t and of a
 * Pod a gang_pod_info_t.
 */
int gang_digests_install(cache_set_t *set, rg_error_t *err);
/* The digests of cached objects, or NULL when absent (digests not installed). */
const gang_node_info_t *gang_node_info_of(const cache_obj_t *node);
const gang_pod_info_t *gang_pod_info_of(const cache_obj_t *pod);

/* ================================================================== */
/* Node constraints of a pod template                                  */
/* ================================================================== */

/*
 * What a pod demands of a node besides capacity: spec.nodeSelector, the
 * required terms of spec.affinity.nodeAffinity (In, NotIn, Exists,
 * DoesNotExist, Gt, Lt; matchFields on metadata.name), and
 * spec.tolerations against NoSchedule/NoExecute taints, unschedulable and
 * not-ready nodes (as kube-scheduler's NodeAffinity, TaintToleration and
 * NodeUnschedulable plugins decide). Opaque; owned.
 */
typedef struct gang_cons gang_cons_t;

/* From a PodSpec (borrowed; NULL = no constraints). RG_ERR_TYPE/PARSE name the field. */
int gang_cons_from_podspec(const cJSON *spec, gang_cons_t **out, rg_error_t *err);
/* Adds required labels (a ResourceFlavor's spec.nodeLabels: an object of strings). */
int gang_cons_add_selector(gang_cons_t *c, const cJSON *labels, rg_error_t *err);
/* Adds tolerations (a ResourceFlavor's spec.tolerations: an array). */
int gang_cons_add_tolerations(gang_cons_t *c, const cJSON *tolerations, rg_error_t *err);
void gang_cons_free(gang_cons_t *c);

typedef enum gang_verdict {
    GANG_NODE_OK = 0,
    GANG_NODE_NOT_READY,
    GANG_NODE_UNSCHEDULABLE,
    GANG_NODE_TAINT,
    GANG_NODE_SELECTOR,
} gang_verdict_t;

/*
 * Whether a node satisfies c (NULL = no constraints; readiness,
 * unschedulable and taints still apply). When not, why gets a sentence
 * a person can act on ("untolerated taint gpu=reserved:NoSchedule",
 * "label nvidia.com/gpu.product is Tesla-T4, nodeSelector wants
 * NVIDIA-A100-SXM4-80GB").
 */
gang_verdict_t gang_cons_check(const gang_cons_t *c, const char *node_name,
                               const gang_node_info_t *ni, char *why, size_t why_size);

/* ================================================================== */
/* Plans and their annotation                                          */
/* ================================================================== */

/* The annotation a plan is recorded in (on the Workload). */
#define GANG_PLACEMENT_ANNOTATION "raygate.dev/placement"
/* Bounds of a recorded plan (annotations total 256 KiB on an object). */
#define GANG_PLAN_MAX_BYTES (128 * 1024)
#define GANG_PLAN_MAX_SETS 64
#define GANG_PLAN_MAX_NODES 10000 /* distinct nodes per podSet */

/* count pods of a podSet go to node. */
typedef struct gang_slot {
    char *node; /* owned */
    int32_t count;
} gang_slot_t;

typedef struct gang_plan_set {
    char *name; /* owned: the podSet's name */
    int64_t count;
    gang_slot_t *slots; /* in placement order; nodes unique */
    size_t n_slots;
} gang_plan_set_t;

/* Where every member of a gang goes. Owns everything. */
typedef struct gang_plan {
    gang_plan_set_t *sets;
    size_t n_sets;
} gang_plan_t;

void gang_plan_free(gang_plan_t *p);
gang_plan_t *gang_plan_copy(const gang_plan_t *p);
/* The set named name, or NULL. */
const gang_plan_set_t *gang_plan_set(const gang_plan_t *p, const char *name);
/* Total members of the plan. */
int64_t gang_plan_members(const gang_plan_t *p);
/* Moves one slot of set from node `from` to node `to` (added when missing). 0 or RG_ERR_NOT_FOUND. */
int gang_plan_move(gang_plan_t *p, const char *set, const char *from, const char *to);

/*
 * The annotation value (docs/extender.md): compact JSON,
 *   {"v":1,"podSets":[{"name":"head","nodes":{"gpu-1":1}},
 *                     {"name":"workers","nodes":{"gpu-1":2,"gpu-2":4}}]}
 * with podSets in plan order and each podSet's nodes in placement order.
 * Returns owned text (rg_free) or NULL with err when it would pass
 * GANG_PLAN_MAX_BYTES (RG_ERR_TOO_BIG).
 */
char *gang_plan_encode(const gang_plan_t *p, size_t *len, rg_error_t *err);
/* Parses an annotation value (borrowed). Owned plan, or NULL with err naming what is wrong. */
gang_plan_t *gang_plan_decode(const char *text, size_t len, rg_error_t *err);

/* ================================================================== */
/* The capacity view                                                   */
/* ================================================================== */

/*
 * One immutable picture of placement capacity, built from the Node, Pod,
 * Workload and RayCluster snapshots: per node, what it offers
 * (allocatable), what bound pods hold (every pod with spec.nodeName that
 * has not Succeeded or Failed, terminating ones included), and what
 * recorded plans reserve (the slots of every Workload's
 * raygate.dev/placement not yet taken by a member of its gang). Nodes are
 * in name order. Refcounted: gang_view_ref/unref from any thread.
 */
typedef struct gang_view gang_view_t;

typedef struct gang_view_opts {
    /* Resources counted as GPUs for packing and reasons: exact names, or
     * prefixes ending in '*' ("nvidia.com/mig-*"). NULL = nvidia.com/gpu. */
    const char *const *gpu_resources;
    size_t n_gpu_resources;
    /* A node label that splits zones further (rack, NVLink domain); NULL or "" = none. */
    const char *topology_label;
} gang_view_opts_t;

typedef struct gang_view_src {
    const cache_snapshot_t *nodes;       /* required; digests installed */
    const cache_snapshot_t *pods;        /* NULL = no pod holds anything */
    const cache_snapshot_t *workloads;   /* NULL = no recorded plans */
    const cache_snapshot_t *rayclusters; /* to map RayJob-owned Workloads to clusters */
} gang_view_src_t;

/* Builds a view; never fails (unreadable plans are skipped and logged). Owned: gang_view_unref. */
gang_view_t *gang_view_build(const gang_view_src_t *src, const gang_view_opts_t *opts);
gang_view_t *gang_view_ref(gang_view_t *v);
void gang_view_unref(gang_view_t *v);

size_t gang_view_node_count(const gang_view_t *v);
/* The index of node name, or -1. */
long gang_view_find(const gang_view_t *v, const char *name);
const char *gang_view_node_name(const gang_view_t *v, size_t i);
const gang_node_info_t *gang_view_node_info(const gang_view_t *v, size_t i);
/* The topology domain of node i: "<zone>" or "<zone>/<label value>"; "" when unlabelled. */
const char *gang_view_node_domain(const gang_view_t *v, size_t i);
/* The view's distinct domains, and the index of node i's. */
size_t gang_view_domain_count(const gang_view_t *v);
const char *gang_view_domain_name(const gang_view_t *v, size_t d);
size_t gang_view_node_domain_index(const gang_view_t *v, size_t i);
/* Whether a resource is a GPU resource under the view's options. */
bool gang_view_is_gpu(const gang_view_t *v, gang_rid_t id);
/* Held by bound pods and reserved by recorded plans on node i, for one resource. */
int64_t gang_view_used(const gang_view_t *v, size_t i, gang_rid_t id);
int64_t gang_view_reserved(const gang_view_t *v, size_t i, gang_rid_t id);

/* A plan recorded on a Workload, as the view read it. Borrowed from the view. */
typedef struct gang_recorded {
    const char *workload; /* "ns/name" of the Workload */
    const char *ns;
    const gang_plan_t *plan;
    const gang_rvec_t *reqs; /* per-pod requests of plan->sets[i], from the Workload's podSets */
    int32_t *const *left;    /* [set][slot]: members not bound there yet (gang_plan_left) */
    int64_t bound;           /* members of the gang bound so far */
} gang_recorded_t;

/*
 * How many members of each slot of p are still to come: the slot counts
 * minus the gang's pods (those of RayClusters ns/clusters[i] in pods,
 * bound and holding) of that podSet on that node; a member bound on a node
 * its podSet has no slot on takes the set's last open slot. *bound gets
 * the members found. Returns owned [set][slot] arrays (gang_plan_left_free).
 */
int32_t **gang_plan_left_new(const gang_plan_t *p, const cache_snapshot_t *pods, const char *ns,
                             const char *const *clusters, size_t n_clusters, int64_t *bound);
void gang_plan_left_free(int32_t **left, size_t n_sets);

/* The recorded plan of the gang of RayCluster ns/name (owned by it or by its RayJob), or NULL. */
const gang_recorded_t *gang_view_recorded_for_cluster(const gang_view_t *v, const char *ns,
                                                      const char *raycluster);
/* The recorded plan of Workload ns/name, or NULL. */
const gang_recorded_t *gang_view_recorded(const gang_view_t *v, const char *ns,
                                          const char *workload);

/* ================================================================== */
/* Free capacity and the planner                                       */
/* ================================================================== */

/*
 * Mutable free capacity over a view's nodes: allocatable minus held minus
 * reserved. Borrows the view (which must outlive it). Owned.
 * except_workload ("ns/name", may be NULL) gives back that Workload's own
 * recorded reservation, for re-planning it.
 */
typedef struct gang_free gang_free_t;
gang_free_t *gang_free_new(const gang_view_t *v, const char *except_workload);
/* A copy of f over the same view (owned: gang_free_free). */
gang_free_t *gang_free_clone(const gang_free_t *f);
/*
 * Gives back to f what Workload ns/workload holds, as if it were gone (to
 * judge a placement after preempting it): the members of its recorded plan
 * still to come, and the requests of its gang's pods that hold a node (the
 * pods of RayClusters ns/clusters[i]; when n_clusters is 0, those of its
 * recorded plan's gang).
 */
void gang_free_give_back(gang_free_t *f, const cache_snapshot_t *pods, const char *ns,
                         const char *workload, const char *const *clusters, size_t n_clusters);
void gang_free_free(gang_free_t *f);
/* Free amount of one resource on node i (negative when over-committed). */
int64_t gang_free_get(const gang_free_t *f, size_t i, gang_rid_t id);
/* Subtracts times × r on node i (times may be negative to give back). */
void gang_free_take(gang_free_t *f, size_t i, const gang_rvec_t *r, int64_t times);
/* Whether r fits node i; when not and short != NULL, *short gets the first resource short. */
bool gang_free_fits(const gang_free_t *f, size_t i, const gang_rvec_t *r, gang_rid_t *short_id);

/* One podSet to place. Everything borrowed. */
typedef struct gang_podset {
    const char *name;
    int64_t count;            /* members still to place */
    const gang_rvec_t *req;   /* per pod */
    const gang_cons_t *cons;  /* NULL = any schedulable node */
} gang_podset_t;

/* Scoring weights (docs/configuration.md, extender.weights). */
typedef struct gang_weights {
    unsigned packing;  /* prefer nodes whose GPUs are already in use */
    unsigned exact;    /* prefer nodes whose free GPUs equal the request */
    unsigned topology; /* prefer keeping a gang in one topology domain */
} gang_weights_t;

/*
 * The podSets of a Workload or a RayCluster, ready for the planner: names,
 * counts, per-pod requests (podspec_requests of each template) and node
 * constraints. Owns everything; zero-initialised it is empty.
 */
typedef struct gang_podsets {
    gang_podset_t *sets; /* the planner's input; members point into the arrays below */
    size_t n;
    gang_rvec_t *reqs;
    gang_cons_t **cons;
    char **names;
} gang_podsets_t;

void gang_podsets_release(gang_podsets_t *ps);
/*
 * From a Workload (borrowed): spec.podSets[] name, count and
 * template.spec. Errors name the field ("spec.podSets[1].template.spec...").
 */
int gang_podsets_from_workload(const cJSON *workload, gang_podsets_t *out, rg_error_t *err);
/*
 * From a RayCluster (borrowed): "head" (1) and one podSet per worker group,
 * named by its lower-cased groupName as Kueue names them, counted as
 * gang_worker_group_pods does (minReplicas under in-tree autoscaling).
 */
int gang_podsets_from_raycluster(const cJSON *raycluster, gang_podsets_t *out, rg_error_t *err);
/*
 * Restricts podSet i to the nodes an assigned ResourceFlavor selects: its
 * spec.nodeLabels become required labels and its spec.tolerations are
 * added to the podSet's (either may be NULL).
 */
int gang_podsets_restrict(gang_podsets_t *ps, size_t i, const cJSON *node_labels,
                          const cJSON *tolerations, rg_error_t *err);

#define GANG_PLAN_SHORT 1 /* gang_plan_make: the gang does not fit; see the reason */

/*
 * Places every member of sets at once against free (borrowed, unchanged):
 * first inside one topology domain (the tightest that fits), then inside
 * one zone, then anywhere; each member on the eligible node that fits it
 * best (exact GPU fit, then fewest GPUs left over, GPU-less members on
 * GPU-less nodes first, then nodes the gang already uses, then name).
 * Returns 0 with *out (owned), or GANG_PLAN_SHORT with *reason (owned
 * text naming the podSet, what is short, by how much and where), or
 * RG_ERR_RANGE for absurd counts. Deterministic for equal inputs.
 */
int gang_plan_make(const gang_view_t *v, const gang_free_t *free, const gang_podset_t *sets,
                   size_t n_sets, const gang_weights_t *w, gang_plan_t **out, char **reason);

/*
 * Score 0..10 of node i for one pod with request req under free (after
 * the pod would be placed): packing and exact GPU fit by the weights;
 * topology by whether the node's domain is domain (NULL = not scored).
 */
int gang_score_node(const gang_view_t *v, const gang_free_t *free, size_t i,
                    const gang_rvec_t *req, const char *domain, const gang_weights_t *w);

#endif

/*
 * What the caches know about each kind: its REST resource, its indexes,
 * and which fields a cached object keeps (the trim). The keep lists are
 * the single source of docs/caches.md's tables; change both together.
 */
#include "cache_internal.h"

#include "raygate/alloc.h"
#include "raygate/json.h"

#include <string.h>

/* Common metadata every kind keeps (Node adds its own list without annotations). */
#define META_PATHS                                                                                 \
    "apiVersion", "kind", "metadata.name", "metadata.namespace", "metadata.uid",                   \
        "metadata.resourceVersion", "metadata.generation", "metadata.creationTimestamp",           \
        "metadata.deletionTimestamp", "metadata.labels", "metadata.ownerReferences",               \
        "metadata.finalizers"

static const char *const keep_spec_status[] = {META_PATHS, "metadata.annotations", "spec", "status",
                                               NULL};

/*
 * Pods are most of the memory (50,000 of them in DESIGN.md's budget), so a
 * cached pod keeps only what is read of it: where it runs and whether it
 * still holds its resources (nodeName, phase, deletionTimestamp), what it
 * requests (podspec_requests: containers, init containers and sidecars,
 * pod-level resources, overhead) and its gang (labels). Not even the
 * common metadata: no creationTimestamp, generation, ownerReferences or
 * finalizers. Scheduling constraints of the pod being placed come in
 * kube-scheduler's request, never from the cache.
 */
static const char *const keep_pod[] = {
    "apiVersion",
    "kind",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "metadata.resourceVersion",
    "metadata.deletionTimestamp",
    "metadata.labels",
    "spec.nodeName",
    "spec.overhead",
    "spec.resources",
    "spec.containers[].name",
    "spec.containers[].resources",
    "spec.initContainers[].name",
    "spec.initContainers[].resources",
    "spec.initContainers[].restartPolicy",
    "status.phase",
    NULL,
};

/* Node annotations are large on real clusters and raygate reads none. */
static const char *const keep_node[] = {
    META_PATHS,        "spec.unschedulable", "spec.taints", "status.allocatable",
    "status.capacity", "status.conditions",  NULL,
};

static const char *const keep_namespace[] = {META_PATHS, "metadata.annotations", "status.phase",
                                             NULL};

static const char *const keep_priorityclass[] = {META_PATHS,      "metadata.annotations", "value",
                                                 "globalDefault", "preemptionPolicy",     NULL};

static const char *const keep_wpc[] = {META_PATHS, "metadata.annotations", "value", "description",
                                       NULL};

static const cache__kind_info_t kinds[CACHE_KIND_COUNT] = {
    [CACHE_KIND_RAYCLUSTER] = {"RayCluster",
                               &kube_res_rayclusters,
                               true,
                               {CACHE__IDX_QUEUE, CACHE__IDX_NONE},
                               keep_spec_status},
    [CACHE_KIND_RAYJOB] =
        {"RayJob", &kube_res_rayjobs, true, {CACHE__IDX_QUEUE, CACHE__IDX_NONE}, keep_spec_status},
    [CACHE_KIND_WORKLOAD] = {"Workload",
                             &kube_res_workloads,
                             true,
                             {CACHE__IDX_QUEUE, CACHE__IDX_NONE},
                             keep_spec_status},
    [CACHE_KIND_CLUSTERQUEUE] = {"ClusterQueue",
                                 &kube_res_clusterqueues,
                                 true,
                                 {CACHE__IDX_NONE, CACHE__IDX_NONE},
                                 keep_spec_status},
    [CACHE_KIND_LOCALQUEUE] = {"LocalQueue",
                               &kube_res_localqueues,
                               true,
                               {CACHE__IDX_NONE, CACHE__IDX_NONE},
                               keep_spec_status},
    [CACHE_KIND_RESOURCEFLAVOR] = {"ResourceFlavor",
                                   &kube_res_resourceflavors,
                                   true,
                                   {CACHE__IDX_NONE, CACHE__IDX_NONE},
                                   keep_spec_status},
    [CACHE_KIND_WORKLOADPRIORITYCLASS] = {"WorkloadPriorityClass",
                                          &kube_res_workloadpriorityclasses,
                                          true,
                                          {CACHE__IDX_NONE, CACHE__IDX_NONE},
                                          keep_wpc},
    [CACHE_KIND_PRIORITYCLASS] = {"PriorityClass",
                                  &kube_res_priorityclasses,
                                  true,
                                  {CACHE__IDX_NONE, CACHE__IDX_NONE},
                                  keep_priorityclass},
    [CACHE_KIND_POD] =
        {"Pod", &kube_res_pods, false, {CACHE__IDX_NODE, CACHE__IDX_CLUSTER}, keep_pod},
    [CACHE_KIND_NODE] =
        {"Node", &kube_res_nodes, false, {CACHE__IDX_NONE, CACHE__IDX_NONE}, keep_node},
    [CACHE_KIND_NAMESPACE] = {"Namespace",
                              &kube_res_namespaces,
                              true,
                              {CACHE__IDX_NONE, CACHE__IDX_NONE},
                              keep_namespace},
    [CACHE_KIND_COHORT] = {"Cohort",
                           &kube_res_cohorts,
                           true,
                           {CACHE__IDX_NONE, CACHE__IDX_NONE},
                           keep_spec_status},
};

const cache__kind_info_t *cache__kind_info(cache_kind_t kind)
{
    if ((unsigned)kind >= CACHE_KIND_COUNT)
        return NULL;
    return &kinds[kind];
}

const char *cache_kind_name(cache_kind_t kind)
{
    const cache__kind_info_t *k = cache__kind_info(kind);
    return k ? k->name : "?";
}

const kube_resource_t *cache_kind_resource(cache_kind_t kind)
{
    const cache__kind_info_t *k = cache__kind_info(kind);
    return k ? k->res : NULL;
}

static bool group_is(const char *api_version, const char *group)
{
    size_t n = strlen(group);
    return strncmp(api_version, group, n) == 0 && api_version[n] == '/';
}

int cache_kind_of(const char *api_version, const char *kind)
{
    if (!api_version || !kind)
        return -1;
    if (group_is(api_version, "ray.io")) {
        if (strcmp(kind, "RayCluster") == 0)
            return CACHE_KIND_RAYCLUSTER;
        if (strcmp(kind, "RayJob") == 0)
            return CACHE_KIND_RAYJOB;
        return -1;
    }
    if (group_is(api_version, "kueue.x-k8s.io")) {
        static const struct {
            const char *kind;
            cache_kind_t k;
        } kq[] = {
            {"Workload", CACHE_KIND_WORKLOAD},
            {"ClusterQueue", CACHE_KIND_CLUSTERQUEUE},
            {"LocalQueue", CACHE_KIND_LOCALQUEUE},
            {"Queue", CACHE_KIND_LOCALQUEUE},
            {"ResourceFlavor", CACHE_KIND_RESOURCEFLAVOR},
            {"WorkloadPriorityClass", CACHE_KIND_WORKLOADPRIORITYCLASS},
            {"PriorityClass", CACHE_KIND_WORKLOADPRIORITYCLASS},
            {"Cohort", CACHE_KIND_COHORT},
        };
        for (size_t i = 0; i < sizeof kq / sizeof kq[0]; i++)
            if (strcmp(kind, kq[i].kind) == 0)
                return kq[i].k;
        return -1;
    }
    if (group_is(api_version, "scheduling.k8s.io"))
        return strcmp(kind, "PriorityClass") == 0 ? CACHE_KIND_PRIORITYCLASS : -1;
    if (strcmp(api_version, "v1") == 0) {
        if (strcmp(kind, "Pod") == 0)
            return CACHE_KIND_POD;
        if (strcmp(kind, "Node") == 0)
            return CACHE_KIND_NODE;
        if (strcmp(kind, "Namespace") == 0)
            return CACHE_KIND_NAMESPACE;
    }
    return -1;
}

/*
 * Copies the field at path (segments split by '.', a segment ending in
 * "[]" maps the rest of the path over an array's object elements) from src
 * into dst, creating the intermediate objects. Several paths through the
 * same array merge into the same elements, so containers[].name and
 * containers[].resources give one element per container.
 */
static void copy_path(cJSON *dst, const cJSON *src, const char *path)
{
    const char *dot = strchr(path, '.');
    size_t seglen = dot ? (size_t)(dot - path) : strlen(path);
    const char *rest = dot ? dot + 1 : NULL;
    bool is_array = seglen > 2 && path[seglen - 2] == '[' && path[seglen - 1] == ']';
    char seg[64];
    size_t keylen = is_array ? seglen - 2 : seglen;
    if (keylen == 0 || keylen >= sizeof seg)
        return;
    memcpy(seg, path, keylen);
    seg[keylen] = '\0';

    const cJSON *child = cJSON_GetObjectItemCaseSensitive(src, seg);
    if (!child || cJSON_IsNull(child))
        return;
    cJSON *have = cJSON_GetObjectItemCaseSensitive(dst, seg);

    if (is_array) {
        if (!cJSON_IsArray(child))
            return;
        if (!rest) {
            if (!have)
                cJSON_AddItemToObject(dst, seg, cJSON_Duplicate(child, true));
            return;
        }
        if (!have) {
            have = cJSON_AddArrayToObject(dst, seg);
            for (const cJSON *e = child->child; e; e = e->next)
                cJSON_AddItemToArray(have, cJSON_CreateObject());
        }
        const cJSON *e = child->child;
        cJSON *d = have->child;
        for (; e && d; e = e->next, d = d->next)
            if (cJSON_IsObject(e) && cJSON_IsObject(d))
                copy_path(d, e, rest);
        return;
    }
    if (!rest) {
        if (!have)
            cJSON_AddItemToObject(dst, seg, cJSON_Duplicate(child, true));
        return;
    }
    if (!cJSON_IsObject(child))
        return;
    if (!have)
        have = cJSON_AddObjectToObject(dst, seg);
    else if (!cJSON_IsObject(have))
        return;
    copy_path(have, child, rest);
}

cJSON *cache__trim(cache_kind_t kind, const cJSON *full)
{
    const cache__kind_info_t *k = cache__kind_info(kind);
    cJSON *out = cJSON_CreateObject();
    if (!k || !cJSON_IsObject(full))
        return out;
    for (const char *const *p = k->keep; *p; p++)
        copy_path(out, full, *p);

    /* kubectl apply keeps a whole copy of the object in this annotation. */
    cJSON *ann = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "metadata"),
                                                  "annotations");
    if (cJSON_IsObject(ann))
        cJSON_DeleteItemFromObjectCaseSensitive(ann,
                                                "kubectl.kubernetes.io/last-applied-configuration");

    if (kind == CACHE_KIND_NODE) {
        /* The extender only asks whether a node is Ready. */
        cJSON *conds = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(out, "status"), "conditions");
        if (cJSON_IsArray(conds)) {
            cJSON *c = conds->child;
            while (c) {
                cJSON *next = c->next;
                const char *type = rg_json_get_string(c, "type");
                if (!type || strcmp(type, "Ready") != 0)
                    cJSON_Delete(cJSON_DetachItemViaPointer(conds, c));
                c = next;
            }
        }
    }
    return out;
}

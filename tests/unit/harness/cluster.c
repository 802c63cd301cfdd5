/*
 * Test clusters: JSON objects loaded into a real cache set.
 */
#include "cluster.h"

#include "raygate/alloc.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void rgt_cluster_init(rgt_cluster_t *c)
{
    c->objects = cJSON_CreateArray();
    c->caches = NULL;
}

void rgt_cluster_release(rgt_cluster_t *c)
{
    cJSON_Delete(c->objects);
    cache_set_free(c->caches);
    c->objects = NULL;
    c->caches = NULL;
}

void rgt_cluster_add(rgt_cluster_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    text = rg_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    rg_error_t err = {0};
    cJSON *o = rg_json_parse(text, (size_t)n, &err);
    ck_assert_msg(o != NULL, "bad test JSON: %s: %s", rg_error_str(&err), text);
    rg_free(text);
    cJSON_AddItemToArray(c->objects, o);
}

static cJSON *find(rgt_cluster_t *c, const char *kind, const char *ns, const char *name)
{
    cJSON *o;
    cJSON_ArrayForEach(o, c->objects)
    {
        const char *k = rg_json_get_string(o, "kind");
        const cJSON *meta = rg_json_get_object(o, "metadata");
        const char *n = rg_json_get_string(meta, "name");
        const char *s = rg_json_get_string(meta, "namespace");
        if (k && n && strcmp(k, kind) == 0 && strcmp(n, name) == 0 &&
            strcmp(s ? s : "", ns ? ns : "") == 0)
            return o;
    }
    return NULL;
}

bool rgt_cluster_remove(rgt_cluster_t *c, const char *kind, const char *ns, const char *name)
{
    cJSON *o = find(c, kind, ns, name);
    if (o)
        cJSON_Delete(cJSON_DetachItemViaPointer(c->objects, o));
    return o != NULL;
}

void rgt_cluster_node(rgt_cluster_t *c, const char *name, int gpus, const char *zone,
                      const char *labels, const char *taints, bool ready)
{
    char zl[200] = "";
    if (zone)
        snprintf(zl, sizeof(zl), "\"topology.kubernetes.io/zone\":\"%s\"%s", zone,
                 labels ? "," : "");
    rgt_cluster_add(c,
                    "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\","
                    "\"uid\":\"node-uid-%s\",\"labels\":{%s%s}},\"spec\":{\"taints\":%s},"
                    "\"status\":{\"allocatable\":{\"cpu\":\"32\",\"memory\":\"256Gi\","
                    "\"pods\":\"110\",\"nvidia.com/gpu\":\"%d\"},\"conditions\":[{\"type\":"
                    "\"Ready\",\"status\":\"%s\"}]}}",
                    name, name, zl, labels ? labels : "", taints ? taints : "[]", gpus,
                    ready ? "True" : "False");
}

char *rgt_pod_json(const char *name, const char *cluster, const char *group, int gpus,
                   const char *node, const char *phase)
{
    char labels[300] = "";
    bool head = group && strcmp(group, "head") == 0;
    if (cluster)
        snprintf(labels, sizeof(labels),
                 "\"ray.io/cluster\":\"%s\",\"ray.io/node-type\":\"%s\",\"ray.io/group\":\"%s\"",
                 cluster, head ? "head" : "worker", head ? "headgroup" : group);
    char nodefield[200] = "";
    if (node)
        snprintf(nodefield, sizeof(nodefield), "\"nodeName\":\"%s\",", node);
    char gpu[64] = "";
    if (gpus)
        snprintf(gpu, sizeof(gpu), ",\"nvidia.com/gpu\":\"%d\"", gpus);
    return rg_asprintf("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
                       "\"namespace\":\"default\",\"uid\":\"uid-%s\",\"labels\":{%s}},"
                       "\"spec\":{%s\"containers\":[{\"name\":\"ray\",\"resources\":{\"requests\":"
                       "{\"cpu\":\"1\",\"memory\":\"4Gi\"%s}}}]},\"status\":{\"phase\":\"%s\"}}",
                       name, name, labels, nodefield, gpu, phase ? phase : "Running");
}

void rgt_cluster_pod(rgt_cluster_t *c, const char *name, const char *cluster, const char *group,
                     int gpus, const char *node, const char *phase)
{
    char *json = rgt_pod_json(name, cluster, group, gpus, node, phase);
    rgt_cluster_add(c, "%s", json);
    rg_free(json);
}

void rgt_cluster_bind(rgt_cluster_t *c, const char *name, const char *node)
{
    cJSON *o = find(c, "Pod", "default", name);
    ck_assert_msg(o != NULL, "no pod %s", name);
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(o, "spec");
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "nodeName");
    cJSON_AddStringToObject(spec, "nodeName", node);
}

void rgt_cluster_pod_terminating(rgt_cluster_t *c, const char *name)
{
    cJSON *o = find(c, "Pod", "default", name);
    ck_assert_msg(o != NULL, "no pod %s", name);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(o, "metadata");
    cJSON_AddStringToObject(meta, "deletionTimestamp", "2026-12-01T00:00:00Z");
}

void rgt_cluster_raycluster(rgt_cluster_t *c, const char *name, const char *group, int replicas,
                            int gpus, bool suspended)
{
    rgt_cluster_add(
        c,
        "{\"apiVersion\":\"ray.io/v1\",\"kind\":\"RayCluster\",\"metadata\":{\"name\":\"%s\","
        "\"namespace\":\"default\",\"uid\":\"rc-uid-%s\"},\"spec\":{\"suspend\":%s,"
        "\"headGroupSpec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"ray-head\","
        "\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"4Gi\"}}}]}}},"
        "\"workerGroupSpecs\":[{\"groupName\":\"%s\",\"replicas\":%d,\"minReplicas\":0,"
        "\"maxReplicas\":100,\"template\":{\"spec\":{\"containers\":[{\"name\":\"ray-worker\","
        "\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"4Gi\",\"nvidia.com/gpu\":\"%d\"}}}]}}}]}}",
        name, name, suspended ? "true" : "false", group, replicas, gpus);
}

void rgt_cluster_load(rgt_cluster_t *c)
{
    rg_error_t err = {0};
    if (c->caches == NULL) {
        cache_set_opts_t opts = {0};
        c->caches = cache_set_new(&opts, &err);
        ck_assert_msg(c->caches != NULL, "%s", rg_error_str(&err));
        ck_assert_int_eq(gang_digests_install(c->caches, &err), 0);
    }
    size_t n = (size_t)cJSON_GetArraySize(c->objects);
    const cJSON **objs = rg_calloc(n + 1, sizeof(*objs));
    size_t i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, c->objects)
    objs[i++] = o;
    int rc = cache_set_load_objects(c->caches, objs, n, &err);
    rg_free(objs);
    ck_assert_msg(rc == 0, "load: %s", rg_error_str(&err));
}

gang_view_t *rgt_cluster_view(rgt_cluster_t *c, const char *topology_label)
{
    cache_snapshot_t *s[4] = {
        cache_snapshot_acquire(c->caches, CACHE_KIND_NODE),
        cache_snapshot_acquire(c->caches, CACHE_KIND_POD),
        cache_snapshot_acquire(c->caches, CACHE_KIND_WORKLOAD),
        cache_snapshot_acquire(c->caches, CACHE_KIND_RAYCLUSTER),
    };
    gang_view_src_t src = {s[0], s[1], s[2], s[3]};
    gang_view_opts_t opts = {.topology_label = topology_label};
    gang_view_t *v = gang_view_build(&src, &opts);
    for (int k = 0; k < 4; k++)
        cache_snapshot_release(s[k]);
    return v;
}

/*
 * Unit tests of the caches without a network: trimming, stores fed with
 * events through the internal apply function, snapshots, indexes,
 * handlers, relist diffs, digests and the standalone loader.
 */
#include "kube/cache_internal.h"

#include "raygate/alloc.h"
#include "raygate/cache.h"
#include "raygate/json.h"

#include <check.h>

#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static cJSON *load_fixture(const char *name)
{
    const char *dir = getenv("RG_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/cache/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = rg_malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    rg_error_t err = {0};
    cJSON *j = rg_json_parse(buf, n, &err);
    rg_free(buf);
    ck_assert_msg(j != NULL, "%s: %s", path, rg_error_str(&err));
    return j;
}

/* A small pod; node and cluster may be NULL. */
static cJSON *mk_pod(const char *ns, const char *name, const char *rv, const char *node,
                     const char *cluster)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "apiVersion", "v1");
    cJSON_AddStringToObject(p, "kind", "Pod");
    cJSON *m = cJSON_AddObjectToObject(p, "metadata");
    cJSON_AddStringToObject(m, "name", name);
    cJSON_AddStringToObject(m, "namespace", ns);
    if (rv)
        cJSON_AddStringToObject(m, "resourceVersion", rv);
    if (cluster)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(m, "labels"), "ray.io/cluster", cluster);
    cJSON *spec = cJSON_AddObjectToObject(p, "spec");
    if (node)
        cJSON_AddStringToObject(spec, "nodeName", node);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "name", "main");
    cJSON_AddStringToObject(c, "image", "busybox");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "containers"), c);
    return p;
}

static cJSON *mk_obj(const char *api, const char *kind, const char *ns, const char *name,
                     const char *rv)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "apiVersion", api);
    cJSON_AddStringToObject(p, "kind", kind);
    cJSON *m = cJSON_AddObjectToObject(p, "metadata");
    cJSON_AddStringToObject(m, "name", name);
    if (ns)
        cJSON_AddStringToObject(m, "namespace", ns);
    if (rv)
        cJSON_AddStringToObject(m, "resourceVersion", rv);
    return p;
}

static void apply(cache_set_t *set, cache_kind_t kind, kube_event_type_t t, cJSON *obj)
{
    rg_error_t err = {0};
    int rc = cache__store_apply(&set->stores[kind], t, obj, &err);
    ck_assert_msg(rc == 0, "apply: %s", rg_error_str(&err));
    cJSON_Delete(obj);
}

static cache_set_t *new_set(void)
{
    cache_set_opts_t o = {.publish_interval_ms = 3600 * 1000}; /* publish only when told */
    return cache_set_new(&o, NULL);
}

/* Records handler calls as "ADD key rv" lines. */
typedef struct rec {
    char lines[64][128];
    int n;
} rec_t;

static void on_change(void *arg, cache_kind_t kind, cache_event_t ev, const cache_obj_t *o,
                      const cache_obj_t *n)
{
    rec_t *r = arg;
    static const char *names[] = {"ADD", "UPDATE", "DELETE"};
    ck_assert_int_lt(r->n, 64);
    const cache_obj_t *x = n ? n : o;
    ck_assert_int_eq(x->kind, kind);
    snprintf(r->lines[r->n++], 128, "%s %s %s>%s", names[ev], x->key, o ? o->resource_version : "-",
             n ? n->resource_version : "-");
}

static bool rec_has(const rec_t *r, const char *line)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->lines[i], line) == 0)
            return true;
    return false;
}

/* ---- trimming ---- */

START_TEST(test_cache__trim_pod_keeps_what_raygate_reads)
{
    cJSON *full = load_fixture("pod-ray-worker.json");
    cJSON *t = cache__trim(CACHE_KIND_POD, full);
    const cJSON *meta = rg_json_get_object(t, "metadata");
    ck_assert_str_eq(rg_json_get_string(meta, "name"), "raycluster-gpu-worker-gpu-group-x7k2p");
    ck_assert_str_eq(rg_json_get_string(meta, "uid"), "5b0c2a4e-2f3d-4a4e-9d0a-6f1f1f0e7d11");
    ck_assert_ptr_null(rg_json_get(meta, "managedFields"));
    ck_assert_ptr_null(rg_json_get(meta, "generateName"));
    ck_assert_ptr_nonnull(rg_json_path(t, "metadata", "labels", "ray.io/cluster", NULL));
    ck_assert_ptr_nonnull(rg_json_get(meta, "resourceVersion"));
    /* Nothing reads these of a cached pod (the memory budget is mostly pods). */
    ck_assert_ptr_null(rg_json_get(meta, "annotations"));
    ck_assert_ptr_null(rg_json_get(meta, "ownerReferences"));
    ck_assert_ptr_null(rg_json_get(meta, "creationTimestamp"));

    const cJSON *spec = rg_json_get_object(t, "spec");
    ck_assert_str_eq(rg_json_get_string(spec, "nodeName"), "gpu-node-0042");
    ck_assert_ptr_null(rg_json_get(spec, "priority"));
    ck_assert_ptr_null(rg_json_get(spec, "tolerations"));
    ck_assert_ptr_null(rg_json_get(spec, "nodeSelector"));
    ck_assert_ptr_null(rg_json_get(spec, "volumes"));
    ck_assert_ptr_null(rg_json_get(spec, "restartPolicy"));
    const cJSON *cs = rg_json_get_array(spec, "containers");
    ck_assert_int_eq(cJSON_GetArraySize(cs), 2);
    const cJSON *c0 = cJSON_GetArrayItem(cs, 0), *c1 = cJSON_GetArrayItem(cs, 1);
    ck_assert_str_eq(rg_json_get_string(c0, "name"), "ray-worker");
    ck_assert_str_eq(rg_json_get_string(c1, "name"), "sidecar-log");
    ck_assert_str_eq(
        rg_json_get_string(rg_json_path(c0, "resources", "requests", NULL), "nvidia.com/gpu"), "1");
    ck_assert_ptr_null(rg_json_get(c0, "env"));
    ck_assert_ptr_null(rg_json_get(c0, "image"));
    ck_assert_ptr_null(rg_json_get(c0, "livenessProbe"));
    const cJSON *ic = cJSON_GetArrayItem(rg_json_get_array(spec, "initContainers"), 0);
    ck_assert_str_eq(rg_json_get_string(ic, "name"), "wait-gcs-ready");
    ck_assert_ptr_nonnull(rg_json_get(ic, "resources"));
    ck_assert_ptr_null(rg_json_get(ic, "args"));

    const cJSON *status = rg_json_get_object(t, "status");
    ck_assert_str_eq(rg_json_get_string(status, "phase"), "Running");
    ck_assert_ptr_null(rg_json_get(status, "conditions"));
    ck_assert_ptr_null(rg_json_get(status, "containerStatuses"));
    ck_assert_ptr_null(rg_json_get(status, "podIP"));

    char *full_txt = rg_json_print(full), *t_txt = rg_json_print(t);
    ck_assert_msg(strlen(t_txt) * 2 < strlen(full_txt), "trimmed %zu of %zu bytes", strlen(t_txt),
                  strlen(full_txt));
    rg_free(full_txt);
    rg_free(t_txt);
    cJSON_Delete(t);
    cJSON_Delete(full);
}
END_TEST

START_TEST(test_cache__trim_node_keeps_ready_condition_only)
{
    cJSON *full = load_fixture("node-gpu.json");
    cJSON *t = cache__trim(CACHE_KIND_NODE, full);
    ck_assert_ptr_null(rg_json_path(t, "metadata", "annotations", NULL));
    ck_assert_ptr_null(rg_json_path(t, "metadata", "managedFields", NULL));
    ck_assert_ptr_nonnull(rg_json_path(t, "metadata", "labels", "nvidia.com/gpu.product", NULL));
    ck_assert_ptr_nonnull(rg_json_path(t, "spec", "taints", NULL));
    ck_assert_ptr_null(rg_json_path(t, "spec", "podCIDR", NULL));
    ck_assert_str_eq(
        rg_json_get_string(rg_json_path(t, "status", "allocatable", NULL), "nvidia.com/gpu"), "8");
    ck_assert_ptr_nonnull(rg_json_path(t, "status", "capacity", NULL));
    ck_assert_ptr_null(rg_json_path(t, "status", "images", NULL));
    ck_assert_ptr_null(rg_json_path(t, "status", "nodeInfo", NULL));
    const cJSON *conds = rg_json_path(t, "status", "conditions", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(conds), 1);
    ck_assert_str_eq(rg_json_get_string(cJSON_GetArrayItem(conds, 0), "type"), "Ready");
    cJSON_Delete(t);
    cJSON_Delete(full);
}
END_TEST

START_TEST(test_cache__trim_kueue_keeps_spec_and_status)
{
    cJSON *w = mk_obj("kueue.x-k8s.io/v1beta1", "Workload", "ns", "w", "5");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(w, "spec"), "queueName", "q");
    cJSON_AddObjectToObject(cJSON_AddObjectToObject(w, "status"), "admission");
    cJSON_AddArrayToObject(cJSON_GetObjectItem(w, "metadata"), "managedFields");
    cJSON *t = cache__trim(CACHE_KIND_WORKLOAD, w);
    ck_assert_ptr_nonnull(rg_json_path(t, "spec", "queueName", NULL));
    ck_assert_ptr_nonnull(rg_json_path(t, "status", "admission", NULL));
    ck_assert_ptr_null(rg_json_path(t, "metadata", "managedFields", NULL));
    ck_assert_str_eq(rg_json_get_string(t, "apiVersion"), "kueue.x-k8s.io/v1beta1");
    cJSON_Delete(t);
    cJSON_Delete(w);
}
END_TEST

static const struct {
    const char *api, *kind;
    int want;
} kind_cases[] = {
    {"ray.io/v1", "RayCluster", CACHE_KIND_RAYCLUSTER},
    {"ray.io/v1alpha1", "RayJob", CACHE_KIND_RAYJOB},
    {"kueue.x-k8s.io/v1beta1", "Workload", CACHE_KIND_WORKLOAD},
    {"kueue.x-k8s.io/v1beta2", "ClusterQueue", CACHE_KIND_CLUSTERQUEUE},
    {"kueue.x-k8s.io/v1beta1", "Queue", CACHE_KIND_LOCALQUEUE},
    {"kueue.x-k8s.io/v1beta1", "LocalQueue", CACHE_KIND_LOCALQUEUE},
    {"kueue.x-k8s.io/v1beta1", "ResourceFlavor", CACHE_KIND_RESOURCEFLAVOR},
    {"kueue.x-k8s.io/v1beta1", "PriorityClass", CACHE_KIND_WORKLOADPRIORITYCLASS},
    {"kueue.x-k8s.io/v1beta1", "WorkloadPriorityClass", CACHE_KIND_WORKLOADPRIORITYCLASS},
    {"scheduling.k8s.io/v1", "PriorityClass", CACHE_KIND_PRIORITYCLASS},
    {"v1", "Pod", CACHE_KIND_POD},
    {"v1", "Node", CACHE_KIND_NODE},
    {"v1", "Namespace", CACHE_KIND_NAMESPACE},
    {"v1", "ConfigMap", -1},
    {"apps/v1", "Pod", -1},
    {"ray.iox/v1", "RayCluster", -1},
    {"kueue.x-k8s.io/v1beta1", "Cohort", CACHE_KIND_COHORT},
    {"kueue.x-k8s.io/v1beta2", "Job", -1},
    {NULL, "Pod", -1},
};

START_TEST(test_cache__kind_of_maps_api_versions)
{
    ck_assert_int_eq(cache_kind_of(kind_cases[_i].api, kind_cases[_i].kind), kind_cases[_i].want);
}
END_TEST

/* ---- objects ---- */

START_TEST(test_cache__pod_object_keeps_text_and_fields)
{
    cache_set_t *set = new_set();
    cJSON *full = load_fixture("pod-ray-worker.json");
    rg_error_t err = {0};
    cache_obj_t *o = cache__obj_new(&set->stores[CACHE_KIND_POD], full, NULL, &err);
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(o->key, "team-a/raycluster-gpu-worker-gpu-group-x7k2p");
    ck_assert_str_eq(o->ns, "team-a");
    ck_assert_str_eq(o->resource_version, "48213");
    ck_assert_str_eq(o->node_name, "gpu-node-0042");
    ck_assert_str_eq(o->phase, "Running");
    ck_assert_str_eq(o->ray_cluster, "raycluster-gpu");
    ck_assert_ptr_null(o->queue);
    ck_assert_ptr_null(o->json);
    ck_assert_ptr_nonnull(o->text);
    ck_assert(!o->deleting);
    cJSON *again = cache_obj_parse(o, &err);
    ck_assert_ptr_nonnull(again);
    cJSON *t = cache__trim(CACHE_KIND_POD, full);
    ck_assert(cJSON_Compare(again, t, true));
    cJSON_Delete(t);
    cJSON_Delete(again);
    cache_obj_unref(o);
    cJSON_Delete(full);
    cache_set_free(set);
}
END_TEST

static const struct {
    const char *json;
    const char *want; /* substring of the error */
} bad_objects[] = {
    {"{\"metadata\":{\"namespace\":\"a\"}}", "metadata.name: Required value"},
    {"{\"metadata\":{\"name\":\"\",\"namespace\":\"a\"}}", "metadata.name: Required value"},
    {"{\"metadata\":{\"name\":\"p\"}}", "metadata.namespace: Required value"},
    {"{\"metadata\":{\"name\":7,\"namespace\":\"a\"}}", "metadata.name: Required value"},
    {"[1,2]", "expected an object"},
};

START_TEST(test_cache__bad_objects_are_refused)
{
    cache_set_t *set = new_set();
    rg_error_t err = {0};
    cJSON *j = cJSON_Parse(bad_objects[_i].json);
    cache_obj_t *o = cache__obj_new(&set->stores[CACHE_KIND_POD], j, NULL, &err);
    ck_assert_ptr_null(o);
    ck_assert_msg(strstr(err.msg, bad_objects[_i].want) != NULL, "got %s", err.msg);
    ck_assert_int_eq(cache__store_apply(&set->stores[CACHE_KIND_POD], KUBE_EVENT_ADDED, j, &err),
                     err.code);
    cJSON_Delete(j);
    cache_set_free(set);
}
END_TEST

START_TEST(test_cache__name_too_long_is_refused)
{
    cache_set_t *set = new_set();
    char name[300];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    cJSON *j = mk_obj("v1", "Node", NULL, name, "1");
    rg_error_t err = {0};
    ck_assert_ptr_null(cache__obj_new(&set->stores[CACHE_KIND_NODE], j, NULL, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "Too long"));
    cJSON_Delete(j);
    cache_set_free(set);
}
END_TEST

/* ---- stores, handlers, snapshots ---- */

START_TEST(test_cache__events_call_handlers_after_the_store_changed)
{
    cache_set_t *set = new_set();
    rec_t r = {0};
    ck_assert_int_eq(cache_set_add_handler(set, CACHE_KIND_POD, on_change, &r, NULL), 0);
    apply(set, CACHE_KIND_POD, KUBE_EVENT_ADDED, mk_pod("a", "p1", "1", NULL, NULL));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_MODIFIED, mk_pod("a", "p1", "2", "n1", NULL));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_MODIFIED, mk_pod("a", "p1", "2", "n1", NULL)); /* dup */
    apply(set, CACHE_KIND_POD, KUBE_EVENT_ADDED, mk_pod("a", "p2", "3", NULL, NULL));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_DELETED, mk_pod("a", "p2", "4", NULL, NULL));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_DELETED, mk_pod("a", "ghost", "5", NULL, NULL));
    ck_assert_int_eq(r.n, 4);
    ck_assert_str_eq(r.lines[0], "ADD a/p1 ->1");
    ck_assert_str_eq(r.lines[1], "UPDATE a/p1 1>2");
    ck_assert_str_eq(r.lines[2], "ADD a/p2 ->3");
    ck_assert_str_eq(r.lines[3], "DELETE a/p2 3>-");

    cache_stats_t stats;
    cache_set_stats_get(set, CACHE_KIND_POD, &stats);
    ck_assert_uint_eq(stats.objects, 1);
    ck_assert_uint_eq(stats.events, 6);
    ck_assert(!stats.synced);
    ck_assert_int_eq(cache_set_add_handler(set, CACHE_KIND_RAYJOB, NULL, NULL, NULL), RG_ERR_INVAL);
    cache_set_free(set);
}
END_TEST

START_TEST(test_cache__snapshots_are_immutable_and_coalesced)
{
    cache_set_t *set = new_set();
    cache_snapshot_t *s0 = cache_snapshot_acquire(set, CACHE_KIND_POD);
    ck_assert_uint_eq(cache_snapshot_count(s0), 0);
    ck_assert(!cache_snapshot_synced(s0));
    ck_assert_uint_eq(cache_snapshot_seq(s0), 0);

    apply(set, CACHE_KIND_POD, KUBE_EVENT_ADDED, mk_pod("a", "p1", "1", "n1", NULL));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_ADDED, mk_pod("a", "p2", "2", "n1", NULL));
    /* The publish interval has not passed: readers still see the old view. */
    cache_snapshot_t *s1 = cache_snapshot_acquire(set, CACHE_KIND_POD);
    ck_assert_ptr_eq(s0, s1);
    cache_snapshot_release(s1);

    cache_set_flush(set);
    s1 = cache_snapshot_acquire(set, CACHE_KIND_POD);
    ck_assert_uint_eq(cache_snapshot_count(s1), 2);
    ck_assert_uint_eq(cache_snapshot_seq(s1), 1);
    const cache_obj_t *p1 = cache_snapshot_get(s1, "a", "p1");
    ck_assert_ptr_nonnull(p1);
    ck_assert_str_eq(p1->resource_version, "1");

    apply(set, CACHE_KIND_POD, KUBE_EVENT_MODIFIED, mk_pod("a", "p1", "3", "n2", NULL));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_DELETED, mk_pod("a", "p2", "4", "n1", NULL));
    cache_set_flush(set);
    cache_snapshot_t *s2 = cache_snapshot_acquire(set, CACHE_KIND_POD);
    /* s1 is untouched: its objects are alive and unchanged. */
    ck_assert_uint_eq(cache_snapshot_count(s1), 2);
    ck_assert_str_eq(p1->resource_version, "1");
    ck_assert_str_eq(p1->node_name, "n1");
    ck_assert_uint_eq(cache_snapshot_count(s2), 1);
    ck_assert_str_eq(cache_snapshot_get(s2, "a", "p1")->resource_version, "3");
    ck_assert_ptr_null(cache_snapshot_get(s2, "a", "p2"));
    ck_assert_ptr_null(cache_snapshot_at(s2, 1));
    cache_snapshot_release(s0);
    cache_snapshot_release(s1);
    cache_set_free(set); /* s2 outlives the set's reference */
    ck_assert_str_eq(cache_snapshot_at(s2, 0)->name, "p1");
    cache_snapshot_release(s2);
}
END_TEST

START_TEST(test_cache__indexes_follow_changes)
{
    cache_set_t *set = new_set();
    apply(set, CACHE_KIND_POD, KUBE_EVENT_ADDED, mk_pod("a", "h", "1", "n1", "rc"));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_ADDED, mk_pod("a", "w1", "2", "n2", "rc"));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_ADDED, mk_pod("a", "w2", "3", NULL, "rc"));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_ADDED, mk_pod("b", "w1", "4", "n1", "rc"));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_ADDED, mk_pod("a", "other", "5", "n1", NULL));
    cache_set_flush(set);
    cache_snapshot_t *s = cache_snapshot_acquire(set, CACHE_KIND_POD);
    const cache_obj_t *const *v;
    ck_assert_uint_eq(cache_snapshot_pods_on_node(s, "n1", &v), 3);
    ck_assert_str_eq(v[0]->key, "a/h");
    ck_assert_str_eq(v[1]->key, "a/other");
    ck_assert_str_eq(v[2]->key, "b/w1");
    ck_assert_uint_eq(cache_snapshot_pods_on_node(s, "n3", &v), 0);
    ck_assert_ptr_null(v);
    ck_assert_uint_eq(cache_snapshot_pods_of_cluster(s, "a", "rc", &v), 3);
    ck_assert_str_eq(v[2]->key, "a/w2");
    ck_assert_uint_eq(cache_snapshot_pods_of_cluster(s, "b", "rc", &v), 1);
    ck_assert_uint_eq(cache_snapshot_by_queue(s, "a", "rc", &v), 0); /* no such index on pods */
    cache_snapshot_release(s);

    /* w2 gets bound, h moves away (a new pod of the same name), other is deleted. */
    apply(set, CACHE_KIND_POD, KUBE_EVENT_MODIFIED, mk_pod("a", "w2", "6", "n1", "rc"));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_DELETED, mk_pod("a", "h", "7", "n1", "rc"));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_ADDED, mk_pod("a", "h", "8", "n2", "rc"));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_DELETED, mk_pod("a", "other", "9", "n1", NULL));
    cache_set_flush(set);
    s = cache_snapshot_acquire(set, CACHE_KIND_POD);
    ck_assert_uint_eq(cache_snapshot_pods_on_node(s, "n1", &v), 2);
    ck_assert_str_eq(v[0]->key, "a/w2");
    ck_assert_str_eq(v[1]->key, "b/w1");
    ck_assert_uint_eq(cache_snapshot_pods_on_node(s, "n2", &v), 2);
    ck_assert_str_eq(v[0]->key, "a/h");
    ck_assert_str_eq(v[1]->key, "a/w1");
    ck_assert_uint_eq(cache_snapshot_pods_of_cluster(s, "a", "rc", &v), 3);
    cache_snapshot_release(s);

    /* Queue indexes: Workload spec.queueName, Ray label. */
    cJSON *w = mk_obj("kueue.x-k8s.io/v1beta1", "Workload", "a", "w", "10");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(w, "spec"), "queueName", "main");
    apply(set, CACHE_KIND_WORKLOAD, KUBE_EVENT_ADDED, w);
    cJSON *rc = mk_obj("ray.io/v1", "RayCluster", "a", "rc", "11");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_GetObjectItem(rc, "metadata"), "labels"),
                            "kueue.x-k8s.io/queue-name", "main");
    apply(set, CACHE_KIND_RAYCLUSTER, KUBE_EVENT_ADDED, rc);
    apply(set, CACHE_KIND_RAYCLUSTER, KUBE_EVENT_ADDED,
          mk_obj("ray.io/v1", "RayCluster", "a", "unqueued", "12"));
    cache_set_flush(set);
    s = cache_snapshot_acquire(set, CACHE_KIND_WORKLOAD);
    ck_assert_uint_eq(cache_snapshot_by_queue(s, "a", "main", &v), 1);
    ck_assert_str_eq(v[0]->queue, "main");
    ck_assert_uint_eq(cache_snapshot_by_queue(s, "b", "main", &v), 0);
    cache_snapshot_release(s);
    s = cache_snapshot_acquire(set, CACHE_KIND_RAYCLUSTER);
    ck_assert_uint_eq(cache_snapshot_count(s), 2);
    ck_assert_uint_eq(cache_snapshot_by_queue(s, "a", "main", &v), 1);
    ck_assert_str_eq(v[0]->name, "rc");
    ck_assert_ptr_nonnull(v[0]->json);
    cache_snapshot_release(s);
    cache_set_free(set);
}
END_TEST

/*
 * Random events against a model: after each publish the snapshot (both
 * the merge path and the full-rebuild path) must list exactly the model,
 * in key order, with correct index ranges.
 */
START_TEST(test_cache__random_events_match_a_model)
{
    enum { N = 300, ROUNDS = 40 };
    cache_set_t *set = new_set();
    int model_rv[N];   /* 0 = absent */
    int model_node[N]; /* -1 = unbound */
    memset(model_rv, 0, sizeof model_rv);
    unsigned seed = 12345u + (unsigned)_i;
    int rv = 1;
    for (int round = 0; round < ROUNDS; round++) {
        /* Some rounds are small (merge path), some large (full rebuild). */
        int events = round % 5 == 0 ? 400 : 1 + (int)(rand_r(&seed) % 20);
        for (int e = 0; e < events; e++) {
            int i = (int)(rand_r(&seed) % N);
            char name[32], rvs[16], node[16];
            snprintf(name, sizeof name, "p%03d", i);
            snprintf(rvs, sizeof rvs, "%d", ++rv);
            int op = (int)(rand_r(&seed) % 3);
            int nd = (int)(rand_r(&seed) % 6) - 1;
            snprintf(node, sizeof node, "n%d", nd);
            if (op == 2) {
                apply(set, CACHE_KIND_POD, KUBE_EVENT_DELETED, mk_pod("ns", name, rvs, NULL, NULL));
                model_rv[i] = 0;
            } else {
                apply(set, CACHE_KIND_POD, op ? KUBE_EVENT_MODIFIED : KUBE_EVENT_ADDED,
                      mk_pod("ns", name, rvs, nd >= 0 ? node : NULL, NULL));
                model_rv[i] = rv;
                model_node[i] = nd;
            }
        }
        cache_set_flush(set);
        cache_snapshot_t *s = cache_snapshot_acquire(set, CACHE_KIND_POD);
        size_t k = 0;
        int per_node[5] = {0};
        for (int i = 0; i < N; i++) {
            if (!model_rv[i])
                continue;
            const cache_obj_t *o = cache_snapshot_at(s, k++);
            ck_assert_ptr_nonnull(o);
            char name[32];
            snprintf(name, sizeof name, "p%03d", i);
            ck_assert_str_eq(o->name, name);
            ck_assert_int_eq(atoi(o->resource_version), model_rv[i]);
            if (model_node[i] >= 0)
                per_node[model_node[i]]++;
        }
        ck_assert_uint_eq(cache_snapshot_count(s), k);
        for (int nd = 0; nd < 5; nd++) {
            char node[16];
            snprintf(node, sizeof node, "n%d", nd);
            const cache_obj_t *const *v;
            size_t c = cache_snapshot_pods_on_node(s, node, &v);
            ck_assert_uint_eq(c, (size_t)per_node[nd]);
            for (size_t x = 1; x < c; x++)
                ck_assert_int_lt(strcmp(v[x - 1]->key, v[x]->key), 0);
        }
        cache_snapshot_release(s);
    }
    cache_set_free(set);
}
END_TEST

START_TEST(test_cache__replace_emits_the_difference)
{
    cache_set_t *set = new_set();
    rec_t r = {0};
    ck_assert_int_eq(cache_set_add_handler(set, CACHE_KIND_NODE, on_change, &r, NULL), 0);
    apply(set, CACHE_KIND_NODE, KUBE_EVENT_ADDED, mk_obj("v1", "Node", NULL, "keep", "1"));
    apply(set, CACHE_KIND_NODE, KUBE_EVENT_ADDED, mk_obj("v1", "Node", NULL, "change", "2"));
    apply(set, CACHE_KIND_NODE, KUBE_EVENT_ADDED, mk_obj("v1", "Node", NULL, "gone", "3"));
    cache_snapshot_t *before = cache_snapshot_acquire(set, CACHE_KIND_NODE);
    r.n = 0;

    cache_store_t *st = &set->stores[CACHE_KIND_NODE];
    const char *names[] = {"keep", "change", "new"}, *rvs[] = {"1", "9", "10"};
    cache_obj_t *objs[3];
    for (int i = 0; i < 3; i++) {
        cJSON *j = mk_obj("v1", "Node", NULL, names[i], rvs[i]);
        objs[i] = cache__obj_new(st, j, NULL, NULL);
        cJSON_Delete(j);
    }
    cache__store_replace(st, objs, 3);
    ck_assert_int_eq(r.n, 3);
    ck_assert(rec_has(&r, "UPDATE change 2>9"));
    ck_assert(rec_has(&r, "ADD new ->10"));
    ck_assert(rec_has(&r, "DELETE gone 3>-"));

    cache_snapshot_t *s = cache_snapshot_acquire(set, CACHE_KIND_NODE);
    ck_assert(cache_snapshot_synced(s));
    ck_assert_uint_eq(cache_snapshot_count(s), 3);
    ck_assert_str_eq(cache_snapshot_at(s, 0)->name, "change");
    ck_assert_str_eq(cache_snapshot_at(s, 1)->name, "keep");
    ck_assert_str_eq(cache_snapshot_at(s, 2)->name, "new");
    cache_snapshot_release(s);
    cache_snapshot_release(before);

    cache_stats_t stats;
    cache_set_stats_get(set, CACHE_KIND_NODE, &stats);
    ck_assert(stats.synced);
    ck_assert_uint_eq(stats.lists, 1);
    ck_assert_uint_eq(stats.relists, 0);
    ck_assert_uint_eq(stats.objects, 3);
    ck_assert(!cache_set_synced(set)); /* the other kinds have not synced */
    cache__store_replace(st, NULL, 0);
    cache_set_stats_get(set, CACHE_KIND_NODE, &stats);
    ck_assert_uint_eq(stats.relists, 1);
    ck_assert_uint_eq(stats.objects, 0);
    cache_set_free(set);
}
END_TEST

typedef struct dig {
    int made, freed;
} dig_t;

static void *digest_fn(void *arg, const cache_obj_t *o, const cJSON *trimmed)
{
    dig_t *d = arg;
    d->made++;
    const cJSON *c = cJSON_GetArrayItem(rg_json_path(trimmed, "spec", "containers", NULL), 0);
    return rg_strdup(c ? rg_json_get_string(c, "name") : o->name);
}

static void digest_free(void *digest, void *arg)
{
    ((dig_t *)arg)->freed++;
    rg_free(digest);
}

START_TEST(test_cache__digest_is_made_once_per_version_and_freed)
{
    dig_t d = {0};
    cache_set_t *set = new_set();
    ck_assert_int_eq(cache_set_set_digest(set, CACHE_KIND_POD, digest_fn, digest_free, &d, NULL),
                     0);
    apply(set, CACHE_KIND_POD, KUBE_EVENT_ADDED, mk_pod("a", "p", "1", NULL, NULL));
    apply(set, CACHE_KIND_POD, KUBE_EVENT_MODIFIED, mk_pod("a", "p", "2", NULL, NULL));
    cache_set_flush(set);
    cache_snapshot_t *s = cache_snapshot_acquire(set, CACHE_KIND_POD);
    ck_assert_str_eq((const char *)cache_snapshot_at(s, 0)->digest, "main");
    cache_snapshot_release(s);
    ck_assert_int_eq(d.made, 2);
    ck_assert_int_eq(d.freed, 1);
    cache_set_free(set);
    ck_assert_int_eq(d.freed, 2);
}
END_TEST

/* ---- standalone ---- */

START_TEST(test_cache__load_objects_fills_the_stores)
{
    cache_set_t *set = new_set();
    rec_t r = {0};
    ck_assert_int_eq(cache_set_add_handler(set, CACHE_KIND_LOCALQUEUE, on_change, &r, NULL), 0);
    cJSON *objs[5];
    objs[0] = mk_obj("kueue.x-k8s.io/v1beta1", "ClusterQueue", NULL, "cq", NULL);
    objs[1] = mk_obj("kueue.x-k8s.io/v1beta1", "Queue", NULL, "lq", NULL); /* no namespace */
    objs[2] = mk_obj("v1", "ConfigMap", "a", "skipped", NULL);
    objs[3] = cJSON_CreateObject();
    cJSON_AddStringToObject(objs[3], "apiVersion", "v1");
    cJSON_AddStringToObject(objs[3], "kind", "List");
    cJSON *items = cJSON_AddArrayToObject(objs[3], "items");
    cJSON_AddItemToArray(items,
                         mk_obj("kueue.x-k8s.io/v1beta1", "PriorityClass", NULL, "hi", NULL));
    cJSON_AddItemToArray(items, mk_obj("scheduling.k8s.io/v1", "PriorityClass", NULL, "pc", NULL));
    objs[4] = mk_obj("v1", "Namespace", NULL, "a", NULL);
    rg_error_t err = {0};
    ck_assert_int_eq(cache_set_load_objects(set, (const cJSON *const *)objs, 5, &err), 0);
    ck_assert(cache_set_synced(set));
    ck_assert_int_eq(r.n, 1);
    ck_assert_str_eq(r.lines[0], "ADD default/lq ->");

    cache_snapshot_t *s = cache_snapshot_acquire(set, CACHE_KIND_LOCALQUEUE);
    ck_assert(cache_snapshot_synced(s));
    ck_assert_ptr_nonnull(cache_snapshot_get(s, "default", "lq"));
    ck_assert_str_eq(
        rg_json_get_string(
            rg_json_get_object(cache_snapshot_get(s, "default", "lq")->json, "metadata"),
            "namespace"),
        "default");
    cache_snapshot_release(s);
    s = cache_snapshot_acquire(set, CACHE_KIND_WORKLOADPRIORITYCLASS);
    ck_assert_ptr_nonnull(cache_snapshot_get(s, NULL, "hi"));
    cache_snapshot_release(s);
    s = cache_snapshot_acquire(set, CACHE_KIND_PRIORITYCLASS);
    ck_assert_ptr_nonnull(cache_snapshot_get(s, "", "pc"));
    cache_snapshot_release(s);
    s = cache_snapshot_acquire(set, CACHE_KIND_CLUSTERQUEUE);
    ck_assert_uint_eq(cache_snapshot_count(s), 1);
    cache_snapshot_release(s);

    /* A reload replaces: lq gone, handlers see the delete. */
    ck_assert_int_eq(cache_set_load_objects(set, (const cJSON *const *)objs, 1, &err), 0);
    ck_assert_int_eq(r.n, 2);
    ck_assert_str_eq(r.lines[1], "DELETE default/lq >-");

    /* No name: refused, naming the object's index; nothing changes. */
    cJSON *bad[2] = {mk_obj("v1", "Namespace", NULL, "b", NULL), cJSON_CreateObject()};
    cJSON_AddStringToObject(bad[1], "apiVersion", "v1");
    cJSON_AddStringToObject(bad[1], "kind", "Node");
    cJSON_AddObjectToObject(bad[1], "metadata");
    ck_assert_int_eq(cache_set_load_objects(set, (const cJSON *const *)bad, 2, &err), RG_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "object 1"));
    ck_assert_ptr_nonnull(strstr(err.msg, "metadata.name"));
    ck_assert_int_eq(cache_set_add_handler(set, CACHE_KIND_POD, on_change, &r, &err), RG_ERR_STATE);
    ck_assert_int_eq(cache_set_start(set, &err), RG_ERR_STATE);

    for (int i = 0; i < 5; i++)
        cJSON_Delete(objs[i]);
    cJSON_Delete(bad[0]);
    cJSON_Delete(bad[1]);
    cache_set_free(set);
}
END_TEST

START_TEST(test_cache__kinds_outside_the_set_stay_empty)
{
    cache_set_opts_t o = {.kinds = CACHE_KIND_BIT(CACHE_KIND_NODE)};
    cache_set_t *set = cache_set_new(&o, NULL);
    cJSON *objs[2] = {mk_obj("v1", "Node", NULL, "n", "1"), mk_pod("a", "p", "1", NULL, NULL)};
    ck_assert_int_eq(cache_set_load_objects(set, (const cJSON *const *)objs, 2, NULL), 0);
    ck_assert(cache_set_synced(set));
    cache_snapshot_t *s = cache_snapshot_acquire(set, CACHE_KIND_POD);
    ck_assert_uint_eq(cache_snapshot_count(s), 0);
    cache_snapshot_release(s);
    cache_stats_t st;
    cache_set_stats_get(set, CACHE_KIND_POD, &st);
    ck_assert(!st.enabled);
    ck_assert_str_eq(cache_kind_name(CACHE_KIND_POD), "Pod");
    ck_assert_str_eq(cache_kind_name(CACHE_KIND_COUNT), "?");
    ck_assert_ptr_eq(cache_kind_resource(CACHE_KIND_NODE), &kube_res_nodes);
    cJSON_Delete(objs[0]);
    cJSON_Delete(objs[1]);
    cache_set_free(set);
    cache_set_free(NULL);
}
END_TEST

static Suite *cache_store_suite(void)
{
    Suite *s = suite_create("cache_store");
    TCase *tc = tcase_create("trim");
    tcase_add_test(tc, test_cache__trim_pod_keeps_what_raygate_reads);
    tcase_add_test(tc, test_cache__trim_node_keeps_ready_condition_only);
    tcase_add_test(tc, test_cache__trim_kueue_keeps_spec_and_status);
    tcase_add_loop_test(tc, test_cache__kind_of_maps_api_versions, 0,
                        (int)(sizeof kind_cases / sizeof kind_cases[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("objects");
    tcase_add_test(tc, test_cache__pod_object_keeps_text_and_fields);
    tcase_add_loop_test(tc, test_cache__bad_objects_are_refused, 0,
                        (int)(sizeof bad_objects / sizeof bad_objects[0]));
    tcase_add_test(tc, test_cache__name_too_long_is_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("store");
    tcase_add_test(tc, test_cache__events_call_handlers_after_the_store_changed);
    tcase_add_test(tc, test_cache__snapshots_are_immutable_and_coalesced);
    tcase_add_test(tc, test_cache__indexes_follow_changes);
    tcase_add_loop_test(tc, test_cache__random_events_match_a_model, 0, 3);
    tcase_add_test(tc, test_cache__replace_emits_the_difference);
    tcase_add_test(tc, test_cache__digest_is_made_once_per_version_and_freed);
    suite_add_tcase(s, tc);

    tc = tcase_create("standalone");
    tcase_add_test(tc, test_cache__load_objects_fills_the_stores);
    tcase_add_test(tc, test_cache__kinds_outside_the_set_stay_empty);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(cache_store_suite());
}

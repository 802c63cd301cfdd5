/*
 * Unit tests for src/extender/ without HTTP: the wire codec on fixtures
 * shaped as kube-scheduler sends them, and the gang scenarios driven as
 * kube-scheduler drives them (filter each member, bind it, the watch
 * catches up) over a real cache set. The clock is passed in.
 */
#include "raygate/alloc.h"
#include "raygate/extender.h"
#include "raygate/json.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "harness.h"

#define SEC 1000000000LL

static ext_t *new_ext(rgt_cluster_t *c)
{
    ext_opts_t o = {0};
    rg_error_t err = {0};
    ext_t *x = ext_new(&o, c->caches, NULL, &err);
    ck_assert_msg(x != NULL, "%s", rg_error_str(&err));
    return x;
}

/* A filter request for a pod in NodeNames mode over nodes (NULL-terminated). */
static char *names_request(const char *pod_json, const char *const *nodes)
{
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_appendf(&b, "{\"Pod\":%s,\"Nodes\":null,\"NodeNames\":[", pod_json);
    for (size_t i = 0; nodes[i]; i++) {
        if (i)
            rg_buf_append_char(&b, ',');
        rg_buf_append_json_str(&b, nodes[i]);
    }
    rg_buf_append_str(&b, "]}");
    return rg_buf_detach(&b, NULL);
}

typedef struct verdict {
    char kept[256];   /* the kept node names joined by ',' */
    char reason[2048]; /* the first failed node's reason */
    bool unresolvable; /* that reason came in FailedAndUnresolvableNodes */
    char decision[32];
} verdict_t;

static void parse_filter(const ext_answer_t *a, verdict_t *v)
{
    memset(v, 0, sizeof(*v));
    ck_assert_int_eq(a->status, 200);
    rg_error_t err = {0};
    cJSON *root = rg_json_parse(a->body, a->len, &err);
    ck_assert_msg(root != NULL, "%s: %.*s", rg_error_str(&err), (int)a->len, a->body);
    const cJSON *n;
    cJSON_ArrayForEach(n, rg_json_get_array(root, "NodeNames"))
    {
        size_t l = strlen(v->kept);
        snprintf(v->kept + l, sizeof(v->kept) - l, "%s%s", l ? "," : "", n->valuestring);
    }
    const cJSON *f = rg_json_get_object(root, "FailedAndUnresolvableNodes");
    const cJSON *first = f ? f->child : NULL;
    v->unresolvable = first != NULL;
    if (first == NULL)
        first = rg_json_get_object(root, "FailedNodes") ? rg_json_get_object(root, "FailedNodes")
                                                             ->child
                                                       : NULL;
    if (first && cJSON_IsString(first))
        snprintf(v->reason, sizeof(v->reason), "%s", first->valuestring);
    snprintf(v->decision, sizeof(v->decision), "%s", a->decision);
    ck_assert_str_eq(rg_json_get_string(root, "Error"), "");
    cJSON_Delete(root);
}

/* Filters pod (by name, as the cluster holds it) over nodes and returns the verdict. */
static void filter_pod(ext_t *x, const char *name, const char *cluster, const char *group, int gpus,
                       const char *const *nodes, int64_t now, verdict_t *v)
{
    char *pod = rgt_pod_json(name, cluster, group, gpus, NULL, "Pending");
    char *body = names_request(pod, nodes);
    ext_answer_t a;
    ext_filter(x, body, strlen(body), now, &a);
    parse_filter(&a, v);
    rg_free(a.body);
    rg_free(body);
    rg_free(pod);
}

static const char *const THREE[] = {"gpu-a", "gpu-b", "gpu-c", NULL};

static void gang_cluster(rgt_cluster_t *c, const char *rc, int workers, int gpus)
{
    rgt_cluster_raycluster(c, rc, "workers", workers, gpus, false);
    char name[64];
    snprintf(name, sizeof(name), "%s-head", rc);
    rgt_cluster_pod(c, name, rc, "head", 0, NULL, "Pending");
    for (int i = 0; i < workers; i++) {
        snprintf(name, sizeof(name), "%s-w%d", rc, i);
        rgt_cluster_pod(c, name, rc, "workers", gpus, NULL, "Pending");
    }
}

static void three_nodes(rgt_cluster_t *c)
{
    for (int i = 0; THREE[i]; i++)
        rgt_cluster_node(c, THREE[i], 4, NULL, NULL, NULL, true);
}

/* kube-scheduler's loop for one member: filter, then bind where it was sent, then the watch. */
static void schedule(rgt_cluster_t *c, ext_t *x, const char *name, const char *cluster,
                     const char *group, int gpus, int64_t now, verdict_t *v)
{
    filter_pod(x, name, cluster, group, gpus, THREE, now, v);
    if (strchr(v->kept, ',') == NULL && v->kept[0]) {
        rgt_cluster_bind(c, name, v->kept);
        rgt_cluster_load(c);
    }
}

START_TEST(test_extender__gang_lands_where_planned)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    three_nodes(&c);
    gang_cluster(&c, "rc", 4, 2);
    rgt_cluster_load(&c);
    ext_t *x = new_ext(&c);
    static const char *const want[] = {"gpu-a", "gpu-a", "gpu-a", "gpu-b", "gpu-b"};
    const char *names[] = {"rc-head", "rc-w0", "rc-w1", "rc-w2", "rc-w3"};
    for (int i = 0; i < 5; i++) {
        verdict_t v;
        schedule(&c, x, names[i], "rc", i ? "workers" : "head", i ? 2 : 0, i * SEC, &v);
        ck_assert_msg(strcmp(v.kept, want[i]) == 0, "%s went to %s (%s)", names[i], v.kept,
                      v.reason);
        ck_assert_str_eq(v.decision, "steered");
        /* The other nodes are refused with where the member is planned. */
        ck_assert_msg(strstr(v.reason, "gang default/rc: member of podSet") != NULL, "%s",
                      v.reason);
        ck_assert(v.unresolvable);
    }
    /* Every member bound: the plan is released. */
    ext_stats_t st;
    verdict_t v;
    filter_pod(x, "other", NULL, NULL, 1, THREE, 6 * SEC, &v);
    ext_stats_get(x, 6 * SEC, &st);
    ck_assert_uint_eq(st.plans, 0);
    ck_assert_str_eq(v.kept, "gpu-c");
    ext_free(x);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_extender__members_before_any_bind_take_distinct_slots)
{
    /* kube-scheduler filters the next member before the watch shows the last one bound. */
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    three_nodes(&c);
    gang_cluster(&c, "rc", 4, 2);
    rgt_cluster_load(&c);
    ext_t *x = new_ext(&c);
    const char *names[] = {"rc-w0", "rc-w1", "rc-w2", "rc-w3", "rc-head"};
    const char *want[] = {"gpu-a", "gpu-a", "gpu-b", "gpu-b", "gpu-a"};
    for (int i = 0; i < 5; i++) {
        verdict_t v;
        filter_pod(x, names[i], "rc", i < 4 ? "workers" : "head", i < 4 ? 2 : 0, THREE, 0, &v);
        ck_assert_msg(strcmp(v.kept, want[i]) == 0, "%s -> %s", names[i], v.kept);
    }
    /* A member asking again keeps its slot. */
    verdict_t v;
    filter_pod(x, "rc-w2", "rc", "workers", 2, THREE, SEC, &v);
    ck_assert_str_eq(v.kept, "gpu-b");
    ext_free(x);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_extender__gang_too_big_refused_whole)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    three_nodes(&c);
    gang_cluster(&c, "rc", 7, 2);
    rgt_cluster_load(&c);
    ext_t *x = new_ext(&c);
    const char *names[] = {"rc-head", "rc-w0", "rc-w3", "rc-w6"};
    for (int i = 0; i < 4; i++) {
        verdict_t v;
        filter_pod(x, names[i], "rc", i ? "workers" : "head", i ? 2 : 0, THREE, 0, &v);
        ck_assert_str_eq(v.kept, "");
        ck_assert_str_eq(v.decision, "refused");
        ck_assert_msg(strstr(v.reason, "gang default/rc (8 pods): cannot place all 8 pods at "
                                       "once: podSet \"workers\": 1 of 7 pods") != NULL &&
                          strstr(v.reason, "nvidia.com/gpu short by 2") != NULL,
                      "%s", v.reason);
    }
    ext_stats_t st;
    ext_stats_get(x, 0, &st);
    ck_assert_uint_eq(st.plans, 0);
    ck_assert_uint_eq(st.claims, 0);
    ext_free(x);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_extender__interleaved_gangs_one_completes)
{
    /* Two gangs of a head and two 4-GPU workers on two 4-GPU nodes and a CPU node: one fits. */
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    rgt_cluster_node(&c, "gpu-a", 4, NULL, NULL, NULL, true);
    rgt_cluster_node(&c, "gpu-b", 4, NULL, NULL, NULL, true);
    rgt_cluster_node(&c, "gpu-c", 0, NULL, NULL, NULL, true);
    gang_cluster(&c, "ga", 2, 4);
    gang_cluster(&c, "gb", 2, 4);
    rgt_cluster_load(&c);
    ext_t *x = new_ext(&c);
    const char *order[] = {"gb-head", "ga-head", "gb-w0", "ga-w0", "gb-w1", "ga-w1"};
    int placed_a = 0, placed_b = 0;
    for (int i = 0; i < 6; i++) {
        verdict_t v;
        bool head = strstr(order[i], "head") != NULL;
        char cluster[3] = {order[i][0], order[i][1], 0};
        schedule(&c, x, order[i], cluster, head ? "head" : "workers", head ? 0 : 4, i * SEC, &v);
        bool got = v.kept[0] != '\0';
        if (cluster[1] == 'b') {
            placed_b += got;
            ck_assert_msg(got, "%s refused: %s", order[i], v.reason);
        } else {
            placed_a += got;
            ck_assert_msg(!got && strstr(v.reason, "gang default/ga (3 pods)") != NULL,
                          "%s: %s / %s", order[i], v.kept, v.reason);
        }
    }
    ck_assert_int_eq(placed_b, 3);
    ck_assert_int_eq(placed_a, 0);
    ext_free(x);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_extender__plan_expiry_frees_capacity)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    rgt_cluster_node(&c, "gpu-a", 4, NULL, NULL, NULL, true);
    gang_cluster(&c, "ga", 1, 4);
    gang_cluster(&c, "gb", 1, 4);
    rgt_cluster_load(&c);
    ext_t *x = new_ext(&c);
    const char *const one[] = {"gpu-a", NULL};
    verdict_t v;
    filter_pod(x, "ga-w0", "ga", "workers", 4, one, 0, &v);
    ck_assert_str_eq(v.kept, "gpu-a");
    /* ga's member never binds: its claim and plan hold gpu-a... */
    filter_pod(x, "gb-w0", "gb", "workers", 4, one, 20 * SEC, &v);
    ck_assert_str_eq(v.kept, "");
    ck_assert_msg(strstr(v.reason, "reserved for planned gangs") || strstr(v.reason, "short"),
                  "%s", v.reason);
    ck_assert(!v.unresolvable || strstr(v.reason, "short"));
    /* ... until the plan's TTL (60 s, renewed at 0 s) passes. */
    filter_pod(x, "gb-w0", "gb", "workers", 4, one, 61 * SEC, &v);
    ck_assert_str_eq(v.kept, "gpu-a");
    ext_free(x);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_extender__deleted_pod_frees_gpus_only_once_gone)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    rgt_cluster_node(&c, "gpu-a", 4, NULL, NULL, NULL, true);
    rgt_cluster_pod(&c, "old", NULL, NULL, 4, "gpu-a", "Running");
    rgt_cluster_pod_terminating(&c, "old");
    rgt_cluster_load(&c);
    ext_t *x = new_ext(&c);
    const char *const one[] = {"gpu-a", NULL};
    verdict_t v;
    filter_pod(x, "new", NULL, NULL, 2, one, 0, &v);
    ck_assert_str_eq(v.kept, "");
    ck_assert_str_eq(v.reason, "Insufficient nvidia.com/gpu: the pod requests 2, 0 free of 4 "
                               "allocatable (4 held by pods, 0 reserved for planned gangs and "
                               "binds in flight)");
    ck_assert(!v.unresolvable); /* preempting the holder would help */
    ck_assert(rgt_cluster_remove(&c, "Pod", "default", "old"));
    rgt_cluster_load(&c);
    filter_pod(x, "new", NULL, NULL, 2, one, SEC, &v);
    ck_assert_str_eq(v.kept, "gpu-a");
    ck_assert_str_eq(v.decision, "filtered");
    ext_free(x);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_extender__member_replanned_when_its_node_is_not_offered)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    three_nodes(&c);
    gang_cluster(&c, "rc", 2, 4);
    rgt_cluster_load(&c);
    ext_t *x = new_ext(&c);
    verdict_t v;
    filter_pod(x, "rc-w0", "rc", "workers", 4, THREE, 0, &v);
    ck_assert_str_eq(v.kept, "gpu-a");
    /* kube-scheduler's own filters rejected gpu-b, where rc-w1 is planned. */
    const char *const ac[] = {"gpu-a", "gpu-c", NULL};
    filter_pod(x, "rc-w1", "rc", "workers", 4, ac, SEC, &v);
    ck_assert_str_eq(v.decision, "replanned");
    ck_assert_str_eq(v.kept, "gpu-c");
    /* The plan moved: the head now goes beside the gang, and gpu-b is free again. */
    filter_pod(x, "other", NULL, NULL, 4, THREE, 2 * SEC, &v);
    ck_assert_str_eq(v.kept, "gpu-b");
    ext_free(x);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_extender__plain_pod_passes_through_untouched)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    rgt_cluster_load(&c);
    ext_t *x = new_ext(&c);
    size_t len = 0;
    char *body = rgt_fixture_read("extender", "filter-plain-nodes.json", &len);
    ext_answer_t a;
    ext_filter(x, body, len, 0, &a);
    ck_assert_str_eq(a.decision, "passed");
    /* The Nodes value is echoed byte for byte. */
    const char *nodes = strstr(body, "\"Nodes\":") + 8;
    const char *end = strstr(body, ",\"NodeNames\":null}");
    ck_assert_ptr_nonnull(end);
    ck_assert_int_eq(strncmp(a.body, "{\"Nodes\":", 9), 0);
    ck_assert_int_eq(memcmp(a.body + 9, nodes, (size_t)(end - nodes)), 0);
    ck_assert_str_eq(a.body + 9 + (end - nodes),
                     ",\"NodeNames\":null,\"FailedNodes\":{},\"FailedAndUnresolvableNodes\":{},"
                     "\"Error\":\"\"}");
    rg_free(a.body);
    rg_free(body);
    ext_free(x);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_extender__full_nodes_answer_keeps_node_objects)
{
    /* nodeCacheCapable false: the kept Nodes come back as whole objects, not names. */
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    three_nodes(&c);
    rgt_cluster_pod(&c, "busy", NULL, NULL, 4, "gpu-a", NULL);
    rgt_cluster_load(&c);
    ext_t *x = new_ext(&c);
    size_t len = 0;
    char *body = rgt_fixture_read("extender", "filter-nodes.json", &len);
    /* The fixture's pod is a member of RayCluster rc, which this cluster lacks. */
    ext_answer_t a;
    ext_filter(x, body, len, 0, &a);
    ck_assert_str_eq(a.decision, "refused");
    ck_assert_msg(strstr(a.body, "\"Nodes\":{\"metadata\":{},\"items\":[]}") != NULL, "%s",
                  a.body);
    ck_assert_msg(strstr(a.body, "gang default/rc: RayCluster default/rc is not in raygate's "
                                 "cache yet") != NULL,
                  "%s", a.body);
    rg_free(a.body);
    rg_free(body);
    body = rgt_fixture_read("extender", "filter-gpu-names.json", &len);
    ext_filter(x, body, len, 0, &a);
    verdict_t v;
    parse_filter(&a, &v);
    ck_assert_str_eq(v.kept, "gpu-b,gpu-c");
    ck_assert_msg(strstr(a.body, "\"gpu-z\":\"node is not in raygate's node cache yet\"") != NULL,
                  "%s", a.body);
    rg_free(a.body);
    rg_free(body);
    /* The same pod in full-Nodes mode: gpu-b and gpu-c echoed whole. */
    rgt_cluster_raycluster(&c, "rc", "workers", 1, 2, false);
    rgt_cluster_load(&c);
    body = rgt_fixture_read("extender", "filter-nodes.json", &len);
    ext_filter(x, body, len, SEC, &a);
    ck_assert_str_eq(a.decision, "steered");
    rg_error_t err = {0};
    cJSON *root = rg_json_parse(a.body, a.len, &err);
    ck_assert_ptr_nonnull(root);
    const cJSON *items = rg_json_path(root, "Nodes", "items", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(items), 1);
    const cJSON *kept = cJSON_GetArrayItem(items, 0);
    ck_assert_str_eq(rg_json_get_string(rg_json_get_object(kept, "metadata"), "name"), "gpu-b");
    ck_assert_ptr_nonnull(rg_json_path(kept, "status", "daemonEndpoints", "kubeletEndpoint", NULL));
    ck_assert(cJSON_IsNull(rg_json_get(root, "NodeNames")));
    cJSON_Delete(root);
    rg_free(a.body);
    rg_free(body);
    ext_free(x);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_extender__preempt_never_splits_a_running_gang)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    three_nodes(&c);
    rgt_cluster_raycluster(&c, "rc", "workers", 2, 2, false);
    rgt_cluster_pod(&c, "w1", "rc", "workers", 2, "gpu-a", NULL);
    rgt_cluster_pod(&c, "w2", "rc", "workers", 2, "gpu-b", NULL);
    rgt_cluster_pod(&c, "plain", NULL, NULL, 2, "gpu-c", NULL);
    rgt_cluster_load(&c);
    ext_t *x = new_ext(&c);
    const char *files[] = {"preempt-meta.json", "preempt-full.json"};
    for (int f = 0; f < 2; f++) {
        size_t len = 0;
        char *body = rgt_fixture_read("extender", files[f], &len);
        ext_answer_t a;
        ext_preempt(x, body, len, 0, &a);
        ck_assert_int_eq(a.status, 200);
        ck_assert_str_eq(a.body, "{\"NodeNameToMetaVictims\":{\"gpu-c\":{\"Pods\":[{\"UID\":"
                                 "\"uid-plain\"}],\"NumPDBViolations\":1}}}");
        ck_assert_str_eq(a.decision, "narrowed");
        ck_assert_msg(strstr(a.reason, "victim default/w1 is a member of running gang default/rc "
                                       "whose member w2 on node gpu-b would stay") != NULL,
                      "%s", a.reason);
        rg_free(a.body);
        rg_free(body);
    }
    /* The whole gang on one node, all of it the victims: it may go. */
    const char *body = "{\"Pod\":null,\"NodeNameToMetaVictims\":{\"gpu-a\":{\"Pods\":[{\"UID\":"
                       "\"uid-w1\"},{\"UID\":\"uid-x\"}],\"NumPDBViolations\":0},\"gpu-b\":{"
                       "\"Pods\":[],\"NumPDBViolations\":0}}}";
    rgt_cluster_bind(&c, "w2", "gpu-a");
    rgt_cluster_load(&c);
    const char *meta_body = body;
    ext_answer_t a;
    ext_preempt(x, meta_body, strlen(meta_body), 0, &a);
    ck_assert_msg(strstr(a.body, "\"gpu-a\"") == NULL, "%s", a.body); /* w2 is not a victim */
    rg_free(a.body);
    const char *all = "{\"NodeNameToMetaVictims\":{\"gpu-a\":{\"Pods\":[{\"UID\":\"uid-w1\"},"
                      "{\"UID\":\"uid-w2\"}]}}}";
    ext_preempt(x, all, strlen(all), 0, &a);
    ck_assert_str_eq(a.body, "{\"NodeNameToMetaVictims\":{\"gpu-a\":{\"Pods\":[{\"UID\":\"uid-w1\"}"
                             ",{\"UID\":\"uid-w2\"}],\"NumPDBViolations\":0}}}");
    rg_free(a.body);
    ext_free(x);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_extender__bind_standalone_answers_error)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    rgt_cluster_load(&c);
    ext_t *x = new_ext(&c);
    size_t len = 0;
    char *body = rgt_fixture_read("extender", "bind.json", &len);
    ext_answer_t a;
    ext_bind(x, body, len, 0, &a);
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(a.body, "{\"Error\":\"raygate runs standalone: there is no API server to "
                             "bind with\"}");
    ck_assert_str_eq(a.pod, "default/rc-workers-abcde");
    rg_free(a.body);
    rg_free(body);
    const char *bad = "{\"PodName\":\"p\",\"PodNamespace\":\"default\",\"Node\":\"\"}";
    ext_bind(x, bad, strlen(bad), 0, &a);
    ck_assert_str_eq(a.body, "{\"Error\":\"ExtenderBindingArgs: PodName, PodNamespace and Node "
                             "are required\"}");
    rg_free(a.body);
    ext_free(x);
    rgt_cluster_release(&c);
}
END_TEST

typedef struct wire_case {
    const char *body;
    int status;
    const char *want; /* substring of the body (200) or of the reason (4xx) */
} wire_case_t;

#define PLAIN_POD "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\"},\"spec\":{\"containers\":[]}}"

static const wire_case_t WIRE_CASES[] = {
    /* Keys match ignoring case, as Go's encoding/json matches struct fields. */
    {"{\"pod\":" PLAIN_POD ",\"nodenames\":[\"a\",\"b\"]}", 200,
     "\"NodeNames\":[\"a\",\"b\"],\"FailedNodes\":{}"},
    {"{\"POD\":" PLAIN_POD ",\"NODENAMES\":[\"a\\u002db\"],\"Unknown\":{\"x\":[1,2.5e3,true]}}", 200,
     "\"NodeNames\":[\"a-b\"]"},
    /* Nulls everywhere. */
    {"{\"Pod\":" PLAIN_POD ",\"Nodes\":null,\"NodeNames\":null}", 200, "\"NodeNames\":[]"},
    {"{\"Pod\":" PLAIN_POD ",\"Nodes\":{\"metadata\":{},\"items\":null},\"NodeNames\":null}", 200,
     "\"Nodes\":{\"metadata\":{},\"items\":null}"},
    {"{\"Pod\":null,\"NodeNames\":[\"a\"]}", 200, "\"Error\":\"Pod: Required value\""},
    {"{\"Pod\":{\"metadata\":null,\"spec\":{\"containers\":[{\"resources\":{\"requests\":"
     "{\"cpu\":\"x\"}}}]}},\"NodeNames\":[]}",
     200, "Pod.spec.containers[0].resources.requests[cpu]: Invalid value"},
    /* Not an ExtenderArgs: 400 with where. */
    {"", 400, "malformed JSON at byte 0: expected an object"},
    {"[]", 400, "expected an object"},
    {"{\"Pod\":" PLAIN_POD ",\"NodeNames\":[\"a\"", 400, "malformed JSON at byte"},
    {"{\"Pod\":" PLAIN_POD "} trailing", 400, "trailing data"},
    {"{\"Pod\":\"x\"}", 400, "Pod: Invalid value: must be an object"},
    {"{\"Pod\":" PLAIN_POD ",\"NodeNames\":[1]}", 400, "NodeNames[]: Invalid value: must be a string"},
    {"{\"Pod\":" PLAIN_POD ",\"NodeNames\":[\"\\x\"]}", 400, "bad escape"},
    {"{\"Pod\":" PLAIN_POD ",\"Nodes\":{\"items\":[{\"metadata\":{\"name\":\"a\"}},]}}", 400,
     "malformed JSON"},
    {"{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
     413, "nested deeper than 96"},
    {"{\"Pod\":" PLAIN_POD ",\"NodeNames\":[\"tab\there\"]}", 400, "control character"},
};

START_TEST(test_extender__wire)
{
    const wire_case_t *tc = &WIRE_CASES[_i];
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    rgt_cluster_load(&c);
    ext_t *x = new_ext(&c);
    ext_answer_t a;
    ext_filter(x, tc->body, strlen(tc->body), 0, &a);
    ck_assert_msg(a.status == tc->status, "%s: status %d (%s)", tc->body, a.status, a.reason);
    const char *got = a.status == 200 ? a.body : a.reason;
    ck_assert_msg(got && strstr(got, tc->want) != NULL, "%s: got %s", tc->body, got);
    rg_free(a.body);
    ext_free(x);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_extender__prioritize)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    rgt_cluster_node(&c, "gpu-a", 8, NULL, NULL, NULL, true);
    rgt_cluster_node(&c, "gpu-b", 4, NULL, NULL, NULL, true);
    rgt_cluster_node(&c, "gpu-c", 4, NULL, NULL, NULL, true);
    rgt_cluster_pod(&c, "busy", NULL, NULL, 2, "gpu-c", NULL);
    rgt_cluster_load(&c);
    ext_t *x = new_ext(&c);
    char *pod = rgt_pod_json("p", NULL, NULL, 2, NULL, "Pending");
    char *body = names_request(pod, THREE);
    ext_answer_t a;
    ext_prioritize(x, body, strlen(body), 0, &a);
    /* Packing 2, exact fit 1: gpu-c has exactly 2 free (10); gpu-b keeps 2 of 4 free, gpu-a 6 of 8. */
    ck_assert_str_eq(a.body, "[{\"Host\":\"gpu-a\",\"Score\":2},{\"Host\":\"gpu-b\",\"Score\":"
                             "3},{\"Host\":\"gpu-c\",\"Score\":10}]");
    rg_free(a.body);
    rg_free(body);
    rg_free(pod);
    /* A pod without GPUs or gang: zeros, nothing looked up. */
    pod = rgt_pod_json("q", NULL, NULL, 0, NULL, "Pending");
    body = names_request(pod, THREE);
    ext_prioritize(x, body, strlen(body), 0, &a);
    ck_assert_str_eq(a.body, "[{\"Host\":\"gpu-a\",\"Score\":0},{\"Host\":\"gpu-b\",\"Score\":"
                             "0},{\"Host\":\"gpu-c\",\"Score\":0}]");
    ck_assert_str_eq(a.decision, "passed");
    rg_free(a.body);
    rg_free(body);
    rg_free(pod);
    ext_free(x);
    rgt_cluster_release(&c);
}
END_TEST

static Suite *extender_suite(void)
{
    Suite *s = suite_create("extender");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_extender__gang_lands_where_planned);
    tcase_add_test(tc, test_extender__members_before_any_bind_take_distinct_slots);
    tcase_add_test(tc, test_extender__gang_too_big_refused_whole);
    tcase_add_test(tc, test_extender__interleaved_gangs_one_completes);
    tcase_add_test(tc, test_extender__plan_expiry_frees_capacity);
    tcase_add_test(tc, test_extender__deleted_pod_frees_gpus_only_once_gone);
    tcase_add_test(tc, test_extender__member_replanned_when_its_node_is_not_offered);
    tcase_add_test(tc, test_extender__plain_pod_passes_through_untouched);
    tcase_add_test(tc, test_extender__full_nodes_answer_keeps_node_objects);
    tcase_add_test(tc, test_extender__preempt_never_splits_a_running_gang);
    tcase_add_test(tc, test_extender__bind_standalone_answers_error);
    tcase_add_loop_test(tc, test_extender__wire, 0, sizeof(WIRE_CASES) / sizeof(WIRE_CASES[0]));
    tcase_add_test(tc, test_extender__prioritize);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(extender_suite());
}

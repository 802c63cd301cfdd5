/*
 * Unit tests for the gang planner and its inputs (src/gang/): the capacity
 * view over real cache snapshots, node constraints, the planner's choices
 * and reasons, and the raygate.dev/placement annotation codec. No HTTP.
 */
#include "raygate/alloc.h"
#include "raygate/gang.h"
#include "raygate/json.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "harness.h"

static const gang_weights_t W = {2, 1, 1};

/* Plans the podSets of RayCluster rc against the loaded cluster. */
static int plan_cluster(rgt_cluster_t *c, const char *rc, const char *topo, char **text,
                        char **reason)
{
    gang_view_t *v = rgt_cluster_view(c, topo);
    cache_snapshot_t *rcs = cache_snapshot_acquire(c->caches, CACHE_KIND_RAYCLUSTER);
    const cache_obj_t *o = cache_snapshot_get(rcs, "default", rc);
    ck_assert_ptr_nonnull(o);
    gang_podsets_t ps = {0};
    rg_error_t err = {0};
    ck_assert_int_eq(gang_podsets_from_raycluster(o->json, &ps, &err), 0);
    gang_free_t *f = gang_free_new(v, NULL);
    gang_plan_t *p = NULL;
    int rc_ = gang_plan_make(v, f, ps.sets, ps.n, &W, &p, reason);
    *text = p ? gang_plan_encode(p, NULL, &err) : NULL;
    gang_plan_free(p);
    gang_free_free(f);
    gang_podsets_release(&ps);
    cache_snapshot_release(rcs);
    gang_view_unref(v);
    return rc_;
}

static void three_gpu_nodes(rgt_cluster_t *c)
{
    rgt_cluster_node(c, "gpu-a", 4, NULL, NULL, NULL, true);
    rgt_cluster_node(c, "gpu-b", 4, NULL, NULL, NULL, true);
    rgt_cluster_node(c, "gpu-c", 4, NULL, NULL, NULL, true);
}

START_TEST(test_gang_plan__head_and_four_workers_fit)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    three_gpu_nodes(&c);
    rgt_cluster_raycluster(&c, "rc", "workers", 4, 2, false);
    rgt_cluster_load(&c);
    char *text = NULL, *reason = NULL;
    ck_assert_int_eq(plan_cluster(&c, "rc", NULL, &text, &reason), 0);
    /* Packed two by two (exact fits), the GPU-less head beside the gang. */
    ck_assert_str_eq(text, "{\"v\":1,\"podSets\":[{\"name\":\"head\",\"nodes\":{\"gpu-a\":1}},"
                           "{\"name\":\"workers\",\"nodes\":{\"gpu-a\":2,\"gpu-b\":2}}]}");
    rg_free(text);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_gang_plan__seven_workers_refused_with_reason)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    three_gpu_nodes(&c);
    rgt_cluster_raycluster(&c, "rc", "workers", 7, 2, false);
    rgt_cluster_load(&c);
    char *text = NULL, *reason = NULL;
    ck_assert_int_eq(plan_cluster(&c, "rc", NULL, &text, &reason), GANG_PLAN_SHORT);
    ck_assert_ptr_null(text);
    ck_assert_str_eq(reason,
                     "cannot place all 8 pods at once: podSet \"workers\": 1 of 7 pods (cpu: 1, "
                     "memory: 4Gi, nvidia.com/gpu: 2 each) do not fit: nvidia.com/gpu short by 2 "
                     "(0 free on the 3 eligible nodes, 2 more needed); most free: gpu-a 0, "
                     "gpu-b 0, gpu-c 0");
    rg_free(reason);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_gang_plan__fragmented_gpus_refused)
{
    /* Four 4-GPU nodes with 2 in use on each: 8 free, but no node has 4. */
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    const char *nodes[] = {"n1", "n2", "n3", "n4"};
    for (int i = 0; i < 4; i++) {
        char pod[16];
        rgt_cluster_node(&c, nodes[i], 4, NULL, NULL, NULL, true);
        snprintf(pod, sizeof(pod), "busy-%d", i);
        rgt_cluster_pod(&c, pod, NULL, NULL, 2, nodes[i], NULL);
    }
    rgt_cluster_raycluster(&c, "rc", "big", 1, 4, false);
    rgt_cluster_load(&c);
    char *text = NULL, *reason = NULL;
    ck_assert_int_eq(plan_cluster(&c, "rc", NULL, &text, &reason), GANG_PLAN_SHORT);
    ck_assert_msg(strstr(reason, "podSet \"big\": 1 of 1 pods") != NULL, "%s", reason);
    ck_assert_msg(strstr(reason, "nvidia.com/gpu is fragmented: 8 free on the 4 eligible nodes "
                                 "but no node has 4 free") != NULL,
                  "%s", reason);
    rg_free(reason);
    /* The pods on one node go away: now it fits there. */
    ck_assert(rgt_cluster_remove(&c, "Pod", "default", "busy-2"));
    rgt_cluster_load(&c);
    ck_assert_int_eq(plan_cluster(&c, "rc", NULL, &text, &reason), 0);
    ck_assert_msg(strstr(text, "{\"name\":\"big\",\"nodes\":{\"n3\":1}") != NULL, "%s", text);
    rg_free(text);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_gang_plan__terminating_pod_holds_until_gone)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    rgt_cluster_node(&c, "n1", 4, NULL, NULL, NULL, true);
    rgt_cluster_pod(&c, "old", NULL, NULL, 4, "n1", NULL);
    rgt_cluster_pod_terminating(&c, "old");
    rgt_cluster_raycluster(&c, "rc", "w", 1, 4, false);
    rgt_cluster_load(&c);
    char *text = NULL, *reason = NULL;
    ck_assert_int_eq(plan_cluster(&c, "rc", NULL, &text, &reason), GANG_PLAN_SHORT);
    rg_free(reason);
    /* Finished pods hold nothing. */
    ck_assert(rgt_cluster_remove(&c, "Pod", "default", "old"));
    rgt_cluster_pod(&c, "done", NULL, NULL, 4, "n1", "Succeeded");
    rgt_cluster_load(&c);
    ck_assert_int_eq(plan_cluster(&c, "rc", NULL, &text, &reason), 0);
    rg_free(text);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_gang_plan__one_topology_domain_when_it_fits)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    /* Zone b is listed first by name and has more room; zone a fits the gang exactly. */
    rgt_cluster_node(&c, "a-1", 4, "zone-b", NULL, NULL, true);
    rgt_cluster_node(&c, "a-2", 4, "zone-b", NULL, NULL, true);
    rgt_cluster_node(&c, "a-3", 4, "zone-b", NULL, NULL, true);
    rgt_cluster_node(&c, "z-1", 4, "zone-a", NULL, NULL, true);
    rgt_cluster_node(&c, "z-2", 4, "zone-a", NULL, NULL, true);
    rgt_cluster_raycluster(&c, "rc", "w", 4, 2, false);
    rgt_cluster_load(&c);
    char *text = NULL, *reason = NULL;
    ck_assert_int_eq(plan_cluster(&c, "rc", NULL, &text, &reason), 0);
    ck_assert_str_eq(text, "{\"v\":1,\"podSets\":[{\"name\":\"head\",\"nodes\":{\"z-1\":1}},"
                           "{\"name\":\"w\",\"nodes\":{\"z-1\":2,\"z-2\":2}}]}");
    rg_free(text);
    /* A rack label splits zone b: the rack holding 8 free GPUs is the tightest fit. */
    rgt_cluster_release(&c);
    rgt_cluster_init(&c);
    rgt_cluster_node(&c, "a-1", 4, "zone-b", "\"rack\":\"r1\"", NULL, true);
    rgt_cluster_node(&c, "a-2", 4, "zone-b", "\"rack\":\"r2\"", NULL, true);
    rgt_cluster_node(&c, "a-3", 4, "zone-b", "\"rack\":\"r2\"", NULL, true);
    rgt_cluster_node(&c, "z-1", 4, "zone-a", "\"rack\":\"r3\"", NULL, true);
    rgt_cluster_node(&c, "z-2", 4, "zone-a", "\"rack\":\"r3\"", NULL, true);
    rgt_cluster_node(&c, "z-3", 4, "zone-a", "\"rack\":\"r3\"", NULL, true);
    rgt_cluster_raycluster(&c, "rc", "w", 4, 2, false);
    rgt_cluster_load(&c);
    ck_assert_int_eq(plan_cluster(&c, "rc", "rack", &text, &reason), 0);
    ck_assert_str_eq(text, "{\"v\":1,\"podSets\":[{\"name\":\"head\",\"nodes\":{\"a-2\":1}},"
                           "{\"name\":\"w\",\"nodes\":{\"a-2\":2,\"a-3\":2}}]}");
    rg_free(text);
    rgt_cluster_release(&c);
}
END_TEST

START_TEST(test_gang_plan__constraints_and_reasons)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    rgt_cluster_node(&c, "t4", 4, NULL, "\"nvidia.com/gpu.product\":\"Tesla-T4\"", NULL, true);
    rgt_cluster_node(&c, "down", 4, NULL, "\"nvidia.com/gpu.product\":\"A100\"", NULL, false);
    rgt_cluster_node(&c, "tainted", 4, NULL, "\"nvidia.com/gpu.product\":\"A100\"",
                     "[{\"key\":\"gpu\",\"value\":\"reserved\",\"effect\":\"NoSchedule\"}]", true);
    rgt_cluster_node(&c, "a100", 4, NULL, "\"nvidia.com/gpu.product\":\"A100\"", NULL, true);
    rgt_cluster_load(&c);
    gang_view_t *v = rgt_cluster_view(&c, NULL);
    rg_error_t err = {0};
    const char *spec_text =
        "{\"nodeSelector\":{\"nvidia.com/gpu.product\":\"A100\"},\"containers\":[]}";
    cJSON *spec = rg_json_parse(spec_text, strlen(spec_text), &err);
    ck_assert_ptr_nonnull(spec);
    gang_cons_t *cons = NULL;
    ck_assert_int_eq(gang_cons_from_podspec(spec, &cons, &err), 0);
    char why[256];
    ck_assert_int_eq(gang_cons_check(cons, "t4", gang_view_node_info(v, gang_view_find(v, "t4")),
                                     why, sizeof(why)),
                     GANG_NODE_SELECTOR);
    ck_assert_str_eq(why, "label nvidia.com/gpu.product is \"Tesla-T4\", the pod's nodeSelector "
                          "wants \"A100\"");
    ck_assert_int_eq(gang_cons_check(cons, "down",
                                     gang_view_node_info(v, gang_view_find(v, "down")), why,
                                     sizeof(why)),
                     GANG_NODE_NOT_READY);
    ck_assert_int_eq(gang_cons_check(cons, "tainted",
                                     gang_view_node_info(v, gang_view_find(v, "tainted")), why,
                                     sizeof(why)),
                     GANG_NODE_TAINT);
    ck_assert_str_eq(why, "untolerated taint gpu=reserved:NoSchedule");
    /* A ResourceFlavor's toleration lets the podSet onto the tainted node. */
    const char *tol_text = "[{\"key\":\"gpu\",\"operator\":\"Exists\"}]";
    cJSON *tol = rg_json_parse(tol_text, strlen(tol_text), &err);
    ck_assert_ptr_nonnull(tol);
    ck_assert_int_eq(gang_cons_add_tolerations(cons, tol, &err), 0);
    ck_assert_int_eq(gang_cons_check(cons, "tainted",
                                     gang_view_node_info(v, gang_view_find(v, "tainted")), why,
                                     sizeof(why)),
                     GANG_NODE_OK);

    /* The planner's reason counts and names the excluded nodes. */
    gang_rvec_t req = {0};
    podspec_reqs_t pr = {0};
    quota_qty_t q = quota_qty_from_int(4, QUOTA_QTY_DECIMAL_SI);
    podspec_reqs_add(&pr, "nvidia.com/gpu", &q, NULL);
    gang_rvec_from_reqs(&pr, &req);
    gang_podset_t set = {"workers", 3, &req, cons};
    gang_free_t *f = gang_free_new(v, NULL);
    gang_plan_t *p = NULL;
    char *reason = NULL;
    ck_assert_int_eq(gang_plan_make(v, f, &set, 1, &W, &p, &reason), GANG_PLAN_SHORT);
    ck_assert_msg(strstr(reason, "podSet \"workers\": 1 of 3 pods (nvidia.com/gpu: 4 each)") &&
                      strstr(reason, "excluded: 1 not ready (down: node is not Ready), 1 not "
                                     "matching the pod's node selection (t4: label "
                                     "nvidia.com/gpu.product is \"Tesla-T4\""),
                  "%s", reason);
    rg_free(reason);
    gang_free_free(f);
    podspec_reqs_release(&pr);
    gang_rvec_release(&req);
    gang_cons_free(cons);
    cJSON_Delete(tol);
    cJSON_Delete(spec);
    gang_view_unref(v);
    rgt_cluster_release(&c);
}
END_TEST

typedef struct aff_case {
    const char *expr; /* one matchExpressions entry */
    bool match;       /* against labels gpu.memory=40960, gpu.product=A100 */
} aff_case_t;

static const aff_case_t AFF_CASES[] = {
    {"{\"key\":\"nvidia.com/gpu.product\",\"operator\":\"In\",\"values\":[\"H100\",\"A100\"]}", true},
    {"{\"key\":\"nvidia.com/gpu.product\",\"operator\":\"NotIn\",\"values\":[\"A100\"]}", false},
    {"{\"key\":\"nvidia.com/gpu.memory\",\"operator\":\"Gt\",\"values\":[\"40000\"]}", true},
    {"{\"key\":\"nvidia.com/gpu.memory\",\"operator\":\"Lt\",\"values\":[\"40000\"]}", false},
    {"{\"key\":\"nvidia.com/gpu.memory\",\"operator\":\"Gt\",\"values\":[\"x\"]}", false},
    {"{\"key\":\"nvidia.com/gpu.count\",\"operator\":\"Exists\"}", false},
    {"{\"key\":\"nvidia.com/gpu.count\",\"operator\":\"DoesNotExist\"}", true},
};

START_TEST(test_gang_plan__required_affinity)
{
    const aff_case_t *tc = &AFF_CASES[_i];
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    rgt_cluster_node(&c, "n", 4, NULL,
                     "\"nvidia.com/gpu.memory\":\"40960\",\"nvidia.com/gpu.product\":\"A100\"",
                     NULL, true);
    rgt_cluster_load(&c);
    gang_view_t *v = rgt_cluster_view(&c, NULL);
    char text[512];
    snprintf(text, sizeof(text),
             "{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
             "{\"nodeSelectorTerms\":[{\"matchExpressions\":[%s]}]}}}}",
             tc->expr);
    rg_error_t err = {0};
    cJSON *spec = rg_json_parse(text, strlen(text), &err);
    gang_cons_t *cons = NULL;
    ck_assert_int_eq(gang_cons_from_podspec(spec, &cons, &err), 0);
    char why[256] = "";
    gang_verdict_t vd = gang_cons_check(cons, "n", gang_view_node_info(v, 0), why, sizeof(why));
    ck_assert_msg((vd == GANG_NODE_OK) == tc->match, "%s: %s", tc->expr, why);
    gang_cons_free(cons);
    cJSON_Delete(spec);
    gang_view_unref(v);
    rgt_cluster_release(&c);
}
END_TEST

/* Workload raycluster-rc-1 of RayCluster rc with a recorded plan (head on
 * gpu-c, a worker each on gpu-a and gpu-b); status is its JSON status. */
static void add_planned_workload(rgt_cluster_t *c, const char *status)
{
    rgt_cluster_add(
        c,
        "{\"apiVersion\":\"kueue.x-k8s.io/v1beta2\",\"kind\":\"Workload\",\"metadata\":{\"name\":"
        "\"raycluster-rc-1\",\"namespace\":\"default\",\"annotations\":{\"raygate.dev/placement\":"
        "\"{\\\"v\\\":1,\\\"podSets\\\":[{\\\"name\\\":\\\"head\\\",\\\"nodes\\\":{\\\"gpu-c\\\":1}},"
        "{\\\"name\\\":\\\"workers\\\",\\\"nodes\\\":{\\\"gpu-a\\\":1,\\\"gpu-b\\\":1}}]}\"},"
        "\"ownerReferences\":[{\"apiVersion\":\"ray.io/v1\",\"kind\":\"RayCluster\",\"name\":\"rc\","
        "\"uid\":\"rc-uid-rc\",\"controller\":true}]},\"spec\":{\"queueName\":\"q\",\"podSets\":["
        "{\"name\":\"head\",\"count\":1,\"template\":{\"spec\":{\"containers\":[{\"name\":\"h\","
        "\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]}}},{\"name\":\"workers\",\"count\":2,"
        "\"template\":{\"spec\":{\"containers\":[{\"name\":\"w\",\"resources\":{\"requests\":"
        "{\"nvidia.com/gpu\":\"4\"}}}]}}}]},\"status\":%s}",
        status);
}

#define ADMITTED "{\"admission\":{\"clusterQueue\":\"cq\",\"podSetAssignments\":[]}}"

START_TEST(test_gang_plan__recorded_plan_reserves_until_members_bind)
{
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    three_gpu_nodes(&c);
    rgt_cluster_raycluster(&c, "rc", "workers", 2, 4, false);
    add_planned_workload(&c, ADMITTED);
    rgt_cluster_load(&c);
    gang_rid_t gpu = gang_res_intern("nvidia.com/gpu");
    gang_view_t *v = rgt_cluster_view(&c, NULL);
    const gang_recorded_t *r = gang_view_recorded_for_cluster(v, "default", "rc");
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_eq(r, gang_view_recorded(v, "default", "raycluster-rc-1"));
    ck_assert_int_eq(r->bound, 0);
    ck_assert_int_eq(gang_view_reserved(v, (size_t)gang_view_find(v, "gpu-a"), gpu), 4);
    gang_free_t *f = gang_free_new(v, NULL);
    ck_assert_int_eq(gang_free_get(f, (size_t)gang_view_find(v, "gpu-b"), gpu), 0);
    ck_assert_int_eq(gang_free_get(f, (size_t)gang_view_find(v, "gpu-c"), gpu), 4);
    gang_free_free(f);
    /* Re-planning that Workload gives its own reservation back. */
    f = gang_free_new(v, "default/raycluster-rc-1");
    ck_assert_int_eq(gang_free_get(f, (size_t)gang_view_find(v, "gpu-b"), gpu), 4);
    gang_free_free(f);
    gang_view_unref(v);

    /* A member bound where planned turns its reservation into usage: counted once. */
    rgt_cluster_pod(&c, "rc-workers-x", "rc", "workers", 4, "gpu-a", NULL);
    rgt_cluster_load(&c);
    v = rgt_cluster_view(&c, NULL);
    r = gang_view_recorded_for_cluster(v, "default", "rc");
    ck_assert_int_eq(r->bound, 1);
    ck_assert_int_eq(r->left[1][0], 0);
    ck_assert_int_eq(r->left[1][1], 1);
    size_t a = (size_t)gang_view_find(v, "gpu-a");
    ck_assert_int_eq(gang_view_reserved(v, a, gpu), 0);
    ck_assert_int_eq(gang_view_used(v, a, gpu), 4);
    gang_view_unref(v);
    rgt_cluster_release(&c);
}
END_TEST

/* A plan reserves only while its Workload holds quota (released, or finished: nothing). */
START_TEST(test_gang_plan__plan_of_a_workload_not_reserving_reserves_nothing)
{
    static const char *const status[] = {
        "{}",
        "{\"admission\":{\"clusterQueue\":\"cq\",\"podSetAssignments\":[]},\"conditions\":"
        "[{\"type\":\"Finished\",\"status\":\"True\",\"reason\":\"Succeeded\"}]}",
    };
    rgt_cluster_t c;
    rgt_cluster_init(&c);
    three_gpu_nodes(&c);
    rgt_cluster_raycluster(&c, "rc", "workers", 2, 4, false);
    add_planned_workload(&c, status[_i]);
    rgt_cluster_load(&c);
    gang_view_t *v = rgt_cluster_view(&c, NULL);
    ck_assert_ptr_null(gang_view_recorded(v, "default", "raycluster-rc-1"));
    size_t a = (size_t)gang_view_find(v, "gpu-a");
    ck_assert_int_eq(gang_view_reserved(v, a, gang_res_intern("nvidia.com/gpu")), 0);
    gang_view_unref(v);
    rgt_cluster_release(&c);
}
END_TEST

typedef struct codec_case {
    const char *text;
    const char *err; /* NULL: must round-trip to itself */
} codec_case_t;

static const codec_case_t CODEC_CASES[] = {
    {"{\"v\":1,\"podSets\":[{\"name\":\"head\",\"nodes\":{\"a\":1}},{\"name\":\"w\",\"nodes\":"
     "{\"a\":2,\"b\":4}}]}",
     NULL},
    {"{\"v\":1,\"podSets\":[]}", NULL},
    {"{\"v\":2,\"podSets\":[]}", "v: Unsupported value"},
    {"{\"v\":1}", "podSets: Required value"},
    {"{\"v\":1,\"podSets\":[{\"nodes\":{}}]}", "podSets[0].name: Required value"},
    {"{\"v\":1,\"podSets\":[{\"name\":\"w\",\"nodes\":{\"a\":0}}]}",
     "podSets[0].nodes[a]: Invalid value"},
    {"{\"v\":1,\"podSets\":[{\"name\":\"w\",\"nodes\":{\"a\":1.5}}]}",
     "podSets[0].nodes[a]: Invalid value"},
    {"{\"v\":1,\"podSets\":[{\"name\":\"w\",\"nodes\":{\"a\":1,\"a\":1}}]}",
     "podSets[0].nodes[a]: Duplicate value"},
    {"{\"v\":1,\"podSets\":[{\"name\":\"w\",\"nodes\":{}},{\"name\":\"w\",\"nodes\":{}}]}",
     "podSets[1].name: Duplicate value"},
    {"{\"v\":1,\"podSets\":[{\"name\":\"w\",\"nodes\":[]}]}", "podSets[0].nodes: Required value"},
    {"not json", "malformed JSON"},
};

START_TEST(test_gang_plan__annotation_codec)
{
    const codec_case_t *tc = &CODEC_CASES[_i];
    rg_error_t err = {0};
    gang_plan_t *p = gang_plan_decode(tc->text, strlen(tc->text), &err);
    if (tc->err) {
        ck_assert_ptr_null(p);
        ck_assert_msg(strstr(rg_error_str(&err), tc->err) != NULL, "%s", rg_error_str(&err));
        return;
    }
    ck_assert_msg(p != NULL, "%s", rg_error_str(&err));
    gang_plan_t *copy = gang_plan_copy(p);
    size_t len = 0;
    char *text = gang_plan_encode(copy, &len, &err);
    ck_assert_str_eq(text, tc->text);
    ck_assert_uint_eq(len, strlen(tc->text));
    rg_free(text);
    gang_plan_free(copy);
    gang_plan_free(p);
}
END_TEST

START_TEST(test_gang_plan__move_slot)
{
    rg_error_t err = {0};
    const char *t = "{\"v\":1,\"podSets\":[{\"name\":\"w\",\"nodes\":{\"a\":1,\"b\":2}}]}";
    gang_plan_t *p = gang_plan_decode(t, strlen(t), &err);
    ck_assert_int_eq(gang_plan_move(p, "w", "a", "c"), 0);
    ck_assert_int_eq(gang_plan_move(p, "w", "a", "c"), RG_ERR_NOT_FOUND);
    ck_assert_int_eq(gang_plan_move(p, "x", "b", "c"), RG_ERR_NOT_FOUND);
    char *text = gang_plan_encode(p, NULL, &err);
    ck_assert_str_eq(text, "{\"v\":1,\"podSets\":[{\"name\":\"w\",\"nodes\":{\"b\":2,\"c\":1}}]}");
    ck_assert_int_eq(gang_plan_members(p), 3);
    rg_free(text);
    gang_plan_free(p);
}
END_TEST

static Suite *gang_plan_suite(void)
{
    Suite *s = suite_create("gang_plan");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_gang_plan__head_and_four_workers_fit);
    tcase_add_test(tc, test_gang_plan__seven_workers_refused_with_reason);
    tcase_add_test(tc, test_gang_plan__fragmented_gpus_refused);
    tcase_add_test(tc, test_gang_plan__terminating_pod_holds_until_gone);
    tcase_add_test(tc, test_gang_plan__one_topology_domain_when_it_fits);
    tcase_add_test(tc, test_gang_plan__constraints_and_reasons);
    tcase_add_loop_test(tc, test_gang_plan__required_affinity, 0,
                        sizeof(AFF_CASES) / sizeof(AFF_CASES[0]));
    tcase_add_test(tc, test_gang_plan__recorded_plan_reserves_until_members_bind);
    tcase_add_loop_test(tc, test_gang_plan__plan_of_a_workload_not_reserving_reserves_nothing, 0, 2);
    tcase_add_loop_test(tc, test_gang_plan__annotation_codec, 0,
                        sizeof(CODEC_CASES) / sizeof(CODEC_CASES[0]));
    tcase_add_test(tc, test_gang_plan__move_slot);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(gang_plan_suite());
}

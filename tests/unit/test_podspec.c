/*
 * Unit tests for src/podspec (pod requests as kube-scheduler counts them)
 * and src/gang/gang_size.c (gang sizes as KubeRay counts replicas). The
 * request cases follow component-helpers' PodRequests tests: containers,
 * init containers, sidecars in order, pod-level resources, overhead, and
 * limits standing in for missing requests.
 */
#include "raygate/alloc.h"
#include "raygate/gang.h"
#include "raygate/json.h"
#include "raygate/podspec.h"

#include <check.h>

#include "harness.h"
#include <string.h>

/* Renders a list as "cpu=1500m,memory=1Gi" in name order. */
static char *render(const podspec_reqs_t *r)
{
    rg_buf_t b = RG_BUF_INIT;
    for (size_t i = 0; i < r->n; i++) {
        char q[QUOTA_QTY_STR_MAX];
        quota_qty_format(&r->v[i].qty, q, sizeof(q));
        rg_buf_appendf(&b, "%s%s=%s", i ? "," : "", r->v[i].name, q);
    }
    if (b.data == NULL)
        rg_buf_append_str(&b, "");
    return rg_buf_detach(&b, NULL);
}

typedef struct req_case {
    const char *spec;
    const char *want; /* rendered list, or NULL when an error is expected */
    const char *err;  /* substring of the error */
} req_case_t;

static const req_case_t REQ_CASES[] = {
    {"{}", "", NULL},
    {"{\"containers\":[{\"name\":\"a\"}]}", "", NULL},
    /* Containers add up. */
    {"{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}},"
     "{\"resources\":{\"requests\":{\"cpu\":\"500m\",\"nvidia.com/gpu\":2}}}]}",
     "cpu=1500m,memory=1Gi,nvidia.com/gpu=2", NULL},
    /* Limits stand in for missing requests, per resource. */
    {"{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\"},"
     "\"limits\":{\"cpu\":\"2\",\"memory\":\"2Gi\",\"nvidia.com/gpu\":\"1\"}}}]}",
     "cpu=1,memory=2Gi,nvidia.com/gpu=1", NULL},
    /* A regular init container bounds the sum from below. */
    {"{\"initContainers\":[{\"resources\":{\"requests\":{\"cpu\":\"4\"}}}],"
     "\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]}",
     "cpu=4,memory=1Gi", NULL},
    /* The largest init container, not their sum. */
    {"{\"initContainers\":[{\"resources\":{\"requests\":{\"cpu\":\"2\"}}},"
     "{\"resources\":{\"requests\":{\"cpu\":\"3\"}}}],"
     "\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]}",
     "cpu=3", NULL},
    /* A sidecar joins the sum, and counts beside every init container after it. */
    {"{\"initContainers\":[{\"restartPolicy\":\"Always\",\"resources\":{\"requests\":"
     "{\"cpu\":\"1\"}}},{\"resources\":{\"requests\":{\"cpu\":\"3\"}}}],"
     "\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"2\"}}}]}",
     "cpu=4", NULL},
    /* ... but not beside those before it. */
    {"{\"initContainers\":[{\"resources\":{\"requests\":{\"cpu\":\"3\"}}},"
     "{\"restartPolicy\":\"Always\",\"resources\":{\"requests\":{\"cpu\":\"1\"}}}],"
     "\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]}",
     "cpu=3", NULL},
    {"{\"initContainers\":[{\"restartPolicy\":\"Always\",\"resources\":{\"requests\":"
     "{\"cpu\":\"1\"}}},{\"resources\":{\"requests\":{\"cpu\":\"5\"}}}],"
     "\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]}",
     "cpu=6", NULL},
    /* Overhead is added. */
    {"{\"overhead\":{\"cpu\":\"250m\",\"memory\":\"120Mi\"},"
     "\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]}",
     "cpu=1250m,memory=120Mi", NULL},
    /* Pod-level resources replace the sum for cpu and memory only. */
    {"{\"resources\":{\"requests\":{\"cpu\":\"8\"},\"limits\":{\"memory\":\"4Gi\"}},"
     "\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\","
     "\"nvidia.com/gpu\":\"1\"}}}]}",
     "cpu=8,memory=4Gi,nvidia.com/gpu=1", NULL},
    /* Numbers and fractions are quantities too; zero is kept. */
    {"{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":0.5,\"memory\":0}}}]}",
     "cpu=500m,memory=0", NULL},
    /* Bad input names the field and the value. */
    {"{\"containers\":[{\"resources\":{\"requests\":{\"memory\":\"8Gib\"}}}]}", NULL,
     "spec.containers[0].resources.requests[memory]: Invalid value: \"8Gib\""},
    {"{\"containers\":[{},{\"resources\":{\"limits\":{\"cpu\":\"-1\"}}}]}", NULL,
     "spec.containers[1].resources.limits[cpu]: Invalid value: \"-1\": must be greater than "
     "or equal to 0"},
    {"{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":true}}}]}", NULL,
     "spec.containers[0].resources.requests[cpu]: Invalid value: \"true\""},
    {"{\"containers\":{}}", NULL, "spec.containers: Invalid value: \"object\": must be an array"},
    {"{\"initContainers\":[{\"resources\":[]}]}", NULL,
     "spec.initContainers[0].resources: Invalid value: \"array\": must be an object"},
    {"{\"overhead\":{\"cpu\":\"x\"}}", NULL, "spec.overhead[cpu]: Invalid value: \"x\""},
    {"[]", NULL, "spec: Invalid value: \"array\": must be an object"},
};

START_TEST(test_podspec__requests)
{
    const req_case_t *c = &REQ_CASES[_i];
    rg_error_t err = {0};
    cJSON *spec = rg_json_parse(c->spec, strlen(c->spec), &err);
    ck_assert_msg(spec != NULL, "case %d: %s", _i, rg_error_str(&err));
    podspec_reqs_t r = {0};
    int rc = podspec_requests(spec, "spec", &r, &err);
    if (c->want) {
        ck_assert_msg(rc == RG_OK, "case %d: %s", _i, rg_error_str(&err));
        char *got = render(&r);
        ck_assert_msg(strcmp(got, c->want) == 0, "case %d: got %s want %s", _i, got, c->want);
        rg_free(got);
    } else {
        ck_assert_msg(rc < 0, "case %d: expected an error", _i);
        ck_assert_msg(strstr(rg_error_str(&err), c->err) != NULL, "case %d: error %s", _i,
                      rg_error_str(&err));
        ck_assert_uint_eq(r.n, 0);
    }
    podspec_reqs_release(&r);
    cJSON_Delete(spec);
}
END_TEST

START_TEST(test_podspec__list_arithmetic)
{
    podspec_reqs_t a = {0}, b = {0};
    quota_qty_t q;
    ck_assert_int_eq(quota_qty_parse("1500m", &q, NULL), 0);
    ck_assert_int_eq(podspec_reqs_add(&a, "cpu", &q, NULL), 0);
    ck_assert_int_eq(quota_qty_parse("2", &q, NULL), 0);
    ck_assert_int_eq(podspec_reqs_add(&b, "nvidia.com/gpu", &q, NULL), 0);
    ck_assert_int_eq(podspec_reqs_add(&b, "cpu", &q, NULL), 0);
    podspec_reqs_max_all(&a, &b);
    ck_assert_int_eq(podspec_reqs_scale(&a, 3, NULL), 0);
    char *got = render(&a);
    ck_assert_str_eq(got, "cpu=6,nvidia.com/gpu=6");
    rg_free(got);
    ck_assert_int_eq(podspec_reqs_add_all(&a, &b, NULL), 0);
    got = render(&a);
    ck_assert_str_eq(got, "cpu=8,nvidia.com/gpu=8");
    rg_free(got);
    ck_assert_int_lt(podspec_reqs_scale(&a, -1, NULL), 0);
    q.nano = QUOTA_QTY_MAX_NANO;
    ck_assert_int_eq(podspec_reqs_add(&b, "big", &q, NULL), 0);
    ck_assert_int_eq(podspec_reqs_scale(&b, 2, NULL), RG_ERR_RANGE);
    ck_assert_int_eq(podspec_reqs_add(&b, "big", &q, NULL), RG_ERR_RANGE);
    podspec_reqs_release(&a);
    podspec_reqs_release(&b);
}
END_TEST

typedef struct gang_case {
    const char *raycluster;
    long long want; /* -1: error */
    const char *err;
} gang_case_t;

#define GROUP(body) "{\"groupName\":\"g\"" body "}"
#define CLUSTER(extra, groups)                                                                     \
    "{\"metadata\":{" extra "},\"spec\":{\"headGroupSpec\":{},\"workerGroupSpecs\":[" groups "]}}"

static const gang_case_t GANG_CASES[] = {
    {CLUSTER("", ""), 1, NULL},
    {"{\"spec\":{}}", 1, NULL},
    {CLUSTER("", GROUP(",\"replicas\":4")), 5, NULL},
    /* Clamped to [minReplicas, maxReplicas]; absent replicas read as minReplicas. */
    {CLUSTER("", GROUP(",\"replicas\":1,\"minReplicas\":2,\"maxReplicas\":5")), 3, NULL},
    {CLUSTER("", GROUP(",\"replicas\":9,\"minReplicas\":2,\"maxReplicas\":5")), 6, NULL},
    {CLUSTER("", GROUP(",\"minReplicas\":3")), 4, NULL},
    /* numOfHosts multiplies (multi-host TPU/GPU slices). */
    {CLUSTER("", GROUP(",\"replicas\":2,\"numOfHosts\":4")), 9, NULL},
    /* A suspended group runs nothing. */
    {CLUSTER("", GROUP(",\"replicas\":2,\"suspend\":true") "," GROUP(",\"replicas\":3")), 4, NULL},
    /* Autoscaling gangs start at minReplicas. */
    {"{\"spec\":{\"enableInTreeAutoscaling\":true,\"workerGroupSpecs\":[" GROUP(
         ",\"replicas\":5,\"minReplicas\":1,\"maxReplicas\":8") "]}}",
     2, NULL},
    /* The annotation overrides. */
    {CLUSTER("\"annotations\":{\"raygate.dev/gang-size\":\"3\"}", GROUP(",\"replicas\":8")), 3,
     NULL},
    {CLUSTER("\"annotations\":{\"raygate.dev/gang-size\":\"0\"}", ""), -1,
     "metadata.annotations[raygate.dev/gang-size]: Invalid value: \"0\""},
    {CLUSTER("\"annotations\":{\"raygate.dev/gang-size\":\"2x\"}", ""), -1, "\"2x\""},
    {CLUSTER("", GROUP(",\"replicas\":\"2\"")), -1,
     "spec.workerGroupSpecs[0].replicas: Invalid value: \"string\": must be an integer"},
    {CLUSTER("", GROUP(",\"replicas\":1.5")), -1, "spec.workerGroupSpecs[0].replicas"},
    {CLUSTER("", GROUP(",\"replicas\":1000,\"numOfHosts\":1001")), -1,
     "spec.workerGroupSpecs[0]: Invalid value: 1001000 pods"},
    {CLUSTER("", GROUP(",\"numOfHosts\":-1,\"replicas\":1")), -1, "must not be negative"},
    {"{\"spec\":{\"workerGroupSpecs\":{}}}", -1, "must be an array"},
};

START_TEST(test_gang__size)
{
    const gang_case_t *c = &GANG_CASES[_i];
    rg_error_t err = {0};
    cJSON *rc_obj = rg_json_parse(c->raycluster, strlen(c->raycluster), &err);
    ck_assert_msg(rc_obj != NULL, "case %d: %s", _i, rg_error_str(&err));
    int64_t n = -7;
    int rc = gang_raycluster_size(rc_obj, &n, &err);
    if (c->want >= 0) {
        ck_assert_msg(rc == RG_OK, "case %d: %s", _i, rg_error_str(&err));
        ck_assert_msg(n == c->want, "case %d: got %lld want %lld", _i, (long long)n, c->want);
    } else {
        ck_assert_msg(rc < 0, "case %d: expected an error", _i);
        ck_assert_msg(strstr(rg_error_str(&err), c->err) != NULL, "case %d: error %s", _i,
                      rg_error_str(&err));
    }
    cJSON_Delete(rc_obj);
}
END_TEST

typedef struct match_case {
    const char *spec;
    const char *labels;
    bool flavor_keys; /* filter to the keys "gpu" and "zone" */
    bool want;
} match_case_t;

#define TERMS(t)                                                                                   \
    "{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"         \
    "{\"nodeSelectorTerms\":[" t "]}}}}"
#define EXPR(k, op, vals) "{\"key\":\"" k "\",\"operator\":\"" op "\"" vals "}"

static const match_case_t MATCH_CASES[] = {
    {"{}", "{}", false, true},
    {"{\"nodeSelector\":{\"gpu\":\"a100\"}}", "{\"gpu\":\"a100\",\"x\":\"y\"}", false, true},
    {"{\"nodeSelector\":{\"gpu\":\"a100\"}}", "{\"gpu\":\"h100\"}", false, false},
    {"{\"nodeSelector\":{\"gpu\":\"a100\"}}", "{}", false, false},
    /* Keys the flavor does not define do not count. */
    {"{\"nodeSelector\":{\"other\":\"x\",\"gpu\":\"a100\"}}", "{\"gpu\":\"a100\"}", true, true},
    {"{\"nodeSelector\":{\"other\":\"x\"}}", "{\"gpu\":\"a100\"}", false, false},
    /* Terms are ORed, expressions ANDed. */
    {TERMS("{\"matchExpressions\":[" EXPR("gpu", "In", ",\"values\":[\"a\",\"b\"]") "]}"),
     "{\"gpu\":\"b\"}", false, true},
    {TERMS("{\"matchExpressions\":[" EXPR("gpu", "In", ",\"values\":[\"a\"]") "," EXPR(
         "zone", "Exists", "") "]}"),
     "{\"gpu\":\"a\"}", false, false},
    {TERMS("{\"matchExpressions\":[" EXPR(
         "gpu", "In", ",\"values\":[\"a\"]") "]},"
                                             "{\"matchExpressions\":[" EXPR("zone", "Exists",
                                                                            "") "]}"),
     "{\"zone\":\"z1\"}", false, true},
    {TERMS("{\"matchExpressions\":[" EXPR("gpu", "NotIn", ",\"values\":[\"a\"]") "]}"), "{}", false,
     true},
    {TERMS("{\"matchExpressions\":[" EXPR("gpu", "DoesNotExist", "") "]}"), "{\"gpu\":\"a\"}",
     false, false},
    {TERMS("{\"matchExpressions\":[" EXPR("mem", "Gt", ",\"values\":[\"40\"]") "]}"),
     "{\"mem\":\"80\"}", false, true},
    {TERMS("{\"matchExpressions\":[" EXPR("mem", "Lt", ",\"values\":[\"40\"]") "]}"),
     "{\"mem\":\"80\"}", false, false},
    {TERMS("{\"matchExpressions\":[" EXPR("mem", "Gt", ",\"values\":[\"x\"]") "]}"),
     "{\"mem\":\"80\"}", false, false},
    /* An empty term matches nothing in kube-scheduler ... */
    {TERMS("{\"matchExpressions\":[]}"), "{\"gpu\":\"a\"}", false, false},
    /* ... while a term emptied by Kueue's key filter drops the whole affinity. */
    {TERMS("{\"matchExpressions\":[" EXPR(
         "other", "In", ",\"values\":[\"q\"]") "]},"
                                               "{\"matchExpressions\":[" EXPR(
                                                   "gpu", "In", ",\"values\":[\"zz\"]") "]}"),
     "{\"gpu\":\"a\"}", true, true},
};

static bool flavor_keys(const char *key, void *arg)
{
    (void)arg;
    return strcmp(key, "gpu") == 0 || strcmp(key, "zone") == 0;
}

START_TEST(test_podspec__node_matches)
{
    const match_case_t *c = &MATCH_CASES[_i];
    cJSON *spec = rg_json_parse(c->spec, strlen(c->spec), NULL);
    cJSON *labels = rg_json_parse(c->labels, strlen(c->labels), NULL);
    ck_assert_ptr_nonnull(spec);
    ck_assert_ptr_nonnull(labels);
    bool got = podspec_node_matches(spec, labels, c->flavor_keys ? flavor_keys : NULL, NULL);
    ck_assert_msg(got == c->want, "case %d: got %d", _i, got);
    cJSON_Delete(spec);
    cJSON_Delete(labels);
}
END_TEST

typedef struct taint_case {
    const char *taints;
    const char *tolerations;
    int want; /* index of the untolerated taint, -1 when all are tolerated */
} taint_case_t;

static const taint_case_t TAINT_CASES[] = {
    {"[]", "[]", -1},
    {"[{\"key\":\"gpu\",\"value\":\"true\",\"effect\":\"NoSchedule\"}]", "[]", 0},
    {"[{\"key\":\"gpu\",\"effect\":\"PreferNoSchedule\"}]", "[]", -1},
    {"[{\"key\":\"gpu\",\"value\":\"true\",\"effect\":\"NoSchedule\"}]",
     "[{\"key\":\"gpu\",\"operator\":\"Equal\",\"value\":\"true\",\"effect\":\"NoSchedule\"}]", -1},
    {"[{\"key\":\"gpu\",\"value\":\"true\",\"effect\":\"NoSchedule\"}]",
     "[{\"key\":\"gpu\",\"value\":\"false\"}]", 0},
    {"[{\"key\":\"gpu\",\"value\":\"true\",\"effect\":\"NoExecute\"}]",
     "[{\"key\":\"gpu\",\"operator\":\"Exists\"}]", -1},
    {"[{\"key\":\"a\",\"effect\":\"NoSchedule\"},{\"key\":\"b\",\"effect\":\"NoExecute\"}]",
     "[{\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]", 1},
    {"[{\"key\":\"a\",\"effect\":\"NoSchedule\"}]", "[{\"operator\":\"Exists\"}]", -1},
    {"[{\"key\":\"a\",\"effect\":\"NoSchedule\"}]",
     "[{\"key\":\"a\",\"effect\":\"NoExecute\",\"operator\":\"Exists\"}]", 0},
};

START_TEST(test_podspec__taints)
{
    const taint_case_t *c = &TAINT_CASES[_i];
    cJSON *taints = rg_json_parse(c->taints, strlen(c->taints), NULL);
    cJSON *tols = rg_json_parse(c->tolerations, strlen(c->tolerations), NULL);
    const cJSON *got = podspec_untolerated_taint(taints, NULL, tols);
    const cJSON *want = c->want >= 0 ? cJSON_GetArrayItem(taints, c->want) : NULL;
    ck_assert_msg(got == want, "case %d", _i);
    /* Either list may hold the toleration. */
    ck_assert_msg(podspec_untolerated_taint(taints, tols, NULL) == want, "case %d swapped", _i);
    cJSON_Delete(taints);
    cJSON_Delete(tols);
}
END_TEST

static Suite *podspec_suite(void)
{
    Suite *s = suite_create("podspec");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_podspec__requests, 0, sizeof(REQ_CASES) / sizeof(REQ_CASES[0]));
    tcase_add_test(tc, test_podspec__list_arithmetic);
    tcase_add_loop_test(tc, test_podspec__node_matches, 0,
                        sizeof(MATCH_CASES) / sizeof(MATCH_CASES[0]));
    tcase_add_loop_test(tc, test_podspec__taints, 0, sizeof(TAINT_CASES) / sizeof(TAINT_CASES[0]));
    tcase_add_loop_test(tc, test_gang__size, 0, sizeof(GANG_CASES) / sizeof(GANG_CASES[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(podspec_suite());
}

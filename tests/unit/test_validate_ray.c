/*
 * Unit tests for webhooks/raycluster_validate.c and rayjob_validate.c: each
 * case edits a valid base object (tests/fixtures/validate_ray/) and asserts
 * the exact rendered field errors; the seed's RayClusters must pass once
 * queued.
 */
#include "raygate/alloc.h"
#include "raygate/validate.h"

#include <check.h>

#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL "metadata.labels[kueue.x-k8s.io/queue-name]"
#define DNS_MSG                                                                                    \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "      \
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "          \
    "regex used for validation is "                                                                \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define AUTOSCALING ": Invalid value: true: a kueue managed job should not use autoscaling"
#define HEAD_FORBIDDEN ": Forbidden: \"head\" is reserved for the head group"
#define GE_MIN ": must be greater than or equal to `minReplicas`"
#define LE_MAX ": must be less than or equal to `maxReplicas`"
#define GE_0 ": must be greater than or equal to 0"
#define IMMUTABLE ": field is immutable"
#define SHUTDOWN                                                                                   \
    "spec.shutdownAfterJobFinishes: Invalid value: false: a kueue managed job should delete "      \
    "the cluster after finishing"

static cJSON *load(const char *name)
{
    size_t len = 0;
    char *text = rgt_fixture_read("validate_ray", name, &len);
    rg_error_t err = {0};
    cJSON *obj = rg_json_parse(text, len, &err);
    rg_free(text);
    ck_assert_msg(obj != NULL, "fixture %s: %s", name, rg_error_str(&err));
    return obj;
}

/*
 * Applies one edit: "path=json" sets, "-path" deletes. A path is keys
 * separated by '.', "[N]" for an array index and "[text]" for a map key
 * holding dots (a label name). Missing objects on the way are created.
 */
static void apply_edit(cJSON *root, const char *edit)
{
    bool del = edit[0] == '-';
    const char *p = del ? edit + 1 : edit;
    const char *eq = del ? NULL : strchr(p, '=');
    const char *end = eq ? eq : p + strlen(p);
    cJSON *node = root;
    while (p < end) {
        char key[256];
        bool is_index = false;
        size_t n;
        if (*p == '[') {
            const char *close = memchr(p, ']', (size_t)(end - p));
            ck_assert_msg(close != NULL, "bad edit %s", edit);
            n = (size_t)(close - p - 1);
            memcpy(key, p + 1, n);
            key[n] = '\0';
            is_index = key[0] >= '0' && key[0] <= '9';
            p = close + 1;
        } else {
            n = strcspn(p, ".[=");
            if (p + n > end)
                n = (size_t)(end - p);
            memcpy(key, p, n);
            key[n] = '\0';
            p += n;
        }
        if (*p == '.')
            p++;
        bool last = p >= end;
        if (last) {
            cJSON *value = NULL;
            if (!del) {
                value = cJSON_Parse(eq + 1);
                ck_assert_msg(value != NULL, "bad edit value %s", edit);
            }
            if (is_index) {
                int i = atoi(key);
                if (del)
                    cJSON_DeleteItemFromArray(node, i);
                else if (i < cJSON_GetArraySize(node))
                    cJSON_ReplaceItemInArray(node, i, value);
                else
                    cJSON_AddItemToArray(node, value);
            } else {
                cJSON_DeleteItemFromObjectCaseSensitive(node, key);
                if (!del)
                    cJSON_AddItemToObject(node, key, value);
            }
            return;
        }
        cJSON *next = is_index ? cJSON_GetArrayItem(node, atoi(key))
                               : cJSON_GetObjectItemCaseSensitive(node, key);
        if (next == NULL) {
            ck_assert_msg(!is_index, "edit %s: no such index", edit);
            next = cJSON_AddObjectToObject(node, key);
        }
        node = next;
    }
}

/* Grows the worker groups at path (an array) to n, copying the first. */
static void grow_groups(cJSON *root, bool rayjob, int n)
{
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(root, "spec");
    if (rayjob)
        spec = cJSON_GetObjectItemCaseSensitive(spec, "rayClusterSpec");
    cJSON *groups = cJSON_GetObjectItemCaseSensitive(spec, "workerGroupSpecs");
    cJSON *first = cJSON_GetArrayItem(groups, 0);
    for (int i = cJSON_GetArraySize(groups); i < n; i++) {
        cJSON *g = cJSON_Duplicate(first, true);
        char name[32];
        snprintf(name, sizeof(name), "g%d", i);
        cJSON_ReplaceItemInObjectCaseSensitive(g, "groupName", cJSON_CreateString(name));
        cJSON_AddItemToArray(groups, g);
    }
}

/* Runs the validator and renders its errors, one per line. Owned. */
static char *render(const cJSON *obj, const cJSON *old, bool rayjob)
{
    wh_vctx_t ctx = {
        .operation = old ? ADM_OP_UPDATE : ADM_OP_CREATE,
        .sub_resource = "",
        .api = WH_API_RAY_V1,
        .cluster = NULL,
    };
    field_errors_t errs = FIELD_ERRORS_INIT;
    wh_warnings_t warns = WH_WARNINGS_INIT;
    if (rayjob)
        wh_rayjob_validate(&ctx, obj, old, &errs, &warns);
    else
        wh_raycluster_validate(&ctx, obj, old, &errs, &warns);
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_append_str(&b, "");
    for (size_t i = 0; i < errs.n; i++) {
        if (i)
            rg_buf_append_char(&b, '\n');
        field_error_format(&errs.items[i], &b);
    }
    ck_assert_uint_eq(warns.n, 0);
    field_errors_release(&errs);
    wh_warnings_release(&warns);
    return rg_buf_detach(&b, NULL);
}

typedef struct ray_case {
    const char *name;
    bool rayjob;
    int groups;               /* grow worker groups to this many; 0 = keep */
    const char *edits[5];     /* on the new object */
    bool update;              /* validate as UPDATE against old */
    const char *old_edits[4]; /* on the old object (a copy of the base) */
    const char *want;         /* rendered errors joined by '\n'; "" = allowed */
} ray_case_t;

#define RC false
#define RJ true
#define UNQUEUE "-metadata.labels[kueue.x-k8s.io/queue-name]"
#define SUSPEND "spec.suspend=true"

/* One case per entry reads better than the formatter's layout. */
/* clang-format off */
static const ray_case_t CASES[] = {
    /* ---- RayCluster: queued or not ---- */
    {"rc valid", RC, 0, {NULL}, false, {NULL}, ""},
    {"rc unqueued: no rules", RC, 18,
     {UNQUEUE, "spec.enableInTreeAutoscaling=true", "spec.workerGroupSpecs[1].groupName=\"head\""},
     false, {NULL}, ""},
    {"rc empty queue label: not queued", RC, 0,
     {LABEL "=\"\"", "spec.enableInTreeAutoscaling=true"}, false, {NULL}, ""},
    {"rc queue name with dots", RC, 0, {LABEL "=\"ray.queue-1\""}, false, {NULL}, ""},
    {"rc queue name not a subdomain", RC, 0, {LABEL "=\"Ray_Queue\""}, false, {NULL},
     LABEL ": Invalid value: \"Ray_Queue\": " DNS_MSG},
    {"rc queue name trailing dash", RC, 0, {LABEL "=\"ray-\""}, false, {NULL},
     LABEL ": Invalid value: \"ray-\": " DNS_MSG},
    /* ---- autoscaling ---- */
    {"rc autoscaling on", RC, 0, {"spec.enableInTreeAutoscaling=true"}, false, {NULL},
     "spec.enableInTreeAutoscaling" AUTOSCALING},
    {"rc autoscaling off", RC, 0, {"spec.enableInTreeAutoscaling=false"}, false, {NULL}, ""},
    {"rc autoscaling null", RC, 0, {"spec.enableInTreeAutoscaling=null"}, false, {NULL}, ""},
    /* ---- pod sets ---- */
    {"rc 17 worker groups (18 pod sets)", RC, 17, {NULL}, false, {NULL}, ""},
    {"rc 18 worker groups", RC, 18, {NULL}, false, {NULL},
     "spec.workerGroupSpecs: Too many: 18: must have at most 17 items"},
    {"rc 25 worker groups", RC, 25, {NULL}, false, {NULL},
     "spec.workerGroupSpecs: Too many: 25: must have at most 17 items"},
    {"rc no worker groups", RC, 0, {"-spec.workerGroupSpecs"}, false, {NULL}, ""},
    {"rc empty worker groups", RC, 0, {"spec.workerGroupSpecs=[]"}, false, {NULL}, ""},
    {"rc worker groups not a list", RC, 0, {"spec.workerGroupSpecs={}"}, false, {NULL},
     "spec.workerGroupSpecs: Invalid value: {}: must be a list"},
    /* ---- group names ---- */
    {"rc group named head", RC, 0, {"spec.workerGroupSpecs[1].groupName=\"head\""}, false,
     {NULL}, "spec.workerGroupSpecs[1].groupName" HEAD_FORBIDDEN},
    {"rc group named headless", RC, 0, {"spec.workerGroupSpecs[1].groupName=\"headless\""},
     false, {NULL}, ""},
    {"rc duplicate group name", RC, 0, {"spec.workerGroupSpecs[1].groupName=\"small\""}, false,
     {NULL}, "spec.workerGroupSpecs[1].groupName: Duplicate value: \"small\""},
    {"rc group name missing", RC, 0, {"-spec.workerGroupSpecs[0].groupName"}, false, {NULL},
     "spec.workerGroupSpecs[0].groupName: Required value"},
    {"rc two groups named head", RC, 0,
     {"spec.workerGroupSpecs[0].groupName=\"head\"", "spec.workerGroupSpecs[1].groupName=\"head\""},
     false, {NULL},
     "spec.workerGroupSpecs[0].groupName" HEAD_FORBIDDEN "\n"
     "spec.workerGroupSpecs[1].groupName" HEAD_FORBIDDEN},
    /* ---- replicas ---- */
    {"rc minReplicas 0", RC, 0, {"spec.workerGroupSpecs[0].minReplicas=0"}, false, {NULL}, ""},
    {"rc minReplicas -1", RC, 0, {"spec.workerGroupSpecs[0].minReplicas=-1"}, false, {NULL},
     "spec.workerGroupSpecs[0].minReplicas: Invalid value: -1" GE_0},
    {"rc maxReplicas -1", RC, 0, {"spec.workerGroupSpecs[0].maxReplicas=-1"}, false, {NULL},
     "spec.workerGroupSpecs[0].maxReplicas: Invalid value: -1" GE_0},
    {"rc all zero", RC, 0,
     {"spec.workerGroupSpecs[0].minReplicas=0", "spec.workerGroupSpecs[0].maxReplicas=0",
      "spec.workerGroupSpecs[0].replicas=0"},
     false, {NULL}, ""},
    {"rc min above max", RC, 0, {"spec.workerGroupSpecs[0].minReplicas=4"}, false, {NULL},
     "spec.workerGroupSpecs[0].maxReplicas: Invalid value: 3" GE_MIN},
    {"rc min equals max equals replicas", RC, 0,
     {"spec.workerGroupSpecs[0].minReplicas=3", "spec.workerGroupSpecs[0].replicas=3"}, false,
     {NULL}, ""},
    {"rc replicas at max", RC, 0, {"spec.workerGroupSpecs[0].replicas=3"}, false, {NULL}, ""},
    {"rc replicas above max", RC, 0, {"spec.workerGroupSpecs[0].replicas=5"}, false, {NULL},
     "spec.workerGroupSpecs[0].replicas: Invalid value: 5" LE_MAX},
    {"rc replicas below min", RC, 0, {"spec.workerGroupSpecs[0].replicas=0"}, false, {NULL},
     "spec.workerGroupSpecs[0].replicas: Invalid value: 0" GE_MIN},
    {"rc replicas negative", RC, 0, {"spec.workerGroupSpecs[1].replicas=-1"}, false, {NULL},
     "spec.workerGroupSpecs[1].replicas: Invalid value: -1" GE_0},
    {"rc replicas absent", RC, 0, {"-spec.workerGroupSpecs[0].replicas"}, false, {NULL}, ""},
    {"rc no bounds: KubeRay defaults", RC, 0,
     {"-spec.workerGroupSpecs[0].minReplicas", "-spec.workerGroupSpecs[0].maxReplicas",
      "spec.workerGroupSpecs[0].replicas=100"},
     false, {NULL}, ""},
    {"rc only minReplicas", RC, 0,
     {"-spec.workerGroupSpecs[0].maxReplicas", "spec.workerGroupSpecs[0].minReplicas=5",
      "spec.workerGroupSpecs[0].replicas=2"},
     false, {NULL}, "spec.workerGroupSpecs[0].replicas: Invalid value: 2" GE_MIN},
    {"rc replicas a string", RC, 0, {"spec.workerGroupSpecs[0].replicas=\"3\""}, false, {NULL},
     "spec.workerGroupSpecs[0].replicas: Invalid value: \"3\": must be a 32-bit integer"},
    {"rc replicas a fraction", RC, 0, {"spec.workerGroupSpecs[0].replicas=1.5"}, false, {NULL},
     "spec.workerGroupSpecs[0].replicas: Invalid value: 1.5: must be a 32-bit integer"},
    {"rc maxReplicas past int32", RC, 0, {"spec.workerGroupSpecs[0].maxReplicas=3000000000"},
     false, {NULL},
     "spec.workerGroupSpecs[0].maxReplicas: Invalid value: 3000000000: must be a 32-bit integer"},
    {"rc maxReplicas int32 max", RC, 0, {"spec.workerGroupSpecs[0].maxReplicas=2147483647"},
     false, {NULL}, ""},
    /* ---- numOfHosts ---- */
    {"rc numOfHosts 1", RC, 0, {"spec.workerGroupSpecs[1].numOfHosts=1"}, false, {NULL}, ""},
    {"rc numOfHosts 4", RC, 0, {"spec.workerGroupSpecs[1].numOfHosts=4"}, false, {NULL}, ""},
    {"rc numOfHosts 0", RC, 0, {"spec.workerGroupSpecs[1].numOfHosts=0"}, false, {NULL},
     "spec.workerGroupSpecs[1].numOfHosts: Invalid value: 0: must be greater than or equal to 1"},
    /* ---- containers ---- */
    {"rc head without containers", RC, 0,
     {"spec.headGroupSpec.template.spec.containers=[]"}, false, {NULL},
     "spec.headGroupSpec.template.spec.containers: Required value"},
    {"rc head without template", RC, 0, {"-spec.headGroupSpec.template"}, false, {NULL},
     "spec.headGroupSpec.template.spec.containers: Required value"},
    {"rc no head group", RC, 0, {"-spec.headGroupSpec"}, false, {NULL},
     "spec.headGroupSpec: Required value"},
    {"rc worker without containers", RC, 0,
     {"-spec.workerGroupSpecs[1].template.spec.containers"}, false, {NULL},
     "spec.workerGroupSpecs[1].template.spec.containers: Required value"},
    {"rc every violation at once", RC, 0,
     {"spec.enableInTreeAutoscaling=true", "spec.headGroupSpec.template.spec.containers=[]",
      "spec.workerGroupSpecs[1].groupName=\"small\"", "spec.workerGroupSpecs[1].numOfHosts=0",
      LABEL "=\"Q\""},
     false, {NULL},
     "spec.enableInTreeAutoscaling" AUTOSCALING "\n"
     "spec.headGroupSpec.template.spec.containers: Required value\n"
     "spec.workerGroupSpecs[1].groupName: Duplicate value: \"small\"\n"
     "spec.workerGroupSpecs[1].numOfHosts: Invalid value: 0: must be greater than or equal to 1\n"
     LABEL ": Invalid value: \"Q\": " DNS_MSG},
    /* ---- UPDATE: the queue label ---- */
    {"rc update queue changed while running", RC, 0, {LABEL "=\"other\""}, true, {NULL},
     LABEL ": Invalid value: \"other\"" IMMUTABLE},
    {"rc update queue changed while suspended", RC, 0, {LABEL "=\"other\"", SUSPEND}, true,
     {SUSPEND}, ""},
    {"rc update queue changed while being unsuspended", RC, 0, {LABEL "=\"other\""}, true,
     {SUSPEND}, LABEL ": Invalid value: \"other\"" IMMUTABLE},
    {"rc update queue changed while being suspended", RC, 0, {LABEL "=\"other\"", SUSPEND}, true,
     {NULL}, LABEL ": Invalid value: \"other\"" IMMUTABLE},
    {"rc update queue changed, suspend false", RC, 0,
     {LABEL "=\"other\"", "spec.suspend=false"}, true, {"spec.suspend=false"},
     LABEL ": Invalid value: \"other\"" IMMUTABLE},
    {"rc update queue removed while running", RC, 0, {UNQUEUE}, true, {NULL},
     LABEL ": Invalid value: \"\"" IMMUTABLE},
    {"rc update queue removed while suspended: no rules", RC, 0,
     {UNQUEUE, SUSPEND, "spec.enableInTreeAutoscaling=true"}, true, {SUSPEND}, ""},
    {"rc update queue added while running", RC, 0, {NULL}, true, {UNQUEUE},
     LABEL ": Invalid value: \"ray-queue\"" IMMUTABLE},
    {"rc update unchanged queue, scaled", RC, 0, {"spec.workerGroupSpecs[0].replicas=2"}, true,
     {NULL}, ""},
    {"rc update both unqueued", RC, 0, {UNQUEUE, "spec.enableInTreeAutoscaling=true"}, true,
     {UNQUEUE}, ""},
    {"rc update: immutability first, then the spec", RC, 0,
     {LABEL "=\"other\"", "spec.enableInTreeAutoscaling=true"}, true, {NULL},
     LABEL ": Invalid value: \"other\"" IMMUTABLE "\n"
     "spec.enableInTreeAutoscaling" AUTOSCALING},

    /* ---- RayJob ---- */
    {"rj valid", RJ, 0, {NULL}, false, {NULL}, ""},
    {"rj unqueued: no rules", RJ, 0, {UNQUEUE, "spec.shutdownAfterJobFinishes=false"}, false,
     {NULL}, ""},
    {"rj shutdownAfterJobFinishes false", RJ, 0, {"spec.shutdownAfterJobFinishes=false"}, false,
     {NULL}, SHUTDOWN},
    {"rj shutdownAfterJobFinishes absent", RJ, 0, {"-spec.shutdownAfterJobFinishes"}, false,
     {NULL}, SHUTDOWN},
    {"rj selector with cluster spec", RJ, 0,
     {"spec.clusterSelector={\"ray.io/cluster\":\"shared\"}", "spec.shutdownAfterJobFinishes=false"},
     false, {NULL},
     "spec.clusterSelector: Invalid value: {\"ray.io/cluster\":\"shared\"}: a kueue managed job "
     "should not use an existing cluster"},
    {"rj selector alone: not managed", RJ, 0,
     {"spec.clusterSelector={\"ray.io/cluster\":\"shared\"}", "-spec.rayClusterSpec",
      "-spec.shutdownAfterJobFinishes"},
     false, {NULL}, ""},
    {"rj neither selector nor cluster spec", RJ, 0, {"-spec.rayClusterSpec"}, false, {NULL},
     "spec.rayClusterSpec: Required value: rayClusterSpec is required for Kueue-managed jobs "
     "that don't use clusterSelector"},
    {"rj empty selector and null cluster spec", RJ, 0,
     {"spec.clusterSelector={}", "spec.rayClusterSpec=null"}, false, {NULL},
     "spec.rayClusterSpec: Required value: rayClusterSpec is required for Kueue-managed jobs "
     "that don't use clusterSelector"},
    {"rj empty selector with cluster spec", RJ, 0, {"spec.clusterSelector={}"}, false, {NULL},
     ""},
    {"rj cluster autoscaling", RJ, 0, {"spec.rayClusterSpec.enableInTreeAutoscaling=true"}, false,
     {NULL}, "spec.rayClusterSpec.enableInTreeAutoscaling" AUTOSCALING},
    {"rj cluster group named head", RJ, 0,
     {"spec.rayClusterSpec.workerGroupSpecs[0].groupName=\"head\""}, false, {NULL},
     "spec.rayClusterSpec.workerGroupSpecs[0].groupName" HEAD_FORBIDDEN},
    {"rj cluster duplicate group", RJ, 0,
     {"spec.rayClusterSpec.workerGroupSpecs[1]={\"groupName\":\"workers\",\"template\":{\"spec\":"
      "{\"containers\":[{\"name\":\"w\"}]}}}"},
     false, {NULL},
     "spec.rayClusterSpec.workerGroupSpecs[1].groupName: Duplicate value: \"workers\""},
    {"rj cluster min above max", RJ, 0,
     {"spec.rayClusterSpec.workerGroupSpecs[0].minReplicas=5"}, false, {NULL},
     "spec.rayClusterSpec.workerGroupSpecs[0].maxReplicas: Invalid value: 4" GE_MIN},
    {"rj cluster replicas above max", RJ, 0,
     {"spec.rayClusterSpec.workerGroupSpecs[0].replicas=9"}, false, {NULL},
     "spec.rayClusterSpec.workerGroupSpecs[0].replicas: Invalid value: 9" LE_MAX},
    {"rj cluster numOfHosts 0", RJ, 0,
     {"spec.rayClusterSpec.workerGroupSpecs[0].numOfHosts=0"}, false, {NULL},
     "spec.rayClusterSpec.workerGroupSpecs[0].numOfHosts: Invalid value: 0: must be greater "
     "than or equal to 1"},
    {"rj cluster head without containers", RJ, 0,
     {"-spec.rayClusterSpec.headGroupSpec.template.spec.containers"}, false, {NULL},
     "spec.rayClusterSpec.headGroupSpec.template.spec.containers: Required value"},
    {"rj cluster 17 groups", RJ, 17, {NULL}, false, {NULL}, ""},
    {"rj cluster 18 groups", RJ, 18, {NULL}, false, {NULL},
     "spec.rayClusterSpec.workerGroupSpecs: Too many: 18: must have at most 17 items"},
    {"rj cluster spec not an object", RJ, 0, {"spec.rayClusterSpec=\"x\""}, false, {NULL},
     "spec.rayClusterSpec: Invalid value: \"x\": must be an object"},
    {"rj bad queue name after the spec rules", RJ, 0,
     {"spec.shutdownAfterJobFinishes=false", LABEL "=\"a_b\""}, false, {NULL},
     SHUTDOWN "\n" LABEL ": Invalid value: \"a_b\": " DNS_MSG},
    {"rj selector conflict and bad queue name", RJ, 0,
     {"spec.clusterSelector={\"ray.io/cluster\":\"c\"}", LABEL "=\"a_b\""}, false, {NULL},
     "spec.clusterSelector: Invalid value: {\"ray.io/cluster\":\"c\"}: a kueue managed job "
     "should not use an existing cluster\n" LABEL ": Invalid value: \"a_b\": " DNS_MSG},
    {"rj update queue changed while running", RJ, 0, {LABEL "=\"other\""}, true, {NULL},
     LABEL ": Invalid value: \"other\"" IMMUTABLE},
    {"rj update queue changed while suspended", RJ, 0, {LABEL "=\"other\"", SUSPEND}, true,
     {SUSPEND}, ""},
    {"rj update queue removed while running", RJ, 0, {UNQUEUE}, true, {NULL},
     LABEL ": Invalid value: \"\"" IMMUTABLE},
    {"rj update unsuspend with same queue", RJ, 0, {NULL}, true, {SUSPEND}, ""},
};
/* clang-format on */

#define N_CASES ((int)(sizeof(CASES) / sizeof(CASES[0])))

START_TEST(test_validate_ray__rules)
{
    const ray_case_t *c = &CASES[_i];
    const char *base = c->rayjob ? "base-rayjob.json" : "base-raycluster.json";
    cJSON *obj = load(base);
    if (c->groups)
        grow_groups(obj, c->rayjob, c->groups);
    for (size_t i = 0; i < 5 && c->edits[i]; i++)
        apply_edit(obj, c->edits[i]);
    cJSON *old = NULL;
    if (c->update) {
        old = load(base);
        for (size_t i = 0; i < 4 && c->old_edits[i]; i++)
            apply_edit(old, c->old_edits[i]);
    }
    char *got = render(obj, old, c->rayjob);
    ck_assert_msg(strcmp(got, c->want) == 0, "case \"%s\":\n got: %s\nwant: %s", c->name, got,
                  c->want);
    rg_free(got);
    cJSON_Delete(obj);
    cJSON_Delete(old);
}
END_TEST

static const char *const SEEDS[] = {
    "seed-raycluster-ray-cluster.json",          "seed-raycluster-ai-training-cluster.json",
    "seed-raycluster-auto-scaling-cluster.json", "seed-raycluster-high-availability-cluster.json",
    "seed-raycluster-resilient-cluster.json",
};

/* The seed's RayClusters as written, and again once given a queue label. */
START_TEST(test_validate_ray__seed_clusters_valid)
{
    cJSON *obj = load(SEEDS[_i]);
    char *got = render(obj, NULL, false);
    ck_assert_msg(strcmp(got, "") == 0, "%s as written: %s", SEEDS[_i], got);
    rg_free(got);
    if (cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                             "labels"),
            "kueue.x-k8s.io/queue-name") == NULL)
        apply_edit(obj, LABEL "=\"ray-queue\"");
    got = render(obj, NULL, false);
    ck_assert_msg(strcmp(got, "") == 0, "%s queued: %s", SEEDS[_i], got);
    rg_free(got);
    /* Re-saving it unchanged is an allowed UPDATE too. */
    cJSON *old = cJSON_Duplicate(obj, true);
    got = render(obj, old, false);
    ck_assert_msg(strcmp(got, "") == 0, "%s update: %s", SEEDS[_i], got);
    rg_free(got);
    cJSON_Delete(old);
    cJSON_Delete(obj);
}
END_TEST

/* The seed's ai-training-cluster: replicas 3 within minReplicas 1 and
 * maxReplicas 10, and queued by its own label. */
START_TEST(test_validate_ray__seed_ai_training_cluster_bounds)
{
    cJSON *obj = load("seed-raycluster-ai-training-cluster.json");
    const cJSON *g = cJSON_GetArrayItem(rg_json_path(obj, "spec", "workerGroupSpecs", NULL), 0);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(g, "replicas")->valueint, 3);
    ck_assert_str_eq(rg_json_get_string(rg_json_path(obj, "metadata", "labels", NULL),
                                        "kueue.x-k8s.io/queue-name"),
                     "ray-queue");
    apply_edit(obj, "spec.workerGroupSpecs[0].replicas=11");
    char *got = render(obj, NULL, false);
    ck_assert_str_eq(got, "spec.workerGroupSpecs[0].replicas: Invalid value: 11" LE_MAX);
    rg_free(got);
    cJSON_Delete(obj);
}
END_TEST

static Suite *validate_ray_suite(void)
{
    Suite *s = suite_create("validate_ray");
    TCase *tc = tcase_create("rules");
    tcase_add_loop_test(tc, test_validate_ray__rules, 0, N_CASES);
    suite_add_tcase(s, tc);
    tc = tcase_create("seed");
    tcase_add_loop_test(tc, test_validate_ray__seed_clusters_valid, 0,
                        (int)(sizeof(SEEDS) / sizeof(SEEDS[0])));
    tcase_add_test(tc, test_validate_ray__seed_ai_training_cluster_bounds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(validate_ray_suite());
}

/*
 * Unit tests for webhooks/raycluster_validate.c and rayjob_validate.c: each
 * case edits a valid base object (tests/fixtures/validate_ray/) and asserts
 * the exact rendered field errors; the seed's RayClusters must pass once
 * queued.
 */
#include "raygate/alloc.h"
#include "raygate/validate.h"
#include "raygate/webhooks.h"

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
#define AUTOSCALING                                                                                \
    ": Invalid value: true: a kueue-managed RayCluster can use autoscaling only as an elastic "    \
    "job: enable the ElasticJobsViaWorkloadSlices feature gate and set the "                       \
    "\"kueue.x-k8s.io/elastic-job\": \"true\" annotation"
#define RJ_AUTOSCALING                                                                             \
    ": Invalid value: true: a kueue managed job should only use autoscaling when workload "        \
    "slicing is enabled"
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

/* Runs the validator (with the cluster view, a JSON array or NULL) and
 * renders its errors, one per line. Owned. */
static char *render_in(const cJSON *obj, const cJSON *old, bool rayjob, const char *view)
{
    cJSON *view_json = view ? cJSON_Parse(view) : NULL;
    wh_cluster_t cluster = rgt_array_cluster(view_json);
    wh_vctx_t ctx = {
        .operation = old ? ADM_OP_UPDATE : ADM_OP_CREATE,
        .sub_resource = "",
        .api = WH_API_RAY_V1,
        .cluster = view_json ? &cluster : NULL,
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
    cJSON_Delete(view_json);
    return rg_buf_detach(&b, NULL);
}

static char *render(const cJSON *obj, const cJSON *old, bool rayjob)
{
    return render_in(obj, old, rayjob, NULL);
}

typedef struct ray_case {
    const char *name;
    bool rayjob;
    int groups;               /* grow worker groups to this many; 0 = keep */
    const char *edits[8];     /* on the new object */
    bool update;              /* validate as UPDATE against old */
    const char *old_edits[4]; /* on the old object (a copy of the base) */
    const char *want;         /* rendered errors joined by '\n'; "" = allowed */
    int cluster;              /* CLV_*: the cluster view the rules see */
} ray_case_t;

/* Cluster views a case may ask for. */
enum { CLV_NONE = 0, CLV_DEFAULT_LQ, CLV_DEFAULT_LQ_ELSEWHERE };
static const char *const CLUSTER_VIEWS[] = {
    [CLV_NONE] = NULL,
    [CLV_DEFAULT_LQ] = "[{\"apiVersion\":\"kueue.x-k8s.io/v1beta2\",\"kind\":\"LocalQueue\","
                       "\"metadata\":{\"name\":\"default\",\"namespace\":\"team-a\"},"
                       "\"spec\":{\"clusterQueue\":\"cq\"}}]",
    [CLV_DEFAULT_LQ_ELSEWHERE] = "[{\"apiVersion\":\"kueue.x-k8s.io/v1beta2\",\"kind\":"
                                 "\"LocalQueue\",\"metadata\":{\"name\":\"default\","
                                 "\"namespace\":\"team-b\"},\"spec\":{\"clusterQueue\":\"cq\"}}]",
};

#define ELASTIC "metadata.annotations={\"kueue.x-k8s.io/elastic-job\":\"true\"}"
#define GATE(group)                                                                                \
    group ".template.spec.schedulingGates=[{\"name\":\"kueue.x-k8s.io/elastic-job\"}]"
/* The elastic annotation, and the gates on the base cluster's three templates. */
#define ELASTIC_ALL_GATED                                                                          \
    ELASTIC, GATE("spec.headGroupSpec"), GATE("spec.workerGroupSpecs[0]"),                         \
        GATE("spec.workerGroupSpecs[1]")
#define NO_GATE "an elastic job must have the ElasticJobSchedulingGate"
#define MAX_EXEC "metadata.labels[kueue.x-k8s.io/max-exec-time-seconds]"
#define WPC "metadata.labels[kueue.x-k8s.io/priority-class]"
#define PREBUILT_LABEL "metadata.labels[kueue.x-k8s.io/prebuilt-workload-name]"
#define HEAD_META "spec.headGroupSpec.template.metadata"
#define W0_META "spec.workerGroupSpecs[0].template.metadata"
#define W1_META "spec.workerGroupSpecs[1].template.metadata"
#define HEAD_ANN HEAD_META ".annotations"
#define W0_ANN W0_META ".annotations"
#define W1_ANN W1_META ".annotations"
#define REQ "\"kueue.x-k8s.io/podset-required-topology\":"
#define PREF "\"kueue.x-k8s.io/podset-preferred-topology\":"
#define SLICE "\"kueue.x-k8s.io/podset-slice-required-topology\":"
#define SIZE "\"kueue.x-k8s.io/podset-slice-size\":"
#define GROUP "\"kueue.x-k8s.io/podset-group-name\":"
#define LAYERS_KEY "kueue.x-k8s.io/podset-slice-required-topology-constraints"
#define LAYERS "\"" LAYERS_KEY "\":"
#define GROUP_SIZE                                                                                 \
    "can only define groups where at least one pod set has only 1 replica, got: 2 replica(s) "     \
    "and 2 replica(s) in the group"
#define HEAD_RES "spec.headGroupSpec.template.spec.containers[0].resources"
#define QTY_MSG                                                                                    \
    "quantities must match the regular expression "                                                \
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define QNAME_MSG                                                                                  \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "            \
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "                \
    "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"

#define RC false
#define RJ true
#define UNQUEUE "-metadata.labels[kueue.x-k8s.io/queue-name]"
#define SUSPEND "spec.suspend=true"

/* One case per entry reads better than the formatter's layout. */
/* clang-format off */
static const ray_case_t CASES[] = {
    /* ---- RayCluster: queued or not ---- */
    {"rc valid", RC, 0, {NULL}, false, {NULL}, "", CLV_NONE},
    {"rc unqueued: no rules", RC, 18,
     {UNQUEUE, "spec.enableInTreeAutoscaling=true", "spec.workerGroupSpecs[1].groupName=\"head\""},
     false, {NULL}, "", CLV_NONE},
    {"rc empty queue label: not queued, yet not a name", RC, 0,
     {LABEL "=\"\"", "spec.enableInTreeAutoscaling=true"}, false, {NULL},
     LABEL ": Invalid value: \"\": " DNS_MSG, CLV_NONE},
    {"rc queue name with dots", RC, 0, {LABEL "=\"ray.queue-1\""}, false, {NULL}, "", CLV_NONE},
    {"rc queue name not a subdomain", RC, 0, {LABEL "=\"Ray_Queue\""}, false, {NULL},
     LABEL ": Invalid value: \"Ray_Queue\": " DNS_MSG, CLV_NONE},
    {"rc queue name trailing dash", RC, 0, {LABEL "=\"ray-\""}, false, {NULL},
     LABEL ": Invalid value: \"ray-\": " DNS_MSG, CLV_NONE},
    /* ---- autoscaling ---- */
    {"rc autoscaling on", RC, 0, {"spec.enableInTreeAutoscaling=true"}, false, {NULL},
     "spec.enableInTreeAutoscaling" AUTOSCALING, CLV_NONE},
    {"rc autoscaling off", RC, 0, {"spec.enableInTreeAutoscaling=false"}, false, {NULL}, "", CLV_NONE},
    {"rc autoscaling null", RC, 0, {"spec.enableInTreeAutoscaling=null"}, false, {NULL}, "", CLV_NONE},
    /* ---- pod sets ---- */
    {"rc 17 worker groups (18 pod sets)", RC, 17, {NULL}, false, {NULL}, "", CLV_NONE},
    {"rc 18 worker groups", RC, 18, {NULL}, false, {NULL},
     "spec.workerGroupSpecs: Too many: 19: must have at most 18 items", CLV_NONE},
    {"rc 25 worker groups", RC, 25, {NULL}, false, {NULL},
     "spec.workerGroupSpecs: Too many: 26: must have at most 18 items", CLV_NONE},
    {"rc no worker groups", RC, 0, {"-spec.workerGroupSpecs"}, false, {NULL}, "", CLV_NONE},
    {"rc empty worker groups", RC, 0, {"spec.workerGroupSpecs=[]"}, false, {NULL}, "", CLV_NONE},
    {"rc worker groups not a list", RC, 0, {"spec.workerGroupSpecs={}"}, false, {NULL},
     "spec.workerGroupSpecs: Invalid value: {}: must be a list", CLV_NONE},
    /* ---- group names ---- */
    {"rc group named head", RC, 0, {"spec.workerGroupSpecs[1].groupName=\"head\""}, false,
     {NULL}, "spec.workerGroupSpecs[1].groupName" HEAD_FORBIDDEN, CLV_NONE},
    {"rc group named headless", RC, 0, {"spec.workerGroupSpecs[1].groupName=\"headless\""},
     false, {NULL}, "", CLV_NONE},
    {"rc duplicate group name", RC, 0, {"spec.workerGroupSpecs[1].groupName=\"small\""}, false,
     {NULL}, "spec.workerGroupSpecs[1].groupName: Duplicate value: \"small\"", CLV_NONE},
    {"rc group name missing", RC, 0, {"-spec.workerGroupSpecs[0].groupName"}, false, {NULL},
     "spec.workerGroupSpecs[0].groupName: Required value", CLV_NONE},
    {"rc two groups named head", RC, 0,
     {"spec.workerGroupSpecs[0].groupName=\"head\"", "spec.workerGroupSpecs[1].groupName=\"head\""},
     false, {NULL},
     "spec.workerGroupSpecs[0].groupName" HEAD_FORBIDDEN "\n"
     "spec.workerGroupSpecs[1].groupName" HEAD_FORBIDDEN, CLV_NONE},
    /* ---- replicas ---- */
    {"rc minReplicas 0", RC, 0, {"spec.workerGroupSpecs[0].minReplicas=0"}, false, {NULL}, "", CLV_NONE},
    {"rc minReplicas -1", RC, 0, {"spec.workerGroupSpecs[0].minReplicas=-1"}, false, {NULL},
     "spec.workerGroupSpecs[0].minReplicas: Invalid value: -1" GE_0, CLV_NONE},
    {"rc maxReplicas -1", RC, 0, {"spec.workerGroupSpecs[0].maxReplicas=-1"}, false, {NULL},
     "spec.workerGroupSpecs[0].maxReplicas: Invalid value: -1" GE_0, CLV_NONE},
    {"rc all zero", RC, 0,
     {"spec.workerGroupSpecs[0].minReplicas=0", "spec.workerGroupSpecs[0].maxReplicas=0",
      "spec.workerGroupSpecs[0].replicas=0"},
     false, {NULL}, "", CLV_NONE},
    {"rc min above max", RC, 0, {"spec.workerGroupSpecs[0].minReplicas=4"}, false, {NULL},
     "spec.workerGroupSpecs[0].maxReplicas: Invalid value: 3" GE_MIN, CLV_NONE},
    {"rc min equals max equals replicas", RC, 0,
     {"spec.workerGroupSpecs[0].minReplicas=3", "spec.workerGroupSpecs[0].replicas=3"}, false,
     {NULL}, "", CLV_NONE},
    {"rc replicas at max", RC, 0, {"spec.workerGroupSpecs[0].replicas=3"}, false, {NULL}, "", CLV_NONE},
    {"rc replicas above max", RC, 0, {"spec.workerGroupSpecs[0].replicas=5"}, false, {NULL},
     "spec.workerGroupSpecs[0].replicas: Invalid value: 5" LE_MAX, CLV_NONE},
    {"rc replicas below min", RC, 0, {"spec.workerGroupSpecs[0].replicas=0"}, false, {NULL},
     "spec.workerGroupSpecs[0].replicas: Invalid value: 0" GE_MIN, CLV_NONE},
    {"rc replicas negative", RC, 0, {"spec.workerGroupSpecs[1].replicas=-1"}, false, {NULL},
     "spec.workerGroupSpecs[1].replicas: Invalid value: -1" GE_0, CLV_NONE},
    {"rc replicas absent", RC, 0, {"-spec.workerGroupSpecs[0].replicas"}, false, {NULL}, "", CLV_NONE},
    {"rc no bounds: KubeRay defaults", RC, 0,
     {"-spec.workerGroupSpecs[0].minReplicas", "-spec.workerGroupSpecs[0].maxReplicas",
      "spec.workerGroupSpecs[0].replicas=100"},
     false, {NULL}, "", CLV_NONE},
    {"rc only minReplicas", RC, 0,
     {"-spec.workerGroupSpecs[0].maxReplicas", "spec.workerGroupSpecs[0].minReplicas=5",
      "spec.workerGroupSpecs[0].replicas=2"},
     false, {NULL}, "spec.workerGroupSpecs[0].replicas: Invalid value: 2" GE_MIN, CLV_NONE},
    {"rc replicas a string", RC, 0, {"spec.workerGroupSpecs[0].replicas=\"3\""}, false, {NULL},
     "spec.workerGroupSpecs[0].replicas: Invalid value: \"3\": must be a 32-bit integer", CLV_NONE},
    {"rc replicas a fraction", RC, 0, {"spec.workerGroupSpecs[0].replicas=1.5"}, false, {NULL},
     "spec.workerGroupSpecs[0].replicas: Invalid value: 1.5: must be a 32-bit integer", CLV_NONE},
    {"rc maxReplicas past int32", RC, 0, {"spec.workerGroupSpecs[0].maxReplicas=3000000000"},
     false, {NULL},
     "spec.workerGroupSpecs[0].maxReplicas: Invalid value: 3000000000: must be a 32-bit integer", CLV_NONE},
    {"rc maxReplicas int32 max", RC, 0, {"spec.workerGroupSpecs[0].maxReplicas=2147483647"},
     false, {NULL}, "", CLV_NONE},
    /* ---- numOfHosts ---- */
    {"rc numOfHosts 1", RC, 0, {"spec.workerGroupSpecs[1].numOfHosts=1"}, false, {NULL}, "", CLV_NONE},
    {"rc numOfHosts 4", RC, 0, {"spec.workerGroupSpecs[1].numOfHosts=4"}, false, {NULL}, "", CLV_NONE},
    {"rc numOfHosts 0", RC, 0, {"spec.workerGroupSpecs[1].numOfHosts=0"}, false, {NULL},
     "spec.workerGroupSpecs[1].numOfHosts: Invalid value: 0: must be greater than or equal to 1", CLV_NONE},
    /* ---- containers ---- */
    {"rc head without containers", RC, 0,
     {"spec.headGroupSpec.template.spec.containers=[]"}, false, {NULL},
     "spec.headGroupSpec.template.spec.containers: Required value", CLV_NONE},
    {"rc head without template", RC, 0, {"-spec.headGroupSpec.template"}, false, {NULL},
     "spec.headGroupSpec.template.spec.containers: Required value", CLV_NONE},
    {"rc no head group", RC, 0, {"-spec.headGroupSpec"}, false, {NULL},
     "spec.headGroupSpec: Required value", CLV_NONE},
    {"rc worker without containers", RC, 0,
     {"-spec.workerGroupSpecs[1].template.spec.containers"}, false, {NULL},
     "spec.workerGroupSpecs[1].template.spec.containers: Required value", CLV_NONE},
    {"rc every violation at once", RC, 0,
     {"spec.enableInTreeAutoscaling=true", "spec.headGroupSpec.template.spec.containers=[]",
      "spec.workerGroupSpecs[1].groupName=\"small\"", "spec.workerGroupSpecs[1].numOfHosts=0",
      LABEL "=\"Q\""},
     false, {NULL},
     "spec.enableInTreeAutoscaling" AUTOSCALING "\n"
     "spec.headGroupSpec.template.spec.containers: Required value\n"
     "spec.workerGroupSpecs[1].groupName: Duplicate value: \"small\"\n"
     "spec.workerGroupSpecs[1].numOfHosts: Invalid value: 0: must be greater than or equal to 1\n"
     LABEL ": Invalid value: \"Q\": " DNS_MSG, CLV_NONE},
    /* ---- UPDATE: the queue label ---- */
    {"rc update queue changed while running", RC, 0, {LABEL "=\"other\""}, true, {NULL},
     LABEL ": Invalid value: \"other\"" IMMUTABLE, CLV_NONE},
    {"rc update queue changed while suspended", RC, 0, {LABEL "=\"other\"", SUSPEND}, true,
     {SUSPEND}, "", CLV_NONE},
    {"rc update queue changed while being unsuspended", RC, 0, {LABEL "=\"other\""}, true,
     {SUSPEND}, LABEL ": Invalid value: \"other\"" IMMUTABLE, CLV_NONE},
    {"rc update queue changed while being suspended", RC, 0, {LABEL "=\"other\"", SUSPEND}, true,
     {NULL}, LABEL ": Invalid value: \"other\"" IMMUTABLE, CLV_NONE},
    {"rc update queue changed, suspend false", RC, 0,
     {LABEL "=\"other\"", "spec.suspend=false"}, true, {"spec.suspend=false"},
     LABEL ": Invalid value: \"other\"" IMMUTABLE, CLV_NONE},
    {"rc update queue removed while running", RC, 0, {UNQUEUE}, true, {NULL},
     LABEL ": Invalid value: \"\"" IMMUTABLE, CLV_NONE},
    {"rc update queue removed while suspended: no rules", RC, 0,
     {UNQUEUE, SUSPEND, "spec.enableInTreeAutoscaling=true"}, true, {SUSPEND}, "", CLV_NONE},
    {"rc update queue added while running", RC, 0, {NULL}, true, {UNQUEUE},
     LABEL ": Invalid value: \"ray-queue\"" IMMUTABLE, CLV_NONE},
    {"rc update unchanged queue, scaled", RC, 0, {"spec.workerGroupSpecs[0].replicas=2"}, true,
     {NULL}, "", CLV_NONE},
    {"rc update both unqueued", RC, 0, {UNQUEUE, "spec.enableInTreeAutoscaling=true"}, true,
     {UNQUEUE}, "", CLV_NONE},
    {"rc update: immutability first, then the spec", RC, 0,
     {LABEL "=\"other\"", "spec.enableInTreeAutoscaling=true"}, true, {NULL},
     LABEL ": Invalid value: \"other\"" IMMUTABLE "\n"
     "spec.enableInTreeAutoscaling" AUTOSCALING, CLV_NONE},

    /* ---- RayJob ---- */
    {"rj valid", RJ, 0, {NULL}, false, {NULL}, "", CLV_NONE},
    {"rj unqueued: no rules", RJ, 0, {UNQUEUE, "spec.shutdownAfterJobFinishes=false"}, false,
     {NULL}, "", CLV_NONE},
    {"rj shutdownAfterJobFinishes false", RJ, 0, {"spec.shutdownAfterJobFinishes=false"}, false,
     {NULL}, SHUTDOWN, CLV_NONE},
    {"rj shutdownAfterJobFinishes absent", RJ, 0, {"-spec.shutdownAfterJobFinishes"}, false,
     {NULL}, SHUTDOWN, CLV_NONE},
    {"rj selector with cluster spec", RJ, 0,
     {"spec.clusterSelector={\"ray.io/cluster\":\"shared\"}", "spec.shutdownAfterJobFinishes=false"},
     false, {NULL},
     "spec.clusterSelector: Invalid value: {\"ray.io/cluster\":\"shared\"}: a kueue managed job "
     "should not use an existing cluster", CLV_NONE},
    {"rj selector alone: not managed", RJ, 0,
     {"spec.clusterSelector={\"ray.io/cluster\":\"shared\"}", "-spec.rayClusterSpec",
      "-spec.shutdownAfterJobFinishes"},
     false, {NULL}, "", CLV_NONE},
    {"rj neither selector nor cluster spec", RJ, 0, {"-spec.rayClusterSpec"}, false, {NULL},
     "spec.rayClusterSpec: Required value: rayClusterSpec is required for Kueue-managed jobs "
     "that don't use clusterSelector", CLV_NONE},
    {"rj empty selector and null cluster spec", RJ, 0,
     {"spec.clusterSelector={}", "spec.rayClusterSpec=null"}, false, {NULL},
     "spec.rayClusterSpec: Required value: rayClusterSpec is required for Kueue-managed jobs "
     "that don't use clusterSelector", CLV_NONE},
    {"rj empty selector with cluster spec", RJ, 0, {"spec.clusterSelector={}"}, false, {NULL},
     "", CLV_NONE},
    {"rj cluster autoscaling", RJ, 0, {"spec.rayClusterSpec.enableInTreeAutoscaling=true"}, false,
     {NULL}, "spec.rayClusterSpec.enableInTreeAutoscaling" RJ_AUTOSCALING, CLV_NONE},
    {"rj cluster group named head", RJ, 0,
     {"spec.rayClusterSpec.workerGroupSpecs[0].groupName=\"head\""}, false, {NULL},
     "spec.rayClusterSpec.workerGroupSpecs[0].groupName" HEAD_FORBIDDEN, CLV_NONE},
    {"rj cluster duplicate group", RJ, 0,
     {"spec.rayClusterSpec.workerGroupSpecs[1]={\"groupName\":\"workers\",\"template\":{\"spec\":"
      "{\"containers\":[{\"name\":\"w\"}]}}}"},
     false, {NULL},
     "spec.rayClusterSpec.workerGroupSpecs[1].groupName: Duplicate value: \"workers\"", CLV_NONE},
    {"rj cluster min above max", RJ, 0,
     {"spec.rayClusterSpec.workerGroupSpecs[0].minReplicas=5"}, false, {NULL},
     "spec.rayClusterSpec.workerGroupSpecs[0].maxReplicas: Invalid value: 4" GE_MIN, CLV_NONE},
    {"rj cluster replicas above max", RJ, 0,
     {"spec.rayClusterSpec.workerGroupSpecs[0].replicas=9"}, false, {NULL},
     "spec.rayClusterSpec.workerGroupSpecs[0].replicas: Invalid value: 9" LE_MAX, CLV_NONE},
    {"rj cluster numOfHosts 0", RJ, 0,
     {"spec.rayClusterSpec.workerGroupSpecs[0].numOfHosts=0"}, false, {NULL},
     "spec.rayClusterSpec.workerGroupSpecs[0].numOfHosts: Invalid value: 0: must be greater "
     "than or equal to 1", CLV_NONE},
    {"rj cluster head without containers", RJ, 0,
     {"-spec.rayClusterSpec.headGroupSpec.template.spec.containers"}, false, {NULL},
     "spec.rayClusterSpec.headGroupSpec.template.spec.containers: Required value", CLV_NONE},
    {"rj cluster 17 groups", RJ, 17, {NULL}, false, {NULL}, "", CLV_NONE},
    {"rj cluster 18 groups", RJ, 18, {NULL}, false, {NULL},
     "spec.rayClusterSpec.workerGroupSpecs: Too many: 19: must have at most 18 items", CLV_NONE},
    {"rj cluster spec not an object", RJ, 0, {"spec.rayClusterSpec=\"x\""}, false, {NULL},
     "spec.rayClusterSpec: Invalid value: \"x\": must be an object", CLV_NONE},
    {"rj bad queue name after the spec rules", RJ, 0,
     {"spec.shutdownAfterJobFinishes=false", LABEL "=\"a_b\""}, false, {NULL},
     SHUTDOWN "\n" LABEL ": Invalid value: \"a_b\": " DNS_MSG, CLV_NONE},
    {"rj selector conflict and bad queue name", RJ, 0,
     {"spec.clusterSelector={\"ray.io/cluster\":\"c\"}", LABEL "=\"a_b\""}, false, {NULL},
     "spec.clusterSelector: Invalid value: {\"ray.io/cluster\":\"c\"}: a kueue managed job "
     "should not use an existing cluster\n" LABEL ": Invalid value: \"a_b\": " DNS_MSG, CLV_NONE},
    {"rj update queue changed while running", RJ, 0, {LABEL "=\"other\""}, true, {NULL},
     LABEL ": Invalid value: \"other\"" IMMUTABLE, CLV_NONE},
    {"rj update queue changed while suspended", RJ, 0, {LABEL "=\"other\"", SUSPEND}, true,
     {SUSPEND}, "", CLV_NONE},
    {"rj update queue removed while running", RJ, 0, {UNQUEUE}, true, {NULL},
     LABEL ": Invalid value: \"\"" IMMUTABLE, CLV_NONE},
    {"rj update unsuspend with same queue", RJ, 0, {NULL}, true, {SUSPEND}, "", CLV_NONE},

    /* ---- Kueue v0.19 parity: elastic RayCluster ---- */
    {"rc elastic: gates on every template", RC, 0,
     {ELASTIC, "spec.enableInTreeAutoscaling=true", GATE("spec.headGroupSpec"),
      GATE("spec.workerGroupSpecs[0]"), GATE("spec.workerGroupSpecs[1]")},
     false, {NULL}, "", CLV_NONE},
    {"rc elastic: gates missing", RC, 0, {ELASTIC, GATE("spec.workerGroupSpecs[1]")}, false,
     {NULL},
     "spec.workerGroupSpecs[0].template.spec.schedulingGates: Invalid value: null: " NO_GATE "\n"
     "spec.headGroupSpec.template.spec.schedulingGates: Invalid value: null: " NO_GATE, CLV_NONE},
    {"rc elastic: another gate is not enough", RC, 0,
     {ELASTIC, GATE("spec.headGroupSpec"), GATE("spec.workerGroupSpecs[0]"),
      "spec.workerGroupSpecs[1].template.spec.schedulingGates=[{\"name\":\"x\"}]"},
     false, {NULL},
     "spec.workerGroupSpecs[1].template.spec.schedulingGates: Invalid value: [{\"name\":\"x\"}]: "
     NO_GATE, CLV_NONE},
    {"rc elastic MultiKueue cluster may not autoscale", RC, 0,
     {ELASTIC_ALL_GATED, "spec.enableInTreeAutoscaling=true",
      "spec.managedBy=\"kueue.x-k8s.io/multikueue\""},
     false, {NULL},
     "spec.enableInTreeAutoscaling: Forbidden: in-tree autoscaling is not supported for a "
     "MultiKueue-managed elastic RayCluster", CLV_NONE},
    {"rc elastic annotation \"false\" is not elastic", RC, 0,
     {"metadata.annotations={\"kueue.x-k8s.io/elastic-job\":\"false\"}",
      "spec.enableInTreeAutoscaling=true"},
     false, {NULL}, "spec.enableInTreeAutoscaling" AUTOSCALING, CLV_NONE},
    {"rc elastic annotation added on update", RC, 0, {ELASTIC_ALL_GATED}, true, {NULL},
     "metadata.annotations[kueue.x-k8s.io/elastic-job]: Invalid value: true: field is immutable", CLV_NONE},
    {"rc elastic annotation removed on update", RC, 0, {NULL}, true, {ELASTIC_ALL_GATED},
     "metadata.annotations[kueue.x-k8s.io/elastic-job]: Invalid value: false: field is "
     "immutable", CLV_NONE},
    {"rj elastic job may autoscale", RJ, 0,
     {ELASTIC, "spec.rayClusterSpec.enableInTreeAutoscaling=true"}, false, {NULL}, "", CLV_NONE},

    /* ---- default LocalQueue ---- */
    {"rc update: queue removed where a default LocalQueue exists", RC, 0, {UNQUEUE, SUSPEND},
     true, {SUSPEND},
     LABEL ": Invalid value: \"\": queue-name must not be empty in namespace with default queue",
     CLV_DEFAULT_LQ},
    {"rc update: queue removed, default LocalQueue elsewhere", RC, 0, {UNQUEUE, SUSPEND}, true,
     {SUSPEND}, "", CLV_DEFAULT_LQ_ELSEWHERE},
    {"rc update: queue renamed where a default LocalQueue exists", RC, 0,
     {LABEL "=\"other\"", SUSPEND}, true, {SUSPEND}, "", CLV_DEFAULT_LQ},
    {"rj update: queue removed while running, default LocalQueue", RJ, 0, {UNQUEUE}, true,
     {NULL},
     LABEL ": Invalid value: \"\"" IMMUTABLE "\n" LABEL ": Invalid value: \"\": queue-name must "
     "not be empty in namespace with default queue",
     CLV_DEFAULT_LQ},

    /* ---- labels: max-exec-time-seconds, WorkloadPriorityClass ---- */
    {"rc max-exec-time 1", RC, 0, {MAX_EXEC "=\"1\""}, false, {NULL}, "", CLV_NONE},
    {"rc max-exec-time 0", RC, 0, {MAX_EXEC "=\"0\""}, false, {NULL},
     MAX_EXEC ": Invalid value: 0: should be greater than 0", CLV_NONE},
    {"rc max-exec-time negative", RC, 0, {MAX_EXEC "=\"-5\""}, false, {NULL},
     MAX_EXEC ": Invalid value: -5: should be greater than 0", CLV_NONE},
    {"rj max-exec-time not a number", RJ, 0, {MAX_EXEC "=\"10s\""}, false, {NULL},
     MAX_EXEC ": Invalid value: \"10s\": strconv.Atoi: parsing \"10s\": invalid syntax", CLV_NONE},
    {"rc max-exec-time out of range", RC, 0, {MAX_EXEC "=\"99999999999999999999\""}, false,
     {NULL},
     MAX_EXEC ": Invalid value: \"99999999999999999999\": strconv.Atoi: parsing "
     "\"99999999999999999999\": value out of range", CLV_NONE},
    {"rc unqueued max-exec-time 0 still refused", RC, 0, {UNQUEUE, MAX_EXEC "=\"0\""}, false,
     {NULL}, MAX_EXEC ": Invalid value: 0: should be greater than 0", CLV_NONE},
    {"rc update: max-exec-time changed while running", RC, 0, {MAX_EXEC "=\"20\""}, true,
     {MAX_EXEC "=\"10\""}, MAX_EXEC ": Invalid value: \"20\"" IMMUTABLE, CLV_NONE},
    {"rc update: max-exec-time changed while suspended", RC, 0, {MAX_EXEC "=\"20\"", SUSPEND},
     true, {MAX_EXEC "=\"10\"", SUSPEND}, "", CLV_NONE},
    {"rj update: max-exec-time added while being suspended", RJ, 0, {MAX_EXEC "=\"20\"", SUSPEND},
     true, {NULL}, MAX_EXEC ": Invalid value: \"20\"" IMMUTABLE, CLV_NONE},
    {"rc update: priority class added while running", RC, 0, {WPC "=\"high\""}, true, {NULL},
     WPC ": Invalid value: \"high\": WorkloadPriorityClass cannot be added to a non-suspended "
     "workload", CLV_NONE},
    {"rc update: priority class added while suspended", RC, 0, {WPC "=\"high\"", SUSPEND}, true,
     {SUSPEND}, "", CLV_NONE},
    {"rj update: priority class changed while running", RJ, 0, {WPC "=\"low\""}, true,
     {WPC "=\"high\""}, "", CLV_NONE},
    {"rj update: priority class removed while suspended", RJ, 0, {SUSPEND}, true,
     {WPC "=\"high\"", SUSPEND},
     WPC ": Invalid value: \"\": WorkloadPriorityClass cannot be removed from a workload", CLV_NONE},

    /* ---- prebuilt Workloads ---- */
    {"rc prebuilt workload label a name", RC, 0, {PREBUILT_LABEL "=\"wl-1\""}, false, {NULL}, "",
     CLV_NONE},
    {"rc prebuilt workload label not a name", RC, 0, {PREBUILT_LABEL "=\"WL_1\""}, false, {NULL},
     PREBUILT_LABEL ": Invalid value: \"WL_1\": " DNS_MSG, CLV_NONE},
    {"rj prebuilt workload annotation wins over the label", RJ, 0,
     {PREBUILT_LABEL "=\"WL_1\"",
      "metadata.annotations={\"kueue.x-k8s.io/prebuilt-workload-name\":\"wl.\"}"},
     false, {NULL},
     "metadata.annotations[kueue.x-k8s.io/prebuilt-workload-name]: Invalid value: \"wl.\": "
     DNS_MSG, CLV_NONE},
    {"rc update: prebuilt workload changed while running", RC, 0, {PREBUILT_LABEL "=\"wl-2\""},
     true, {PREBUILT_LABEL "=\"wl-1\""},
     PREBUILT_LABEL ": Invalid value: \"wl-2\"" IMMUTABLE, CLV_NONE},
    {"rc update: prebuilt workload changed while suspended", RC, 0,
     {PREBUILT_LABEL "=\"wl-2\"", SUSPEND}, true, {PREBUILT_LABEL "=\"wl-1\""}, "", CLV_NONE},

    /* ---- admission gates ---- */
    {"rc admission gate valid", RC, 0,
     {"metadata.annotations={\"kueue.x-k8s.io/admission-gated-by\":\"example.com/check\"}"},
     false, {NULL}, "", CLV_NONE},
    {"rj admission gate added while running", RJ, 0,
     {"metadata.annotations={\"kueue.x-k8s.io/admission-gated-by\":\"example.com/check\"}"},
     true, {NULL},
     "metadata.annotations[kueue.x-k8s.io/admission-gated-by]: Forbidden: cannot add admission "
     "gate after creation", CLV_NONE},

    /* ---- topology-aware scheduling annotations ---- */
    {"rc TAS required topology", RC, 0, {HEAD_META "={\"annotations\":{" REQ "\"rack\"}}"}, false,
     {NULL}, "", CLV_NONE},
    {"rc TAS two topology annotations", RC, 0,
     {HEAD_META "={\"annotations\":{" REQ "\"rack\"," PREF "\"zone\"}}"}, false, {NULL},
     HEAD_ANN ": Invalid value: must not contain more than one topology annotation: "
     "[\"kueue.x-k8s.io/podset-required-topology\", \"kueue.x-k8s.io/podset-preferred-topology\", "
     "\"kueue.x-k8s.io/podset-unconstrained-topology\"]", CLV_NONE},
    {"rc TAS required topology not a label name", RC, 0,
     {W0_META "={\"annotations\":{" REQ "\"a b\"}}"}, false, {NULL},
     W0_ANN "[kueue.x-k8s.io/podset-required-topology]: Invalid value: \"a b\": name part "
     QNAME_MSG, CLV_NONE},
    {"rc TAS unconstrained not a boolean", RC, 0,
     {W1_META "={\"annotations\":{\"kueue.x-k8s.io/podset-unconstrained-topology\":\"yes\"}}"},
     false, {NULL},
     W1_ANN "[kueue.x-k8s.io/podset-unconstrained-topology]: Invalid value: \"yes\": must be a "
     "boolean value", CLV_NONE},
    {"rc TAS unconstrained True", RC, 0,
     {W1_META "={\"annotations\":{\"kueue.x-k8s.io/podset-unconstrained-topology\":\"True\"}}"},
     false, {NULL}, "", CLV_NONE},
    {"rc TAS slice size at the pod set count", RC, 0,
     {W1_META "={\"annotations\":{" REQ "\"rack\"," SLICE "\"host\"," SIZE "\"2\"}}"}, false,
     {NULL}, "", CLV_NONE},
    {"rc TAS slice size above the pod set count", RC, 0,
     {W1_META "={\"annotations\":{" REQ "\"rack\"," SLICE "\"host\"," SIZE "\"3\"}}"}, false,
     {NULL},
     W1_ANN "[kueue.x-k8s.io/podset-slice-size]: Invalid value: \"3\": must not be greater than "
     "pod set count 2", CLV_NONE},
    {"rc TAS slice size 0", RC, 0,
     {W1_META "={\"annotations\":{" SLICE "\"host\"," SIZE "\"0\"}}"}, false, {NULL},
     W1_ANN "[kueue.x-k8s.io/podset-slice-size]: Invalid value: \"0\": must be greater than or "
     "equal to 1", CLV_NONE},
    {"rc TAS slice size not a number", RC, 0,
     {W1_META "={\"annotations\":{" SLICE "\"host\"," SIZE "\"two\"}}"}, false, {NULL},
     W1_ANN "[kueue.x-k8s.io/podset-slice-size]: Invalid value: \"two\": must be a numeric "
     "value", CLV_NONE},
    {"rc TAS slice topology without size", RC, 0, {W1_META "={\"annotations\":{" SLICE "\"host\"}}"},
     false, {NULL},
     W1_ANN "[kueue.x-k8s.io/podset-slice-size]: Required value: must be set when "
     "'kueue.x-k8s.io/podset-slice-required-topology' is specified", CLV_NONE},
    {"rc TAS slice size without topology", RC, 0, {W1_META "={\"annotations\":{" SIZE "\"1\"}}"},
     false, {NULL},
     W1_ANN "[kueue.x-k8s.io/podset-slice-size]: Forbidden: may not be set when "
     "'kueue.x-k8s.io/podset-slice-required-topology' is not specified", CLV_NONE},
    {"rc TAS group of two", RC, 0,
     {HEAD_META "={\"annotations\":{" REQ "\"rack\"," GROUP "\"g\"}}",
      W1_META "={\"annotations\":{" REQ "\"rack\"," GROUP "\"g\"}}"},
     false, {NULL}, "", CLV_NONE},
    {"rc TAS group of one", RC, 0, {HEAD_META "={\"annotations\":{" REQ "\"rack\"," GROUP "\"g\"}}"},
     false, {NULL},
     HEAD_ANN "[kueue.x-k8s.io/podset-group-name]: Invalid value: \"g\": can only define groups "
     "of exactly 2 pod sets, got: 1 pod set(s)", CLV_NONE},
    {"rc TAS group with two multi-pod sets", RC, 0,
     {"spec.workerGroupSpecs[0].replicas=2",
      W0_META "={\"annotations\":{" REQ "\"rack\"," GROUP "\"g\"}}",
      W1_META "={\"annotations\":{" REQ "\"rack\"," GROUP "\"g\"}}"},
     false, {NULL},
     W0_ANN "[kueue.x-k8s.io/podset-group-name]: Invalid value: \"g\": " GROUP_SIZE "\n"
     W1_ANN "[kueue.x-k8s.io/podset-group-name]: Invalid value: \"g\": " GROUP_SIZE, CLV_NONE},
    {"rc TAS group with different levels", RC, 0,
     {HEAD_META "={\"annotations\":{" REQ "\"rack\"," GROUP "\"g\"}}",
      W1_META "={\"annotations\":{" PREF "\"rack\"," GROUP "\"g\"}}"},
     false, {NULL},
     HEAD_ANN ": Invalid value: must specify 'kueue.x-k8s.io/podset-required-topology' or "
     "'kueue.x-k8s.io/podset-preferred-topology' topology consistent with '" W1_ANN "' in "
     "group 'g'\n" W1_ANN ": Invalid value: must specify 'kueue.x-k8s.io/podset-required-"
     "topology' or 'kueue.x-k8s.io/podset-preferred-topology' topology consistent with '"
     HEAD_ANN "' in group 'g'", CLV_NONE},
    {"rc TAS group name a number", RC, 0,
     {HEAD_META "={\"annotations\":{" REQ "\"rack\"," GROUP "\"7\"}}",
      W1_META "={\"annotations\":{" REQ "\"rack\"," GROUP "\"7\"}}"},
     false, {NULL},
     HEAD_ANN "[kueue.x-k8s.io/podset-group-name]: Invalid value: \"7\": must not be a number\n"
     W1_ANN "[kueue.x-k8s.io/podset-group-name]: Invalid value: \"7\": must not be a number", CLV_NONE},
    {"rc TAS group name without topology", RC, 0, {HEAD_META "={\"annotations\":{" GROUP "\"g\"}}"},
     false, {NULL},
     HEAD_ANN "[kueue.x-k8s.io/podset-group-name]: Forbidden: may not be set when neither "
     "'kueue.x-k8s.io/podset-preferred-topology' nor 'kueue.x-k8s.io/podset-required-topology' "
     "is specified", CLV_NONE},
    {"rc TAS layers valid", RC, 0,
     {W1_META "={\"annotations\":{" LAYERS "\"[{\\\"topology\\\":\\\"rack\\\",\\\"size\\\":2},"
      "{\\\"topology\\\":\\\"host\\\",\\\"size\\\":1}]\"}}"},
     false, {NULL}, "", CLV_NONE},
    {"rc TAS layers not JSON", RC, 0, {W1_META "={\"annotations\":{" LAYERS "\"[{\"}}"}, false,
     {NULL},
     W1_ANN "[" LAYERS_KEY "]: Invalid value: \"[{\": must be a valid JSON array: malformed JSON "
     "at byte 1", CLV_NONE},
    {"rc TAS layers empty", RC, 0, {W1_META "={\"annotations\":{" LAYERS "\"[]\"}}"}, false,
     {NULL},
     W1_ANN "[" LAYERS_KEY "]: Invalid value: \"[]\": topology constraints must contain between "
     "1 and 3 entries", CLV_NONE},
    {"rc TAS layers not dividing", RC, 0,
     {W1_META "={\"annotations\":{" LAYERS "\"[{\\\"topology\\\":\\\"rack\\\",\\\"size\\\":2},"
      "{\\\"topology\\\":\\\"rack\\\",\\\"size\\\":3}]\"}}"},
     false, {NULL},
     W1_ANN "[" LAYERS_KEY "][1].topology: Duplicate value: \"rack (also at index 0)\"\n"
     W1_ANN "[" LAYERS_KEY "][1].size: Invalid value: 3: must evenly divide the parent layer "
     "size 2", CLV_NONE},
    {"rc TAS first layer above the pod set count", RC, 0,
     {W1_META "={\"annotations\":{" LAYERS "\"[{\\\"topology\\\":\\\"rack\\\",\\\"size\\\":4}]\"}}"},
     false, {NULL},
     W1_ANN "[" LAYERS_KEY "]: Invalid value: 4: must not be greater than pod set count 2",
     CLV_NONE},
    {"rj TAS slice size above the head's count", RJ, 0,
     {"spec.rayClusterSpec.headGroupSpec.template.metadata={\"annotations\":{" REQ "\"rack\","
      SLICE "\"host\"," SIZE "\"2\"}}"},
     false, {NULL},
     "spec.rayClusterSpec.headGroupSpec.template.metadata.annotations[kueue.x-k8s.io/podset-"
     "slice-size]: Invalid value: \"2\": must not be greater than pod set count 1", CLV_NONE},

    /* ---- resource quantities in pod templates ---- */
    {"rc memory 8Gi", RC, 0, {HEAD_RES "={\"requests\":{\"memory\":\"8Gi\",\"cpu\":2}}"}, false,
     {NULL}, "", CLV_NONE},
    {"rc memory 8Gib", RC, 0, {HEAD_RES "={\"requests\":{\"memory\":\"8Gib\"}}"}, false, {NULL},
     HEAD_RES ".requests[memory]: Invalid value: \"8Gib\": " QTY_MSG, CLV_NONE},
    {"rc unqueued memory 8Gib still refused", RC, 0,
     {UNQUEUE, HEAD_RES "={\"requests\":{\"memory\":\"8Gib\"}}"}, false, {NULL},
     HEAD_RES ".requests[memory]: Invalid value: \"8Gib\": " QTY_MSG, CLV_NONE},
    {"rc worker limit negative", RC, 0,
     {"spec.workerGroupSpecs[1].template.spec.containers[0].resources={\"limits\":"
      "{\"nvidia.com/gpu\":\"-1\"}}"},
     false, {NULL},
     "spec.workerGroupSpecs[1].template.spec.containers[0].resources.limits[nvidia.com/gpu]: "
     "Invalid value: \"-1\": must be greater than or equal to 0", CLV_NONE},
    {"rc init container and overhead", RC, 0,
     {"spec.workerGroupSpecs[0].template.spec.initContainers=[{\"name\":\"i\",\"resources\":"
      "{\"requests\":{\"cpu\":\"1.5.5\"}}}]",
      "spec.workerGroupSpecs[0].template.spec.overhead={\"memory\":\"1Zi\"}"},
     false, {NULL},
     "spec.workerGroupSpecs[0].template.spec.initContainers[0].resources.requests[cpu]: "
     "Invalid value: \"1.5.5\": " QTY_MSG "\n"
     "spec.workerGroupSpecs[0].template.spec.overhead[memory]: Invalid value: \"1Zi\": " QTY_MSG, CLV_NONE},
    {"rc pod-level resources and autoscaler", RC, 0,
     {"spec.headGroupSpec.template.spec.resources={\"limits\":{\"cpu\":\"x\"}}",
      "spec.autoscalerOptions={\"resources\":{\"requests\":{\"memory\":\"512mi\"}}}"},
     false, {NULL},
     "spec.headGroupSpec.template.spec.resources.limits[cpu]: Invalid value: \"x\": " QTY_MSG "\n"
     "spec.autoscalerOptions.resources.requests[memory]: Invalid value: \"512mi\": unable to "
     "parse quantity's suffix", CLV_NONE},
    {"rj cluster and submitter quantities", RJ, 0,
     {"spec.rayClusterSpec.workerGroupSpecs[0].template.spec.containers[0].resources="
      "{\"requests\":{\"memory\":\"8Gib\"}}",
      "spec.submitterPodTemplate={\"spec\":{\"containers\":[{\"name\":\"s\",\"resources\":"
      "{\"limits\":{\"cpu\":\"-500m\"}}}]}}"},
     false, {NULL},
     "spec.rayClusterSpec.workerGroupSpecs[0].template.spec.containers[0].resources.requests"
     "[memory]: Invalid value: \"8Gib\": " QTY_MSG "\n"
     "spec.submitterPodTemplate.spec.containers[0].resources.limits[cpu]: Invalid value: "
     "\"-500m\": must be greater than or equal to 0", CLV_NONE},
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
    for (size_t i = 0; i < 8 && c->edits[i]; i++)
        apply_edit(obj, c->edits[i]);
    cJSON *old = NULL;
    if (c->update) {
        old = load(base);
        for (size_t i = 0; i < 4 && c->old_edits[i]; i++)
            apply_edit(old, c->old_edits[i]);
    }
    char *got = render_in(obj, old, c->rayjob, CLUSTER_VIEWS[c->cluster]);
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

/* ---- the mutating webhook: default LocalQueue, elastic gates, suspend ---- */

#define P_SUSPEND "{\"op\":\"add\",\"path\":\"/spec/suspend\",\"value\":true}"
#define P_PENDING                                                                                  \
    "{\"op\":\"add\",\"path\":\"/metadata/annotations\",\"value\":{\"raygate.dev/admission\":"     \
    "\"Pending\"}}"
#define P_PENDING_KEY                                                                              \
    "{\"op\":\"add\",\"path\":\"/metadata/annotations/raygate.dev~1admission\",\"value\":"         \
    "\"Pending\"}"
#define P_DEFAULT_QUEUE                                                                            \
    "{\"op\":\"add\",\"path\":\"/metadata/labels/kueue.x-k8s.io~1queue-name\",\"value\":"          \
    "\"default\"}"
#define P_GATE(group)                                                                              \
    "{\"op\":\"add\",\"path\":\"" group "/template/spec/schedulingGates\",\"value\":[{\"name\":"   \
    "\"kueue.x-k8s.io/elastic-job\"}]}"

typedef struct mutate_case {
    const char *name;
    bool rayjob;
    const char *edits[4];
    int cluster;
    const char *want; /* the JSON Patch */
} mutate_case_t;

/* clang-format off */
static const mutate_case_t MUTATE_CASES[] = {
    {"rc queued is suspended", RC, {NULL}, CLV_NONE, "[" P_SUSPEND "," P_PENDING "]"},
    {"rc unqueued joins the namespace's default LocalQueue", RC, {UNQUEUE}, CLV_DEFAULT_LQ,
     "[" P_DEFAULT_QUEUE "," P_SUSPEND "," P_PENDING "]"},
    {"rc unqueued, default LocalQueue in another namespace", RC, {UNQUEUE},
     CLV_DEFAULT_LQ_ELSEWHERE, "[]"},
    {"rc unqueued, no cluster view", RC, {UNQUEUE}, CLV_NONE, "[]"},
    {"rc unqueued owned by a RayJob keeps its owner's queueing", RC,
     {UNQUEUE, "metadata.ownerReferences=[{\"apiVersion\":\"ray.io/v1\",\"kind\":\"RayJob\","
               "\"name\":\"j\",\"uid\":\"u\"}]"},
     CLV_DEFAULT_LQ, "[]"},
    {"rc spawned by a RayJob is not suspended", RC,
     {"metadata.labels[ray.io/originated-from-crd]=\"RayJob\""}, CLV_NONE, "[]"},
    {"rc elastic gets the gate on every template", RC,
     {"metadata.annotations={\"kueue.x-k8s.io/elastic-job\":\"true\"}"}, CLV_NONE,
     "[" P_GATE("/spec/headGroupSpec") "," P_GATE("/spec/workerGroupSpecs/0") ","
     P_GATE("/spec/workerGroupSpecs/1") "," P_SUSPEND "," P_PENDING_KEY "]"},
    {"rc elastic keeps gates already there", RC,
     {"metadata.annotations={\"kueue.x-k8s.io/elastic-job\":\"true\"}",
      "spec.headGroupSpec.template.spec.schedulingGates=[{\"name\":\"kueue.x-k8s.io/elastic-job\"}]",
      "spec.workerGroupSpecs[0].template.spec.schedulingGates=[{\"name\":\"other\"}]"},
     CLV_NONE,
     "[{\"op\":\"add\",\"path\":\"/spec/workerGroupSpecs/0/template/spec/schedulingGates/-\","
     "\"value\":{\"name\":\"kueue.x-k8s.io/elastic-job\"}}," P_GATE("/spec/workerGroupSpecs/1")
     "," P_SUSPEND "," P_PENDING_KEY "]"},
    {"rc unqueued elastic is gated, not suspended", RC,
     {UNQUEUE, "metadata.annotations={\"kueue.x-k8s.io/elastic-job\":\"true\"}",
      "-spec.workerGroupSpecs"},
     CLV_NONE, "[" P_GATE("/spec/headGroupSpec") "]"},
    {"rj unqueued joins the default LocalQueue", RJ, {UNQUEUE}, CLV_DEFAULT_LQ,
     "[" P_DEFAULT_QUEUE "," P_SUSPEND "," P_PENDING "]"},
    {"rj queued is suspended", RJ, {NULL}, CLV_DEFAULT_LQ, "[" P_SUSPEND "," P_PENDING "]"},
};
/* clang-format on */

START_TEST(test_validate_ray__mutate)
{
    const mutate_case_t *c = &MUTATE_CASES[_i];
    cJSON *obj = load(c->rayjob ? "base-rayjob.json" : "base-raycluster.json");
    for (size_t i = 0; i < 4 && c->edits[i]; i++)
        apply_edit(obj, c->edits[i]);
    adm_request_t req;
    adm_request_init(&req);
    req.kind = (adm_gvk_t){"ray.io", "v1", c->rayjob ? "RayJob" : "RayCluster"};
    req.operation = ADM_OP_CREATE;
    req.namespace = "team-a";
    req.object = obj;
    cJSON *view = CLUSTER_VIEWS[c->cluster] ? cJSON_Parse(CLUSTER_VIEWS[c->cluster]) : NULL;
    wh_cluster_t cluster = rgt_array_cluster(view);
    adm_patch_t *patch = adm_patch_new();
    wh_result_t res;
    ck_assert(wh_mutate_reads_cluster(&req) == (wh_queue_label(obj) == NULL));
    wh_mutate(&req, view ? &cluster : NULL, patch, &res);
    ck_assert_msg(res.allowed, "case \"%s\": denied: %s", c->name, res.message);
    rg_buf_t b = RG_BUF_INIT;
    adm_patch_append_json(patch, &b);
    ck_assert_msg(strcmp(b.data, c->want) == 0, "case \"%s\":\n got: %s\nwant: %s", c->name, b.data,
                  c->want);
    rg_buf_release(&b);
    adm_patch_free(patch);
    cJSON_Delete(view);
    cJSON_Delete(obj);
}
END_TEST

static Suite *validate_ray_suite(void)
{
    Suite *s = suite_create("validate_ray");
    TCase *tc = tcase_create("rules");
    tcase_add_loop_test(tc, test_validate_ray__rules, 0, N_CASES);
    tcase_add_loop_test(tc, test_validate_ray__mutate, 0,
                        (int)(sizeof(MUTATE_CASES) / sizeof(MUTATE_CASES[0])));
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

/*
 * Workload validation (webhooks/workload_validate.c): every rule both ways,
 * asserting the exact rendered field errors and warnings, for v1beta1 and
 * v1beta2, plus the seed's Workloads from tests/fixtures/validate/workload.
 */
#include "raygate/validate.h"

#include "raygate/alloc.h"

#include <check.h>

#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* apimachinery's texts, as the rules must render them. */
#define LABEL_MSG                                                                             \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', " \
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or "           \
    "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define SUBDOMAIN_MSG                                                                           \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " \
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "     \
    "regex used for validation is "                                                           \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define QNAME_MSG                                                                          \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end " \
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "      \
    "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LABEL_VALUE_MSG                                                                     \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', " \
    "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', " \
    " or 'my_value',  or '12345', regex used for validation is "                          \
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

/* ---- helpers ---------------------------------------------------------- */

/*
 * Expands the table's shorthand: ' becomes " (JSON written with single
 * quotes) when json is set, and @N@ becomes N letters 'a'. Owned result.
 */
static char *expand(const char *s, bool json)
{
    rg_buf_t b = RG_BUF_INIT;
    for (const char *p = s; *p; p++) {
        if (*p == '@' && p[1] >= '0' && p[1] <= '9') {
            char *end;
            long n = strtol(p + 1, &end, 10);
            if (*end == '@') {
                for (long i = 0; i < n; i++)
                    rg_buf_append_char(&b, 'a');
                p = end;
                continue;
            }
        }
        rg_buf_append_char(&b, json && *p == '\'' ? '"' : *p);
    }
    if (b.data == NULL)
        rg_buf_append_str(&b, "");
    return rg_buf_detach(&b, NULL);
}

static cJSON *parse(const char *text)
{
    rg_error_t err = {0};
    cJSON *j = rg_json_parse(text, strlen(text), &err);
    ck_assert_msg(j != NULL, "bad test JSON (%s): %s", rg_error_str(&err), text);
    return j;
}

/* n podSets p0..p(n-1), each one pod of one container. */
static char *gen_podsets(int n)
{
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_append_char(&b, '[');
    for (int i = 0; i < n; i++)
        rg_buf_appendf(&b,
                       "%s{\"name\":\"p%d\",\"count\":1,\"template\":{\"spec\":{"
                       "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}",
                       i ? "," : "", i);
    rg_buf_append_char(&b, ']');
    return rg_buf_detach(&b, NULL);
}

static cJSON *make_workload(wh_api_t api, const char *spec, const char *status, int podsets)
{
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_appendf(&b,
                   "{\"apiVersion\":\"kueue.x-k8s.io/%s\",\"kind\":\"Workload\","
                   "\"metadata\":{\"name\":\"wl\",\"namespace\":\"default\"}",
                   api == WH_API_KUEUE_V1BETA2 ? "v1beta2" : "v1beta1");
    if (podsets > 0) {
        char *ps = gen_podsets(podsets);
        rg_buf_appendf(&b, ",\"spec\":{\"queueName\":\"q\",\"podSets\":%s}", ps);
        rg_free(ps);
    } else if (spec) {
        char *s = expand(spec, true);
        rg_buf_appendf(&b, ",\"spec\":%s", s);
        rg_free(s);
    }
    if (status) {
        char *s = expand(status, true);
        rg_buf_appendf(&b, ",\"status\":%s", s);
        rg_free(s);
    }
    rg_buf_append_char(&b, '}');
    cJSON *j = parse(b.data);
    rg_buf_release(&b);
    return j;
}

/* ---- the table ---------------------------------------------------------- */

#define V1 WH_API_KUEUE_V1BETA1
#define V2 WH_API_KUEUE_V1BETA2

/* Cluster views a case may ask for. */
enum { CL_NONE = 0, CL_LQ, CL_QUEUE_ALIAS, CL_LQ_OTHER_NS, CL_EMPTY };
static const char *const clusters[] = {
    [CL_NONE] = NULL,
    [CL_LQ] = "[{'apiVersion':'kueue.x-k8s.io/v1beta1','kind':'LocalQueue','metadata':{'name':"
              "'ai-queue','namespace':'default'},'spec':{'clusterQueue':'cq'}}]",
    [CL_QUEUE_ALIAS] = "[{'apiVersion':'kueue.x-k8s.io/v1beta1','kind':'Queue','metadata':{"
                       "'name':'ai-queue'},'spec':{'clusterQueue':'cq'}}]",
    [CL_LQ_OTHER_NS] = "[{'apiVersion':'kueue.x-k8s.io/v1beta2','kind':'LocalQueue','metadata':"
                       "{'name':'ai-queue','namespace':'team-a'}}]",
    [CL_EMPTY] = "[]",
};

typedef struct wl_case {
    const char *name;
    wh_api_t api;
    const char *spec;       /* NULL: no spec (unless podsets > 0) */
    const char *status;     /* NULL: none */
    const char *old_spec;   /* non-NULL (or old_status): an UPDATE */
    const char *old_status;
    const char *sub;        /* "" or "status" */
    int podsets;            /* > 0: spec is {queueName q, podsets generated} */
    int cluster;
    const char *want;       /* errors, one per line */
    const char *want_warn;  /* warnings, one per line */
} wl_case_t;

/* Short JSON pieces for the table. */
#define CTR "{'name':'c','image':'i'}"
#define TPL "'template':{'spec':{'containers':[" CTR "]}}"
#define PS(n, c) "{'name':'" n "','count':" #c "," TPL "}"
#define SPEC1 "{'queueName':'q','podSets':[" PS("main", 1) "]}"
#define RES(where) "{'name':'main','count':1,'template':{'spec':" where "}}"
#define SPEC_RES(where) "{'podSets':[" RES(where) "]}"
#define RESERVED "{'conditions':[{'type':'QuotaReserved','status':'True','reason':'R','message':'','lastTransitionTime':'2026-12-01T00:00:00Z'}],'admission':{'clusterQueue':'cq','podSetAssignments':[{'name':'main','count':1}]}}"
#define RESERVED_CQ(cq) "{'conditions':[{'type':'QuotaReserved','status':'True','reason':'R','message':'','lastTransitionTime':'2026-12-01T00:00:00Z'}],'admission':{'clusterQueue':'" cq "','podSetAssignments':[{'name':'main','count':1}]}}"
#define NOT_RESERVED "{'conditions':[{'type':'QuotaReserved','status':'False','reason':'R','message':'','lastTransitionTime':'2026-12-01T00:00:00Z'}]}"
#define REF(g, k, n) "'priorityClassRef':{'group':'" g "','kind':'" k "','name':'" n "'}"

#define PODS_PATH "spec.podSets[0].template.spec."

static const wl_case_t cases[] = {
    /* podSets count */
    {"valid one podSet", V1, SPEC1, NULL, NULL, NULL, "", 0, 0, "", ""},
    {"valid seed-like podSet without count", V1,
     "{'queueName':'q','podSets':[{'name':'main'," TPL "}]}", NULL, NULL, NULL, "", 0, 0, "", ""},
    {"podSets missing", V1, "{'queueName':'q'}", NULL, NULL, NULL, "", 0, 0,
     "spec.podSets: Required value: at least one podSet is required", ""},
    {"no spec at all", V2, NULL, NULL, NULL, NULL, "", 0, 0,
     "spec.podSets: Required value: at least one podSet is required", ""},
    {"podSets empty", V1, "{'podSets':[]}", NULL, NULL, NULL, "", 0, 0,
     "spec.podSets: Required value: at least one podSet is required", ""},
    {"v1beta1 8 podSets at the edge", V1, NULL, NULL, NULL, NULL, "", 8, 0, "", ""},
    {"v1beta1 9 podSets too many", V1, NULL, NULL, NULL, NULL, "", 9, 0,
     "spec.podSets: Too many: 9: must have at most 8 items", ""},
    {"v1beta2 9 podSets allowed", V2, NULL, NULL, NULL, NULL, "", 9, 0, "", ""},
    {"v1beta2 18 podSets at the edge", V2, NULL, NULL, NULL, NULL, "", 18, 0, "", ""},
    {"v1beta2 19 podSets too many", V2, NULL, NULL, NULL, NULL, "", 19, 0,
     "spec.podSets: Too many: 19: must have at most 18 items", ""},
    {"podSets not an array", V1, "{'podSets':{'name':'main'}}", NULL, NULL, NULL, "", 0, 0,
     "spec.podSets: Invalid value: \"object\": spec.podSets in body must be of type array: "
     "\"object\"",
     ""},
    {"spec not an object", V1, "[1]", NULL, NULL, NULL, "", 0, 0,
     "spec: Invalid value: \"array\": spec in body must be of type object: \"array\"", ""},
    {"podSet not an object", V1, "{'podSets':[7]}", NULL, NULL, NULL, "", 0, 0,
     "spec.podSets[0]: Invalid value: \"number\": spec.podSets[0] in body must be of type "
     "object: \"number\"",
     ""},

    /* podSet names */
    {"distinct names", V1, "{'podSets':[" PS("a", 1) "," PS("b", 1) "]}", NULL, NULL, NULL, "",
     0, 0, "", ""},
    {"duplicate names", V1, "{'podSets':[" PS("a", 1) "," PS("b", 1) "," PS("a", 2) "]}", NULL,
     NULL, NULL, "", 0, 0,
     "spec.podSets[2]: Duplicate value: map[string]interface {}{\"name\":\"a\"}", ""},
    {"two unnamed podSets both default to main", V1,
     "{'podSets':[{'count':1," TPL "},{'count':2," TPL "}]}", NULL, NULL, NULL, "", 0, 0,
     "spec.podSets[1]: Duplicate value: map[string]interface {}{\"name\":\"main\"}", ""},
    {"name with capitals", V1, "{'podSets':[" PS("Main", 1) "]}", NULL, NULL, NULL, "", 0, 0,
     "spec.podSets[0].name: Invalid value: \"Main\": " LABEL_MSG, ""},
    {"name with a dot", V1, "{'podSets':[" PS("a.b", 1) "]}", NULL, NULL, NULL, "", 0, 0,
     "spec.podSets[0].name: Invalid value: \"a.b\": must not contain dots", ""},
    {"name of 63 characters", V1, "{'podSets':[" PS("@63@", 1) "]}", NULL, NULL, NULL, "", 0, 0,
     "", ""},
    {"name of 64 characters", V1, "{'podSets':[" PS("@64@", 1) "]}", NULL, NULL, NULL, "", 0, 0,
     "spec.podSets[0].name: Invalid value: \"@64@\": must be no more than 63 characters", ""},
    {"empty name on a lone podSet is defaulted", V1, "{'podSets':[" PS("", 1) "]}", NULL, NULL,
     NULL, "", 0, 0, "", ""},
    {"empty name beside another podSet", V1, "{'podSets':[" PS("", 1) "," PS("b", 1) "]}", NULL,
     NULL, NULL, "", 0, 0, "spec.podSets[0].name: Invalid value: \"\": " LABEL_MSG, ""},
    {"name not a string", V1, "{'podSets':[{'name':5,'count':1," TPL "}]}", NULL, NULL, NULL, "",
     0, 0,
     "spec.podSets[0].name: Invalid value: \"number\": spec.podSets[0].name in body must be of "
     "type string: \"number\"",
     ""},

    /* count */
    {"count 0 allowed", V1, "{'podSets':[" PS("main", 0) "]}", NULL, NULL, NULL, "", 0, 0, "", ""},
    {"count -1", V1, "{'podSets':[" PS("main", -1) "]}", NULL, NULL, NULL, "", 0, 0,
     "spec.podSets[0].count: Invalid value: -1: spec.podSets[0].count in body should be "
     "greater than or equal to 0",
     ""},
    {"count as a string", V1, "{'podSets':[{'name':'main','count':'3'," TPL "}]}", NULL, NULL,
     NULL, "", 0, 0,
     "spec.podSets[0].count: Invalid value: \"string\": spec.podSets[0].count in body must be "
     "of type integer: \"string\"",
     ""},
    {"count int32 max", V1, "{'podSets':[" PS("main", 2147483647) "]}", NULL, NULL, NULL, "", 0,
     0, "", ""},
    {"count past int32", V1, "{'podSets':[" PS("main", 2147483648) "]}", NULL, NULL, NULL, "", 0,
     0, "spec.podSets[0].count: Invalid value: 2147483648: must be a 32-bit integer", ""},
    {"count fractional", V1, "{'podSets':[" PS("main", 1.5) "]}", NULL, NULL, NULL, "", 0, 0,
     "spec.podSets[0].count: Invalid value: 1.5: must be a 32-bit integer", ""},

    /* minCount */
    {"minCount 1 of 1", V1, "{'podSets':[{'name':'main','count':1,'minCount':1," TPL "}]}", NULL,
     NULL, NULL, "", 0, 0, "", ""},
    {"minCount equal to count", V1, "{'podSets':[{'name':'main','count':2,'minCount':2," TPL "}]}",
     NULL, NULL, NULL, "", 0, 0, "", ""},
    {"minCount 0", V1, "{'podSets':[{'name':'main','count':1,'minCount':0," TPL "}]}", NULL, NULL,
     NULL, "", 0, 0,
     "spec.podSets[0].minCount: Invalid value: 0: spec.podSets[0].minCount in body should be "
     "greater than or equal to 1",
     ""},
    {"minCount above count", V1, "{'podSets':[{'name':'main','count':2,'minCount':3," TPL "}]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.podSets[0]: Invalid value: \"object\": minCount should be positive and less or "
     "equal to count",
     ""},
    {"minCount above the default count", V2, "{'podSets':[{'name':'main','minCount':2," TPL "}]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.podSets[0]: Invalid value: \"object\": minCount should be positive and less or "
     "equal to count",
     ""},
    {"minCount on one of two podSets", V1,
     "{'podSets':[{'name':'a','count':3,'minCount':1," TPL "}," PS("b", 1) "]}", NULL, NULL, NULL,
     "", 0, 0, "", ""},
    {"minCount on two podSets", V1,
     "{'podSets':[{'name':'a','count':3,'minCount':1," TPL "},{'name':'b','count':3,'minCount':2,"
     TPL "}]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.podSets: Invalid value: 2: at most one podSet can use minCount", ""},

    /* resources */
    {"positive and zero requests", V1,
     SPEC_RES("{'containers':[{'name':'c','resources':{'requests':{'cpu':'500m','memory':0,"
              "'nvidia.com/gpu':1},'limits':{'cpu':2}}}]}"),
     NULL, NULL, NULL, "", 0, 0, "", ""},
    {"pods in container requests", V1,
     SPEC_RES("{'containers':[{'name':'c','resources':{'requests':{'pods':'1'}}}]}"), NULL, NULL,
     NULL, "", 0, 0,
     PODS_PATH "containers[0].resources.requests[pods]: Invalid value: \"pods\": the key is "
               "reserved for internal kueue use",
     ""},
    {"pods in container limits", V1,
     SPEC_RES("{'containers':[{'name':'c','resources':{'limits':{'pods':'1'}}}]}"), NULL, NULL,
     NULL, "", 0, 0,
     PODS_PATH "containers[0].resources.limits[pods]: Invalid value: \"pods\": the key is "
               "reserved for internal kueue use",
     ""},
    {"pods in initContainer requests", V2,
     SPEC_RES("{'initContainers':[{'name':'i','resources':{'requests':{'pods':1}}}],"
              "'containers':[" CTR "]}"),
     NULL, NULL, NULL, "", 0, 0,
     PODS_PATH "initContainers[0].resources.requests[pods]: Invalid value: \"pods\": the key "
               "is reserved for internal kueue use",
     ""},
    {"pods in pod-level requests", V1,
     SPEC_RES("{'resources':{'requests':{'pods':'2'}},'containers':[" CTR "]}"), NULL, NULL, NULL,
     "", 0, 0,
     PODS_PATH "resources.requests[pods]: Invalid value: \"pods\": the key is reserved for "
               "internal kueue use",
     ""},
    {"negative container cpu request", V1,
     SPEC_RES("{'containers':[{'name':'c','resources':{'requests':{'cpu':'-1'}}}]}"), NULL, NULL,
     NULL, "", 0, 0,
     PODS_PATH "containers[0].resources.requests[cpu]: Invalid value: \"-1\": must be greater "
               "than or equal to 0",
     ""},
    {"negative container memory limit", V1,
     SPEC_RES("{'containers':[{'name':'c','resources':{'requests':{'cpu':'1'},'limits':{"
              "'memory':'-1Gi'}}}]}"),
     NULL, NULL, NULL, "", 0, 0,
     PODS_PATH "containers[0].resources.limits[memory]: Invalid value: \"-1Gi\": must be "
               "greater than or equal to 0",
     ""},
    {"negative initContainer request", V1,
     SPEC_RES("{'initContainers':[{'name':'i','resources':{'requests':{'cpu':'-500m'}}}],"
              "'containers':[" CTR "]}"),
     NULL, NULL, NULL, "", 0, 0,
     PODS_PATH "initContainers[0].resources.requests[cpu]: Invalid value: \"-500m\": must be "
               "greater than or equal to 0",
     ""},
    {"negative pod-level limit", V2,
     SPEC_RES("{'resources':{'limits':{'memory':'-1Mi'}},'containers':[" CTR "]}"), NULL, NULL,
     NULL, "", 0, 0,
     PODS_PATH "resources.limits[memory]: Invalid value: \"-1Mi\": must be greater than or "
               "equal to 0",
     ""},
    {"negative on the second container", V1,
     SPEC_RES("{'containers':[" CTR ",{'name':'d','resources':{'requests':{'cpu':-2}}}]}"), NULL,
     NULL, NULL, "", 0, 0,
     PODS_PATH "containers[1].resources.requests[cpu]: Invalid value: \"-2\": must be greater "
               "than or equal to 0",
     ""},
    {"negative pods is two violations", V1,
     SPEC_RES("{'containers':[{'name':'c','resources':{'requests':{'pods':'-1'}}}]}"), NULL, NULL,
     NULL, "", 0, 0,
     PODS_PATH "containers[0].resources.requests[pods]: Invalid value: \"pods\": the key is "
               "reserved for internal kueue use\n" PODS_PATH
     "containers[0].resources.requests[pods]: Invalid value: \"-1\": must be greater than or "
     "equal to 0",
     ""},
    {"malformed quantity", V1,
     SPEC_RES("{'containers':[{'name':'c','resources':{'requests':{'cpu':'1.5.5'}}}]}"), NULL,
     NULL, NULL, "", 0, 0,
     PODS_PATH "containers[0].resources.requests[cpu]: Invalid value: \"1.5.5\": quantities "
               "must match the regular expression "
               "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
     ""},

    /* template metadata */
    {"valid template labels and annotations", V1,
     "{'podSets':[{'name':'main','template':{'metadata':{'labels':{'app.kubernetes.io/name':"
     "'trainer'},'annotations':{'example.com/note':'any text at all'}},'spec':{'containers':["
     CTR "]}}}]}",
     NULL, NULL, NULL, "", 0, 0, "", ""},
    {"template label key with a space", V1,
     "{'podSets':[{'name':'main','template':{'metadata':{'labels':{'bad key':'x'}},'spec':{"
     "'containers':[" CTR "]}}}]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.podSets[0].template.metadata.labels: Invalid value: \"bad key\": name part " QNAME_MSG,
     ""},
    {"template label value starting with a dash", V1,
     "{'podSets':[{'name':'main','template':{'metadata':{'labels':{'k':'-x'}},'spec':{"
     "'containers':[" CTR "]}}}]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.podSets[0].template.metadata.labels: Invalid value: \"-x\": " LABEL_VALUE_MSG, ""},
    {"template label value of 63 characters", V1,
     "{'podSets':[{'name':'main','template':{'metadata':{'labels':{'k':'@63@'}},'spec':{"
     "'containers':[" CTR "]}}}]}",
     NULL, NULL, NULL, "", 0, 0, "", ""},
    {"template label value of 64 characters", V1,
     "{'podSets':[{'name':'main','template':{'metadata':{'labels':{'k':'@64@'}},'spec':{"
     "'containers':[" CTR "]}}}]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.podSets[0].template.metadata.labels: Invalid value: \"@64@\": must be no more than "
     "63 characters",
     ""},
    {"template annotation key with an empty prefix", V2,
     "{'podSets':[{'name':'main','template':{'metadata':{'annotations':{'/x':'y'}},'spec':{"
     "'containers':[" CTR "]}}}]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.podSets[0].template.metadata.annotations: Invalid value: \"/x\": prefix part must be "
     "non-empty",
     ""},

    /* queueName */
    {"queueName a subdomain", V1,
     "{'queueName':'ai-queue.team-a','podSets':[" PS("main", 1) "]}", NULL, NULL, NULL, "", 0, 0,
     "", ""},
    {"queueName with capitals and underscore", V1,
     "{'queueName':'AI_Queue','podSets':[" PS("main", 1) "]}", NULL, NULL, NULL, "", 0, 0,
     "spec.queueName: Invalid value: \"AI_Queue\": " SUBDOMAIN_MSG, ""},
    {"queueName of 253 characters", V1, "{'queueName':'@253@','podSets':[" PS("main", 1) "]}",
     NULL, NULL, NULL, "", 0, 0, "", ""},
    {"queueName of 254 characters", V1, "{'queueName':'@254@','podSets':[" PS("main", 1) "]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.queueName: Invalid value: \"@254@\": must be no more than 253 characters", ""},
    {"queueName empty means no queue", V1, "{'queueName':'','podSets':[" PS("main", 1) "]}",
     NULL, NULL, NULL, "", 0, 0, "", ""},
    {"queueName not a string", V2, "{'queueName':3,'podSets':[" PS("main", 1) "]}", NULL, NULL,
     NULL, "", 0, 0,
     "spec.queueName: Invalid value: \"number\": spec.queueName in body must be of type "
     "string: \"number\"",
     ""},

    /* priority (v1beta1) */
    {"priorityClassName with priority", V1,
     "{'priorityClassName':'high','priority':1000,'podSets':[" PS("main", 1) "]}", NULL, NULL,
     NULL, "", 0, 0, "", ""},
    {"priorityClassName without priority", V1,
     "{'priorityClassName':'high','podSets':[" PS("main", 1) "]}", NULL, NULL, NULL, "", 0, 0,
     "spec: Invalid value: \"object\": priority should not be nil when priorityClassName is set",
     ""},
    {"priority alone is fine", V1, "{'priority':5,'podSets':[" PS("main", 1) "]}", NULL, NULL,
     NULL, "", 0, 0, "", ""},
    {"priorityClassName not a subdomain", V1,
     "{'priorityClassName':'High','priority':1,'podSets':[" PS("main", 1) "]}", NULL, NULL, NULL,
     "", 0, 0, "spec.priorityClassName: Invalid value: \"High\": " SUBDOMAIN_MSG, ""},
    {"priorityClassSource pod priority", V1,
     "{'priorityClassName':'p','priorityClassSource':'scheduling.k8s.io/priorityclass',"
     "'priority':1,'podSets':[" PS("main", 1) "]}",
     NULL, NULL, NULL, "", 0, 0, "", ""},
    {"priorityClassSource unknown", V1,
     "{'priorityClassName':'p','priorityClassSource':'foo','priority':1,'podSets':[" PS("main", 1)
     "]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.priorityClassSource: Unsupported value: \"foo\": supported values: "
     "\"kueue.x-k8s.io/workloadpriorityclass\", \"scheduling.k8s.io/priorityclass\", \"\"",
     ""},
    {"priority int32 min", V1, "{'priority':-2147483648,'podSets':[" PS("main", 1) "]}", NULL,
     NULL, NULL, "", 0, 0, "", ""},
    {"priority past int32", V1, "{'priority':2147483648,'podSets':[" PS("main", 1) "]}", NULL,
     NULL, NULL, "", 0, 0,
     "spec.priority: Invalid value: 2147483648: must be a 32-bit integer", ""},

    /* priority (v1beta2) */
    {"priorityClassRef with priority", V2,
     "{" REF("kueue.x-k8s.io", "WorkloadPriorityClass", "high") ",'priority':9,'podSets':["
     PS("main", 1) "]}",
     NULL, NULL, NULL, "", 0, 0, "", ""},
    {"priorityClassRef without priority", V2,
     "{" REF("scheduling.k8s.io", "PriorityClass", "high") ",'podSets':[" PS("main", 1) "]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec: Invalid value: \"object\": priority should not be nil when priorityClassRef is set",
     ""},
    {"priorityClassRef unknown group", V2,
     "{" REF("example.com", "PriorityClass", "high") ",'priority':1,'podSets':[" PS("main", 1)
     "]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.priorityClassRef.group: Unsupported value: \"example.com\": supported values: "
     "\"kueue.x-k8s.io\", \"scheduling.k8s.io\"",
     ""},
    {"priorityClassRef scheduling group with kueue kind", V2,
     "{" REF("scheduling.k8s.io", "WorkloadPriorityClass", "high") ",'priority':1,'podSets':["
     PS("main", 1) "]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.priorityClassRef: Invalid value: \"object\": only the PriorityClass kind is allowed "
     "for the scheduling.k8s.io group",
     ""},
    {"priorityClassRef kueue group with pod kind", V2,
     "{" REF("kueue.x-k8s.io", "PriorityClass", "high") ",'priority':1,'podSets':[" PS("main", 1)
     "]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.priorityClassRef: Invalid value: \"object\": only the WorkloadPriorityClass kind is "
     "allowed for the kueue.x-k8s.io group",
     ""},
    {"priorityClassRef without name and group", V2,
     "{'priorityClassRef':{'kind':'PriorityClass'},'priority':1,'podSets':[" PS("main", 1) "]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.priorityClassRef.group: Required value\nspec.priorityClassRef.name: Required value",
     ""},
    {"priorityClassRef name not a subdomain", V2,
     "{" REF("kueue.x-k8s.io", "WorkloadPriorityClass", "Hi") ",'priority':1,'podSets':["
     PS("main", 1) "]}",
     NULL, NULL, NULL, "", 0, 0,
     "spec.priorityClassRef.name: Invalid value: \"Hi\": " SUBDOMAIN_MSG, ""},

    /* status */
    {"reserved with admission", V1, SPEC1, RESERVED, NULL, NULL, "", 0, 0, "", ""},
    {"reserved without admission", V1, SPEC1,
     "{'conditions':[{'type':'QuotaReserved','status':'True','reason':'R','message':'','lastTransitionTime':'2026-12-01T00:00:00Z'}]}", NULL, NULL, "", 0, 0,
     "status.admission: Required value: must be set while the QuotaReserved condition is true",
     ""},
    {"not reserved without admission", V1, SPEC1, NOT_RESERVED, NULL, NULL, "", 0, 0, "", ""},
    {"assignment for an unknown podSet", V1, "{'podSets':[" PS("main", 1) "," PS("x", 1) "]}",
     "{'conditions':[{'type':'QuotaReserved','status':'True','reason':'R','message':'','lastTransitionTime':'2026-12-01T00:00:00Z'}],'admission':{'clusterQueue':'cq',"
     "'podSetAssignments':[{'name':'main'},{'name':'other'}]}}",
     NULL, NULL, "", 0, 0, "status.admission.podSetAssignments[1].name: Not found: \"other\"",
     ""},
    {"assignment without name means main", V2, SPEC1,
     "{'conditions':[{'type':'QuotaReserved','status':'True','reason':'R','message':'','lastTransitionTime':'2026-12-01T00:00:00Z'}],'admission':{'clusterQueue':'cq',"
     "'podSetAssignments':[{'count':1}]}}",
     NULL, NULL, "", 0, 0, "", ""},

    /* UPDATE: podSets */
    {"reserved: podSets unchanged", V1, SPEC1, RESERVED, SPEC1, RESERVED, "", 0, 0, "", ""},
    {"reserved: image changed", V1,
     "{'queueName':'q','podSets':[{'name':'main','count':1,'template':{'spec':{'containers':[{"
     "'name':'c','image':'j'}]}}}]}",
     RESERVED, SPEC1, RESERVED, "", 0, 0,
     "spec.podSets[0]: Invalid value: "
     "{\"name\":\"main\",\"count\":1,\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\","
     "\"image\":\"j\"}]}}}: field is immutable",
     ""},
    {"reserved: count decrease allowed", V1, "{'queueName':'q','podSets':[" PS("main", 2) "]}",
     RESERVED, "{'queueName':'q','podSets':[" PS("main", 3) "]}", RESERVED, "", 0, 0, "", ""},
    {"reserved: count increase refused", V1, "{'queueName':'q','podSets':[" PS("main", 4) "]}",
     RESERVED, "{'queueName':'q','podSets':[" PS("main", 3) "]}", RESERVED, "", 0, 0,
     "spec.podSets[0]: Invalid value: "
     "{\"name\":\"main\",\"count\":4,\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\","
     "\"image\":\"i\"}]}}}: field is immutable",
     ""},
    {"reserved: default count 1 equals explicit 1", V1,
     "{'queueName':'q','podSets':[{'name':'main'," TPL "}]}", RESERVED, SPEC1, RESERVED, "", 0, 0,
     "", ""},
    {"reserved: podSet added", V1, "{'podSets':[" PS("main", 1) "," PS("b", 1) "]}", RESERVED,
     "{'podSets':[" PS("main", 1) "]}", RESERVED, "", 0, 0,
     "status.admission.podSetAssignments: Invalid value: 1: podSetAssignments must have the "
     "same number of podSets as the spec\n"
     "spec.podSets: Invalid value: "
     "[{\"name\":\"main\",\"count\":1,\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\","
     "\"image\":\"i\"}]}}},{\"name\":\"b\",\"count\":1,\"template\":{\"spec\":{\"containers\":"
     "[{\"name\":\"c\",\"image\":\"i\"}]}}}]: field is immutable",
     ""},
    {"not reserved: podSets may change", V1, "{'podSets':[" PS("main", 5) "]}", NOT_RESERVED,
     SPEC1, NOT_RESERVED, "", 0, 0, "", ""},

    /* UPDATE: queueName and priority class reference */
    {"reserved both: queueName changed", V1, "{'queueName':'b','podSets':[" PS("main", 1) "]}",
     RESERVED, SPEC1, RESERVED, "", 0, 0, "spec.queueName: Invalid value: \"b\": field is immutable",
     ""},
    {"reserved both: queueName removed", V1, "{'podSets':[" PS("main", 1) "]}", RESERVED, SPEC1,
     RESERVED, "", 0, 0, "spec.queueName: Invalid value: \"\": field is immutable", ""},
    {"evicted: queueName may change", V1, "{'queueName':'b','podSets':[" PS("main", 1) "]}",
     NOT_RESERVED, SPEC1, RESERVED, "", 0, 0, "", ""},
    {"not yet reserved: queueName may change", V2,
     "{'queueName':'b','podSets':[" PS("main", 1) "]}", NULL, SPEC1, NULL, "", 0, 0, "", ""},
    {"reserved both: priorityClassName changed", V1,
     "{'priorityClassName':'b','priority':1,'podSets':[" PS("main", 1) "]}", RESERVED,
     "{'priorityClassName':'a','priority':1,'podSets':[" PS("main", 1) "]}", RESERVED, "", 0, 0,
     "spec.priorityClassName: Invalid value: \"b\": field is immutable", ""},
    {"reserved both: priorityClassSource changed", V1,
     "{'priorityClassName':'a','priorityClassSource':'scheduling.k8s.io/priorityclass',"
     "'priority':1,'podSets':[" PS("main", 1) "]}",
     RESERVED,
     "{'priorityClassName':'a','priorityClassSource':'kueue.x-k8s.io/workloadpriorityclass',"
     "'priority':1,'podSets':[" PS("main", 1) "]}",
     RESERVED, "", 0, 0,
     "spec.priorityClassSource: Invalid value: \"scheduling.k8s.io/priorityclass\": field is "
     "immutable",
     ""},
    {"reserved both: priorityClassRef removed", V2,
     "{'priority':1,'podSets':[" PS("main", 1) "]}", RESERVED,
     "{" REF("kueue.x-k8s.io", "WorkloadPriorityClass", "a") ",'priority':1,'podSets':["
     PS("main", 1) "]}",
     RESERVED, "", 0, 0, "spec.priorityClassRef: Invalid value: null: field is immutable", ""},
    {"reserved both: WorkloadPriorityClass name may change", V2,
     "{" REF("kueue.x-k8s.io", "WorkloadPriorityClass", "b") ",'priority':1,'podSets':["
     PS("main", 1) "]}",
     RESERVED,
     "{" REF("kueue.x-k8s.io", "WorkloadPriorityClass", "a") ",'priority':1,'podSets':["
     PS("main", 1) "]}",
     RESERVED, "", 0, 0, "", ""},
    {"reserved both: PriorityClass name changed", V2,
     "{" REF("scheduling.k8s.io", "PriorityClass", "b") ",'priority':1,'podSets':[" PS("main", 1)
     "]}",
     RESERVED,
     "{" REF("scheduling.k8s.io", "PriorityClass", "a") ",'priority':1,'podSets':[" PS("main", 1)
     "]}",
     RESERVED, "", 0, 0, "spec.priorityClassRef.name: Invalid value: \"b\": field is immutable",
     ""},
    {"reserved both: priorityClassRef group changed", V2,
     "{" REF("scheduling.k8s.io", "PriorityClass", "a") ",'priority':1,'podSets':[" PS("main", 1)
     "]}",
     RESERVED,
     "{" REF("kueue.x-k8s.io", "WorkloadPriorityClass", "a") ",'priority':1,'podSets':["
     PS("main", 1) "]}",
     RESERVED, "", 0, 0,
     "spec.priorityClassRef.group: Invalid value: \"scheduling.k8s.io\": field is immutable\n"
     "spec.priorityClassRef.kind: Invalid value: \"PriorityClass\": field is immutable",
     ""},

    /* UPDATE: status.admission */
    {"admission edited", V1, SPEC1, RESERVED_CQ("other"), SPEC1, RESERVED, "status", 0, 0,
     "status.admission: Invalid value: {\"clusterQueue\":\"other\",\"podSetAssignments\":[{"
     "\"name\":\"main\",\"count\":1}]}: field is immutable",
     ""},
    {"admission cleared", V1, SPEC1, NOT_RESERVED, SPEC1, RESERVED, "status", 0, 0, "", ""},
    {"admission set", V2, SPEC1, RESERVED, SPEC1, NOT_RESERVED, "status", 0, 0, "", ""},
    {"admission re-saved unchanged", V1, SPEC1, RESERVED, SPEC1, RESERVED, "status", 0, 0, "",
     ""},

    /* cluster references */
    {"LocalQueue exists", V1, "{'queueName':'ai-queue','podSets':[" PS("main", 1) "]}", NULL, NULL,
     NULL, "", 0, CL_LQ, "", ""},
    {"seed Queue alias counts as the LocalQueue", V1,
     "{'queueName':'ai-queue','podSets':[" PS("main", 1) "]}", NULL, NULL, NULL, "", 0,
     CL_QUEUE_ALIAS, "", ""},
    {"LocalQueue missing warns", V2, "{'queueName':'ai-queue','podSets':[" PS("main", 1) "]}",
     NULL, NULL, NULL, "", 0, CL_EMPTY, "",
     "spec.queueName: LocalQueue \"ai-queue\" does not exist in namespace \"default\"; the "
     "Workload waits until it does"},
    {"LocalQueue in another namespace warns", V1,
     "{'queueName':'ai-queue','podSets':[" PS("main", 1) "]}", NULL, NULL, NULL, "", 0,
     CL_LQ_OTHER_NS, "",
     "spec.queueName: LocalQueue \"ai-queue\" does not exist in namespace \"default\"; the "
     "Workload waits until it does"},
    {"no cluster view, no warning", V1, "{'queueName':'ai-queue','podSets':[" PS("main", 1) "]}",
     NULL, NULL, NULL, "", 0, CL_NONE, "", ""},
    {"status updates do not warn", V1, "{'queueName':'ai-queue','podSets':[" PS("main", 1) "]}",
     NULL, "{'queueName':'ai-queue','podSets':[" PS("main", 1) "]}", NULL, "status", 0, CL_EMPTY,
     "", ""},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(test_validate_workload__rules)
{
    const wl_case_t *tc = &cases[_i];
    cJSON *obj = make_workload(tc->api, tc->spec, tc->status, tc->podsets);
    cJSON *old = NULL;
    if (tc->old_spec || tc->old_status)
        old = make_workload(tc->api, tc->old_spec, tc->old_status, 0);
    cJSON *cluster_json = NULL;
    wh_cluster_t cluster = rgt_array_cluster(NULL);
    if (clusters[tc->cluster]) {
        char *s = expand(clusters[tc->cluster], true);
        cluster_json = parse(s);
        rg_free(s);
        cluster.ctx = cluster_json;
    }
    wh_vctx_t ctx = {old ? ADM_OP_UPDATE : ADM_OP_CREATE, tc->sub, tc->api,
                     cluster_json ? &cluster : NULL};
    field_errors_t errs = FIELD_ERRORS_INIT;
    wh_warnings_t warns = WH_WARNINGS_INIT;
    wh_workload_validate(&ctx, obj, old, &errs, &warns);

    char *want = expand(tc->want, false);
    char *got = rgt_errors_text(&errs);
    ck_assert_msg(strcmp(got, want) == 0, "case \"%s\"\n want: %s\n  got: %s", tc->name, want,
                  got);
    char *want_w = expand(tc->want_warn, false);
    char *got_w = rgt_warnings_text(&warns);
    ck_assert_msg(strcmp(got_w, want_w) == 0, "case \"%s\" warnings\n want: %s\n  got: %s",
                  tc->name, want_w, got_w);

    rg_free(want);
    rg_free(got);
    rg_free(want_w);
    rg_free(got_w);
    field_errors_release(&errs);
    wh_warnings_release(&warns);
    cJSON_Delete(obj);
    cJSON_Delete(old);
    cJSON_Delete(cluster_json);
}
END_TEST


/* ---- Kueue v0.19 parity: status rules, TAS, elastic jobs ------------------ */

/*
 * A Workload with the given metadata members (JSON text without braces,
 * e.g. 'annotations':{...}), spec and status (NULL: none). Owned.
 */
static cJSON *make_wl(wh_api_t api, const char *meta, const char *spec, const char *status)
{
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_appendf(&b,
                   "{'apiVersion':'kueue.x-k8s.io/%s','kind':'Workload','metadata':{'name':'wl',"
                   "'namespace':'default'%s%s}",
                   api == WH_API_KUEUE_V1BETA2 ? "v1beta2" : "v1beta1", meta ? "," : "",
                   meta ? meta : "");
    if (spec)
        rg_buf_appendf(&b, ",'spec':%s", spec);
    if (status)
        rg_buf_appendf(&b, ",'status':%s", status);
    rg_buf_append_char(&b, '}');
    char *text = expand(b.data, true);
    cJSON *j = parse(text);
    rg_free(text);
    rg_buf_release(&b);
    return j;
}

typedef struct wlp_case {
    const char *name;
    wh_api_t api;
    const char *meta, *spec, *status;
    bool update;
    const char *old_meta, *old_spec, *old_status;
    const char *want, *warn;
} wlp_case_t;

#define ELASTIC "'annotations':{'kueue.x-k8s.io/elastic-job':'true'}"
#define QR "{'type':'QuotaReserved','status':'True','reason':'R','message':'','lastTransitionTime':'2026-12-01T00:00:00Z'}"
#define ADM "{'type':'Admitted','status':'True','reason':'R','message':'','lastTransitionTime':'2026-12-01T00:00:00Z'}"
#define SPEC_N(c) "{'queueName':'q','podSets':[" PS("main", c) "]}"
/* Reserved with one assignment of count c and the given resourceUsage. */
#define RSV(c, usage) \
    "{'conditions':[" QR "],'admission':{'clusterQueue':'cq','podSetAssignments':[{'name':" \
    "'main','count':" #c ",'resourceUsage':" usage "}]}"
#define RSV_WITH(c, extra) RSV(c, "{}") "," extra "}"
#define TR(x) "{'queueName':'q','podSets':[{'name':'main','count':4," TPL ",'topologyRequest':" x "}]}"
#define PSU(x) "{'admissionChecks':[{'name':'ac','state':'Ready','podSetUpdates':[" x "]}]}"
#define PSU_STATE(st, x) "{'admissionChecks':[{'name':'ac','state':'" st "','podSetUpdates':[" x "]}]}"
#define PSU_PATH "status.admissionChecks[0].podSetUpdates[0]."
#define RP(n, c) "{'name':'" n "','count':" #c "}"
#define RECL(x) "{'reclaimablePods':[" x "]}"
#define RSV_RECL(c, x) RSV_WITH(c, "'reclaimablePods':[" x "]")
#define TOO_LONG_63 "Too long: may not be more than 63 bytes"

static const wlp_case_t parity_cases[] = {
    /* reservesQuotaWithoutAdmission */
    {.name = "reserved without admission stays updatable", .api = V2, .spec = SPEC1,
     .status = "{'conditions':[" QR "]}", .update = true, .old_spec = SPEC1,
     .old_status = "{'conditions':[" QR "]}", .want = ""},
    {.name = "an update may not start reserving without admission", .api = V2, .spec = SPEC1,
     .status = "{'conditions':[" QR "]}", .update = true, .old_spec = SPEC1,
     .old_status = NOT_RESERVED,
     .want = "status.admission: Required value: must be set while the QuotaReserved condition "
             "is true"},

    /* podSetAssignments[].resourceUsage divisible by count */
    {.name = "usage divisible by count", .api = V2, .spec = SPEC_N(3),
     .status = RSV(3, "{'cpu':'3','memory':'3Gi'}") "}", .want = ""},
    {.name = "cpu usage not divisible by count", .api = V2, .spec = SPEC_N(3),
     .status = RSV(3, "{'cpu':'1'}") "}",
     .want = "status.admission.podSetAssignments[0].resourceUsage[cpu]: Invalid value: \"1\": "
             "is not a multiple of 3"},
    {.name = "cpu usage in millis divisible", .api = V1, .spec = SPEC_N(3),
     .status = RSV(3, "{'cpu':'300m'}") "}", .want = ""},
    {.name = "memory usage not divisible", .api = V1, .spec = SPEC_N(3),
     .status = RSV(3, "{'memory':'1Gi'}") "}",
     .want = "status.admission.podSetAssignments[0].resourceUsage[memory]: Invalid value: "
             "\"1Gi\": is not a multiple of 3"},
    {.name = "usage with count 0 is not checked", .api = V2, .spec = SPEC_N(3),
     .status = RSV(0, "{'cpu':'1'}") "}", .want = ""},
    {.name = "fewer assignments than podSets", .api = V2,
     .spec = "{'podSets':[" PS("main", 1) "," PS("b", 1) "]}", .status = RSV(1, "{}") "}",
     .want = "status.admission.podSetAssignments: Invalid value: 1: podSetAssignments must "
             "have the same number of podSets as the spec"},

    /* TAS: validateTASSliceSize and the CRD bounds */
    {.name = "slice topology with size", .api = V2,
     .spec = TR("{'podSetSliceRequiredTopology':'rack','podSetSliceSize':1}"), .want = ""},
    {.name = "slice size 0", .api = V2,
     .spec = TR("{'podSetSliceRequiredTopology':'rack','podSetSliceSize':0}"),
     .want = "spec.podSets[0].topologyRequest.podSetSliceSize: Invalid value: 0: must be "
             "greater than 0"},
    {.name = "slice topology without size", .api = V2,
     .spec = TR("{'podSetSliceRequiredTopology':'rack'}"),
     .want = "spec.podSets[0].topologyRequest.podSetSliceSize: Required value: must be set "
             "when podSetSliceRequiredTopology is specified"},
    {.name = "slice size without topology", .api = V1, .spec = TR("{'podSetSliceSize':2}"),
     .want = "spec.podSets[0].topologyRequest.podSetSliceSize: Forbidden: may not be set when "
             "podSetSliceRequiredTopology is not specified"},
    {.name = "layer size 1 allowed", .api = V2,
     .spec = TR("{'podsetSliceRequiredTopologyConstraints':[{'topology':'rack','size':1}]}"),
     .want = ""},
    {.name = "layer size 0", .api = V2,
     .spec = TR("{'podsetSliceRequiredTopologyConstraints':[{'topology':'rack','size':2},"
                "{'topology':'host','size':0}]}"),
     .want = "spec.podSets[0].topologyRequest.podsetSliceRequiredTopologyConstraints[1].size: "
             "Invalid value: 0: must be greater than 0"},
    {.name = "four layers too many", .api = V2,
     .spec = TR("{'podsetSliceRequiredTopologyConstraints':[{'topology':'a','size':1},"
                "{'topology':'b','size':1},{'topology':'c','size':1},{'topology':'d','size':1}]}"),
     .want = "spec.podSets[0].topologyRequest.podsetSliceRequiredTopologyConstraints: Too many: "
             "4: must have at most 3 items"},
    {.name = "required topology of 63 characters", .api = V2, .spec = TR("{'required':'@63@'}"),
     .want = ""},
    {.name = "required topology of 64 characters", .api = V2, .spec = TR("{'required':'@64@'}"),
     .want = "spec.podSets[0].topologyRequest.required: " TOO_LONG_63},
    {.name = "negative subGroupCount warns", .api = V2, .spec = TR("{'subGroupCount':-1}"),
     .want = "",
     .warn = "spec.podSets[0].topologyRequest.subGroupCount: negative value -1 is deprecated "
             "and will be rejected in a future release"},
    {.name = "subGroupCount 0 is fine", .api = V2, .spec = TR("{'subGroupCount':0}"), .want = ""},

    /* status.admissionChecks[].podSetUpdates */
    {.name = "podSetUpdate valid", .api = V2, .spec = SPEC1,
     .status = PSU("{'name':'main','labels':{'a':'b'},'nodeSelector':{'zone':'z1'},"
                   "'annotations':{'x/y':'z'},'tolerations':[{'key':'k','operator':'Equal',"
                   "'value':'v','effect':'NoSchedule'}]}"),
     .want = ""},
    {.name = "podSetUpdate for an unknown podSet", .api = V2, .spec = SPEC1,
     .status = PSU("{'name':'workers'}"),
     .want = PSU_PATH "name: Unsupported value: \"workers\": supported values: \"main\""},
    {.name = "podSetUpdate label key invalid", .api = V1, .spec = SPEC1,
     .status = PSU("{'name':'main','labels':{'a b':'c'}}"),
     .want = PSU_PATH "labels: Invalid value: \"a b\": name part " QNAME_MSG},
    {.name = "podSetUpdate nodeSelector value invalid", .api = V2, .spec = SPEC1,
     .status = PSU("{'name':'main','nodeSelector':{'zone':'-x'}}"),
     .want = PSU_PATH "nodeSelector: Invalid value: \"-x\": " LABEL_VALUE_MSG},
    {.name = "podSetUpdate annotation key invalid", .api = V2, .spec = SPEC1,
     .status = PSU("{'name':'main','annotations':{'/x':'y'}}"),
     .want = PSU_PATH "annotations: Invalid value: \"/x\": prefix part must be non-empty"},
    {.name = "podSetUpdate toleration key invalid", .api = V2, .spec = SPEC1,
     .status = PSU("{'name':'main','tolerations':[{'key':'a b','operator':'Exists'}]}"),
     .want = PSU_PATH "tolerations[0].key: Invalid value: \"a b\": name part " QNAME_MSG},
    {.name = "podSetUpdate toleration Exists with a value", .api = V2, .spec = SPEC1,
     .status = PSU("{'name':'main','tolerations':[{'key':'k','operator':'Exists','value':'v'}]}"),
     .want = PSU_PATH "tolerations: Invalid value: \"array\": a value must be empty when "
                      "'operator' is 'Exists'"},
    {.name = "podSetUpdate toleration without key needs Exists", .api = V1, .spec = SPEC1,
     .status = PSU("{'name':'main','tolerations':[{'operator':'Equal'}]}"),
     .want = PSU_PATH "tolerations: Invalid value: \"array\": operator must be Exists when 'key' "
                      "is empty, which means 'match all values and all keys'"},
    {.name = "podSetUpdate toleration seconds need NoExecute", .api = V2, .spec = SPEC1,
     .status = PSU("{'name':'main','tolerations':[{'key':'k','effect':'NoSchedule',"
                   "'tolerationSeconds':5}]}"),
     .want = PSU_PATH "tolerations: Invalid value: \"array\": effect must be 'NoExecute' when "
                      "'tolerationSeconds' is set"},
    {.name = "podSetUpdate toleration operator and effect unknown", .api = V2, .spec = SPEC1,
     .status = PSU("{'name':'main','tolerations':[{'key':'k','operator':'In','effect':'Never'}]}"),
     .want = PSU_PATH "tolerations: Invalid value: \"array\": supported toleration values: "
                      "'Equal'(default), 'Exists'\n" PSU_PATH
                      "tolerations: Invalid value: \"array\": supported taint effect values: "
                      "'NoSchedule', 'PreferNoSchedule', 'NoExecute'"},
    {.name = "admission check state unknown", .api = V2, .spec = SPEC1,
     .status = PSU_STATE("Done", ""),
     .want = "status.admissionChecks[0].state: Unsupported value: \"Done\": supported values: "
             "\"Pending\", \"Ready\", \"Retry\", \"Rejected\""},
    {.name = "Ready check keeps its podSetUpdates", .api = V2, .spec = SPEC1,
     .status = PSU("{'name':'main','nodeSelector':{'zone':'b'}}"), .update = true,
     .old_spec = SPEC1, .old_status = PSU("{'name':'main','nodeSelector':{'zone':'a'}}"),
     .want = "status.admissionChecks[0].podSetUpdates: Invalid value: "
             "[{\"name\":\"main\",\"nodeSelector\":{\"zone\":\"b\"}}]: field is immutable"},
    {.name = "Ready check re-saved unchanged", .api = V2, .spec = SPEC1,
     .status = PSU("{'name':'main','nodeSelector':{'zone':'a'}}"), .update = true,
     .old_spec = SPEC1, .old_status = PSU("{'name':'main','nodeSelector':{'zone':'a'}}"),
     .want = ""},
    {.name = "Pending check may change its podSetUpdates", .api = V2, .spec = SPEC1,
     .status = PSU("{'name':'main','nodeSelector':{'zone':'b'}}"), .update = true,
     .old_spec = SPEC1,
     .old_status = PSU_STATE("Pending", "{'name':'main','nodeSelector':{'zone':'a'}}"),
     .want = ""},

    /* status.reclaimablePods */
    {.name = "reclaimable count at the podSet count", .api = V2, .spec = SPEC_N(2),
     .status = RECL(RP("main", 2)), .want = ""},
    {.name = "reclaimable count above the podSet count", .api = V2, .spec = SPEC_N(2),
     .status = RECL(RP("main", 3)),
     .want = "status.reclaimablePods[main].count: Invalid value: 3: should be less or equal "
             "to 2"},
    {.name = "reclaimable for an unknown podSet", .api = V1, .spec = SPEC_N(2),
     .status = RECL(RP("workers", 1)),
     .want = "status.reclaimablePods[workers].name: Unsupported value: \"workers\": supported "
             "values: \"main\""},
    {.name = "reclaimable count negative", .api = V2, .spec = SPEC_N(2),
     .status = RECL(RP("main", -1)),
     .want = "status.reclaimablePods[main].count: Invalid value: -1: "
             "status.reclaimablePods[main].count in body should be greater than or equal to 0"},
    {.name = "elastic: unchanged stale count converges", .api = V2, .meta = ELASTIC,
     .spec = SPEC_N(2), .status = RECL(RP("main", 3)), .update = true, .old_meta = ELASTIC,
     .old_spec = SPEC_N(4), .old_status = RECL(RP("main", 3)), .want = ""},
    {.name = "elastic: a changed count is still checked", .api = V2, .meta = ELASTIC,
     .spec = SPEC_N(2), .status = RECL(RP("main", 4)), .update = true, .old_meta = ELASTIC,
     .old_spec = SPEC_N(4), .old_status = RECL(RP("main", 3)),
     .want = "status.reclaimablePods[main].count: Invalid value: 4: should be less or equal "
             "to 2"},
    {.name = "not elastic: a stale count is refused", .api = V2, .spec = SPEC_N(2),
     .status = RECL(RP("main", 3)), .update = true, .old_spec = SPEC_N(2),
     .old_status = RECL(RP("main", 3)),
     .want = "status.reclaimablePods[main].count: Invalid value: 3: should be less or equal "
             "to 2"},
    {.name = "reserved: reclaimable count may grow", .api = V2, .spec = SPEC_N(3),
     .status = RSV_RECL(3, RP("main", 2)), .update = true, .old_spec = SPEC_N(3),
     .old_status = RSV_RECL(3, RP("main", 1)), .want = ""},
    {.name = "reserved: reclaimable count may not shrink", .api = V2, .spec = SPEC_N(3),
     .status = RSV_RECL(3, RP("main", 1)), .update = true, .old_spec = SPEC_N(3),
     .old_status = RSV_RECL(3, RP("main", 2)),
     .want = "status.reclaimablePods[main].count: Invalid value: 1: cannot be less than 2"},
    {.name = "reserved: reclaimable entry may not go", .api = V2, .spec = SPEC_N(3),
     .status = RSV(3, "{}") "}", .update = true, .old_spec = SPEC_N(3),
     .old_status = RSV_RECL(3, RP("main", 2)),
     .want = "status.reclaimablePods[main]: Required value: cannot be removed"},
    {.name = "reserved elastic scaled down: count may shrink", .api = V2, .meta = ELASTIC,
     .spec = SPEC_N(2), .status = RSV_RECL(3, RP("main", 1)), .update = true,
     .old_meta = ELASTIC, .old_spec = SPEC_N(2), .old_status = RSV_RECL(3, RP("main", 2)),
     .want = ""},
    {.name = "not reserved: reclaimable count may shrink", .api = V2, .spec = SPEC_N(3),
     .status = RECL(RP("main", 1)), .update = true, .old_spec = SPEC_N(3),
     .old_status = RECL(RP("main", 2)), .want = ""},

    /* minCount with the elastic-job annotation */
    {.name = "minCount without elastic job", .api = V2,
     .spec = "{'podSets':[{'name':'main','count':4,'minCount':2," TPL "}]}", .want = ""},
    {.name = "minCount with elastic job", .api = V2, .meta = ELASTIC,
     .spec = "{'podSets':[{'name':'main','count':4,'minCount':2," TPL "}]}",
     .want = "spec.podSets: Invalid value: 1: partial admission and elastic job cannot be used "
             "together"},
    {.name = "elastic annotation false is not elastic", .api = V2,
     .meta = "'annotations':{'kueue.x-k8s.io/elastic-job':'false'}",
     .spec = "{'podSets':[{'name':'main','count':4,'minCount':2," TPL "}]}", .want = ""},

    /* maximumExecutionTimeSeconds */
    {.name = "maximumExecutionTimeSeconds 1", .api = V2,
     .spec = "{'maximumExecutionTimeSeconds':1,'podSets':[" PS("main", 1) "]}", .want = ""},
    {.name = "maximumExecutionTimeSeconds 0", .api = V1,
     .spec = "{'maximumExecutionTimeSeconds':0,'podSets':[" PS("main", 1) "]}",
     .want = "spec.maximumExecutionTimeSeconds: Invalid value: 0: "
             "spec.maximumExecutionTimeSeconds in body should be greater than or equal to 1"},
    {.name = "admitted: maximumExecutionTimeSeconds changed", .api = V2,
     .spec = "{'maximumExecutionTimeSeconds':20,'podSets':[" PS("main", 1) "]}",
     .status = "{'conditions':[" ADM "]}", .update = true,
     .old_spec = "{'maximumExecutionTimeSeconds':10,'podSets':[" PS("main", 1) "]}",
     .old_status = "{'conditions':[" ADM "]}",
     .want = "spec.maximumExecutionTimeSeconds: Invalid value: 20: field is immutable"},
    {.name = "admitted: maximumExecutionTimeSeconds added", .api = V1,
     .spec = "{'maximumExecutionTimeSeconds':20,'podSets':[" PS("main", 1) "]}",
     .status = "{'conditions':[" ADM "]}", .update = true, .old_spec = SPEC1,
     .old_status = "{'conditions':[" ADM "]}",
     .want = "spec.maximumExecutionTimeSeconds: Invalid value: 20: field is immutable"},
    {.name = "admitted before only: maximumExecutionTimeSeconds may change", .api = V2,
     .spec = "{'maximumExecutionTimeSeconds':20,'podSets':[" PS("main", 1) "]}", .update = true,
     .old_spec = "{'maximumExecutionTimeSeconds':10,'podSets':[" PS("main", 1) "]}",
     .old_status = "{'conditions':[" ADM "]}", .want = ""},

    /* clusterName and nominatedClusterNames */
    {.name = "clusterName alone", .api = V2, .spec = SPEC1, .status = "{'clusterName':'w1'}",
     .want = ""},
    {.name = "clusterName with an empty nomination list", .api = V2, .spec = SPEC1,
     .status = "{'clusterName':'w1','nominatedClusterNames':[]}", .want = ""},
    {.name = "clusterName with nominations", .api = V1, .spec = SPEC1,
     .status = "{'clusterName':'w1','nominatedClusterNames':['w1']}",
     .want = "status: Invalid value: \"object\": clusterName and nominatedClusterNames are "
             "mutually exclusive"},
    {.name = "clusterName set to a nominated cluster", .api = V2, .spec = SPEC1,
     .status = "{'clusterName':'w2'}", .update = true, .old_spec = SPEC1,
     .old_status = "{'nominatedClusterNames':['w1','w2']}", .want = ""},
    {.name = "clusterName set to a cluster not nominated", .api = V2, .spec = SPEC1,
     .status = "{'clusterName':'w3'}", .update = true, .old_spec = SPEC1,
     .old_status = "{'nominatedClusterNames':['w1','w2']}",
     .want = "status.clusterName: Invalid value: \"w3\": when setting clusterName it must be "
             "one of the nominatedClusterNames"},
    {.name = "clusterName of an elastic replacement slice", .api = V2,
     .meta = "'annotations':{'kueue.x-k8s.io/workload-slice-replacement-for':'default/old'}",
     .spec = SPEC1, .status = "{'clusterName':'w3'}", .update = true, .old_spec = SPEC1,
     .old_status = "{}", .want = ""},
    {.name = "clusterName changed once set", .api = V2, .spec = SPEC1,
     .status = "{'clusterName':'w2'}", .update = true, .old_spec = SPEC1,
     .old_status = "{'clusterName':'w1'}",
     .want = "status: Invalid value: \"object\": clusterName is immutable once set"},
    {.name = "clusterName cleared", .api = V2, .spec = SPEC1, .status = "{}", .update = true,
     .old_spec = SPEC1, .old_status = "{'clusterName':'w1'}", .want = ""},
    /* status.conditions (metav1validation.ValidateConditions) */
    {.name = "condition complete", .api = V2, .spec = SPEC1,
     .status = "{'conditions':[{'type':'Finished','status':'True','reason':'Succeeded',"
               "'message':'done','lastTransitionTime':'2026-12-01T00:00:00Z'}]}",
     .want = ""},
    {.name = "condition without reason and time", .api = V2, .spec = SPEC1,
     .status = "{'conditions':[{'type':'Finished','status':'True','message':''}]}",
     .want = "status.conditions[0].lastTransitionTime: Required value: must be set\n"
             "status.conditions[0].reason: Required value: must be set"},
    {.name = "condition status and reason malformed", .api = V1, .spec = SPEC1,
     .status = "{'conditions':[{'type':'Finished','status':'Yes','reason':'1bad',"
               "'message':'','lastTransitionTime':'2026-12-01T00:00:00Z'}]}",
     .want = "status.conditions[0].status: Unsupported value: \"Yes\": supported values: "
             "\"False\", \"True\", \"Unknown\"\n"
             "status.conditions[0].reason: Invalid value: \"1bad\": a condition reason must "
             "start with alphabetic character, optionally followed by a string of alphanumeric "
             "characters or '_,:', and must end with an alphanumeric character or '_' (e.g. "
             "'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or "
             "'ReasonA:ReasonB', regex used for validation is "
             "'[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')"},
    {.name = "condition reason with comma and colon", .api = V2, .spec = SPEC1,
     .status = "{'conditions':[{'type':'Finished','status':'False','reason':'A,b:C_',"
               "'message':'','lastTransitionTime':'2026-12-01T00:00:00Z'}]}",
     .want = ""},
    {.name = "condition type twice", .api = V2, .spec = SPEC1,
     .status = "{'conditions':[{'type':'Finished','status':'True','reason':'R','message':'',"
               "'lastTransitionTime':'2026-12-01T00:00:00Z'},{'type':'Finished','status':"
               "'False','reason':'R','message':'','lastTransitionTime':'2026-12-01T00:00:00Z'}]}",
     .want = "status.conditions[1].type: Duplicate value: \"Finished\""},

    /* kueue.x-k8s.io/admission-gated-by (AdmissionGatedBy, beta in v0.19) */
    {.name = "admission gates valid", .api = V2,
     .meta = "'annotations':{'kueue.x-k8s.io/admission-gated-by':'example.com/a, example.com/b'}",
     .spec = SPEC1, .want = ""},
    {.name = "admission gate not a domain-prefixed path", .api = V2,
     .meta = "'annotations':{'kueue.x-k8s.io/admission-gated-by':'gate'}", .spec = SPEC1,
     .want = "metadata.annotations[kueue.x-k8s.io/admission-gated-by]: Invalid value: \"gate\": "
             "must be a domain-prefixed path (such as \"acme.io/foo\")"},
    {.name = "admission gates empty and repeated", .api = V2,
     .meta = "'annotations':{'kueue.x-k8s.io/admission-gated-by':'a.io/x,,a.io/x'}",
     .spec = SPEC1,
     .want = "metadata.annotations[kueue.x-k8s.io/admission-gated-by]: Invalid value: "
             "\"a.io/x,,a.io/x\": cannot contain empty gate names\n"
             "metadata.annotations[kueue.x-k8s.io/admission-gated-by]: Invalid value: "
             "\"a.io/x,,a.io/x\": duplicate gate name: a.io/x"},
    {.name = "admission gate removed on update", .api = V2,
     .meta = "'annotations':{'kueue.x-k8s.io/admission-gated-by':'a.io/x'}", .spec = SPEC1,
     .update = true,
     .old_meta = "'annotations':{'kueue.x-k8s.io/admission-gated-by':'a.io/x,b.io/y'}",
     .old_spec = SPEC1, .want = ""},
    {.name = "admission gate added on update", .api = V2,
     .meta = "'annotations':{'kueue.x-k8s.io/admission-gated-by':'a.io/x,c.io/z'}", .spec = SPEC1,
     .update = true, .old_meta = "'annotations':{'kueue.x-k8s.io/admission-gated-by':'a.io/x'}",
     .old_spec = SPEC1,
     .want = "metadata.annotations[kueue.x-k8s.io/admission-gated-by]: Forbidden: can only "
             "remove gates, not add new ones"},
    {.name = "admission gates added after creation", .api = V1,
     .meta = "'annotations':{'kueue.x-k8s.io/admission-gated-by':'a.io/x'}", .spec = SPEC1,
     .update = true, .old_spec = SPEC1,
     .want = "metadata.annotations[kueue.x-k8s.io/admission-gated-by]: Forbidden: cannot add "
             "admission gate after creation"},
    {.name = "clusterName of 257 characters", .api = V2, .spec = SPEC1,
     .status = "{'clusterName':'@257@'}",
     .want = "status.clusterName: Too long: may not be more than 256 bytes"},
};
#define N_PARITY (sizeof(parity_cases) / sizeof(parity_cases[0]))

START_TEST(test_validate_workload__parity)
{
    const wlp_case_t *tc = &parity_cases[_i];
    cJSON *obj = make_wl(tc->api, tc->meta, tc->spec, tc->status);
    cJSON *old = tc->update ? make_wl(tc->api, tc->old_meta, tc->old_spec, tc->old_status) : NULL;
    wh_vctx_t ctx = {old ? ADM_OP_UPDATE : ADM_OP_CREATE, "", tc->api, NULL};
    field_errors_t errs = FIELD_ERRORS_INIT;
    wh_warnings_t warns = WH_WARNINGS_INIT;
    wh_workload_validate(&ctx, obj, old, &errs, &warns);
    char *want = expand(tc->want ? tc->want : "", false);
    char *got = rgt_errors_text(&errs);
    ck_assert_msg(strcmp(got, want) == 0, "case \"%s\"\n want: %s\n  got: %s", tc->name, want,
                  got);
    char *want_w = expand(tc->warn ? tc->warn : "", false);
    char *got_w = rgt_warnings_text(&warns);
    ck_assert_msg(strcmp(got_w, want_w) == 0, "case \"%s\" warnings\n want: %s\n  got: %s",
                  tc->name, want_w, got_w);
    rg_free(want);
    rg_free(got);
    rg_free(want_w);
    rg_free(got_w);
    field_errors_release(&errs);
    wh_warnings_release(&warns);
    cJSON_Delete(obj);
    cJSON_Delete(old);
}
END_TEST

/* ---- the seed's Workloads ---------------------------------------------- */

static cJSON *read_fixture(const char *name)
{
    const char *dir = getenv("RG_FIXTURES");
    char path[1024];
    snprintf(path, sizeof(path), "%s/validate/workload/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open fixture %s", path);
    rg_buf_t b = RG_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rg_buf_append(&b, chunk, n);
    fclose(f);
    rg_error_t err = {0};
    cJSON *j = rg_json_parse(b.data, b.len, &err);
    ck_assert_msg(j != NULL, "fixture %s: %s", path, rg_error_str(&err));
    rg_buf_release(&b);
    return j;
}

static const char *const seed_workloads[] = {
    "seed-03-workload-ai-training-job-01.json",
    "seed-04-workload-high-priority-job.json",
    "seed-11-workload-ai-training-workload.json",
    "seed-17-workload-batch-training-job.json",
};
#define N_SEED (sizeof(seed_workloads) / sizeof(seed_workloads[0]))

/* Each seed Workload passes as written (v1beta1) and as v1beta2, with the
 * seed's own Queues as the cluster view: no errors, no warnings. */
START_TEST(test_validate_workload__seed_examples_pass)
{
    cJSON *wl = read_fixture(seed_workloads[_i % N_SEED]);
    bool v2 = _i >= (int)N_SEED;
    if (v2)
        cJSON_ReplaceItemInObjectCaseSensitive(wl, "apiVersion",
                                               cJSON_CreateString("kueue.x-k8s.io/v1beta2"));
    cJSON *view = cJSON_CreateArray();
    cJSON_AddItemToArray(view, read_fixture("seed-01-queue-ai-queue.json"));
    cJSON_AddItemToArray(view, read_fixture("seed-09-queue-ray-queue.json"));
    cJSON_AddItemReferenceToArray(view, wl);
    wh_cluster_t cluster = rgt_array_cluster(view);
    wh_vctx_t ctx = {ADM_OP_CREATE, "", v2 ? WH_API_KUEUE_V1BETA2 : WH_API_KUEUE_V1BETA1,
                     &cluster};
    field_errors_t errs = FIELD_ERRORS_INIT;
    wh_warnings_t warns = WH_WARNINGS_INIT;
    wh_workload_validate(&ctx, wl, NULL, &errs, &warns);
    char *got = rgt_errors_text(&errs);
    char *got_w = rgt_warnings_text(&warns);
    ck_assert_msg(errs.n == 0 && warns.n == 0, "%s: errors [%s] warnings [%s]",
                  seed_workloads[_i % N_SEED], got, got_w);
    rg_free(got);
    rg_free(got_w);
    field_errors_release(&errs);
    wh_warnings_release(&warns);
    cJSON_Delete(view);
    cJSON_Delete(wl);
}
END_TEST

/* Without its Queue in view, a seed Workload still passes, with a warning. */
START_TEST(test_validate_workload__seed_without_queue_warns)
{
    cJSON *wl = read_fixture("seed-03-workload-ai-training-job-01.json");
    cJSON *view = cJSON_CreateArray();
    wh_cluster_t cluster = rgt_array_cluster(view);
    wh_vctx_t ctx = {ADM_OP_CREATE, "", WH_API_KUEUE_V1BETA1, &cluster};
    field_errors_t errs = FIELD_ERRORS_INIT;
    wh_warnings_t warns = WH_WARNINGS_INIT;
    wh_workload_validate(&ctx, wl, NULL, &errs, &warns);
    ck_assert_uint_eq(errs.n, 0);
    ck_assert_uint_eq(warns.n, 1);
    ck_assert_str_eq(warns.items[0], "spec.queueName: LocalQueue \"ai-queue\" does not exist in "
                                     "namespace \"default\"; the Workload waits until it does");
    field_errors_release(&errs);
    wh_warnings_release(&warns);
    cJSON_Delete(view);
    cJSON_Delete(wl);
}
END_TEST

/* Every violation at once, in rule order. */
START_TEST(test_validate_workload__reports_all_violations)
{
    char *s = expand("{'apiVersion':'kueue.x-k8s.io/v1beta1','kind':'Workload','metadata':{"
                     "'name':'wl'},'spec':{'queueName':'Bad_Q','priorityClassName':'p',"
                     "'podSets':[{'name':'A','count':-1,'template':{'spec':{'containers':[{"
                     "'name':'c','resources':{'requests':{'pods':'1'}}}]}}}]}}",
                     true);
    cJSON *obj = parse(s);
    rg_free(s);
    wh_vctx_t ctx = {ADM_OP_CREATE, "", WH_API_KUEUE_V1BETA1, NULL};
    field_errors_t errs = FIELD_ERRORS_INIT;
    wh_warnings_t warns = WH_WARNINGS_INIT;
    wh_workload_validate(&ctx, obj, NULL, &errs, &warns);
    char *got = rgt_errors_text(&errs);
    ck_assert_str_eq(got,
                     "spec.podSets[0].name: Invalid value: \"A\": " LABEL_MSG "\n"
                     "spec.podSets[0].count: Invalid value: -1: spec.podSets[0].count in body "
                     "should be greater than or equal to 0\n" PODS_PATH
                     "containers[0].resources.requests[pods]: Invalid value: \"pods\": the key is "
                     "reserved for internal kueue use\n"
                     "spec.queueName: Invalid value: \"Bad_Q\": " SUBDOMAIN_MSG "\n"
                     "spec: Invalid value: \"object\": priority should not be nil when "
                     "priorityClassName is set");
    rg_free(got);
    field_errors_release(&errs);
    wh_warnings_release(&warns);
    cJSON_Delete(obj);
}
END_TEST

static Suite *validate_workload_suite(void)
{
    Suite *s = suite_create("validate_workload");
    TCase *tc = tcase_create("rules");
    tcase_add_loop_test(tc, test_validate_workload__rules, 0, (int)N_CASES);
    tcase_add_loop_test(tc, test_validate_workload__parity, 0, (int)N_PARITY);
    tcase_add_loop_test(tc, test_validate_workload__seed_examples_pass, 0, (int)(2 * N_SEED));
    tcase_add_test(tc, test_validate_workload__seed_without_queue_warns);
    tcase_add_test(tc, test_validate_workload__reports_all_violations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(validate_workload_suite());
}

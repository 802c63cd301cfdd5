/*
 * The status document: ClusterQueue usage (canonical and the seed's
 * shorthand), pending Workloads in Kueue's queue order with positions per
 * ClusterQueue, gangs with the nodes of their plan, malformed objects
 * skipped; the text bars and the HTML escaping.
 */
#include "harness.h"
#include "raygate/alloc.h"
#include "raygate/status.h"

#include <check.h>
#include <string.h>

#define NOW_NS (INT64_C(1767225600) * 1000000000) /* 2026-01-01T00:00:00Z */

/* Builds the document from arrays given as single-quoted JSON. Owned. */
static cJSON *build(const char *cqs, const char *lqs, const char *wls)
{
    cJSON *a[3] = {rgt_json_sq(cqs), rgt_json_sq(lqs), rgt_json_sq(wls)};
    const cJSON **items[3];
    size_t n[3];
    for (int k = 0; k < 3; k++) {
        n[k] = (size_t)cJSON_GetArraySize(a[k]);
        items[k] = rg_calloc(n[k] ? n[k] : 1, sizeof(*items[k]));
        for (size_t i = 0; i < n[k]; i++)
            items[k][i] = cJSON_GetArrayItem(a[k], (int)i);
    }
    status_input_t in = {items[0], n[0], items[1], n[1], items[2], n[2], "test", NOW_NS, 0};
    cJSON *doc = status_build(&in);
    for (int k = 0; k < 3; k++) {
        rg_free(items[k]);
        cJSON_Delete(a[k]);
    }
    return doc;
}

#define WL(name, prio, created, extra)                                                             \
    "{'metadata':{'name':'" name "','namespace':'ns','creationTimestamp':'" created "'"            \
    "},'spec':{'queueName':'q','priority':" #prio "}" extra "}"
#define PENDING_ST                                                                                 \
    ",'status':{'conditions':[{'type':'QuotaReserved','status':'False',"                           \
    "'reason':'Pending','message':'short'}]}"

typedef struct order_case {
    const char *wls;
    const char *want; /* "position:name ..." */
} order_case_t;

static const order_case_t ORDER_CASES[] = {
    /* priority high to low, then creation time */
    {"[" WL("a", 1, "2026-01-01T00:00:03Z",
            PENDING_ST) "," WL("b", 5, "2026-01-01T00:00:09Z",
                               PENDING_ST) "," WL("c", 1, "2026-01-01T00:00:01Z", PENDING_ST) "]",
     "1:b 2:c 3:a"},
    /* admitted, finished and deactivated Workloads are not pending */
    {"[" WL(
         "adm", 0, "2026-01-01T00:00:01Z",
         ",'status':{'conditions':[{'type':'QuotaReserved','status':'True'}]}") "," WL("fin", 0,
                                                                                       "2026-01-"
                                                                                       "01T00:"
                                                                                       "00:01Z",
                                                                                       ",'"
                                                                                       "status':"
                                                                                       "{'"
                                                                                       "conditio"
                                                                                       "ns':[{'"
                                                                                       "type':'"
                                                                                       "Finished"
                                                                                       "','"
                                                                                       "status':"
                                                                                       "'True'}]"
                                                                                       "}") ","
                                                                                            "{'"
                                                                                            "met"
                                                                                            "ada"
                                                                                            "ta'"
                                                                                            ":{'"
                                                                                            "nam"
                                                                                            "e':"
                                                                                            "'of"
                                                                                            "f',"
                                                                                            "'na"
                                                                                            "mes"
                                                                                            "pac"
                                                                                            "e':"
                                                                                            "'ns"
                                                                                            "'},"
                                                                                            "'sp"
                                                                                            "ec'"
                                                                                            ":{'"
                                                                                            "que"
                                                                                            "ueN"
                                                                                            "ame"
                                                                                            "':'"
                                                                                            "q',"
                                                                                            "'ac"
                                                                                            "tiv"
                                                                                            "e':"
                                                                                            "fal"
                                                                                            "se}"
                                                                                            "},"
                                                                                            "" WL(
                                                                                                "w",
                                                                                                0,
                                                                                                "20"
                                                                                                "26"
                                                                                                "-0"
                                                                                                "1-"
                                                                                                "01"
                                                                                                "T0"
                                                                                                "0:"
                                                                                                "00"
                                                                                                ":0"
                                                                                                "2"
                                                                                                "Z",
                                                                                                "") "]",
     "1:w"},
    /* malformed objects are skipped */
    {"[{'metadata':7},{'spec':{}},42," WL("ok", 0, "2026-01-01T00:00:02Z", "") "]", "1:ok"},
};

START_TEST(test_status__queue_order)
{
    const order_case_t *c = &ORDER_CASES[_i];
    cJSON *doc = build(
        "[]", "[{'metadata':{'name':'q','namespace':'ns'},'spec':{'clusterQueue':'cq'}}]", c->wls);
    rg_buf_t got = RG_BUF_INIT;
    const cJSON *p;
    cJSON_ArrayForEach(p, rg_json_get(doc, "pending"))
    {
        rg_buf_appendf(&got, "%s%d:%s", got.len ? " " : "",
                       (int)rg_json_get(p, "position")->valuedouble, rg_json_get_string(p, "name"));
        ck_assert_str_eq(rg_json_get_string(p, "clusterQueue"), "cq"); /* through the LocalQueue */
    }
    rg_buf_append_char(&got, '\0');
    ck_assert_str_eq(got.data, c->want);
    rg_buf_release(&got);
    cJSON_Delete(doc);
}
END_TEST

START_TEST(test_status__queue_usage_canonical_and_shorthand)
{
    cJSON *doc = build(
        "[{'metadata':{'name':'seed'},'spec':{'resourceGroups':[{'name':'g','resources':["
        "{'name':'nvidia.com/gpu','nominalQuota':4}]}]},'status':{'flavorsReservation':[{'name':"
        "'default-flavor','resources':[{'name':'nvidia.com/gpu','total':'1'}]}]}},"
        "{'metadata':{'name':'canon'},'spec':{'cohortName':'org','resourceGroups':[{"
        "'coveredResources':['cpu'],'flavors':[{'name':'a','resources':[{'name':'cpu',"
        "'nominalQuota':'500m'}]}]}]},'status':{'pendingWorkloads':3,'flavorsReservation':[{"
        "'name':'a','resources':[{'name':'cpu','total':'750m'}]}]}}]",
        "[]", "[]");
    const cJSON *cqs = rg_json_get(doc, "clusterQueues");
    ck_assert_int_eq(cJSON_GetArraySize(cqs), 2);
    const cJSON *canon = cJSON_GetArrayItem(cqs, 0); /* sorted by name */
    ck_assert_str_eq(rg_json_get_string(canon, "name"), "canon");
    ck_assert_str_eq(rg_json_get_string(canon, "cohort"), "org");
    const cJSON *r = cJSON_GetArrayItem(rg_json_get(canon, "resources"), 0);
    ck_assert_str_eq(rg_json_get_string(r, "nominal"), "500m");
    ck_assert_str_eq(rg_json_get_string(r, "reserved"), "750m");
    ck_assert_double_eq_tol(rg_json_get(r, "fraction")->valuedouble, 1.5, 1e-9); /* borrowing */
    const cJSON *seed = cJSON_GetArrayItem(cqs, 1);
    r = cJSON_GetArrayItem(rg_json_get(seed, "resources"), 0);
    ck_assert_str_eq(rg_json_get_string(r, "flavor"), "default-flavor");
    ck_assert_double_eq_tol(rg_json_get(r, "fraction")->valuedouble, 0.25, 1e-9);

    rg_buf_t t = RG_BUF_INIT;
    status_render_table(doc, &t);
    rg_buf_append_char(&t, '\0');
    ck_assert_msg(strstr(t.data, "a/cpu                            [####################!") != NULL,
                  "%s", t.data); /* over quota */
    ck_assert_msg(strstr(t.data, "[#####---------------]  25%  1 / 4") != NULL, "%s", t.data);
    rg_buf_release(&t);
    cJSON_Delete(doc);
}
END_TEST

START_TEST(test_status__gang_nodes_and_html_escaping)
{
    cJSON *doc = build(
        "[{'metadata':{'name':'<script>x</script>'},'spec':{}}]", "[]",
        "[{'metadata':{'name':'g','namespace':'ns','annotations':{'raygate.dev/placement':"
        "'{\\\"v\\\":1,\\\"podSets\\\":[{\\\"name\\\":\\\"workers\\\",\\\"nodes\\\":"
        "{\\\"n-1\\\":2}}]}'},'ownerReferences':[{'kind':'RayCluster','name':'rc','controller':"
        "true}]},'status':{'admission':{'clusterQueue':'cq','podSetAssignments':[{'name':"
        "'workers','count':2}]},'conditions':[{'type':'QuotaReserved','status':'True'}]}},"
        "{'metadata':{'name':'bad-plan','namespace':'ns','annotations':{"
        "'raygate.dev/placement':'{oops'}},'status':{'admission':{'clusterQueue':'cq',"
        "'podSetAssignments':[{'name':'main','count':1}]},'conditions':[{'type':"
        "'QuotaReserved','status':'True'}]}}]");
    const cJSON *gangs = rg_json_get(doc, "gangs");
    ck_assert_int_eq(cJSON_GetArraySize(gangs), 2);
    const cJSON *g = cJSON_GetArrayItem(gangs, 0);
    ck_assert_str_eq(rg_json_get_string(g, "owner"), "RayCluster/rc");
    const cJSON *nodes = rg_json_get(cJSON_GetArrayItem(rg_json_get(g, "podSets"), 0), "nodes");
    ck_assert_int_eq((int)rg_json_get(nodes, "n-1")->valuedouble, 2);
    ck_assert(!cJSON_IsTrue(rg_json_get(cJSON_GetArrayItem(gangs, 1), "planned")));

    rg_buf_t h = RG_BUF_INIT;
    status_render_html(doc, 10, &h);
    rg_buf_append_char(&h, '\0');
    ck_assert_ptr_null(strstr(h.data, "<script"));
    ck_assert_ptr_nonnull(strstr(h.data, "&lt;script&gt;x&lt;/script&gt;"));
    ck_assert_ptr_nonnull(strstr(h.data, "<meta http-equiv=\"refresh\" content=\"10\">"));
    ck_assert_ptr_nonnull(strstr(h.data, "<code>n-1</code> ×2"));
    ck_assert_ptr_nonnull(strstr(h.data, "Nothing waits."));
    rg_buf_release(&h);
    cJSON_Delete(doc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("build");
    tcase_add_loop_test(tc, test_status__queue_order, 0,
                        sizeof(ORDER_CASES) / sizeof(ORDER_CASES[0]));
    tcase_add_test(tc, test_status__queue_usage_canonical_and_shorthand);
    tcase_add_test(tc, test_status__gang_nodes_and_html_escaping);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(suite());
}

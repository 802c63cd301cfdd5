/*
 * Cohort validation (webhooks/cohort.c): Kueue's cohort_webhook rules
 * (fairSharing and resourceGroups as a ClusterQueue's, limits only with a
 * parent, no lendingLimit <= nominalQuota rule) and raygate's parentName
 * cycle checks, against the cluster view when there is one.
 */
#include "raygate/alloc.h"
#include "raygate/json.h"
#include "raygate/validate.h"

#include <check.h>

#include "harness.h"
#include <string.h>

#define CO(name, spec) \
    "{'apiVersion':'kueue.x-k8s.io/v1beta2','kind':'Cohort','metadata':{'name':'" name "'},'spec':" spec "}"
#define RG(q) "[{'coveredResources':['cpu'],'flavors':[{'name':'f','resources':[{'name':'cpu'," q "}]}]}]"
#define R0 "spec.resourceGroups[0].flavors[0].resources[0]"

typedef struct ccase {
    const char *name;
    const char *obj;
    const char *view; /* JSON array of cluster objects, NULL = no view */
    const char *errs; /* rendered, joined by '\n' */
} ccase_t;

static const ccase_t CASES[] = {
    {"root with quota", CO("root", "{'resourceGroups':" RG("'nominalQuota':'8'") "}"), NULL, ""},
    {"child with limits", CO("c", "{'parentName':'root','resourceGroups':" RG(
                                      "'nominalQuota':'2','borrowingLimit':'1','lendingLimit':'5'") "}"),
     NULL, ""}, /* lendingLimit above nominalQuota is allowed for a Cohort */
    {"limits need a parent",
     CO("root", "{'resourceGroups':" RG("'nominalQuota':'2','borrowingLimit':'1'") "}"), NULL,
     R0 ".borrowingLimit: Invalid value: \"1\": must be nil when cohort is empty"},
    {"negative quota", CO("c", "{'parentName':'r','resourceGroups':" RG("'nominalQuota':'-1'") "}"),
     NULL, R0 ".nominalQuota: Invalid value: \"-1\": must be greater than or equal to 0"},
    {"negative weight", CO("c", "{'fairSharing':{'weight':'-1'}}"), NULL,
     "spec.fairSharing: Invalid value: \"-1\": must be greater than or equal to 0"},
    {"own parent", CO("c", "{'parentName':'c'}"), NULL,
     "spec.parentName: Invalid value: \"c\": a Cohort cannot be its own parent"},
    {"bad parent name", CO("c", "{'parentName':'Not_A_Name'}"), NULL,
     "spec.parentName: Invalid value: \"Not_A_Name\": a lowercase RFC 1123 subdomain must consist "
     "of lower case alphanumeric characters, '-' or '.', and must start and end with an "
     "alphanumeric character (e.g. 'example.com', regex used for validation is "
     "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
    {"cycle through the cluster", CO("a", "{'parentName':'b'}"),
     "[" CO("b", "{'parentName':'c'}") "," CO("c", "{'parentName':'a'}") "]",
     "spec.parentName: Invalid value: \"b\": makes a cycle of Cohorts (a -> b -> c -> a): every "
     "ClusterQueue in it would stop admitting"},
    {"chain without cycle", CO("a", "{'parentName':'b'}"),
     "[" CO("b", "{'parentName':'c'}") "," CO("c", "{}") "]", ""},
    {"wrong parent type", CO("a", "{'parentName':3}"), NULL,
     "spec.parentName: Invalid value: \"number\": spec.parentName in body must be of type string: "
     "\"number\""},
};

static cJSON *J(const char *s)
{
    char *d = rg_strdup(s);
    for (char *c = d; *c; c++)
        if (*c == '\'')
            *c = '"';
    cJSON *j = cJSON_Parse(d);
    rg_free(d);
    return j;
}

START_TEST(test_validate_cohort__cases)
{
    const ccase_t *c = &CASES[_i];
    cJSON *obj = J(c->obj);
    ck_assert_msg(obj != NULL, "%s: bad test JSON", c->name);
    cJSON *view = c->view ? J(c->view) : NULL;
    ck_assert_msg(c->view == NULL || view != NULL, "%s: bad view JSON", c->name);
    wh_cluster_t cluster = rgt_array_cluster(view);
    wh_vctx_t ctx = {.operation = ADM_OP_CREATE,
                     .sub_resource = "",
                     .api = WH_API_KUEUE_V1BETA2,
                     .cluster = view ? &cluster : NULL};
    field_errors_t e = FIELD_ERRORS_INIT;
    wh_warnings_t w = WH_WARNINGS_INIT;
    ck_assert(wh_validate_object(&ctx, obj, NULL, &e, &w));
    char *errs = rgt_errors_text(&e);
    ck_assert_msg(strcmp(errs, c->errs) == 0, "%s: errors\n got: %s\nwant: %s", c->name, errs,
                  c->errs);
    rg_free(errs);
    field_errors_release(&e);
    wh_warnings_release(&w);
    cJSON_Delete(obj);
    cJSON_Delete(view);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("validate_cohort");
    TCase *tc = tcase_create("cases");
    tcase_add_loop_test(tc, test_validate_cohort__cases, 0, sizeof(CASES) / sizeof(CASES[0]));
    suite_add_tcase(s, tc);
    return rgt_run_suite(s);
}

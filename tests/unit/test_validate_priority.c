/*
 * Priority class validation (webhooks/priorityclass.c): scheduling.k8s.io/v1
 * PriorityClass, Kueue WorkloadPriorityClass and the seed's kueue
 * `PriorityClass` alias, every rule both ways with exact rendered errors.
 */
#include "raygate/validate.h"

#include "raygate/alloc.h"

#include <check.h>

#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBDOMAIN_MSG                                                                           \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " \
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "     \
    "regex used for validation is "                                                           \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define SYSTEM_MSG                                                                        \
    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved " \
    "for system use only. error: "
#define ALIAS_WARNING \
    "kueue.x-k8s.io/v1beta1 PriorityClass is a raygate alias for WorkloadPriorityClass"

/* ---- helpers ---------------------------------------------------------- */

/* ' becomes " when json is set; @N@ becomes N letters 'a'; @éN@ N 'é'. */
static char *expand(const char *s, bool json)
{
    rg_buf_t b = RG_BUF_INIT;
    for (const char *p = s; *p; p++) {
        if (*p == '@') {
            bool accent = strncmp(p + 1, "\xc3\xa9", 2) == 0;
            const char *num = p + 1 + (accent ? 2 : 0);
            char *end;
            long n = strtol(num, &end, 10);
            if (end != num && *end == '@') {
                for (long i = 0; i < n; i++)
                    rg_buf_append_str(&b, accent ? "\xc3\xa9" : "a");
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

static cJSON *parse_expanded(const char *shorthand)
{
    char *s = expand(shorthand, true);
    rg_error_t err = {0};
    cJSON *j = rg_json_parse(s, strlen(s), &err);
    ck_assert_msg(j != NULL, "bad test JSON (%s): %s", rg_error_str(&err), s);
    rg_free(s);
    return j;
}

/* ---- the table ---------------------------------------------------------- */

typedef enum { K_PC, K_WPC } pc_kind_t;

typedef struct pc_case {
    const char *name;
    pc_kind_t kind;       /* which validator */
    wh_api_t api;
    const char *obj;      /* whole object, single-quoted JSON */
    const char *old;      /* non-NULL: an UPDATE */
    const char *cluster;  /* JSON array, NULL for no view */
    const char *want;
    const char *want_warn;
} pc_case_t;

#define S1 WH_API_SCHEDULING_V1
#define KB1 WH_API_KUEUE_V1BETA1
#define KB2 WH_API_KUEUE_V1BETA2

#define PC(name, rest) \
    "{'apiVersion':'scheduling.k8s.io/v1','kind':'PriorityClass','metadata':{'name':'" name "'}" rest "}"
#define PCNS(name, ns, rest)                                                                     \
    "{'apiVersion':'scheduling.k8s.io/v1','kind':'PriorityClass','metadata':{'name':'" name \
    "','namespace':'" ns "'}" rest "}"
#define WPC(v, name, rest) \
    "{'apiVersion':'kueue.x-k8s.io/" v "','kind':'WorkloadPriorityClass','metadata':{'name':'" name "'}" rest "}"
#define ALIAS(name, rest) \
    "{'apiVersion':'kueue.x-k8s.io/v1beta1','kind':'PriorityClass','metadata':{'name':'" name "'}" rest "}"

#define DEFAULT_A "[" PC("a", ",'value':10,'globalDefault':true") "]"

static const pc_case_t cases[] = {
    /* PriorityClass: value */
    {"user value", K_PC, S1, PC("high", ",'value':1000"), NULL, NULL, "", ""},
    {"user value at the maximum", K_PC, S1, PC("high", ",'value':1000000000"), NULL, NULL, "", ""},
    {"user value past the maximum", K_PC, S1, PC("high", ",'value':1000000001"), NULL, NULL,
     "value: Forbidden: maximum allowed value of a user defined priority is 1000000000", ""},
    {"negative value allowed", K_PC, S1, PC("low", ",'value':-2147483648"), NULL, NULL, "", ""},
    {"value absent decodes to 0", K_PC, S1, PC("zero", ""), NULL, NULL, "", ""},
    {"value as a string", K_PC, S1, PC("high", ",'value':'10'"), NULL, NULL,
     "value: Invalid value: \"string\": value in body must be of type integer: \"string\"", ""},
    {"value past int32", K_PC, S1, PC("high", ",'value':2147483648"), NULL, NULL,
     "value: Invalid value: 2147483648: must be a 32-bit integer", ""},
    {"value below int32", K_PC, S1, PC("low", ",'value':-2147483649"), NULL, NULL,
     "value: Invalid value: -2147483649: must be a 32-bit integer", ""},

    /* PriorityClass: system- names */
    {"system-node-critical as built in", K_PC, S1,
     PC("system-node-critical", ",'value':2000001000,'globalDefault':false"), NULL, NULL, "", ""},
    {"system-node-critical with the wrong value", K_PC, S1,
     PC("system-node-critical", ",'value':2000000000"), NULL, NULL,
     SYSTEM_MSG "value of system-node-critical PriorityClass must be 2000001000", ""},
    {"system-cluster-critical as built in", K_PC, S1,
     PC("system-cluster-critical", ",'value':2000000000"), NULL, NULL, "", ""},
    {"system-cluster-critical with the wrong value", K_PC, S1,
     PC("system-cluster-critical", ",'value':2000001000"), NULL, NULL,
     SYSTEM_MSG "value of system-cluster-critical PriorityClass must be 2000000000", ""},
    {"system-cluster-critical as global default", K_PC, S1,
     PC("system-cluster-critical", ",'value':2000000000,'globalDefault':true"), NULL, NULL,
     SYSTEM_MSG "globalDefault of system-cluster-critical PriorityClass must be false", ""},
    {"unknown system- name", K_PC, S1, PC("system-foo", ",'value':10"), NULL, NULL,
     SYSTEM_MSG "system-foo is not a known system priority class", ""},
    {"systemfoo is a user name", K_PC, S1, PC("systemfoo", ",'value':1000000001"), NULL, NULL,
     "value: Forbidden: maximum allowed value of a user defined priority is 1000000000", ""},

    /* PriorityClass: metadata */
    {"name not a subdomain", K_PC, S1, PC("High_Priority", ",'value':1"), NULL, NULL,
     "metadata.name: Invalid value: \"High_Priority\": " SUBDOMAIN_MSG, ""},
    {"name missing", K_PC, S1,
     "{'apiVersion':'scheduling.k8s.io/v1','kind':'PriorityClass','metadata':{},'value':1}", NULL,
     NULL, "metadata.name: Required value: name or generateName is required", ""},
    {"generateName instead of name", K_PC, S1,
     "{'apiVersion':'scheduling.k8s.io/v1','kind':'PriorityClass','metadata':{'generateName':"
     "'pc-'},'value':1}",
     NULL, NULL, "", ""},
    {"name of 253 characters", K_PC, S1, PC("@253@", ",'value':1"), NULL, NULL, "", ""},
    {"name of 254 characters", K_PC, S1, PC("@254@", ",'value':1"), NULL, NULL,
     "metadata.name: Invalid value: \"@254@\": must be no more than 253 characters", ""},
    {"namespace set", K_PC, S1, PCNS("high", "default", ",'value':1"), NULL, NULL,
     "metadata.namespace: Forbidden: not allowed on this type", ""},
    {"empty namespace", K_PC, S1, PCNS("high", "", ",'value':1"), NULL, NULL, "", ""},

    /* PriorityClass: preemptionPolicy and globalDefault */
    {"preemptionPolicy Never", K_PC, S1, PC("high", ",'value':1,'preemptionPolicy':'Never'"),
     NULL, NULL, "", ""},
    {"preemptionPolicy PreemptLowerPriority", K_PC, S1,
     PC("high", ",'value':1,'preemptionPolicy':'PreemptLowerPriority'"), NULL, NULL, "", ""},
    {"preemptionPolicy unknown", K_PC, S1, PC("high", ",'value':1,'preemptionPolicy':'Always'"),
     NULL, NULL,
     "preemptionPolicy: Unsupported value: \"Always\": supported values: "
     "\"PreemptLowerPriority\", \"Never\"",
     ""},
    {"preemptionPolicy empty", K_PC, S1, PC("high", ",'value':1,'preemptionPolicy':''"), NULL,
     NULL, "preemptionPolicy: Required value", ""},
    {"globalDefault not a boolean", K_PC, S1, PC("high", ",'value':1,'globalDefault':'yes'"),
     NULL, NULL,
     "globalDefault: Invalid value: \"string\": globalDefault in body must be of type boolean: "
     "\"string\"",
     ""},
    {"several violations at once", K_PC, S1,
     PCNS("system-x", "ns", ",'value':1,'preemptionPolicy':'Sometimes'"), NULL, NULL,
     "metadata.namespace: Forbidden: not allowed on this type\n" SYSTEM_MSG
     "system-x is not a known system priority class\n"
     "preemptionPolicy: Unsupported value: \"Sometimes\": supported values: "
                "\"PreemptLowerPriority\", \"Never\"",
     ""},

    /* PriorityClass: UPDATE */
    {"update keeping value", K_PC, S1, PC("high", ",'value':5,'description':'new'"),
     PC("high", ",'value':5"), NULL, "", ""},
    {"update changing value", K_PC, S1, PC("high", ",'value':6"), PC("high", ",'value':5"), NULL,
     "value: Forbidden: may not be changed in an update.", ""},
    {"update keeping the name", K_PC, S1, PC("high", ",'value':5"), PC("high", ",'value':5"), NULL,
     "", ""},
    {"update renaming", K_PC, S1, PC("higher", ",'value':5"), PC("high", ",'value':5"), NULL,
     "metadata.name: Invalid value: \"higher\": field is immutable", ""},
    {"update adding a namespace", K_PC, S1, PCNS("high", "x", ",'value':5"),
     PC("high", ",'value':5"), NULL,
     "metadata.namespace: Forbidden: not allowed on this type\n"
     "metadata.namespace: Invalid value: \"x\": field is immutable", ""},
    {"update renaming and changing value", K_PC, S1, PC("higher", ",'value':6"),
     PC("high", ",'value':5"), NULL,
     "metadata.name: Invalid value: \"higher\": field is immutable\n"
     "value: Forbidden: may not be changed in an update.", ""},
    {"update changing preemptionPolicy", K_PC, S1,
     PC("high", ",'value':5,'preemptionPolicy':'PreemptLowerPriority'"),
     PC("high", ",'value':5,'preemptionPolicy':'Never'"), NULL,
     "preemptionPolicy: Invalid value: \"PreemptLowerPriority\": field is immutable", ""},
    {"update spelling out the default policy", K_PC, S1,
     PC("high", ",'value':5,'preemptionPolicy':'PreemptLowerPriority'"), PC("high", ",'value':5"),
     NULL, "", ""},
    {"update from the default policy to Never", K_PC, S1,
     PC("high", ",'value':5,'preemptionPolicy':'Never'"), PC("high", ",'value':5"), NULL,
     "preemptionPolicy: Invalid value: \"Never\": field is immutable", ""},
    {"update turning on globalDefault", K_PC, S1, PC("high", ",'value':5,'globalDefault':true"),
     PC("high", ",'value':5"), "[" PC("high", ",'value':5") "]", "", ""},

    /* PriorityClass: one global default */
    {"second default refused", K_PC, S1, PC("b", ",'value':20,'globalDefault':true"), NULL,
     DEFAULT_A,
     "globalDefault: Forbidden: PriorityClass a is already marked as default. Only one default "
     "can exist",
     ""},
    {"first default allowed", K_PC, S1, PC("b", ",'value':20,'globalDefault':true"), NULL,
     "[" PC("a", ",'value':10") "]", "", ""},
    {"re-saving the current default", K_PC, S1, PC("a", ",'value':10,'globalDefault':true"),
     PC("a", ",'value':10,'globalDefault':true"), DEFAULT_A, "", ""},
    {"non-default beside a default", K_PC, S1, PC("b", ",'value':20,'globalDefault':false"),
     NULL, DEFAULT_A, "", ""},
    {"update marking a second default", K_PC, S1, PC("b", ",'value':20,'globalDefault':true"),
     PC("b", ",'value':20"), DEFAULT_A,
     "globalDefault: Forbidden: PriorityClass a is already marked as default. Only one default "
     "can exist",
     ""},
    {"no cluster view", K_PC, S1, PC("b", ",'value':20,'globalDefault':true"), NULL, NULL, "",
     ""},
    {"kueue alias default does not count", K_PC, S1, PC("b", ",'value':20,'globalDefault':true"),
     NULL, "[" ALIAS("a", ",'value':10,'globalDefault':true") "]", "", ""},

    /* WorkloadPriorityClass */
    {"WorkloadPriorityClass v1beta1", K_WPC, KB1,
     WPC("v1beta1", "high", ",'value':1000,'description':'d'"), NULL, NULL, "", ""},
    {"WorkloadPriorityClass v1beta2", K_WPC, KB2, WPC("v1beta2", "high", ",'value':1000"), NULL,
     NULL, "", ""},
    {"value missing", K_WPC, KB2, WPC("v1beta2", "high", ""), NULL, NULL,
     "value: Required value", ""},
    {"value null", K_WPC, KB1, WPC("v1beta1", "high", ",'value':null"), NULL, NULL,
     "value: Required value", ""},
    {"value as a string", K_WPC, KB1, WPC("v1beta1", "high", ",'value':'x'"), NULL, NULL,
     "value: Invalid value: \"string\": value in body must be of type integer: \"string\"", ""},
    {"value int32 max", K_WPC, KB1, WPC("v1beta1", "high", ",'value':2147483647"), NULL, NULL, "",
     ""},
    {"value past int32", K_WPC, KB1, WPC("v1beta1", "high", ",'value':2147483648"), NULL, NULL,
     "value: Invalid value: 2147483648: must be a 32-bit integer", ""},
    {"value int32 min", K_WPC, KB2, WPC("v1beta2", "low", ",'value':-2147483648"), NULL, NULL, "",
     ""},
    {"value below int32", K_WPC, KB2, WPC("v1beta2", "low", ",'value':-2147483649"), NULL, NULL,
     "value: Invalid value: -2147483649: must be a 32-bit integer", ""},
    {"no user maximum for workload classes", K_WPC, KB1,
     WPC("v1beta1", "huge", ",'value':2000000000"), NULL, NULL, "", ""},
    {"system- names are fine for workload classes", K_WPC, KB1,
     WPC("v1beta1", "system-x", ",'value':1"), NULL, NULL, "", ""},
    {"description of 2048 characters", K_WPC, KB1,
     WPC("v1beta1", "high", ",'value':1,'description':'@2048@'"), NULL, NULL, "", ""},
    {"description of 2049 characters", K_WPC, KB1,
     WPC("v1beta1", "high", ",'value':1,'description':'@2049@'"), NULL, NULL,
     "description: Too long: may not be more than 2048 bytes", ""},
    {"description of 2048 two-byte characters", K_WPC, KB2,
     WPC("v1beta2", "high", ",'value':1,'description':'@\xc3\xa9" "2048@'"), NULL, NULL, "", ""},
    {"description not a string", K_WPC, KB1, WPC("v1beta1", "high", ",'value':1,'description':3"),
     NULL, NULL,
     "description: Invalid value: \"number\": description in body must be of type string: "
     "\"number\"",
     ""},
    {"workload class name not a subdomain", K_WPC, KB1, WPC("v1beta1", "High", ",'value':1"),
     NULL, NULL, "metadata.name: Invalid value: \"High\": " SUBDOMAIN_MSG, ""},
    {"workload class with a namespace", K_WPC, KB2,
     "{'apiVersion':'kueue.x-k8s.io/v1beta2','kind':'WorkloadPriorityClass','metadata':{'name':"
     "'high','namespace':'team-a'},'value':1}",
     NULL, NULL, "metadata.namespace: Forbidden: not allowed on this type", ""},
    {"workload class value may change on update", K_WPC, KB1,
     WPC("v1beta1", "high", ",'value':2"), WPC("v1beta1", "high", ",'value':1"), NULL, "", ""},

    /* the seed's kueue PriorityClass alias */
    {"seed ai-high-priority", K_WPC, KB1,
     ALIAS("ai-high-priority",
           ",'value':1000,'globalDefault':false,'description':'High priority for AI training "
           "jobs'"),
     NULL, NULL, "", ALIAS_WARNING},
    {"seed ai-normal-priority", K_WPC, KB1,
     ALIAS("ai-normal-priority",
           ",'value':500,'globalDefault':false,'description':'Normal priority for AI training "
           "jobs'"),
     NULL, NULL, "", ALIAS_WARNING},
    {"alias without value", K_WPC, KB1, ALIAS("p", ",'globalDefault':true"), NULL, NULL,
     "value: Required value", ALIAS_WARNING},
    {"alias globalDefault as a string", K_WPC, KB1, ALIAS("p", ",'value':1,'globalDefault':'true'"),
     NULL, NULL,
     "globalDefault: Invalid value: \"string\": globalDefault in body must be of type boolean: "
     "\"string\"",
     ALIAS_WARNING},
    {"alias description too long", K_WPC, KB1, ALIAS("p", ",'value':1,'description':'@2049@'"),
     NULL, NULL, "description: Too long: may not be more than 2048 bytes", ALIAS_WARNING},
    {"alias value past int32", K_WPC, KB1, ALIAS("p", ",'value':3000000000"), NULL, NULL,
     "value: Invalid value: 3000000000: must be a 32-bit integer", ALIAS_WARNING},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(test_validate_priority__rules)
{
    const pc_case_t *tc = &cases[_i];
    cJSON *obj = parse_expanded(tc->obj);
    cJSON *old = tc->old ? parse_expanded(tc->old) : NULL;
    cJSON *view = tc->cluster ? parse_expanded(tc->cluster) : NULL;
    wh_cluster_t cluster = rgt_array_cluster(view);
    wh_vctx_t ctx = {old ? ADM_OP_UPDATE : ADM_OP_CREATE, "", tc->api, view ? &cluster : NULL};
    field_errors_t errs = FIELD_ERRORS_INIT;
    wh_warnings_t warns = WH_WARNINGS_INIT;
    if (tc->kind == K_PC)
        wh_priorityclass_validate(&ctx, obj, old, &errs, &warns);
    else
        wh_workloadpriorityclass_validate(&ctx, obj, old, &errs, &warns);

    char *want = expand(tc->want, false);
    char *got = rgt_errors_text(&errs);
    ck_assert_msg(strcmp(got, want) == 0, "case \"%s\"\n want: %s\n  got: %s", tc->name, want,
                  got);
    char *got_w = rgt_warnings_text(&warns);
    ck_assert_msg(strcmp(got_w, tc->want_warn) == 0, "case \"%s\" warnings\n want: %s\n  got: %s",
                  tc->name, tc->want_warn, got_w);
    rg_free(want);
    rg_free(got);
    rg_free(got_w);
    field_errors_release(&errs);
    wh_warnings_release(&warns);
    cJSON_Delete(obj);
    cJSON_Delete(old);
    cJSON_Delete(view);
}
END_TEST

/* Both seed documents of 13-priorityclass-ai-high-priority.yaml in one
 * view (as `raygate check` builds it): each passes with the alias warning. */
START_TEST(test_validate_priority__seed_file_as_cluster_view)
{
    cJSON *view = parse_expanded(
        "[" ALIAS("ai-high-priority", ",'value':1000,'globalDefault':false,'description':'High "
                                      "priority for AI training jobs'") "," ALIAS(
            "ai-normal-priority", ",'value':500,'globalDefault':false,'description':'Normal "
                                  "priority for AI training jobs'") "]");
    wh_cluster_t cluster = rgt_array_cluster(view);
    for (int i = 0; i < 2; i++) {
        const cJSON *obj = cJSON_GetArrayItem(view, i);
        wh_vctx_t ctx = {ADM_OP_CREATE, "", WH_API_KUEUE_V1BETA1, &cluster};
        field_errors_t errs = FIELD_ERRORS_INIT;
        wh_warnings_t warns = WH_WARNINGS_INIT;
        ck_assert_ptr_eq(wh_validator_for("kueue.x-k8s.io/v1beta1", "PriorityClass"),
                         wh_workloadpriorityclass_validate);
        wh_workloadpriorityclass_validate(&ctx, obj, NULL, &errs, &warns);
        ck_assert_uint_eq(errs.n, 0);
        ck_assert_uint_eq(warns.n, 1);
        ck_assert_str_eq(warns.items[0], ALIAS_WARNING);
        field_errors_release(&errs);
        wh_warnings_release(&warns);
    }
    cJSON_Delete(view);
}
END_TEST

static Suite *validate_priority_suite(void)
{
    Suite *s = suite_create("validate_priority");
    TCase *tc = tcase_create("rules");
    tcase_add_loop_test(tc, test_validate_priority__rules, 0, (int)N_CASES);
    tcase_add_test(tc, test_validate_priority__seed_file_as_cluster_view);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(validate_priority_suite());
}

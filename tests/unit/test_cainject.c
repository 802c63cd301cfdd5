/*
 * CA injection: the edits of a webhook configuration and a CRD offline
 * (table-driven), the CA file reader, then the injector against the
 * API-server double: it writes raygate's webhook configurations and the
 * Kueue CRDs once, leaves them alone while they hold the bundle, writes
 * again when the CA file is rotated, and never touches what cert-manager's
 * cainjector owns.
 */
#include "harness.h"
#include "raygate/alloc.h"
#include "raygate/cainject.h"
#include "raygate/tls.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void assert_json_eq(const cJSON *got, const char *want_sq)
{
    cJSON *want = rgt_json_sq(want_sq);
    char *g = cJSON_PrintUnformatted(got), *w = cJSON_PrintUnformatted(want);
    ck_assert_msg(cJSON_Compare(got, want, true), "got %s\nwant %s", g, w);
    cJSON_free(g);
    cJSON_free(w);
    cJSON_Delete(want);
}

/* ---- offline ---- */

typedef struct edit_case {
    const char *in;
    const char *want; /* NULL: an error containing err_has */
    bool changed;
    const char *err_has;
} edit_case_t;

static const edit_case_t WEBHOOK_CASES[] = {
    /* every webhook gets the bundle, whatever it called before */
    {"{'webhooks':[{'name':'a.raygate.dev','clientConfig':{'service':{'name':'raygate'}}},"
     "{'name':'b.raygate.dev','clientConfig':{'caBundle':'T0xE'}}]}",
     "{'webhooks':[{'name':'a.raygate.dev','clientConfig':{'service':{'name':'raygate'},"
     "'caBundle':'TkVX'}},{'name':'b.raygate.dev','clientConfig':{'caBundle':'TkVX'}}]}",
     true, NULL},
    /* already in place: no write */
    {"{'webhooks':[{'name':'a.raygate.dev','clientConfig':{'caBundle':'TkVX'}}]}",
     "{'webhooks':[{'name':'a.raygate.dev','clientConfig':{'caBundle':'TkVX'}}]}", false, NULL},
    /* cert-manager's cainjector owns it */
    {"{'metadata':{'annotations':{'cert-manager.io/inject-ca-from':'raygate-system/raygate'}},"
     "'webhooks':[{'name':'a.raygate.dev','clientConfig':{'caBundle':'T0xE'}}]}",
     "{'metadata':{'annotations':{'cert-manager.io/inject-ca-from':'raygate-system/raygate'}},"
     "'webhooks':[{'name':'a.raygate.dev','clientConfig':{'caBundle':'T0xE'}}]}",
     false, NULL},
    /* no webhooks: nothing to do */
    {"{'metadata':{'name':'x'}}", "{'metadata':{'name':'x'}}", false, NULL},
    {"{'webhooks':{}}", NULL, false, "webhooks: expected an array, got object"},
    {"{'webhooks':[{'name':'a','clientConfig':'x'}]}", NULL, false,
     "webhooks[0].clientConfig: expected an object"},
    {"[]", NULL, false, "not an object"},
};

START_TEST(test_cainject__webhooks_apply)
{
    const edit_case_t *c = &WEBHOOK_CASES[_i];
    cJSON *obj = rgt_json_sq(c->in);
    bool changed = !c->changed;
    rg_error_t err = {0};
    int rc = cainj_webhooks_apply(obj, "TkVX", &changed, &err);
    if (c->want == NULL) {
        ck_assert_int_eq(rc, RG_ERR_INVAL);
        ck_assert_msg(strstr(err.msg, c->err_has), "%s", err.msg);
    } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_int_eq(changed, c->changed);
        assert_json_eq(obj, c->want);
    }
    cJSON_Delete(obj);
}
END_TEST

#define RAYGATE_CONVERSION(ca)                                                                     \
    "{'strategy':'Webhook','webhook':{'clientConfig':{'service':{'namespace':'raygate-system',"    \
    "'name':'raygate','path':'/convert','port':443}" ca "},'conversionReviewVersions':['v1']}}"

static const edit_case_t CRD_CASES[] = {
    /* raygate's own CRD, caBundle not yet written */
    {"{'spec':{'conversion':" RAYGATE_CONVERSION("") "}}",
     "{'spec':{'conversion':" RAYGATE_CONVERSION(",'caBundle':'TkVX'") "}}", true, NULL},
    /* in place */
    {"{'spec':{'conversion':" RAYGATE_CONVERSION(",'caBundle':'TkVX'") "}}",
     "{'spec':{'conversion':" RAYGATE_CONVERSION(",'caBundle':'TkVX'") "}}", false, NULL},
    /* Kueue's own CRD: its webhook Service and CA are replaced by raygate's */
    {"{'spec':{'conversion':{'strategy':'Webhook','webhook':{'clientConfig':{'service':{"
     "'namespace':'kueue-system','name':'kueue-webhook-service','path':'/convert'},"
     "'caBundle':'S1VFVUU='},'conversionReviewVersions':['v1']}}}}",
     "{'spec':{'conversion':" RAYGATE_CONVERSION(",'caBundle':'TkVX'") "}}", true, NULL},
    /* strategy None, a url, extra review versions: all made raygate's */
    {"{'spec':{'conversion':{'strategy':'None'}}}",
     "{'spec':{'conversion':{'strategy':'Webhook','webhook':{'clientConfig':{'service':{"
     "'namespace':'raygate-system','name':'raygate','path':'/convert','port':443},"
     "'caBundle':'TkVX'},'conversionReviewVersions':['v1']}}}}",
     true, NULL},
    {"{'spec':{}}",
     "{'spec':{'conversion':{'strategy':'Webhook','webhook':{'clientConfig':{'service':{"
     "'namespace':'raygate-system','name':'raygate','path':'/convert','port':443},"
     "'caBundle':'TkVX'},'conversionReviewVersions':['v1']}}}}",
     true, NULL},
    {"{'spec':{'conversion':{'strategy':'Webhook','webhook':{'clientConfig':{"
     "'url':'https://x/convert','caBundle':'TkVX'},'conversionReviewVersions':['v1beta1','v1']}}}}",
     "{'spec':{'conversion':{'strategy':'Webhook','webhook':{'clientConfig':{'caBundle':'TkVX',"
     "'service':{'namespace':'raygate-system','name':'raygate','path':'/convert','port':443}},"
     "'conversionReviewVersions':['v1']}}}}",
     true, NULL},
    /* annotated for cert-manager: pointed at raygate, its caBundle left to the cainjector */
    {"{'metadata':{'annotations':{'cert-manager.io/inject-ca-from':'raygate-system/raygate'}},"
     "'spec':{'conversion':" RAYGATE_CONVERSION(",'caBundle':'T0xE'") "}}",
     "{'metadata':{'annotations':{'cert-manager.io/inject-ca-from':'raygate-system/raygate'}},"
     "'spec':{'conversion':" RAYGATE_CONVERSION(",'caBundle':'T0xE'") "}}",
     false, NULL},
    {"{'spec':[]}", NULL, false, "spec: expected an object"},
    {"{'spec':{'conversion':{'webhook':{'clientConfig':7}}}}", NULL, false,
     "spec.conversion.webhook.clientConfig: expected an object"},
};

START_TEST(test_cainject__crd_apply)
{
    const edit_case_t *c = &CRD_CASES[_i];
    cJSON *obj = rgt_json_sq(c->in);
    bool changed = !c->changed;
    rg_error_t err = {0};
    cainj_service_t svc = {"raygate-system", "raygate", 0};
    int rc = cainj_crd_apply(obj, &svc, "TkVX", &changed, &err);
    if (c->want == NULL) {
        ck_assert_int_eq(rc, RG_ERR_INVAL);
        ck_assert_msg(strstr(err.msg, c->err_has), "%s", err.msg);
    } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_int_eq(changed, c->changed);
        assert_json_eq(obj, c->want);
    }
    cJSON_Delete(obj);
}
END_TEST

/* A fresh CA (and serving pair) under a temporary directory; returns ca.crt's path (owned). */
static char *make_ca(char *dir_template)
{
    ck_assert_ptr_nonnull(mkdtemp(dir_template));
    tls_certs_opts_t o = {.out_dir = dir_template, .force = true};
    tls_certs_result_t r;
    rg_error_t err = {0};
    ck_assert_msg(tls_certs_generate(&o, &r, &err) == 0, "%s", err.msg);
    char *ca = rg_strdup(r.ca_path);
    tls_certs_result_release(&r);
    return ca;
}

static void remove_dir(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_cainject__ca_bundle_load)
{
    char dir[] = "/tmp/rg-cainj-XXXXXX";
    char *ca = make_ca(dir);
    char *b64 = NULL;
    rg_error_t err = {0};
    ck_assert_int_eq(tls_ca_bundle_load(ca, &b64, &err), 0);
    ck_assert(strncmp(b64, "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t", 36) ==
              0); /* -----BEGIN CERTIFICATE----- */
    rg_free(b64);
    /* not a certificate: refused, the file named */
    char bad[600];
    snprintf(bad, sizeof(bad), "%s/bad.crt", dir);
    FILE *f = fopen(bad, "w");
    fputs("hello\n", f);
    fclose(f);
    ck_assert_int_eq(tls_ca_bundle_load(bad, &b64, &err), RG_ERR_PARSE);
    ck_assert_ptr_null(b64);
    ck_assert_msg(strstr(err.msg, "bad.crt") && strstr(err.msg, "no PEM certificate"), "%s",
                  err.msg);
    snprintf(bad, sizeof(bad), "%s/missing.crt", dir);
    ck_assert_int_eq(tls_ca_bundle_load(bad, &b64, &err), RG_ERR_NOT_FOUND);
    rg_free(ca);
    remove_dir(dir);
}
END_TEST

/* ---- against the API-server double ---- */

static rg_double_t D;
static kube_creds_t CREDS;
static kube_client_t *C;

static void suite_setup(void)
{
    kube_client_opts_t o = {.qps = 500, .burst = 500, .timeout_ms = 5000};
    rgt_double_client_start(&D, NULL, &CREDS, &o, &C);
}

static void suite_teardown(void)
{
    rgt_double_client_stop(&D, &CREDS, &C);
}

static cJSON *get(const kube_resource_t *res, const char *name)
{
    kube_result_t r;
    rg_error_t err = {0};
    ck_assert_int_eq(kube_get(C, res, NULL, name, &r, &err), 0);
    ck_assert_int_eq(r.http_status, 200);
    cJSON *body = r.body;
    r.body = NULL;
    kube_result_release(&r);
    return body;
}

static void create(const kube_resource_t *res, const char *json_sq)
{
    cJSON *obj = rgt_json_sq(json_sq);
    kube_result_t r;
    rg_error_t err = {0};
    ck_assert_int_eq(kube_create(C, res, NULL, obj, &r, &err), 0);
    ck_assert_msg(r.http_status == 201, "%d %s", r.http_status, r.message ? r.message : "");
    kube_result_release(&r);
    cJSON_Delete(obj);
}

static const char *webhook_ca(const cJSON *cfg, int i)
{
    const cJSON *h = cJSON_GetArrayItem(rg_json_get(cfg, "webhooks"), i);
    return rg_json_get_string(rg_json_get(h, "clientConfig"), "caBundle");
}

static const char *conversion_ca(const cJSON *crd)
{
    return rg_json_get_string(
        rg_json_path(crd, "spec", "conversion", "webhook", "clientConfig", NULL), "caBundle");
}

#define HOOK(name)                                                                                 \
    "{'name':'" name "','clientConfig':{'service':{'namespace':'raygate-system',"                  \
    "'name':'raygate','path':'/"                                                                   \
    "mutate'}},'rules':[{'operations':['CREATE'],'apiGroups':['ray.io'],"                          \
    "'apiVersions':['v1'],'resources':['rayclusters']}],'sideEffects':'None',"                     \
    "'admissionReviewVersions':['v1'],'failurePolicy':'Ignore'}"

START_TEST(test_cainject__writes_once_then_on_rotation)
{
    create(&kube_res_mutatingwebhookconfigurations,
           "{'metadata':{'name':'rg-m'},'webhooks':[" HOOK("a.raygate.dev") "," HOOK(
               "b.raygate.dev") "]}");
    create(&kube_res_validatingwebhookconfigurations,
           "{'metadata':{'name':'rg-v','annotations':{'cert-manager.io/inject-ca-from':'x/y'}},"
           "'webhooks':[" HOOK("c.raygate.dev") "]}");
    char dir[] = "/tmp/rg-cainj-XXXXXX";
    char *ca = make_ca(dir);
    cainj_opts_t o = {.client = C,
                      .ca_file = ca,
                      .mutating = "rg-m",
                      .validating = "rg-v",
                      .conversion = {"raygate-system", "raygate", 0}};
    rg_error_t err = {0};
    cainj_t *inj = cainj_new(&o, &err);
    ck_assert_msg(inj != NULL, "%s", err.msg);
    ck_assert_msg(cainj_sync_once(inj, &err) == 0, "%s", err.msg);
    cainj_stats_t st;
    cainj_stats_get(inj, &st);
    ck_assert_int_eq(st.writes, 1 + CAINJ_CRD_COUNT); /* rg-v is cert-manager's */
    ck_assert_int_eq(st.failures, 0);
    ck_assert_int_gt(st.last_success_ns, 0);

    char *want = NULL;
    ck_assert_int_eq(tls_ca_bundle_load(ca, &want, &err), 0);
    cJSON *m = get(&kube_res_mutatingwebhookconfigurations, "rg-m");
    ck_assert_str_eq(webhook_ca(m, 0), want);
    ck_assert_str_eq(webhook_ca(m, 1), want);
    cJSON_Delete(m);
    cJSON *v = get(&kube_res_validatingwebhookconfigurations, "rg-v");
    ck_assert_ptr_null(webhook_ca(v, 0));
    cJSON_Delete(v);
    for (size_t i = 0; i < CAINJ_CRD_COUNT; i++) {
        cJSON *crd = get(&kube_res_customresourcedefinitions, cainj_conversion_crds[i]);
        ck_assert_str_eq(conversion_ca(crd), want);
        cJSON_Delete(crd);
    }

    /* Nothing changed: a second pass reads and writes nothing. */
    ck_assert_int_eq(cainj_sync_once(inj, &err), 0);
    cainj_stats_get(inj, &st);
    ck_assert_int_eq(st.writes, 1 + CAINJ_CRD_COUNT);

    /* Rotation: a new CA in the same file is written everywhere again. */
    usleep(20000); /* a distinct mtime even on coarse clocks */
    tls_certs_opts_t go = {.out_dir = dir, .force = true};
    tls_certs_result_t r;
    ck_assert_int_eq(tls_certs_generate(&go, &r, &err), 0);
    ck_assert_str_ne(r.ca_bundle_b64, want);
    ck_assert_int_eq(cainj_sync_once(inj, &err), 0);
    cainj_stats_get(inj, &st);
    ck_assert_int_eq(st.writes, 2 * (1 + CAINJ_CRD_COUNT));
    m = get(&kube_res_mutatingwebhookconfigurations, "rg-m");
    ck_assert_str_eq(webhook_ca(m, 1), r.ca_bundle_b64);
    cJSON_Delete(m);
    tls_certs_result_release(&r);

    cainj_free(inj);
    rg_free(want);
    rg_free(ca);
    remove_dir(dir);
}
END_TEST

START_TEST(test_cainject__missing_target_is_a_failure_named)
{
    char dir[] = "/tmp/rg-cainj-XXXXXX";
    char *ca = make_ca(dir);
    cainj_opts_t o = {.client = C, .ca_file = ca, .mutating = "not-there"};
    rg_error_t err = {0};
    cainj_t *inj = cainj_new(&o, &err);
    ck_assert_ptr_nonnull(inj);
    ck_assert_int_eq(cainj_sync_once(inj, &err), RG_ERR_NOT_FOUND);
    ck_assert_msg(strstr(err.msg, "mutatingwebhookconfigurations") && strstr(err.msg, "not-there"),
                  "%s", err.msg);
    cainj_stats_t st;
    cainj_stats_get(inj, &st);
    ck_assert_int_eq(st.failures, 1);
    ck_assert_int_eq(st.last_success_ns, 0);
    cainj_free(inj);
    /* A CA file that is not there fails at startup, naming it. */
    o.ca_file = "/nonexistent/ca.crt";
    ck_assert_ptr_null(cainj_new(&o, &err));
    ck_assert_msg(strstr(err.msg, "/nonexistent/ca.crt"), "%s", err.msg);
    rg_free(ca);
    remove_dir(dir);
}
END_TEST

/* The thread: idle while not leading, a pass as soon as it leads. */
START_TEST(test_cainject__thread_runs_when_leading)
{
    create(&kube_res_mutatingwebhookconfigurations,
           "{'metadata':{'name':'rg-t'},'webhooks':[" HOOK("t.raygate.dev") "]}");
    char dir[] = "/tmp/rg-cainj-XXXXXX";
    char *ca = make_ca(dir);
    cainj_opts_t o = {.client = C, .ca_file = ca, .mutating = "rg-t", .poll_ms = 20};
    rg_error_t err = {0};
    cainj_t *inj = cainj_new(&o, &err);
    ck_assert_int_eq(cainj_start(inj, &err), 0);
    usleep(100000);
    cainj_stats_t st;
    cainj_stats_get(inj, &st);
    ck_assert_int_eq(st.passes, 0);
    cainj_set_leading(inj, true);
    for (int i = 0; i < 200 && st.writes == 0; i++) {
        usleep(10000);
        cainj_stats_get(inj, &st);
    }
    ck_assert_int_eq(st.writes, 1);
    cainj_set_leading(inj, false);
    cainj_free(inj);
    rg_free(ca);
    remove_dir(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cainject");
    TCase *off = tcase_create("offline");
    tcase_add_loop_test(off, test_cainject__webhooks_apply, 0,
                        sizeof(WEBHOOK_CASES) / sizeof(WEBHOOK_CASES[0]));
    tcase_add_loop_test(off, test_cainject__crd_apply, 0, sizeof(CRD_CASES) / sizeof(CRD_CASES[0]));
    tcase_add_test(off, test_cainject__ca_bundle_load);
    suite_add_tcase(s, off);
    TCase *dbl = tcase_create("double");
    tcase_add_unchecked_fixture(dbl, suite_setup, suite_teardown);
    tcase_set_timeout(dbl, 60);
    tcase_add_test(dbl, test_cainject__writes_once_then_on_rotation);
    tcase_add_test(dbl, test_cainject__missing_target_is_a_failure_named);
    tcase_add_test(dbl, test_cainject__thread_runs_when_leading);
    suite_add_tcase(s, dbl);
    return s;
}

int main(void)
{
    return rgt_run_suite(suite());
}

/*
 * The API client against the API-server double: credentials, the verbs and
 * their status codes, pagination, patches, /status, binding, retries on 429
 * and 500, watches (synthetic ADDED, resume, bookmarks, stop, drops, 410),
 * token rotation, in-cluster credentials.
 */
#include "harness.h"

#include "raygate/alloc.h"
#include "raygate/json.h"
#include "raygate/kube.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static rg_double_t D;
static kube_client_t *C;
static kube_creds_t CREDS;

static const char *const DOUBLE_ARGS[] = {
    "--token", "kubedouble-admin-token=kubedouble-admin,system:masters",
    "--token", "rg-rot-a=rot-a,system:masters",
    "--token", "rg-rot-b=rot-b,system:masters",
    NULL,
};

static void suite_setup(void)
{
    kube_client_opts_t o = {.qps = 500, .burst = 500};
    rgt_double_client_start(&D, DOUBLE_ARGS, &CREDS, &o, &C);
}

static void suite_teardown(void)
{
    rgt_double_client_stop(&D, &CREDS, &C);
}

static void test_setup(void)
{
    rg_error_t err = {0};
    ck_assert_msg(rg_double_faults(&D, "{\"reset\":true}", &err) == 0, "%s", rg_error_str(&err));
}

/* ---- helpers ---- */

static double now_s(void)
{
    return (double)rg_time_mono_ns() / 1e9;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static cJSON *json(const char *text)
{
    rg_error_t err;
    cJSON *j = rg_json_parse(text, strlen(text), &err);
    ck_assert_msg(j != NULL, "bad test JSON: %s", rg_error_str(&err));
    return j;
}

static void ensure_ns(kube_client_t *c, const char *ns)
{
    char *text = rg_asprintf("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":"
                             "{\"name\":\"%s\"}}",
                             ns);
    cJSON *o = json(text);
    kube_result_t r;
    rg_error_t err = {0};
    ck_assert_int_eq(kube_create(c, &kube_res_namespaces, NULL, o, &r, &err), 0);
    ck_assert_msg(r.http_status == 201 || r.http_status == 409, "namespace %s: %d", ns,
                  r.http_status);
    kube_result_release(&r);
    cJSON_Delete(o);
    rg_free(text);
}

static cJSON *localqueue(const char *ns, const char *name)
{
    char *text = rg_asprintf("{\"apiVersion\":\"kueue.x-k8s.io/v1beta2\",\"kind\":\"LocalQueue\","
                             "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
                             "\"spec\":{\"clusterQueue\":\"cq\"}}",
                             name, ns);
    cJSON *o = json(text);
    rg_free(text);
    return o;
}

static void create_lq(const char *ns, const char *name)
{
    cJSON *o = localqueue(ns, name);
    kube_result_t r;
    rg_error_t err = {0};
    ck_assert_int_eq(kube_create(C, &kube_res_localqueues, ns, o, &r, &err), 0);
    ck_assert_msg(r.http_status == 201, "create %s: %d %s", name, r.http_status,
                  rg_error_str(&err));
    kube_result_release(&r);
    cJSON_Delete(o);
}

static const char *meta_str(const cJSON *obj, const char *key)
{
    return rg_json_get_string(rg_json_get_object(obj, "metadata"), key);
}

/* The list's current resourceVersion, owned. */
static char *list_rv(const kube_resource_t *res, const char *ns)
{
    kube_result_t r;
    rg_error_t err = {0};
    ck_assert_int_eq(kube_list(C, res, ns, NULL, &r, &err), 0);
    ck_assert_int_eq(r.http_status, 200);
    char *rv = rg_strdup(meta_str(r.body, "resourceVersion"));
    kube_result_release(&r);
    return rv;
}

/* The user of the newest entry in the double's write log, owned. */
static char *last_writer(void)
{
    cJSON *w = NULL;
    rg_error_t err = {0};
    ck_assert_msg(rg_double_writes(&D, 0, &w, &err) == 0, "%s", rg_error_str(&err));
    const cJSON *items = rg_json_get_array(w, "items");
    int n = cJSON_GetArraySize(items);
    ck_assert_int_gt(n, 0);
    char *user = rg_strdup(rg_json_get_string(cJSON_GetArrayItem(items, n - 1), "user"));
    cJSON_Delete(w);
    return user;
}

static void write_file(const char *path, const char *text)
{
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(rename(tmp, path), 0);
}

static char *make_tmpdir(void)
{
    char *dir = rg_strdup("/tmp/rg-kube-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    return dir;
}

/* ---- kube_path ---- */

static const struct {
    const kube_resource_t *res;
    const char *ns, *name, *sub, *want;
} PATHS[] = {
    {&kube_res_pods, "default", "p", "binding", "/api/v1/namespaces/default/pods/p/binding"},
    {&kube_res_pods, NULL, NULL, NULL, "/api/v1/pods"},
    {&kube_res_nodes, "ignored", "n1", NULL, "/api/v1/nodes/n1"},
    {&kube_res_workloads, "team-a", "x", "status",
     "/apis/kueue.x-k8s.io/v1beta2/namespaces/team-a/workloads/x/status"},
    {&kube_res_clusterqueues, "", "cq", NULL, "/apis/kueue.x-k8s.io/v1beta2/clusterqueues/cq"},
    {&kube_res_leases, "kube-system", "raygate", NULL,
     "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/raygate"},
    {&kube_res_rayclusters, "ns", "a b/c", NULL,
     "/apis/ray.io/v1/namespaces/ns/rayclusters/a%20b%2Fc"},
};

START_TEST(test_kube_client__path)
{
    char *p = kube_path(PATHS[_i].res, PATHS[_i].ns, PATHS[_i].name, PATHS[_i].sub);
    ck_assert_str_eq(p, PATHS[_i].want);
    rg_free(p);
}
END_TEST

/* ---- credentials ---- */

START_TEST(test_kube_client__kubeconfig_token)
{
    ck_assert_ptr_nonnull(strstr(CREDS.server, "https://127.0.0.1:"));
    ck_assert_str_eq(CREDS.token, "kubedouble-admin-token");
    ck_assert_ptr_nonnull(CREDS.ca_pem);
    ck_assert(strncmp(CREDS.ca_pem, "-----BEGIN CERTIFICATE-----", 27) == 0);
    ck_assert_str_eq(CREDS.namespace, "default");
    kube_result_t r;
    rg_error_t err = {0};
    ck_assert_int_eq(kube_get(C, &kube_res_namespaces, NULL, "default", &r, &err), 0);
    ck_assert_int_eq(r.http_status, 200);
    ck_assert_str_eq(meta_str(r.body, "name"), "default");
    kube_result_release(&r);
}
END_TEST

START_TEST(test_kube_client__kubeconfig_client_cert)
{
    kube_creds_t cr;
    rg_error_t err = {0};
    ck_assert_msg(kube_creds_load_kubeconfig(D.kubeconfig_cert, NULL, &cr, &err) == 0, "%s",
                  rg_error_str(&err));
    ck_assert_ptr_null(cr.token);
    ck_assert_ptr_nonnull(cr.client_cert_pem);
    ck_assert_ptr_nonnull(cr.client_key_pem);
    kube_client_t *c = kube_client_new(&cr, NULL, &err);
    ck_assert_ptr_nonnull(c);
    ensure_ns(c, "t-cert");
    char *user = last_writer();
    ck_assert_str_eq(user, "kubedouble-client");
    rg_free(user);
    kube_client_free(c);
    kube_creds_release(&cr);
}
END_TEST

START_TEST(test_kube_client__tls_verified)
{
    /* Without the double's CA the system store must refuse its certificate. */
    kube_creds_t cr = {0};
    cr.server = rg_strdup(CREDS.server);
    cr.token = rg_strdup(CREDS.token);
    rg_error_t err = {0};
    kube_client_opts_t o = {.max_retries = 1};
    kube_client_t *c = kube_client_new(&cr, &o, &err);
    kube_result_t r;
    int rc = kube_get(c, &kube_res_namespaces, NULL, "default", &r, &err);
    ck_assert_msg(rc == RG_ERR_TLS, "rc %d: %s", rc, rg_error_str(&err));
    ck_assert_int_eq(r.http_status, 0);
    kube_client_free(c);
    /* With the CA but a token the server does not know: 401 Unauthorized. */
    kube_creds_t bad = {0};
    bad.server = rg_strdup(CREDS.server);
    bad.ca_pem = rg_strdup(CREDS.ca_pem);
    bad.token = rg_strdup("not-a-token");
    c = kube_client_new(&bad, &o, &err);
    ck_assert_int_eq(kube_get(c, &kube_res_namespaces, NULL, "default", &r, &err), 0);
    ck_assert_int_eq(r.http_status, 401);
    ck_assert_str_eq(r.reason, "Unauthorized");
    ck_assert_int_eq(err.code, RG_ERR_HTTP);
    kube_result_release(&r);
    kube_client_free(c);
    kube_creds_release(&bad);
    /* insecure-skip-tls-verify lets it through. */
    cr.insecure_skip_tls_verify = true;
    c = kube_client_new(&cr, &o, &err);
    ck_assert_int_eq(kube_get(c, &kube_res_namespaces, NULL, "default", &r, &err), 0);
    ck_assert_int_eq(r.http_status, 200);
    kube_result_release(&r);
    kube_client_free(c);
    kube_creds_release(&cr);
}
END_TEST

static const struct {
    const char *name;
    const char *yaml;
    const char *context;
    int rc;
    const char *msg;
} KUBECONFIGS[] = {
    {"exec refused",
     "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n"
     "    server: https://h:6443\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n"
     "users:\n- name: u\n  user:\n    exec:\n      command: aws\n",
     NULL, RG_ERR_UNSUPPORTED, "user \"u\" uses an exec credential plugin"},
    {"auth-provider refused",
     "current-context: c\nclusters: [{name: k, cluster: {server: 'https://h'}}]\n"
     "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
     "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n",
     NULL, RG_ERR_UNSUPPORTED, "auth-provider"},
    {"missing context", "current-context: nope\nclusters: []\ncontexts: []\n", NULL, RG_ERR_CONFIG,
     "context \"nope\" not found"},
    {"no current context", "clusters: []\n", NULL, RG_ERR_CONFIG, "current-context is not set"},
    {"named context, files relative",
     "current-context: a\nclusters:\n- {name: k1, cluster: {server: 'https://one/'}}\n"
     "- {name: k2, cluster: {server: 'https://two:6443', insecure-skip-tls-verify: true, "
     "certificate-authority: ca.pem}}\n"
     "contexts:\n- {name: a, context: {cluster: k1, user: u1}}\n"
     "- {name: b, context: {cluster: k2, user: u2, namespace: team}}\n"
     "users:\n- {name: u1, user: {token: t1}}\n"
     "- {name: u2, user: {tokenFile: tok, client-certificate: c.pem, client-key: /abs/k.pem}}\n",
     "b", 0, NULL},
    {"bad base64",
     "current-context: c\nclusters: [{name: k, cluster: {server: 'https://h', "
     "certificate-authority-data: 'ab$d'}}]\ncontexts: [{name: c, context: {cluster: k}}]\n",
     NULL, RG_ERR_PARSE, "certificate-authority-data: not base64"},
    {"cert without key",
     "current-context: c\nclusters: [{name: k, cluster: {server: 'https://h'}}]\n"
     "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
     "users: [{name: u, user: {client-certificate-data: 'YWJj'}}]\n",
     NULL, RG_ERR_CONFIG, "needs both"},
    {"token of wrong type",
     "current-context: c\nclusters: [{name: k, cluster: {server: 'https://h'}}]\n"
     "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
     "users: [{name: u, user: {token: [1]}}]\n",
     NULL, RG_ERR_TYPE, "user.token: expected a string"},
    {"server not a URL",
     "current-context: c\nclusters: [{name: k, cluster: {server: 'h:6443'}}]\n"
     "contexts: [{name: c, context: {cluster: k}}]\n",
     NULL, RG_ERR_CONFIG, "is not an http(s) URL"},
};

START_TEST(test_kube_client__kubeconfig_table)
{
    char *dir = make_tmpdir();
    char *path = rg_asprintf("%s/config", dir);
    write_file(path, KUBECONFIGS[_i].yaml);
    kube_creds_t cr;
    rg_error_t err = {0};
    int rc = kube_creds_load_kubeconfig(path, KUBECONFIGS[_i].context, &cr, &err);
    ck_assert_msg(rc == KUBECONFIGS[_i].rc, "%s: rc %d (%s)", KUBECONFIGS[_i].name, rc,
                  rg_error_str(&err));
    if (rc < 0) {
        ck_assert_msg(strstr(err.msg, KUBECONFIGS[_i].msg) != NULL, "%s: \"%s\"",
                      KUBECONFIGS[_i].name, err.msg);
        ck_assert_ptr_nonnull(strstr(err.msg, path));
        ck_assert_ptr_null(cr.server);
    } else {
        char *want = rg_asprintf("%s/ca.pem", dir);
        ck_assert_str_eq(cr.server, "https://two:6443");
        ck_assert(cr.insecure_skip_tls_verify);
        ck_assert_str_eq(cr.ca_file, want);
        ck_assert_str_eq(cr.namespace, "team");
        ck_assert_str_eq(cr.client_key_file, "/abs/k.pem");
        ck_assert_ptr_null(cr.token);
        ck_assert_ptr_nonnull(strstr(cr.token_file, "/tok"));
        rg_free(want);
        kube_creds_release(&cr);
    }
    unlink(path);
    rmdir(dir);
    rg_free(path);
    rg_free(dir);
}
END_TEST

START_TEST(test_kube_client__kubeconfig_env_order)
{
    char *saved = getenv("KUBECONFIG") ? rg_strdup(getenv("KUBECONFIG")) : NULL;
    char *env = rg_asprintf("%s:/nonexistent/other", D.kubeconfig);
    setenv("KUBECONFIG", env, 1);
    kube_creds_t cr;
    rg_error_t err = {0};
    ck_assert_msg(kube_creds_load_kubeconfig(NULL, NULL, &cr, &err) == 0, "%s", rg_error_str(&err));
    ck_assert_str_eq(cr.server, CREDS.server);
    kube_creds_release(&cr);
    /* An explicit path wins over $KUBECONFIG. */
    ck_assert_int_eq(kube_creds_load_kubeconfig("/nonexistent/kc", NULL, &cr, &err), RG_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/kc"));
    /* Without $KUBECONFIG, ~/.kube/config. */
    unsetenv("KUBECONFIG");
    char *saved_home = getenv("HOME") ? rg_strdup(getenv("HOME")) : NULL;
    setenv("HOME", "/nonexistent-home", 1);
    ck_assert_int_eq(kube_creds_load_kubeconfig(NULL, NULL, &cr, &err), RG_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent-home/.kube/config"));
    if (saved_home)
        setenv("HOME", saved_home, 1);
    if (saved)
        setenv("KUBECONFIG", saved, 1);
    rg_free(saved_home);
    rg_free(saved);
    rg_free(env);
}
END_TEST

START_TEST(test_kube_client__in_cluster)
{
    char *dir = make_tmpdir();
    char *tok = rg_asprintf("%s/token", dir), *ca = rg_asprintf("%s/ca.crt", dir),
         *nsf = rg_asprintf("%s/namespace", dir);
    write_file(tok, "kubedouble-admin-token\n");
    write_file(ca, CREDS.ca_pem);
    write_file(nsf, "team-x\n");
    char port[16];
    snprintf(port, sizeof(port), "%d", D.port);

    kube_creds_t cr;
    rg_error_t err = {0};
    unsetenv("KUBERNETES_SERVICE_HOST");
    ck_assert_int_eq(kube_creds_load_in_cluster(dir, &cr, &err), RG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "KUBERNETES_SERVICE_HOST"));

    setenv("KUBERNETES_SERVICE_HOST", "::1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    ck_assert_int_eq(kube_creds_load_in_cluster(dir, &cr, &err), 0);
    ck_assert_str_eq(cr.server, "https://[::1]:443");
    kube_creds_release(&cr);

    setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", port, 1);
    ck_assert_msg(kube_creds_load_in_cluster(dir, &cr, &err) == 0, "%s", rg_error_str(&err));
    ck_assert_str_eq(cr.token_file, tok);
    ck_assert_str_eq(cr.ca_file, ca);
    ck_assert_str_eq(cr.namespace, "team-x");
    kube_client_t *c = kube_client_new(&cr, NULL, &err);
    kube_result_t r;
    ck_assert_int_eq(kube_get(c, &kube_res_namespaces, NULL, "default", &r, &err), 0);
    ck_assert_int_eq(r.http_status, 200);
    kube_result_release(&r);
    kube_client_free(c);
    kube_creds_release(&cr);

    /* No token file: refused with the path. */
    unlink(tok);
    ck_assert_int_eq(kube_creds_load_in_cluster(dir, &cr, &err), RG_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, tok));
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    unlink(ca);
    unlink(nsf);
    rmdir(dir);
    rg_free(tok);
    rg_free(ca);
    rg_free(nsf);
    rg_free(dir);
}
END_TEST

START_TEST(test_kube_client__token_rotation)
{
    char *dir = make_tmpdir();
    char *tok = rg_asprintf("%s/token", dir);
    write_file(tok, "rg-rot-a\n");
    kube_creds_t cr = {0};
    cr.server = rg_strdup(CREDS.server);
    cr.ca_pem = rg_strdup(CREDS.ca_pem);
    cr.token_file = rg_strdup(tok);
    rg_error_t err = {0};
    kube_client_t *c = kube_client_new(&cr, NULL, &err);
    ensure_ns(c, "t-rot-1");
    char *user = last_writer();
    ck_assert_str_eq(user, "rot-a");
    rg_free(user);

    write_file(tok, "rg-rot-b\n");
    nap_ms(1100); /* the file is looked at no more than once a second */
    ensure_ns(c, "t-rot-2");
    user = last_writer();
    ck_assert_str_eq(user, "rot-b");
    rg_free(user);
    kube_client_stats_t st;
    kube_client_stats_get(c, &st);
    ck_assert_uint_eq(st.token_reloads, 1);

    kube_client_free(c);
    kube_creds_release(&cr);
    unlink(tok);
    rmdir(dir);
    rg_free(tok);
    rg_free(dir);
}
END_TEST

/* ---- verbs and status codes ---- */

START_TEST(test_kube_client__crud_and_status_codes)
{
    ensure_ns(C, "t-crud");
    rg_error_t err = {0};
    kube_result_t r;
    cJSON *o = localqueue("t-crud", "q1");
    ck_assert_int_eq(kube_create(C, &kube_res_localqueues, "t-crud", o, &r, &err), 0);
    ck_assert_int_eq(r.http_status, 201);
    char *rv1 = rg_strdup(meta_str(r.body, "resourceVersion"));
    kube_result_release(&r);

    ck_assert_int_eq(kube_create(C, &kube_res_localqueues, "t-crud", o, &r, &err), 0);
    ck_assert_int_eq(r.http_status, 409);
    ck_assert_str_eq(r.reason, "AlreadyExists");
    ck_assert_int_eq(err.code, RG_ERR_EXISTS);
    kube_result_release(&r);

    ck_assert_int_eq(kube_get(C, &kube_res_localqueues, "t-crud", "missing", &r, &err), 0);
    ck_assert_int_eq(r.http_status, 404);
    ck_assert_str_eq(r.reason, "NotFound");
    ck_assert_str_eq(r.message, "localqueues.kueue.x-k8s.io \"missing\" not found");
    ck_assert_int_eq(err.code, RG_ERR_NOT_FOUND);
    ck_assert_str_eq(err.msg, "GET /apis/kueue.x-k8s.io/v1beta2/namespaces/t-crud/localqueues/"
                              "missing: 404 NotFound: localqueues.kueue.x-k8s.io \"missing\" not "
                              "found");
    kube_result_release(&r);

    /* A stale resourceVersion is a Conflict. */
    ck_assert_int_eq(kube_patch(C, &kube_res_localqueues, "t-crud", "q1", KUBE_PATCH_MERGE,
                                "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}", false, &r, &err),
                     0);
    ck_assert_int_eq(r.http_status, 200);
    kube_result_release(&r);
    cJSON_AddItemToObject(cJSON_GetObjectItem(o, "metadata"), "resourceVersion",
                          cJSON_CreateString(rv1));
    ck_assert_int_eq(kube_update(C, &kube_res_localqueues, NULL, o, false, &r, &err), 0);
    ck_assert_int_eq(r.http_status, 409);
    ck_assert_str_eq(r.reason, "Conflict");
    ck_assert_int_eq(err.code, RG_ERR_CONFLICT);
    kube_result_release(&r);

    ck_assert_int_eq(kube_get(C, &kube_res_localqueues, "t-crud", "q1", &r, &err), 0);
    ck_assert_int_eq(r.http_status, 200);
    cJSON *cur = r.body;
    r.body = NULL;
    kube_result_release(&r);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cur, "spec"), "clusterQueue",
                              cJSON_CreateString("cq2"));
    ck_assert_int_eq(kube_update(C, &kube_res_localqueues, NULL, cur, false, &r, &err), 0);
    ck_assert_int_eq(r.http_status, 200);
    ck_assert_str_eq(rg_json_get_string(rg_json_get_object(r.body, "spec"), "clusterQueue"), "cq2");
    kube_result_release(&r);
    cJSON_Delete(cur);

    ck_assert_int_eq(kube_delete(C, &kube_res_localqueues, "t-crud", "q1", &r, &err), 0);
    ck_assert_int_eq(r.http_status, 200);
    kube_result_release(&r);
    ck_assert_int_eq(kube_delete(C, &kube_res_localqueues, "t-crud", "q1", &r, &err), 0);
    ck_assert_int_eq(r.http_status, 404);
    kube_result_release(&r);
    cJSON_Delete(o);
    rg_free(rv1);
}
END_TEST

typedef struct race {
    int calls;
} race_t;

/* Sets a label; on the first call another writer changes the object first. */
static int mutate_with_race(cJSON *obj, void *arg)
{
    race_t *rc = arg;
    rc->calls++;
    if (rc->calls == 1) {
        kube_result_t r;
        rg_error_t err = {0};
        ck_assert_int_eq(kube_patch(C, &kube_res_localqueues, "t-retry", "q", KUBE_PATCH_MERGE,
                                    "{\"metadata\":{\"labels\":{\"other\":\"x\"}}}", false, &r,
                                    &err),
                         0);
        ck_assert_int_eq(r.http_status, 200);
        kube_result_release(&r);
    }
    cJSON *meta = cJSON_GetObjectItem(obj, "metadata");
    cJSON *labels = cJSON_GetObjectItem(meta, "labels");
    if (labels == NULL)
        labels = cJSON_AddObjectToObject(meta, "labels");
    cJSON_DeleteItemFromObject(labels, "mine");
    cJSON_AddStringToObject(labels, "mine", "y");
    return 0;
}

static int mutate_skip(cJSON *obj, void *arg)
{
    (void)obj;
    (void)arg;
    return 1;
}

START_TEST(test_kube_client__update_retry_on_conflict)
{
    ensure_ns(C, "t-retry");
    create_lq("t-retry", "q");
    race_t race = {0};
    kube_result_t r;
    rg_error_t err = {0};
    ck_assert_int_eq(kube_update_retry(C, &kube_res_localqueues, "t-retry", "q", false,
                                       mutate_with_race, &race, &r, &err),
                     0);
    ck_assert_int_eq(r.http_status, 200);
    ck_assert_int_eq(race.calls, 2);
    const cJSON *labels = rg_json_get_object(rg_json_get_object(r.body, "metadata"), "labels");
    ck_assert_str_eq(rg_json_get_string(labels, "mine"), "y");
    ck_assert_str_eq(rg_json_get_string(labels, "other"), "x");
    kube_result_release(&r);

    ck_assert_int_eq(kube_update_retry(C, &kube_res_localqueues, "t-retry", "q", false, mutate_skip,
                                       NULL, &r, &err),
                     0);
    ck_assert_int_eq(r.http_status, 200);
    kube_result_release(&r);
    ck_assert_int_eq(kube_update_retry(C, &kube_res_localqueues, "t-retry", "nope", false,
                                       mutate_skip, NULL, &r, &err),
                     0);
    ck_assert_int_eq(r.http_status, 404);
    kube_result_release(&r);
}
END_TEST

#define PAGE_WRITERS 5
#define PAGE_OBJECTS 250

/* Creates every PAGE_WRITERS-th object from *arg (no Check asserts off the main thread). */
static void *create_page_objects(void *arg)
{
    long first = *(long *)arg;
    for (long i = first; i < PAGE_OBJECTS; i += PAGE_WRITERS) {
        char name[32];
        snprintf(name, sizeof(name), "q-%03ld", i);
        cJSON *o = localqueue("t-page", name);
        kube_result_t r;
        rg_error_t err = {0};
        if (kube_create(C, &kube_res_localqueues, "t-page", o, &r, &err) < 0 ||
            r.http_status != 201)
            fprintf(stderr, "create %s: %d %s\n", name, r.http_status, rg_error_str(&err));
        kube_result_release(&r);
        cJSON_Delete(o);
    }
    return NULL;
}

START_TEST(test_kube_client__list_pagination)
{
    ensure_ns(C, "t-page");
    /* Five writers at once: the client is shared between threads, and the
     * double answers each request in ~40 ms (Nagle), so this keeps it quick. */
    pthread_t th[PAGE_WRITERS];
    long ids[PAGE_WRITERS];
    for (long i = 0; i < PAGE_WRITERS; i++) {
        ids[i] = i;
        ck_assert_int_eq(pthread_create(&th[i], NULL, create_page_objects, &ids[i]), 0);
    }
    for (int i = 0; i < PAGE_WRITERS; i++)
        pthread_join(th[i], NULL);
    char *cont = NULL;
    int total = 0, pages = 0;
    rg_error_t err = {0};
    do {
        kube_list_opts_t lo = {.limit = 100, .continue_token = cont};
        kube_result_t r;
        ck_assert_int_eq(kube_list(C, &kube_res_localqueues, "t-page", &lo, &r, &err), 0);
        ck_assert_msg(r.http_status == 200, "%s", rg_error_str(&err));
        const cJSON *items = rg_json_get_array(r.body, "items");
        int n = cJSON_GetArraySize(items);
        for (int i = 0; i < n; i++) {
            char want[32];
            snprintf(want, sizeof(want), "q-%03d", total + i);
            ck_assert_str_eq(meta_str(cJSON_GetArrayItem(items, i), "name"), want);
        }
        total += n;
        pages++;
        rg_free(cont);
        const char *next = meta_str(r.body, "continue");
        cont = next && *next ? rg_strdup(next) : NULL;
        kube_result_release(&r);
    } while (cont && pages < 10);
    ck_assert_int_eq(total, PAGE_OBJECTS);
    ck_assert_int_eq(pages, 3);

    /* Selectors go through URL-encoded. */
    kube_list_opts_t lo = {.field_selector = "metadata.name=q-007"};
    kube_result_t r;
    ck_assert_int_eq(kube_list(C, &kube_res_localqueues, "t-page", &lo, &r, &err), 0);
    ck_assert_int_eq(cJSON_GetArraySize(rg_json_get_array(r.body, "items")), 1);
    kube_result_release(&r);

    kube_list_opts_t bad = {.limit = 10, .continue_token = "garbage&x=1"};
    ck_assert_int_eq(kube_list(C, &kube_res_localqueues, "t-page", &bad, &r, &err), 0);
    ck_assert_int_eq(r.http_status, 400);
    ck_assert_str_eq(r.reason, "BadRequest");
    kube_result_release(&r);
}
END_TEST

START_TEST(test_kube_client__patches_and_status)
{
    ensure_ns(C, "t-patch");
    create_lq("t-patch", "q");
    kube_result_t r;
    rg_error_t err = {0};
    ck_assert_int_eq(kube_patch(C, &kube_res_localqueues, "t-patch", "q", KUBE_PATCH_JSON,
                                "[{\"op\":\"add\",\"path\":\"/metadata/labels\","
                                "\"value\":{\"k\":\"v\"}}]",
                                false, &r, &err),
                     0);
    ck_assert_int_eq(r.http_status, 200);
    kube_result_release(&r);
    ck_assert_int_eq(kube_patch(C, &kube_res_localqueues, "t-patch", "q", KUBE_PATCH_JSON,
                                "[{\"op\":\"test\",\"path\":\"/metadata/labels/k\","
                                "\"value\":\"other\"}]",
                                false, &r, &err),
                     0);
    ck_assert_int_eq(r.http_status, 422);
    ck_assert_str_eq(r.reason, "Invalid");
    ck_assert_int_eq(err.code, RG_ERR_INVAL);
    kube_result_release(&r);

    /* status through the main resource is ignored, through /status kept. */
    ck_assert_int_eq(kube_patch(C, &kube_res_localqueues, "t-patch", "q", KUBE_PATCH_MERGE,
                                "{\"status\":{\"pendingWorkloads\":3}}", false, &r, &err),
                     0);
    ck_assert_int_eq(r.http_status, 200);
    ck_assert_ptr_null(rg_json_get(rg_json_get_object(r.body, "status"), "pendingWorkloads"));
    kube_result_release(&r);
    ck_assert_int_eq(kube_patch(C, &kube_res_localqueues, "t-patch", "q", KUBE_PATCH_MERGE,
                                "{\"status\":{\"pendingWorkloads\":3},"
                                "\"spec\":{\"clusterQueue\":\"ignored\"}}",
                                true, &r, &err),
                     0);
    ck_assert_int_eq(r.http_status, 200);
    ck_assert_int_eq((int)cJSON_GetNumberValue(
                         rg_json_get(rg_json_get_object(r.body, "status"), "pendingWorkloads")),
                     3);
    ck_assert_str_eq(rg_json_get_string(rg_json_get_object(r.body, "spec"), "clusterQueue"), "cq");
    /* PUT to /status too. */
    cJSON *obj = r.body;
    r.body = NULL;
    kube_result_release(&r);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(obj, "status"), "pendingWorkloads",
                              cJSON_CreateNumber(5));
    ck_assert_int_eq(kube_update(C, &kube_res_localqueues, NULL, obj, true, &r, &err), 0);
    ck_assert_int_eq(r.http_status, 200);
    ck_assert_int_eq((int)cJSON_GetNumberValue(
                         rg_json_get(rg_json_get_object(r.body, "status"), "pendingWorkloads")),
                     5);
    kube_result_release(&r);
    cJSON_Delete(obj);
}
END_TEST

START_TEST(test_kube_client__pod_binding)
{
    ensure_ns(C, "t-bind");
    cJSON *pod = json("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
                      "\"namespace\":\"t-bind\"},\"spec\":{\"containers\":[{\"name\":\"c\","
                      "\"image\":\"ray\"}]}}");
    kube_result_t r;
    rg_error_t err = {0};
    ck_assert_int_eq(kube_create(C, &kube_res_pods, NULL, pod, &r, &err), 0);
    ck_assert_int_eq(r.http_status, 201);
    char *uid = rg_strdup(meta_str(r.body, "uid"));
    kube_result_release(&r);
    ck_assert_int_eq(kube_bind_pod(C, "t-bind", "p", uid, "node-1", &r, &err), 0);
    ck_assert_int_eq(r.http_status, 201);
    kube_result_release(&r);
    ck_assert_int_eq(kube_bind_pod(C, "t-bind", "p", uid, "node-2", &r, &err), 0);
    ck_assert_int_eq(r.http_status, 409);
    ck_assert_str_eq(r.reason, "Conflict");
    kube_result_release(&r);
    ck_assert_int_eq(kube_get(C, &kube_res_pods, "t-bind", "p", &r, &err), 0);
    ck_assert_str_eq(rg_json_get_string(rg_json_get_object(r.body, "spec"), "nodeName"), "node-1");
    kube_result_release(&r);
    rg_free(uid);
    cJSON_Delete(pod);
}
END_TEST

/* ---- retries ---- */

START_TEST(test_kube_client__429_retry_after_honoured)
{
    rg_error_t err = {0};
    ck_assert_int_eq(rg_double_faults(&D,
                                      "{\"failNext\":{\"code\":429,\"count\":1,"
                                      "\"retryAfter\":1,\"pathPrefix\":\"/api/v1/namespaces/"
                                      "kube-public\"}}",
                                      &err),
                     0);
    kube_client_stats_t before, after;
    kube_client_stats_get(C, &before);
    double t0 = now_s();
    kube_result_t r;
    ck_assert_int_eq(kube_get(C, &kube_res_namespaces, NULL, "kube-public", &r, &err), 0);
    double waited = now_s() - t0;
    ck_assert_int_eq(r.http_status, 200);
    ck_assert_msg(waited >= 0.95 && waited < 5.0, "waited %.3f s", waited);
    kube_result_release(&r);
    kube_client_stats_get(C, &after);
    ck_assert_uint_eq(after.throttled - before.throttled, 1);
    ck_assert_uint_eq(after.retries - before.retries, 1);

    /* A create (not idempotent) is still retried on 429: nothing was done.
     * Its own client: the double answers an injected fault without reading
     * the request body, which leaves that keep-alive connection unusable. */
    ck_assert_int_eq(rg_double_faults(&D,
                                      "{\"failNext\":{\"code\":429,\"count\":1,"
                                      "\"retryAfter\":1,\"methods\":[\"POST\"]}}",
                                      &err),
                     0);
    kube_client_t *c = kube_client_new(&CREDS, NULL, &err);
    kube_client_stats_get(c, &before);
    ensure_ns(c, "t-429");
    kube_client_stats_get(c, &after);
    ck_assert_uint_eq(after.throttled, 1);
    kube_client_free(c);
}
END_TEST

START_TEST(test_kube_client__500_retried_for_idempotent_only)
{
    rg_error_t err = {0};
    ck_assert_int_eq(rg_double_faults(&D,
                                      "{\"failNext\":{\"code\":500,\"count\":2,"
                                      "\"methods\":[\"GET\"]}}",
                                      &err),
                     0);
    kube_client_stats_t before, after;
    kube_client_stats_get(C, &before);
    kube_result_t r;
    ck_assert_int_eq(kube_get(C, &kube_res_namespaces, NULL, "default", &r, &err), 0);
    ck_assert_int_eq(r.http_status, 200);
    kube_result_release(&r);
    kube_client_stats_get(C, &after);
    ck_assert_uint_eq(after.errors_5xx - before.errors_5xx, 2);
    ck_assert_uint_eq(after.retries - before.retries, 2);

    ck_assert_int_eq(rg_double_faults(&D,
                                      "{\"failNext\":{\"code\":500,\"count\":1,"
                                      "\"methods\":[\"POST\"]}}",
                                      &err),
                     0);
    cJSON *ns = json("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":"
                     "\"t-500\"}}");
    /* Own client, as above: the faulted connection is not reused. */
    kube_client_t *pc = kube_client_new(&CREDS, NULL, &err);
    ck_assert_int_eq(kube_create(pc, &kube_res_namespaces, NULL, ns, &r, &err), 0);
    kube_client_free(pc);
    ck_assert_int_eq(r.http_status, 500);
    ck_assert_str_eq(r.reason, "InternalError");
    ck_assert_ptr_nonnull(strstr(err.msg, "POST /api/v1/namespaces: 500 InternalError"));
    kube_result_release(&r);
    cJSON_Delete(ns);

    /* Retries run out: the last 503 is the answer. */
    kube_client_opts_t o = {.max_retries = 2, .qps = 100, .burst = 100};
    kube_client_t *c = kube_client_new(&CREDS, &o, &err);
    ck_assert_int_eq(rg_double_faults(&D, "{\"failNext\":{\"code\":503,\"count\":5}}", &err), 0);
    ck_assert_int_eq(kube_get(c, &kube_res_namespaces, NULL, "default", &r, &err), 0);
    ck_assert_int_eq(r.http_status, 503);
    kube_result_release(&r);
    kube_client_free(c);
}
END_TEST

START_TEST(test_kube_client__rate_limit)
{
    kube_client_opts_t o = {.qps = 20, .burst = 2};
    rg_error_t err = {0};
    kube_client_t *c = kube_client_new(&CREDS, &o, &err);
    double t0 = now_s();
    for (int i = 0; i < 8; i++) {
        kube_result_t r;
        ck_assert_int_eq(kube_get(c, &kube_res_namespaces, NULL, "default", &r, &err), 0);
        kube_result_release(&r);
    }
    /* 2 from the bucket, 6 more at 20/s: at least 0.3 s. */
    double took = now_s() - t0;
    ck_assert_msg(took >= 0.28, "8 requests took %.3f s", took);
    kube_client_free(c);
}
END_TEST

/* ---- watch ---- */

#define MAX_EV 32

typedef struct rec {
    int n;
    kube_event_type_t types[MAX_EV];
    char names[MAX_EV][32];
    int codes[MAX_EV];
    int stop_after; /* end after this many events; 0 = never */
    int stop_on;    /* end on the first event of this type + 1; 0 = never */
} rec_t;

static int on_event(void *arg, kube_event_type_t type, cJSON *obj)
{
    rec_t *r = arg;
    if (r->n < MAX_EV) {
        const char *name = meta_str(obj, "name");
        r->types[r->n] = type;
        snprintf(r->names[r->n], sizeof(r->names[0]), "%s", name ? name : "-");
        r->codes[r->n] = (int)cJSON_GetNumberValue(rg_json_get(obj, "code"));
    }
    r->n++;
    cJSON_Delete(obj);
    if (r->stop_after && r->n >= r->stop_after)
        return 42;
    if (r->stop_on && (int)type + 1 == r->stop_on)
        return 43;
    return 0;
}

START_TEST(test_kube_client__watch_synthetic_added)
{
    ensure_ns(C, "t-w1");
    create_lq("t-w1", "a");
    create_lq("t-w1", "b");
    create_lq("t-w1", "c");
    rec_t rec = {.stop_after = 3};
    rg_error_t err = {0};
    kube_watch_opts_t wo = {.timeout_seconds = 10};
    int rc = kube_watch(C, &kube_res_localqueues, "t-w1", &wo, on_event, &rec, NULL, &err);
    ck_assert_msg(rc == 42, "rc %d %s", rc, rg_error_str(&err));
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(rec.types[i], KUBE_EVENT_ADDED);
    ck_assert_str_eq(rec.names[0], "a");
    ck_assert_str_eq(rec.names[2], "c");
}
END_TEST

START_TEST(test_kube_client__watch_resume_modified_deleted)
{
    ensure_ns(C, "t-w2");
    create_lq("t-w2", "old");
    char *rv = list_rv(&kube_res_localqueues, "t-w2");
    kube_result_t r;
    rg_error_t err = {0};
    ck_assert_int_eq(kube_patch(C, &kube_res_localqueues, "t-w2", "old", KUBE_PATCH_MERGE,
                                "{\"metadata\":{\"labels\":{\"x\":\"1\"}}}", false, &r, &err),
                     0);
    kube_result_release(&r);
    ck_assert_int_eq(kube_delete(C, &kube_res_localqueues, "t-w2", "old", &r, &err), 0);
    kube_result_release(&r);
    create_lq("t-w2", "new");

    rec_t rec = {.stop_after = 3};
    kube_watch_opts_t wo = {.resource_version = rv, .timeout_seconds = 10};
    int rc = kube_watch(C, &kube_res_localqueues, "t-w2", &wo, on_event, &rec, NULL, &err);
    ck_assert_msg(rc == 42, "rc %d %s", rc, rg_error_str(&err));
    ck_assert_int_eq(rec.types[0], KUBE_EVENT_MODIFIED);
    ck_assert_str_eq(rec.names[0], "old");
    ck_assert_int_eq(rec.types[1], KUBE_EVENT_DELETED);
    ck_assert_int_eq(rec.types[2], KUBE_EVENT_ADDED);
    ck_assert_str_eq(rec.names[2], "new");
    rg_free(rv);
}
END_TEST

START_TEST(test_kube_client__watch_bookmarks_and_timeout)
{
    ensure_ns(C, "t-w3");
    rg_error_t err = {0};
    ck_assert_int_eq(rg_double_faults(&D, "{\"bookmarkIntervalSeconds\":0.2}", &err), 0);
    char *rv = list_rv(&kube_res_localqueues, "t-w3");
    rec_t rec = {.stop_on = KUBE_EVENT_BOOKMARK + 1};
    kube_watch_opts_t wo = {.resource_version = rv, .timeout_seconds = 10, .allow_bookmarks = true};
    int rc = kube_watch(C, &kube_res_localqueues, "t-w3", &wo, on_event, &rec, NULL, &err);
    ck_assert_msg(rc == 43, "rc %d %s", rc, rg_error_str(&err));
    ck_assert_int_eq(rec.types[rec.n - 1], KUBE_EVENT_BOOKMARK);

    /* The server's timeoutSeconds ends the stream cleanly. */
    rec_t quiet = {0};
    kube_watch_opts_t wo2 = {.resource_version = rv, .timeout_seconds = 1};
    double t0 = now_s();
    rc = kube_watch(C, &kube_res_localqueues, "t-w3", &wo2, on_event, &quiet, NULL, &err);
    ck_assert_msg(rc == 0, "rc %d %s", rc, rg_error_str(&err));
    ck_assert_int_eq(quiet.n, 0);
    ck_assert(now_s() - t0 < 5.0);
    rg_free(rv);
}
END_TEST

static void *set_stop_later(void *arg)
{
    nap_ms(300);
    atomic_store((atomic_bool *)arg, true);
    return NULL;
}

START_TEST(test_kube_client__watch_stop_flag)
{
    ensure_ns(C, "t-w4");
    atomic_bool stop;
    atomic_init(&stop, false);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, set_stop_later, &stop), 0);
    rec_t rec = {0};
    rg_error_t err = {0};
    char *rv = list_rv(&kube_res_localqueues, "t-w4");
    kube_watch_opts_t wo = {.resource_version = rv, .timeout_seconds = 60};
    double t0 = now_s();
    int rc = kube_watch(C, &kube_res_localqueues, "t-w4", &wo, on_event, &rec, &stop, &err);
    double took = now_s() - t0;
    pthread_join(th, NULL);
    ck_assert_msg(rc == 0, "rc %d %s", rc, rg_error_str(&err));
    ck_assert_msg(took < 2.0, "stop took %.3f s", took);
    rg_free(rv);
}
END_TEST

START_TEST(test_kube_client__watch_dropped_stream)
{
    ensure_ns(C, "t-w5");
    for (int i = 0; i < 4; i++) {
        char name[8];
        snprintf(name, sizeof(name), "d%d", i);
        create_lq("t-w5", name);
    }
    rg_error_t err = {0};
    ck_assert_int_eq(rg_double_faults(&D, "{\"watchDropAfterEvents\":2}", &err), 0);
    rec_t rec = {0};
    kube_watch_opts_t wo = {.timeout_seconds = 10};
    double t0 = now_s();
    int rc = kube_watch(C, &kube_res_localqueues, "t-w5", &wo, on_event, &rec, NULL, &err);
    ck_assert_msg(rc == RG_ERR_IO, "rc %d %s", rc, rg_error_str(&err));
    ck_assert_int_eq(rec.n, 2);
    ck_assert(now_s() - t0 < 5.0);
    kube_client_stats_t st;
    kube_client_stats_get(C, &st);
    ck_assert_uint_ge(st.watch_errors, 1);
}
END_TEST

START_TEST(test_kube_client__watch_expired_410)
{
    ensure_ns(C, "t-w6");
    create_lq("t-w6", "x");
    char *rv = list_rv(&kube_res_localqueues, "t-w6");
    create_lq("t-w6", "y");
    rg_error_t err = {0};
    ck_assert_int_eq(rg_double_faults(&D, "{\"compact\":true}", &err), 0);
    rec_t rec = {0};
    kube_watch_opts_t wo = {.resource_version = rv, .timeout_seconds = 10};
    int rc = kube_watch(C, &kube_res_localqueues, "t-w6", &wo, on_event, &rec, NULL, &err);
    ck_assert_msg(rc == 0, "rc %d %s", rc, rg_error_str(&err));
    ck_assert_int_eq(rec.n, 1);
    ck_assert_int_eq(rec.types[0], KUBE_EVENT_ERROR);
    ck_assert_int_eq(rec.codes[0], 410);
    rg_free(rv);
}
END_TEST

START_TEST(test_kube_client__watch_http_error)
{
    static const kube_resource_t nope = {"nope.example.com", "v1", "things", "Thing", true};
    rec_t rec = {0};
    rg_error_t err = {0};
    int rc = kube_watch(C, &nope, "default", NULL, on_event, &rec, NULL, &err);
    ck_assert_msg(rc == RG_ERR_NOT_FOUND, "rc %d %s", rc, rg_error_str(&err));
    ck_assert_ptr_nonnull(strstr(err.msg, "GET /apis/nope.example.com/v1/namespaces/default/things"
                                          "?watch=1"));
    ck_assert_ptr_nonnull(strstr(err.msg, ": 404 NotFound"));
    ck_assert_int_eq(rec.n, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kube_client");
    TCase *unit = tcase_create("offline");
    tcase_add_loop_test(unit, test_kube_client__path, 0, (int)(sizeof(PATHS) / sizeof(PATHS[0])));
    tcase_add_loop_test(unit, test_kube_client__kubeconfig_table, 0,
                        (int)(sizeof(KUBECONFIGS) / sizeof(KUBECONFIGS[0])));
    suite_add_tcase(s, unit);

    TCase *tc = tcase_create("double");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_checked_fixture(tc, test_setup, NULL);
    tcase_add_test(tc, test_kube_client__kubeconfig_token);
    tcase_add_test(tc, test_kube_client__kubeconfig_client_cert);
    tcase_add_test(tc, test_kube_client__kubeconfig_env_order);
    tcase_add_test(tc, test_kube_client__tls_verified);
    tcase_add_test(tc, test_kube_client__in_cluster);
    tcase_add_test(tc, test_kube_client__token_rotation);
    tcase_add_test(tc, test_kube_client__crud_and_status_codes);
    tcase_add_test(tc, test_kube_client__update_retry_on_conflict);
    tcase_add_test(tc, test_kube_client__list_pagination);
    tcase_add_test(tc, test_kube_client__patches_and_status);
    tcase_add_test(tc, test_kube_client__pod_binding);
    tcase_add_test(tc, test_kube_client__429_retry_after_honoured);
    tcase_add_test(tc, test_kube_client__500_retried_for_idempotent_only);
    tcase_add_test(tc, test_kube_client__rate_limit);
    tcase_add_test(tc, test_kube_client__watch_synthetic_added);
    tcase_add_test(tc, test_kube_client__watch_resume_modified_deleted);
    tcase_add_test(tc, test_kube_client__watch_bookmarks_and_timeout);
    tcase_add_test(tc, test_kube_client__watch_stop_flag);
    tcase_add_test(tc, test_kube_client__watch_dropped_stream);
    tcase_add_test(tc, test_kube_client__watch_expired_410);
    tcase_add_test(tc, test_kube_client__watch_http_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(suite());
}

/*
 * Unit tests of the admission module: AdmissionReview decoding (fixtures
 * under tests/fixtures/admission/), response encoding in both versions, and
 * the JSON Patch builder checked by applying its output with a small
 * test-only RFC 6902 applier.
 */
#include "raygate/admission.h"

#include "raygate/alloc.h"

#include <check.h>

#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

static cJSON *parse_or_fail(const char *text, size_t len)
{
    rg_error_t err = {0};
    cJSON *j = rg_json_parse(text, len, &err);
    ck_assert_msg(j != NULL, "output is not JSON (%s): %s", rg_error_str(&err), text);
    return j;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Test-only strict base64 decoder: padding required, no whitespace. */
static char *b64_decode(const char *s, size_t *out_len)
{
    size_t n = strlen(s);
    ck_assert_uint_eq(n % 4, 0);
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_reserve(&b, n);
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=') {
                ck_assert_uint_ge((unsigned)k, 2);
                ck_assert_uint_eq(i + 4, n);
                v[k] = 0;
                pad++;
            } else {
                ck_assert_int_eq(pad, 0);
                v[k] = b64_value(s[i + k]);
                ck_assert_int_ge(v[k], 0);
            }
        }
        unsigned w = ((unsigned)v[0] << 18) | ((unsigned)v[1] << 12) | ((unsigned)v[2] << 6) |
                     (unsigned)v[3];
        char bytes[3] = {(char)(w >> 16), (char)(w >> 8), (char)w};
        rg_buf_append(&b, bytes, (size_t)(3 - pad));
    }
    return rg_buf_detach(&b, out_len);
}

/* ---- a test-only RFC 6902 applier (add/replace/remove/test on objects,
 * add/replace on arrays by index) ------------------------------------------ */

static char *unescape_token(const char *tok, size_t len)
{
    char *out = rg_malloc(len + 1);
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        if (tok[i] == '~' && i + 1 < len && (tok[i + 1] == '0' || tok[i + 1] == '1')) {
            out[j++] = tok[i + 1] == '0' ? '~' : '/';
            i++;
        } else {
            out[j++] = tok[i];
        }
    }
    out[j] = '\0';
    return out;
}

/* Resolves all but the last token; returns the parent and the last token
 * (owned), or NULL when a parent is missing. */
static cJSON *resolve_parent(cJSON *doc, const char *ptr, char **last)
{
    ck_assert_msg(ptr[0] == '/', "pointer \"%s\" must start with /", ptr);
    cJSON *node = doc;
    const char *tok = ptr + 1;
    for (;;) {
        const char *slash = strchr(tok, '/');
        size_t len = slash ? (size_t)(slash - tok) : strlen(tok);
        char *key = unescape_token(tok, len);
        if (slash == NULL) {
            *last = key;
            return node;
        }
        cJSON *next = NULL;
        if (cJSON_IsObject(node))
            next = cJSON_GetObjectItemCaseSensitive(node, key);
        else if (cJSON_IsArray(node))
            next = cJSON_GetArrayItem(node, atoi(key));
        rg_free(key);
        if (next == NULL)
            return NULL;
        node = next;
        tok = slash + 1;
    }
}

/* Applies patch text to *doc in place; returns 0 or -1 when an op fails
 * as RFC 6902 says it must (missing parent, replace of a missing member). */
static int apply_patch(cJSON **doc, const char *patch_text, size_t len)
{
    cJSON *ops = parse_or_fail(patch_text, len);
    ck_assert(cJSON_IsArray(ops));
    int rc = 0;
    const cJSON *op;
    cJSON_ArrayForEach(op, ops)
    {
        const char *name = rg_json_get_string(op, "op");
        const char *path = rg_json_get_string(op, "path");
        ck_assert(name && path);
        const cJSON *value = rg_json_get(op, "value");
        if (path[0] == '\0') {
            ck_assert(value);
            cJSON_Delete(*doc);
            *doc = cJSON_Duplicate(value, 1);
            continue;
        }
        char *key = NULL;
        cJSON *parent = resolve_parent(*doc, path, &key);
        if (parent == NULL) {
            rc = -1;
            rg_free(key);
            break;
        }
        bool exists = cJSON_IsObject(parent)
                          ? cJSON_GetObjectItemCaseSensitive(parent, key) != NULL
                          : cJSON_IsArray(parent) && atoi(key) < cJSON_GetArraySize(parent);
        if (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0) {
            ck_assert(value);
            if (strcmp(name, "replace") == 0 && !exists) {
                rc = -1;
            } else if (cJSON_IsObject(parent)) {
                cJSON *copy = cJSON_Duplicate(value, 1);
                if (exists)
                    cJSON_ReplaceItemInObjectCaseSensitive(parent, key, copy);
                else
                    cJSON_AddItemToObject(parent, key, copy);
            } else if (cJSON_IsArray(parent)) {
                cJSON *copy = cJSON_Duplicate(value, 1);
                if (strcmp(name, "replace") == 0)
                    cJSON_ReplaceItemInArray(parent, atoi(key), copy);
                else if (atoi(key) == cJSON_GetArraySize(parent))
                    cJSON_AddItemToArray(parent, copy);
                else
                    cJSON_InsertItemInArray(parent, atoi(key), copy);
            } else {
                rc = -1;
            }
        } else if (strcmp(name, "remove") == 0) {
            if (!exists || !cJSON_IsObject(parent))
                rc = -1;
            else
                cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
        } else if (strcmp(name, "test") == 0) {
            const cJSON *cur =
                cJSON_IsObject(parent) ? cJSON_GetObjectItemCaseSensitive(parent, key) : NULL;
            if (!cur || !cJSON_Compare(cur, value, 1))
                rc = -1;
        } else {
            rc = -1;
        }
        rg_free(key);
        if (rc < 0)
            break;
    }
    cJSON_Delete(ops);
    return rc;
}

/* Applies p to a copy of doc; returns the result (owned, cJSON_Delete). */
static cJSON *apply_builder(const adm_patch_t *p, const cJSON *doc)
{
    rg_buf_t text = RG_BUF_INIT;
    adm_patch_append_json(p, &text);
    cJSON *copy = cJSON_Duplicate(doc, 1);
    int rc = apply_patch(&copy, text.data, text.len);
    ck_assert_msg(rc == 0, "patch does not apply: %s", text.data);
    rg_buf_release(&text);
    return copy;
}

/* ---- decode ----------------------------------------------------------- */

typedef struct decode_case {
    const char *file;
    adm_version_t version;
    const char *uid;
    adm_operation_t op;
    const char *op_str;
    const char *request_kind_version; /* what requestKind reads as */
    const char *username;
    const char *user_uid;
    size_t n_groups;
    const char *first_group;
    const char *last_group;
    bool has_object;
    bool has_old_object;
    bool dry_run;
    const char *options_kind;
    const char *sub_resource;
} decode_case_t;

static const decode_case_t decode_cases[] = {
    {"raycluster-create-v1.json", ADM_V1, "0df28fbd-5f5f-40ca-8b2d-6e5b8e7e1a01", ADM_OP_CREATE,
     "CREATE", "v1", "alice@example.com", "6f1c2d3e-0000-4a5b-9c8d-112233445566", 2, "ml-team",
     "system:authenticated", true, false, false, "CreateOptions", ""},
    {"raycluster-create-v1beta1.json", ADM_V1BETA1, "a3c1e9f0-1111-4222-8333-444455556666",
     ADM_OP_CREATE, "CREATE", "v1", "system:serviceaccount:ray-system:kuberay-operator", "", 3,
     "system:serviceaccounts", "system:authenticated", true, false, true, "CreateOptions", ""},
    {"raycluster-update-v1.json", ADM_V1, "5e0f3c4d-aaaa-4bbb-8ccc-ddddeeeeffff", ADM_OP_UPDATE,
     "UPDATE", "v1", "alice@example.com", "6f1c2d3e-0000-4a5b-9c8d-112233445566", 2, "ml-team",
     "system:authenticated", true, true, false, "UpdateOptions", ""},
    {"raycluster-delete-v1.json", ADM_V1, "9a8b7c6d-0000-4111-8222-333344445555", ADM_OP_DELETE,
     "DELETE", "v1", "alice@example.com", "6f1c2d3e-0000-4a5b-9c8d-112233445566", 2, "ml-team",
     "system:authenticated", false, true, false, "DeleteOptions", ""},
};

START_TEST(test_admission__decode_fixture)
{
    const decode_case_t *c = &decode_cases[_i];
    size_t len;
    char *body = rgt_fixture_read("admission", c->file, &len);
    adm_request_t req;
    rg_error_t err = {0};
    int rc = adm_review_decode(body, len, &req, &err);
    ck_assert_msg(rc == 0, "%s: %s", c->file, rg_error_str(&err));

    ck_assert_int_eq(req.version, c->version);
    ck_assert_str_eq(req.uid, c->uid);
    ck_assert_str_eq(req.kind.group, "ray.io");
    ck_assert_str_eq(req.kind.version, "v1");
    ck_assert_str_eq(req.kind.kind, "RayCluster");
    ck_assert_str_eq(req.resource.group, "ray.io");
    ck_assert_str_eq(req.resource.version, "v1");
    ck_assert_str_eq(req.resource.resource, "rayclusters");
    ck_assert_str_eq(req.sub_resource, c->sub_resource);
    ck_assert_str_eq(req.request_kind.group, "ray.io");
    ck_assert_str_eq(req.request_kind.version, c->request_kind_version);
    ck_assert_str_eq(req.request_kind.kind, "RayCluster");
    ck_assert_str_eq(req.request_resource.group, "ray.io");
    ck_assert_str_eq(req.request_resource.version, "v1");
    ck_assert_str_eq(req.request_resource.resource, "rayclusters");
    ck_assert_str_eq(req.request_sub_resource, "");
    ck_assert_str_eq(req.name, "ai-training-cluster");
    ck_assert_str_eq(req.namespace, "default");
    ck_assert_int_eq(req.operation, c->op);
    ck_assert_str_eq(req.operation_str, c->op_str);
    ck_assert_str_eq(adm_operation_name(req.operation), c->op_str);
    ck_assert_str_eq(req.user_info.username, c->username);
    ck_assert_str_eq(req.user_info.uid, c->user_uid);
    ck_assert_uint_eq(req.user_info.n_groups, c->n_groups);
    ck_assert_str_eq(req.user_info.groups[0], c->first_group);
    ck_assert_str_eq(req.user_info.groups[c->n_groups - 1], c->last_group);
    ck_assert_int_eq(req.object != NULL, c->has_object);
    ck_assert_int_eq(req.old_object != NULL, c->has_old_object);
    ck_assert_int_eq(req.dry_run, c->dry_run);
    ck_assert_ptr_nonnull(req.options);
    ck_assert_str_eq(rg_json_get_string(req.options, "kind"), c->options_kind);

    /* The object is the seed's RayCluster, reachable without a copy. */
    const cJSON *obj = req.object ? req.object : req.old_object;
    ck_assert_str_eq(rg_json_get_string(rg_json_get_object(obj, "metadata"), "name"),
                     "ai-training-cluster");
    ck_assert_str_eq(rg_json_get_string(rg_json_path(obj, "metadata", "labels", NULL),
                                        "kueue.x-k8s.io/queue-name"),
                     "ray-queue");
    const cJSON *wg = rg_json_path(obj, "spec", "workerGroupSpecs", NULL);
    ck_assert(cJSON_IsArray(wg));
    const cJSON *replicas = rg_json_get(cJSON_GetArrayItem(wg, 0), "replicas");
    ck_assert_int_eq(replicas->valueint, c->op == ADM_OP_UPDATE ? 5 : 3);
    if (c->op == ADM_OP_UPDATE) {
        const cJSON *old_wg = rg_json_path(req.old_object, "spec", "workerGroupSpecs", NULL);
        ck_assert_int_eq(rg_json_get(cJSON_GetArrayItem(old_wg, 0), "replicas")->valueint, 3);
    }
    adm_request_release(&req);
    adm_request_release(&req); /* idempotent */
    rg_free(body);
}
END_TEST

START_TEST(test_admission__decode_many_groups)
{
    /* More groups than fit inline go to the heap; the bound is inclusive. */
    static const size_t counts[] = {ADM_GROUPS_INLINE, ADM_GROUPS_INLINE + 1, ADM_MAX_GROUPS};
    for (size_t t = 0; t < sizeof(counts) / sizeof(counts[0]); t++) {
        rg_buf_t b = RG_BUF_INIT;
        rg_buf_append_str(&b, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":"
                              "\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"kind\":{"
                              "\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"resource\":{"
                              "\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
                              "\"operation\":\"DELETE\",\"userInfo\":{\"groups\":[");
        for (size_t i = 0; i < counts[t]; i++)
            rg_buf_appendf(&b, "%s\"g%zu\"", i ? "," : "", i);
        rg_buf_append_str(&b, "]}}}");
        adm_request_t req;
        rg_error_t err = {0};
        ck_assert_msg(adm_review_decode(b.data, b.len, &req, &err) == 0, "%s", rg_error_str(&err));
        ck_assert_uint_eq(req.user_info.n_groups, counts[t]);
        char last[32];
        snprintf(last, sizeof(last), "g%zu", counts[t] - 1);
        ck_assert_str_eq(req.user_info.groups[counts[t] - 1], last);
        ck_assert_str_eq(req.kind.group, "");
        ck_assert_str_eq(req.name, "");
        ck_assert_str_eq(req.namespace, "");
        ck_assert_ptr_null(req.object);
        ck_assert_ptr_null(req.options);
        adm_request_release(&req);
        rg_buf_release(&b);
    }
}
END_TEST

/* ---- decode errors ---------------------------------------------------- */

#define HEAD "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
#define GVK "\"kind\":{\"group\":\"ray.io\",\"version\":\"v1\",\"kind\":\"RayCluster\"},"
#define GVR "\"resource\":{\"group\":\"ray.io\",\"version\":\"v1\",\"resource\":\"rayclusters\"},"
#define OK_REQ(extra) HEAD "\"request\":{\"uid\":\"u1\"," GVK GVR extra "}}"

typedef struct error_case {
    const char *body; /* NULL: too many groups, built at run time */
    int code;
    const char *message; /* a substring the message must hold */
} error_case_t;

static const error_case_t error_cases[] = {
    {"{\"apiVersion\":", RG_ERR_PARSE, "malformed JSON at byte 13"},
    {"", RG_ERR_PARSE, "malformed JSON at byte 0"},
    {HEAD "\"request\":{}} trailing", RG_ERR_PARSE, "malformed JSON at byte 75: trailing data"},
    {"[1,2]", RG_ERR_INVAL, "AdmissionReview: must be an object, got array"},
    {"{\"kind\":\"AdmissionReview\"}", RG_ERR_INVAL, "apiVersion: required"},
    {"{\"apiVersion\":\"admission.k8s.io/v2\",\"kind\":\"AdmissionReview\"}", RG_ERR_INVAL,
     "apiVersion: unsupported value \"admission.k8s.io/v2\""},
    {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"ConversionReview\"}", RG_ERR_INVAL,
     "kind: unsupported value \"ConversionReview\""},
    {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":7}", RG_ERR_INVAL,
     "kind: must be a string, got number"},
    {HEAD "\"response\":{}}", RG_ERR_INVAL, "request: required"},
    {HEAD "\"request\":\"x\"}", RG_ERR_INVAL, "request: must be an object, got string"},
    {HEAD "\"request\":{}}", RG_ERR_INVAL, "request.uid: required"},
    {HEAD "\"request\":{\"uid\":\"\"}}", RG_ERR_INVAL, "request.uid: must not be empty"},
    {HEAD "\"request\":{\"uid\":42}}", RG_ERR_INVAL, "request.uid: must be a string, got number"},
    {HEAD "\"request\":{\"uid\":\"u1\"}}", RG_ERR_INVAL, "request.kind: required"},
    {HEAD "\"request\":{\"uid\":\"u1\",\"kind\":[]}}", RG_ERR_INVAL,
     "request.kind: must be an object, got array"},
    {HEAD "\"request\":{\"uid\":\"u1\",\"kind\":{\"group\":\"\",\"version\":\"v1\"}}}",
     RG_ERR_INVAL, "request.kind.kind: required"},
    {HEAD "\"request\":{\"uid\":\"u1\"," GVK "\"resource\":{\"group\":\"ray.io\",\"version\":"
          "\"v1\",\"resource\":5}}}",
     RG_ERR_INVAL, "request.resource.resource: must be a string, got number"},
    {HEAD "\"request\":{\"uid\":\"u1\"," GVK "\"resource\":{\"version\":\"v1\",\"resource\":"
          "\"rayclusters\"}}}",
     RG_ERR_INVAL, "request.resource.group: required"},
    {OK_REQ("\"requestKind\":{\"group\":\"ray.io\",\"version\":\"\",\"kind\":\"RayCluster\"},"
            "\"operation\":\"DELETE\""),
     RG_ERR_INVAL, "request.requestKind.version: must not be empty"},
    {OK_REQ("\"name\":true,\"operation\":\"DELETE\""), RG_ERR_INVAL,
     "request.name: must be a string, got boolean"},
    {OK_REQ("\"namespace\":{},\"operation\":\"DELETE\""), RG_ERR_INVAL,
     "request.namespace: must be a string, got object"},
    {OK_REQ("\"operation\":\"PATCH\""), RG_ERR_INVAL,
     "request.operation: unknown value \"PATCH\" (want CREATE, UPDATE, DELETE or CONNECT)"},
    {OK_REQ("\"name\":\"x\""), RG_ERR_INVAL, "request.operation: required"},
    {OK_REQ("\"operation\":\"CREATE\""), RG_ERR_INVAL, "request.object: required for CREATE"},
    {OK_REQ("\"operation\":\"UPDATE\",\"object\":null"), RG_ERR_INVAL,
     "request.object: required for UPDATE"},
    {OK_REQ("\"operation\":\"CREATE\",\"object\":\"x\""), RG_ERR_INVAL,
     "request.object: must be an object, got string"},
    {OK_REQ("\"operation\":\"DELETE\",\"oldObject\":[]"), RG_ERR_INVAL,
     "request.oldObject: must be an object, got array"},
    {OK_REQ("\"operation\":\"DELETE\",\"options\":1"), RG_ERR_INVAL,
     "request.options: must be an object, got number"},
    {OK_REQ("\"operation\":\"DELETE\",\"dryRun\":\"yes\""), RG_ERR_INVAL,
     "request.dryRun: must be a boolean, got string"},
    {OK_REQ("\"operation\":\"DELETE\",\"userInfo\":[]"), RG_ERR_INVAL,
     "request.userInfo: must be an object, got array"},
    {OK_REQ("\"operation\":\"DELETE\",\"userInfo\":{\"username\":1}"), RG_ERR_INVAL,
     "request.userInfo.username: must be a string, got number"},
    {OK_REQ("\"operation\":\"DELETE\",\"userInfo\":{\"groups\":\"a\"}"), RG_ERR_INVAL,
     "request.userInfo.groups: must be an array, got string"},
    {OK_REQ("\"operation\":\"DELETE\",\"userInfo\":{\"groups\":[\"a\",null]}"), RG_ERR_INVAL,
     "request.userInfo.groups[1]: must be a string, got null"},
    {NULL, RG_ERR_INVAL, "request.userInfo.groups: more than 1024 entries"},
};

START_TEST(test_admission__decode_error)
{
    const error_case_t *c = &error_cases[_i];
    rg_buf_t b = RG_BUF_INIT;
    if (c->body) {
        rg_buf_append_str(&b, c->body);
    } else {
        rg_buf_append_str(&b, OK_REQ("\"operation\":\"DELETE\",\"userInfo\":{\"groups\":["));
        b.len -= 2; /* drop the closing braces of OK_REQ's request and review */
        for (int i = 0; i <= ADM_MAX_GROUPS; i++)
            rg_buf_appendf(&b, "%s\"g%d\"", i ? "," : "", i);
        rg_buf_append_str(&b, "]}}}");
    }
    adm_request_t req;
    rg_error_t err = {0};
    int rc = adm_review_decode(b.data ? b.data : "", b.len, &req, &err);
    ck_assert_msg(rc == c->code, "case %d: rc %d (%s), want %d", _i, rc, rg_error_str(&err),
                  c->code);
    ck_assert_int_eq(err.code, c->code);
    ck_assert_msg(strstr(err.msg, c->message) != NULL, "case %d: message \"%s\" lacks \"%s\"", _i,
                  err.msg, c->message);
    /* A failed decode leaves nothing to free, and release stays safe. */
    ck_assert_ptr_null(req.root_);
    adm_request_release(&req);
    rg_buf_release(&b);
}
END_TEST

/* ---- encode ----------------------------------------------------------- */

static void decode_fixture(const char *file, adm_request_t *req, char **body)
{
    size_t len;
    *body = rgt_fixture_read("admission", file, &len);
    rg_error_t err = {0};
    ck_assert_msg(adm_review_decode(*body, len, req, &err) == 0, "%s", rg_error_str(&err));
}

typedef enum { ENC_ALLOWED, ENC_DENIED, ENC_PATCHED } enc_kind_t;

typedef struct encode_case {
    const char *file;
    const char *api_version;
    enc_kind_t kind;
} encode_case_t;

static const encode_case_t encode_cases[] = {
    {"raycluster-create-v1.json", "admission.k8s.io/v1", ENC_ALLOWED},
    {"raycluster-create-v1.json", "admission.k8s.io/v1", ENC_DENIED},
    {"raycluster-create-v1.json", "admission.k8s.io/v1", ENC_PATCHED},
    {"raycluster-create-v1beta1.json", "admission.k8s.io/v1beta1", ENC_ALLOWED},
    {"raycluster-create-v1beta1.json", "admission.k8s.io/v1beta1", ENC_DENIED},
    {"raycluster-create-v1beta1.json", "admission.k8s.io/v1beta1", ENC_PATCHED},
};

START_TEST(test_admission__encode)
{
    const encode_case_t *c = &encode_cases[_i];
    adm_request_t req;
    char *body;
    decode_fixture(c->file, &req, &body);

    static const rg_status_cause_t causes[] = {
        {"FieldValueNotFound", "LocalQueue \"ray-queue\" not found",
         "metadata.labels[kueue.x-k8s.io/queue-name]"},
    };
    static const char *const warnings[] = {"queue \"ray-queue\" is \"quoted\"", "second"};
    static const char *const akeys[] = {"raygate.dev/decision", "raygate.dev/queue"};
    static const char *const avals[] = {"suspended", "ray-queue"};
    adm_patch_t *patch = adm_patch_new();
    adm_response_t resp = {.allowed = true};
    switch (c->kind) {
    case ENC_ALLOWED: break;
    case ENC_DENIED:
        resp.allowed = false;
        resp.message = "LocalQueue \"ray-queue\" not found in namespace \"default\"";
        resp.causes = causes;
        resp.n_causes = 1;
        break;
    case ENC_PATCHED: {
        static const char *const suspend[] = {"spec", "suspend"};
        static const char *const ann[] = {"metadata", "annotations", "raygate.dev/admission"};
        ck_assert_int_eq(adm_patch_set_bool(patch, req.object, suspend, 2, true), 0);
        ck_assert_int_eq(adm_patch_set_string(patch, req.object, ann, 3, "Pending"), 0);
        resp.patch = patch;
        resp.warnings = warnings;
        resp.n_warnings = 2;
        resp.audit_keys = akeys;
        resp.audit_values = avals;
        resp.n_audit = 2;
        break;
    }
    }
    rg_buf_t out = RG_BUF_INIT;
    adm_review_encode(&req, &resp, &out);
    cJSON *j = parse_or_fail(out.data, out.len);
    ck_assert_str_eq(rg_json_get_string(j, "apiVersion"), c->api_version);
    ck_assert_str_eq(rg_json_get_string(j, "kind"), "AdmissionReview");
    ck_assert_ptr_null(rg_json_get(j, "request"));
    const cJSON *r = rg_json_get_object(j, "response");
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(rg_json_get_string(r, "uid"), req.uid);
    bool allowed = !resp.allowed;
    ck_assert_int_eq(rg_json_get_bool(r, "allowed", &allowed), 1);
    ck_assert_int_eq(allowed, resp.allowed);

    const cJSON *st = rg_json_get_object(r, "status");
    if (c->kind == ENC_DENIED) {
        ck_assert_ptr_nonnull(st);
        ck_assert_str_eq(rg_json_get_string(st, "status"), "Failure");
        ck_assert_str_eq(rg_json_get_string(st, "message"), resp.message);
        ck_assert_str_eq(rg_json_get_string(st, "reason"), "Forbidden");
        ck_assert_int_eq(rg_json_get(st, "code")->valueint, 403);
        const cJSON *cs = rg_json_path(st, "details", "causes", NULL);
        ck_assert_int_eq(cJSON_GetArraySize(cs), 1);
        ck_assert_str_eq(rg_json_get_string(cJSON_GetArrayItem(cs, 0), "field"), causes[0].field);
        ck_assert_ptr_null(rg_json_get(r, "patch"));
    } else {
        ck_assert_ptr_null(st);
    }
    if (c->kind == ENC_PATCHED) {
        ck_assert_str_eq(rg_json_get_string(r, "patchType"), "JSONPatch");
        const char *b64 = rg_json_get_string(r, "patch");
        ck_assert_ptr_nonnull(b64);
        ck_assert_ptr_null(strchr(b64, '\n'));
        size_t plen;
        char *ptext = b64_decode(b64, &plen);
        cJSON *ops = parse_or_fail(ptext, plen);
        ck_assert_int_eq(cJSON_GetArraySize(ops), 2);
        const cJSON *op0 = cJSON_GetArrayItem(ops, 0), *op1 = cJSON_GetArrayItem(ops, 1);
        ck_assert_str_eq(rg_json_get_string(op0, "op"), "add");
        ck_assert_str_eq(rg_json_get_string(op0, "path"), "/spec/suspend");
        ck_assert(cJSON_IsTrue(rg_json_get(op0, "value")));
        ck_assert_str_eq(rg_json_get_string(op1, "op"), "add");
        ck_assert_str_eq(rg_json_get_string(op1, "path"), "/metadata/annotations");
        ck_assert_str_eq(
            rg_json_get_string(rg_json_get_object(op1, "value"), "raygate.dev/admission"),
            "Pending");
        /* The base64 carries exactly the builder's JSON text. */
        rg_buf_t direct = RG_BUF_INIT;
        adm_patch_append_json(patch, &direct);
        ck_assert_uint_eq(plen, direct.len);
        ck_assert_mem_eq(ptext, direct.data, plen);
        rg_buf_release(&direct);
        cJSON_Delete(ops);
        rg_free(ptext);

        const cJSON *w = rg_json_get_array(r, "warnings");
        ck_assert_int_eq(cJSON_GetArraySize(w), 2);
        ck_assert_str_eq(cJSON_GetArrayItem(w, 0)->valuestring, warnings[0]);
        const cJSON *aa = rg_json_get_object(r, "auditAnnotations");
        ck_assert_str_eq(rg_json_get_string(aa, "raygate.dev/decision"), "suspended");
        ck_assert_str_eq(rg_json_get_string(aa, "raygate.dev/queue"), "ray-queue");
    } else {
        ck_assert_ptr_null(rg_json_get(r, "patch"));
        ck_assert_ptr_null(rg_json_get(r, "patchType"));
        ck_assert_ptr_null(rg_json_get(r, "warnings"));
        ck_assert_ptr_null(rg_json_get(r, "auditAnnotations"));
    }
    cJSON_Delete(j);
    rg_buf_release(&out);
    adm_patch_free(patch);
    adm_request_release(&req);
    rg_free(body);
}
END_TEST

START_TEST(test_admission__encode_edge_cases)
{
    adm_request_t req;
    char *body;
    decode_fixture("raycluster-create-v1.json", &req, &body);

    /* An empty patch is omitted; an allowed answer with a message carries a
     * Success status; an explicit code and reason are kept. */
    adm_patch_t *empty = adm_patch_new();
    adm_response_t resp = {.allowed = true, .message = "admitted as is", .patch = empty};
    rg_buf_t out = RG_BUF_INIT;
    adm_review_encode(&req, &resp, &out);
    cJSON *j = parse_or_fail(out.data, out.len);
    const cJSON *r = rg_json_get_object(j, "response");
    ck_assert_ptr_null(rg_json_get(r, "patch"));
    const cJSON *st = rg_json_get_object(r, "status");
    ck_assert_str_eq(rg_json_get_string(st, "status"), "Success");
    ck_assert_str_eq(rg_json_get_string(st, "message"), "admitted as is");
    ck_assert_int_eq(rg_json_get(st, "code")->valueint, 200);
    cJSON_Delete(j);

    rg_buf_clear(&out);
    adm_response_t deny = {.allowed = false, .code = 422, .reason = "Invalid"};
    adm_review_encode(&req, &deny, &out);
    j = parse_or_fail(out.data, out.len);
    st = rg_json_path(j, "response", "status", NULL);
    ck_assert_int_eq(rg_json_get(st, "code")->valueint, 422);
    ck_assert_str_eq(rg_json_get_string(st, "reason"), "Invalid");
    ck_assert_ptr_null(rg_json_get(st, "message"));
    cJSON_Delete(j);

    rg_buf_release(&out);
    adm_patch_free(empty);
    adm_request_release(&req);
    rg_free(body);
}
END_TEST

/* ---- base64 ----------------------------------------------------------- */

typedef struct b64_case {
    const char *in;
    const char *out;
} b64_case_t;

static const b64_case_t b64_cases[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
    {"\xff\xfe\xfd", "//79"},
    {"[{\"op\":\"add\"}]", "W3sib3AiOiJhZGQifV0="},
};

START_TEST(test_admission__base64_round_trip)
{
    const b64_case_t *c = &b64_cases[_i];
    rg_buf_t out = RG_BUF_INIT;
    adm_base64_append(&out, c->in, strlen(c->in));
    ck_assert_str_eq(out.data, c->out);
    size_t n;
    char *back = b64_decode(out.data, &n);
    ck_assert_uint_eq(n, strlen(c->in));
    ck_assert_mem_eq(back, c->in, n);
    rg_free(back);
    rg_buf_release(&out);
}
END_TEST

START_TEST(test_admission__base64_patch_round_trip)
{
    /* Patches of every length modulo 3 survive the streaming encoder. */
    adm_patch_t *p = adm_patch_new();
    const char *seg[1];
    char key[32];
    for (int i = 0; i < 6; i++) {
        snprintf(key, sizeof(key), "k%.*s", i, "xxxxxx");
        seg[0] = key;
        ck_assert_int_eq(adm_patch_add(p, seg, 1, "\"v\""), 0);
        adm_request_t req;
        adm_request_init(&req);
        req.uid = "u";
        adm_response_t resp = {.allowed = true, .patch = p};
        rg_buf_t out = RG_BUF_INIT;
        adm_review_encode(&req, &resp, &out);
        cJSON *j = parse_or_fail(out.data, out.len);
        size_t n;
        char *text = b64_decode(rg_json_get_string(rg_json_get(j, "response"), "patch"), &n);
        rg_buf_t direct = RG_BUF_INIT;
        adm_patch_append_json(p, &direct);
        ck_assert_uint_eq(n, direct.len);
        ck_assert_mem_eq(text, direct.data, n);
        cJSON *ops = parse_or_fail(text, n);
        ck_assert_int_eq(cJSON_GetArraySize(ops), i + 1);
        cJSON_Delete(ops);
        rg_buf_release(&direct);
        rg_free(text);
        cJSON_Delete(j);
        rg_buf_release(&out);
    }
    adm_patch_free(p);
}
END_TEST

/* ---- pointers --------------------------------------------------------- */

static const b64_case_t escape_cases[] = {
    {"a/b~c", "a~1b~0c"},
    {"", ""},
    {"plain", "plain"},
    {"~", "~0"},
    {"/", "~1"},
    {"~1", "~01"},
    {"raygate.dev/admission", "raygate.dev~1admission"},
    {"//~~", "~1~1~0~0"},
};

START_TEST(test_admission__pointer_escape)
{
    const b64_case_t *c = &escape_cases[_i];
    rg_buf_t out = RG_BUF_INIT;
    rg_buf_append_str(&out, "/");
    adm_pointer_escape(&out, c->in);
    ck_assert_str_eq(out.data + 1, c->out);
    rg_buf_release(&out);
}
END_TEST

/* ---- the patch builder ------------------------------------------------ */

typedef struct set_step {
    const char *segs[4];
    size_t n;
    const char *value;
    const char *want_op; /* NULL: the call must fail */
    const char *want_path;
    const char *want_value; /* compact JSON of the op's value */
} set_step_t;

typedef struct set_case {
    const char *name;
    const char *doc;
    set_step_t steps[4];
    size_t n_steps;
    const char *result; /* the document after applying the patch */
} set_case_t;

static const set_case_t set_cases[] = {
    {"add when absent",
     "{\"spec\":{}}",
     {{{"spec", "suspend"}, 2, "true", "add", "/spec/suspend", "true"}},
     1,
     "{\"spec\":{\"suspend\":true}}"},
    {"replace when present",
     "{\"spec\":{\"suspend\":false}}",
     {{{"spec", "suspend"}, 2, "true", "replace", "/spec/suspend", "true"}},
     1,
     "{\"spec\":{\"suspend\":true}}"},
    {"replace when present as null",
     "{\"spec\":{\"suspend\":null}}",
     {{{"spec", "suspend"}, 2, "true", "replace", "/spec/suspend", "true"}},
     1,
     "{\"spec\":{\"suspend\":true}}"},
    {"missing parent",
     "{\"metadata\":{\"name\":\"x\"}}",
     {{{"metadata", "annotations", "raygate.dev/admission"},
       3,
       "\"Pending\"",
       "add",
       "/metadata/annotations",
       "{\"raygate.dev/admission\":\"Pending\"}"}},
     1,
     "{\"metadata\":{\"name\":\"x\",\"annotations\":{\"raygate.dev/admission\":\"Pending\"}}}"},
    {"two missing parents",
     "{}",
     {{{"metadata", "annotations", "a~b"},
       3,
       "1",
       "add",
       "/metadata",
       "{\"annotations\":{\"a~b\":1}}"}},
     1,
     "{\"metadata\":{\"annotations\":{\"a~b\":1}}}"},
    {"two annotations under one missing parent",
     "{\"metadata\":{}}",
     {{{"metadata", "annotations", "raygate.dev/admission"},
       3,
       "\"Pending\"",
       "add",
       "/metadata/annotations",
       "{\"raygate.dev/admission\":\"Pending\"}"},
      {{"metadata", "annotations", "raygate.dev/cluster-queue"},
       3,
       "\"cq\"",
       "add",
       "/metadata/annotations/raygate.dev~1cluster-queue",
       "\"cq\""},
      {{"metadata", "annotations", "raygate.dev/admission"},
       3,
       "\"Admitted\"",
       "replace",
       "/metadata/annotations/raygate.dev~1admission",
       "\"Admitted\""}},
     3,
     "{\"metadata\":{\"annotations\":{\"raygate.dev/admission\":\"Admitted\","
     "\"raygate.dev/cluster-queue\":\"cq\"}}}"},
    {"non-object parent replaced (string)",
     "{\"metadata\":{\"annotations\":\"oops\"}}",
     {{{"metadata", "annotations", "k"},
       3,
       "\"v\"",
       "replace",
       "/metadata/annotations",
       "{\"k\":\"v\"}"}},
     1,
     "{\"metadata\":{\"annotations\":{\"k\":\"v\"}}}"},
    {"non-object parent replaced (null), then a sibling",
     "{\"metadata\":{\"annotations\":null}}",
     {{{"metadata", "annotations", "k"},
       3,
       "\"v\"",
       "replace",
       "/metadata/annotations",
       "{\"k\":\"v\"}"},
      {{"metadata", "annotations", "j"}, 3, "\"w\"", "add", "/metadata/annotations/j", "\"w\""}},
     2,
     "{\"metadata\":{\"annotations\":{\"k\":\"v\",\"j\":\"w\"}}}"},
    {"a value set earlier becomes a parent",
     "{\"spec\":{}}",
     {{{"spec", "x"}, 2, "\"s\"", "add", "/spec/x", "\"s\""},
      {{"spec", "x", "y"}, 3, "2", "replace", "/spec/x", "{\"y\":2}"},
      {{"spec", "x", "z"}, 3, "3", "add", "/spec/x/z", "3"}},
     3,
     "{\"spec\":{\"x\":{\"y\":2,\"z\":3}}}"},
    {"an object value set earlier is walked into",
     "{\"spec\":{}}",
     {{{"spec", "x"}, 2, "{\"y\":{\"z\":1}}", "add", "/spec/x", "{\"y\":{\"z\":1}}"},
      {{"spec", "x", "y", "z"}, 4, "5", "replace", "/spec/x/y/z", "5"},
      {{"spec", "x", "y", "w"}, 4, "6", "add", "/spec/x/y/w", "6"}},
     3,
     "{\"spec\":{\"x\":{\"y\":{\"z\":5,\"w\":6}}}}"},
    {"inside an array element",
     "{\"spec\":{\"workerGroupSpecs\":[{\"groupName\":\"a\"},{\"groupName\":\"b\"}]}}",
     {{{"spec", "workerGroupSpecs", "1", "suspend"},
       4,
       "true",
       "add",
       "/spec/workerGroupSpecs/1/suspend",
       "true"},
      {{"spec", "workerGroupSpecs", "0", "groupName"},
       4,
       "\"c\"",
       "replace",
       "/spec/workerGroupSpecs/0/groupName",
       "\"c\""}},
     2,
     "{\"spec\":{\"workerGroupSpecs\":[{\"groupName\":\"c\"},{\"groupName\":\"b\","
     "\"suspend\":true}]}}"},
    {"array index out of range or not an index",
     "{\"l\":[1]}",
     {{{"l", "2"}, 2, "1", NULL, NULL, NULL},
      {{"l", "x", "y"}, 3, "1", NULL, NULL, NULL},
      {{"l", "01"}, 2, "1", NULL, NULL, NULL},
      {{"l", "1"}, 2, "2", "add", "/l/1", "2"}},
     4,
     "{\"l\":[1,2]}"},
    {"no path, or a document that is not an object",
     "\"str\"",
     {{{"a"}, 1, "1", NULL, NULL, NULL}, {{"a"}, 0, "1", NULL, NULL, NULL}},
     2,
     "\"str\""},
};

static void assert_json_eq(const char *got_text, size_t got_len, const char *want_text)
{
    cJSON *got = parse_or_fail(got_text, got_len);
    cJSON *want = parse_or_fail(want_text, strlen(want_text));
    ck_assert_msg(cJSON_Compare(got, want, 1), "got %.*s, want %s", (int)got_len, got_text,
                  want_text);
    cJSON_Delete(got);
    cJSON_Delete(want);
}

START_TEST(test_admission__patch_set)
{
    const set_case_t *c = &set_cases[_i];
    cJSON *doc = parse_or_fail(c->doc, strlen(c->doc));
    adm_patch_t *p = adm_patch_new();
    size_t n_ops = 0;
    for (size_t s = 0; s < c->n_steps; s++) {
        const set_step_t *st = &c->steps[s];
        int rc = adm_patch_set(p, doc, st->segs, st->n, st->value);
        if (st->want_op == NULL) {
            ck_assert_msg(rc == RG_ERR_INVAL, "%s step %zu: rc %d", c->name, s, rc);
            ck_assert_uint_eq(adm_patch_len(p), n_ops);
            continue;
        }
        ck_assert_msg(rc == 0, "%s step %zu: rc %d", c->name, s, rc);
        ck_assert_uint_eq(adm_patch_len(p), ++n_ops);
        ck_assert_str_eq(adm_patch_op_name(p, n_ops - 1), st->want_op);
        ck_assert_str_eq(adm_patch_op_path(p, n_ops - 1), st->want_path);

        rg_buf_t text = RG_BUF_INIT;
        adm_patch_append_json(p, &text);
        cJSON *ops = parse_or_fail(text.data, text.len);
        char *value = rg_json_print(rg_json_get(cJSON_GetArrayItem(ops, (int)n_ops - 1), "value"));
        assert_json_eq(value, strlen(value), st->want_value);
        rg_free(value);
        cJSON_Delete(ops);
        rg_buf_release(&text);
    }
    cJSON *applied = apply_builder(p, doc);
    char *result = rg_json_print(applied);
    assert_json_eq(result, strlen(result), c->result);
    rg_free(result);
    cJSON_Delete(applied);
    cJSON_Delete(doc);
    adm_patch_free(p);
}
END_TEST

START_TEST(test_admission__patch_ops)
{
    adm_patch_t *p = adm_patch_new();
    static const char *const a[] = {"metadata", "labels", "x/y"};
    static const char *const b[] = {"spec", "suspend"};
    ck_assert_uint_eq(adm_patch_len(p), 0);
    rg_buf_t out = RG_BUF_INIT;
    adm_patch_append_json(p, &out);
    ck_assert_str_eq(out.data, "[]");
    rg_buf_clear(&out);

    ck_assert_int_eq(adm_patch_test(p, b, 2, "false"), 0);
    ck_assert_int_eq(adm_patch_replace(p, b, 2, "true"), 0);
    ck_assert_int_eq(adm_patch_add(p, a, 3, "\"q\""), 0);
    ck_assert_int_eq(adm_patch_remove(p, a, 3), 0);
    ck_assert_int_eq(adm_patch_add(p, a, 3, ""), RG_ERR_INVAL);
    ck_assert_int_eq(adm_patch_add(p, a, 3, NULL), RG_ERR_INVAL);
    ck_assert_int_eq(adm_patch_add(NULL, a, 3, "1"), RG_ERR_INVAL);
    ck_assert_uint_eq(adm_patch_len(p), 4);
    ck_assert_str_eq(adm_patch_op_name(p, 0), "test");
    ck_assert_int_eq(adm_patch_op_kind(p, 3), ADM_PATCH_REMOVE);
    ck_assert_str_eq(adm_patch_op_path(p, 2), "/metadata/labels/x~1y");
    ck_assert_ptr_null(adm_patch_op_path(p, 4));
    ck_assert_ptr_null(adm_patch_op_name(p, 4));
    adm_patch_append_json(p, &out);
    ck_assert_str_eq(out.data,
                     "[{\"op\":\"test\",\"path\":\"/spec/suspend\",\"value\":false},"
                     "{\"op\":\"replace\",\"path\":\"/spec/suspend\",\"value\":true},"
                     "{\"op\":\"add\",\"path\":\"/metadata/labels/x~1y\",\"value\":\"q\"},"
                     "{\"op\":\"remove\",\"path\":\"/metadata/labels/x~1y\"}]");

    /* After a remove, set sees the member gone; a quote in a key is
     * JSON-escaped in the path. */
    const char *doc_text = "{\"metadata\":{\"labels\":{\"x/y\":\"old\"}},\"spec\":{}}";
    cJSON *doc = parse_or_fail(doc_text, strlen(doc_text));
    ck_assert_int_eq(adm_patch_set_string(p, doc, a, 3, "new"), 0);
    ck_assert_str_eq(adm_patch_op_name(p, 4), "add");
    static const char *const q[] = {"metadata", "labels", "say \"hi\""};
    ck_assert_int_eq(adm_patch_set_string(p, doc, q, 3, "a\"b"), 0);
    ck_assert_str_eq(adm_patch_op_path(p, 5), "/metadata/labels/say \"hi\"");

    /* Clearing keeps nothing of the overlay. */
    adm_patch_clear(p);
    ck_assert_uint_eq(adm_patch_len(p), 0);
    ck_assert_int_eq(adm_patch_set_string(p, doc, a, 3, "new"), 0);
    ck_assert_str_eq(adm_patch_op_name(p, 0), "replace");
    rg_buf_clear(&out);
    adm_patch_append_json(p, &out);
    ck_assert_str_eq(out.data,
                     "[{\"op\":\"replace\",\"path\":\"/metadata/labels/x~1y\",\"value\":\"new\"}]");

    cJSON_Delete(doc);
    rg_buf_release(&out);
    adm_patch_free(p);
    adm_patch_free(NULL);
}
END_TEST

START_TEST(test_admission__patch_applies_to_seed)
{
    /* What the mutating webhook does to the seed RayCluster: suspend it and
     * mark it pending; applying the patch must give exactly that. */
    adm_request_t req;
    char *body;
    decode_fixture("raycluster-create-v1.json", &req, &body);
    adm_patch_t *p = adm_patch_new();
    static const char *const suspend[] = {"spec", "suspend"};
    static const char *const adm[] = {"metadata", "annotations", "raygate.dev/admission"};
    static const char *const cq[] = {"metadata", "annotations", "raygate.dev/cluster-queue"};
    ck_assert_int_eq(adm_patch_set_bool(p, req.object, suspend, 2, true), 0);
    ck_assert_int_eq(adm_patch_set_string(p, req.object, adm, 3, "Pending"), 0);
    ck_assert_int_eq(adm_patch_set_string(p, req.object, cq, 3, "ray-cluster-queue"), 0);
    ck_assert_uint_eq(adm_patch_len(p), 3);

    cJSON *applied = apply_builder(p, req.object);
    ck_assert(cJSON_IsTrue(rg_json_path(applied, "spec", "suspend", NULL)));
    const cJSON *ann = rg_json_path(applied, "metadata", "annotations", NULL);
    ck_assert_str_eq(rg_json_get_string(ann, "raygate.dev/admission"), "Pending");
    ck_assert_str_eq(rg_json_get_string(ann, "raygate.dev/cluster-queue"), "ray-cluster-queue");
    ck_assert_int_eq(cJSON_GetArraySize(ann), 2);
    /* Nothing else moved. */
    ck_assert_str_eq(rg_json_get_string(rg_json_path(applied, "metadata", "labels", NULL),
                                        "kueue.x-k8s.io/queue-name"),
                     "ray-queue");
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(applied, "spec"), "suspend");
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(applied, "metadata"),
                                            "annotations");
    ck_assert(cJSON_Compare(applied, req.object, 1));

    /* Applying through the encoded response gives the same document. */
    adm_response_t resp = {.allowed = true, .patch = p};
    rg_buf_t out = RG_BUF_INIT;
    adm_review_encode(&req, &resp, &out);
    cJSON *j = parse_or_fail(out.data, out.len);
    size_t n;
    char *text = b64_decode(rg_json_get_string(rg_json_get(j, "response"), "patch"), &n);
    cJSON *again = cJSON_Duplicate(req.object, 1);
    ck_assert_int_eq(apply_patch(&again, text, n), 0);
    ck_assert(cJSON_IsTrue(rg_json_path(again, "spec", "suspend", NULL)));
    ck_assert_str_eq(rg_json_get_string(rg_json_path(again, "metadata", "annotations", NULL),
                                        "raygate.dev/admission"),
                     "Pending");

    cJSON_Delete(again);
    rg_free(text);
    cJSON_Delete(j);
    rg_buf_release(&out);
    cJSON_Delete(applied);
    adm_patch_free(p);
    adm_request_release(&req);
    rg_free(body);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *admission_suite(void)
{
    Suite *s = suite_create("admission");
    TCase *tc = tcase_create("decode");
    tcase_add_loop_test(tc, test_admission__decode_fixture, 0, N(decode_cases));
    tcase_add_test(tc, test_admission__decode_many_groups);
    tcase_add_loop_test(tc, test_admission__decode_error, 0, N(error_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("encode");
    tcase_add_loop_test(tc, test_admission__encode, 0, N(encode_cases));
    tcase_add_test(tc, test_admission__encode_edge_cases);
    tcase_add_loop_test(tc, test_admission__base64_round_trip, 0, N(b64_cases));
    tcase_add_test(tc, test_admission__base64_patch_round_trip);
    suite_add_tcase(s, tc);

    tc = tcase_create("patch");
    tcase_add_loop_test(tc, test_admission__pointer_escape, 0, N(escape_cases));
    tcase_add_loop_test(tc, test_admission__patch_set, 0, N(set_cases));
    tcase_add_test(tc, test_admission__patch_ops);
    tcase_add_test(tc, test_admission__patch_applies_to_seed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(admission_suite());
}

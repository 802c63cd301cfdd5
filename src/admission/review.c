/*
 * AdmissionReview codec: decodes a request into borrowed pointers over one
 * read-only tree built in the request's arena, and encodes the response by
 * appending text directly, since this runs on every webhook call.
 */
#include "raygate/admission.h"

#include "admission/internal.h"
#include "raygate/alloc.h"

#include <stdio.h>
#include <string.h>

#define V1_NAME "admission.k8s.io/v1"
#define V1BETA1_NAME "admission.k8s.io/v1beta1"

const char *adm_operation_name(adm_operation_t op)
{
    switch (op) {
    case ADM_OP_CREATE: return "CREATE";
    case ADM_OP_UPDATE: return "UPDATE";
    case ADM_OP_DELETE: return "DELETE";
    case ADM_OP_CONNECT: return "CONNECT";
    }
    return "UNKNOWN";
}

const char *adm_version_name(adm_version_t v)
{
    return v == ADM_V1BETA1 ? V1BETA1_NAME : V1_NAME;
}

void adm_request_init(adm_request_t *req)
{
    memset(req, 0, sizeof(*req));
}

void adm_request_release(adm_request_t *req)
{
    if (req == NULL)
        return;
    rg_arena_release(&req->arena_);
    rg_free(req->groups_heap_);
    adm_request_init(req);
}

/*
 * Reads an optional string member n (obj's member key, or NULL): absent or
 * null leaves *out as "", another type is an error naming where/key.
 */
static int opt_string_node(const cJSON *n, const char *where, const char *key, const char **out,
                           rg_error_t *err)
{
    *out = "";
    if (n == NULL || cJSON_IsNull(n))
        return 0;
    if (!cJSON_IsString(n))
        return rg_error_set(err, RG_ERR_INVAL, "%s.%s: must be a string, got %s", where, key,
                            rg_json_type_name(n));
    *out = n->valuestring;
    return 0;
}

static int opt_string(const cJSON *obj, const char *where, const char *key, const char **out,
                      rg_error_t *err)
{
    return opt_string_node(rg_json_get(obj, key), where, key, out, err);
}

/* A required string member; empty is allowed only when allow_empty. */
static int req_string_node(const cJSON *n, const char *where, const char *key, bool allow_empty,
                           const char **out, rg_error_t *err)
{
    /* where is NULL for the top level, whose fields are named bare. */
    const char *dot = where ? "." : "";
    where = where ? where : "";
    if (n == NULL || cJSON_IsNull(n))
        return rg_error_set(err, RG_ERR_INVAL, "%s%s%s: required", where, dot, key);
    if (!cJSON_IsString(n))
        return rg_error_set(err, RG_ERR_INVAL, "%s%s%s: must be a string, got %s", where, dot, key,
                            rg_json_type_name(n));
    if (!allow_empty && n->valuestring[0] == '\0')
        return rg_error_set(err, RG_ERR_INVAL, "%s%s%s: must not be empty", where, dot, key);
    *out = n->valuestring;
    return 0;
}

static int req_string(const cJSON *obj, const char *where, const char *key, bool allow_empty,
                      const char **out, rg_error_t *err)
{
    return req_string_node(rg_json_get(obj, key), where, key, allow_empty, out, err);
}

/* An optional object member n (obj's member key, or NULL): absent or null
 * gives NULL. */
static int opt_object(const cJSON *n, const char *where, const char *key, const cJSON **out,
                      rg_error_t *err)
{
    *out = NULL;
    if (n == NULL || cJSON_IsNull(n))
        return 0;
    if (!cJSON_IsObject(n))
        return rg_error_set(err, RG_ERR_INVAL, "%s.%s: must be an object, got %s", where, key,
                            rg_json_type_name(n));
    *out = n;
    return 0;
}

/* Reads a GroupVersionKind (third = "kind") or GroupVersionResource; where
 * is "request.<key>", spelled out by the caller to spare a format call. */
static int decode_gv(const cJSON *node, const char *key, const char *where, const char *third,
                     bool required, const char **group, const char **version, const char **name,
                     bool *present, rg_error_t *err)
{
    const cJSON *o;
    int rc = opt_object(node, "request", key, &o, err);
    if (rc < 0)
        return rc;
    *present = o != NULL;
    if (o == NULL) {
        if (required)
            return rg_error_set(err, RG_ERR_INVAL, "request.%s: required", key);
        return 0;
    }
    /* One pass over the members (first wins, as with cJSON's lookups). */
    const cJSON *g = NULL, *v = NULL, *t = NULL;
    for (const cJSON *c = o->child; c; c = c->next) {
        if (g == NULL && strcmp(c->string, "group") == 0)
            g = c;
        else if (v == NULL && strcmp(c->string, "version") == 0)
            v = c;
        else if (t == NULL && strcmp(c->string, third) == 0)
            t = c;
    }
    if ((rc = req_string_node(g, where, "group", true, group, err)) < 0 ||
        (rc = req_string_node(v, where, "version", false, version, err)) < 0 ||
        (rc = req_string_node(t, where, third, false, name, err)) < 0)
        return rc;
    return 0;
}

static int decode_operation(const cJSON *n, adm_request_t *req, rg_error_t *err)
{
    if (n == NULL || cJSON_IsNull(n))
        return rg_error_set(err, RG_ERR_INVAL, "request.operation: required");
    if (!cJSON_IsString(n))
        return rg_error_set(err, RG_ERR_INVAL, "request.operation: must be a string, got %s",
                            rg_json_type_name(n));
    const char *op = n->valuestring;
    if (op[0] == '\0')
        return rg_error_set(err, RG_ERR_INVAL, "request.operation: must not be empty");
    static const adm_operation_t ops[] = {ADM_OP_CREATE, ADM_OP_UPDATE, ADM_OP_DELETE,
                                          ADM_OP_CONNECT};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(op, adm_operation_name(ops[i])) == 0) {
            req->operation = ops[i];
            req->operation_str = op;
            return 0;
        }
    }
    return rg_error_set(err, RG_ERR_INVAL,
                        "request.operation: unknown value \"%.64s\" (want CREATE, UPDATE, "
                        "DELETE or CONNECT)",
                        op);
}

static int decode_user_info(const cJSON *node, adm_request_t *req, rg_error_t *err)
{
    const cJSON *ui;
    adm_user_info_t *u = &req->user_info;
    u->username = u->uid = "";
    u->groups = req->groups_inline_;
    u->n_groups = 0;
    int rc = opt_object(node, "request", "userInfo", &ui, err);
    if (rc < 0 || ui == NULL)
        return rc;
    if ((rc = opt_string(ui, "request.userInfo", "username", &u->username, err)) < 0 ||
        (rc = opt_string(ui, "request.userInfo", "uid", &u->uid, err)) < 0)
        return rc;
    const cJSON *groups = rg_json_get(ui, "groups");
    if (groups == NULL || cJSON_IsNull(groups))
        return 0;
    if (!cJSON_IsArray(groups))
        return rg_error_set(err, RG_ERR_INVAL, "request.userInfo.groups: must be an array, got %s",
                            rg_json_type_name(groups));
    size_t n = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, groups)
    {
        if (++n > ADM_MAX_GROUPS)
            return rg_error_set(err, RG_ERR_INVAL, "request.userInfo.groups: more than %d entries",
                                ADM_MAX_GROUPS);
    }
    const char **dst = req->groups_inline_;
    if (n > ADM_GROUPS_INLINE)
        dst = req->groups_heap_ = rg_malloc(n * sizeof(*dst));
    size_t i = 0;
    cJSON_ArrayForEach(g, groups)
    {
        if (!cJSON_IsString(g))
            return rg_error_set(err, RG_ERR_INVAL,
                                "request.userInfo.groups[%zu]: must be a string, got %s", i,
                                rg_json_type_name(g));
        dst[i++] = g->valuestring;
    }
    u->groups = dst;
    u->n_groups = n;
    return 0;
}

/* The members of request, found in one pass over its keys (first wins, as
 * with cJSON's lookups) instead of one list walk per member. */
enum {
    M_UID,
    M_KIND,
    M_RESOURCE,
    M_SUB_RESOURCE,
    M_REQUEST_KIND,
    M_REQUEST_RESOURCE,
    M_REQUEST_SUB_RESOURCE,
    M_NAME,
    M_NAMESPACE,
    M_OPERATION,
    M_USER_INFO,
    M_OBJECT,
    M_OLD_OBJECT,
    M_OPTIONS,
    M_DRY_RUN,
    M_COUNT
};
static const char *const member_keys[M_COUNT] = {
    "uid",
    "kind",
    "resource",
    "subResource",
    "requestKind",
    "requestResource",
    "requestSubResource",
    "name",
    "namespace",
    "operation",
    "userInfo",
    "object",
    "oldObject",
    "options",
    "dryRun",
};

static void find_members(const cJSON *r, const cJSON *m[M_COUNT])
{
    memset(m, 0, M_COUNT * sizeof(*m));
    for (const cJSON *c = r->child; c; c = c->next) {
        for (int i = 0; i < M_COUNT; i++) {
            /* The first letter settles most comparisons without a call. */
            if (m[i] == NULL && c->string[0] == member_keys[i][0] &&
                strcmp(c->string, member_keys[i]) == 0) {
                m[i] = c;
                break;
            }
        }
    }
}

static int decode_request(const cJSON *r, adm_request_t *req, rg_error_t *err)
{
    int rc;
    const cJSON *m[M_COUNT];
    find_members(r, m);
    const cJSON *uid = m[M_UID];
    if (uid == NULL || cJSON_IsNull(uid))
        return rg_error_set(err, RG_ERR_INVAL, "request.uid: required");
    if (!cJSON_IsString(uid))
        return rg_error_set(err, RG_ERR_INVAL, "request.uid: must be a string, got %s",
                            rg_json_type_name(uid));
    size_t uid_len = strlen(uid->valuestring);
    if (uid_len == 0)
        return rg_error_set(err, RG_ERR_INVAL, "request.uid: must not be empty");
    if (uid_len > ADM_MAX_UID)
        return rg_error_set(err, RG_ERR_INVAL, "request.uid: longer than %d bytes", ADM_MAX_UID);
    req->uid = uid->valuestring;

    bool present;
    if ((rc = decode_gv(m[M_KIND], "kind", "request.kind", "kind", true, &req->kind.group,
                        &req->kind.version, &req->kind.kind, &present, err)) < 0 ||
        (rc = decode_gv(m[M_RESOURCE], "resource", "request.resource", "resource", true,
                        &req->resource.group, &req->resource.version, &req->resource.resource,
                        &present, err)) < 0 ||
        (rc = opt_string_node(m[M_SUB_RESOURCE], "request", "subResource", &req->sub_resource,
                              err)) < 0)
        return rc;

    if ((rc = decode_gv(m[M_REQUEST_KIND], "requestKind", "request.requestKind", "kind", false,
                        &req->request_kind.group, &req->request_kind.version,
                        &req->request_kind.kind, &present, err)) < 0)
        return rc;
    if (!present)
        req->request_kind = req->kind;
    if ((rc = decode_gv(m[M_REQUEST_RESOURCE], "requestResource", "request.requestResource",
                        "resource", false, &req->request_resource.group,
                        &req->request_resource.version, &req->request_resource.resource, &present,
                        err)) < 0)
        return rc;
    if (!present)
        req->request_resource = req->resource;
    const cJSON *rsub = m[M_REQUEST_SUB_RESOURCE];
    if ((rc = opt_string_node(rsub, "request", "requestSubResource", &req->request_sub_resource,
                              err)) < 0)
        return rc;
    if (rsub == NULL || cJSON_IsNull(rsub))
        req->request_sub_resource = req->sub_resource;

    if ((rc = opt_string_node(m[M_NAME], "request", "name", &req->name, err)) < 0 ||
        (rc = opt_string_node(m[M_NAMESPACE], "request", "namespace", &req->namespace, err)) < 0 ||
        (rc = decode_operation(m[M_OPERATION], req, err)) < 0 ||
        (rc = decode_user_info(m[M_USER_INFO], req, err)) < 0 ||
        (rc = opt_object(m[M_OBJECT], "request", "object", &req->object, err)) < 0 ||
        (rc = opt_object(m[M_OLD_OBJECT], "request", "oldObject", &req->old_object, err)) < 0 ||
        (rc = opt_object(m[M_OPTIONS], "request", "options", &req->options, err)) < 0)
        return rc;

    const cJSON *dry = m[M_DRY_RUN];
    if (dry != NULL && !cJSON_IsNull(dry) && !cJSON_IsBool(dry))
        return rg_error_set(err, RG_ERR_INVAL, "request.dryRun: must be a boolean, got %s",
                            rg_json_type_name(dry));
    req->dry_run = dry != NULL && cJSON_IsTrue(dry);

    if (req->object == NULL && (req->operation == ADM_OP_CREATE || req->operation == ADM_OP_UPDATE))
        return rg_error_set(err, RG_ERR_INVAL, "request.object: required for %s",
                            req->operation_str);
    return 0;
}

int adm_review_decode(const char *body, size_t len, adm_request_t *req, rg_error_t *err)
{
    adm_request_init(req);
    if (body == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "body: missing");
    /* One block holds a typical review (2 KB of JSON makes about 8 KB of
     * nodes and strings), so the whole tree costs one allocation. */
    rg_arena_init(&req->arena_, ADM_ARENA_BLOCK);
    cJSON *root = adm__json_parse_arena(body, len, &req->arena_, err);
    if (root == NULL) {
        adm_request_release(req);
        return err ? err->code : RG_ERR_PARSE;
    }
    req->root_ = root;
    int rc;
    if (!cJSON_IsObject(root)) {
        rc = rg_error_set(err, RG_ERR_INVAL, "AdmissionReview: must be an object, got %s",
                          rg_json_type_name(root));
        goto err;
    }
    const char *api_version, *kind;
    if ((rc = req_string(root, NULL, "apiVersion", false, &api_version, err)) < 0 ||
        (rc = req_string(root, NULL, "kind", false, &kind, err)) < 0)
        goto err;
    if (strcmp(api_version, V1_NAME) == 0) {
        req->version = ADM_V1;
    } else if (strcmp(api_version, V1BETA1_NAME) == 0) {
        req->version = ADM_V1BETA1;
    } else {
        rc = rg_error_set(err, RG_ERR_INVAL,
                          "apiVersion: unsupported value \"%.64s\" (want " V1_NAME
                          " or " V1BETA1_NAME ")",
                          api_version);
        goto err;
    }
    if (strcmp(kind, "AdmissionReview") != 0) {
        rc = rg_error_set(err, RG_ERR_INVAL,
                          "kind: unsupported value \"%.64s\" (want AdmissionReview)", kind);
        goto err;
    }
    const cJSON *r = rg_json_get(root, "request");
    if (r == NULL || cJSON_IsNull(r)) {
        rc = rg_error_set(err, RG_ERR_INVAL, "request: required");
        goto err;
    }
    if (!cJSON_IsObject(r)) {
        rc = rg_error_set(err, RG_ERR_INVAL, "request: must be an object, got %s",
                          rg_json_type_name(r));
        goto err;
    }
    if ((rc = decode_request(r, req, err)) < 0)
        goto err;
    return 0;
err:
    adm_request_release(req);
    return rc;
}

static void append_str_array(rg_buf_t *out, const char *const *v, size_t n)
{
    rg_buf_append_char(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            rg_buf_append_char(out, ',');
        rg_buf_append_json_str(out, v[i] ? v[i] : "");
    }
    rg_buf_append_char(out, ']');
}

void adm_review_encode(const adm_request_t *req, const adm_response_t *resp, rg_buf_t *out)
{
    rg_buf_append_str(out, req->version == ADM_V1BETA1
                               ? "{\"apiVersion\":\"" V1BETA1_NAME
                                 "\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":"
                               : "{\"apiVersion\":\"" V1_NAME
                                 "\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":");
    rg_buf_append_json_str(out, req->uid ? req->uid : "");
    rg_buf_append_str(out, resp->allowed ? ",\"allowed\":true" : ",\"allowed\":false");

    if (!resp->allowed || resp->message || resp->reason || resp->n_causes) {
        /* The apiserver turns a denial's code below 400 into 400; 403 is
         * what a policy refusal means, so it is the default. */
        int code = resp->code;
        if (code == 0)
            code = resp->allowed ? 200 : 403;
        rg_status_t st = {
            .code = code,
            .reason = resp->reason,
            .message = resp->message,
            .causes = resp->causes,
            .n_causes = resp->causes ? resp->n_causes : 0,
        };
        rg_buf_append_str(out, ",\"status\":");
        rg_status_encode_fields(out, &st);
    }
    if (resp->patch && adm_patch_len(resp->patch) > 0) {
        rg_buf_append_str(out, ",\"patch\":\"");
        adm__patch_append_base64(resp->patch, out);
        rg_buf_append_str(out, "\",\"patchType\":\"JSONPatch\"");
    }
    if (resp->warnings && resp->n_warnings) {
        rg_buf_append_str(out, ",\"warnings\":");
        append_str_array(out, resp->warnings, resp->n_warnings);
    }
    if (resp->audit_keys && resp->audit_values && resp->n_audit) {
        rg_buf_append_str(out, ",\"auditAnnotations\":{");
        for (size_t i = 0; i < resp->n_audit; i++) {
            if (i)
                rg_buf_append_char(out, ',');
            rg_buf_append_json_str(out, resp->audit_keys[i] ? resp->audit_keys[i] : "");
            rg_buf_append_char(out, ':');
            rg_buf_append_json_str(out, resp->audit_values[i] ? resp->audit_values[i] : "");
        }
        rg_buf_append_char(out, '}');
    }
    rg_buf_append_str(out, "}}");
}

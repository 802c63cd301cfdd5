/*
 * The ConversionReview codec (apiextensions.k8s.io/v1, v1beta1 answered in
 * kind): decode and bound the review, convert each object, encode the
 * response. A review that cannot be read is an error for HTTP 400; objects
 * that cannot be converted are a Failure result inside a 200 answer.
 */
#include "raygate/convert.h"

#include "raygate/alloc.h"

#include <string.h>

#define REVIEW_V1 "apiextensions.k8s.io/v1"
#define REVIEW_V1BETA1 "apiextensions.k8s.io/v1beta1"
#define REVIEW_KIND "ConversionReview"

/* The validated parts of a request; borrowed from the parsed tree. */
typedef struct review {
    const char *api_version;
    const char *uid;
    const char *desired;
    const cJSON *objects;
} review_t;

static int review_decode(const cJSON *root, review_t *r, rg_error_t *err)
{
    if (!cJSON_IsObject(root))
        return rg_error_set(err, RG_ERR_INVAL, "ConversionReview: must be a JSON object, got %s",
                            rg_json_type_name(root));
    r->api_version = rg_json_get_string(root, "apiVersion");
    if (r->api_version == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "apiVersion: Required value");
    if (strcmp(r->api_version, REVIEW_V1) != 0 && strcmp(r->api_version, REVIEW_V1BETA1) != 0)
        return rg_error_set(err, RG_ERR_INVAL,
                            "apiVersion: Unsupported value: \"%.200s\": supported values: \"%s\", "
                            "\"%s\"",
                            r->api_version, REVIEW_V1, REVIEW_V1BETA1);
    const char *kind = rg_json_get_string(root, "kind");
    if (kind == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "kind: Required value");
    if (strcmp(kind, REVIEW_KIND) != 0)
        return rg_error_set(err, RG_ERR_INVAL,
                            "kind: Unsupported value: \"%.200s\": supported values: \"%s\"", kind,
                            REVIEW_KIND);
    const cJSON *req = rg_json_get(root, "request");
    if (req == NULL || cJSON_IsNull(req))
        return rg_error_set(err, RG_ERR_INVAL, "request: Required value");
    if (!cJSON_IsObject(req))
        return rg_error_set(err, RG_ERR_INVAL, "request: must be an object, got %s",
                            rg_json_type_name(req));
    r->uid = rg_json_get_string(req, "uid");
    if (r->uid == NULL || r->uid[0] == '\0')
        return rg_error_set(err, RG_ERR_INVAL, "request.uid: Required value");
    if (strlen(r->uid) > CONVERT_MAX_UID)
        return rg_error_set(err, RG_ERR_INVAL,
                            "request.uid: Too long: may not be more than %d bytes",
                            CONVERT_MAX_UID);
    r->desired = rg_json_get_string(req, "desiredAPIVersion");
    if (r->desired == NULL || r->desired[0] == '\0')
        return rg_error_set(err, RG_ERR_INVAL, "request.desiredAPIVersion: Required value");
    r->objects = rg_json_get(req, "objects");
    if (r->objects == NULL || cJSON_IsNull(r->objects))
        return rg_error_set(err, RG_ERR_INVAL, "request.objects: Required value");
    if (!cJSON_IsArray(r->objects))
        return rg_error_set(err, RG_ERR_INVAL, "request.objects: must be an array, got %s",
                            rg_json_type_name(r->objects));
    size_t n = 0, i = 0;
    for (const cJSON *o = r->objects->child; o != NULL; o = o->next, i++) {
        if (++n > CONVERT_MAX_OBJECTS)
            return rg_error_set(err, RG_ERR_TOO_BIG,
                                "request.objects: Too many: must have at most %d items",
                                CONVERT_MAX_OBJECTS);
        if (!cJSON_IsObject(o))
            return rg_error_set(err, RG_ERR_INVAL,
                                "request.objects[%zu]: must be an object, got %s", i,
                                rg_json_type_name(o));
    }
    return RG_OK;
}

/* The object's name for a failure message: "kind namespace/name". */
static void describe(rg_buf_t *b, const cJSON *obj)
{
    const char *kind = rg_json_get_string(obj, "kind");
    const char *ns = rg_json_get_string(rg_json_get_object(obj, "metadata"), "namespace");
    const char *name = rg_json_get_string(rg_json_get_object(obj, "metadata"), "name");
    rg_buf_appendf(b, "%.100s %.253s%s%.253s", kind ? kind : "object", ns ? ns : "", ns ? "/" : "",
                   name ? name : "");
}

int convert_review_handle(const char *body, size_t len, rg_buf_t *out, rg_error_t *err)
{
    cJSON *root = rg_json_parse(body, len, err);
    if (root == NULL)
        return err ? err->code : RG_ERR_PARSE;
    review_t r = {0};
    int rc = review_decode(root, &r, err);
    if (rc != RG_OK) {
        cJSON_Delete(root);
        return rc;
    }

    cJSON *resp = cJSON_CreateObject();
    cJSON_AddStringToObject(resp, "apiVersion", r.api_version);
    cJSON_AddStringToObject(resp, "kind", REVIEW_KIND);
    cJSON *response = cJSON_AddObjectToObject(resp, "response");
    cJSON_AddStringToObject(response, "uid", r.uid);
    cJSON *converted = cJSON_AddArrayToObject(response, "convertedObjects");

    rg_buf_t failure = RG_BUF_INIT;
    size_t i = 0;
    for (const cJSON *o = r.objects->child; o != NULL; o = o->next, i++) {
        rg_error_t cerr = {0};
        cJSON *c = convert_kueue_object(o, r.desired, &cerr);
        if (c == NULL) {
            /* The apiserver takes all objects or none: the first failure
             * answers for the review. */
            rg_buf_appendf(&failure, "objects[%zu] (", i);
            describe(&failure, o);
            rg_buf_appendf(&failure, "): %s", rg_error_str(&cerr));
            break;
        }
        cJSON_AddItemToArray(converted, c);
    }

    cJSON *result = cJSON_AddObjectToObject(response, "result");
    if (failure.len > 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(response, "convertedObjects");
        cJSON_AddStringToObject(result, "status", "Failure");
        cJSON_AddStringToObject(result, "message", failure.data);
    } else {
        cJSON_AddStringToObject(result, "status", "Success");
    }
    rg_json_append(out, resp);
    rg_buf_release(&failure);
    cJSON_Delete(resp);
    cJSON_Delete(root);
    return RG_OK;
}

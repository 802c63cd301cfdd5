/*
 * Unit tests for src/convert/: kueue.x-k8s.io v1beta1 <-> v1beta2 object
 * conversion (exact results, lossless round trips of every fixture under
 * tests/fixtures/convert/, the seed's Kueue objects included) and the
 * ConversionReview codec with its error cases.
 */
#include "raygate/alloc.h"
#include "raygate/convert.h"

#include <check.h>

#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *load(const char *name)
{
    size_t len = 0;
    char *text = rgt_fixture_read("convert", name, &len);
    rg_error_t err = {0};
    cJSON *obj = rg_json_parse(text, len, &err);
    rg_free(text);
    ck_assert_msg(obj != NULL, "fixture %s: %s", name, rg_error_str(&err));
    return obj;
}

static cJSON *convert_ok(const cJSON *obj, const char *to)
{
    rg_error_t err = {0};
    cJSON *out = convert_kueue_object(obj, to, &err);
    ck_assert_msg(out != NULL, "convert to %s: %s", to, rg_error_str(&err));
    ck_assert_str_eq(rg_json_get_string(out, "apiVersion"), to);
    return out;
}

static void assert_same(const cJSON *got, const cJSON *want, const char *what)
{
    if (!cJSON_Compare(got, want, true)) {
        char *g = rg_json_print(got), *w = rg_json_print(want);
        ck_abort_msg("%s differs\n got: %s\nwant: %s", what, g, w);
        rg_free(g);
        rg_free(w);
    }
}

/* ---- v1beta1 -> v1beta2 -> v1beta1 equals the original ---- */

static const char *const V1BETA1_FIXTURES[] = {
    "clusterqueue-v1beta1.json",
    "clusterqueue-plain-v1beta1.json",
    "clusterqueue-empty-checks-v1beta1.json",
    "workload-v1beta1.json",
    "workload-podpc-v1beta1.json",
    "workload-nosource-v1beta1.json",
    "localqueue-v1beta1.json",
    "resourceflavor-v1beta1.json",
    "workloadpriorityclass-v1beta1.json",
    "cohort-v1beta1.json",
    "seed-queue-ai-queue.json",
    "seed-queue-ray-queue.json",
    "seed-clusterqueue-ai-cluster-queue.json",
    "seed-clusterqueue-ai-resource-queue.json",
    "seed-clusterqueue-optimized-queue.json",
    "seed-clusterqueue-production-cluster-queue.json",
    "seed-clusterqueue-ray-cluster-queue.json",
    "seed-workload-ai-training-job-01.json",
    "seed-workload-ai-training-workload.json",
    "seed-workload-batch-training-job.json",
    "seed-workload-high-priority-job.json",
    "seed-priorityclass-ai-high-priority.json",
    "seed-priorityclass-ai-normal-priority.json",
};

/* v1beta1-only field names that must not survive into v1beta2. */
static void assert_no_v1beta1_fields(const cJSON *v2)
{
    const cJSON *spec = rg_json_get_object(v2, "spec");
    const cJSON *status = rg_json_get_object(v2, "status");
    ck_assert_ptr_null(rg_json_get(spec, "cohort"));
    ck_assert_ptr_null(rg_json_get(spec, "admissionChecks"));
    ck_assert_ptr_null(rg_json_get(spec, "priorityClassName"));
    ck_assert_ptr_null(rg_json_get(spec, "priorityClassSource"));
    ck_assert_ptr_null(rg_json_get(status, "flavorUsage"));
    ck_assert_ptr_null(rg_json_get(status, "accumulatedPastExexcutionTimeSeconds"));
    const cJSON *ff = rg_json_get_object(spec, "flavorFungibility");
    const char *b = rg_json_get_string(ff, "whenCanBorrow");
    const char *p = rg_json_get_string(ff, "whenCanPreempt");
    ck_assert(b == NULL || strcmp(b, "Borrow") != 0);
    ck_assert(p == NULL || strcmp(p, "Preempt") != 0);
}

START_TEST(test_convert__round_trip_v1beta1)
{
    cJSON *orig = load(V1BETA1_FIXTURES[_i]);
    cJSON *v2 = convert_ok(orig, CONVERT_V1BETA2);
    assert_no_v1beta1_fields(v2);
    cJSON *back = convert_ok(v2, CONVERT_V1BETA1);
    assert_same(back, orig, V1BETA1_FIXTURES[_i]);
    /* Converting twice more changes nothing either. */
    cJSON *v2again = convert_ok(back, CONVERT_V1BETA2);
    assert_same(v2again, v2, "second conversion");
    cJSON_Delete(v2again);
    cJSON_Delete(back);
    cJSON_Delete(v2);
    cJSON_Delete(orig);
}
END_TEST

/* ---- exact results both ways ---- */

typedef struct pair {
    const char *v1beta1;
    const char *v1beta2;
    bool down_exact; /* v1beta2 -> v1beta1 gives the v1beta1 file exactly */
} pair_t;

static const pair_t PAIRS[] = {
    {"clusterqueue-v1beta1.json", "clusterqueue-v1beta2.json", true},
    {"clusterqueue-plain-v1beta1.json", "clusterqueue-plain-v1beta2.json", true},
    {"workload-v1beta1.json", "workload-v1beta2.json", true},
    {"workload-podpc-v1beta1.json", "workload-podpc-v1beta2.json", true},
    {"localqueue-v1beta1.json", "localqueue-v1beta2.json", true},
    {"cohort-v1beta1.json", "cohort-v1beta2.json", true},
};

START_TEST(test_convert__exact_up)
{
    cJSON *v1 = load(PAIRS[_i].v1beta1);
    cJSON *want = load(PAIRS[_i].v1beta2);
    cJSON *got = convert_ok(v1, CONVERT_V1BETA2);
    assert_same(got, want, PAIRS[_i].v1beta2);
    cJSON_Delete(got);
    cJSON_Delete(want);
    cJSON_Delete(v1);
}
END_TEST

START_TEST(test_convert__exact_down)
{
    cJSON *v2 = load(PAIRS[_i].v1beta2);
    cJSON *want = load(PAIRS[_i].v1beta1);
    cJSON *got = convert_ok(v2, CONVERT_V1BETA1);
    assert_same(got, want, PAIRS[_i].v1beta1);
    cJSON_Delete(got);
    cJSON_Delete(want);
    cJSON_Delete(v2);
}
END_TEST

/* A v1beta2 object written natively (no stash) keeps MayStopSearch and its
 * admissionChecksStrategy on the way down, as upstream's conversion does. */
START_TEST(test_convert__native_v1beta2_down)
{
    cJSON *v2 = load("clusterqueue-v1beta2.json");
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(v2, "metadata");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "annotations");
    cJSON *v1 = convert_ok(v2, CONVERT_V1BETA1);
    const cJSON *spec = rg_json_get_object(v1, "spec");
    ck_assert_str_eq(rg_json_get_string(spec, "cohort"), "research");
    ck_assert_ptr_null(rg_json_get(spec, "cohortName"));
    const cJSON *ff = rg_json_get_object(spec, "flavorFungibility");
    ck_assert_str_eq(rg_json_get_string(ff, "whenCanBorrow"), "MayStopSearch");
    ck_assert_str_eq(rg_json_get_string(ff, "whenCanPreempt"), "MayStopSearch");
    ck_assert_ptr_nonnull(rg_json_get_object(spec, "admissionChecksStrategy"));
    ck_assert_ptr_null(rg_json_get(spec, "admissionChecks"));
    ck_assert_ptr_null(rg_json_path(v1, "metadata", "annotations", NULL));
    cJSON_Delete(v1);
    cJSON_Delete(v2);
}
END_TEST

/* Values edited in v1beta2 win over the stash: a changed strategy and a
 * fungibility set to TryNextFlavor are not overwritten on the way down. */
START_TEST(test_convert__stash_yields_to_edits)
{
    cJSON *v1 = load("clusterqueue-v1beta1.json");
    cJSON *v2 = convert_ok(v1, CONVERT_V1BETA2);
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(v2, "spec");
    cJSON *rules = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(spec, "admissionChecksStrategy"), "admissionChecks");
    cJSON *rule = cJSON_CreateObject();
    cJSON_AddStringToObject(rule, "name", "third");
    cJSON_AddItemToArray(rules, rule);
    cJSON *ff = cJSON_GetObjectItemCaseSensitive(spec, "flavorFungibility");
    cJSON_ReplaceItemInObjectCaseSensitive(ff, "whenCanBorrow",
                                           cJSON_CreateString("TryNextFlavor"));
    cJSON *back = convert_ok(v2, CONVERT_V1BETA1);
    const cJSON *bspec = rg_json_get_object(back, "spec");
    ck_assert_ptr_null(rg_json_get(bspec, "admissionChecks"));
    ck_assert_int_eq(
        cJSON_GetArraySize(rg_json_path(bspec, "admissionChecksStrategy", "admissionChecks", NULL)),
        3);
    const cJSON *bff = rg_json_get_object(bspec, "flavorFungibility");
    ck_assert_str_eq(rg_json_get_string(bff, "whenCanBorrow"), "TryNextFlavor");
    ck_assert_str_eq(rg_json_get_string(bff, "whenCanPreempt"), "Preempt");
    ck_assert_ptr_null(rg_json_path(back, "metadata", "annotations", NULL));
    cJSON_Delete(back);
    cJSON_Delete(v2);
    cJSON_Delete(v1);
}
END_TEST

/* A v1beta2 priorityClassRef v1beta1 cannot name survives the trip down and
 * back through CONVERT_ANNOTATION_V1BETA2. */
START_TEST(test_convert__round_trip_v1beta2_foreign_ref)
{
    cJSON *v2 = load("workload-otherref-v1beta2.json");
    cJSON *v1 = convert_ok(v2, CONVERT_V1BETA1);
    const cJSON *spec = rg_json_get_object(v1, "spec");
    ck_assert_ptr_null(rg_json_get(spec, "priorityClassRef"));
    ck_assert_ptr_null(rg_json_get(spec, "priorityClassName"));
    ck_assert_ptr_nonnull(rg_json_get_string(rg_json_path(v1, "metadata", "annotations", NULL),
                                             CONVERT_ANNOTATION_V1BETA2));
    cJSON *back = convert_ok(v1, CONVERT_V1BETA2);
    assert_same(back, v2, "workload-otherref-v1beta2.json");
    cJSON_Delete(back);
    cJSON_Delete(v1);
    cJSON_Delete(v2);
}
END_TEST

/* Every v1beta2 fixture also survives v1beta2 -> v1beta1 -> v1beta2. */
START_TEST(test_convert__round_trip_v1beta2)
{
    cJSON *v2 = load(PAIRS[_i].v1beta2);
    cJSON *v1 = convert_ok(v2, CONVERT_V1BETA1);
    cJSON *back = convert_ok(v1, CONVERT_V1BETA2);
    assert_same(back, v2, PAIRS[_i].v1beta2);
    cJSON_Delete(back);
    cJSON_Delete(v1);
    cJSON_Delete(v2);
}
END_TEST

/* v1beta2's FairSharingStatus has no admissionFairSharingStatus: Kueue's
 * conversion drops it from a ClusterQueue's and a Cohort's status on the way
 * up (Convert_v1beta1_FairSharingStatus_To_v1beta2_FairSharingStatus), and
 * keeps the rest of the status. */
static const char *const AFS_FIXTURES[] = {
    "cohort-afs-v1beta1.json",
    "clusterqueue-afs-v1beta1.json",
};

START_TEST(test_convert__admission_fair_sharing_status_dropped_up)
{
    cJSON *v1 = load(AFS_FIXTURES[_i]);
    cJSON *v2 = convert_ok(v1, CONVERT_V1BETA2);
    const cJSON *fs = rg_json_path(v2, "status", "fairSharing", NULL);
    ck_assert_ptr_nonnull(rg_json_get(fs, "weightedShare"));
    ck_assert_ptr_null(rg_json_get(fs, "admissionFairSharingStatus"));
    ck_assert_ptr_null(rg_json_path(v2, "metadata", "annotations", NULL));
    /* Down again: the status as v1beta2 had it, nothing invented. */
    cJSON *back = convert_ok(v2, CONVERT_V1BETA1);
    cJSON *want = cJSON_Duplicate(v1, true);
    cJSON_DeleteItemFromObjectCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(want, "status"),
                                         "fairSharing"),
        "admissionFairSharingStatus");
    assert_same(back, want, AFS_FIXTURES[_i]);
    cJSON_Delete(want);
    cJSON_Delete(back);
    cJSON_Delete(v2);
    cJSON_Delete(v1);
}
END_TEST

START_TEST(test_convert__same_version_copies)
{
    cJSON *v1 = load("clusterqueue-v1beta1.json");
    cJSON *same = convert_ok(v1, CONVERT_V1BETA1);
    assert_same(same, v1, "same-version copy");
    ck_assert_ptr_ne(same, v1);
    cJSON_Delete(same);
    cJSON_Delete(v1);
}
END_TEST

/* ---- object errors ---- */

typedef struct obj_err_case {
    const char *json;
    const char *to;
    int code;
    const char *msg;
} obj_err_case_t;

static const obj_err_case_t OBJ_ERRORS[] = {
    {"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"}", CONVERT_V1BETA2, RG_ERR_UNSUPPORTED,
     "apiVersion \"apps/v1\": not a kueue.x-k8s.io object"},
    {"{\"apiVersion\":\"kueue.x-k8s.io.evil/v1beta1\",\"kind\":\"Workload\"}", CONVERT_V1BETA2,
     RG_ERR_UNSUPPORTED, "apiVersion \"kueue.x-k8s.io.evil/v1beta1\": not a kueue.x-k8s.io object"},
    {"{\"apiVersion\":\"kueue.x-k8s.io/v1alpha1\",\"kind\":\"Cohort\"}", CONVERT_V1BETA2,
     RG_ERR_UNSUPPORTED,
     "apiVersion \"kueue.x-k8s.io/v1alpha1\": unknown version, raygate converts "
     "kueue.x-k8s.io/v1beta1 and kueue.x-k8s.io/v1beta2"},
    {"{\"apiVersion\":\"kueue.x-k8s.io/v1beta1\",\"kind\":\"Workload\"}", "kueue.x-k8s.io/v1",
     RG_ERR_UNSUPPORTED,
     "desiredAPIVersion \"kueue.x-k8s.io/v1\": raygate converts to kueue.x-k8s.io/v1beta1 and "
     "kueue.x-k8s.io/v1beta2 only"},
    {"{\"apiVersion\":\"kueue.x-k8s.io/v1beta1\",\"kind\":\"Workload\"}", NULL, RG_ERR_UNSUPPORTED,
     "desiredAPIVersion \"\": raygate converts to kueue.x-k8s.io/v1beta1 and "
     "kueue.x-k8s.io/v1beta2 only"},
    {"{\"kind\":\"Workload\"}", CONVERT_V1BETA2, RG_ERR_INVAL, "apiVersion: Required value"},
    {"{\"apiVersion\":7,\"kind\":\"Workload\"}", CONVERT_V1BETA2, RG_ERR_INVAL,
     "apiVersion: Required value"},
    {"{\"apiVersion\":\"kueue.x-k8s.io/v1beta1\"}", CONVERT_V1BETA2, RG_ERR_INVAL,
     "kind: Required value"},
    {"[1,2]", CONVERT_V1BETA2, RG_ERR_INVAL, "object: must be a JSON object, got array"},
};

START_TEST(test_convert__object_errors)
{
    const obj_err_case_t *c = &OBJ_ERRORS[_i];
    cJSON *obj = cJSON_Parse(c->json);
    ck_assert_ptr_nonnull(obj);
    rg_error_t err = {0};
    ck_assert_ptr_null(convert_kueue_object(obj, c->to, &err));
    ck_assert_int_eq(err.code, c->code);
    ck_assert_str_eq(err.msg, c->msg);
    /* err may be NULL. */
    ck_assert_ptr_null(convert_kueue_object(obj, c->to, NULL));
    cJSON_Delete(obj);
}
END_TEST

/* A malformed or oversized stash annotation is dropped, never trusted. */
START_TEST(test_convert__bad_stash_ignored)
{
    cJSON *v2 = load("workload-v1beta2.json");
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(v2, "metadata");
    cJSON *ann = cJSON_AddObjectToObject(meta, "annotations");
    cJSON_AddStringToObject(ann, CONVERT_ANNOTATION_V1BETA1, "{not json");
    cJSON_AddStringToObject(ann, "keep", "me");
    cJSON *v1 = convert_ok(v2, CONVERT_V1BETA1);
    const cJSON *a = rg_json_path(v1, "metadata", "annotations", NULL);
    ck_assert_ptr_null(rg_json_get(a, CONVERT_ANNOTATION_V1BETA1));
    ck_assert_str_eq(rg_json_get_string(a, "keep"), "me");
    ck_assert_str_eq(rg_json_get_string(rg_json_get_object(v1, "spec"), "priorityClassName"),
                     "ai-high-priority");
    cJSON_Delete(v1);
    cJSON_Delete(v2);
}
END_TEST

/* ---- ConversionReview ---- */

static cJSON *handle_ok(const char *body, size_t len)
{
    rg_buf_t out = RG_BUF_INIT;
    rg_error_t err = {0};
    int rc = convert_review_handle(body, len, &out, &err);
    ck_assert_msg(rc == RG_OK, "review: %s", rg_error_str(&err));
    cJSON *resp = rg_json_parse(out.data, out.len, &err);
    ck_assert_msg(resp != NULL, "response is not JSON: %s", rg_error_str(&err));
    rg_buf_release(&out);
    return resp;
}

START_TEST(test_convert__review_success)
{
    size_t len = 0;
    char *body = rgt_fixture_read("convert", "review-request.json", &len);
    cJSON *resp = handle_ok(body, len);
    cJSON *want = load("review-response.json");
    assert_same(resp, want, "review-response.json");
    cJSON_Delete(want);
    cJSON_Delete(resp);
    rg_free(body);
}
END_TEST

START_TEST(test_convert__review_v1beta1_and_empty)
{
    static const char body[] =
        "{\"apiVersion\":\"apiextensions.k8s.io/v1beta1\",\"kind\":\"ConversionReview\","
        "\"request\":{\"uid\":\"u-1\",\"desiredAPIVersion\":\"kueue.x-k8s.io/v1beta1\","
        "\"objects\":[]}}";
    cJSON *resp = handle_ok(body, sizeof(body) - 1);
    ck_assert_str_eq(rg_json_get_string(resp, "apiVersion"), "apiextensions.k8s.io/v1beta1");
    ck_assert_str_eq(rg_json_get_string(resp, "kind"), "ConversionReview");
    const cJSON *r = rg_json_get_object(resp, "response");
    ck_assert_str_eq(rg_json_get_string(r, "uid"), "u-1");
    ck_assert_int_eq(cJSON_GetArraySize(rg_json_get_array(r, "convertedObjects")), 0);
    ck_assert_str_eq(rg_json_get_string(rg_json_get_object(r, "result"), "status"), "Success");
    cJSON_Delete(resp);
}
END_TEST

START_TEST(test_convert__review_failure_result)
{
    size_t len = 0;
    char *body = rgt_fixture_read("convert", "review-failure.json", &len);
    cJSON *resp = handle_ok(body, len);
    const cJSON *r = rg_json_get_object(resp, "response");
    ck_assert_str_eq(rg_json_get_string(r, "uid"), "u-2");
    ck_assert_ptr_null(rg_json_get(r, "convertedObjects"));
    const cJSON *result = rg_json_get_object(r, "result");
    ck_assert_str_eq(rg_json_get_string(result, "status"), "Failure");
    ck_assert_str_eq(rg_json_get_string(result, "message"),
                     "objects[1] (Deployment prod/web): apiVersion \"apps/v1\": not a "
                     "kueue.x-k8s.io object");
    cJSON_Delete(resp);
    rg_free(body);
}
END_TEST

typedef struct review_err_case {
    const char *body;
    int code;
    const char *msg; /* exact, or NULL to check only the code */
} review_err_case_t;

#define RV "\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"ConversionReview\""
#define OBJ "{\"apiVersion\":\"kueue.x-k8s.io/v1beta1\",\"kind\":\"ResourceFlavor\"}"

static const review_err_case_t REVIEW_ERRORS[] = {
    {"{", RG_ERR_PARSE, NULL},
    {"", RG_ERR_PARSE, NULL},
    {"[]", RG_ERR_INVAL, "ConversionReview: must be a JSON object, got array"},
    {"{\"kind\":\"ConversionReview\"}", RG_ERR_INVAL, "apiVersion: Required value"},
    {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"ConversionReview\"}", RG_ERR_INVAL,
     "apiVersion: Unsupported value: \"admission.k8s.io/v1\": supported values: "
     "\"apiextensions.k8s.io/v1\", \"apiextensions.k8s.io/v1beta1\""},
    {"{\"apiVersion\":\"apiextensions.k8s.io/v1\"}", RG_ERR_INVAL, "kind: Required value"},
    {"{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", RG_ERR_INVAL,
     "kind: Unsupported value: \"AdmissionReview\": supported values: \"ConversionReview\""},
    {"{" RV "}", RG_ERR_INVAL, "request: Required value"},
    {"{" RV ",\"request\":null}", RG_ERR_INVAL, "request: Required value"},
    {"{" RV ",\"request\":[]}", RG_ERR_INVAL, "request: must be an object, got array"},
    {"{" RV ",\"request\":{\"desiredAPIVersion\":\"kueue.x-k8s.io/v1beta2\",\"objects\":[]}}",
     RG_ERR_INVAL, "request.uid: Required value"},
    {"{" RV ",\"request\":{\"uid\":\"\",\"desiredAPIVersion\":\"kueue.x-k8s.io/v1beta2\","
     "\"objects\":[]}}",
     RG_ERR_INVAL, "request.uid: Required value"},
    {"{" RV ",\"request\":{\"uid\":\"u\",\"objects\":[]}}", RG_ERR_INVAL,
     "request.desiredAPIVersion: Required value"},
    {"{" RV ",\"request\":{\"uid\":\"u\",\"desiredAPIVersion\":\"kueue.x-k8s.io/v1beta2\"}}",
     RG_ERR_INVAL, "request.objects: Required value"},
    {"{" RV ",\"request\":{\"uid\":\"u\",\"desiredAPIVersion\":\"kueue.x-k8s.io/v1beta2\","
     "\"objects\":{}}}",
     RG_ERR_INVAL, "request.objects: must be an array, got object"},
    {"{" RV ",\"request\":{\"uid\":\"u\",\"desiredAPIVersion\":\"kueue.x-k8s.io/v1beta2\","
     "\"objects\":[" OBJ ",\"x\"]}}",
     RG_ERR_INVAL, "request.objects[1]: must be an object, got string"},
};

START_TEST(test_convert__review_malformed)
{
    const review_err_case_t *c = &REVIEW_ERRORS[_i];
    rg_buf_t out = RG_BUF_INIT;
    rg_error_t err = {0};
    int rc = convert_review_handle(c->body, strlen(c->body), &out, &err);
    ck_assert_int_eq(rc, c->code);
    ck_assert_int_eq(err.code, c->code);
    if (c->msg)
        ck_assert_str_eq(err.msg, c->msg);
    ck_assert_uint_eq(out.len, 0);
    rg_buf_release(&out);
}
END_TEST

/* A too-long uid is refused. */
START_TEST(test_convert__review_uid_bound)
{
    rg_buf_t body = RG_BUF_INIT;
    rg_buf_append_str(&body, "{" RV ",\"request\":{\"uid\":\"");
    for (int i = 0; i < CONVERT_MAX_UID + 1; i++)
        rg_buf_append_char(&body, 'u');
    rg_buf_append_str(&body,
                      "\",\"desiredAPIVersion\":\"kueue.x-k8s.io/v1beta2\",\"objects\":[]}}");
    rg_buf_t out = RG_BUF_INIT;
    rg_error_t err = {0};
    ck_assert_int_eq(convert_review_handle(body.data, body.len, &out, &err), RG_ERR_INVAL);
    ck_assert_str_eq(err.msg, "request.uid: Too long: may not be more than 256 bytes");
    rg_buf_release(&out);
    rg_buf_release(&body);
}
END_TEST

/* CONVERT_MAX_OBJECTS objects convert; one more is a malformed review. */
START_TEST(test_convert__review_object_bound)
{
    for (int extra = 0; extra <= 1; extra++) {
        rg_buf_t body = RG_BUF_INIT;
        rg_buf_append_str(&body, "{" RV ",\"request\":{\"uid\":\"u\",\"desiredAPIVersion\":"
                                 "\"kueue.x-k8s.io/v1beta2\",\"objects\":[");
        for (int i = 0; i < CONVERT_MAX_OBJECTS + extra; i++) {
            if (i)
                rg_buf_append_char(&body, ',');
            rg_buf_append_str(&body, OBJ);
        }
        rg_buf_append_str(&body, "]}}");
        rg_buf_t out = RG_BUF_INIT;
        rg_error_t err = {0};
        int rc = convert_review_handle(body.data, body.len, &out, &err);
        if (extra == 0) {
            ck_assert_int_eq(rc, RG_OK);
            cJSON *resp = rg_json_parse(out.data, out.len, NULL);
            ck_assert_ptr_nonnull(resp);
            ck_assert_int_eq(
                cJSON_GetArraySize(rg_json_path(resp, "response", "convertedObjects", NULL)),
                CONVERT_MAX_OBJECTS);
            cJSON_Delete(resp);
        } else {
            ck_assert_int_eq(rc, RG_ERR_TOO_BIG);
            ck_assert_str_eq(err.msg, "request.objects: Too many: must have at most 10000 items");
            ck_assert_uint_eq(out.len, 0);
        }
        rg_buf_release(&out);
        rg_buf_release(&body);
    }
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *convert_suite(void)
{
    Suite *s = suite_create("convert");
    TCase *tc = tcase_create("objects");
    tcase_add_loop_test(tc, test_convert__round_trip_v1beta1, 0, N(V1BETA1_FIXTURES));
    tcase_add_loop_test(tc, test_convert__exact_up, 0, N(PAIRS));
    tcase_add_loop_test(tc, test_convert__exact_down, 0, N(PAIRS));
    tcase_add_loop_test(tc, test_convert__round_trip_v1beta2, 0, N(PAIRS));
    tcase_add_loop_test(tc, test_convert__admission_fair_sharing_status_dropped_up, 0,
                        N(AFS_FIXTURES));
    tcase_add_test(tc, test_convert__native_v1beta2_down);
    tcase_add_test(tc, test_convert__stash_yields_to_edits);
    tcase_add_test(tc, test_convert__round_trip_v1beta2_foreign_ref);
    tcase_add_test(tc, test_convert__same_version_copies);
    tcase_add_loop_test(tc, test_convert__object_errors, 0, N(OBJ_ERRORS));
    tcase_add_test(tc, test_convert__bad_stash_ignored);
    suite_add_tcase(s, tc);

    tc = tcase_create("review");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_convert__review_success);
    tcase_add_test(tc, test_convert__review_v1beta1_and_empty);
    tcase_add_test(tc, test_convert__review_failure_result);
    tcase_add_loop_test(tc, test_convert__review_malformed, 0, N(REVIEW_ERRORS));
    tcase_add_test(tc, test_convert__review_uid_bound);
    tcase_add_test(tc, test_convert__review_object_bound);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(convert_suite());
}

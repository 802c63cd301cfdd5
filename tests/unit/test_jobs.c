/*
 * Unit tests for src/jobs: RayCluster/RayJob <-> Workload. Cases come from
 * Kueue v0.19.2's own tests (jobframework workload_names_test, raycluster
 * common_test and raycluster/rayjob controller tests, podset_test,
 * equality) and KubeRay's defaults, plus the seed article's RayClusters
 * (manifests/examples/seed/, loaded as YAML and given the metadata the API
 * server adds). Owner/Workload cases are JSON fixtures under
 * tests/fixtures/jobs/<function>/; small readers are inline tables.
 */
#include "raygate/alloc.h"
#include "raygate/config.h"
#include "raygate/jobs.h"
#include "raygate/json.h"
#include "raygate/sha1.h"

#include "jobs/job_internal.h"

#include <check.h>

#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

/* Inline JSON written with single quotes, for readability. */
static cJSON *sq(const char *s)
{
    char *d = rg_strdup(s);
    for (char *p = d; *p; p++)
        if (*p == '\'')
            *p = '"';
    rg_error_t err = {0};
    cJSON *j = rg_json_parse(d, strlen(d), &err);
    ck_assert_msg(j != NULL, "bad inline JSON %s: %s", s, rg_error_str(&err));
    rg_free(d);
    return j;
}

static cJSON *fixture(const char *dir, const char *name)
{
    size_t len = 0;
    char *text = rgt_fixture_read(dir, name, &len);
    rg_error_t err = {0};
    cJSON *j = rg_json_parse(text, len, &err);
    ck_assert_msg(j != NULL, "%s/%s: %s", dir, name, rg_error_str(&err));
    rg_free(text);
    return j;
}

/*
 * The owner of a case: "owner" as given, or "seed": a file of the seed's
 * examples as the API server stores it (namespace default, a uid, a
 * resourceVersion), with "metadata" members of the case laid over.
 */
static cJSON *case_owner(const cJSON *fx)
{
    const cJSON *owner = rg_json_get(fx, "owner");
    if (owner != NULL)
        return cJSON_Duplicate(owner, 1);
    const char *seed = rg_json_get_string(fx, "seed");
    ck_assert_msg(seed != NULL, "case has neither owner nor seed");
    const char *root = getenv("RG_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/manifests/examples/seed/%s", root ? root : ".", seed);
    cfg_yaml_docs_t docs = {0};
    rg_error_t err = {0};
    ck_assert_msg(cfg_yaml_docs_load_file(path, 1 << 20, &docs, &err) == RG_OK, "%s",
                  rg_error_str(&err));
    cJSON *obj = cJSON_Duplicate(docs.items[0].root, 1);
    cfg_yaml_docs_release(&docs);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    cJSON_AddStringToObject(meta, "namespace", "default");
    cJSON_AddStringToObject(meta, "uid", "6d4f1b0e-5b7c-4a39-9c6e-0f3a2b1c9d01");
    cJSON_AddStringToObject(meta, "resourceVersion", "1");
    const cJSON *over;
    cJSON_ArrayForEach(over, rg_json_get(fx, "metadata"))
    {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, over->string);
        cJSON_AddItemToObject(meta, over->string, cJSON_Duplicate(over, 1));
    }
    return obj;
}

static void expect_json(const cJSON *got, const cJSON *want, const char *what)
{
    if (cJSON_Compare(got, want, true))
        return;
    char *g = got ? cJSON_Print(got) : rg_strdup("(null)");
    char *w = cJSON_Print(want);
    ck_abort_msg("%s\n--- want\n%s\n--- got\n%s", what, w, g);
    cJSON_free(g);
    cJSON_free(w);
}

static void expect_error(int rc, const rg_error_t *err, const cJSON *fx, const char *what)
{
    const char *want = rg_json_get_string(fx, "error");
    ck_assert_msg(rc < 0, "%s: expected an error containing \"%s\"", what, want);
    ck_assert_msg(strstr(rg_error_str(err), want) != NULL, "%s: error\n  %s\nlacks\n  %s", what,
                  rg_error_str(err), want);
    const char *code = rg_json_get_string(fx, "code");
    if (code != NULL)
        ck_assert_msg(strcmp(rg_err_name(rc), code) == 0, "%s: code %s, want %s", what,
                      rg_err_name(rc), code);
}

/* Priority classes of a case: [{kind, name, value, globalDefault}]. */
static int lookup_class(void *ctx, job_prio_source_t source, const char *name, job_priority_t *out,
                        rg_error_t *err)
{
    const cJSON *classes = ctx, *c;
    const cJSON *best = NULL;
    cJSON_ArrayForEach(c, classes)
    {
        if (rg_json_get(c, "fail") != NULL)
            return rg_error_set(err, RG_ERR_IO, "cache unavailable");
        const char *kind = rg_json_get_string(c, "kind");
        bool wpc = strcmp(kind, "WorkloadPriorityClass") == 0;
        int value = (int)rg_json_get(c, "value")->valuedouble;
        if (name != NULL) {
            if (strcmp(rg_json_get_string(c, "name"), name) == 0 &&
                wpc == (source == JOB_PRIO_WORKLOAD_CLASS)) {
                out->value = value;
                return 1;
            }
            continue;
        }
        /* Kueue's getDefaultPriorityClass: the lowest-valued global default. */
        if (!wpc && cJSON_IsTrue(rg_json_get(c, "globalDefault")) &&
            (best == NULL || value < rg_json_get(best, "value")->valuedouble))
            best = c;
    }
    if (best == NULL)
        return 0;
    out->source = JOB_PRIO_POD_CLASS;
    snprintf(out->name, sizeof(out->name), "%s", rg_json_get_string(best, "name"));
    out->value = (int)rg_json_get(best, "value")->valuedouble;
    return 1;
}

/* ResourceFlavors of a case, by metadata.name. */
static int lookup_flavor(void *ctx, const char *name, const cJSON **flavor, rg_error_t *err)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, (const cJSON *)ctx)
    {
        if (rg_json_get(f, "fail") != NULL)
            return rg_error_set(err, RG_ERR_IO, "cache unavailable");
        if (strcmp(rg_json_get_string(rg_json_get(f, "metadata"), "name"), name) == 0) {
            *flavor = f;
            return 1;
        }
    }
    return 0;
}

/*
 * One fixture case of a function producing a tree: fn's result must be the
 * case's "error" (substring, and "code"), or its want_key member exactly.
 */
typedef int (*case_fn)(const cJSON *fx, const cJSON *owner, cJSON **out, rg_error_t *err);

static void fixture_case(const char *dir, const char *name, case_fn fn, const char *want_key)
{
    cJSON *fx = fixture(dir, name);
    cJSON *owner = case_owner(fx);
    cJSON *got = NULL;
    rg_error_t err = {0};
    int rc = fn(fx, owner, &got, &err);
    if (rg_json_get(fx, "error")) {
        expect_error(rc, &err, fx, name);
        ck_assert_ptr_null(got);
    } else {
        ck_assert_msg(rc == RG_OK, "%s: %s", name, rg_error_str(&err));
        expect_json(got, rg_json_get(fx, want_key), name);
    }
    cJSON_Delete(got);
    cJSON_Delete(owner);
    cJSON_Delete(fx);
}

/* ---- SHA-1 (FIPS 180-2 appendix vectors; Kueue's names depend on it) ---- */

static const struct {
    const char *in;
    int repeat;
    const char *hex;
} SHA1_CASES[] = {
    {"abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {"", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
     "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
    {"a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
    {"Job\nbatch\nname\nuid", 1, "ef3a1"},
};

START_TEST(test_jobs__sha1)
{
    rg_sha1_t h;
    rg_sha1_init(&h);
    for (int i = 0; i < SHA1_CASES[_i].repeat; i++)
        rg_sha1_update(&h, SHA1_CASES[_i].in, strlen(SHA1_CASES[_i].in));
    uint8_t d[RG_SHA1_LEN];
    char hex[2 * RG_SHA1_LEN + 1];
    rg_sha1_final(&h, d);
    rg_sha1_hex(d, hex);
    ck_assert_msg(strncmp(hex, SHA1_CASES[_i].hex, strlen(SHA1_CASES[_i].hex)) == 0, "case %d: %s",
                  _i, hex);
}
END_TEST

/* ---- Workload names (Kueue's workload_names_test with ShortWorkloadNames) ---- */

#define LONG_NAME                                                                                  \
    "marketing-campaign-autumn-2024-region-north-america-department-digital-strategy-sub-"         \
    "department-social-media-engagement-tracker-and-analytics-dashboard-v2-final-revision-by-"     \
    "engineering-team-lead-senior-architect-validation-checked-approved-by-legal-and-ops-dept"

static const struct {
    const char *kind, *group, *name, *uid, *want, *err;
} NAME_CASES[] = {
    /* Kueue: "short name, no extra". */
    {"Job", "batch", "name", "uid", "job-name-ef3a1", NULL},
    /* Kueue: "long owner name truncated (ShortWorkloadNames=true)". */
    {"Job", "batch", LONG_NAME, "uid",
     "job-marketing-campaign-autumn-2024-region-north-america-d-218b8", NULL},
    /* The seed's clusters (hash: sha1("RayCluster\nray.io\n<name>\n<uid>")[:5]). */
    {"RayCluster", "ray.io", "ai-training-cluster", "6d4f1b0e-5b7c-4a39-9c6e-0f3a2b1c9d01",
     "raycluster-ai-training-cluster-51458", NULL},
    {"RayJob", "ray.io", "rayjob-sample", "3c0d2a55-1e4b-4f8e-9a77-5b6c1d2e3f40",
     "rayjob-rayjob-sample-a4452", NULL},
    /* A 63-character name (KubeRay stops RayClusters at 53) is cut to 57 with its kind. */
    {"RayCluster", "ray.io", "a23456789-123456789-123456789-123456789-123456789-123456789-123", "u",
     "raycluster-a23456789-123456789-123456789-123456789-123456-c0759", NULL},
    {"RayCluster", "ray.io", "x", "", NULL, "workload name: uid: Required value"},
    {"RayCluster", "ray.io", "", "u", NULL, "workload name: name: Required value"},
    {"RayCluster", "ray.io", "Bad_Name", "u", NULL,
     "Workload metadata.name: Invalid value: \"raycluster-Bad_Name-"},
};

START_TEST(test_jobs__workload_name)
{
    char out[JOB_WORKLOAD_NAME_MAX + 1];
    rg_error_t err = {0};
    int rc = job_workload_name(NAME_CASES[_i].kind, NAME_CASES[_i].group, NAME_CASES[_i].name,
                               NAME_CASES[_i].uid, out, &err);
    if (NAME_CASES[_i].want) {
        ck_assert_msg(rc == RG_OK, "case %d: %s", _i, rg_error_str(&err));
        ck_assert_str_eq(out, NAME_CASES[_i].want);
        ck_assert_uint_le(strlen(out), JOB_WORKLOAD_NAME_MAX);
    } else {
        ck_assert_int_eq(rc, RG_ERR_INVAL);
        ck_assert_msg(strstr(rg_error_str(&err), NAME_CASES[_i].err) != NULL, "case %d: %s", _i,
                      rg_error_str(&err));
    }
}
END_TEST

/* ---- podSets ---- */

static const char *const POD_SET_CASES[] = {
    "kueue-basic.json",
    "kueue-multiple-groups.json",
    "kueue-numofhosts.json",
    "kueue-gcs-ft.json",
    "kueue-gcs-ft-annotation.json",
    "kueue-gcs-ft-no-container.json",
    "gcs-ft-limits-only.json",
    "kueue-autoscaler-default.json",
    "kueue-autoscaler-resources.json",
    "kueue-rayjob-default-submitter.json",
    "kueue-rayjob-submitter-template.json",
    "kueue-rayjob-sidecar.json",
    "kueue-rayjob-gcs-ft.json",
    "seed-ai-training-cluster.json",
    "seed-ray-cluster.json",
    "seed-high-availability-cluster.json",
    "clamped-and-suspended-groups.json",
    "multi-host-tpu.json",
    "template-metadata-and-env.json",
    "err-rayjob-cluster-selector.json",
    "err-rayjob-no-cluster-spec.json",
    "err-rayjob-submission-mode.json",
    "err-too-many-groups.json",
    "err-rayjob-submitter-19th.json",
    "err-group-named-head.json",
    "err-group-name-case-duplicate.json",
    "err-group-name-invalid.json",
    "err-bad-quantity.json",
    "err-bad-types-replicas.json",
    "err-bad-types-template.json",
    "err-bad-types-env.json",
    "err-bad-types-template-metadata.json",
    "err-not-ray.json",
    "err-no-uid.json",
    "err-autoscaler-bad-quantity.json",
};

static int pod_sets_case(const cJSON *fx, const cJSON *owner, cJSON **out, rg_error_t *err)
{
    (void)fx;
    return job_pod_sets(owner, out, err);
}

START_TEST(test_jobs__pod_sets)
{
    fixture_case("jobs/podsets", POD_SET_CASES[_i], pod_sets_case, "podSets");
}
END_TEST

/* ---- The Workload ---- */

static const char *const WORKLOAD_CASES[] = {
    "seed-ai-training-cluster.json",
    "seed-ray-cluster-default-queue.json",
    "seed-auto-scaling-cluster-wpc.json",
    "rayjob-sample-pod-priority.json",
    "rayjob-global-default-and-max-exec.json",
    "raycluster-provreq-annotations.json",
    "err-seed-ray-cluster-no-queue.json",
    "err-created-by-rayjob.json",
    "err-created-by-rayjob-label.json",
    "err-rayjob-cluster-selector.json",
    "err-unknown-wpc.json",
    "err-unknown-pod-priority-class.json",
    "err-lookup-fails.json",
    "err-bad-queue-name.json",
};

static int workload_case(const cJSON *fx, const cJSON *owner, cJSON **out, rg_error_t *err)
{
    job_workload_opts_t opts = {
        .priority = lookup_class,
        .priority_ctx = (void *)rg_json_get(fx, "classes"),
        .default_queue_exists = cJSON_IsTrue(rg_json_get(fx, "defaultQueue")),
    };
    int rc = job_workload_build(owner, &opts, out, err);
    if (rc == RG_OK) { /* the Workload's own podSets are job_pod_sets' */
        cJSON *sets = NULL;
        ck_assert_int_eq(job_pod_sets(owner, &sets, err), RG_OK);
        expect_json(rg_json_path(*out, "spec", "podSets", NULL), sets, "podSets");
        cJSON_Delete(sets);
    }
    return rc;
}

START_TEST(test_jobs__workload_build)
{
    fixture_case("jobs/workload", WORKLOAD_CASES[_i], workload_case, "workload");
}
END_TEST

/* Kueue's ExtractPriority precedence, one owner per row. */
static const struct {
    const char *owner, *classes;
    job_prio_source_t source;
    const char *name;
    int value;
    const char *err;
} PRIORITY_CASES[] = {
#define RC(labels, headspec)                                                                       \
    "{'apiVersion':'ray.io/v1','kind':'RayCluster','metadata':{'name':'c','namespace':'n',"        \
    "'uid':'u','labels':{" labels "}},'spec':{'headGroupSpec':{'template':{'spec':{" headspec      \
    "'containers':[{'name':'h'}]}}},'workerGroupSpecs':[{'groupName':'w','replicas':1,"            \
    "'template':{'spec':{'priorityClassName':'worker-pc','containers':[{'name':'w'}]}}}]}}"
#define CLASSES                                                                                    \
    "[{'kind':'WorkloadPriorityClass','name':'ai-high-priority','value':1000},"                    \
    "{'kind':'PriorityClass','name':'head-pc','value':50},"                                        \
    "{'kind':'PriorityClass','name':'worker-pc','value':20},"                                      \
    "{'kind':'PriorityClass','name':'low-default','value':-5,'globalDefault':true},"               \
    "{'kind':'PriorityClass','name':'high-default','value':7,'globalDefault':true}]"
    /* The label wins over every template. */
    {RC("'kueue.x-k8s.io/priority-class':'ai-high-priority'", "'priorityClassName':'head-pc',"),
     CLASSES, JOB_PRIO_WORKLOAD_CLASS, "ai-high-priority", 1000, NULL},
    /* Then the first template in podSet order: the head's. */
    {RC("", "'priorityClassName':'head-pc',"), CLASSES, JOB_PRIO_POD_CLASS, "head-pc", 50, NULL},
    /* The head has none: the worker group's. */
    {RC("", ""), CLASSES, JOB_PRIO_POD_CLASS, "worker-pc", 20, NULL},
    /* An empty label counts as no label. */
    {RC("'kueue.x-k8s.io/priority-class':''", ""), CLASSES, JOB_PRIO_POD_CLASS, "worker-pc", 20,
     NULL},
    /* A WorkloadPriorityClass name is not looked up among PriorityClasses. */
    {RC("'kueue.x-k8s.io/priority-class':'head-pc'", ""), CLASSES, JOB_PRIO_NONE, "", 0,
     "metadata.labels[kueue.x-k8s.io/priority-class]: Not found: \"head-pc\": no "
     "WorkloadPriorityClass of that name"},
    {RC("", "'priorityClassName':7,"), CLASSES, JOB_PRIO_NONE, "", 0,
     "spec.headGroupSpec.template.spec.priorityClassName: Invalid value: \"number\""},
#undef RC
};

START_TEST(test_jobs__priority)
{
    cJSON *owner = sq(PRIORITY_CASES[_i].owner);
    cJSON *classes = sq(PRIORITY_CASES[_i].classes);
    job_priority_t p;
    rg_error_t err = {0};
    int rc = job_priority_resolve(owner, lookup_class, classes, &p, &err);
    if (PRIORITY_CASES[_i].err) {
        ck_assert_int_lt(rc, 0);
        ck_assert_msg(strstr(rg_error_str(&err), PRIORITY_CASES[_i].err) != NULL, "case %d: %s", _i,
                      rg_error_str(&err));
    } else {
        ck_assert_msg(rc == RG_OK, "case %d: %s", _i, rg_error_str(&err));
        ck_assert_int_eq(p.source, PRIORITY_CASES[_i].source);
        ck_assert_str_eq(p.name, PRIORITY_CASES[_i].name);
        ck_assert_int_eq(p.value, PRIORITY_CASES[_i].value);
    }
    cJSON_Delete(owner);
    cJSON_Delete(classes);
}
END_TEST

/* No template names a class: the lowest global default, else nothing. */
START_TEST(test_jobs__priority_defaults)
{
    cJSON *owner = sq("{'apiVersion':'ray.io/v1','kind':'RayCluster','metadata':{'name':'c',"
                      "'namespace':'n','uid':'u'},'spec':{'headGroupSpec':{'template':{'spec':"
                      "{'containers':[{'name':'h'}]}}}}}");
    cJSON *with = sq(CLASSES);
    cJSON *without = sq("[{'kind':'PriorityClass','name':'x','value':3}]");
    job_priority_t p;
    rg_error_t err = {0};
    ck_assert_int_eq(job_priority_resolve(owner, lookup_class, with, &p, &err), RG_OK);
    ck_assert_int_eq(p.source, JOB_PRIO_POD_CLASS);
    ck_assert_str_eq(p.name, "low-default");
    ck_assert_int_eq(p.value, -5);
    ck_assert_int_eq(job_priority_resolve(owner, lookup_class, without, &p, &err), RG_OK);
    ck_assert_int_eq(p.source, JOB_PRIO_NONE);
    ck_assert_str_eq(p.name, "");
    ck_assert_int_eq(p.value, 0);
    ck_assert_int_eq(job_priority_resolve(owner, NULL, without, &p, &err), RG_ERR_INVAL);
    cJSON_Delete(owner);
    cJSON_Delete(with);
    cJSON_Delete(without);
}
END_TEST
#undef CLASSES

/* ---- Equivalence ---- */

static const char *const CHECK_CASES[] = {
    "same.json",
    "same-kueue-written.json",
    "same-quantities-respelled.json",
    "count-changed-suspended.json",
    "count-changed-reserved.json",
    "count-changed-running.json",
    "container-changed.json",
    "name-changed.json",
    "podsets-added.json",
    "other-owner-uid.json",
    "max-exec-changed.json",
    "tolerations-ignored-once-admitted.json",
    "tolerations-from-flavor-while-reserved.json",
    "tolerations-differ-not-admitted.json",
    "reserved-suspended-fallback.json",
    "err-workload-not-object.json",
};

START_TEST(test_jobs__workload_check)
{
    cJSON *fx = fixture("jobs/check", CHECK_CASES[_i]);
    cJSON *owner = case_owner(fx);
    job_wl_action_t action;
    char why[256];
    rg_error_t err = {0};
    int rc =
        job_workload_check(owner, rg_json_get(fx, "workload"), lookup_flavor,
                           (void *)rg_json_get(fx, "flavors"), &action, why, sizeof(why), &err);
    if (rg_json_get(fx, "error")) {
        expect_error(rc, &err, fx, CHECK_CASES[_i]);
    } else {
        static const char *const names[] = {"Keep", "Update", "Recreate"};
        ck_assert_msg(rc == RG_OK, "%s: %s", CHECK_CASES[_i], rg_error_str(&err));
        ck_assert_msg(strcmp(names[action], rg_json_get_string(fx, "action")) == 0,
                      "%s: action %s (%s)", CHECK_CASES[_i], names[action], why);
        ck_assert_msg(strcmp(why, rg_json_get_string(fx, "why")) == 0, "%s: why \"%s\"",
                      CHECK_CASES[_i], why);
    }
    cJSON_Delete(owner);
    cJSON_Delete(fx);
}
END_TEST

/* updateWorkloadToMatchJob: the new spec, the old spec.active, the rest kept. */
START_TEST(test_jobs__workload_update)
{
    cJSON *existing = sq("{'metadata':{'name':'w','resourceVersion':'7'},'spec':{'active':false,"
                         "'queueName':'q','podSets':[{'name':'head','count':1}]},"
                         "'status':{'conditions':[]}}");
    cJSON *fresh = sq("{'metadata':{'name':'w'},'spec':{'active':true,'queueName':'q',"
                      "'podSets':[{'name':'head','count':1},{'name':'w','count':4}],"
                      "'priority':0}}");
    cJSON *want = sq("{'metadata':{'name':'w','resourceVersion':'7'},'status':{'conditions':[]},"
                     "'spec':{'queueName':'q','podSets':[{'name':'head','count':1},{'name':'w',"
                     "'count':4}],'priority':0,'active':false}}");
    cJSON *out = NULL;
    rg_error_t err = {0};
    ck_assert_int_eq(job_workload_update(existing, fresh, &out, &err), RG_OK);
    expect_json(out, want, "update");
    cJSON_Delete(out);
    /* No spec.active on the existing one: none on the update either. */
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(existing, "spec"),
                                            "active");
    ck_assert_int_eq(job_workload_update(existing, fresh, &out, &err), RG_OK);
    ck_assert_ptr_null(rg_json_path(out, "spec", "active", NULL));
    cJSON_Delete(out);
    cJSON *no_spec = sq("{'metadata':{'name':'w'}}");
    ck_assert_int_eq(job_workload_update(existing, no_spec, &out, &err), RG_ERR_TYPE);
    cJSON_Delete(no_spec);
    ck_assert_ptr_null(out);
    cJSON_Delete(existing);
    cJSON_Delete(fresh);
    cJSON_Delete(want);
}
END_TEST

/* ---- Run and stop ---- */

static const char *const RUN_CASES[] = {
    "kueue-admitted-unsuspended.json",
    "kueue-numofhosts.json",
    "seed-ai-training-cluster-gpu-flavor.json",
    "rayjob-default-submitter.json",
    "rayjob-submitter-template.json",
    "rayjob-null-submitter-template.json",
    "admission-check-updates.json",
    "flavor-tolerations-deduplicated.json",
    "cluster-queue-not-a-label.json",
    "err-node-selector-conflict.json",
    "err-flavors-disagree.json",
    "err-admission-check-conflict.json",
    "err-unknown-flavor.json",
    "err-flavor-lookup-fails.json",
    "err-not-admitted.json",
    "err-other-owner.json",
    "err-podsets-misaligned.json",
    "err-no-resource-version.json",
    "err-bad-flavor-types.json",
    "err-bad-assignments-type.json",
};

static int run_case(const cJSON *fx, const cJSON *owner, cJSON **out, rg_error_t *err)
{
    return job_run_patch(owner, rg_json_get(fx, "workload"), lookup_flavor,
                         (void *)rg_json_get(fx, "flavors"), out, err);
}

START_TEST(test_jobs__run_patch)
{
    fixture_case("jobs/run", RUN_CASES[_i], run_case, "patch");
}
END_TEST

static const char *const STOP_CASES[] = {
    "kueue-evicted-restore-node-selector.json",
    "restore-after-run.json",
    "rayjob-restore-with-submitter.json",
    "no-workload.json",
    "misaligned-skips-restore.json",
    "err-other-owner.json",
};

static int stop_case(const cJSON *fx, const cJSON *owner, cJSON **out, rg_error_t *err)
{
    bool restored = true;
    int rc = job_stop_patch(owner, rg_json_get(fx, "workload"), out, &restored, err);
    if (rc == RG_OK)
        ck_assert_int_eq(restored, cJSON_IsTrue(rg_json_get(fx, "restored")));
    return rc;
}

START_TEST(test_jobs__stop_patch)
{
    fixture_case("jobs/stop", STOP_CASES[_i], stop_case, "patch");
}
END_TEST

/*
 * A RayCluster run then stopped comes back to its original spec: applying
 * both merge patches (RFC 7386, by a tiny applier here) is the identity on
 * spec, for the seed's cluster with a GPU flavor.
 */
static void merge_apply(cJSON *target, const cJSON *patch)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, patch)
    {
        cJSON *t = cJSON_GetObjectItemCaseSensitive(target, p->string);
        if (cJSON_IsNull(p)) {
            cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
        } else if (cJSON_IsObject(p) && cJSON_IsObject(t)) {
            merge_apply(t, p);
        } else {
            cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
            cJSON *v = cJSON_Duplicate(p, 1);
            if (cJSON_IsObject(v)) { /* nulls inside a new object mean absent */
                cJSON *fresh = cJSON_CreateObject();
                merge_apply(fresh, v);
                cJSON_Delete(v);
                v = fresh;
            }
            cJSON_AddItemToObject(target, p->string, v);
        }
    }
}

START_TEST(test_jobs__run_then_stop_round_trip)
{
    cJSON *fx = fixture("jobs/run", "seed-ai-training-cluster-gpu-flavor.json");
    cJSON *owner = case_owner(fx);
    const cJSON *wl = rg_json_get(fx, "workload");
    cJSON *run = NULL, *stop = NULL;
    rg_error_t err = {0};
    ck_assert_int_eq(
        job_run_patch(owner, wl, lookup_flavor, (void *)rg_json_get(fx, "flavors"), &run, &err),
        RG_OK);
    cJSON *running = cJSON_Duplicate(owner, 1);
    merge_apply(running, run);
    bool restored = false;
    ck_assert_int_eq(job_stop_patch(running, wl, &stop, &restored, &err), RG_OK);
    ck_assert(restored);
    cJSON *stopped = cJSON_Duplicate(running, 1);
    merge_apply(stopped, stop);
    cJSON *want = cJSON_Duplicate(rg_json_get(owner, "spec"), 1);
    cJSON_DeleteItemFromObjectCaseSensitive(want, "suspend");
    cJSON_AddTrueToObject(want, "suspend");
    expect_json(rg_json_get(stopped, "spec"), want, "spec after run and stop");
    ck_assert_str_eq(rg_json_get_string(rg_json_path(stopped, "metadata", "annotations", NULL),
                                        JOB_ANNOTATION_ADMISSION),
                     "Pending");
    ck_assert_ptr_null(rg_json_get(rg_json_path(stopped, "metadata", "annotations", NULL),
                                   JOB_ANNOTATION_CLUSTER_QUEUE));
    /* While running, the Workload still matches: admitted, tolerations aside. */
    job_wl_action_t action;
    char why[256];
    ck_assert_int_eq(job_workload_check(running, wl, lookup_flavor,
                                        (void *)rg_json_get(fx, "flavors"), &action, why,
                                        sizeof(why), &err),
                     RG_OK);
    ck_assert_msg(action == JOB_WL_KEEP, "%s", why);
    cJSON_Delete(want);
    cJSON_Delete(stopped);
    cJSON_Delete(running);
    cJSON_Delete(stop);
    cJSON_Delete(run);
    cJSON_Delete(owner);
    cJSON_Delete(fx);
}
END_TEST

/* ---- podset.Merge / RestorePodSpec (Kueue's TestMergeRestore) ---- */

#define BASE_TEMPLATE                                                                              \
    "{'metadata':{'labels':{'l0':'l0v'},'annotations':{'a0':'a0v'}},'spec':{'nodeSelector':"       \
    "{'ns0':'ns0v'},'tolerations':[{'key':'t0','operator':'Equal','value':'t0v','effect':"         \
    "'NoSchedule'}]}}"
#define BASE_TEMPLATE_NO_OP                                                                        \
    "{'metadata':{'labels':{'l0':'l0v'},'annotations':{'a0':'a0v'}},'spec':{'nodeSelector':"       \
    "{'ns0':'ns0v'},'tolerations':[{'key':'t0','value':'t0v','effect':'NoSchedule'}]}}"

static const struct {
    const char *name, *tmpl;
    const char *labels, *annotations, *node_selector, *tolerations; /* info; NULL = none */
    const char *want;                                               /* NULL: conflict */
} MERGE_CASES[] = {
    {"empty info", BASE_TEMPLATE, NULL, NULL, NULL, NULL, BASE_TEMPLATE},
    {"no conflicts", BASE_TEMPLATE, "{'l1':'l1v'}", "{'a1':'a1v'}", "{'ns1':'ns1v'}",
     "[{'key':'t1','operator':'Equal','value':'t1v','effect':'NoSchedule'}]",
     "{'metadata':{'labels':{'l0':'l0v','l1':'l1v'},'annotations':{'a0':'a0v','a1':'a1v'}},"
     "'spec':{'nodeSelector':{'ns0':'ns0v','ns1':'ns1v'},'tolerations':[{'key':'t0','operator':"
     "'Equal','value':'t0v','effect':'NoSchedule'},{'key':'t1','operator':'Equal','value':'t1v',"
     "'effect':'NoSchedule'}]}}"},
    {"don't duplicate tolerations", BASE_TEMPLATE, "{'l1':'l1v'}", "{'a1':'a1v'}", "{'ns1':'ns1v'}",
     "[{'key':'t0','operator':'Equal','value':'t0v','effect':'NoSchedule'}]",
     "{'metadata':{'labels':{'l0':'l0v','l1':'l1v'},'annotations':{'a0':'a0v','a1':'a1v'}},"
     "'spec':{'nodeSelector':{'ns0':'ns0v','ns1':'ns1v'},'tolerations':[{'key':'t0','operator':"
     "'Equal','value':'t0v','effect':'NoSchedule'}]}}"},
    {"empty vs Equal operator", BASE_TEMPLATE, NULL, NULL, NULL,
     "[{'key':'t0','value':'t0v','effect':'NoSchedule'}]", BASE_TEMPLATE},
    {"Equal vs empty operator", BASE_TEMPLATE_NO_OP, NULL, NULL, NULL,
     "[{'key':'t0','operator':'Equal','value':'t0v','effect':'NoSchedule'}]", BASE_TEMPLATE_NO_OP},
    {"conflicting label", BASE_TEMPLATE, "{'l0':'l0v1'}", NULL, NULL, NULL, NULL},
    {"conflicting annotation", BASE_TEMPLATE, NULL, "{'a0':'a0v1'}", NULL, NULL, NULL},
    {"conflicting node selector", BASE_TEMPLATE, NULL, NULL, "{'ns0':'ns0v1'}", NULL, NULL},
    {"empty template", "{}", "{'l':'v'}", NULL, "{'n':'v'}", NULL,
     "{'metadata':{'labels':{'l':'v'}},'spec':{'nodeSelector':{'n':'v'}}}"},
};

START_TEST(test_jobs__template_merge_restore)
{
    cJSON *tmpl = sq(MERGE_CASES[_i].tmpl);
    cJSON *orig = cJSON_Duplicate(tmpl, 1);
    job__info_t info = {0};
    rg_error_t err = {0};
    cJSON *l = MERGE_CASES[_i].labels ? sq(MERGE_CASES[_i].labels) : NULL;
    cJSON *a = MERGE_CASES[_i].annotations ? sq(MERGE_CASES[_i].annotations) : NULL;
    cJSON *n = MERGE_CASES[_i].node_selector ? sq(MERGE_CASES[_i].node_selector) : NULL;
    cJSON *t = MERGE_CASES[_i].tolerations ? sq(MERGE_CASES[_i].tolerations) : NULL;
    ck_assert_int_eq(job__info_add_map(&info, "labels", l, "test info", "l", &err), RG_OK);
    ck_assert_int_eq(job__info_add_map(&info, "annotations", a, "test info", "a", &err), RG_OK);
    ck_assert_int_eq(job__info_add_map(&info, "nodeSelector", n, "test info", "n", &err), RG_OK);
    ck_assert_int_eq(job__info_add_tolerations(&info, t, "test info", &err), RG_OK);
    int rc = job__template_merge(tmpl, "tmpl", &info, &err);
    if (MERGE_CASES[_i].want == NULL) {
        ck_assert_int_eq(rc, RG_ERR_CONFLICT);
        ck_assert_msg(strstr(rg_error_str(&err), "conflicts with") != NULL &&
                          strstr(rg_error_str(&err), "from test info") != NULL,
                      "%s: %s", MERGE_CASES[_i].name, rg_error_str(&err));
    } else {
        ck_assert_msg(rc == RG_OK, "%s: %s", MERGE_CASES[_i].name, rg_error_str(&err));
        cJSON *want = sq(MERGE_CASES[_i].want);
        expect_json(tmpl, want, MERGE_CASES[_i].name);
        cJSON_Delete(want);
        /* RestorePodSpec with the original brings it back. */
        job__template_restore(tmpl, orig);
        if (cJSON_GetArraySize(rg_json_get(orig, "metadata")) == 0)
            cJSON_DeleteItemFromObjectCaseSensitive(orig, "metadata");
        cJSON *orig_spec = cJSON_GetObjectItemCaseSensitive(orig, "spec");
        if (orig_spec == NULL)
            cJSON_AddObjectToObject(orig, "spec");
        expect_json(tmpl, orig, "restored");
    }
    job__info_release(&info);
    cJSON_Delete(l);
    cJSON_Delete(a);
    cJSON_Delete(n);
    cJSON_Delete(t);
    cJSON_Delete(tmpl);
    cJSON_Delete(orig);
}
END_TEST

/* ---- Semantic equality (Go's equality.Semantic.DeepEqual on decoded JSON) ---- */

static const struct {
    const char *a, *b;
    bool equal;
    const char *why;
} SEMANTIC_CASES[] = {
    {"[{'name':'c','resources':{'requests':{'cpu':'1'}}}]",
     "[{'name':'c','resources':{'requests':{'cpu':'1000m'}}}]", true, ""},
    {"[{'name':'c','resources':{'limits':{'memory':'1Gi'}}}]",
     "[{'name':'c','resources':{'limits':{'memory':1073741824}}}]", true, ""},
    {"[{'name':'c','resources':{'requests':{'cpu':'1'}}}]",
     "[{'name':'c','resources':{'requests':{'cpu':'2'}}}]", false, "x[0].resources.requests[cpu]"},
    /* Zero values and absence are alike (omitempty round trips). */
    {"[{'name':'c','ports':[],'stdin':false,'env':null,'resources':{}}]", "[{'name':'c'}]", true,
     ""},
    {"[{'name':'c','env':[{'name':'A','value':'1'}]}]",
     "[{'name':'c','env':[{'name':'A','value':'1e0'}]}]", false, "x[0].env[0].value"},
    /* Divisors are quantities too. */
    {"[{'env':[{'valueFrom':{'resourceFieldRef':{'resource':'limits.cpu','divisor':'1m'}}}]}]",
     "[{'env':[{'valueFrom':{'resourceFieldRef':{'resource':'limits.cpu','divisor':'0.001'}}}]}]",
     true, ""},
    {"[{'name':'a'},{'name':'b'}]", "[{'name':'a'}]", false, "x"},
    {"[{'name':'a','image':'i'}]", "[{'name':'a'}]", false, "x[0].image"},
    {"[{'name':'a'}]", "[{'name':'a','image':'i'}]", false, "x[0].image"},
};

START_TEST(test_jobs__semantic_equal)
{
    cJSON *a = sq(SEMANTIC_CASES[_i].a);
    cJSON *b = sq(SEMANTIC_CASES[_i].b);
    char why[256] = "";
    bool eq = job__semantic_equal(a, b, "x", why, sizeof(why));
    ck_assert_msg(eq == SEMANTIC_CASES[_i].equal, "case %d", _i);
    ck_assert_msg(strcmp(why, SEMANTIC_CASES[_i].why) == 0, "case %d: why %s", _i, why);
    ck_assert_int_eq(job__semantic_equal(b, a, "x", NULL, 0), SEMANTIC_CASES[_i].equal);
    cJSON_Delete(a);
    cJSON_Delete(b);
}
END_TEST

/* ---- Owner state ---- */

#define RAYJOB_STATUS(s)                                                                           \
    "{'apiVersion':'ray.io/v1','kind':'RayJob','metadata':{'name':'j'},'status':{" s "}}"

/* Kueue's Test_RayJobFinished and Test_RayJobIsOnHold rows, and more. */
static const struct {
    const char *obj;
    bool finished, success, on_hold, active;
    const char *reason, *message;
} FINISHED_CASES[] = {
    {RAYJOB_STATUS("'jobStatus':'RUNNING','jobDeploymentStatus':'Running'"), false, false, false,
     true, NULL, ""},
    {RAYJOB_STATUS("'jobStatus':'SUCCEEDED','jobDeploymentStatus':'Complete','message':'done'"),
     true, true, false, true, "Succeeded", "done"},
    {RAYJOB_STATUS("'jobStatus':'FAILED','jobDeploymentStatus':'Complete'"), true, false, false,
     true, "Failed", ""},
    {RAYJOB_STATUS("'jobStatus':'FAILED','jobDeploymentStatus':'Failed'"), true, false, false, true,
     "Failed", ""},
    /* activeDeadlineSeconds exceeded. */
    {RAYJOB_STATUS("'jobStatus':'RUNNING','jobDeploymentStatus':'Failed','message':'The RayJob "
                   "has passed the activeDeadlineSeconds'"),
     true, false, false, true, "Failed", "The RayJob has passed the activeDeadlineSeconds"},
    {RAYJOB_STATUS("'jobDeploymentStatus':'ValidationFailed'"), false, false, true, true, NULL, ""},
    {RAYJOB_STATUS("'jobDeploymentStatus':'Suspended'"), false, false, false, false, NULL, ""},
    {RAYJOB_STATUS(""), false, false, false, false, NULL, ""},
    /* A RayCluster never finishes, whatever its state. */
    {"{'apiVersion':'ray.io/v1','kind':'RayCluster','status':{'state':'failed','reason':'x'}}",
     false, false, false, false, NULL, ""},
    {"{'apiVersion':'ray.io/v1','kind':'RayCluster','status':{'state':'ready'}}", false, false,
     false, true, NULL, ""},
};

START_TEST(test_jobs__finished)
{
    cJSON *obj = sq(FINISHED_CASES[_i].obj);
    job_finish_t f;
    rg_error_t err = {0};
    ck_assert_int_eq(job_finished(obj, &f, &err), RG_OK);
    ck_assert_int_eq(f.finished, FINISHED_CASES[_i].finished);
    ck_assert_int_eq(f.success, FINISHED_CASES[_i].success);
    if (FINISHED_CASES[_i].reason)
        ck_assert_str_eq(f.reason, FINISHED_CASES[_i].reason);
    else
        ck_assert_ptr_null(f.reason);
    ck_assert_str_eq(f.message, FINISHED_CASES[_i].message);
    ck_assert_int_eq(job_on_hold(obj), FINISHED_CASES[_i].on_hold);
    ck_assert_int_eq(job_active(obj), FINISHED_CASES[_i].active);
    cJSON_Delete(obj);
}
END_TEST

typedef enum reader { PODS_READY, CREATED_BY_RAYJOB, EXISTING_CLUSTER } reader_t;

static const struct {
    const char *obj;
    reader_t reader;
    bool want;
} READER_CASES[] = {
    {"{'apiVersion':'ray.io/v1','kind':'RayCluster','status':{'state':'ready'}}", PODS_READY, true},
    {"{'apiVersion':'ray.io/v1','kind':'RayCluster','status':{'state':'suspended'}}", PODS_READY,
     false},
    {RAYJOB_STATUS("'rayClusterStatus':{'state':'ready'}"), PODS_READY, true},
    {RAYJOB_STATUS("'rayClusterStatus':{'state':7}"), PODS_READY, false},
    {"{'apiVersion':'ray.io/v1','kind':'RayCluster','metadata':{'ownerReferences':[{'apiVersion':"
     "'ray.io/v1','kind':'RayJob','name':'j','uid':'u','controller':true}]}}",
     CREATED_BY_RAYJOB, true},
    {"{'apiVersion':'ray.io/v1','kind':'RayCluster','metadata':{'ownerReferences':[{'apiVersion':"
     "'ray.io/v1','kind':'RayJob','name':'j','uid':'u'}]}}",
     CREATED_BY_RAYJOB, false},
    {"{'apiVersion':'ray.io/v1','kind':'RayCluster','metadata':{'labels':{"
     "'ray.io/originated-from-crd':'RayJob'}}}",
     CREATED_BY_RAYJOB, true},
    {"{'apiVersion':'ray.io/v1','kind':'RayCluster','metadata':{'labels':{"
     "'ray.io/originated-from-crd':'RayService'}}}",
     CREATED_BY_RAYJOB, false},
    {"{'apiVersion':'ray.io/v1','kind':'RayJob','metadata':{'labels':{"
     "'ray.io/originated-from-crd':'RayJob'}}}",
     CREATED_BY_RAYJOB, false},
    {"{'apiVersion':'ray.io/v1','kind':'RayJob','spec':{'clusterSelector':{'ray.io/cluster':"
     "'c'}}}",
     EXISTING_CLUSTER, true},
    {"{'apiVersion':'ray.io/v1','kind':'RayJob','spec':{'clusterSelector':{}}}", EXISTING_CLUSTER,
     false},
    {"{'apiVersion':'ray.io/v1','kind':'RayJob','spec':{'clusterSelector':'c'}}", EXISTING_CLUSTER,
     false},
};

START_TEST(test_jobs__readers)
{
    cJSON *obj = sq(READER_CASES[_i].obj);
    bool got = false;
    switch (READER_CASES[_i].reader) {
    case PODS_READY: got = job_pods_ready(obj); break;
    case CREATED_BY_RAYJOB: got = job_created_by_rayjob(obj); break;
    case EXISTING_CLUSTER: got = job_uses_existing_cluster(obj); break;
    }
    ck_assert_msg(got == READER_CASES[_i].want, "case %d", _i);
    cJSON_Delete(obj);
}
END_TEST

/* Queue name, suspend, gang name and bad status types. */
START_TEST(test_jobs__owner_state)
{
    cJSON *rc = sq("{'apiVersion':'ray.io/v1','kind':'RayCluster','metadata':{'name':'c',"
                   "'labels':{'kueue.x-k8s.io/queue-name':'ray-queue'}},'spec':{'suspend':true}}");
    cJSON *bare = sq("{'apiVersion':'ray.io/v1','kind':'RayCluster','metadata':{'name':'c',"
                     "'labels':{'kueue.x-k8s.io/queue-name':''}},'spec':{'suspend':'yes'}}");
    cJSON *rj = sq(RAYJOB_STATUS("'rayClusterName':'j-raycluster-x7k2p'"));
    cJSON *rj_new = sq(RAYJOB_STATUS("'jobStatus':3"));
    ck_assert_str_eq(job_queue_name(rc, false), "ray-queue");
    ck_assert_str_eq(job_queue_name(rc, true), "ray-queue");
    ck_assert_ptr_null(job_queue_name(bare, false));
    ck_assert_str_eq(job_queue_name(bare, true), "default");
    bool s = false;
    rg_error_t err = {0};
    ck_assert_int_eq(job_suspended(rc, &s, &err), RG_OK);
    ck_assert(s);
    ck_assert_int_eq(job_suspended(bare, &s, &err), RG_ERR_TYPE);
    ck_assert_str_eq(rg_error_str(&err), "spec.suspend: Invalid value: \"string\": must be a "
                                         "boolean");
    ck_assert_int_eq(job_suspended(rj, &s, &err), RG_OK);
    ck_assert(!s);
    ck_assert_str_eq(job_gang_cluster_name(rc), "c");
    ck_assert_str_eq(job_gang_cluster_name(rj), "j-raycluster-x7k2p");
    ck_assert_ptr_null(job_gang_cluster_name(rj_new));
    ck_assert_ptr_null(job_gang_cluster_name(NULL));
    job_finish_t f;
    ck_assert_int_eq(job_finished(rj_new, &f, &err), RG_ERR_TYPE);
    ck_assert_str_eq(rg_error_str(&err), "status.jobStatus: Invalid value: \"number\": must be a "
                                         "string");
    ck_assert_int_eq(job_finished(NULL, &f, &err), RG_ERR_INVAL);
    ck_assert_int_eq(job_kind_of(rc), JOB_KIND_RAYCLUSTER);
    ck_assert_int_eq(job_kind_of(rj), JOB_KIND_RAYJOB);
    cJSON_Delete(rc);
    cJSON_Delete(bare);
    cJSON_Delete(rj);
    cJSON_Delete(rj_new);
}
END_TEST

/* The Finished condition as Kueue's workloadfinish.Finish writes it. */
START_TEST(test_jobs__finished_condition)
{
    cJSON *wl = sq("{'metadata':{'name':'w','generation':3}}");
    cJSON *c = NULL;
    rg_error_t err = {0};
    /* 2026-12-04T10:20:30.5Z: metav1.Time keeps whole seconds. */
    int64_t now = 1796379630LL * 1000000000LL + 500000000LL;
    ck_assert_int_eq(job_finished_condition(wl, JOB_FINISHED_SUCCEEDED,
                                            "Job finished "
                                            "successfully",
                                            now, &c, &err),
                     RG_OK);
    cJSON *want = sq("{'type':'Finished','status':'True','observedGeneration':3,"
                     "'lastTransitionTime':'2026-12-04T10:20:30Z','reason':'Succeeded',"
                     "'message':'Job finished successfully'}");
    expect_json(c, want, "condition");
    cJSON_Delete(c);
    cJSON_Delete(want);
    /* Messages longer than 32 KiB are cut with " ...". */
    char *big = rg_malloc(40000);
    memset(big, 'x', 39999);
    big[39999] = '\0';
    ck_assert_int_eq(job_finished_condition(wl, JOB_FINISHED_FAILED_TO_START, big, now, &c, &err),
                     RG_OK);
    const char *msg = rg_json_get_string(c, "message");
    ck_assert_uint_eq(strlen(msg), 32 * 1024);
    ck_assert_str_eq(msg + strlen(msg) - 4, " ...");
    cJSON_Delete(c);
    rg_free(big);
    ck_assert_int_eq(job_finished_condition(wl, "Done", "", now, &c, &err), RG_ERR_INVAL);
    ck_assert_ptr_null(c);
    cJSON_Delete(wl);
    wl = sq("{'metadata':{'generation':'3'}}");
    ck_assert_int_eq(job_finished_condition(wl, JOB_FINISHED_FAILED, "", now, &c, &err),
                     RG_ERR_TYPE);
    cJSON_Delete(wl);
}
END_TEST

static Suite *jobs_suite(void)
{
#define N(a) (int)(sizeof(a) / sizeof((a)[0]))
    Suite *s = suite_create("jobs");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_jobs__sha1, 0, N(SHA1_CASES));
    tcase_add_loop_test(tc, test_jobs__workload_name, 0, N(NAME_CASES));
    tcase_add_loop_test(tc, test_jobs__pod_sets, 0, N(POD_SET_CASES));
    tcase_add_loop_test(tc, test_jobs__workload_build, 0, N(WORKLOAD_CASES));
    tcase_add_loop_test(tc, test_jobs__priority, 0, N(PRIORITY_CASES));
    tcase_add_test(tc, test_jobs__priority_defaults);
    tcase_add_loop_test(tc, test_jobs__workload_check, 0, N(CHECK_CASES));
    tcase_add_test(tc, test_jobs__workload_update);
    tcase_add_loop_test(tc, test_jobs__run_patch, 0, N(RUN_CASES));
    tcase_add_loop_test(tc, test_jobs__stop_patch, 0, N(STOP_CASES));
    tcase_add_test(tc, test_jobs__run_then_stop_round_trip);
    tcase_add_loop_test(tc, test_jobs__template_merge_restore, 0, N(MERGE_CASES));
    tcase_add_loop_test(tc, test_jobs__semantic_equal, 0, N(SEMANTIC_CASES));
    tcase_add_loop_test(tc, test_jobs__finished, 0, N(FINISHED_CASES));
    tcase_add_loop_test(tc, test_jobs__readers, 0, N(READER_CASES));
    tcase_add_test(tc, test_jobs__owner_state);
    tcase_add_test(tc, test_jobs__finished_condition);
    suite_add_tcase(s, tc);
    return s;
#undef N
}

int main(void)
{
    return rgt_run_suite(jobs_suite());
}

/*
 * Kueue's job-framework rules that every integrated job kind shares
 * (pkg/controller/jobframework/validation.go, v0.19), for the Ray kinds:
 * the labels and annotations Kueue reads off a job (queue name, maximum
 * execution time, WorkloadPriorityClass, elastic job) on CREATE and UPDATE.
 */
#include "raygate/validate.h"
#include "raygate/webhooks.h"

#include "kueue_internal.h"
#include "ray_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_PATH(key) "metadata.labels[" key "]"
#define QUEUE_PATH LABEL_PATH(WH_LABEL_QUEUE_NAME)
#define MAX_EXEC_PATH LABEL_PATH(WH_LABEL_MAX_EXEC_TIME)
#define PRIORITY_PATH LABEL_PATH(WH_LABEL_PRIORITY_CLASS)
#define ELASTIC_PATH "metadata.annotations[" WH_ANNOTATION_ELASTIC_JOB "]"
/* A Workload the user made for the job: the same key as label or annotation. */
#define PREBUILT_KEY "kueue.x-k8s.io/prebuilt-workload-name"
#define PREBUILT_LABEL_PATH LABEL_PATH(PREBUILT_KEY)
#define PREBUILT_ANNOTATION_PATH "metadata.annotations[" PREBUILT_KEY "]"
#define MSG_IMMUTABLE "field is immutable"

static const char *label(const cJSON *obj, const char *key)
{
    return rg_json_get_string(rg_json_path(obj, "metadata", "labels", NULL), key);
}

/* A label as ValidateImmutableField compares it: absent reads as "". */
static const char *label_or_empty(const cJSON *obj, const char *key)
{
    const char *v = label(obj, key);
    return v ? v : "";
}

bool wh__ray_suspended(const cJSON *obj)
{
    bool suspend = false;
    return rg_json_get_bool(rg_json_get_object(obj, "spec"), "suspend", &suspend) == 1 && suspend;
}

bool wh__ray_queued(const cJSON *obj, const cJSON *old)
{
    return wh_queue_label(obj) != NULL || (old != NULL && wh_queue_label(old) != NULL);
}

bool wh__ray_elastic(const cJSON *obj)
{
    const char *v = rg_json_get_string(rg_json_path(obj, "metadata", "annotations", NULL),
                                       WH_ANNOTATION_ELASTIC_JOB);
    return v != NULL && strcmp(v, "true") == 0;
}

/*
 * strconv.Atoi as Go reports it: an optional sign and decimal digits that
 * fit an int64. Returns 0 with *out set, or fills why with Go's error text.
 */
static int go_atoi(const char *s, long long *out, char *why, size_t why_size)
{
    const char *p = s + (*s == '+' || *s == '-');
    bool digits = *p != '\0';
    for (const char *q = p; *q; q++)
        digits = digits && *q >= '0' && *q <= '9';
    if (!digits) {
        snprintf(why, why_size, "strconv.Atoi: parsing \"%.128s\": invalid syntax", s);
        return -1;
    }
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE) {
        snprintf(why, why_size, "strconv.Atoi: parsing \"%.128s\": value out of range", s);
        return -1;
    }
    *out = v;
    return 0;
}

static const char *prebuilt_annotation(const cJSON *obj)
{
    const char *v =
        rg_json_get_string(rg_json_path(obj, "metadata", "annotations", NULL), PREBUILT_KEY);
    return v && v[0] ? v : NULL;
}

/* PrebuiltWorkloadNameFor and GetPrebuiltWorkloadPath with Kueue's
 * WorkloadIdentifierAnnotations on (beta since v0.18): the annotation when
 * set, else the label. */
static const char *prebuilt_name(const cJSON *obj, const char **path)
{
    const char *ann = prebuilt_annotation(obj);
    *path = ann ? PREBUILT_ANNOTATION_PATH : PREBUILT_LABEL_PATH;
    return ann ? ann : label_or_empty(obj, PREBUILT_KEY);
}

/* ValidatePrebuiltWorkloadName: a Workload's name (RayCluster and RayJob
 * are among the kinds Kueue runs with a prebuilt Workload). */
static void prebuilt_create(const cJSON *obj, field_errors_t *errs)
{
    const char *ann = prebuilt_annotation(obj);
    if (ann != NULL) {
        wh_check_dns1123_subdomain(errs, PREBUILT_ANNOTATION_PATH, ann);
        return;
    }
    const char *lbl = label(obj, PREBUILT_KEY);
    if (lbl != NULL)
        wh_check_dns1123_subdomain(errs, PREBUILT_LABEL_PATH, lbl);
}

void wh__ray_job_create_validate(const cJSON *obj, field_errors_t *errs)
{
    /* ValidateQueueName: the label, when there, names a LocalQueue. */
    const char *queue = label(obj, WH_LABEL_QUEUE_NAME);
    if (queue != NULL)
        wh_check_dns1123_subdomain(errs, QUEUE_PATH, queue);
    prebuilt_create(obj, errs);
    /* validateCreateForMaxExecTime: a positive integer. */
    const char *max_exec = label(obj, WH_LABEL_MAX_EXEC_TIME);
    if (max_exec != NULL) {
        long long v;
        char why[200];
        if (go_atoi(max_exec, &v, why, sizeof(why)) != 0)
            field_invalid_str(errs, MAX_EXEC_PATH, max_exec, "%s", why);
        else if (v <= 0)
            field_invalid_int(errs, MAX_EXEC_PATH, v, "should be greater than 0");
    }
    /* ValidateElasticJobAnnotation: RayCluster and RayJob are among the
     * kinds Kueue supports elastic jobs for, so the annotation is allowed. */
    wh__check_admission_gated_by(errs, obj, NULL);
}

/* validateUpdateForQueueName, with raygate's stricter suspended rule. */
static void queue_update(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                         field_errors_t *errs)
{
    const char *now = label_or_empty(obj, WH_LABEL_QUEUE_NAME);
    const char *before = label_or_empty(old, WH_LABEL_QUEUE_NAME);
    /* Kueue refuses the change while the new object runs; raygate also while
     * the old one runs, so a running job cannot be moved and suspended in
     * one step behind the admitter's back (docs/validation-ray.md). */
    if (!(wh__ray_suspended(obj) && wh__ray_suspended(old)) && strcmp(now, before) != 0)
        field_invalid_str(errs, QUEUE_PATH, now, MSG_IMMUTABLE);
    /* A namespace with a default LocalQueue keeps its jobs queued. */
    const char *ns = rg_json_get_string(rg_json_get_object(old, "metadata"), "namespace");
    if (now[0] == '\0' && before[0] != '\0' && ctx != NULL &&
        wh_local_queue_exists(ctx->cluster, ns, WH_DEFAULT_LOCAL_QUEUE))
        field_invalid_str(errs, QUEUE_PATH, "",
                          "queue-name must not be empty in namespace with default queue");
}

/* ValidateUpdateForWorkloadPriorityClassName. */
static void priority_class_update(const cJSON *obj, const cJSON *old, field_errors_t *errs)
{
    const char *now = label_or_empty(obj, WH_LABEL_PRIORITY_CLASS);
    const char *before = label_or_empty(old, WH_LABEL_PRIORITY_CLASS);
    if (!wh__ray_suspended(obj) && before[0] == '\0' && now[0] != '\0')
        field_invalid_str(errs, PRIORITY_PATH, now,
                          "WorkloadPriorityClass cannot be added to a non-suspended workload");
    else if (now[0] == '\0' && before[0] != '\0')
        field_invalid_str(errs, PRIORITY_PATH, now,
                          "WorkloadPriorityClass cannot be removed from a workload");
}

void wh__ray_job_update_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                                 field_errors_t *errs)
{
    queue_update(ctx, obj, old, errs);
    /* validateUpdateForPrebuiltWorkload: fixed while the job runs (an
     * elastic job may move to a new Workload slice). */
    if (wh__ray_suspended(obj) || wh__ray_elastic(old)) {
        prebuilt_create(obj, errs);
    } else {
        const char *path, *unused;
        const char *now = prebuilt_name(obj, &path);
        if (strcmp(now, prebuilt_name(old, &unused)) != 0)
            field_invalid_str(errs, path, now, MSG_IMMUTABLE);
    }
    /* validateUpdateForMaxExecTime: fixed unless suspended before and after. */
    if (!wh__ray_suspended(obj) || !wh__ray_suspended(old)) {
        const char *now = label_or_empty(obj, WH_LABEL_MAX_EXEC_TIME);
        if (strcmp(now, label_or_empty(old, WH_LABEL_MAX_EXEC_TIME)) != 0)
            field_invalid_str(errs, MAX_EXEC_PATH, now, MSG_IMMUTABLE);
    }
    priority_class_update(obj, old, errs);
    /* validatedUpdateForEnabledWorkloadSlice: elastic or not, for good. */
    bool elastic = wh__ray_elastic(obj);
    if (elastic != wh__ray_elastic(old))
        field_add(errs, FIELD_INVALID, ELASTIC_PATH, elastic ? "true" : "false", MSG_IMMUTABLE);
    wh__check_admission_gated_by(errs, obj, old);
}

/*
 * RayCluster: its pod templates as podSets (Kueue's raycluster.BuildPodSets,
 * with KubeRay's clamped replica counts) and what KubeRay adds to the head
 * pod that quota must count; the RayCluster's own state. A RayJob's
 * spec.rayClusterSpec goes through the same code.
 */
#include "job_internal.h"

#include "raygate/field.h"
#include "raygate/gang.h"
#include "raygate/quantity.h"
#include "raygate/validate.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* KubeRay's annotation turning GCS fault tolerance on (utils.RayFTEnabledAnnotationKey). */
#define RAY_FT_ANNOTATION "ray.io/ft-enabled"
/* KubeRay's autoscaler sidecar (common.BuildAutoscalerContainer): name and
 * requests = limits when autoscalerOptions.resources is unset. */
#define AUTOSCALER_CONTAINER "autoscaler"
#define AUTOSCALER_CPU "500m"
#define AUTOSCALER_MEMORY "512Mi"
/* The Redis-cleanup Job's requests, which Kueue folds into the head's Ray
 * container (raycluster.redisCleanupResourceRequests). */
#define REDIS_CLEANUP_CPU "200m"
#define REDIS_CLEANUP_MEMORY "256Mi"
#define HEAD_POD_SET "head"

/* KubeRay's IsGCSFaultToleranceEnabled: the annotation (any case of
 * "true") or gcsFaultToleranceOptions set. */
static int gcs_fault_tolerance(const job__owner_t *o, bool *out, rg_error_t *err)
{
    const char *ft = NULL;
    int rc = job__opt_string(rg_json_path(o->obj, "metadata", "annotations", NULL),
                             "metadata.annotations", RAY_FT_ANNOTATION, &ft, err);
    if (rc != RG_OK)
        return rc;
    const cJSON *opts = NULL;
    rc = job__opt_object(o->cluster_spec, o->cs_path, "gcsFaultToleranceOptions", &opts, err);
    if (rc != RG_OK)
        return rc;
    *out = opts != NULL || (ft != NULL && strcasecmp(ft, "true") == 0);
    return RG_OK;
}

/* Appends a slot; name_field names where its podSet name comes from. */
static int add_slot(job__owner_t *o, job__role_t role, int group, const char *name, int64_t count,
                    const cJSON *tmpl, const char *path, const char *name_field, rg_error_t *err)
{
    if (o->n >= JOB_MAX_POD_SETS)
        return rg_error_set(err, RG_ERR_TOO_BIG,
                            "%s: Too many: %zu: must have at most %d pod "
                            "sets",
                            path, o->n + 1, JOB_MAX_POD_SETS);
    job__slot_t *s = &o->slots[o->n];
    memset(s, 0, sizeof(*s));
    s->role = role;
    s->group = group;
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->count = count;
    s->tmpl = tmpl;
    snprintf(s->path, sizeof(s->path), "%s", path);
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->slots[i].name, name) == 0)
            return rg_error_set(err, RG_ERR_INVAL,
                                "%s: Duplicate value: \"%s\": already the "
                                "podSet name of %s",
                                name_field, name, o->slots[i].path);
    o->n++;
    return RG_OK;
}

/* A required template member of a group spec. */
static int group_template(const cJSON *group, const char *path, const cJSON **out, rg_error_t *err)
{
    char tpath[JOB__PATH_MAX + 16];
    snprintf(tpath, sizeof(tpath), "%s.template", path);
    int rc = job__opt_object(group, path, "template", out, err);
    if (rc == RG_OK && *out == NULL)
        rc = rg_error_set(err, RG_ERR_INVAL, "%s: Required value", tpath);
    return rc == RG_OK ? job__template_check(*out, tpath, err) : rc;
}

/* Kueue's NewPodSetReference: the lowercased groupName, which must then
 * be a DNS-1123 label (the PodSetReference pattern). */
static int group_pod_set_name(const cJSON *group, const char *path, char out[64], rg_error_t *err)
{
    const char *name = NULL;
    int rc = job__opt_string(group, path, "groupName", &name, err);
    if (rc != RG_OK)
        return rc;
    if (name == NULL || name[0] == '\0')
        return rg_error_set(err, RG_ERR_INVAL, "%s.groupName: Required value", path);
    size_t len = strlen(name);
    if (len > 63)
        return rg_error_set(err, RG_ERR_INVAL,
                            "%s.groupName: Invalid value: \"%.63s...\": must "
                            "be no more than 63 characters (it names a Workload podSet)",
                            path, name);
    for (size_t i = 0; i <= len; i++)
        out[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
    char field[JOB__PATH_MAX + 16];
    snprintf(field, sizeof(field), "%s.groupName", path);
    return job__check_name(wh_check_dns1123_label, field, out,
                           "(lowercased, it names a Workload podSet)", err);
}

static int worker_slots(job__owner_t *o, const cJSON *groups, rg_error_t *err)
{
    int n = cJSON_GetArraySize(groups);
    if (n + 1 > JOB_MAX_POD_SETS)
        return rg_error_set(err, RG_ERR_TOO_BIG,
                            "%s.workerGroupSpecs: Too many: %d: must have "
                            "at most %d items (a Workload has at most %d pod sets: the head and "
                            "%d worker groups)",
                            o->cs_path, n + 1, JOB_MAX_POD_SETS, JOB_MAX_POD_SETS,
                            JOB_MAX_POD_SETS - 1);
    int i = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, groups)
    {
        char path[JOB__PATH_MAX];
        snprintf(path, sizeof(path), "%s.workerGroupSpecs[%d]", o->cs_path, i);
        if (!cJSON_IsObject(g))
            return rg_error_set(err, RG_ERR_TYPE, "%s: Invalid value: \"%s\": must be an object",
                                path, rg_json_type_name(g));
        char name[64];
        const cJSON *tmpl = NULL;
        int64_t count = 0;
        int rc = group_pod_set_name(g, path, name, err);
        if (rc == RG_OK)
            rc = group_template(g, path, &tmpl, err);
        if (rc == RG_OK)
            rc = gang_worker_group_pods(g, path, false, &count, err);
        char tpath[JOB__PATH_MAX + 16], npath[JOB__PATH_MAX + 16];
        snprintf(tpath, sizeof(tpath), "%s.template", path);
        snprintf(npath, sizeof(npath), "%s.groupName", path);
        if (rc == RG_OK)
            rc = add_slot(o, JOB__WORKER, i, name, count, tmpl, tpath, npath, err);
        if (rc != RG_OK)
            return rc;
        i++;
    }
    return RG_OK;
}

int job__cluster_slots(job__owner_t *o, rg_error_t *err)
{
    const cJSON *cs = o->cluster_spec;
    if (rg_json_get_bool(cs, "enableInTreeAutoscaling", &o->autoscaling) < 0)
        return rg_error_set(err, RG_ERR_TYPE,
                            "%s.enableInTreeAutoscaling: Invalid value: \"%s\": "
                            "must be a boolean",
                            o->cs_path,
                            rg_json_type_name(rg_json_get(cs, "enableInTreeAutoscaling")));
    int rc = gcs_fault_tolerance(o, &o->redis_cleanup, err);
    if (rc != RG_OK)
        return rc;
    const cJSON *head = NULL, *tmpl = NULL, *groups = NULL;
    char path[JOB__PATH_MAX];
    snprintf(path, sizeof(path), "%s.headGroupSpec", o->cs_path);
    rc = job__opt_object(cs, o->cs_path, "headGroupSpec", &head, err);
    if (rc == RG_OK && head == NULL)
        rc = rg_error_set(err, RG_ERR_INVAL, "%s: Required value", path);
    if (rc == RG_OK)
        rc = group_template(head, path, &tmpl, err);
    if (rc == RG_OK)
        rc = job__opt_array(cs, o->cs_path, "workerGroupSpecs", &groups, err);
    if (rc != RG_OK)
        return rc;
    snprintf(path, sizeof(path), "%s.headGroupSpec.template", o->cs_path);
    rc = add_slot(o, JOB__HEAD, -1, HEAD_POD_SET, 1, tmpl, path, path, err);
    if (rc == RG_OK && groups != NULL)
        rc = worker_slots(o, groups, err);
    return rc;
}

/* Every quantity of a ResourceRequirements object parses (as podspec
 * would), so that injected containers are checked where the user wrote
 * them. */
static int check_resources(const cJSON *res, const char *path, rg_error_t *err)
{
    static const char *const maps[] = {"requests", "limits"};
    for (size_t m = 0; m < 2; m++) {
        const cJSON *list = NULL;
        int rc = job__opt_object(res, path, maps[m], &list, err);
        if (rc != RG_OK)
            return rc;
        const cJSON *q;
        cJSON_ArrayForEach(q, list)
        {
            quota_qty_t v;
            rg_error_t qe = {0};
            if (quota_qty_parse_json(q, &v, &qe) != RG_OK || quota_qty_sign(&v) < 0) {
                rg_buf_t b = RG_BUF_INIT;
                rg_json_append(&b, q);
                rc = rg_error_set(err, RG_ERR_PARSE, "%s.%s[%s]: Invalid value: %s: %s", path,
                                  maps[m], q->string, b.data,
                                  qe.code ? rg_error_str(&qe) : "must not be negative");
                rg_buf_release(&b);
                return rc;
            }
        }
    }
    return RG_OK;
}

/* Kueue's autoscalerContainer: name and resources only (autoscalerOptions.
 * resources replaces KubeRay's defaults whole, as KubeRay does). */
static int autoscaler_container(const job__owner_t *o, cJSON **out, rg_error_t *err)
{
    char path[JOB__PATH_MAX];
    snprintf(path, sizeof(path), "%s.autoscalerOptions", o->cs_path);
    const cJSON *opts = NULL, *res = NULL;
    int rc = job__opt_object(o->cluster_spec, o->cs_path, "autoscalerOptions", &opts, err);
    if (rc == RG_OK)
        rc = job__opt_object(opts, path, "resources", &res, err);
    if (rc != RG_OK)
        return rc;
    if (res != NULL) {
        char rpath[JOB__PATH_MAX + 16];
        snprintf(rpath, sizeof(rpath), "%s.resources", path);
        rc = check_resources(res, rpath, err);
        if (rc == RG_OK)
            *out = job__container(AUTOSCALER_CONTAINER, NULL, res);
        return rc;
    }
    cJSON *def = cJSON_CreateObject();
    cJSON_AddItemToObject(def, "requests", job__resource_list(AUTOSCALER_CPU, AUTOSCALER_MEMORY));
    cJSON_AddItemToObject(def, "limits", job__resource_list(AUTOSCALER_CPU, AUTOSCALER_MEMORY));
    *out = job__container(AUTOSCALER_CONTAINER, NULL, def);
    cJSON_Delete(def);
    return RG_OK;
}

/*
 * Kueue's accountForRedisCleanupInHeadPodSet: the Ray container (index 0)
 * requests at least the cleanup Job's cpu and memory. raygate takes the
 * max against the container's effective request (its limit when the
 * request is missing), where Kueue takes it against the request alone and
 * would hide a limits-only container behind 200m.
 */
static int redis_cleanup(cJSON *spec, const char *path, rg_error_t *err)
{
    cJSON *containers = cJSON_GetObjectItemCaseSensitive(spec, "containers");
    cJSON *ray = cJSON_IsArray(containers) ? cJSON_GetArrayItem(containers, 0) : NULL;
    if (!cJSON_IsObject(ray))
        return rg_error_set(err, RG_ERR_INVAL,
                            "%s.spec.containers: Required value: cannot "
                            "account for Redis cleanup resources: head pod template must include "
                            "the Ray container",
                            path);
    cJSON *res = cJSON_GetObjectItemCaseSensitive(ray, "resources");
    if (!cJSON_IsObject(res)) {
        cJSON_DeleteItemFromObjectCaseSensitive(ray, "resources");
        res = cJSON_AddObjectToObject(ray, "resources");
    }
    cJSON *req = cJSON_GetObjectItemCaseSensitive(res, "requests");
    if (!cJSON_IsObject(req)) {
        cJSON_DeleteItemFromObjectCaseSensitive(res, "requests");
        req = cJSON_AddObjectToObject(res, "requests");
    }
    const cJSON *lim = rg_json_get_object(res, "limits");
    static const char *const names[] = {"cpu", "memory"};
    static const char *const floors[] = {REDIS_CLEANUP_CPU, REDIS_CLEANUP_MEMORY};
    for (int i = 0; i < 2; i++) {
        const cJSON *cur = rg_json_get(req, names[i]);
        if (cur == NULL)
            cur = rg_json_get(lim, names[i]);
        quota_qty_t have, floor;
        (void)quota_qty_parse(floors[i], &floor, NULL); /* a constant: it parses */
        if (cur != NULL && quota_qty_parse_json(cur, &have, NULL) == RG_OK &&
            quota_qty_cmp(&have, &floor) >= 0) {
            if (rg_json_get(req, names[i]) == NULL)
                cJSON_AddItemToObject(req, names[i], cJSON_Duplicate(cur, 1));
            continue;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(req, names[i]);
        cJSON_AddStringToObject(req, names[i], floors[i]);
    }
    return RG_OK;
}

static cJSON *ensure_containers(cJSON *spec)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(spec, "containers");
    if (cJSON_IsArray(c))
        return c;
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "containers");
    return cJSON_AddArrayToObject(spec, "containers");
}

int job__head_extras(const job__owner_t *o, cJSON *spec, rg_error_t *err)
{
    const char *path = o->slots[0].path;
    if (o->redis_cleanup) {
        int rc = redis_cleanup(spec, path, err);
        if (rc != RG_OK)
            return rc;
    }
    if (o->autoscaling) {
        cJSON *c = NULL;
        int rc = autoscaler_container(o, &c, err);
        if (rc != RG_OK)
            return rc;
        cJSON_AddItemToArray(ensure_containers(spec), c);
    }
    if (o->sidecar_submitter)
        cJSON_AddItemToArray(ensure_containers(spec), job__rayjob_submitter_container(NULL));
    return RG_OK;
}

static bool state_ready(const cJSON *status)
{
    const char *state = rg_json_get_string(status, "state");
    return state != NULL && strcmp(state, "ready") == 0;
}

bool job__raycluster_pods_ready(const cJSON *rc)
{
    return state_ready(rg_json_get(rc, "status"));
}

bool job__raycluster_active(const cJSON *rc)
{
    return state_ready(rg_json_get(rc, "status"));
}

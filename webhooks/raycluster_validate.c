/*
 * Validating rules for RayClusters (ray.io/v1): Kueue's RayCluster webhook
 * (v0.19: elastic jobs, autoscaling, pod-set limit, TAS annotations) and its
 * job-framework label rules, plus the worker-group sanity rules KubeRay
 * enforces in its controller, reported as Kubernetes field errors so a bad
 * cluster is refused at the door instead of failing later inside KubeRay.
 */
#include "raygate/validate.h"
#include "raygate/webhooks.h"

#include "pod_internal.h"
#include "ray_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The paths rendered here stay far below FIELD_PATH_MAX: the prefixes are
 * fixed and the only variable parts are indices. */

/* KubeRay's CRD defaults for a worker group's bounds. */
#define RAY_DEFAULT_MIN_REPLICAS 0
#define RAY_DEFAULT_MAX_REPLICAS INT32_MAX
#define RAY_DEFAULT_NUM_OF_HOSTS 1

/*
 * Reads an optional int32 member. Returns 1 with *out set when present and
 * valid, 0 when absent or null, -1 (error appended) when of another type.
 */
static int get_int32(const cJSON *obj, const char *key, field_path_t *p, field_errors_t *errs,
                     int64_t *out)
{
    const cJSON *node = rg_json_get(obj, key);
    if (node == NULL || cJSON_IsNull(node))
        return 0;
    size_t mark = field_path_push_key(p, key);
    int rc = -1;
    if (cJSON_IsNumber(node) && isfinite(node->valuedouble) && node->valuedouble >= INT32_MIN &&
        node->valuedouble <= INT32_MAX && node->valuedouble == floor(node->valuedouble)) {
        *out = (int64_t)node->valuedouble;
        rc = 1;
    } else {
        field_invalid_json(errs, field_path_str(p), node, "must be a 32-bit integer");
    }
    field_path_pop(p, mark);
    return rc;
}

static void invalid_int_at(field_errors_t *errs, field_path_t *p, const char *key, int64_t value,
                           const char *detail)
{
    size_t mark = field_path_push_key(p, key);
    field_invalid_int(errs, field_path_str(p), value, "%s", detail);
    field_path_pop(p, mark);
}

/* Every group's pod template needs a container, as the pod spec does. */
static void check_containers(const cJSON *group, field_path_t *p, field_errors_t *errs)
{
    const cJSON *containers = rg_json_path(group, "template", "spec", "containers", NULL);
    if (cJSON_IsArray(containers) && cJSON_GetArraySize(containers) > 0)
        return;
    size_t mark = field_path_push_key(p, "template");
    field_path_push_key(p, "spec");
    field_path_push_key(p, "containers");
    field_required(errs, field_path_str(p), NULL);
    field_path_pop(p, mark);
}

/* minReplicas <= replicas <= maxReplicas, all >= 0, numOfHosts >= 1. */
static void check_replicas(const cJSON *group, field_path_t *p, field_errors_t *errs)
{
    int64_t min = RAY_DEFAULT_MIN_REPLICAS, max = RAY_DEFAULT_MAX_REPLICAS, replicas = 0;
    int64_t hosts = RAY_DEFAULT_NUM_OF_HOSTS;
    int has_min = get_int32(group, "minReplicas", p, errs, &min);
    int has_max = get_int32(group, "maxReplicas", p, errs, &max);
    int has_replicas = get_int32(group, "replicas", p, errs, &replicas);
    int has_hosts = get_int32(group, "numOfHosts", p, errs, &hosts);

    bool bounds_ok = has_min >= 0 && has_max >= 0;
    if (has_min == 1 && min < 0) {
        invalid_int_at(errs, p, "minReplicas", min, "must be greater than or equal to 0");
        bounds_ok = false;
    }
    if (has_max == 1 && max < 0) {
        invalid_int_at(errs, p, "maxReplicas", max, "must be greater than or equal to 0");
        bounds_ok = false;
    }
    if (bounds_ok && min > max) {
        invalid_int_at(errs, p, "maxReplicas", max,
                       "must be greater than or equal to `minReplicas`");
        bounds_ok = false;
    }
    if (has_replicas == 1) {
        if (replicas < 0)
            invalid_int_at(errs, p, "replicas", replicas, "must be greater than or equal to 0");
        else if (bounds_ok && replicas < min)
            invalid_int_at(errs, p, "replicas", replicas,
                           "must be greater than or equal to `minReplicas`");
        else if (bounds_ok && replicas > max)
            invalid_int_at(errs, p, "replicas", replicas,
                           "must be less than or equal to `maxReplicas`");
    }
    if (has_hosts == 1 && hosts < 1)
        invalid_int_at(errs, p, "numOfHosts", hosts, "must be greater than or equal to 1");
}

static void check_worker_groups(const cJSON *groups, field_path_t *p, field_errors_t *errs)
{
    int n = cJSON_GetArraySize(groups);
    /* Kueue counts pod sets (head included) at the worker groups' path. */
    if (n + 1 > WH_RAY_MAX_POD_SETS)
        field_too_many(errs, field_path_str(p), n + 1, WH_RAY_MAX_POD_SETS);

    int i = 0;
    for (const cJSON *g = groups->child; g != NULL; g = g->next, i++) {
        size_t mark = field_path_push_index(p, (size_t)i);
        if (!cJSON_IsObject(g)) {
            field_invalid_json(errs, field_path_str(p), g, "must be an object");
            field_path_pop(p, mark);
            continue;
        }
        const char *name = rg_json_get_string(g, "groupName");
        size_t name_mark = field_path_push_key(p, "groupName");
        if (name == NULL || name[0] == '\0') {
            field_required(errs, field_path_str(p), NULL);
        } else if (strcmp(name, WH_RAY_HEAD_GROUP_NAME) == 0) {
            field_forbidden(errs, field_path_str(p), "\"%s\" is reserved for the head group",
                            WH_RAY_HEAD_GROUP_NAME);
        } else {
            /* Quadratic, but n is small and bounded by the request size;
             * only the later occurrences are reported, like Kubernetes. */
            for (const cJSON *h = groups->child; h != g; h = h->next) {
                const char *other = rg_json_get_string(h, "groupName");
                if (other && strcmp(other, name) == 0) {
                    field_duplicate_str(errs, field_path_str(p), name);
                    break;
                }
            }
        }
        field_path_pop(p, name_mark);
        check_replicas(g, p, errs);
        check_containers(g, p, errs);
        field_path_pop(p, mark);
    }
}

/* validateElasticJob's gate check on one group's template. */
static void require_gate(const cJSON *group, field_path_t *p, field_errors_t *errs)
{
    const cJSON *gates = rg_json_path(group, "template", "spec", "schedulingGates", NULL);
    const cJSON *g;
    cJSON_ArrayForEach(g, gates)
    {
        const char *name = rg_json_get_string(g, "name");
        if (name && strcmp(name, WH_ELASTIC_JOB_GATE) == 0)
            return;
    }
    size_t mark = field_path_push_key(p, "template");
    field_path_push_key(p, "spec");
    field_path_push_key(p, "schedulingGates");
    field_invalid_json(errs, field_path_str(p), gates,
                       "an elastic job must have the "
                       "ElasticJobSchedulingGate");
    field_path_pop(p, mark);
}

/* Autoscaling: a RayCluster may scale only as an elastic job (whose pods
 * wait behind Kueue's scheduling gate); a RayJob's cluster only when the
 * job is elastic. */
static void check_autoscaling(const cJSON *spec, field_path_t *p, const wh_ray_spec_opts_t *o,
                              field_errors_t *errs)
{
    bool autoscaling = false;
    bool on = rg_json_get_bool(spec, "enableInTreeAutoscaling", &autoscaling) == 1 && autoscaling;
    size_t mark = field_path_push_key(p, "enableInTreeAutoscaling");
    if (o->rayjob) {
        if (on && !o->elastic)
            field_add(errs, FIELD_INVALID, field_path_str(p), "true",
                      "a kueue managed job should only use autoscaling when workload slicing "
                      "is enabled");
    } else if (!o->elastic) {
        if (on)
            field_add(errs, FIELD_INVALID, field_path_str(p), "true",
                      "a kueue-managed RayCluster can use autoscaling only as an elastic job: "
                      "enable the ElasticJobsViaWorkloadSlices feature gate and set the "
                      "\"" WH_ANNOTATION_ELASTIC_JOB "\": \"true\" annotation");
    }
    field_path_pop(p, mark);
    if (o->rayjob || !o->elastic)
        return;
    const cJSON *g;
    size_t i = 0;
    mark = field_path_push_key(p, "workerGroupSpecs");
    cJSON_ArrayForEach(g, rg_json_get_array(spec, "workerGroupSpecs"))
    {
        size_t mi = field_path_push_index(p, i++);
        require_gate(g, p, errs);
        field_path_pop(p, mi);
    }
    field_path_pop(p, mark);
    mark = field_path_push_key(p, "headGroupSpec");
    require_gate(rg_json_get_object(spec, "headGroupSpec"), p, errs);
    field_path_pop(p, mark);
    if (on && o->managed_by && strcmp(o->managed_by, "kueue.x-k8s.io/multikueue") == 0) {
        mark = field_path_push_key(p, "enableInTreeAutoscaling");
        field_forbidden(errs, field_path_str(p),
                        "in-tree autoscaling is not supported for a MultiKueue-managed elastic "
                        "RayCluster");
        field_path_pop(p, mark);
    }
}

void wh__ray_cluster_spec_validate(const cJSON *spec, const char *path,
                                   const wh_ray_spec_opts_t *opts, field_errors_t *errs)
{
    field_path_t p;
    field_path_init(&p, path);
    check_autoscaling(spec, &p, opts, errs);

    const cJSON *head = rg_json_get(spec, "headGroupSpec");
    size_t mark = field_path_push_key(&p, "headGroupSpec");
    if (head == NULL || cJSON_IsNull(head))
        field_required(errs, field_path_str(&p), NULL);
    else if (!cJSON_IsObject(head))
        field_invalid_json(errs, field_path_str(&p), head, "must be an object");
    else
        check_containers(head, &p, errs);
    field_path_pop(&p, mark);

    const cJSON *groups = rg_json_get(spec, "workerGroupSpecs");
    if (groups == NULL || cJSON_IsNull(groups))
        return;
    mark = field_path_push_key(&p, "workerGroupSpecs");
    if (cJSON_IsArray(groups))
        check_worker_groups(groups, &p, errs);
    else
        field_invalid_json(errs, field_path_str(&p), groups, "must be a list");
    field_path_pop(&p, mark);
}

/* effectiveWorkerCount: replicas (default 1) times numOfHosts when > 1. */
static int64_t worker_count(const cJSON *group)
{
    int64_t replicas = 1, hosts = 1;
    const cJSON *r = rg_json_get(group, "replicas"), *h = rg_json_get(group, "numOfHosts");
    if (cJSON_IsNumber(r))
        replicas = (int64_t)r->valuedouble;
    if (cJSON_IsNumber(h))
        hosts = (int64_t)h->valuedouble;
    return hosts > 1 ? replicas * hosts : replicas;
}

void wh__ray_cluster_tas_validate(const cJSON *spec, const char *path, field_errors_t *errs)
{
    if (!cJSON_IsObject(spec))
        return;
    wh_tas_podset_t sets[WH_RAY_MAX_POD_SETS];
    char paths[WH_RAY_MAX_POD_SETS][FIELD_PATH_MAX];
    size_t n = 0;
    snprintf(paths[0], FIELD_PATH_MAX, "%s.headGroupSpec.template.metadata", path);
    sets[n++] = (wh_tas_podset_t){
        .name = WH_RAY_HEAD_GROUP_NAME,
        .meta = rg_json_path(spec, "headGroupSpec", "template", "metadata", NULL),
        .meta_path = paths[0],
        .count = 1,
    };
    size_t i = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, rg_json_get_array(spec, "workerGroupSpecs"))
    {
        if (n >= WH_RAY_MAX_POD_SETS)
            break; /* more is refused as Too many */
        snprintf(paths[n], FIELD_PATH_MAX, "%s.workerGroupSpecs[%zu].template.metadata", path, i++);
        const char *name = rg_json_get_string(g, "groupName");
        sets[n] = (wh_tas_podset_t){
            .name = name ? name : "",
            .meta = rg_json_path(g, "template", "metadata", NULL),
            .meta_path = paths[n],
            .count = worker_count(g),
        };
        n++;
    }
    wh__tas_validate(errs, sets, n);
}

/* One group's template quantities at p (restored). */
static void group_quantities(const cJSON *group, field_path_t *p, field_errors_t *errs)
{
    size_t mark = field_path_push_key(p, "template");
    field_path_push_key(p, "spec");
    wh__pod_spec_quantities(errs, p, rg_json_path(group, "template", "spec", NULL), 0);
    field_path_pop(p, mark);
}

void wh__ray_cluster_quantities(const cJSON *spec, const char *path, field_errors_t *errs)
{
    if (!cJSON_IsObject(spec))
        return;
    field_path_t p;
    field_path_init(&p, path);
    size_t mark = field_path_push_key(&p, "headGroupSpec");
    group_quantities(rg_json_get_object(spec, "headGroupSpec"), &p, errs);
    field_path_pop(&p, mark);
    mark = field_path_push_key(&p, "workerGroupSpecs");
    size_t i = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, rg_json_get_array(spec, "workerGroupSpecs"))
    {
        size_t mi = field_path_push_index(&p, i++);
        group_quantities(g, &p, errs);
        field_path_pop(&p, mi);
    }
    field_path_pop(&p, mark);
    /* The autoscaler sidecar's resources, as a container's. */
    const cJSON *autoscaler = rg_json_get_object(spec, "autoscalerOptions");
    if (autoscaler) {
        mark = field_path_push_key(&p, "autoscalerOptions");
        field_path_push_key(&p, "resources");
        wh__resources_quantities(errs, &p, rg_json_get(autoscaler, "resources"), 0);
        field_path_pop(&p, mark);
    }
}

void wh_raycluster_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                            field_errors_t *errs, wh_warnings_t *warns)
{
    (void)warns;
    const cJSON *spec = rg_json_get_object(obj, "spec");
    /* The CRD layer (upstream's schema) holds for every RayCluster. */
    wh__ray_cluster_quantities(spec, "spec", errs);
    /* Kueue validates an update only of a job it manages before or after. */
    if (old != NULL && !wh__ray_queued(obj, old))
        return;
    if (old != NULL)
        wh__ray_job_update_validate(ctx, obj, old, errs);
    /* validateCreate: the spec rules for a queued cluster, then the label
     * rules and the TAS annotations for any. */
    if (wh_queue_label(obj) != NULL) {
        wh_ray_spec_opts_t opts = {
            .rayjob = false,
            .elastic = wh__ray_elastic(obj),
            .managed_by = rg_json_get_string(spec, "managedBy"),
        };
        wh__ray_cluster_spec_validate(spec, "spec", &opts, errs);
    }
    wh__ray_job_create_validate(obj, errs);
    wh__ray_cluster_tas_validate(spec, "spec", errs);
}

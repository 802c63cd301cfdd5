/*
 * Validating rules for queued RayClusters (ray.io/v1): Kueue's RayCluster
 * webhook rules plus the worker-group sanity rules KubeRay enforces in its
 * controller, reported as Kubernetes field errors so a bad cluster is refused
 * at the door instead of failing later inside KubeRay.
 */
#include "raygate/validate.h"
#include "raygate/webhooks.h"

#include "ray_internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* The paths rendered here stay far below FIELD_PATH_MAX: the prefixes are
 * fixed and the only variable parts are indices. */

#define QUEUE_LABEL_PATH "metadata.labels[" WH_LABEL_QUEUE_NAME "]"

/* KubeRay's CRD defaults for a worker group's bounds. */
#define RAY_DEFAULT_MIN_REPLICAS 0
#define RAY_DEFAULT_MAX_REPLICAS INT32_MAX
#define RAY_DEFAULT_NUM_OF_HOSTS 1

bool wh__ray_suspended(const cJSON *obj)
{
    bool suspend = false;
    return rg_json_get_bool(rg_json_get_object(obj, "spec"), "suspend", &suspend) == 1 && suspend;
}

bool wh__ray_queued(const cJSON *obj, const cJSON *old)
{
    return wh_queue_label(obj) != NULL || (old != NULL && wh_queue_label(old) != NULL);
}

void wh__ray_queue_name_validate(const cJSON *obj, field_errors_t *errs)
{
    const char *queue = wh_queue_label(obj);
    if (queue != NULL)
        wh_check_dns1123_subdomain(errs, QUEUE_LABEL_PATH, queue);
}

/* The label as apimachinery's ValidateImmutableField compares it: an absent
 * label and an empty one are both "". */
static const char *raw_queue_label(const cJSON *obj)
{
    const char *q =
        rg_json_get_string(rg_json_path(obj, "metadata", "labels", NULL), WH_LABEL_QUEUE_NAME);
    return q ? q : "";
}

void wh__ray_queue_update_validate(const cJSON *obj, const cJSON *old, field_errors_t *errs)
{
    if (old == NULL)
        return;
    /* Kueue refuses the change while the new object runs; raygate also while
     * the old one runs, so a running job cannot be moved and suspended in
     * one step behind the admitter's back (docs/validation-ray.md). */
    if (wh__ray_suspended(obj) && wh__ray_suspended(old))
        return;
    const char *now = raw_queue_label(obj);
    const char *before = raw_queue_label(old);
    if (strcmp(now, before) != 0)
        field_invalid_str(errs, QUEUE_LABEL_PATH, now, "field is immutable");
}

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
    if (n + 1 > WH_RAY_MAX_POD_SETS)
        field_too_many(errs, field_path_str(p), n, WH_RAY_MAX_POD_SETS - 1);

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

void wh__ray_cluster_spec_validate(const cJSON *spec, const char *path, field_errors_t *errs)
{
    field_path_t p;
    field_path_init(&p, path);

    /* Once quota is reserved the cluster should use it, not scale itself
     * (Kueue's rule until elastic jobs). */
    bool autoscaling = false;
    if (rg_json_get_bool(spec, "enableInTreeAutoscaling", &autoscaling) == 1 && autoscaling) {
        size_t mark = field_path_push_key(&p, "enableInTreeAutoscaling");
        field_add(errs, FIELD_INVALID, field_path_str(&p), "true",
                  "a kueue managed job should not use autoscaling");
        field_path_pop(&p, mark);
    }

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

void wh_raycluster_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                            field_errors_t *errs, wh_warnings_t *warns)
{
    (void)ctx;
    (void)warns;
    if (!wh__ray_queued(obj, old))
        return; /* not Kueue-managed: raygate has no say */
    /* Kueue's order: update rules, then the spec, then the queue name. */
    wh__ray_queue_update_validate(obj, old, errs);
    if (wh_queue_label(obj) == NULL)
        return; /* the label is being removed: only the update rule applies */
    wh__ray_cluster_spec_validate(rg_json_get_object(obj, "spec"), "spec", errs);
    wh__ray_queue_name_validate(obj, errs);
}

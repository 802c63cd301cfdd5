/*
 * Gang sizing: how many pods a RayCluster's head and worker groups run,
 * counted as KubeRay counts its desired replicas, with raygate's
 * annotation as an explicit override.
 */
#include "raygate/gang.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Reads an int32 member (KubeRay's fields are *int32): absent or null
 * leaves *out at its default and returns 0.
 */
static int read_int32(const cJSON *obj, const char *key, const char *path, int64_t *out,
                      rg_error_t *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL || cJSON_IsNull(v))
        return RG_OK;
    if (!cJSON_IsNumber(v))
        return rg_error_set(err, RG_ERR_TYPE, "%s.%s: Invalid value: \"%s\": must be an integer",
                            path, key, rg_json_type_name(v));
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < INT32_MIN || d > INT32_MAX)
        return rg_error_set(err, RG_ERR_RANGE,
                            "%s.%s: Invalid value: %g: must be a 32-bit "
                            "integer",
                            path, key, d);
    *out = (int64_t)d;
    return RG_OK;
}

int gang_worker_group_pods(const cJSON *group, const char *path, bool at_min, int64_t *out,
                           rg_error_t *err)
{
    if (!cJSON_IsObject(group))
        return rg_error_set(err, RG_ERR_TYPE, "%s: Invalid value: \"%s\": must be an object", path,
                            group ? rg_json_type_name(group) : "null");
    bool suspended = false;
    if (rg_json_get_bool(group, "suspend", &suspended) < 0)
        return rg_error_set(err, RG_ERR_TYPE, "%s.suspend: Invalid value: must be a boolean", path);
    int64_t min = 0, max = INT32_MAX, hosts = 1, replicas = -1;
    int rc = read_int32(group, "minReplicas", path, &min, err);
    if (rc == RG_OK)
        rc = read_int32(group, "maxReplicas", path, &max, err);
    if (rc == RG_OK)
        rc = read_int32(group, "numOfHosts", path, &hosts, err);
    if (rc == RG_OK)
        rc = read_int32(group, "replicas", path, &replicas, err);
    if (rc != RG_OK)
        return rc;
    if (min < 0 || max < 0 || hosts < 0)
        return rg_error_set(err, RG_ERR_RANGE,
                            "%s: Invalid value: minReplicas %lld, maxReplicas "
                            "%lld, numOfHosts %lld: must not be negative",
                            path, (long long)min, (long long)max, (long long)hosts);
    if (suspended) {
        *out = 0;
        return RG_OK;
    }
    int64_t n = replicas;
    if (at_min || n < min)
        n = min;
    else if (n > max)
        n = max;
    if (n * hosts > GANG_SIZE_MAX)
        return rg_error_set(err, RG_ERR_RANGE, "%s: Invalid value: %lld pods: more than %d", path,
                            (long long)(n * hosts), GANG_SIZE_MAX);
    *out = n * hosts;
    return RG_OK;
}

int gang_cluster_spec_size(const cJSON *spec, const char *path, int64_t *out, rg_error_t *err)
{
    if (!cJSON_IsObject(spec))
        return rg_error_set(err, RG_ERR_TYPE, "%s: Invalid value: \"%s\": must be an object", path,
                            spec ? rg_json_type_name(spec) : "null");
    bool autoscaling = false;
    if (rg_json_get_bool(spec, "enableInTreeAutoscaling", &autoscaling) < 0)
        return rg_error_set(err, RG_ERR_TYPE,
                            "%s.enableInTreeAutoscaling: Invalid value: must "
                            "be a boolean",
                            path);
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(spec, "workerGroupSpecs");
    if (groups != NULL && !cJSON_IsNull(groups) && !cJSON_IsArray(groups))
        return rg_error_set(err, RG_ERR_TYPE,
                            "%s.workerGroupSpecs: Invalid value: \"%s\": must "
                            "be an array",
                            path, rg_json_type_name(groups));
    int64_t total = 1; /* the head */
    int i = 0;
    const cJSON *list = cJSON_IsArray(groups) ? groups : NULL;
    const cJSON *g;
    cJSON_ArrayForEach(g, list)
    {
        char sub[256];
        snprintf(sub, sizeof(sub), "%s.workerGroupSpecs[%d]", path, i++);
        int64_t pods = 0;
        int rc = gang_worker_group_pods(g, sub, autoscaling, &pods, err);
        if (rc != RG_OK)
            return rc;
        total += pods;
        if (total > GANG_SIZE_MAX)
            return rg_error_set(err, RG_ERR_RANGE,
                                "%s.workerGroupSpecs: Invalid value: more "
                                "than %d pods",
                                path, GANG_SIZE_MAX);
    }
    *out = total;
    return RG_OK;
}

/* The override annotation: 0 when absent, 1 with *out set, <0 when malformed. */
static int size_override(const cJSON *raycluster, int64_t *out, rg_error_t *err)
{
    const char *v = rg_json_get_string(rg_json_path(raycluster, "metadata", "annotations", NULL),
                                       GANG_SIZE_ANNOTATION);
    if (v == NULL)
        return 0;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n < 1 || n > GANG_SIZE_MAX)
        return rg_error_set(err, RG_ERR_PARSE,
                            "metadata.annotations[%s]: Invalid value: "
                            "\"%.32s\": must be an integer between 1 and %d",
                            GANG_SIZE_ANNOTATION, v, GANG_SIZE_MAX);
    *out = n;
    return 1;
}

int gang_raycluster_size(const cJSON *raycluster, int64_t *out, rg_error_t *err)
{
    int rc = size_override(raycluster, out, err);
    if (rc != 0)
        return rc < 0 ? rc : RG_OK;
    return gang_cluster_spec_size(rg_json_get(raycluster, "spec"), "spec", out, err);
}

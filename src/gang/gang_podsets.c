/*
 * The planner's input from the two places a gang is described: a Kueue
 * Workload's podSets, and a RayCluster's head and worker groups (named as
 * Kueue's Ray integration names them).
 */
#include "raygate/gang.h"

#include "raygate/alloc.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

void gang_podsets_release(gang_podsets_t *ps)
{
    if (ps == NULL)
        return;
    for (size_t i = 0; i < ps->n; i++) {
        gang_rvec_release(&ps->reqs[i]);
        gang_cons_free(ps->cons[i]);
        rg_free(ps->names[i]);
    }
    rg_free(ps->sets);
    rg_free(ps->reqs);
    rg_free(ps->cons);
    rg_free(ps->names);
    *ps = (gang_podsets_t){0};
}

static void reserve(gang_podsets_t *ps, size_t n)
{
    ps->sets = rg_calloc(n + 1, sizeof(*ps->sets));
    ps->reqs = rg_calloc(n + 1, sizeof(*ps->reqs));
    ps->cons = rg_calloc(n + 1, sizeof(*ps->cons));
    ps->names = rg_calloc(n + 1, sizeof(*ps->names));
}

/* Appends one podSet from a pod template's spec (borrowed). */
static int add_set(gang_podsets_t *ps, const char *name, int64_t count, const cJSON *spec,
                   const char *path, rg_error_t *err)
{
    size_t i = ps->n;
    podspec_reqs_t reqs = {0};
    int rc = podspec_requests(spec, path, &reqs, err);
    if (rc == RG_OK)
        rc = gang_cons_from_podspec(spec, &ps->cons[i], err);
    if (rc != RG_OK) {
        podspec_reqs_release(&reqs);
        return rc;
    }
    gang_rvec_from_reqs(&reqs, &ps->reqs[i]);
    podspec_reqs_release(&reqs);
    ps->names[i] = rg_strdup(name);
    ps->n++;
    for (size_t k = 0; k < ps->n; k++)
        ps->sets[k] = (gang_podset_t){ps->names[k], k == i ? count : ps->sets[k].count,
                                      &ps->reqs[k], ps->cons[k]};
    return RG_OK;
}

int gang_podsets_from_workload(const cJSON *workload, gang_podsets_t *out, rg_error_t *err)
{
    *out = (gang_podsets_t){0};
    const cJSON *sets = rg_json_path(workload, "spec", "podSets", NULL);
    if (!cJSON_IsArray(sets))
        return rg_error_set(err, RG_ERR_TYPE, "spec.podSets: Required value: must be an array");
    int n = cJSON_GetArraySize(sets);
    if (n > GANG_PLAN_MAX_SETS)
        return rg_error_set(err, RG_ERR_RANGE, "spec.podSets: Too many: %d", n);
    reserve(out, (size_t)n);
    int rc = RG_OK;
    size_t i = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, sets)
    {
        char path[96];
        snprintf(path, sizeof(path), "spec.podSets[%zu]", i++);
        const char *name = rg_json_get_string(s, "name");
        const cJSON *count = rg_json_get(s, "count");
        double c = cJSON_IsNumber(count) ? count->valuedouble : 1; /* Kueue's default */
        if (name == NULL || *name == '\0')
            rc = rg_error_set(err, RG_ERR_PARSE, "%s.name: Required value", path);
        else if (!(c >= 0 && c <= GANG_SIZE_MAX))
            rc = rg_error_set(err, RG_ERR_RANGE, "%s.count: Invalid value: %g", path, c);
        else {
            char spath[128];
            snprintf(spath, sizeof(spath), "%s.template.spec", path);
            rc = add_set(out, name, (int64_t)c, rg_json_path(s, "template", "spec", NULL), spath,
                         err);
        }
        if (rc != RG_OK)
            break;
    }
    if (rc != RG_OK)
        gang_podsets_release(out);
    return rc;
}

int gang_podsets_from_raycluster(const cJSON *raycluster, gang_podsets_t *out, rg_error_t *err)
{
    *out = (gang_podsets_t){0};
    const cJSON *spec = rg_json_get_object(raycluster, "spec");
    if (spec == NULL)
        return rg_error_set(err, RG_ERR_TYPE, "spec: Required value");
    const cJSON *groups = rg_json_get_array(spec, "workerGroupSpecs");
    int n = cJSON_GetArraySize(groups);
    if (n + 1 > GANG_PLAN_MAX_SETS)
        return rg_error_set(err, RG_ERR_RANGE, "spec.workerGroupSpecs: Too many: %d", n);
    bool autoscaling = false;
    (void)rg_json_get_bool(spec, "enableInTreeAutoscaling", &autoscaling);
    reserve(out, (size_t)n + 1);
    int rc = add_set(out, "head", 1, rg_json_path(spec, "headGroupSpec", "template", "spec", NULL),
                     "spec.headGroupSpec.template.spec", err);
    size_t i = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, groups)
    {
        if (rc != RG_OK)
            break;
        char path[96], spath[128], name[256];
        snprintf(path, sizeof(path), "spec.workerGroupSpecs[%zu]", i++);
        snprintf(spath, sizeof(spath), "%s.template.spec", path);
        int64_t pods = 0;
        rc = gang_worker_group_pods(g, path, autoscaling, &pods, err);
        const char *gname = rg_json_get_string(g, "groupName");
        if (rc == RG_OK && (gname == NULL || *gname == '\0'))
            rc = rg_error_set(err, RG_ERR_PARSE, "%s.groupName: Required value", path);
        if (rc != RG_OK)
            break;
        size_t k = 0;
        for (; gname[k] && k + 1 < sizeof(name); k++)
            name[k] = (char)tolower((unsigned char)gname[k]);
        name[k] = '\0';
        if (pods > 0)
            rc = add_set(out, name, pods, rg_json_path(g, "template", "spec", NULL), spath, err);
    }
    if (rc != RG_OK)
        gang_podsets_release(out);
    return rc;
}

int gang_podsets_restrict(gang_podsets_t *ps, size_t i, const cJSON *node_labels,
                          const cJSON *tolerations, rg_error_t *err)
{
    if (i >= ps->n)
        return rg_error_set(err, RG_ERR_INVAL, "podSet index %zu out of range", i);
    int rc = gang_cons_add_selector(ps->cons[i], node_labels, err);
    if (rc == RG_OK)
        rc = gang_cons_add_tolerations(ps->cons[i], tolerations, err);
    return rc;
}

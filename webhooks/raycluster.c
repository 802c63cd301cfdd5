/*
 * RayCluster admission policy (Kueue's RayCluster defaulter, then raygate's
 * suspension): a RayCluster in a namespace with a default LocalQueue joins
 * it; an elastic one gets Kueue's scheduling gate on every pod template; a
 * queued one is born suspended so KubeRay creates no pods until the admitter
 * finds quota for it.
 */
#include "raygate/webhooks.h"

#include <stdio.h>
#include <string.h>

static bool is_elastic(const cJSON *obj)
{
    const char *v = rg_json_get_string(rg_json_path(obj, "metadata", "annotations", NULL),
                                       WH_ANNOTATION_ELASTIC_JOB);
    return v != NULL && strcmp(v, "true") == 0;
}

/* utilpod.GateTemplate: adds the elastic-job gate to one group's template
 * unless it is there. segs leads to the group ("spec", "headGroupSpec"). */
static int gate_template(adm_patch_t *patch, const cJSON *obj, const cJSON *group,
                         const char *const *segs, size_t n)
{
    const cJSON *gates = rg_json_path(group, "template", "spec", "schedulingGates", NULL);
    const char *path[8];
    memcpy(path, segs, n * sizeof(*path));
    path[n] = "template";
    path[n + 1] = "spec";
    path[n + 2] = "schedulingGates";
    if (cJSON_IsArray(gates)) {
        const cJSON *g;
        cJSON_ArrayForEach(g, gates)
        {
            const char *name = rg_json_get_string(g, "name");
            if (name && strcmp(name, WH_ELASTIC_JOB_GATE) == 0)
                return RG_OK;
        }
        path[n + 3] = "-";
        return adm_patch_add(patch, path, n + 4, "{\"name\":\"" WH_ELASTIC_JOB_GATE "\"}");
    }
    return adm_patch_set(patch, obj, path, n + 3, "[{\"name\":\"" WH_ELASTIC_JOB_GATE "\"}]");
}

static int gate_all_templates(adm_patch_t *patch, const cJSON *obj)
{
    const cJSON *spec = rg_json_get_object(obj, "spec");
    const cJSON *head = rg_json_get_object(spec, "headGroupSpec");
    static const char *const head_segs[] = {"spec", "headGroupSpec"};
    int rc = head ? gate_template(patch, obj, head, head_segs, 2) : RG_OK;
    int i = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, rg_json_get_array(spec, "workerGroupSpecs"))
    {
        if (rc != RG_OK)
            break;
        char idx[16];
        snprintf(idx, sizeof(idx), "%d", i++);
        const char *const segs[] = {"spec", "workerGroupSpecs", idx};
        if (cJSON_IsObject(g))
            rc = gate_template(patch, obj, g, segs, 3);
    }
    return rc;
}

void wh_raycluster_mutate(const adm_request_t *req, const wh_cluster_t *cluster, adm_patch_t *patch,
                          wh_result_t *out)
{
    const cJSON *obj = req->object;
    *out = (wh_result_t){.allowed = true};
    const char *queue = NULL;
    int rc = wh_patch_default_queue(patch, req, cluster, &queue);
    if (rc == RG_OK && is_elastic(obj))
        rc = gate_all_templates(patch, obj);
    const char *origin = rg_json_get_string(rg_json_path(obj, "metadata", "labels", NULL),
                                            WH_LABEL_ORIGINATED_FROM_CRD);
    bool from_rayjob = origin && strcmp(origin, "RayJob") == 0;
    if (rc == RG_OK && queue != NULL && !from_rayjob)
        rc = wh_patch_pending(patch, obj, true);
    if (rc != RG_OK) {
        out->allowed = false;
        out->code = 500;
        out->message = "raygate could not build the RayCluster patch";
        out->reason = out->message;
        return;
    }
    if (queue == NULL)
        out->reason = "no " WH_LABEL_QUEUE_NAME " label: not queued";
    else if (from_rayjob)
        /* Its RayJob was queued and admitted as the unit of quota; the
         * cluster it spawns must not wait a second time. */
        out->reason = "created by a RayJob: queued through its RayJob";
    else
        out->reason = "queued: suspended until quota admits it";
}

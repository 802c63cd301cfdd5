/*
 * The mutating webhook's dispatch: which kind's policy runs, and the
 * suspend-and-mark-Pending step the Ray kinds and Workloads share.
 */
#include "raygate/webhooks.h"

#include "raygate/clusterqueue.h"

#include <string.h>

wh_kind_t wh_kind_of(const adm_gvk_t *kind)
{
    if (kind->group == NULL || kind->kind == NULL)
        return WH_KIND_OTHER;
    if (strcmp(kind->group, "ray.io") == 0) {
        if (strcmp(kind->kind, "RayCluster") == 0)
            return WH_KIND_RAYCLUSTER;
        if (strcmp(kind->kind, "RayJob") == 0)
            return WH_KIND_RAYJOB;
    } else if (strcmp(kind->group, "kueue.x-k8s.io") == 0) {
        if (strcmp(kind->kind, "Workload") == 0)
            return WH_KIND_WORKLOAD;
        if (strcmp(kind->kind, "ClusterQueue") == 0)
            return WH_KIND_CLUSTERQUEUE;
    }
    return WH_KIND_OTHER;
}

const char *wh_kind_name(wh_kind_t kind)
{
    switch (kind) {
    case WH_KIND_RAYCLUSTER: return "RayCluster";
    case WH_KIND_RAYJOB: return "RayJob";
    case WH_KIND_WORKLOAD: return "Workload";
    case WH_KIND_CLUSTERQUEUE: return "ClusterQueue";
    case WH_KIND_OTHER: break;
    }
    return "other";
}

const char *wh_queue_label(const cJSON *obj)
{
    const char *q = rg_json_get_string(rg_json_path(obj, "metadata", "labels", NULL),
                                       WH_LABEL_QUEUE_NAME);
    return q && q[0] ? q : NULL;
}

int wh_patch_pending(adm_patch_t *patch, const cJSON *obj, bool suspend)
{
    static const char *const suspend_path[] = {"spec", "suspend"};
    static const char *const annotation_path[] = {"metadata", "annotations",
                                                  WH_ANNOTATION_ADMISSION};
    int rc = RG_OK;
    if (suspend)
        rc = adm_patch_set_bool(patch, obj, suspend_path, 2, true);
    if (rc == RG_OK)
        rc = adm_patch_set_string(patch, obj, annotation_path, 3, WH_ADMISSION_PENDING);
    return rc;
}

void wh_mutate(const adm_request_t *req, adm_patch_t *patch, wh_result_t *out)
{
    *out = (wh_result_t){.allowed = true, .reason = "no policy for this kind"};
    wh_kind_t kind = wh_kind_of(&req->kind);
    if (kind == WH_KIND_CLUSTERQUEUE) {
        /* The seed's shorthand is rewritten whenever it is written. */
        wh_clusterqueue_mutate(req, patch, out);
        return;
    }
    if (req->operation != ADM_OP_CREATE) {
        /* Suspension is decided once, at birth; later changes are the
         * validating webhook's and the admitter's business. */
        out->reason = "only CREATE is mutated";
        return;
    }
    switch (kind) {
    case WH_KIND_RAYCLUSTER: wh_raycluster_mutate(req, patch, out); break;
    case WH_KIND_RAYJOB: wh_rayjob_mutate(req, patch, out); break;
    case WH_KIND_WORKLOAD: wh_workload_mutate(req, patch, out); break;
    case WH_KIND_CLUSTERQUEUE:
    case WH_KIND_OTHER: break;
    }
}

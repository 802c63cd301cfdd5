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
        if (strcmp(kind->kind, "ResourceFlavor") == 0)
            return WH_KIND_RESOURCEFLAVOR;
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
    case WH_KIND_RESOURCEFLAVOR: return "ResourceFlavor";
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

/* Kueue's IsOwnerManagedByKueue for the kinds raygate integrates: a Ray
 * object owned by another Ray job is queued through its owner. */
static bool owner_is_ray_job(const cJSON *obj)
{
    static const char *const kinds[] = {"RayJob", "RayCluster", "RayService"};
    const cJSON *ref;
    cJSON_ArrayForEach(ref, rg_json_path(obj, "metadata", "ownerReferences", NULL))
    {
        const char *av = rg_json_get_string(ref, "apiVersion");
        const char *kind = rg_json_get_string(ref, "kind");
        if (av == NULL || kind == NULL || strncmp(av, "ray.io/", 7) != 0)
            continue;
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
            if (strcmp(kind, kinds[i]) == 0)
                return true;
    }
    const char *origin = rg_json_get_string(rg_json_path(obj, "metadata", "labels", NULL),
                                            WH_LABEL_ORIGINATED_FROM_CRD);
    return origin != NULL && strcmp(origin, "RayJob") == 0;
}

int wh_patch_default_queue(adm_patch_t *patch, const adm_request_t *req,
                           const wh_cluster_t *cluster, const char **queue)
{
    const cJSON *obj = req->object;
    *queue = wh_queue_label(obj);
    if (*queue != NULL || owner_is_ray_job(obj))
        return RG_OK;
    const char *ns = rg_json_get_string(rg_json_get_object(obj, "metadata"), "namespace");
    if (ns == NULL || ns[0] == '\0')
        ns = req->namespace;
    if (!wh_local_queue_exists(cluster, ns, WH_DEFAULT_LOCAL_QUEUE))
        return RG_OK;
    static const char *const path[] = {"metadata", "labels", WH_LABEL_QUEUE_NAME};
    int rc = adm_patch_set_string(patch, obj, path, 3, WH_DEFAULT_LOCAL_QUEUE);
    if (rc == RG_OK)
        *queue = WH_DEFAULT_LOCAL_QUEUE;
    return rc;
}

int wh_patch_add_finalizer(adm_patch_t *patch, const cJSON *obj, const char *finalizer)
{
    const cJSON *list = rg_json_path(obj, "metadata", "finalizers", NULL);
    rg_buf_t v = RG_BUF_INIT;
    int rc;
    if (cJSON_IsArray(list)) {
        const cJSON *f;
        cJSON_ArrayForEach(f, list)
        {
            if (cJSON_IsString(f) && strcmp(f->valuestring, finalizer) == 0)
                return RG_OK;
        }
        static const char *const append[] = {"metadata", "finalizers", "-"};
        rg_buf_append_json_str(&v, finalizer);
        rc = adm_patch_add(patch, append, 3, v.data);
    } else {
        static const char *const path[] = {"metadata", "finalizers"};
        rg_buf_append_char(&v, '[');
        rg_buf_append_json_str(&v, finalizer);
        rg_buf_append_char(&v, ']');
        rc = adm_patch_set(patch, obj, path, 2, v.data);
    }
    rg_buf_release(&v);
    return rc;
}

void wh_resourceflavor_mutate(const adm_request_t *req, adm_patch_t *patch, wh_result_t *out)
{
    *out = (wh_result_t){.allowed = true, .reason = "resourceflavor: nothing to default"};
    if (req->operation != ADM_OP_CREATE)
        return;
    if (wh_patch_add_finalizer(patch, req->object, WH_FINALIZER_RESOURCE_IN_USE) != RG_OK) {
        *out = (wh_result_t){.allowed = false,
                             .code = 500,
                             .message = "raygate: cannot build the ResourceFlavor patch",
                             .reason = "resourceflavor: patch failed"};
        return;
    }
    if (adm_patch_len(patch) > 0)
        out->reason = "resourceflavor: finalizer " WH_FINALIZER_RESOURCE_IN_USE " added";
}

bool wh_mutate_reads_cluster(const adm_request_t *req)
{
    wh_kind_t kind = wh_kind_of(&req->kind);
    return req->operation == ADM_OP_CREATE &&
           (kind == WH_KIND_RAYCLUSTER || kind == WH_KIND_RAYJOB) &&
           wh_queue_label(req->object) == NULL;
}

void wh_mutate(const adm_request_t *req, const wh_cluster_t *cluster, adm_patch_t *patch,
               wh_result_t *out)
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
    case WH_KIND_RAYCLUSTER: wh_raycluster_mutate(req, cluster, patch, out); break;
    case WH_KIND_RAYJOB: wh_rayjob_mutate(req, cluster, patch, out); break;
    case WH_KIND_WORKLOAD: wh_workload_mutate(req, patch, out); break;
    case WH_KIND_RESOURCEFLAVOR: wh_resourceflavor_mutate(req, patch, out); break;
    case WH_KIND_CLUSTERQUEUE:
    case WH_KIND_OTHER: break;
    }
}

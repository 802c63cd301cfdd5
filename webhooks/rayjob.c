/*
 * RayJob admission policy: a RayJob in a namespace with a default LocalQueue
 * joins it (Kueue's defaulter); a queued RayJob is born suspended, so
 * KubeRay creates no RayCluster for it until the admitter unsuspends it.
 */
#include "raygate/webhooks.h"

void wh_rayjob_mutate(const adm_request_t *req, const wh_cluster_t *cluster, adm_patch_t *patch,
                      wh_result_t *out)
{
    *out = (wh_result_t){.allowed = true};
    const char *queue = NULL;
    int rc = wh_patch_default_queue(patch, req, cluster, &queue);
    if (rc == RG_OK && queue != NULL)
        rc = wh_patch_pending(patch, req->object, true);
    if (rc != RG_OK) {
        out->allowed = false;
        out->code = 500;
        out->message = "raygate could not build the suspend patch";
        out->reason = out->message;
        return;
    }
    out->reason = queue ? "queued: suspended until quota admits it"
                        : "no " WH_LABEL_QUEUE_NAME " label: not queued";
}

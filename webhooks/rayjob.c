/*
 * RayJob admission policy: a queued RayJob is born suspended; KubeRay then
 * creates no RayCluster for it until the admitter unsuspends it.
 */
#include "raygate/webhooks.h"

void wh_rayjob_mutate(const adm_request_t *req, adm_patch_t *patch, wh_result_t *out)
{
    *out = (wh_result_t){.allowed = true};
    if (wh_queue_label(req->object) == NULL) {
        out->reason = "no " WH_LABEL_QUEUE_NAME " label: not queued";
        return;
    }
    if (wh_patch_pending(patch, req->object, true) != RG_OK) {
        out->allowed = false;
        out->code = 500;
        out->message = "raygate could not build the suspend patch";
        out->reason = out->message;
        return;
    }
    out->reason = "queued: suspended until quota admits it";
}

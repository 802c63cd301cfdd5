/*
 * RayCluster admission policy: a queued RayCluster is born suspended so
 * KubeRay creates no pods until the admitter finds quota for it.
 */
#include "raygate/webhooks.h"

#include <string.h>

void wh_raycluster_mutate(const adm_request_t *req, adm_patch_t *patch, wh_result_t *out)
{
    const cJSON *obj = req->object;
    *out = (wh_result_t){.allowed = true};
    if (wh_queue_label(obj) == NULL) {
        out->reason = "no " WH_LABEL_QUEUE_NAME " label: not queued";
        return;
    }
    const char *origin = rg_json_get_string(rg_json_path(obj, "metadata", "labels", NULL),
                                            WH_LABEL_ORIGINATED_FROM_CRD);
    if (origin && strcmp(origin, "RayJob") == 0) {
        /* Its RayJob was queued and admitted as the unit of quota; the
         * cluster it spawns must not wait a second time. */
        out->reason = "created by a RayJob: queued through its RayJob";
        return;
    }
    if (wh_patch_pending(patch, obj, true) != RG_OK) {
        out->allowed = false;
        out->code = 500;
        out->message = "raygate could not build the suspend patch";
        out->reason = out->message;
        return;
    }
    out->reason = "queued: suspended until quota admits it";
}

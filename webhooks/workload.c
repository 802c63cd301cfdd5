/*
 * Workload admission policy: Kueue's defaulting, and the Pending mark. A
 * Workload has no suspend field: it waits until status.admission is set,
 * which is Kueue's own meaning, so Kueue-aware job integrations keep working.
 */
#include "raygate/webhooks.h"

#include <stdio.h>

/* Kueue defaults a lone unnamed podSet to "main" and a missing count to 1
 * (the CRD default); raygate may sit in front of looser CRDs, so it applies
 * the CRD defaults itself (these and spec.active). */
static int default_podsets(const adm_request_t *req, adm_patch_t *patch)
{
    const cJSON *podsets = rg_json_get_array(rg_json_get_object(req->object, "spec"), "podSets");
    if (podsets == NULL)
        return RG_OK;
    int n = cJSON_GetArraySize(podsets);
    int i = 0;
    const cJSON *ps;
    cJSON_ArrayForEach(ps, podsets)
    {
        if (!cJSON_IsObject(ps)) {
            i++;
            continue;
        }
        char idx[16];
        snprintf(idx, sizeof(idx), "%d", i);
        const char *name = rg_json_get_string(ps, "name");
        if (n == 1 && (name == NULL || name[0] == '\0')) {
            const char *const path[] = {"spec", "podSets", idx, "name"};
            int rc = adm_patch_set_string(patch, req->object, path, 4, WH_DEFAULT_PODSET_NAME);
            if (rc != RG_OK)
                return rc;
        }
        if (rg_json_get(ps, "count") == NULL) {
            const char *const path[] = {"spec", "podSets", idx, "count"};
            int rc = adm_patch_set(patch, req->object, path, 4, "1");
            if (rc != RG_OK)
                return rc;
        }
        i++;
    }
    return RG_OK;
}

/* The CRD's `active: true` default (+kubebuilder:default=true). */
static int default_active(const adm_request_t *req, adm_patch_t *patch)
{
    const cJSON *active = rg_json_get(rg_json_get_object(req->object, "spec"), "active");
    if (active != NULL && !cJSON_IsNull(active))
        return RG_OK;
    static const char *const path[] = {"spec", "active"};
    return adm_patch_set_bool(patch, req->object, path, 2, true);
}

void wh_workload_mutate(const adm_request_t *req, adm_patch_t *patch, wh_result_t *out)
{
    *out = (wh_result_t){.allowed = true};
    int rc = default_podsets(req, patch);
    if (rc == RG_OK)
        rc = default_active(req, patch);
    const char *queue = rg_json_get_string(rg_json_get_object(req->object, "spec"), "queueName");
    if (rc == RG_OK && queue && queue[0])
        rc = wh_patch_pending(patch, req->object, false);
    if (rc != RG_OK) {
        out->allowed = false;
        out->code = 500;
        out->message = "raygate could not build the Workload patch";
        out->reason = out->message;
        return;
    }
    out->reason = queue && queue[0] ? "queued: pending until quota admits it"
                                     : "no spec.queueName: not queued";
}

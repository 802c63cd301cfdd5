/*
 * Validating rules for queued RayJobs (ray.io/v1), after Kueue's RayJob
 * webhook: a managed RayJob brings its own cluster (rayClusterSpec, checked
 * with the RayCluster rules) and deletes it when done, so the quota it holds
 * is released; a RayJob on an existing cluster (clusterSelector) is not
 * managed.
 */
#include "raygate/validate.h"
#include "raygate/webhooks.h"

#include "pod_internal.h"
#include "ray_internal.h"

void wh_rayjob_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                        field_errors_t *errs, wh_warnings_t *warns)
{
    (void)warns;
    const cJSON *spec = rg_json_get_object(obj, "spec");
    const cJSON *cluster = rg_json_get(spec, "rayClusterSpec");
    /* The CRD layer (upstream's schema) holds for every RayJob. */
    wh__ray_cluster_quantities(cJSON_IsObject(cluster) ? cluster : NULL, "spec.rayClusterSpec",
                               errs);
    field_path_t p;
    field_path_init(&p, "spec.submitterPodTemplate.spec");
    wh__pod_spec_quantities(errs, &p, rg_json_path(spec, "submitterPodTemplate", "spec", NULL), 0);
    /* Kueue validates an update only of a job it manages before or after. */
    if (old != NULL && !wh__ray_queued(obj, old))
        return;
    if (old != NULL)
        wh__ray_job_update_validate(ctx, obj, old, errs);

    if (wh_queue_label(obj) != NULL) {
        const cJSON *selector = rg_json_get(spec, "clusterSelector");
        /* Go's len(map) > 0 and pointer != nil: an empty selector and a null
         * rayClusterSpec count as absent. */
        bool has_selector = cJSON_IsObject(selector) && selector->child != NULL;
        bool has_cluster = cluster != NULL && !cJSON_IsNull(cluster);
        if (has_selector && has_cluster) {
            field_invalid_json(errs, "spec.clusterSelector", selector,
                               "a kueue managed job should not use an existing cluster");
        } else if (!has_selector && !has_cluster) {
            field_required(errs, "spec.rayClusterSpec",
                           "rayClusterSpec is required for Kueue-managed jobs that don't use "
                           "clusterSelector");
        } else if (has_cluster) {
            /* The cluster lives only as long as the job holds quota for it. */
            bool shutdown = false;
            if (rg_json_get_bool(spec, "shutdownAfterJobFinishes", &shutdown) != 1 || !shutdown)
                field_add(errs, FIELD_INVALID, "spec.shutdownAfterJobFinishes", "false",
                          "a kueue managed job should delete the cluster after finishing");
            wh_ray_spec_opts_t opts = {.rayjob = true, .elastic = wh__ray_elastic(obj)};
            if (cJSON_IsObject(cluster))
                wh__ray_cluster_spec_validate(cluster, "spec.rayClusterSpec", &opts, errs);
            else
                field_invalid_json(errs, "spec.rayClusterSpec", cluster, "must be an object");
        }
        /* has_selector alone: runs on a cluster Kueue does not manage. */
    }
    wh__ray_job_create_validate(obj, errs);
    wh__ray_cluster_tas_validate(cJSON_IsObject(cluster) ? cluster : NULL, "spec.rayClusterSpec",
                                 errs);
}

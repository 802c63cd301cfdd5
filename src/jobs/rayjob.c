/*
 * RayJob: its cluster (spec.rayClusterSpec, through raycluster.c), the
 * submitter KubeRay runs for it (a Job in K8sJobMode, a head sidecar in
 * SidecarMode) with KubeRay's defaults, RayJobs on existing clusters (no
 * Workload), and the RayJob's state as Kueue's rayjob integration reads it.
 */
#include "job_internal.h"

#include <stdio.h>
#include <string.h>

/* KubeRay's submitter container (utils.SubmitterContainerName and
 * common.GetDefaultSubmitterContainer's resources). */
#define SUBMITTER_CONTAINER "ray-job-submitter"
#define SUBMITTER_REQ_CPU "500m"
#define SUBMITTER_REQ_MEMORY "200Mi"
#define SUBMITTER_LIM_CPU "1"
#define SUBMITTER_LIM_MEMORY "1Gi"
#define SUBMITTER_POD_SET "submitter"

/* rayv1.JobSubmissionMode values; K8sJobMode is the CRD's default. */
static const char *const SUBMISSION_MODES[] = {"K8sJobMode", "HTTPMode", "InteractiveMode",
                                               "SidecarMode"};

int job__rayjob_prepare(job__owner_t *o, rg_error_t *err)
{
    const cJSON *spec = rg_json_get(o->obj, "spec");
    const cJSON *sel = NULL, *cs = NULL;
    const char *mode = NULL;
    int rc = job__opt_object(spec, "spec", "clusterSelector", &sel, err);
    if (rc == RG_OK)
        rc = job__opt_object(spec, "spec", "rayClusterSpec", &cs, err);
    if (rc == RG_OK)
        rc = job__opt_string(spec, "spec", "submissionMode", &mode, err);
    if (rc != RG_OK)
        return rc;
    if (sel != NULL && sel->child != NULL)
        return rg_error_set(err, RG_ERR_STATE,
                            "spec.clusterSelector: the RayJob runs on an "
                            "existing RayCluster and has no Workload of its own (Kueue skips "
                            "it too)");
    if (cs == NULL)
        return rg_error_set(err, RG_ERR_INVAL,
                            "spec.rayClusterSpec: Required value: "
                            "rayClusterSpec is required for Kueue-managed jobs that don't use "
                            "clusterSelector");
    if (mode == NULL || mode[0] == '\0')
        mode = SUBMISSION_MODES[0];
    bool known = false;
    for (size_t i = 0; i < sizeof(SUBMISSION_MODES) / sizeof(SUBMISSION_MODES[0]); i++)
        known |= strcmp(mode, SUBMISSION_MODES[i]) == 0;
    if (!known)
        return rg_error_set(err, RG_ERR_INVAL,
                            "spec.submissionMode: Unsupported value: \"%s\": "
                            "supported values: \"K8sJobMode\", \"HTTPMode\", "
                            "\"InteractiveMode\", \"SidecarMode\"",
                            mode);
    o->submitter_job = strcmp(mode, "K8sJobMode") == 0;
    o->sidecar_submitter = strcmp(mode, "SidecarMode") == 0;
    o->cluster_spec = cs;
    o->cs_path = "spec.rayClusterSpec";
    return RG_OK;
}

int job__rayjob_submitter_slot(job__owner_t *o, rg_error_t *err)
{
    if (!o->submitter_job)
        return RG_OK;
    if (o->n >= JOB_MAX_POD_SETS)
        return rg_error_set(err, RG_ERR_TOO_BIG,
                            "spec.rayClusterSpec.workerGroupSpecs: Too many: "
                            "%zu: must have at most %d items (a Workload has at most %d pod "
                            "sets: the head, %d worker groups and the submitter)",
                            o->n + 1, JOB_MAX_POD_SETS, JOB_MAX_POD_SETS, JOB_MAX_POD_SETS - 2);
    const cJSON *tmpl = NULL;
    int rc =
        job__opt_object(rg_json_get(o->obj, "spec"), "spec", "submitterPodTemplate", &tmpl, err);
    if (rc == RG_OK && tmpl != NULL)
        rc = job__template_check(tmpl, "spec.submitterPodTemplate", err);
    if (rc != RG_OK)
        return rc;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->slots[i].name, SUBMITTER_POD_SET) == 0)
            return rg_error_set(err, RG_ERR_INVAL,
                                "spec.rayClusterSpec.workerGroupSpecs[%d]."
                                "groupName: Duplicate value: \"%s\": already the podSet name of "
                                "the RayJob's submitter",
                                o->slots[i].group, SUBMITTER_POD_SET);
    job__slot_t *s = &o->slots[o->n++];
    memset(s, 0, sizeof(*s));
    s->role = JOB__SUBMITTER;
    s->group = -1;
    snprintf(s->name, sizeof(s->name), "%s", SUBMITTER_POD_SET);
    s->count = 1;
    s->tmpl = tmpl;
    snprintf(s->path, sizeof(s->path), "spec.submitterPodTemplate");
    return RG_OK;
}

cJSON *job__rayjob_submitter_container(const char *image)
{
    cJSON *res = cJSON_CreateObject();
    cJSON_AddItemToObject(res, "limits",
                          job__resource_list(SUBMITTER_LIM_CPU, SUBMITTER_LIM_MEMORY));
    cJSON_AddItemToObject(res, "requests",
                          job__resource_list(SUBMITTER_REQ_CPU, SUBMITTER_REQ_MEMORY));
    cJSON *c = job__container(SUBMITTER_CONTAINER, image, res);
    cJSON_Delete(res);
    return c;
}

int job__rayjob_default_submitter(const job__owner_t *o, cJSON **out, rg_error_t *err)
{
    *out = NULL;
    /* KubeRay (and Kueue) take the image of the head's Ray container. */
    const char *path = o->slots[0].path;
    const cJSON *ray =
        cJSON_GetArrayItem(rg_json_path(o->slots[0].tmpl, "spec", "containers", NULL), 0);
    if (!cJSON_IsObject(ray))
        return rg_error_set(err, RG_ERR_INVAL,
                            "%s.spec.containers: Required value: the default "
                            "submitter takes the image of the head's Ray container",
                            path);
    char cpath[JOB__PATH_MAX + 32];
    snprintf(cpath, sizeof(cpath), "%s.spec.containers[0]", path);
    const char *image = NULL;
    int rc = job__opt_string(ray, cpath, "image", &image, err);
    if (rc != RG_OK)
        return rc;
    cJSON *tmpl = cJSON_CreateObject();
    cJSON *spec = cJSON_AddObjectToObject(tmpl, "spec");
    cJSON *containers = cJSON_AddArrayToObject(spec, "containers");
    cJSON_AddItemToArray(containers, job__rayjob_submitter_container(image));
    cJSON_AddStringToObject(spec, "restartPolicy", "Never");
    *out = tmpl;
    return RG_OK;
}

static int status_string(const cJSON *status, const char *key, const char **out, rg_error_t *err)
{
    int rc = job__opt_string(status, "status", key, out, err);
    if (rc == RG_OK && *out == NULL)
        *out = "";
    return rc;
}

int job__rayjob_finished(const cJSON *rj, job_finish_t *out, rg_error_t *err)
{
    const cJSON *status = rg_json_get(rj, "status");
    const char *deploy = "", *job = "", *msg = "";
    if (status != NULL && !cJSON_IsNull(status) && !cJSON_IsObject(status))
        return rg_error_set(err, RG_ERR_TYPE, "status: Invalid value: \"%s\": must be an object",
                            rg_json_type_name(status));
    int rc = status_string(status, "jobDeploymentStatus", &deploy, err);
    if (rc == RG_OK)
        rc = status_string(status, "jobStatus", &job, err);
    if (rc == RG_OK)
        rc = status_string(status, "message", &msg, err);
    if (rc != RG_OK)
        return rc;
    out->finished = strcmp(deploy, "Complete") == 0 || strcmp(deploy, "Failed") == 0;
    out->success = strcmp(job, "SUCCEEDED") == 0;
    out->message = msg;
    out->reason = !out->finished ? NULL
                  : out->success ? JOB_FINISHED_SUCCEEDED
                                 : JOB_FINISHED_FAILED;
    return RG_OK;
}

bool job__rayjob_pods_ready(const cJSON *rj)
{
    const char *state =
        rg_json_get_string(rg_json_path(rj, "status", "rayClusterStatus", NULL), "state");
    return state != NULL && strcmp(state, "ready") == 0;
}

static const char *deployment_status(const cJSON *rj)
{
    const char *s = rg_json_get_string(rg_json_get(rj, "status"), "jobDeploymentStatus");
    return s ? s : "";
}

bool job__rayjob_active(const cJSON *rj)
{
    const char *s = deployment_status(rj);
    return s[0] != '\0' && strcmp(s, "Suspended") != 0;
}

bool job__rayjob_on_hold(const cJSON *rj)
{
    return strcmp(deployment_status(rj), "ValidationFailed") == 0;
}

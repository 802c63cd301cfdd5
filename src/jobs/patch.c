/*
 * The owner's side of admission and eviction, as JSON merge patches: start
 * (Kueue's startJob: the admission's flavors and Kueue's labels merged into
 * every pod template, unsuspend) and stop (stopJob: suspend, templates
 * restored from the Workload). Both are computed as the difference between
 * the owner's spec and a changed copy, so arrays go whole and nothing else
 * moves.
 */
#include "job_internal.h"

#include "raygate/validate.h"

#include <stdio.h>
#include <string.h>

/* The assignment of a podSet in status.admission.podSetAssignments. */
static int find_assignment(const cJSON *wl, const char *ps_name, const cJSON **out, rg_error_t *err)
{
    const cJSON *list = rg_json_path(wl, "status", "admission", "podSetAssignments", NULL);
    if (list != NULL && !cJSON_IsNull(list) && !cJSON_IsArray(list))
        return rg_error_set(err, RG_ERR_TYPE,
                            "status.admission.podSetAssignments: Invalid value: "
                            "\"%s\": must be an array",
                            rg_json_type_name(list));
    const cJSON *a;
    int i = 0;
    cJSON_ArrayForEach(a, list)
    {
        if (!cJSON_IsObject(a))
            return rg_error_set(err, RG_ERR_TYPE,
                                "status.admission.podSetAssignments[%d]: "
                                "Invalid value: \"%s\": must be an object",
                                i, rg_json_type_name(a));
        const char *name = rg_json_get_string(a, "name");
        if (name != NULL && strcmp(name, ps_name) == 0) {
            *out = a;
            return RG_OK;
        }
        i++;
    }
    return rg_error_set(err, RG_ERR_STATE,
                        "status.admission.podSetAssignments: Not found: "
                        "\"%s\": the admission assigns nothing to this podSet",
                        ps_name);
}

/* podset.FromAssignment: each flavor once, nodeLabels and tolerations. */
static int add_flavors(const cJSON *assignment, const char *ps_name, job_flavor_fn flavors,
                       void *ctx, job__info_t *info, rg_error_t *err)
{
    const cJSON *map = rg_json_get(assignment, "flavors");
    if (map != NULL && !cJSON_IsNull(map) && !cJSON_IsObject(map))
        return rg_error_set(err, RG_ERR_TYPE,
                            "status.admission.podSetAssignments[%s].flavors: "
                            "Invalid value: \"%s\": must be an object",
                            ps_name, rg_json_type_name(map));
    if (cJSON_GetArraySize(map) > JOB__LIST_MAX)
        return rg_error_set(err, RG_ERR_TOO_BIG,
                            "status.admission.podSetAssignments[%s].flavors: "
                            "Too many: %d: must have at most %d items",
                            ps_name, cJSON_GetArraySize(map), JOB__LIST_MAX);
    const cJSON *f;
    cJSON_ArrayForEach(f, map)
    {
        if (!cJSON_IsString(f) || f->valuestring[0] == '\0')
            return rg_error_set(err, RG_ERR_TYPE,
                                "status.admission.podSetAssignments[%s]."
                                "flavors[%s]: Invalid value: must be a flavor name",
                                ps_name, f->string);
        bool seen = false;
        for (const cJSON *p = map->child; p != f; p = p->next)
            seen |= strcmp(p->valuestring, f->valuestring) == 0;
        if (seen)
            continue;
        const cJSON *flavor = NULL;
        int rc = flavors ? flavors(ctx, f->valuestring, &flavor, err)
                         : rg_error_set(err, RG_ERR_INVAL, "no ResourceFlavor lookup given");
        if (rc < 0)
            return rc;
        if (rc == 0 || !cJSON_IsObject(flavor))
            return rg_error_set(err, RG_ERR_NOT_FOUND,
                                "status.admission.podSetAssignments[%s]."
                                "flavors[%s]: Not found: \"%s\": no such ResourceFlavor",
                                ps_name, f->string, f->valuestring);
        char origin[320];
        snprintf(origin, sizeof(origin), "ResourceFlavor \"%s\"", f->valuestring);
        const cJSON *spec = rg_json_get(flavor, "spec");
        rc = job__info_add_map(info, "nodeSelector", rg_json_get(spec, "nodeLabels"), origin,
                               "spec.nodeLabels", err);
        if (rc == RG_OK) {
            char path[400];
            snprintf(path, sizeof(path), "%s spec.tolerations", origin);
            rc = job__info_add_tolerations(info, rg_json_get(spec, "tolerations"), path, err);
        }
        if (rc != RG_OK)
            return rc;
    }
    return RG_OK;
}

/* Kueue's own labels and annotation on an admitted pod template. */
static int add_kueue_meta(const cJSON *wl, const char *ps_name, job__info_t *info, rg_error_t *err)
{
    cJSON *labels = cJSON_CreateObject();
    cJSON *ann = cJSON_CreateObject();
    cJSON_AddStringToObject(labels, JOB_LABEL_PODSET, ps_name);
    const char *lq = rg_json_get_string(rg_json_get(wl, "spec"), "queueName");
    if (lq != NULL && lq[0] != '\0')
        cJSON_AddStringToObject(labels, JOB_LABEL_LOCAL_QUEUE, lq);
    /* The ClusterQueue label only when its name is a valid label (Kueue's
     * assignQueueLabels checks IsDNS1123Label). */
    const char *cq =
        rg_json_get_string(rg_json_path(wl, "status", "admission", NULL), "clusterQueue");
    if (cq != NULL && job__check_name(wh_check_dns1123_label, "cq", cq, NULL, NULL) == RG_OK)
        cJSON_AddStringToObject(labels, JOB_LABEL_CLUSTER_QUEUE, cq);
    const char *wl_name = rg_json_get_string(rg_json_get(wl, "metadata"), "name");
    if (wl_name != NULL)
        cJSON_AddStringToObject(ann, JOB_ANNOTATION_WORKLOAD, wl_name);
    int rc = job__info_add_map(info, "labels", labels, "Kueue", "labels", err);
    if (rc == RG_OK)
        rc = job__info_add_map(info, "annotations", ann, "Kueue", "annotations", err);
    cJSON_Delete(labels);
    cJSON_Delete(ann);
    return rc;
}

/* The first podSetUpdate of each admission check naming the podSet. */
static int add_check_updates(const cJSON *wl, const char *ps_name, job__info_t *info,
                             rg_error_t *err)
{
    const cJSON *check;
    cJSON_ArrayForEach(check, rg_json_get_array(rg_json_get(wl, "status"), "admissionChecks"))
    {
        const char *cname = rg_json_get_string(check, "name");
        const cJSON *u;
        cJSON_ArrayForEach(u, rg_json_get_array(check, "podSetUpdates"))
        {
            const char *name = rg_json_get_string(u, "name");
            if (name == NULL || strcmp(name, ps_name) != 0)
                continue;
            char origin[320], src[400];
            snprintf(origin, sizeof(origin), "admission check \"%.256s\"", cname ? cname : "");
            static const char *const maps[] = {"labels", "annotations", "nodeSelector"};
            int rc = RG_OK;
            for (size_t m = 0; m < 3 && rc == RG_OK; m++) {
                snprintf(src, sizeof(src), "podSetUpdates[%s].%s", ps_name, maps[m]);
                rc = job__info_add_map(info, maps[m], rg_json_get(u, maps[m]), origin, src, err);
            }
            snprintf(src, sizeof(src), "%s podSetUpdates[%s].tolerations", origin, ps_name);
            if (rc == RG_OK)
                rc = job__info_add_tolerations(info, rg_json_get(u, "tolerations"), src, err);
            if (rc != RG_OK)
                return rc;
            break;
        }
    }
    return RG_OK;
}

int job__pod_set_info(const cJSON *wl, const char *ps_name, job_flavor_fn flavors, void *ctx,
                      job__info_t *info, rg_error_t *err)
{
    const cJSON *assignment = NULL;
    int rc = find_assignment(wl, ps_name, &assignment, err);
    if (rc == RG_OK)
        rc = add_flavors(assignment, ps_name, flavors, ctx, info, err);
    if (rc == RG_OK)
        rc = add_kueue_meta(wl, ps_name, info, err);
    if (rc == RG_OK)
        rc = add_check_updates(wl, ps_name, info, err);
    return rc;
}

/* ---- Locating the templates in a mutable copy of the owner's spec ---- */

static cJSON *child(cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* The slot's template inside spec (the copy); a RayJob's submitter
 * template is created from KubeRay's default when absent. */
static int slot_template_mut(const job__owner_t *o, const job__slot_t *s, cJSON *spec, cJSON **out,
                             rg_error_t *err)
{
    cJSON *cs = o->kind == JOB_KIND_RAYJOB ? child(spec, "rayClusterSpec") : spec;
    switch (s->role) {
    case JOB__HEAD: *out = child(child(cs, "headGroupSpec"), "template"); return RG_OK;
    case JOB__WORKER:
        *out = child(cJSON_GetArrayItem(child(cs, "workerGroupSpecs"), s->group), "template");
        return RG_OK;
    case JOB__SUBMITTER:
        *out = child(spec, "submitterPodTemplate");
        if (!cJSON_IsObject(*out)) { /* absent or null: the owner runs KubeRay's default */
            int rc = job__rayjob_default_submitter(o, out, err);
            if (rc != RG_OK)
                return rc;
            cJSON_DeleteItemFromObjectCaseSensitive(spec, "submitterPodTemplate");
            cJSON_AddItemToObject(spec, "submitterPodTemplate", *out);
        }
        return RG_OK;
    }
    return rg_error_set(err, RG_ERR_INVAL, "unknown template role");
}

/* The Workload is this owner's (its controller has the owner's uid). */
static int check_owned(const job__owner_t *o, const cJSON *wl, rg_error_t *err)
{
    if (!cJSON_IsObject(wl))
        return rg_error_set(err, RG_ERR_TYPE, "workload: Invalid value: \"%s\": must be an object",
                            rg_json_type_name(wl));
    const char *name = NULL, *uid = NULL;
    int rc = job__workload_controller(wl, &name, &uid, err);
    if (rc != RG_OK)
        return rc;
    if (strcmp(uid, o->uid) != 0)
        return rg_error_set(err, RG_ERR_STATE,
                            "metadata.ownerReferences: the Workload is "
                            "controlled by %s (uid %s), not by %s (uid %s)",
                            name, uid, o->name, o->uid);
    return RG_OK;
}

/* Its pod sets line up with the owner's templates, by index and name. */
static int check_lineup(const job__owner_t *o, const cJSON *wl, rg_error_t *err)
{
    const cJSON *sets = rg_json_path(wl, "spec", "podSets", NULL);
    if (!cJSON_IsArray(sets) || (size_t)cJSON_GetArraySize(sets) != o->n)
        return rg_error_set(err, RG_ERR_STATE,
                            "spec.podSets: the Workload has %d pod sets, the "
                            "owner %zu: recheck it (job_workload_check)",
                            cJSON_IsArray(sets) ? cJSON_GetArraySize(sets) : 0, o->n);
    for (size_t i = 0; i < o->n; i++) {
        const cJSON *ps = cJSON_GetArrayItem(sets, (int)i);
        const char *ps_name = rg_json_get_string(ps, "name");
        if (ps_name == NULL || strcmp(ps_name, o->slots[i].name) != 0)
            return rg_error_set(err, RG_ERR_STATE,
                                "spec.podSets[%zu].name: Workload has \"%s\", "
                                "owner has \"%s\" (%s): recheck it (job_workload_check)",
                                i, ps_name ? ps_name : "", o->slots[i].name, o->slots[i].path);
    }
    return RG_OK;
}

static int require_rv(const job__owner_t *o, rg_error_t *err)
{
    if (o->resource_version == NULL || o->resource_version[0] == '\0')
        return rg_error_set(err, RG_ERR_INVAL,
                            "metadata.resourceVersion: Required value: the "
                            "patch carries it as its precondition");
    return RG_OK;
}

/* {metadata: {resourceVersion, annotations: {...}}, spec: diff + suspend}. */
static cJSON *assemble(const job__owner_t *o, cJSON *new_spec, bool suspend, const char *admission,
                       const char *cluster_queue)
{
    cJSON_DeleteItemFromObjectCaseSensitive(new_spec, "suspend");
    cJSON_AddBoolToObject(new_spec, "suspend", suspend);
    cJSON *patch = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(patch, "metadata");
    cJSON_AddStringToObject(meta, "resourceVersion", o->resource_version);
    cJSON *ann = cJSON_AddObjectToObject(meta, "annotations");
    cJSON_AddStringToObject(ann, JOB_ANNOTATION_ADMISSION, admission);
    if (cluster_queue != NULL)
        cJSON_AddStringToObject(ann, JOB_ANNOTATION_CLUSTER_QUEUE, cluster_queue);
    else
        cJSON_AddNullToObject(ann, JOB_ANNOTATION_CLUSTER_QUEUE);
    cJSON *diff = job__merge_diff(rg_json_get(o->obj, "spec"), new_spec);
    /* suspend always goes out, even when unchanged: the patch says what it means. */
    if (diff == NULL)
        diff = cJSON_CreateObject();
    if (rg_json_get(diff, "suspend") == NULL)
        cJSON_AddBoolToObject(diff, "suspend", suspend);
    cJSON_AddItemToObject(patch, "spec", diff);
    return patch;
}

int job_run_patch(const cJSON *owner, const cJSON *workload, job_flavor_fn flavors, void *ctx,
                  cJSON **patch, rg_error_t *err)
{
    *patch = NULL;
    job__owner_t o;
    int rc = job__owner_load(owner, &o, err);
    if (rc == RG_OK)
        rc = require_rv(&o, err);
    if (rc == RG_OK)
        rc = check_owned(&o, workload, err);
    if (rc == RG_OK)
        rc = check_lineup(&o, workload, err);
    if (rc != RG_OK)
        return rc;
    const cJSON *adm = rg_json_path(workload, "status", "admission", NULL);
    const char *cq = rg_json_get_string(adm, "clusterQueue");
    if (!cJSON_IsObject(adm) || cq == NULL || cq[0] == '\0')
        return rg_error_set(err, RG_ERR_STATE,
                            "status.admission: Required value: the Workload "
                            "is not admitted (no status.admission.clusterQueue)");
    cJSON *spec = cJSON_Duplicate(rg_json_get(owner, "spec"), 1);
    for (size_t i = 0; i < o.n && rc == RG_OK; i++) {
        cJSON *tmpl = NULL;
        job__info_t info = {0};
        rc = slot_template_mut(&o, &o.slots[i], spec, &tmpl, err);
        if (rc == RG_OK)
            rc = job__pod_set_info(workload, o.slots[i].name, flavors, ctx, &info, err);
        if (rc == RG_OK)
            rc = job__template_merge(tmpl, o.slots[i].path, &info, err);
        job__info_release(&info);
    }
    if (rc == RG_OK)
        *patch = assemble(&o, spec, false, JOB_ADMISSION_ADMITTED, cq);
    cJSON_Delete(spec);
    return rc;
}

int job_stop_patch(const cJSON *owner, const cJSON *workload, cJSON **patch, bool *restored,
                   rg_error_t *err)
{
    *patch = NULL;
    if (restored != NULL)
        *restored = false;
    job__owner_t o;
    int rc = job__owner_load(owner, &o, err);
    if (rc == RG_OK)
        rc = require_rv(&o, err);
    if (rc != RG_OK)
        return rc;
    bool restore = false;
    if (workload != NULL) {
        rc = check_owned(&o, workload, err);
        if (rc != RG_OK)
            return rc;
        /* Pod sets that no longer line up only skip the restore, as
         * Kueue's RestorePodSetsInfo does. */
        restore = check_lineup(&o, workload, NULL) == RG_OK;
    }
    cJSON *spec = cJSON_Duplicate(rg_json_get(owner, "spec"), 1);
    const cJSON *sets = rg_json_path(workload, "spec", "podSets", NULL);
    for (size_t i = 0; restore && i < o.n; i++) {
        /* KubeRay's default submitter is not on the owner: nothing to restore. */
        if (o.slots[i].tmpl == NULL)
            continue;
        cJSON *tmpl = NULL;
        rc = slot_template_mut(&o, &o.slots[i], spec, &tmpl, err);
        if (rc != RG_OK) {
            cJSON_Delete(spec);
            return rc;
        }
        job__template_restore(tmpl, rg_json_get(cJSON_GetArrayItem(sets, (int)i), "template"));
    }
    *patch = assemble(&o, spec, true, JOB_ADMISSION_PENDING, NULL);
    cJSON_Delete(spec);
    if (restored != NULL)
        *restored = restore;
    return RG_OK;
}

/*
 * The Workload of an owner: its pod sets, the whole object Kueue's
 * ConstructWorkload + prepareWorkload build, and whether an existing
 * Workload still matches (EquivalentToWorkload) with what Kueue's
 * ensureOneWorkload then does with one that does not.
 */
#include "job_internal.h"

#include "raygate/podspec.h"
#include "raygate/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The template of a slot as the owner has it, or KubeRay's default. */
static int slot_template(const job__owner_t *o, const job__slot_t *s, cJSON **out, rg_error_t *err)
{
    if (s->tmpl == NULL)
        return job__rayjob_default_submitter(o, out, err);
    /* Quantities are checked where the user wrote them, with podspec's rules. */
    char path[JOB__PATH_MAX + 8];
    snprintf(path, sizeof(path), "%s.spec", s->path);
    const cJSON *spec = rg_json_get(s->tmpl, "spec");
    if (spec != NULL) { /* an empty template asks for nothing */
        podspec_reqs_t reqs = {0};
        int rc = podspec_requests(spec, path, &reqs, err);
        podspec_reqs_release(&reqs);
        if (rc != RG_OK)
            return rc;
    }
    return job__template_copy(s->tmpl, s->path, out, err);
}

int job__pod_sets(const job__owner_t *o, cJSON **out, rg_error_t *err)
{
    *out = NULL;
    cJSON *sets = cJSON_CreateArray();
    for (size_t i = 0; i < o->n; i++) {
        const job__slot_t *s = &o->slots[i];
        cJSON *tmpl = NULL;
        int rc = slot_template(o, s, &tmpl, err);
        if (rc == RG_OK && s->role == JOB__HEAD)
            rc = job__head_extras(o, cJSON_GetObjectItemCaseSensitive(tmpl, "spec"), err);
        if (rc != RG_OK) {
            cJSON_Delete(tmpl);
            cJSON_Delete(sets);
            return rc;
        }
        cJSON *ps = cJSON_CreateObject();
        cJSON_AddStringToObject(ps, "name", s->name);
        cJSON_AddItemToObject(ps, "template", tmpl);
        cJSON_AddNumberToObject(ps, "count", (double)s->count);
        cJSON_AddItemToArray(sets, ps);
    }
    *out = sets;
    return RG_OK;
}

int job_pod_sets(const cJSON *owner, cJSON **out, rg_error_t *err)
{
    job__owner_t o;
    *out = NULL;
    int rc = job__owner_load(owner, &o, err);
    return rc != RG_OK ? rc : job__pod_sets(&o, out, err);
}

/* Kueue refuses to manage what it does not own: see job_workload_build. */
static int check_manageable(const job__owner_t *o, const char *queue, rg_error_t *err)
{
    if (o->kind == JOB_KIND_RAYCLUSTER && job_created_by_rayjob(o->obj))
        return rg_error_set(err, RG_ERR_STATE,
                            "metadata.ownerReferences: the RayCluster was "
                            "created by a RayJob, whose Workload covers it");
    if (queue == NULL)
        return rg_error_set(err, RG_ERR_STATE,
                            "metadata.labels[" JOB_LABEL_QUEUE_NAME "]: "
                            "Required value: no queue-name label and no LocalQueue named "
                            "\"" JOB_DEFAULT_LOCAL_QUEUE "\" in namespace \"%s\"",
                            o->ns);
    return job__check_name(wh_check_dns1123_subdomain, "metadata.labels[" JOB_LABEL_QUEUE_NAME "]",
                           queue, "(it names a LocalQueue)", err);
}

static cJSON *workload_metadata(const job__owner_t *o, const char *name)
{
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "name", name);
    cJSON_AddStringToObject(meta, "namespace", o->ns);
    /* Kueue sets the job-uid label only when the uid is a valid label value. */
    if (job__check_name(wh_check_label_value, "uid", o->uid, NULL, NULL) == RG_OK) {
        cJSON *labels = cJSON_AddObjectToObject(meta, "labels");
        cJSON_AddStringToObject(labels, JOB_LABEL_JOB_UID, o->uid);
    }
    /* admissioncheck.FilterProvReqAnnotations: the owner's provreq.* ones. */
    cJSON *ann = NULL;
    const cJSON *a;
    cJSON_ArrayForEach(a, rg_json_path(o->obj, "metadata", "annotations", NULL))
    {
        if (!cJSON_IsString(a) || strncmp(a->string, JOB_ANNOTATION_PROVREQ_PREFIX,
                                          strlen(JOB_ANNOTATION_PROVREQ_PREFIX)) != 0)
            continue;
        if (ann == NULL)
            ann = cJSON_AddObjectToObject(meta, "annotations");
        cJSON_AddStringToObject(ann, a->string, a->valuestring);
    }
    cJSON *fin = cJSON_AddArrayToObject(meta, "finalizers");
    cJSON_AddItemToArray(fin, cJSON_CreateString(JOB_FINALIZER_RESOURCE_IN_USE));
    cJSON *refs = cJSON_AddArrayToObject(meta, "ownerReferences");
    cJSON *ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "apiVersion", "ray.io/v1");
    cJSON_AddStringToObject(ref, "kind", o->kind == JOB_KIND_RAYJOB ? "RayJob" : "RayCluster");
    cJSON_AddStringToObject(ref, "name", o->name);
    cJSON_AddStringToObject(ref, "uid", o->uid);
    cJSON_AddTrueToObject(ref, "controller");
    cJSON_AddTrueToObject(ref, "blockOwnerDeletion");
    cJSON_AddItemToArray(refs, ref);
    return meta;
}

static void add_priority(cJSON *spec, const job_priority_t *p)
{
    if (p->source != JOB_PRIO_NONE) {
        bool wpc = p->source == JOB_PRIO_WORKLOAD_CLASS;
        cJSON *ref = cJSON_AddObjectToObject(spec, "priorityClassRef");
        cJSON_AddStringToObject(ref, "group", wpc ? "kueue.x-k8s.io" : "scheduling.k8s.io");
        cJSON_AddStringToObject(ref, "kind", wpc ? "WorkloadPriorityClass" : "PriorityClass");
        cJSON_AddStringToObject(ref, "name", p->name);
    }
    /* Kueue always sets spec.priority, 0 when nothing names a class. */
    cJSON_AddNumberToObject(spec, "priority", p->value);
}

int job_workload_build(const cJSON *owner, const job_workload_opts_t *opts, cJSON **out,
                       rg_error_t *err)
{
    *out = NULL;
    if (opts == NULL || opts->priority == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "workload: no priority-class lookup given");
    job__owner_t o;
    int rc = job__owner_load(owner, &o, err);
    const char *queue = rc == RG_OK ? job_queue_name(owner, opts->default_queue_exists) : NULL;
    if (rc == RG_OK)
        rc = check_manageable(&o, queue, err);
    char name[JOB_WORKLOAD_NAME_MAX + 1];
    if (rc == RG_OK)
        rc = job_workload_name(o.kind == JOB_KIND_RAYJOB ? "RayJob" : "RayCluster", "ray.io",
                               o.name, o.uid, name, err);
    job_priority_t prio;
    if (rc == RG_OK)
        rc = job__priority_of(&o, opts->priority, opts->priority_ctx, &prio, err);
    cJSON *sets = NULL;
    if (rc == RG_OK)
        rc = job__pod_sets(&o, &sets, err);
    if (rc != RG_OK)
        return rc;
    cJSON *wl = cJSON_CreateObject();
    cJSON_AddStringToObject(wl, "apiVersion", "kueue.x-k8s.io/v1beta2");
    cJSON_AddStringToObject(wl, "kind", "Workload");
    cJSON_AddItemToObject(wl, "metadata", workload_metadata(&o, name));
    cJSON *spec = cJSON_AddObjectToObject(wl, "spec");
    cJSON_AddStringToObject(spec, "queueName", queue);
    cJSON_AddItemToObject(spec, "podSets", sets);
    add_priority(spec, &prio);
    int64_t max_exec = job__max_exec_seconds(owner);
    if (max_exec > 0)
        cJSON_AddNumberToObject(spec, "maximumExecutionTimeSeconds", (double)max_exec);
    cJSON_AddTrueToObject(spec, "active");
    *out = wl;
    return RG_OK;
}

/* ---- Equivalence ---- */

static bool differ(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool differ(char *why, size_t size, const char *fmt, ...)
{
    if (why != NULL && size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
    }
    return false;
}

static int64_t int_or(const cJSON *obj, const char *key, int64_t dflt)
{
    const cJSON *v = rg_json_get(obj, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

/* equality.ComparePodSets, plus the name (see job_workload_check). */
static bool pod_set_equal(const cJSON *job, const cJSON *wl, size_t i, bool ignore_tolerations,
                          char *why, size_t why_size)
{
    const char *jn = rg_json_get_string(job, "name");
    const char *wn = rg_json_get_string(wl, "name");
    if (wn == NULL || strcmp(jn, wn) != 0)
        return differ(why, why_size, "podSets[%zu].name: Workload has \"%s\", owner wants \"%s\"",
                      i, wn ? wn : "", jn);
    int64_t jc = int_or(job, "count", 1), wc = int_or(wl, "count", 1);
    if (jc != wc)
        return differ(why, why_size, "podSets[%zu].count: Workload has %lld, owner wants %lld", i,
                      (long long)wc, (long long)jc);
    int64_t jm = int_or(job, "minCount", -1), wm = int_or(wl, "minCount", -1);
    if (jm != wm)
        return differ(why, why_size, "podSets[%zu].minCount: Workload has %lld, owner wants %lld",
                      i, (long long)wm, (long long)jm);
    const cJSON *js = rg_json_path(job, "template", "spec", NULL);
    const cJSON *ws = rg_json_path(wl, "template", "spec", NULL);
    static const char *const fields[] = {"tolerations", "initContainers", "containers"};
    for (size_t f = ignore_tolerations ? 1 : 0; f < 3; f++) {
        char prefix[96], where[FIELD_PATH_MAX];
        snprintf(prefix, sizeof(prefix), "podSets[%zu].template.spec.%s", i, fields[f]);
        if (!job__semantic_equal(rg_json_get(js, fields[f]), rg_json_get(ws, fields[f]), prefix,
                                 where, sizeof(where)))
            return differ(why, why_size, "%s: differs from the owner's", where);
    }
    return true;
}

static bool pod_sets_equal(const cJSON *job, const cJSON *wl, bool ignore_tolerations, char *why,
                           size_t why_size)
{
    int jn = cJSON_GetArraySize(job), wn = cJSON_IsArray(wl) ? cJSON_GetArraySize(wl) : 0;
    if (jn != wn)
        return differ(why, why_size, "podSets: Workload has %d, owner wants %d", wn, jn);
    size_t i = 0;
    for (const cJSON *a = job->child, *b = wl->child; a && b; a = a->next, b = b->next, i++)
        if (!pod_set_equal(a, b, i, ignore_tolerations, why, why_size))
            return false;
    return true;
}

/* Kueue's expectedRunningPodSets: the Workload's pod sets as its pods run
 * (admission merged in); NULL when that cannot be computed. */
static cJSON *running_pod_sets(const cJSON *wl, job_flavor_fn flavors, void *ctx)
{
    if (flavors == NULL)
        return NULL;
    cJSON *sets = cJSON_Duplicate(rg_json_path(wl, "spec", "podSets", NULL), 1);
    cJSON *ps;
    cJSON_ArrayForEach(ps, sets)
    {
        const char *name = rg_json_get_string(ps, "name");
        cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(ps, "template");
        job__info_t info = {0};
        rg_error_t ignored = {0};
        bool ok = name != NULL && cJSON_IsObject(tmpl) &&
                  job__pod_set_info(wl, name, flavors, ctx, &info, &ignored) == RG_OK &&
                  job__template_merge(tmpl, "podSet", &info, &ignored) == RG_OK;
        job__info_release(&info);
        if (!ok) {
            cJSON_Delete(sets);
            return NULL;
        }
    }
    return sets;
}

static int check_workload_shape(const cJSON *wl, rg_error_t *err)
{
    if (!cJSON_IsObject(wl))
        return rg_error_set(err, RG_ERR_TYPE, "workload: Invalid value: \"%s\": must be an object",
                            rg_json_type_name(wl));
    const cJSON *sets = rg_json_path(wl, "spec", "podSets", NULL);
    if (!cJSON_IsArray(sets))
        return rg_error_set(err, RG_ERR_TYPE,
                            "spec.podSets: Invalid value: \"%s\": must be an "
                            "array",
                            rg_json_type_name(sets));
    const cJSON *ps;
    int i = 0;
    cJSON_ArrayForEach(ps, sets)
    {
        if (!cJSON_IsObject(ps))
            return rg_error_set(err, RG_ERR_TYPE,
                                "spec.podSets[%d]: Invalid value: \"%s\": must "
                                "be an object",
                                i, rg_json_type_name(ps));
        i++;
    }
    return RG_OK;
}

/* Whether the Workload's controller is the owner (name and uid). */
static bool controlled_by(const job__owner_t *o, const cJSON *wl, char *why, size_t size)
{
    const char *name = NULL, *uid = NULL;
    if (job__workload_controller(wl, &name, &uid, NULL) != RG_OK)
        return differ(why, size, "metadata.ownerReferences: no controller owner");
    if (strcmp(name, o->name) != 0 || strcmp(uid, o->uid) != 0)
        return differ(why, size,
                      "metadata.ownerReferences: controlled by %s (uid %s), not by "
                      "the owner",
                      name, uid);
    return true;
}

static const char *seconds_text(int64_t v, char buf[24])
{
    if (v < 0)
        return "none";
    snprintf(buf, 24, "%lld", (long long)v);
    return buf;
}

static bool equivalent(const job__owner_t *o, const cJSON *wl, const cJSON *job_sets,
                       bool suspended, job_flavor_fn flavors, void *ctx, char *why, size_t size)
{
    int64_t want = job__max_exec_seconds(o->obj);
    int64_t have = int_or(rg_json_get(wl, "spec"), "maximumExecutionTimeSeconds", -1);
    char hb[24], wb[24];
    if (want != have)
        return differ(why, size,
                      "spec.maximumExecutionTimeSeconds: Workload has %s, owner "
                      "wants %s",
                      seconds_text(have, hb), seconds_text(want, wb));
    bool admitted = job__condition_true(wl, "Admitted");
    const cJSON *wl_sets = rg_json_path(wl, "spec", "podSets", NULL);
    cJSON *running =
        job__condition_true(wl, "QuotaReserved") ? running_pod_sets(wl, flavors, ctx) : NULL;
    bool eq;
    if (running != NULL) {
        eq = pod_sets_equal(job_sets, running, admitted, why, size) ||
             (suspended && pod_sets_equal(job_sets, wl_sets, admitted, why, size));
        cJSON_Delete(running);
    } else {
        eq = pod_sets_equal(job_sets, wl_sets, admitted, why, size);
    }
    return eq;
}

int job_workload_check(const cJSON *owner, const cJSON *workload, job_flavor_fn flavors, void *ctx,
                       job_wl_action_t *action, char *why, size_t why_size, rg_error_t *err)
{
    *action = JOB_WL_RECREATE;
    if (why != NULL && why_size > 0)
        why[0] = '\0';
    job__owner_t o;
    bool suspended = false;
    int rc = job__owner_load(owner, &o, err);
    if (rc == RG_OK)
        rc = job_suspended(owner, &suspended, err);
    if (rc == RG_OK)
        rc = check_workload_shape(workload, err);
    cJSON *job_sets = NULL;
    if (rc == RG_OK)
        rc = job__pod_sets(&o, &job_sets, err);
    if (rc != RG_OK)
        return rc;
    /* Another object's Workload (a deleted owner of the same name) is
     * never updated into this one's: it goes. */
    bool owned = controlled_by(&o, workload, why, why_size);
    if (owned && equivalent(&o, workload, job_sets, suspended, flavors, ctx, why, why_size)) {
        *action = JOB_WL_KEEP;
        if (why != NULL && why_size > 0)
            why[0] = '\0';
    } else if (owned && suspended && !job__condition_true(workload, "QuotaReserved")) {
        *action = JOB_WL_UPDATE;
    }
    cJSON_Delete(job_sets);
    return RG_OK;
}

int job_workload_update(const cJSON *existing, const cJSON *fresh, cJSON **out, rg_error_t *err)
{
    *out = NULL;
    const cJSON *fspec = rg_json_get(fresh, "spec");
    if (!cJSON_IsObject(existing) || !cJSON_IsObject(fspec))
        return rg_error_set(err, RG_ERR_TYPE, "%s: Invalid value: must be an object",
                            cJSON_IsObject(existing) ? "spec" : "workload");
    cJSON *copy = cJSON_Duplicate(existing, 1);
    cJSON *spec = cJSON_Duplicate(fspec, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "active");
    const cJSON *active = rg_json_path(existing, "spec", "active", NULL);
    if (active != NULL && !cJSON_IsNull(active))
        cJSON_AddItemToObject(spec, "active", cJSON_Duplicate(active, 1));
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "spec");
    cJSON_AddItemToObject(copy, "spec", spec);
    *out = copy;
    return RG_OK;
}

/*
 * The job side of the loop, as Kueue's job reconciler: each queued Ray
 * object (the owner) gets its Workload; an admitted Workload starts its
 * suspended owner, an evicted one stops it and releases the quota once its
 * pods are gone; a finished RayJob finishes its Workload; orphans go.
 * Objects running before raygate are adopted, never stopped without a
 * recorded decision.
 */
#include "internal.h"

#include "raygate/alloc.h"
#include "raygate/jobs.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A retried owner write (conflict, no answer) waits this long. */
#define OWNER_RETRY_NS (1000LL * 1000000LL)

void admit__owner_touched(struct admit *a, cache_kind_t kind, const char *key)
{
    char *k = rg_asprintf("%d/%s", (int)kind, key);
    if (rg_strmap_get(&a->dirty_owners, k)) {
        rg_free(k);
        return;
    }
    rg_strmap_put(&a->dirty_owners, k, k);
}

/* ---- lookups for src/jobs, from the newest objects ---- */

static int lookup_priority(void *ctx, job_prio_source_t source, const char *name,
                           job_priority_t *out, rg_error_t *err)
{
    struct admit *a = ctx;
    (void)err;
    if (source != JOB_PRIO_NONE) {
        cache_kind_t k = source == JOB_PRIO_WORKLOAD_CLASS ? CACHE_KIND_WORKLOADPRIORITYCLASS
                                                           : CACHE_KIND_PRIORITYCLASS;
        const cache_obj_t *o = admit__latest(a, k, name);
        const cJSON *v = o ? rg_json_get(o->json, "value") : NULL;
        if (!cJSON_IsNumber(v))
            return 0;
        out->value = (int32_t)v->valuedouble;
        return 1;
    }
    /* Kueue's default: the PriorityClass with globalDefault, the lowest when
     * several; raygate's seed extension: else a kueue PriorityClass with it. */
    static const cache_kind_t order[] = {CACHE_KIND_PRIORITYCLASS,
                                         CACHE_KIND_WORKLOADPRIORITYCLASS};
    for (size_t i = 0; i < 2; i++) {
        const cache_obj_t *best = NULL;
        size_t it = 0;
        const char *k;
        void *v;
        while (rg_strmap_next(&a->latest[order[i]], &it, &k, &v)) {
            const cache_obj_t *o = v;
            bool gd = false;
            const cJSON *val = rg_json_get(o->json, "value");
            if (rg_json_get_bool(o->json, "globalDefault", &gd) > 0 && gd && cJSON_IsNumber(val) &&
                (best == NULL || val->valuedouble < rg_json_get(best->json, "value")->valuedouble))
                best = o;
        }
        if (best) {
            out->source = i == 0 ? JOB_PRIO_POD_CLASS : JOB_PRIO_WORKLOAD_CLASS;
            snprintf(out->name, sizeof(out->name), "%s", best->name);
            out->value = (int32_t)rg_json_get(best->json, "value")->valuedouble;
            return 1;
        }
    }
    return 0;
}

static int lookup_flavor(void *ctx, const char *name, const cJSON **flavor, rg_error_t *err)
{
    struct admit *a = ctx;
    (void)err;
    const cache_obj_t *o = admit__latest(a, CACHE_KIND_RESOURCEFLAVOR, name);
    if (o) {
        *flavor = o->json;
        return 1;
    }
    /* The shorthand's flavor exists implicitly, with no labels or taints. */
    if (strcmp(name, QUOTA_SHORTHAND_FLAVOR) == 0) {
        *flavor = a->shorthand_flavor;
        return 1;
    }
    return 0;
}

/* ---- the owner's Workload ---- */

static const char *controller_uid(const cJSON *obj, const char **kind, const char **name)
{
    const cJSON *ref;
    cJSON_ArrayForEach(ref, rg_json_path(obj, "metadata", "ownerReferences", NULL))
    {
        bool ctl = false;
        if (rg_json_get_bool(ref, "controller", &ctl) > 0 && ctl) {
            *kind = rg_json_get_string(ref, "kind");
            *name = rg_json_get_string(ref, "name");
            return rg_json_get_string(ref, "uid");
        }
    }
    return NULL;
}

/* The Workload whose controller owner is o (uid-checked), newest first seen; borrowed. */
static const cache_obj_t *workload_of(struct admit *a, const cache_obj_t *o)
{
    size_t it = 0;
    const char *k;
    void *v;
    const char *kind, *name;
    /* By name first: raygate names the Workload deterministically. */
    char wname[JOB_WORKLOAD_NAME_MAX + 1];
    const char *okind = o->kind == CACHE_KIND_RAYJOB ? "RayJob" : "RayCluster";
    if (job_workload_name(okind, "ray.io", o->name, o->uid, wname, NULL) == RG_OK) {
        char key[600];
        snprintf(key, sizeof(key), "%s/%s", o->ns, wname);
        const cache_obj_t *w = admit__latest(a, CACHE_KIND_WORKLOAD, key);
        const char *uid = w ? controller_uid(w->json, &kind, &name) : NULL;
        if (uid && strcmp(uid, o->uid) == 0)
            return w;
    }
    /* Else any Workload it controls (one made by Kueue before raygate). */
    while (rg_strmap_next(&a->latest[CACHE_KIND_WORKLOAD], &it, &k, &v)) {
        const cache_obj_t *w = v;
        const char *uid = strcmp(w->ns, o->ns) == 0 ? controller_uid(w->json, &kind, &name) : NULL;
        if (uid && strcmp(uid, o->uid) == 0)
            return w;
    }
    return NULL;
}

/* Pods (Terminating ones included) labelled ray.io/cluster=cluster in ns. */
static size_t cluster_pods(struct admit *a, const char *ns, const char *cluster)
{
    cache_snapshot_t *s = cache_snapshot_acquire(a->opts.caches, CACHE_KIND_POD);
    const cache_obj_t *const *pods;
    size_t n = cache_snapshot_pods_of_cluster(s, ns, cluster, &pods);
    cache_snapshot_release(s);
    return n;
}

static size_t pods_of_owner(struct admit *a, const cache_obj_t *o)
{
    const char *cluster = job_gang_cluster_name(o->json);
    return cluster ? cluster_pods(a, o->ns, cluster) : 0;
}

static const kube_resource_t *owner_res(const cache_obj_t *o)
{
    return o->kind == CACHE_KIND_RAYJOB ? &kube_res_rayjobs : &kube_res_rayclusters;
}

static bool condition_true(const cJSON *obj, const char *type, const char **reason,
                           const char **message)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, rg_json_path(obj, "status", "conditions", NULL))
    {
        const char *t = rg_json_get_string(c, "type");
        const char *st = rg_json_get_string(c, "status");
        if (t && st && strcmp(t, type) == 0 && strcmp(st, "True") == 0) {
            if (reason)
                *reason = rg_json_get_string(c, "reason");
            if (message)
                *message = rg_json_get_string(c, "message");
            return true;
        }
    }
    return false;
}

static bool owner_admitted_by_us(const cache_obj_t *o)
{
    const char *v = rg_json_get_string(rg_json_path(o->json, "metadata", "annotations", NULL),
                                       JOB_ANNOTATION_ADMISSION);
    return v && strcmp(v, JOB_ADMISSION_ADMITTED) == 0;
}

static void owner_event(struct admit *a, const cache_obj_t *o, const char *type, const char *reason,
                        const char *note)
{
    admit__event(a, o, type, reason, note);
}

static void create_workload(struct admit *a, const cache_obj_t *o)
{
    char dq[600];
    snprintf(dq, sizeof(dq), "%s/%s", o->ns, JOB_DEFAULT_LOCAL_QUEUE);
    job_workload_opts_t opts = {
        .priority = lookup_priority,
        .priority_ctx = a,
        .default_queue_exists = admit__latest(a, CACHE_KIND_LOCALQUEUE, dq) != NULL,
    };
    cJSON *wl = NULL;
    rg_error_t err = {0};
    if (job_workload_build(o->json, &opts, &wl, &err) != RG_OK) {
        if (err.code != RG_ERR_STATE) {
            rg_log_warn("admit", "cannot compose a Workload error=\"%s\" owner=%s",
                        rg_error_str(&err), o->key);
            owner_event(a, o, "Warning", "ErrWorkloadCompose", rg_error_str(&err));
        }
        return;
    }
    const char *name = rg_json_get_string(rg_json_get(wl, "metadata"), "name");
    char *wname = rg_strdup(name ? name : "");
    if (admit__write(a, ADMIT_OP_CREATE, ADMIT_FOR_WORKLOAD_CREATE, &kube_res_workloads,
                     o->ns, wname, wl)) {
        char note[400];
        snprintf(note, sizeof(note), "Created Workload: %s/%s", o->ns, wname);
        owner_event(a, o, "Normal", "CreatedWorkload", note);
        admit__audit(a, o->kind == CACHE_KIND_RAYJOB ? "RayJob" : "RayCluster", o->ns, o->name,
                     "workload-created", wname);
    }
    rg_free(wname);
}

/* Runs an admitted owner: unsuspend with the flavors' placement (or, for an
 * object that ran before raygate, only record the admission). */
static void start_owner(struct admit *a, const cache_obj_t *o, const cache_obj_t *w, bool running)
{
    cJSON *patch = NULL;
    rg_error_t err = {0};
    if (running) {
        /* Adopted while running: its pods exist; rewriting templates would not move them. */
        const char *cq =
            rg_json_get_string(rg_json_path(w->json, "status", "admission", NULL), "clusterQueue");
        patch = cJSON_CreateObject();
        cJSON *ann =
            cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "metadata"), "annotations");
        cJSON_AddStringToObject(ann, JOB_ANNOTATION_ADMISSION, JOB_ADMISSION_ADMITTED);
        cJSON_AddStringToObject(ann, JOB_ANNOTATION_CLUSTER_QUEUE, cq ? cq : "");
    } else if (job_run_patch(o->json, w->json, lookup_flavor, a, &patch, &err) != RG_OK) {
        if (err.code == RG_ERR_CONFLICT) {
            /* Permanent: Kueue finishes the Workload FailedToStart. */
            cJSON *p = admit_status_finished(w->json, JOB_FINISHED_FAILED_TO_START,
                                             rg_error_str(&err), rg_time_now_ns());
            admit__write(a, ADMIT_OP_PATCH_STATUS, ADMIT_FOR_FINISH, &kube_res_workloads, w->ns,
                         w->name, p);
        }
        rg_log_warn("admit", "cannot start owner error=\"%s\" owner=%s", rg_error_str(&err),
                    o->key);
        return;
    }
    if (admit__write(a, ADMIT_OP_PATCH, ADMIT_FOR_OWNER_START, owner_res(o), o->ns, o->name,
                     patch)) {
        owner_event(a, o, "Normal", "Started", "Admitted by clusterQueue");
        admit__audit(a, o->kind == CACHE_KIND_RAYJOB ? "RayJob" : "RayCluster", o->ns, o->name,
                     running ? "adopted" : "started", w->name);
    }
}

static void stop_owner(struct admit *a, const cache_obj_t *o, const cache_obj_t *w, const char *why)
{
    cJSON *patch = NULL;
    rg_error_t err = {0};
    if (job_stop_patch(o->json, w ? w->json : NULL, &patch, NULL, &err) != RG_OK) {
        rg_log_warn("admit", "cannot stop owner error=\"%s\" owner=%s", rg_error_str(&err), o->key);
        return;
    }
    admit__stop_notice_clear(o, patch);
    if (admit__write(a, ADMIT_OP_PATCH, ADMIT_FOR_OWNER_STOP, owner_res(o), o->ns, o->name,
                     patch)) {
        owner_event(a, o, "Normal", "Stopped", why);
        admit__audit(a, o->kind == CACHE_KIND_RAYJOB ? "RayJob" : "RayCluster", o->ns, o->name,
                     "stopped", why);
    }
}

/*
 * Clears an evicted Workload's reservation (the quota goes back) and drops
 * its placement plan, which would otherwise keep reserving its nodes.
 */
void admit__release(struct admit *a, const cache_obj_t *w, const char *message)
{
    int64_t now = rg_time_now_ns();
    cJSON *p = admit_status_release(w->json, message ? message : "evicted", now);
    admit__release_backoff(a, w, p, now);
    admit__write(a, ADMIT_OP_PATCH_STATUS, ADMIT_FOR_RELEASE, &kube_res_workloads, w->ns, w->name,
                 p);
    if (rg_json_get_string(rg_json_path(w->json, "metadata", "annotations", NULL),
                           "raygate.dev/placement") == NULL)
        return;
    cJSON *ap = cJSON_CreateObject();
    cJSON *ann = cJSON_AddObjectToObject(cJSON_AddObjectToObject(ap, "metadata"), "annotations");
    cJSON_AddNullToObject(ann, "raygate.dev/placement");
    admit__write(a, ADMIT_OP_PATCH, ADMIT_FOR_PLAN, &kube_res_workloads, w->ns, w->name, ap);
}

/* An evicted Workload: stop the owner, then release the quota once no pod is left. */
static void evicted(struct admit *a, const cache_obj_t *o, const cache_obj_t *w, bool suspended,
                    const char *reason, const char *message)
{
    int64_t now = rg_time_now_ns();
    if (!suspended) {
        /* A preempted job may get a grace period first (docs/preemption.md). */
        if (admit__graceful_stop_due(a, o, w, reason, now))
            stop_owner(a, o, w, message ? message : "evicted");
        return;
    }
    if (pods_of_owner(a, o) > 0) {
        /* Still stopping: the quota stays held. Pod events bring us back, but
         * the pod snapshot is published in batches and may lag the last one. */
        admit__recheck_owner(a, o, now + OWNER_RETRY_NS / 2);
        return;
    }
    if (admit__write_inflight(a, ADMIT_FOR_ANNOTATION, &kube_res_workloads, w->ns, w->name)) {
        /* A preemption's history follows its eviction: release once it is
         * written, so that the release's anti-thrash backoff counts it (its
         * watch event brings us back). */
        admit__recheck_owner(a, o, now + OWNER_RETRY_NS / 2);
        return;
    }
    admit__release(a, w, message);
}

static void finish_workload(struct admit *a, const cache_obj_t *w, const job_finish_t *f)
{
    cJSON *p = admit_status_finished(w->json, f->reason, f->message, rg_time_now_ns());
    if (admit__write(a, ADMIT_OP_PATCH_STATUS, ADMIT_FOR_FINISH, &kube_res_workloads, w->ns,
                     w->name, p))
        admit__audit(a, "Workload", w->ns, w->name, "finished", f->reason);
}

/* Kueue's ensureOneWorkload for a Workload that no longer matches. */
static void rematch(struct admit *a, const cache_obj_t *o, const cache_obj_t *w,
                    job_wl_action_t action, bool suspended)
{
    if (action == JOB_WL_UPDATE) {
        char dq[600];
        snprintf(dq, sizeof(dq), "%s/%s", o->ns, JOB_DEFAULT_LOCAL_QUEUE);
        job_workload_opts_t opts = {lookup_priority, a,
                                    admit__latest(a, CACHE_KIND_LOCALQUEUE, dq) != NULL};
        cJSON *fresh = NULL, *updated = NULL;
        if (job_workload_build(o->json, &opts, &fresh, NULL) == RG_OK &&
            job_workload_update(w->json, fresh, &updated, NULL) == RG_OK) {
            /* A merge patch of the whole spec, with the version as precondition. */
            cJSON *patch = cJSON_CreateObject();
            cJSON_AddStringToObject(cJSON_AddObjectToObject(patch, "metadata"), "resourceVersion",
                                    w->resource_version);
            cJSON_AddItemToObject(patch, "spec",
                                  cJSON_Duplicate(rg_json_get(updated, "spec"), true));
            admit__write(a, ADMIT_OP_PATCH, ADMIT_FOR_WORKLOAD_CREATE, &kube_res_workloads, w->ns,
                         w->name, patch);
        }
        cJSON_Delete(fresh);
        cJSON_Delete(updated);
        return;
    }
    if (!suspended) {
        stop_owner(a, o, w, "the Workload no longer matches its job");
        return;
    }
    admit__write_delete(a, ADMIT_FOR_WORKLOAD_DELETE, &kube_res_workloads, w->ns, w->name, w->uid);
}

/*
 * Kueue's QueueNameChange: a suspended owner moved to another LocalQueue
 * (its label changed) takes its pending Workload along. True when a write
 * was made.
 */
static bool queue_moved(struct admit *a, const cache_obj_t *o, const cache_obj_t *w)
{
    char dq[600];
    snprintf(dq, sizeof(dq), "%s/%s", o->ns, JOB_DEFAULT_LOCAL_QUEUE);
    const char *want = job_queue_name(o->json, admit__latest(a, CACHE_KIND_LOCALQUEUE, dq) != NULL);
    const char *have = rg_json_get_string(rg_json_get(w->json, "spec"), "queueName");
    if (want == NULL || (have && strcmp(want, have) == 0))
        return false;
    cJSON *patch = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(patch, "metadata"), "resourceVersion",
                            w->resource_version);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(patch, "spec"), "queueName", want);
    admit__write(a, ADMIT_OP_PATCH, ADMIT_FOR_WORKLOAD_CREATE, &kube_res_workloads, w->ns,
                 w->name, patch);
    rg_log_info("admit", "workload follows its owner to another queue workload=%s queue=%s",
                w->key, want);
    return true;
}

static void reconcile_with_workload(struct admit *a, const cache_obj_t *o, const cache_obj_t *w,
                                    bool suspended)
{
    const char *reason = NULL, *message = NULL;
    bool reserved = condition_true(w->json, "QuotaReserved", NULL, NULL) &&
                    rg_json_path(w->json, "status", "admission", NULL) != NULL;
    if (condition_true(w->json, "Finished", NULL, NULL))
        return;
    job_finish_t fin = {0};
    if (job_finished(o->json, &fin, NULL) == RG_OK && fin.finished) {
        finish_workload(a, w, &fin);
        return;
    }
    job_wl_action_t action = JOB_WL_KEEP;
    char why[256] = "";
    if (job_workload_check(o->json, w->json, lookup_flavor, a, &action, why, sizeof(why), NULL) ==
            RG_OK &&
        action != JOB_WL_KEEP) {
        rg_log_info("admit", "workload no longer matches its owner why=\"%s\" owner=%s", why,
                    o->key);
        rematch(a, o, w, action, suspended);
        return;
    }
    if (!reserved && suspended && queue_moved(a, o, w))
        return;
    if (reserved && condition_true(w->json, "Evicted", &reason, &message)) {
        evicted(a, o, w, suspended, reason, message);
        return;
    }
    if (reserved) {
        if (suspended || !owner_admitted_by_us(o))
            start_owner(a, o, w, !suspended);
        else
            admit__pods_ready(a, o, w, rg_time_now_ns());
        return;
    }
    /* No reservation: an owner we started lost its admission; one that ran
     * before raygate keeps running, reported on its Workload. */
    if (!suspended && owner_admitted_by_us(o))
        stop_owner(a, o, w, "no quota reserved");
}

/* The Workload is being deleted: stop the owner; the finalizer goes once
 * it is stopped (reconcile_workload). */
static bool workload_deleting(struct admit *a, const cache_obj_t *o, const cache_obj_t *w,
                              bool suspended)
{
    if (!w->deleting)
        return false;
    if (!suspended && owner_admitted_by_us(o))
        stop_owner(a, o, w, "its Workload is being deleted");
    return true;
}

static void reconcile_owner(struct admit *a, cache_kind_t kind, const char *key)
{
    const cache_obj_t *o = admit__latest(a, kind, key);
    if (o == NULL || o->deleting)
        return; /* its Workload goes with it (garbage collection, and the orphan sweep) */
    if (kind == CACHE_KIND_RAYCLUSTER && job_created_by_rayjob(o->json)) {
        const char *okind, *oname;
        if (controller_uid(o->json, &okind, &oname) && okind && strcmp(okind, "RayJob") == 0) {
            char rj[600];
            snprintf(rj, sizeof(rj), "%s/%s", o->ns, oname);
            reconcile_owner(a, CACHE_KIND_RAYJOB, rj);
        }
        return;
    }
    if (kind == CACHE_KIND_RAYJOB && job_uses_existing_cluster(o->json))
        return;
    char dq[600];
    snprintf(dq, sizeof(dq), "%s/%s", o->ns, JOB_DEFAULT_LOCAL_QUEUE);
    if (job_queue_name(o->json, admit__latest(a, CACHE_KIND_LOCALQUEUE, dq) != NULL) == NULL)
        return;
    bool suspended = false;
    if (job_suspended(o->json, &suspended, NULL) != RG_OK)
        return;
    const cache_obj_t *w = workload_of(a, o);
    if (w == NULL) {
        create_workload(a, o);
        return;
    }
    if (workload_deleting(a, o, w, suspended))
        return;
    reconcile_with_workload(a, o, w, suspended);
}

bool admit__ray_owner(struct admit *a, const cache_obj_t *w, const cache_obj_t **owner)
{
    const char *kind, *name;
    const char *uid = controller_uid(w->json, &kind, &name);
    *owner = NULL;
    if (uid == NULL || kind == NULL || name == NULL)
        return false;
    cache_kind_t ck;
    if (strcmp(kind, "RayCluster") == 0)
        ck = CACHE_KIND_RAYCLUSTER;
    else if (strcmp(kind, "RayJob") == 0)
        ck = CACHE_KIND_RAYJOB;
    else
        return false;
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", w->ns, name);
    const cache_obj_t *o = admit__latest(a, ck, key);
    if (o && strcmp(o->uid, uid) == 0)
        *owner = o;
    return true;
}

/*
 * Kueue's resource-in-use finalizer on a Workload goes when nothing holds
 * quota through it any more: not reserving, finished, or its owner stopped
 * with no pod left; an orphan (owner gone) is deleted.
 */
static void reconcile_workload(struct admit *a, const char *key)
{
    const cache_obj_t *w = admit__latest(a, CACHE_KIND_WORKLOAD, key);
    if (w == NULL)
        return;
    const cache_obj_t *o;
    bool ray = admit__ray_owner(a, w, &o);
    bool reserved = condition_true(w->json, "QuotaReserved", NULL, NULL);
    bool finished = condition_true(w->json, "Finished", NULL, NULL);
    rg_log_debug("admit", "workload check workload=%s ray=%d owner=%s deleting=%d reserved=%d "
                 "finished=%d", key, ray, o ? o->key : "(gone)", w->deleting, reserved, finished);
    if (ray && (o == NULL || o->deleting)) {
        /* Its owner is gone or going (any propagation policy): once no pod of
         * it is left, the Workload lets go of the quota and goes too. */
        const char *kind, *name;
        controller_uid(w->json, &kind, &name);
        if (strcmp(kind, "RayCluster") == 0 && cluster_pods(a, w->ns, name) > 0)
            return;
        admit__finalizer_release(a, &kube_res_workloads, w, false);
        if (!w->deleting)
            admit__write_delete(a, ADMIT_FOR_WORKLOAD_DELETE, &kube_res_workloads, w->ns,
                                w->name, w->uid);
        return;
    }
    const char *evicted_msg = NULL;
    if (!ray && reserved && !finished && condition_true(w->json, "Evicted", NULL, &evicted_msg) &&
        rg_json_path(w->json, "status", "admission", NULL)) {
        /* A Workload of no Ray object: nothing to stop, the quota goes back at once. */
        admit__release(a, w, evicted_msg);
        return;
    }
    if (!w->deleting)
        return;
    bool suspended = false;
    bool stopped = o == NULL || (job_suspended(o->json, &suspended, NULL) == RG_OK &&
                                 suspended && pods_of_owner(a, o) == 0);
    if (!reserved || finished || stopped)
        admit__finalizer_release(a, &kube_res_workloads, w, true);
}

void admit__workload_touched(struct admit *a, const char *key)
{
    admit__owner_touched(a, CACHE_KIND_WORKLOAD, key);
}

void admit__touch_workloads_of(struct admit *a, const char *ns, const char *kind,
                               const char *name)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (rg_strmap_next(&a->latest[CACHE_KIND_WORKLOAD], &it, &k, &v)) {
        const cache_obj_t *w = v;
        const char *wkind, *wname;
        const char *uid = strcmp(w->ns, ns) == 0 ? controller_uid(w->json, &wkind, &wname) : NULL;
        if (uid && wkind && wname && strcmp(wkind, kind) == 0 && strcmp(wname, name) == 0)
            admit__workload_touched(a, k);
    }
}

/* Owners in the order they were created (then by key), so their Workloads
 * are created, and queued, in that order too. */
typedef struct dirty {
    char *key;
    int64_t created_ns;
} dirty_t;

static int cmp_dirty(const void *x, const void *y)
{
    const dirty_t *a = x, *b = y;
    if (a->created_ns != b->created_ns)
        return a->created_ns < b->created_ns ? -1 : 1;
    return strcmp(a->key, b->key);
}

static int64_t created_of(struct admit *a, const char *dirty_key)
{
    const char *sep = strchr(dirty_key, '/');
    cache_kind_t kind = (cache_kind_t)atoi(dirty_key);
    const cache_obj_t *o = sep ? admit__latest(a, kind, sep + 1) : NULL;
    int64_t ns = 0;
    if (o)
        rg_time_parse_rfc3339(
            rg_json_get_string(rg_json_get(o->json, "metadata"), "creationTimestamp"), &ns);
    return ns;
}

void admit__reconcile_owners(struct admit *a, int64_t now_ns)
{
    (void)now_ns;
    if (!a->decided_once) {
        /* A new leader looks at every Workload once (orphans, finalizers). */
        size_t it = 0;
        const char *k;
        void *v;
        while (rg_strmap_next(&a->latest[CACHE_KIND_WORKLOAD], &it, &k, &v))
            admit__workload_touched(a, k);
    }
    size_t it = 0;
    const char *k;
    void *v;
    dirty_t *keys = rg_malloc((a->dirty_owners.n + 1) * sizeof(*keys));
    size_t n = 0;
    while (rg_strmap_next(&a->dirty_owners, &it, &k, &v)) {
        keys[n].key = v;
        keys[n].created_ns = created_of(a, v);
        n++;
    }
    rg_strmap_release(&a->dirty_owners);
    qsort(keys, n, sizeof(*keys), cmp_dirty);
    for (size_t i = 0; i < n; i++) {
        char *sep = strchr(keys[i].key, '/');
        cache_kind_t kind = (cache_kind_t)atoi(keys[i].key);
        if (sep && kind == CACHE_KIND_WORKLOAD)
            reconcile_workload(a, sep + 1);
        else if (sep)
            reconcile_owner(a, kind, sep + 1);
        rg_free(keys[i].key);
    }
    rg_free(keys);
}

void admit__owner_write_done(struct admit *a, const admit_write_t *w)
{
    if (w->outcome == ADMIT_OK) {
        if (w->purpose == ADMIT_FOR_WORKLOAD_CREATE && w->op == ADMIT_OP_CREATE)
            atomic_fetch_add(&a->st_created, 1);
        else if (w->purpose == ADMIT_FOR_OWNER_START)
            atomic_fetch_add(&a->st_started, 1);
        else if (w->purpose == ADMIT_FOR_OWNER_STOP)
            atomic_fetch_add(&a->st_stopped, 1);
        return;
    }
    if (w->outcome == ADMIT_CONFLICT)
        atomic_fetch_add(&a->st_conflicts, 1);
    else
        atomic_fetch_add(&a->st_write_errors, 1);
    if (w->outcome == ADMIT_EXISTS || w->outcome == ADMIT_GONE)
        return; /* the watch brings the truth */
    rg_log_warn("admit", "write failed purpose=%d outcome=%d error=\"%s\" object=%s/%s",
                (int)w->purpose, (int)w->outcome, w->msg ? w->msg : "", w->ns ? w->ns : "",
                w->name);
    /* Conflicts and unanswered writes are retried after a pause; refusals wait
     * for the object to change. */
    if (w->outcome == ADMIT_CONFLICT || w->outcome == ADMIT_UNKNOWN) {
        int64_t due = rg_time_now_ns() + OWNER_RETRY_NS;
        if (a->next_wake_ns == 0 || due < a->next_wake_ns)
            a->next_wake_ns = due;
        char key[600];
        snprintf(key, sizeof(key), "%s/%s", w->ns ? w->ns : "", w->name);
        if (w->res == &kube_res_rayclusters) {
            admit__owner_touched(a, CACHE_KIND_RAYCLUSTER, key);
        } else if (w->res == &kube_res_rayjobs) {
            admit__owner_touched(a, CACHE_KIND_RAYJOB, key);
        } else {
            admit__workload_touched(a, key);
            /* A Workload write made for its owner (a release) is retried from there. */
            const cache_obj_t *wl = admit__latest(a, CACHE_KIND_WORKLOAD, key), *owner = NULL;
            if (wl && admit__ray_owner(a, wl, &owner) && owner)
                admit__owner_touched(a, owner->kind, owner->key);
        }
    }
}

/*
 * The model side of the loop: cache events become model updates; a pass's
 * decisions become status writes, Events, audit records and metrics; write
 * outcomes come back (a refused admission is forgotten and decided again);
 * ClusterQueue/LocalQueue/Cohort status and the resource-in-use finalizers
 * are kept as Kueue keeps them.
 */
#include "internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <string.h>

#define FINALIZER "kueue.x-k8s.io/resource-in-use"

/* ---- cache events into the model ---- */

static void apply_workload(struct admit *a, const cache_obj_t *o, bool gone)
{
    if (gone) {
        quota_model_remove_workload(a->model, o->ns, o->name);
        return;
    }
    rg_error_t err = {0};
    quota_wl_spec_t *s = quota_decode_workload(o->json, &err);
    if (s == NULL) {
        rg_log_warn("admit", "cannot read workload error=\"%s\" workload=%s", rg_error_str(&err),
                    o->key);
        return;
    }
    quota_model_set_workload(a->model, s);
}

/* The Ray object a Workload belongs to (its controller owner), touched. */
static void touch_owner_of_workload(struct admit *a, const cache_obj_t *o)
{
    const cJSON *ref;
    cJSON_ArrayForEach(ref, rg_json_path(o->json, "metadata", "ownerReferences", NULL))
    {
        const char *kind = rg_json_get_string(ref, "kind");
        const char *name = rg_json_get_string(ref, "name");
        if (kind == NULL || name == NULL)
            continue;
        char key[600];
        snprintf(key, sizeof(key), "%s/%s", o->ns, name);
        if (strcmp(kind, "RayCluster") == 0)
            admit__owner_touched(a, CACHE_KIND_RAYCLUSTER, key);
        else if (strcmp(kind, "RayJob") == 0)
            admit__owner_touched(a, CACHE_KIND_RAYJOB, key);
    }
}

static void apply_class(struct admit *a, const cache_obj_t *o, bool gone)
{
    quota_class_kind_t kind =
        o->kind == CACHE_KIND_PRIORITYCLASS ? QUOTA_CLASS_POD : QUOTA_CLASS_WORKLOAD;
    if (gone) {
        quota_model_remove_class(a->model, kind, o->name);
        return;
    }
    const char *name;
    int32_t value;
    bool gd;
    if (quota_decode_priority_class(o->json, &kind, &name, &value, &gd, NULL) == RG_OK)
        quota_model_set_class(a->model, kind, name, value, gd);
}

static void log_decode(const char *kind, const cache_obj_t *o, const rg_error_t *err)
{
    rg_log_warn("admit", "cannot read %s error=\"%s\" name=%s", kind, rg_error_str(err), o->key);
}

static int64_t generation(const cache_obj_t *o)
{
    const cJSON *g = rg_json_path(o->json, "metadata", "generation", NULL);
    return cJSON_IsNumber(g) ? (int64_t)g->valuedouble : -1;
}

/*
 * A new version of a queue, flavor or namespace that changes nothing the
 * model reads: the status raygate itself writes (no new generation), or a
 * namespace whose labels stayed. Skipping them keeps status writes from
 * feeding back into re-evaluations.
 */
static bool same_for_model(cache_kind_t kind, const cache_obj_t *old_obj,
                           const cache_obj_t *new_obj)
{
    if (old_obj == NULL || new_obj == NULL || old_obj->deleting != new_obj->deleting)
        return false;
    switch (kind) {
    case CACHE_KIND_CLUSTERQUEUE:
    case CACHE_KIND_LOCALQUEUE:
    case CACHE_KIND_RESOURCEFLAVOR:
        return generation(old_obj) >= 0 && generation(old_obj) == generation(new_obj);
    case CACHE_KIND_NAMESPACE:
        return cJSON_Compare(rg_json_path(old_obj->json, "metadata", "labels", NULL),
                             rg_json_path(new_obj->json, "metadata", "labels", NULL), true) ||
               (rg_json_path(old_obj->json, "metadata", "labels", NULL) == NULL &&
                rg_json_path(new_obj->json, "metadata", "labels", NULL) == NULL);
    default:
        return false;
    }
}

void admit__model_apply(struct admit *a, cache_kind_t kind, const cache_obj_t *old_obj,
                        const cache_obj_t *new_obj)
{
    const cache_obj_t *o = new_obj ? new_obj : old_obj;
    bool gone = new_obj == NULL;
    if (same_for_model(kind, old_obj, new_obj)) {
        if (kind == CACHE_KIND_CLUSTERQUEUE || kind == CACHE_KIND_LOCALQUEUE)
            a->status_dirty = true; /* its status may need rewriting (someone else's write) */
        return;
    }
    rg_error_t err = {0};
    switch (kind) {
    case CACHE_KIND_WORKLOAD:
        admit__seen(a, o->key, gone ? NULL : o->resource_version);
        apply_workload(a, o, gone);
        touch_owner_of_workload(a, o);
        if (!gone)
            admit__workload_touched(a, o->key);
        a->status_dirty = true;
        break;
    case CACHE_KIND_CLUSTERQUEUE:
        a->status_dirty = true;
        if (gone) {
            quota_model_remove_cluster_queue(a->model, o->name);
        } else {
            quota_cq_spec_t *s = quota_decode_cluster_queue(o->json, &err);
            if (s)
                quota_model_set_cluster_queue(a->model, s);
            else
                log_decode("ClusterQueue", o, &err);
        }
        break;
    case CACHE_KIND_LOCALQUEUE:
        a->status_dirty = true;
        if (gone) {
            quota_model_remove_local_queue(a->model, o->ns, o->name);
        } else {
            quota_lq_spec_t *s = quota_decode_local_queue(o->json, &err);
            if (s)
                quota_model_set_local_queue(a->model, s);
            else
                log_decode("LocalQueue", o, &err);
        }
        break;
    case CACHE_KIND_RESOURCEFLAVOR:
        a->status_dirty = true;
        if (gone) {
            quota_model_remove_flavor(a->model, o->name);
        } else {
            quota_flavor_spec_t *s = quota_decode_flavor(o->json, &err);
            if (s)
                quota_model_set_flavor(a->model, s);
            else
                log_decode("ResourceFlavor", o, &err);
        }
        break;
    case CACHE_KIND_WORKLOADPRIORITYCLASS:
    case CACHE_KIND_PRIORITYCLASS: apply_class(a, o, gone); break;
    case CACHE_KIND_COHORT:
        a->status_dirty = true;
        if (gone) {
            quota_model_remove_cohort(a->model, o->name);
        } else {
            quota_cohort_spec_t *s = quota_decode_cohort(o->json, &err);
            if (s)
                quota_model_set_cohort(a->model, s);
            else
                log_decode("Cohort", o, &err);
        }
        break;
    case CACHE_KIND_NAMESPACE:
        if (gone)
            quota_model_remove_namespace(a->model, o->name);
        else
            quota_model_set_namespace(a->model, o->name,
                                      rg_json_path(o->json, "metadata", "labels", NULL));
        break;
    case CACHE_KIND_RAYCLUSTER:
    case CACHE_KIND_RAYJOB:
        admit__owner_touched(a, kind, o->key);
        /* A deleted owner's Workloads must let go (events of different
         * kinds arrive in no particular order). */
        if (gone || o->deleting)
            admit__touch_workloads_of(a, o->ns,
                                      kind == CACHE_KIND_RAYJOB ? "RayJob" : "RayCluster", o->name);
        break;
    case CACHE_KIND_NODE: a->capacity_changed = true; break;
    case CACHE_KIND_POD: {
        a->capacity_changed = true; /* a pod left, or stopped holding its node */
        if (o->ray_cluster == NULL)
            break;
        char key[600];
        snprintf(key, sizeof(key), "%s/%s", o->ns, o->ray_cluster);
        admit__owner_touched(a, CACHE_KIND_RAYCLUSTER, key);
        if (gone) /* the last pod of a deleted cluster lets its Workload go */
            admit__touch_workloads_of(a, o->ns, "RayCluster", o->ray_cluster);
        break;
    }
    default: break;
    }
}

/* ---- versions in flight ---- */

#define AWAIT_NS (5LL * 1000000000LL)

static void awaited_free(void *v)
{
    awaited_t *w = v;
    rg_free(w->key);
    rg_free(w->rv);
    rg_free(w);
}

void admit__await(struct admit *a, const char *ns, const char *name, const char *rv)
{
    if (rv == NULL)
        return;
    char *key = rg_asprintf("%s/%s", ns, name);
    const cache_obj_t *o = admit__latest(a, CACHE_KIND_WORKLOAD, key);
    if (o && strcmp(o->resource_version, rv) == 0) {
        rg_free(key); /* the watch was faster than the answer */
        return;
    }
    awaited_t *w = rg_calloc(1, sizeof(*w));
    w->key = key;
    w->rv = rg_strdup(rv);
    w->until_ns = rg_time_now_ns() + AWAIT_NS;
    awaited_t *old = rg_strmap_put(&a->awaiting, w->key, w);
    if (old)
        awaited_free(old);
}

bool admit__awaiting(struct admit *a, const char *ns, const char *name, int64_t now_ns)
{
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", ns, name);
    awaited_t *w = rg_strmap_get(&a->awaiting, key);
    if (w == NULL)
        return false;
    if (w->until_ns > now_ns)
        return true;
    awaited_free(rg_strmap_del(&a->awaiting, key));
    return false;
}

void admit__seen(struct admit *a, const char *key, const char *rv)
{
    awaited_t *w = rg_strmap_get(&a->awaiting, key);
    if (w && (rv == NULL || strcmp(w->rv, rv) == 0))
        awaited_free(rg_strmap_del(&a->awaiting, key));
}

void admit__awaiting_release(struct admit *a)
{
    rg_strmap_release_with(&a->awaiting, awaited_free);
}

/* ---- decisions into writes ---- */

/* An ObjectReference to a cached object (owned), for Events. */
static cJSON *object_ref(const cache_obj_t *o)
{
    cJSON *r = cJSON_CreateObject();
    const char *av = rg_json_get_string(o->json, "apiVersion");
    const char *kind = rg_json_get_string(o->json, "kind");
    cJSON_AddStringToObject(r, "apiVersion", av ? av : "");
    cJSON_AddStringToObject(r, "kind", kind ? kind : "");
    if (o->ns[0])
        cJSON_AddStringToObject(r, "namespace", o->ns);
    cJSON_AddStringToObject(r, "name", o->name);
    cJSON_AddStringToObject(r, "uid", o->uid);
    cJSON_AddStringToObject(r, "resourceVersion", o->resource_version);
    return r;
}

void admit__event(struct admit *a, const cache_obj_t *o, const char *type, const char *reason,
                  const char *note)
{
    if (a->opts.events == NULL || o == NULL)
        return;
    cJSON *ref = object_ref(o);
    rg_error_t err = {0};
    if (events_record(a->opts.events, ref, type, reason, reason, note, &err) < 0)
        rg_log_debug("admit", "event not recorded error=\"%s\" object=%s", rg_error_str(&err),
                     o->key);
    cJSON_Delete(ref);
}

static void decide_admit(struct admit *a, const quota_decision_t *d, const cache_obj_t *o,
                         int64_t now_ns)
{
    /* A write of ours still on its way (or answered but not yet seen) moves
     * the resourceVersion under this admission's precondition: decide again
     * on the version it makes rather than lose a round trip to a 409. */
    if (admit__write_inflight(a, ADMIT_FOR_PENDING, &kube_res_workloads, d->ns, d->name) ||
        admit__awaiting(a, d->ns, d->name, now_ns)) {
        admit__forget(a, d->ns, d->name);
        return;
    }
    cJSON *patch = admit_status_admit(o->json, d->admission, now_ns);
    if (!admit__write(a, ADMIT_OP_PATCH_STATUS, ADMIT_FOR_ADMISSION, &kube_res_workloads, d->ns,
                      d->name, patch)) {
        admit__forget(a, d->ns, d->name); /* an earlier write is still out */
        return;
    }
    char note[512];
    snprintf(note, sizeof(note),
             "Quota reserved in ClusterQueue %s, wait time since queued was "
             "%.0fs",
             d->cluster_queue, (double)d->wait_ns / 1e9);
    /* The gang's plan, when placement was checked: after the admission, whose
     * resourceVersion precondition an annotation write first would break. */
    char *plan = admit__placement_take_annotation(a->placement, d->ns, d->name);
    if (plan) {
        cJSON *ap = cJSON_CreateObject();
        cJSON *ann =
            cJSON_AddObjectToObject(cJSON_AddObjectToObject(ap, "metadata"), "annotations");
        cJSON_AddStringToObject(ann, "raygate.dev/placement", plan);
        admit__write(a, ADMIT_OP_PATCH, ADMIT_FOR_PLAN, &kube_res_workloads, d->ns, d->name, ap);
        rg_free(plan);
    }
    admit__event(a, o, "Normal", "QuotaReserved", note);
    snprintf(note, sizeof(note), "Admitted by ClusterQueue %s, wait time since reservation was 0s",
             d->cluster_queue);
    admit__event(a, o, "Normal", "Admitted", note);
    admit__audit(a, "Workload", d->ns, d->name, "admitted", d->message);
    rg_log_info("admit", "admitted workload=%s/%s clusterqueue=%s", d->ns, d->name,
                d->cluster_queue);
}

static void decide_pending(struct admit *a, const quota_decision_t *d, const cache_obj_t *o,
                           int64_t now_ns)
{
    cJSON *patch = admit_status_pending(o->json, d->reason, d->message, now_ns);
    if (!admit__write(a, ADMIT_OP_PATCH_STATUS, ADMIT_FOR_PENDING, &kube_res_workloads, d->ns,
                      d->name, patch))
        return;
    admit__event(a, o, "Warning", d->reason, d->message);
    admit__audit(a, "Workload", d->ns, d->name, "pending", d->message);
    rg_log_debug("admit", "pending workload=%s/%s reason=%s message=\"%s\"", d->ns, d->name,
                 d->reason, d->message);
}

static void decide_evict(struct admit *a, const quota_decision_t *d, const cache_obj_t *o,
                         int64_t now_ns)
{
    if (admit__awaiting(a, d->ns, d->name, now_ns)) {
        quota_model_eviction_failed(a->model, d->ns, d->name);
        return;
    }
    cJSON *patch = admit_status_evict_decision(o->json, d, now_ns);
    /* A preemption goes into the victim's history (anti-thrash) only once
     * its eviction landed: a plain metadata patch right after it, so the
     * history survives restarts and failovers. */
    cJSON *history = d->preempted_reason ? admit_preempted_at_patch(o->json, now_ns) : NULL;
    if (!admit__write_then(a, ADMIT_OP_PATCH_STATUS, ADMIT_FOR_EVICTION, &kube_res_workloads,
                           d->ns, d->name, patch, ADMIT_OP_PATCH, ADMIT_FOR_ANNOTATION, history)) {
        quota_model_eviction_failed(a->model, d->ns, d->name);
        return;
    }
    char reason[128];
    snprintf(reason, sizeof(reason), "EvictedDueTo%s", d->reason);
    admit__event(a, o, "Normal", reason, d->message);
    admit__audit(a, "Workload", d->ns, d->name, "evicted", d->message);
    admit__preempt_written(a, d, o);
    rg_log_info("admit", "evicting workload=%s/%s reason=%s", d->ns, d->name, d->reason);
}

void admit__decide(struct admit *a, int64_t now_ns)
{
    /* Quota first, then placement, then any check the caller adds. */
    quota_check_t checks[8];
    size_t n_checks = 0;
    checks[n_checks++] = admit__placement_check(a->placement);
    for (size_t i = 0; i < a->opts.n_checks && n_checks < 8; i++)
        checks[n_checks++] = a->opts.checks[i];
    if (a->capacity_changed && admit__placement_capacity_changed(a->placement))
        quota_model_wake_all(a->model);
    a->capacity_changed = false;
    quota_pass_opts_t opts = {
        .checks = checks,
        .n_checks = n_checks,
        .pending_refresh_ns =
            (int64_t)(a->opts.pending_refresh_s ? a->opts.pending_refresh_s : 300) * 1000000000LL,
    };
    quota_decisions_t d = {0};
    quota_pass_stats_t st;
    quota_model_pass(a->model, now_ns, &opts, &d, &st);
    atomic_fetch_add(&a->st_passes, 1);
    for (size_t i = 0; i < d.n; i++) {
        const quota_decision_t *x = &d.v[i];
        char key[600];
        snprintf(key, sizeof(key), "%s/%s", x->ns, x->name);
        const cache_obj_t *o = admit__latest(a, CACHE_KIND_WORKLOAD, key);
        if (o == NULL) {
            if (x->kind == QUOTA_DECISION_ADMIT)
                admit__forget(a, x->ns, x->name);
            continue;
        }
        admit__metrics_decision(a, x);
        if (x->kind == QUOTA_DECISION_ADMIT)
            decide_admit(a, x, o, now_ns);
        else if (x->kind == QUOTA_DECISION_PENDING)
            decide_pending(a, x, o, now_ns);
        else if (x->kind == QUOTA_DECISION_DEACTIVATE)
            admit__decide_deactivate(a, x, o, now_ns);
        else
            decide_evict(a, x, o, now_ns);
    }
    quota_decisions_release(&d);
    admit__placement_end(a->placement);
    if (st.next_wake_ns && (a->next_wake_ns == 0 || st.next_wake_ns < a->next_wake_ns))
        a->next_wake_ns = st.next_wake_ns;
}

void admit__forget(struct admit *a, const char *ns, const char *name)
{
    quota_model_forget(a->model, ns, name);
    quota_check_t pc = admit__placement_check(a->placement);
    pc.release(pc.arg, ns, name);
}

/* ---- write outcomes ---- */

static void admission_done(struct admit *a, admit_write_t *w)
{
    switch (w->outcome) {
    case ADMIT_OK: atomic_fetch_add(&a->st_admitted, 1); return;
    case ADMIT_UNKNOWN:
        /* Committed or not? Read it back before deciding again. */
        admit__write(a, ADMIT_OP_GET, ADMIT_FOR_VERIFY, w->res, w->ns, w->name, NULL);
        return;
    case ADMIT_CONFLICT: atomic_fetch_add(&a->st_conflicts, 1); break;
    default:
        atomic_fetch_add(&a->st_write_errors, 1);
        rg_log_warn("admit", "admission not written error=\"%s\" workload=%s/%s",
                    w->msg ? w->msg : "", w->ns, w->name);
        break;
    }
    admit__forget(a, w->ns, w->name);
}

static void verify_done(struct admit *a, admit_write_t *w)
{
    if (w->outcome == ADMIT_UNKNOWN) {
        /* Still no answer: keep counting it and ask again. */
        admit__write(a, ADMIT_OP_GET, ADMIT_FOR_VERIFY, w->res, w->ns, w->name, NULL);
        return;
    }
    quota_wl_spec_t *s = w->outcome == ADMIT_OK ? quota_decode_workload(w->body, NULL) : NULL;
    bool landed = s && s->reserved && s->admission;
    if (landed) {
        atomic_fetch_add(&a->st_admitted, 1);
        quota_model_set_workload(a->model, s);
    } else {
        quota_wl_spec_free(s);
        admit__forget(a, w->ns, w->name);
    }
}

void admit__write_done(struct admit *a, admit_write_t *w)
{
    admit__write_settled(a, w);
    if (w->outcome == ADMIT_SKIPPED)
        return; /* a follow-up of a write that failed: that one's outcome says it all */
    if (w->outcome == ADMIT_OK && w->res == &kube_res_workloads && w->name)
        admit__await(a, w->ns, w->name, w->rv);
    admit__metrics_write(a, w);
    switch (w->purpose) {
    case ADMIT_FOR_ADMISSION: admission_done(a, w); return;
    case ADMIT_FOR_VERIFY: verify_done(a, w); return;
    case ADMIT_FOR_PENDING:
        if (w->outcome == ADMIT_OK)
            atomic_fetch_add(&a->st_pending, 1);
        else if (w->outcome == ADMIT_CONFLICT)
            atomic_fetch_add(&a->st_conflicts, 1);
        return;
    case ADMIT_FOR_EVICTION:
        if (w->outcome == ADMIT_OK) {
            atomic_fetch_add(&a->st_evicted, 1);
        } else if (w->outcome != ADMIT_GONE) {
            /* Decided again, on the next version for a conflict: a preempted
             * victim must not stay marked as on its way out, or its
             * preemptor would wait for it forever. */
            if (w->outcome == ADMIT_CONFLICT)
                atomic_fetch_add(&a->st_conflicts, 1);
            quota_model_eviction_failed(a->model, w->ns, w->name);
        }
        return;
    default: admit__owner_write_done(a, w); return;
    }
}

/* ---- queue status and finalizers ---- */

static bool has_finalizer(const cJSON *obj, int *index)
{
    int i = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, rg_json_path(obj, "metadata", "finalizers", NULL))
    {
        if (cJSON_IsString(f) && strcmp(f->valuestring, FINALIZER) == 0) {
            *index = i;
            return true;
        }
        i++;
    }
    return false;
}

/*
 * Removes the resource-in-use finalizer (JSON patch with a test, so a
 * reordered list is never cut in the wrong place); with only_deleting,
 * only from an object already being deleted.
 */
void admit__finalizer_release(struct admit *a, const kube_resource_t *res, const cache_obj_t *o,
                              bool only_deleting)
{
    int idx;
    if ((only_deleting && !o->deleting) || !has_finalizer(o->json, &idx))
        return;
    rg_log_debug("admit", "releasing the resource-in-use finalizer object=%s", o->key);
    char path[64];
    snprintf(path, sizeof(path), "/metadata/finalizers/%d", idx);
    cJSON *ops = cJSON_CreateArray();
    cJSON *test = cJSON_CreateObject();
    cJSON_AddStringToObject(test, "op", "test");
    cJSON_AddStringToObject(test, "path", path);
    cJSON_AddStringToObject(test, "value", FINALIZER);
    cJSON_AddItemToArray(ops, test);
    cJSON *rm = cJSON_CreateObject();
    cJSON_AddStringToObject(rm, "op", "remove");
    cJSON_AddStringToObject(rm, "path", path);
    cJSON_AddItemToArray(ops, rm);
    admit__write(a, ADMIT_OP_JSON_PATCH, ADMIT_FOR_FINALIZER, res, o->ns[0] ? o->ns : NULL, o->name,
                 ops);
}

static void finalizers(struct admit *a)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (rg_strmap_next(&a->latest[CACHE_KIND_CLUSTERQUEUE], &it, &k, &v)) {
        const cache_obj_t *o = v;
        if (o->deleting && !quota_model_cq_in_use(a->model, o->name))
            admit__finalizer_release(a, &kube_res_clusterqueues, o, true);
    }
    it = 0;
    while (rg_strmap_next(&a->latest[CACHE_KIND_RESOURCEFLAVOR], &it, &k, &v)) {
        const cache_obj_t *o = v;
        if (o->deleting && !quota_model_flavor_in_use(a->model, o->name))
            admit__finalizer_release(a, &kube_res_resourceflavors, o, true);
    }
}

static void cluster_queue_status(struct admit *a, int64_t now_ns)
{
    size_t n = quota_model_cq_count(a->model);
    for (size_t i = 0; i < n; i++) {
        quota_cq_status_t st;
        if (quota_model_cq_status(a->model, i, &st) != RG_OK)
            continue;
        const cache_obj_t *o = admit__latest(a, CACHE_KIND_CLUSTERQUEUE, st.name);
        cJSON *patch = o ? admit_status_cluster_queue(o->json, &st, now_ns) : NULL;
        if (patch)
            admit__write(a, ADMIT_OP_PATCH_STATUS, ADMIT_FOR_QUEUE_STATUS, &kube_res_clusterqueues,
                         NULL, st.name, patch);
    }
}

/* Cohort objects' status.fairSharing (implicit cohorts have no object to write). */
static void cohort_status(struct admit *a)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (rg_strmap_next(&a->latest[CACHE_KIND_COHORT], &it, &k, &v)) {
        const cache_obj_t *o = v;
        double share = quota_model_cohort_weighted_share(a->model, o->name);
        admit__metrics_cohort(a, o->name, share);
        cJSON *patch = admit_status_cohort(o->json, a->policy.fair_sharing, share);
        if (patch)
            admit__write(a, ADMIT_OP_PATCH_STATUS, ADMIT_FOR_QUEUE_STATUS, &kube_res_cohorts, NULL,
                         o->name, patch);
    }
}

static void local_queue_status(struct admit *a, int64_t now_ns)
{
    size_t n = 0;
    quota_lq_counts_t *counts = quota_model_lq_counts_all(a->model, &n);
    size_t it = 0;
    const char *k;
    void *v;
    while (rg_strmap_next(&a->latest[CACHE_KIND_LOCALQUEUE], &it, &k, &v)) {
        const cache_obj_t *o = v;
        const quota_lq_counts_t *c = NULL;
        for (size_t i = 0; i < n && c == NULL; i++)
            if (strcmp(counts[i].ns, o->ns) == 0 && strcmp(counts[i].name, o->name) == 0)
                c = &counts[i];
        const char *stop = rg_json_get_string(rg_json_get(o->json, "spec"), "stopPolicy");
        const char *cqn = rg_json_get_string(rg_json_get(o->json, "spec"), "clusterQueue");
        bool stopped = stop && strcmp(stop, "None") != 0;
        const cache_obj_t *cq = cqn ? admit__latest(a, CACHE_KIND_CLUSTERQUEUE, cqn) : NULL;
        const char *reason = stopped      ? "Stopped"
                             : cq == NULL ? "ClusterQueueDoesNotExist"
                                          : "ClusterQueueIsInactive";
        const char *msg =
            stopped ? "LocalQueue is stopped" : "Can't submit new workloads to clusterQueue";
        bool active = !stopped && cq != NULL && quota_model_cq_active(a->model, cqn);
        cJSON *patch = admit_status_local_queue(o->json, c ? c->pending : 0, c ? c->reserving : 0,
                                                c ? c->admitted : 0, active, reason, msg, now_ns);
        if (patch)
            admit__write(a, ADMIT_OP_PATCH_STATUS, ADMIT_FOR_QUEUE_STATUS, &kube_res_localqueues,
                         o->ns, o->name, patch);
    }
    quota_lq_counts_free(counts, n);
}

void admit__queue_status(struct admit *a, int64_t now_ns)
{
    int64_t every = (int64_t)(a->opts.queue_status_ms ? a->opts.queue_status_ms : 2000) * 1000000LL;
    if (!a->status_dirty && a->decided_once)
        return;
    if (now_ns - a->last_queue_status_ns < every) {
        int64_t due = a->last_queue_status_ns + every;
        if (a->next_wake_ns == 0 || due < a->next_wake_ns)
            a->next_wake_ns = due;
        return;
    }
    a->last_queue_status_ns = now_ns;
    a->status_dirty = false;
    cluster_queue_status(a, now_ns);
    local_queue_status(a, now_ns);
    cohort_status(a);
    finalizers(a);
    admit__metrics_queues(a);
}

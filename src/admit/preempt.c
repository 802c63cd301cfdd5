/*
 * The admitter's side of preemption and its protections: the Events Kueue
 * records for a preemption (on the victim and on the preemptor), the
 * victim's preemption history (annotation raygate.dev/preempted-at, read by
 * the engine's anti-thrash), deactivation after the requeuing limit, the
 * graceful stop of a preempted owner (annotation raygate.dev/stop-after and
 * an Event, then suspension), the anti-thrash requeueAt on release, and the
 * PodsReady condition waitForPodsReady times out on.
 */
#include "internal.h"

#include "raygate/alloc.h"
#include "raygate/jobs.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <string.h>

#define HISTORY_MAX 16 /* preemption.thrashLimit may be up to 16 */
#define STOP_AFTER "raygate.dev/stop-after"

static const char *annotation(const cJSON *obj, const char *key)
{
    return rg_json_get_string(rg_json_path(obj, "metadata", "annotations", NULL), key);
}

/* ---- preemption: Events and history ---- */

/* The victim's history with now appended, newest last, at most HISTORY_MAX (owned). */
static char *history_with(const cJSON *wl, int64_t now_ns)
{
    int64_t at[HISTORY_MAX + 1];
    size_t n = quota_preemption_history(wl, at, HISTORY_MAX);
    if (n == HISTORY_MAX) {
        memmove(at, at + 1, (HISTORY_MAX - 1) * sizeof(int64_t));
        n--;
    }
    at[n++] = now_ns;
    rg_buf_t b = RG_BUF_INIT;
    for (size_t i = 0; i < n; i++)
        rg_buf_appendf(&b, "%s%lld", i ? "," : "", (long long)(at[i] / 1000000000LL));
    return rg_buf_detach(&b, NULL);
}

cJSON *admit_preempted_at_patch(const cJSON *wl, int64_t now_ns)
{
    char *h = history_with(wl, now_ns);
    cJSON *patch = cJSON_CreateObject();
    cJSON *ann = cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "metadata"), "annotations");
    cJSON_AddStringToObject(ann, QUOTA_ANNOTATION_PREEMPTED_AT, h);
    rg_free(h);
    return patch;
}

void admit__preempt_written(struct admit *a, const quota_decision_t *d, const cache_obj_t *o)
{
    if (d->preempted_reason == NULL)
        return;
    admit__event(a, o, "Normal", "Preempted", d->victim_note);
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", d->preemptor_ns, d->preemptor_name);
    admit__event(a, admit__latest(a, CACHE_KIND_WORKLOAD, key), "Normal", "PreemptedWorkload",
                 d->preemptor_note);
    admit__audit(a, "Workload", d->ns, d->name, "preempted", d->message);
}

/* ---- deactivation after the requeuing limit ---- */

void admit__decide_deactivate(struct admit *a, const quota_decision_t *d, const cache_obj_t *o,
                              int64_t now_ns)
{
    cJSON *status, *conds;
    cJSON *p = admit__status_patch(o->json, &status, &conds);
    admit__cond_set(conds, "DeactivationTarget", "True", d->reason, d->message,
                    admit__generation(o->json), now_ns);
    if (!admit__write(a, ADMIT_OP_PATCH_STATUS, ADMIT_FOR_EVICTION, &kube_res_workloads, d->ns,
                      d->name, p)) {
        quota_model_eviction_failed(a->model, d->ns, d->name);
        return;
    }
    /* Kueue's workload controller then sets spec.active=false; the engine
     * evicts the inactive workload (DeactivatedDueTo<reason>). */
    cJSON *spec = cJSON_CreateObject();
    cJSON_AddFalseToObject(cJSON_AddObjectToObject(spec, "spec"), "active");
    admit__write(a, ADMIT_OP_PATCH, ADMIT_FOR_DEACTIVATE, &kube_res_workloads, d->ns, d->name,
                 spec);
    admit__audit(a, "Workload", d->ns, d->name, "deactivated", d->message);
    rg_log_info("admit", "deactivating workload=%s/%s reason=%s", d->ns, d->name, d->reason);
}

/* ---- graceful stop ---- */

void admit__recheck_owner(struct admit *a, const cache_obj_t *owner, int64_t t)
{
    admit__owner_touched(a, owner->kind, owner->key);
    if (a->next_wake_ns == 0 || t < a->next_wake_ns)
        a->next_wake_ns = t;
}

bool admit__graceful_stop_due(struct admit *a, const cache_obj_t *owner, const cache_obj_t *w,
                              const char *reason, int64_t now_ns)
{
    if (a->opts.graceful_stop_s == 0 || reason == NULL || strcmp(reason, "Preempted") != 0)
        return true;
    int64_t at = 0;
    const char *v = annotation(owner->json, STOP_AFTER);
    if (v && rg_time_parse_rfc3339(v, &at) == 0) {
        if (now_ns >= at)
            return true;
        admit__recheck_owner(a, owner, at);
        return false;
    }
    at = now_ns + (int64_t)a->opts.graceful_stop_s * 1000000000LL;
    char ts[40];
    rg_time_format_rfc3339_seconds(at, ts, sizeof(ts));
    cJSON *patch = cJSON_CreateObject();
    cJSON *ann = cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "metadata"), "annotations");
    cJSON_AddStringToObject(ann, STOP_AFTER, ts);
    const kube_resource_t *res =
        owner->kind == CACHE_KIND_RAYJOB ? &kube_res_rayjobs : &kube_res_rayclusters;
    if (admit__write(a, ADMIT_OP_PATCH, ADMIT_FOR_OWNER_NOTICE, res, owner->ns, owner->name,
                     patch)) {
        char note[512];
        snprintf(note, sizeof(note),
                 "Preempted (Workload %s): will be suspended at %s, after a grace period of %us "
                 "to checkpoint",
                 w->name, ts, a->opts.graceful_stop_s);
        admit__event(a, owner, "Warning", "StopScheduled", note);
    }
    admit__recheck_owner(a, owner, at);
    return false;
}

void admit__stop_notice_clear(const cache_obj_t *owner, cJSON *patch)
{
    if (annotation(owner->json, STOP_AFTER) == NULL)
        return;
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(patch, "metadata");
    if (meta == NULL)
        meta = cJSON_AddObjectToObject(patch, "metadata");
    cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
    if (ann == NULL)
        ann = cJSON_AddObjectToObject(meta, "annotations");
    cJSON_AddNullToObject(ann, STOP_AFTER);
}

/* ---- anti-thrash on release ---- */

int64_t admit_status_thrash_backoff(const cJSON *wl, const quota_policy_cfg_t *policy,
                                    cJSON *patch, int64_t now_ns)
{
    int64_t at[HISTORY_MAX];
    size_t n = quota_preemption_history(wl, at, HISTORY_MAX);
    int64_t until = quota_thrash_until(policy, at, n);
    cJSON *status = cJSON_GetObjectItemCaseSensitive(patch, "status");
    if (until <= now_ns || status == NULL)
        return 0;
    char ts[40];
    rg_time_format_rfc3339_seconds(until, ts, sizeof(ts));
    cJSON_AddStringToObject(cJSON_AddObjectToObject(status, "requeueState"), "requeueAt", ts);
    return until;
}

void admit__release_backoff(struct admit *a, const cache_obj_t *w, cJSON *patch, int64_t now_ns)
{
    int64_t until = admit_status_thrash_backoff(w->json, &a->policy, patch, now_ns);
    if (until == 0)
        return;
    int64_t at[HISTORY_MAX];
    size_t n = quota_preemption_history(w->json, at, HISTORY_MAX);
    char ts[40], note[256];
    rg_time_format_rfc3339_seconds(until, ts, sizeof(ts));
    snprintf(note, sizeof(note),
             "Preempted %zu times within %llds: requeued no earlier than %s (anti-thrash backoff)",
             quota_thrash_count(&a->policy, at, n),
             (long long)(a->policy.thrash_window_ns / 1000000000LL), ts);
    admit__event(a, w, "Warning", "BackoffAfterPreemptions", note);
}

/* ---- PodsReady ---- */

static bool str_is(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

void admit__pods_ready(struct admit *a, const cache_obj_t *owner, const cache_obj_t *w,
                       int64_t now_ns)
{
    if (!a->policy.pods_ready)
        return;
    /* Kueue's generatePodsReadyCondition. */
    const cJSON *cur = admit__find_cond(w->json, "PodsReady");
    const char *cur_status = rg_json_get_string(cur, "status");
    const char *cur_reason = rg_json_get_string(cur, "reason");
    const char *status = "False", *reason = "WaitForStart";
    const char *msg = "Not all pods are ready or succeeded";
    bool admitted = str_is(rg_json_get_string(admit__find_cond(w->json, "Admitted"), "status"), "True");
    if (admitted && job_pods_ready(owner->json)) {
        status = "True";
        reason = str_is(cur_reason, "WaitForRecovery") || str_is(cur_reason, "Recovered")
                     ? "Recovered"
                     : "Started";
        msg = "All pods reached readiness and the workload is running";
    } else if (admitted && cur &&
               (str_is(cur_status, "True") || str_is(cur_reason, "WaitForRecovery"))) {
        reason = "WaitForRecovery";
        msg = "At least one pod has failed, waiting for recovery";
    }
    if (str_is(cur_status, status) && str_is(cur_reason, reason))
        return;
    cJSON *st, *conds;
    cJSON *p = admit__status_patch(w->json, &st, &conds);
    admit__cond_set(conds, "PodsReady", status, reason, msg, admit__generation(w->json), now_ns);
    admit__write(a, ADMIT_OP_PATCH_STATUS, ADMIT_FOR_PODS_READY, &kube_res_workloads, w->ns,
                 w->name, p);
}

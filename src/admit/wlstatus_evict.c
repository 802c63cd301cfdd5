/*
 * The status an eviction writes, as Kueue's workloadevict.Evict does:
 * Evicted=True, the Preempted condition of a preemption, requeueState for a
 * PodsReadyTimeout, DeactivationTarget and requeueState cleared on a
 * deactivation, and the per-reason count in status.schedulingStats.
 * Pure: the Workload and the decision in, a merge patch out.
 */
#include "internal.h"

#include "raygate/alloc.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <string.h>

#define DEACTIVATED "Deactivated"
#define DEACTIVATED_DUE_TO "DeactivatedDueTo"

const cJSON *admit__find_cond(const cJSON *wl, const char *type)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, rg_json_path(wl, "status", "conditions", NULL))
    {
        const char *t = rg_json_get_string(c, "type");
        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

/* Kueue's schedulingStats key: reason, and the underlying cause of a
 * deactivation ("DeactivatedDueToX" -> Deactivated/X) or a PodsReady timeout. */
static void eviction_key(const cJSON *wl, const char *reason, char *r, size_t rsize, char *cause,
                         size_t csize)
{
    cause[0] = '\0';
    if (strncmp(reason, DEACTIVATED_DUE_TO, strlen(DEACTIVATED_DUE_TO)) == 0) {
        snprintf(r, rsize, "%s", DEACTIVATED);
        snprintf(cause, csize, "%s", reason + strlen(DEACTIVATED_DUE_TO));
        return;
    }
    snprintf(r, rsize, "%s", reason);
    if (strcmp(reason, "PodsReadyTimeout") == 0) {
        const char *pr = rg_json_get_string(admit__find_cond(wl, "PodsReady"), "reason");
        snprintf(cause, csize, "%s",
                 pr && strcmp(pr, "WaitForRecovery") == 0 ? "WaitForRecovery" : "WaitForStart");
    }
}

/* status.schedulingStats.evictions with this eviction counted (owned). */
static cJSON *count_eviction(const cJSON *wl, const char *reason)
{
    char r[128], cause[128];
    eviction_key(wl, reason, r, sizeof(r), cause, sizeof(cause));
    const cJSON *old = rg_json_path(wl, "status", "schedulingStats", "evictions", NULL);
    cJSON *ev = cJSON_IsArray(old) ? cJSON_Duplicate(old, true) : cJSON_CreateArray();
    cJSON *it;
    cJSON_ArrayForEach(it, ev)
    {
        const char *ir = rg_json_get_string(it, "reason");
        const char *ic = rg_json_get_string(it, "underlyingCause");
        if (ir && strcmp(ir, r) == 0 && strcmp(ic ? ic : "", cause) == 0) {
            const cJSON *n = rg_json_get(it, "count");
            double c = cJSON_IsNumber(n) ? n->valuedouble : 0;
            cJSON_DeleteItemFromObjectCaseSensitive(it, "count");
            cJSON_AddNumberToObject(it, "count", c + 1);
            return ev;
        }
    }
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "reason", r);
    if (cause[0])
        cJSON_AddStringToObject(e, "underlyingCause", cause);
    cJSON_AddNumberToObject(e, "count", 1);
    cJSON_AddItemToArray(ev, e);
    return ev;
}

static void drop_cond(cJSON *conds, const char *type)
{
    int i = 0;
    cJSON *c;
    cJSON_ArrayForEach(c, conds)
    {
        const char *t = rg_json_get_string(c, "type");
        if (t && strcmp(t, type) == 0) {
            cJSON_DeleteItemFromArray(conds, i);
            return;
        }
        i++;
    }
}

cJSON *admit_status_evict_decision(const cJSON *wl, const quota_decision_t *d, int64_t now_ns)
{
    cJSON *status, *conds;
    cJSON *p = admit__status_patch(wl, &status, &conds);
    int64_t gen = admit__generation(wl);
    admit__cond_set(conds, "Evicted", "True", d->reason, d->message, gen, now_ns);
    if (d->preempted_reason) {
        admit__cond_set(conds, "Preempted", "True", d->preempted_reason, d->message, gen, now_ns);
        /* Kueue's SetPreemptedCondition sets no observedGeneration. */
        cJSON *c = conds->child;
        while (c && (rg_json_get_string(c, "type") == NULL ||
                     strcmp(rg_json_get_string(c, "type"), "Preempted") != 0))
            c = c->next;
        if (c)
            cJSON_DeleteItemFromObjectCaseSensitive(c, "observedGeneration");
    }
    if (d->set_requeue) {
        char ts[40];
        rg_time_format_rfc3339_seconds(d->requeue_at_ns, ts, sizeof(ts));
        cJSON *rq = cJSON_AddObjectToObject(status, "requeueState");
        cJSON_AddNumberToObject(rq, "count", d->requeue_count);
        cJSON_AddStringToObject(rq, "requeueAt", ts);
    }
    if (strncmp(d->reason, DEACTIVATED, strlen(DEACTIVATED)) == 0) {
        drop_cond(conds, "DeactivationTarget");
        cJSON_AddNullToObject(status, "requeueState");
    }
    cJSON *stats = cJSON_AddObjectToObject(status, "schedulingStats");
    cJSON_AddItemToObject(stats, "evictions", count_eviction(wl, d->reason));
    return p;
}

/*
 * What the admitter writes into status subresources, as Kueue writes it:
 * Workload admission, pending, eviction, release and finish conditions
 * (apimeta.SetStatusCondition semantics), and ClusterQueue/LocalQueue/Cohort
 * status. Pure: objects in, merge patches out.
 */
#include "internal.h"

#include "raygate/alloc.h"
#include "raygate/timeutil.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kueue truncates condition messages to the API's limit (32 KiB). */
#define CONDITION_MESSAGE_MAX 32768

static int64_t generation_of(const cJSON *obj)
{
    const cJSON *g = rg_json_path(obj, "metadata", "generation", NULL);
    return cJSON_IsNumber(g) ? (int64_t)g->valuedouble : 0;
}

static cJSON *find_cond(cJSON *conds, const char *type)
{
    cJSON *c;
    cJSON_ArrayForEach(c, conds)
    {
        const char *t = rg_json_get_string(c, "type");
        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

static void set_str(cJSON *obj, const char *key, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddStringToObject(obj, key, v ? v : "");
}

/*
 * apimeta.SetStatusCondition on an owned conditions array: a new condition
 * is added with lastTransitionTime now; an existing one keeps its time
 * unless its status changes; reason, message and observedGeneration are
 * always updated.
 */
static void cond_set(cJSON *conds, const char *type, const char *status, const char *reason,
                     const char *message, int64_t generation, int64_t now_ns)
{
    char ts[40];
    rg_time_format_rfc3339_seconds(now_ns, ts, sizeof(ts));
    char *msg = rg_strndup(message ? message : "", CONDITION_MESSAGE_MAX);
    cJSON *c = find_cond(conds, type);
    if (c == NULL) {
        c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "type", type);
        cJSON_AddItemToArray(conds, c);
    }
    const char *old = rg_json_get_string(c, "status");
    if (old == NULL || strcmp(old, status) != 0 || rg_json_get(c, "lastTransitionTime") == NULL)
        set_str(c, "lastTransitionTime", ts);
    set_str(c, "status", status);
    set_str(c, "reason", reason);
    set_str(c, "message", msg);
    cJSON_DeleteItemFromObjectCaseSensitive(c, "observedGeneration");
    cJSON_AddNumberToObject(c, "observedGeneration", (double)generation);
    rg_free(msg);
}

/* Kueue's resetActiveCondition: a True condition becomes False "Previously: ...". */
static void cond_reset_active(cJSON *conds, const char *type, const char *reason,
                              int64_t generation, int64_t now_ns)
{
    cJSON *c = find_cond(conds, type);
    const char *st = rg_json_get_string(c, "status");
    if (c == NULL || st == NULL || strcmp(st, "True") != 0)
        return;
    const char *prev = rg_json_get_string(c, "message");
    char *msg = rg_asprintf("Previously: %s", prev ? prev : "");
    cond_set(conds, type, "False", reason, msg, generation, now_ns);
    rg_free(msg);
}

/* A patch skeleton: {metadata:{resourceVersion}, status:{conditions:[copy]}}. */
static cJSON *patch_new(const cJSON *obj, cJSON **status, cJSON **conds)
{
    cJSON *p = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(p, "metadata");
    const char *rv = rg_json_get_string(rg_json_get(obj, "metadata"), "resourceVersion");
    if (rv && rv[0])
        cJSON_AddStringToObject(meta, "resourceVersion", rv);
    *status = cJSON_AddObjectToObject(p, "status");
    const cJSON *old = rg_json_path(obj, "status", "conditions", NULL);
    *conds = cJSON_IsArray(old) ? cJSON_Duplicate(old, true) : cJSON_CreateArray();
    cJSON_AddItemToObject(*status, "conditions", *conds);
    return p;
}

cJSON *admit_admission_json(const quota_admission_t *adm)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "clusterQueue", adm->cluster_queue);
    cJSON *psas = cJSON_AddArrayToObject(a, "podSetAssignments");
    for (size_t i = 0; i < adm->n_podsets; i++) {
        const quota_ps_admission_t *ps = &adm->podsets[i];
        cJSON *psa = cJSON_CreateObject();
        cJSON_AddStringToObject(psa, "name", ps->name);
        cJSON *flavors = cJSON_AddObjectToObject(psa, "flavors");
        cJSON *usage = cJSON_AddObjectToObject(psa, "resourceUsage");
        for (size_t r = 0; r < ps->n_res; r++) {
            char q[QUOTA_QTY_STR_MAX];
            quota_qty_format(&ps->res[r].usage, q, sizeof(q));
            cJSON_AddStringToObject(flavors, ps->res[r].resource, ps->res[r].flavor);
            cJSON_AddStringToObject(usage, ps->res[r].resource, q);
        }
        cJSON_AddNumberToObject(psa, "count", ps->count);
        cJSON_AddItemToArray(psas, psa);
    }
    return a;
}

cJSON *admit_status_admit(const cJSON *wl, const quota_admission_t *adm, int64_t now_ns)
{
    cJSON *status, *conds;
    cJSON *p = patch_new(wl, &status, &conds);
    int64_t gen = generation_of(wl);
    cJSON_AddItemToObject(status, "admission", admit_admission_json(adm));
    char *msg = rg_asprintf("Quota reserved in ClusterQueue %s", adm->cluster_queue);
    cond_set(conds, "QuotaReserved", "True", "QuotaReserved", msg, gen, now_ns);
    rg_free(msg);
    cond_reset_active(conds, "Evicted", "QuotaReserved", gen, now_ns);
    cond_reset_active(conds, "Preempted", "QuotaReserved", gen, now_ns);
    /* No admission checks: reserving quota admits (SyncAdmittedCondition). */
    cond_set(conds, "Admitted", "True", "Admitted", "The workload is admitted", gen, now_ns);
    return p;
}

/* A patch that sets one condition. */
static cJSON *condition_patch(const cJSON *wl, const char *type, const char *status,
                              const char *reason, const char *message, int64_t now_ns)
{
    cJSON *st, *conds;
    cJSON *p = patch_new(wl, &st, &conds);
    cond_set(conds, type, status, reason, message, generation_of(wl), now_ns);
    return p;
}

cJSON *admit_status_pending(const cJSON *wl, const char *reason, const char *message,
                            int64_t now_ns)
{
    return condition_patch(wl, "QuotaReserved", "False", reason, message, now_ns);
}

cJSON *admit_status_evict(const cJSON *wl, const char *reason, const char *message,
                          int64_t now_ns)
{
    return condition_patch(wl, "Evicted", "True", reason, message, now_ns);
}

cJSON *admit_status_release(const cJSON *wl, const char *message, int64_t now_ns)
{
    cJSON *status, *conds;
    cJSON *p = patch_new(wl, &status, &conds);
    int64_t gen = generation_of(wl);
    cJSON_AddNullToObject(status, "admission");
    cond_set(conds, "QuotaReserved", "False", "Pending", message, gen, now_ns);
    cJSON *admitted = find_cond(conds, "Admitted");
    const char *st = rg_json_get_string(admitted, "status");
    if (st && strcmp(st, "True") == 0)
        cond_set(conds, "Admitted", "False", "NoReservation", "The workload has no reservation",
                 gen, now_ns);
    const char *reason = rg_json_get_string(find_cond(conds, "Evicted"), "reason");
    cond_set(conds, "Requeued", "True", reason ? reason : "Pending", message, gen, now_ns);
    return p;
}

cJSON *admit_status_finished(const cJSON *wl, const char *reason, const char *message,
                             int64_t now_ns)
{
    return condition_patch(wl, "Finished", "True", reason, message, now_ns);
}

/* ---- queues ---- */

static bool same_json(const cJSON *a, const cJSON *b)
{
    return a && b && cJSON_Compare(a, b, true);
}

static bool number_is(const cJSON *obj, const char *key, size_t v)
{
    const cJSON *n = rg_json_get(obj, key);
    return cJSON_IsNumber(n) && n->valuedouble == (double)v;
}

/* Whether a status already holds status.fairSharing as Kueue's controllers
 * keep it: {weightedShare} while fair sharing is on, nothing when off. */
static bool fair_sharing_is(const cJSON *status, bool on, int64_t share)
{
    const cJSON *fs = rg_json_get(status, "fairSharing");
    if (!on)
        return fs == NULL || cJSON_IsNull(fs);
    const cJSON *v = rg_json_get(fs, "weightedShare");
    /* Raw: what fair_sharing_put wrote, as a merge applied in process keeps it. */
    if (cJSON_IsRaw(v))
        return strtoll(v->valuestring, NULL, 10) == share;
    return cJSON_IsNumber(v) && v->valuedouble == (double)share;
}

/* Puts status.fairSharing into a merge patch's status (null removes it). */
static void fair_sharing_put(cJSON *status, bool on, int64_t share)
{
    if (!on) {
        cJSON_AddNullToObject(status, "fairSharing");
        return;
    }
    cJSON *fs = cJSON_AddObjectToObject(status, "fairSharing");
    if (share < (INT64_C(1) << 53)) {
        cJSON_AddNumberToObject(fs, "weightedShare", (double)share);
    } else {
        /* A double cannot spell INT64_MAX, which an int64 field must read back exactly. */
        char text[24];
        snprintf(text, sizeof(text), "%" PRId64, share);
        cJSON_AddRawToObject(fs, "weightedShare", text);
    }
}

cJSON *admit_status_cohort(const cJSON *cohort, bool fair_sharing, double share)
{
    const cJSON *old = rg_json_get_object(cohort, "status");
    int64_t v = quota_weighted_share_field(share);
    if (fair_sharing_is(old, fair_sharing, v))
        return NULL;
    cJSON *p = cJSON_CreateObject();
    fair_sharing_put(cJSON_AddObjectToObject(p, "status"), fair_sharing, v);
    return p;
}

/* Whether the cached conditions already hold this Active condition. */
static bool active_is(const cJSON *status, const char *st, const char *reason, const char *msg)
{
    cJSON *c = find_cond((cJSON *)rg_json_get_array(status, "conditions"), "Active");
    const char *s = rg_json_get_string(c, "status");
    const char *r = rg_json_get_string(c, "reason");
    const char *m = rg_json_get_string(c, "message");
    return s && r && m && strcmp(s, st) == 0 && strcmp(r, reason) == 0 && strcmp(m, msg) == 0;
}

/* flavorsReservation / flavorsUsage: [{name, resources: [{name, total, borrowed}]}]. */
static cJSON *flavors_usage(const quota_cq_status_t *st)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < st->n_frs; i++) {
        const quota_fr_status_t *fr = &st->frs[i];
        cJSON *fl = NULL, *it;
        cJSON_ArrayForEach(it, arr)
        {
            if (strcmp(rg_json_get_string(it, "name"), fr->flavor) == 0)
                fl = it;
        }
        if (fl == NULL) {
            fl = cJSON_CreateObject();
            cJSON_AddStringToObject(fl, "name", fr->flavor);
            cJSON_AddArrayToObject(fl, "resources");
            cJSON_AddItemToArray(arr, fl);
        }
        char total[QUOTA_QTY_STR_MAX], borrowed[QUOTA_QTY_STR_MAX];
        quota_qty_format(&fr->usage, total, sizeof(total));
        quota_qty_format(&fr->borrowed, borrowed, sizeof(borrowed));
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "name", fr->resource);
        cJSON_AddStringToObject(r, "total", total);
        cJSON_AddStringToObject(r, "borrowed", borrowed);
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(fl, "resources"), r);
    }
    return arr;
}

cJSON *admit_status_cluster_queue(const cJSON *cq, const quota_cq_status_t *st, int64_t now_ns)
{
    const cJSON *old = rg_json_get_object(cq, "status");
    const char *a_status = st->active ? "True" : "False";
    const char *a_reason = st->active ? "Ready" : st->inactive_reason;
    const char *a_msg = st->active ? "Can admit new workloads" : st->inactive_message;
    cJSON *usage = flavors_usage(st);
    int64_t share = quota_weighted_share_field(st->weighted_share);
    bool fs_same = fair_sharing_is(old, st->fair_sharing, share);
    bool same = fs_same && number_is(old, "pendingWorkloads", st->pending) &&
                number_is(old, "reservingWorkloads", st->reserving) &&
                number_is(old, "admittedWorkloads", st->admitted) &&
                same_json(rg_json_get(old, "flavorsReservation"), usage) &&
                same_json(rg_json_get(old, "flavorsUsage"), usage) &&
                active_is(old, a_status, a_reason, a_msg);
    if (same) {
        cJSON_Delete(usage);
        return NULL;
    }
    cJSON *p = cJSON_CreateObject();
    cJSON *status = cJSON_AddObjectToObject(p, "status");
    const cJSON *old_conds = rg_json_get_array(old, "conditions");
    cJSON *conds = old_conds ? cJSON_Duplicate(old_conds, true) : cJSON_CreateArray();
    cond_set(conds, "Active", a_status, a_reason, a_msg, generation_of(cq), now_ns);
    cJSON_AddNumberToObject(status, "pendingWorkloads", (double)st->pending);
    cJSON_AddNumberToObject(status, "reservingWorkloads", (double)st->reserving);
    cJSON_AddNumberToObject(status, "admittedWorkloads", (double)st->admitted);
    cJSON_AddItemToObject(status, "flavorsReservation", cJSON_Duplicate(usage, true));
    cJSON_AddItemToObject(status, "flavorsUsage", usage);
    cJSON_AddItemToObject(status, "conditions", conds);
    if (!fs_same)
        fair_sharing_put(status, st->fair_sharing, share);
    return p;
}

cJSON *admit_status_local_queue(const cJSON *lq, size_t pending, size_t reserving, size_t admitted,
                                bool active, const char *inactive_reason,
                                const char *inactive_message, int64_t now_ns)
{
    const cJSON *old = rg_json_get_object(lq, "status");
    const char *a_status = active ? "True" : "False";
    const char *a_reason = active ? "Ready" : inactive_reason;
    const char *a_msg = active ? "Can submit new workloads to localQueue" : inactive_message;
    if (number_is(old, "pendingWorkloads", pending) &&
        number_is(old, "reservingWorkloads", reserving) &&
        number_is(old, "admittedWorkloads", admitted) && active_is(old, a_status, a_reason, a_msg))
        return NULL;
    cJSON *p = cJSON_CreateObject();
    cJSON *status = cJSON_AddObjectToObject(p, "status");
    const cJSON *old_conds = rg_json_get_array(old, "conditions");
    cJSON *conds = old_conds ? cJSON_Duplicate(old_conds, true) : cJSON_CreateArray();
    cond_set(conds, "Active", a_status, a_reason, a_msg, generation_of(lq), now_ns);
    cJSON_AddNumberToObject(status, "pendingWorkloads", (double)pending);
    cJSON_AddNumberToObject(status, "reservingWorkloads", (double)reserving);
    cJSON_AddNumberToObject(status, "admittedWorkloads", (double)admitted);
    cJSON_AddItemToObject(status, "conditions", conds);
    return p;
}

/* ---- shared with the other status builders of src/admit ---- */

void admit__cond_set(cJSON *conds, const char *type, const char *status, const char *reason,
                     const char *message, int64_t generation, int64_t now_ns)
{
    cond_set(conds, type, status, reason, message, generation, now_ns);
}

cJSON *admit__status_patch(const cJSON *obj, cJSON **status, cJSON **conds)
{
    return patch_new(obj, status, conds);
}

int64_t admit__generation(const cJSON *obj)
{
    return generation_of(obj);
}

/*
 * Decoding what preemption, fair sharing and waitForPodsReady read from
 * API objects: a ClusterQueue's spec.preemption, fairSharing weight and
 * raygate's minimum-runtime annotation; a Workload's job uid, condition
 * times, PodsReady, DeactivationTarget and raygate's preemption history;
 * the Cohort kind. Untrusted input: wrong types read as unset or are
 * reported with the field and the value.
 */
#include "internal.h"

#include "raygate/alloc.h"
#include "raygate/clusterqueue.h"
#include "raygate/convert.h"
#include "raygate/timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREEMPTED_AT_MAX 16

/* ---- ClusterQueue ---- */

static quota_preempt_policy_t policy_of(const char *v)
{
    if (v == NULL)
        return QUOTA_PREEMPT_NEVER;
    if (strcmp(v, "LowerPriority") == 0)
        return QUOTA_PREEMPT_LOWER_PRIORITY;
    if (strcmp(v, "LowerOrNewerEqualPriority") == 0)
        return QUOTA_PREEMPT_LOWER_OR_NEWER_EQUAL_PRIORITY;
    if (strcmp(v, "Any") == 0)
        return QUOTA_PREEMPT_ANY;
    return QUOTA_PREEMPT_NEVER;
}

void quota__decode_preemption(const cJSON *pre, quota_preemption_t *out)
{
    *out = (quota_preemption_t){0};
    if (!cJSON_IsObject(pre))
        return;
    out->within_cq = policy_of(rg_json_get_string(pre, "withinClusterQueue"));
    out->reclaim = policy_of(rg_json_get_string(pre, "reclaimWithinCohort"));
    const cJSON *bwc = rg_json_get_object(pre, "borrowWithinCohort");
    const char *p = rg_json_get_string(bwc, "policy");
    out->borrow_within_cohort = p && strcmp(p, "LowerPriority") == 0;
    const cJSON *t = rg_json_get(bwc, "maxPriorityThreshold");
    if (cJSON_IsNumber(t) && t->valuedouble >= INT32_MIN && t->valuedouble <= INT32_MAX &&
        t->valuedouble == floor(t->valuedouble)) {
        out->has_max_priority_threshold = true;
        out->max_priority_threshold = (int32_t)t->valuedouble;
    }
}

/* spec.fairSharing.weight (a Quantity, Kueue's AsFloat64Slow); 1 when unset or unreadable. */
static double fair_weight_of(const cJSON *spec)
{
    const cJSON *w = rg_json_get(rg_json_get_object(spec, "fairSharing"), "weight");
    quota_qty_t q;
    if (w == NULL || quota_qty_parse_json(w, &q, NULL) != RG_OK || q.nano < 0)
        return 1.0;
    return (double)q.nano / 1e9;
}

/* A non-negative whole number of seconds, as an annotation value; -1 when unset or bad. */
static int64_t seconds_annotation(const cJSON *obj, const char *key)
{
    const char *v = rg_json_get_string(rg_json_path(obj, "metadata", "annotations", NULL), key);
    if (v == NULL || v[0] == '\0' || strlen(v) > 12)
        return -1;
    char *end;
    errno = 0;
    long long s = strtoll(v, &end, 10);
    if (errno || *end != '\0' || s < 0)
        return -1;
    return (int64_t)s * 1000000000LL;
}

void quota__decode_cq_extras(const cJSON *obj, quota_cq_spec_t *s)
{
    const cJSON *spec = rg_json_get_object(obj, "spec");
    quota__decode_preemption(rg_json_get_object(spec, "preemption"), &s->policy);
    s->fair_weight = fair_weight_of(spec);
    s->min_runtime_ns = seconds_annotation(obj, QUOTA_ANNOTATION_MIN_RUNTIME);
}

/* ---- Workload ---- */

size_t quota_preempted_at_parse(const char *v, int64_t *out, size_t max)
{
    size_t n = 0;
    const char *p = v ? v : "";
    while (*p && n < max) {
        char *end;
        errno = 0;
        long long t = strtoll(p, &end, 10);
        if (end != p && errno == 0 && t > 0 && t < (1LL << 40))
            out[n++] = (int64_t)t * 1000000000LL;
        p = end != p ? end : p + 1;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return n;
}

size_t quota_preemption_history(const cJSON *wl, int64_t *out, size_t max)
{
    const char *v = rg_json_get_string(rg_json_path(wl, "metadata", "annotations", NULL),
                                       QUOTA_ANNOTATION_PREEMPTED_AT);
    size_t n = quota_preempted_at_parse(v, out, max);
    const cJSON *ev = quota__condition(rg_json_get_object(wl, "status"), "Evicted");
    const char *reason = rg_json_get_string(ev, "reason");
    int64_t t = quota__condition_time(ev);
    if (max == 0 || quota__condition_status(ev) != 1 || reason == NULL ||
        strcmp(reason, "Preempted") != 0 || t <= 0)
        return n;
    /* The annotation is written right after the eviction: until it lands,
     * the eviction itself says when the newest preemption was. */
    int64_t s = t / 1000000000LL * 1000000000LL;
    for (size_t i = 0; i < n; i++)
        if (out[i] >= s)
            return n;
    if (n == max) {
        memmove(out, out + 1, (max - 1) * sizeof(*out));
        n--;
    }
    out[n++] = s;
    return n;
}

/* The preemption history (quota_preemption_history); at most PREEMPTED_AT_MAX kept. */
static void decode_history(const cJSON *obj, quota_wl_spec_t *s)
{
    int64_t at[PREEMPTED_AT_MAX];
    size_t n = quota_preemption_history(obj, at, PREEMPTED_AT_MAX);
    if (n == 0)
        return;
    s->preempted_at = rg_calloc(n, sizeof(int64_t));
    memcpy(s->preempted_at, at, n * sizeof(int64_t));
    s->n_preempted_at = n;
}

void quota__decode_wl_extras(const cJSON *obj, quota_wl_spec_t *s)
{
    const cJSON *meta = rg_json_get_object(obj, "metadata");
    const char *ju = rg_json_get_string(rg_json_get_object(meta, "labels"), "kueue.x-k8s.io/job-uid");
    s->job_uid = ju && ju[0] ? rg_strdup(ju) : NULL;
    decode_history(obj, s);
    const cJSON *status = rg_json_get_object(obj, "status");
    const cJSON *qr = quota__condition(status, "QuotaReserved");
    if (quota__condition_status(qr) == 1)
        s->reserved_ns = quota__condition_time(qr);
    const cJSON *ad = quota__condition(status, "Admitted");
    if (quota__condition_status(ad) == 1)
        s->admitted_ns = quota__condition_time(ad);
    const cJSON *pr = quota__condition(status, "PodsReady");
    s->pods_ready = quota__condition_status(pr);
    if (pr) {
        const char *r = rg_json_get_string(pr, "reason");
        s->pods_ready_reason = r ? rg_strdup(r) : NULL;
        s->pods_ready_ns = quota__condition_time(pr);
    }
    const cJSON *dt = quota__condition(status, "DeactivationTarget");
    if (quota__condition_status(dt) == 1) {
        const char *r = rg_json_get_string(dt, "reason");
        const char *m = rg_json_get_string(dt, "message");
        /* Kueue's eviction on deactivation: reason "Deactivated" + cause,
         * message "The workload is deactivated due to <message>". */
        s->deactivation_reason = rg_asprintf("DeactivatedDueTo%s", r ? r : "");
        s->deactivation_message =
            rg_asprintf("The workload is deactivated due to %s", m ? m : "");
    }
}

void quota__wl_extras_release(quota_wl_spec_t *s)
{
    rg_free(s->job_uid);
    rg_free(s->pods_ready_reason);
    rg_free(s->deactivation_reason);
    rg_free(s->deactivation_message);
    rg_free(s->preempted_at);
}

/* ---- Cohort ---- */

void quota_cohort_spec_free(quota_cohort_spec_t *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_groups; i++) {
        quota_group_t *g = &s->groups[i];
        for (size_t c = 0; c < g->n_covered; c++)
            rg_free(g->covered[c]);
        rg_free(g->covered);
        for (size_t f = 0; f < g->n_flavors; f++) {
            for (size_t r = 0; r < g->flavors[f].n_res; r++)
                rg_free(g->flavors[f].res[r].resource);
            rg_free(g->flavors[f].res);
            rg_free(g->flavors[f].flavor);
        }
        rg_free(g->flavors);
    }
    rg_free(s->groups);
    rg_free(s->name);
    rg_free(s->parent);
    rg_free(s);
}

quota_cohort_spec_t *quota_decode_cohort(const cJSON *obj, rg_error_t *err)
{
    const char *name = rg_json_get_string(rg_json_get_object(obj, "metadata"), "name");
    if (name == NULL || name[0] == '\0') {
        rg_error_set(err, RG_ERR_INVAL, "Cohort: metadata.name: Required value");
        return NULL;
    }
    const cJSON *spec = rg_json_get_object(obj, "spec");
    /* The ClusterQueue decoder reads resourceGroups the same way: borrow it
     * through a ClusterQueue-shaped object (same schema, same bounds). */
    cJSON *as_cq = cJSON_CreateObject();
    cJSON_AddStringToObject(as_cq, "apiVersion", "kueue.x-k8s.io/v1beta2");
    cJSON_AddStringToObject(as_cq, "kind", "ClusterQueue");
    cJSON *meta = cJSON_AddObjectToObject(as_cq, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    cJSON *cspec = cJSON_AddObjectToObject(as_cq, "spec");
    const cJSON *groups = rg_json_get(spec, "resourceGroups");
    if (groups)
        cJSON_AddItemToObject(cspec, "resourceGroups", cJSON_Duplicate(groups, true));
    quota_cq_spec_t *cq = quota_decode_cluster_queue(as_cq, err);
    cJSON_Delete(as_cq);
    if (cq == NULL) {
        if (err)
            rg_error_prefix(err, "Cohort %s", name);
        return NULL;
    }
    quota_cohort_spec_t *s = rg_calloc(1, sizeof(*s));
    s->name = rg_strdup(name);
    const char *parent = rg_json_get_string(spec, "parentName");
    s->parent = parent && parent[0] ? rg_strdup(parent) : NULL;
    s->groups = cq->groups;
    s->n_groups = cq->n_groups;
    cq->groups = NULL;
    cq->n_groups = 0;
    quota_cq_spec_free(cq);
    s->fair_weight = fair_weight_of(spec);
    return s;
}

/*
 * The quota engine in a closed loop with a simulated clock (quota_sim.h):
 * every decision is written back as the admitter writes it (its pure status
 * builders, applied as merge patches), evicted jobs release their quota
 * when their pods are gone, and the clock jumps to the next release or to
 * the engine's next wake-up.
 */
#include "quota_sim.h"

#include "raygate/admit.h"
#include "raygate/alloc.h"
#include "raygate/buf.h"
#include "raygate/json.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000LL
/* Passes at one instant before it counts as never settling. */
#define MAX_PASSES_PER_INSTANT 200
/* Trace lines kept (a loop without protection makes thousands). */
#define MAX_TRACE_LINES 400

typedef struct sim_wl {
    char *key;
    cJSON *obj;         /* the Workload as the API server stores it */
    int64_t release_at; /* its pods are gone then (0: nothing pending) */
    char *evict_message;
} sim_wl_t;

typedef struct sim {
    quota_model_t *m;
    const rgt_sim_opts_t *o;
    sim_wl_t *w;
    size_t n;
    uint64_t rv; /* resourceVersions handed out */
    rgt_sim_result_t *r;
    rg_buf_t trace;
    size_t trace_lines;
    char *admitted; /* the admitted set after the last instant */
    bool changed;   /* an admission or eviction at this instant (even one undone at once) */
} sim_t;

/* Appends "+<seconds> <what>" to the trace. */
static void trace(sim_t *s, int64_t t, const char *what)
{
    if (s->trace_lines++ >= MAX_TRACE_LINES) {
        if (s->trace_lines == MAX_TRACE_LINES + 1)
            rg_buf_append_str(&s->trace, "...\n");
        return;
    }
    rg_buf_appendf(&s->trace, "+%llds %s\n", (long long)((t - s->o->start_ns) / NS_PER_S), what);
}

static void set_str(char **dst, const char *src)
{
    rg_free(*dst);
    *dst = src ? rg_strdup(src) : NULL;
}

static sim_wl_t *find(sim_t *s, const char *ns, const char *name)
{
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", ns, name);
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->w[i].key, key) == 0)
            return &s->w[i];
    ck_abort_msg("simulation: a decision for unknown workload %s", key);
    return NULL;
}

/* The API server stores a write (a new resourceVersion) and the engine sees it. */
static void store(sim_t *s, sim_wl_t *w, cJSON *patch)
{
    rg_json_merge_patch(&w->obj, patch);
    cJSON_Delete(patch);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(w->obj, "metadata");
    char rv[32];
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)++s->rv);
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
    cJSON_AddStringToObject(meta, "resourceVersion", rv);
    rg_error_t err = {0};
    quota_wl_spec_t *spec = quota_decode_workload(w->obj, &err);
    ck_assert_msg(spec != NULL, "simulation: %s: %s", w->key, rg_error_str(&err));
    quota_model_set_workload(s->m, spec);
}

static bool holds_admission(const cJSON *wl)
{
    if (!cJSON_IsObject(rg_json_path(wl, "status", "admission", NULL)))
        return false;
    const cJSON *c;
    cJSON_ArrayForEach(c, rg_json_path(wl, "status", "conditions", NULL))
    {
        const char *type = rg_json_get_string(c, "type");
        const char *st = rg_json_get_string(c, "status");
        if (type && st && strcmp(type, "Evicted") == 0 && strcmp(st, "True") == 0)
            return false;
    }
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *rgt_sorted_join(const char **v, size_t n)
{
    if (n)
        qsort(v, n, sizeof(*v), cmp_str);
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_append_str(&b, "");
    for (size_t i = 0; i < n; i++)
        rg_buf_appendf(&b, "%s%s", i ? "," : "", v[i]);
    return rg_buf_detach(&b, NULL);
}

/* "ns/a,ns/b": the running (admitted, not evicted) workloads, sorted (owned). */
static char *admitted_set(const sim_t *s)
{
    const char **keys = rg_calloc(s->n ? s->n : 1, sizeof(*keys));
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (holds_admission(s->w[i].obj))
            keys[k++] = s->w[i].key;
    char *set = rgt_sorted_join(keys, k);
    rg_free(keys);
    return set;
}

static void on_evict(sim_t *s, sim_wl_t *w, const quota_decision_t *d, int64_t t)
{
    /* The admitter records a preemption in the victim's history right
     * after the eviction, with a patch made from the version it evicted. */
    cJSON *history = d->preempted_reason ? admit_preempted_at_patch(w->obj, t) : NULL;
    store(s, w, admit_status_evict_decision(w->obj, d, t));
    s->changed = true;
    if (history) {
        store(s, w, history);
        s->r->preemptions++;
        s->r->last_preemption_ns = t;
    }
    char what[1400];
    if (d->preempted_reason)
        snprintf(what, sizeof(what), "preempt %s by %s/%s (%s)", w->key, d->preemptor_ns,
                 d->preemptor_name, d->preempted_reason);
    else
        snprintf(what, sizeof(what), "evict %s (%s)", w->key, d->reason);
    trace(s, t, what);
    int64_t after = s->o->release_after ? s->o->release_after(s->o->arg, w->key) : 0;
    w->release_at = t + (after > 0 ? after : 1);
    set_str(&w->evict_message, d->message);
}

static void on_admit(sim_t *s, sim_wl_t *w, const quota_decision_t *d, int64_t t)
{
    store(s, w, admit_status_admit(w->obj, d->admission, t));
    s->r->admissions++;
    s->changed = true;
    char what[800];
    snprintf(what, sizeof(what), "admit %s in %s", w->key, d->cluster_queue);
    trace(s, t, what);
}

/* Writes one pass's decisions back; returns how many there were. */
static size_t write_back(sim_t *s, const quota_decisions_t *d, int64_t t)
{
    for (size_t i = 0; i < d->n; i++) {
        const quota_decision_t *x = &d->v[i];
        sim_wl_t *w = find(s, x->ns, x->name);
        switch (x->kind) {
        case QUOTA_DECISION_ADMIT: on_admit(s, w, x, t); break;
        case QUOTA_DECISION_PENDING:
            store(s, w, admit_status_pending(w->obj, x->reason, x->message, t));
            break;
        case QUOTA_DECISION_EVICT: on_evict(s, w, x, t); break;
        case QUOTA_DECISION_DEACTIVATE:
            ck_abort_msg("simulation: unexpected deactivation of %s", w->key);
            break;
        }
    }
    return d->n;
}

/* Pods gone: the admitter clears the reservation (with the anti-thrash backoff). */
static void release_due(sim_t *s, int64_t t)
{
    for (size_t i = 0; i < s->n; i++) {
        sim_wl_t *w = &s->w[i];
        if (w->release_at == 0 || w->release_at > t)
            continue;
        w->release_at = 0;
        cJSON *p = admit_status_release(w->obj, w->evict_message ? w->evict_message : "evicted", t);
        int64_t until = admit_status_thrash_backoff(w->obj, s->o->policy, p, t);
        store(s, w, p);
        char what[800];
        int k = snprintf(what, sizeof(what), "release %s", w->key);
        if (until && k > 0 && (size_t)k < sizeof(what))
            snprintf(what + k, sizeof(what) - (size_t)k, ", backing off until +%llds",
                     (long long)((until - s->o->start_ns) / NS_PER_S));
        trace(s, t, what);
    }
}

/* Passes at instant t until one decides nothing; returns the earliest wake-up. */
static int64_t settle(sim_t *s, int64_t t)
{
    quota_pass_stats_t st = {0};
    for (int i = 0;; i++) {
        ck_assert_msg(i < MAX_PASSES_PER_INSTANT, "simulation: no rest at +%llds:\n%s",
                      (long long)((t - s->o->start_ns) / NS_PER_S), s->trace.data);
        quota_decisions_t d = {0};
        quota_pass_opts_t po = {0};
        quota_model_pass(s->m, t, &po, &d, &st);
        s->r->passes++;
        size_t n = write_back(s, &d, t);
        quota_decisions_release(&d);
        if (n == 0)
            break;
    }
    return st.next_wake_ns;
}

static int64_t next_event(const sim_t *s, int64_t t, int64_t wake)
{
    int64_t next = wake > t ? wake : (wake ? t + NS_PER_S : 0);
    for (size_t i = 0; i < s->n; i++)
        if (s->w[i].release_at && (next == 0 || s->w[i].release_at < next))
            next = s->w[i].release_at;
    return next;
}

void rgt_sim_run(quota_model_t *m, cJSON **wls, size_t n, const rgt_sim_opts_t *opts,
                 rgt_sim_result_t *out)
{
    *out = (rgt_sim_result_t){.last_change_ns = opts->start_ns};
    sim_t s = {.m = m, .o = opts, .n = n, .r = out, .trace = RG_BUF_INIT};
    s.w = rg_calloc(n ? n : 1, sizeof(*s.w));
    for (size_t i = 0; i < n; i++) {
        const cJSON *meta = rg_json_get_object(wls[i], "metadata");
        const char *ns = rg_json_get_string(meta, "namespace");
        s.w[i].key = rg_asprintf("%s/%s", ns ? ns : "default", rg_json_get_string(meta, "name"));
        s.w[i].obj = wls[i];
    }
    rg_buf_append_str(&s.trace, "");
    s.admitted = admitted_set(&s);
    for (int64_t t = opts->start_ns; t && t <= opts->horizon_ns;) {
        release_due(&s, t);
        int64_t wake = settle(&s, t);
        char *now = admitted_set(&s);
        if (strcmp(now, s.admitted) != 0 || s.changed)
            out->last_change_ns = t;
        s.changed = false;
        rg_free(s.admitted);
        s.admitted = now;
        t = next_event(&s, t, wake);
    }
    out->admitted = s.admitted;
    out->trace = rg_buf_detach(&s.trace, NULL);
    for (size_t i = 0; i < n; i++) {
        rg_free(s.w[i].key);
        rg_free(s.w[i].evict_message);
        cJSON_Delete(s.w[i].obj);
    }
    rg_free(s.w);
}

void rgt_sim_result_release(rgt_sim_result_t *r)
{
    rg_free(r->admitted);
    rg_free(r->trace);
    *r = (rgt_sim_result_t){0};
}

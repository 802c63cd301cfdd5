/*
 * A head in Kueue's Preempt mode during a pass: its victims are chosen
 * (preempt.c / fairshare.c) and each one not already on its way out gets
 * an EVICT decision with Kueue's reason, Preempted condition, message and
 * Events; the preemptor waits, with Kueue's pending message, until their
 * quota is really released. Victims overlapping another preemptor's in
 * the same pass are left to that one (Kueue's PreemptedWorkloads).
 */
#include "internal.h"

#include "raygate/alloc.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <string.h>

/* Kueue's HumanReadablePreemptionReasons. */
static const char *human_reason(const char *reason)
{
    if (strcmp(reason, "InClusterQueue") == 0)
        return "prioritization in the ClusterQueue";
    if (strcmp(reason, "InCohortReclamation") == 0)
        return "reclamation within the cohort";
    if (strcmp(reason, "InCohortFairSharing") == 0)
        return "Fair Sharing within the cohort";
    if (strcmp(reason, "InCohortReclaimWhileBorrowing") == 0)
        return "reclamation within the cohort while borrowing";
    return "UNKNOWN";
}

static const char *or_unknown(const char *s)
{
    return s && s[0] ? s : "UNKNOWN";
}

/* Appends the victim's preemption to its in-memory history, so anti-thrash
 * holds at once (the admitter persists it in the annotation). */
static void remember(qwl_t *v, int64_t now_ns)
{
    quota_wl_spec_t *s = v->spec;
    int64_t *h = rg_calloc(s->n_preempted_at + 1, sizeof(int64_t));
    if (s->n_preempted_at)
        memcpy(h, s->preempted_at, s->n_preempted_at * sizeof(int64_t));
    h[s->n_preempted_at] = now_ns;
    rg_free(s->preempted_at);
    s->preempted_at = h;
    s->n_preempted_at++;
}

static void issue(quota_model_t *m, qcq_t *cq, const qwl_t *w, const qtarget_t *t, int64_t now_ns,
                  quota_decisions_t *out, quota_pass_stats_t *st)
{
    qwl_t *v = t->w;
    char *ppath = quota__cq_path(cq), *vpath = quota__cq_path(v->usage_cq);
    char *msg = rg_asprintf("Preempted to accommodate a workload (UID: %s, JobUID: %s) due to %s; "
                            "preemptor path: %s; preemptee path: %s",
                            or_unknown(w->spec->uid), or_unknown(w->spec->job_uid),
                            human_reason(t->reason), ppath, vpath);
    /* The victim's decision names its own ClusterQueue. */
    qcq_t *keep = v->cq;
    v->cq = v->usage_cq;
    quota_decision_t *d = quota__decision_add(out, QUOTA_DECISION_EVICT, v);
    v->cq = keep;
    d->reason = rg_strdup("Preempted");
    d->message = msg;
    d->preempted_reason = rg_strdup(t->reason);
    d->preemptor_ns = rg_strdup(w->spec->ns);
    d->preemptor_name = rg_strdup(w->spec->name);
    /* Effective priority = base priority: raygate sets no priority boost. */
    d->victim_note = rg_asprintf("%s; preemptor effective priority: %d (base: %d, boost: 0); "
                                 "preemptee effective priority: %d (base: %d, boost: 0)",
                                 msg, w->prio, w->prio, v->prio, v->prio);
    d->preemptor_note =
        rg_asprintf("Preempted workload %s (UID: %s) in ClusterQueue %s; preemptor effective "
                    "priority: %d (base: %d, boost: 0); preemptee effective priority: %d (base: "
                    "%d, boost: 0)",
                    v->key, v->spec->uid, v->usage_cq->spec->name, w->prio, w->prio, v->prio,
                    v->prio);
    rg_free(ppath);
    rg_free(vpath);
    v->preempt_sent = true;
    v->evict_sent = true;
    v->preempt_pass = m->pass_serial;
    remember(v, now_ns);
    st->evicted++;
}

/* Why a thrashing preemptor waits (owned): the assigner's words and anti-thrash's. */
static char *passive_message(const quota_model_t *m, const qwl_t *w, const qassign_t *a,
                             int64_t again)
{
    const quota_wl_spec_t *s = w->spec;
    size_t k = quota_thrash_count(&m->cfg, s->preempted_at, s->n_preempted_at);
    char when[64] = "once something else changes in its cohort";
    if (again) {
        char ts[40];
        rg_time_format_rfc3339_seconds(again, ts, sizeof(ts));
        snprintf(when, sizeof(when), "at %s", ts);
    }
    return rg_asprintf("%s. Not preempting (anti-thrash): preempted %zu times within %llds, "
                       "may preempt again %s",
                       a->message ? a->message : "", k,
                       (long long)(m->cfg.thrash_window_ns / 1000000000LL), when);
}

/*
 * Whether every admission check would pass w once the targets are gone
 * (DESIGN.md §4: admitted means placeable, after the preemptions chosen);
 * false with the refusing check's message (owned) in *why.
 */
static bool checks_allow(const quota_pass_opts_t *opts, const qcq_t *cq, const qwl_t *w,
                         const qassign_t *a, const qtargets_t *t, int64_t now_ns, char **why)
{
    quota_candidate_t cand = {w->spec, a->admission, cq->spec->name};
    quota_wl_ref_t *refs = NULL;
    bool ok = true;
    for (size_t i = 0; ok && opts && i < opts->n_checks; i++) {
        const quota_check_t *c = &opts->checks[i];
        if (c->admit_after == NULL)
            continue;
        if (refs == NULL) {
            refs = rg_malloc((t->n + 1) * sizeof(*refs));
            for (size_t k = 0; k < t->n; k++)
                refs[k] = (quota_wl_ref_t){t->v[k].w->spec->ns, t->v[k].w->spec->name};
        }
        char *reason = NULL, *message = NULL;
        ok = c->admit_after(c->arg, &cand, refs, t->n, now_ns, &reason, &message);
        if (!ok)
            *why = message ? message : rg_asprintf("admission check %s refused it", c->name);
        else
            rg_free(message);
        rg_free(reason);
    }
    rg_free(refs);
    return ok;
}

char *quota__pass_preempt(quota_model_t *m, qcq_t *cq, qwl_t *w, const qassign_t *a,
                          const quota_pass_opts_t *opts, int64_t now_ns, quota_decisions_t *out,
                          quota_pass_stats_t *st)
{
    qpreq_t r = {
        .m = m,
        .cq = cq,
        .w = w,
        .usage = a->usage,
        .n_usage = a->n_usage,
        .need = a->need,
        .n_need = a->n_need,
        .now_ns = now_ns,
    };
    qtargets_t t;
    quota__preempt_targets(&r, &t);
    int64_t again = 0;
    if (!quota__may_preempt(m, w, now_ns, &again)) {
        quota__targets_release(&t);
        if (again)
            quota__recheck_at(m, again); /* look at it again when it may preempt */
        return passive_message(m, w, a, again);
    }
    if (t.n == 0) {
        quota__targets_release(&t);
        return rg_strdup(a->message ? a->message : "");
    }
    for (size_t i = 0; i < t.n; i++) {
        if (t.v[i].w->preempt_sent && t.v[i].w->preempt_pass == m->pass_serial) {
            quota__targets_release(&t);
            return rg_strdup("Workload has overlapping preemption targets with another workload");
        }
    }
    char *why = NULL;
    if (!checks_allow(opts, cq, w, a, &t, now_ns, &why)) {
        quota__targets_release(&t);
        return why;
    }
    for (size_t i = 0; i < t.n; i++)
        if (!quota__is_evicted(t.v[i].w))
            issue(m, cq, w, &t.v[i], now_ns, out, st);
    char *msg = rg_asprintf("%s. Pending the preemption of %zu workload(s)",
                            a->message ? a->message : "", t.n);
    quota__targets_release(&t);
    return msg;
}

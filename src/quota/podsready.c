/*
 * Kueue's waitForPodsReady in the engine: admitted workloads whose
 * PodsReady condition is not True are kept on one list; a pass evicts those
 * past the timeout (reason PodsReadyTimeout, requeueState count + 1 and
 * requeueAt after Kueue's exponential backoff) or, past
 * backoffLimitCount, deactivates them (DeactivationTarget
 * RequeuingLimitExceeded), and says when the next one falls due.
 */
#include "internal.h"

#include "raygate/alloc.h"

#include <string.h>

static bool should_track(const qwl_t *w)
{
    const quota_wl_spec_t *s = w->spec;
    return w->state == QWL_RESERVED && w->usage_cq != NULL && !s->finished && s->pods_ready != 1;
}

void quota__unready_track(quota_model_t *m, qwl_t *w)
{
    bool want = should_track(w);
    if (want && !w->unready_listed) {
        quota__rlist_push(&m->unready, w);
        w->unready_listed = true;
    } else if (!want && w->unready_listed) {
        quota__rlist_remove(&m->unready, w);
        w->unready_listed = false;
    }
}

static bool reason_is(const char *r, const char *v)
{
    return r && strcmp(r, v) == 0;
}

/* Kueue's admittedNotReadyWorkload: when the timeout falls due, 0 when none applies. */
static int64_t due_at(const quota_model_t *m, const qwl_t *w)
{
    const quota_wl_spec_t *s = w->spec;
    int64_t admitted = w->assumed ? w->assumed_ns : s->admitted_ns;
    if (admitted == 0)
        return 0; /* not admitted: nothing to time out */
    if (s->pods_ready < 0 || reason_is(s->pods_ready_reason, "WaitForStart") ||
        reason_is(s->pods_ready_reason, "PodsReady"))
        return admitted + m->cfg.pods_ready_timeout_ns;
    if (reason_is(s->pods_ready_reason, "WaitForRecovery") && m->cfg.recovery_timeout_ns > 0)
        return s->pods_ready_ns + m->cfg.recovery_timeout_ns;
    return 0;
}

static void time_out(quota_model_t *m, qwl_t *w, int64_t now_ns, quota_decisions_t *out,
                     quota_pass_stats_t *st)
{
    const quota_wl_spec_t *s = w->spec;
    int32_t limit = m->cfg.backoff_limit_count;
    if (limit >= 0 && (int64_t)s->requeue_count + 1 > limit) {
        quota_decision_t *d = quota__decision_add(out, QUOTA_DECISION_DEACTIVATE, w);
        d->reason = rg_strdup("RequeuingLimitExceeded");
        d->message = rg_strdup("exceeding the maximum number of re-queuing retries");
    } else {
        quota_decision_t *d = quota__decision_add(out, QUOTA_DECISION_EVICT, w);
        d->reason = rg_strdup("PodsReadyTimeout");
        d->message = rg_asprintf("Exceeded the PodsReady timeout %s", w->key);
        d->set_requeue = true;
        d->requeue_count = s->requeue_count + 1;
        d->requeue_at_ns = now_ns + quota_requeue_backoff(&m->cfg, d->requeue_count);
    }
    w->evict_sent = true;
    st->evicted++;
}

void quota__podsready_pass(quota_model_t *m, int64_t now_ns, quota_decisions_t *out,
                           quota_pass_stats_t *st)
{
    if (!m->cfg.pods_ready)
        return;
    for (qwl_t *w = m->unready.head, *next; w; w = next) {
        next = quota__rlist_next(&m->unready, w);
        if (!w->spec->active || quota__is_evicted(w))
            continue;
        int64_t due = due_at(m, w);
        if (due == 0)
            continue;
        if (due > now_ns) {
            if (st->next_wake_ns == 0 || due < st->next_wake_ns)
                st->next_wake_ns = due;
            continue;
        }
        time_out(m, w, now_ns, out, st);
    }
}

/*
 * The admission pass: per cohort tree, the heads of its ClusterQueues are
 * assigned flavors and the best one that fits (within nominal quota before
 * borrowing, then priority, then queue time) is admitted, until nothing
 * more fits; StrictFIFO queues stop at a head that does not fit,
 * BestEffortFIFO queues park it. Then the pending reasons and positions
 * that changed, and the evictions that are due, become decisions.
 */
#include "internal.h"

#include "raygate/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_REFRESH_NS (30LL * 1000000000LL)

void quota_decisions_release(quota_decisions_t *d)
{
    for (size_t i = 0; i < d->n; i++) {
        quota_decision_t *x = &d->v[i];
        rg_free(x->ns);
        rg_free(x->name);
        rg_free(x->uid);
        rg_free(x->resource_version);
        rg_free(x->cluster_queue);
        rg_free(x->reason);
        rg_free(x->message);
        rg_free(x->priority_class);
        rg_free(x->preempted_reason);
        rg_free(x->preemptor_ns);
        rg_free(x->preemptor_name);
        rg_free(x->victim_note);
        rg_free(x->preemptor_note);
        quota_admission_free(x->admission);
    }
    rg_free(d->v);
    *d = (quota_decisions_t){0};
}

quota_decision_t *quota__decision_add(quota_decisions_t *d, quota_decision_kind_t kind,
                                      const qwl_t *w)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->v = rg_realloc(d->v, d->cap * sizeof(*d->v));
    }
    quota_decision_t *x = &d->v[d->n++];
    *x = (quota_decision_t){.kind = kind};
    x->ns = rg_strdup(w->spec->ns);
    x->name = rg_strdup(w->spec->name);
    x->uid = rg_strdup(w->spec->uid);
    x->resource_version = rg_strdup(w->spec->resource_version);
    x->cluster_queue = w->cq ? rg_strdup(w->cq->spec->name) : NULL;
    x->priority_class = rg_strdup(w->spec->class_name ? w->spec->class_name : "");
    return x;
}

static quota_admission_t *admission_copy(const quota_admission_t *a)
{
    quota_admission_t *c = rg_calloc(1, sizeof(*c));
    c->cluster_queue = rg_strdup(a->cluster_queue);
    c->podsets = rg_calloc(a->n_podsets ? a->n_podsets : 1, sizeof(*c->podsets));
    c->n_podsets = a->n_podsets;
    for (size_t i = 0; i < a->n_podsets; i++) {
        const quota_ps_admission_t *s = &a->podsets[i];
        quota_ps_admission_t *d = &c->podsets[i];
        d->name = rg_strdup(s->name);
        d->count = s->count;
        d->res = rg_calloc(s->n_res ? s->n_res : 1, sizeof(*d->res));
        d->n_res = s->n_res;
        for (size_t r = 0; r < s->n_res; r++) {
            d->res[r].resource = rg_strdup(s->res[r].resource);
            d->res[r].flavor = rg_strdup(s->res[r].flavor);
            d->res[r].usage = s->res[r].usage;
        }
    }
    return c;
}

/* ---- waiting reasons ---- */

static void set_wait(qwl_t *w, const char *reason, const char *base)
{
    quota__set_str(&w->wait_reason, reason);
    quota__set_str(&w->wait_base, base);
}

/* ---- one cohort tree ---- */

typedef struct cand {
    qcq_t *cq;
    qwl_t *head;  /* the head the cached assignment is for */
    uint64_t gen; /* model generation it was computed at */
    qassign_t a;
} cand_t;

static void collect_cqs(qnode_t *n, cand_t **v, size_t *len, size_t *cap)
{
    if (!n->is_cohort) {
        if (*len == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            *v = rg_realloc(*v, *cap * sizeof(**v));
        }
        (*v)[(*len)++] = (cand_t){.cq = (qcq_t *)n};
        return;
    }
    for (size_t i = 0; i < n->n_kids; i++)
        collect_cqs(n->kids[i], v, len, cap);
}

/* Kueue's classical iterator: within nominal quota first, then priority, then time. */
static bool better(const cand_t *a, const cand_t *b)
{
    if (b == NULL)
        return true;
    if (a->a.borrow != b->a.borrow)
        return a->a.borrow < b->a.borrow;
    return quota__order_cmp(a->head, b->head) < 0;
}

/* The head does not fit: park it (BestEffortFIFO) or block the queue (StrictFIFO). */
static void not_admitted(qcq_t *cq, qwl_t *w, const char *reason, const char *message)
{
    set_wait(w, reason, message);
    w->wait_cq = cq;
    if (cq->spec->queueing == QUOTA_STRICT_FIFO) {
        cq->blocked = true;
        return;
    }
    quota__heap_remove(cq, w);
    w->state = QWL_PARKED;
    quota__list_push(&cq->parked, w);
}

/* Runs the admission checks after quota; false with the failing check's words. */
static bool checks_pass(const quota_pass_opts_t *opts, cand_t *c, int64_t now_ns, char **reason,
                        char **message)
{
    quota_candidate_t cand = {c->head->spec, c->a.admission, c->cq->spec->name};
    for (size_t i = 0; opts && i < opts->n_checks; i++) {
        *reason = *message = NULL;
        if (!opts->checks[i].admit(opts->checks[i].arg, &cand, now_ns, reason, message))
            return false;
    }
    return true;
}

static void admit(quota_model_t *m, cand_t *c, int64_t now_ns, quota_decisions_t *out)
{
    qwl_t *w = c->head;
    qcq_t *cq = c->cq;
    quota__heap_remove(cq, w);
    w->state = QWL_IDLE;
    w->assumed = true;
    w->assumed_ns = now_ns;
    quota_admission_free(w->assumed_adm);
    w->assumed_adm = c->a.admission;
    c->a.admission = NULL;
    quota__reserve(m, w, cq, w->assumed_adm);
    set_wait(w, NULL, NULL);
    quota_decision_t *d = quota__decision_add(out, QUOTA_DECISION_ADMIT, w);
    d->admission = admission_copy(w->assumed_adm);
    d->reason = rg_strdup("QuotaReserved");
    d->message = rg_asprintf("Quota reserved in ClusterQueue %s", cq->spec->name);
    d->wait_ns = now_ns - w->order_ns;
}

/* Refreshes the cached assignment of a queue's head; false when the queue has none. */
/* The most of resource res any assignment could get in cq now: what all
 * the flavors of its group have left together; -1 when cq does not cover it. */
static qamt_t room_for(qcq_t *cq, uint32_t res)
{
    for (size_t g = 0; g < cq->n_groups; g++) {
        const qgroup_t *grp = &cq->groups[g];
        for (size_t r = 0; r < grp->n_res; r++) {
            if (grp->res[r] != res)
                continue;
            qamt_t room = 0;
            for (size_t f = 0; f < grp->n_flv; f++)
                room += quota__available(&cq->node, QFR(grp->flv[f], res));
            return room;
        }
    }
    return -1;
}

/*
 * A cheap necessary condition for a workload that already waits: when it
 * asks more of some resource than all the flavors of its queue have left
 * together, no assignment can fit, and the flavor assigner (and a new
 * message) can be skipped. Keeps a release from costing a full evaluation of
 * every parked workload of the cohort.
 */
/* Whether the queue may preempt (then "short" is not final: victims free room). */
static bool may_preempt(const qcq_t *cq)
{
    const quota_preemption_t *p = &cq->spec->policy;
    return p->within_cq != QUOTA_PREEMPT_NEVER || p->reclaim != QUOTA_PREEMPT_NEVER ||
           p->borrow_within_cohort;
}

static bool surely_short(quota_model_t *m, qcq_t *cq, const qwl_t *w)
{
    if (may_preempt(cq))
        return false;
    const quota_wl_spec_t *s = w->spec;
    for (size_t i = 0; i < s->n_podsets; i++) {
        const podspec_reqs_t *per = &s->podsets[i].per_pod;
        for (size_t r = 0; r < per->n; r++) {
            uint32_t res = quota__lookup(&m->resource_names, per->v[r].name);
            if (res == UINT32_MAX)
                continue;
            /* The whole workload's ask of this resource, over every podSet. */
            qamt_t total = 0;
            for (size_t j = 0; j < s->n_podsets; j++) {
                const quota_qty_t *q = podspec_reqs_get(&s->podsets[j].per_pod, per->v[r].name);
                if (q)
                    total += q->nano * s->podsets[j].count;
            }
            qamt_t room = room_for(cq, res);
            if (room >= 0 && total > room)
                return true;
        }
    }
    return false;
}

static bool refresh(quota_model_t *m, cand_t *c)
{
    qwl_t *head = c->cq->blocked ? NULL : quota__heap_top(c->cq);
    if (head == NULL)
        return false;
    if (c->head != head || c->gen != m->generation || (!c->a.fits && c->a.reason == NULL)) {
        quota__assign_release(&c->a);
        if (head->wait_cq == c->cq && head->wait_reason && head->wait_base &&
            surely_short(m, c->cq, head)) {
            /* Still short: it keeps the words of its last full evaluation. */
            c->a.reason = rg_strdup(head->wait_reason);
            c->a.message = rg_strdup(head->wait_base);
            c->head = head;
            c->gen = m->generation;
            return true;
        }
        quota__assign(m, c->cq, head, &c->a);
        c->head = head;
        c->gen = m->generation;
    }
    return true;
}

/* Picks the next head to consider: Kueue's classical order, or its fair
 * sharing tournament when fair sharing is on. */
static cand_t *pick(quota_model_t *m, qnode_t *root, cand_t *c, size_t n)
{
    if (!m->cfg.fair_sharing) {
        cand_t *best = NULL;
        for (size_t i = 0; i < n; i++)
            if (c[i].head && better(&c[i], best))
                best = &c[i];
        return best;
    }
    qfs_entry_t *e = rg_calloc(n ? n : 1, sizeof(*e));
    bool *done = rg_calloc(n ? n : 1, sizeof(*done));
    for (size_t i = 0; i < n; i++) {
        done[i] = c[i].head == NULL;
        e[i] = (qfs_entry_t){c[i].cq, c[i].head, c[i].a.usage, c[i].a.n_usage};
    }
    int k = quota__fs_tournament(m, root, e, n, done);
    rg_free(e);
    rg_free(done);
    return k >= 0 ? &c[k] : NULL;
}

static void process_tree(quota_model_t *m, qnode_t *root, int64_t now_ns,
                         const quota_pass_opts_t *opts, quota_decisions_t *out,
                         quota_pass_stats_t *st)
{
    cand_t *c = NULL;
    size_t n = 0, cap = 0;
    collect_cqs(root, &c, &n, &cap);
    for (;;) {
        for (size_t i = 0; i < n; i++) {
            bool has = false;
            while (refresh(m, &c[i])) {
                st->considered++;
                if (c[i].a.fits || c[i].a.preempt) {
                    has = true;
                    break;
                }
                not_admitted(c[i].cq, c[i].head, c[i].a.reason, c[i].a.message);
                quota__assign_release(&c[i].a);
            }
            if (!has || c[i].cq->blocked || quota__heap_top(c[i].cq) == NULL)
                c[i].head = NULL;
        }
        cand_t *best = pick(m, root, c, n);
        if (best == NULL)
            break;
        char *reason = NULL, *message = NULL;
        if (best->a.preempt) {
            /* Admitted only once its victims' quota is released: until
             * then it waits, parked, and their release wakes the tree. */
            char *msg = quota__pass_preempt(m, best->cq, best->head, &best->a, opts, now_ns,
                                            out, st);
            not_admitted(best->cq, best->head, "Pending", msg);
            rg_free(msg);
        } else if (checks_pass(opts, best, now_ns, &reason, &message)) {
            admit(m, best, now_ns, out);
            st->admitted++;
        } else {
            not_admitted(best->cq, best->head, reason ? reason : "Pending",
                         message ? message : "an admission check refused it");
        }
        quota__assign_release(&best->a);
        best->head = NULL;
        rg_free(reason);
        rg_free(message);
    }
    for (size_t i = 0; i < n; i++) {
        quota__assign_release(&c[i].a);
        c[i].cq->renote = true;
    }
    rg_free(c);
    root->dirty = false;
}

/* ---- pending notes ---- */

static int cmp_wl(const void *a, const void *b)
{
    return quota__order_cmp(*(qwl_t *const *)a, *(qwl_t *const *)b);
}

static bool str_differs(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

static void wake_at(int64_t *due, int64_t t)
{
    if (*due == 0 || t < *due)
        *due = t;
}

/*
 * Emits a PENDING decision when the reason changed, or when its figures or
 * position did and the last write is older than the refresh interval (then
 * *due says when to look again).
 */
static void note(qwl_t *w, const char *cq, int pos, int total, int64_t now_ns, int64_t refresh,
                 int64_t *due, quota_decisions_t *out, quota_pass_stats_t *st)
{
    if (w->wait_reason == NULL || w->wait_base == NULL)
        return;
    char *full = cq ? rg_asprintf("%s (ClusterQueue %s, position %d of %d pending)", w->wait_base,
                                  cq, pos, total)
                    : rg_strdup(w->wait_base);
    bool reason_changed = str_differs(w->note_reason, w->wait_reason);
    bool text_changed = str_differs(w->note_message, full);
    if (!reason_changed && (!text_changed || now_ns - w->note_ns < refresh)) {
        if (text_changed)
            wake_at(due, w->note_ns + refresh);
        rg_free(full);
        return;
    }
    quota_decision_t *d = quota__decision_add(out, QUOTA_DECISION_PENDING, w);
    d->reason = rg_strdup(w->wait_reason);
    d->message = full;
    d->position = pos;
    quota__set_str(&w->note_reason, w->wait_reason);
    quota__set_str(&w->note_base, w->wait_base);
    quota__set_str(&w->note_message, full);
    w->note_ns = now_ns;
    st->pending_written++;
}

/* Positions every pending workload of cq and notes those whose words changed. */
static void note_queue(qcq_t *cq, int64_t now_ns, int64_t refresh, quota_decisions_t *out,
                       quota_pass_stats_t *st)
{
    size_t n = cq->n_heap + cq->parked.n;
    cq->renote = false;
    cq->note_due_ns = 0;
    if (n == 0)
        return;
    qwl_t **v = rg_malloc(n * sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < cq->n_heap; i++)
        v[k++] = cq->heap[i];
    for (qwl_t *w = cq->parked.head; w; w = w->next)
        v[k++] = w;
    qsort(v, n, sizeof(*v), cmp_wl);
    const qwl_t *head = cq->blocked ? quota__heap_top(cq) : NULL;
    for (size_t i = 0; i < n; i++) {
        qwl_t *w = v[i];
        if (head && w != head && w->state == QWL_QUEUED) {
            char *base = rg_asprintf("waiting for workload %s ahead of it in StrictFIFO "
                                     "ClusterQueue %s",
                                     head->key, cq->spec->name);
            set_wait(w, "Pending", base);
            w->wait_cq = NULL; /* words about the queue, not an evaluation of its own */
            rg_free(base);
        }
        note(w, cq->spec->name, (int)i + 1, (int)n, now_ns, refresh, &cq->note_due_ns, out, st);
    }
    rg_free(v);
}

/* ---- the pass ---- */

static void release_backoff(quota_model_t *m, int64_t now_ns, quota_pass_stats_t *st)
{
    qwl_t *w = m->backoff.head;
    while (w) {
        qwl_t *next = w->next;
        int64_t due = quota__requeue_at(m, w);
        if (due <= now_ns) {
            w->spec->requeue_at_ns = 0; /* served: Kueue clears requeueAt after backoff */
            quota__enqueue(m, w, now_ns);
        } else {
            wake_at(&st->next_wake_ns, due);
        }
        w = next;
    }
}

static void emit_evictions(quota_model_t *m, quota_decisions_t *out, quota_pass_stats_t *st)
{
    while (m->evicting.head) {
        qwl_t *w = m->evicting.head;
        quota__list_remove(&m->evicting, w);
        const char *reason, *message;
        if (!quota__eviction_cause(m, w, &reason, &message))
            continue;
        quota_decision_t *d = quota__decision_add(out, QUOTA_DECISION_EVICT, w);
        d->reason = rg_strdup(reason);
        d->message = rg_strdup(message);
        w->evict_sent = true;
        st->evicted++;
    }
}

static void note_blocked(quota_model_t *m, int64_t now_ns, int64_t refresh, quota_decisions_t *out,
                         quota_pass_stats_t *st)
{
    if (!m->renote_blocked && (m->blocked_due_ns == 0 || m->blocked_due_ns > now_ns))
        return;
    m->renote_blocked = false;
    m->blocked_due_ns = 0;
    for (qwl_t *w = m->blocked.head; w; w = w->next)
        note(w, NULL, 0, 0, now_ns, refresh, &m->blocked_due_ns, out, st);
}

void quota_model_pass(quota_model_t *m, int64_t now_ns, const quota_pass_opts_t *opts,
                      quota_decisions_t *out, quota_pass_stats_t *stats)
{
    quota_pass_stats_t st = {0};
    m->now_ns = now_ns;
    m->pass_serial++;
    int64_t refresh =
        opts && opts->pending_refresh_ns ? opts->pending_refresh_ns : DEFAULT_REFRESH_NS;
    if (m->recheck_ns && m->recheck_ns <= now_ns) {
        m->recheck_ns = 0;
        quota_model_wake_all(m); /* thrashing preemptors may preempt again */
    }
    release_backoff(m, now_ns, &st);
    /* Every dirty tree once (process_tree clears the flag), then the notes
     * of the queues whose order moved or whose deferred notes fell due. */
    size_t it = 0;
    const char *k;
    void *v;
    while (rg_strmap_next(&m->cqs, &it, &k, &v)) {
        qnode_t *root = quota__root(&((qcq_t *)v)->node);
        if (root->dirty)
            process_tree(m, root, now_ns, opts, out, &st);
    }
    it = 0;
    while (rg_strmap_next(&m->cqs, &it, &k, &v)) {
        qcq_t *cq = v;
        if (cq->renote || (cq->note_due_ns && cq->note_due_ns <= now_ns))
            note_queue(cq, now_ns, refresh, out, &st);
        if (cq->note_due_ns)
            wake_at(&st.next_wake_ns, cq->note_due_ns);
    }
    note_blocked(m, now_ns, refresh, out, &st);
    if (m->blocked_due_ns)
        wake_at(&st.next_wake_ns, m->blocked_due_ns);
    quota__podsready_pass(m, now_ns, out, &st);
    if (m->recheck_ns)
        wake_at(&st.next_wake_ns, m->recheck_ns);
    emit_evictions(m, out, &st);
    if (stats)
        *stats = st;
}

/*
 * Kueue's classical preemptor over the live model: candidates from the
 * preemptor's ClusterQueue and, through the cohort tree, from queues that
 * borrow (hierarchical reclaim, priority-based reclaim with or without
 * borrowing), in Kueue's order; the heuristic that removes candidates until
 * the preemptor fits and then adds back what is not needed; the oracle the
 * flavor assigner asks per flavor/resource. Usage is removed and restored
 * in place (exact inverses), never copied. Also raygate's protections:
 * minimum runtime and anti-thrash.
 */
#include "internal.h"

#include "raygate/alloc.h"

#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000LL

/* ---- lists threaded through a qrlink_t ---- */

static qrlink_t *link_of(const qrlist_t *l, const qwl_t *w)
{
    return (qrlink_t *)(void *)((char *)w + l->link_off);
}

void quota__rlist_push(qrlist_t *l, qwl_t *w)
{
    qrlink_t *k = link_of(l, w);
    k->prev = NULL;
    k->next = l->head;
    if (l->head)
        link_of(l, l->head)->prev = w;
    l->head = w;
    l->n++;
}

void quota__rlist_remove(qrlist_t *l, qwl_t *w)
{
    qrlink_t *k = link_of(l, w);
    if (k->prev)
        link_of(l, k->prev)->next = k->next;
    else if (l->head == w)
        l->head = k->next;
    else
        return; /* not on the list */
    if (k->next)
        link_of(l, k->next)->prev = k->prev;
    k->prev = k->next = NULL;
    l->n--;
}

qwl_t *quota__rlist_next(const qrlist_t *l, const qwl_t *w)
{
    return link_of(l, w)->next;
}

/* ---- configuration and anti-thrash ---- */

void quota_policy_cfg_defaults(quota_policy_cfg_t *c)
{
    *c = (quota_policy_cfg_t){0};
    c->thrash_limit = 3;
    c->thrash_window_ns = 15 * 60 * NS_PER_S;
    c->thrash_base_ns = 60 * NS_PER_S;
    c->thrash_max_ns = 3600 * NS_PER_S;
    c->pods_ready = true;
    c->pods_ready_timeout_ns = 30 * 60 * NS_PER_S;
    c->recovery_timeout_ns = 30 * 60 * NS_PER_S;
    c->backoff_base_ns = 60 * NS_PER_S;
    c->backoff_max_ns = 3600 * NS_PER_S;
    c->backoff_limit_count = -1;
}

void quota__spec_changed(quota_model_t *m)
{
    m->spec_changed_ns = m->now_ns;
}

void quota_model_configure(quota_model_t *m, const quota_policy_cfg_t *cfg)
{
    quota__spec_changed(m);
    m->cfg = *cfg;
    m->cfg_set = true;
    m->generation++;
    quota_model_wake_all(m);
}

static int64_t newest(const int64_t *at, size_t n)
{
    int64_t t = 0;
    for (size_t i = 0; i < n; i++)
        t = at[i] > t ? at[i] : t;
    return t;
}

size_t quota_thrash_count(const quota_policy_cfg_t *c, const int64_t *at, size_t n)
{
    if (c->thrash_limit == 0 || n == 0)
        return 0;
    int64_t last = newest(at, n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += last - at[i] <= c->thrash_window_ns;
    return k;
}

/* base * 2^shift, capped (no overflow). */
static int64_t doubled(int64_t base, int64_t max, int64_t shift)
{
    int64_t d = base > 0 ? base : 0;
    for (int64_t i = 0; i < shift && d < max; i++)
        d = d > max / 2 ? max : d * 2;
    return d < max ? d : max;
}

int64_t quota_thrash_until(const quota_policy_cfg_t *c, const int64_t *at, size_t n)
{
    size_t k = quota_thrash_count(c, at, n);
    if (c->thrash_limit == 0 || k < c->thrash_limit)
        return 0;
    return newest(at, n) +
           doubled(c->thrash_base_ns, c->thrash_max_ns, (int64_t)(k - c->thrash_limit));
}

int64_t quota_requeue_backoff(const quota_policy_cfg_t *c, int32_t count)
{
    return doubled(c->backoff_base_ns, c->backoff_max_ns, count > 1 ? count - 1 : 0);
}

int64_t quota__requeue_at(const quota_model_t *m, const qwl_t *w)
{
    int64_t t = quota_thrash_until(&m->cfg, w->spec->preempted_at, w->spec->n_preempted_at);
    return w->spec->requeue_at_ns > t ? w->spec->requeue_at_ns : t;
}

/*
 * Whether anything but admissions and evictions changed w's cohort tree at
 * or after t: a workload there gave its quota back for good, or a spec or
 * the configuration changed. Event times are the model's clock (the last
 * pass), so an event after the pass at t counts and one before it does not.
 */
static bool tree_changed_since(const quota_model_t *m, const qwl_t *w, int64_t t)
{
    if (m->spec_changed_ns >= t)
        return true;
    qcq_t *cq = w->cq ? w->cq : w->usage_cq;
    return cq && quota__root(&cq->node)->left_ns >= t;
}

bool quota__may_preempt(const quota_model_t *m, const qwl_t *w, int64_t now_ns, int64_t *until)
{
    const quota_wl_spec_t *s = w->spec;
    size_t k = quota_thrash_count(&m->cfg, s->preempted_at, s->n_preempted_at);
    if (m->cfg.thrash_limit == 0 || k < m->cfg.thrash_limit)
        return true;
    int64_t last = newest(s->preempted_at, s->n_preempted_at);
    int64_t again = last + m->cfg.thrash_window_ns;
    if (until)
        *until = now_ns < again ? again : 0;
    /* After the window, preempting again in a tree where nothing else
     * happened would only replay the loop that made it thrash: it waits for
     * a change (which wakes the tree) before it preempts again. */
    return now_ns >= again && tree_changed_since(m, w, last);
}

/* ---- candidates ---- */

bool quota__is_evicted(const qwl_t *w)
{
    return w->spec->evicted || w->preempt_sent || w->evict_sent;
}

/* When w's quota was reserved (Kueue: now when the condition is not there yet). */
static int64_t reserved_at(const qwl_t *w, int64_t now_ns)
{
    if (w->assumed)
        return w->assumed_ns ? w->assumed_ns : now_ns;
    return w->spec->reserved_ns ? w->spec->reserved_ns : now_ns;
}

void quota__recheck_at(quota_model_t *m, int64_t t)
{
    if (m->recheck_ns == 0 || t < m->recheck_ns)
        m->recheck_ns = t;
}

bool quota__protected(quota_model_t *m, const qwl_t *w, int64_t now_ns)
{
    if (quota__is_evicted(w) || w->usage_cq == NULL)
        return false;
    int64_t min = w->usage_cq->spec->min_runtime_ns >= 0 ? w->usage_cq->spec->min_runtime_ns
                                                         : m->cfg.min_runtime_ns;
    int64_t until = reserved_at(w, now_ns) + min;
    if (min <= 0 || now_ns >= until)
        return false;
    quota__recheck_at(m, until); /* a candidate again then */
    return true;
}

int quota__candidate_cmp(const qwl_t *a, const qwl_t *b, const qcq_t *preemptor_cq,
                         int64_t now_ns)
{
    bool ae = quota__is_evicted(a), be = quota__is_evicted(b);
    if (ae != be)
        return ae ? -1 : 1;
    bool ain = a->usage_cq == preemptor_cq, bin = b->usage_cq == preemptor_cq;
    if (ain != bin)
        return ain ? 1 : -1;
    if (a->prio != b->prio)
        return a->prio < b->prio ? -1 : 1;
    int64_t ta = reserved_at(a, now_ns), tb = reserved_at(b, now_ns);
    if (ta != tb)
        return ta > tb ? -1 : 1; /* admitted more recently first */
    int c = strcmp(a->spec->uid, b->spec->uid);
    return c ? c : strcmp(a->key, b->key);
}

bool quota__satisfies_policy(const qwl_t *preemptor, const qwl_t *cand, quota_preempt_policy_t p)
{
    bool lower = preemptor->prio > cand->prio;
    switch (p) {
    case QUOTA_PREEMPT_LOWER_PRIORITY: return lower;
    case QUOTA_PREEMPT_LOWER_OR_NEWER_EQUAL_PRIORITY:
        return lower || (preemptor->prio == cand->prio && preemptor->order_ns < cand->order_ns);
    case QUOTA_PREEMPT_ANY: return true;
    default: return false;
    }
}

bool quota__uses_any(const qwl_t *w, const qfr_t *frs, size_t n)
{
    for (size_t i = 0; i < w->n_usage; i++)
        for (size_t j = 0; j < n; j++)
            if (w->usage[i].fr == frs[j])
                return true;
    return false;
}

bool quota__within_nominal(qnode_t *n, const qfr_t *frs, size_t n_frs)
{
    for (size_t i = 0; i < n_frs; i++) {
        const qentry_t *e = quota__entry(n, frs[i]);
        if (e && e->subtree < e->usage)
            return false;
    }
    return true;
}

void quota__sim_remove(qwl_t *w)
{
    for (size_t i = 0; i < w->n_usage; i++)
        quota__usage_remove(&w->usage_cq->node, w->usage[i].fr, w->usage[i].v);
}

void quota__sim_add(qwl_t *w)
{
    for (size_t i = 0; i < w->n_usage; i++)
        quota__usage_add(&w->usage_cq->node, w->usage[i].fr, w->usage[i].v);
}

void quota__targets_push(qtargets_t *t, qwl_t *w, const char *reason)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->v = rg_realloc(t->v, t->cap * sizeof(*t->v));
    }
    t->v[t->n++] = (qtarget_t){w, reason};
}

void quota__targets_release(qtargets_t *t)
{
    rg_free(t->v);
    *t = (qtargets_t){0};
}

/* ---- the classical preemptor ---- */

typedef enum variant {
    V_NEVER = 0,
    V_WITHIN_CQ,
    V_HIERARCHICAL, /* the preemptor is closer to the quota the candidate uses */
    V_RECLAIM_WITHOUT_BORROWING,
    V_RECLAIM_WHILE_BORROWING,
} variant_t;

static const char *variant_reason(variant_t v)
{
    switch (v) {
    case V_WITHIN_CQ: return "InClusterQueue";
    case V_RECLAIM_WHILE_BORROWING: return "InCohortReclaimWhileBorrowing";
    default: return "InCohortReclamation";
    }
}

/* A candidate with its sort key precomputed (qsort has no context). */
typedef struct cand {
    qwl_t *w;
    qnode_t *lca;
    variant_t v;
    bool evicted;
    bool same_cq;
    int32_t prio;
    int64_t reserved_ns;
} cand_t;

typedef struct cands {
    cand_t *v;
    size_t n;
    size_t cap;
} cands_t;

static int cmp_cand(const void *x, const void *y)
{
    const cand_t *a = x, *b = y;
    if (a->evicted != b->evicted)
        return a->evicted ? -1 : 1;
    if (a->same_cq != b->same_cq)
        return a->same_cq ? 1 : -1;
    if (a->prio != b->prio)
        return a->prio < b->prio ? -1 : 1;
    if (a->reserved_ns != b->reserved_ns)
        return a->reserved_ns > b->reserved_ns ? -1 : 1;
    int c = strcmp(a->w->spec->uid, b->w->spec->uid);
    return c ? c : strcmp(a->w->key, b->w->key);
}

static void cands_push(const qpreq_t *r, cands_t *c, qwl_t *w, qnode_t *lca, variant_t v)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->v = rg_realloc(c->v, c->cap * sizeof(*c->v));
    }
    c->v[c->n++] = (cand_t){
        .w = w,
        .lca = lca,
        .v = v,
        .evicted = quota__is_evicted(w),
        .same_cq = w->usage_cq == r->cq,
        .prio = w->prio,
        .reserved_ns = reserved_at(w, r->now_ns),
    };
}

void quota__sort_candidates(const qpreq_t *r, qwl_t **v, size_t n)
{
    cands_t c = {0};
    for (size_t i = 0; i < n; i++)
        cands_push(r, &c, v[i], NULL, V_NEVER);
    if (n)
        qsort(c.v, n, sizeof(cand_t), cmp_cand);
    for (size_t i = 0; i < n; i++)
        v[i] = c.v[i].w;
    rg_free(c.v);
}

/* Kueue's isAboveBorrowingThreshold. */
static bool above_threshold(const quota_preemption_t *p, int32_t cand, int32_t incoming)
{
    if (cand >= incoming)
        return true;
    return p->has_max_priority_threshold && cand > p->max_priority_threshold;
}

bool quota__skip_assumed(const qpreq_t *r, qwl_t *w)
{
    if (!w->assumed)
        return false;
    /* Kueue would take it at once: the preemptor must not wait for an
     * unrelated event once the API confirms it (quota_model_set_workload). */
    if (quota__uses_any(w, r->need, r->n_need))
        w->wake_on_confirm = true;
    return true;
}

/* Whether a reserving workload may be a candidate at all for this request. */
static bool eligible(const qpreq_t *r, qwl_t *w)
{
    /* Our own admissions the API has not shown yet are not preempted
     * (their status has no version to evict against yet). */
    return !quota__skip_assumed(r, w) && quota__uses_any(w, r->need, r->n_need) &&
           !quota__protected(r->m, w, r->now_ns);
}

/* Kueue's classifyPreemptionVariant. */
static variant_t classify(const qpreq_t *r, qwl_t *w, bool advantage)
{
    const quota_preemption_t *p = &r->cq->spec->policy;
    if (!eligible(r, w))
        return V_NEVER;
    bool same = w->usage_cq == r->cq;
    if (!quota__satisfies_policy(r->w, w, same ? p->within_cq : p->reclaim))
        return V_NEVER;
    if (same)
        return V_WITHIN_CQ;
    if (advantage)
        return V_HIERARCHICAL;
    if (!p->borrow_within_cohort || above_threshold(p, w->prio, r->w->prio))
        return V_RECLAIM_WITHOUT_BORROWING;
    return V_RECLAIM_WHILE_BORROWING;
}

static void from_cq(const qpreq_t *r, qcq_t *cq, qnode_t *lca, bool advantage, cands_t *out)
{
    for (qwl_t *w = cq->reserving.head; w; w = quota__rlist_next(&cq->reserving, w)) {
        variant_t v = classify(r, w, advantage);
        if (v != V_NEVER)
            cands_push(r, out, w, lca, v);
    }
}

/* Kueue's collectCandidatesInSubtree: queues over their quota under cur, skipping skip. */
static void collect_subtree(const qpreq_t *r, qnode_t *cur, qnode_t *root, qnode_t *skip,
                            bool advantage, cands_t *out)
{
    for (size_t i = 0; i < cur->n_kids; i++) {
        qnode_t *k = cur->kids[i];
        if (!k->is_cohort || k == skip || quota__within_nominal(k, r->need, r->n_need))
            continue;
        collect_subtree(r, k, root, skip, advantage, out);
    }
    for (size_t i = 0; i < cur->n_kids; i++) {
        qnode_t *k = cur->kids[i];
        if (k->is_cohort || k == &r->cq->node || quota__within_nominal(k, r->need, r->n_need))
            continue;
        from_cq(r, (qcq_t *)k, root, advantage, out);
    }
}

/* Kueue's QuantitiesFitInQuota, updating rem (the remaining requests) in place. */
static bool fits_in_quota(qnode_t *n, qusage_t *rem, size_t k)
{
    bool fits = true;
    for (size_t i = 0; i < k; i++) {
        const qentry_t *e = quota__entry(n, rem[i].fr);
        qamt_t subtree = e ? e->subtree : 0, usage = e ? e->usage : 0;
        if (subtree < usage + rem[i].v)
            fits = false;
        qamt_t left = rem[i].v - quota__local_available(n, rem[i].fr);
        rem[i].v = left > 0 ? left : 0;
    }
    return fits;
}

/* Kueue's collectCandidatesForHierarchicalReclaim. */
static void collect_cohort(const qpreq_t *r, cands_t *hier, cands_t *prio)
{
    if (r->cq->node.parent == NULL || r->cq->spec->policy.reclaim == QUOTA_PREEMPT_NEVER)
        return;
    qusage_t *rem = rg_malloc((r->n_usage + 1) * sizeof(*rem));
    if (r->n_usage)
        memcpy(rem, r->usage, r->n_usage * sizeof(*rem));
    bool advantage = fits_in_quota(&r->cq->node, rem, r->n_usage);
    qnode_t *prev = NULL;
    for (qnode_t *t = r->cq->node.parent; t; t = t->parent) {
        collect_subtree(r, t, t, prev, advantage, advantage ? hier : prio);
        bool fits = fits_in_quota(t, rem, r->n_usage);
        advantage = advantage || fits;
        prev = t;
    }
    rg_free(rem);
}

/* The candidates in Kueue's iteration order (owned in out). */
typedef struct order {
    cands_t all;
    bool no_other_queues;
    bool no_hierarchical;
} order_t;

static size_t evicted_prefix(const cands_t *c)
{
    size_t i = 0;
    while (i < c->n && c->v[i].evicted)
        i++;
    return i;
}

static void append(cands_t *dst, const cand_t *src, size_t n)
{
    if (n == 0)
        return;
    if (dst->n + n > dst->cap) {
        dst->cap = dst->n + n + 16;
        dst->v = rg_realloc(dst->v, dst->cap * sizeof(*dst->v));
    }
    memcpy(dst->v + dst->n, src, n * sizeof(*src));
    dst->n += n;
}

static void build_order(const qpreq_t *r, order_t *o)
{
    cands_t same = {0}, hier = {0}, prio = {0};
    if (r->cq->spec->policy.within_cq != QUOTA_PREEMPT_NEVER)
        from_cq(r, r->cq, NULL, false, &same);
    collect_cohort(r, &hier, &prio);
    cands_t *lists[3] = {&hier, &prio, &same};
    size_t ev[3];
    for (size_t i = 0; i < 3; i++) {
        if (lists[i]->n)
            qsort(lists[i]->v, lists[i]->n, sizeof(cand_t), cmp_cand);
        ev[i] = evicted_prefix(lists[i]);
    }
    *o = (order_t){.no_other_queues = hier.n == 0 && prio.n == 0, .no_hierarchical = hier.n == 0};
    for (size_t i = 0; i < 3; i++)
        append(&o->all, lists[i]->v, ev[i]);
    for (size_t i = 0; i < 3; i++)
        append(&o->all, lists[i]->v + ev[i], lists[i]->n - ev[i]);
    for (size_t i = 0; i < 3; i++)
        rg_free(lists[i]->v);
}

/* Kueue's candidateIterator.candidateIsValid, on the model as simulated so far. */
static bool valid(const qpreq_t *r, const cand_t *c, bool borrow)
{
    if (c->w->usage_cq == r->cq)
        return true;
    if (borrow && c->v == V_RECLAIM_WITHOUT_BORROWING)
        return false;
    qnode_t *n = &c->w->usage_cq->node;
    if (quota__within_nominal(n, r->need, r->n_need))
        return false;
    for (qnode_t *t = n->parent; t && t != c->lca; t = t->parent)
        if (quota__within_nominal(t, r->need, r->n_need))
            return false;
    return true;
}

/* Kueue's workloadFits. */
bool quota__preemptor_fits(const qpreq_t *r, bool allow_borrowing)
{
    for (size_t i = 0; i < r->n_usage; i++) {
        qfr_t fr = r->usage[i].fr;
        qamt_t v = r->usage[i].v;
        if (!allow_borrowing && quota__borrowing_with(&r->cq->node, fr, v))
            return false;
        if (v > quota__available(&r->cq->node, fr))
            return false;
    }
    return true;
}

/* Kueue's fillBackWorkloads: what can be added back while the preemptor still fits. */
void quota__fill_back(const qpreq_t *r, qtargets_t *t, bool borrow)
{
    if (t->n < 2)
        return;
    for (size_t i = t->n - 1; i-- > 0;) {
        quota__sim_add(t->v[i].w);
        if (quota__preemptor_fits(r, borrow))
            t->v[i] = t->v[--t->n];
        else
            quota__sim_remove(t->v[i].w);
    }
}

void quota__targets_restore(qtargets_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        quota__sim_add(t->v[i].w);
}

/* Kueue's queueUnderNominalInResourcesNeedingPreemption. */
static bool under_nominal(const qpreq_t *r)
{
    for (size_t i = 0; i < r->n_need; i++) {
        const qentry_t *e = quota__entry(&r->cq->node, r->need[i]);
        qamt_t nominal = e && e->quota ? e->nominal : 0;
        if (nominal <= (e ? e->usage : 0))
            return false;
    }
    return true;
}

static void classical(const qpreq_t *r, qtargets_t *out)
{
    order_t o;
    build_order(r, &o);
    bool forbidden = !r->cq->spec->policy.borrow_within_cohort;
    bool attempts[2];
    size_t n_attempts = 2;
    if (o.no_other_queues || (forbidden && !under_nominal(r))) {
        attempts[0] = true;
        n_attempts = 1;
    } else if (forbidden && o.no_hierarchical) {
        attempts[0] = false;
        attempts[1] = true;
    } else {
        attempts[0] = true;
        attempts[1] = false;
    }
    for (size_t a = 0; a < n_attempts; a++) {
        qtargets_t t = {0};
        for (size_t i = 0; i < o.all.n; i++) {
            const cand_t *c = &o.all.v[i];
            if (!valid(r, c, attempts[a]))
                continue;
            quota__sim_remove(c->w);
            quota__targets_push(&t, c->w, variant_reason(c->v));
            if (quota__preemptor_fits(r, attempts[a])) {
                quota__fill_back(r, &t, attempts[a]);
                quota__targets_restore(&t);
                *out = t;
                rg_free(o.all.v);
                return;
            }
        }
        quota__targets_restore(&t);
        quota__targets_release(&t);
    }
    rg_free(o.all.v);
}

void quota__preempt_targets(const qpreq_t *r, qtargets_t *out)
{
    *out = (qtargets_t){0};
    if (!quota__may_preempt(r->m, r->w, r->now_ns, NULL))
        return;
    if (r->m->cfg.fair_sharing)
        quota__fair_targets(r, out);
    else
        classical(r, out);
}

qpossible_t quota__preempt_simulate(quota_model_t *m, qcq_t *cq, const qwl_t *w, qfr_t fr,
                                    qamt_t val, int64_t now_ns, int *borrow_after)
{
    qusage_t u = {fr, val};
    qpreq_t r = {
        .m = m, .cq = cq, .w = w, .usage = &u, .n_usage = 1, .need = &fr, .n_need = 1,
        .now_ns = now_ns,
    };
    qtargets_t t;
    quota__preempt_targets(&r, &t);
    if (t.n == 0) {
        *borrow_after = quota__borrow_height(&cq->node, fr, val, NULL);
        quota__targets_release(&t);
        return QPOSSIBLE_NO_CANDIDATES;
    }
    for (size_t i = 0; i < t.n; i++)
        quota__sim_remove(t.v[i].w);
    *borrow_after = quota__borrow_height(&cq->node, fr, val, NULL);
    qpossible_t p = QPOSSIBLE_RECLAIM;
    for (size_t i = 0; i < t.n; i++) {
        quota__sim_add(t.v[i].w);
        if (t.v[i].w->usage_cq == cq)
            p = QPOSSIBLE_PREEMPT;
    }
    quota__targets_release(&t);
    return p;
}

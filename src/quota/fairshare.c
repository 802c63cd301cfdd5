/*
 * Kueue's fair sharing: the dominant resource share (DRS) of ClusterQueues
 * and cohorts, the admission tournament that prefers the lowest share at
 * every level of a cohort tree, and fair preemption (the target ordering by
 * highest share, almost-least-common-ancestor shares and the strategies
 * LessThanOrEqualToFinalShare and LessThanInitialShare). Everything is
 * computed on the live model, simulated in place and restored; ties are
 * broken by names and uids so that the same state yields the same answer.
 */
#include "internal.h"

#include "raygate/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- dominant resource share ---- */

/* The subtree quota a node's share is measured against (a ClusterQueue's
 * own nominal quota only where its spec sets one). */
static bool share_entry(const qnode_t *n, const qentry_t *e)
{
    return n->is_cohort || e->quota;
}

/* Kueue's calculateLendable: per resource, what the node could ever get. */
static qamt_t lendable(quota_model_t *m, qnode_t *parent, uint32_t res)
{
    qnode_t *root = quota__root(parent);
    qamt_t sum = 0;
    for (size_t i = 0; i < root->n_e; i++)
        if (QFR_RESOURCE(root->e[i].fr) == res)
            sum += quota__potential_available(parent, root->e[i].fr);
    (void)m;
    return sum;
}

qdrs_t quota__drs(quota_model_t *m, qnode_t *n)
{
    qdrs_t d = {.weight = n->weight, .ratio = 0, .resource = UINT32_MAX, .borrowing = false};
    if (n->parent == NULL)
        return d;
    /* Borrowed amounts summed per resource over flavors. */
    uint32_t res[QUOTA_MAX_RESOURCES * 4];
    qamt_t amt[QUOTA_MAX_RESOURCES * 4];
    size_t k = 0;
    for (size_t i = 0; i < n->n_e; i++) {
        const qentry_t *e = &n->e[i];
        if (!share_entry(n, e))
            continue;
        qamt_t b = e->usage - e->subtree;
        if (b <= 0)
            continue;
        uint32_t r = QFR_RESOURCE(e->fr);
        size_t j = 0;
        while (j < k && res[j] != r)
            j++;
        if (j == k) {
            if (k == sizeof(res) / sizeof(res[0]))
                continue;
            res[k] = r;
            amt[k++] = 0;
        }
        amt[j] += b;
    }
    if (k == 0)
        return d;
    d.borrowing = true;
    for (size_t j = 0; j < k; j++) {
        qamt_t lr = lendable(m, n->parent, res[j]);
        if (lr <= 0)
            continue;
        double ratio = (double)amt[j] * 1000.0 / (double)lr;
        if (ratio > d.ratio ||
            (ratio == d.ratio && d.resource != UINT32_MAX &&
             strcmp(m->resource_names.names[res[j]], m->resource_names.names[d.resource]) < 0) ||
            (ratio == d.ratio && d.resource == UINT32_MAX)) {
            d.ratio = ratio;
            d.resource = res[j];
        }
    }
    return d;
}

double quota__drs_value(qdrs_t d)
{
    if (d.ratio == 0)
        return 0;
    if (d.weight == 0)
        return INFINITY;
    return d.ratio / d.weight;
}

static bool zero_weight_borrows(qdrs_t d)
{
    return d.weight == 0 && d.ratio != 0;
}

static int cmp_double(double a, double b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

int quota__drs_cmp(const quota_model_t *m, qdrs_t a, qdrs_t b)
{
    (void)m;
    if (zero_weight_borrows(a) && zero_weight_borrows(b))
        return cmp_double(a.ratio, b.ratio);
    if (zero_weight_borrows(a))
        return 1;
    if (zero_weight_borrows(b))
        return -1;
    return cmp_double(quota__drs_value(a), quota__drs_value(b));
}

static qdrs_t negative_drs(void)
{
    return (qdrs_t){.weight = 1, .ratio = -1, .resource = UINT32_MAX};
}

/* Whether n borrows on any flavor/resource the usage asks for (DRS.IsBorrowingOn). */
static bool borrowing_on(qnode_t *n, const qusage_t *u, size_t k)
{
    if (n->parent == NULL)
        return false;
    for (size_t i = 0; i < k; i++) {
        const qentry_t *e = quota__entry(n, u[i].fr);
        if (u[i].v > 0 && e && share_entry(n, e) && e->usage > e->subtree)
            return true;
    }
    return false;
}

/* ---- the admission tournament ---- */

#define MAX_DEPTH 64

typedef struct path {
    qnode_t *node[MAX_DEPTH]; /* node[0] is the ClusterQueue */
    qdrs_t drs[MAX_DEPTH];
    bool borrows[MAX_DEPTH];
    size_t depth;
} path_t;

typedef struct tour {
    quota_model_t *m;
    const qfs_entry_t *e;
    size_t n;
    const bool *done;
    path_t *p;
} tour_t;

/* Kueue's computeDRS: each head's usage added, the share of every node on its path. */
static void compute_paths(tour_t *t)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->done[i])
            continue;
        qcq_t *cq = t->e[i].cq;
        for (size_t u = 0; u < t->e[i].n_usage; u++)
            quota__usage_add(&cq->node, t->e[i].usage[u].fr, t->e[i].usage[u].v);
        path_t *p = &t->p[i];
        p->depth = 0;
        for (qnode_t *n = &cq->node; n && p->depth < MAX_DEPTH; n = n->parent) {
            p->node[p->depth] = n;
            p->drs[p->depth] = quota__drs(t->m, n);
            p->borrows[p->depth] = borrowing_on(n, t->e[i].usage, t->e[i].n_usage);
            p->depth++;
        }
        for (size_t u = 0; u < t->e[i].n_usage; u++)
            quota__usage_remove(&cq->node, t->e[i].usage[u].fr, t->e[i].usage[u].v);
    }
}

/* The level of entry i's path whose parent is c. */
static size_t level_under(const path_t *p, const qnode_t *c)
{
    for (size_t j = 0; j + 1 < p->depth; j++)
        if (p->node[j + 1] == c)
            return j;
    return 0;
}

/* Kueue's entryComparer.less at cohort c; uid breaks the last tie. */
static bool less(const tour_t *t, size_t a, size_t b, const qnode_t *c)
{
    const path_t *pa = &t->p[a], *pb = &t->p[b];
    size_t la = level_under(pa, c), lb = level_under(pb, c);
    if (pa->borrows[la] != pb->borrows[lb])
        return !pa->borrows[la];
    int d = quota__drs_cmp(t->m, pa->drs[la], pb->drs[lb]);
    if (d != 0)
        return d < 0;
    const qwl_t *wa = t->e[a].w, *wb = t->e[b].w;
    if (wa->prio != wb->prio)
        return wa->prio > wb->prio;
    if (wa->order_ns != wb->order_ns)
        return wa->order_ns < wb->order_ns;
    return strcmp(wa->spec->uid, wb->spec->uid) < 0;
}

static int entry_of(const tour_t *t, const qnode_t *cq)
{
    for (size_t i = 0; i < t->n; i++)
        if (!t->done[i] && &t->e[i].cq->node == cq)
            return (int)i;
    return -1;
}

static int run(const tour_t *t, qnode_t *c)
{
    int best = -1;
    for (int pass = 0; pass < 2; pass++) {
        /* Kueue: child cohorts' winners first, then the ClusterQueues' heads. */
        for (size_t k = 0; k < c->n_kids; k++) {
            qnode_t *kid = c->kids[k];
            if (kid->is_cohort != (pass == 0))
                continue;
            int cand = kid->is_cohort ? run(t, kid) : entry_of(t, kid);
            if (cand < 0)
                continue;
            if (best < 0 || less(t, (size_t)cand, (size_t)best, c))
                best = cand;
        }
    }
    return best;
}

int quota__fs_tournament(quota_model_t *m, qnode_t *root, const qfs_entry_t *e, size_t n,
                         const bool *done)
{
    if (!root->is_cohort)
        return entry_of(&(tour_t){m, e, n, done, NULL}, root);
    tour_t t = {m, e, n, done, rg_calloc(n ? n : 1, sizeof(path_t))};
    compute_paths(&t);
    int k = run(&t, root);
    rg_free(t.p);
    return k;
}

/* ---- fair preemption ---- */

/* A ClusterQueue's candidates in Kueue's order, popped from the front. */
typedef struct fs_queue {
    const qcq_t *cq;
    qwl_t **w;
    size_t n;
    size_t next;
} fs_queue_t;

typedef struct fs_ctx {
    const qpreq_t *r;
    fs_queue_t *q;
    size_t n_q;
    /* Pruned nodes (Kueue's prunedClusterQueues / prunedCohorts). */
    const qnode_t **pruned;
    size_t n_pruned;
    size_t cap_pruned;
} fs_ctx_t;

static bool is_pruned(const fs_ctx_t *f, const qnode_t *n)
{
    for (size_t i = 0; i < f->n_pruned; i++)
        if (f->pruned[i] == n)
            return true;
    return false;
}

static void prune(fs_ctx_t *f, const qnode_t *n)
{
    if (is_pruned(f, n))
        return;
    if (f->n_pruned == f->cap_pruned) {
        f->cap_pruned = f->cap_pruned ? f->cap_pruned * 2 : 16;
        f->pruned = rg_realloc(f->pruned, f->cap_pruned * sizeof(*f->pruned));
    }
    f->pruned[f->n_pruned++] = n;
}

static fs_queue_t *queue_of(const fs_ctx_t *f, const qcq_t *cq)
{
    for (size_t i = 0; i < f->n_q; i++)
        if (f->q[i].cq == cq)
            return &f->q[i];
    return NULL;
}

/* The first candidate still queued for cq, or NULL. */
static qwl_t *head_of(const fs_ctx_t *f, const qcq_t *cq)
{
    const fs_queue_t *q = queue_of(f, cq);
    return q && q->next < q->n ? q->w[q->next] : NULL;
}

static qwl_t *pop(fs_ctx_t *f, const qcq_t *cq)
{
    fs_queue_t *q = queue_of(f, cq);
    return q && q->next < q->n ? q->w[q->next++] : NULL;
}

static bool on_preemptor_path(const fs_ctx_t *f, const qnode_t *n)
{
    for (const qnode_t *t = f->r->cq->node.parent; t; t = t->parent)
        if (t == n)
            return true;
    return false;
}

/* Kueue's TargetClusterQueueOrdering.nextTarget. */
static qcq_t *next_target(fs_ctx_t *f, qnode_t *cohort)
{
    quota_model_t *m = f->r->m;
    qcq_t *hcq = NULL;
    qdrs_t hcq_drs = negative_drs();
    for (size_t k = 0; k < cohort->n_kids; k++) {
        qnode_t *kid = cohort->kids[k];
        if (kid->is_cohort || is_pruned(f, kid))
            continue;
        qcq_t *cq = (qcq_t *)kid;
        qdrs_t d = quota__drs(m, kid);
        int c = quota__drs_cmp(m, d, hcq_drs);
        if ((!d.borrowing && cq != f->r->cq) || head_of(f, cq) == NULL) {
            prune(f, kid);
        } else if (c == 0 && hcq) {
            if (quota__candidate_cmp(head_of(f, cq), head_of(f, hcq), f->r->cq, f->r->now_ns) < 0)
                hcq = cq;
        } else if (c > 0) {
            hcq_drs = d;
            hcq = cq;
        }
    }
    qnode_t *hco = NULL;
    qdrs_t hco_drs = negative_drs();
    for (size_t k = 0; k < cohort->n_kids; k++) {
        qnode_t *kid = cohort->kids[k];
        if (!kid->is_cohort || is_pruned(f, kid))
            continue;
        qdrs_t d = quota__drs(m, kid);
        if (!d.borrowing && !on_preemptor_path(f, kid)) {
            prune(f, kid);
        } else if (quota__drs_cmp(m, d, hco_drs) >= 0) {
            hco_drs = d;
            hco = kid;
        }
    }
    if (hco == NULL && hcq == NULL) {
        prune(f, cohort);
        return NULL;
    }
    if (hco && quota__drs_cmp(m, hco_drs, hcq_drs) >= 0)
        return next_target(f, hco);
    return hcq;
}

/* The next ClusterQueue to take a victim from, or NULL when done. */
static qcq_t *iter_next(fs_ctx_t *f)
{
    qcq_t *pcq = f->r->cq;
    if (pcq->node.parent == NULL)
        return !is_pruned(f, &pcq->node) && head_of(f, pcq) ? pcq : NULL;
    qnode_t *root = quota__root(&pcq->node);
    while (!is_pruned(f, root)) {
        qcq_t *t = next_target(f, root);
        if (t)
            return t;
    }
    return NULL;
}

/* Almost-LCAs of the preemptor's and target's ClusterQueues. */
static void almost_lcas(const fs_ctx_t *f, qcq_t *target, qnode_t **pa, qnode_t **ta)
{
    qnode_t *lca = NULL;
    for (qnode_t *t = target->node.parent; t && lca == NULL; t = t->parent)
        if (on_preemptor_path(f, t))
            lca = t;
    *pa = &f->r->cq->node;
    while ((*pa)->parent && (*pa)->parent != lca)
        *pa = (*pa)->parent;
    *ta = &target->node;
    while ((*ta)->parent && (*ta)->parent != lca)
        *ta = (*ta)->parent;
}

static void add_usage(qcq_t *cq, const qusage_t *u, size_t n, bool add)
{
    for (size_t i = 0; i < n; i++) {
        if (add)
            quota__usage_add(&cq->node, u[i].fr, u[i].v);
        else
            quota__usage_remove(&cq->node, u[i].fr, u[i].v);
    }
}

/* Kueue's workloadFitsForFairSharing: the preemptor's simulated usage set aside. */
static bool fits_fs(const qpreq_t *r)
{
    add_usage(r->cq, r->usage, r->n_usage, false);
    bool ok = quota__preemptor_fits(r, true);
    add_usage(r->cq, r->usage, r->n_usage, true);
    return ok;
}

static bool strategy_passes(const quota_model_t *m, quota_fs_strategy_t s, qdrs_t pnew,
                            qdrs_t told, qdrs_t tnew)
{
    if (s == QUOTA_FS_LESS_THAN_INITIAL_SHARE)
        return quota__drs_cmp(m, pnew, told) < 0;
    return quota__drs_cmp(m, pnew, tnew) <= 0;
}

static void take(const qpreq_t *r, qtargets_t *t, qwl_t *w, const char *reason)
{
    (void)r;
    quota__sim_remove(w);
    quota__targets_push(t, w, reason);
}

/* Kueue's queueWithinNominalInResourcesNeedingPreemption. */
static bool preemptor_within_nominal(const qpreq_t *r)
{
    for (size_t i = 0; i < r->n_need; i++)
        if (quota__borrowing_with(&r->cq->node, r->need[i], 0))
            return false;
    return true;
}

/* Kueue's runFirstFsStrategy; retry gets the candidates that failed it. */
static bool first_strategy(fs_ctx_t *f, quota_fs_strategy_t s, qtargets_t *t, qwl_t ***retry,
                           size_t *n_retry)
{
    const qpreq_t *r = f->r;
    quota_model_t *m = r->m;
    bool within = preemptor_within_nominal(r);
    for (qcq_t *cq; (cq = iter_next(f)) != NULL;) {
        if (cq == r->cq || within) {
            take(r, t, pop(f, cq), cq == r->cq ? "InClusterQueue" : "InCohortReclamation");
            if (fits_fs(r))
                return true;
            continue;
        }
        qnode_t *pa, *ta;
        almost_lcas(f, cq, &pa, &ta);
        qdrs_t pnew = quota__drs(m, pa), told = quota__drs(m, ta);
        bool unsatisfiable = isinf(quota__drs_value(pnew)) && !isinf(quota__drs_value(told));
        while (head_of(f, cq)) {
            qwl_t *w = pop(f, cq);
            bool passed = false;
            if (!unsatisfiable) {
                quota__sim_remove(w);
                qdrs_t tnew = quota__drs(m, ta);
                quota__sim_add(w);
                passed = strategy_passes(m, s, pnew, told, tnew);
            }
            if (passed) {
                take(r, t, w, "InCohortFairSharing");
                if (fits_fs(r))
                    return true;
                break; /* shares moved: pick the ClusterQueue again */
            }
            *retry = rg_realloc(*retry, (*n_retry + 1) * sizeof(**retry));
            (*retry)[(*n_retry)++] = w;
        }
    }
    return false;
}

/* Kueue's runSecondFsStrategy (rule S2-b) over the retried candidates. */
static bool second_strategy(fs_ctx_t *f, qtargets_t *t)
{
    const qpreq_t *r = f->r;
    for (qcq_t *cq; (cq = iter_next(f)) != NULL;) {
        qnode_t *pa, *ta;
        almost_lcas(f, cq, &pa, &ta);
        bool passed = strategy_passes(r->m, QUOTA_FS_LESS_THAN_INITIAL_SHARE, quota__drs(r->m, pa),
                                      quota__drs(r->m, ta), (qdrs_t){0});
        qwl_t *w = pop(f, cq);
        if (passed) {
            take(r, t, w, "InCohortFairSharing");
            if (fits_fs(r))
                return true;
        }
        prune(f, &cq->node);
    }
    return false;
}

/* Kueue's cqIsBorrowing over the flavor/resources that need preemption. */
static bool cq_borrowing(qcq_t *cq, const qpreq_t *r)
{
    if (cq->node.parent == NULL)
        return false;
    for (size_t i = 0; i < r->n_need; i++)
        if (quota__borrowing_with(&cq->node, r->need[i], 0))
            return true;
    return false;
}

static void add_from(const qpreq_t *r, qcq_t *cq, quota_preempt_policy_t p, qwl_t ***v, size_t *n)
{
    for (qwl_t *w = cq->reserving.head; w; w = quota__rlist_next(&cq->reserving, w)) {
        if (quota__skip_assumed(r, w) || !quota__satisfies_policy(r->w, w, p) ||
            !quota__uses_any(w, r->need, r->n_need) || quota__protected(r->m, w, r->now_ns))
            continue;
        *v = rg_realloc(*v, (*n + 1) * sizeof(**v));
        (*v)[(*n)++] = w;
    }
}

static void collect_cqs(qnode_t *n, const qpreq_t *r, qwl_t ***v, size_t *k)
{
    if (!n->is_cohort) {
        qcq_t *cq = (qcq_t *)n;
        if (cq != r->cq && cq_borrowing(cq, r))
            add_from(r, cq, r->cq->spec->policy.reclaim, v, k);
        return;
    }
    for (size_t i = 0; i < n->n_kids; i++)
        collect_cqs(n->kids[i], r, v, k);
}

/* Kueue's findCandidates. */
static qwl_t **find_candidates(const qpreq_t *r, size_t *n)
{
    qwl_t **v = NULL;
    *n = 0;
    const quota_preemption_t *p = &r->cq->spec->policy;
    if (p->within_cq != QUOTA_PREEMPT_NEVER)
        add_from(r, r->cq, p->within_cq, &v, n);
    if (r->cq->node.parent && p->reclaim != QUOTA_PREEMPT_NEVER)
        collect_cqs(quota__root(&r->cq->node), r, &v, n);
    return v;
}

/* Groups the sorted candidates by ClusterQueue, keeping their order. */
static void ctx_load(fs_ctx_t *f, const qpreq_t *r, qwl_t **v, size_t n)
{
    for (size_t i = 0; i < f->n_q; i++)
        rg_free(f->q[i].w);
    rg_free(f->q);
    rg_free(f->pruned);
    *f = (fs_ctx_t){.r = r};
    for (size_t i = 0; i < n; i++) {
        fs_queue_t *q = queue_of(f, v[i]->usage_cq);
        if (q == NULL) {
            f->q = rg_realloc(f->q, (f->n_q + 1) * sizeof(*f->q));
            q = &f->q[f->n_q++];
            *q = (fs_queue_t){.cq = v[i]->usage_cq};
        }
        q->w = rg_realloc(q->w, (q->n + 1) * sizeof(*q->w));
        q->w[q->n++] = v[i];
    }
}

static void ctx_release(fs_ctx_t *f)
{
    for (size_t i = 0; i < f->n_q; i++)
        rg_free(f->q[i].w);
    rg_free(f->q);
    rg_free(f->pruned);
    *f = (fs_ctx_t){0};
}

void quota__fair_targets(const qpreq_t *r, qtargets_t *out)
{
    *out = (qtargets_t){0};
    size_t n;
    qwl_t **cands = find_candidates(r, &n);
    if (n == 0) {
        rg_free(cands);
        return;
    }
    quota__sort_candidates(r, cands, n);
    const quota_policy_cfg_t *cfg = &r->m->cfg;
    quota_fs_strategy_t s0 =
        cfg->n_strategies ? cfg->strategies[0] : QUOTA_FS_LESS_THAN_OR_EQUAL_TO_FINAL_SHARE;
    bool second = cfg->n_strategies ? cfg->n_strategies > 1 : true;
    fs_ctx_t f = {0};
    ctx_load(&f, r, cands, n);
    add_usage(r->cq, r->usage, r->n_usage, true); /* shares include the incoming workload */
    qtargets_t t = {0};
    qwl_t **retry = NULL;
    size_t n_retry = 0;
    bool ok = first_strategy(&f, s0, &t, &retry, &n_retry);
    if (!ok && second && n_retry) {
        ctx_load(&f, r, retry, n_retry);
        ok = second_strategy(&f, &t);
    }
    add_usage(r->cq, r->usage, r->n_usage, false);
    if (ok)
        quota__fill_back(r, &t, true);
    quota__targets_restore(&t);
    if (ok)
        *out = t;
    else
        quota__targets_release(&t);
    ctx_release(&f);
    rg_free(retry);
    rg_free(cands);
}

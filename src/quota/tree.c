/*
 * Resource nodes: Kueue's quota arithmetic over ClusterQueues and cohorts
 * (SubtreeQuota, Usage, local quota under lending limits, availability
 * under borrowing limits, usage bubbling past local quota), plus the
 * interned flavor and resource names the nodes are keyed by.
 */
#include "internal.h"

#include "raygate/alloc.h"

#include <stdint.h>
#include <string.h>

/* ---- interned names ---- */

uint32_t quota__lookup(const qnames_t *t, const char *name)
{
    void *v = rg_strmap_get(&t->ids, name);
    return v ? (uint32_t)((uintptr_t)v - 1) : UINT32_MAX;
}

uint32_t quota__intern(qnames_t *t, const char *name)
{
    uint32_t id = quota__lookup(t, name);
    if (id != UINT32_MAX)
        return id;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->names = rg_realloc(t->names, t->cap * sizeof(char *));
    }
    /* Ids past QNAMES_MAX would alias in a qfr_t; the inputs' own limits keep
     * far below it, but never alias silently. */
    if (t->n >= QNAMES_MAX)
        return QNAMES_MAX;
    id = (uint32_t)t->n;
    t->names[t->n++] = rg_strdup(name);
    rg_strmap_put(&t->ids, t->names[id], (void *)((uintptr_t)id + 1));
    return id;
}

void quota__names_release(qnames_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        rg_free(t->names[i]);
    rg_free(t->names);
    rg_strmap_release(&t->ids);
    *t = (qnames_t){0};
}

/* ---- entries ---- */

static size_t entry_slot(const qnode_t *n, qfr_t fr, bool *found)
{
    size_t lo = 0, hi = n->n_e;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (n->e[mid].fr == fr) {
            *found = true;
            return mid;
        }
        if (n->e[mid].fr < fr)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

qentry_t *quota__entry(qnode_t *n, qfr_t fr)
{
    bool found;
    size_t i = entry_slot(n, fr, &found);
    return found ? &n->e[i] : NULL;
}

qentry_t *quota__entry_add(qnode_t *n, qfr_t fr)
{
    bool found;
    size_t i = entry_slot(n, fr, &found);
    if (found)
        return &n->e[i];
    if (n->n_e == n->cap_e) {
        n->cap_e = n->cap_e ? n->cap_e * 2 : 8;
        n->e = rg_realloc(n->e, n->cap_e * sizeof(*n->e));
    }
    memmove(&n->e[i + 1], &n->e[i], (n->n_e - i) * sizeof(*n->e));
    n->e[i] = (qentry_t){.fr = fr};
    n->n_e++;
    return &n->e[i];
}

void quota__entry_set_quota(quota_model_t *m, qnode_t *n, uint32_t flavor,
                            const quota_res_quota_t *q)
{
    qentry_t *e = quota__entry_add(n, QFR(flavor, quota__intern(&m->resource_names, q->resource)));
    e->quota = true;
    e->nominal = q->nominal.nano;
    e->has_borrowing = q->borrowing.set;
    e->borrowing = q->borrowing.v.nano;
    e->has_lending = q->lending.set;
    e->lending = q->lending.v.nano;
}

static qamt_t max0(qamt_t v)
{
    return v > 0 ? v : 0;
}

static qamt_t min_amt(qamt_t a, qamt_t b)
{
    return a < b ? a : b;
}

qnode_t *quota__root(qnode_t *n)
{
    while (n->parent)
        n = n->parent;
    return n;
}

/*
 * The capacity only this node's subtree sees: SubtreeQuota - lendingLimit
 * when a lending limit is set (never lent to the parent), else 0.
 */
qamt_t quota__local_quota(const qentry_t *e)
{
    if (e == NULL || !e->has_lending)
        return 0;
    return max0(e->subtree - e->lending);
}

static qamt_t local_available(const qentry_t *e)
{
    return e ? max0(quota__local_quota(e) - e->usage) : 0;
}

/* Kueue's available(): may be negative when over-admitted. */
static qamt_t available_raw(qnode_t *n, qfr_t fr)
{
    qentry_t *e = quota__entry(n, fr);
    qamt_t subtree = e ? e->subtree : 0, usage = e ? e->usage : 0;
    if (n->parent == NULL)
        return subtree - usage;
    qamt_t parent = available_raw(n->parent, fr);
    if (e && e->has_borrowing) {
        qamt_t lq = quota__local_quota(e);
        qamt_t stored = subtree - lq;
        qamt_t used_in_parent = max0(usage - lq);
        parent = min_amt(stored - used_in_parent + e->borrowing, parent);
    }
    return local_available(e) + parent;
}

qamt_t quota__available(qnode_t *n, qfr_t fr)
{
    return max0(available_raw(n, fr));
}

qamt_t quota__potential_available(qnode_t *n, qfr_t fr)
{
    qentry_t *e = quota__entry(n, fr);
    qamt_t subtree = e ? e->subtree : 0;
    if (n->parent == NULL)
        return subtree;
    qamt_t avail = quota__local_quota(e) + quota__potential_available(n->parent, fr);
    if (e && e->has_borrowing)
        avail = min_amt(subtree + e->borrowing, avail);
    return avail;
}

void quota__usage_add(qnode_t *n, qfr_t fr, qamt_t v)
{
    qentry_t *e = quota__entry_add(n, fr);
    qamt_t local = local_available(e);
    e->usage += v;
    if (n->parent && v > local)
        quota__usage_add(n->parent, fr, v - local);
}

void quota__usage_remove(qnode_t *n, qfr_t fr, qamt_t v)
{
    qentry_t *e = quota__entry_add(n, fr);
    qamt_t stored_in_parent = e->usage - quota__local_quota(e);
    e->usage -= v;
    if (stored_in_parent <= 0 || n->parent == NULL)
        return;
    quota__usage_remove(n->parent, fr, min_amt(v, stored_in_parent));
}

/* Whether usage + val goes past the node's quota (Kueue's BorrowingWith). */
static bool borrowing_with(qnode_t *n, qfr_t fr, qamt_t val)
{
    qentry_t *e = quota__entry(n, fr);
    /* A ClusterQueue's nominal quota counts only while its spec sets it. */
    qamt_t limit = e ? (n->is_cohort ? e->subtree : (e->quota ? e->nominal : 0)) : 0;
    return limit < (e ? e->usage : 0) + val;
}

static int node_height(const qnode_t *n)
{
    int h = n->n_kids > 0 ? 1 : 0;
    for (size_t i = 0; i < n->n_kids; i++) {
        if (n->kids[i]->is_cohort) {
            int kh = node_height(n->kids[i]) + 1;
            h = kh > h ? kh : h;
        }
    }
    return h;
}

int quota__borrow_height(qnode_t *cq, qfr_t fr, qamt_t val, bool *may_reclaim)
{
    bool dummy;
    if (may_reclaim == NULL)
        may_reclaim = &dummy;
    *may_reclaim = cq->parent != NULL;
    if (cq->parent == NULL || !borrowing_with(cq, fr, val))
        return 0;
    qamt_t remaining = val - local_available(quota__entry(cq, fr));
    for (qnode_t *t = cq->parent; t; t = t->parent) {
        if (!borrowing_with(t, fr, remaining)) {
            *may_reclaim = t->parent != NULL;
            return node_height(t);
        }
        remaining -= local_available(quota__entry(t, fr));
    }
    *may_reclaim = false;
    return node_height(quota__root(cq));
}

qamt_t quota__local_available(qnode_t *n, qfr_t fr)
{
    return local_available(quota__entry(n, fr));
}

bool quota__borrowing_with(qnode_t *n, qfr_t fr, qamt_t val)
{
    return borrowing_with(n, fr, val);
}

/* ---- whole-tree sums ---- */

static void accumulate_from_child(qnode_t *parent, const qnode_t *child)
{
    for (size_t i = 0; i < child->n_e; i++) {
        const qentry_t *ce = &child->e[i];
        qentry_t *pe = quota__entry_add(parent, ce->fr);
        pe->subtree += ce->subtree - quota__local_quota(ce);
        pe->usage += max0(ce->usage - quota__local_quota(ce));
    }
}

static void update_node(qnode_t *n)
{
    if (!n->is_cohort) {
        for (size_t i = 0; i < n->n_e; i++)
            n->e[i].subtree = n->e[i].quota ? n->e[i].nominal : 0;
        return;
    }
    for (size_t i = 0; i < n->n_e; i++) {
        n->e[i].subtree = n->e[i].quota ? n->e[i].nominal : 0;
        n->e[i].usage = 0;
    }
    for (size_t k = 0; k < n->n_kids; k++) {
        update_node(n->kids[k]);
        accumulate_from_child(n, n->kids[k]);
    }
}

void quota__tree_update(qnode_t *root)
{
    update_node(root);
}

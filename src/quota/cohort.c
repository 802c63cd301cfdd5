/*
 * Cohort trees: cohorts named by ClusterQueues (implicit, no quota) and
 * Cohort objects (parentName, quota of their own, fair-sharing weight),
 * linked into a forest. A parentName chain that loops is a cycle: its
 * members stay unlinked roots marked as such, so every ClusterQueue under
 * them is inactive (Kueue's HasCycle) while the rest keeps working.
 */
#include "internal.h"

#include "raygate/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

qnode_t *quota__cohort_ref(quota_model_t *m, const char *name)
{
    qnode_t *c = rg_strmap_get(&m->cohorts, name);
    if (c == NULL) {
        c = rg_calloc(1, sizeof(*c));
        c->is_cohort = true;
        c->weight = 1.0;
        c->name = rg_strdup(name);
        rg_strmap_put(&m->cohorts, c->name, c);
    }
    return c;
}

void quota__cohort_free(qnode_t *c)
{
    quota_cohort_spec_free(c->cspec);
    rg_free((char *)c->name);
    rg_free(c->e);
    rg_free(c->kids);
    rg_free(c);
}

void quota__node_attach(qnode_t *parent, qnode_t *kid)
{
    if (parent->n_kids == parent->cap_kids) {
        parent->cap_kids = parent->cap_kids ? parent->cap_kids * 2 : 4;
        parent->kids = rg_realloc(parent->kids, parent->cap_kids * sizeof(qnode_t *));
    }
    parent->kids[parent->n_kids++] = kid;
    kid->parent = parent;
}

static void unlink_kid(qnode_t *kid)
{
    qnode_t *p = kid->parent;
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_kids; i++) {
        if (p->kids[i] == kid) {
            /* Keep the order: sums and iteration stay deterministic. */
            memmove(&p->kids[i], &p->kids[i + 1], (p->n_kids - i - 1) * sizeof(qnode_t *));
            p->n_kids--;
            break;
        }
    }
    kid->parent = NULL;
}

/* An implicit cohort nobody names any more goes (its parent may follow). */
static bool gc_cohort(quota_model_t *m, qnode_t *c)
{
    if (c == NULL || c->n_kids > 0 || c->cspec != NULL)
        return false;
    qnode_t *p = c->parent;
    unlink_kid(c);
    rg_strmap_del(&m->cohorts, c->name);
    quota__cohort_free(c);
    if (!gc_cohort(m, p) && p) {
        quota__tree_update(quota__root(p));
        quota__wake_tree(m, quota__root(p));
    }
    return true;
}

void quota__node_detach(quota_model_t *m, qnode_t *kid)
{
    qnode_t *p = kid->parent;
    if (p == NULL)
        return;
    unlink_kid(kid);
    if (!gc_cohort(m, p)) {
        quota__tree_update(quota__root(p));
        quota__wake_tree(m, quota__root(p));
    }
}

void quota__cohort_unref(quota_model_t *m, qnode_t *c)
{
    gc_cohort(m, c);
}

/* The parent a cohort asks for (its spec's parentName), or NULL. */
static const char *wanted_parent(const qnode_t *c)
{
    return c->cspec && c->cspec->parent && c->cspec->parent[0] ? c->cspec->parent : NULL;
}

/* Whether c's parentName chain comes back to c. */
static bool on_cycle(quota_model_t *m, qnode_t *c)
{
    qnode_t *t = c;
    for (size_t steps = 0; steps <= m->cohorts.n; steps++) {
        const char *pn = wanted_parent(t);
        if (pn == NULL)
            return false;
        t = rg_strmap_get(&m->cohorts, pn);
        if (t == NULL)
            return false;
        if (t == c)
            return true;
    }
    return false;
}

static int cmp_node_name(const void *a, const void *b)
{
    return strcmp((*(qnode_t *const *)a)->name, (*(qnode_t *const *)b)->name);
}

/* Every cohort, in name order (owned array). */
static qnode_t **all_cohorts(quota_model_t *m, size_t *n)
{
    qnode_t **v = rg_malloc((m->cohorts.n + 1) * sizeof(*v));
    size_t it = 0, k = 0;
    const char *key;
    void *val;
    while (rg_strmap_next(&m->cohorts, &it, &key, &val))
        v[k++] = val;
    qsort(v, k, sizeof(*v), cmp_node_name);
    *n = k;
    return v;
}

void quota__cohorts_relink(quota_model_t *m)
{
    size_t n;
    qnode_t **v = all_cohorts(m, &n);
    /* Parents named by a Cohort exist (implicitly) before linking. */
    for (size_t i = 0; i < n; i++)
        if (wanted_parent(v[i]))
            quota__cohort_ref(m, wanted_parent(v[i]));
    rg_free(v);
    v = all_cohorts(m, &n);
    for (size_t i = 0; i < n; i++)
        if (v[i]->parent)
            unlink_kid(v[i]);
    for (size_t i = 0; i < n; i++)
        v[i]->cycle = on_cycle(m, v[i]);
    for (size_t i = 0; i < n; i++) {
        const char *pn = wanted_parent(v[i]);
        if (pn && !v[i]->cycle)
            quota__node_attach(rg_strmap_get(&m->cohorts, pn), v[i]);
    }
    /* Implicit cohorts that lost their last child go. */
    for (size_t i = 0; i < n; i++)
        if (v[i]->n_kids == 0 && v[i]->cspec == NULL && v[i]->parent == NULL) {
            rg_strmap_del(&m->cohorts, v[i]->name);
            quota__cohort_free(v[i]);
            v[i] = NULL;
        }
    for (size_t i = 0; i < n; i++) {
        if (v[i] && v[i]->parent == NULL) {
            quota__tree_update(v[i]);
            quota__wake_tree(m, v[i]);
        }
    }
    rg_free(v);
}

/* A cohort's own quota entries from its spec (as a ClusterQueue's). */
static void apply_quotas(quota_model_t *m, qnode_t *c)
{
    for (size_t i = 0; i < c->n_e; i++) {
        c->e[i].quota = false;
        c->e[i].has_borrowing = c->e[i].has_lending = false;
    }
    c->weight = c->cspec ? c->cspec->fair_weight : 1.0;
    if (c->cspec == NULL)
        return;
    for (size_t g = 0; g < c->cspec->n_groups; g++) {
        const quota_group_t *sg = &c->cspec->groups[g];
        for (size_t f = 0; f < sg->n_flavors; f++) {
            const quota_flavor_quotas_t *fq = &sg->flavors[f];
            uint32_t fid = quota__intern(&m->flavor_names, fq->flavor);
            for (size_t r = 0; r < fq->n_res; r++)
                quota__entry_set_quota(m, c, fid, &fq->res[r]);
        }
    }
}

/* Re-checks every queue after a tree changed shape (cycles come and go). */
static void cohort_changed(quota_model_t *m)
{
    quota__cohorts_relink(m);
    m->generation++;
    quota_model_wake_all(m);
}

void quota_model_set_cohort(quota_model_t *m, quota_cohort_spec_t *spec)
{
    quota__spec_changed(m);
    qnode_t *c = quota__cohort_ref(m, spec->name);
    quota_cohort_spec_free(c->cspec);
    c->cspec = spec;
    apply_quotas(m, c);
    cohort_changed(m);
}

void quota_model_remove_cohort(quota_model_t *m, const char *name)
{
    qnode_t *c = rg_strmap_get(&m->cohorts, name);
    if (c == NULL || c->cspec == NULL)
        return;
    quota__spec_changed(m);
    quota_cohort_spec_free(c->cspec);
    c->cspec = NULL;
    apply_quotas(m, c);
    cohort_changed(m);
}

char *quota__cq_path(const qcq_t *cq)
{
    const qnode_t *chain[64];
    size_t n = 0;
    for (const qnode_t *t = &cq->node; t && n < 64; t = t->parent)
        chain[n++] = t;
    rg_buf_t b = RG_BUF_INIT;
    while (n > 0)
        rg_buf_appendf(&b, "/%s", chain[--n]->name);
    return rg_buf_detach(&b, NULL);
}

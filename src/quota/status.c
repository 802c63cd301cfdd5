/*
 * Reading the model for ClusterQueue/LocalQueue status, finalizers and
 * metrics: per-queue counts and per flavor/resource quota and usage.
 */
#include "internal.h"

#include "raygate/alloc.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t quota_model_cq_count(const quota_model_t *m)
{
    return m->cqs.n;
}

static int cmp_cq(const void *a, const void *b)
{
    return strcmp((*(qcq_t *const *)a)->spec->name, (*(qcq_t *const *)b)->spec->name);
}

/* The i-th ClusterQueue by name (sorting on every call: queues are few). */
static qcq_t *cq_at(const quota_model_t *m, size_t i)
{
    if (i >= m->cqs.n)
        return NULL;
    qcq_t **v = rg_malloc(m->cqs.n * sizeof(*v));
    size_t n = 0, it = 0;
    const char *k;
    void *val;
    while (rg_strmap_next(&m->cqs, &it, &k, &val))
        v[n++] = val;
    qsort(v, n, sizeof(*v), cmp_cq);
    qcq_t *cq = v[i];
    rg_free(v);
    return cq;
}

static quota_qty_t as_qty(qamt_t v, const char *resource)
{
    quota_qty_format_t f = QUOTA_QTY_DECIMAL_SI;
    if (strcmp(resource, "memory") == 0 || strcmp(resource, "ephemeral-storage") == 0 ||
        strncmp(resource, "hugepages-", 10) == 0)
        f = QUOTA_QTY_BINARY_SI;
    return (quota_qty_t){.nano = v, .format = f};
}

/* Rebuilds cq->frs in the spec's order (groups, flavors, resources). */
static void build_frs(quota_model_t *m, qcq_t *cq)
{
    size_t n = 0;
    for (size_t g = 0; g < cq->spec->n_groups; g++)
        for (size_t f = 0; f < cq->spec->groups[g].n_flavors; f++)
            n += cq->spec->groups[g].flavors[f].n_res;
    rg_free(cq->frs);
    cq->frs = rg_calloc(n ? n : 1, sizeof(*cq->frs));
    cq->n_frs = 0;
    for (size_t g = 0; g < cq->spec->n_groups; g++) {
        for (size_t f = 0; f < cq->spec->groups[g].n_flavors; f++) {
            const quota_flavor_quotas_t *fq = &cq->spec->groups[g].flavors[f];
            for (size_t r = 0; r < fq->n_res; r++) {
                const quota_res_quota_t *q = &fq->res[r];
                qfr_t fr = QFR(quota__intern(&m->flavor_names, fq->flavor),
                               quota__intern(&m->resource_names, q->resource));
                const qentry_t *e = quota__entry(&cq->node, fr);
                qamt_t usage = e ? e->usage : 0;
                qamt_t over = usage - q->nominal.nano;
                cq->frs[cq->n_frs++] = (quota_fr_status_t){
                    .flavor = fq->flavor,
                    .resource = q->resource,
                    .nominal = q->nominal,
                    .usage = as_qty(usage, q->resource),
                    .borrowed = as_qty(over > 0 ? over : 0, q->resource),
                    .borrowing = q->borrowing,
                    .lending = q->lending,
                };
            }
        }
    }
}

int quota_model_cq_status(quota_model_t *m, size_t i, quota_cq_status_t *out)
{
    qcq_t *cq = cq_at(m, i);
    if (cq == NULL)
        return RG_ERR_NOT_FOUND;
    build_frs(m, cq);
    *out = (quota_cq_status_t){
        .name = cq->spec->name,
        .cohort = cq->spec->cohort,
        .active = cq->active,
        .inactive_reason = cq->inactive_reason,
        .inactive_message = cq->inactive_message,
        .pending = cq->n_heap + cq->parked.n,
        .reserving = cq->n_reserving,
        .admitted = cq->n_admitted,
        .frs = cq->frs,
        .n_frs = cq->n_frs,
        .fair_sharing = m->cfg.fair_sharing,
        .weighted_share = quota__drs_value(quota__drs(m, &cq->node)),
    };
    /* Workloads waiting out a backoff belong to the queue's pending count too. */
    for (const qwl_t *w = m->backoff.head; w; w = w->next)
        if (w->cq == cq)
            out->pending++;
    return RG_OK;
}

double quota_model_cohort_weighted_share(quota_model_t *m, const char *cohort)
{
    qnode_t *c = rg_strmap_get(&m->cohorts, cohort);
    return c ? quota__drs_value(quota__drs(m, c)) : 0;
}

int64_t quota_weighted_share_field(double share)
{
    if (!(share > 0)) /* NaN and anything negative: no share */
        return 0;
    /* INT64_MAX itself is not a double: anything from 2^63 on (+inf too) saturates. */
    if (share >= 9223372036854775808.0)
        return INT64_MAX;
    return (int64_t)ceil(share);
}

int quota_model_lq_counts(const quota_model_t *m, const char *ns, const char *name, size_t *pending,
                          size_t *reserving, size_t *admitted)
{
    *pending = *reserving = *admitted = 0;
    size_t it = 0;
    const char *k;
    void *v;
    while (rg_strmap_next(&m->wls, &it, &k, &v)) {
        const qwl_t *w = v;
        const quota_wl_spec_t *s = w->spec;
        if (s->queue == NULL || strcmp(s->ns, ns) != 0 || strcmp(s->queue, name) != 0)
            continue;
        if (w->state == QWL_RESERVED) {
            (*reserving)++;
            (*admitted)++;
        } else if (w->state != QWL_IDLE) {
            (*pending)++;
        }
    }
    return RG_OK;
}

bool quota_model_flavor_in_use(const quota_model_t *m, const char *flavor)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (rg_strmap_next(&m->cqs, &it, &k, &v)) {
        const quota_cq_spec_t *s = ((const qcq_t *)v)->spec;
        for (size_t g = 0; g < s->n_groups; g++)
            for (size_t f = 0; f < s->groups[g].n_flavors; f++)
                if (strcmp(s->groups[g].flavors[f].flavor, flavor) == 0)
                    return true;
    }
    return false;
}

bool quota_model_cq_active(const quota_model_t *m, const char *cq_name)
{
    const qcq_t *cq = quota__cq(m, cq_name);
    return cq && cq->active;
}

bool quota_model_cq_in_use(const quota_model_t *m, const char *cq_name)
{
    const qcq_t *cq = quota__cq(m, cq_name);
    return cq && cq->n_reserving > 0;
}

quota_lq_counts_t *quota_model_lq_counts_all(const quota_model_t *m, size_t *n)
{
    rg_strmap_t idx = RG_STRMAP_INIT;
    quota_lq_counts_t *v = NULL;
    size_t len = 0, cap = 0, it = 0;
    const char *k;
    void *val;
    while (rg_strmap_next(&m->wls, &it, &k, &val)) {
        const qwl_t *w = val;
        const quota_wl_spec_t *s = w->spec;
        if (s->queue == NULL || (w->state == QWL_IDLE))
            continue;
        char key[600];
        snprintf(key, sizeof(key), "%s/%s", s->ns, s->queue);
        uintptr_t slot = (uintptr_t)rg_strmap_get(&idx, key);
        if (slot == 0) {
            if (len == cap) {
                cap = cap ? cap * 2 : 16;
                v = rg_realloc(v, cap * sizeof(*v));
            }
            v[len] = (quota_lq_counts_t){.ns = rg_strdup(s->ns), .name = rg_strdup(s->queue)};
            slot = ++len;
            /* The key must outlive the map: use the entry's own strings. */
            char *owned = rg_asprintf("%s/%s", s->ns, s->queue);
            rg_strmap_put(&idx, owned, (void *)slot);
        }
        quota_lq_counts_t *c = &v[slot - 1];
        if (w->state == QWL_RESERVED) {
            c->reserving++;
            c->admitted++;
        } else {
            c->pending++;
        }
    }
    it = 0;
    while (rg_strmap_next(&idx, &it, &k, &val))
        rg_free((char *)k);
    rg_strmap_release(&idx);
    *n = len;
    return v;
}

void quota_lq_counts_free(quota_lq_counts_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rg_free(v[i].ns);
        rg_free(v[i].name);
    }
    rg_free(v);
}

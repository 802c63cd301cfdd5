/*
 * The model's objects and their bookkeeping: ClusterQueues and their
 * implicit cohorts, flavors, LocalQueues, priority classes, namespaces and
 * workloads; how a workload is routed to its ClusterQueue, queued, parked,
 * reserved and released. Every update touches only what it changes.
 */
#include "internal.h"

#include "raygate/alloc.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

void quota__set_str(char **dst, const char *src)
{
    if (*dst && src && strcmp(*dst, src) == 0)
        return;
    rg_free(*dst);
    *dst = src ? rg_strdup(src) : NULL;
}

quota_model_t *quota_model_new(void)
{
    quota_model_t *m = rg_calloc(1, sizeof(quota_model_t));
    quota_policy_cfg_defaults(&m->cfg);
    m->unready.link_off = offsetof(qwl_t, ulink);
    return m;
}

qcq_t *quota__cq(const quota_model_t *m, const char *name)
{
    return name ? rg_strmap_get(&m->cqs, name) : NULL;
}

/* ---- lists of workloads by state ---- */

void quota__dequeue(quota_model_t *m, qwl_t *w)
{
    switch (w->state) {
    case QWL_QUEUED: quota__heap_remove(w->cq, w); break;
    case QWL_PARKED: quota__list_remove(&w->cq->parked, w); break;
    case QWL_BLOCKED: quota__list_remove(&m->blocked, w); break;
    case QWL_BACKOFF: quota__list_remove(&m->backoff, w); break;
    case QWL_RESERVED: quota__list_remove(&m->evicting, w); break;
    default: break;
    }
    if (w->state != QWL_RESERVED)
        w->cq = NULL;
    if (w->state != QWL_RESERVED)
        w->state = QWL_IDLE;
}

static void mark_dirty(qcq_t *cq)
{
    quota__root(&cq->node)->dirty = true;
}

void quota__wake_tree(quota_model_t *m, qnode_t *root)
{
    (void)m;
    root->dirty = true;
    if (!root->is_cohort) {
        qcq_t *cq = (qcq_t *)root;
        while (cq->parked.head) {
            qwl_t *w = cq->parked.head;
            quota__list_remove(&cq->parked, w);
            w->state = QWL_QUEUED;
            quota__heap_push(cq, w);
        }
        cq->blocked = false;
        return;
    }
    for (size_t i = 0; i < root->n_kids; i++)
        quota__wake_tree(m, root->kids[i]);
}

/* ---- priorities ---- */

static qclass_t *class_get(const quota_model_t *m, quota_class_kind_t kind, const char *name)
{
    char key[300];
    snprintf(key, sizeof(key), "%c/%s", kind == QUOTA_CLASS_POD ? 'P' : 'W', name);
    return rg_strmap_get(&m->classes, key);
}

static int32_t default_priority(const quota_model_t *m)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (rg_strmap_next(&m->classes, &it, &k, &v)) {
        const qclass_t *c = v;
        if (c->global_default)
            return c->value;
    }
    return 0;
}

static int32_t resolve_priority(const quota_model_t *m, const quota_wl_spec_t *s)
{
    if (s->has_priority)
        return s->priority;
    if (s->class_name) {
        const qclass_t *c = class_get(m, s->class_kind, s->class_name);
        if (c)
            return c->value;
    }
    return default_priority(m);
}

/* Kueue's GetQueueOrderTimestamp with requeuingTimestamp Eviction. */
static int64_t order_time(const quota_wl_spec_t *s)
{
    if (s->evicted && s->evicted_reason && s->evicted_ns &&
        (strcmp(s->evicted_reason, "PodsReadyTimeout") == 0 ||
         strcmp(s->evicted_reason, "AdmissionCheck") == 0))
        return s->evicted_ns;
    return s->created_ns;
}

/* ---- routing ---- */

static bool namespace_admitted(const quota_model_t *m, const qcq_t *cq, const char *ns)
{
    const cJSON *labels = rg_strmap_get(&m->namespaces, ns);
    cJSON *empty = NULL;
    if (labels == NULL)
        labels = empty = cJSON_CreateObject();
    bool ok = podspec_label_selector_matches(cq->spec->namespace_selector, labels);
    cJSON_Delete(empty);
    return ok;
}

qcq_t *quota__route(quota_model_t *m, qwl_t *w, char **reason, char **message)
{
    const quota_wl_spec_t *s = w->spec;
    *reason = *message = NULL;
    if (s->invalid) {
        *reason = rg_strdup("Pending");
        *message = rg_strdup(s->invalid);
        return NULL;
    }
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", s->ns, s->queue);
    const quota_lq_spec_t *lq = rg_strmap_get(&m->lqs, key);
    if (lq == NULL || lq->deleting) {
        *reason = rg_strdup("Inadmissible");
        *message = lq ? rg_asprintf("LocalQueue %s is terminating or missing", s->queue)
                      : rg_asprintf("LocalQueue %s doesn't exist", s->queue);
        return NULL;
    }
    if (lq->stop != QUOTA_STOP_NONE) {
        *reason = rg_strdup("Inadmissible");
        *message = rg_asprintf("LocalQueue %s is stopped", s->queue);
        return NULL;
    }
    qcq_t *cq = quota__cq(m, lq->cluster_queue);
    if (cq == NULL) {
        *reason = rg_strdup("Inadmissible");
        *message = rg_asprintf("ClusterQueue %s doesn't exist",
                               lq->cluster_queue ? lq->cluster_queue : "");
        return NULL;
    }
    if (!cq->active || quota__root(&cq->node)->cycle) {
        *reason = rg_strdup("Inadmissible");
        *message = cq->spec->stop != QUOTA_STOP_NONE
                       ? rg_asprintf("ClusterQueue %s is stopped", cq->spec->name)
                       : rg_asprintf("ClusterQueue %s is inactive", cq->spec->name);
        return NULL;
    }
    if (!namespace_admitted(m, cq, s->ns)) {
        *reason = rg_strdup("Pending");
        *message = rg_strdup("Workload namespace doesn't match ClusterQueue selector");
        return NULL;
    }
    return cq;
}

static bool wants_queue(const quota_wl_spec_t *s)
{
    return s->queue != NULL && s->active && !s->finished && !s->deleting;
}

void quota__enqueue(quota_model_t *m, qwl_t *w, int64_t now_ns)
{
    bool was_blocked = w->state == QWL_BLOCKED;
    quota__dequeue(m, w);
    if (w->state == QWL_RESERVED || !wants_queue(w->spec))
        return;
    char *reason, *message;
    qcq_t *cq = quota__route(m, w, &reason, &message);
    if (cq == NULL) {
        rg_free(w->wait_reason);
        rg_free(w->wait_base);
        w->wait_reason = reason;
        w->wait_base = message;
        w->wait_cq = NULL;
        w->state = QWL_BLOCKED;
        quota__list_push(&m->blocked, w);
        m->renote_blocked = true;
        return;
    }
    w->cq = cq;
    if (was_blocked) {
        /* Its words said why it could not be queued: they no longer hold, and
         * must not be reused as a quota reason (the pass skips re-evaluating
         * a workload that is surely short and keeps its last words). */
        quota__set_str(&w->wait_reason, NULL);
        quota__set_str(&w->wait_base, NULL);
    }
    if (quota__requeue_at(m, w) > now_ns) {
        w->state = QWL_BACKOFF;
        quota__list_push(&m->backoff, w);
        return;
    }
    w->state = QWL_QUEUED;
    quota__heap_push(cq, w);
    /* A new head of a StrictFIFO queue gets its own look. */
    if (cq->blocked && quota__heap_top(cq) == w)
        cq->blocked = false;
    mark_dirty(cq);
}

/* ---- evictions ---- */

static const quota_lq_spec_t *lq_of(const quota_model_t *m, const quota_wl_spec_t *s)
{
    char key[600];
    if (s->queue == NULL)
        return NULL;
    snprintf(key, sizeof(key), "%s/%s", s->ns, s->queue);
    return rg_strmap_get(&m->lqs, key);
}

bool quota__eviction_cause(const quota_model_t *m, const qwl_t *w, const char **reason,
                           const char **message)
{
    const quota_wl_spec_t *s = w->spec;
    if (w->state != QWL_RESERVED || s->evicted || s->finished)
        return false;
    if (!s->active) {
        /* Deactivated by raygate (a DeactivationTarget, e.g. the requeuing
         * limit): Kueue's reason and message name the cause. */
        *reason = s->deactivation_reason ? s->deactivation_reason : "Deactivated";
        *message = s->deactivation_message ? s->deactivation_message : "The workload is deactivated";
        return true;
    }
    const quota_lq_spec_t *lq = lq_of(m, s);
    if (lq && lq->stop == QUOTA_STOP_HOLD_AND_DRAIN) {
        *reason = "LocalQueueStopped";
        *message = "The LocalQueue is stopped";
        return true;
    }
    if (w->usage_cq && w->usage_cq->spec->stop == QUOTA_STOP_HOLD_AND_DRAIN) {
        *reason = "ClusterQueueStopped";
        *message = "The ClusterQueue is stopped";
        return true;
    }
    return false;
}

/* Puts a reserving workload on the eviction list when it must go. */
static void track_eviction(quota_model_t *m, qwl_t *w)
{
    const char *r, *msg;
    bool wanted = !w->evict_sent && quota__eviction_cause(m, w, &r, &msg);
    if (wanted && !w->on_list)
        quota__list_push(&m->evicting, w);
    else if (!wanted && w->on_list && w->state == QWL_RESERVED)
        quota__list_remove(&m->evicting, w);
}

/* ---- reservations ---- */

static int32_t reclaimed(const quota_wl_spec_t *s, const char *podset)
{
    for (size_t i = 0; i < s->n_reclaimable; i++)
        if (strcmp(s->reclaimable[i].podset, podset) == 0)
            return s->reclaimable[i].count;
    return 0;
}

static int32_t spec_count(const quota_wl_spec_t *s, const char *podset)
{
    for (size_t i = 0; i < s->n_podsets; i++)
        if (strcmp(s->podsets[i].name, podset) == 0)
            return s->podsets[i].count;
    return 0;
}

/* The usage an admission adds, one entry per podSet resource. */
static qusage_t *admission_usage(quota_model_t *m, const qwl_t *w, const quota_admission_t *adm,
                                 size_t *n_out)
{
    size_t n = 0;
    for (size_t i = 0; i < adm->n_podsets; i++)
        n += adm->podsets[i].n_res;
    qusage_t *u = rg_calloc(n ? n : 1, sizeof(*u));
    *n_out = 0;
    for (size_t i = 0; i < adm->n_podsets; i++) {
        const quota_ps_admission_t *ps = &adm->podsets[i];
        int32_t count = ps->count >= 0 ? ps->count : spec_count(w->spec, ps->name);
        int32_t after = count - reclaimed(w->spec, ps->name);
        for (size_t r = 0; r < ps->n_res; r++) {
            qamt_t v = ps->res[r].usage.nano;
            /* Reclaimable pods scale the podSet's usage down, as Kueue does. */
            if (after < count && count > 0)
                v = v / count * (after > 0 ? after : 0);
            qfr_t fr = QFR(quota__intern(&m->flavor_names, ps->res[r].flavor),
                           quota__intern(&m->resource_names, ps->res[r].resource));
            u[(*n_out)++] = (qusage_t){fr, v};
        }
    }
    return u;
}

static bool same_usage(const qusage_t *a, size_t na, const qusage_t *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (a[i].fr != b[i].fr || a[i].v != b[i].v)
            return false;
    return true;
}

/* Removes w's usage from its CQ; returns that CQ's root, or NULL. */
static qnode_t *usage_drop(qwl_t *w)
{
    qcq_t *cq = w->usage_cq;
    if (cq == NULL)
        return NULL;
    for (size_t i = 0; i < w->n_usage; i++)
        quota__usage_remove(&cq->node, w->usage[i].fr, w->usage[i].v);
    cq->n_reserving--;
    quota__rlist_remove(&cq->reserving, w);
    if (w->counts_admitted)
        cq->n_admitted--;
    w->counts_admitted = false;
    w->usage_cq = NULL;
    return quota__root(&cq->node);
}

void quota__reserve(quota_model_t *m, qwl_t *w, qcq_t *cq, const quota_admission_t *adm)
{
    size_t n;
    qusage_t *u = admission_usage(m, w, adm, &n);
    if (w->usage_cq == cq && same_usage(u, n, w->usage, w->n_usage)) {
        rg_free(u); /* an update that changes nothing the quota sees */
        w->state = QWL_RESERVED;
        quota__unready_track(m, w);
        return;
    }
    qnode_t *released = usage_drop(w);
    rg_free(w->usage);
    w->usage = u;
    w->n_usage = n;
    for (size_t i = 0; i < n; i++)
        quota__usage_add(&cq->node, u[i].fr, u[i].v);
    w->usage_cq = cq;
    w->state = QWL_RESERVED;
    w->cq = cq;
    cq->n_reserving++;
    quota__rlist_push(&cq->reserving, w);
    cq->n_admitted++;
    w->counts_admitted = true;
    /* A changed reservation may have freed something elsewhere in the old tree. */
    if (released)
        quota__wake_tree(m, released);
    m->generation++;
    quota__unready_track(m, w);
}

void quota__unreserve(quota_model_t *m, qwl_t *w)
{
    if (w->state == QWL_RESERVED)
        quota__list_remove(&m->evicting, w);
    qnode_t *released = usage_drop(w);
    if (released) {
        /* Released quota may let parked workloads in. */
        quota__wake_tree(m, released);
        m->generation++;
    }
    rg_free(w->usage);
    w->usage = NULL;
    w->n_usage = 0;
    if (w->state == QWL_RESERVED) {
        w->state = QWL_IDLE;
        w->cq = NULL;
    }
    quota__unready_track(m, w);
}

/* ---- ClusterQueues ---- */

static bool flavor_exists(const quota_model_t *m, const char *name)
{
    return rg_strmap_get(&m->flavors, name) != NULL || strcmp(name, QUOTA_SHORTHAND_FLAVOR) == 0;
}

/* Kueue's Active condition (clusterQueue.inactiveReason): not terminating,
 * not stopped, every flavor present; reasons and messages as Kueue words them. */
static void cq_update_active(const quota_model_t *m, qcq_t *cq)
{
    rg_free(cq->inactive_message);
    cq->inactive_message = NULL;
    cq->inactive_reason = NULL;
    cq->active = true;
    if (cq->spec->deleting) {
        cq->active = false;
        cq->inactive_reason = "Terminating";
        cq->inactive_message = rg_strdup("Can't admit new workloads; clusterQueue is terminating");
        return;
    }
    rg_buf_t missing = RG_BUF_INIT, msg = RG_BUF_INIT;
    for (size_t g = 0; g < cq->spec->n_groups; g++) {
        for (size_t f = 0; f < cq->spec->groups[g].n_flavors; f++) {
            const char *fl = cq->spec->groups[g].flavors[f].flavor;
            if (!flavor_exists(m, fl))
                rg_buf_appendf(&missing, "%s%s", missing.len ? "," : "", fl);
        }
    }
    if (cq->spec->stop != QUOTA_STOP_NONE) {
        cq->inactive_reason = "Stopped";
        rg_buf_append_str(&msg, "is stopped");
    }
    if (missing.len) {
        if (cq->inactive_reason == NULL)
            cq->inactive_reason = "FlavorNotFound";
        rg_buf_appendf(&msg, "%sreferences missing ResourceFlavor(s): %s", msg.len ? ", " : "",
                       missing.data);
    }
    if (msg.len) {
        cq->active = false;
        cq->inactive_message = rg_asprintf("Can't admit new workloads: %s.", msg.data);
    }
    rg_buf_release(&missing);
    rg_buf_release(&msg);
}

static void cq_groups_release(qcq_t *cq)
{
    for (size_t g = 0; g < cq->n_groups; g++) {
        rg_free(cq->groups[g].res);
        rg_free(cq->groups[g].flv);
    }
    rg_free(cq->groups);
    cq->groups = NULL;
    cq->n_groups = 0;
}

/* Interns the spec's groups and rewrites the node's own quota entries. */
static void cq_apply_quotas(quota_model_t *m, qcq_t *cq)
{
    cq_groups_release(cq);
    for (size_t i = 0; i < cq->node.n_e; i++)
        cq->node.e[i].quota = false;
    const quota_cq_spec_t *s = cq->spec;
    cq->groups = rg_calloc(s->n_groups ? s->n_groups : 1, sizeof(*cq->groups));
    cq->n_groups = s->n_groups;
    for (size_t g = 0; g < s->n_groups; g++) {
        const quota_group_t *sg = &s->groups[g];
        qgroup_t *qg = &cq->groups[g];
        qg->res = rg_calloc(sg->n_covered ? sg->n_covered : 1, sizeof(uint32_t));
        qg->flv = rg_calloc(sg->n_flavors ? sg->n_flavors : 1, sizeof(uint32_t));
        for (size_t r = 0; r < sg->n_covered; r++)
            qg->res[qg->n_res++] = quota__intern(&m->resource_names, sg->covered[r]);
        for (size_t f = 0; f < sg->n_flavors; f++) {
            const quota_flavor_quotas_t *fq = &sg->flavors[f];
            uint32_t fid = quota__intern(&m->flavor_names, fq->flavor);
            qg->flv[qg->n_flv++] = fid;
            for (size_t r = 0; r < fq->n_res; r++)
                quota__entry_set_quota(m, &cq->node, fid, &fq->res[r]);
        }
    }
}

/* Re-reads every workload that waits for or reserves in queues (rare events). */
static void reroute_all(quota_model_t *m)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (rg_strmap_next(&m->wls, &it, &k, &v)) {
        qwl_t *w = v;
        if (w->state == QWL_RESERVED) {
            /* A reservation whose ClusterQueue (re)appeared counts there now. */
            if (w->usage_cq == NULL && !w->assumed && w->spec->admission) {
                qcq_t *cq = quota__cq(m, w->spec->admission->cluster_queue);
                if (cq)
                    quota__reserve(m, w, cq, w->spec->admission);
            }
            track_eviction(m, w);
            continue;
        }
        w->prio = resolve_priority(m, w->spec);
        if (w->state != QWL_IDLE || wants_queue(w->spec))
            quota__enqueue(m, w, 0);
    }
}

void quota_model_set_cluster_queue(quota_model_t *m, quota_cq_spec_t *spec)
{
    quota__spec_changed(m);
    qcq_t *cq = quota__cq(m, spec->name);
    qnode_t *old_root = NULL;
    if (cq == NULL) {
        cq = rg_calloc(1, sizeof(*cq));
        cq->spec = spec;
        cq->node.name = spec->name;
        cq->reserving.link_off = offsetof(qwl_t, rlink);
        rg_strmap_put(&m->cqs, spec->name, cq);
    } else {
        rg_strmap_del(&m->cqs, cq->spec->name);
        quota_cq_spec_free(cq->spec);
        cq->spec = spec;
        cq->node.name = spec->name;
        rg_strmap_put(&m->cqs, spec->name, cq);
        old_root = quota__root(&cq->node);
    }
    const char *old_cohort = cq->node.parent ? cq->node.parent->name : NULL;
    bool moved = (old_cohort == NULL) != (spec->cohort == NULL) ||
                 (old_cohort && spec->cohort && strcmp(old_cohort, spec->cohort) != 0);
    if (moved) {
        quota__node_detach(m, &cq->node);
        old_root = NULL;
        if (spec->cohort)
            quota__node_attach(quota__cohort_ref(m, spec->cohort), &cq->node);
    }
    cq_apply_quotas(m, cq);
    cq_update_active(m, cq);
    cq->node.weight = spec->fair_weight;
    qnode_t *root = quota__root(&cq->node);
    quota__tree_update(root);
    if (old_root && old_root != root)
        quota__tree_update(old_root);
    quota__wake_tree(m, root);
    reroute_all(m);
    m->generation++;
}

static void cq_free(qcq_t *cq)
{
    cq_groups_release(cq);
    quota_cq_spec_free(cq->spec);
    rg_free(cq->node.e);
    rg_free(cq->heap);
    rg_free(cq->inactive_message);
    rg_free(cq->frs);
    rg_free(cq);
}

void quota_model_remove_cluster_queue(quota_model_t *m, const char *name)
{
    qcq_t *cq = quota__cq(m, name);
    if (cq == NULL)
        return;
    quota__spec_changed(m);
    /* Reservations there stop counting (until it comes back); queued work is rerouted. */
    size_t it = 0;
    const char *k;
    void *v;
    while (rg_strmap_next(&m->wls, &it, &k, &v)) {
        qwl_t *w = v;
        if (w->usage_cq == cq) {
            usage_drop(w);
            rg_free(w->usage);
            w->usage = NULL;
            w->n_usage = 0;
            w->cq = NULL;
        } else if (w->cq == cq) {
            quota__dequeue(m, w);
        }
    }
    quota__node_detach(m, &cq->node);
    rg_strmap_del(&m->cqs, cq->spec->name);
    cq_free(cq);
    reroute_all(m);
    m->generation++;
}

/* ---- flavors, queues, classes, namespaces ---- */

static void all_cqs_changed(quota_model_t *m)
{
    quota__spec_changed(m);
    size_t it = 0;
    const char *k;
    void *v;
    while (rg_strmap_next(&m->cqs, &it, &k, &v)) {
        qcq_t *cq = v;
        cq_update_active(m, cq);
        quota__wake_tree(m, quota__root(&cq->node));
    }
    reroute_all(m);
}

void quota_model_set_flavor(quota_model_t *m, quota_flavor_spec_t *spec)
{
    quota_flavor_spec_t *old = rg_strmap_put(&m->flavors, spec->name, spec);
    quota_flavor_spec_free(old == spec ? NULL : old);
    all_cqs_changed(m);
}

void quota_model_remove_flavor(quota_model_t *m, const char *name)
{
    quota_flavor_spec_free(rg_strmap_del(&m->flavors, name));
    all_cqs_changed(m);
}

void quota_model_set_local_queue(quota_model_t *m, quota_lq_spec_t *spec)
{
    quota__spec_changed(m);
    char *key = rg_asprintf("%s/%s", spec->ns, spec->name);
    char *old_key = rg_strmap_del(&m->lq_keys, key);
    quota_lq_spec_free(rg_strmap_del(&m->lqs, key));
    rg_free(old_key);
    rg_strmap_put(&m->lq_keys, key, key);
    rg_strmap_put(&m->lqs, key, spec);
    reroute_all(m);
}

void quota_model_remove_local_queue(quota_model_t *m, const char *ns, const char *name)
{
    quota__spec_changed(m);
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", ns, name);
    quota_lq_spec_free(rg_strmap_del(&m->lqs, key));
    rg_free(rg_strmap_del(&m->lq_keys, key));
    reroute_all(m);
}

void quota_model_set_class(quota_model_t *m, quota_class_kind_t kind, const char *name,
                           int32_t value, bool global_default)
{
    qclass_t *c = class_get(m, kind, name);
    if (c == NULL) {
        c = rg_calloc(1, sizeof(*c));
        c->key = rg_asprintf("%c/%s", kind == QUOTA_CLASS_POD ? 'P' : 'W', name);
        rg_strmap_put(&m->classes, c->key, c);
    }
    c->value = value;
    c->global_default = global_default;
    quota__spec_changed(m);
    reroute_all(m);
}

void quota_model_remove_class(quota_model_t *m, quota_class_kind_t kind, const char *name)
{
    qclass_t *c = class_get(m, kind, name);
    if (c == NULL)
        return;
    rg_strmap_del(&m->classes, c->key);
    rg_free(c->key);
    rg_free(c);
    quota__spec_changed(m);
    reroute_all(m);
}

void quota_model_set_namespace(quota_model_t *m, const char *name, const cJSON *labels)
{
    quota__spec_changed(m);
    quota_model_remove_namespace(m, name);
    char *key = rg_strdup(name);
    rg_strmap_put(&m->ns_keys, key, key);
    rg_strmap_put(&m->namespaces, key,
                  cJSON_IsObject(labels) ? cJSON_Duplicate(labels, true) : cJSON_CreateObject());
    reroute_all(m);
}

void quota_model_remove_namespace(quota_model_t *m, const char *name)
{
    cJSON *labels = rg_strmap_del(&m->namespaces, name);
    char *key = rg_strmap_del(&m->ns_keys, name);
    if (labels == NULL && key == NULL)
        return;
    quota__spec_changed(m);
    cJSON_Delete(labels);
    rg_free(key);
    reroute_all(m);
}

/* ---- workloads ---- */

static qwl_t *wl_get(const quota_model_t *m, const char *ns, const char *name)
{
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", ns, name);
    return rg_strmap_get(&m->wls, key);
}

/* Adopts what the status says about the last pending note. */
static void take_note(qwl_t *w, const quota_wl_spec_t *s)
{
    quota__set_str(&w->note_reason, s->note.reason);
    quota__set_str(&w->note_message, s->note.message);
    /* The base is the message without raygate's position suffix. */
    const char *cut = s->note.message ? strstr(s->note.message, " (ClusterQueue ") : NULL;
    rg_free(w->note_base);
    w->note_base = s->note.message
                       ? rg_strndup(s->note.message,
                                    cut ? (size_t)(cut - s->note.message) : strlen(s->note.message))
                       : NULL;
    /* The condition's time moves only when its status does: what we wrote
     * later (a new message with the same status) is newer than it says. */
    if (s->note.written_ns > w->note_ns)
        w->note_ns = s->note.written_ns;
}

/* An API version while an assumed admission is outstanding. */
static bool keep_assumption(quota_model_t *m, qwl_t *w, quota_wl_spec_t *spec)
{
    if (!w->assumed)
        return false;
    if (spec->reserved && spec->admission) {
        w->assumed = false; /* the API shows our admission: confirmed */
        quota_admission_free(w->assumed_adm);
        w->assumed_adm = NULL;
        if (w->wake_on_confirm && w->usage_cq) /* a preemptor skipped it: a candidate now */
            quota__wake_tree(m, quota__root(&w->usage_cq->node));
        w->wake_on_confirm = false;
        return false;
    }
    /* A version without it is older than our write, or our write failed
     * (then the admitter says so with quota_model_forget). */
    return !spec->deleting && !spec->finished;
}

static bool str_eq_null(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool reqs_same(const podspec_reqs_t *a, const podspec_reqs_t *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].name, b->v[i].name) != 0 ||
            quota_qty_cmp(&a->v[i].qty, &b->v[i].qty) != 0)
            return false;
    return true;
}

/* Whether two versions of a pending Workload queue and assign alike. */
static bool queue_view_same(const quota_wl_spec_t *a, const quota_wl_spec_t *b)
{
    if (a->reserved || b->reserved || a->admission || b->admission || a->active != b->active ||
        a->finished != b->finished || a->deleting != b->deleting ||
        a->has_priority != b->has_priority || a->priority != b->priority ||
        a->class_kind != b->class_kind || !str_eq_null(a->class_name, b->class_name) ||
        !str_eq_null(a->queue, b->queue) || !str_eq_null(a->invalid, b->invalid) ||
        a->created_ns != b->created_ns || a->evicted != b->evicted ||
        a->evicted_ns != b->evicted_ns || a->requeue_at_ns != b->requeue_at_ns ||
        a->n_podsets != b->n_podsets || a->n_reclaimable != b->n_reclaimable)
        return false;
    for (size_t i = 0; i < a->n_podsets; i++) {
        const quota_podset_spec_t *x = &a->podsets[i], *y = &b->podsets[i];
        if (strcmp(x->name, y->name) != 0 || x->count != y->count ||
            x->min_count != y->min_count || !reqs_same(&x->per_pod, &y->per_pod) ||
            !cJSON_Compare(x->placement, y->placement, true))
            return false;
    }
    return true;
}

/* A workload whose quota goes back for good (finished, deleted,
 * deactivated): a change a thrashing preemptor waits for (quota__may_preempt). */
static void note_departure(quota_model_t *m, const qwl_t *w)
{
    if (w->usage_cq)
        quota__root(&w->usage_cq->node)->left_ns = m->now_ns;
}

void quota_model_set_workload(quota_model_t *m, quota_wl_spec_t *spec)
{
    qwl_t *w = wl_get(m, spec->ns, spec->name);
    if (w == NULL) {
        w = rg_calloc(1, sizeof(*w));
        w->key = rg_asprintf("%s/%s", spec->ns, spec->name);
        rg_strmap_put(&m->wls, w->key, w);
    }
    quota_wl_spec_t *old = w->spec;
    if (old && queue_view_same(old, spec) && (w->state == QWL_QUEUED || w->state == QWL_PARKED ||
                                              w->state == QWL_BLOCKED || w->state == QWL_BACKOFF)) {
        /* A pending Workload whose new version changes nothing the queue sees
         * (e.g. the status note just written): no re-evaluation. */
        w->spec = spec;
        quota_wl_spec_free(old);
        take_note(w, spec);
        return;
    }
    bool keep = keep_assumption(m, w, spec);
    w->spec = spec;
    quota_wl_spec_free(old);
    w->prio = resolve_priority(m, spec);
    w->order_ns = order_time(spec);
    if (!w->assumed || !keep)
        take_note(w, spec);
    if (keep)
        return;
    bool holds = spec->reserved && spec->admission && !spec->finished;
    if (holds) {
        qcq_t *cq = quota__cq(m, spec->admission->cluster_queue);
        quota__dequeue(m, w);
        if (cq == NULL) {
            quota__unreserve(m, w);
            w->state = QWL_RESERVED; /* counts once its ClusterQueue exists */
        } else {
            quota__reserve(m, w, cq, spec->admission);
        }
        if (!spec->evicted)
            w->evict_sent = false;
        else
            w->preempt_sent = false; /* the API shows the eviction now */
        track_eviction(m, w);
        quota__unready_track(m, w);
        return;
    }
    if (!wants_queue(spec))
        note_departure(m, w);
    quota__dequeue(m, w);
    quota__unreserve(m, w);
    w->evict_sent = false;
    w->preempt_sent = false;
    quota__enqueue(m, w, 0);
}

static void wl_free(qwl_t *w)
{
    quota_wl_spec_free(w->spec);
    quota_admission_free(w->assumed_adm);
    rg_free(w->usage);
    rg_free(w->key);
    rg_free(w->note_reason);
    rg_free(w->note_base);
    rg_free(w->note_message);
    rg_free(w->wait_reason);
    rg_free(w->wait_base);
    rg_free(w);
}

void quota_model_remove_workload(quota_model_t *m, const char *ns, const char *name)
{
    qwl_t *w = wl_get(m, ns, name);
    if (w == NULL)
        return;
    note_departure(m, w);
    quota__dequeue(m, w);
    quota__unreserve(m, w);
    rg_strmap_del(&m->wls, w->key);
    wl_free(w);
}

void quota_model_forget(quota_model_t *m, const char *ns, const char *name)
{
    qwl_t *w = wl_get(m, ns, name);
    if (w == NULL || !w->assumed)
        return;
    w->assumed = false;
    w->wake_on_confirm = false;
    quota_admission_free(w->assumed_adm);
    w->assumed_adm = NULL;
    quota__unreserve(m, w);
    quota__enqueue(m, w, 0);
}

void quota_model_eviction_failed(quota_model_t *m, const char *ns, const char *name)
{
    qwl_t *w = wl_get(m, ns, name);
    /* A version of the victim seen meanwhile may have cleared evict_sent
     * already; preempt_sent stays until the API shows the eviction. */
    if (w == NULL || (!w->evict_sent && !w->preempt_sent))
        return;
    w->evict_sent = false;
    w->preempt_sent = false;
    track_eviction(m, w);
    /* A preemption's or a timeout's eviction is decided again in the next
     * pass: the preemptor, parked while it waited for its victims, looks again. */
    if (w->usage_cq)
        quota__wake_tree(m, quota__root(&w->usage_cq->node));
}

void quota_model_wake_all(quota_model_t *m)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (rg_strmap_next(&m->cqs, &it, &k, &v))
        quota__wake_tree(m, quota__root(&((qcq_t *)v)->node));
}

static void free_wl(void *v)
{
    wl_free(v);
}
static void free_cq(void *v)
{
    cq_free(v);
}
static void free_cohort(void *v)
{
    quota__cohort_free(v);
}
static void free_flavor(void *v)
{
    quota_flavor_spec_free(v);
}
static void free_lq(void *v)
{
    quota_lq_spec_free(v);
}
static void free_json(void *v)
{
    cJSON_Delete(v);
}

static void free_class(void *v)
{
    rg_free(((qclass_t *)v)->key);
    rg_free(v);
}

void quota_model_free(quota_model_t *m)
{
    if (m == NULL)
        return;
    rg_strmap_release_with(&m->wls, free_wl);
    rg_strmap_release_with(&m->cqs, free_cq);
    rg_strmap_release_with(&m->cohorts, free_cohort);
    rg_strmap_release_with(&m->flavors, free_flavor);
    rg_strmap_release_with(&m->lqs, free_lq);
    rg_strmap_release_with(&m->lq_keys, rg_free);
    rg_strmap_release_with(&m->classes, free_class);
    rg_strmap_release_with(&m->namespaces, free_json);
    rg_strmap_release_with(&m->ns_keys, rg_free);
    quota__names_release(&m->flavor_names);
    quota__names_release(&m->resource_names);
    rg_free(m);
}

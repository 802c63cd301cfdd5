/*
 * The admitter's metrics under Kueue's names and labels, so Kueue's
 * dashboards and alerts keep working, and its audit records (one per
 * decision).
 */
#include "internal.h"

#include "raygate/alloc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct admit_metrics {
    metrics_gauge_t *pending;
    metrics_gauge_t *reserving;
    metrics_gauge_t *admitted_active;
    metrics_counter_t *quota_reserved_total;
    metrics_counter_t *admitted_total;
    metrics_histogram_t *quota_reserved_wait;
    metrics_histogram_t *admission_wait;
    metrics_counter_t *evicted_total;
    metrics_gauge_t *usage;
    metrics_gauge_t *reservation;
    metrics_gauge_t *nominal;
    metrics_gauge_t *borrowing_limit;
    metrics_gauge_t *lending_limit;
    metrics_gauge_t *cq_status;
    metrics_gauge_t *cq_share;
    metrics_gauge_t *cohort_share;
    metrics_counter_t *attempts;
    metrics_counter_t *writes;
    metrics_histogram_t *write_latency;
};

/* Kueue's wait-time buckets: 2^0 .. 2^13 seconds. */
static const double wait_buckets[] = {1,   2,   4,   8,    16,   32,   64,
                                      128, 256, 512, 1024, 2048, 4096, 8192};

struct admit_metrics *admit__metrics_new(metrics_registry_t *reg)
{
    if (reg == NULL)
        return NULL;
    static const char *const cq_status[] = {"cluster_queue", "status", "replica_role"};
    static const char *const cq_role[] = {"cluster_queue", "replica_role"};
    static const char *const cq_prio[] = {"cluster_queue", "priority_class", "replica_role"};
    static const char *const evicted[] = {"cluster_queue", "reason", "underlying_cause",
                                          "priority_class", "replica_role"};
    static const char *const fr[] = {"cohort", "cluster_queue", "flavor", "resource",
                                     "replica_role"};
    static const char *const result[] = {"result", "replica_role"};
    static const char *const writes[] = {"purpose", "outcome"};
    struct admit_metrics *m = rg_calloc(1, sizeof(*m));
    rg_error_t err = {0};
    m->pending =
        metrics_gauge_new(reg, "kueue_pending_workloads",
                          "Pending workloads, by cluster_queue and status "
                          "(active: queued; inadmissible: parked until something changes).",
                          cq_status, 3, &err);
    m->reserving =
        metrics_gauge_new(reg, "kueue_reserving_active_workloads",
                          "Workloads reserving quota, by cluster_queue.", cq_role, 2, &err);
    m->admitted_active =
        metrics_gauge_new(reg, "kueue_admitted_active_workloads",
                          "Admitted workloads that are active (not finished).", cq_role, 2, &err);
    m->quota_reserved_total =
        metrics_counter_new(reg, "kueue_quota_reserved_workloads_total",
                            "Quota reservations, by cluster_queue.", cq_prio, 3, &err);
    m->admitted_total = metrics_counter_new(reg, "kueue_admitted_workloads_total",
                                            "Admissions, by cluster_queue.", cq_prio, 3, &err);
    m->quota_reserved_wait =
        metrics_histogram_new(reg, "kueue_quota_reserved_wait_time_seconds",
                              "Time from creation or requeue to quota reservation.", cq_prio, 3,
                              wait_buckets, sizeof(wait_buckets) / sizeof(wait_buckets[0]), &err);
    m->admission_wait = metrics_histogram_new(
        reg, "kueue_admission_wait_time_seconds", "Time from creation or requeue to admission.",
        cq_prio, 3, wait_buckets, sizeof(wait_buckets) / sizeof(wait_buckets[0]), &err);
    m->evicted_total =
        metrics_counter_new(reg, "kueue_evicted_workloads_total",
                            "Evictions, by cluster_queue and reason.", evicted, 5, &err);
    m->usage = metrics_gauge_new(reg, "kueue_cluster_queue_resource_usage",
                                 "Quantity in use by admitted workloads, by flavor and resource.",
                                 fr, 5, &err);
    m->reservation =
        metrics_gauge_new(reg, "kueue_cluster_queue_resource_reservation",
                          "Quantity reserved by workloads, by flavor and resource.", fr, 5, &err);
    m->nominal = metrics_gauge_new(reg, "kueue_cluster_queue_nominal_quota",
                                   "nominalQuota, by flavor and resource.", fr, 5, &err);
    m->borrowing_limit = metrics_gauge_new(reg, "kueue_cluster_queue_borrowing_limit",
                                           "borrowingLimit, by flavor and resource.", fr, 5, &err);
    m->lending_limit = metrics_gauge_new(reg, "kueue_cluster_queue_lending_limit",
                                         "lendingLimit, by flavor and resource.", fr, 5, &err);
    m->cq_status = metrics_gauge_new(reg, "kueue_cluster_queue_status",
                                     "1 for the ClusterQueue's status (pending, active, "
                                     "terminating), 0 for the others.",
                                     cq_status, 3, &err);
    static const char *const cq_cohort[] = {"cluster_queue", "cohort", "replica_role"};
    static const char *const cohort_role[] = {"cohort", "replica_role"};
    m->cq_share = metrics_gauge_new(reg, "kueue_cluster_queue_weighted_share",
                                    "Fair sharing: the ClusterQueue's dominant resource share "
                                    "over its weight (0: within nominal quota; NaN: weight 0 "
                                    "and borrowing).",
                                    cq_cohort, 3, &err);
    m->cohort_share = metrics_gauge_new(reg, "kueue_cohort_weighted_share",
                                        "Fair sharing: the Cohort's dominant resource share over "
                                        "its weight (0: within its quota).",
                                        cohort_role, 2, &err);
    m->attempts =
        metrics_counter_new(reg, "kueue_admission_attempts_total",
                            "Workloads evaluated for admission, by result.", result, 2, &err);
    m->writes =
        metrics_counter_new(reg, "raygate_admitter_writes_total",
                            "API writes of the admitter, by purpose and outcome.", writes, 2, &err);
    m->write_latency =
        metrics_histogram_new(reg, "raygate_admitter_write_duration_seconds",
                              "Latency of the admitter's API writes.", NULL, 0, NULL, 0, &err);
    return m;
}

void admit__metrics_free(struct admit_metrics *m)
{
    rg_free(m); /* the instruments belong to the registry */
}

static const char *role(const struct admit *a)
{
    return a->opts.client ? "leader" : "standalone";
}

void admit__metrics_decision(struct admit *a, const quota_decision_t *d)
{
    struct admit_metrics *m = a->metrics;
    if (m == NULL)
        return;
    const char *cq = d->cluster_queue ? d->cluster_queue : "";
    const char *prio[] = {cq, d->priority_class, role(a)};
    if (d->kind == QUOTA_DECISION_ADMIT) {
        metrics_counter_add(m->quota_reserved_total, prio, 1);
        metrics_counter_add(m->admitted_total, prio, 1);
        metrics_histogram_observe(m->quota_reserved_wait, prio, (double)d->wait_ns / 1e9);
        metrics_histogram_observe(m->admission_wait, prio, (double)d->wait_ns / 1e9);
        const char *res[] = {"success", role(a)};
        metrics_counter_add(m->attempts, res, 1);
    } else if (d->kind == QUOTA_DECISION_EVICT) {
        const char *ev[] = {cq, d->reason, "", d->priority_class, role(a)};
        metrics_counter_add(m->evicted_total, ev, 1);
    } else {
        const char *res[] = {"inadmissible", role(a)};
        metrics_counter_add(m->attempts, res, 1);
    }
}

static const char *const outcome_names[] = {"ok",      "conflict", "gone",   "exists",
                                            "unknown", "refused",  "skipped"};

void admit__metrics_write(struct admit *a, const admit_write_t *w)
{
    static const char *const purpose_names[] = {
        "admission", "verify",      "pending",    "eviction",     "release",   "finish", "create",
        "delete",    "owner-start", "owner-stop", "queue-status", "finalizer", "plan",
        "annotation", "deactivate", "pods-ready", "owner-notice"};
    struct admit_metrics *m = a->metrics;
    if (m == NULL)
        return;
    const char *labels[] = {purpose_names[w->purpose], outcome_names[w->outcome]};
    metrics_counter_add(m->writes, labels, 1);
    metrics_histogram_observe(m->write_latency, NULL, (double)w->latency_ns / 1e9);
}

static double qty_value(const quota_qty_t *q)
{
    return (double)q->nano / 1e9;
}

void admit__metrics_queues(struct admit *a)
{
    struct admit_metrics *m = a->metrics;
    if (m == NULL)
        return;
    size_t n = quota_model_cq_count(a->model);
    for (size_t i = 0; i < n; i++) {
        quota_cq_status_t st;
        if (quota_model_cq_status(a->model, i, &st) != RG_OK)
            continue;
        const char *r = role(a);
        const char *cqr[] = {st.name, r};
        const char *active[] = {st.name, "active", r};
        const char *inadmissible[] = {st.name, "inadmissible", r};
        metrics_gauge_set(m->pending, active, (double)st.pending);
        metrics_gauge_set(m->pending, inadmissible, 0);
        metrics_gauge_set(m->reserving, cqr, (double)st.reserving);
        metrics_gauge_set(m->admitted_active, cqr, (double)st.admitted);
        static const char *const states[] = {"pending", "active", "terminating"};
        const char *now = st.active ? "active"
                          : (st.inactive_reason && strcmp(st.inactive_reason, "Terminating") == 0)
                              ? "terminating"
                              : "pending";
        for (size_t s = 0; s < 3; s++) {
            const char *l[] = {st.name, states[s], r};
            metrics_gauge_set(m->cq_status, l, strcmp(states[s], now) == 0 ? 1 : 0);
        }
        if (st.fair_sharing) {
            /* Kueue reports +inf (weight 0, borrowing) as NaN for a ClusterQueue. */
            const char *l[] = {st.name, st.cohort ? st.cohort : "", r};
            metrics_gauge_set(m->cq_share, l, isinf(st.weighted_share) ? NAN : st.weighted_share);
        }
        for (size_t f = 0; f < st.n_frs; f++) {
            const quota_fr_status_t *fr = &st.frs[f];
            const char *l[] = {st.cohort ? st.cohort : "", st.name, fr->flavor, fr->resource, r};
            metrics_gauge_set(m->usage, l, qty_value(&fr->usage));
            metrics_gauge_set(m->reservation, l, qty_value(&fr->usage));
            metrics_gauge_set(m->nominal, l, qty_value(&fr->nominal));
            if (fr->borrowing.set)
                metrics_gauge_set(m->borrowing_limit, l, qty_value(&fr->borrowing.v));
            if (fr->lending.set)
                metrics_gauge_set(m->lending_limit, l, qty_value(&fr->lending.v));
        }
    }
}

void admit__metrics_cohort(struct admit *a, const char *cohort, double share)
{
    struct admit_metrics *m = a->metrics;
    if (m == NULL || !a->policy.fair_sharing)
        return;
    const char *l[] = {cohort, role(a)};
    metrics_gauge_set(m->cohort_share, l, share);
}

void admit__audit(struct admit *a, const char *kind, const char *ns, const char *name,
                  const char *decision, const char *reason)
{
    if (a->opts.audit == NULL)
        return;
    audit_record_t rec = {
        .operation = "ADMIT",
        .group = strcmp(kind, "Workload") == 0 ? "kueue.x-k8s.io" : "ray.io",
        .kind = kind,
        .namespace = ns,
        .name = name,
        .endpoint = "admitter",
        .decision = decision,
        .reason = reason,
        .user = "raygate-admitter",
    };
    audit_log_write(a->opts.audit, &rec);
}

/*
 * The daemon's Prometheus instruments: requests by endpoint and code,
 * latency by endpoint, admission decisions by kind and outcome, audit
 * health, build info.
 */
#include "serve_internal.h"

#include "raygate/alloc.h"
#include "raygate/metrics.h"
#include "raygate/version.h"

#include <stdio.h>

struct serve_metrics {
    metrics_registry_t *reg;
    metrics_counter_t *requests;
    metrics_histogram_t *latency;
    metrics_counter_t *decisions;
    metrics_histogram_t *ext_latency;
    metrics_counter_t *ext_decisions;
    metrics_counter_t *ext_gangs;
};

/* Extender compute time: 10 µs .. 1 s (a 5,000-node filter is tens of ms). */
static const double ext_buckets[] = {0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                     0.0025,  0.005,   0.01,   0.025,   0.05,   0.1,
                                     0.25,    0.5,     1};

static double ext_plans(void *arg)
{
    serve_app_t *app = arg;
    ext_stats_t st = {0};
    if (app->ext)
        ext_stats_get(app->ext, 0, &st);
    return (double)st.plans;
}

static double ext_claims(void *arg)
{
    serve_app_t *app = arg;
    ext_stats_t st = {0};
    if (app->ext)
        ext_stats_get(app->ext, 0, &st);
    return (double)st.claims;
}

static double audit_failures(void *arg)
{
    serve_app_t *app = arg;
    return app->audit ? (double)audit_log_failures(app->audit) : 0;
}

static double audit_records(void *arg)
{
    serve_app_t *app = arg;
    return app->audit ? (double)audit_log_records(app->audit) : 0;
}

static double ready(void *arg)
{
    serve_app_t *app = arg;
    return atomic_load(&app->ready) && app->caches && cache_set_synced(app->caches) ? 1 : 0;
}

static double inflight(void *arg)
{
    serve_app_t *app = arg;
    return app->server ? (double)http_server_inflight(app->server) : 0;
}

metrics_registry_t *serve__metrics_registry(serve_metrics_t *m)
{
    return m->reg;
}

serve_metrics_t *serve__metrics_new(serve_app_t *app, rg_error_t *err)
{
    static const char *const req_labels[] = {"endpoint", "code"};
    static const char *const lat_labels[] = {"endpoint"};
    static const char *const dec_labels[] = {"endpoint", "kind", "decision"};
    static const char *const build_labels[] = {"version"};
    static const char *const verb_labels[] = {"verb"};
    static const char *const ext_dec_labels[] = {"verb", "decision"};
    static const char *const gang_labels[] = {"outcome"};
    serve_metrics_t *m = rg_calloc(1, sizeof(*m));
    m->reg = metrics_registry_new();
    m->requests = metrics_counter_new(m->reg, "raygate_http_requests_total",
                                      "HTTP requests answered, by endpoint and status code.",
                                      req_labels, 2, err);
    m->latency = metrics_histogram_new(m->reg, "raygate_http_request_duration_seconds",
                                       "Time from request headers to the end of the response.",
                                       lat_labels, 1, NULL, 0, err);
    m->decisions = metrics_counter_new(m->reg, "raygate_admission_decisions_total",
                                       "Admission decisions, by endpoint, kind and decision.",
                                       dec_labels, 3, err);
    m->ext_latency = metrics_histogram_new(
        m->reg, "raygate_extender_duration_seconds",
        "Scheduler extender compute time per verb (decode, decide, encode; no transport).",
        verb_labels, 1, ext_buckets, sizeof(ext_buckets) / sizeof(ext_buckets[0]), err);
    m->ext_decisions = metrics_counter_new(m->reg, "raygate_extender_decisions_total",
                                           "Scheduler extender answers, by verb and decision.",
                                           ext_dec_labels, 2, err);
    m->ext_gangs = metrics_counter_new(m->reg, "raygate_extender_gang_outcomes_total",
                                       "Gang events: planned, steered, replanned, refused, "
                                       "expired, released, completed.",
                                       gang_labels, 1, err);
    metrics_gauge_t *build = metrics_gauge_new(m->reg, "raygate_build_info",
                                               "raygate's version; always 1.", build_labels, 1, err);
    if (!m->requests || !m->latency || !m->decisions || !build || !m->ext_latency ||
        !m->ext_decisions || !m->ext_gangs ||
        !metrics_gauge_func_new(m->reg, "raygate_extender_gang_plans",
                                "Gangs planned by the extender and still held.", ext_plans, app,
                                err) ||
        !metrics_gauge_func_new(m->reg, "raygate_extender_claims",
                                "Pods steered or bound, not yet seen bound in the pod cache.",
                                ext_claims, app, err) ||
        !metrics_counter_func_new(m->reg, "raygate_audit_write_failures_total",
                                  "Audit records that could not be written.", audit_failures, app,
                                  err) ||
        !metrics_counter_func_new(m->reg, "raygate_audit_records_total",
                                  "Audit records written.", audit_records, app, err) ||
        !metrics_gauge_func_new(m->reg, "raygate_ready", "1 when /readyz answers ok.", ready, app,
                                err) ||
        !metrics_gauge_func_new(m->reg, "raygate_http_requests_in_flight",
                                "Requests being handled now.", inflight, app, err)) {
        serve__metrics_free(m);
        return NULL;
    }
    const char *version[] = {rg_version()};
    metrics_gauge_set(build, version, 1);
    return m;
}

void serve__metrics_free(serve_metrics_t *m)
{
    if (m == NULL)
        return;
    metrics_registry_free(m->reg);
    rg_free(m);
}

void serve__metrics_observe(void *ctx, const char *route, int status, double seconds)
{
    serve_metrics_t *m = ctx;
    char code[12];
    snprintf(code, sizeof(code), "%d", status);
    const char *req_values[] = {route, code};
    metrics_counter_add(m->requests, req_values, 1);
    const char *lat_values[] = {route};
    metrics_histogram_observe(m->latency, lat_values, seconds);
}

void serve__metrics_decision(serve_metrics_t *m, const char *endpoint, const char *kind,
                             const char *outcome)
{
    const char *values[] = {endpoint, kind, outcome};
    metrics_counter_add(m->decisions, values, 1);
}

void serve__metrics_extender(serve_metrics_t *m, const char *verb, const char *decision,
                             double seconds)
{
    const char *v[] = {verb};
    metrics_histogram_observe(m->ext_latency, v, seconds);
    const char *vd[] = {verb, decision};
    metrics_counter_add(m->ext_decisions, vd, 1);
}

void serve__metrics_gang(serve_metrics_t *m, const char *outcome)
{
    const char *v[] = {outcome};
    metrics_counter_add(m->ext_gangs, v, 1);
}

/* Stats kept by other modules as monotonic numbers, written straight into
 * the exposition rather than mirrored into the registry. */
static void family(rg_buf_t *out, const char *name, const char *type, const char *help)
{
    rg_buf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_caches(serve_app_t *app, rg_buf_t *out)
{
    static const struct {
        const char *name, *type, *help;
    } fams[] = {
        {"raygate_cache_objects", "gauge", "Objects in the cache, by kind."},
        {"raygate_cache_synced", "gauge", "1 once the kind's first list (or load) is done."},
        {"raygate_cache_lists_total", "counter", "Complete lists, the first included."},
        {"raygate_cache_relists_total", "counter", "Lists after the first (410 Gone, recovery)."},
        {"raygate_cache_watch_restarts_total", "counter", "Watches re-opened after one ended."},
        {"raygate_cache_errors_total", "counter", "Failed lists and watches."},
    };
    cache_stats_t st[CACHE_KIND_COUNT];
    for (int k = 0; k < CACHE_KIND_COUNT; k++)
        cache_set_stats_get(app->caches, (cache_kind_t)k, &st[k]);
    for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
        family(out, fams[f].name, fams[f].type, fams[f].help);
        for (int k = 0; k < CACHE_KIND_COUNT; k++) {
            if (!st[k].enabled)
                continue;
            uint64_t v[] = {st[k].objects, st[k].synced, st[k].lists, st[k].relists,
                            st[k].watch_restarts, st[k].errors};
            rg_buf_appendf(out, "%s{kind=\"%s\"} %llu\n", fams[f].name,
                           cache_kind_name((cache_kind_t)k), (unsigned long long)v[f]);
        }
    }
}

static void counter_line(rg_buf_t *out, const char *name, const char *help, uint64_t v)
{
    family(out, name, "counter", help);
    rg_buf_appendf(out, "%s %llu\n", name, (unsigned long long)v);
}

static void render_client(serve_app_t *app, rg_buf_t *out)
{
    kube_client_stats_t c;
    kube_client_stats_get(app->client, &c);
    counter_line(out, "raygate_kube_requests_total", "API server requests (attempts).", c.requests);
    counter_line(out, "raygate_kube_retries_total", "API server requests that were retries.",
                 c.retries);
    family(out, "raygate_kube_errors_total", "counter", "API server request failures, by class.");
    rg_buf_appendf(out,
                   "raygate_kube_errors_total{class=\"transport\"} %llu\n"
                   "raygate_kube_errors_total{class=\"4xx\"} %llu\n"
                   "raygate_kube_errors_total{class=\"5xx\"} %llu\n"
                   "raygate_kube_errors_total{class=\"throttled\"} %llu\n",
                   (unsigned long long)c.errors_transport, (unsigned long long)c.errors_4xx,
                   (unsigned long long)c.errors_5xx, (unsigned long long)c.throttled);
    family(out, "raygate_kube_request_duration_seconds", "summary",
           "API server request latency (watches excluded).");
    rg_buf_appendf(out,
                   "raygate_kube_request_duration_seconds_sum %.6f\n"
                   "raygate_kube_request_duration_seconds_count %llu\n",
                   (double)c.latency_ns_sum / 1e9, (unsigned long long)c.latency_count);
    counter_line(out, "raygate_kube_watches_total", "Watch streams opened.", c.watches);
}

static void render_leader(serve_app_t *app, rg_buf_t *out)
{
    leader_stats_t l;
    leader_elector_stats_get(app->leader, &l);
    family(out, "raygate_leader", "gauge", "1 while this replica holds the lease.");
    rg_buf_appendf(out, "raygate_leader %d\n", l.is_leader ? 1 : 0);
    counter_line(out, "raygate_leader_acquired_total", "Times this replica started leading.",
                 l.became_leader);
    counter_line(out, "raygate_leader_lost_total", "Times it stopped leading other than by stop.",
                 l.lost);
    counter_line(out, "raygate_leader_renew_failures_total", "Lease renewals that failed.",
                 l.renew_failures);
    events_stats_t e;
    events_recorder_stats_get(app->events, &e);
    counter_line(out, "raygate_events_sent_total", "Events created.", e.sent);
    counter_line(out, "raygate_events_rate_limited_total", "Events refused by the rate limit.",
                 e.rate_limited);
    counter_line(out, "raygate_events_dropped_total", "Events dropped (queue full or at stop).",
                 e.dropped);
}

void serve__metrics_render(serve_app_t *app, rg_buf_t *out)
{
    metrics_registry_render(app->metrics->reg, out);
    if (app->caches)
        render_caches(app, out);
    if (app->client)
        render_client(app, out);
    if (app->leader && app->events)
        render_leader(app, out);
}

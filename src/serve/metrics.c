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
};

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
    return atomic_load(&app->ready) ? 1 : 0;
}

static double inflight(void *arg)
{
    serve_app_t *app = arg;
    return app->server ? (double)http_server_inflight(app->server) : 0;
}

serve_metrics_t *serve__metrics_new(serve_app_t *app, rg_error_t *err)
{
    static const char *const req_labels[] = {"endpoint", "code"};
    static const char *const lat_labels[] = {"endpoint"};
    static const char *const dec_labels[] = {"endpoint", "kind", "decision"};
    static const char *const build_labels[] = {"version"};
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
    metrics_gauge_t *build = metrics_gauge_new(m->reg, "raygate_build_info",
                                               "raygate's version; always 1.", build_labels, 1, err);
    if (!m->requests || !m->latency || !m->decisions || !build ||
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

void serve__metrics_render(serve_metrics_t *m, rg_buf_t *out)
{
    metrics_registry_render(m->reg, out);
}

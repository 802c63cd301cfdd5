/*
 * The serve module's shared state: the app struct the route handlers read,
 * and the metric instruments they update.
 */
#ifndef RAYGATE_SERVE_INTERNAL_H
#define RAYGATE_SERVE_INTERNAL_H

#include "raygate/audit.h"
#include "raygate/http.h"
#include "raygate/serve.h"
#include "raygate/view.h"

#include <stdatomic.h>
#include <stdbool.h>

typedef struct serve_metrics serve_metrics_t;

#define SERVE_MAX_ROUTES 16

struct serve_app {
    cfg_config_t cfg;
    char *cert_path;
    char *key_path;
    char *audit_path;
    audit_log_t *audit;
    serve_metrics_t *metrics;
    view_t *view;
    http_server_t *server;
    http_route_t routes[SERVE_MAX_ROUTES];
    size_t n_routes;
    atomic_bool ready;
};

/* Route handlers (http_handler_fn); ctx is the app. */
void serve__on_mutate(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_validate(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_convert(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_not_implemented(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_healthz(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_readyz(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_metrics(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_version(void *ctx, const http_request_t *req, http_response_t *resp);

/* Metric instruments. */
serve_metrics_t *serve__metrics_new(serve_app_t *app, rg_error_t *err);
void serve__metrics_free(serve_metrics_t *m);
/* http_observe_fn: requests by endpoint and code, latency by endpoint. */
void serve__metrics_observe(void *ctx, const char *route, int status, double seconds);
/* One admission decision of kind ("RayCluster") and outcome ("patched"). */
void serve__metrics_decision(serve_metrics_t *m, const char *endpoint, const char *kind,
                             const char *outcome);
void serve__metrics_render(serve_metrics_t *m, rg_buf_t *out);

#endif

/*
 * The serve module's shared state: the app struct the route handlers read,
 * and the metric instruments they update.
 */
#ifndef RAYGATE_SERVE_INTERNAL_H
#define RAYGATE_SERVE_INTERNAL_H

#include "raygate/admit.h"
#include "raygate/audit.h"
#include "raygate/cache.h"
#include "raygate/cainject.h"
#include "raygate/events.h"
#include "raygate/extender.h"
#include "raygate/http.h"
#include "raygate/kube.h"
#include "raygate/leader.h"
#include "raygate/serve.h"
#include "raygate/validate.h"
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
    char *source;                /* where the cluster view comes from, for logs and /readyz */
    cache_set_t *caches;         /* the cluster view: watches, or standalone manifests */
    kube_client_t *client;       /* NULL when standalone */
    kube_client_t *lease_client; /* short timeouts: a renewal must not outlive its deadline */
    leader_elector_t *leader;    /* NULL when standalone */
    events_recorder_t *events;   /* NULL when standalone */
    kube_client_t *admit_client; /* the admitter's writes: its own rate limit */
    admit_t *admit;              /* the quota admitter (leads when leader, or standalone) */
    cainj_t *cainj;              /* CA injection (leader only); NULL when not configured */
    ext_t *ext;                  /* the scheduler extender */
    http_server_t *server;
    http_route_t routes[SERVE_MAX_ROUTES];
    size_t n_routes;
    /* server.metricsListen: GET /metrics and /healthz only, so a loopback-only
     * replica (the extender sidecar) can still be scraped. NULL when unset. */
    http_server_t *metrics_server;
    http_route_t metrics_routes[2];
    atomic_bool ready;
};

/* Route handlers (http_handler_fn); ctx is the app. */
void serve__on_mutate(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_validate(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_convert(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_ext_filter(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_ext_prioritize(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_ext_bind(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_ext_preempt(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_healthz(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_readyz(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_metrics(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_version(void *ctx, const http_request_t *req, http_response_t *resp);
/* The read-only status page (HTML) and its document (JSON), from this replica's caches. */
void serve__on_status(void *ctx, const http_request_t *req, http_response_t *resp);
void serve__on_status_json(void *ctx, const http_request_t *req, http_response_t *resp);

/*
 * The validators' view of the cluster: the kinds their reference rules
 * read, from the caches' current snapshots. Acquire per request; release
 * when the decision is made.
 */
#define SERVE_CLUSTER_KINDS 5
typedef struct serve_cluster {
    cache_snapshot_t *snaps[SERVE_CLUSTER_KINDS];
    size_t total;
} serve_cluster_t;

void serve__cluster_acquire(serve_app_t *app, serve_cluster_t *sc, wh_cluster_t *out);
void serve__cluster_release(serve_cluster_t *sc);

/* A comma-joined list split into owned strings (each and the array: rg_free). */
char **serve__split_list(const char *list, size_t *n);

/* Metric instruments. */
serve_metrics_t *serve__metrics_new(serve_app_t *app, rg_error_t *err);
void serve__metrics_free(serve_metrics_t *m);
/* http_observe_fn: requests by endpoint and code, latency by endpoint. */
void serve__metrics_observe(void *ctx, const char *route, int status, double seconds);
/* One admission decision of kind ("RayCluster") and outcome ("patched"). */
void serve__metrics_decision(serve_metrics_t *m, const char *endpoint, const char *kind,
                             const char *outcome);
/* The registry the admitter adds its instruments to (borrowed from m). */
metrics_registry_t *serve__metrics_registry(serve_metrics_t *m);
/* CA injection from the configuration, when connected and configured. */
int serve__cainject_new(serve_app_t *app, rg_error_t *err);
/* One extender verb's decision and its compute time. */
void serve__metrics_extender(serve_metrics_t *m, const char *verb, const char *decision,
                             double seconds);
/* One gang outcome ("planned", "steered", ...). */
void serve__metrics_gang(serve_metrics_t *m, const char *outcome);
/* The extender over the app's caches and client (after they exist). */
int serve__extender_new(serve_app_t *app, rg_error_t *err);
/* The registry, then the cluster-side stats (caches, client, lease, events). */
void serve__metrics_render(serve_app_t *app, rg_buf_t *out);

#endif

/*
 * Assembles the daemon: certificates (given or self-signed), audit log,
 * metrics, cluster view and routes; then waits for signals and drains.
 */
#include "serve_internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/tls.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* How long a graceful stop waits for requests in flight. */
#define SERVE_DRAIN_MS 30000

void serve_signals_block(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void add_route(serve_app_t *app, const char *path, const char *method, size_t max_body,
                      http_handler_fn fn, const char *name)
{
    app->routes[app->n_routes++] = (http_route_t){
        .path = path, .method = method, .max_body = max_body, .fn = fn, .ctx = app, .name = name};
}

static void build_routes(serve_app_t *app)
{
    size_t adm = app->cfg.max_body_bytes;
    size_t ext = app->cfg.max_extender_body_bytes;
    add_route(app, "/mutate", "POST", adm, serve__on_mutate, "mutate");
    add_route(app, "/validate", "POST", adm, serve__on_validate, "validate");
    add_route(app, "/convert", "POST", adm, serve__on_convert, "convert");
    add_route(app, "/scheduler/filter", "POST", ext, serve__on_not_implemented, "scheduler/filter");
    add_route(app, "/scheduler/prioritize", "POST", ext, serve__on_not_implemented,
              "scheduler/prioritize");
    add_route(app, "/scheduler/bind", "POST", adm, serve__on_not_implemented, "scheduler/bind");
    add_route(app, "/scheduler/preempt", "POST", ext, serve__on_not_implemented,
              "scheduler/preempt");
    add_route(app, "/healthz", "GET", 0, serve__on_healthz, "healthz");
    add_route(app, "/readyz", "GET", 0, serve__on_readyz, "readyz");
    add_route(app, "/metrics", "GET", 0, serve__on_metrics, "metrics");
    add_route(app, "/version", "GET", 0, serve__on_version, "version");
}

static int resolve_certs(serve_app_t *app, rg_error_t *err)
{
    if (app->cfg.cert_file && app->cfg.key_file) {
        app->cert_path = rg_strdup(app->cfg.cert_file);
        app->key_path = rg_strdup(app->cfg.key_file);
        return RG_OK;
    }
    int rc = tls_self_signed_ensure(app->cfg.state_dir, &app->cert_path, &app->key_path, err);
    if (rc == RG_OK)
        rg_log_info("serve", "using a self-signed certificate for localhost cert=\"%s\" key=\"%s\"",
                    app->cert_path, app->key_path);
    return rc;
}

static int open_audit(serve_app_t *app, rg_error_t *err)
{
    app->audit_path = app->cfg.audit_path ? rg_strdup(app->cfg.audit_path)
                                          : rg_asprintf("%s/audit.log", app->cfg.state_dir);
    audit_opts_t opts = {
        .path = app->audit_path,
        .max_bytes = app->cfg.audit_max_bytes,
        .max_files = app->cfg.audit_max_files,
    };
    app->audit = audit_log_open(&opts, err);
    if (app->audit == NULL)
        return err ? err->code : RG_ERR_IO;
    rg_log_info("serve", "audit log open path=\"%s\"", app->audit_path);
    return RG_OK;
}

static int load_view(serve_app_t *app, rg_error_t *err)
{
    if (app->cfg.standalone_dir)
        app->view = view_load_dir(app->cfg.standalone_dir, err);
    else
        app->view = view_load_embedded(err);
    if (app->view == NULL)
        return err ? err->code : RG_ERR_IO;
    rg_log_info("serve",
                "standalone cluster view loaded source=\"%s\" objects=%zu clusterqueues=%zu "
                "rayclusters=%zu workloads=%zu",
                view_source(app->view), view_count(app->view),
                view_count_kind(app->view, "ClusterQueue"),
                view_count_kind(app->view, "RayCluster"), view_count_kind(app->view, "Workload"));
    return RG_OK;
}

static unsigned worker_threads(const cfg_config_t *cfg)
{
    if (cfg->threads)
        return cfg->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

serve_app_t *serve_app_new(const cfg_config_t *cfg, rg_error_t *err)
{
    serve_app_t *app = rg_calloc(1, sizeof(*app));
    cfg_config_copy(&app->cfg, cfg);
    atomic_init(&app->ready, false);
    rg_log_set_level(app->cfg.log_level);
    if (app->cfg.kubeconfig)
        rg_log_warn("serve", "kubeconfig given but the API client is not built yet; running "
                             "standalone kubeconfig=\"%s\"", app->cfg.kubeconfig);
    if (resolve_certs(app, err) != RG_OK || open_audit(app, err) != RG_OK)
        goto err;
    app->metrics = serve__metrics_new(app, err);
    if (app->metrics == NULL || load_view(app, err) != RG_OK)
        goto err;
    build_routes(app);
    unsigned threads = worker_threads(&app->cfg);
    http_server_opts_t opts = {
        .listen_addr = app->cfg.listen_addr,
        .port = app->cfg.port,
        .threads = threads,
        .max_connections = app->cfg.max_connections,
        .connection_timeout_s = app->cfg.connection_timeout_s,
        .request_timeout_s = app->cfg.request_timeout_s,
        .cert_file = app->cert_path,
        .key_file = app->key_path,
        .cert_poll_ms = app->cfg.cert_poll_interval_ms,
        .routes = app->routes,
        .n_routes = app->n_routes,
        .observe = serve__metrics_observe,
        .observe_ctx = app->metrics,
    };
    app->server = http_server_start(&opts, err);
    if (app->server == NULL)
        goto err;
    atomic_store(&app->ready, true);
    const char *addr = app->cfg.listen_addr && app->cfg.listen_addr[0] ? app->cfg.listen_addr : "*";
    rg_log_info("serve", "serving https://%s%s%s:%u threads=%u", strchr(addr, ':') ? "[" : "",
                addr, strchr(addr, ':') ? "]" : "", (unsigned)http_server_port(app->server),
                threads);
    return app;
err:
    serve_app_free(app);
    return NULL;
}

int serve_app_run(serve_app_t *app)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            rg_error_t err = {0};
            if (audit_log_reopen(app->audit) != RG_OK)
                rg_log_error("serve", "audit log reopen failed path=\"%s\"", app->audit_path);
            if (http_server_reload_tls(app->server, &err) < 0)
                rg_log_error("serve", "certificate reload failed error=\"%s\"", rg_error_str(&err));
            continue;
        }
        rg_log_info("serve", "stopping on %s: draining requests in flight inflight=%u",
                    sig == SIGTERM ? "SIGTERM" : "SIGINT", http_server_inflight(app->server));
        atomic_store(&app->ready, false);
        http_server_stop(app->server, SERVE_DRAIN_MS);
        app->server = NULL;
        rg_log_info("serve", "stopped");
        return 0;
    }
}

void serve_app_free(serve_app_t *app)
{
    if (app == NULL)
        return;
    http_server_stop(app->server, SERVE_DRAIN_MS);
    view_free(app->view);
    serve__metrics_free(app->metrics);
    audit_log_free(app->audit);
    rg_free(app->audit_path);
    rg_free(app->cert_path);
    rg_free(app->key_path);
    cfg_config_release(&app->cfg);
    rg_free(app);
}

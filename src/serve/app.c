/*
 * Assembles the daemon: certificates (given or self-signed), audit log,
 * metrics, cluster view and routes; then waits for signals and drains.
 */
#include "serve_internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"
#include "raygate/tls.h"

#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
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
    add_route(app, "/scheduler/filter", "POST", ext, serve__on_ext_filter, "scheduler/filter");
    add_route(app, "/scheduler/prioritize", "POST", ext, serve__on_ext_prioritize,
              "scheduler/prioritize");
    add_route(app, "/scheduler/bind", "POST", adm, serve__on_ext_bind, "scheduler/bind");
    add_route(app, "/scheduler/preempt", "POST", ext, serve__on_ext_preempt,
              "scheduler/preempt");
    add_route(app, "/healthz", "GET", 0, serve__on_healthz, "healthz");
    add_route(app, "/readyz", "GET", 0, serve__on_readyz, "readyz");
    add_route(app, "/metrics", "GET", 0, serve__on_metrics, "metrics");
    add_route(app, "/version", "GET", 0, serve__on_version, "version");
    add_route(app, "/status", "GET", 0, serve__on_status, "status");
    add_route(app, "/status.json", "GET", 0, serve__on_status_json, "status.json");
}

/*
 * The metrics-only listener (server.metricsListen): a second HTTPS server
 * on the same certificate with two read-only routes and one worker, so a
 * Prometheus scrape reaches a replica whose main listener is loopback-only
 * (the extender sidecar, whose /scheduler/bind must stay unreachable from
 * outside its pod). No listener when unset.
 */
static int start_metrics_listener(serve_app_t *app, rg_error_t *err)
{
    if (app->cfg.metrics_listen == NULL)
        return RG_OK;
    char *host = NULL;
    uint16_t port = 0;
    int rc = cfg_listen_parse("server.metricsListen", app->cfg.metrics_listen, &host, &port, err);
    if (rc != RG_OK)
        return rc;
    app->metrics_routes[0] = (http_route_t){.path = "/metrics", .method = "GET", .fn =
                                                serve__on_metrics, .ctx = app, .name = "metrics"};
    app->metrics_routes[1] = (http_route_t){.path = "/healthz", .method = "GET", .fn =
                                                serve__on_healthz, .ctx = app, .name = "healthz"};
    http_server_opts_t opts = {
        .listen_addr = host,
        .port = port,
        .threads = 1,
        .max_connections = 64, /* a few scrapers and probes, never admission traffic */
        .connection_timeout_s = app->cfg.connection_timeout_s,
        .request_timeout_s = app->cfg.request_timeout_s,
        .cert_file = app->cert_path,
        .key_file = app->key_path,
        .cert_poll_ms = app->cfg.cert_poll_interval_ms,
        .routes = app->metrics_routes,
        .n_routes = 2,
        .observe = serve__metrics_observe,
        .observe_ctx = app->metrics,
    };
    app->metrics_server = http_server_start(&opts, err);
    if (app->metrics_server != NULL)
        rg_log_info("serve", "serving metrics https://%s%s%s:%u (GET /metrics, /healthz only)",
                    strchr(host, ':') ? "[" : "", host[0] ? host : "*", strchr(host, ':') ? "]" : "",
                    (unsigned)http_server_port(app->metrics_server));
    rg_free(host);
    return app->metrics_server ? RG_OK : (err ? err->code : RG_ERR_IO);
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
        .flush_ms = AUDIT_FLUSH_MS_DEFAULT, /* batched: see docs/audit.md */
    };
    app->audit = audit_log_open(&opts, err);
    if (app->audit == NULL)
        return err ? err->code : RG_ERR_IO;
    rg_log_info("serve", "audit log open path=\"%s\"", app->audit_path);
    return RG_OK;
}

/* The engine's policy from the configuration (fairSharing, waitForPodsReady,
 * preemption); RG_ERR_CONFIG names a bad strategy list. */
static int policy_from_config(const cfg_config_t *c, quota_policy_cfg_t *p, rg_error_t *err)
{
    const int64_t s = 1000000000LL;
    quota_policy_cfg_defaults(p);
    p->fair_sharing = c->fs_enable;
    for (const char *v = c->fs_strategies; v && *v;) {
        size_t n = strcspn(v, ",");
        bool initial = n == 20 && strncmp(v, "LessThanInitialShare", n) == 0;
        bool final = n == 27 && strncmp(v, "LessThanOrEqualToFinalShare", n) == 0;
        /* Kueue accepts [final], [initial] and [final, initial]. */
        if ((!initial && !final) || p->n_strategies == 2 ||
            (p->n_strategies == 1 && (final || p->strategies[0] != QUOTA_FS_LESS_THAN_OR_EQUAL_TO_FINAL_SHARE)))
            return rg_error_set(err, RG_ERR_CONFIG,
                                "fairSharing.preemptionStrategies: invalid value \"%s\": must be "
                                "[LessThanOrEqualToFinalShare], [LessThanInitialShare] or "
                                "[LessThanOrEqualToFinalShare, LessThanInitialShare]",
                                c->fs_strategies);
        p->strategies[p->n_strategies++] =
            initial ? QUOTA_FS_LESS_THAN_INITIAL_SHARE : QUOTA_FS_LESS_THAN_OR_EQUAL_TO_FINAL_SHARE;
        v += n + (v[n] == ',');
    }
    p->pods_ready = c->wfpr_enable;
    p->pods_ready_timeout_ns = (int64_t)c->wfpr_timeout_s * s;
    p->recovery_timeout_ns =
        (int64_t)(c->wfpr_recovery_s == CFG_UNSET ? c->wfpr_timeout_s : c->wfpr_recovery_s) * s;
    p->backoff_limit_count =
        c->wfpr_backoff_limit == CFG_UNSET ? -1 : (int32_t)c->wfpr_backoff_limit;
    p->backoff_base_ns = (int64_t)c->wfpr_backoff_base_s * s;
    p->backoff_max_ns = (int64_t)c->wfpr_backoff_max_s * s;
    p->min_runtime_ns = (int64_t)c->pre_min_runtime_s * s;
    p->thrash_limit = c->pre_thrash_limit;
    p->thrash_window_ns = (int64_t)c->pre_thrash_window_s * s;
    p->thrash_base_ns = (int64_t)c->pre_thrash_base_s * s;
    p->thrash_max_ns = (int64_t)c->pre_thrash_max_s * s;
    return RG_OK;
}

/* The quota admitter over the app's caches; before the caches fill. */
static int admitter_new(serve_app_t *app, rg_error_t *err)
{
    quota_policy_cfg_t policy;
    int rc = policy_from_config(&app->cfg, &policy, err);
    if (rc != RG_OK)
        return rc;
    size_t n_gpu = 0;
    char **gpu = serve__split_list(app->cfg.ext_gpu_resources, &n_gpu);
    admit_placement_mode_t mode = strcmp(app->cfg.admit_placement, "on") == 0 ? ADMIT_PLACEMENT_ON
                                  : strcmp(app->cfg.admit_placement, "off") == 0
                                      ? ADMIT_PLACEMENT_OFF
                                      : ADMIT_PLACEMENT_AUTO;
    admit_opts_t opts = {
        .policy = &policy,
        .graceful_stop_s = app->cfg.pre_graceful_stop_s,
        .placement = {mode,
                      (const char *const *)gpu,
                      n_gpu,
                      app->cfg.ext_topology_label,
                      {app->cfg.ext_weight_packing, app->cfg.ext_weight_exact,
                       app->cfg.ext_weight_topology}},
        .caches = app->caches,
        .client = app->admit_client,
        .events = app->events,
        .audit = app->audit,
        .metrics = serve__metrics_registry(app->metrics),
        .writers = app->cfg.admit_writers,
        .pending_refresh_s = app->cfg.admit_pending_refresh_s,
        .queue_status_ms = app->cfg.admit_queue_status_ms,
    };
    app->admit = admit_new(&opts, err);
    for (size_t i = 0; i < n_gpu; i++)
        rg_free(gpu[i]);
    rg_free(gpu);
    return app->admit ? RG_OK : (err ? err->code : RG_ERR_STATE);
}

/* Standalone: the manifests (a directory, or the seed's built in) feed the
 * same caches the watches feed when connected, stamped as an API server
 * would store them; the admitter then runs over them and writes back into
 * the caches. */
static int load_standalone(serve_app_t *app, rg_error_t *err)
{
    view_t *view = app->cfg.standalone_dir ? view_load_dir(app->cfg.standalone_dir, err)
                                           : view_load_embedded(err);
    if (view == NULL)
        return err ? err->code : RG_ERR_IO;
    size_t n = view_count(view);
    cJSON **copies = rg_calloc(n ? n : 1, sizeof(*copies));
    int64_t now = rg_time_now_ns();
    for (size_t i = 0; i < n; i++) {
        copies[i] = cJSON_Duplicate(view_object(view, i), true);
        admit_local_prepare(copies[i], i, now);
    }
    cache_set_opts_t opts = {0};
    app->caches = cache_set_new(&opts, err);
    int rc = app->caches ? gang_digests_install(app->caches, err) : RG_ERR_STATE;
    if (rc == RG_OK)
        rc = admitter_new(app, err);
    if (rc == RG_OK)
        rc = cache_set_load_objects(app->caches, (const cJSON *const *)copies, n, err);
    if (rc == RG_OK)
        rc = admit_start(app->admit, err);
    app->source = rg_strdup(view_source(view));
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(copies[i]);
    rg_free(copies);
    view_free(view);
    if (rc != RG_OK)
        return rc;
    rg_log_info("serve", "standalone cluster view loaded source=\"%s\" objects=%zu", app->source,
                n);
    return RG_OK;
}

static void on_started_leading(void *arg)
{
    serve_app_t *app = arg;
    const char *me = leader_elector_identity(app->leader);
    rg_log_info("serve", "leading: this replica holds the lease identity=\"%s\"", me);
    admit_set_leading(app->admit, true);
    cainj_set_leading(app->cainj, true);
    /* As client-go's elector does: an Event on the Lease says who leads. */
    cJSON *lease = cJSON_CreateObject(); /* an ObjectReference */
    cJSON_AddStringToObject(lease, "apiVersion", "coordination.k8s.io/v1");
    cJSON_AddStringToObject(lease, "kind", "Lease");
    cJSON_AddStringToObject(lease, "namespace", app->cfg.lease_namespace);
    cJSON_AddStringToObject(lease, "name", app->cfg.lease_name);
    char note[320];
    snprintf(note, sizeof(note), "%s became leader", me);
    rg_error_t err = {0};
    if (events_record(app->events, lease, "Normal", "LeaderElection", "Acquire", note, &err) < 0)
        rg_log_warn("serve", "cannot record the leader Event error=\"%s\"", rg_error_str(&err));
    cJSON_Delete(lease);
}

static void on_stopped_leading(void *arg)
{
    serve_app_t *app = arg;
    rg_log_warn("serve", "stopped leading identity=\"%s\"", leader_elector_identity(app->leader));
    admit_set_leading(app->admit, false);
    cainj_set_leading(app->cainj, false);
}

static int load_creds(const cfg_config_t *cfg, kube_creds_t *creds, rg_error_t *err)
{
    if (cfg->kubeconfig)
        return kube_creds_load_kubeconfig(cfg->kubeconfig, cfg->kube_context, creds, err);
    return kube_creds_load_in_cluster(NULL, creds, err);
}

/* Connected: list+watch every kind, elect a leader, record Events. */
static int connect_cluster(serve_app_t *app, rg_error_t *err)
{
    kube_creds_t creds = {0};
    int rc = load_creds(&app->cfg, &creds, err);
    if (rc != RG_OK)
        return rc;
    app->source = rg_strdup(creds.server ? creds.server : "the API server");
    kube_client_opts_t copts = {0};
    app->client = kube_client_new(&creds, &copts, err);
    kube_client_opts_t lopts = {.timeout_ms = 3000, .max_retries = 1};
    /* The admitter writes at its own pace; a write must not outlive the
     * renew deadline by much, or a deposed leader's write could land late. */
    kube_client_opts_t aopts = {.qps = app->cfg.admit_qps,
                                .burst = app->cfg.admit_burst,
                                .timeout_ms = app->cfg.renew_deadline_s * 1000,
                                .max_retries = 2};
    if (app->client)
        app->lease_client = kube_client_new(&creds, &lopts, err);
    if (app->lease_client)
        app->admit_client = kube_client_new(&creds, &aopts, err);
    kube_creds_release(&creds);
    if (app->client == NULL || app->lease_client == NULL || app->admit_client == NULL)
        return err ? err->code : RG_ERR_STATE;

    events_opts_t eopts = {.controller = "raygate"};
    app->events = events_recorder_new(app->client, &eopts, err);
    if (app->events == NULL)
        return err ? err->code : RG_ERR_STATE;

    cache_set_opts_t opts = {.client = app->client};
    app->caches = cache_set_new(&opts, err);
    if (app->caches == NULL || gang_digests_install(app->caches, err) != RG_OK ||
        admitter_new(app, err) != RG_OK || cache_set_start(app->caches, err) != RG_OK ||
        admit_start(app->admit, err) != RG_OK)
        return err ? err->code : RG_ERR_STATE;
    if (serve__cainject_new(app, err) != RG_OK)
        return err ? err->code : RG_ERR_STATE;

    if (!app->cfg.lease_enabled) {
        /* A replica that serves but never leads: e.g. the extender sidecar of
         * a kube-scheduler, which must not run a second admitter. */
        rg_log_info("serve",
                    "connected server=\"%s\"; leader election off: this replica never "
                    "runs the admitter",
                    app->source);
        return RG_OK;
    }
    leader_opts_t lo = {
        .ns = app->cfg.lease_namespace,
        .name = app->cfg.lease_name,
        .identity = app->cfg.lease_identity,
        .dur = {app->cfg.lease_duration_s * 1000, app->cfg.renew_deadline_s * 1000,
                app->cfg.retry_period_s * 1000},
        .on_started_leading = on_started_leading,
        .on_stopped_leading = on_stopped_leading,
        .arg = app,
    };
    app->leader = leader_elector_new(app->lease_client, &lo, err);
    if (app->leader == NULL || leader_elector_start(app->leader, err) != RG_OK)
        return err ? err->code : RG_ERR_STATE;
    rg_log_info("serve", "connected server=\"%s\" lease=%s/%s identity=\"%s\"", app->source,
                app->cfg.lease_namespace, app->cfg.lease_name,
                leader_elector_identity(app->leader));
    return RG_OK;
}

/* Connected when told where the API server is, or when running in a pod
 * with a service account; otherwise standalone on the built-in seed. */
static bool wants_cluster(const cfg_config_t *cfg)
{
    if (cfg->standalone_dir)
        return false;
    if (cfg->kubeconfig != NULL)
        return true;
    return getenv("KUBERNETES_SERVICE_HOST") != NULL &&
           access("/var/run/secrets/kubernetes.io/serviceaccount/token", R_OK) == 0;
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
    if (resolve_certs(app, err) != RG_OK || open_audit(app, err) != RG_OK)
        goto err;
    app->metrics = serve__metrics_new(app, err);
    if (app->metrics == NULL)
        goto err;
    if ((wants_cluster(&app->cfg) ? connect_cluster(app, err) : load_standalone(app, err)) != RG_OK)
        goto err;
    if (serve__extender_new(app, err) != RG_OK)
        goto err;
    build_routes(app);
    unsigned threads = worker_threads(&app->cfg);
    http_server_opts_t opts = {
        .listen_addr = app->cfg.listen_addr,
        .reuse_port = app->cfg.reuse_port,
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
    rg_log_info("serve", "serving https://%s%s%s:%u threads=%u", strchr(addr, ':') ? "[" : "", addr,
                strchr(addr, ':') ? "]" : "", (unsigned)http_server_port(app->server), threads);
    if (start_metrics_listener(app, err) != RG_OK)
        goto err;
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
            if (app->metrics_server && http_server_reload_tls(app->metrics_server, &err) < 0)
                rg_log_error("serve", "metrics listener certificate reload failed error=\"%s\"",
                             rg_error_str(&err));
            continue;
        }
        rg_log_info("serve", "stopping on %s: draining requests in flight inflight=%u",
                    sig == SIGTERM ? "SIGTERM" : "SIGINT", http_server_inflight(app->server));
        atomic_store(&app->ready, false);
        http_server_stop(app->server, SERVE_DRAIN_MS);
        app->server = NULL;
        http_server_stop(app->metrics_server, 1000);
        app->metrics_server = NULL;
        /* Stop deciding, then step down and release the lease so a peer
         * takes over at once. */
        admit_stop(app->admit);
        leader_elector_stop(app->leader);
        rg_log_info("serve", "stopped");
        return 0;
    }
}

void serve_app_free(serve_app_t *app)
{
    if (app == NULL)
        return;
    http_server_stop(app->server, SERVE_DRAIN_MS);
    app->server = NULL;
    http_server_stop(app->metrics_server, 1000);
    app->metrics_server = NULL;
    leader_elector_free(app->leader);
    cainj_free(app->cainj);
    /* No handler may call into the admitter once it is gone. */
    if (app->caches)
        cache_set_stop(app->caches);
    admit_free(app->admit);
    events_recorder_free(app->events);
    ext_free(app->ext);
    cache_set_free(app->caches);
    kube_client_free(app->admit_client);
    kube_client_free(app->lease_client);
    kube_client_free(app->client);
    rg_free(app->source);
    serve__metrics_free(app->metrics);
    audit_log_free(app->audit);
    rg_free(app->audit_path);
    rg_free(app->cert_path);
    rg_free(app->key_path);
    cfg_config_release(&app->cfg);
    rg_free(app);
}

/*
 * The scheduler extender's routes: hand the body to the extender, answer
 * what it decided, time it per verb, count its decisions and audit every
 * one that is not a plain pass-through.
 */
#include "serve_internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <string.h>

typedef void (*ext_verb_fn)(ext_t *x, const char *body, size_t len, int64_t now_ns,
                            ext_answer_t *out);

static void audit_decision(serve_app_t *app, const char *endpoint, const ext_answer_t *a,
                           int64_t latency_us)
{
    char ns[320];
    snprintf(ns, sizeof(ns), "%s", a->pod);
    char *slash = strchr(ns, '/');
    const char *name = "";
    if (slash) {
        *slash = '\0';
        name = slash + 1;
    }
    audit_record_t rec = {
        .endpoint = endpoint,
        .decision = a->decision,
        .reason = a->reason,
        .version = "v1",
        .kind = "Pod",
        .namespace = ns,
        .name = name,
        .latency_us = latency_us,
    };
    (void)audit_log_write(app->audit, &rec);
}

static void serve_verb(serve_app_t *app, const http_request_t *hr, http_response_t *resp,
                       const char *verb, const char *endpoint, ext_verb_fn fn)
{
    int64_t t0 = rg_time_mono_ns();
    ext_answer_t a;
    fn(app->ext, hr->body, hr->body_len, t0, &a);
    int64_t dt = rg_time_mono_ns() - t0;
    serve__metrics_extender(app->metrics, verb, a.decision ? a.decision : "error",
                            (double)dt / 1e9);
    if (a.status != 200) {
        rg_log_warn("extender", "bad request verb=%s status=%d error=\"%s\"", verb, a.status,
                    a.reason);
        audit_decision(app, endpoint, &a, dt / 1000);
        http_response_status(resp, a.status, a.reason);
        rg_free(a.body);
        return;
    }
    bool quiet = strcmp(a.decision, "passed") == 0 || strcmp(verb, "prioritize") == 0;
    if (!quiet)
        audit_decision(app, endpoint, &a, dt / 1000);
    rg_log_debug("extender", "%s pod=%s decision=%s us=%lld reason=\"%s\"", verb, a.pod,
                 a.decision, (long long)(dt / 1000), a.reason);
    http_response_take(resp, 200, a.body, a.len);
}

void serve__on_ext_filter(void *ctx, const http_request_t *hr, http_response_t *resp)
{
    serve_verb(ctx, hr, resp, "filter", "scheduler/filter", ext_filter);
}

void serve__on_ext_prioritize(void *ctx, const http_request_t *hr, http_response_t *resp)
{
    serve_verb(ctx, hr, resp, "prioritize", "scheduler/prioritize", ext_prioritize);
}

void serve__on_ext_bind(void *ctx, const http_request_t *hr, http_response_t *resp)
{
    serve_verb(ctx, hr, resp, "bind", "scheduler/bind", ext_bind);
}

void serve__on_ext_preempt(void *ctx, const http_request_t *hr, http_response_t *resp)
{
    serve_verb(ctx, hr, resp, "preempt", "scheduler/preempt", ext_preempt);
}

/* Splits "a,b,c" into owned strings (rg_free each, then the array). */
char **serve__split_list(const char *s, size_t *n)
{
    *n = 0;
    if (s == NULL || *s == '\0')
        return NULL;
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    char **out = rg_calloc(cap, sizeof(char *));
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        out[(*n)++] = rg_strndup(p, len);
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return out;
}

static void on_gang(void *arg, const char *outcome)
{
    serve__metrics_gang(((serve_app_t *)arg)->metrics, outcome);
}

int serve__extender_new(serve_app_t *app, rg_error_t *err)
{
    size_t n = 0;
    char **gpu = serve__split_list(app->cfg.ext_gpu_resources, &n);
    ext_opts_t o = {
        .gpu_resources = (const char *const *)gpu,
        .n_gpu_resources = n,
        .topology_label = app->cfg.ext_topology_label,
        .plan_ttl_s = app->cfg.ext_plan_ttl_s,
        .assume_ttl_s = app->cfg.ext_assume_ttl_s,
        .max_nodes = app->cfg.ext_max_nodes,
        .weights = {app->cfg.ext_weight_packing, app->cfg.ext_weight_exact,
                    app->cfg.ext_weight_topology},
        .on_gang = on_gang,
        .on_gang_arg = app,
    };
    app->ext = ext_new(&o, app->caches, app->client, err);
    for (size_t i = 0; i < n; i++)
        rg_free(gpu[i]);
    rg_free(gpu);
    return app->ext ? RG_OK : (err ? err->code : RG_ERR_STATE);
}

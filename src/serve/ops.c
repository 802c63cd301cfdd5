/*
 * Operational routes: liveness, readiness, Prometheus metrics, version.
 */
#include "serve_internal.h"

#include "raygate/alloc.h"
#include "raygate/version.h"

#include <stdio.h>
#include <string.h>

static void respond_text(http_response_t *resp, int code, const char *content_type,
                         rg_buf_t *b)
{
    size_t len;
    char *body = rg_buf_detach(b, &len);
    http_response_take(resp, code, body, len);
    resp->content_type = content_type;
}

void serve__on_healthz(void *ctx, const http_request_t *req, http_response_t *resp)
{
    (void)ctx, (void)req;
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_append_str(&b, "ok\n");
    respond_text(resp, 200, "text/plain; charset=utf-8", &b);
}

void serve__on_readyz(void *ctx, const http_request_t *req, http_response_t *resp)
{
    (void)req;
    serve_app_t *app = ctx;
    if (!atomic_load(&app->ready)) {
        http_response_status(resp, 503, "not ready: starting or stopping");
        return;
    }
    rg_buf_t b = RG_BUF_INIT;
    size_t objects = 0;
    for (int k = 0; k < CACHE_KIND_COUNT; k++) {
        cache_stats_t st;
        cache_set_stats_get(app->caches, (cache_kind_t)k, &st);
        objects += st.objects;
        if (st.enabled && !st.synced) {
            rg_buf_appendf(&b, "%s%s", b.len ? ", " : "", cache_kind_name((cache_kind_t)k));
        }
    }
    if (b.len) {
        char msg[512];
        snprintf(msg, sizeof(msg), "not ready: caches not synced yet: %s", b.data);
        rg_buf_release(&b);
        http_response_status(resp, 503, msg);
        return;
    }
    rg_buf_appendf(&b, "ok: %zu objects from %s\n", objects, app->source);
    respond_text(resp, 200, "text/plain; charset=utf-8", &b);
}

void serve__on_metrics(void *ctx, const http_request_t *req, http_response_t *resp)
{
    (void)req;
    serve_app_t *app = ctx;
    rg_buf_t b = RG_BUF_INIT;
    serve__metrics_render(app, &b);
    respond_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
}

void serve__on_version(void *ctx, const http_request_t *req, http_response_t *resp)
{
    (void)ctx, (void)req;
    rg_buf_t b = RG_BUF_INIT;
    rg_version_json(&b);
    respond_text(resp, 200, "application/json", &b);
}

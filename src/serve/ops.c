/*
 * Operational routes: liveness, readiness, Prometheus metrics, version.
 */
#include "serve_internal.h"

#include "raygate/alloc.h"
#include "raygate/version.h"

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
        http_response_status(resp, 503, "not ready: the cluster view has not synced yet");
        return;
    }
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_appendf(&b, "ok: %zu objects from %s\n", view_count(app->view),
                   view_source(app->view));
    respond_text(resp, 200, "text/plain; charset=utf-8", &b);
}

void serve__on_metrics(void *ctx, const http_request_t *req, http_response_t *resp)
{
    (void)req;
    serve_app_t *app = ctx;
    rg_buf_t b = RG_BUF_INIT;
    serve__metrics_render(app->metrics, &b);
    respond_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
}

void serve__on_version(void *ctx, const http_request_t *req, http_response_t *resp)
{
    (void)ctx, (void)req;
    rg_buf_t b = RG_BUF_INIT;
    rg_version_json(&b);
    respond_text(resp, 200, "application/json", &b);
}

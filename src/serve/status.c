/*
 * The read-only status routes: GET /status (an HTML page, no scripts, no
 * external assets) and GET /status.json (the document `raygate status
 * --server` reads), both built from this replica's caches.
 */
#include "serve_internal.h"

#include "raygate/alloc.h"
#include "raygate/status.h"
#include "raygate/timeutil.h"

/* How often the page reloads itself. */
#define STATUS_REFRESH_S 10

enum { SNAP_CQ, SNAP_LQ, SNAP_WL, SNAP_N };

/* The objects of one kind's snapshot, borrowed from it (non-Pod kinds keep parsed trees). */
static const cJSON **objects_of(cache_snapshot_t *s, size_t *n)
{
    *n = s ? cache_snapshot_count(s) : 0;
    const cJSON **arr = rg_calloc(*n ? *n : 1, sizeof(*arr));
    for (size_t i = 0; i < *n; i++)
        arr[i] = cache_snapshot_at(s, i)->json;
    return arr;
}

/* The status document of this replica's view; owned. */
static cJSON *build(serve_app_t *app)
{
    static const cache_kind_t kinds[SNAP_N] = {CACHE_KIND_CLUSTERQUEUE, CACHE_KIND_LOCALQUEUE,
                                               CACHE_KIND_WORKLOAD};
    cache_snapshot_t *snaps[SNAP_N];
    const cJSON **objs[SNAP_N];
    size_t n[SNAP_N];
    for (int k = 0; k < SNAP_N; k++) {
        snaps[k] = cache_snapshot_acquire(app->caches, kinds[k]);
        objs[k] = objects_of(snaps[k], &n[k]);
    }
    status_input_t in = {
        .cluster_queues = objs[SNAP_CQ],
        .n_cluster_queues = n[SNAP_CQ],
        .local_queues = objs[SNAP_LQ],
        .n_local_queues = n[SNAP_LQ],
        .workloads = objs[SNAP_WL],
        .n_workloads = n[SNAP_WL],
        .source = app->source,
        .now_ns = rg_time_now_ns(),
    };
    cJSON *doc = status_build(&in);
    for (int k = 0; k < SNAP_N; k++) {
        rg_free(objs[k]);
        cache_snapshot_release(snaps[k]);
    }
    return doc;
}

void serve__on_status(void *ctx, const http_request_t *req, http_response_t *resp)
{
    (void)req;
    cJSON *doc = build(ctx);
    rg_buf_t b = RG_BUF_INIT;
    status_render_html(doc, STATUS_REFRESH_S, &b);
    cJSON_Delete(doc);
    size_t len;
    char *body = rg_buf_detach(&b, &len);
    http_response_take(resp, 200, body, len);
    resp->content_type = "text/html; charset=utf-8";
}

void serve__on_status_json(void *ctx, const http_request_t *req, http_response_t *resp)
{
    (void)req;
    cJSON *doc = build(ctx);
    rg_buf_t b = RG_BUF_INIT;
    rg_json_append(&b, doc);
    cJSON_Delete(doc);
    size_t len;
    char *body = rg_buf_detach(&b, &len);
    http_response_take(resp, 200, body, len);
    resp->content_type = "application/json";
}

/*
 * The cluster as the validating rules see it: the few small kinds their
 * reference checks read (queues, flavors, priority classes), served from
 * the caches' immutable snapshots so a request never waits on a watch.
 */
#include "serve_internal.h"

static const cache_kind_t cluster_kinds[SERVE_CLUSTER_KINDS] = {
    CACHE_KIND_CLUSTERQUEUE, CACHE_KIND_LOCALQUEUE, CACHE_KIND_RESOURCEFLAVOR,
    CACHE_KIND_WORKLOADPRIORITYCLASS, CACHE_KIND_PRIORITYCLASS,
};

static size_t cluster_count(const void *ctx)
{
    return ((const serve_cluster_t *)ctx)->total;
}

static const cJSON *cluster_object(const void *ctx, size_t i)
{
    const serve_cluster_t *sc = ctx;
    for (size_t k = 0; k < SERVE_CLUSTER_KINDS; k++) {
        size_t n = cache_snapshot_count(sc->snaps[k]);
        if (i < n)
            return cache_snapshot_at(sc->snaps[k], i)->json; /* trees for these kinds */
        i -= n;
    }
    return NULL;
}

void serve__cluster_acquire(serve_app_t *app, serve_cluster_t *sc, wh_cluster_t *out)
{
    sc->total = 0;
    for (size_t k = 0; k < SERVE_CLUSTER_KINDS; k++) {
        sc->snaps[k] = cache_snapshot_acquire(app->caches, cluster_kinds[k]);
        sc->total += cache_snapshot_count(sc->snaps[k]);
    }
    *out = (wh_cluster_t){cluster_count, cluster_object, sc};
}

void serve__cluster_release(serve_cluster_t *sc)
{
    for (size_t k = 0; k < SERVE_CLUSTER_KINDS; k++)
        cache_snapshot_release(sc->snaps[k]);
}

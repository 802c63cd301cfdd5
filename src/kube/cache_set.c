/*
 * The cache set: every kind's store, its informer threads and the
 * publisher thread that flushes coalesced changes, plus the standalone
 * loader that fills the same stores from local manifests.
 */
#include "cache_internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define MOD "cache"

cache_set_t *cache_set_new(const cache_set_opts_t *opts, rg_error_t *err)
{
    (void)err;
    cache_set_t *set = rg_calloc(1, sizeof *set);
    if (opts)
        set->opts = *opts;
    cache_set_opts_t *o = &set->opts;
    if (!o->kinds)
        o->kinds = CACHE_KINDS_ALL;
    if (!o->publish_interval_ms)
        o->publish_interval_ms = 50;
    if (!o->page_size)
        o->page_size = 500;
    if (!o->watch_timeout_s)
        o->watch_timeout_s = 300;
    if (!o->backoff_min_ms)
        o->backoff_min_ms = 200;
    if (!o->backoff_max_ms)
        o->backoff_max_ms = 30000;
    if (o->backoff_max_ms < o->backoff_min_ms)
        o->backoff_max_ms = o->backoff_min_ms;
    atomic_init(&set->stop, false);
    pthread_mutex_init(&set->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&set->cond, &ca);
    pthread_condattr_destroy(&ca);
    for (int k = 0; k < CACHE_KIND_COUNT; k++)
        cache__store_init(&set->stores[k], set, (cache_kind_t)k,
                          (o->kinds & CACHE_KIND_BIT(k)) != 0, o->publish_interval_ms);
    return set;
}

void cache_set_free(cache_set_t *set)
{
    if (!set)
        return;
    cache_set_stop(set);
    for (int k = 0; k < CACHE_KIND_COUNT; k++)
        cache__store_release(&set->stores[k]);
    pthread_cond_destroy(&set->cond);
    pthread_mutex_destroy(&set->mu);
    rg_free(set);
}

static cache_store_t *store_of(cache_set_t *set, cache_kind_t kind)
{
    if (!set || (unsigned)kind >= CACHE_KIND_COUNT)
        return NULL;
    return &set->stores[kind];
}

int cache_set_add_handler(cache_set_t *set, cache_kind_t kind, cache_handler_fn fn, void *arg,
                          rg_error_t *err)
{
    cache_store_t *st = store_of(set, kind);
    if (!st || !fn)
        return rg_error_set(err, RG_ERR_INVAL, "cache: add handler: kind %d: invalid", (int)kind);
    if (set->started || set->loaded)
        return rg_error_set(err, RG_ERR_STATE, "cache: add handler: the set is already running");
    if (st->nhandlers == CACHE__MAX_HANDLERS)
        return rg_error_set(err, RG_ERR_RANGE, "cache: add handler: %s has %d handlers already",
                            cache_kind_name(kind), CACHE__MAX_HANDLERS);
    st->handlers[st->nhandlers].fn = fn;
    st->handlers[st->nhandlers].arg = arg;
    st->nhandlers++;
    return 0;
}

int cache_set_set_digest(cache_set_t *set, cache_kind_t kind, cache_digest_fn fn,
                         cache_digest_free_fn free_fn, void *arg, rg_error_t *err)
{
    cache_store_t *st = store_of(set, kind);
    if (!st)
        return rg_error_set(err, RG_ERR_INVAL, "cache: set digest: kind %d: invalid", (int)kind);
    if (set->started || set->loaded)
        return rg_error_set(err, RG_ERR_STATE, "cache: set digest: the set is already running");
    st->digest = fn;
    st->digest_free = free_fn;
    st->digest_arg = arg;
    return 0;
}

cache_snapshot_t *cache_snapshot_acquire(cache_set_t *set, cache_kind_t kind)
{
    cache_store_t *st = store_of(set, kind);
    if (!st)
        st = &set->stores[0]; /* programmer error; an empty-ish view is safer than a crash */
    return cache__store_acquire(st);
}

cache_snapshot_t *cache_snapshot_acquire_fresh(cache_set_t *set, cache_kind_t kind)
{
    cache_store_t *st = store_of(set, kind);
    if (st && st->enabled)
        cache__store_publish(st, true);
    return cache_snapshot_acquire(set, kind);
}

void cache_set_flush(cache_set_t *set)
{
    for (int k = 0; k < CACHE_KIND_COUNT; k++)
        if (set->stores[k].enabled)
            cache__store_publish(&set->stores[k], true);
}

void cache_set_stats_get(cache_set_t *set, cache_kind_t kind, cache_stats_t *out)
{
    cache_store_t *st = store_of(set, kind);
    memset(out, 0, sizeof *out);
    if (!st)
        return;
    pthread_mutex_lock(&st->mu);
    *out = st->stats;
    pthread_mutex_unlock(&st->mu);
}

bool cache_set_synced(cache_set_t *set)
{
    for (int k = 0; k < CACHE_KIND_COUNT; k++) {
        cache_store_t *st = &set->stores[k];
        if (!st->enabled)
            continue;
        pthread_mutex_lock(&st->mu);
        bool ok = st->stats.synced;
        pthread_mutex_unlock(&st->mu);
        if (!ok)
            return false;
    }
    return true;
}

bool cache_set_wait_synced(cache_set_t *set, unsigned timeout_ms)
{
    int64_t deadline = rg_time_mono_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        if (cache_set_synced(set))
            return true;
        if (rg_time_mono_ns() >= deadline)
            return false;
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
}

bool cache__set_sleep(cache_set_t *set, unsigned ms)
{
    struct timespec ts = rg_time_deadline_ms(CLOCK_MONOTONIC, ms);
    pthread_mutex_lock(&set->mu);
    while (!atomic_load(&set->stop)) {
        if (pthread_cond_timedwait(&set->cond, &set->mu, &ts) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&set->mu);
    return atomic_load(&set->stop);
}

/* ---- standalone loading ---- */

typedef struct objvec {
    cache_obj_t **v;
    size_t n, cap;
} objvec_t;

static void objvec_push(objvec_t *ov, cache_obj_t *o)
{
    if (ov->n == ov->cap) {
        ov->cap = ov->cap ? ov->cap * 2 : 16;
        ov->v = rg_realloc(ov->v, ov->cap * sizeof *ov->v);
    }
    ov->v[ov->n++] = o;
}

static int load_one(cache_set_t *set, objvec_t *per_kind, const cJSON *obj, size_t index, int depth,
                    rg_error_t *err)
{
    const char *api = rg_json_get_string(obj, "apiVersion");
    const char *kind = rg_json_get_string(obj, "kind");
    if (kind && strcmp(kind, "List") == 0 && depth == 0) {
        const cJSON *items = rg_json_get_array(obj, "items");
        const cJSON *it;
        cJSON_ArrayForEach(it, items)
        {
            int rc = load_one(set, per_kind, it, index, depth + 1, err);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    int k = cache_kind_of(api, kind);
    if (k < 0 || !set->stores[k].enabled)
        return 0;
    cache_obj_t *o = cache__obj_new(&set->stores[k], obj, "default", err);
    if (!o)
        return rg_error_prefix(err, "object %zu", index);
    objvec_push(&per_kind[k], o);
    return 0;
}

int cache_set_load_objects(cache_set_t *set, const cJSON *const *objects, size_t n, rg_error_t *err)
{
    if (set->started)
        return rg_error_set(err, RG_ERR_STATE, "cache: load objects: informers are running");
    objvec_t per_kind[CACHE_KIND_COUNT];
    memset(per_kind, 0, sizeof per_kind);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = load_one(set, per_kind, objects[i], i, 0, err);
    if (rc < 0) {
        for (int k = 0; k < CACHE_KIND_COUNT; k++) {
            for (size_t i = 0; i < per_kind[k].n; i++)
                cache_obj_unref(per_kind[k].v[i]);
            rg_free(per_kind[k].v);
        }
        return rc;
    }
    set->loaded = true;
    for (int k = 0; k < CACHE_KIND_COUNT; k++) {
        if (set->stores[k].enabled)
            cache__store_replace(&set->stores[k], per_kind[k].v, per_kind[k].n);
        rg_free(per_kind[k].v);
    }
    return 0;
}

const cache_obj_t *cache_set_lookup(cache_set_t *set, cache_kind_t kind, const char *key)
{
    if ((int)kind < 0 || kind >= CACHE_KIND_COUNT || !set->stores[kind].enabled)
        return NULL;
    return cache__store_lookup(&set->stores[kind], key);
}

int cache_set_apply_object(cache_set_t *set, kube_event_type_t type, const cJSON *obj,
                           rg_error_t *err)
{
    if (set->started)
        return rg_error_set(err, RG_ERR_STATE, "cache: apply object: informers are running");
    int k = cache_kind_of(rg_json_get_string(obj, "apiVersion"), rg_json_get_string(obj, "kind"));
    if (k < 0 || !set->stores[k].enabled)
        return rg_error_set(err, RG_ERR_INVAL, "cache: apply object: kind %s is not cached",
                            rg_json_get_string(obj, "kind") ? rg_json_get_string(obj, "kind")
                                                            : "(none)");
    int rc = cache__store_apply(&set->stores[k], type, obj, err);
    if (rc == 0)
        cache__store_publish(&set->stores[k], true);
    return rc;
}

/* ---- threads ---- */

static void *publisher_main(void *arg)
{
    cache_set_t *set = arg;
    unsigned tick = set->opts.publish_interval_ms / 2;
    if (tick < 5)
        tick = 5;
    while (!cache__set_sleep(set, tick)) {
        for (int k = 0; k < CACHE_KIND_COUNT; k++)
            if (set->stores[k].enabled)
                cache__store_publish(&set->stores[k], false);
    }
    return NULL;
}

int cache_set_start(cache_set_t *set, rg_error_t *err)
{
    if (set->started)
        return rg_error_set(err, RG_ERR_STATE, "cache: start: already started");
    if (set->loaded)
        return rg_error_set(err, RG_ERR_STATE, "cache: start: the set holds standalone objects");
    if (!set->opts.client)
        return rg_error_set(err, RG_ERR_STATE, "cache: start: no API client (standalone set)");
    atomic_store(&set->stop, false);
    set->started = true;
    int rc = pthread_create(&set->publisher, NULL, publisher_main, set);
    if (rc != 0) {
        set->started = false;
        return rg_error_set(err, RG_ERR_SYS, "cache: start: pthread_create: %s", strerror(rc));
    }
    set->publisher_started = true;
    for (int k = 0; k < CACHE_KIND_COUNT; k++) {
        cache_store_t *st = &set->stores[k];
        if (!st->enabled)
            continue;
        rc = pthread_create(&st->thread, NULL, cache__informer_main, st);
        if (rc != 0) {
            rg_error_set(err, RG_ERR_SYS, "cache: start %s informer: pthread_create: %s",
                         cache_kind_name((cache_kind_t)k), strerror(rc));
            cache_set_stop(set);
            return RG_ERR_SYS;
        }
        st->thread_started = true;
    }
    rg_log_info(MOD, "informers started kinds=%#x", set->opts.kinds);
    return 0;
}

void cache_set_stop(cache_set_t *set)
{
    if (!set->started)
        return;
    pthread_mutex_lock(&set->mu);
    atomic_store(&set->stop, true);
    pthread_cond_broadcast(&set->cond);
    pthread_mutex_unlock(&set->mu);
    for (int k = 0; k < CACHE_KIND_COUNT; k++) {
        cache_store_t *st = &set->stores[k];
        if (st->thread_started) {
            pthread_join(st->thread, NULL);
            st->thread_started = false;
        }
    }
    if (set->publisher_started) {
        pthread_join(set->publisher, NULL);
        set->publisher_started = false;
    }
    set->started = false;
    cache_set_flush(set);
}

/*
 * The informer loop of one kind, on its own thread (the store's only
 * writer): paginated list -> replace the store -> watch from the list's
 * resourceVersion with bookmarks -> apply events; resume after a clean end
 * from the last resourceVersion seen, relist on 410 Expired / "too old
 * resource version", back off with jitter on faults, end when stopped.
 */
#include "cache_internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD "cache"

typedef struct informer {
    cache_store_t *st;
    cache_set_t *set;
    const kube_resource_t *res;
    char rv[64];    /* resume point: last resourceVersion seen */
    bool need_list; /* the next round lists first */
    bool got_event; /* the current watch delivered something */
    int watch_end;  /* why the callback ended the watch */
    char errmsg[CACHE_ERROR_MAX];
    unsigned backoff_ms; /* next backoff; 0 = at the minimum */
    uint64_t rnd;
} informer_t;

enum { END_RELIST = 1, END_ERROR = 2 };

static void set_rv(informer_t *in, const char *rv)
{
    if (!rv || !*rv || strlen(rv) >= sizeof in->rv)
        return;
    memcpy(in->rv, rv, strlen(rv) + 1);
    pthread_mutex_lock(&in->st->mu);
    memcpy(in->st->stats.resource_version, in->rv, sizeof in->rv);
    pthread_mutex_unlock(&in->st->mu);
}

/* Exponential backoff with full jitter in [min/2, cur], doubling up to the max. */
static bool backoff(informer_t *in)
{
    const cache_set_opts_t *o = &in->set->opts;
    unsigned cur = in->backoff_ms ? in->backoff_ms : o->backoff_min_ms;
    in->rnd = in->rnd * 6364136223846793005ull + 1442695040888963407ull;
    unsigned lo = cur / 2;
    unsigned wait = lo + (unsigned)((in->rnd >> 33) % (cur - lo + 1));
    unsigned next = cur * 2;
    in->backoff_ms = next > o->backoff_max_ms ? o->backoff_max_ms : next;
    return cache__set_sleep(in->set, wait);
}

static bool is_expired(int code, const char *reason, const char *message)
{
    return code == 410 ||
           (reason && (strcmp(reason, "Expired") == 0 || strcmp(reason, "Gone") == 0)) ||
           (message && strstr(message, "too old resource version"));
}

static void record_error(informer_t *in, const char *what, const char *msg)
{
    /* msg may point into errmsg itself (the previous error): format aside. */
    char line[sizeof in->errmsg];
    snprintf(line, sizeof line, "%s %s: %s", what, cache_kind_name(in->st->kind), msg);
    memcpy(in->errmsg, line, sizeof line);
    cache__store_error(in->st, in->errmsg);
    rg_log_warn(MOD, "%s kind=%s rv=%s", in->errmsg, cache_kind_name(in->st->kind),
                in->rv[0] ? in->rv : "-");
}

typedef struct objvec {
    cache_obj_t **v;
    size_t n, cap;
} objvec_t;

static void objvec_push(objvec_t *ov, cache_obj_t *o)
{
    if (ov->n == ov->cap) {
        ov->cap = ov->cap ? ov->cap * 2 : 512;
        ov->v = rg_realloc(ov->v, ov->cap * sizeof *ov->v);
    }
    ov->v[ov->n++] = o;
}

/*
 * One item of a list page: the stored version when key and
 * resourceVersion are unchanged (no trim, no copy), else a new object.
 */
static cache_obj_t *list_item(informer_t *in, const cJSON *item)
{
    char key[CACHE__MAX_KEY];
    rg_error_t err = {0};
    if (cache__key_of(in->st, item, key, sizeof key, &err) < 0) {
        rg_log_warn(MOD, "%s kind=%s", rg_error_str(&err), cache_kind_name(in->st->kind));
        return NULL;
    }
    const char *rv = rg_json_get_string(rg_json_get_object(item, "metadata"), "resourceVersion");
    cache_obj_t *old = cache__store_lookup(in->st, key);
    if (old && rv && *rv && strcmp(old->resource_version, rv) == 0)
        return old;
    cache_obj_unref(old);
    cache_obj_t *o = cache__obj_new(in->st, item, NULL, &err);
    if (!o)
        rg_log_warn(MOD, "%s kind=%s", rg_error_str(&err), cache_kind_name(in->st->kind));
    return o;
}

/* Lists every page; on success replaces the store and sets the resume point. */
static int do_list(informer_t *in)
{
    int64_t t0 = rg_time_mono_ns();
    objvec_t ov = {0};
    char *cont = NULL;
    char first_rv[64] = "";
    int rc = 0;
    for (;;) {
        kube_list_opts_t lo = {.limit = in->set->opts.page_size, .continue_token = cont};
        kube_result_t r = {0};
        rg_error_t err = {0};
        rc = kube_list(in->set->opts.client, in->res, NULL, &lo, &r, &err);
        if (rc < 0) {
            record_error(in, "list", rg_error_str(&err));
        } else if (r.http_status != 200) {
            char m[CACHE_ERROR_MAX];
            snprintf(m, sizeof m, "%d %s: %s", r.http_status, r.reason ? r.reason : "",
                     r.message ? r.message : "");
            record_error(in, "list", m);
            rc = RG_ERR_HTTP;
        } else {
            const cJSON *meta = rg_json_get_object(r.body, "metadata");
            const char *rv = rg_json_get_string(meta, "resourceVersion");
            const char *next = rg_json_get_string(meta, "continue");
            /*
             * Watch from the first page's resourceVersion: a server that
             * pages over a moving store (as the test double does) then
             * replays every change made during the pagination.
             */
            if (!first_rv[0] && rv && strlen(rv) < sizeof first_rv)
                memcpy(first_rv, rv, strlen(rv) + 1);
            const cJSON *it;
            cJSON_ArrayForEach(it, rg_json_get_array(r.body, "items"))
            {
                cache_obj_t *o = list_item(in, it);
                if (o)
                    objvec_push(&ov, o);
            }
            rg_free(cont);
            cont = next && *next ? rg_strdup(next) : NULL;
        }
        kube_result_release(&r);
        if (rc < 0 || !cont || atomic_load(&in->set->stop))
            break;
    }
    rg_free(cont);
    if (rc < 0 || atomic_load(&in->set->stop) || !first_rv[0]) {
        if (rc == 0 && !atomic_load(&in->set->stop)) {
            record_error(in, "list", "answer without metadata.resourceVersion");
            rc = RG_ERR_PARSE;
        }
        for (size_t i = 0; i < ov.n; i++)
            cache_obj_unref(ov.v[i]);
        rg_free(ov.v);
        return rc < 0 ? rc : RG_ERR_STATE;
    }
    size_t n = ov.n;
    int64_t dt = rg_time_mono_ns() - t0;
    pthread_mutex_lock(&in->st->mu);
    in->st->stats.last_list_ns = dt;
    pthread_mutex_unlock(&in->st->mu);
    set_rv(in, first_rv);
    cache__store_replace(in->st, ov.v, ov.n);
    rg_free(ov.v);
    rg_log_info(MOD, "listed kind=%s objects=%zu rv=%s ms=%lld", cache_kind_name(in->st->kind), n,
                in->rv, (long long)(dt / 1000000));
    return 0;
}

static int on_event(void *arg, kube_event_type_t type, cJSON *object)
{
    informer_t *in = arg;
    int ret = 0;
    const char *rv = rg_json_get_string(rg_json_get_object(object, "metadata"), "resourceVersion");
    switch (type) {
    case KUBE_EVENT_ADDED:
    case KUBE_EVENT_MODIFIED:
    case KUBE_EVENT_DELETED: {
        rg_error_t err = {0};
        in->got_event = true;
        if (cache__store_apply(in->st, type, object, &err) < 0)
            rg_log_warn(MOD, "event skipped: %s kind=%s", rg_error_str(&err),
                        cache_kind_name(in->st->kind));
        set_rv(in, rv);
        break;
    }
    case KUBE_EVENT_BOOKMARK:
        in->got_event = true;
        set_rv(in, rv);
        break;
    case KUBE_EVENT_ERROR: {
        const cJSON *code = rg_json_get(object, "code");
        int c = cJSON_IsNumber(code) ? (int)code->valuedouble : 0;
        const char *reason = rg_json_get_string(object, "reason");
        const char *message = rg_json_get_string(object, "message");
        char m[CACHE_ERROR_MAX];
        snprintf(m, sizeof m, "ERROR event %d %s: %s", c, reason ? reason : "",
                 message ? message : "");
        if (is_expired(c, reason, message)) {
            rg_log_info(MOD, "watch expired, relisting kind=%s rv=%s",
                        cache_kind_name(in->st->kind), in->rv);
            ret = END_RELIST;
        } else {
            snprintf(in->errmsg, sizeof in->errmsg, "%s", m);
            ret = END_ERROR;
        }
        break;
    }
    }
    cJSON_Delete(object);
    in->watch_end = ret;
    return ret;
}

void *cache__informer_main(void *arg)
{
    cache_store_t *st = arg;
    informer_t in = {
        .st = st, .set = st->set, .res = cache_kind_resource(st->kind), .need_list = true};
    in.rnd = (uint64_t)rg_time_mono_ns() ^ ((uint64_t)st->kind << 32);
    bool watched = false;

    while (!atomic_load(&in.set->stop)) {
        if (in.need_list) {
            if (do_list(&in) < 0) {
                if (backoff(&in))
                    break;
                continue;
            }
            in.need_list = false;
            in.backoff_ms = 0;
            watched = false;
        }
        if (watched) {
            pthread_mutex_lock(&st->mu);
            st->stats.watch_restarts++;
            pthread_mutex_unlock(&st->mu);
        }
        watched = true;
        kube_watch_opts_t wo = {
            .resource_version = in.rv,
            .timeout_seconds = in.set->opts.watch_timeout_s,
            .allow_bookmarks = true,
        };
        rg_error_t err = {0};
        in.got_event = false;
        in.watch_end = 0;
        int64_t started = rg_time_mono_ns();
        int rc =
            kube_watch(in.set->opts.client, in.res, NULL, &wo, on_event, &in, &in.set->stop, &err);
        /* Changes seen just before a quiet period must not wait for the next event. */
        cache__store_publish(st, false);
        if (atomic_load(&in.set->stop))
            break;
        if (in.got_event)
            in.backoff_ms = 0;
        if (rc == END_RELIST) {
            in.need_list = true;
            continue;
        }
        if (rc == END_ERROR) {
            record_error(&in, "watch", in.errmsg);
            if (backoff(&in))
                break;
            continue;
        }
        if (rc < 0) {
            const char *msg = rg_error_str(&err);
            /* A server may refuse a stale resourceVersion with HTTP 410 instead of an event. */
            if (strstr(msg, " 410") || strstr(msg, "Expired") || strstr(msg, "Gone") ||
                strstr(msg, "too old resource version")) {
                in.need_list = true;
                continue;
            }
            record_error(&in, "watch", msg);
            if (backoff(&in))
                break;
            continue;
        }
        /*
         * A clean end (server timeout or a cut between events): resume at
         * once, unless the server keeps closing empty streams straight away.
         */
        if (!in.got_event && rg_time_mono_ns() - started < 1000000000LL && backoff(&in))
            break;
    }
    return NULL;
}

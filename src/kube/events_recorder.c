/*
 * The event recorder: callers fold identical events into series and pass
 * per-(object, reason) token buckets under one mutex, then queue; one
 * sender thread paces writes with a global bucket and creates Events,
 * patches series counts, and falls back to core/v1 when events.k8s.io is
 * missing.
 */
#include "raygate/events.h"

#include "kube/kube_internal.h"
#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MOD "events"
#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S INT64_C(1000000000)
/* Bounds of the in-memory caches (client-go keeps 4096 in its LRUs). */
#define AGG_MAX 4096u
#define KEYS_MAX 4096u
/* Series patches sent per pass of the sender, so creates are not starved. */
#define SERIES_BATCH 32u
#define IDLE_WAIT_MS 100

enum { AGG_QUEUED, AGG_CREATED, AGG_FAILED };

typedef struct agg_entry {
    uint64_t id; /* 0: free slot */
    uint64_t hash;
    char *key;
    char *name, *ns;
    events_api_t api;
    int state;
    uint32_t count, sent_count;
    int64_t last_mono, last_wall, last_flush_mono;
} agg_entry_t;

typedef struct key_bucket {
    uint64_t hash; /* 0 with key NULL: free slot */
    char *key;
    events_bucket_t b;
    int64_t last_use;
} key_bucket_t;

typedef struct job {
    uint64_t agg_id;
    cJSON *regarding;
    char *type, *reason, *action, *note, *name, *ns;
    int64_t wall_ns;
} job_t;

typedef struct series_job {
    char *name, *ns;
    events_api_t api;
    uint32_t count;
    int64_t last_wall;
} series_job_t;

struct events_recorder {
    kube_client_t *client;
    char *controller, *instance, *prefix;
    unsigned queue_max, key_burst, key_refill_s, global_burst, window_s, flush_ms;
    double global_qps;

    pthread_mutex_t mu; /* everything below */
    pthread_cond_t cv;  /* the sender's wake-up and flush completion */
    bool stopping;
    bool flush_req;
    uint64_t flush_gen;
    job_t **queue;
    size_t q_head, q_len;
    agg_entry_t *agg;
    key_bucket_t *keys;
    uint64_t next_id;
    events_bucket_t global;
    events_api_t api;
    events_stats_t st;
    pthread_t thread;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

static struct timespec mono_abs(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / NS_PER_S), (long)(ns % NS_PER_S)};
    return ts;
}

static void job_free(job_t *j)
{
    if (j == NULL)
        return;
    cJSON_Delete(j->regarding);
    rg_free(j->type);
    rg_free(j->reason);
    rg_free(j->action);
    rg_free(j->note);
    rg_free(j->name);
    rg_free(j->ns);
    rg_free(j);
}

static void agg_clear(agg_entry_t *a)
{
    rg_free(a->key);
    rg_free(a->name);
    rg_free(a->ns);
    memset(a, 0, sizeof(*a));
}

static void *sender_main(void *p);

events_recorder_t *events_recorder_new(kube_client_t *client, const events_opts_t *opts,
                                       rg_error_t *err)
{
    if (client == NULL || opts == NULL || opts->controller == NULL || opts->controller[0] == '\0' ||
        strlen(opts->controller) > EVENTS_FIELD_MAX) {
        rg_error_set(err, RG_ERR_CONFIG,
                     "events: controller (reportingController) is required, 1..%u bytes",
                     EVENTS_FIELD_MAX);
        return NULL;
    }
    if (opts->instance && strlen(opts->instance) > EVENTS_FIELD_MAX) {
        rg_error_set(err, RG_ERR_CONFIG, "events: instance \"%.40s...\" exceeds %u bytes",
                     opts->instance, EVENTS_FIELD_MAX);
        return NULL;
    }
    if (opts->global_qps < 0 || opts->global_qps > 10000) {
        rg_error_set(err, RG_ERR_CONFIG, "events: global_qps %g out of range 0..10000",
                     opts->global_qps);
        return NULL;
    }
    events_recorder_t *r = rg_calloc(1, sizeof(*r));
    r->client = client;
    r->controller = rg_strdup(opts->controller);
    if (opts->instance && *opts->instance) {
        r->instance = rg_strdup(opts->instance);
    } else {
        char host[EVENTS_FIELD_MAX + 1] = "";
        if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
            strcpy(host, "raygate");
        host[EVENTS_FIELD_MAX] = '\0';
        r->instance = rg_strdup(host);
    }
    r->prefix = rg_strdup(opts->new_api_prefix ? opts->new_api_prefix : "/apis/events.k8s.io/v1");
    r->queue_max = opts->queue_max ? opts->queue_max : EVENTS_DEFAULT_QUEUE_MAX;
    r->key_burst = opts->key_burst ? opts->key_burst : EVENTS_DEFAULT_KEY_BURST;
    r->key_refill_s = opts->key_refill_s ? opts->key_refill_s : EVENTS_DEFAULT_KEY_REFILL_S;
    r->global_qps = opts->global_qps > 0 ? opts->global_qps : EVENTS_DEFAULT_GLOBAL_QPS;
    r->global_burst = opts->global_burst ? opts->global_burst : EVENTS_DEFAULT_GLOBAL_BURST;
    r->window_s = opts->window_s ? opts->window_s : EVENTS_DEFAULT_WINDOW_S;
    r->flush_ms = opts->series_flush_ms ? opts->series_flush_ms : EVENTS_DEFAULT_SERIES_FLUSH_MS;
    r->queue = rg_calloc(r->queue_max, sizeof(*r->queue));
    r->agg = rg_calloc(AGG_MAX, sizeof(*r->agg));
    r->keys = rg_calloc(KEYS_MAX, sizeof(*r->keys));
    r->next_id = 1;
    r->api = EVENTS_API_NEW;
    events_bucket_init(&r->global, r->global_burst, rg_time_mono_ns());

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&r->mu, NULL);
    int rc = pthread_create(&r->thread, NULL, sender_main, r);
    if (rc != 0) {
        rg_error_set(err, RG_ERR_SYS, "events: cannot start thread: %s", strerror(rc));
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        rg_free(r->queue);
        rg_free(r->agg);
        rg_free(r->keys);
        rg_free(r->controller);
        rg_free(r->instance);
        rg_free(r->prefix);
        rg_free(r);
        return NULL;
    }
    return r;
}

void events_recorder_free(events_recorder_t *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    while (r->q_len > 0) {
        job_free(r->queue[r->q_head]);
        r->q_head = (r->q_head + 1) % r->queue_max;
        r->q_len--;
        r->st.dropped++;
    }
    for (size_t i = 0; i < AGG_MAX; i++)
        agg_clear(&r->agg[i]);
    for (size_t i = 0; i < KEYS_MAX; i++)
        rg_free(r->keys[i].key);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    rg_free(r->queue);
    rg_free(r->agg);
    rg_free(r->keys);
    rg_free(r->controller);
    rg_free(r->instance);
    rg_free(r->prefix);
    rg_free(r);
}

/* ---- Recording (caller threads) ---- */

static int check_field(const char *what, const char *v, rg_error_t *err)
{
    if (v == NULL || v[0] == '\0')
        return rg_error_set(err, RG_ERR_INVAL, "event %s is required", what);
    if (strlen(v) > EVENTS_FIELD_MAX)
        return rg_error_set(err, RG_ERR_INVAL, "event %s \"%.40s...\" exceeds %u bytes", what, v,
                            EVENTS_FIELD_MAX);
    return 0;
}

/* note cut at EVENTS_NOTE_MAX bytes on a UTF-8 character boundary; owned. */
static char *note_cut(const char *note)
{
    if (note == NULL)
        return rg_strdup("");
    size_t n = strnlen(note, EVENTS_NOTE_MAX + 1);
    if (n > EVENTS_NOTE_MAX) {
        n = EVENTS_NOTE_MAX;
        while (n > 0 && ((unsigned char)note[n] & 0xC0) == 0x80)
            n--;
    }
    return rg_strndup(note, n);
}

static agg_entry_t *agg_find(events_recorder_t *r, uint64_t h, const char *key)
{
    for (size_t i = 0; i < AGG_MAX; i++)
        if (r->agg[i].id && r->agg[i].hash == h && strcmp(r->agg[i].key, key) == 0)
            return &r->agg[i];
    return NULL;
}

static agg_entry_t *agg_by_id(events_recorder_t *r, uint64_t id)
{
    for (size_t i = 0; i < AGG_MAX; i++)
        if (r->agg[i].id == id)
            return &r->agg[i];
    return NULL;
}

/* A free slot, else the least recently seen entry that is not queued. */
static agg_entry_t *agg_slot(events_recorder_t *r)
{
    agg_entry_t *old = NULL;
    for (size_t i = 0; i < AGG_MAX; i++) {
        agg_entry_t *a = &r->agg[i];
        if (a->id == 0)
            return a;
        if (a->state != AGG_QUEUED && (old == NULL || a->last_mono < old->last_mono))
            old = a;
    }
    if (old)
        agg_clear(old);
    return old;
}

static key_bucket_t *key_bucket(events_recorder_t *r, const char *key, int64_t now)
{
    uint64_t h = fnv1a(key);
    key_bucket_t *free_slot = NULL, *old = NULL;
    for (size_t i = 0; i < KEYS_MAX; i++) {
        key_bucket_t *k = &r->keys[i];
        if (k->key == NULL) {
            if (free_slot == NULL)
                free_slot = k;
            continue;
        }
        if (k->hash == h && strcmp(k->key, key) == 0)
            return k;
        if (old == NULL || k->last_use < old->last_use)
            old = k;
    }
    key_bucket_t *k = free_slot ? free_slot : old;
    rg_free(k->key);
    k->key = rg_strdup(key);
    k->hash = h;
    events_bucket_init(&k->b, r->key_burst, now);
    return k;
}

int events_record(events_recorder_t *r, const cJSON *regarding, const char *type,
                  const char *reason, const char *action, const char *note, rg_error_t *err)
{
    if (r == NULL || !cJSON_IsObject(regarding))
        return rg_error_set(err, RG_ERR_INVAL, "event regarding: want an object");
    const char *kind = rg_json_get_string(regarding, "kind");
    const char *name = rg_json_get_string(regarding, "name");
    const char *ns = rg_json_get_string(regarding, "namespace");
    const char *uid = rg_json_get_string(regarding, "uid");
    const char *apiv = rg_json_get_string(regarding, "apiVersion");
    int rc;
    if ((rc = check_field("regarding.kind", kind, err)) < 0)
        return rc;
    if (name == NULL || name[0] == '\0' || strlen(name) > 253)
        return rg_error_set(err, RG_ERR_INVAL, "event regarding.name: want 1..253 bytes");
    if (ns && strlen(ns) > 63)
        return rg_error_set(err, RG_ERR_INVAL, "event regarding.namespace \"%.63s...\" too long",
                            ns);
    if (type == NULL || (strcmp(type, "Normal") != 0 && strcmp(type, "Warning") != 0))
        return rg_error_set(err, RG_ERR_INVAL, "event type \"%.20s\": want Normal or Warning",
                            type ? type : "");
    if ((rc = check_field("reason", reason, err)) < 0 ||
        (rc = check_field("action", action, err)) < 0)
        return rc;

    char *cut = note_cut(note);
    const char *ens = ns && *ns ? ns : "default";
    char *agg_key =
        rg_asprintf("%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s", apiv ? apiv : "", kind,
                    ens, name, uid ? uid : "", type, reason, action, cut);
    char *spam_key =
        rg_asprintf("%s\x1f%s\x1f%s\x1f%s\x1f%s", kind, ens, name, uid ? uid : "", reason);
    uint64_t h = fnv1a(agg_key);
    int64_t now = rg_time_mono_ns(), wall = rg_time_now_ns();
    int outcome;

    pthread_mutex_lock(&r->mu);
    agg_entry_t *a = agg_find(r, h, agg_key);
    if (a && now - a->last_mono < (int64_t)r->window_s * NS_PER_S) {
        /* The same event again: one more in its series, no new object. */
        if (a->count < UINT32_MAX)
            a->count++;
        a->last_mono = now;
        a->last_wall = wall;
        r->st.aggregated++;
        r->st.recorded++;
        outcome = EVENTS_AGGREGATED;
        goto out;
    }
    if (r->q_len >= r->queue_max) {
        r->st.dropped++;
        outcome = EVENTS_DROPPED;
        goto out;
    }
    key_bucket_t *kb = key_bucket(r, spam_key, now);
    kb->last_use = now;
    if (!events_bucket_take(&kb->b, r->key_burst, 1.0 / r->key_refill_s, now)) {
        r->st.rate_limited++;
        outcome = EVENTS_RATE_LIMITED;
        goto out;
    }
    if (a)
        agg_clear(a); /* a stale series: start a new Event */
    a = agg_slot(r);
    if (a == NULL) { /* every slot waits in the queue: the queue bounds this */
        r->st.dropped++;
        outcome = EVENTS_DROPPED;
        goto out;
    }
    a->id = r->next_id++;
    a->hash = h;
    a->key = agg_key;
    agg_key = NULL;
    /* client-go's naming: the object's name and the time in hex, unique per recorder. */
    a->name = rg_asprintf("%.200s.%llx", name, (unsigned long long)wall + a->id);
    a->ns = rg_strdup(ens);
    a->state = AGG_QUEUED;
    a->count = 1;
    a->last_mono = now;
    a->last_wall = wall;
    a->last_flush_mono = now;

    job_t *j = rg_calloc(1, sizeof(*j));
    j->agg_id = a->id;
    j->regarding = cJSON_Duplicate(regarding, true);
    j->type = rg_strdup(type);
    j->reason = rg_strdup(reason);
    j->action = rg_strdup(action);
    j->note = cut;
    cut = NULL;
    j->name = rg_strdup(a->name);
    j->ns = rg_strdup(ens);
    j->wall_ns = wall;
    r->queue[(r->q_head + r->q_len) % r->queue_max] = j;
    r->q_len++;
    r->st.recorded++;
    pthread_cond_broadcast(&r->cv);
    outcome = EVENTS_QUEUED;
out:
    pthread_mutex_unlock(&r->mu);
    rg_free(agg_key);
    rg_free(spam_key);
    rg_free(cut);
    return outcome;
}

/* ---- Sending (the recorder's thread) ---- */

/* Waits for a global token; false when stopping. Called with mu held. */
static bool global_take(events_recorder_t *r)
{
    for (;;) {
        if (r->stopping)
            return false;
        int64_t now = rg_time_mono_ns();
        int64_t w = events_bucket_wait_ns(&r->global, r->global_burst, r->global_qps, now);
        if (w == 0) {
            events_bucket_take(&r->global, r->global_burst, r->global_qps, now);
            return true;
        }
        if (w > IDLE_WAIT_MS * NS_PER_MS)
            w = IDLE_WAIT_MS * NS_PER_MS;
        struct timespec ts = mono_abs(now + w);
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    }
}

static char *events_path(events_recorder_t *r, events_api_t api, const char *ns, const char *name)
{
    if (api == EVENTS_API_CORE)
        return kube_path(&kube_res_events, ns, name, NULL);
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_append_str(&b, r->prefix);
    rg_buf_append_str(&b, "/namespaces/");
    kube__append_escaped(&b, ns);
    rg_buf_append_str(&b, "/events");
    if (name) {
        rg_buf_append_char(&b, '/');
        kube__append_escaped(&b, name);
    }
    return rg_buf_detach(&b, NULL);
}

/* POSTs the Event in api; returns the HTTP status (0: no answer). */
static int post_event(events_recorder_t *r, events_api_t api, const job_t *j)
{
    events_fields_t f = {
        .regarding = j->regarding,
        .type = j->type,
        .reason = j->reason,
        .action = j->action,
        .note = j->note,
        .controller = r->controller,
        .instance = r->instance,
        .name = j->name,
        .ns = j->ns,
        .first_ns = j->wall_ns,
        .last_ns = j->wall_ns,
        .count = 1,
    };
    cJSON *body = events_body_build(api, &f);
    char *text = rg_json_print(body);
    char *path = events_path(r, api, j->ns, NULL);
    kube_result_t res = {0};
    rg_error_t e = {0};
    int rc =
        kube_request(r->client, "POST", path, "application/json", text, strlen(text), &res, &e);
    int status = rc < 0 ? 0 : res.http_status;
    if (status != 201 && status != 200 && status != 404)
        rg_log_warn(MOD, "cannot create event: %s event=\"%s/%s\" code=%d",
                    rc < 0 ? rg_error_str(&e) : (res.message ? res.message : "failed"), j->ns,
                    j->name, status);
    kube_result_release(&res);
    rg_free(path);
    rg_free(text);
    cJSON_Delete(body);
    return status;
}

/*
 * GET of the group-version's discovery document. Only a definite answer
 * (2xx or 404) counts; anything else (no answer, 5xx, a connection left out
 * of step by the refused POST) is asked once more on a fresh attempt.
 */
static int discovery_status(events_recorder_t *r)
{
    int status = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        kube_result_t res = {0};
        rg_error_t e = {0};
        int rc = kube_request(r->client, "GET", r->prefix, NULL, NULL, 0, &res, &e);
        status = rc < 0 ? 0 : res.http_status;
        kube_result_release(&res);
        if (status == 404 || (status >= 200 && status < 300))
            break;
        rg_log_debug(MOD, "events discovery gave no definite answer: %s code=%d prefix=\"%s\"",
                     rc < 0 ? rg_error_str(&e) : "unexpected status", status, r->prefix);
    }
    return status;
}

static void send_create(events_recorder_t *r, job_t *j)
{
    events_api_t api = r->api; /* only this thread writes r->api */
    int status = post_event(r, api, j);
    if (status == 404 && api == EVENTS_API_NEW) {
        events_api_t next = events_api_next(api, status, discovery_status(r));
        if (next != api) {
            rg_log_warn(MOD, "events.k8s.io/v1 not served, writing core/v1 events prefix=\"%s\"",
                        r->prefix);
            pthread_mutex_lock(&r->mu);
            r->api = next;
            r->st.core_fallback = true;
            bool go = global_take(r);
            pthread_mutex_unlock(&r->mu);
            api = next;
            status = go ? post_event(r, api, j) : 0;
        } else {
            rg_log_warn(MOD, "cannot create event: not found event=\"%s/%s\"", j->ns, j->name);
        }
    }
    bool ok = status == 200 || status == 201;
    pthread_mutex_lock(&r->mu);
    agg_entry_t *a = agg_by_id(r, j->agg_id);
    if (a) {
        a->state = ok ? AGG_CREATED : AGG_FAILED;
        a->api = api;
        a->sent_count = 1;
    }
    if (ok)
        r->st.sent++;
    else
        r->st.failed++;
    pthread_mutex_unlock(&r->mu);
}

static void send_series(events_recorder_t *r, series_job_t *s)
{
    char *patch = events_series_patch_build(s->api, s->count, s->last_wall);
    char *path = events_path(r, s->api, s->ns, s->name);
    kube_result_t res = {0};
    rg_error_t e = {0};
    int rc = kube_request(r->client, "PATCH", path, "application/merge-patch+json", patch,
                          strlen(patch), &res, &e);
    bool ok = rc == 0 && res.http_status == 200;
    if (!ok)
        rg_log_warn(MOD, "cannot update event series: %s event=\"%s/%s\" code=%d",
                    rc < 0 ? rg_error_str(&e) : (res.message ? res.message : "failed"), s->ns,
                    s->name, rc < 0 ? 0 : res.http_status);
    kube_result_release(&res);
    rg_free(path);
    rg_free(patch);
    pthread_mutex_lock(&r->mu);
    if (ok)
        r->st.series_updates++;
    else
        r->st.failed++;
    pthread_mutex_unlock(&r->mu);
}

/* Picks series due for an update (all pending ones when force). mu held. */
static size_t collect_series(events_recorder_t *r, bool force, series_job_t *out)
{
    size_t n = 0;
    int64_t now = rg_time_mono_ns();
    for (size_t i = 0; i < AGG_MAX && n < SERIES_BATCH; i++) {
        agg_entry_t *a = &r->agg[i];
        if (a->id == 0 || a->state != AGG_CREATED || a->count <= a->sent_count)
            continue;
        if (!force && now - a->last_flush_mono < (int64_t)r->flush_ms * NS_PER_MS)
            continue;
        out[n].name = rg_strdup(a->name);
        out[n].ns = rg_strdup(a->ns);
        out[n].api = a->api;
        out[n].count = a->count;
        out[n].last_wall = a->last_wall;
        a->sent_count = a->count;
        a->last_flush_mono = now;
        n++;
    }
    return n;
}

static void *sender_main(void *p)
{
    events_recorder_t *r = p;
    series_job_t batch[SERIES_BATCH];
    pthread_mutex_lock(&r->mu);
    while (!r->stopping) {
        if (r->q_len > 0) {
            if (!global_take(r))
                break;
            job_t *j = r->queue[r->q_head];
            r->q_head = (r->q_head + 1) % r->queue_max;
            r->q_len--;
            pthread_mutex_unlock(&r->mu);
            send_create(r, j);
            job_free(j);
            pthread_mutex_lock(&r->mu);
            continue;
        }
        size_t n = collect_series(r, r->flush_req, batch);
        if (n > 0) {
            for (size_t i = 0; i < n; i++) {
                bool go = global_take(r);
                pthread_mutex_unlock(&r->mu);
                if (go)
                    send_series(r, &batch[i]);
                rg_free(batch[i].name);
                rg_free(batch[i].ns);
                pthread_mutex_lock(&r->mu);
            }
            continue;
        }
        if (r->flush_req) {
            r->flush_req = false;
            r->flush_gen++;
            pthread_cond_broadcast(&r->cv);
        }
        struct timespec ts = mono_abs(rg_time_mono_ns() + IDLE_WAIT_MS * NS_PER_MS);
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int events_recorder_flush(events_recorder_t *r, unsigned timeout_ms)
{
    int64_t due = rg_time_mono_ns() + (int64_t)timeout_ms * NS_PER_MS;
    pthread_mutex_lock(&r->mu);
    uint64_t want = r->flush_gen + 1;
    r->flush_req = true;
    pthread_cond_broadcast(&r->cv);
    int rc = 0;
    while (r->flush_gen < want) {
        if (r->stopping || rg_time_mono_ns() >= due) {
            rc = RG_ERR_TIMEOUT;
            break;
        }
        struct timespec ts = mono_abs(due);
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void events_recorder_stats_get(events_recorder_t *r, events_stats_t *out)
{
    pthread_mutex_lock(&r->mu);
    *out = r->st;
    pthread_mutex_unlock(&r->mu);
}

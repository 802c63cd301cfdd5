/*
 * The admitter's loop: cache handlers enqueue, one thread drains the queue
 * in batches, keeps the model and the newest objects current, and when
 * leading (and synced) reconciles Ray objects, runs a pass and writes its
 * decisions; it sleeps until the next event or the model's next wake time.
 */
#include "internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <errno.h>
#include <string.h>
#include <time.h>

/* The kinds the admitter follows. Pods only for the gangs of Ray clusters. */
static const cache_kind_t followed[] = {
    CACHE_KIND_WORKLOAD,
    CACHE_KIND_CLUSTERQUEUE,
    CACHE_KIND_LOCALQUEUE,
    CACHE_KIND_RESOURCEFLAVOR,
    CACHE_KIND_WORKLOADPRIORITYCLASS,
    CACHE_KIND_PRIORITYCLASS,
    CACHE_KIND_NAMESPACE,
    CACHE_KIND_COHORT,
    CACHE_KIND_RAYCLUSTER,
    CACHE_KIND_RAYJOB,
    CACHE_KIND_POD,
    CACHE_KIND_NODE,
};

void admit__enqueue(struct admit *a, aev_t *ev)
{
    pthread_mutex_lock(&a->mu);
    if (a->tail)
        a->tail->next = ev;
    else
        a->head = ev;
    a->tail = ev;
    a->enqueued++;
    pthread_cond_signal(&a->cond);
    pthread_mutex_unlock(&a->mu);
}

static bool pod_finished(const cache_obj_t *pod)
{
    return pod->phase &&
           (strcmp(pod->phase, "Succeeded") == 0 || strcmp(pod->phase, "Failed") == 0);
}

static void on_cache(void *arg, cache_kind_t kind, cache_event_t ev, const cache_obj_t *old_obj,
                     const cache_obj_t *new_obj)
{
    struct admit *a = arg;
    /* Of the pods, Ray's matter (evidence that a gang stopped), and any
     * other only when it frees capacity (deleted, or finished). */
    if (kind == CACHE_KIND_POD &&
        !((old_obj && old_obj->ray_cluster) || (new_obj && new_obj->ray_cluster)) &&
        !(ev == CACHE_EVENT_DELETE ||
          (new_obj && pod_finished(new_obj) && !(old_obj && pod_finished(old_obj)))))
        return;
    aev_t *e = rg_calloc(1, sizeof(*e));
    e->kind = AEV_CACHE;
    e->ck = kind;
    e->ev = ev;
    e->old_obj = old_obj ? cache_obj_ref(old_obj) : NULL;
    e->new_obj = new_obj ? cache_obj_ref(new_obj) : NULL;
    admit__enqueue(a, e);
}

const cache_obj_t *admit__latest(struct admit *a, cache_kind_t kind, const char *key)
{
    return rg_strmap_get(&a->latest[kind], key);
}

static void remember(struct admit *a, cache_kind_t kind, const cache_obj_t *old_obj,
                     const cache_obj_t *new_obj)
{
    if (kind == CACHE_KIND_POD)
        return;
    const cache_obj_t *o = new_obj ? new_obj : old_obj;
    const cache_obj_t *prev = rg_strmap_del(&a->latest[kind], o->key);
    if (kind == CACHE_KIND_WORKLOAD)
        admit__owner_index_update(a, prev, new_obj);
    cache_obj_unref(prev);
    if (new_obj)
        rg_strmap_put(&a->latest[kind], new_obj->key, (void *)cache_obj_ref(new_obj));
}

static void handle(struct admit *a, aev_t *e)
{
    switch (e->kind) {
    case AEV_CACHE:
        rg_log_debug("admit", "event kind=%s type=%d object=%s", cache_kind_name(e->ck), (int)e->ev,
                     (e->new_obj ? e->new_obj : e->old_obj)->key);
        remember(a, e->ck, e->old_obj, e->new_obj);
        admit__model_apply(a, e->ck, e->old_obj, e->new_obj);
        atomic_fetch_add(&a->st_events, 1);
        break;
    case AEV_WRITE_DONE:
        admit__write_done(a, e->write);
        admit__write_free(e->write);
        break;
    case AEV_LEADING:
        if (e->leading != a->leading)
            rg_log_info("admit", "%s",
                        e->leading ? "leading: admitting from now on"
                                   : "no longer leading: decisions stop");
        a->leading = e->leading;
        a->decided_once = false;
        break;
    }
    cache_obj_unref(e->old_obj);
    cache_obj_unref(e->new_obj);
    rg_free(e);
}

/* Waits for events or the next wake time; returns the batch (owned). */
static aev_t *take_batch(struct admit *a, bool *stop)
{
    pthread_mutex_lock(&a->mu);
    while (a->head == NULL && !a->stop) {
        pthread_cond_broadcast(&a->idle);
        if (a->next_wake_ns == 0) {
            pthread_cond_wait(&a->cond, &a->mu);
            continue;
        }
        int64_t wait = a->next_wake_ns - rg_time_now_ns();
        if (wait <= 0)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t t = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + wait;
        ts.tv_sec = (time_t)(t / 1000000000LL);
        ts.tv_nsec = (long)(t % 1000000000LL);
        if (pthread_cond_timedwait(&a->cond, &a->mu, &ts) == ETIMEDOUT)
            break;
    }
    aev_t *batch = a->head;
    a->head = a->tail = NULL;
    *stop = a->stop;
    pthread_mutex_unlock(&a->mu);
    return batch;
}

/* A new leader decides only on caches that have synced, so that it never
 * admits past quota it has not seen yet; until then it checks this often. */
#define ADMIT_SYNC_POLL_NS (50 * 1000000LL)

static bool ready_to_decide(struct admit *a)
{
    return a->leading && cache_set_synced(a->opts.caches);
}

static void *loop_main(void *arg)
{
    struct admit *a = arg;
    for (;;) {
        bool stop;
        aev_t *batch = take_batch(a, &stop);
        if (stop && batch == NULL)
            break;
        uint64_t n = 0;
        while (batch) {
            aev_t *next = batch->next;
            handle(a, batch);
            batch = next;
            n++;
        }
        if (ready_to_decide(a)) {
            int64_t now = rg_time_now_ns();
            a->next_wake_ns = 0;
            admit__reconcile_owners(a, now);
            admit__decide(a, now);
            admit__queue_status(a, now);
            a->decided_once = true;
        } else if (a->leading) {
            /* Leading before every cache has listed: the last list can bring no event at all
             * (an empty kind), so look again shortly instead of waiting for one. */
            int64_t again = rg_time_now_ns() + ADMIT_SYNC_POLL_NS;
            if (a->next_wake_ns == 0 || again < a->next_wake_ns)
                a->next_wake_ns = again;
        }
        pthread_mutex_lock(&a->mu);
        a->handled += n;
        if (a->head == NULL)
            pthread_cond_broadcast(&a->idle);
        pthread_mutex_unlock(&a->mu);
        if (stop)
            break;
    }
    return NULL;
}

admit_t *admit_new(const admit_opts_t *opts, rg_error_t *err)
{
    struct admit *a = rg_calloc(1, sizeof(*a));
    a->opts = *opts;
    a->model = quota_model_new();
    if (opts->policy) {
        a->policy = *opts->policy;
        quota_model_configure(a->model, opts->policy);
    } else {
        quota_policy_cfg_defaults(&a->policy);
    }
    a->opts.policy = &a->policy;
    /* Standalone writes are serialised by the local store anyway: one writer
     * keeps them in decision order. */
    a->n_writers = opts->client == NULL ? 1 : opts->writers ? opts->writers : 4;
    if (a->n_writers > ADMIT_MAX_WRITERS)
        a->n_writers = ADMIT_MAX_WRITERS;
    if (opts->client)
        admit__api_kube(&a->api, opts->client);
    else
        admit__api_local(&a->api, opts->caches);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cond, NULL);
    pthread_cond_init(&a->idle, NULL);
    a->metrics = admit__metrics_new(opts->metrics);
    a->placement = admit__placement_new(a, &opts->placement);
    a->shorthand_flavor = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(a->shorthand_flavor, "metadata"), "name",
                            QUOTA_SHORTHAND_FLAVOR);
    cJSON_AddObjectToObject(a->shorthand_flavor, "spec");
    /* Standalone there is no Lease: the only replica leads. */
    a->leading = opts->client == NULL;
    for (size_t i = 0; i < sizeof(followed) / sizeof(followed[0]); i++) {
        if (cache_set_add_handler(opts->caches, followed[i], on_cache, a, err) != RG_OK) {
            admit_free(a);
            return NULL;
        }
    }
    return a;
}

int admit_start(admit_t *a, rg_error_t *err)
{
    if (a->started)
        return rg_error_set(err, RG_ERR_STATE, "admit: already started");
    int rc = admit__writers_start(a, err);
    if (rc != RG_OK)
        return rc;
    rc = pthread_create(&a->thread, NULL, loop_main, a);
    if (rc != 0)
        return rg_error_set(err, RG_ERR_SYS, "admit: loop thread: %s", strerror(rc));
    a->started = true;
    return RG_OK;
}

void admit_set_leading(admit_t *a, bool leading)
{
    if (a == NULL)
        return;
    aev_t *e = rg_calloc(1, sizeof(*e));
    e->kind = AEV_LEADING;
    e->leading = leading;
    admit__enqueue(a, e);
}

bool admit_wait_idle(admit_t *a, unsigned timeout_ms)
{
    int64_t deadline = rg_time_mono_ns() + (int64_t)timeout_ms * 1000000LL;
    for (;;) {
        pthread_mutex_lock(&a->mu);
        bool idle = a->head == NULL && a->handled == a->enqueued;
        pthread_mutex_unlock(&a->mu);
        bool writing = false;
        for (unsigned i = 0; i < a->n_writers && idle; i++) {
            pthread_mutex_lock(&a->writers[i].mu);
            writing = writing || a->writers[i].head != NULL;
            pthread_mutex_unlock(&a->writers[i].mu);
        }
        if (idle && !writing && atomic_load(&a->n_inflight) == 0)
            return true;
        if (rg_time_mono_ns() > deadline)
            return false;
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

void admit_stop(admit_t *a)
{
    if (a == NULL || !a->started)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_cond_signal(&a->cond);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    admit__writers_stop(a);
    a->started = false;
}

static void unref_obj(void *v)
{
    cache_obj_unref(v);
}

void admit_free(admit_t *a)
{
    if (a == NULL)
        return;
    admit_stop(a);
    for (aev_t *e = a->head, *next; e; e = next) {
        next = e->next;
        cache_obj_unref(e->old_obj);
        cache_obj_unref(e->new_obj);
        admit__write_free(e->write);
        rg_free(e);
    }
    admit__owner_index_release(a);
    for (int k = 0; k < CACHE_KIND_COUNT; k++)
        rg_strmap_release_with(&a->latest[k], unref_obj);
    rg_strmap_release_with(&a->inflight, rg_free);
    rg_strmap_release_with(&a->dirty_owners, rg_free);
    admit__awaiting_release(a);
    quota_model_free(a->model);
    cJSON_Delete(a->shorthand_flavor);
    admit__placement_free(a->placement);
    if (a->opts.client == NULL)
        admit__api_local_release(&a->api);
    admit__metrics_free(a->metrics);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cond);
    pthread_cond_destroy(&a->idle);
    rg_free(a);
}

void admit_stats_get(admit_t *a, admit_stats_t *out)
{
    *out = (admit_stats_t){
        .events = atomic_load(&a->st_events),
        .passes = atomic_load(&a->st_passes),
        .admitted = atomic_load(&a->st_admitted),
        .pending = atomic_load(&a->st_pending),
        .evicted = atomic_load(&a->st_evicted),
        .conflicts = atomic_load(&a->st_conflicts),
        .write_errors = atomic_load(&a->st_write_errors),
        .workloads_created = atomic_load(&a->st_created),
        .owners_started = atomic_load(&a->st_started),
        .owners_stopped = atomic_load(&a->st_stopped),
    };
}

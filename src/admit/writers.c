/*
 * The writer pool: API writes leave the loop thread so a slow API server
 * never stalls decisions. Writes to one object always go to the same
 * writer (hash of namespace/name), so they land in the order they were
 * decided; each outcome comes back to the loop as an event.
 */
#include "internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <string.h>

void admit__write_free(admit_write_t *w)
{
    if (w == NULL)
        return;
    admit__write_free(w->then);
    rg_free(w->ns);
    rg_free(w->name);
    rg_free(w->uid);
    rg_free(w->msg);
    rg_free(w->rv);
    cJSON_Delete(w->body);
    rg_free(w);
}

static void execute(struct admit *a, admit_write_t *w)
{
    const admit_api_t *api = &a->api;
    int64_t t0 = rg_time_mono_ns();
    switch (w->op) {
    case ADMIT_OP_CREATE:
        w->outcome = api->create(api->ctx, w->res, w->ns, w->body, &w->msg, &w->rv);
        break;
    case ADMIT_OP_PATCH:
    case ADMIT_OP_PATCH_STATUS:
        w->outcome = api->patch(api->ctx, w->res, w->ns, w->name, w->body,
                                w->op == ADMIT_OP_PATCH_STATUS, &w->msg, &w->rv);
        break;
    case ADMIT_OP_JSON_PATCH:
        w->outcome = api->json_patch(api->ctx, w->res, w->ns, w->name, w->body, &w->msg);
        break;
    case ADMIT_OP_DELETE:
        w->outcome = api->del(api->ctx, w->res, w->ns, w->name, w->uid, &w->msg);
        break;
    case ADMIT_OP_GET:
        cJSON_Delete(w->body);
        w->body = api->get(api->ctx, w->res, w->ns, w->name, &w->outcome);
        break;
    }
    w->latency_ns = rg_time_mono_ns() - t0;
}

/* Hands a finished write back to the loop. */
static void report(struct admit *a, admit_write_t *w)
{
    aev_t *ev = rg_calloc(1, sizeof(*ev));
    ev->kind = AEV_WRITE_DONE;
    ev->write = w;
    admit__enqueue(a, ev);
}

static void *writer_main(void *arg)
{
    writer_t *wr = arg;
    for (;;) {
        pthread_mutex_lock(&wr->mu);
        while (wr->head == NULL && !wr->stop)
            pthread_cond_wait(&wr->cond, &wr->mu);
        admit_write_t *w = wr->head;
        if (w) {
            wr->head = w->next;
            if (wr->head == NULL)
                wr->tail = NULL;
        }
        bool stop = wr->stop && w == NULL;
        pthread_mutex_unlock(&wr->mu);
        if (stop)
            return NULL;
        w->next = NULL;
        execute(wr->a, w);
        admit_write_t *then = w->then;
        bool ok = w->outcome == ADMIT_OK;
        w->then = NULL;
        report(wr->a, w); /* the loop owns it from here */
        if (then == NULL)
            continue;
        if (ok)
            execute(wr->a, then); /* next on this writer: still in order */
        else
            then->outcome = ADMIT_SKIPPED;
        report(wr->a, then);
    }
}

int admit__writers_start(struct admit *a, rg_error_t *err)
{
    for (unsigned i = 0; i < a->n_writers; i++) {
        writer_t *wr = &a->writers[i];
        wr->a = a;
        pthread_mutex_init(&wr->mu, NULL);
        pthread_cond_init(&wr->cond, NULL);
        int rc = pthread_create(&wr->thread, NULL, writer_main, wr);
        if (rc != 0)
            return rg_error_set(err, RG_ERR_SYS, "admit: writer thread: %s", strerror(rc));
        wr->started = true;
    }
    return RG_OK;
}

void admit__writers_stop(struct admit *a)
{
    for (unsigned i = 0; i < a->n_writers; i++) {
        writer_t *wr = &a->writers[i];
        if (!wr->started)
            continue;
        pthread_mutex_lock(&wr->mu);
        wr->stop = true;
        pthread_cond_signal(&wr->cond);
        pthread_mutex_unlock(&wr->mu);
        pthread_join(wr->thread, NULL);
        wr->started = false;
        /* Writes never started are dropped; the next leader decides them again. */
        for (admit_write_t *w = wr->head, *next; w; w = next) {
            next = w->next;
            admit__write_free(w);
        }
        wr->head = wr->tail = NULL;
        pthread_mutex_destroy(&wr->mu);
        pthread_cond_destroy(&wr->cond);
    }
}

static uint64_t hash_key(const char *ns, const char *name)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = ns ? ns : ""; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    for (const char *s = name ? name : ""; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

void admit__submit(struct admit *a, admit_write_t *w)
{
    writer_t *wr = &a->writers[hash_key(w->ns, w->name) % a->n_writers];
    pthread_mutex_lock(&wr->mu);
    if (wr->tail)
        wr->tail->next = w;
    else
        wr->head = w;
    wr->tail = w;
    pthread_cond_signal(&wr->cond);
    pthread_mutex_unlock(&wr->mu);
}

static char *inflight_key(admit_purpose_t purpose, const kube_resource_t *res, const char *ns,
                          const char *name)
{
    return rg_asprintf("%d/%s/%s/%s", (int)purpose, res->resource, ns ? ns : "", name ? name : "");
}

bool admit__write_inflight(struct admit *a, admit_purpose_t purpose, const kube_resource_t *res,
                           const char *ns, const char *name)
{
    char *key = inflight_key(purpose, res, ns, name);
    bool found = rg_strmap_get(&a->inflight, key) != NULL;
    rg_free(key);
    return found;
}

void admit__write_settled(struct admit *a, const admit_write_t *w)
{
    char *key = inflight_key(w->purpose, w->res, w->ns, w->name);
    char *held = rg_strmap_del(&a->inflight, key);
    if (held)
        atomic_fetch_sub(&a->n_inflight, 1);
    rg_free(held);
    rg_free(key);
}

/*
 * A write (owned; body taken) counted in flight, or NULL (body freed) when
 * one of the same purpose to the object is in flight.
 */
static admit_write_t *write_new(struct admit *a, admit_op_t op, admit_purpose_t purpose,
                                const kube_resource_t *res, const char *ns, const char *name,
                                const char *uid, cJSON *body)
{
    char *key = inflight_key(purpose, res, ns, name);
    if (rg_strmap_get(&a->inflight, key)) {
        rg_free(key);
        cJSON_Delete(body);
        return NULL;
    }
    rg_strmap_put(&a->inflight, key, key);
    atomic_fetch_add(&a->n_inflight, 1);
    admit_write_t *w = rg_calloc(1, sizeof(*w));
    w->op = op;
    w->purpose = purpose;
    w->res = res;
    w->ns = ns ? rg_strdup(ns) : NULL;
    w->name = name ? rg_strdup(name) : NULL;
    w->uid = uid ? rg_strdup(uid) : NULL;
    w->body = body;
    return w;
}

static bool submit_new(struct admit *a, admit_write_t *w)
{
    if (w == NULL)
        return false;
    admit__submit(a, w);
    return true;
}

bool admit__write_delete(struct admit *a, admit_purpose_t purpose, const kube_resource_t *res,
                         const char *ns, const char *name, const char *uid)
{
    return submit_new(a, write_new(a, ADMIT_OP_DELETE, purpose, res, ns, name, uid, NULL));
}

bool admit__write(struct admit *a, admit_op_t op, admit_purpose_t purpose,
                  const kube_resource_t *res, const char *ns, const char *name, cJSON *body)
{
    return submit_new(a, write_new(a, op, purpose, res, ns, name, NULL, body));
}

bool admit__write_then(struct admit *a, admit_op_t op, admit_purpose_t purpose,
                       const kube_resource_t *res, const char *ns, const char *name, cJSON *body,
                       admit_op_t then_op, admit_purpose_t then_purpose, cJSON *then_body)
{
    admit_write_t *w = write_new(a, op, purpose, res, ns, name, NULL, body);
    if (w == NULL) {
        cJSON_Delete(then_body);
        return false;
    }
    if (then_body)
        w->then = write_new(a, then_op, then_purpose, res, ns, name, NULL, then_body);
    admit__submit(a, w);
    return true;
}

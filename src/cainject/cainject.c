/*
 * The CA injector: one thread that, while this replica leads, keeps the CA
 * file's bundle in raygate's webhook configurations and the Kueue CRDs'
 * conversion config (read-modify-write with resourceVersion, so a
 * concurrent kubectl apply is never overwritten blindly).
 */
#include "raygate/cainject.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"
#include "raygate/tls.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* A pass that failed is retried this soon, not a whole interval later. */
#define CAINJ_RETRY_NS (5 * (int64_t)1000000000)

/* One object the injector keeps: a webhook configuration or a CRD. */
typedef struct target {
    const kube_resource_t *res;
    char *name;
    char *last_error; /* logged once until it changes or clears */
} target_t;

struct cainj {
    kube_client_t *client;
    char *ca_file;
    char *svc_ns, *svc_name;
    unsigned svc_port;
    int64_t interval_ns;
    unsigned poll_ms;
    target_t *targets;
    size_t n_targets;

    /* The pass: one at a time (the thread, or cainj_sync_once). */
    pthread_mutex_t pass_mu;
    char *bundle_b64;
    tls_file_stamp_t stamp;
    int64_t last_pass_ns;
    bool last_failed;

    /* The thread's wake-ups. */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool leading, kick, stopping, started;
    pthread_t thread;

    atomic_uint_fast64_t passes, writes, failures;
    atomic_int_fast64_t last_success_ns;
    atomic_bool ca_loaded;
};

static void target_add(cainj_t *c, const kube_resource_t *res, const char *name)
{
    c->targets = rg_realloc(c->targets, (c->n_targets + 1) * sizeof(*c->targets));
    c->targets[c->n_targets++] = (target_t){.res = res, .name = rg_strdup(name)};
}

/* Reads the CA file when its stamp moved (or never read). Pass lock held.
 * Returns 0 (unchanged or reloaded; *changed tells) or an error: the old
 * bundle, if any, stays in use. */
static int ca_refresh(cainj_t *c, bool *changed, rg_error_t *err)
{
    *changed = false;
    tls_file_stamp_t st;
    int rc = tls_file_stamp(c->ca_file, &st);
    if (rc != 0)
        return rg_error_set(err, rc, "CA file \"%s\": cannot stat it", c->ca_file);
    if (c->bundle_b64 && tls_file_stamp_equal(&st, &c->stamp))
        return RG_OK;
    char *b64 = NULL;
    rc = tls_ca_bundle_load(c->ca_file, &b64, err);
    if (rc != 0)
        return rc;
    *changed = c->bundle_b64 == NULL || strcmp(b64, c->bundle_b64) != 0;
    rg_free(c->bundle_b64);
    c->bundle_b64 = b64;
    c->stamp = st;
    atomic_store(&c->ca_loaded, true);
    if (*changed)
        rg_log_info("cainject", "CA bundle loaded file=\"%s\" bytes=%zu", c->ca_file,
                    strlen(b64) / 4 * 3);
    return RG_OK;
}

typedef struct edit {
    cainj_t *c;
    const target_t *t;
    bool changed;
    rg_error_t err;
} edit_t;

/* kube_mutate_fn: 0 writes, 1 skips (already in place), <0 aborts. */
static int on_mutate(cJSON *obj, void *arg)
{
    edit_t *e = arg;
    cainj_service_t svc = {e->c->svc_ns, e->c->svc_name, e->c->svc_port};
    int rc = e->t->res == &kube_res_customresourcedefinitions
                 ? cainj_crd_apply(obj, &svc, e->c->bundle_b64, &e->changed, &e->err)
                 : cainj_webhooks_apply(obj, e->c->bundle_b64, &e->changed, &e->err);
    if (rc != 0)
        return rc;
    return e->changed ? 0 : 1;
}

/* Logs a target's failure once per distinct message; clears it on success. */
static void note_result(target_t *t, const char *error)
{
    if (error == NULL) {
        if (t->last_error)
            rg_log_info("cainject", "recovered kind=%s name=\"%s\"", t->res->kind, t->name);
        rg_free(t->last_error);
        t->last_error = NULL;
        return;
    }
    if (t->last_error && strcmp(t->last_error, error) == 0)
        return;
    rg_log_warn("cainject", "%s kind=%s name=\"%s\"", error, t->res->kind, t->name);
    rg_free(t->last_error);
    t->last_error = rg_strdup(error);
}

/* Brings one target in line. Returns 0 or an error (err says what). */
static int target_sync(cainj_t *c, target_t *t, rg_error_t *err)
{
    edit_t e = {.c = c, .t = t};
    kube_result_t out;
    int rc = kube_update_retry(c->client, t->res, NULL, t->name, false, on_mutate, &e, &out, err);
    if (rc < 0 && e.err.code)
        rc = rg_error_set(err, e.err.code, "%s", e.err.msg); /* the object's own shape */
    else if (rc == 0 && (out.http_status < 200 || out.http_status > 299))
        rc = err->code ? err->code : RG_ERR_HTTP; /* err holds the Status's message */
    kube_result_release(&out);
    if (rc == 0 && e.changed) {
        atomic_fetch_add(&c->writes, 1);
        rg_log_info("cainject", "caBundle written kind=%s name=\"%s\"", t->res->kind, t->name);
    }
    note_result(t, rc == 0 ? NULL : rg_error_str(err));
    return rc;
}

/* One pass over every target. Pass lock held. */
static int pass_run(cainj_t *c, rg_error_t *err)
{
    bool ca_changed;
    int first = ca_refresh(c, &ca_changed, err);
    if (first != 0) {
        rg_log_warn("cainject", "cannot read the CA bundle error=\"%s\"", rg_error_str(err));
        if (c->bundle_b64 == NULL) {
            atomic_fetch_add(&c->failures, 1);
            c->last_failed = true;
            c->last_pass_ns = rg_time_now_ns();
            return first;
        }
    }
    atomic_fetch_add(&c->passes, 1);
    for (size_t i = 0; i < c->n_targets; i++) {
        rg_error_t e = {0};
        int rc = target_sync(c, &c->targets[i], &e);
        if (rc != 0) {
            atomic_fetch_add(&c->failures, 1);
            if (first == 0) {
                first = rc;
                if (err)
                    *err = e;
            }
        }
    }
    c->last_pass_ns = rg_time_now_ns();
    c->last_failed = first != 0;
    if (first == 0)
        atomic_store(&c->last_success_ns, c->last_pass_ns);
    return first;
}

int cainj_sync_once(cainj_t *c, rg_error_t *err)
{
    pthread_mutex_lock(&c->pass_mu);
    int rc = pass_run(c, err);
    pthread_mutex_unlock(&c->pass_mu);
    return rc;
}

/* Whether the thread should run a pass now: kicked, the CA file moved, the
 * interval passed, or a failed pass is due for a retry. */
static bool pass_due(cainj_t *c, bool kicked)
{
    if (kicked)
        return true;
    int64_t since = rg_time_now_ns() - c->last_pass_ns;
    if (since >= c->interval_ns || (c->last_failed && since >= CAINJ_RETRY_NS))
        return true;
    tls_file_stamp_t st;
    return tls_file_stamp(c->ca_file, &st) == 0 && !tls_file_stamp_equal(&st, &c->stamp);
}

static void *run(void *arg)
{
    cainj_t *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->stopping) {
        if (!c->kick) {
            struct timespec dl = rg_time_deadline_ms(CLOCK_REALTIME, c->poll_ms);
            pthread_cond_timedwait(&c->cond, &c->mu, &dl);
        }
        if (c->stopping)
            break;
        bool leading = c->leading, kicked = c->kick;
        c->kick = false;
        pthread_mutex_unlock(&c->mu);
        if (leading) {
            pthread_mutex_lock(&c->pass_mu);
            if (pass_due(c, kicked)) {
                rg_error_t err = {0};
                pass_run(c, &err);
            }
            pthread_mutex_unlock(&c->pass_mu);
        }
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

cainj_t *cainj_new(const cainj_opts_t *o, rg_error_t *err)
{
    if (o == NULL || o->client == NULL || o->ca_file == NULL || o->ca_file[0] == '\0') {
        rg_error_set(err, RG_ERR_INVAL, "caInjection: needs an API client and tls.caFile");
        return NULL;
    }
    if (o->conversion.ns && (o->conversion.name == NULL || o->conversion.port > 65535)) {
        rg_error_set(err, RG_ERR_INVAL,
                     "caInjection.conversionService: needs a name and a port "
                     "1..65535");
        return NULL;
    }
    cainj_t *c = rg_calloc(1, sizeof(*c));
    c->client = o->client;
    c->ca_file = rg_strdup(o->ca_file);
    c->interval_ns = (int64_t)(o->interval_s ? o->interval_s : 60) * 1000000000;
    c->poll_ms = o->poll_ms ? o->poll_ms : 1000;
    pthread_mutex_init(&c->pass_mu, NULL);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cond, NULL);
    if (o->mutating && *o->mutating)
        target_add(c, &kube_res_mutatingwebhookconfigurations, o->mutating);
    if (o->validating && *o->validating)
        target_add(c, &kube_res_validatingwebhookconfigurations, o->validating);
    if (o->conversion.ns) {
        c->svc_ns = rg_strdup(o->conversion.ns);
        c->svc_name = rg_strdup(o->conversion.name);
        c->svc_port = o->conversion.port ? o->conversion.port : 443;
        for (size_t i = 0; i < CAINJ_CRD_COUNT; i++)
            target_add(c, &kube_res_customresourcedefinitions, cainj_conversion_crds[i]);
    }
    bool changed;
    if (ca_refresh(c, &changed, err) != 0) {
        cainj_free(c);
        return NULL;
    }
    return c;
}

int cainj_start(cainj_t *c, rg_error_t *err)
{
    if (pthread_create(&c->thread, NULL, run, c) != 0)
        return rg_error_set(err, RG_ERR_SYS, "caInjection: cannot start its thread");
    c->started = true;
    return RG_OK;
}

void cainj_set_leading(cainj_t *c, bool leading)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    c->kick = leading && !c->leading;
    c->leading = leading;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->mu);
}

void cainj_stats_get(cainj_t *c, cainj_stats_t *out)
{
    out->passes = atomic_load(&c->passes);
    out->writes = atomic_load(&c->writes);
    out->failures = atomic_load(&c->failures);
    out->last_success_ns = atomic_load(&c->last_success_ns);
    out->ca_loaded = atomic_load(&c->ca_loaded);
}

void cainj_free(cainj_t *c)
{
    if (c == NULL)
        return;
    if (c->started) {
        pthread_mutex_lock(&c->mu);
        c->stopping = true;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
    }
    for (size_t i = 0; i < c->n_targets; i++) {
        rg_free(c->targets[i].name);
        rg_free(c->targets[i].last_error);
    }
    rg_free(c->targets);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->pass_mu);
    rg_free(c->bundle_b64);
    rg_free(c->svc_ns);
    rg_free(c->svc_name);
    rg_free(c->ca_file);
    rg_free(c);
}

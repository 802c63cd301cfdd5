/*
 * The leader elector: a runner thread that reads the Lease, asks
 * leader_lease_decide what to do and writes it every retry period, and a
 * guard thread that steps the leader down the moment its renew deadline
 * passes, even while a request of the runner hangs in the client.
 */
#include "raygate/leader.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS INT64_C(1000000)
#define MOD "leader"

struct leader_elector {
    kube_client_t *client;
    char *ns, *name, *identity;
    leader_durations_t dur;
    void (*on_started)(void *);
    void (*on_stopped)(void *);
    void *arg;

    /* mu guards started/stopping/leading/last_renew_ns and the waits on cv. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* cb_mu serialises leadership flips with their callbacks (taken before mu). */
    pthread_mutex_t cb_mu;
    bool started, stopping, joined;
    bool leading;
    int64_t last_renew_ns;
    pthread_t runner, guard;

    /* Runner-owned (read by stop after the join). */
    leader_observation_t obs;
    cJSON *last_lease; /* the Lease as last read or written */
    bool reread_now;

    atomic_bool is_leader;
    atomic_uint_fast64_t st_became, st_lost, st_renew_fail, st_acquire, st_conflicts;
    atomic_int_fast64_t st_transitions;
};

char *leader_identity_default(void)
{
    char host[256] = "";
    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
        snprintf(host, sizeof(host), "raygate");
    host[sizeof(host) - 1] = '\0';
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
        r = (uint64_t)rg_time_now_ns() ^ ((uint64_t)getpid() << 32);
    /* Host names are at most 253 bytes; keep the whole identity in bounds. */
    return rg_asprintf("%.*s_%016llx", LEADER_IDENTITY_MAX - 17, host, (unsigned long long)r);
}

static struct timespec mono_abs(int64_t mono_ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(mono_ns / 1000000000);
    ts.tv_nsec = (long)(mono_ns % 1000000000);
    return ts;
}

static uint64_t rnd_u64(void)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
        r = (uint64_t)rg_time_mono_ns() * 6364136223846793005ull;
    return r;
}

leader_elector_t *leader_elector_new(kube_client_t *client, const leader_opts_t *opts,
                                     rg_error_t *err)
{
    if (client == NULL || opts == NULL) {
        rg_error_set(err, RG_ERR_INVAL, "leader election: client and options are required");
        return NULL;
    }
    if (opts->ns == NULL || opts->ns[0] == '\0' || opts->name == NULL || opts->name[0] == '\0') {
        rg_error_set(err, RG_ERR_CONFIG, "leader election: lease namespace and name are required");
        return NULL;
    }
    if (strlen(opts->ns) > 63 || strlen(opts->name) > 253) {
        rg_error_set(err, RG_ERR_CONFIG, "leader election: lease \"%.63s/%.64s\" name too long",
                     opts->ns, opts->name);
        return NULL;
    }
    if (opts->identity &&
        (opts->identity[0] == '\0' || strlen(opts->identity) > LEADER_IDENTITY_MAX)) {
        rg_error_set(err, RG_ERR_CONFIG, "leader election: identity must be 1..%d bytes, got %zu",
                     LEADER_IDENTITY_MAX, strlen(opts->identity));
        return NULL;
    }
    leader_durations_t dur;
    if (leader_durations_resolve(&opts->dur, &dur, err) < 0)
        return NULL;

    leader_elector_t *le = rg_calloc(1, sizeof(*le));
    le->client = client;
    le->ns = rg_strdup(opts->ns);
    le->name = rg_strdup(opts->name);
    le->identity = opts->identity ? rg_strdup(opts->identity) : leader_identity_default();
    le->dur = dur;
    le->on_started = opts->on_started_leading;
    le->on_stopped = opts->on_stopped_leading;
    le->arg = opts->arg;
    atomic_init(&le->is_leader, false);
    atomic_init(&le->st_became, 0);
    atomic_init(&le->st_lost, 0);
    atomic_init(&le->st_renew_fail, 0);
    atomic_init(&le->st_acquire, 0);
    atomic_init(&le->st_conflicts, 0);
    atomic_init(&le->st_transitions, -1);

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&le->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&le->mu, NULL);
    pthread_mutex_init(&le->cb_mu, NULL);
    return le;
}

/* Flips to non-leader, then tells the owner; the flag is false first. */
static void step_down(leader_elector_t *le, bool lost, const char *why)
{
    pthread_mutex_lock(&le->cb_mu);
    pthread_mutex_lock(&le->mu);
    bool was = le->leading;
    le->leading = false;
    atomic_store(&le->is_leader, false);
    pthread_mutex_unlock(&le->mu);
    if (was) {
        if (lost)
            atomic_fetch_add(&le->st_lost, 1);
        rg_log(lost ? RG_LOG_WARN : RG_LOG_INFO, MOD,
               "stopped leading: %s lease=\"%s/%s\" identity=\"%s\"", why, le->ns, le->name,
               le->identity);
        if (le->on_stopped)
            le->on_stopped(le->arg);
    }
    pthread_mutex_unlock(&le->cb_mu);
}

static void become_leader(leader_elector_t *le, int64_t send_ns)
{
    pthread_mutex_lock(&le->cb_mu);
    pthread_mutex_lock(&le->mu);
    if (le->stopping || le->leading) {
        pthread_mutex_unlock(&le->mu);
        pthread_mutex_unlock(&le->cb_mu);
        return;
    }
    le->leading = true;
    le->last_renew_ns = send_ns;
    atomic_store(&le->is_leader, true);
    pthread_cond_broadcast(&le->cv); /* the guard now watches a deadline */
    pthread_mutex_unlock(&le->mu);
    atomic_fetch_add(&le->st_became, 1);
    rg_log_info(MOD, "started leading lease=\"%s/%s\" identity=\"%s\"", le->ns, le->name,
                le->identity);
    if (le->on_started)
        le->on_started(le->arg);
    pthread_mutex_unlock(&le->cb_mu);
}

/* The guard: steps the leader down as soon as its renew deadline passes. */
static void *guard_main(void *p)
{
    leader_elector_t *le = p;
    int64_t deadline_ns = (int64_t)le->dur.renew_deadline_ms * NS_PER_MS;
    pthread_mutex_lock(&le->mu);
    while (!le->stopping) {
        if (le->leading) {
            int64_t due = le->last_renew_ns + deadline_ns;
            if (rg_time_mono_ns() >= due) {
                pthread_mutex_unlock(&le->mu);
                step_down(le, true, "renew deadline passed");
                pthread_mutex_lock(&le->mu);
                continue;
            }
            struct timespec ts = mono_abs(due);
            pthread_cond_timedwait(&le->cv, &le->mu, &ts);
        } else {
            pthread_cond_wait(&le->cv, &le->mu);
        }
    }
    pthread_mutex_unlock(&le->mu);
    return NULL;
}

static void keep_lease(leader_elector_t *le, cJSON *lease)
{
    cJSON_Delete(le->last_lease);
    le->last_lease = lease;
}

/* Whether the leader may still write: leading and inside its deadline. */
static bool may_renew(leader_elector_t *le)
{
    pthread_mutex_lock(&le->mu);
    bool ok =
        le->leading && !le->stopping &&
        rg_time_mono_ns() - le->last_renew_ns <= (int64_t)le->dur.renew_deadline_ms * NS_PER_MS;
    pthread_mutex_unlock(&le->mu);
    return ok;
}

static void renew_ok(leader_elector_t *le, int64_t send_ns)
{
    pthread_mutex_lock(&le->mu);
    if (le->leading && send_ns > le->last_renew_ns)
        le->last_renew_ns = send_ns;
    pthread_cond_broadcast(&le->cv);
    pthread_mutex_unlock(&le->mu);
}

/* Records a written or read Lease: observation, stats, last_lease. */
static void took_lease(leader_elector_t *le, cJSON *body)
{
    rg_error_t e = {0};
    if (leader_observe(&le->obs, body, rg_time_mono_ns(), &e) < 0)
        rg_log_warn(MOD, "malformed lease: %s", rg_error_str(&e));
    const cJSON *tr = rg_json_path(body, "spec", "leaseTransitions", NULL);
    if (cJSON_IsNumber(tr))
        atomic_store(&le->st_transitions, (int_fast64_t)tr->valuedouble);
    keep_lease(le, body);
}

/* One read-decide-write round. */
static void run_round(leader_elector_t *le)
{
    rg_error_t e = {0};
    kube_result_t res = {0};
    pthread_mutex_lock(&le->mu);
    bool am_leader = le->leading;
    int64_t last_renew = le->last_renew_ns;
    pthread_mutex_unlock(&le->mu);

    int rc = kube_get(le->client, &kube_res_leases, le->ns, le->name, &res, &e);
    if (rc < 0 || (res.http_status != 200 && res.http_status != 404)) {
        if (am_leader)
            atomic_fetch_add(&le->st_renew_fail, 1);
        rg_log_warn(MOD, "cannot read lease: %s lease=\"%s/%s\" code=%d reason=\"%s\"",
                    rc < 0 ? rg_error_str(&e) : (res.message ? res.message : "unexpected answer"),
                    le->ns, le->name, res.http_status, res.reason ? res.reason : "");
        kube_result_release(&res);
        return;
    }
    const cJSON *current = res.http_status == 200 ? res.body : NULL;
    if (res.http_status == 200 && !cJSON_IsObject(current)) {
        if (am_leader)
            atomic_fetch_add(&le->st_renew_fail, 1);
        rg_log_warn(MOD, "lease answer is not an object lease=\"%s/%s\"", le->ns, le->name);
        kube_result_release(&res);
        return;
    }

    leader_input_t in = {
        .lease = current,
        .identity = le->identity,
        .ns = le->ns,
        .name = le->name,
        .dur = le->dur,
        .am_leader = am_leader,
        .last_renew_mono_ns = last_renew,
        .mono_ns = rg_time_mono_ns(),
        .wall_ns = rg_time_now_ns(),
    };
    leader_decision_t d;
    rc = leader_lease_decide(&in, &le->obs, &d, &e);
    if (current) {
        const cJSON *tr = rg_json_path(current, "spec", "leaseTransitions", NULL);
        if (cJSON_IsNumber(tr))
            atomic_store(&le->st_transitions, (int_fast64_t)tr->valuedouble);
        keep_lease(le, cJSON_Duplicate(current, true));
    }
    kube_result_release(&res);
    if (rc < 0) {
        if (am_leader)
            atomic_fetch_add(&le->st_renew_fail, 1);
        rg_log_warn(MOD, "cannot decide: %s lease=\"%s/%s\"", rg_error_str(&e), le->ns, le->name);
        return;
    }

    switch (d.action) {
    case LEADER_WAIT: break;
    case LEADER_LOST:
        step_down(le, true,
                  current ? "lease held by another or renew deadline passed" : "lease deleted");
        break;
    case LEADER_RENEW: {
        if (!may_renew(le)) {
            step_down(le, true, "renew deadline passed");
            break;
        }
        int64_t send_ns = rg_time_mono_ns();
        rc = kube_update(le->client, &kube_res_leases, le->ns, d.lease, false, &res, &e);
        if (rc == 0 && res.http_status == 200 && cJSON_IsObject(res.body)) {
            renew_ok(le, send_ns);
            took_lease(le, res.body);
            res.body = NULL;
        } else {
            atomic_fetch_add(&le->st_renew_fail, 1);
            if (rc == 0 && res.http_status == 409) {
                atomic_fetch_add(&le->st_conflicts, 1);
                le->reread_now = true;
            }
            rg_log_warn(MOD, "cannot renew lease: %s lease=\"%s/%s\" code=%d",
                        rc < 0 ? rg_error_str(&e) : (res.message ? res.message : "failed"), le->ns,
                        le->name, res.http_status);
        }
        kube_result_release(&res);
        break;
    }
    case LEADER_CREATE:
    case LEADER_ACQUIRE: {
        pthread_mutex_lock(&le->mu);
        bool stopping = le->stopping;
        pthread_mutex_unlock(&le->mu);
        if (stopping)
            break;
        atomic_fetch_add(&le->st_acquire, 1);
        int64_t send_ns = rg_time_mono_ns();
        if (d.action == LEADER_CREATE)
            rc = kube_create(le->client, &kube_res_leases, le->ns, d.lease, &res, &e);
        else
            rc = kube_update(le->client, &kube_res_leases, le->ns, d.lease, false, &res, &e);
        if (rc == 0 && (res.http_status == 200 || res.http_status == 201) &&
            cJSON_IsObject(res.body)) {
            took_lease(le, res.body);
            res.body = NULL;
            become_leader(le, send_ns);
        } else if (rc == 0 && res.http_status == 409) {
            /* Another replica wrote first: its record is read next round. */
            atomic_fetch_add(&le->st_conflicts, 1);
            rg_log_debug(MOD, "lost the race for the lease lease=\"%s/%s\"", le->ns, le->name);
        } else {
            rg_log_warn(MOD, "cannot acquire lease: %s lease=\"%s/%s\" code=%d",
                        rc < 0 ? rg_error_str(&e) : (res.message ? res.message : "failed"), le->ns,
                        le->name, res.http_status);
        }
        kube_result_release(&res);
        break;
    }
    }
    cJSON_Delete(d.lease);
}

static void *runner_main(void *p)
{
    leader_elector_t *le = p;
    for (;;) {
        int64_t t0 = rg_time_mono_ns();
        pthread_mutex_lock(&le->mu);
        bool stop = le->stopping;
        pthread_mutex_unlock(&le->mu);
        if (stop)
            break;
        run_round(le);

        pthread_mutex_lock(&le->mu);
        int64_t period = (int64_t)le->dur.retry_ms * NS_PER_MS;
        /* Candidates spread their attempts (client-go jitters by up to
         * 1.2 x); a leader renews on the period; after a 409 the leader
         * re-reads at once, since its deadline is running. */
        if (!le->leading)
            period += (int64_t)(rnd_u64() % (uint64_t)(period / 5 + 1));
        if (le->reread_now) {
            le->reread_now = false;
            period = 0;
        }
        struct timespec ts = mono_abs(t0 + period);
        while (!le->stopping && rg_time_mono_ns() < t0 + period) {
            if (pthread_cond_timedwait(&le->cv, &le->mu, &ts) == ETIMEDOUT)
                break;
        }
        pthread_mutex_unlock(&le->mu);
    }
    return NULL;
}

int leader_elector_start(leader_elector_t *le, rg_error_t *err)
{
    pthread_mutex_lock(&le->mu);
    if (le->started) {
        pthread_mutex_unlock(&le->mu);
        return rg_error_set(err, RG_ERR_STATE, "leader election: elector already started");
    }
    le->started = true;
    pthread_mutex_unlock(&le->mu);
    int rc = pthread_create(&le->guard, NULL, guard_main, le);
    if (rc != 0) {
        pthread_mutex_lock(&le->mu);
        le->started = false;
        pthread_mutex_unlock(&le->mu);
        return rg_error_set(err, RG_ERR_SYS, "leader election: cannot start thread: %s",
                            strerror(rc));
    }
    rc = pthread_create(&le->runner, NULL, runner_main, le);
    if (rc != 0) {
        pthread_mutex_lock(&le->mu);
        le->stopping = true;
        pthread_cond_broadcast(&le->cv);
        pthread_mutex_unlock(&le->mu);
        pthread_join(le->guard, NULL);
        le->joined = true;
        return rg_error_set(err, RG_ERR_SYS, "leader election: cannot start thread: %s",
                            strerror(rc));
    }
    rg_log_info(MOD,
                "campaigning lease=\"%s/%s\" identity=\"%s\" lease_ms=%u renew_ms=%u "
                "retry_ms=%u",
                le->ns, le->name, le->identity, le->dur.lease_ms, le->dur.renew_deadline_ms,
                le->dur.retry_ms);
    return 0;
}

/* Ends both threads; returns whether this call did it. */
static bool halt(leader_elector_t *le)
{
    pthread_mutex_lock(&le->mu);
    if (!le->started || le->joined) {
        le->stopping = true;
        pthread_mutex_unlock(&le->mu);
        return false;
    }
    le->stopping = true;
    pthread_cond_broadcast(&le->cv);
    pthread_mutex_unlock(&le->mu);
    pthread_join(le->runner, NULL);
    pthread_join(le->guard, NULL);
    le->joined = true;
    return true;
}

static void release(leader_elector_t *le)
{
    cJSON *rel = leader_lease_release_build(le->last_lease, le->identity, rg_time_now_ns());
    if (rel == NULL)
        return;
    kube_result_t res = {0};
    rg_error_t e = {0};
    int rc = kube_update(le->client, &kube_res_leases, le->ns, rel, false, &res, &e);
    if (rc == 0 && res.http_status == 200)
        rg_log_info(MOD, "released lease lease=\"%s/%s\" identity=\"%s\"", le->ns, le->name,
                    le->identity);
    else
        /* A 409 means a successor already wrote: nothing of ours to release. */
        rg_log_info(MOD, "lease not released: %s lease=\"%s/%s\" code=%d",
                    rc < 0 ? rg_error_str(&e) : (res.reason ? res.reason : "failed"), le->ns,
                    le->name, res.http_status);
    kube_result_release(&res);
    cJSON_Delete(rel);
}

void leader_elector_stop(leader_elector_t *le)
{
    if (le == NULL || !halt(le))
        return;
    step_down(le, false, "stopping");
    release(le);
}

void leader_elector_abandon(leader_elector_t *le)
{
    if (le == NULL || !halt(le))
        return;
    step_down(le, false, "abandoned without release");
}

void leader_elector_free(leader_elector_t *le)
{
    if (le == NULL)
        return;
    leader_elector_stop(le);
    pthread_cond_destroy(&le->cv);
    pthread_mutex_destroy(&le->mu);
    pthread_mutex_destroy(&le->cb_mu);
    leader_observation_release(&le->obs);
    cJSON_Delete(le->last_lease);
    rg_free(le->ns);
    rg_free(le->name);
    rg_free(le->identity);
    rg_free(le);
}

bool leader_elector_is_leader(const leader_elector_t *le)
{
    return le != NULL && atomic_load(&((leader_elector_t *)le)->is_leader);
}

const char *leader_elector_identity(const leader_elector_t *le)
{
    return le->identity;
}

void leader_elector_stats_get(const leader_elector_t *cle, leader_stats_t *out)
{
    leader_elector_t *le = (leader_elector_t *)cle;
    out->is_leader = atomic_load(&le->is_leader);
    out->became_leader = atomic_load(&le->st_became);
    out->lost = atomic_load(&le->st_lost);
    out->renew_failures = atomic_load(&le->st_renew_fail);
    out->acquire_attempts = atomic_load(&le->st_acquire);
    out->conflicts = atomic_load(&le->st_conflicts);
    out->lease_transitions = atomic_load(&le->st_transitions);
}

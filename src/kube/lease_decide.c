/*
 * The leader-election decision over a Lease: what a replica should write
 * (or not) given what it read, what it saw before, and its clocks. Pure:
 * no I/O, no locks, no clock reads; the elector (lease_elector.c) does those.
 */
#include "raygate/leader.h"

#include "raygate/alloc.h"
#include "raygate/timeutil.h"

#include <limits.h>
#include <string.h>
#include <time.h>

#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S INT64_C(1000000000)
/* A remote leaseDurationSeconds above this is clamped (a year): it bounds
 * the arithmetic; the election simply waits that long. */
#define LEASE_DURATION_MAX_S INT64_C(31536000)

int leader_durations_resolve(const leader_durations_t *in, leader_durations_t *out, rg_error_t *err)
{
    leader_durations_t d = {0};
    if (in)
        d = *in;
    if (d.lease_ms == 0)
        d.lease_ms = LEADER_DEFAULT_LEASE_MS;
    if (d.renew_deadline_ms == 0)
        d.renew_deadline_ms = LEADER_DEFAULT_RENEW_DEADLINE_MS;
    if (d.retry_ms == 0)
        d.retry_ms = LEADER_DEFAULT_RETRY_MS;
    if (d.lease_ms <= d.renew_deadline_ms)
        return rg_error_set(err, RG_ERR_CONFIG,
                            "leader election: lease duration %ums must exceed the renew "
                            "deadline %ums",
                            d.lease_ms, d.renew_deadline_ms);
    if ((uint64_t)d.renew_deadline_ms * 10 <= (uint64_t)d.retry_ms * 12)
        return rg_error_set(err, RG_ERR_CONFIG,
                            "leader election: renew deadline %ums must exceed 1.2 x the "
                            "retry period %ums",
                            d.renew_deadline_ms, d.retry_ms);
    if (d.lease_ms > 3600u * 1000u)
        return rg_error_set(err, RG_ERR_CONFIG,
                            "leader election: lease duration %ums exceeds one hour", d.lease_ms);
    *out = d;
    return 0;
}

static void record_release(leader_record_t *r)
{
    rg_free(r->holder);
    rg_free(r->acquire_time);
    rg_free(r->renew_time);
    memset(r, 0, sizeof(*r));
}

void leader_observation_release(leader_observation_t *o)
{
    if (o == NULL)
        return;
    record_release(&o->rec);
    memset(o, 0, sizeof(*o));
}

const char *leader_action_name(leader_action_t a)
{
    switch (a) {
    case LEADER_WAIT: return "wait";
    case LEADER_CREATE: return "create";
    case LEADER_ACQUIRE: return "acquire";
    case LEADER_RENEW: return "renew";
    case LEADER_LOST: return "lost";
    }
    return "unknown";
}

/* An optional string field: absent or null -> "", other types refused. */
static int spec_string(const cJSON *spec, const char *key, char **out, rg_error_t *err)
{
    const cJSON *v = spec ? cJSON_GetObjectItemCaseSensitive(spec, key) : NULL;
    if (v == NULL || cJSON_IsNull(v)) {
        *out = rg_strdup("");
        return 0;
    }
    if (!cJSON_IsString(v))
        return rg_error_set(err, RG_ERR_PARSE, "lease spec.%s: want a string, got %s", key,
                            rg_json_type_name(v));
    *out = rg_strndup(v->valuestring, 1024);
    return 0;
}

static int spec_int(const cJSON *spec, const char *key, int64_t max, int64_t *out, rg_error_t *err)
{
    const cJSON *v = spec ? cJSON_GetObjectItemCaseSensitive(spec, key) : NULL;
    *out = 0;
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsNumber(v))
        return rg_error_set(err, RG_ERR_PARSE, "lease spec.%s: want an integer, got %s", key,
                            rg_json_type_name(v));
    double d = v->valuedouble;
    if (d < 0)
        d = 0;
    if (d > (double)max)
        d = (double)max;
    *out = (int64_t)d;
    return 0;
}

static int record_parse(const cJSON *lease, leader_record_t *r, rg_error_t *err)
{
    memset(r, 0, sizeof(*r));
    if (!cJSON_IsObject(lease))
        return rg_error_set(err, RG_ERR_PARSE, "lease: want an object, got %s",
                            rg_json_type_name(lease));
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(lease, "spec");
    if (spec && !cJSON_IsNull(spec) && !cJSON_IsObject(spec))
        return rg_error_set(err, RG_ERR_PARSE, "lease spec: want an object, got %s",
                            rg_json_type_name(spec));
    int rc;
    if ((rc = spec_string(spec, "holderIdentity", &r->holder, err)) < 0 ||
        (rc = spec_string(spec, "acquireTime", &r->acquire_time, err)) < 0 ||
        (rc = spec_string(spec, "renewTime", &r->renew_time, err)) < 0 ||
        (rc = spec_int(spec, "leaseDurationSeconds", LEASE_DURATION_MAX_S, &r->lease_duration_s,
                       err)) < 0 ||
        (rc = spec_int(spec, "leaseTransitions", INT32_MAX, &r->transitions, err)) < 0) {
        record_release(r);
        return rc;
    }
    return 0;
}

static bool record_equal(const leader_record_t *a, const leader_record_t *b)
{
    return strcmp(a->holder, b->holder) == 0 && a->lease_duration_s == b->lease_duration_s &&
           strcmp(a->acquire_time, b->acquire_time) == 0 &&
           strcmp(a->renew_time, b->renew_time) == 0 && a->transitions == b->transitions;
}

int leader_observe(leader_observation_t *o, const cJSON *lease, int64_t mono_ns, rg_error_t *err)
{
    if (lease == NULL) {
        leader_observation_release(o);
        return 0;
    }
    leader_record_t r;
    int rc = record_parse(lease, &r, err);
    if (rc < 0)
        return rc;
    if (o->seen && record_equal(&o->rec, &r)) {
        record_release(&r);
        return 0;
    }
    record_release(&o->rec);
    o->rec = r;
    o->seen = true;
    o->observed_mono_ns = mono_ns;
    return 0;
}

/* MicroTime: RFC 3339 with microseconds, UTC. */
static void set_time(cJSON *spec, const char *key, int64_t wall_ns)
{
    char ts[40];
    rg_time_format_rfc3339(wall_ns, ts, sizeof(ts));
    cJSON_DeleteItemFromObjectCaseSensitive(spec, key);
    cJSON_AddStringToObject(spec, key, ts);
}

static void set_number(cJSON *spec, const char *key, double v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(spec, key);
    cJSON_AddNumberToObject(spec, key, v);
}

static void set_string(cJSON *spec, const char *key, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(spec, key);
    cJSON_AddStringToObject(spec, key, v);
}

static int64_t lease_seconds(const leader_durations_t *d)
{
    return ((int64_t)d->lease_ms + 999) / 1000;
}

/* A copy of lease whose spec is an object, ready to be modified. */
static cJSON *lease_copy(const cJSON *lease, cJSON **spec_out)
{
    cJSON *c = cJSON_Duplicate(lease, true);
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(c, "spec");
    if (!cJSON_IsObject(spec)) {
        cJSON_DeleteItemFromObjectCaseSensitive(c, "spec");
        spec = cJSON_AddObjectToObject(c, "spec");
    }
    *spec_out = spec;
    return c;
}

static cJSON *lease_new(const leader_input_t *in)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "apiVersion", "coordination.k8s.io/v1");
    cJSON_AddStringToObject(l, "kind", "Lease");
    cJSON *meta = cJSON_AddObjectToObject(l, "metadata");
    cJSON_AddStringToObject(meta, "name", in->name);
    cJSON_AddStringToObject(meta, "namespace", in->ns);
    cJSON *spec = cJSON_AddObjectToObject(l, "spec");
    set_string(spec, "holderIdentity", in->identity);
    set_number(spec, "leaseDurationSeconds", (double)lease_seconds(&in->dur));
    set_time(spec, "acquireTime", in->wall_ns);
    set_time(spec, "renewTime", in->wall_ns);
    set_number(spec, "leaseTransitions", 0);
    return l;
}

int leader_lease_decide(const leader_input_t *in, leader_observation_t *obs, leader_decision_t *out,
                        rg_error_t *err)
{
    memset(out, 0, sizeof(*out));
    int rc = leader_observe(obs, in->lease, in->mono_ns, err);
    if (rc < 0)
        return rc;

    if (in->lease == NULL) {
        /* Someone deleted the Lease under a leader: step down first, so two
         * replicas never both act while racing to create it again. */
        if (in->am_leader) {
            out->action = LEADER_LOST;
            return 0;
        }
        out->action = LEADER_CREATE;
        out->lease = lease_new(in);
        return 0;
    }

    const leader_record_t *r = &obs->rec;
    bool mine = strcmp(r->holder, in->identity) == 0;

    if (in->am_leader) {
        int64_t deadline = (int64_t)in->dur.renew_deadline_ms * NS_PER_MS;
        if (!mine || in->mono_ns - in->last_renew_mono_ns > deadline) {
            out->action = LEADER_LOST;
            return 0;
        }
        cJSON *spec;
        out->action = LEADER_RENEW;
        out->lease = lease_copy(in->lease, &spec);
        set_number(spec, "leaseDurationSeconds", (double)lease_seconds(&in->dur));
        set_time(spec, "renewTime", in->wall_ns);
        return 0;
    }

    int64_t expiry = obs->observed_mono_ns + r->lease_duration_s * NS_PER_S;
    if (r->holder[0] != '\0' && in->mono_ns < expiry) {
        out->action = LEADER_WAIT;
        out->expires_in_ns = expiry - in->mono_ns;
        return 0;
    }
    cJSON *spec;
    out->action = LEADER_ACQUIRE;
    out->lease = lease_copy(in->lease, &spec);
    set_string(spec, "holderIdentity", in->identity);
    set_number(spec, "leaseDurationSeconds", (double)lease_seconds(&in->dur));
    set_time(spec, "acquireTime", in->wall_ns);
    set_time(spec, "renewTime", in->wall_ns);
    set_number(spec, "leaseTransitions", (double)(mine ? r->transitions : r->transitions + 1));
    return 0;
}

cJSON *leader_lease_release_build(const cJSON *current, const char *identity, int64_t wall_ns)
{
    if (!cJSON_IsObject(current))
        return NULL;
    const char *holder = rg_json_get_string(rg_json_get_object(current, "spec"), "holderIdentity");
    if (holder == NULL || identity == NULL || strcmp(holder, identity) != 0)
        return NULL;
    cJSON *spec;
    cJSON *l = lease_copy(current, &spec);
    set_string(spec, "holderIdentity", "");
    set_number(spec, "leaseDurationSeconds", 1);
    set_time(spec, "acquireTime", wall_ns);
    set_time(spec, "renewTime", wall_ns);
    return l;
}

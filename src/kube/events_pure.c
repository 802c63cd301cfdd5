/*
 * The pure parts of the event recorder: token buckets, the events.k8s.io ->
 * core/v1 fallback decision, and the Event bodies and series patches for
 * both APIs. No I/O, no locks, clocks passed in.
 */
#include "raygate/events.h"

#include "raygate/alloc.h"
#include "raygate/buf.h"
#include "raygate/timeutil.h"

#include <string.h>

#define NS_PER_S 1e9

void events_bucket_init(events_bucket_t *b, double burst, int64_t now_ns)
{
    b->tokens = burst;
    b->last_ns = now_ns;
}

static void refill(events_bucket_t *b, double burst, double rate, int64_t now_ns)
{
    if (now_ns > b->last_ns) {
        b->tokens += (double)(now_ns - b->last_ns) / NS_PER_S * rate;
        if (b->tokens > burst)
            b->tokens = burst;
    }
    /* A clock that went backwards refills nothing but moves the mark. */
    b->last_ns = now_ns;
}

bool events_bucket_take(events_bucket_t *b, double burst, double rate, int64_t now_ns)
{
    refill(b, burst, rate, now_ns);
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}

int64_t events_bucket_wait_ns(const events_bucket_t *b, double burst, double rate, int64_t now_ns)
{
    events_bucket_t c = *b;
    refill(&c, burst, rate, now_ns);
    if (c.tokens >= 1.0)
        return 0;
    if (rate <= 0)
        return INT64_MAX;
    return (int64_t)((1.0 - c.tokens) / rate * NS_PER_S) + 1;
}

events_api_t events_api_next(events_api_t api, int create_status, int discovery_status)
{
    if (api == EVENTS_API_NEW && create_status == 404 && discovery_status == 404)
        return EVENTS_API_CORE;
    return api;
}

static void add_micro_time(cJSON *o, const char *key, int64_t ns)
{
    char ts[40];
    rg_time_format_rfc3339(ns, ts, sizeof(ts));
    cJSON_AddStringToObject(o, key, ts);
}

/* metav1.Time: seconds precision. */
static void add_time(cJSON *o, const char *key, int64_t ns)
{
    char ts[40];
    rg_time_format_rfc3339(ns, ts, sizeof(ts));
    char *dot = strchr(ts, '.');
    if (dot) {
        dot[0] = 'Z';
        dot[1] = '\0';
    }
    cJSON_AddStringToObject(o, key, ts);
}

static cJSON *reference(const cJSON *regarding)
{
    static const char *const keys[] = {"apiVersion", "kind", "namespace",
                                       "name",       "uid",  "resourceVersion"};
    cJSON *r = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *v = rg_json_get_string(regarding, keys[i]);
        if (v && *v)
            cJSON_AddStringToObject(r, keys[i], v);
    }
    return r;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

cJSON *events_body_build(events_api_t api, const events_fields_t *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "apiVersion", api == EVENTS_API_NEW ? "events.k8s.io/v1" : "v1");
    cJSON_AddStringToObject(o, "kind", "Event");
    cJSON *meta = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(meta, "name", or_empty(f->name));
    cJSON_AddStringToObject(meta, "namespace", or_empty(f->ns));
    if (api == EVENTS_API_NEW) {
        add_micro_time(o, "eventTime", f->first_ns);
        cJSON_AddStringToObject(o, "reportingController", or_empty(f->controller));
        cJSON_AddStringToObject(o, "reportingInstance", or_empty(f->instance));
        cJSON_AddStringToObject(o, "action", or_empty(f->action));
        cJSON_AddStringToObject(o, "reason", or_empty(f->reason));
        cJSON_AddStringToObject(o, "type", or_empty(f->type));
        cJSON_AddStringToObject(o, "note", or_empty(f->note));
        cJSON_AddItemToObject(o, "regarding", reference(f->regarding));
        if (f->count >= 2) {
            cJSON *s = cJSON_AddObjectToObject(o, "series");
            cJSON_AddNumberToObject(s, "count", f->count);
            add_micro_time(s, "lastObservedTime", f->last_ns);
        }
    } else {
        /* Legacy shape (no eventTime, so the legacy validation applies). */
        cJSON_AddItemToObject(o, "involvedObject", reference(f->regarding));
        cJSON_AddStringToObject(o, "reason", or_empty(f->reason));
        cJSON_AddStringToObject(o, "message", or_empty(f->note));
        cJSON_AddStringToObject(o, "type", or_empty(f->type));
        cJSON_AddStringToObject(o, "action", or_empty(f->action));
        cJSON_AddNumberToObject(o, "count", f->count ? f->count : 1);
        add_time(o, "firstTimestamp", f->first_ns);
        add_time(o, "lastTimestamp", f->last_ns);
        cJSON *src = cJSON_AddObjectToObject(o, "source");
        cJSON_AddStringToObject(src, "component", or_empty(f->controller));
        cJSON_AddStringToObject(src, "host", or_empty(f->instance));
        cJSON_AddStringToObject(o, "reportingComponent", or_empty(f->controller));
        cJSON_AddStringToObject(o, "reportingInstance", or_empty(f->instance));
    }
    return o;
}

char *events_series_patch_build(events_api_t api, uint32_t count, int64_t last_ns)
{
    cJSON *p = cJSON_CreateObject();
    if (api == EVENTS_API_NEW) {
        cJSON *s = cJSON_AddObjectToObject(p, "series");
        cJSON_AddNumberToObject(s, "count", count);
        add_micro_time(s, "lastObservedTime", last_ns);
    } else {
        cJSON_AddNumberToObject(p, "count", count);
        add_time(p, "lastTimestamp", last_ns);
    }
    char *txt = rg_json_print(p);
    cJSON_Delete(p);
    return txt;
}

/*
 * Kubernetes Events for raygate's decisions (events.k8s.io/v1, falling back
 * to core/v1 when the server lacks the events.k8s.io group). The recorder
 * owns a bounded queue, the aggregation cache and the rate limiters, and
 * one background thread that writes through the kube client. events_record
 * and events_recorder_stats_get may be called from any thread; it never
 * blocks on the API server. The pure pieces (token bucket, fallback
 * decision, body builders) are exposed for tests.
 */
#ifndef RAYGATE_EVENTS_H
#define RAYGATE_EVENTS_H

#include "raygate/err.h"
#include "raygate/json.h"
#include "raygate/kube.h"

#include <stdbool.h>
#include <stdint.h>

/* client-go's EventSourceObjectSpamFilter: burst 25, one token per 5 min. */
#define EVENTS_DEFAULT_KEY_BURST 25u
#define EVENTS_DEFAULT_KEY_REFILL_S 300u
#define EVENTS_DEFAULT_GLOBAL_QPS 10.0
#define EVENTS_DEFAULT_GLOBAL_BURST 25u
#define EVENTS_DEFAULT_QUEUE_MAX 1000u
#define EVENTS_DEFAULT_WINDOW_S 600u
#define EVENTS_DEFAULT_SERIES_FLUSH_MS 30000u
/* API validation limits of events.k8s.io/v1. */
#define EVENTS_NOTE_MAX 1024u
#define EVENTS_FIELD_MAX 128u

/* ---- Pure pieces ---- */

/* A token bucket: capacity burst, refilled at rate tokens per second. */
typedef struct events_bucket {
    double tokens;
    int64_t last_ns;
} events_bucket_t;

void events_bucket_init(events_bucket_t *b, double burst, int64_t now_ns);
/* Refills for the time since the last call and takes one token if there is one. */
bool events_bucket_take(events_bucket_t *b, double burst, double rate, int64_t now_ns);
/* Nanoseconds until a token is available (0 when one is). */
int64_t events_bucket_wait_ns(const events_bucket_t *b, double burst, double rate, int64_t now_ns);

typedef enum events_api {
    EVENTS_API_NEW,  /* events.k8s.io/v1 */
    EVENTS_API_CORE, /* core v1 */
} events_api_t;

/*
 * The fallback decision: after a create in api answered create_status, and
 * (when create_status is 404 in EVENTS_API_NEW) the discovery document of
 * events.k8s.io/v1 answered discovery_status, the API to use from now on.
 * Only a 404 of the group itself means the server lacks it; a 404 of the
 * create alone (a missing namespace) changes nothing.
 */
events_api_t events_api_next(events_api_t api, int create_status, int discovery_status);

/* What one Event says; every pointer borrowed. */
typedef struct events_fields {
    const cJSON *regarding; /* apiVersion, kind, namespace, name, uid, resourceVersion */
    const char *type;       /* "Normal" or "Warning" */
    const char *reason, *action, *note;
    const char *controller, *instance; /* reportingController / reportingInstance */
    const char *name;                  /* the Event's metadata.name */
    const char *ns;                    /* the Event's namespace */
    int64_t first_ns, last_ns;         /* wall clock */
    uint32_t count;                    /* occurrences; a series when >= 2 */
} events_fields_t;

/* The Event object to create in api; owned (cJSON_Delete). */
cJSON *events_body_build(events_api_t api, const events_fields_t *f);

/* The merge patch that updates a series to count; owned (rg_free). */
char *events_series_patch_build(events_api_t api, uint32_t count, int64_t last_ns);

/* ---- The recorder ---- */

typedef struct events_recorder events_recorder_t;

typedef struct events_opts {
    const char *controller;     /* reportingController / source.component; required */
    const char *instance;       /* reportingInstance / source.host; NULL = host name */
    unsigned queue_max;         /* events waiting to be sent; 0 = 1000 */
    unsigned key_burst;         /* per (object, reason); 0 = 25 */
    unsigned key_refill_s;      /* one token per this many seconds; 0 = 300 */
    double global_qps;          /* writes per second, all keys; 0 = 10 */
    unsigned global_burst;      /* 0 = 25 */
    unsigned window_s;          /* identical events within this are one series; 0 = 600 */
    unsigned series_flush_ms;   /* a series is written at most this often; 0 = 30 s */
    const char *new_api_prefix; /* NULL = "/apis/events.k8s.io/v1" (tests use a missing group) */
} events_opts_t;

/*
 * Returns an owned recorder with its thread running (events_recorder_free)
 * or NULL with err. client is borrowed and must outlive the recorder.
 */
events_recorder_t *events_recorder_new(kube_client_t *client, const events_opts_t *opts,
                                       rg_error_t *err);

/*
 * Stops the thread (waiting for a request in flight) and frees; what is
 * still queued is dropped and counted. NULL does nothing.
 */
void events_recorder_free(events_recorder_t *rec);

typedef enum events_outcome {
    EVENTS_QUEUED = 0,       /* a new Event will be created */
    EVENTS_AGGREGATED = 1,   /* counted into the series of an identical Event */
    EVENTS_RATE_LIMITED = 2, /* its (object, reason) key has no token left */
    EVENTS_DROPPED = 3,      /* the queue is full */
} events_outcome_t;

/*
 * Records an Event about regarding, an ObjectReference (borrowed; flat
 * apiVersion, kind, namespace, name, uid — kind and name required). type is
 * "Normal" or "Warning"; reason and action are required (at most 128 bytes);
 * note is cut at 1024 bytes. Returns an events_outcome_t (>= 0) or
 * RG_ERR_INVAL naming the bad argument. Never blocks on I/O.
 */
int events_record(events_recorder_t *rec, const cJSON *regarding, const char *type,
                  const char *reason, const char *action, const char *note, rg_error_t *err);

/*
 * Sends everything queued and every pending series update now, waiting up
 * to timeout_ms. Returns 0, or RG_ERR_TIMEOUT. For tests and shutdown.
 */
int events_recorder_flush(events_recorder_t *rec, unsigned timeout_ms);

typedef struct events_stats {
    uint64_t recorded;       /* events_record calls accepted */
    uint64_t sent;           /* Events created */
    uint64_t series_updates; /* series patches written */
    uint64_t aggregated;     /* records folded into a series */
    uint64_t rate_limited;   /* records refused by a per-key bucket */
    uint64_t dropped;        /* records refused by a full queue or left at stop */
    uint64_t failed;         /* writes the server refused or that did not arrive */
    bool core_fallback;      /* writing core/v1 Events */
} events_stats_t;

/* Fills out for /metrics; any thread. */
void events_recorder_stats_get(events_recorder_t *rec, events_stats_t *out);

#endif

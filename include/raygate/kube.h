/*
 * The Kubernetes API client (libcurl + OpenSSL): credentials, the REST
 * verbs, watches, and the client-side rate limit. The only module that
 * includes <curl/curl.h>. A client may be used from several threads at
 * once (each call takes its own curl easy handle from a pool); a watch
 * blocks its calling thread until the stream ends or is stopped.
 */
#ifndef RAYGATE_KUBE_H
#define RAYGATE_KUBE_H

#include "raygate/err.h"
#include "raygate/json.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libcurl's run-time version ("7.88.1"); static. */
const char *kube_curl_version(void);

/* ---- Credentials ---- */

/*
 * Where and how to reach the API server. Every string is owned (rg_malloc)
 * and freed by kube_creds_release; NULL when unset.
 */
typedef struct kube_creds {
    char *server;           /* "https://10.0.0.1:443", no trailing slash */
    char *ca_pem;           /* certificate-authority-data, decoded PEM */
    char *ca_file;          /* certificate-authority */
    bool insecure_skip_tls_verify;
    char *token;            /* a static bearer token */
    char *token_file;       /* a token re-read when the file changes (SA rotation) */
    char *client_cert_pem;  /* client-certificate-data, decoded */
    char *client_key_pem;   /* client-key-data, decoded */
    char *client_cert_file; /* client-certificate */
    char *client_key_file;  /* client-key */
    char *namespace;        /* the context's or the service account's namespace */
} kube_creds_t;

void kube_creds_release(kube_creds_t *c);

/*
 * Reads a kubeconfig: path, else $KUBECONFIG (first entry), else
 * ~/.kube/config; context, else current-context. exec and auth-provider
 * users are refused with a message naming them. Returns 0 or an error
 * naming the file and the field.
 */
int kube_creds_load_kubeconfig(const char *path, const char *context, kube_creds_t *out,
                               rg_error_t *err);

/*
 * In-cluster credentials: KUBERNETES_SERVICE_HOST/PORT and the service
 * account's token (as token_file, so rotation is seen), ca.crt and
 * namespace under dir (NULL = /var/run/secrets/kubernetes.io/serviceaccount).
 */
int kube_creds_load_in_cluster(const char *dir, kube_creds_t *out, rg_error_t *err);

/* ---- Client ---- */

typedef struct kube_client kube_client_t;

typedef struct kube_client_opts {
    double qps;           /* sustained requests per second; 0 = 20 */
    unsigned burst;       /* bucket size; 0 = 30 */
    unsigned timeout_ms;  /* per non-watch request; 0 = 30000 */
    unsigned max_retries; /* for 429 / 5xx / transport errors on idempotent verbs; 0 = 5 */
    const char *user_agent; /* NULL = "raygate/<version>" */
} kube_client_opts_t;

/* Returns an owned client (kube_client_free) or NULL with err. creds is copied. */
kube_client_t *kube_client_new(const kube_creds_t *creds, const kube_client_opts_t *opts,
                               rg_error_t *err);
void kube_client_free(kube_client_t *c);

/*
 * Counters of one client since it was made, for /metrics. Every attempt
 * counts (a request retried twice is three requests and two retries).
 */
typedef struct kube_client_stats {
    uint64_t requests;         /* HTTP attempts, watches included */
    uint64_t retries;          /* attempts that were a retry */
    uint64_t errors_transport; /* no answer: connect, TLS, timeout, cut */
    uint64_t errors_4xx;       /* answers 400..499 (429 included) */
    uint64_t errors_5xx;       /* answers 500..599 */
    uint64_t throttled;        /* answers 429 */
    uint64_t latency_ns_sum;   /* non-watch attempts that got an answer or failed */
    uint64_t latency_count;
    uint64_t watches;          /* watch streams opened */
    uint64_t watch_errors;     /* watches that ended with an error */
    uint64_t token_reloads;    /* token_file re-read after it changed */
} kube_client_stats_t;

/* Fills out with c's counters; any thread. */
void kube_client_stats_get(kube_client_t *c, kube_client_stats_t *out);

/*
 * Releases libcurl's global state (curl_global_cleanup). Optional; only at
 * process end, after every client is freed and no thread uses the module.
 */
void kube_global_cleanup(void);

/* A REST resource; static descriptors below for the kinds raygate speaks. */
typedef struct kube_resource {
    const char *group;    /* "" for core */
    const char *version;
    const char *resource; /* plural: "pods" */
    const char *kind;     /* "Pod" */
    bool namespaced;
} kube_resource_t;

extern const kube_resource_t kube_res_pods, kube_res_nodes, kube_res_namespaces,
    kube_res_events, kube_res_leases, kube_res_priorityclasses, kube_res_rayclusters,
    kube_res_rayjobs, kube_res_workloads, kube_res_clusterqueues, kube_res_localqueues,
    kube_res_resourceflavors, kube_res_workloadpriorityclasses, kube_res_cohorts,
    kube_res_mutatingwebhookconfigurations, kube_res_validatingwebhookconfigurations,
    kube_res_customresourcedefinitions;

/*
 * The answer to one request. http_status 0 means none arrived (err says
 * why). For a non-2xx answer with a Status body, reason and message are
 * its (owned); body is the parsed JSON (owned) when the answer was JSON.
 */
typedef struct kube_result {
    int http_status;
    cJSON *body;
    char *reason;
    char *message;
    unsigned retry_after_s; /* from Retry-After, when given */
} kube_result_t;

void kube_result_release(kube_result_t *r);

/*
 * The path of a resource: /api/v1/namespaces/ns/pods/name/status etc.;
 * ns NULL or "" for all namespaces / cluster-scoped; name and subresource
 * may be NULL. Owned; rg_free.
 */
char *kube_path(const kube_resource_t *res, const char *ns, const char *name,
                const char *subresource);

/*
 * One HTTP request (rate-limited, retried for 429 with Retry-After, 5xx
 * and transport errors when the method is idempotent (GET, PUT, DELETE),
 * with exponential backoff and jitter). path_query starts with '/'.
 * Returns 0 when an answer arrived (any status; see out->http_status),
 * or an error (RG_ERR_IO, RG_ERR_TIMEOUT, RG_ERR_TLS, RG_ERR_TOO_BIG past
 * 512 MiB, RG_ERR_PARSE for a 2xx body that is not JSON) with
 * out->http_status 0. For a non-2xx answer err is filled too (the return
 * stays 0) with "GET /path: 404 NotFound: <Status message>" and a code by
 * status: 404 RG_ERR_NOT_FOUND, 409 AlreadyExists RG_ERR_EXISTS, other 409
 * RG_ERR_CONFLICT, 400/422 RG_ERR_INVAL, 413 RG_ERR_TOO_BIG, 408/504
 * RG_ERR_TIMEOUT, else RG_ERR_HTTP. 429 is retried for every method; a
 * retried write goes out on a fresh connection. out is always safe to
 * kube_result_release.
 */
int kube_request(kube_client_t *c, const char *method, const char *path_query,
                 const char *content_type, const char *body, size_t len, kube_result_t *out,
                 rg_error_t *err);

typedef struct kube_list_opts {
    const char *label_selector;   /* NULL = none */
    const char *field_selector;   /* NULL = none */
    unsigned limit;               /* 0 = no limit */
    const char *continue_token;   /* NULL = first page */
    const char *resource_version; /* NULL = most recent */
} kube_list_opts_t;

/* The verbs; each returns as kube_request does. obj/patch are borrowed. */
int kube_get(kube_client_t *c, const kube_resource_t *res, const char *ns, const char *name,
             kube_result_t *out, rg_error_t *err);
int kube_list(kube_client_t *c, const kube_resource_t *res, const char *ns,
              const kube_list_opts_t *opts, kube_result_t *out, rg_error_t *err);
int kube_create(kube_client_t *c, const kube_resource_t *res, const char *ns, const cJSON *obj,
                kube_result_t *out, rg_error_t *err);
/* PUT; obj must carry metadata.resourceVersion. status: the /status subresource. */
int kube_update(kube_client_t *c, const kube_resource_t *res, const char *ns, const cJSON *obj,
                bool status, kube_result_t *out, rg_error_t *err);

typedef enum kube_patch_type {
    KUBE_PATCH_MERGE, /* application/merge-patch+json */
    KUBE_PATCH_JSON,  /* application/json-patch+json */
} kube_patch_type_t;

int kube_patch(kube_client_t *c, const kube_resource_t *res, const char *ns, const char *name,
               kube_patch_type_t type, const char *patch, bool status, kube_result_t *out,
               rg_error_t *err);
int kube_delete(kube_client_t *c, const kube_resource_t *res, const char *ns, const char *name,
                kube_result_t *out, rg_error_t *err);
/* POST pods/<name>/binding to node. */
int kube_bind_pod(kube_client_t *c, const char *ns, const char *name, const char *uid,
                  const char *node, kube_result_t *out, rg_error_t *err);

/*
 * Read-modify-write that survives 409 Conflict: GETs the object, calls
 * mutate on a copy (return 0 to write, 1 to skip, <0 to abort), PUTs it;
 * on 409 re-reads and retries (up to 5 times). out holds the last answer.
 */
typedef int (*kube_mutate_fn)(cJSON *obj, void *arg);
int kube_update_retry(kube_client_t *c, const kube_resource_t *res, const char *ns,
                      const char *name, bool status, kube_mutate_fn mutate, void *arg,
                      kube_result_t *out, rg_error_t *err);

/* ---- Watch ---- */

typedef enum kube_event_type {
    KUBE_EVENT_ADDED,
    KUBE_EVENT_MODIFIED,
    KUBE_EVENT_DELETED,
    KUBE_EVENT_BOOKMARK,
    KUBE_EVENT_ERROR,
} kube_event_type_t;

/*
 * Called once per decoded event, on the watching thread. object is owned
 * by the callee (cJSON_Delete it, or keep it). Return 0 to go on, non-zero
 * to end the watch (kube_watch then returns that value).
 */
typedef int (*kube_event_fn)(void *arg, kube_event_type_t type, cJSON *object);

typedef struct kube_watch_opts {
    const char *label_selector;
    const char *field_selector;
    const char *resource_version; /* resume point; NULL = synthetic ADDED for what exists */
    unsigned timeout_seconds;     /* server-side stream timeout; 0 = 300 */
    bool allow_bookmarks;
} kube_watch_opts_t;

/*
 * Streams one watch until the server closes it (returns 0), *stop turns
 * true (returns 0), the callback ends it (its value), or a fault (error).
 * An ERROR event (e.g. 410 Expired) is delivered to the callback like any
 * other. Events split across reads or packed into one are decoded
 * incrementally; one event is bounded (64 MiB, RG_ERR_TOO_BIG). A non-200
 * answer is an error coded as kube_request codes it, with the Status's
 * reason and message; a connection cut between events is RG_ERR_IO, one
 * cut inside an event RG_ERR_IO "watch stream ended inside an event". The
 * stop flag is looked at every 100 ms even on an idle stream.
 */
int kube_watch(kube_client_t *c, const kube_resource_t *res, const char *ns,
               const kube_watch_opts_t *opts, kube_event_fn on_event, void *arg,
               const atomic_bool *stop, rg_error_t *err);

/*
 * The incremental decoder kube_watch uses: newline-delimited JSON events
 * fed in arbitrary pieces. Exposed for tests and fuzzing.
 */
typedef struct kube_watch_decoder kube_watch_decoder_t;
kube_watch_decoder_t *kube_watch_decoder_new(size_t max_event_bytes, kube_event_fn fn, void *arg);
/* Returns 0, the callback's non-zero value, or RG_ERR_PARSE / RG_ERR_TOO_BIG. */
int kube_watch_decoder_feed(kube_watch_decoder_t *d, const char *data, size_t len,
                            rg_error_t *err);
/* Whether a partial event is buffered (a stream ending here was cut). */
bool kube_watch_decoder_pending(const kube_watch_decoder_t *d);
void kube_watch_decoder_free(kube_watch_decoder_t *d);

#endif

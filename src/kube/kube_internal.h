/*
 * Helpers shared by the files of the kube module (credentials, client,
 * watch); not part of the public API. Thread-safe: no shared state.
 */
#ifndef RAYGATE_KUBE_INTERNAL_H
#define RAYGATE_KUBE_INTERNAL_H

#include "raygate/buf.h"
#include "raygate/err.h"
#include "raygate/kube.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Largest file the module reads (a kubeconfig, a token, a PEM bundle). */
#define KUBE__MAX_FILE_BYTES (16u * 1024u * 1024u)
/* Largest decoded *-data field of a kubeconfig. */
#define KUBE__MAX_PEM_BYTES (4u * 1024u * 1024u)

/*
 * Decodes standard base64 (padding optional, whitespace skipped) into an
 * owned NUL-terminated string (rg_free). Refuses other characters and
 * output longer than max_out. field names the input in messages.
 */
int kube__base64_decode(const char *in, size_t len, size_t max_out, const char *field, char **out,
                        size_t *out_len, rg_error_t *err);

/* Reads at most max bytes of path into an owned NUL-terminated string. */
int kube__read_file(const char *path, size_t max, char **out, size_t *out_len, rg_error_t *err);

/* Deep copy of src into dst (dst's previous contents are not freed). */
void kube__creds_copy(kube_creds_t *dst, const kube_creds_t *src);

/* Appends s percent-encoded (RFC 3986 unreserved characters kept). */
void kube__append_escaped(rg_buf_t *b, const char *s);

/* At most this many idle curl handles are kept for keep-alive reuse. */
#define KUBE__POOL_MAX 8
/* Backoff of retried requests: base * 2^attempt, capped, with jitter. */
#define KUBE__BACKOFF_BASE_MS 200u
#define KUBE__BACKOFF_CAP_MS 10000u
/* A Retry-After longer than this is clamped (a confused server must not
 * park a caller for hours). */
#define KUBE__RETRY_AFTER_MAX_S 60u

struct kube_client {
    kube_creds_t creds;
    double qps;
    double burst;
    unsigned timeout_ms;
    unsigned max_retries;
    char *user_agent;

    /* Idle easy handles; each keeps its own connection for keep-alive. */
    pthread_mutex_t pool_mu;
    CURL *pool[KUBE__POOL_MAX];
    size_t pool_len;

    /* Token bucket: tokens may go negative, each caller sleeping its debt. */
    pthread_mutex_t rl_mu;
    double rl_tokens;
    int64_t rl_last_ns;

    /* The token read from creds.token_file, re-read when the file changes. */
    pthread_mutex_t tok_mu;
    char *tok_cur;
    int64_t tok_checked_ns;
    int64_t tok_mtime_ns;
    int64_t tok_size;
    uint64_t tok_ino;

    atomic_uint_fast64_t rnd;

    atomic_uint_fast64_t st_requests, st_retries, st_err_transport, st_err_4xx, st_err_5xx,
        st_throttled, st_lat_sum, st_lat_count, st_watches, st_watch_errors, st_token_reloads;
};

/* Blocks until the client's rate limit lets one more request go. */
void kube__ratelimit_wait(kube_client_t *c);

/*
 * Sets the options every request shares on a fresh or reset handle: URL,
 * TLS material, user agent, the Authorization and Accept headers (appended
 * to *headers, which the caller frees with curl_slist_free_all after the
 * transfer). Returns 0 or an error.
 */
int kube__handle_setup(kube_client_t *c, CURL *h, const char *path_query,
                       struct curl_slist **headers, rg_error_t *err);

/* Maps a failed transfer to RG_ERR_TLS / RG_ERR_TIMEOUT / RG_ERR_IO with a message. */
int kube__curl_error(CURLcode code, const char *errbuf, const char *method, const char *path_query,
                     rg_error_t *err);

/*
 * Fills *reason / *message (owned) from a Status body, falling back to the
 * HTTP status's usual reason and the raw text of a non-JSON body.
 */
void kube__status_fill(const cJSON *body, const char *raw, size_t raw_len, int status,
                       char **reason, char **message);

/* Sets err for a non-2xx answer: "GET /path: 404 NotFound: message". */
int kube__http_error(rg_error_t *err, const char *method, const char *path_query, int status,
                     const char *reason, const char *message);

#endif

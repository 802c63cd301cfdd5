/*
 * The API client: a pool of libcurl easy handles (keep-alive reuse), the
 * token bucket, retries with backoff for 429 / 5xx / transport faults, and
 * the REST verbs built on one request function.
 */
#include "kube/kube_internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#ifndef RG_VERSION
#define RG_VERSION "dev"
#endif

/* Bound of a response body; lists of 50,000 pods run to hundreds of MB. */
#define KUBE_MAX_BODY_BYTES ((size_t)512 * 1024 * 1024)
/* A token file larger than this is not a token. */
#define KUBE_MAX_TOKEN_BYTES (64u * 1024u)
/* kube_update_retry's attempts after the first Conflict. */
#define KUBE_CONFLICT_RETRIES 5

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void kube_global_cleanup(void)
{
    curl_global_cleanup();
}

static void sleep_ns(int64_t ns)
{
    if (ns <= 0)
        return;
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- client lifecycle ---- */

kube_client_t *kube_client_new(const kube_creds_t *creds, const kube_client_opts_t *opts,
                               rg_error_t *err)
{
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) {
        rg_error_set(err, RG_ERR_SYS, "curl_global_init: %s", curl_easy_strerror(global_rc));
        return NULL;
    }
    if (creds == NULL || creds->server == NULL || *creds->server == '\0') {
        rg_error_set(err, RG_ERR_CONFIG, "kube client: no API server URL");
        return NULL;
    }
    kube_client_opts_t o = {0};
    if (opts)
        o = *opts;
    if (o.qps < 0 || o.qps > 1e6) {
        rg_error_set(err, RG_ERR_RANGE, "kube client: qps %g out of range", o.qps);
        return NULL;
    }
    kube_client_t *c = rg_calloc(1, sizeof(*c));
    kube__creds_copy(&c->creds, creds);
    size_t sl = strlen(c->creds.server);
    while (sl > 0 && c->creds.server[sl - 1] == '/')
        c->creds.server[--sl] = '\0';
    c->qps = o.qps > 0 ? o.qps : 20.0;
    c->burst = o.burst > 0 ? (double)o.burst : 30.0;
    c->timeout_ms = o.timeout_ms ? o.timeout_ms : 30000;
    c->max_retries = o.max_retries ? o.max_retries : 5;
    c->user_agent = o.user_agent ? rg_strdup(o.user_agent) : rg_strdup("raygate/" RG_VERSION);
    pthread_mutex_init(&c->pool_mu, NULL);
    pthread_mutex_init(&c->rl_mu, NULL);
    pthread_mutex_init(&c->tok_mu, NULL);
    c->rl_tokens = c->burst;
    c->rl_last_ns = rg_time_mono_ns();
    atomic_init(&c->rnd, (uint_fast64_t)rg_time_now_ns() ^ (uint_fast64_t)(uintptr_t)c);
    return c;
}

void kube_client_free(kube_client_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->pool_len; i++)
        curl_easy_cleanup(c->pool[i]);
    pthread_mutex_destroy(&c->pool_mu);
    pthread_mutex_destroy(&c->rl_mu);
    pthread_mutex_destroy(&c->tok_mu);
    kube_creds_release(&c->creds);
    rg_free(c->user_agent);
    rg_free(c->tok_cur);
    rg_free(c);
}

void kube_client_stats_get(kube_client_t *c, kube_client_stats_t *out)
{
    out->requests = atomic_load(&c->st_requests);
    out->retries = atomic_load(&c->st_retries);
    out->errors_transport = atomic_load(&c->st_err_transport);
    out->errors_4xx = atomic_load(&c->st_err_4xx);
    out->errors_5xx = atomic_load(&c->st_err_5xx);
    out->throttled = atomic_load(&c->st_throttled);
    out->latency_ns_sum = atomic_load(&c->st_lat_sum);
    out->latency_count = atomic_load(&c->st_lat_count);
    out->watches = atomic_load(&c->st_watches);
    out->watch_errors = atomic_load(&c->st_watch_errors);
    out->token_reloads = atomic_load(&c->st_token_reloads);
}

void kube_result_release(kube_result_t *r)
{
    if (r == NULL)
        return;
    cJSON_Delete(r->body);
    rg_free(r->reason);
    rg_free(r->message);
    memset(r, 0, sizeof(*r));
}

/* ---- pool, rate limit, jitter ---- */

static CURL *pool_take(kube_client_t *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->pool_mu);
    if (c->pool_len > 0)
        h = c->pool[--c->pool_len];
    pthread_mutex_unlock(&c->pool_mu);
    if (h) {
        /* Reset drops the options but keeps the live connection. */
        curl_easy_reset(h);
        return h;
    }
    return curl_easy_init();
}

static void pool_give(kube_client_t *c, CURL *h)
{
    pthread_mutex_lock(&c->pool_mu);
    if (c->pool_len < KUBE__POOL_MAX) {
        c->pool[c->pool_len++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->pool_mu);
    if (h)
        curl_easy_cleanup(h);
}

void kube__ratelimit_wait(kube_client_t *c)
{
    pthread_mutex_lock(&c->rl_mu);
    int64_t now = rg_time_mono_ns();
    double elapsed = (double)(now - c->rl_last_ns) / 1e9;
    c->rl_last_ns = now;
    c->rl_tokens += elapsed * c->qps;
    if (c->rl_tokens > c->burst)
        c->rl_tokens = c->burst;
    /* Take the token now, even into debt, so waiters are served in the
     * order they arrived and each sleeps only its own share. */
    c->rl_tokens -= 1.0;
    double debt = c->rl_tokens < 0 ? -c->rl_tokens : 0.0;
    pthread_mutex_unlock(&c->rl_mu);
    if (debt > 0)
        sleep_ns((int64_t)(debt / c->qps * 1e9));
}

static uint64_t next_random(kube_client_t *c)
{
    /* splitmix64 over an atomic counter: cheap, lock-free, good enough for jitter. */
    uint64_t z = (uint64_t)atomic_fetch_add(&c->rnd, 0x9e3779b97f4a7c15ULL) + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Half the exponential delay fixed, half random ("equal jitter"). */
static int64_t backoff_ns(kube_client_t *c, unsigned attempt)
{
    uint64_t ms = KUBE__BACKOFF_BASE_MS;
    for (unsigned i = 0; i < attempt && ms < KUBE__BACKOFF_CAP_MS; i++)
        ms *= 2;
    if (ms > KUBE__BACKOFF_CAP_MS)
        ms = KUBE__BACKOFF_CAP_MS;
    uint64_t half = ms / 2;
    uint64_t jitter = half ? next_random(c) % (half + 1) : 0;
    return (int64_t)(half + jitter) * 1000000;
}

/* ---- credentials per request ---- */

/*
 * The bearer token: creds.token, or creds.token_file re-read when its
 * mtime, size or inode changed (checked at most once a second), so that a
 * rotated service-account token is picked up. Owned copy or NULL.
 */
static char *current_token(kube_client_t *c)
{
    if (c->creds.token_file == NULL)
        return c->creds.token ? rg_strdup(c->creds.token) : NULL;
    pthread_mutex_lock(&c->tok_mu);
    int64_t now = rg_time_mono_ns();
    if (c->tok_cur == NULL || now - c->tok_checked_ns >= 1000000000) {
        c->tok_checked_ns = now;
        struct stat st;
        if (stat(c->creds.token_file, &st) == 0) {
            int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
            if (c->tok_cur == NULL || mt != c->tok_mtime_ns || (int64_t)st.st_size != c->tok_size ||
                (uint64_t)st.st_ino != c->tok_ino) {
                char *t = NULL;
                rg_error_t e;
                if (kube__read_file(c->creds.token_file, KUBE_MAX_TOKEN_BYTES, &t, NULL, &e) == 0) {
                    size_t n = strlen(t);
                    while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' ' ||
                                     t[n - 1] == '\t'))
                        t[--n] = '\0';
                    if (c->tok_cur)
                        atomic_fetch_add(&c->st_token_reloads, 1);
                    rg_free(c->tok_cur);
                    c->tok_cur = t;
                    c->tok_mtime_ns = mt;
                    c->tok_size = (int64_t)st.st_size;
                    c->tok_ino = (uint64_t)st.st_ino;
                } else {
                    rg_log_warn("kube", "cannot re-read token file, keeping the old token: %s",
                                rg_error_str(&e));
                }
            }
        } else if (c->tok_cur == NULL) {
            rg_log_warn("kube", "token file unreadable file=\"%s\" errno=%d", c->creds.token_file,
                        errno);
        }
    }
    char *out =
        c->tok_cur ? rg_strdup(c->tok_cur) : (c->creds.token ? rg_strdup(c->creds.token) : NULL);
    pthread_mutex_unlock(&c->tok_mu);
    return out;
}

int kube__handle_setup(kube_client_t *c, CURL *h, const char *path_query,
                       struct curl_slist **headers, rg_error_t *err)
{
    char *url = rg_asprintf("%s%s", c->creds.server, path_query);
    CURLcode rc = curl_easy_setopt(h, CURLOPT_URL, url);
    rg_free(url);
    if (rc != CURLE_OK)
        return rg_error_set(err, RG_ERR_INVAL, "bad request URL \"%s%.200s\": %s", c->creds.server,
                            path_query, curl_easy_strerror(rc));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    if (c->creds.insecure_skip_tls_verify) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    }
    if (c->creds.ca_pem) {
        struct curl_blob blob = {c->creds.ca_pem, strlen(c->creds.ca_pem), CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    } else if (c->creds.ca_file) {
        curl_easy_setopt(h, CURLOPT_CAINFO, c->creds.ca_file);
    }
    if (c->creds.client_cert_pem && c->creds.client_key_pem) {
        struct curl_blob cert = {c->creds.client_cert_pem, strlen(c->creds.client_cert_pem),
                                 CURL_BLOB_COPY};
        struct curl_blob key = {c->creds.client_key_pem, strlen(c->creds.client_key_pem),
                                CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (c->creds.client_cert_file && c->creds.client_key_file) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, c->creds.client_cert_file);
        curl_easy_setopt(h, CURLOPT_SSLKEY, c->creds.client_key_file);
    }
    char *tok = current_token(c);
    if (tok) {
        char *hdr = rg_asprintf("Authorization: Bearer %s", tok);
        *headers = curl_slist_append(*headers, hdr);
        rg_free(hdr);
        rg_free(tok);
    }
    *headers = curl_slist_append(*headers, "Accept: application/json");
    /* A Python or Go server answers 100-continue fine, but the extra round
     * trip only slows large writes. */
    *headers = curl_slist_append(*headers, "Expect:");
    if (*headers == NULL)
        return rg_error_set(err, RG_ERR_NOMEM, "curl_slist_append failed");
    return 0;
}

/* ---- errors ---- */

int kube__curl_error(CURLcode code, const char *errbuf, const char *method, const char *path_query,
                     rg_error_t *err)
{
    int rc = RG_ERR_IO;
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT: rc = RG_ERR_TIMEOUT; break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT: rc = RG_ERR_TLS; break;
    default: break;
    }
    const char *detail = errbuf && *errbuf ? errbuf : curl_easy_strerror(code);
    return rg_error_set(err, rc, "%s %.200s: %s", method, path_query, detail);
}

static const char *reason_for(int status)
{
    switch (status) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 410: return "Expired";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return status >= 500 ? "InternalError" : "Unknown";
    }
}

void kube__status_fill(const cJSON *body, const char *raw, size_t raw_len, int status,
                       char **reason, char **message)
{
    const char *r = rg_json_get_string(body, "reason");
    const char *m = rg_json_get_string(body, "message");
    *reason = rg_strdup(r && *r ? r : reason_for(status));
    if (m)
        *message = rg_strdup(m);
    else if (raw && raw_len > 0)
        *message = rg_strndup(raw, raw_len > 256 ? 256 : raw_len);
    else
        *message = rg_strdup("");
}

int kube__http_error(rg_error_t *err, const char *method, const char *path_query, int status,
                     const char *reason, const char *message)
{
    int code = RG_ERR_HTTP;
    if (status == 404)
        code = RG_ERR_NOT_FOUND;
    else if (status == 409)
        code = reason && strcmp(reason, "AlreadyExists") == 0 ? RG_ERR_EXISTS : RG_ERR_CONFLICT;
    else if (status == 422 || status == 400)
        code = RG_ERR_INVAL;
    else if (status == 413)
        code = RG_ERR_TOO_BIG;
    else if (status == 504 || status == 408)
        code = RG_ERR_TIMEOUT;
    return rg_error_set(err, code, "%s %.200s: %d %s: %s", method, path_query, status,
                        reason ? reason : reason_for(status), message ? message : "");
}

/* ---- one attempt ---- */

typedef struct body_sink {
    rg_buf_t buf;
    size_t max;
    bool too_big;
    unsigned retry_after_s;
    bool has_retry_after;
} body_sink_t;

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    body_sink_t *s = arg;
    size_t len = size * n;
    if (s->buf.len + len > s->max) {
        s->too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    rg_buf_append(&s->buf, data, len);
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    body_sink_t *s = arg;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        size_t i = sizeof(name) - 1;
        while (i < len && (data[i] == ' ' || data[i] == '\t'))
            i++;
        /* Only delta-seconds; an HTTP-date falls back to the backoff. */
        unsigned v = 0;
        bool digits = false;
        while (i < len && data[i] >= '0' && data[i] <= '9') {
            if (v < 100000)
                v = v * 10 + (unsigned)(data[i] - '0');
            digits = true;
            i++;
        }
        if (digits) {
            s->retry_after_s = v;
            s->has_retry_after = true;
        }
    }
    return len;
}

static bool is_idempotent(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "PUT") == 0 ||
           strcmp(method, "DELETE") == 0 || strcmp(method, "HEAD") == 0;
}

/* Returns 0 with out filled when an answer arrived, else the transport error. */
static int attempt_once(kube_client_t *c, const char *method, const char *path_query,
                        const char *content_type, const char *body, size_t len, bool fresh,
                        kube_result_t *out, CURLcode *curl_code, rg_error_t *err)
{
    CURL *h = pool_take(c);
    if (h == NULL)
        return rg_error_set(err, RG_ERR_NOMEM, "curl_easy_init failed");
    struct curl_slist *headers = NULL;
    body_sink_t sink = {RG_BUF_INIT, KUBE_MAX_BODY_BYTES, false, 0, false};
    char errbuf[CURL_ERROR_SIZE] = "";
    int rc = kube__handle_setup(c, h, path_query, &headers, err);
    if (rc < 0) {
        curl_slist_free_all(headers);
        pool_give(c, h);
        return rc;
    }
    if (content_type) {
        char *ct = rg_asprintf("Content-Type: %s", content_type);
        headers = curl_slist_append(headers, ct);
        rg_free(ct);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    if (fresh)
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        if (body || strcmp(method, "DELETE") != 0) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        }
    }

    atomic_fetch_add(&c->st_requests, 1);
    int64_t t0 = rg_time_mono_ns();
    CURLcode cc = curl_easy_perform(h);
    atomic_fetch_add(&c->st_lat_sum, (uint_fast64_t)(rg_time_mono_ns() - t0));
    atomic_fetch_add(&c->st_lat_count, 1);
    *curl_code = cc;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    /* The handle's options point at our stack; reset before it goes back. */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    pool_give(c, h);

    if (sink.too_big) {
        rg_buf_release(&sink.buf);
        atomic_fetch_add(&c->st_err_transport, 1);
        return rg_error_set(err, RG_ERR_TOO_BIG, "%s %.200s: response body exceeds %zu bytes",
                            method, path_query, sink.max);
    }
    if (cc != CURLE_OK) {
        rg_buf_release(&sink.buf);
        atomic_fetch_add(&c->st_err_transport, 1);
        return kube__curl_error(cc, errbuf, method, path_query, err);
    }

    kube_result_release(out);
    out->http_status = (int)status;
    out->retry_after_s = sink.has_retry_after ? sink.retry_after_s : 0;
    if (sink.buf.len > 0) {
        rg_error_t perr;
        out->body = rg_json_parse(sink.buf.data, sink.buf.len, &perr);
        if (out->body == NULL && status >= 200 && status < 300) {
            rg_buf_release(&sink.buf);
            out->http_status = 0;
            return rg_error_set(err, RG_ERR_PARSE, "%s %.200s: %ld answer is not JSON: %s", method,
                                path_query, status, rg_error_str(&perr));
        }
    }
    if (status < 200 || status >= 300) {
        kube__status_fill(out->body, sink.buf.data, sink.buf.len, (int)status, &out->reason,
                          &out->message);
        if (status == 429)
            atomic_fetch_add(&c->st_throttled, 1);
        if (status >= 500)
            atomic_fetch_add(&c->st_err_5xx, 1);
        else if (status >= 400)
            atomic_fetch_add(&c->st_err_4xx, 1);
    }
    rg_buf_release(&sink.buf);
    return 0;
}

int kube_request(kube_client_t *c, const char *method, const char *path_query,
                 const char *content_type, const char *body, size_t len, kube_result_t *out,
                 rg_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (path_query == NULL || path_query[0] != '/')
        return rg_error_set(err, RG_ERR_INVAL, "request path \"%s\" must start with '/'",
                            path_query ? path_query : "(null)");
    bool idem = is_idempotent(method);
    for (unsigned attempt = 0;; attempt++) {
        if (attempt > 0)
            atomic_fetch_add(&c->st_retries, 1);
        kube__ratelimit_wait(c);
        CURLcode cc = CURLE_OK;
        /* A server that refused a write early may not have read its body,
         * leaving that connection out of step; a retried write starts clean. */
        bool fresh = attempt > 0 && body != NULL && len > 0;
        int rc = attempt_once(c, method, path_query, content_type, body, len, fresh, out, &cc, err);
        bool last = attempt >= c->max_retries;
        if (rc < 0) {
            /* A refused connection never reached the server, so even a POST
             * may be sent again; other faults may have been half-processed. */
            bool unsent = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST;
            if (last || rc == RG_ERR_TLS || rc == RG_ERR_TOO_BIG || rc == RG_ERR_PARSE ||
                rc == RG_ERR_INVAL || (!idem && !unsent)) {
                kube_result_release(out);
                return rc;
            }
            int64_t wait = backoff_ns(c, attempt);
            rg_log_warn("kube", "request failed, retrying: %s attempt=%u wait_ms=%lld",
                        rg_error_str(err), attempt + 1, (long long)(wait / 1000000));
            sleep_ns(wait);
            continue;
        }
        int st = out->http_status;
        /* 429 means the server did nothing, so any verb is retried; 5xx
         * only for idempotent verbs. */
        bool retry = !last && (st == 429 || (st >= 500 && idem && st != 501));
        if (!retry) {
            if (st < 200 || st >= 300)
                kube__http_error(err, method, path_query, st, out->reason, out->message);
            return 0;
        }
        int64_t wait;
        if (out->retry_after_s > 0) {
            unsigned s = out->retry_after_s > KUBE__RETRY_AFTER_MAX_S ? KUBE__RETRY_AFTER_MAX_S
                                                                      : out->retry_after_s;
            wait = (int64_t)s * 1000000000;
        } else {
            wait = backoff_ns(c, attempt);
        }
        rg_log_warn("kube", "%s %.200s: %d %s, retrying attempt=%u wait_ms=%lld", method,
                    path_query, st, out->reason ? out->reason : "", attempt + 1,
                    (long long)(wait / 1000000));
        kube_result_release(out);
        sleep_ns(wait);
    }
}

/* ---- verbs ---- */

static void add_param(rg_buf_t *b, bool *first, const char *key, const char *value)
{
    rg_buf_append_char(b, *first ? '?' : '&');
    *first = false;
    rg_buf_append_str(b, key);
    rg_buf_append_char(b, '=');
    kube__append_escaped(b, value);
}

int kube_get(kube_client_t *c, const kube_resource_t *res, const char *ns, const char *name,
             kube_result_t *out, rg_error_t *err)
{
    if (name == NULL || *name == '\0') {
        memset(out, 0, sizeof(*out));
        return rg_error_set(err, RG_ERR_INVAL, "get %s: empty name", res->resource);
    }
    char *path = kube_path(res, ns, name, NULL);
    int rc = kube_request(c, "GET", path, NULL, NULL, 0, out, err);
    rg_free(path);
    return rc;
}

int kube_list(kube_client_t *c, const kube_resource_t *res, const char *ns,
              const kube_list_opts_t *opts, kube_result_t *out, rg_error_t *err)
{
    char *path = kube_path(res, ns, NULL, NULL);
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_append_str(&b, path);
    rg_free(path);
    bool first = true;
    if (opts) {
        if (opts->label_selector && *opts->label_selector)
            add_param(&b, &first, "labelSelector", opts->label_selector);
        if (opts->field_selector && *opts->field_selector)
            add_param(&b, &first, "fieldSelector", opts->field_selector);
        if (opts->limit) {
            char n[16];
            snprintf(n, sizeof(n), "%u", opts->limit);
            add_param(&b, &first, "limit", n);
        }
        if (opts->continue_token && *opts->continue_token)
            add_param(&b, &first, "continue", opts->continue_token);
        if (opts->resource_version && *opts->resource_version)
            add_param(&b, &first, "resourceVersion", opts->resource_version);
    }
    int rc = kube_request(c, "GET", b.data, NULL, NULL, 0, out, err);
    rg_buf_release(&b);
    return rc;
}

int kube_create(kube_client_t *c, const kube_resource_t *res, const char *ns, const cJSON *obj,
                kube_result_t *out, rg_error_t *err)
{
    if (ns == NULL || *ns == '\0')
        ns = rg_json_get_string(rg_json_get_object(obj, "metadata"), "namespace");
    if (res->namespaced && (ns == NULL || *ns == '\0')) {
        memset(out, 0, sizeof(*out));
        return rg_error_set(err, RG_ERR_INVAL, "create %s: no namespace", res->resource);
    }
    char *path = kube_path(res, ns, NULL, NULL);
    char *body = rg_json_print(obj);
    int rc = kube_request(c, "POST", path, "application/json", body, strlen(body), out, err);
    rg_free(body);
    rg_free(path);
    return rc;
}

int kube_update(kube_client_t *c, const kube_resource_t *res, const char *ns, const cJSON *obj,
                bool status, kube_result_t *out, rg_error_t *err)
{
    const cJSON *meta = rg_json_get_object(obj, "metadata");
    const char *name = rg_json_get_string(meta, "name");
    if (ns == NULL || *ns == '\0')
        ns = rg_json_get_string(meta, "namespace");
    if (name == NULL || *name == '\0') {
        memset(out, 0, sizeof(*out));
        return rg_error_set(err, RG_ERR_INVAL, "update %s: metadata.name is missing",
                            res->resource);
    }
    char *path = kube_path(res, ns, name, status ? "status" : NULL);
    char *body = rg_json_print(obj);
    int rc = kube_request(c, "PUT", path, "application/json", body, strlen(body), out, err);
    rg_free(body);
    rg_free(path);
    return rc;
}

int kube_patch(kube_client_t *c, const kube_resource_t *res, const char *ns, const char *name,
               kube_patch_type_t type, const char *patch, bool status, kube_result_t *out,
               rg_error_t *err)
{
    if (name == NULL || *name == '\0' || patch == NULL) {
        memset(out, 0, sizeof(*out));
        return rg_error_set(err, RG_ERR_INVAL, "patch %s: empty name or patch", res->resource);
    }
    const char *ct =
        type == KUBE_PATCH_JSON ? "application/json-patch+json" : "application/merge-patch+json";
    char *path = kube_path(res, ns, name, status ? "status" : NULL);
    int rc = kube_request(c, "PATCH", path, ct, patch, strlen(patch), out, err);
    rg_free(path);
    return rc;
}

int kube_delete(kube_client_t *c, const kube_resource_t *res, const char *ns, const char *name,
                kube_result_t *out, rg_error_t *err)
{
    if (name == NULL || *name == '\0') {
        memset(out, 0, sizeof(*out));
        return rg_error_set(err, RG_ERR_INVAL, "delete %s: empty name", res->resource);
    }
    char *path = kube_path(res, ns, name, NULL);
    int rc = kube_request(c, "DELETE", path, NULL, NULL, 0, out, err);
    rg_free(path);
    return rc;
}

int kube_bind_pod(kube_client_t *c, const char *ns, const char *name, const char *uid,
                  const char *node, kube_result_t *out, rg_error_t *err)
{
    if (ns == NULL || *ns == '\0' || name == NULL || *name == '\0' || node == NULL ||
        *node == '\0') {
        memset(out, 0, sizeof(*out));
        return rg_error_set(err, RG_ERR_INVAL, "bind pod: namespace, name and node are required");
    }
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_append_str(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":");
    rg_buf_append_json_str(&b, name);
    rg_buf_append_str(&b, ",\"namespace\":");
    rg_buf_append_json_str(&b, ns);
    if (uid && *uid) {
        /* The pod's uid makes the binding fail if the pod was replaced. */
        rg_buf_append_str(&b, ",\"uid\":");
        rg_buf_append_json_str(&b, uid);
    }
    rg_buf_append_str(&b, "},\"target\":{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":");
    rg_buf_append_json_str(&b, node);
    rg_buf_append_str(&b, "}}");
    char *path = kube_path(&kube_res_pods, ns, name, "binding");
    int rc = kube_request(c, "POST", path, "application/json", b.data, b.len, out, err);
    rg_free(path);
    rg_buf_release(&b);
    return rc;
}

int kube_update_retry(kube_client_t *c, const kube_resource_t *res, const char *ns,
                      const char *name, bool status, kube_mutate_fn mutate, void *arg,
                      kube_result_t *out, rg_error_t *err)
{
    memset(out, 0, sizeof(*out));
    for (unsigned attempt = 0;; attempt++) {
        kube_result_t got;
        int rc = kube_get(c, res, ns, name, &got, err);
        if (rc < 0)
            return rc;
        if (got.http_status != 200 || !cJSON_IsObject(got.body)) {
            *out = got;
            return 0;
        }
        int m = mutate(got.body, arg);
        if (m < 0) {
            kube_result_release(&got);
            return rg_error_set(err, m, "update %s \"%s\": aborted by the caller", res->resource,
                                name);
        }
        if (m > 0) {
            *out = got; /* nothing to write: the object as read */
            return 0;
        }
        rc = kube_update(c, res, ns, got.body, status, out, err);
        kube_result_release(&got);
        if (rc < 0)
            return rc;
        bool conflict =
            out->http_status == 409 && out->reason && strcmp(out->reason, "Conflict") == 0;
        if (!conflict || attempt >= KUBE_CONFLICT_RETRIES)
            return 0;
        rg_log_debug("kube", "update conflict, re-reading resource=%s name=\"%s\" attempt=%u",
                     res->resource, name, attempt + 1);
        kube_result_release(out);
    }
}

/*
 * Watches: the incremental decoder of the newline-delimited event stream
 * and kube_watch, which drives one streaming GET through a curl multi
 * handle so that a stop request is seen within a tenth of a second even
 * on an idle stream.
 */
#include "kube/kube_internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"

#include <stdio.h>
#include <string.h>

/* One watch event is bounded; the apiserver's own object limit is far lower. */
#define KUBE_MAX_EVENT_BYTES ((size_t)64 * 1024 * 1024)
/* A non-200 answer to a watch request is a Status; keep at most this much. */
#define KUBE_MAX_WATCH_ERROR_BYTES ((size_t)1024 * 1024)
/* How often an idle stream looks at the stop flag. */
#define KUBE_WATCH_POLL_MS 100
/* Slack past timeoutSeconds before the client gives up on a silent server. */
#define KUBE_WATCH_SLACK_S 30

/* ---- decoder ---- */

struct kube_watch_decoder {
    rg_buf_t line; /* the bytes of an event not yet ended by '\n' */
    size_t max;
    kube_event_fn fn;
    void *arg;
    uint64_t events; /* decoded so far, for messages */
};

kube_watch_decoder_t *kube_watch_decoder_new(size_t max_event_bytes, kube_event_fn fn, void *arg)
{
    kube_watch_decoder_t *d = rg_calloc(1, sizeof(*d));
    d->max = max_event_bytes ? max_event_bytes : KUBE_MAX_EVENT_BYTES;
    d->fn = fn;
    d->arg = arg;
    return d;
}

void kube_watch_decoder_free(kube_watch_decoder_t *d)
{
    if (d == NULL)
        return;
    rg_buf_release(&d->line);
    rg_free(d);
}

static bool all_space(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return false;
    return true;
}

bool kube_watch_decoder_pending(const kube_watch_decoder_t *d)
{
    return d->line.len > 0 && !all_space(d->line.data, d->line.len);
}

static int parse_type(const char *s, kube_event_type_t *out)
{
    static const struct {
        const char *name;
        kube_event_type_t type;
    } types[] = {{"ADDED", KUBE_EVENT_ADDED},
                 {"MODIFIED", KUBE_EVENT_MODIFIED},
                 {"DELETED", KUBE_EVENT_DELETED},
                 {"BOOKMARK", KUBE_EVENT_BOOKMARK},
                 {"ERROR", KUBE_EVENT_ERROR}};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(s, types[i].name) == 0) {
            *out = types[i].type;
            return 0;
        }
    return -1;
}

/* Decodes one complete line (without its '\n') and hands the event on. */
static int decode_line(kube_watch_decoder_t *d, const char *p, size_t n, rg_error_t *err)
{
    if (all_space(p, n))
        return 0; /* blank lines between events carry nothing */
    uint64_t idx = d->events;
    rg_error_t perr;
    cJSON *ev = rg_json_parse(p, n, &perr);
    if (ev == NULL)
        return rg_error_set(err, RG_ERR_PARSE, "watch event %llu: %s", (unsigned long long)idx,
                            rg_error_str(&perr));
    const char *type = rg_json_get_string(ev, "type");
    kube_event_type_t t;
    if (type == NULL || parse_type(type, &t) < 0) {
        int rc = rg_error_set(err, RG_ERR_PARSE,
                              "watch event %llu: type \"%.32s\" is not one of "
                              "ADDED, MODIFIED, DELETED, BOOKMARK, ERROR",
                              (unsigned long long)idx, type ? type : "(missing)");
        cJSON_Delete(ev);
        return rc;
    }
    if (rg_json_get_object(ev, "object") == NULL) {
        int rc = rg_error_set(err, RG_ERR_PARSE,
                              "watch event %llu (%s): object is missing or "
                              "not an object",
                              (unsigned long long)idx, type);
        cJSON_Delete(ev);
        return rc;
    }
    cJSON *obj = cJSON_DetachItemFromObjectCaseSensitive(ev, "object");
    cJSON_Delete(ev);
    d->events++;
    return d->fn ? d->fn(d->arg, t, obj) : (cJSON_Delete(obj), 0);
}

static int too_big(kube_watch_decoder_t *d, rg_error_t *err)
{
    rg_buf_clear(&d->line);
    return rg_error_set(err, RG_ERR_TOO_BIG, "watch event %llu exceeds %zu bytes",
                        (unsigned long long)d->events, d->max);
}

int kube_watch_decoder_feed(kube_watch_decoder_t *d, const char *data, size_t len, rg_error_t *err)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        if (nl == NULL) {
            if (d->line.len + len > d->max)
                return too_big(d, err);
            rg_buf_append(&d->line, data, len);
            return 0;
        }
        size_t n = (size_t)(nl - data);
        int rc;
        if (d->line.len == 0) {
            /* The common case, a whole event in this read: parse in place. */
            if (n > d->max)
                return too_big(d, err);
            rc = decode_line(d, data, n, err);
        } else {
            if (d->line.len + n > d->max)
                return too_big(d, err);
            rg_buf_append(&d->line, data, n);
            rc = decode_line(d, d->line.data, d->line.len, err);
            rg_buf_clear(&d->line);
        }
        if (rc != 0)
            return rc;
        data = nl + 1;
        len -= n + 1;
    }
    return 0;
}

/* ---- kube_watch ---- */

typedef struct watch_ctx {
    CURL *h;
    kube_watch_decoder_t *dec;
    int status;       /* the HTTP status, read at the first body byte */
    rg_buf_t errbody; /* the body of a non-200 answer */
    int rc;           /* decoder or callback result that ended the stream */
    rg_error_t *err;
} watch_ctx_t;

static size_t on_watch_data(char *data, size_t size, size_t n, void *arg)
{
    watch_ctx_t *w = arg;
    size_t len = size * n;
    if (w->status == 0) {
        long st = 0;
        curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &st);
        w->status = (int)st;
    }
    if (w->status != 200) {
        size_t room = KUBE_MAX_WATCH_ERROR_BYTES - w->errbody.len;
        rg_buf_append(&w->errbody, data, len < room ? len : room);
        return len;
    }
    int rc = kube_watch_decoder_feed(w->dec, data, len, w->err);
    if (rc != 0) {
        w->rc = rc;
        return 0; /* aborts the transfer */
    }
    return len;
}

int kube_watch(kube_client_t *c, const kube_resource_t *res, const char *ns,
               const kube_watch_opts_t *opts, kube_event_fn on_event, void *arg,
               const atomic_bool *stop, rg_error_t *err)
{
    kube_watch_opts_t o = {0};
    if (opts)
        o = *opts;
    unsigned timeout_s = o.timeout_seconds ? o.timeout_seconds : 300;

    char *base = kube_path(res, ns, NULL, NULL);
    rg_buf_t q = RG_BUF_INIT;
    rg_buf_appendf(&q, "%s?watch=1&timeoutSeconds=%u", base, timeout_s);
    rg_free(base);
    if (o.allow_bookmarks)
        rg_buf_append_str(&q, "&allowWatchBookmarks=true");
    if (o.resource_version && *o.resource_version) {
        rg_buf_append_str(&q, "&resourceVersion=");
        kube__append_escaped(&q, o.resource_version);
    }
    if (o.label_selector && *o.label_selector) {
        rg_buf_append_str(&q, "&labelSelector=");
        kube__append_escaped(&q, o.label_selector);
    }
    if (o.field_selector && *o.field_selector) {
        rg_buf_append_str(&q, "&fieldSelector=");
        kube__append_escaped(&q, o.field_selector);
    }
    const char *path = q.data;

    kube__ratelimit_wait(c);
    /* A watch holds its connection for minutes; it gets its own handle so
     * the pool's keep-alive connections stay free for short requests. */
    CURL *h = curl_easy_init();
    CURLM *m = curl_multi_init();
    struct curl_slist *headers = NULL;
    watch_ctx_t w = {h, NULL, 0, RG_BUF_INIT, 0, err};
    char errbuf[CURL_ERROR_SIZE] = "";
    int rc = 0;
    if (h == NULL || m == NULL) {
        rc = rg_error_set(err, RG_ERR_NOMEM, "curl handle allocation failed");
        goto out;
    }
    if ((rc = kube__handle_setup(c, h, path, &headers, err)) < 0)
        goto out;
    w.dec = kube_watch_decoder_new(KUBE_MAX_EVENT_BYTES, on_event, arg);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_s + KUBE_WATCH_SLACK_S) * 1000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_watch_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &w);
    /* Watches are long-lived HTTP/1.1 streams; one per connection. */
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_multi_add_handle(m, h);
    atomic_fetch_add(&c->st_watches, 1);
    atomic_fetch_add(&c->st_requests, 1);

    bool stopped = false;
    for (;;) {
        int running = 0;
        CURLMcode mc = curl_multi_perform(m, &running);
        if (mc != CURLM_OK) {
            rc = rg_error_set(err, RG_ERR_IO, "watch %.200s: %s", path, curl_multi_strerror(mc));
            break;
        }
        if (running == 0)
            break;
        if (stop && atomic_load(stop)) {
            stopped = true;
            break;
        }
        mc = curl_multi_poll(m, NULL, 0, KUBE_WATCH_POLL_MS, NULL);
        if (mc != CURLM_OK) {
            rc = rg_error_set(err, RG_ERR_IO, "watch %.200s: %s", path, curl_multi_strerror(mc));
            break;
        }
    }
    if (rc < 0 || stopped)
        goto out;

    CURLcode cc = CURLE_OK;
    int msgs = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &msgs)) != NULL)
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == h)
            cc = msg->data.result;
    if (w.rc != 0) {
        /* The decoder (err already says why) or the callback ended it. */
        rc = w.rc;
        goto out;
    }
    if (w.status == 0) {
        long st = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
        w.status = (int)st;
    }
    if (w.status != 0 && w.status != 200) {
        rg_error_t perr;
        cJSON *body = w.errbody.len ? rg_json_parse(w.errbody.data, w.errbody.len, &perr) : NULL;
        char *reason = NULL, *message = NULL;
        kube__status_fill(body, w.errbody.data, w.errbody.len, w.status, &reason, &message);
        rc = kube__http_error(err, "GET", path, w.status, reason, message);
        if (w.status >= 500)
            atomic_fetch_add(&c->st_err_5xx, 1);
        else
            atomic_fetch_add(&c->st_err_4xx, 1);
        if (w.status == 429)
            atomic_fetch_add(&c->st_throttled, 1);
        cJSON_Delete(body);
        rg_free(reason);
        rg_free(message);
        goto out;
    }
    if (kube_watch_decoder_pending(w.dec)) {
        atomic_fetch_add(&c->st_err_transport, 1);
        rc = rg_error_set(err, RG_ERR_IO, "watch %.200s: watch stream ended inside an event%s%s",
                          path, cc != CURLE_OK ? ": " : "",
                          cc != CURLE_OK ? (*errbuf ? errbuf : curl_easy_strerror(cc)) : "");
        goto out;
    }
    if (cc != CURLE_OK) {
        atomic_fetch_add(&c->st_err_transport, 1);
        rc = kube__curl_error(cc, errbuf, "watch", path, err);
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        atomic_fetch_add(&c->st_watch_errors, 1);
    if (m && h)
        curl_multi_remove_handle(m, h);
    if (h)
        curl_easy_cleanup(h);
    if (m)
        curl_multi_cleanup(m);
    curl_slist_free_all(headers);
    kube_watch_decoder_free(w.dec);
    rg_buf_release(&w.errbody);
    rg_buf_release(&q);
    return rc;
}

/*
 * The HTTPS server: the only module that includes <microhttpd.h> and talks
 * to GnuTLS (libmicrohttpd's TLS backend). It owns listening, TLS (with
 * certificate hot swap), request framing and limits, and routing to
 * handlers; handlers never see libmicrohttpd types.
 * Handlers run on the server's worker threads, concurrently.
 */
#ifndef RAYGATE_HTTP_H
#define RAYGATE_HTTP_H

#include "raygate/arena.h"
#include "raygate/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct http_server http_server_t;

/* What a handler sees. Everything is borrowed for the call's duration,
 * except arena memory, which lives until the request completes. */
typedef struct http_request {
    const char *method;
    const char *path;
    const char *content_type; /* NULL when absent */
    const char *body;         /* NUL-terminated copy; body_len excludes the NUL */
    size_t body_len;
    rg_arena_t *arena;
    int64_t start_mono_ns; /* when the request's headers were complete */
} http_request_t;

/* What a handler fills. status 0 means 500. */
typedef struct http_response {
    int status;
    const char *content_type; /* static string; NULL = application/json */
    char *body;               /* owned by the response: rg_malloc'd, freed by the server */
    size_t body_len;
} http_response_t;

typedef void (*http_handler_fn)(void *ctx, const http_request_t *req, http_response_t *resp);

typedef struct http_route {
    const char *path;    /* exact match */
    const char *method;  /* "GET" (HEAD is accepted too) or "POST" */
    size_t max_body;     /* bodies above this answer 413; 0 for GET routes */
    http_handler_fn fn;
    void *ctx;
    const char *name;    /* label for metrics and logs, e.g. "mutate" */
} http_route_t;

/* Called once per finished request (any outcome) for metrics. */
typedef void (*http_observe_fn)(void *ctx, const char *route_name, int status, double seconds);

typedef struct http_server_opts {
    const char *listen_addr; /* numeric IPv4/IPv6; NULL or "" = all addresses */
    uint16_t port;           /* 0 picks a free port (see http_server_port) */
    /* false: binding fails when another socket listens on the address (a
     * stale raygate must not answer half the requests with old rules);
     * true: SO_REUSEPORT, the kernel spreads connections over every
     * process listening there. */
    bool reuse_port;
    unsigned threads;
    unsigned max_connections;
    unsigned connection_timeout_s; /* idle keep-alive connections close after this */
    unsigned request_timeout_s;    /* a body must arrive within this after its headers */
    const char *cert_file;
    const char *key_file;
    unsigned cert_poll_ms; /* how often the files are checked for rotation; 0 = never */
    const http_route_t *routes; /* borrowed; must outlive the server */
    size_t n_routes;
    http_observe_fn observe;
    void *observe_ctx;
} http_server_opts_t;

/*
 * Loads the certificate, binds and starts serving. Returns an owned server
 * (stop with http_server_stop) or NULL with err naming what failed (the
 * address, or the certificate file).
 */
http_server_t *http_server_start(const http_server_opts_t *opts, rg_error_t *err);

/* The port actually bound. */
uint16_t http_server_port(const http_server_t *srv);

/* Requests currently being handled (headers received, response not done). */
unsigned http_server_inflight(const http_server_t *srv);

/*
 * Checks the certificate files now and swaps in a changed pair; returns 1
 * when swapped, 0 when unchanged, or an error (the old pair stays in use).
 * The server's poll thread calls this; tests and SIGHUP may too.
 */
int http_server_reload_tls(http_server_t *srv, rg_error_t *err);

/*
 * Graceful stop: stops accepting, lets requests in flight finish (up to
 * grace_ms), closes the rest and frees the server. NULL does nothing.
 */
void http_server_stop(http_server_t *srv, unsigned grace_ms);

/* Helpers for handlers: an error answered as a Kubernetes Status body. */
void http_response_status(http_response_t *resp, int code, const char *message);
/* Takes ownership of body (rg_malloc'd). */
void http_response_take(http_response_t *resp, int code, char *body, size_t len);

/* "libmicrohttpd 0.9.75" and "GnuTLS 3.7.9": static strings. */
const char *http_mhd_version(void);
const char *http_gnutls_version(void);

#endif

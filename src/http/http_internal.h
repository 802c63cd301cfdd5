/*
 * State shared by the HTTP module's files: the server struct and the TLS
 * credential store that the GnuTLS certificate callback reads.
 */
#ifndef RAYGATE_HTTP_INTERNAL_H
#define RAYGATE_HTTP_INTERNAL_H

#include "raygate/http.h"
#include "raygate/tls.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdatomic.h>

/* TLS 1.2 and 1.3 only, GnuTLS' NORMAL cipher set otherwise. */
#define HTTP_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

typedef struct http_creds http_creds_t;

/* Lingering close (linger.c): sockets kept at once, how long and how many
 * bytes each may still send before it is closed anyway. */
#define HTTP_LINGER_MAX 64
#define HTTP_LINGER_MS 5000
#define HTTP_LINGER_BYTES (64u * 1024 * 1024)
typedef struct http_linger http_linger_t;

/* Starts the linger thread; owned (stop with http__linger_stop) or NULL
 * with err. */
http_linger_t *http__linger_start(rg_error_t *err);
/* Keeps a duplicate of conn_fd (the caller's stays the caller's) and
 * discards what the peer still sends before closing it. Any thread. */
void http__linger_add(http_linger_t *l, int conn_fd);
/* Closes what is left and stops the thread; NULL does nothing. */
void http__linger_stop(http_linger_t *l);

struct http_server {
    struct MHD_Daemon *daemon;
    const http_route_t *routes;
    size_t n_routes;
    http_observe_fn observe;
    void *observe_ctx;
    int64_t request_timeout_ns;
    uint16_t port;
    atomic_uint inflight;
    http_linger_t *linger;

    /* TLS: current credentials and those retired by a reload. Retired ones
     * stay allocated until stop because GnuTLS sessions that picked them
     * may still be mid-handshake; rotations are rare (days), so the list
     * stays tiny. */
    char *cert_file;
    char *key_file;
    unsigned poll_ms;
    pthread_mutex_t tls_lock;
    http_creds_t *creds;
    http_creds_t *retired;
    tls_file_stamp_t cert_stamp;
    tls_file_stamp_t key_stamp;
    pthread_t poll_thread;
    bool poll_running;
    pthread_mutex_t poll_lock;
    pthread_cond_t poll_cond;
    bool poll_stop;
};

int http__tls_init(http_server_t *srv, const char *cert_file, const char *key_file,
                   unsigned poll_ms, rg_error_t *err);
int http__tls_start_poll(http_server_t *srv, rg_error_t *err);
void http__tls_stop_poll(http_server_t *srv);
void http__tls_release(http_server_t *srv);
/* The port srv is bound to, once known: its handshakes are told apart by it. */
void http__tls_set_port(http_server_t *srv, unsigned port);

/* The gnutls_certificate_retrieve_function2 handed to libmicrohttpd. */
int http__tls_cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                            const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                            gnutls_pcert_st **pcert, unsigned int *pcert_length,
                            gnutls_privkey_t *pkey);

#endif

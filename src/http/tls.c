/*
 * Serving certificates for libmicrohttpd's GnuTLS: the pair is checked by
 * the tls module (OpenSSL), imported into GnuTLS credentials, handed out by
 * the per-handshake callback, and swapped when the files change on disk so
 * new connections get the new certificate while open ones continue.
 */
#include "http_internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Certificates in one chain file, leaf first. */
#define HTTP_MAX_CHAIN 16

struct http_creds {
    http_creds_t *next; /* in the retired list */
    gnutls_pcert_st pcerts[HTTP_MAX_CHAIN];
    unsigned n_pcerts;
    gnutls_privkey_t key;
    char serial[80];
};

/*
 * GnuTLS' certificate callback carries no user pointer, so the serving
 * instances are registered here and a handshake finds its own by the local
 * port of its socket (libmicrohttpd hands GnuTLS the accepted socket as the
 * transport). A process runs a few: the main listener and, optionally, the
 * metrics-only one (server.metricsListen).
 */
#define HTTP_MAX_SERVERS 4
typedef struct tls_slot {
    http_server_t *srv;
    unsigned port; /* 0 until http__tls_set_port: the server is still starting */
} tls_slot_t;
static pthread_mutex_t tls_slots_lock = PTHREAD_MUTEX_INITIALIZER;
static tls_slot_t tls_slots[HTTP_MAX_SERVERS];

/* The local port of the handshake's socket; 0 when it cannot be known. */
static unsigned session_local_port(gnutls_session_t session)
{
    int fd = gnutls_transport_get_int(session);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

/* The server a handshake belongs to: the one bound to its port, else the
 * only one still starting (its port is not known yet), else the only one.
 * Call with tls_slots_lock held. */
static http_server_t *server_of_port(unsigned port)
{
    http_server_t *starting = NULL, *only = NULL;
    size_t n_starting = 0, n = 0;
    for (size_t i = 0; i < HTTP_MAX_SERVERS; i++) {
        if (tls_slots[i].srv == NULL)
            continue;
        if (port != 0 && tls_slots[i].port == port)
            return tls_slots[i].srv;
        n++;
        only = tls_slots[i].srv;
        if (tls_slots[i].port == 0) {
            n_starting++;
            starting = tls_slots[i].srv;
        }
    }
    return n_starting == 1 ? starting : n == 1 ? only : NULL;
}

static void creds_free(http_creds_t *c)
{
    if (c == NULL)
        return;
    for (unsigned i = 0; i < c->n_pcerts; i++)
        gnutls_pcert_deinit(&c->pcerts[i]);
    if (c->key)
        gnutls_privkey_deinit(c->key);
    rg_free(c);
}

static http_creds_t *creds_new(const tls_pair_t *pair, const char *cert_file, rg_error_t *err)
{
    http_creds_t *c = rg_calloc(1, sizeof(*c));
    gnutls_datum_t cert = {(unsigned char *)pair->cert_pem, (unsigned)pair->cert_len};
    gnutls_datum_t key = {(unsigned char *)pair->key_pem, (unsigned)pair->key_len};
    c->n_pcerts = HTTP_MAX_CHAIN;
    int rc = gnutls_pcert_list_import_x509_raw(c->pcerts, &c->n_pcerts, &cert,
                                               GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0) {
        c->n_pcerts = 0;
        rg_error_set(err, RG_ERR_TLS, "%s: GnuTLS cannot import the certificate chain: %s",
                     cert_file, gnutls_strerror(rc));
        goto err;
    }
    rc = gnutls_privkey_init(&c->key);
    if (rc >= 0)
        rc = gnutls_privkey_import_x509_raw(c->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rc < 0) {
        rg_error_set(err, RG_ERR_TLS, "GnuTLS cannot import the private key for %s: %s",
                     cert_file, gnutls_strerror(rc));
        goto err;
    }
    snprintf(c->serial, sizeof(c->serial), "%s", pair->serial_hex ? pair->serial_hex : "");
    return c;
err:
    creds_free(c);
    return NULL;
}

/* Loads, checks and imports the files; the caller swaps the result in. */
static http_creds_t *creds_load(http_server_t *srv, tls_file_stamp_t *cert_stamp,
                                tls_file_stamp_t *key_stamp, rg_error_t *err)
{
    tls_pair_t pair;
    if (tls_file_stamp(srv->cert_file, cert_stamp) != RG_OK ||
        tls_file_stamp(srv->key_file, key_stamp) != RG_OK) {
        rg_error_set(err, RG_ERR_IO, "cannot stat certificate \"%s\" or key \"%s\": %s",
                     srv->cert_file, srv->key_file, strerror(errno));
        return NULL;
    }
    if (tls_pair_load(srv->cert_file, srv->key_file, 0, &pair, err) != RG_OK)
        return NULL;
    http_creds_t *c = creds_new(&pair, srv->cert_file, err);
    tls_pair_release(&pair);
    return c;
}

int http__tls_cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                            const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                            gnutls_pcert_st **pcert, unsigned int *pcert_length,
                            gnutls_privkey_t *pkey)
{
    (void)req_ca_dn, (void)nreqs, (void)pk_algos, (void)pk_algos_length;
    unsigned port = session_local_port(session);
    pthread_mutex_lock(&tls_slots_lock);
    http_server_t *srv = server_of_port(port);
    if (srv == NULL) {
        pthread_mutex_unlock(&tls_slots_lock);
        return -1;
    }
    /* Held until the creds are taken: release waits for this lock, so the
     * server cannot go away under the handshake. */
    pthread_mutex_lock(&srv->tls_lock);
    pthread_mutex_unlock(&tls_slots_lock);
    http_creds_t *c = srv->creds;
    pthread_mutex_unlock(&srv->tls_lock);
    if (c == NULL)
        return -1;
    *pcert = c->pcerts;
    *pcert_length = c->n_pcerts;
    *pkey = c->key;
    return 0;
}

int http__tls_init(http_server_t *srv, const char *cert_file, const char *key_file,
                   unsigned poll_ms, rg_error_t *err)
{
    pthread_mutex_init(&srv->tls_lock, NULL);
    pthread_mutex_init(&srv->poll_lock, NULL);
    pthread_cond_init(&srv->poll_cond, NULL);
    if (cert_file == NULL || key_file == NULL)
        return rg_error_set(err, RG_ERR_CONFIG, "tls: a certificate file and a key file are required");
    pthread_mutex_lock(&tls_slots_lock);
    size_t slot = 0;
    while (slot < HTTP_MAX_SERVERS && tls_slots[slot].srv != NULL)
        slot++;
    if (slot < HTTP_MAX_SERVERS)
        tls_slots[slot] = (tls_slot_t){.srv = srv, .port = 0};
    pthread_mutex_unlock(&tls_slots_lock);
    if (slot == HTTP_MAX_SERVERS)
        return rg_error_set(err, RG_ERR_STATE, "more than %d HTTPS servers in this process",
                            HTTP_MAX_SERVERS);
    srv->cert_file = rg_strdup(cert_file);
    srv->key_file = rg_strdup(key_file);
    srv->poll_ms = poll_ms;
    srv->creds = creds_load(srv, &srv->cert_stamp, &srv->key_stamp, err);
    if (srv->creds == NULL)
        return err ? err->code : RG_ERR_TLS;
    rg_log_info("http", "serving certificate loaded cert=\"%s\" serial=%s", cert_file,
                srv->creds->serial);
    return RG_OK;
}

void http__tls_set_port(http_server_t *srv, unsigned port)
{
    pthread_mutex_lock(&tls_slots_lock);
    for (size_t i = 0; i < HTTP_MAX_SERVERS; i++)
        if (tls_slots[i].srv == srv)
            tls_slots[i].port = port;
    pthread_mutex_unlock(&tls_slots_lock);
}

int http_server_reload_tls(http_server_t *srv, rg_error_t *err)
{
    tls_file_stamp_t cs, ks;
    if (tls_file_stamp(srv->cert_file, &cs) == RG_OK &&
        tls_file_stamp(srv->key_file, &ks) == RG_OK && tls_file_stamp_equal(&cs, &srv->cert_stamp) &&
        tls_file_stamp_equal(&ks, &srv->key_stamp))
        return 0;
    http_creds_t *fresh = creds_load(srv, &cs, &ks, err);
    if (fresh == NULL) {
        /* cert-manager writes cert and key separately: a mismatch seen
         * between the two writes resolves on the next poll. Remember the
         * stamps so one bad state is logged once, not every poll. */
        srv->cert_stamp = cs;
        srv->key_stamp = ks;
        return err ? err->code : RG_ERR_TLS;
    }
    pthread_mutex_lock(&srv->tls_lock);
    http_creds_t *old = srv->creds;
    srv->creds = fresh;
    old->next = srv->retired;
    srv->retired = old;
    pthread_mutex_unlock(&srv->tls_lock);
    srv->cert_stamp = cs;
    srv->key_stamp = ks;
    rg_log_info("http", "serving certificate reloaded cert=\"%s\" serial=%s old_serial=%s",
                srv->cert_file, fresh->serial, old->serial);
    return 1;
}

static void *poll_main(void *arg)
{
    http_server_t *srv = arg;
    pthread_mutex_lock(&srv->poll_lock);
    while (!srv->poll_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += srv->poll_ms / 1000;
        ts.tv_nsec += (long)(srv->poll_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&srv->poll_cond, &srv->poll_lock, &ts);
        if (srv->poll_stop)
            break;
        pthread_mutex_unlock(&srv->poll_lock);
        rg_error_t err = {0};
        if (http_server_reload_tls(srv, &err) < 0)
            rg_log_error("http", "certificate reload failed; keeping the current one error=\"%s\"",
                         rg_error_str(&err));
        pthread_mutex_lock(&srv->poll_lock);
    }
    pthread_mutex_unlock(&srv->poll_lock);
    return NULL;
}

int http__tls_start_poll(http_server_t *srv, rg_error_t *err)
{
    if (srv->poll_ms == 0)
        return RG_OK;
    int rc = pthread_create(&srv->poll_thread, NULL, poll_main, srv);
    if (rc != 0)
        return rg_error_set(err, RG_ERR_SYS, "cannot start the certificate poll thread: %s",
                            strerror(rc));
    srv->poll_running = true;
    return RG_OK;
}

void http__tls_stop_poll(http_server_t *srv)
{
    if (!srv->poll_running)
        return;
    pthread_mutex_lock(&srv->poll_lock);
    srv->poll_stop = true;
    pthread_cond_signal(&srv->poll_cond);
    pthread_mutex_unlock(&srv->poll_lock);
    pthread_join(srv->poll_thread, NULL);
    srv->poll_running = false;
}

void http__tls_release(http_server_t *srv)
{
    /* First out of the registry: no handshake can find it afterwards. */
    pthread_mutex_lock(&tls_slots_lock);
    for (size_t i = 0; i < HTTP_MAX_SERVERS; i++)
        if (tls_slots[i].srv == srv)
            tls_slots[i] = (tls_slot_t){0};
    pthread_mutex_unlock(&tls_slots_lock);
    creds_free(srv->creds);
    srv->creds = NULL;
    while (srv->retired) {
        http_creds_t *next = srv->retired->next;
        creds_free(srv->retired);
        srv->retired = next;
    }
    rg_free(srv->cert_file);
    rg_free(srv->key_file);
    srv->cert_file = srv->key_file = NULL;
    pthread_mutex_destroy(&srv->tls_lock);
    pthread_mutex_destroy(&srv->poll_lock);
    pthread_cond_destroy(&srv->poll_cond);
}

const char *http_gnutls_version(void)
{
    return gnutls_check_version(NULL);
}

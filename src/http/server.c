/*
 * HTTPS serving on libmicrohttpd: epoll worker pool, per-route body limits
 * enforced before buffering, JSON-only POSTs, Kubernetes Status bodies for
 * every transport error, graceful drain on stop.
 */
#include "http_internal.h"

#include "raygate/alloc.h"
#include "raygate/buf.h"
#include "raygate/kstatus.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Headers and the read buffer share this per-connection budget; it also
 * bounds how much a client can make us hold before its headers end. */
#define HTTP_CONNECTION_MEMORY (16 * 1024)

typedef struct req_ctx {
    const http_route_t *route;
    const char *route_name;
    rg_arena_t arena;
    rg_buf_t body;
    bool body_too_big;
    /* Answered before the body was read: libmicrohttpd closes the
     * connection after the answer, and the close lingers (linger.c). */
    bool answered_early;
    int status;
    int64_t start_ns;
} req_ctx_t;

static enum MHD_Result queue_body(struct MHD_Connection *conn, req_ctx_t *rc, int status,
                                  const char *content_type, char *body, size_t len,
                                  const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer_with_free_callback(len, body, rg_free);
    if (r == NULL) {
        rg_free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            content_type ? content_type : "application/json");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (status == 413 || rc->answered_early)
        /* The rest of the body is not wanted: say the connection ends. */
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    rc->status = status;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static char *status_body(int code, const char *message, size_t *len)
{
    rg_buf_t b = RG_BUF_INIT;
    rg_status_t st = {.code = code, .message = message};
    rg_status_encode(&b, &st);
    return rg_buf_detach(&b, len);
}

static enum MHD_Result queue_status(struct MHD_Connection *conn, req_ctx_t *rc, int code,
                                    const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum MHD_Result queue_status(struct MHD_Connection *conn, req_ctx_t *rc, int code,
                                    const char *allow, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rg_log_info("http", "request refused code=%d route=%s message=\"%s\"", code,
                rc->route_name ? rc->route_name : "unknown", msg);
    size_t len;
    char *body = status_body(code, msg, &len);
    return queue_body(conn, rc, code, NULL, body, len, allow);
}

void http_response_status(http_response_t *resp, int code, const char *message)
{
    rg_free(resp->body);
    resp->status = code;
    resp->content_type = NULL;
    resp->body = status_body(code, message, &resp->body_len);
}

void http_response_take(http_response_t *resp, int code, char *body, size_t len)
{
    rg_free(resp->body);
    resp->status = code;
    resp->body = body;
    resp->body_len = len;
}

static const http_route_t *route_find(const http_server_t *srv, const char *path)
{
    for (size_t i = 0; i < srv->n_routes; i++)
        if (strcmp(srv->routes[i].path, path) == 0)
            return &srv->routes[i];
    return NULL;
}

static bool method_allowed(const http_route_t *route, const char *method)
{
    if (strcmp(route->method, method) == 0)
        return true;
    return strcmp(route->method, "GET") == 0 && strcmp(method, "HEAD") == 0;
}

/* application/json, optionally with parameters ("; charset=utf-8"). */
static bool is_json_media_type(const char *ct)
{
    if (ct == NULL)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n) != 0)
        return false;
    char next = ct[n];
    return next == '\0' || next == ';' || next == ' ';
}

/* Parses a Content-Length strictly; returns false when absent or invalid. */
static bool content_length(struct MHD_Connection *conn, unsigned long long *out)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (v == NULL || *v < '0' || *v > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end != '\0')
        return false;
    *out = n;
    return true;
}

/* A body follows the headers (declared, or chunked). */
static bool has_body(struct MHD_Connection *conn)
{
    unsigned long long n;
    if (content_length(conn, &n))
        return n > 0;
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding") != NULL;
}

/*
 * Refuses a request at its headers. When a body follows, the answer goes
 * out now (a client waiting for 100 Continue, or for any answer before it
 * sends, gets one), libmicrohttpd then closes the connection, and the
 * close lingers (linger.c) so that a client already writing its body still
 * reads the answer instead of a reset.
 */
#define refuse_early(conn, rc, code, allow, ...)                                               \
    ((rc)->answered_early = has_body(conn), queue_status(conn, rc, code, allow, __VA_ARGS__))

/* First call for a request: route, method, media type and declared size are
 * all judged before a single body byte is read. */
static enum MHD_Result on_headers(http_server_t *srv, struct MHD_Connection *conn,
                                  req_ctx_t *rc, const char *url, const char *method)
{
    const http_route_t *route = route_find(srv, url);
    if (route == NULL)
        return refuse_early(conn, rc, 404, NULL,
                            "the server could not find the requested resource: path \"%.200s\"",
                            url);
    rc->route = route;
    rc->route_name = route->name;
    if (!method_allowed(route, method)) {
        const char *allow = strcmp(route->method, "GET") == 0 ? "GET, HEAD" : route->method;
        return refuse_early(conn, rc, 405, allow,
                            "method \"%.16s\" is not allowed on \"%s\"; allowed: %s", method,
                            route->path, allow);
    }
    if (strcmp(route->method, "POST") != 0)
        return MHD_YES;
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (!is_json_media_type(ct))
        return refuse_early(conn, rc, 415, NULL,
                            "unsupported media type \"%.100s\": only application/json is accepted",
                            ct ? ct : "");
    unsigned long long declared = 0;
    if (content_length(conn, &declared) && declared > route->max_body)
        return refuse_early(conn, rc, 413, NULL,
                            "request body of %llu bytes exceeds the limit of %zu bytes for \"%s\"",
                            declared, route->max_body, route->path);
    if (declared > 0)
        rg_buf_reserve(&rc->body, (size_t)declared); /* one allocation, no regrowth copies */
    return MHD_YES;
}

static enum MHD_Result on_body_data(http_server_t *srv, req_ctx_t *rc, const char *data,
                                    size_t size)
{
    int64_t elapsed = rg_time_mono_ns() - rc->start_ns;
    if (srv->request_timeout_ns > 0 && elapsed > srv->request_timeout_ns) {
        /* A body trickling in past the deadline would pin memory and a
         * connection slot; closing is the only answer left mid-upload. */
        rg_log_warn("http", "request body timed out; closing connection route=%s received=%zu",
                    rc->route_name, rc->body.len);
        return MHD_NO;
    }
    if (rc->body_too_big)
        return MHD_YES; /* discard: chunked bodies have no declared size */
    if (rc->body.len + size > rc->route->max_body) {
        rc->body_too_big = true;
        rg_buf_release(&rc->body);
        return MHD_YES;
    }
    rg_buf_append(&rc->body, data, size);
    return MHD_YES;
}

static enum MHD_Result dispatch(struct MHD_Connection *conn, req_ctx_t *rc, const char *url,
                                const char *method)
{
    if (rc->body_too_big)
        return queue_status(conn, rc, 413, NULL,
                            "request body exceeds the limit of %zu bytes for \"%s\"",
                            rc->route->max_body, rc->route->path);
    http_request_t req = {
        .method = method,
        .path = url,
        .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
        .body = rc->body.data ? rc->body.data : "",
        .body_len = rc->body.len,
        .arena = &rc->arena,
        .start_mono_ns = rc->start_ns,
    };
    http_response_t resp = {0};
    rc->route->fn(rc->route->ctx, &req, &resp);
    if (resp.status == 0 && resp.body == NULL)
        http_response_status(&resp, 500, "handler produced no response");
    if (resp.body == NULL)
        resp.body = rg_strdup("");
    return queue_body(conn, rc, resp.status ? resp.status : 500, resp.content_type, resp.body,
                      resp.body_len, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    http_server_t *srv = cls;
    req_ctx_t *rc = *con_cls;
    if (rc == NULL) {
        rc = rg_calloc(1, sizeof(*rc));
        rc->start_ns = rg_time_mono_ns();
        rg_arena_init(&rc->arena, 0);
        rg_buf_init(&rc->body);
        *con_cls = rc;
        atomic_fetch_add(&srv->inflight, 1);
        return on_headers(srv, conn, rc, url, method);
    }
    if (rc->status != 0) {
        /* Already answered (refused at headers): swallow what still comes. */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        enum MHD_Result r = on_body_data(srv, rc, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return r;
    }
    return dispatch(conn, rc, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    http_server_t *srv = cls;
    req_ctx_t *rc = *con_cls;
    if (rc == NULL)
        return;
    *con_cls = NULL;
    if (rc->answered_early && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && srv->linger) {
        /* Called before libmicrohttpd sends close_notify and closes: the
         * duplicate keeps the socket open for the drain. */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci != NULL)
            http__linger_add(srv->linger, ci->connect_fd);
    }
    double secs = (double)(rg_time_mono_ns() - rc->start_ns) / 1e9;
    int status = rc->status;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && status == 0)
        status = 499; /* client went away or timed out before an answer */
    if (srv->observe)
        srv->observe(srv->observe_ctx, rc->route_name ? rc->route_name : "unknown", status, secs);
    rg_arena_release(&rc->arena);
    rg_buf_release(&rc->body);
    rg_free(rc);
    atomic_fetch_sub(&srv->inflight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    rg_log_debug("http", "libmicrohttpd: %s", msg);
}

static int parse_listen(const http_server_opts_t *o, struct sockaddr_storage *ss,
                        unsigned *flags, rg_error_t *err)
{
    memset(ss, 0, sizeof(*ss));
    const char *addr = o->listen_addr;
    if (addr == NULL || addr[0] == '\0') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_any;
        s6->sin6_port = htons(o->port);
        *flags |= MHD_USE_DUAL_STACK;
        return RG_OK;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(o->port);
        return RG_OK;
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(o->port);
        *flags |= MHD_USE_IPv6;
        return RG_OK;
    }
    return rg_error_set(err, RG_ERR_CONFIG,
                        "server.listen: invalid address \"%s\": must be a numeric IPv4 or IPv6 "
                        "address",
                        addr);
}

/* The address as an operator writes it: 127.0.0.1:9443, [::1]:9443, *:9443. */
static void describe_listen(const http_server_opts_t *o, char *out, size_t size)
{
    const char *addr = o->listen_addr && o->listen_addr[0] ? o->listen_addr : "*";
    bool v6 = strchr(addr, ':') != NULL;
    snprintf(out, size, "%s%s%s:%u", v6 ? "[" : "", addr, v6 ? "]" : "", (unsigned)o->port);
}

/*
 * Makes the listening socket here rather than in libmicrohttpd, so that
 * address sharing is a decision (SO_REUSEPORT only when asked) and a busy
 * port fails with the address and errno. SO_REUSEADDR is always set: it
 * lets a restart bind while old connections sit in TIME_WAIT, and on Linux
 * it never lets two sockets listen on one address.
 */
static int listen_socket(const http_server_opts_t *o, const struct sockaddr_storage *ss,
                         rg_error_t *err)
{
    char where[INET6_ADDRSTRLEN + 16];
    describe_listen(o, where, sizeof(where));
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return rg_error_set(err, RG_ERR_SYS, "cannot listen on %s: socket: %s", where,
                            strerror(errno));
    int on = 1, off = 0;
    socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_in);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        (o->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) ||
        (ss->ss_family == AF_INET6 && (o->listen_addr == NULL || o->listen_addr[0] == '\0') &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0)) {
        int e = errno;
        close(fd);
        return rg_error_set(err, RG_ERR_SYS, "cannot listen on %s: setsockopt: %s", where,
                            strerror(e));
    }
    if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
        int e = errno;
        close(fd);
        if (e == EADDRINUSE)
            return rg_error_set(err, RG_ERR_SYS,
                                "cannot listen on %s: address already in use (another process "
                                "listens there; set server.reusePort: true or --reuse-port to "
                                "share the port on purpose)",
                                where);
        return rg_error_set(err, RG_ERR_SYS, "cannot listen on %s: %s", where, strerror(e));
    }
    if (listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        close(fd);
        return rg_error_set(err, RG_ERR_SYS, "cannot listen on %s: listen: %s", where,
                            strerror(e));
    }
    return fd;
}

http_server_t *http_server_start(const http_server_opts_t *o, rg_error_t *err)
{
    http_server_t *srv = rg_calloc(1, sizeof(*srv));
    srv->routes = o->routes;
    srv->n_routes = o->n_routes;
    srv->observe = o->observe;
    srv->observe_ctx = o->observe_ctx;
    srv->request_timeout_ns = (int64_t)o->request_timeout_s * 1000000000LL;
    atomic_init(&srv->inflight, 0);

    if (http__tls_init(srv, o->cert_file, o->key_file, o->cert_poll_ms, err) != RG_OK)
        goto err;
    if ((srv->linger = http__linger_start(err)) == NULL)
        goto err;

    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TLS | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    unsigned family_flags = 0;
    if (parse_listen(o, &ss, &family_flags, err) != RG_OK)
        goto err;
    int lfd = listen_socket(o, &ss, err);
    if (lfd < 0)
        goto err;
    unsigned threads = o->threads ? o->threads : 1;
    struct MHD_OptionItem opts[] = {
        /* First, so that libmicrohttpd's own messages about the options
         * below go to our log too. */
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL},
        {MHD_OPTION_LISTEN_SOCKET, (intptr_t)lfd, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)(o->max_connections ? o->max_connections : 1024),
         NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)o->connection_timeout_s, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONNECTION_MEMORY, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv},
        {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)http__tls_cert_callback},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)HTTP_TLS_PRIORITIES},
        {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t)threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    srv->daemon = MHD_start_daemon(flags, o->port, NULL, NULL, on_request, srv,
                                   MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        char where[INET6_ADDRSTRLEN + 16];
        describe_listen(o, where, sizeof(where));
        /* libmicrohttpd closes the socket on its own failure paths: closing
         * it here could close a descriptor number another thread reuses. */
        rg_error_set(err, RG_ERR_SYS, "cannot serve on %s: libmicrohttpd refused to start",
                     where);
        goto err;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : o->port;
    http__tls_set_port(srv, srv->port);
    if (http__tls_start_poll(srv, err) != RG_OK)
        goto err;
    return srv;
err:
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    http__linger_stop(srv->linger);
    http__tls_release(srv);
    rg_free(srv);
    return NULL;
}

uint16_t http_server_port(const http_server_t *srv)
{
    return srv->port;
}

unsigned http_server_inflight(const http_server_t *srv)
{
    return atomic_load(&((http_server_t *)srv)->inflight);
}

void http_server_stop(http_server_t *srv, unsigned grace_ms)
{
    if (srv == NULL)
        return;
    /* Stop accepting first so the drain below can finish. The listening
     * socket is closed only after MHD_stop_daemon: its threads may still
     * hold it, and a number closed early can be reused by another thread's
     * socket, which MHD would then close (libmicrohttpd's quiesce contract). */
    MHD_socket ls = MHD_quiesce_daemon(srv->daemon);
    int64_t deadline = rg_time_mono_ns() + (int64_t)grace_ms * 1000000LL;
    while (atomic_load(&srv->inflight) > 0 && rg_time_mono_ns() < deadline)
        usleep(10 * 1000);
    unsigned left = atomic_load(&srv->inflight);
    if (left > 0)
        rg_log_warn("http", "stopping with requests still in flight count=%u", left);
    http__tls_stop_poll(srv);
    MHD_stop_daemon(srv->daemon);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    http__linger_stop(srv->linger);
    http__tls_release(srv);
    rg_free(srv);
}

const char *http_mhd_version(void)
{
    return MHD_get_version();
}

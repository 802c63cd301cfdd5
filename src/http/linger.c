/*
 * Lingering close, as nginx does it: a connection answered before its
 * request body was read (a 413 for a declared size over the limit) is not
 * closed at once, because closing a socket with unread data makes the
 * kernel send a reset, and a client still writing its body would lose the
 * answer. One thread keeps such sockets (a duplicate of libmicrohttpd's
 * descriptor, so the socket outlives its close there), discards what the
 * peer still sends, and closes once the peer is done, a byte bound is
 * reached or a deadline passes.
 */
#include "http_internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct lingerer {
    int fd;
    int64_t deadline_ns;
    uint64_t discarded;
} lingerer_t;

struct http_linger {
    pthread_t thread;
    pthread_mutex_t mu; /* guards pending, n_pending, stop */
    int wake[2];        /* a pipe: the thread polls wake[0] */
    lingerer_t pending[HTTP_LINGER_MAX];
    size_t n_pending;
    bool stop;
};

static void wake_thread(http_linger_t *l)
{
    char c = 1;
    ssize_t n;
    do
        n = write(l->wake[1], &c, 1);
    while (n < 0 && errno == EINTR);
    /* EAGAIN: the pipe is full, so a wake-up is already pending. */
}

/* Reads and drops what fd has; returns false once the socket is done
 * (end of stream, an error, or the byte bound). */
static bool drain(lingerer_t *g)
{
    char scratch[16384];
    for (;;) {
        ssize_t n = recv(g->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
        if (n > 0) {
            g->discarded += (uint64_t)n;
            if (g->discarded > HTTP_LINGER_BYTES)
                return false;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

static void *linger_main(void *arg)
{
    http_linger_t *l = arg;
    lingerer_t live[HTTP_LINGER_MAX];
    size_t n_live = 0;
    for (;;) {
        pthread_mutex_lock(&l->mu);
        bool stop = l->stop;
        for (size_t i = 0; i < l->n_pending; i++) {
            if (n_live < HTTP_LINGER_MAX)
                live[n_live++] = l->pending[i];
            else
                close(l->pending[i].fd);
        }
        l->n_pending = 0;
        pthread_mutex_unlock(&l->mu);
        if (stop)
            break;

        struct pollfd pfd[HTTP_LINGER_MAX + 1];
        pfd[0] = (struct pollfd){.fd = l->wake[0], .events = POLLIN};
        int64_t now = rg_time_mono_ns(), next = now + 1000000000LL;
        for (size_t i = 0; i < n_live; i++) {
            pfd[i + 1] = (struct pollfd){.fd = live[i].fd, .events = POLLIN};
            if (live[i].deadline_ns < next)
                next = live[i].deadline_ns;
        }
        int timeout_ms = next > now ? (int)((next - now) / 1000000) + 1 : 0;
        int rc = poll(pfd, n_live + 1, timeout_ms);
        if (rc < 0 && errno != EINTR)
            rg_log_warn("http", "linger poll failed error=\"%s\"", strerror(errno));
        if (pfd[0].revents & POLLIN) {
            char buf[64];
            while (read(l->wake[0], buf, sizeof(buf)) > 0)
                ;
        }
        now = rg_time_mono_ns();
        size_t kept = 0;
        for (size_t i = 0; i < n_live; i++) {
            bool keep = now < live[i].deadline_ns;
            if (keep && rc > 0 && pfd[i + 1].revents)
                keep = drain(&live[i]);
            if (keep)
                live[kept++] = live[i];
            else
                close(live[i].fd);
        }
        n_live = kept;
    }
    for (size_t i = 0; i < n_live; i++)
        close(live[i].fd);
    return NULL;
}

http_linger_t *http__linger_start(rg_error_t *err)
{
    http_linger_t *l = rg_calloc(1, sizeof(*l));
    bool ok = pipe(l->wake) == 0;
    if (!ok)
        l->wake[0] = l->wake[1] = -1;
    for (int i = 0; ok && i < 2; i++)
        ok = fcntl(l->wake[i], F_SETFD, FD_CLOEXEC) == 0 &&
             fcntl(l->wake[i], F_SETFL, O_NONBLOCK) == 0;
    if (!ok) {
        rg_error_set(err, RG_ERR_SYS, "http: cannot make the linger pipe: %s", strerror(errno));
        for (int i = 0; i < 2; i++)
            if (l->wake[i] >= 0)
                close(l->wake[i]);
        rg_free(l);
        return NULL;
    }
    pthread_mutex_init(&l->mu, NULL);
    if (pthread_create(&l->thread, NULL, linger_main, l) != 0) {
        rg_error_set(err, RG_ERR_SYS, "http: cannot start the linger thread");
        close(l->wake[0]);
        close(l->wake[1]);
        pthread_mutex_destroy(&l->mu);
        rg_free(l);
        return NULL;
    }
    return l;
}

void http__linger_add(http_linger_t *l, int conn_fd)
{
    int fd = fcntl(conn_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        rg_log_warn("http", "cannot keep a connection for lingering close error=\"%s\"",
                    strerror(errno));
        return; /* libmicrohttpd's close goes ahead as before */
    }
    pthread_mutex_lock(&l->mu);
    bool taken = l->n_pending < HTTP_LINGER_MAX && !l->stop;
    if (taken)
        l->pending[l->n_pending++] =
            (lingerer_t){.fd = fd, .deadline_ns = rg_time_mono_ns() + HTTP_LINGER_MS * 1000000LL};
    pthread_mutex_unlock(&l->mu);
    if (taken)
        wake_thread(l);
    else
        close(fd);
}

void http__linger_stop(http_linger_t *l)
{
    if (l == NULL)
        return;
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    pthread_mutex_unlock(&l->mu);
    wake_thread(l);
    pthread_join(l->thread, NULL);
    close(l->wake[0]);
    close(l->wake[1]);
    pthread_mutex_destroy(&l->mu);
    rg_free(l);
}

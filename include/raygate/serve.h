/*
 * `raygate serve`: wires configuration, certificates, the audit log,
 * metrics, the cluster view and the HTTPS routes into one running daemon.
 * The app is built and run by the main thread; its handlers run on the
 * HTTP worker threads and only read what the app built before serving.
 */
#ifndef RAYGATE_SERVE_H
#define RAYGATE_SERVE_H

#include "raygate/config.h"
#include "raygate/err.h"

typedef struct serve_app serve_app_t;

/*
 * Builds everything and starts listening. Returns an owned app (free with
 * serve_app_free) or NULL with err naming what failed. cfg is copied.
 */
serve_app_t *serve_app_new(const cfg_config_t *cfg, rg_error_t *err);

/*
 * Serves until SIGTERM or SIGINT (then drains in-flight requests); SIGHUP
 * reopens the audit log and re-reads the certificate. The caller must have
 * blocked those signals in every thread (serve_signals_block) before
 * serve_app_new started any. Returns 0 after a graceful stop.
 */
int serve_app_run(serve_app_t *app);

/* Stops serving (if still serving) and frees the app; NULL does nothing. */
void serve_app_free(serve_app_t *app);

/* Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and the threads
 * it will start) and ignores SIGPIPE. */
void serve_signals_block(void);

#endif

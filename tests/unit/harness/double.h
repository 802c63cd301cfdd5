/*
 * Starts and stops the API-server double (tests/apiserver/kubedouble.py)
 * for C test suites, and talks to its /_double control endpoints. Test
 * code only; one thread per rg_double_t.
 */
#ifndef RG_TEST_DOUBLE_H
#define RG_TEST_DOUBLE_H

#include "raygate/err.h"
#include "raygate/json.h"

#include <sys/types.h>

typedef struct rg_double {
    pid_t pid;
    int port;
    char dir[256];             /* temporary directory, removed by rg_double_stop */
    char kubeconfig[320];      /* token kubeconfig (kubedouble-admin-token unless --token given) */
    char kubeconfig_cert[320]; /* kubeconfig with the client certificate */
    char cert_dir[320];        /* ca.crt, client.crt, client.key, ... */
    char url[64];              /* https://127.0.0.1:PORT */
} rg_double_t;

/*
 * Starts `python3 $RG_SOURCE_DIR/tests/apiserver/kubedouble.py` with a
 * fresh temporary directory, the CRDs of manifests/crds and extra_args
 * (NULL-terminated, may be NULL), and waits (up to 30 s) until it listens.
 * Returns 0 or an error naming what failed (its stderr is in dir/stderr.log).
 */
int rg_double_start(rg_double_t *d, const char *const *extra_args, rg_error_t *err);

/* SIGTERM (SIGKILL after 5 s), reap, remove the directory. Safe twice. */
void rg_double_stop(rg_double_t *d);

/* POST /_double/faults with a JSON object; 0 or an error. */
int rg_double_faults(rg_double_t *d, const char *json, rg_error_t *err);

/*
 * GET /_double/writes[?since=since]; *out is the owned answer
 * ({"items":[...]}, cJSON_Delete it).
 */
int rg_double_writes(rg_double_t *d, unsigned long since, cJSON **out, rg_error_t *err);

#endif

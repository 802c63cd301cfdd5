/*
 * Helpers shared by the unit suites. Test code only.
 */
#ifndef RG_TEST_HARNESS_H
#define RG_TEST_HARNESS_H

/* The API-server double's launcher (tests/unit/harness/double.h). */
#include "double.h"

#include "raygate/field.h"
#include "raygate/kube.h"
#include "raygate/validate.h"

#include <check.h>
#include <stddef.h>

/*
 * Reads $RG_FIXTURES/<dir>/<name> (dir may be "" for a path relative to
 * the fixtures root) whole, NUL-terminated; fails the running test when it
 * cannot. Owned: rg_free.
 */
char *rgt_fixture_read(const char *dir, const char *name, size_t *len);

/* Every error rendered by field_error_format, one per line; "" when none.
 * Owned: rg_free. */
char *rgt_errors_text(const field_errors_t *errs);
/* Every warning, one per line; "" when none. Owned: rg_free. */
char *rgt_warnings_text(const wh_warnings_t *warns);

/*
 * Starts the API-server double (extra args, may be NULL) and a client for
 * it with opts; fails the running test on any error. The log level is
 * error, debug with RG_TEST_LOG set.
 */
void rgt_double_client_start(rg_double_t *d, const char *const *args, kube_creds_t *creds,
                             const kube_client_opts_t *opts, kube_client_t **client);
/* Frees the client and credentials and stops the double. */
void rgt_double_client_stop(rg_double_t *d, kube_creds_t *creds, kube_client_t **client);

/* JSON written with single quotes for readable tables ('a':'b'), parsed; fails the running test
 * when it does not parse. Owned: cJSON_Delete. */
cJSON *rgt_json_sq(const char *text);

/* Runs one suite (after rg_json_init) and returns the process exit status. */
int rgt_run_suite(Suite *s);

/* A validators' cluster view over the items of a cJSON array (borrowed). */
wh_cluster_t rgt_array_cluster(const cJSON *array);

#endif

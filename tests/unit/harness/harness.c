/*
 * Helpers shared by the unit suites: fixtures, rendering of field errors
 * and warnings for exact comparisons, a cluster view over a JSON array.
 */
#include "harness.h"

#include "raygate/alloc.h"
#include "raygate/buf.h"
#include "raygate/json.h"
#include "raygate/log.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

char *rgt_fixture_read(const char *dir, const char *name, size_t *len)
{
    const char *root = getenv("RG_FIXTURES");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s%s%s", root ? root : "tests/fixtures", dir,
             dir[0] ? "/" : "", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open fixture %s", path);
    rg_buf_t b = RG_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rg_buf_append(&b, chunk, n);
    fclose(f);
    return rg_buf_detach(&b, len);
}

static char *join_lines(size_t n, const char *(*line)(const void *, size_t, rg_buf_t *),
                        const void *ctx)
{
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_t tmp = RG_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (i)
            rg_buf_append_char(&b, '\n');
        rg_buf_clear(&tmp);
        rg_buf_append_str(&b, line(ctx, i, &tmp));
    }
    rg_buf_release(&tmp);
    return rg_buf_detach(&b, NULL);
}

static const char *error_line(const void *ctx, size_t i, rg_buf_t *tmp)
{
    field_error_format(&((const field_errors_t *)ctx)->items[i], tmp);
    return tmp->data;
}

static const char *warning_line(const void *ctx, size_t i, rg_buf_t *tmp)
{
    (void)tmp;
    return ((const wh_warnings_t *)ctx)->items[i];
}

char *rgt_errors_text(const field_errors_t *errs)
{
    return join_lines(errs->n, error_line, errs);
}

char *rgt_warnings_text(const wh_warnings_t *warns)
{
    return join_lines(warns->n, warning_line, warns);
}

static size_t array_count(const void *ctx)
{
    return (size_t)cJSON_GetArraySize((const cJSON *)ctx);
}

static const cJSON *array_object(const void *ctx, size_t i)
{
    return cJSON_GetArrayItem((const cJSON *)ctx, (int)i);
}

wh_cluster_t rgt_array_cluster(const cJSON *array)
{
    return (wh_cluster_t){array_count, array_object, array};
}

void rgt_double_client_start(rg_double_t *d, const char *const *args, kube_creds_t *creds,
                             const kube_client_opts_t *opts, kube_client_t **client)
{
    rg_json_init();
    rg_log_set_level(getenv("RG_TEST_LOG") ? RG_LOG_DEBUG : RG_LOG_ERROR);
    rg_error_t err = {0};
    int rc = rg_double_start(d, args, &err);
    ck_assert_msg(rc == 0, "double: %s", rg_error_str(&err));
    rc = kube_creds_load_kubeconfig(d->kubeconfig, NULL, creds, &err);
    ck_assert_msg(rc == 0, "kubeconfig: %s", rg_error_str(&err));
    *client = kube_client_new(creds, opts, &err);
    ck_assert_msg(*client != NULL, "client: %s", rg_error_str(&err));
}

void rgt_double_client_stop(rg_double_t *d, kube_creds_t *creds, kube_client_t **client)
{
    kube_client_free(*client);
    *client = NULL;
    kube_creds_release(creds);
    rg_double_stop(d);
    kube_global_cleanup();
}

int rgt_run_suite(Suite *s)
{
    rg_json_init();
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

cJSON *rgt_json_sq(const char *text)
{
    char *s = rg_strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    cJSON *j = cJSON_Parse(s);
    rg_free(s);
    ck_assert_msg(j != NULL, "bad test JSON: %s", text);
    return j;
}

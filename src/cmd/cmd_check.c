/*
 * `raygate check FILE... | -`: the validating webhook's rules, offline, on
 * multi-document YAML or JSON; every document of the input is also the
 * cluster view the reference rules consult.
 */
#include "raygate/cmd.h"

#include "raygate/alloc.h"
#include "raygate/config.h"
#include "raygate/json.h"
#include "raygate/validate.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Largest input accepted per file (stdin included). */
#define CHECK_MAX_BYTES ((size_t)64 << 20)

typedef struct check_input {
    const char *name;
    cfg_yaml_docs_t docs;
} check_input_t;

typedef struct check_cluster {
    const cJSON **objects;
    size_t n;
} check_cluster_t;

static size_t cluster_count(const void *ctx)
{
    return ((const check_cluster_t *)ctx)->n;
}

static const cJSON *cluster_object(const void *ctx, size_t i)
{
    const check_cluster_t *c = ctx;
    return i < c->n ? c->objects[i] : NULL;
}

static void usage(FILE *out)
{
    fputs("usage: raygate check FILE... | -\n"
          "\n"
          "Validates Kueue, Ray and PriorityClass manifests (multi-document YAML or JSON)\n"
          "with the validating webhook's rules. Every object of the input also forms the\n"
          "cluster view for reference checks (one globalDefault, existing queues).\n"
          "Prints file:line: path: Type: value: detail for each violation.\n"
          "Exit status: 0 clean (warnings allowed), 1 violations, 2 unreadable input.\n",
          out);
}

static int read_stdin(char **out, size_t *len, rg_error_t *err)
{
    rg_buf_t b = RG_BUF_INIT;
    char chunk[65536];
    ssize_t n;
    while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) > 0) {
        if (b.len + (size_t)n > CHECK_MAX_BYTES) {
            rg_buf_release(&b);
            return rg_error_set(err, RG_ERR_TOO_BIG, "-: input exceeds %zu bytes",
                                CHECK_MAX_BYTES);
        }
        rg_buf_append(&b, chunk, (size_t)n);
    }
    if (n < 0) {
        rg_buf_release(&b);
        return rg_error_set(err, RG_ERR_IO, "-: cannot read standard input");
    }
    *out = rg_buf_detach(&b, len);
    return RG_OK;
}

static int load_input(check_input_t *in, rg_error_t *err)
{
    if (strcmp(in->name, "-") != 0)
        return cfg_yaml_docs_load_file(in->name, CHECK_MAX_BYTES, &in->docs, err);
    char *data;
    size_t len;
    int rc = read_stdin(&data, &len, err);
    if (rc == RG_OK)
        rc = cfg_yaml_docs_parse(data, len, "-", &in->docs, err);
    rg_free(data);
    return rc;
}

/* Validates one document; returns the number of violations printed. */
static size_t check_doc(const char *name, const cfg_yaml_doc_t *doc, const wh_cluster_t *cluster)
{
    const cJSON *obj = doc->root;
    wh_vctx_t ctx = {
        .operation = ADM_OP_CREATE,
        .sub_resource = "",
        .api = wh_api_of(rg_json_get_string(obj, "apiVersion")),
        .cluster = cluster,
    };
    field_errors_t errs = FIELD_ERRORS_INIT;
    wh_warnings_t warns = WH_WARNINGS_INIT;
    wh_validate_object(&ctx, obj, NULL, &errs, &warns);
    rg_buf_t line = RG_BUF_INIT;
    for (size_t i = 0; i < errs.n; i++) {
        rg_buf_clear(&line);
        field_error_format(&errs.items[i], &line);
        printf("%s:%d: %s\n", name, cfg_yaml_doc_line(doc, errs.items[i].field), line.data);
    }
    for (size_t i = 0; i < warns.n; i++)
        printf("%s:%d: warning: %s\n", name, doc->start_line, warns.items[i]);
    size_t n = errs.n;
    rg_buf_release(&line);
    wh_warnings_release(&warns);
    field_errors_release(&errs);
    return n;
}

int cmd_check_main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("raygate check: no input given\n", stderr);
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "raygate check: unknown option \"%s\"\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    rg_json_init();
    size_t n_inputs = (size_t)argc - 1;
    check_input_t *inputs = rg_calloc(n_inputs, sizeof(*inputs));
    check_cluster_t cluster = {0};
    int status = 0;
    for (size_t i = 0; i < n_inputs && status == 0; i++) {
        inputs[i].name = argv[i + 1];
        rg_error_t err = {0};
        if (load_input(&inputs[i], &err) != RG_OK) {
            fprintf(stderr, "raygate check: %s\n", rg_error_str(&err));
            status = 2;
            break;
        }
        cluster.objects = rg_realloc(cluster.objects, (cluster.n + inputs[i].docs.count) *
                                                          sizeof(*cluster.objects));
        for (size_t d = 0; d < inputs[i].docs.count; d++)
            cluster.objects[cluster.n++] = inputs[i].docs.items[d].root;
    }
    size_t violations = 0;
    if (status == 0) {
        wh_cluster_t view = {cluster_count, cluster_object, &cluster};
        for (size_t i = 0; i < n_inputs; i++)
            for (size_t d = 0; d < inputs[i].docs.count; d++)
                violations += check_doc(inputs[i].name, &inputs[i].docs.items[d], &view);
        status = violations ? 1 : 0;
        if (violations)
            fprintf(stderr, "raygate check: %zu violation%s\n", violations,
                    violations == 1 ? "" : "s");
    }
    for (size_t i = 0; i < n_inputs; i++)
        cfg_yaml_docs_release(&inputs[i].docs);
    rg_free(inputs);
    rg_free(cluster.objects);
    return status;
}

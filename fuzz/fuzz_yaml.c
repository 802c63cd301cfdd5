/*
 * libFuzzer target over `raygate check`'s path: multi-document YAML to JSON
 * with line marks, line lookups for field paths, and the validating rules on
 * every document with the input as the cluster view. Input: a YAML stream.
 */
#include "raygate/config.h"
#include "raygate/field.h"
#include "raygate/json.h"
#include "raygate/validate.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rg_json_init();
    return 0;
}

typedef struct fuzz_cluster {
    const cfg_yaml_docs_t *docs;
} fuzz_cluster_t;

static size_t cluster_count(const void *ctx)
{
    return ((const fuzz_cluster_t *)ctx)->docs->count;
}

static const cJSON *cluster_object(const void *ctx, size_t i)
{
    const fuzz_cluster_t *c = ctx;
    return i < c->docs->count ? c->docs->items[i].root : NULL;
}

/* Well-formed, malformed and partial paths: the lookup must bound them all. */
static const char *const paths[] = {
    "",
    "metadata",
    "metadata.name",
    "metadata.labels[kueue.x-k8s.io/queue-name]",
    "spec.resourceGroups[0].flavors[1].resources[0].nominalQuota",
    "spec.podSets[0].template.spec.containers[0].resources.requests[cpu]",
    "spec.workerGroupSpecs[18446744073709551615]",
    "spec..x[",
    "[0]",
    "spec.a[99999999999999999999999].b]",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cfg_yaml_docs_t docs = {0};
    rg_error_t err = {0};
    if (cfg_yaml_docs_parse((const char *)data, size, "fuzz", &docs, &err) != RG_OK) {
        cfg_yaml_docs_release(&docs);
        return 0;
    }
    fuzz_cluster_t fc = {&docs};
    wh_cluster_t cluster = {cluster_count, cluster_object, &fc};
    for (size_t d = 0; d < docs.count; d++) {
        const cfg_yaml_doc_t *doc = &docs.items[d];
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
            (void)cfg_yaml_doc_line(doc, paths[i]);
        wh_vctx_t ctx = {
            .operation = ADM_OP_CREATE,
            .sub_resource = "",
            .api = wh_api_of(rg_json_get_string(doc->root, "apiVersion")),
            .cluster = &cluster,
        };
        field_errors_t errs = FIELD_ERRORS_INIT;
        wh_warnings_t warns = WH_WARNINGS_INIT;
        (void)wh_validate_object(&ctx, doc->root, NULL, &errs, &warns);
        rg_buf_t line = RG_BUF_INIT;
        for (size_t i = 0; i < errs.n; i++) {
            rg_buf_clear(&line);
            field_error_format(&errs.items[i], &line);
            /* The paths the rules really report, as `raygate check` maps them. */
            (void)cfg_yaml_doc_line(doc, errs.items[i].field);
        }
        rg_buf_release(&line);
        wh_warnings_release(&warns);
        field_errors_release(&errs);
    }
    cfg_yaml_docs_release(&docs);
    return 0;
}

/*
 * libFuzzer target over the scheduler extender's wire codec (src/extender/
 * ext_scan.c, ext_codec.c): ExtenderArgs, ExtenderBindingArgs and
 * ExtenderPreemptionArgs decoding, and the answers built from what was
 * decoded. Properties: a decoded request's answers are one JSON value each
 * by the scanner's own grammar, and, when cJSON accepts the whole request
 * (it refuses lone UTF-16 surrogates, which Go and the scanner accept as
 * U+FFFD), by cJSON too; every kept Node span and the Pod span are JSON
 * objects; decoding never reads past the input. Input: one request body.
 */
#include "extender/ext_codec.h"
#include "extender/ext_scan.h"

#include "raygate/alloc.h"
#include "raygate/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rg_json_init();
    return 0;
}

/* Whether cJSON accepted the whole request: then it must accept every answer. */
static bool strict;

/* Aborts unless len bytes at s are one JSON value (an object, when obj). */
static void must_parse(const char *s, size_t len, bool obj)
{
    ext_scan_t sc;
    ext__scan_init(&sc, s, len, NULL);
    if ((obj && ext__scan_peek(&sc) != '{') || ext__scan_skip(&sc) != RG_OK ||
        ext__scan_end(&sc) != RG_OK)
        abort();
    if (!strict)
        return;
    cJSON *v = rg_json_parse(s, len, NULL);
    if (v == NULL || (obj && !cJSON_IsObject(v)))
        abort();
    cJSON_Delete(v);
}

static void filter_answers(const ext_args_t *a, rg_arena_t *arena)
{
    if (a->pod)
        must_parse(a->pod, a->pod_len, true);
    size_t n = a->has_nodes ? a->n_nodes : a->n_names;
    bool *keep = rg_arena_alloc(arena, n + 1);
    ext_failed_t *failed = rg_arena_alloc(arena, (n + 1) * sizeof(*failed));
    size_t n_failed = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = a->has_nodes ? a->nodes[i].name : a->names[i];
        if (a->has_nodes)
            must_parse(a->nodes[i].json, a->nodes[i].len, true);
        keep[i] = i % 2 == 0;
        if (!keep[i])
            failed[n_failed++] = (ext_failed_t){name ? name : "", "a reason \"quoted\"\n", i % 4 == 1};
    }
    rg_buf_t b = RG_BUF_INIT;
    ext__filter_result_encode(&b, a, keep, failed, n_failed);
    must_parse(b.data, b.len, true);
    rg_buf_clear(&b);
    ext__filter_result_encode(&b, a, NULL, NULL, 0);
    must_parse(b.data, b.len, true);
    rg_buf_clear(&b);
    const char **hosts = rg_arena_alloc(arena, (n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++)
        hosts[i] = a->has_nodes ? (a->nodes[i].name ? a->nodes[i].name : "") : a->names[i];
    ext__priorities_encode(&b, hosts, NULL, n);
    must_parse(b.data, b.len, false);
    rg_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    cJSON *whole = rg_json_parse(body, size, NULL);
    strict = whole != NULL;
    cJSON_Delete(whole);
    rg_arena_t arena;
    rg_arena_init(&arena, 16 * 1024);
    rg_error_t err = {0};
    ext_args_t a;
    if (ext__args_decode(body, size, 1000, &arena, &a, &err) == RG_OK)
        filter_answers(&a, &arena);
    ext_bind_args_t ba;
    if (ext__bind_args_decode(body, size, &arena, &ba, &err) == RG_OK) {
        rg_buf_t b = RG_BUF_INIT;
        ext__bind_result_encode(&b, ba.pod_name);
        must_parse(b.data, b.len, true);
        rg_buf_release(&b);
    }
    ext_preempt_args_t pa;
    if (ext__preempt_args_decode(body, size, 1000, &arena, &pa, &err) == RG_OK) {
        bool *keep = rg_arena_alloc(&arena, pa.n_nodes + 1);
        for (size_t i = 0; i < pa.n_nodes; i++)
            keep[i] = i % 3 != 1;
        rg_buf_t b = RG_BUF_INIT;
        ext__preempt_result_encode(&b, &pa, keep);
        must_parse(b.data, b.len, true);
        rg_buf_release(&b);
    }
    rg_arena_release(&arena);
    return 0;
}

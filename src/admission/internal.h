/*
 * Helpers shared inside the admission module only: a streaming base64
 * encoder (so the patch is encoded straight into the response buffer) and
 * the patch's hook into it.
 */
#ifndef RAYGATE_ADMISSION_INTERNAL_H
#define RAYGATE_ADMISSION_INTERNAL_H

#include "raygate/admission.h"
#include "raygate/arena.h"

/* Base64 over several chunks: up to two bytes wait for the next chunk. */
typedef struct adm__b64 {
    rg_buf_t *out;
    unsigned char carry[2];
    size_t n_carry;
} adm__b64_t;

void adm__b64_begin(adm__b64_t *s, rg_buf_t *out);
void adm__b64_feed(adm__b64_t *s, const void *data, size_t len);
/* Writes the last group with its padding. */
void adm__b64_end(adm__b64_t *s);

/* Appends the base64 of the patch's JSON array text to out. */
void adm__patch_append_base64(const adm_patch_t *p, rg_buf_t *out);

/*
 * Parses len bytes of strict JSON into a read-only cJSON tree whose nodes
 * and strings all live in arena (released with it; never cJSON_Delete the
 * result). Returns the root, or NULL with err "malformed JSON at byte N".
 * Nesting deeper than 1000 is refused, as cJSON does.
 */
cJSON *adm__json_parse_arena(const char *data, size_t len, rg_arena_t *arena, rg_error_t *err);

#endif

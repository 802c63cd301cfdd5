/*
 * A lean, validating JSON scanner for the extender's large bodies: it reads
 * only the members asked for and skips (while validating) everything else,
 * so a 21 MB NodeList costs one pass and no tree. Values are spans of the
 * input; strings with escapes are decoded on demand. Private to
 * src/extender/. One request's thread; no allocation except through the
 * arena given to ext__scan_text.
 */
#ifndef RAYGATE_EXT_SCAN_H
#define RAYGATE_EXT_SCAN_H

#include "raygate/arena.h"
#include "raygate/err.h"

#include <stdbool.h>
#include <stddef.h>

/* Deepest nesting accepted anywhere in a body (a Node is about 8 deep). */
#define EXT_SCAN_MAX_DEPTH 96

typedef struct ext_scan {
    const char *base; /* start of the body, for error offsets */
    const char *p;
    const char *end;
    unsigned depth; /* containers open around the current position */
    rg_error_t *err;
} ext_scan_t;

/* A string's raw content (between the quotes) and whether it holds escapes. */
typedef struct ext_str {
    const char *s;
    size_t len;
    bool esc;
} ext_str_t;

void ext__scan_init(ext_scan_t *s, const char *body, size_t len, rg_error_t *err);
/* Skips whitespace; returns the next byte or 0 at the end. */
char ext__scan_peek(ext_scan_t *s);
/* Consumes null if it is next; returns whether it did. */
bool ext__scan_null(ext_scan_t *s);
/* Skips one value of any type, validating it. 0 or RG_ERR_PARSE / RG_ERR_TOO_BIG. */
int ext__scan_skip(ext_scan_t *s);
/* Reads a string value. */
int ext__scan_string(ext_scan_t *s, ext_str_t *out);
/*
 * Objects: _begin consumes '{'; each _key call consumes the separator and
 * reads the next key and its ':' (returns 1), or consumes '}' (returns 0).
 * Arrays the same with '[' / ']' (_next returns 1 before each element).
 * Errors are negative.
 */
int ext__scan_obj_begin(ext_scan_t *s);
int ext__scan_obj_key(ext_scan_t *s, bool *first, ext_str_t *key);
int ext__scan_arr_begin(ext_scan_t *s);
int ext__scan_arr_next(ext_scan_t *s, bool *first);
/* After the last value: only whitespace may follow. */
int ext__scan_end(ext_scan_t *s);
/* Offset of the current position, for messages. */
size_t ext__scan_offset(const ext_scan_t *s);

/* Go's encoding/json rule for struct fields: the key equals name ignoring ASCII case. */
bool ext__str_is(const ext_str_t *k, const char *name);
/* The decoded text of a string (escapes resolved, UTF-8), NUL-terminated, in arena. */
char *ext__str_text(const ext_str_t *str, rg_arena_t *arena);

#endif

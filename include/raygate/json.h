/*
 * The rg_json helpers: the only door to cJSON for the rest of raygate.
 * Parsing reports the byte offset of malformed input; getters are
 * type-checked and return NULL on absence or wrong type, so callers never
 * dereference a node of the wrong kind. Thread-safe after rg_json_init.
 */
#ifndef RAYGATE_JSON_H
#define RAYGATE_JSON_H

#include "raygate/buf.h"
#include "raygate/err.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Routes cJSON's allocations through rg_malloc; call once before threads. */
void rg_json_init(void);

/*
 * Parses len bytes (no NUL needed). Returns an owned tree (free with
 * cJSON_Delete) or NULL with err naming the byte offset of the fault.
 * Nesting deeper than cJSON's limit (1000) is refused as malformed.
 */
cJSON *rg_json_parse(const char *data, size_t len, rg_error_t *err);

/* Borrowed children of obj by exact key; NULL when absent or mistyped. */
const cJSON *rg_json_get(const cJSON *obj, const char *key);
const cJSON *rg_json_get_object(const cJSON *obj, const char *key);
const cJSON *rg_json_get_array(const cJSON *obj, const char *key);
const char *rg_json_get_string(const cJSON *obj, const char *key);

/*
 * Reads a boolean: returns 1 and sets *out when present as a bool, 0 when
 * absent or null, RG_ERR_TYPE when present with another type.
 */
int rg_json_get_bool(const cJSON *obj, const char *key, bool *out);

/* Follows a NULL-terminated list of object keys; borrowed node or NULL. */
const cJSON *rg_json_path(const cJSON *root, ...) __attribute__((sentinel));

/* The JSON type name of a node ("object", "string", ...), for messages. */
const char *rg_json_type_name(const cJSON *node);

/* Appends the compact JSON text of node to b. */
void rg_json_append(rg_buf_t *b, const cJSON *node);

/*
 * Applies an RFC 7386 JSON merge patch (borrowed) to *target (owned; may be
 * replaced, e.g. when the patch is not an object): null members delete,
 * objects merge recursively, anything else replaces.
 */
void rg_json_merge_patch(cJSON **target, const cJSON *patch);

/* Returns the compact JSON text of node, owned; free with rg_free. */
char *rg_json_print(const cJSON *node);

#endif

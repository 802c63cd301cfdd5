/*
 * cJSON behind type-checked getters, with allocation hooked to rg_malloc
 * and parse errors that say where.
 */
#include "raygate/json.h"

#include "raygate/alloc.h"

#include <stdarg.h>
#include <string.h>

void rg_json_init(void)
{
    cJSON_Hooks hooks = {rg_malloc, rg_free};
    cJSON_InitHooks(&hooks);
}

cJSON *rg_json_parse(const char *data, size_t len, rg_error_t *err)
{
    if (data == NULL || len == 0) {
        rg_error_set(err, RG_ERR_PARSE, "malformed JSON at byte 0: empty input");
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(data, len, &end, false);
    if (root == NULL) {
        size_t off = (end && end >= data && end <= data + len) ? (size_t)(end - data) : 0;
        rg_error_set(err, RG_ERR_PARSE, "malformed JSON at byte %zu", off);
        return NULL;
    }
    /* cJSON stops after the first value; anything but whitespace after it
     * is garbage the apiserver would never send. */
    size_t off = (size_t)(end - data);
    while (off < len && (data[off] == ' ' || data[off] == '\n' || data[off] == '\r' ||
                         data[off] == '\t' || data[off] == '\0'))
        off++;
    if (off < len) {
        cJSON_Delete(root);
        rg_error_set(err, RG_ERR_PARSE, "malformed JSON at byte %zu: trailing data", off);
        return NULL;
    }
    return root;
}

const cJSON *rg_json_get(const cJSON *obj, const char *key)
{
    if (obj == NULL || !cJSON_IsObject(obj))
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

const cJSON *rg_json_get_object(const cJSON *obj, const char *key)
{
    const cJSON *n = rg_json_get(obj, key);
    return cJSON_IsObject(n) ? n : NULL;
}

const cJSON *rg_json_get_array(const cJSON *obj, const char *key)
{
    const cJSON *n = rg_json_get(obj, key);
    return cJSON_IsArray(n) ? n : NULL;
}

const char *rg_json_get_string(const cJSON *obj, const char *key)
{
    const cJSON *n = rg_json_get(obj, key);
    return cJSON_IsString(n) ? n->valuestring : NULL;
}

int rg_json_get_bool(const cJSON *obj, const char *key, bool *out)
{
    const cJSON *n = rg_json_get(obj, key);
    if (n == NULL || cJSON_IsNull(n))
        return 0;
    if (!cJSON_IsBool(n))
        return RG_ERR_TYPE;
    *out = cJSON_IsTrue(n);
    return 1;
}

const cJSON *rg_json_path(const cJSON *root, ...)
{
    va_list ap;
    va_start(ap, root);
    const cJSON *n = root;
    const char *key;
    while (n && (key = va_arg(ap, const char *)) != NULL)
        n = rg_json_get(n, key);
    va_end(ap);
    return n;
}

const char *rg_json_type_name(const cJSON *node)
{
    if (node == NULL)
        return "absent";
    switch (node->type & 0xFF) {
    case cJSON_False:
    case cJSON_True: return "boolean";
    case cJSON_NULL: return "null";
    case cJSON_Number: return "number";
    case cJSON_String: return "string";
    case cJSON_Array: return "array";
    case cJSON_Object: return "object";
    case cJSON_Raw: return "raw";
    }
    return "invalid";
}

void rg_json_append(rg_buf_t *b, const cJSON *node)
{
    char *s = cJSON_PrintUnformatted(node);
    if (s == NULL)
        return;
    rg_buf_append_str(b, s);
    rg_free(s);
}

char *rg_json_print(const cJSON *node)
{
    char *s = cJSON_PrintUnformatted(node);
    return s ? s : rg_strdup("null");
}

void rg_json_merge_patch(cJSON **target, const cJSON *patch)
{
    if (!cJSON_IsObject(patch)) {
        cJSON_Delete(*target);
        *target = cJSON_Duplicate(patch, true);
        return;
    }
    if (!cJSON_IsObject(*target)) {
        cJSON_Delete(*target);
        *target = cJSON_CreateObject();
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, patch)
    {
        if (it->string == NULL)
            continue;
        if (cJSON_IsNull(it)) {
            cJSON_DeleteItemFromObjectCaseSensitive(*target, it->string);
            continue;
        }
        cJSON *cur = cJSON_DetachItemFromObjectCaseSensitive(*target, it->string);
        rg_json_merge_patch(&cur, it);
        cJSON_AddItemToObject(*target, it->string, cur);
    }
}

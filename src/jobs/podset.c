/*
 * Pod templates as Kueue's pkg/podset and pkg/util/equality treat them:
 * what admission injects (Merge, with its conflict rule), what eviction puts
 * back (RestorePodSpec), how a template is kept in a Workload (SanitizePodSet),
 * Go's semantic equality over decoded JSON, and the merge-patch diff the
 * run and stop patches are built with.
 */
#include "job_internal.h"

#include "raygate/alloc.h"
#include "raygate/field.h"
#include "raygate/quantity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void job__info_release(job__info_t *in)
{
    cJSON_Delete(in->labels);
    cJSON_Delete(in->annotations);
    cJSON_Delete(in->node_selector);
    cJSON_Delete(in->tolerations);
    cJSON_Delete(in->origin);
    memset(in, 0, sizeof(*in));
}

static cJSON **info_map(job__info_t *in, const char *field)
{
    if (strcmp(field, "labels") == 0)
        return &in->labels;
    if (strcmp(field, "annotations") == 0)
        return &in->annotations;
    return &in->node_selector;
}

static const char *origin_of(const job__info_t *in, const char *field, const char *key)
{
    char *k = rg_asprintf("%s/%s", field, key);
    const char *o = rg_json_get_string(in->origin, k);
    rg_free(k);
    return o ? o : "Kueue";
}

int job__info_add_map(job__info_t *in, const char *field, const cJSON *map, const char *origin,
                      const char *src, rg_error_t *err)
{
    if (map == NULL || cJSON_IsNull(map))
        return RG_OK;
    if (!cJSON_IsObject(map))
        return rg_error_set(err, RG_ERR_TYPE, "%s %s: Invalid value: \"%s\": must be an object",
                            origin, src, rg_json_type_name(map));
    cJSON **dst = info_map(in, field);
    if (*dst == NULL)
        *dst = cJSON_CreateObject();
    if (in->origin == NULL)
        in->origin = cJSON_CreateObject();
    const cJSON *e;
    cJSON_ArrayForEach(e, map)
    {
        if (!cJSON_IsString(e))
            return rg_error_set(err, RG_ERR_TYPE,
                                "%s %s[%s]: Invalid value: \"%s\": must be a "
                                "string",
                                origin, src, e->string, rg_json_type_name(e));
        const char *have = rg_json_get_string(*dst, e->string);
        if (have != NULL) {
            if (strcmp(have, e->valuestring) != 0)
                return rg_error_set(err, RG_ERR_CONFLICT,
                                    "%s[%s]: %s sets \"%s\" but %s sets "
                                    "\"%s\"",
                                    field, e->string, origin_of(in, field, e->string), have, origin,
                                    e->valuestring);
            continue;
        }
        cJSON_AddStringToObject(*dst, e->string, e->valuestring);
        char *k = rg_asprintf("%s/%s", field, e->string);
        cJSON_AddStringToObject(in->origin, k, origin);
        rg_free(k);
    }
    return RG_OK;
}

/* A toleration's string member ("" when absent); -1 when mistyped. */
static int tol_field(const cJSON *t, const char *key, const char **out)
{
    const cJSON *v = rg_json_get(t, key);
    if (v == NULL || cJSON_IsNull(v)) {
        *out = "";
        return 0;
    }
    if (!cJSON_IsString(v))
        return -1;
    *out = v->valuestring;
    return 0;
}

/* Kueue's tolerations.Equal: MatchToleration with "" read as "Equal". */
static bool toleration_equal(const cJSON *a, const cJSON *b)
{
    static const char *const keys[] = {"key", "operator", "value", "effect"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *x = "", *y = "";
        if (tol_field(a, keys[i], &x) < 0 || tol_field(b, keys[i], &y) < 0)
            return false;
        if (i == 1) {
            x = x[0] ? x : "Equal";
            y = y[0] ? y : "Equal";
        }
        if (strcmp(x, y) != 0)
            return false;
    }
    return true;
}

static bool has_toleration(const cJSON *list, const cJSON *t)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        if (toleration_equal(e, t))
            return true;
    }
    return false;
}

/* Checks a toleration list's shape: an array of objects with string fields. */
static int check_tolerations(const cJSON *list, const char *path, rg_error_t *err)
{
    if (!cJSON_IsArray(list))
        return rg_error_set(err, RG_ERR_TYPE, "%s: Invalid value: \"%s\": must be an array", path,
                            rg_json_type_name(list));
    int i = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, list)
    {
        static const char *const keys[] = {"key", "operator", "value", "effect"};
        if (!cJSON_IsObject(t))
            return rg_error_set(err, RG_ERR_TYPE,
                                "%s[%d]: Invalid value: \"%s\": must be an "
                                "object",
                                path, i, rg_json_type_name(t));
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            const char *s;
            if (tol_field(t, keys[k], &s) < 0)
                return rg_error_set(err, RG_ERR_TYPE,
                                    "%s[%d].%s: Invalid value: \"%s\": must "
                                    "be a string",
                                    path, i, keys[k], rg_json_type_name(rg_json_get(t, keys[k])));
        }
        i++;
    }
    return RG_OK;
}

int job__info_add_tolerations(job__info_t *in, const cJSON *tolerations, const char *path,
                              rg_error_t *err)
{
    if (tolerations == NULL || cJSON_IsNull(tolerations))
        return RG_OK;
    int rc = check_tolerations(tolerations, path, err);
    if (rc != RG_OK)
        return rc;
    if (cJSON_GetArraySize(tolerations) > JOB__LIST_MAX)
        return rg_error_set(err, RG_ERR_TOO_BIG, "%s: Too many: %d: must have at most %d items",
                            path, cJSON_GetArraySize(tolerations), JOB__LIST_MAX);
    if (in->tolerations == NULL)
        in->tolerations = cJSON_CreateArray();
    const cJSON *t;
    cJSON_ArrayForEach(t, tolerations)
    {
        if (!has_toleration(in->tolerations, t))
            cJSON_AddItemToArray(in->tolerations, cJSON_Duplicate(t, 1));
    }
    return RG_OK;
}

/* obj[key] as a mutable object, created when absent or null. */
static cJSON *ensure_object(cJSON *obj, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsObject(v))
        return v;
    cJSON *fresh = cJSON_CreateObject();
    if (v != NULL)
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, fresh);
    else
        cJSON_AddItemToObject(obj, key, fresh);
    return fresh;
}

/* Merges one info map into the template's map at path; conflicts refuse. */
static int merge_map(cJSON *parent, const char *key, const char *path, const job__info_t *info,
                     const char *field, const cJSON *add, rg_error_t *err)
{
    if (add == NULL || cJSON_GetArraySize(add) == 0)
        return RG_OK;
    const cJSON *have = cJSON_GetObjectItemCaseSensitive(parent, key);
    if (have != NULL && !cJSON_IsNull(have) && !cJSON_IsObject(have))
        return rg_error_set(err, RG_ERR_TYPE, "%s: Invalid value: \"%s\": must be an object", path,
                            rg_json_type_name(have));
    const cJSON *e;
    cJSON_ArrayForEach(e, add)
    {
        const cJSON *cur = rg_json_get(have, e->string);
        if (cur == NULL || cJSON_IsNull(cur))
            continue;
        if (!cJSON_IsString(cur))
            return rg_error_set(err, RG_ERR_TYPE,
                                "%s[%s]: Invalid value: \"%s\": must be a "
                                "string",
                                path, e->string, rg_json_type_name(cur));
        if (strcmp(cur->valuestring, e->valuestring) != 0)
            return rg_error_set(err, RG_ERR_CONFLICT,
                                "%s[%s]: Invalid value: \"%s\": conflicts "
                                "with \"%s\" from %s",
                                path, e->string, cur->valuestring, e->valuestring,
                                origin_of(info, field, e->string));
    }
    cJSON *dst = ensure_object(parent, key);
    cJSON_ArrayForEach(e, add)
    {
        if (rg_json_get_string(dst, e->string) == NULL) {
            cJSON_DeleteItemFromObjectCaseSensitive(dst, e->string); /* a null entry */
            cJSON_AddStringToObject(dst, e->string, e->valuestring);
        }
    }
    return RG_OK;
}

int job__template_merge(cJSON *tmpl, const char *path, const job__info_t *info, rg_error_t *err)
{
    char sub[JOB__PATH_MAX + 64];
    cJSON *meta = ensure_object(tmpl, "metadata");
    cJSON *spec = ensure_object(tmpl, "spec");
    snprintf(sub, sizeof(sub), "%s.metadata.labels", path);
    int rc = merge_map(meta, "labels", sub, info, "labels", info->labels, err);
    if (rc == RG_OK) {
        snprintf(sub, sizeof(sub), "%s.metadata.annotations", path);
        rc = merge_map(meta, "annotations", sub, info, "annotations", info->annotations, err);
    }
    if (rc == RG_OK) {
        snprintf(sub, sizeof(sub), "%s.spec.nodeSelector", path);
        rc = merge_map(spec, "nodeSelector", sub, info, "nodeSelector", info->node_selector, err);
    }
    if (rc != RG_OK || info->tolerations == NULL || cJSON_GetArraySize(info->tolerations) == 0)
        return rc;
    snprintf(sub, sizeof(sub), "%s.spec.tolerations", path);
    cJSON *have = cJSON_GetObjectItemCaseSensitive(spec, "tolerations");
    if (have != NULL && !cJSON_IsNull(have)) {
        rc = check_tolerations(have, sub, err);
        if (rc != RG_OK)
            return rc;
    }
    if (!cJSON_IsArray(have)) {
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "tolerations");
        have = cJSON_AddArrayToObject(spec, "tolerations");
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, info->tolerations)
    {
        if (!has_toleration(have, t))
            cJSON_AddItemToArray(have, cJSON_Duplicate(t, 1));
    }
    return RG_OK;
}

static bool is_empty(const cJSON *v)
{
    return v == NULL || cJSON_IsNull(v) ||
           ((cJSON_IsObject(v) || cJSON_IsArray(v)) && v->child == NULL);
}

/* Sets parent[key] to a copy of want, or removes it when want is empty,
 * unless the two are already equal (Go's maps.Equal/slices.Equal: nil and
 * empty alike). */
static void restore_member(cJSON *parent, const char *key, const cJSON *want)
{
    const cJSON *have = cJSON_GetObjectItemCaseSensitive(parent, key);
    if (is_empty(have) && is_empty(want))
        return;
    if (have != NULL && want != NULL && cJSON_Compare(have, want, true))
        return;
    cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
    if (!is_empty(want))
        cJSON_AddItemToObject(parent, key, cJSON_Duplicate(want, 1));
}

void job__template_restore(cJSON *tmpl, const cJSON *orig)
{
    const cJSON *ometa = rg_json_get_object(orig, "metadata");
    const cJSON *ospec = rg_json_get_object(orig, "spec");
    cJSON *meta = ensure_object(tmpl, "metadata");
    cJSON *spec = ensure_object(tmpl, "spec");
    restore_member(meta, "labels", rg_json_get(ometa, "labels"));
    restore_member(meta, "annotations", rg_json_get(ometa, "annotations"));
    restore_member(spec, "nodeSelector", rg_json_get(ospec, "nodeSelector"));
    restore_member(spec, "tolerations", rg_json_get(ospec, "tolerations"));
    restore_member(spec, "schedulingGates", rg_json_get(ospec, "schedulingGates"));
    if (meta->child == NULL)
        cJSON_DeleteItemFromObjectCaseSensitive(tmpl, "metadata");
}

/* ---- SanitizePodSet: env entries folded by name ---- */

typedef struct env_ref {
    const char *name;
    int index;
} env_ref_t;

static int env_ref_cmp(const void *a, const void *b)
{
    const env_ref_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/*
 * Kueue keeps, for each env name, the last entry at the position of the
 * first (orderedgroups.InOrder, last of each group). Sorting (name, index)
 * finds the groups in O(n log n) whatever the input's size.
 */
static int fold_env(cJSON *container, const char *path, rg_error_t *err)
{
    cJSON *env = cJSON_GetObjectItemCaseSensitive(container, "env");
    if (env == NULL || cJSON_IsNull(env))
        return RG_OK;
    if (!cJSON_IsArray(env))
        return rg_error_set(err, RG_ERR_TYPE, "%s.env: Invalid value: \"%s\": must be an array",
                            path, rg_json_type_name(env));
    int n = cJSON_GetArraySize(env);
    if (n > JOB__ENV_MAX)
        return rg_error_set(err, RG_ERR_TOO_BIG,
                            "%s.env: Too many: %d: must have at most %d "
                            "items",
                            path, n, JOB__ENV_MAX);
    if (n < 2)
        return RG_OK;
    env_ref_t *refs = rg_malloc((size_t)n * sizeof(*refs));
    cJSON **items = rg_malloc((size_t)n * sizeof(*items));
    int i = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, env)
    {
        const char *name = rg_json_get_string(e, "name");
        if (name == NULL) {
            rg_free(refs);
            rg_free(items);
            return rg_error_set(err, RG_ERR_TYPE, "%s.env[%d].name: Required value: a string", path,
                                i);
        }
        refs[i] = (env_ref_t){name, i};
        items[i] = e;
        i++;
    }
    qsort(refs, (size_t)n, sizeof(*refs), env_ref_cmp);
    bool *drop = rg_calloc((size_t)n, sizeof(*drop));
    int *take = rg_malloc((size_t)n * sizeof(*take)); /* which entry fills each slot */
    for (i = 0; i < n; i++)
        take[i] = i;
    for (int a = 0, b; a < n; a = b) {
        for (b = a + 1; b < n && strcmp(refs[a].name, refs[b].name) == 0; b++)
            drop[refs[b].index] = true;
        take[refs[a].index] = refs[b - 1].index;
    }
    cJSON *out = cJSON_CreateArray();
    for (i = 0; i < n; i++)
        if (!drop[i])
            cJSON_AddItemToArray(out, cJSON_Duplicate(items[take[i]], 1));
    cJSON_ReplaceItemInObjectCaseSensitive(container, "env", out);
    rg_free(refs);
    rg_free(items);
    rg_free(drop);
    rg_free(take);
    return RG_OK;
}

static int fold_containers(cJSON *spec, const char *path, const char *key, rg_error_t *err)
{
    cJSON *list = cJSON_GetObjectItemCaseSensitive(spec, key);
    if (list == NULL || cJSON_IsNull(list))
        return RG_OK;
    if (!cJSON_IsArray(list))
        return rg_error_set(err, RG_ERR_TYPE, "%s.%s: Invalid value: \"%s\": must be an array",
                            path, key, rg_json_type_name(list));
    int i = 0;
    cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        char sub[JOB__PATH_MAX + 64];
        snprintf(sub, sizeof(sub), "%s.%s[%d]", path, key, i++);
        if (!cJSON_IsObject(c))
            return rg_error_set(err, RG_ERR_TYPE, "%s: Invalid value: \"%s\": must be an object",
                                sub, rg_json_type_name(c));
        int rc = fold_env(c, sub, err);
        if (rc != RG_OK)
            return rc;
    }
    return RG_OK;
}

static int copy_string_map(cJSON *dst, const cJSON *meta, const char *key, const char *path,
                           rg_error_t *err)
{
    const cJSON *m = rg_json_get(meta, key);
    if (m == NULL || cJSON_IsNull(m))
        return RG_OK;
    if (!cJSON_IsObject(m))
        return rg_error_set(err, RG_ERR_TYPE,
                            "%s.metadata.%s: Invalid value: \"%s\": must be "
                            "an object",
                            path, key, rg_json_type_name(m));
    const cJSON *e;
    cJSON_ArrayForEach(e, m)
    {
        if (!cJSON_IsString(e))
            return rg_error_set(err, RG_ERR_TYPE,
                                "%s.metadata.%s[%s]: Invalid value: \"%s\": "
                                "must be a string",
                                path, key, e->string, rg_json_type_name(e));
    }
    cJSON_AddItemToObject(dst, key, cJSON_Duplicate(m, 1));
    return RG_OK;
}

int job__template_check(const cJSON *tmpl, const char *path, rg_error_t *err)
{
    if (!cJSON_IsObject(tmpl))
        return rg_error_set(err, RG_ERR_TYPE, "%s: Invalid value: \"%s\": must be an object", path,
                            rg_json_type_name(tmpl));
    const cJSON *member = NULL;
    int rc = job__opt_object(tmpl, path, "metadata", &member, err);
    if (rc == RG_OK)
        rc = job__opt_object(tmpl, path, "spec", &member, err);
    return rc;
}

int job__template_copy(const cJSON *tmpl, const char *path, cJSON **out, rg_error_t *err)
{
    *out = NULL;
    int rc = job__template_check(tmpl, path, err);
    if (rc != RG_OK)
        return rc;
    const cJSON *meta = rg_json_get_object(tmpl, "metadata");
    const cJSON *spec = rg_json_get_object(tmpl, "spec");
    cJSON *copy = cJSON_CreateObject();
    cJSON *m = cJSON_AddObjectToObject(copy, "metadata");
    rc = copy_string_map(m, meta, "labels", path, err);
    if (rc == RG_OK)
        rc = copy_string_map(m, meta, "annotations", path, err);
    cJSON *s = spec ? cJSON_Duplicate(spec, 1) : cJSON_CreateObject();
    cJSON_AddItemToObject(copy, "spec", s);
    char sub[JOB__PATH_MAX + 16];
    snprintf(sub, sizeof(sub), "%s.spec", path);
    if (rc == RG_OK)
        rc = fold_containers(s, sub, "initContainers", err);
    if (rc == RG_OK)
        rc = fold_containers(s, sub, "containers", err);
    if (rc != RG_OK) {
        cJSON_Delete(copy);
        return rc;
    }
    if (m->child == NULL)
        cJSON_DeleteItemFromObjectCaseSensitive(copy, "metadata");
    *out = copy;
    return RG_OK;
}

/* ---- Semantic equality ---- */

typedef enum cmp_mode {
    CMP_PLAIN,
    CMP_QTY_MAP, /* an object whose members are quantities (requests, limits) */
    CMP_QTY,     /* a quantity */
} cmp_mode_t;

static bool is_zero(const cJSON *v)
{
    if (is_empty(v) || cJSON_IsFalse(v))
        return true;
    if (cJSON_IsNumber(v))
        return v->valuedouble == 0;
    return cJSON_IsString(v) && v->valuestring[0] == '\0';
}

static cmp_mode_t child_mode(cmp_mode_t mode, const char *key)
{
    if (mode == CMP_QTY_MAP)
        return CMP_QTY;
    if (key && (strcmp(key, "requests") == 0 || strcmp(key, "limits") == 0))
        return CMP_QTY_MAP;
    if (key && strcmp(key, "divisor") == 0)
        return CMP_QTY;
    return CMP_PLAIN;
}

static bool equal_at(const cJSON *a, const cJSON *b, cmp_mode_t mode, field_path_t *p);

static bool equal_members(const cJSON *a, const cJSON *b, cmp_mode_t mode, field_path_t *p)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        size_t mark = mode == CMP_QTY_MAP ? field_path_push_map_key(p, e->string)
                                          : field_path_push_key(p, e->string);
        if (!equal_at(e, rg_json_get(b, e->string), child_mode(mode, e->string), p))
            return false;
        field_path_pop(p, mark);
    }
    cJSON_ArrayForEach(e, b)
    {
        if (rg_json_get(a, e->string) != NULL)
            continue;
        size_t mark = mode == CMP_QTY_MAP ? field_path_push_map_key(p, e->string)
                                          : field_path_push_key(p, e->string);
        if (!is_zero(e))
            return false;
        field_path_pop(p, mark);
    }
    return true;
}

static bool equal_at(const cJSON *a, const cJSON *b, cmp_mode_t mode, field_path_t *p)
{
    if (is_zero(a) && is_zero(b))
        return true;
    if (mode == CMP_QTY) {
        quota_qty_t x, y;
        if (quota_qty_parse_json(a, &x, NULL) == RG_OK &&
            quota_qty_parse_json(b, &y, NULL) == RG_OK)
            return quota_qty_cmp(&x, &y) == 0;
    }
    if (a == NULL || b == NULL || (a->type & 0xFF) != (b->type & 0xFF))
        return false;
    if (cJSON_IsObject(a))
        return equal_members(a, b, mode, p);
    if (cJSON_IsArray(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return false;
        size_t i = 0;
        for (const cJSON *x = a->child, *y = b->child; x && y; x = x->next, y = y->next, i++) {
            size_t mark = field_path_push_index(p, i);
            if (!equal_at(x, y, CMP_PLAIN, p))
                return false;
            field_path_pop(p, mark);
        }
        return true;
    }
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsNumber(a))
        return a->valuedouble == b->valuedouble;
    return true; /* both true */
}

bool job__semantic_equal(const cJSON *a, const cJSON *b, const char *prefix, char *why,
                         size_t why_size)
{
    field_path_t p;
    field_path_init(&p, prefix);
    bool eq = equal_at(a, b, CMP_PLAIN, &p);
    if (!eq && why != NULL && why_size > 0)
        snprintf(why, why_size, "%s", field_path_str(&p));
    return eq;
}

/* ---- Merge-patch diff ---- */

cJSON *job__merge_diff(const cJSON *old, const cJSON *new)
{
    cJSON *patch = cJSON_CreateObject();
    const cJSON *e;
    cJSON_ArrayForEach(e, old)
    {
        const cJSON *n = rg_json_get(new, e->string);
        if (n == NULL) {
            cJSON_AddNullToObject(patch, e->string);
        } else if (cJSON_IsObject(e) && cJSON_IsObject(n)) {
            cJSON *sub = job__merge_diff(e, n);
            if (sub != NULL)
                cJSON_AddItemToObject(patch, e->string, sub);
        } else if (!cJSON_Compare(e, n, true)) {
            cJSON_AddItemToObject(patch, e->string, cJSON_Duplicate(n, 1));
        }
    }
    cJSON_ArrayForEach(e, new)
    {
        if (rg_json_get(old, e->string) == NULL)
            cJSON_AddItemToObject(patch, e->string, cJSON_Duplicate(e, 1));
    }
    if (patch->child == NULL) {
        cJSON_Delete(patch);
        return NULL;
    }
    return patch;
}

/*
 * RFC 6902 JSON Patch builder. Each operation's JSON text is written once,
 * when it is added, into one buffer, so encoding a response is a copy (or a
 * base64 pass) over it. The operations double as an overlay over the
 * original document, which lets adm_patch_set see what earlier calls made.
 */
#include "raygate/admission.h"

#include "admission/internal.h"
#include "raygate/alloc.h"

#include <string.h>

/* Deepest pointer adm_patch_set walks; Kubernetes objects are far shallower. */
#define PATCH_MAX_DEPTH 64

typedef struct patch_op {
    adm_patch_opkind_t kind;
    size_t path_off, path_len; /* into paths, NUL-terminated */
    size_t val_off, val_len;   /* into json; val_len 0 for remove */
    size_t nseg;               /* segments in the path */
    cJSON *parsed;             /* the value, parsed on first need; owned */
    bool parse_tried;
} patch_op_t;

struct adm_patch {
    patch_op_t *ops;
    size_t n, cap;
    rg_buf_t json;    /* the op objects joined by ',', without brackets */
    rg_buf_t paths;   /* each op's pointer, NUL-terminated */
    rg_buf_t path;    /* scratch: the pointer being built */
    rg_buf_t value;   /* scratch: a nested value being built */
    rg_buf_t literal; /* scratch: a string value made JSON */
};

static const char *const op_names[] = {"add", "remove", "replace", "test"};

adm_patch_t *adm_patch_new(void)
{
    return rg_calloc(1, sizeof(adm_patch_t));
}

void adm_patch_clear(adm_patch_t *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++)
        cJSON_Delete(p->ops[i].parsed);
    p->n = 0;
    rg_buf_clear(&p->json);
    rg_buf_clear(&p->paths);
}

void adm_patch_free(adm_patch_t *p)
{
    if (p == NULL)
        return;
    adm_patch_clear(p);
    rg_free(p->ops);
    rg_buf_release(&p->json);
    rg_buf_release(&p->paths);
    rg_buf_release(&p->path);
    rg_buf_release(&p->value);
    rg_buf_release(&p->literal);
    rg_free(p);
}

void adm_pointer_escape(rg_buf_t *out, const char *segment)
{
    const char *run = segment;
    const char *s = segment;
    rg_buf_reserve(out, strlen(segment));
    for (; *s; s++) {
        if (*s != '~' && *s != '/')
            continue;
        rg_buf_append(out, run, (size_t)(s - run));
        rg_buf_append(out, *s == '~' ? "~0" : "~1", 2);
        run = s + 1;
    }
    rg_buf_append(out, run, (size_t)(s - run));
}

/* Builds the pointer of segments into p->path; ends[k] (when given) is the
 * length of the pointer of the first k segments. */
static int build_pointer(adm_patch_t *p, const char *const *segments, size_t n, size_t *ends)
{
    rg_buf_clear(&p->path);
    rg_buf_reserve(&p->path, 0);
    if (ends)
        ends[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (segments[i] == NULL)
            return RG_ERR_INVAL;
        rg_buf_append_char(&p->path, '/');
        adm_pointer_escape(&p->path, segments[i]);
        if (ends)
            ends[i + 1] = p->path.len;
    }
    return 0;
}

/* Records one operation whose pointer is the first path_len bytes of
 * p->path. */
static void append_op(adm_patch_t *p, adm_patch_opkind_t kind, size_t path_len, size_t nseg,
                      const char *value, size_t value_len)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->ops = rg_realloc(p->ops, p->cap * sizeof(*p->ops));
    }
    patch_op_t *o = &p->ops[p->n++];
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->nseg = nseg;
    o->path_off = p->paths.len;
    o->path_len = path_len;
    rg_buf_append(&p->paths, p->path.data, path_len);
    rg_buf_append_char(&p->paths, '\0');

    rg_buf_t *j = &p->json;
    rg_buf_reserve(j, path_len + value_len + 40);
    if (p->n > 1)
        rg_buf_append_char(j, ',');
    rg_buf_append_str(j, "{\"op\":\"");
    rg_buf_append_str(j, op_names[kind]);
    rg_buf_append_str(j, "\",\"path\":");
    rg_buf_append_json_strn(j, p->path.data, path_len);
    if (kind != ADM_PATCH_REMOVE) {
        rg_buf_append_str(j, ",\"value\":");
        o->val_off = j->len;
        o->val_len = value_len;
        rg_buf_append(j, value, value_len);
    }
    rg_buf_append_char(j, '}');
}

static int add_simple(adm_patch_t *p, adm_patch_opkind_t kind, const char *const *segments,
                      size_t n, const char *json_value)
{
    if (p == NULL || (n > 0 && segments == NULL))
        return RG_ERR_INVAL;
    if (kind != ADM_PATCH_REMOVE && (json_value == NULL || json_value[0] == '\0'))
        return RG_ERR_INVAL;
    int rc = build_pointer(p, segments, n, NULL);
    if (rc < 0)
        return rc;
    const char *v = kind == ADM_PATCH_REMOVE ? "" : json_value;
    append_op(p, kind, p->path.len, n, v, strlen(v));
    return 0;
}

int adm_patch_add(adm_patch_t *p, const char *const *segments, size_t n, const char *json_value)
{
    return add_simple(p, ADM_PATCH_ADD, segments, n, json_value);
}

int adm_patch_replace(adm_patch_t *p, const char *const *segments, size_t n, const char *json_value)
{
    return add_simple(p, ADM_PATCH_REPLACE, segments, n, json_value);
}

int adm_patch_test(adm_patch_t *p, const char *const *segments, size_t n, const char *json_value)
{
    return add_simple(p, ADM_PATCH_TEST, segments, n, json_value);
}

int adm_patch_remove(adm_patch_t *p, const char *const *segments, size_t n)
{
    return add_simple(p, ADM_PATCH_REMOVE, segments, n, NULL);
}

/* What sits at a location of the document as the patch leaves it. */
typedef enum loc_kind {
    LOC_ABSENT,
    LOC_OBJECT,
    LOC_ARRAY,
    LOC_SCALAR, /* string, number, boolean or null */
    LOC_BAD,    /* under an array, a segment that is no usable index */
} loc_kind_t;

static loc_kind_t classify(const cJSON *n)
{
    if (n == NULL)
        return LOC_ABSENT;
    if (cJSON_IsObject(n))
        return LOC_OBJECT;
    if (cJSON_IsArray(n))
        return LOC_ARRAY;
    return LOC_SCALAR;
}

/* Parses a canonical array index ("0", "17"; no sign, no leading zero). */
static bool parse_index(const char *s, size_t *out)
{
    if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
        return false;
    size_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (SIZE_MAX - 9) / 10)
            return false;
        v = v * 10 + (size_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* Follows segments[from..to) down from node. */
static loc_kind_t walk(const cJSON *node, const char *const *segments, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (cJSON_IsObject(node)) {
            node = cJSON_GetObjectItemCaseSensitive(node, segments[i]);
        } else if (cJSON_IsArray(node)) {
            size_t idx, size = (size_t)cJSON_GetArraySize(node);
            if (!parse_index(segments[i], &idx) || idx > size)
                return LOC_BAD;
            node = idx < size ? cJSON_GetArrayItem(node, (int)idx) : NULL;
        } else {
            /* The caller stops at the first absent or scalar parent, so
             * reaching one here means the location does not exist. */
            return LOC_ABSENT;
        }
        if (node == NULL)
            return LOC_ABSENT;
    }
    return classify(node);
}

static loc_kind_t classify_text(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    if (i == len)
        return LOC_SCALAR;
    return s[i] == '{' ? LOC_OBJECT : s[i] == '[' ? LOC_ARRAY : LOC_SCALAR;
}

/*
 * The state of the first k segments' location, whose pointer is the first
 * plen bytes of p->path: the latest operation at that location or above it
 * decides (it replaced everything beneath), else the original document.
 */
static loc_kind_t lookup(adm_patch_t *p, const cJSON *doc, const char *const *segments, size_t k,
                         size_t plen)
{
    const char *q = p->path.data;
    for (size_t i = p->n; i-- > 0;) {
        patch_op_t *o = &p->ops[i];
        if (o->kind == ADM_PATCH_TEST || o->path_len > plen)
            continue;
        if (memcmp(p->paths.data + o->path_off, q, o->path_len) != 0)
            continue;
        if (o->path_len < plen && q[o->path_len] != '/')
            continue;
        /* Removing an array element shifts its siblings; the overlay does
         * not model that, the builder's callers do not remove in arrays. */
        if (o->kind == ADM_PATCH_REMOVE)
            return LOC_ABSENT;
        const char *text = p->json.data + o->val_off;
        if (o->nseg == k)
            return classify_text(text, o->val_len);
        if (!o->parse_tried) {
            o->parse_tried = true;
            o->parsed = rg_json_parse(text, o->val_len, NULL);
        }
        if (o->parsed == NULL)
            return LOC_ABSENT; /* unparsable value: nothing beneath it */
        return walk(o->parsed, segments, o->nseg, k);
    }
    if (doc == NULL)
        return LOC_ABSENT;
    return walk(doc, segments, 0, k);
}

int adm_patch_set(adm_patch_t *p, const cJSON *doc, const char *const *segments, size_t n,
                  const char *json_value)
{
    if (p == NULL || segments == NULL || n == 0 || n > PATCH_MAX_DEPTH || json_value == NULL ||
        json_value[0] == '\0')
        return RG_ERR_INVAL;
    size_t ends[PATCH_MAX_DEPTH + 1];
    int rc = build_pointer(p, segments, n, ends);
    if (rc < 0)
        return rc;
    loc_kind_t root = lookup(p, doc, segments, 0, 0);
    if (root != LOC_OBJECT && root != LOC_ARRAY)
        return RG_ERR_INVAL;
    size_t vlen = strlen(json_value);
    for (size_t k = 1; k <= n; k++) {
        loc_kind_t st = lookup(p, doc, segments, k, ends[k]);
        if (st == LOC_BAD)
            return RG_ERR_INVAL;
        if (k == n) {
            append_op(p, st == LOC_ABSENT ? ADM_PATCH_ADD : ADM_PATCH_REPLACE, ends[k], k,
                      json_value, vlen);
            return 0;
        }
        if (st == LOC_OBJECT || st == LOC_ARRAY)
            continue;
        /* The first missing (or unusable) parent: one operation puts the
         * value there wrapped in the objects the remaining segments name. */
        rg_buf_t *v = &p->value;
        rg_buf_clear(v);
        for (size_t i = k; i < n; i++) {
            rg_buf_append_char(v, '{');
            rg_buf_append_json_str(v, segments[i]);
            rg_buf_append_char(v, ':');
        }
        rg_buf_append(v, json_value, vlen);
        for (size_t i = k; i < n; i++)
            rg_buf_append_char(v, '}');
        append_op(p, st == LOC_ABSENT ? ADM_PATCH_ADD : ADM_PATCH_REPLACE, ends[k], k, v->data,
                  v->len);
        return 0;
    }
    return RG_ERR_INVAL; /* not reached: n >= 1 */
}

int adm_patch_set_string(adm_patch_t *p, const cJSON *doc, const char *const *segments, size_t n,
                         const char *value)
{
    if (p == NULL || value == NULL)
        return RG_ERR_INVAL;
    rg_buf_clear(&p->literal);
    rg_buf_append_json_str(&p->literal, value);
    return adm_patch_set(p, doc, segments, n, p->literal.data);
}

int adm_patch_set_bool(adm_patch_t *p, const cJSON *doc, const char *const *segments, size_t n,
                       bool value)
{
    return adm_patch_set(p, doc, segments, n, value ? "true" : "false");
}

size_t adm_patch_len(const adm_patch_t *p)
{
    return p ? p->n : 0;
}

const char *adm_patch_op_path(const adm_patch_t *p, size_t i)
{
    if (p == NULL || i >= p->n)
        return NULL;
    return p->paths.data + p->ops[i].path_off;
}

const char *adm_patch_op_name(const adm_patch_t *p, size_t i)
{
    if (p == NULL || i >= p->n)
        return NULL;
    return op_names[p->ops[i].kind];
}

adm_patch_opkind_t adm_patch_op_kind(const adm_patch_t *p, size_t i)
{
    if (p == NULL || i >= p->n)
        return ADM_PATCH_TEST;
    return p->ops[i].kind;
}

void adm_patch_append_json(const adm_patch_t *p, rg_buf_t *out)
{
    rg_buf_append_char(out, '[');
    if (p && p->n)
        rg_buf_append(out, p->json.data, p->json.len);
    rg_buf_append_char(out, ']');
}

void adm__patch_append_base64(const adm_patch_t *p, rg_buf_t *out)
{
    adm__b64_t s;
    adm__b64_begin(&s, out);
    adm__b64_feed(&s, "[", 1);
    if (p && p->n)
        adm__b64_feed(&s, p->json.data, p->json.len);
    adm__b64_feed(&s, "]", 1);
    adm__b64_end(&s);
}

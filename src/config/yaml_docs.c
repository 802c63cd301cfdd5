/*
 * YAML (and JSON) manifests to cJSON, typed as kubectl types them, with a
 * pre-order table of node lines so validators can point at the line of a
 * field path. Built from libyaml's event API so that limits (depth, node
 * count, alias expansion) are checked before anything grows.
 */
#include "raygate/config.h"

#include "raygate/alloc.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Defined in config.c: formats a libyaml parser error with file:line:column. */
int cfg__yaml_syntax_error(const yaml_parser_t *p, const char *name, const char *data, size_t len,
                           rg_error_t *err);

const char *cfg_yaml_version(void)
{
    return yaml_get_version_string();
}

/* ------------------------------------------------------------------ */
/* Scalar typing (YAML 1.1 as go-yaml v2 resolves it)                  */
/* ------------------------------------------------------------------ */

static bool in_list(const char *v, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strcmp(v, *list) == 0)
            return true;
    }
    return false;
}

static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                         "True", "TRUE", "on",  "On",  "ON",  NULL};
static const char *const false_words[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                          "False", "FALSE", "off", "Off", "OFF", NULL};
static const char *const nan_inf_words[] = {".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",
                                            ".INF",  "+.inf", "+.Inf", "+.INF", "-.inf",
                                            "-.Inf", "-.INF", NULL};

/*
 * Integer as Go's strconv.ParseInt(s, 0, 64) / ParseUint read it once
 * underscores are gone: optional sign, 0x/0o/0b prefixes, leading-0 octal.
 */
static bool parse_yaml_int(const char *s, double *out)
{
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    unsigned base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    } else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
        base = 8;
        p += 2;
    } else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
        base = 2;
        p += 2;
    } else if (p[0] == '0' && p[1] != '\0') {
        base = 8;
        p += 1;
    }
    if (*p == '\0')
        return false;
    uint64_t v = 0;
    for (; *p != '\0'; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (*p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else if (*p >= 'A' && *p <= 'F')
            d = (unsigned)(*p - 'A' + 10);
        else
            return false;
        if (d >= base)
            return false;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    /* ParseInt takes down to -2^63; ParseUint up to 2^64-1, positive only. */
    if (neg && v > (uint64_t)INT64_MAX + 1)
        return false;
    *out = neg ? -(double)v : (double)v;
    return true;
}

/* go-yaml v2's float shape: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_float_shape(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    } else {
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p == '.') {
            p++;
            while (*p >= '0' && *p <= '9')
                p++;
        }
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

static bool parse_yaml_float(const char *s, double *out)
{
    if (!yaml_float_shape(s))
        return false;
    char *end = NULL;
    double d = strtod(s, &end);
    if (end == NULL || *end != '\0' || isinf(d) || isnan(d))
        return false;
    *out = d;
    return true;
}

/* Numbers as go-yaml v2 tries them: int, then float. Underscores dropped. */
static bool parse_yaml_number(const char *s, size_t len, double *out)
{
    if (len == 0 || len > 256)
        return false;
    char tmp[257];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '_')
            tmp[n++] = s[i];
    }
    tmp[n] = '\0';
    if (n == 0)
        return false;
    return parse_yaml_int(tmp, out) || parse_yaml_float(tmp, out);
}

/* ------------------------------------------------------------------ */
/* The builder                                                         */
/* ------------------------------------------------------------------ */

typedef struct frame {
    cJSON *node;  /* the object or array being filled */
    size_t mark;  /* its index in marks */
    char *anchor; /* owned; registered when the node ends */
    bool is_map;
    char *key; /* owned pending key of a mapping */
    int key_line;
} frame_t;

typedef struct anchor {
    char *name;  /* owned */
    cJSON *node; /* borrowed from the document's tree */
    size_t mark;
} anchor_t;

typedef struct builder {
    const char *name;
    rg_error_t *err;
    frame_t stack[CFG_YAML_MAX_DEPTH];
    size_t depth;
    cJSON *root;
    int start_line;
    cfg_yaml_mark_t *marks;
    size_t n_marks, cap_marks;
    anchor_t *anchors;
    size_t n_anchors, cap_anchors;
    size_t nodes;       /* across the stream */
    size_t alias_nodes; /* across the stream */
} builder_t;

static int ev_line(const yaml_event_t *ev)
{
    return (int)ev->start_mark.line + 1;
}

static void anchors_clear(builder_t *b)
{
    for (size_t i = 0; i < b->n_anchors; i++)
        rg_free(b->anchors[i].name);
    b->n_anchors = 0;
}

/* Drops the document being built (after an error or an empty document). */
static void doc_reset(builder_t *b)
{
    for (size_t i = 0; i < b->depth; i++) {
        rg_free(b->stack[i].anchor);
        rg_free(b->stack[i].key);
    }
    b->depth = 0;
    cJSON_Delete(b->root);
    b->root = NULL;
    b->n_marks = 0;
    anchors_clear(b);
}

static void builder_release(builder_t *b)
{
    doc_reset(b);
    rg_free(b->marks);
    rg_free(b->anchors);
}

static int count_nodes(builder_t *b, size_t n, int line)
{
    if (n > CFG_YAML_MAX_NODES - b->nodes)
        return rg_error_set(b->err, RG_ERR_TOO_BIG, "%s:%d: more than %d nodes", b->name, line,
                            CFG_YAML_MAX_NODES);
    b->nodes += n;
    return RG_OK;
}

static void marks_reserve(builder_t *b, size_t extra)
{
    if (b->n_marks + extra <= b->cap_marks)
        return;
    size_t cap = b->cap_marks ? b->cap_marks : 64;
    while (cap < b->n_marks + extra)
        cap *= 2;
    b->marks = rg_realloc(b->marks, cap * sizeof(*b->marks));
    b->cap_marks = cap;
}

/*
 * Attaches a new node to the open container (or makes it the root) and
 * records its mark; the mark of a mapping member is its key's line.
 * Takes ownership of node. Returns the node's mark index in *mark_out.
 */
static int attach(builder_t *b, cJSON *node, int line, size_t *mark_out)
{
    if (b->depth == 0) {
        if (b->root != NULL) {
            cJSON_Delete(node);
            return rg_error_set(b->err, RG_ERR_PARSE, "%s:%d: more than one root node", b->name,
                                line);
        }
        b->root = node;
    } else {
        frame_t *f = &b->stack[b->depth - 1];
        if (f->is_map) {
            line = f->key_line;
            cJSON_AddItemToObject(f->node, f->key, node);
            rg_free(f->key);
            f->key = NULL;
        } else {
            cJSON_AddItemToArray(f->node, node);
        }
    }
    marks_reserve(b, 1);
    b->marks[b->n_marks].line = line;
    b->marks[b->n_marks].size = 1;
    *mark_out = b->n_marks++;
    return RG_OK;
}

/* Called when the node at mark ends: its subtree size and anchor. */
static void finish(builder_t *b, cJSON *node, size_t mark, char *anchor)
{
    b->marks[mark].size = (uint32_t)(b->n_marks - mark);
    if (anchor == NULL)
        return;
    if (b->n_anchors == b->cap_anchors) {
        b->cap_anchors = b->cap_anchors ? b->cap_anchors * 2 : 16;
        b->anchors = rg_realloc(b->anchors, b->cap_anchors * sizeof(*b->anchors));
    }
    b->anchors[b->n_anchors].name = anchor;
    b->anchors[b->n_anchors].node = node;
    b->anchors[b->n_anchors].mark = mark;
    b->n_anchors++;
}

static bool open_map_wants_key(const builder_t *b)
{
    return b->depth > 0 && b->stack[b->depth - 1].is_map && b->stack[b->depth - 1].key == NULL;
}

static const char *short_tag(const char *tag)
{
    static const char prefix[] = "tag:yaml.org,2002:";
    if (tag != NULL && strncmp(tag, prefix, sizeof(prefix) - 1) == 0)
        return tag + sizeof(prefix) - 1;
    return tag;
}

/* Types a scalar event into a new cJSON node, or fails with err. */
static int scalar_value(builder_t *b, const yaml_event_t *ev, cJSON **out)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    int line = ev_line(ev);
    const char *tag = (const char *)ev->data.scalar.tag;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    const char *st = short_tag(tag);
    double d;

    if (strlen(v) != len)
        return rg_error_set(b->err, RG_ERR_PARSE, "%s:%d: NUL characters are not supported",
                            b->name, line);

    if (tag == NULL && !plain) {
        *out = cJSON_CreateString(v);
        return RG_OK;
    }
    if (tag == NULL) {
        /* Implicit resolution of an unquoted scalar. */
        if (in_list(v, null_words))
            *out = cJSON_CreateNull();
        else if (in_list(v, true_words))
            *out = cJSON_CreateTrue();
        else if (in_list(v, false_words))
            *out = cJSON_CreateFalse();
        else if (in_list(v, nan_inf_words))
            return rg_error_set(b->err, RG_ERR_PARSE, "%s:%d: %s cannot be represented in JSON",
                                b->name, line, v);
        else if (parse_yaml_number(v, len, &d))
            *out = cJSON_CreateNumber(d);
        else
            *out = cJSON_CreateString(v);
        return RG_OK;
    }
    if (strcmp(st, "int") == 0) {
        char tmp[257];
        size_t n = 0;
        for (size_t i = 0; i < len && n < sizeof(tmp) - 1; i++) {
            if (v[i] != '_')
                tmp[n++] = v[i];
        }
        tmp[n] = '\0';
        if (len >= sizeof(tmp) || !parse_yaml_int(tmp, &d))
            return rg_error_set(b->err, RG_ERR_PARSE, "%s:%d: cannot decode \"%.64s\" as !!int",
                                b->name, line, v);
        *out = cJSON_CreateNumber(d);
    } else if (strcmp(st, "float") == 0) {
        if (!parse_yaml_number(v, len, &d))
            return rg_error_set(b->err, RG_ERR_PARSE, "%s:%d: cannot decode \"%.64s\" as !!float",
                                b->name, line, v);
        *out = cJSON_CreateNumber(d);
    } else if (strcmp(st, "bool") == 0) {
        if (in_list(v, true_words))
            *out = cJSON_CreateTrue();
        else if (in_list(v, false_words))
            *out = cJSON_CreateFalse();
        else
            return rg_error_set(b->err, RG_ERR_PARSE, "%s:%d: cannot decode \"%.64s\" as !!bool",
                                b->name, line, v);
    } else if (strcmp(st, "null") == 0) {
        *out = cJSON_CreateNull();
    } else if (strcmp(st, "binary") == 0 || strcmp(st, "map") == 0 || strcmp(st, "seq") == 0) {
        return rg_error_set(b->err, RG_ERR_PARSE, "%s:%d: tag !!%s is not supported here", b->name,
                            line, st);
    } else {
        /* !!str, !!timestamp, the non-specific "!" and unknown tags: a string,
         * as go-yaml v2 gives when decoding into an untyped value. */
        *out = cJSON_CreateString(v);
    }
    return RG_OK;
}

static int on_scalar(builder_t *b, const yaml_event_t *ev)
{
    int line = ev_line(ev);
    if (open_map_wants_key(b)) {
        frame_t *f = &b->stack[b->depth - 1];
        const char *k = (const char *)ev->data.scalar.value;
        if (strlen(k) != ev->data.scalar.length)
            return rg_error_set(b->err, RG_ERR_PARSE, "%s:%d: NUL characters are not supported",
                                b->name, line);
        /* go-yaml v2 would merge here; silently keeping "<<" as a key would
         * produce a different object than kubectl, so refuse it. */
        if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.tag == NULL &&
            strcmp(k, "<<") == 0)
            return rg_error_set(b->err, RG_ERR_PARSE, "%s:%d: merge keys (<<) are not supported",
                                b->name, line);
        f->key = rg_strdup(k);
        f->key_line = line;
        return RG_OK;
    }
    int rc = count_nodes(b, 1, line);
    if (rc != RG_OK)
        return rc;
    cJSON *node = NULL;
    rc = scalar_value(b, ev, &node);
    if (rc != RG_OK)
        return rc;
    size_t mark;
    rc = attach(b, node, line, &mark);
    if (rc != RG_OK)
        return rc;
    const char *anchor = (const char *)ev->data.scalar.anchor;
    finish(b, node, mark, anchor ? rg_strdup(anchor) : NULL);
    return RG_OK;
}

static int on_start(builder_t *b, const yaml_event_t *ev, bool is_map)
{
    int line = ev_line(ev);
    if (open_map_wants_key(b))
        return rg_error_set(b->err, RG_ERR_PARSE, "%s:%d: mapping keys must be scalars", b->name,
                            line);
    if (b->depth >= CFG_YAML_MAX_DEPTH)
        return rg_error_set(b->err, RG_ERR_TOO_BIG, "%s:%d: nesting deeper than %d levels", b->name,
                            line, CFG_YAML_MAX_DEPTH);
    int rc = count_nodes(b, 1, line);
    if (rc != RG_OK)
        return rc;
    cJSON *node = is_map ? cJSON_CreateObject() : cJSON_CreateArray();
    size_t mark;
    rc = attach(b, node, line, &mark);
    if (rc != RG_OK)
        return rc;
    const yaml_char_t *anchor =
        is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    frame_t *f = &b->stack[b->depth++];
    memset(f, 0, sizeof(*f));
    f->node = node;
    f->mark = mark;
    f->is_map = is_map;
    f->anchor = anchor ? rg_strdup((const char *)anchor) : NULL;
    return RG_OK;
}

typedef struct keyed {
    const char *key;
    int line;
    size_t pos;
} keyed_t;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c != 0)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Refuses a mapping that repeats a key, naming both lines. */
static int check_duplicates(builder_t *b, const frame_t *f)
{
    size_t n = 0;
    for (const cJSON *c = f->node->child; c != NULL; c = c->next)
        n++;
    if (n < 2)
        return RG_OK;
    keyed_t *ks = rg_malloc(n * sizeof(*ks));
    size_t j = f->mark + 1, i = 0;
    for (const cJSON *c = f->node->child; c != NULL; c = c->next, i++) {
        ks[i].key = c->string;
        ks[i].line = b->marks[j].line;
        ks[i].pos = i;
        j += b->marks[j].size;
    }
    /* Sorting keeps this O(n log n) for the huge mappings an attacker sends. */
    qsort(ks, n, sizeof(*ks), keyed_cmp);
    int rc = RG_OK;
    for (i = 1; i < n; i++) {
        if (strcmp(ks[i - 1].key, ks[i].key) == 0) {
            rc = rg_error_set(b->err, RG_ERR_PARSE,
                              "%s:%d: duplicate key \"%.128s\" (first at line %d)", b->name,
                              ks[i].line, ks[i].key, ks[i - 1].line);
            break;
        }
    }
    rg_free(ks);
    return rc;
}

static int on_end(builder_t *b)
{
    frame_t *f = &b->stack[b->depth - 1];
    int rc = f->is_map ? check_duplicates(b, f) : RG_OK;
    if (rc != RG_OK)
        return rc;
    finish(b, f->node, f->mark, f->anchor);
    f->anchor = NULL;
    b->depth--;
    return RG_OK;
}

static int on_alias(builder_t *b, const yaml_event_t *ev)
{
    int line = ev_line(ev);
    const char *name = (const char *)ev->data.alias.anchor;
    if (open_map_wants_key(b))
        return rg_error_set(b->err, RG_ERR_PARSE,
                            "%s:%d: aliases as mapping keys are not "
                            "supported",
                            b->name, line);
    const anchor_t *a = NULL;
    for (size_t i = b->n_anchors; i-- > 0;) {
        if (strcmp(b->anchors[i].name, name) == 0) {
            a = &b->anchors[i];
            break;
        }
    }
    if (a == NULL)
        return rg_error_set(b->err, RG_ERR_PARSE, "%s:%d: unknown anchor \"%.128s\"", b->name, line,
                            name);
    size_t size = b->marks[a->mark].size;
    if (size > CFG_YAML_MAX_ALIAS_NODES - b->alias_nodes)
        return rg_error_set(b->err, RG_ERR_TOO_BIG, "%s:%d: aliases expand to more than %d nodes",
                            b->name, line, CFG_YAML_MAX_ALIAS_NODES);
    b->alias_nodes += size;
    int rc = count_nodes(b, size, line);
    if (rc != RG_OK)
        return rc;
    size_t src = a->mark;
    cJSON *copy = cJSON_Duplicate(a->node, 1);
    size_t mark;
    rc = attach(b, copy, line, &mark);
    if (rc != RG_OK)
        return rc;
    /* attach() recorded the copy's root; its descendants keep the
     * original's lines. Reserve first: the source lives in the same array. */
    marks_reserve(b, size - 1);
    memcpy(&b->marks[b->n_marks], &b->marks[src + 1], (size - 1) * sizeof(*b->marks));
    b->n_marks += size - 1;
    b->marks[mark].size = (uint32_t)size;
    return RG_OK;
}

/* Moves a finished, non-null document into out. */
static void doc_commit(builder_t *b, cfg_yaml_docs_t *out)
{
    if (b->root == NULL || cJSON_IsNull(b->root)) {
        doc_reset(b);
        return;
    }
    out->items = rg_realloc(out->items, (out->count + 1) * sizeof(*out->items));
    cfg_yaml_doc_t *d = &out->items[out->count++];
    d->root = b->root;
    d->start_line = b->start_line;
    d->n_marks = b->n_marks;
    d->marks = rg_malloc(b->n_marks * sizeof(*d->marks));
    memcpy(d->marks, b->marks, b->n_marks * sizeof(*d->marks));
    b->root = NULL;
    b->n_marks = 0;
    anchors_clear(b);
}

int cfg_yaml_docs_parse(const char *data, size_t len, const char *name, cfg_yaml_docs_t *out,
                        rg_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (name == NULL)
        name = "(yaml)";
    out->name = rg_strdup(name);
    if (len == 0)
        return RG_OK;

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        cfg_yaml_docs_release(out);
        return rg_error_set(err, RG_ERR_NOMEM, "%s: cannot initialize the YAML parser", name);
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);

    builder_t b;
    memset(&b, 0, sizeof(b));
    b.name = name;
    b.err = err;
    int rc = RG_OK;
    bool done = false;
    while (!done && rc == RG_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = cfg__yaml_syntax_error(&parser, name, data, len, err);
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_DOCUMENT_START_EVENT:
            doc_reset(&b);
            b.start_line = ev_line(&ev);
            break;
        case YAML_DOCUMENT_END_EVENT: doc_commit(&b, out); break;
        case YAML_SCALAR_EVENT: rc = on_scalar(&b, &ev); break;
        case YAML_SEQUENCE_START_EVENT: rc = on_start(&b, &ev, false); break;
        case YAML_MAPPING_START_EVENT: rc = on_start(&b, &ev, true); break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: rc = on_end(&b); break;
        case YAML_ALIAS_EVENT: rc = on_alias(&b, &ev); break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    builder_release(&b);
    yaml_parser_delete(&parser);
    if (rc != RG_OK)
        cfg_yaml_docs_release(out);
    return rc;
}

int cfg_yaml_docs_load_file(const char *path, size_t max_bytes, cfg_yaml_docs_t *out,
                            rg_error_t *err)
{
    char *data = NULL;
    size_t len = 0;
    memset(out, 0, sizeof(*out));
    int rc = cfg_file_read(path, max_bytes, &data, &len, err);
    if (rc != RG_OK)
        return rc;
    rc = cfg_yaml_docs_parse(data, len, path, out, err);
    rg_free(data);
    return rc;
}

void cfg_yaml_docs_release(cfg_yaml_docs_t *docs)
{
    if (docs == NULL)
        return;
    for (size_t i = 0; i < docs->count; i++) {
        cJSON_Delete(docs->items[i].root);
        rg_free(docs->items[i].marks);
    }
    rg_free(docs->items);
    rg_free(docs->name);
    memset(docs, 0, sizeof(*docs));
}

/* ------------------------------------------------------------------ */
/* Field-path lookup                                                   */
/* ------------------------------------------------------------------ */

/* Finds the child of node (mark index mi) named by seg; returns its mark
 * index and sets *child, or returns SIZE_MAX. */
static size_t child_find(const cfg_yaml_doc_t *doc, const cJSON *node, size_t mi, const char *seg,
                         size_t seglen, bool bracket, const cJSON **child)
{
    bool all_digits = seglen > 0 && seglen <= 9;
    for (size_t i = 0; i < seglen && all_digits; i++)
        all_digits = seg[i] >= '0' && seg[i] <= '9';
    size_t want = 0;
    if (cJSON_IsArray(node)) {
        if (!bracket || !all_digits)
            return SIZE_MAX;
        want = (size_t)strtoul(seg, NULL, 10);
    } else if (!cJSON_IsObject(node)) {
        return SIZE_MAX;
    }
    size_t j = mi + 1, i = 0;
    for (const cJSON *c = node->child; c != NULL && j < doc->n_marks; c = c->next, i++) {
        bool hit = cJSON_IsArray(node)
                       ? i == want
                       : (strlen(c->string) == seglen && memcmp(c->string, seg, seglen) == 0);
        if (hit) {
            *child = c;
            return j;
        }
        j += doc->marks[j].size;
    }
    return SIZE_MAX;
}

int cfg_yaml_doc_line(const cfg_yaml_doc_t *doc, const char *field_path)
{
    if (doc == NULL)
        return 0;
    int best = doc->start_line;
    if (doc->root == NULL || doc->n_marks == 0 || field_path == NULL)
        return best;
    const cJSON *node = doc->root;
    size_t mi = 0;
    const char *p = field_path;
    while (*p != '\0') {
        const char *seg;
        size_t seglen;
        bool bracket = *p == '[';
        if (bracket) {
            const char *close = strchr(p, ']');
            if (close == NULL)
                return best;
            seg = p + 1;
            seglen = (size_t)(close - seg);
            p = close + 1;
        } else {
            seg = p;
            seglen = strcspn(p, ".[");
            if (seglen == 0)
                return best;
            p += seglen;
        }
        const cJSON *child = NULL;
        size_t j = child_find(doc, node, mi, seg, seglen, bracket, &child);
        if (j == SIZE_MAX)
            return best;
        node = child;
        mi = j;
        best = doc->marks[j].line;
        if (*p == '.')
            p++;
        else if (*p != '[' && *p != '\0')
            return best;
    }
    return best;
}

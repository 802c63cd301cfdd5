/*
 * ExtenderArgs, ExtenderBindingArgs and ExtenderPreemptionArgs read with
 * the lean scanner; the four answers written by hand (a kept Node's bytes
 * are copied, never re-printed).
 */
#include "ext_codec.h"

#include "ext_scan.h"

#include "raygate/alloc.h"

#include <string.h>

/* A growing array in the arena (doubling; the old block stays until the request ends). */
static void *grow(rg_arena_t *a, void *arr, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t nc = *cap ? *cap * 2 : 16;
    void *na = rg_arena_alloc(a, nc * elem);
    if (n)
        memcpy(na, arr, n * elem);
    *cap = nc;
    return na;
}

static int truncated(ext_scan_t *s)
{
    return rg_error_set(s->err, RG_ERR_PARSE, "malformed JSON at byte %zu: unexpected end of input",
                        ext__scan_offset(s));
}

/* Records the span of the next value (an object or null) and skips it. */
static int object_span(ext_scan_t *s, const char *what, const char **start, size_t *len)
{
    *start = NULL;
    *len = 0;
    if (ext__scan_null(s))
        return RG_OK;
    if (ext__scan_peek(s) == 0)
        return truncated(s);
    if (ext__scan_peek(s) != '{')
        return rg_error_set(s->err, RG_ERR_TYPE, "%s: Invalid value: must be an object (byte %zu)",
                            what, ext__scan_offset(s));
    const char *p = s->p;
    int rc = ext__scan_skip(s);
    if (rc == RG_OK) {
        *start = p;
        *len = (size_t)(s->p - p);
    }
    return rc;
}

/* A string member's decoded text, or "" for null. */
static int string_value(ext_scan_t *s, rg_arena_t *a, const char *what, const char **out)
{
    *out = "";
    if (ext__scan_null(s))
        return RG_OK;
    if (ext__scan_peek(s) == 0)
        return truncated(s);
    if (ext__scan_peek(s) != '"')
        return rg_error_set(s->err, RG_ERR_TYPE, "%s: Invalid value: must be a string (byte %zu)",
                            what, ext__scan_offset(s));
    ext_str_t v;
    int rc = ext__scan_string(s, &v);
    if (rc == RG_OK)
        *out = ext__str_text(&v, a);
    return rc;
}

/* An object's metadata.<field> string (NULL when absent); everything else skipped. */
static int object_meta_field(ext_scan_t *s, rg_arena_t *a, const char *field, const char **out)
{
    *out = NULL;
    int rc = ext__scan_obj_begin(s);
    bool first = true;
    ext_str_t k;
    while (rc == RG_OK && (rc = ext__scan_obj_key(s, &first, &k)) == 1) {
        rc = RG_OK;
        if (!ext__str_is(&k, "metadata")) {
            rc = ext__scan_skip(s);
            continue;
        }
        if (ext__scan_null(s))
            continue;
        rc = ext__scan_obj_begin(s);
        bool mfirst = true;
        ext_str_t mk;
        while (rc == RG_OK && (rc = ext__scan_obj_key(s, &mfirst, &mk)) == 1) {
            rc = RG_OK;
            if (ext__str_is(&mk, field))
                rc = string_value(s, a, field, out);
            else
                rc = ext__scan_skip(s);
        }
    }
    return rc < 0 ? rc : RG_OK;
}

static int node_list(ext_scan_t *s, size_t max_nodes, rg_arena_t *a, ext_args_t *out)
{
    const char *start = s->p;
    int rc = ext__scan_obj_begin(s);
    bool first = true;
    ext_str_t k;
    size_t cap = 0;
    while (rc == RG_OK && (rc = ext__scan_obj_key(s, &first, &k)) == 1) {
        rc = RG_OK;
        if (!ext__str_is(&k, "items")) {
            rc = ext__scan_skip(s);
            continue;
        }
        if (ext__scan_null(s))
            continue;
        rc = ext__scan_arr_begin(s);
        bool afirst = true;
        while (rc == RG_OK && (rc = ext__scan_arr_next(s, &afirst)) == 1) {
            rc = RG_OK;
            if (out->n_nodes >= max_nodes)
                return rg_error_set(s->err, RG_ERR_TOO_BIG, "Nodes.items: Too many: more than "
                                    "%zu nodes", max_nodes);
            out->nodes = grow(a, out->nodes, out->n_nodes, &cap, sizeof(*out->nodes));
            ext_node_ref_t *n = &out->nodes[out->n_nodes];
            ext__scan_peek(s);
            n->json = s->p;
            rc = object_meta_field(s, a, "name", &n->name);
            n->len = (size_t)(s->p - n->json);
            out->n_nodes++;
        }
    }
    if (rc < 0)
        return rc;
    out->nodes_json = start;
    out->nodes_len = (size_t)(s->p - start);
    return RG_OK;
}

static int name_list(ext_scan_t *s, size_t max_nodes, rg_arena_t *a, const char ***names,
                     size_t *n)
{
    int rc = ext__scan_arr_begin(s);
    bool first = true;
    size_t cap = 0;
    while (rc == RG_OK && (rc = ext__scan_arr_next(s, &first)) == 1) {
        rc = RG_OK;
        if (*n >= max_nodes)
            return rg_error_set(s->err, RG_ERR_TOO_BIG, "NodeNames: Too many: more than %zu "
                                "nodes", max_nodes);
        *names = grow(a, *names, *n, &cap, sizeof(**names));
        const char *name;
        rc = string_value(s, a, "NodeNames[]", &name);
        (*names)[(*n)++] = name;
    }
    return rc < 0 ? rc : RG_OK;
}

int ext__args_decode(const char *body, size_t len, size_t max_nodes, rg_arena_t *arena,
                     ext_args_t *out, rg_error_t *err)
{
    memset(out, 0, sizeof(*out));
    ext_scan_t s;
    ext__scan_init(&s, body, len, err);
    int rc = ext__scan_obj_begin(&s);
    bool first = true;
    ext_str_t k;
    while (rc == RG_OK && (rc = ext__scan_obj_key(&s, &first, &k)) == 1) {
        rc = RG_OK;
        if (ext__str_is(&k, "Pod")) {
            rc = object_span(&s, "Pod", &out->pod, &out->pod_len);
        } else if (ext__str_is(&k, "Nodes")) {
            out->has_nodes = !ext__scan_null(&s);
            out->n_nodes = 0;
            if (out->has_nodes)
                rc = node_list(&s, max_nodes, arena, out);
        } else if (ext__str_is(&k, "NodeNames")) {
            out->has_names = !ext__scan_null(&s);
            out->n_names = 0;
            if (out->has_names)
                rc = name_list(&s, max_nodes, arena, &out->names, &out->n_names);
        } else {
            rc = ext__scan_skip(&s);
        }
    }
    return rc < 0 ? rc : ext__scan_end(&s);
}

int ext__bind_args_decode(const char *body, size_t len, rg_arena_t *arena, ext_bind_args_t *out,
                          rg_error_t *err)
{
    *out = (ext_bind_args_t){"", "", "", ""};
    ext_scan_t s;
    ext__scan_init(&s, body, len, err);
    int rc = ext__scan_obj_begin(&s);
    bool first = true;
    ext_str_t k;
    while (rc == RG_OK && (rc = ext__scan_obj_key(&s, &first, &k)) == 1) {
        rc = RG_OK;
        if (ext__str_is(&k, "PodName"))
            rc = string_value(&s, arena, "PodName", &out->pod_name);
        else if (ext__str_is(&k, "PodNamespace"))
            rc = string_value(&s, arena, "PodNamespace", &out->pod_namespace);
        else if (ext__str_is(&k, "PodUID"))
            rc = string_value(&s, arena, "PodUID", &out->pod_uid);
        else if (ext__str_is(&k, "Node"))
            rc = string_value(&s, arena, "Node", &out->node);
        else
            rc = ext__scan_skip(&s);
    }
    return rc < 0 ? rc : ext__scan_end(&s);
}

/* Victims or MetaVictims: {"Pods":[...],"NumPDBViolations":n}. */
static int victims(ext_scan_t *s, rg_arena_t *a, bool meta, ext_victims_t *v)
{
    v->pdb = "0";
    v->pdb_len = 1;
    if (ext__scan_null(s))
        return RG_OK;
    int rc = ext__scan_obj_begin(s);
    bool first = true;
    ext_str_t k;
    size_t cap = 0;
    while (rc == RG_OK && (rc = ext__scan_obj_key(s, &first, &k)) == 1) {
        rc = RG_OK;
        if (ext__str_is(&k, "NumPDBViolations")) {
            if (ext__scan_null(s))
                continue;
            char c = ext__scan_peek(s);
            const char *p = s->p;
            if (c != '-' && (c < '0' || c > '9'))
                return rg_error_set(s->err, RG_ERR_TYPE, "NumPDBViolations: Invalid value: must "
                                    "be an integer (byte %zu)", ext__scan_offset(s));
            rc = ext__scan_skip(s);
            v->pdb = p;
            v->pdb_len = (size_t)(s->p - p);
            continue;
        }
        if (!ext__str_is(&k, "Pods")) {
            rc = ext__scan_skip(s);
            continue;
        }
        if (ext__scan_null(s))
            continue;
        rc = ext__scan_arr_begin(s);
        bool afirst = true;
        while (rc == RG_OK && (rc = ext__scan_arr_next(s, &afirst)) == 1) {
            rc = RG_OK;
            const char *uid = NULL;
            if (ext__scan_null(s))
                continue;
            if (meta) {
                rc = ext__scan_obj_begin(s);
                bool mfirst = true;
                ext_str_t mk;
                while (rc == RG_OK && (rc = ext__scan_obj_key(s, &mfirst, &mk)) == 1)
                    rc = ext__str_is(&mk, "UID") ? string_value(s, a, "UID", &uid)
                                                 : ext__scan_skip(s);
                if (rc == 0)
                    rc = RG_OK;
            } else {
                rc = object_meta_field(s, a, "uid", &uid);
            }
            if (rc == RG_OK && uid) {
                v->uids = grow(a, v->uids, v->n_uids, &cap, sizeof(*v->uids));
                v->uids[v->n_uids++] = uid;
            }
        }
    }
    return rc < 0 ? rc : RG_OK;
}

static int victims_map(ext_scan_t *s, size_t max_nodes, rg_arena_t *a, bool meta,
                       ext_victims_t **out, size_t *n)
{
    *n = 0;
    if (ext__scan_null(s))
        return RG_OK;
    int rc = ext__scan_obj_begin(s);
    bool first = true;
    ext_str_t k;
    size_t cap = 0;
    while (rc == RG_OK && (rc = ext__scan_obj_key(s, &first, &k)) == 1) {
        rc = RG_OK;
        if (*n >= max_nodes)
            return rg_error_set(s->err, RG_ERR_TOO_BIG, "%s: Too many: more than %zu nodes",
                                meta ? "NodeNameToMetaVictims" : "NodeNameToVictims", max_nodes);
        *out = grow(a, *out, *n, &cap, sizeof(**out));
        ext_victims_t *v = &(*out)[(*n)++];
        memset(v, 0, sizeof(*v));
        v->node = ext__str_text(&k, a); /* a map key: exact, never folded */
        rc = victims(s, a, meta, v);
    }
    return rc < 0 ? rc : RG_OK;
}

int ext__preempt_args_decode(const char *body, size_t len, size_t max_nodes, rg_arena_t *arena,
                             ext_preempt_args_t *out, rg_error_t *err)
{
    memset(out, 0, sizeof(*out));
    ext_victims_t *full = NULL, *meta = NULL;
    size_t n_full = 0, n_meta = 0;
    bool has_meta = false;
    ext_scan_t s;
    ext__scan_init(&s, body, len, err);
    int rc = ext__scan_obj_begin(&s);
    bool first = true;
    ext_str_t k;
    while (rc == RG_OK && (rc = ext__scan_obj_key(&s, &first, &k)) == 1) {
        rc = RG_OK;
        if (ext__str_is(&k, "Pod")) {
            rc = object_span(&s, "Pod", &out->pod, &out->pod_len);
        } else if (ext__str_is(&k, "NodeNameToMetaVictims")) {
            has_meta = ext__scan_peek(&s) != 'n';
            rc = victims_map(&s, max_nodes, arena, true, &meta, &n_meta);
        } else if (ext__str_is(&k, "NodeNameToVictims")) {
            rc = victims_map(&s, max_nodes, arena, false, &full, &n_full);
        } else {
            rc = ext__scan_skip(&s);
        }
    }
    if (rc < 0)
        return rc;
    /* kube-scheduler sends one of the two: the meta form when nodeCacheCapable. */
    out->nodes = has_meta ? meta : full;
    out->n_nodes = has_meta ? n_meta : n_full;
    return ext__scan_end(&s);
}

/* ---- Answers ---- */

static void failed_map(rg_buf_t *b, const char *key, const ext_failed_t *f, size_t n,
                       bool unresolvable)
{
    rg_buf_append_str(b, key);
    rg_buf_append_char(b, '{');
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (f[i].unresolvable != unresolvable)
            continue;
        if (!first)
            rg_buf_append_char(b, ',');
        first = false;
        rg_buf_append_json_str(b, f[i].node);
        rg_buf_append_char(b, ':');
        rg_buf_append_json_str(b, f[i].reason);
    }
    rg_buf_append_char(b, '}');
}

void ext__filter_result_encode(rg_buf_t *b, const ext_args_t *args, const bool *keep,
                               const ext_failed_t *failed, size_t n_failed)
{
    if (args->has_nodes) {
        size_t bytes = 64;
        for (size_t i = 0; i < args->n_nodes; i++)
            bytes += keep == NULL || keep[i] ? args->nodes[i].len + 1 : 0;
        rg_buf_reserve(b, bytes + 256 * n_failed);
        if (keep == NULL) {
            rg_buf_append_str(b, "{\"Nodes\":");
            rg_buf_append(b, args->nodes_json, args->nodes_len);
        } else {
            rg_buf_append_str(b, "{\"Nodes\":{\"metadata\":{},\"items\":[");
            bool first = true;
            for (size_t i = 0; i < args->n_nodes; i++) {
                if (!keep[i])
                    continue;
                if (!first)
                    rg_buf_append_char(b, ',');
                first = false;
                rg_buf_append(b, args->nodes[i].json, args->nodes[i].len);
            }
            rg_buf_append_str(b, "]}");
        }
        rg_buf_append_str(b, ",\"NodeNames\":null,");
    } else {
        rg_buf_append_str(b, "{\"Nodes\":null,\"NodeNames\":[");
        bool first = true;
        for (size_t i = 0; i < args->n_names; i++) {
            if (keep && !keep[i])
                continue;
            if (!first)
                rg_buf_append_char(b, ',');
            first = false;
            rg_buf_append_json_str(b, args->names[i]);
        }
        rg_buf_append_str(b, "],");
    }
    failed_map(b, "\"FailedNodes\":", failed, n_failed, false);
    failed_map(b, ",\"FailedAndUnresolvableNodes\":", failed, n_failed, true);
    rg_buf_append_str(b, ",\"Error\":\"\"}");
}

void ext__filter_error_encode(rg_buf_t *b, const char *error)
{
    rg_buf_append_str(b, "{\"Nodes\":null,\"NodeNames\":null,\"FailedNodes\":null,"
                         "\"FailedAndUnresolvableNodes\":null,\"Error\":");
    rg_buf_append_json_str(b, error);
    rg_buf_append_char(b, '}');
}

void ext__priorities_encode(rg_buf_t *b, const char *const *hosts, const int *scores, size_t n)
{
    rg_buf_reserve(b, n * 48 + 2);
    rg_buf_append_char(b, '[');
    for (size_t i = 0; i < n; i++) {
        rg_buf_append_str(b, i ? ",{\"Host\":" : "{\"Host\":");
        rg_buf_append_json_str(b, hosts[i] ? hosts[i] : "");
        /* Scores are 0..10: no printf in a loop over thousands of nodes. */
        int sc = scores ? scores[i] : 0;
        sc = sc < 0 ? 0 : sc > 10 ? 10 : sc;
        char tail[16] = ",\"Score\":";
        size_t t = 9;
        if (sc == 10)
            tail[t++] = '1', tail[t++] = '0';
        else
            tail[t++] = (char)('0' + sc);
        tail[t++] = '}';
        rg_buf_append(b, tail, t);
    }
    rg_buf_append_char(b, ']');
}

void ext__bind_result_encode(rg_buf_t *b, const char *error)
{
    rg_buf_append_str(b, "{\"Error\":");
    rg_buf_append_json_str(b, error ? error : "");
    rg_buf_append_char(b, '}');
}

void ext__preempt_result_encode(rg_buf_t *b, const ext_preempt_args_t *args, const bool *keep)
{
    rg_buf_append_str(b, "{\"NodeNameToMetaVictims\":{");
    bool first = true;
    for (size_t i = 0; i < args->n_nodes; i++) {
        const ext_victims_t *v = &args->nodes[i];
        if (!keep[i])
            continue;
        if (!first)
            rg_buf_append_char(b, ',');
        first = false;
        rg_buf_append_json_str(b, v->node);
        rg_buf_append_str(b, ":{\"Pods\":[");
        for (size_t u = 0; u < v->n_uids; u++) {
            rg_buf_append_str(b, u ? ",{\"UID\":" : "{\"UID\":");
            rg_buf_append_json_str(b, v->uids[u]);
            rg_buf_append_char(b, '}');
        }
        rg_buf_append_str(b, "],\"NumPDBViolations\":");
        rg_buf_append(b, v->pdb, v->pdb_len);
        rg_buf_append_char(b, '}');
    }
    rg_buf_append_str(b, "}}");
}

/*
 * What a pod template demands of a node besides capacity, decided as
 * kube-scheduler's NodeAffinity, TaintToleration and NodeUnschedulable
 * plugins decide it, with reasons a person can act on.
 */
#include "raygate/gang.h"

#include "raygate/alloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum op { OP_IN, OP_NOT_IN, OP_EXISTS, OP_NOT_EXISTS, OP_GT, OP_LT } op_t;

typedef struct expr {
    char *key;
    op_t op;
    char **values;
    size_t n_values;
} expr_t;

typedef struct term {
    expr_t *exprs; /* matchExpressions on labels */
    size_t n_exprs;
    expr_t *fields; /* matchFields: metadata.name only */
    size_t n_fields;
} term_t;

typedef struct tol {
    char *key;    /* "" matches every key (with Exists) */
    bool exists;  /* operator Exists, else Equal */
    char *value;
    char *effect; /* "" matches every effect */
} tol_t;

struct gang_cons {
    char **sel_keys, **sel_vals;
    size_t n_sel;
    bool has_affinity; /* required terms given: a node must match one */
    term_t *terms;
    size_t n_terms;
    tol_t *tols;
    size_t n_tols;
};

/* Bounds against absurd input (the API server's own limits are tighter). */
#define MAX_ITEMS 1024

static void expr_release(expr_t *e)
{
    rg_free(e->key);
    for (size_t i = 0; i < e->n_values; i++)
        rg_free(e->values[i]);
    rg_free(e->values);
}

void gang_cons_free(gang_cons_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_sel; i++) {
        rg_free(c->sel_keys[i]);
        rg_free(c->sel_vals[i]);
    }
    rg_free(c->sel_keys);
    rg_free(c->sel_vals);
    for (size_t t = 0; t < c->n_terms; t++) {
        for (size_t i = 0; i < c->terms[t].n_exprs; i++)
            expr_release(&c->terms[t].exprs[i]);
        for (size_t i = 0; i < c->terms[t].n_fields; i++)
            expr_release(&c->terms[t].fields[i]);
        rg_free(c->terms[t].exprs);
        rg_free(c->terms[t].fields);
    }
    rg_free(c->terms);
    for (size_t i = 0; i < c->n_tols; i++) {
        rg_free(c->tols[i].key);
        rg_free(c->tols[i].value);
        rg_free(c->tols[i].effect);
    }
    rg_free(c->tols);
    rg_free(c);
}

int gang_cons_add_selector(gang_cons_t *c, const cJSON *labels, rg_error_t *err)
{
    if (labels == NULL || cJSON_IsNull(labels))
        return RG_OK;
    if (!cJSON_IsObject(labels))
        return rg_error_set(err, RG_ERR_TYPE, "nodeSelector: Invalid value: \"%s\": must be an "
                            "object", rg_json_type_name(labels));
    size_t n = (size_t)cJSON_GetArraySize(labels);
    if (n > MAX_ITEMS)
        return rg_error_set(err, RG_ERR_RANGE, "nodeSelector: Too many: %zu: must have at most "
                            "%d items", n, MAX_ITEMS);
    c->sel_keys = rg_realloc(c->sel_keys, (c->n_sel + n) * sizeof(char *));
    c->sel_vals = rg_realloc(c->sel_vals, (c->n_sel + n) * sizeof(char *));
    const cJSON *it;
    cJSON_ArrayForEach(it, labels)
    {
        if (!cJSON_IsString(it))
            return rg_error_set(err, RG_ERR_TYPE, "nodeSelector[%s]: Invalid value: \"%s\": must "
                                "be a string", it->string, rg_json_type_name(it));
        c->sel_keys[c->n_sel] = rg_strdup(it->string);
        c->sel_vals[c->n_sel++] = rg_strdup(it->valuestring);
    }
    return RG_OK;
}

static int parse_op(const char *s, op_t *op)
{
    static const struct {
        const char *name;
        op_t op;
    } ops[] = {{"In", OP_IN},       {"NotIn", OP_NOT_IN}, {"Exists", OP_EXISTS},
               {"DoesNotExist", OP_NOT_EXISTS}, {"Gt", OP_GT}, {"Lt", OP_LT}};
    for (size_t i = 0; s && i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(s, ops[i].name) == 0) {
            *op = ops[i].op;
            return 0;
        }
    return -1;
}

static int parse_exprs(const cJSON *list, const char *path, expr_t **out, size_t *n_out,
                       rg_error_t *err)
{
    if (list == NULL || cJSON_IsNull(list))
        return RG_OK;
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > MAX_ITEMS)
        return rg_error_set(err, RG_ERR_TYPE, "%s: Invalid value: must be an array of at most %d "
                            "requirements", path, MAX_ITEMS);
    *out = rg_calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(expr_t));
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        expr_t *x = &(*out)[*n_out];
        const char *key = rg_json_get_string(e, "key");
        const char *op = rg_json_get_string(e, "operator");
        if (key == NULL || parse_op(op, &x->op) < 0)
            return rg_error_set(err, RG_ERR_PARSE, "%s[%zu]: Invalid value: needs a key and an "
                                "operator In, NotIn, Exists, DoesNotExist, Gt or Lt", path, *n_out);
        x->key = rg_strdup(key);
        (*n_out)++;
        const cJSON *vals = rg_json_get_array(e, "values");
        x->values = rg_calloc((size_t)cJSON_GetArraySize(vals) + 1, sizeof(char *));
        const cJSON *v;
        cJSON_ArrayForEach(v, vals)
        {
            if (cJSON_IsString(v))
                x->values[x->n_values++] = rg_strdup(v->valuestring);
        }
    }
    return RG_OK;
}

static int parse_affinity(gang_cons_t *c, const cJSON *spec, rg_error_t *err)
{
    const cJSON *req = rg_json_path(spec, "affinity", "nodeAffinity",
                                    "requiredDuringSchedulingIgnoredDuringExecution", NULL);
    if (req == NULL || cJSON_IsNull(req))
        return RG_OK;
    const cJSON *terms = rg_json_get_array(req, "nodeSelectorTerms");
    c->has_affinity = true;
    size_t n = (size_t)cJSON_GetArraySize(terms);
    if (n > MAX_ITEMS)
        return rg_error_set(err, RG_ERR_RANGE, "spec.affinity.nodeAffinity: too many terms");
    c->terms = rg_calloc(n + 1, sizeof(term_t));
    const cJSON *t;
    cJSON_ArrayForEach(t, terms)
    {
        char path[160];
        snprintf(path, sizeof(path),
                 "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
                 "nodeSelectorTerms[%zu]",
                 c->n_terms);
        term_t *x = &c->terms[c->n_terms++];
        char sub[200];
        snprintf(sub, sizeof(sub), "%s.matchExpressions", path);
        int rc = parse_exprs(rg_json_get(t, "matchExpressions"), sub, &x->exprs, &x->n_exprs, err);
        snprintf(sub, sizeof(sub), "%s.matchFields", path);
        if (rc == RG_OK)
            rc = parse_exprs(rg_json_get(t, "matchFields"), sub, &x->fields, &x->n_fields, err);
        if (rc != RG_OK)
            return rc;
    }
    return RG_OK;
}

int gang_cons_add_tolerations(gang_cons_t *c, const cJSON *tolerations, rg_error_t *err)
{
    if (tolerations == NULL || cJSON_IsNull(tolerations))
        return RG_OK;
    if (!cJSON_IsArray(tolerations) || cJSON_GetArraySize(tolerations) > MAX_ITEMS)
        return rg_error_set(err, RG_ERR_TYPE, "tolerations: Invalid value: must be an array of at "
                            "most %d tolerations", MAX_ITEMS);
    size_t n = (size_t)cJSON_GetArraySize(tolerations);
    c->tols = rg_realloc(c->tols, (c->n_tols + n + 1) * sizeof(tol_t));
    const cJSON *t;
    cJSON_ArrayForEach(t, tolerations)
    {
        const char *key = rg_json_get_string(t, "key");
        const char *op = rg_json_get_string(t, "operator");
        const char *value = rg_json_get_string(t, "value");
        const char *effect = rg_json_get_string(t, "effect");
        c->tols[c->n_tols++] = (tol_t){
            .key = rg_strdup(key ? key : ""),
            .exists = op && strcmp(op, "Exists") == 0,
            .value = rg_strdup(value ? value : ""),
            .effect = rg_strdup(effect ? effect : ""),
        };
    }
    return RG_OK;
}

int gang_cons_from_podspec(const cJSON *spec, gang_cons_t **out, rg_error_t *err)
{
    gang_cons_t *c = rg_calloc(1, sizeof(*c));
    int rc = RG_OK;
    if (spec != NULL) {
        rc = gang_cons_add_selector(c, rg_json_get(spec, "nodeSelector"), err);
        if (rc == RG_OK)
            rc = parse_affinity(c, spec, err);
        if (rc == RG_OK)
            rc = gang_cons_add_tolerations(c, rg_json_get(spec, "tolerations"), err);
    }
    if (rc != RG_OK) {
        gang_cons_free(c);
        *out = NULL;
        return rc;
    }
    *out = c;
    return RG_OK;
}

/* ---- Evaluation ---- */

static bool tolerates(const gang_cons_t *c, const char *key, const char *value, const char *effect)
{
    for (size_t i = 0; c && i < c->n_tols; i++) {
        const tol_t *t = &c->tols[i];
        if (t->effect[0] && strcmp(t->effect, effect) != 0)
            continue;
        if (t->key[0] && strcmp(t->key, key) != 0)
            continue;
        if (t->exists || strcmp(t->value, value) == 0)
            return true;
    }
    return false;
}

static bool parse_int(const char *s, long long *out)
{
    if (s == NULL || *s == '\0')
        return false;
    char *end = NULL;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0';
}

static bool in_values(const expr_t *e, const char *v)
{
    for (size_t i = 0; i < e->n_values; i++)
        if (strcmp(e->values[i], v) == 0)
            return true;
    return false;
}

/* Whether the value the expression looks at (NULL = absent) satisfies it. */
static bool expr_matches(const expr_t *e, const char *v)
{
    long long have, want;
    switch (e->op) {
    case OP_IN: return v && in_values(e, v);
    case OP_NOT_IN: return v == NULL || !in_values(e, v);
    case OP_EXISTS: return v != NULL;
    case OP_NOT_EXISTS: return v == NULL;
    case OP_GT:
    case OP_LT:
        if (e->n_values != 1 || !parse_int(v, &have) || !parse_int(e->values[0], &want))
            return false;
        return e->op == OP_GT ? have > want : have < want;
    }
    return false;
}

static const char *op_name(op_t op)
{
    static const char *const names[] = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"};
    return names[op];
}

static void describe_expr(const expr_t *e, const char *v, char *why, size_t size)
{
    char vals[160] = "";
    size_t used = 0;
    for (size_t i = 0; i < e->n_values && used + 1 < sizeof(vals); i++) {
        int w = snprintf(vals + used, sizeof(vals) - used, "%s%s", i ? "," : "", e->values[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (v)
        snprintf(why, size, "required node affinity %s %s [%s] does not match: the label is \"%s\"",
                 e->key, op_name(e->op), vals, v);
    else
        snprintf(why, size, "required node affinity %s %s [%s] does not match: the node has no "
                 "such label", e->key, op_name(e->op), vals);
}

/* Whether a term matches; when not, why names its first failing requirement. */
static bool term_matches(const term_t *t, const char *node_name, const gang_node_info_t *ni,
                         char *why, size_t size)
{
    /* An empty term matches no node (as component-helpers' nodeaffinity). */
    if (t->n_exprs == 0 && t->n_fields == 0) {
        snprintf(why, size, "an empty required node affinity term matches no node");
        return false;
    }
    for (size_t i = 0; i < t->n_exprs; i++) {
        const char *v = gang_node_label(ni, t->exprs[i].key);
        if (!expr_matches(&t->exprs[i], v)) {
            describe_expr(&t->exprs[i], v, why, size);
            return false;
        }
    }
    for (size_t i = 0; i < t->n_fields; i++) {
        const expr_t *f = &t->fields[i];
        const char *v = strcmp(f->key, "metadata.name") == 0 ? node_name : NULL;
        if (!expr_matches(f, v)) {
            describe_expr(f, v, why, size);
            return false;
        }
    }
    return true;
}

static gang_verdict_t check_labels(const gang_cons_t *c, const char *node_name,
                                   const gang_node_info_t *ni, char *why, size_t size)
{
    for (size_t i = 0; i < c->n_sel; i++) {
        const char *v = gang_node_label(ni, c->sel_keys[i]);
        if (v && strcmp(v, c->sel_vals[i]) == 0)
            continue;
        if (v)
            snprintf(why, size, "label %s is \"%s\", the pod's nodeSelector wants \"%s\"",
                     c->sel_keys[i], v, c->sel_vals[i]);
        else
            snprintf(why, size, "the node has no label %s (the pod's nodeSelector wants \"%s\")",
                     c->sel_keys[i], c->sel_vals[i]);
        return GANG_NODE_SELECTOR;
    }
    if (!c->has_affinity)
        return GANG_NODE_OK;
    char first[256] = "no required node affinity term given";
    for (size_t t = 0; t < c->n_terms; t++) {
        char tmp[256];
        if (term_matches(&c->terms[t], node_name, ni, tmp, sizeof(tmp)))
            return GANG_NODE_OK;
        if (t == 0)
            snprintf(first, sizeof(first), "%s", tmp);
    }
    snprintf(why, size, "%s", first);
    return GANG_NODE_SELECTOR;
}

gang_verdict_t gang_cons_check(const gang_cons_t *c, const char *node_name,
                               const gang_node_info_t *ni, char *why, size_t why_size)
{
    if (!ni->ready && !tolerates(c, "node.kubernetes.io/not-ready", "", "NoSchedule")) {
        snprintf(why, why_size, "node is not Ready");
        return GANG_NODE_NOT_READY;
    }
    if (ni->unschedulable &&
        !tolerates(c, "node.kubernetes.io/unschedulable", "", "NoSchedule")) {
        snprintf(why, why_size, "node is cordoned (spec.unschedulable)");
        return GANG_NODE_UNSCHEDULABLE;
    }
    for (uint32_t i = 0; i < ni->n_taints; i++) {
        const gang_taint_t *t = &ni->taints[i];
        if (!tolerates(c, t->key, t->value, t->effect)) {
            snprintf(why, why_size, "untolerated taint %s%s%s:%s", t->key, t->value[0] ? "=" : "",
                     t->value, t->effect);
            return GANG_NODE_TAINT;
        }
    }
    return c ? check_labels(c, node_name, ni, why, why_size) : GANG_NODE_OK;
}

/*
 * Node affinity and taint toleration over JSON, as kube-scheduler's
 * NodeAffinity and TaintToleration filters decide them, with Kueue's
 * flavor-key reduction as an option.
 */
#include "raygate/podspec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool key_counts(const char *key, podspec_key_filter_fn keep, void *arg)
{
    return keep == NULL || keep(key, arg);
}

static bool selector_matches(const cJSON *selector, const cJSON *labels, podspec_key_filter_fn keep,
                             void *arg)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, (cJSON_IsObject(selector) ? selector : NULL))
    {
        if (it->string == NULL || !key_counts(it->string, keep, arg))
            continue;
        const char *have = rg_json_get_string(labels, it->string);
        if (!cJSON_IsString(it) || have == NULL || strcmp(have, it->valuestring) != 0)
            return false;
    }
    return true;
}

static bool parse_int64(const char *s, long long *out)
{
    if (s == NULL || *s == '\0')
        return false;
    char *end = NULL;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0';
}

static bool values_contain(const cJSON *values, const char *v)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, (cJSON_IsArray(values) ? values : NULL))
    {
        if (cJSON_IsString(it) && strcmp(it->valuestring, v) == 0)
            return true;
    }
    return false;
}

/*
 * One requirement against the labels: a NodeSelectorRequirement, or (with
 * numeric false) a LabelSelectorRequirement, which has no Gt/Lt.
 */
static bool requirement_matches(const cJSON *req, const cJSON *labels, bool numeric)
{
    const char *key = rg_json_get_string(req, "key");
    const char *op = rg_json_get_string(req, "operator");
    const cJSON *values = rg_json_get(req, "values");
    if (key == NULL || op == NULL)
        return false;
    const char *have = rg_json_get_string(labels, key);
    if (strcmp(op, "In") == 0)
        return have != NULL && values_contain(values, have);
    if (strcmp(op, "NotIn") == 0)
        return have == NULL || !values_contain(values, have);
    if (strcmp(op, "Exists") == 0)
        return have != NULL;
    if (strcmp(op, "DoesNotExist") == 0)
        return have == NULL;
    if (numeric && (strcmp(op, "Gt") == 0 || strcmp(op, "Lt") == 0)) {
        long long a, b;
        const cJSON *first = cJSON_IsArray(values) ? values->child : NULL;
        if (have == NULL || !cJSON_IsString(first) || cJSON_GetArraySize(values) != 1 ||
            !parse_int64(have, &a) || !parse_int64(first->valuestring, &b))
            return false;
        return op[0] == 'G' ? a > b : a < b;
    }
    return false; /* an unknown operator matches nothing, as labels.Selector errors do */
}

/*
 * One term: its label expressions ANDed. *counted tells whether any
 * expression took part (a term whose expressions were all filtered out).
 */
static bool term_matches(const cJSON *term, const cJSON *labels, podspec_key_filter_fn keep,
                         void *arg, bool *counted)
{
    *counted = false;
    const cJSON *it;
    const cJSON *exprs = rg_json_get_array(term, "matchExpressions");
    bool ok = true;
    cJSON_ArrayForEach(it, exprs)
    {
        const char *key = rg_json_get_string(it, "key");
        if (key == NULL || !key_counts(key, keep, arg))
            continue;
        *counted = true;
        if (!requirement_matches(it, labels, true))
            ok = false;
    }
    return ok;
}

static bool affinity_matches(const cJSON *spec, const cJSON *labels, podspec_key_filter_fn keep,
                             void *arg)
{
    const cJSON *terms =
        rg_json_path(spec, "affinity", "nodeAffinity",
                     "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", NULL);
    if (!cJSON_IsArray(terms))
        return true;
    bool any = false;
    const cJSON *term;
    cJSON_ArrayForEach(term, terms)
    {
        bool counted;
        bool ok = term_matches(term, labels, keep, arg, &counted);
        if (!counted)
            return keep != NULL; /* Kueue: an emptied term drops the affinity */
        any = any || ok;
    }
    return any;
}

bool podspec_node_matches(const cJSON *spec, const cJSON *labels, podspec_key_filter_fn keep,
                          void *arg)
{
    return selector_matches(rg_json_get(spec, "nodeSelector"), labels, keep, arg) &&
           affinity_matches(spec, labels, keep, arg);
}

static bool str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* ToleratesTaint: effect, key and value by operator. */
static bool tolerates(const cJSON *tol, const cJSON *taint)
{
    const char *teff = rg_json_get_string(tol, "effect");
    if (teff && *teff && !str_eq(teff, rg_json_get_string(taint, "effect")))
        return false;
    const char *tkey = rg_json_get_string(tol, "key");
    const char *op = rg_json_get_string(tol, "operator");
    bool exists = op != NULL && strcmp(op, "Exists") == 0;
    if ((tkey == NULL || *tkey == '\0') && !exists)
        return false;
    if (tkey && *tkey && !str_eq(tkey, rg_json_get_string(taint, "key")))
        return false;
    if (exists)
        return true;
    if (op != NULL && *op && strcmp(op, "Equal") != 0)
        return false;
    return str_eq(rg_json_get_string(tol, "value"), rg_json_get_string(taint, "value"));
}

static bool tolerated_by(const cJSON *taint, const cJSON *tolerations)
{
    const cJSON *tol;
    cJSON_ArrayForEach(tol, (cJSON_IsArray(tolerations) ? tolerations : NULL))
    {
        if (tolerates(tol, taint))
            return true;
    }
    return false;
}

const cJSON *podspec_untolerated_taint(const cJSON *taints, const cJSON *tolerations_a,
                                       const cJSON *tolerations_b)
{
    const cJSON *taint;
    cJSON_ArrayForEach(taint, (cJSON_IsArray(taints) ? taints : NULL))
    {
        const char *eff = rg_json_get_string(taint, "effect");
        if (eff == NULL || (strcmp(eff, "NoSchedule") != 0 && strcmp(eff, "NoExecute") != 0))
            continue;
        if (!tolerated_by(taint, tolerations_a) && !tolerated_by(taint, tolerations_b))
            return taint;
    }
    return NULL;
}

bool podspec_label_selector_matches(const cJSON *selector, const cJSON *labels)
{
    if (!cJSON_IsObject(selector))
        return false;
    if (!selector_matches(rg_json_get(selector, "matchLabels"), labels, NULL, NULL))
        return false;
    const cJSON *it;
    cJSON_ArrayForEach(it, rg_json_get_array(selector, "matchExpressions"))
    {
        if (!requirement_matches(it, labels, false))
            return false;
    }
    return true;
}

/*
 * Kubernetes name and metadata checks shared by every validator: DNS-1123
 * subdomains and labels, qualified names, label values, label/annotation
 * maps and label selectors, with apimachinery's exact messages (the
 * k8s.io/apimachinery v0.30-v0.34 wording of pkg/util/validation and
 * pkg/apis/meta/v1/validation). Pure functions; any thread may call them.
 */
#include "raygate/validate.h"

#include "raygate/alloc.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* apimachinery's regexes and RegexError texts (examples joined by ",  or "
 * exactly as Go's RegexError concatenates them). */
#define DNS1123_SUBDOMAIN_MSG                                                                      \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "      \
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "          \
    "regex used for validation is "                                                                \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define DNS1123_LABEL_MSG                                                                          \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "       \
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or "                  \
    "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define QUALIFIED_NAME_MSG                                                                         \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "            \
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "                \
    "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LABEL_VALUE_MSG                                                                            \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', "           \
    "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', "          \
    " or 'my_value',  or '12345', regex used for validation is "                                   \
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

#define DNS1123_SUBDOMAIN_MAX 253
#define DNS1123_LABEL_MAX 63
#define QUALIFIED_NAME_MAX 63
#define LABEL_VALUE_MAX 63
/* apimachinery TotalAnnotationSizeLimitB: 256 KiB of keys plus values. */
#define ANNOTATIONS_SIZE_MAX (256 * 1024)

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static bool match_dns_label(const char *s, size_t n)
{
    if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

/* label(\.label)* */
static bool match_dns_subdomain(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!match_dns_label(s + start, i - start))
                return false;
            start = i + 1;
        }
    }
    return true;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool match_qname_part(const char *s, size_t n)
{
    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

static void invalid(field_errors_t *errs, const char *field, const char *value, const char *msg)
{
    if (errs)
        field_invalid_str(errs, field, value, "%s", msg);
}

bool wh_check_dns1123_subdomain(field_errors_t *errs, const char *field, const char *value)
{
    size_t n = strlen(value);
    bool ok = true;
    if (n > DNS1123_SUBDOMAIN_MAX) {
        invalid(errs, field, value, "must be no more than 253 characters");
        ok = false;
    }
    if (!match_dns_subdomain(value, n)) {
        invalid(errs, field, value, DNS1123_SUBDOMAIN_MSG);
        ok = false;
    }
    return ok;
}

bool wh_check_dns1123_label(field_errors_t *errs, const char *field, const char *value)
{
    size_t n = strlen(value);
    bool ok = true;
    if (n > DNS1123_LABEL_MAX) {
        invalid(errs, field, value, "must be no more than 63 characters");
        ok = false;
    }
    if (!match_dns_label(value, n)) {
        /* A valid subdomain that is not a label can only hold dots. */
        invalid(errs, field, value,
                match_dns_subdomain(value, n) ? "must not contain dots" : DNS1123_LABEL_MSG);
        ok = false;
    }
    return ok;
}

/* IsQualifiedName for value; errors show `shown` (annotations check a
 * lower-cased copy but report the original key). */
static bool qualified_name(field_errors_t *errs, const char *field, const char *shown,
                           const char *value)
{
    const char *slash = strchr(value, '/');
    const char *name = value;
    bool ok = true;
    if (slash && strchr(slash + 1, '/')) {
        invalid(errs, field, shown,
                "a qualified name " QUALIFIED_NAME_MSG
                " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
        return false;
    }
    if (slash) {
        size_t plen = (size_t)(slash - value);
        name = slash + 1;
        if (plen == 0) {
            invalid(errs, field, shown, "prefix part must be non-empty");
            ok = false;
        } else {
            if (plen > DNS1123_SUBDOMAIN_MAX) {
                invalid(errs, field, shown, "prefix part must be no more than 253 characters");
                ok = false;
            }
            if (!match_dns_subdomain(value, plen)) {
                invalid(errs, field, shown, "prefix part " DNS1123_SUBDOMAIN_MSG);
                ok = false;
            }
        }
    }
    size_t n = strlen(name);
    if (n == 0) {
        invalid(errs, field, shown, "name part must be non-empty");
        ok = false;
    } else if (n > QUALIFIED_NAME_MAX) {
        invalid(errs, field, shown, "name part must be no more than 63 characters");
        ok = false;
    }
    if (!match_qname_part(name, n)) {
        invalid(errs, field, shown, "name part " QUALIFIED_NAME_MSG);
        ok = false;
    }
    return ok;
}

bool wh_check_qualified_name(field_errors_t *errs, const char *field, const char *value)
{
    return qualified_name(errs, field, value, value);
}

bool wh_check_label_value(field_errors_t *errs, const char *field, const char *value)
{
    size_t n = strlen(value);
    bool ok = true;
    if (n > LABEL_VALUE_MAX) {
        invalid(errs, field, value, "must be no more than 63 characters");
        ok = false;
    }
    if (n > 0 && !match_qname_part(value, n)) {
        invalid(errs, field, value, LABEL_VALUE_MSG);
        ok = false;
    }
    return ok;
}

/* A map member that is not a string, reported at path.key. */
static void not_a_string(field_errors_t *errs, const char *path, const cJSON *item)
{
    field_path_t p;
    field_path_init(&p, path);
    field_path_push_key(&p, item->string ? item->string : "");
    field_type_error(errs, field_path_str(&p), "string", item);
}

void wh_check_labels(field_errors_t *errs, const char *path, const cJSON *labels)
{
    if (labels == NULL || cJSON_IsNull(labels))
        return;
    if (!cJSON_IsObject(labels)) {
        field_type_error(errs, path, "object", labels);
        return;
    }
    /* ValidateLabels reports both key and value errors at the map's path. */
    for (const cJSON *it = labels->child; it; it = it->next) {
        wh_check_qualified_name(errs, path, it->string ? it->string : "");
        if (cJSON_IsString(it))
            wh_check_label_value(errs, path, it->valuestring);
        else
            not_a_string(errs, path, it);
    }
}

void wh_check_annotations(field_errors_t *errs, const char *path, const cJSON *annotations)
{
    if (annotations == NULL || cJSON_IsNull(annotations))
        return;
    if (!cJSON_IsObject(annotations)) {
        field_type_error(errs, path, "object", annotations);
        return;
    }
    size_t total = 0;
    for (const cJSON *it = annotations->child; it; it = it->next) {
        const char *key = it->string ? it->string : "";
        /* Annotation keys are qualified names compared without case. */
        char *lower = rg_strdup(key);
        for (char *c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        qualified_name(errs, path, key, lower);
        rg_free(lower);
        total += strlen(key);
        if (cJSON_IsString(it))
            total += strlen(it->valuestring);
        else
            not_a_string(errs, path, it);
    }
    if (total > ANNOTATIONS_SIZE_MAX)
        field_too_long(errs, path, ANNOTATIONS_SIZE_MAX);
}

static void check_requirement(field_errors_t *errs, field_path_t *p, const cJSON *req)
{
    const char *op = rg_json_get_string(req, "operator");
    const cJSON *values = rg_json_get(req, "values");
    int n_values = cJSON_IsArray(values) ? cJSON_GetArraySize(values) : 0;
    size_t mark = field_path_push_key(p, "values");
    char values_path[FIELD_PATH_MAX];
    snprintf(values_path, sizeof(values_path), "%s", field_path_str(p));
    field_path_pop(p, mark);

    if (op && (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0)) {
        if (n_values == 0)
            field_required(errs, values_path,
                           "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (op && (strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0)) {
        if (n_values > 0)
            field_forbidden(errs, values_path,
                            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    } else {
        mark = field_path_push_key(p, "operator");
        field_invalid_str(errs, field_path_str(p), op ? op : "", "not a valid selector operator");
        field_path_pop(p, mark);
    }

    mark = field_path_push_key(p, "key");
    const char *key = rg_json_get_string(req, "key");
    wh_check_qualified_name(errs, field_path_str(p), key ? key : "");
    field_path_pop(p, mark);

    if (n_values > 0) {
        mark = field_path_push_key(p, "values");
        int i = 0;
        for (const cJSON *v = values->child; v; v = v->next, i++) {
            size_t m2 = field_path_push_index(p, (size_t)i);
            if (cJSON_IsString(v))
                wh_check_label_value(errs, field_path_str(p), v->valuestring);
            else
                field_invalid_json(errs, field_path_str(p), v, "must be a string");
            field_path_pop(p, m2);
        }
        field_path_pop(p, mark);
    }
}

void wh_check_label_selector(field_errors_t *errs, const char *path, const cJSON *selector)
{
    if (selector == NULL || cJSON_IsNull(selector))
        return;
    field_path_t p;
    field_path_init(&p, path);
    if (!cJSON_IsObject(selector)) {
        field_type_error(errs, path, "object", selector);
        return;
    }
    size_t mark = field_path_push_key(&p, "matchLabels");
    wh_check_labels(errs, field_path_str(&p), rg_json_get(selector, "matchLabels"));
    field_path_pop(&p, mark);

    const cJSON *exprs = rg_json_get(selector, "matchExpressions");
    if (exprs == NULL || cJSON_IsNull(exprs))
        return;
    mark = field_path_push_key(&p, "matchExpressions");
    if (!cJSON_IsArray(exprs)) {
        field_type_error(errs, field_path_str(&p), "array", exprs);
        return;
    }
    size_t i = 0;
    for (const cJSON *e = exprs->child; e; e = e->next, i++) {
        size_t m2 = field_path_push_index(&p, i);
        check_requirement(errs, &p, e);
        field_path_pop(&p, m2);
    }
    field_path_pop(&p, mark);
}

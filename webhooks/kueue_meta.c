/*
 * Metadata rules Kueue applies to every object it admits (Workloads and
 * jobs): the admission-gated-by annotation, and the Kubernetes condition
 * rules Kueue's Workload webhook runs on status.conditions.
 */
#include "raygate/validate.h"

#include "kueue_internal.h"

#include <stdio.h>
#include <string.h>

#define GATED_PATH "metadata.annotations[" WH_ANNOTATION_ADMISSION_GATED_BY "]"
/* Same bound as a Job's spec.managedBy. */
#define GATE_NAME_MAX 63
/* Gates looked at per annotation (a longer list is refused as too long
 * long before: annotations are bounded by the request). */
#define GATES_MAX 64

/* csv.Parse: names split at commas, spaces around them trimmed; "" for a
 * blank value gives no names. Returns the count (names point into buf). */
static size_t parse_csv(const char *value, char *buf, size_t size, const char **names, size_t max)
{
    snprintf(buf, size, "%s", value);
    const char *p = buf;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p == '\0')
        return 0;
    size_t n = 0;
    char *start = buf;
    for (;;) {
        char *comma = strchr(start, ',');
        if (comma)
            *comma = '\0';
        char *s = start, *e = start + strlen(start);
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
            *--e = '\0';
        if (n < max)
            names[n++] = s;
        if (comma == NULL)
            break;
        start = comma + 1;
    }
    return n;
}

/* The HTTP path characters IsDomainPrefixedPath accepts. */
static bool http_path_ok(const char *p)
{
    static const char extra[] = "/-._~%!$&'()*+,;=:";
    if (*p == '\0')
        return false;
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              strchr(extra, c)))
            return false;
    }
    return true;
}

/* validation.IsDomainPrefixedPath at GATED_PATH. */
static void check_domain_prefixed(field_errors_t *errs, const char *gate)
{
    const char *slash = strchr(gate, '/');
    if (slash == NULL || slash == gate || slash[1] == '\0') {
        field_invalid_str(errs, GATED_PATH, gate,
                          "must be a domain-prefixed path (such as \"acme.io/foo\")");
        return;
    }
    char host[256];
    snprintf(host, sizeof(host), "%.*s", (int)(slash - gate), gate);
    wh_check_dns1123_subdomain(errs, GATED_PATH, host);
    if (!http_path_ok(slash + 1))
        field_invalid_str(errs, GATED_PATH, slash + 1,
                          "Invalid path (regex used for validation is "
                          "'[A-Za-z0-9/\\-._~%%!$&'()*+,;=:]+')");
}

static void check_gates_format(field_errors_t *errs, const char *value)
{
    char buf[4096];
    const char *gates[GATES_MAX];
    size_t n = parse_csv(value, buf, sizeof(buf), gates, GATES_MAX);
    for (size_t i = 0; i < n; i++) {
        if (gates[i][0] == '\0') {
            field_invalid_str(errs, GATED_PATH, value, "cannot contain empty gate names");
            continue;
        }
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(gates[i], gates[j]) == 0;
        if (seen) {
            field_invalid_str(errs, GATED_PATH, value, "duplicate gate name: %s", gates[i]);
            continue;
        }
        check_domain_prefixed(errs, gates[i]);
        if (strlen(gates[i]) > GATE_NAME_MAX)
            field_too_long(errs, GATED_PATH, GATE_NAME_MAX);
    }
}

static const char *gated_by(const cJSON *obj)
{
    return rg_json_get_string(rg_json_path(obj, "metadata", "annotations", NULL),
                              WH_ANNOTATION_ADMISSION_GATED_BY);
}

void wh__check_admission_gated_by(field_errors_t *errs, const cJSON *obj, const cJSON *old)
{
    const char *now = gated_by(obj);
    const char *nv = now ? now : "";
    if (old == NULL) {
        if (nv[0])
            check_gates_format(errs, nv);
        return;
    }
    const char *before = gated_by(old);
    const char *ov = before ? before : "";
    if (ov[0] == '\0' && nv[0] != '\0')
        field_forbidden(errs, GATED_PATH, "cannot add admission gate after creation");
    if (ov[0] != '\0' && nv[0] != '\0') {
        char obuf[4096], nbuf[4096];
        const char *old_gates[GATES_MAX], *new_gates[GATES_MAX];
        size_t on = parse_csv(ov, obuf, sizeof(obuf), old_gates, GATES_MAX);
        size_t nn = parse_csv(nv, nbuf, sizeof(nbuf), new_gates, GATES_MAX);
        for (size_t i = 0; i < nn; i++) {
            bool kept = false;
            for (size_t j = 0; j < on && !kept; j++)
                kept = strcmp(new_gates[i], old_gates[j]) == 0;
            if (!kept) {
                field_forbidden(errs, GATED_PATH, "can only remove gates, not add new ones");
                break;
            }
        }
    }
    if (nv[0])
        check_gates_format(errs, nv);
}

/* ---- status.conditions ---- */

#define REASON_MAX 1024
#define MESSAGE_MAX (32 * 1024)
#define REASON_FMT "[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?"
#define REASON_MSG                                                                                 \
    "a condition reason must start with alphabetic character, optionally followed by a "           \
    "string of alphanumeric characters or '_,:', and must end with an alphanumeric "               \
    "character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  "      \
    "or 'ReasonA:ReasonB', regex used for validation is '" REASON_FMT "')"

static bool reason_ok(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || !((r[0] >= 'A' && r[0] <= 'Z') || (r[0] >= 'a' && r[0] <= 'z')))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = r[i];
        bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        bool inner = c == '_' || c == ',' || c == ':';
        if (!alnum && !inner)
            return false;
        if (i == n - 1 && !alnum && c != '_')
            return false;
    }
    return true;
}

static void check_condition(field_errors_t *errs, field_path_t *p, const cJSON *c)
{
    static const char *const statuses[] = {"False", "True", "Unknown"};
    const char *type = rg_json_get_string(c, "type");
    size_t m = field_path_push_key(p, "type");
    wh_check_qualified_name(errs, field_path_str(p), type ? type : "");
    field_path_pop(p, m);
    const char *status = rg_json_get_string(c, "status");
    if (status == NULL || (strcmp(status, "True") != 0 && strcmp(status, "False") != 0 &&
                           strcmp(status, "Unknown") != 0)) {
        m = field_path_push_key(p, "status");
        field_not_supported(errs, field_path_str(p), status ? status : "", statuses, 3);
        field_path_pop(p, m);
    }
    const cJSON *gen = rg_json_get(c, "observedGeneration");
    if (cJSON_IsNumber(gen) && gen->valuedouble < 0) {
        m = field_path_push_key(p, "observedGeneration");
        field_invalid_json(errs, field_path_str(p), gen, "must be greater than or equal to zero");
        field_path_pop(p, m);
    }
    const char *ltt = rg_json_get_string(c, "lastTransitionTime");
    if (ltt == NULL || ltt[0] == '\0') {
        m = field_path_push_key(p, "lastTransitionTime");
        field_required(errs, field_path_str(p), "must be set");
        field_path_pop(p, m);
    }
    const char *reason = rg_json_get_string(c, "reason");
    m = field_path_push_key(p, "reason");
    if (reason == NULL || reason[0] == '\0') {
        field_required(errs, field_path_str(p), "must be set");
    } else {
        if (!reason_ok(reason))
            field_invalid_str(errs, field_path_str(p), reason, "%s", REASON_MSG);
        if (strlen(reason) > REASON_MAX)
            field_too_long(errs, field_path_str(p), REASON_MAX);
    }
    field_path_pop(p, m);
    const char *message = rg_json_get_string(c, "message");
    if (message && strlen(message) > MESSAGE_MAX) {
        m = field_path_push_key(p, "message");
        field_too_long(errs, field_path_str(p), MESSAGE_MAX);
        field_path_pop(p, m);
    }
}

void wh__check_conditions(field_errors_t *errs, const char *path, const cJSON *conditions)
{
    if (!cJSON_IsArray(conditions))
        return;
    field_path_t p;
    field_path_init(&p, path);
    size_t i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, conditions)
    {
        if (i >= 64)
            break; /* the CRD allows 16; past that the list is refused anyway */
        size_t m = field_path_push_index(&p, i);
        const char *type = rg_json_get_string(c, "type");
        size_t j = 0;
        for (const cJSON *d = conditions->child; d != c && type; d = d->next, j++) {
            const char *t = rg_json_get_string(d, "type");
            if (t && strcmp(t, type) == 0) {
                size_t mt = field_path_push_key(&p, "type");
                field_duplicate_str(errs, field_path_str(&p), type);
                field_path_pop(&p, mt);
                break;
            }
        }
        check_condition(errs, &p, c);
        field_path_pop(&p, m);
        i++;
    }
}

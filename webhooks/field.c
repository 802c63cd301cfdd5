/*
 * Field errors rendered the way apimachinery renders them, so that
 * raygate's denials read exactly like Kueue's and the apiserver's.
 */
#include "raygate/field.h"

#include "raygate/alloc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *text;
    const char *cause;
} field_types[] = {
    [FIELD_NOT_FOUND] = {"Not found", "FieldValueNotFound"},
    [FIELD_REQUIRED] = {"Required value", "FieldValueRequired"},
    [FIELD_DUPLICATE] = {"Duplicate value", "FieldValueDuplicate"},
    [FIELD_INVALID] = {"Invalid value", "FieldValueInvalid"},
    [FIELD_NOT_SUPPORTED] = {"Unsupported value", "FieldValueNotSupported"},
    [FIELD_FORBIDDEN] = {"Forbidden", "FieldValueForbidden"},
    [FIELD_TOO_LONG] = {"Too long", "FieldValueTooLong"},
    [FIELD_TOO_MANY] = {"Too many", "FieldValueTooMany"},
    [FIELD_INTERNAL] = {"Internal error", "InternalError"},
};

const char *field_type_text(field_type_t t)
{
    return (unsigned)t <= FIELD_INTERNAL ? field_types[t].text : "Unknown";
}

const char *field_type_cause(field_type_t t)
{
    return (unsigned)t <= FIELD_INTERNAL ? field_types[t].cause : "Unknown";
}

void field_errors_init(field_errors_t *e)
{
    e->items = NULL;
    e->n = e->cap = 0;
}

void field_errors_release(field_errors_t *e)
{
    for (size_t i = 0; i < e->n; i++) {
        rg_free(e->items[i].field);
        rg_free(e->items[i].value);
        rg_free(e->items[i].detail);
    }
    rg_free(e->items);
    field_errors_init(e);
}

static void push(field_errors_t *e, field_type_t type, const char *field, char *value,
                 char *detail)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 8;
        e->items = rg_realloc(e->items, e->cap * sizeof(*e->items));
    }
    e->items[e->n++] = (field_error_t){type, rg_strdup(field), value, detail};
}

static char *vformat(const char *fmt, va_list ap)
{
    if (fmt == NULL)
        return NULL;
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    char *s = rg_malloc(n > 0 ? (size_t)n + 1 : 1);
    vsnprintf(s, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
    return s;
}

void field_add(field_errors_t *e, field_type_t type, const char *field, const char *value,
               const char *detail_fmt, ...)
{
    va_list ap;
    va_start(ap, detail_fmt);
    char *detail = vformat(detail_fmt, ap);
    va_end(ap);
    push(e, type, field, value ? rg_strdup(value) : NULL, detail);
}

void field_quote(rg_buf_t *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    rg_buf_append_char(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': rg_buf_append_str(out, "\\\""); break;
        case '\\': rg_buf_append_str(out, "\\\\"); break;
        case '\n': rg_buf_append_str(out, "\\n"); break;
        case '\r': rg_buf_append_str(out, "\\r"); break;
        case '\t': rg_buf_append_str(out, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                char esc[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};
                rg_buf_append(out, esc, 4);
            } else {
                rg_buf_append_char(out, (char)*p);
            }
        }
    }
    rg_buf_append_char(out, '"');
}

static char *quoted(const char *s)
{
    rg_buf_t b = RG_BUF_INIT;
    field_quote(&b, s ? s : "");
    return rg_buf_detach(&b, NULL);
}

void field_invalid_str(field_errors_t *e, const char *field, const char *value,
                       const char *detail_fmt, ...)
{
    va_list ap;
    va_start(ap, detail_fmt);
    char *detail = vformat(detail_fmt, ap);
    va_end(ap);
    push(e, FIELD_INVALID, field, quoted(value), detail);
}

void field_invalid_int(field_errors_t *e, const char *field, int64_t value,
                       const char *detail_fmt, ...)
{
    va_list ap;
    va_start(ap, detail_fmt);
    char *detail = vformat(detail_fmt, ap);
    va_end(ap);
    push(e, FIELD_INVALID, field, rg_asprintf("%" PRId64, value), detail);
}

static char *render_json(const cJSON *v)
{
    if (v == NULL || cJSON_IsNull(v))
        return rg_strdup("null");
    if (cJSON_IsString(v))
        return quoted(v->valuestring);
    return rg_json_print(v);
}

void field_invalid_json(field_errors_t *e, const char *field, const cJSON *value,
                        const char *detail_fmt, ...)
{
    va_list ap;
    va_start(ap, detail_fmt);
    char *detail = vformat(detail_fmt, ap);
    va_end(ap);
    push(e, FIELD_INVALID, field, render_json(value), detail);
}

void field_required(field_errors_t *e, const char *field, const char *detail_fmt, ...)
{
    va_list ap;
    va_start(ap, detail_fmt);
    char *detail = vformat(detail_fmt, ap);
    va_end(ap);
    push(e, FIELD_REQUIRED, field, NULL, detail);
}

void field_forbidden(field_errors_t *e, const char *field, const char *detail_fmt, ...)
{
    va_list ap;
    va_start(ap, detail_fmt);
    char *detail = vformat(detail_fmt, ap);
    va_end(ap);
    push(e, FIELD_FORBIDDEN, field, NULL, detail);
}

void field_duplicate_str(field_errors_t *e, const char *field, const char *value)
{
    push(e, FIELD_DUPLICATE, field, quoted(value), NULL);
}

void field_duplicate_map_key(field_errors_t *e, const char *field, const char *name)
{
    rg_buf_t v = RG_BUF_INIT;
    rg_buf_append_str(&v, "map[string]interface {}{\"name\":");
    field_quote(&v, name);
    rg_buf_append_char(&v, '}');
    push(e, FIELD_DUPLICATE, field, rg_buf_detach(&v, NULL), NULL);
}

void field_not_found_str(field_errors_t *e, const char *field, const char *value)
{
    push(e, FIELD_NOT_FOUND, field, quoted(value), NULL);
}

void field_not_supported(field_errors_t *e, const char *field, const char *value,
                         const char *const *supported, size_t n_supported)
{
    rg_buf_t d = RG_BUF_INIT;
    if (n_supported > 0) {
        rg_buf_append_str(&d, "supported values: ");
        for (size_t i = 0; i < n_supported; i++) {
            if (i)
                rg_buf_append_str(&d, ", ");
            field_quote(&d, supported[i]);
        }
    }
    push(e, FIELD_NOT_SUPPORTED, field, quoted(value), d.data ? rg_buf_detach(&d, NULL) : NULL);
}

void field_too_many(field_errors_t *e, const char *field, int64_t actual, int64_t max)
{
    push(e, FIELD_TOO_MANY, field, rg_asprintf("%" PRId64, actual),
         rg_asprintf("must have at most %" PRId64 " items", max));
}

void field_too_long(field_errors_t *e, const char *field, int64_t max)
{
    push(e, FIELD_TOO_LONG, field, NULL,
         rg_asprintf("may not be more than %" PRId64 " bytes", max));
}

void field_type_error(field_errors_t *e, const char *field, const char *want, const cJSON *got)
{
    char *shown = quoted(rg_json_type_name(got));
    push(e, FIELD_INVALID, field, shown,
         rg_asprintf("%s in body must be of type %s: %s", field, want, shown));
}

void field_error_format(const field_error_t *fe, rg_buf_t *out)
{
    rg_buf_append_str(out, fe->field);
    rg_buf_append_str(out, ": ");
    rg_buf_append_str(out, field_type_text(fe->type));
    /* apimachinery omits the value for these types. */
    bool show_value = fe->type != FIELD_REQUIRED && fe->type != FIELD_FORBIDDEN &&
                      fe->type != FIELD_TOO_LONG && fe->type != FIELD_INTERNAL;
    if (show_value && fe->value) {
        rg_buf_append_str(out, ": ");
        rg_buf_append_str(out, fe->value);
    }
    if (fe->detail && fe->detail[0]) {
        rg_buf_append_str(out, ": ");
        rg_buf_append_str(out, fe->detail);
    }
}

void field_errors_dedup(field_errors_t *e)
{
    rg_buf_t a = RG_BUF_INIT, b = RG_BUF_INIT;
    size_t kept = 0;
    for (size_t i = 0; i < e->n; i++) {
        rg_buf_clear(&a);
        field_error_format(&e->items[i], &a);
        bool dup = false;
        for (size_t j = 0; j < kept && !dup; j++) {
            rg_buf_clear(&b);
            field_error_format(&e->items[j], &b);
            dup = a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
        }
        if (dup) {
            rg_free(e->items[i].field);
            rg_free(e->items[i].value);
            rg_free(e->items[i].detail);
        } else {
            e->items[kept++] = e->items[i];
        }
    }
    e->n = kept;
    rg_buf_release(&a);
    rg_buf_release(&b);
}

void field_errors_aggregate(const field_errors_t *e, rg_buf_t *out)
{
    if (e->n == 0)
        return;
    if (e->n == 1) {
        field_error_format(&e->items[0], out);
        return;
    }
    rg_buf_append_char(out, '[');
    for (size_t i = 0; i < e->n; i++) {
        if (i)
            rg_buf_append_str(out, ", ");
        field_error_format(&e->items[i], out);
    }
    rg_buf_append_char(out, ']');
}

size_t field_errors_causes(const field_errors_t *e, rg_status_cause_t *causes, rg_buf_t *bufs,
                           size_t max)
{
    size_t n = e->n < max ? e->n : max;
    for (size_t i = 0; i < n; i++) {
        const field_error_t *fe = &e->items[i];
        rg_buf_init(&bufs[i]);
        /* A cause's message is the error without its field, as
         * apierrors.NewInvalid writes it. */
        rg_buf_append_str(&bufs[i], field_type_text(fe->type));
        bool show_value = fe->type != FIELD_REQUIRED && fe->type != FIELD_FORBIDDEN &&
                          fe->type != FIELD_TOO_LONG && fe->type != FIELD_INTERNAL;
        if (show_value && fe->value) {
            rg_buf_append_str(&bufs[i], ": ");
            rg_buf_append_str(&bufs[i], fe->value);
        }
        if (fe->detail && fe->detail[0]) {
            rg_buf_append_str(&bufs[i], ": ");
            rg_buf_append_str(&bufs[i], fe->detail);
        }
        causes[i] = (rg_status_cause_t){field_type_cause(fe->type), bufs[i].data, fe->field};
    }
    return n;
}

void field_path_init(field_path_t *p, const char *root)
{
    p->len = 0;
    p->buf[0] = '\0';
    if (root && root[0])
        field_path_push_key(p, root);
}

/* Appends already-formatted text, truncating at the buffer's end. */
static size_t path_append(field_path_t *p, const char *text, size_t n)
{
    size_t old = p->len;
    size_t room = sizeof(p->buf) - 1 - p->len;
    if (n > room)
        n = room;
    memcpy(p->buf + p->len, text, n);
    p->len += n;
    p->buf[p->len] = '\0';
    return old;
}

size_t field_path_push_key(field_path_t *p, const char *key)
{
    size_t old = p->len;
    if (p->len)
        path_append(p, ".", 1);
    path_append(p, key, strlen(key));
    return old;
}

size_t field_path_push_index(field_path_t *p, size_t i)
{
    char idx[32];
    int n = snprintf(idx, sizeof(idx), "[%zu]", i);
    return path_append(p, idx, n > 0 ? (size_t)n : 0);
}

size_t field_path_push_map_key(field_path_t *p, const char *key)
{
    size_t old = path_append(p, "[", 1);
    path_append(p, key, strlen(key));
    path_append(p, "]", 1);
    return old;
}

void field_path_pop(field_path_t *p, size_t len)
{
    if (len <= p->len) {
        p->len = len;
        p->buf[len] = '\0';
    }
}

const char *field_path_str(const field_path_t *p)
{
    return p->buf;
}

/*
 * Growable buffer with amortised doubling and JSON string escaping.
 */
#include "raygate/buf.h"

#include "raygate/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void rg_buf_init(rg_buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void rg_buf_release(rg_buf_t *b)
{
    rg_free(b->data);
    rg_buf_init(b);
}

void rg_buf_reserve(rg_buf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = rg_realloc(b->data, cap);
    b->cap = cap;
}

void rg_buf_append(rg_buf_t *b, const void *data, size_t len)
{
    rg_buf_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void rg_buf_append_str(rg_buf_t *b, const char *s)
{
    rg_buf_append(b, s, strlen(s));
}

void rg_buf_append_char(rg_buf_t *b, char c)
{
    rg_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void rg_buf_appendf(rg_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        rg_buf_append(b, small, (size_t)n);
        return;
    }
    rg_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void rg_buf_append_json_strn(rg_buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    rg_buf_reserve(b, len + 2);
    b->data[b->len++] = '"';
    size_t run = 0; /* start of the pending run of bytes needing no escape */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rg_buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': rg_buf_append(b, "\\\"", 2); break;
        case '\\': rg_buf_append(b, "\\\\", 2); break;
        case '\n': rg_buf_append(b, "\\n", 2); break;
        case '\r': rg_buf_append(b, "\\r", 2); break;
        case '\t': rg_buf_append(b, "\\t", 2); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rg_buf_append(b, esc, 6);
        }
        }
    }
    rg_buf_append(b, s + run, len - run);
    rg_buf_append_char(b, '"');
}

void rg_buf_append_json_str(rg_buf_t *b, const char *s)
{
    rg_buf_append_json_strn(b, s, strlen(s));
}

void rg_buf_clear(rg_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *rg_buf_detach(rg_buf_t *b, size_t *len_out)
{
    if (b->data == NULL)
        rg_buf_reserve(b, 0), b->data[0] = '\0';
    char *d = b->data;
    if (len_out)
        *len_out = b->len;
    rg_buf_init(b);
    return d;
}

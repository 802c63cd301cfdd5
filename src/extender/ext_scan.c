/*
 * The extender's lean JSON scanner: RFC 8259 validation at memory speed,
 * without building a tree of what the extender does not read.
 */
#include "ext_scan.h"

#include <stdint.h>
#include <string.h>

/* SWAR over 8 bytes: the high bit of each byte that is '"', '\\' or below 0x20 (plus,
 * rarely, a false positive past a real hit, which the byte loop sorts out). */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static inline uint64_t special_bytes(uint64_t w)
{
    uint64_t q = w ^ (ONES * '"');
    uint64_t b = w ^ (ONES * '\\');
    return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w)) & HIGHS;
}

static int fail(ext_scan_t *s, const char *what)
{
    return rg_error_set(s->err, RG_ERR_PARSE, "malformed JSON at byte %zu: %s",
                        (size_t)(s->p - s->base), what);
}

void ext__scan_init(ext_scan_t *s, const char *body, size_t len, rg_error_t *err)
{
    *s = (ext_scan_t){body, body, body + len, 0, err};
}

size_t ext__scan_offset(const ext_scan_t *s)
{
    return (size_t)(s->p - s->base);
}

static void ws(ext_scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

char ext__scan_peek(ext_scan_t *s)
{
    ws(s);
    return s->p < s->end ? *s->p : 0;
}

static bool literal(ext_scan_t *s, const char *lit, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return false;
    s->p += n;
    return true;
}

bool ext__scan_null(ext_scan_t *s)
{
    return ext__scan_peek(s) == 'n' && literal(s, "null", 4);
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* At the opening quote. */
int ext__scan_string(ext_scan_t *s, ext_str_t *out)
{
    if (ext__scan_peek(s) != '"')
        return fail(s, "expected a string");
    const char *start = ++s->p;
    bool esc = false;
    const char *p = s->p, *end = s->end;
    for (;;) {
        /* The common case: plain bytes up to the closing quote, eight at a time. */
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (special_bytes(w))
                break;
            p += 8;
        }
        while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
            p++;
        if (p >= end) {
            s->p = p;
            return fail(s, "unterminated string");
        }
        if (*p == '"')
            break;
        if (*p != '\\') {
            s->p = p;
            return fail(s, "control character in a string");
        }
        esc = true;
        if (p + 1 >= end) {
            s->p = p;
            return fail(s, "unterminated escape");
        }
        char e = p[1];
        if (e == 'u') {
            if (end - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) || !is_hex(p[5])) {
                s->p = p;
                return fail(s, "bad \\u escape");
            }
            p += 6;
        } else if (strchr("\"\\/bfnrt", e) != NULL && e != '\0') {
            p += 2;
        } else {
            s->p = p;
            return fail(s, "bad escape");
        }
    }
    if (out)
        *out = (ext_str_t){start, (size_t)(p - start), esc};
    s->p = p + 1;
    return RG_OK;
}

static int number(ext_scan_t *s)
{
    const char *p = s->p, *end = s->end;
    if (p < end && *p == '-')
        p++;
    if (p >= end || *p < '0' || *p > '9')
        return fail(s, "bad number");
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return fail(s, "bad number");
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return fail(s, "bad number");
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    s->p = p;
    return RG_OK;
}

static int scalar(ext_scan_t *s)
{
    switch (*s->p) {
    case '"': return ext__scan_string(s, NULL);
    case 't': return literal(s, "true", 4) ? RG_OK : fail(s, "bad literal");
    case 'f': return literal(s, "false", 5) ? RG_OK : fail(s, "bad literal");
    case 'n': return literal(s, "null", 4) ? RG_OK : fail(s, "bad literal");
    default: return number(s);
    }
}

static int too_deep(ext_scan_t *s)
{
    return rg_error_set(s->err, RG_ERR_TOO_BIG, "JSON nested deeper than %d at byte %zu",
                        EXT_SCAN_MAX_DEPTH, (size_t)(s->p - s->base));
}

/* Iterative, with an explicit stack of closers: no recursion on untrusted depth. */
int ext__scan_skip(ext_scan_t *s)
{
    char stack[EXT_SCAN_MAX_DEPTH];
    unsigned sp = 0;
    int rc;
    for (;;) {
        /* A value is expected here. */
        char c = ext__scan_peek(s);
        if (c == '{' || c == '[') {
            if (s->depth + sp + 1 > EXT_SCAN_MAX_DEPTH)
                return too_deep(s);
            stack[sp++] = c == '{' ? '}' : ']';
            s->p++;
            char n = ext__scan_peek(s);
            if (n == stack[sp - 1]) {
                s->p++;
                sp--;
            } else {
                if (c == '{') {
                    if ((rc = ext__scan_string(s, NULL)) < 0)
                        return rc;
                    if (ext__scan_peek(s) != ':')
                        return fail(s, "expected ':'");
                    s->p++;
                }
                continue;
            }
        } else if (c == 0) {
            return fail(s, "unexpected end of input");
        } else if ((rc = scalar(s)) < 0) {
            return rc;
        }
        /* After a value: close containers or move to the next member. */
        for (;;) {
            if (sp == 0)
                return RG_OK;
            char n = ext__scan_peek(s);
            if (n == stack[sp - 1]) {
                s->p++;
                sp--;
                continue;
            }
            if (n != ',')
                return fail(s, "expected ',' or a closing bracket");
            s->p++;
            if (stack[sp - 1] == '}') {
                if ((rc = ext__scan_string(s, NULL)) < 0)
                    return rc;
                if (ext__scan_peek(s) != ':')
                    return fail(s, "expected ':'");
                s->p++;
            }
            break;
        }
    }
}

int ext__scan_obj_begin(ext_scan_t *s)
{
    if (ext__scan_peek(s) != '{')
        return fail(s, "expected an object");
    if (s->depth + 1 > EXT_SCAN_MAX_DEPTH)
        return too_deep(s);
    s->p++;
    s->depth++;
    return RG_OK;
}

int ext__scan_obj_key(ext_scan_t *s, bool *first, ext_str_t *key)
{
    char c = ext__scan_peek(s);
    if (c == '}') {
        s->p++;
        s->depth--;
        return 0;
    }
    if (!*first) {
        if (c != ',')
            return fail(s, "expected ',' or '}'");
        s->p++;
    }
    *first = false;
    int rc = ext__scan_string(s, key);
    if (rc < 0)
        return rc;
    if (ext__scan_peek(s) != ':')
        return fail(s, "expected ':'");
    s->p++;
    return 1;
}

int ext__scan_arr_begin(ext_scan_t *s)
{
    if (ext__scan_peek(s) != '[')
        return fail(s, "expected an array");
    if (s->depth + 1 > EXT_SCAN_MAX_DEPTH)
        return too_deep(s);
    s->p++;
    s->depth++;
    return RG_OK;
}

int ext__scan_arr_next(ext_scan_t *s, bool *first)
{
    char c = ext__scan_peek(s);
    if (c == ']') {
        s->p++;
        s->depth--;
        return 0;
    }
    if (!*first) {
        if (c != ',')
            return fail(s, "expected ',' or ']'");
        s->p++;
    }
    *first = false;
    return 1;
}

int ext__scan_end(ext_scan_t *s)
{
    return ext__scan_peek(s) == 0 && s->p == s->end ? RG_OK : fail(s, "trailing data");
}

bool ext__str_is(const ext_str_t *k, const char *name)
{
    size_t n = strlen(name);
    if (k->esc || k->len != n)
        return false; /* no wire key the extender reads needs an escape */
    for (size_t i = 0; i < n; i++) {
        char a = k->s[i], b = name[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The scanner validated the escapes; lone surrogates become U+FFFD as in Go. */
char *ext__str_text(const ext_str_t *str, rg_arena_t *arena)
{
    if (!str->esc)
        return rg_arena_strndup(arena, str->s, str->len);
    char *out = rg_arena_alloc(arena, str->len + 1);
    size_t o = 0;
    for (size_t i = 0; i < str->len;) {
        char c = str->s[i];
        if (c != '\\') {
            out[o++] = c;
            i++;
            continue;
        }
        char e = str->s[i + 1];
        i += 2;
        switch (e) {
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            unsigned cp = hex4(str->s + i);
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 <= str->len && str->s[i] == '\\' &&
                str->s[i + 1] == 'u') {
                unsigned lo = hex4(str->s + i + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000)
                cp = 0xFFFD;
            o += put_utf8(out + o, cp);
            break;
        }
        default: out[o++] = e; break;
        }
    }
    out[o] = '\0';
    return out;
}

/*
 * A strict JSON parser (RFC 8259) that builds a read-only cJSON tree inside
 * an arena: one pass, no per-node malloc, no tree walk to free. The text is
 * copied into the arena once and every string is terminated (and unescaped)
 * in place there, so strings cost no allocation and no second copy. The
 * webhook parses every AdmissionReview with it.
 */
#include "admission/internal.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cJSON's own nesting limit, so both parsers refuse the same documents. */
#define JA_MAX_DEPTH 1000
/* Digits an integer may have and still be exact in a double. */
#define JA_EXACT_DIGITS 15

/* Memory is taken from the arena in chunks of this size and handed out
 * here by a local bump pointer, so a node costs a few instructions. */
#define JA_CHUNK 8192

typedef struct ja {
    char *p, *end; /* over the arena's copy of the text */
    rg_arena_t *arena;
    char *cur, *lim; /* the current chunk's free part */
    int depth;
    const char *fail; /* where parsing stopped; NULL while it goes well */
} ja_t;

static void *ja_alloc(ja_t *s, size_t size)
{
    size = (size + 7) & ~(size_t)7;
    if ((size_t)(s->lim - s->cur) < size) {
        size_t chunk = size > JA_CHUNK / 4 ? size : JA_CHUNK;
        char *c = rg_arena_alloc(s->arena, chunk);
        if (chunk == size)
            return c; /* a big string gets its own piece; keep the chunk */
        s->cur = c;
        s->lim = c + chunk;
    }
    void *p = s->cur;
    s->cur += size;
    return p;
}

static cJSON *ja_node(ja_t *s, int type)
{
    cJSON *n = ja_alloc(s, sizeof(*n));
    memset(n, 0, sizeof(*n));
    n->type = type;
    return n;
}

/*
 * Bytes before the first '"', '\\' or control character of [p, end): the
 * bytes a string may hold verbatim. Eight at a time with the classic SWAR
 * tests (a zero byte in x ^ '"'-repeated, and so on), since strings are
 * most of an AdmissionReview.
 */
static size_t plain_run(const char *p, const char *end)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const char *q = p;
    while (end - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');
        uint64_t hit =
            (((quote - ones) & ~quote) | ((bslash - ones) & ~bslash) | ((w - ones * 0x20) & ~w)) &
            highs;
        if (hit) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* Each test can flag bytes past its first true hit (a borrow),
             * never before it: the lowest flag is the first stop. */
            return (size_t)(q - p) + (size_t)(__builtin_ctzll(hit) >> 3);
#else
            break;
#endif
        }
        q += 8;
    }
    while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
        q++;
    return (size_t)(q - p);
}

static void *ja_fail(ja_t *s, const char *at)
{
    if (s->fail == NULL)
        s->fail = at;
    return NULL;
}

static void ja_skip_ws(ja_t *s)
{
    char *p = s->p;
    while (p < s->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    s->p = p;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static char *put_utf8(char *o, unsigned long cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Decodes the escapes of raw[0..n) (already scanned) into out, which may
 * be raw itself: every escape shrinks or keeps its size, so the output never
 * overtakes the input. Returns the end of the output or NULL (s->fail set)
 * on a bad escape. */
static char *unescape(ja_t *s, const char *raw, size_t n, char *o)
{
    const char *q = raw, *end = raw + n;
    while (q < end) {
        if (*q != '\\') {
            *o++ = *q++;
            continue;
        }
        q++;
        switch (*q) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            int hi = end - q >= 5 ? hex4(q + 1) : -1;
            if (hi < 0)
                return ja_fail(s, q);
            unsigned long cp = (unsigned long)hi;
            q += 4;
            if (hi >= 0xD800 && hi <= 0xDBFF) {
                /* A high surrogate needs its low half right behind it. */
                int lo = end - q >= 7 && q[1] == '\\' && q[2] == 'u' ? hex4(q + 3) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return ja_fail(s, q);
                cp = 0x10000 + (((unsigned long)hi - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
                q += 6;
            } else if (hi >= 0xDC00 && hi <= 0xDFFF) {
                return ja_fail(s, q);
            }
            o = put_utf8(o, cp);
            break;
        }
        default: return ja_fail(s, q);
        }
        q++;
    }
    return o;
}

/* A string at s->p (on the opening quote); returns it NUL-terminated in
 * place (over its closing quote) and leaves s->p after that quote. */
static char *ja_string(ja_t *s)
{
    char *p = s->p + 1;
    bool escaped = false;
    for (;;) {
        p += plain_run(p, s->end);
        if (p >= s->end || *p == '"')
            break;
        if ((unsigned char)*p < 0x20)
            return ja_fail(s, p); /* control characters must be escaped */
        escaped = true;           /* a backslash: skip it and the byte it escapes */
        if ((p += 2) > s->end)
            p = s->end;
    }
    if (p >= s->end)
        return ja_fail(s, s->end);
    char *raw = s->p + 1;
    char *o = p;
    if (escaped && (o = unescape(s, raw, (size_t)(p - raw), raw)) == NULL)
        return NULL;
    *o = '\0';
    s->p = p + 1;
    return raw;
}

static int saturate_int(double d)
{
    if (d >= (double)INT_MAX)
        return INT_MAX;
    if (d <= (double)INT_MIN)
        return INT_MIN;
    return (int)d;
}

static cJSON *ja_number(ja_t *s)
{
    char *p = s->p;
    const char *begin = p;
    bool neg = false, exact = true;
    if (*p == '-') {
        neg = true;
        p++;
    }
    if (p >= s->end || *p < '0' || *p > '9')
        return ja_fail(s, p);
    int64_t v = 0;
    int digits = 0;
    if (*p == '0') {
        p++;
        digits = 1;
    } else {
        while (p < s->end && *p >= '0' && *p <= '9') {
            if (++digits <= JA_EXACT_DIGITS)
                v = v * 10 + (*p - '0');
            p++;
        }
    }
    if (digits > JA_EXACT_DIGITS)
        exact = false;
    if (p < s->end && *p == '.') {
        exact = false;
        p++;
        if (p >= s->end || *p < '0' || *p > '9')
            return ja_fail(s, p);
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        exact = false;
        p++;
        if (p < s->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= s->end || *p < '0' || *p > '9')
            return ja_fail(s, p);
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    }
    double d;
    if (exact) {
        d = (double)(neg ? -v : v);
    } else {
        /* The grammar above already checked the text, and the copy ends in
         * a NUL, so strtod reads exactly these bytes. */
        d = strtod(begin, NULL);
    }
    cJSON *node = ja_node(s, cJSON_Number);
    node->valuedouble = d;
    node->valueint = saturate_int(d);
    s->p = p;
    return node;
}

static cJSON *ja_value(ja_t *s);

/* Links item as the last child of parent, keeping cJSON's convention that
 * the first child's prev points at the last one. */
static void ja_append(cJSON *parent, cJSON *item, cJSON **last)
{
    if (*last == NULL) {
        parent->child = item;
    } else {
        (*last)->next = item;
        item->prev = *last;
    }
    *last = item;
    parent->child->prev = item;
}

/* After a member: 1 on a comma (another follows), 0 on close (consumed), -1 otherwise. */
static int ja_more(ja_t *s, char close)
{
    ja_skip_ws(s);
    if (s->p >= s->end)
        return -1;
    if (*s->p == ',' || *s->p == close)
        return *s->p++ == ',';
    return -1;
}

static cJSON *ja_array(ja_t *s)
{
    cJSON *arr = ja_node(s, cJSON_Array), *last = NULL;
    s->p++;
    ja_skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return arr;
    }
    for (;;) {
        cJSON *item = ja_value(s);
        if (item == NULL)
            return NULL;
        ja_append(arr, item, &last);
        int more = ja_more(s, ']');
        if (more < 0)
            return ja_fail(s, s->p);
        if (!more)
            return arr;
    }
}

static cJSON *ja_object(ja_t *s)
{
    cJSON *obj = ja_node(s, cJSON_Object), *last = NULL;
    s->p++;
    ja_skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return obj;
    }
    for (;;) {
        ja_skip_ws(s);
        if (s->p >= s->end || *s->p != '"')
            return ja_fail(s, s->p);
        char *key = ja_string(s);
        if (key == NULL)
            return NULL;
        ja_skip_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return ja_fail(s, s->p);
        s->p++;
        cJSON *item = ja_value(s);
        if (item == NULL)
            return NULL;
        item->string = key;
        ja_append(obj, item, &last);
        int more = ja_more(s, '}');
        if (more < 0)
            return ja_fail(s, s->p);
        if (!more)
            return obj;
    }
}

static cJSON *ja_literal(ja_t *s, const char *word, size_t n, int type)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return ja_fail(s, s->p);
    s->p += n;
    cJSON *node = ja_node(s, type);
    if (type == cJSON_True)
        node->valueint = 1;
    return node;
}

static cJSON *ja_value(ja_t *s)
{
    ja_skip_ws(s);
    if (s->p >= s->end)
        return ja_fail(s, s->p);
    switch (*s->p) {
    case '{':
    case '[': {
        if (++s->depth > JA_MAX_DEPTH)
            return ja_fail(s, s->p);
        cJSON *n = *s->p == '{' ? ja_object(s) : ja_array(s);
        s->depth--;
        return n;
    }
    case '"': {
        char *str = ja_string(s);
        if (str == NULL)
            return NULL;
        cJSON *n = ja_node(s, cJSON_String);
        n->valuestring = str;
        return n;
    }
    case 't': return ja_literal(s, "true", 4, cJSON_True);
    case 'f': return ja_literal(s, "false", 5, cJSON_False);
    case 'n': return ja_literal(s, "null", 4, cJSON_NULL);
    default: return ja_number(s);
    }
}

cJSON *adm__json_parse_arena(const char *data, size_t len, rg_arena_t *arena, rg_error_t *err)
{
    if (data == NULL || len == 0) {
        rg_error_set(err, RG_ERR_PARSE, "malformed JSON at byte 0: empty input");
        return NULL;
    }
    ja_t s = {.arena = arena};
    char *text = ja_alloc(&s, len + 1);
    memcpy(text, data, len);
    text[len] = '\0';
    s.p = text;
    s.end = text + len;
    cJSON *root = ja_value(&s);
    if (root == NULL) {
        /* Like cJSON, a fault at the very end is reported on the last byte. */
        size_t off = (size_t)(s.fail - text);
        if (off >= len)
            off = len - 1;
        rg_error_set(err, RG_ERR_PARSE, "malformed JSON at byte %zu", off);
        return NULL;
    }
    /* Whitespace (and NUL padding) may follow the value; nothing else. */
    const char *p = s.p;
    while (p < s.end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == '\0'))
        p++;
    if (p < s.end) {
        rg_error_set(err, RG_ERR_PARSE, "malformed JSON at byte %zu: trailing data",
                     (size_t)(p - text));
        return NULL;
    }
    return root;
}

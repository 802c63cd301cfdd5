/*
 * Standard base64 (RFC 4648 section 4, with padding, no line breaks), the
 * encoding of AdmissionResponse.patch. Streaming so no copy of the patch
 * text is needed.
 */
#include "admission/internal.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_group(char *dst, unsigned a, unsigned b, unsigned c)
{
    unsigned v = (a << 16) | (b << 8) | c;
    dst[0] = b64_alphabet[(v >> 18) & 63];
    dst[1] = b64_alphabet[(v >> 12) & 63];
    dst[2] = b64_alphabet[(v >> 6) & 63];
    dst[3] = b64_alphabet[v & 63];
}

void adm__b64_begin(adm__b64_t *s, rg_buf_t *out)
{
    s->out = out;
    s->n_carry = 0;
}

void adm__b64_feed(adm__b64_t *s, const void *data, size_t len)
{
    const unsigned char *in = data;
    if (len == 0)
        return;
    /* Complete a group started by the previous chunk. */
    while (s->n_carry > 0 && s->n_carry < 3 && len > 0) {
        if (s->n_carry == 2) {
            char g[4];
            put_group(g, s->carry[0], s->carry[1], in[0]);
            rg_buf_append(s->out, g, 4);
            in++, len--;
            s->n_carry = 0;
            break;
        }
        s->carry[s->n_carry++] = *in++;
        len--;
    }
    if (s->n_carry > 0)
        return; /* still short of a group, and len is 0 */
    size_t groups = len / 3;
    rg_buf_reserve(s->out, groups * 4);
    char *dst = s->out->data + s->out->len;
    for (size_t i = 0; i < groups; i++, in += 3, dst += 4)
        put_group(dst, in[0], in[1], in[2]);
    s->out->len += groups * 4;
    s->out->data[s->out->len] = '\0';
    len -= groups * 3;
    for (size_t i = 0; i < len; i++)
        s->carry[s->n_carry++] = in[i];
}

void adm__b64_end(adm__b64_t *s)
{
    char g[4];
    if (s->n_carry == 1) {
        put_group(g, s->carry[0], 0, 0);
        g[2] = g[3] = '=';
        rg_buf_append(s->out, g, 4);
    } else if (s->n_carry == 2) {
        put_group(g, s->carry[0], s->carry[1], 0);
        g[3] = '=';
        rg_buf_append(s->out, g, 4);
    }
    s->n_carry = 0;
}

void adm_base64_append(rg_buf_t *out, const void *data, size_t len)
{
    adm__b64_t s;
    adm__b64_begin(&s, out);
    adm__b64_feed(&s, data, len);
    adm__b64_end(&s);
    if (out->data == NULL)
        rg_buf_reserve(out, 0), out->data[0] = '\0';
}

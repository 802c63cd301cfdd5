/*
 * A growable byte buffer, the building block of every encoder (JSON
 * responses, audit lines, Prometheus text). The caller owns the struct;
 * rg_buf_release frees its data. Not thread-safe: one owner at a time.
 */
#ifndef RAYGATE_BUF_H
#define RAYGATE_BUF_H

#include <stddef.h>

typedef struct rg_buf {
    char *data; /* always NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
} rg_buf_t;

#define RG_BUF_INIT {NULL, 0, 0}

void rg_buf_init(rg_buf_t *b);
/* Frees the data and resets to empty. */
void rg_buf_release(rg_buf_t *b);
/* Ensures room for extra more bytes plus the terminator. */
void rg_buf_reserve(rg_buf_t *b, size_t extra);
void rg_buf_append(rg_buf_t *b, const void *data, size_t len);
void rg_buf_append_str(rg_buf_t *b, const char *s);
void rg_buf_append_char(rg_buf_t *b, char c);
void rg_buf_appendf(rg_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included, escaped per RFC 8259. */
void rg_buf_append_json_str(rg_buf_t *b, const char *s);
void rg_buf_append_json_strn(rg_buf_t *b, const char *s, size_t len);
/* Empties the buffer but keeps its memory. */
void rg_buf_clear(rg_buf_t *b);
/* Hands the data to the caller (free with rg_free) and resets the buffer. */
char *rg_buf_detach(rg_buf_t *b, size_t *len_out);

#endif

/*
 * A bump allocator for one request's short-lived memory: many small
 * allocations, one free. The caller owns the arena struct. Not thread-safe:
 * a request is handled by one thread at a time.
 */
#ifndef RAYGATE_ARENA_H
#define RAYGATE_ARENA_H

#include <stddef.h>

typedef struct rg_arena_block rg_arena_block_t;

typedef struct rg_arena {
    rg_arena_block_t *head;
    size_t block_size;
} rg_arena_t;

/* block_size 0 picks 4 KiB. */
void rg_arena_init(rg_arena_t *a, size_t block_size);
/* Frees every block; the arena may be reused after rg_arena_init. */
void rg_arena_release(rg_arena_t *a);
/* Returns memory (16-byte aligned) owned by the arena; never NULL. */
void *rg_arena_alloc(rg_arena_t *a, size_t size);
char *rg_arena_strdup(rg_arena_t *a, const char *s);
char *rg_arena_strndup(rg_arena_t *a, const char *s, size_t n);
char *rg_arena_sprintf(rg_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

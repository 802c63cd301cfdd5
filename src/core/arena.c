/*
 * Bump allocation in linked blocks; allocations larger than a block get a
 * block of their own so the arena never wastes more than one block tail.
 */
#include "raygate/arena.h"

#include "raygate/alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct rg_arena_block {
    rg_arena_block_t *next;
    size_t used;
    size_t size;
    _Alignas(16) unsigned char data[];
};

void rg_arena_init(rg_arena_t *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 4096;
}

void rg_arena_release(rg_arena_t *a)
{
    rg_arena_block_t *b = a->head;
    while (b) {
        rg_arena_block_t *next = b->next;
        rg_free(b);
        b = next;
    }
    a->head = NULL;
}

static rg_arena_block_t *block_new(size_t size)
{
    rg_arena_block_t *b = rg_malloc(sizeof(*b) + size);
    b->next = NULL;
    b->used = 0;
    b->size = size;
    return b;
}

void *rg_arena_alloc(rg_arena_t *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size == 0)
        size = 16;
    rg_arena_block_t *b = a->head;
    if (b && b->size - b->used >= size) {
        void *p = b->data + b->used;
        b->used += size;
        return p;
    }
    if (size > a->block_size / 2) {
        /* Oversized: its own block, linked behind the current head so the
         * head's free tail stays usable. */
        rg_arena_block_t *big = block_new(size);
        big->used = size;
        if (b) {
            big->next = b->next;
            b->next = big;
        } else {
            a->head = big;
        }
        return big->data;
    }
    rg_arena_block_t *nb = block_new(a->block_size);
    nb->next = a->head;
    a->head = nb;
    nb->used = size;
    return nb->data;
}

char *rg_arena_strndup(rg_arena_t *a, const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = rg_arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *rg_arena_strdup(rg_arena_t *a, const char *s)
{
    return rg_arena_strndup(a, s, SIZE_MAX);
}

char *rg_arena_sprintf(rg_arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = rg_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/*
 * A string-keyed hash map (open addressing, linear probing, backward-shift
 * deletion) from a borrowed key to a borrowed value. The key must stay
 * valid and unchanged while its entry is in the map: callers usually point
 * it into the value itself. Not thread-safe: one owner at a time.
 */
#ifndef RAYGATE_STRMAP_H
#define RAYGATE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rg_strmap_slot {
    const char *key; /* NULL: empty */
    void *value;
} rg_strmap_slot_t;

typedef struct rg_strmap {
    rg_strmap_slot_t *slots;
    size_t cap; /* a power of two, or 0 */
    size_t n;
} rg_strmap_t;

#define RG_STRMAP_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Frees the table (not the keys or values) and empties the map. */
void rg_strmap_release(rg_strmap_t *m);
/* Calls fn on every value (NULL fn: nothing), then releases the map. */
void rg_strmap_release_with(rg_strmap_t *m, void (*fn)(void *value));
/* The value of key, or NULL. */
void *rg_strmap_get(const rg_strmap_t *m, const char *key);
/* Sets key to value (replacing and returning the old value, else NULL). */
void *rg_strmap_put(rg_strmap_t *m, const char *key, void *value);
/* Removes key; returns its value, or NULL when absent. */
void *rg_strmap_del(rg_strmap_t *m, const char *key);
/*
 * Iteration: for (size_t i = 0; rg_strmap_next(m, &i, &k, &v);) ... visits
 * every entry once in table order; the map must not change meanwhile.
 */
bool rg_strmap_next(const rg_strmap_t *m, size_t *iter, const char **key, void **value);

#endif

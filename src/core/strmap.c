/*
 * The string-keyed hash map: FNV-1a hashing, linear probing, growth at
 * 70% load and backward-shift deletion (no tombstones, so lookups stay
 * short under churn).
 */
#include "raygate/strmap.h"

#include "raygate/alloc.h"

#include <stdint.h>
#include <string.h>

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

void rg_strmap_release(rg_strmap_t *m)
{
    rg_free(m->slots);
    *m = (rg_strmap_t)RG_STRMAP_INIT;
}

void rg_strmap_release_with(rg_strmap_t *m, void (*fn)(void *value))
{
    for (size_t i = 0; fn && i < m->cap; i++)
        if (m->slots[i].key != NULL)
            fn(m->slots[i].value);
    rg_strmap_release(m);
}

static size_t find(const rg_strmap_t *m, const char *key, bool *found)
{
    size_t mask = m->cap - 1;
    for (size_t i = hash_key(key) & mask;; i = (i + 1) & mask) {
        if (m->slots[i].key == NULL) {
            *found = false;
            return i;
        }
        if (strcmp(m->slots[i].key, key) == 0) {
            *found = true;
            return i;
        }
    }
}

void *rg_strmap_get(const rg_strmap_t *m, const char *key)
{
    if (m->n == 0)
        return NULL;
    bool found;
    size_t i = find(m, key, &found);
    return found ? m->slots[i].value : NULL;
}

static void grow(rg_strmap_t *m)
{
    rg_strmap_t bigger = {rg_calloc(m->cap ? m->cap * 2 : 16, sizeof(rg_strmap_slot_t)),
                          m->cap ? m->cap * 2 : 16, 0};
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key == NULL)
            continue;
        bool found;
        size_t j = find(&bigger, m->slots[i].key, &found);
        bigger.slots[j] = m->slots[i];
        bigger.n++;
    }
    rg_free(m->slots);
    *m = bigger;
}

void *rg_strmap_put(rg_strmap_t *m, const char *key, void *value)
{
    if ((m->n + 1) * 10 > m->cap * 7)
        grow(m);
    bool found;
    size_t i = find(m, key, &found);
    void *old = found ? m->slots[i].value : NULL;
    if (!found)
        m->n++;
    m->slots[i] = (rg_strmap_slot_t){key, value};
    return old;
}

void *rg_strmap_del(rg_strmap_t *m, const char *key)
{
    if (m->n == 0)
        return NULL;
    bool found;
    size_t i = find(m, key, &found);
    if (!found)
        return NULL;
    void *old = m->slots[i].value;
    size_t mask = m->cap - 1;
    /* Shift back every later entry of the run that may move closer home. */
    for (size_t j = (i + 1) & mask; m->slots[j].key != NULL; j = (j + 1) & mask) {
        size_t home = hash_key(m->slots[j].key) & mask;
        bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i] = (rg_strmap_slot_t){0};
    m->n--;
    return old;
}

bool rg_strmap_next(const rg_strmap_t *m, size_t *iter, const char **key, void **value)
{
    for (; *iter < m->cap; (*iter)++) {
        if (m->slots[*iter].key != NULL) {
            *key = m->slots[*iter].key;
            *value = m->slots[*iter].value;
            (*iter)++;
            return true;
        }
    }
    return false;
}

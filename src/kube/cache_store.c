/*
 * One kind's store: the writer's hash map of current objects, the changes
 * pending since the last publish, and the published snapshot readers take.
 * A publish merges the pending objects into the previous snapshot's sorted
 * arrays (O(n + d log d)) instead of re-sorting, so a large, busy store
 * does not pay a full sort per rebuild.
 */
#include "cache_internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD "cache"

/* ---- the hash map (writer side) ---- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static size_t map_find(const cache_store_t *st, const char *key)
{
    size_t mask = st->cap - 1;
    for (size_t i = hash_str(key) & mask;; i = (i + 1) & mask) {
        if (!st->slots[i] || strcmp(st->slots[i]->key, key) == 0)
            return i;
    }
}

static void map_grow(cache_store_t *st)
{
    cache_obj_t **old = st->slots;
    size_t old_cap = st->cap;
    st->cap = old_cap ? old_cap * 2 : 64;
    st->slots = rg_calloc(st->cap, sizeof *st->slots);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            st->slots[map_find(st, old[i]->key)] = old[i];
    rg_free(old);
}

static cache_obj_t *map_get(const cache_store_t *st, const char *key)
{
    if (!st->cap)
        return NULL;
    return st->slots[map_find(st, key)];
}

/* Stores o (taking its reference); returns the object it replaced, or NULL. */
static cache_obj_t *map_put(cache_store_t *st, cache_obj_t *o)
{
    if ((st->count + 1) * 10 > st->cap * 7)
        map_grow(st);
    size_t i = map_find(st, o->key);
    cache_obj_t *old = st->slots[i];
    st->slots[i] = o;
    if (!old)
        st->count++;
    return old;
}

/* Removes key with backward-shift deletion; returns the object (its ref) or NULL. */
static cache_obj_t *map_del(cache_store_t *st, const char *key)
{
    if (!st->cap)
        return NULL;
    size_t mask = st->cap - 1;
    size_t i = map_find(st, key);
    cache_obj_t *o = st->slots[i];
    if (!o)
        return NULL;
    st->slots[i] = NULL;
    st->count--;
    for (size_t j = (i + 1) & mask; st->slots[j]; j = (j + 1) & mask) {
        size_t home = hash_str(st->slots[j]->key) & mask;
        /* Move j back into the hole at i unless its home lies cyclically in (i, j]. */
        bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            st->slots[i] = st->slots[j];
            st->slots[j] = NULL;
            i = j;
        }
    }
    return o;
}

/* ---- snapshots ---- */

static cache_snapshot_t *snapshot_empty(cache_kind_t kind)
{
    cache_snapshot_t *s = rg_calloc(1, sizeof *s);
    atomic_init(&s->refs, 1);
    s->kind = kind;
    return s;
}

static void snapshot_free(cache_snapshot_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        cache_obj_unref(s->objs[i]);
    rg_free(s->objs);
    rg_free(s->idx[0]);
    rg_free(s->idx[1]);
    rg_free(s);
}

void cache_snapshot_release(cache_snapshot_t *s)
{
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        snapshot_free(s);
}

static int cmp_key(const void *a, const void *b)
{
    const cache_obj_t *x = *(cache_obj_t *const *)a, *y = *(cache_obj_t *const *)b;
    return strcmp(x->key, y->key);
}

static int cmp_ikey0(const void *a, const void *b)
{
    const cache_obj_t *x = *(cache_obj_t *const *)a, *y = *(cache_obj_t *const *)b;
    int c = strcmp(x->ikey[0], y->ikey[0]);
    return c ? c : strcmp(x->key, y->key);
}

static int cmp_ikey1(const void *a, const void *b)
{
    const cache_obj_t *x = *(cache_obj_t *const *)a, *y = *(cache_obj_t *const *)b;
    int c = strcmp(x->ikey[1], y->ikey[1]);
    return c ? c : strcmp(x->key, y->key);
}

typedef int (*cmp_fn)(const void *, const void *);

/*
 * The live members of old (not dead) merged with the live members of add
 * (sorted here) that pass keep; returns an owned array of *out_n.
 */
static cache_obj_t **merge(cache_obj_t **old, size_t old_n, cache_obj_t **add, size_t add_n,
                           int slot, cmp_fn cmp, size_t *out_n)
{
    cache_obj_t **fresh = rg_malloc((add_n ? add_n : 1) * sizeof *fresh);
    size_t fn = 0;
    for (size_t i = 0; i < add_n; i++)
        if (!add[i]->dead && (slot < 0 || add[i]->ikey[slot]))
            fresh[fn++] = add[i];
    qsort(fresh, fn, sizeof *fresh, cmp);
    cache_obj_t **out = rg_malloc((old_n + fn ? old_n + fn : 1) * sizeof *out);
    size_t i = 0, j = 0, n = 0;
    while (i < old_n || j < fn) {
        if (i < old_n && old[i]->dead) {
            i++;
            continue;
        }
        if (j >= fn || (i < old_n && cmp(&old[i], &fresh[j]) <= 0))
            out[n++] = old[i++];
        else
            out[n++] = fresh[j++];
    }
    rg_free(fresh);
    *out_n = n;
    return out;
}

static void swap_in(cache_store_t *st, cache_snapshot_t *s)
{
    pthread_mutex_lock(&st->snap_mu);
    cache_snapshot_t *old = st->cur;
    st->cur = s;
    pthread_mutex_unlock(&st->snap_mu);
    cache_snapshot_release(old);
}

/* Builds and swaps in a new snapshot; st->mu held. */
static void publish_locked(cache_store_t *st)
{
    const cache__kind_info_t *ki = cache__kind_info(st->kind);
    cache_snapshot_t *prev = st->cur; /* only the writer side swaps it, under mu */
    cache_snapshot_t *s = rg_calloc(1, sizeof *s);
    atomic_init(&s->refs, 1);
    s->kind = st->kind;
    s->synced = st->stats.synced;
    s->seq = ++st->seq;

    static const cmp_fn icmp[2] = {cmp_ikey0, cmp_ikey1};
    if (st->full_rebuild) {
        s->objs = rg_malloc((st->count ? st->count : 1) * sizeof *s->objs);
        for (size_t i = 0; i < st->cap; i++)
            if (st->slots[i])
                s->objs[s->n++] = st->slots[i];
        qsort(s->objs, s->n, sizeof *s->objs, cmp_key);
        for (int x = 0; x < 2; x++) {
            if (ki->index[x] == CACHE__IDX_NONE)
                continue;
            s->idx[x] = rg_malloc((s->n ? s->n : 1) * sizeof *s->idx[x]);
            for (size_t i = 0; i < s->n; i++)
                if (s->objs[i]->ikey[x])
                    s->idx[x][s->idx_n[x]++] = s->objs[i];
            qsort(s->idx[x], s->idx_n[x], sizeof *s->idx[x], icmp[x]);
        }
    } else {
        s->objs = merge(prev->objs, prev->n, st->added, st->added_n, -1, cmp_key, &s->n);
        for (int x = 0; x < 2; x++) {
            if (ki->index[x] == CACHE__IDX_NONE)
                continue;
            s->idx[x] = merge(prev->idx[x], prev->idx_n[x], st->added, st->added_n, x, icmp[x],
                              &s->idx_n[x]);
        }
    }
    for (size_t i = 0; i < s->n; i++)
        cache_obj_ref(s->objs[i]);
    for (size_t i = 0; i < st->added_n; i++)
        cache_obj_unref(st->added[i]);
    st->added_n = 0;
    st->dirty = false;
    st->full_rebuild = false;
    st->last_publish_ns = rg_time_mono_ns();
    st->stats.publishes++;
    swap_in(st, s);
}

void cache__store_publish(cache_store_t *st, bool force)
{
    pthread_mutex_lock(&st->mu);
    bool due = st->dirty && (force || rg_time_mono_ns() - st->last_publish_ns >=
                                          (int64_t)st->publish_interval_ms * 1000000);
    if (due)
        publish_locked(st);
    pthread_mutex_unlock(&st->mu);
}

cache_snapshot_t *cache__store_acquire(cache_store_t *st)
{
    pthread_mutex_lock(&st->snap_mu);
    cache_snapshot_t *s = st->cur;
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&st->snap_mu);
    return s;
}

/* ---- store lifecycle and writes ---- */

void cache__store_init(cache_store_t *st, cache_set_t *set, cache_kind_t kind, bool enabled,
                       unsigned publish_interval_ms)
{
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->enabled = enabled;
    st->set = set;
    st->publish_interval_ms = publish_interval_ms;
    /* The interval counts from creation too, or the first batch of events
     * would be published one by one on a machine up for longer than it. */
    st->last_publish_ns = rg_time_mono_ns();
    st->stats.enabled = enabled;
    pthread_mutex_init(&st->mu, NULL);
    pthread_mutex_init(&st->snap_mu, NULL);
    st->cur = snapshot_empty(kind);
}

void cache__store_release(cache_store_t *st)
{
    for (size_t i = 0; i < st->cap; i++)
        cache_obj_unref(st->slots[i]);
    rg_free(st->slots);
    for (size_t i = 0; i < st->added_n; i++)
        cache_obj_unref(st->added[i]);
    rg_free(st->added);
    cache_snapshot_release(st->cur);
    pthread_mutex_destroy(&st->mu);
    pthread_mutex_destroy(&st->snap_mu);
    memset(st, 0, sizeof *st);
}

static void added_push(cache_store_t *st, cache_obj_t *o)
{
    if (st->added_n == st->added_cap) {
        st->added_cap = st->added_cap ? st->added_cap * 2 : 64;
        st->added = rg_realloc(st->added, st->added_cap * sizeof *st->added);
    }
    cache_obj_ref(o);
    st->added[st->added_n++] = o;
    st->dirty = true;
    /* Past a quarter of the store a full sort is cheaper than merging. */
    if (st->added_n > 64 && st->added_n > st->count / 4)
        st->full_rebuild = true;
}

static void call_handlers(cache_store_t *st, cache_event_t ev, const cache_obj_t *old_obj,
                          const cache_obj_t *new_obj)
{
    for (size_t i = 0; i < st->nhandlers; i++)
        st->handlers[i].fn(st->handlers[i].arg, st->kind, ev, old_obj, new_obj);
}

static bool same_version(const cache_obj_t *a, const cache_obj_t *b)
{
    return *a->resource_version && strcmp(a->resource_version, b->resource_version) == 0;
}

cache_obj_t *cache__store_lookup(cache_store_t *st, const char *key)
{
    pthread_mutex_lock(&st->mu);
    cache_obj_t *o = map_get(st, key);
    cache_obj_ref(o);
    pthread_mutex_unlock(&st->mu);
    return o;
}

int cache__store_apply(cache_store_t *st, kube_event_type_t type, const cJSON *object,
                       rg_error_t *err)
{
    if (type == KUBE_EVENT_DELETED) {
        char key[CACHE__MAX_KEY];
        int rc = cache__key_of(st, object, key, sizeof key, err);
        if (rc < 0)
            return rc;
        pthread_mutex_lock(&st->mu);
        cache_obj_t *old = map_del(st, key);
        if (old) {
            old->dead = true;
            st->dirty = true;
        }
        st->stats.events++;
        st->stats.objects = st->count;
        pthread_mutex_unlock(&st->mu);
        if (old) {
            call_handlers(st, CACHE_EVENT_DELETE, old, NULL);
            cache_obj_unref(old);
        }
        cache__store_publish(st, false);
        return 0;
    }
    if (type != KUBE_EVENT_ADDED && type != KUBE_EVENT_MODIFIED)
        return rg_error_set(err, RG_ERR_INVAL, "cache: event type %d is not applied", (int)type);

    cache_obj_t *o = cache__obj_new(st, object, NULL, err);
    if (!o)
        return err ? err->code : RG_ERR_INVAL;
    pthread_mutex_lock(&st->mu);
    st->stats.events++;
    cache_obj_t *old = map_get(st, o->key);
    if (old && same_version(old, o)) {
        pthread_mutex_unlock(&st->mu);
        cache_obj_unref(o);
        return 0;
    }
    map_put(st, o);
    if (old)
        old->dead = true;
    added_push(st, o);
    st->stats.objects = st->count;
    pthread_mutex_unlock(&st->mu);
    /* The store's reference to old is now ours; o stays alive through the store's. */
    call_handlers(st, old ? CACHE_EVENT_UPDATE : CACHE_EVENT_ADD, old, o);
    cache_obj_unref(old);
    cache__store_publish(st, false);
    return 0;
}

typedef struct change {
    cache_event_t ev;
    cache_obj_t *old_obj; /* a reference, or NULL */
    cache_obj_t *new_obj; /* borrowed from the store, or NULL */
} change_t;

void cache__store_replace(cache_store_t *st, cache_obj_t **objs, size_t n)
{
    change_t *ch = rg_malloc((n ? n : 1) * sizeof *ch);
    size_t nch = 0, chcap = n ? n : 1;

    pthread_mutex_lock(&st->mu);
    uint64_t gen = ++st->seen_gen;
    for (size_t i = 0; i < n; i++) {
        cache_obj_t *o = objs[i];
        cache_obj_t *old = map_get(st, o->key);
        if (old && old->seen != gen && same_version(old, o)) {
            old->seen = gen;
            cache_obj_unref(o);
            continue;
        }
        o->seen = gen;
        map_put(st, o);
        if (old)
            old->dead = true;
        added_push(st, o);
        ch[nch++] = (change_t){old ? CACHE_EVENT_UPDATE : CACHE_EVENT_ADD, old, o};
    }
    /* Whatever the new listing lacks was deleted while we were not watching. */
    size_t ngone = 0;
    cache_obj_t **gone = NULL;
    for (size_t i = 0; i < st->cap; i++) {
        cache_obj_t *o = st->slots[i];
        if (o && o->seen != gen) {
            if (!gone)
                gone = rg_malloc(st->count * sizeof *gone);
            gone[ngone++] = o;
        }
    }
    if (nch + ngone > chcap)
        ch = rg_realloc(ch, (nch + ngone) * sizeof *ch);
    for (size_t i = 0; i < ngone; i++) {
        cache_obj_t *o = map_del(st, gone[i]->key);
        o->dead = true;
        st->dirty = true;
        ch[nch++] = (change_t){CACHE_EVENT_DELETE, o, NULL};
    }
    rg_free(gone);
    st->stats.objects = st->count;
    st->stats.synced = true;
    st->stats.lists++;
    if (st->stats.lists > 1)
        st->stats.relists++;
    st->full_rebuild = true;
    publish_locked(st);
    pthread_mutex_unlock(&st->mu);

    for (size_t i = 0; i < nch; i++) {
        call_handlers(st, ch[i].ev, ch[i].old_obj, ch[i].new_obj);
        cache_obj_unref(ch[i].old_obj);
    }
    rg_free(ch);
}

void cache__store_error(cache_store_t *st, const char *msg)
{
    pthread_mutex_lock(&st->mu);
    st->stats.errors++;
    snprintf(st->stats.last_error, sizeof st->stats.last_error, "%s", msg);
    pthread_mutex_unlock(&st->mu);
}

/* ---- snapshot readers ---- */

size_t cache_snapshot_count(const cache_snapshot_t *s)
{
    return s ? s->n : 0;
}

const cache_obj_t *cache_snapshot_at(const cache_snapshot_t *s, size_t i)
{
    return s && i < s->n ? s->objs[i] : NULL;
}

cache_kind_t cache_snapshot_kind(const cache_snapshot_t *s)
{
    return s->kind;
}

bool cache_snapshot_synced(const cache_snapshot_t *s)
{
    return s && s->synced;
}

uint64_t cache_snapshot_seq(const cache_snapshot_t *s)
{
    return s ? s->seq : 0;
}

/* Builds "a/b" or "b" into buf; false when it does not fit. */
static bool join_key(char *buf, size_t size, const char *a, const char *b)
{
    int n = (a && *a) ? snprintf(buf, size, "%s/%s", a, b) : snprintf(buf, size, "%s", b);
    return n >= 0 && (size_t)n < size;
}

const cache_obj_t *cache_snapshot_get(const cache_snapshot_t *s, const char *ns, const char *name)
{
    char key[CACHE__MAX_KEY];
    if (!s || !name || !join_key(key, sizeof key, ns, name))
        return NULL;
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->objs[mid]->key, key);
        if (c == 0)
            return s->objs[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The run of idx entries whose ikey[slot] equals ikey. */
static size_t index_range(const cache_snapshot_t *s, int which, const char *ikey,
                          const cache_obj_t *const **out)
{
    *out = NULL;
    const cache__kind_info_t *ki = cache__kind_info(s->kind);
    int slot = ki->index[0] == which ? 0 : ki->index[1] == which ? 1 : -1;
    if (slot < 0)
        return 0;
    cache_obj_t **a = s->idx[slot];
    size_t n = s->idx_n[slot], lo = 0, hi = n;
    while (lo < hi) { /* first entry >= ikey */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(a[mid]->ikey[slot], ikey) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < n && strcmp(a[end]->ikey[slot], ikey) == 0)
        end++;
    if (end == lo)
        return 0;
    *out = (const cache_obj_t *const *)(a + lo);
    return end - lo;
}

size_t cache_snapshot_pods_on_node(const cache_snapshot_t *s, const char *node,
                                   const cache_obj_t *const **out)
{
    *out = NULL;
    if (!s || !node || !*node)
        return 0;
    return index_range(s, CACHE__IDX_NODE, node, out);
}

size_t cache_snapshot_pods_of_cluster(const cache_snapshot_t *s, const char *ns,
                                      const char *cluster, const cache_obj_t *const **out)
{
    char k[CACHE__MAX_KEY];
    *out = NULL;
    if (!s || !ns || !*ns || !cluster || !join_key(k, sizeof k, ns, cluster))
        return 0;
    return index_range(s, CACHE__IDX_CLUSTER, k, out);
}

size_t cache_snapshot_by_queue(const cache_snapshot_t *s, const char *ns, const char *queue,
                               const cache_obj_t *const **out)
{
    char k[CACHE__MAX_KEY];
    *out = NULL;
    if (!s || !ns || !*ns || !queue || !join_key(k, sizeof k, ns, queue))
        return 0;
    return index_range(s, CACHE__IDX_QUEUE, k, out);
}

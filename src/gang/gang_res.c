/*
 * Resource names interned into small ids, and integer resource lists in
 * kube-scheduler's units (millicores for cpu, whole units otherwise), so
 * that fit checks over thousands of nodes compare integers.
 */
#include "raygate/gang.h"

#include "raygate/alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* Open addressing over twice the cap keeps probes short. */
#define TABLE_SIZE (GANG_RES_NAMES_MAX * 2)

static pthread_mutex_t intern_mu = PTHREAD_MUTEX_INITIALIZER;
static char *names[GANG_RES_NAMES_MAX];
static uint16_t table[TABLE_SIZE]; /* id + 1; 0 = empty */
static size_t n_names;

static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

gang_rid_t gang_res_intern(const char *name)
{
    if (name == NULL || *name == '\0' || strlen(name) > PODSPEC_RESOURCE_NAME_MAX)
        return GANG_RID_NONE;
    uint32_t slot = hash_name(name) % TABLE_SIZE;
    gang_rid_t id = GANG_RID_NONE;
    pthread_mutex_lock(&intern_mu);
    for (;;) {
        uint16_t e = table[slot];
        if (e == 0) {
            if (n_names < GANG_RES_NAMES_MAX) {
                names[n_names] = rg_strdup(name);
                table[slot] = (uint16_t)(n_names + 1);
                id = (gang_rid_t)n_names++;
            }
            break;
        }
        if (strcmp(names[e - 1], name) == 0) {
            id = (gang_rid_t)(e - 1);
            break;
        }
        slot = (slot + 1) % TABLE_SIZE;
    }
    pthread_mutex_unlock(&intern_mu);
    return id;
}

const char *gang_res_name(gang_rid_t id)
{
    pthread_mutex_lock(&intern_mu);
    const char *s = id < n_names ? names[id] : "?";
    pthread_mutex_unlock(&intern_mu);
    return s;
}

void gang_rvec_release(gang_rvec_t *r)
{
    if (r == NULL)
        return;
    rg_free(r->v);
    r->v = NULL;
    r->n = 0;
}

void gang_rvec_copy(gang_rvec_t *dst, const gang_rvec_t *src)
{
    gang_rvec_release(dst);
    if (src->n == 0)
        return;
    dst->v = rg_malloc(src->n * sizeof(*dst->v));
    memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
    dst->n = src->n;
}

int64_t gang_rvec_get(const gang_rvec_t *r, gang_rid_t id)
{
    for (uint32_t i = 0; i < r->n; i++)
        if (r->v[i].id == id)
            return r->v[i].v;
    return 0;
}

static int cmp_amount(const void *a, const void *b)
{
    const gang_amount_t *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

void gang_rvec_from_reqs(const podspec_reqs_t *reqs, gang_rvec_t *out)
{
    gang_rvec_release(out);
    if (reqs->n == 0)
        return;
    out->v = rg_malloc(reqs->n * sizeof(*out->v));
    for (size_t i = 0; i < reqs->n; i++) {
        int64_t v = 0;
        int rc = strcmp(reqs->v[i].name, "cpu") == 0 ? quota_qty_milli(&reqs->v[i].qty, &v, NULL)
                                                      : quota_qty_value(&reqs->v[i].qty, &v, NULL);
        if (rc < 0)
            v = INT64_MAX; /* beyond int64: no node offers that much */
        if (v == 0)
            continue;
        out->v[out->n++] = (gang_amount_t){gang_res_intern(reqs->v[i].name), v};
    }
    qsort(out->v, out->n, sizeof(*out->v), cmp_amount);
}

const char *gang_amount_format(gang_rid_t id, int64_t v, char *buf, size_t size)
{
    const char *name = gang_res_name(id);
    quota_qty_t q = strcmp(name, "cpu") == 0 ? quota_qty_from_milli(v, QUOTA_QTY_DECIMAL_SI)
                    : strcmp(name, "memory") == 0 || strstr(name, "storage") != NULL
                        ? quota_qty_from_int(v, QUOTA_QTY_BINARY_SI)
                        : quota_qty_from_int(v, QUOTA_QTY_DECIMAL_SI);
    quota_qty_format(&q, buf, size);
    return buf;
}

const char *gang_rvec_format(const gang_rvec_t *r, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (uint32_t i = 0; i < r->n && used + 1 < size; i++) {
        char amt[QUOTA_QTY_STR_MAX];
        gang_amount_format(r->v[i].id, r->v[i].v, amt, sizeof(amt));
        int w = snprintf(buf + used, size - used, "%s%s: %s", i ? ", " : "",
                         gang_res_name(r->v[i].id), amt);
        if (w < 0)
            break;
        used += (size_t)w < size - used ? (size_t)w : size - used - 1;
    }
    if (r->n == 0)
        snprintf(buf, size, "nothing");
    return buf;
}

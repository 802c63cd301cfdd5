/*
 * The per-object digests placement reads: a Node's allocatable, labels,
 * taints and readiness, and a Pod's requests and podSet, computed once per
 * object version on the caches' writer thread so request threads never
 * re-parse.
 */
#include "raygate/gang.h"

#include "raygate/alloc.h"
#include "raygate/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Nodes ---- */

/* Integer amounts of a resource map (allocatable or capacity); bad entries are skipped. */
static void read_amounts(const cJSON *map, gang_rvec_t *out)
{
    podspec_reqs_t reqs = {0};
    const cJSON *it;
    cJSON_ArrayForEach(it, map)
    {
        quota_qty_t q;
        if (it->string == NULL || quota_qty_parse_json(it, &q, NULL) < 0 || quota_qty_sign(&q) < 0)
            continue;
        (void)podspec_reqs_add(&reqs, it->string, &q, NULL);
    }
    gang_rvec_from_reqs(&reqs, out);
    podspec_reqs_release(&reqs);
}

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const gang_label_t *)a)->key, ((const gang_label_t *)b)->key);
}

static void read_labels(const cJSON *labels, gang_node_info_t *ni)
{
    int n = cJSON_GetArraySize(labels);
    if (n <= 0)
        return;
    ni->labels = rg_malloc((size_t)n * sizeof(*ni->labels));
    const cJSON *it;
    cJSON_ArrayForEach(it, labels)
    {
        if (it->string && cJSON_IsString(it))
            ni->labels[ni->n_labels++] = (gang_label_t){it->string, it->valuestring};
    }
    qsort(ni->labels, ni->n_labels, sizeof(*ni->labels), cmp_label);
}

static void read_taints(const cJSON *taints, gang_node_info_t *ni)
{
    int n = cJSON_GetArraySize(taints);
    if (n <= 0)
        return;
    ni->taints = rg_malloc((size_t)n * sizeof(*ni->taints));
    const cJSON *t;
    cJSON_ArrayForEach(t, taints)
    {
        const char *key = rg_json_get_string(t, "key");
        const char *effect = rg_json_get_string(t, "effect");
        const char *value = rg_json_get_string(t, "value");
        /* PreferNoSchedule only steers scoring; it never forbids a node. */
        if (key == NULL || effect == NULL ||
            (strcmp(effect, "NoSchedule") != 0 && strcmp(effect, "NoExecute") != 0))
            continue;
        ni->taints[ni->n_taints++] = (gang_taint_t){key, value ? value : "", effect};
    }
}

static size_t own_len(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static const char *own_copy(char **p, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*p, s, n);
    const char *out = *p;
    *p += n;
    return out;
}

/* Copies the strings the labels and taints point into (the node's tree) into one owned block. */
static void own_strings(gang_node_info_t *ni)
{
    size_t total = 1;
    for (uint32_t i = 0; i < ni->n_labels; i++)
        total += own_len(ni->labels[i].key) + own_len(ni->labels[i].value);
    for (uint32_t i = 0; i < ni->n_taints; i++)
        total += own_len(ni->taints[i].key) + own_len(ni->taints[i].value) +
                 own_len(ni->taints[i].effect);
    char *p = ni->strings = rg_malloc(total);
    for (uint32_t i = 0; i < ni->n_labels; i++) {
        ni->labels[i].key = own_copy(&p, ni->labels[i].key);
        ni->labels[i].value = own_copy(&p, ni->labels[i].value);
    }
    for (uint32_t i = 0; i < ni->n_taints; i++) {
        ni->taints[i].key = own_copy(&p, ni->taints[i].key);
        ni->taints[i].value = own_copy(&p, ni->taints[i].value);
        ni->taints[i].effect = own_copy(&p, ni->taints[i].effect);
    }
}

static bool read_ready(const cJSON *status)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, rg_json_get_array(status, "conditions"))
    {
        const char *type = rg_json_get_string(c, "type");
        if (type && strcmp(type, "Ready") == 0) {
            const char *st = rg_json_get_string(c, "status");
            return st && strcmp(st, "True") == 0;
        }
    }
    /* A node that reports no Ready condition yet is not known to be ready. */
    return false;
}

gang_node_info_t *gang_node_info_new(const cJSON *node)
{
    gang_node_info_t *ni = rg_calloc(1, sizeof(*ni));
    const cJSON *status = rg_json_get_object(node, "status");
    const cJSON *alloc = rg_json_get_object(status, "allocatable");
    read_amounts(alloc ? alloc : rg_json_get_object(status, "capacity"), &ni->alloc);
    read_labels(rg_json_path(node, "metadata", "labels", NULL), ni);
    const cJSON *spec = rg_json_get_object(node, "spec");
    read_taints(rg_json_get_array(spec, "taints"), ni);
    bool unsched = false;
    ni->unschedulable = rg_json_get_bool(spec, "unschedulable", &unsched) == 1 && unsched;
    ni->ready = read_ready(status);
    own_strings(ni);
    return ni;
}

void gang_node_info_free(gang_node_info_t *ni)
{
    if (ni == NULL)
        return;
    gang_rvec_release(&ni->alloc);
    rg_free(ni->labels);
    rg_free(ni->taints);
    rg_free(ni->strings);
    rg_free(ni);
}

const char *gang_node_label(const gang_node_info_t *ni, const char *key)
{
    size_t lo = 0, hi = ni->n_labels;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ni->labels[mid].key, key);
        if (c == 0)
            return ni->labels[mid].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- Pods ---- */

const char *gang_podset_of_labels(const cJSON *labels, char *buf, size_t size)
{
    const char *ps = rg_json_get_string(labels, "kueue.x-k8s.io/podset");
    if (ps && *ps)
        return ps;
    const char *type = rg_json_get_string(labels, "ray.io/node-type");
    if (type == NULL)
        return NULL;
    if (strcmp(type, "head") == 0)
        return "head";
    const char *group = rg_json_get_string(labels, "ray.io/group");
    if (group == NULL || *group == '\0' || size == 0)
        return NULL;
    /* Kueue names a worker group's podSet by its lower-cased groupName. */
    size_t i = 0;
    for (; group[i] && i + 1 < size; i++)
        buf[i] = (char)tolower((unsigned char)group[i]);
    buf[i] = '\0';
    return buf;
}

gang_pod_info_t *gang_pod_info_new(const cJSON *pod)
{
    gang_pod_info_t *pi = rg_calloc(1, sizeof(*pi));
    podspec_reqs_t reqs = {0};
    rg_error_t err = {0};
    if (podspec_requests(rg_json_get(pod, "spec"), "spec", &reqs, &err) < 0) {
        const cJSON *meta = rg_json_get_object(pod, "metadata");
        rg_log_warn("gang", "pod requests unreadable, counted as none pod=%s/%s error=\"%s\"",
                    rg_json_get_string(meta, "namespace") ? rg_json_get_string(meta, "namespace")
                                                         : "",
                    rg_json_get_string(meta, "name") ? rg_json_get_string(meta, "name") : "",
                    rg_error_str(&err));
        pi->bad_spec = true;
    }
    gang_rvec_from_reqs(&reqs, &pi->reqs);
    podspec_reqs_release(&reqs);
    char buf[256];
    const char *ps = gang_podset_of_labels(rg_json_path(pod, "metadata", "labels", NULL), buf,
                                           sizeof(buf));
    pi->podset = ps ? rg_strdup(ps) : NULL;
    const char *phase = rg_json_get_string(rg_json_get_object(pod, "status"), "phase");
    pi->holds = !(phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0));
    return pi;
}

void gang_pod_info_free(gang_pod_info_t *pi)
{
    if (pi == NULL)
        return;
    gang_rvec_release(&pi->reqs);
    rg_free(pi->podset);
    rg_free(pi);
}

/* ---- Cache wiring ---- */

static void *node_digest(void *arg, const cache_obj_t *obj, const cJSON *trimmed)
{
    (void)arg, (void)obj;
    return gang_node_info_new(trimmed);
}

static void *pod_digest(void *arg, const cache_obj_t *obj, const cJSON *trimmed)
{
    (void)arg, (void)obj;
    return gang_pod_info_new(trimmed);
}

static void node_digest_free(void *d, void *arg)
{
    (void)arg;
    gang_node_info_free(d);
}

static void pod_digest_free(void *d, void *arg)
{
    (void)arg;
    gang_pod_info_free(d);
}

int gang_digests_install(cache_set_t *set, rg_error_t *err)
{
    int rc = cache_set_set_digest(set, CACHE_KIND_NODE, node_digest, node_digest_free, NULL, err);
    if (rc == RG_OK)
        rc = cache_set_set_digest(set, CACHE_KIND_POD, pod_digest,
                                  pod_digest_free, NULL, err);
    return rc;
}

const gang_node_info_t *gang_node_info_of(const cache_obj_t *node)
{
    if (node == NULL || node->kind != CACHE_KIND_NODE)
        return NULL;
    return node->digest;
}

const gang_pod_info_t *gang_pod_info_of(const cache_obj_t *pod)
{
    if (pod == NULL || pod->kind != CACHE_KIND_POD)
        return NULL;
    return pod->digest;
}

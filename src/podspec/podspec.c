/*
 * Pod requests as kube-scheduler counts them (component-helpers'
 * PodRequests) with Kueue's limits-as-missing-requests, over the JSON of a
 * PodSpec; and the small sorted resource list the result lives in.
 */
#include "raygate/podspec.h"

#include "raygate/alloc.h"

#include <stdio.h>
#include <string.h>

/* ---- Resource lists ---- */

void podspec_reqs_release(podspec_reqs_t *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        rg_free(r->v[i].name);
    rg_free(r->v);
    *r = (podspec_reqs_t){0};
}

/* Index of name, or of where it would be inserted (*found false). */
static size_t find_slot(const podspec_reqs_t *r, const char *name, bool *found)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->v[mid].name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

const quota_qty_t *podspec_reqs_get(const podspec_reqs_t *r, const char *name)
{
    bool found;
    size_t i = find_slot(r, name, &found);
    return found ? &r->v[i].qty : NULL;
}

/* The entry for name, inserted as zero when missing. */
static quota_qty_t *slot_for(podspec_reqs_t *r, const char *name)
{
    bool found;
    size_t i = find_slot(r, name, &found);
    if (found)
        return &r->v[i].qty;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4;
        r->v = rg_realloc(r->v, r->cap * sizeof(*r->v));
    }
    memmove(&r->v[i + 1], &r->v[i], (r->n - i) * sizeof(*r->v));
    r->v[i] = (podspec_res_t){.name = rg_strdup(name)};
    r->n++;
    return &r->v[i].qty;
}

int podspec_reqs_add(podspec_reqs_t *r, const char *name, const quota_qty_t *q, rg_error_t *err)
{
    const quota_qty_t *cur = podspec_reqs_get(r, name);
    quota_qty_t sum = *q;
    if (cur) {
        sum = *cur;
        int rc = quota_qty_add(&sum, q, err);
        if (rc < 0) {
            rg_error_prefix(err, "%s", name);
            return rc;
        }
    }
    *slot_for(r, name) = sum;
    return RG_OK;
}

int podspec_reqs_add_all(podspec_reqs_t *r, const podspec_reqs_t *y, rg_error_t *err)
{
    for (size_t i = 0; i < y->n; i++) {
        int rc = podspec_reqs_add(r, y->v[i].name, &y->v[i].qty, err);
        if (rc < 0)
            return rc;
    }
    return RG_OK;
}

void podspec_reqs_max_all(podspec_reqs_t *r, const podspec_reqs_t *y)
{
    for (size_t i = 0; i < y->n; i++) {
        const quota_qty_t *cur = podspec_reqs_get(r, y->v[i].name);
        if (cur == NULL || quota_qty_cmp(cur, &y->v[i].qty) < 0)
            *slot_for(r, y->v[i].name) = y->v[i].qty;
    }
}

int podspec_reqs_scale(podspec_reqs_t *r, int64_t n, rg_error_t *err)
{
    if (n < 0)
        return rg_error_set(err, RG_ERR_RANGE, "negative count %lld", (long long)n);
    for (size_t i = 0; i < r->n; i++) {
        quota_i128_t v = r->v[i].qty.nano;
        quota_i128_t mag = v < 0 ? -v : v;
        if (n != 0 && mag > QUOTA_QTY_MAX_NANO / n)
            return rg_error_set(err, RG_ERR_RANGE, "%s times %lld is out of range", r->v[i].name,
                                (long long)n);
        r->v[i].qty.nano = v * n;
    }
    return RG_OK;
}

void podspec_reqs_copy(podspec_reqs_t *dst, const podspec_reqs_t *src)
{
    podspec_reqs_release(dst);
    if (src->n == 0)
        return;
    dst->v = rg_malloc(src->n * sizeof(*dst->v));
    dst->n = dst->cap = src->n;
    for (size_t i = 0; i < src->n; i++)
        dst->v[i] = (podspec_res_t){.name = rg_strdup(src->v[i].name), .qty = src->v[i].qty};
}

/* ---- Reading a PodSpec ---- */

/*
 * Adds the resource map at obj[key] (absent or null: nothing) to out,
 * skipping names already present in skip (used for limits standing in for
 * requests). Every value must be a valid, non-negative quantity.
 */
static int read_map(const cJSON *obj, const char *key, const char *path, const podspec_reqs_t *skip,
                    podspec_reqs_t *out, rg_error_t *err)
{
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (map == NULL || cJSON_IsNull(map))
        return RG_OK;
    if (!cJSON_IsObject(map))
        return rg_error_set(err, RG_ERR_TYPE, "%s.%s: Invalid value: \"%s\": must be an object",
                            path, key, rg_json_type_name(map));
    const cJSON *it;
    cJSON_ArrayForEach(it, map)
    {
        const char *name = it->string ? it->string : "";
        if (strlen(name) == 0 || strlen(name) > PODSPEC_RESOURCE_NAME_MAX)
            return rg_error_set(err, RG_ERR_PARSE,
                                "%s.%s: Invalid value: \"%.64s\": not a "
                                "resource name",
                                path, key, name);
        if (skip && podspec_reqs_get(skip, name))
            continue;
        quota_qty_t q;
        rg_error_t qerr = {0};
        if (quota_qty_parse_json(it, &q, &qerr) < 0) {
            char *shown = cJSON_IsString(it) ? NULL : rg_json_print(it);
            rg_error_set(err, qerr.code, "%s.%s[%s]: Invalid value: \"%.64s\": %s", path, key, name,
                         shown ? shown : it->valuestring, rg_error_str(&qerr));
            rg_free(shown);
            return err ? err->code : qerr.code;
        }
        if (quota_qty_sign(&q) < 0) {
            char text[QUOTA_QTY_STR_MAX];
            quota_qty_format(&q, text, sizeof(text));
            return rg_error_set(err, RG_ERR_RANGE,
                                "%s.%s[%s]: Invalid value: \"%s\": must be "
                                "greater than or equal to 0",
                                path, key, name, text);
        }
        int rc = podspec_reqs_add(out, name, &q, err);
        if (rc < 0) {
            rg_error_prefix(err, "%s.%s", path, key);
            return rc;
        }
    }
    return RG_OK;
}

/* requests, then limits for the names requests lack, of a resources object. */
static int read_requirements(const cJSON *holder, const char *path, podspec_reqs_t *out,
                             rg_error_t *err)
{
    podspec_reqs_release(out);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(holder, "resources");
    if (res == NULL || cJSON_IsNull(res))
        return RG_OK;
    char sub[512];
    snprintf(sub, sizeof(sub), "%s.resources", path);
    if (!cJSON_IsObject(res))
        return rg_error_set(err, RG_ERR_TYPE, "%s: Invalid value: \"%s\": must be an object", sub,
                            rg_json_type_name(res));
    int rc = read_map(res, "requests", sub, NULL, out, err);
    if (rc == RG_OK) {
        podspec_reqs_t requested = {0};
        podspec_reqs_copy(&requested, out);
        rc = read_map(res, "limits", sub, &requested, out, err);
        podspec_reqs_release(&requested);
    }
    return rc;
}

static const cJSON *container_list(const cJSON *spec, const char *key, const char *path,
                                   rg_error_t *err, int *rc)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(spec, key);
    *rc = RG_OK;
    if (list == NULL || cJSON_IsNull(list))
        return NULL;
    if (!cJSON_IsArray(list)) {
        *rc = rg_error_set(err, RG_ERR_TYPE, "%s.%s: Invalid value: \"%s\": must be an array", path,
                           key, rg_json_type_name(list));
        return NULL;
    }
    return list;
}

static bool is_sidecar(const cJSON *init_container)
{
    const char *policy = rg_json_get_string(init_container, "restartPolicy");
    return policy && strcmp(policy, "Always") == 0;
}

/* Σ containers; sidecars join the sum; regular init containers bound it from below. */
static int sum_containers(const cJSON *spec, const char *path, podspec_reqs_t *out, rg_error_t *err)
{
    int rc;
    const cJSON *containers = container_list(spec, "containers", path, err, &rc);
    const cJSON *inits =
        rc == RG_OK ? container_list(spec, "initContainers", path, err, &rc) : NULL;
    podspec_reqs_t one = {0}, sidecars = {0}, init_floor = {0}, tmp = {0};
    char sub[512];
    int i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, containers)
    {
        snprintf(sub, sizeof(sub), "%s.containers[%d]", path, i++);
        if (rc == RG_OK)
            rc = read_requirements(c, sub, &one, err);
        if (rc == RG_OK)
            rc = podspec_reqs_add_all(out, &one, err);
    }
    i = 0;
    cJSON_ArrayForEach(c, inits)
    {
        snprintf(sub, sizeof(sub), "%s.initContainers[%d]", path, i++);
        if (rc == RG_OK)
            rc = read_requirements(c, sub, &one, err);
        if (rc != RG_OK)
            break;
        if (is_sidecar(c)) {
            rc = podspec_reqs_add_all(out, &one, err);
            if (rc == RG_OK)
                rc = podspec_reqs_add_all(&sidecars, &one, err);
            podspec_reqs_max_all(&init_floor, &sidecars);
        } else {
            podspec_reqs_copy(&tmp, &one);
            rc = podspec_reqs_add_all(&tmp, &sidecars, err);
            podspec_reqs_max_all(&init_floor, &tmp);
        }
    }
    if (rc == RG_OK)
        podspec_reqs_max_all(out, &init_floor);
    podspec_reqs_release(&one);
    podspec_reqs_release(&sidecars);
    podspec_reqs_release(&init_floor);
    podspec_reqs_release(&tmp);
    return rc;
}

/* Pod-level requests (KEP-2837) replace the container sum for cpu and memory. */
static int apply_pod_level(const cJSON *spec, const char *path, podspec_reqs_t *out,
                           rg_error_t *err)
{
    podspec_reqs_t pod = {0};
    int rc = read_requirements(spec, path, &pod, err);
    for (size_t i = 0; rc == RG_OK && i < pod.n; i++) {
        if (strcmp(pod.v[i].name, "cpu") == 0 || strcmp(pod.v[i].name, "memory") == 0)
            *slot_for(out, pod.v[i].name) = pod.v[i].qty;
    }
    podspec_reqs_release(&pod);
    return rc;
}

int podspec_requests(const cJSON *spec, const char *path, podspec_reqs_t *out, rg_error_t *err)
{
    podspec_reqs_release(out);
    if (path == NULL)
        path = "spec";
    if (!cJSON_IsObject(spec))
        return rg_error_set(err, RG_ERR_TYPE, "%s: Invalid value: \"%s\": must be an object", path,
                            spec ? rg_json_type_name(spec) : "null");
    int rc = sum_containers(spec, path, out, err);
    if (rc == RG_OK)
        rc = apply_pod_level(spec, path, out, err);
    if (rc == RG_OK)
        rc = read_map(spec, "overhead", path, NULL, out, err);
    if (rc != RG_OK)
        podspec_reqs_release(out);
    return rc;
}

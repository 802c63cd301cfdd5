/*
 * Resource quantities inside pod templates. Upstream CRDs check every
 * requests/limits/overhead value against the Kubernetes quantity pattern, so
 * `memory: 8Gib` is refused by the apiserver with the field path; raygate's
 * CRDs keep templates unvalidated (they are large), so the webhook refuses
 * what does not parse or is negative, with the exact path.
 */
#include "raygate/quantity.h"
#include "raygate/validate.h"

#include "pod_internal.h"

#include <string.h>

/* Containers per list scanned (bounded work; the request size bounds it
 * far below this anyway). */
#define POD_CONTAINERS_SCAN_MAX 1024

static void check_list(field_errors_t *errs, field_path_t *p, const cJSON *list, unsigned flags)
{
    if (list == NULL || cJSON_IsNull(list))
        return;
    if (!cJSON_IsObject(list)) {
        field_type_error(errs, field_path_str(p), "object", list);
        return;
    }
    for (const cJSON *it = list->child; it; it = it->next) {
        const char *key = it->string ? it->string : "";
        size_t mark = field_path_push_map_key(p, key);
        if ((flags & WH_QTY_RESERVE_PODS) && strcmp(key, "pods") == 0)
            field_invalid_str(errs, field_path_str(p), "pods",
                              "the key is reserved for internal kueue use");
        quota_qty_t q;
        rg_error_t err = {0};
        if (quota_qty_parse_json(it, &q, &err) != RG_OK) {
            field_invalid_json(errs, field_path_str(p), it, "%s", rg_error_str(&err));
        } else if (quota_qty_sign(&q) < 0) {
            char buf[QUOTA_QTY_STR_MAX];
            quota_qty_format(&q, buf, sizeof(buf));
            field_invalid_str(errs, field_path_str(p), buf, "must be greater than or equal to 0");
        }
        field_path_pop(p, mark);
    }
}

void wh__resources_quantities(field_errors_t *errs, field_path_t *p, const cJSON *resources,
                              unsigned flags)
{
    if (!cJSON_IsObject(resources))
        return;
    size_t mark = field_path_push_key(p, "requests");
    check_list(errs, p, rg_json_get(resources, "requests"), flags);
    field_path_pop(p, mark);
    mark = field_path_push_key(p, "limits");
    check_list(errs, p, rg_json_get(resources, "limits"), flags);
    field_path_pop(p, mark);
}

static void check_containers(field_errors_t *errs, field_path_t *p, const cJSON *pod_spec,
                             const char *key, unsigned flags)
{
    const cJSON *list = rg_json_get_array(pod_spec, key);
    size_t mark = field_path_push_key(p, key);
    size_t i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        if (i >= POD_CONTAINERS_SCAN_MAX)
            break;
        size_t m2 = field_path_push_index(p, i++);
        size_t m3 = field_path_push_key(p, "resources");
        wh__resources_quantities(errs, p, rg_json_get(c, "resources"), flags);
        field_path_pop(p, m3);
        field_path_pop(p, m2);
    }
    field_path_pop(p, mark);
}

void wh__pod_spec_quantities(field_errors_t *errs, field_path_t *p, const cJSON *pod_spec,
                             unsigned flags)
{
    if (!cJSON_IsObject(pod_spec))
        return;
    check_containers(errs, p, pod_spec, "initContainers", flags);
    check_containers(errs, p, pod_spec, "containers", flags);
    size_t mark = field_path_push_key(p, "resources");
    wh__resources_quantities(errs, p, rg_json_get(pod_spec, "resources"), flags);
    field_path_pop(p, mark);
    /* Overhead is the RuntimeClass's, never Kueue's: `pods` is not special. */
    mark = field_path_push_key(p, "overhead");
    check_list(errs, p, rg_json_get(pod_spec, "overhead"), flags & ~WH_QTY_RESERVE_PODS);
    field_path_pop(p, mark);
}

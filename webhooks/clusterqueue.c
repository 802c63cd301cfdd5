/*
 * ClusterQueue rules (kueue.x-k8s.io v1beta1 and v1beta2): Kueue's webhook
 * (pkg/webhooks/clusterqueue_webhook.go) and its CRD schema/CEL markers,
 * with upstream's field paths and wording; plus raygate's shorthand form
 * (resources without flavors), validated on its own terms and expanded
 * into the canonical form for the mutating webhook.
 */
#include "raygate/clusterqueue.h"

#include "raygate/alloc.h"
#include "raygate/quantity.h"
#include "raygate/validate.h"

#include <stdio.h>
#include <string.h>

/* CRD bounds (kubebuilder markers on ClusterQueueSpec and ResourceGroup). */
#define CQ_MAX_GROUPS 16
#define CQ_MAX_COVERED 64
#define CQ_MAX_FLAVORS 64
#define CQ_MAX_RESOURCES 64
#define CQ_MAX_TOTAL_FLAVORS 256
#define CQ_MAX_TOTAL_COVERED 256
#define CQ_MAX_COMBINATIONS 512
#define CQ_MAX_ADMISSION_CHECKS 64
#define CQ_MAX_ON_FLAVORS 64

#define MSG_NEGATIVE "must be greater than or equal to 0"
#define MSG_NO_COHORT "must be nil when cohort is empty"
#define MSG_LENDING "must be less than or equal to the nominalQuota"

/* ---- small helpers ---- */

static bool present(const cJSON *n)
{
    return n != NULL && !cJSON_IsNull(n);
}

/*
 * An optional member of the JSON type is_type checks (schema type name
 * want): returns it, NULL when absent or null, and NULL with the schema's
 * type error when present with another type.
 */
static const cJSON *opt_member(field_errors_t *errs, field_path_t *p, const cJSON *obj,
                               const char *key, cJSON_bool (*is_type)(const cJSON *),
                               const char *want)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!present(n))
        return NULL;
    if (is_type(n))
        return n;
    size_t m = field_path_push_key(p, key);
    field_type_error(errs, field_path_str(p), want, n);
    field_path_pop(p, m);
    return NULL;
}

static const char *opt_string(field_errors_t *errs, field_path_t *p, const cJSON *obj,
                              const char *key)
{
    const cJSON *n = opt_member(errs, p, obj, key, cJSON_IsString, "string");
    return n ? n->valuestring : NULL;
}

static const cJSON *opt_object(field_errors_t *errs, field_path_t *p, const cJSON *obj,
                               const char *key)
{
    return opt_member(errs, p, obj, key, cJSON_IsObject, "object");
}

static const cJSON *opt_array(field_errors_t *errs, field_path_t *p, const cJSON *obj,
                              const char *key)
{
    return opt_member(errs, p, obj, key, cJSON_IsArray, "array");
}

/* An enum member: Unsupported value unless one of supported. */
static const char *check_enum(field_errors_t *errs, field_path_t *p, const cJSON *obj,
                              const char *key, const char *const *supported, size_t n)
{
    const char *v = opt_string(errs, p, obj, key);
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, supported[i]) == 0)
            return v;
    size_t m = field_path_push_key(p, key);
    field_not_supported(errs, field_path_str(p), v, supported, n);
    field_path_pop(p, m);
    return NULL;
}

/* The schema's minItems text, with the list's length as the value. */
static void too_few(field_errors_t *errs, const char *path, int n, int min)
{
    char *shown = rg_asprintf("%d", n);
    field_add(errs, FIELD_INVALID, path, shown, "%s in body should have at least %d items", path,
              min);
    rg_free(shown);
}

/*
 * A required list member with minItems/maxItems: Required when absent,
 * the minItems text when shorter, Too many when longer. Returns the array
 * (possibly empty) or NULL when absent or mistyped.
 */
static const cJSON *list_member(field_errors_t *errs, field_path_t *p, const cJSON *obj,
                                const char *key, int min, int max)
{
    size_t m = field_path_push_key(p, key);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!present(n)) {
        field_required(errs, field_path_str(p), NULL);
        field_path_pop(p, m);
        return NULL;
    }
    if (!cJSON_IsArray(n)) {
        field_type_error(errs, field_path_str(p), "array", n);
        field_path_pop(p, m);
        return NULL;
    }
    int size = cJSON_GetArraySize(n);
    if (size < min)
        too_few(errs, field_path_str(p), size, min);
    if (size > max)
        field_too_many(errs, field_path_str(p), size, max);
    field_path_pop(p, m);
    return n;
}

/* Kubernetes prints a quantity with String(): its canonical form. */
static void qty_str(const quota_qty_t *q, char buf[QUOTA_QTY_STR_MAX])
{
    quota_qty_format(q, buf, QUOTA_QTY_STR_MAX);
}

/*
 * Parses the quantity member key of obj. Returns true with *out set when
 * present and well formed; a malformed one is an Invalid value at its
 * path with the parser's text.
 */
static bool parse_qty(field_errors_t *errs, field_path_t *p, const cJSON *obj, const char *key,
                      quota_qty_t *out)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!present(n))
        return false;
    rg_error_t err = {0};
    if (quota_qty_parse_json(n, out, &err) == 0)
        return true;
    size_t m = field_path_push_key(p, key);
    if (err.code == RG_ERR_TYPE)
        field_type_error(errs, field_path_str(p), "string", n);
    else
        field_invalid_json(errs, field_path_str(p), n, "%s", err.msg);
    field_path_pop(p, m);
    return false;
}

/* validateResourceQuantity: a negative quantity is refused. */
static void check_non_negative(field_errors_t *errs, const char *path, const quota_qty_t *q)
{
    if (quota_qty_sign(q) < 0) {
        char s[QUOTA_QTY_STR_MAX];
        qty_str(q, s);
        field_invalid_str(errs, path, s, MSG_NEGATIVE);
    }
}

/* A small set of borrowed strings, bounded by the CRD limits above. */
typedef struct strset {
    const char **items;
    size_t n, cap;
} strset_t;

static bool strset_has(const strset_t *s, const char *v)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->items[i], v) == 0)
            return true;
    return false;
}

static void strset_add(strset_t *s, const char *v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->items = rg_realloc(s->items, s->cap * sizeof(*s->items));
    }
    s->items[s->n++] = v;
}

static void strset_release(strset_t *s)
{
    rg_free(s->items);
    s->items = NULL;
    s->n = s->cap = 0;
}

/* Every flavor name of a spec's resource groups (utilqueue.AllFlavors),
 * the shorthand's implicit flavor included; strings borrowed from spec. */
static void collect_flavors(const cJSON *spec, strset_t *out)
{
    const cJSON *rg;
    cJSON_ArrayForEach(rg, rg_json_get_array(spec, "resourceGroups"))
    {
        if (wh_clusterqueue_group_is_shorthand(rg)) {
            if (!strset_has(out, WH_SHORTHAND_FLAVOR))
                strset_add(out, WH_SHORTHAND_FLAVOR);
            continue;
        }
        const cJSON *f;
        cJSON_ArrayForEach(f, rg_json_get_array(rg, "flavors"))
        {
            const char *name = rg_json_get_string(f, "name");
            if (name && !strset_has(out, name))
                strset_add(out, name);
        }
    }
}

static bool strset_equal(const strset_t *a, const strset_t *b)
{
    for (size_t i = 0; i < a->n; i++)
        if (!strset_has(b, a->items[i]))
            return false;
    for (size_t i = 0; i < b->n; i++)
        if (!strset_has(a, b->items[i]))
            return false;
    return true;
}

/* The string members of a JSON array as a set (other members skipped). */
static void json_string_set(const cJSON *arr, strset_t *out)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (cJSON_IsString(e) && !strset_has(out, e->valuestring))
            strset_add(out, e->valuestring);
    }
}

/* The check keeps the onFlavors set the old object gave the check of the
 * same name (validateAdmissionCheckOnFlavorsWithOld). */
static bool on_flavors_unchanged(const cJSON *old_checks, const cJSON *check)
{
    const char *name = rg_json_get_string(check, "name");
    if (old_checks == NULL || name == NULL)
        return false;
    const cJSON *oc;
    cJSON_ArrayForEach(oc, old_checks)
    {
        const char *on = rg_json_get_string(oc, "name");
        if (on == NULL || strcmp(on, name) != 0)
            continue;
        strset_t a = {0}, b = {0};
        json_string_set(rg_json_get_array(check, "onFlavors"), &a);
        json_string_set(rg_json_get_array(oc, "onFlavors"), &b);
        bool same = strset_equal(&a, &b);
        strset_release(&a);
        strset_release(&b);
        return same;
    }
    return false;
}

/* validateAdmissionCheckOnFlavorsUpdate: the exemption holds when the old
 * object had a strategy and the flavors of the queue did not change. */
static const cJSON *exempt_old_checks(const cJSON *spec, const cJSON *old)
{
    const cJSON *ospec = rg_json_get_object(old, "spec");
    const cJSON *strategy = rg_json_get_object(ospec, "admissionChecksStrategy");
    if (strategy == NULL)
        return NULL;
    strset_t a = {0}, b = {0};
    collect_flavors(spec, &a);
    collect_flavors(ospec, &b);
    bool same = strset_equal(&a, &b);
    strset_release(&a);
    strset_release(&b);
    return same ? rg_json_get_array(strategy, "admissionChecks") : NULL;
}

bool wh_clusterqueue_group_is_shorthand(const cJSON *group)
{
    return cJSON_IsObject(group) && present(cJSON_GetObjectItemCaseSensitive(group, "resources")) &&
           !present(cJSON_GetObjectItemCaseSensitive(group, "coveredResources")) &&
           !present(cJSON_GetObjectItemCaseSensitive(group, "flavors"));
}

/* ---- validation ---- */

typedef struct cq_state {
    field_errors_t *errs;
    wh_warnings_t *warns;
    bool has_cohort;
    strset_t seen_resources; /* across groups: a resource in one group only */
    strset_t seen_flavors;   /* across groups: a flavor in one group only */
    strset_t all_flavors;    /* for admissionChecksStrategy onFlavors */
    /* UPDATE with Kueue's RejectUpdatesToCQWithInvalidOnFlavors gate off (its
     * default): the old object's admission checks, whose unchanged onFlavors
     * stay allowed; NULL when the exemption does not apply. */
    const cJSON *old_checks;
    strset_t shorthand_resources; /* names used by shorthand groups */
    int total_flavors;
    int total_covered;
    int n_shorthand;
} cq_state_t;

/*
 * One ResourceQuota: nominalQuota >= 0; borrowingLimit and lendingLimit
 * only with a cohort and >= 0; lendingLimit <= nominalQuota (Kueue's
 * validateFlavorQuotas, in its order).
 */
static void check_quota(cq_state_t *st, field_path_t *p, const cJSON *rq)
{
    quota_qty_t nominal = {0}, limit;
    bool have_nominal = false;
    size_t m;
    if (!present(cJSON_GetObjectItemCaseSensitive(rq, "nominalQuota"))) {
        m = field_path_push_key(p, "nominalQuota");
        field_required(st->errs, field_path_str(p), NULL);
        field_path_pop(p, m);
    } else if (parse_qty(st->errs, p, rq, "nominalQuota", &nominal)) {
        have_nominal = true;
        m = field_path_push_key(p, "nominalQuota");
        check_non_negative(st->errs, field_path_str(p), &nominal);
        field_path_pop(p, m);
    }

    char s[QUOTA_QTY_STR_MAX];
    if (parse_qty(st->errs, p, rq, "borrowingLimit", &limit)) {
        m = field_path_push_key(p, "borrowingLimit");
        qty_str(&limit, s);
        if (!st->has_cohort)
            field_invalid_str(st->errs, field_path_str(p), s, MSG_NO_COHORT);
        check_non_negative(st->errs, field_path_str(p), &limit);
        field_path_pop(p, m);
    }
    if (parse_qty(st->errs, p, rq, "lendingLimit", &limit)) {
        m = field_path_push_key(p, "lendingLimit");
        qty_str(&limit, s);
        check_non_negative(st->errs, field_path_str(p), &limit);
        if (!st->has_cohort)
            field_invalid_str(st->errs, field_path_str(p), s, MSG_NO_COHORT);
        if (have_nominal && quota_qty_cmp(&limit, &nominal) > 0)
            field_invalid_str(st->errs, field_path_str(p), s, MSG_LENDING);
        field_path_pop(p, m);
    }
}

/* A resource name: present, a string, a qualified name. NULL when unusable. */
static const char *resource_name(cq_state_t *st, field_path_t *p, const cJSON *rq)
{
    size_t m = field_path_push_key(p, "name");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(rq, "name");
    const char *name = NULL;
    if (!present(n))
        field_required(st->errs, field_path_str(p), NULL);
    else if (!cJSON_IsString(n))
        field_type_error(st->errs, field_path_str(p), "string", n);
    else
        name = n->valuestring;
    field_path_pop(p, m);
    return name;
}

static void check_flavor(cq_state_t *st, field_path_t *p, const cJSON *fq, const cJSON *covered,
                         int n_covered, int *combos)
{
    if (!cJSON_IsObject(fq)) {
        field_type_error(st->errs, field_path_str(p), "object", fq);
        return;
    }
    size_t m = field_path_push_key(p, "name");
    const cJSON *nn = cJSON_GetObjectItemCaseSensitive(fq, "name");
    if (!present(nn)) {
        field_required(st->errs, field_path_str(p), NULL);
    } else if (!cJSON_IsString(nn)) {
        field_type_error(st->errs, field_path_str(p), "string", nn);
    } else {
        const char *name = nn->valuestring;
        wh_check_dns1123_subdomain(st->errs, field_path_str(p), name);
        if (strset_has(&st->seen_flavors, name)) {
            field_duplicate_str(st->errs, field_path_str(p), name);
        } else {
            strset_add(&st->seen_flavors, name);
            strset_add(&st->all_flavors, name);
        }
    }
    field_path_pop(p, m);

    const cJSON *resources = list_member(st->errs, p, fq, "resources", 1, CQ_MAX_RESOURCES);
    if (resources == NULL)
        return;
    *combos += cJSON_GetArraySize(resources);
    m = field_path_push_key(p, "resources");
    strset_t names = {0};
    int k = 0;
    for (const cJSON *rq = resources->child; rq && k < CQ_MAX_RESOURCES; rq = rq->next, k++) {
        size_t mk = field_path_push_index(p, (size_t)k);
        if (!cJSON_IsObject(rq)) {
            field_type_error(st->errs, field_path_str(p), "object", rq);
            field_path_pop(p, mk);
            continue;
        }
        const char *name = resource_name(st, p, rq);
        if (name && strset_has(&names, name)) {
            /* listType=map keyed by name: the apiserver's duplicate text. */
            field_duplicate_map_key(st->errs, field_path_str(p), name);
        } else if (name) {
            strset_add(&names, name);
        }
        /* Kueue compares names position by position, up to coveredResources. */
        if (k < n_covered) {
            const cJSON *want = cJSON_GetArrayItem(covered, k);
            if (name && cJSON_IsString(want) && strcmp(name, want->valuestring) != 0) {
                size_t mn = field_path_push_key(p, "name");
                field_invalid_str(st->errs, field_path_str(p), name,
                                  "must match the name in coveredResources");
                field_path_pop(p, mn);
            }
            check_quota(st, p, rq);
        }
        field_path_pop(p, mk);
    }
    strset_release(&names);
    field_path_pop(p, m);
}

static void check_canonical_group(cq_state_t *st, field_path_t *p, const cJSON *rg)
{
    if (present(cJSON_GetObjectItemCaseSensitive(rg, "resources"))) {
        size_t m = field_path_push_key(p, "resources");
        field_forbidden(st->errs, field_path_str(p),
                        "raygate shorthand: may not be combined with coveredResources or flavors");
        field_path_pop(p, m);
    }
    const cJSON *covered = list_member(st->errs, p, rg, "coveredResources", 1, CQ_MAX_COVERED);
    int n_covered = covered ? cJSON_GetArraySize(covered) : 0;
    st->total_covered += n_covered;
    if (covered) {
        size_t m = field_path_push_key(p, "coveredResources");
        int j = 0;
        for (const cJSON *c = covered->child; c && j < CQ_MAX_COVERED; c = c->next, j++) {
            size_t mj = field_path_push_index(p, (size_t)j);
            if (!cJSON_IsString(c)) {
                field_type_error(st->errs, field_path_str(p), "string", c);
            } else {
                wh_check_qualified_name(st->errs, field_path_str(p), c->valuestring);
                if (strset_has(&st->seen_resources, c->valuestring))
                    field_duplicate_str(st->errs, field_path_str(p), c->valuestring);
                else
                    strset_add(&st->seen_resources, c->valuestring);
            }
            field_path_pop(p, mj);
        }
        field_path_pop(p, m);
    }

    const cJSON *flavors = list_member(st->errs, p, rg, "flavors", 1, CQ_MAX_FLAVORS);
    if (flavors == NULL)
        return;
    st->total_flavors += cJSON_GetArraySize(flavors);
    int combos = 0;
    bool size_mismatch = false;
    size_t m = field_path_push_key(p, "flavors");
    int j = 0;
    for (const cJSON *fq = flavors->child; fq && j < CQ_MAX_FLAVORS; fq = fq->next, j++) {
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(fq, "resources");
        if (covered && cJSON_IsArray(res) && cJSON_GetArraySize(res) != n_covered)
            size_mismatch = true;
        size_t mj = field_path_push_index(p, (size_t)j);
        check_flavor(st, p, fq, covered, n_covered, &combos);
        field_path_pop(p, mj);
    }
    field_path_pop(p, m);
    /* ResourceGroup's CEL rule, reported at the group. */
    if (size_mismatch)
        field_invalid_str(st->errs, field_path_str(p), "object",
                          "flavors must have the same number of resources as the "
                          "coveredResources");
    if (combos > CQ_MAX_COMBINATIONS) {
        char *shown = rg_asprintf("%d", combos);
        field_add(st->errs, FIELD_INVALID, field_path_str(p), shown,
                  "number of flavor-resource combinations in a resourceGroup must be \xe2\x89\xa4 "
                  "512, got %d",
                  combos);
        rg_free(shown);
    }
}

/*
 * A shorthand group: each resource a qualified name, once per group and in
 * no canonical group; quotas as in a flavor.
 */
static void check_shorthand_group(cq_state_t *st, field_path_t *p, const cJSON *rg, size_t idx)
{
    st->n_shorthand++;
    wh_warn(st->warns,
            "spec.resourceGroups[%zu]: raygate shorthand: resources without flavors are read as "
            "flavor \"" WH_SHORTHAND_FLAVOR "\"",
            idx);
    const cJSON *resources = list_member(st->errs, p, rg, "resources", 1, CQ_MAX_RESOURCES);
    if (resources == NULL)
        return;
    strset_t names = {0};
    size_t m = field_path_push_key(p, "resources");
    int k = 0;
    for (const cJSON *rq = resources->child; rq && k < CQ_MAX_RESOURCES; rq = rq->next, k++) {
        size_t mk = field_path_push_index(p, (size_t)k);
        if (!cJSON_IsObject(rq)) {
            field_type_error(st->errs, field_path_str(p), "object", rq);
            field_path_pop(p, mk);
            continue;
        }
        const char *name = resource_name(st, p, rq);
        if (name) {
            size_t mn = field_path_push_key(p, "name");
            wh_check_qualified_name(st->errs, field_path_str(p), name);
            if (strset_has(&names, name)) {
                field_duplicate_str(st->errs, field_path_str(p), name);
            } else {
                strset_add(&names, name);
                if (!strset_has(&st->shorthand_resources, name))
                    strset_add(&st->shorthand_resources, name);
            }
            field_path_pop(p, mn);
        }
        check_quota(st, p, rq);
        field_path_pop(p, mk);
    }
    field_path_pop(p, m);
    strset_release(&names);
}

static void check_resource_groups(cq_state_t *st, const cJSON *spec)
{
    field_path_t p;
    field_path_init(&p, "spec");
    const cJSON *groups = opt_array(st->errs, &p, spec, "resourceGroups");
    if (groups == NULL)
        return;
    field_path_push_key(&p, "resourceGroups");
    int n = cJSON_GetArraySize(groups);
    if (n > CQ_MAX_GROUPS)
        field_too_many(st->errs, field_path_str(&p), n, CQ_MAX_GROUPS);
    size_t i = 0;
    for (const cJSON *rg = groups->child; rg && i < CQ_MAX_GROUPS; rg = rg->next, i++) {
        size_t m = field_path_push_index(&p, i);
        if (!cJSON_IsObject(rg))
            field_type_error(st->errs, field_path_str(&p), "object", rg);
        else if (wh_clusterqueue_group_is_shorthand(rg))
            check_shorthand_group(st, &p, rg, i);
        else
            check_canonical_group(st, &p, rg);
        field_path_pop(&p, m);
    }

    if (st->n_shorthand > 0) {
        /* The shorthand's resources and flavor join the canonical groups'. */
        st->total_flavors += 1;
        st->total_covered += (int)st->shorthand_resources.n;
        if (st->n_shorthand > 1)
            wh_warn(st->warns,
                    "spec.resourceGroups: raygate shorthand: %d resource groups "
                    "without flavors are merged into one group with flavor \"" WH_SHORTHAND_FLAVOR
                    "\"; quotas of the same resource are added",
                    st->n_shorthand);
        i = 0;
        for (const cJSON *rg = groups->child; rg && i < CQ_MAX_GROUPS; rg = rg->next, i++) {
            if (wh_clusterqueue_group_is_shorthand(rg) || !cJSON_IsObject(rg))
                continue;
            size_t m = field_path_push_index(&p, i);
            /* A resource may sit in one group only, the implicit one included. */
            const cJSON *covered = rg_json_get_array(rg, "coveredResources");
            int j = 0;
            for (const cJSON *c = covered ? covered->child : NULL; c && j < CQ_MAX_COVERED;
                 c = c->next, j++) {
                if (cJSON_IsString(c) && strset_has(&st->shorthand_resources, c->valuestring)) {
                    char sub[64];
                    snprintf(sub, sizeof(sub), ".coveredResources[%d]", j);
                    char *path = rg_asprintf("%s%s", field_path_str(&p), sub);
                    field_duplicate_str(st->errs, path, c->valuestring);
                    rg_free(path);
                }
            }
            const cJSON *flavors = rg_json_get_array(rg, "flavors");
            j = 0;
            for (const cJSON *f = flavors ? flavors->child : NULL; f && j < CQ_MAX_FLAVORS;
                 f = f->next, j++) {
                const char *fname = rg_json_get_string(f, "name");
                if (fname && strcmp(fname, WH_SHORTHAND_FLAVOR) == 0) {
                    char *path = rg_asprintf("%s.flavors[%d].name", field_path_str(&p), j);
                    field_duplicate_str(st->errs, path, fname);
                    rg_free(path);
                }
            }
            field_path_pop(&p, m);
        }
        if (!strset_has(&st->all_flavors, WH_SHORTHAND_FLAVOR))
            strset_add(&st->all_flavors, WH_SHORTHAND_FLAVOR);
    }

    if (st->total_flavors > CQ_MAX_TOTAL_FLAVORS) {
        char *shown = rg_asprintf("%d", st->total_flavors);
        field_add(
            st->errs, FIELD_INVALID, field_path_str(&p), shown,
            "total number of flavors across all resourceGroups must be \xe2\x89\xa4 256, got %d",
            st->total_flavors);
        rg_free(shown);
    }
    if (st->total_covered > CQ_MAX_TOTAL_COVERED) {
        char *shown = rg_asprintf("%d", st->total_covered);
        field_add(st->errs, FIELD_INVALID, field_path_str(&p), shown,
                  "total number of covered resources across all resourceGroups must be "
                  "\xe2\x89\xa4 256, got %d",
                  st->total_covered);
        rg_free(shown);
    }
}

static void check_preemption(cq_state_t *st, const cJSON *spec)
{
    static const char *const reclaim[] = {"Never", "LowerPriority", "Any"};
    static const char *const within[] = {"Never", "LowerPriority", "LowerOrNewerEqualPriority"};
    static const char *const borrow[] = {"Never", "LowerPriority"};
    field_path_t p;
    field_path_init(&p, "spec");
    const cJSON *pre = opt_object(st->errs, &p, spec, "preemption");
    if (pre == NULL)
        return;
    field_path_push_key(&p, "preemption");
    const char *rc = check_enum(st->errs, &p, pre, "reclaimWithinCohort", reclaim, 3);
    check_enum(st->errs, &p, pre, "withinClusterQueue", within, 3);
    const cJSON *bwc = opt_object(st->errs, &p, pre, "borrowWithinCohort");
    const char *bp = NULL;
    if (bwc) {
        size_t m = field_path_push_key(&p, "borrowWithinCohort");
        bp = check_enum(st->errs, &p, bwc, "policy", borrow, 2);
        const cJSON *thr = cJSON_GetObjectItemCaseSensitive(bwc, "maxPriorityThreshold");
        if (present(thr) && !cJSON_IsNumber(thr)) {
            size_t mt = field_path_push_key(&p, "maxPriorityThreshold");
            field_type_error(st->errs, field_path_str(&p), "integer", thr);
            field_path_pop(&p, mt);
        }
        field_path_pop(&p, m);
    }
    /* Defaults apply first: an absent reclaimWithinCohort or policy is Never.
     * An unsupported value was already reported. */
    bool rc_never = rc == NULL
                        ? !present(cJSON_GetObjectItemCaseSensitive(pre, "reclaimWithinCohort"))
                        : strcmp(rc, "Never") == 0;
    if (rc_never && bp != NULL && strcmp(bp, "Never") != 0)
        field_invalid_str(st->errs, field_path_str(&p), "object",
                          "reclaimWithinCohort=Never and borrowWithinCohort.Policy!=Never");
}

static void check_fungibility(cq_state_t *st, const cJSON *spec, bool v1beta2)
{
    static const char *const borrow_b1[] = {"Borrow", "TryNextFlavor"};
    static const char *const preempt_b1[] = {"Preempt", "TryNextFlavor"};
    static const char *const any_b2[] = {"MayStopSearch", "TryNextFlavor"};
    static const char *const pref[] = {"BorrowingOverPreemption", "PreemptionOverBorrowing"};
    field_path_t p;
    field_path_init(&p, "spec");
    const cJSON *ff = opt_object(st->errs, &p, spec, "flavorFungibility");
    if (ff == NULL)
        return;
    field_path_push_key(&p, "flavorFungibility");
    const char *wb = check_enum(st->errs, &p, ff, "whenCanBorrow", v1beta2 ? any_b2 : borrow_b1, 2);
    const char *wp =
        check_enum(st->errs, &p, ff, "whenCanPreempt", v1beta2 ? any_b2 : preempt_b1, 2);
    const char *pr = check_enum(st->errs, &p, ff, "preference", pref, 2);
    /* Defaults: whenCanBorrow Borrow (v1beta1) / MayStopSearch (v1beta2),
     * whenCanPreempt TryNextFlavor. */
    if (!present(cJSON_GetObjectItemCaseSensitive(ff, "whenCanBorrow")))
        wb = v1beta2 ? "MayStopSearch" : "Borrow";
    if (!present(cJSON_GetObjectItemCaseSensitive(ff, "whenCanPreempt")))
        wp = "TryNextFlavor";
    if (pr && (wb == NULL || wp == NULL || strcmp(wb, "TryNextFlavor") != 0 ||
               strcmp(wp, "TryNextFlavor") != 0)) {
        field_path_push_key(&p, "preference");
        field_invalid_str(st->errs, field_path_str(&p), pr,
                          "preference \"%s\" requires both whenCanBorrow and whenCanPreempt to be "
                          "TryNextFlavor",
                          pr);
    }
}

static void check_fair_sharing(cq_state_t *st, const cJSON *spec)
{
    field_path_t p;
    field_path_init(&p, "spec");
    const cJSON *fs = opt_object(st->errs, &p, spec, "fairSharing");
    if (fs == NULL)
        return;
    field_path_push_key(&p, "fairSharing");
    quota_qty_t w;
    if (!parse_qty(st->errs, &p, fs, "weight", &w))
        return;
    /* Kueue reports both at spec.fairSharing, with weight's String(). */
    char s[QUOTA_QTY_STR_MAX];
    qty_str(&w, s);
    if (quota_qty_sign(&w) < 0)
        field_invalid_str(st->errs, field_path_str(&p), s, MSG_NEGATIVE);
    if (quota_qty_sign(&w) > 0 && w.nano <= 1)
        field_invalid_str(st->errs, field_path_str(&p), s, "When not 0, weight must be > 10e-9");
}

static void check_admission_checks(cq_state_t *st, const cJSON *spec, bool v1beta2)
{
    field_path_t p;
    field_path_init(&p, "spec");
    const cJSON *legacy = cJSON_GetObjectItemCaseSensitive(spec, "admissionChecks");
    const cJSON *strategy = opt_object(st->errs, &p, spec, "admissionChecksStrategy");
    if (!v1beta2 && present(legacy) && strategy)
        field_invalid_str(st->errs, "spec", "object",
                          "Either AdmissionChecks or AdmissionCheckStrategy can be set, but not "
                          "both");
    if (strategy == NULL)
        return;
    field_path_push_key(&p, "admissionChecksStrategy");
    const cJSON *checks =
        list_member(st->errs, &p, strategy, "admissionChecks", 1, CQ_MAX_ADMISSION_CHECKS);
    if (checks == NULL)
        return;
    field_path_push_key(&p, "admissionChecks");
    int i = 0;
    for (const cJSON *c = checks->child; c && i < CQ_MAX_ADMISSION_CHECKS; c = c->next, i++) {
        size_t mi = field_path_push_index(&p, (size_t)i);
        const cJSON *on = cJSON_IsObject(c) ? opt_array(st->errs, &p, c, "onFlavors") : NULL;
        if (!cJSON_IsObject(c))
            field_type_error(st->errs, field_path_str(&p), "object", c);
        if (on && !on_flavors_unchanged(st->old_checks, c)) {
            size_t mo = field_path_push_key(&p, "onFlavors");
            int n = cJSON_GetArraySize(on);
            if (n > CQ_MAX_ON_FLAVORS)
                field_too_many(st->errs, field_path_str(&p), n, CQ_MAX_ON_FLAVORS);
            int j = 0;
            for (const cJSON *f = on->child; f && j < CQ_MAX_ON_FLAVORS; f = f->next, j++) {
                size_t mj = field_path_push_index(&p, (size_t)j);
                if (!cJSON_IsString(f))
                    field_type_error(st->errs, field_path_str(&p), "string", f);
                else if (!strset_has(&st->all_flavors, f->valuestring))
                    field_not_supported(st->errs, field_path_str(&p), f->valuestring,
                                        st->all_flavors.items, st->all_flavors.n);
                field_path_pop(&p, mj);
            }
            field_path_pop(&p, mo);
        }
        field_path_pop(&p, mi);
    }
}

void wh_clusterqueue_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                              field_errors_t *errs, wh_warnings_t *warns)
{
    static const char *const strategies[] = {"StrictFIFO", "BestEffortFIFO"};
    static const char *const stop[] = {"None", "Hold", "HoldAndDrain"};
    bool v1beta2 = ctx && ctx->api == WH_API_KUEUE_V1BETA2;
    field_path_t p;
    field_path_init(&p, "");
    const cJSON *spec = opt_object(errs, &p, obj, "spec");
    if (spec == NULL)
        return;
    field_path_init(&p, "spec");

    cq_state_t st = {.errs = errs, .warns = warns};
    /* Kueue's update rules are the create rules, but for the onFlavors
     * exemption of objects stored before the rule existed. */
    if (old != NULL)
        st.old_checks = exempt_old_checks(spec, old);
    const char *cohort_key = v1beta2 ? "cohortName" : "cohort";
    const char *other_key = v1beta2 ? "cohort" : "cohortName";
    if (present(cJSON_GetObjectItemCaseSensitive(spec, other_key)))
        wh_warn(warns, "unknown field \"spec.%s\"", other_key);
    if (v1beta2 && present(cJSON_GetObjectItemCaseSensitive(spec, "admissionChecks")))
        wh_warn(warns, "unknown field \"spec.admissionChecks\"");
    const char *cohort = opt_string(errs, &p, spec, cohort_key);
    if (cohort && cohort[0]) {
        size_t m = field_path_push_key(&p, cohort_key);
        wh_check_dns1123_subdomain(errs, field_path_str(&p), cohort);
        field_path_pop(&p, m);
        st.has_cohort = true;
    }
    check_resource_groups(&st, spec);
    size_t m = field_path_push_key(&p, "namespaceSelector");
    wh_check_label_selector(errs, field_path_str(&p),
                            cJSON_GetObjectItemCaseSensitive(spec, "namespaceSelector"));
    field_path_pop(&p, m);
    check_enum(errs, &p, spec, "queueingStrategy", strategies, 2);
    check_enum(errs, &p, spec, "stopPolicy", stop, 3);
    check_preemption(&st, spec);
    check_fungibility(&st, spec, v1beta2);
    check_fair_sharing(&st, spec);
    check_admission_checks(&st, spec, v1beta2);

    strset_release(&st.seen_resources);
    strset_release(&st.seen_flavors);
    strset_release(&st.all_flavors);
    strset_release(&st.shorthand_resources);
}

/* ---- shorthand expansion ---- */

/* The quantity member key of rq; false when absent or malformed. */
static bool qty_of(const cJSON *rq, const char *key, quota_qty_t *out)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(rq, key);
    return present(n) && quota_qty_parse_json(n, out, NULL) == 0;
}

/* Sums key over the occurrences of one resource; NULL drops the member. */
static cJSON *merged_qty(const cJSON *const *occ, size_t n, const char *key, bool required)
{
    if (n == 1) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(occ[0], key);
        return present(v) ? cJSON_Duplicate(v, true) : NULL;
    }
    quota_qty_t sum = {0};
    for (size_t i = 0; i < n; i++) {
        quota_qty_t q;
        if (!qty_of(occ[i], key, &q)) {
            /* An unlimited limit stays unlimited; a bad quantity keeps the
             * first occurrence so that validation still sees it. */
            if (!required)
                return NULL;
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(occ[0], key);
            return present(v) ? cJSON_Duplicate(v, true) : NULL;
        }
        if (quota_qty_add(&sum, &q, NULL) != 0) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(occ[0], key);
            return present(v) ? cJSON_Duplicate(v, true) : NULL;
        }
    }
    char s[QUOTA_QTY_STR_MAX];
    qty_str(&sum, s);
    return cJSON_CreateString(s);
}

static cJSON *expand_groups(const cJSON *groups, bool *changed)
{
    cJSON *out = cJSON_CreateArray();
    /* The names of the shorthand resources in first-seen order. */
    strset_t names = {0};
    bool any = false;
    for (const cJSON *rg = groups->child; rg; rg = rg->next) {
        if (!wh_clusterqueue_group_is_shorthand(rg))
            continue;
        any = true;
        const cJSON *res = rg_json_get_array(rg, "resources");
        for (const cJSON *rq = res ? res->child : NULL; rq; rq = rq->next) {
            const char *name = rg_json_get_string(rq, "name");
            if (name && !strset_has(&names, name))
                strset_add(&names, name);
        }
    }
    if (changed)
        *changed = any;

    bool placed = false;
    for (const cJSON *rg = groups->child; rg; rg = rg->next) {
        if (!wh_clusterqueue_group_is_shorthand(rg)) {
            cJSON_AddItemToArray(out, cJSON_Duplicate(rg, true));
            continue;
        }
        if (placed)
            continue;
        placed = true;
        cJSON *group = cJSON_CreateObject();
        cJSON *covered = cJSON_AddArrayToObject(group, "coveredResources");
        cJSON *flavors = cJSON_AddArrayToObject(group, "flavors");
        cJSON *flavor = cJSON_CreateObject();
        cJSON_AddStringToObject(flavor, "name", WH_SHORTHAND_FLAVOR);
        cJSON *quotas = cJSON_AddArrayToObject(flavor, "resources");
        cJSON_AddItemToArray(flavors, flavor);
        for (size_t i = 0; i < names.n; i++) {
            /* Every occurrence of this resource across shorthand groups. */
            const cJSON **occ = NULL;
            size_t n_occ = 0, cap = 0;
            for (const cJSON *g = groups->child; g; g = g->next) {
                if (!wh_clusterqueue_group_is_shorthand(g))
                    continue;
                const cJSON *res = rg_json_get_array(g, "resources");
                for (const cJSON *rq = res ? res->child : NULL; rq; rq = rq->next) {
                    const char *name = rg_json_get_string(rq, "name");
                    if (name && strcmp(name, names.items[i]) == 0) {
                        if (n_occ == cap) {
                            cap = cap ? cap * 2 : 4;
                            occ = rg_realloc(occ, cap * sizeof(*occ));
                        }
                        occ[n_occ++] = rq;
                    }
                }
            }
            cJSON_AddItemToArray(covered, cJSON_CreateString(names.items[i]));
            cJSON *q = cJSON_CreateObject();
            cJSON_AddStringToObject(q, "name", names.items[i]);
            static const char *const keys[] = {"nominalQuota", "borrowingLimit", "lendingLimit"};
            for (size_t k = 0; k < 3; k++) {
                cJSON *v = merged_qty(occ, n_occ, keys[k], k == 0);
                if (v)
                    cJSON_AddItemToObject(q, keys[k], v);
            }
            cJSON_AddItemToArray(quotas, q);
            rg_free(occ);
        }
        cJSON_AddItemToArray(out, group);
    }
    strset_release(&names);
    return out;
}

cJSON *wh_clusterqueue_expand_shorthand(const cJSON *spec, bool *changed)
{
    if (changed)
        *changed = false;
    const cJSON *groups = rg_json_get_array(spec, "resourceGroups");
    if (groups == NULL)
        return NULL;
    return expand_groups(groups, changed);
}

void wh_clusterqueue_mutate(const adm_request_t *req, adm_patch_t *patch, wh_result_t *out)
{
    *out = (wh_result_t){.allowed = true, .reason = "clusterqueue: nothing to default"};
    if (req == NULL || req->object == NULL ||
        (req->operation != ADM_OP_CREATE && req->operation != ADM_OP_UPDATE))
        return;
    /* Kueue's ClusterQueue defaulter: the resource-in-use finalizer, on
     * CREATE only (its mutating webhook sees no UPDATE). */
    if (req->operation == ADM_OP_CREATE &&
        wh_patch_add_finalizer(patch, req->object, WH_FINALIZER_RESOURCE_IN_USE) != RG_OK) {
        *out = (wh_result_t){.allowed = false,
                             .code = 500,
                             .message = "raygate: cannot build the ClusterQueue patch",
                             .reason = "clusterqueue: patch failed"};
        return;
    }
    if (adm_patch_len(patch) > 0)
        out->reason = "clusterqueue: finalizer " WH_FINALIZER_RESOURCE_IN_USE " added";
    bool changed = false;
    cJSON *groups =
        wh_clusterqueue_expand_shorthand(rg_json_get_object(req->object, "spec"), &changed);
    if (groups && changed) {
        char *json = rg_json_print(groups);
        static const char *const segs[] = {"spec", "resourceGroups"};
        if (adm_patch_replace(patch, segs, 2, json) == 0) {
            out->reason =
                "clusterqueue: shorthand resources expanded to flavor \"" WH_SHORTHAND_FLAVOR "\"";
        } else {
            *out = (wh_result_t){.allowed = false,
                                 .code = 500,
                                 .message = "raygate: cannot build the ClusterQueue patch",
                                 .reason = "clusterqueue: patch failed"};
        }
        rg_free(json);
    }
    cJSON_Delete(groups);
}

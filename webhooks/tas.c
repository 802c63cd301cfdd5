/*
 * Kueue's topology-aware-scheduling annotations on a job's pod templates
 * (pkg/controller/jobframework/tas_validation.go, v0.19, with TAS and
 * TASMultiLayerTopology on as by default): which combinations are allowed,
 * what the values must look like, and the cross-pod-set rules (slice size
 * within the pod set, pod-set groups of two).
 */
#include "raygate/validate.h"

#include "pod_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for a metadata path, the annotation key and an index suffix. */
#define TAS_PATH_MAX 512
/* Kueue allows one to three layers of slice constraints. */
#define TAS_LAYERS_MAX 3

/* What one pod set's annotations say, once read. */
typedef struct tas_req {
    const char *required, *preferred, *unconstrained;
    const char *slice_required, *slice_size, *constraints, *group;
    bool builds; /* NewPodSetTopologyRequest(...).Build() would succeed */
    bool in_group;
} tas_req_t;

static const char *ann(const cJSON *meta, const char *key)
{
    return rg_json_get_string(rg_json_get_object(meta, "annotations"), key);
}

static void key_path(char *out, const char *meta_path, const char *key)
{
    snprintf(out, TAS_PATH_MAX, "%s.annotations[%s]", meta_path, key);
}

/* strconv.ParseBool. */
static bool go_parse_bool(const char *s)
{
    static const char *const ok[] = {"1", "t", "T", "TRUE",  "true",  "True",
                                     "0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strcmp(s, ok[i]) == 0)
            return true;
    return false;
}

/* strconv.ParseInt(s, 10, 32): an optional sign and decimal digits. */
static bool go_parse_int32(const char *s, int64_t *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (*p == '\0')
        return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return false;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE || v < INT32_MIN || v > INT32_MAX)
        return false;
    *out = v;
    return true;
}

/* strconv.ParseUint(s, 10, 64) succeeds. */
static bool go_is_uint(const char *s)
{
    if (*s == '\0')
        return false;
    for (const char *q = s; *q; q++)
        if (*q < '0' || *q > '9')
            return false;
    errno = 0;
    (void)strtoull(s, NULL, 10);
    return errno != ERANGE;
}

/*
 * Reads the constraints annotation as Kueue unmarshals it: an array of
 * {topology, size}. Returns the number of entries (up to max read into the
 * arrays) or -1 with why set when it is not such an array.
 */
static int read_constraints(const char *json, const char **topo, int64_t *size, int max, char *why,
                            size_t why_size, cJSON **tree)
{
    rg_error_t err = {0};
    *tree = rg_json_parse(json, strlen(json), &err);
    if (*tree == NULL) {
        snprintf(why, why_size, "%s", rg_error_str(&err));
        return -1;
    }
    if (!cJSON_IsArray(*tree)) {
        snprintf(why, why_size, "got %s", rg_json_type_name(*tree));
        return -1;
    }
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, *tree)
    {
        const cJSON *t = rg_json_get(e, "topology"), *s = rg_json_get(e, "size");
        double d = cJSON_IsNumber(s) ? s->valuedouble : 0;
        if (!cJSON_IsObject(e) || (t && !cJSON_IsString(t) && !cJSON_IsNull(t)) ||
            (s && !cJSON_IsNumber(s) && !cJSON_IsNull(s)) ||
            (cJSON_IsNumber(s) && (d != (double)(int64_t)d || d < INT32_MIN || d > INT32_MAX))) {
            snprintf(why, why_size, "entry %d is not {\"topology\": string, \"size\": int32}", n);
            return -1;
        }
        if (n < max) {
            topo[n] = cJSON_IsString(t) ? t->valuestring : "";
            size[n] = cJSON_IsNumber(s) ? (int64_t)d : 0;
        }
        n++;
    }
    return n;
}

/* validateSliceRequiredTopologyConstraintsAnnotation. */
static bool check_constraints(field_errors_t *errs, const wh_tas_podset_t *ps, const tas_req_t *r)
{
    char fld[TAS_PATH_MAX], path[TAS_PATH_MAX + 32];
    key_path(fld, ps->meta_path, WH_TAS_SLICE_CONSTRAINTS);
    if (r->slice_required)
        field_forbidden(errs, fld, "may not be set when '%s' is specified", WH_TAS_SLICE_REQUIRED);
    if (r->slice_size)
        field_forbidden(errs, fld, "may not be set when '%s' is specified", WH_TAS_SLICE_SIZE);
    if (r->group) {
        key_path(path, ps->meta_path, WH_TAS_GROUP_NAME);
        field_forbidden(errs, path, "may not be set when '%s' is specified",
                        WH_TAS_SLICE_CONSTRAINTS);
    }
    const char *topo[TAS_LAYERS_MAX];
    int64_t size[TAS_LAYERS_MAX];
    char why[256];
    cJSON *tree = NULL;
    int n = read_constraints(r->constraints, topo, size, TAS_LAYERS_MAX, why, sizeof(why), &tree);
    bool ok = false;
    if (n < 0) {
        field_invalid_str(errs, fld, r->constraints, "must be a valid JSON array: %s", why);
    } else if (n == 0 || n > TAS_LAYERS_MAX) {
        field_invalid_str(errs, fld, r->constraints,
                          "topology constraints must contain between 1 and 3 entries");
    } else {
        ok = true;
        for (int i = 0; i < n; i++) {
            snprintf(path, sizeof(path), "%s[%d].topology", fld, i);
            wh_check_qualified_name(errs, path, topo[i]);
            if (size[i] < 1) {
                snprintf(path, sizeof(path), "%s[%d].size", fld, i);
                field_invalid_int(errs, path, size[i], "must be greater than or equal to 1");
            }
        }
        for (int i = 1; i < n; i++) {
            for (int j = 0; j < i; j++) {
                if (strcmp(topo[i], topo[j]) == 0) {
                    char shown[128];
                    snprintf(path, sizeof(path), "%s[%d].topology", fld, i);
                    snprintf(shown, sizeof(shown), "%.64s (also at index %d)", topo[i], j);
                    field_duplicate_str(errs, path, shown);
                    break;
                }
            }
        }
        for (int i = 0; i + 1 < n; i++) {
            if (size[i + 1] > 0 && size[i] % size[i + 1] != 0) {
                snprintf(path, sizeof(path), "%s[%d].size", fld, i + 1);
                field_invalid_int(errs, path, size[i + 1],
                                  "must evenly divide the parent layer size %" PRId64, size[i]);
            }
        }
    }
    cJSON_Delete(tree);
    return ok;
}

/* ValidateTASPodSetRequest for one pod set; fills r. */
static void check_request(field_errors_t *errs, const wh_tas_podset_t *ps, tas_req_t *r)
{
    const cJSON *m = ps->meta;
    *r = (tas_req_t){
        .required = ann(m, WH_TAS_REQUIRED),
        .preferred = ann(m, WH_TAS_PREFERRED),
        .unconstrained = ann(m, WH_TAS_UNCONSTRAINED),
        .slice_required = ann(m, WH_TAS_SLICE_REQUIRED),
        .slice_size = ann(m, WH_TAS_SLICE_SIZE),
        .constraints = ann(m, WH_TAS_SLICE_CONSTRAINTS),
        .group = ann(m, WH_TAS_GROUP_NAME),
        .builds = true,
    };
    char apath[TAS_PATH_MAX], path[TAS_PATH_MAX];
    snprintf(apath, sizeof(apath), "%s.annotations", ps->meta_path);
    int found = (r->required != NULL) + (r->preferred != NULL) + (r->unconstrained != NULL);
    if (found > 1)
        field_add(errs, FIELD_INVALID, apath, NULL,
                  "must not contain more than one topology annotation: [\"%s\", \"%s\", \"%s\"]",
                  WH_TAS_REQUIRED, WH_TAS_PREFERRED, WH_TAS_UNCONSTRAINED);
    const char *const named[][2] = {{WH_TAS_REQUIRED, r->required},
                                    {WH_TAS_PREFERRED, r->preferred},
                                    {WH_TAS_SLICE_REQUIRED, r->slice_required}};
    for (size_t i = 0; i < 3; i++) {
        if (named[i][1] == NULL)
            continue;
        key_path(path, ps->meta_path, named[i][0]);
        wh_check_qualified_name(errs, path, named[i][1]);
    }
    if (r->group) {
        key_path(path, ps->meta_path, WH_TAS_GROUP_NAME);
        if (go_is_uint(r->group))
            field_invalid_str(errs, path, r->group, "must not be a number");
        if (r->slice_size)
            field_forbidden(errs, path, "may not be set when '%s' is specified", WH_TAS_SLICE_SIZE);
        if (r->slice_required)
            field_forbidden(errs, path, "may not be set when '%s' is specified",
                            WH_TAS_SLICE_REQUIRED);
        if (!r->preferred && !r->required)
            field_forbidden(errs, path, "may not be set when neither '%s' nor '%s' is specified",
                            WH_TAS_PREFERRED, WH_TAS_REQUIRED);
    }
    if (r->unconstrained && !go_parse_bool(r->unconstrained)) {
        key_path(path, ps->meta_path, WH_TAS_UNCONSTRAINED);
        field_invalid_str(errs, path, r->unconstrained, "must be a boolean value");
        if (!r->required && !r->preferred)
            r->builds = false;
    }
    int64_t size = 0;
    if (r->slice_size) {
        key_path(path, ps->meta_path, WH_TAS_SLICE_SIZE);
        if (!go_parse_int32(r->slice_size, &size)) {
            field_invalid_str(errs, path, r->slice_size, "must be a numeric value");
            if (r->slice_required && !r->constraints)
                r->builds = false;
        } else if (size < 1) {
            field_invalid_str(errs, path, r->slice_size, "must be greater than or equal to 1");
        }
    }
    if (r->slice_required && !r->slice_size) {
        key_path(path, ps->meta_path, WH_TAS_SLICE_SIZE);
        field_required(errs, path, "must be set when '%s' is specified", WH_TAS_SLICE_REQUIRED);
    }
    if (!r->slice_required && r->slice_size) {
        key_path(path, ps->meta_path, WH_TAS_SLICE_SIZE);
        field_forbidden(errs, path, "may not be set when '%s' is not specified",
                        WH_TAS_SLICE_REQUIRED);
    }
    if (r->constraints && !check_constraints(errs, ps, r))
        r->builds = false;
    r->in_group = r->group && (r->required || r->preferred);
}

/* ValidateSliceSizeAnnotationUpperBound. */
static void check_upper_bound(field_errors_t *errs, const wh_tas_podset_t *ps, const tas_req_t *r)
{
    char path[TAS_PATH_MAX];
    int64_t size;
    if (r->slice_size) {
        key_path(path, ps->meta_path, WH_TAS_SLICE_SIZE);
        if (!go_parse_int32(r->slice_size, &size)) {
            field_invalid_str(errs, path, r->slice_size, "must be a numeric value");
            return;
        }
        if (size > ps->count)
            field_invalid_str(errs, path, r->slice_size,
                              "must not be greater than pod set count %" PRId64, ps->count);
    }
    if (r->constraints) {
        const char *topo[TAS_LAYERS_MAX];
        int64_t sizes[TAS_LAYERS_MAX];
        char why[256];
        cJSON *tree = NULL;
        int n =
            read_constraints(r->constraints, topo, sizes, TAS_LAYERS_MAX, why, sizeof(why), &tree);
        cJSON_Delete(tree);
        if (n > 0 && sizes[0] > ps->count) {
            key_path(path, ps->meta_path, WH_TAS_SLICE_CONSTRAINTS);
            field_invalid_int(errs, path, sizes[0],
                              "must not be greater than pod set count %" PRId64, ps->count);
        }
    }
}

/* The requested level of a group member (required wins, as Build does). */
static const char *level_of(const tas_req_t *r, bool *required)
{
    *required = r->required != NULL;
    return r->required ? r->required : r->preferred;
}

/* ValidatePodSetGroupingTopology: groups in order of first appearance. */
static void check_groups(field_errors_t *errs, const wh_tas_podset_t *sets, const tas_req_t *reqs,
                         size_t n)
{
    char path[TAS_PATH_MAX], other[TAS_PATH_MAX];
    for (size_t i = 0; i < n; i++) {
        if (!reqs[i].in_group)
            continue;
        bool first = true;
        size_t members[2], size = 0;
        for (size_t j = 0; j < n; j++) {
            if (!reqs[j].in_group || strcmp(reqs[j].group, reqs[i].group) != 0)
                continue;
            if (j < i)
                first = false;
            if (size < 2)
                members[size] = j;
            size++;
        }
        if (!first)
            continue;
        const char *g = reqs[i].group;
        if (size != 2) {
            for (size_t j = 0; j < n; j++) {
                if (!reqs[j].in_group || strcmp(reqs[j].group, g) != 0)
                    continue;
                key_path(path, sets[j].meta_path, WH_TAS_GROUP_NAME);
                field_invalid_str(errs, path, g,
                                  "can only define groups of exactly 2 pod sets, got: %zu pod "
                                  "set(s)",
                                  size);
            }
            continue;
        }
        const wh_tas_podset_t *a = &sets[members[0]], *b = &sets[members[1]];
        if (a->count != 1 && b->count != 1) {
            for (int k = 0; k < 2; k++) {
                key_path(path, (k ? b : a)->meta_path, WH_TAS_GROUP_NAME);
                field_invalid_str(errs, path, g,
                                  "can only define groups where at least one pod set has only 1 "
                                  "replica, got: %" PRId64 " replica(s) and %" PRId64
                                  " replica(s) in the group",
                                  a->count, b->count);
            }
        }
        bool ra, rb;
        const char *la = level_of(&reqs[members[0]], &ra), *lb = level_of(&reqs[members[1]], &rb);
        if (ra != rb || strcmp(la, lb) != 0) {
            for (int k = 0; k < 2; k++) {
                snprintf(path, sizeof(path), "%s.annotations", (k ? b : a)->meta_path);
                snprintf(other, sizeof(other), "%s.annotations", (k ? a : b)->meta_path);
                field_add(errs, FIELD_INVALID, path, NULL,
                          "must specify '%s' or '%s' topology consistent with '%s' in group '%s'",
                          WH_TAS_REQUIRED, WH_TAS_PREFERRED, other, g);
            }
        }
    }
}

void wh__tas_validate(field_errors_t *errs, const wh_tas_podset_t *sets, size_t n)
{
    tas_req_t reqs[64];
    if (n > sizeof(reqs) / sizeof(reqs[0]))
        n = sizeof(reqs) / sizeof(reqs[0]); /* more pod sets are refused as Too many */
    bool builds = true;
    for (size_t i = 0; i < n; i++) {
        check_request(errs, &sets[i], &reqs[i]);
        builds = builds && reqs[i].builds;
    }
    if (!builds)
        return; /* Kueue cannot build the pod sets: the cross rules are skipped */
    check_groups(errs, sets, reqs, n);
    for (size_t i = 0; i < n; i++)
        check_upper_bound(errs, &sets[i], &reqs[i]);
}

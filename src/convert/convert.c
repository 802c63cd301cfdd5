/*
 * Kueue object conversion between kueue.x-k8s.io v1beta1 and v1beta2 on
 * JSON trees: renamed fields move, changed enum values map, and what one
 * version cannot express waits in a stash annotation for the way back.
 * The field list and its upstream origin are in docs/conversion.md.
 */
#include "raygate/convert.h"

#include "raygate/alloc.h"

#include <stdbool.h>
#include <string.h>

typedef enum kueue_version {
    V_UNKNOWN = 0,
    V1BETA1,
    V1BETA2,
} kueue_version_t;

/* Workload priority class sources (v1beta1) and references (v1beta2). */
#define SRC_WORKLOAD_PC "kueue.x-k8s.io/workloadpriorityclass"
#define SRC_POD_PC "scheduling.k8s.io/priorityclass"
#define WPC_GROUP "kueue.x-k8s.io"
#define WPC_KIND "WorkloadPriorityClass"
#define PC_GROUP "scheduling.k8s.io"
#define PC_KIND "PriorityClass"

/* Stash keys: field paths of the object they restore. Keys starting with
 * '~' record map objects the stash annotation itself had to create. */
#define K_CREATED_METADATA "~metadata"
#define K_CREATED_ANNOTATIONS "~annotations"
#define K_WHEN_CAN_BORROW "spec.flavorFungibility.whenCanBorrow"
#define K_WHEN_CAN_PREEMPT "spec.flavorFungibility.whenCanPreempt"
#define K_ADMISSION_CHECKS "spec.admissionChecks"
#define K_PC_NAME "spec.priorityClassName"
#define K_PC_SOURCE "spec.priorityClassSource"
#define K_PC_REF "spec.priorityClassRef"

static kueue_version_t version_of(const char *api_version)
{
    if (api_version == NULL)
        return V_UNKNOWN;
    if (strcmp(api_version, CONVERT_V1BETA1) == 0)
        return V1BETA1;
    if (strcmp(api_version, CONVERT_V1BETA2) == 0)
        return V1BETA2;
    return V_UNKNOWN;
}

static bool in_kueue_group(const char *api_version)
{
    size_t n = strlen(CONVERT_GROUP);
    return strncmp(api_version, CONVERT_GROUP, n) == 0 && api_version[n] == '/';
}

/* ---- small tree helpers (mutable cJSON; callers own the tree) ---- */

static cJSON *child(cJSON *obj, const char *key)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

static const char *child_str(cJSON *obj, const char *key)
{
    cJSON *n = child(obj, key);
    return cJSON_IsString(n) ? n->valuestring : NULL;
}

/* The object member key of obj, created when absent; NULL when present with
 * another type (left alone). *created tells whether it was made here. */
static cJSON *ensure_object(cJSON *obj, const char *key, bool *created)
{
    if (created)
        *created = false;
    cJSON *n = child(obj, key);
    if (n != NULL)
        return cJSON_IsObject(n) ? n : NULL;
    if (!cJSON_IsObject(obj))
        return NULL;
    n = cJSON_AddObjectToObject(obj, key);
    if (created)
        *created = true;
    return n;
}

/* Sets obj[key] = item (owned), replacing any previous member. */
static void set_item(cJSON *obj, const char *key, cJSON *item)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddItemToObject(obj, key, item);
}

/* Moves obj[from] to obj[to], replacing what to held. */
static void rename_key(cJSON *obj, const char *from, const char *to)
{
    if (!cJSON_IsObject(obj))
        return;
    cJSON *item = cJSON_DetachItemFromObjectCaseSensitive(obj, from);
    if (item != NULL)
        set_item(obj, to, item);
}

static bool str_eq(const cJSON *n, const char *s)
{
    return cJSON_IsString(n) && strcmp(n->valuestring, s) == 0;
}

/* ---- the stash annotation ---- */

static void stash_put(cJSON **stash, const char *path, const cJSON *value)
{
    if (*stash == NULL)
        *stash = cJSON_CreateObject();
    set_item(*stash, path, cJSON_Duplicate(value, true));
}

/*
 * Removes annotation key from obj and returns its parsed stash (owned) or
 * NULL when absent, oversized or not a JSON object. Maps the stash had
 * created are removed again once empty.
 */
static cJSON *stash_take(cJSON *obj, const char *key)
{
    cJSON *meta = child(obj, "metadata");
    cJSON *annotations = child(meta, "annotations");
    cJSON *raw = child(annotations, key);
    if (raw == NULL)
        return NULL;
    cJSON *stash = NULL;
    if (cJSON_IsString(raw)) {
        size_t len = strlen(raw->valuestring);
        if (len > 0 && len <= CONVERT_MAX_STASH) {
            stash = rg_json_parse(raw->valuestring, len, NULL);
            if (stash != NULL && !cJSON_IsObject(stash)) {
                cJSON_Delete(stash);
                stash = NULL;
            }
        }
    }
    cJSON_DeleteItemFromObjectCaseSensitive(annotations, key);
    if (stash != NULL) {
        if (cJSON_IsTrue(child(stash, K_CREATED_ANNOTATIONS)) && annotations->child == NULL)
            cJSON_DeleteItemFromObjectCaseSensitive(meta, "annotations");
        if (cJSON_IsTrue(child(stash, K_CREATED_METADATA)) && meta->child == NULL)
            cJSON_DeleteItemFromObjectCaseSensitive(obj, "metadata");
    }
    return stash;
}

/* Stores stash (consumed; NULL stores nothing) as annotation key of obj. */
static void stash_store(cJSON *obj, const char *key, cJSON *stash)
{
    if (stash == NULL)
        return;
    bool meta_created = false, ann_created = false;
    cJSON *meta = ensure_object(obj, "metadata", &meta_created);
    cJSON *annotations = meta ? ensure_object(meta, "annotations", &ann_created) : NULL;
    if (annotations == NULL) {
        /* metadata or annotations of a wrong type: the apiserver would have
         * refused the object; there is nowhere to keep the values. */
        cJSON_Delete(stash);
        return;
    }
    if (meta_created)
        cJSON_AddBoolToObject(stash, K_CREATED_METADATA, true);
    if (ann_created)
        cJSON_AddBoolToObject(stash, K_CREATED_ANNOTATIONS, true);
    char *text = rg_json_print(stash);
    set_item(annotations, key, cJSON_CreateString(text));
    rg_free(text);
    cJSON_Delete(stash);
}

/* ---- FairSharingStatus (ClusterQueue and Cohort status) ---- */

/* v1beta2's FairSharingStatus has only weightedShare: Kueue's conversion
 * drops v1beta1's admissionFairSharingStatus (Kueue's controller rewrites
 * status; nothing of it is restored on the way back). */
static void fair_sharing_status_up(cJSON *obj)
{
    cJSON *fs = child(child(obj, "status"), "fairSharing");
    if (cJSON_IsObject(fs))
        cJSON_DeleteItemFromObjectCaseSensitive(fs, "admissionFairSharingStatus");
}

/* ---- ClusterQueue ---- */

/* v1beta1 Borrow / Preempt mean what v1beta2 calls MayStopSearch. */
static void fungibility_up(cJSON *ff, const char *key, const char *old_value, const char *stash_key,
                           cJSON **stash)
{
    cJSON *v = child(ff, key);
    if (!str_eq(v, old_value))
        return;
    stash_put(stash, stash_key, v);
    set_item(ff, key, cJSON_CreateString("MayStopSearch"));
}

static void fungibility_down(cJSON *ff, const char *key, const char *old_value,
                             const char *stash_key, cJSON *stash)
{
    if (str_eq(child(stash, stash_key), old_value) && str_eq(child(ff, key), "MayStopSearch"))
        set_item(ff, key, cJSON_CreateString(old_value));
}

/* v1beta1 spec.admissionChecks [names] is v1beta2's
 * spec.admissionChecksStrategy.admissionChecks [{name}]. */
static void admission_checks_up(cJSON *spec, cJSON **stash)
{
    cJSON *checks = child(spec, "admissionChecks");
    if (!cJSON_IsArray(checks))
        return; /* absent, or mistyped: passes through */
    stash_put(stash, K_ADMISSION_CHECKS, checks);
    if (checks->child != NULL) {
        cJSON *strategy = ensure_object(spec, "admissionChecksStrategy", NULL);
        cJSON *rules = strategy ? child(strategy, "admissionChecks") : NULL;
        if (strategy && rules == NULL)
            rules = cJSON_AddArrayToObject(strategy, "admissionChecks");
        if (cJSON_IsArray(rules)) {
            for (cJSON *c = checks->child; c != NULL; c = c->next) {
                cJSON *rule = cJSON_CreateObject();
                cJSON_AddItemToObject(rule, "name", cJSON_Duplicate(c, true));
                cJSON_AddItemToArray(rules, rule);
            }
        }
    }
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "admissionChecks");
}

/* The strategy admission_checks_up builds from checks, for comparison. */
static cJSON *strategy_of(const cJSON *checks)
{
    cJSON *strategy = cJSON_CreateObject();
    cJSON *rules = cJSON_AddArrayToObject(strategy, "admissionChecks");
    for (const cJSON *c = checks->child; c != NULL; c = c->next) {
        cJSON *rule = cJSON_CreateObject();
        cJSON_AddItemToObject(rule, "name", cJSON_Duplicate(c, true));
        cJSON_AddItemToArray(rules, rule);
    }
    return strategy;
}

static void admission_checks_down(cJSON *spec, cJSON *stash)
{
    cJSON *checks = child(stash, K_ADMISSION_CHECKS);
    if (!cJSON_IsArray(checks) || !cJSON_IsObject(spec))
        return;
    cJSON *strategy = child(spec, "admissionChecksStrategy");
    if (checks->child == NULL) {
        /* An explicit empty list: restore it unless a strategy appeared. */
        if (strategy == NULL)
            set_item(spec, "admissionChecks", cJSON_Duplicate(checks, true));
        return;
    }
    /* Restore the v1beta1 form only while the strategy is still exactly
     * what it was converted to; an edited strategy wins. */
    cJSON *expected = strategy_of(checks);
    if (strategy != NULL && cJSON_Compare(strategy, expected, true)) {
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "admissionChecksStrategy");
        set_item(spec, "admissionChecks", cJSON_Duplicate(checks, true));
    }
    cJSON_Delete(expected);
}

static void clusterqueue_up(cJSON *obj, cJSON **stash)
{
    fair_sharing_status_up(obj);
    cJSON *spec = child(obj, "spec");
    if (!cJSON_IsObject(spec))
        return;
    rename_key(spec, "cohort", "cohortName");
    cJSON *ff = child(spec, "flavorFungibility");
    fungibility_up(ff, "whenCanBorrow", "Borrow", K_WHEN_CAN_BORROW, stash);
    fungibility_up(ff, "whenCanPreempt", "Preempt", K_WHEN_CAN_PREEMPT, stash);
    admission_checks_up(spec, stash);
}

static void clusterqueue_down(cJSON *obj, cJSON *stash)
{
    cJSON *spec = child(obj, "spec");
    if (!cJSON_IsObject(spec))
        return;
    rename_key(spec, "cohortName", "cohort");
    cJSON *ff = child(spec, "flavorFungibility");
    fungibility_down(ff, "whenCanBorrow", "Borrow", K_WHEN_CAN_BORROW, stash);
    fungibility_down(ff, "whenCanPreempt", "Preempt", K_WHEN_CAN_PREEMPT, stash);
    admission_checks_down(spec, stash);
}

/* ---- Workload ---- */

static cJSON *priority_ref(const char *group, const char *kind, const char *name)
{
    cJSON *ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "group", group);
    cJSON_AddStringToObject(ref, "kind", kind);
    cJSON_AddStringToObject(ref, "name", name);
    return ref;
}

static void workload_up(cJSON *obj, cJSON **stash, cJSON *back)
{
    cJSON *spec = child(obj, "spec");
    if (cJSON_IsObject(spec)) {
        cJSON *name = child(spec, "priorityClassName");
        cJSON *source = child(spec, "priorityClassSource");
        bool named = cJSON_IsString(name) && name->valuestring[0] != '\0';
        cJSON *ref = NULL;
        if (named && str_eq(source, SRC_WORKLOAD_PC))
            ref = priority_ref(WPC_GROUP, WPC_KIND, name->valuestring);
        else if (named && str_eq(source, SRC_POD_PC))
            ref = priority_ref(PC_GROUP, PC_KIND, name->valuestring);
        if (ref == NULL) {
            /* No v1beta2 form (an empty or unknown source): keep as is. */
            if (name != NULL)
                stash_put(stash, K_PC_NAME, name);
            if (source != NULL)
                stash_put(stash, K_PC_SOURCE, source);
        }
        bool had_v1beta1 = name != NULL || source != NULL;
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "priorityClassName");
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "priorityClassSource");
        if (ref != NULL)
            set_item(spec, "priorityClassRef", ref);
        else if (!had_v1beta1 && child(back, K_PC_REF) != NULL)
            set_item(spec, "priorityClassRef", cJSON_Duplicate(child(back, K_PC_REF), true));
    }
    rename_key(child(obj, "status"), "accumulatedPastExexcutionTimeSeconds",
               "accumulatedPastExecutionTimeSeconds");
}

static void workload_down(cJSON *obj, cJSON *stash, cJSON **back)
{
    cJSON *spec = child(obj, "spec");
    if (cJSON_IsObject(spec)) {
        cJSON *ref = cJSON_DetachItemFromObjectCaseSensitive(spec, "priorityClassRef");
        const char *group = child_str(ref, "group");
        const char *kind = child_str(ref, "kind");
        const char *name = child_str(ref, "name");
        const char *source = NULL;
        if (group && kind && name && strcmp(group, WPC_GROUP) == 0 && strcmp(kind, WPC_KIND) == 0)
            source = SRC_WORKLOAD_PC;
        else if (group && kind && name && strcmp(group, PC_GROUP) == 0 &&
                 strcmp(kind, PC_KIND) == 0)
            source = SRC_POD_PC;
        if (source != NULL) {
            set_item(spec, "priorityClassSource", cJSON_CreateString(source));
            set_item(spec, "priorityClassName", cJSON_CreateString(name));
        } else if (ref != NULL) {
            stash_put(back, K_PC_REF, ref); /* a reference v1beta1 cannot name */
        } else {
            cJSON *stashed_name = child(stash, K_PC_NAME);
            cJSON *stashed_source = child(stash, K_PC_SOURCE);
            if (stashed_name != NULL)
                set_item(spec, "priorityClassName", cJSON_Duplicate(stashed_name, true));
            if (stashed_source != NULL)
                set_item(spec, "priorityClassSource", cJSON_Duplicate(stashed_source, true));
        }
        cJSON_Delete(ref);
    }
    rename_key(child(obj, "status"), "accumulatedPastExecutionTimeSeconds",
               "accumulatedPastExexcutionTimeSeconds");
}

/* ---- LocalQueue ---- */

static void localqueue_up(cJSON *obj)
{
    rename_key(child(obj, "status"), "flavorUsage", "flavorsUsage");
}

static void localqueue_down(cJSON *obj)
{
    rename_key(child(obj, "status"), "flavorsUsage", "flavorUsage");
}

/* ---- entry point ---- */

cJSON *convert_kueue_object(const cJSON *obj, const char *desired_api_version, rg_error_t *err)
{
    if (!cJSON_IsObject(obj)) {
        rg_error_set(err, RG_ERR_INVAL, "object: must be a JSON object, got %s",
                     rg_json_type_name(obj));
        return NULL;
    }
    const char *api_version = rg_json_get_string(obj, "apiVersion");
    const char *kind = rg_json_get_string(obj, "kind");
    if (api_version == NULL || api_version[0] == '\0') {
        rg_error_set(err, RG_ERR_INVAL, "apiVersion: Required value");
        return NULL;
    }
    if (kind == NULL || kind[0] == '\0') {
        rg_error_set(err, RG_ERR_INVAL, "kind: Required value");
        return NULL;
    }
    if (!in_kueue_group(api_version)) {
        rg_error_set(err, RG_ERR_UNSUPPORTED, "apiVersion \"%.200s\": not a %s object", api_version,
                     CONVERT_GROUP);
        return NULL;
    }
    kueue_version_t from = version_of(api_version);
    if (from == V_UNKNOWN) {
        rg_error_set(err, RG_ERR_UNSUPPORTED,
                     "apiVersion \"%.200s\": unknown version, raygate converts %s and %s",
                     api_version, CONVERT_V1BETA1, CONVERT_V1BETA2);
        return NULL;
    }
    kueue_version_t to = version_of(desired_api_version);
    if (to == V_UNKNOWN) {
        rg_error_set(err, RG_ERR_UNSUPPORTED,
                     "desiredAPIVersion \"%.200s\": raygate converts to %s and %s only",
                     desired_api_version ? desired_api_version : "", CONVERT_V1BETA1,
                     CONVERT_V1BETA2);
        return NULL;
    }

    cJSON *out = cJSON_Duplicate(obj, true);
    set_item(out, "apiVersion", cJSON_CreateString(desired_api_version));
    if (from == to)
        return out;

    bool is_cq = strcmp(kind, "ClusterQueue") == 0;
    bool is_wl = strcmp(kind, "Workload") == 0;
    /* `Queue` is the seed's alias of LocalQueue (docs/conversion.md). */
    bool is_lq = strcmp(kind, "LocalQueue") == 0 || strcmp(kind, "Queue") == 0;
    /* Cohort: spec identical in both versions; only its status narrows. */
    bool is_cohort = strcmp(kind, "Cohort") == 0;

    if (to == V1BETA2) {
        /* What v1beta2 once could not say comes back; a stale stash of the
         * target's own kind is dropped and rebuilt. */
        cJSON *back = stash_take(out, CONVERT_ANNOTATION_V1BETA2);
        cJSON_Delete(stash_take(out, CONVERT_ANNOTATION_V1BETA1));
        cJSON *stash = NULL;
        if (is_cq)
            clusterqueue_up(out, &stash);
        else if (is_wl)
            workload_up(out, &stash, back);
        else if (is_lq)
            localqueue_up(out);
        else if (is_cohort)
            fair_sharing_status_up(out);
        cJSON_Delete(back);
        stash_store(out, CONVERT_ANNOTATION_V1BETA1, stash);
    } else {
        cJSON *stash = stash_take(out, CONVERT_ANNOTATION_V1BETA1);
        cJSON_Delete(stash_take(out, CONVERT_ANNOTATION_V1BETA2));
        cJSON *back = NULL;
        if (is_cq)
            clusterqueue_down(out, stash);
        else if (is_wl)
            workload_down(out, stash, &back);
        else if (is_lq)
            localqueue_down(out);
        cJSON_Delete(stash);
        stash_store(out, CONVERT_ANNOTATION_V1BETA2, back);
    }
    return out;
}

/*
 * Priority class rules. scheduling.k8s.io/v1 PriorityClass follows Kubernetes'
 * pkg/apis/scheduling/validation plus the Priority admission plugin's
 * one-global-default rule; Kueue's WorkloadPriorityClass (and the seed's
 * kueue.x-k8s.io/v1beta1 `PriorityClass` alias) follows its CRD schema.
 */
#include "raygate/validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* Kubernetes' scheduling constants (pkg/apis/scheduling/types.go). */
#define PC_HIGHEST_USER_PRIORITY 1000000000
#define PC_SYSTEM_PREFIX "system-"
/* Kueue's WorkloadPriorityClass description, +kubebuilder:validation:MaxLength. */
#define WPC_DESCRIPTION_MAX 2048

#define PC_ALIAS_WARNING \
    "kueue.x-k8s.io/v1beta1 PriorityClass is a raygate alias for WorkloadPriorityClass"

/* The two built-in classes, SystemCriticalPriority (2 x 10^9) and +1000. */
static const struct {
    const char *name;
    int64_t value;
} system_classes[] = {
    {"system-node-critical", 2000001000},
    {"system-cluster-critical", 2000000000},
};

/*
 * Reads an optional int32 at key. Returns 1 with *out set, 0 when absent
 * or null, -1 after adding an error for a wrong type or a value outside
 * int32. The type error reads as the apiserver's schema error does.
 */
static int get_int32(field_errors_t *errs, const char *path, const cJSON *parent,
                     const char *key, int64_t *out)
{
    const cJSON *v = rg_json_get(parent, key);
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsNumber(v)) {
        field_type_error(errs, path, "integer", v);
        return -1;
    }
    double d = v->valuedouble;
    if (!(d >= (double)INT32_MIN && d <= (double)INT32_MAX) || d != (double)(int64_t)d) {
        field_invalid_json(errs, path, v, "must be a 32-bit integer");
        return -1;
    }
    *out = (int64_t)d;
    return 1;
}

/* Reads an optional boolean; -1 after adding an error for a wrong type. */
static int get_bool(field_errors_t *errs, const char *path, const cJSON *parent,
                    const char *key, bool *out)
{
    const cJSON *v = rg_json_get(parent, key);
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsBool(v)) {
        field_type_error(errs, path, "boolean", v);
        return -1;
    }
    *out = cJSON_IsTrue(v);
    return 1;
}

/*
 * ObjectMeta of a cluster-scoped object (ValidateObjectMeta with
 * requiresNamespace=false and NameIsDNSSubdomain). Returns the name, or
 * NULL when it is missing.
 */
static const char *check_cluster_meta(field_errors_t *errs, const cJSON *obj)
{
    const cJSON *meta = rg_json_get_object(obj, "metadata");
    const char *name = rg_json_get_string(meta, "name");
    const char *generate = rg_json_get_string(meta, "generateName");
    if (name == NULL || name[0] == '\0') {
        if (generate == NULL || generate[0] == '\0')
            field_required(errs, "metadata.name", "name or generateName is required");
        name = NULL;
    } else {
        wh_check_dns1123_subdomain(errs, "metadata.name", name);
    }
    const char *ns = rg_json_get_string(meta, "namespace");
    if (ns && ns[0])
        field_forbidden(errs, "metadata.namespace", "not allowed on this type");
    return name;
}

/* IsKnownSystemPriorityClass: NULL when known, else the reason. */
static const char *system_class_problem(const char *name, int64_t value, bool global_default,
                                        char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof(system_classes) / sizeof(system_classes[0]); i++) {
        if (strcmp(system_classes[i].name, name) != 0)
            continue;
        if (system_classes[i].value != value) {
            snprintf(buf, size, "value of %s PriorityClass must be %" PRId64, name,
                     system_classes[i].value);
            return buf;
        }
        if (global_default) {
            snprintf(buf, size, "globalDefault of %s PriorityClass must be false", name);
            return buf;
        }
        return NULL;
    }
    snprintf(buf, size, "%s is not a known system priority class", name);
    return buf;
}

static bool is_scheduling_priorityclass(const cJSON *o)
{
    const char *av = rg_json_get_string(o, "apiVersion");
    const char *kind = rg_json_get_string(o, "kind");
    return av && kind && strncmp(av, "scheduling.k8s.io/", 18) == 0 &&
           strcmp(kind, "PriorityClass") == 0;
}

/*
 * The Priority admission plugin: a class may be marked default only while
 * no other class is. Objects named like this one are this object (an
 * update, or the same document in `raygate check`), so re-saving the
 * current default passes.
 */
static void check_one_default(const wh_vctx_t *ctx, const char *name, field_errors_t *errs)
{
    if (ctx->cluster == NULL || ctx->cluster->count == NULL || ctx->cluster->object == NULL)
        return;
    size_t n = ctx->cluster->count(ctx->cluster->ctx);
    for (size_t i = 0; i < n; i++) {
        const cJSON *o = ctx->cluster->object(ctx->cluster->ctx, i);
        if (o == NULL || !is_scheduling_priorityclass(o))
            continue;
        const char *other = rg_json_get_string(rg_json_get_object(o, "metadata"), "name");
        if (other == NULL || (name && strcmp(other, name) == 0))
            continue;
        if (cJSON_IsTrue(rg_json_get(o, "globalDefault"))) {
            field_forbidden(errs, "globalDefault",
                            "PriorityClass %s is already marked as default. Only one default "
                            "can exist",
                            other);
            return;
        }
    }
}

/* The policy as the apiserver stores it: absent means its default. */
static const char *preemption_policy_of(const cJSON *obj)
{
    const cJSON *p = rg_json_get(obj, "preemptionPolicy");
    if (p == NULL || cJSON_IsNull(p))
        return "PreemptLowerPriority";
    return cJSON_IsString(p) ? p->valuestring : NULL;
}

void wh_priorityclass_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                               field_errors_t *errs, wh_warnings_t *warns)
{
    (void)warns;
    const char *name = check_cluster_meta(errs, obj);

    /* Value is an int32 that a missing field decodes to 0. */
    int64_t value = 0;
    int have_value = get_int32(errs, "value", obj, "value", &value);
    bool global_default = false;
    get_bool(errs, "globalDefault", obj, "globalDefault", &global_default);

    if (name && strncmp(name, PC_SYSTEM_PREFIX, strlen(PC_SYSTEM_PREFIX)) == 0) {
        char why[160];
        const char *problem = system_class_problem(name, value, global_default, why, sizeof(why));
        if (problem)
            field_forbidden(errs, "metadata.name",
                            "priority class names with '" PC_SYSTEM_PREFIX
                            "' prefix are reserved for system use only. error: %s",
                            problem);
    } else if (have_value >= 0 && value > PC_HIGHEST_USER_PRIORITY) {
        field_forbidden(errs, "value", "maximum allowed value of a user defined priority is %d",
                        PC_HIGHEST_USER_PRIORITY);
    }

    const cJSON *pp = rg_json_get(obj, "preemptionPolicy");
    if (pp && !cJSON_IsNull(pp)) {
        static const char *const policies[] = {"PreemptLowerPriority", "Never"};
        if (!cJSON_IsString(pp))
            field_invalid_json(errs, "preemptionPolicy", pp, "must be a string");
        else if (pp->valuestring[0] == '\0')
            field_required(errs, "preemptionPolicy", NULL);
        else if (strcmp(pp->valuestring, policies[0]) != 0 &&
                 strcmp(pp->valuestring, policies[1]) != 0)
            field_not_supported(errs, "preemptionPolicy", pp->valuestring, policies, 2);
    }

    if (ctx->operation == ADM_OP_UPDATE && old != NULL) {
        /* ValidateObjectMetaUpdate: name and namespace stay. */
        static const char *const keys[] = {"name", "namespace"};
        for (size_t i = 0; i < 2; i++) {
            const char *a = rg_json_get_string(rg_json_get_object(obj, "metadata"), keys[i]);
            const char *b = rg_json_get_string(rg_json_get_object(old, "metadata"), keys[i]);
            if (strcmp(a ? a : "", b ? b : "") != 0)
                field_invalid_str(errs, i ? "metadata.namespace" : "metadata.name", a ? a : "",
                                  "field is immutable");
        }
        int64_t old_value = 0;
        field_errors_t scratch = FIELD_ERRORS_INIT;
        int have_old = get_int32(&scratch, "value", old, "value", &old_value);
        field_errors_release(&scratch);
        if (have_value >= 0 && have_old >= 0 && value != old_value)
            field_forbidden(errs, "value", "may not be changed in an update.");
        const char *np = preemption_policy_of(obj), *op = preemption_policy_of(old);
        if (np && op && strcmp(np, op) != 0)
            field_invalid_str(errs, "preemptionPolicy", np, "field is immutable");
    }

    if (global_default)
        check_one_default(ctx, name, errs);
}

/* Characters, as OpenAPI's maxLength counts them (UTF-8 code points). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}

void wh_workloadpriorityclass_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                                       field_errors_t *errs, wh_warnings_t *warns)
{
    (void)ctx;
    (void)old;
    const char *kind = rg_json_get_string(obj, "kind");
    if (kind && strcmp(kind, "PriorityClass") == 0)
        wh_warn(warns, PC_ALIAS_WARNING);

    check_cluster_meta(errs, obj);

    int64_t value = 0;
    if (get_int32(errs, "value", obj, "value", &value) == 0)
        field_required(errs, "value", NULL);

    const cJSON *desc = rg_json_get(obj, "description");
    if (desc && !cJSON_IsNull(desc)) {
        if (!cJSON_IsString(desc)) {
            field_type_error(errs, "description", "string", desc);
        } else if (utf8_chars(desc->valuestring) > WPC_DESCRIPTION_MAX) {
            field_too_long(errs, "description", WPC_DESCRIPTION_MAX);
        }
    }

    /* The alias honours globalDefault (DESIGN.md section 2): keep it a boolean. */
    bool global_default = false;
    get_bool(errs, "globalDefault", obj, "globalDefault", &global_default);
}

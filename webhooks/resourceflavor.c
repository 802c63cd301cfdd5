/*
 * ResourceFlavor rules: Kueue's webhook (pkg/webhooks/resourceflavor_webhook.go:
 * nodeLabels, nodeTaints, tolerations as core validation has them) and the
 * CRD markers (at most 8 of each, taint effects, topologyName rules).
 */
#include "raygate/alloc.h"
#include "raygate/validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define RF_MAX_ITEMS 8

static const char *const EFFECTS[] = {"NoSchedule", "PreferNoSchedule", "NoExecute"};

static bool present(const cJSON *n)
{
    return n != NULL && !cJSON_IsNull(n);
}

/* A string member; "" when absent; NULL with a type error when mistyped. */
static const char *str_member(field_errors_t *errs, field_path_t *p, const cJSON *obj,
                              const char *key)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!present(n))
        return "";
    if (cJSON_IsString(n))
        return n->valuestring;
    size_t m = field_path_push_key(p, key);
    field_type_error(errs, field_path_str(p), "string", n);
    field_path_pop(p, m);
    return NULL;
}

static bool is_effect(const char *e)
{
    for (size_t i = 0; i < 3; i++)
        if (strcmp(e, EFFECTS[i]) == 0)
            return true;
    return false;
}

/* IsValidLabelValue's messages joined with ";" as one error, the way core
 * validation reports taint and toleration values. */
static void label_value_joined(field_errors_t *errs, const char *path, const char *value)
{
    field_errors_t tmp = FIELD_ERRORS_INIT;
    if (!wh_check_label_value(&tmp, path, value)) {
        rg_buf_t d = RG_BUF_INIT;
        for (size_t i = 0; i < tmp.n; i++) {
            if (i)
                rg_buf_append_char(&d, ';');
            rg_buf_append_str(&d, tmp.items[i].detail);
        }
        field_invalid_str(errs, path, value, "%s", d.data);
        rg_buf_release(&d);
    }
    field_errors_release(&tmp);
}

/* Go's %#v of a corev1 struct field string ("Key:\"x\""). */
static void go_field(rg_buf_t *b, const char *name, const char *value)
{
    rg_buf_append_str(b, name);
    rg_buf_append_char(b, ':');
    field_quote(b, value ? value : "");
}

static void check_taints(field_errors_t *errs, const cJSON *taints)
{
    field_path_t p;
    field_path_init(&p, "spec.nodeTaints");
    if (!cJSON_IsArray(taints)) {
        field_type_error(errs, field_path_str(&p), "array", taints);
        return;
    }
    int n = cJSON_GetArraySize(taints);
    if (n > RF_MAX_ITEMS)
        field_too_many(errs, field_path_str(&p), n, RF_MAX_ITEMS);
    bool bad_effect = false;
    size_t i = 0;
    /* Kept taints for the key+effect uniqueness check (bounded below). */
    const char *keys[RF_MAX_ITEMS * 4], *effects[RF_MAX_ITEMS * 4];
    size_t kept = 0;
    for (const cJSON *t = taints->child; t && i < RF_MAX_ITEMS * 4; t = t->next, i++) {
        size_t m = field_path_push_index(&p, i);
        if (!cJSON_IsObject(t)) {
            field_type_error(errs, field_path_str(&p), "object", t);
            field_path_pop(&p, m);
            continue;
        }
        /* Schema: key and effect are required. */
        if (!present(cJSON_GetObjectItemCaseSensitive(t, "key"))) {
            size_t mk = field_path_push_key(&p, "key");
            field_required(errs, field_path_str(&p), NULL);
            field_path_pop(&p, mk);
        }
        const cJSON *eff = cJSON_GetObjectItemCaseSensitive(t, "effect");
        if (!present(eff)) {
            size_t mk = field_path_push_key(&p, "effect");
            field_required(errs, field_path_str(&p), NULL);
            field_path_pop(&p, mk);
        }
        const char *key = str_member(errs, &p, t, "key");
        const char *value = str_member(errs, &p, t, "value");
        const char *effect = str_member(errs, &p, t, "effect");
        if (effect && present(eff) && !is_effect(effect))
            bad_effect = true;
        if (key) {
            size_t mk = field_path_push_key(&p, "key");
            wh_check_qualified_name(errs, field_path_str(&p), key);
            field_path_pop(&p, mk);
        }
        if (value) {
            size_t mk = field_path_push_key(&p, "value");
            label_value_joined(errs, field_path_str(&p), value);
            field_path_pop(&p, mk);
        }
        if (key && effect) {
            bool dup = false;
            for (size_t j = 0; j < kept && !dup; j++)
                dup = strcmp(keys[j], key) == 0 && strcmp(effects[j], effect) == 0;
            if (dup) {
                rg_buf_t v = RG_BUF_INIT;
                rg_buf_append_str(&v, "v1.Taint{");
                go_field(&v, "Key", key);
                rg_buf_append_str(&v, ", ");
                go_field(&v, "Value", value);
                rg_buf_append_str(&v, ", ");
                go_field(&v, "Effect", effect);
                rg_buf_append_str(&v, ", TimeAdded:(*v1.Time)(nil)}");
                field_add(errs, FIELD_DUPLICATE, field_path_str(&p), v.data,
                          "taints must be unique by key and effect pair");
                rg_buf_release(&v);
            } else {
                keys[kept] = key;
                effects[kept] = effect;
                kept++;
            }
        }
        field_path_pop(&p, m);
    }
    /* The list's CEL rule, once at the list. */
    if (bad_effect)
        field_invalid_str(errs, "spec.nodeTaints", "array",
                          "supported taint effect values: 'NoSchedule', 'PreferNoSchedule', "
                          "'NoExecute'");
}

static void check_tolerations(field_errors_t *errs, const cJSON *tols)
{
    static const char *const ops[] = {"Equal", "Exists"};
    field_path_t p;
    field_path_init(&p, "spec.tolerations");
    if (!cJSON_IsArray(tols)) {
        field_type_error(errs, field_path_str(&p), "array", tols);
        return;
    }
    int n = cJSON_GetArraySize(tols);
    if (n > RF_MAX_ITEMS)
        field_too_many(errs, field_path_str(&p), n, RF_MAX_ITEMS);
    size_t i = 0;
    for (const cJSON *t = tols->child; t && i < RF_MAX_ITEMS * 4; t = t->next, i++) {
        size_t m = field_path_push_index(&p, i);
        if (!cJSON_IsObject(t)) {
            field_type_error(errs, field_path_str(&p), "object", t);
            field_path_pop(&p, m);
            continue;
        }
        const char *key = str_member(errs, &p, t, "key");
        const char *op = str_member(errs, &p, t, "operator");
        const char *value = str_member(errs, &p, t, "value");
        const char *effect = str_member(errs, &p, t, "effect");
        const cJSON *secs = cJSON_GetObjectItemCaseSensitive(t, "tolerationSeconds");
        if (present(secs) && !cJSON_IsNumber(secs)) {
            size_t mk = field_path_push_key(&p, "tolerationSeconds");
            field_type_error(errs, field_path_str(&p), "integer", secs);
            field_path_pop(&p, mk);
        }
        if (!key || !op || !value || !effect) {
            field_path_pop(&p, m);
            continue;
        }
        size_t mk;
        if (key[0]) {
            mk = field_path_push_key(&p, "key");
            wh_check_qualified_name(errs, field_path_str(&p), key);
            field_path_pop(&p, mk);
        }
        if (key[0] == '\0' && strcmp(op, "Exists") != 0) {
            mk = field_path_push_key(&p, "operator");
            field_invalid_str(errs, field_path_str(&p), op,
                              "operator must be Exists when `key` is empty, which means \"match "
                              "all values and all keys\"");
            field_path_pop(&p, mk);
        }
        if (present(secs) && strcmp(effect, "NoExecute") != 0) {
            mk = field_path_push_key(&p, "effect");
            field_invalid_str(errs, field_path_str(&p), effect,
                              "effect must be 'NoExecute' when `tolerationSeconds` is set");
            field_path_pop(&p, mk);
        }
        mk = field_path_push_key(&p, "operator");
        if (op[0] == '\0' || strcmp(op, "Equal") == 0) {
            /* Core validation reports a bad value at .operator. */
            label_value_joined(errs, field_path_str(&p), value);
        } else if (strcmp(op, "Exists") == 0) {
            if (value[0]) {
                rg_buf_t v = RG_BUF_INIT;
                rg_buf_append_str(&v, "v1.Toleration{");
                go_field(&v, "Key", key);
                rg_buf_append_str(&v, ", ");
                go_field(&v, "Operator", op);
                rg_buf_append_str(&v, ", ");
                go_field(&v, "Value", value);
                rg_buf_append_str(&v, ", ");
                go_field(&v, "Effect", effect);
                if (present(secs) && cJSON_IsNumber(secs) && secs->valuedouble > -9.2e18 &&
                    secs->valuedouble < 9.2e18)
                    rg_buf_appendf(&v, ", TolerationSeconds:%" PRId64 "}",
                                   (int64_t)secs->valuedouble);
                else
                    rg_buf_append_str(&v, ", TolerationSeconds:(*int64)(nil)}");
                field_add(errs, FIELD_INVALID, field_path_str(&p), v.data,
                          "value must be empty when `operator` is 'Exists'");
                rg_buf_release(&v);
            }
        } else {
            field_not_supported(errs, field_path_str(&p), op, ops, 2);
        }
        field_path_pop(&p, mk);
        if (effect[0] && !is_effect(effect)) {
            mk = field_path_push_key(&p, "effect");
            field_not_supported(errs, field_path_str(&p), effect, EFFECTS, 3);
            field_path_pop(&p, mk);
        }
        field_path_pop(&p, m);
    }
}

void wh_resourceflavor_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                                field_errors_t *errs, wh_warnings_t *warns)
{
    (void)ctx;
    (void)warns;
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
    if (!present(spec))
        return;
    if (!cJSON_IsObject(spec)) {
        field_type_error(errs, "spec", "object", spec);
        return;
    }
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(spec, "nodeLabels");
    if (present(labels)) {
        if (cJSON_IsObject(labels) && cJSON_GetArraySize(labels) > RF_MAX_ITEMS)
            field_too_many(errs, "spec.nodeLabels", cJSON_GetArraySize(labels), RF_MAX_ITEMS);
        wh_check_labels(errs, "spec.nodeLabels", labels);
    }
    const cJSON *taints = cJSON_GetObjectItemCaseSensitive(spec, "nodeTaints");
    if (present(taints))
        check_taints(errs, taints);
    const cJSON *tols = cJSON_GetObjectItemCaseSensitive(spec, "tolerations");
    if (present(tols))
        check_tolerations(errs, tols);

    /* topologyName (TAS): a DNS subdomain; needs nodeLabels; freezes the spec. */
    const cJSON *topo = cJSON_GetObjectItemCaseSensitive(spec, "topologyName");
    if (present(topo)) {
        if (!cJSON_IsString(topo))
            field_type_error(errs, "spec.topologyName", "string", topo);
        else
            wh_check_dns1123_subdomain(errs, "spec.topologyName", topo->valuestring);
        if (!cJSON_IsObject(labels) || cJSON_GetArraySize(labels) < 1)
            field_invalid_str(errs, "spec", "object",
                              "at least one nodeLabel is required when topology is set");
    }
    const cJSON *old_spec = old ? rg_json_get_object(old, "spec") : NULL;
    if (old_spec && present(cJSON_GetObjectItemCaseSensitive(old_spec, "topologyName")) &&
        !cJSON_Compare(spec, old_spec, true))
        field_invalid_str(errs, "spec", "object",
                          "resourceFlavorSpec are immutable when topologyName is set");
}

/*
 * What every integrated kind shares: the owner model (validated metadata and
 * the pod templates in podSet order), Kueue's Workload names, the queue and
 * priority of an owner, and the readers of its state. The per-kind parts
 * live in raycluster.c and rayjob.c; Workloads in workload.c; the run and
 * stop patches in patch.c.
 */
#include "job_internal.h"

#include "raygate/alloc.h"
#include "raygate/field.h"
#include "raygate/sha1.h"
#include "raygate/timeutil.h"
#include "raygate/validate.h"

#include <stdio.h>
#include <string.h>

/* Kueue's jobframework name constants (workload_names.go). */
#define NAME_HASH_LEN 5
#define NAME_PREFIX_MAX (JOB_WORKLOAD_NAME_MAX - 1 - NAME_HASH_LEN)
/* Inputs are Kubernetes names in practice; this only bounds absurd ones
 * (Kueue's own tests hash a 260-character name). */
#define NAME_INPUT_MAX 1024
/* Kueue's TruncateConditionMessage limit and suffix (pkg/util/api). */
#define CONDITION_MESSAGE_MAX (32 * 1024)
#define TRUNCATED_SUFFIX " ..."

int job__opt_string(const cJSON *obj, const char *path, const char *key, const char **out,
                    rg_error_t *err)
{
    const cJSON *v = rg_json_get(obj, key);
    *out = NULL;
    if (v == NULL || cJSON_IsNull(v))
        return RG_OK;
    if (!cJSON_IsString(v))
        return rg_error_set(err, RG_ERR_TYPE, "%s.%s: Invalid value: \"%s\": must be a string",
                            path, key, rg_json_type_name(v));
    *out = v->valuestring;
    return RG_OK;
}

static int opt_typed(const cJSON *obj, const char *path, const char *key, const cJSON **out,
                     int type, const char *want, rg_error_t *err)
{
    const cJSON *v = rg_json_get(obj, key);
    *out = NULL;
    if (v == NULL || cJSON_IsNull(v))
        return RG_OK;
    if ((v->type & 0xFF) != type)
        return rg_error_set(err, RG_ERR_TYPE, "%s.%s: Invalid value: \"%s\": must be %s", path, key,
                            rg_json_type_name(v), want);
    *out = v;
    return RG_OK;
}

int job__opt_object(const cJSON *obj, const char *path, const char *key, const cJSON **out,
                    rg_error_t *err)
{
    return opt_typed(obj, path, key, out, cJSON_Object, "an object", err);
}

int job__opt_array(const cJSON *obj, const char *path, const char *key, const cJSON **out,
                   rg_error_t *err)
{
    return opt_typed(obj, path, key, out, cJSON_Array, "an array", err);
}

cJSON *job__resource_list(const char *cpu, const char *memory)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "cpu", cpu);
    cJSON_AddStringToObject(l, "memory", memory);
    return l;
}

cJSON *job__container(const char *name, const char *image, const cJSON *resources)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "name", name);
    if (image != NULL)
        cJSON_AddStringToObject(c, "image", image);
    cJSON_AddItemToObject(c, "resources", cJSON_Duplicate(resources, 1));
    return c;
}

static const char *str_or(const char *s)
{
    return s ? s : "";
}

job_kind_t job_kind_of(const cJSON *obj)
{
    const char *av = rg_json_get_string(obj, "apiVersion");
    const char *kind = rg_json_get_string(obj, "kind");
    if (av == NULL || kind == NULL || strcmp(av, "ray.io/v1") != 0)
        return JOB_KIND_NONE;
    if (strcmp(kind, "RayCluster") == 0)
        return JOB_KIND_RAYCLUSTER;
    if (strcmp(kind, "RayJob") == 0)
        return JOB_KIND_RAYJOB;
    return JOB_KIND_NONE;
}

/* A required metadata string of at most max bytes. */
static int meta_string(const cJSON *meta, const char *key, size_t max, const char **out,
                       rg_error_t *err)
{
    int rc = job__opt_string(meta, "metadata", key, out, err);
    if (rc != RG_OK)
        return rc;
    if (*out == NULL || (*out)[0] == '\0')
        return rg_error_set(err, RG_ERR_INVAL, "metadata.%s: Required value", key);
    if (strlen(*out) > max)
        return rg_error_set(err, RG_ERR_INVAL,
                            "metadata.%s: Too long: may not be more than %zu "
                            "bytes",
                            key, max);
    return RG_OK;
}

static int load_metadata(const cJSON *obj, job__owner_t *o, rg_error_t *err)
{
    const cJSON *meta = rg_json_get(obj, "metadata");
    if (!cJSON_IsObject(meta))
        return rg_error_set(err, RG_ERR_TYPE,
                            "metadata: Invalid value: \"%s\": must be an "
                            "object",
                            rg_json_type_name(meta));
    const cJSON *m = NULL;
    int rc = meta_string(meta, "name", JOB__NAME_MAX, &o->name, err);
    if (rc == RG_OK)
        rc = meta_string(meta, "namespace", JOB__NAME_MAX, &o->ns, err);
    if (rc == RG_OK)
        rc = meta_string(meta, "uid", JOB__UID_MAX, &o->uid, err);
    if (rc == RG_OK)
        rc = job__opt_string(meta, "metadata", "resourceVersion", &o->resource_version, err);
    if (rc == RG_OK)
        rc = job__opt_object(meta, "metadata", "labels", &m, err);
    if (rc == RG_OK)
        rc = job__opt_object(meta, "metadata", "annotations", &m, err);
    return rc;
}

int job__owner_load(const cJSON *obj, job__owner_t *o, rg_error_t *err)
{
    memset(o, 0, sizeof(*o));
    o->kind = job_kind_of(obj);
    if (o->kind == JOB_KIND_NONE)
        return rg_error_set(err, RG_ERR_INVAL,
                            "kind: Unsupported value: \"%s/%s\": supported "
                            "values: \"ray.io/v1/RayCluster\", \"ray.io/v1/RayJob\"",
                            str_or(rg_json_get_string(obj, "apiVersion")),
                            str_or(rg_json_get_string(obj, "kind")));
    o->obj = obj;
    int rc = load_metadata(obj, o, err);
    if (rc != RG_OK)
        return rc;
    const cJSON *spec = rg_json_get(obj, "spec");
    if (!cJSON_IsObject(spec))
        return rg_error_set(err, RG_ERR_TYPE, "spec: Invalid value: \"%s\": must be an object",
                            rg_json_type_name(spec));
    o->cluster_spec = spec;
    o->cs_path = "spec";
    if (o->kind == JOB_KIND_RAYJOB)
        rc = job__rayjob_prepare(o, err);
    if (rc == RG_OK)
        rc = job__cluster_slots(o, err);
    if (rc == RG_OK && o->kind == JOB_KIND_RAYJOB)
        rc = job__rayjob_submitter_slot(o, err);
    return rc;
}

int job__check_name(bool (*check)(field_errors_t *, const char *, const char *), const char *field,
                    const char *value, const char *note, rg_error_t *err)
{
    field_errors_t errs = FIELD_ERRORS_INIT;
    int rc = RG_OK;
    if (!check(&errs, field, value)) {
        rg_buf_t b = RG_BUF_INIT;
        field_error_format(&errs.items[0], &b);
        rc = rg_error_set(err, RG_ERR_INVAL, "%s%s%s", b.data, note ? " " : "", note ? note : "");
        rg_buf_release(&b);
    }
    field_errors_release(&errs);
    return rc;
}

int job__workload_controller(const cJSON *wl, const char **name, const char **uid, rg_error_t *err)
{
    const cJSON *ref;
    cJSON_ArrayForEach(ref, rg_json_get_array(rg_json_get(wl, "metadata"), "ownerReferences"))
    {
        bool controller = false;
        if (rg_json_get_bool(ref, "controller", &controller) == 1 && controller) {
            *name = rg_json_get_string(ref, "name");
            *uid = rg_json_get_string(ref, "uid");
            if (*name != NULL && *uid != NULL)
                return RG_OK;
        }
    }
    return rg_error_set(err, RG_ERR_STATE,
                        "metadata.ownerReferences: Required value: the "
                        "Workload has no controller owner with a name and uid");
}

int64_t job__max_exec_seconds(const cJSON *owner)
{
    const char *v = rg_json_get_string(rg_json_path(owner, "metadata", "labels", NULL),
                                       JOB_LABEL_MAX_EXEC_TIME);
    /* Go's strconv.ParseInt(v, 10, 32): optional sign, digits only. */
    if (v == NULL || v[0] == '\0' || strlen(v) > 12)
        return -1;
    const char *p = v + (v[0] == '+' || v[0] == '-');
    int64_t n = 0;
    if (*p == '\0')
        return -1;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
    }
    if (v[0] == '-' || n <= 0 || n > INT32_MAX)
        return -1;
    return n;
}

bool job__condition_true(const cJSON *wl, const char *type)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, rg_json_get_array(rg_json_get(wl, "status"), "conditions"))
    {
        const char *t = rg_json_get_string(c, "type");
        const char *st = rg_json_get_string(c, "status");
        if (t && st && strcmp(t, type) == 0)
            return strcmp(st, "True") == 0;
    }
    return false;
}

/* ---- Names ---- */

/* Kueue's GetWorkloadNameForOwnerWithGVK, with ShortWorkloadNames' limit. */
int job_workload_name(const char *kind, const char *group, const char *owner_name,
                      const char *owner_uid, char out[JOB_WORKLOAD_NAME_MAX + 1], rg_error_t *err)
{
    const char *args[] = {kind, group, owner_name, owner_uid};
    const char *names[] = {"kind", "group", "name", "uid"};
    for (int i = 0; i < 4; i++) {
        if (args[i] == NULL || (i != 1 && args[i][0] == '\0'))
            return rg_error_set(err, RG_ERR_INVAL, "workload name: %s: Required value", names[i]);
        if (strlen(args[i]) > NAME_INPUT_MAX)
            return rg_error_set(err, RG_ERR_INVAL,
                                "workload name: %s: Too long: may not be "
                                "more than %d bytes",
                                names[i], NAME_INPUT_MAX);
    }
    /* "<lowercase kind>-<name>", cut to the prefix limit. */
    char prefix[NAME_PREFIX_MAX + 1];
    size_t n = 0;
    for (const char *p = kind; *p && n < NAME_PREFIX_MAX; p++)
        prefix[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    if (n < NAME_PREFIX_MAX)
        prefix[n++] = '-';
    for (const char *p = owner_name; *p && n < NAME_PREFIX_MAX; p++)
        prefix[n++] = *p;
    prefix[n] = '\0';
    rg_sha1_t h;
    rg_sha1_init(&h);
    for (int i = 0; i < 4; i++) {
        if (i)
            rg_sha1_update(&h, "\n", 1);
        rg_sha1_update(&h, args[i], strlen(args[i]));
    }
    uint8_t digest[RG_SHA1_LEN];
    char hex[2 * RG_SHA1_LEN + 1];
    rg_sha1_final(&h, digest);
    rg_sha1_hex(digest, hex);
    snprintf(out, JOB_WORKLOAD_NAME_MAX + 1, "%s-%.*s", prefix, NAME_HASH_LEN, hex);
    return job__check_name(wh_check_dns1123_subdomain, "Workload metadata.name", out, NULL, err);
}

/* ---- Queue and priority ---- */

const char *job_queue_name(const cJSON *owner, bool default_queue_exists)
{
    const char *q =
        rg_json_get_string(rg_json_path(owner, "metadata", "labels", NULL), JOB_LABEL_QUEUE_NAME);
    if (q != NULL && q[0] != '\0')
        return q;
    return default_queue_exists ? JOB_DEFAULT_LOCAL_QUEUE : NULL;
}

/* The first template with a priorityClassName, in podSet order. */
static int template_priority_class(const job__owner_t *o, const char **name, char *path,
                                   size_t path_size, rg_error_t *err)
{
    *name = NULL;
    for (size_t i = 0; i < o->n; i++) {
        char sub[JOB__PATH_MAX + 8];
        snprintf(sub, sizeof(sub), "%s.spec", o->slots[i].path);
        const char *pc = NULL;
        int rc = job__opt_string(rg_json_get(o->slots[i].tmpl, "spec"), sub, "priorityClassName",
                                 &pc, err);
        if (rc != RG_OK)
            return rc;
        if (pc != NULL && pc[0] != '\0') {
            *name = pc;
            snprintf(path, path_size, "%s.priorityClassName", sub);
            return RG_OK;
        }
    }
    return RG_OK;
}

static int lookup_class(job_priority_fn lookup, void *ctx, job_prio_source_t source,
                        const char *name, const char *field, job_priority_t *out, rg_error_t *err)
{
    if (strlen(name) >= sizeof(out->name))
        return rg_error_set(err, RG_ERR_INVAL,
                            "%s: Invalid value: \"%.64s...\": longer than "
                            "a Kubernetes name",
                            field, name);
    out->value = 0;
    int rc = lookup(ctx, source, name, out, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return rg_error_set(
            err, RG_ERR_NOT_FOUND, "%s: Not found: \"%s\": no %s of that name", field, name,
            source == JOB_PRIO_WORKLOAD_CLASS ? "WorkloadPriorityClass" : "PriorityClass");
    out->source = source;
    snprintf(out->name, sizeof(out->name), "%s", name);
    return RG_OK;
}

static int resolve_priority(const job__owner_t *o, job_priority_fn lookup, void *ctx,
                            job_priority_t *out, rg_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (lookup == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "priority: no priority-class lookup given");
    const char *wpc = rg_json_get_string(rg_json_path(o->obj, "metadata", "labels", NULL),
                                         JOB_LABEL_PRIORITY_CLASS);
    if (wpc != NULL && wpc[0] != '\0')
        return lookup_class(lookup, ctx, JOB_PRIO_WORKLOAD_CLASS, wpc,
                            "metadata.labels[" JOB_LABEL_PRIORITY_CLASS "]", out, err);
    const char *pc = NULL;
    char field[JOB__PATH_MAX + 32];
    int rc = template_priority_class(o, &pc, field, sizeof(field), err);
    if (rc != RG_OK)
        return rc;
    if (pc != NULL)
        return lookup_class(lookup, ctx, JOB_PRIO_POD_CLASS, pc, field, out, err);
    rc = lookup(ctx, JOB_PRIO_NONE, NULL, out, err);
    if (rc < 0)
        return rc;
    if (rc == 0 || out->source == JOB_PRIO_NONE)
        memset(out, 0, sizeof(*out));
    out->name[sizeof(out->name) - 1] = '\0';
    return RG_OK;
}

int job_priority_resolve(const cJSON *owner, job_priority_fn lookup, void *ctx, job_priority_t *out,
                         rg_error_t *err)
{
    job__owner_t o;
    int rc = job__owner_load(owner, &o, err);
    if (rc != RG_OK)
        return rc;
    return resolve_priority(&o, lookup, ctx, out, err);
}

int job__priority_of(const job__owner_t *o, job_priority_fn lookup, void *ctx, job_priority_t *out,
                     rg_error_t *err)
{
    return resolve_priority(o, lookup, ctx, out, err);
}

/* ---- Owner state ---- */

int job_suspended(const cJSON *owner, bool *out, rg_error_t *err)
{
    *out = false;
    if (rg_json_get_bool(rg_json_get(owner, "spec"), "suspend", out) < 0)
        return rg_error_set(err, RG_ERR_TYPE,
                            "spec.suspend: Invalid value: \"%s\": must be a "
                            "boolean",
                            rg_json_type_name(rg_json_path(owner, "spec", "suspend", NULL)));
    return RG_OK;
}

bool job_created_by_rayjob(const cJSON *raycluster)
{
    if (job_kind_of(raycluster) != JOB_KIND_RAYCLUSTER)
        return false;
    const cJSON *meta = rg_json_get(raycluster, "metadata");
    const char *from =
        rg_json_get_string(rg_json_get(meta, "labels"), JOB_LABEL_ORIGINATED_FROM_CRD);
    if (from != NULL && strcmp(from, "RayJob") == 0)
        return true;
    const cJSON *ref;
    cJSON_ArrayForEach(ref, rg_json_get_array(meta, "ownerReferences"))
    {
        const char *kind = rg_json_get_string(ref, "kind");
        const char *av = rg_json_get_string(ref, "apiVersion");
        bool controller = false;
        if (kind && av && strcmp(kind, "RayJob") == 0 && strncmp(av, "ray.io/", 7) == 0 &&
            rg_json_get_bool(ref, "controller", &controller) == 1 && controller)
            return true;
    }
    return false;
}

bool job_uses_existing_cluster(const cJSON *rayjob)
{
    const cJSON *sel = rg_json_path(rayjob, "spec", "clusterSelector", NULL);
    return job_kind_of(rayjob) == JOB_KIND_RAYJOB && cJSON_IsObject(sel) && sel->child != NULL;
}

int job_finished(const cJSON *owner, job_finish_t *out, rg_error_t *err)
{
    *out = (job_finish_t){.message = ""};
    switch (job_kind_of(owner)) {
    case JOB_KIND_RAYJOB: return job__rayjob_finished(owner, out, err);
    case JOB_KIND_RAYCLUSTER: return RG_OK; /* a RayCluster never finishes */
    default:
        return rg_error_set(err, RG_ERR_INVAL, "kind: Unsupported value: \"%s\"",
                            str_or(rg_json_get_string(owner, "kind")));
    }
}

bool job_pods_ready(const cJSON *owner)
{
    switch (job_kind_of(owner)) {
    case JOB_KIND_RAYCLUSTER: return job__raycluster_pods_ready(owner);
    case JOB_KIND_RAYJOB: return job__rayjob_pods_ready(owner);
    default: return false;
    }
}

bool job_active(const cJSON *owner)
{
    switch (job_kind_of(owner)) {
    case JOB_KIND_RAYCLUSTER: return job__raycluster_active(owner);
    case JOB_KIND_RAYJOB: return job__rayjob_active(owner);
    default: return false;
    }
}

bool job_on_hold(const cJSON *owner)
{
    return job_kind_of(owner) == JOB_KIND_RAYJOB && job__rayjob_on_hold(owner);
}

const char *job_gang_cluster_name(const cJSON *owner)
{
    const char *name = NULL;
    switch (job_kind_of(owner)) {
    case JOB_KIND_RAYCLUSTER:
        name = rg_json_get_string(rg_json_get(owner, "metadata"), "name");
        break;
    case JOB_KIND_RAYJOB:
        name = rg_json_get_string(rg_json_get(owner, "status"), "rayClusterName");
        break;
    default: break;
    }
    return name && name[0] ? name : NULL;
}

int job_finished_condition(const cJSON *workload, const char *reason, const char *message,
                           int64_t now_unix_ns, cJSON **out, rg_error_t *err)
{
    *out = NULL;
    static const char *const reasons[] = {JOB_FINISHED_SUCCEEDED, JOB_FINISHED_FAILED,
                                          JOB_FINISHED_FAILED_TO_START,
                                          JOB_FINISHED_OWNER_NOT_FOUND};
    bool known = false;
    for (size_t i = 0; reason && i < sizeof(reasons) / sizeof(reasons[0]); i++)
        known |= strcmp(reason, reasons[i]) == 0;
    if (!known)
        return rg_error_set(err, RG_ERR_INVAL, "reason: Unsupported value: \"%s\"",
                            reason ? reason : "");
    const cJSON *gen = rg_json_path(workload, "metadata", "generation", NULL);
    if (!cJSON_IsObject(workload) || (gen != NULL && !cJSON_IsNumber(gen)))
        return rg_error_set(err, RG_ERR_TYPE,
                            "metadata.generation: Invalid value: \"%s\": "
                            "must be an integer",
                            rg_json_type_name(gen));
    char when[32];
    rg_time_format_rfc3339_seconds(now_unix_ns, when, sizeof(when));
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "type", "Finished");
    cJSON_AddStringToObject(c, "status", "True");
    cJSON_AddNumberToObject(c, "observedGeneration", gen ? gen->valuedouble : 0);
    cJSON_AddStringToObject(c, "lastTransitionTime", when);
    cJSON_AddStringToObject(c, "reason", reason);
    const char *msg = message ? message : "";
    if (strlen(msg) <= CONDITION_MESSAGE_MAX) {
        cJSON_AddStringToObject(c, "message", msg);
    } else {
        size_t keep = CONDITION_MESSAGE_MAX - strlen(TRUNCATED_SUFFIX);
        char *cut = rg_asprintf("%.*s%s", (int)keep, msg, TRUNCATED_SUFFIX);
        cJSON_AddStringToObject(c, "message", cut);
        rg_free(cut);
    }
    *out = c;
    return RG_OK;
}

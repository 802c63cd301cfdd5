/*
 * The validating webhook's rules: one file per kind under webhooks/, each a
 * pure function from (object, old object, context) to field errors and
 * warnings. The same functions serve POST /validate, `raygate check` and
 * the unit tests. Any thread may call them; they read the cluster view
 * only through wh_cluster_t and never block.
 */
#ifndef RAYGATE_VALIDATE_H
#define RAYGATE_VALIDATE_H

#include "raygate/admission.h"
#include "raygate/field.h"
#include "raygate/json.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * What validators may know of the cluster: every object raygate sees (any
 * kind, any version), as a list. In standalone mode the local manifests;
 * for `raygate check` the documents of the input; later the watch caches.
 * All borrowed; ctx is the implementation's.
 */
typedef struct wh_cluster {
    size_t (*count)(const void *ctx);
    const cJSON *(*object)(const void *ctx, size_t i);
    const void *ctx;
} wh_cluster_t;

/* Warnings (admission `warnings`, `raygate check` lines): owned strings. */
typedef struct wh_warnings {
    char **items;
    size_t n;
    size_t cap;
} wh_warnings_t;

#define WH_WARNINGS_INIT {NULL, 0, 0}
void wh_warnings_release(wh_warnings_t *w);
void wh_warn(wh_warnings_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The API family an object's apiVersion names. */
typedef enum wh_api {
    WH_API_OTHER = 0,
    WH_API_KUEUE_V1BETA1,
    WH_API_KUEUE_V1BETA2,
    WH_API_RAY_V1,
    WH_API_SCHEDULING_V1,
} wh_api_t;

/* Everything a rule may consult besides the objects themselves. */
typedef struct wh_vctx {
    adm_operation_t operation; /* ADM_OP_CREATE or ADM_OP_UPDATE (old != NULL) */
    const char *sub_resource;  /* "" or "status" */
    wh_api_t api;              /* of the new object */
    const wh_cluster_t *cluster; /* NULL when nothing is known */
} wh_vctx_t;

typedef void (*wh_validate_fn)(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                               field_errors_t *errs, wh_warnings_t *warns);

/* Per-kind rules. obj is the new object; old is NULL on CREATE. */
void wh_clusterqueue_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                              field_errors_t *errs, wh_warnings_t *warns);
/* A Cohort (webhooks/cohort.c). */
void wh_cohort_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                        field_errors_t *errs, wh_warnings_t *warns);
void wh_localqueue_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                            field_errors_t *errs, wh_warnings_t *warns);
void wh_resourceflavor_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                                field_errors_t *errs, wh_warnings_t *warns);
void wh_workloadpriorityclass_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                                       field_errors_t *errs, wh_warnings_t *warns);
void wh_priorityclass_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                               field_errors_t *errs, wh_warnings_t *warns);
void wh_workload_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                          field_errors_t *errs, wh_warnings_t *warns);
void wh_raycluster_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                            field_errors_t *errs, wh_warnings_t *warns);
void wh_rayjob_validate(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                        field_errors_t *errs, wh_warnings_t *warns);

/* The API family of an apiVersion string ("kueue.x-k8s.io/v1beta2"). */
wh_api_t wh_api_of(const char *api_version);

/*
 * The rule set for an object's apiVersion and kind, including the seed's
 * aliases (kueue `Queue` = LocalQueue, kueue `PriorityClass` =
 * WorkloadPriorityClass); NULL when raygate has no rules for it.
 */
wh_validate_fn wh_validator_for(const char *api_version, const char *kind);

/*
 * Validates one object: runs its rules, then drops duplicate errors.
 * Returns false when raygate has no rules for the kind (nothing added).
 */
bool wh_validate_object(const wh_vctx_t *ctx, const cJSON *obj, const cJSON *old,
                        field_errors_t *errs, wh_warnings_t *warns);

/* ---- Shared Kubernetes name and metadata checks (webhooks/names.c) ---- */
/*
 * Each appends apimachinery's exact messages as FIELD_INVALID errors at
 * field (value quoted) and returns true when value was valid.
 */
bool wh_check_dns1123_subdomain(field_errors_t *errs, const char *field, const char *value);
bool wh_check_dns1123_label(field_errors_t *errs, const char *field, const char *value);
bool wh_check_qualified_name(field_errors_t *errs, const char *field, const char *value);
bool wh_check_label_value(field_errors_t *errs, const char *field, const char *value);
/* metadata.labels / annotations maps: keys qualified names, label values
 * valid; annotations total size <= 256 KiB. path is the map's path. */
void wh_check_labels(field_errors_t *errs, const char *path, const cJSON *labels);
void wh_check_annotations(field_errors_t *errs, const char *path, const cJSON *annotations);
/* A metav1.LabelSelector (matchLabels, matchExpressions with In, NotIn,
 * Exists, DoesNotExist and their value rules). */
void wh_check_label_selector(field_errors_t *errs, const char *path, const cJSON *selector);

#endif

/*
 * Helpers shared by the Workload rule files (webhooks/workload_validate.c:
 * spec and update rules; webhooks/workload_status.c: status rules). Private
 * to webhooks/; pure functions over borrowed cJSON nodes, any thread.
 */
#ifndef RAYGATE_WEBHOOKS_WORKLOAD_INTERNAL_H
#define RAYGATE_WEBHOOKS_WORKLOAD_INTERNAL_H

#include "raygate/field.h"
#include "raygate/json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WL_DEFAULT_PODSET "main"
#define WL_MSG_IMMUTABLE "field is immutable"
/* Per-podSet checks stop here: a longer list is already denied as Too
 * many, and some checks are quadratic. */
#define WL_PODSETS_SCAN_MAX 64
/* Kueue's elastic-job annotation (workloadslicing.EnabledAnnotationKey). */
#define WL_ELASTIC_ANNOTATION "kueue.x-k8s.io/elastic-job"
/* Set on a scaled-up elastic slice: the key of the slice it replaces. */
#define WL_SLICE_REPLACEMENT_ANNOTATION "kueue.x-k8s.io/workload-slice-replacement-for"

/*
 * An optional int32 at path: 1 with *out set, 0 when absent or null, -1
 * after an error (wrong type, outside int32) appended to errs (which may be
 * NULL to only test).
 */
int wh__wl_get_int32(field_errors_t *errs, const char *path, const cJSON *v, int64_t *out);

/* A podSet's name as the CRD default makes it ("main" when absent; a lone
 * podSet's "" too, as the defaulter names it); NULL when not a string. */
const char *wh__wl_podset_name(const cJSON *ps, size_t n_podsets);
/* A podSet's count with the CRD default 1; -1 when unreadable. */
int64_t wh__wl_podset_count(const cJSON *ps);
/* The podSet of obj named name, or NULL. */
const cJSON *wh__wl_podset_by_name(const cJSON *obj, const char *name);

/* Condition type has status True (workload.HasQuotaReservation for
 * "QuotaReserved", IsAdmitted for "Admitted"). */
bool wh__wl_condition_true(const cJSON *obj, const char *type);
/* status.admission when set (not null), else NULL. */
const cJSON *wh__wl_admission(const cJSON *obj);
/* workloadslicing.Enabled: the elastic-job annotation is "true" (Kueue's
 * ElasticJobsViaWorkloadSlices gate is on by default since v0.18). */
bool wh__wl_elastic(const cJSON *obj);

/* ---- status rules (webhooks/workload_status.c) ---- */

/* validateAdmission (while QuotaReserved), the CEL rule on the podSet
 * count; old is NULL on CREATE. */
void wh__wl_check_admission(field_errors_t *errs, const cJSON *obj, const cJSON *old);
/* validateReclaimablePods; old is NULL on CREATE. */
void wh__wl_check_reclaimable(field_errors_t *errs, const cJSON *obj, const cJSON *old);
/* validateAdmissionChecks (podSetUpdates) and its CRD bounds. */
void wh__wl_check_admission_checks(field_errors_t *errs, const cJSON *obj);
/* The CRD bounds and CEL rules on clusterName and nominatedClusterNames. */
void wh__wl_check_cluster_name(field_errors_t *errs, const cJSON *obj, const cJSON *old);

/* ---- UPDATE status rules ---- */
void wh__wl_check_reclaimable_update(field_errors_t *errs, const cJSON *obj, const cJSON *old);
void wh__wl_check_podset_updates_immutable(field_errors_t *errs, const cJSON *obj,
                                           const cJSON *old);

#endif

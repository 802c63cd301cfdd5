/*
 * Kueue rules on object metadata that several kinds share (Workload and the
 * job kinds): webhooks/kueue_meta.c. Private to webhooks/; pure functions.
 */
#ifndef RAYGATE_WEBHOOKS_KUEUE_INTERNAL_H
#define RAYGATE_WEBHOOKS_KUEUE_INTERNAL_H

#include "raygate/field.h"
#include "raygate/json.h"

/* Kueue's admission gates: a comma-separated list of gate names. */
#define WH_ANNOTATION_ADMISSION_GATED_BY "kueue.x-k8s.io/admission-gated-by"

/*
 * Kueue's AdmissionGatedBy rules (beta, on by default in v0.19;
 * pkg/util/webhook/validation_admissiongatedby.go): every gate a
 * domain-prefixed path of at most 63 characters, no empty or repeated gate;
 * on UPDATE (old != NULL) no gate may be added, only removed.
 */
void wh__check_admission_gated_by(field_errors_t *errs, const cJSON *obj, const cJSON *old);

/*
 * metav1validation.ValidateConditions over a status.conditions list at
 * path: type a qualified name and unique, status True/False/Unknown,
 * observedGeneration >= 0, lastTransitionTime and reason set, reason's
 * format and length, message length.
 */
void wh__check_conditions(field_errors_t *errs, const char *path, const cJSON *conditions);

#endif

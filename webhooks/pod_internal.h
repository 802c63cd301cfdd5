/*
 * Rules on pod templates that several kinds share (Workload podSets, the
 * RayCluster groups, a RayJob's cluster and submitter): resource quantities
 * (webhooks/podtemplate.c) and Kueue's topology-aware-scheduling annotations
 * (webhooks/tas.c). Private to webhooks/; pure functions, any thread.
 */
#ifndef RAYGATE_WEBHOOKS_POD_INTERNAL_H
#define RAYGATE_WEBHOOKS_POD_INTERNAL_H

#include "raygate/field.h"
#include "raygate/json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* `pods` is a resource name Kueue keeps for itself in Workload podSets. */
#define WH_QTY_RESERVE_PODS 1u

/*
 * Every quantity of a pod spec (borrowed; p is its path, restored on
 * return): containers[] and initContainers[] resources.requests/limits,
 * the pod-level resources.requests/limits and overhead. Each must parse as
 * a Kubernetes quantity (the CRD schema's pattern, as the apiserver checks
 * it for upstream CRDs) and be >= 0. flags: WH_QTY_*.
 */
void wh__pod_spec_quantities(field_errors_t *errs, field_path_t *p, const cJSON *pod_spec,
                             unsigned flags);

/* A container's resources ({requests, limits}) at p: the same checks. */
void wh__resources_quantities(field_errors_t *errs, field_path_t *p, const cJSON *resources,
                              unsigned flags);

/* Kueue's topology annotations on a pod template (pkg/controller/jobframework). */
#define WH_TAS_REQUIRED "kueue.x-k8s.io/podset-required-topology"
#define WH_TAS_PREFERRED "kueue.x-k8s.io/podset-preferred-topology"
#define WH_TAS_UNCONSTRAINED "kueue.x-k8s.io/podset-unconstrained-topology"
#define WH_TAS_SLICE_REQUIRED "kueue.x-k8s.io/podset-slice-required-topology"
#define WH_TAS_SLICE_SIZE "kueue.x-k8s.io/podset-slice-size"
#define WH_TAS_SLICE_CONSTRAINTS "kueue.x-k8s.io/podset-slice-required-topology-constraints"
#define WH_TAS_GROUP_NAME "kueue.x-k8s.io/podset-group-name"

/* One pod set of a job as Kueue's TAS checks see it. */
typedef struct wh_tas_podset {
    const char *name;      /* the podSet name (head, a group name, ...) */
    const cJSON *meta;     /* the template's metadata (borrowed; may be NULL) */
    const char *meta_path; /* "spec.headGroupSpec.template.metadata" */
    int64_t count;         /* pods in the pod set */
} wh_tas_podset_t;

/*
 * ValidateTASPodSetRequest on each pod set, then (when every pod set's
 * annotations parse) ValidateSliceSizeAnnotationUpperBound and
 * ValidatePodSetGroupingTopology across them, in Kueue's order.
 */
void wh__tas_validate(field_errors_t *errs, const wh_tas_podset_t *sets, size_t n);

#endif

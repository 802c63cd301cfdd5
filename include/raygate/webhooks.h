/*
 * Admission policies, one file per kind under webhooks/: what raygate
 * mutates on the way in. Pure functions of the decoded request: no I/O, no
 * locks, no clock, so any worker thread may call them concurrently and the
 * unit tests call them without HTTP. The HTTP adapter (serve) decodes,
 * calls wh_mutate, encodes, audits.
 */
#ifndef RAYGATE_WEBHOOKS_H
#define RAYGATE_WEBHOOKS_H

#include "raygate/admission.h"
#include "raygate/validate.h"

#include <stdbool.h>

/* Label naming a RayCluster's or RayJob's LocalQueue (Kueue's own). */
#define WH_LABEL_QUEUE_NAME "kueue.x-k8s.io/queue-name"
/* Label KubeRay puts on the RayCluster a RayJob creates. */
#define WH_LABEL_ORIGINATED_FROM_CRD "ray.io/originated-from-crd"
/* raygate's bookkeeping annotation: Pending until the admitter admits. */
#define WH_ANNOTATION_ADMISSION "raygate.dev/admission"
#define WH_ADMISSION_PENDING "Pending"
/* Kueue's name for a Workload's only podSet when it has none. */
#define WH_DEFAULT_PODSET_NAME "main"
/* The LocalQueue a namespace's jobs fall into when they name none. */
#define WH_DEFAULT_LOCAL_QUEUE "default"
/* Kueue's finalizer on ClusterQueues and ResourceFlavors: kept while used. */
#define WH_FINALIZER_RESOURCE_IN_USE "kueue.x-k8s.io/resource-in-use"
/* Kueue's elastic-job annotation and the scheduling gate of its pods. */
#define WH_ANNOTATION_ELASTIC_JOB "kueue.x-k8s.io/elastic-job"
#define WH_ELASTIC_JOB_GATE "kueue.x-k8s.io/elastic-job"

/* Kinds with a policy; WH_KIND_OTHER passes through unchanged. */
typedef enum wh_kind {
    WH_KIND_OTHER = 0,
    WH_KIND_RAYCLUSTER,
    WH_KIND_RAYJOB,
    WH_KIND_WORKLOAD,
    WH_KIND_CLUSTERQUEUE,
    WH_KIND_RESOURCEFLAVOR,
} wh_kind_t;

/* Which policy applies to a group/kind (any version raygate speaks). */
wh_kind_t wh_kind_of(const adm_gvk_t *kind);
/* "RayCluster", ... for metrics labels; static. */
const char *wh_kind_name(wh_kind_t kind);

/* What a policy decided. Strings are static or borrow from the request. */
typedef struct wh_result {
    bool allowed;
    int code;            /* for denials; 0 = 403 */
    const char *message; /* to the user, for denials */
    const char *reason;  /* one line for the audit log, always set */
} wh_result_t;

/*
 * The mutating policy: fills out and appends operations to patch (owned by
 * the caller, empty on entry). A request with nothing to change is allowed
 * with an empty patch. cluster (borrowed, may be NULL when nothing is known)
 * is consulted only when wh_mutate_reads_cluster says so.
 */
void wh_mutate(const adm_request_t *req, const wh_cluster_t *cluster, adm_patch_t *patch,
               wh_result_t *out);

/*
 * True when wh_mutate may read the cluster view for req (a Ray object
 * created without a queue label: is there a default LocalQueue?), so the
 * adapter takes a snapshot only then, never on the common path.
 */
bool wh_mutate_reads_cluster(const adm_request_t *req);

/* Per-kind policies behind wh_mutate; same contract. */
void wh_raycluster_mutate(const adm_request_t *req, const wh_cluster_t *cluster, adm_patch_t *patch,
                          wh_result_t *out);
void wh_rayjob_mutate(const adm_request_t *req, const wh_cluster_t *cluster, adm_patch_t *patch,
                      wh_result_t *out);
void wh_workload_mutate(const adm_request_t *req, adm_patch_t *patch, wh_result_t *out);
/* ClusterQueue and ResourceFlavor on CREATE: Kueue's resource-in-use
 * finalizer, as Kueue's defaulting webhooks add it. */
void wh_resourceflavor_mutate(const adm_request_t *req, adm_patch_t *patch, wh_result_t *out);

/*
 * Adds finalizer to obj's metadata.finalizers unless it is there. Returns 0
 * or an error from the patch builder.
 */
int wh_patch_add_finalizer(adm_patch_t *patch, const cJSON *obj, const char *finalizer);

/*
 * The Ray kinds' share of Kueue's job-framework defaulting: when obj has no
 * queue label, lives in a namespace with a LocalQueue named "default" and is
 * not owned by a job Kueue manages, adds the label naming it. *queue is set
 * to the object's queue afterwards (borrowed or static; NULL: none).
 */
int wh_patch_default_queue(adm_patch_t *patch, const adm_request_t *req,
                           const wh_cluster_t *cluster, const char **queue);

/* The namespace's LocalQueue (or the seed's `Queue`) named name is in the
 * cluster view; false when cluster is NULL. */
bool wh_local_queue_exists(const wh_cluster_t *cluster, const char *ns, const char *name);

/* The queue-name label of obj, or NULL when absent or empty. Borrowed. */
const char *wh_queue_label(const cJSON *obj);

/*
 * Marks obj as waiting for quota: spec.suspend = true (when suspend is
 * true) and the Pending annotation, as patch operations. Returns 0 or an
 * error from the patch builder.
 */
int wh_patch_pending(adm_patch_t *patch, const cJSON *obj, bool suspend);

#endif

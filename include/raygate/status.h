/*
 * What the cluster's queues look like, in one document: ClusterQueues with
 * their usage against quota, pending Workloads in queue order with the
 * reason they wait, admitted gangs with their podSets and the nodes their
 * plan (raygate.dev/placement) puts them on — what kueuectl and Kueue's
 * visibility API show, for `raygate status` (table or JSON), GET
 * /status.json and the status page GET /status.
 *
 * Pure: built from objects as the API server serves them (kueue v1beta2),
 * wherever they came from (raygate's caches, or lists through a
 * kubeconfig), rendered to text or HTML. Any thread; no I/O, no clock.
 */
#ifndef RAYGATE_STATUS_H
#define RAYGATE_STATUS_H

#include "raygate/buf.h"
#include "raygate/json.h"

#include <stddef.h>
#include <stdint.h>

/* At most this many pending Workloads are listed by default (the rest counted). */
#define STATUS_MAX_PENDING_DEFAULT 200

/* The objects to report on; every pointer is borrowed. */
typedef struct status_input {
    const cJSON *const *cluster_queues;
    size_t n_cluster_queues;
    const cJSON *const *local_queues;
    size_t n_local_queues;
    const cJSON *const *workloads;
    size_t n_workloads;
    const char *source; /* where they came from: "https://10.0.0.1:443", "standalone seed" */
    int64_t now_ns;     /* for ages */
    size_t max_pending; /* 0 = STATUS_MAX_PENDING_DEFAULT */
} status_input_t;

/*
 * The status document (owned, cJSON_Delete):
 *   {"kind":"RaygateStatus","apiVersion":"raygate.dev/v1","source":...,"generated":RFC3339,
 *    "clusterQueues":[{"name","cohort","strategy","active","pending","reserving","admitted",
 *                      "resources":[{"flavor","resource","nominal","reserved","usage",
 *                                    "fraction"}]}],
 *    "pending":[{"position","clusterQueue","namespace","name","queue","priority",
 *                "ageSeconds","reason","message"}],  "pendingNotListed": N,
 *    "gangs":[{"namespace","name","owner","clusterQueue","admitted","podSets":[
 *               {"name","count","flavors":{res:flavor},"nodes":{node:count}}]}]}
 * Pending Workloads are those without QuotaReserved=True that are neither
 * finished nor deactivated, ordered per ClusterQueue as Kueue orders its
 * queue (priority high to low, then creation time), with 1-based positions.
 * fraction is reserved/nominal (0 when there is no quota). Malformed
 * objects are skipped, never fatal.
 */
cJSON *status_build(const status_input_t *in);

/* The document as aligned text tables with usage bars ([####------] 40%). */
void status_render_table(const cJSON *doc, rg_buf_t *out);

/* The document as one self-contained HTML page (inline CSS, no scripts, no
 * external assets), every string escaped. refresh_s > 0 adds a meta refresh. */
void status_render_html(const cJSON *doc, unsigned refresh_s, rg_buf_t *out);

#endif

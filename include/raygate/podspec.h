/*
 * What a pod asks of a node, as kube-scheduler counts it: the one function
 * the webhooks, the quota engine and the scheduler extender share, so that
 * quota, placement and the reasons they give never disagree.
 *
 * A podspec_reqs_t is a small resource list (name -> exact quantity) kept
 * sorted by name. Pure functions over caller-owned values; any thread.
 * Depends only on core and quantities.
 */
#ifndef RAYGATE_PODSPEC_H
#define RAYGATE_PODSPEC_H

#include "raygate/err.h"
#include "raygate/json.h"
#include "raygate/quantity.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest resource name accepted (a qualified name: 253-char prefix + "/" + 63). */
#define PODSPEC_RESOURCE_NAME_MAX 317

typedef struct podspec_res {
    char *name; /* owned */
    quota_qty_t qty;
} podspec_res_t;

/* A resource list; zero-initialised it is empty. Owns its entries. */
typedef struct podspec_reqs {
    podspec_res_t *v; /* sorted by name (strcmp) */
    size_t n;
    size_t cap;
} podspec_reqs_t;

/* Frees the entries and empties r (reusable afterwards). NULL is a no-op. */
void podspec_reqs_release(podspec_reqs_t *r);

/* The quantity of name in r (borrowed), or NULL when r does not list it. */
const quota_qty_t *podspec_reqs_get(const podspec_reqs_t *r, const char *name);

/* r[name] += q; adds the entry when missing. RG_ERR_RANGE on overflow (r unchanged). */
int podspec_reqs_add(podspec_reqs_t *r, const char *name, const quota_qty_t *q, rg_error_t *err);

/* r += y, entry by entry. */
int podspec_reqs_add_all(podspec_reqs_t *r, const podspec_reqs_t *y, rg_error_t *err);

/* r[name] = max(r[name], y[name]) for every name of y (absent counts as 0). */
void podspec_reqs_max_all(podspec_reqs_t *r, const podspec_reqs_t *y);

/* Every entry times n (n >= 0). RG_ERR_RANGE on overflow (r then partly scaled). */
int podspec_reqs_scale(podspec_reqs_t *r, int64_t n, rg_error_t *err);

/* dst = a copy of src (dst released first). */
void podspec_reqs_copy(podspec_reqs_t *dst, const podspec_reqs_t *src);

/*
 * What one pod with this PodSpec (borrowed) requests, into out (released
 * first), exactly as Kubernetes' PodRequests counts it after Kueue's
 * UseLimitsAsMissingRequestsInPod:
 *   - a container's request for a resource is its requests entry, or its
 *     limits entry when requests lack it (the API server's defaulting,
 *     which pod templates inside custom resources never get);
 *   - the sum over containers plus restartable init containers
 *     (restartPolicy Always: sidecars), then the max with each regular
 *     init container's request plus the sidecars started before it;
 *   - pod-level spec.resources (cpu, memory) replace that sum when set;
 *   - spec.overhead is added.
 * path prefixes error messages ("spec.podSets[1].template.spec"). A
 * quantity that does not parse, a negative one, or a member of the wrong
 * type gives RG_ERR_PARSE / RG_ERR_RANGE / RG_ERR_TYPE with err naming the
 * field path and the value; out is then empty. Never a silent zero.
 */
int podspec_requests(const cJSON *spec, const char *path, podspec_reqs_t *out, rg_error_t *err);

/* ---- What a pod asks of a node's labels and taints ---- */

/* Decides whether a label key takes part in matching (Kueue's flavor keys). */
typedef bool (*podspec_key_filter_fn)(const char *key, void *arg);

/*
 * Whether a pod with this PodSpec (borrowed) may run on a node labelled
 * labels (a JSON object of strings; NULL = no labels): its nodeSelector
 * and requiredDuringSchedulingIgnoredDuringExecution node affinity, as
 * kube-scheduler's NodeAffinity filter reads them (terms ORed, expressions
 * ANDed; In, NotIn, Exists, DoesNotExist, Gt, Lt; an empty term matches
 * nothing; matchFields are not label matches and are ignored).
 * With keep, only label keys it accepts count, as Kueue's flavorSelector
 * does: nodeSelector entries and expressions on other keys are dropped,
 * and a term left empty makes the whole affinity match anything.
 */
bool podspec_node_matches(const cJSON *spec, const cJSON *labels, podspec_key_filter_fn keep,
                          void *arg);

/*
 * A metav1.LabelSelector (matchLabels and matchExpressions with In, NotIn,
 * Exists, DoesNotExist; borrowed) against labels (object of strings, NULL =
 * none). A NULL or non-object selector matches nothing; {} matches all.
 */
bool podspec_label_selector_matches(const cJSON *selector, const cJSON *labels);

/*
 * The first taint of taints (a JSON array of core/v1 Taints, borrowed;
 * NULL = none) whose effect is NoSchedule or NoExecute and that neither
 * tolerations_a nor tolerations_b (arrays of Tolerations, either NULL)
 * tolerates, as ToleratesTaint decides; NULL when every one is tolerated.
 */
const cJSON *podspec_untolerated_taint(const cJSON *taints, const cJSON *tolerations_a,
                                       const cJSON *tolerations_b);

#endif

/*
 * The REST resources raygate speaks and the paths built from them. Kueue
 * kinds use v1beta2, the version Kueue stores since 0.16: raygate reads and
 * writes what is stored, and the API server converts for clients of the
 * still-served v1beta1 (the seed's manifests).
 */
#include "kube/kube_internal.h"

#include "raygate/alloc.h"

const kube_resource_t kube_res_pods = {"", "v1", "pods", "Pod", true};
const kube_resource_t kube_res_nodes = {"", "v1", "nodes", "Node", false};
const kube_resource_t kube_res_namespaces = {"", "v1", "namespaces", "Namespace", false};
const kube_resource_t kube_res_events = {"", "v1", "events", "Event", true};
const kube_resource_t kube_res_leases = {"coordination.k8s.io", "v1", "leases", "Lease", true};
const kube_resource_t kube_res_priorityclasses = {"scheduling.k8s.io", "v1", "priorityclasses",
                                                  "PriorityClass", false};
const kube_resource_t kube_res_rayclusters = {"ray.io", "v1", "rayclusters", "RayCluster", true};
const kube_resource_t kube_res_rayjobs = {"ray.io", "v1", "rayjobs", "RayJob", true};
const kube_resource_t kube_res_workloads = {"kueue.x-k8s.io", "v1beta2", "workloads", "Workload",
                                            true};
const kube_resource_t kube_res_clusterqueues = {"kueue.x-k8s.io", "v1beta2", "clusterqueues",
                                                "ClusterQueue", false};
const kube_resource_t kube_res_localqueues = {"kueue.x-k8s.io", "v1beta2", "localqueues",
                                              "LocalQueue", true};
const kube_resource_t kube_res_resourceflavors = {"kueue.x-k8s.io", "v1beta2", "resourceflavors",
                                                  "ResourceFlavor", false};
const kube_resource_t kube_res_cohorts = {"kueue.x-k8s.io", "v1beta2", "cohorts", "Cohort", false};
const kube_resource_t kube_res_workloadpriorityclasses = {
    "kueue.x-k8s.io", "v1beta2", "workloadpriorityclasses", "WorkloadPriorityClass", false};
const kube_resource_t kube_res_mutatingwebhookconfigurations = {
    "admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
    "MutatingWebhookConfiguration", false};
const kube_resource_t kube_res_validatingwebhookconfigurations = {
    "admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
    "ValidatingWebhookConfiguration", false};
const kube_resource_t kube_res_customresourcedefinitions = {
    "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false};

char *kube_path(const kube_resource_t *res, const char *ns, const char *name,
                const char *subresource)
{
    rg_buf_t b = RG_BUF_INIT;
    if (res->group == NULL || res->group[0] == '\0')
        rg_buf_appendf(&b, "/api/%s", res->version);
    else
        rg_buf_appendf(&b, "/apis/%s/%s", res->group, res->version);
    if (res->namespaced && ns && *ns) {
        rg_buf_append_str(&b, "/namespaces/");
        kube__append_escaped(&b, ns);
    }
    rg_buf_append_char(&b, '/');
    rg_buf_append_str(&b, res->resource);
    if (name && *name) {
        rg_buf_append_char(&b, '/');
        kube__append_escaped(&b, name);
        if (subresource && *subresource) {
            rg_buf_append_char(&b, '/');
            rg_buf_append_str(&b, subresource);
        }
    }
    return rg_buf_detach(&b, NULL);
}

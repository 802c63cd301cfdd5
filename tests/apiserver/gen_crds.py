#!/usr/bin/env python3
"""Generate manifests/crds/*.yaml: the Kueue and KubeRay CRDs raygate reads and writes.

Why generated: the RayJob embeds the whole RayCluster spec and Kueue serves two versions
of each kind, so the schemas are written once here (as upstream does with controller-gen)
and emitted as plain readable YAML.  Field names follow upstream Kueue
(apis/kueue/v1beta1, v1beta2) and KubeRay (ray-operator/apis/ray/v1); only the fields
raygate touches are spelled out, pod templates keep every field
(x-kubernetes-preserve-unknown-fields), everything else is pruned as on a real cluster.

    python3 tests/apiserver/gen_crds.py            # rewrite manifests/crds/
    python3 tests/apiserver/gen_crds.py --check    # exit 1 if the files are stale
    python3 tests/apiserver/gen_crds.py --conversion none --out DIR
        # the same CRDs with conversion strategy None, for tests that run no conversion webhook
    python3 tests/apiserver/gen_crds.py --upstream --out DIR
        # Kueue's kinds shaped as Kueue's own install ships them (see upstream_shape), for the
        # test that installs raygate over a cluster that already has Kueue's CRDs
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kyaml  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "manifests", "crds")


# -- schema helpers ----------------------------------------------------------
def obj(props=None, required=None, **extra):
    s = {"type": "object"}
    if props:
        s["properties"] = props
    if required:
        s["required"] = required
    s.update(extra)
    return s


def arr(items, **extra):
    s = {"type": "array", "items": items}
    s.update(extra)
    return s


def string(**extra):
    s = {"type": "string"}
    s.update(extra)
    return s


def enum(*values, default=None):
    s = {"type": "string", "enum": list(values)}
    if default is not None:
        s["default"] = default
    return s


def integer(fmt="int32", **extra):
    s = {"type": "integer", "format": fmt}
    s.update(extra)
    return s


def boolean(**extra):
    s = {"type": "boolean"}
    s.update(extra)
    return s


def quantity():
    return {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True,
            "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"}


def str_map():
    return {"type": "object", "additionalProperties": {"type": "string"}}


def quantity_map():
    return {"type": "object", "additionalProperties": quantity()}


def preserve(desc=None):
    s = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    if desc:
        s["description"] = desc
    return s


def pod_template():
    return preserve("PodTemplateSpec; kept whole, as upstream does (x-kubernetes-preserve-unknown-fields).")


def label_selector():
    req = obj({"key": string(), "operator": string(), "values": arr(string())}, ["key", "operator"])
    return obj({"matchExpressions": arr(req), "matchLabels": str_map()},
               **{"x-kubernetes-map-type": "atomic"})


def conditions():
    cond = obj({"type": string(maxLength=316), "status": enum("True", "False", "Unknown"),
                "observedGeneration": integer("int64", minimum=0),
                "lastTransitionTime": string(format="date-time"),
                "reason": string(maxLength=1024), "message": string(maxLength=32768)},
               ["lastTransitionTime", "message", "reason", "status", "type"])
    return arr(cond, **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]})


def crd(group, kind, plural, singular, scope, versions, short_names=None, categories=None):
    names = {"kind": kind, "listKind": kind + "List", "plural": plural, "singular": singular}
    if short_names:
        names["shortNames"] = short_names
    if categories:
        names["categories"] = categories
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "%s.%s" % (plural, group)},
            "spec": {"group": group, "names": names, "scope": scope, "versions": versions}}


def cel(*rules):
    """x-kubernetes-validations from (rule, message) pairs, as controller-gen writes them."""
    return {"x-kubernetes-validations": [{"rule": r, "message": m} for r, m in rules]}


def version(name, storage, schema_props, printer=None, top_required=None, validations=None):
    root = obj(dict({"apiVersion": string(), "kind": string(), "metadata": {"type": "object"}}, **schema_props),
               top_required, **(validations or {}))
    v = {"name": name, "served": True, "storage": storage,
         "schema": {"openAPIV3Schema": root}, "subresources": {"status": {}}}
    if name == "v1beta1" and not storage:
        # As Kueue marks it since v1beta2 became the storage version: kubectl prints the warning.
        v["deprecated"] = True
        v["deprecationWarning"] = "This version is deprecated. Use v1beta2 instead."
    if printer:
        v["additionalPrinterColumns"] = printer
    return v


# -- Kueue -------------------------------------------------------------------
KUEUE = "kueue.x-k8s.io"
KUEUE_NOTE = """\
# Kueue {kind}: stored as v1beta2 (Kueue's storage version since 0.16), v1beta1 still served
# (deprecated, what the seed's manifests use). {conversion}
# Generated by tests/apiserver/gen_crds.py - edit that file, not this one.
"""
CONVERSION_NOTE = {
    "webhook": ("Conversion between them: raygate's\n# ConversionReview endpoint POST /convert on "
                "Service raygate-system/raygate; its caBundle is\n# written by raygate's leader "
                "(caInjection) or by cert-manager (docs/install.md)."),
    "none": ("Conversion strategy None: a test copy for\n# clusters with no conversion webhook; "
             "reading through the other version changes apiVersion only."),
    "upstream": ("Shaped as Kueue's own install ships it:\n# conversion through "
                 "kueue-system/kueue-webhook-service, upstream-only fields, no raygate\n# "
                 "extensions. A test fixture, not a raygate manifest."),
}

# The Kueue kinds Kueue converts through its webhook (config/components/crd/kustomization.yaml
# of v0.19: webhook_in_{localqueues,clusterqueues,cohorts,workloads}); ResourceFlavor and
# WorkloadPriorityClass have the same schema in both versions and upstream leaves them on
# strategy None.
WEBHOOK_CONVERTED = {"clusterqueues", "localqueues", "workloads", "cohorts"}


def cq_spec(v2):
    resource = obj({"name": string(), "nominalQuota": quantity(), "borrowingLimit": quantity(),
                    "lendingLimit": quantity()}, ["name", "nominalQuota"])
    flavor = obj({"name": string(maxLength=253),
                  "resources": arr(resource, minItems=1, maxItems=64,
                                   **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]})},
                 ["name", "resources"])
    rg_props = {"coveredResources": arr(string(), minItems=1, maxItems=64),
                "flavors": arr(flavor, minItems=1, maxItems=64,
                               **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]})}
    if v2:
        rg = obj(rg_props, ["coveredResources", "flavors"])
    else:
        # raygate extension (DESIGN.md section 2): the seed's shorthand, a group's
        # `resources` without flavors. The apiserver prunes unknown fields before
        # admission, so the schema must keep them for raygate's mutating webhook to
        # rewrite the group into coveredResources + flavors; raygate's validating
        # webhook then enforces the canonical form's rules.
        rg_props["name"] = string(maxLength=253)
        rg_props["resources"] = arr(resource, minItems=1, maxItems=64)
        rg = obj(rg_props)
    if v2:
        fung = obj({"whenCanBorrow": enum("MayStopSearch", "TryNextFlavor", default="MayStopSearch"),
                    "whenCanPreempt": enum("MayStopSearch", "TryNextFlavor", default="TryNextFlavor")})
    else:
        # Kueue v1beta1's markers: Enum={Borrow,TryNextFlavor} default Borrow,
        # Enum={Preempt,TryNextFlavor} default TryNextFlavor.
        fung = obj({"whenCanBorrow": enum("Borrow", "TryNextFlavor", default="Borrow"),
                    "whenCanPreempt": enum("Preempt", "TryNextFlavor", default="TryNextFlavor")})
    preemption = obj({
        "reclaimWithinCohort": enum("Never", "LowerPriority", "Any", default="Never"),
        "borrowWithinCohort": obj({"policy": enum("Never", "LowerPriority", default="Never"),
                                   "maxPriorityThreshold": integer()}),
        "withinClusterQueue": enum("Never", "LowerPriority", "LowerOrNewerEqualPriority", default="Never")})
    props = {
        "resourceGroups": arr(rg, maxItems=16, **{"x-kubernetes-list-type": "atomic"}),
        ("cohortName" if v2 else "cohort"): string(maxLength=253),
        "queueingStrategy": enum("StrictFIFO", "BestEffortFIFO", default="BestEffortFIFO"),
        "namespaceSelector": label_selector(),
        "flavorFungibility": dict(fung, default={}),
        "preemption": dict(preemption, default={}),
        "admissionChecks": arr(string()),
        "admissionChecksStrategy": preserve(),
        "stopPolicy": enum("None", "Hold", "HoldAndDrain", default="None"),
        "fairSharing": obj({"weight": quantity()}),
    }
    return obj(props)


def flavor_usage():
    usage = obj({"name": string(), "total": quantity(), "borrowed": quantity()}, ["name"])
    return arr(obj({"name": string(), "resources": arr(usage, maxItems=64,
                                                     **{"x-kubernetes-list-type": "map",
                                                        "x-kubernetes-list-map-keys": ["name"]})},
                   ["name", "resources"]), maxItems=64,
               **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]})


def cq_status():
    return obj({"conditions": conditions(), "flavorsReservation": flavor_usage(), "flavorsUsage": flavor_usage(),
                "pendingWorkloads": integer(), "reservingWorkloads": integer(), "admittedWorkloads": integer(),
                "fairSharing": obj({"weightedShare": integer("int64")})})


def clusterqueue():
    versions = []
    for name, storage, v2 in (("v1beta1", False, False), ("v1beta2", True, True)):
        versions.append(version(name, storage, {"spec": cq_spec(v2), "status": cq_status()}, printer=[
            {"name": "Cohort", "type": "string", "jsonPath": ".spec.%s" % ("cohortName" if v2 else "cohort")},
            {"name": "Strategy", "type": "string", "jsonPath": ".spec.queueingStrategy", "priority": 1},
            {"name": "Pending Workloads", "type": "integer", "jsonPath": ".status.pendingWorkloads"},
            {"name": "Admitted Workloads", "type": "integer", "jsonPath": ".status.admittedWorkloads",
             "priority": 1}]))
    return crd(KUEUE, "ClusterQueue", "clusterqueues", "clusterqueue", "Cluster", versions, ["cq"])


def localqueue():
    spec = obj({"clusterQueue": string(maxLength=253),
                "stopPolicy": enum("None", "Hold", "HoldAndDrain", default="None"),
                "fairSharing": obj({"weight": quantity()})})
    status = obj({"conditions": conditions(), "pendingWorkloads": integer(), "reservingWorkloads": integer(),
                  "admittedWorkloads": integer(), "flavorsReservation": flavor_usage(),
                  "flavorUsage": flavor_usage()})
    versions = [version(n, s, {"spec": spec, "status": status}, printer=[
        {"name": "ClusterQueue", "type": "string", "jsonPath": ".spec.clusterQueue"},
        {"name": "Pending Workloads", "type": "integer", "jsonPath": ".status.pendingWorkloads"},
        {"name": "Admitted Workloads", "type": "integer", "jsonPath": ".status.admittedWorkloads"}])
        for n, s in (("v1beta1", False), ("v1beta2", True))]
    return crd(KUEUE, "LocalQueue", "localqueues", "localqueue", "Namespaced", versions, ["queue", "queues", "lq"])


def topology_request():
    layer = obj({"topology": string(minLength=1, maxLength=63), "size": integer(minimum=1)},
                ["size", "topology"])
    return obj({
        "required": string(maxLength=63), "preferred": string(maxLength=63),
        "unconstrained": boolean(), "podIndexLabel": string(maxLength=317),
        "subGroupIndexLabel": string(maxLength=317), "subGroupCount": integer(),
        "podSetGroupName": string(maxLength=256), "podSetSliceRequiredTopology": string(maxLength=63),
        "podSetSliceSize": integer(),
        "podsetSliceRequiredTopologyConstraints": arr(layer, maxItems=3,
                                                      **{"x-kubernetes-list-type": "atomic"})})


def workload_spec(v2):
    # Upstream also lists count as required; with its default that only matters to kubectl's
    # client-side validation (kubectl <= 1.24, e.g. Debian's 1.20), which rejects the seed's
    # Workloads that omit it although the API server would default it to 1.
    podset = obj({"name": string(maxLength=63, default="main"), "count": integer(minimum=0, default=1),
                  "minCount": integer(minimum=1), "template": pod_template(),
                  "topologyRequest": topology_request()}, ["template"],
                 **cel(("has(self.minCount) ? self.minCount <= self.count : true",
                        "minCount should be positive and less or equal to count")))
    props = {
        "podSets": arr(podset, minItems=1, maxItems=18 if v2 else 8,
                       **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}),
        "queueName": string(maxLength=253),
        "priority": integer(),
        "active": boolean(default=True),
        "maximumExecutionTimeSeconds": integer(minimum=1),
    }
    if v2:
        props["priorityClassRef"] = obj({
            "group": enum("scheduling.k8s.io", KUEUE),
            "kind": enum("PriorityClass", "WorkloadPriorityClass"),
            "name": string(maxLength=253)}, ["group", "kind", "name"])
    else:
        props["priorityClassName"] = string(maxLength=253)
        props["priorityClassSource"] = enum("kueue.x-k8s.io/workloadpriorityclass",
                                            "scheduling.k8s.io/priorityclass", "", default="")
    return obj(props)


def workload_status(v2):
    assignment = obj({"name": string(), "flavors": str_map(), "resourceUsage": quantity_map(),
                      "count": integer(minimum=0), "topologyAssignment": preserve(),
                      "delayedTopologyRequest": string()}, ["name"])
    admission = obj({"clusterQueue": string(maxLength=253),
                     "podSetAssignments": arr(assignment, maxItems=18,
                                              **{"x-kubernetes-list-type": "map",
                                                 "x-kubernetes-list-map-keys": ["name"]})},
                    ["clusterQueue", "podSetAssignments"])
    toleration = obj({"key": string(), "operator": string(), "value": string(), "effect": string(),
                      "tolerationSeconds": integer("int64")})
    update = obj({"name": string(maxLength=63), "labels": str_map(), "annotations": str_map(),
                  "nodeSelector": str_map(),
                  "tolerations": arr(toleration, maxItems=8, **{"x-kubernetes-list-type": "atomic"},
                                     **cel(*TOLERATION_RULES))}, ["name"])
    check = obj({"name": string(minLength=1, maxLength=316), "state": enum("Pending", "Ready", "Retry", "Rejected"),
                 "lastTransitionTime": string(format="date-time"), "message": string(maxLength=32768),
                 "podSetUpdates": arr(update, maxItems=18, **{"x-kubernetes-list-type": "atomic"})},
                ["lastTransitionTime", "message", "name", "state"])
    return obj({
        "conditions": conditions(),
        "admission": admission,
        "requeueState": obj({"count": integer(minimum=0), "requeueAt": string(format="date-time")}),
        "reclaimablePods": arr(obj({"name": string(maxLength=63), "count": integer(minimum=0)}, ["count", "name"]),
                               maxItems=18,
                               **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}),
        "admissionChecks": arr(check, maxItems=8,
                               **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}),
        "nominatedClusterNames": arr(string(maxLength=256), maxItems=20,
                                     **{"x-kubernetes-list-type": "atomic"}),
        "clusterName": string(maxLength=256),
        "resourceRequests": arr(obj({"name": string(), "resources": quantity_map()}, ["name"]),
                                **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}),
        # v1beta1 kept upstream's typo; v1beta2 fixed it (raygate's converter renames it).
        ("accumulatedPastExecutionTimeSeconds" if v2 else "accumulatedPastExexcutionTimeSeconds"): integer(),
        "schedulingStats": preserve(),
    }, **cel(("!has(oldSelf.clusterName) || !has(self.clusterName) || oldSelf.clusterName == self.clusterName",
              "clusterName is immutable once set"),
             ("!has(self.clusterName) || (!has(self.nominatedClusterNames) || "
              "(has(self.nominatedClusterNames) && size(self.nominatedClusterNames) == 0))",
              "clusterName and nominatedClusterNames are mutually exclusive")))


# Kueue's CEL rules on PodSetUpdate.tolerations (apis/kueue/v1beta2/workload_types.go).
TOLERATION_RULES = (
    ("self.all(x, !has(x.key) ? x.operator == 'Exists' : true)",
     "operator must be Exists when 'key' is empty, which means 'match all values and all keys'"),
    ("self.all(x, has(x.tolerationSeconds) ? x.effect == 'NoExecute' : true)",
     "effect must be 'NoExecute' when 'tolerationSeconds' is set"),
    ("self.all(x, !has(x.operator) || x.operator in ['Equal', 'Exists'])",
     "supported toleration values: 'Equal'(default), 'Exists'"),
    ("self.all(x, has(x.operator) && x.operator == 'Exists' ? !has(x.value) : true)",
     "a value must be empty when 'operator' is 'Exists'"),
    ("self.all(x, !has(x.effect) || x.effect in ['NoSchedule', 'PreferNoSchedule', 'NoExecute'])",
     "supported taint effect values: 'NoSchedule', 'PreferNoSchedule', 'NoExecute'"),
)

# Kueue's root rules on Workload (both versions): the admission matches the
# podSets, and the time limit of an admitted Workload stays.
_RESERVED = ("has(self.status) && has(self.status.conditions) && "
             "self.status.conditions.exists(c, c.type == 'QuotaReserved' && c.status == 'True')")
_ADMITTED = "(has({o}.status) && has({o}.status.conditions) && " \
            "{o}.status.conditions.exists(c, c.type == 'Admitted' && c.status == 'True'))"
WORKLOAD_RULES = (
    (_RESERVED + " && has(self.status.admission) ? "
     "size(self.spec.podSets) == size(self.status.admission.podSetAssignments) : true",
     "podSetAssignments must have the same number of podSets as the spec"),
    ("(" + _ADMITTED.format(o="oldSelf") + " && " + _ADMITTED.format(o="self") + ")?"
     "((has(oldSelf.spec.maximumExecutionTimeSeconds)?oldSelf.spec.maximumExecutionTimeSeconds:0) == "
     " (has(self.spec.maximumExecutionTimeSeconds)?self.spec.maximumExecutionTimeSeconds:0)):true",
     "maximumExecutionTimeSeconds is immutable while workload quota reserved"),
)


def workload():
    versions = []
    for name, storage, v2 in (("v1beta1", False, False), ("v1beta2", True, True)):
        versions.append(version(name, storage, {"spec": workload_spec(v2), "status": workload_status(v2)},
                                validations=cel(*WORKLOAD_RULES), printer=[
            {"name": "Queue", "type": "string", "jsonPath": ".spec.queueName"},
            {"name": "Reserved in", "type": "string", "jsonPath": ".status.admission.clusterQueue"},
            {"name": "Admitted", "type": "string",
             "jsonPath": ".status.conditions[?(@.type=='Admitted')].status"},
            {"name": "Finished", "type": "string",
             "jsonPath": ".status.conditions[?(@.type=='Finished')].status"},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]))
    # Upstream's short names since 0.16 (`wl` was dropped: it clashed with other projects').
    return crd(KUEUE, "Workload", "workloads", "workload", "Namespaced", versions,
               ["kwl", "kueueworkload", "kueueworkloads"])


def resourceflavor():
    taint = obj({"key": string(), "value": string(), "effect": string(),
                 "timeAdded": string(format="date-time")}, ["effect", "key"])
    tol = obj({"key": string(), "operator": string(), "value": string(), "effect": string(),
               "tolerationSeconds": integer("int64")})
    spec = obj({"nodeLabels": dict(str_map(), maxProperties=8), "nodeTaints": arr(taint, maxItems=8),
                "tolerations": arr(tol, maxItems=8), "topologyName": string()})
    versions = []
    for n, s in (("v1beta1", False), ("v1beta2", True)):
        v = version(n, s, {"spec": spec})
        del v["subresources"]  # ResourceFlavor has no status
        versions.append(v)
    return crd(KUEUE, "ResourceFlavor", "resourceflavors", "resourceflavor", "Cluster", versions,
               ["flavor", "flavors", "rf"])


def cohort():
    """Kueue's Cohort (apis/kueue/v1beta{1,2}/cohort_types.go): parentName, quota of its
    own in the ClusterQueue's resourceGroups shape, fairSharing weight; status.fairSharing,
    which in v1beta1 also holds admissionFairSharingStatus (gone from v1beta2's
    FairSharingStatus: the conversion drops it, as Kueue's does). Its printer column is raygate's."""
    rgs = cq_spec(True)["properties"]["resourceGroups"]
    spec = obj({"parentName": string(maxLength=253), "resourceGroups": rgs,
                "fairSharing": obj({"weight": quantity()})})
    versions = []
    for n, s in (("v1beta1", False), ("v1beta2", True)):
        share = {"weightedShare": integer("int64")}
        if n == "v1beta1":
            share["admissionFairSharingStatus"] = obj(
                {"consumedResources": quantity_map(),
                 "lastUpdate": string(format="date-time")}, ["consumedResources", "lastUpdate"])
        status = obj({"fairSharing": obj(share, ["weightedShare"])})
        versions.append(version(n, s, {"spec": spec, "status": status}, printer=[
            {"name": "Parent", "type": "string", "jsonPath": ".spec.parentName"}]))
    return crd(KUEUE, "Cohort", "cohorts", "cohort", "Cluster", versions, ["co"])


def workloadpriorityclass():
    versions = []
    for n, s in (("v1beta1", False), ("v1beta2", True)):
        v = version(n, s, {"value": integer(), "description": string()}, top_required=["value"],
                    printer=[{"name": "Value", "type": "integer", "jsonPath": ".value"}])
        del v["subresources"]  # WorkloadPriorityClass has no status
        versions.append(v)
    return crd(KUEUE, "WorkloadPriorityClass", "workloadpriorityclasses", "workloadpriorityclass", "Cluster",
               versions, ["wpc"])


# -- KubeRay -----------------------------------------------------------------
RAY_NOTE = """\
# KubeRay {kind} (ray.io/v1), the fields raygate reads and writes; pod templates are kept whole.
# Generated by tests/apiserver/gen_crds.py - edit that file, not this one.
"""


def raycluster_spec():
    head = obj({"serviceType": string(), "headService": preserve(), "enableIngress": boolean(),
                "rayStartParams": str_map(), "template": pod_template()}, ["template"])
    worker = obj({"groupName": string(maxLength=63), "replicas": integer(minimum=0, default=0),
                  "minReplicas": integer(minimum=0, default=0),
                  "maxReplicas": integer(minimum=0, default=2147483647),
                  "idleTimeoutSeconds": integer(), "suspend": boolean(),
                  "numOfHosts": integer(minimum=1, default=1), "rayStartParams": str_map(),
                  "template": pod_template(),
                  "scaleStrategy": obj({"workersToDelete": arr(string())})},
                 ["groupName", "template"])
    return obj({
        "rayVersion": string(), "enableInTreeAutoscaling": boolean(), "autoscalerOptions": preserve(),
        "headServiceAnnotations": str_map(), "suspend": boolean(), "managedBy": string(),
        "gcsFaultToleranceOptions": preserve(),
        "headGroupSpec": head, "workerGroupSpecs": arr(worker)}, ["headGroupSpec"])


def raycluster_status():
    return obj({
        "state": string(), "reason": string(), "conditions": conditions(),
        "availableWorkerReplicas": integer(), "desiredWorkerReplicas": integer(),
        "readyWorkerReplicas": integer(), "minWorkerReplicas": integer(), "maxWorkerReplicas": integer(),
        "desiredCPU": quantity(), "desiredMemory": quantity(), "desiredGPU": quantity(), "desiredTPU": quantity(),
        "lastUpdateTime": string(format="date-time"), "stateTransitionTimes": str_map(),
        "endpoints": str_map(),
        "head": obj({"podIP": string(), "serviceIP": string(), "podName": string(), "serviceName": string()}),
        "observedGeneration": integer("int64")})


def raycluster():
    v = version("v1", True, {"spec": raycluster_spec(), "status": raycluster_status()}, printer=[
        {"name": "desired workers", "type": "integer", "jsonPath": ".status.desiredWorkerReplicas"},
        {"name": "status", "type": "string", "jsonPath": ".status.state"}])
    return crd("ray.io", "RayCluster", "rayclusters", "raycluster", "Namespaced", [v], categories=["all"])


def rayjob():
    spec = obj({
        "entrypoint": string(), "metadata": str_map(), "runtimeEnvYAML": string(), "jobId": string(),
        "submissionMode": enum("K8sJobMode", "HTTPMode", "InteractiveMode", "SidecarMode", default="K8sJobMode"),
        "shutdownAfterJobFinishes": boolean(), "ttlSecondsAfterFinished": integer(minimum=0, default=0),
        "activeDeadlineSeconds": integer(minimum=1), "backoffLimit": integer(minimum=0, default=0),
        "rayClusterSpec": raycluster_spec(), "clusterSelector": str_map(), "managedBy": string(),
        "submitterPodTemplate": pod_template(), "submitterConfig": preserve(), "deletionStrategy": preserve(),
        "entrypointNumCpus": {"type": "number"}, "entrypointNumGpus": {"type": "number"},
        "entrypointResources": string(), "suspend": boolean()})
    status = obj({
        "jobId": string(), "rayClusterName": string(), "dashboardURL": string(), "jobStatus": string(),
        "jobDeploymentStatus": string(), "reason": string(), "message": string(),
        "startTime": string(format="date-time"), "endTime": string(format="date-time"),
        "succeeded": integer(), "failed": integer(), "rayClusterStatus": raycluster_status(),
        "observedGeneration": integer("int64")})
    v = version("v1", True, {"spec": spec, "status": status}, printer=[
        {"name": "job status", "type": "string", "jsonPath": ".status.jobStatus"},
        {"name": "deployment status", "type": "string", "jsonPath": ".status.jobDeploymentStatus"}])
    return crd("ray.io", "RayJob", "rayjobs", "rayjob", "Namespaced", [v], categories=["all"])


ALL = [(KUEUE_NOTE, clusterqueue), (KUEUE_NOTE, localqueue), (KUEUE_NOTE, workload),
       (KUEUE_NOTE, resourceflavor), (KUEUE_NOTE, workloadpriorityclass), (KUEUE_NOTE, cohort),
       (RAY_NOTE, raycluster), (RAY_NOTE, rayjob)]


RAYGATE_SERVICE = {"namespace": "raygate-system", "name": "raygate", "path": "/convert", "port": 443}
KUEUE_SERVICE = {"namespace": "kueue-system", "name": "kueue-webhook-service", "path": "/convert"}


def set_conversion(c, mode):
    """spec.conversion for a Kueue CRD: raygate's /convert (the product), strategy None (tests
    without a conversion webhook), or Kueue's own webhook Service (upstream shape)."""
    if mode == "none" or c["spec"]["names"]["plural"] not in WEBHOOK_CONVERTED:
        c["spec"]["conversion"] = {"strategy": "None"}
        return
    service = dict(KUEUE_SERVICE if mode == "upstream" else RAYGATE_SERVICE)
    # No caBundle: raygate's leader (caInjection) or cert-manager's cainjector writes it.
    c["spec"]["conversion"] = {"strategy": "Webhook", "webhook": {
        "conversionReviewVersions": ["v1"], "clientConfig": {"service": service}}}


def upstream_shape(c):
    """Kueue's CRD as its install ships it, in what matters to raygate: Kueue's labels and
    annotations, no raygate shorthand in v1beta1 (a resource group needs coveredResources and
    flavors), and fields raygate's schema does not spell out (they must survive raygate's
    install: raygate never replaces these CRDs)."""
    c["metadata"]["annotations"] = {"controller-gen.kubebuilder.io/version": "v0.20.1"}
    c["metadata"]["labels"] = {"app.kubernetes.io/name": "kueue", "control-plane": "controller-manager"}
    for v in c["spec"]["versions"]:
        root = v["schema"]["openAPIV3Schema"]["properties"]
        spec = (root.get("spec") or {}).get("properties")
        kind = c["spec"]["names"]["kind"]
        if kind == "ClusterQueue":
            rg = spec["resourceGroups"]["items"]
            for k in ("name", "resources"):
                rg["properties"].pop(k, None)
            rg["required"] = ["coveredResources", "flavors"]
            spec["admissionScope"] = obj({"admissionMode": enum("UsageBasedAdmissionFairSharing",
                                                                "NoAdmissionFairSharing")}, ["admissionMode"])
        elif kind == "Workload":
            spec["preemptionGates"] = arr(obj({"name": string()}, ["name"]))
            root["status"]["properties"]["clusterName"] = string()
    return c


def render(mode="webhook"):
    """Returns {file name: text}; mode: webhook (manifests/crds), none, or upstream."""
    out = {}
    for note, fn in ALL:
        c = fn()
        if c["spec"]["group"] == KUEUE:
            set_conversion(c, mode)
            if mode == "upstream":
                upstream_shape(c)
            text = note.format(kind=c["spec"]["names"]["kind"], conversion=CONVERSION_NOTE[mode])
        elif mode == "upstream":
            continue  # KubeRay's CRDs are not Kueue's business
        else:
            text = note.format(kind=c["spec"]["names"]["kind"])
        out["%s.yaml" % c["metadata"]["name"]] = text + "---\n" + kyaml.dump(c)
    return out


def write(files, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for n, t in files.items():
        with open(os.path.join(out_dir, n), "w") as f:
            f.write(t)


def main(argv):
    import argparse
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 if manifests/crds is stale")
    p.add_argument("--conversion", choices=("webhook", "none"), default="webhook")
    p.add_argument("--upstream", action="store_true", help="Kueue's kinds shaped as Kueue ships them")
    p.add_argument("--out", help="directory to write (default manifests/crds)")
    a = p.parse_args(argv)
    mode = "upstream" if a.upstream else a.conversion
    if mode != "webhook" and not a.out:
        p.error("--conversion none and --upstream write test copies: give --out DIR")
    files = render(mode)
    if a.check:
        stale = []
        for n, t in files.items():
            path = os.path.join(OUT, n)
            if not os.path.exists(path):
                stale.append(n)
                continue
            with open(path) as f:
                if f.read() != t:
                    stale.append(n)
        if stale:
            print("stale CRDs (run tests/apiserver/gen_crds.py): %s" % ", ".join(stale))
            return 1
        return 0
    out = a.out or OUT
    write(files, out)
    if not a.out:
        for n in files:
            print("wrote manifests/crds/%s" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Admitted means placeable, end to end through the API-server double: quota
has room and the cluster has enough free GPUs in total, but they are
fragmented (four 4-GPU nodes with 2 GPUs in use on each: 8 free, no node
with 4), so a gang of 2 workers x 4 GPUs is not admitted and its Workload
says that placement, not quota, is short and where. Once the pods on two
nodes go away it is admitted, its plan is recorded on the Workload, and the
scheduler extender steers its members to the planned nodes.

(The issue's text says "when the pods on one node go away"; one freed node
holds only one of the two 4-GPU workers, so two must be freed.)

With preemption: a high-priority gang that quota admits only by preempting a
lower one is not given its victims while its gang would still not fit on the
nodes once they are gone; when capacity appears it preempts, and is admitted
once the victim's pods are gone."""
import json
import time
import unittest

import rgtest
from rgtest import condition, wait_for

KUEUE = "/apis/kueue.x-k8s.io/v1beta2"
RAY = "/apis/ray.io/v1/namespaces/default"
PODS = "/api/v1/namespaces/default/pods"
WORKLOADS = KUEUE + "/namespaces/default/workloads"
PRODUCT = "NVIDIA-A100-SXM4-80GB"


def node(name):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                  "nvidia.com/gpu.product": PRODUCT}},
            "status": {"allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110",
                                       "nvidia.com/gpu": "4"},
                       "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110",
                                    "nvidia.com/gpu": "4"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def filler(name, node_name):
    req = {"cpu": "1", "nvidia.com/gpu": "2"}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"nodeName": node_name, "terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "c", "image": "busybox",
                                     "resources": {"requests": req, "limits": req}}]}}


HEAD_REQ = {"cpu": "1", "memory": "4Gi"}


def worker_req(gpus):
    return {"cpu": "1", "memory": "4Gi", "nvidia.com/gpu": str(gpus)}


def raycluster(name, queue="gpu-queue", workers=2, gpus=4, priority=None):
    def template(container, req):
        return {"spec": {"containers": [{"name": container, "image": "rayproject/ray:2.41.0",
                                         "resources": {"requests": req, "limits": req}}]}}
    labels = {"kueue.x-k8s.io/queue-name": queue}
    if priority:
        labels["kueue.x-k8s.io/priority-class"] = priority
    return {"apiVersion": "ray.io/v1", "kind": "RayCluster",
            "metadata": {"name": name, "namespace": "default", "labels": labels},
            "spec": {"headGroupSpec": {"rayStartParams": {},
                                       "template": template("ray-head", HEAD_REQ)},
                     "workerGroupSpecs": [{"groupName": "workers", "replicas": workers,
                                           "minReplicas": workers, "maxReplicas": workers,
                                           "rayStartParams": {},
                                           "template": template("ray-worker", worker_req(gpus))}]}}


def ray_pod(cluster, name, kind, req, node_name=None):
    """A pod as KubeRay creates it from the cluster's templates (bound when node_name)."""
    labels = {"ray.io/cluster": cluster, "ray.io/node-type": kind}
    if kind == "worker":
        labels["ray.io/group"] = "workers"
    spec = {"nodeSelector": {"nvidia.com/gpu.product": PRODUCT},
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "ray", "image": "rayproject/ray:2.41.0",
                            "resources": {"requests": req, "limits": req}}]}
    if node_name:
        spec["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": labels}, "spec": spec}


def worker_pod(cluster, i, gpus=4):
    return ray_pod(cluster, "%s-worker-%d" % (cluster, i), "worker", worker_req(gpus))


class PlacementTest(unittest.TestCase):
    def setUp(self):
        self.rg = rgtest.Raygate()
        certs, ca = rgtest.serving_certs(self.rg)
        self.double = rgtest.KubeDouble(
            *rgtest.webhook_args("mutate", self.rg, ca, ["rayclusters.ray.io", "workloads.kueue.x-k8s.io", "clusterqueues.kueue.x-k8s.io"])).start()
        rgtest.attach(self.rg, self.double, certs, rgtest.leader_config(
            extra="admitter:\n  placement: \"on\"\n"))
        self.rg.start()
        for n in ("n1", "n2", "n3", "n4"):
            self.post("/api/v1/nodes", node(n))
            self.post(PODS, filler("busy-" + n, n))
        self.post(KUEUE + "/resourceflavors", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ResourceFlavor",
            "metadata": {"name": "a100"}, "spec": {"nodeLabels": {"nvidia.com/gpu.product": PRODUCT}}})
        self.post(KUEUE + "/clusterqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue",
            "metadata": {"name": "gpu"},
            "spec": {"namespaceSelector": {}, "resourceGroups": [{
                "coveredResources": ["cpu", "memory", "nvidia.com/gpu"],
                "flavors": [{"name": "a100", "resources": [
                    {"name": "cpu", "nominalQuota": 100}, {"name": "memory", "nominalQuota": "1Ti"},
                    {"name": "nvidia.com/gpu", "nominalQuota": 32}]}]}]}})
        self.post(KUEUE + "/namespaces/default/localqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
            "metadata": {"name": "gpu-queue", "namespace": "default"}, "spec": {"clusterQueue": "gpu"}})

    def tearDown(self):
        rc = self.rg.stop()
        logs = self.rg.logs()
        self.double.stop()
        self.rg.cleanup()
        self.assertEqual(rc, 0, logs[-3000:])

    def post(self, path, obj):
        status, out = self.double.request("POST", path, obj)
        self.assertEqual(status, 201, (path, out))
        return out

    def workload(self, owner=None):
        _, lst = self.double.request("GET", WORKLOADS)
        for w in lst.get("items", []):
            if owner is None or any(r["name"] == owner for r in w["metadata"]["ownerReferences"]):
                return w
        return None

    def admitted(self, owner):
        w = self.workload(owner)
        ok = w and (w.get("status") or {}).get("admission") and \
            (condition(w, "Evicted") or {}).get("status") != "True"
        return w if ok else None

    def plan(self, owner):
        w = self.workload(owner)
        text = (w["metadata"].get("annotations") or {}).get("raygate.dev/placement") if w else None
        return {s["name"]: s["nodes"] for s in json.loads(text)["podSets"]} if text else None

    def start_pods(self, cluster, gpus):
        """Plays KubeRay and kube-scheduler: the gang's pods, bound where its plan says."""
        plan = wait_for(lambda: self.plan(cluster), 10)
        self.assertTrue(plan, self.workload(cluster))
        names = []
        for ps, kind, req in (("head", "head", HEAD_REQ), ("workers", "worker", worker_req(gpus))):
            for node_name, count in plan[ps].items():
                for _ in range(count):
                    names.append("%s-%s-%d" % (cluster, kind, len(names)))
                    self.post(PODS, ray_pod(cluster, names[-1], kind, req, node_name))
        return names

    def delete(self, path):
        status, out = self.double.request("DELETE", path, {
            "apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0})
        self.assertIn(status, (200, 202), out)

    def pending_message(self, owner):
        c = condition(self.workload(owner), "QuotaReserved") if self.workload(owner) else None
        return c["message"] if c and c["status"] == "False" else ""

    def test_fragmented_gpus_wait_with_a_placement_reason_then_the_plan_is_followed(self):
        self.post(RAY + "/rayclusters", raycluster("train"))

        def waiting():
            w = self.workload()
            c = condition(w, "QuotaReserved") if w else None
            return c if c and c["status"] == "False" and "placement" in c["message"] else None
        cond = wait_for(waiting, 20)
        self.assertTrue(cond, self.rg.logs()[-3000:])
        self.assertEqual(cond["reason"], "Pending")
        self.assertIn("quota reserved in ClusterQueue gpu, but placement is short", cond["message"])
        self.assertIn("fragmented", cond["message"])
        self.assertIn("no node has 4 free", cond["message"])
        time.sleep(0.5)
        self.assertIsNone((self.workload().get("status") or {}).get("admission"))

        # The pods on two nodes go away: the gang fits there, and only there.
        for n in ("n1", "n2"):
            self.delete(PODS + "/busy-" + n)
        def admitted():
            w = self.workload()
            return w if (w.get("status") or {}).get("admission") else None
        w = wait_for(admitted, 20)
        self.assertTrue(w, self.rg.logs()[-3000:])
        plan = wait_for(lambda: (self.workload()["metadata"].get("annotations") or {}).get(
            "raygate.dev/placement"), 10)
        self.assertTrue(plan, self.workload())
        sets = {s["name"]: s["nodes"] for s in json.loads(plan)["podSets"]}
        self.assertEqual(sets["workers"], {"n1": 1, "n2": 1})

        # kube-scheduler asks the extender for the workers: steered to the plan.
        def filtered(i):
            status, out = self.double.request("POST", PODS, worker_pod("train", i))
            self.assertEqual(status, 201, out)
            status, _, data = self.rg.request("POST", "/scheduler/filter", json.dumps(
                {"Pod": out, "Nodes": None, "NodeNames": ["n1", "n2", "n3", "n4"]}).encode())
            self.assertEqual(status, 200, data)
            return json.loads(data)
        kept = set()
        for i in range(2):
            res = filtered(i)
            self.assertEqual(res["Error"], "")
            self.assertEqual(len(res["NodeNames"]), 1, res)
            kept |= set(res["NodeNames"])
        self.assertEqual(kept, {"n1", "n2"})


    def test_no_victims_for_a_gang_that_still_would_not_fit(self):
        for name, value in (("low", 10), ("high", 1000)):
            self.post(KUEUE + "/workloadpriorityclasses", {
                "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "WorkloadPriorityClass",
                "metadata": {"name": name}, "value": value})
        self.post(KUEUE + "/clusterqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue",
            "metadata": {"name": "prio"},
            "spec": {"namespaceSelector": {}, "preemption": {"withinClusterQueue": "LowerPriority"},
                     "resourceGroups": [{
                         "coveredResources": ["cpu", "memory", "nvidia.com/gpu"],
                         "flavors": [{"name": "a100", "resources": [
                             {"name": "cpu", "nominalQuota": 100},
                             {"name": "memory", "nominalQuota": "1Ti"},
                             {"name": "nvidia.com/gpu", "nominalQuota": 8}]}]}]}})
        self.post(KUEUE + "/namespaces/default/localqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
            "metadata": {"name": "prio-queue", "namespace": "default"}, "spec": {"clusterQueue": "prio"}})
        # The low gang takes the 2 GPUs left on each node: all 8 of the queue's quota.
        self.post(RAY + "/rayclusters", raycluster("low", "prio-queue", workers=4, gpus=2,
                                                   priority="low"))
        self.assertTrue(wait_for(lambda: self.admitted("low"), 20), self.rg.logs()[-3000:])
        low_pods = self.start_pods("low", 2)
        self.assertEqual(self.plan("low")["workers"], {"n1": 1, "n2": 1, "n3": 1, "n4": 1})

        # The high gang needs the whole quota: only preempting low makes room, but
        # with low gone each node still has only 2 GPUs free for its 4-GPU workers.
        self.post(RAY + "/rayclusters", raycluster("high", "prio-queue", workers=2, gpus=4,
                                                   priority="high"))
        msg = wait_for(lambda: "even after preempting 1 workload(s)" in self.pending_message("high")
                       and self.pending_message("high"), 20)
        self.assertTrue(msg, (self.workload("high"), self.rg.logs()[-3000:]))
        self.assertIn("placement is short even after preempting 1 workload(s)", msg)
        self.assertIn("no node has 4 free", msg)
        time.sleep(1.0)
        self.assertTrue(self.admitted("low"), "low was preempted for nothing")

        # Two nodes' other pods go: with low gone, those two nodes would hold the
        # high gang, so low is preempted; high is admitted once low's pods are gone.
        for n in ("n1", "n2"):
            self.delete(PODS + "/busy-" + n)
        evicted = wait_for(lambda: (condition(self.workload("low"), "Evicted") or {}).get(
            "status") == "True", 20)
        self.assertTrue(evicted, (self.workload("low"), self.rg.logs()[-3000:]))
        time.sleep(0.5)
        self.assertIsNone(self.admitted("high"), "admitted before the victim's pods went")
        for name in low_pods:  # KubeRay deletes the suspended cluster's pods
            self.delete(PODS + "/" + name)
        self.assertTrue(wait_for(lambda: self.admitted("high"), 20), self.rg.logs()[-12000:])
        self.assertEqual(wait_for(lambda: self.plan("high"), 10)["workers"], {"n1": 1, "n2": 1})


if __name__ == "__main__":
    unittest.main(verbosity=2)

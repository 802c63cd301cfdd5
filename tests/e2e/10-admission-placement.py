"""Admitted means placeable, end to end through the API-server double: quota
has room and the cluster has enough free GPUs in total, but they are
fragmented (four 4-GPU nodes with 2 GPUs in use on each: 8 free, no node
with 4), so a gang of 2 workers x 4 GPUs is not admitted and its Workload
says that placement, not quota, is short and where. Once the pods on two
nodes go away it is admitted, its plan is recorded on the Workload, and the
scheduler extender steers its members to the planned nodes.

(The issue's text says "when the pods on one node go away"; one freed node
holds only one of the two 4-GPU workers, so two must be freed.)"""
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


def raycluster(name):
    def template(container, req):
        return {"spec": {"containers": [{"name": container, "image": "rayproject/ray:2.41.0",
                                         "resources": {"requests": req, "limits": req}}]}}
    return {"apiVersion": "ray.io/v1", "kind": "RayCluster",
            "metadata": {"name": name, "namespace": "default",
                         "labels": {"kueue.x-k8s.io/queue-name": "gpu-queue"}},
            "spec": {"headGroupSpec": {"rayStartParams": {},
                                       "template": template("ray-head", {"cpu": "1", "memory": "4Gi"})},
                     "workerGroupSpecs": [{"groupName": "workers", "replicas": 2, "minReplicas": 2,
                                           "maxReplicas": 2, "rayStartParams": {},
                                           "template": template("ray-worker", {
                                               "cpu": "1", "memory": "4Gi",
                                               "nvidia.com/gpu": "4"})}]}}


def worker_pod(cluster, i):
    req = {"cpu": "1", "memory": "4Gi", "nvidia.com/gpu": "4"}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "%s-worker-%d" % (cluster, i), "namespace": "default",
                         "labels": {"ray.io/cluster": cluster, "ray.io/node-type": "worker",
                                    "ray.io/group": "workers"}},
            "spec": {"nodeSelector": {"nvidia.com/gpu.product": PRODUCT},
                     "containers": [{"name": "ray", "image": "rayproject/ray:2.41.0",
                                     "resources": {"requests": req, "limits": req}}]}}


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

    def workload(self):
        _, lst = self.double.request("GET", WORKLOADS)
        items = lst.get("items", [])
        return items[0] if items else None

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
            status, out = self.double.request("DELETE", PODS + "/busy-" + n,
                                              {"apiVersion": "v1", "kind": "DeleteOptions",
                                               "gracePeriodSeconds": 0})
            self.assertIn(status, (200, 202), out)
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


if __name__ == "__main__":
    unittest.main(verbosity=2)

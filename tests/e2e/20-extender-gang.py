"""The scheduler extender end to end: raygate connected to the API-server double (nodes, pods,
RayClusters and bindings live there), driven over HTTPS on 127.0.0.1 exactly as kube-scheduler
calls it: filter, prioritize and bind per pod, preempt with NodeNameToMetaVictims."""
import json
import re
import time
import unittest

import rgtest
from rgtest import wait_for

PODS = "/api/v1/namespaces/default/pods"
NODES = "/api/v1/nodes"
RAYCLUSTERS = "/apis/ray.io/v1/namespaces/default/rayclusters"
WORKLOADS = "/apis/kueue.x-k8s.io/v1beta2/namespaces/default/workloads"


def node(name, gpus):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                  "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}},
            "status": {"allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110",
                                       "nvidia.com/gpu": str(gpus)},
                       "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110",
                                    "nvidia.com/gpu": str(gpus)},
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}}}}


def raycluster(name, workers, gpus):
    def template(container, req):
        return {"spec": {"containers": [{"name": container, "image": "rayproject/ray:2.41.0",
                                         "resources": {"requests": req, "limits": req}}]}}
    return {"apiVersion": "ray.io/v1", "kind": "RayCluster",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"headGroupSpec": {"rayStartParams": {},
                                       "template": template("ray-head", {"cpu": "1", "memory": "4Gi"})},
                     "workerGroupSpecs": [{"groupName": "workers", "replicas": workers,
                                           "minReplicas": 0, "maxReplicas": 100, "rayStartParams": {},
                                           "template": template("ray-worker", {
                                               "cpu": "1", "memory": "4Gi",
                                               "nvidia.com/gpu": str(gpus)})}]}}


def pod(name, cluster=None, group=None, gpus=0, node_name=None):
    labels = {}
    if cluster:
        head = group == "head"
        labels = {"ray.io/cluster": cluster, "ray.io/node-type": "head" if head else "worker",
                  "ray.io/group": "headgroup" if head else group}
    req = {"cpu": "1", "memory": "4Gi"}
    if gpus:
        req["nvidia.com/gpu"] = str(gpus)
    spec = {"containers": [{"name": "ray", "image": "rayproject/ray:2.41.0",
                            "resources": {"requests": req, "limits": req}}]}
    if node_name:
        spec["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": labels}, "spec": spec}


class ExtenderTest(unittest.TestCase):
    """A fresh double and raygate per test: every scenario starts from an empty cluster."""

    def setUp(self):
        self.double = rgtest.KubeDouble().start()
        self.rg = rgtest.Raygate("--kubeconfig", self.double.kubeconfig)
        self.rg.start()
        ok = wait_for(lambda: self.rg.request("GET", "/readyz")[0] == 200)
        self.assertTrue(ok, self.rg.logs())

    def tearDown(self):
        rc = self.rg.stop()
        self.double.stop()
        self.rg.cleanup()
        self.assertEqual(rc, 0)

    # ---- the cluster ----

    def create(self, path, obj):
        status, body = self.double.request("POST", path, obj)
        self.assertIn(status, (200, 201), body)
        return body

    def cached(self, kind):
        text = self.rg.request("GET", "/metrics")[2].decode()
        m = re.search(r'^raygate_cache_objects\{kind="%s"\} (\d+)$' % kind, text, re.M)
        return int(m.group(1)) if m else 0

    def wait_cached(self, **counts):
        for kind, n in counts.items():
            self.assertTrue(wait_for(lambda: self.cached(kind) == n),
                            "%s: %d cached, %d expected" % (kind, self.cached(kind), n))

    def get_pod(self, name):
        status, body = self.double.request("GET", "%s/%s" % (PODS, name))
        self.assertEqual(status, 200, body)
        return body

    # ---- kube-scheduler's side ----

    def call(self, verb, args):
        status, _, data = self.rg.request("POST", "/scheduler/" + verb, json.dumps(args).encode())
        self.assertEqual(status, 200, data)
        return json.loads(data)

    def filter(self, p, nodes):
        res = self.call("filter", {"Pod": p, "Nodes": None, "NodeNames": nodes})
        self.assertEqual(res["Error"], "")
        failed = dict(res.get("FailedNodes") or {})
        failed.update(res.get("FailedAndUnresolvableNodes") or {})
        return res["NodeNames"], failed, res

    def schedule(self, name, nodes):
        """filter, prioritize (skipped for one node, as kube-scheduler does), bind."""
        p = self.get_pod(name)
        kept, failed, _ = self.filter(p, nodes)
        if len(kept) != 1:
            return None, failed
        scores = self.call("prioritize", {"Pod": p, "Nodes": None, "NodeNames": nodes})
        self.assertEqual({s["Host"]: s["Score"] for s in scores}[kept[0]], 10)
        res = self.call("bind", {"PodName": name, "PodNamespace": "default",
                                 "PodUID": p["metadata"]["uid"], "Node": kept[0]})
        self.assertEqual(res, {"Error": ""})
        self.assertEqual(self.get_pod(name)["spec"]["nodeName"], kept[0])
        return kept[0], failed

    def gang(self, name, workers, gpus):
        self.create(RAYCLUSTERS, raycluster(name, workers, gpus))
        self.create(PODS, pod(name + "-head", name, "head"))
        for i in range(workers):
            self.create(PODS, pod("%s-w%d" % (name, i), name, "workers", gpus))

    # ---- scenarios ----

    def test_gang_lands_where_planned(self):
        nodes = ["gpu-a", "gpu-b", "gpu-c"]
        for n in nodes:
            self.create(NODES, node(n, 4))
        self.gang("rc", 4, 2)
        self.wait_cached(Node=3, Pod=5, RayCluster=1)
        got = []
        for name in ["rc-head", "rc-w0", "rc-w1", "rc-w2", "rc-w3"]:
            where, failed = self.schedule(name, nodes)
            self.assertIsNotNone(where, failed)
            got.append(where)
            for reason in failed.values():
                self.assertIn("gang default/rc: member of podSet", reason)
        self.assertEqual(got, ["gpu-a", "gpu-a", "gpu-a", "gpu-b", "gpu-b"])
        text = self.rg.request("GET", "/metrics")[2].decode()
        self.assertRegex(text, r'raygate_extender_gang_outcomes_total\{outcome="planned"\} 1\n')
        self.assertRegex(text, r'raygate_extender_gang_outcomes_total\{outcome="steered"\} 5\n')
        self.assertIn('raygate_extender_duration_seconds_count{verb="bind"} 5', text)
        audit = self.rg.audit_records_where(lambda r: r["endpoint"] == "scheduler/bind", n=5)
        self.assertEqual(len(audit), 5)
        self.assertEqual(audit[0]["decision"], "bound")

    def test_gang_that_cannot_fit_is_refused_whole(self):
        nodes = ["gpu-a", "gpu-b", "gpu-c"]
        for n in nodes:
            self.create(NODES, node(n, 4))
        self.gang("rc", 7, 2)
        self.wait_cached(Node=3, Pod=8, RayCluster=1)
        for name in ["rc-head", "rc-w0", "rc-w6"]:
            where, failed = self.schedule(name, nodes)
            self.assertIsNone(where)
            self.assertEqual(sorted(failed), nodes)
            self.assertIn("gang default/rc (8 pods): cannot place all 8 pods at once: podSet "
                          "\"workers\": 1 of 7 pods", failed["gpu-a"])
            self.assertNotIn("nodeName", self.get_pod(name)["spec"])

    def test_interleaved_gangs_one_completes_the_other_waits_whole(self):
        nodes = ["gpu-a", "gpu-b", "cpu-c"]
        self.create(NODES, node("gpu-a", 4))
        self.create(NODES, node("gpu-b", 4))
        self.create(NODES, node("cpu-c", 0))
        self.gang("ga", 2, 4)
        self.gang("gb", 2, 4)
        self.wait_cached(Node=3, Pod=6, RayCluster=2)
        placed = {"ga": 0, "gb": 0}
        for name in ["ga-w0", "gb-w0", "ga-head", "gb-head", "ga-w1", "gb-w1"]:
            where, failed = self.schedule(name, nodes)
            placed[name[:2]] += where is not None
            if where is None:
                self.assertIn("gang default/gb (3 pods)", failed["gpu-a"])
        self.assertEqual(placed, {"ga": 3, "gb": 0})

    def test_bind_with_a_uid_mismatch_is_refused(self):
        self.create(NODES, node("gpu-a", 4))
        self.create(PODS, pod("lone", gpus=1))
        self.wait_cached(Node=1, Pod=1)
        res = self.call("bind", {"PodName": "lone", "PodNamespace": "default",
                                 "PodUID": "not-the-uid", "Node": "gpu-a"})
        self.assertIn("binding pod default/lone to node gpu-a", res["Error"])
        self.assertIn("409", res["Error"])
        self.assertNotIn("nodeName", self.get_pod("lone")["spec"])
        audit = self.rg.audit_records_where(
            lambda r: r["endpoint"] == "scheduler/bind" and r["decision"] == "error")
        self.assertEqual(audit[-1]["decision"], "error")

    def test_full_node_objects_come_back_as_sent(self):
        for n in ("gpu-a", "gpu-b"):
            self.create(NODES, node(n, 4))
        self.create(PODS, pod("busy", gpus=3, node_name="gpu-a"))
        self.create(PODS, pod("train", gpus=2))
        self.wait_cached(Node=2, Pod=2)
        items = self.double.request("GET", NODES)[1]["items"]
        p = self.get_pod("train")
        res = self.call("filter", {"Pod": p, "Nodes": {"metadata": {}, "items": items},
                                   "NodeNames": None})
        self.assertEqual(res["Error"], "")
        self.assertIsNone(res["NodeNames"])
        self.assertEqual(res["Nodes"]["items"], [i for i in items if i["metadata"]["name"] == "gpu-b"])
        self.assertIn("Insufficient nvidia.com/gpu: the pod requests 2, 1 free of 4",
                      res["FailedNodes"]["gpu-a"])

    def test_deleted_pod_returns_its_gpus_only_once_gone(self):
        self.create(NODES, node("gpu-a", 4))
        self.create(PODS, pod("old", gpus=4, node_name="gpu-a"))
        self.create(PODS, pod("new", gpus=2))
        self.wait_cached(Node=1, Pod=2)
        status, _ = self.double.request("POST", "/_double/faults", {"podTermination": "hold"})
        self.assertEqual(status, 200)
        status, body = self.double.request("DELETE", PODS + "/old")
        self.assertEqual(status, 200, body)
        self.assertIn("deletionTimestamp", body["metadata"])
        time.sleep(0.3)  # the watch delivers the Terminating pod; it still holds its GPUs
        kept, failed, _ = self.filter(self.get_pod("new"), ["gpu-a"])
        self.assertEqual(kept, [])
        self.assertIn("4 held by pods", failed["gpu-a"])
        status, _ = self.double.request("POST", "/_double/pods/finish-termination", {"name": "old"})
        self.assertEqual(status, 200)
        self.assertTrue(wait_for(lambda: self.filter(self.get_pod("new"), ["gpu-a"])[0] == ["gpu-a"]))

    def test_preempt_keeps_running_gangs_whole(self):
        for n in ("gpu-a", "gpu-b"):
            self.create(NODES, node(n, 4))
        self.create(RAYCLUSTERS, raycluster("rc", 2, 4))
        w1 = self.create(PODS, pod("rc-w1", "rc", "workers", 4, node_name="gpu-a"))
        self.create(PODS, pod("rc-w2", "rc", "workers", 4, node_name="gpu-b"))
        hi = self.create(PODS, pod("urgent", gpus=4))
        self.wait_cached(Node=2, Pod=3, RayCluster=1)
        res = self.call("preempt", {"Pod": hi, "NodeNameToVictims": None, "NodeNameToMetaVictims": {
            "gpu-a": {"Pods": [{"UID": w1["metadata"]["uid"]}], "NumPDBViolations": 0}}})
        self.assertEqual(res, {"NodeNameToMetaVictims": {}})

    def test_recorded_plan_is_followed_and_updated_on_replan(self):
        for n in ("gpu-a", "gpu-b", "gpu-c"):
            self.create(NODES, node(n, 4))
        rc = self.create(RAYCLUSTERS, raycluster("rc", 2, 4))
        plan = ('{"v":1,"podSets":[{"name":"head","nodes":{"gpu-c":1}},'
                '{"name":"workers","nodes":{"gpu-b":1,"gpu-c":1}}]}')
        spec = raycluster("rc", 2, 4)["spec"]
        wl = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "Workload",
              "metadata": {"name": "raycluster-rc-1a2b3", "namespace": "default",
                           "annotations": {"raygate.dev/placement": plan},
                           "ownerReferences": [{"apiVersion": "ray.io/v1", "kind": "RayCluster",
                                                "name": "rc", "uid": rc["metadata"]["uid"],
                                                "controller": True}]},
              "spec": {"podSets": [
                  {"name": "head", "count": 1, "template": spec["headGroupSpec"]["template"]},
                  {"name": "workers", "count": 2,
                   "template": spec["workerGroupSpecs"][0]["template"]}]}}
        self.create(WORKLOADS, wl)
        # A plan reserves while its Workload holds quota: the admitter admits, then plans.
        status, out = self.double.request(
            "PATCH", WORKLOADS + "/raycluster-rc-1a2b3/status",
            {"status": {"admission": {"clusterQueue": "cq", "podSetAssignments": [
                {"name": "head", "count": 1}, {"name": "workers", "count": 2}]},
                "conditions": [{"type": "QuotaReserved", "status": "True", "reason": "QuotaReserved",
                                "message": "ok", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}},
            content_type="application/merge-patch+json")
        self.assertEqual(status, 200, out)
        self.create(PODS, pod("rc-head", "rc", "head"))
        self.create(PODS, pod("rc-w0", "rc", "workers", 4))
        self.create(PODS, pod("rc-w1", "rc", "workers", 4))
        self.wait_cached(Node=3, Pod=3, RayCluster=1, Workload=1)
        self.assertTrue(wait_for(lambda: json.loads(self.rg.request("GET", "/status.json")[2])
                                 ["gangs"]), "the admission is not cached")
        # The recorded plan is followed: the extender plans nothing itself.
        self.assertEqual(self.schedule("rc-head", ["gpu-a", "gpu-b", "gpu-c"])[0], "gpu-c")
        self.assertEqual(self.schedule("rc-w0", ["gpu-a", "gpu-b", "gpu-c"])[0], "gpu-b")
        # kube-scheduler's own filters rejected gpu-c for the last worker: it alone moves.
        self.assertEqual(self.schedule("rc-w1", ["gpu-a", "gpu-b"])[0], "gpu-a")
        want = ('{"v":1,"podSets":[{"name":"head","nodes":{"gpu-c":1}},'
                '{"name":"workers","nodes":{"gpu-b":1,"gpu-a":1}}]}')
        self.assertTrue(wait_for(lambda: self.double.request("GET", WORKLOADS + "/raycluster-rc-1a2b3")[1]
                                 ["metadata"]["annotations"]["raygate.dev/placement"] == want),
                        self.double.request("GET", WORKLOADS + "/raycluster-rc-1a2b3")[1]["metadata"])
        text = self.rg.request("GET", "/metrics")[2].decode()
        self.assertNotIn('outcome="planned"', text)
        self.assertRegex(text, r'raygate_extender_gang_outcomes_total\{outcome="replanned"\} 1\n')

    def test_bad_requests(self):
        status, _, data = self.rg.request("POST", "/scheduler/filter", b'{"Pod": ')
        self.assertEqual(status, 400)
        self.assertIn(b"malformed JSON", data)
        status, _, data = self.rg.request("POST", "/scheduler/bind", b"[]")
        self.assertEqual(status, 400)


if __name__ == "__main__":
    unittest.main()

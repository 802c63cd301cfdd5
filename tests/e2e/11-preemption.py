"""Preemption end to end through the API-server double: a high-priority
RayCluster preempts a lower one in its ClusterQueue (the lower suspended, its
Workload Evicted/Preempted, the higher admitted only once the victim's pods,
terminating ones included, are gone); reclaimWithinCohort takes lent quota
back; borrowWithinCohort preempts while borrowing; a three-level Cohort tree
lends and reclaims; a ClusterQueue's minimum runtime holds a victim; two
queues that would preempt each other forever reach a fixed point; graceful
stop gives a preempted job notice; waitForPodsReady evicts, requeues with
backoff and deactivates. The tests play KubeRay where needed (pods)."""
import importlib
import os
import sys
import time
import unittest

import rgtest
from rgtest import condition, wait_for

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
raycluster = importlib.import_module("07-admission").raycluster

KUEUE = "/apis/kueue.x-k8s.io/v1beta2"
RAY = "/apis/ray.io/v1/namespaces/default"
WORKLOADS = KUEUE + "/namespaces/default/workloads"
PODS = "/api/v1/namespaces/default/pods"
V2 = "kueue.x-k8s.io/v1beta2"


def rc(name, queue, gpus, prio):
    obj = raycluster(name, queue, gpus_per_worker=gpus, workers=1)
    obj["metadata"]["labels"]["kueue.x-k8s.io/priority-class"] = prio
    return obj


def cq(name, gpus, preemption=None, cohort=None, annotations=None):
    spec = {"namespaceSelector": {}, "resourceGroups": [{
        "coveredResources": ["cpu", "memory", "nvidia.com/gpu"],
        "flavors": [{"name": "default", "resources": [
            {"name": "cpu", "nominalQuota": 1000}, {"name": "memory", "nominalQuota": "10000Gi"},
            {"name": "nvidia.com/gpu", "nominalQuota": gpus}]}]}]}
    if preemption:
        spec["preemption"] = preemption
    if cohort:
        spec["cohortName"] = cohort
    meta = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": V2, "kind": "ClusterQueue", "metadata": meta, "spec": spec}


def cohort(name, parent=None, gpus=None):
    spec = {}
    if parent:
        spec["parentName"] = parent
    if gpus is not None:
        spec["resourceGroups"] = [{"coveredResources": ["nvidia.com/gpu"], "flavors": [
            {"name": "default", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": gpus}]}]}]
    return {"apiVersion": V2, "kind": "Cohort", "metadata": {"name": name}, "spec": spec}


class Cluster(unittest.TestCase):
    """raygate against the double with the webhooks in its chain; CONFIG is
    appended, ADMITTER to the admitter's section."""
    CONFIG = ""
    ADMITTER = ""

    @classmethod
    def setUpClass(cls):
        cls.rg = rgtest.Raygate()
        certs, ca = rgtest.serving_certs(cls.rg)
        cls.double = rgtest.KubeDouble(
            *rgtest.webhook_args("mutate", cls.rg, ca, [
                "rayclusters.ray.io", "rayjobs.ray.io", "workloads.kueue.x-k8s.io",
                "clusterqueues.kueue.x-k8s.io"]),
            *rgtest.webhook_args("validate", cls.rg, ca, [
                "clusterqueues.kueue.x-k8s.io", "localqueues.kueue.x-k8s.io",
                "workloads.kueue.x-k8s.io", "cohorts.kueue.x-k8s.io", "rayclusters.ray.io"])).start()
        rgtest.attach(cls.rg, cls.double, certs, rgtest.leader_config(
            "rg-preempt", "admitter:\n  queueStatusMillis: 200\n" + cls.ADMITTER + cls.CONFIG))
        cls.rg.start()
        cls.post(KUEUE + "/resourceflavors", {"apiVersion": V2, "kind": "ResourceFlavor",
                                              "metadata": {"name": "default"}})
        for name, value in (("low", 10), ("high", 1000)):
            cls.post(KUEUE + "/workloadpriorityclasses", {
                "apiVersion": V2, "kind": "WorkloadPriorityClass", "metadata": {"name": name},
                "value": value})

    @classmethod
    def tearDownClass(cls):
        rc_ = cls.rg.stop()
        logs = cls.rg.logs()
        cls.double.stop()
        cls.rg.cleanup()
        assert rc_ == 0, (rc_, logs[-3000:])

    @classmethod
    def post(cls, path, obj):
        status, out = cls.double.request("POST", path, obj)
        assert status == 201, (path, status, out)
        return out

    @classmethod
    def queue(cls, cq_obj):
        cls.post(KUEUE + "/clusterqueues", cq_obj)
        name = cq_obj["metadata"]["name"]
        cls.post(KUEUE + "/namespaces/default/localqueues", {
            "apiVersion": V2, "kind": "LocalQueue", "metadata": {"name": name, "namespace": "default"},
            "spec": {"clusterQueue": name}})

    def get(self, path):
        status, out = self.double.request("GET", path)
        return out if status == 200 else None

    def workload(self, owner):
        _, lst = self.double.request("GET", WORKLOADS)
        for w in lst.get("items", []):
            for ref in w["metadata"].get("ownerReferences", []):
                if ref["kind"] == "RayCluster" and ref["name"] == owner:
                    return w
        return None

    def admitted(self, owner):
        w = self.workload(owner)
        return w if w and (w.get("status") or {}).get("admission") and \
            (condition(w, "Evicted") or {}).get("status") != "True" else None

    def wait_admitted(self, owner, timeout=20):
        w = wait_for(lambda: self.admitted(owner), timeout)
        self.assertTrue(w, (owner, self.workload(owner), self.rg.logs()[-3000:]))
        return w

    def wait_evicted(self, owner, timeout=20):
        def evicted():
            w = self.workload(owner)
            c = condition(w, "Evicted") if w else None
            return w if c and c["status"] == "True" else None
        w = wait_for(evicted, timeout)
        self.assertTrue(w, (owner, self.workload(owner), self.rg.logs()[-3000:]))
        return w

    def suspended(self, owner):
        return (self.get(RAY + "/rayclusters/" + owner) or {}).get("spec", {}).get("suspend") is True

    def events(self, reason):
        """Events of that reason, events.k8s.io/v1 or core/v1, as {object, message}."""
        out = []
        for path in ("/apis/events.k8s.io/v1/namespaces/default/events",
                     "/api/v1/namespaces/default/events"):
            status, lst = self.double.request("GET", path)
            for e in (lst or {}).get("items", []) if status == 200 else []:
                if e.get("reason") == reason:
                    out.append({"object": e.get("regarding") or e.get("involvedObject") or {},
                                "message": e.get("note") or e.get("message") or ""})
        return out


class Preemption(Cluster):
    CONFIG = "preemption:\n  thrashLimit: 2\n  thrashWindowSeconds: 120\n  thrashBackoffSeconds: 2\n"

    def test_1_within_cluster_queue_waits_for_pods_to_go(self):
        self.queue(cq("solo", 8, {"withinClusterQueue": "LowerPriority"}))
        self.post(RAY + "/rayclusters", rc("solo-low", "solo", 8, "low"))
        self.wait_admitted("solo-low")
        self.assertTrue(wait_for(lambda: not self.suspended("solo-low"), 10))
        # KubeRay started it: one pod on a node.
        self.post(PODS, {"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": "solo-low-head", "namespace": "default", "labels": {"ray.io/cluster": "solo-low"}},
            "spec": {"nodeName": "node-1", "containers": [{"name": "ray-head", "image": "ray"}]}})
        self.post(RAY + "/rayclusters", rc("solo-high", "solo", 8, "high"))
        victim = self.wait_evicted("solo-low")
        ev, pre = condition(victim, "Evicted"), condition(victim, "Preempted")
        self.assertEqual(ev["reason"], "Preempted")
        self.assertEqual(pre["reason"], "InClusterQueue")
        high = wait_for(lambda: self.workload("solo-high"), 5)
        self.assertIn("Preempted to accommodate a workload (UID: %s" % high["metadata"]["uid"], ev["message"])
        self.assertIn("due to prioritization in the ClusterQueue; preemptor path: /solo; preemptee path: /solo",
                      ev["message"])
        self.assertTrue(wait_for(lambda: self.suspended("solo-low"), 10))  # the whole gang stops
        self.assertTrue(wait_for(lambda: self.events("Preempted") and self.events("PreemptedWorkload"), 10))
        note = self.events("PreemptedWorkload")[0]
        self.assertEqual(note["object"]["name"], high["metadata"]["name"])
        self.assertIn("Preempted workload default/%s" % victim["metadata"]["name"], note["message"])
        self.assertIn(victim["metadata"]["name"], self.events("Preempted")[0]["object"]["name"])
        # The victim's pod still holds the quota: the preemptor waits, and says why.
        pending = wait_for(lambda: "Pending the preemption of 1 workload(s)" in
                           ((condition(self.workload("solo-high"), "QuotaReserved") or {}).get("message") or ""), 10)
        self.assertTrue(pending, self.workload("solo-high"))
        time.sleep(1.5)
        self.assertIsNone(self.admitted("solo-high"))
        # Terminating still counts.
        status, _ = self.double.request("POST", "/_double/faults", {"holdPodTermination": True})
        status, out = self.double.request("DELETE", PODS + "/solo-low-head", {"gracePeriodSeconds": 30})
        self.assertIn(status, (200, 202), out)
        time.sleep(1.0)
        self.assertIsNone(self.admitted("solo-high"))
        self.double.request("POST", "/_double/faults", {"holdPodTermination": False})
        self.double.request("POST", "/_double/pods/finish-termination",
                            {"namespace": "default", "name": "solo-low-head"})
        t0 = time.time()
        self.wait_admitted("solo-high")
        print("\npods gone -> preemptor admitted: %.3f s" % (time.time() - t0))
        low = self.workload("solo-low")
        self.assertIsNone(low["status"].get("admission"))
        self.assertIn("raygate.dev/preempted-at", low["metadata"].get("annotations", {}))
        self.assertEqual(low["status"]["schedulingStats"]["evictions"][0],
                         {"reason": "Preempted", "count": 1})

    def test_2_reclaim_within_cohort(self):
        self.queue(cq("team-a", 8, {"reclaimWithinCohort": "Any"}, cohort="research"))
        self.queue(cq("team-b", 8, cohort="research"))
        self.post(RAY + "/rayclusters", rc("b-big", "team-b", 16, "high"))
        w = self.wait_admitted("b-big")
        self.assertEqual(w["status"]["admission"]["clusterQueue"], "team-b")
        self.post(RAY + "/rayclusters", rc("a-own", "team-a", 8, "low"))
        victim = self.wait_evicted("b-big")
        self.assertEqual(condition(victim, "Preempted")["reason"], "InCohortReclamation")
        self.assertIn("preemptor path: /research/team-a; preemptee path: /research/team-b",
                      condition(victim, "Preempted")["message"])
        self.wait_admitted("a-own")
        # The lender's quota is back with it; the borrower waits for room.
        time.sleep(0.5)
        self.assertIsNone(self.admitted("b-big"))

    def test_3_borrow_within_cohort(self):
        self.queue(cq("team-c", 4, {"reclaimWithinCohort": "LowerPriority",
                                    "borrowWithinCohort": {"policy": "LowerPriority"}}, cohort="pool"))
        self.queue(cq("team-d", 4, cohort="pool"))
        self.post(RAY + "/rayclusters", rc("d-low", "team-d", 8, "low"))
        self.wait_admitted("d-low")
        self.post(RAY + "/rayclusters", rc("c-high", "team-c", 8, "high"))
        victim = self.wait_evicted("d-low")
        self.assertEqual(condition(victim, "Preempted")["reason"], "InCohortReclaimWhileBorrowing")
        self.assertIn("due to reclamation within the cohort while borrowing",
                      condition(victim, "Preempted")["message"])
        self.wait_admitted("c-high")

    def test_4_three_level_cohort_tree(self):
        # org > dept (8 GPUs of its own) > team; q-team under team, q-other under org.
        for c in (cohort("org"), cohort("dept", "org", 8), cohort("team", "dept")):
            self.post(KUEUE + "/cohorts", c)
        self.queue(cq("q-team", 0, {"withinClusterQueue": "LowerPriority", "reclaimWithinCohort": "Any"},
                      cohort="team"))
        self.queue(cq("q-other", 0, cohort="org"))
        # dept lends its quota up the tree to q-other ...
        self.post(RAY + "/rayclusters", rc("other", "q-other", 8, "high"))
        self.wait_admitted("other")
        # ... and q-team, below dept, reclaims it whatever the priorities.
        self.post(RAY + "/rayclusters", rc("teamjob", "q-team", 8, "low"))
        victim = self.wait_evicted("other")
        pre = condition(victim, "Preempted")
        self.assertEqual(pre["reason"], "InCohortReclamation")
        self.assertIn("preemptor path: /org/dept/team/q-team; preemptee path: /org/q-other", pre["message"])
        self.wait_admitted("teamjob")

    def test_5_minimum_runtime(self):
        self.queue(cq("guarded", 8, {"withinClusterQueue": "LowerPriority"},
                      annotations={"raygate.dev/preemption-min-runtime-seconds": "4"}))
        self.post(RAY + "/rayclusters", rc("g-low", "guarded", 8, "low"))
        w = self.wait_admitted("g-low")
        t_admitted = time.time()
        self.post(RAY + "/rayclusters", rc("g-high", "guarded", 8, "high"))
        time.sleep(2.0)
        self.assertEqual((condition(self.workload("g-low"), "Evicted") or {}).get("status"), None)
        self.assertIsNone(self.admitted("g-high"))
        self.wait_evicted("g-low", 10)
        reserved = condition(w, "QuotaReserved")["lastTransitionTime"]
        print("\nminimum runtime 4 s: preempted %.1f s after admission (reserved at %s)"
              % (time.time() - t_admitted, reserved))
        self.assertGreaterEqual(time.time() - t_admitted, 2.5)
        self.wait_admitted("g-high")

    def test_6_anti_thrash_backoff(self):
        # thrashLimit 2: the second preemption within the window makes the
        # victim back off (thrashBackoffSeconds 2) before it is queued again,
        # and the history survives in its annotation.
        self.queue(cq("churn", 8, {"withinClusterQueue": "LowerPriority"}))
        self.post(RAY + "/rayclusters", rc("victim", "churn", 8, "low"))
        self.wait_admitted("victim")
        for round_ in (1, 2):
            self.post(RAY + "/rayclusters", rc("boss-%d" % round_, "churn", 8, "high"))
            self.wait_admitted("boss-%d" % round_)
            status, _ = self.double.request("DELETE", RAY + "/rayclusters/boss-%d" % round_)
            self.assertIn(status, (200, 202))
            if round_ == 1:
                self.wait_admitted("victim")  # re-admitted at once after one preemption
        t0 = time.time()
        w = wait_for(lambda: (((self.workload("victim") or {}).get("status") or {})
                              .get("requeueState") or {}).get("requeueAt"), 10)
        self.assertTrue(w, self.workload("victim"))
        hist = self.workload("victim")["metadata"]["annotations"]["raygate.dev/preempted-at"]
        self.assertEqual(len(hist.split(",")), 2)
        self.assertTrue(wait_for(lambda: self.events("BackoffAfterPreemptions"), 5))
        # Free quota, but backing off: admitted again only once requeueAt has passed
        # (judged by the admission's own time, not by this test's timing).
        requeue_at = w
        again = self.wait_admitted("victim", 10)
        self.assertGreaterEqual(condition(again, "QuotaReserved")["lastTransitionTime"], requeue_at)
        print("\nanti-thrash: re-admitted %.1f s after the second preemption's release"
              % (time.time() - t0))


class Protections(Cluster):
    CONFIG = ("waitForPodsReady:\n  timeout: 3s\n  requeuingStrategy:\n    backoffBaseSeconds: 1\n"
              "    backoffLimitCount: 1\npreemption:\n  gracefulStopSeconds: 2\n")

    def test_1_wait_for_pods_ready(self):
        self.queue(cq("ready-q", 16))
        self.post(RAY + "/rayclusters", rc("never-ready", "ready-q", 8, "low"))
        self.post(RAY + "/rayclusters", rc("gets-ready", "ready-q", 8, "low"))
        self.wait_admitted("never-ready")
        self.wait_admitted("gets-ready")
        pr = wait_for(lambda: condition(self.workload("never-ready"), "PodsReady"), 5)
        self.assertEqual((pr["status"], pr["reason"]), ("False", "WaitForStart"))
        # KubeRay reports one cluster ready.
        status, out = self.double.request("PATCH", RAY + "/rayclusters/gets-ready/status",
                                          {"status": {"state": "ready"}}, "application/merge-patch+json")
        self.assertEqual(status, 200, out)
        self.assertTrue(wait_for(lambda: (condition(self.workload("gets-ready"), "PodsReady") or {})
                                 .get("status") == "True", 5))
        w = self.wait_evicted("never-ready", 10)
        ev = condition(w, "Evicted")
        self.assertEqual(ev["reason"], "PodsReadyTimeout")
        self.assertIn("Exceeded the PodsReady timeout default/", ev["message"])
        self.assertEqual(w["status"]["requeueState"]["count"], 1)
        self.assertIn("requeueAt", w["status"]["requeueState"])
        self.assertTrue(wait_for(lambda: self.suspended("never-ready"), 10))
        # Requeued after the backoff, admitted again, timed out again: past
        # backoffLimitCount 1 it is deactivated.
        def deactivated():
            x = self.workload("never-ready")
            return x if x["spec"].get("active") is False else None
        w = wait_for(deactivated, 20)
        self.assertTrue(w, (self.workload("never-ready"), self.rg.logs()[-3000:]))
        ev = wait_for(lambda: (condition(self.workload("never-ready"), "Evicted") or {}).get("reason")
                      == "DeactivatedDueToRequeuingLimitExceeded", 10)
        self.assertTrue(ev, self.workload("never-ready"))
        self.assertTrue(self.admitted("gets-ready"))  # ready in time: never evicted

    def test_2_graceful_stop(self):
        self.queue(cq("grace", 8, {"withinClusterQueue": "LowerPriority"}))
        self.post(RAY + "/rayclusters", rc("ckpt-low", "grace", 8, "low"))
        self.wait_admitted("ckpt-low")
        self.double.request("PATCH", RAY + "/rayclusters/ckpt-low/status", {"status": {"state": "ready"}},
                            "application/merge-patch+json")
        self.assertTrue(wait_for(lambda: not self.suspended("ckpt-low"), 10))
        self.post(RAY + "/rayclusters", rc("ckpt-high", "grace", 8, "high"))
        self.wait_evicted("ckpt-low")
        t0 = time.time()
        noticed = wait_for(lambda: (self.get(RAY + "/rayclusters/ckpt-low")["metadata"].get("annotations")
                                    or {}).get("raygate.dev/stop-after"), 5)
        self.assertTrue(noticed)
        self.assertTrue(wait_for(lambda: self.events("StopScheduled"), 5))
        self.assertFalse(self.suspended("ckpt-low"))  # still running: time to checkpoint
        self.assertTrue(wait_for(lambda: self.suspended("ckpt-low"), 10))
        print("\ngraceful stop: suspended %.1f s after the notice" % (time.time() - t0))
        self.assertGreaterEqual(time.time() - t0, 1.0)
        ann = self.get(RAY + "/rayclusters/ckpt-low")["metadata"].get("annotations") or {}
        self.assertNotIn("raygate.dev/stop-after", ann)
        self.wait_admitted("ckpt-high")


if __name__ == "__main__":
    unittest.main(verbosity=2)

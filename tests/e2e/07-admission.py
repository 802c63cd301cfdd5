"""Quota admission end to end through the API-server double, with raygate's
webhooks in its admission chain: queued RayClusters get Workloads, quota
admits what fits (owners unsuspended onto the flavor's nodes), the rest
waits with its reason, a deletion lets the next one in, and a finished
RayJob releases its quota."""
import time
import unittest

import rgtest
from rgtest import condition, wait_for

KUEUE = "/apis/kueue.x-k8s.io/v1beta2"
RAY = "/apis/ray.io/v1/namespaces/default"
WORKLOADS = KUEUE + "/namespaces/default/workloads"
FINALIZER = "kueue.x-k8s.io/resource-in-use"


def raycluster(name, queue, gpus_per_worker=8, workers=2):
    return {
        "apiVersion": "ray.io/v1", "kind": "RayCluster",
        "metadata": {"name": name, "namespace": "default",
                     "labels": {"kueue.x-k8s.io/queue-name": queue}},
        "spec": {
            "headGroupSpec": {"rayStartParams": {}, "template": {"spec": {"containers": [
                {"name": "ray-head", "image": "rayproject/ray:2.9.0",
                 "resources": {"requests": {"cpu": "1", "memory": "2Gi"}}}]}}},
            "workerGroupSpecs": [{
                "groupName": "gpu", "replicas": workers, "minReplicas": workers,
                "maxReplicas": workers, "rayStartParams": {},
                "template": {"spec": {"containers": [
                    {"name": "ray-worker", "image": "rayproject/ray:2.9.0",
                     "resources": {"requests": {"cpu": "4", "memory": "16Gi"},
                                   "limits": {"nvidia.com/gpu": gpus_per_worker}}}]}}}],
        },
    }


def rayjob(name, queue):
    cluster = raycluster("unused", queue, gpus_per_worker=2, workers=1)["spec"]
    return {
        "apiVersion": "ray.io/v1", "kind": "RayJob",
        "metadata": {"name": name, "namespace": "default",
                     "labels": {"kueue.x-k8s.io/queue-name": queue}},
        "spec": {"entrypoint": "python train.py", "rayClusterSpec": cluster,
                 "shutdownAfterJobFinishes": True},
    }


class AdmissionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rg = rgtest.Raygate()
        certs, ca = rgtest.serving_certs(cls.rg)
        cls.double = rgtest.KubeDouble(
            *rgtest.webhook_args("mutate", cls.rg, ca, [
                "rayclusters.ray.io", "rayjobs.ray.io", "workloads.kueue.x-k8s.io",
                "clusterqueues.kueue.x-k8s.io", "resourceflavors.kueue.x-k8s.io"]),
            *rgtest.webhook_args("validate", cls.rg, ca, [
                "clusterqueues.kueue.x-k8s.io", "localqueues.kueue.x-k8s.io",
                "workloads.kueue.x-k8s.io", "rayclusters.ray.io", "rayjobs.ray.io"])).start()
        rgtest.attach(cls.rg, cls.double, certs, rgtest.leader_config(
            "rg-admit", "admitter:\n  queueStatusMillis: 200\n"))
        cls.rg.start()
        cls.post(KUEUE + "/resourceflavors", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ResourceFlavor",
            "metadata": {"name": "a100"},
            "spec": {"nodeLabels": {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}}})
        cls.post(KUEUE + "/clusterqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue",
            "metadata": {"name": "ray-cluster-queue"},
            "spec": {"namespaceSelector": {}, "resourceGroups": [{
                "coveredResources": ["cpu", "memory", "nvidia.com/gpu"],
                "flavors": [{"name": "a100", "resources": [
                    {"name": "cpu", "nominalQuota": 200},
                    {"name": "memory", "nominalQuota": "1000Gi"},
                    {"name": "nvidia.com/gpu", "nominalQuota": 32}]}]}]}})
        cls.post(KUEUE + "/namespaces/default/localqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
            "metadata": {"name": "ray-queue", "namespace": "default"},
            "spec": {"clusterQueue": "ray-cluster-queue"}})

    @classmethod
    def tearDownClass(cls):
        rc = cls.rg.stop()
        logs = cls.rg.logs()
        cls.double.stop()
        cls.rg.cleanup()
        assert rc == 0, (rc, logs[-3000:])

    @classmethod
    def post(cls, path, obj):
        status, out = cls.double.request("POST", path, obj)
        assert status == 201, (path, status, out)
        return out

    def get(self, path):
        status, out = self.double.request("GET", path)
        return out if status == 200 else None

    def workload_of(self, kind, name):
        _, lst = self.double.request("GET", WORKLOADS)
        for w in lst.get("items", []):
            for ref in w["metadata"].get("ownerReferences", []):
                if ref["kind"] == kind and ref["name"] == name:
                    return w
        return None

    def test_1_quota_admits_two_of_three_and_explains_the_third(self):
        for i in range(3):
            created = self.post(RAY + "/rayclusters", raycluster("gpu-%d" % i, "ray-queue"))
            self.assertIs(created["spec"]["suspend"], True)  # the mutating webhook
            time.sleep(1.1)  # distinct creation seconds: a deterministic queue order

        def settled():
            wls = [self.workload_of("RayCluster", "gpu-%d" % i) for i in range(3)]
            if not all(wls):
                return None
            admitted = [w for w in wls if (w.get("status") or {}).get("admission")]
            pending = [w for w in wls if (condition(w, "QuotaReserved") or {}).get("status") == "False"]
            return (wls, admitted, pending) if len(admitted) == 2 and len(pending) == 1 else None
        got = wait_for(settled, 30)
        self.assertTrue(got, self.rg.logs()[-3000:])
        wls, admitted, pending = got
        # The two oldest are in; each Workload as Kueue's job framework makes it.
        self.assertEqual(sorted(w["metadata"]["ownerReferences"][0]["name"] for w in admitted),
                         ["gpu-0", "gpu-1"])
        wl = admitted[0]
        self.assertTrue(wl["metadata"]["name"].startswith("raycluster-gpu-"))
        self.assertLessEqual(len(wl["metadata"]["name"]), 63)
        ref = wl["metadata"]["ownerReferences"][0]
        self.assertTrue(ref["controller"] and ref["blockOwnerDeletion"])
        self.assertEqual([p["name"] for p in wl["spec"]["podSets"]], ["head", "gpu"])
        self.assertEqual(wl["spec"]["podSets"][1]["count"], 2)
        adm = wl["status"]["admission"]
        self.assertEqual(adm["clusterQueue"], "ray-cluster-queue")
        self.assertEqual(adm["podSetAssignments"][1]["flavors"]["nvidia.com/gpu"], "a100")
        self.assertEqual(adm["podSetAssignments"][1]["resourceUsage"]["nvidia.com/gpu"], "16")
        self.assertEqual(condition(wl, "QuotaReserved")["status"], "True")
        self.assertEqual(condition(wl, "Admitted")["status"], "True")
        # The owners run on the flavor's nodes.
        def started():
            rc = self.get(RAY + "/rayclusters/gpu-0")
            return rc if rc["spec"].get("suspend") is False else None
        rc = wait_for(started, 10)
        self.assertTrue(rc, self.rg.logs()[-3000:])
        for tmpl in [rc["spec"]["headGroupSpec"]["template"],
                     rc["spec"]["workerGroupSpecs"][0]["template"]]:
            self.assertEqual(tmpl["spec"]["nodeSelector"]["nvidia.com/gpu.product"],
                             "NVIDIA-A100-SXM4-80GB")
        ann = rc["metadata"]["annotations"]
        self.assertEqual(ann["raygate.dev/admission"], "Admitted")
        self.assertEqual(ann["raygate.dev/cluster-queue"], "ray-cluster-queue")
        # The third waits, and says why, where and by how much.
        third = pending[0]
        self.assertEqual(third["metadata"]["ownerReferences"][0]["name"], "gpu-2")
        cond = condition(third, "QuotaReserved")
        self.assertEqual(cond["reason"], "Pending")
        self.assertIn("insufficient unused quota for nvidia.com/gpu in flavor a100, 16 more needed",
                      cond["message"])
        self.assertIn("ClusterQueue ray-cluster-queue, position 1 of 1 pending", cond["message"])
        self.assertIs(self.get(RAY + "/rayclusters/gpu-2")["spec"]["suspend"], True)
        # ClusterQueue status as Kueue keeps it.
        def cq_status():
            cq = self.get(KUEUE + "/clusterqueues/ray-cluster-queue")
            st = cq.get("status") or {}
            return st if st.get("admittedWorkloads") == 2 and st.get("pendingWorkloads") == 1 else None
        st = wait_for(cq_status, 10)
        self.assertTrue(st, (self.get(KUEUE + "/clusterqueues/ray-cluster-queue"), self.rg.logs()[-4000:]))
        gpu = [r for r in st["flavorsUsage"][0]["resources"] if r["name"] == "nvidia.com/gpu"][0]
        self.assertEqual(gpu["total"], "32")
        self.assertEqual(condition({"status": st}, "Active")["reason"], "Ready")

        # Delete an admitted one: its Workload goes and the third is admitted within a second.
        status, _ = self.double.request("DELETE", RAY + "/rayclusters/gpu-0")
        self.assertIn(status, (200, 202))
        t0 = time.time()
        def third_admitted():
            w = self.workload_of("RayCluster", "gpu-2")
            return w if (w.get("status") or {}).get("admission") else None
        self.assertTrue(wait_for(third_admitted, 10),
                        (self.double.request("GET", RAY + "/rayclusters/gpu-0"),
                         [(w["metadata"]["name"], w["metadata"].get("deletionTimestamp"),
                           w["metadata"].get("finalizers")) for w in
                          self.double.request("GET", WORKLOADS)[1]["items"]],
                         [l for l in self.rg.logs().splitlines()
                          if " admit " in l or "lead" in l or " warn " in l or " error " in l]))
        elapsed = time.time() - t0
        print("\ndelete -> third admitted: %.3f s" % elapsed)
        self.assertLess(elapsed, 3.0 if rgtest.SANITIZED else 1.0)
        self.assertTrue(wait_for(lambda: self.workload_of("RayCluster", "gpu-0") is None, 10))
        self.assertTrue(wait_for(lambda: self.get(RAY + "/rayclusters/gpu-2")["spec"].get("suspend") is False, 10))

    def test_2_finished_rayjob_releases_its_quota(self):
        self.post(KUEUE + "/clusterqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue",
            "metadata": {"name": "jobs"},
            "spec": {"namespaceSelector": {}, "resourceGroups": [{
                "coveredResources": ["cpu", "memory", "nvidia.com/gpu"],
                "flavors": [{"name": "default-flavor", "resources": [
                    {"name": "cpu", "nominalQuota": 100},
                    {"name": "memory", "nominalQuota": "1000Gi"},
                    {"name": "nvidia.com/gpu", "nominalQuota": 2}]}]}]}})
        self.post(KUEUE + "/namespaces/default/localqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
            "metadata": {"name": "jobs", "namespace": "default"}, "spec": {"clusterQueue": "jobs"}})
        self.post(RAY + "/rayjobs", rayjob("train-1", "jobs"))
        time.sleep(1.1)
        self.post(RAY + "/rayjobs", rayjob("train-2", "jobs"))

        def admitted(name):
            w = self.workload_of("RayJob", name)
            return w if w and (w.get("status") or {}).get("admission") else None
        first = wait_for(lambda: admitted("train-1"), 20)
        self.assertTrue(first, self.rg.logs()[-3000:])
        names = [p["name"] for p in first["spec"]["podSets"]]
        self.assertEqual(names, ["head", "gpu", "submitter"])
        self.assertTrue(wait_for(lambda: self.get(RAY + "/rayjobs/train-1")["spec"].get("suspend") is False, 10))
        second = wait_for(lambda: self.workload_of("RayJob", "train-2"), 10)
        self.assertTrue(second)
        time.sleep(0.5)
        self.assertIsNone(admitted("train-2"))
        # KubeRay reports the job done: its Workload finishes and the quota goes to the next.
        status, out = self.double.request(
            "PATCH", RAY + "/rayjobs/train-1/status",
            {"status": {"jobDeploymentStatus": "Complete", "jobStatus": "SUCCEEDED",
                        "message": "done"}}, "application/merge-patch+json")
        self.assertEqual(status, 200, out)
        def finished():
            w = self.workload_of("RayJob", "train-1")
            c = condition(w, "Finished") if w else None
            return c if c and c["status"] == "True" else None
        fin = wait_for(finished, 10)
        self.assertTrue(fin, self.rg.logs()[-3000:])
        self.assertEqual(fin["reason"], "Succeeded")
        self.assertTrue(wait_for(lambda: admitted("train-2"), 10), self.rg.logs()[-3000:])


    def test_3_a_suspended_owner_moved_to_another_queue_takes_its_workload(self):
        self.post(RAY + "/rayclusters", raycluster("mover", "nowhere", gpus_per_worker=0))
        def blocked():
            w = self.workload_of("RayCluster", "mover")
            c = condition(w, "QuotaReserved") if w else None
            return w if c and c["reason"] == "Inadmissible" else None
        w = wait_for(blocked, 10)
        self.assertTrue(w, self.rg.logs()[-3000:])
        self.assertEqual(condition(w, "QuotaReserved")["message"], "LocalQueue nowhere doesn't exist")
        status, out = self.double.request(
            "PATCH", RAY + "/rayclusters/mover",
            {"metadata": {"labels": {"kueue.x-k8s.io/queue-name": "ray-queue"}}},
            "application/merge-patch+json")
        self.assertEqual(status, 200, out)
        def moved_and_admitted():
            w = self.workload_of("RayCluster", "mover")
            return w if w["spec"]["queueName"] == "ray-queue" and \
                (w.get("status") or {}).get("admission") else None
        self.assertTrue(wait_for(moved_and_admitted, 10), self.rg.logs()[-3000:])

    def test_4_a_workload_made_under_another_name_is_the_owners(self):
        """A Workload that Kueue made before raygate (another name, the RayCluster its controller)
        is found by its owner's uid: raygate updates and admits it, and makes no second one."""
        rc = raycluster("adopt", "ray-queue", gpus_per_worker=0)
        del rc["metadata"]["labels"]  # not queued yet: raygate leaves it alone
        rc["spec"]["suspend"] = True
        rc = self.post(RAY + "/rayclusters", rc)
        self.post(WORKLOADS, {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "Workload",
            "metadata": {"name": "kueue-made-adopt", "namespace": "default", "ownerReferences": [{
                "apiVersion": "ray.io/v1", "kind": "RayCluster", "name": "adopt",
                "uid": rc["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]},
            "spec": {"queueName": "nowhere", "podSets": [{"name": "head", "count": 1, "template": {
                "spec": {"containers": [{"name": "ray-head", "image": "rayproject/ray:2.9.0"}]}}}]}})
        # Seen by raygate (it says why the Workload waits) before its owner is queued.
        self.assertTrue(wait_for(lambda: (condition(self.get(WORKLOADS + "/kueue-made-adopt"), "QuotaReserved")
                                          or {}).get("reason") == "Inadmissible", 10), self.rg.logs()[-3000:])
        status, out = self.double.request(
            "PATCH", RAY + "/rayclusters/adopt",
            {"metadata": {"labels": {"kueue.x-k8s.io/queue-name": "ray-queue"}}},
            "application/merge-patch+json")
        self.assertEqual(status, 200, out)
        self.assertTrue(wait_for(lambda: self.get(RAY + "/rayclusters/adopt")["spec"].get("suspend") is False, 10),
                        self.rg.logs()[-3000:])
        owned = [w for w in self.double.request("GET", WORKLOADS)[1]["items"]
                 if any(r["uid"] == rc["metadata"]["uid"] for r in w["metadata"].get("ownerReferences", []))]
        self.assertEqual([w["metadata"]["name"] for w in owned], ["kueue-made-adopt"])
        self.assertEqual(owned[0]["spec"]["queueName"], "ray-queue")
        self.assertEqual([p["name"] for p in owned[0]["spec"]["podSets"]], ["head", "gpu"])
        self.assertEqual(owned[0]["status"]["admission"]["clusterQueue"], "ray-cluster-queue")

    def test_5_resource_in_use_finalizer_holds_a_used_queue_and_flavor(self):
        # The mutating webhook gives every ClusterQueue and ResourceFlavor Kueue's finalizer.
        for path in (KUEUE + "/clusterqueues/jobs", KUEUE + "/resourceflavors/a100"):
            self.assertIn(FINALIZER, self.get(path)["metadata"].get("finalizers", []), path)
        self.post(KUEUE + "/resourceflavors", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ResourceFlavor",
            "metadata": {"name": "spare"}, "spec": {}})
        self.assertIn(FINALIZER, self.get(KUEUE + "/resourceflavors/spare")["metadata"]["finalizers"])

        def delete(path):
            status, out = self.double.request("DELETE", path)
            self.assertIn(status, (200, 202), out)

        def held(path):
            """Still there, being deleted, a second later (the admitter runs every pass)."""
            time.sleep(1.0)
            obj = self.get(path)
            return obj is not None and "deletionTimestamp" in obj["metadata"]

        # Unused: the deletion completes.
        delete(KUEUE + "/resourceflavors/spare")
        self.assertTrue(wait_for(lambda: self.get(KUEUE + "/resourceflavors/spare") is None, 10),
                        self.get(KUEUE + "/resourceflavors/spare"))
        # A flavor a ClusterQueue names, and a ClusterQueue holding an admitted Workload, wait.
        delete(KUEUE + "/resourceflavors/a100")
        delete(KUEUE + "/clusterqueues/jobs")
        self.assertTrue(held(KUEUE + "/resourceflavors/a100"))
        self.assertTrue(held(KUEUE + "/clusterqueues/jobs"))
        # The Workload admitted in "jobs" finishes: nothing uses the queue any more.
        status, out = self.double.request(
            "PATCH", RAY + "/rayjobs/train-2/status",
            {"status": {"jobDeploymentStatus": "Complete", "jobStatus": "SUCCEEDED"}},
            "application/merge-patch+json")
        self.assertEqual(status, 200, out)
        self.assertTrue(wait_for(lambda: self.get(KUEUE + "/clusterqueues/jobs") is None, 10),
                        self.get(KUEUE + "/clusterqueues/jobs"))
        # The queue that names a100 goes once its Workloads are gone; then a100 goes too.
        delete(KUEUE + "/clusterqueues/ray-cluster-queue")
        self.assertTrue(held(KUEUE + "/clusterqueues/ray-cluster-queue"))
        self.assertTrue(self.get(KUEUE + "/resourceflavors/a100"))
        for rc in self.double.request("GET", RAY + "/rayclusters")[1]["items"]:
            delete(RAY + "/rayclusters/" + rc["metadata"]["name"])
        self.assertTrue(wait_for(
            lambda: self.get(KUEUE + "/clusterqueues/ray-cluster-queue") is None, 15),
            (self.get(KUEUE + "/clusterqueues/ray-cluster-queue"),
             [w["metadata"]["name"] for w in self.double.request("GET", WORKLOADS)[1]["items"]]))
        self.assertTrue(wait_for(lambda: self.get(KUEUE + "/resourceflavors/a100") is None, 10),
                        self.get(KUEUE + "/resourceflavors/a100"))



class AdoptionTest(unittest.TestCase):
    """raygate installed into a live cluster: Ray objects that already run without a Workload
    (created before raygate's webhooks were registered) are adopted, admitted where quota allows
    and reported on their Workload where not, and never suspended."""

    def test_running_objects_are_adopted_never_suspended(self):
        rg = rgtest.Raygate()
        certs, _ = rgtest.serving_certs(rg)
        double = rgtest.KubeDouble().start()  # no webhooks: the cluster before raygate
        self.addCleanup(rg.cleanup)
        self.addCleanup(double.stop)

        def post(path, obj):
            status, out = double.request("POST", path, obj)
            self.assertEqual(status, 201, (path, out))
        post(KUEUE + "/clusterqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue",
            "metadata": {"name": "live"},
            "spec": {"namespaceSelector": {}, "resourceGroups": [{
                "coveredResources": ["cpu", "memory", "nvidia.com/gpu"],
                "flavors": [{"name": "default-flavor", "resources": [
                    {"name": "cpu", "nominalQuota": 100},
                    {"name": "memory", "nominalQuota": "1000Gi"},
                    {"name": "nvidia.com/gpu", "nominalQuota": 16}]}]}]}})
        post(KUEUE + "/namespaces/default/localqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
            "metadata": {"name": "live", "namespace": "default"}, "spec": {"clusterQueue": "live"}})
        for name in ("first", "second"):  # 16 GPUs each; the queue holds 16
            rc = raycluster(name, "live")
            rc["spec"]["suspend"] = False
            post(RAY + "/rayclusters", rc)
            time.sleep(1.1)  # whole-second creationTimestamps: first is strictly older
        rgtest.attach(rg, double, certs, rgtest.leader_config("rg-adopt"))
        rg.start()
        self.addCleanup(rg.stop)

        def workload(owner):
            for w in double.request("GET", WORKLOADS)[1].get("items", []):
                if any(r["name"] == owner for r in w["metadata"].get("ownerReferences", [])):
                    return w
            return None

        def decided(owner):
            w = workload(owner)
            c = condition(w, "QuotaReserved") if w else None
            return w if c else None
        first = wait_for(lambda: decided("first"), 20)
        second = wait_for(lambda: decided("second"), 20)
        self.assertTrue(first and second, ([(w["metadata"]["name"], w.get("status")) for w in
                                            double.request("GET", WORKLOADS)[1]["items"]],
                                           rg.logs()[-2000:]))
        # Room for one of the two (the Workloads are made in the same second: either).
        admitted = [w for w in (first, second) if condition(w, "QuotaReserved")["status"] == "True"]
        self.assertEqual(len(admitted), 1, (first["status"], second["status"]))
        winner = admitted[0]["metadata"]["ownerReferences"][0]["name"]
        other = "second" if winner == "first" else "first"
        self.assertEqual(admitted[0]["status"]["admission"]["clusterQueue"], "live")
        note = condition(second if winner == "first" else first, "QuotaReserved")
        self.assertEqual((note["status"], note["reason"]), ("False", "Pending"), note)
        self.assertIn("insufficient unused quota for nvidia.com/gpu", note["message"])
        self.assertTrue(wait_for(lambda: double.request("GET", RAY + "/rayclusters/" + winner)[1][
            "metadata"].get("annotations", {}).get("raygate.dev/admission") == "Admitted", 10))
        self.assertTrue(rg.audit_records_where(
            lambda r: r.get("decision") == "adopted" and r.get("name") == winner))
        # Neither is ever suspended: not the admitted one, not the one over quota.
        time.sleep(1.0)
        for name in (winner, other):
            rc = double.request("GET", RAY + "/rayclusters/" + name)[1]
            self.assertIs(rc["spec"].get("suspend"), False, (name, rc["spec"]))
        # raygate's only write to them: the adopted one's admission annotations.
        patched = [w["name"] for w in double.writes()
                   if w.get("resource") == "rayclusters.ray.io" and w["verb"] != "create"]
        self.assertEqual(patched, [winner], double.writes())


if __name__ == "__main__":
    unittest.main(verbosity=2)

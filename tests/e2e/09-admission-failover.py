"""Failover mid-admission: two raygate replicas, the leader killed with -9
while it is admitting a burst of RayClusters. The survivor takes the Lease,
rebuilds its view from list+watch and finishes the job: no Workload is ever
admitted twice, the quota is never exceeded at any stored state, and every
RayCluster ends with one Workload, admitted or pending with its reason."""
import concurrent.futures
import signal
import time
import unittest

import rgtest
from rgtest import condition, wait_for

KUEUE = "/apis/kueue.x-k8s.io/v1beta2"
RAY = "/apis/ray.io/v1/namespaces/default/rayclusters"
WORKLOADS = KUEUE + "/namespaces/default/workloads"
LEASE = "/apis/coordination.k8s.io/v1/namespaces/default/leases/raygate"
QUOTA_GPUS = 60
CLUSTERS = 200


def reserved(wl):
    return bool((wl.get("status") or {}).get("admission")) and \
        (condition(wl, "QuotaReserved") or {}).get("status") == "True"


def gpus_of(wl):
    if not reserved(wl):
        return 0
    return sum(int(p.get("resourceUsage", {}).get("nvidia.com/gpu", "0"))
               for p in wl["status"]["admission"].get("podSetAssignments", []))


def raycluster(i):
    return {
        "apiVersion": "ray.io/v1", "kind": "RayCluster",
        "metadata": {"name": "fo-%03d" % i, "namespace": "default",
                     "labels": {"kueue.x-k8s.io/queue-name": "lq"}},
        "spec": {
            "headGroupSpec": {"rayStartParams": {}, "template": {"spec": {"containers": [
                {"name": "head", "image": "rayproject/ray:2.9.0"}]}}},
            "workerGroupSpecs": [{
                "groupName": "w", "replicas": 1, "minReplicas": 1, "maxReplicas": 1,
                "rayStartParams": {}, "template": {"spec": {"containers": [
                    {"name": "worker", "image": "rayproject/ray:2.9.0",
                     "resources": {"limits": {"nvidia.com/gpu": 1}}}]}}}],
        },
    }


class FailoverTest(unittest.TestCase):
    def setUp(self):
        self.a = rgtest.Raygate()
        self.b = rgtest.Raygate()
        certs, ca = rgtest.serving_certs(self.a)
        # The webhooks are served by b, which stays up throughout.
        self.double = rgtest.KubeDouble(
            "--history-window", "100000",
            *rgtest.webhook_args("mutate", self.b, ca, ["rayclusters.ray.io", "workloads.kueue.x-k8s.io", "clusterqueues.kueue.x-k8s.io"])).start()
        for rg, ident in ((self.a, "rg-a"), (self.b, "rg-b")):
            rgtest.attach(rg, self.double, certs, rgtest.leader_config(ident))
        self.a.start()
        self.assertTrue(wait_for(lambda: self.holder() == "rg-a", 10), self.a.logs()[-2000:])
        self.b.start()
        self.post(KUEUE + "/clusterqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue",
            "metadata": {"name": "small"},
            "spec": {"namespaceSelector": {}, "resourceGroups": [{
                "coveredResources": ["nvidia.com/gpu"],
                "flavors": [{"name": "default-flavor", "resources": [
                    {"name": "nvidia.com/gpu", "nominalQuota": QUOTA_GPUS}]}]}]}})
        self.post(KUEUE + "/namespaces/default/localqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
            "metadata": {"name": "lq", "namespace": "default"}, "spec": {"clusterQueue": "small"}})
        self.recorder = rgtest.WatchRecorder(self.double, WORKLOADS).start()

    def tearDown(self):
        self.recorder.stop()
        rc = self.b.stop()
        self.a.stop()
        logs = self.b.logs()
        self.double.stop()
        self.a.cleanup()
        self.b.cleanup()
        self.assertEqual(rc, 0, logs[-3000:])

    def holder(self):
        status, lease = self.double.request("GET", LEASE)
        return lease["spec"].get("holderIdentity") if status == 200 else None

    def post(self, path, obj):
        status, out = self.double.request("POST", path, obj)
        self.assertEqual(status, 201, (path, out))
        return out

    def test_the_new_leader_never_admits_twice(self):
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futs = [pool.submit(self.double.request, "POST", RAY, raycluster(i))
                    for i in range(CLUSTERS)]
            # Kill the leader once it has admitted some, mid-burst.
            def some_admitted():
                return sum(1 for t, o in self.recorder.snapshot() if reserved(o)) >= 10
            self.assertTrue(wait_for(some_admitted, 30), self.a.logs()[-3000:])
            self.a.stop(sig=signal.SIGKILL)
            killed = time.time()
            for f in futs:
                self.assertEqual(f.result()[0], 201)
        self.assertTrue(wait_for(lambda: self.holder() == "rg-b", 15), self.b.logs()[-2000:])
        print("\nleader killed mid-admission; rg-b leads after %.2f s" % (time.time() - killed))

        def quiet():
            _, wls = self.double.request("GET", WORKLOADS)
            items = wls.get("items", [])
            done = len(items) == CLUSTERS and all(
                reserved(w) or (condition(w, "QuotaReserved") or {}).get("status") == "False"
                for w in items)
            return items if done else None
        items = wait_for(quiet, 60, 0.2)
        self.assertTrue(items, self.b.logs()[-3000:])
        self.assertEqual(sum(1 for w in items if reserved(w)), QUOTA_GPUS)
        owners = {[r for r in w["metadata"]["ownerReferences"] if r.get("controller")][0]["uid"]
                  for w in items}
        self.assertEqual(len(owners), CLUSTERS)

        # Every stored state: within quota; each Workload admitted at most once.
        self.recorder.stop()
        state, admissions = {}, {}
        for etype, obj in self.recorder.snapshot():
            key = obj["metadata"]["name"]
            was = state.get(key, 0)
            now = 0 if etype == "DELETED" else gpus_of(obj)
            if now and not was:
                admissions[key] = admissions.get(key, 0) + 1
            state[key] = now
            self.assertLessEqual(sum(state.values()), QUOTA_GPUS, "over quota at %s" % key)
        twice = [k for k, n in admissions.items() if n > 1]
        self.assertEqual(twice, [], "admitted twice")
        self.assertEqual(len(admissions), QUOTA_GPUS)
        self.assertEqual(self.recorder.relists, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)

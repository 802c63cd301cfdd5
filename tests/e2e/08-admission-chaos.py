"""Quota is never exceeded and nothing is lost, under chaos: 500 RayClusters
created concurrently against a small quota while raygate is killed with -9
and restarted, while the API-server double cuts watches and commits writes
but answers 504. Every stored state of every Workload is recorded through a
watch; at every one of them the admitted set fits the quota. Once quiet,
every RayCluster has exactly one Workload, admitted or pending with its
reason, and nothing pending would fit in what is left."""
import concurrent.futures
import os
import random
import signal
import time
import unittest

import rgtest
from rgtest import condition, wait_for

KUEUE = "/apis/kueue.x-k8s.io/v1beta2"
RAY = "/apis/ray.io/v1/namespaces/default/rayclusters"
WORKLOADS = KUEUE + "/namespaces/default/workloads"
QUOTA_GPUS = 40
CLUSTERS = int(os.environ.get("RG_CHAOS_CLUSTERS", "500"))


gpus_of = rgtest.gpus_reserved


def raycluster(i, gpus):
    return {
        "apiVersion": "ray.io/v1", "kind": "RayCluster",
        "metadata": {"name": "chaos-%03d" % i, "namespace": "default",
                     "labels": {"kueue.x-k8s.io/queue-name": "lq"}},
        "spec": {
            "headGroupSpec": {"rayStartParams": {}, "template": {"spec": {"containers": [
                {"name": "head", "image": "rayproject/ray:2.9.0",
                 "resources": {"requests": {"cpu": "1"}}}]}}},
            "workerGroupSpecs": [{
                "groupName": "w", "replicas": 1, "minReplicas": 1, "maxReplicas": 1,
                "rayStartParams": {}, "template": {"spec": {"containers": [
                    {"name": "worker", "image": "rayproject/ray:2.9.0",
                     "resources": {"limits": {"nvidia.com/gpu": gpus}}}]}}}],
        },
    }


class ChaosTest(unittest.TestCase):
    def setUp(self):
        self.rg = rgtest.Raygate()
        certs, ca = rgtest.serving_certs(self.rg)
        self.double = rgtest.KubeDouble(
            "--history-window", "100000",
            *rgtest.webhook_args("mutate", self.rg, ca, ["rayclusters.ray.io", "workloads.kueue.x-k8s.io", "clusterqueues.kueue.x-k8s.io"])).start()
        rgtest.attach(self.rg, self.double, certs, rgtest.leader_config(
            "rg-chaos", "admitter:\n  queueStatusMillis: 500\n"))
        self.rg.start()
        self.post(KUEUE + "/clusterqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue",
            "metadata": {"name": "small"},
            "spec": {"namespaceSelector": {}, "resourceGroups": [{
                "coveredResources": ["cpu", "nvidia.com/gpu"],
                "flavors": [{"name": "default-flavor", "resources": [
                    {"name": "cpu", "nominalQuota": 10000},
                    {"name": "nvidia.com/gpu", "nominalQuota": QUOTA_GPUS}]}]}]}})
        self.post(KUEUE + "/namespaces/default/localqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
            "metadata": {"name": "lq", "namespace": "default"}, "spec": {"clusterQueue": "small"}})
        self.recorder = rgtest.WatchRecorder(self.double, WORKLOADS).start()

    def tearDown(self):
        self.recorder.stop()
        rc = self.rg.stop()
        logs = self.rg.logs()
        self.double.stop()
        self.rg.cleanup()
        self.assertEqual(rc, 0, logs[-3000:])

    def post(self, path, obj):
        status, out = self.double.request("POST", path, obj)
        self.assertEqual(status, 201, (path, out))
        return out

    def create_until_stored(self, i, gpus):
        """As a client would: retry while the webhook is down (raygate restarting)."""
        for _ in range(400):
            status, out = self.double.request("POST", RAY, raycluster(i, gpus))
            if status == 201:
                return out
            if status == 409:  # an earlier attempt was stored
                return None
            time.sleep(0.05)
        raise AssertionError("RayCluster %d never stored: %s" % (i, out))

    def chaos(self, done):
        """kill -9 and restart raygate, cut watches, commit writes but answer 504."""
        kills = 0
        while not done():
            time.sleep(random.uniform(0.8, 1.6))
            self.double.request("POST", "/_double/faults", {"dropWatchesNow": True})
            self.double.request("POST", "/_double/faults", {"failNext": [
                {"afterCommit": True, "code": 504, "count": 3,
                 "resource": "workloads.kueue.x-k8s.io", "subresource": "status"},
                {"afterCommit": True, "code": 504, "count": 2, "verbs": ["create"],
                 "resource": "workloads.kueue.x-k8s.io"}]})
            if kills < 3:
                self.rg.stop(sig=signal.SIGKILL)
                self.rg.start()
                kills += 1
        return kills

    def test_quota_holds_under_kill_watch_drops_and_commit_then_fail(self):
        rnd = random.Random(7)
        demands = [rnd.choice([1, 2, 3, 4]) for _ in range(CLUSTERS)]
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futs = [pool.submit(self.create_until_stored, i, g) for i, g in enumerate(demands)]
            kills = self.chaos(lambda: all(f.done() for f in futs))
            for f in futs:
                f.result()
        created = time.time() - t0
        self.double.request("DELETE", "/_double/faults")

        def quiet():
            _, wls = self.double.request("GET", WORKLOADS)
            items = wls.get("items", [])
            if len(items) < CLUSTERS:
                return None
            for w in items:
                qr = condition(w, "QuotaReserved") or {}
                if qr.get("status") == "True" and (w.get("status") or {}).get("admission"):
                    continue
                if qr.get("status") == "False" and qr.get("message"):
                    continue
                return None
            return items
        items = wait_for(quiet, 120, 0.2)
        self.assertTrue(items, self.rg.logs()[-4000:])
        settled = time.time() - t0
        print("\n%d RayClusters created in %.1f s with %d kills; settled after %.1f s"
              % (CLUSTERS, created, kills, settled))

        # Exactly one Workload per RayCluster.
        owners = {}
        for w in items:
            ref = [r for r in w["metadata"]["ownerReferences"] if r.get("controller")][0]
            owners.setdefault(ref["uid"], []).append(w["metadata"]["name"])
        self.assertEqual(len(owners), CLUSTERS)
        self.assertEqual([k for k, v in owners.items() if len(v) > 1], [])

        # Once quiet: within quota, and nothing pending would fit in what is left.
        used = sum(gpus_of(w) for w in items)
        self.assertLessEqual(used, QUOTA_GPUS)
        pending = [w for w in items if gpus_of(w) == 0]
        smallest = min(sum(int(p["template"]["spec"]["containers"][0]["resources"].get(
            "limits", {}).get("nvidia.com/gpu", 0)) * p["count"] for p in w["spec"]["podSets"])
            for w in pending) if pending else 0
        self.assertLess(QUOTA_GPUS - used, smallest,
                        "a pending Workload would fit in the %d GPUs left" % (QUOTA_GPUS - used))
        for w in pending:
            self.assertIn("insufficient unused quota for nvidia.com/gpu",
                          condition(w, "QuotaReserved")["message"])

        # At every stored state, the admitted set fit the quota and no owner had two Workloads.
        self.recorder.stop()
        state, live, worst = {}, {}, 0
        for etype, obj in self.recorder.snapshot():
            key = obj["metadata"]["name"]
            if etype == "DELETED":
                state.pop(key, None)
                live.pop(key, None)
            else:
                state[key] = gpus_of(obj)
                refs = [r for r in obj["metadata"].get("ownerReferences", []) if r.get("controller")]
                live[key] = refs[0]["uid"] if refs else key
            total = sum(state.values())
            worst = max(worst, total)
            self.assertLessEqual(total, QUOTA_GPUS, "over quota after %s of %s" % (etype, key))
            self.assertEqual(len(set(live.values())), len(live), "two Workloads for one owner")
        print("peak GPUs admitted at any stored state: %d of %d; %d states checked; %d re-lists"
              % (worst, QUOTA_GPUS, len(self.recorder.snapshot()), self.recorder.relists))
        self.assertEqual(self.recorder.relists, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""A loop-prone setup end to end through the API-server double: two Cohorts
that borrow from each other under fair sharing, tied on their dominant
resource, contend for CPU with CPU-only RayClusters (docs/preemption.md,
"Loops and the fixed point"; the engine's own simulation is
tests/fixtures/quota/120-loop-fair-sharing-tie.yaml). Without anti-thrash
the two RayClusters preempt each other for as long as one looks; with it
the victim is preempted at most thrashLimit times, backs off, and the
admitted set then stays as it is well past the window and the backoff,
while the victim's Workload says why it waits."""
import importlib
import os
import sys
import time
import unittest

from rgtest import condition, wait_for

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
preemption = importlib.import_module("11-preemption")
Cluster = preemption.Cluster
KUEUE, RAY, V2 = preemption.KUEUE, preemption.RAY, preemption.V2

THRASH_LIMIT = 2
WINDOW_S = 6
BACKOFF_S = 1
STABLE_S = 20  # watched after the fixed point: over 3 windows, 20 backoffs


def quota(cpu, memory, gpus):
    return [{"coveredResources": ["cpu", "memory", "nvidia.com/gpu"], "flavors": [
        {"name": "default", "resources": [
            {"name": "cpu", "nominalQuota": cpu}, {"name": "memory", "nominalQuota": memory},
            {"name": "nvidia.com/gpu", "nominalQuota": gpus}]}]}]


def job(name, queue, cpu, gpus=0):
    """A RayCluster asking cpu CPUs in all (1 for its head) and gpus GPUs."""
    obj = preemption.raycluster(name, queue, gpus_per_worker=gpus, workers=1)
    res = obj["spec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0]["resources"]
    res["requests"]["cpu"] = str(cpu - 1)
    if not gpus:
        del res["limits"]
    return obj


class Tie(Cluster):
    """org holds 8 GPUs; team-a and team-b each run a ClusterQueue with 8 CPUs
    and no GPU. a-gpu and b-gpu (6 CPUs, 4 GPUs each) borrow half of org's
    GPUs: both Cohorts' dominant resource share is GPU, 500, equal. a-cpu (4
    CPUs) runs; b-cpu (4 CPUs) needs its room, and neither CPU job moves
    its Cohort's share: LessThanOrEqualToFinalShare (500 <= 500) lets each
    preempt the other, and the admission tournament, tied, gives the
    released room back to the older a-cpu."""

    def setup_tie(self):
        self.post(KUEUE + "/cohorts", {"apiVersion": V2, "kind": "Cohort", "metadata": {"name": "org"},
                                       "spec": {"resourceGroups": quota(0, "0", 8)}})
        for team in ("team-a", "team-b"):
            self.post(KUEUE + "/cohorts", {"apiVersion": V2, "kind": "Cohort",
                                           "metadata": {"name": team}, "spec": {"parentName": "org"}})
        for name, team in (("fs-a", "team-a"), ("fs-b", "team-b")):
            self.queue({"apiVersion": V2, "kind": "ClusterQueue", "metadata": {"name": name},
                        "spec": {"namespaceSelector": {}, "cohortName": team,
                                 "preemption": {"reclaimWithinCohort": "Any"},
                                 "resourceGroups": quota(8, "100Gi", 0)}})
        for name, queue, cpu, gpus in (("a-gpu", "fs-a", 6, 4), ("b-gpu", "fs-b", 6, 4),
                                       ("a-cpu", "fs-a", 4, 0)):
            self.post(RAY + "/rayclusters", job(name, queue, cpu, gpus))
            self.wait_admitted(name)
        time.sleep(1.1)  # creationTimestamp has whole seconds: a-cpu is strictly older
        self.post(RAY + "/rayclusters", job("b-cpu", "fs-b", 4))

    def preemptions(self, owner):
        """How often the owner's Workload was preempted, as its status counts."""
        w = self.workload(owner) or {}
        for e in ((w.get("status") or {}).get("schedulingStats") or {}).get("evictions") or []:
            if e.get("reason") == "Preempted":
                return e.get("count", 0)
        return 0

    def running(self):
        return tuple(sorted(o for o in ("a-gpu", "b-gpu", "a-cpu", "b-cpu") if self.admitted(o)))


class WithoutAntiThrash(Tie):
    CONFIG = "fairSharing:\n  enable: true\npreemption:\n  thrashLimit: 0\n"

    def test_the_setup_loops(self):
        self.setup_tie()
        t0 = time.time()
        looping = wait_for(lambda: self.preemptions("a-cpu") >= 10, 15, 0.1)
        n, dt = self.preemptions("a-cpu"), time.time() - t0
        print("\nwithout anti-thrash: a-cpu preempted %d times in %.1f s, b-cpu admitted: %s"
              % (n, dt, bool(self.admitted("b-cpu"))))
        self.assertTrue(looping, (n, self.workload("a-cpu"), self.rg.logs()[-3000:]))
        self.assertEqual(self.preemptions("b-cpu"), 0)


class WithAntiThrash(Tie):
    ADMITTER = "  pendingRefreshSeconds: 1\n"
    CONFIG = ("fairSharing:\n  enable: true\npreemption:\n  thrashLimit: %d\n"
              "  thrashWindowSeconds: %d\n  thrashBackoffSeconds: %d\n  thrashBackoffMaxSeconds: 4\n"
              % (THRASH_LIMIT, WINDOW_S, BACKOFF_S))

    def test_reaches_a_fixed_point(self):
        self.setup_tie()
        t0 = time.time()
        self.wait_admitted("b-cpu", 20)
        settled = time.time()
        fixed = ("a-gpu", "b-cpu", "b-gpu")
        self.assertEqual(self.running(), fixed)
        n = self.preemptions("a-cpu")
        print("\nanti-thrash: a-cpu preempted %d times, b-cpu admitted %.1f s after it came"
              % (n, settled - t0))
        self.assertEqual(n, THRASH_LIMIT)
        self.assertEqual(self.preemptions("b-cpu"), 0)
        # The victim backs off, and says so.
        a = self.workload("a-cpu")
        self.assertIn("requeueAt", (a.get("status") or {}).get("requeueState") or {}, a)
        self.assertEqual(len(a["metadata"]["annotations"]["raygate.dev/preempted-at"].split(",")),
                         THRASH_LIMIT)
        backoff = wait_for(lambda: [e for e in self.events("BackoffAfterPreemptions")
                                    if e["object"].get("name") == a["metadata"]["name"]], 5)
        self.assertTrue(backoff)
        self.assertIn("Preempted %d times within %ds" % (THRASH_LIMIT, WINDOW_S), backoff[0]["message"])
        # Well past the backoff and the window the admitted set holds, nobody
        # is preempted again, and a-cpu's condition says why it waits.
        changes = []
        while time.time() - settled < STABLE_S:
            now = self.running()
            if now != fixed:
                changes.append((round(time.time() - settled, 1), now))
            time.sleep(0.2)
        self.assertEqual(changes, [], self.rg.logs()[-3000:])
        self.assertEqual((self.preemptions("a-cpu"), self.preemptions("b-cpu")), (THRASH_LIMIT, 0))
        note = condition(self.workload("a-cpu"), "QuotaReserved")
        self.assertEqual((note["status"], note["reason"]), ("False", "Pending"), note)
        self.assertIn("Not preempting (anti-thrash): preempted %d times within %ds, may preempt "
                      "again once something else changes in its cohort" % (THRASH_LIMIT, WINDOW_S),
                      note["message"])
        # Kueue's status.fairSharing as its ClusterQueue and Cohort controllers write it (and
        # kueue_*_weighted_share): each team borrows 4 of org's 8 GPUs, 500 per mille, its CPU
        # job moving nothing; org, the root, borrows from nobody.
        want = {"cohorts/org": 0, "cohorts/team-a": 500, "cohorts/team-b": 500,
                "clusterqueues/fs-a": 500, "clusterqueues/fs-b": 500}

        def shares():
            return {k: (((self.get(KUEUE + "/" + k) or {}).get("status") or {}).get(
                "fairSharing") or {}).get("weightedShare") for k in want}
        self.assertTrue(wait_for(lambda: shares() == want, 5), shares())
        metrics = self.rg.request("GET", "/metrics")[2].decode()
        self.assertIn('kueue_cohort_weighted_share{cohort="team-b",replica_role="leader"} 500',
                      metrics)
        self.assertIn('kueue_cluster_queue_weighted_share{cluster_queue="fs-a",cohort="team-a",'
                      'replica_role="leader"} 500', metrics)
        print("anti-thrash: admitted set unchanged for %d s after the fixed point (window %d s, "
              "backoff %d s)" % (STABLE_S, WINDOW_S, BACKOFF_S))


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""raygate against the API-server double: caches sync and follow the
cluster, the webhooks run inside the apiserver's admission chain, and two
replicas elect one leader that fails over after kill -9."""
import os
import re
import signal
import time
import unittest

import rgtest
from rgtest import wait_for

RAYCLUSTERS = "/apis/ray.io/v1/namespaces/default/rayclusters"
LOCALQUEUES = "/apis/kueue.x-k8s.io/v1beta1/namespaces/default/localqueues"
CLUSTERQUEUES = "/apis/kueue.x-k8s.io/v1beta1/clusterqueues"
LEASE = "/apis/coordination.k8s.io/v1/namespaces/default/leases/raygate"


def metric(rg, name):
    status, _, data = rg.request("GET", "/metrics")
    m = re.search(r"^%s (\S+)$" % re.escape(name), data.decode(), re.M)
    return float(m.group(1)) if m else None


def config(rg, identity):
    path = os.path.join(rg.tmp, "raygate.yaml")
    with open(path, "w") as f:
        f.write(rgtest.leader_config(identity))
    return path


class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # raygate's serving certificate first: the double must trust it.
        cls.rg = rgtest.Raygate()
        certs, ca = rgtest.serving_certs(cls.rg)
        cls.double = rgtest.KubeDouble(
            *rgtest.webhook_args("mutate", cls.rg, ca, [
                "rayclusters.ray.io", "rayjobs.ray.io", "workloads.kueue.x-k8s.io",
                "clusterqueues.kueue.x-k8s.io"]),
            *rgtest.webhook_args("validate", cls.rg, ca, [
                "clusterqueues.kueue.x-k8s.io", "localqueues.kueue.x-k8s.io",
                "workloads.kueue.x-k8s.io", "rayclusters.ray.io",
                "priorityclasses.scheduling.k8s.io"]),
            # raygate's CRDs: v1beta1 reads and writes convert through raygate's /convert.
            crds=rgtest.crds_with_ca(os.path.join(cls.rg.tmp, "crds"), ca),
            raygate_port=cls.rg.port).start()
        rgtest.attach(cls.rg, cls.double, certs, rgtest.leader_config("rg-main"))
        cls.rg.start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.rg.stop()
        cls.double.stop()
        cls.rg.cleanup()
        assert rc == 0, rc

    def test_ready_once_every_cache_synced(self):
        ok = wait_for(lambda: self.rg.request("GET", "/readyz")[0] == 200)
        self.assertTrue(ok, self.rg.logs())
        body = self.rg.request("GET", "/readyz")[2].decode()
        self.assertIn("from https://127.0.0.1:%d" % self.double.port, body)
        text = self.rg.request("GET", "/metrics")[2].decode()
        for kind in ("Pod", "Node", "RayCluster", "Workload", "ClusterQueue", "LocalQueue",
                     "PriorityClass", "Namespace"):
            self.assertIn('raygate_cache_synced{kind="%s"} 1' % kind, text)
        self.assertEqual(metric(self.rg, "raygate_leader"), 1.0)

    def test_leader_records_an_event_on_its_lease(self):
        def event():
            _, lst = self.double.request("GET", "/apis/events.k8s.io/v1/namespaces/default/events")
            return [e for e in lst.get("items", []) if e.get("reason") == "LeaderElection"]
        found = wait_for(event, 10)
        self.assertTrue(found, self.rg.logs()[-2000:])
        self.assertEqual(found[0]["regarding"]["kind"], "Lease")
        self.assertEqual(found[0]["note"], "rg-main became leader")

    def test_raycluster_created_through_the_apiserver_is_suspended(self):
        obj = rgtest.seed_raycluster()
        obj["metadata"] = {"name": "queued-cluster", "namespace": "default",
                           "labels": {"kueue.x-k8s.io/queue-name": "ray-queue"}}
        status, stored = self.double.request("POST", RAYCLUSTERS, obj)
        self.assertEqual(status, 201, stored)
        self.assertIs(stored["spec"]["suspend"], True)
        self.assertEqual(stored["metadata"]["annotations"]["raygate.dev/admission"], "Pending")
        # ... and the cache follows the watch.
        _, listing = self.double.request("GET", RAYCLUSTERS)
        want = 'raygate_cache_objects{kind="RayCluster"} %d' % len(listing["items"])
        self.assertTrue(wait_for(lambda: want in self.rg.request("GET", "/metrics")[2].decode()))

    def test_seed_manifests_apply_through_the_apiserver(self):
        """The seed article's examples, as kubectl would send them (YAML), through
        the apiserver's admission chain with raygate's webhooks and CRDs."""
        paths = {"ClusterQueue": CLUSTERQUEUES,
                 "Workload": "/apis/kueue.x-k8s.io/v1beta1/namespaces/default/workloads",
                 "RayCluster": RAYCLUSTERS}
        seed = os.path.join(rgtest.SRC, "manifests/examples/seed")
        created = {}
        for name in sorted(os.listdir(seed)):
            if not name.endswith(".yaml"):
                continue
            with open(os.path.join(seed, name)) as f:
                docs = [d for d in f.read().split("\n---\n") if "kind:" in d]
            for doc in docs:
                kind = re.search(r"^kind: (\S+)", doc, re.M).group(1)
                if kind not in paths:
                    continue  # Queue, kueue PriorityClass: no CRD on a cluster (docs/manifests.md)
                status, obj = self.double.request("POST", paths[kind], doc, "application/yaml")
                self.assertEqual(status, 201, (name, obj))
                created.setdefault(kind, []).append(obj)
        self.assertEqual(len(created["ClusterQueue"]), 5)
        self.assertEqual(len(created["RayCluster"]), 5)
        self.assertEqual(len(created["Workload"]), 4)
        # The shorthand arrived canonical: raygate's mutating webhook rewrote it.
        cq = [c for c in created["ClusterQueue"] if c["metadata"]["name"] == "ai-cluster-queue"][0]
        group = cq["spec"]["resourceGroups"][0]
        self.assertEqual(group["coveredResources"], ["cpu", "memory", "nvidia.com/gpu"])
        self.assertEqual(group["flavors"][0]["name"], "default-flavor")
        self.assertNotIn("resources", group)
        # The queued RayCluster is suspended; the unqueued ones are not.
        by_name = {r["metadata"]["name"]: r for r in created["RayCluster"]}
        self.assertIs(by_name["ai-training-cluster"]["spec"]["suspend"], True)
        self.assertNotIn("suspend", by_name["ray-cluster"]["spec"])
        for wl in created["Workload"]:
            self.assertEqual(wl["metadata"]["annotations"]["raygate.dev/admission"], "Pending")
        # v1beta1 in, v1beta2 stored: the API server converted through raygate's /convert.
        self.assertGreater(metric(self.rg, 'raygate_http_requests_total{endpoint="convert",'
                                           'code="200"}') or 0, 0)
        self.assertEqual(cq["apiVersion"], "kueue.x-k8s.io/v1beta1")

    def test_invalid_clusterqueue_is_refused_by_the_apiserver(self):
        cq = {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ClusterQueue",
              "metadata": {"name": "broken"},
              "spec": {"cohort": "Bad_Cohort", "resourceGroups": [{
                  "coveredResources": ["cpu"], "flavors": [{"name": "default", "resources": [
                      {"name": "cpu", "nominalQuota": "-1"}]}]}]}}
        status, st = self.double.request("POST", CLUSTERQUEUES, cq)
        self.assertEqual(status, 403, st)
        self.assertIn("spec.cohort", st["message"])
        self.assertIn("nominalQuota", st["message"])

    def test_references_are_checked_against_the_watched_cluster(self):
        wl = {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "Workload",
              "metadata": {"name": "w1", "namespace": "default"},
              "spec": {"queueName": "team-q", "podSets": [{"name": "main", "count": 1,
                       "template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}]}}
        review = rgtest.admission_review(wl)
        _, body = self.rg.review("/validate", review)
        self.assertTrue(any("team-q" in w for w in body["response"].get("warnings", [])), body)
        lq = {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "LocalQueue",
              "metadata": {"name": "team-q", "namespace": "default"},
              "spec": {"clusterQueue": "cq"}}
        self.assertEqual(self.double.request("POST", LOCALQUEUES, lq)[0], 201)

        def no_warning():
            _, b = self.rg.review("/validate", review)
            return not any("team-q" in w for w in b["response"].get("warnings", []))
        self.assertTrue(wait_for(no_warning), "the new LocalQueue never reached the cache")

    def test_caches_survive_dropped_watches_and_compaction(self):
        self.assertTrue(wait_for(lambda: self.rg.request("GET", "/readyz")[0] == 200))
        self.double.request("POST", "/_double/faults", {"dropWatchesNow": True})
        for i in range(5):
            lq = {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "LocalQueue",
                  "metadata": {"name": "drop-%d" % i, "namespace": "default"},
                  "spec": {"clusterQueue": "cq"}}
            self.assertEqual(self.double.request("POST", LOCALQUEUES, lq)[0], 201)
        self.double.request("POST", "/_double/faults", {"compact": True})
        self.double.request("POST", "/_double/faults", {"dropWatchesNow": True})
        _, listing = self.double.request("GET", LOCALQUEUES)
        want = len(listing["items"])

        def converged():
            text = self.rg.request("GET", "/metrics")[2].decode()
            m = re.search(r'raygate_cache_objects\{kind="LocalQueue"\} (\d+)', text)
            return m and int(m.group(1)) == want
        self.assertTrue(wait_for(converged, 30), self.rg.logs()[-3000:])


class FailoverTest(unittest.TestCase):
    def test_one_leader_and_failover_after_kill_9(self):
        double = rgtest.KubeDouble().start()
        replicas = []
        try:
            for ident in ("rg-a", "rg-b"):
                rg = rgtest.Raygate()
                rg.args += ["--kubeconfig", double.kubeconfig, "--config", config(rg, ident)]
                replicas.append(rg.start())
            leaders = wait_for(lambda: [r for r in replicas
                                        if metric(r, "raygate_leader") == 1.0], 15)
            self.assertEqual(len(leaders), 1)
            for _ in range(10):  # stays exactly one
                self.assertEqual(sum(metric(r, "raygate_leader") == 1.0 for r in replicas), 1)
                time.sleep(0.2)
            leader = leaders[0]
            other = replicas[1 - replicas.index(leader)]
            leader.proc.send_signal(signal.SIGKILL)
            leader.proc.wait()
            killed_at = time.time()
            self.assertTrue(wait_for(lambda: metric(other, "raygate_leader") == 1.0, 15))
            took = time.time() - killed_at
            print("failover took %.2f s (lease 3 s, retry 1 s)" % took)
            # The survivor must wait out the dead leader's lease (3 s from its last
            # renewal), then notices within one retry period (1 s).
            self.assertLess(took, 3 + 1 + 1.5, "failover must come within the lease duration "
                            "plus one retry period")
            # From the double's write log: the survivor's first Lease write came
            # only after the dead leader's term (last renewal + 3 s) had run out.
            lease_writes = [w for w in double.writes()
                            if w["path"].startswith(LEASE.rsplit("/", 1)[0])
                            and 200 <= w["code"] < 300]
            dead = [w for w in lease_writes if w.get("holderIdentity") != other_identity(other)]
            alive = [w for w in lease_writes if w.get("holderIdentity") == other_identity(other)]
            self.assertTrue(dead and alive)
            self.assertGreaterEqual(alive[0]["time"] - dead[-1]["time"], 3.0 - 0.05)
            self.assertEqual(other.stop(), 0)
        finally:
            for r in replicas:
                r.stop()
                r.cleanup()
            double.stop()


def other_identity(rg):
    with open(rg.args[rg.args.index("--config") + 1]) as f:
        return re.search(r"identity: (\S+)", f.read()).group(1)


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""manifests/deploy applied to the API-server double with kubectl, as a user would, and raygate
run as that deployment's ServiceAccount:

- the webhooks are registered by the MutatingWebhookConfiguration / ValidatingWebhookConfiguration
  objects of manifests/deploy (no --mutating-webhook flags), reached through the Service;
- raygate's leader writes their caBundle and points the Kueue CRDs' conversion at itself;
- the seed overlay applies as is, converts through raygate and goes through admission;
- RBAC is proven: every request raygate made was allowed by the Roles of manifests/deploy, every
  rule of those Roles was used (or is listed below with the path that uses it), and a rule taken
  away shows up as a denied request at once.
"""
import base64
import json
import os
import subprocess
import tempfile
import time
import unittest

import rgtest

SA = "system:serviceaccount:raygate-system:raygate"
SA_TOKEN = "raygate-sa-token"
SCHED_SA = "system:serviceaccount:raygate-system:raygate-scheduler"
SCHED_TOKEN = "raygate-scheduler-sa-token"
ADMIN = "kubedouble-admin-token=kubedouble-admin,system:masters"
DEPLOY = os.path.join(rgtest.SRC, "manifests/deploy")
SEED = os.path.join(rgtest.SRC, "manifests/overlays/seed")
KUEUE = "/apis/kueue.x-k8s.io/v1beta2"
RBAC = "/apis/rbac.authorization.k8s.io/v1"

# Rules of manifests/deploy this run does not reach, each with the path that needs it. Anything
# else granted and unused fails test_3.
NOT_EXERCISED = {
    ("", "events", "patch"): "an Event repeated within its series window (core/v1 fallback)",
    ("events.k8s.io", "events", "patch"): "an Event repeated within its series window",
    ("", "events", "create"): "clusters without events.k8s.io/v1 (the recorder falls back to core/v1)",
    ("kueue.x-k8s.io", "workloads", "delete"): "a Workload whose owner is gone; the garbage "
                                               "collector often deletes it first (ownerReference)",
}


wait_for = rgtest.wait_for
condition = rgtest.condition


def deploy(cls, crds=None):
    """manifests/deploy applied with kubectl to a fresh double holding crds (raygate's own by
    default), Secret raygate-tls created as docs/install.md says, and raygate started as the
    deployment runs it (its raygate.yaml, the ServiceAccount's token). Sets cls.rg, cls.double,
    cls.kc (admin kubeconfig), cls.cache, cls.ca, cls.bundle."""
    cls.rg = rgtest.Raygate()
    tmp = cls.rg.tmp
    cls.ca, crt, key = rgtest.make_certs(os.path.join(tmp, "certs"))
    with open(cls.ca, "rb") as f:
        cls.bundle = base64.b64encode(f.read()).decode()
    cls.double = rgtest.KubeDouble("--token", ADMIN, "--token", "%s=%s" % (SA_TOKEN, SA),
                                   "--token", "%s=%s" % (SCHED_TOKEN, SCHED_SA),
                                   crds=crds, raygate_port=cls.rg.port).start()
    cls.kc = cls.double.kubeconfig
    cls.cache = os.path.join(tmp, "kubectl-cache")
    rendered = rgtest.kubectl(cls.kc, "kustomize", DEPLOY).stdout
    rgtest.kubectl(cls.kc, "apply", "-f", "-", stdin=rendered, cache_dir=cls.cache)
    rgtest.kubectl(cls.kc, "-n", "raygate-system", "create", "secret", "generic", "raygate-tls",
                   "--from-file=tls.crt=" + crt, "--from-file=tls.key=" + key,
                   "--from-file=ca.crt=" + cls.ca, cache_dir=cls.cache)
    with open(os.path.join(DEPLOY, "raygate.yaml")) as f:
        cfg = f.read().replace("/etc/raygate/tls/", os.path.dirname(cls.ca) + "/")
    cfg_path = os.path.join(tmp, "raygate.yaml")
    with open(cfg_path, "w") as f:
        f.write(cfg)
    sa_kc = rgtest.write_token_kubeconfig(os.path.join(tmp, "sa.kubeconfig"), cls.double, SA_TOKEN)
    cls.rg.args += ["--config", cfg_path, "--kubeconfig", sa_kc]
    cls.rg.ca_file = cls.ca
    cls.rg.start()


def undeploy(cls):
    rc = cls.rg.stop()
    logs = cls.rg.logs()
    cls.double.stop()
    cls.rg.cleanup()
    assert rc == 0, (rc, logs[-3000:])


@unittest.skipUnless(rgtest.kubectl_path(), "kubectl is not installed (scripts/deps.sh installs it)")
class DeployTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        deploy(cls)

    @classmethod
    def tearDownClass(cls):
        undeploy(cls)

    @classmethod
    def kubectl(cls, *args, **kw):
        return rgtest.kubectl(cls.kc, *args, cache_dir=cls.cache, **kw)

    def get(self, path):
        status, obj = self.double.request("GET", path)
        return obj if status == 200 else None

    def wait_injected(self):
        def done():
            m = self.get("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/"
                         "raygate-mutating")
            v = self.get("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/"
                         "raygate-validating")
            hooks = (m or {}).get("webhooks", []) + (v or {}).get("webhooks", [])
            configs = [h["clientConfig"] for h in hooks]
            for plural in ("clusterqueues", "localqueues", "workloads", "resourceflavors"):
                crd = self.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                               "%s.kueue.x-k8s.io" % plural)
                configs.append(crd["spec"]["conversion"]["webhook"]["clientConfig"])
            return hooks and all(c.get("caBundle") == self.bundle for c in configs)
        self.assertTrue(wait_for(done), self.rg.logs()[-3000:])

    def test_1_leader_injects_the_ca_and_takes_the_conversion(self):
        self.wait_injected()
        for plural in ("clusterqueues", "localqueues", "workloads", "resourceflavors"):
            crd = self.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                           "%s.kueue.x-k8s.io" % plural)
            hook = crd["spec"]["conversion"]["webhook"]
            self.assertEqual(hook["clientConfig"]["caBundle"], self.bundle, plural)
            self.assertEqual(hook["clientConfig"]["service"],
                             {"namespace": "raygate-system", "name": "raygate", "path": "/convert",
                              "port": 443})
        # A re-apply of the manifests (an upgrade) keeps the injected caBundle: it is not part of
        # the applied configuration.
        self.kubectl("apply", "-f", "-", stdin=self.kubectl("kustomize", DEPLOY).stdout)
        self.wait_injected()
        text = self.rg.request("GET", "/metrics")[2].decode()
        self.assertIn("raygate_cainject_writes_total 6", text)

    def test_2_seed_overlay_applies_converts_and_is_admitted(self):
        self.wait_injected()
        # The seed's ClusterQueues name the flavor `default-flavor`: a cluster needs it.
        self.kubectl("apply", "-f", "-", stdin=json.dumps({
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ResourceFlavor",
            "metadata": {"name": "default-flavor"}}))
        r = self.kubectl("apply", "-k", SEED)
        self.assertIn("localqueue.kueue.x-k8s.io/ray-queue created", r.stdout)
        self.assertIn("workloadpriorityclass.kueue.x-k8s.io/ai-high-priority created", r.stdout)
        # Written in v1beta1, stored in v1beta2 through raygate's /convert, shorthand rewritten.
        cq = self.get(KUEUE + "/clusterqueues/ai-cluster-queue")
        self.assertEqual(cq["spec"]["resourceGroups"][0]["flavors"][0]["name"], "default-flavor")
        out = json.loads(self.kubectl("get", "clusterqueues.v1beta1.kueue.x-k8s.io",
                                      "ai-cluster-queue", "-o", "json").stdout)
        self.assertEqual(out["apiVersion"], "kueue.x-k8s.io/v1beta1")
        # The queued RayCluster was suspended by the webhook object and got its Workload.
        rc = self.get("/apis/ray.io/v1/namespaces/default/rayclusters/ai-training-cluster")
        self.assertIn(rc["metadata"]["annotations"]["raygate.dev/admission"], ("Pending", "Admitted"))

        def owned_workload():
            lst = self.get(KUEUE + "/namespaces/default/workloads") or {"items": []}
            return [w for w in lst["items"] for o in w["metadata"].get("ownerReferences", [])
                    if o["name"] == "ai-training-cluster"]
        wls = wait_for(owned_workload)
        self.assertTrue(wls, self.rg.logs()[-3000:])
        # Every Workload ends up with a decision: admitted, or pending with Kueue's reason.
        def decided():
            lst = self.get(KUEUE + "/namespaces/default/workloads")["items"]
            return lst and all(condition(w, "QuotaReserved") for w in lst)
        self.assertTrue(wait_for(decided), json.dumps(
            self.get(KUEUE + "/namespaces/default/workloads"), indent=1)[:3000])
        admitted = [w["metadata"]["name"] for w in
                    self.get(KUEUE + "/namespaces/default/workloads")["items"]
                    if (condition(w, "Admitted") or {}).get("status") == "True"]
        self.assertTrue(admitted)
        # LocalQueue status is kept (kubectl's printer columns read it).
        self.assertTrue(wait_for(lambda: "pendingWorkloads" in (self.get(
            KUEUE + "/namespaces/default/localqueues/ray-queue") or {}).get("status", {})))
        # A queued RayJob is admitted and started (its owner patched), though the answer to its
        # admission write is lost (committed, then 504): raygate reads the Workload back.
        self.double.request("POST", "/_double/faults", {"failNext": {
            "afterCommit": True, "code": 504, "count": 1, "verbs": ["patch"],
            "resource": "workloads.kueue.x-k8s.io", "subresource": "status"}})
        self.kubectl("apply", "-f", "-", stdin=json.dumps(rayjob("seed-job", "ray-queue", "1")))
        self.assertTrue(wait_for(lambda: (self.get(
            "/apis/ray.io/v1/namespaces/default/rayjobs/seed-job") or {}).get("spec", {}).get(
            "suspend") is False), self.rg.logs()[-3000:])
        # A queued job too big for its queue waits; its spec changed while suspended, its
        # Workload follows (a patch).
        self.kubectl("apply", "-f", "-", stdin=json.dumps(rayjob("too-big", "ray-queue", "1000")))
        big = wait_for(lambda: self.workload_of("too-big"))
        self.assertTrue(big)
        self.kubectl("patch", "rayjob", "too-big", "--type", "merge", "-p", json.dumps(
            {"spec": {"rayClusterSpec": {"headGroupSpec": {"template": {"spec": {"containers": [
                {"name": "ray", "image": "rayproject/ray:2.9.0",
                 "resources": {"requests": {"cpu": "999", "memory": "1Gi"}}}]}}}}}}))
        self.assertTrue(wait_for(lambda: (self.workload_of("too-big") or big)["metadata"][
            "resourceVersion"] != big["metadata"]["resourceVersion"]))
        # Deleting a queued RayCluster lets its Workload go.
        name = wls[0]["metadata"]["name"]
        self.kubectl("delete", "raycluster", "ai-training-cluster")
        self.assertTrue(wait_for(lambda: self.get(KUEUE + "/namespaces/default/workloads/" + name)
                                 is None))
        # Objects Kueue left with its resource-in-use finalizer are released by raygate once
        # deleted and unused (a cluster migrating from Kueue has them on every queue and flavor).
        for kind, plural, spec in (("ResourceFlavor", "resourceflavors", {}),
                                   ("ClusterQueue", "clusterqueues", {"namespaceSelector": {}})):
            obj = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": kind,
                   "metadata": {"name": "from-kueue",
                                "finalizers": ["kueue.x-k8s.io/resource-in-use"]},
                   "spec": spec}
            self.kubectl("apply", "-f", "-", stdin=json.dumps(obj))
            self.kubectl("delete", plural + ".kueue.x-k8s.io", "from-kueue", "--wait=false")
            self.assertTrue(wait_for(lambda: self.get("%s/%s/from-kueue" % (KUEUE, plural)) is None),
                            (kind, self.get("%s/%s/from-kueue" % (KUEUE, plural))))

    def workload_of(self, owner):
        lst = self.get(KUEUE + "/namespaces/default/workloads") or {"items": []}
        for w in lst["items"]:
            if any(o["name"] == owner for o in w["metadata"].get("ownerReferences", [])):
                return w
        return None

    def access(self):
        return self.double.request("GET", "/_double/access?distinct=1&user=" + SA)[1]["items"]

    def granted(self):
        """(group, resource, verb) of every rule bound to the ServiceAccount in manifests/deploy."""
        out = set()
        roles = [self.get(RBAC + "/clusterroles/raygate-reader"),
                 self.get(RBAC + "/clusterroles/raygate"),
                 self.get(RBAC + "/namespaces/raygate-system/roles/raygate")]
        for role in roles:
            for rule in role["rules"]:
                for g in rule["apiGroups"]:
                    for res in rule["resources"]:
                        for v in rule["verbs"]:
                            self.assertNotIn("*", (g, res, v), "wildcards in %s" % rule)
                            out.add((g, res, v))
        return out

    def test_3_rbac_every_request_allowed_every_rule_used(self):
        self.wait_injected()
        rows = self.access()
        denied = [r for r in rows if not r["allowed"]]
        self.assertEqual(denied, [], "raygate needs a permission manifests/deploy does not grant")
        used = {(r["group"], r["resource"] + ("/" + r["subresource"] if r["subresource"] else ""),
                 r["verb"]) for r in rows if "path" not in r}
        granted = self.granted()
        unused = sorted(granted - used - set(NOT_EXERCISED))
        self.assertEqual(unused, [], "granted but never used: remove them or say why in "
                                     "NOT_EXERCISED")
        stale = sorted(k for k in NOT_EXERCISED if k not in granted)
        self.assertEqual(stale, [], "NOT_EXERCISED lists rules that are no longer granted")
        print("\nraygate's API calls as %s:" % SA)
        for r in rows:
            print("  %-6s %-22s %-30s %-16s x%d" % (r["verb"], r.get("group") or "core",
                                                    r.get("resource", r.get("path")) +
                                                    ("/" + r["subresource"] if r.get("subresource")
                                                     else ""),
                                                    r.get("namespace") or "*", r["count"]))

    def test_4_a_missing_permission_is_a_denied_request(self):
        """The proof's other half: with one rule gone, raygate's next write of that kind is
        refused and shows up in the access log (and test_3 would fail)."""
        self.wait_injected()
        role = self.get(RBAC + "/clusterroles/raygate")
        narrowed = json.loads(json.dumps(role))
        for rule in narrowed["rules"]:
            if "localqueues/status" in rule["resources"]:
                rule["resources"].remove("localqueues/status")
        self.assertEqual(self.double.request("PUT", RBAC + "/clusterroles/raygate", narrowed)[0], 200)
        self.addCleanup(self.kubectl, "apply", "-f", "-",
                        stdin=self.kubectl("kustomize", DEPLOY).stdout)
        since = self.double.request("GET", "/_double/access")[1]["items"][-1]["seq"]
        self.kubectl("apply", "-f", "-", stdin=json.dumps({
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
            "metadata": {"name": "denied-q", "namespace": "default"},
            "spec": {"clusterQueue": "ray-cluster-queue"}}))

        def denied():
            items = self.double.request("GET", "/_double/access?since=%d&user=%s" % (since, SA))[1]
            return [e for e in items["items"] if not e["allowed"]
                    and e.get("resource") == "localqueues" and e.get("subresource") == "status"]
        found = wait_for(denied, 15)
        self.assertTrue(found, self.rg.logs()[-2000:])
        self.assertEqual((found[0]["verb"], found[0]["namespace"]), ("patch", "default"))
        # ... and raygate says so in its log, naming the object (kube-apiserver's 403 wording).
        self.assertTrue(wait_for(lambda: 'cannot patch resource \\"localqueues/status\\"' in
                                 self.rg.logs() or 'cannot patch resource "localqueues/status"' in
                                 self.rg.logs(), 10), self.rg.logs()[-2000:])


    def test_5_dashboard_uses_metrics_raygate_exports(self):
        """Every metric the Grafana dashboard queries is one a connected raygate exports."""
        with open(os.path.join(rgtest.SRC, "manifests/monitoring/raygate-dashboard.json")) as f:
            dash = json.load(f)
        exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
        exprs += [v["query"]["query"] for v in dash["templating"]["list"]
                  if isinstance(v.get("query"), dict)]
        import re
        used = {m for e in exprs for m in re.findall(r"\b((?:kueue|raygate)_[a-z_]+)\b", e)}
        text = self.rg.request("GET", "/metrics")[2].decode()
        exported = set(re.findall(r"^# TYPE (\S+) histogram", text, re.M))
        exported = {m + sfx for m in exported for sfx in ("_bucket", "_sum", "_count")}
        exported |= set(re.findall(r"^# TYPE (\S+) ", text, re.M))
        self.assertTrue(used)
        self.assertEqual(sorted(used - exported), [], "the dashboard queries metrics raygate "
                                                      "does not export")


    def test_6_extender_sidecar_as_the_scheduler_serviceaccount(self):
        """The raygate-scheduler pod's sidecar: its raygate-extender.yaml, the raygate-scheduler
        ServiceAccount; it caches, binds a pod kube-scheduler chose, never leads, and every
        request it makes is allowed by raygate-reader + raygate-extender."""
        side = rgtest.Raygate()
        self.addCleanup(side.cleanup)
        with open(os.path.join(DEPLOY, "scheduler/raygate-extender.yaml")) as f:
            cfg = f.read().replace("/etc/raygate/tls/", os.path.dirname(self.ca) + "/")
        cfg_path = os.path.join(side.tmp, "raygate-extender.yaml")
        with open(cfg_path, "w") as f:
            f.write(cfg)
        kc = rgtest.write_token_kubeconfig(os.path.join(side.tmp, "kc"), self.double, SCHED_TOKEN)
        side.args += ["--config", cfg_path, "--kubeconfig", kc]
        side.ca_file = self.ca
        side.start()
        try:
            # The manifests' probe of the loopback-only sidecar.
            probe = [rgtest.BIN, "status", "--server", "https://127.0.0.1:%d" % side.port,
                     "--ca", self.ca, "--probe", "readyz"]
            self.assertTrue(wait_for(lambda: subprocess.run(probe).returncode == 0))
            node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "gpu-1"},
                    "status": {"allocatable": {"cpu": "8", "memory": "64Gi", "pods": "110",
                                               "nvidia.com/gpu": "4"},
                               "conditions": [{"type": "Ready", "status": "True"}]}}
            self.assertEqual(self.double.request("POST", "/api/v1/nodes", node)[0], 201)
            req = {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "1"}
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "trainer", "namespace": "default"},
                   "spec": {"schedulerName": "raygate-scheduler", "containers": [
                       {"name": "c", "image": "x", "resources": {"requests": req, "limits": req}}]}}
            status, created = self.double.request("POST", "/api/v1/namespaces/default/pods", pod)
            self.assertEqual(status, 201, created)

            def call(verb, args):
                st, _, data = side.request("POST", "/scheduler/" + verb, json.dumps(args).encode())
                self.assertEqual(st, 200, data)
                return json.loads(data)
            kept = wait_for(lambda: call("filter", {"Pod": created, "NodeNames": ["gpu-1"]})[
                "NodeNames"] == ["gpu-1"])
            self.assertTrue(kept, side.logs()[-2000:])
            res = call("bind", {"PodName": "trainer", "PodNamespace": "default",
                                "PodUID": created["metadata"]["uid"], "Node": "gpu-1"})
            self.assertEqual(res, {"Error": ""})
            rows = self.double.request("GET", "/_double/access?distinct=1&user=" + SCHED_SA)[1][
                "items"]
        finally:
            self.assertEqual(side.stop(), 0)
        self.assertEqual([r for r in rows if not r["allowed"]], [])
        used = {(r["group"], r["resource"] + ("/" + r["subresource"] if r["subresource"] else ""),
                 r["verb"]) for r in rows if "path" not in r}
        self.assertIn(("", "pods/binding", "create"), used)
        self.assertNotIn("leases", {r.get("resource") for r in rows})  # it never leads
        granted = set()
        for name in ("raygate-reader", "raygate-extender"):
            for rule in self.get(RBAC + "/clusterroles/" + name)["rules"]:
                granted |= {(g, res, v) for g in rule["apiGroups"] for res in rule["resources"]
                            for v in rule["verbs"]}
        unused = granted - used - {("kueue.x-k8s.io", "workloads", "patch")}
        self.assertEqual(sorted(unused), [], "granted to the sidecar but never used (workloads "
                                             "patch: a re-planned member of a recorded plan)")


class OverKueueCRDsTest(unittest.TestCase):
    """A cluster that ran Kueue: its CRDs stay (conversion through kueue-system's webhook
    Service, upstream-only fields, no raygate extension); raygate's manifests are applied over
    them and raygate takes over their conversion, changing nothing else."""

    @classmethod
    def setUpClass(cls):
        import shutil
        import subprocess
        import sys
        cls.crds = tempfile.mkdtemp(prefix="rg-kueue-crds-")
        subprocess.run([sys.executable, os.path.join(rgtest.SRC, "tests/apiserver/gen_crds.py"),
                        "--upstream", "--out", cls.crds], check=True)
        for ray in ("rayclusters.ray.io.yaml", "rayjobs.ray.io.yaml"):  # KubeRay's, as installed
            shutil.copy(os.path.join(rgtest.SRC, "manifests/crds", ray), cls.crds)
        deploy(cls, crds=cls.crds)

    @classmethod
    def tearDownClass(cls):
        import shutil
        undeploy(cls)
        shutil.rmtree(cls.crds, ignore_errors=True)

    def get(self, path):
        status, obj = self.double.request("GET", path)
        return obj if status == 200 else None

    def test_conversion_moves_to_raygate_and_nothing_else_changes(self):
        crd_path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusterqueues.kueue.x-k8s.io"
        import sys
        sys.path.insert(0, os.path.join(rgtest.SRC, "tests/apiserver"))
        import kyaml
        with open(os.path.join(self.crds, "clusterqueues.kueue.x-k8s.io.yaml")) as f:
            before = kyaml.load(f.read())  # as installed, before raygate started
        self.assertEqual(before["spec"]["conversion"]["webhook"]["clientConfig"]["service"]["name"],
                         "kueue-webhook-service")
        # Before raygate took over, v1beta1 could not be served (Kueue's webhook is gone).
        def taken():
            crd = self.get(crd_path)
            cc = crd["spec"]["conversion"]["webhook"]["clientConfig"]
            return cc.get("caBundle") == self.bundle and crd
        after = wait_for(taken)
        self.assertTrue(after, self.rg.logs()[-3000:])
        self.assertEqual(after["spec"]["conversion"]["webhook"]["clientConfig"]["service"],
                         {"namespace": "raygate-system", "name": "raygate", "path": "/convert",
                          "port": 443})
        for key in ("labels", "annotations"):
            self.assertEqual(after["metadata"][key], before["metadata"][key])
        self.assertEqual([v["name"] for v in after["spec"]["versions"]],
                         [v["name"] for v in before["spec"]["versions"]])
        self.assertEqual(after["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"][
            "spec"]["properties"]["resourceGroups"]["items"]["required"],
            ["coveredResources", "flavors"])  # Kueue's schema, not raygate's
        # Kueue's own fields survive and convert: written in v1beta2, read back in v1beta1.
        cq = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue",
              "metadata": {"name": "team-a"},
              "spec": {"cohortName": "org", "namespaceSelector": {},
                       "admissionScope": {"admissionMode": "UsageBasedAdmissionFairSharing"},
                       "resourceGroups": [{"coveredResources": ["cpu"], "flavors": [
                           {"name": "default-flavor", "resources": [
                               {"name": "cpu", "nominalQuota": 8}]}]}]}}
        status, out = self.double.request("POST", KUEUE + "/clusterqueues", cq)
        self.assertEqual(status, 201, out)
        v1 = json.loads(rgtest.kubectl(self.kc, "get", "clusterqueues.v1beta1.kueue.x-k8s.io",
                                       "team-a", "-o", "json", cache_dir=self.cache).stdout)
        self.assertEqual(v1["spec"]["cohort"], "org")
        self.assertEqual(v1["spec"]["admissionScope"],
                         {"admissionMode": "UsageBasedAdmissionFairSharing"})
        # The seed's shorthand needs raygate's CRDs: Kueue's v1beta1 schema prunes it before any
        # webhook sees it, so the API server refuses the ClusterQueue (docs/migration.md).
        r = rgtest.kubectl(self.kc, "apply", "-f", os.path.join(
            rgtest.SRC, "manifests/examples/seed/02-clusterqueue-ai-cluster-queue.yaml"),
            check=False, cache_dir=self.cache)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("coveredResources", r.stdout + r.stderr)


def rayjob(name, queue, cpu):
    template = {"spec": {"containers": [{"name": "ray", "image": "rayproject/ray:2.9.0",
                                         "resources": {"requests": {"cpu": cpu,
                                                                    "memory": "1Gi"}}}]}}
    return {"apiVersion": "ray.io/v1", "kind": "RayJob",
            "metadata": {"name": name, "namespace": "default",
                         "labels": {"kueue.x-k8s.io/queue-name": queue}},
            "spec": {"entrypoint": "python train.py", "shutdownAfterJobFinishes": True,
                     "rayClusterSpec": {"headGroupSpec": {"rayStartParams": {},
                                                          "template": template}}}}


if __name__ == "__main__":
    unittest.main(verbosity=2)

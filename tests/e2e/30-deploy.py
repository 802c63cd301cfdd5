"""manifests/deploy applied to the API-server double with kubectl, as a user would, and raygate
run as that deployment's ServiceAccount:

- the webhooks are registered by the MutatingWebhookConfiguration / ValidatingWebhookConfiguration
  objects of manifests/deploy (no --mutating-webhook flags), reached through the Service;
- raygate's leader writes their caBundle and points the Kueue CRDs' conversion at itself;
- the seed overlay applies as is, converts through raygate and goes through admission;
- RBAC is proven: every request raygate made was allowed by the Roles of manifests/deploy, every
  rule of those Roles was used (or is listed below with the path that uses it), and a rule taken
  away shows up as a denied request at once;
- the extender sidecar runs as raygate-scheduler and is scraped on its metrics-only listener;
- SeedPlacementTest plays the seed through admission, quota and extender placement.
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
# The Kueue CRDs converted through a webhook, as Kueue v0.19 ships them (raygate's leader points
# them at its /convert); ResourceFlavor and WorkloadPriorityClass stay on strategy None.
CONVERTED = ("clusterqueues", "localqueues", "workloads", "cohorts")

# Rules of manifests/deploy this run does not reach, each with the path that needs it. Anything
# else granted and unused fails test_3.
NOT_EXERCISED = {
    ("", "events", "patch"): "an Event repeated within its series window (core/v1 fallback)",
    ("events.k8s.io", "events", "patch"): "an Event repeated within its series window",
    ("", "events", "create"): "clusters without events.k8s.io/v1 (the recorder falls back to core/v1)",
    ("kueue.x-k8s.io", "workloads", "delete"): "a Workload whose owner is gone; the garbage "
                                               "collector often deletes it first (ownerReference)",
    ("kueue.x-k8s.io", "cohorts/status", "patch"): "status.fairSharing, written only with "
                                                   "fairSharing.enable (off here, as in Kueue); "
                                                   "e2e 12 checks the write",
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


def start_sidecar(double, ca):
    """The raygate-scheduler pod's raygate: its raygate-extender.yaml (TLS paths, and its
    metrics-only listener on a free loopback port), the raygate-scheduler ServiceAccount's token.
    Returns (raygate, metrics port); the caller stops and cleans it up."""
    side = rgtest.Raygate()
    mport = rgtest.free_port()
    with open(os.path.join(DEPLOY, "scheduler/raygate-extender.yaml")) as f:
        cfg = f.read()
    assert 'metricsListen: ":9444"' in cfg, "raygate-extender.yaml has no metrics listener"
    cfg = cfg.replace("/etc/raygate/tls/", os.path.dirname(ca) + "/").replace(
        'metricsListen: ":9444"', 'metricsListen: "127.0.0.1:%d"' % mport)
    cfg_path = os.path.join(side.tmp, "raygate-extender.yaml")
    with open(cfg_path, "w") as f:
        f.write(cfg)
    kc = rgtest.write_token_kubeconfig(os.path.join(side.tmp, "kc"), double, SCHED_TOKEN)
    side.args += ["--config", cfg_path, "--kubeconfig", kc]
    side.ca_file = ca
    side.start()
    return side, mport


def metrics_get(side, port, method, path):
    """(status, body text) of a request to the sidecar's metrics-only listener."""
    import http.client
    c = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=side.ssl_context())
    try:
        c.request(method, path, body=b"{}" if method == "POST" else None)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def workload_owned_by(get, owner):
    """The Workload in namespace default whose owner is named owner, or None."""
    lst = get(KUEUE + "/namespaces/default/workloads") or {"items": []}
    for w in lst["items"]:
        if any(o["name"] == owner for o in w["metadata"].get("ownerReferences", [])):
            return w
    return None


def sched_rules(get):
    """(group, resource, verb) granted to the raygate-scheduler sidecar by manifests/deploy."""
    granted = set()
    for name in ("raygate-reader", "raygate-extender"):
        for rule in get(RBAC + "/clusterroles/" + name)["rules"]:
            granted |= {(g, res, v) for g in rule["apiGroups"] for res in rule["resources"]
                        for v in rule["verbs"]}
    return granted


def used_rules(rows):
    return {(r["group"], r["resource"] + ("/" + r["subresource"] if r["subresource"] else ""),
             r["verb"]) for r in rows if "path" not in r}


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
            for plural in CONVERTED:
                crd = self.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                               "%s.kueue.x-k8s.io" % plural)
                configs.append(crd["spec"]["conversion"]["webhook"]["clientConfig"])
            return hooks and all(c.get("caBundle") == self.bundle for c in configs)
        self.assertTrue(wait_for(done), self.rg.logs()[-3000:])

    def test_1_leader_injects_the_ca_and_takes_the_conversion(self):
        self.wait_injected()
        for plural in CONVERTED:
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
        # A Cohort, too, converts through raygate (Kueue ships its CRD with a conversion
        # webhook): written in v1beta1, stored in v1beta2, read back in v1beta1.
        converted = self.converted()
        self.kubectl("apply", "-f", "-", stdin=json.dumps({
            "apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "Cohort",
            "metadata": {"name": "seed-org"},
            "spec": {"fairSharing": {"weight": "2"}}}))
        self.assertEqual(self.get(KUEUE + "/cohorts/seed-org")["spec"],
                         {"fairSharing": {"weight": "2"}})
        out = json.loads(self.kubectl("get", "cohorts.v1beta1.kueue.x-k8s.io", "seed-org",
                                      "-o", "json").stdout)
        self.assertEqual((out["apiVersion"], out["spec"]),
                         ("kueue.x-k8s.io/v1beta1", {"fairSharing": {"weight": "2"}}))
        self.assertGreater(self.converted(), converted)
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

    def converted(self):
        """ConversionReviews raygate has answered."""
        text = self.rg.request("GET", "/metrics")[2].decode()
        import re
        m = re.search(r'^raygate_http_requests_total\{endpoint="convert",code="200"\} (\d+)$',
                      text, re.M)
        return int(m.group(1)) if m else 0

    def workload_of(self, owner):
        return workload_owned_by(self.get, owner)

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
        ServiceAccount; it caches, binds a pod kube-scheduler chose, never leads, every request
        it makes is allowed by raygate-reader + raygate-extender, and Prometheus scrapes it on
        its metrics-only listener (which answers nothing else)."""
        side, mport = start_sidecar(self.double, self.ca)
        self.addCleanup(side.cleanup)
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
            # The metrics-only listener: the extender's own metrics, as the ServiceMonitor
            # raygate-scheduler scrapes them; nothing else is served there.
            status, text = metrics_get(side, mport, "GET", "/metrics")
            self.assertEqual(status, 200)
            self.assertIn('raygate_extender_duration_seconds_count{verb="bind"} 1', text)
            self.assertIn('raygate_extender_duration_seconds_count{verb="filter"}', text)
            self.assertEqual(metrics_get(side, mport, "GET", "/healthz")[0], 200)
            for method, path in (("POST", "/scheduler/bind"), ("POST", "/scheduler/filter"),
                                 ("GET", "/status"), ("GET", "/readyz"), ("POST", "/mutate")):
                self.assertEqual(metrics_get(side, mport, method, path)[0], 404, path)
        finally:
            self.assertEqual(side.stop(), 0)
        self.assertEqual([r for r in rows if not r["allowed"]], [])
        used = used_rules(rows)
        self.assertIn(("", "pods/binding", "create"), used)
        self.assertNotIn("leases", {r.get("resource") for r in rows})  # it never leads
        unused = sched_rules(self.get) - used - {("kueue.x-k8s.io", "workloads", "patch")}
        self.assertEqual(sorted(unused), [], "granted to the sidecar but never used (workloads "
                                             "patch: a re-planned member of a recorded plan, "
                                             "SeedPlacementTest)")


@unittest.skipUnless(rgtest.kubectl_path(), "kubectl is not installed (scripts/deps.sh installs it)")
class SeedPlacementTest(unittest.TestCase):
    """The seed scenario end to end through admission, quota and extender placement, every
    component with its deployed identity: manifests/deploy applied with kubectl, raygate as the
    raygate ServiceAccount, its extender sidecar as raygate-scheduler. The seed's queued
    RayCluster is suspended, admitted by quota onto a plan (raygate.dev/placement), unsuspended;
    the test plays KubeRay (the pods, from the RayCluster's templates) and kube-scheduler (filter,
    prioritize when more than one node is left, bind, as kube-scheduler calls an extender with
    nodeCacheCapable), and the pods land on the planned nodes. One member's planned node is then
    refused by kube-scheduler's own plugins: the sidecar re-plans it and writes the plan back
    to the Workload (patch workloads as raygate-scheduler)."""

    NODES = ["gpu-node-1", "gpu-node-2", "gpu-node-3", "gpu-node-4"]

    @classmethod
    def setUpClass(cls):
        deploy(cls)
        cls.side, cls.mport = start_sidecar(cls.double, cls.ca)
        # The cluster's GPU nodes, registered before the seed arrives: the admitter plans
        # gangs when Nodes exist (admitter.placement auto).
        for name in cls.NODES:
            status, out = cls.double.request("POST", "/api/v1/nodes", gpu_node(name))
            assert status == 201, out

    @classmethod
    def tearDownClass(cls):
        rc = cls.side.stop()
        logs = cls.side.logs()
        cls.side.cleanup()
        undeploy(cls)
        assert rc == 0, logs[-3000:]

    def get(self, path):
        status, obj = self.double.request("GET", path)
        return obj if status == 200 else None

    def kubectl(self, *args, **kw):
        return rgtest.kubectl(self.kc, *args, cache_dir=self.cache, **kw)

    def cached(self, rg, kind):
        import re
        text = rg.request("GET", "/metrics")[2].decode()
        m = re.search(r'^raygate_cache_objects\{kind="%s"\} (\d+)$' % kind, text, re.M)
        return int(m.group(1)) if m else 0

    def call(self, verb, args):
        status, _, data = self.side.request("POST", "/scheduler/" + verb, json.dumps(args).encode())
        self.assertEqual(status, 200, data)
        return json.loads(data)

    def schedule(self, pod, offered):
        """kube-scheduler's extender calls for one pod: filter over the nodes its own plugins
        left (names only: nodeCacheCapable), prioritize when more than one survived, then bind
        to the best. Returns the node, or None with the reasons."""
        res = self.call("filter", {"Pod": pod, "Nodes": None, "NodeNames": offered})
        self.assertEqual(res["Error"], "")
        kept = res["NodeNames"] or []
        if not kept:
            return None, dict(res.get("FailedNodes") or {}, **(res.get("FailedAndUnresolvableNodes")
                                                               or {}))
        host = kept[0]
        if len(kept) > 1:
            scores = self.call("prioritize", {"Pod": pod, "Nodes": None, "NodeNames": kept})
            host = max(scores, key=lambda s: s["Score"])["Host"]
        res = self.call("bind", {"PodName": pod["metadata"]["name"],
                                 "PodNamespace": pod["metadata"]["namespace"],
                                 "PodUID": pod["metadata"]["uid"], "Node": host})
        self.assertEqual(res, {"Error": ""})
        return host, None

    def test_seed_is_admitted_planned_and_placed_as_planned(self):
        self.assertTrue(wait_for(lambda: self.cached(self.rg, "Node") == len(self.NODES)))
        self.kubectl("apply", "-f", "-", stdin=json.dumps({
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ResourceFlavor",
            "metadata": {"name": "default-flavor"}}))
        # The seed as written, its queued RayCluster's pod templates naming the raygate-scheduler
        # (docs/install.md, "Scheduling Ray pods"): a user's overlay over manifests/overlays/seed.
        overlay = tempfile.mkdtemp(prefix="rg-seed-sched-", dir=self.rg.tmp)
        with open(os.path.join(overlay, "kustomization.yaml"), "w") as f:
            f.write("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                    "bases:\n- %s\npatchesJson6902:\n- target: {group: ray.io, version: v1, "
                    "kind: RayCluster, name: ai-training-cluster}\n  path: scheduler.yaml\n"
                    % os.path.relpath(SEED, overlay))
        with open(os.path.join(overlay, "scheduler.yaml"), "w") as f:
            f.write("- {op: add, path: /spec/headGroupSpec/template/spec/schedulerName, "
                    "value: raygate-scheduler}\n"
                    "- {op: add, path: /spec/workerGroupSpecs/0/template/spec/schedulerName, "
                    "value: raygate-scheduler}\n")
        self.kubectl("apply", "-k", overlay)

        # Admission and quota: suspended by the webhook, admitted onto a plan, unsuspended.
        rc_path = "/apis/ray.io/v1/namespaces/default/rayclusters/ai-training-cluster"

        def admitted():
            w = self.workload_of("ai-training-cluster")
            rc = self.get(rc_path)
            plan = ((w or {}).get("metadata", {}).get("annotations") or {}).get(
                "raygate.dev/placement")
            return (w, rc, plan) if plan and rc and rc["spec"].get("suspend") is False else None
        got = wait_for(admitted, 30)
        self.assertTrue(got, self.rg.logs()[-3000:])
        wl, rc, plan = got
        self.assertEqual(condition(wl, "Admitted")["status"], "True")
        self.assertEqual(rc["metadata"]["annotations"]["raygate.dev/admission"], "Admitted")
        planned = {p["name"]: dict(p["nodes"]) for p in json.loads(plan)["podSets"]}
        self.assertEqual(sorted(planned), ["head", "ray-worker-group"])
        self.assertEqual(sum(planned["ray-worker-group"].values()), 3)
        self.assertTrue(set(n for ps in planned.values() for n in ps) <= set(self.NODES))

        # KubeRay: the unsuspended RayCluster's pods, from its templates.
        pods = kuberay_pods(rc)
        self.assertEqual([p["spec"]["schedulerName"] for p in pods], ["raygate-scheduler"] * 4)
        created = []
        for p in pods:
            status, out = self.double.request("POST", "/api/v1/namespaces/default/pods", p)
            self.assertEqual(status, 201, out)
            created.append(out)
        self.assertTrue(wait_for(lambda: self.cached(self.side, "Pod") >= 4 and
                                 self.cached(self.side, "Workload") >= 1), self.side.logs()[-2000:])

        # kube-scheduler: each member filtered, bound, on its planned node; the last worker's
        # planned node is refused by kube-scheduler's own plugins (a port taken there since,
        # say), so the sidecar moves that member alone.
        left = {ps: dict(nodes) for ps, nodes in planned.items()}
        placed = {}
        *steered, moved = created
        for pod in steered:
            podset = podset_of(pod)
            host, why = self.schedule(pod, self.NODES)
            self.assertIsNotNone(host, why)
            self.assertGreater(left[podset].get(host, 0), 0, (pod["metadata"]["name"], host, planned))
            left[podset][host] -= 1
            placed[pod["metadata"]["name"]] = host
        rest = [n for n, c in left["ray-worker-group"].items() if c > 0]
        self.assertEqual(len(rest), 1, left)
        offered = [n for n in self.NODES if n != rest[0]]
        host, why = self.schedule(moved, offered)
        self.assertIn(host, offered, why)
        placed[moved["metadata"]["name"]] = host
        for name, node in placed.items():
            pod = self.get("/api/v1/namespaces/default/pods/" + name)
            self.assertEqual(pod["spec"]["nodeName"], node, name)
        # The re-planned member's node is written back into the Workload's plan by the sidecar.
        def replanned():
            w = self.workload_of("ai-training-cluster")
            p = json.loads(w["metadata"]["annotations"]["raygate.dev/placement"])
            return {s["name"]: s["nodes"] for s in p["podSets"]}
        want = dict(planned["ray-worker-group"])
        want[rest[0]] -= 1
        want = {n: c for n, c in want.items() if c}
        want[host] = want.get(host, 0) + 1
        self.assertTrue(wait_for(lambda: replanned()["ray-worker-group"] == want),
                        (replanned(), want, self.side.logs()[-2000:]))
        self.assertEqual(replanned()["head"], planned["head"])
        writes = [w for w in self.double.writes() if w.get("user") == SCHED_SA
                  and "/workloads/" in w.get("path", "")]
        self.assertTrue(writes, "the plan write-back is not the sidecar's")
        text = self.side.request("GET", "/metrics")[2].decode()
        self.assertIn('raygate_extender_gang_outcomes_total{outcome="steered"} 3', text)
        self.assertIn('raygate_extender_gang_outcomes_total{outcome="replanned"} 1', text)
        self.assertNotIn('outcome="planned"', text)  # the admitter planned it, not the extender

        # The sidecar's identity: nothing denied, every rule of raygate-reader and
        # raygate-extender used (pods/binding create, and workloads patch for the write-back).
        rows = self.double.request("GET", "/_double/access?distinct=1&user=" + SCHED_SA)[1]["items"]
        self.assertEqual([r for r in rows if not r["allowed"]], [])
        self.assertEqual(sorted(sched_rules(self.get) - used_rules(rows)), [])
        # Prometheus sees the gang outcomes on the metrics-only listener.
        status, text = metrics_get(self.side, self.mport, "GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn('raygate_extender_gang_outcomes_total{outcome="replanned"} 1', text)

    def workload_of(self, owner):
        return workload_owned_by(self.get, owner)


def gpu_node(name):
    alloc = {"cpu": "32", "memory": "128Gi", "pods": "110", "nvidia.com/gpu": "8"}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                  "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}},
            "status": {"allocatable": alloc, "capacity": alloc,
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def kuberay_pods(rc):
    """The pods KubeRay's operator creates for a RayCluster (ray-operator/controllers/ray/common/
    pod.go): the head, then clamp(replicas, min, max) x numOfHosts workers per group, each from
    its template (labels, nodeSelector, tolerations, schedulerName as the admitted templates hold
    them) with KubeRay's labels and the RayCluster as controller owner."""
    name = rc["metadata"]["name"]
    owner = {"apiVersion": "ray.io/v1", "kind": "RayCluster", "name": name,
             "uid": rc["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}

    def pod(pod_name, template, node_type, group):
        meta = template.get("metadata") or {}
        labels = dict(meta.get("labels") or {})
        labels.update({"ray.io/cluster": name, "ray.io/node-type": node_type, "ray.io/group": group,
                       "ray.io/identifier": "%s-%s" % (name, node_type),
                       "ray.io/is-ray-node": "yes", "app.kubernetes.io/name": "kuberay",
                       "app.kubernetes.io/created-by": "kuberay-operator"})
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": pod_name, "namespace": rc["metadata"]["namespace"],
                             "labels": labels, "annotations": dict(meta.get("annotations") or {}),
                             "ownerReferences": [owner]},
                "spec": json.loads(json.dumps(template["spec"]))}
    out = [pod("%s-head-x7k2p" % name, rc["spec"]["headGroupSpec"]["template"], "head", "headgroup")]
    for g in rc["spec"].get("workerGroupSpecs") or []:
        n = max(g.get("minReplicas", 0), min(g.get("replicas", 0), g.get("maxReplicas", 2**31)))
        for i in range(n * g.get("numOfHosts", 1)):
            out.append(pod("%s-%s-worker-%05d" % (name, g["groupName"], i), g["template"], "worker",
                           g["groupName"]))
    return out


def podset_of(pod):
    """The podSet a Ray pod belongs to, as Kueue names a RayCluster's podSets."""
    labels = pod["metadata"]["labels"]
    return "head" if labels["ray.io/node-type"] == "head" else labels["ray.io/group"].lower()


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
        # Kueue's Cohort CRD moves too; ResourceFlavor's has no conversion upstream and keeps none.
        cohorts = wait_for(lambda: (lambda c: c["spec"]["conversion"]["webhook"]["clientConfig"]
                                    .get("caBundle") == self.bundle and c)(self.get(
                                        crd_path.replace("clusterqueues", "cohorts"))))
        self.assertTrue(cohorts)
        self.assertEqual(cohorts["spec"]["conversion"]["webhook"]["clientConfig"]["service"]["name"],
                         "raygate")
        self.assertEqual(self.get(crd_path.replace("clusterqueues", "resourceflavors"))["spec"][
            "conversion"], {"strategy": "None"})
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

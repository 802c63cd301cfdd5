"""Self-tests of what kubectl needs from the double: the OpenAPI documents (openapi.py, as JSON
and as gnostic protobuf), strategic merge patch for built-in kinds (smp.py), and the real
kubectl (Debian's kubernetes-client, `KUBECTL=/path` to pick another) applying the seed's
examples and raygate's deployment, reading, describing and deleting them."""

import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kdtest  # noqa: E402
import openapi  # noqa: E402
import openapiproto  # noqa: E402
import smp  # noqa: E402
import tables  # noqa: E402

KUBECTL = os.environ.get("KUBECTL") or shutil.which("kubectl")
SEED = os.path.join(kdtest.ROOT, "manifests", "examples", "seed")
DEPLOY = os.path.join(kdtest.ROOT, "manifests", "deploy")
SA = "system:serviceaccount:raygate-system:raygate"
K = None


def setUpModule():
    global K
    K = kdtest.Double(crd_paths=[kdtest.plain_crd_dir()], tokens=[
        "kubedouble-admin-token=kubedouble-admin,system:masters", "sa-token=" + SA])


def tearDownModule():
    K.stop()


class TestStrategicMergePatch(unittest.TestCase):
    POD = {"metadata": {"name": "p", "finalizers": ["a", "b"], "labels": {"x": "1"}},
           "spec": {"containers": [{"name": "c1", "image": "i1", "env": [{"name": "A", "value": "1"}]},
                                   {"name": "c2", "image": "i2"}],
                    "tolerations": [{"key": "k1"}], "volumes": [{"name": "v", "emptyDir": {}}]}}

    def test_table(self):
        cases = [
            # lists of maps merge by their key; a new element is appended
            ({"spec": {"containers": [{"name": "c2", "image": "new"}, {"name": "c3", "image": "i3"}]}},
             lambda p: [(c["name"], c["image"]) for c in p["spec"]["containers"]],
             [("c1", "i1"), ("c2", "new"), ("c3", "i3")]),
            # nested merge lists (env by name) inside a merged element
            ({"spec": {"containers": [{"name": "c1", "env": [{"name": "B", "value": "2"}]}]}},
             lambda p: p["spec"]["containers"][0]["env"], [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]),
            # $patch: delete removes one element; $setElementOrder orders them
            ({"spec": {"$setElementOrder/containers": [{"name": "c2"}, {"name": "c1"}],
                       "containers": [{"name": "c1", "$patch": "delete"}]}},
             lambda p: [c["name"] for c in p["spec"]["containers"]], ["c2"]),
            ({"spec": {"$setElementOrder/containers": [{"name": "c2"}, {"name": "c1"}]}},
             lambda p: [c["name"] for c in p["spec"]["containers"]], ["c2", "c1"]),
            # lists without a strategy are replaced
            ({"spec": {"tolerations": [{"key": "k2"}]}}, lambda p: p["spec"]["tolerations"], [{"key": "k2"}]),
            # finalizers: a set, with $deleteFromPrimitiveList
            ({"metadata": {"finalizers": ["c", "a"]}}, lambda p: p["metadata"]["finalizers"], ["a", "b", "c"]),
            ({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}},
             lambda p: p["metadata"]["finalizers"], ["b"]),
            # null deletes; $patch: replace replaces a map; $retainKeys keeps only what it lists
            ({"metadata": {"labels": {"x": None, "y": "2"}}}, lambda p: p["metadata"]["labels"], {"y": "2"}),
            ({"spec": {"volumes": [{"name": "v", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/x"}}]}},
             lambda p: p["spec"]["volumes"], [{"name": "v", "hostPath": {"path": "/x"}}]),
            ({"metadata": {"labels": {"$patch": "replace", "z": "3"}}}, lambda p: p["metadata"]["labels"], {"z": "3"}),
        ]
        for patch, get, want in cases:
            before = json.dumps(self.POD, sort_keys=True)
            self.assertEqual(get(smp.apply("Pod", self.POD, patch)), want, patch)
            self.assertEqual(json.dumps(self.POD, sort_keys=True), before)
        # the same lists in a Deployment's pod template
        dep = {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "1"}]}}}}
        out = smp.apply("Deployment", dep, {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "2"}]}}}})
        self.assertEqual([c["name"] for c in out["spec"]["template"]["spec"]["containers"]], ["a", "b"])
        with self.assertRaises(smp.PatchError):
            smp.apply("Pod", self.POD, {"spec": {"containers": [{"image": "no-name"}]}})

    def test_over_http(self):
        c = K.client()
        try:
            c.ok("POST", "/api/v1/namespaces/default/pods", {"metadata": {"name": "smp"}, "spec": {
                "containers": [{"name": "a", "image": "1"}]}})
            out = c.ok("PATCH", "/api/v1/namespaces/default/pods/smp", {"spec": {"containers": [{"name": "a",
                                                                                                 "image": "2"}]}},
                       ctype="application/strategic-merge-patch+json")
            self.assertEqual(out["spec"]["containers"], [{"name": "a", "image": "2"}])
            st, out = c.req("PATCH", "/apis/kueue.x-k8s.io/v1beta1/clusterqueues/x", {"spec": {}},
                            ctype="application/strategic-merge-patch+json")
            self.assertEqual((st, out["reason"]), (415, "UnsupportedMediaType"))
            c.ok("DELETE", "/api/v1/namespaces/default/pods/smp")
        finally:
            c.close()


class TestOpenApi(unittest.TestCase):
    def test_v2_schema_rules(self):
        s = openapi.to_v2({"type": "object", "required": ["a", "n"], "properties": {
            "a": {"type": "string", "nullable": True},
            "n": {"type": "integer", "anyOf": [{"minimum": 1}]},
            "keep": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                     "properties": {"x": {"type": "string"}}},
            "arr": {"type": "array", "x-kubernetes-preserve-unknown-fields": True, "items": {"type": "string"}},
            "q": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}}})
        self.assertEqual(s["required"], ["n"])
        self.assertEqual(s["properties"]["a"], {})
        self.assertEqual(s["properties"]["n"], {"type": "integer"})
        self.assertEqual(s["properties"]["keep"], {"x-kubernetes-preserve-unknown-fields": True})
        self.assertEqual(s["properties"]["arr"], {"x-kubernetes-preserve-unknown-fields": True})
        self.assertEqual(s["properties"]["q"], {"x-kubernetes-int-or-string": True})

    def test_documents_over_http(self):
        c = K.client()
        try:
            doc = c.ok("GET", "/openapi/v2")
            wl = doc["definitions"]["io.x-k8s.kueue.v1beta1.Workload"]
            self.assertEqual(wl["x-kubernetes-group-version-kind"],
                             [{"group": "kueue.x-k8s.io", "kind": "Workload", "version": "v1beta1"}])
            self.assertEqual(wl["properties"]["metadata"],
                             {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"})
            for name in ("io.x-k8s.kueue.v1beta2.Workload", "io.x-k8s.kueue.v1beta1.WorkloadList",
                         "io.ray.v1.RayCluster", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"):
                self.assertIn(name, doc["definitions"])
            st, raw = c.req("GET", "/openapi/v2", headers={"Accept": openapi.PROTO_V2})
            self.assertEqual((st, c.last_headers["Content-Type"]), (200, openapi.PROTO_V2_ALT))
            fields = {f: v for f, _w, v in openapiproto.decode(raw)}
            self.assertEqual(fields[1], b"2.0")
            names = [dict((f, v) for f, _w, v in openapiproto.decode(ns))[1].decode()
                     for _f, _w, ns in openapiproto.decode(fields[9])]
            self.assertEqual(names, sorted(doc["definitions"]))
            etag = c.last_headers["ETag"]
            self.assertEqual(c.req("GET", "/openapi/v2", headers={"Accept": openapi.PROTO_V2,
                                                                  "If-None-Match": etag})[0], 304)
            index = c.ok("GET", "/openapi/v3")
            url = index["paths"]["apis/kueue.x-k8s.io/v1beta2"]["serverRelativeURL"]
            v3 = c.ok("GET", url)
            self.assertIn("io.x-k8s.kueue.v1beta2.ClusterQueue", v3["components"]["schemas"])
            self.assertNotIn("io.x-k8s.kueue.v1beta1.ClusterQueue", v3["components"]["schemas"])
            read = v3["paths"]["/apis/kueue.x-k8s.io/v1beta2/namespaces/{namespace}/workloads/{name}"]
            self.assertEqual(read["get"]["responses"]["200"]["content"]["application/json"]["schema"],
                             {"$ref": "#/components/schemas/io.x-k8s.kueue.v1beta2.Workload"})
            self.assertEqual(list(read), ["get"])  # no write operations: no fieldValidation parameter
            self.assertEqual(c.req("GET", "/openapi/v3/apis/nope.io/v1")[0], 404)
        finally:
            c.close()

    def test_schema_message_encoding(self):
        raw = openapiproto.encode_schema({"type": "object", "required": ["a"], "maxItems": 3, "minimum": 1.5,
                                          "properties": {"a": {"type": "string"}},
                                          "x-kubernetes-group-version-kind": [{"group": "g"}]})
        fields = [(f, v) for f, _w, v in openapiproto.decode(raw)]
        self.assertIn((19, b"a"), fields)
        self.assertIn((14, 3), fields)
        self.assertEqual(dict(fields)[22], b"\n\x06object")  # TypeItem{value: "object"}
        ext = dict((f, v) for f, _w, v in openapiproto.decode(dict(fields)[31]))
        self.assertEqual(ext[1], b"x-kubernetes-group-version-kind")
        self.assertEqual(json.loads(dict((f, v) for f, _w, v in openapiproto.decode(ext[2]))[2]), [{"group": "g"}])


class TestAggregatedDiscovery(unittest.TestCase):
    def test_documents(self):
        c = K.client()
        try:
            accept = {"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
                                "application/json"}
            st, doc = c.req("GET", "/apis", headers=accept)
            self.assertEqual((st, c.last_headers["Content-Type"], doc["kind"], doc["apiVersion"]), (
                200, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "APIGroupDiscoveryList",
                "apidiscovery.k8s.io/v2"))
            kueue = next(g for g in doc["items"] if g["metadata"]["name"] == "kueue.x-k8s.io")
            self.assertEqual([v["version"] for v in kueue["versions"]], ["v1beta2", "v1beta1"])
            wl = next(r for r in kueue["versions"][0]["resources"] if r["resource"] == "workloads")
            self.assertEqual((wl["scope"], wl["singularResource"], wl["responseKind"]["kind"]),
                             ("Namespaced", "workload", "Workload"))
            self.assertEqual([s["subresource"] for s in wl["subresources"]], ["status"])
            self.assertNotIn("", [g["metadata"]["name"] for g in doc["items"]])
            core = c.req("GET", "/api", headers=accept)[1]["items"]
            self.assertEqual([g["metadata"]["name"] for g in core], [""])
            pods = next(r for r in core[0]["versions"][0]["resources"] if r["resource"] == "pods")
            self.assertIn({"subresource": "binding", "verbs": ["create"],
                           "responseKind": {"group": "", "version": "v1", "kind": "Binding"}}, pods["subresources"])
            # everyone else gets the legacy documents
            self.assertEqual(c.ok("GET", "/apis")["kind"], "APIGroupList")
            self.assertEqual(c.req("GET", "/api", headers={"Accept": "application/json, */*"})[1]["kind"],
                             "APIVersions")
        finally:
            c.close()


class TestTables(unittest.TestCase):
    def test_helpers(self):
        obj = {"spec": {"a": [{"n": 1}, {"n": 2}]}, "status": {"conditions": [
            {"type": "Ready", "status": "False"}, {"type": "Admitted", "status": "True"}]}}
        for path, want in ((".spec.a[1].n", [2]), (".spec.a[*].n", [1, 2]), (".spec['a'][0]", [{"n": 1}]),
                           (".status.conditions[?(@.type=='Admitted')].status", ["True"]),
                           ('.status.conditions[?(@.type=="Ready")].status', ["False"]), (".nope.x", []),
                           ("{.spec.a[0].n}", [1]), (".spec.a[", [])):
            self.assertEqual(tables.json_path(obj, path), want, path)
        for secs, want in ((-5, "<invalid>"), (-1, "0s"), (59, "59s"), (119, "119s"), (150, "2m30s"), (600, "10m"),
                           (3 * 3600 + 60, "3h1m"), (30 * 3600, "30h"), (50 * 3600, "2d2h"), (400 * 86400, "400d"),
                           (3 * 365 * 86400 + 86400, "3y1d")):
            self.assertEqual(tables.human_duration(secs), want, secs)
        self.assertEqual(tables.wants_table("application/json;as=Table;v=v1;g=meta.k8s.io,application/json"), "v1")
        self.assertIsNone(tables.wants_table("application/json, application/json;as=Table;v=v1;g=meta.k8s.io"))
        self.assertIsNone(tables.wants_table("application/json;as=Table;v=v2;g=meta.k8s.io"))

    def test_tables_over_http(self):
        c = K.client()
        try:
            c.ok("POST", "/apis/kueue.x-k8s.io/v1beta1/clusterqueues", {"metadata": {"name": "t-cq"},
                                                                        "spec": {"cohort": "team"}})
            accept = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}
            st, t = c.req("GET", "/apis/kueue.x-k8s.io/v1beta1/clusterqueues", headers=accept)
            self.assertEqual((st, t["kind"], t["apiVersion"]), (200, "Table", "meta.k8s.io/v1"))
            self.assertEqual([d["name"] for d in t["columnDefinitions"]], ["Name", "Cohort", "Strategy",
                                                                         "Pending Workloads", "Admitted Workloads"])
            self.assertEqual([d["priority"] for d in t["columnDefinitions"]], [0, 0, 1, 0, 1])  # -o wide
            row = next(r for r in t["rows"] if r["cells"][0] == "t-cq")
            self.assertEqual(row["cells"], ["t-cq", "team", "BestEffortFIFO", None, None])
            self.assertEqual(row["object"]["kind"], "PartialObjectMetadata")
            st, t = c.req("GET", "/api/v1/namespaces/default?includeObject=Object", headers=accept)
            self.assertEqual([d["name"] for d in t["columnDefinitions"]], ["Name", "Age"])
            self.assertEqual(t["rows"][0]["object"]["kind"], "Namespace")
            self.assertRegex(t["rows"][0]["cells"][1], r"^\d+[smhdy]")
            self.assertEqual(c.ok("GET", "/apis/kueue.x-k8s.io/v1beta1/clusterqueues/t-cq")["kind"], "ClusterQueue")
            st, raw = c.req("GET", "/apis/kueue.x-k8s.io/v1beta1/clusterqueues?watch=1&timeoutSeconds=1"
                                   "&fieldSelector=metadata.name%3Dt-cq", headers=accept)
            events = [raw] if isinstance(raw, dict) else [json.loads(line) for line in raw.splitlines()]
            self.assertEqual([(e["type"], e["object"]["kind"], e["object"]["rows"][0]["cells"][:2]) for e in events],
                             [("ADDED", "Table", ["t-cq", "team"])])
            c.ok("DELETE", "/apis/kueue.x-k8s.io/v1beta1/clusterqueues/t-cq")
        finally:
            c.close()


@unittest.skipUnless(KUBECTL, "kubectl is not installed (scripts/deps.sh installs Debian's kubernetes-client)")
class TestKubectl(unittest.TestCase):
    def kubectl(self, *args, token=None, stdin=None, ok=True):
        env = dict(os.environ, HOME=K.tmp)
        kubeconfig = K.d.kubeconfig_path
        if token:
            kubeconfig = os.path.join(K.tmp, "kc-" + token)
            cfg = K.d.kubeconfig_dict()
            cfg["users"][0]["user"] = {"token": token}
            with open(kubeconfig, "w") as f:
                json.dump(cfg, f)
        r = subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, "--cache-dir", os.path.join(K.tmp, "cache")]
                           + list(args), input=stdin, capture_output=True, text=True, env=env, timeout=60)
        if ok and r.returncode != 0:
            self.fail("kubectl %s: %s%s" % (" ".join(args), r.stdout, r.stderr))
        return r

    def test_apply_the_seed_get_describe_delete(self):
        r = self.kubectl("apply", "-f", SEED, ok=False)
        created = sorted(line.split()[0] for line in r.stdout.splitlines() if line.endswith(" created"))
        self.assertEqual(len(created), 14, r.stdout + r.stderr)
        self.assertIn("workload.kueue.x-k8s.io/high-priority-job", created)
        self.assertIn("raycluster.ray.io/ai-training-cluster", created)
        # the seed's raygate-only shorthand kinds have no CRD: kubectl says so, nothing else fails
        self.assertIn('no matches for kind "Queue" in version "kueue.x-k8s.io/v1beta1"', r.stderr)
        self.assertIn('no matches for kind "PriorityClass" in version "kueue.x-k8s.io/v1beta1"', r.stderr)
        others = [line for line in r.stderr.splitlines() if line.strip() and "no matches for kind" not in line
                  and line.strip(" ]") != "ensure CRDs are installed first"]  # kubectl >= 1.26 adds this
        self.assertEqual(others, [])
        again = self.kubectl("apply", "-f", SEED, ok=False)
        self.assertNotIn(" created", again.stdout)
        wl = json.loads(self.kubectl("get", "workloads.v1beta1.kueue.x-k8s.io", "ai-training-job-01", "-o",
                                     "json").stdout)
        applied = json.loads(wl["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
        self.assertEqual(applied["metadata"]["name"], "ai-training-job-01")
        out = self.kubectl("get", "clusterqueues").stdout.splitlines()
        self.assertEqual(out[0].split(), ["NAME", "COHORT", "PENDING", "WORKLOADS"])  # printer columns
        self.assertIn("ai-cluster-queue", out[1])
        out = self.kubectl("describe", "raycluster", "ray-cluster").stdout
        self.assertIn("Name:         ray-cluster", out)
        self.kubectl("delete", "-f", os.path.join(SEED, "06-raycluster-ray-cluster.yaml"))
        r = self.kubectl("get", "raycluster", "ray-cluster", ok=False)
        self.assertIn('rayclusters.ray.io "ray-cluster" not found', r.stderr)

    def test_apply_raygate_deployment_then_rbac_holds(self):
        rendered = self.kubectl("kustomize", DEPLOY).stdout  # no caBundle: raygate injects it
        r = self.kubectl("apply", "-f", "-", stdin=rendered)
        # the double empties a namespace at once (no Terminating phase): what was in it is gone
        self.addCleanup(self.kubectl, "delete", "--ignore-not-found", "-f", "-", stdin=rendered)
        self.assertEqual(r.stdout.count(" created"), 26, r.stdout)  # docs/install.md's table
        self.assertIn("clusterrole.rbac.authorization.k8s.io/raygate created", r.stdout)
        self.assertIn("mutatingwebhookconfiguration.admissionregistration.k8s.io/raygate-mutating created", r.stdout)
        again = self.kubectl("apply", "-f", "-", stdin=rendered).stdout
        for name in ("clusterrole.rbac.authorization.k8s.io/raygate", "deployment.apps/raygate",
                     "mutatingwebhookconfiguration.admissionregistration.k8s.io/raygate-mutating",
                     "validatingwebhookconfiguration.admissionregistration.k8s.io/raygate-validating"):
            self.assertIn(name + " unchanged", again)
        # a change to a built-in kind goes out as a strategic merge patch and merges by key
        r = self.kubectl("apply", "-f", "-", stdin=rendered.replace("replicas: 2", "replicas: 3"))
        self.assertIn("deployment.apps/raygate configured", r.stdout)
        dep = json.loads(self.kubectl("get", "-n", "raygate-system", "deployment", "raygate", "-o", "json").stdout)
        self.assertEqual(dep["spec"]["replicas"], 3)
        self.assertEqual(len(dep["spec"]["template"]["spec"]["containers"]), 1)
        # the ServiceAccount may do what its ClusterRole says, and nothing else
        self.assertEqual(self.kubectl("get", "rayclusters", "-A", token="sa-token").returncode, 0)
        r = self.kubectl("get", "secrets", "-A", token="sa-token", ok=False)
        self.assertIn('Error from server (Forbidden): secrets is forbidden: User "%s" cannot list resource '
                      '"secrets" in API group "" at the cluster scope' % SA, r.stderr)


if __name__ == "__main__":
    unittest.main()

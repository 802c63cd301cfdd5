"""Self-tests of the API-server double (run: cd tests/apiserver && python3 -m unittest -v).

One double is started in-process for the whole module, with a tiny HTTPS admission
webhook beside it; every test talks to it over real TLS sockets on 127.0.0.1."""

import base64
import http.client
import http.server
import json
import os
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_crds  # noqa: E402
import kdtest  # noqa: E402
import kubedouble  # noqa: E402
import kyaml  # noqa: E402

CRD_DIR = os.path.join(HERE, "..", "..", "manifests", "crds")


# ---------------------------------------------------------------------------
# A tiny admission webhook: mutates RayClusters, denies LocalQueues of "forbidden".
# ---------------------------------------------------------------------------
class _Hook(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.reviews.append(review)
        req = review["request"]
        resp = {"uid": req["uid"], "allowed": True}
        path = self.path.split("?")[0]  # kube adds ?timeout=10s
        if path == "/mutate":
            patch = [{"op": "add", "path": "/spec/suspend", "value": True},
                     {"op": "add", "path": "/metadata/annotations",
                      "value": {"raygate.dev/admission": "Pending"}}]
            resp["patchType"] = "JSONPatch"
            resp["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
        elif path == "/validate":
            if (req["object"] or {}).get("spec", {}).get("clusterQueue") == "forbidden":
                resp = {"uid": req["uid"], "allowed": False,
                        "status": {"code": 403, "reason": "Forbidden", "message": "spec.clusterQueue: Forbidden"}}
        body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                           "response": resp}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


D = None
HOOK = None
TMP = None


def setUpModule():
    global D, HOOK, TMP
    TMP = tempfile.mkdtemp(prefix="kd-test-")
    hook_dir = os.path.join(TMP, "hook")
    os.makedirs(hook_dir)
    kubedouble.make_ca(hook_dir)
    crt, key = kubedouble.issue_cert(hook_dir, "hook", "hook", server=True)
    HOOK = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    HOOK.daemon_threads = True
    HOOK.reviews = []
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    HOOK.socket = ctx.wrap_socket(HOOK.socket, server_side=True)
    threading.Thread(target=HOOK.serve_forever, daemon=True).start()
    hp = HOOK.server_address[1]
    ca = os.path.join(hook_dir, "ca.crt")
    dead = _free_port()
    D = kubedouble.KubeDouble(
        crd_paths=[kdtest.plain_crd_dir()], cert_dir=os.path.join(TMP, "pki"),
        kubeconfig=os.path.join(TMP, "kc"), kubeconfig_client_cert=os.path.join(TMP, "kc-cert"),
        port_file=os.path.join(TMP, "port"), history_window=50, bookmark_interval=0.2,
        tokens=["kubedouble-admin-token=kubedouble-admin,system:masters", "other-token=alice,devs"],
        mutating=["name=mutate.test,url=https://127.0.0.1:%d/mutate,ca=%s,resources=rayclusters.ray.io" % (hp, ca)],
        validating=["name=validate.test,url=https://127.0.0.1:%d/validate,ca=%s,"
                    "resources=localqueues.kueue.x-k8s.io" % (hp, ca),
                    "name=dead.test,url=https://127.0.0.1:%d/x,ca=%s,resources=resourceflavors.kueue.x-k8s.io,"
                    "timeout=2" % (dead, ca)])
    D.start()


def tearDownModule():
    D.stop()
    HOOK.shutdown()
    HOOK.server_close()
    shutil.rmtree(TMP, ignore_errors=True)


def ssl_ctx(cert=None, key=None):
    ctx = ssl.create_default_context(cafile=D.ca_path)
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


class Client:
    """Keep-alive JSON client over one HTTPS connection."""

    def __init__(self, token="kubedouble-admin-token", cert=None, key=None):
        self.token = token
        self.conn = http.client.HTTPSConnection("127.0.0.1", D.port, context=ssl_ctx(cert, key), timeout=10)

    def req(self, method, path, body=None, ctype="application/json", headers=None):
        h = {"Accept": "application/json"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if body is not None:
            h["Content-Type"] = ctype
            body = json.dumps(body).encode()
        h.update(headers or {})
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        self.last_headers = r.headers
        return r.status, (json.loads(data) if data and r.headers.get("Content-Type", "").startswith(
            "application/json") else data)

    def close(self):
        self.conn.close()


class Watch:
    """Raw watch reader: checks the HTTP framing byte by byte."""

    def __init__(self, path, token="kubedouble-admin-token"):
        raw = socket.create_connection(("127.0.0.1", D.port), timeout=5)
        self.sock = ssl_ctx().wrap_socket(raw, server_hostname="127.0.0.1")
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                           "Accept: application/json\r\n\r\n" % (path, token)).encode())
        self.f = self.sock.makefile("rb")
        status = self.f.readline().decode()
        self.status = int(status.split()[1])
        self.headers = {}
        while True:
            line = self.f.readline().decode().strip()
            if not line:
                break
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        self.ended = False  # saw the terminating zero-length chunk

    def next(self, timeout=5):
        """Next event dict, or None when the stream ended properly; raises EOFError on a cut stream."""
        self.sock.settimeout(timeout)
        size_line = self.f.readline()
        if not size_line:
            raise EOFError("connection closed without the terminating chunk")
        size = int(size_line.strip(), 16)
        if size == 0:
            self.f.readline()
            self.ended = True
            return None
        payload = self.f.read(size)
        crlf = self.f.read(2)
        assert crlf == b"\r\n", crlf
        assert payload.endswith(b"\n") and payload.count(b"\n") == 1, payload
        return json.loads(payload)

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def once(method, path, **kw):
    """One request on a fresh connection (closed afterwards)."""
    body = kw.pop("body", None)
    c = Client(**kw)
    try:
        return c.req(method, path, body)
    finally:
        c.close()


def pod(name, labels=None, node=None):
    p = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}},
         "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    if node:
        p["spec"]["nodeName"] = node
    return p


def new_ns(c):
    name = "t-" + uuid.uuid4().hex[:8]
    st, _ = c.req("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert st == 201
    return name


RC = {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": {"name": "rc"},
      "spec": {"headGroupSpec": {"rayStartParams": {}, "template": {"spec": {"containers": [
          {"name": "head", "image": "ray", "resources": {"requests": {"cpu": "1"}}}]}}},
               "workerGroupSpecs": [{"groupName": "w", "replicas": 2, "minReplicas": 1, "maxReplicas": 4,
                                     "numOfHosts": 1, "rayStartParams": {},
                                     "template": {"spec": {"containers": [{"name": "w", "image": "ray"}]}}}]},
      "status": {"state": "ready"}}


class TestYaml(unittest.TestCase):
    def test_subset(self):
        text = ("# comment\na: 1\nb: \"x: y\" # c\nc:\n- 1\n- x\nd:\n  - k: v\n    k2: [1, \"two\", {a: b}]\n"
                "  - - nested\ne: |\n  l1\n  l2\nf: >-\n  folded\n  text\ng: {}\nh: it's\ni: 'q ''x'''\n"
                "j: plain\n  more\nk: '#x'\nl: null\nm: true\nn: 1.5\no: \"\\u00e9\"\n---\nx: ~\n")
        docs = kyaml.load_all(text)
        self.assertEqual(docs[0], {"a": 1, "b": "x: y", "c": [1, "x"],
                                   "d": [{"k": "v", "k2": [1, "two", {"a": "b"}]}, ["nested"]],
                                   "e": "l1\nl2\n", "f": "folded text", "g": {}, "h": "it's", "i": "q 'x'",
                                   "j": "plain more", "k": "#x", "l": None, "m": True, "n": 1.5, "o": "\u00e9"})
        self.assertEqual(docs[1], {"x": None})
        self.assertEqual(kyaml.load(kyaml.dump(docs[0])), docs[0])

    def test_quoted_scalars_folded_over_lines(self):
        # kubectl folds long strings, quoted ones included, over more-indented lines.
        text = ("- message: operator must be Exists when 'key' is empty,\n"
                "    which means 'match all values'\n"
                "  rule: 'self.all(x, !has(x.key) ? x.operator == ''Exists''\n"
                "    : true) # not a comment'\n"
                "- rule: \"a \\\" b\n"
                "    c\"\n")
        self.assertEqual(kyaml.load(text), [
            {"message": "operator must be Exists when 'key' is empty, which means 'match all values'",
             "rule": "self.all(x, !has(x.key) ? x.operator == 'Exists' : true) # not a comment"},
            {"rule": 'a " b c'}])
        with self.assertRaises(kyaml.YamlError):
            kyaml.load("a: 'open\nb: 1\n")

    def test_errors(self):
        for bad in ("a: &x 1\n", "a: *x\n", "a:\n\t- b\n", "a: 1\na: 2\n", "a: [1, 2\n", "a: !!str 1\n"):
            with self.assertRaises(kyaml.YamlError, msg=bad):
                kyaml.load_all(bad)

    def test_crd_files_fresh_and_loadable(self):
        self.assertEqual(gen_crds.main(["--check"]), 0)
        for name, text in gen_crds.render().items():
            doc = kyaml.load(read(os.path.join(CRD_DIR, name)))
            self.assertEqual(doc["kind"], "CustomResourceDefinition")
            self.assertEqual(doc["metadata"]["name"], name[:-5])


class TestPatchAndSelectors(unittest.TestCase):
    def test_json_patch_ops(self):
        doc = {"a": {"b": 1}, "l": [1, 2]}
        out = kubedouble.json_patch(doc, [{"op": "copy", "from": "/a/b", "path": "/c"},
                                          {"op": "move", "from": "/l/0", "path": "/l/-"},
                                          {"op": "test", "path": "/c", "value": 1},
                                          {"op": "replace", "path": "/a/b", "value": 2},
                                          {"op": "remove", "path": "/a/b"},
                                          {"op": "add", "path": "/a/x~1y", "value": 3}])
        self.assertEqual(out, {"a": {"x/y": 3}, "l": [2, 1], "c": 1})
        self.assertEqual(doc, {"a": {"b": 1}, "l": [1, 2]})
        with self.assertRaises(kubedouble.PatchFailed):
            kubedouble.json_patch(doc, [{"op": "test", "path": "/a/b", "value": 2}])

    def test_merge_patch(self):
        self.assertEqual(kubedouble.merge_patch({"a": 1, "b": {"c": 1, "d": 2}, "l": [1]},
                                                {"a": None, "b": {"c": 5}, "l": [2, 3]}),
                         {"b": {"c": 5, "d": 2}, "l": [2, 3]})

    def test_label_selector(self):
        cases = [("a=1", True), ("a==1", True), ("a!=1", False), ("a in (1,2)", True), ("a notin (1)", False),
                 ("b", True), ("!b", False), ("!zz", True), ("zz", False), ("a=1,b=x", True), ("a=1,b=y", False),
                 ("zz!=1", True), ("zz notin (1)", True), ("", True)]
        for sel, want in cases:
            self.assertEqual(kubedouble.parse_label_selector(sel)({"a": "1", "b": "x"}), want, sel)
        with self.assertRaises(kubedouble.ApiError):
            kubedouble.parse_label_selector("a in 1")


class TestApi(unittest.TestCase):
    def setUp(self):
        self.c = Client()

    def tearDown(self):
        self.c.close()

    def assertStatus(self, body, code, reason):
        self.assertEqual(body["kind"], "Status")
        self.assertEqual(body["apiVersion"], "v1")
        self.assertEqual(body["status"], "Failure")
        self.assertEqual(body["code"], code)
        self.assertEqual(body["reason"], reason)
        self.assertTrue(body["message"])

    def test_discovery_and_health(self):
        st, body = self.c.req("GET", "/api")
        self.assertEqual((st, body["versions"]), (200, ["v1"]))
        st, body = self.c.req("GET", "/apis")
        groups = {g["name"]: g for g in body["groups"]}
        self.assertEqual(groups["kueue.x-k8s.io"]["preferredVersion"]["version"], "v1beta2")
        for g in ("ray.io", "coordination.k8s.io", "scheduling.k8s.io", "events.k8s.io", "apiextensions.k8s.io"):
            self.assertIn(g, groups)
        st, body = self.c.req("GET", "/api/v1")
        names = {r["name"] for r in body["resources"]}
        self.assertTrue({"pods", "pods/binding", "pods/status", "nodes", "namespaces", "events"} <= names)
        st, body = self.c.req("GET", "/apis/kueue.x-k8s.io/v1beta1")
        res = {r["name"]: r for r in body["resources"]}
        self.assertFalse(res["clusterqueues"]["namespaced"])
        self.assertTrue(res["workloads"]["namespaced"])
        self.assertIn("workloads/status", res)
        self.assertEqual(self.c.req("GET", "/version")[1]["major"], "1")
        self.assertEqual(once("GET", "/healthz", token=None), (200, b"ok"))
        self.assertEqual(self.c.req("GET", "/readyz")[0], 200)

    def test_crud_and_status_codes(self):
        ns = new_ns(self.c)
        base = "/api/v1/namespaces/%s/pods" % ns
        st, p = self.c.req("POST", base, pod("p1"))
        self.assertEqual(st, 201)
        self.assertTrue(p["metadata"]["uid"] and p["metadata"]["creationTimestamp"])
        self.assertEqual(p["metadata"]["namespace"], ns)
        self.assertEqual(p["status"]["phase"], "Pending")
        st, body = self.c.req("POST", base, pod("p1"))
        self.assertEqual(st, 409)
        self.assertStatus(body, 409, "AlreadyExists")
        self.assertEqual(body["details"], {"name": "p1", "kind": "pods"})  # group omitted when empty
        st, body = self.c.req("GET", base + "/nope")
        self.assertEqual(st, 404)
        self.assertStatus(body, 404, "NotFound")
        self.assertEqual(body["message"], 'pods "nope" not found')
        stale = json.loads(json.dumps(p))
        p["metadata"]["labels"] = {"x": "1"}
        st, p2 = self.c.req("PUT", base + "/p1", p)
        self.assertEqual(st, 200)
        self.assertGreater(int(p2["metadata"]["resourceVersion"]), int(p["metadata"]["resourceVersion"]))
        stale["metadata"]["labels"] = {"x": "2"}
        st, body = self.c.req("PUT", base + "/p1", stale)
        self.assertEqual(st, 409)
        self.assertStatus(body, 409, "Conflict")
        self.assertIn("the object has been modified", body["message"])
        st, body = self.c.req("POST", "/api/v1/namespaces/missing-ns/pods", pod("x"))
        self.assertEqual(st, 404)
        st, body = self.c.req("POST", base, {"metadata": {"generateName": "gen-"}, "spec": {}})
        self.assertEqual(st, 201)
        self.assertTrue(body["metadata"]["name"].startswith("gen-"))
        st, body = self.c.req("POST", base, {"metadata": {"name": "Bad_Name"}})
        self.assertStatus(body, 422, "Invalid")
        st, body = self.c.req("DELETE", base + "/p1")
        self.assertEqual((st, body["kind"]), (200, "Pod"))
        st, body = self.c.req("DELETE", base + "/p1")
        self.assertEqual(st, 404)
        self.assertStatus(body, 404, "NotFound")
        # cluster-scoped path, and a kind whose delete answers a Status
        st, _ = self.c.req("POST", "/api/v1/nodes", {"metadata": {"name": "n-" + ns},
                                                      "status": {"allocatable": {"nvidia.com/gpu": "8"}}})
        self.assertEqual(st, 201)
        self.assertEqual(self.c.req("GET", "/api/v1/nodes/n-" + ns)[1]["status"]["allocatable"]["nvidia.com/gpu"], "8")
        lease = "/apis/coordination.k8s.io/v1/namespaces/%s/leases" % ns
        self.assertEqual(self.c.req("POST", lease, {"metadata": {"name": "l"}, "spec": {"holderIdentity": "a"}})[0], 201)
        st, body = self.c.req("DELETE", lease + "/l")
        self.assertEqual((st, body["status"]), (200, "Success"))

    def test_finalizers(self):
        ns = new_ns(self.c)
        base = "/api/v1/namespaces/%s/pods" % ns
        p = pod("f")
        p["metadata"]["finalizers"] = ["x/y"]
        self.c.req("POST", base, p)
        st, body = self.c.req("DELETE", base + "/f")
        self.assertEqual(st, 200)
        self.assertIn("deletionTimestamp", body["metadata"])
        st, body = self.c.req("PATCH", base + "/f", {"metadata": {"finalizers": None}},
                              ctype="application/merge-patch+json")
        self.assertEqual(st, 200)
        self.assertEqual(self.c.req("GET", base + "/f")[0], 404)

    def test_list_pagination_and_selectors(self):
        ns = new_ns(self.c)
        base = "/api/v1/namespaces/%s/pods" % ns
        for i in range(7):
            self.c.req("POST", base, pod("p%d" % i, {"i": str(i), "odd": str(i % 2)}, node="n1" if i < 3 else None))
        names, cont, pages = [], "", 0
        while True:
            st, body = self.c.req("GET", base + "?limit=3" + ("&continue=" + cont if cont else ""))
            self.assertEqual(st, 200)
            self.assertEqual(body["kind"], "PodList")
            names += [i["metadata"]["name"] for i in body["items"]]
            pages += 1
            cont = body["metadata"].get("continue")
            if not cont:
                break
            self.assertEqual(body["metadata"]["remainingItemCount"], 7 - len(names))
        self.assertEqual((names, pages), (["p%d" % i for i in range(7)], 3))
        st, body = self.c.req("GET", base + "?limit=2&continue=bm90LWEtdG9rZW4")
        self.assertEqual(st, 400)
        self.assertStatus(body, 400, "BadRequest")

        def sel(q):
            st, body = self.c.req("GET", base + "?" + q)
            self.assertEqual(st, 200, body)
            return sorted(i["metadata"]["name"] for i in body["items"])
        self.assertEqual(sel("labelSelector=odd%3D1"), ["p1", "p3", "p5"])
        self.assertEqual(sel("labelSelector=odd!%3D1,i+notin+(0,2)"), ["p4", "p6"])
        self.assertEqual(sel("labelSelector=i+in+(1,2)"), ["p1", "p2"])
        self.assertEqual(sel("labelSelector=!i"), [])
        self.assertEqual(sel("fieldSelector=spec.nodeName%3Dn1"), ["p0", "p1", "p2"])
        self.assertEqual(sel("fieldSelector=spec.nodeName%3D"), ["p3", "p4", "p5", "p6"])
        self.assertEqual(sel("fieldSelector=status.phase%3DPending,metadata.name%3Dp4"), ["p4"])
        self.assertEqual(len(sel("fieldSelector=metadata.namespace%3D" + ns)), 7)
        st, body = self.c.req("GET", base + "?fieldSelector=spec.bogus%3D1")
        self.assertStatus(body, 400, "BadRequest")
        st, body = self.c.req("GET", "/api/v1/pods?labelSelector=odd")  # all namespaces
        self.assertGreaterEqual(len(body["items"]), 7)

    def test_patches(self):
        ns = new_ns(self.c)
        url = "/api/v1/namespaces/%s/pods/pp" % ns
        self.c.req("POST", "/api/v1/namespaces/%s/pods" % ns, pod("pp", {"a": "1", "b": "2"}))
        st, body = self.c.req("PATCH", url, {"metadata": {"labels": {"a": None, "c": "3"}}},
                              ctype="application/merge-patch+json")
        self.assertEqual((st, body["metadata"]["labels"]), (200, {"b": "2", "c": "3"}))
        st, body = self.c.req("PATCH", url, [{"op": "test", "path": "/metadata/labels/b", "value": "2"},
                                             {"op": "move", "from": "/metadata/labels/b", "path": "/metadata/labels/d"},
                                             {"op": "copy", "from": "/metadata/labels/c", "path": "/metadata/labels/e"}],
                              ctype="application/json-patch+json")
        self.assertEqual((st, body["metadata"]["labels"]), (200, {"c": "3", "d": "2", "e": "3"}))
        rv = body["metadata"]["resourceVersion"]
        st, body = self.c.req("PATCH", url, [{"op": "test", "path": "/metadata/labels/c", "value": "nope"},
                                             {"op": "remove", "path": "/metadata/labels/c"}],
                              ctype="application/json-patch+json")
        self.assertEqual(st, 422)
        self.assertStatus(body, 422, "Invalid")
        self.assertEqual(self.c.req("GET", url)[1]["metadata"]["resourceVersion"], rv)
        st, body = self.c.req("PATCH", url, {"metadata": {"labels": {"s": "1"}}},
                              ctype="application/strategic-merge-patch+json")
        self.assertEqual((st, body["metadata"]["labels"]["s"]), (200, "1"))
        st, body = self.c.req("PATCH", url, {"metadata": {"labels": {"s": "2"}, "resourceVersion": "1"}},
                              ctype="application/merge-patch+json")
        self.assertStatus(body, 409, "Conflict")
        st, body = self.c.req("PATCH", url, {}, ctype="text/plain")
        self.assertEqual(st, 415)
        st, body = self.c.req("PATCH", "/api/v1/namespaces/%s/pods/missing" % ns, {},
                              ctype="application/merge-patch+json")
        self.assertEqual(st, 404)
        # a no-op patch keeps the resourceVersion, as kube-apiserver does
        rv = self.c.req("GET", url)[1]["metadata"]["resourceVersion"]
        st, body = self.c.req("PATCH", url, {"metadata": {"labels": {"s": "1"}}},
                              ctype="application/merge-patch+json")
        self.assertEqual(body["metadata"]["resourceVersion"], rv)

    def test_status_subresource_and_versions(self):
        ns = new_ns(self.c)
        base = "/apis/kueue.x-k8s.io/v1beta1/namespaces/%s/workloads" % ns
        wl = {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "Workload", "metadata": {"name": "w"},
              "spec": {"queueName": "q", "podSets": [{"name": "main", "count": 2, "template": {
                  "spec": {"containers": [{"name": "c", "image": "x", "anything": {"kept": True}}]}}}],
                  "unknownField": 1},
              "status": {"admission": {"clusterQueue": "cq", "podSetAssignments": []}}}
        st, body = self.c.req("POST", base, wl)
        self.assertEqual(st, 201, body)
        self.assertNotIn("status", body)                       # status dropped on create
        self.assertNotIn("unknownField", body["spec"])         # pruned
        self.assertEqual(body["spec"]["active"], True)         # defaulted
        self.assertEqual(body["spec"]["podSets"][0]["template"]["spec"]["containers"][0]["anything"], {"kept": True})
        self.assertEqual(body["metadata"]["generation"], 1)
        # /status: spec changes ignored, status applied, generation unchanged
        body["spec"]["queueName"] = "other"
        body["status"] = {"admission": {"clusterQueue": "cq", "podSetAssignments": [
            {"name": "main", "flavors": {"cpu": "default"}, "resourceUsage": {"cpu": "2"}, "count": 2}]},
            "conditions": [{"type": "Admitted", "status": "True", "reason": "Admitted", "message": "ok",
                            "lastTransitionTime": "2024-01-01T00:00:00Z"}]}
        st, s1 = self.c.req("PUT", base + "/w/status", body)
        self.assertEqual(st, 200, s1)
        self.assertEqual(s1["spec"]["queueName"], "q")
        self.assertEqual(s1["status"]["admission"]["clusterQueue"], "cq")
        self.assertEqual(s1["metadata"]["generation"], 1)
        # main resource: status changes ignored, spec change bumps generation
        st, m = self.c.req("PATCH", base + "/w", {"spec": {"active": False}, "status": {"admission": None}},
                           ctype="application/merge-patch+json")
        self.assertEqual((m["spec"]["active"], m["metadata"]["generation"]), (False, 2))
        self.assertIn("admission", m["status"])
        st, m = self.c.req("PATCH", base + "/w/status", [{"op": "remove", "path": "/status/admission"}],
                           ctype="application/json-patch+json")
        self.assertEqual((st, "admission" in m["status"]), (200, False))
        # update of a custom resource without resourceVersion: 422, as kube-apiserver
        m["metadata"].pop("resourceVersion")
        st, body = self.c.req("PUT", base + "/w", m)
        self.assertEqual(st, 422)
        # the same object read through v1beta2
        st, v2 = self.c.req("GET", "/apis/kueue.x-k8s.io/v1beta2/namespaces/%s/workloads/w" % ns)
        self.assertEqual((st, v2["apiVersion"]), (200, "kueue.x-k8s.io/v1beta2"))
        # schema validation
        bad = {"metadata": {"name": "bad"}, "spec": {"podSets": [{"name": "m", "count": "two", "template": {}}]}}
        st, body = self.c.req("POST", base, bad)
        self.assertStatus(body, 422, "Invalid")
        self.assertEqual(body["details"]["causes"][0]["field"], "spec.podSets[0].count")
        # cluster-scoped CR, top-level required field
        st, body = self.c.req("POST", "/apis/kueue.x-k8s.io/v1beta1/workloadpriorityclasses", {"metadata": {"name": "x"}})
        self.assertStatus(body, 422, "Invalid")
        st, body = self.c.req("POST", "/apis/kueue.x-k8s.io/v1beta1/workloadpriorityclasses",
                              {"metadata": {"name": "hi-" + ns}, "value": 1000})
        self.assertEqual((st, body["value"]), (201, 1000))

    def test_binding(self):
        ns = new_ns(self.c)
        self.c.req("POST", "/api/v1/namespaces/%s/pods" % ns, pod("b"))
        url = "/api/v1/namespaces/%s/pods/b/binding" % ns
        binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "b"},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}}
        st, body = self.c.req("POST", url, binding)
        self.assertEqual((st, body["status"]), (201, "Success"))
        self.assertEqual(self.c.req("GET", "/api/v1/namespaces/%s/pods/b" % ns)[1]["spec"]["nodeName"], "node-1")
        binding["target"]["name"] = "node-2"
        st, body = self.c.req("POST", url, binding)
        self.assertEqual(st, 409)
        self.assertStatus(body, 409, "Conflict")
        self.assertIn('already assigned to node "node-1"', body["message"])
        # nodeName cannot change by update either
        p = self.c.req("GET", "/api/v1/namespaces/%s/pods/b" % ns)[1]
        p["spec"]["nodeName"] = "node-3"
        self.assertEqual(self.c.req("PUT", "/api/v1/namespaces/%s/pods/b" % ns, p)[0], 422)

    def test_auth(self):
        st, body = once("GET", "/api/v1/namespaces", token=None)
        self.assertEqual(st, 401)
        self.assertStatus(body, 401, "Unauthorized")
        self.assertEqual(once("GET", "/api/v1/namespaces", token="wrong")[0], 401)
        c = Client(token=None, cert=D.client_cert, key=D.client_key)
        self.assertEqual(c.req("GET", "/api/v1/namespaces")[0], 200)
        ns = new_ns(c)
        c.close()
        # alice (group devs) may do nothing until RBAC grants it (rbac.py; more in test_rbac.py)
        st, body = once("POST", "/api/v1/namespaces/%s/pods" % ns, body=pod("a"), token="other-token")
        self.assertEqual(st, 403)
        self.assertEqual(body["message"], 'pods is forbidden: User "alice" cannot create resource "pods" in '
                                          'API group "" in the namespace "%s"' % ns)
        self.assertEqual(self.c.req("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/%s/rolebindings" % ns, {
            "metadata": {"name": "devs-edit"}, "subjects": [
                {"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"}],
            "roleRef": {"kind": "ClusterRole", "name": "cluster-admin",
                        "apiGroup": "rbac.authorization.k8s.io"}})[0], 201)
        self.assertEqual(once("POST", "/api/v1/namespaces/%s/pods" % ns, body=pod("a"), token="other-token")[0], 201)
        writes = self.c.req("GET", "/_double/writes")[1]["items"]
        users = {(w["user"], w["namespace"] or w["name"]) for w in writes}
        self.assertIn(("kubedouble-client", ns), users)
        self.assertIn(("alice", ns), users)
        kc = kyaml.load(read(D.kubeconfig_path))
        self.assertEqual(kc["clusters"][0]["cluster"]["server"], "https://127.0.0.1:%d" % D.port)
        self.assertEqual(kc["users"][0]["user"]["token"], "kubedouble-admin-token")
        self.assertEqual(base64.b64decode(kc["clusters"][0]["cluster"]["certificate-authority-data"]),
                         read(D.ca_path, "rb"))
        kc2 = kyaml.load(read(D.kubeconfig_client_cert_path))
        self.assertIn("client-certificate-data", kc2["users"][0]["user"])
        self.assertEqual(int(read(os.path.join(TMP, "port"))), D.port)

    def test_webhooks(self):
        ns = new_ns(self.c)
        HOOK.reviews.clear()
        rc = json.loads(json.dumps(RC))
        st, body = self.c.req("POST", "/apis/ray.io/v1/namespaces/%s/rayclusters" % ns, rc)
        self.assertEqual(st, 201, body)
        self.assertIs(body["spec"]["suspend"], True)
        self.assertEqual(body["metadata"]["annotations"], {"raygate.dev/admission": "Pending"})
        self.assertNotIn("status", body)
        self.assertEqual(body["spec"]["workerGroupSpecs"][0]["numOfHosts"], 1)
        req = HOOK.reviews[-1]["request"]
        self.assertEqual(HOOK.reviews[-1]["kind"], "AdmissionReview")
        self.assertEqual(req["operation"], "CREATE")
        self.assertEqual(req["kind"], {"group": "ray.io", "version": "v1", "kind": "RayCluster"})
        self.assertEqual(req["resource"], {"group": "ray.io", "version": "v1", "resource": "rayclusters"})
        self.assertEqual((req["name"], req["namespace"], req["dryRun"]), ("rc", ns, False))
        self.assertEqual(req["userInfo"]["username"], "kubedouble-admin")
        self.assertIsNone(req["oldObject"])
        # UPDATE carries oldObject
        body["metadata"]["labels"] = {"x": "y"}
        st, _ = self.c.req("PUT", "/apis/ray.io/v1/namespaces/%s/rayclusters/rc" % ns, body)
        self.assertEqual(st, 200)
        self.assertEqual(HOOK.reviews[-1]["request"]["operation"], "UPDATE")
        self.assertEqual(HOOK.reviews[-1]["request"]["oldObject"]["metadata"]["name"], "rc")
        # validating webhook denies
        lq = "/apis/kueue.x-k8s.io/v1beta1/namespaces/%s/localqueues" % ns
        st, body = self.c.req("POST", lq, {"metadata": {"name": "lq"}, "spec": {"clusterQueue": "forbidden"}})
        self.assertEqual(st, 403)
        self.assertEqual(body["message"], 'admission webhook "validate.test" denied the request: '
                                          'spec.clusterQueue: Forbidden')
        self.assertEqual(self.c.req("GET", lq + "/lq")[0], 404)
        self.assertEqual(self.c.req("POST", lq, {"metadata": {"name": "lq"}, "spec": {"clusterQueue": "ok"}})[0], 201)
        # unreachable webhook with failurePolicy Fail
        st, body = self.c.req("POST", "/apis/kueue.x-k8s.io/v1beta1/resourceflavors", {"metadata": {"name": "f"}})
        self.assertEqual(st, 500)
        self.assertStatus(body, 500, "InternalError")
        self.assertIn('failed calling webhook "dead.test"', body["message"])

    def test_crd_posted_at_run_time(self):
        crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": "widgets.example.com"},
               "spec": {"group": "example.com", "scope": "Namespaced",
                        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                        "versions": [{"name": "v1", "served": True, "storage": True,
                                      "schema": {"openAPIV3Schema": {"type": "object",
                                                                     "x-kubernetes-preserve-unknown-fields": True}}}]}}
        st, body = self.c.req("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
        self.assertEqual(st, 201, body)
        self.assertEqual(body["status"]["conditions"][1]["type"], "Established")
        st, _ = self.c.req("POST", "/apis/example.com/v1/namespaces/default/widgets", {"metadata": {"name": "w"}, "x": 1})
        self.assertEqual(st, 201)
        self.assertEqual(self.c.req("GET", "/apis/example.com/v1")[0], 200)
        st, _ = self.c.req("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")
        self.assertEqual(st, 200)
        self.assertEqual(self.c.req("GET", "/apis/example.com/v1/namespaces/default/widgets")[0], 404)


class TestWatch(unittest.TestCase):
    def setUp(self):
        self.c = Client()
        self.ns = new_ns(self.c)
        self.base = "/api/v1/namespaces/%s/pods" % self.ns

    def tearDown(self):
        self.c.req("DELETE", "/_double/faults")
        self.c.close()

    def test_framing_synthetic_added_and_live_events(self):
        self.c.req("POST", self.base, pod("a", {"app": "x"}))
        self.c.req("POST", self.base, pod("b", {"app": "y"}))
        w = Watch(self.base + "?watch=true&labelSelector=app%3Dx")
        try:
            self.assertEqual(w.status, 200)
            self.assertEqual(w.headers.get("transfer-encoding"), "chunked")
            self.assertEqual(w.headers.get("content-type"), "application/json")
            ev = w.next()
            self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "a"))
            self.assertEqual(ev["object"]["kind"], "Pod")
            self.c.req("POST", self.base, pod("c", {"app": "x"}))
            ev = w.next()
            self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "c"))
            # label change out of the selector shows as DELETED, into it as ADDED
            self.c.req("PATCH", self.base + "/c", {"metadata": {"labels": {"app": "z"}}},
                       ctype="application/merge-patch+json")
            self.assertEqual(w.next()["type"], "DELETED")
            self.c.req("PATCH", self.base + "/b", {"metadata": {"labels": {"app": "x"}}},
                       ctype="application/merge-patch+json")
            ev = w.next()
            self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "b"))
            self.c.req("PATCH", self.base + "/b", {"metadata": {"annotations": {"k": "v"}}},
                       ctype="application/merge-patch+json")
            self.assertEqual(w.next()["type"], "MODIFIED")
            self.c.req("DELETE", self.base + "/a")
            ev = w.next()  # a pod is deleted gracefully: even with no node, deletionTimestamp is written first
            self.assertEqual((ev["type"], ev["object"]["metadata"]["deletionGracePeriodSeconds"]), ("MODIFIED", 0))
            ev = w.next()
            self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("DELETED", "a"))
        finally:
            w.close()

    def test_client_going_away_ends_the_watch(self):
        st, lst = self.c.req("GET", self.base)
        before = self.c.req("GET", "/_double/state")[1]["watches"]
        w = Watch(self.base + "?watch=1&resourceVersion=" + lst["metadata"]["resourceVersion"])
        time.sleep(0.2)
        self.assertEqual(self.c.req("GET", "/_double/state")[1]["watches"], before + 1)
        w.close()
        for _ in range(40):
            if self.c.req("GET", "/_double/state")[1]["watches"] == before:
                break
            time.sleep(0.05)
        self.assertEqual(self.c.req("GET", "/_double/state")[1]["watches"], before)

    def test_resume_from_resource_version(self):
        st, p = self.c.req("POST", self.base, pod("r1"))
        rv = p["metadata"]["resourceVersion"]
        self.c.req("POST", self.base, pod("r2"))
        w = Watch(self.base + "?watch=1&resourceVersion=" + rv)
        try:
            ev = w.next()
            self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "r2"))
        finally:
            w.close()

    def test_bookmarks_and_timeout(self):
        st, lst = self.c.req("GET", self.base)
        rv = lst["metadata"]["resourceVersion"]
        w = Watch(self.base + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=" + rv)
        t0 = time.monotonic()
        try:
            ev = w.next()
            self.assertEqual(ev["type"], "BOOKMARK")
            self.assertEqual(set(ev["object"]["metadata"]), {"resourceVersion"})
            self.assertGreaterEqual(int(ev["object"]["metadata"]["resourceVersion"]), int(rv))
            while True:
                ev = w.next()
                if ev is None:
                    break
                self.assertEqual(ev["type"], "BOOKMARK")
            self.assertTrue(w.ended)
            self.assertLess(time.monotonic() - t0, 3)
        finally:
            w.close()

    def test_expired_after_compaction(self):
        st, p = self.c.req("POST", self.base, pod("old"))
        rv = p["metadata"]["resourceVersion"]
        self.c.req("POST", self.base, pod("new"))
        st, f = self.c.req("POST", "/_double/faults", {"compact": True})
        self.assertEqual(st, 200)
        w = Watch(self.base + "?watch=1&resourceVersion=" + rv)
        try:
            self.assertEqual(w.status, 200)
            ev = w.next()
            self.assertEqual(ev["type"], "ERROR")
            self.assertEqual((ev["object"]["kind"], ev["object"]["code"], ev["object"]["reason"]),
                             ("Status", 410, "Expired"))
            self.assertIsNone(w.next())
        finally:
            w.close()
        # a list continue token from before the compaction is expired too
        self.c.req("POST", self.base, pod("third"))
        st, lst = self.c.req("GET", self.base + "?limit=1")
        self.c.req("POST", self.base, pod("fourth"))
        self.c.req("POST", "/_double/faults", {"compact": True})
        st, body = self.c.req("GET", self.base + "?limit=1&continue=" + lst["metadata"]["continue"])
        self.assertEqual((st, body["reason"]), (410, "Expired"))

    def test_history_window(self):
        st, p = self.c.req("POST", self.base, pod("h0"))
        rv = p["metadata"]["resourceVersion"]
        for i in range(1, 60):  # window is 50 in this module's double
            self.c.req("PATCH", self.base + "/h0", {"metadata": {"labels": {"i": str(i)}}},
                       ctype="application/merge-patch+json")
        w = Watch(self.base + "?watch=1&resourceVersion=" + rv)
        try:
            self.assertEqual(w.next()["object"]["code"], 410)
        finally:
            w.close()

    def test_drop_watch_after_events(self):
        self.c.req("POST", "/_double/faults", {"watchDropAfterEvents": 2})
        self.c.req("POST", self.base, pod("d1"))
        self.c.req("POST", self.base, pod("d2"))
        self.c.req("POST", self.base, pod("d3"))
        w = Watch(self.base + "?watch=1")
        try:
            w.next()
            w.next()
            with self.assertRaises((EOFError, ConnectionError, ValueError)):
                w.next()
        finally:
            w.close()

    def test_drop_watch_after_seconds(self):
        self.c.req("POST", "/_double/faults", {"watchDropAfterSeconds": 0.3})
        st, lst = self.c.req("GET", self.base)
        w = Watch(self.base + "?watch=1&resourceVersion=" + lst["metadata"]["resourceVersion"])
        try:
            with self.assertRaises((EOFError, ConnectionError, ValueError)):
                w.next(timeout=3)
        finally:
            w.close()


class TestFaultsAndWriteLog(unittest.TestCase):
    def setUp(self):
        self.c = Client()

    def tearDown(self):
        self.c.req("DELETE", "/_double/faults")
        self.c.close()

    def test_429_and_500(self):
        ns = new_ns(self.c)
        path = "/api/v1/namespaces/%s/pods" % ns
        st, f = self.c.req("POST", "/_double/faults", {"failNext": [
            {"code": 429, "count": 2, "retryAfter": 3, "pathPrefix": path},
            {"code": 500, "count": 1, "pathPrefix": "/apis/coordination.k8s.io"}]})
        self.assertEqual(st, 200)
        self.assertEqual(self.c.req("GET", "/api/v1/nodes")[0], 200)  # other paths unaffected
        for _ in range(2):
            st, body = self.c.req("GET", path)
            self.assertEqual((st, body["reason"]), (429, "TooManyRequests"))
            self.assertEqual(self.c.last_headers["Retry-After"], "3")
            self.assertEqual(body["details"]["retryAfterSeconds"], 3)
        self.assertEqual(self.c.req("GET", path)[0], 200)
        st, body = self.c.req("GET", "/apis/coordination.k8s.io/v1/leases")
        self.assertEqual((st, body["reason"], body["kind"]), (500, "InternalError", "Status"))
        self.assertEqual(self.c.req("GET", "/apis/coordination.k8s.io/v1/leases")[0], 200)

    def test_delay(self):
        self.c.req("POST", "/_double/faults", {"delayMs": 300, "delayPathPrefix": "/api/v1/nodes"})
        t0 = time.monotonic()
        self.c.req("GET", "/api/v1/nodes")
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)
        self.c.req("POST", "/_double/faults", {"delayMs": 0})
        st, body = self.c.req("POST", "/_double/faults", {"nope": 1})
        self.assertEqual(st, 400)

    def test_write_log(self):
        ns = new_ns(self.c)
        st, log = self.c.req("GET", "/_double/writes")
        since = log["items"][-1]["seq"]
        lease = "/apis/coordination.k8s.io/v1/namespaces/%s/leases" % ns
        st, l1 = self.c.req("POST", lease, {"metadata": {"name": "raygate"}, "spec": {"holderIdentity": "a"}})
        l1["spec"]["holderIdentity"] = "b"
        st, l2 = self.c.req("PUT", lease + "/raygate", l1)
        st, _ = self.c.req("PUT", lease + "/raygate", l1)  # stale: 409
        self.c.req("GET", lease + "/raygate")              # reads are not logged
        st, log = self.c.req("GET", "/_double/writes?since=%d" % since)
        items = log["items"]
        self.assertEqual([(w["verb"], w["code"]) for w in items], [("create", 201), ("update", 200), ("update", 409)])
        self.assertEqual([w["resourceVersion"] for w in items[:2]],
                         [l1["metadata"]["resourceVersion"], l2["metadata"]["resourceVersion"]])
        self.assertEqual([w.get("holderIdentity") for w in items[:2]], ["a", "b"])
        for w in items:
            self.assertEqual(w["user"], "kubedouble-admin")
            self.assertEqual(w["path"], lease + ("" if w["verb"] == "create" else "/raygate"))
            self.assertEqual((w["resource"], w["namespace"]), ("leases.coordination.k8s.io", ns))
            self.assertIsInstance(w["time"], float)
        self.assertEqual([w["seq"] for w in items], sorted(w["seq"] for w in items))


class TestSubprocess(unittest.TestCase):
    def test_cli_starts_and_writes_files(self):
        import subprocess
        tmp = tempfile.mkdtemp(prefix="kd-cli-")
        try:
            pf, kc = os.path.join(tmp, "port"), os.path.join(tmp, "kc")
            proc = subprocess.Popen([sys.executable, os.path.join(HERE, "kubedouble.py"), "--port-file", pf,
                                     "--kubeconfig", kc, "--crds", CRD_DIR, "--cert-dir", os.path.join(tmp, "pki"),
                                     "--token", "tok=bob,system:masters"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                for _ in range(100):
                    if os.path.exists(pf):
                        break
                    time.sleep(0.05)
                port = int(read(pf))
                ctx = ssl.create_default_context(cafile=os.path.join(tmp, "pki", "ca.crt"))
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
                conn.request("GET", "/apis/ray.io/v1/rayclusters", headers={"Authorization": "Bearer tok"})
                r = conn.getresponse()
                self.assertEqual((r.status, json.loads(r.read())["kind"]), (200, "RayClusterList"))
                conn.close()
            finally:
                proc.terminate()
                proc.communicate(timeout=5)
            self.assertEqual(proc.returncode, 0)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()

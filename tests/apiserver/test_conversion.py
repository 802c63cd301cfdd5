"""Self-tests of CRD conversion through a webhook (conversion.py): objects are stored in the
storage version, every read, list, watch event and write through the other version is a
ConversionReview, and failures reach the client with kube-apiserver's messages."""

import copy
import json
import os
import socket
import ssl
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kdtest  # noqa: E402

GROUP = "conv.example.com"
BASE1 = "/apis/%s/v1/namespaces/default/widgets" % GROUP
BASE2 = "/apis/%s/v2/namespaces/default/widgets" % GROUP
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
K = HOOK = None
MODE = {"mode": "ok"}


def convert_one(obj, desired):
    """The test webhook's conversion: v1 spec.color <-> v2 spec.colour (+ a label it adds)."""
    out = copy.deepcopy(obj)
    spec = out.setdefault("spec", {})
    if desired.endswith("/v2") and "color" in spec:
        spec["colour"] = spec.pop("color")
    if desired.endswith("/v1") and "colour" in spec:
        spec["color"] = spec.pop("colour")
    out["apiVersion"] = desired
    out["metadata"].setdefault("labels", {})["converted-by"] = "hook"
    out["metadata"]["resourceVersion"] = "999999"  # ignored: metadata but labels/annotations is kube's
    return out


def hook(path, review):
    req = review["request"]
    mode = MODE["mode"]
    if mode == "fail":
        resp = {"uid": req["uid"], "result": {"status": "Failure", "message": "boom: cannot convert"}}
    elif mode == "rename":
        objs = [dict(convert_one(o, req["desiredAPIVersion"]), metadata=dict(o["metadata"], name="other"))
                for o in req["objects"]]
        resp = {"uid": req["uid"], "convertedObjects": objs, "result": {"status": "Success"}}
    elif mode == "wronguid":
        resp = {"uid": "nope", "convertedObjects": [], "result": {"status": "Success"}}
    elif mode == "http500":
        return 500, b"internal"
    else:
        resp = {"uid": req["uid"], "result": {"status": "Success"},
                "convertedObjects": [convert_one(o, req["desiredAPIVersion"]) for o in req["objects"]]}
    return 200, {"apiVersion": review["apiVersion"], "kind": "ConversionReview", "response": resp}


def crd(strategy="Webhook", client_config=None, review_versions=("v1",)):
    schema = {"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}
    spec = {"group": GROUP, "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": True, "storage": False, "schema": schema},
                         {"name": "v2", "served": True, "storage": True, "schema": schema}],
            "conversion": {"strategy": strategy}}
    if strategy == "Webhook":
        spec["conversion"]["webhook"] = {"conversionReviewVersions": list(review_versions),
                                         "clientConfig": client_config or {
                                             "service": {"namespace": "conv-system", "name": "conv", "path": "/convert",
                                                         "port": 443},
                                             "caBundle": HOOK.ca_bundle}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets." + GROUP}, "spec": spec}


def setUpModule():
    global K, HOOK
    HOOK = kdtest.HookServer(hook, dns=["conv.conv-system.svc"])
    K = kdtest.Double()
    K.d.service_endpoints.map("conv-system/conv:443=127.0.0.1:%d" % HOOK.port)


def tearDownModule():
    K.stop()
    HOOK.stop()


class TestConversion(unittest.TestCase):
    def setUp(self):
        MODE["mode"] = "ok"
        self.c = K.client()
        self.c.ok("POST", CRD_PATH, crd())
        HOOK.requests.clear()

    def tearDown(self):
        MODE["mode"] = "ok"
        self.c.ok("DELETE", CRD_PATH + "/widgets." + GROUP)
        self.c.close()

    def reviews(self):
        return [(r["request"]["desiredAPIVersion"], [o["apiVersion"] for o in r["request"]["objects"]])
                for _p, r in HOOK.requests]

    def stored(self, name):
        with K.d.registry.lock:
            return copy.deepcopy(K.d.registry.stores[GROUP + "/widgets"].objects[("default", name)])

    def test_writes_store_the_storage_version_and_reads_convert(self):
        w = self.c.ok("POST", BASE1, {"apiVersion": GROUP + "/v1", "kind": "Widget", "metadata": {"name": "a"},
                                      "spec": {"color": "red"}})
        # in: v1 -> v2 (storage); out: v2 -> v1 (the response, as kube decodes what it wrote)
        self.assertEqual(self.reviews(), [(GROUP + "/v2", [GROUP + "/v1"]), (GROUP + "/v1", [GROUP + "/v2"])])
        self.assertEqual((w["apiVersion"], w["spec"]), (GROUP + "/v1", {"color": "red"}))
        self.assertEqual(w["metadata"]["labels"], {"converted-by": "hook"})
        self.assertNotEqual(w["metadata"]["resourceVersion"], "999999")
        stored = self.stored("a")
        self.assertEqual((stored["apiVersion"], stored["spec"]), (GROUP + "/v2", {"colour": "red"}))
        HOOK.requests.clear()
        self.assertEqual(self.c.ok("GET", BASE2 + "/a")["spec"], {"colour": "red"})
        self.assertEqual(self.reviews(), [])
        self.assertEqual(self.c.ok("GET", BASE1 + "/a")["spec"], {"color": "red"})
        self.assertEqual(self.reviews(), [(GROUP + "/v1", [GROUP + "/v2"])])

    def test_list_is_one_review_and_watch_converts_each_event(self):
        for n in ("a", "b", "c"):
            self.c.ok("POST", BASE2, {"metadata": {"name": n}, "spec": {"colour": n}})
        HOOK.requests.clear()
        lst = self.c.ok("GET", BASE1)
        self.assertEqual((lst["apiVersion"], lst["kind"]), (GROUP + "/v1", "WidgetList"))
        self.assertEqual([i["spec"] for i in lst["items"]], [{"color": "a"}, {"color": "b"}, {"color": "c"}])
        self.assertEqual(self.reviews(), [(GROUP + "/v1", [GROUP + "/v2"] * 3)])
        w = WatchLines(BASE1 + "?watch=1&timeoutSeconds=2")
        events = [w.next() for _ in range(3)]
        self.c.ok("PATCH", BASE2 + "/a", {"spec": {"colour": "blue"}}, ctype="application/merge-patch+json")
        events.append(w.next())
        w.close()
        self.assertEqual([(e["type"], e["object"]["apiVersion"], e["object"]["spec"]) for e in events], [
            ("ADDED", GROUP + "/v1", {"color": "a"}), ("ADDED", GROUP + "/v1", {"color": "b"}),
            ("ADDED", GROUP + "/v1", {"color": "c"}), ("MODIFIED", GROUP + "/v1", {"color": "blue"})])

    def test_updates_and_patches_through_the_other_version(self):
        self.c.ok("POST", BASE2, {"metadata": {"name": "a"}, "spec": {"colour": "red"}})
        HOOK.requests.clear()
        w = self.c.ok("PATCH", BASE1 + "/a", {"spec": {"color": "green", "size": 3}},
                      ctype="application/merge-patch+json")
        self.assertEqual(w["spec"], {"color": "green", "size": 3})
        self.assertEqual(w["metadata"]["generation"], 2)
        # old object to v1 for the patch, new object to v2 for storage, the answer back to v1
        self.assertEqual(self.reviews(), [(GROUP + "/v1", [GROUP + "/v2"]), (GROUP + "/v2", [GROUP + "/v1"]),
                                          (GROUP + "/v1", [GROUP + "/v2"])])
        self.assertEqual(self.stored("a")["spec"], {"colour": "green", "size": 3})
        w["metadata"]["annotations"] = {"x": "y"}
        w = self.c.ok("PUT", BASE1 + "/a", w)
        self.assertEqual(w["metadata"]["generation"], 2)  # metadata only: same generation across versions
        self.assertEqual(self.stored("a")["metadata"]["annotations"], {"x": "y"})
        # a no-op through the other version writes nothing
        rv = w["metadata"]["resourceVersion"]
        self.assertEqual(self.c.ok("PUT", BASE1 + "/a", w)["metadata"]["resourceVersion"], rv)
        self.assertEqual(self.c.ok("DELETE", BASE1 + "/a")["apiVersion"], GROUP + "/v1")

    def test_failures_reach_the_client_as_kube_writes_them(self):
        self.c.ok("POST", BASE2, {"metadata": {"name": "a"}, "spec": {"colour": "red"}})
        gvk = GROUP + "/v2, Kind=Widget"
        cases = [("fail", "conversion webhook for %s failed: boom: cannot convert" % gvk),
                 ("rename", "conversion webhook for %s returned invalid object: must have the same name: a != other"
                  % gvk),
                 ("wronguid", 'conversion webhook for %s failed: expected response.uid="' % gvk),
                 ("http500", 'conversion webhook for %s failed: an error on the server ("internal") has prevented '
                  'the request from succeeding' % gvk)]
        for mode, msg in cases:
            MODE["mode"] = mode
            st, out = self.c.req("GET", BASE1 + "/a")
            self.assertEqual((st, out["code"], out["status"]), (500, 500, "Failure"), mode)
            self.assertNotIn("reason", out)
            self.assertTrue(out["message"].startswith(msg), (mode, out["message"]))
        st, out = self.c.req("GET", BASE1)
        self.assertEqual(st, 500)
        self.assertTrue(out["message"].startswith("conversion webhook for %sList failed: an error" % gvk), out)
        # a write through the other version fails before anything is stored
        MODE["mode"] = "fail"
        st, out = self.c.req("POST", BASE1, {"metadata": {"name": "b"}, "spec": {"color": "x"}})
        self.assertEqual(st, 500)
        self.assertEqual(out["message"], "conversion webhook for %s/v1, Kind=Widget failed: boom: cannot convert"
                         % GROUP)
        self.assertEqual(self.c.req("GET", BASE2 + "/b")[0], 404)
        # the same version needs no webhook
        self.assertEqual(self.c.req("GET", BASE2 + "/a")[0], 200)
        # a watch that cannot convert an event gets an ERROR event, then the stream is cut
        w = WatchLines(BASE1 + "?watch=1&timeoutSeconds=5")
        ev = w.next()
        self.assertEqual((ev["type"], ev["object"]["code"]), ("ERROR", 500))
        self.assertIn("boom", ev["object"]["message"])
        self.assertIsNone(w.next())
        w.close()

    def test_service_resolution_and_tls(self):
        self.c.ok("POST", BASE2, {"metadata": {"name": "a"}, "spec": {"colour": "red"}})
        path = CRD_PATH + "/widgets." + GROUP
        cur = self.c.ok("GET", path)
        cc = cur["spec"]["conversion"]["webhook"]["clientConfig"]
        cc["service"]["name"] = "missing"
        self.c.ok("PUT", path, cur)
        st, out = self.c.req("GET", BASE1 + "/a")
        self.assertEqual(out["message"], 'conversion webhook for %s/v2, Kind=Widget failed: Post "https://missing.'
                         'conv-system.svc:443/convert?timeout=30s": service "missing" not found' % GROUP)
        # the certificate is checked against the caBundle and the service's DNS name
        cur = self.c.ok("GET", path)
        cur["spec"]["conversion"]["webhook"]["clientConfig"] = {"url": HOOK.url("/convert"),
                                                                "caBundle": HOOK.ca_bundle}
        self.c.ok("PUT", path, cur)
        self.assertEqual(self.c.req("GET", BASE1 + "/a")[0], 200)
        cur = self.c.ok("GET", path)
        cur["spec"]["conversion"]["webhook"]["clientConfig"]["caBundle"] = kdtest.base64_pem(K.d.ca_path)
        self.c.ok("PUT", path, cur)
        st, out = self.c.req("GET", BASE1 + "/a")
        self.assertIn("x509: certificate signed by unknown authority", out["message"])

    def test_review_version_v1beta1_and_strategy_none(self):
        path = CRD_PATH + "/widgets." + GROUP
        cur = self.c.ok("GET", path)
        cur["spec"]["conversion"]["webhook"]["conversionReviewVersions"] = ["v9", "v1beta1"]
        self.c.ok("PUT", path, cur)
        self.c.ok("POST", BASE1, {"metadata": {"name": "a"}, "spec": {"color": "red"}})
        self.assertEqual(HOOK.requests[-1][1]["apiVersion"], "apiextensions.k8s.io/v1beta1")
        cur = self.c.ok("GET", path)
        cur["spec"]["conversion"] = {"strategy": "None"}
        self.c.ok("PUT", path, cur)
        HOOK.requests.clear()
        got = self.c.ok("GET", BASE1 + "/a")  # stored as v2 by the webhook: only apiVersion changes now
        self.assertEqual((got["apiVersion"], got["spec"]), (GROUP + "/v1", {"colour": "red"}))
        self.assertEqual(HOOK.requests, [])

    def test_crd_conversion_is_validated(self):
        bad = crd()
        bad["spec"]["conversion"]["webhook"]["conversionReviewVersions"] = ["v2"]
        del bad["spec"]["conversion"]["webhook"]["clientConfig"]["service"]
        bad["metadata"]["name"] = bad["metadata"]["name"]
        path = CRD_PATH + "/widgets." + GROUP
        cur = self.c.ok("GET", path)
        cur["spec"]["conversion"] = bad["spec"]["conversion"]
        st, out = self.c.req("PUT", path, cur)
        self.assertEqual(st, 422, out)
        self.assertEqual([c["field"] for c in out["details"]["causes"]], [
            "spec.conversion.webhook.conversionReviewVersions", "spec.conversion.webhook.clientConfig"])
        cur["spec"]["conversion"] = {"strategy": "None", "webhook": {}}
        self.assertEqual(self.c.req("PUT", path, cur)[0], 422)


class WatchLines:
    """Reads a watch's events (chunked, one JSON per line) over a raw TLS socket."""

    def __init__(self, path):
        raw = socket.create_connection(("127.0.0.1", K.d.port), timeout=10)
        self.sock = ssl.create_default_context(cafile=K.d.ca_path).wrap_socket(raw, server_hostname="127.0.0.1")
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                           % (path, kdtest.ADMIN)).encode())
        self.f = self.sock.makefile("rb")
        while self.f.readline().strip():
            pass

    def next(self):
        """The next event, or None at the end of the stream (proper or cut)."""
        size = self.f.readline()
        if not size.strip() or int(size, 16) == 0:
            return None
        data = self.f.read(int(size, 16))
        self.f.read(2)
        return json.loads(data)

    def close(self):
        self.f.close()
        self.sock.close()


if __name__ == "__main__":
    unittest.main()

"""Self-tests of admission webhooks registered through MutatingWebhookConfiguration and
ValidatingWebhookConfiguration objects (webhookconfig.py), as kube-apiserver honours them."""

import base64
import copy
import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kdtest  # noqa: E402

AR = "/apis/admissionregistration.k8s.io/v1"
GROUP = "wh.example.com"
K = HOOK = None


def patch_of(ops):
    return base64.b64encode(json.dumps(ops).encode()).decode()


def hook(path, review):
    """Webhooks by path: /label-X adds label X, /deny denies, /slow sleeps, /v1beta1 answers v1beta1."""
    req = review["request"]
    path = path.split("?")[0]
    resp = {"uid": req["uid"], "allowed": True}
    if path.startswith("/label-"):
        labels = ((req["object"] or req["oldObject"]).get("metadata") or {}).get("labels") or {}
        key = path[len("/label-"):]
        if key not in labels and req["object"] is not None:
            resp["patchType"] = "JSONPatch"
            resp["patch"] = patch_of([{"op": "add", "path": "/metadata/labels", "value": dict(labels, **{key: "x"})}])
    elif path == "/deny":
        resp = {"uid": req["uid"], "allowed": False, "status": {"code": 422, "reason": "Invalid",
                                                                "message": "spec.x: Invalid value"}}
    elif path == "/slow":
        time.sleep(1.5)
    elif path == "/colour":
        resp["patchType"] = "JSONPatch"
        resp["patch"] = patch_of([{"op": "add", "path": "/spec/colour", "value": "blue"}])
    if review["apiVersion"] == "admission.k8s.io/v1beta1":
        resp.pop("uid")
    return 200, {"apiVersion": review["apiVersion"], "kind": "AdmissionReview", "response": resp}


def conv_hook(review):
    """A conversion webhook for wh.example.com widgets: v1 spec.color <-> v2 spec.colour."""
    req = review["request"]
    out = []
    for o in req["objects"]:
        o = copy.deepcopy(o)
        spec = o.setdefault("spec", {})
        if req["desiredAPIVersion"].endswith("/v2") and "color" in spec:
            spec["colour"] = spec.pop("color")
        if req["desiredAPIVersion"].endswith("/v1") and "colour" in spec:
            spec["color"] = spec.pop("colour")
        o["apiVersion"] = req["desiredAPIVersion"]
        out.append(o)
    return 200, {"apiVersion": review["apiVersion"], "kind": "ConversionReview",
                 "response": {"uid": req["uid"], "convertedObjects": out, "result": {"status": "Success"}}}


def dispatch(path, review):
    if review["kind"] == "ConversionReview":
        return conv_hook(review)
    return hook(path, review)


def setUpModule():
    global K, HOOK
    HOOK = kdtest.HookServer(dispatch, dns=["hooks.hook-system.svc"])
    K = kdtest.Double()
    K.d.service_endpoints.map("hook-system/hooks:443=127.0.0.1:%d" % HOOK.port)
    schema = {"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}
    c = K.client()
    c.ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
        "metadata": {"name": "widgets." + GROUP},
        "spec": {"group": GROUP, "scope": "Namespaced", "names": {"plural": "widgets", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": schema},
                              {"name": "v2", "served": True, "storage": False, "schema": schema,
                               "subresources": {"status": {}}}],
                 "conversion": {"strategy": "Webhook", "webhook": {"conversionReviewVersions": ["v1"], "clientConfig": {
                     "service": {"namespace": "hook-system", "name": "hooks", "path": "/convert"},
                     "caBundle": HOOK.ca_bundle}}}}})
    c.close()


def tearDownModule():
    K.stop()
    HOOK.stop()


def webhook(name, path, rules, **extra):
    w = {"name": name, "sideEffects": "None", "admissionReviewVersions": ["v1"],
         "clientConfig": {"service": {"namespace": "hook-system", "name": "hooks", "path": path},
                          "caBundle": HOOK.ca_bundle},
         "rules": rules}
    w.update(extra)
    return w


def rule(groups, versions, resources, ops=("CREATE",), scope=None):
    r = {"apiGroups": list(groups), "apiVersions": list(versions), "resources": list(resources),
         "operations": list(ops)}
    if scope:
        r["scope"] = scope
    return r


CM = rule([""], ["v1"], ["configmaps"])


class TestWebhookConfigurations(unittest.TestCase):
    def setUp(self):
        self.c = K.client()
        self.ns = "t-" + uuid.uuid4().hex[:6]
        self.c.ok("POST", "/api/v1/namespaces", {"metadata": {"name": self.ns, "labels": {"team": "a"}}})
        self.configs = []
        HOOK.requests.clear()

    def tearDown(self):
        for path in self.configs:
            self.c.req("DELETE", path)
        self.c.close()

    def register(self, webhooks, mutating=True, name=None):
        kind = "mutatingwebhookconfigurations" if mutating else "validatingwebhookconfigurations"
        name = name or "cfg-" + uuid.uuid4().hex[:6]
        out = self.c.ok("POST", "%s/%s" % (AR, kind), {"metadata": {"name": name}, "webhooks": webhooks})
        self.configs.append("%s/%s/%s" % (AR, kind, name))
        return out

    def cm(self, name, labels=None, ns=None, dry=False):
        path = "/api/v1/namespaces/%s/configmaps%s" % (ns or self.ns, "?dryRun=All" if dry else "")
        return self.c.req("POST", path, {"metadata": {"name": name, "labels": labels or {}}})

    def called(self):
        return [(p.split("?")[0], r["request"]["operation"], r["request"]["name"]) for p, r in HOOK.requests
                if r["kind"] == "AdmissionReview"]

    def test_defaults_and_validation(self):
        out = self.register([webhook("a.wh.example.com", "/label-a", [CM])])
        w = out["webhooks"][0]
        self.assertEqual((w["failurePolicy"], w["matchPolicy"], w["timeoutSeconds"], w["reinvocationPolicy"],
                          w["rules"][0]["scope"], w["clientConfig"]["service"]["port"], w["namespaceSelector"],
                          w["objectSelector"]), ("Fail", "Equivalent", 10, "Never", "*", 443, {}, {}))
        bad = webhook("two.segments", "/x", [dict(CM, scope="Everywhere")], timeoutSeconds=31,
                      admissionReviewVersions=["v2"], sideEffects="Some")
        bad["clientConfig"]["url"] = "https://127.0.0.1:1/x"
        st, out = self.c.req("POST", AR + "/validatingwebhookconfigurations",
                             {"metadata": {"name": "bad"}, "webhooks": [bad, webhook("b.wh.example.com", "/x", [CM]),
                                                                        webhook("b.wh.example.com", "/x", [CM])]})
        self.assertEqual(st, 422, out)
        self.assertEqual([c["field"] for c in out["details"]["causes"]], [
            "webhooks[0].name", "webhooks[0].rules[0].scope", "webhooks[0].sideEffects", "webhooks[0].timeoutSeconds",
            "webhooks[0].admissionReviewVersions", "webhooks[0].clientConfig", "webhooks[2].name"])
        # an unsubstituted caBundle placeholder cannot even be decoded
        bad = webhook("c.wh.example.com", "/x", [CM])
        bad["clientConfig"]["caBundle"] = "${CA_BUNDLE}"
        st, out = self.c.req("POST", AR + "/mutatingwebhookconfigurations", {"metadata": {"name": "bad"},
                                                                           "webhooks": [bad]})
        self.assertEqual((st, out["reason"]), (400, "BadRequest"))
        self.assertEqual(out["message"], 'MutatingWebhookConfiguration in version "v1" cannot be handled as a '
                                         'MutatingWebhookConfiguration: illegal base64 data at input byte 0')

    def test_rules_operations_subresources_and_scope(self):
        self.register([webhook("cm.wh.example.com", "/label-cm", [rule([""], ["v1"], ["configmaps"],
                                                                      ("CREATE", "UPDATE"))]),
                       webhook("status.wh.example.com", "/label-st", [rule([GROUP], ["*"], ["*/status"], ("UPDATE",))]),
                       webhook("cluster.wh.example.com", "/label-cl", [rule(["*"], ["*"], ["*"], ("CREATE",),
                                                                           "Cluster")])])
        st, out = self.cm("a")
        self.assertEqual((st, out["metadata"]["labels"]), (201, {"cm": "x"}))
        self.c.ok("POST", "/apis/%s/v1/namespaces/%s/widgets" % (GROUP, self.ns), {"metadata": {"name": "w"}})
        self.assertEqual([p for p, _o, _n in self.called()], ["/label-cm"])  # widgets: no rule for the main resource
        self.c.ok("PUT", "/apis/%s/v2/namespaces/%s/widgets/w/status" % (GROUP, self.ns),
                  dict(self.c.ok("GET", "/apis/%s/v2/namespaces/%s/widgets/w" % (GROUP, self.ns)), status={"x": 1}))
        self.assertEqual(self.called()[-1], ("/label-st", "UPDATE", "w"))
        HOOK.requests.clear()
        self.c.ok("POST", "/api/v1/nodes", {"metadata": {"name": "n-" + self.ns}})
        self.c.ok("POST", "/api/v1/namespaces", {"metadata": {"name": self.ns + "-x"}})  # namespaces are cluster-scoped
        self.assertEqual([p for p, _o, _n in self.called()], ["/label-cl", "/label-cl"])
        self.c.req("DELETE", "/api/v1/nodes/n-" + self.ns)
        self.c.req("DELETE", "/api/v1/namespaces/%s-x" % self.ns)

    def test_namespace_and_object_selectors(self):
        self.register([webhook("ns.wh.example.com", "/label-ns", [CM, rule([""], ["v1"], ["nodes"])],
                               namespaceSelector={"matchExpressions": [
                                   {"key": "kubernetes.io/metadata.name", "operator": "NotIn",
                                    "values": ["kube-system"]}, {"key": "team", "operator": "In", "values": ["a"]}]}),
                       webhook("obj.wh.example.com", "/label-obj", [rule([""], ["v1"], ["configmaps"],
                                                                         ("CREATE", "UPDATE", "DELETE"))],
                               objectSelector={"matchLabels": {"pick": "me"}})])
        self.assertEqual(self.cm("a")[1]["metadata"]["labels"], {"ns": "x"})
        self.assertEqual(self.cm("a", ns="kube-system")[1]["metadata"].get("labels", {}), {})
        self.assertEqual(self.cm("b", {"pick": "me"})[1]["metadata"]["labels"], {"pick": "me", "ns": "x", "obj": "x"})
        # cluster-scoped objects ignore namespaceSelector
        self.assertEqual(self.c.ok("POST", "/api/v1/nodes", {"metadata": {"name": "n-" + self.ns}})["metadata"]
                         ["labels"], {"ns": "x"})
        self.c.req("DELETE", "/api/v1/nodes/n-" + self.ns)
        self.c.req("DELETE", "/api/v1/namespaces/kube-system/configmaps/a")
        # DELETE: the old object's labels count for the objectSelector
        HOOK.requests.clear()
        self.c.ok("DELETE", "/api/v1/namespaces/%s/configmaps/b" % self.ns)
        self.c.ok("DELETE", "/api/v1/namespaces/%s/configmaps/a" % self.ns)
        self.assertEqual(self.called(), [("/label-obj", "DELETE", "b")])
        req = HOOK.requests[0][1]["request"]
        self.assertIsNone(req["object"])
        self.assertEqual(req["oldObject"]["metadata"]["name"], "b")
        self.assertEqual(req["options"]["kind"], "DeleteOptions")

    def test_match_policy_equivalent_converts_for_the_webhook(self):
        self.register([webhook("v2.wh.example.com", "/colour", [rule([GROUP], ["v2"], ["widgets"])]),
                       webhook("exact.wh.example.com", "/label-exact", [rule([GROUP], ["v2"], ["widgets"])],
                               matchPolicy="Exact")])
        w = self.c.ok("POST", "/apis/%s/v1/namespaces/%s/widgets" % (GROUP, self.ns),
                      {"metadata": {"name": "w"}, "spec": {"color": "red", "size": 1}})
        # the webhook saw v2 and set spec.colour; the client reads v1
        self.assertEqual(w["spec"], {"color": "blue", "size": 1})
        self.assertNotIn("labels", w["metadata"])
        reviews = [r["request"] for _p, r in HOOK.requests if r["kind"] == "AdmissionReview"]
        self.assertEqual(len(reviews), 1)
        self.assertEqual((reviews[0]["kind"]["version"], reviews[0]["requestKind"]["version"],
                          reviews[0]["resource"]["version"], reviews[0]["requestResource"]["version"]),
                         ("v2", "v1", "v2", "v1"))
        self.assertEqual(reviews[0]["object"]["apiVersion"], GROUP + "/v2")
        self.assertEqual(reviews[0]["object"]["spec"], {"colour": "red", "size": 1})

    def test_failure_policy_timeout_and_denial(self):
        unmapped = webhook("gone.wh.example.com", "/x", [CM])
        unmapped["clientConfig"]["service"]["name"] = "gone"
        cfg = self.register([unmapped])
        st, out = self.cm("a")
        self.assertEqual((st, out["reason"]), (500, "InternalError"))
        self.assertEqual(out["message"], 'Internal error occurred: failed calling webhook "gone.wh.example.com": '
                                         'failed to call webhook: Post "https://gone.hook-system.svc:443/x?timeout=10s":'
                                         ' service "gone" not found')
        cfg["webhooks"][0]["failurePolicy"] = "Ignore"
        self.c.ok("PUT", self.configs[-1], cfg)
        self.assertEqual(self.cm("a")[0], 201)
        self.register([webhook("slow.wh.example.com", "/slow", [CM], timeoutSeconds=1)])
        t0 = time.monotonic()
        st, out = self.cm("b")
        self.assertLess(time.monotonic() - t0, 1.4)
        self.assertEqual(st, 500)
        self.assertTrue(out["message"].endswith('Post "https://hooks.hook-system.svc:443/slow?timeout=1s": context '
                                                'deadline exceeded'), out["message"])
        self.c.req("DELETE", self.configs.pop())
        self.register([webhook("deny.wh.example.com", "/deny", [CM])], mutating=False)
        st, out = self.cm("c")
        self.assertEqual((st, out["reason"], out["message"]), (422, "Invalid", 'admission webhook "deny.wh.example.com"'
                                                               ' denied the request: spec.x: Invalid value'))
        self.assertEqual(self.c.req("GET", "/api/v1/namespaces/%s/configmaps/c" % self.ns)[0], 404)

    def test_tls_is_verified_against_the_service_name_and_ca_bundle(self):
        wrong_ca = webhook("ca.wh.example.com", "/label-a", [CM])
        wrong_ca["clientConfig"]["caBundle"] = kdtest.base64_pem(K.d.ca_path)
        self.register([wrong_ca])
        st, out = self.cm("a")
        self.assertIn("x509: certificate signed by unknown authority", out["message"])
        self.c.req("DELETE", self.configs.pop())
        other = webhook("name.wh.example.com", "/label-a", [CM])
        other["clientConfig"]["service"]["name"] = "other"
        K.d.service_endpoints.map("hook-system/other:443=127.0.0.1:%d" % HOOK.port)
        self.register([other])
        st, out = self.cm("b")
        self.assertIn("certificate is not valid for other.hook-system.svc", out["message"])
        self.c.req("DELETE", self.configs.pop())
        by_url = webhook("url.wh.example.com", "/label-u", [CM])
        by_url["clientConfig"] = {"url": HOOK.url("/label-u"), "caBundle": HOOK.ca_bundle}
        self.register([by_url])
        self.assertEqual(self.cm("c")[1]["metadata"]["labels"], {"u": "x"})

    def test_review_versions_dry_run_reinvocation_and_order(self):
        self.register([webhook("b.wh.example.com", "/label-b", [CM], reinvocationPolicy="IfNeeded",
                               admissionReviewVersions=["v1beta1"])], name="a-first")
        self.register([webhook("c.wh.example.com", "/label-c", [CM])], name="b-second")
        st, out = self.cm("a", dry=True)
        self.assertEqual(out["metadata"]["labels"], {"b": "x", "c": "x"})
        self.assertEqual(self.called(), [("/label-b", "CREATE", "a"), ("/label-c", "CREATE", "a"),
                                         ("/label-b", "CREATE", "a")])  # b again: c changed the object after it
        first = HOOK.requests[0][1]
        self.assertEqual(first["apiVersion"], "admission.k8s.io/v1beta1")
        self.assertIs(first["request"]["dryRun"], True)
        self.assertEqual(self.c.req("GET", "/api/v1/namespaces/%s/configmaps/a" % self.ns)[0], 404)

    def test_webhook_configurations_are_exempt(self):
        self.register([webhook("all.wh.example.com", "/deny", [rule(["*"], ["*"], ["*"], ("*",))])], mutating=False)
        self.register([webhook("x.wh.example.com", "/deny", [CM])])  # not denied by the catch-all
        self.assertEqual(len(self.configs), 2)
        self.assertEqual(self.cm("a")[0], 422)


if __name__ == "__main__":
    unittest.main()

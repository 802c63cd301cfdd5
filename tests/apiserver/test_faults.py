"""Self-tests of the double's fault rules that name verbs and resources or fire after a commit,
and of where a watch or list may start (watchcache.py).

Run: cd tests/apiserver && python3 -m unittest -v test_faults
It shares test_lifecycle's module fixture (its own double)."""

import threading
import unittest

import test_kubedouble as base
from test_kubedouble import Watch, pod
from test_lifecycle import Base, setUpModule, tearDownModule  # noqa: F401  (the module fixture)


class FaultBase(Base):
    def faults(self, spec):
        st, out = self.c.req("POST", "/_double/faults", spec)
        self.assertEqual(st, 200, out)
        return out

    def writes_since(self, seq):
        return self.c.req("GET", "/_double/writes?since=%d" % seq)[1]["items"]

    def last_seq(self):
        items = self.c.req("GET", "/_double/writes")[1]["items"]
        return items[-1]["seq"] if items else 0


class TestFailRules(FaultBase):
    def test_commit_then_504(self):
        leases = "/apis/coordination.k8s.io/v1/namespaces/%s/leases" % self.ns
        self.faults({"failNext": {"afterCommit": True, "verbs": ["create"], "resource": "leases.coordination.k8s.io"}})
        seq = self.last_seq()
        self.assertEqual(self.c.req("POST", self.pods, pod("p"))[0], 201)  # other resources: untouched
        st, out = self.c.req("POST", leases, {"metadata": {"name": "l"}, "spec": {"holderIdentity": "a"}})
        self.assertEqual((st, out["reason"], out["message"]), (504, "Timeout", "Timeout: request did not complete "
                         "within requested timeout - context deadline exceeded"))
        st, got = self.c.req("GET", leases + "/l")
        self.assertEqual((st, got["spec"]["holderIdentity"]), (200, "a"))  # it was committed
        w = self.writes_since(seq)[-1]
        self.assertEqual((w["verb"], w["code"], w["committed"], w["resourceVersion"]),
                         ("create", 504, True, got["metadata"]["resourceVersion"]))
        st, out = self.c.req("POST", leases, {"metadata": {"name": "l"}})  # the client's retry
        self.assertEqual((st, out["reason"]), (409, "AlreadyExists"))
        self.assertEqual(self.c.req("GET", "/_double/faults")[1]["failNext"], [])

    def test_commit_then_fail_on_a_status_subresource(self):
        wl = "/apis/kueue.x-k8s.io/v1beta2/namespaces/%s/workloads" % self.ns
        st, obj = self.c.req("POST", wl, {"metadata": {"name": "w"}, "spec": {"podSets": [
            {"name": "main", "count": 1, "template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}]}})
        self.assertEqual(st, 201, obj)
        self.faults({"failNext": {"afterCommit": True, "code": 500, "count": 2, "subresource": "status",
                                  "methods": ["PATCH"]}})
        patch = {"status": {"conditions": [{"type": "QuotaReserved", "status": "True", "reason": "QuotaReserved",
                                            "message": "m", "lastTransitionTime": "2024-01-01T00:00:00Z"}]}}
        st, _ = self.c.req("PATCH", wl + "/w", {"metadata": {"labels": {"a": "b"}}},
                           ctype="application/merge-patch+json")
        self.assertEqual(st, 200)  # the main resource is not matched
        for _ in range(2):
            st, out = self.c.req("PATCH", wl + "/w/status", patch, ctype="application/merge-patch+json")
            self.assertEqual((st, out["reason"]), (500, "InternalError"))
        self.assertEqual(self.c.req("GET", wl + "/w")[1]["status"]["conditions"][0]["type"], "QuotaReserved")
        self.assertEqual(self.c.req("PATCH", wl + "/w/status", patch, ctype="application/merge-patch+json")[0], 200)

    def test_rule_by_verb_fails_before_anything_is_done(self):
        self.c.req("POST", self.pods, pod("keep"))
        self.faults({"failNext": {"code": 503, "verbs": ["delete"], "resource": "pods"}})
        self.assertEqual(self.c.req("GET", self.pods + "/keep")[0], 200)
        st, out = self.c.req("DELETE", self.pods + "/keep")
        self.assertEqual((st, out["reason"]), (503, "ServiceUnavailable"))
        self.assertEqual(self.c.req("GET", self.pods + "/keep")[0], 200)

    def test_bad_rules_are_refused(self):
        for bad in ({"afterCommit": True, "code": 429}, {"verbs": ["frobnicate"]}, {"count": 0},
                    {"afterCommit": "yes"}):
            st, out = self.c.req("POST", "/_double/faults", {"failNext": bad})
            self.assertEqual((st, out["reason"]), (400, "BadRequest"), bad)


class TestWatchCache(FaultBase):
    def patch_n(self, name, n):
        for i in range(n):
            self.c.req("PATCH", "%s/%s" % (self.pods, name), {"metadata": {"labels": {"i": str(i)}}},
                       ctype="application/merge-patch+json")

    def watch_first(self, rv):
        w = Watch(self.pods + "?watch=1&resourceVersion=%s" % rv)
        try:
            return w.status, w.next()
        finally:
            w.close()

    def test_oldest_resumable_version_is_one_before_the_oldest_kept_event(self):
        st, p = self.c.req("POST", self.pods, pod("h"))
        self.patch_n("h", 60)  # the window of this double is 50 events per resource
        st, ev = self.watch_first(p["metadata"]["resourceVersion"])
        self.assertEqual((st, ev["type"], ev["object"]["code"], ev["object"]["reason"]), (200, "ERROR", 410, "Expired"))
        floor = int(ev["object"]["message"].rsplit("(", 1)[1].rstrip(")"))
        self.assertEqual(ev["object"]["message"], "too old resource version: %s (%d)"
                         % (p["metadata"]["resourceVersion"], floor))
        st, ev = self.watch_first(floor)  # from the floor itself: the oldest kept event comes first
        self.assertEqual((ev["type"], ev["object"]["metadata"]["resourceVersion"]), ("MODIFIED", str(floor + 1)))
        st, ev = self.watch_first(floor - 1)
        self.assertEqual(ev["object"]["message"], "too old resource version: %d (%d)" % (floor - 1, floor))

    def test_continue_tokens_outlive_the_watch_window(self):
        self.c.req("POST", self.pods, pod("c1"))
        self.c.req("POST", self.pods, pod("c2"))
        st, page = self.c.req("GET", self.pods + "?limit=1")
        self.patch_n("c1", 60)
        st, rest = self.c.req("GET", self.pods + "?limit=1&continue=" + page["metadata"]["continue"])
        self.assertEqual((st, [i["metadata"]["name"] for i in rest["items"]]), (200, ["c2"]))

    def test_a_cache_starts_at_its_creation(self):
        crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        group = "%s.example.com" % self.ns
        crd = {"metadata": {"name": "gadgets." + group}, "spec": {
            "group": group, "scope": "Namespaced", "names": {"plural": "gadgets", "kind": "Gadget"},
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}
        st, made = self.c.req("POST", crds, crd)
        self.assertEqual(st, 201, made)
        self.addCleanup(base.once, "DELETE", crds + "/gadgets." + group)
        start = int(made["metadata"]["resourceVersion"])
        path = "/apis/%s/v1/namespaces/%s/gadgets?watch=1&timeoutSeconds=1&resourceVersion=" % (group, self.ns)
        w = Watch(path + str(start - 1))
        try:
            ev = w.next()
            self.assertEqual(ev["object"]["message"], "too old resource version: %d (%d)" % (start - 1, start))
        finally:
            w.close()
        w = Watch(path + str(start))
        try:
            self.assertIsNone(w.next(timeout=3))  # no error: the stream just times out
        finally:
            w.close()

    def test_too_large_resource_version(self):
        self.faults({"resourceVersionWaitSeconds": 0.2})
        self.addCleanup(base.once, "POST", "/_double/faults", body={"resourceVersionWaitSeconds": 3})
        cur = int(self.c.req("GET", self.pods)[1]["metadata"]["resourceVersion"])
        st, ev = self.watch_first(cur + 1000)
        self.assertEqual((st, ev["type"]), (200, "ERROR"))
        obj = ev["object"]
        self.assertEqual((obj["code"], obj["reason"]), (504, "Timeout"))
        self.assertTrue(obj["message"].startswith("Timeout: Too large resource version: %d, current: " % (cur + 1000)))
        self.assertEqual(obj["details"], {"causes": [{"reason": "ResourceVersionTooLarge",
                                                      "message": "Too large resource version"}],
                                          "retryAfterSeconds": 1})
        st, out = self.c.req("GET", self.pods + "?resourceVersion=%d" % (cur + 1000))
        self.assertEqual((st, out["reason"]), (504, "Timeout"))
        # a version that arrives within the wait is served
        self.faults({"resourceVersionWaitSeconds": 3})
        cur = int(self.c.req("GET", self.pods)[1]["metadata"]["resourceVersion"])
        t = threading.Timer(0.2, base.once, ("POST", self.pods), {"body": pod("late")})
        t.start()
        try:
            st, ev = self.watch_first(cur)
        finally:
            t.join()
        self.assertEqual((st, ev["type"], ev["object"]["metadata"]["name"]), (200, "ADDED", "late"))


if __name__ == "__main__":
    unittest.main()

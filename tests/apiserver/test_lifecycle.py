"""Self-tests of the double's object lifecycle as kube-apiserver and kube-controller-manager
run it: pods/binding, graceful pod deletion and the stand-in kubelet, deletion with
propagationPolicy and garbage collection, the Priority admission plugin, preconditions.

Run: cd tests/apiserver && python3 -m unittest -v test_lifecycle
It starts its own double with test_kubedouble's fixture and reuses its helpers."""

import time
import unittest

import test_kubedouble as base
from test_kubedouble import Client, Watch, new_ns, pod


def setUpModule():
    base.setUpModule()


def tearDownModule():
    base.tearDownModule()


def binding(name, node, **meta):
    m = {"name": name}
    m.update(meta)
    return {"apiVersion": "v1", "kind": "Binding", "metadata": m,
            "target": {"apiVersion": "v1", "kind": "Node", "name": node}}


def wait_for(pred, timeout=3.0, step=0.01):
    """Poll pred() until it is truthy; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


class Base(unittest.TestCase):
    def setUp(self):
        self.c = Client()
        self.ns = new_ns(self.c)
        self.pods = "/api/v1/namespaces/%s/pods" % self.ns

    def tearDown(self):
        self.c.req("DELETE", "/_double/faults")
        self.c.close()

    def create_pod(self, name, **spec):
        p = pod(name)
        p["spec"].update(spec)
        st, out = self.c.req("POST", self.pods, p)
        self.assertEqual(st, 201, out)
        return out

    def get(self, path):
        return self.c.req("GET", path)


class TestBinding(Base):
    def bind(self, name, node, **meta):
        return self.c.req("POST", "%s/%s/binding" % (self.pods, name), binding(name, node, **meta))

    def test_binds_and_copies_annotations(self):
        p = self.create_pod("a", schedulerName="raygate")
        st, out = self.bind("a", "n1", uid=p["metadata"]["uid"], resourceVersion=p["metadata"]["resourceVersion"],
                            annotations={"raygate.dev/placement": "n1"})
        self.assertEqual((st, out["kind"], out["status"], out["code"]), (201, "Status", "Success", 201))
        got = self.get(self.pods + "/a")[1]
        self.assertEqual(got["spec"]["nodeName"], "n1")
        self.assertEqual(got["metadata"]["annotations"], {"raygate.dev/placement": "n1"})
        cond = [c for c in got["status"]["conditions"] if c["type"] == "PodScheduled"]
        self.assertEqual([c["status"] for c in cond], ["True"])
        st, out = self.bind("a", "n2")
        self.assertEqual((st, out["reason"]), (409, "Conflict"))
        self.assertEqual(out["message"], 'Operation cannot be fulfilled on pods/binding "a": '
                                         'pod a is already assigned to node "n1"')
        self.assertEqual(out["details"], {"name": "a", "kind": "pods/binding"})

    def test_uid_and_resource_version_preconditions(self):
        p = self.create_pod("b")
        st, out = self.bind("b", "n1", uid="0000-not-the-uid")
        self.assertEqual((st, out["reason"]), (409, "Conflict"))
        self.assertEqual(out["message"], 'Operation cannot be fulfilled on pods "b": StorageError: invalid object, '
                         'Code: 4, Key: /registry/pods/%s/b, ResourceVersion: 0, AdditionalErrorMsg: Precondition '
                         'failed: UID in precondition: 0000-not-the-uid, UID in object meta: %s'
                         % (self.ns, p["metadata"]["uid"]))
        self.assertEqual(out["details"]["kind"], "pods")
        st, out = self.bind("b", "n1", uid=p["metadata"]["uid"], resourceVersion="1")
        self.assertEqual(st, 409)
        self.assertIn("Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: %s"
                      % p["metadata"]["resourceVersion"], out["message"])
        self.assertNotIn("nodeName", self.get(self.pods + "/b")[1]["spec"])

    def test_refusals(self):
        self.create_pod("g", schedulingGates=[{"name": "raygate.dev/gang"}])
        st, out = self.bind("g", "n1")
        self.assertEqual((st, out["reason"]), (409, "Conflict"))
        self.assertEqual(out["message"], 'Operation cannot be fulfilled on pods/binding "g": '
                                         'pod g has non-empty .spec.schedulingGates')
        st, out = self.c.req("POST", self.pods + "/g/binding", binding("other", "n1"))
        self.assertEqual((st, out["reason"], out["message"]),
                         (400, "BadRequest", "name in URL does not match name in Binding object"))
        st, out = self.bind("missing", "n1")
        self.assertEqual((st, out["reason"], out["message"]), (404, "NotFound", 'pods "missing" not found'))
        st, out = self.c.req("POST", self.pods + "/g/binding",
                             {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "g"}, "target": {}})
        # ValidatePodBinding's error is not a StatusError upstream: 500 with no reason.
        self.assertEqual((st, out.get("reason", ""), out["message"]), (500, "", "target.name: Required value"))
        b = binding("g", "n1")
        b["metadata"]["namespace"] = "elsewhere"
        self.assertEqual(self.c.req("POST", self.pods + "/g/binding", b)[0], 400)

    def test_dry_run_changes_nothing(self):
        p = self.create_pod("d")
        st, out = self.c.req("POST", self.pods + "/d/binding?dryRun=All",
                             binding("d", "n1", annotations={"k": "v"}))
        self.assertEqual((st, out["status"]), (201, "Success"))
        got = self.get(self.pods + "/d")[1]
        self.assertEqual(got["metadata"]["resourceVersion"], p["metadata"]["resourceVersion"])
        self.assertNotIn("nodeName", got["spec"])
        # and a dry run still reports the refusals
        self.assertEqual(self.c.req("POST", self.pods + "/d/binding?dryRun=All", binding("d", "n1", uid="x"))[0], 409)


PCS = "/apis/scheduling.k8s.io/v1/priorityclasses"


class TestPriorityAdmission(Base):
    def pc(self, name, value, **kw):
        body = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
                "value": value}
        body.update(kw)
        st, out = self.c.req("POST", PCS, body)
        if st == 201:
            self.addCleanup(base.once, "DELETE", PCS + "/" + name)
        return st, out

    def test_priority_from_class_default_and_zero(self):
        st, _ = self.c.req("POST", self.pods, pod("zero"))
        got = self.get(self.pods + "/zero")[1]["spec"]
        self.assertEqual((got["priority"], "priorityClassName" in got, "preemptionPolicy" in got), (0, False, False))
        self.assertEqual(got["terminationGracePeriodSeconds"], 30)
        st, c = self.pc("hi-" + self.ns, 1000, preemptionPolicy="Never")
        self.assertEqual(st, 201)
        p = pod("hi")
        p["spec"]["priorityClassName"] = "hi-" + self.ns
        st, out = self.c.req("POST", self.pods, p)
        self.assertEqual((st, out["spec"]["priority"], out["spec"]["preemptionPolicy"]), (201, 1000, "Never"))
        st, d = self.pc("dflt-" + self.ns, 7, globalDefault=True)
        self.assertEqual((st, d["preemptionPolicy"]), (201, "PreemptLowerPriority"))
        st, out = self.c.req("POST", self.pods, pod("d"))
        self.assertEqual((out["spec"]["priorityClassName"], out["spec"]["priority"],
                          out["spec"]["preemptionPolicy"]), ("dflt-" + self.ns, 7, "PreemptLowerPriority"))
        # an update that leaves priority out keeps it (the plugin restores it)
        out["spec"].pop("priority")
        st, upd = self.c.req("PUT", self.pods + "/d", out)
        self.assertEqual((st, upd["spec"]["priority"]), (200, 7))
        # a second default is refused
        st, out = self.pc("dflt2-" + self.ns, 8, globalDefault=True)
        self.assertEqual((st, out["reason"]), (403, "Forbidden"))
        self.assertEqual(out["message"], 'priorityclasses.scheduling.k8s.io "dflt2-%s" is forbidden: PriorityClass '
                         'dflt-%s is already marked as default. Only one default can exist' % (self.ns, self.ns))

    def test_unknown_class_and_contradicting_priority_are_forbidden(self):
        p = pod("x")
        p["spec"]["priorityClassName"] = "nope"
        st, out = self.c.req("POST", self.pods, p)
        self.assertEqual((st, out["reason"], out["message"]),
                         (403, "Forbidden", 'pods "x" is forbidden: no PriorityClass with name nope was found'))
        self.assertEqual(out["details"], {"name": "x", "kind": "pods"})
        p = pod("")
        p["metadata"] = {"generateName": "gen-"}
        p["spec"]["priorityClassName"] = "nope"
        self.assertIn('pods "gen-" is forbidden', self.c.req("POST", self.pods, p)[1]["message"])
        p = pod("y")
        p["spec"].update(priorityClassName="system-cluster-critical", priority=5)
        st, out = self.c.req("POST", self.pods, p)
        self.assertEqual((st, out["message"]), (403, 'pods "y" is forbidden: the integer value of priority (5) must '
                         'not be provided in pod spec; priority admission controller computed 2000000000 from the '
                         'given PriorityClass name'))
        p["spec"].update(priority=2000000000, preemptionPolicy="Never")
        st, out = self.c.req("POST", self.pods, p)
        self.assertEqual((st, out["message"]), (403, 'pods "y" is forbidden: the string value of PreemptionPolicy '
                         '(Never) must not be provided in pod spec; priority admission controller computed '
                         'PreemptLowerPriority from the given PriorityClass name'))
        self.assertEqual(self.get(self.pods + "/y")[0], 404)

    def test_priority_class_validation(self):
        st, out = self.pc("system-mine", 5)
        self.assertEqual((st, out["reason"]), (422, "Invalid"))
        self.assertIn("metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system "
                      "use only. error: system-mine is not a known system priority class", out["message"])
        st, out = self.pc("big-" + self.ns, 1000000001)
        self.assertIn("value: Forbidden: maximum allowed value of a user defined priority is 1000000000",
                      out["message"])
        st, c = self.pc("imm-" + self.ns, 10)
        c["value"] = 11
        st, out = self.c.req("PUT", PCS + "/imm-" + self.ns, c)
        self.assertEqual((st, out["reason"]), (422, "Invalid"))
        self.assertIn("value: Forbidden: may not be changed in an update.", out["message"])


LEASES = "/apis/coordination.k8s.io/v1/namespaces/%s/leases"


def lease(name, owners=(), finalizers=None):
    meta = {"name": name}
    if owners:
        meta["ownerReferences"] = list(owners)
    if finalizers:
        meta["finalizers"] = finalizers
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta, "spec": {}}


def owner_ref(obj, block=None, **over):
    ref = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
           "uid": obj["metadata"]["uid"]}
    if block is not None:
        ref["blockOwnerDeletion"] = block
    ref.update(over)
    return ref


class LeaseBase(Base):
    """Leases make plain owners and dependents (no webhooks, no schema)."""

    def setUp(self):
        super().setUp()
        self.leases = LEASES % self.ns

    def mk(self, name, **kw):
        st, out = self.c.req("POST", self.leases, lease(name, **kw))
        self.assertEqual(st, 201, out)
        return out


class TestDeletion(LeaseBase):
    def test_options_are_validated(self):
        self.mk("v")
        st, out = self.c.req("DELETE", self.leases + "/v", {"propagationPolicy": "Sideways"})
        self.assertEqual((st, out["reason"]), (422, "Invalid"))
        self.assertEqual(out["message"], 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported '
                         'value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"')
        st, out = self.c.req("DELETE", self.leases + "/v?propagationPolicy=Orphan&orphanDependents=true")
        self.assertEqual((st, out["reason"]), (422, "Invalid"))
        self.assertIn("orphanDependents and deletionPropagation cannot be both set", out["message"])
        self.assertEqual(self.c.req("DELETE", self.leases + "/v?gracePeriodSeconds=x")[0], 400)
        self.assertEqual(self.get(self.leases + "/v")[0], 200)

    def test_preconditions(self):
        v = self.mk("p")
        st, out = self.c.req("DELETE", self.leases + "/p", {"preconditions": {"uid": "not-it"}})
        self.assertEqual((st, out["reason"]), (409, "Conflict"))
        self.assertEqual(out["message"], 'Operation cannot be fulfilled on Lease.coordination.k8s.io "p": the UID in '
                         'the precondition (not-it) does not match the UID in record (%s). The object might have been '
                         'deleted and then recreated' % v["metadata"]["uid"])
        st, out = self.c.req("DELETE", self.leases + "/p", {"preconditions": {"resourceVersion": "1"}})
        self.assertEqual(out["message"], 'Operation cannot be fulfilled on Lease.coordination.k8s.io "p": the '
                         'ResourceVersion in the precondition (1) does not match the ResourceVersion in record (%s). '
                         'The object might have been modified' % v["metadata"]["resourceVersion"])
        st, out = self.c.req("DELETE", self.leases + "/p", {"preconditions": {
            "uid": v["metadata"]["uid"], "resourceVersion": v["metadata"]["resourceVersion"]}})
        self.assertEqual((st, out["kind"], out["status"], out["details"]["uid"]),
                         (200, "Status", "Success", v["metadata"]["uid"]))

    def test_finalizers_keep_the_object_and_it_is_answered(self):
        v = self.mk("f", finalizers=["example.com/keep"])
        st, out = self.c.req("DELETE", self.leases + "/f")
        # not deleted at once: the answer is the object itself, even for a kind that answers a Status
        self.assertEqual((st, out["kind"], out["metadata"]["deletionGracePeriodSeconds"]), (200, "Lease", 0))
        self.assertTrue(out["metadata"]["deletionTimestamp"])
        self.assertEqual(out["metadata"]["generation"], v["metadata"]["generation"] + 1)
        st, again = self.c.req("DELETE", self.leases + "/f")
        self.assertEqual((st, again["metadata"]["resourceVersion"]), (200, out["metadata"]["resourceVersion"]))
        st, dup = self.c.req("POST", self.leases, lease("f"))
        self.assertEqual((st, dup["reason"], dup["message"]), (409, "AlreadyExists", 'object is being deleted: '
                         'leases.coordination.k8s.io "f" already exists'))
        st, upd = self.c.req("PATCH", self.leases + "/f", {"metadata": {"labels": {"x": "y"}}},
                             ctype="application/merge-patch+json")
        self.assertEqual((st, upd["metadata"]["deletionTimestamp"]), (200, out["metadata"]["deletionTimestamp"]))
        st, _ = self.c.req("PATCH", self.leases + "/f", {"metadata": {"finalizers": None}},
                           ctype="application/merge-patch+json")
        self.assertEqual((st, self.get(self.leases + "/f")[0]), (200, 404))

    def test_dry_run_deletes_nothing(self):
        self.mk("d")
        st, out = self.c.req("DELETE", self.leases + "/d?dryRun=All")
        self.assertEqual((st, out["status"]), (200, "Success"))
        st, out = self.c.req("DELETE", self.leases + "/d", {"dryRun": ["All"], "propagationPolicy": "Foreground"})
        self.assertEqual((st, out["metadata"]["finalizers"]), (200, ["foregroundDeletion"]))
        got = self.get(self.leases + "/d")[1]
        self.assertNotIn("deletionTimestamp", got["metadata"])


class TestGracefulPodDeletion(Base):
    def bound(self, name, node="n1", **spec):
        self.create_pod(name, **spec)
        st, out = self.c.req("POST", "%s/%s/binding" % (self.pods, name), binding(name, node))
        self.assertEqual(st, 201, out)
        return self.get(self.pods + "/" + name)[1]

    def test_a_bound_pod_terminates_until_the_kubelet_removes_it(self):
        self.c.req("POST", "/_double/faults", {"podTermination": "hold"})
        p = self.bound("t")
        w = Watch(self.pods + "?watch=1&resourceVersion=" + p["metadata"]["resourceVersion"])
        try:
            st, out = self.c.req("DELETE", self.pods + "/t")
            self.assertEqual((st, out["kind"], out["metadata"]["deletionGracePeriodSeconds"]), (200, "Pod", 30))
            self.assertEqual(out["metadata"]["generation"], p["metadata"]["generation"] + 1)
            ev = w.next()
            self.assertEqual((ev["type"], ev["object"]["metadata"]["deletionTimestamp"]),
                             ("MODIFIED", out["metadata"]["deletionTimestamp"]))
            self.assertEqual(self.get(self.pods + "/t")[0], 200)  # Terminating: still there
            st, again = self.c.req("DELETE", self.pods + "/t", {"gracePeriodSeconds": 60})  # longer: ignored
            self.assertEqual((st, again["metadata"]["resourceVersion"]), (200, out["metadata"]["resourceVersion"]))
            st, _ = self.c.req("PATCH", self.pods + "/t/status", {"status": {"phase": "Running"}},
                               ctype="application/merge-patch+json")
            self.assertEqual((st, self.get(self.pods + "/t")[0]), (200, 200))  # a status write does not delete it
            self.assertEqual(w.next()["type"], "MODIFIED")
            seq = self.c.req("GET", "/_double/writes")[1]["items"][-1]["seq"]
            st, out = self.c.req("POST", "/_double/pods/finish-termination", {"namespace": self.ns})
            self.assertEqual((st, out["finished"]), (200, ["%s/t" % self.ns]))
            ev = w.next()
            self.assertEqual((ev["type"], ev["object"]["metadata"]["deletionGracePeriodSeconds"]), ("MODIFIED", 0))
            self.assertEqual(w.next()["type"], "DELETED")
            self.assertEqual(self.get(self.pods + "/t")[0], 404)
            log = self.c.req("GET", "/_double/writes?since=%d" % seq)[1]["items"]
            self.assertEqual([(x["user"], x["verb"], x["code"]) for x in log], [("system:node:n1", "delete", 200)])
        finally:
            w.close()

    def test_grace_period_then_removed(self):
        self.bound("g", terminationGracePeriodSeconds=1)
        t0 = time.monotonic()
        st, out = self.c.req("DELETE", self.pods + "/g")
        self.assertEqual(out["metadata"]["deletionGracePeriodSeconds"], 1)  # from the pod's spec
        self.assertTrue(wait_for(lambda: self.get(self.pods + "/g")[0] == 404, timeout=5))
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        self.bound("h")
        st, out = self.c.req("DELETE", self.pods + "/h?gracePeriodSeconds=1")  # the request's, from the query
        self.assertEqual(out["metadata"]["deletionGracePeriodSeconds"], 1)
        self.assertTrue(wait_for(lambda: self.get(self.pods + "/h")[0] == 404, timeout=5))

    def test_hold_then_release(self):
        self.c.req("POST", "/_double/faults", {"podTermination": "hold"})
        self.bound("k", terminationGracePeriodSeconds=1)
        self.c.req("DELETE", self.pods + "/k")
        time.sleep(1.3)
        self.assertEqual(self.get(self.pods + "/k")[0], 200)
        self.assertEqual(self.c.req("GET", "/_double/faults")[1]["podTermination"], "hold")
        self.c.req("POST", "/_double/faults", {"podTermination": "run"})
        self.assertTrue(wait_for(lambda: self.get(self.pods + "/k")[0] == 404))

    def test_immediate_cases(self):
        self.c.req("POST", "/_double/faults", {"podTermination": "hold"})
        self.create_pod("u")  # on no node: at once
        self.assertEqual(self.c.req("DELETE", self.pods + "/u")[0], 200)
        self.assertEqual(self.get(self.pods + "/u")[0], 404)
        self.bound("z")  # a second DELETE with gracePeriodSeconds 0 (a force delete): at once
        self.c.req("DELETE", self.pods + "/z")
        st, out = self.c.req("DELETE", self.pods + "/z", {"gracePeriodSeconds": 0})
        self.assertEqual((st, out["metadata"]["deletionGracePeriodSeconds"]), (200, 0))
        self.assertEqual(self.get(self.pods + "/z")[0], 404)
        self.bound("s")  # already Succeeded: at once
        self.c.req("PATCH", self.pods + "/s/status", {"status": {"phase": "Succeeded"}},
                   ctype="application/merge-patch+json")
        self.c.req("DELETE", self.pods + "/s")
        self.assertEqual(self.get(self.pods + "/s")[0], 404)
        self.bound("b")
        self.c.req("DELETE", self.pods + "/b")
        st, out = self.c.req("POST", self.pods + "/b/binding", binding("b", "n2"))
        self.assertEqual(st, 409)  # already bound (and being deleted)


class TestGarbageCollection(LeaseBase):
    def gone(self, path, timeout=3.0):
        return wait_for(lambda: self.get(path)[0] == 404, timeout)

    def test_background_is_the_default(self):
        o = self.mk("o")
        self.mk("d1", owners=[owner_ref(o)])
        p = pod("p1")
        p["metadata"]["ownerReferences"] = [owner_ref(o, block=True)]
        self.assertEqual(self.c.req("POST", self.pods, p)[0], 201)
        self.mk("kept", finalizers=["example.com/keep"], owners=[owner_ref(o)])
        seq = self.c.req("GET", "/_double/writes")[1]["items"][-1]["seq"]
        t0 = time.monotonic()
        st, out = self.c.req("DELETE", self.leases + "/o")
        self.assertEqual((st, out["kind"]), (200, "Status"))
        self.assertEqual(self.get(self.leases + "/o")[0], 404)  # the owner goes at once
        self.assertTrue(self.gone(self.leases + "/d1"))
        self.assertTrue(self.gone(self.pods + "/p1"))
        self.assertLess(time.monotonic() - t0, 1.0)
        kept = wait_for(lambda: self.get(self.leases + "/kept")[1]["metadata"].get("deletionTimestamp"))
        self.assertTrue(kept)  # a dependent's own finalizers are respected
        log = [x for x in self.c.req("GET", "/_double/writes?since=%d" % seq)[1]["items"] if x["verb"] == "delete"]
        gc_user = "system:serviceaccount:kube-system:generic-garbage-collector"
        self.assertEqual(sorted((x["name"], x["user"]) for x in log if x["user"] == gc_user),
                         [("d1", gc_user), ("kept", gc_user), ("p1", gc_user)])

    def test_dangling_references_are_collected_or_removed(self):
        o = self.mk("owner")
        self.mk("ghost", owners=[owner_ref(o, uid="11111111-2222-3333-4444-555555555555")])  # wrong uid
        self.mk("orphaned", owners=[{"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "name": "never",
                                     "uid": "66666666-2222-3333-4444-555555555555"}])
        self.mk("mixed", owners=[owner_ref(o), {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                               "name": "never", "uid": "77777777-2222-3333-4444-555555555555"}])
        self.mk("unknown", owners=[{"apiVersion": "example.com/v1", "kind": "Nope", "name": "n",
                                    "uid": "88888888-2222-3333-4444-555555555555"}])
        self.assertTrue(self.gone(self.leases + "/ghost"))
        self.assertTrue(self.gone(self.leases + "/orphaned"))
        refs = wait_for(lambda: len(self.get(self.leases + "/mixed")[1]["metadata"]["ownerReferences"]) == 1)
        self.assertTrue(refs)
        self.assertEqual(self.get(self.leases + "/mixed")[1]["metadata"]["ownerReferences"], [owner_ref(o)])
        time.sleep(0.2)
        self.assertEqual(self.get(self.leases + "/unknown")[0], 200)  # an unresolvable kind: left alone

    def test_foreground_waits_for_blocking_dependents(self):
        self.c.req("POST", "/_double/faults", {"podTermination": "hold"})
        o = self.mk("fo")
        self.mk("blocking", finalizers=["example.com/keep"], owners=[owner_ref(o, block=True)])
        self.mk("loose", owners=[owner_ref(o, block=False)])
        p = pod("worker")
        p["metadata"]["ownerReferences"] = [owner_ref(o, block=True)]
        self.c.req("POST", self.pods, p)
        self.c.req("POST", self.pods + "/worker/binding", binding("worker", "n1"))
        st, out = self.c.req("DELETE", self.leases + "/fo", {"propagationPolicy": "Foreground"})
        self.assertEqual((st, out["kind"], out["metadata"]["finalizers"]), (200, "Lease", ["foregroundDeletion"]))
        self.assertTrue(out["metadata"]["deletionTimestamp"])
        self.assertTrue(self.gone(self.leases + "/loose"))  # every dependent is deleted ...
        self.assertTrue(wait_for(lambda: self.get(self.leases + "/blocking")[1]["metadata"].get("deletionTimestamp")))
        self.assertTrue(wait_for(lambda: self.get(self.pods + "/worker")[1]["metadata"].get("deletionTimestamp")))
        time.sleep(0.2)
        self.assertEqual(self.get(self.leases + "/fo")[0], 200)  # ... and the owner waits for the blocking ones
        self.c.req("PATCH", self.leases + "/blocking", {"metadata": {"finalizers": None}},
                   ctype="application/merge-patch+json")
        self.assertTrue(self.gone(self.leases + "/blocking"))
        time.sleep(0.2)
        self.assertEqual(self.get(self.leases + "/fo")[0], 200)  # the Terminating pod still blocks
        self.c.req("POST", "/_double/pods/finish-termination", {"namespace": self.ns, "name": "worker"})
        self.assertTrue(self.gone(self.leases + "/fo"))

    def test_owner_references_and_finalizers_are_validated(self):
        o = self.mk("vo")
        for refs, want in (([dict(owner_ref(o), uid="")], 'metadata.ownerReferences.uid: Invalid value: "": must '
                            'not be empty'),
                           ([dict(owner_ref(o), apiVersion="coordination.k8s.io/")],
                            "metadata.ownerReferences.apiVersion: Invalid value"),
                           ([owner_ref(o, controller=True), owner_ref(o, controller=True, name="x")],
                            'Only one reference can have Controller set to true. Found "true" in references for '
                            'Lease/vo and Lease/x')):
            st, out = self.c.req("POST", self.leases, lease("bad", owners=refs))
            self.assertEqual((st, out["reason"]), (422, "Invalid"), refs)
            self.assertIn(want, out["message"])
        st, out = self.c.req("POST", self.leases, lease("bad", finalizers=["orphan", "foregroundDeletion"]))
        self.assertIn("finalizer orphan and foregroundDeletion cannot be both set", out["message"])
        st, out = self.c.req("POST", self.leases, lease("bad", finalizers="orphan"))
        self.assertEqual(st, 400)

    def test_orphan_removes_the_references(self):
        o = self.mk("oo")
        d = self.mk("child", owners=[owner_ref(o, block=True)])
        st, out = self.c.req("DELETE", self.leases + "/oo?propagationPolicy=Orphan")
        self.assertEqual((st, out["metadata"]["finalizers"]), (200, ["orphan"]))
        self.assertTrue(self.gone(self.leases + "/oo"))
        child = self.get(self.leases + "/child")[1]
        self.assertNotIn("ownerReferences", child["metadata"])
        self.assertEqual(child["metadata"]["uid"], d["metadata"]["uid"])

    def test_custom_resources_and_namespace_scope(self):
        rc = dict(base.RC, metadata={"name": "rc"})
        st, owner = self.c.req("POST", "/apis/ray.io/v1/namespaces/%s/rayclusters" % self.ns, rc)
        self.assertEqual(st, 201, owner)
        other = new_ns(self.c)
        wl = {"metadata": {"name": "wl", "ownerReferences": [owner_ref(owner, block=True, controller=True)]},
              "spec": {"podSets": [{"name": "head", "count": 1, "template": {"spec": {"containers": [
                  {"name": "c", "image": "x"}]}}}]}}
        path = "/apis/kueue.x-k8s.io/v1beta2/namespaces/%s/workloads"
        self.assertEqual(self.c.req("POST", path % self.ns, wl)[0], 201)
        self.assertEqual(self.c.req("POST", path % other, wl)[0], 201)  # its owner is not in that namespace
        self.assertTrue(self.gone(path % other + "/wl"))
        time.sleep(0.1)
        self.assertEqual(self.get(path % self.ns + "/wl")[0], 200)
        self.c.req("DELETE", "/apis/ray.io/v1/namespaces/%s/rayclusters/rc" % self.ns)
        self.assertTrue(self.gone(path % self.ns + "/wl"))


class TestUpdatePreconditionsAndStatus(Base):
    """What the admitter relies on when it writes a Workload's status."""

    def setUp(self):
        super().setUp()
        self.wl = "/apis/kueue.x-k8s.io/v1beta2/namespaces/%s/workloads" % self.ns
        st, self.obj = self.c.req("POST", self.wl, {"metadata": {"name": "w"}, "spec": {"podSets": [
            {"name": "main", "count": 1, "template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}]}})
        self.assertEqual(st, 201, self.obj)

    def test_uid_in_the_body_is_a_precondition(self):
        stale = dict(self.obj, metadata=dict(self.obj["metadata"]))
        self.c.req("DELETE", self.wl + "/w")
        st, again = self.c.req("POST", self.wl, {"metadata": {"name": "w"}, "spec": self.obj["spec"]})
        stale["metadata"]["resourceVersion"] = again["metadata"]["resourceVersion"]  # only the uid is stale
        for path in (self.wl + "/w", self.wl + "/w/status"):
            st, out = self.c.req("PUT", path, stale)
            self.assertEqual((st, out["reason"]), (409, "Conflict"), path)
            self.assertEqual(out["message"], 'Operation cannot be fulfilled on workloads.kueue.x-k8s.io "w": '
                             'StorageError: invalid object, Code: 4, Key: /registry/kueue.x-k8s.io/workloads/%s/w, '
                             'ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: %s, '
                             'UID in object meta: %s' % (self.ns, self.obj["metadata"]["uid"], again["metadata"]["uid"]))
        st, out = self.c.req("PATCH", self.wl + "/w", {"metadata": {"uid": self.obj["metadata"]["uid"]}},
                             ctype="application/merge-patch+json")
        self.assertEqual((st, out["reason"]), (422, "Invalid"))
        self.assertIn('metadata.uid: Invalid value: "%s": field is immutable' % self.obj["metadata"]["uid"],
                      out["message"])

    def test_status_writes(self):
        cur = self.obj
        body = dict(cur, metadata=dict(cur["metadata"], labels={"ignored": "yes"}),
                    status={"conditions": [{"type": "QuotaReserved", "status": "False", "reason": "Pending",
                                            "message": "m", "lastTransitionTime": "2024-01-01T00:00:00Z"}]})
        body["spec"] = dict(cur["spec"], priority=5)
        st, out = self.c.req("PUT", self.wl + "/w/status", body)
        self.assertEqual(st, 200, out)
        self.assertEqual(out["status"]["conditions"][0]["reason"], "Pending")
        self.assertNotIn("labels", out["metadata"])  # only status changes through /status
        self.assertNotIn("priority", out["spec"])
        self.assertEqual(out["metadata"]["generation"], cur["metadata"]["generation"])
        st, stale = self.c.req("PUT", self.wl + "/w/status", body)  # the old resourceVersion again
        self.assertEqual((st, stale["reason"]), (409, "Conflict"))
        self.assertEqual(stale["message"], 'Operation cannot be fulfilled on workloads.kueue.x-k8s.io "w": the object '
                         'has been modified; please apply your changes to the latest version and try again')
        patch = {"metadata": {"resourceVersion": cur["metadata"]["resourceVersion"]}, "status": {}}
        st, _ = self.c.req("PATCH", self.wl + "/w/status", patch, ctype="application/merge-patch+json")
        self.assertEqual(st, 409)
        nov = dict(out, metadata={k: v for k, v in out["metadata"].items() if k != "resourceVersion"})
        st, err = self.c.req("PUT", self.wl + "/w/status", nov)
        self.assertEqual((st, err["reason"]), (422, "Invalid"))  # custom resources need a resourceVersion
        st, err = self.c.req("PATCH", self.wl + "/nope/status", {"status": {}}, ctype="application/merge-patch+json")
        self.assertEqual((st, err["message"]), (404, 'workloads.kueue.x-k8s.io "nope" not found'))
        st, out = self.c.req("PATCH", self.wl + "/w", {"status": {"conditions": []}, "metadata": {"labels": {"a": "b"}}},
                             ctype="application/merge-patch+json")
        self.assertEqual((st, out["status"]["conditions"][0]["reason"]), (200, "Pending"))  # main resource: status kept


if __name__ == "__main__":
    unittest.main()

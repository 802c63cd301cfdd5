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


if __name__ == "__main__":
    unittest.main()

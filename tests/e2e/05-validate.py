"""The validating webhook over HTTPS, and `raygate check` on the seed."""
import glob
import os
import subprocess
import tempfile
import unittest

import rgtest
from rgtest import admission_review


def cq(spec, version="v1beta1", name="team-a"):
    return {"apiVersion": f"kueue.x-k8s.io/{version}", "kind": "ClusterQueue",
            "metadata": {"name": name}, "spec": spec}


class ValidateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rg = rgtest.Raygate().start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.rg.stop()
        cls.rg.cleanup()
        assert rc == 0, rc

    def validate(self, obj, **kw):
        review = admission_review(obj, **kw)
        status, body = self.rg.review("/validate", review)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["response"]["uid"], review["request"]["uid"])
        return body["response"]

    def test_five_violations_in_one_denial(self):
        spec = {
            "cohort": "Not_A_Cohort",                     # 1: cohort not a DNS subdomain
            "queueingStrategy": "Sometimes",              # 2: unsupported enum
            "resourceGroups": [{
                "coveredResources": ["cpu", "memory"],
                "flavors": [{"name": "default", "resources": [
                    {"name": "cpu", "nominalQuota": "-1"},               # 3: negative quota
                    {"name": "memory", "nominalQuota": "10Gi",
                     "lendingLimit": "20Gi"}]}]}],                       # 4: lending > nominal
            "preemption": {"withinClusterQueue": "Always"},              # 5: unsupported enum
        }
        resp = self.validate(cq(spec), uid="five")
        self.assertFalse(resp["allowed"])
        st = resp["status"]
        self.assertEqual(st["code"], 403)
        self.assertEqual(st["reason"], "Forbidden")
        fields = [c["field"] for c in st["details"]["causes"]]
        for f in ("spec.cohort", "spec.queueingStrategy",
                  "spec.resourceGroups[0].flavors[0].resources[0].nominalQuota",
                  "spec.resourceGroups[0].flavors[0].resources[1].lendingLimit",
                  "spec.preemption.withinClusterQueue"):
            self.assertIn(f, fields)
            self.assertIn(f + ":", st["message"])
        self.assertEqual(len(fields), 5, st["message"])
        self.assertTrue(st["message"].startswith("["), st["message"])
        rec = self.rg.audit_records("five")
        self.assertEqual(rec[0]["decision"], "denied")

    def test_valid_objects_are_allowed_in_both_versions(self):
        spec = {"resourceGroups": [{"coveredResources": ["cpu"], "flavors": [
            {"name": "default", "resources": [{"name": "cpu", "nominalQuota": "20"}]}]}]}
        for version in ("v1beta1", "v1beta2"):
            self.assertTrue(self.validate(cq(spec, version))["allowed"])

    def test_priorityclass_value_immutable(self):
        old = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
               "metadata": {"name": "ai-high"}, "value": 1000}
        new = dict(old, value=2000)
        resp = self.validate(new, operation="UPDATE", old=old, namespace="")
        self.assertFalse(resp["allowed"])
        self.assertIn("value", resp["status"]["details"]["causes"][0]["field"])

    def test_delete_and_unknown_kinds_pass(self):
        self.assertTrue(self.validate(rgtest.seed_raycluster(), operation="DELETE",
                                      old=rgtest.seed_raycluster())["allowed"])
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
        self.assertTrue(self.validate(cm)["allowed"])

    def test_seed_raycluster_is_valid(self):
        self.assertTrue(self.validate(rgtest.seed_raycluster())["allowed"])


    def test_convert_cohort_between_versions(self):
        review = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
                  "request": {"uid": "conv-1", "desiredAPIVersion": "kueue.x-k8s.io/v1beta2",
                              "objects": [cq({"cohort": "ml", "resourceGroups": []})]}}
        status, body = self.rg.review("/convert", review)
        self.assertEqual(status, 200, body)
        resp = body["response"]
        self.assertEqual(resp["uid"], "conv-1")
        self.assertEqual(resp["result"]["status"], "Success")
        out = resp["convertedObjects"][0]
        self.assertEqual(out["apiVersion"], "kueue.x-k8s.io/v1beta2")
        self.assertEqual(out["spec"]["cohortName"], "ml")
        self.assertNotIn("cohort", out["spec"])
        status, _, data = self.rg.request("POST", "/convert", {"kind": "ConversionReview"})
        self.assertEqual(status, 400, data)

    def test_shorthand_clusterqueue_is_rewritten_by_the_mutating_webhook(self):
        spec = {"namespaceSelector": {}, "resourceGroups": [{"name": "default-resource-group",
                "resources": [{"name": "cpu", "nominalQuota": 20},
                              {"name": "memory", "nominalQuota": "40Gi"},
                              {"name": "nvidia.com/gpu", "nominalQuota": 4}]}]}
        obj = cq(spec, name="ai-cluster-queue")
        status, body = self.rg.review("/mutate", admission_review(obj, namespace=""))
        self.assertEqual(status, 200, body)
        patched = rgtest.apply_patch(obj, rgtest.decode_patch(body))
        group = patched["spec"]["resourceGroups"][0]
        self.assertEqual(group["coveredResources"], ["cpu", "memory", "nvidia.com/gpu"])
        self.assertEqual(group["flavors"][0]["name"], "default-flavor")
        self.assertEqual(len(group["flavors"][0]["resources"]), 3)
        # The canonical form it produced passes validation without shorthand warnings.
        resp = self.validate(patched, namespace="")
        self.assertTrue(resp["allowed"], resp)
        self.assertFalse(any("shorthand" in w for w in resp.get("warnings", [])))


class CheckTest(unittest.TestCase):
    def run_check(self, *args, stdin=None):
        return subprocess.run([rgtest.BIN, "check", *args], capture_output=True, text=True,
                              input=stdin, timeout=60)

    def test_seed_examples_pass_with_documented_warnings_only(self):
        files = sorted(glob.glob(os.path.join(rgtest.SRC, "manifests/examples/seed/*.yaml")))
        self.assertGreater(len(files), 10)
        r = self.run_check(*files)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for line in r.stdout.splitlines():
            self.assertIn(": warning: ", line)

    def test_violations_name_file_line_and_path(self):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "bad.yaml")
        with open(path, "w") as f:
            f.write("apiVersion: kueue.x-k8s.io/v1beta1\n"
                    "kind: LocalQueue\n"
                    "metadata:\n"
                    "  name: q\n"
                    "  namespace: default\n"
                    "spec:\n"
                    "  clusterQueue: Bad_Name\n")
        r = self.run_check(path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"{path}:7: spec.clusterQueue: Invalid value: \"Bad_Name\"", r.stdout)

    def test_stdin_and_unreadable_input(self):
        r = self.run_check("-", stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_check("/nonexistent.yaml")
        self.assertEqual(r.returncode, 2)
        r = self.run_check("-", stdin="a: [unclosed\n")
        self.assertEqual(r.returncode, 2)
        self.assertIn("-:", r.stderr)

    def test_two_global_defaults_in_one_input(self):
        doc = ("apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n"
               "  name: {}\nvalue: {}\nglobalDefault: true\n")
        r = self.run_check("-", stdin=doc.format("a", 10) + "---\n" + doc.format("b", 20))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("globalDefault", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)

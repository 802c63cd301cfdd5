"""The mutating webhook over HTTPS: queued Ray objects and Workloads are
suspended / marked Pending on CREATE; everything else passes unchanged."""
import copy
import unittest

import rgtest
from rgtest import admission_review, apply_patch, decode_patch


class MutateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rg = rgtest.Raygate().start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.rg.stop()
        cls.rg.cleanup()
        assert rc == 0, rc

    def mutate(self, review):
        status, body = self.rg.review("/mutate", review)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["kind"], "AdmissionReview")
        self.assertEqual(body["response"]["uid"], review["request"]["uid"])
        return body

    def test_seed_raycluster_is_suspended_by_its_patch(self):
        obj = rgtest.seed_raycluster()
        body = self.mutate(admission_review(obj, uid="seed-rc"))
        self.assertEqual(body["apiVersion"], "admission.k8s.io/v1")
        self.assertTrue(body["response"]["allowed"])
        patched = apply_patch(obj, decode_patch(body))
        self.assertIs(patched["spec"]["suspend"], True)
        self.assertEqual(patched["metadata"]["annotations"]["raygate.dev/admission"], "Pending")
        # Nothing else changed.
        del patched["spec"]["suspend"]
        del patched["metadata"]["annotations"]
        self.assertEqual(patched, obj)
        rec = self.rg.audit_records("seed-rc")
        self.assertEqual(len(rec), 1)
        self.assertEqual(rec[0]["decision"], "patched")
        self.assertEqual(rec[0]["kind"], "RayCluster")
        self.assertEqual(rec[0]["user"], "alice")
        self.assertIn("/spec/suspend", rec[0]["patch"])

    def test_existing_suspend_false_is_replaced(self):
        obj = rgtest.seed_raycluster()
        obj["spec"]["suspend"] = False
        obj["metadata"]["annotations"] = {"team": "ml"}
        ops = decode_patch(self.mutate(admission_review(obj)))
        self.assertIn({"op": "replace", "path": "/spec/suspend", "value": True}, ops)
        self.assertIn({"op": "add", "path": "/metadata/annotations/raygate.dev~1admission",
                       "value": "Pending"}, ops)
        patched = apply_patch(obj, ops)
        self.assertEqual(patched["metadata"]["annotations"]["team"], "ml")

    def test_v1beta1_is_answered_in_kind(self):
        obj = rgtest.seed_raycluster()
        body = self.mutate(admission_review(obj, version="v1beta1"))
        self.assertEqual(body["apiVersion"], "admission.k8s.io/v1beta1")
        self.assertIs(apply_patch(obj, decode_patch(body))["spec"]["suspend"], True)

    def test_dry_run_gets_the_same_answer(self):
        obj = rgtest.seed_raycluster()
        wet = decode_patch(self.mutate(admission_review(obj)))
        dry = decode_patch(self.mutate(admission_review(obj, dry_run=True, uid="dry-1")))
        self.assertEqual(wet, dry)
        rec = self.rg.audit_records("dry-1")
        self.assertTrue(rec and rec[0]["dryRun"] is True)

    def test_unqueued_and_rayjob_spawned_clusters_pass(self):
        obj = rgtest.seed_raycluster()
        del obj["metadata"]["labels"]["kueue.x-k8s.io/queue-name"]
        body = self.mutate(admission_review(obj))
        self.assertTrue(body["response"]["allowed"])
        self.assertNotIn("patch", body["response"])
        obj = rgtest.seed_raycluster()
        obj["metadata"]["labels"]["ray.io/originated-from-crd"] = "RayJob"
        self.assertNotIn("patch", self.mutate(admission_review(obj))["response"])

    def test_update_and_delete_pass_unchanged(self):
        obj = rgtest.seed_raycluster()
        body = self.mutate(admission_review(obj, operation="UPDATE", old=copy.deepcopy(obj)))
        self.assertNotIn("patch", body["response"])
        body = self.mutate(admission_review(obj, operation="DELETE", old=obj))
        self.assertTrue(body["response"]["allowed"])
        self.assertNotIn("patch", body["response"])

    def test_rayjob_is_suspended(self):
        job = {"apiVersion": "ray.io/v1", "kind": "RayJob",
               "metadata": {"name": "train", "namespace": "default",
                            "labels": {"kueue.x-k8s.io/queue-name": "ray-queue"}},
               "spec": {"entrypoint": "python train.py", "shutdownAfterJobFinishes": True,
                        "rayClusterSpec": rgtest.seed_raycluster()["spec"]}}
        patched = apply_patch(job, decode_patch(self.mutate(admission_review(job))))
        self.assertIs(patched["spec"]["suspend"], True)
        self.assertEqual(patched["metadata"]["annotations"]["raygate.dev/admission"], "Pending")

    def test_workload_is_defaulted_and_pending_in_both_versions(self):
        for version in ("v1beta1", "v1beta2"):
            wl = {"apiVersion": f"kueue.x-k8s.io/{version}", "kind": "Workload",
                  "metadata": {"name": "high-priority-job", "namespace": "default"},
                  "spec": {"queueName": "ai-queue", "priority": 1000,
                           "podSets": [{"template": {"spec": {"containers": [
                               {"name": "trainer", "image": "my-ai-image:latest"}]}}}]}}
            patched = apply_patch(wl, decode_patch(self.mutate(admission_review(wl))))
            self.assertEqual(patched["metadata"]["annotations"]["raygate.dev/admission"],
                             "Pending")
            self.assertNotIn("suspend", patched["spec"])
            self.assertEqual(patched["spec"]["podSets"][0]["name"], "main")
            self.assertEqual(patched["spec"]["podSets"][0]["count"], 1)

    def test_metrics_count_decisions(self):
        self.mutate(admission_review(rgtest.seed_raycluster()))
        status, headers, data = self.rg.request("GET", "/metrics")
        self.assertEqual(status, 200)
        text = data.decode()
        self.assertIn('raygate_admission_decisions_total{endpoint="mutate",kind="RayCluster",'
                      'decision="patched"}', text)
        self.assertRegex(text, r'raygate_http_requests_total\{endpoint="mutate",code="200"\} \d+')
        self.assertIn("raygate_http_request_duration_seconds_bucket", text)
        self.assertIn("raygate_audit_write_failures_total 0", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)

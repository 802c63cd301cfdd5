"""Self-tests of the double's RBAC (rbac.py): requests are authorized from Role, ClusterRole,
RoleBinding and ClusterRoleBinding objects, denials carry kube-apiserver's exact message, and
/_double/access lists what each user asked for."""

import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kdtest  # noqa: E402
import requestinfo  # noqa: E402

RBAC = "/apis/rbac.authorization.k8s.io/v1"
G = "rbac.authorization.k8s.io"
SA = "system:serviceaccount:raygate-system:raygate"
K = None


def setUpModule():
    global K
    K = kdtest.Double(crd_paths=[kdtest.plain_crd_dir()], tokens=[
        "kubedouble-admin-token=kubedouble-admin,system:masters", "alice-token=alice,devs", "bob-token=bob",
        "sa-token=" + SA])


def tearDownModule():
    K.stop()


def binding(kind, name, role_kind, role, subjects, ns=None):
    meta = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": G + "/v1", "kind": kind, "metadata": meta,
            "roleRef": {"apiGroup": G, "kind": role_kind, "name": role}, "subjects": subjects}


def user(name):
    return {"kind": "User", "name": name, "apiGroup": G}


class TestRequestInfo(unittest.TestCase):
    def test_table(self):
        cases = [
            ("GET", "/api/v1/namespaces/n/pods", {}, ("list", "", "pods", "", "n", "")),
            ("GET", "/api/v1/namespaces/n/pods", {"watch": "1"}, ("watch", "", "pods", "", "n", "")),
            ("GET", "/api/v1/namespaces/n/pods", {"watch": "false"}, ("list", "", "pods", "", "n", "")),
            ("GET", "/api/v1/watch/namespaces/n/pods/p", {}, ("watch", "", "pods", "", "n", "p")),
            ("GET", "/api/v1/namespaces/n/pods", {"fieldSelector": "metadata.name=p,spec.nodeName=x"},
             ("list", "", "pods", "", "n", "p")),
            ("GET", "/api/v1/namespaces/n", {}, ("get", "", "namespaces", "", "n", "n")),
            ("PUT", "/api/v1/namespaces/n/status", {}, ("update", "", "namespaces", "status", "n", "n")),
            ("POST", "/api/v1/namespaces/n/pods/p/binding", {}, ("create", "", "pods", "binding", "n", "p")),
            ("PATCH", "/apis/kueue.x-k8s.io/v1beta2/namespaces/n/workloads/w/status", {},
             ("patch", "kueue.x-k8s.io", "workloads", "status", "n", "w")),
            ("DELETE", "/apis/ray.io/v1/namespaces/n/rayclusters", {},
             ("deletecollection", "ray.io", "rayclusters", "", "n", "")),
            ("DELETE", "/apis/ray.io/v1/namespaces/n/rayclusters/r", {}, ("delete", "ray.io", "rayclusters", "", "n", "r")),
            ("POST", "/api/v1/namespaces", {}, ("create", "", "namespaces", "", "", "")),
            ("GET", "/apis/scheduling.k8s.io/v1/priorityclasses/x", {}, ("get", "scheduling.k8s.io",
                                                                         "priorityclasses", "", "", "x")),
        ]
        for method, path, params, want in cases:
            info = requestinfo.parse(method, path, params)
            self.assertTrue(info.is_resource, path)
            self.assertEqual((info.verb, info.group, info.resource, info.subresource, info.namespace, info.name),
                             want, (method, path, params))
        for path in ("/api", "/api/v1", "/apis/ray.io", "/apis/ray.io/v1", "/healthz", "/openapi/v2"):
            info = requestinfo.parse("GET", path, {})
            self.assertFalse(info.is_resource, path)
            self.assertEqual(info.verb, "get")


class TestRbac(unittest.TestCase):
    def setUp(self):
        self.admin = K.client()
        self.alice = K.client("alice-token")
        self.bob = K.client("bob-token")
        self.sa = K.client("sa-token")
        self.ns = "t-" + uuid.uuid4().hex[:6]
        self.admin.ok("POST", "/api/v1/namespaces", {"metadata": {"name": self.ns}})
        self.created = []

    def tearDown(self):
        for path in reversed(self.created):
            self.admin.req("DELETE", path)
        for c in (self.admin, self.alice, self.bob, self.sa):
            c.close()

    def make(self, path, obj):
        out = self.admin.ok("POST", path, obj)
        self.created.append("%s/%s" % (path, out["metadata"]["name"]))
        return out

    def cluster_role(self, name, rules, labels=None, aggregation=None):
        obj = {"metadata": {"name": name, "labels": labels or {}}, "rules": rules}
        if aggregation is not None:
            obj["aggregationRule"] = {"clusterRoleSelectors": aggregation}
        return self.make(RBAC + "/clusterroles", obj)

    def assertForbidden(self, client, method, path, message, body=None):
        st, out = client.req(method, path, body)
        self.assertEqual(st, 403, out)
        self.assertEqual((out["kind"], out["status"], out["reason"], out["code"]), ("Status", "Failure", "Forbidden", 403))
        self.assertEqual(out["message"], message)
        return out

    def test_denials_carry_kube_apiserver_messages(self):
        ns = self.ns
        out = self.assertForbidden(self.alice, "GET", "/api/v1/namespaces/%s/pods/p" % ns,
                                   'pods "p" is forbidden: User "alice" cannot get resource "pods" in API group "" '
                                   'in the namespace "%s"' % ns)
        self.assertEqual(out["details"], {"name": "p", "kind": "pods"})
        out = self.assertForbidden(self.alice, "GET", "/apis/kueue.x-k8s.io/v1beta2/clusterqueues",
                                   'clusterqueues.kueue.x-k8s.io is forbidden: User "alice" cannot list resource '
                                   '"clusterqueues" in API group "kueue.x-k8s.io" at the cluster scope')
        self.assertEqual(out["details"], {"group": "kueue.x-k8s.io", "kind": "clusterqueues"})
        self.assertForbidden(self.sa, "PATCH", "/apis/kueue.x-k8s.io/v1beta2/namespaces/%s/workloads/w/status" % ns,
                             'workloads.kueue.x-k8s.io "w" is forbidden: User "%s" cannot patch resource '
                             '"workloads/status" in API group "kueue.x-k8s.io" in the namespace "%s"' % (SA, ns), {})
        self.assertForbidden(self.alice, "GET", "/api/v1/namespaces/%s" % ns,
                             'namespaces "%s" is forbidden: User "alice" cannot get resource "namespaces" in API '
                             'group "" in the namespace "%s"' % (ns, ns))
        self.assertForbidden(self.alice, "GET", "/api/v1/pods?watch=1",
                             'pods is forbidden: User "alice" cannot watch resource "pods" in API group "" at '
                             'the cluster scope')
        self.assertForbidden(self.alice, "GET", "/logs", 'forbidden: User "alice" cannot get path "/logs"')
        # discovery and health stay open to every authenticated user (system:discovery)
        for path in ("/api", "/apis", "/apis/kueue.x-k8s.io", "/version", "/healthz"):
            self.assertEqual(self.bob.req("GET", path)[0], 200, path)

    def test_masters_group_and_client_certificates(self):
        c = K.client(token=None, cert=K.d.client_cert, key=K.d.client_key)  # O=system:masters
        try:
            self.assertEqual(c.req("GET", "/api/v1/nodes")[0], 200)
        finally:
            c.close()

    def test_role_binding_scopes_and_service_account_subjects(self):
        ns, other = self.ns, "default"
        self.make(RBAC + "/namespaces/%s/roles" % ns, {"metadata": {"name": "lease"}, "rules": [
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "update"]}]})
        # a ServiceAccount subject without namespace means the binding's namespace
        self.make(RBAC + "/namespaces/%s/rolebindings" % ns, binding(
            "RoleBinding", "lease", "Role", "lease", [{"kind": "ServiceAccount", "name": "raygate"}]))
        path = "/apis/coordination.k8s.io/v1/namespaces/%s/leases" % ns
        self.assertForbidden(self.sa, "POST", path, 'leases.coordination.k8s.io is forbidden: User "%s" cannot '
                             'create resource "leases" in API group "coordination.k8s.io" in the namespace "%s"'
                             % (SA, ns), {"metadata": {"name": "l"}})
        # the SA is raygate-system's, the binding is in ns: bind it by namespace explicitly
        self.make(RBAC + "/namespaces/%s/rolebindings" % ns, binding(
            "RoleBinding", "lease-sa", "Role", "lease",
            [{"kind": "ServiceAccount", "name": "raygate", "namespace": "raygate-system"}]))
        self.assertEqual(self.sa.req("POST", path, {"metadata": {"name": "l"}})[0], 201)
        self.assertEqual(self.sa.req("GET", path + "/l")[0], 200)
        self.assertEqual(self.sa.req("DELETE", path + "/l")[0], 403)  # verb not granted
        self.assertEqual(self.sa.req("GET", "/apis/coordination.k8s.io/v1/namespaces/%s/leases/l" % other)[0], 403)
        # a RoleBinding to a ClusterRole grants it in that namespace only; groups of SAs work
        self.cluster_role("pod-reader", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}])
        self.make(RBAC + "/namespaces/%s/rolebindings" % ns, binding(
            "RoleBinding", "readers", "ClusterRole", "pod-reader",
            [{"kind": "Group", "name": "system:serviceaccounts:raygate-system", "apiGroup": G}]))
        self.assertEqual(self.sa.req("GET", "/api/v1/namespaces/%s/pods" % ns)[0], 200)
        self.assertEqual(self.sa.req("GET", "/api/v1/namespaces/%s/pods" % other)[0], 403)
        self.assertEqual(self.sa.req("GET", "/api/v1/pods")[0], 403)
        # a ClusterRoleBinding grants it everywhere
        self.make(RBAC + "/clusterrolebindings", binding(
            "ClusterRoleBinding", "sa-pod-reader-" + ns, "ClusterRole", "pod-reader",
            [{"kind": "ServiceAccount", "name": "raygate", "namespace": "raygate-system"}]))
        self.assertEqual(self.sa.req("GET", "/api/v1/pods")[0], 200)
        self.assertEqual(self.sa.req("GET", "/api/v1/pods?watch=1&timeoutSeconds=0")[0], 403)

    def test_resource_names_subresources_and_wildcards(self):
        ns = self.ns
        self.cluster_role("wl-status-" + ns, [
            {"apiGroups": ["kueue.x-k8s.io"], "resources": ["workloads/status"], "verbs": ["patch"]},
            {"apiGroups": ["kueue.x-k8s.io"], "resources": ["workloads"], "verbs": ["get", "list"],
             "resourceNames": ["w1"]},
            {"apiGroups": ["*"], "resources": ["*/binding"], "verbs": ["create"]}])
        self.make(RBAC + "/namespaces/%s/rolebindings" % ns, binding(
            "RoleBinding", "b", "ClusterRole", "wl-status-" + ns, [user("bob")]))
        wl = "/apis/kueue.x-k8s.io/v1beta1/namespaces/%s/workloads" % ns
        self.admin.ok("POST", wl, {"metadata": {"name": "w1"}, "spec": {"queueName": "q", "podSets": [
            {"name": "main", "count": 1, "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}]}})
        self.assertEqual(self.bob.req("GET", wl + "/w1")[0], 200)
        self.assertEqual(self.bob.req("GET", wl + "/w2")[0], 403)
        self.assertEqual(self.bob.req("GET", wl)[0], 403)  # list without a name is not covered by resourceNames
        self.assertEqual(self.bob.req("GET", wl + "?fieldSelector=metadata.name%3Dw1")[0], 200)
        self.assertEqual(self.bob.req("PATCH", wl + "/w1/status", {"status": {}},
                                      ctype="application/merge-patch+json")[0], 200)
        self.assertEqual(self.bob.req("PATCH", wl + "/w1", {"metadata": {"labels": {"a": "b"}}},
                                      ctype="application/merge-patch+json")[0], 403)
        self.admin.ok("POST", "/api/v1/namespaces/%s/pods" % ns, {"metadata": {"name": "p"}, "spec": {
            "containers": [{"name": "c", "image": "i"}]}})
        self.assertEqual(self.bob.req("POST", "/api/v1/namespaces/%s/pods/p/binding" % ns, {
            "apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"},
            "target": {"kind": "Node", "name": "n1"}})[0], 201)
        self.assertEqual(self.bob.req("DELETE", "/api/v1/namespaces/%s/pods" % ns)[0], 403)

    def test_non_resource_urls_missing_roles_and_aggregation(self):
        ns = self.ns
        self.cluster_role("logs-" + ns, [{"nonResourceURLs": ["/logs", "/logs/*"], "verbs": ["get"]}])
        self.make(RBAC + "/clusterrolebindings", binding("ClusterRoleBinding", "logs-" + ns, "ClusterRole",
                                                          "logs-" + ns, [user("bob")]))
        self.assertEqual(self.bob.req("GET", "/logs/x")[0], 404)  # allowed, then not served
        self.make(RBAC + "/clusterrolebindings", binding("ClusterRoleBinding", "nope-" + ns, "ClusterRole",
                                                          "nope-" + ns, [user("bob")]))
        self.assertForbidden(self.bob, "GET", "/api/v1/nodes",
                             'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the '
                             'cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "nope-%s" not found' % ns)
        # aggregation: the aggregate's rules are the union of the roles its selectors pick
        self.cluster_role("agg-" + ns, [], aggregation=[{"matchLabels": {"agg-" + ns: "true"}}])
        self.make(RBAC + "/namespaces/%s/rolebindings" % ns, binding(
            "RoleBinding", "agg", "ClusterRole", "agg-" + ns, [user("bob")]))
        self.assertEqual(self.bob.req("GET", "/api/v1/namespaces/%s/configmaps" % ns)[0], 403)
        self.cluster_role("cm-" + ns, [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}],
                          labels={"agg-" + ns: "true"})
        self.assertEqual(self.bob.req("GET", "/api/v1/namespaces/%s/configmaps" % ns)[0], 200)

    def test_validation(self):
        ns = self.ns
        st, out = self.admin.req("POST", RBAC + "/namespaces/%s/roles" % ns, {"metadata": {"name": "r"}, "rules": [
            {"nonResourceURLs": ["/x"], "verbs": ["get"]}, {"apiGroups": [""], "verbs": ["get"]}]})
        self.assertEqual(st, 422)
        self.assertEqual([c["field"] for c in out["details"]["causes"]], ["rules[0].nonResourceURLs",
                                                                           "rules[1].resources"])
        st, out = self.admin.req("POST", RBAC + "/clusterrolebindings", binding(
            "ClusterRoleBinding", "x-" + ns, "Role", "r", [{"kind": "ServiceAccount", "name": "s"}]))
        self.assertEqual(st, 422)
        self.assertEqual([c["field"] for c in out["details"]["causes"]], ["roleRef.kind", "subjects[0].namespace"])
        b = self.make(RBAC + "/namespaces/%s/rolebindings" % ns, binding("RoleBinding", "b", "ClusterRole", "view",
                                                                          [user("bob")]))
        b["roleRef"]["name"] = "edit"
        st, out = self.admin.req("PUT", RBAC + "/namespaces/%s/rolebindings/b" % ns, b)
        self.assertEqual(st, 422)
        self.assertIn("cannot change roleRef", out["message"])

    def test_access_log(self):
        self.admin.req("DELETE", "/_double/access")
        self.sa.req("GET", "/apis/ray.io/v1/rayclusters")
        self.sa.req("GET", "/apis/ray.io/v1/rayclusters?watch=true&timeoutSeconds=1")
        self.sa.req("GET", "/apis/ray.io/v1/rayclusters")
        self.sa.req("GET", "/apis")
        st, out = self.admin.req("GET", "/_double/access?user=" + SA)
        self.assertEqual(st, 200)
        self.assertEqual([(e["verb"], e.get("resource", e.get("path")), e["allowed"]) for e in out["items"]],
                         [("list", "rayclusters", False), ("watch", "rayclusters", False),
                          ("list", "rayclusters", False), ("get", "/apis", True)])
        self.assertEqual(out["items"][0]["groups"], ["system:serviceaccounts", "system:serviceaccounts:raygate-system",
                                                     "system:authenticated"])
        out = self.admin.req("GET", "/_double/access?distinct=1&user=" + SA)[1]["items"]
        self.assertEqual(out, [
            {"user": SA, "verb": "get", "group": "", "resource": "", "subresource": "", "namespace": "",
             "path": "/apis", "allowed": True, "count": 1},
            {"user": SA, "verb": "list", "group": "ray.io", "resource": "rayclusters", "subresource": "",
             "namespace": "", "allowed": False, "count": 2},
            {"user": SA, "verb": "watch", "group": "ray.io", "resource": "rayclusters", "subresource": "",
             "namespace": "", "allowed": False, "count": 1}])
        since = self.admin.req("GET", "/_double/access")[1]["items"][-1]["seq"]
        self.bob.req("GET", "/api/v1/nodes/n")
        items = self.admin.req("GET", "/_double/access?since=%d" % since)[1]["items"]
        self.assertEqual([(e["user"], e["verb"], e["resource"], e["name"]) for e in items],
                         [("bob", "get", "nodes", "n")])

if __name__ == "__main__":
    unittest.main()

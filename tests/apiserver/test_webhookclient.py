"""Self-tests of the double's webhook connections (webhookclient.Pool): kept alive and reused
as kube-apiserver's webhook transport keeps them (client-go: 25 idle per host, 90 s idle
timeout; one transport per TLS configuration), safe under concurrent calls, and never reused
once failed, timed out, told to close, closed by the server or idle too long."""

import base64
import concurrent.futures
import os
import socket
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kdtest  # noqa: E402
import webhookclient  # noqa: E402

AR = "/apis/admissionregistration.k8s.io/v1"
SERVICE = "hooks.hook-system.svc"
K = HOOK = None


def answer(path, review):
    """/slow sleeps 1.5 s; /close answers with Connection: close; every answer allows, echoing
    the uid (and the object's name, so concurrent callers can check they got their own)."""
    req = review["request"]
    path = path.split("?")[0]
    if path == "/slow":
        time.sleep(1.5)
    resp = {"apiVersion": review["apiVersion"], "kind": "AdmissionReview",
            "response": {"uid": req["uid"], "allowed": True, "auditAnnotations": {"name": req.get("name", "")}}}
    if path == "/close":
        return 200, resp, {"Connection": "close"}
    return 200, resp


def setUpModule():
    global K, HOOK
    HOOK = kdtest.HookServer(answer, dns=[SERVICE])
    K = kdtest.Double()
    K.d.service_endpoints.map("hook-system/hooks:443=127.0.0.1:%d" % HOOK.port)


def tearDownModule():
    K.stop()
    HOOK.stop()


def review(name="x"):
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": str(uuid.uuid4()), "name": name}}


def target(path, ca_pem=None):
    """Where a service webhook's call goes (as webhookclient.resolve makes it)."""
    p = path + "?timeout=10s"
    return webhookclient.Target("https://%s:443%s" % (SERVICE, p), "127.0.0.1", HOOK.port, p, SERVICE,
                                (ca_pem or HOOK.ca_pem).decode())


def call(pool, path="/ok", name="x", ca_pem=None, timeout_s=10):
    """One call through pool; the response's name (what the webhook saw)."""
    out = pool.post(target(path, ca_pem), review(name), timeout_s)
    return out["response"]["auditAnnotations"]["name"]


class TestKeptConnections(unittest.TestCase):
    def setUp(self):
        self.pool = webhookclient.Pool()
        self.base = HOOK.connections

    def tearDown(self):
        self.pool.close()

    def dialed(self):
        """Connections the webhook accepted since setUp."""
        return HOOK.connections - self.base

    def test_admission_calls_share_one_connection(self):
        """Through the double: both webhooks of five creates, on one endpoint, one handshake."""
        c = K.client()
        ns = "t-" + uuid.uuid4().hex[:6]
        c.ok("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
        hook = {"sideEffects": "None", "admissionReviewVersions": ["v1"],
                "clientConfig": {"service": {"namespace": "hook-system", "name": "hooks", "path": "/ok"},
                                 "caBundle": base64.b64encode(HOOK.ca_pem).decode()},
                "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"],
                           "operations": ["CREATE"]}]}
        paths = []
        for kind in ("mutatingwebhookconfigurations", "validatingwebhookconfigurations"):
            name = "kept-" + uuid.uuid4().hex[:6]
            c.ok("POST", "%s/%s" % (AR, kind), {"metadata": {"name": name},
                                                "webhooks": [dict(hook, name="%s.wh.example.com" % kind[:8])]})
            paths.append("%s/%s/%s" % (AR, kind, name))
        before, stats0 = HOOK.connections, c.ok("GET", "/_double/webhook-connections")
        try:
            for i in range(5):
                c.ok("POST", "/api/v1/namespaces/%s/configmaps" % ns, {"metadata": {"name": "cm%d" % i}})
        finally:
            for p in paths:
                c.req("DELETE", p)
        stats = c.ok("GET", "/_double/webhook-connections")
        c.close()
        self.assertEqual(HOOK.connections - before, 1)
        self.assertEqual(stats["dialed"] - stats0["dialed"], 1)
        self.assertEqual(stats["reused"] - stats0["reused"], 9)

    def test_concurrent_calls_each_get_their_own_answer(self):
        pool = webhookclient.Pool(max_idle_per_host=3)
        names = ["n%d" % i for i in range(80)]
        start = threading.Barrier(8)

        def worker(chunk):
            start.wait()
            return [call(pool, name=n) for n in chunk]
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            got = list(ex.map(worker, [names[i::8] for i in range(8)]))
        self.assertEqual(sorted(n for chunk in got for n in chunk), sorted(names))
        for i, chunk in enumerate(got):
            self.assertEqual(chunk, names[i::8])
        st = pool.stats()
        self.assertLessEqual(self.dialed(), 8)  # never more than the calls in flight
        self.assertEqual(st["dialed"] + st["reused"], 80)
        self.assertLessEqual(st["idle"], 3)  # the rest closed when handed back
        pool.close()

    def test_not_reused_after_close_answer_timeout_or_server_close(self):
        self.assertEqual(call(self.pool), "x")
        self.assertEqual(call(self.pool), "x")
        self.assertEqual(self.dialed(), 1)
        call(self.pool, "/close")  # Connection: close
        call(self.pool)
        self.assertEqual(self.dialed(), 2)
        with self.assertRaises(webhookclient.CallError) as e:
            call(self.pool, "/slow", timeout_s=1)
        self.assertEqual(str(e.exception), 'Post "https://%s:443/slow?timeout=10s": context deadline exceeded'
                         % SERVICE)
        call(self.pool)
        self.assertEqual(self.dialed(), 3)
        HOOK.drop_connections()  # the webhook restarted: the kept connection is noticed closed
        time.sleep(0.05)
        call(self.pool)
        self.assertEqual(self.dialed(), 4)
        self.assertEqual(self.pool.stats()["idle"], 1)

    def test_idle_connections_expire(self):
        pool = webhookclient.Pool(idle_timeout_s=0.2)
        call(pool)
        call(pool)
        time.sleep(0.3)
        call(pool)
        self.assertEqual(self.dialed(), 2)
        pool.close()
        self.assertEqual(pool.stats()["idle"], 0)

    def test_write_failure_on_a_kept_connection_is_retried_on_a_new_one(self):
        call(self.pool)
        HOOK.drop_connections()
        time.sleep(0.05)
        conn = self.pool._transports[next(iter(self.pool._transports))].idle[-1][0]
        socket.socket.send(conn.sock, b"\0")  # the closed peer answers with a reset
        time.sleep(0.05)
        real_alive = webhookclient._alive
        webhookclient._alive = lambda _conn: True  # the race: picked before the close was seen
        try:
            self.assertEqual(call(self.pool, name="again"), "again")
        finally:
            webhookclient._alive = real_alive
        self.assertEqual((self.dialed(), self.pool.stats()["dialed"]), (2, 2))

    def test_rotation_reaches_new_connections_and_new_ca_bundles(self):
        """As kube: a connection opened before the webhook's certificate rotated keeps working
        with the old one; a new caBundle is a new transport that verifies the new certificate;
        the old caBundle fails once the old connection is gone."""
        old_ca = HOOK.ca_pem
        call(self.pool, ca_pem=old_ca)
        HOOK.rotate()
        try:
            self.assertEqual(call(self.pool, name="kept", ca_pem=old_ca), "kept")
            self.assertEqual(self.dialed(), 1)
            self.assertEqual(call(self.pool, name="new", ca_pem=HOOK.ca_pem), "new")
            self.assertEqual(self.dialed(), 2)
            HOOK.drop_connections()
            time.sleep(0.05)
            with self.assertRaises(webhookclient.CallError) as e:
                call(self.pool, ca_pem=old_ca)
            self.assertIn("x509: certificate signed by unknown authority", str(e.exception))
            self.assertEqual(call(self.pool, name="new", ca_pem=HOOK.ca_pem), "new")
        finally:
            HOOK.drop_connections()


if __name__ == "__main__":
    unittest.main()

"""Helpers shared by the double's self-tests (test_*.py): a double in a temporary directory,
a keep-alive JSON client, and a tiny HTTPS server standing in for a webhook.

Not a test module itself (no test_ prefix), so unittest discovery skips it."""

import base64
import http.client
import http.server
import json
import os
import shutil
import ssl
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kubedouble  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CRD_DIR = os.path.join(ROOT, "manifests", "crds")
ADMIN = "kubedouble-admin-token"
_plain_crds = None


def plain_crd_dir():
    """manifests/crds with conversion strategy None (gen_crds.py --conversion none), made once
    per process: the shipped CRDs convert through raygate's /convert, which self-tests that run
    no raygate cannot reach. test_conversion.py covers the Webhook strategy."""
    global _plain_crds
    if _plain_crds is None:
        import atexit
        import gen_crds
        _plain_crds = tempfile.mkdtemp(prefix="kd-crds-")
        atexit.register(shutil.rmtree, _plain_crds, True)
        gen_crds.write(gen_crds.render("none"), _plain_crds)
    return _plain_crds


class Double:
    """A started KubeDouble in its own temporary directory; stop() removes everything."""

    def __init__(self, **kw):
        self.tmp = tempfile.mkdtemp(prefix="kd-selftest-")
        kw.setdefault("cert_dir", os.path.join(self.tmp, "pki"))
        kw.setdefault("kubeconfig", os.path.join(self.tmp, "kubeconfig"))
        self.d = kubedouble.KubeDouble(**kw)
        self.d.start()

    def client(self, token=ADMIN, cert=None, key=None):
        return Client(self.d, token, cert, key)

    def stop(self):
        self.d.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Client:
    """Keep-alive JSON client over one HTTPS connection to a double."""

    def __init__(self, double, token=ADMIN, cert=None, key=None):
        ctx = ssl.create_default_context(cafile=double.ca_path)
        if cert:
            ctx.load_cert_chain(cert, key)
        self.token = token
        self.conn = http.client.HTTPSConnection("127.0.0.1", double.port, context=ctx, timeout=30)

    def req(self, method, path, body=None, ctype="application/json", headers=None):
        """(status, parsed JSON body or raw bytes)."""
        h = {"Accept": "application/json"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if body is not None:
            h["Content-Type"] = ctype
            body = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.update(headers or {})
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        self.last_headers = r.headers
        if data and r.headers.get("Content-Type", "").startswith("application/json"):
            return r.status, json.loads(data)
        return r.status, data

    def ok(self, method, path, body=None, ctype="application/json", want=(200, 201)):
        """The body of a request that must succeed."""
        st, out = self.req(method, path, body, ctype)
        if st not in want:
            raise AssertionError("%s %s -> %d %s" % (method, path, st, out))
        return out

    def close(self):
        self.conn.close()


class HookServer:
    """An HTTPS server on 127.0.0.1 with its own CA; handler(path, request_json) returns
    (status, response_json).  Every request is kept in .requests as (path, json)."""

    def __init__(self, handler, dns=()):
        self.dir = tempfile.mkdtemp(prefix="kd-hook-")
        kubedouble.make_ca(self.dir)
        crt, key = kubedouble.issue_cert(self.dir, "hook", "hook", server=True, dns=dns)
        self.ca_path = os.path.join(self.dir, "ca.crt")
        with open(self.ca_path, "rb") as f:
            self.ca_pem = f.read()
        self.handler = handler
        self.requests = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((self.path, req))
                status, resp = outer.handler(self.path, req)
                body = resp if isinstance(resp, bytes) else json.dumps(resp).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.server.handle_error = lambda *_a: None  # a client refusing our certificate is a test case
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def ca_bundle(self):
        """The caBundle field value: base64 of the CA's PEM."""
        return base64.b64encode(self.ca_pem).decode()

    def url(self, path):
        return "https://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)


def base64_pem(path):
    """A caBundle value from a PEM file."""
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()

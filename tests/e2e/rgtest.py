"""Shared harness for raygate's end-to-end tests.

Starts the real binary on 127.0.0.1 with a private state directory, talks to
it over HTTPS (verifying against the CA it generated), and stops it. Each
test script is a plain unittest module that CTest runs; nothing here mocks
raygate itself.
"""
import base64
import shutil
import sys
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

BIN = os.environ.get("RAYGATE_BIN", os.path.join(os.path.dirname(__file__), "../../build/raygate"))
SRC = os.environ.get("RG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
FIXTURES = os.environ.get("RG_FIXTURES", os.path.join(SRC, "tests/fixtures"))
# The binary runs under AddressSanitizer (several times slower): latency bounds
# that a test states for the product hold in the plain build only.
SANITIZED = os.environ.get("RG_SANITIZED", "OFF").upper() in ("1", "ON", "TRUE")


def _die_with_parent():
    """In the child: SIGTERM when the test process dies, so that a test that
    crashes before its tearDown leaves no server behind (Linux prctl)."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Raygate:
    """One raygate process; use as a context manager."""

    def __init__(self, *args, state_dir=None, env=None):
        self.tmp = tempfile.mkdtemp(prefix="rg-e2e-")
        self.state_dir = state_dir or os.path.join(self.tmp, "state")
        self.port = free_port()
        self.audit_path = os.path.join(self.tmp, "audit.log")
        self.args = [BIN, "serve", "--listen", f"127.0.0.1:{self.port}",
                     "--state-dir", self.state_dir, "--audit-log", self.audit_path,
                     "--log-level", "debug", *args]
        self.env = dict(os.environ, **(env or {}))
        # Tests choose the cluster view explicitly, even when run inside a pod.
        self.env.pop("KUBERNETES_SERVICE_HOST", None)
        self.proc = None
        self.log_path = os.path.join(self.tmp, "stderr.log")
        self.ca_file = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self, wait=True):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=self.env, preexec_fn=_die_with_parent)
        if wait:
            self.wait_ready()
        return self

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"raygate exited {self.proc.returncode}:\n{self.logs()}")
            if re.search(r"serving https://", self.logs()):
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"raygate did not start:\n{self.logs()}")
        if self.ca_file is None:
            ca = os.path.join(self.state_dir, "ca.crt")
            self.ca_file = ca if os.path.exists(ca) else None

    def ssl_context(self):
        ctx = ssl.create_default_context()
        if self.ca_file:
            ctx.load_verify_locations(self.ca_file)
        else:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def conn(self, timeout=10):
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                           context=self.ssl_context())

    def request(self, method, path, body=None, headers=None, conn=None):
        """Returns (status, headers dict, body bytes)."""
        own = conn is None
        c = conn or self.conn()
        hdrs = {"Content-Type": "application/json"} if body is not None else {}
        hdrs.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        c.request(method, path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        result = (r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        if own:
            c.close()
        return result

    def review(self, path, review, conn=None):
        status, headers, data = self.request("POST", path, review, conn=conn)
        return status, json.loads(data) if data else None

    def stop(self, sig=signal.SIGTERM, timeout=40):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and not self.log.closed:
            self.log.close()
        rc = self.proc.returncode if self.proc else None
        if self.proc:
            log = self.logs()
            for marker in ("ERROR: LeakSanitizer", "ERROR: AddressSanitizer", "runtime error:"):
                if marker in log:
                    raise AssertionError(f"sanitizer report from raygate:\n{log[-6000:]}")
        return rc

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def audit_records_where(self, pred, n=1, timeout=3.0):
        """The audit records matching pred, waiting (the log is written in
        batches, within ~20 ms) until there are at least n of them."""
        deadline = time.monotonic() + timeout
        while True:
            mine = [r for r in self.audit_records() if pred(r)]
            if len(mine) >= n or time.monotonic() > deadline:
                return mine
            time.sleep(0.01)

    def audit_records(self, uid=None, timeout=3.0):
        """The audit log's records; with uid, those of that request, waiting
        (the log is written in batches, within ~20 ms) until one is there."""
        deadline = time.monotonic() + timeout
        while True:
            recs = []
            if os.path.exists(self.audit_path):
                with open(self.audit_path) as f:
                    recs = [json.loads(line) for line in f if line.strip()]
            if uid is None:
                return recs
            mine = [r for r in recs if r.get("uid") == uid]
            if mine or time.monotonic() > deadline:
                return mine
            time.sleep(0.01)


def load_fixture(*parts):
    with open(os.path.join(FIXTURES, *parts), "rb") as f:
        return json.loads(f.read())


def admission_review(obj, *, operation="CREATE", uid="e2e-0001", version="v1", old=None,
                     dry_run=False, group=None, kind=None, resource=None, namespace="default"):
    """An AdmissionReview as kube-apiserver sends it, for obj."""
    api = obj.get("apiVersion", "v1")
    g, _, v = api.rpartition("/")
    kind = kind or obj.get("kind")
    resource = resource or (kind.lower() + "s")
    req = {
        "uid": uid,
        "kind": {"group": group if group is not None else g, "version": v, "kind": kind},
        "resource": {"group": group if group is not None else g, "version": v,
                     "resource": resource},
        "requestKind": {"group": g, "version": v, "kind": kind},
        "requestResource": {"group": g, "version": v, "resource": resource},
        "name": obj.get("metadata", {}).get("name", ""),
        "namespace": namespace,
        "operation": operation,
        "userInfo": {"username": "alice", "uid": "u-1", "groups": ["system:authenticated"]},
        "object": obj if operation != "DELETE" else None,
        "oldObject": old,
        "dryRun": dry_run,
        "options": None,
    }
    return {"apiVersion": f"admission.k8s.io/{version}", "kind": "AdmissionReview",
            "request": req}


def decode_patch(review_response):
    resp = review_response["response"]
    if "patch" not in resp:
        return []
    assert resp.get("patchType") == "JSONPatch", resp
    return json.loads(base64.b64decode(resp["patch"]))


def _unescape(tok):
    return tok.replace("~1", "/").replace("~0", "~")


def apply_patch(doc, patch):
    """A strict RFC 6902 applier for add/replace/remove/test, as the apiserver applies it."""
    doc = json.loads(json.dumps(doc))
    for op in patch:
        toks = [_unescape(t) for t in op["path"].split("/")[1:]]
        parent = doc
        for t in toks[:-1]:
            parent = parent[int(t)] if isinstance(parent, list) else parent[t]
        last = toks[-1]
        if op["op"] == "add":
            if isinstance(parent, list):
                parent.insert(len(parent) if last == "-" else int(last), op["value"])
            else:
                parent[last] = op["value"]
        elif op["op"] == "replace":
            if isinstance(parent, list):
                parent[int(last)] = op["value"]
            else:
                if last not in parent:
                    raise KeyError(f"replace of missing member {op['path']}")
                parent[last] = op["value"]
        elif op["op"] == "remove":
            del parent[int(last) if isinstance(parent, list) else last]
        elif op["op"] == "test":
            cur = parent[int(last)] if isinstance(parent, list) else parent[last]
            if cur != op["value"]:
                raise AssertionError(f"test failed at {op['path']}")
        else:
            raise ValueError(op)
    return doc


def seed_raycluster():
    """The seed article's RayCluster `ai-training-cluster` (queue ray-queue)."""
    return load_fixture("admission", "raycluster-create-v1.json")["request"]["object"]


def wait_for(pred, timeout=20, step=0.05):
    """pred's first truthy value within timeout seconds, else its last value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def condition(obj, type_):
    """The status condition of that type, or None."""
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def gpus_reserved(wl):
    """nvidia.com/gpu a Workload holds: its admission's resourceUsage while QuotaReserved."""
    adm = (wl.get("status") or {}).get("admission")
    if not adm or (condition(wl, "QuotaReserved") or {}).get("status") != "True":
        return 0
    return sum(int(p.get("resourceUsage", {}).get("nvidia.com/gpu", "0"))
               for p in adm.get("podSetAssignments", []))


def serving_certs(rg):
    """Makes rg's serving certificate (loopback and the Service's name, make_certs);
    returns (directory, CA file)."""
    certs = os.path.join(rg.tmp, "certs")
    make_certs(certs)
    return certs, os.path.join(certs, "ca.crt")


def webhook_args(kind, rg, ca, resources):
    """The double's flags that send `resources` (plural.group, ...) to rg's
    mutating or validating webhook (kind "mutate" or "validate")."""
    flag = {"mutate": "--mutating-webhook", "validate": "--validating-webhook"}[kind]
    return [flag, "name=raygate.%s,url=https://127.0.0.1:%d/%s,ca=%s,resources=%s"
            % (kind, rg.port, kind, ca, ";".join(resources))]


def attach(rg, double, certs, config_text):
    """Points rg at the double, serving with the certificate in certs, with
    config_text as its configuration file (before rg.start)."""
    cfg = os.path.join(rg.tmp, "raygate.yaml")
    with open(cfg, "w") as f:
        f.write(config_text)
    rg.args += ["--kubeconfig", double.kubeconfig, "--cert", os.path.join(certs, "tls.crt"),
                "--key", os.path.join(certs, "tls.key"), "--config", cfg]
    rg.ca_file = os.path.join(certs, "ca.crt")


def leader_config(identity=None, extra=""):
    """A configuration with fast leader election in namespace default."""
    ident = "  identity: %s\n" % identity if identity else ""
    return ("leaderElection:\n  namespace: default\n%s  leaseDurationSeconds: 3\n"
            "  renewDeadlineSeconds: 2\n  retryPeriodSeconds: 1\n%s" % (ident, extra))


# The in-cluster name of raygate's Service: webhooks and CRD conversion call it there.
SERVICE_DNS = "raygate.raygate-system.svc"


def make_certs(out_dir):
    """`raygate certs` for a test: valid for 127.0.0.1, localhost and the Service's name (the
    double verifies a webhook reached through --service-endpoint against that name).
    Returns (ca.crt, tls.crt, tls.key)."""
    subprocess.run([BIN, "certs", "--out", out_dir, "--dns", "localhost", "--dns", SERVICE_DNS,
                    "--ip", "127.0.0.1"], check=True, capture_output=True)
    return tuple(os.path.join(out_dir, n) for n in ("ca.crt", "tls.crt", "tls.key"))


def crds_with_ca(out_dir, ca_path):
    """manifests/crds with the conversion webhooks' caBundle filled in, as raygate's leader
    (caInjection) or cert-manager would leave them: for tests that start the double with
    raygate's CRDs before raygate runs. Returns out_dir."""
    sys.path.insert(0, os.path.join(SRC, "tests/apiserver"))
    import kyaml
    with open(ca_path, "rb") as f:
        bundle = base64.b64encode(f.read()).decode()
    os.makedirs(out_dir, exist_ok=True)
    src = os.path.join(SRC, "manifests/crds")
    for name in sorted(os.listdir(src)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(src, name)) as f:
            crd = kyaml.load(f.read())
        if crd.get("kind") != "CustomResourceDefinition":
            continue  # kustomization.yaml
        hook = (crd["spec"].get("conversion") or {}).get("webhook")
        if hook:
            hook["clientConfig"]["caBundle"] = bundle
        with open(os.path.join(out_dir, name[:-5] + ".json"), "w") as f:
            json.dump(crd, f)
    return out_dir


class KubeDouble:
    """The API-server test double (tests/apiserver/kubedouble.py) as a process.

    crds: the CRD directory (manifests/crds by default). raygate_port: where Service
    raygate-system/raygate:443 is reached (webhook and conversion calls), as kube-proxy would."""

    def __init__(self, *args, crds=None, raygate_port=None):
        self.tmp = tempfile.mkdtemp(prefix="rg-double-")
        self.port_file = os.path.join(self.tmp, "port")
        self.kubeconfig = os.path.join(self.tmp, "kubeconfig")
        self.pki = os.path.join(self.tmp, "pki")
        if raygate_port:
            args = ("--service-endpoint", "raygate-system/raygate:443=127.0.0.1:%d" % raygate_port,
                    *args)
        self.args = [sys.executable, os.path.join(SRC, "tests/apiserver/kubedouble.py"),
                     "--port-file", self.port_file, "--kubeconfig", self.kubeconfig,
                     "--cert-dir", self.pki, "--crds", crds or os.path.join(SRC, "manifests/crds"),
                     *args]
        self.proc = None
        self.port = None

    def start(self):
        self.log = open(os.path.join(self.tmp, "double.log"), "wb")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent)
        deadline = time.time() + 30
        while not (os.path.exists(self.port_file) and os.path.getsize(self.port_file)):
            if self.proc.poll() is not None or time.time() > deadline:
                raise AssertionError("the API-server double did not start")
            time.sleep(0.05)
        with open(self.port_file) as f:
            self.port = int(f.read().strip())
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def request(self, method, path, body=None, content_type="application/json"):
        ctx = ssl.create_default_context(cafile=os.path.join(self.pki, "ca.crt"))
        c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=ctx)
        headers = {"Authorization": "Bearer kubedouble-admin-token"}
        if body is not None:
            headers["Content-Type"] = content_type
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode("utf-8")
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, (json.loads(data) if data.strip() else None)

    def writes(self):
        return self.request("GET", "/_double/writes")[1]["items"]


class WatchRecorder:
    """Records every event of one resource of the double, in resourceVersion
    order, from a background thread: the stored states one by one, to check
    invariants "at every instant". Re-lists (and says so) after a 410."""

    def __init__(self, double, path):
        self.double = double
        self.path = path
        self.events = []  # (type, object)
        self.relists = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        status, lst = self.double.request("GET", self.path)
        assert status == 200, lst
        with self.lock:
            for item in lst.get("items", []):
                self.events.append(("ADDED", item))
        self.rv = lst["metadata"]["resourceVersion"]
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join(15)

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def _stream(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.double.pki, "ca.crt"))
        c = http.client.HTTPSConnection("127.0.0.1", self.double.port, context=ctx, timeout=5)
        c.request("GET", "%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s"
                  % (self.path, self.rv),
                  headers={"Authorization": "Bearer kubedouble-admin-token"})
        r = c.getresponse()
        buf = b""
        while not self.stopping.is_set():
            try:
                chunk = r.read1(65536)
            except socket.timeout:
                continue
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if not line.strip():
                    continue
                ev = json.loads(line)
                obj = ev.get("object") or {}
                if ev["type"] == "ERROR":
                    raise _Expired()
                rv = (obj.get("metadata") or {}).get("resourceVersion")
                if rv:
                    self.rv = rv
                if ev["type"] != "BOOKMARK":
                    with self.lock:
                        self.events.append((ev["type"], obj))

    def _run(self):
        while not self.stopping.is_set():
            try:
                self._stream()
            except _Expired:
                self.relists += 1
                status, lst = self.double.request("GET", self.path)
                with self.lock:
                    for item in lst.get("items", []):
                        self.events.append(("RELIST", item))
                self.rv = lst["metadata"]["resourceVersion"]
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)


class _Expired(Exception):
    pass


def kubectl_path():
    """kubectl to drive the double as a user would: $KUBECTL, else the one on PATH
    (scripts/deps.sh installs Debian's kubernetes-client when there is none); None if absent."""
    return os.environ.get("KUBECTL") or shutil.which("kubectl")


def kubectl(kubeconfig, *args, stdin=None, check=True, cache_dir=None):
    """Runs kubectl against kubeconfig; returns the CompletedProcess (text). A fresh
    --cache-dir per double: kubectl caches discovery by server address."""
    cmd = [kubectl_path(), "--kubeconfig", kubeconfig]
    if cache_dir:
        cmd += ["--cache-dir", cache_dir]
    r = subprocess.run(cmd + list(args), input=stdin, capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        raise AssertionError("kubectl %s: exit %d\n%s%s" % (" ".join(args), r.returncode, r.stdout,
                                                             r.stderr))
    return r


def write_token_kubeconfig(path, double, token):
    """A kubeconfig for the double that authenticates with a bearer token (e.g. a service
    account's, given to the double with --token TOKEN=system:serviceaccount:NS:NAME)."""
    with open(os.path.join(double.pki, "ca.crt"), "rb") as f:
        ca = base64.b64encode(f.read()).decode()
    cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "c",
           "clusters": [{"name": "d", "cluster": {"server": "https://127.0.0.1:%d" % double.port,
                                                  "certificate-authority-data": ca}}],
           "users": [{"name": "u", "user": {"token": token}}],
           "contexts": [{"name": "c", "context": {"cluster": "d", "user": "u"}}]}
    with open(path, "w") as f:
        json.dump(cfg, f)
    os.chmod(path, 0o600)
    return path

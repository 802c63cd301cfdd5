"""How the API-server double reaches a webhook named by a clientConfig (`url`, or `service` +
`caBundle`), for admission webhooks (webhookconfig.py) and CRD conversion (conversion.py).

A `service` reference is resolved through the test-only mapping `--service-endpoint
NS/NAME:PORT=127.0.0.1:LOCALPORT`; TLS is verified with the caBundle against the name kube
verifies (NAME.NS.svc for a service, the URL's host otherwise).  Errors read like Go's
(`Post "https://raygate.raygate-system.svc:443/convert?timeout=30s": ...`), since callers put
them into the messages kube-apiserver gives clients."""

import base64
import collections
import http.client
import json
import select
import socket
import ssl
import threading
import time
import urllib.parse

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_RESPONSE = 3 * 1024 * 1024


class CallError(Exception):
    """The webhook could not be called or answered garbage; str() is Go-like error text."""


class Target:
    """Where one webhook call goes: the URL kube would name, and the loopback address used."""

    def __init__(self, url, host, port, path, server_name, ca_pem):
        self.url, self.host, self.port, self.path = url, host, port, path
        self.server_name, self.ca_pem = server_name, ca_pem


def parse_service_endpoint(spec):
    """'NS/NAME:PORT=127.0.0.1:LOCALPORT' -> ((ns, name, port), (host, localport)); ValueError if bad."""
    left, sep, right = spec.partition("=")
    svc, _, port = left.partition(":")
    ns, _, name = svc.partition("/")
    host, _, lport = right.rpartition(":")
    if not sep or not ns or not name or not port.isdigit() or not lport.isdigit():
        raise ValueError("--service-endpoint %r: want NS/NAME:PORT=127.0.0.1:LOCALPORT" % spec)
    if host not in LOOPBACK:
        raise ValueError("--service-endpoint %r: the endpoint must be on loopback" % spec)
    return (ns, name, int(port)), (host, int(lport))


def _ca_pem(client_config):
    bundle = client_config.get("caBundle")
    if not bundle:
        return None
    try:
        return base64.b64decode(bundle, validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        raise CallError("could not get REST client: unable to load root certificates: "
                        "caBundle is not base64 PEM") from None


def resolve(double, client_config, timeout_s):
    """The Target of a clientConfig; raises CallError as kube's client manager would."""
    if not isinstance(client_config, dict):
        raise CallError("could not get REST client: webhook clientConfig is missing")
    ca_pem = _ca_pem(client_config)
    query = "?timeout=%ds" % timeout_s
    if client_config.get("url"):
        u = urllib.parse.urlsplit(client_config["url"])
        path = (u.path or "/") + ("?" + u.query + "&" if u.query else "?") + query[1:]
        url = "%s://%s%s" % (u.scheme, u.netloc, path)
        if u.scheme != "https":
            raise CallError('Post "%s": unsupported protocol scheme "%s"' % (url, u.scheme))
        if u.hostname not in LOOPBACK:
            raise CallError('Post "%s": the test double only calls webhooks on loopback' % url)
        return Target(url, u.hostname, u.port or 443, path, u.hostname, ca_pem)
    svc = client_config.get("service")
    if not isinstance(svc, dict) or not svc.get("name") or not svc.get("namespace"):
        raise CallError("could not get REST client: webhook clientConfig needs url or service")
    ns, name, port = svc["namespace"], svc["name"], int(svc.get("port") or 443)
    path = (svc.get("path") or "/") + query
    host = "%s.%s.svc" % (name, ns)
    url = "https://%s:%d%s" % (host, port, path)
    endpoint = double.service_endpoints.get((ns, name, port))
    if endpoint is None:
        with double.registry.lock:
            exists = (ns, name) in double.registry.stores["/services"].objects
        why = 'no endpoints available for service "%s"' % name if exists else 'service "%s" not found' % name
        raise CallError('Post "%s": %s' % (url, why))
    return Target(url, endpoint[0], endpoint[1], path, host, ca_pem)


def _tls_error(err, target):
    """Go-like text for a TLS verification failure."""
    if isinstance(err, ssl.SSLCertVerificationError):
        if "Hostname mismatch" in str(err) or "IP address mismatch" in str(err):
            return "tls: failed to verify certificate: x509: certificate is not valid for %s" % target.server_name
        return "tls: failed to verify certificate: x509: certificate signed by unknown authority"
    return "tls: %s" % (getattr(err, "reason", None) or err)


# kube-apiserver's webhook transport (client-go transport/cache.go, apimachinery's
# SetTransportDefaults over net/http's DefaultTransport): idle connections kept per host, and
# closed after sitting idle this long.
MAX_IDLE_PER_HOST = 25
IDLE_TIMEOUT_S = 90.0
# kube's ClientManager keeps this many webhook clients (an LRU); one transport each here.
MAX_TRANSPORTS = 200
SWEEP_EVERY_S = 1.0


class Pool:
    """Keep-alive HTTPS connections to webhooks, shared by the double's request threads, as
    kube-apiserver's webhook client keeps them: one transport (TLS settings + idle connections)
    per (endpoint, server name, caBundle), at most MAX_IDLE_PER_HOST idle connections each
    (more may be open at once), an idle one closed after IDLE_TIMEOUT_S or when the server has
    closed it (Go's read loop notices at once; here it is noticed before reuse and on a sweep).
    A connection that failed, timed out or was told to close is never reused.  A connection
    opened before the webhook's certificate rotated keeps the old certificate, as in kube; a new
    caBundle is a new transport, so it opens new connections verified against it.
    HTTP/1.1 only (ALPN offers http/1.1 alone): kube uses HTTP/1.1 for service webhooks and
    would negotiate HTTP/2 for a loopback url only if the webhook offered it."""

    def __init__(self, max_idle_per_host=MAX_IDLE_PER_HOST, idle_timeout_s=IDLE_TIMEOUT_S):
        self.max_idle, self.idle_timeout = max_idle_per_host, idle_timeout_s
        self._lock = threading.Lock()
        self._transports = collections.OrderedDict()  # key -> _Transport, least recently used first
        self._next_sweep = 0.0
        self._closed = False
        self.dialed = 0  # connections opened (each a full TLS handshake)
        self.reused = 0  # calls sent on a kept connection

    def post(self, target, body, timeout_s):
        """POST body (a dict) as JSON to target; the parsed JSON answer.  Raises CallError with
        Go-like text."""
        transport = self._transport(target)
        data = json.dumps(body).encode()
        conn = self._checkout(transport, timeout_s)
        try:
            try:
                resp, raw = _exchange(conn, target, data)
            except _Unsent:
                # The kept connection died before the request got out: Go's transport retries a
                # request it could not write on a reused connection, on a new one.
                conn.close()
                conn = self._dial(transport, timeout_s)
                resp, raw = _exchange(conn, target, data)
        except BaseException:
            conn.close()
            raise
        self._checkin(transport, conn, resp)
        return _decoded(target, resp, raw)

    def stats(self):
        """{"dialed", "reused", "idle"}: connections opened, calls on a kept one, idle now."""
        with self._lock:
            idle = sum(len(t.idle) for t in self._transports.values())
            return {"dialed": self.dialed, "reused": self.reused, "idle": idle}

    def close(self):
        """Close every idle connection; connections in use close when their call ends."""
        with self._lock:
            self._closed = True
            conns = [c for t in self._transports.values() for c, _ in t.idle]
            self._transports.clear()
        for c in conns:
            c.close()

    # -- transports and connections --
    def _transport(self, target):
        key = (target.host, target.port, target.server_name, target.ca_pem)
        with self._lock:
            t = self._transports.get(key)
            if t is not None:
                self._transports.move_to_end(key)
                return t
        t = _Transport(key, _tls_context(target.ca_pem))
        evicted = []
        with self._lock:
            if key in self._transports:  # another thread made it meanwhile
                self._transports.move_to_end(key)
                return self._transports[key]
            self._transports[key] = t
            while len(self._transports) > MAX_TRANSPORTS:
                evicted.extend(c for c, _ in self._transports.popitem(last=False)[1].idle)
        for c in evicted:
            c.close()
        return t

    def _checkout(self, transport, timeout_s):
        """The most recently used live idle connection of transport, or a new (unconnected) one."""
        self._sweep()
        while True:
            with self._lock:
                conn, since = transport.idle.pop() if transport.idle else (None, 0)
            if conn is None:
                return self._dial(transport, timeout_s)
            if time.monotonic() - since < self.idle_timeout and _alive(conn):
                conn.timeout = timeout_s
                conn.sock.settimeout(timeout_s)
                conn.reused = True
                with self._lock:
                    self.reused += 1
                return conn
            conn.close()

    def _dial(self, transport, timeout_s):
        """A new connection of transport (it connects on its first request)."""
        with self._lock:
            self.dialed += 1
        return _Connection(transport, timeout_s)

    def _checkin(self, transport, conn, resp):
        """Keep conn for the next call if its answer was read whole and nobody asked to close."""
        if resp.will_close or not resp.isclosed() or conn.sock is None:
            conn.close()
            return
        with self._lock:
            keep = not self._closed and self._transports.get(transport.key) is transport and \
                len(transport.idle) < self.max_idle
            if keep:
                transport.idle.append((conn, time.monotonic()))
        if not keep:
            conn.close()

    def _sweep(self):
        """Close idle connections past the idle timeout or closed by the server (at most once a
        SWEEP_EVERY_S, so a busy double does not pay it per call)."""
        now = time.monotonic()
        with self._lock:
            if now < self._next_sweep:
                return
            self._next_sweep = now + SWEEP_EVERY_S
            dead = []
            for t in self._transports.values():
                keep = []
                for conn, since in t.idle:
                    (keep if now - since < self.idle_timeout and _alive(conn) else dead).append((conn, since))
                t.idle = keep
        for conn, _ in dead:
            conn.close()


class _Transport:
    """One TLS configuration to one endpoint, and its idle connections (oldest first)."""

    def __init__(self, key, ctx):
        self.key, self.ctx = key, ctx
        self.host, self.port, self.server_name = key[0], key[1], key[2]
        self.idle = []


def _tls_context(ca_pem):
    """The client context of a caBundle (the system roots without one); CallError if unusable."""
    try:
        ctx = ssl.create_default_context(cadata=ca_pem) if ca_pem else ssl.create_default_context()
    except ssl.SSLError as e:
        raise CallError("could not get REST client: unable to load root certificates: %s" % e) from None
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def _alive(conn):
    """False if the server closed an idle connection or sent on it unasked (Go's read loop
    drops such a connection from the idle pool)."""
    sock = conn.sock
    if sock is None or sock.pending():
        return False
    p = select.poll()
    p.register(sock.fileno(), select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
    return not p.poll(0)


class _Unsent(Exception):
    """A reused connection failed while the request was being written."""


def _exchange(conn, target, data):
    """(response, body) of one POST on conn; CallError on failure, _Unsent if a reused
    connection could not take the request."""
    try:
        try:
            conn.request("POST", target.path, body=data, headers={
                "Content-Type": "application/json", "Accept": "application/json, */*"})
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, ssl.SSLEOFError,
                ssl.SSLZeroReturnError):
            if conn.reused:
                raise _Unsent() from None
            raise
        resp = conn.getresponse()
        return resp, resp.read(MAX_RESPONSE + 1)
    except ssl.SSLError as e:
        raise CallError('Post "%s": %s' % (target.url, _tls_error(e, target))) from None
    except ConnectionRefusedError:
        raise CallError('Post "%s": dial tcp %s:%d: connect: connection refused' % (
            target.url, target.host, target.port)) from None
    except (socket.timeout, TimeoutError):
        raise CallError('Post "%s": context deadline exceeded' % target.url) from None
    except http.client.RemoteDisconnected:
        raise CallError('Post "%s": EOF' % target.url) from None
    except (OSError, http.client.HTTPException) as e:
        raise CallError('Post "%s": %s' % (target.url, e)) from None


def _decoded(target, resp, raw):
    """The JSON object of a webhook's answer; CallError with Go-like text otherwise."""
    if len(raw) > MAX_RESPONSE:
        raise CallError('Post "%s": response body larger than %d bytes' % (target.url, MAX_RESPONSE))
    if not 200 <= resp.status < 300:
        text = raw.decode("utf-8", "replace").strip()[:300]
        raise CallError('an error on the server ("%s") has prevented the request from succeeding' % text)
    try:
        out = json.loads(raw)
    except ValueError as e:
        raise CallError("couldn't get version/kind; json parse error: %s" % e) from None
    if not isinstance(out, dict):
        raise CallError("couldn't get version/kind; json parse error: not a JSON object")
    return out


class _Connection(http.client.HTTPSConnection):
    """Connects to the loopback endpoint but verifies the certificate for the name kube would."""

    def __init__(self, transport, timeout_s):
        super().__init__(transport.host, transport.port, context=transport.ctx, timeout=timeout_s)
        self._server_name = transport.server_name
        self._ctx = transport.ctx
        self.reused = False

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._ctx.wrap_socket(sock, server_hostname=self._server_name)


class ServiceEndpoints:
    """The test-only Service -> loopback mapping (kube would resolve the Service's endpoints)."""

    def __init__(self):
        self._map = {}

    def map(self, spec):
        """Add 'NS/NAME:PORT=127.0.0.1:LOCALPORT'; ValueError if malformed."""
        key, endpoint = parse_service_endpoint(spec)
        self._map[key] = endpoint

    def get(self, key):
        return self._map.get(key)


def add_flags(parser):
    """Add --service-endpoint to the double's command line."""
    parser.add_argument("--service-endpoint", action="append", default=[],
                        help="NS/NAME:PORT=127.0.0.1:LOCALPORT: where a webhook clientConfig.service "
                             "(admission or CRD conversion) is reached (repeatable, test-only)")


def apply_flags(double, args):
    for spec in args.service_endpoint:
        double.service_endpoints.map(spec)

"""How the API-server double reaches a webhook named by a clientConfig (`url`, or `service` +
`caBundle`), for admission webhooks (webhookconfig.py) and CRD conversion (conversion.py).

A `service` reference is resolved through the test-only mapping `--service-endpoint
NS/NAME:PORT=127.0.0.1:LOCALPORT`; TLS is verified with the caBundle against the name kube
verifies (NAME.NS.svc for a service, the URL's host otherwise).  Errors read like Go's
(`Post "https://raygate.raygate-system.svc:443/convert?timeout=30s": ...`), since callers put
them into the messages kube-apiserver gives clients."""

import base64
import http.client
import json
import socket
import ssl
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


def post(target, body, timeout_s):
    """POST body (a dict) as JSON; the parsed JSON answer.  Raises CallError with Go-like text."""
    try:
        ctx = ssl.create_default_context(cadata=target.ca_pem) if target.ca_pem else ssl.create_default_context()
    except ssl.SSLError as e:
        raise CallError("could not get REST client: unable to load root certificates: %s" % e) from None
    data = json.dumps(body).encode()
    conn = _Connection(target, ctx, timeout_s)
    try:
        conn.request("POST", target.path, body=data, headers={
            "Content-Type": "application/json", "Accept": "application/json, */*"})
        resp = conn.getresponse()
        raw = resp.read(MAX_RESPONSE + 1)
    except ssl.SSLError as e:
        raise CallError('Post "%s": %s' % (target.url, _tls_error(e, target))) from None
    except ConnectionRefusedError:
        raise CallError('Post "%s": dial tcp %s:%d: connect: connection refused' % (
            target.url, target.host, target.port)) from None
    except (socket.timeout, TimeoutError):
        raise CallError('Post "%s": context deadline exceeded' % target.url) from None
    except (OSError, http.client.HTTPException) as e:
        raise CallError('Post "%s": %s' % (target.url, e)) from None
    finally:
        conn.close()
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

    def __init__(self, target, ctx, timeout_s):
        super().__init__(target.host, target.port, context=ctx, timeout=timeout_s)
        self._server_name = target.server_name
        self._ctx = ctx

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

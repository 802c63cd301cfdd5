"""What a request is about, parsed from its method, path and query as kube-apiserver's
RequestInfoFactory does (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go).

Authorization (rbac.py) and the response edge (conversion.py) both need it; the double's own
router in kubedouble.py is separate, as the API server's handlers are separate from this."""

import re
import urllib.parse

# A path segment kube accepts as an object name (path.IsValidPathSegmentName).
_BAD_SEGMENT = re.compile(r"^\.\.?$|[/%]")

_NAMESPACE_SUBRESOURCES = ("status", "finalize")

_VERB_BY_METHOD = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update",
                   "PATCH": "patch", "DELETE": "delete"}


class RequestInfo:
    """The attributes the authorizer and the audit log see.

    Non-resource requests (discovery, /healthz, /openapi/v2, ...) carry only verb and path."""

    __slots__ = ("is_resource", "path", "verb", "api_prefix", "group", "version", "namespace",
                 "resource", "subresource", "name", "parts")

    def __init__(self, path, verb):
        self.is_resource = False
        self.path, self.verb = path, verb
        self.api_prefix = self.group = self.version = ""
        self.namespace = self.resource = self.subresource = self.name = ""
        self.parts = []

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    def describe(self):
        """A dict for the access log."""
        if not self.is_resource:
            return {"verb": self.verb, "path": self.path, "nonResource": True}
        return {"verb": self.verb, "group": self.group, "version": self.version,
                "resource": self.resource, "subresource": self.subresource,
                "namespace": self.namespace, "name": self.name, "path": self.path}


def _bool_param(value):
    return value.lower() not in ("false", "0", "") if value is not None else False


def _name_from_field_selector(selector):
    """The value of a `metadata.name=X` (or ==) term, as fields.Selector.RequiresExactMatch."""
    for term in (selector or "").split(","):
        m = re.match(r"^\s*metadata\.name\s*(==|=)\s*(.*?)\s*$", term)
        if m and not _BAD_SEGMENT.search(m.group(2)) and m.group(2):
            return m.group(2)
    return ""


def parse(method, path, params):
    """RequestInfo for one request.  params: the query as a dict of last values."""
    info = RequestInfo(path, _VERB_BY_METHOD.get(method, method.lower()))
    parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
    if len(parts) < 3 or parts[0] not in ("api", "apis"):
        return info
    info.api_prefix, parts = parts[0], parts[1:]
    if info.api_prefix == "apis":
        if len(parts) < 3:
            return info
        info.group, parts = parts[0], parts[1:]
    info.is_resource = True
    info.version, parts = parts[0], parts[1:]
    if parts and parts[0] == "watch":
        if len(parts) < 2:
            info.is_resource = False
            return info
        info.verb, parts = "watch", parts[1:]
    if parts and parts[0] == "namespaces":
        if len(parts) > 1:
            info.namespace = parts[1]
            if len(parts) > 2 and parts[2] not in _NAMESPACE_SUBRESOURCES:
                parts = parts[2:]
    info.parts = parts
    if len(parts) >= 3:
        info.subresource = parts[2]
    if len(parts) >= 2:
        info.name = parts[1]
    if parts:
        info.resource = parts[0]
    if not info.name and info.verb == "get":
        info.verb = "watch" if _bool_param(params.get("watch")) else "list"
        info.name = _name_from_field_selector(params.get("fieldSelector"))
    if not info.name and info.verb == "delete":
        info.verb = "deletecollection"
    return info

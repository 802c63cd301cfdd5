"""Aggregated discovery (apidiscovery.k8s.io/v2 and v2beta1 APIGroupDiscoveryList) for the
API-server double: `/api` and `/apis` answer every group, version and resource in one document
when the client asks for it (kubectl >= 1.26 does, first), as kube-apiserver does; the legacy
per-group documents stay the answer to everyone else.  Built from the same data as the legacy
APIResourceLists (Handler.resource_list)."""

import json

KINDS = ("v2", "v2beta1")


def wanted_version(accept):
    """'v2' or 'v2beta1' when the Accept header asks for aggregated discovery before plain JSON."""
    for part in (accept or "").split(","):
        params = dict(p.strip().partition("=")[::2] for p in part.split(";")[1:])
        if params.get("g") == "apidiscovery.k8s.io" and params.get("as") == "APIGroupDiscoveryList" \
                and params.get("v") in KINDS:
            return params["v"]
        if part.strip().split(";")[0] in ("application/json", "*/*"):
            return None
    return None


def _resources(handler, group, version):
    """APIResourceDiscovery entries of one group-version, subresources folded into their parent."""
    entries = handler.resource_list(group, version)["resources"]
    out, by_name = [], {}
    for e in entries:
        if "/" in e["name"]:
            continue
        r = {"resource": e["name"], "responseKind": {"group": group, "version": version, "kind": e["kind"]},
             "scope": "Namespaced" if e["namespaced"] else "Cluster", "singularResource": e["singularName"],
             "verbs": e["verbs"]}
        for key in ("shortNames", "categories"):
            if e.get(key):
                r[key] = e[key]
        by_name[e["name"]] = r
        out.append(r)
    for e in entries:
        parent, _, sub = e["name"].partition("/")
        if sub and parent in by_name:
            by_name[parent].setdefault("subresources", []).append({
                "subresource": sub, "verbs": e["verbs"],
                "responseKind": {"group": "" if e["kind"] == "Binding" else group, "version": version,
                                 "kind": e["kind"]}})
    return out


def document(handler, legacy_core, version):
    """The APIGroupDiscoveryList of /api (legacy_core) or /apis."""
    reg = handler.server.double.registry
    items = []
    for group, versions in reg.groups().items():
        if bool(group) == legacy_core:
            continue
        items.append({"metadata": {"name": group, "creationTimestamp": None},
                      "versions": [{"version": v, "resources": _resources(handler, group, v), "freshness": "Current"}
                                   for v in versions]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/" + version,
            "metadata": {"creationTimestamp": None}, "items": items}


def serve(handler, path):
    """Answer GET /api or /apis in the aggregated form if asked for it; False to let the legacy
    handler answer."""
    if path not in ("/api", "/apis") or handler.command not in ("GET", "HEAD"):
        return False
    version = wanted_version(handler.headers.get("Accept"))
    if version is None:
        return False
    body = json.dumps(document(handler, path == "/api", version)).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json;g=apidiscovery.k8s.io;v=%s;as=APIGroupDiscoveryList"
                        % version)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Vary", "Accept")
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)
    return True

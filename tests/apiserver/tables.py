"""Server-side printing for the API-server double: a get or list asked for as a meta.k8s.io
Table (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, what `kubectl get` sends) is
answered with one, as kube-apiserver does: for custom resources the Name column and the CRD
version's additionalPrinterColumns (or Age when it declares none), evaluated with the simple
JSONPath kube accepts there (apiextensions-apiserver/pkg/registry/customresource/tableconvertor);
for built-in kinds Name and Age (kube's per-kind printers, e.g. a pod's READY and STATUS, are
not reproduced).  A watch asked for as Tables gets each event's object as a one-row Table."""

import datetime
import json
import re

CRD_STORE = "apiextensions.k8s.io/customresourcedefinitions"
_NAME_COLUMN = {"name": "Name", "type": "string", "format": "name", "priority": 0,
                "description": "Name must be unique within a namespace."}
_AGE = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp",
        "description": "CreationTimestamp is a timestamp representing the server time when this object was "
                       "created."}


def wants_table(accept):
    """True when the Accept header asks for a meta.k8s.io Table (v1 or v1beta1) first."""
    for part in (accept or "").split(","):
        params = dict(p.strip().partition("=")[::2] for p in part.split(";")[1:])
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            return params["v"]
        if part.strip().split(";")[0] in ("application/json", "*/*"):
            return None
    return None


def human_duration(seconds):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    minutes = s // 60
    if minutes < 10:
        return "%dm" % minutes if s % 60 == 0 else "%dm%ds" % (minutes, s % 60)
    if minutes < 180:
        return "%dm" % minutes
    hours = minutes // 60
    if hours < 8:
        return "%dh" % hours if minutes % 60 == 0 else "%dh%dm" % (hours, minutes % 60)
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        return "%dd" % (hours // 24) if hours % 24 == 0 else "%dd%dh" % (hours // 24, hours % 24)
    if hours < 24 * 365 * 2:
        return "%dd" % (hours // 24)
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return "%dy" % (hours // 24 // 365) if days == 0 else "%dy%dd" % (hours // 24 // 365, days)
    return "%dy" % (hours // 24 // 365)


_TOKEN = re.compile(r"""\.([A-Za-z0-9_\-]+)|\[(\d+|\*)\]|\['([^']*)'\]|\[\?\(@((?:\.[A-Za-z0-9_\-]+)+)\s*==\s*(?:'([^']*)'|"([^"]*)"|(-?\d+))\)\]""")


def json_path(obj, path):
    """Results of a simple JSONPath (.a.b, [0], [*], ['k'], [?(@.f=='v')]) on obj; [] if none."""
    values, pos = [obj], 0
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if not m:
            return []
        pos = m.end()
        field, index, quoted, filt, v1, v2, v3 = m.groups()
        out = []
        for v in values:
            if field is not None or quoted is not None:
                key = field if field is not None else quoted
                if isinstance(v, dict) and key in v:
                    out.append(v[key])
            elif index is not None:
                if isinstance(v, list):
                    out.extend(v if index == "*" else v[int(index):int(index) + 1])
            else:
                want = v1 if v1 is not None else v2 if v2 is not None else int(v3)
                for item in v if isinstance(v, list) else []:
                    got = json_path(item, filt)
                    if got and (got[0] == want or str(got[0]) == str(want)):
                        out.append(item)
        values = out
    return values


def _cell(column, obj, now):
    results = json_path(obj, column.get("jsonPath", ""))
    if not results or results[0] is None:
        return None
    value, typ = results[0], column.get("type", "string")
    if typ == "string":
        return value if isinstance(value, str) else json.dumps(value)
    if typ == "integer":
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if typ == "number":
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if typ == "boolean":
        return value if isinstance(value, bool) else None
    if typ == "date":
        try:
            t = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
        except (TypeError, ValueError):
            return None
        return human_duration((now - t).total_seconds())
    return value


def _columns(double, group, version, plural):
    """Printer columns of the resource: the CRD version's, else Age."""
    reg = double.registry
    with reg.lock:
        store = reg.stores.get(CRD_STORE)
        crd = store.objects.get(("", "%s.%s" % (plural, group))) if store and group else None
        versions = list(((crd or {}).get("spec") or {}).get("versions") or [])
    for v in versions:
        if v.get("name") == version and v.get("additionalPrinterColumns"):
            return [dict(c) for c in v["additionalPrinterColumns"] if isinstance(c, dict)]
    return [dict(_AGE)]


def render(double, headers, info, obj, params):
    """obj as a Table when the request asked for one (gets and lists of objects), else obj."""
    version = wants_table(headers.get("Accept"))
    if not version or not isinstance(obj, dict) or not info.is_resource or info.verb not in ("get", "list") \
            or obj.get("kind") in ("Status", "Table") or info.subresource:
        return obj
    is_list = isinstance(obj.get("items"), list)
    meta = {k: v for k, v in (obj.get("metadata") or {}).items()
            if k in ("resourceVersion", "continue", "remainingItemCount")} if is_list else \
        {"resourceVersion": (obj.get("metadata") or {}).get("resourceVersion", "")}
    return _table(double, version, (info.group, info.version, info.resource), obj["items"] if is_list else [obj],
                  params, meta)


def watch_object(double, headers, rt, obj, params):
    """A watch event's object as a one-row Table when the watch asked for Tables, else obj."""
    version = wants_table(headers.get("Accept"))
    if not version or not isinstance(obj, dict) or obj.get("kind") == "Status":
        return obj
    return _table(double, version, (rt.group, rt.version, rt.plural), [obj], params,
                  {"resourceVersion": (obj.get("metadata") or {}).get("resourceVersion", "")})


def _table(double, version, gvr, items, params, meta):
    columns = _columns(double, *gvr)
    now = datetime.datetime.now(datetime.timezone.utc)
    include = params.get("includeObject") or "Metadata"
    rows = []
    for item in items:
        item_meta = item.get("metadata") or {}
        row = {"cells": [item_meta.get("name", "")] + [_cell(c, item, now) for c in columns]}
        if include == "Object":
            row["object"] = item
        elif include == "Metadata":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/" + version,
                             "metadata": item_meta}
        rows.append(row)
    defs = [dict(_NAME_COLUMN)] + [{"name": c.get("name", ""), "type": c.get("type", "string"),
                                    "format": c.get("format", ""), "description": c.get("description", ""),
                                    "priority": int(c.get("priority") or 0)} for c in columns]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/" + version, "metadata": meta,
            "columnDefinitions": defs, "rows": rows}

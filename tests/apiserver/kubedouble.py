#!/usr/bin/env python3
"""kubedouble: a Kubernetes API-server test double for raygate's integration tests.

It speaks the kube-apiserver REST protocol over HTTPS on 127.0.0.1 so that raygate's
real C client code (list/watch, create/update/patch, leases, events, binding) runs
unmodified against it.  Nothing in raygate is mocked; this process stands in for the
cluster.  Python 3 standard library only (plus the `openssl` CLI to mint certificates).

What it does (see tests/apiserver/README.md for every flag and docs/testing.md for use):
  * HTTPS with its own CA (made at start with `openssl`), bearer-token and client-cert
    authentication (anything else: 401 Status), a kubeconfig written for the client.
  * Built-in kinds: Namespace, Node, Pod (+pods/binding, pods/status), Lease,
    Event (v1 and events.k8s.io/v1, stored separately), PriorityClass, and
    CustomResourceDefinition; every CRD loaded with --crds or POSTed at run time.
  * Storage with one cluster-wide monotonic resourceVersion, uid, creationTimestamp,
    generation (bumped on spec change), finalizers/deletionTimestamp, generateName.
  * list with limit/continue, labelSelector, fieldSelector; watch framed exactly like
    kube-apiserver (chunked, one JSON event per line, BOOKMARK, 410 as an ERROR event).
  * merge, JSON and strategic-merge (= merge) patches; status subresource semantics;
    CRD structural-schema defaulting, pruning and type/enum/required validation.
  * mutating and validating admission webhooks (AdmissionReview v1) from flags.
  * fault injection and a write log under /_double/ (no auth needed there).

Run:  python3 tests/apiserver/kubedouble.py --port-file /tmp/p --kubeconfig /tmp/kc \
          --crds manifests/crds
In-process (tests):  d = KubeDouble(crd_paths=[...]); d.start(); ...; d.stop()
"""

import argparse
import base64
import collections
import copy
import datetime
import http.client
import http.server
import json
import os
import re
import select
import shutil
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The sibling modules below import this one as "kubedouble": make that name this module even
# when it runs as a script, so that there is one ApiError class. They use it at call time only.
sys.modules.setdefault("kubedouble", sys.modules[__name__])
import kyaml  # noqa: E402  (sibling module)
import deletion  # noqa: E402
import faultrules  # noqa: E402
import garbagecollector  # noqa: E402
import podlifecycle  # noqa: E402
import preconditions  # noqa: E402
import priority  # noqa: E402
import watchcache  # noqa: E402

MAX_BODY = 3 * 1024 * 1024  # kube-apiserver's default request object limit

# kube-apiserver's concerns kept in sibling modules (README.md names each). They import this
# module as "kubedouble" and use it at call time: bind that name to this very module even when
# it runs as a script (one ApiError class, one registry).
sys.modules.setdefault("kubedouble", sys.modules[__name__])
import conversion  # noqa: E402  (CRD conversion webhooks)
import discovery  # noqa: E402  (aggregated discovery)
import kinds  # noqa: E402  (stored-only built-in kinds)
import openapi  # noqa: E402  (/openapi/v2 and /v3 for kubectl)
import rbac  # noqa: E402  (authorization)
import requestinfo  # noqa: E402  (request attributes)
import smp  # noqa: E402  (strategic merge patch)
import tables  # noqa: E402  (server-side printing for kubectl get)
import webhookclient  # noqa: E402  (reaching webhooks by url or service)
import webhookconfig  # noqa: E402  (admission webhooks from flags and configuration objects)


# ----------------------------------------------------------------------------
# Errors as kube-apiserver writes them: every failure is a metav1.Status.
# ----------------------------------------------------------------------------

class ApiError(Exception):
    def __init__(self, code, reason, message, name=None, group=None, kind=None,
                 causes=None, retry_after=None):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.name, self.group, self.kind = name, group, kind
        self.causes, self.retry_after = causes, retry_after

    def status(self):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
              "message": self.message, "reason": self.reason, "code": self.code}
        if not self.reason:
            del st["reason"]  # StatusReasonUnknown is "" and omitted, as kube writes it
        details = {}
        if self.name:  # omitempty, as metav1.StatusDetails
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = self.causes
        if self.retry_after is not None:
            details["retryAfterSeconds"] = int(self.retry_after)
        if details:
            st["details"] = details
        return st


def bad_request(msg):
    return ApiError(400, "BadRequest", msg)


def qualified(rt):
    return rt.plural if not rt.group else "%s.%s" % (rt.plural, rt.group)


def not_found(rt, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (qualified(rt), name),
                    name=name, group=rt.group, kind=rt.plural)


def conflict(rt, name, why="the object has been modified; please apply your changes "
             "to the latest version and try again", resource=None):
    res = resource or qualified(rt)
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s' % (res, name, why),
                    name=name, group=rt.group, kind=rt.plural)


def invalid(rt, name, causes):
    """422 Invalid; causes is a list of (field, message)."""
    kind_group = rt.kind if not rt.group else "%s.%s" % (rt.kind, rt.group)
    text = "; ".join("%s: %s" % (f, m) if f else m for f, m in causes)
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (kind_group, name or "", text),
                    name=name, group=rt.group, kind=rt.kind,
                    causes=[{"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in causes])


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ----------------------------------------------------------------------------
# Patches: RFC 7386 merge patch and RFC 6902 JSON patch.
# ----------------------------------------------------------------------------

def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


class PatchFailed(Exception):
    """A JSON patch that cannot be applied (kube answers 422 Invalid)."""


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchFailed("invalid JSON pointer %r" % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve_parent(doc, parts, path):
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, dict):
            if p not in cur:
                raise PatchFailed("doc is missing path: %s" % path)
            cur = cur[p]
        elif isinstance(cur, list):
            try:
                idx = int(p)
            except ValueError:
                raise PatchFailed("invalid array index %r in %s" % (p, path)) from None
            if not 0 <= idx < len(cur):
                raise PatchFailed("doc is missing path: %s" % path)
            cur = cur[idx]
        else:
            raise PatchFailed("doc is missing path: %s" % path)
    return cur


def _get(doc, path):
    parts = _pointer(path)
    if not parts:
        return doc
    parent = _resolve_parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchFailed("doc is missing path: %s" % path)
        return parent[last]
    if isinstance(parent, list):
        try:
            idx = int(last)
        except ValueError:
            raise PatchFailed("invalid array index %r" % last) from None
        if not 0 <= idx < len(parent):
            raise PatchFailed("doc is missing path: %s" % path)
        return parent[idx]
    raise PatchFailed("doc is missing path: %s" % path)


def _remove(doc, path):
    parts = _pointer(path)
    if not parts:
        raise PatchFailed("cannot remove the document root")
    parent = _resolve_parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchFailed("unable to remove nonexistent key: %s: missing value" % last)
        return parent.pop(last)
    if isinstance(parent, list):
        try:
            idx = int(last)
        except ValueError:
            raise PatchFailed("invalid array index %r" % last) from None
        if not 0 <= idx < len(parent):
            raise PatchFailed("unable to remove nonexistent index %s" % last)
        return parent.pop(idx)
    raise PatchFailed("doc is missing path: %s" % path)


def _add(doc, path, value, replace=False):
    parts = _pointer(path)
    if not parts:
        return value
    parent = _resolve_parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchFailed("replace operation does not apply: doc is missing key: %s" % path)
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        else:
            try:
                idx = int(last)
            except ValueError:
                raise PatchFailed("invalid array index %r" % last) from None
            if replace:
                if not 0 <= idx < len(parent):
                    raise PatchFailed("replace operation does not apply: doc is missing path: %s" % path)
                parent[idx] = value
            else:
                if not 0 <= idx <= len(parent):
                    raise PatchFailed("add operation does not apply: index out of bounds: %s" % path)
                parent.insert(idx, value)
    else:
        raise PatchFailed("doc is missing path: %s" % path)
    return doc


def json_patch(doc, ops):
    if not isinstance(ops, list):
        raise PatchFailed("a JSON patch must be a JSON array of operations")
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchFailed("each JSON patch operation needs 'op' and 'path'")
        kind, path = op["op"], op["path"]
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            if path == "":
                doc = copy.deepcopy(op.get("value"))
            else:
                _add(doc, path, copy.deepcopy(op.get("value")), replace=True)
        elif kind == "move":
            src = op.get("from", "")
            if path.startswith(src + "/"):
                raise PatchFailed("cannot move %s into its own child %s" % (src, path))
            val = _remove(doc, src)
            doc = _add(doc, path, val)
        elif kind == "copy":
            doc = _add(doc, path, copy.deepcopy(_get(doc, op.get("from", ""))))
        elif kind == "test":
            try:
                cur = _get(doc, path)
            except PatchFailed:
                raise PatchFailed("testing value %s failed: missing path" % path) from None
            if cur != op.get("value") or type(cur) is bool and type(op.get("value")) is not bool:
                raise PatchFailed("testing value %s failed: test failed" % path)
        else:
            raise PatchFailed("unexpected kind: %s" % kind)
    return doc


# ----------------------------------------------------------------------------
# Label and field selectors.
# ----------------------------------------------------------------------------

_LABEL_REQ = re.compile(
    r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9_.-]*)|"
    r"\s+(in|notin)\s*\(([^)]*)\))?\s*$")


def _split_selector(s):
    parts, depth, cur = [], 0, ""
    for c in s:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    if cur.strip():
        parts.append(cur)
    return parts


def parse_label_selector(s):
    """Returns a predicate over a labels dict; raises ApiError 400 on bad syntax."""
    reqs = []
    for part in _split_selector(s or ""):
        m = _LABEL_REQ.match(part)
        if not m:
            raise bad_request("unable to parse requirement: %r" % part.strip())
        neg, key, op, val, setop, setvals = m.groups()
        if neg and (op or setop):
            raise bad_request("unable to parse requirement: %r" % part.strip())
        if op:
            reqs.append((key, "!=" if op == "!=" else "=", val))
        elif setop:
            vals = {v.strip() for v in setvals.split(",") if v.strip()}
            reqs.append((key, setop, vals))
        else:
            reqs.append((key, "!exists" if neg else "exists", None))

    def pred(labels):
        labels = labels or {}
        for key, op, val in reqs:
            has = key in labels
            if op == "=" and (not has or labels[key] != val):
                return False
            if op == "!=" and has and labels[key] == val:
                return False
            if op == "in" and (not has or labels[key] not in val):
                return False
            if op == "notin" and has and labels[key] in val:
                return False
            if op == "exists" and not has:
                return False
            if op == "!exists" and has:
                return False
        return True
    return pred


def _field_value(obj, path):
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict) or p not in cur:
            return ""
        cur = cur[p]
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return "" if cur is None else str(cur)


def parse_field_selector(s, rt):
    reqs = []
    for part in _split_selector(s or ""):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$", part)
        if not m:
            raise bad_request("invalid selector: '%s'; can't understand '%s'" % (s, part))
        field, op, val = m.groups()
        if field not in rt.field_labels:
            raise bad_request('"%s" is not a known field selector: only "%s"' % (
                field, '", "'.join(sorted(rt.field_labels))))
        reqs.append((field, op != "!=", val))

    def pred(obj):
        for field, eq, val in reqs:
            if (_field_value(obj, field) == val) != eq:
                return False
        return True
    return pred


# ----------------------------------------------------------------------------
# Structural schema: defaulting, pruning and validation of custom resources.
# ----------------------------------------------------------------------------

def _type_ok(value, schema):
    t = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, (int, str)) and not isinstance(value, bool)
    if t is None:
        return True
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or \
            isinstance(value, float) and value.is_integer()
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "boolean":
        return isinstance(value, bool)
    return True


def apply_schema(value, schema, path, errors, top=False):
    """Default, prune and validate value in place against a structural schema.

    Returns the (possibly replaced) value; appends (field, message) to errors.
    Mirrors what kube-apiserver does for CRDs: unknown fields are dropped unless
    x-kubernetes-preserve-unknown-fields, defaults fill absent fields, type/enum/
    required/min/max violations are reported as 422 causes."""
    if value is None:
        if schema.get("nullable"):
            return None
        errors.append((path, "Invalid value: \"null\": %s in body must be of type %s" % (
            path, schema.get("type", "object"))))
        return value
    if not _type_ok(value, schema):
        errors.append((path, 'Invalid value: "%s": %s in body must be of type %s: "%s"' % (
            type(value).__name__, path, schema.get("type"), type(value).__name__)))
        return value
    if schema.get("type") == "integer" and isinstance(value, float):
        value = int(value)
    if "enum" in schema and value not in schema["enum"]:
        errors.append((path, 'Unsupported value: %s: supported values: %s' % (
            json.dumps(value), ", ".join(json.dumps(e) for e in schema["enum"]))))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append((path, "Invalid value: %s: %s in body should be greater than or equal to %s" % (
                value, path, schema["minimum"])))
        if "maximum" in schema and value > schema["maximum"]:
            errors.append((path, "Invalid value: %s: %s in body should be less than or equal to %s" % (
                value, path, schema["maximum"])))
    if isinstance(value, str) and "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append((path, "Too long: may not be more than %d bytes" % schema["maxLength"]))
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append((path, "Too many: %d: must have at most %d items" % (len(value), schema["maxItems"])))
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append((path, "Invalid value: %d: %s in body should have at least %d items" % (
                len(value), path, schema["minItems"])))
        items = schema.get("items")
        if items:
            for i in range(len(value)):
                value[i] = apply_schema(value[i], items, "%s[%d]" % (path, i), errors)
    if isinstance(value, dict):
        props = schema.get("properties")
        addl = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields")
        for name, sub in (props or {}).items():
            if name not in value and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
        for key in list(value.keys()):
            sub_path = "%s.%s" % (path, key) if path else key
            if top and key in ("apiVersion", "kind", "metadata"):
                continue
            if props and key in props:
                value[key] = apply_schema(value[key], props[key], sub_path, errors)
            elif isinstance(addl, dict):
                value[key] = apply_schema(value[key], addl, sub_path, errors)
            elif not preserve:
                del value[key]  # pruning, as kube-apiserver does
        for req in schema.get("required", []):
            if req not in value:
                errors.append(("%s.%s" % (path, req) if path else req, "Required value"))
    return value


# ----------------------------------------------------------------------------
# Resource types and storage.
# ----------------------------------------------------------------------------

COMMON_FIELDS = {"metadata.name", "metadata.namespace"}


class ResourceType:
    """One served group/version/resource.  Several versions may share one store."""

    def __init__(self, group, version, plural, kind, namespaced, singular=None,
                 short_names=(), status_subresource=False, drop_status_on_create=False,
                 require_rv_on_update=False, field_labels=(), schema=None, categories=(),
                 store_key=None, is_crd=False, return_deleted=False):
        self.group, self.version, self.plural, self.kind = group, version, plural, kind
        self.namespaced = namespaced
        self.singular = singular or kind.lower()
        self.short_names = list(short_names)
        self.categories = list(categories)
        self.status_subresource = status_subresource
        self.drop_status_on_create = drop_status_on_create
        self.require_rv_on_update = require_rv_on_update
        self.field_labels = set(COMMON_FIELDS) | set(field_labels)
        self.schema = schema
        self.store_key = store_key or "%s/%s" % (group, plural)
        self.is_crd = is_crd
        self.return_deleted = return_deleted or is_crd

    @property
    def api_version(self):
        return self.version if not self.group else "%s/%s" % (self.group, self.version)

    @property
    def gv(self):
        return self.api_version


class Store:
    """All objects of one group/resource, with its bounded event history."""

    def __init__(self, window):
        self.objects = {}  # (namespace, name) -> object (stored apiVersion may vary)
        self.history = collections.deque()  # (rv, type, obj, old_obj)
        self.window = window
        self.key = None  # its store_key
        self.observers = ()  # fn(store_key, type, obj, old), called (lock held) on every change
        self.floor = 0  # a watch from rv < floor is answered with 410 Expired (see watchcache.py)
        self.compacted = 0  # a continue token from rv < compacted is 410 Expired (etcd compaction)

    def record(self, rv, etype, obj, old):
        self.history.append((rv, etype, obj, old))
        watchcache.trim(self)
        for fn in self.observers:
            fn(self.key, etype, obj, old)


def _version_key(v):
    m = re.match(r"^v(\d+)(?:(alpha|beta)(\d+))?$", v)
    if not m:
        return (0, 0, 0, v)
    major, stage, minor = m.groups()
    rank = {"alpha": 1, "beta": 2, None: 3}[stage]
    return (rank, int(major), int(minor or 0), v)


def builtin_types():
    pods_fields = {"spec.nodeName", "spec.schedulerName", "spec.restartPolicy", "spec.serviceAccountName",
                   "status.phase", "status.podIP", "status.nominatedNodeName"}
    event_fields = {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                    "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                    "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}
    return [
        ResourceType("", "v1", "namespaces", "Namespace", False, short_names=["ns"],
                     status_subresource=True, field_labels={"status.phase"}, return_deleted=True),
        ResourceType("", "v1", "nodes", "Node", False, short_names=["no"], status_subresource=True,
                     field_labels={"spec.unschedulable"}),
        ResourceType("", "v1", "pods", "Pod", True, short_names=["po"], status_subresource=True,
                     drop_status_on_create=True, field_labels=pods_fields, categories=["all"],
                     return_deleted=True),
        ResourceType("", "v1", "events", "Event", True, short_names=["ev"], field_labels=event_fields),
        ResourceType("events.k8s.io", "v1", "events", "Event", True, short_names=["ev"],
                     field_labels={"regarding.kind", "regarding.name", "regarding.namespace",
                                   "reason", "type", "reportingController"}),
        ResourceType("coordination.k8s.io", "v1", "leases", "Lease", True),
        ResourceType("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", False,
                     short_names=["pc"]),
        ResourceType("apiextensions.k8s.io", "v1", "customresourcedefinitions",
                     "CustomResourceDefinition", False, short_names=["crd", "crds"],
                     status_subresource=True, return_deleted=True),
    ]


class Faults:
    """Run-time fault knobs (see README): all fields guarded by the registry lock."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.watch_drop_after_events = 0
        self.watch_drop_after_seconds = 0.0
        self.drop_epoch = 0
        self.fail_rules = []  # dicts: code, count, pathPrefix, retryAfter, methods, message
        self.delay_ms = 0
        self.delay_prefix = ""
        self.hold_pod_termination = False  # podTermination: "hold" (see podlifecycle.Kubelet)

    def describe(self):
        return {"watchDropAfterEvents": self.watch_drop_after_events,
                "watchDropAfterSeconds": self.watch_drop_after_seconds,
                "failNext": [dict(r) for r in self.fail_rules],
                "delayMs": self.delay_ms, "delayPathPrefix": self.delay_prefix,
                "podTermination": "hold" if self.hold_pod_termination else "run"}


class Registry:
    """Every resource type, every store, the global resourceVersion and the write log."""

    def __init__(self, history_window=1000):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.rv = 1
        self.types = {}  # (group, version, plural) -> ResourceType
        self.stores = {}
        self.history_window = history_window
        self.faults = Faults()
        self.writes = []
        self.write_seq = 0
        self.observers = []  # the double's controllers (gc.py, podlifecycle.Kubelet): see Store.record
        for rt in builtin_types():
            self.add_type(rt)
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self._insert(self.type_for("", "v1", "namespaces"), {
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        for name, value in (("system-cluster-critical", 2000000000), ("system-node-critical", 2000001000)):
            self._insert(self.type_for("scheduling.k8s.io", "v1", "priorityclasses"), {
                "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                "metadata": {"name": name}, "value": value, "globalDefault": False,
                "preemptionPolicy": "PreemptLowerPriority"})

    # -- types --
    def add_type(self, rt):
        with self.lock:
            self.types[(rt.group, rt.version, rt.plural)] = rt
            if rt.store_key not in self.stores:
                store = self.stores[rt.store_key] = Store(self.history_window)
                store.floor = self.rv  # its watch cache starts with a list now
                store.key, store.observers = rt.store_key, self.observers

    def type_for(self, group, version, plural):
        return self.types.get((group, version, plural))

    def groups(self):
        out = collections.OrderedDict()
        with self.lock:
            for (g, v, _), _rt in sorted(self.types.items(), key=lambda kv: (kv[0][0], kv[0][1])):
                out.setdefault(g, set()).add(v)
        return {g: sorted(vs, key=_version_key, reverse=True) for g, vs in out.items()}

    def _insert(self, rt, obj):
        """Store a fully formed new object."""
        with self.lock:
            return self._insert_locked(rt, obj)

    def _insert_locked(self, rt, obj):
        self.rv += 1
        meta = obj.setdefault("metadata", {})
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now_rfc3339())
        meta["resourceVersion"] = str(self.rv)
        store = self.stores[rt.store_key]
        store.objects[(meta.get("namespace", ""), meta["name"])] = obj
        store.record(self.rv, "ADDED", copy.deepcopy(obj), None)
        self.cond.notify_all()
        return obj

    def log_write(self, entry):
        with self.lock:
            self.write_seq += 1
            entry["seq"] = self.write_seq
            self.writes.append(entry)
            if len(self.writes) > 100000:
                del self.writes[:10000]

    def compact(self):
        """Forget all history: any watch or continue from an older rv gets 410."""
        with self.lock:
            for store in self.stores.values():
                store.history.clear()
                store.floor = store.compacted = self.rv
            self.cond.notify_all()


def crd_types(crd):
    """ResourceTypes served by a CRD object (raises ApiError 422 on a malformed CRD)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural, kind = spec.get("group"), names.get("plural"), names.get("kind")
    name = (crd.get("metadata") or {}).get("name")
    causes = []
    if not group:
        causes.append(("spec.group", "Required value"))
    if not plural:
        causes.append(("spec.names.plural", "Required value"))
    if not kind:
        causes.append(("spec.names.kind", "Required value"))
    if group and plural and name != "%s.%s" % (plural, group):
        causes.append(("metadata.name", 'Invalid value: "%s": must be spec.names.plural+"."+spec.group' % name))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(("spec.scope", "Unsupported value: %s" % json.dumps(spec.get("scope"))))
    versions = spec.get("versions") or []
    if not versions:
        causes.append(("spec.versions", "Required value"))
    if sum(1 for v in versions if v.get("storage")) != 1 and versions:
        causes.append(("spec.versions", "Invalid value: must have exactly one version marked as storage version"))
    if causes:
        raise ApiError(422, "Invalid", 'CustomResourceDefinition.apiextensions.k8s.io "%s" is invalid: %s' % (
            name, "; ".join("%s: %s" % c for c in causes)), name=name, group="apiextensions.k8s.io",
            kind="CustomResourceDefinition",
            causes=[{"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in causes])
    out = []
    for v in versions:
        if not v.get("served", True):
            continue
        schema = ((v.get("schema") or {}).get("openAPIV3Schema"))
        out.append(ResourceType(
            group, v["name"], plural, kind, spec["scope"] == "Namespaced",
            singular=names.get("singular"), short_names=names.get("shortNames") or [],
            categories=names.get("categories") or [],
            status_subresource="status" in ((v.get("subresources") or {})),
            drop_status_on_create="status" in ((v.get("subresources") or {})),
            require_rv_on_update=True, schema=schema, is_crd=True))
    return out


# ----------------------------------------------------------------------------
# Admission webhooks.
# ----------------------------------------------------------------------------

class Webhook:
    """One webhook from a flag: name=,url=,ca=,resources=a.g;b,operations=CREATE;UPDATE,
    failurePolicy=Fail|Ignore,timeout=10."""

    def __init__(self, spec, mutating):
        fields = {}
        for part in spec.split(","):
            if "=" not in part:
                raise ValueError("webhook spec part %r is not key=value" % part)
            k, v = part.split("=", 1)
            fields[k.strip()] = v.strip()
        if "url" not in fields:
            raise ValueError("webhook spec needs url=")
        self.mutating = mutating
        self.url = fields["url"]
        u = urllib.parse.urlsplit(self.url)
        if u.scheme != "https":
            raise ValueError("webhook url must be https: %s" % self.url)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("webhook url must be on loopback: %s" % self.url)
        self.host, self.port = u.hostname, u.port or 443
        self.path = (u.path or "/") + ("?" + u.query if u.query else "")
        self.name = fields.get("name") or ("mutate.double.test" if mutating else "validate.double.test")
        self.ca = fields.get("ca")
        self.resources = [r for r in fields.get("resources", "*").split(";") if r]
        self.operations = [o.upper() for o in fields.get("operations", "CREATE;UPDATE").split(";") if o]
        self.failure_policy = fields.get("failurePolicy", "Fail")
        self.timeout = float(fields.get("timeout", "10"))

    def matches(self, rt, sub, op):
        if op not in self.operations and "*" not in self.operations:
            return False
        name = qualified(rt) + ("/" + sub if sub else "")
        for r in self.resources:
            if r == "*" and not sub:
                return True
            if r == "*/*" or r == name:
                return True
        return False


# ----------------------------------------------------------------------------
# HTTP layer.
# ----------------------------------------------------------------------------

def _peer_closed(conn):
    """True when the client has closed its side (so an idle watch can end at once)."""
    try:
        readable, _, _ = select.select([conn], [], [], 0)
        if not readable and not (hasattr(conn, "pending") and conn.pending()):
            return False
        old = conn.gettimeout()
        conn.settimeout(0.0)
        try:
            return conn.recv(1) == b""
        finally:
            conn.settimeout(old)
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
        return False
    except (OSError, ValueError):
        return True


class _Abort(Exception):
    """Close the connection without a proper end (fault injection)."""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kubedouble"
    timeout = 300

    def log_message(self, fmt, *args):
        if self.server.double.verbose:
            sys.stderr.write("kubedouble: %s - %s\n" % (self.address_string(), fmt % args))

    # ---- plumbing ----
    def send_json(self, code, obj, extra_headers=None):
        body = (json.dumps(obj) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error_status(self, err):
        headers = {}
        if err.retry_after is not None:
            headers["Retry-After"] = str(int(err.retry_after))
        self.send_json(err.code, err.status(), headers)

    def has_body(self):
        return ("chunked" in self.headers.get("Transfer-Encoding", "").lower()
                or int(self.headers.get("Content-Length") or 0) > 0)

    def drain_small_body(self):
        """Discard an unread Content-Length body of at most 256 KiB; False if it cannot be."""
        try:
            n = int(self.headers.get("Content-Length") or -1)
            if not 0 <= n <= 256 * 1024 or "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return False
            return len(self.rfile.read(n)) == n
        except (ValueError, OSError):
            return False

    def read_body(self):
        self.body_read = True
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            data = b""
            while True:
                line = self.rfile.readline(100)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline(100)
                    break
                data += self.rfile.read(size)
                self.rfile.readline(10)
                if len(data) > MAX_BODY:
                    self.close_connection = True
                    raise ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")
            return data
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            self.close_connection = True
            raise ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")
        return self.rfile.read(n) if n else b""

    def parse_body(self, data):
        ctype = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if not data:
            raise bad_request("the body of the request was in an unknown format - "
                              "accepted media types include: application/json, application/yaml")
        try:
            if ctype in ("application/yaml", "application/x-yaml", "text/yaml"):
                return kyaml.load(data.decode("utf-8"))
            return json.loads(data)
        except (ValueError, UnicodeDecodeError) as e:
            raise bad_request("couldn't get version/kind; json parse error: %s" % e) from None

    def authenticate(self):
        d = self.server.double
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            tok = auth[7:].strip()
            if tok in d.tokens:
                return d.tokens[tok]
            return None
        try:
            cert = self.connection.getpeercert()
        except (AttributeError, ValueError):
            cert = None
        if cert:
            cn, orgs = None, []
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
                    elif k == "organizationName":
                        orgs.append(v)
            if cn:
                return {"username": cn, "groups": orgs + ["system:authenticated"]}
        return None

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, ssl.SSLError, socket.timeout, _Abort, OSError):
            self.close_connection = True

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def dispatch(self):
        d = self.server.double
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        user = None
        is_write = self.command in ("POST", "PUT", "PATCH", "DELETE") and not path.startswith("/_double")
        entry = None
        logged = False
        self.body_read = False

        def log_entry():
            # Before the answer goes out: a client that reads /_double/writes once it has its
            # answer must find its write there (kube-apiserver's audit log has the same order).
            nonlocal logged
            if entry is not None and not logged:
                logged = True
                d.registry.log_write(entry)
        try:
            if path.startswith("/_double/"):
                return self.control(path, params)
            user = self.authenticate()
            if user is None and not path.startswith(("/healthz", "/readyz", "/livez", "/version")):
                raise ApiError(401, "Unauthorized", "Unauthorized")
            if is_write:
                entry = {"time": time.time(), "timestamp": now_micro(),
                         "user": (user or {}).get("username", ""), "groups": (user or {}).get("groups", []),
                         "verb": "", "method": self.command, "path": self.path, "resourceVersion": "",
                         "code": 0}
            self.apply_faults(path)
            info = requestinfo.parse(self.command, path, params)
            if user is not None:
                d.authz.check(user, info, entry)
            if path in ("/healthz", "/readyz", "/livez"):
                return self.send_text(200, "ok")
            if path.startswith(("/healthz/", "/readyz/", "/livez/")):
                return self.send_text(200, "ok")
            if path == "/version":
                return self.send_json(200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-kubedouble",
                                            "gitCommit": "0000000", "gitTreeState": "clean",
                                            "buildDate": "2024-01-01T00:00:00Z", "goVersion": "go1.22",
                                            "compiler": "gc", "platform": "linux/amd64"})
            if path == "/openapi/v2" or path.startswith("/openapi/v3") and self.command in ("GET", "HEAD"):
                return d.openapi.serve(self, path)
            if discovery.serve(self, path):
                return None
            result = self.route(path, params, user or {}, entry)
            if result is not None:
                code, obj = result
                if entry is not None and code < 400:
                    entry["resourceVersion"] = ((obj or {}).get("metadata") or {}).get("resourceVersion", "") \
                        or entry["resourceVersion"]
                    self.apply_faults_at("committed", entry, entry["verb"], entry.get("resource"),
                                         entry.get("subresource"))
                if entry is not None:
                    entry["code"] = code
                    if not entry["resourceVersion"]:
                        entry["resourceVersion"] = ((obj or {}).get("metadata") or {}).get("resourceVersion", "")
                    if not entry.get("name"):
                        entry["name"] = ((obj or {}).get("metadata") or {}).get("name", "")
                    if (obj or {}).get("kind") == "Lease":
                        entry["holderIdentity"] = (obj.get("spec") or {}).get("holderIdentity")
                log_entry()
                self.send_json(code, tables.render(d, self.headers, info, d.conversion.for_response(info, obj),
                                                   params))
        except ApiError as e:
            if entry is not None:
                entry["code"] = e.code
                entry["reason"] = e.reason
            log_entry()
            self.send_error_status(e)
        except (ConnectionError, ssl.SSLError, socket.timeout, _Abort, BrokenPipeError):
            self.close_connection = True
            if entry is not None and not entry["code"]:
                entry["code"] = -1
        except Exception as e:  # a bug in the double: still answer like an apiserver would
            import traceback
            traceback.print_exc()
            if entry is not None:
                entry["code"] = 500
            log_entry()
            try:
                self.send_error_status(ApiError(500, "InternalError", "Internal error occurred: %r" % e))
            except OSError:
                self.close_connection = True
        finally:
            # An answer given before the body was read (a fault, 401, 403, 404 ...) leaves the
            # body on the wire: like Go's net/http, read a small one, else drop the connection.
            if not self.body_read and self.has_body() and not self.drain_small_body():
                self.close_connection = True
            log_entry()

    def send_text(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def apply_faults(self, path):
        reg = self.server.double.registry
        delay = 0
        with reg.lock:
            f = reg.faults
            if f.delay_ms and path.startswith(f.delay_prefix):
                delay = f.delay_ms
            rule = faultrules.take(f, "request", self.command, path)
        if delay:
            time.sleep(delay / 1000.0)
        if rule:
            raise faultrules.error_for(rule)

    def apply_faults_at(self, stage, entry, verb, resource, subresource):
        """failNext rules that name verbs/resources ("resolved") or fire after a write ("committed")."""
        reg = self.server.double.registry
        with reg.lock:
            rule = faultrules.take(reg.faults, stage, self.command, urllib.parse.urlsplit(self.path).path,
                                   verb, resource, subresource)
        if rule:
            if entry is not None and stage == "committed":
                entry["committed"] = True
            raise faultrules.error_for(rule)

    # ---- /_double control endpoints ----
    def control(self, path, params):
        d = self.server.double
        reg = d.registry
        if path == "/_double/access":
            return d.authz.control(self, path, params)
        if path == "/_double/faults":
            if self.command == "GET":
                with reg.lock:
                    return self.send_json(200, reg.faults.describe())
            if self.command == "DELETE":
                with reg.lock:
                    reg.faults.reset()
                    d.kubelet.wake.set()  # held Terminating pods may be overdue
                    return self.send_json(200, reg.faults.describe())
            if self.command == "POST":
                spec = self.parse_body(self.read_body())
                try:
                    d.set_faults(spec)
                except (ValueError, TypeError, KeyError) as e:
                    raise bad_request("bad fault spec: %s" % e) from None
                with reg.lock:
                    return self.send_json(200, reg.faults.describe())
        if path == "/_double/webhook-connections" and self.command == "GET":
            return self.send_json(200, d.webhook_pool.stats())
        if path == "/_double/writes":
            if self.command == "GET":
                since = int(params.get("since") or 0)
                with reg.lock:
                    items = [w for w in reg.writes if w["seq"] > since]
                return self.send_json(200, {"items": items})
            if self.command == "DELETE":
                with reg.lock:
                    reg.writes.clear()
                return self.send_json(200, {"items": []})
        if path.startswith("/_double/pods/"):
            data = self.read_body()
            return self.send_json(*podlifecycle.control(d, self.command, path, self.parse_body(data) if data else None))
        if path == "/_double/compact" and self.command == "POST":
            reg.compact()
            return self.send_json(200, {"resourceVersion": str(reg.rv)})
        if path == "/_double/state" and self.command == "GET":
            with reg.lock:
                return self.send_json(200, {"resourceVersion": str(reg.rv), "watches": d.active_watches,
                                            "counts": {k: len(s.objects) for k, s in reg.stores.items()}})
        raise ApiError(404, "NotFound", "unknown control endpoint %s %s" % (self.command, path))

    # ---- API routing ----
    def route(self, path, params, user, entry):
        reg = self.server.double.registry
        segs = [urllib.parse.unquote(s) for s in path.strip("/").split("/")] if path.strip("/") else []
        if segs and segs[0] == "api":
            if len(segs) == 1:
                return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % self.server.server_address[1]}]}
            group, version, rest = "", segs[1], segs[2:]
        elif segs and segs[0] == "apis":
            groups = reg.groups()
            if len(segs) == 1:
                return 200, {"kind": "APIGroupList", "apiVersion": "v1",
                             "groups": [self.api_group(g, vs) for g, vs in groups.items() if g]}
            if len(segs) == 2:
                if segs[1] not in groups or not segs[1]:
                    raise ApiError(404, "NotFound", "the server could not find the requested resource")
                return 200, self.api_group(segs[1], groups[segs[1]])
            group, version, rest = segs[1], segs[2], segs[3:]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        with reg.lock:
            served = {(g, v) for (g, v, _p) in reg.types}
        if (group, version) not in served:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            if self.command != "GET":
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            return 200, self.resource_list(group, version)
        watch_path = False
        if rest[0] == "watch":
            watch_path, rest = True, rest[1:]
        ns = None
        if len(rest) >= 3 and rest[0] == "namespaces" and reg.type_for(group, version, rest[2]) is not None \
                and reg.type_for(group, version, rest[2]).namespaced:
            ns, rest = rest[1], rest[2:]
        rt = reg.type_for(group, version, rest[0]) if rest else None
        if rt is None or len(rest) > 3:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if ns is None and rt.namespaced and len(rest) > 1:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub and not ((sub == "status" and rt.status_subresource) or
                        (sub == "binding" and rt.plural == "pods" and not rt.group)):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        ops = self.server.double.ops
        m = self.command
        if entry is not None:
            entry.update({"resource": qualified(rt), "namespace": ns or "", "name": name or "",
                          "subresource": sub or ""})
        self.apply_faults_at("resolved", entry, faultrules.verb_of(
            m, name, watch_path or params.get("watch") in ("true", "1")), qualified(rt), sub)
        if m in ("GET", "HEAD"):
            if name is not None and watch_path and sub is None:
                sel = params.get("fieldSelector", "")
                params["fieldSelector"] = "metadata.name=%s" % name + ("," + sel if sel else "")
                name = None
            if name is None:
                if watch_path or params.get("watch") in ("true", "1"):
                    self.server.double.serve_watch(self, rt, ns, params)
                    return None
                return 200, ops.list(rt, ns, params)
            return 200, ops.get(rt, ns, name)
        if watch_path:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        dry = params.get("dryRun") == "All"
        if m == "POST":
            body = self.parse_body(self.read_body())
            if sub == "binding":
                entry["verb"] = "create"
                return ops.bind(rt, ns, name, body, user, dry)
            if name is not None:
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            entry["verb"] = "create"
            return 201, ops.create(rt, ns, body, user, dry)
        if name is None:
            if m == "DELETE":
                entry["verb"] = "deletecollection"
                data = self.read_body()
                opts = deletion.parse_options(params, self.parse_body(data) if data else None)
                return 200, ops.delete_collection(rt, ns, params, user, opts["dryRun"], opts)
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if m == "PUT":
            entry["verb"] = "update"
            body = self.parse_body(self.read_body())
            return 200, ops.update(rt, ns, name, sub, body, user, dry)
        if m == "PATCH":
            entry["verb"] = "patch"
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            body = self.parse_body(self.read_body())
            return 200, ops.patch(rt, ns, name, sub, ctype, body, user, dry)
        if m == "DELETE":
            entry["verb"] = "delete"
            data = self.read_body()
            opts = deletion.parse_options(params, self.parse_body(data) if data else None)
            code, obj, stored = ops.delete(rt, ns, name, opts, user, opts["dryRun"])
            entry["resourceVersion"] = stored["metadata"].get("resourceVersion", "")
            return code, obj
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def api_group(self, g, versions):
        return {"kind": "APIGroup", "apiVersion": "v1", "name": g,
                "versions": [{"groupVersion": "%s/%s" % (g, v), "version": v} for v in versions],
                "preferredVersion": {"groupVersion": "%s/%s" % (g, versions[0]), "version": versions[0]}}

    def resource_list(self, group, version):
        reg = self.server.double.registry
        res = []
        with reg.lock:
            rts = [rt for (g, v, _), rt in sorted(reg.types.items()) if g == group and v == version]
        for rt in rts:
            verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
            e = {"name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced,
                 "kind": rt.kind, "verbs": verbs}
            if rt.short_names:
                e["shortNames"] = rt.short_names
            if rt.categories:
                e["categories"] = rt.categories
            res.append(e)
            if rt.status_subresource:
                res.append({"name": rt.plural + "/status", "singularName": "", "namespaced": rt.namespaced,
                            "kind": rt.kind, "verbs": ["get", "patch", "update"]})
            if rt.plural == "pods" and not group:
                res.append({"name": "pods/binding", "singularName": "", "namespaced": True,
                            "kind": "Binding", "verbs": ["create"]})
        gv = version if not group else "%s/%s" % (group, version)
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": res}


# ----------------------------------------------------------------------------
# Storage operations (create/get/list/update/patch/delete/bind) with admission.
# ----------------------------------------------------------------------------

_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


class Ops:
    def __init__(self, double):
        self.d = double
        self.reg = double.registry

    def out(self, rt, obj):
        """A copy of a stored object as seen through rt's version (a CRD converting by webhook
        keeps its stored version here: conversion.py converts at the response edge)."""
        o = copy.deepcopy(obj)
        if not self.d.conversion.keeps_stored_version(rt):
            o["apiVersion"] = rt.api_version
        o["kind"] = rt.kind
        return o

    def store(self, rt):
        return self.reg.stores[rt.store_key]

    def check_ns(self, rt, ns):
        if rt.namespaced:
            nsrt = self.reg.type_for("", "v1", "namespaces")
            if ("", ns) not in self.reg.stores[nsrt.store_key].objects:
                raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns, name=ns, group="", kind="namespaces")

    def get(self, rt, ns, name):
        with self.reg.lock:
            obj = self.store(rt).objects.get((ns or "", name))
            if obj is None:
                raise not_found(rt, name)
            return self.out(rt, obj)

    def list(self, rt, ns, params):
        watchcache.check_list(self.reg, params, self.d.rv_wait_seconds)
        lsel = parse_label_selector(params.get("labelSelector", ""))
        fsel = parse_field_selector(params.get("fieldSelector", ""), rt)
        limit = params.get("limit")
        try:
            limit = int(limit) if limit not in (None, "") else 0
        except ValueError:
            raise bad_request("invalid limit %r" % limit) from None
        cont = params.get("continue")
        start_after = None
        with self.reg.lock:
            store = self.store(rt)
            if cont:
                try:
                    tok = json.loads(base64.urlsafe_b64decode(cont.encode() + b"==="))
                    start_after, tok_rv = tuple(tok["start"]), int(tok["rv"])
                    if tok.get("v") != 1 or len(start_after) != 2:
                        raise ValueError("bad version")
                except (ValueError, KeyError, TypeError, UnicodeDecodeError, base64.binascii.Error):
                    raise bad_request("continue key is not valid: illegal base64 data or bad token") from None
                if tok_rv < store.compacted:
                    raise ApiError(410, "Expired", "The provided continue parameter is too old to display a "
                                   "consistent list result. You can start a new list without the continue "
                                   "parameter, or use the continue token in this response to retrieve the "
                                   "remainder of the results.")
            rv = self.reg.rv if not cont else tok_rv
            keys = sorted(k for k in store.objects if ns is None or k[0] == ns)
            items = []
            for k in keys:
                if start_after is not None and k <= start_after:
                    continue
                o = store.objects[k]
                if lsel((o.get("metadata") or {}).get("labels")) and fsel(o):
                    items.append(k)
            more = limit > 0 and len(items) > limit
            page = items[:limit] if limit > 0 else items
            meta = {"resourceVersion": str(rv)}
            if more:
                meta["continue"] = base64.urlsafe_b64encode(json.dumps(
                    {"v": 1, "rv": rv, "start": list(page[-1])}).encode()).decode().rstrip("=")
                meta["remainingItemCount"] = len(items) - len(page)
            out_items = []
            for k in page:
                o = self.out(rt, store.objects[k])
                out_items.append(o)
        return {"kind": rt.kind + "List", "apiVersion": rt.api_version, "metadata": meta, "items": out_items}

    # -- validation / defaulting shared by create and update --
    def prepare(self, rt, obj, name_hint, ns, check=True):
        """Normalise obj for rt: apiVersion/kind/namespace, CRD schema pruning and defaulting.

        check=False is the pass before mutating admission: like kube-apiserver's decode step it
        prunes and defaults but leaves validation (422) to the pass after the webhooks."""
        if not isinstance(obj, dict):
            raise bad_request("the body must be a JSON object")
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if not isinstance(meta, dict):
            raise invalid(rt, name_hint, [("metadata", "Invalid value: must be an object")])
        want_av = rt.api_version
        if obj.get("apiVersion") not in (None, want_av):
            raise bad_request("the API version in the data (%s) does not match the expected API version (%s)"
                              % (obj.get("apiVersion"), want_av))
        if obj.get("kind") not in (None, rt.kind):
            raise bad_request("the kind in the data (%s) does not match the expected kind (%s)"
                              % (obj.get("kind"), rt.kind))
        obj["apiVersion"], obj["kind"] = want_av, rt.kind
        if rt.namespaced:
            if meta.get("namespace") not in (None, "", ns):
                raise bad_request("the namespace of the provided object does not match the namespace "
                                  "sent on the request")
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        causes = []
        name = meta.get("name")
        if not name:
            causes.append(("metadata.name", "Required value: name or generateName is required"))
        elif not _NAME_RE.match(name) or len(name) > 253:
            causes.append(("metadata.name", 'Invalid value: "%s": a lowercase RFC 1123 subdomain must '
                           "consist of lower case alphanumeric characters, '-' or '.', and must start "
                           "and end with an alphanumeric character" % name))
        for fld in ("labels", "annotations"):
            v = meta.get(fld)
            if v is not None and (not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values())):
                causes.append(("metadata." + fld, "Invalid value: must be a map of strings"))
        causes.extend(garbagecollector.meta_causes(meta))
        if rt.schema:
            errs = []
            apply_schema(obj, rt.schema, "", errs, top=True)
            causes.extend(errs)
        if rt.plural == "customresourcedefinitions" and not causes and check:
            crd_types(obj)  # raises 422 on a malformed CRD
        if check and getattr(rt, "validate", None):
            causes.extend(rt.validate(rt, obj))  # per-kind rules of the sibling modules
        if causes and check:
            raise invalid(rt, name, causes)
        if check:  # valid in the request's version: what gets stored is the storage version
            obj = self.d.conversion.to_storage(rt, obj)
        return obj

    def admit(self, rt, sub, op, obj, old, user, dry, ns, name):
        """Run mutating then validating webhooks (webhookconfig.py); returns the (possibly mutated) object."""
        return self.d.admission.run(rt, sub, op, obj, old, user, dry, ns, name)

    def create(self, rt, ns, body, user, dry):
        if rt.namespaced and ns is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        obj = body
        if not isinstance(obj, dict):
            raise bad_request("the body must be a JSON object")
        meta = obj.setdefault("metadata", {}) if isinstance(obj.get("metadata", {}), dict) else obj["metadata"]
        if isinstance(meta, dict):
            for k in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "generation"):
                meta.pop(k, None)
        if rt.drop_status_on_create:
            obj.pop("status", None)
        self.defaults_on_create(rt, obj)
        with self.reg.lock:
            self.check_ns(rt, ns)
        obj = self.prepare(rt, obj, None, ns, check=False)
        name = obj["metadata"].get("name") or ""
        priority.admit(self, rt, "CREATE", obj, None)  # built-in plugin, before the webhooks
        obj = self.admit(rt, None, "CREATE", obj, None, user, dry, ns, name)
        if not name and isinstance(obj.get("metadata"), dict) and obj["metadata"].get("generateName"):
            # Upstream generates the name after mutating admission (rest.BeforeCreate): webhooks see none.
            obj["metadata"]["name"] = obj["metadata"]["generateName"] + "".join(
                "bcdfghjklmnpqrstvwxz2456789"[b % 27] for b in uuid.uuid4().bytes[:5])
        obj = self.prepare(rt, obj, name, ns)
        if name and obj["metadata"]["name"] != name:
            raise bad_request("admission changed metadata.name")
        name = obj["metadata"]["name"]
        with self.reg.lock:
            self.check_ns(rt, ns)
            store = self.store(rt)
            if (ns or "", name) in store.objects:
                being_deleted = store.objects[(ns or "", name)]["metadata"].get("deletionTimestamp")
                raise ApiError(409, "AlreadyExists", '%s%s "%s" already exists' % (
                    "object is being deleted: " if being_deleted else "", qualified(rt), name),
                    name=name, group=rt.group, kind=rt.plural)
            if rt.plural == "customresourcedefinitions":
                self.d.check_crd_conflict(obj)
            meta = obj["metadata"]
            meta["generation"] = 1
            if dry:
                meta["uid"] = str(uuid.uuid4())
                meta["creationTimestamp"] = now_rfc3339()
                return self.out(rt, obj)
            stored = self.reg._insert(rt, obj)
            if rt.plural == "customresourcedefinitions":
                self.d.install_crd(stored)  # after the insert: its watch cache starts at the CRD's version
            return self.out(rt, stored)

    def defaults_on_create(self, rt, obj):
        if rt.group:
            if rt.plural == "customresourcedefinitions":
                spec = obj.get("spec") or {}
                names = spec.get("names") or {}
                obj["status"] = {
                    "acceptedNames": names,
                    "storedVersions": [v.get("name") for v in spec.get("versions") or [] if v.get("storage")],
                    "conditions": [
                        {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                         "message": "no conflicts found", "lastTransitionTime": now_rfc3339()},
                        {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                         "message": "the initial names have been accepted", "lastTransitionTime": now_rfc3339()}]}
            return
        if rt.plural == "pods":
            obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
            spec = obj.get("spec")
            if isinstance(spec, dict):
                spec.setdefault("schedulerName", "default-scheduler")
                spec.setdefault("restartPolicy", "Always")
                spec.setdefault("terminationGracePeriodSeconds", 30)
        elif rt.plural == "namespaces":
            obj["status"] = {"phase": "Active"}
            meta = obj.get("metadata")
            if isinstance(meta, dict) and meta.get("name"):
                meta.setdefault("labels", {})
                if isinstance(meta["labels"], dict):
                    meta["labels"]["kubernetes.io/metadata.name"] = meta["name"]

    def _spec_part(self, obj):
        return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}

    def update_loop(self, rt, ns, name, sub, compute, client_rv, user, dry, op_verb="UPDATE"):
        """Optimistic read-compute-admit-write loop (like GuaranteedUpdate)."""
        for _attempt in range(8):
            with self.reg.lock:
                cur = self.store(rt).objects.get((ns or "", name))
                if cur is None:
                    raise not_found(rt, name)
                cur_rv = cur["metadata"]["resourceVersion"]
                if client_rv is not None and client_rv != cur_rv:
                    raise conflict(rt, name)
                old = self.out(rt, cur)
            old = self.d.conversion.to_version(rt, old)
            new = compute(copy.deepcopy(old))
            if not isinstance(new, dict):
                raise bad_request("the body must be a JSON object")
            new = self.merge_subresource(rt, sub, old, new)
            newmeta = new.get("metadata")
            if not isinstance(newmeta, dict):
                raise invalid(rt, name, [("metadata", "Required value")])
            if newmeta.get("name") not in (None, name):
                raise bad_request('the name of the object (%s) does not match the name on the URL (%s)'
                                  % (newmeta.get("name"), name))
            newmeta["name"] = name
            if newmeta.get("uid") not in (None, "", old["metadata"].get("uid")):
                raise invalid(rt, name, [("metadata.uid", 'Invalid value: "%s": field is immutable' % newmeta["uid"])])
            new = self.prepare(rt, new, name, ns, check=False)
            new = self.keep_system_meta(old, new)
            if json.dumps(new, sort_keys=True) == json.dumps(old, sort_keys=True):
                return old  # no-op update: kube-apiserver keeps the resourceVersion
            if sub is None:
                priority.admit(self, rt, op_verb, new, old)
            new = self.admit(rt, sub, op_verb, new, old, user, dry, ns, name)
            new = self.prepare(rt, self.merge_subresource(rt, sub, old, new), name, ns)
            new = self.keep_system_meta(old, new)
            if rt.plural == "pods" and sub != "status":
                self.check_pod_update(rt, old, new)
            if getattr(rt, "validate_update", None):
                rt.validate_update(rt, old, new)
            with self.reg.lock:
                cur = self.store(rt).objects.get((ns or "", name))
                if cur is None:
                    raise not_found(rt, name)
                if cur["metadata"]["resourceVersion"] != old["metadata"]["resourceVersion"]:
                    if client_rv is not None:
                        raise conflict(rt, name)
                    continue  # someone wrote meanwhile: recompute on the fresh object
                if self._spec_part(new) != self._spec_part(cur):
                    new["metadata"]["generation"] = int(old["metadata"].get("generation") or 1) + 1
                if dry:
                    return new
                return self.commit_update(rt, ns, name, new, old)
        raise ApiError(409, "Conflict", "too many concurrent updates to %s %s" % (qualified(rt), name))

    def commit_update(self, rt, ns, name, new, old):
        """Store new (lock held).  Objects being deleted go away once finalizers are empty."""
        store = self.store(rt)
        self.reg.rv += 1
        new["metadata"]["resourceVersion"] = str(self.reg.rv)
        if deletion.should_delete_during_update(new, old):
            del store.objects[(ns or "", name)]
            store.record(self.reg.rv, "DELETED", copy.deepcopy(new), copy.deepcopy(old))
            if rt.plural == "customresourcedefinitions":
                self.d.uninstall_crd(new)
        else:
            if rt.plural == "customresourcedefinitions":
                self.d.install_crd(new)
            store.objects[(ns or "", name)] = new
            store.record(self.reg.rv, "MODIFIED", copy.deepcopy(new), copy.deepcopy(old))
        self.reg.cond.notify_all()
        return self.out(rt, new)

    def merge_subresource(self, rt, sub, old, new):
        """Status subresource: /status changes only status; the main resource never status."""
        if not rt.status_subresource:
            return new
        if sub == "status":
            merged = copy.deepcopy(old)
            if "status" in new:
                merged["status"] = new["status"]
            else:
                merged.pop("status", None)
            # kube-apiserver's status strategy keeps metadata from the old object, but honours rv
            if isinstance(new.get("metadata"), dict) and "resourceVersion" in new["metadata"]:
                merged["metadata"]["resourceVersion"] = new["metadata"]["resourceVersion"]
            return merged
        if "status" in old:
            new["status"] = copy.deepcopy(old["status"])
        else:
            new.pop("status", None)
        return new

    def keep_system_meta(self, old, new):
        om, nm = old["metadata"], new["metadata"]
        for k in ("uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds",
                  "namespace"):
            if k in om:
                nm[k] = om[k]
            else:
                nm.pop(k, None)
        nm["resourceVersion"] = om["resourceVersion"]
        return new

    def check_pod_update(self, rt, old, new):
        # The fields kube lets change on a pod: images, activeDeadlineSeconds, tolerations (additions),
        # terminationGracePeriodSeconds, schedulingGates removal.  Keep the essential rule: nodeName is
        # set only by binding.
        if (old.get("spec") or {}).get("nodeName") != (new.get("spec") or {}).get("nodeName"):
            raise invalid(rt, old["metadata"]["name"], [
                ("spec", "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
                 "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
                 "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
                 "set to 1 if it was previously negative)")])

    def update(self, rt, ns, name, sub, body, user, dry):
        if not isinstance(body, dict):
            raise bad_request("the body must be a JSON object")
        meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        client_rv = meta.get("resourceVersion") or None
        if client_rv is None and rt.require_rv_on_update:
            raise invalid(rt, name, [("metadata.resourceVersion",
                                      "Invalid value: 0x0: must be specified for an update")])
        if rt.namespaced:
            with self.reg.lock:
                self.check_ns(rt, ns)
        client_uid = meta.get("uid") or None

        def compute(old):
            if client_uid:  # the body's uid is a precondition (rest.DefaultUpdatedObjectInfo)
                preconditions.check_storage(rt, ns, name, old, uid=client_uid)
            return copy.deepcopy(body)
        return self.update_loop(rt, ns, name, sub, compute, client_rv, user, dry)

    def patch(self, rt, ns, name, sub, ctype, body, user, dry):
        if ctype == "application/json-patch+json":
            def compute(old):
                try:
                    return json_patch(old, body)
                except PatchFailed as e:
                    raise ApiError(422, "Invalid", str(e), name=name, group=rt.group, kind=rt.kind) from None
            client_rv = None
            if isinstance(body, list):
                for op in body:
                    if isinstance(op, dict) and op.get("path") == "/metadata/resourceVersion" and \
                            op.get("op") in ("replace", "add"):
                        client_rv = str(op.get("value"))
        elif ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            strategic = ctype == "application/strategic-merge-patch+json"
            if strategic and rt.is_crd:  # custom resources have no patch strategies
                raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                               "accepted media types include: application/json-patch+json, "
                               "application/merge-patch+json, application/apply-patch+yaml")
            if not isinstance(body, dict):
                raise bad_request("a merge patch must be a JSON object")
            client_rv = ((body.get("metadata") or {}).get("resourceVersion")
                         if isinstance(body.get("metadata"), dict) else None)

            def compute(old):
                if not strategic:
                    return merge_patch(old, body)
                try:
                    return smp.apply(rt.kind, old, body)
                except smp.PatchError as e:
                    raise ApiError(422, "Invalid", str(e), name=name, group=rt.group, kind=rt.kind) from None
        elif ctype == "application/apply-patch+yaml":
            raise ApiError(415, "UnsupportedMediaType", "the double does not implement server-side apply")
        else:
            raise ApiError(415, "UnsupportedMediaType", 'the body of the request was in an unknown format - '
                           'accepted media types include: application/json-patch+json, '
                           'application/merge-patch+json, application/strategic-merge-patch+json')
        return self.update_loop(rt, ns, name, sub, compute, client_rv, user, dry)

    def delete(self, rt, ns, name, opts, user, dry):
        """Returns (code, answer, object as last stored); see deletion.py. opts: parse_options()."""
        return deletion.delete(self, rt, ns, name, opts, user, dry)

    def delete_collection(self, rt, ns, params, user, dry, opts=None):
        """Delete what the selectors list, each with the same options; answers that list."""
        opts = opts or deletion.parse_options({}, None)
        lst = self.list(rt, ns, {"labelSelector": params.get("labelSelector", ""),
                                 "fieldSelector": params.get("fieldSelector", "")})
        for item in lst["items"]:
            try:
                self.delete(rt, item["metadata"].get("namespace"), item["metadata"]["name"], opts, user, dry)
            except ApiError as e:
                if e.code != 404:
                    raise
        return lst

    def bind(self, rt, ns, name, body, user, dry=False):
        return podlifecycle.bind(self, rt, ns, name, body, dry)


# ----------------------------------------------------------------------------
# The double itself: certificates, server, watch, CRD installation, faults.
# ----------------------------------------------------------------------------

def _openssl(*args, cwd=None):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args), r.stderr.strip()))


def make_ca(cert_dir):
    """Write ca.crt/ca.key (EC P-256, 10 years) into cert_dir."""
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj", "/CN=kubedouble-ca",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=cert_dir)


def issue_cert(cert_dir, prefix, cn, orgs=(), server=False, ca_prefix="ca", dns=()):
    """Issue prefix.crt/prefix.key signed by ca_prefix.crt in cert_dir; returns (crt, key) paths.

    server=True: SANs 127.0.0.1, ::1, localhost (+ dns, e.g. a Service's name.namespace.svc)
    and serverAuth; otherwise clientAuth.
    orgs become O= entries, i.e. the user's groups for client-certificate authentication."""
    subj = "".join("/O=%s" % o for o in orgs) + "/CN=%s" % cn
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", prefix + ".key", "-out", prefix + ".csr", "-subj", subj, cwd=cert_dir)
    ext = os.path.join(cert_dir, prefix + ".ext")
    with open(ext, "w") as f:
        if server:
            f.write("subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost%s\nextendedKeyUsage=serverAuth\n"
                    % "".join(",DNS:" + n for n in dns))
        else:
            f.write("extendedKeyUsage=clientAuth\n")
        f.write("keyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n")
    _openssl("x509", "-req", "-in", prefix + ".csr", "-CA", ca_prefix + ".crt", "-CAkey", ca_prefix + ".key",
             "-CAcreateserial", "-out", prefix + ".crt", "-days", "3650", "-extfile", ext, cwd=cert_dir)
    return os.path.join(cert_dir, prefix + ".crt"), os.path.join(cert_dir, prefix + ".key")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def finish_request(self, request, client_address):
        # TLS handshake in the per-connection thread so one slow client cannot stall accept().
        try:
            request.settimeout(30)
            # Headers and body go out in separate writes; without NODELAY,
            # Nagle + delayed ACK add ~40 ms to every answer.
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        if self.double.verbose:
            super().handle_error(request, client_address)


class KubeDouble:
    """The API-server double.  Construct, start(), use .port/.kubeconfig, stop()."""

    def __init__(self, port=0, crd_paths=(), cert_dir=None, tls_cert=None, tls_key=None, client_ca=None,
                 tokens=None, kubeconfig=None, kubeconfig_client_cert=None, port_file=None,
                 history_window=1000, bookmark_interval=5.0, default_watch_timeout=1800.0,
                 mutating=(), validating=(), verbose=False):
        self.registry = Registry(history_window)
        self.ops = Ops(self)
        self.port_wanted = port
        self.crd_paths = list(crd_paths)
        self._own_cert_dir = cert_dir is None
        self.cert_dir = cert_dir or tempfile.mkdtemp(prefix="kubedouble-")
        os.makedirs(self.cert_dir, exist_ok=True)
        self.tls_cert, self.tls_key, self.client_ca = tls_cert, tls_key, client_ca
        self.tokens = {}
        for spec in tokens or ["kubedouble-admin-token=kubedouble-admin,system:masters"]:
            self.add_token(spec)
        self.kubeconfig_path = kubeconfig
        self.kubeconfig_client_cert_path = kubeconfig_client_cert
        self.port_file = port_file
        self.bookmark_interval = bookmark_interval
        self.default_watch_timeout = default_watch_timeout
        self.rv_wait_seconds = 3.0  # how long a too-new resourceVersion is waited for (watchcache.py)
        self.mutating = [Webhook(s, True) if isinstance(s, str) else s for s in mutating]
        self.validating = [Webhook(s, False) if isinstance(s, str) else s for s in validating]
        self.verbose = verbose
        self.webhook_calls = []
        self.kubelet = podlifecycle.Kubelet(self)
        self.gc = garbagecollector.GarbageCollector(self)
        self.registry.observers.extend([self.kubelet.observe, self.gc.observe])
        self.active_watches = 0
        self.server = None
        self.thread = None
        self.port = None
        # Concerns kept in sibling modules (tests/apiserver/README.md names each one).
        for rt in kinds.resource_types():
            self.registry.add_type(rt)
        self.authz = rbac.Authorizer(self)
        self.authz.install()
        self.service_endpoints = webhookclient.ServiceEndpoints()
        self.webhook_pool = webhookclient.Pool()  # kept connections to admission and conversion webhooks
        self.conversion = conversion.Converter(self)
        self.registry.type_for("apiextensions.k8s.io", "v1", "customresourcedefinitions").validate = \
            conversion.validate_crd
        self.admission = webhookconfig.Admission(self)
        self.admission.install()
        self.openapi = openapi.OpenApi(self)

    def add_token(self, spec):
        """TOKEN[=USER[,GROUP...]] ; the user is always in system:authenticated."""
        tok, _, rest = spec.partition("=")
        parts = [p for p in rest.split(",") if p] if rest else []
        user = parts[0] if parts else "kubedouble-admin"
        groups = parts[1:] + rbac.implied_groups(user) + ["system:authenticated"]
        self.tokens[tok] = {"username": user, "groups": groups}

    @property
    def token(self):
        return next(iter(self.tokens))

    @property
    def ca_file(self):
        return self.ca_path

    def _pki(self):
        self.ca_path = os.path.join(self.cert_dir, "ca.crt")
        if self.tls_cert and self.tls_key:
            if not os.path.exists(self.ca_path):
                self.ca_path = self.client_ca or self.tls_cert
        else:
            if not os.path.exists(os.path.join(self.cert_dir, "ca.key")):
                make_ca(self.cert_dir)
            self.tls_cert, self.tls_key = issue_cert(self.cert_dir, "server", "kubedouble", server=True)
        self.client_cert = self.client_key = None
        if os.path.exists(os.path.join(self.cert_dir, "ca.key")):
            self.client_cert, self.client_key = issue_cert(self.cert_dir, "client", "kubedouble-client",
                                                           orgs=["system:masters"])
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.tls_cert, self.tls_key)
        cas = [p for p in (self.client_ca, os.path.join(self.cert_dir, "ca.crt")) if p and os.path.exists(p)]
        if cas:
            for p in cas:
                ctx.load_verify_locations(p)
            ctx.verify_mode = ssl.CERT_OPTIONAL
        return ctx

    def start(self):
        ctx = self._pki()
        for p in self.crd_paths:
            self.load_crds(p)
        self.server = _Server(("127.0.0.1", self.port_wanted), Handler)
        self.server.ssl_context = ctx
        self.server.double = self
        self.port = self.server.server_address[1]
        self.write_kubeconfigs()
        if self.port_file:
            tmp = self.port_file + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % self.port)
            os.replace(tmp, self.port_file)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True, name="kubedouble")
        self.thread.start()
        self.gc.start()
        self.kubelet.start()
        return self

    def stop(self):
        self.kubelet.stop()
        self.gc.stop()
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            with self.registry.lock:
                self.registry.faults.drop_epoch += 1
                self.registry.cond.notify_all()
        self.webhook_pool.close()
        if self._own_cert_dir:
            shutil.rmtree(self.cert_dir, ignore_errors=True)

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def kubeconfig_dict(self, client_cert=False):
        with open(self.ca_path, "rb") as f:
            ca_b64 = base64.b64encode(f.read()).decode()
        user = {"token": self.token}
        if client_cert:
            with open(self.client_cert, "rb") as f:
                crt = base64.b64encode(f.read()).decode()
            with open(self.client_key, "rb") as f:
                key = base64.b64encode(f.read()).decode()
            user = {"client-certificate-data": crt, "client-key-data": key}
        return {"apiVersion": "v1", "kind": "Config",
                "clusters": [{"name": "kubedouble", "cluster": {
                    "server": self.url, "certificate-authority-data": ca_b64}}],
                "users": [{"name": "kubedouble-user", "user": user}],
                "contexts": [{"name": "kubedouble", "context": {
                    "cluster": "kubedouble", "user": "kubedouble-user", "namespace": "default"}}],
                "current-context": "kubedouble", "preferences": {}}

    def write_kubeconfigs(self):
        for path, cc in ((self.kubeconfig_path, False), (self.kubeconfig_client_cert_path, True)):
            if not path:
                continue
            if cc and not self.client_cert:
                raise RuntimeError("no client certificate to put in %s (pass --cert-dir with a CA key)" % path)
            tmp = path + ".tmp"
            with open(tmp, "w") as f:
                f.write("# written by tests/apiserver/kubedouble.py\n")
                f.write(kyaml.dump(self.kubeconfig_dict(cc)))
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)

    # ---- CRDs ----
    def load_crds(self, path):
        files = [path]
        if os.path.isdir(path):
            files = sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith((".yaml", ".yml", ".json")))
        crdrt = self.registry.type_for("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        admin = {"username": "system:kubedouble", "groups": ["system:masters"]}
        for fpath in files:
            with open(fpath, encoding="utf-8") as f:
                text = f.read()
            docs = [json.loads(text)] if fpath.endswith(".json") else kyaml.load_all(text)
            for doc in docs:
                if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                    continue
                try:
                    self.ops.create(crdrt, None, doc, admin, False)
                except ApiError as e:
                    raise RuntimeError("%s: %s" % (fpath, e.message)) from None

    def check_crd_conflict(self, crd):
        for rt in crd_types(crd):
            if self.registry.type_for(rt.group, rt.version, rt.plural) is not None:
                raise ApiError(409, "AlreadyExists", "resource %s/%s %s is already served" % (
                    rt.group, rt.version, rt.plural))

    def install_crd(self, crd):
        reg = self.registry
        spec = crd.get("spec") or {}
        group, plural = spec.get("group"), (spec.get("names") or {}).get("plural")
        for key in [k for k in reg.types if k[0] == group and k[2] == plural]:
            del reg.types[key]
        for rt in crd_types(crd):
            self.registry.add_type(rt)

    def uninstall_crd(self, crd):
        reg = self.registry
        spec = crd.get("spec") or {}
        group, plural = spec.get("group"), (spec.get("names") or {}).get("plural")
        for key in [k for k in reg.types if k[0] == group and k[2] == plural]:
            del reg.types[key]
        reg.stores.pop("%s/%s" % (group, plural), None)

    def purge_namespace(self, ns):
        """Deleting a namespace deletes what is in it (at once; no Terminating phase). Lock held."""
        reg = self.registry
        for store in reg.stores.values():
            for key in [k for k in store.objects if k[0] == ns and k[0]]:
                obj = store.objects.pop(key)
                reg.rv += 1
                gone = copy.deepcopy(obj)
                gone["metadata"]["resourceVersion"] = str(reg.rv)
                store.record(reg.rv, "DELETED", gone, obj)

    # ---- faults ----
    def set_faults(self, spec):
        """Apply a fault spec (see README): keys are optional and only change what they name."""
        if not isinstance(spec, dict):
            raise ValueError("fault spec must be a JSON object")
        known = {"watchDropAfterEvents", "watchDropAfterSeconds", "dropWatchesNow", "failNext", "delayMs",
                 "delayPathPrefix", "compact", "historyWindow", "bookmarkIntervalSeconds", "reset",
                 "resourceVersionWaitSeconds", "podTermination"}
        unknown = set(spec) - known
        if unknown:
            raise ValueError("unknown keys %s" % sorted(unknown))
        reg = self.registry
        with reg.lock:
            f = reg.faults
            if spec.get("reset"):
                f.reset()
            if "watchDropAfterEvents" in spec:
                f.watch_drop_after_events = int(spec["watchDropAfterEvents"] or 0)
            if "watchDropAfterSeconds" in spec:
                f.watch_drop_after_seconds = float(spec["watchDropAfterSeconds"] or 0)
            if spec.get("dropWatchesNow"):
                f.drop_epoch += 1
            rules = spec.get("failNext")
            if rules is not None:
                if isinstance(rules, dict):
                    rules = [rules]
                f.fail_rules.extend([faultrules.parse_rule(r) for r in rules])
            if "delayMs" in spec:
                f.delay_ms = int(spec["delayMs"] or 0)
            if "delayPathPrefix" in spec:
                f.delay_prefix = str(spec["delayPathPrefix"] or "")
            if "historyWindow" in spec:
                w = int(spec["historyWindow"])
                if w < 1:
                    raise ValueError("historyWindow must be >= 1")
                reg.history_window = w
                for st in reg.stores.values():
                    st.window = w
                    watchcache.trim(st)
            if "bookmarkIntervalSeconds" in spec:
                self.bookmark_interval = float(spec["bookmarkIntervalSeconds"])
            if "podTermination" in spec:
                if spec["podTermination"] not in ("hold", "run"):
                    raise ValueError('podTermination must be "hold" or "run"')
                f.hold_pod_termination = spec["podTermination"] == "hold"
            if "resourceVersionWaitSeconds" in spec:
                self.rv_wait_seconds = max(0.0, float(spec["resourceVersionWaitSeconds"]))
            reg.cond.notify_all()
            self.kubelet.wake.set()  # "podTermination" or "reset" may have released held pods
        if spec.get("compact"):
            reg.compact()

    # ---- watch ----
    def serve_watch(self, h, rt, ns, params):
        reg = self.registry
        lsel = parse_label_selector(params.get("labelSelector", ""))
        fsel = parse_field_selector(params.get("fieldSelector", ""), rt)
        try:
            timeout = float(params["timeoutSeconds"]) if params.get("timeoutSeconds") else self.default_watch_timeout
        except ValueError:
            raise bad_request("invalid timeoutSeconds") from None
        bookmarks = params.get("allowWatchBookmarks") in ("true", "1")
        send_initial = params.get("sendInitialEvents") in ("true", "1")
        rv_param = params.get("resourceVersion", "")
        if rv_param not in ("", "0"):
            try:
                int(rv_param)
            except ValueError:
                raise bad_request('invalid resource version: "%s"' % rv_param) from None

        def match(o):
            if o is None:
                return False
            if ns is not None and (o.get("metadata") or {}).get("namespace") != ns:
                return False
            return lsel((o.get("metadata") or {}).get("labels")) and fsel(o)

        with reg.lock:
            store = reg.stores[rt.store_key]
            expired = None
            initial = []
            if rv_param in ("", "0") or send_initial:
                initial = [copy.deepcopy(o) for k, o in sorted(store.objects.items()) if match(o)]
                last = reg.rv
            else:
                last = int(rv_param)
                expired = watchcache.watch_start_error(reg, store, last, self.rv_wait_seconds)
            epoch = reg.faults.drop_epoch
            drop_events = reg.faults.watch_drop_after_events
            drop_secs = reg.faults.watch_drop_after_seconds
            self.active_watches += 1

        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Cache-Control", "no-cache, private")
        h.end_headers()
        sent = 0
        start = time.monotonic()
        deadline = start + timeout
        next_bm = start + self.bookmark_interval

        def emit(etype, obj):
            if etype in ("ADDED", "MODIFIED", "DELETED"):
                try:
                    obj = self.conversion.for_watch(rt, obj)
                except ApiError as e:  # the client sees why, then the stream is cut
                    etype, obj = "ERROR", e.status()
                obj = tables.watch_object(self, h.headers, rt, obj, params)
            line = (json.dumps({"type": etype, "object": obj}) + "\n").encode()
            h.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
            h.wfile.flush()
            if etype == "ERROR" and obj.get("code") != 410:
                raise _Abort()

        def bookmark(rv, annotations=None):
            meta = {"resourceVersion": str(rv)}
            if annotations:
                meta["annotations"] = annotations
            emit("BOOKMARK", {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": meta})

        try:
            if expired:
                emit("ERROR", expired)
                h.wfile.write(b"0\r\n\r\n")
                return
            for o in initial:
                emit("ADDED", self.ops.out(rt, o))
                sent += 1
                if drop_events and sent >= drop_events:
                    raise _Abort()
            if send_initial and bookmarks:
                bookmark(last, {"k8s.io/initial-events-end": "true"})
            while True:
                now = time.monotonic()
                if now >= deadline:
                    break
                if _peer_closed(h.connection):
                    return
                if drop_secs and now - start >= drop_secs:
                    raise _Abort()
                with reg.lock:
                    if reg.faults.drop_epoch != epoch or self.server is None:
                        raise _Abort()
                    store = reg.stores.get(rt.store_key)
                    if store is None:
                        break  # CRD deleted: kube closes the watch
                    if last < store.floor:
                        expired = watchcache.too_old_status(last, store.floor)
                        events = []
                    else:
                        events = [e for e in store.history if e[0] > last]
                    if not events and not expired:
                        wait = min(deadline, next_bm if bookmarks else deadline) - now
                        if drop_secs:
                            wait = min(wait, start + drop_secs - now)
                        reg.cond.wait(max(0.0, min(wait, 0.5)))
                        store = reg.stores.get(rt.store_key)
                        events = [e for e in store.history if e[0] > last] if store else []
                        if store is not None and last < store.floor:
                            expired = watchcache.too_old_status(last, store.floor)
                            events = []
                    newest = reg.rv
                if expired:
                    emit("ERROR", expired)
                    break
                for rv, etype, obj, old in events:
                    last = rv
                    now_m, was_m = match(obj), match(old)
                    if etype == "MODIFIED":
                        if now_m and not was_m:
                            etype = "ADDED"
                        elif was_m and not now_m:
                            etype = "DELETED"
                        elif not now_m:
                            continue
                    elif not now_m and not (etype == "DELETED" and was_m):
                        continue
                    emit(etype, self.ops.out(rt, obj))
                    sent += 1
                    if drop_events and sent >= drop_events:
                        raise _Abort()
                last = max(last, newest)
                if bookmarks and time.monotonic() >= next_bm:
                    bookmark(last)
                    next_bm = time.monotonic() + self.bookmark_interval
            h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
        except _Abort:
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except (ConnectionError, ssl.SSLError, OSError):
            h.close_connection = True
        finally:
            with reg.lock:
                self.active_watches -= 1


# ----------------------------------------------------------------------------
# Command line.
# ----------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(description="Kubernetes API-server test double (see tests/apiserver/README.md)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = pick a free one)")
    p.add_argument("--port-file", help="write the chosen port here once listening")
    p.add_argument("--kubeconfig", help="write a token kubeconfig for the client here")
    p.add_argument("--kubeconfig-client-cert", help="write a client-certificate kubeconfig here")
    p.add_argument("--crds", action="append", default=[], help="CRD YAML file or directory (repeatable)")
    p.add_argument("--cert-dir", help="where the CA, server and client certificates are made/kept "
                   "(default: a temporary directory removed at exit)")
    p.add_argument("--tls-cert", help="serving certificate (PEM) instead of a generated one")
    p.add_argument("--tls-key", help="key of --tls-cert")
    p.add_argument("--client-ca", help="extra CA bundle accepted for client certificates")
    p.add_argument("--token", action="append", default=[],
                   help="TOKEN[=USER[,GROUP...]] accepted bearer token (repeatable; default "
                        "kubedouble-admin-token=kubedouble-admin,system:masters); the first goes in --kubeconfig")
    p.add_argument("--mutating-webhook", action="append", default=[],
                   help="name=N,url=https://127.0.0.1:P/path,ca=FILE,resources=R;R,operations=CREATE;UPDATE,"
                        "failurePolicy=Fail|Ignore,timeout=S (repeatable, called in order)")
    p.add_argument("--validating-webhook", action="append", default=[], help="same format as --mutating-webhook")
    p.add_argument("--history-window", type=int, default=1000, help="watch events kept per resource")
    p.add_argument("--bookmark-interval", type=float, default=5.0, help="seconds between BOOKMARK events")
    p.add_argument("--default-watch-timeout", type=float, default=1800.0,
                   help="seconds a watch without timeoutSeconds stays open")
    p.add_argument("--faults", help="initial fault spec as JSON (same as POST /_double/faults)")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    webhookclient.add_flags(p)
    a = p.parse_args(argv)
    try:
        d = KubeDouble(port=a.port, crd_paths=a.crds, cert_dir=a.cert_dir, tls_cert=a.tls_cert, tls_key=a.tls_key,
                       client_ca=a.client_ca, tokens=a.token or None, kubeconfig=a.kubeconfig,
                       kubeconfig_client_cert=a.kubeconfig_client_cert, port_file=a.port_file,
                       history_window=a.history_window, bookmark_interval=a.bookmark_interval,
                       default_watch_timeout=a.default_watch_timeout, mutating=a.mutating_webhook,
                       validating=a.validating_webhook, verbose=a.verbose)
        if a.faults:
            d.set_faults(json.loads(a.faults))
        webhookclient.apply_flags(d, a)
        d.start()
    except (ValueError, RuntimeError, OSError, kyaml.YamlError) as e:
        sys.stderr.write("kubedouble: %s\n" % e)
        return 2
    print("kubedouble listening on %s" % d.url, flush=True)
    stop = threading.Event()
    import signal
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass
    d.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

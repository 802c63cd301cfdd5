"""/openapi/v2 and /openapi/v3 of the API-server double, built from the CRDs it serves, as
kube-apiserver publishes them (apiextensions-apiserver/pkg/controller/openapi), so that kubectl
(which downloads the v2 document as protobuf to validate what it applies) works against it.

Published: every served version of every CRD (the structural schema made v2-friendly as kube
does: no nullable/anyOf/oneOf/allOf/not, x-kubernetes-preserve-unknown-fields and nullable
subtrees untyped, metadata a reference to ObjectMeta) plus its List, and the meta/v1 types
they reference.  Built-in kinds are not published: kubectl then skips validating them and
computes strategic merge patches from its compiled-in types, as it does for any kind missing
from a server's document."""

import copy
import hashlib
import json

import openapiproto

PROTO_V2 = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
PROTO_V2_ALT = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
CRD_STORE = "apiextensions.k8s.io/customresourcedefinitions"


# ----------------------------------------------------------------------------
# The meta/v1 definitions CRD schemas reference.
# ----------------------------------------------------------------------------

def _ref(name, v3=False):
    return {"$ref": ("#/components/schemas/" if v3 else "#/definitions/") + META + name}


def _string_map():
    return {"type": "object", "additionalProperties": {"type": "string", "default": ""}}


def meta_definitions(v3=False):
    """ObjectMeta, ListMeta and what they reference (field names and types of apimachinery)."""
    def s(desc=""):
        return {"type": "string", "description": desc} if desc else {"type": "string"}

    def i64():
        return {"type": "integer", "format": "int64"}

    def ref(name):
        return _ref(name, v3)
    return {
        META + "Time": {"type": "string", "format": "date-time",
                        "description": "Time is a wrapper around time.Time which supports correct marshaling "
                                       "to YAML and JSON."},
        META + "FieldsV1": {"type": "object", "description": "FieldsV1 stores a set of fields in a data structure "
                                                             "like a Trie, in JSON format."},
        META + "OwnerReference": {
            "type": "object", "required": ["apiVersion", "kind", "name", "uid"],
            "x-kubernetes-map-type": "atomic",
            "properties": {"apiVersion": s(), "blockOwnerDeletion": {"type": "boolean"},
                           "controller": {"type": "boolean"}, "kind": s(), "name": s(), "uid": s()}},
        META + "ManagedFieldsEntry": {
            "type": "object",
            "properties": {"apiVersion": s(), "fieldsType": s(), "fieldsV1": ref("FieldsV1"), "manager": s(),
                           "operation": s(), "subresource": s(), "time": ref("Time")}},
        META + "ObjectMeta": {
            "type": "object",
            "description": "ObjectMeta is metadata that all persisted resources must have.",
            "properties": {
                "annotations": _string_map(), "creationTimestamp": ref("Time"),
                "deletionGracePeriodSeconds": i64(), "deletionTimestamp": ref("Time"),
                "finalizers": {"type": "array", "items": {"type": "string", "default": ""},
                               "x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge"},
                "generateName": s(), "generation": i64(), "labels": _string_map(),
                "managedFields": {"type": "array", "items": ref("ManagedFieldsEntry"),
                                  "x-kubernetes-list-type": "atomic"},
                "name": s(), "namespace": s(),
                "ownerReferences": {"type": "array", "items": ref("OwnerReference"),
                                    "x-kubernetes-list-map-keys": ["uid"], "x-kubernetes-list-type": "map",
                                    "x-kubernetes-patch-merge-key": "uid", "x-kubernetes-patch-strategy": "merge"},
                "resourceVersion": s(), "selfLink": s(), "uid": s()}},
        META + "ListMeta": {
            "type": "object",
            "properties": {"continue": s(), "remainingItemCount": i64(), "resourceVersion": s(), "selfLink": s()}},
    }


# ----------------------------------------------------------------------------
# CRD schemas.
# ----------------------------------------------------------------------------

def _reversed_group(group):
    return ".".join(reversed(group.split(".")))


def definition_name(group, version, kind):
    """kube's name for a CRD definition: the group reversed, e.g. io.x-k8s.kueue.v1beta1.Workload."""
    return "%s.%s.%s" % (_reversed_group(group), version, kind)


_V2_DROPPED = ("nullable", "anyOf", "oneOf", "allOf", "not", "x-kubernetes-validations")


def to_v2(schema):
    """A structural schema made palatable to kubectl's v2 parser (ToStructuralOpenAPIV2)."""
    if not isinstance(schema, dict):
        return schema
    s = {k: v for k, v in schema.items() if k not in _V2_DROPPED}
    if schema.get("nullable"):
        for k in ("type", "items", "properties"):
            s.pop(k, None)
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        for k in ("items", "properties") + (("type",) if s.get("type") == "object" else ()):
            s.pop(k, None)
    if "properties" in s:
        s["properties"] = {k: to_v2(v) for k, v in s["properties"].items()}
        nullable = {k for k, v in schema["properties"].items() if isinstance(v, dict) and v.get("nullable")}
        if "required" in s:
            s["required"] = [r for r in s["required"] if r not in nullable]
        if not s["properties"]:
            del s["properties"]
    if isinstance(s.get("additionalProperties"), dict):
        s["additionalProperties"] = to_v2(s["additionalProperties"])
    if isinstance(s.get("items"), dict):
        s["items"] = to_v2(s["items"])
    if s.get("type") == "array" and "items" not in s:
        del s["type"]  # kubectl cannot parse an array without an item schema
    return s


def _to_v3(schema):
    """v3 keeps the structural schema; only CEL rules are left out (kube publishes them, kubectl ignores them)."""
    if not isinstance(schema, dict):
        return schema
    s = {k: v for k, v in schema.items() if k != "x-kubernetes-validations"}
    if isinstance(s.get("properties"), dict):
        s["properties"] = {k: _to_v3(v) for k, v in s["properties"].items()}
    for k in ("items", "additionalProperties"):
        if isinstance(s.get(k), dict):
            s[k] = _to_v3(s[k])
    for k in ("anyOf", "oneOf", "allOf"):
        if isinstance(s.get(k), list):
            s[k] = [_to_v3(x) for x in s[k]]
    return s


def crd_definitions(crd, v3=False):
    """{name: schema} for every served version of a CRD and its List; {} if it has no schemas."""
    spec = crd.get("spec") or {}
    group, names = spec.get("group"), spec.get("names") or {}
    kind = names.get("kind")
    out = {}
    for v in spec.get("versions") or []:
        if not v.get("served", True):
            continue
        schema = ((v.get("schema") or {}).get("openAPIV3Schema"))
        if not isinstance(schema, dict):
            continue
        s = _to_v3(copy.deepcopy(schema)) if v3 else to_v2(copy.deepcopy(schema))
        props = s.setdefault("properties", {})
        props["apiVersion"] = {"type": "string", "description": "APIVersion defines the versioned schema of this "
                                                                "representation of an object."}
        props["kind"] = {"type": "string", "description": "Kind is a string value representing the REST resource "
                                                          "this object represents."}
        props["metadata"] = {"allOf": [_ref("ObjectMeta", True)]} if v3 else _ref("ObjectMeta")
        s["type"] = "object"
        gvk = [{"group": group, "kind": kind, "version": v["name"]}]
        s["x-kubernetes-group-version-kind"] = gvk
        name = definition_name(group, v["name"], kind)
        out[name] = s
        item_ref = ("#/components/schemas/" if v3 else "#/definitions/") + name
        out[definition_name(group, v["name"], names.get("listKind") or kind + "List")] = {
            "type": "object", "required": ["items"],
            "description": "%sList is a list of %s" % (kind, kind),
            "properties": {
                "apiVersion": {"type": "string"}, "kind": {"type": "string"},
                "items": {"type": "array", "items": {"$ref": item_ref}},
                "metadata": {"allOf": [_ref("ListMeta", True)]} if v3 else _ref("ListMeta")},
            "x-kubernetes-group-version-kind": [{"group": group, "kind": names.get("listKind") or kind + "List",
                                                 "version": v["name"]}]}
    return out


def _read_paths(crds, group, version):
    """The v3 `paths` of a group-version: only each resource's read operation, whose response
    names its schema (what `kubectl explain` looks up). No write operations are listed, so
    kubectl finds no `fieldValidation` parameter and validates on its side."""
    paths = {}
    for crd in crds:
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        if spec.get("group") != group or not any(v.get("name") == version for v in spec.get("versions") or []):
            continue
        scope = "namespaces/{namespace}/" if spec.get("scope") == "Namespaced" else ""
        ref = "#/components/schemas/" + definition_name(group, version, names.get("kind", ""))
        paths["/apis/%s/%s/%s%s/{name}" % (group, version, scope, names.get("plural", ""))] = {"get": {
            "operationId": "read%s%s" % ("Namespaced" if scope else "", names.get("kind", "")),
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}},
            "x-kubernetes-action": "get",
            "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": names.get("kind", "")}}}
    return dict(sorted(paths.items()))


# ----------------------------------------------------------------------------
# Serving.
# ----------------------------------------------------------------------------

class OpenApi:
    """Builds the documents from the CRD store (cached until a CRD changes) and serves them."""

    def __init__(self, double):
        self.d = double
        self._cache_key = None
        self._cache = {}

    def _crds(self):
        reg = self.d.registry
        with reg.lock:
            store = reg.stores.get(CRD_STORE)
            items = sorted(store.objects.items()) if store else []
            key = tuple((k, o["metadata"].get("resourceVersion")) for k, o in items)
            if key != self._cache_key:
                self._cache_key, self._cache = key, {}
            return [copy.deepcopy(o) for _k, o in items]

    def v2(self):
        """The v2 document as a dict."""
        crds = self._crds()
        if "v2" not in self._cache:
            defs = meta_definitions()
            for crd in crds:
                defs.update(crd_definitions(crd))
            self._cache["v2"] = {"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.30.0-kubedouble"},
                                 "paths": {}, "definitions": dict(sorted(defs.items()))}
        return self._cache["v2"]

    def v3_index(self):
        crds = self._crds()
        paths = {}
        for crd in crds:
            spec = crd.get("spec") or {}
            for v in spec.get("versions") or []:
                if v.get("served", True):
                    gv = "apis/%s/%s" % (spec.get("group"), v["name"])
                    paths[gv] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (gv, self._hash(self.v3(gv)))}
        return {"paths": dict(sorted(paths.items()))}

    def v3(self, gv):
        """The v3 document of one group/version ('apis/G/V'), or None if no CRD serves it."""
        crds = self._crds()
        key = "v3:" + gv
        if key not in self._cache:
            parts = gv.split("/")
            schemas = {}
            for crd in crds:
                spec = crd.get("spec") or {}
                if len(parts) == 3 and spec.get("group") == parts[1] and any(
                        v["name"] == parts[2] and v.get("served", True) for v in spec.get("versions") or []):
                    schemas.update({k: s for k, s in crd_definitions(crd, v3=True).items()
                                    if k.startswith(definition_name(parts[1], parts[2], ""))})
            if not schemas:
                self._cache[key] = None
            else:
                schemas.update(meta_definitions(v3=True))
                self._cache[key] = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.30.0-kubedouble"},
                                    "paths": _read_paths(crds, parts[1], parts[2]),
                                    "components": {"schemas": dict(sorted(schemas.items()))}}
        return self._cache[key]

    @staticmethod
    def _hash(doc):
        return hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:64].upper()

    def serve(self, handler, path):
        """Answer GET /openapi/v2 or /openapi/v3[/...]; True if the path was one of them."""
        import kubedouble as kd
        if path == "/openapi/v2":
            accept = handler.headers.get("Accept", "")
            if PROTO_V2 in accept or PROTO_V2_ALT in accept:
                # the answer names the form without "@" (kube-openapi: a mime parser rejects "@")
                return self._send(handler, openapiproto.encode_document(self.v2()), PROTO_V2_ALT)
            return self._send(handler, json.dumps(self.v2()).encode(), "application/json")
        if path == "/openapi/v3":
            return self._send(handler, json.dumps(self.v3_index()).encode(), "application/json")
        doc = self.v3(path[len("/openapi/v3/"):])
        if doc is None:
            raise kd.ApiError(404, "NotFound", "the server could not find the requested resource")
        return self._send(handler, json.dumps(doc).encode(), "application/json")

    @staticmethod
    def _send(handler, body, ctype):
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:32].upper()
        if handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return True
        handler.send_response(200)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("ETag", etag)
        handler.send_header("Vary", "Accept")
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)
        return True

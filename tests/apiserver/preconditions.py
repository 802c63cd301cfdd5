"""UID and resourceVersion preconditions, failing with kube-apiserver's own 409 wording.

Two layers check them upstream, with different messages: the storage layer
(k8s.io/apiserver/pkg/storage Preconditions.Check, wrapped by InterpretUpdateError/
InterpretDeleteError into a Conflict on the resource) and the delete path's early check
(registry/rest.BeforeDelete, a Conflict on the object's Kind)."""

import kubedouble as kd


def storage_key(rt, ns, name):
    """The etcd key kube-apiserver names in storage errors (default prefix /registry)."""
    parts = ["/registry"]
    if rt.is_crd:
        parts.append(rt.group)
    parts.append(rt.plural)
    if ns:
        parts.append(ns)
    parts.append(name)
    return "/".join(parts)


def _conflict(resource, rt, name, why):
    return kd.ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s' % (resource, name, why),
                    name=name, group=rt.group, kind=resource.split(".")[0])


def check_storage(rt, ns, name, cur, uid=None, resource_version=None):
    """Raise the storage layer's 409 when uid or resource_version (either may be None) do not
    match the stored object cur."""
    meta = cur.get("metadata") or {}
    what = None
    if uid and uid != meta.get("uid"):
        what = "Precondition failed: UID in precondition: %s, UID in object meta: %s" % (uid, meta.get("uid", ""))
    elif resource_version and resource_version != meta.get("resourceVersion"):
        what = ("Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %s"
                % (resource_version, meta.get("resourceVersion", "")))
    if what:
        raise _conflict(kd.qualified(rt), rt, name,
                        "StorageError: invalid object, Code: 4, Key: %s, ResourceVersion: 0, "
                        "AdditionalErrorMsg: %s" % (storage_key(rt, ns, name), what))


def check_before_delete(rt, name, cur, pre):
    """rest.BeforeDelete's early check of DeleteOptions.preconditions (a Conflict on Kind.group)."""
    meta = cur.get("metadata") or {}
    kind = rt.kind if not rt.group else "%s.%s" % (rt.kind, rt.group)
    uid, rv = pre.get("uid"), pre.get("resourceVersion")
    if uid is not None and uid != meta.get("uid"):
        raise kd.ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the UID in the precondition (%s) '
                       "does not match the UID in record (%s). The object might have been deleted and then "
                       "recreated" % (kind, name, uid, meta.get("uid", "")), name=name, group=rt.group, kind=rt.kind)
    if rv is not None and rv != meta.get("resourceVersion"):
        raise kd.ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the ResourceVersion in the '
                       "precondition (%s) does not match the ResourceVersion in record (%s). The object might have "
                       "been modified" % (kind, name, rv, meta.get("resourceVersion", "")),
                       name=name, group=rt.group, kind=rt.kind)

"""Pod lifecycle in the double: pods/binding as kube-apiserver's BindingREST, the pod delete
strategy (graceful deletion), and a stand-in "kubelet" that removes terminating pods.

Spec: kubernetes pkg/registry/core/pod/storage/storage.go (BindingREST) and
pkg/registry/core/pod/strategy.go (CheckGracefulDelete)."""

import copy

import kubedouble as kd
import preconditions


# ----------------------------------------------------------------------------
# pods/binding
# ----------------------------------------------------------------------------

def _check_binding_shape(body, ns):
    """Decode-level checks of a Binding body (400 as the request decoder answers)."""
    if not isinstance(body, dict):
        raise kd.bad_request("the body must be a JSON object")
    if body.get("apiVersion") not in (None, "v1"):
        raise kd.bad_request("the API version in the data (%s) does not match the expected API version (v1)"
                             % body.get("apiVersion"))
    if body.get("kind") not in (None, "Binding"):
        raise kd.bad_request("the kind in the data (%s) does not match the expected kind (Binding)" % body.get("kind"))
    meta = body.get("metadata")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict) or not isinstance(body.get("target", {}), dict):
        raise kd.bad_request("the body of the request was in an unknown format")
    if meta.get("namespace") not in (None, "", ns):
        raise kd.bad_request("the namespace of the provided object does not match the namespace sent on the request")
    ann = meta.get("annotations")
    if ann is not None and (not isinstance(ann, dict) or not all(isinstance(v, str) for v in ann.values())):
        raise kd.bad_request("metadata.annotations must be a map of strings")
    return meta, body.get("target") or {}


def _validate_binding(target):
    """validation.ValidatePodBinding. Upstream returns it as a plain aggregate error, which the
    apiserver answers as 500 with an empty reason (not 422): kept as is."""
    errs = []
    kind = target.get("kind") or ""
    if kind not in ("", "Node"):
        errs.append('target.kind: Unsupported value: "%s": supported values: "Node", "<empty>"' % kind)
    if not target.get("name"):
        errs.append("target.name: Required value")
    if errs:
        msg = errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]"
        raise kd.ApiError(500, "", msg)


def bind(ops, rt, ns, name, body, dry):
    """POST pods/NAME/binding. Returns (201, Status). Refusals as upstream: 400 for a name that
    differs from the URL's, 404 for a missing pod, 409 for a failed uid/resourceVersion
    precondition (storage wording), and 409 on pods/binding for a pod already bound, being
    deleted or still carrying schedulingGates."""
    meta, target = _check_binding_shape(body, ns)
    if meta.get("name", "") != name:
        raise kd.bad_request("name in URL does not match name in Binding object")
    _validate_binding(target)
    node = target["name"]
    with ops.reg.lock:
        cur = ops.store(rt).objects.get((ns or "", name))
        if cur is None:
            raise kd.not_found(rt, name)
        preconditions.check_storage(rt, ns, name, cur, uid=meta.get("uid") or None,
                                    resource_version=meta.get("resourceVersion") or None)
        spec = cur.get("spec") or {}
        why = None
        if cur["metadata"].get("deletionTimestamp"):
            why = "pod %s is being deleted, cannot be assigned to a host" % name
        elif spec.get("nodeName"):
            why = 'pod %s is already assigned to node "%s"' % (name, spec["nodeName"])
        elif spec.get("schedulingGates"):
            why = "pod %s has non-empty .spec.schedulingGates" % name
        if why:
            raise kd.ApiError(409, "Conflict", 'Operation cannot be fulfilled on pods/binding "%s": %s' % (name, why),
                              name=name, group="", kind="pods/binding")
        new = copy.deepcopy(cur)
        new.setdefault("spec", {})["nodeName"] = node
        if meta.get("annotations"):
            new["metadata"].setdefault("annotations", {}).update(meta["annotations"])
        _set_scheduled(new)
        if not dry:
            ops.commit_update(rt, ns, name, new, cur)
    return 201, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def _set_scheduled(pod):
    """podutil.UpdatePodCondition(PodScheduled=True): the transition time changes only when
    the status does."""
    st = pod.setdefault("status", {})
    conds = st.get("conditions") or []
    for c in conds:
        if c.get("type") == "PodScheduled":
            if c.get("status") != "True":
                c["status"] = "True"
                c["lastTransitionTime"] = kd.now_rfc3339()
            c.pop("reason", None)
            c.pop("message", None)
            c["lastProbeTime"] = None
            break
    else:
        conds.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                      "lastTransitionTime": kd.now_rfc3339()})
    st["conditions"] = conds

"""Pod lifecycle in the double: pods/binding as kube-apiserver's BindingREST, the pod delete
strategy (graceful deletion), and a stand-in "kubelet" that removes terminating pods.

Spec: kubernetes pkg/registry/core/pod/storage/storage.go (BindingREST) and
pkg/registry/core/pod/strategy.go (CheckGracefulDelete)."""

import copy
import time

import actors
import deletion
import kubedouble as kd
import preconditions

PODS_KEY = "/pods"  # the pods store's key (group "", plural "pods")


# ----------------------------------------------------------------------------
# Graceful deletion (podStrategy.CheckGracefulDelete)
# ----------------------------------------------------------------------------

def graceful_delete_strategy(rt):
    """The CheckGracefulDelete of rt's kind, or None for kinds deleted at once (all but pods)."""
    return _pod_check_graceful_delete if rt.plural == "pods" and not rt.group else None


def _pod_check_graceful_delete(pod, opts):
    """The grace period: the request's, else spec.terminationGracePeriodSeconds (defaulted to 30
    at create); 0 for a pod on no node or already Succeeded/Failed; a negative one is 1."""
    spec = pod.get("spec") or {}
    if opts.get("gracePeriodSeconds") is not None:
        period = opts["gracePeriodSeconds"]
    else:
        period = spec.get("terminationGracePeriodSeconds") or 0
    if not spec.get("nodeName"):
        period = 0
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        period = 0
    if period < 0:
        period = 1
    opts["gracePeriodSeconds"] = period
    return True


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


# ----------------------------------------------------------------------------
# The kubelet stand-in
# ----------------------------------------------------------------------------

class Kubelet(actors.Worker):
    """Removes a terminating pod bound to a node once its grace period has passed, as the
    kubelet does after stopping its containers: DELETE with gracePeriodSeconds 0 and the pod's
    uid as precondition, as user system:node:NODE. The fault knob podTermination: "hold" keeps
    terminating pods; finish() (POST /_double/pods/finish-termination) removes them now."""

    def __init__(self, double):
        super().__init__("kubedouble-kubelet")
        self.d = double
        self.due = {}  # uid -> (monotonic time, namespace, name, node); guarded by the registry lock

    def observe(self, key, etype, obj, old):
        """Registry observer (lock held): note when each terminating bound pod is due."""
        if key != PODS_KEY:
            return
        meta = obj.get("metadata") or {}
        uid = meta.get("uid")
        if etype == "DELETED":
            self.due.pop(uid, None)
            return
        node = (obj.get("spec") or {}).get("nodeName")
        grace = meta.get("deletionGracePeriodSeconds") or 0
        if meta.get("deletionTimestamp") and node and grace > 0:
            when = time.monotonic() + grace
            prev = self.due.get(uid)
            if prev is None or when < prev[0]:  # a shorter grace period brings it forward
                self.due[uid] = (when, meta.get("namespace", ""), meta.get("name"), node)
                self.wake.set()

    def step(self):
        reg = self.d.registry
        with reg.lock:
            if reg.faults.hold_pod_termination:
                return None
            now = time.monotonic()
            ready = [(uid, v) for uid, v in self.due.items() if v[0] <= now]
            later = [v[0] for v in self.due.values() if v[0] > now]
        for uid, (_when, ns, name, node) in ready:
            self.remove(uid, ns, name, node)
        return max(0.0, min(later) - time.monotonic()) if later else None

    def remove(self, uid, ns, name, node):
        """Delete one pod as its kubelet; True when the apiserver took it (or it was gone)."""
        rt = self.d.registry.type_for("", "v1", "pods")
        opts = deletion.parse_options({}, {"gracePeriodSeconds": 0, "preconditions": {"uid": uid}})
        user = {"username": "system:node:%s" % node, "groups": ["system:nodes", "system:authenticated"]}
        def delete():
            code, _answer, stored = self.d.ops.delete(rt, ns, name, opts, user, False)
            return code, stored
        try:
            actors.call(self.d, user, "delete", rt, ns, name, delete)
            ok = True
        except kd.ApiError as e:
            ok = e.code in (404, 409)  # gone, or replaced by another pod of that name
        with self.d.registry.lock:
            if ok:
                self.due.pop(uid, None)
            elif uid in self.due:
                v = self.due[uid]
                self.due[uid] = (time.monotonic() + 1.0,) + v[1:]  # e.g. a webhook failed: try again
        return ok

    def finish(self, ns=None, name=None):
        """Remove now every terminating bound pod (in ns, named name, when given), held or not.
        Returns their namespace/name."""
        reg = self.d.registry
        with reg.lock:
            store = reg.stores[reg.type_for("", "v1", "pods").store_key]
            todo = [(p["metadata"]["uid"], k[0], k[1], p["spec"]["nodeName"]) for k, p in sorted(store.objects.items())
                    if p["metadata"].get("deletionTimestamp") and (p.get("spec") or {}).get("nodeName")
                    and ns in (None, k[0]) and name in (None, k[1])]
        return ["%s/%s" % (t[1], t[2]) for t in todo if self.remove(*t)]


def control(double, method, path, body):
    """/_double/pods/... endpoints; returns (code, answer)."""
    if path == "/_double/pods/finish-termination" and method == "POST":
        body = body or {}
        if not isinstance(body, dict):
            raise kd.bad_request("the body must be a JSON object")
        done = double.kubelet.finish(body.get("namespace"), body.get("name"))
        return 200, {"finished": done}
    raise kd.ApiError(404, "NotFound", "unknown control endpoint %s %s" % (method, path))

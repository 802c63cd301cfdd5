"""The Priority admission plugin and PriorityClass defaulting/validation, as kube-apiserver.

Spec: kubernetes plugin/pkg/admission/priority/admission.go (pods get spec.priority and
spec.preemptionPolicy from their PriorityClass, or from the globalDefault class, or 0; a
missing class or a contradicting spec.priority is 403 Forbidden; one globalDefault at most)
and pkg/apis/scheduling/validation (reserved "system-" names, the user maximum, immutable
value and preemptionPolicy). Runs before the mutating webhooks, as in the plugin order."""

import kubedouble as kd

HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000
SYSTEM_CLASSES = {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}
PREEMPTION_POLICIES = ("PreemptLowerPriority", "Never")


def _is_pods(rt):
    return rt.plural == "pods" and not rt.group


def _is_priorityclasses(rt):
    return rt.plural == "priorityclasses" and rt.group == "scheduling.k8s.io"


def admit(ops, rt, op, obj, old):
    """Apply the plugin to a CREATE or UPDATE of obj (mutated in place); raises ApiError."""
    if _is_pods(rt):
        if op == "CREATE":
            _admit_pod_create(ops, rt, obj)
        elif op == "UPDATE":
            _keep_pod_priority(obj, old)
    elif _is_priorityclasses(rt):
        if op == "CREATE":
            obj.setdefault("preemptionPolicy", "PreemptLowerPriority")  # SetDefaults_PriorityClass
        elif op == "UPDATE" and "preemptionPolicy" not in obj and old is not None:
            obj["preemptionPolicy"] = old.get("preemptionPolicy")
        _validate_class(ops, rt, op, obj, old)


def forbidden(rt, obj, why):
    """admission.NewForbidden: the name, else the generateName, else "Unknown"."""
    meta = obj.get("metadata") or {}
    name = meta.get("name") or meta.get("generateName") or "Unknown"
    return kd.ApiError(403, "Forbidden", '%s "%s" is forbidden: %s' % (kd.qualified(rt), name, why),
                       name=name, group=rt.group, kind=rt.plural)


def _classes(ops):
    rt = ops.reg.type_for("scheduling.k8s.io", "v1", "priorityclasses")
    return ops.store(rt).objects


def default_class(ops):
    """The globalDefault PriorityClass with the lowest value (as upstream, when a race made
    several), or None."""
    with ops.reg.lock:
        best = None
        for (_, _name), pc in _classes(ops).items():
            if pc.get("globalDefault") is True and (best is None or pc.get("value", 0) < best.get("value", 0)):
                best = pc
        return best


def _admit_pod_create(ops, rt, pod):
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return  # validation answers a pod without a spec
    name = spec.get("priorityClassName") or ""
    if not name:
        pc = default_class(ops)
        if pc is not None:
            spec["priorityClassName"] = pc["metadata"]["name"]
    else:
        with ops.reg.lock:
            pc = _classes(ops).get(("", name))
        if pc is None:
            raise forbidden(rt, pod, "no PriorityClass with name %s was found" % name)
    value = pc.get("value", 0) if pc is not None else 0
    given = spec.get("priority")
    if given is not None and given != value:
        raise forbidden(rt, pod, "the integer value of priority (%s) must not be provided in pod spec; priority "
                        "admission controller computed %d from the given PriorityClass name" % (given, value))
    spec["priority"] = value
    policy = pc.get("preemptionPolicy") if pc is not None else None
    if policy is not None:
        if spec.get("preemptionPolicy") not in (None, policy):
            raise forbidden(rt, pod, "the string value of PreemptionPolicy (%s) must not be provided in pod spec; "
                            "priority admission controller computed %s from the given PriorityClass name"
                            % (spec["preemptionPolicy"], policy))
        spec["preemptionPolicy"] = policy


def _keep_pod_priority(pod, old):
    """On update the plugin restores priority and preemptionPolicy a client left out."""
    spec, old_spec = pod.get("spec"), (old or {}).get("spec") or {}
    if not isinstance(spec, dict):
        return
    for field in ("priority", "preemptionPolicy"):
        if spec.get(field) is None and old_spec.get(field) is not None:
            spec[field] = old_spec[field]


def _validate_class(ops, rt, op, pc, old):
    name = (pc.get("metadata") or {}).get("name") or ""
    value = pc.get("value", 0)
    causes = []
    if not isinstance(value, int) or isinstance(value, bool):
        raise kd.bad_request("PriorityClass.value must be an int32, not %s" % type(value).__name__)
    if name.startswith("system-"):
        why = _system_class_error(name, value, pc.get("globalDefault", False))
        if why:
            causes.append(("metadata.name", "Forbidden: priority class names with 'system-' prefix are reserved "
                           "for system use only. error: " + why))
    elif value > HIGHEST_USER_DEFINABLE_PRIORITY:
        causes.append(("value", "Forbidden: maximum allowed value of a user defined priority is %d"
                       % HIGHEST_USER_DEFINABLE_PRIORITY))
    policy = pc.get("preemptionPolicy")
    if policy is not None and policy not in PREEMPTION_POLICIES:
        causes.append(("preemptionPolicy", 'Unsupported value: "%s": supported values: "Never", '
                       '"PreemptLowerPriority"' % policy))
    if op == "UPDATE" and old is not None:
        if value != old.get("value", 0):
            causes.append(("value", "Forbidden: may not be changed in an update."))
        if policy != old.get("preemptionPolicy"):
            causes.append(("preemptionPolicy", 'Invalid value: "%s": field is immutable' % policy))
    if causes:
        raise kd.invalid(rt, name, causes)
    if pc.get("globalDefault") is True:
        dpc = default_class(ops)
        if dpc is not None and (op == "CREATE" or dpc["metadata"]["name"] != name):
            raise forbidden(rt, pc, "PriorityClass %s is already marked as default. Only one default can exist"
                            % dpc["metadata"]["name"])


def _system_class_error(name, value, global_default):
    """scheduling.IsKnownSystemPriorityClass's error text, or None for a known class."""
    if name not in SYSTEM_CLASSES:
        return "%s is not a known system priority class" % name
    if value != SYSTEM_CLASSES[name]:
        return "value of %s PriorityClass must be %d" % (name, SYSTEM_CLASSES[name])
    if global_default:
        return "globalDefault of %s PriorityClass must be false" % name
    return None

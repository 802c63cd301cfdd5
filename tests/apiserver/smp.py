"""Strategic merge patch (application/strategic-merge-patch+json) for the built-in kinds the
API-server double serves, as k8s.io/apimachinery/pkg/util/strategicpatch applies it — what
`kubectl apply` (client-side) sends for built-in kinds.

Lists whose Go field carries `patchStrategy:"merge"` are merged by their `patchMergeKey` (or as
sets for lists of scalars), every other list is replaced; the directives `$patch` (replace,
delete, merge), `$retainKeys`, `$setElementOrder/<field>` and `$deleteFromPrimitiveList/<field>`
are honoured.  The strategies are the k8s.io/api struct tags of the fields these kinds have."""

import copy

MERGE = "merge"

# Field -> merge key ("" for a list of scalars), relative to a PodSpec.
_POD_SPEC = {
    "volumes": "name", "initContainers": "name", "containers": "name", "ephemeralContainers": "name",
    "imagePullSecrets": "name", "hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name", "schedulingGates": "name",
}
# Relative to a Container (containers, initContainers, ephemeralContainers).
_CONTAINER = {"ports": "containerPort", "env": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath"}
# Fields whose struct also has the retainKeys strategy.
_RETAIN = {"spec.strategy", "spec.updateStrategy"}


def _pod_spec_fields(prefix):
    out = {}
    for field, key in _POD_SPEC.items():
        out["%s.%s" % (prefix, field)] = key
    for containers in ("containers", "initContainers", "ephemeralContainers"):
        for field, key in _CONTAINER.items():
            out["%s.%s.%s" % (prefix, containers, field)] = key
    return out


def _merge_lists():
    """{kind: {dotted path (list indexes dropped): merge key}} of the merge-strategy lists."""
    common = {"metadata.finalizers": "", "metadata.ownerReferences": "uid"}
    conditions = {"status.conditions": "type"}
    pod = dict(common, **_pod_spec_fields("spec"), **conditions, **{"status.podIPs": "ip", "status.hostIPs": "ip"})
    template = dict(common, **_pod_spec_fields("spec.template.spec"), **conditions)
    return {
        "Pod": pod,
        "Deployment": template,
        "Node": dict(common, **conditions, **{"status.addresses": "type", "spec.podCIDRs": "",
                                              "status.volumesAttached": "name"}),
        "Namespace": dict(common, **conditions),
        "Service": dict(common, **{"spec.ports": "port", "status.conditions": "type"}),
        "ServiceAccount": dict(common, **{"secrets": "name"}),
        "PodDisruptionBudget": dict(common, **conditions),
        "MutatingWebhookConfiguration": dict(common, **{"webhooks": "name"}),
        "ValidatingWebhookConfiguration": dict(common, **{"webhooks": "name"}),
    }


MERGE_LISTS = _merge_lists()


class PatchError(ValueError):
    """A patch apimachinery would refuse (the double answers 422)."""


def apply(kind, original, patch):
    """original with the strategic merge patch applied (both dicts; neither is modified)."""
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object")
    out = _merge_map(copy.deepcopy(original), patch, "", MERGE_LISTS.get(kind, {}))
    return out if out is not None else {}


def _merge_map(orig, patch, path, lists):
    directive = patch.get("$patch")
    if directive == "replace":
        return _strip({k: v for k, v in patch.items() if k != "$patch"})
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise PatchError("unknown patch type: %s in map: %s" % (directive, path or "(root)"))
    result = orig if isinstance(orig, dict) else {}
    retain = patch.get("$retainKeys")
    if retain is not None and not isinstance(retain, list):
        raise PatchError("$retainKeys must be a list at %s" % (path or "(root)"))
    orders = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = [x for x in result[field] if x not in value]
            continue
        sub = "%s.%s" % (path, key) if path else key
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = _merge_map(result.get(key), value, sub, lists)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list) and sub in lists and isinstance(result.get(key), list):
            result[key] = _merge_list(result[key], value, sub, lists)
        else:
            result[key] = _strip(value)
    for field, order in orders.items():
        sub = "%s.%s" % (path, field) if path else field
        if isinstance(result.get(field), list) and isinstance(order, list):
            result[field] = _ordered(result[field], order, lists.get(sub, ""))
    if retain is not None:
        for key in [k for k in result if k not in retain]:
            del result[key]
    return result


def _merge_list(orig, patch, path, lists):
    key = lists[path]
    if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
        return [_strip(p) for p in patch if not (isinstance(p, dict) and p.get("$patch") == "replace")]
    if not key:  # a set of scalars
        return orig + [p for p in patch if p not in orig]
    out = list(orig)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise PatchError("map: %s does not contain declared merge key: %s" % (item, key))
        idx = next((i for i, o in enumerate(out) if isinstance(o, dict) and o.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                del out[idx]
            continue
        if idx is None:
            out.append(_strip(item))
        else:
            out[idx] = _merge_map(out[idx], item, path, lists)
    return out


def _ordered(items, order, key):
    """items with those named in order (by merge key, or value for scalars) first, in that order."""
    def ident(x):
        return x.get(key) if key and isinstance(x, dict) else x
    wanted = [ident(o) if isinstance(o, dict) else o for o in order]
    first = [next(i for i in items if ident(i) == w) for w in wanted if any(ident(i) == w for i in items)]
    return first + [i for i in items if ident(i) not in wanted]


def _strip(value):
    """A patch value with its directives removed (what ends up stored when nothing merges)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip(v) for v in value if not (isinstance(v, dict) and v.get("$patch") == "delete")]
    return value

"""RBAC for the API-server double: Role, ClusterRole, RoleBinding and ClusterRoleBinding objects
authorize requests as kube-apiserver's RBAC authorizer does (plugin/pkg/auth/authorizer/rbac),
behind the privileged-group short cut for system:masters.

Also here: the bootstrap roles every cluster has, the groups of service-account users, the
validation of RBAC objects, and the access log (/_double/access) that tells a test which
(user, verb, group, resource, subresource, namespace) were actually requested."""

import threading
import time

import kubedouble as kd  # the sibling server module (one instance: see the top of kubedouble.py)
import labelselector

GROUP = "rbac.authorization.k8s.io"
MASTERS = "system:masters"
SA_PREFIX = "system:serviceaccount:"
MAX_ACCESS_LOG = 200000


# ----------------------------------------------------------------------------
# Kinds.
# ----------------------------------------------------------------------------

def resource_types():
    """The four RBAC kinds (rbac.authorization.k8s.io/v1), with their validation."""
    types = [kd.ResourceType(GROUP, "v1", "roles", "Role", True),
             kd.ResourceType(GROUP, "v1", "clusterroles", "ClusterRole", False),
             kd.ResourceType(GROUP, "v1", "rolebindings", "RoleBinding", True),
             kd.ResourceType(GROUP, "v1", "clusterrolebindings", "ClusterRoleBinding", False)]
    for rt in types:
        rt.validate = _validate_role if rt.plural.endswith("roles") else _validate_binding
        if rt.plural.endswith("bindings"):
            rt.validate_update = _validate_binding_update
    return types


def _rule_causes(rules, path, namespaced):
    causes = []
    if rules is None:
        return causes
    if not isinstance(rules, list):
        return [(path, "Invalid value: must be a list of PolicyRules")]
    for i, r in enumerate(rules):
        p = "%s[%d]" % (path, i)
        if not isinstance(r, dict):
            causes.append((p, "Invalid value: must be an object"))
            continue
        typed = [k for k in ("verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs")
                 if r.get(k) is not None and (not isinstance(r[k], list) or not all(isinstance(x, str) for x in r[k]))]
        if typed:
            causes.extend(("%s.%s" % (p, k), "Invalid value: must be a list of strings") for k in typed)
            continue
        if not r.get("verbs"):
            causes.append(("%s.verbs" % p, "Required value: verbs must contain at least one value"))
        if r.get("nonResourceURLs"):
            if namespaced:
                causes.append(("%s.nonResourceURLs" % p, "Invalid value: %s: namespaced rules cannot apply "
                               "to non-resource URLs" % kd.json.dumps(r["nonResourceURLs"])))
            if r.get("apiGroups") or r.get("resources") or r.get("resourceNames"):
                causes.append(("%s.nonResourceURLs" % p, "Invalid value: %s: rules cannot apply to both "
                               "regular resources and non-resource URLs" % kd.json.dumps(r["nonResourceURLs"])))
            continue
        if not r.get("apiGroups"):
            causes.append(("%s.apiGroups" % p, "Required value: resource rules must supply at least one api group"))
        if not r.get("resources"):
            causes.append(("%s.resources" % p, "Required value: resource rules must supply at least one resource"))
    return causes


def _validate_role(rt, obj):
    causes = _rule_causes(obj.get("rules"), "rules", rt.namespaced)
    agg = obj.get("aggregationRule")
    if agg is not None:
        if rt.namespaced:
            causes.append(("aggregationRule", "Forbidden: may only be set on ClusterRoles"))
        elif not isinstance(agg, dict) or not isinstance(agg.get("clusterRoleSelectors", []), list):
            causes.append(("aggregationRule.clusterRoleSelectors", "Invalid value: must be a list of label selectors"))
    return causes


def _validate_binding(rt, obj):
    causes = []
    ref = obj.get("roleRef")
    kinds = ("Role", "ClusterRole") if rt.namespaced else ("ClusterRole",)
    if not isinstance(ref, dict):
        return [("roleRef", "Required value")]
    if ref.get("apiGroup") != GROUP:
        causes.append(("roleRef.apiGroup", 'Unsupported value: %s: supported values: "%s"' % (
            kd.json.dumps(ref.get("apiGroup", "")), GROUP)))
    if ref.get("kind") not in kinds:
        causes.append(("roleRef.kind", "Unsupported value: %s: supported values: %s" % (
            kd.json.dumps(ref.get("kind", "")), ", ".join('"%s"' % k for k in kinds))))
    if not ref.get("name"):
        causes.append(("roleRef.name", "Required value"))
    subjects = obj.get("subjects") or []
    if not isinstance(subjects, list):
        return causes + [("subjects", "Invalid value: must be a list")]
    for i, s in enumerate(subjects):
        p = "subjects[%d]" % i
        if not isinstance(s, dict):
            causes.append((p, "Invalid value: must be an object"))
            continue
        if not s.get("name"):
            causes.append(("%s.name" % p, "Required value"))
        kind = s.get("kind")
        if kind not in ("User", "Group", "ServiceAccount"):
            causes.append(("%s.kind" % p, 'Unsupported value: %s: supported values: "ServiceAccount", "User", '
                           '"Group"' % kd.json.dumps(kind or "")))
        elif kind == "ServiceAccount":
            if s.get("apiGroup"):
                causes.append(("%s.apiGroup" % p, 'Unsupported value: %s: supported values: ""' %
                               kd.json.dumps(s["apiGroup"])))
            if not rt.namespaced and not s.get("namespace"):
                causes.append(("%s.namespace" % p, "Required value"))
        elif s.get("apiGroup") != GROUP:
            causes.append(("%s.apiGroup" % p, 'Unsupported value: %s: supported values: "%s"' % (
                kd.json.dumps(s.get("apiGroup", "")), GROUP)))
    return causes


def _validate_binding_update(rt, old, new):
    if old.get("roleRef") != new.get("roleRef"):
        raise kd.invalid(rt, new["metadata"]["name"], [
            ("roleRef", "Invalid value: %s: cannot change roleRef" % kd.json.dumps(new.get("roleRef")))])


# ----------------------------------------------------------------------------
# Users.
# ----------------------------------------------------------------------------

def implied_groups(username):
    """The groups kube adds for a service-account user (system:serviceaccount:<ns>:<name>)."""
    if not username.startswith(SA_PREFIX):
        return []
    ns, _, name = username[len(SA_PREFIX):].partition(":")
    if not ns or not name:
        return []
    return ["system:serviceaccounts", "system:serviceaccounts:" + ns]


# ----------------------------------------------------------------------------
# Bootstrap policy: the roles and bindings kube-apiserver creates at start.
# ----------------------------------------------------------------------------

def _meta(name, namespace=None):
    m = {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
         "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}}
    if namespace:
        m["namespace"] = namespace
    return m


def _cluster_role(name, rules):
    return {"apiVersion": GROUP + "/v1", "kind": "ClusterRole", "metadata": _meta(name), "rules": rules}


def _cluster_binding(name, role, groups):
    return {"apiVersion": GROUP + "/v1", "kind": "ClusterRoleBinding", "metadata": _meta(name),
            "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": GROUP, "kind": "Group", "name": g} for g in groups]}


def bootstrap_objects():
    """(plural, object) pairs: cluster-admin and the discovery roles every user gets."""
    info = ["/healthz", "/livez", "/readyz", "/version", "/version/"]
    discovery = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
                 "/readyz", "/version", "/version/"]
    return [
        ("clusterroles", _cluster_role("cluster-admin", [
            {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
            {"nonResourceURLs": ["*"], "verbs": ["*"]}])),
        ("clusterroles", _cluster_role("system:discovery", [{"nonResourceURLs": discovery, "verbs": ["get"]}])),
        ("clusterroles", _cluster_role("system:public-info-viewer", [{"nonResourceURLs": info, "verbs": ["get"]}])),
        ("clusterroles", _cluster_role("system:basic-user", [
            {"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews",
                                                                 "selfsubjectrulesreviews"], "verbs": ["create"]}])),
        ("clusterrolebindings", _cluster_binding("cluster-admin", "cluster-admin", [MASTERS])),
        ("clusterrolebindings", _cluster_binding("system:discovery", "system:discovery",
                                                 ["system:authenticated"])),
        ("clusterrolebindings", _cluster_binding("system:public-info-viewer", "system:public-info-viewer",
                                                 ["system:authenticated", "system:unauthenticated"])),
        ("clusterrolebindings", _cluster_binding("system:basic-user", "system:basic-user",
                                                 ["system:authenticated"])),
    ]


# ----------------------------------------------------------------------------
# Rule matching (rbac/v1 helpers: VerbMatches, APIGroupMatches, ResourceMatches, ...).
# ----------------------------------------------------------------------------

def _has(items, want):
    return any(x == "*" or x == want for x in items or [])


def _resource_matches(rule, info):
    combined = info.resource + ("/" + info.subresource if info.subresource else "")
    for r in rule.get("resources") or []:
        if r == "*" or r == combined:
            return True
        if info.subresource and r == "*/" + info.subresource:
            return True
    return False


def _url_matches(rule, path):
    for u in rule.get("nonResourceURLs") or []:
        if u == "*" or u == path or (u.endswith("*") and path.startswith(u.rstrip("*"))):
            return True
    return False


def rule_allows(rule, info):
    if not _has(rule.get("verbs"), info.verb):
        return False
    if not info.is_resource:
        return _url_matches(rule, info.path)
    names = rule.get("resourceNames") or []
    return (_has(rule.get("apiGroups"), info.group) and _resource_matches(rule, info)
            and (not names or info.name in names))


def _subject_applies(subject, user, binding_ns):
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return name == user["username"]
    if kind == "Group":
        return name in user["groups"]
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or binding_ns
        return bool(ns) and user["username"] == "%s%s:%s" % (SA_PREFIX, ns, name)
    return False


# ----------------------------------------------------------------------------
# The authorizer.
# ----------------------------------------------------------------------------

class Authorizer:
    """Authorizes requests against the RBAC objects in the double's store and logs them."""

    def __init__(self, double):
        self.d = double
        self.log = []
        self.seq = 0
        self.log_lock = threading.Lock()

    def install(self):
        """Register the RBAC kinds and create the bootstrap policy (before start())."""
        reg = self.d.registry
        for rt in resource_types():
            reg.add_type(rt)
        for plural, obj in bootstrap_objects():
            reg._insert(reg.type_for(GROUP, "v1", plural), obj)

    # -- reading the policy (registry lock held) --
    def _objects(self, plural):
        return self.d.registry.stores["%s/%s" % (GROUP, plural)].objects

    def _cluster_role_rules(self, name, seen=None):
        role = self._objects("clusterroles").get(("", name))
        if role is None:
            return None
        rules = list(role.get("rules") or [])
        agg = role.get("aggregationRule")
        if isinstance(agg, dict):
            # The aggregation controller's job, done at read time: the rules of every
            # ClusterRole some selector matches (kube stores them into .rules asynchronously).
            seen = (seen or set()) | {name}
            preds = [_selector_pred(s) for s in agg.get("clusterRoleSelectors") or []]
            for (_ns, other), obj in sorted(self._objects("clusterroles").items()):
                if other in seen or not any(p(obj) for p in preds):
                    continue
                rules.extend(obj.get("rules") or [])
        return rules

    def _role_ref_rules(self, ref, binding_ns):
        """(rules, error message) for a binding's roleRef."""
        kind, name = ref.get("kind"), ref.get("name")
        if kind == "ClusterRole":
            rules = self._cluster_role_rules(name)
            return (rules, None) if rules is not None else \
                (None, 'clusterrole.%s "%s" not found' % (GROUP, name))
        if kind == "Role" and binding_ns:
            role = self._objects("roles").get((binding_ns, name))
            return ((role.get("rules") or []), None) if role is not None else \
                (None, 'role.%s "%s" not found' % (GROUP, name))
        return None, "unsupported role reference kind: %r" % kind

    def authorize(self, user, info):
        """(allowed, reason) as kube's authorizer union of privileged groups and RBAC."""
        if MASTERS in user.get("groups", []):
            return True, ""
        errors = []
        with self.d.registry.lock:
            bindings = [(b, "") for _k, b in sorted(self._objects("clusterrolebindings").items())]
            if info.namespace:
                bindings += [(b, info.namespace) for (ns, _n), b in sorted(self._objects("rolebindings").items())
                             if ns == info.namespace]
            for binding, ns in bindings:
                if not any(_subject_applies(s, user, ns) for s in binding.get("subjects") or []
                           if isinstance(s, dict)):
                    continue
                rules, err = self._role_ref_rules(binding.get("roleRef") or {}, ns)
                if err:
                    if err not in errors:
                        errors.append(err)
                    continue
                if any(rule_allows(r, info) for r in rules if isinstance(r, dict)):
                    return True, ""
        if not errors:
            return False, ""
        return False, "RBAC: " + (errors[0] if len(errors) == 1 else "[%s]" % ", ".join(errors))

    def check(self, user, info, write_entry=None):
        """Authorize one authenticated request; logs it; raises the 403 kube-apiserver answers.

        write_entry: the request's /_double/writes entry (None for reads); a denied write is
        logged there with what it asked for, since the router never sees it."""
        allowed, reason = self.authorize(user, info)
        entry = info.describe()
        entry.update({"time": time.time(), "user": user.get("username", ""),
                      "groups": list(user.get("groups", [])), "allowed": allowed})
        if reason:
            entry["reason"] = reason
        with self.log_lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.log.append(entry)
            if len(self.log) > MAX_ACCESS_LOG:
                del self.log[:MAX_ACCESS_LOG // 10]
        if not allowed:
            if write_entry is not None:
                write_entry.update({"verb": info.verb, "namespace": info.namespace, "name": info.name,
                                    "subresource": info.subresource,
                                    "resource": "%s.%s" % (info.resource, info.group) if info.group
                                    else info.resource})
            raise forbidden(user, info, reason)

    # -- /_double/access --
    def control(self, handler, path, params):
        """GET /_double/access[?since=SEQ&user=NAME&distinct=1], DELETE clears it."""
        if handler.command == "DELETE":
            with self.log_lock:
                self.log.clear()
            return handler.send_json(200, {"items": []})
        if handler.command != "GET":
            raise kd.ApiError(405, "MethodNotAllowed", "GET or DELETE only")
        try:
            since = int(params.get("since") or 0)
        except ValueError:
            raise kd.bad_request("since must be an integer") from None
        user = params.get("user")
        with self.log_lock:
            items = [e for e in self.log if e["seq"] > since and (user is None or e["user"] == user)]
        if params.get("distinct") in ("1", "true"):
            return handler.send_json(200, {"items": distinct(items)})
        return handler.send_json(200, {"items": items})


def distinct(entries):
    """Unique (user, verb, group, resource, subresource, namespace, allowed) with counts, sorted."""
    keys = ("user", "verb", "group", "resource", "subresource", "namespace", "path", "allowed")
    counts = {}
    for e in entries:
        k = tuple(e.get(x, "") if x != "path" or e.get("nonResource") else "" for x in keys)
        counts[k] = counts.get(k, 0) + 1
    out = []
    for k in sorted(counts, key=lambda t: tuple(str(x) for x in t)):
        item = dict(zip(keys, k))
        if not item["path"]:
            del item["path"]
        item["count"] = counts[k]
        out.append(item)
    return out


def _selector_pred(sel):
    """A predicate over objects for one aggregation selector (a malformed one selects nothing)."""
    def pred(obj):
        try:
            return labelselector.matches(sel or {}, (obj.get("metadata") or {}).get("labels"))
        except labelselector.SelectorError:
            return False
    return pred


def forbidden(user, info, reason):
    """The 403 Status kube-apiserver writes (responsewriters.Forbidden + apierrors.NewForbidden)."""
    username = user.get("username", "")
    if not info.is_resource:
        msg = 'User "%s" cannot %s path "%s"' % (username, info.verb, info.path)
    else:
        res = info.resource + ("/" + info.subresource if info.subresource else "")
        if info.namespace:
            msg = 'User "%s" cannot %s resource "%s" in API group "%s" in the namespace "%s"' % (
                username, info.verb, res, info.group, info.namespace)
        else:
            msg = 'User "%s" cannot %s resource "%s" in API group "%s" at the cluster scope' % (
                username, info.verb, res, info.group)
    if reason:
        msg = "%s: %s" % (msg, reason)
    if not info.is_resource or not info.resource:
        return kd.ApiError(403, "Forbidden", "forbidden: " + msg)
    qualified = info.resource if not info.group else "%s.%s" % (info.resource, info.group)
    if info.name:
        text = '%s "%s" is forbidden: %s' % (qualified, info.name, msg)
    else:
        text = "%s is forbidden: %s" % (qualified, msg)
    return kd.ApiError(403, "Forbidden", text, name=info.name or None, group=info.group or None,
                       kind=info.resource)

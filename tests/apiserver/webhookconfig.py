"""Admission webhooks for the API-server double, as kube-apiserver's MutatingAdmissionWebhook and
ValidatingAdmissionWebhook plugins call them (k8s.io/apiserver/pkg/admission/plugin/webhook).

Two sources, called in this order: the double's --mutating-webhook/--validating-webhook flags
(kubedouble.Webhook), then MutatingWebhookConfiguration / ValidatingWebhookConfiguration objects
(admissionregistration.k8s.io/v1) in the store, sorted by name, each's webhooks in order.  A
configuration webhook honours rules (incl. subresources and scope), namespaceSelector,
objectSelector, matchPolicy (Equivalent: another version of the same resource matches and the
webhook gets the object converted to the version it registered), failurePolicy,
timeoutSeconds, sideEffects (v1 allows only None and NoneOnDryRun, so dry runs call every
webhook, with dryRun: true), admissionReviewVersions, reinvocationPolicy and
clientConfig url or service + caBundle."""

import base64
import copy
import json
import uuid

import kubedouble as kd  # the sibling server module (one instance: see the top of kubedouble.py)
import labelselector
import webhookclient

GROUP = "admissionregistration.k8s.io"
REVIEW_VERSIONS = ("v1", "v1beta1")
OPERATIONS = ("CREATE", "UPDATE", "DELETE", "CONNECT", "*")
OPTIONS_KIND = {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions", "DELETE": "DeleteOptions"}


# ----------------------------------------------------------------------------
# Kinds, defaulting and validation.
# ----------------------------------------------------------------------------

def resource_types():
    types = [kd.ResourceType(GROUP, "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", False),
             kd.ResourceType(GROUP, "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration",
                             False)]
    for rt in types:
        rt.validate = validate_configuration
    return types


def _default_webhook(w, mutating):
    """The v1 defaults kube-apiserver stores (SetDefaults_*Webhook)."""
    w.setdefault("failurePolicy", "Fail")
    w.setdefault("matchPolicy", "Equivalent")
    w.setdefault("namespaceSelector", {})
    w.setdefault("objectSelector", {})
    w.setdefault("timeoutSeconds", 10)
    if mutating:
        w.setdefault("reinvocationPolicy", "Never")
    for r in w.get("rules") or []:
        if isinstance(r, dict):
            r.setdefault("scope", "*")
    svc = (w.get("clientConfig") or {}).get("service")
    if isinstance(svc, dict):
        svc.setdefault("port", 443)


def illegal_base64(value):
    """Go's encoding/json []byte error position for a bad base64 string, or None if it decodes."""
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
    for i, ch in enumerate(value):
        if ch not in alphabet:
            return i
    try:
        base64.b64decode(value, validate=True)
    except ValueError:
        return len(value)
    return None


def check_ca_bundle(kind, client_config):
    """A caBundle that is not base64 fails decoding (400), as kube's JSON decoder refuses it."""
    bundle = (client_config or {}).get("caBundle") if isinstance(client_config, dict) else None
    if isinstance(bundle, str) and illegal_base64(bundle) is not None:
        raise kd.bad_request('%s in version "v1" cannot be handled as a %s: illegal base64 data at input byte %d'
                             % (kind, kind, illegal_base64(bundle)))


def validate_configuration(rt, obj):
    """Default (as kube does on decode) and validate a webhook configuration; (field, message) causes."""
    mutating = rt.kind.startswith("Mutating")
    hooks = obj.get("webhooks")
    if hooks is None:
        return []
    if not isinstance(hooks, list):
        return [("webhooks", "Invalid value: must be a list")]
    causes, names = [], set()
    for i, w in enumerate(hooks):
        p = "webhooks[%d]" % i
        if not isinstance(w, dict):
            causes.append((p, "Invalid value: must be an object"))
            continue
        _default_webhook(w, mutating)
        check_ca_bundle(rt.kind, w.get("clientConfig"))
        causes.extend(_webhook_causes(w, p, mutating, names))
    return causes


def _webhook_causes(w, p, mutating, names):
    causes = []
    name = w.get("name")
    if not isinstance(name, str) or not name:
        causes.append((p + ".name", "Required value"))
    elif name.count(".") < 2:
        causes.append((p + ".name", 'Invalid value: "%s": should be a domain with at least three segments '
                       "separated by dots" % name))
    elif name in names:
        causes.append((p + ".name", 'Duplicate value: "%s"' % name))
    names.add(name)
    for r_i, r in enumerate(w.get("rules") or []):
        rp = "%s.rules[%d]" % (p, r_i)
        for key in ("operations", "apiGroups", "apiVersions", "resources"):
            if not isinstance(r, dict) or not r.get(key):
                causes.append(("%s.%s" % (rp, key), "Required value"))
        if isinstance(r, dict):
            for op in r.get("operations") or []:
                if op not in OPERATIONS:
                    causes.append((rp + ".operations", 'Unsupported value: "%s": supported values: "*", "CONNECT", '
                                   '"CREATE", "DELETE", "UPDATE"' % op))
            if r.get("scope") not in ("*", "Cluster", "Namespaced"):
                causes.append((rp + ".scope", 'Unsupported value: %s: supported values: "*", "Cluster", '
                               '"Namespaced"' % json.dumps(r.get("scope"))))
    for key, allowed in (("failurePolicy", ("Fail", "Ignore")), ("matchPolicy", ("Exact", "Equivalent")),
                         ("sideEffects", ("None", "NoneOnDryRun"))) + \
            ((("reinvocationPolicy", ("Never", "IfNeeded")),) if mutating else ()):
        if w.get(key) not in allowed:
            causes.append(("%s.%s" % (p, key), "Unsupported value: %s: supported values: %s" % (
                json.dumps(w.get(key)), ", ".join('"%s"' % a for a in allowed))))
    t = w.get("timeoutSeconds")
    if not isinstance(t, int) or isinstance(t, bool) or not 1 <= t <= 30:
        causes.append((p + ".timeoutSeconds", "Invalid value: %s: the timeout value must be between 1 and 30 "
                       "seconds" % json.dumps(t)))
    versions = w.get("admissionReviewVersions")
    if not isinstance(versions, list) or not any(v in REVIEW_VERSIONS for v in versions):
        causes.append((p + ".admissionReviewVersions", "Invalid value: %s: must include at least one of v1, v1beta1"
                       % json.dumps(versions)))
    cc = w.get("clientConfig")
    if not isinstance(cc, dict) or bool(cc.get("url")) == bool(cc.get("service")):
        causes.append((p + ".clientConfig", "Required value: exactly one of url or service is required"))
    for sel in ("namespaceSelector", "objectSelector"):
        try:
            labelselector.check(w.get(sel))
        except labelselector.SelectorError as e:
            causes.append(("%s.%s" % (p, sel), "Invalid value: %s" % e))
    return causes


# ----------------------------------------------------------------------------
# The webhooks.
# ----------------------------------------------------------------------------

class Invocation:
    """A webhook matched to a request: the resource and kind it registered for."""

    def __init__(self, hook, group, version, resource, kind):
        self.hook, self.group, self.version, self.resource, self.kind = hook, group, version, resource, kind

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version


class ConfigHook:
    """One webhook of a Mutating/ValidatingWebhookConfiguration (defaults already applied)."""

    def __init__(self, spec, mutating, configuration):
        self.spec, self.mutating, self.configuration = spec, mutating, configuration
        self.name = spec.get("name", "")
        self.failure_policy = spec.get("failurePolicy", "Fail")
        self.timeout = int(spec.get("timeoutSeconds") or 10)
        self.reinvoke = mutating and spec.get("reinvocationPolicy") == "IfNeeded"
        self.review_version = next((v for v in spec.get("admissionReviewVersions") or [] if v in REVIEW_VERSIONS),
                                   None)

    def target(self, double):
        return webhookclient.resolve(double, self.spec.get("clientConfig"), self.timeout)

    def match(self, adm, attrs):
        """An Invocation if the webhook applies (kube's ShouldCallHook), None if not; ApiError on errors."""
        try:
            ns_ok = adm.namespace_matches(self.spec.get("namespaceSelector"), attrs)
            ns_err = None
        except kd.ApiError as e:
            ns_ok, ns_err = False, e
        if not ns_ok and ns_err is None:
            return None
        try:
            obj_ok = _object_matches(self.spec.get("objectSelector"), attrs)
        except labelselector.SelectorError as e:
            raise kd.ApiError(500, "InternalError", "Internal error occurred: %s" % e) from None
        if not obj_ok:
            return None
        rules = [r for r in self.spec.get("rules") or [] if isinstance(r, dict)]
        inv = None
        rt = attrs.rt
        if any(_rule_matches(r, attrs, rt.group, rt.version, rt.plural) for r in rules):
            inv = Invocation(self, rt.group, rt.version, rt.plural, rt.kind)
        elif self.spec.get("matchPolicy", "Equivalent") == "Equivalent":
            inv = next((Invocation(self, e.group, e.version, e.plural, e.kind) for r in rules
                        for e in adm.equivalents(rt) if _rule_matches(r, attrs, e.group, e.version, e.plural)), None)
        if inv is not None and ns_err is not None:
            raise ns_err
        return inv


class FlagHook:
    """A webhook from --mutating-webhook/--validating-webhook: request version, no selectors."""

    def __init__(self, flag):
        self.flag = flag
        self.name, self.mutating = flag.name, flag.mutating
        self.failure_policy, self.timeout = flag.failure_policy, int(flag.timeout)
        self.reinvoke, self.review_version = False, "v1"

    def target(self, _double):
        ca_pem = None
        if self.flag.ca:
            try:
                with open(self.flag.ca, encoding="ascii") as f:
                    ca_pem = f.read()
            except (OSError, UnicodeDecodeError) as e:
                raise webhookclient.CallError("could not get REST client: %s" % e) from None
        path = self.flag.path + ("&" if "?" in self.flag.path else "?") + "timeout=%ds" % self.timeout
        url = "https://%s:%d%s" % (self.flag.host, self.flag.port, path)
        return webhookclient.Target(url, self.flag.host, self.flag.port, path, self.flag.host, ca_pem)

    def match(self, _adm, attrs):
        if not self.flag.matches(attrs.rt, attrs.sub, attrs.op):
            return None
        return Invocation(self, attrs.rt.group, attrs.rt.version, attrs.rt.plural, attrs.rt.kind)


def _rule_matches(rule, attrs, group, version, plural):
    """kube's rules.Matcher for one RuleWithOperations against group/version/plural."""
    scope = rule.get("scope", "*")
    is_ns_obj = (group, plural) == ("", "namespaces")
    if scope == "Namespaced" and (is_ns_obj or not attrs.namespace):
        return False
    if scope == "Cluster" and not (is_ns_obj or not attrs.namespace):
        return False
    if scope not in ("*", "Namespaced", "Cluster"):
        return False

    def has(items, want):
        return any(x == "*" or x == want for x in items or [])
    if not has(rule.get("operations"), attrs.op) or not has(rule.get("apiGroups"), group) or \
            not has(rule.get("apiVersions"), version):
        return False
    for res in rule.get("resources") or []:
        r, _, s = res.partition("/")
        if (r == "*" or r == plural) and (s == "*" or s == (attrs.sub or "")):
            return True
    return False


def _object_matches(selector, attrs):
    if labelselector.is_empty(selector):
        return True
    return any(o is not None and labelselector.matches(selector, (o.get("metadata") or {}).get("labels"))
               for o in (attrs.obj, attrs.old))


class Attributes:
    """admission.Attributes: what is being admitted."""

    def __init__(self, rt, sub, op, obj, old, user, dry, ns, name):
        self.rt, self.sub, self.op, self.obj, self.old = rt, sub, op, obj, old
        self.user, self.dry, self.name = user, dry, name
        # kube's attributes carry the namespace's own name for requests on a Namespace
        self.namespace = name if (rt.group, rt.plural) == ("", "namespaces") else (ns or "")


# ----------------------------------------------------------------------------
# Dispatch.
# ----------------------------------------------------------------------------

class Admission:
    """Runs the matching mutating, then validating webhooks for one write."""

    def __init__(self, double):
        self.d = double

    def install(self):
        for rt in resource_types():
            self.d.registry.add_type(rt)

    # -- sources --
    def hooks(self, mutating):
        flags = [FlagHook(f) for f in (self.d.mutating if mutating else self.d.validating)]
        plural = "mutatingwebhookconfigurations" if mutating else "validatingwebhookconfigurations"
        reg = self.d.registry
        with reg.lock:
            configs = [copy.deepcopy(o) for _k, o in sorted(reg.stores["%s/%s" % (GROUP, plural)].objects.items())]
        out = []
        for cfg in configs:
            for w in cfg.get("webhooks") or []:
                if isinstance(w, dict):
                    out.append(ConfigHook(w, mutating, cfg["metadata"]["name"]))
        return flags + out

    def equivalents(self, rt):
        """The other served versions of rt's resource (kube's EquivalentResourceMapper)."""
        reg = self.d.registry
        with reg.lock:
            return [o for (g, _v, p), o in sorted(reg.types.items()) if g == rt.group and p == rt.plural and o is not rt
                    and o.store_key == rt.store_key]

    def namespace_matches(self, selector, attrs):
        """kube's namespace matcher: cluster-scoped objects always match; ApiError if the namespace is gone."""
        if not attrs.namespace and attrs.rt.plural != "namespaces":
            return True
        try:
            labelselector.check(selector)
        except labelselector.SelectorError as e:
            raise kd.ApiError(500, "InternalError", "Internal error occurred: %s" % e) from None
        if labelselector.is_empty(selector):
            return True
        if (attrs.rt.group, attrs.rt.plural) == ("", "namespaces") and not attrs.sub and \
                attrs.op in ("CREATE", "UPDATE"):
            labels = (attrs.obj.get("metadata") or {}).get("labels")
        else:
            reg = self.d.registry
            with reg.lock:
                ns_obj = reg.stores["/namespaces"].objects.get(("", attrs.namespace))
                labels = copy.deepcopy((ns_obj or {}).get("metadata", {}).get("labels"))
            if ns_obj is None:
                raise kd.ApiError(404, "NotFound", 'namespaces "%s" not found' % attrs.namespace,
                                  name=attrs.namespace, group="", kind="namespaces")
        return labelselector.matches(selector, labels)

    # -- the run --
    def run(self, rt, sub, op, obj, old, user, dry, ns, name):
        """Mutating webhooks (with one reinvocation round), then validating ones; the final object."""
        if rt.group == GROUP and rt.plural in ("mutatingwebhookconfigurations", "validatingwebhookconfigurations"):
            return obj  # kube never calls webhooks on webhook configurations
        attrs = Attributes(rt, sub, op, obj, old, user, dry, ns, name)
        mutating = self.hooks(True)
        reinvoke = self._mutate(attrs, mutating, only=None)
        if reinvoke:
            self._mutate(attrs, mutating, only=reinvoke)
        for hook in self.hooks(False):
            inv = hook.match(self, attrs)
            if inv is not None:
                self._call(attrs, inv, self._versioned(attrs, inv))
        return attrs.obj

    def _mutate(self, attrs, hooks, only):
        """One round of mutating webhooks; the hook indexes to reinvoke (IfNeeded ones called
        before a later webhook changed the object)."""
        invoked, to_reinvoke = [], set()
        for i, hook in enumerate(hooks):
            if only is not None and i not in only:
                continue
            inv = hook.match(self, attrs)
            if inv is None:
                continue
            changed = self._call(attrs, inv, self._versioned(attrs, inv))
            if changed:
                to_reinvoke.update(invoked)
            if hook.reinvoke:
                invoked.append(i)
        return to_reinvoke if only is None else set()

    def _versioned(self, attrs, inv):
        """(object, oldObject) in the version the webhook registered for."""
        conv = self.d.conversion

        def to(o):
            if o is None or o.get("apiVersion") == inv.api_version:
                return o
            return conv.convert(inv.group, inv.resource, [o], inv.api_version)[0]
        try:
            return to(attrs.obj), to(attrs.old)
        except kd.ApiError as e:
            raise kd.ApiError(500, "InternalError", "Internal error occurred: %s" % e.message) from None

    def _call(self, attrs, inv, versioned):
        """Call one webhook; applies its patch to attrs.obj; True if it changed the object."""
        hook = inv.hook
        obj, old = versioned
        uid = str(uuid.uuid4())
        rt = attrs.rt
        req = {"uid": uid,
               "kind": {"group": inv.group, "version": inv.version, "kind": inv.kind},
               "resource": {"group": inv.group, "version": inv.version, "resource": inv.resource},
               "requestKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
               "requestResource": {"group": rt.group, "version": rt.version, "resource": rt.plural},
               "name": attrs.name or "", "namespace": attrs.namespace, "operation": attrs.op,
               "userInfo": {"username": attrs.user.get("username", ""), "groups": attrs.user.get("groups", [])},
               "object": obj, "oldObject": old, "dryRun": bool(attrs.dry),
               "options": {"apiVersion": "meta.k8s.io/v1", "kind": OPTIONS_KIND.get(attrs.op, "CreateOptions")}}
        if attrs.sub:
            req["subResource"] = attrs.sub
            req["requestSubResource"] = attrs.sub
        record = {"webhook": hook.name, "request": req}
        try:
            target = hook.target(self.d)
            answer = webhookclient.post(target, {"apiVersion": "admission.k8s.io/" + hook.review_version,
                                                 "kind": "AdmissionReview", "request": req}, hook.timeout)
            resp = _verify_response(answer, hook, uid)
        except webhookclient.CallError as e:
            record["error"] = str(e)
            self._keep(record)
            if hook.failure_policy == "Ignore":
                return False
            raise _calling_error(hook.name, e) from None
        record["response"] = resp
        self._keep(record)
        if not resp.get("allowed"):
            raise _denied(hook.name, resp.get("status"))
        if not resp.get("patch"):
            return False
        return self._apply_patch(attrs, inv, obj, resp["patch"])

    def _apply_patch(self, attrs, inv, obj, patch_b64):
        hook = inv.hook
        try:
            ops = json.loads(base64.b64decode(patch_b64, validate=True))
            if not isinstance(ops, list):
                raise ValueError("a JSON patch must be a list")
        except ValueError as e:
            if hook.failure_policy == "Ignore":
                return False
            raise _calling_error(hook.name, "received undecodable patch in webhook response: %s" % e) from None
        if not ops:
            return False
        if obj is None:
            raise kd.ApiError(500, "InternalError", 'Internal error occurred: admission webhook "%s" attempted to '
                              "modify the object, which is not supported for this operation" % hook.name)
        try:
            patched = kd.json_patch(obj, ops)
        except kd.PatchFailed as e:
            raise kd.ApiError(500, "InternalError", "Internal error occurred: %s" % e) from None
        if patched == obj:
            return False
        # back to the request's version, as kube converts the versioned object to the internal one
        if patched.get("apiVersion") != attrs.rt.api_version:
            try:
                patched = self.d.conversion.convert(attrs.rt.group, attrs.rt.plural, [patched],
                                                    attrs.rt.api_version)[0]
            except kd.ApiError as e:
                raise kd.ApiError(500, "InternalError", "Internal error occurred: %s" % e.message) from None
        attrs.obj = patched
        return True

    def _keep(self, record):
        with self.d.registry.lock:
            self.d.webhook_calls.append(record)
            if len(self.d.webhook_calls) > 10000:
                del self.d.webhook_calls[:1000]


def _verify_response(answer, hook, uid):
    """The response of an AdmissionReview answer, checked as VerifyAdmissionResponse does."""
    why = _response_problem(answer, hook, uid)
    if why:
        raise webhookclient.CallError("received invalid webhook response: %s" % why)
    return answer["response"]


def _response_problem(answer, hook, uid):
    if hook.review_version == "v1" and (answer.get("apiVersion"), answer.get("kind")) != \
            ("admission.k8s.io/v1", "AdmissionReview"):
        return "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got %s, Kind=%s" % (
            answer.get("apiVersion", ""), answer.get("kind", ""))
    resp = answer.get("response")
    if not isinstance(resp, dict):
        return "response was absent"
    if hook.review_version == "v1" and resp.get("uid") != uid:
        return 'expected response.uid="%s", got "%s"' % (uid, resp.get("uid", ""))
    patch, ptype = resp.get("patch"), resp.get("patchType")
    if hook.review_version == "v1beta1" and patch and not ptype:
        ptype = "JSONPatch"
    if hook.mutating and patch and not ptype:
        return "webhook returned response.patch but not response.patchType"
    if hook.mutating and not patch and ptype:
        return "webhook returned response.patchType but not response.patch"
    if not hook.mutating and patch:
        return "validating webhook may not return response.patch"
    if not hook.mutating and ptype:
        return "validating webhook may not return response.patchType"
    if ptype and ptype != "JSONPatch":
        return 'webhook returned invalid response.patchType of "%s"' % ptype
    return None


def _calling_error(name, reason):
    """ErrCallingWebhook under failurePolicy Fail: an InternalError naming the webhook."""
    reason = str(reason)
    if not reason.startswith(("could not get REST client", "received ")):
        reason = "failed to call webhook: " + reason
    text = 'failed calling webhook "%s": %s' % (name, reason)
    return kd.ApiError(500, "InternalError", "Internal error occurred: " + text, causes=[{"message": text}])


def _denied(name, status):
    """webhookerrors.ToStatusErr: the webhook's Status, code at least 400, message prefixed."""
    st = dict(status) if isinstance(status, dict) else {}
    code = st.get("code") if isinstance(st.get("code"), int) else 0
    by = 'admission webhook "%s" denied the request' % name
    if st.get("message"):
        msg = "%s: %s" % (by, st["message"])
    elif st.get("reason"):
        msg = "%s: %s" % (by, st["reason"])
    else:
        msg = by + " without explanation"
    details = st.get("details") if isinstance(st.get("details"), dict) else {}
    return kd.ApiError(max(code, 400), st.get("reason", "") or "", msg, name=details.get("name"),
                       group=details.get("group"), kind=details.get("kind"), causes=details.get("causes"))

"""CRD conversion for the API-server double, as kube-apiserver does it
(staging/src/k8s.io/apiextensions-apiserver/pkg/apiserver/conversion).

A CRD with `spec.conversion.strategy: Webhook` has its objects stored in its storage version;
every read, list, watch event and write through another served version goes through a
ConversionReview POSTed to `spec.conversion.webhook.clientConfig`.  With strategy None (or
none given) an object read through another version only has its apiVersion changed.

Where it happens: Ops.out() leaves such objects in their stored version, the response edge
(for_response, for_watch) converts them to the version the client asked for, the write path
converts the request's object to the storage version (to_storage) and the object being
updated back to the request's version (to_version)."""

import copy
import threading
import uuid

import kubedouble as kd  # the sibling server module (one instance: see the top of kubedouble.py)
import webhookclient

CRD_GROUP = "apiextensions.k8s.io"
REVIEW_VERSIONS = ("v1", "v1beta1")
TIMEOUT_S = 30  # kube's webhook client default for conversion calls
MAX_CALLS_KEPT = 10000


def _failed(message):
    """The error a client sees: kube passes the converter's error through as a 500 without reason."""
    return kd.ApiError(500, "", message)


def validate_crd(_rt, crd):
    """The spec.conversion rules of kube's CRD validation, as (field, message) causes."""
    conv = (crd.get("spec") or {}).get("conversion")
    if conv is None:
        return []
    if not isinstance(conv, dict):
        return [("spec.conversion", "Invalid value: must be an object")]
    strategy = conv.get("strategy", "None")
    webhook = conv.get("webhook")
    if strategy not in ("None", "Webhook"):
        return [("spec.conversion.strategy", 'Unsupported value: %s: supported values: "None", "Webhook"'
                 % kd.json.dumps(strategy))]
    if strategy == "None":
        return [("spec.conversion.webhook", "Forbidden: should not be set when strategy is not set to Webhook")] \
            if webhook is not None else []
    causes = []
    if not isinstance(webhook, dict):
        return [("spec.conversion.webhook", "Required value: required when strategy is set to Webhook")]
    versions = webhook.get("conversionReviewVersions")
    if not isinstance(versions, list) or not any(v in REVIEW_VERSIONS for v in versions):
        causes.append(("spec.conversion.webhook.conversionReviewVersions",
                       "Invalid value: %s: must include at least one of v1, v1beta1" % kd.json.dumps(versions)))
    cc = webhook.get("clientConfig")
    if not isinstance(cc, dict) or bool(cc.get("url")) == bool(cc.get("service")):
        causes.append(("spec.conversion.webhook.clientConfig", "Required value: exactly one of url or service "
                       "is required"))
    return causes


class Converter:
    """Converts custom resources between the served versions of their CRD."""

    def __init__(self, double):
        self.d = double
        self.calls = []  # every ConversionReview sent: crd, desiredAPIVersion, count, error
        self.calls_lock = threading.Lock()

    # -- which CRDs convert through a webhook --
    def webhook_crd(self, group, plural):
        """The stored CRD of group/plural when its strategy is Webhook, else None.

        Read only and not copied (this runs for every object a list returns): the store
        replaces a CRD on update rather than changing it in place."""
        reg = self.d.registry
        with reg.lock:
            store = reg.stores.get("%s/customresourcedefinitions" % CRD_GROUP)
            crd = store.objects.get(("", "%s.%s" % (plural, group))) if store else None
        if crd is None or ((crd.get("spec") or {}).get("conversion") or {}).get("strategy") != "Webhook":
            return None
        return crd

    def keeps_stored_version(self, rt):
        """True when objects of rt leave the store in their stored version (converted at the edge)."""
        return rt.is_crd and self.webhook_crd(rt.group, rt.plural) is not None

    # -- conversion --
    def convert(self, group, plural, objects, api_version, as_list=False):
        """objects converted to api_version (those already in it untouched); one ConversionReview.

        Raises ApiError 500 with kube's message when the webhook fails or answers wrongly."""
        todo = [i for i, o in enumerate(objects) if o.get("apiVersion") != api_version]
        if not todo:
            return objects
        out = list(objects)
        crd = self.webhook_crd(group, plural)
        if crd is None:
            for i in todo:
                out[i] = dict(out[i], apiVersion=api_version)
            return out
        first = objects[todo[0]]
        gvk = "%s, Kind=%s" % (first.get("apiVersion"), first.get("kind", "") + ("List" if as_list else ""))
        sent = [objects[i] for i in todo]
        converted = self._review(crd, sent, api_version, gvk)
        for n, i in enumerate(todo):
            out[i] = self._checked(objects[i], converted[n], api_version, gvk, n if as_list else None)
        return out

    def _review(self, crd, objects, api_version, gvk):
        webhook = (crd["spec"].get("conversion") or {}).get("webhook") or {}
        review_version = next((v for v in webhook.get("conversionReviewVersions") or [] if v in REVIEW_VERSIONS),
                              None)
        record = {"crd": crd["metadata"]["name"], "desiredAPIVersion": api_version, "count": len(objects),
                  "reviewVersion": review_version}
        try:
            if review_version is None:
                raise webhookclient.CallError("no supported conversion review versions")
            uid = str(uuid.uuid4())
            review = {"apiVersion": "%s/%s" % (CRD_GROUP, review_version), "kind": "ConversionReview",
                      "request": {"uid": uid, "desiredAPIVersion": api_version, "objects": objects}}
            target = webhookclient.resolve(self.d, webhook.get("clientConfig"), TIMEOUT_S)
            answer = webhookclient.post(target, review, TIMEOUT_S)
            converted = _response_objects(answer, review_version, uid)
        except webhookclient.CallError as e:
            record["error"] = str(e)
            self._keep(record)
            raise _failed("conversion webhook for %s failed: %s" % (gvk, e)) from None
        self._keep(record)
        if len(converted) != len(objects):
            raise _failed("conversion webhook for %s returned %d objects, expected %d" % (
                gvk, len(converted), len(objects)))
        return converted

    def _keep(self, record):
        with self.calls_lock:
            self.calls.append(record)
            if len(self.calls) > MAX_CALLS_KEPT:
                del self.calls[:MAX_CALLS_KEPT // 10]

    def _checked(self, original, converted, api_version, gvk, index):
        """The converted object after kube's checks (metadata restored but labels/annotations)."""
        where = "returned invalid converted object at index %d" % index if index is not None \
            else "returned invalid object at index 0"
        if not isinstance(converted, dict):
            raise _failed("conversion webhook for %s %s: not a JSON object" % (gvk, where))
        if converted.get("apiVersion") != api_version:
            raise _failed("conversion webhook for %s %s: invalid groupVersion (expected %s, received %s)" % (
                gvk, where, api_version, converted.get("apiVersion")))
        if converted.get("kind") != original.get("kind"):
            raise _failed("conversion webhook for %s %s: invalid kind (expected %s, received %s)" % (
                gvk, where, original.get("kind"), converted.get("kind")))
        om, cm = original.get("metadata") or {}, converted.get("metadata")
        for field, label in (("name", "name"), ("namespace", "namespace"), ("uid", "UID")):
            if om.get(field, "") != (cm or {}).get(field, ""):
                what = "invalid converted object at index %d" % index if index is not None else "invalid object"
                raise _failed("conversion webhook for %s returned %s: must have the same %s: %s != %s" % (
                    gvk, what, label, om.get(field, ""), (cm or {}).get(field, "")))
        bad_meta = "returned invalid metadata in object at index %d" % index if index is not None \
            else "returned invalid metadata"
        if not isinstance(cm, dict):
            raise _failed("conversion webhook for %s %s: missing metadata in converted object" % (gvk, bad_meta))
        meta = copy.deepcopy(om)
        for field in ("labels", "annotations"):
            value = cm.get(field)
            if value is None:
                meta.pop(field, None)
                continue
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise _failed("conversion webhook for %s %s: metadata.%s must be a map of strings" % (
                    gvk, bad_meta, field))
            meta[field] = value
        out = dict(converted)
        out["metadata"] = meta
        return out

    # -- where the double calls it --
    def to_version(self, rt, obj):
        """obj as seen through rt's version (a request's version)."""
        if obj is None or not rt.is_crd or obj.get("apiVersion") == rt.api_version:
            return obj
        return self.convert(rt.group, rt.plural, [obj], rt.api_version)[0]

    def to_storage(self, rt, obj):
        """obj converted to its CRD's storage version when the CRD converts by webhook."""
        if not rt.is_crd:
            return obj
        crd = self.webhook_crd(rt.group, rt.plural)
        if crd is None:
            return obj
        storage = next((v["name"] for v in crd["spec"].get("versions") or [] if v.get("storage")), None)
        if storage is None:
            return obj
        return self.convert(rt.group, rt.plural, [obj], "%s/%s" % (rt.group, storage))[0]

    def for_response(self, info, obj):
        """A response body (object or list) in the version the request named."""
        if not isinstance(obj, dict) or not info.is_resource or not info.group or obj.get("kind") == "Status":
            return obj
        if info.subresource not in ("", "status") or self.webhook_crd(info.group, info.resource) is None:
            return obj
        want = info.api_version
        if isinstance(obj.get("items"), list) and obj.get("kind", "").endswith("List"):
            out = dict(obj)
            out["items"] = self.convert(info.group, info.resource, obj["items"], want, as_list=True)
            out["apiVersion"] = want
            return out
        return self.convert(info.group, info.resource, [obj], want)[0]

    def for_watch(self, rt, obj):
        """A watch event's object in the watch's version."""
        if not self.keeps_stored_version(rt):
            return obj
        return self.to_version(rt, obj)


def _response_objects(answer, review_version, uid):
    """convertedObjects of a ConversionReview answer, checked as kube does per review version."""
    if review_version == "v1":
        got = "%s, Kind=%s" % (answer.get("apiVersion"), answer.get("kind"))
        if (answer.get("apiVersion"), answer.get("kind")) != (CRD_GROUP + "/v1", "ConversionReview"):
            raise webhookclient.CallError("expected webhook response of %s/v1, Kind=ConversionReview, got %s"
                                          % (CRD_GROUP, got))
    resp = answer.get("response")
    if not isinstance(resp, dict):
        raise webhookclient.CallError("no response provided")
    if review_version == "v1" and resp.get("uid") != uid:
        raise webhookclient.CallError('expected response.uid="%s", got "%s"' % (uid, resp.get("uid", "")))
    result = resp.get("result") if isinstance(resp.get("result"), dict) else {}
    if result.get("status") != "Success":
        if result.get("message"):
            raise webhookclient.CallError(str(result["message"]))
        raise webhookclient.CallError("response.result.status was '%s', not 'Success'" % result.get("status", ""))
    objects = resp.get("convertedObjects")
    return objects if isinstance(objects, list) else []

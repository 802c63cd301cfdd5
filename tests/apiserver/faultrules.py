"""failNext fault rules: parsing, matching and the error each one answers.

A rule fires at one of three stages of a request:
  * "request"  — before routing (rules with only pathPrefix/methods; the original knob);
  * "resolved" — once the verb and resource are known (rules naming verbs/resource/subresource),
                 before anything is done;
  * "committed" — after a write succeeded (afterCommit: true): the change is stored and
                 watchers see it, but the client gets the error, as when kube-apiserver's
                 request timeout fires while etcd commits (504 Timeout by default)."""

import kubedouble as kd

CODES = (429, 500, 502, 503, 504)
VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
REASONS = {429: "TooManyRequests", 500: "InternalError", 502: "InternalError", 503: "ServiceUnavailable",
           504: "Timeout"}
TIMEOUT_MESSAGE = "Timeout: request did not complete within requested timeout - context deadline exceeded"


def parse_rule(r):
    """A validated rule dict from one failNext entry; raises ValueError/TypeError naming the key."""
    if not isinstance(r, dict):
        raise ValueError("each failNext rule must be a JSON object")
    after = r.get("afterCommit", False)
    if not isinstance(after, bool):
        raise ValueError("failNext.afterCommit must be true or false")
    code = int(r.get("code", 504 if after else 500))
    if code not in CODES or (after and code == 429):
        raise ValueError("failNext code must be 429 or 5xx (5xx only with afterCommit)")
    verbs = [str(v).lower() for v in r.get("verbs") or []]
    bad = [v for v in verbs if v not in VERBS]
    if bad:
        raise ValueError("failNext.verbs: unknown verb %s (one of %s)" % (bad[0], ", ".join(VERBS)))
    count = int(r.get("count", 1))
    if count < 1:
        raise ValueError("failNext.count must be >= 1")
    rule = {"code": code, "count": count, "pathPrefix": str(r.get("pathPrefix", "")),
            "retryAfter": int(r["retryAfter"]) if "retryAfter" in r else (1 if code == 429 else None),
            "methods": [m.upper() for m in r.get("methods") or []], "message": str(r.get("message", "")),
            "verbs": verbs, "resource": str(r.get("resource", "")), "subresource": r.get("subresource"),
            "afterCommit": after}
    if rule["subresource"] is not None:
        rule["subresource"] = str(rule["subresource"])
    return rule


def stage_of(rule):
    if rule.get("afterCommit"):
        return "committed"
    if rule.get("verbs") or rule.get("resource") or rule.get("subresource") is not None:
        return "resolved"
    return "request"


def _matches(rule, method, path, verb, resource, subresource):
    if not path.startswith(rule.get("pathPrefix", "")):
        return False
    if rule.get("methods") and method not in rule["methods"]:
        return False
    if rule.get("verbs") and verb not in rule["verbs"]:
        return False
    if rule.get("resource") and resource != rule["resource"]:
        return False
    if rule.get("subresource") is not None and (subresource or "") != rule["subresource"]:
        return False
    return True


def take(faults, stage, method, path, verb=None, resource=None, subresource=None):
    """The first live rule of this stage matching the request, its count spent; None if none.
    Call with the registry lock held."""
    hit = None
    for r in faults.fail_rules:
        if r["count"] > 0 and stage_of(r) == stage and _matches(r, method, path, verb, resource, subresource):
            r["count"] -= 1
            hit = dict(r)
            break
    faults.fail_rules = [r for r in faults.fail_rules if r["count"] > 0]
    return hit


def error_for(rule):
    """The Status error a rule answers."""
    code = rule["code"]
    if code == 429:
        return kd.ApiError(429, "TooManyRequests", rule.get("message") or
                           "Too many requests, please try again later.", retry_after=rule.get("retryAfter", 1))
    default = TIMEOUT_MESSAGE if code == 504 else "Internal error occurred: injected fault"
    return kd.ApiError(code, REASONS.get(code, "InternalError"), rule.get("message") or default,
                       retry_after=rule.get("retryAfter"))


def verb_of(method, name, watch):
    """The Kubernetes verb of a request to a resource (name None for collections)."""
    if method in ("GET", "HEAD"):
        return "watch" if watch else ("list" if name is None else "get")
    if method == "DELETE":
        return "delete" if name is not None else "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, method.lower())

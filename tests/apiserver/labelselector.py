"""metav1.LabelSelector (matchLabels + matchExpressions) as kube evaluates it, for RBAC
aggregation rules and webhook namespace/object selectors.  The string form used in list
queries (?labelSelector=) is parsed in kubedouble.py."""


class SelectorError(ValueError):
    """A selector kube would refuse to parse (its message is kube's)."""


def _requirement_matches(expr, labels):
    key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    raise SelectorError('"%s" is not a valid label selector operator' % op)


def check(selector):
    """Raise SelectorError if selector is not a well-formed LabelSelector (None is fine)."""
    if selector is None:
        return
    if not isinstance(selector, dict):
        raise SelectorError("a label selector must be an object")
    match = selector.get("matchLabels") or {}
    exprs = selector.get("matchExpressions") or []
    if not isinstance(match, dict) or not all(isinstance(v, str) for v in match.values()):
        raise SelectorError("matchLabels must be a map of strings")
    if not isinstance(exprs, list):
        raise SelectorError("matchExpressions must be a list")
    for e in exprs:
        if not isinstance(e, dict) or not isinstance(e.get("key"), str):
            raise SelectorError("each matchExpressions entry needs a key")
        op, values = e.get("operator"), e.get("values") or []
        if op in ("In", "NotIn") and not values:
            raise SelectorError("for 'in', 'notin' operators, values set can't be empty")
        if op in ("Exists", "DoesNotExist") and values:
            raise SelectorError("values set must be empty for exists and does not exist")
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise SelectorError('"%s" is not a valid label selector operator' % op)


def is_empty(selector):
    """True for a selector that selects everything (absent, {} or with no requirements)."""
    return not selector or (not selector.get("matchLabels") and not selector.get("matchExpressions"))


def matches(selector, labels):
    """Whether labels (a dict, or None) satisfy selector; an empty selector matches everything.

    Raises SelectorError for a malformed selector."""
    check(selector)
    if is_empty(selector):
        return True
    labels = labels or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    return all(_requirement_matches(e, labels) for e in selector.get("matchExpressions") or [])

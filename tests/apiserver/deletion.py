"""DELETE as kube-apiserver's generic registry does it: DeleteOptions, preconditions, graceful
deletion, finalizers and the garbage collector's orphan/foregroundDeletion finalizers.

Spec: k8s.io/apiserver/pkg/registry/generic/registry/store.go (Delete,
updateForGracefulDeletionAndFinalizers, deletionFinalizersForGarbageCollection,
markAsDeleting, shouldDeleteDuringUpdate, finalizeDelete), registry/rest/delete.go
(BeforeDelete) and endpoints/handlers/delete.go (options from the body, else the query)."""

import copy
import datetime

import kubedouble as kd
import podlifecycle
import preconditions

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
POLICIES = ("Foreground", "Background", "Orphan")


# ----------------------------------------------------------------------------
# DeleteOptions
# ----------------------------------------------------------------------------

def _invalid_options(causes):
    text = "; ".join("%s: %s" % c for c in causes)
    return kd.ApiError(422, "Invalid", 'DeleteOptions.meta.k8s.io "" is invalid: %s' % text, group="meta.k8s.io",
                       kind="DeleteOptions",
                       causes=[{"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in causes])


def parse_options(params, body):
    """DeleteOptions from the body when there is one, else from the query, as the handler reads
    them. Returns a dict with gracePeriodSeconds, propagationPolicy, orphanDependents (each may be
    None), preconditions (dict) and dryRun (bool). Type errors are 400; bad values 422 later."""
    if body is not None:
        if not isinstance(body, dict):
            raise kd.bad_request("DeleteOptions must be a JSON object")
        src = body
        dry = body.get("dryRun") or []
        if not isinstance(dry, list):
            raise kd.bad_request("DeleteOptions.dryRun must be a list of strings")
    else:
        src = {}
        if params.get("gracePeriodSeconds") not in (None, ""):
            try:
                src["gracePeriodSeconds"] = int(params["gracePeriodSeconds"])
            except ValueError:
                raise kd.bad_request('strconv.ParseInt: parsing "%s": invalid syntax'
                                     % params["gracePeriodSeconds"]) from None
        if params.get("propagationPolicy"):
            src["propagationPolicy"] = params["propagationPolicy"]
        if params.get("orphanDependents") in ("true", "false"):
            src["orphanDependents"] = params["orphanDependents"] == "true"
        dry = [params["dryRun"]] if params.get("dryRun") else []
    grace = src.get("gracePeriodSeconds")
    if grace is not None and (not isinstance(grace, int) or isinstance(grace, bool)):
        raise kd.bad_request("DeleteOptions.gracePeriodSeconds must be an integer")
    orphan = src.get("orphanDependents")
    if orphan is not None and not isinstance(orphan, bool):
        raise kd.bad_request("DeleteOptions.orphanDependents must be a boolean")
    pre = src.get("preconditions") or {}
    if not isinstance(pre, dict) or any(v is not None and not isinstance(v, str) for v in pre.values()):
        raise kd.bad_request("DeleteOptions.preconditions must be an object of strings")
    return {"gracePeriodSeconds": grace, "propagationPolicy": src.get("propagationPolicy"),
            "orphanDependents": orphan, "preconditions": pre, "dryRunValues": dry, "dryRun": "All" in dry}


def validate_options(opts):
    """ValidateDeleteOptions (422)."""
    causes = []
    policy = opts.get("propagationPolicy")
    if opts.get("orphanDependents") is not None and policy is not None:
        causes.append(("propagationPolicy", 'Invalid value: "%s": orphanDependents and deletionPropagation '
                       "cannot be both set" % policy))
    if policy is not None and policy not in POLICIES:
        causes.append(("propagationPolicy", 'Unsupported value: "%s": supported values: "Foreground", '
                       '"Background", "Orphan", "nil"' % policy))
    for v in opts.get("dryRunValues") or []:
        if v != "All":
            causes.append(("dryRun", 'Unsupported value: "%s": supported values: "All"' % v))
    if causes:
        raise _invalid_options(causes)


# ----------------------------------------------------------------------------
# Graceful deletion (rest.BeforeDelete) and the garbage collector's finalizers
# ----------------------------------------------------------------------------

def _parse_time(ts):
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def _fmt_time(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _bump_generation(meta):
    if int(meta.get("generation") or 0) > 0:
        meta["generation"] = int(meta["generation"]) + 1


def before_delete(rt, obj, opts):
    """Returns (graceful, pending). May set obj's deletionTimestamp/deletionGracePeriodSeconds
    and opts["gracePeriodSeconds"], as upstream does on its copies."""
    meta = obj["metadata"]
    if opts.get("gracePeriodSeconds") is not None and opts["gracePeriodSeconds"] < 0:
        opts["gracePeriodSeconds"] = 1
    if meta.get("deletionGracePeriodSeconds") is not None and meta["deletionGracePeriodSeconds"] < 0:
        meta["deletionGracePeriodSeconds"] = 1
    strategy = podlifecycle.graceful_delete_strategy(rt)
    if strategy is None:
        return False, False
    if meta.get("deletionTimestamp"):
        cur = meta.get("deletionGracePeriodSeconds")
        if not cur:
            return False, False  # graceful deletion was interrupted at 0: delete now
        grace = opts.get("gracePeriodSeconds")
        if grace is None:
            opts["gracePeriodSeconds"] = cur
            return False, True
        if grace >= cur:
            return False, True  # only a shorter grace period may be asked for
        when = _parse_time(meta["deletionTimestamp"]) - datetime.timedelta(seconds=cur - grace)
        meta["deletionTimestamp"] = _fmt_time(when)
        meta["deletionGracePeriodSeconds"] = grace
        return True, False
    if not strategy(obj, opts):
        return False, False
    grace = opts["gracePeriodSeconds"]
    meta["deletionTimestamp"] = _fmt_time(datetime.datetime.now(datetime.timezone.utc) +
                                          datetime.timedelta(seconds=grace))
    meta["deletionGracePeriodSeconds"] = grace
    _bump_generation(meta)
    return True, False


def _policy_from(opts, finalizers, orphan_wins):
    """Whether the explicit options or, failing them, the object's finalizers ask for orphaning
    (orphan_wins) or foreground deletion (not orphan_wins); None when neither says."""
    if opts.get("orphanDependents") is not None:
        return opts["orphanDependents"] if orphan_wins else False
    policy = opts.get("propagationPolicy")
    if policy is not None:
        return policy == ("Orphan" if orphan_wins else "Foreground")
    for f in finalizers:
        if f in (ORPHAN, FOREGROUND):
            return (f == ORPHAN) == orphan_wins
    return None


def gc_finalizers(meta, opts):
    """deletionFinalizersForGarbageCollection: (changed, finalizers). Every kind here defaults to
    background propagation (DeleteDependents), as the core and custom kinds the double serves."""
    old = list(meta.get("finalizers") or [])
    orphan = bool(_policy_from(opts, old, True))
    foreground = bool(_policy_from(opts, old, False))
    new = [f for f in old if f not in (ORPHAN, FOREGROUND)]
    if orphan:
        new.append(ORPHAN)
    if foreground:
        new.append(FOREGROUND)
    if set(new) == set(old):
        return False, old
    return True, new


def mark_as_deleting(meta):
    """For kinds without graceful deletion that keep finalizers: deletionTimestamp now, grace 0."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if not meta.get("deletionTimestamp"):
        _bump_generation(meta)
    if not meta.get("deletionTimestamp") or _parse_time(meta["deletionTimestamp"]) > now:
        meta["deletionTimestamp"] = _fmt_time(now)
    meta["deletionGracePeriodSeconds"] = 0


def should_delete_during_update(new, old):
    """store.shouldDeleteDuringUpdate: an update that removes the last finalizer of an object
    being deleted (with no grace period pending) deletes it."""
    nm, om = new.get("metadata") or {}, old.get("metadata") or {}
    return (not nm.get("finalizers") and bool(om.get("finalizers")) and bool(nm.get("deletionTimestamp"))
            and not (nm.get("deletionGracePeriodSeconds") or 0) > 0)


# ----------------------------------------------------------------------------
# Delete
# ----------------------------------------------------------------------------

def _finalize_response(rt, obj):
    """finalizeDelete: the object for kinds that return it, else a Success Status."""
    if rt.return_deleted:
        return obj
    meta = obj.get("metadata") or {}
    details = {"name": meta.get("name", ""), "kind": rt.plural, "uid": meta.get("uid", "")}
    if rt.group:
        details["group"] = rt.group
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def _code(opts, deleted):
    """200, or 202 when not deleted at once and orphanDependents=false was asked (delete.go)."""
    return 202 if not deleted and opts.get("orphanDependents") is False else 200


def remove_locked(ops, rt, ns, name, last):
    """Take the object out of its store (lock held): DELETED event, CRD and namespace cleanup."""
    reg = ops.reg
    store = ops.store(rt)
    reg.rv += 1
    gone = copy.deepcopy(last)
    gone["metadata"]["resourceVersion"] = str(reg.rv)
    del store.objects[(ns or "", name)]
    store.record(reg.rv, "DELETED", copy.deepcopy(gone), copy.deepcopy(last))
    if rt.plural == "customresourcedefinitions":
        ops.d.uninstall_crd(gone)
    if rt.plural == "namespaces":
        ops.d.purge_namespace(name)
    reg.cond.notify_all()
    return gone


def delete(ops, rt, ns, name, opts, user, dry):
    """Delete one object. Returns (code, response body, the object as last stored)."""
    opts = dict(opts)
    for _attempt in range(8):
        with ops.reg.lock:
            cur = ops.store(rt).objects.get((ns or "", name))
            if cur is None:
                raise kd.not_found(rt, name)
            validate_options(opts)
            preconditions.check_before_delete(rt, name, cur, opts["preconditions"])
            old = ops.out(rt, cur)
        ops.admit(rt, None, "DELETE", None, old, user, dry, ns, name)
        with ops.reg.lock:
            cur = ops.store(rt).objects.get((ns or "", name))
            if cur is None:
                raise kd.not_found(rt, name)
            if cur["metadata"]["resourceVersion"] != old["metadata"]["resourceVersion"]:
                continue  # changed while the webhooks ran: decide again on the fresh object
            return _delete_locked(ops, rt, ns, name, cur, dict(opts), dry)
    raise kd.ApiError(409, "Conflict", "too many concurrent updates to %s %s" % (kd.qualified(rt), name))


def _delete_locked(ops, rt, ns, name, cur, opts, dry):
    new = copy.deepcopy(cur)
    graceful, pending = before_delete(rt, new, opts)
    if pending:
        return _code(opts, False), _finalize_response(rt, ops.out(rt, cur)), cur
    changed, finalizers = gc_finalizers(new["metadata"], opts)
    if graceful or cur["metadata"].get("finalizers") or changed:
        if changed:
            new["metadata"]["finalizers"] = finalizers
        has_finalizers = bool(new["metadata"].get("finalizers"))
        if not graceful and has_finalizers:
            mark_as_deleting(new["metadata"])
        if graceful or has_finalizers:
            if new != cur:
                stored = new if dry else _store_update(ops, rt, ns, name, new, cur)
            else:
                stored = cur
            if has_finalizers or (opts.get("gracePeriodSeconds") or 0) > 0:
                return _code(opts, False), ops.out(rt, stored), stored
            cur = stored  # graceful with period 0: the update, then the delete
            if dry:
                return 200, ops.out(rt, stored), stored
    if dry:
        return 200, _finalize_response(rt, ops.out(rt, cur)), cur
    gone = remove_locked(ops, rt, ns, name, cur)
    # The answer is the object as last stored (etcd returns the previous value); the DELETED
    # event and the write log carry the deletion's resourceVersion.
    return 200, _finalize_response(rt, ops.out(rt, cur)), gone


def _store_update(ops, rt, ns, name, new, cur):
    """Write the deletion update (lock held) without the during-update delete rule."""
    reg = ops.reg
    reg.rv += 1
    new["metadata"]["resourceVersion"] = str(reg.rv)
    ops.store(rt).objects[(ns or "", name)] = new
    ops.store(rt).record(reg.rv, "MODIFIED", copy.deepcopy(new), copy.deepcopy(cur))
    reg.cond.notify_all()
    return new

"""kube-controller-manager's garbage collector, running inside the double.

Spec: kubernetes pkg/controller/garbagecollector (graph_builder.go, garbagecollector.go:
attemptToDeleteItem, classifyReferences, isDangling, processDeletingDependentsItem,
attemptToOrphanWorker). Like upstream it keeps a graph of ownerReferences built from change
events, and acts as an API client (system:serviceaccount:kube-system:generic-garbage-collector):
its deletes and patches go through the same storage code and webhooks and into the write log.

  * A dependent whose owners are all absent (no object of that kind and name in the dependent's
    namespace — or cluster-wide for a cluster-scoped kind — or one with another uid) is deleted,
    with the propagation its own finalizers ask for (Background otherwise), preconditions uid and
    resourceVersion. Dangling references next to a live owner are removed by a merge patch.
  * An owner deleted with propagationPolicy Foreground keeps the foregroundDeletion finalizer
    until no dependent with blockOwnerDeletion: true is left; every dependent is deleted (one with
    dependents of its own in the foreground too).
  * An owner deleted with Orphan: its references are removed from every dependent, then the
    orphan finalizer from the owner.
  * A reference whose apiVersion/kind is not served, or a cluster-scoped dependent naming a
    namespaced owner, is unresolvable: such a dependent is left alone (upstream retries forever).
Events are not collected (upstream ignores them)."""

import collections
import time

import actors
import deletion
import kubedouble as kd

USER = {"username": "system:serviceaccount:kube-system:generic-garbage-collector",
        "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]}
IGNORED = ("/events", "events.k8s.io/events")
CRDS = "apiextensions.k8s.io/customresourcedefinitions"


def meta_causes(meta):
    """ValidateOwnerReferences and ValidateFinalizers (422 causes), so that what the collector
    reads is what a cluster would have accepted. Wrong JSON types are 400, as when decoding."""
    causes = []
    refs, fins = meta.get("ownerReferences"), meta.get("finalizers")
    if refs is not None and (not isinstance(refs, list) or not all(isinstance(r, dict) for r in refs)):
        raise kd.bad_request("json: cannot unmarshal metadata.ownerReferences: must be a list of objects")
    if fins is not None and (not isinstance(fins, list) or not all(isinstance(f, str) for f in fins)):
        raise kd.bad_request("json: cannot unmarshal metadata.finalizers: must be a list of strings")
    controller = None
    for ref in refs or []:
        api_version = ref.get("apiVersion") or ""
        for field, value, bad, why in (("apiVersion", api_version, not api_version.rsplit("/", 1)[-1],
                                        "version must not be empty"),
                                       ("kind", ref.get("kind") or "", not ref.get("kind"), "must not be empty"),
                                       ("name", ref.get("name") or "", not ref.get("name"), "must not be empty"),
                                       ("uid", ref.get("uid") or "", not ref.get("uid"), "must not be empty")):
            if bad:
                causes.append(("metadata.ownerReferences." + field, 'Invalid value: "%s": %s' % (value, why)))
        if ref.get("controller") is True:
            this = "%s/%s" % (ref.get("kind"), ref.get("name"))
            if controller is not None:
                causes.append(("metadata.ownerReferences", 'Invalid value: "...": Only one reference can have '
                               'Controller set to true. Found "true" in references for %s and %s' % (controller, this)))
            else:
                controller = this
    if fins and deletion.ORPHAN in fins and deletion.FOREGROUND in fins:
        causes.append(("metadata.finalizers", 'Invalid value: "...": finalizer orphan and foregroundDeletion '
                       "cannot be both set"))
    return causes


class _Unresolvable(Exception):
    """An owner reference the collector cannot look up."""


def _refs(obj):
    refs = ((obj or {}).get("metadata") or {}).get("ownerReferences") or []
    return [r for r in refs if isinstance(r, dict) and r.get("uid")]


def _deleting(meta, finalizer):
    return bool(meta.get("deletionTimestamp")) and finalizer in (meta.get("finalizers") or [])


class GarbageCollector(actors.Worker):
    def __init__(self, double):
        super().__init__("kubedouble-gc")
        self.d = double
        self.reg = double.registry
        self.events = collections.deque()  # filled by observe() under the registry lock
        self.owners = {}  # dependent uid -> (store key, namespace, name, [owner uids])
        self.dependents = collections.defaultdict(set)  # owner uid -> dependent uids
        self.deleting = {}  # uid -> ident of owners being deleted with the orphan/foreground finalizer
        self.queue = {}  # uid -> (due monotonic time, (store key, namespace, name, uid))
        self.failures = collections.Counter()  # uid -> consecutive failed attempts (backoff)

    # ---- graph building (graph_builder.go) ----
    def observe(self, key, etype, obj, old):
        """Registry observer (lock held): keep only what can matter, cheaply."""
        if key in IGNORED:
            return
        meta = obj.get("metadata") or {}
        if (etype == "DELETED" or _refs(obj) or _refs(old) or key == CRDS
                or _deleting(meta, deletion.ORPHAN) or _deleting(meta, deletion.FOREGROUND)):
            self.events.append((key, etype, obj))
            self.wake.set()

    def start(self):
        with self.reg.lock:  # objects stored before the collector started
            for key, store in self.reg.stores.items():
                for obj in store.objects.values():
                    self.observe(key, "ADDED", obj, None)
        super().start()

    def _enqueue(self, ident, delay=0.0):
        due = time.monotonic() + delay
        if ident[3] not in self.queue or self.queue[ident[3]][0] > due:
            self.queue[ident[3]] = (due, ident)

    def _forget(self, uid):
        entry = self.owners.pop(uid, None)
        for owner in (entry[3] if entry else ()):
            self.dependents[owner].discard(uid)
            if not self.dependents[owner]:
                del self.dependents[owner]
        return entry

    def _process(self, key, etype, obj):
        meta = obj.get("metadata") or {}
        uid = meta.get("uid")
        ident = (key, meta.get("namespace", ""), meta.get("name"), uid)
        if etype == "DELETED":
            self.deleting.pop(uid, None)
            gone = self._forget(uid)
            for owner in (gone[3] if gone else ()):
                self._enqueue_owner(owner)  # a foreground owner may be done waiting
            for dep in list(self.dependents.get(uid, ())):
                self._enqueue(self.owners[dep][:3] + (dep,))
            if key == CRDS:
                self._crd_deleted(obj)
            return
        if key == CRDS and etype == "ADDED":
            for dep, entry in list(self.owners.items()):  # a kind may have become resolvable
                self._enqueue(entry[:3] + (dep,))
        owners = [r["uid"] for r in _refs(obj)]
        before = self._forget(uid)
        if owners:
            self.owners[uid] = ident[:3] + (owners,)
            for owner in owners:
                self.dependents[owner].add(uid)
        if owners and (before is None or before[3] != owners):
            self._enqueue(ident)
        for owner in set(before[3] if before else ()) - set(owners):
            self._enqueue_owner(owner)
        if _deleting(meta, deletion.ORPHAN) or _deleting(meta, deletion.FOREGROUND):
            self.deleting[uid] = ident
            self._enqueue(ident)
            if _deleting(meta, deletion.FOREGROUND):
                for dep in list(self.dependents.get(uid, ())):
                    self._enqueue(self.owners[dep][:3] + (dep,))

    def _enqueue_owner(self, owner_uid):
        """Re-examine an owner that waits for its dependents (others need nothing)."""
        if owner_uid in self.deleting:
            self._enqueue(self.deleting[owner_uid])

    def _crd_deleted(self, crd):
        """Deleting a CRD drops its objects without events: treat each as deleted."""
        spec = crd.get("spec") or {}
        key = "%s/%s" % (spec.get("group"), (spec.get("names") or {}).get("plural"))
        for uid, entry in list(self.owners.items()):
            if entry[0] == key:
                self._process(key, "DELETED", {"metadata": {"uid": uid, "namespace": entry[1], "name": entry[2]}})

    # ---- the worker ----
    def step(self):
        while self.events:
            self._process(*self.events.popleft())
        now = time.monotonic()
        for uid, (due, ident) in sorted(self.queue.items(), key=lambda kv: kv[1][0]):
            if due > now or self.stopping:
                break
            del self.queue[uid]
            self._attempt(ident)
            while self.events:  # what the attempt changed, before the next item
                self._process(*self.events.popleft())
        return max(0.0, min(d for d, _ in self.queue.values()) - time.monotonic()) if self.queue else None

    def _attempt(self, ident):
        key, ns, name, uid = ident
        try:
            action = self._decide(ident)
            if action is not None:
                action()
            self.failures.pop(uid, None)
        except kd.ApiError as e:
            if e.code == 404:
                self.failures.pop(uid, None)
            elif e.code == 409:
                self._enqueue(ident)  # changed under us: decide again on the fresh object
            else:  # e.g. a webhook refused: retry with backoff, as the workqueue does
                self.failures[uid] += 1
                self._enqueue(ident, min(10.0, 0.05 * 2 ** self.failures[uid]))

    def _live(self, key, ns, name, uid):
        with self.reg.lock:
            store = self.reg.stores.get(key)
            obj = store.objects.get((ns, name)) if store is not None else None
        if obj is None or obj["metadata"].get("uid") != uid:
            return None
        return obj

    def _decide(self, ident):
        """What attemptToDeleteItem / attemptToOrphan would do now: a callable, or None."""
        obj = self._live(*ident)
        if obj is None:
            return None
        meta = obj["metadata"]
        if _deleting(meta, deletion.FOREGROUND):
            return self._foreground_owner(ident, obj)
        if _deleting(meta, deletion.ORPHAN):
            return lambda: self._orphan(ident, obj)
        if meta.get("deletionTimestamp") or not _refs(obj):
            return None
        try:
            solid, dangling, waiting = self._classify(ident, obj)
        except _Unresolvable:
            return None
        if solid:
            drop = {r["uid"] for r in dangling + waiting}
            return (lambda: self._remove_refs(ident, obj, drop)) if drop else None
        if waiting and self._has_dependents(ident[3]):
            policy = "Foreground"
        elif deletion.ORPHAN in (meta.get("finalizers") or []):
            policy = "Orphan"
        elif deletion.FOREGROUND in (meta.get("finalizers") or []):
            policy = "Foreground"
        else:
            policy = "Background"
        return lambda: self._delete(ident, obj, policy)

    def _owner_type(self, ref):
        api_version, kind = ref.get("apiVersion") or "", ref.get("kind") or ""
        group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
        with self.reg.lock:
            for rt in self.reg.types.values():
                if rt.group == group and rt.kind == kind:
                    return rt
        raise _Unresolvable()

    def _classify(self, ident, obj):
        """classifyReferences: (solid, dangling, waitingForDependentsDeletion) references."""
        solid, dangling, waiting = [], [], []
        for ref in _refs(obj):
            rt = self._owner_type(ref)
            if rt.namespaced and not ident[1]:
                raise _Unresolvable()  # a cluster-scoped dependent cannot have a namespaced owner
            owner = self._live(rt.store_key, ident[1] if rt.namespaced else "", ref.get("name"), ref["uid"])
            if owner is None:
                dangling.append(ref)
            elif _deleting(owner["metadata"], deletion.FOREGROUND):
                waiting.append(ref)
            else:
                solid.append(ref)
        return solid, dangling, waiting

    def _has_dependents(self, uid):
        return any(self._live(*(self.owners[d][:3] + (d,))) is not None for d in self.dependents.get(uid, ()))

    def _foreground_owner(self, ident, obj):
        """processDeletingDependentsItem: drop the finalizer once no blocking dependent is left."""
        blocking = []
        for dep in list(self.dependents.get(ident[3], ())):
            dep_ident = self.owners[dep][:3] + (dep,)
            live = self._live(*dep_ident)
            if live is not None and any(r["uid"] == ident[3] and r.get("blockOwnerDeletion") is True
                                        for r in _refs(live)):
                blocking.append(dep_ident)
        if not blocking:
            return lambda: self._remove_finalizer(ident, obj, deletion.FOREGROUND)
        for dep_ident in blocking:
            self._enqueue(dep_ident)
        return None

    def _orphan(self, ident, obj):
        for dep in list(self.dependents.get(ident[3], ())):
            dep_ident = self.owners[dep][:3] + (dep,)
            live = self._live(*dep_ident)
            if live is not None:
                try:
                    self._remove_refs(dep_ident, live, {ident[3]})
                except kd.ApiError as e:
                    if e.code != 404:
                        raise
        self._remove_finalizer(ident, obj, deletion.ORPHAN)

    # ---- the API calls ----
    def _rt(self, key):
        with self.reg.lock:
            for rt in self.reg.types.values():
                if rt.store_key == key:
                    return rt
        raise kd.ApiError(404, "NotFound", "no resource for %s" % key)

    def _patch(self, ident, body):
        key, ns, name, _uid = ident
        rt = self._rt(key)
        return actors.call(self.d, USER, "patch", rt, ns, name, lambda: (200, self.d.ops.patch(
            rt, ns or None, name, None, "application/merge-patch+json", body, USER, False)))

    def _remove_refs(self, ident, obj, uids):
        """deleteOwnerRefJSONMergePatch: the remaining references, resourceVersion as precondition."""
        keep = [r for r in (obj["metadata"].get("ownerReferences") or []) if r.get("uid") not in uids]
        self._patch(ident, {"metadata": {"ownerReferences": keep or None,
                                         "resourceVersion": obj["metadata"]["resourceVersion"]}})

    def _remove_finalizer(self, ident, obj, finalizer):
        keep = [f for f in obj["metadata"].get("finalizers") or [] if f != finalizer]
        self._patch(ident, {"metadata": {"finalizers": keep or None,
                                         "resourceVersion": obj["metadata"]["resourceVersion"]}})

    def _delete(self, ident, obj, policy):
        key, ns, name, uid = ident
        rt = self._rt(key)
        opts = deletion.parse_options({}, {"propagationPolicy": policy, "preconditions": {
            "uid": uid, "resourceVersion": obj["metadata"]["resourceVersion"]}})

        def delete():
            code, _answer, stored = self.d.ops.delete(rt, ns or None, name, opts, USER, False)
            return code, stored
        actors.call(self.d, USER, "delete", rt, ns, name, delete)

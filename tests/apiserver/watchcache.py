"""Where a watch or list may start, as kube-apiserver's watch cache decides it.

Spec: k8s.io/apiserver/pkg/storage/cacher (watch_cache.go getAllEventsSinceLocked,
waitUntilFreshAndBlock) and storage/errors.go (NewTooLargeResourceVersionError).
  * A store's cache starts at the resourceVersion current when it was made (the watch
    cache's initial list) and keeps a window of events; the oldest resourceVersion a watch
    may resume from is one less than the oldest event kept (the start, while nothing was
    evicted). Older: 410 Expired "too old resource version: RV (OLDEST-1)", sent as an ERROR
    event on a 200 watch stream, never as an HTTP 410 (the cacher returns an error watcher).
  * A resourceVersion newer than the cache's: wait up to 3 s for it, then 504 Timeout
    "Too large resource version: RV, current: CUR" with cause ResourceVersionTooLarge and
    retryAfterSeconds 1 — an ERROR event for a watch, the HTTP answer for a list."""

import time

import kubedouble as kd


def too_old_status(rv, floor):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "too old resource version: %d (%d)" % (rv, floor), "reason": "Expired", "code": 410}


def too_large_error(rv, current):
    return kd.ApiError(504, "Timeout", "Timeout: Too large resource version: %d, current: %d" % (rv, current),
                       causes=[{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                       retry_after=1)


def trim(store):
    """Evict events beyond the store's window, moving its floor (lock held)."""
    while len(store.history) > store.window:
        rv = store.history.popleft()[0]
        store.floor = store.history[0][0] - 1 if store.history else rv


def wait_fresh(reg, rv, timeout):
    """Block (lock held, released while waiting) until the registry reaches rv or timeout
    passes; True when it did."""
    deadline = time.monotonic() + timeout
    while reg.rv < rv:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        reg.cond.wait(min(left, 0.5))
    return True


def watch_start_error(reg, store, rv, timeout):
    """The Status a watch from rv must end with at once, or None (lock held)."""
    if rv > reg.rv and not wait_fresh(reg, rv, timeout):
        return too_large_error(rv, reg.rv).status()
    if rv < store.floor:
        return too_old_status(rv, store.floor)
    return None


def check_list(reg, params, timeout):
    """A list at resourceVersion=N (not 0, no continue) waits for N like the cache; raises 504
    when the cache never gets there (lock not held)."""
    raw = params.get("resourceVersion", "")
    if raw in ("", "0") or params.get("continue"):
        return
    try:
        rv = int(raw)
    except ValueError:
        raise kd.bad_request('invalid resource version: "%s"' % raw) from None
    with reg.lock:
        if rv > reg.rv and not wait_fresh(reg, rv, timeout):
            raise too_large_error(rv, reg.rv)

"""Writes made by the double's own controllers (the garbage collector, the kubelet stand-in).

Upstream these are API clients, so they go through the same storage operations and admission
webhooks as any request, and the write log records them under their own user (e.g.
system:serviceaccount:kube-system:generic-garbage-collector, system:node:NODE)."""

import threading
import time

import kubedouble as kd

METHODS = {"create": "POST", "update": "PUT", "patch": "PATCH", "delete": "DELETE"}


def path_of(rt, ns, name, subresource=""):
    parts = ["/api/v1" if not rt.group else "/apis/%s/%s" % (rt.group, rt.version)]
    if rt.namespaced and ns:
        parts.append("namespaces/%s" % ns)
    parts.append(rt.plural)
    parts.append(name)
    if subresource:
        parts.append(subresource)
    return "/".join(parts)


def call(double, user, verb, rt, ns, name, fn, subresource=""):
    """Run fn() -> (code, stored object) as user {"username", "groups"} and log it like a
    request. Returns (code, stored object) or raises the ApiError after logging it."""
    entry = {"time": time.time(), "timestamp": kd.now_micro(), "user": user["username"],
             "groups": list(user["groups"]), "verb": verb, "method": METHODS[verb],
             "path": path_of(rt, ns, name, subresource), "resource": kd.qualified(rt), "namespace": ns or "",
             "name": name, "subresource": subresource, "resourceVersion": "", "code": 0}
    try:
        code, stored = fn()
        entry["code"] = code
        entry["resourceVersion"] = ((stored or {}).get("metadata") or {}).get("resourceVersion", "")
        return code, stored
    except kd.ApiError as e:
        entry["code"], entry["reason"] = e.code, e.reason
        raise
    finally:
        double.registry.log_write(entry)


class Worker:
    """A daemon thread that runs step() whenever woken or when step() asked to be called
    again (it returns seconds until then, or None to sleep until woken)."""

    def __init__(self, name):
        self.name = name
        self.wake = threading.Event()
        self.stopping = False
        self.thread = None

    def start(self):
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True, name=self.name)
        self.thread.start()

    def stop(self):
        self.stopping = True
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def _run(self):
        delay = None
        while not self.stopping:
            self.wake.wait(delay)
            self.wake.clear()
            if self.stopping:
                break
            delay = self.step()

    def step(self):
        raise NotImplementedError

#!/usr/bin/env python3
"""RayClusters through raygate's webhooks, under load (issue 11, section 8).

  python3 bench/raycluster_load.py [--count 1000] [--rate 50] [--quota 200] [--runs 3]

Each run starts a fresh API-server double and raygate (leader, admitter on) with raygate's
mutating and validating webhooks registered for RayClusters and Workloads, one ClusterQueue of
--quota GPUs and its LocalQueue, then creates --count queued RayClusters (a 1-CPU head and one
1-GPU worker each) at --rate per second from 16 client threads. Every create passes both
webhooks (the mutating one suspends it), raygate's admitter makes its Workload (both webhooks
again), admits what fits and unsuspends its RayCluster (the validating webhook on that update),
and notes why the rest waits.

Reported per run, and the median of the runs:
  - webhook latency p50/p99 as raygate measures it (raygate_http_request_duration_seconds of
    /mutate and /validate over the run, quantiles interpolated in the histogram's buckets as
    Prometheus' histogram_quantile does) and as the client sees it (create answered, which
    includes both webhook calls and the double's own work);
  - the time, after the last create, until every RayCluster's Workload is admitted or pending
    with its reason;
  - over-admission: the Workloads' every stored state, in order, from a watch
    (rgtest.WatchRecorder): the GPUs held by Workloads with QuotaReserved=True never pass the
    quota (0 states over);
  - CPU seconds of raygate and of the double (the double is Python: when it is the
    bottleneck, raygate's CPU per request is the figure to compare).
Needs a built raygate (RAYGATE_BIN, default build/raygate). Loopback only; bounded in count
and time (each run stops at most 300 s after its last create).
"""
import argparse
import concurrent.futures
import os
import re
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from admission_double import condition, cpu_seconds, pct, rgtest  # noqa: E402

KUEUE = "/apis/kueue.x-k8s.io/v1beta2"
RAY = "/apis/ray.io/v1/namespaces/default/rayclusters"
WEBHOOK_ROUTES = ("mutate", "validate")


def raycluster(i):
    def template(name, req):
        return {"spec": {"containers": [{"name": name, "image": "rayproject/ray:2.41.0",
                                         "resources": {"requests": req, "limits": req}}]}}
    return {"apiVersion": "ray.io/v1", "kind": "RayCluster",
            "metadata": {"name": "load-%04d" % i, "namespace": "default",
                         "labels": {"kueue.x-k8s.io/queue-name": "lq"}},
            "spec": {"headGroupSpec": {"rayStartParams": {},
                                       "template": template("ray-head", {"cpu": "1"})},
                     "workerGroupSpecs": [{"groupName": "gpu", "replicas": 1, "minReplicas": 1,
                                           "maxReplicas": 1, "rayStartParams": {},
                                           "template": template("ray-worker", {
                                               "cpu": "1", "nvidia.com/gpu": "1"})}]}}


def histogram(text, route):
    """{upper bound: cumulative count} of raygate_http_request_duration_seconds{endpoint=route}."""
    out = {}
    pat = (r'^raygate_http_request_duration_seconds_bucket\{endpoint="%s",le="([^"]+)"\} (\S+)$'
           % re.escape(route))
    for le, n in re.findall(pat, text, re.M):
        out[float("inf") if le == "+Inf" else float(le)] = float(n)
    return out


def histogram_quantile(q, buckets):
    """Prometheus' histogram_quantile over cumulative buckets {le: count}."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0
    if total == 0:
        return float("nan")
    rank = q * total
    prev_le, prev_n = 0.0, 0.0
    for le in bounds:
        n = buckets[le]
        if n >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * ((rank - prev_n) / (n - prev_n) if n > prev_n else 0)
        prev_le, prev_n = le, n
    return bounds[-1]


class Run:
    def __init__(self, args):
        self.args = args
        self.rg = rgtest.Raygate()
        certs, ca = rgtest.serving_certs(self.rg)
        resources = ["rayclusters.ray.io", "workloads.kueue.x-k8s.io"]
        self.double = rgtest.KubeDouble(
            "--history-window", "1000000",
            *rgtest.webhook_args("mutate", self.rg, ca, resources),
            *rgtest.webhook_args("validate", self.rg, ca, resources)).start()
        rgtest.attach(self.rg, self.double, certs, rgtest.leader_config(
            "rg-load", "log:\n  level: info\n"))
        self.rg.args = [a for a in self.rg.args if a not in ("--log-level", "debug")]
        self.rg.start()
        self.create_lat = []
        self.lock = threading.Lock()

    def stop(self):
        self.rg.stop()
        self.double.stop()
        self.rg.cleanup()

    def post(self, path, obj):
        status, out = self.double.request("POST", path, obj)
        if status != 201:
            raise RuntimeError("%s: %d %s" % (path, status, out))
        return out

    def setup(self):
        self.post(KUEUE + "/resourceflavors", {"apiVersion": "kueue.x-k8s.io/v1beta2",
                                               "kind": "ResourceFlavor",
                                               "metadata": {"name": "default-flavor"}})
        self.post(KUEUE + "/clusterqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue",
            "metadata": {"name": "gpu"},
            "spec": {"namespaceSelector": {}, "resourceGroups": [{
                "coveredResources": ["cpu", "nvidia.com/gpu"],
                "flavors": [{"name": "default-flavor", "resources": [
                    {"name": "cpu", "nominalQuota": 100000},
                    {"name": "nvidia.com/gpu", "nominalQuota": self.args.quota}]}]}]}})
        self.post(KUEUE + "/namespaces/default/localqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
            "metadata": {"name": "lq", "namespace": "default"}, "spec": {"clusterQueue": "gpu"}})
        deadline = time.time() + 20
        while self.rg.request("GET", "/readyz")[0] != 200 or "raygate_leader 1" not in \
                self.rg.request("GET", "/metrics")[2].decode():
            if time.time() > deadline:
                raise RuntimeError("raygate is not ready and leading:\n" + self.rg.logs()[-2000:])
            time.sleep(0.1)

    def create_one(self, i):
        t = time.time()
        self.post(RAY, raycluster(i))
        with self.lock:
            self.create_lat.append(time.time() - t)

    def create_paced(self):
        interval = 1.0 / self.args.rate
        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            futs = []
            for i in range(self.args.count):
                delay = start + i * interval - time.time()
                if delay > 0:
                    time.sleep(delay)
                futs.append(pool.submit(self.create_one, i))
            for f in futs:
                f.result()
        return start, time.time()

    def measure(self):
        self.setup()
        before = self.rg.request("GET", "/metrics")[2].decode()
        cpu0 = cpu_seconds(self.rg.proc.pid), cpu_seconds(self.double.proc.pid)
        rec = rgtest.WatchRecorder(self.double, KUEUE + "/workloads").start()
        t0, t_last = self.create_paced()
        decided_at, states = None, {}
        deadline = t_last + 300
        seen = 0
        while time.time() < deadline:
            events = rec.snapshot()
            for etype, obj in events[seen:]:
                states[obj["metadata"]["name"]] = obj
            seen = len(events)
            done = [w for w in states.values()
                    if (condition(w, "QuotaReserved") or {}).get("status") == "True"
                    or (condition(w, "QuotaReserved") or {}).get("message")]
            if len(done) >= self.args.count:
                decided_at = time.time()
                break
            time.sleep(0.02)
        rec.stop()
        after = self.rg.request("GET", "/metrics")[2].decode()
        cpu1 = cpu_seconds(self.rg.proc.pid), cpu_seconds(self.double.proc.pid)

        # Every stored state of every Workload, in the order the double stored them.
        held, worst, over = {}, 0, 0
        events = rec.snapshot()
        for etype, obj in events:
            key = obj["metadata"]["name"]
            if etype == "DELETED":
                held.pop(key, None)
            else:
                held[key] = rgtest.gpus_reserved(obj)
            total = sum(held.values())
            worst = max(worst, total)
            over += total > self.args.quota
        admitted = sum(1 for v in held.values() if v)
        lat = {}
        for route in WEBHOOK_ROUTES:
            b0, b1 = histogram(before, route), histogram(after, route)
            delta = {le: b1[le] - b0.get(le, 0) for le in b1}
            calls = delta.get(float("inf"), 0)
            lat[route] = (calls, histogram_quantile(0.5, delta), histogram_quantile(0.99, delta))
        return {
            "create_s": t_last - t0,
            "decided_s": (decided_at - t_last) if decided_at else float("nan"),
            "workloads": len(states), "admitted": admitted, "states": len(events),
            "relists": rec.relists, "peak_gpus": worst, "states_over": over,
            "client_p50": pct(self.create_lat, 50), "client_p99": pct(self.create_lat, 99),
            "webhooks": lat,
            "cpu_raygate": cpu1[0] - cpu0[0], "cpu_double": cpu1[1] - cpu0[1],
        }


def show(i, r, quota):
    print("run %s: %d RayClusters created in %.1f s; %d Workloads, %d admitted, the rest pending"
          % (i, len_or(r), r["create_s"], r["workloads"], r["admitted"]))
    for route, (calls, p50, p99) in r["webhooks"].items():
        print("  /%s (raygate's histogram): %d calls, p50 %.1f ms, p99 %.1f ms"
              % (route, calls, 1000 * p50, 1000 * p99))
    print("  create answered (client, both webhooks + the double): p50 %.1f ms, p99 %.1f ms"
          % (1000 * r["client_p50"], 1000 * r["client_p99"]))
    print("  every Workload admitted or pending with its reason %.2f s after the last create"
          % r["decided_s"])
    print("  over-admission: %d of %d stored states over %d GPUs (peak %d); %d re-lists"
          % (r["states_over"], r["states"], quota, r["peak_gpus"], r["relists"]))
    print("  CPU: raygate %.1f s, double %.1f s" % (r["cpu_raygate"], r["cpu_double"]))


def len_or(r):
    return r.get("count", 0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--rate", type=float, default=50)
    p.add_argument("--quota", type=int, default=200)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    results = []
    for i in range(args.runs):
        run = Run(args)
        try:
            r = run.measure()
        finally:
            run.stop()
        r["count"] = args.count
        show(i + 1, r, args.quota)
        results.append(r)
        if r["states_over"]:
            print("OVER-ADMISSION in run %d" % (i + 1))
    med = lambda f: statistics.median(f(r) for r in results)  # noqa: E731
    print("medians of %d runs:" % len(results))
    for route in WEBHOOK_ROUTES:
        print("  /%s p99 %.1f ms (p50 %.1f ms)" % (route, 1000 * med(lambda r: r["webhooks"][route][2]),
                                                 1000 * med(lambda r: r["webhooks"][route][1])))
    print("  client create p99 %.1f ms (p50 %.1f ms)" % (1000 * med(lambda r: r["client_p99"]),
                                                         1000 * med(lambda r: r["client_p50"])))
    print("  all decided %.2f s after the last create" % med(lambda r: r["decided_s"]))
    print("  CPU raygate %.1f s, double %.1f s" % (med(lambda r: r["cpu_raygate"]),
                                                   med(lambda r: r["cpu_double"])))
    print("  stored states over quota: %d in all runs" % sum(r["states_over"] for r in results))
    return 1 if any(r["states_over"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

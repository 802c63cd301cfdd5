#!/usr/bin/env python3
"""Quota admission through the API-server double (DESIGN.md §6).

  python3 bench/admission_double.py latency [--rate 100] [--count 3000]
  python3 bench/admission_double.py baseline [--count 15000] [--rate 100]

latency:  ample quota; Workloads created at --rate per second; create -> admitted
          p50/p99 (creation answered -> the admission seen on a watch).
baseline: Kueue's performance-test shape: 30 ClusterQueues in 10 cohorts of 3,
          Workloads of three sizes (small/medium/large, 70/20/10 %) created at --rate,
          each "running" for a while once admitted, then marked Finished by this
          script (as KubeRay+raygate would), so the queues drain; reports when every
          Workload had been admitted or was pending with a reason, measured from the
          last create, and the create -> admitted percentiles.

Both print raygate's and the double's CPU seconds, so the bottleneck shows.
Needs a built raygate (RAYGATE_BIN, default build/raygate).
"""
import argparse
import concurrent.futures
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "e2e"))
os.environ.setdefault("RAYGATE_BIN", os.path.join(SRC, "build", "raygate"))
os.environ.setdefault("RG_SOURCE_DIR", SRC)
import rgtest  # noqa: E402

KUEUE = "/apis/kueue.x-k8s.io/v1beta2"
SIZES = [("small", 0.7, 1, 1.0), ("medium", 0.2, 5, 2.0), ("large", 0.1, 20, 4.0)]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def condition(obj, type_):
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def workload(name, ns, size_cpu):
    return {
        "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "Workload",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"queueName": "lq", "podSets": [{
            "name": "main", "count": 1, "template": {"spec": {"containers": [
                {"name": "c", "image": "busybox",
                 "resources": {"requests": {"cpu": str(size_cpu)}}}]}}}]},
    }


class Bench:
    def __init__(self, args):
        self.args = args
        self.double = rgtest.KubeDouble("--history-window", "1000000").start()
        self.rg = rgtest.Raygate()
        cfg = os.path.join(self.rg.tmp, "raygate.yaml")
        with open(cfg, "w") as f:
            f.write("leaderElection:\n  namespace: default\n  leaseDurationSeconds: 15\n"
                    "admitter:\n  qps: 2000\n  burst: 4000\n  writers: 8\nlog:\n  level: info\n")
        self.rg.args = [a for a in self.rg.args if a not in ("--log-level", "debug")]
        self.rg.args += ["--kubeconfig", self.double.kubeconfig, "--config", cfg]
        self.rg.start()
        self.created = {}
        self.admitted = {}
        self.decided = set()
        self.lock = threading.Lock()

    def stop(self):
        self.rg.stop()
        self.double.stop()
        self.rg.cleanup()

    def setup_queues(self, nominal_cpu):
        for ns in range(30):
            name = "ns-%02d" % ns
            self.double.request("POST", "/api/v1/namespaces",
                                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
            self.double.request("POST", KUEUE + "/clusterqueues", {
                "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue",
                "metadata": {"name": "cq-%02d" % ns},
                "spec": {"cohortName": "cohort-%d" % (ns // 3), "namespaceSelector": {},
                         "resourceGroups": [{"coveredResources": ["cpu"], "flavors": [
                             {"name": "default-flavor", "resources": [
                                 {"name": "cpu", "nominalQuota": nominal_cpu}]}]}]}})
            self.double.request("POST", KUEUE + "/namespaces/%s/localqueues" % name, {
                "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
                "metadata": {"name": "lq", "namespace": name}, "spec": {"clusterQueue": "cq-%02d" % ns}})

    def on_event(self, etype, obj):
        """Watch callback: admissions and pending reasons."""
        if etype == "DELETED":
            return
        key = "%s/%s" % (obj["metadata"]["namespace"], obj["metadata"]["name"])
        qr = condition(obj, "QuotaReserved") or {}
        now = time.time()
        with self.lock:
            if qr.get("status") == "True" and key not in self.admitted:
                self.admitted[key] = now
            if (qr.get("status") == "True" or qr.get("message")) and key not in self.decided:
                self.decided.add(key)
                self.last_decided = now

    def watch(self, stop):
        rec = rgtest.WatchRecorder(self.double, "/apis/kueue.x-k8s.io/v1beta2/workloads").start()
        seen = 0
        while not stop.is_set():
            events = rec.snapshot()
            for etype, obj in events[seen:]:
                self.on_event(etype, obj)
            seen = len(events)
            time.sleep(0.01)
        rec.stop()
        for etype, obj in rec.snapshot()[seen:]:
            self.on_event(etype, obj)

    def create_paced(self, items, rate):
        interval = 1.0 / rate
        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            futs = []
            for i, (ns, name, cpu) in enumerate(items):
                delay = start + i * interval - time.time()
                if delay > 0:
                    time.sleep(delay)
                futs.append(pool.submit(self.create_one, ns, name, cpu))
            for f in futs:
                f.result()
        return time.time()

    def create_one(self, ns, name, cpu):
        status, out = self.double.request("POST", KUEUE + "/namespaces/%s/workloads" % ns,
                                          workload(name, ns, cpu))
        if status != 201:
            raise RuntimeError(out)
        with self.lock:
            self.created["%s/%s" % (ns, name)] = time.time()

    def runner(self, stop, run_for):
        """Marks admitted Workloads Finished after their running time, freeing quota
        (a JSON patch appending the condition, as a job controller would write it)."""
        finished = set()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            while not stop.is_set():
                now = time.time()
                with self.lock:
                    due = [k for k, t in self.admitted.items()
                           if k not in finished and now - t >= run_for.get(k, 1.0)]
                for key in due:
                    finished.add(key)
                    pool.submit(self.finish_one, key)
                time.sleep(0.05)

    def finish_one(self, key):
        ns, name = key.split("/")
        op = [{"op": "add", "path": "/status/conditions/-", "value": {
            "type": "Finished", "status": "True", "reason": "Succeeded", "message": "done",
            "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}}]
        self.double.request("PATCH", KUEUE + "/namespaces/%s/workloads/%s/status" % (ns, name),
                            op, "application/json-patch+json")

    def report(self, label, t_start, t_last_create):
        lat = [self.admitted[k] - self.created[k] for k in self.admitted if k in self.created]
        print("%s: %d created, %d admitted, %d decided" % (
            label, len(self.created), len(self.admitted), len(self.decided)))
        print("  create -> admitted: p50 %.3f s  p99 %.3f s  max %.3f s" % (
            pct(lat, 50), pct(lat, 99), max(lat) if lat else float("nan")))
        print("  creating took %.1f s; every Workload decided %.2f s after the last create" % (
            t_last_create - t_start, getattr(self, "last_decided", t_last_create) - t_last_create))
        text = self.rg.request("GET", "/metrics")[2].decode()
        import re as _re
        by = _re.findall(r'^raygate_admitter_writes_total\{purpose="([^"]+)",outcome="([^"]+)"\} (\S+)$',
                         text, _re.M)
        print("  admitter writes by purpose: " + ", ".join(
            "%s/%s %d" % (p, o, float(n)) for p, o, n in by))
        m = {k: float(v) for k, v in _re.findall(
            r"^(raygate_admitter_write_duration_seconds_(?:sum|count)) (\S+)$", text, _re.M)}
        if m.get("raygate_admitter_write_duration_seconds_count"):
            print("  admitter writes: %d, mean %.1f ms" % (
                m["raygate_admitter_write_duration_seconds_count"],
                1000 * m["raygate_admitter_write_duration_seconds_sum"] /
                m["raygate_admitter_write_duration_seconds_count"]))
        print("  CPU: raygate %.1f s, double %.1f s" % (
            cpu_seconds(self.rg.proc.pid), cpu_seconds(self.double.proc.pid)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["latency", "baseline"])
    p.add_argument("--count", type=int)
    p.add_argument("--rate", type=float, default=100)
    args = p.parse_args()
    b = Bench(args)
    stop = threading.Event()
    try:
        rnd = random.Random(1)
        if args.mode == "latency":
            count = args.count or 3000
            b.setup_queues(100000)
            items = [("ns-%02d" % (i % 30), "wl-%05d" % i, 1) for i in range(count)]
            run_for = {}
        else:
            count = args.count or 15000
            b.setup_queues(40)
            items, run_for = [], {}
            for i in range(count):
                r = rnd.random()
                acc = 0
                for name, share, cpu, secs in SIZES:
                    acc += share
                    if r <= acc:
                        break
                ns = "ns-%02d" % (i % 30)
                items.append((ns, "%s-%05d" % (name, i), cpu))
                run_for["%s/%s-%05d" % (ns, name, i)] = secs
        watcher = threading.Thread(target=b.watch, args=(stop,), daemon=True)
        watcher.start()
        runner = None
        if run_for:
            runner = threading.Thread(target=b.runner, args=(stop, run_for), daemon=True)
            runner.start()
        t0 = time.time()
        t_last = b.create_paced(items, args.rate)
        deadline = t_last + 300
        while time.time() < deadline:
            with b.lock:
                if len(b.decided) >= count and (args.mode == "latency" or len(b.admitted) >= count):
                    break
            time.sleep(0.1)
        stop.set()
        watcher.join(30)
        b.report(args.mode, t0, t_last)
    finally:
        stop.set()
        b.stop()


if __name__ == "__main__":
    main()

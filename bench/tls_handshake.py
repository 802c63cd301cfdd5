#!/usr/bin/env python3
"""raygate's CPU per webhook call on a new TLS connection against a kept one.

  python3 bench/tls_handshake.py [--count 1000] [--runs 5]

Starts raygate (a `raygate certs` ECDSA P-256 certificate, as the load runs use) and POSTs the
seed RayCluster's AdmissionReview (tests/fixtures/admission/raycluster-create-v1.json) to
/mutate --count times over a new TLS connection each (what the API-server double did before it
kept its webhook connections alive), then --count times over one kept connection (what
kube-apiserver does), reading raygate's CPU seconds from /proc around each phase. The
difference per call is what one TLS handshake costs raygate. Client and server share the
machine's cores, so this measures raygate's CPU, not latency.
Needs a built raygate (RAYGATE_BIN, default build/raygate). Loopback only.
"""
import argparse
import json
import os
import socket
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from admission_double import cpu_seconds, rgtest  # noqa: E402

FIXTURE = os.path.join(rgtest.SRC, "tests", "fixtures", "admission", "raycluster-create-v1.json")


def post(conn, body):
    conn.request("POST", "/mutate", body=body, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        raise RuntimeError("/mutate answered %d" % r.status)


def nodelay(conn):
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def measure(rg, body, count):
    """(CPU ms per call on new connections, CPU ms per call on one kept connection)."""
    c0 = cpu_seconds(rg.proc.pid)
    for _ in range(count):
        conn = nodelay(rg.conn())
        post(conn, body)
        conn.close()
    c1 = cpu_seconds(rg.proc.pid)
    conn = nodelay(rg.conn())
    for _ in range(count):
        post(conn, body)
    conn.close()
    c2 = cpu_seconds(rg.proc.pid)
    return 1000 * (c1 - c0) / count, 1000 * (c2 - c1) / count


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    with open(FIXTURE, "rb") as f:
        body = json.dumps(json.load(f), separators=(",", ":")).encode()
    rg = rgtest.Raygate()
    certs, ca = rgtest.serving_certs(rg)
    rg.args += ["--cert", os.path.join(certs, "tls.crt"), "--key", os.path.join(certs, "tls.key")]
    rg.args = [a for a in rg.args if a not in ("--log-level", "debug")]
    rg.ca_file = ca
    fresh, kept = [], []
    with rg:
        post(nodelay(rg.conn()), body)  # warm: caches, allocator
        for i in range(args.runs):
            f, k = measure(rg, body, args.count)
            fresh.append(f)
            kept.append(k)
            print("run %d: raygate CPU per /mutate call: new TLS connection %.2f ms, kept connection %.2f ms"
                  % (i + 1, f, k))
    rg.cleanup()
    print("median: new connection %.2f ms, kept %.2f ms: a handshake costs raygate %.2f ms of CPU"
          % (statistics.median(fresh), statistics.median(kept),
             statistics.median(fresh) - statistics.median(kept)))


if __name__ == "__main__":
    main()

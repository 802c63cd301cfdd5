"""raygate's status: the read-only page GET /status and its document /status.json, served by
raygate behind its TLS; `raygate status` reading a running raygate or a cluster through a
kubeconfig (tables and JSON, pending Workloads in queue order with reasons, gangs with the nodes
of their plan); `--probe`; and the page rendered by headless Chromium (Debian's chromium),
checked on its screenshot."""
import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
import zlib

import rgtest

KUEUE = "/apis/kueue.x-k8s.io/v1beta2"
CHROMIUM = shutil.which("chromium")
# The flags that work on these machines (no network beyond loopback, root, no GPU).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--hide-scrollbars"]
BAR_BLUE = (0x2f, 0x7d, 0xe1)
BAR_RED = (0xd6, 0x45, 0x3d)


def status_cli(*args, check=True):
    r = subprocess.run([rgtest.BIN, "status", *args], capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError("raygate status %s: %d\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r


def png_pixels(path):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB/RGBA PNG (what Chromium writes)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            w, h, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), (depth, color)
            bpp = 3 if color == 2 else 4
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        ft, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


class StatusServedTest(unittest.TestCase):
    """The standalone seed view (five ClusterQueues, one RayCluster waiting for GPUs)."""

    @classmethod
    def setUpClass(cls):
        cls.rg = rgtest.Raygate().start()
        # The admitter's first pass over the standalone manifests has written its reasons.
        settled = rgtest.wait_for(lambda: "insufficient unused quota" in cls.rg.request(
            "GET", "/status.json")[2].decode(), 20)
        assert settled, cls.rg.logs()[-3000:]

    @classmethod
    def tearDownClass(cls):
        rc = cls.rg.stop()
        cls.rg.cleanup()
        assert rc == 0, rc

    def test_page_is_self_contained_html(self):
        status, headers, body = self.rg.request("GET", "/status")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        html = body.decode()
        self.assertTrue(html.startswith("<!DOCTYPE html>"))
        for table in ('id="queues"', 'id="pending"', 'id="gangs"'):
            self.assertIn(table, html)
        self.assertIn("ray-cluster-queue", html)
        self.assertIn("insufficient unused quota for nvidia.com/gpu", html)
        self.assertIn("RayCluster/ai-training-cluster", html)
        # No scripts, no external assets: nothing to load but the page itself.
        self.assertNotIn("<script", html)
        for attr in ("src=", "http://", "https://", "@import", "url("):
            self.assertNotIn(attr, html)
        # Read-only: the route answers GET only.
        self.assertEqual(self.rg.request("POST", "/status", b"{}")[0], 405)

    def test_cli_reads_the_running_raygate(self):
        url = "https://127.0.0.1:%d" % self.rg.port

        def comparable(doc):
            doc.pop("generated")
            for p in doc["pending"]:
                p.pop("ageSeconds")
            return doc

        def same():
            """The CLI's document and the served one, when no status write fell between."""
            doc = comparable(json.loads(
                status_cli("--server", url, "--ca", self.rg.ca_file, "-o", "json").stdout))
            served = comparable(json.loads(self.rg.request("GET", "/status.json")[2]))
            return (doc, served) if doc == served else None
        pair = rgtest.wait_for(same, 10, 0.2)
        self.assertIsNotNone(pair, "the CLI's document never matched the served one")
        doc = pair[0]
        rq = next(q for q in doc["clusterQueues"] if q["name"] == "ray-cluster-queue")
        gpu = next(r for r in rq["resources"] if r["resource"] == "nvidia.com/gpu")
        self.assertEqual((gpu["flavor"], gpu["nominal"]), ("default-flavor", "32"))
        table = status_cli("--server", url, "--ca", self.rg.ca_file).stdout
        self.assertIn("CLUSTER QUEUES", table)
        self.assertRegex(table, r"default-flavor/nvidia\.com/gpu\s+\[#+-+\]\s+\d+%\s+\d+ / 32")
        self.assertIn("PENDING WORKLOADS (queue order)", table)
        # --probe: the container check of the loopback-only extender sidecar.
        self.assertEqual(status_cli("--server", url, "--ca", self.rg.ca_file, "--probe", "readyz").returncode, 0)
        dead = status_cli("--server", "https://127.0.0.1:%d" % rgtest.free_port(), "--probe",
                          "healthz", check=False)
        self.assertEqual(dead.returncode, 1)
        self.assertEqual(dead.stdout, "")
        for bad in (["--probe", "healthz"], ["--server", url, "--kubeconfig", "x"],
                    ["-o", "yaml"], ["--server", url, "--probe", "metrics"], ["extra"]):
            self.assertEqual(status_cli(*bad, check=False).returncode, 2, bad)

    @unittest.skipUnless(CHROMIUM, "chromium is not installed (scripts/deps.sh installs it)")
    def test_page_renders_in_headless_chromium(self):
        tmp = tempfile.mkdtemp(prefix="rg-chromium-")
        self.addCleanup(shutil.rmtree, tmp, True)
        shot = os.path.join(tmp, "status.png")
        r = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, "--user-data-dir=" + os.path.join(tmp, "p"),
                            "--ignore-certificate-errors", "--window-size=1280,1000",
                            "--screenshot=" + shot, "https://127.0.0.1:%d/status" % self.rg.port],
                           capture_output=True, text=True, timeout=120)
        self.assertTrue(os.path.exists(shot), r.stderr[-2000:])
        w, h, rows = png_pixels(shot)
        self.assertEqual((w, h), (1280, 1000))
        colors = {}
        for row in rows:
            for px in row:
                colors[px] = colors.get(px, 0) + 1
        # Rendered, not blank: mostly white page, dark text, and the usage bars in their blue.
        self.assertGreater(colors.get((255, 255, 255), 0), w * h // 2)
        self.assertGreater(sum(n for px, n in colors.items() if max(px) < 80), 2000, "no text")
        blue = colors.get(BAR_BLUE, 0)
        self.assertGreater(blue, 500, "no usage bar drawn")
        # The bar of ray-cluster-queue's GPUs (28% of 160 px) is the longest blue run but one:
        # bars are as long as the usage they show.
        runs = sorted((max_run(row, BAR_BLUE) for row in rows), reverse=True)
        self.assertTrue(35 <= runs[0] <= 50, runs[:5])


def max_run(row, color):
    best = cur = 0
    for px in row:
        cur = cur + 1 if px == color else 0
        best = max(best, cur)
    return best


class StatusFromClusterTest(unittest.TestCase):
    """`raygate status --kubeconfig`: the objects as the API server has them."""

    @classmethod
    def setUpClass(cls):
        cls.double = rgtest.KubeDouble().start()
        post = cls.post
        post(KUEUE + "/clusterqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue",
            "metadata": {"name": "gpu-cq"},
            "spec": {"namespaceSelector": {}, "cohortName": "org", "resourceGroups": [{
                "coveredResources": ["nvidia.com/gpu"], "flavors": [{"name": "a100", "resources": [
                    {"name": "nvidia.com/gpu", "nominalQuota": 8}]}]}]}})
        cq = cls.get(KUEUE + "/clusterqueues/gpu-cq")
        cq["status"] = {"pendingWorkloads": 2, "admittedWorkloads": 1, "reservingWorkloads": 1,
                        "flavorsReservation": [{"name": "a100", "resources": [
                            {"name": "nvidia.com/gpu", "total": "8", "borrowed": "0"}]}],
                        "flavorsUsage": [{"name": "a100", "resources": [
                            {"name": "nvidia.com/gpu", "total": "8", "borrowed": "0"}]}]}
        cls.put(KUEUE + "/clusterqueues/gpu-cq/status", cq)
        post(KUEUE + "/namespaces/default/localqueues", {
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
            "metadata": {"name": "q", "namespace": "default"}, "spec": {"clusterQueue": "gpu-cq"}})
        plan = ('{"v":1,"podSets":[{"name":"head","nodes":{"gpu-a":1}},'
                '{"name":"workers","nodes":{"gpu-a":1,"gpu-b":2}}]}')
        cls.workload("running", 0, plan=plan, admitted=True)
        cls.workload("low", 10, waiting="Pending: 8 more nvidia.com/gpu needed")
        cls.workload("high", 100, waiting="Pending: 8 more nvidia.com/gpu needed")

    @classmethod
    def tearDownClass(cls):
        cls.double.stop()

    @classmethod
    def post(cls, path, obj):
        status, out = cls.double.request("POST", path, obj)
        assert status == 201, (path, status, out)
        return out

    @classmethod
    def put(cls, path, obj):
        status, out = cls.double.request("PUT", path, obj)
        assert status == 200, (path, status, out)
        return out

    @classmethod
    def get(cls, path):
        return cls.double.request("GET", path)[1]

    @classmethod
    def workload(cls, name, priority, plan=None, admitted=False, waiting=None):
        path = KUEUE + "/namespaces/default/workloads"
        template = {"spec": {"containers": [{"name": "c", "image": "x"}]}}
        meta = {"name": name, "namespace": "default"}
        if plan:
            meta["annotations"] = {"raygate.dev/placement": plan}
        w = cls.post(path, {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "Workload",
                            "metadata": meta,
                            "spec": {"queueName": "q", "priority": priority, "podSets": [
                                {"name": "head", "count": 1, "template": template},
                                {"name": "workers", "count": 3, "template": template}]}})
        now = "2026-01-01T00:00:00Z"
        if admitted:
            w["status"] = {"admission": {"clusterQueue": "gpu-cq", "podSetAssignments": [
                {"name": "head", "count": 1, "flavors": {"nvidia.com/gpu": "a100"}},
                {"name": "workers", "count": 3, "flavors": {"nvidia.com/gpu": "a100"}}]},
                "conditions": [{"type": t, "status": "True", "reason": t, "message": t,
                                "lastTransitionTime": now} for t in ("QuotaReserved", "Admitted")]}
        else:
            w["status"] = {"conditions": [{"type": "QuotaReserved", "status": "False",
                                           "reason": "Pending", "message": waiting,
                                           "lastTransitionTime": now}]}
        cls.put(path + "/" + name + "/status", w)

    def test_tables_and_json_from_the_api(self):
        doc = json.loads(status_cli("--kubeconfig", self.double.kubeconfig, "-o", "json").stdout)
        cq = doc["clusterQueues"][0]
        self.assertEqual((cq["name"], cq["cohort"], cq["pending"]), ("gpu-cq", "org", 2))
        self.assertEqual(cq["resources"][0]["fraction"], 1.0)
        # Queue order: the higher priority first, whatever the creation order.
        self.assertEqual([(p["position"], p["name"]) for p in doc["pending"]],
                         [(1, "high"), (2, "low")])
        self.assertEqual(doc["pending"][0]["message"], "Pending: 8 more nvidia.com/gpu needed")
        gang = doc["gangs"][0]
        self.assertEqual(gang["name"], "running")
        self.assertEqual([(p["name"], p["nodes"]) for p in gang["podSets"]],
                         [("head", {"gpu-a": 1}), ("workers", {"gpu-a": 1, "gpu-b": 2})])
        table = status_cli("--kubeconfig", self.double.kubeconfig).stdout
        self.assertIn("[####################] 100%  8 / 8", table)
        self.assertIn("gpu-a:1 gpu-b:2", table)
        self.assertRegex(table, r"1\s+gpu-cq\s+default/high\s+100")
        missing = status_cli("--kubeconfig", "/nonexistent", check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("/nonexistent", missing.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)

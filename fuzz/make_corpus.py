#!/usr/bin/env python3
"""Builds fuzz/corpus/<target>/ seed files from tests/fixtures and the seed
manifests: each input is small, minified, and named after its source.
Run from anywhere: python3 fuzz/make_corpus.py (rerun after fixtures change)."""
import glob
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")

PLURAL = {"ClusterQueue": "clusterqueues", "LocalQueue": "localqueues", "Queue": "queues",
          "ResourceFlavor": "resourceflavors", "Workload": "workloads",
          "WorkloadPriorityClass": "workloadpriorityclasses", "PriorityClass": "priorityclasses",
          "RayCluster": "rayclusters", "RayJob": "rayjobs", "Cohort": "cohorts"}


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def mini(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=False)


def objects():
    """Every Kubernetes object among the JSON fixtures, by file name."""
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/**/*.json"), recursive=True)):
        try:
            with open(path) as f:
                obj = json.load(f)
        except (ValueError, OSError):
            continue
        if isinstance(obj, dict) and "apiVersion" in obj and "kind" in obj \
                and obj["kind"] not in ("AdmissionReview", "ConversionReview"):
            yield os.path.relpath(path, os.path.join(ROOT, "tests/fixtures")), obj


def review(obj, op, old=None, version="admission.k8s.io/v1", sub=None):
    group, _, ver = obj["apiVersion"].rpartition("/")
    meta = obj.get("metadata") or {}
    gvk = {"group": group, "version": ver, "kind": obj["kind"]}
    gvr = {"group": group, "version": ver, "resource": PLURAL.get(obj["kind"], "things")}
    req = {"uid": "5e0f3c4d-aaaa-4bbb-8ccc-ddddeeeeffff", "kind": gvk, "resource": gvr,
           "name": meta.get("name", ""), "namespace": meta.get("namespace", ""),
           "operation": op, "userInfo": {"username": "fuzz", "groups": ["system:authenticated"]},
           "object": obj, "oldObject": old, "dryRun": False}
    if sub:
        req["subResource"] = sub
    return {"apiVersion": version, "kind": "AdmissionReview", "request": req}


def main():
    # Admission: the decoder fixtures as they are, then every object as a
    # CREATE and as an UPDATE of itself (status too for Workloads).
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/admission/*.json"))):
        with open(path) as f:
            write("fuzz_admission", os.path.basename(path), mini(json.load(f)))
    for name, obj in objects():
        base = name.replace("/", "_")[:-5]
        write("fuzz_admission", base + "-create.json", mini(review(obj, "CREATE")))
        write("fuzz_admission", base + "-update.json", mini(review(obj, "UPDATE", old=obj)))
        if obj["kind"] == "Workload":
            write("fuzz_admission", base + "-status.json",
                  mini(review(obj, "UPDATE", old=obj, sub="status",
                              version="admission.k8s.io/v1beta1")))

    # Quantity: the texts the issue and the fixtures name, good and bad.
    qty = ["0", "1", "-1", "+1", "0.5", ".5", "1.5Gi", "100m", "1n", "0.1n", "-3.001n", "1u",
           "12M", "1k", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei", "1E", "1P", "1T", "1G",
           "1e3", "1E-3", "1e-9", "1.5e10", "9999999999999999999999999999", "1e1000",
           "1.5.5", "Gi", " 1", "1 Gi", "1Gib", "", "5Gi", "1536Mi", "1500m", "0.001",
           "123456789012345678901234567", "-0", "1.", "1e", "1e+3", "0x10"]
    with open(os.path.join(ROOT, "tests/fixtures/quantity/resources.json")) as f:
        for section in json.load(f).values():
            for v in section.values():
                if isinstance(v, str):
                    qty.append(v)
    for i, q in enumerate(dict.fromkeys(qty)):
        write("fuzz_quantity", "q%02d" % i, q)

    # YAML: the seed manifests and the config fixtures.
    for path in sorted(glob.glob(os.path.join(ROOT, "manifests/examples/seed/**/*.yaml"),
                                 recursive=True)):
        with open(path, "rb") as f:
            write("fuzz_yaml", os.path.basename(path), f.read())
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/config/*.yaml"))):
        with open(path, "rb") as f:
            write("fuzz_yaml", "config-" + os.path.basename(path), f.read())

    # Convert: the review fixtures, then each Kueue object toward both versions.
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/convert/review-*.json"))):
        with open(path) as f:
            write("fuzz_convert", os.path.basename(path), mini(json.load(f)))
    for name, obj in objects():
        if not obj["apiVersion"].startswith("kueue.x-k8s.io/"):
            continue
        for want in ("kueue.x-k8s.io/v1beta1", "kueue.x-k8s.io/v1beta2"):
            rv = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
                  "request": {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
                              "desiredAPIVersion": want, "objects": [obj]}}
            write("fuzz_convert", "%s-to-%s.json" % (name.replace("/", "_")[:-5], want[-7:]),
                  mini(rv))

    # Extender: the request fixtures as kube-scheduler sends them.
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/extender/*.json"))):
        with open(path) as f:
            write("fuzz_extender", os.path.basename(path), mini(json.load(f)))


if __name__ == "__main__":
    main()

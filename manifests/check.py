#!/usr/bin/env python3
"""Static checks of the manifests/ tree: every YAML file parses (all documents), the seed
examples hold only the Kueue/Ray objects raygate handles with the namespace rules the docs
promise, and the deploy files keep the shape docs/manifests.md describes.

Usage: python3 manifests/check.py [manifests-dir]   (needs python3-yaml; exits 1 on a problem)
"""
import glob
import os
import sys

try:
    import yaml
except ImportError:  # The check is worthless without a YAML parser: say how to get one.
    sys.exit("check.py: PyYAML missing (apt-get install -y python3-yaml)")

# Kinds a loader of manifests/examples/seed/*.yaml may meet, and whether they are namespaced.
# Queue and kueue.x-k8s.io PriorityClass are the seed's shorthands (DESIGN.md section 2).
SEED_KINDS = {
    ("kueue.x-k8s.io/v1beta1", "Queue"): True,
    ("kueue.x-k8s.io/v1beta1", "LocalQueue"): True,
    ("kueue.x-k8s.io/v1beta1", "Workload"): True,
    ("kueue.x-k8s.io/v1beta1", "ClusterQueue"): False,
    ("kueue.x-k8s.io/v1beta1", "ResourceFlavor"): False,
    ("kueue.x-k8s.io/v1beta1", "PriorityClass"): False,
    ("kueue.x-k8s.io/v1beta1", "WorkloadPriorityClass"): False,
    ("ray.io/v1", "RayCluster"): True,
    ("ray.io/v1", "RayJob"): True,
}

# Field names of kubescheduler.config.k8s.io/v1 Extender and ExtenderTLSConfig.
EXTENDER_FIELDS = {
    "urlPrefix", "filterVerb", "preemptVerb", "prioritizeVerb", "weight", "bindVerb",
    "enableHTTPS", "tlsConfig", "httpTimeout", "nodeCacheCapable", "managedResources",
    "ignorable",
}
TLS_FIELDS = {"insecure", "serverName", "certFile", "keyFile", "caFile", "certData",
              "keyData", "caData"}

problems = []


def problem(path, msg):
    problems.append(f"{path}: {msg}")


def load_all(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        problem(path, f"does not parse: {e}")
        return []


def check_seed(root):
    seed = os.path.join(root, "examples", "seed")
    for path in sorted(glob.glob(os.path.join(seed, "*.yaml"))):
        docs = load_all(path)
        if not docs:
            problem(path, "no documents")
        for d in docs:
            key = (d.get("apiVersion"), d.get("kind"))
            meta = d.get("metadata") or {}
            if key not in SEED_KINDS:
                problem(path, f"{key} is not a Kueue/Ray kind raygate handles; move it to other/")
                continue
            if not meta.get("name"):
                problem(path, "metadata.name missing")
            # The article names no namespace: namespaced objects go to `default` as kubectl
            # would, and cluster-scoped ones must never carry one.
            if "namespace" in meta:
                problem(path, f"{d['kind']} {meta.get('name')} has a namespace field")
    for path in sorted(glob.glob(os.path.join(seed, "fragments", "*.yaml"))):
        for d in load_all(path):
            if "kind" in d:
                problem(path, "a fragment should not be a whole object")
    for path in sorted(glob.glob(os.path.join(seed, "other", "*.yaml"))):
        load_all(path)


def check_webhooks(path):
    for d in load_all(path):
        for w in d.get("webhooks", []):
            scopes = {r.get("scope") for r in w.get("rules", [])}
            if len(scopes) != 1 or None in scopes:
                problem(path, f"{w['name']}: rules must share one explicit scope")
                continue
            has_sel = "namespaceSelector" in w
            if scopes == {"Namespaced"} and not has_sel:
                problem(path, f"{w['name']}: namespaced webhook without namespaceSelector")
            if scopes == {"Cluster"} and has_sel:
                problem(path, f"{w['name']}: namespaceSelector on a cluster-scoped webhook")
            if w.get("clientConfig", {}).get("caBundle") != "${CA_BUNDLE}":
                problem(path, f"{w['name']}: caBundle placeholder missing")
            if w.get("sideEffects") != "None" or w.get("failurePolicy") != "Fail":
                problem(path, f"{w['name']}: sideEffects None and failurePolicy Fail expected")


def check_scheduler(path):
    for d in load_all(path):
        if d.get("apiVersion") != "kubescheduler.config.k8s.io/v1":
            problem(path, "apiVersion must be kubescheduler.config.k8s.io/v1")
        for e in d.get("extenders", []):
            for k in set(e) - EXTENDER_FIELDS:
                problem(path, f"unknown Extender field {k!r}")
            for k in set(e.get("tlsConfig") or {}) - TLS_FIELDS:
                problem(path, f"unknown ExtenderTLSConfig field {k!r}")


def check_deploy(root):
    deploy = os.path.join(root, "deploy")
    for path in sorted(glob.glob(os.path.join(deploy, "**", "*.yaml"), recursive=True)):
        docs = load_all(path)
        for d in docs:
            if d.get("kind") == "ConfigMap":
                for key, text in (d.get("data") or {}).items():
                    if key.endswith(".yaml"):
                        try:
                            yaml.safe_load(text)
                        except yaml.YAMLError as e:
                            problem(path, f"ConfigMap key {key} does not parse: {e}")
    check_webhooks(os.path.join(deploy, "webhooks.yaml"))
    check_scheduler(os.path.join(deploy, "scheduler", "kube-scheduler-config.yaml"))
    kust = load_all(os.path.join(deploy, "kustomization.yaml"))
    for d in kust:
        for r in d.get("resources", []):
            if not os.path.exists(os.path.join(deploy, r)):
                problem("kustomization.yaml", f"lists missing file {r}")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    files = sorted(glob.glob(os.path.join(root, "**", "*.yaml"), recursive=True))
    for path in files:
        load_all(path)
    check_seed(root)
    check_deploy(root)
    problems[:] = list(dict.fromkeys(problems))  # files are loaded more than once
    for p in problems:
        print(p, file=sys.stderr)
    print(f"check.py: {len(files)} YAML files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

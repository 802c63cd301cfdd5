#!/usr/bin/env python3
"""Checks manifests/ as CI runs it (ctest manifests.check):

- every kustomization renders with every kubectl at hand (the one on PATH, and Debian's 1.20,
  whose kustomize v2.0.3 is the oldest supported: scripts/deps.sh unpacks it beside the other),
  and all render the same objects;
- `kubectl kustomize manifests/deploy` renders exactly the objects docs/install.md lists;
- the rules docs/install.md states: RBAC without wildcards; webhooks for one scope each, with
  sideEffects None, matchPolicy Equivalent, a timeout, a failurePolicy, no caBundle (injected),
  kube-system and raygate-system kept out of the namespaced ones; every container hardened
  (non-root, read-only root, no privilege escalation, capabilities dropped, RuntimeDefault
  seccomp, requests and limits), a PDB per Deployment, raygate's probes on /healthz and /readyz;
  the KubeSchedulerConfiguration calls the sidecar's address with the extender's settings;
- the seed examples keep their form, and the seed overlay replaces exactly the shorthand kinds.

Usage: python3 manifests/check.py    (exits 1 with one line per problem)
"""
import glob
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(ROOT, "..", "tests", "apiserver"))
import kyaml  # noqa: E402

KUBECTL_120 = "/opt/raygate-deps/kubernetes-client/usr/bin/kubectl"
KUSTOMIZATIONS = ["deploy", "crds", "overlays/cert-manager", "overlays/seed", "monitoring"]
EXCLUDED_NS = {"kube-system", "raygate-system"}
EXTENDER_FIELDS = {"urlPrefix", "filterVerb", "preemptVerb", "prioritizeVerb", "weight", "bindVerb",
                   "enableHTTPS", "tlsConfig", "httpTimeout", "nodeCacheCapable", "managedResources",
                   "ignorable"}
SEED_KINDS = {("kueue.x-k8s.io/v1beta1", k) for k in (
    "Queue", "LocalQueue", "Workload", "ClusterQueue", "ResourceFlavor", "PriorityClass",
    "WorkloadPriorityClass")} | {("ray.io/v1", "RayCluster"), ("ray.io/v1", "RayJob")}

problems = []


def problem(where, msg):
    problems.append("%s: %s" % (where, msg))


def kubectls():
    found = []
    for k in (os.environ.get("KUBECTL"), shutil.which("kubectl"), os.environ.get("KUBECTL_120"),
              KUBECTL_120):
        if k and os.path.exists(k) and os.path.realpath(k) not in [os.path.realpath(x) for x in found]:
            found.append(k)
    return found


def render(kubectl, path):
    r = subprocess.run([kubectl, "kustomize", os.path.join(ROOT, path)], capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        problem(path, "%s kustomize failed: %s" % (kubectl, r.stderr.strip()))
        return None
    return kyaml.load_all(r.stdout)


def key(o):
    m = o.get("metadata", {})
    return (o.get("kind"), m.get("namespace", ""), m.get("name"))


def documented_objects():
    """The table of docs/install.md under 'What manifests/deploy renders'."""
    with open(os.path.join(ROOT, "..", "docs", "install.md")) as f:
        text = f.read()
    sect = re.split(r"^## [0-9. ]*What `kubectl kustomize manifests/deploy` renders$", text, 1,
                    flags=re.M)
    if len(sect) < 2:
        problem("docs/install.md", "no section 'What `kubectl kustomize manifests/deploy` renders'")
        return set()
    rows = re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", sect[1].split("\n## ", 1)[0], re.M)
    out = set()
    for kind, ref in rows:
        ns, _, name = ref.rpartition("/")
        out.add((kind, ns, name))
    return out


def check_rbac(objs):
    for o in objs:
        if o["kind"] not in ("ClusterRole", "Role"):
            continue
        for rule in o.get("rules", []):
            if rule.get("nonResourceURLs"):
                problem(key(o), "nonResourceURLs granted")
            for f in ("apiGroups", "resources", "verbs", "resourceNames"):
                if "*" in (rule.get(f) or []):
                    problem(key(o), "wildcard in %s: %s" % (f, rule))


def check_webhooks(objs):
    for o in objs:
        if o["kind"] not in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
            continue
        for w in o.get("webhooks", []):
            where = "%s %s" % (o["metadata"]["name"], w["name"])
            scopes = {r.get("scope") for r in w.get("rules", [])}
            if len(scopes) != 1 or None in scopes or "*" in scopes:
                problem(where, "rules must share one explicit scope, got %s" % scopes)
            exprs = (w.get("namespaceSelector") or {}).get("matchExpressions", [])
            kept_out = {v for e in exprs if e.get("key") == "kubernetes.io/metadata.name"
                        and e.get("operator") == "NotIn" for v in e.get("values", [])}
            if scopes == {"Namespaced"} and kept_out != EXCLUDED_NS:
                problem(where, "namespaced webhook must keep out exactly %s" % sorted(EXCLUDED_NS))
            if scopes == {"Cluster"} and "namespaceSelector" in w:
                problem(where, "namespaceSelector on a cluster-scoped webhook does nothing")
            cc = w.get("clientConfig", {})
            if "caBundle" in cc:
                problem(where, "caBundle must be injected, not written in the manifest")
            if cc.get("service", {}).get("name") != "raygate" or \
                    cc.get("service", {}).get("namespace") != "raygate-system":
                problem(where, "must call Service raygate-system/raygate")
            for f, want in (("sideEffects", "None"), ("matchPolicy", "Equivalent")):
                if w.get(f) != want:
                    problem(where, "%s must be %s" % (f, want))
            if w.get("failurePolicy") not in ("Fail", "Ignore") or not w.get("timeoutSeconds"):
                problem(where, "failurePolicy and timeoutSeconds must be explicit")
            if "v1" not in w.get("admissionReviewVersions", []):
                problem(where, "admissionReviewVersions must include v1")
            for r in w.get("rules", []):
                if "*" in r.get("resources", []) + r.get("apiGroups", []) + r.get("apiVersions", []):
                    problem(where, "wildcard rule %s" % r)


def pod_spec(o):
    return o["spec"]["template"]["spec"]


def check_workloads(objs):
    deployments = [o for o in objs if o["kind"] == "Deployment"]
    pdbs = [o for o in objs if o["kind"] == "PodDisruptionBudget"]
    for d in deployments:
        where = key(d)
        spec = pod_spec(d)
        labels = d["spec"]["template"]["metadata"]["labels"]
        if not any(all(labels.get(k) == v for k, v in p["spec"]["selector"]["matchLabels"].items())
                   for p in pdbs):
            problem(where, "no PodDisruptionBudget selects it")
        if d["spec"].get("replicas", 1) < 2:
            problem(where, "fewer than 2 replicas")
        if not spec.get("affinity", {}).get("podAntiAffinity"):
            problem(where, "no podAntiAffinity")
        psc = spec.get("securityContext", {})
        for c in spec["containers"]:
            cw = "%s container %s" % (where, c["name"])
            sc = c.get("securityContext", {})
            if sc.get("allowPrivilegeEscalation") is not False:
                problem(cw, "allowPrivilegeEscalation must be false")
            if sc.get("readOnlyRootFilesystem") is not True:
                problem(cw, "readOnlyRootFilesystem must be true")
            if not (sc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
                problem(cw, "runAsNonRoot must be true")
            if sc.get("capabilities", {}).get("drop") != ["ALL"]:
                problem(cw, "capabilities must drop ALL")
            seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
            if seccomp != "RuntimeDefault":
                problem(cw, "seccompProfile must be RuntimeDefault")
            res = c.get("resources", {})
            if not res.get("requests") or not res.get("limits"):
                problem(cw, "resources requests and limits must be set")
            if not c.get("livenessProbe") or not (c.get("readinessProbe") or c.get("startupProbe")):
                problem(cw, "probes missing")
        if d["metadata"]["name"] == "raygate":
            c = spec["containers"][0]
            if c["readinessProbe"]["httpGet"]["path"] != "/readyz" or \
                    c["livenessProbe"]["httpGet"]["path"] != "/healthz":
                problem(where, "raygate's probes must be /readyz (readiness) and /healthz (liveness)")


def check_scheduler(objs):
    cms = {o["metadata"]["name"]: o for o in objs if o["kind"] == "ConfigMap"}
    cm = cms.get("raygate-scheduler-config")
    if cm is None:
        problem("deploy", "ConfigMap raygate-scheduler-config missing")
        return
    ksc = kyaml.load(cm["data"]["kube-scheduler-config.yaml"])
    side = kyaml.load(cm["data"]["raygate-extender.yaml"])
    if ksc.get("apiVersion") != "kubescheduler.config.k8s.io/v1" or \
            ksc.get("kind") != "KubeSchedulerConfiguration":
        problem("kube-scheduler-config.yaml", "not a kubescheduler.config.k8s.io/v1 "
                "KubeSchedulerConfiguration")
    if ksc.get("percentageOfNodesToScore") != 100:
        problem("kube-scheduler-config.yaml", "percentageOfNodesToScore must be 100")
    ext = (ksc.get("extenders") or [{}])[0]
    for k in set(ext) - EXTENDER_FIELDS:
        problem("kube-scheduler-config.yaml", "unknown Extender field %r" % k)
    want = {"filterVerb": "filter", "prioritizeVerb": "prioritize", "bindVerb": "bind",
            "preemptVerb": "preempt", "nodeCacheCapable": True, "enableHTTPS": True}
    for k, v in want.items():
        if ext.get(k) != v:
            problem("kube-scheduler-config.yaml", "%s must be %r" % (k, v))
    if not ext.get("httpTimeout") or not ext.get("weight"):
        problem("kube-scheduler-config.yaml", "httpTimeout and weight must be set")
    listen = side.get("server", {}).get("listen")
    if ext.get("urlPrefix") != "https://%s/scheduler" % listen:
        problem("kube-scheduler-config.yaml", "urlPrefix %s is not the sidecar's listen address %s"
                % (ext.get("urlPrefix"), listen))
    if side.get("leaderElection", {}).get("enabled") is not False:
        problem("raygate-extender.yaml", "the sidecar must not lead (leaderElection.enabled false)")
    profiles = [p.get("schedulerName") for p in ksc.get("profiles", [])]
    if profiles != ["raygate-scheduler"]:
        problem("kube-scheduler-config.yaml", "one profile raygate-scheduler expected")


def check_seed_examples():
    seed = os.path.join(ROOT, "examples", "seed")
    for path in sorted(glob.glob(os.path.join(seed, "*.yaml"))):
        with open(path) as f:
            docs = kyaml.load_all(f.read())
        for d in docs:
            if (d.get("apiVersion"), d.get("kind")) not in SEED_KINDS:
                problem(path, "%s/%s is not a kind raygate handles; move it to other/" %
                        (d.get("apiVersion"), d.get("kind")))
            if "namespace" in d.get("metadata", {}):
                problem(path, "the article names no namespace")


def check_overlays(rendered):
    seed = rendered.get("overlays/seed") or []
    kinds = {o["kind"] for o in seed}
    if kinds & {"Queue", "PriorityClass"}:
        problem("overlays/seed", "still holds a shorthand kind no CRD serves")
    names = {(o["kind"], o["metadata"]["name"]) for o in seed}
    for want in (("LocalQueue", "ai-queue"), ("LocalQueue", "ray-queue"),
                 ("WorkloadPriorityClass", "ai-high-priority"),
                 ("WorkloadPriorityClass", "ai-normal-priority")):
        if want not in names:
            problem("overlays/seed", "missing %s %s" % want)
    for o in rendered.get("overlays/cert-manager") or []:
        if o["kind"].endswith("WebhookConfiguration") and \
                "cert-manager.io/inject-ca-from" not in o["metadata"].get("annotations", {}):
            problem("overlays/cert-manager", "%s not annotated for the cainjector" % key(o))


def main():
    ks = kubectls()
    if not ks:
        print("check.py: no kubectl; install it (scripts/deps.sh)", file=sys.stderr)
        return 1
    rendered = {}
    for path in KUSTOMIZATIONS:
        outs = [(k, render(k, path)) for k in ks]
        outs = [(k, o) for k, o in outs if o is not None]
        if not outs:
            continue
        base = sorted((key(o), o) for o in outs[0][1])
        for k, o in outs[1:]:
            if sorted((key(x), x) for x in o) != base:
                problem(path, "%s and %s render different objects" % (outs[0][0], k))
        rendered[path] = outs[0][1]
    deploy = rendered.get("deploy") or []
    documented = documented_objects()
    got = {key(o) for o in deploy}
    for k in sorted(got - documented, key=str):
        problem("docs/install.md", "does not list %s %s/%s that manifests/deploy renders" % k)
    for k in sorted(documented - got, key=str):
        problem("docs/install.md", "lists %s %s/%s that manifests/deploy does not render" % k)
    for path in ("deploy", "overlays/cert-manager"):
        check_rbac(rendered.get(path) or [])
        check_webhooks(rendered.get(path) or [])
        check_workloads(rendered.get(path) or [])
    check_scheduler(deploy)
    check_seed_examples()
    check_overlays(rendered)
    for p in problems:
        print(p, file=sys.stderr)
    print("check.py: %d kustomizations rendered with %s; %d problems" % (
        len(rendered), ", ".join(ks), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

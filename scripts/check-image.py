#!/usr/bin/env python3
"""Checks the Dockerfile without a Docker engine (there is none on the dev machines or CI):

- it parses (continuations, comments, JSON-form instructions) into exactly two stages, a
  Debian bookworm build stage and a bookworm-slim runtime stage;
- the runtime stage runs as a non-root numeric uid, starts `raygate serve` by default, copies
  only the binary from the build stage, and every COPY source of the build stage exists;
- the runtime stage's apt packages are exactly the packages that provide the shared libraries
  the built binary links (its ELF NEEDED entries, resolved with ldd and mapped to Debian
  packages with dpkg -S on this bookworm machine), libc6 aside (every Debian image has it).

    python3 scripts/check-image.py [path/to/raygate]     (default build/raygate)

Exits 1 with one line per problem. It cannot tell whether `docker build` succeeds.
"""
import json
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
IN_BASE_IMAGE = {"libc6"}  # essential in every Debian image


def instructions(text):
    """[(lineno, KEYWORD, args)] with continuations joined and comments dropped."""
    out, buf, start = [], "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buf and line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if not buf:
            start = n
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        kw, _, args = buf.strip().partition(" ")
        out.append((start, kw.upper(), args.strip()))
        buf = ""
    if buf:
        raise ValueError("line %d: the file ends inside a continued instruction" % start)
    return out


def exec_form(args):
    """The argv of a JSON-form CMD/ENTRYPOINT, or None for the shell form."""
    try:
        v = json.loads(args)
    except ValueError:
        return None
    return v if isinstance(v, list) and all(isinstance(x, str) for x in v) else None


def apt_packages(run_args):
    """Packages named by `apt-get install` in a RUN (options dropped)."""
    pkgs = []
    for part in re.split(r"&&|;", run_args):
        words = shlex.split(part)
        if "apt-get" in words and "install" in words:
            pkgs += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return pkgs


def needed_packages(binary):
    """{soname: package} for the binary's NEEDED libraries."""
    elf = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", elf.stdout)
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
    out = {}
    for so in needed:
        path = paths.get(so)
        if not path:
            out[so] = None
            continue
        candidates = [path, os.path.realpath(path)]
        candidates += [p[4:] if p.startswith("/usr/") else "/usr" + p for p in list(candidates)]
        pkg = None
        for c in candidates:
            r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
            if r.returncode == 0:
                pkg = r.stdout.split(":")[0].strip()
                break
        out[so] = pkg
    return out


def check(dockerfile, binary):
    problems = []
    with open(dockerfile) as f:
        ins = instructions(f.read())
    stages = []
    for n, kw, args in ins:
        if kw == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?$", args, re.I)
            stages.append({"line": n, "image": m.group(1), "name": m.group(2), "ins": []})
        elif not stages:
            problems.append("line %d: %s before the first FROM" % (n, kw))
        else:
            stages[-1]["ins"].append((n, kw, args))
    if len(stages) != 2:
        return problems + ["expected two stages (build, runtime), found %d" % len(stages)]
    build, run = stages
    if not re.match(r"debian:bookworm(@|$)", build["image"]):
        problems.append("build stage: FROM %s, expected debian:bookworm" % build["image"])
    if not re.match(r"debian:bookworm-slim(@|$)", run["image"]):
        problems.append("runtime stage: FROM %s, expected debian:bookworm-slim" % run["image"])
    for n, kw, args in build["ins"]:
        if kw == "COPY":
            for src in shlex.split(args)[:-1]:
                if not src.startswith("--") and not os.path.exists(os.path.join(ROOT, src)):
                    problems.append("line %d: COPY source %s does not exist" % (n, src))
    users = [args for _, kw, args in run["ins"] if kw == "USER"]
    if not users or not re.match(r"^[1-9][0-9]*(:[1-9][0-9]*)?$", users[-1]):
        problems.append("runtime stage: no USER with a non-root numeric uid (got %r)" %
                        (users[-1] if users else None))
    entry = [exec_form(a) for _, kw, a in run["ins"] if kw == "ENTRYPOINT"]
    cmd = [exec_form(a) for _, kw, a in run["ins"] if kw == "CMD"]
    if not entry or not entry[-1] or not entry[-1][0].endswith("/raygate"):
        problems.append("runtime stage: ENTRYPOINT must be the raygate binary, exec form")
    if not cmd or not cmd[-1] or cmd[-1][0] != "serve":
        problems.append("runtime stage: CMD must start `serve` (exec form)")
    for n, kw, args in run["ins"]:
        if kw in ("COPY", "ADD"):
            if kw == "ADD" or "--from=build" not in args or "raygate" not in shlex.split(args)[-2]:
                problems.append("line %d: the runtime stage copies only the raygate binary "
                                "from the build stage" % n)
    runtime_pkgs = [p for _, kw, a in run["ins"] if kw == "RUN" for p in apt_packages(a)]
    if any(p.endswith("-dev") or p in ("build-essential", "cmake", "gcc") for p in runtime_pkgs):
        problems.append("runtime stage installs build tools: %s" % " ".join(runtime_pkgs))
    libs = needed_packages(binary)
    for so, pkg in sorted(libs.items()):
        if pkg is None:
            problems.append("%s: linked but not found by ldd/dpkg on this machine" % so)
    needed = {p for p in libs.values() if p} - IN_BASE_IMAGE
    missing = sorted(needed - set(runtime_pkgs))
    extra = sorted(set(runtime_pkgs) - needed)
    if missing:
        problems.append("runtime stage lacks packages the binary links: %s" % " ".join(missing))
    if extra:
        problems.append("runtime stage installs packages the binary does not link: %s" %
                        " ".join(extra))
    if not problems:
        print("Dockerfile: 2 stages, runtime packages = linked libraries: %s" %
              ", ".join("%s (%s)" % (libs_of(libs, p), p) for p in sorted(needed)))
    return problems


def libs_of(libs, pkg):
    return "/".join(so for so, p in sorted(libs.items()) if p == pkg)


def main(argv):
    binary = argv[1] if len(argv) > 1 else os.path.join(ROOT, "build", "raygate")
    try:
        problems = check(os.path.join(ROOT, "Dockerfile"), binary)
    except (ValueError, OSError, subprocess.CalledProcessError) as e:
        problems = [str(e)]
    for p in problems:
        print("check-image: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

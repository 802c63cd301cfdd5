#!/usr/bin/env python3
"""Checks the Dockerfile without a Docker engine (there is none on the dev machines or CI):

- it parses (continuations, comments, JSON-form instructions) into exactly two stages, a
  Debian bookworm build stage and a bookworm-slim runtime stage;
- the runtime stage runs as a non-root numeric uid, starts `raygate serve` by default, copies
  only the binary from the build stage, and every COPY source of the build stage exists;
- the runtime stage's apt packages are exactly the packages that provide the shared libraries
  the binary links (its ELF NEEDED entries, resolved with ldd and mapped to Debian packages
  with dpkg -S), libc6 aside (every Debian image has it).

    python3 scripts/check-image.py [path/to/raygate]     (default build/raygate; ctest)
    python3 scripts/check-image.py --image raygate:0.1.0

The first resolves the libraries of a binary built here on this bookworm machine. The second
checks a built image (scripts/build-image.sh): the binary copied out of it, ldd and dpkg -S run
inside it with podman, and any library ldd cannot find there, linked directly or not, is a
problem. Exits 1 with one line per problem.
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

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


class Host:
    """The libraries as this machine resolves them (the plain build's binary, ctest)."""

    name = "on this machine"

    def __init__(self, binary):
        self.binary = binary

    def local_binary(self):
        return self.binary

    def ldd(self):
        return subprocess.run(["ldd", self.binary], capture_output=True, text=True,
                              check=True).stdout

    def dpkg_search(self, paths):
        return subprocess.run(["dpkg", "-S", *paths], capture_output=True, text=True).stdout


class Image:
    """The libraries as a built image resolves them: its binary (copied out for readelf), ldd
    and dpkg -S run inside it with podman (scripts/build-image.sh)."""

    def __init__(self, image, path, tmp):
        self.image, self.path, self.tmp = image, path, tmp
        self.name = "in image " + image

    def podman(self, *args, check=True):
        return subprocess.run(["podman", *args], capture_output=True, text=True, check=check)

    def local_binary(self):
        ctr = self.podman("create", self.image).stdout.strip()
        try:
            self.podman("cp", "%s:%s" % (ctr, self.path), self.tmp)
        finally:
            self.podman("rm", ctr)
        return os.path.join(self.tmp, os.path.basename(self.path))

    def ldd(self):
        return self.podman("run", "--rm", "--entrypoint", "ldd", self.image, self.path).stdout

    def dpkg_search(self, paths):
        return self.podman("run", "--rm", "--entrypoint", "dpkg", self.image, "-S", *paths,
                           check=False).stdout


def path_variants(path):
    """The names dpkg may know a library by: as given and resolved, with and without /usr
    (bookworm's merged /usr lists libraries under /lib in the package database)."""
    out = [path, os.path.realpath(path)]
    return out + [p[4:] if p.startswith("/usr/") else "/usr" + p for p in list(out)]


def needed_packages(where):
    """({soname: package or None} for the binary's NEEDED libraries, [sonames ldd could not
    find, NEEDED or not])."""
    elf = subprocess.run(["readelf", "-d", where.local_binary()], capture_output=True, text=True,
                         check=True)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", elf.stdout)
    ldd = where.ldd()
    unresolved = re.findall(r"^\s*(\S+) => not found", ldd, re.M)
    paths = {so: p for so, p in re.findall(r"^\s*(\S+) => (/\S+)", ldd, re.M)}
    variants = {so: path_variants(paths[so]) for so in needed if so in paths}
    owner = {}
    queries = sorted({v for vs in variants.values() for v in vs})
    for line in where.dpkg_search(queries).splitlines() if queries else []:
        pkgs, sep, path = line.partition(": ")
        if sep and not line.startswith("diversion "):
            owner.setdefault(path.strip(), pkgs.split(",")[0].split(":")[0].strip())
    out = {}
    for so in needed:
        out[so] = next((owner[v] for v in variants.get(so, []) if v in owner), None)
    return out, unresolved


def stages_of(ins, problems):
    """The FROM stages with their instructions."""
    stages = []
    for n, kw, args in ins:
        if kw == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?$", args, re.I)
            stages.append({"line": n, "image": m.group(1), "name": m.group(2), "ins": []})
        elif not stages:
            problems.append("line %d: %s before the first FROM" % (n, kw))
        else:
            stages[-1]["ins"].append((n, kw, args))
    return stages


def check_stages(build, run, problems):
    """The rules of the two stages; returns the runtime stage's (apt packages, binary path)."""
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
    binary = entry[-1][0] if entry and entry[-1] else None
    if not binary or not binary.endswith("/raygate"):
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
    return runtime_pkgs, binary


def check_libraries(where, runtime_pkgs, problems):
    """The runtime packages are exactly those providing the binary's NEEDED libraries."""
    libs, unresolved = needed_packages(where)
    for so in unresolved:
        problems.append("%s: not found by ldd %s" % (so, where.name))
    for so, pkg in sorted(libs.items()):
        if pkg is None and so not in unresolved:
            problems.append("%s: linked but owned by no package %s" % (so, where.name))
    needed = {p for p in libs.values() if p} - IN_BASE_IMAGE
    missing = sorted(needed - set(runtime_pkgs))
    extra = sorted(set(runtime_pkgs) - needed)
    if missing:
        problems.append("runtime stage lacks packages the binary links: %s" % " ".join(missing))
    if extra and all(libs.values()):  # an unowned library may be one of them
        problems.append("runtime stage installs packages the binary does not link: %s" %
                        " ".join(extra))
    if not problems:
        print("Dockerfile: 2 stages, runtime packages = linked libraries %s: %s" %
              (where.name, ", ".join("%s (%s)" % (libs_of(libs, p), p) for p in sorted(needed))))


def check(dockerfile, where_for):
    """Problems of dockerfile; where_for(path of the binary in the image) says where its
    libraries are resolved (Host or Image)."""
    problems = []
    with open(dockerfile) as f:
        stages = stages_of(instructions(f.read()), problems)
    if len(stages) != 2:
        return problems + ["expected two stages (build, runtime), found %d" % len(stages)]
    runtime_pkgs, binary = check_stages(stages[0], stages[1], problems)
    if binary:
        check_libraries(where_for(binary), runtime_pkgs, problems)
    return problems


def libs_of(libs, pkg):
    return "/".join(so for so, p in sorted(libs.items()) if p == pkg)


def main(argv):
    args = argv[1:]
    try:
        with tempfile.TemporaryDirectory(prefix="check-image-") as tmp:
            if args[:1] == ["--image"] and len(args) == 2:
                where_for = lambda path: Image(args[1], path, tmp)  # noqa: E731
            elif len(args) <= 1 and not (args and args[0].startswith("-")):
                binary = args[0] if args else os.path.join(ROOT, "build", "raygate")
                where_for = lambda path: Host(binary)  # noqa: E731
            else:
                print(__doc__.strip(), file=sys.stderr)
                return 2
            problems = check(os.path.join(ROOT, "Dockerfile"), where_for)
    except (ValueError, OSError, subprocess.CalledProcessError) as e:
        problems = [str(e) + (": " + e.stderr.strip() if getattr(e, "stderr", None) else "")]
    for p in problems:
        print("check-image: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

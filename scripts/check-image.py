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
import shutil
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


def copy_context(build, ctx):
    """Lays out in ctx what the build stage's COPY lines put in its WORKDIR."""
    for _, kw, args in build["ins"]:
        if kw != "COPY":
            continue
        words = [w for w in shlex.split(args) if not w.startswith("--")]
        dest = os.path.join(ctx, words[-1])
        for src in words[:-1]:
            path = os.path.join(ROOT, src)
            if os.path.isdir(path):
                shutil.copytree(path, dest, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__"))
            elif words[-1].endswith("/") or len(words) > 2:
                os.makedirs(dest, exist_ok=True)
                shutil.copy2(path, dest)
            else:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copy2(path, dest)


def configure_command(build):
    """The build stage's `cmake -S ... -B ...` words, or None."""
    for _, kw, args in build["ins"]:
        if kw == "RUN":
            for part in re.split(r"&&|;", args):
                words = shlex.split(part)
                if words[:1] == ["cmake"] and "-S" in words and "-B" in words:
                    return words
    return None


def embedded_sources(seed_c):
    with open(seed_c) as f:
        text = f.read()
    hexes = re.findall(r"0x([0-9a-f]{2})", text.split("view__seed[] = {", 1)[-1])
    data = bytes(int(h, 16) for h in hexes).decode("utf-8", "replace")
    return re.findall(r"^# source: (\S+)$", data, re.M)


def check_context(build, plain_build_dir, tmp, problems):
    """The build stage configures on exactly what its COPY lines copy, and embeds the same
    example manifests as the plain build (the image's standalone view is the same)."""
    words = configure_command(build)
    if words is None:
        problems.append("build stage: no `cmake -S SRC -B BUILD` configure step")
        return
    ctx = os.path.join(tmp, "context")
    copy_context(build, ctx)
    words[words.index("-S") + 1] = ctx
    words[words.index("-B") + 1] = os.path.join(ctx, "build")
    for cmd in (words, ["cmake", "--build", os.path.join(ctx, "build"), "--target", "raygate_seed"]):
        r = subprocess.run(cmd, cwd=ctx, capture_output=True, text=True)
        if r.returncode:
            tail = " | ".join(l.strip() for l in r.stderr.strip().splitlines()[:6])
            problems.append("build stage: `%s` fails on what its COPY lines copy: %s" %
                            (" ".join(cmd[:2]), tail))
            return
    mine = os.path.join(plain_build_dir, "generated", "seed_manifests.c")
    if not os.path.exists(mine):
        problems.append("%s: missing (pass the raygate binary of a configured build)" % mine)
        return
    image = embedded_sources(os.path.join(ctx, "build", "generated", "seed_manifests.c"))
    here = embedded_sources(mine)
    if image != here:
        problems.append("build stage embeds other manifests than this build: only here %s, "
                        "only in the image %s" % (sorted(set(here) - set(image)),
                                                  sorted(set(image) - set(here))))
    else:
        print("Dockerfile: the build stage configures on what its COPY lines copy and embeds "
              "the same %d example manifests as this build" % len(here))


def check(dockerfile, where_for, context_for=None):
    """Problems of dockerfile; where_for(path of the binary in the image) says where its
    libraries are resolved (Host or Image); context_for(build stage, problems), if given, checks
    the build stage's sources."""
    problems = []
    with open(dockerfile) as f:
        stages = stages_of(instructions(f.read()), problems)
    if len(stages) != 2:
        return problems + ["expected two stages (build, runtime), found %d" % len(stages)]
    runtime_pkgs, binary = check_stages(stages[0], stages[1], problems)
    if context_for and not problems:
        context_for(stages[0], problems)
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
                context_for = None  # the image was built: its build stage configured
            elif len(args) <= 1 and not (args and args[0].startswith("-")):
                binary = args[0] if args else os.path.join(ROOT, "build", "raygate")
                where_for = lambda path: Host(binary)  # noqa: E731
                context_for = lambda build, problems: check_context(  # noqa: E731
                    build, os.path.dirname(os.path.abspath(binary)), tmp, problems)
            else:
                print(__doc__.strip(), file=sys.stderr)
                return 2
            problems = check(os.path.join(ROOT, "Dockerfile"), where_for, context_for)
    except (ValueError, OSError, subprocess.CalledProcessError) as e:
        problems = [str(e) + (": " + e.stderr.strip() if getattr(e, "stderr", None) else "")]
    for p in problems:
        print("check-image: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/bin/sh
# Builds raygate's container image from the Dockerfile with podman and smoke-tests it, on a Debian
# bookworm machine as root; base images that cannot be pulled are made from Debian's archive.
#
#   sh scripts/build-image.sh [--tag NAME:TAG] [--base auto|pull|make] [--no-smoke]
#
# 1. installs podman, mmdebstrap and what the checks use (apt-get, only what is missing);
# 2. makes sure every image the Dockerfile's FROM lines name is in podman's local storage:
#    there already, else pulled, else (no registry reachable) made with mmdebstrap from the
#    Debian archive the way Debian's official images are (minbase, the same apt sources and
#    container apt/dpkg settings; bookworm-slim without docs, man pages and translations) and
#    imported under the same name, so the Dockerfile builds unchanged;
# 3. where podman cannot run a container as installed (hybrid cgroups, rlimits it may not
#    raise), a containers.conf for its own runs (adapt_runtime);
# 4. podman build (base images taken from local storage, never pulled during the build);
# 5. smoke tests: scripts/check-image.py --image, the default command standalone and in-cluster
#    (against the API-server double), the Deployment's --config; docs/install.md, "Building and
#    checking it with podman".
#
# Environment: DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR (the archive the made base images use and
# keep in their apt sources; default Debian's own); podman's own CONTAINERS_STORAGE_CONF (a vfs
# store) and BUILDAH_ISOLATION=chroot where overlay mounts or namespaces fail (docs/install.md).
set -eu
cd "$(dirname "$0")/.."

version=$(sed -n 's/^project(raygate VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
tag="raygate:$version"
base=auto
smoke=1
while [ $# -gt 0 ]; do
    case $1 in
    --tag) tag=$2; shift 2 ;;
    --tag=*) tag=${1#--tag=}; shift ;;
    --base) base=$2; shift 2 ;;
    --base=*) base=${1#--base=}; shift ;;
    --no-smoke) smoke=0; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
case $base in auto|pull|make) ;; *) echo "build-image: --base $base: auto, pull or make" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "build-image: run as root (podman's rootful storage, mmdebstrap)" >&2; exit 2; }

DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
work=$(mktemp -d /tmp/raygate-image.XXXXXX)
smoke_ctr="raygate-smoke-$$"
netns="raygate-smoke-$$"
double_pid=""
cleanup() {
    podman rm -f -i "$smoke_ctr" >/dev/null 2>&1 || true
    [ -z "$double_pid" ] || { kill "$double_pid" 2>/dev/null; wait "$double_pid" 2>/dev/null; } || true
    ip netns delete "$netns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '== %s\n' "$*"; }
fail() { printf 'build-image: FAIL: %s\n' "$*" >&2; exit 1; }

install_tools() {
    pkgs="podman mmdebstrap debian-archive-keyring ca-certificates curl python3 binutils iproute2 openssl"
    missing=""
    for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    say "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# The hook mmdebstrap runs in the finished root ($1): the container settings Debian's official
# images carry (no service starts during apt-get install, no apt caches or translations in
# layers, dpkg without fsync), and for slim ($2 = slim) the removal of what dpkg's path-excludes
# kept out of later installs but the first extraction still unpacked.
write_hook() {
    cat >"$work/hook.sh" <<'EOF'
set -eu
root=$1
printf '#!/bin/sh\n# No service starts while an image is built.\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<EOC
DPkg::Post-Invoke { $clean };
APT::Update::Post-Invoke { $clean };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOC
echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
if [ "${2:-}" = slim ]; then
    for d in doc groff info linda lintian/overrides locale man; do
        [ -d "$root/usr/share/$d" ] || continue
        find "$root/usr/share/$d" -mindepth 1 \( -type f -o -type l \) \
            ! -path "$root/usr/share/doc/*/copyright" ! -name locale.alias -delete
        find "$root/usr/share/$d" -mindepth 1 -depth -type d -empty -delete
    done
fi
# apt's binary caches (Dir::Cache::pkgcache above): tens of MB of the lists mmdebstrap used.
rm -f "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old
rm -f "$root/etc/machine-id" && : >"$root/etc/machine-id"
EOF
}

# make_base IMAGE: bookworm or bookworm-slim from the Debian archive, imported as IMAGE.
make_base() {
    image=$1
    case $image in
    *:bookworm) variant=full ;;
    *:bookworm-slim) variant=slim ;;
    *) fail "cannot make base image $image here: only debian:bookworm and debian:bookworm-slim" ;;
    esac
    cat >"$work/debian.sources" <<EOF
Types: deb
URIs: $DEBIAN_MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $DEBIAN_SECURITY_MIRROR
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    # merged-/usr set up as debootstrap does (symlinks and usr-is-merged), not by the usrmerge
    # package, which would pull perl into the image.
    set -- --variant=minbase --mode=root --format=tar --quiet \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
    if [ $variant = slim ]; then
        for p in doc/* groff/* info/* linda/* lintian/overrides/* locale/* man/*; do
            set -- "$@" --dpkgopt="path-exclude=/usr/share/$p"
        done
        set -- "$@" --dpkgopt='path-include=/usr/share/doc/*/copyright' \
            --dpkgopt='path-include=/usr/share/locale/locale.alias'
    fi
    write_hook
    say "making $image with mmdebstrap from $DEBIAN_MIRROR (no registry reachable)"
    mmdebstrap "$@" --customize-hook="sh $work/hook.sh \"\$1\" $variant" \
        bookworm "$work/rootfs.tar" "$work/debian.sources"
    podman import --quiet --change 'CMD ["bash"]' \
        --message "Debian bookworm ($variant) made by raygate's scripts/build-image.sh" \
        "$work/rootfs.tar" "$image" >/dev/null
    rm -f "$work/rootfs.tar"
}

# The FROM images of the Dockerfile as podman stores a pull of them (docker.io/library/...).
base_images() {
    sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' Dockerfile | sort -u |
        while read -r ref; do
            case $ref in
            */*/*) echo "$ref" ;;
            */*) echo "docker.io/$ref" ;;
            *) echo "docker.io/library/$ref" ;;
            esac
        done
}

ensure_bases() {
    for image in $(base_images); do
        if [ "$base" = auto ] && podman image exists "$image"; then
            say "base image $image: in local storage"
            continue
        fi
        if [ "$base" != make ] && podman pull --quiet "$image" >/dev/null 2>"$work/pull.err"; then
            say "base image $image: pulled"
            continue
        fi
        [ "$base" = pull ] && { cat "$work/pull.err" >&2; fail "cannot pull $image"; }
        make_base "$image"
    done
}

# adapt_runtime IMAGE: runs a container of IMAGE, and where that fails for a reason this script
# knows, writes a containers.conf (CONTAINERS_CONF, for every podman call below and in
# check-image.py) that avoids it:
# - crun refuses hybrid cgroup v1/v2 hosts ("cgroups in hybrid mode not supported"): runc;
# - the runtime may not raise rlimits (a sandboxed VM, a container): podman's defaults (nofile and
#   nproc 1048576) above this machine's hard limits fail, so ask for those limits instead.
adapt_runtime() {
    runtime="" ulimits=""
    for _ in 1 2 3; do
        podman run --rm --network=none "$1" true 2>"$work/probe.err" && {
            [ -z "$runtime$ulimits" ] || sed 's/^/   /' "$CONTAINERS_CONF"
            return 0
        }
        if [ -z "$runtime" ] && grep -q "hybrid mode" "$work/probe.err"; then
            runtime=runc
            dpkg-query -W -f='${Status}' runc 2>/dev/null | grep -q "install ok installed" ||
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc >/dev/null
        elif [ -z "$ulimits" ] && grep -qi "rlimit" "$work/probe.err"; then
            nofile=$(awk '/^Max open files/ {print $5}' /proc/self/limits)
            nproc=$(awk '/^Max processes/ {print $4}' /proc/self/limits)
            pid_max=$(cat /proc/sys/kernel/pid_max)
            [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ] && nproc=$pid_max
            ulimits="\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\""
        else
            cat "$work/probe.err" >&2
            fail "podman cannot run a container here (see above; docs/install.md: a vfs store, BUILDAH_ISOLATION=chroot)"
        fi
        [ -z "${CONTAINERS_CONF:-}" ] || [ "$CONTAINERS_CONF" = "$work/containers.conf" ] ||
            { cat "$work/probe.err" >&2; fail "podman cannot run a container with CONTAINERS_CONF=$CONTAINERS_CONF"; }
        say "podman needs settings on this machine: $(head -c 200 "$work/probe.err" | tr '\n' ' ')"
        {
            echo "[containers]"
            [ -z "$ulimits" ] || echo "default_ulimits = [$ulimits]"
            echo "[engine]"
            [ -z "$runtime" ] || echo "runtime = \"$runtime\""
        } >"$work/containers.conf"
        export CONTAINERS_CONF="$work/containers.conf"
    done
    fail "podman cannot run a container here: $(cat "$work/probe.err")"
}

install_tools
podman info >/dev/null || fail "podman does not work here (docs/install.md: a vfs store, BUILDAH_ISOLATION=chroot)"
ensure_bases
adapt_runtime "$(base_images | tail -n 1)"
say "podman build -t $tag ."
# Host network for the build stages' apt-get: the same reachable archive as this machine's, with
# no bridge or NAT set up for the build. --pull=never: the bases were settled above.
podman build --pull=never --network=host -t "$tag" .
podman image inspect --format '{{.Size}}' "$tag" >"$work/size"
say "image $tag: $(awk '{printf "%.1f MB (%d bytes)", $1 / 1e6, $1}' "$work/size")"
[ $smoke = 1 ] || exit 0

# ---- smoke tests -------------------------------------------------------------------------------
# Every container runs in one private network namespace with only a loopback interface: the
# checks reach raygate (and raygate the API-server double) on its 127.0.0.1, nothing is published.
say "smoke: raygate version"
out=$(podman run --rm --network=none "$tag" version) || fail "raygate version: exit $?"
echo "$out"
echo "$out" | grep -q "$version" || fail "raygate version does not print $version"

say "smoke: scripts/check-image.py --image $tag (the shipped binary's libraries, ldd in the image)"
python3 scripts/check-image.py --image "$tag" || fail "check-image.py --image"

ip netns add "$netns"
ip netns exec "$netns" ip link set lo up
in_ns() { ip netns exec "$netns" "$@"; }

# run_hardened ARGS...: the container as the Deployment runs it (readOnlyRootFilesystem with an
# emptyDir on /tmp, capabilities dropped, no privilege escalation), in the namespace.
run_hardened() {
    podman run -d --name "$smoke_ctr" --network "ns:/run/netns/$netns" \
        --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,size=64m,mode=1777 \
        --cap-drop=ALL --security-opt=no-new-privileges "$@" >/dev/null
}

# wait_file PATH DEST: a file raygate writes in the container, copied to DEST, within 10 s.
wait_file() {
    i=0
    until podman exec "$smoke_ctr" cat "$1" >"$2" 2>/dev/null && [ -s "$2" ]; do
        i=$((i + 1)); [ $i -lt 100 ] || { podman logs "$smoke_ctr" >&2; fail "no $1 in the container"; }
        sleep 0.1
    done
}

# wait_ready CA: /readyz answers 200 over HTTPS verified against CA, within 30 s.
wait_ready() {
    i=0
    while ! in_ns curl -fsS --cacert "$1" https://localhost:9443/readyz >/dev/null 2>&1; do
        i=$((i + 1))
        if [ $i -ge 150 ] || [ "$(podman inspect --format '{{.State.Running}}' "$smoke_ctr")" != true ]; then
            podman logs "$smoke_ctr" >&2 || true
            fail "/readyz did not answer 200 within 30 s"
        fi
        sleep 0.2
    done
    echo "/readyz: 200 (https://localhost:9443, verified against $(basename "$1"))"
}

# check_hardening: the process runs as 65532 with no capabilities, and the root is read-only.
check_hardening() {
    status=$(podman exec "$smoke_ctr" cat /proc/1/status)
    echo "$status" | grep -Eq '^Uid:[[:space:]]+65532[[:space:]]+65532' || fail "not uid 65532: $(echo "$status" | grep ^Uid)"
    echo "$status" | grep -Eq '^Gid:[[:space:]]+65532[[:space:]]+65532' || fail "not gid 65532"
    for c in CapEff CapPrm CapBnd; do
        echo "$status" | grep -Eq "^$c:[[:space:]]+0+\$" || fail "$c not empty: $(echo "$status" | grep "^$c")"
    done
    echo "$status" | grep -Eq '^NoNewPrivs:[[:space:]]+1' || fail "NoNewPrivs not set"
    if podman exec "$smoke_ctr" touch /usr/local/bin/x 2>/dev/null; then fail "the root filesystem is writable"; fi
    echo "uid/gid 65532, CapEff/CapPrm/CapBnd 0, NoNewPrivs 1, root filesystem read-only"
}

# check_mutate CA: the seed's RayCluster CREATE is allowed with the suspend patch.
check_mutate() {
    in_ns curl -fsS --cacert "$1" -H 'Content-Type: application/json' \
        --data-binary @tests/fixtures/admission/raycluster-create-v1.json \
        https://localhost:9443/mutate >"$work/mutate.json" || fail "/mutate did not answer 200"
    python3 - "$work/mutate.json" <<'PY' || fail "/mutate answer: $(cat "$work/mutate.json")"
import base64, json, sys
r = json.load(open(sys.argv[1]))["response"]
ops = json.loads(base64.b64decode(r["patch"]))
assert r["allowed"] is True and r["patchType"] == "JSONPatch", r
assert {"op": "add", "path": "/spec/suspend", "value": True} in ops, ops
print("/mutate: allowed, JSONPatch %s" % json.dumps(ops, separators=(",", ":")))
PY
}

# stop_smoke: SIGTERM, and raygate exits 0 within 10 s.
stop_smoke() {
    podman stop -t 10 "$smoke_ctr" >/dev/null
    code=$(podman inspect --format '{{.State.ExitCode}}' "$smoke_ctr")
    [ "$code" = 0 ] || { podman logs "$smoke_ctr" >&2; fail "raygate exited $code on SIGTERM"; }
    echo "SIGTERM: exit 0"
    podman rm "$smoke_ctr" >/dev/null
}

say "smoke: the default command, no cluster (serve --listen :9443 --state-dir /tmp/raygate: standalone on the built-in seed)"
run_hardened "$tag"
wait_file /tmp/raygate/tls.crt "$work/self-signed.crt"
wait_ready "$work/self-signed.crt"
check_mutate "$work/self-signed.crt"
check_hardening
stop_smoke

say "smoke: the default command in a pod (service-account token and KUBERNETES_SERVICE_HOST: in-cluster, against the API-server double)"
mkdir -p "$work/double" "$work/sa"
# ip netns exec execs python3: $! is the double itself.
ip netns exec "$netns" python3 tests/apiserver/kubedouble.py --port-file "$work/double/port" \
    --cert-dir "$work/double/pki" --crds manifests/crds \
    --token "raygate-sa-token=system:serviceaccount:raygate-system:raygate,system:masters" \
    --token "admin-token=admin,system:masters" >"$work/double/log" 2>&1 &
double_pid=$!
i=0
until [ -s "$work/double/port" ]; do
    i=$((i + 1))
    if [ $i -ge 300 ] || ! kill -0 "$double_pid" 2>/dev/null; then
        cat "$work/double/log" >&2
        fail "the API-server double did not start"
    fi
    sleep 0.1
done
api_port=$(cat "$work/double/port")
api() { in_ns curl -fsS --cacert "$work/double/pki/ca.crt" -H "Authorization: Bearer admin-token" "$@"; }
# The namespace of the Lease raygate's leader election takes (manifests/deploy makes it).
api -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"raygate-system"}}' \
    "https://127.0.0.1:$api_port/api/v1/namespaces" >/dev/null || fail "cannot create namespace raygate-system in the double"
printf raygate-sa-token >"$work/sa/token"
printf raygate-system >"$work/sa/namespace"
cp "$work/double/pki/ca.crt" "$work/sa/ca.crt"
chmod 0755 "$work/sa" && chmod 0644 "$work/sa"/*
run_hardened -e KUBERNETES_SERVICE_HOST=127.0.0.1 -e KUBERNETES_SERVICE_PORT="$api_port" \
    -v "$work/sa:/var/run/secrets/kubernetes.io/serviceaccount:ro" "$tag"
wait_file /tmp/raygate/tls.crt "$work/self-signed.crt"
wait_ready "$work/self-signed.crt"
podman logs "$smoke_ctr" 2>&1 | grep -q 'connected server="https://127.0.0.1:' ||
    { podman logs "$smoke_ctr" >&2; fail "raygate did not connect in-cluster"; }
i=0
until api "https://127.0.0.1:$api_port/apis/coordination.k8s.io/v1/namespaces/raygate-system/leases/raygate" \
        >"$work/lease.json" 2>/dev/null && grep -q holderIdentity "$work/lease.json"; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "no Lease raygate-system/raygate held in the double"
    sleep 0.2
done
echo "in-cluster: connected to https://127.0.0.1:$api_port with the mounted token and CA; Lease raygate-system/raygate held by $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["spec"]["holderIdentity"])' "$work/lease.json")"
check_mutate "$work/self-signed.crt"
check_hardening
stop_smoke
kill "$double_pid"
wait "$double_pid" 2>/dev/null || true  # ended by the signal
double_pid=""

say "smoke: as manifests/deploy runs it (serve --config /etc/raygate/raygate.yaml, certificates from raygate certs)"
mkdir -p "$work/etc/tls" "$work/log"
chmod 0755 "$work" "$work/etc" && chown 65532:65532 "$work/etc/tls" "$work/log"
podman run --rm --network=none -v "$work/etc/tls:/out" "$tag" certs --out /out --force \
    --dns localhost --ip 127.0.0.1 >/dev/null || fail "raygate certs in the image"
cp manifests/deploy/raygate.yaml "$work/etc/raygate.yaml" && chmod 0644 "$work/etc/raygate.yaml"
run_hardened -v "$work/etc:/etc/raygate:ro" -v "$work/log:/var/log/raygate" \
    "$tag" serve --config /etc/raygate/raygate.yaml
wait_ready "$work/etc/tls/ca.crt"
check_mutate "$work/etc/tls/ca.crt"
check_hardening
grep -q '"decision":"patched"' "$work/log/audit.log" || fail "no audit record in /var/log/raygate/audit.log"
echo "audit record written to /var/log/raygate/audit.log"
stop_smoke
say "image $tag built and smoke-tested: $(awk '{printf "%.1f MB", $1 / 1e6}' "$work/size")"

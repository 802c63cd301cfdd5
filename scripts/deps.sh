#!/bin/sh
# Installs what raygate needs to build, run and test on Debian bookworm,
# skipping the package index refresh when everything is already there.
set -eu
# curl (the program) is what the README's "Try it" steps use.
PKGS="build-essential cmake pkg-config git ca-certificates openssl python3 curl
libmicrohttpd-dev libgnutls28-dev libssl-dev libcjson-dev libyaml-dev libjemalloc-dev
libcurl4-openssl-dev check libsubunit-dev"
[ "${1:-}" = "--bench" ] && PKGS="$PKGS wrk nginx-light"
# Headless Chromium renders raygate's status page in the e2e suite (a screenshot check).
PKGS="$PKGS chromium"
# kubectl drives the API-server double in the tests as a user would (Debian's kubernetes-client,
# 1.20). A kubectl already on PATH from another package is used instead: both own /usr/bin/kubectl.
command -v kubectl >/dev/null 2>&1 || PKGS="$PKGS kubernetes-client"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# Debian's kubectl 1.20 beside another kubectl: its built-in kustomize (v2.0.3) is the oldest the
# manifests support, and manifests/check.py renders them with both. Unpacked, not installed, so
# it does not replace the kubectl on PATH.
K120=/opt/raygate-deps/kubernetes-client
if ! kubectl version --client 2>/dev/null | grep -q 'v1\.20\.' && [ ! -x "$K120/usr/bin/kubectl" ]; then
    echo "unpacking Debian's kubernetes-client (kubectl 1.20) into $K120"
    tmp=$(mktemp -d)
    (cd "$tmp" && { apt-get download kubernetes-client >/dev/null 2>&1 ||
                    { apt-get update -qq && apt-get download kubernetes-client >/dev/null; }; } &&
     mkdir -p "$K120" && dpkg-deb -x kubernetes-client_*.deb "$K120")
    rm -rf "$tmp"
fi

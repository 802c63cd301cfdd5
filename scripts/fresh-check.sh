#!/bin/sh
# Tries the README's test command the way a new machine would: a minimal
# Debian bookworm made with debootstrap, a clean clone of this checkout
# inside, `sh scripts/test.sh` run there as root. Needs root and Debian's
# package mirror; takes ~10 minutes. Usage: sh scripts/fresh-check.sh [DIR]
set -eu
cd "$(dirname "$0")/.."
ROOT=${1:-/tmp/raygate-fresh}/root
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
[ -x "$ROOT/bin/sh" ] || debootstrap --variant=minbase bookworm "$ROOT" http://deb.debian.org/debian
cleanup() { umount "$ROOT/dev/pts" "$ROOT/dev" "$ROOT/proc" "$ROOT/sys" 2>/dev/null || true; }
trap cleanup EXIT
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
mount -t sysfs sys "$ROOT/sys"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
rm -rf "$ROOT/root/raygate"
git clone -q . "$ROOT/root/raygate"
chroot "$ROOT" /bin/sh -c 'cd /root/raygate && sh scripts/test.sh'

#!/bin/sh
# Installs what is missing, builds raygate and runs it on its embedded
# default: standalone on https://127.0.0.1:9443 with the seed's examples.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target raygate
exec ./build/raygate serve "$@"

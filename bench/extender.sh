#!/bin/sh
# The scheduler extender's figures (docs/performance.md): builds a Release
# raygate_core (jemalloc linked into the bench like the daemon) and runs
# bench/extender_bench.c in-process on 5,000 nodes and 50,000 pods.
# Usage: sh bench/extender.sh [NODES PODS WORKERS ROUNDS]
set -eu
cd "$(dirname "$0")/.."
dir=build-bench
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$dir" -j2 --target raygate_core >/dev/null
# shellcheck disable=SC2046
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -Isrc \
    bench/extender_bench.c "$dir/libraygate_core.a" \
    $(pkg-config --libs libmicrohttpd gnutls libcjson yaml-0.1 libcurl openssl jemalloc) \
    -lpthread -lm -o "$dir/extender_bench"
"$dir/extender_bench" "$@"

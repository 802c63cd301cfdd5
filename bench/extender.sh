#!/bin/sh
# The scheduler extender's figures (docs/performance.md): builds an -O2
# raygate_core (jemalloc linked into the bench like the daemon) and runs
# bench/extender_bench.c in-process on 5,000 nodes and 50,000 pods.
# Usage: sh bench/extender.sh [NODES PODS WORKERS ROUNDS]
set -eu
cd "$(dirname "$0")/.."
dir=build-bench
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
cmake --build "$dir" -j2 --target raygate_core >/dev/null
# shellcheck disable=SC2046
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -Isrc \
    bench/extender_bench.c "$dir/libraygate_core.a" \
    $(pkg-config --libs libmicrohttpd gnutls libcjson yaml-0.1 libcurl openssl jemalloc) \
    -lpthread -lm -o "$dir/extender_bench"
"$dir/extender_bench" "$@"

# Over HTTPS as kube-scheduler calls it: raygate standalone on 5,000 nodes and 5,000 pods
# (JSON manifests), curl POSTing the same bodies; medians of 11 calls each.
if [ "${RG_BENCH_HTTPS:-1}" = 1 ]; then
    tmp=$(mktemp -d)
    mkdir -p "$tmp/cluster"
    RG_BENCH_DUMP="$tmp" "$dir/extender_bench" 5000 5000 64 1
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    ./build/raygate serve --standalone "$tmp/cluster" --listen "127.0.0.1:$port" \
        --state-dir "$tmp/state" --audit-log "$tmp/audit.log" --log-level warn 2>"$tmp/log" &
    pid=$!
    i=0
    until curl -sf --cacert "$tmp/state/ca.crt" "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -lt 600 ] || { cat "$tmp/log"; kill $pid; exit 1; }; sleep 0.1
    done
    for body in filter-full filter-names; do
        for verb in filter prioritize; do
            printf '%s %s: ' "$body" "$verb"
            for _ in 1 2 3 4 5 6 7 8 9 10 11; do
                curl -s -o /dev/null -w '%{time_total}\n' --cacert "$tmp/state/ca.crt" \
                    -H 'Content-Type: application/json' --data-binary "@$tmp/$body.json" \
                    "https://127.0.0.1:$port/scheduler/$verb"
            done | sort -n | sed -n 6p | awk '{printf "median %.1f ms\n", $1 * 1000}'
        done
    done
    kill $pid; wait $pid 2>/dev/null || true
    rm -rf "$tmp"
fi

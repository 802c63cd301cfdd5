#!/bin/sh
# Webhook throughput and latency over TLS keep-alive: raygate's /mutate on
# the seed RayCluster AdmissionReview, side by side with nginx answering a
# constant body of the same size (`return 200`) with as many workers as
# raygate has threads, under the same wrk command, in the same run.
#
#   sh bench/webhook.sh [duration_seconds] [threads]
#   PROFILE=1 sh bench/webhook.sh 8     # also: perf profile of raygate under the same load
#
# Prints one line per run and the medians; nothing here is a test. The build
# is RelWithDebInfo, the type CI builds and ships (and perf gets symbols).
set -eu
cd "$(dirname "$0")/.."
DUR=${1:-10}
THREADS=${2:-$(nproc)}
ROUNDS=${ROUNDS:-3}
sh scripts/deps.sh --bench
[ "${PROFILE:-0}" = 1 ] && { command -v perf >/dev/null || apt-get install -y -qq linux-perf >/dev/null; }
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-bench -j"$(nproc)" --target raygate >/dev/null
BIN=build-bench/raygate
WORK=$(mktemp -d /tmp/rg-bench.XXXXXX)
RG_PORT=19443
NG_PORT=19444
trap 'kill $RG_PID 2>/dev/null; nginx -c $WORK/nginx.conf -s stop 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

"$BIN" certs --out "$WORK/certs" --dns localhost --ip 127.0.0.1 >/dev/null
python3 - "$WORK/review.json" <<'PY'
import json, sys
sys.path.insert(0, "tests/e2e")
review = json.load(open("tests/fixtures/admission/raycluster-create-v1.json"))
open(sys.argv[1], "w").write(json.dumps(review, separators=(",", ":")))
PY
echo "request body: $(wc -c < "$WORK/review.json") bytes"

"$BIN" serve --listen 127.0.0.1:$RG_PORT --cert "$WORK/certs/tls.crt" --key "$WORK/certs/tls.key" \
    --threads "$THREADS" --state-dir "$WORK/state" --audit-log "$WORK/audit.log" \
    --log-level warn 2>"$WORK/raygate.log" &
RG_PID=$!
sleep 1
curl -sk --fail -H 'Content-Type: application/json' --data-binary @"$WORK/review.json" \
    https://127.0.0.1:$RG_PORT/mutate > "$WORK/answer.json"
SIZE=$(wc -c < "$WORK/answer.json")
echo "raygate answer: $SIZE bytes"

# nginx's constant answer: the same number of bytes, JSON-safe characters.
BODY=$(head -c "$SIZE" /dev/zero | tr '\0' 'x')
cat > "$WORK/nginx.conf" <<NGINX
worker_processes $THREADS;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_buffer_size 64k;
    server {
        listen 127.0.0.1:$NG_PORT ssl;
        ssl_certificate $WORK/certs/tls.crt;
        ssl_certificate_key $WORK/certs/tls.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        keepalive_requests 1000000;
        location / { default_type application/json; return 200 '$BODY'; }
    }
}
NGINX
nginx -c "$WORK/nginx.conf"
sleep 0.5

run_wrk() { # name url -> req/s and p99 (ms)
    RG_BENCH_BODY="$WORK/review.json" wrk -t1 -c32 -d"${DUR}s" --latency -s bench/post.lua "$2" \
        > "$WORK/wrk.out" 2>&1
    rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/wrk.out")
    p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")
    errs=$(awk '/Non-2xx|Socket errors/' "$WORK/wrk.out")
    echo "$1 rps=$rps p99=$p99 $errs"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: > "$WORK/results"
for _ in $(seq "$ROUNDS"); do
    run_wrk nginx "https://127.0.0.1:$NG_PORT/mutate" | tee -a "$WORK/results"
    run_wrk raygate "https://127.0.0.1:$RG_PORT/mutate" | tee -a "$WORK/results"
done
NG=$(awk '$1=="nginx" {sub("rps=","",$2); print $2}' "$WORK/results" | median)
RG=$(awk '$1=="raygate" {sub("rps=","",$2); print $2}' "$WORK/results" | median)
# The ratio of each round (nginx and raygate back to back) is less exposed to
# the shared machine's load shifting between rounds than a ratio of medians.
RATIO=$(awk '{sub("rps=","",$2)} $1=="nginx" {ng=$2} $1=="raygate" {printf "%.3f\n", $2/ng}' \
    "$WORK/results" | median)
echo "median throughput: raygate $RG req/s, nginx $NG req/s; median per-round ratio $RATIO"

# Latency at a paced ~2,000 req/s: 32 connections, each waiting 14 ms between requests;
# nginx paced the same way is the floor this machine and wrk set (wrk shares the cores).
paced_wrk() { # name url
    RG_BENCH_BODY="$WORK/review.json" RG_BENCH_DELAY_MS=14 wrk -t1 -c32 -d"${DUR}s" --latency \
        -s bench/post.lua "$2" > "$WORK/wrk.out" 2>&1
    rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/wrk.out")
    p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")
    echo "$1 paced rps=$rps p99=$p99"
}
p99_median() { # wrk prints 850.00us, 1.79ms or 1.02s
    awk -v n="$1" '$1==n {v=$4; sub("p99=","",v)
        if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) {sub("ms","",v)} else {sub("s","",v); v*=1000}
        printf "%.2f\n", v}' "$WORK/paced" | median
}
: > "$WORK/paced"
for _ in $(seq "$ROUNDS"); do
    paced_wrk nginx "https://127.0.0.1:$NG_PORT/mutate" | tee -a "$WORK/paced"
    paced_wrk raygate "https://127.0.0.1:$RG_PORT/mutate" | tee -a "$WORK/paced"
done
echo "paced: median p99 raygate $(p99_median raygate)ms, nginx $(p99_median nginx)ms"
echo "audit lines written: $(wc -l < "$WORK/audit.log")"

# Where raygate's time goes under the unpaced load: perf with DWARF call
# graphs (the libraries have no frame pointers), functions by inclusive share.
if [ "${PROFILE:-0}" = 1 ]; then
    RG_BENCH_BODY="$WORK/review.json" wrk -t1 -c32 -d"$((DUR + 4))s" -s bench/post.lua \
        "https://127.0.0.1:$RG_PORT/mutate" >/dev/null 2>&1 &
    WRK_PID=$!
    sleep 2
    perf record -q -F 499 --call-graph dwarf,16384 -p "$RG_PID" -o "$WORK/perf.data" \
        -- sleep "$DUR" >/dev/null 2>&1
    wait $WRK_PID
    echo "profile: share of raygate's samples by library"
    perf report -i "$WORK/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null |
        grep -v '^#' | grep -v '^$' | head -8
    echo "profile: functions by inclusive share"
    perf report -i "$WORK/perf.data" --children --sort sym --stdio -g none 2>/dev/null |
        grep -v '^#' | grep -v '^$' | grep -v ' 0x0000' | grep -v -E 'clone3|start_thread' |
        head -30
fi

#!/bin/sh
# Runs one libFuzzer target for SECONDS in a single process, from a working
# corpus seeded with fuzz/corpus/TARGET/. Exits non-zero when libFuzzer
# reports a crash, leak, timeout or sanitizer finding.
# Usage: fuzz/run.sh TARGET SECONDS [extra libFuzzer flags...]
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 fuzz_admission|fuzz_quantity|fuzz_yaml|fuzz_convert|fuzz_extender SECONDS [flags...]" >&2
    exit 2
fi
T=$1
SECS=$2
shift 2
cd "$(dirname "$0")/.."

case $T in
fuzz_quantity) MAXLEN=256 ;;  # QUOTA_QTY_INPUT_MAX is 128: room to cross it
fuzz_yaml) MAXLEN=16384 ;;
*) MAXLEN=16384 ;;
esac

BIN=build-fuzz/$T
if [ ! -x "$BIN" ] || [ -n "$(find fuzz/"$T".c src webhooks include -newer "$BIN" -name '*.[ch]' 2>/dev/null | head -1)" ]; then
    fuzz/build.sh "$T"
fi

WORK=build-fuzz/corpus/$T
ART=build-fuzz/artifacts/$T
mkdir -p "$WORK" "$ART"
cp -n fuzz/corpus/"$T"/* "$WORK"/ 2>/dev/null || true
DICT=
if [ -f fuzz/"$T".dict ]; then
    DICT=-dict=fuzz/$T.dict
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# shellcheck disable=SC2086 # an empty $DICT must vanish
# A single process: -jobs/-workers stay at their default of one.
exec "$BIN" -max_total_time="$SECS" -max_len="$MAXLEN" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$ART/" $DICT "$@" "$WORK"

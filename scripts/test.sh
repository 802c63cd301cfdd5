#!/bin/sh
# Installs what is missing, then builds and runs every test twice: a plain
# build, and one with AddressSanitizer + UndefinedBehaviorSanitizer (leak
# checking on). Any failure, warning-as-error or sanitizer report fails it.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
jobs=$(nproc)
run_suite() {
    dir=$1; shift
    echo "== build $dir ($*)"
    cmake -S . -B "$dir" "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
    echo "== test $dir"
    (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 600)
}
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DRG_SANITIZE=ON
echo "all tests passed (plain and ASan+UBSan)"

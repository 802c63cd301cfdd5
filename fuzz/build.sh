#!/bin/sh
# Builds the libFuzzer targets (fuzz/fuzz_*.c) into build-fuzz/ with ASan,
# UBSan and libFuzzer, compiling the library sources they reach directly so
# the build does not depend on CMake. Usage: fuzz/build.sh [TARGET...]
set -eu

cd "$(dirname "$0")/.."
CC=${CC:-clang}
OUT=build-fuzz
mkdir -p "$OUT"

CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Iinclude -Isrc"
# The daemon's entry point (src/main.c) and HTTP side (src/serve, src/http,
# ...) stay out: the targets call the pure layers only.
SRCS="src/core/*.c src/admission/*.c src/quota/*.c src/config/*.c src/convert/*.c webhooks/*.c"
# The extender's wire codec depends on core only.
EXT_SRCS="src/core/*.c src/extender/ext_scan.c src/extender/ext_codec.c"
LIBS=$(pkg-config --libs libcjson yaml-0.1 openssl)
PKGCFLAGS=$(pkg-config --cflags libcjson yaml-0.1 openssl)

TARGETS=${*:-"fuzz_admission fuzz_quantity fuzz_yaml fuzz_convert fuzz_extender"}
for t in $TARGETS; do
    echo "building $OUT/$t"
    srcs=$SRCS
    [ "$t" = fuzz_extender ] && srcs=$EXT_SRCS
    # shellcheck disable=SC2086 # word splitting of the flag and source lists is wanted
    $CC $CFLAGS $PKGCFLAGS "fuzz/$t.c" $srcs $LIBS -o "$OUT/$t"
done

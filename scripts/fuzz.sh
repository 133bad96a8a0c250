#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for FUZZ_SECONDS
# (default 60), growing its corpus in a scratch copy. New crashes are left
# in build-fuzz/ as crash-* files; interesting inputs can be copied into
# tests/fuzz/corpus/<target>/ so that `make test` replays them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

BUILD=${FUZZ_BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
CC=clang cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DSLIPWAY_FUZZ=ON \
    -DSLIPWAY_SANITIZE=ON -DSLIPWAY_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)"

status=0
for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    work="$BUILD/corpus/$name"
    mkdir -p "$work"
    cp -n tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
    echo "== $name (${SECONDS_EACH}s)"
    if ! (cd "$BUILD" && "./$name" -max_total_time="$SECONDS_EACH" -max_len=65536 \
            "corpus/$name" 2>&1 | tail -n 3); then
        status=1
    fi
done
exit $status

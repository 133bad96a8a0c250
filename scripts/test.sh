#!/usr/bin/env bash
# Builds slipway with ASan + UBSan and -Werror and runs every suite: the
# format check, the unit tests, the fuzz corpora, the protocol vectors and
# the compatibility suites. Ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh || exit 1

BUILD=${TEST_BUILD:-build-test}
JOBS=$(nproc)
LOGDIR=$BUILD/test-logs
passed=0
failed=0
failures=()

record() { # name status
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$1")
    fi
}

# Counts TAP lines in a log; a non-zero exit without a "not ok" line is one
# more failure (a crash between cases).
tally_tap() { # name log rc
    local ok nok
    ok=$(grep -cE '^ok ' "$2")
    nok=$(grep -cE '^not ok ' "$2")
    passed=$((passed + ok))
    failed=$((failed + nok))
    if [ "$nok" -gt 0 ]; then
        failures+=("$1 ($nok)")
    elif [ "$3" -ne 0 ] || [ "$ok" -eq 0 ]; then
        failed=$((failed + 1))
        failures+=("$1 (exit $3)")
    fi
}

echo "== format"
fmt_files=$(git ls-files '*.c' '*.h' 2>/dev/null; git ls-files --others --exclude-standard '*.c' '*.h' 2>/dev/null)
if [ -n "$fmt_files" ] && ! clang-format --dry-run --Werror $fmt_files >/dev/null 2>"$BUILD.format.log"; then
    head -20 "$BUILD.format.log"
    record "clang-format" 1
else
    record "clang-format" 0
fi
rm -f "$BUILD.format.log"

echo "== build (ASan + UBSan, -Werror)"
if ! cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DSLIPWAY_SANITIZE=ON -DSLIPWAY_WERROR=ON >/dev/null ||
   ! cmake --build "$BUILD" -j "$JOBS" >"$BUILD.build.log" 2>&1; then
    grep -E 'error|Error' "$BUILD.build.log" | head -40
    record "build" 1
    echo "$passed passed, $failed failed"
    exit 1
fi
record "build" 0
mkdir -p "$LOGDIR"

# A release binary too: the memory tests watch the RSS of a build that
# returns freed memory, which a sanitizer build keeps on purpose.
echo "== build (release, for the memory tests)"
RELEASE_BUILD=${RELEASE_BUILD:-build}
if ! cmake -S . -B "$RELEASE_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLIPWAY_TESTS=OFF \
        -DSLIPWAY_WERROR=ON >/dev/null ||
   ! cmake --build "$RELEASE_BUILD" -j "$JOBS" --target slipway >"$RELEASE_BUILD.build.log" 2>&1; then
    grep -E 'error|Error' "$RELEASE_BUILD.build.log" | head -40
    record "release build" 1
else
    record "release build" 0
    export SLIPWAY_RELEASE_BIN=$(cd "$RELEASE_BUILD" && pwd)/slipway
fi
rm -f "$RELEASE_BUILD.build.log"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Build directories may be given relative or absolute.
BUILD_DIR=$(cd "$BUILD" && pwd)
export SLIPWAY_SOURCE_DIR=$PWD SLIPWAY_BUILD_DIR=$BUILD_DIR

echo "== unit tests and fuzz corpora"
while read -r name; do
    [ -n "$name" ] || continue
    log="$LOGDIR/$(echo "$name" | tr '/' '_').log"
    (cd "$BUILD" && ctest -R "^${name}\$" --output-on-failure -V) >"$log" 2>&1
    rc=$?
    # ctest -V prefixes lines with "N: "; strip it for the TAP count.
    sed -E 's/^[0-9]+: //' "$log" >"$log.tap"
    tally_tap "$name" "$log.tap" "$rc"
    printf '%-40s %s\n' "$name" "$([ $rc -eq 0 ] && echo ok || echo FAILED)"
done < <(cd "$BUILD" && ctest -N | sed -nE 's/^ *Test +#[0-9]+: (.*)$/\1/p')

for suite in tests/protocol tests/compat; do
    [ -d "$suite" ] || continue
    ls "$suite"/test_*.py >/dev/null 2>&1 || continue
    echo "== $suite"
    log="$LOGDIR/$(basename "$suite").log"
    SLIPWAY_BIN=$BUILD_DIR/slipway python3 tests/lib/pyrun.py "$suite" >"$log" 2>&1
    rc=$?
    grep -E '^(FAIL|ERROR):' "$log" | head -20
    summary=$(tail -n 1 "$log")
    echo "$summary"
    p=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
    f=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || true)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
        failed=$((failed + 1))
        failures+=("$suite (exit $rc)")
    elif [ "${f:-0}" -ne 0 ]; then
        failures+=("$suite ($f)")
    fi
done

if [ ${#failures[@]} -gt 0 ]; then
    echo "failures (logs in $LOGDIR):"
    printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Build (via make) and run one unit-test variant: run-unit.sh unit|asan|tsan BINARY.
# Extra gtest arguments: GTEST_ARGS="--gtest_filter=Arena.*".
set -euo pipefail
source "$(dirname "$0")/lib.sh"
variant="$1" bin="$2"
cd "$REPO"

if ! compgen -G "tests/unit/*.cpp" >/dev/null; then
  echo "unit ($variant): skipped (no tests/unit/*.cpp)"; exit 0
fi
make --no-print-directory "$bin"

run=("./$bin")
case "$variant" in
  asan) export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
        export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" ;;
  # TSan needs a fixed memory layout: disable ASLR (recent kernels randomize too much).
  tsan) export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
        run=(setarch "$(uname -m)" -R "./$bin") ;;
esac
echo "unit ($variant): ${run[*]} ${GTEST_ARGS:-}"
# shellcheck disable=SC2086
"${run[@]}" ${GTEST_ARGS:-}

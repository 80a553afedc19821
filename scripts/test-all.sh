#!/usr/bin/env bash
# Run every test suite in order (unit, fuzz, build+install, regress, isolation, tap),
# continue after failures, and end with one line: "N passed, M failed"
# (counting suites; a skipped suite counts as neither). Exit 1 if any failed.
# TEST_SANITIZERS=1 also runs unit-asan and unit-tsan.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO" || exit 1

passed=0 failed=0 report=() failure_tails=()
# why_failed LOG: the lines that tell why a suite failed (gtest, sanitizers,
# compilers, TAP, pg_regress), then the log's last lines.
why_failed() {
  grep -E 'Failure$|FAILED|ERROR: |SUMMARY: |runtime error|error: |^not ok|Dubious|failed \(|\.\.\. FAILED|Terminated|Killed' "$1" | head -n 12
  echo "(last lines)"; tail -n 6 "$1"
}
# suite NAME CMD...: run CMD, record PASS / FAIL / SKIP (a skip prints "skipped").
suite() {
  local name="$1"; shift
  local log; log="$(mktemp)"
  echo "==== $name: $* ===="
  "$@" 2>&1 | tee "$log"
  local rc="${PIPESTATUS[0]}"
  if [[ $rc -ne 0 ]]; then
    failed=$((failed + 1)); report+=("FAIL  $name (exit $rc)")
    # CI keeps only the end of the output: repeat why a suite failed there.
    failure_tails+=("---- $name ----" "$(why_failed "$log")")
  elif grep -qE "^[[:alnum:] ()_-]+: skipped \(" "$log"; then
    report+=("SKIP  $name")
  else
    passed=$((passed + 1)); report+=("PASS  $name")
  fi
  rm -f "$log"
  return "$rc"
}

suite unit make --no-print-directory unit
if [[ -n "${TEST_SANITIZERS:-}" ]]; then
  suite unit-asan make --no-print-directory unit-asan
  suite unit-tsan make --no-print-directory unit-tsan
fi
suite fuzz make --no-print-directory fuzz
if suite build make --no-print-directory install-ext; then
  suite regress scripts/test-regress.sh
  suite isolation scripts/test-isolation.sh
  suite tap scripts/test-tap.sh
else
  for s in regress isolation tap; do failed=$((failed + 1)); report+=("FAIL  $s (not run: build failed)"); done
fi

if [[ ${#failure_tails[@]} -gt 0 ]]; then
  echo "==== failures ===="
  printf '%s\n' "${failure_tails[@]}"
fi
echo "==== summary ===="
printf '%s\n' "${report[@]}"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

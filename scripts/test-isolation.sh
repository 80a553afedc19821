#!/usr/bin/env bash
# Isolation suite: tests/isolation/specs/*.spec vs tests/isolation/expected/*.out
# on a temporary instance configured by tests/regress.conf.
# ISOLATION_TESTS="a b" runs just those specs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [[ -n "${ISOLATION_TESTS:-}" ]]; then
  read -r -a tests <<<"$ISOLATION_TESTS"
else
  mapfile -t tests < <(list_isolation_tests)
fi
if [[ ${#tests[@]} -eq 0 ]]; then
  echo "isolation: skipped (no tests/isolation/specs/*.spec)"; exit 0
fi

work="$(make_workdir isolation)"
out="$work/output_iso"
mkdir -p "$work/tests/isolation/expected"
stub_missing_expected "$work/tests/isolation/expected" "${tests[@]}"
echo "isolation: running in $work as $PG_OS_USER"
rc=0
as_pg "$PG_ISOLATION_REGRESS" \
  --temp-instance="$work/tmp_check" --temp-config="$work/tests/regress.conf" \
  --inputdir="$work/tests/isolation" --outputdir="$out" --bindir="$PG_BINDIR" \
  --dbname=isolation_regression --no-locale --encoding=UTF8 "${tests[@]}" || rc=$?

if [[ $rc -ne 0 ]]; then
  report_failure isolation "$out" "$work" "$REPO/tests/isolation/expected"
  exit "$rc"
fi
[[ -n "${KEEP_WORKDIR:-}" ]] || rm -rf "$work"

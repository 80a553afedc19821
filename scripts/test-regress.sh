#!/usr/bin/env bash
# pg_regress suite: sql/*.sql vs expected/*.out on a temporary instance
# configured by tests/regress.conf. The extension must already be installed.
# Order: tests/regress_schedule (pg_regress schedule format) if present,
# else sorted sql/*.sql. REGRESS_TESTS="a b" runs just those tests.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

use_schedule=
if [[ -n "${REGRESS_TESTS:-}" ]]; then
  read -r -a tests <<<"$REGRESS_TESTS"
else
  mapfile -t tests < <(list_regress_tests)
  if [[ -f "$REPO/tests/regress_schedule" ]]; then
    use_schedule=1
    for t in "${tests[@]}"; do   # a test missing from the schedule would never run
      grep -qw -- "$t" "$REPO/tests/regress_schedule" ||
        echo "regress: WARNING: sql/$t.sql is not in tests/regress_schedule"
    done
  fi
fi
if [[ -z "$use_schedule" && ${#tests[@]} -eq 0 ]]; then
  echo "regress: skipped (no sql/*.sql tests)"; exit 0
fi

work="$(make_workdir regress)"
mkdir -p "$work/expected"
stub_missing_expected "$work/expected" "${tests[@]}"
if [[ -n "$use_schedule" ]]; then args=(--schedule="$work/tests/regress_schedule"); else args=("${tests[@]}"); fi
echo "regress: running in $work as $PG_OS_USER"
rc=0
as_pg "$PG_REGRESS" \
  --temp-instance="$work/tmp_check" --temp-config="$work/tests/regress.conf" \
  --inputdir="$work" --outputdir="$work" --bindir="$PG_BINDIR" \
  --dbname=contrib_regression --no-locale --encoding=UTF8 "${args[@]}" || rc=$?

if [[ $rc -ne 0 ]]; then
  report_failure regress "$work" "$work" "$REPO/expected"
  exit "$rc"
fi
[[ -n "${KEEP_WORKDIR:-}" ]] || rm -rf "$work"

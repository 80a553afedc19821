#!/usr/bin/env bash
# TAP suite: prove tests/tap/*.pl with PostgreSQL::Test::Cluster (PG 15).
# Every node gets tests/regress.conf via TEMP_CONFIG (memopt preloaded).
# TAP_TESTS="001_x.pl 002_y.pl" runs just those files.
# PROVE_FLAGS=-v shows every test line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [[ -n "${TAP_TESTS:-}" ]]; then
  read -r -a tests <<<"$TAP_TESTS"
else
  mapfile -t tests < <(cd "$REPO/tests/tap" 2>/dev/null && ls -1 -- *.pl 2>/dev/null | LC_ALL=C sort)
fi
if [[ ${#tests[@]} -eq 0 ]]; then
  echo "tap: skipped (no tests/tap/*.pl)"; exit 0
fi

work="$(make_workdir tap)"
echo "tap: running in $work as $PG_OS_USER"
rc=0
# shellcheck disable=SC2086  # PROVE_FLAGS is a list of words
as_pg env -C "$work/tests/tap" \
  PATH="$PG_BINDIR:$PATH" TESTDIR="$work" TEMP_CONFIG="$work/tests/regress.conf" \
  PG_REGRESS="$PG_REGRESS" MEMOPT_SRC="$work" \
  prove ${PROVE_FLAGS:-} \
    -I "$PG_PERL_LIB" -I "$work/tests/tap" "${tests[@]}" || rc=$?

if [[ $rc -ne 0 ]]; then
  echo "tap: FAILED; logs kept in $work/tmp_check/log"
  exit "$rc"
fi
[[ -n "${KEEP_WORKDIR:-}" ]] || rm -rf "$work"

# Shared helpers for the memopt scripts. Source it; do not run it.
# shellcheck shell=bash disable=SC2034

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# PostgreSQL 15 tools (Debian layout). PG_CONFIG may be set by the Makefile.
if [[ -z "${PG_CONFIG:-}" ]]; then
  if [[ -x /usr/lib/postgresql/15/bin/pg_config ]]; then
    PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
  else
    PG_CONFIG=pg_config
  fi
fi
# (Defaults keep the helpers usable before `make deps` installed pg_config.)
PG_BINDIR="$("$PG_CONFIG" --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)"
PGXS_DIR="$(dirname "$("$PG_CONFIG" --pgxs 2>/dev/null || echo /usr/lib/postgresql/15/lib/pgxs/src/makefiles/pgxs.mk)")/.."  # .../lib/pgxs/src
PG_REGRESS="$PGXS_DIR/test/regress/pg_regress"
PG_ISOLATION_REGRESS="$PGXS_DIR/test/isolation/pg_isolation_regress"
PG_PERL_LIB="$PGXS_DIR/test/perl"

is_root() { [[ "$(id -u)" == 0 ]]; }

# The user that runs PostgreSQL servers: initdb and postgres refuse root.
if is_root; then PG_OS_USER=postgres; else PG_OS_USER="$(id -un)"; fi

# as_pg CMD...: run CMD as the server user (via runuser when we are root),
# from a directory that user can read, so getcwd() works in initdb/postgres.
as_pg() {
  if is_root; then
    (cd / && runuser -u "$PG_OS_USER" -- "$@")
  else
    "$@"
  fi
}

# make_workdir NAME: a fresh directory under /var/tmp owned by the server
# user, holding a copy of the test inputs (sql/, expected/, tests/), because
# the repo itself may not be readable by that user (e.g. a clone in /root).
make_workdir() {
  local dir
  dir="$(mktemp -d "/var/tmp/memopt-$1.XXXXXX")"
  local d
  for d in sql expected tests input output; do
    [[ -d "$REPO/$d" ]] && cp -r "$REPO/$d" "$dir/"
  done
  if is_root; then chown -R "$PG_OS_USER:" "$dir"; fi
  echo "$dir"
}

# stub_missing_expected EXPECTED_DIR NAME...: pg_regress aborts the whole run
# when an expected file is missing, so give such tests an empty one (in the
# work copy only): the test then fails with its full output as the diff.
stub_missing_expected() {
  local dir="$1" t; shift
  for t in "$@"; do
    if ! compgen -G "$dir/$t.out" >/dev/null; then
      echo "WARNING: no expected output for test $t: it will fail (diff against an empty file)"
      : >"$dir/$t.out"
      is_root && chown "$PG_OS_USER:" "$dir/$t.out"
    fi
  done
  return 0
}

# Regression tests: sql/*.sql without the extension script, sorted.
list_regress_tests() {
  local f
  for f in "$REPO"/sql/*.sql; do
    [[ -e "$f" ]] || continue
    f="$(basename "$f" .sql)"
    [[ "$f" == memopt--* ]] && continue
    echo "$f"
  done | LC_ALL=C sort
}

# Isolation tests: tests/isolation/specs/*.spec, sorted.
list_isolation_tests() {
  local f
  for f in "$REPO"/tests/isolation/specs/*.spec; do
    [[ -e "$f" ]] && basename "$f" .spec
  done | LC_ALL=C sort
}

# Development cluster location (make run / make stop): ./.run in the repo
# when the server user can reach it, else /var/tmp/memopt-run.
run_dir() {
  if [[ -n "${MEMOPT_RUN_DIR:-}" ]]; then
    echo "$MEMOPT_RUN_DIR"
  elif ! is_root || runuser -u "$PG_OS_USER" -- test -x "$REPO/." 2>/dev/null; then
    echo "$REPO/.run"
  else
    echo "/var/tmp/memopt-run"
  fi
}

# report_failure SUITE OUTDIR WORKDIR EXPECTED_DIR: after a failed
# pg_regress-style run, print the diffs and the server log's end, and how to
# accept a new output.
report_failure() {
  local suite="$1" out="$2" work="$3" expected="$4"
  echo "---- regression.diffs (first 300 lines) ----"
  head -n 300 "$out/regression.diffs" 2>/dev/null || echo "(no regression.diffs)"
  echo "---- end of server log $out/log/postmaster.log ----"
  tail -n 40 "$out/log/postmaster.log" 2>/dev/null || true
  echo "$suite: FAILED; outputs kept in $out (results/, regression.diffs, log/); delete $work when done"
  echo "$suite: to accept a new output: cp $out/results/NAME.out $expected/"
}

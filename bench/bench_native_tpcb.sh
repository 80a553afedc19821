#!/usr/bin/env bash
# TPC-B as a stored procedure called by pgbench: LANGUAGE native_compilation
# over memopt tables against the same procedure in PL/pgSQL over heap tables
# (and, for reference, PL/pgSQL over memopt tables), in one run on one server.
#
#   bench/bench_native_tpcb.sh [SCALE]     (default 10; run as root or not)
#   SECONDS_PER_RUN=10 REPEAT=3 CLIENTS=2 bench/bench_native_tpcb.sh 10
#   FOREIGN_KEYS=1 bench/bench_native_tpcb.sh 10   (pgbench -i --foreign-keys on
#     every side: the procedures then fire the RI triggers)
#
# `pgbench -i -s SCALE` builds bench_heap (heap) and bench_memopt (memopt
# tables, memopt_range keys); each gets a procedure tpcb(aid, tid, bid,
# delta) doing what pgbench's built-in TPC-B-like script does (three
# updates, one balance read, one history insert), and pgbench runs
# `CALL tpcb(:aid, :tid, :bid, :delta)` with random arguments as its built-in
# script draws them. synchronous_commit = off for every side, as in
# bench_pgbench.sh: the commit flush would otherwise be what is measured.
# A conflict on a hot branch or teller row fails at once with 40001 under
# memopt, and pgbench retries it (--max-tries); retried% is reported.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SCALE="${1:-10}"
REPEAT="${REPEAT:-3}"
CLIENTS="${CLIENTS:-2}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-10}"
PORT="${BENCH_PORT:-5497}"
bench_server_start "$PORT" $'synchronous_commit = off\njit = off'
bench_pgbench_databases "$SCALE" >/dev/null

procedure() {  # language -> CREATE PROCEDURE tpcb
  local header="DECLARE v_balance int;
BEGIN" footer="END"
  if [[ "$1" == native_compilation ]]; then
    header="BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE v_balance int;"
  fi
  cat <<SQL
CREATE PROCEDURE tpcb(p_aid int, p_tid int, p_bid int, p_delta int) LANGUAGE $1 AS \$\$
$header
  UPDATE pgbench_accounts SET abalance = abalance + p_delta WHERE aid = p_aid;
  SELECT abalance INTO v_balance FROM pgbench_accounts WHERE aid = p_aid;
  UPDATE pgbench_tellers SET tbalance = tbalance + p_delta WHERE tid = p_tid;
  UPDATE pgbench_branches SET bbalance = bbalance + p_delta WHERE bid = p_bid;
  INSERT INTO pgbench_history (tid, bid, aid, delta, mtime)
    VALUES (p_tid, p_bid, p_aid, p_delta, localtimestamp);
$footer \$\$;
SQL
}

psql_q -d postgres -c "CREATE DATABASE bench_memopt_plpgsql TEMPLATE bench_memopt"
procedure plpgsql | psql_q -d bench_heap
procedure plpgsql | psql_q -d bench_memopt_plpgsql
procedure native_compilation | psql_q -d bench_memopt

SCRIPT="$WORK/tpcb_call.sql"
cat >"$SCRIPT" <<SQL
\set aid random(1, 100000 * $SCALE)
\set bid random(1, $SCALE)
\set tid random(1, 10 * $SCALE)
\set delta random(-5000, 5000)
CALL tpcb(:aid, :tid, :bid, :delta);
SQL
chmod a+r "$SCRIPT"

run() {  # database -> "tps retried%"
  pgbench_q -n -M prepared -f "$SCRIPT" -c "$CLIENTS" -j "$CLIENTS" -T "$SECONDS_PER_RUN" \
    --max-tries=100 "$1" 2>&1 |
    awk '/^tps = / {tps = int($3)} /number of transactions retried/ {gsub(/[()%]/, "", $6); r = $6}
         END {printf "%d %s\n", tps, (r == "" ? "0" : r)}'
}

declare -A tps=() retried=()
for ((i = 0; i < REPEAT; i++)); do
  for db in bench_memopt bench_heap bench_memopt_plpgsql; do
    read -r t r <<<"$(run "$db")"
    tps[$db]+="$t "
    retried[$db]+="$r "
  done
done
med() { tr ' ' '\n' <<<"$1" | grep . | median; }
native=$(med "${tps[bench_memopt]}")
printf '%-40s %8s %9s %9s\n' "CALL tpcb(...)" TPS retried "vs heap"
heap=$(med "${tps[bench_heap]}")
for db in bench_memopt bench_heap bench_memopt_plpgsql; do
  case $db in
    bench_memopt) name="native_compilation -> memopt" ;;
    bench_heap) name="PL/pgSQL -> heap" ;;
    *) name="PL/pgSQL -> memopt" ;;
  esac
  t=$(med "${tps[$db]}")
  printf '%-40s %8s %8s%% %9s\n' "$name" "$t" "$(med "${retried[$db]}")" \
    "$(awk -v a="$t" -v b="$heap" 'BEGIN {printf "%.2fx", a / b}')"
done
echo "scale=$SCALE clients=$CLIENTS seconds=$SECONDS_PER_RUN repeat=$REPEAT (medians)"

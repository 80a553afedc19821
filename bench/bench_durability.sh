#!/usr/bin/env bash
# Durability costs: pgbench's TPC-B-like script on durable memopt tables vs
# heap tables, with synchronous_commit on and off; WAL bytes written per
# transaction (pg_current_wal_insert_lsn() before and after each run,
# divided by the transactions pgbench processed); and the rate at which a
# durable table loads at its first use after a restart.
#
#   bench/bench_durability.sh [SCALE]         (default 10; run as root or not)
#   SECONDS_PER_RUN=10 REPEAT=3 CLIENTS=2 LOAD_ROWS=2000000 bench/bench_durability.sh 10
#
# memopt's write conflicts on pgbench's hot branch/teller rows are retried
# (--max-tries=100); the retry rate is printed. Prints medians and the
# memopt/heap ratios (TPS: above 1 = faster; WAL: below 1 = less WAL).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SCALE="${1:-10}"
REPEAT="${REPEAT:-3}"
CLIENTS="${CLIENTS:-2}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-10}"
LOAD_ROWS="${LOAD_ROWS:-2000000}"
PORT="${BENCH_PORT:-5494}"
bench_server_start "$PORT" $'jit = off'

# Bytes of the durable pgbench tables' files (memopt database).
size_of() { psql_q -d bench_memopt -tAc "SELECT sum(pg_relation_size(c)) FROM unnest(ARRAY[
  'pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'pgbench_history']::regclass[]) c"; }

bench_pgbench_databases "$SCALE"
psql_q -d postgres -c CHECKPOINT
psql_q -d bench_memopt -c "VACUUM"
initial_size=$(size_of)

wal_lsn() { psql_q -d postgres -tAc "SELECT pg_current_wal_insert_lsn()"; }
run() {  # db, synchronous_commit -> "tps retried% wal_bytes_per_txn"
  local before after out
  before=$(wal_lsn)
  out=$(PGOPTIONS="-c synchronous_commit=$2" pgbench_q -n -M prepared -c "$CLIENTS" -j "$CLIENTS" \
    -T "$SECONDS_PER_RUN" --max-tries=100 "bench_$1" 2>&1)
  after=$(wal_lsn)
  local bytes
  bytes=$(psql_q -d postgres -tAc "SELECT pg_wal_lsn_diff('$after', '$before')::bigint")
  awk -v bytes="$bytes" '/^tps = / {tps = int($3)}
       /number of transactions actually processed/ {split($6, p, "/"); n = p[1]}
       /number of transactions retried/ {gsub(/[()%]/, "", $6); r = $6}
       END {printf "%d %s %d\n", tps, (r == "" ? "0" : r), (n > 0 ? bytes / n : 0)}' <<<"$out"
}

printf '%-22s %9s %8s %9s %10s %8s %9s %7s %7s\n' workload heap_tps retried heap_wal \
  memopt_tps retried memo_wal tps_x wal_x
for sync in on off; do
  declare -A tps=() retried=() wal=()
  for ((i = 0; i < REPEAT; i++)); do
    for db in heap memopt; do
      read -r t r w <<<"$(run "$db" "$sync")"
      tps[$db]+="$t "
      retried[$db]+="$r "
      wal[$db]+="$w "
    done
  done
  m() { echo $1 | tr ' ' '\n' | median; }
  ht=$(m "${tps[heap]}") mt=$(m "${tps[memopt]}") hw=$(m "${wal[heap]}") mw=$(m "${wal[memopt]}")
  printf '%-22s %9s %7s%% %9s %10s %7s%% %9s %7s %7s\n' "tpcb sync_commit=$sync" "$ht" \
    "$(m "${retried[heap]}")" "$hw" "$mt" "$(m "${retried[memopt]}")" "$mw" \
    "$(awk -v a="$mt" -v b="$ht" 'BEGIN {printf "%.2f", a / b}')" \
    "$(awk -v a="$mw" -v b="$hw" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
  unset tps retried wal
done
echo "scale=$SCALE clients=$CLIENTS seconds=$SECONDS_PER_RUN repeat=$REPEAT (median; wal = bytes per transaction)"
grown_size=$(size_of)

# Space: the durable pgbench tables after the TPC-B runs, before and after
# VACUUM, next to their size right after pgbench -i (live data, no garbage).
psql_q -d bench_memopt -c "VACUUM"
after_vacuum=$(size_of)
echo "space: live data $initial_size bytes after pgbench -i; $grown_size after the runs; $after_vacuum after VACUUM" \
  "(history grows by design: its rows are inserted)"

# Load rate: a durable table with a primary key, restarted, then first use.
psql_q -d bench_memopt -c "CREATE TABLE load_t (id bigint PRIMARY KEY, pad text) USING memopt"
psql_q -d bench_memopt -c "INSERT INTO load_t SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, $LOAD_ROWS) g"
psql_q -d postgres -c CHECKPOINT
bytes=$(psql_q -d bench_memopt -tAc "SELECT pg_relation_size('load_t')")
as_pg "$PG_BINDIR/pg_ctl" -D "$DATA" -l "$WORK/log" -w restart >/dev/null
start=$(date +%s.%N)
rows=$(psql_q -d bench_memopt -tAc "SELECT count(*) FROM load_t")
end=$(date +%s.%N)
awk -v rows="$rows" -v bytes="$bytes" -v s="$start" -v e="$end" 'BEGIN {
  t = e - s
  printf "load at first use: %d rows, %.0f MB of pages in %.2f s: %.0f rows/s, %.1f MB/s (primary key rebuilt)\n",
    rows, bytes / 1048576, t, rows / t, bytes / 1048576 / t }'
grep -h "memopt: load" "$WORK/log" | tail -3 || true

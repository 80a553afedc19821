#!/usr/bin/env bash
# pgbench's own workloads on memopt tables vs heap tables: `pgbench -i`
# creates the tables (in one database with default_table_access_method =
# memopt, so pgbench_accounts & co. are memopt tables with memopt_range
# primary keys; in another with heap and btree), then the built-in TPC-B-like
# script and the select-only script (-S) run against each, alternately.
#
#   bench/bench_pgbench.sh [SCALE]      (default 10; run as root or not)
#   SECONDS_PER_RUN=10 REPEAT=3 CLIENTS=2 bench/bench_pgbench.sh 10
#   FOREIGN_KEYS=1 bench/bench_pgbench.sh 10   (pgbench -i --foreign-keys on both:
#                                               history, tellers and accounts
#                                               reference their parents)
#
# memopt never waits for row locks: two transactions updating the same
# branch or teller row conflict at once (SQLSTATE 40001) and pgbench retries
# them (--max-tries=100); the retry rate is reported next to the TPS. The
# server has synchronous_commit = off, so a flush per commit does not make
# both sides measure the WAL device (bench_durability.sh measures both
# settings). Prints median TPS and the memopt/heap ratio (above 1 = faster).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SCALE="${1:-10}"
REPEAT="${REPEAT:-3}"
CLIENTS="${CLIENTS:-2}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-10}"
PORT="${BENCH_PORT:-5495}"
bench_server_start "$PORT" $'synchronous_commit = off\njit = off'

bench_pgbench_databases "$SCALE"

run() {  # db, extra pgbench options -> "tps retried%"
  pgbench_q -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$SECONDS_PER_RUN" --max-tries=100 \
    $2 "bench_$1" 2>&1 |
    awk '/^tps = / {tps = int($3)} /number of transactions retried/ {gsub(/[()%]/, "", $6); r = $6}
         END {printf "%d %s\n", tps, (r == "" ? "0" : r)}'
}

printf '%-12s %10s %9s %10s %9s %7s\n' workload heap_tps retried memopt_tps retried ratio
for workload in tpcb select_only; do
  options=""
  [[ "$workload" == select_only ]] && options="-S"
  declare -A tps=() retried=()
  for ((i = 0; i < REPEAT; i++)); do
    for db in heap memopt; do
      read -r t r <<<"$(run "$db" "$options")"
      tps[$db]+="$t "
      retried[$db]+="$r "
    done
  done
  heap=$(echo ${tps[heap]} | tr ' ' '\n' | median)
  mem=$(echo ${tps[memopt]} | tr ' ' '\n' | median)
  printf '%-12s %10s %8s%% %10s %8s%% %7s\n' "$workload" "$heap" \
    "$(echo ${retried[heap]} | tr ' ' '\n' | median)" "$mem" \
    "$(echo ${retried[memopt]} | tr ' ' '\n' | median)" \
    "$(awk -v a="$mem" -v b="$heap" 'BEGIN {printf "%.2f", a / b}')"
  unset tps retried
done
echo "scale=$SCALE clients=$CLIENTS seconds=$SECONDS_PER_RUN repeat=$REPEAT (median; ratio = memopt/heap TPS)"

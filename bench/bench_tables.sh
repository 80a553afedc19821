#!/usr/bin/env bash
# Bulk load, full scan and full update: memopt tables vs heap tables, side by
# side in one run on one private server.
#
#   bench/bench_tables.sh [ROWS]        (default 1000000; run as root or not)
#   OPERATIONS="scan_aggregate" REPEAT=5 bench/bench_tables.sh   (a subset)
#
# Starts a throwaway cluster (memopt preloaded, 4 GB arena), then for each
# operation runs heap and memopt alternately REPEAT times and reports the
# median seconds and the memopt/heap ratio (below 1 = memopt faster). Also
# reports memory per row (memopt.tables bytes) next to heap's on-disk bytes
# per row (pg_table_size). Results go to stdout; bench/RESULTS.md records them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROWS="${1:-1000000}"
REPEAT="${REPEAT:-3}"
PORT="${BENCH_PORT:-5497}"
bench_server_start "$PORT"

psql_q() { as_pg "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -d postgres "$@"; }
psql_q -c "CREATE EXTENSION memopt"

# seconds SQL...: runs the statements in one session and prints the elapsed
# seconds of the last one (earlier ones are setup).
seconds() {
  local setup="$1" timed="$2"
  psql_q -tA <<SQL
$setup
SELECT clock_timestamp() AS t0 \gset
$timed
SELECT round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 3);
SQL
}


COLUMNS_DDL="(id bigint, k int, label text, amount numeric)"
FILL="INSERT INTO bench_t SELECT g, g % 1000, 'label-' || g, g * 1.5 FROM generate_series(1, $ROWS) g;"
COPY_FILE="$WORK/rows.copy"
psql_q -c "COPY (SELECT g, g % 1000, 'label-' || g, g * 1.5 FROM generate_series(1, $ROWS) g) TO '$COPY_FILE'"

make_table() {  # engine -> DDL that recreates bench_t empty
  echo "DROP TABLE IF EXISTS bench_t; CREATE TABLE bench_t $COLUMNS_DDL USING $1;"
}

OPERATIONS="${OPERATIONS:-insert_select copy_from scan_aggregate update_all}"
declare -A RESULT
measure() {  # name setup_sql timed_sql (setup/timed may use ENGINE)
  local name="$1" setup="$2" timed="$3" engine run
  [[ " $OPERATIONS " == *" $name "* ]] || return 0
  for engine in heap memopt; do
    for ((run = 0; run < REPEAT; run++)); do
      seconds "${setup//ENGINE/$engine}" "${timed//ENGINE/$engine}"
    done | median >"$WORK/$name.$engine"
    RESULT[$name.$engine]="$(cat "$WORK/$name.$engine")"
  done
}

measure "insert_select" "$(make_table ENGINE)" "$FILL"
measure "copy_from" "$(make_table ENGINE)" "COPY bench_t FROM '$COPY_FILE';"
measure "scan_aggregate" "$(make_table ENGINE) $FILL VACUUM ANALYZE bench_t;" \
  "SELECT count(*), sum(k), avg(amount) FROM bench_t;"
measure "update_all" "$(make_table ENGINE) $FILL VACUUM ANALYZE bench_t;" \
  "UPDATE bench_t SET k = k + 1;"

# Memory per row: heap's on-disk size vs memopt's arena bytes, same rows.
HEAP_BYTES="$(echo "$(make_table heap) $FILL VACUUM bench_t; SELECT pg_table_size('bench_t')" | psql_q -tA)"
MEMOPT_BYTES="$(echo "$(make_table memopt) $FILL SELECT bytes FROM memopt.tables WHERE table_name = 'bench_t'" | psql_q -tA)"
DIRECTORY_BYTES="$(psql_q -tA -c "SELECT bytes FROM memopt.memory WHERE kind = 'version directories'")"

echo "memopt vs heap, $ROWS rows, median of $REPEAT runs each, same server ($(date -u +%F))"
printf '%-16s %10s %10s %12s\n' operation heap_s memopt_s memopt/heap
for name in $OPERATIONS; do
  heap="${RESULT[$name.heap]}" memopt="${RESULT[$name.memopt]}"
  printf '%-16s %10s %10s %12s\n' "$name" "$heap" "$memopt" \
    "$(awk -v a="$memopt" -v b="$heap" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
done
awk -v h="$HEAP_BYTES" -v m="$MEMOPT_BYTES" -v d="$DIRECTORY_BYTES" -v n="$ROWS" 'BEGIN {
  printf "bytes per row: heap on disk %.1f, memopt in memory %.1f (+ %.1f version directory)\n", h / n, m / n, d / n }'

#!/usr/bin/env bash
# The cost of memopt's commit-time validation, and abort rates under
# contention, per isolation level, next to heap tables in the same run.
#
#   bench/bench_isolation.sh [SCALE]          (default 10; run as root or not)
#   SECONDS_PER_RUN=8 REPEAT=3 CLIENTS=2 HOT_CLIENTS=4 bench/bench_isolation.sh 10
#
# 1. pgbench -S and pgbench's TPC-B-like script on memopt tables at
#    memopt.isolation_level = snapshot, repeatable_read, serializable, and
#    on heap tables at REPEATABLE READ and SERIALIZABLE (SSI). Failed
#    transactions are retried (--max-tries=100); the retry share is printed.
# 2. Hot keys: 10 rows; each transaction reads one random row and
#    increments another (a write-skew shape that repeatable read and
#    serializable must police). Run with --max-tries=1, so every
#    serialization failure is counted: abort% = failed / (committed + failed).
# Prints medians of REPEAT runs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SCALE="${1:-10}"
REPEAT="${REPEAT:-3}"
CLIENTS="${CLIENTS:-2}"
HOT_CLIENTS="${HOT_CLIENTS:-4}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-8}"
PORT="${BENCH_PORT:-5495}"
bench_server_start "$PORT" $'jit = off\nmax_connections = 40'

bench_pgbench_databases "$SCALE"
for db in heap memopt; do
  am=heap
  [[ $db == memopt ]] && am=memopt
  psql_q -d "bench_$db" -c "CREATE TABLE hot (k int PRIMARY KEY, v bigint) USING $am" \
    -c "INSERT INTO hot SELECT g, 0 FROM generate_series(1, 10) g" -c "ANALYZE"
done
HOT_SCRIPT="$WORK/hot.sql"
cat >"$HOT_SCRIPT" <<'SQL'
\set r random(1, 10)
\set w random(1, 10)
BEGIN;
SELECT v FROM hot WHERE k = :r;
UPDATE hot SET v = v + 1 WHERE k = :w;
END;
SQL
chmod a+r "$HOT_SCRIPT"

# db, options, clients, max-tries, pgbench args... -> "tps retried% failed%"
run() {
  local db="$1" options="$2" clients="$3" tries="$4"
  shift 4
  local out
  out=$(PGOPTIONS="$options" pgbench_q -n -M prepared -c "$clients" -j "$clients" \
    -T "$SECONDS_PER_RUN" --max-tries="$tries" "$@" "bench_$db" 2>&1)
  awk '/^tps = / {tps = int($3)}
       /number of transactions actually processed/ {split($6, p, "/"); n = p[1]}
       /number of failed transactions/ {f = $5}
       /number of transactions retried/ {gsub(/[()%]/, "", $6); r = $6}
       END {printf "%d %s %.1f\n", tps, (r == "" ? "0" : r), (n + f > 0 ? 100 * f / (n + f) : 0)}' <<<"$out"
}

CONFIGS=(
  "memopt|-c memopt.isolation_level=snapshot|memopt snapshot"
  "memopt|-c memopt.isolation_level=repeatable_read|memopt repeatable read"
  "memopt|-c memopt.isolation_level=serializable|memopt serializable"
  "heap|-c default_transaction_isolation=repeatable\ read|heap REPEATABLE READ"
  "heap|-c default_transaction_isolation=serializable|heap SERIALIZABLE (SSI)"
)

measure() {  # title, clients, tries, pgbench args...
  local title="$1" clients="$2" tries="$3"
  shift 3
  printf '\n%s (clients=%s, max-tries=%s)\n' "$title" "$clients" "$tries"
  printf '%-28s %9s %9s %9s\n' config tps retried failed
  local config db options label
  for config in "${CONFIGS[@]}"; do
    IFS='|' read -r db options label <<<"$config"
    local tps="" retried="" failed="" t r f
    for ((i = 0; i < REPEAT; i++)); do
      read -r t r f <<<"$(run "$db" "$options" "$clients" "$tries" "$@")"
      tps+="$t " retried+="$r " failed+="$f "
    done
    printf '%-28s %9s %8s%% %8s%%\n' "$label" "$(echo $tps | tr ' ' '\n' | median)" \
      "$(echo $retried | tr ' ' '\n' | median)" "$(echo $failed | tr ' ' '\n' | median)"
  done
}

measure "pgbench -S (select only)" "$CLIENTS" 100 -S
measure "pgbench TPC-B-like" "$CLIENTS" 100
measure "hot keys: read one of 10 rows, increment another" "$HOT_CLIENTS" 1 -f "$HOT_SCRIPT"
echo
echo "scale=$SCALE seconds=$SECONDS_PER_RUN repeat=$REPEAT (medians)"
psql_q -d bench_memopt -c "SELECT * FROM memopt.transaction_stats"

#!/usr/bin/env bash
# A work queue on SELECT ... FOR UPDATE SKIP LOCKED: memopt table vs heap
# table in the same server, alternating runs.
#
#   bench/bench_queue.sh                      (run as root or not)
#   SECONDS_PER_RUN=10 REPEAT=3 JOBS=200000 bench/bench_queue.sh
#
# Each database has queue(id bigserial PRIMARY KEY, payload text) preloaded
# with JOBS rows. Every pgbench transaction is one worker step: enqueue a
# job, then take the oldest job nobody else holds and delete it:
#
#   INSERT INTO queue (payload) VALUES (...);
#   DELETE FROM queue WHERE id = (SELECT id FROM queue ORDER BY id LIMIT 1
#                                 FOR UPDATE SKIP LOCKED) RETURNING id;
#
# so the queue keeps its length. Failed transactions are retried
# (--max-tries=10); "retried" and "failed" say how often workers collided.
# The queue is refilled and vacuumed before every run. Prints medians of
# REPEAT runs per client count. synchronous_commit is off unless
# SYNCHRONOUS_COMMIT=on: with it on, both tables wait for a WAL flush per
# job and measure the disk.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

REPEAT="${REPEAT:-3}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-10}"
JOBS="${JOBS:-200000}"
CLIENT_COUNTS="${CLIENT_COUNTS:-1 2 4}"
PORT="${BENCH_PORT:-5497}"
SYNCHRONOUS_COMMIT="${SYNCHRONOUS_COMMIT:-off}"
bench_server_start "$PORT" "jit = off
max_connections = 40
synchronous_commit = $SYNCHRONOUS_COMMIT"


for db in heap memopt; do
  psql_q -d postgres -c "CREATE DATABASE bench_$db"
  psql_q -d "bench_$db" -c "CREATE EXTENSION memopt" \
    -c "CREATE TABLE queue (id bigserial PRIMARY KEY, payload text NOT NULL) USING $db"
done
SCRIPT="$WORK/queue.sql"
cat >"$SCRIPT" <<'SQL'
BEGIN;
INSERT INTO queue (payload) VALUES ('a job to do, with a few bytes of payload');
DELETE FROM queue WHERE id = (SELECT id FROM queue ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING id;
END;
SQL
chmod a+r "$SCRIPT"

refill() {  # db
  psql_q -d "bench_$1" -c "TRUNCATE queue" \
    -c "INSERT INTO queue (payload) SELECT 'job ' || g FROM generate_series(1, $JOBS) g" \
    -c "VACUUM ANALYZE queue"
}

# db, clients -> "tps retried% failed%"
run() {
  local out
  refill "$1"
  out=$(pgbench_q -n -M prepared -c "$2" -j "$2" -T "$SECONDS_PER_RUN" --max-tries=10 \
    -f "$SCRIPT" "bench_$1" 2>&1)
  awk '/^tps = / {tps = int($3)}
       /number of transactions actually processed/ {split($6, p, "/"); n = p[1]}
       /number of failed transactions/ {f = $5}
       /number of transactions retried/ {gsub(/[()%]/, "", $6); r = $6}
       END {printf "%d %s %.1f\n", tps, (r == "" ? "0" : r), (n + f > 0 ? 100 * f / (n + f) : 0)}' <<<"$out"
}

printf '%-8s %-7s %9s %9s %9s\n' clients table tps retried failed
for clients in $CLIENT_COUNTS; do
  declare -A tps=() retried=() failed=()
  for ((i = 0; i < REPEAT; i++)); do
    for db in heap memopt; do
      read -r t r f <<<"$(run "$db" "$clients")"
      tps[$db]+="$t " retried[$db]+="$r " failed[$db]+="$f "
    done
  done
  for db in heap memopt; do
    printf '%-8s %-7s %9s %8s%% %8s%%\n' "$clients" "$db" \
      "$(echo ${tps[$db]} | tr ' ' '\n' | median)" \
      "$(echo ${retried[$db]} | tr ' ' '\n' | median)" \
      "$(echo ${failed[$db]} | tr ' ' '\n' | median)"
  done
  unset tps retried failed
done
echo
echo "seconds=$SECONDS_PER_RUN repeat=$REPEAT jobs=$JOBS synchronous_commit=$SYNCHRONOUS_COMMIT" \
  "(medians; queue refilled and vacuumed before each run)"
psql_q -d bench_memopt -c "SELECT count(*) AS jobs_left FROM queue"

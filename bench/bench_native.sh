#!/usr/bin/env bash
# Natively compiled procedures against PL/pgSQL, in one run on one server.
#
#   bench/bench_native.sh [ROWS]            (default 1000000; run as root or not)
#   REPEAT=3 bench/bench_native.sh 1000000
#
# 1. The issue's loop: ROWS inserts of (i, i + 1), i from ROWS down to 1,
#    in one CALL: LANGUAGE native_compilation into a memopt table, against
#    the same loop in PL/pgSQL into a heap table and into a memopt table.
#    Tables are durable (logged) and emptied (TRUNCATE) before every run.
# 2. Point lookups: ROWS SELECT ... INTO by primary key in one call,
#    natively against PL/pgSQL on heap and on memopt.
# 3. A filter by an uncorrelated scalar subquery, `count(*) ... WHERE c2 >
#    (SELECT avg(c2) FROM t)` over the ROWS rows: computed once per
#    statement (PostgreSQL's InitPlan), so two scans, not ROWS + 1.
# 4. IN-list lookups: ROWS / 3 queries `SELECT sum(c2) ... WHERE c1 IN (i,
#    i + 1, i + 2)` in one call (natively one key lookup per list item).
# 5. A filter by an uncorrelated IN subquery, `count(*) ... WHERE c2 IN
#    (SELECT c1 * 7 FROM t WHERE c1 <= 1000)` over the ROWS rows: natively
#    the subquery's values go into a set once (PostgreSQL's hashed SubPlan).
# 6. Compile time of the insert procedure and of a function whose query
#    has an IN list of 5,000 integer constants (memopt.recompile).
# 7. Text IN lists: 50 times `count(*) ... WHERE k IN (1,000 text
#    constants)` over a 100,000-row table keyed by text (natively one
#    lookup per distinct item, the items from a sorted set built once per
#    call), and the compile time of that function.
# 8. Upsert by exception: ROWS / 10 iterations of BEGIN INSERT (i % (ROWS
#    / 20)) EXCEPTION WHEN unique_violation THEN UPDATE ... END, so half of
#    them catch an error: a subtransaction per iteration, rolled back for
#    half (natively sigsetjmp and memopt's savepoint level; PL/pgSQL's
#    exec_stmt_block).
# 9. A join with a subquery in FROM, `sum(b.w) FROM t s, (SELECT c1 AS i,
#    c2 AS w FROM t WHERE c2 >= 0) b WHERE b.i = s.c2 AND s.c1 <= 1000`:
#    natively the subquery is pulled up into the join (as PostgreSQL's
#    planner does), so b is found by its primary key for each of the 1,000
#    rows of s, rather than computed whole and read for each of them.
# Times are server-side call times from psql's \timing, medians of REPEAT
# runs; ratios are PL/pgSQL's time over the native time in the same run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROWS="${1:-1000000}"
REPEAT="${REPEAT:-3}"
PORT="${BENCH_PORT:-5496}"
bench_server_start "$PORT" $'jit = off\nsynchronous_commit = on'

psql_q -d postgres <<SQL
CREATE EXTENSION memopt;
CREATE TABLE t_mem_native (c1 int PRIMARY KEY, c2 int) USING memopt;
CREATE TABLE t_mem_plpgsql (c1 int PRIMARY KEY, c2 int) USING memopt;
CREATE TABLE t_heap (c1 int PRIMARY KEY, c2 int);
CREATE PROCEDURE ins_native(n int) LANGUAGE native_compilation AS \$\$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE i int := n;
  WHILE i > 0 LOOP
    INSERT INTO t_mem_native VALUES (i, i + 1);
    i := i - 1;
  END LOOP;
END \$\$;
CREATE PROCEDURE ins_plpgsql_heap(n int) LANGUAGE plpgsql AS \$\$
DECLARE i int := n;
BEGIN
  WHILE i > 0 LOOP
    INSERT INTO t_heap VALUES (i, i + 1);
    i := i - 1;
  END LOOP;
END \$\$;
CREATE PROCEDURE ins_plpgsql_mem(n int) LANGUAGE plpgsql AS \$\$
DECLARE i int := n;
BEGIN
  WHILE i > 0 LOOP
    INSERT INTO t_mem_plpgsql VALUES (i, i + 1);
    i := i - 1;
  END LOOP;
END \$\$;
CREATE FUNCTION get_native(n int) RETURNS bigint LANGUAGE native_compilation AS \$\$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE s bigint := 0;
  DECLARE v int;
  FOR i IN 1..n LOOP
    SELECT c2 INTO v FROM t_mem_native WHERE c1 = i;
    s := s + v;
  END LOOP;
  RETURN s;
END \$\$;
CREATE FUNCTION get_plpgsql_heap(n int) RETURNS bigint LANGUAGE plpgsql AS \$\$
DECLARE s bigint := 0; v int;
BEGIN
  FOR i IN 1..n LOOP
    SELECT c2 INTO v FROM t_heap WHERE c1 = i;
    s := s + v;
  END LOOP;
  RETURN s;
END \$\$;
CREATE FUNCTION get_plpgsql_mem(n int) RETURNS bigint LANGUAGE plpgsql AS \$\$
DECLARE s bigint := 0; v int;
BEGIN
  FOR i IN 1..n LOOP
    SELECT c2 INTO v FROM t_mem_plpgsql WHERE c1 = i;
    s := s + v;
  END LOOP;
  RETURN s;
END \$\$;
SQL
# The opening of a routine body in `language`, declaring n (0) and v.
routine_start() {
  if [ "$1" = native_compilation ]; then
    echo "BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
      DECLARE n bigint := 0; DECLARE v bigint;"
  else
    echo "DECLARE n bigint := 0; v bigint; BEGIN"
  fi
}
for side in native:t_mem_native:native_compilation plpgsql_heap:t_heap:plpgsql \
  plpgsql_mem:t_mem_plpgsql:plpgsql; do
  IFS=: read -r name table language <<<"$side"
  avg_body="SELECT count(*) INTO n FROM $table WHERE c2 > (SELECT avg(c2) FROM $table); RETURN n;"
  in_set_body="SELECT count(*) INTO n FROM $table WHERE c2 IN (SELECT c1 * 7 FROM $table WHERE c1 <= 1000); RETURN n;"
  from_join_body="SELECT sum(b.w) INTO n FROM $table s, (SELECT c1 AS i, c2 AS w FROM $table
    WHERE c2 >= 0) b WHERE b.i = s.c2 AND s.c1 <= 1000; RETURN n;"
  in_body="FOR i IN 1..k LOOP SELECT sum(c2) INTO v FROM $table WHERE c1 IN (3 * i, 3 * i + 1,
    3 * i + 2); n := n + v; END LOOP; RETURN n;"
  start=$(routine_start "$language")
  psql_q -d postgres -c "CREATE FUNCTION above_avg_$name() RETURNS bigint LANGUAGE $language AS \$\$ $start $avg_body END \$\$"
  psql_q -d postgres -c "CREATE FUNCTION in_set_$name() RETURNS bigint LANGUAGE $language AS \$\$ $start $in_set_body END \$\$"
  psql_q -d postgres -c "CREATE FUNCTION from_join_$name() RETURNS bigint LANGUAGE $language AS \$\$ $start $from_join_body END \$\$"
  psql_q -d postgres -c "CREATE FUNCTION in_list_$name(k int) RETURNS bigint LANGUAGE $language AS \$\$ $start $in_body END \$\$"
done

psql_q -d postgres <<SQL
CREATE TABLE t_text_mem (k text PRIMARY KEY, v int) USING memopt;
CREATE TABLE t_text_heap (k text PRIMARY KEY, v int);
INSERT INTO t_text_mem SELECT 'k' || i, i FROM generate_series(1, 100000) i;
INSERT INTO t_text_heap SELECT 'k' || i, i FROM generate_series(1, 100000) i;
VACUUM ANALYZE t_text_heap;
SQL
text_list=$(seq -f "'k%g'" -s ', ' 7 97 97000)
for side in native:t_text_mem:native_compilation plpgsql_heap:t_text_heap:plpgsql \
  plpgsql_mem:t_text_mem:plpgsql; do
  IFS=: read -r name table language <<<"$side"
  body="FOR i IN 1..50 LOOP SELECT count(*) INTO v FROM $table WHERE k IN ($text_list);
    n := n + v; END LOOP; RETURN n;"
  start=$(routine_start "$language")
  psql_q -d postgres -c "CREATE FUNCTION text_in_list_$name() RETURNS bigint LANGUAGE $language AS \$\$ $start $body END \$\$"
done

for side in native:t_exc_mem_native:native_compilation plpgsql_heap:t_exc_heap:plpgsql \
  plpgsql_mem:t_exc_mem_plpgsql:plpgsql; do
  IFS=: read -r name table language <<<"$side"
  using=""
  [[ "$name" != plpgsql_heap ]] && using="USING memopt"
  psql_q -d postgres -c "CREATE TABLE $table (id int PRIMARY KEY, hits int) $using"
  body="FOR i IN 1..k LOOP BEGIN INSERT INTO $table VALUES (i % (k / 2), 1);
    EXCEPTION WHEN unique_violation THEN UPDATE $table SET hits = hits + 1 WHERE id = i % (k / 2);
    END; END LOOP; SELECT sum(hits) INTO n FROM $table; RETURN n;"
  start=$(routine_start "$language")
  psql_q -d postgres -c "CREATE FUNCTION upsert_$name(k int) RETURNS bigint LANGUAGE $language AS \$\$ $start $body END \$\$"
done

long_list=$(seq -s ', ' 1 3 15000)
psql_q -d postgres -c "CREATE FUNCTION long_in_list() RETURNS bigint LANGUAGE native_compilation AS \$\$
  BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT) DECLARE n bigint;
  SELECT count(*) INTO n FROM t_mem_native WHERE c1 IN ($long_list); RETURN n; END \$\$"

# statement -> milliseconds (psql's \timing of the one statement)
time_ms() {
  psql_q -d postgres -c '\timing on' -c "$1" | awk '/^Time: / {print $2}'
}

declare -A samples
for _ in $(seq "$REPEAT"); do
  psql_q -d postgres -c "TRUNCATE t_mem_native, t_mem_plpgsql, t_heap" -c "CHECKPOINT"
  samples[ins_native]+="$(time_ms "CALL ins_native($ROWS)") "
  samples[ins_plpgsql_heap]+="$(time_ms "CALL ins_plpgsql_heap($ROWS)") "
  samples[ins_plpgsql_mem]+="$(time_ms "CALL ins_plpgsql_mem($ROWS)") "
  psql_q -d postgres -c "VACUUM ANALYZE t_heap"
  for f in get_native get_plpgsql_heap get_plpgsql_mem; do
    samples[$f]+="$(time_ms "SELECT $f($ROWS)") "
  done
  for f in above_avg_native above_avg_plpgsql_heap above_avg_plpgsql_mem; do
    samples[$f]+="$(time_ms "SELECT $f()") "
  done
  for f in text_in_list_native text_in_list_plpgsql_heap text_in_list_plpgsql_mem; do
    samples[$f]+="$(time_ms "SELECT $f()") "
  done
  for f in in_set_native in_set_plpgsql_heap in_set_plpgsql_mem; do
    samples[$f]+="$(time_ms "SELECT $f()") "
  done
  for f in from_join_native from_join_plpgsql_heap from_join_plpgsql_mem; do
    samples[$f]+="$(time_ms "SELECT $f()") "
  done
  for f in in_list_native in_list_plpgsql_heap in_list_plpgsql_mem; do
    samples[$f]+="$(time_ms "SELECT $f($ROWS / 3 - 1)") "
  done
  psql_q -d postgres -c "TRUNCATE t_exc_mem_native, t_exc_heap, t_exc_mem_plpgsql"
  for f in upsert_native upsert_plpgsql_heap upsert_plpgsql_mem; do
    samples[$f]+="$(time_ms "SELECT $f($ROWS / 10)") "
  done
done
compile_ms=$(psql_q -d postgres -At -c "SELECT round(memopt.recompile('ins_native(int)')::numeric, 1)")
long_list_ms=$(psql_q -d postgres -At -c "SELECT round(memopt.recompile('long_in_list()')::numeric, 1)")
text_list_ms=$(psql_q -d postgres -At -c "SELECT round(memopt.recompile('text_in_list_native()')::numeric, 1)")

med() { tr ' ' '\n' <<<"${samples[$1]}" | grep . | median; }
ratio() { awk -v a="$(med "$1")" -v b="$(med "$2")" 'BEGIN {printf "%.1fx", a / b}'; }

echo "rows: $ROWS, repeat: $REPEAT (medians, ms)"
printf "%-44s %10s %9s\n" "workload" "ms" "vs native"
printf "%-44s %10s %9s\n" "insert loop, native -> memopt" "$(med ins_native)" "1.0x"
printf "%-44s %10s %9s\n" "insert loop, PL/pgSQL -> heap" "$(med ins_plpgsql_heap)" "$(ratio ins_plpgsql_heap ins_native)"
printf "%-44s %10s %9s\n" "insert loop, PL/pgSQL -> memopt" "$(med ins_plpgsql_mem)" "$(ratio ins_plpgsql_mem ins_native)"
printf "%-44s %10s %9s\n" "lookup loop, native -> memopt" "$(med get_native)" "1.0x"
printf "%-44s %10s %9s\n" "lookup loop, PL/pgSQL -> heap" "$(med get_plpgsql_heap)" "$(ratio get_plpgsql_heap get_native)"
printf "%-44s %10s %9s\n" "lookup loop, PL/pgSQL -> memopt" "$(med get_plpgsql_mem)" "$(ratio get_plpgsql_mem get_native)"
printf "%-44s %10s %9s\n" "filter by (SELECT avg), native -> memopt" "$(med above_avg_native)" "1.0x"
printf "%-44s %10s %9s\n" "filter by (SELECT avg), PL/pgSQL -> heap" "$(med above_avg_plpgsql_heap)" "$(ratio above_avg_plpgsql_heap above_avg_native)"
printf "%-44s %10s %9s\n" "filter by (SELECT avg), PL/pgSQL -> memopt" "$(med above_avg_plpgsql_mem)" "$(ratio above_avg_plpgsql_mem above_avg_native)"
printf "%-44s %10s %9s\n" "IN-list lookups, native -> memopt" "$(med in_list_native)" "1.0x"
printf "%-44s %10s %9s\n" "IN-list lookups, PL/pgSQL -> heap" "$(med in_list_plpgsql_heap)" "$(ratio in_list_plpgsql_heap in_list_native)"
printf "%-44s %10s %9s\n" "IN-list lookups, PL/pgSQL -> memopt" "$(med in_list_plpgsql_mem)" "$(ratio in_list_plpgsql_mem in_list_native)"
printf "%-44s %10s %9s\n" "filter by IN (SELECT ...), native -> memopt" "$(med in_set_native)" "1.0x"
printf "%-44s %10s %9s\n" "filter by IN (SELECT ...), PL/pgSQL -> heap" "$(med in_set_plpgsql_heap)" "$(ratio in_set_plpgsql_heap in_set_native)"
printf "%-44s %10s %9s\n" "filter by IN (SELECT ...), PL/pgSQL -> memopt" "$(med in_set_plpgsql_mem)" "$(ratio in_set_plpgsql_mem in_set_native)"
printf "%-44s %10s %9s\n" "join with a subquery in FROM, native -> memopt" "$(med from_join_native)" "1.0x"
printf "%-44s %10s %9s\n" "join with a subquery in FROM, PL/pgSQL -> heap" "$(med from_join_plpgsql_heap)" "$(ratio from_join_plpgsql_heap from_join_native)"
printf "%-44s %10s %9s\n" "join with a subquery in FROM, PL/pgSQL -> memopt" "$(med from_join_plpgsql_mem)" "$(ratio from_join_plpgsql_mem from_join_native)"
echo "compile time of ins_native (parse, bind, LLVM -O2, JIT): ${compile_ms} ms"
printf "%-44s %10s %9s\n" "text IN-list lookups, native -> memopt" "$(med text_in_list_native)" "1.0x"
printf "%-44s %10s %9s\n" "text IN-list lookups, PL/pgSQL -> heap" "$(med text_in_list_plpgsql_heap)" "$(ratio text_in_list_plpgsql_heap text_in_list_native)"
printf "%-44s %10s %9s\n" "text IN-list lookups, PL/pgSQL -> memopt" "$(med text_in_list_plpgsql_mem)" "$(ratio text_in_list_plpgsql_mem text_in_list_native)"
echo "compile time of long_in_list (5,000 constants): ${long_list_ms} ms"
echo "compile time of text_in_list_native (1,000 text constants): ${text_list_ms} ms"
printf "%-44s %10s %9s\n" "upsert by exception, native -> memopt" "$(med upsert_native)" "1.0x"
printf "%-44s %10s %9s\n" "upsert by exception, PL/pgSQL -> heap" "$(med upsert_plpgsql_heap)" "$(ratio upsert_plpgsql_heap upsert_native)"
printf "%-44s %10s %9s\n" "upsert by exception, PL/pgSQL -> memopt" "$(med upsert_plpgsql_mem)" "$(ratio upsert_plpgsql_mem upsert_native)"

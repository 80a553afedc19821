#!/usr/bin/env bash
# What a natively compiled routine costs besides its run time: instructions
# per row lookup (valgrind's callgrind) against PL/pgSQL, and the time of a
# first call (compile after a restart, load in a new backend).
#
#   bench/bench_native_costs.sh [ROWS]      (default 100000; run as root or not)
#   REPEAT=5 bench/bench_native_costs.sh
#
# 1. Instructions per lookup: the function `SELECT c2 INTO v FROM t WHERE
#    c1 = i` for i in 1..n, natively on memopt and in PL/pgSQL on heap and on
#    memopt, each run in a single-user backend under callgrind after a
#    warm-up call (which compiles, loads and fills the caches). Two runs per
#    function, n = SMALL and n = LARGE lookups; the difference of their
#    instruction counts over LARGE - SMALL is the cost of one loop iteration
#    (lookup, assignment, loop step), start-up and warm-up cancel out.
#    Instruction counts are exact and repeatable, unlike times here.
#    The same way: the issue's insert loop per inserted row (SMALL and LARGE
#    rows), and whole CALLs from a statement (200 and 400 calls): a native
#    no-op, a native one-row UPDATE, the UPDATE in PL/pgSQL on heap.
# 2. First calls, in milliseconds (psql's \timing, medians of REPEAT):
#    - after a server restart, the first call anywhere rebuilds the module
#      from the catalog (parse, bind, LLVM -O2, emit) and loads it;
#    - the first call in any other new backend loads the module from the
#      file the first one wrote;
#    - later calls in the same backend: the call itself (one lookup).
#    PL/pgSQL's first call in a new backend (it compiles its function then)
#    is shown for comparison.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROWS="${1:-100000}"
REPEAT="${REPEAT:-5}"
SMALL="${SMALL:-10000}"
LARGE="${LARGE:-30000}"
PORT="${BENCH_PORT:-5496}"
command -v valgrind >/dev/null || {
  echo "valgrind is not installed (apt-get install valgrind)" >&2
  exit 1
}
bench_server_start "$PORT" $'jit = off\nshared_buffers = \'128MB\'\nmemopt.max_memory = \'512MB\''

psql_q -d postgres <<SQL
CREATE EXTENSION memopt;
CREATE TABLE t_mem (c1 int PRIMARY KEY, c2 int) USING memopt;
CREATE TABLE t_heap (c1 int PRIMARY KEY, c2 int);
INSERT INTO t_heap SELECT g, g + 1 FROM generate_series(1, $ROWS) g;
INSERT INTO t_mem SELECT * FROM t_heap;
CREATE FUNCTION get_native(n int) RETURNS bigint LANGUAGE native_compilation AS \$\$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE s bigint := 0;
  DECLARE v int;
  FOR i IN 1..n LOOP
    SELECT c2 INTO v FROM t_mem WHERE c1 = i;
    s := s + v;
  END LOOP;
  RETURN s;
END \$\$;
SQL
psql_q -d postgres <<SQL
CREATE TABLE t_ins (c1 int PRIMARY KEY, c2 int) USING memopt;
CREATE PROCEDURE ins_native(n int) LANGUAGE native_compilation AS \$\$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE i int := n;
  WHILE i > 0 LOOP
    INSERT INTO t_ins VALUES (i, i + 1);
    i := i - 1;
  END LOOP;
END \$\$;
CREATE PROCEDURE nop_native(k int) LANGUAGE native_compilation AS \$\$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x int := k;
END \$\$;
CREATE PROCEDURE upd_native(k int) LANGUAGE native_compilation AS \$\$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  UPDATE t_mem SET c2 = c2 + 1 WHERE c1 = k;
END \$\$;
CREATE PROCEDURE upd_plpgsql_heap(k int) LANGUAGE plpgsql AS \$\$
BEGIN
  UPDATE t_heap SET c2 = c2 + 1 WHERE c1 = k;
END \$\$;
SQL
for table in heap mem; do  # the same loop in PL/pgSQL over each table
  psql_q -d postgres <<SQL
CREATE FUNCTION get_plpgsql_$table(n int) RETURNS bigint LANGUAGE plpgsql AS \$\$
DECLARE s bigint := 0; v int;
BEGIN
  FOR i IN 1..n LOOP
    SELECT c2 INTO v FROM t_$table WHERE c1 = i;
    s := s + v;
  END LOOP;
  RETURN s;
END \$\$;
SQL
done
psql_q -d postgres -c "VACUUM ANALYZE"

# --- 2. First calls (the server is up) ----------------------------------------

# statements -> the milliseconds of each, one line each (one new backend)
times_ms() {
  local args=(-c '\timing on')
  for statement in "$@"; do args+=(-c "$statement"); done
  psql_q -d postgres "${args[@]}" | awk '/^Time: / {print $2}'
}

declare -A samples
for _ in $(seq "$REPEAT"); do
  as_pg "$PG_BINDIR/pg_ctl" -D "$DATA" -w restart >/dev/null
  mapfile -t t < <(times_ms "SELECT get_native(1)" "SELECT get_native(1)")
  samples[compile]+="${t[0]} "
  mapfile -t t < <(times_ms "SELECT get_native(1)" "SELECT get_native(1)")
  samples[load]+="${t[0]} "
  samples[call]+="${t[1]} "
  mapfile -t t < <(times_ms "SELECT get_plpgsql_mem(1)" "SELECT get_plpgsql_mem(1)")
  samples[plpgsql_first]+="${t[0]} "
  samples[plpgsql_call]+="${t[1]} "
done
med() { tr ' ' '\n' <<<"${samples[$1]}" | grep . | median; }
module_bytes=$(psql_q -d postgres -At -c "SELECT size FROM memopt.native_modules
  WHERE routine = 'get_native(integer)'::regprocedure")

# --- 1. Instructions per lookup (the server is stopped) ----------------------

as_pg "$PG_BINDIR/pg_ctl" -D "$DATA" -w stop >/dev/null
# function, lookups -> instructions of one single-user backend's life
# name, statements on stdin -> instructions of one single-user backend's life
run_instructions() {
  local out="$WORK/callgrind.$1"
  as_pg valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$PG_BINDIR/postgres" --single -D "$DATA" postgres >"$out.log" 2>&1
  awk '/^summary: / {print $2}' "$out"
}
instructions() {  # function, lookups
  printf 'SELECT %s(1);\nSELECT %s(%s);\n' "$1" "$1" "$2" | run_instructions "$1.$2"
}
declare -A per_lookup
for f in get_native get_plpgsql_heap get_plpgsql_mem; do
  small=$(instructions "$f" "$SMALL")
  large=$(instructions "$f" "$LARGE")
  per_lookup[$f]=$(((large - small) / (LARGE - SMALL)))
done
# The issue's insert loop, per inserted row (each CALL its own transaction,
# so the commit's share is in it).
inserts() { printf 'CALL ins_native(1);\nTRUNCATE t_ins;\nCALL ins_native(%s);\nTRUNCATE t_ins;\n' "$1"; }
per_insert=$((($(inserts "$LARGE" | run_instructions ins.large) - \
  $(inserts "$SMALL" | run_instructions ins.small)) / (LARGE - SMALL)))
# Whole calls from a statement, per CALL: 200 more of them.
calls() { for i in $(seq 1 "$2"); do echo "CALL $1($i);"; done; }
declare -A per_call
for p in nop_native upd_native upd_plpgsql_heap; do
  per_call[$p]=$((($(calls "$p" 400 | run_instructions "$p.400") - \
    $(calls "$p" 200 | run_instructions "$p.200")) / 200))
done
ratio() { awk -v a="${per_lookup[$1]}" -v b="${per_lookup[get_native]}" 'BEGIN {printf "%.1fx", a / b}'; }

echo "instructions per loop iteration (callgrind; $SMALL and $LARGE lookups, table of $ROWS rows)"
printf "%-34s %12s %9s\n" "lookup loop" "instructions" "vs native"
printf "%-34s %12s %9s\n" "native -> memopt" "${per_lookup[get_native]}" "1.0x"
printf "%-34s %12s %9s\n" "PL/pgSQL -> heap" "${per_lookup[get_plpgsql_heap]}" "$(ratio get_plpgsql_heap)"
printf "%-34s %12s %9s\n" "PL/pgSQL -> memopt" "${per_lookup[get_plpgsql_mem]}" "$(ratio get_plpgsql_mem)"
echo "insert loop, native -> memopt: $per_insert instructions per inserted row"
echo "one CALL from a statement (parse, transaction, commit included):"
printf "%-34s %12s\n" "native, no statement" "${per_call[nop_native]}"
printf "%-34s %12s\n" "native, one-row UPDATE" "${per_call[upd_native]}"
printf "%-34s %12s\n" "PL/pgSQL, one-row UPDATE on heap" "${per_call[upd_plpgsql_heap]}"
echo
echo "first calls (ms, medians of $REPEAT; module of ${module_bytes} bytes)"
printf "%-58s %8s\n" "native, first call after a restart (compile and load)" "$(med compile)"
printf "%-58s %8s\n" "native, first call in another new backend (load)" "$(med load)"
printf "%-58s %8s\n" "native, second call in that backend" "$(med call)"
printf "%-58s %8s\n" "PL/pgSQL, first call in a new backend (its compile)" "$(med plpgsql_first)"
printf "%-58s %8s\n" "PL/pgSQL, second call in that backend" "$(med plpgsql_call)"

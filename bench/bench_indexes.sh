#!/usr/bin/env bash
# Index-driven OLTP statements through pgbench: memopt tables with
# memopt_range / memopt_hash primary keys vs heap tables with btree primary
# keys, side by side in one run on one private server.
#
#   bench/bench_indexes.sh [ROWS]        (default 1000000; run as root or not)
#   SECONDS_PER_RUN=10 REPEAT=3 CLIENTS=2 WORKLOADS="pk_lookup" bench/bench_indexes.sh
#
# Each workload runs `pgbench -n -M prepared -c CLIENTS -T SECONDS_PER_RUN`
# with a custom script against heap, memopt (memopt_range PK) and memopt_hash
# (memopt_hash PK), alternately, REPEAT times; it reports the median TPS and
# the ratio to heap (above 1 = faster than heap). Workloads:
#   pk_lookup   SELECT one row by a random primary key
#   range_100   sum over 100 consecutive keys (memopt_hash: not applicable)
#   update_row  UPDATE a non-key column of one random row
#   insert_row  INSERT one row with a new key (sequence)
#   in_list_10  sum over 10 random primary keys given as an IN list (not in
#               the default list: WORKLOADS=in_list_10)
# and, inside the server with no client round trips (LOOKUPS=200000):
#   join_lookups  a nested-loop join probing the primary key LOOKUPS times
#   join_range    the same, each probe a 10-key range (memopt_range only)
#   scan_filter   a sequential scan counting the rows of one bid (no index)
#   loop_lookups  a PL/pgSQL loop of LOOP_LOOKUPS (1M) primary-key SELECTs
#   text_md5, text_serial  the same loop (TEXT_LOOKUPS, 200k) over ROWS text
#               keys under the C collation: md5 hex strings, and
#               'customer-0000000001'-style keys whose first 8 bytes are all
#               equal (the B+-tree's key prefixes cannot tell them apart)
# reported as seconds (median of REPEAT; ratio = engine/heap time, below 1 =
# faster).
# Equality lookups use the MemoptLookup custom scan (custom_lookup.cpp); the
# in-server joins also run with memopt.enable_custom_scans = off, PostgreSQL's
# generic index AM -> TID -> table AM path, to show what the node gains.
# Results go to stdout; bench/RESULTS.md records them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROWS="${1:-1000000}"
REPEAT="${REPEAT:-3}"
CLIENTS="${CLIENTS:-2}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-10}"
PORT="${BENCH_PORT:-5496}"
WORKLOADS="${WORKLOADS-pk_lookup range_100 update_row insert_row}"  # "" skips them
bench_server_start "$PORT" $'synchronous_commit = off\njit = off'

psql_q() { as_pg "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -d postgres "$@"; }
psql_q <<SQL
CREATE EXTENSION memopt;
CREATE TABLE acc_heap (aid int PRIMARY KEY, bid int, abalance int, filler char(84));
CREATE TABLE acc_memopt (aid int PRIMARY KEY, bid int, abalance int, filler char(84)) USING memopt;
CREATE TABLE acc_memopt_hash (aid int, bid int, abalance int, filler char(84),
  PRIMARY KEY (aid) WITH (bucket_count = $ROWS)) USING memopt;
INSERT INTO acc_heap SELECT g, g / 100000, 0, '' FROM generate_series(1, $ROWS) g;
INSERT INTO acc_memopt SELECT * FROM acc_heap;
INSERT INTO acc_memopt_hash SELECT * FROM acc_heap;
CREATE SEQUENCE ins_seq;
CREATE TABLE ins_heap (id bigint PRIMARY KEY, v int);
CREATE TABLE ins_memopt (id bigint PRIMARY KEY, v int) USING memopt;
CREATE TABLE ins_memopt_hash (id bigint, v int, PRIMARY KEY (id) WITH (bucket_count = 1048576))
  USING memopt;
VACUUM ANALYZE;
SQL

script() {  # workload engine -> pgbench script file
  local file="$WORK/$1.$2.sql"
  case "$1" in
    pk_lookup) printf '\\set aid random(1, %s)\nSELECT abalance FROM acc_%s WHERE aid = :aid;\n' "$ROWS" "$2" ;;
    range_100) printf '\\set aid random(1, %s)\nSELECT sum(abalance) FROM acc_%s WHERE aid BETWEEN :aid AND :aid + 99;\n' "$((ROWS - 100))" "$2" ;;
    update_row) printf '\\set aid random(1, %s)\nUPDATE acc_%s SET abalance = abalance + 1 WHERE aid = :aid;\n' "$ROWS" "$2" ;;
    insert_row) printf 'INSERT INTO ins_%s VALUES (nextval(%s), 1);\n' "$2" "'ins_seq'" ;;
    in_list_10)
      for i in $(seq 10); do printf '\\set a%s random(1, %s)\n' "$i" "$ROWS"; done
      printf 'SELECT sum(abalance) FROM acc_%s WHERE aid IN (%s);\n' "$2" \
        "$(seq -s ', ' -f ':a%g' 10)" ;;
  esac >"$file"
  is_root && chown "$PG_OS_USER:" "$file"
  echo "$file"
}

tps() {  # script -> TPS of one pgbench run
  as_pg "$PG_BINDIR/pgbench" -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$SECONDS_PER_RUN" \
    -h "$WORK" -p "$PORT" -f "$1" postgres 2>&1 |
    awk '/^tps = / {print int($3)}'
}

printf '%-12s %12s %12s %8s %12s %8s\n' workload heap_tps memopt_tps ratio hash_tps ratio
for workload in $WORKLOADS; do
  engines="heap memopt memopt_hash"
  [[ "$workload" == range_100 ]] && engines="heap memopt"
  declare -A runs=()
  for ((run = 0; run < REPEAT; run++)); do
    for engine in $engines; do runs[$engine]+="$(tps "$(script "$workload" "$engine")") "; done
  done
  heap=$(echo ${runs[heap]} | tr ' ' '\n' | median)
  mem=$(echo ${runs[memopt]} | tr ' ' '\n' | median)
  hash=-; hash_ratio=-
  if [[ -n "${runs[memopt_hash]:-}" ]]; then
    hash=$(echo ${runs[memopt_hash]} | tr ' ' '\n' | median)
    hash_ratio=$(awk -v a="$hash" -v b="$heap" 'BEGIN {printf "%.2f", a / b}')
  fi
  printf '%-12s %12s %12s %8s %12s %8s\n' "$workload" "$heap" "$mem" \
    "$(awk -v a="$mem" -v b="$heap" 'BEGIN {printf "%.2f", a / b}')" "$hash" "$hash_ratio"
  unset runs
done
echo "rows=$ROWS clients=$CLIENTS seconds=$SECONDS_PER_RUN repeat=$REPEAT (median TPS; ratio = engine/heap, above 1 = faster)"

LOOKUPS="${LOOKUPS:-200000}"
seconds() {  # table, probe condition, custom scans on|off -> seconds of one nested-loop join
  psql_q -tA <<SQL
SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;
SET memopt.enable_custom_scans = $3;
SELECT clock_timestamp() AS t0 \gset
SELECT sum(a.abalance) FROM generate_series(1, $LOOKUPS) g JOIN $1 a ON $2;
SELECT round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 3);
SQL
}
# memopt / hash: with the MemoptLookup custom scan; *_generic: through
# PostgreSQL's index scan (memopt.enable_custom_scans = off).
printf '\n%-12s %8s %8s %6s %8s %6s %8s %6s %8s %6s\n' in_server heap_s memopt ratio \
  generic ratio hash ratio hash_gen ratio
for workload in join_lookups join_range; do
  probe='a.aid = (g * 7919) % '"$ROWS"' + 1'
  variants="heap memopt memopt_generic memopt_hash memopt_hash_generic"
  if [[ "$workload" == join_range ]]; then
    probe='a.aid BETWEEN (g * 7919) % '"$((ROWS - 10))"' + 1 AND (g * 7919) % '"$((ROWS - 10))"' + 10'
    variants="heap memopt memopt_generic"
  fi
  declare -A times=()
  for ((run = 0; run < REPEAT; run++)); do
    for variant in $variants; do
      custom=on; table="acc_${variant%_generic}"
      [[ "$variant" == *_generic ]] && custom=off
      times[$variant]+="$(seconds "$table" "$probe" "$custom" | tail -1) "
    done
  done
  heap=$(echo ${times[heap]} | tr ' ' '\n' | median)
  line=$(printf '%-12s %8s' "$workload" "$heap")
  for variant in memopt memopt_generic memopt_hash memopt_hash_generic; do
    if [[ -n "${times[$variant]:-}" ]]; then
      t=$(echo ${times[$variant]} | tr ' ' '\n' | median)
      line+=$(printf ' %8s %6s' "$t" "$(awk -v a="$t" -v b="$heap" 'BEGIN {printf "%.2f", a / b}')")
    else
      line+=$(printf ' %8s %6s' - -)
    fi
  done
  echo "$line"
  unset times
done
echo "lookups=$LOOKUPS per join (median seconds; ratio = engine/heap time, below 1 = faster)"

# A sequential scan with a simple filter (no index on bid): MemoptSeqScan
# tests it on the stored tuples; generic is PostgreSQL's Seq Scan.
scan_seconds() {  # table, custom scans on|off
  psql_q -tA <<SQL
SET memopt.enable_custom_scans = $2;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM $1 WHERE bid = 3;
SELECT round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 3);
SQL
}
declare -A times=()
for ((run = 0; run < REPEAT; run++)); do
  times[heap]+="$(scan_seconds acc_heap on | tail -1) "
  times[memopt]+="$(scan_seconds acc_memopt on | tail -1) "
  times[generic]+="$(scan_seconds acc_memopt off | tail -1) "
done
heap=$(echo ${times[heap]} | tr ' ' '\n' | median)
mem=$(echo ${times[memopt]} | tr ' ' '\n' | median)
gen=$(echo ${times[generic]} | tr ' ' '\n' | median)
printf '\n%-12s %8s %8s %6s %8s %6s\n' scan heap_s memopt ratio generic ratio
printf '%-12s %8s %8s %6s %8s %6s\n' scan_filter "$heap" "$mem" \
  "$(awk -v a="$mem" -v b="$heap" 'BEGIN {printf "%.2f", a / b}')" "$gen" \
  "$(awk -v a="$gen" -v b="$heap" 'BEGIN {printf "%.2f", a / b}')"
echo "count(*) WHERE bid = 3 over $ROWS rows (median seconds of $REPEAT)"

# Server-side point lookups: a PL/pgSQL loop of LOOP_LOOKUPS (default 1M)
# `SELECT ... WHERE aid = i` (each a prepared plan through SPI).
LOOP_LOOKUPS="${LOOP_LOOKUPS:-1000000}"
loop_seconds() {  # table
  psql_q -tA <<SQL
SELECT clock_timestamp() AS t0 \gset
DO \$\$ DECLARE x int; BEGIN
  FOR i IN 1..$LOOP_LOOKUPS LOOP
    SELECT abalance INTO x FROM $1 WHERE aid = ((i::int8 * 7919) % $ROWS + 1)::int;
  END LOOP;
END \$\$;
SELECT round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 3);
SQL
}
declare -A loops=()
for ((run = 0; run < REPEAT; run++)); do
  for table in heap memopt memopt_hash; do loops[$table]+="$(loop_seconds "acc_$table" | tail -1) "; done
done
heap=$(echo ${loops[heap]} | tr ' ' '\n' | median)
mem=$(echo ${loops[memopt]} | tr ' ' '\n' | median)
hash=$(echo ${loops[memopt_hash]} | tr ' ' '\n' | median)
printf '\n%-12s %8s %8s %6s %8s %6s\n' plpgsql heap_s memopt ratio hash ratio
printf '%-12s %8s %8s %6s %8s %6s\n' loop_lookups "$heap" "$mem" \
  "$(awk -v a="$mem" -v b="$heap" 'BEGIN {printf "%.2f", a / b}')" "$hash" \
  "$(awk -v a="$hash" -v b="$heap" 'BEGIN {printf "%.2f", a / b}')"
echo "$LOOP_LOOKUPS lookups in a PL/pgSQL loop (median seconds; ratio = engine/heap time)"

# Text primary keys (C collation): the range index's prefixes are the first
# 8 bytes, which tell md5 keys apart and serial-style keys not at all.
TEXT_LOOKUPS="${TEXT_LOOKUPS:-200000}"
psql_q <<SQL
CREATE TABLE txt_md5_heap (k text COLLATE "C" PRIMARY KEY, v int);
CREATE TABLE txt_md5_memopt (LIKE txt_md5_heap INCLUDING INDEXES) USING memopt;
CREATE TABLE txt_serial_heap (LIKE txt_md5_heap INCLUDING INDEXES);
CREATE TABLE txt_serial_memopt (LIKE txt_md5_heap INCLUDING INDEXES) USING memopt;
INSERT INTO txt_md5_heap SELECT md5(g::text), g FROM generate_series(1, $ROWS) g;
INSERT INTO txt_md5_memopt SELECT * FROM txt_md5_heap;
INSERT INTO txt_serial_heap SELECT 'customer-' || lpad(g::text, 10, '0'), g
  FROM generate_series(1, $ROWS) g;
INSERT INTO txt_serial_memopt SELECT * FROM txt_serial_heap;
VACUUM ANALYZE txt_md5_heap, txt_serial_heap;
ANALYZE txt_md5_memopt, txt_serial_memopt;
SQL
text_seconds() {  # table, key expression of n
  psql_q -tA <<SQL
SELECT clock_timestamp() AS t0 \gset
DO \$\$ DECLARE x int; n int; BEGIN
  FOR i IN 1..$TEXT_LOOKUPS LOOP
    n := (i::int8 * 7919) % $ROWS + 1;
    SELECT v INTO STRICT x FROM $1 WHERE k = $2;
  END LOOP;
END \$\$;
SELECT round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 3);
SQL
}
printf '\n%-12s %8s %8s %6s\n' plpgsql heap_s memopt ratio
for keys in md5 serial; do
  key='md5(n::text)'
  [[ "$keys" == serial ]] && key="'customer-' || lpad(n::text, 10, '0')"
  declare -A texts=()
  for ((run = 0; run < REPEAT; run++)); do
    for engine in heap memopt; do
      texts[$engine]+="$(text_seconds "txt_${keys}_$engine" "$key" | tail -1) "
    done
  done
  heap=$(echo ${texts[heap]} | tr ' ' '\n' | median)
  mem=$(echo ${texts[memopt]} | tr ' ' '\n' | median)
  printf '%-12s %8s %8s %6s\n' "text_$keys" "$heap" "$mem" \
    "$(awk -v a="$mem" -v b="$heap" 'BEGIN {printf "%.2f", a / b}')"
  unset texts
done
echo "$TEXT_LOOKUPS lookups of text keys in a PL/pgSQL loop (median seconds; ratio = engine/heap time)"

# bench/lib.sh - what the benchmark scripts share: a throwaway server with
# memopt preloaded (4 GB arena) in /var/tmp, stopped and removed on exit.
#
#   source "$(dirname "$0")/lib.sh"
#   bench_server_start PORT [EXTRA_CONF_LINES]   # sets WORK, DATA
#   median < numbers                             # prints the median
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

bench_server_start() {  # port, extra postgresql.conf lines
  local port="$1" extra="${2:-}"
  WORK="$(mktemp -d /var/tmp/memopt-bench.XXXXXX)"
  is_root && chown "$PG_OS_USER:" "$WORK"
  DATA="$WORK/data"
  trap 'as_pg "$PG_BINDIR/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
  as_pg "$PG_BINDIR/initdb" -D "$DATA" -A trust --no-locale -E UTF8 >/dev/null
  cat >>"$DATA/postgresql.conf" <<CONF
shared_preload_libraries = 'memopt'
memopt.max_memory = '4GB'
shared_buffers = '1GB'
max_wal_size = '8GB'
checkpoint_timeout = '30min'
unix_socket_directories = '$WORK'
listen_addresses = ''
port = $port
$extra
CONF
  as_pg "$PG_BINDIR/pg_ctl" -D "$DATA" -l "$WORK/log" -w start >/dev/null
}

# psql and pgbench against the server of bench_server_start (set PORT first).
psql_q() { as_pg "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" "$@"; }
pgbench_q() { as_pg "$PG_BINDIR/pgbench" -h "$WORK" -p "$PORT" "$@"; }

# `pgbench -i -s SCALE` twice: database bench_heap (heap tables, btree keys)
# and bench_memopt (default_table_access_method = memopt: memopt tables with
# memopt_range keys). Prints each pgbench table's access method and
# persistence in bench_memopt.
bench_pgbench_databases() {  # scale; FOREIGN_KEYS=1 adds pgbench's foreign keys
  local db fk=""
  [[ -n "${FOREIGN_KEYS:-}" ]] && fk="--foreign-keys"
  for db in heap memopt; do
    psql_q -d postgres -c "CREATE DATABASE bench_$db"
    psql_q -d "bench_$db" -c "CREATE EXTENSION memopt"
  done
  pgbench_q -i -q $fk -s "$1" bench_heap >/dev/null 2>&1
  PGOPTIONS='-c default_table_access_method=memopt' pgbench_q -i -q $fk -s "$1" bench_memopt >/dev/null 2>&1
  [[ -z "$fk" ]] || psql_q -d bench_memopt -tAc "SELECT 'foreign keys: ' || count(*) FROM pg_constraint
    WHERE contype = 'f' AND conrelid::regclass::text LIKE 'pgbench%'"
  psql_q -d bench_memopt -tAc "SELECT string_agg(relname || ':' || amname || ':' || relpersistence::text,
    ' ' ORDER BY relname) FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE relname LIKE 'pgbench%'"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

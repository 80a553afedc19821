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

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

#!/usr/bin/env bash
# Start a local development cluster with memopt preloaded, create database
# "memopt" with the extension and a demo table, and print how to connect.
# Idempotent: if the cluster is running, only prints how to connect.
# Location: ./.run (or /var/tmp/memopt-run when the postgres user cannot
# reach the repo); override with MEMOPT_RUN_DIR. Port: PGPORT or 5499.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUN="$(run_dir)"
DATA="$RUN/data"
LOG="$RUN/postgres.log"
PORT="${PGPORT:-5499}"
SOCK="$RUN"; (( ${#SOCK} <= 90 )) || SOCK=/tmp   # unix socket paths are limited to 107 bytes
PSQL=("$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U "$PG_OS_USER")

connect_info() {
  echo
  echo "memopt dev cluster: data $DATA, log $LOG, socket dir $SOCK, port $PORT"
  if is_root; then
    echo "connect:  runuser -u $PG_OS_USER -- $PG_BINDIR/psql -h $SOCK -p $PORT memopt"
    echo "     or:  $PG_BINDIR/psql -h localhost -p $PORT -U $PG_OS_USER memopt"
  else
    echo "connect:  $PG_BINDIR/psql -h $SOCK -p $PORT memopt"
  fi
  echo "stop:     make stop"
}

if [[ -f "$DATA/PG_VERSION" ]] && as_pg "$PG_BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  echo "run: cluster already running"
  connect_info
  exit 0
fi

# First time: create the cluster (trust auth: local development only).
if [[ ! -f "$DATA/PG_VERSION" ]]; then
  mkdir -p "$RUN"
  is_root && chown "$PG_OS_USER:" "$RUN"
  as_pg "$PG_BINDIR/initdb" -D "$DATA" -U "$PG_OS_USER" -A trust -E UTF8 --no-locale >"$RUN/initdb.log"
  cat >>"$DATA/postgresql.conf" <<CONF

# added by memopt scripts/run.sh
shared_preload_libraries = 'memopt'
memopt.max_memory = '1GB'
listen_addresses = 'localhost'
unix_socket_directories = '$SOCK'
max_prepared_transactions = 4
CONF
fi
# The port may change between runs (PGPORT), so it goes on the command line.
as_pg "$PG_BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -o "-p $PORT" start ||
  { echo "run: server failed to start; last lines of $LOG:"; tail -n 30 "$LOG"; exit 1; }

# Database, extension and demo table. The demo table is durable (it survives
# restarts and crashes); it is filled when it is empty, as on the first run.
if [[ -z "$(as_pg "${PSQL[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'memopt'")" ]]; then
  as_pg "${PSQL[@]}" -d postgres -qc "CREATE DATABASE memopt"
fi
as_pg "${PSQL[@]}" -d memopt -q <<'SQL'
CREATE EXTENSION IF NOT EXISTS memopt;
CREATE TABLE IF NOT EXISTS demo (id int PRIMARY KEY, name text) USING memopt;
SELECT count(*) AS demo_rows, count(*) = 0 AS demo_empty FROM demo \gset
\if :demo_empty
INSERT INTO demo VALUES (1, 'one'), (2, 'two'), (3, 'three');
\echo 'demo: table was empty, inserted 3 rows'
\else
\echo 'demo: kept' :demo_rows 'rows from before the restart'
\endif
\echo 'SELECT * FROM demo ORDER BY id;'
SELECT * FROM demo ORDER BY id;
\echo 'EXPLAIN (COSTS OFF) SELECT * FROM demo WHERE id = 2;  -- 3 rows: the filter runs in the engine'
EXPLAIN (COSTS OFF) SELECT * FROM demo WHERE id = 2;
-- A natively compiled function (compiled with LLVM at CREATE). A cluster
-- made by an older memopt 0.1 script may not have the language yet.
SELECT EXISTS (SELECT 1 FROM pg_language WHERE lanname = 'native_compilation') AS has_native \gset
\if :has_native
CREATE OR REPLACE FUNCTION demo_name(k int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE n text;
  SELECT name INTO n FROM demo WHERE id = k;
  RETURN coalesce(upper(n), 'no row ' || k);
END $$;
\echo 'SELECT demo_name(2), demo_name(9);  -- LANGUAGE native_compilation'
SELECT demo_name(2), demo_name(9);
SELECT routine, size, round(compile_ms::numeric, 1) AS compile_ms, loaded FROM memopt.native_modules;
\endif
SQL
connect_info

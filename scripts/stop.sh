#!/usr/bin/env bash
# Stop the development cluster started by scripts/run.sh (fast shutdown).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DATA="$(run_dir)/data"
if [[ -f "$DATA/PG_VERSION" ]] && as_pg "$PG_BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  as_pg "$PG_BINDIR/pg_ctl" -D "$DATA" -m fast -w stop
else
  echo "stop: no running cluster in $DATA"
fi

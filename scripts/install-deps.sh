#!/usr/bin/env bash
# Install the build and test dependencies of memopt on Debian 12.
# Idempotent: runs apt-get only when a package is missing.
set -euo pipefail

PACKAGES=(
  postgresql-15 postgresql-server-dev-15 postgresql-client-15  # server, PGXS, pg_regress
  libgtest-dev libgmock-dev libbenchmark-dev                   # unit tests, benchmarks
  libboost-dev libcuckoo-dev                                   # engine (header-only)
  llvm-14-dev clang-14 libclang-rt-14-dev                      # native compilation, fuzzing
  libipc-run-perl perl                                         # TAP tests (prove)
  python3-psycopg2 odbc-postgresql unixodbc                    # client tests (tests/tap/010)
  g++ make clang-format util-linux                             # toolchain, runuser
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=()
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: not root and no sudo" >&2; exit 1; }
  SUDO=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null

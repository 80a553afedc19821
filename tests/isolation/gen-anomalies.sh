#!/usr/bin/env bash
# Generates specs/isolation_{snapshot,repeatable_read,serializable}.spec from
# anomalies.spec.in (the same permutations at each memopt isolation level).
# Run it after editing the template, then commit the generated specs too (the
# runner reads only specs/*.spec).
#   gen-anomalies.sh            (re)write the three specs
#   gen-anomalies.sh --check    exit 1 if one of them is out of date
#   gen-anomalies.sh --heap LEVEL
#                               print the same spec on heap tables at
#                               PostgreSQL's LEVEL ("repeatable read",
#                               "serializable") to stdout, without the
#                               permutations that need a Preparing memopt
#                               transaction; used for the heap columns of
#                               docs/isolation-anomalies.md
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
template="$here/anomalies.spec.in"

render() {  # LEVEL
  echo "# Generated from tests/isolation/anomalies.spec.in by gen-anomalies.sh: do not edit."
  sed "s/@LEVEL@/$1/g" "$template"
}

case "${1:-}" in
  --heap)
    echo "# heap tables at PostgreSQL's $2 (gen-anomalies.sh --heap)"
    sed -e "s/SET memopt.isolation_level = @LEVEL@;/SET default_transaction_isolation = '$2';/" \
        -e '/SET memopt.debug_prepared_lock/d' -e 's/ USING memopt;/;/' \
        -e '/^permutation .*ctl_lock/d' "$template"
    ;;
  --check|"")
    stale=0
    for level in snapshot repeatable_read serializable; do
      spec="$here/specs/isolation_$level.spec"
      if [[ "${1:-}" == --check ]]; then
        if ! render "$level" | cmp -s - "$spec"; then
          echo "out of date: $spec (run $0)"; stale=1
        fi
      else
        render "$level" >"$spec"
      fi
    done
    exit "$stale"
    ;;
  *) echo "usage: $0 [--check | --heap LEVEL]" >&2; exit 2 ;;
esac

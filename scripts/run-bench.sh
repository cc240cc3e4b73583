#!/usr/bin/env bash
# Runs every benchmark bench/*_bench.py against PostgreSQL (DATABASE_URL, or the server on 127.0.0.1:5432).
# Each benchmark creates and drops its own throw-away database (test_<name>); nothing else is touched.
# Extra arguments are passed to every benchmark (e.g. `scripts/run-bench.sh --runs 50`).
set -euo pipefail
cd "$(dirname "$0")/.."

export PARTYHUB_EMBEDDED=true
export CELERY_TASK_ALWAYS_EAGER=true

answers() { # host port
  .venv/bin/python - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

if [ -z "${DATABASE_URL:-}" ]; then
  if answers 127.0.0.1 5432; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/partyhub_bench"
  else
    echo "The benchmarks run on PostgreSQL: none answered on 127.0.0.1:5432. Set DATABASE_URL." >&2
    exit 2
  fi
fi
echo "Database: ${DATABASE_URL%%@*}@… (each benchmark uses its own test_ database)"

shopt -s nullglob
benches=(bench/*_bench.py)
if [ ${#benches[@]} -eq 0 ]; then
  echo "No benchmarks in bench/." >&2
  exit 1
fi
status=0
for bench in "${benches[@]}"; do
  echo
  echo "=== ${bench} ==="
  .venv/bin/python "${bench}" "$@" || status=$?
done
exit "${status}"

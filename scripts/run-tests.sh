#!/usr/bin/env bash
# Runs the test suite against the PostgreSQL and Redis named by DATABASE_URL / REDIS_URL, or those on
# 127.0.0.1 when they answer; otherwise on SQLite with eager tasks, saying plainly what is skipped.
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

if [ -z "${DATABASE_URL:-}" ] && answers 127.0.0.1 5432; then
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/partyhub"
fi
if [ -z "${REDIS_URL:-}" ] && answers 127.0.0.1 6379; then
  export REDIS_URL="redis://127.0.0.1:6379/0"
fi

if [ -n "${DATABASE_URL:-}" ]; then
  echo "Database: ${DATABASE_URL%%@*}@… (PostgreSQL tests run)"
else
  echo "Database: SQLite under var/ — NO PostgreSQL answered on 127.0.0.1:5432, so tests marked 'postgres'" \
       "(concurrency, full-text search) are SKIPPED. Set DATABASE_URL to run them."
fi
if [ -n "${REDIS_URL:-}" ]; then
  echo "Redis: ${REDIS_URL} (Celery worker tests run)"
else
  echo "Redis: none answered on 127.0.0.1:6379, so tests marked 'redis' are SKIPPED. Set REDIS_URL to run them."
fi

.venv/bin/python -W ignore::RuntimeWarning manage.py makemigrations --check --dry-run >/dev/null \
  || { echo "Model changes without a migration: run 'manage.py makemigrations'." >&2; exit 1; }

exec .venv/bin/pytest "$@"

#!/usr/bin/env bash
# Smoke run on the embedded defaults (SQLite + the SQLite broker) in a throw-away var dir, with a real worker.
set -euo pipefail
cd "$(dirname "$0")/.."
unset DATABASE_URL CELERY_BROKER_URL
export DEBUG=1 COURSESITE_VAR_DIR
COURSESITE_VAR_DIR="$(mktemp -d)"
py=.venv/bin/python
$py manage.py migrate --noinput -v0
$py manage.py load_demo_course
WORKER_LOG_LEVEL=WARNING scripts/embedded-workers.sh &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null; rm -rf "$COURSESITE_VAR_DIR"' EXIT
$py manage.py worker_check --timeout 120 || { cat "$COURSESITE_VAR_DIR/worker.log"; exit 1; }
for extra in scripts/smoke.d/*.sh; do [ -e "$extra" ] && { echo "smoke: $extra"; bash "$extra"; }; done
echo "smoke run on the embedded defaults: passed"

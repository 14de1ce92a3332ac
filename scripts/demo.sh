#!/usr/bin/env bash
# Run the demo course on the embedded defaults: SQLite, the SQLite broker, a real Celery worker and beat.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-8000}"
unset DATABASE_URL CELERY_BROKER_URL
export DEBUG=1 COURSESITE_VAR_DIR="${COURSESITE_VAR_DIR:-$PWD/var}"
# Links in e-mails (invitations, password resets, reminders) and the calendar feed point at the address served here.
export SITE_URL="${SITE_URL:-http://127.0.0.1:$port}"
py=.venv/bin/python
$py manage.py migrate --noinput -v0
$py manage.py load_demo_course
WORKER_LOG_LEVEL=INFO scripts/embedded-workers.sh &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
$py manage.py worker_check --timeout 120
cat <<MSG

  coursesite demo: http://127.0.0.1:$port/
  Sign in as examiner, ta1..ta3, student01..student30 (password: ${DEMO_PASSWORD:-demo}); admin: admin.
  Worker and beat logs: $COURSESITE_VAR_DIR/{worker,beat}.log. Stop with Ctrl-C.

MSG
$py manage.py runserver "0.0.0.0:$port" --noreload

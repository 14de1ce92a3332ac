#!/usr/bin/env bash
# The embedded defaults' background processes (make demo, the smoke run): one Celery worker and, in a process of
# its own (as in compose), beat, which schedules the watchdog: a worker's crash cannot take the watchdog with it.
# Either is started again when it exits, as compose's restart policy does. Stop with SIGTERM (stops both).
# Logs and pid files: $COURSESITE_VAR_DIR/{worker,beat}.{log,pid}.
set -uo pipefail
cd "$(dirname "$0")/.."
var="${COURSESITE_VAR_DIR:?set COURSESITE_VAR_DIR}"
level="${WORKER_LOG_LEVEL:-INFO}"
celery=(.venv/bin/python -m celery -A coursesite)

keep() {  # keep NAME ARGS...: run celery ARGS again whenever it exits, until this script is stopped
  local name=$1 pid=
  shift
  trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait; exit 0' TERM
  while :; do
    "${celery[@]}" "$@" --pidfile "$var/$name.pid" --loglevel "$level" >>"$var/$name.log" 2>&1 &
    pid=$!
    wait "$pid"
    echo "$(date -Is) the $name exited (status $?); starting it again" >>"$var/$name.log"
    sleep 1
  done
}

keep beat beat --schedule "$var/celerybeat-schedule" &
beat=$!
keep worker worker -Q cpu,gpu,rerun --concurrency 1 &
worker=$!
trap 'kill $beat $worker 2>/dev/null; wait; exit 0' TERM INT
wait

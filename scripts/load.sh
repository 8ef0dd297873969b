#!/usr/bin/env bash
# make load: gunicorn with the production settings (scripts/serve-prod.sh, database PROD_DB) on 127.0.0.1:LOAD_PORT,
# then scripts/load.py with CLIENTS clients for DURATION seconds; gunicorn is stopped afterwards.
# It measures whatever PROD_DB holds: fill it first for a meaningful figure (100,000 cases for issue 7's target).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LOAD_PORT:=8001}" "${CLIENTS:=32}" "${DURATION:=60}"
log="$(mktemp -t casebook-load-gunicorn.XXXXXX.log)"

HOST=127.0.0.1 PORT="$LOAD_PORT" scripts/serve-prod.sh > "$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 240); do
    curl -fs -o /dev/null "http://127.0.0.1:$LOAD_PORT/healthz" && break
    kill -0 "$server" 2>/dev/null || { echo "gunicorn did not start:"; tail -20 "$log"; exit 1; }
    sleep 0.5
done
echo "gunicorn log: $log"
.venv/bin/python scripts/load.py "http://127.0.0.1:$LOAD_PORT" --clients "$CLIENTS" --duration "$DURATION"

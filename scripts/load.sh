#!/usr/bin/env bash
# make load: gunicorn with the production settings (scripts/serve-prod.sh) on 127.0.0.1:LOAD_PORT against the
# PostgreSQL database PROD_DB (default casebook_load, never the trial database casebook_prod, since it gets made-up
# cases), then scripts/load.py with CLIENTS clients for DURATION seconds; gunicorn is stopped afterwards.
# The database is first seeded with LOAD_CASES synthetic cases (generate_cases --seed LOAD_SEED, about 5 minutes
# for 100,000) when it holds fewer cases; a database seeded before is reused as it is. The cache is the machine's
# Redis when it runs (below).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LOAD_PORT:=8001}" "${CLIENTS:=32}" "${DURATION:=60}" "${LOAD_CASES:=100000}" "${LOAD_SEED:=1}"
: "${PROD_DB:=casebook_load}" "${PG_USER:=postgres}"
export PROD_DB PG_USER
export DATABASE_URL="${DATABASE_URL:-postgres://$PG_USER@127.0.0.1:5432/$PROD_DB}"
BIN=.venv/bin

# The cache the README recommends for a collection this size: Redis, when one answers on this machine (its
# database 1, which serve-prod.sh empties on start), else the cache folder. DJANGO_CACHE_URL given wins, and
# DJANGO_CACHE_URL= (empty) measures the folder.
if [ -z "${DJANGO_CACHE_URL+set}" ] && (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    export DJANGO_CACHE_URL=redis://127.0.0.1:6379/1
fi
echo "cache: ${DJANGO_CACHE_URL:-the folder ${DJANGO_CACHE_DIR:-.cache/}}"

if [ "$(psql -h 127.0.0.1 -U "$PG_USER" -d postgres -Atc "select 1 from pg_database where datname = '$PROD_DB'")" != 1 ]; then
    psql -h 127.0.0.1 -U "$PG_USER" -d postgres -qc "create database \"$PROD_DB\""
fi
"$BIN/python" manage.py migrate --noinput -v0
# Counts cached for another database (an earlier run, a reseeded one) must not answer for this one.
"$BIN/python" manage.py shell -c "from django.core.cache import cache; cache.clear()"
cases="$("$BIN/python" manage.py shell -c 'from casebook.cases.models import Case; print(Case.objects.count())' | tail -1)"
if [ "$cases" -lt "$LOAD_CASES" ]; then
    echo "$PROD_DB holds $cases cases; seeding $LOAD_CASES synthetic cases (seed $LOAD_SEED)…"
    "$BIN/python" manage.py generate_cases --count "$LOAD_CASES" --seed "$LOAD_SEED" --replace
else
    echo "$PROD_DB holds $cases cases (LOAD_CASES=$LOAD_CASES): reused as it is."
fi
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
.venv/bin/python scripts/load.py "http://127.0.0.1:$LOAD_PORT" --clients "$CLIENTS" --duration "$DURATION" ${LOAD_KINDS:+--kinds "$LOAD_KINDS"} \
    ${THINK:+--think "$THINK"}

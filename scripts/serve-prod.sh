#!/usr/bin/env bash
# A local trial of the production settings (make serve-prod): gunicorn on $HOST:$PORT against the PostgreSQL on
# 127.0.0.1, database $PROD_DB (created if missing, migrated, fixtures loaded when it has no case).
# Plain HTTP on loopback, so the HTTPS redirect is off, and no nginx, so Django sends /media/ files itself
# (without DJANGO_MEDIA_ACCEL_REDIRECT); everything else is as in production (README, "Deploy").
set -euo pipefail
cd "$(dirname "$0")/.."

: "${HOST:=127.0.0.1}" "${PORT:=8000}" "${PROD_DB:=casebook_prod}" "${PG_USER:=postgres}"
BIN=.venv/bin

if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
    # One generated key kept beside the checkout (ignored by git), so sessions survive a restart.
    [ -s .prod-secret-key ] || "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(50))' > .prod-secret-key
    DJANGO_SECRET_KEY="$(cat .prod-secret-key)"
fi
export DJANGO_SECRET_KEY
export DJANGO_DEBUG=0
export DJANGO_ALLOWED_HOSTS="${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}"
export DATABASE_URL="${DATABASE_URL:-postgres://$PG_USER@127.0.0.1:5432/$PROD_DB}"
export DJANGO_SECURE_SSL_REDIRECT="${DJANGO_SECURE_SSL_REDIRECT:-0}"

if [ "$(psql -h 127.0.0.1 -U "$PG_USER" -d postgres -Atc "select 1 from pg_database where datname = '$PROD_DB'")" != 1 ]; then
    psql -h 127.0.0.1 -U "$PG_USER" -d postgres -qc "create database \"$PROD_DB\""
fi
"$BIN/python" manage.py migrate --noinput
# Counts cached for another database (an earlier run, a reseeded one) must not answer for this one.
"$BIN/python" manage.py shell -c "from django.core.cache import cache; cache.clear()"
"$BIN/python" manage.py collectstatic --noinput -v0
if [ "$("$BIN/python" manage.py shell -c 'from casebook.cases.models import Case; print(Case.objects.exists())' 2>/dev/null | tail -1)" != True ]; then
    "$BIN/python" manage.py load_fixtures
fi
"$BIN/python" manage.py ensure_admin
exec "$BIN/gunicorn" -c gunicorn.conf.py --bind "$HOST:$PORT"

#!/usr/bin/env bash
# Back up Casebook the documented way (README, "Backup and restore"), restore into a fresh database and folder,
# and prove the copy is the same: every table's row count and content checksum, every media file's SHA-256,
# and every figure row pointing at a file that exists. Exits non-zero on any difference.
#
#   scripts/backup_restore_check.sh [DATABASE]     (default: casebook_prod, what make serve-prod uses)
#
# PGHOST/PGPORT/PGUSER as for psql (default 127.0.0.1:5432, postgres); MEDIA_ROOT the uploads folder
# (default media/); BACKUP_DIR where the backup is written (default: a new temporary folder, kept);
# KEEP_RESTORED=1 keeps the restored database and folder for a look.
set -euo pipefail
cd "$(dirname "$0")/.."

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
SOURCE="${1:-casebook_prod}"
MEDIA_ROOT="${MEDIA_ROOT:-media}"
BACKUP_DIR="${BACKUP_DIR:-$(mktemp -d -t casebook-backup.XXXXXX)}"
RESTORED="${SOURCE}_restore_check"
RESTORED_MEDIA="$(mktemp -d -t casebook-restored-media.XXXXXX)"
WORK="$(mktemp -d -t casebook-compare.XXXXXX)"

cleanup() {
    if [ "${KEEP_RESTORED:-0}" != 1 ]; then
        dropdb --if-exists "$RESTORED" 2>/dev/null || true
        rm -rf "$RESTORED_MEDIA"
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== Backup of database $SOURCE and $MEDIA_ROOT/ into $BACKUP_DIR"
started=$EPOCHREALTIME
# 1. The database, in pg_dump's custom format (compressed; pg_restore can restore it table by table).
pg_dump --format=custom --no-owner --file="$BACKUP_DIR/casebook.dump" "$SOURCE"
# 2. The uploads: figures, logos and their renditions.
if [ -d "$MEDIA_ROOT" ]; then
    tar --create --gzip --file="$BACKUP_DIR/media.tar.gz" --directory="$MEDIA_ROOT" .
else
    tar --create --gzip --file="$BACKUP_DIR/media.tar.gz" --files-from=/dev/null
fi
# 3. The interchange export, readable without Casebook's schema (once the export command exists).
if .venv/bin/python manage.py help export_cases >/dev/null 2>&1; then
    DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$SOURCE" .venv/bin/python manage.py export_cases "$BACKUP_DIR/export" \
        && echo "interchange export: $BACKUP_DIR/export" || echo "interchange export FAILED (backup continues)"
else
    echo "interchange export: skipped (no export_cases command in this checkout)"
fi
backup_seconds=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
ls -l "$BACKUP_DIR"

echo "== Restore into a fresh database $RESTORED and folder $RESTORED_MEDIA"
started=$EPOCHREALTIME
dropdb --if-exists "$RESTORED"
createdb "$RESTORED"
pg_restore --no-owner --exit-on-error --dbname="$RESTORED" "$BACKUP_DIR/casebook.dump"
tar --extract --gzip --file="$BACKUP_DIR/media.tar.gz" --directory="$RESTORED_MEDIA"
restore_seconds=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

# Every table: its row count and a checksum of its rows in a fixed order.
table_checksums() {
    local database="$1" table
    for table in $(psql -d "$database" -Atc "select tablename from pg_tables where schemaname = 'public' order by 1"); do
        psql -d "$database" -Atc "select '$table', count(*), coalesce(md5(string_agg(md5(t::text), '' order by md5(t::text))), '-') from \"$table\" t"
    done
}
media_checksums() {
    (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

echo "== Compare"
table_checksums "$SOURCE" > "$WORK/source-tables"
table_checksums "$RESTORED" > "$WORK/restored-tables"
media_checksums "$MEDIA_ROOT" > "$WORK/source-media" 2>/dev/null || : > "$WORK/source-media"
media_checksums "$RESTORED_MEDIA" > "$WORK/restored-media"
# Sequences too: a restored site must not hand out ids that already exist.
psql -d "$SOURCE" -Atc "select sequencename, last_value from pg_sequences where schemaname = 'public' order by 1" > "$WORK/source-sequences"
psql -d "$RESTORED" -Atc "select sequencename, last_value from pg_sequences where schemaname = 'public' order by 1" > "$WORK/restored-sequences"

status=0
diff -u "$WORK/source-tables" "$WORK/restored-tables" || { echo "TABLES DIFFER"; status=1; }
diff -u "$WORK/source-sequences" "$WORK/restored-sequences" || { echo "SEQUENCES DIFFER"; status=1; }
diff -u "$WORK/source-media" "$WORK/restored-media" || { echo "MEDIA DIFFERS"; status=1; }

# No restored row may point at a file the restored folder lacks.
missing=0
for table_column in cases_figure:image organizations_organization:logo; do
    table="${table_column%%:*}" column="${table_column##*:}"
    psql -d "$RESTORED" -Atc "select 1 from pg_tables where tablename = '$table'" | grep -q 1 || continue
    while IFS= read -r name; do
        [ -z "$name" ] && continue
        [ -f "$RESTORED_MEDIA/$name" ] || { echo "missing file: $table.$column = $name"; missing=$((missing + 1)); }
    done < <(psql -d "$RESTORED" -Atc "select $column from $table where coalesce($column, '') <> ''")
done
[ "$missing" -eq 0 ] || status=1

tables=$(wc -l < "$WORK/source-tables")
rows=$(awk -F'|' '{ total += $2 } END { print total + 0 }' "$WORK/source-tables")
files=$(wc -l < "$WORK/source-media")
dump_bytes=$(stat -c %s "$BACKUP_DIR/casebook.dump")
echo "tables=$tables rows=$rows media_files=$files missing_files=$missing dump_bytes=$dump_bytes" \
     "backup_s=$backup_seconds restore_s=$restore_seconds"
if [ "$status" -eq 0 ]; then
    echo "RESTORE CHECK PASSED: the restored database and media are identical to the originals"
else
    echo "RESTORE CHECK FAILED"
fi
exit "$status"

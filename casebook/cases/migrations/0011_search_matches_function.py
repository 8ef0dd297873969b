from django.db import migrations

# PostgreSQL plans "vector @@ query" for a word in half of all cases as a scan of the whole table, which
# reads and decompresses every case's tsvector (3 s at 100,000 cases); the GIN index answers the same
# without reading one (0.4 s). The planner cannot see that cost, so the search that wants every match
# (facet counts, ranking candidates) asks through this function, planned with sequential scans off.
# facets.matching() is its caller; SQLite has no need of it (FTS5 is always read through its index).
CREATE = """
CREATE FUNCTION cases_search_matches(query tsquery) RETURNS TABLE (rowid bigint)
LANGUAGE sql STABLE SET enable_seqscan = off ROWS 10000
AS $$ SELECT s.rowid FROM cases_search s WHERE s.vector @@ query $$
"""


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION cases_search_matches(tsquery)")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_case_facet_lines"),
    ]

    operations = [migrations.RunPython(create_function, drop_function)]

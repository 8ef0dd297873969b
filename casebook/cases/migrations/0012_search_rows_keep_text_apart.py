from django.db import migrations

# A search reads, for every match, the row of cases_search to return its case id. Each row held its text and
# tsvector compressed inline (about 1.9 kB, just under PostgreSQL's 2 kB TOAST threshold): a word in half of
# 100,000 cases read 180 MB of heap. Kept apart (out of line, uncompressed), the rows are a few dozen bytes,
# the ids of 50,000 matches come from 1 MB (114 ms → 13 ms), and a phrase's check reads each tsvector without
# decompressing it (合作社: 570 ms → 305 ms). VACUUM FULL rewrites the rows already there in the new layout;
# it locks the table for the time it takes (18 s at 100,000 cases here), so it cannot run in a transaction.
LAYOUT = [
    "ALTER TABLE cases_search SET (toast_tuple_target = 128)",
    "ALTER TABLE cases_search ALTER COLUMN document SET STORAGE EXTERNAL",
    "ALTER TABLE cases_search ALTER COLUMN vector SET STORAGE EXTERNAL",
    "VACUUM FULL cases_search",
]
BACK = [
    "ALTER TABLE cases_search RESET (toast_tuple_target)",
    "ALTER TABLE cases_search ALTER COLUMN document SET STORAGE EXTENDED",
    "ALTER TABLE cases_search ALTER COLUMN vector SET STORAGE EXTENDED",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    atomic = False  # VACUUM

    dependencies = [
        ("cases", "0011_search_matches_function"),
    ]

    operations = [migrations.RunPython(run(LAYOUT), run(BACK))]

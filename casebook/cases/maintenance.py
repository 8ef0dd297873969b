from django.db import connection


def refresh_planner_statistics(vacuum=False):
    """Gather the table statistics the database plans queries with; run it after a bulk load.

    SQLite has none until ANALYZE runs, and without them it may walk the newest-cases index and test
    every row against the full-text index (1.1 s for a rare word at 100,000 cases) instead of starting
    from the words (30 ms). PostgreSQL's autovacuum gathers them only some time after the load.

    ``vacuum`` (PostgreSQL, outside a transaction): VACUUM as well, which marks the freshly written pages
    all-visible. Until then an index-only scan still reads every row it finds from the table to check it
    is visible: the facet counts of a province at 100,000 cases read some 50,000 rows that way, about
    twice as slow, for as long as autovacuum has not come by (or for ever where it is off).
    """
    with connection.cursor() as cursor:
        if vacuum and connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute("VACUUM (ANALYZE)")
        else:
            cursor.execute("ANALYZE")

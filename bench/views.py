from django.db import connection
from django.shortcuts import render

from casebook.cases.models import Case

# The bare baseline B of issue 5: one raw SQL query for 20 rows of the case table, rendered by a template.
BASELINE_SQL = (
    "SELECT id, slug, title_en, summary_en, published_at FROM {table} "  # noqa: S608 - our own table name
    "WHERE status = %s ORDER BY published_at DESC, id DESC LIMIT 20"
)


def baseline(request):
    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL.format(table=Case._meta.db_table), [Case.Status.PUBLISHED])
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return render(request, "bench/baseline.html", {"cases": rows})

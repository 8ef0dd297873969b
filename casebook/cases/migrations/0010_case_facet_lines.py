import django.db.models.deletion
from django.db import migrations, models


def fill_lines(apps, schema_editor):
    """Every indexed case's line, from its CaseFacet rows (a reindex writes both from then on)."""
    concat = "group_concat({}, ' ')" if schema_editor.connection.vendor == "sqlite" else "string_agg({}, ' ')"
    token = concat.format("CAST(facet AS TEXT) || ':' || CAST(value AS TEXT)")
    schema_editor.execute(
        f"INSERT INTO cases_casefacetline (case_id, published_at, facets) SELECT case_id, MAX(published_at), {token}"
        " FROM cases_casefacet GROUP BY case_id"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_facet_rows_carry_type"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseFacetLine",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="cases.case",
                    ),
                ),
                ("published_at", models.DateTimeField(null=True)),
                ("facets", models.TextField()),
            ],
        ),
        migrations.RunPython(fill_lines, migrations.RunPython.noop),
    ]

# Kept searches' counts are kept per assistance type (as FacetCube's), and each case's facet line carries its
# type. The searches kept so far have counts without types: they are dropped, and kept again, counted afresh,
# when next asked for. The lines' types are read from the cases once.

from django.db import migrations, models


def drop_kept_searches(apps, schema_editor):
    apps.get_model("cases", "KeptSearchCount").objects.all().delete()
    apps.get_model("cases", "KeptSearch").objects.all().delete()


def fill_line_types(apps, schema_editor):
    lines = apps.get_model("cases", "CaseFacetLine")._meta.db_table
    cases = apps.get_model("cases", "Case")._meta.db_table
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"UPDATE {quote(lines)} SET case_type = (SELECT c.assistance_type_id FROM {quote(cases)} c"
        f" WHERE c.id = {quote(lines)}.case_id)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0017_figure_image_index"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="keptsearchcount", name="kept_search_count_unique"),
        migrations.AddField(
            model_name="keptsearchcount",
            name="case_type",
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="keptsearchcount",
            constraint=models.UniqueConstraint(
                fields=("search", "facet", "value", "case_type"), name="kept_search_count_unique"
            ),
        ),
        migrations.AddField(
            model_name="casefacetline",
            name="case_type",
            field=models.BigIntegerField(db_default=0),
        ),
        migrations.RunPython(fill_line_types, migrations.RunPython.noop),
        # Last: on PostgreSQL a table with rows deleted in this transaction cannot be altered after.
        migrations.RunPython(drop_kept_searches, migrations.RunPython.noop),
    ]

# FacetCube keeps its counts under one value of a theme, a kind of organization, a collection or a year too, not
# only under a place (``anchor_facet``): the rows kept so far are places' (and every case's, the place 0). The new
# anchors' counts are counted once from the facet index, as indexing.recount_totals counts them.

from django.db import migrations, models

REGION, THEME, ORG_KIND, COLLECTION, YEAR = 1, 3, 5, 6, 8


def count_new_anchors(apps, schema_editor):
    cube = schema_editor.quote_name(apps.get_model("cases", "FacetCube")._meta.db_table)
    facets = schema_editor.quote_name(apps.get_model("cases", "CaseFacet")._meta.db_table)
    published = "published_at IS NOT NULL"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {cube} (anchor_facet, anchor, facet, value, case_type, count)"
            f" SELECT a.facet, a.value, f.facet, f.value, f.case_type, COUNT(*) FROM {facets} a"
            f" JOIN {facets} f ON f.case_id = a.case_id WHERE a.facet IN (%s, %s, %s, %s) AND a.{published}"
            f" AND f.{published} GROUP BY a.facet, a.value, f.facet, f.value, f.case_type",
            [THEME, ORG_KIND, COLLECTION, YEAR],
        )


def drop_new_anchors(apps, schema_editor):
    apps.get_model("cases", "FacetCube").objects.exclude(anchor_facet=REGION).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0018_kept_search_counts_per_type"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="facetcube", name="facet_cube_unique"),
        migrations.AddField(
            model_name="facetcube",
            name="anchor_facet",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "Region"),
                    (2, "Type"),
                    (3, "Theme"),
                    (4, "Organization"),
                    (5, "Org Kind"),
                    (6, "Collection"),
                    (7, "Commissioner"),
                    (8, "Year"),
                ],
                default=1,
            ),
        ),
        migrations.AddConstraint(
            model_name="facetcube",
            constraint=models.UniqueConstraint(
                fields=("anchor_facet", "anchor", "facet", "value", "case_type"), name="facet_cube_unique"
            ),
        ),
        migrations.RunPython(count_new_anchors, drop_new_anchors),
    ]

# A kept search without words keeps the counts of a pair of anchors (a theme and a year): the second anchor in
# ``second_facet`` and ``second``, 0 for the searches kept so far, each in one anchor or everywhere.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0020_kept_searches_anchored_beyond_places"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="keptsearch",
            name="kept_search_unique",
        ),
        migrations.AddField(
            model_name="keptsearch",
            name="second",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="keptsearch",
            name="second_facet",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="keptsearch",
            name="query",
            field=models.CharField(blank=True, max_length=2000),
        ),
        migrations.AddConstraint(
            model_name="keptsearch",
            constraint=models.UniqueConstraint(
                fields=("query", "anchor_facet", "anchor", "second_facet", "second"), name="kept_search_unique"
            ),
        ),
    ]

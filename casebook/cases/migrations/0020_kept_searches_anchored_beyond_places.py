# A search is kept in one theme, kind of organization, collection or year too, not only in a place (``anchor_facet``;
# the searches kept so far are all in a place or everywhere, the place 0).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0019_facet_cube_anchors_beyond_places"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="keptsearch",
            name="kept_search_unique",
        ),
        migrations.AddField(
            model_name="keptsearch",
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
            model_name="keptsearch",
            constraint=models.UniqueConstraint(fields=("query", "anchor_facet", "anchor"), name="kept_search_unique"),
        ),
    ]

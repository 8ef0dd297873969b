from django.db import migrations

# search.tokens() now adds each Chinese run's trigrams, and a query of three Chinese characters asks for
# its trigram alone: documents written before would not find it. This rewrites every case's document.
#
# It calls the live indexing code (reindex: batches of indexing.BATCH cases, a transaction each, the facet
# rows rewritten with the same values). That is safe because the models it reads have not changed since
# 0012: the live models are this migration's historical state. Should a later migration rename or drop a
# column reindex reads, a database migrating across both at once fails here, loudly, on that batch; running
# `manage.py rebuild_search_index` after migrating does the same work, and squashing drops this step.
#
# Backwards there is nothing to undo: the former code asks only for bigrams and single characters, which keep
# their places (the trigrams come after them), so it finds in the new documents what it found in the old.


def rebuild_search_documents(apps, schema_editor):
    from casebook.cases.indexing import reindex
    from casebook.cases.maintenance import refresh_planner_statistics

    case_ids = list(apps.get_model("cases", "Case").objects.values_list("pk", flat=True))
    if case_ids:
        reindex(case_ids)
        refresh_planner_statistics(vacuum=True)


class Migration(migrations.Migration):
    atomic = False  # a transaction per batch, as rebuild_search_index has it; VACUUM after

    dependencies = [
        ("cases", "0012_search_rows_keep_text_apart"),
    ]

    operations = [migrations.RunPython(rebuild_search_documents, migrations.RunPython.noop, elidable=True)]

"""Grow a PostgreSQL bench database of generated synthetic cases ``factor`` times by copying them:

    DATABASE_URL=postgres://… DJANGO_SETTINGS_MODULE=bench.settings python -m bench.replicate --factor 10

Why: ``generate_cases --count 1000000`` takes over five hours on PostgreSQL here (about 3,000 cases a
minute, mostly Python), while copying the 100,000 cases of a seeded database nine times inside
PostgreSQL (INSERT … SELECT) takes minutes. The result is plainly a copy, and says so:

- every synthetic case of the seed is copied ``factor - 1`` times with all its rows: the case, its
  regions, themes, commissioners, initiatives and sources, participations, figures, outcomes,
  collection entries, facet rows and search document (not its history rows or old addresses);
- a copy has the same texts, title mark (“[Synthetic]”), type, places, period, status and publication
  time as its original, so every filter or search matches exactly ``factor`` times as many cases;
- a copy's id is the original's plus k × OFFSET (k = 1 … factor - 1, OFFSET a power of ten above
  the table's largest id), and its slug continues the numbering: with 100,000 generated cases,
  ``synthetic-1-000001`` has the copies ``synthetic-1-100001``, ``synthetic-1-200001`` …;
- the synthetic source's text gains a sentence saying what was done (``replication_note``), which is
  how ``bench.run.seed`` knows the database holds 1,000,000 cases of seed 1 made this way.

Copying is deterministic: the same database and factor give the same rows. The columns of each table
are read from the models, so a column added later is copied too. PostgreSQL only.
"""

import argparse
import os
import re
import time

import django

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()

from django.conf import settings  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from casebook.cases.indexing import recount_totals  # noqa: E402
from casebook.cases.models import Case, CollectionEntry, Source  # noqa: E402
from casebook.cases.synthetic import SLUG_PREFIX, data_version_note  # noqa: E402

# Tables pointing at cases that a copy does without: the history of edits nobody made, and old addresses.
NOT_COPIED = {"cases.CaseRedirect"}
# A collection numbers its cases once: a copy is in the same collection, unnumbered.
OVERRIDES = {CollectionEntry: {"number": "NULL"}}
NOTE = re.compile(
    r" Replicated by `python -m bench\.replicate --factor (?P<factor>\d+)`: (?P<generated>\d+) generated cases"
)


def replication_note(seed, generated, factor):
    """The synthetic source's text after replication: the generator's note, then what was copied."""
    return (
        f"{data_version_note(seed)} Replicated by `python -m bench.replicate --factor {factor}`: {generated} generated"
        f" cases and {factor - 1} copies of each, {generated * factor} cases in all."
    )


def cases_vouched_for(source_text, seed):
    """How many synthetic cases of ``seed`` the source's text accounts for: None for generate_cases'
    own note (the count is not in it), the total after a replication, or -1 for a text of neither kind."""
    if source_text == data_version_note(seed):
        return None
    match = NOTE.search(source_text or "")
    if match:
        generated, factor = int(match["generated"]), int(match["factor"])
        if source_text == replication_note(seed, generated, factor):
            return generated * factor
    return -1


def copied_models():
    """Case, then every model holding rows of a case (read from Case's relations), history excepted."""
    models = [Case]
    for relation in Case._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        model = relation.related_model
        if model._meta.label in NOT_COPIED or model.__name__.startswith("Historical"):
            continue
        models.append(model)
    return models


def power_of_ten_above(value):
    return 10 ** len(str(max(value, 0)))


def replicate(factor, seed=None, vacuum=True, log=print):
    """Copy the synthetic cases of ``seed`` ``factor - 1`` times; returns the number of synthetic cases after."""
    if connection.vendor != "postgresql":
        raise RuntimeError("bench.replicate copies rows inside PostgreSQL; it does not run on " + connection.vendor)
    if factor < 2:
        raise ValueError("--factor must be 2 or more")
    seed = settings.BENCH_SEED if seed is None else seed
    prefix = f"{SLUG_PREFIX}{seed}-"
    source = Source.objects.get(slug=f"synthetic-data-seed-{seed}")
    if source.text != data_version_note(seed):
        raise RuntimeError(f"{source.slug} does not read as freshly generated (replicated already?): {source.text!r}")
    cases = Case.objects.filter(slug__startswith=prefix)
    generated = cases.count()
    numbered = cases.filter(slug__regex=rf"^{re.escape(prefix)}[0-9]{{6}}$").count()
    if not generated or numbered != generated:
        raise RuntimeError(f"expected generate_cases' slugs {prefix}000001 …; found {numbered} of {generated}")
    if Case.objects.filter(slug__startswith=SLUG_PREFIX).exclude(slug__startswith=prefix).exists():
        raise RuntimeError("synthetic cases of another seed are present")

    quote = connection.ops.quote_name
    models = copied_models()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # The ids of the cases to copy, their number in the slug, and each table's offset.
        cursor.execute("DROP TABLE IF EXISTS replicate_source")
        cursor.execute(
            "CREATE TEMP TABLE replicate_source ON COMMIT DROP AS"  # noqa: S608
            f" SELECT id, substring(slug from %s)::bigint AS number FROM {quote(Case._meta.db_table)}"
            " WHERE slug LIKE %s",
            [len(prefix) + 1, f"{prefix}%"],
        )
        cursor.execute("SELECT max(number) FROM replicate_source")
        if cursor.fetchone()[0] != generated:
            raise RuntimeError(f"the slugs of the {generated} cases are not numbered 1 to {generated}")
        offsets = {}
        for model in models:
            pk = model._meta.pk
            if pk.is_relation:
                continue  # the search document's key is its case's id
            cursor.execute(f"SELECT coalesce(max({quote(pk.column)}), 0) FROM {quote(model._meta.db_table)}")  # noqa: S608
            offsets[model] = power_of_ten_above(cursor.fetchone()[0])
        # Each copy points at rows this transaction inserts first; checking each of ten million foreign keys
        # (deferred trigger events, held until commit) would take longer than the copying.
        # Run the checks still pending in this transaction (a test's own rows): an index cannot be rebuilt on a
        # table with pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for model in models:
            table = model._meta.db_table
            step = time.perf_counter()
            # Building an index once after the load is much faster than growing it row by row; indexes behind
            # constraints (primary keys, unique slugs) stay and check the copies.
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema()"
                " AND i.tablename = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
                " WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)"
                " ORDER BY i.indexname",
                [table],
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
            columns, values = [], []
            for field in model._meta.local_concrete_fields:
                column = quote(field.column)
                columns.append(column)
                if field.is_relation and field.related_model is Case:
                    values.append(f"t.{column} + k * {offsets[Case]}")
                elif field.primary_key:
                    values.append(f"t.{column} + k * {offsets[model]}")
                elif model is Case and field.name == "slug":
                    number = f"(s.number + k * {generated})::text"  # lpad cuts a longer text down to 6
                    values.append(f"%s || lpad({number}, greatest(6, length({number})), '0')")
                elif field.name in OVERRIDES.get(model, {}):
                    values.append(OVERRIDES[model][field.name])
                else:
                    values.append(f"t.{column}")
            case_column = Case._meta.pk.column if model is Case else model._meta.get_field("case").column
            cursor.execute(
                f"INSERT INTO {quote(table)} ({', '.join(columns)})"  # noqa: S608
                f" SELECT {', '.join(values)} FROM generate_series(1, %s) AS k"
                f" CROSS JOIN replicate_source s JOIN {quote(table)} t ON t.{quote(case_column)} = s.id"
                f" ORDER BY k, t.{quote(model._meta.pk.column)}",
                ([prefix] if model is Case else []) + [factor - 1],
            )
            inserted = cursor.rowcount
            for _name, definition in indexes:
                cursor.execute(definition)
            log(f"{table}: {inserted} rows copied, {len(indexes)} indexes rebuilt ({time.perf_counter() - step:.1f} s)")
        cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are INITIALLY DEFERRED
        for sql in connection.ops.sequence_reset_sql(no_style(), [m for m in models if m in offsets]):
            cursor.execute(sql)
        source.text = replication_note(seed, generated, factor)
        source.save(update_fields=["text"])
    recount_totals()
    log(f"Copied in {time.perf_counter() - started:.1f} s; facet totals recounted.")
    if vacuum:
        step = time.perf_counter()
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"VACUUM ANALYZE {quote(model._meta.db_table)}")
        log(f"VACUUM ANALYZE in {time.perf_counter() - step:.1f} s.")
    return Case.objects.filter(slug__startswith=prefix).count()


def main():
    parser = argparse.ArgumentParser(prog="python -m bench.replicate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--factor", type=int, default=10, help="cases after = generated cases × factor (default 10)")
    parser.add_argument("--seed", type=int, default=None, help="the synthetic seed (default BENCH_SEED)")
    args = parser.parse_args()
    started = time.perf_counter()
    total = replicate(args.factor, args.seed, log=lambda message: print(message, flush=True))
    print(f"{total} synthetic cases in {connection.settings_dict['NAME']} ({time.perf_counter() - started:.1f} s).")


if __name__ == "__main__":
    main()

# SQL here is assembled from table and column names of the models; values are query parameters.
# ruff: noqa: S608
"""What the listing reads instead of joining a case's relations: its facet values (with the counts kept from
them, FacetTotal and FacetCube) and its search document.

``reindex(case_ids)`` rebuilds them for those cases (a missing case loses its rows). It runs on every
save and delete that changes what a case shows, on the ``cases_changed`` signal of bulk writers, and
from ``manage.py rebuild_search_index``.
"""

from collections import Counter

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from casebook.organizations.models import Commissioner, Organization
from casebook.regions.models import Region

from . import kept_searches, search
from .models import (
    ANCHOR_FACETS,
    EVERYWHERE,
    TRANSLATED_COLUMNS,
    Case,
    CaseFacet,
    CaseFacetLine,
    CollectionEntry,
    FacetCube,
    FacetTotal,
    Figure,
    KeptSearch,
    KeptSearchCount,
    Participation,
    SearchDocument,
    Theme,
)
from .signals import cases_changed
from .versions import data_changed

BATCH = 500
KINDS = {kind: position for position, kind in enumerate(Organization.Kind.values)}
Facet = CaseFacet.Facet


def reindex(case_ids, batch_size=BATCH):
    """Rebuild the facet rows and search documents of ``case_ids``; returns how many cases were indexed."""
    indexed = 0
    for batch in batched(sorted(set(case_ids)), batch_size):
        with transaction.atomic():
            indexed += index_batch(batch)
    data_changed()
    return indexed


def batched(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


CASE_TEXT = ["title", "summary", "background", "approach", "results", "lessons"]


def index_batch(case_ids):
    """Reindex a few hundred cases with flat value queries and executemany, no model instances: 100,000
    cases take minutes, not hours."""
    text_columns = [f"{field}_{column}" for field in CASE_TEXT for column in TRANSLATED_COLUMNS]
    cases = Case.objects.filter(pk__in=case_ids).values_list(
        "pk", "status", "published_at", "assistance_type_id", "start_year", "end_year", *text_columns
    )
    related = {
        "regions": pairs(Case.regions.through, "region_id", case_ids),
        "themes": pairs(Case.themes.through, "theme_id", case_ids),
        "commissioners": pairs(Case.commissioners.through, "commissioner_id", case_ids),
        "organizations": pairs(Participation, "organization_id", case_ids),
        "collections": pairs(CollectionEntry, "collection_id", case_ids),
    }
    name_columns = [f"name_{column}" for column in TRANSLATED_COLUMNS]
    regions = with_ancestors(ids_in(related["regions"]), name_columns)
    organizations = {
        pk: (kind, names)
        for pk, kind, *names in Organization.objects.filter(pk__in=ids_in(related["organizations"])).values_list(
            "pk", "kind", *name_columns
        )
    }
    themes = names_by_id(Theme, ids_in(related["themes"]), name_columns)
    commissioners = names_by_id(Commissioner, ids_in(related["commissioners"]), name_columns)
    captions = {}
    caption_columns = [f"caption_{column}" for column in TRANSLATED_COLUMNS]
    for case_id, *texts in Figure.objects.filter(case_id__in=case_ids).values_list("case_id", *caption_columns):
        captions.setdefault(case_id, []).extend(texts)

    facet_rows, lines, documents = [], [], []
    for pk, status, published_at, type_id, start_year, end_year, *texts in cases:
        region_ids = {ancestor for region in related["regions"].get(pk, ()) for ancestor in regions[region]}
        organization_ids = related["organizations"].get(pk, set())
        end_year = min(max(end_year or start_year, start_year), start_year + 200)
        values = {
            Facet.REGION: region_ids,
            Facet.TYPE: {type_id},
            Facet.THEME: related["themes"].get(pk, set()),
            Facet.ORGANIZATION: organization_ids,
            Facet.ORG_KIND: {KINDS[organizations[o][0]] for o in organization_ids if organizations[o][0] in KINDS},
            Facet.COLLECTION: related["collections"].get(pk, set()),
            Facet.COMMISSIONER: related["commissioners"].get(pk, set()),
            Facet.YEAR: set(range(start_year, end_year + 1)),
        }
        published = published_at if status == Case.Status.PUBLISHED else None
        facet_rows.extend((pk, int(facet), value, published, type_id) for facet, vs in values.items() for value in vs)
        line = " ".join(f"{int(facet)}:{value}" for facet, vs in values.items() for value in vs)
        lines.append((pk, published, line, type_id))
        names = [
            *(name for region in region_ids for name in regions.names[region]),
            *(name for o in organization_ids for name in organizations[o][1]),
            *(name for t in related["themes"].get(pk, ()) for name in themes[t]),
            *(name for c in related["commissioners"].get(pk, ()) for name in commissioners[c]),
            *captions.get(pk, ()),
        ]
        text = " ".join([*(t or "" for t in texts), *(name or "" for name in names)])
        documents.append((pk, " ".join(search.tokens(text))))
    write(case_ids, facet_rows, lines, documents)
    return len(documents)


def pairs(through, column, case_ids):
    """{case id: {related id}} from a table of (case_id, <column>) rows."""
    related = {}
    for case_id, value in through.objects.filter(case_id__in=case_ids).values_list("case_id", column):
        related.setdefault(case_id, set()).add(value)
    return related


def ids_in(related):
    return {value for values in related.values() for value in values}


def names_by_id(model, ids, name_columns):
    return {pk: names for pk, *names in model.objects.filter(pk__in=ids).values_list("pk", *name_columns)}


class Ancestry(dict):
    """{region id: ids of it and every region above it}, with ``names`` {region id: names} of all of them."""

    def __init__(self, paths, by_code):
        super().__init__()
        self.names = {}
        for pk, path in paths.items():
            trail = [by_code[code] for code in path.split("/") if code in by_code]
            self[pk] = {ancestor for ancestor, _names in trail}
            self.names.update(trail)


def with_ancestors(region_ids, name_columns):
    paths = dict(Region.objects.filter(pk__in=region_ids).values_list("pk", "path"))
    codes = {code for path in paths.values() for code in path.split("/") if code}
    rows = Region.objects.filter(code__in=codes).values_list("code", "pk", *name_columns)
    return Ancestry(paths, {code: (pk, names) for code, pk, *names in rows})


def write(case_ids, facet_rows, lines, documents):
    ops = connection.ops
    facet_table, search_table = CaseFacet._meta.db_table, SearchDocument._meta.db_table
    after = [(pk, facet, value, case_type) for pk, facet, value, at, case_type in facet_rows if at is not None]
    searches = kept_searches.for_writing()
    before, matched_before = published_rows(case_ids), kept_searches.matched(searches, case_ids)
    CaseFacet.objects.filter(case_id__in=case_ids).delete()
    CaseFacetLine.objects.filter(case_id__in=case_ids).delete()
    SearchDocument.objects.filter(case_id__in=case_ids).delete()
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {facet_table} (case_id, facet, value, published_at, case_type) VALUES (%s, %s, %s, %s, %s)",
            [(pk, facet, value, ops.adapt_datetimefield_value(at), t) for pk, facet, value, at, t in facet_rows],
        )
        cursor.executemany(
            f"INSERT INTO {CaseFacetLine._meta.db_table} (case_id, published_at, facets, case_type)"
            " VALUES (%s, %s, %s, %s)",
            [(pk, ops.adapt_datetimefield_value(at), text, t) for pk, at, text, t in lines],
        )
        cursor.executemany(f"INSERT INTO {search_table} (rowid, document) VALUES (%s, %s)", documents)
    add_counts(after, before, kept_searches.matched(searches, case_ids), matched_before)


def published_rows(case_ids):
    """[(case, facet, value, case_type)]: the facet rows of the published cases among ``case_ids``, as the
    index has them now."""
    rows = CaseFacet.objects.filter(case_id__in=case_ids, published_at__isnull=False)
    return list(rows.values_list("case_id", "facet", "value", "case_type"))


def add_counts(after, before, matched_after=None, matched_before=None):
    """Move the maintained counts (FacetTotal, FacetCube, KeptSearchCount) from the published facet rows
    ``before`` to those ``after``, both [(case, facet, value, case_type)]; the kept searches' counts from
    the cases each matched before to those it matches now, both {kept search id: case ids}."""
    totals = Counter((facet, value) for _pk, facet, value, _type in after)
    totals.subtract((facet, value) for _pk, facet, value, _type in before)
    cube = cube_counts(after)
    cube.subtract(cube_counts(before))
    searched = kept_searches.changes(after, before, matched_after or {}, matched_before or {})
    upsert(FacetTotal, ["facet", "value"], totals)
    upsert(FacetCube, ["anchor_facet", "anchor", "facet", "value", "case_type"], cube)
    upsert(KeptSearchCount, ["search_id", "facet", "value", "case_type"], searched)


def cube_counts(rows):
    """Counter {(anchor facet, anchor, facet, value, case_type): cases} of facet rows [(case, facet, value,
    case_type)]: each of a case's rows counts once EVERYWHERE and once under each of its values of an anchor
    facet (its places include every place above its own)."""
    by_case = {}
    for pk, facet, value, case_type in rows:
        by_case.setdefault(pk, []).append((facet, value, case_type))
    counts = Counter()
    for values in by_case.values():
        anchors = [EVERYWHERE, *((facet, value) for facet, value, _type in values if facet in ANCHOR_FACETS)]
        counts.update((*anchor, *row) for anchor in anchors for row in values)
    return counts


def upsert(model, key, change):
    """Add ``change`` {key values: delta} to ``model``'s ``count`` column, keyed by the columns ``key``."""
    table = model._meta.db_table
    # In key order: two saves moving the same counts lock their rows in the same order, never in a deadlock.
    rows = sorted((*values, delta) for values, delta in change.items() if delta)
    if not rows:
        return
    columns = ", ".join(key)
    on_conflict = f"ON CONFLICT ({columns}) DO UPDATE SET count = {table}.count + excluded.count"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement of arrays, not a statement per row: a batch of 500 cases moves some 15,000 counts.
            arrays = ", ".join(["%s::bigint[]"] * (len(key) + 1))
            cursor.execute(
                f"INSERT INTO {table} ({columns}, count) SELECT * FROM unnest({arrays}) {on_conflict}",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            marks = ", ".join(["%s"] * (len(key) + 1))
            cursor.executemany(f"INSERT INTO {table} ({columns}, count) VALUES ({marks}) {on_conflict}", rows)


def recount_totals():
    """Count the totals and the cube afresh from the facet index (rebuild_search_index ends with it). The
    kept searches are dropped: they are kept again, counted afresh, when next asked for."""
    facets, totals, cube = CaseFacet._meta.db_table, FacetTotal._meta.db_table, FacetCube._meta.db_table
    published = "published_at IS NOT NULL"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {totals}")
        cursor.execute(
            f"INSERT INTO {totals} (facet, value, count) SELECT facet, value, COUNT(*)"
            f" FROM {facets} WHERE {published} GROUP BY facet, value"
        )
        cursor.execute(f"DELETE FROM {cube}")
        cursor.execute(
            f"INSERT INTO {cube} (anchor_facet, anchor, facet, value, case_type, count) SELECT %s, %s, facet,"
            f" value, case_type, COUNT(*) FROM {facets} WHERE {published} GROUP BY facet, value, case_type",
            list(EVERYWHERE),
        )
        cursor.execute(
            f"INSERT INTO {cube} (anchor_facet, anchor, facet, value, case_type, count)"
            f" SELECT a.facet, a.value, f.facet, f.value, f.case_type, COUNT(*) FROM {facets} a"
            f" JOIN {facets} f ON f.case_id = a.case_id WHERE a.facet IN ({', '.join(['%s'] * len(ANCHOR_FACETS))})"
            f" AND a.{published} AND f.{published} GROUP BY a.facet, a.value, f.facet, f.value, f.case_type",
            sorted(ANCHOR_FACETS),
        )
        KeptSearch.objects.all().delete()
    data_changed()


# Keeping it up to date


@receiver(pre_delete, sender=Case)
def on_case_deleted(sender, instance, **kwargs):
    # Its facet rows go with it (a cascade, without signals): take it out of the totals first.
    searches = kept_searches.for_writing()
    add_counts([], published_rows([instance.pk]), {}, kept_searches.matched(searches, [instance.pk]))
    data_changed()


@receiver(cases_changed)
def on_cases_changed(sender, case_ids=(), **kwargs):
    reindex(case_ids)


@receiver(post_save, sender=Case)
def on_case_saved(sender, instance, **kwargs):
    reindex([instance.pk])


@receiver(post_save, sender=Participation)
@receiver(post_delete, sender=Participation)
@receiver(post_save, sender=Figure)
@receiver(post_delete, sender=Figure)
@receiver(post_save, sender=CollectionEntry)
@receiver(post_delete, sender=CollectionEntry)
def on_case_part_changed(sender, instance, origin=None, **kwargs):
    if isinstance(origin, Case) or getattr(origin, "model", None) is Case:
        return  # deleted with its case (one or a queryset of them): reindexing would write rows for a case going
    reindex([instance.case_id])


def on_relation_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """regions, themes, commissioners: from the case's side (case.regions.add) or the other (region.cases.add)."""
    if action == "pre_clear" and reverse:
        # After the clear nothing says which cases had it: remember them now.
        instance._cases_before_clear = list(sender.objects.filter(**{related_column(sender, instance): instance.pk}))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        reindex([instance.pk])
    elif action == "post_clear":
        reindex([row.case_id for row in getattr(instance, "_cases_before_clear", [])])
    else:
        reindex(pk_set or ())


def related_column(through, instance):
    return next(f.name for f in through._meta.fields if f.related_model is type(instance)) + "_id"


for relation in (Case.regions, Case.themes, Case.commissioners):
    m2m_changed.connect(on_relation_changed, sender=relation.through, dispatch_uid=f"reindex-{relation.field.name}")


# Renamed or moved reference data: every case that shows it


@receiver(post_save, sender=Region)
def on_region_saved(sender, instance, created, **kwargs):
    if not created:
        reindex(
            Case.regions.through.objects.filter(region__path__startswith=instance.path).values_list(
                "case_id", flat=True
            )
        )


@receiver(post_save, sender=Organization)
def on_organization_saved(sender, instance, created, **kwargs):
    if not created:
        reindex(Participation.objects.filter(organization=instance).values_list("case_id", flat=True))


@receiver(post_save, sender=Commissioner)
def on_commissioner_saved(sender, instance, created, **kwargs):
    if not created:
        reindex(Case.commissioners.through.objects.filter(commissioner=instance).values_list("case_id", flat=True))


@receiver(post_save, sender=Theme)
def on_theme_saved(sender, instance, created, **kwargs):
    if not created:
        reindex(Case.themes.through.objects.filter(theme=instance).values_list("case_id", flat=True))


# Deleted reference data: the rows linking it to cases go without a signal of their own.

LINKS = {Region: (Case.regions.through, "region"), Theme: (Case.themes.through, "theme")}
LINKS[Commissioner] = (Case.commissioners.through, "commissioner")


def remember_cases(sender, instance, **kwargs):
    through, column = LINKS[sender]
    instance._linked_cases = list(through.objects.filter(**{column: instance}).values_list("case_id", flat=True))


def reindex_remembered(sender, instance, **kwargs):
    reindex(getattr(instance, "_linked_cases", ()))


for model in LINKS:
    pre_delete.connect(remember_cases, sender=model, dispatch_uid=f"remember-cases-{model.__name__}")
    post_delete.connect(reindex_remembered, sender=model, dispatch_uid=f"reindex-after-{model.__name__}")

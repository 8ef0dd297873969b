# SQL here is assembled from table and column names of the models; values are query parameters.
# ruff: noqa: S608
"""Facet counts kept for searches that match many cases.

Counting the facets of a search takes a pass over its matches (facets.line_counts): for a word in half of
all cases, 140 ms at 100,000 cases and 1.3 s at 1,000,000, again each time the data changes. A search
found to match at least KEEP_MATCHES cases is kept (``KeptSearch``) with its counts (``KeptSearchCount``),
and from then on ``indexing`` moves those counts with every case it writes, as it moves the counts of
places (``FacetCube``): the panel of the search reads a few thousand rows, however many cases match.

A search is kept among all cases (EVERYWHERE) or within one anchor (``Anchor``: one place, theme, kind of
organization, collection or year, as FacetCube's): the panel of a common word in one place counts that
place's matches (facets.lines_within), which first takes every match of the word from the full-text
index, however few are in the place; kept, it reads the place's counts. So a search counted in one anchor
is kept however many cases match there (``keeps``): facets counts there only the searches with more than
facets.FEW_MATCHES matches in all.

A kept search without words (``query`` empty) keeps the counts of the cases of two anchors (``Pair``: a
theme and a year, a place and a theme…), whose panel FacetCube cannot read: counting them takes a pass over
the cases of both, 1 s for a theme and a year at 1,000,000 cases. Such a pair is kept from KEEP_MATCHES
cases (``keeps``); a smaller one costs less to count than to keep.

Every write checks each kept search against the cases it writes, so only the KEPT_SEARCHES most recently
used are kept; ``rebuild_search_index`` drops them all (they are kept again when next asked for).
"""

from collections import Counter
from datetime import timedelta

from django.db import IntegrityError, OperationalError, connection, transaction

from .models import (
    EVERYWHERE,
    Anchor,
    Case,
    CaseFacet,
    CaseFacetLine,
    FacetCube,
    FacetTotal,
    KeptSearch,
    KeptSearchCount,
    Pair,
    SearchDocument,
)
from .search import matches_sql, matching, tsquery

KEEP_MATCHES = 5000
NO_SECOND = Anchor(0, 0)  # the second anchor of a search kept in one anchor or everywhere
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a NOWAIT lock that is held
KEPT_SEARCHES = 50
# A kept search's time of use is written at most this often: reading its counts should not be a write.
USE_GRANULARITY = timedelta(hours=1)


def counts(text, now, anchor=EVERYWHERE, types=()):
    """({(facet, value): count}, total) of the published cases matching ``text`` (of the ``anchor``)
    of the assistance types ``types`` (all when empty), as ``of_types`` gives them from the kept counts;
    None when the search is not kept."""
    found = typed_counts(text, now, anchor)
    return None if found is None else of_types(found, types)


def typed_counts(text, now, anchor=EVERYWHERE):
    """Counter {(facet, value, case type): cases} of the published cases matching ``text`` (of the
    ``anchor``), from its kept counts less the cases scheduled for later; None when the search is not kept."""
    kept = kept_in(text, anchor).first()
    if kept is None:
        return None
    if kept.used_at < now - USE_GRANULARITY:
        KeptSearch.objects.filter(pk=kept.pk).update(used_at=now)
    rows = KeptSearchCount.objects.filter(search=kept).exclude(count=0)
    found = Counter(
        {(facet, value, t): n for facet, value, t, n in rows.values_list("facet", "value", "case_type", "count")}
    )
    found.subtract(typed_tokens(scheduled_lines(text, now, anchor)))
    return Counter({key: n for key, n in found.items() if n > 0})


def of_types(found, types=()):
    """({(facet, value): cases}, total) from counts per type ``found`` {(facet, value, case type): cases}, for
    the cases of ``types`` (all when empty): each facet's values among those cases, but the types' own among
    cases of every type (a facet is counted without its own filter); the total, how many cases are of
    ``types`` (every case has one type)."""
    wanted = set(types)
    counts, total = Counter(), 0
    for (facet, value, case_type), n in found.items():
        of_wanted = not wanted or case_type in wanted
        if facet == CaseFacet.Facet.TYPE:
            total += n if of_wanted else 0
        elif not of_wanted:
            continue
        counts[facet, value] += n
    return {key: n for key, n in counts.items() if n > 0}, total


def kept_in(text, anchor=EVERYWHERE):
    """The kept search (at most one) of ``text`` in ``anchor`` (an Anchor or a Pair), as a queryset."""
    return KeptSearch.objects.filter(query=tsquery(text), **columns(anchor))


def columns(anchor):
    """The KeptSearch fields that say where a search is kept: EVERYWHERE, one Anchor or a Pair."""
    first, second = anchor if isinstance(anchor, Pair) else (anchor, NO_SECOND)
    return {"anchor_facet": first.facet, "anchor": first.value, "second_facet": second.facet, "second": second.value}


def from_columns(anchor_facet, anchor, second_facet, second):
    """The Anchor or Pair of a KeptSearch's fields (``columns``)."""
    first = Anchor(anchor_facet, anchor)
    return first if second_facet == NO_SECOND.facet else Pair(first, Anchor(second_facet, second))


def anchors(anchor):
    """The anchors every case of ``anchor`` (EVERYWHERE, an Anchor or a Pair) is of: none for EVERYWHERE."""
    if isinstance(anchor, Pair):
        return list(anchor)
    return [] if anchor == EVERYWHERE else [anchor]


def is_kept(text, anchor=EVERYWHERE):
    """Whether ``text`` is kept (in the ``anchor``)."""
    return kept_in(text, anchor).exists()


def is_common(text, anchor=EVERYWHERE):
    """Whether ``text`` is kept among all cases or in the ``anchor``: it matched more than
    facets.FEW_MATCHES cases when it was (see above)."""
    return (kept_in(text) | kept_in(text, anchor)).exists()


def keeps(total, anchor):
    """Whether a search counted with ``total`` matches is kept: in one anchor, always; among all cases and in a
    pair, from KEEP_MATCHES matches (see above)."""
    return len(anchors(anchor)) == 1 or total >= KEEP_MATCHES


def scheduled_lines(text, now, anchor=EVERYWHERE):
    """[(facet line, case type)] of the published cases with a time still to come that match ``text`` (all of
    them for a pair: no text) of the ``anchor``."""
    later = Case.objects.filter(status=Case.Status.PUBLISHED, published_at__gt=now).order_by().values("pk")
    later_sql, params = later.query.sql_with_params()
    sql = f"SELECT l.facets, l.case_type FROM {CaseFacetLine._meta.db_table} l"
    if text:
        match_sql, match_params = matches_sql(text, connection.vendor, alias="s")
        sql += f" JOIN {SearchDocument._meta.db_table} s ON s.rowid = l.case_id AND {match_sql}"
        params = [*match_params, *params]
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} WHERE l.case_id IN ({later_sql})", params)
        return within(anchor, cursor.fetchall())


def within(anchor, rows):
    """The rows [(facet line, …)] of the cases of the ``anchor`` (every row for EVERYWHERE): a case's line
    holds its facet values, its places with every place above them."""
    wanted = {f"{int(facet)}:{int(value)}" for facet, value in anchors(anchor)}
    if not wanted:
        return rows
    return [row for row in rows if wanted <= set(row[0].split())]


def tokens(lines):
    """Counter {(facet, value): cases} of facet lines ("1:12 1:179 2:1")."""
    counted = Counter(token for line in lines for token in line.split())
    return Counter({tuple(int(part) for part in token.split(":")): n for token, n in counted.items()})


def typed_tokens(rows):
    """Counter {(facet, value, case type): cases} of [(facet line, case type)], tallied type by type."""
    by_type = {}
    for line, case_type in rows:
        by_type.setdefault(case_type, []).append(line)
    return Counter(
        {
            (facet, value, case_type): n
            for case_type, lines in by_type.items()
            for (facet, value), n in tokens(lines).items()
        }
    )


def counted(text, now, count, anchor=EVERYWHERE):
    """``count()``, the facet counts per type of the published cases matching ``text`` (of the ``anchor``)
    as (counts, total, candidates) (facets.typed_line_counts), with the search kept from them where it
    ``keeps``.

    On PostgreSQL the count is made holding the search index for sharing: no write comes between the count
    and the kept search (a write locks the index for writing before it reads which searches are kept,
    for_writing). A reader never waits for a writer: while one writes, the search is counted and not kept.
    On SQLite a search to keep is counted again, under the database's write lock (keep)."""
    if connection.vendor != "postgresql":
        result = count()
        if keeps(result[1], anchor):
            keep(text, now, anchor)
        return result
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {SearchDocument._meta.db_table} IN SHARE MODE NOWAIT")
            result = count()
            counts, total, _candidates = result
            if keeps(total, anchor):
                kept = new_search(text, now, anchor)
                if kept is not None:
                    found = Counter(counts)
                    # The kept counts hold the cases scheduled for later.
                    found.update(typed_tokens(scheduled_lines(text, now, anchor)))
                    store(kept, found)
            return result
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
    return count()


def keep(text, now, anchor=EVERYWHERE):
    """Keep the search ``text`` (in the ``anchor``; a Pair's cases when ``text`` is empty), its matches counted
    afresh so that no write is missed in between (tests and SQLite; PostgreSQL keeps a search as it counts it,
    ``counted``): when another request kept it first, or it is not worth keeping (``keeps``), nothing is kept."""
    with transaction.atomic():
        # The search's row first: on SQLite its write takes the database's lock before the count reads.
        kept = new_search(text, now, anchor)
        if kept is None:
            return
        if connection.vendor == "postgresql":
            # Waits for every write to the search index in progress, and holds later ones until this commits.
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {SearchDocument._meta.db_table} IN SHARE MODE")
        lines = within(anchor, matching_lines(text) if text else lines_of(anchor.first))
        if not keeps(len(lines), anchor):
            transaction.set_rollback(True)
            return
        store(kept, typed_tokens(lines))


def new_search(text, now, anchor=EVERYWHERE):
    """A new KeptSearch for ``text`` in ``anchor``; None when it is kept already (another request kept it first) or its
    words are too long to keep."""
    query = tsquery(text)
    if max(len(query), len(text)) > KeptSearch._meta.get_field("query").max_length:
        return None
    try:
        with transaction.atomic():
            return KeptSearch.objects.create(query=query, **columns(anchor), text=text, used_at=now)
    except IntegrityError:
        return None


def store(kept, found):
    """Write the counts ``found`` {(facet, value, case type): cases} of the new search ``kept``, and drop the
    searches used least recently beyond KEPT_SEARCHES."""
    from .indexing import upsert  # indexing imports this module

    # One statement of arrays on PostgreSQL: a common word has some 30,000 counts at 100,000 cases (a
    # thousand organizations, each counted per type), 1.7 s as model instances.
    upsert(
        KeptSearchCount, ["search_id", "facet", "value", "case_type"], {(kept.pk, *key): n for key, n in found.items()}
    )
    stale = KeptSearch.objects.exclude(pk=kept.pk).order_by("-used_at", "-pk").values_list("pk", flat=True)
    KeptSearch.objects.filter(pk__in=list(stale[KEPT_SEARCHES - 1 :])).delete()


def matching_lines(text):
    """[(facet line, case type)] of every published case matching ``text`` (scheduled ones included)."""
    found, condition, params = matching(text, connection.vendor, alias="s")
    sql = (
        f"SELECT l.facets, l.case_type FROM {found} JOIN {CaseFacetLine._meta.db_table} l"
        f" ON l.case_id = s.rowid WHERE {condition} AND l.published_at IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def lines_of(anchor):
    """[(facet line, case type)] of every published case of one ``anchor`` (scheduled ones included)."""
    sql = (
        f"SELECT l.facets, l.case_type FROM {CaseFacet._meta.db_table} d JOIN {CaseFacetLine._meta.db_table} l"
        " ON l.case_id = d.case_id WHERE d.facet = %s AND d.value = %s AND d.published_at IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(anchor))
        return cursor.fetchall()


# Kept by indexing.write


def for_writing():
    """[(id, text, Anchor)] of the kept searches, for a write to the search index that moves their counts. On
    PostgreSQL the index is locked for writing first, so a search being kept (``keep``) is either seen
    here or has counted the cases after this write commits."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {SearchDocument._meta.db_table} IN ROW EXCLUSIVE MODE")
    searches = KeptSearch.objects.values_list("pk", "text", "anchor_facet", "anchor", "second_facet", "second")
    return [(pk, text, from_columns(*where)) for pk, text, *where in searches]


def matched(searches, case_ids):
    """{kept search id: the ids among ``case_ids`` whose search documents match it now, and which are of its
    anchor now (the facet index as it is, before or after a write)}."""
    if not searches or not case_ids:
        return {}
    table = SearchDocument._meta.db_table
    if connection.vendor == "postgresql":
        among, ids = "s.rowid = ANY(%s)", [list(case_ids)]
    else:
        among, ids = f"s.rowid IN ({', '.join(['%s'] * len(case_ids))})", list(case_ids)
    found = {}
    with connection.cursor() as cursor:
        for pk, text, anchor in searches:
            sql, params = f"SELECT s.rowid FROM {table} s WHERE {among}", []
            if text:  # a kept pair has none
                match_sql, params = matches_sql(text, connection.vendor, alias="s")
                sql += f" AND {match_sql}"
            for of_anchor in anchors(anchor):
                sql += (
                    f" AND EXISTS (SELECT 1 FROM {CaseFacet._meta.db_table} r WHERE r.case_id = s.rowid"
                    " AND r.facet = %s AND r.value = %s)"
                )
                params = [*params, *of_anchor]
            cursor.execute(sql, [*ids, *params])
            found[pk] = {row[0] for row in cursor.fetchall()}
    return found


def changes(after, before, matched_after, matched_before):
    """Counter {(search id, facet, value, case type): delta} moving the kept searches' counts from the
    published facet rows ``before`` of the cases they matched (``matched_before``) to the rows ``after`` of
    those they match now, the rows as indexing.add_counts has them [(case, facet, value, case_type)]."""
    change = Counter()
    for rows, by_search, sign in ((after, matched_after, 1), (before, matched_before, -1)):
        if not by_search:
            continue
        by_case = {}
        for pk, facet, value, case_type in rows:
            by_case.setdefault(pk, []).append((facet, value, case_type))
        for search, case_ids in by_search.items():
            for pk in case_ids:
                for facet, value, case_type in by_case.get(pk, ()):
                    change[search, facet, value, case_type] += sign
    return change


def newest_ranked(text, total, now, limit, anchor=EVERYWHERE, types=()):
    """The ids of the ``limit`` newest published cases matching ``text`` (of the ``anchor``, of the
    assistance types ``types`` when any) on PostgreSQL, as facets.best_first orders them (best match first,
    then newest), given that ``total`` such cases match it.

    The newest published cases (along case_newest_idx; of an anchor, along case_facet_value_idx, which holds
    each row's type) are read in chunks and checked against the search (a word in a fifth of all cases: about
    5,000 checked for 1,000 found), each ranked as it is checked (one read of its vector), instead of every
    match sorted by time."""
    Facet = CaseFacet.Facet
    if anchor != EVERYWHERE:
        of_anchor = {"facet": anchor.facet, "value": anchor.value}
        newest = CaseFacet.objects.filter(**of_anchor, published_at__lte=now)
        sizes = FacetTotal.objects.filter(**of_anchor)
        if types:
            newest = newest.filter(case_type__in=types)
            sizes = FacetCube.objects.filter(
                anchor_facet=anchor.facet, anchor=anchor.value, facet=Facet.TYPE, value__in=types
            )
        newest = newest.order_by("-published_at", "-case_id").values_list("case_id", flat=True)
    else:
        newest = Case.objects.filter(status=Case.Status.PUBLISHED, published_at__lte=now)
        sizes = FacetTotal.objects.filter(facet=Facet.TYPE)
        if types:
            newest = newest.filter(assistance_type_id__in=types)
            sizes = sizes.filter(value__in=types)
        newest = newest.order_by("-published_at", "-pk").values_list("pk", flat=True)
    published = sum(sizes.values_list("count", flat=True))
    query = tsquery(text)
    sql = (
        "SELECT s.rowid, ts_rank(s.vector, to_tsquery('simple', %s)) FROM"
        f" {SearchDocument._meta.db_table} s WHERE s.rowid = ANY(%s) AND s.vector @@ to_tsquery('simple', %s)"
    )
    chunk = max(int(limit * 1.2 * published / max(total, 1)), limit)
    found, start = [], 0  # [(-rank, position among the newest)]
    with connection.cursor() as cursor:
        while len(found) < limit:
            ids = list(newest[start : start + chunk])
            if not ids:
                break
            cursor.execute(sql, [query, ids, query])
            rank = dict(cursor.fetchall())
            found += [(-rank[pk], start + n, pk) for n, pk in enumerate(ids) if pk in rank]
            start += chunk
            chunk *= 2  # fewer matches among the newest than on average: read further at once
    return [pk for _rank, _position, pk in sorted(found[:limit])]

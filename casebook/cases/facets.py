# SQL here is assembled from table and column names of the models and from integers; every value that
# comes from a request is a query parameter.
# ruff: noqa: S608
"""Facet counts beside the listing: for each filter, its options with the number of published cases they
would list given the other active filters ("Shaanxi (12)").

All facets, their labels and the total come from one of six places, by filter state (count_rows):

- no filter: the maintained totals (``FacetTotal``), less the cases scheduled for later;
- one value of an anchor facet (a place, a theme, a kind of organization, a collection, a year), types, or
  both: the maintained counts per anchor and type (``FacetCube``, cube_rows);
- one value each of two anchor facets (a theme and a year), with types or without, when they leave many
  cases: the counts kept for the pair (a ``KeptSearch`` without words, kept_searches), each of the two facets
  from FacetCube under the other (pair_rows);
- a search matching many cases, without filters or with types, one anchor value or both: the counts kept
  for it there, per type (``KeptSearch``, kept_searches; search_counts);
- a search: the matching cases' lines (``CaseFacetLine``), tallied in Python (line_counts,
  filtered_line_counts), unless a small filter has fewer cases than the search has matches; with one place
  chosen, the lines of that place's matches (lines_within);
- otherwise: one UNION ALL query over ``CaseFacet``, each branch a GROUP BY over the cases the other filters
  leave, or read from ``FacetCube`` where those are one anchor value and types (counted_rows).

The rows are cached under the filter state and the version of the published data (``versions``), with the
cases a search ranks, already ranked (best_first, page_ids).
"""

import functools
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import quote_plus

from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casebook.organizations.models import Commissioner, Organization
from casebook.regions.models import Region

from . import kept_searches
from .models import (
    ANCHOR_FACETS,
    EVERYWHERE,
    TRANSLATED_COLUMNS,
    Anchor,
    AssistanceType,
    Case,
    CaseFacet,
    CaseFacetLine,
    Collection,
    FacetCube,
    FacetTotal,
    Pair,
    SearchDocument,
    Theme,
    current_column,
)
from .search import matches_sql, matching, query_groups, tsquery
from .versions import data_version

Facet = CaseFacet.Facet
TOTAL, TRAIL = 0, -1
TYPED = "case_type"  # the column of a set of cases that gives each one's assistance type


@dataclass(frozen=True)
class FacetSpec:
    param: str
    facet: int
    label: str
    model: type | None = None
    name_field: str = "name"
    limit: int | None = 30  # the options with most cases; None: all of them


SPECS = [
    FacetSpec("region", Facet.REGION, _("Place"), Region, limit=None),
    FacetSpec("type", Facet.TYPE, _("Type of assistance"), AssistanceType, limit=None),
    FacetSpec("theme", Facet.THEME, _("Theme"), Theme),
    FacetSpec("organization", Facet.ORGANIZATION, _("Organization"), Organization),
    FacetSpec("org_kind", Facet.ORG_KIND, _("Kind of organization"), limit=None),
    FacetSpec("commissioner", Facet.COMMISSIONER, _("Commissioner"), Commissioner),
    FacetSpec("collection", Facet.COLLECTION, _("Collection"), Collection, name_field="short_title", limit=None),
    FacetSpec("year", Facet.YEAR, _("Active in year"), limit=None),
]
SPEC_BY_PARAM = {spec.param: spec for spec in SPECS}
KINDS = Organization.Kind.values


# Counting


def value_of(spec, item):
    """The CaseFacet value of a cleaned filter value (a model instance, a kind or a year)."""
    if spec.model is not None:
        return item.pk
    if spec.facet == Facet.ORG_KIND:
        return KINDS.index(item)
    return int(item)


def selected_values(filterset):
    """{param: [cleaned values]} of the active facet filters of a valid filter set."""
    data = filterset.form.cleaned_data
    return {spec.param: list(data.get(spec.param) or []) for spec in SPECS if data.get(spec.param)}


# The facet that drives a query of several filters: the one likely to leave fewest cases. The others
# are probed per case through case_facet_case_idx.
DRIVERS = [Facet.REGION, Facet.ORGANIZATION, Facet.COMMISSIONER, Facet.COLLECTION, Facet.THEME, Facet.YEAR]


def breadth(facet):
    """Where ``facet`` stands among DRIVERS, from narrowest (0) to broadest; a facet not listed comes after them."""
    return DRIVERS.index(facet) if facet in DRIVERS else len(DRIVERS)


def ids_query(filterset, selected, now, without=None, newest=False, sets=None):
    """The published cases matching every active filter except the facet ``without``: (SQL, params) of
    ``SELECT case_id`` (a case may come twice), or None for all published cases. With ``sets`` (CaseSets),
    the matches of a search are one of them, found once for every set that needs them.

    Driven by one facet's index range (or by the full-text index) rather than by the case table, so that
    a count over a tenth of 100,000 cases reads that tenth, not all of them.
    """
    table = CaseFacet._meta.db_table
    filters = [
        (SPEC_BY_PARAM[param].facet, [value_of(SPEC_BY_PARAM[param], value) for value in values])
        for param, values in selected.items()
        if param != without
    ]
    text = filterset.form.cleaned_data.get("q")
    if not filters and not text:
        return None
    if text and not query_groups(text):
        return "SELECT 0 AS case_id WHERE 1 = 0", []  # a search without a single word: nothing matches
    conditions, params = [], []
    if filters:
        filters.sort(key=lambda item: breadth(item[0]))
        (driver, driver_values), others = filters[0], filters[1:]
        columns = f"d.case_id AS case_id, d.case_type AS {TYPED}"
        if newest and len(driver_values) > 1:  # a case in two chosen places comes once
            columns = "DISTINCT d.case_id AS case_id, d.published_at"
        sql = f"SELECT {columns} FROM {table} d WHERE d.facet = %s AND d.value IN ({marks(driver_values)})"
        sql += " AND d.published_at <= %s"
        params = [int(driver), *driver_values, now]
        case_column = "d"
    else:
        # The search drives: its index gives the cases, the case table says which are published.
        others = []
        match_sql, match_params = matches_sql(text, connection.vendor, alias="s")
        sql = f"SELECT s.rowid AS case_id FROM {SearchDocument._meta.db_table} s WHERE {match_sql} AND EXISTS"
        sql += f" (SELECT 1 FROM {published_probe()} WHERE c.id = s.rowid AND c.status = %s AND c.published_at <= %s)"
        params = [*match_params, Case.Status.PUBLISHED, now]
        case_column = "s.rowid"
        text = None
    conditions, probe_params = probes(others, case_column, text, sets)
    return " AND ".join([sql, *conditions]), params + probe_params


def probes(filters, case_column, text=None, sets=None):
    """([condition], params): the case in ``case_column`` has one of the values of each of ``filters``
    [(facet, values)] and matches ``text``, each tested per case through an index. ``case_column`` may name
    a row of the facet table instead ("d"): its case's type is then read from the row itself."""
    row = None
    if "." not in case_column:
        row, case_column = case_column, f"{case_column}.case_id"
    conditions, params = [], []
    for facet, values in filters:
        if row and facet == Facet.TYPE:
            conditions.append(f"{row}.case_type IN ({marks(values)})")
        else:
            conditions.append(
                f"EXISTS (SELECT 1 FROM {CaseFacet._meta.db_table} x WHERE x.case_id = {case_column} AND x.facet = %s"
                f" AND x.value IN ({marks(values)}))"
            )
            params.append(int(facet))
        params.extend(values)
    if text:
        # The matches as a set (on PostgreSQL through cases_search_matches), found once for all of the
        # panel's sets: tested row by row, PostgreSQL read one tsvector for each of the 36,000 facet rows of
        # Sichuan's counties at 1,000,000 cases (0.9 s for a rare word).
        found, condition, match_params = matching(text, connection.vendor, alias="m")
        matches = f"SELECT m.rowid FROM {found} WHERE {condition}"
        if sets is None:
            conditions.append(f"{case_column} IN ({matches})")
            params.extend(match_params)
        else:
            conditions.append(f"{case_column} IN (SELECT rowid FROM {sets.name((matches, match_params))})")
    return conditions, params


def published_probe():
    """The case table, as ``c``, for testing one case id at a time for being published. SQLite would read
    the wide case row by its rowid; its covering index answers from the index alone (PostgreSQL chooses
    by itself)."""
    table = Case._meta.db_table
    if connection.vendor == "sqlite":
        return f"{table} c INDEXED BY case_published_probe_idx"
    return f"{table} c"


def page_ids(filterset, offset, limit, total=None):
    """The ids of a page: of a search, best first (ranked_ids, filtered_ranked_ids); else of the newest
    (or oldest) cases read along the driving facet's index, which holds the publication time. A page past
    the middle of the ``total`` cases is read from the other end: the last page of a province costs what
    its first does, not a walk over all of its rows. None when the queryset serves: another order, no
    filter, or a search whose candidates the panel did not find."""
    data = filterset.form.cleaned_data
    selected = selected_values(filterset)
    if data.get("q"):
        if data.get("sort") not in (None, "", "relevance"):
            return None
        candidates = getattr(filterset, "rank_candidates", None)
        if selected:
            # The newest cases every filter leaves, as the panel found them (filtered_line_counts), ranked as
            # an unfiltered search ranks its candidates; the others follow newest first. Where the panel
            # counted the cases otherwise (a small filter drove), the queryset ranks them all.
            if candidates is None or connection.vendor != "postgresql":
                return None
            return filtered_ranked_ids(filterset, selected, offset, limit, candidates)
        return ranked_ids(data["q"], offset, limit, candidates)
    sort = data.get("sort") or "newest"
    if sort not in ("newest", "oldest") or not selected:
        return None
    sql, params = ids_query(filterset, selected, timezone.now(), newest=True)
    descending = sort == "newest"
    from_the_end = total is not None and offset > total // 2 and offset < total
    if from_the_end:
        descending = not descending
        offset, limit = max(total - offset - limit, 0), min(limit, total - offset)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY {by_time(sql, descending)} LIMIT %s OFFSET %s", [*params, limit, offset])
        ids = [row[0] for row in cursor.fetchall()]
    return ids[::-1] if from_the_end else ids


def ranked_ids(text, offset, limit, candidates=None):
    """A page of the published cases matching ``text``, best match first (then newest), as the queryset's
    relevance order gives them, read from the full-text index and the published-case index alone: for a
    word in half of all cases, the wide case rows of the matches are never read. On PostgreSQL the newest
    matches are ranked (candidate_ranked_ids); ``candidates``, ranked with the facet counts (search_counts),
    saves finding and ranking them again."""
    if not query_groups(text):
        return None
    if connection.vendor == "postgresql":
        return candidate_ranked_ids(text, offset, limit, candidates)
    table = SearchDocument._meta.db_table
    match_sql, match_params = matches_sql(text, connection.vendor, alias="s")
    sql = (
        f"SELECT s.rowid FROM {table} s JOIN {published_probe()} ON c.id = s.rowid"
        f" WHERE {match_sql} AND c.status = %s AND c.published_at <= %s"
        f" ORDER BY bm25({table}), c.published_at DESC, c.id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*match_params, Case.Status.PUBLISHED, timezone.now(), limit, offset])
        return [row[0] for row in cursor.fetchall()]


# On PostgreSQL, how many of the newest matches are ranked (see candidate_ranked_ids).
RANK_CANDIDATES = 1000


def candidate_ranked_ids(text, offset, limit, candidates=None):
    """ranked_ids on PostgreSQL: the RANK_CANDIDATES newest matches best first (ts_rank), then the other
    matches newest first. ts_rank reads and decompresses a case's whole tsvector: over the 45,000 matches
    of a word in half of all cases that took 2 to 4 s; over the candidates it takes a few ms each page.
    A search with fewer matches (most of them) is ranked exactly as the queryset ranks it. The pages
    still list every match once, and the total (from the facet counts) counts them all.

    ``candidates``: those ids already ranked, when the facet counts found them (best_first): a page of
    them is read from the list, and the matches are not searched for again (a Chinese phrase is checked
    against every matching case's vector)."""
    lines = CaseFacetLine._meta.db_table
    if candidates is not None and offset + limit <= RANK_CANDIDATES:
        return candidates[offset : offset + limit]
    found, condition, params = matching(text, connection.vendor, alias="s")
    newest = "ORDER BY published_at DESC, case_id DESC"
    sql = (
        f"WITH matches AS MATERIALIZED (SELECT l.case_id, l.published_at FROM {found}"
        f" JOIN {lines} l ON l.case_id = s.rowid WHERE {condition} AND l.published_at <= %s),"
        f" candidates AS (SELECT case_id, published_at FROM matches {newest} LIMIT {int(RANK_CANDIDATES)})"
        f" SELECT case_id FROM (SELECT c.case_id, 0 AS part, ts_rank(v.vector, to_tsquery('simple', %s)) AS rank,"
        f" c.published_at FROM candidates c JOIN {SearchDocument._meta.db_table} v ON v.rowid = c.case_id"
    )
    params = [*params, timezone.now(), tsquery(text)]
    if offset + limit > RANK_CANDIDATES:  # past the ranked candidates: the others, newest first
        sql += (
            " UNION ALL SELECT case_id, 1, 0, published_at FROM"
            f" (SELECT case_id, published_at FROM matches {newest} OFFSET {int(RANK_CANDIDATES)}) AS others"
        )
    sql += ") AS ordered ORDER BY part, rank DESC, published_at DESC, case_id DESC LIMIT %s OFFSET %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        return [row[0] for row in cursor.fetchall()]


def best_first(text, ids):
    """``ids`` (cases matching ``text``, at most RANK_CANDIDATES) in the order candidate_ranked_ids gives
    the candidates: best match first, then newest. Ranked once with the facet counts, and kept with them,
    so that each page of the search is a slice of this list."""
    if not ids or connection.vendor != "postgresql":
        return ids
    sql = (
        f"SELECT v.rowid FROM {SearchDocument._meta.db_table} v JOIN {CaseFacetLine._meta.db_table} l"
        " ON l.case_id = v.rowid WHERE v.rowid = ANY(%s) ORDER BY ts_rank(v.vector, to_tsquery('simple', %s)) DESC,"
        " l.published_at DESC, v.rowid DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(ids), tsquery(text)])
        return [row[0] for row in cursor.fetchall()]


def filtered_ranked_ids(filterset, selected, offset, limit, candidates):
    """page_ids of a search with filters on PostgreSQL: ``candidates`` (the RANK_CANDIDATES newest cases
    every filter leaves, or all of them) best first, then the others newest first."""
    text = filterset.form.cleaned_data["q"]
    ids = []
    if offset < RANK_CANDIDATES:
        ids = candidate_ranked_ids(text, offset, min(limit, RANK_CANDIDATES - offset), candidates)
    if len(ids) < limit and len(candidates) == RANK_CANDIDATES:
        sql, params = ids_query(filterset, selected, timezone.now(), newest=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"{sql} ORDER BY {by_time(sql, descending=True)} LIMIT %s OFFSET %s",
                [*params, limit - len(ids), max(offset, RANK_CANDIDATES)],
            )
            ids += [row[0] for row in cursor.fetchall()]
    return ids


def by_time(ids_sql, descending):
    """The ORDER BY of an ids_query(newest=True) by publication time, newest (or oldest) first."""
    direction = "DESC" if descending else "ASC"
    if ids_sql.startswith("SELECT DISTINCT"):
        return f"published_at {direction}, case_id {direction}"
    return f"d.published_at {direction}, d.case_id {direction}"


def marks(values):
    return ", ".join(["%s"] * len(values))


def shown_regions(column, selected):
    """(SQL, params) of the condition that ``column`` is a region the place facet lists: a child of the one
    selected region, else one of the top level. On PostgreSQL the regions are an array, read once: as a
    subquery, tested against the kept counts of a province (1,500 rows of places in cube_rows, of a size the
    planner does not know), it was run once for each row (at 100,000 cases, 13 ms of the query, now 9)."""
    regions = selected.get("region") or []
    sql, params = "SELECT id FROM regions_region WHERE parent_id IS NULL", []
    if len(regions) == 1:
        sql, params = "SELECT id FROM regions_region WHERE parent_id = %s", [regions[0].pk]
    if connection.vendor == "postgresql":
        return f"{column} = ANY(ARRAY({sql}))", params
    return f"{column} IN ({sql})", params


def count_rows(filterset):
    """[(facet, value, count, slug, *names)] for every facet, the total (facet 0) and the region trail (-1)."""
    selected = selected_values(filterset)
    now = timezone.now()
    text = filterset.form.cleaned_data.get("q")
    if text and query_groups(text):
        if not selected:
            counts, total, filterset.rank_candidates = search_counts(text, now)
            return search_rows(counts, total, selected)
        regions = selected.get("region") or []
        anchor = anchor_of(selected)  # types, one value of an anchor facet, or both: it may be kept (search_counts)
        if anchor is not None or len(regions) == 1:
            # A search kept for its many matches goes to its kept counts, or else to the anchor's matches,
            # which hold every count (lines_within), at once: reading its matches by key would first fetch
            # every one of them.
            common = kept_searches.is_common(text, EVERYWHERE if anchor is None else anchor)
            lines = None if common else matching_lines(text, now, FEW_MATCHES)
            if lines is None and anchor is not None:
                types = selected_types(selected)
                counts, total, filterset.rank_candidates = search_counts(text, now, anchor, types)
                return search_rows(counts, total, selected)
            if lines is None:
                lines = lines_within(text, Anchor(int(Facet.REGION), regions[0].pk), now)
        else:
            lines = matching_lines(text, now, line_limit(selected))
        if lines is not None:
            counts, total, passing = filtered_line_counts(lines, selected)
            filterset.rank_candidates = best_first(text, passing[:RANK_CANDIDATES])  # the newest, ranked
            return search_rows(counts, total, selected)
    anchor = cube_anchor(filterset, selected)
    if anchor is not None:
        return cube_rows(anchor, selected, now)
    pair = None if text else pair_of(selected)
    counts = None if pair is None else pair_counts(pair, now)
    if counts is not None:
        return pair_rows(pair, counts, selected, now)
    return counted_rows(filterset, selected, now)


def counted_rows(filterset, selected, now):
    """count_rows counted from the facet rows of the cases each branch counts over. A facet whose other filters
    are only one value of an anchor facet, types, or both (say Sichuan and a theme, for the themes; a theme and
    a year, for the years) reads its counts from the cube (cube_counts): with one such filter chosen, the
    largest set of all, the whole place or theme, is not walked."""
    text = filterset.form.cleaned_data.get("q")
    sets = CaseSets()
    cases_of, from_cube = {}, {}
    drilling = len(selected.get("region") or []) == 1
    for spec in SPECS:
        others = {param: values for param, values in selected.items() if param != spec.param}
        anchor = None if text or not others else anchor_of(others)
        if anchor is not None:
            from_cube[spec.param] = cube_counts(anchor, spec, others, selected, now)
        elif spec.param in selected and not (spec.facet == Facet.REGION and drilling):
            cases_of[spec.param] = sets.name(ids_query(filterset, selected, now, without=spec.param, sets=sets))
    every_filter = narrowed(sets, cases_of, selected) or sets.name(ids_query(filterset, selected, now, sets=sets))
    for spec in SPECS:
        # A facet not chosen counts among the cases every filter leaves; so do the places below the one chosen
        # (drilling).
        if spec.param not in from_cube and spec.param not in cases_of:
            cases_of[spec.param] = every_filter
    by_set = {}
    for spec in SPECS:
        if cases_of.get(spec.param):
            by_set.setdefault(cases_of[spec.param], []).append(spec)
    counts_of = {name: sets.counts(name, specs, selected) for name, specs in by_set.items()}
    branches = [
        named_branch(spec, from_cube[spec.param])
        if spec.param in from_cube
        else facet_branch(spec, counts_of.get(cases_of[spec.param]), selected, sets, now)
        for spec in SPECS
    ]
    branches.append(total_branch(every_filter, sets, now))
    regions = selected.get("region") or []
    if len(regions) == 1:
        branches.append(trail_branch(regions[0]))
    sql = sets.with_clause() + " UNION ALL ".join(sql for sql, _params in branches)
    with connection.cursor() as cursor:
        cursor.execute(sql, sets.params() + [p for _sql, ps in branches for p in ps])
        return [tuple(row) for row in cursor.fetchall()]


def narrowed(sets, cases_of, selected):
    """The name of the set of the cases every filter leaves, made from a set counted anyway, that of the cases
    every filter but one leaves (``cases_of``), by testing that one filter on each of its cases; None when no
    such set is counted. Walking the driving facet again, each case probed for every filter, cost as much
    again as that set. The filter left to test is the one least likely to narrow (the last in DRIVERS; a type
    is read from the set's own column), so the set tested is the smallest of them. At 100,000 cases: Tibet with
    a type and a theme, 13 → 8 ms; Shaanxi with a theme and a kind of organization, 51 → 46 ms."""
    counted = [param for param in selected if cases_of.get(param)]
    if not counted:
        return None
    facet_of = {param: SPEC_BY_PARAM[param].facet for param in counted}
    param = max(counted, key=lambda param: (facet_of[param] == Facet.TYPE, breadth(facet_of[param])))
    spec, base = SPEC_BY_PARAM[param], cases_of[param]
    typed = sets.typed[base]
    conditions, params = probes(
        [(spec.facet, [value_of(spec, item) for item in selected[param]])], "d" if typed else "d.case_id"
    )
    columns = f"d.case_id AS case_id, d.{TYPED} AS {TYPED}" if typed else "d.case_id AS case_id"
    return sets.name((f"SELECT {columns} FROM {base} d WHERE {' AND '.join(conditions)}", params))


def cube_anchor(filterset, selected):
    """The FacetCube anchor whose counts answer this filter state (anchor_of), or None when the counts are
    counted (a search, no filter, or filters the cube does not keep)."""
    if filterset.form.cleaned_data.get("q") or not selected:
        return None
    return anchor_of(selected)


def anchor_of(selected):
    """The FacetCube anchor of the ``selected`` filters: EVERYWHERE for types alone; for one value of one
    anchor facet (a place, a theme, a kind of organization, a collection, a year), with types or without,
    that value; None otherwise."""
    chosen = chosen_anchors(selected)
    if chosen is None or len(chosen) > 1:
        return None
    return chosen[0] if chosen else EVERYWHERE


def pair_of(selected):
    """The Pair of the ``selected`` filters when they are one value each of two anchor facets (a theme and a
    year), with types or without; None otherwise."""
    chosen = chosen_anchors(selected)
    return Pair(*sorted(chosen)) if chosen is not None and len(chosen) == 2 else None


def chosen_anchors(selected):
    """[Anchor] of the ``selected`` filters other than types, when each is one value of an anchor facet; None
    when one is not."""
    chosen = []
    for param, items in selected.items():
        spec = SPEC_BY_PARAM[param]
        if spec.facet == Facet.TYPE:
            continue
        if len(items) != 1 or spec.facet not in ANCHOR_FACETS:
            return None
        chosen.append(Anchor(int(spec.facet), value_of(spec, items[0])))
    return chosen


def pair_rows(pair, typed, selected, now):
    """count_rows for the cases of both anchors of the ``pair``, of the selected types or all: every facet from
    the pair's counts per type ``typed`` (pair_counts), but each anchor's own facet among the cases of the other
    anchor (a facet is counted without its own filter), from FacetCube; a place's own facet lists the places
    below it, in the pair's counts already."""
    types = selected_types(selected)
    counts, total = kept_searches.of_types(typed, types)
    for anchor, other in (pair, pair[::-1]):
        if anchor.facet == Facet.REGION:
            continue
        spec = next(spec for spec in SPECS if spec.facet == anchor.facet)
        sql, params = cube_counts(other, spec, {"type": selected["type"]} if types else {}, selected, now)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            own = {(anchor.facet, value): int(n) for value, n in cursor.fetchall()}
        counts = {key: n for key, n in counts.items() if key[0] != anchor.facet} | own
    return search_rows(counts, total, selected)


def pair_counts(pair, now):
    """Counter {(facet, value, case type): cases} of the published cases of both anchors of the ``pair``, from
    its kept counts, else counted from their lines (and kept when they are many: kept_searches.keeps); None
    when FacetCube says they are too few to keep, kept or not (counted_rows counts those faster, in one query)."""
    if not kept_searches.keeps(pair_size(pair), pair):
        return None  # most pairs: one query, not two, before counted_rows
    found = kept_searches.typed_counts("", now, pair)
    if found is None:
        found = kept_searches.counted("", now, functools.partial(pair_line_counts, pair, now), pair)[0]
    return found


def pair_size(pair):
    """How many published cases (scheduled ones included) both anchors of the ``pair`` have, from FacetCube."""
    sql = (
        f"SELECT COALESCE(SUM(count), 0) FROM {FacetCube._meta.db_table}"
        " WHERE anchor_facet = %s AND anchor = %s AND facet = %s AND value = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*pair.first, *pair.second])
        return int(cursor.fetchone()[0])


def pair_line_counts(pair, now):
    """typed_line_counts of the cases of both anchors of the ``pair``: their lines tallied per type (nothing
    to rank: no candidates)."""
    facets, lines = CaseFacet._meta.db_table, CaseFacetLine._meta.db_table
    sql = (
        f"SELECT l.facets, l.case_type FROM {facets} a JOIN {facets} b ON b.case_id = a.case_id"
        f" JOIN {lines} l ON l.case_id = a.case_id WHERE a.facet = %s AND a.value = %s AND a.published_at <= %s"
        " AND b.facet = %s AND b.value = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*pair.first, now, *pair.second])
        rows = cursor.fetchall()
    return kept_searches.typed_tokens(rows), len(rows), None


def cube_rows(anchor, selected, now):
    """count_rows for the cases of the ``anchor`` (one place, one theme, …, or EVERYWHERE), of the selected
    types or all: every facet's counts, the total and the trail read from FacetCube, less the cases scheduled
    for later. The anchor's own facet lists its values among all cases of those types (a facet is counted
    without its own filter), but a place's lists the places below it, among its own cases."""
    cube, facets = FacetCube._meta.db_table, CaseFacet._meta.db_table
    # The anchor's counts as they stand now: the kept counts, less each case scheduled for later.
    later, later_params = scheduled_under(anchor, now)
    kept = (
        "WITH kept AS MATERIALIZED (SELECT facet, value, case_type, SUM(n) AS n FROM"
        f" (SELECT facet, value, case_type, count AS n FROM {cube} WHERE anchor_facet = %s AND anchor = %s"
        f" UNION ALL SELECT facet, value, case_type, -1 FROM {facets} WHERE case_id IN ({later}))"
        " AS k GROUP BY facet, value, case_type) "
    )
    kept_params = [*anchor, *later_params]
    types, of_types = of_selected_types(selected)
    branches = []
    for spec in SPECS:
        if spec.facet == anchor.facet != Facet.REGION:
            others = {"type": selected["type"]} if "type" in selected else {}
            branches.append(named_branch(spec, cube_counts(EVERYWHERE, spec, others, selected, now)))
            continue
        where, params = "facet = %s", [int(spec.facet)]
        if spec.facet == Facet.REGION:
            shown_sql, shown_params = shown_regions("value", selected)
            where += f" AND {shown_sql}"
            params.extend(shown_params)
        if spec.facet != Facet.TYPE:  # a facet's own values are counted without its own filter
            where += of_types
            params.extend(types)
        counts = f"SELECT value, SUM(n) AS n FROM kept WHERE {where} GROUP BY value HAVING SUM(n) > 0"
        if spec.limit:
            counts = f"SELECT value, n FROM ({counts}) AS g ORDER BY n DESC, value LIMIT {int(spec.limit)}"
        branches.append(named_branch(spec, (counts, params)))
    # Every case has one type: the total is the sum of the types' counts.
    total = f"SELECT COALESCE(SUM(n), 0) FROM kept WHERE facet = %s{of_types}"
    branches.append((f"SELECT {TOTAL}, 0, ({total}), CAST(NULL AS TEXT), {NO_NAMES}", [int(Facet.TYPE), *types]))
    if anchor.facet == Facet.REGION and anchor != EVERYWHERE:
        branches.append(trail_branch(selected["region"][0]))
    sql = kept + " UNION ALL ".join(sql for sql, _params in branches)
    with connection.cursor() as cursor:
        cursor.execute(sql, kept_params + [p for _sql, ps in branches for p in ps])
        return [tuple(row) for row in cursor.fetchall()]


def scheduled_under(anchor, now):
    """(SQL, params) of ``SELECT`` the ids of the published cases with a time still to come, of the
    ``anchor`` (through its facet rows, which hold the publication time), or anywhere (EVERYWHERE)."""
    if anchor != EVERYWHERE:
        sql = f"SELECT case_id FROM {CaseFacet._meta.db_table} WHERE facet = %s AND value = %s AND published_at > %s"
        return sql, [*anchor, now]
    later = Case.objects.filter(status=Case.Status.PUBLISHED, published_at__gt=now).order_by().values("pk")
    return later.query.sql_with_params()


def cube_counts(anchor, spec, others, selected, now):
    """(SQL, params) of ``SELECT value, n``: the counts of ``spec``'s values among the cases of the
    ``anchor`` (or all, EVERYWHERE) of the types in ``others`` (or all), read from FacetCube, less the cases
    scheduled for later; of the places, those the panel lists."""
    types, of_types = of_selected_types(others)
    later, later_params = scheduled_under(anchor, now)
    shown, shown_params = "", []
    if spec.facet == Facet.REGION:
        shown_sql, shown_params = shown_regions("value", selected)
        shown = f" AND {shown_sql}"
    facet = int(spec.facet)
    sql = (
        f"SELECT value, SUM(n) AS n FROM (SELECT value, count AS n FROM {FacetCube._meta.db_table}"
        f" WHERE anchor_facet = %s AND anchor = %s AND facet = %s{of_types}{shown} UNION ALL SELECT value, -1 FROM"
        f" {CaseFacet._meta.db_table} WHERE facet = %s{of_types}{shown} AND case_id IN ({later})) AS k"
        " GROUP BY value HAVING SUM(n) > 0"
    )
    params = [*anchor, facet, *types, *shown_params, facet, *types, *shown_params, *later_params]
    if spec.limit:
        sql = f"SELECT value, n FROM ({sql}) AS g ORDER BY n DESC, value LIMIT {int(spec.limit)}"
    return sql, params


def selected_types(selected):
    """The ids of the selected types."""
    return [value_of(SPEC_BY_PARAM["type"], item) for item in selected.get("type") or []]


def of_selected_types(selected):
    """(type ids, condition on ``case_type``) of the selected types; no condition when none is selected."""
    types = selected_types(selected)
    return types, f" AND case_type IN ({marks(types)})" if types else ""


def kept_total(filterset):
    """How many published cases a valid filter set lists, read from the kept counts when they answer it (no
    filter; one value of an anchor facet, types, or both; a kept pair of them, with types or without; a kept
    search without other filters, or with those of a single anchor); None when the cases must be counted."""
    selected = selected_values(filterset)
    text = filterset.form.cleaned_data.get("q")
    pair = None if text else pair_of(selected)
    if pair is not None:
        kept = kept_searches.counts("", timezone.now(), pair, selected_types(selected))
        return None if kept is None else kept[1]
    if text:
        anchor = anchor_of(selected)
        if anchor is None or not query_groups(text):
            return None
        types = selected_types(selected)
        kept = kept_searches.counts(text, timezone.now(), anchor, types)
        return None if kept is None else kept[1]
    anchor = cube_anchor(filterset, selected) if selected else EVERYWHERE
    if anchor is None:
        return None
    types, of_types = of_selected_types(selected)
    facets = CaseFacet._meta.db_table
    # Every case has one type row: kept under the anchor, less those of the cases scheduled for later.
    later, later_params = scheduled_under(anchor, timezone.now())
    sql = (
        f"SELECT (SELECT COALESCE(SUM(count), 0) FROM {FacetCube._meta.db_table}"
        f" WHERE anchor_facet = %s AND anchor = %s AND facet = %s{of_types})"
        f" - (SELECT COUNT(*) FROM {facets} WHERE facet = %s AND case_id IN ({later}){of_types})"
    )
    params = [*anchor, int(Facet.TYPE), *types, int(Facet.TYPE), *later_params, *types]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def search_counts(text, now, anchor=EVERYWHERE, types=()):
    """line_counts of a search without filters, or with one value of an anchor facet (``anchor``), types
    (``types``, their ids) or both, from its kept counts when it is kept (anchored_counts). The anchor's own
    facet, unless a place's (whose panel lists the places below it), lists its values among the matches of
    every value (a facet is counted without its own filter): from the search's counts among all cases. On
    PostgreSQL the candidates are those of the anchor and the types."""
    counts, total, candidates = anchored_counts(text, now, anchor, types)
    if anchor.facet != Facet.REGION:
        everywhere = anchored_counts(text, now, EVERYWHERE, types)[0]
        counts = {key: n for key, n in counts.items() if key[0] != anchor.facet}
        counts.update({key: n for key, n in everywhere.items() if key[0] == anchor.facet})
    if candidates is None and connection.vendor == "postgresql":
        candidates = kept_searches.newest_ranked(text, total, now, RANK_CANDIDATES, anchor, types)
    return counts, total, candidates


def anchored_counts(text, now, anchor, types):
    """({(facet, value): count}, total, candidates) of the search ``text`` among the cases of the ``anchor``
    (EVERYWHERE: all) of the ``types`` (all when empty): from its kept counts when it is kept (the first time
    it is counted with KEEP_MATCHES matches or more, or in an anchor: kept_searches.keeps), else counted.
    Its counts are kept per type, so ticking a type reads the same counts. ``candidates``, ranked, are those
    the count gave when it was counted without types, else None."""
    kept = kept_searches.counts(text, now, anchor, types)
    if kept is not None:
        return *kept, None
    if anchor == EVERYWHERE:
        count = functools.partial(typed_line_counts, text, now)
    else:
        count = functools.partial(anchor_line_counts, text, anchor, now)
    typed, _total, candidates = kept_searches.counted(text, now, count, anchor)
    counts, total = kept_searches.of_types(typed, types)
    return counts, total, None if types or candidates is None else best_first(text, candidates)


def anchor_line_counts(text, anchor, now):
    """typed_line_counts of a search within one ``anchor``: its matches (lines_within), each facet's values
    among them per type, and the RANK_CANDIDATES newest of them (not yet ranked)."""
    lines = lines_within(text, anchor, now)
    counts = kept_searches.typed_tokens([(line, case_type) for _case, line, case_type in lines])
    return counts, len(lines), [case for case, _line, _type in lines[:RANK_CANDIDATES]]


def line_counts(text, now):
    """({(facet, value): count}, total, candidates): typed_line_counts, the types together."""
    typed, total, candidates = typed_line_counts(text, now)
    return kept_searches.of_types(typed)[0], total, candidates


def typed_line_counts(text, now):
    """({(facet, value, case type): count}, total, candidates) over the published cases matching ``text``,
    every facet at once; on PostgreSQL ``candidates`` are the RANK_CANDIDATES newest, which best_first ranks
    (else None).

    A common word matches half of all cases: a GROUP BY over their dozen CaseFacet rows each sorts half
    a million rows (most of the time of such a search). Instead the cases' lines (CaseFacetLine, one short
    row per case) come back as one string per type, and Python counts its tokens: 3 to 4 times faster, as
    exact.
    """
    found, condition, params = matching(text, connection.vendor, alias="s")
    types = list(AssistanceType.objects.order_by("pk").values_list("pk", flat=True))
    concat = "group_concat" if connection.vendor == "sqlite" else "string_agg"
    by_type = [f"{concat}(l.facets, ' ') FILTER (WHERE l.case_type = %s)" for _type in types]
    newest = "NULL"
    if connection.vendor != "sqlite":
        newest = "array_agg(l.case_id ORDER BY l.published_at DESC, l.case_id DESC)"
        newest = f"({newest})[1:{int(RANK_CANDIDATES)}]"
    sql = (
        f"SELECT {', '.join(['COUNT(*)', newest, *by_type])} FROM {found}"
        f" JOIN {CaseFacetLine._meta.db_table} l ON l.case_id = s.rowid WHERE {condition} AND l.published_at <= %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*types, *params, now])
        total, candidates, *joined = cursor.fetchone()
    counts = {
        (facet, value, case_type): n
        for case_type, lines in zip(types, joined, strict=True)
        if lines
        for (facet, value), n in kept_searches.tokens([lines]).items()
    }
    if connection.vendor != "sqlite" and candidates is None:
        candidates = []  # no match: nothing to rank
    return counts, total, candidates


# A search with filters counts its matches from their lines (one row each, filtered in Python) rather than
# through the facet index (each match probed for each filter, each passing case's rows read), when its words
# match at most FEW_MATCHES cases, or at most LINES_PER_CASE times as many as its narrowest filter holds:
# cooperative (half of all cases) with a type took 6.1 s for its panel at 1,000,000 cases that way, 1.9 s
# from the lines; with one county, the county's few hundred cases are fewer to walk than the matches.
FEW_MATCHES = 5000
LINES_PER_CASE = 4


def line_limit(selected):
    """How many matches a search with the ``selected`` filters may count from their lines."""
    condition = Q()
    for param, items in selected.items():
        spec = SPEC_BY_PARAM[param]
        condition |= Q(facet=spec.facet, value__in=[value_of(spec, item) for item in items])
    sizes = Counter()
    for facet, count in FacetTotal.objects.filter(condition).values_list("facet", "count"):
        sizes[facet] += count
    narrowest = min((sizes[SPEC_BY_PARAM[param].facet] for param in selected), default=0)
    return max(FEW_MATCHES, LINES_PER_CASE * narrowest)


def matching_lines(text, now, limit):
    """[(case id, facets)] of the published cases matching ``text``, newest first, when at most ``limit``
    cases (published or not) match it; else None."""
    # Most searches match few cases: each match's line read by its key. PostgreSQL would plan a larger
    # limit for as many matches, hashing a whole table of lines (13 ms at 100,000 cases for 100 matches);
    # for half of all cases, under a broad filter, that is the better plan.
    lines = lines_of_matches(text, now, min(limit, FEW_MATCHES), by_key=True)
    if lines is None and limit > FEW_MATCHES:
        lines = lines_of_matches(text, now, limit, by_key=False)
    return lines


def lines_of_matches(text, now, limit, by_key):
    found, condition, params = matching(text, connection.vendor, alias="m")
    lines = f"{CaseFacetLine._meta.db_table} l"
    if by_key and connection.vendor == "postgresql":
        lines = f"LATERAL (SELECT * FROM {lines} WHERE l.case_id = s.rowid LIMIT 1) AS l"  # LIMIT: not flattened
    sql = (
        f"SELECT l.case_id, l.facets FROM (SELECT m.rowid FROM {found} WHERE {condition} LIMIT %s) AS s"
        f" LEFT JOIN {lines} ON l.case_id = s.rowid AND l.published_at <= %s"
        " ORDER BY l.published_at DESC, l.case_id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit + 1, now])
        rows = cursor.fetchall()
    if len(rows) > limit:
        return None
    return [row for row in rows if row[0] is not None]  # not published: no line joined


def lines_within(text, anchor, now):
    """[(case id, facets, case type)] of the published cases of the ``anchor`` (one place, theme, …) matching
    ``text``, newest first. With one place chosen the panel counts only cases inside it (its own places are
    the places below it), so these lines hold every count: a common word in one province reads that
    province's lines, not half of all cases' lines."""
    found, condition, params = matching(text, connection.vendor, alias="m")
    # Written as the matches within the anchor's cases, then their lines: PostgreSQL then hashes the anchor's
    # cases and passes the matches through, and reads only the passing cases' lines (0.8 s at 1,000,000
    # cases for a word in half of them, in Sichuan). Joined the other way it read every match's line (2.7 s).
    of_anchor = f"SELECT r.case_id FROM {CaseFacet._meta.db_table} r WHERE r.facet = %s AND r.value = %s"
    of_anchor += " AND r.published_at <= %s"
    sql = (
        f"SELECT l.case_id, l.facets, l.case_type FROM (SELECT m.rowid FROM {found} WHERE {condition}"
        f" AND m.rowid IN ({of_anchor}))"
        f" AS s JOIN {CaseFacetLine._meta.db_table} l ON l.case_id = s.rowid AND l.published_at <= %s"
        " ORDER BY l.published_at DESC, l.case_id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *anchor, now, now])
        return cursor.fetchall()


def filtered_line_counts(lines, selected):
    """({(facet, value): count}, total, ids) over ``lines`` (matching_lines) given the ``selected``
    filters, as the counted branches count them: each facet's values among the cases every other filter
    leaves; the total and ``ids`` (newest first) of the cases every filter leaves."""
    # Compared as the lines' own "facet:value" tokens, parsed only once counted.
    chosen = {
        f"{int(SPEC_BY_PARAM[param].facet)}:": {
            f"{int(SPEC_BY_PARAM[param].facet)}:{value_of(SPEC_BY_PARAM[param], item)}" for item in items
        }
        for param, items in selected.items()
    }
    tokens, passing = Counter(), []
    for case_id, facets, *_type in lines:
        values = facets.split()
        failing = [prefix for prefix, wanted in chosen.items() if wanted.isdisjoint(values)]
        if not failing:
            passing.append(case_id)
            tokens.update(values)
        elif len(failing) == 1:  # counts toward its own facet's options only
            tokens.update(value for value in values if value.startswith(failing[0]))
    counts = {}
    for token, n in tokens.items():
        facet, value = token.split(":")
        counts[int(facet), int(value)] = n
    return counts, len(passing), passing


def search_rows(counts, total, selected):
    """count_rows' rows from ``line_counts`` or ``filtered_line_counts``: each facet's options (the places
    the panel lists, the options with most cases where a facet has a limit) and the trail, their names
    read in one query."""
    unnamed = [None] * (1 + len(TRANSLATED_COLUMNS))  # no slug, no names
    rows = [(TOTAL, 0, total, *unnamed)]
    by_facet = {}
    for (facet, value), n in counts.items():
        by_facet.setdefault(facet, {})[value] = n
    branches = []
    for spec in SPECS:
        values = by_facet.get(spec.facet, {})
        if spec.limit:
            values = dict(sorted(values.items(), key=lambda item: (-item[1], item[0]))[: spec.limit])
        if not values:
            continue
        if spec.model is None:
            rows.extend((int(spec.facet), value, n, *unnamed) for value, n in values.items())
            continue
        names = ", ".join(f"t.{spec.name_field}_{column}" for column in TRANSLATED_COLUMNS)
        sql = f"SELECT {int(spec.facet)}, t.id, t.slug, {names} FROM {spec.model._meta.db_table} t"
        if spec.facet == Facet.REGION:  # only the places the panel lists
            shown_sql, shown_params = shown_regions("t.id", selected)
            branches.append((f"{sql} WHERE {shown_sql}", shown_params))
        else:
            branches.append((f"{sql} WHERE t.id IN ({marks(values)})", list(values)))
    regions = selected.get("region") or []
    if len(regions) == 1:
        branches.append(trail_branch(regions[0], counted=False))
    if branches:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(sql for sql, _ in branches), [p for _, ps in branches for p in ps])
            for facet, value, slug, *names in cursor.fetchall():
                if facet == TRAIL:
                    rows.append((TRAIL, value, 0, slug, *names))
                    continue
                n = by_facet.get(facet, {}).get(value)
                if n:
                    rows.append((facet, value, n, slug, *names))
    return rows


class CaseSets:
    """The sets of cases the branches count over, each computed once (a materialized CTE): with one
    filter active, every other facet counts over the same set, and a search runs once, not once a facet."""

    def __init__(self):
        self.queries = {}
        self.typed = {}  # {name: whether the set has each case's type as a column}
        self.later_names = {}

    def name(self, ids):
        if ids is None:
            return None
        key = (ids[0], tuple(ids[1]))
        name = self.queries.setdefault(key, f"cases_{len(self.queries)}")
        self.typed[name] = f" AS {TYPED}" in ids[0].split(" FROM ", 1)[0]
        return name

    def counts(self, name, specs, selected):
        """The name of the counts of every value of the facets of ``specs`` among the cases of set ``name``:
        one walk over each case's facet rows (case_facet_case_idx) serves every facet counted over that set."""
        facets = [int(spec.facet) for spec in specs]
        by_type = []
        if Facet.TYPE in facets and self.typed[name]:  # each case's type is in the set itself
            facets.remove(Facet.TYPE)
            by_type = [
                f"SELECT {int(Facet.TYPE)} AS facet, {TYPED} AS value, COUNT(DISTINCT case_id) AS n FROM {name}"
                f" GROUP BY {TYPED}"
            ]
        sql = (
            f"SELECT f.facet AS facet, f.value AS value, COUNT(*) AS n FROM (SELECT DISTINCT case_id FROM {name}) s"
            f" JOIN {CaseFacet._meta.db_table} f ON f.case_id = s.case_id WHERE f.facet IN ({marks(facets)})"
        )
        params = list(facets)
        if Facet.REGION in facets:  # of the places, only those the panel lists
            shown_sql, shown_params = shown_regions("f.value", selected)
            sql += f" AND (f.facet <> %s OR {shown_sql})"
            params.extend([int(Facet.REGION), *shown_params])
        joined = [f"{sql} GROUP BY f.facet, f.value"] if facets else []
        return self.queries.setdefault((" UNION ALL ".join(by_type + joined), tuple(params)), f"{name}_counts")

    def later(self, now):
        """The facet rows of cases published with a time still to come; built once, though every facet
        counted from the totals asks for it (building its SQL took more time than running it)."""
        if now not in self.later_names:
            later = Case.objects.filter(status=Case.Status.PUBLISHED, published_at__gt=now).order_by().values("pk")
            sql, params = later.query.sql_with_params()
            rows = f"SELECT facet, value, COUNT(*) AS n FROM {CaseFacet._meta.db_table} WHERE case_id IN ({sql})"
            self.later_names[now] = self.name((f"{rows} GROUP BY facet, value", params))
        return self.later_names[now]

    def with_clause(self):
        if not self.queries:
            return ""
        ctes = [f"{name} AS MATERIALIZED ({sql})" for (sql, _params), name in self.queries.items()]
        return "WITH " + ", ".join(ctes) + " "

    def params(self):
        return [param for (_sql, params) in self.queries for param in params]


NO_NAMES = ", ".join("CAST(NULL AS TEXT)" for _column in TRANSLATED_COLUMNS)


def facet_branch(spec, counted, selected, sets, now):
    """The counts of one facet's values among the cases every other active filter leaves: from ``counted``,
    the name of their counts (CaseSets.counts), or None for all published cases."""
    if counted:
        counts, params = f"SELECT value, n FROM {counted} WHERE facet = %s", [int(spec.facet)]
    else:
        where, params = ["t.facet = %s"], [int(spec.facet)]
        if spec.facet == Facet.REGION:
            shown_sql, shown_params = shown_regions("t.value", selected)
            where.append(shown_sql)
            params.extend(shown_params)
        counts = f"SELECT value, n FROM ({totals_sql(sets, now)} WHERE {' AND '.join(where)}) AS a WHERE n > 0"
    if spec.limit:
        counts = f"SELECT value, n FROM ({counts}) AS g ORDER BY n DESC, value LIMIT {int(spec.limit)}"
    return named_branch(spec, (counts, params))


def named_branch(spec, counted):
    """The branch of the UNION for ``counted``, (SQL, params) of ``SELECT value, n``, with the names of the values."""
    counts, params = counted
    if spec.model is None:
        return f"SELECT {int(spec.facet)}, c.value, c.n, CAST(NULL AS TEXT), {NO_NAMES} FROM ({counts}) AS c", params
    names = ", ".join(f"t.{spec.name_field}_{column}" for column in TRANSLATED_COLUMNS)
    table = spec.model._meta.db_table
    sql = (
        f"SELECT {int(spec.facet)}, c.value, c.n, t.slug, {names} FROM ({counts}) AS c JOIN {table} t ON t.id = c.value"
    )
    return sql, params


def totals_sql(sets, now):
    """Counts of every facet value without filters: the maintained totals, less the cases scheduled for later."""
    later = sets.later(now)
    return (
        f"SELECT t.value AS value, t.count - COALESCE(l.n, 0) AS n FROM {FacetTotal._meta.db_table} t"
        f" LEFT JOIN {later} l ON l.facet = t.facet AND l.value = t.value"
    )


def total_branch(cases, sets, now):
    if cases is None:  # every published case has one type
        sql = f"SELECT COALESCE(SUM(n), 0) AS n FROM ({totals_sql(sets, now)} WHERE t.facet = %s) AS a"
        return f"SELECT {TOTAL}, 0, ({sql}), CAST(NULL AS TEXT), {NO_NAMES}", [int(Facet.TYPE)]
    # A case in two chosen places is one case.
    return f"SELECT {TOTAL}, 0, COUNT(DISTINCT case_id), CAST(NULL AS TEXT), {NO_NAMES} FROM {cases}", []


def trail_branch(region, counted=True):
    """The selected region and the regions above it, for the way back up (with a count of 0 unless not
    ``counted``, for a union without counts)."""
    names = ", ".join(f"name_{column}" for column in TRANSLATED_COLUMNS)
    codes = region.path_codes
    placeholders = ", ".join(["%s"] * len(codes))
    table = Region._meta.db_table
    count = "0, " if counted else ""
    return f"SELECT {TRAIL}, LENGTH(path), {count}slug, {names} FROM {table} WHERE code IN ({placeholders})", codes


def cache_key(filterset):
    data = filterset.form.cleaned_data
    state = {spec.param: sorted(str(value_of(spec, v)) for v in data.get(spec.param) or []) for spec in SPECS}
    state["q"] = data.get("q") or ""
    digest = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()
    return f"casebook:panel:{data_version()}:{digest}"


# What the page shows


@dataclass
class Option:
    label: str
    value: str
    count: int | None
    selected: bool
    url: str  # the listing with this option toggled


@dataclass
class FacetGroup:
    spec: FacetSpec
    options: list = field(default_factory=list)

    @property
    def param(self):
        return self.spec.param

    @property
    def label(self):
        return self.spec.label


@dataclass
class Chip:
    facet_label: str
    label: str
    url: str  # the listing without this value


class State:
    """The filter state as URL parameters, to build the address of every option and chip."""

    def __init__(self, filterset):
        data = filterset.form.cleaned_data
        self.params = {}
        for spec in SPECS:
            values = [param_value(spec, v) for v in data.get(spec.param) or []]
            if values:
                self.params[spec.param] = values
        for name in ("q", "sort"):
            if data.get(name):
                self.params[name] = [str(data[name])]

    def url(self, param, add=(), remove=(), replace=None):
        params = dict(self.params)
        values = replace if replace is not None else [v for v in params.get(param, []) if v not in remove] + list(add)
        if values:
            params[param] = values
        else:
            params.pop(param, None)
        # As QueryDict.urlencode() writes it; each value is quoted once, not once for each of a panel's options.
        quoted = self.quoted
        return "?" + "&".join(f"{quoted(name)}={quoted(value)}" for name, values in params.items() for value in values)

    @cached_property
    def quoted(self):
        return functools.cache(quote_plus)


def param_value(spec, item):
    return item.slug if spec.model is not None else str(item)


def label_of(spec, value, names):
    if spec.facet == Facet.ORG_KIND:
        return str(Organization.Kind(KINDS[value]).label)
    if spec.facet == Facet.YEAR:
        return str(value)
    return pick(names)


def pick(names):
    """The name in the reader's language, else in another."""
    by_column = dict(zip(TRANSLATED_COLUMNS, names, strict=True))
    current = current_column()
    return by_column.get(current) or next((name for name in names if name), "")


def object_label(spec, item):
    if spec.model is None:
        return label_of(spec, value_of(spec, item), ())
    return pick([getattr(item, f"{spec.name_field}_{column}") or "" for column in TRANSLATED_COLUMNS])


def panel(filterset):
    return Panel(filterset)


class Panel:
    """The facet panel of a valid filter set. The total and the chips are read on every page; the options
    (``groups``, ``trail``) only when the rendered panel is not in the cache (``fragment_key``)."""

    def __init__(self, filterset):
        self.data = filterset.form.cleaned_data
        self.state = State(filterset)
        key = cache_key(filterset)
        self.fragment_key = f"{key}:{self.data.get('sort') or ''}"
        # With the counts, the cases a search ranks (page_ids): every page of it ranks the same ones.
        cached = cache.get(key)
        if cached is None:
            cached = count_rows(filterset), getattr(filterset, "rank_candidates", None)
            cache.set(key, cached, timeout=3600)
        self.rows, filterset.rank_candidates = cached
        self.total = int(next(row[2] for row in self.rows if row[0] == TOTAL))  # SUM() is a Decimal on PostgreSQL
        self.hidden = [("region", region.slug) for region in self.data.get("region") or []]

    @cached_property
    def chips(self):
        chips = [Chip(str(_("Search")), self.data["q"], self.state.url("q", replace=[]))] if self.data.get("q") else []
        for spec in SPECS:
            for item in self.data.get(spec.param) or []:
                url = self.state.url(spec.param, remove=[param_value(spec, item)])
                chips.append(Chip(str(spec.label), object_label(spec, item), url))
        return chips

    @cached_property
    def groups(self):
        by_facet = {}
        for facet, value, count, slug, *names in self.rows:
            by_facet.setdefault(facet, []).append((value, count, slug, names))
        return [self.group(spec, by_facet.get(spec.facet, [])) for spec in SPECS]

    def group(self, spec, rows):
        state = self.state
        chosen = list(self.data.get(spec.param) or [])
        chosen_values = {param_value(spec, item) for item in chosen}
        group = FacetGroup(spec)
        for value, count, slug, names in rows:
            param = slug if spec.model is not None else (KINDS[value] if spec.facet == Facet.ORG_KIND else str(value))
            selected = param in chosen_values
            if spec.facet == Facet.REGION:
                url = state.url(spec.param, replace=[param])
            elif selected:
                url = state.url(spec.param, remove=[param])
            else:
                url = state.url(spec.param, add=[param])
            group.options.append(Option(label_of(spec, value, names), param, count, selected, url))
        # A chosen value the counts left out (cut by the limit, or now without cases) stays ticked.
        listed = {option.value for option in group.options}
        for item in chosen:
            param = param_value(spec, item)
            if param not in listed and spec.facet != Facet.REGION:
                url = state.url(spec.param, remove=[param])
                group.options.append(Option(object_label(spec, item), param, None, True, url))
        if spec.facet == Facet.REGION:
            group.options.sort(key=lambda option: option.label)
        elif spec.facet == Facet.YEAR:
            group.options.sort(key=lambda option: option.value, reverse=True)
        else:
            group.options.sort(key=lambda option: (-(option.count or 0), option.label))
        return group

    @cached_property
    def trail(self):
        """[(label, url)] from "All places" down to the one selected region."""
        if len(self.data.get("region") or []) != 1:
            return []
        trail = [(str(_("All places")), self.state.url("region", replace=[]))]
        for _facet, _length, _count, slug, *names in sorted(row for row in self.rows if row[0] == TRAIL):
            trail.append((pick(names), self.state.url("region", replace=[slug])))
        return trail

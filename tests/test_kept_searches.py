"""Searches that match many cases keep their facet counts (kept_searches): kept the first time they are
counted, moved by every kind of write as counting the matches afresh would give them, and read by the panel,
the listing's pages and the API."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from casebook.cases import facets, kept_searches
from casebook.cases.filters import CaseFilter
from casebook.cases.indexing import recount_totals
from casebook.cases.models import EVERYWHERE, Anchor, Case, CaseFacet, KeptSearch, KeptSearchCount, Pair, Theme
from casebook.cases.signals import cases_changed
from casebook.regions.models import Region

from .factories import make_case, make_organization, make_region, make_theme, make_type

pytestmark = pytest.mark.django_db

LIST_URL = "/en/cases/"


@pytest.fixture
def few(monkeypatch):
    """A search is kept from 3 matches on, not 5,000."""
    monkeypatch.setattr(kept_searches, "KEEP_MATCHES", 3)


@pytest.fixture
def world(few):
    """30 cases at random (fixed seed) over two provinces' counties, three types, organizations and themes;
    about half say "tea", some "green tea"; some drafts, withdrawn or scheduled."""
    rng = random.Random(11)
    counties = []
    for p in range(2):
        province = make_region(name=f"Province {p}", slug=f"province-{p}", code=f"{p + 1}00000")
        counties += [make_region(parent=province, slug=f"county-{p}{c}", code=f"{p + 1}0{c + 1}000") for c in range(3)]
    types = [make_type(slug=f"type-{n}") for n in range(3)]
    organizations = [make_organization() for _ in range(3)]
    themes = [make_theme() for _ in range(2)]
    now = timezone.now()
    statuses = [Case.Status.PUBLISHED] * 6 + [Case.Status.DRAFT, Case.Status.WITHDRAWN]
    for n in range(30):
        status = rng.choice(statuses)
        make_case(
            summary=rng.choice(
                ["Tea gardens.", "Green tea and terraces.", "Green tea and terraces.", "Roads.", "Clinics."]
            ),
            regions=rng.sample(counties, rng.choice([1, 1, 2])),
            organizations=rng.sample(organizations, rng.randint(0, 2)),
            themes=rng.sample(themes, rng.randint(0, 1)),
            assistance_type=rng.choice(types),
            start_year=2018 + rng.randint(0, 2),
            end_year=2020 + rng.randint(0, 2),
            status=status,
            published_at=now + timedelta(hours=rng.choice([-30, -2, 5]), minutes=n)
            if status == Case.Status.PUBLISHED
            else None,
        )
    return {"types": types, "counties": counties}


def anchor(where):
    """The Anchor of ``where``: a place, a theme, a year, or everywhere (None); the Pair of two of them."""
    if isinstance(where, tuple):
        return Pair(*sorted(map(anchor, where)))
    if where is None:
        return EVERYWHERE
    if isinstance(where, int):
        return Anchor(int(CaseFacet.Facet.YEAR), where)
    facet = CaseFacet.Facet.REGION if isinstance(where, Region) else CaseFacet.Facet.THEME
    return Anchor(int(facet), where.pk)


def counted_per_type(text, where=None):
    """The search's counts per type (in ``where``, a place or a theme), counted from its matches; a pair's
    (no text), counted from its cases."""
    if where is None:
        typed, _total, _candidates = facets.typed_line_counts(text, timezone.now())
    elif isinstance(where, tuple):
        assert not text
        typed, _total, _candidates = facets.pair_line_counts(anchor(where), timezone.now())
    else:
        typed, _total, _candidates = facets.anchor_line_counts(text, anchor(where), timezone.now())
    return typed


def counted(text, where=None):
    """The search's counts and total (in ``where``), counted from its matches."""
    if where is None:
        counts, total, _candidates = facets.line_counts(text, timezone.now())
        return counts, total
    return kept_searches.of_types(counted_per_type(text, where))


def kept(text, where=None):
    return kept_searches.counts(text, timezone.now(), anchor(where))


def kept_per_type(text, where=None):
    return kept_searches.typed_counts(text, timezone.now(), anchor(where))


def province(n):
    return Region.objects.get(slug=f"province-{n}")


def test_a_search_with_many_matches_is_kept_the_first_time_it_is_counted(world):
    assert kept("tea") is None
    counts, total, _candidates = facets.search_counts("tea", timezone.now())
    assert total > 3
    assert KeptSearch.objects.get().text == "tea"
    assert kept("Tea!") == (counts, total)  # the same words: the same kept search
    assert kept("green tea") is None


def test_a_search_in_one_place_is_kept_apart_from_the_same_search_everywhere(world):
    here = province(0)
    counts, total, _candidates = facets.search_counts("tea", timezone.now(), anchor(here))
    assert 3 <= total < counted("tea")[1]
    assert list(KeptSearch.objects.values_list("text", "anchor_facet", "anchor")) == [("tea", *anchor(here))]
    assert kept("tea", here) == (counts, total) == counted("tea", here)
    assert kept("tea") is None and kept("tea", province(1)) is None
    facets.search_counts("tea", timezone.now())
    assert kept("tea") == counted("tea") != kept("tea", here)


def test_a_search_with_few_matches_is_not_kept(world):
    facets.search_counts("terraces clinics", timezone.now())  # no case says both
    facets.search_counts("nothing-like-it", timezone.now())
    assert not KeptSearch.objects.exists()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        *((text, where) for text in ["tea", "green tea"] for where in ["everywhere", "place", "theme"]),
        ("", "place and theme"),  # a kept pair: no words
        ("", "theme and year"),
    ],
)
def test_the_kept_counts_stay_what_counting_the_matches_gives_after_every_kind_of_change(world, text, where):
    place = {
        "everywhere": None,
        "place": province(0),
        "theme": Theme.objects.first(),
        "place and theme": (province(0), Theme.objects.first()),
        "theme and year": (Theme.objects.first(), 2020),
    }[where]
    kept_searches.keep(text, timezone.now(), anchor(place))
    assert kept_searches.is_kept(text, anchor(place))
    assert kept(text, place) == counted(text, place)
    assert kept_per_type(text, place) == counted_per_type(text, place)
    assert len(kept(text, place)[0]) >= 8

    draft = Case.objects.filter(status=Case.Status.DRAFT).first()
    draft.status, draft.published_at, draft.summary = Case.Status.PUBLISHED, timezone.now(), "Green tea at last."
    draft.save()
    matching = Case.objects.published().filter(summary_en__icontains="tea")
    case = matching.first()
    case.regions.set([world["counties"][-1]])
    case.assistance_type = world["types"][0] if case.assistance_type != world["types"][0] else world["types"][1]
    case.save()
    assert kept(text, place) == counted(text, place)
    assert kept_per_type(text, place) == counted_per_type(text, place)  # the case moved from one type to another
    # Into the place and out of it.
    elsewhere = matching.filter(regions__parent=province(1)).exclude(regions__parent=province(0)).first()
    elsewhere.regions.set([world["counties"][0]])
    inside = matching.filter(regions__parent=province(0)).first()
    inside.regions.set([world["counties"][-1]])
    assert kept(text, place) == counted(text, place)
    # Into the theme and out of it.
    theme, other_theme = Theme.objects.all()[:2]
    matching.filter(themes=other_theme).first().themes.set([theme])
    matching.filter(themes=theme).last().themes.set([other_theme])
    assert kept(text, place) == counted(text, place)
    # Out of the year and into it.
    for case, years in [(matching.filter(start_year__lte=2020).first(), 2021), (matching.last(), 2018)]:
        case.start_year = case.end_year = years
        case.save()
    assert kept(text, place) == counted(text, place)

    no_longer = matching.last()
    no_longer.summary = "Roads only."
    no_longer.save()
    now_too = Case.objects.published().exclude(summary_en__icontains="tea").first()
    now_too.title = "Green tea, too"
    now_too.save()
    matching.first().delete()
    assert kept(text, place) == counted(text, place)
    assert kept_per_type(text, place) == counted_per_type(text, place)

    Case.objects.filter(status=Case.Status.PUBLISHED).update(status=Case.Status.WITHDRAWN)
    cases_changed.send(sender=Case, case_ids=list(Case.objects.values_list("pk", flat=True)))
    assert kept(text, place) == counted(text, place) == ({}, 0)


def test_cases_scheduled_for_later_are_counted_when_their_time_comes(world):
    kept_searches.keep("tea", timezone.now())
    scheduled = Case.objects.filter(status=Case.Status.PUBLISHED, published_at__gt=timezone.now())
    assert scheduled.filter(summary_en__icontains="tea").exists()
    assert kept("tea") == counted("tea")
    later = timezone.now() + timedelta(hours=6)
    assert kept_searches.counts("tea", later) == facets.line_counts("tea", later)[:2]
    assert kept_searches.counts("tea", later)[1] > kept("tea")[1]


def test_the_panel_of_a_kept_search_is_the_panel_counted_from_the_cases(world):
    for text in ["tea", "green tea"]:
        kept_searches.keep(text, timezone.now())
        filterset = CaseFilter(QueryDict(f"q={text}"))
        assert filterset.is_valid()
        from_cases = facets.counted_rows(filterset, {}, timezone.now())
        rows = sorted(map(tuple, facets.count_rows(filterset)))
        assert rows == sorted(map(tuple, facets.search_rows(*counted(text), {})))
        assert rows == sorted((facet, value, int(n), *rest) for facet, value, n, *rest in from_cases if n or facet < 0)


def test_the_panel_of_a_search_kept_in_one_place_is_the_panel_counted_from_the_cases(world, monkeypatch):
    """A search counted in one place read every match of its words: it is kept there however few are there."""
    monkeypatch.setattr(facets, "FEW_MATCHES", 2)  # the search's matches are too many to read one by one
    counted_in_place = []
    lines_within = facets.lines_within
    monkeypatch.setattr(facets, "lines_within", lambda *args: counted_in_place.append(args) or lines_within(*args))
    now = timezone.now()
    totals = []
    for text in ["tea", "green tea"]:
        filterset = _valid(f"q={text}&region=province-0")
        selected = facets.selected_values(filterset)
        from_cases = facets.counted_rows(filterset, selected, now)
        expected = sorted((facet, value, int(n), *rest) for facet, value, n, *rest in from_cases if n or facet < 0)
        assert sorted(map(tuple, facets.count_rows(filterset))) == expected  # counted, and kept
        assert kept_searches.is_kept(text, anchor(province(0)))
        totals.append(next(n for facet, _value, n, *_rest in expected if facet == facets.TOTAL))
        counted_in_place.clear()
        assert sorted(map(tuple, facets.count_rows(_valid(f"q={text}&region=province-0")))) == expected
        assert counted_in_place == []  # read from the kept counts
    assert totals[0] >= kept_searches.KEEP_MATCHES > totals[1]


@pytest.mark.parametrize(
    "filters",
    [
        "type=type-0",
        "type=type-1&type=type-2",
        "region=province-0&type=type-2",
        "theme={theme}",
        "theme={theme}&type=type-1",
        "year=2021",
        "org_kind=enterprise&type=type-0&type=type-2",
    ],
)
def test_a_kept_search_with_types_or_one_anchor_reads_its_kept_counts(world, monkeypatch, filters):
    """Its panel is the panel counted from the cases, and it is read without counting: a common word with a
    type ticked, or a theme, counted all of its matches every time. A theme's own options are counted among
    the matches of every theme."""
    monkeypatch.setattr(facets, "FEW_MATCHES", 2)  # the search's matches are too many to read one by one
    filters = filters.format(theme=Theme.objects.first().slug)
    counting = []
    for name in ("typed_line_counts", "lines_within", "matching_lines"):
        original = getattr(facets, name)
        monkeypatch.setattr(
            facets, name, lambda *a, name=name, original=original: counting.append(name) or original(*a)
        )
    now = timezone.now()
    for text in ["tea", "green tea"]:
        query = f"q={text}&{filters}"
        selected = facets.selected_values(_valid(query))
        from_cases = facets.counted_rows(_valid(query), selected, now)
        expected = sorted(
            (facet, value, int(n), *rest) for facet, value, n, *rest in from_cases if n or facet <= facets.TOTAL
        )
        assert sorted(map(tuple, facets.count_rows(_valid(query)))) == expected  # counted once, and kept
        counting.clear()
        assert sorted(map(tuple, facets.count_rows(_valid(query)))) == expected
        assert counting == []
        total = next(n for facet, _value, n, *_rest in expected if facet == facets.TOTAL)
        assert facets.kept_total(_valid(query)) == total == CaseFilter(QueryDict(query)).qs.count()


def test_only_the_most_recently_used_searches_are_kept(world, monkeypatch):
    monkeypatch.setattr(kept_searches, "KEPT_SEARCHES", 2)
    now = timezone.now()
    kept_searches.keep("tea", now - timedelta(days=3))
    kept_searches.keep("green", now - timedelta(days=2))
    kept_searches.counts("tea", now)  # used again: now the more recent of the two
    kept_searches.keep("gardens", now)
    assert sorted(KeptSearch.objects.values_list("text", flat=True)) == ["gardens", "tea"]


def test_a_rebuild_drops_the_kept_searches_and_they_are_kept_again_when_asked_for(client, world):
    client.get(LIST_URL, {"q": "tea"})
    assert KeptSearchCount.objects.filter(search__text="tea").exists()
    recount_totals()
    assert not KeptSearch.objects.exists()
    assert client.get(LIST_URL, {"q": "tea"}).status_code == 200
    assert kept("tea") == counted("tea")


def test_a_search_too_long_to_keep_is_counted(client, few):
    words = "".join(chr(0x4E00 + n) for n in range(200))  # a run of 200 characters: its query is 6,000 long
    assert len(kept_searches.tsquery(words)) > KeptSearch._meta.get_field("query").max_length
    for _ in range(4):
        make_case(summary=words)
    response = client.get(LIST_URL, {"q": words})
    assert response.status_code == 200
    assert ">4 cases</h2>" in response.content.decode()
    assert not KeptSearch.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "q=tea",
        "q=tea&region=province-1",
        "q=tea&type=type-1",
        "q=tea&region=province-1&type=type-0",
        "q=tea&theme={theme}&type=type-0",
    ],
)
def test_the_listing_and_the_api_count_a_kept_search_as_the_queryset_does(client, world, query):
    theme = Theme.objects.first()
    query = query.format(theme=theme.slug)
    place = province(1) if "region" in query else theme if "theme" in query else None
    kept_searches.keep("tea", timezone.now(), anchor(place))
    assert kept("tea", place) is not None
    expected = Case.objects.published().filter(pk__in=CaseFilter(QueryDict(query)).qs.values("pk")).count()
    assert facets.kept_total(_valid(query)) == expected
    assert client.get(f"{LIST_URL}?{query}").context["panel"].total == expected
    assert client.get(f"/api/cases/?{query}").json()["count"] == expected


def _valid(query):
    filterset = CaseFilter(QueryDict(query))
    assert filterset.is_valid()
    return filterset


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's table locks")
def test_a_search_counted_while_a_write_is_in_progress_is_not_kept(world):
    import psycopg

    settings = connection.settings_dict
    writer = psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"] or 5432
    )
    try:
        with writer.transaction():
            writer.execute("LOCK TABLE cases_search IN ROW EXCLUSIVE MODE")  # as indexing.write does
            counts, total, _candidates = facets.search_counts("tea", timezone.now())
            assert (counts, total) == counted("tea")
            assert not KeptSearch.objects.exists()
    finally:
        writer.close()
    facets.search_counts("tea", timezone.now())
    assert kept("tea") == counted("tea")

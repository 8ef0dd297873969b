"""Facets beside the listing: options with counts given the other filters, drill-down, several values,
chips, clear all; published cases only; every state a plain address."""

import html
import re
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation

from casebook.cases.filters import CaseFilter
from casebook.cases.models import AssistanceType, Case
from casebook.organizations.models import Organization

from .factories import make_case, make_collection, make_organization, make_region, make_type

pytestmark = pytest.mark.django_db

with translation.override("en"):
    LIST_URL = reverse("cases:list")


def get(client, query=""):
    response = client.get(f"{LIST_URL}?{query}" if query else LIST_URL)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


def boxes(content, param):
    """{label: (count, checked)} of a facet's checkboxes."""
    found = re.findall(
        rf'<input type="checkbox" name="{param}" value="[^"]+" id="[^"]+"( checked)?>\s*'
        r'<label for="[^"]+">([^<]+?)(?: <span class="facet-count">\((\d+)\)</span>)?</label>',
        content,
    )
    return {html.unescape(label): (int(count) if count else None, bool(checked)) for checked, label, count in found}


def region_links(content):
    """{label: (count, href)} of the place facet's options."""
    block = re.search(r'<div class="facet facet-region".*?</div>', content, re.S)
    if not block:
        return {}
    found = re.findall(r'<a href="([^"]+)">([^<]+) <span class="facet-count">\((\d+)\)</span></a>', block.group(0))
    return {html.unescape(label): (int(count), html.unescape(href)) for href, label, count in found}


def listed(content):
    return sorted(html.unescape(t) for t in re.findall(r'<h3 class="card-title"><a href="[^"]+">([^<]+)</a>', content))


@pytest.fixture
def world():
    """Shaanxi › Tongchuan › Yijun, Guizhou; two types; cases spread over them (and a draft everywhere)."""
    shaanxi = make_region(name="Shaanxi", slug="shaanxi", code="610000")
    tongchuan = make_region(parent=shaanxi, name="Tongchuan", slug="tongchuan", code="610200")
    yijun = make_region(parent=tongchuan, name="Yijun", slug="yijun", code="610222")
    guizhou = make_region(name="Guizhou", slug="guizhou", code="520000")
    make_region(name="Empty province", slug="empty", code="990000")
    tea = make_type(name="Tea", slug="tea")
    roads = make_type(name="Roads", slug="roads")
    make_type(name="Unused", slug="unused")
    make_case(title="Yijun tea 1", regions=[yijun], assistance_type=tea)
    make_case(title="Yijun tea 2", regions=[yijun], assistance_type=tea)
    make_case(title="Tongchuan roads", regions=[tongchuan], assistance_type=roads)
    make_case(title="Guizhou tea", regions=[guizhou], assistance_type=tea)
    make_case(title="Draft", regions=[yijun], assistance_type=roads, status=Case.Status.DRAFT)
    make_case(
        title="Scheduled", regions=[guizhou], assistance_type=roads, published_at=timezone.now() + timedelta(hours=1)
    )
    return {"shaanxi": shaanxi, "tongchuan": tongchuan, "yijun": yijun, "guizhou": guizhou}


def test_each_option_counts_the_published_cases_it_would_list(client, world):
    content = get(client)
    assert boxes(content, "type") == {"Tea": (3, False), "Roads": (1, False)}
    assert {label: count for label, (count, _href) in region_links(content).items()} == {"Shaanxi": 3, "Guizhou": 1}


def test_counts_follow_the_other_active_filters(client, world):
    content = get(client, "region=shaanxi")
    assert boxes(content, "type") == {"Tea": (2, False), "Roads": (1, False)}
    content = get(client, "type=roads")
    assert boxes(content, "type") == {"Roads": (1, True), "Tea": (3, False)}  # its own facet ignores itself
    assert {label: count for label, (count, _href) in region_links(content).items()} == {"Shaanxi": 1}


def test_types_count_a_case_in_two_chosen_places_once_and_follow_a_change_of_type(client, world):
    roads, tea = AssistanceType.objects.get(slug="roads"), AssistanceType.objects.get(slug="tea")
    both = make_case(title="Yijun and Guizhou roads", regions=[world["yijun"], world["guizhou"]], assistance_type=roads)
    assert boxes(get(client, "region=shaanxi&region=guizhou"), "type") == {"Tea": (3, False), "Roads": (2, False)}
    assert listed(get(client, "region=shaanxi&region=guizhou&type=roads")) == [
        "Tongchuan roads",
        "Yijun and Guizhou roads",
    ]
    assert ">2 cases</h2>" in get(client, "region=shaanxi&region=guizhou&type=roads")

    both.assistance_type = tea
    both.save()
    assert boxes(get(client, "region=shaanxi&region=guizhou"), "type") == {"Tea": (4, False), "Roads": (1, False)}
    assert listed(get(client, "region=guizhou&type=tea")) == ["Guizhou tea", "Yijun and Guizhou roads"]
    assert listed(get(client, "region=guizhou&type=roads")) == []


def test_options_without_cases_are_hidden(client, world):
    content = get(client)
    assert "Unused" not in boxes(content, "type")
    assert "Empty province" not in region_links(content)


def test_drafts_and_scheduled_cases_are_never_counted(client, world):
    content = get(client, "region=yijun")
    assert boxes(content, "type") == {"Tea": (2, False)}
    assert ">2 cases</h2>" in content


def test_the_place_facet_drills_down_and_leads_back_up(client, world):
    links = region_links(get(client))
    assert links["Shaanxi"][1] == "?region=shaanxi"
    content = get(client, "region=shaanxi")
    assert {label: count for label, (count, _href) in region_links(content).items()} == {"Tongchuan": 3}
    content = get(client, "region=tongchuan&type=tea")
    assert region_links(content) == {"Yijun": (2, "?region=yijun&type=tea")}
    trail = re.search(r'<ol class="facet-trail">(.*?)</ol>', content, re.S).group(1)
    assert '<a href="?type=tea">All places</a>' in trail
    assert '<a href="?region=shaanxi&amp;type=tea">Shaanxi</a>' in trail
    assert '<span aria-current="true">Tongchuan</span>' in trail


def test_several_values_of_one_facet_are_ored_and_facets_are_anded(client, world):
    assert listed(get(client, "type=tea&type=roads")) == [
        "Guizhou tea",
        "Tongchuan roads",
        "Yijun tea 1",
        "Yijun tea 2",
    ]
    assert listed(get(client, "type=roads&region=guizhou&region=tongchuan")) == ["Tongchuan roads"]
    assert listed(get(client, "region=guizhou&region=tongchuan")) == [
        "Guizhou tea",
        "Tongchuan roads",
        "Yijun tea 1",
        "Yijun tea 2",
    ]
    # The same, typed into one field.
    assert listed(get(client, "type=tea,roads")) == listed(get(client, "type=tea&type=roads"))


def test_organization_kind_collection_and_year_facets(client):
    foundation = make_organization(name="Fund", kind=Organization.Kind.FOUNDATION)
    company = make_organization(name="Company", kind=Organization.Kind.ENTERPRISE)
    batch = make_collection(short_title="First batch", slug="first")
    make_case(title="Fund 2019-2021", organizations=[foundation], start_year=2019, end_year=2021, collections=[batch])
    make_case(title="Company 2021", organizations=[company], start_year=2021)
    content = get(client)
    assert boxes(content, "org_kind") == {"Enterprise": (1, False), "Foundation / social organization": (1, False)}
    assert boxes(content, "year") == {"2021": (2, False), "2020": (1, False), "2019": (1, False)}
    assert boxes(content, "collection") == {"First batch": (1, False)}
    assert boxes(content, "organization") == {"Company": (1, False), "Fund": (1, False)}
    content = get(client, "year=2020&year=2021&org_kind=foundation")
    assert listed(content) == ["Fund 2019-2021"]
    assert boxes(content, "year") == {"2021": (1, True), "2020": (1, True), "2019": (1, False)}


def test_active_filters_are_chips_that_remove_themselves_and_clear_all(client, world):
    content = get(client, "q=tea&region=shaanxi&type=tea&type=roads")
    chips = re.findall(r'<a class="chip" href="([^"]+)">.*?</span>([^<]+) <span', content)
    assert [(html.unescape(href), label) for href, label in chips] == [
        ("?region=shaanxi&type=tea&type=roads", "Search: tea"),
        ("?type=tea&type=roads&q=tea", "Place: Shaanxi"),
        ("?region=shaanxi&type=roads&q=tea", "Type of assistance: Tea"),
        ("?region=shaanxi&type=tea&q=tea", "Type of assistance: Roads"),
    ]
    assert f'<a class="chips-clear" href="{LIST_URL}">Clear all filters</a>' in content
    assert 'class="chip"' not in get(client)


def test_a_chosen_value_without_cases_stays_ticked(client, world):
    content = get(client, "region=guizhou&type=roads")
    assert boxes(content, "type") == {"Tea": (1, False), "Roads": (None, True)}
    assert ">0 cases</h2>" in content


def test_the_form_resends_the_place_chosen_by_a_link(client, world):
    content = get(client, "region=shaanxi")
    assert '<input type="hidden" name="region" value="shaanxi">' in content
    assert re.search(r'<form class="filters facets" method="get" action="/en/cases/"', content)
    assert '<button type="submit">Show cases</button>' in content


def test_counts_change_when_a_case_is_published(client, world):
    assert boxes(get(client), "type")["Tea"] == (3, False)
    make_case(title="More tea", assistance_type=AssistanceType.objects.get(slug="tea"))
    assert boxes(get(client), "type")["Tea"] == (4, False)


def test_counts_change_when_a_scheduled_case_comes_due(client, world, monkeypatch):
    assert boxes(get(client), "type")["Roads"] == (1, False)
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert boxes(get(client), "type")["Roads"] == (2, False)


def test_the_filter_set_is_reusable_with_several_values(world):
    filterset = CaseFilter({"type": ["tea", "roads"], "region": ["shaanxi"]})
    assert filterset.is_valid()
    assert sorted(filterset.qs.values_list("title_en", flat=True)) == ["Tongchuan roads", "Yijun tea 1", "Yijun tea 2"]
    filterset = CaseFilter({"type": ["tea", "nope"]})
    assert not filterset.is_valid()
    assert "type" in filterset.errors


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("type=tea&type=nope", "Type of assistance: There is no such type."),
        ("region=shaanxi&region=%00", "Place: There is no such place."),
        ("org_kind=enterprise&org_kind=pirates", "Kind of organization: There is no such kind of organization."),
        ("year=2020&year=20x0", "Active in year: Enter a year as four digits, such as 2021."),
        ("year=1850", "Active in year: Enter a year from 1900 to 2100."),
        ("type=" + "&type=".join(f"t{n}" for n in range(51)), "Type of assistance: Choose at most 50 values."),
        ("region=%FF", "Place: There is no such place."),
    ],
)
def test_invalid_facet_values_are_a_400_naming_the_field(client, world, query, message):
    response = client.get(f"{LIST_URL}?{query}")
    assert response.status_code == 400
    content = response.content.decode()
    assert message in html.unescape(content)
    assert listed(content) == []


@pytest.mark.parametrize("per_page", [2, 20])
def test_the_listing_runs_few_queries_whatever_the_page(client, world, django_assert_max_num_queries, per_page):
    from casebook.cases.views import CaseListView

    CaseListView.paginate_by, original = per_page, CaseListView.paginate_by
    try:
        for page in ("1", "2"):
            with django_assert_max_num_queries(5):
                client.get(LIST_URL, {"region": "shaanxi", "type": ["tea", "roads"], "page": page})
    finally:
        CaseListView.paginate_by = original


@pytest.mark.parametrize("places", ["region=yijun&region=guizhou", "region=shaanxi", "region=shaanxi&type=tea"])
@pytest.mark.parametrize("sort", ["", "newest", "oldest"])
def test_pages_of_a_filtered_listing_follow_the_order_without_repeating_a_case(
    client, world, monkeypatch, sort, places
):
    # Pages past the middle are read from the other end (facets.page_ids): the same order all the same.
    from casebook.cases.views import CaseListView

    monkeypatch.setattr(CaseListView, "paginate_by", 2)
    tea = AssistanceType.objects.get(slug="tea")
    for n in range(6):
        # In both chosen places: listed once. Some at the same time: the id decides.
        make_case(
            title=f"Both {n}",
            regions=[world["yijun"], world["guizhou"]],
            assistance_type=tea,
            published_at=timezone.now().replace(microsecond=0) - timedelta(hours=n // 2),
        )
    query = f"{places}&sort={sort}"
    expected = list(CaseFilter(QueryDict(query)).qs.values_list("title_en", flat=True))
    pages = [listed_in_order(get(client, f"{query}&page={page}")) for page in range(1, (len(expected) + 3) // 2)]
    seen = [title for page in pages for title in page]
    assert seen == expected
    assert len(seen) == len(set(seen)) >= 7
    assert listed_in_order(get(client, f"{query}&page=last")) == pages[-1]


def listed_in_order(content):
    return [html.unescape(t) for t in re.findall(r'<h3 class="card-title"><a href="[^"]+">([^<]+)</a>', content)]


def test_the_maintained_totals_match_a_fresh_count_after_every_kind_of_change(client, world):
    from django.db.models import Count

    from casebook.cases.models import CaseFacet, FacetTotal
    from casebook.cases.signals import cases_changed

    def totals():
        return {(t.facet, t.value): t.count for t in FacetTotal.objects.exclude(count=0)}

    def fresh():
        rows = CaseFacet.objects.filter(published_at__isnull=False).values_list("facet", "value")
        return {(f, v): n for f, v, n in rows.annotate(n=Count("pk")).order_by()}

    assert totals() == fresh()
    draft = Case.objects.get(title_en="Draft")
    draft.status, draft.published_at = Case.Status.PUBLISHED, timezone.now()
    draft.save()
    case = Case.objects.get(title_en="Guizhou tea")
    case.regions.set([world["yijun"]])
    Case.objects.get(title_en="Yijun tea 1").delete()
    Case.objects.filter(title_en="Yijun tea 2").update(status=Case.Status.WITHDRAWN)
    cases_changed.send(sender=Case, case_ids=list(Case.objects.values_list("pk", flat=True)))
    assert totals() == fresh()
    assert boxes(get(client), "type") == {"Roads": (2, False), "Tea": (1, False)}

"""The public case listing (/cases/) and the home page, as a reader and a program meet them."""

import html
import re
from datetime import timedelta
from pathlib import PurePosixPath

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from casebook.cases.filters import CaseFilter
from casebook.cases.models import Case, Participation
from casebook.cases.views import CaseListView
from casebook.organizations.models import Organization

from .factories import (
    make_case,
    make_collection,
    make_commissioner,
    make_figure,
    make_organization,
    make_region,
    make_theme,
    make_type,
)

pytestmark = pytest.mark.django_db

with translation.override("en"):
    LIST_URL = reverse("cases:list")  # /en/cases/: the tests read the English pages


def listed(response):
    """Titles of the cases listed on the page, in order."""
    titles = re.findall(r'<h3 class="card-title"><a href="[^"]+">([^<]+)</a>', response.content.decode())
    return [html.unescape(title) for title in titles]


def get_list(client, **params):
    return client.get(LIST_URL, params)


@pytest.fixture
def yijun():
    """Shaanxi › Tongchuan › Yijun County."""
    shaanxi = make_region(name="Shaanxi", slug="shaanxi", code="610000")
    tongchuan = make_region(parent=shaanxi, name="Tongchuan", slug="tongchuan", code="610200")
    return make_region(parent=tongchuan, name="Yijun County", slug="yijun", code="610222")


def test_listing_shows_published_cases_and_their_count(client):
    for title in ["Apples", "Tea", "Grits"]:
        make_case(title=title)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert sorted(listed(response)) == ["Apples", "Grits", "Tea"]
    assert ">3 cases</h2>" in response.content.decode()


def test_one_case_is_counted_in_the_singular(client):
    make_case()
    assert ">1 case</h2>" in client.get(LIST_URL).content.decode()


def test_unpublished_and_scheduled_cases_are_never_listed(client):
    make_case(title="Visible")
    make_case(title="Draft", status=Case.Status.DRAFT)
    make_case(title="In review", status=Case.Status.REVIEW)
    make_case(title="Withdrawn", status=Case.Status.WITHDRAWN, published_at=timezone.now() - timedelta(days=2))
    make_case(title="Scheduled", published_at=timezone.now() + timedelta(hours=1))
    response = client.get(LIST_URL)
    assert listed(response) == ["Visible"]
    assert ">1 case</h2>" in response.content.decode()


def test_home_shows_only_published_cases_and_counts_them(client):
    make_case(title="Visible")
    make_case(title="Draft", status=Case.Status.DRAFT)
    make_case(title="Scheduled", published_at=timezone.now() + timedelta(hours=1))
    response = client.get(reverse("cases:home"))
    content = response.content.decode()
    assert response.status_code == 200
    assert listed(response) == ["Visible"]
    assert "Draft" not in content and "Scheduled" not in content
    assert "Search 1 published case<" in content


def test_home_lists_collections_with_their_published_cases(client):
    batch = make_collection(title="First batch", case_count=36)
    make_case(collections=[batch])
    make_case(collections=[batch], status=Case.Status.DRAFT)
    content = client.get(reverse("cases:home")).content.decode()
    assert f'href="/en/collections/{batch.slug}/">First batch</a>' in content
    assert "1 of 36 cases here" in content


def test_scheduled_case_appears_once_its_time_comes(client, monkeypatch):
    # The view must ask for "now" on every request, not once at import.
    make_case(title="Scheduled", published_at=timezone.now() + timedelta(hours=1))
    assert listed(client.get(LIST_URL)) == []
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert listed(client.get(LIST_URL)) == ["Scheduled"]


def test_filter_set_starts_from_published_cases_when_reused(client):
    # The JSON API and CSV export will reuse CaseFilter; forgetting the queryset must not leak drafts.
    make_case(title="Visible")
    make_case(title="Draft", status=Case.Status.DRAFT)
    assert [case.title for case in CaseFilter({}).qs] == ["Visible"]


# Filters, one at a time


def test_province_includes_cases_in_its_counties(client, yijun):
    make_case(title="In Yijun", regions=[yijun])
    make_case(title="Elsewhere", regions=[make_region()])
    response = get_list(client, region="shaanxi")
    assert listed(response) == ["In Yijun"]
    assert listed(get_list(client, region="yijun")) == ["In Yijun"]


def test_region_without_cases_lists_none_not_all(client, yijun):
    make_case(title="In Yijun", regions=[yijun])
    make_region(slug="guizhou")
    response = get_list(client, region="guizhou")
    assert response.status_code == 200
    assert listed(response) == []
    content = response.content.decode()
    assert ">0 cases</h2>" in content
    assert "No published case matches these filters" in content


def test_type_filter(client):
    enterprise = make_type(slug="enterprise-social")
    make_case(title="Enterprise", assistance_type=enterprise)
    make_case(title="Other")
    assert listed(get_list(client, type="enterprise-social")) == ["Enterprise"]


def test_organization_filter(client):
    alibaba = make_organization(slug="alibaba")
    make_case(title="With Alibaba", organizations=[alibaba])
    make_case(title="Other", organizations=[make_organization()])
    assert listed(get_list(client, organization="alibaba")) == ["With Alibaba"]


def test_organization_kind_filter(client):
    make_case(title="Foundation", organizations=[make_organization(kind=Organization.Kind.FOUNDATION)])
    make_case(title="Enterprise", organizations=[make_organization(kind=Organization.Kind.ENTERPRISE)])
    assert listed(get_list(client, org_kind="foundation")) == ["Foundation"]


def test_collection_filter(client):
    batch = make_collection(slug="nrra-first-batch")
    make_case(title="In the batch", collections=[batch])
    make_case(title="Other")
    assert listed(get_list(client, collection="nrra-first-batch")) == ["In the batch"]


def test_theme_filter(client):
    tea = make_theme(slug="tea")
    make_case(title="Tea", themes=[tea])
    make_case(title="Other", themes=[make_theme()])
    assert listed(get_list(client, theme="tea")) == ["Tea"]


def test_commissioner_filter(client):
    liu = make_commissioner(slug="liu-yahui")
    case = make_case(title="With Liu")
    case.commissioners.add(liu)
    make_case(title="Other")
    assert listed(get_list(client, commissioner="liu-yahui")) == ["With Liu"]


@pytest.mark.parametrize(
    ("year", "expected"),
    [("2018", []), ("2019", ["2019–2022"]), ("2021", ["2019–2022", "2021 only"]), ("2022", ["2019–2022"])],
)
def test_year_filter_covers_the_period(client, year, expected):
    make_case(title="2019–2022", start_year=2019, end_year=2022)
    make_case(title="2021 only", start_year=2021)
    assert sorted(listed(get_list(client, year=year))) == expected


@pytest.mark.parametrize("q", ["stick tea", "STICK TEA", "Stick"])
def test_search_finds_words_in_titles_whatever_the_case(client, q):
    make_case(title="A new Stick Tea for Pu'an")
    make_case(title="Apples")
    assert listed(get_list(client, q=q)) == ["A new Stick Tea for Pu'an"]


def test_search_finds_words_in_summaries(client):
    make_case(title="Distribution", summary="Built the Cainiao county distribution center.")
    make_case(title="Apples", summary="Sold apples.")
    assert listed(get_list(client, q="cainiao")) == ["Distribution"]


def test_filters_combine(client, yijun):
    enterprise = make_type(slug="enterprise-social")
    alibaba = make_organization(slug="alibaba")
    tea = make_theme(slug="tea")
    make_case(
        title="All of them",
        regions=[yijun],
        assistance_type=enterprise,
        organizations=[alibaba],
        themes=[tea],
        start_year=2021,
    )
    make_case(title="Wrong type", regions=[yijun], organizations=[alibaba], themes=[tea], start_year=2021)
    make_case(title="Wrong place", assistance_type=enterprise, organizations=[alibaba], themes=[tea], start_year=2021)
    make_case(title="Wrong year", regions=[yijun], assistance_type=enterprise, organizations=[alibaba], themes=[tea])
    response = get_list(
        client, region="shaanxi", type="enterprise-social", organization="alibaba", theme="tea", year="2021"
    )
    assert listed(response) == ["All of them"]
    assert listed(get_list(client, region="shaanxi", q="wrong")) == ["Wrong year", "Wrong type"]


def test_blank_filters_are_ignored(client):
    make_case(title="Apples")
    response = get_list(client, q="", region="", type="", year="", sort="")
    assert response.status_code == 200
    assert listed(response) == ["Apples"]


# Sorting


@pytest.fixture
def three_cases():
    now = timezone.now()
    make_case(title="banana", start_year=2021, published_at=now - timedelta(days=3))
    make_case(title="Apple", start_year=2022, published_at=now - timedelta(days=1))
    make_case(title="Cherry", start_year=2019, end_year=2020, published_at=now - timedelta(days=2))


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["Apple", "Cherry", "banana"]),
        ("newest", ["Apple", "Cherry", "banana"]),
        ("oldest", ["banana", "Cherry", "Apple"]),
        ("title", ["Apple", "banana", "Cherry"]),
        ("period", ["Cherry", "banana", "Apple"]),
    ],
)
def test_sort_orders(client, three_cases, sort, expected):
    params = {"sort": sort} if sort else {}
    assert listed(get_list(client, **params)) == expected


# Pagination


def test_twenty_cases_a_page_and_links_keep_the_filters(client, yijun):
    for n in range(25):
        make_case(title=f"Case {n:02}", regions=[yijun], published_at=timezone.now() - timedelta(minutes=n))
    response = get_list(client, region="shaanxi", q="case")
    assert len(listed(response)) == 20
    content = response.content.decode()
    assert ">25 cases</h2>" in content
    next_link = re.search(r'<a href="([^"]+)" rel="next">', content).group(1)
    assert next_link == "?region=shaanxi&amp;q=case&amp;page=2"
    assert '<a href="?region=shaanxi&amp;q=case&amp;page=1" aria-current="page">' in content

    second = client.get(LIST_URL + next_link.replace("&amp;", "&"))
    assert listed(second) == [f"Case {n:02}" for n in range(20, 25)]
    assert re.search(r'<a href="\?region=shaanxi&amp;q=case&amp;page=1" rel="prev">', second.content.decode())
    assert 'rel="next"' not in second.content.decode()


def test_page_last_is_the_last_page(client, yijun):
    for n in range(25):
        make_case(title=f"Case {n:02}", regions=[yijun], published_at=timezone.now() - timedelta(minutes=n))
    response = get_list(client, region="shaanxi", page="last")
    assert response.status_code == 200
    assert listed(response) == [f"Case {n:02}" for n in range(20, 25)]


def test_long_lists_elide_far_pages(client, monkeypatch):
    monkeypatch.setattr(CaseListView, "paginate_by", 2)
    kind = make_type(slug="enterprise-social")
    for _ in range(24):
        make_case(assistance_type=kind)
    content = get_list(client, type="enterprise-social", page=6).content.decode()
    pages = re.search(r'<nav class="pagination" aria-label="Pages">.*?</nav>', content, re.S).group(0)
    links = re.findall(
        r'page=(\d+)"[^>]*><span class="visually-hidden">Page \d+</span><span aria-hidden="true">(\d+)</span></a>',
        pages,
    )
    assert [int(number) for _, number in links] == [1, 4, 5, 6, 7, 8, 12]
    assert pages.count('<span class="pagination-gap">…</span>') == 2
    assert '<a href="?type=enterprise-social&amp;page=6" aria-current="page">' in pages
    assert "Page 6 of 12" in pages


def test_one_page_has_no_pagination(client):
    make_case()
    assert 'aria-label="Pages"' not in client.get(LIST_URL).content.decode()


@pytest.mark.parametrize("page", ["9999", "abc", "0"])
def test_a_page_that_does_not_exist_is_a_404_that_leads_back_to_page_one(client, page):
    make_case(title="Apples")
    make_region(slug="shaanxi")
    response = get_list(client, region="shaanxi", page=page)
    assert response.status_code == 404
    content = response.content.decode()
    assert "This list has no page" in content
    assert f'href="{LIST_URL}?region=shaanxi">Go to the first page of this list</a>' in content
    assert "Apples" not in content


def test_a_page_that_does_not_exist_without_filters_leads_to_the_plain_listing(client):
    response = get_list(client, page="2")
    assert response.status_code == 404
    assert f'href="{LIST_URL}">Go to the first page of this list</a>' in response.content.decode()


def test_a_page_number_on_another_address_is_an_ordinary_404(client):
    content = client.get(reverse("cases:detail", kwargs={"slug": "no-such-case"}), {"page": "2"}).content.decode()
    assert "This list has no page" not in content
    assert "There is nothing at this address." in content


# Invalid input: 400, the form says what is wrong, no case is listed


@pytest.mark.parametrize(
    ("params", "label", "message"),
    [
        ({"region": "nowhere"}, "Place", "There is no such place."),
        ({"region": "no where"}, "Place", "There is no such place."),
        ({"region": "shaanxi\x00"}, "Place", "There is no such place."),
        ({"type": "nope"}, "Type of assistance", "There is no such type."),
        ({"organization": "nobody"}, "Organization", "There is no such organization."),
        ({"org_kind": "pirates"}, "Kind of organization", "There is no such kind of organization."),
        ({"collection": "nothing"}, "Collection", "There is no such collection."),
        ({"theme": "nothing"}, "Theme", "There is no such theme."),
        ({"commissioner": "nobody"}, "Commissioner", "There is no such commissioner."),
        ({"year": "abc"}, "Active in year", "Enter a year as four digits, such as 2021."),
        ({"year": "99999"}, "Active in year", "Enter a year from 1900 to 2100."),
        ({"year": "1899"}, "Active in year", "Enter a year from 1900 to 2100."),
        ({"year": "2021\x00"}, "Active in year", "Enter a year as four digits, such as 2021."),
        ({"q": "tea\x00"}, "Search", "Null characters are not allowed."),
        ({"q": "x" * 201}, "Search", "Use at most 200 characters (this search has 201)."),
        ({"sort": "random"}, "Sort by", "Choose an order from the list."),
    ],
)
def test_invalid_filter_is_a_400_that_says_what_is_wrong_and_lists_nothing(client, params, label, message):
    make_case(title="Apples")
    make_region(slug="shaanxi")
    response = get_list(client, **params)
    content = response.content.decode()
    assert response.status_code == 400
    assert listed(response) == []
    assert "Apples" not in content
    assert "No cases shown: a filter could not be used" in content
    assert f"{label}: {message}" in content
    # Beside the field too, tied to it for screen readers.
    assert re.search(rf'<ul class="errorlist" id="id_\w+_error"><li>{re.escape(message)}', content)
    assert 'aria-invalid="true"' in content
    assert "<title>Error: Cases" in content


def test_several_invalid_filters_are_all_reported(client):
    response = get_list(client, region="nowhere", year="abc", q="tea")
    content = response.content.decode()
    assert response.status_code == 400
    assert "2 filters could not be used" in content
    assert "Place: There is no such place." in content
    assert "Active in year: Enter a year as four digits" in content


def test_invalid_filter_with_a_page_number_is_still_a_400(client):
    make_case(title="Apples")
    response = get_list(client, region="nowhere", page="3")
    assert response.status_code == 400
    assert "There is no such place." in response.content.decode()


def test_valid_filter_beside_an_invalid_one_still_lists_nothing(client, yijun):
    make_case(title="In Yijun", regions=[yijun])
    response = get_list(client, region="shaanxi", year="abc")
    assert response.status_code == 400
    assert listed(response) == []


# Cards


def card(response, title):
    """The places, the organizations and the image of the card of the case called ``title``."""
    for article in re.findall(r'<article class="card">.*?</article>', response.content.decode(), re.S):
        if f">{title}</a></h3>" in article:
            facts = [html.unescape(re.sub(r"<[^>]+>", "", dd)) for dd in re.findall(r"<dd>(.*?)</dd>", article)]
            image = re.search(r'<img class="card-image" src="([^"]+)"', article)
            return facts, image and image[1]
    raise AssertionError(f"no card for {title}")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_card_shows_its_places_organizations_and_first_figure_in_the_readers_language(client, language):
    shaanxi = make_region(name="Shaanxi", name_zh_hans="陕西省", slug="shaanxi", code="610000")
    yijun = make_region(parent=shaanxi, name="Yijun County", name_zh_hans="宜君县", code="610222")
    yanan = make_region(parent=shaanxi, name="Yan'an", name_zh_hans="延安市", code="610600")
    alibaba = make_organization(name="Alibaba Group", name_zh_hans="阿里巴巴集团", slug="alibaba")
    county = make_organization(name="Yijun Government", name_zh_hans="宜君县人民政府", slug="yijun-government")
    cainiao = make_organization(name="Cainiao", name_zh_hans="菜鸟", slug="cainiao")
    batch = make_collection(slug="first-batch")
    liu = make_commissioner(slug="liu-yahui")
    case = make_case(title="Apples online", title_zh_hans="苹果上网", regions=[yanan, yijun], collections=[batch])
    case.commissioners.add(liu)
    for organization, role in [(cainiao, "partner"), (alibaba, "assisting"), (county, "assisted")]:
        Participation.objects.create(case=case, organization=organization, role=role)
    later = make_figure(case, order=2)
    first = make_figure(case, order=1)
    make_figure(case, order=1)  # as early, but added after the first
    other = make_case(regions=[make_region()], organizations=[make_organization()])  # none of it reaches the card
    make_figure(other)

    with translation.override(language):
        pages = [
            reverse("cases:list"),
            reverse("cases:home"),
            reverse("cases:region", kwargs={"slug": "shaanxi"}),
            reverse("cases:organization", kwargs={"slug": "alibaba"}),
            reverse("cases:commissioner", kwargs={"slug": "liu-yahui"}),
            reverse("cases:collection", kwargs={"slug": "first-batch"}),
        ]
    english = language == "en"
    expected = (
        ["Yijun County, Yan'an", "Yijun Government, Alibaba Group, Cainiao"]  # places by path, organizations by role
        if english
        else ["宜君县、延安市", "宜君县人民政府、阿里巴巴集团、菜鸟"]
    )
    for address in pages:
        facts, image = card(client.get(address), "Apples online" if english else "苹果上网")
        assert facts == expected, address
        assert image and PurePosixPath(first.image.name).stem in image, address
        assert PurePosixPath(later.image.name).stem not in image, address


# Queries


def _case_with_everything(region, organization):
    case = make_case(regions=[region, make_region(parent=region)], organizations=[organization, make_organization()])
    make_figure(case)
    return case


@pytest.mark.parametrize("cases", [3, 25])
def test_listing_runs_a_constant_number_of_queries(client, django_assert_max_num_queries, yijun, cases):
    organization = make_organization(slug="alibaba")
    for _ in range(cases):
        _case_with_everything(yijun, organization)
    with django_assert_max_num_queries(5):
        response = get_list(client, region="shaanxi", organization="alibaba", sort="title")
    assert len(listed(response)) == min(cases, 20)


@pytest.mark.parametrize("cases", [3, 25])
def test_home_runs_a_constant_number_of_queries(client, django_assert_max_num_queries, yijun, cases):
    organization = make_organization()
    batch = make_collection()
    for _ in range(cases):
        case = _case_with_everything(yijun, organization)
        Participation.objects.create(case=case, organization=batch.publisher)
    with django_assert_max_num_queries(8):  # counts not yet cached; 4 once they are (test_pages)
        response = client.get(reverse("cases:home"))
    assert len(listed(response)) == min(cases, 6)


def test_a_page_takes_the_same_queries_for_20_or_100_cases_and_on_the_first_or_last_page(client, monkeypatch, yijun):
    organization = make_organization(slug="alibaba")
    for _ in range(101):
        _case_with_everything(yijun, organization)
    counts = {}
    for per_page in (20, 100):
        monkeypatch.setattr(CaseListView, "paginate_by", per_page)
        for page in ("1", "last"):
            for cache in caches.all():
                cache.clear()
            with CaptureQueriesContext(connection) as captured:
                response = get_list(client, region="shaanxi", organization="alibaba", page=page)
            assert len(listed(response)) == (per_page if page == "1" else 101 % per_page)
            counts[per_page, page] = len(captured)
    assert len(set(counts.values())) == 1, counts
    assert counts[20, "1"] <= 8


def test_a_case_card_is_rendered_once_whatever_filters_list_it(client, monkeypatch, yijun):
    """Each card is kept alone under the data version: a filter state listing cases already shown by another
    renders no card again, a search renders its own (with its snippet), and a change to a case renders anew."""
    from casebook.cases import views

    tea, roads = make_type(slug="tea"), make_type(slug="roads")
    for n in range(3):
        make_case(title=f"Tea {n}", summary="Green tea", regions=[yijun], assistance_type=tea)
    make_case(title="Roads", summary="A road", regions=[yijun], assistance_type=roads)
    rendered = []
    original = views.case_card
    monkeypatch.setattr(views, "case_card", lambda case: rendered.append(case.title_en) or original(case))

    assert sorted(listed(get_list(client, type="tea"))) == ["Tea 0", "Tea 1", "Tea 2"]
    assert sorted(rendered) == ["Tea 0", "Tea 1", "Tea 2"]
    rendered.clear()
    assert sorted(listed(get_list(client, region="shaanxi"))) == ["Roads", "Tea 0", "Tea 1", "Tea 2"]
    assert rendered == ["Roads"]  # only the card no page had shown
    rendered.clear()
    response = get_list(client, q="green")
    assert sorted(rendered) == ["Tea 0", "Tea 1", "Tea 2"]  # a search's cards carry its snippet
    assert response.content.decode().count('<p class="card-summary card-snippet">') == 3
    rendered.clear()
    case = Case.objects.get(title_en="Tea 1")
    case.title_en = "Tea one"
    case.save()
    assert sorted(listed(get_list(client, region="yijun", type="tea"))) == ["Tea 0", "Tea 2", "Tea one"]
    assert sorted(rendered) == ["Tea 0", "Tea 2", "Tea one"]  # a new version of the published data


def test_a_listing_page_asked_again_is_answered_from_the_cache_alone(client, django_assert_num_queries, yijun):
    make_case(title="First", regions=[yijun])
    first = get_list(client, region="shaanxi")
    with django_assert_num_queries(0):
        again = get_list(client, region="shaanxi")
    assert again.status_code == 200
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    # Each language, host and address has its own page; a change to the published cases makes new ones.
    assert '<html lang="zh-Hans">' in client.get("/zh-hans/cases/", {"region": "shaanxi"}).content.decode()
    other_host = client.get(LIST_URL, {"region": "shaanxi"}, HTTP_HOST="localhost").content.decode()
    assert "http://localhost/" in other_host and "http://testserver/" not in other_host
    make_case(title="Second", regions=[yijun])
    assert sorted(listed(get_list(client, region="shaanxi"))) == ["First", "Second"]


def test_a_listing_page_that_is_not_a_page_of_cases_is_not_kept(client, monkeypatch):
    make_case(title="Only")
    answered = []
    respond = CaseListView.respond
    monkeypatch.setattr(CaseListView, "respond", lambda view, request: answered.append(1) or respond(view, request))
    for query, status in (({"type": "no-such-type"}, 400), ({"page": "7"}, 404), ({}, 200)):
        answered.clear()
        assert [get_list(client, **query).status_code for _ in range(2)] == [status, status]
        assert len(answered) == (1 if status == 200 else 2), query


def test_a_card_escapes_every_value_once(client):
    region = make_region(name="Tom & Jerry <County>")
    organization = make_organization(name='"Quoted" & Co')
    make_case(
        title="<script>alert(1)</script> & more",
        summary="Fish & <chips>",
        regions=[region],
        organizations=[organization],
    )
    content = client.get(LIST_URL).content.decode()
    article = re.search(r'<article class="card">.*?</article>', content, re.S).group(0)
    assert "<script>" not in article
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</a>" in article
    assert "Fish &amp; &lt;chips&gt;" in article
    assert "<dd>Tom &amp; Jerry &lt;County&gt;</dd>" in article
    assert "<dd>&quot;Quoted&quot; &amp; Co</dd>" in article

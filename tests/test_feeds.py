"""Machines that follow the site: Atom feeds of newly published cases (all, per region, per type) and
the sitemap, which lists every published case in both languages."""

import html
import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from casebook.cases.models import Case
from casebook.cases.sitemaps import BilingualSitemap

from .factories import make_case, make_region, make_type

pytestmark = pytest.mark.django_db


def url(name, language="en", **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def whole_sitemap(client):
    """The index at /sitemap.xml and every page it names, as one text."""
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    content = index.content.decode()
    for address in re.findall(r"<loc>http://testserver(/[^<]*)</loc>", content):
        page = client.get(html.unescape(address))
        assert page.status_code == 200, address
        content += page.content.decode()
    return content


def entry_titles(content):
    """Titles of the feed's entries, in order (the feed's own <title> comes first and is left out)."""
    return [part.split("</title>")[0] for part in content.split("<entry><title>")[1:]]


@pytest.fixture
def hidden_cases():
    """A case in every state the public must not see, each with a title and a slug to look for."""
    region = make_region(slug="shaanxi")
    kind = make_type(slug="enterprise")
    later = timezone.now() + timedelta(days=1)
    states = {
        "draft": {"status": Case.Status.DRAFT},
        "review": {"status": Case.Status.REVIEW},
        "withdrawn": {"status": Case.Status.WITHDRAWN, "published_at": timezone.now() - timedelta(days=2)},
        "future": {"status": Case.Status.PUBLISHED, "published_at": later},
    }
    for name, fields in states.items():
        make_case(title=f"Secret {name} case", slug=f"secret-{name}", assistance_type=kind, regions=[region], **fields)
    return region, kind


def test_feed_lists_published_cases_newest_first_with_absolute_links(client):
    now = timezone.now()
    make_case(title="Older case", slug="older", published_at=now - timedelta(days=3))
    make_case(title="Newer case", slug="newer", summary="What was done.", published_at=now - timedelta(days=1))

    response = client.get(url("cases:feed"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    content = response.content.decode()
    assert "<title>Casebook: new cases</title>" in content
    assert entry_titles(content) == ["Newer case", "Older case"]
    assert '<link href="http://testserver/en/cases/newer/" rel="alternate"/>' in content
    assert '<summary type="html">What was done.</summary>' in content


def test_feed_in_chinese_has_chinese_titles_and_links(client):
    case = make_case(title="Yijun logistics centre", slug="yijun")
    with translation.override("zh-hans"):
        case.title = "宜君县县域物流配送中心"
        case.save()

    content = client.get(url("cases:feed", "zh-hans")).content.decode()

    assert "<title>帮扶案例库：最新案例</title>" in content
    assert entry_titles(content) == ["宜君县县域物流配送中心"]
    assert '<link href="http://testserver/zh-hans/cases/yijun/" rel="alternate"/>' in content
    assert 'xml:lang="zh-hans"' in content


def test_feed_gives_the_twenty_newest_cases(client):
    now = timezone.now()
    for n in range(22):
        make_case(title=f"Case number {n}", published_at=now - timedelta(hours=n + 1))

    titles = entry_titles(client.get(url("cases:feed")).content.decode())

    assert titles == [f"Case number {n}" for n in range(20)]


@pytest.mark.parametrize(
    "address",
    [
        ("cases:feed", "en", {}),
        ("cases:feed", "zh-hans", {}),
        ("cases:region_feed", "en", {"slug": "shaanxi"}),
        ("cases:type_feed", "zh-hans", {"slug": "enterprise"}),
    ],
    ids=["feed", "Chinese feed", "region feed", "type feed"],
)
def test_unpublished_and_scheduled_cases_never_appear_in_a_feed(client, hidden_cases, address):
    name, language, kwargs = address
    response = client.get(url(name, language, **kwargs))
    assert response.status_code == 200
    assert b"<entry>" not in response.content
    assert b"Secret" not in response.content
    assert b"secret-" not in response.content


def test_unpublished_and_scheduled_cases_never_appear_in_the_sitemap(client, hidden_cases):
    make_case(slug="visible")
    content = whole_sitemap(client)
    assert "/cases/visible/" in content
    assert "Secret" not in content
    assert "secret-" not in content


def test_region_feed_includes_the_cases_below_the_region(client):
    shaanxi = make_region(name="Shaanxi", slug="shaanxi")
    county = make_region(parent=shaanxi, name="Yijun County", slug="yijun")
    elsewhere = make_region(name="Gansu", slug="gansu")
    make_case(title="County case", regions=[county])
    make_case(title="Province case", regions=[shaanxi])
    make_case(title="Case elsewhere", regions=[elsewhere])

    content = client.get(url("cases:region_feed", slug="shaanxi")).content.decode()

    assert "<title>Casebook: new cases in Shaanxi</title>" in content
    assert sorted(entry_titles(content)) == ["County case", "Province case"]
    assert '<link href="http://testserver/en/regions/shaanxi/" rel="alternate"/>' in content


def test_region_feed_title_in_chinese(client):
    with translation.override("zh-hans"):
        make_region(name="陕西省", slug="shaanxi")
    content = client.get(url("cases:region_feed", "zh-hans", slug="shaanxi")).content.decode()
    assert "<title>帮扶案例库：陕西省最新案例</title>" in content


def test_type_feed_lists_cases_of_that_type_only(client):
    enterprise = make_type(name="Enterprise assistance", slug="enterprise")
    make_case(title="Enterprise case", assistance_type=enterprise)
    make_case(title="Other case", assistance_type=make_type())

    content = client.get(url("cases:type_feed", slug="enterprise")).content.decode()

    assert "<title>Casebook: new cases of type Enterprise assistance</title>" in content
    assert entry_titles(content) == ["Enterprise case"]


@pytest.mark.parametrize("name", ["cases:region_feed", "cases:type_feed"])
def test_unknown_slug_is_not_found(client, name):
    assert client.get(url(name, slug="nowhere")).status_code == 404


def test_sitemap_lists_each_case_in_both_languages_with_alternates(client):
    case = make_case(slug="yijun")

    response = client.get("/sitemap-cases.xml")

    assert response.status_code == 200
    content = response.content.decode()
    for language in ("zh-hans", "en"):
        assert f"<loc>http://testserver/{language}/cases/yijun/</loc>" in content
        assert (
            f'<xhtml:link rel="alternate" hreflang="{language}" href="http://testserver/{language}/cases/yijun/"/>'
        ) in content
    assert '<xhtml:link rel="alternate" hreflang="x-default" href="http://testserver/cases/yijun/"/>' in content
    assert f"<lastmod>{timezone.localdate(case.updated_at).isoformat()}</lastmod>" in content


def test_sitemap_lists_the_home_and_listing_pages(client):
    content = whole_sitemap(client)
    for language in ("zh-hans", "en"):
        assert f"<loc>http://testserver/{language}/</loc>" in content
        assert f"<loc>http://testserver/{language}/cases/</loc>" in content


def test_pages_name_the_feed_in_their_head(client):
    english = client.get(url("cases:home")).content.decode()
    assert '<link rel="alternate" type="application/atom+xml" title="Casebook: new cases" href="/en/feeds/cases/">' in (
        english
    )
    chinese = client.get(url("cases:home", "zh-hans")).content.decode()
    assert 'title="帮扶案例库：最新案例" href="/zh-hans/feeds/cases/"' in chinese


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("cases:feed", {}), ("cases:region_feed", {"slug": "shaanxi"}), ("cases:type_feed", {"slug": "enterprise"})],
)
def test_feeds_run_a_constant_number_of_queries(client, django_assert_max_num_queries, name, kwargs):
    region = make_region(slug="shaanxi")
    kind = make_type(slug="enterprise")

    def add_cases(count):
        for _ in range(count):
            make_case(assistance_type=kind, regions=[make_region(parent=region)])

    add_cases(2)
    address = url(name, **kwargs)
    with CaptureQueriesContext(connection) as queries:
        client.get(address)
    two_cases = len(queries)
    add_cases(8)
    with django_assert_max_num_queries(two_cases):
        response = client.get(address)
    assert response.content.count(b"<entry>") == 10


# The sitemap's index and its pages


@pytest.fixture
def small_pages(monkeypatch):
    """Sitemap pages of four addresses: two cases in two languages."""
    monkeypatch.setattr(BilingualSitemap, "limit", 4)


def sitemap_locations(content):
    return re.findall(r"<loc>http://testserver(/[^<]*)</loc>", content)


def test_sitemap_index_names_every_page_of_every_section(client, small_pages):
    now = timezone.now()
    for n in range(5):
        make_case(slug=f"case-{n}", published_at=now - timedelta(days=10 - n))

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert sitemap_locations(response.content.decode()) == [
        "/sitemap-pages.xml",
        "/sitemap-pages.xml?p=2",
        "/sitemap-pages.xml?p=3",
        "/sitemap-cases.xml",
        "/sitemap-cases.xml?p=2",
        "/sitemap-cases.xml?p=3",
        "/sitemap-regions.xml",
        "/sitemap-organizations.xml",
        "/sitemap-commissioners.xml",
        "/sitemap-collections.xml",
    ]


def test_sitemap_pages_list_published_cases_oldest_first_each_once(client, small_pages, hidden_cases):
    now = timezone.now()
    for n in range(5):
        make_case(slug=f"case-{n}", published_at=now - timedelta(days=10 - n))
    pages = [client.get("/sitemap-cases.xml", {"p": p}).content.decode() for p in (1, 2, 3)]

    slugs = [re.findall(r"<loc>http://testserver/en/cases/([^/]+)/</loc>", page) for page in pages]

    assert slugs == [["case-0", "case-1"], ["case-2", "case-3"], ["case-4"]]
    assert all(page.count("<url>") == 2 * len(page_slugs) for page, page_slugs in zip(pages, slugs, strict=True))
    assert not any("secret-" in page for page in pages)


@pytest.mark.parametrize("page", ["0", "-1", "4", "two", "1.5", "99999999999999999999", "9" * 5000, ""])
def test_a_sitemap_page_past_the_end_or_not_a_number_is_a_404(client, small_pages, page):
    for n in range(5):
        make_case(slug=f"case-{n}")
    assert client.get("/sitemap-cases.xml", {"p": page}).status_code == 404


def test_an_unknown_sitemap_section_is_a_404(client):
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_a_sitemap_page_reads_its_cases_in_a_constant_number_of_queries(client, django_assert_max_num_queries):
    for n in range(30):
        make_case(slug=f"case-{n}", regions=[make_region()])
    with django_assert_max_num_queries(2):  # the count, the page of cases
        response = client.get("/sitemap-cases.xml")
    assert response.content.decode().count("<url>") == 60


def test_a_case_that_came_out_as_scheduled_was_last_modified_when_it_came_out(client):
    now = timezone.now()
    case = make_case(slug="scheduled")
    Case.objects.filter(pk=case.pk).update(updated_at=now - timedelta(days=30), published_at=now - timedelta(days=2))
    older = make_case(slug="older")
    Case.objects.filter(pk=older.pk).update(updated_at=now - timedelta(days=40), published_at=now - timedelta(days=50))

    page = client.get("/sitemap-cases.xml").content.decode()
    index = client.get("/sitemap.xml").content.decode()

    came_out = timezone.localdate(now - timedelta(days=2)).isoformat()
    assert f"<lastmod>{timezone.localdate(now - timedelta(days=40)).isoformat()}</lastmod>" in page
    assert f"<lastmod>{came_out}</lastmod>" in page
    cases_entry = index.split("/sitemap-cases.xml</loc>")[1].split("</sitemap>")[0]
    assert datetime.fromisoformat(re.search("<lastmod>(.*)</lastmod>", cases_entry)[1]) == now - timedelta(days=2)

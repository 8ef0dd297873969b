"""The pages of places, organizations, commissioners and collections, the home page, and what case pages add."""

import html
import json
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from casebook.cases.models import Case, CollectionEntry, Participation
from casebook.cases.related import related_cases
from casebook.organizations.models import Organization

from .factories import (
    image_upload,
    make_case,
    make_collection,
    make_commissioner,
    make_figure,
    make_organization,
    make_posting,
    make_region,
    make_source,
    make_theme,
    make_type,
)
from .test_feeds import whole_sitemap

pytestmark = pytest.mark.django_db

with translation.override("en"):
    LIST_URL = reverse("cases:list")


def text(response):
    content = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    content = re.sub(r"<[^>]+>", " ", content)
    return re.sub(r"\s+", " ", html.unescape(content)).strip()


def titles(response):
    found = re.findall(r'<h3 class="card-title"><a href="[^"]+">([^<]+)</a>', response.content.decode())
    return [html.unescape(title) for title in found]


def hidden_cases(**kwargs):
    """One case in each state the public must never see, with ``kwargs`` (regions, organizations…)."""
    now = timezone.now()
    return [
        make_case(title="Draft case", status=Case.Status.DRAFT, **kwargs),
        make_case(title="Case in review", status=Case.Status.REVIEW, **kwargs),
        make_case(title="Withdrawn case", status=Case.Status.WITHDRAWN, published_at=now - timedelta(days=3), **kwargs),
        make_case(title="Scheduled case", published_at=now + timedelta(days=1), **kwargs),
    ]


def assert_nothing_hidden(response):
    page = response.content.decode()
    for title in ["Draft case", "Case in review", "Withdrawn case", "Scheduled case"]:
        assert title not in page


@pytest.fixture
def shaanxi():
    """Shaanxi › Tongchuan › Yijun County, and Yan'an beside Tongchuan."""
    province = make_region(name="Shaanxi", name_zh_hans="陕西省", slug="shaanxi", code="610000")
    tongchuan = make_region(parent=province, name="Tongchuan", slug="tongchuan", code="610200", level="prefecture")
    make_region(parent=tongchuan, name="Yijun County", slug="yijun", code="610222")
    make_region(parent=province, name="Yan'an", slug="yanan", code="610600", level="prefecture")
    return province


def region(slug):
    from casebook.regions.models import Region

    return Region.objects.get(slug=slug)


def url(name, language="en", **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


# Every page answers in both languages


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_page_answers_in_both_languages(client, shaanxi, language):
    alibaba = make_organization(name="Alibaba Group", slug="alibaba")
    batch = make_collection(slug="first-batch")
    liu = make_commissioner(slug="liu-yahui", organization=alibaba)
    case = make_case(regions=[region("yijun")], organizations=[alibaba], collections=[batch])
    case.commissioners.add(liu)
    pages = [
        url("cases:home", language),
        url("cases:region_index", language),
        url("cases:region", language, slug="shaanxi"),
        url("cases:organization_index", language),
        url("cases:organization", language, slug="alibaba"),
        url("cases:commissioner", language, slug="liu-yahui"),
        url("cases:collection_index", language),
        url("cases:collection", language, slug="first-batch"),
        url("cases:outcomes", language),
        url("cases:detail", language, slug=case.slug),
    ]
    for address in pages:
        response = client.get(address)
        assert response.status_code == 200, address
        assert f'<html lang="{"zh-Hans" if language == "zh-hans" else "en"}">' in response.content.decode()


def test_chinese_pages_read_in_chinese(client, shaanxi):
    make_case(regions=[region("yijun")])
    page = text(client.get(url("cases:region", "zh-hans", slug="shaanxi")))
    assert "陕西省" in page
    assert "Shaanxi" not in page


@pytest.mark.parametrize("name", ["cases:region", "cases:organization", "cases:commissioner", "cases:collection"])
@pytest.mark.parametrize("slug", ["no-such-thing", "UPPER-but-missing"])
def test_unknown_slug_is_a_404(client, name, slug):
    assert client.get(url(name, slug=slug)).status_code == 404


@pytest.mark.parametrize(
    "address", ["/en/regions/%E9%99%95%E8%A5%BF/", "/en/organizations/a.b/", "/en/collections/x%00y/"]
)
def test_a_slug_that_cannot_be_one_is_a_404(client, address):
    assert client.get(address).status_code == 404


@pytest.mark.parametrize("page", ["2", "0", "abc", "99999999999999999999999"])
def test_a_page_past_the_end_or_not_a_number_is_a_404(client, shaanxi, page):
    make_case(regions=[shaanxi])
    assert client.get(url("cases:region", slug="shaanxi"), {"page": page}).status_code == 404


# Home


def test_home_counts_cases_by_type_and_province_linking_to_the_listing(client, shaanxi):
    enterprise = make_type(name="Enterprises", slug="enterprise")
    gansu = make_region(name="Gansu", slug="gansu", code="620000")
    make_case(assistance_type=enterprise, regions=[region("yijun")])
    make_case(assistance_type=enterprise, regions=[region("yijun"), region("yanan")])  # counted once in Shaanxi
    make_case(regions=[gansu])
    hidden_cases(assistance_type=enterprise, regions=[region("yijun")])
    response = client.get(url("cases:home"))
    content = response.content.decode()
    page = text(response)
    assert f'<a href="{LIST_URL}?type=enterprise">Enterprises</a> <span class="count">2 cases</span>' in content
    assert f'<a href="{LIST_URL}?region=shaanxi">Shaanxi</a> <span class="count">2 cases</span>' in content
    assert f'<a href="{LIST_URL}?region=gansu">Gansu</a> <span class="count">1 case</span>' in content
    assert "Search 3 published cases" in page


def test_home_hides_provinces_without_published_cases(client, shaanxi):
    hidden_cases(regions=[shaanxi])
    content = client.get(url("cases:home")).content.decode()
    assert "?region=shaanxi" not in content


# Region page


def test_region_page_lists_its_cases_and_those_below_it(client, shaanxi):
    make_case(title="County case", regions=[region("yijun")])
    make_case(title="Province case", regions=[shaanxi])
    make_case(title="Case elsewhere", regions=[make_region(name="Gansu")])
    hidden_cases(regions=[region("yijun")])
    response = client.get(url("cases:region", slug="shaanxi"))
    assert sorted(titles(response)) == ["County case", "Province case"]
    assert "2 published cases in Shaanxi or places within it." in text(response)
    assert_nothing_hidden(response)


def test_region_page_shows_its_parts_with_counts_and_its_ancestors(client, shaanxi):
    make_case(regions=[region("yijun")])
    make_case(regions=[region("yijun"), region("tongchuan")])
    hidden_cases(regions=[region("yanan")])
    content = client.get(url("cases:region", slug="shaanxi")).content.decode()
    assert '<a href="/en/regions/tongchuan/">Tongchuan</a> <span class="count">2 cases</span>' in content
    assert '<a href="/en/regions/yanan/">Yan&#x27;an</a> <span class="count">0 cases</span>' in content

    county = client.get(url("cases:region", slug="yijun"))
    breadcrumb = re.search(r'<nav class="breadcrumb".*?</nav>', county.content.decode(), re.S).group(0)
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', breadcrumb)
    assert links[-2:] == [("/en/regions/shaanxi/", "Shaanxi"), ("/en/regions/tongchuan/", "Tongchuan")]


def test_region_page_links_to_the_filtered_listing_and_its_feed(client, shaanxi):
    content = client.get(url("cases:region", slug="shaanxi")).content.decode()
    assert f'href="{LIST_URL}?region=shaanxi"' in content
    assert 'href="/en/feeds/regions/shaanxi/"' in content
    assert '<link rel="alternate" type="application/atom+xml"' in content


def test_region_index_lists_provinces_with_counts(client, shaanxi):
    make_case(regions=[region("yijun")])
    make_region(name="Gansu", slug="gansu")
    hidden_cases(regions=[shaanxi])
    content = client.get(url("cases:region_index")).content.decode()
    assert '<a href="/en/regions/shaanxi/">Shaanxi</a> <span class="count">1 case</span>' in content
    assert '<a href="/en/regions/gansu/">Gansu</a> <span class="count">0 cases</span>' in content


@pytest.mark.parametrize("cases", [2, 10])
def test_region_page_runs_a_constant_number_of_queries(client, django_assert_num_queries, shaanxi, cases):
    for _ in range(cases):
        case = make_case(regions=[region("yijun"), region("yanan")], organizations=[make_organization()])
        make_figure(case)
    with django_assert_num_queries(5):
        response = client.get(url("cases:region", slug="shaanxi"))
    assert len(titles(response)) == cases


# Organization page


@pytest.fixture
def alibaba():
    return make_organization(
        name="Alibaba Group", slug="alibaba", website="https://www.alibabagroup.com/", description="A company."
    )


def test_organization_page_groups_cases_by_role(client, alibaba):
    assisting = make_case(title="Helped Yijun")
    partner = make_case(title="Partner in Pu'an")
    Participation.objects.create(case=assisting, organization=alibaba, role=Participation.Role.ASSISTING)
    Participation.objects.create(case=partner, organization=alibaba, role=Participation.Role.PARTNER)
    for case in hidden_cases():
        Participation.objects.create(case=case, organization=alibaba)
    response = client.get(url("cases:organization", slug="alibaba"))
    content = response.content.decode()
    page = text(response)
    assert re.search(
        r'<h3 class="role-heading">Assisting</h3>.*Helped Yijun.*<h3 class="role-heading">Partner</h3>.*Partner in Pu',
        content,
        re.S,
    )
    assert "assisting: 1 case" in page and "partner: 1 case" in page
    assert "Kind Enterprise" in page
    assert f'href="{LIST_URL}?organization=alibaba"' in content
    assert_nothing_hidden(response)


def test_organization_website_is_an_external_link_only_when_it_is_http(client, alibaba):
    content = client.get(url("cases:organization", slug="alibaba")).content.decode()
    assert '<a href="https://www.alibabagroup.com/" rel="noopener external">' in content
    Organization.objects.filter(pk=alibaba.pk).update(website="javascript:alert(1)")  # bypasses URLField validation
    content = client.get(url("cases:organization", slug="alibaba")).content.decode()
    assert "javascript:" not in content
    assert "Website" not in content


def test_organization_page_names_its_units_commissioners_and_collections(client, alibaba):
    make_organization(name="Cainiao", slug="cainiao", parent=alibaba)
    make_commissioner(name="Liu Yahui", slug="liu-yahui", organization=alibaba)
    make_collection(short_title="Alibaba cases", slug="alibaba-cases", publisher=alibaba)
    content = client.get(url("cases:organization", slug="alibaba")).content.decode()
    assert '<a href="/en/organizations/cainiao/">Cainiao</a>' in content
    assert '<a href="/en/commissioners/liu-yahui/">Liu Yahui</a>' in content
    assert '<a href="/en/collections/alibaba-cases/">Alibaba cases</a>' in content
    assert "Part of" in text(client.get(url("cases:organization", slug="cainiao")))


def test_organization_index_lists_only_organizations_with_published_cases(client, alibaba):
    make_case(organizations=[alibaba])
    quiet = make_organization(name="Quiet Foundation")
    for case in hidden_cases():
        Participation.objects.create(case=case, organization=quiet)
    page = text(client.get(url("cases:organization_index")))
    assert "Alibaba Group Enterprise, 1 case" in page
    assert "Quiet Foundation" not in page


@pytest.mark.parametrize("cases", [2, 10])
def test_organization_page_runs_a_constant_number_of_queries(client, django_assert_num_queries, alibaba, cases):
    for n in range(cases):
        case = make_case(regions=[make_region()], organizations=[alibaba, make_organization()])
        make_figure(case)
        if n % 2:
            Participation.objects.create(case=case, organization=alibaba, role=Participation.Role.PARTNER)
    with django_assert_num_queries(8):
        response = client.get(url("cases:organization", slug="alibaba"))
    assert len(titles(response)) == cases + cases // 2


# Commissioner page


def test_commissioner_page_shows_postings_and_published_cases(client, shaanxi):
    alibaba = make_organization(name="Alibaba Group", slug="alibaba")
    liu = make_commissioner(name="Liu Yahui", slug="liu-yahui", organization=alibaba, title="Commissioner")
    make_posting(liu, region("yijun"), start_year=2019, end_year=2021)
    make_posting(liu, region("yanan"), start_year=2022)
    case = make_case(title="Apples online")
    case.commissioners.add(liu)
    for hidden in hidden_cases():
        hidden.commissioners.add(liu)
    response = client.get(url("cases:commissioner", slug="liu-yahui"))
    page = text(response)
    assert "Yijun County from 2019 to 2021" in page
    assert "Yan'an since 2022" in page
    assert "Sent by Alibaba Group" in page
    assert titles(response) == ["Apples online"]
    assert f'href="{LIST_URL}?commissioner=liu-yahui"' in response.content.decode()
    assert_nothing_hidden(response)


# Collection page


def test_collection_page_lists_cases_in_their_numbered_order(client):
    nrra = make_organization(name="NRRA", slug="nrra")
    source = make_source(title="Announcement", url="https://example.org/a", published_on=date(2022, 11, 7))
    batch = make_collection(
        title="Typical cases, first batch",
        slug="first-batch",
        publisher=nrra,
        published_on=date(2022, 10, 24),
        case_count=36,
        source=source,
    )
    for number, title in [(12, "Twelfth"), (None, "Unnumbered"), (3, "Third"), (30, "Thirtieth")]:
        CollectionEntry.objects.create(collection=batch, case=make_case(title=title), number=number)
    for n, hidden in enumerate(hidden_cases(), start=31):
        CollectionEntry.objects.create(collection=batch, case=hidden, number=n)
    response = client.get(url("cases:collection", slug="first-batch"))
    page = text(response)
    assert titles(response) == ["Third", "Twelfth", "Thirtieth", "Unnumbered"]
    assert "Case 3" in page and "Case 12" in page
    assert "Publisher NRRA" in page
    assert "24 October 2022" in page
    assert "4 of 36 cases published here" in page
    content = response.content.decode()
    assert '<a href="https://example.org/a" rel="noopener">Announcement</a>' in content
    assert '<a href="/en/organizations/nrra/">NRRA</a>' in content
    assert f'href="{LIST_URL}?collection=first-batch"' in content
    assert_nothing_hidden(response)


def test_collection_source_with_a_javascript_url_is_not_linked(client):
    batch = make_collection(slug="b", source=make_source(title="Dubious", url="javascript:alert(1)"))
    content = client.get(url("cases:collection", slug=batch.slug)).content.decode()
    assert "javascript:" not in content
    assert "<cite>Dubious</cite>" in content


def test_collection_index_counts_published_cases(client):
    batch = make_collection(title="First batch", slug="first-batch", case_count=36)
    make_case(collections=[batch])
    hidden_cases(collections=[batch])
    page = text(client.get(url("cases:collection_index")))
    assert "1 of 36 cases here" in page


# Case page: related cases and links


def test_related_cases_come_from_the_same_places_then_the_same_type(client, shaanxi):
    enterprise = make_type(slug="enterprise")
    case = make_case(title="This case", regions=[region("tongchuan")], assistance_type=enterprise)
    make_case(title="Same county below", regions=[region("yijun")])
    make_case(title="Same type elsewhere", assistance_type=enterprise, regions=[make_region()])
    make_case(title="Unrelated", regions=[region("yanan")])
    hidden_cases(regions=[region("yijun")], assistance_type=enterprise)
    content = client.get(case.get_absolute_url()).content.decode()
    related = re.search(r'<section class="related".*?</section>', content, re.S).group(0)
    found = re.findall(r'<a href="[^"]+">([^<]+)</a>', related)
    assert found == ["Same county below", "Same type elsewhere"]


def test_related_cases_are_read_without_their_narratives(shaanxi):
    case = make_case(regions=[region("tongchuan")])
    make_case(title="Below", regions=[region("yijun")], background="A background only the case's own page shows")
    (other,) = related_cases(case)
    assert other.title == "Below"
    assert {"background_en", "approach_zh_hans", "lessons"} <= other.get_deferred_fields()


def test_a_case_without_related_cases_has_no_related_section(client):
    case = make_case()
    assert 'class="related"' not in client.get(case.get_absolute_url()).content.decode()


# Open Graph and JSON-LD


@pytest.fixture
def case_for_machines(shaanxi):
    nrra = make_organization(name="NRRA", slug="nrra", kind=Organization.Kind.GOVERNMENT_OFFICE)
    alibaba = make_organization(name="Alibaba Group", slug="alibaba")
    batch = make_collection(title="First batch", slug="first-batch", publisher=nrra)
    case = make_case(
        title='Apples </script><script>alert("x")</script>',
        slug="apples",
        summary="Yijun sells apples online.",
        start_year=2019,
        end_year=2021,
        assistance_type=make_type(name="Enterprises"),
        regions=[region("yijun")],
        themes=[make_theme(name="E-commerce")],
        organizations=[alibaba],
        collections=[batch],
    )
    make_figure(case, image=image_upload("f.jpg", format="JPEG", size=(1200, 800)))
    return case


def json_ld(response):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def test_case_page_has_json_ld_that_parses_and_describes_the_case(client, case_for_machines):
    data = json_ld(client.get(case_for_machines.get_absolute_url()))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Article"
    assert data["name"] == 'Apples </script><script>alert("x")</script>'
    assert data["description"] == "Yijun sells apples online."
    assert data["url"] == "http://testserver/en/cases/apples/"
    assert data["inLanguage"] == "en"
    assert data["datePublished"] == case_for_machines.published_at.isoformat()
    assert data["temporalCoverage"] == "2019/2021"
    assert data["spatialCoverage"] == [
        {"@type": "Place", "name": "Yijun County", "url": "http://testserver/en/regions/yijun/"}
    ]
    assert data["author"] == [
        {"@type": "Organization", "name": "NRRA", "url": "http://testserver/en/organizations/nrra/"}
    ]
    assert {"@type": "Thing", "name": "Enterprises"} in data["about"]
    assert {
        "@type": "Organization",
        "name": "Alibaba Group",
        "url": "http://testserver/en/organizations/alibaba/",
    } in data["about"]
    assert data["isPartOf"][0]["url"] == "http://testserver/en/collections/first-batch/"
    assert data["image"].startswith("http://testserver/media/renditions/")


def test_json_ld_cannot_close_its_script_element(client, case_for_machines):
    content = client.get(case_for_machines.get_absolute_url()).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', content, re.S).group(1)
    assert "<" not in block and ">" not in block
    assert "<script>alert" not in content


def test_json_ld_in_chinese_says_so(client, case_for_machines):
    data = json_ld(client.get(url("cases:detail", "zh-hans", slug="apples")))
    assert data["inLanguage"] == "zh-Hans"
    assert data["url"] == "http://testserver/zh-hans/cases/apples/"


def test_case_page_has_open_graph_tags(client, case_for_machines):
    content = client.get(case_for_machines.get_absolute_url()).content.decode()
    assert '<meta property="og:type" content="article">' in content
    assert (
        '<meta property="og:title" content="Apples &lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">'
        in content
    )
    assert '<meta property="og:description" content="Yijun sells apples online.">' in content
    assert '<meta property="og:url" content="http://testserver/en/cases/apples/">' in content
    assert '<meta property="og:locale" content="en_US">' in content
    assert '<meta property="og:locale:alternate" content="zh_CN">' in content
    assert re.search(r'<meta property="og:image" content="http://testserver/media/renditions/\S+-w960\.jpg">', content)


def test_a_case_without_figures_has_no_og_image(client):
    case = make_case()
    content = client.get(case.get_absolute_url()).content.decode()
    assert "og:title" in content
    assert "og:image" not in content


def test_staff_preview_tells_machines_nothing(admin_client):
    case = make_case(status=Case.Status.DRAFT)
    content = admin_client.get(case.get_absolute_url()).content.decode()
    assert "og:title" not in content
    assert "application/ld+json" not in content


# Sitemap


def test_sitemap_lists_entity_pages_with_published_cases(client, shaanxi):
    alibaba = make_organization(slug="alibaba")
    quiet = make_organization(slug="quiet")
    liu = make_commissioner(slug="liu-yahui", organization=alibaba)
    hidden_commissioner = make_commissioner(slug="hidden-person", organization=quiet)
    batch = make_collection(slug="first-batch")
    case = make_case(regions=[region("yijun")], organizations=[alibaba])
    case.commissioners.add(liu)
    for hidden in hidden_cases(regions=[region("yanan")], organizations=[quiet]):
        hidden.commissioners.add(hidden_commissioner)
    content = whole_sitemap(client)
    for language in ("zh-hans", "en"):
        for address in [
            "regions/shaanxi/",
            "regions/tongchuan/",
            "regions/yijun/",
            "organizations/alibaba/",
            "commissioners/liu-yahui/",
            f"collections/{batch.slug}/",
            "regions/",
            "organizations/",
            "collections/",
            "outcomes/",
        ]:
            assert f"<loc>http://testserver/{language}/{address}</loc>" in content, address
    for address in ["regions/yanan/", "organizations/quiet/", "commissioners/hidden-person/"]:
        assert address not in content


# Cached counts


def test_counts_come_from_the_cache_until_a_case_changes(client, shaanxi, django_assert_max_num_queries):
    case = make_case(regions=[region("yijun")])
    home = url("cases:home")
    client.get(home)
    with django_assert_max_num_queries(4):  # the latest cases with their cards' parts, collections, types, provinces
        client.get(home)
    case.regions.add(make_region(name="Gansu", slug="gansu"))
    assert f'<a href="{LIST_URL}?region=gansu">Gansu</a>' in client.get(home).content.decode()
    case.status = Case.Status.WITHDRAWN
    case.save()
    content = client.get(home).content.decode()
    assert "?region=shaanxi" not in content and "?region=gansu" not in content


def test_bulk_writers_make_the_counts_forget(client, shaanxi):
    from casebook.cases.signals import cases_changed

    case = make_case(regions=[shaanxi])
    assert "1 published case in Shaanxi" in text(client.get(url("cases:region", slug="shaanxi")))
    Case.objects.filter(pk=case.pk).update(status=Case.Status.DRAFT)  # no post_save: a bulk writer
    cases_changed.send(sender=Case, case_ids=[case.pk])
    assert '<a href="/en/regions/shaanxi/">Shaanxi</a> <span class="count">0 cases</span>' in (
        client.get(url("cases:region_index")).content.decode()
    )


def test_counts_take_in_a_scheduled_case_when_its_time_comes(client, shaanxi, monkeypatch):
    enterprise = make_type(name="Enterprises", slug="enterprise")
    make_case(assistance_type=enterprise, regions=[shaanxi])
    make_case(assistance_type=enterprise, regions=[shaanxi], published_at=timezone.now() + timedelta(hours=1))
    home = url("cases:home")
    assert f'<a href="{LIST_URL}?type=enterprise">Enterprises</a> <span class="count">1 case</span>' in (
        client.get(home).content.decode()
    )
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)  # nothing is saved when its time comes
    content = client.get(home).content.decode()
    assert f'<a href="{LIST_URL}?type=enterprise">Enterprises</a> <span class="count">2 cases</span>' in content
    assert f'<a href="{LIST_URL}?region=shaanxi">Shaanxi</a> <span class="count">2 cases</span>' in content
    assert "Search 2 published cases" in text(client.get(home))


def test_organization_counts_follow_new_participations(client, alibaba):
    make_case(organizations=[alibaba])
    other = make_case()
    assert "Alibaba Group Enterprise, 1 case" in text(client.get(url("cases:organization_index")))
    Participation.objects.create(case=other, organization=alibaba, role=Participation.Role.PARTNER)
    assert "Alibaba Group Enterprise, 2 cases" in text(client.get(url("cases:organization_index")))


def test_region_page_pages_through_its_cases_twenty_at_a_time(client, shaanxi):
    for n in range(25):
        make_case(title=f"Case {n:02d}", regions=[region("yijun"), region("tongchuan")])  # counted once each
    hidden_cases(regions=[region("yijun")])
    first = client.get(url("cases:region", slug="shaanxi"))
    second = client.get(url("cases:region", slug="shaanxi"), {"page": 2})
    assert len(titles(first)) == 20
    assert len(titles(second)) == 5
    assert "25 published cases in Shaanxi" in text(first)
    assert "Page 2 of 2" in text(second)
    assert client.get(url("cases:region", slug="shaanxi"), {"page": 3}).status_code == 404


def test_collection_counts_follow_new_entries(client):
    batch = make_collection(title="First batch", slug="first-batch", case_count=36)
    make_case(collections=[batch])
    other = make_case()
    assert "1 of 36 cases here" in text(client.get(url("cases:collection_index")))
    CollectionEntry.objects.create(collection=batch, case=other, number=2)
    assert "2 of 36 cases here" in text(client.get(url("cases:collection_index")))

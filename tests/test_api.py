"""The read-only JSON API (/api/…): what it returns, that it agrees with the listing, that it never
shows an unpublished case, and that every response matches the OpenAPI description it serves."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse
from django.utils import timezone, translation
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate as validate_openapi

from casebook.api import urls as api_urls
from casebook.api.openapi import openapi_document
from casebook.api.params import filter_parameter_names
from casebook.cases.filters import CaseFilter
from casebook.cases.models import AssistanceType, Case, CaseRedirect, CollectionEntry, Participation
from casebook.organizations.models import Organization
from casebook.regions.models import Region

from .factories import (
    make_case,
    make_collection,
    make_commissioner,
    make_figure,
    make_metric,
    make_organization,
    make_outcome,
    make_region,
    make_source,
    make_theme,
    make_type,
)

pytestmark = pytest.mark.django_db

SPEC = openapi_document()


def check(response, path, status=200):
    """The response has ``status`` and matches the schema the description gives for it."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    schema = SPEC["paths"][path]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]
    data = response.json()
    Draft202012Validator({**schema, "components": SPEC["components"]}, format_checker=FormatChecker()).validate(data)
    return data


def slugs(data):
    return [item["slug"] for item in data["results"]]


@pytest.fixture
def world():
    return make_world()


def make_world():
    """Two provinces, a county; published cases, and one case in every state the public must not see."""
    shaanxi = make_region(name="Shaanxi", slug="shaanxi", code="610000")
    tongchuan = make_region(parent=shaanxi, name="Tongchuan", slug="tongchuan", code="610200", level="prefecture")
    yijun = make_region(parent=tongchuan, name="Yijun County", slug="yijun", code="610222")
    guizhou = make_region(name="Guizhou", slug="guizhou", code="520000")
    enterprise = make_organization(name="Alibaba Group", slug="alibaba")
    foundation = make_organization(name="A Foundation", slug="a-foundation", kind=Organization.Kind.FOUNDATION)
    commissioner = make_commissioner(name="Liu Yahui", slug="liu-yahui", organization=enterprise)
    collection = make_collection(short_title="First batch", slug="first-batch", case_count=36, batch_number=1)
    theme = make_theme(name="Tea", slug="tea")
    enterprises, partners = make_type(slug="enterprises"), make_type(slug="partners")
    apples = make_case(
        title="Apples of Yijun",
        title_zh_hans="宜君苹果",
        slug="apples",
        regions=[yijun, shaanxi],
        themes=[theme],
        assistance_type=enterprises,
        start_year=2019,
        end_year=2022,
        published_at=timezone.now() - timedelta(days=3),
    )
    Participation.objects.create(case=apples, organization=enterprise, role="assisting", note="Built a center")
    Participation.objects.create(case=apples, organization=foundation, role="partner")
    apples.commissioners.add(commissioner)
    CollectionEntry.objects.create(collection=collection, case=apples, number=12)
    source = make_source(title="Announcement", slug="announcement", publisher=enterprise, url="https://example.org/a")
    apples.sources.add(source)
    make_outcome(
        apples,
        slug="rank",
        indicator="Taobao rank",
        value=Decimal("13"),
        year=2021,
        baseline_value=Decimal("660"),
        baseline_year=2019,
        region=yijun,
        source=source,
        metric=make_metric(slug="rank", kind="rank", higher_is_better=False),
    )
    make_outcome(apples, slug="sales", value=Decimal("2500000.5000"), qualifier="more-than")
    make_figure(apples, slug="center", caption="The center", alt_text="A warehouse")
    make_figure(apples, slug="ribbon", caption="A ribbon", alt_text="", decorative=True)
    tea = make_case(
        title="Tea of Guizhou",
        slug="tea",
        regions=[guizhou],
        organizations=[foundation],
        assistance_type=partners,
        start_year=2021,
        published_at=timezone.now() - timedelta(days=1),
    )
    hidden = [
        make_case(title="Hidden draft", slug="hidden-draft", status=Case.Status.DRAFT),
        make_case(title="Hidden review", slug="hidden-review", status=Case.Status.REVIEW),
        make_case(
            title="Hidden withdrawn",
            slug="hidden-withdrawn",
            status=Case.Status.WITHDRAWN,
            published_at=timezone.now() - timedelta(days=5),
        ),
        make_case(title="Hidden future", slug="hidden-future", published_at=timezone.now() + timedelta(days=1)),
    ]
    for case in hidden:
        case.regions.set([yijun])
        case.themes.set([theme])
        case.commissioners.add(commissioner)
        Participation.objects.create(case=case, organization=enterprise)
        CollectionEntry.objects.create(collection=collection, case=case)
    return {
        "apples": apples,
        "tea": tea,
        "hidden": hidden,
        "shaanxi": shaanxi,
        "yijun": yijun,
        "collection": collection,
    }


# Cases


def test_case_list_gives_published_cases_newest_first(client, world):
    data = check(client.get("/api/cases/"), "/api/cases/")
    assert slugs(data) == ["tea", "apples"]
    assert data["count"] == 2
    assert data["pages"] == 1
    assert data["next"] is None and data["previous"] is None
    apples = data["results"][1]
    assert apples["title"] == {"zh-hans": "宜君苹果", "en": "Apples of Yijun"}
    assert [region["code"] for region in apples["regions"]] == ["610000", "610222"]
    assert [(org["slug"], org["kind"], org["role"]) for org in apples["organizations"]] == [
        ("alibaba", "enterprise", "assisting"),
        ("a-foundation", "foundation", "partner"),
    ]
    assert apples["organizations"][0]["name"]["en"] == "Alibaba Group"
    assert apples["period"] == {"start_year": 2019, "end_year": 2022}
    assert apples["url"] == "http://testserver/api/cases/apples/"
    assert apples["html_url"] == {
        "zh-hans": "http://testserver/zh-hans/cases/apples/",
        "en": "http://testserver/en/cases/apples/",
    }


FILTERS = [
    {"region": "shaanxi"},
    {"region": "yijun"},
    {"region": "guizhou"},
    {"type": "partners"},
    {"theme": "tea"},
    {"organization": "alibaba"},
    {"organization": "a-foundation"},
    {"org_kind": "foundation"},
    {"commissioner": "liu-yahui"},
    {"collection": "first-batch"},
    {"year": "2020"},
    {"year": "2022"},
    {"q": "apples"},
    {"q": "宜君"},
    {"q": "hidden"},
    {"sort": "oldest"},
    {"sort": "title"},
    {"sort": "period"},
    {"region": "shaanxi", "organization": "a-foundation", "sort": "title"},
    {"q": ""},
]


def listed_slugs(listing):
    """The slugs of the cases an English listing page shows, in its order."""
    return re.findall(r'<h3 class="card-title"><a href="/en/cases/([^/"]+)/">', listing.content.decode())


@pytest.mark.parametrize("params", FILTERS, ids=lambda params: "&".join(f"{k}={v}" for k, v in params.items()))
def test_filters_give_what_the_listing_gives_in_its_order(client, world, params):
    with translation.override("en"):
        listing = client.get(reverse("cases:list"), params)
    assert listing.status_code == 200
    data = check(client.get("/api/cases/", params), "/api/cases/")
    assert slugs(data) == listed_slugs(listing)
    assert data["count"] == listing.context["paginator"].count


@pytest.mark.parametrize("query", ["q=quinoa", "q=quinoa&region=shaanxi", "q=quinoa&region=shaanxi&type=partners"])
def test_the_pages_of_a_search_list_what_the_listing_pages_list(client, world, monkeypatch, query):
    """On PostgreSQL a search ranks its newest matches (facets.RANK_CANDIDATES), then lists the others newest
    first: the API's pages follow the listing's, not a ranking of every match."""
    from casebook.cases import facets
    from casebook.cases.views import CaseListView

    monkeypatch.setattr(facets, "RANK_CANDIDATES", 4)
    monkeypatch.setattr(CaseListView, "paginate_by", 3)
    shaanxi, partners = Region.objects.get(slug="shaanxi"), AssistanceType.objects.get(slug="partners")
    for n in range(8):  # the older, the better ranked: a ranking of all eight differs from the listing's
        make_case(
            title=f"Quinoa {n}",
            summary="quinoa " * (n + 1),
            regions=[shaanxi],
            assistance_type=partners,
            published_at=timezone.now() - timedelta(hours=n + 1),
        )
    api, listed = [], []
    for page in (1, 2, 3):
        listed += listed_slugs(client.get(f"{reverse('cases:list')}?{query}&page={page}"))
        api += slugs(check(client.get(f"/api/cases/?{query}&page={page}&page_size=3"), "/api/cases/"))
    assert len(listed) == 8
    assert api == listed


def test_filter_set_is_not_replaced(client, world):
    """The API reads the listing's own filter set: a parameter the listing has, the API accepts."""
    names = filter_parameter_names(CaseFilter())
    documented = {p["name"] for p in SPEC["paths"]["/api/cases/"]["get"]["parameters"]}
    assert names | {"page", "page_size"} == documented


def test_pages_are_bounded_and_linked(client, world):
    for n in range(23):
        make_case(slug=f"extra-{n:02d}", published_at=timezone.now() - timedelta(days=10, minutes=n))
    first = check(client.get("/api/cases/", {"page_size": 10}), "/api/cases/")
    assert (first["count"], first["pages"], first["page"], first["page_size"]) == (25, 3, 1, 10)
    seen = slugs(first)
    page = first
    while page["next"]:
        page = check(client.get(page["next"]), "/api/cases/")
        seen += slugs(page)
    assert page["page"] == 3 and len(page["results"]) == 5
    assert page["previous"] == "http://testserver/api/cases/?page_size=10&page=2"
    assert seen == [case.slug for case in Case.objects.published()]
    assert check(client.get("/api/cases/", {"page_size": 100}), "/api/cases/")["pages"] == 1


def test_an_empty_result_is_one_empty_page(client, world):
    data = check(client.get("/api/cases/", {"q": "nothing matches this"}), "/api/cases/")
    assert (data["count"], data["pages"], data["results"]) == (0, 1, [])


def test_a_list_page_runs_the_same_queries_for_2_and_40_cases(client, world):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/cases/", {"page_size": 100}).status_code == 200
        return len(captured)

    few = queries()
    for _n in range(38):
        make_case(regions=[world["yijun"]], organizations=[make_organization()], themes=[make_theme()])
    assert queries() == few <= 8


BAD = [
    ({"region": "shaanxi\x00"}, "region"),
    ({"q": "tea\x00"}, "q"),
    ({"year": "2021\x00"}, "year"),
    ({"page": "1\x00"}, "page"),
    ({"type": "\x00"}, "type"),
    ({"q": "x" * 10_000}, "q"),
    ({"region": "nowhere"}, "region"),
    ({"region": "陕西"}, "region"),
    ({"org_kind": "pirate"}, "org_kind"),
    ({"year": "1066"}, "year"),
    ({"year": "9" * 5000}, "year"),
    ({"sort": "random"}, "sort"),
    ({"page": "0"}, "page"),
    ({"page": "-1"}, "page"),
    ({"page": "two"}, "page"),
    ({"page": "2"}, "page"),
    ({"page": "99999999999999999999999999"}, "page"),
    ({"page": "9" * 5000}, "page"),
    ({"page_size": "0"}, "page_size"),
    ({"page_size": "101"}, "page_size"),
    ({"page_size": "many"}, "page_size"),
    ({"colour": "red"}, "colour"),
    ({"regoin": "shaanxi"}, "regoin"),
    ({"nul\x00": "1"}, "nul\x00"),
]


@pytest.mark.parametrize("params, field", BAD, ids=[field + str(i) for i, (_params, field) in enumerate(BAD)])
def test_a_parameter_it_cannot_use_is_a_400_that_names_it(client, world, params, field):
    data = check(client.get("/api/cases/", params), "/api/cases/", 400)
    assert list(data["errors"]) == [field]
    assert all(message for message in data["errors"][field])


@pytest.mark.parametrize("query, field", [("q=tea%FF", "q"), ("region=%C3%28", "region"), ("%FF=1", "\ufffd")])
def test_text_that_is_not_utf8_is_a_400(client, world, query, field):
    data = check(client.get(f"/api/cases/?{query}"), "/api/cases/", 400)
    assert data["errors"] == {field: ["This value is not valid UTF-8 text."]}


def test_error_messages_follow_accept_language(client, world):
    response = client.get("/api/cases/", {"page": "0"}, headers={"accept-language": "zh-hans"})
    assert response.status_code == 400
    assert response["Content-Language"] == "zh-hans"


def test_case_detail_is_the_whole_case(client, world):
    data = check(client.get("/api/cases/apples/"), "/api/cases/{slug}/")
    assert data["slug"] == "apples"
    assert data["type"]["slug"] == "enterprises"
    assert [theme["slug"] for theme in data["themes"]] == ["tea"]
    assert [(org["slug"], org["role"]) for org in data["organizations"]] == [
        ("alibaba", "assisting"),
        ("a-foundation", "partner"),
    ]
    assert data["organizations"][0]["note"]["en"] == "Built a center"
    assert [c["slug"] for c in data["commissioners"]] == ["liu-yahui"]
    assert data["commissioners"][0]["organization"] == "alibaba"
    assert [(c["slug"], c["number"]) for c in data["collections"]] == [("first-batch", 12)]
    rank, sales = data["outcomes"]
    assert rank["metric"]["slug"] == "rank" and rank["metric"]["kind"] == "rank"
    assert rank["metric"]["higher_is_better"] is False
    assert (rank["value"], rank["year"], rank["qualifier"]) == ("13", 2021, None)
    assert rank["baseline"] == {"qualifier": None, "value": "660", "year": 2019}
    assert (rank["region"], rank["source"]) == ("610222", "announcement")
    assert (sales["value"], sales["qualifier"], sales["baseline"]) == ("2500000.5", "more-than", None)
    center, ribbon = data["figures"]
    assert center["image"].startswith("http://testserver/media/")
    assert client.get(center["image"].removeprefix("http://testserver")).status_code in (200, 404)
    assert (center["width"], center["height"]) == (40, 30)
    assert center["caption"]["en"] == "The center"
    assert center["alt"]["en"] == "A warehouse"
    assert (ribbon["alt"], ribbon["decorative"]) == (None, True)
    assert data["sources"][0]["url"] == "https://example.org/a"
    assert data["sources"][0]["publisher"]["slug"] == "alibaba"
    assert data["period"] == {"start_year": 2019, "end_year": 2022}
    published = timezone.datetime.fromisoformat(data["published_at"])
    assert published == world["apples"].published_at
    assert data["html_url"]["en"] == "http://testserver/en/cases/apples/"
    assert data["html_url"]["zh-hans"] == "http://testserver/zh-hans/cases/apples/"


def test_case_detail_runs_the_same_queries_with_many_figures_and_outcomes(client, world):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/cases/apples/").status_code == 200
        return len(captured)

    few = queries()
    for _n in range(5):
        make_outcome(world["apples"])
    assert queries() == few


@pytest.mark.parametrize("slug", ["hidden-draft", "hidden-review", "hidden-withdrawn", "hidden-future", "nothing"])
def test_an_unpublished_or_unknown_case_is_a_json_404(client, world, slug):
    data = check(client.get(f"/api/cases/{slug}/"), "/api/cases/{slug}/", 404)
    assert data == {"errors": {"path": ["Nothing is published at this address."]}}


def test_staff_see_no_unpublished_case_in_the_api(admin_client, world):
    assert admin_client.get("/api/cases/hidden-draft/").status_code == 404
    assert admin_client.get("/api/cases/").json()["count"] == 2


def test_an_earlier_slug_redirects_to_the_case(client, world):
    CaseRedirect.objects.create(old_slug="old-apples", case=world["apples"])
    CaseRedirect.objects.create(old_slug="old-draft", case=world["hidden"][0])
    response = client.get("/api/cases/old-apples/")
    assert response.status_code == 301
    assert response["Location"] == "http://testserver/api/cases/apples/"
    assert client.get("/api/cases/old-draft/").status_code == 404


def test_unknown_addresses_and_methods_answer_in_json(client, world):
    assert client.get("/api/nothing/here/").json() == {"errors": {"path": ["Nothing is published at this address."]}}
    assert client.get("/api/cases/not a slug/").status_code == 404
    assert client.get("/api/cases").status_code == 301
    response = client.post("/api/cases/")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert "method" in response.json()["errors"]


def test_responses_can_be_cached_and_revalidated(client, world):
    response = client.get("/api/cases/apples/")
    assert "max-age=300" in response["Cache-Control"]
    again = client.get("/api/cases/apples/", headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304


# Regions


def test_region_list_in_tree_order_with_filters(client, world):
    data = check(client.get("/api/regions/"), "/api/regions/")
    assert [r["code"] for r in data["results"]] == ["520000", "610000", "610200", "610222"]
    data = check(client.get("/api/regions/", {"level": "province"}), "/api/regions/")
    assert [r["code"] for r in data["results"]] == ["520000", "610000"]
    data = check(client.get("/api/regions/", {"parent": "610000"}), "/api/regions/")
    assert [r["slug"] for r in data["results"]] == ["tongchuan"]
    assert data["results"][0]["parent"] == "610000"
    assert data["results"][0]["path"] == ["610000", "610200"]


@pytest.mark.parametrize(
    "params, field",
    [({"level": "galaxy"}, "level"), ({"parent": "atlantis"}, "parent"), ({"parent": "\x00"}, "parent")],
)
def test_region_list_refuses_what_it_cannot_use(client, world, params, field):
    assert list(check(client.get("/api/regions/", params), "/api/regions/", 400)["errors"]) == [field]


@pytest.mark.parametrize("key", ["610000", "shaanxi"])
def test_region_detail_by_code_or_slug_counts_published_cases_below_it(client, world, key):
    data = check(client.get(f"/api/regions/{key}/"), "/api/regions/{key}/")
    # Apples names both Shaanxi and Yijun, and counts once; the hidden cases in Yijun do not count.
    assert data["case_count"] == 1
    assert data["ancestors"] == []
    assert [(child["slug"], child["case_count"]) for child in data["children"]] == [("tongchuan", 1)]
    yijun = check(client.get("/api/regions/yijun/"), "/api/regions/{key}/")
    assert [a["code"] for a in yijun["ancestors"]] == ["610000", "610200"]
    assert (yijun["case_count"], yijun["children"]) == (1, [])


def test_child_counts_are_per_child(client, world):
    shaanxi = world["shaanxi"]
    yanan = make_region(parent=shaanxi, name="Yan'an", slug="yanan", code="610600", level="prefecture")
    county = make_region(parent=yanan, name="Yanchuan", slug="yanchuan", code="610622")
    make_case(regions=[county])
    make_case(regions=[county, yanan])
    make_case(regions=[county], status=Case.Status.DRAFT)
    data = check(client.get("/api/regions/shaanxi/"), "/api/regions/{key}/")
    assert data["case_count"] == 3
    assert [(c["slug"], c["case_count"]) for c in data["children"]] == [("tongchuan", 1), ("yanan", 2)]


def test_unknown_region_is_a_json_404(client, world):
    check(client.get("/api/regions/999999/"), "/api/regions/{key}/", 404)


# Organizations and collections


def test_organizations_count_published_cases_only(client, world):
    data = check(client.get("/api/organizations/"), "/api/organizations/")
    counts = {item["slug"]: item["case_count"] for item in data["results"]}
    assert counts["alibaba"] == 1  # apples; not the four hidden cases
    assert counts["a-foundation"] == 2
    data = check(client.get("/api/organizations/", {"kind": "foundation"}), "/api/organizations/")
    assert slugs(data) == ["a-foundation"]
    check(client.get("/api/organizations/", {"kind": "pirate"}), "/api/organizations/", 400)


def test_organization_detail_counts_by_role(client, world):
    data = check(client.get("/api/organizations/a-foundation/"), "/api/organizations/{slug}/")
    assert data["case_count_by_role"] == {"assisting": 1, "partner": 1, "assisted": 0}
    assert data["cases_url"] == "http://testserver/api/cases/?organization=a-foundation"
    check(client.get("/api/organizations/nobody/"), "/api/organizations/{slug}/", 404)


def test_collections_list_their_published_cases_in_order(client, world):
    data = check(client.get("/api/collections/"), "/api/collections/")
    assert [(c["slug"], c["case_count"], c["announced_case_count"]) for c in data["results"]] == [
        ("first-batch", 1, 36)
    ]
    later = make_case(slug="later")
    CollectionEntry.objects.create(collection=world["collection"], case=later, number=3)
    data = check(client.get("/api/collections/first-batch/"), "/api/collections/{slug}/")
    assert [(c["number"], c["slug"]) for c in data["cases"]] == [(3, "later"), (12, "apples")]
    check(client.get("/api/collections/none/"), "/api/collections/{slug}/", 404)


# Nothing unpublished, anywhere


def test_no_endpoint_mentions_an_unpublished_case(client, world):
    addresses = ["/api/cases/?page_size=100", "/api/regions/", "/api/organizations/", "/api/collections/"]
    addresses += ["/api/regions/610222/", "/api/organizations/alibaba/", "/api/collections/first-batch/"]
    addresses += ["/api/cases/?region=yijun", "/api/cases/?q=hidden", "/api/cases/?commissioner=liu-yahui"]
    for address in addresses:
        response = client.get(address)
        assert response.status_code == 200, address
        assert "hidden" not in response.content.decode().lower(), address


# The description


def test_the_description_is_valid_openapi_31_and_served(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    validate_openapi(document)


def test_every_api_address_is_described():
    described = set(SPEC["paths"])
    routes = set()
    for pattern in api_urls.urlpatterns:
        if isinstance(pattern, URLPattern) and pattern.name:
            route = str(pattern.pattern).replace("<slug:", "{").replace(">", "}")
            routes.add("/api/" + route)
    assert routes == described


# Every documented parameter of every list, fed values a program might send by mistake or on purpose

NASTY = [
    "",
    "\x00",
    "a\x00b",
    "x" * 10_000,
    "-1",
    "0",
    "99999999999999999999999",
    "1e3",
    "1.5",
    "陕西",
    "🙂",
    "' OR 1=1 --",
]
LISTS = [path for path in SPEC["paths"] if not path.endswith("}/") and path != "/api/openapi.json"]


@pytest.mark.parametrize("path", LISTS)
def test_no_documented_parameter_value_gives_anything_but_a_described_answer(client, world, path):
    names = [p["name"] for p in SPEC["paths"][path]["get"]["parameters"]]
    for name in names:
        for value in NASTY:
            response = client.get(path, {name: value})
            assert response.status_code in (200, 400), (name, value[:20], response.status_code)
            check(response, path, response.status_code)
        response = client.get(f"{path}?{name}=%FF%FE")
        assert check(response, path, 400)["errors"] == {name: ["This value is not valid UTF-8 text."]}


@pytest.mark.parametrize(
    "path",
    ["/api/cases/apples/", "/api/regions/yijun/", "/api/organizations/alibaba/", "/api/collections/first-batch/"],
)
def test_details_refuse_parameters_they_do_not_have(client, world, path):
    template = {
        "/api/cases/apples/": "/api/cases/{slug}/",
        "/api/regions/yijun/": "/api/regions/{key}/",
        "/api/organizations/alibaba/": "/api/organizations/{slug}/",
        "/api/collections/first-batch/": "/api/collections/{slug}/",
    }[path]
    assert list(check(client.get(path, {"page": "2"}), template, 400)["errors"]) == ["page"]
    check(client.get(f"{path}?q=%FF"), template, 400)


def test_answers_made_of_published_cases_are_kept_until_the_data_changes(client, django_assert_num_queries):
    case = make_case(title="Kept answer")
    first = client.get("/api/cases/", {"page_size": 5}).json()
    assert [item["title"]["en"] for item in first["results"]] == ["Kept answer"]
    with django_assert_num_queries(0):
        again = client.get("/api/cases/", {"page_size": 5})
    assert again.json() == first and again["Content-Type"] == "application/json"
    client.get(f"/api/cases/{case.slug}/")
    with django_assert_num_queries(0):
        assert client.get(f"/api/cases/{case.slug}/").json()["title"]["en"] == "Kept answer"

    case.title = "Changed answer"
    case.save()  # a new version of the published data
    assert client.get("/api/cases/", {"page_size": 5}).json()["results"][0]["title"]["en"] == "Changed answer"
    assert client.get(f"/api/cases/{case.slug}/").json()["title"]["en"] == "Changed answer"


def test_errors_and_lists_of_places_are_answered_afresh(client):
    make_case()
    assert client.get("/api/cases/", {"region": "nowhere"}).status_code == 400
    assert client.get("/api/cases/no-such-case/").status_code == 404
    make_case(slug="no-such-case")
    assert client.get("/api/cases/", {"region": "nowhere"}).status_code == 400
    assert client.get("/api/cases/no-such-case/").status_code == 200
    before = client.get("/api/regions/").json()["count"]
    make_region()  # a new place is no change to the published cases
    assert client.get("/api/regions/").json()["count"] == before + 1

"""CSV of the filtered listing (/<lang>/cases.csv?<filters>): exactly the listing's published cases, streamed."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from casebook.cases.models import Case

from .factories import make_case, make_organization, make_region
from .test_api import FILTERS, listed_slugs, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def url(language="en"):
    with translation.override(language):
        return reverse("cases_csv")


def read(response):
    """The rows of a CSV response, after checking it is a streamed UTF-8 file with a byte order mark."""
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize("params", FILTERS, ids=lambda params: "&".join(f"{k}={v}" for k, v in params.items()))
def test_the_file_holds_exactly_what_the_listing_lists(client, world, params):
    with translation.override("en"):
        listing = client.get(reverse("cases:list"), params)
    rows = read(client.get(url(), params))
    assert [row[0] for row in rows[1:]] == listed_slugs(listing)


@pytest.mark.parametrize("query", ["q=quinoa", "q=quinoa&region=shaanxi"])
def test_the_file_of_a_search_lists_what_the_listing_pages_list(client, world, monkeypatch, query):
    """On PostgreSQL a search ranks its newest matches, then lists the others newest first: the file
    follows the listing's pages, not a ranking of every match (which outlasts the statement timeout for a
    word in half of 1,000,000 cases)."""
    from casebook.cases import facets
    from casebook.cases.views import CaseListView

    monkeypatch.setattr(facets, "RANK_CANDIDATES", 4)
    monkeypatch.setattr(CaseListView, "paginate_by", 3)
    for n in range(8):  # the older, the better ranked: a ranking of all eight differs from the listing's
        make_case(
            title=f"Quinoa {n}",
            summary="quinoa " * (n + 1),
            regions=[world["yijun"]],
            published_at=timezone.now() - timedelta(hours=n + 1),
        )
    listed = []
    for page in (1, 2, 3):
        listed += listed_slugs(client.get(f"{reverse('cases:list')}?{query}&page={page}"))
    assert len(listed) == 8
    assert [row[0] for row in read(client.get(f"{url()}?{query}"))[1:]] == listed


def test_one_row_per_case_with_its_columns(client, world):
    rows = read(client.get(url(), {"region": "shaanxi"}))
    assert rows[0] == [
        "Slug",
        "Title",
        "Type of assistance",
        "Regions",
        "Organizations",
        "Period",
        "Published on",
        "Address",
    ]
    apples = world["apples"]
    assert rows[1:] == [
        [
            "apples",
            "Apples of Yijun",
            apples.assistance_type.name,
            "Shaanxi; Yijun County",
            "Alibaba Group; A Foundation",
            "2019–2022",
            timezone.localdate(apples.published_at).isoformat(),
            "http://testserver/en/cases/apples/",
        ]
    ]


def test_the_chinese_file_is_in_chinese(client, world):
    response = client.get(url("zh-hans"), {"q": "宜君"})
    rows = read(response)
    assert rows[0][:2] == ["网址标识", "标题"]
    assert rows[1][1] == "宜君苹果"
    assert rows[1][-1] == "http://testserver/zh-hans/cases/apples/"
    assert 'filename="casebook-cases-zh-hans-' in response["Content-Disposition"]


def test_the_file_is_an_attachment_with_a_name(client, world):
    response = client.get(url())
    assert response["Content-Disposition"] == (
        f'attachment; filename="casebook-cases-en-{timezone.localdate().isoformat()}.csv"'
    )


def test_unpublished_cases_are_never_in_the_file(client, world):
    rows = read(client.get(url(), {"page_size": "100"}))
    assert sorted(row[0] for row in rows[1:]) == ["apples", "tea"]
    assert Case.objects.count() == 6


def test_a_page_number_does_not_cut_the_file(client, world):
    for _n in range(25):
        make_case()
    rows = read(client.get(url(), {"page": "2"}))
    assert len(rows) - 1 == Case.objects.published().count() == 27


def test_text_a_spreadsheet_would_run_as_a_formula_is_written_as_text(client):
    make_case(title='=HYPERLINK("https://evil.example","click")', slug="formula", regions=[make_region(name="+1")])
    row = read(client.get(url()))[1]
    assert row[1] == '\'=HYPERLINK("https://evil.example","click")'
    assert row[3] == "'+1"


def test_rows_stream_with_a_constant_number_of_queries(client, world):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            read(client.get(url()))
        return len(captured)

    few = queries()
    for _n in range(30):
        make_case(organizations=[make_organization()], regions=[world["yijun"]])
    assert queries() == few


@pytest.mark.parametrize(
    "query, field",
    [
        ("region=shaanxi%00", "region"),
        ("q=tea%00", "q"),
        ("q=" + "x" * 10_000, "q"),
        ("q=tea%FF", "q"),
        ("year=soon", "year"),
        ("sort=random", "sort"),
    ],
)
def test_a_filter_it_cannot_use_is_a_400_that_says_which(client, world, query, field):
    response = client.get(f"{url()}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{field}: ")


def test_the_listing_links_to_the_file_of_its_filters(client, world):
    with translation.override("en"):
        response = client.get(reverse("cases:list"), {"region": "shaanxi", "sort": "title"})
    assert f'href="{url()}?region=shaanxi&amp;sort=title" download' in response.content.decode()


@pytest.mark.parametrize("query", ["", "region=shaanxi", "q=quinoa"])
def test_a_list_longer_than_a_file_holds_is_a_400_that_says_so_and_the_listing_offers_no_file(
    client, world, settings, query
):
    """A file is written while a worker waits: one that could not be finished is refused, never cut short."""
    for n in range(3):
        make_case(title=f"Quinoa {n}", summary="quinoa", regions=[world["shaanxi"]])
    listed = client.get(f"{reverse('cases:list')}?{query}")
    total = listed.context["paginator"].count
    assert total >= 3

    settings.CASEBOOK_CSV_MAX_ROWS = total
    assert len(read(client.get(f"{url()}?{query}"))) == total + 1
    assert f'href="{url()}' in client.get(f"{reverse('cases:list')}?{query}&page=1").content.decode()

    settings.CASEBOOK_CSV_MAX_ROWS = total - 1
    cache.clear()  # the listing page is kept whole; in production the limit does not change while it runs
    response = client.get(f"{url()}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert f"These filters list {total} cases; a file holds at most {total - 1}." in response.content.decode()
    page = client.get(f"{reverse('cases:list')}?{query}&page=1").content.decode()
    assert f'href="{url()}' not in page
    assert f"A CSV file holds at most {total - 1} cases" in page
    with translation.override("zh-hans"):
        answer = client.get(f"{reverse('cases_csv')}?{query}").content.decode()
    assert f"一个文件最多容纳{total - 1}个" in answer

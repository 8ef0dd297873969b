"""The public case page (/cases/<slug>/) and the error pages."""

import html
import re
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import caches
from django.db import connection
from django.template.loader import get_template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from casebook.cases.models import Case, CollectionEntry, Metric, Participation
from casebook.regions.models import Region

from .factories import (
    image_upload,
    make_case,
    make_collection,
    make_commissioner,
    make_figure,
    make_initiative,
    make_metric,
    make_organization,
    make_outcome,
    make_posting,
    make_region,
    make_source,
    make_theme,
    make_type,
)

with translation.override("en"):
    LIST_URL = reverse("cases:list")  # /en/cases/: the tests read the English pages


def text(response):
    """The page as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    content = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(content))


@pytest.fixture
def yijun_case(db):
    """The first real case, with every part a case page shows."""
    shaanxi = make_region(name="Shaanxi", slug="shaanxi", code="610000")
    tongchuan = make_region(parent=shaanxi, name="Tongchuan", slug="tongchuan", code="610200")
    yijun = make_region(parent=tongchuan, name="Yijun County", slug="yijun", code="610222")
    guizhou = make_region(name="Guizhou", slug="guizhou", code="520000")
    puan = make_region(parent=guizhou, name="Pu'an County", slug="puan", code="522323")
    nrra = make_organization(name="National Rural Revitalization Administration", slug="nrra")
    alibaba = make_organization(name="Alibaba Group", slug="alibaba")
    county = make_organization(name="Yijun County government", slug="yijun-gov")
    case = make_case(
        title="A county distribution center for Yijun",
        slug="alibaba-yijun",
        summary="Alibaba helped Yijun County sell farm products online.",
        start_year=2019,
        end_year=2021,
        assistance_type=make_type(name="Assistance from enterprises and social organizations", slug="enterprise"),
        regions=[yijun, puan],
        themes=[make_theme(name="E-commerce", slug="e-commerce"), make_theme(name="Tea", slug="tea")],
        background="Farm products in **Yijun** sold poorly.",
        approach="- Built the *Cainiao County Distribution Center*\n- Opened online stores",
        results="More than RMB 100 million sold in 2021.",
        lessons="> Logistics first.",
    )
    Participation.objects.create(case=case, organization=alibaba, role=Participation.Role.ASSISTING)
    Participation.objects.create(case=case, organization=county, role=Participation.Role.ASSISTED, note="Runs it.")
    liu = make_commissioner(
        name="Liu Yahui", slug="liu-yahui", organization=alibaba, title="Rural revitalization commissioner"
    )
    make_posting(liu, yijun, start_year=2019)
    case.commissioners.add(liu)
    case.initiatives.add(make_initiative(name="Better Design, Better County", organization=alibaba))
    batch = make_collection(
        title="Typical cases (first batch)",
        short_title="NRRA first batch (2022)",
        slug="nrra-first-batch",
        publisher=nrra,
        published_on=date(2022, 10, 24),
        case_count=36,
    )
    CollectionEntry.objects.create(collection=batch, case=case, number=12)
    source = make_source(
        title="Alibaba selected as a typical case",
        slug="alibaba-selected",
        publisher=alibaba,
        published_on=date(2022, 11, 7),
        url="https://www.alibabagroup.com/en-US/document-1",
        text="First paragraph of the source.\n\nSecond paragraph, with <b>markup</b> kept as text.",
    )
    case.sources.add(source)
    price = make_metric(name="Price", unit="RMB", display_format="RMB {value}", higher_is_better=False)
    rank = make_metric(name="Rank", kind=Metric.Kind.RANK, unit="rank", higher_is_better=False)
    make_outcome(
        case,
        indicator="Price of 0.5 kg of corn grits",
        metric=price,
        value=Decimal("5.8"),
        year=2021,
        baseline_value=16,
        baseline_year=2019,
        note="Shipping about RMB 10 cheaper.",
        source=source,
        order=1,
    )
    make_outcome(
        case,
        indicator="Yijun apples in the sales ranking",
        metric=rank,
        value=13,
        year=2021,
        baseline_value=660,
        baseline_year=2019,
        order=2,
    )
    make_outcome(case, indicator="Online stores opened", metric=make_metric(unit="stores"), value=100, order=3)
    make_figure(
        case,
        caption="Figure 1 Cainiao County Distribution Center in Yijun County",
        alt_text="Parcels on a conveyor belt in a warehouse",
        credit="Alibaba Group",
        image=image_upload("center.jpg", format="JPEG", size=(1200, 800)),
    )
    return case


def test_case_page_shows_every_part(client, yijun_case):
    response = client.get(yijun_case.get_absolute_url())
    assert response.status_code == 200
    page = text(response)
    content = response.content.decode()

    assert "<h1>A county distribution center for Yijun</h1>" in content
    assert "Alibaba helped Yijun County sell farm products online." in page
    assert "Period 2019 – 2021" in page
    assert "Type of assistance Assistance from enterprises and social organizations" in page
    assert "Shaanxi › Tongchuan › Yijun County" in page
    assert "Guizhou › Pu'an County" in page
    assert "Themes E-commerce , Tea" in page
    assert "Alibaba Group (assisting)" in page
    assert "Yijun County government (assisted) : Runs it." in page
    assert "Liu Yahui , Rural revitalization commissioner, Alibaba Group ; posted in Yijun County from 2019" in page
    assert "Initiative Better Design, Better County" in page
    assert "Case 12 of 36 in NRRA first batch (2022) , published by National Rural" in page
    assert "24 October 2022" in page
    for heading in ["Background", "What was done", "Results", "Lessons", "Figures", "Outcomes in numbers", "Sources"]:
        assert f">{heading}</h2>" in content
    assert "Alibaba selected as a typical case" in page


def test_every_filterable_value_links_to_the_filtered_listing_or_its_page(client, yijun_case):
    content = client.get(yijun_case.get_absolute_url()).content.decode()
    for query in ["type=enterprise", "theme=tea", "theme=e-commerce", "year=2019", "year=2021"]:
        assert f'href="{LIST_URL}?{query}"' in content, query
    # Places, organizations, commissioners and collections have their own pages, which lead on to the listing.
    for address in [
        "/en/regions/shaanxi/",
        "/en/regions/tongchuan/",
        "/en/regions/yijun/",
        "/en/regions/puan/",
        "/en/organizations/alibaba/",
        "/en/organizations/yijun-gov/",
        "/en/collections/nrra-first-batch/",
        "/en/commissioners/liu-yahui/",
    ]:
        assert f'href="{address}"' in content, address


def six_levels_down():
    """A village with all five levels above it: as deep as the region tree goes."""
    region = None
    for level in Region.Level:
        region = make_region(parent=region, name=level.label, level=level)
    return region


def test_a_region_trail_goes_up_to_the_top_of_the_tree(client, yijun_case):
    yijun_case.regions.add(six_levels_down())
    page = text(client.get(yijun_case.get_absolute_url()))
    assert "Country › Province › Prefecture / city › County / district › Township › Village" in page


def test_outcomes_read_before_after_and_change(client, yijun_case):
    page = text(client.get(yijun_case.get_absolute_url()))
    assert "Price of 0.5 kg of corn grits RMB 16 in 2019 RMB 5.8 in 2021 −64% ✓ better Shipping about RMB 10" in page
    assert "Yijun apples in the sales ranking 660th in 2019 13th in 2021 647 places up ✓ better" in page
    assert "Online stores opened — not given 100 stores in 2021 — no baseline to compare" in page


def test_an_outcome_that_got_worse_says_so_in_words(client, db):
    case = make_case()
    make_outcome(case, metric=make_metric(unit="kg"), value=10, year=2021, baseline_value=50, baseline_year=2019)
    content = client.get(case.get_absolute_url()).content.decode()
    assert '<span class="change">−80%</span>' in content
    assert '<span aria-hidden="true">✗</span> worse</span>' in content
    assert "better</span>" not in content


def test_outcome_source_links_to_the_case_sources_or_to_its_page(client, yijun_case):
    elsewhere = make_source(title="A county yearbook", url="https://example.org/yearbook")
    make_outcome(yijun_case, indicator="Tea sold", source=elsewhere)
    content = client.get(yijun_case.get_absolute_url()).content.decode()
    assert '<a href="#source-alibaba-selected" title="Alibaba selected as a typical case">' in content
    assert 'id="source-alibaba-selected"' in content
    assert '<a href="https://example.org/yearbook">A county yearbook</a>' in content


def test_narrative_markdown_is_rendered_and_sanitized(client, db):
    case = make_case(
        background="Sold **poorly**.\n\n<script>alert('x')</script>\n\n"
        "[bad link](javascript:alert(1)) and [good link](https://example.com/a)\n\n"
        '<img src="x" onerror="alert(1)"> <a href="http://ok.example" onclick="alert(1)">raw</a>\n\n'
        "### A subheading",
    )
    content = client.get(case.get_absolute_url()).content.decode()
    assert "<strong>poorly</strong>" in content
    assert "<script>" not in content and "alert(" not in content
    assert "javascript:" not in content
    assert "onerror" not in content and "onclick" not in content and "<img" not in content
    assert "<p>bad link and " in content
    assert '<a href="https://example.com/a" rel="nofollow noopener">good link</a>' in content
    assert '<a href="http://ok.example" rel="nofollow noopener">raw</a>' in content
    assert "<h3>A subheading</h3>" in content


def test_source_with_a_javascript_url_is_not_linked(client, db):
    case = make_case()
    case.sources.add(make_source(title="Dubious", url="javascript:alert(1)"))  # bypasses URLField validation
    content = client.get(case.get_absolute_url()).content.decode()
    assert "javascript:" not in content
    assert "<cite>Dubious</cite>" in content


def test_source_full_text_keeps_its_paragraphs_in_a_details_element(client, yijun_case):
    content = client.get(yijun_case.get_absolute_url()).content.decode()
    details = re.search(r"<details>.*?</details>", content, re.S).group(0)
    assert "<summary>Full text" in details
    assert "<p>First paragraph of the source.</p>" in details
    assert "<p>Second paragraph, with &lt;b&gt;markup&lt;/b&gt; kept as text.</p>" in details
    assert re.search(r'<time datetime="2022-11-07">7 November 2022</time>', content)


@pytest.mark.parametrize(
    ("number", "case_count", "expected"),
    [
        (12, 36, "Case 12 of 36 in NRRA first batch (2022)"),
        (None, 36, "One of 36 cases in NRRA first batch (2022)"),
        (12, None, "Case 12 in NRRA first batch (2022)"),
        (None, None, "In NRRA first batch (2022)"),
    ],
)
def test_collection_membership_reads_naturally(client, db, number, case_count, expected):
    case = make_case()
    batch = make_collection(short_title="NRRA first batch (2022)", case_count=case_count)
    CollectionEntry.objects.create(collection=batch, case=case, number=number)
    assert expected in text(client.get(case.get_absolute_url()))


def test_figure_has_alt_text_size_srcset_caption_and_credit(client, yijun_case):
    content = client.get(yijun_case.get_absolute_url()).content.decode()
    figure = re.search(r'<figure class="figure">.*?</figure>', content, re.S).group(0)
    assert 'alt="Parcels on a conveyor belt in a warehouse"' in figure
    assert 'width="1200" height="800"' in figure
    assert re.search(r'srcset="/media/renditions/\S+-w480\.jpg 480w, /media/renditions/\S+-w960\.jpg 960w"', figure)
    assert "Figure 1 Cainiao County Distribution Center in Yijun County" in figure
    assert "Credit: Alibaba Group" in figure


def test_missing_image_file_shows_a_placeholder_not_an_error(client, db):
    case = make_case()
    figure = make_figure(case, alt_text="Farmers holding apples", caption="Figure 2 Apples")
    figure.image.storage.delete(figure.image.name)
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    content = response.content.decode()
    assert '<div class="figure-missing" role="img" aria-label="Farmers holding apples">' in content
    assert "Image not available." in content
    assert "Figure 2 Apples" in content
    assert "<img" not in content


@pytest.mark.parametrize(
    "status_and_time",
    [
        (Case.Status.DRAFT, None),
        (Case.Status.REVIEW, None),
        (Case.Status.WITHDRAWN, -1),
        (Case.Status.PUBLISHED, +1),  # scheduled for tomorrow
    ],
)
def test_unpublished_case_is_a_404_like_a_slug_that_does_not_exist(client, db, status_and_time):
    status, days = status_and_time
    published_at = timezone.now() + timedelta(days=days) if days else None
    case = make_case(title="Secret case", slug="secret", status=status, published_at=published_at)
    response = client.get(case.get_absolute_url())
    missing = client.get(reverse("cases:detail", kwargs={"slug": "nothing-here"}))
    assert response.status_code == missing.status_code == 404
    # The same page but for the address itself, which the language links repeat.
    assert response.content.decode().replace("/secret/", "/nothing-here/") == missing.content.decode()
    assert "Secret case" not in response.content.decode()


def cold_page(client, case):
    """The case page as an anonymous visitor gets it with every cache empty, and the queries it took."""
    client.get(case.get_absolute_url())  # the connection's own first checks, which are not the page's
    for cache in caches.all():
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    return response, len(captured)


def test_case_page_takes_the_same_few_queries_with_one_or_thirty_figures_and_outcomes(client, yijun_case):
    one, small = cold_page(client, yijun_case)
    assert one.content.decode().count('<figure class="figure">') == 1
    for n in range(29):
        make_figure(yijun_case)
        make_outcome(yijun_case, baseline_value=n, baseline_year=2020, region=make_region(), source=make_source())
    # More of every other part too (a few are enough to show that none is read once per item).
    villages = [six_levels_down() for _ in range(4)]
    yijun_case.regions.add(*villages)
    for village in villages:
        commissioner = make_commissioner()
        make_posting(commissioner, village, start_year=2020)
        make_posting(commissioner, make_region(), start_year=2021)
        yijun_case.commissioners.add(commissioner)
        Participation.objects.create(case=yijun_case, organization=make_organization())
        CollectionEntry.objects.create(case=yijun_case, collection=make_collection())
        yijun_case.themes.add(make_theme())
        yijun_case.initiatives.add(make_initiative())
        yijun_case.sources.add(make_source(publisher=make_organization()))
        make_case(regions=[village])  # a related case
    thirty, large = cold_page(client, yijun_case)
    content = thirty.content.decode()
    assert content.count('<figure class="figure">') == 30
    assert content.count('<li class="trail">') == 6
    assert content.count('<span class="role">') == 6
    assert content.count("posted in") == 5
    assert large == small <= 6


# The kept page: a public case's page is rendered once per version of the published data


def test_a_public_case_page_is_kept_and_then_read_without_the_database(client, yijun_case):
    first = client.get(yijun_case.get_absolute_url())
    with CaptureQueriesContext(connection) as captured:
        again = client.get(yijun_case.get_absolute_url())
    assert len(captured) == 0
    assert again.content == first.content
    assert again.templates == []  # kept whole: not even base.html is rendered
    # With a query string, the links to the other languages keep it: the page is made around the kept parts.
    with CaptureQueriesContext(connection) as captured:
        tagged = client.get(yijun_case.get_absolute_url() + "?from=feed")
    assert len(captured) == 0
    assert re.search(r'<a href="/zh-hans/cases/[^"?]+/\?from=feed" hreflang="zh-Hans"', tagged.content.decode())
    assert "from=feed" not in client.get(yijun_case.get_absolute_url()).content.decode()
    # Each language has its own page.
    yijun_case.title_zh_hans = "宜君县的县域物流中心"
    yijun_case.save()
    with translation.override("zh-hans"):
        chinese = client.get(yijun_case.get_absolute_url())
    assert "<h1>宜君县的县域物流中心</h1>" in chinese.content.decode()
    assert (
        "<h1>A county distribution center for Yijun</h1>" in client.get(yijun_case.get_absolute_url()).content.decode()
    )


def rename(model_object, field, value):
    setattr(model_object, field, value)
    model_object.save()


# Each edit changes something the case page shows, through a model the search index does not read
# (or reads only for some of its rows); each must end the kept page.
EDITS = {
    "source title": lambda case: rename(case.sources.get(), "title", "A renamed source"),
    "source added": lambda case: case.sources.add(make_source(title="A renamed source")),
    "initiative": lambda case: rename(case.initiatives.get(), "name", "A renamed source"),
    "initiative added": lambda case: case.initiatives.add(make_initiative(name="A renamed source")),
    "posting": lambda case: rename(case.commissioners.get().postings.get(), "end_year", 2099),
    "commissioner's organization": lambda case: rename(
        case.commissioners.get().organization, "name", "A renamed source"
    ),
    "collection publisher": lambda case: rename(
        case.collection_entries.get().collection.publisher, "name", "A renamed source"
    ),
    "collection entry": lambda case: rename(case.collection_entries.get(), "number", 2099),
    "metric": lambda case: rename(Metric.objects.get(name="Price"), "display_format", "A renamed source {value}"),
    "outcome": lambda case: rename(case.outcomes.get(order=3), "indicator", "A renamed source"),
    "figure": lambda case: rename(case.figures.get(), "caption", "A renamed source"),
    "place": lambda case: rename(Region.objects.get(slug="tongchuan"), "name", "A renamed source"),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_every_edit_the_case_page_shows_ends_the_kept_page(client, yijun_case, edit):
    client.get(yijun_case.get_absolute_url())  # kept now
    EDITS[edit](yijun_case)
    page = text(client.get(yijun_case.get_absolute_url()))
    assert "A renamed source" in page or "2099" in page


def test_a_case_withdrawn_after_its_page_was_kept_is_gone_at_once(client, yijun_case):
    assert client.get(yijun_case.get_absolute_url()).status_code == 200
    yijun_case.status = Case.Status.WITHDRAWN
    yijun_case.save()
    assert client.get(yijun_case.get_absolute_url()).status_code == 404


def test_a_staff_preview_is_never_kept_for_the_public(admin_client, db):
    visitor = Client()  # admin_client is the test's client, logged in
    draft = make_case(title="Secret case", slug="secret", status=Case.Status.DRAFT)
    preview = admin_client.get(draft.get_absolute_url())
    assert preview.status_code == 200
    assert "Not published — preview" in preview.content.decode()
    assert preview["X-Robots-Tag"] == "noindex"
    assert visitor.get(draft.get_absolute_url()).status_code == 404
    # A staff member reading a public case's kept page reads the public page.
    public = make_case(title="Public case")
    visitor.get(public.get_absolute_url())
    assert "preview" not in admin_client.get(public.get_absolute_url()).content.decode()


def test_a_scheduled_case_page_appears_when_its_time_comes(client, db):
    now = timezone.now()
    scheduled = make_case(title="Scheduled case", published_at=now + timedelta(hours=1))
    assert client.get(scheduled.get_absolute_url()).status_code == 404
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(hours=2)):
        assert client.get(scheduled.get_absolute_url()).status_code == 200


def test_each_host_keeps_its_own_page(client, yijun_case, settings):
    settings.ALLOWED_HOSTS = ["one.example", "two.example"]
    for host in settings.ALLOWED_HOSTS:
        content = client.get(yijun_case.get_absolute_url(), headers={"host": host}).content.decode()
        assert f'<link rel="canonical" href="http://{host}/en/cases/alibaba-yijun/">' in content


# Error pages


def test_404_page_explains_and_leads_on(client, db):
    response = client.get("/en/no/such/page/")
    assert response.status_code == 404
    page = text(response)
    assert "Page not found" in page
    assert "There is nothing at this address." in page
    assert f'href="{LIST_URL}">Browse all cases</a>' in response.content.decode()


def test_400_page_renders_for_a_bad_request(client, db):
    response = client.get("/en/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.content.decode()


def test_500_page_renders_when_a_view_fails(client, db, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    content = response.content.decode()
    assert "Something went wrong on our side" in content
    assert "A deliberate failure" not in content


def test_error_templates_render_without_a_request_or_a_database():
    # No db fixture: any query would fail the test.
    assert "Something went wrong on our side" in get_template("500.html").render()
    assert "Bad request" in get_template("400.html").render()

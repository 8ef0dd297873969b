"""The statistics page (/outcomes/) and the case page's before → after chart: SVG drawn on the server, with text."""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from casebook.cases.charts import wrap
from casebook.cases.models import Case, Metric, Outcome

from .factories import make_case, make_metric, make_outcome, make_region, make_type

pytestmark = pytest.mark.django_db


def outcomes_page(client, language="en"):
    with translation.override(language):
        return client.get(reverse("cases:outcomes"))


def svg(content, chart_id):
    match = re.search(
        rf'<svg class="chart"[^>]*aria-labelledby="{chart_id}-title {chart_id}-desc">.*?</svg>', content, re.S
    )
    assert match, chart_id
    return match.group(0)


def description(chart):
    return html.unescape(re.search(r"<desc [^>]*>(.*?)</desc>", chart, re.S).group(1))


def bar_widths(chart, css):
    return [float(width) for width in re.findall(rf'<rect class="{css}" x="0" y="\d+" width="([\d.]+)%"', chart)]


@pytest.fixture
def published_and_hidden():
    shaanxi = make_region(name="Shaanxi", slug="shaanxi")
    county = make_region(parent=shaanxi, name="Yijun County")
    gansu = make_region(name="Gansu", slug="gansu")
    enterprise = make_type(name="Enterprises", slug="enterprise")
    partner = make_type(name="Partner provinces", slug="partner")
    sales = make_metric(name="Online sales", slug="sales", unit="RMB", display_format="RMB {value}")
    rank = make_metric(name="Sales rank", slug="rank", kind=Metric.Kind.RANK, unit="", higher_is_better=False)
    first = make_case(assistance_type=enterprise, regions=[county])
    second = make_case(assistance_type=enterprise, regions=[shaanxi, county])
    third = make_case(assistance_type=partner, regions=[gansu])
    make_outcome(first, metric=sales, value=300, baseline_value=100, baseline_year=2019)
    make_outcome(second, metric=sales, value=50, baseline_value=80, baseline_year=2019)
    make_outcome(third, metric=sales, value=1000)  # no baseline: counts in the total only
    make_outcome(first, metric=rank, value=13, baseline_value=660, baseline_year=2019)
    make_outcome(second, metric=rank, value=7, baseline_value=20, baseline_year=2019)
    draft = make_case(status=Case.Status.DRAFT, assistance_type=partner, regions=[gansu])
    make_outcome(draft, metric=sales, value=10**6, baseline_value=1, baseline_year=2019)
    return first, second, third


def test_cases_by_province_chart_has_bars_and_the_same_numbers_as_text(client, published_and_hidden):
    content = outcomes_page(client).content.decode()
    chart = svg(content, "chart-provinces")
    assert description(chart) == "Shaanxi: 2; Gansu: 1"
    assert bar_widths(chart, "bar-main") == [100.0, 50.0]
    assert 'role="img"' in chart
    assert '<title id="chart-provinces-title">Cases by province</title>' in chart
    table = re.search(r"<table class=\"data-table\">.*?</table>", content, re.S).group(0)
    assert re.search(r'\?region=shaanxi">Shaanxi</a></th><td class="number">2</td>', table)
    assert re.search(r'\?region=gansu">Gansu</a></th><td class="number">1</td>', table)


def test_cases_by_type_chart_excludes_drafts(client, published_and_hidden):
    chart = svg(outcomes_page(client).content.decode(), "chart-types")
    assert description(chart) == "Enterprises: 2; Partner provinces: 1"


def test_quantity_metric_totals_and_change_across_cases(client, published_and_hidden):
    content = outcomes_page(client).content.decode()
    chart = svg(content, "metric-sales")
    # Before: 100 + 80 = 180; after: 300 + 50 = 350 (+94%); the case without a baseline is not compared.
    assert "Total before: RMB 180" in chart
    assert "Total after: RMB 350 (+94%, better)" in chart
    assert "Improved: 1, worse: 1, unchanged: 0" in chart
    assert bar_widths(chart, "bar-before") == [pytest.approx(51.43)]
    assert bar_widths(chart, "bar-better") == [100.0]
    section = re.search(r'<section class="metric" aria-labelledby="metric-sales-heading">.*?</section>', content, re.S)
    table = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section.group(0))))
    assert "Cases 3 Outcomes 3 Total of the latest values RMB 1,350" in table
    assert "Total before RMB 180 Total after RMB 350 Change +94% Improved 1 Worse 1 Unchanged 0" in table
    assert "1000000" not in content and "1,000,000" not in content  # the draft's outcome


def test_rank_metric_averages_places_and_lower_is_better(client, published_and_hidden):
    content = outcomes_page(client).content.decode()
    chart = svg(content, "metric-rank")
    # Average place before (660 + 20) / 2 = 340th; after (13 + 7) / 2 = 10th: both improved.
    assert "Average before: 340th" in chart
    assert "Average after: 10th (330 places up, better)" in chart
    assert "Improved: 2, worse: 0, unchanged: 0" in chart
    # Drawn as standing: the better (smaller) rank has the longer bar, in the colour of an improvement:
    # (340 − 10 + 1) / 340 of the width, against (340 − 340 + 1) / 340.
    assert bar_widths(chart, "bar-better") == [97.35]
    assert bar_widths(chart, "bar-before")[0] < 1
    assert "Total of the latest values" not in re.search(
        r'<section class="metric" aria-labelledby="metric-rank-heading">.*?</section>', content, re.S
    ).group(0)


def test_outcomes_page_in_chinese_uses_chinese_formats(client, published_and_hidden):
    Metric.objects.filter(slug="sales").update(display_format_zh_hans="{value}元", name_zh_hans="网络销售额")
    content = outcomes_page(client, "zh-hans").content.decode()
    assert "网络销售额" in content
    assert "180元" in content


def test_outcomes_page_with_no_data_says_so(client):
    response = outcomes_page(client)
    assert response.status_code == 200
    assert "<svg" not in response.content.decode()
    assert "No published case reports outcomes in numbers yet." in response.content.decode()


def test_outcomes_page_runs_a_constant_number_of_queries(client, django_assert_num_queries, published_and_hidden):
    with django_assert_num_queries(7):
        outcomes_page(client)
    make_outcome(make_case(), metric=make_metric(), value=1, baseline_value=2, baseline_year=2020)
    with django_assert_num_queries(7):  # the new case and outcome made the cached counts out of date
        outcomes_page(client)
    with django_assert_num_queries(3):  # the metrics, types and provinces; every count from the cache
        outcomes_page(client)


def test_svg_has_no_style_attributes_and_no_script(client, published_and_hidden):
    content = outcomes_page(client).content.decode()
    assert " style=" not in content
    assert "<script" not in content


# The case page's chart


def test_case_page_chart_shows_each_outcome_before_and_after(client, published_and_hidden):
    first = published_and_hidden[0]
    content = client.get(first.get_absolute_url()).content.decode()
    chart = svg(content, "outcomes-chart")
    assert "2019: RMB 100" in chart
    assert "2021: RMB 300 (+200%, better)" in chart
    assert "2019: 660th" in chart
    assert "2021: 13th (647 places up, better)" in chart
    assert bar_widths(chart, "bar-better") == [100.0, 98.18]  # 13th of 660: (660 − 13 + 1) / 660
    assert "Indicator" in description(chart)
    # The table stays: it is the chart's text alternative and has every figure.
    assert '<table class="outcomes">' in content


def test_case_page_chart_marks_a_worse_outcome(client, published_and_hidden):
    second = published_and_hidden[1]
    chart = svg(client.get(second.get_absolute_url()).content.decode(), "outcomes-chart")
    assert "2021: RMB 50 (−38%, worse)" in chart
    assert bar_widths(chart, "bar-worse") == [62.5]


def test_case_without_baselines_has_no_chart(client):
    case = make_case()
    make_outcome(case, value=5)
    content = client.get(case.get_absolute_url()).content.decode()
    assert '<table class="outcomes">' in content
    assert "<svg" not in content


def test_price_metric_lower_is_better(client):
    case = make_case()
    price = make_metric(name="Price", higher_is_better=False)
    make_outcome(case, metric=price, value=Decimal("5.8"), baseline_value=16, baseline_year=2019)
    chart = svg(client.get(case.get_absolute_url()).content.decode(), "outcomes-chart")
    assert bar_widths(chart, "bar-better") == [36.25]


def test_outcomes_with_qualifiers_are_noted(client):
    make_outcome(make_case(), value=100, qualifier=Outcome.Qualifier.MORE_THAN)
    assert "1 outcome is approximate" in html.unescape(outcomes_page(client).content.decode())


# Wrapping labels


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("Shaanxi: 12", ["Shaanxi: 12"]),
        (
            "Assistance from enterprises and social organizations: 12",
            ["Assistance from enterprises and social", "organizations: 12"],
        ),
        (
            "企业和社会组织帮扶企业和社会组织帮扶企业和社会组织帮扶：12",
            ["企业和社会组织帮扶企业和社会组织帮扶企", "业和社会组织帮扶：12"],
        ),
        # Closing punctuation never starts a line: it goes with the character before it.
        ("2021年：超过500,000公斤（×10,000，向好）", ["2021年：超过500,000公斤（×10,000，向", "好）"]),
    ],
)
def test_long_labels_wrap_to_fit_a_phone(text, lines):
    assert wrap(text) == lines

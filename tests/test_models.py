from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from casebook.cases.models import Case, Metric
from casebook.regions.models import Region

from .factories import make_case, make_metric, make_outcome, make_region

pytestmark = pytest.mark.django_db


def test_region_path_follows_the_tree():
    province = make_region(code="610000", slug="shaanxi")
    city = make_region(parent=province, code="610200", slug="tongchuan")
    county = make_region(parent=city, code="610222", slug="yijun")
    assert county.path == "/610000/610200/610222/"
    assert list(Region.objects.descendants_of(province)) == [province, city, county]
    assert list(Region.objects.ancestors_of(county)) == [province, city]


def test_moving_a_region_moves_its_descendants():
    a = make_region(code="610000")
    b = make_region(code="520000")
    city = make_region(parent=a, code="610200")
    county = make_region(parent=city, code="610222")
    city.parent = b
    city.save()
    county.refresh_from_db()
    assert county.path == "/520000/610200/610222/"


def test_region_cannot_be_moved_inside_itself():
    a = make_region(code="610000")
    child = make_region(parent=a, code="610200")
    a.parent = child
    with pytest.raises(ValidationError, match="inside itself"):
        a.full_clean()


def test_case_in_province_includes_counties_once():
    province = make_region()
    county = make_region(parent=make_region(parent=province))
    case = make_case(regions=[province, county])
    other = make_case(regions=[make_region()])
    found = list(Case.objects.in_region(province))
    assert found == [case]
    assert other not in found


def test_published_excludes_drafts_withdrawn_and_future():
    visible = make_case()
    make_case(status=Case.Status.DRAFT)
    make_case(status=Case.Status.REVIEW)
    make_case(status=Case.Status.WITHDRAWN, published_at=timezone.now())
    make_case(published_at=timezone.now() + timezone.timedelta(hours=1))
    assert list(Case.objects.published()) == [visible]


def test_published_case_needs_publication_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_case(status=Case.Status.PUBLISHED, published_at=None)


def test_period_cannot_end_before_it_starts():
    case = make_case(start_year=2021)
    case.end_year = 2019
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        case.full_clean()


def test_active_in_year_covers_the_period():
    ranged = make_case(start_year=2019, end_year=2022)
    single = make_case(start_year=2021)
    assert set(Case.objects.active_in(2021)) == {ranged, single}
    assert set(Case.objects.active_in(2020)) == {ranged}
    assert set(Case.objects.active_in(2023)) == set()


def test_price_change_reads_as_percent():
    price = make_metric(unit="RMB", display_format="RMB {value}", higher_is_better=False)
    outcome = make_outcome(
        make_case(), metric=price, value=Decimal("5.8"), year=2022, baseline_value=16, baseline_year=2019
    )
    assert outcome.display_value == "RMB 5.8"
    assert outcome.display_baseline == "RMB 16"
    assert outcome.change == "−64%"
    assert outcome.improved is True


def test_rank_change_reads_as_places():
    rank = make_metric(kind=Metric.Kind.RANK, unit="rank", higher_is_better=False)
    outcome = make_outcome(make_case(), metric=rank, value=13, year=2021, baseline_value=660, baseline_year=2019)
    assert (outcome.display_baseline, outcome.display_value) == ("660th", "13th")
    assert outcome.change == "647 places up"
    assert outcome.improved is True


def test_large_growth_reads_as_a_multiple():
    kg = make_metric(unit="kg")
    outcome = make_outcome(
        make_case(), metric=kg, value=500000, qualifier="more-than", year=2021, baseline_value=50, baseline_year=2019
    )
    assert outcome.display_value == "more than 500,000 kg"
    assert outcome.change == "×10,000"


def test_baseline_needs_a_year_not_after_the_value():
    outcome = make_outcome(make_case())
    outcome.baseline_value = 3
    with pytest.raises(ValidationError, match="year of the baseline"):
        outcome.full_clean()
    outcome.baseline_year = outcome.year + 1
    with pytest.raises(ValidationError, match="cannot come after"):
        outcome.full_clean()


def test_metric_display_format_is_checked():
    metric = make_metric()
    metric.display_format = "RMB {amount}"
    with pytest.raises(ValidationError):
        metric.full_clean()


def test_search_finds_either_language_whatever_the_reader_reads():
    case = make_case(title_en="Apples of Yijun go online", title_zh_hans="宜君苹果上网销售", summary_en="Corn grits.")
    make_case(title_en="Tea of Pu'an", title_zh_hans="普安茶")
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert list(Case.objects.search("宜君")) == [case]
            assert list(Case.objects.search("苹果")) == [case]
            assert list(Case.objects.search("apples")) == [case]
            assert list(Case.objects.search("corn GRITS")) == [case]


def test_values_read_in_each_language_without_borrowing_the_other_format():
    price = make_metric(
        unit_en="RMB", display_format_en="RMB {value}", unit_zh_hans="元", display_format_zh_hans="{value}元/斤"
    )
    rank = make_metric(kind=Metric.Kind.RANK, display_format_zh_hans="第{value}名", display_format_en="")
    with translation.override("en"):
        assert (price.format_value(Decimal("5.8")), rank.format_value(660)) == ("RMB 5.8", "660th")
    with translation.override("zh-hans"):
        assert (price.format_value(Decimal("5.8")), rank.format_value(660)) == ("5.8元/斤", "第660名")

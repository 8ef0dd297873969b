"""The seed data: every fact of the first-batch announcement, loadable, and reloadable without change."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from casebook.cases.images import validate_image
from casebook.cases.models import Case, Collection, Figure, Outcome, Source
from casebook.regions.models import Region

pytestmark = pytest.mark.django_db

FIXTURES_DIR = settings.BASE_DIR / "fixtures"
ANNOUNCEMENT = "sources/2022-11-07-first-batch-announcement.txt"
SHARED_ANNOUNCEMENT = settings.BASE_DIR.parent / "shared" / ANNOUNCEMENT
CASE = "alibaba-yijun-puan"

# Each file, and the models `dumpdata --natural-foreign --natural-primary --indent 2` writes it from.
FIXTURE_FILES = {
    "regions.json": ["regions.region"],
    "reference.json": ["cases.assistancetype", "cases.theme", "cases.metric"],
    "organizations.json": ["organizations"],
    "first-batch.json": [
        "cases.source",
        "cases.collection",
        "cases.initiative",
        "cases.case",
        "cases.participation",
        "cases.collectionentry",
        "cases.figure",
        "cases.outcome",
    ],
}

YIJUN, PUAN = "610222", "522323"

# Every number the announcement gives, as the outcome page reads it.
ANNOUNCED_OUTCOMES = [
    {
        "slug": "yijun-agricultural-sales",
        "metric": "sales-value",
        "unit": "RMB",
        "region": YIJUN,
        "qualifier": "more-than",
        "value": Decimal("100000000"),
        "year": 2021,
        "baseline": (None, None),
        "reads": "more than RMB 100,000,000",
        "change": "",
    },
    {
        "slug": "yijun-online-stores",
        "metric": "online-stores",
        "unit": "stores",
        "region": YIJUN,
        "qualifier": "more-than",
        "value": Decimal("100"),
        "year": 2021,
        "baseline": (None, None),
        "reads": "more than 100 stores",
        "change": "",
    },
    {
        "slug": "yijun-corn-grits-price",
        "metric": "unit-price",
        "unit": "RMB per 0.5 kg",
        "region": YIJUN,
        "qualifier": "",
        "value": Decimal("5.8"),
        "year": 2022,
        "baseline": (Decimal("16"), 2019),
        "reads": "RMB 5.8 per 0.5 kg",
        "change": "−64%",
    },
    {
        "slug": "yijun-shipping-fee-saving",
        "metric": "shipping-fee-saving",
        "unit": "RMB per 0.5 kg",
        "region": YIJUN,
        "qualifier": "about",
        "value": Decimal("10"),
        "year": 2022,
        "baseline": (None, None),
        "reads": "about RMB 10 per 0.5 kg",
        "change": "",
    },
    {
        "slug": "yijun-corn-grits-sold",
        "metric": "quantity-sold",
        "unit": "kg",
        "region": YIJUN,
        "qualifier": "more-than",
        "value": Decimal("500000"),
        "year": 2021,
        "baseline": (Decimal("50"), 2019),
        "reads": "more than 500,000 kg",
        "change": "×10,000",
    },
    {
        "slug": "yijun-apples-taobao-ranking",
        "metric": "sales-ranking",
        "unit": "",
        "region": YIJUN,
        "qualifier": "",
        "value": Decimal("13"),
        "year": 2021,
        "baseline": (Decimal("660"), 2019),
        "reads": "13th",
        "change": "647 places up",
    },
    {
        "slug": "puan-tea-sales",
        "metric": "sales-value",
        "unit": "RMB",
        "region": PUAN,
        "qualifier": "nearly",
        "value": Decimal("10000000"),
        "year": 2021,
        "baseline": (None, None),
        "reads": "nearly RMB 10,000,000",
        "change": "",
    },
    {
        "slug": "puan-commissioners",
        "metric": "commissioners-sent",
        "unit": "people",
        "region": PUAN,
        "qualifier": "",
        "value": Decimal("2"),
        "year": 2019,
        "baseline": (None, None),
        "reads": "2 people",
        "change": "",
    },
]

CAPTIONS = [
    "Figure 1 Cainiao County Distribution Center in Yijun County, Shaanxi Province",
    "Figure 2 Alibaba rural revitalization commissioner Liu Yahui and local fruit farmers are promoting Yijun apples",
    'Figure 3 A new "Stick Tea" for Pu\'an, which can be drunk while stirring, designed by Alibaba',
]


@pytest.fixture
def seed():
    call_command("load_fixtures", verbosity=0)


def row_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def dump(labels):
    out = io.StringIO()
    # A translated field's original column (name, besides name_zh_hans and name_en) is written in the
    # active language: the files are written in the default language, as manage.py runs.
    with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
        call_command("dumpdata", *labels, natural_foreign=True, natural_primary=True, indent=2, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("expected", ANNOUNCED_OUTCOMES, ids=lambda expected: expected["slug"])
def test_every_number_of_the_announcement_is_an_outcome(seed, expected):
    outcome = Outcome.objects.select_related("metric", "region", "source").get(case__slug=CASE, slug=expected["slug"])
    assert {
        "slug": outcome.slug,
        "metric": outcome.metric.slug,
        "unit": outcome.metric.unit,
        "region": outcome.region.code,
        "qualifier": outcome.qualifier,
        "value": outcome.value,
        "year": outcome.year,
        "baseline": (outcome.baseline_value, outcome.baseline_year),
        "reads": outcome.display_value,
        "change": outcome.change,
    } == expected
    assert outcome.source.slug == "alibaba-2022-11-07-first-batch"


def test_the_outcomes_are_those_of_the_announcement_in_its_order(seed):
    outcomes = Outcome.objects.filter(case__slug=CASE)
    assert [outcome.slug for outcome in outcomes] == [expected["slug"] for expected in ANNOUNCED_OUTCOMES]
    assert [outcome.order for outcome in outcomes] == list(range(1, len(ANNOUNCED_OUTCOMES) + 1))


def test_every_change_went_the_metrics_good_way(seed):
    with_baseline = Outcome.objects.filter(case__slug=CASE, baseline_value__isnull=False)
    assert {outcome.slug: outcome.improved for outcome in with_baseline} == {
        "yijun-corn-grits-price": True,
        "yijun-corn-grits-sold": True,
        "yijun-apples-taobao-ranking": True,
    }


def test_a_derived_or_undated_number_says_so_in_its_note(seed):
    outcomes = {outcome.slug: outcome for outcome in Outcome.objects.filter(case__slug=CASE)}
    grits = outcomes["yijun-corn-grits-sold"]
    assert grits.baseline_qualifier == "about" and grits.display_baseline == "about 50 kg"
    assert "ten thousand times" in grits.note and "derived" in grits.note
    assert "shipping fee" in outcomes["yijun-corn-grits-price"].note
    assert "Since 2019" in outcomes["puan-commissioners"].note


def test_the_three_figures_have_the_published_captions_and_their_images_in_media(seed):
    figures = list(Figure.objects.filter(case__slug=CASE))
    assert [figure.caption for figure in figures] == CAPTIONS
    assert [figure.slug for figure in figures] == ["figure-1", "figure-2", "figure-3"]
    for figure in figures:
        stored = Path(settings.MEDIA_ROOT) / figure.image.name
        assert stored.read_bytes() == (FIXTURES_DIR / "media" / figure.image.name).read_bytes()
        validate_image(figure.image)
        assert (figure.image.width, figure.image.height) == (960, 640)
        assert figure.image.size < 100_000
        assert "placeholder" in figure.alt_text.lower()
        assert figure.credit == "Placeholder image: the original photograph was not available"


def test_the_source_holds_the_announcement_word_for_word(seed):
    text = Source.objects.get(slug="alibaba-2022-11-07-first-batch").text
    assert text == (FIXTURES_DIR / ANNOUNCEMENT).read_bytes().decode("utf-8")


@pytest.mark.skipif(not SHARED_ANNOUNCEMENT.exists(), reason=f"{SHARED_ANNOUNCEMENT} is not on this machine")
def test_the_repository_copy_of_the_announcement_is_the_original(seed):
    original = SHARED_ANNOUNCEMENT.read_bytes()
    assert (FIXTURES_DIR / ANNOUNCEMENT).read_bytes() == original
    assert Source.objects.get(slug="alibaba-2022-11-07-first-batch").text == original.decode("utf-8")


def test_all_31_provincial_divisions_with_codes_and_chinese_names(seed):
    provinces = list(Region.objects.provinces())
    codes = [province.code for province in provinces]
    assert len(provinces) == 31
    assert len(set(codes)) == 31
    assert all(len(code) == 6 and code.isdigit() and code.endswith("0000") for code in codes)
    assert all(province.parent is None and province.name_zh_hans for province in provinces)
    assert {
        province.slug: province.name_zh_hans for province in provinces if province.code in ("610000", "140000")
    } == {
        "shaanxi": "陕西省",
        "shanxi": "山西省",
    }


def test_every_stored_path_is_the_one_the_tree_gives(seed):
    for region in Region.objects.select_related("parent"):
        assert region.path == region.compute_path(), region.code
    assert Region.objects.get(slug="yijun").path == "/610000/610200/610222/"
    assert Region.objects.get(slug="puan").path == "/520000/522300/522323/"


def test_the_first_batch_collection(seed):
    collection = Collection.objects.get(slug="nrra-first-batch-2022")
    assert collection.case_count == 36
    assert collection.published_on.isoformat() == "2022-10-24"
    assert collection.batch_number == 1
    assert collection.publisher.slug == "nrra"
    assert collection.source.slug == "nrra-2022-10-24-first-batch"
    assert [category.slug for category in collection.assistance_types.all()] == [
        "east-west-collaboration",
        "paired-assistance",
        "enterprise-social",
    ]
    entry = collection.entries.get()
    assert entry.case.slug == CASE
    assert entry.number is None  # the announcement does not say which number the case has


def test_the_case_is_public_and_found_from_either_province(seed):
    def in_province(slug):
        return Case.objects.published().in_region(Region.objects.get(slug=slug))

    case = Case.objects.get(slug=CASE)
    assert case.is_public
    assert case.assistance_type.slug == "enterprise-social"
    assert (case.start_year, case.end_year) == (2019, 2022)
    assert list(in_province("shaanxi")) == [case]
    assert list(in_province("guizhou")) == [case]
    assert list(in_province("yunnan")) == []


def test_the_case_names_who_helped_who_was_sent_and_where_they_served(seed):
    case = Case.objects.get(slug=CASE)
    assert {(p.organization.slug, p.role) for p in case.participations.all()} == {
        ("alibaba", "assisting"),
        ("cainiao", "partner"),
    }
    commissioner = case.commissioners.get()
    # The source gives the name in pinyin only; its Chinese characters are not guessed.
    assert (commissioner.name_en, commissioner.name_zh_hans) == ("Liu Yahui", "")
    posting = commissioner.postings.get()
    assert (posting.region.code, posting.start_year) == (YIJUN, None)
    assert case.initiatives.count() == 5
    assert {source.slug for source in case.sources.all()} == {
        "alibaba-2022-11-07-first-batch",
        "nrra-2022-10-24-first-batch",
    }


def test_loading_twice_changes_no_row_count(seed):
    before = row_counts()
    call_command("load_fixtures", verbosity=0)
    assert row_counts() == before


def test_each_file_loads_with_plain_loaddata_in_order():
    for name in FIXTURE_FILES:
        call_command("loaddata", str(FIXTURES_DIR / name), verbosity=0)
    assert Region.objects.count() == 35
    assert Case.objects.get(slug=CASE).figures.count() == 3


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_each_file_is_what_dumpdata_writes_back(seed, name):
    """Regenerating the fixtures with dumpdata gives no diff: what is loaded is exactly what the file says."""
    assert dump(FIXTURE_FILES[name]) == (FIXTURES_DIR / name).read_text(encoding="utf-8")


def test_reloading_restores_a_changed_image_and_leaves_the_others_alone(seed):
    figures = Path(settings.MEDIA_ROOT) / "figures" / "first-batch"
    changed, *others = sorted(figures.iterdir())
    changed.write_bytes(b"not the placeholder")
    untouched = {path: path.stat().st_mtime_ns for path in others}
    call_command("load_fixtures", verbosity=0)
    assert changed.read_bytes() == (FIXTURES_DIR / "media" / "figures" / "first-batch" / changed.name).read_bytes()
    assert {path: path.stat().st_mtime_ns for path in others} == untouched

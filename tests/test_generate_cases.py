"""generate_cases: deterministic, clearly synthetic, drafts kept private, derived data told."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from casebook.cases.models import Case, CaseRedirect, Figure, Outcome, Participation
from casebook.cases.signals import cases_changed

pytestmark = pytest.mark.django_db

COUNT = 40


def generate(*args, **options):
    call_command("generate_cases", *args, stdout=io.StringIO(), **options)


def snapshot():
    cases = Case.objects.order_by("slug").prefetch_related("regions", "themes", "outcomes", "figures", "participations")
    return [
        (
            case.slug,
            case.title_zh_hans,
            case.title_en,
            case.summary_en,
            case.background_zh_hans,
            case.status,
            case.published_at,
            case.assistance_type_id,
            [region.code for region in case.regions.all()],
            [theme.slug for theme in case.themes.all()],
            [(o.slug, o.metric_id, o.value, o.baseline_value, o.year) for o in case.outcomes.all()],
            [(f.slug, f.image.name, f.caption_en) for f in case.figures.all()],
            sorted((p.organization.slug, p.role) for p in case.participations.all()),
        )
        for case in cases
    ]


def row_counts():
    return [model.objects.count() for model in (Participation, Outcome, Figure, Case.regions.through)]


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    generate(count=COUNT, seed=7)
    first, rows = snapshot(), row_counts()
    CaseRedirect.objects.create(case=Case.objects.first(), old_slug="an-earlier-address")
    generate(count=COUNT, seed=7, replace=True)
    assert snapshot() == first
    assert row_counts() == rows  # --replace left nothing of the earlier cases behind
    assert not CaseRedirect.objects.exists()
    generate(count=COUNT, seed=8, replace=True)
    other = snapshot()
    assert len(other) == COUNT
    assert [row[1:] for row in other] != [row[1:] for row in first]


def test_cases_are_marked_synthetic_and_bilingual(media_root):
    generate(count=COUNT, seed=1)
    cases = Case.objects.all()
    assert cases.count() == COUNT
    for case in cases:
        assert case.slug.startswith("synthetic-1-")
        assert case.title_zh_hans.startswith("【示例】") and case.title_en.startswith("[Synthetic] ")
        for field in ("summary", "background", "approach", "results", "lessons"):
            assert getattr(case, f"{field}_zh_hans") and getattr(case, f"{field}_en")
        assert [source.title for source in case.sources.all()] == ["Synthetic data (generate_cases --seed 1)"]
        assert case.regions.exists() and case.participations.exists() and case.outcomes.exists()
    # Figures point at a few images stored once.
    images = set(Figure.objects.values_list("image", flat=True))
    assert 1 <= len(images) <= 3
    assert all((media_root / name).is_file() for name in images)
    assert Participation.objects.filter(organization__slug__startswith="synthetic-org-").count() == (
        Participation.objects.count()
    )
    assert Outcome.objects.filter(case__in=cases).exists()


def test_search_words_the_benchmark_relies_on():
    generate(count=COUNT, seed=1)
    assert Case.objects.filter(background_en__contains="quinoa").count() == 1  # index 0 of each 1,000
    assert Case.objects.filter(background_zh_hans__contains="藜麦").count() == 1
    assert Case.objects.filter(summary_en__contains="cooperative").count() == COUNT // 2
    assert Case.objects.filter(summary_zh_hans__contains="合作社").count() == COUNT // 2


def test_drafts_are_not_public(client):
    generate(count=COUNT, seed=3, draft_share=0.5)
    drafts = Case.objects.filter(status=Case.Status.DRAFT)
    assert 5 < drafts.count() < COUNT - 5
    assert not Case.objects.published().filter(pk__in=drafts).exists()
    assert all(case.published_at is None for case in drafts)
    response = client.get(f"/en/cases/{drafts.first().slug}/")
    assert response.status_code == 404
    published = Case.objects.published().first()
    assert client.get(f"/en/cases/{published.slug}/").status_code == 200


def test_cases_changed_is_sent_with_every_new_case():
    received = []

    def listener(sender, case_ids, **kwargs):
        received.extend(case_ids)

    cases_changed.connect(listener)
    try:
        generate(count=COUNT, seed=1)
    finally:
        cases_changed.disconnect(listener)
    assert sorted(received) == sorted(Case.objects.values_list("pk", flat=True))


def test_two_published_cases_for_the_case_page_benchmark():
    generate(count=COUNT, seed=4, draft_share=1)
    big, small = Case.objects.get(slug="synthetic-4-000002"), Case.objects.get(slug="synthetic-4-000003")
    assert (big.figures.count(), big.outcomes.count()) == (30, 30)
    assert (small.figures.count(), small.outcomes.count()) == (1, 1)
    assert set(Case.objects.published()) == {big, small}  # every other case is a draft here


def test_no_history_rows_are_written():
    generate(count=COUNT, seed=1)
    assert not Case.history.exists()


def test_refuses_to_add_to_existing_synthetic_cases_without_replace():
    generate(count=5, seed=1)
    with pytest.raises(CommandError, match="5 synthetic cases exist already; pass --replace"):
        generate(count=5, seed=2)
    with pytest.raises(CommandError, match="--draft-share: must be between 0 and 1"):
        generate(count=5, seed=2, draft_share=2, replace=True)
    assert Case.objects.filter(slug__startswith="synthetic-1-").count() == 5


def test_the_planner_has_statistics_after_a_bulk_load():
    # Without them SQLite drives a rare-word search through the newest-cases index, row by row.
    generate("--count", "5")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'cases_case'")
            assert cursor.fetchone()[0] > 0
        else:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'cases_case'")
            assert cursor.fetchone()[0] >= 5  # -1 until the table has been analyzed


@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_on_postgresql_is_vacuumed_so_index_only_scans_skip_the_table():
    if connection.vendor != "postgresql":
        pytest.skip("VACUUM and the visibility map are PostgreSQL's")
    generate("--count", "5")
    with connection.cursor() as cursor:
        cursor.execute("SELECT relallvisible FROM pg_class WHERE relname = 'cases_casefacet'")
        assert cursor.fetchone()[0] > 0  # 0 until VACUUM marks the pages all-visible

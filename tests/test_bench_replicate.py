"""bench.replicate: a few generated cases copied three times, every row of a case with them, on PostgreSQL.

The copying is INSERT … SELECT inside PostgreSQL (the bench's 1,000,000-case database): on SQLite the
tool refuses, and the copying test is skipped.
"""

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection

from bench.replicate import cases_vouched_for, copied_models, replicate, replication_note
from casebook.cases.models import (
    Case,
    CaseFacet,
    CaseRedirect,
    CollectionEntry,
    FacetTotal,
    Figure,
    Outcome,
    Participation,
    SearchDocument,
    Source,
)
from casebook.cases.synthetic import data_version_note

pytestmark = pytest.mark.django_db

COUNT, SEED, FACTOR = 12, 5, 3


def counts():
    return {model._meta.label: model.objects.count() for model in copied_models()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="bench.replicate runs on PostgreSQL only")
def test_every_row_of_every_case_is_copied_with_new_ids_and_slugs():
    call_command("generate_cases", count=COUNT, seed=SEED, stdout=io.StringIO())
    before = counts()
    tables = [
        Case,
        Figure,
        Outcome,
        Participation,
        CaseFacet,
        SearchDocument,
        Case.regions.through,
        Case.sources.through,
    ]
    assert all(before[model._meta.label] for model in tables), before  # rows to copy (no initiatives: none made)
    totals = {(f, v): n for f, v, n in FacetTotal.objects.values_list("facet", "value", "count")}
    published = Case.objects.published().count()
    original_ids = set(Case.objects.values_list("pk", flat=True))
    original_titles = Counter(Case.objects.values_list("title_en", flat=True))
    CaseRedirect.objects.create(case=Case.objects.first(), old_slug="an-old-address")

    assert replicate(FACTOR, SEED, vacuum=False, log=lambda message: None) == COUNT * FACTOR

    assert counts() == {label: n * FACTOR for label, n in before.items()}
    assert CaseRedirect.objects.count() == 1
    slugs = list(Case.objects.values_list("slug", flat=True))
    assert sorted(slugs) == [f"synthetic-{SEED}-{n:06d}" for n in range(1, COUNT * FACTOR + 1)]
    assert Case.objects.published().count() == published * FACTOR
    assert Counter(Case.objects.values_list("title_en", flat=True)) == {
        t: n * FACTOR for t, n in original_titles.items()
    }
    assert all(title.startswith("[Synthetic] ") for title in Case.objects.values_list("title_en", flat=True))
    assert not CollectionEntry.objects.exclude(case__in=original_ids).exclude(number=None).exists()
    # Every copied row points at a copied case, and each copy has its original's rows.
    assert not CaseFacet.objects.exclude(case__in=Case.objects.all()).exists()
    assert not SearchDocument.objects.exclude(case__in=Case.objects.all()).exists()
    copy = Case.objects.get(slug=f"synthetic-{SEED}-{COUNT + 2:06d}")
    original = Case.objects.get(slug=f"synthetic-{SEED}-000002")
    assert copy.pk not in original_ids
    assert (copy.title_en, copy.published_at, copy.status) == (
        original.title_en,
        original.published_at,
        original.status,
    )
    assert sorted(copy.regions.values_list("pk", flat=True)) == sorted(original.regions.values_list("pk", flat=True))
    assert copy.figures.count() == original.figures.count() == 30
    assert copy.search_document.document == original.search_document.document
    assert FacetTotal.objects.count() == len(totals)
    for (facet, value), n in totals.items():
        assert FacetTotal.objects.get(facet=facet, value=value).count == n * FACTOR
    # The sequences go on after the copies.
    new = Case.objects.create(
        title="New", slug="a-new-case", assistance_type_id=copy.assistance_type_id, start_year=2020
    )
    assert new.pk > max(Case.objects.exclude(pk=new.pk).values_list("pk", flat=True))

    source = Source.objects.get(slug=f"synthetic-data-seed-{SEED}")
    assert source.text == replication_note(SEED, COUNT, FACTOR)
    assert cases_vouched_for(source.text, SEED) == COUNT * FACTOR
    with pytest.raises(RuntimeError, match="replicated already"):
        replicate(FACTOR, SEED, vacuum=False, log=lambda message: None)


def test_the_note_vouches_only_for_what_it_says():
    assert cases_vouched_for(data_version_note(1), 1) is None
    assert cases_vouched_for(replication_note(1, 100000, 10), 1) == 1000000
    assert cases_vouched_for(replication_note(1, 100000, 10), 2) == -1
    assert cases_vouched_for(replication_note(1, 100000, 10).replace("1000000", "2000000"), 1) == -1
    assert cases_vouched_for("Some other text", 1) == -1

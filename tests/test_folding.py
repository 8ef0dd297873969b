"""The case page's short relations and the cards' parts, folded into the case's row (casebook/cases/folding.py),
read as prefetch_related would read them."""

from datetime import date

import pytest
from django.utils import translation

from casebook.cases.folding import Fold
from casebook.cases.models import Case, CollectionEntry, Participation, Theme

from .factories import (
    make_case,
    make_collection,
    make_commissioner,
    make_figure,
    make_initiative,
    make_organization,
    make_posting,
    make_region,
    make_source,
    make_theme,
)

RELATIONS = ["themes", "initiatives", "sources", "participations", "commissioners", "collection_entries"]


def columns(obj):
    return None if obj is None else {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def described(case):
    """Every row of the folded relations, with the objects the case page reads from them."""
    return {
        "themes": [columns(theme) for theme in case.themes.all()],
        "initiatives": [columns(initiative) for initiative in case.initiatives.all()],
        "sources": [(columns(source), columns(source.publisher)) for source in case.sources.all()],
        "participations": [(columns(p), columns(p.organization), p.case.pk) for p in case.participations.all()],
        "commissioners": [
            (
                columns(commissioner),
                columns(commissioner.organization),
                [(columns(posting), columns(posting.region)) for posting in commissioner.postings.all()],
            )
            for commissioner in case.commissioners.all()
        ],
        "collection_entries": [
            (columns(entry), columns(entry.collection), columns(entry.collection.publisher))
            for entry in case.collection_entries.all()
        ],
    }


@pytest.fixture
def case(db):
    """Two or three of each, created out of their order, with an empty optional link (a source without publisher)."""
    case = make_case(themes=[make_theme(name="Tea"), make_theme(name="Apples")])
    case.initiatives.add(make_initiative(name="Zhongshan"), make_initiative(name="Better Design, Better County"))
    case.sources.add(
        make_source(title="Older", published_on=date(2020, 1, 1), publisher=make_organization(name="Publisher")),
        make_source(title="Undated"),
        make_source(title="Newer", published_on=date(2022, 11, 7)),
    )
    for role in [Participation.Role.PARTNER, Participation.Role.ASSISTED, Participation.Role.ASSISTING]:
        Participation.objects.create(case=case, organization=make_organization(), role=role, note=f"{role} note")
    for name in ["Zhang Wei", "Li Na"]:
        commissioner = make_commissioner(name=name, title="Commissioner")
        make_posting(commissioner, make_region(), start_year=2021, end_year=2022)
        make_posting(commissioner, make_region(), start_year=2019)
        case.commissioners.add(commissioner)
    make_commissioner(name="Not on this case")
    for published_on, number in [(date(2021, 5, 1), 3), (date(2023, 1, 1), None), (date(2022, 10, 24), 12)]:
        CollectionEntry.objects.create(case=case, collection=make_collection(published_on=published_on), number=number)
    make_case(themes=[make_theme(name="Another case's theme")])
    return case


def test_folded_relations_read_like_prefetched_ones_in_the_same_order(case, django_assert_num_queries):
    Case.objects.for_detail().get(pk=case.pk)  # a connection's first JSON query first checks what it supports
    with django_assert_num_queries(4):  # the case, its regions, figures and outcomes
        folded = Case.objects.for_detail().get(pk=case.pk)
    with django_assert_num_queries(0):
        read = described(folded)
    assert read == described(Case.objects.prefetch_related(*RELATIONS).get(pk=case.pk))
    assert [theme["name"] for theme in read["themes"]] == ["Apples", "Tea"]
    assert [row[0]["name"] for row in read["commissioners"]] == ["Li Na", "Zhang Wei"]
    assert [[posting["start_year"] for posting, _ in row[2]] for row in read["commissioners"]] == [[2019, 2021]] * 2
    dated = [source["published_on"] for source, _ in read["sources"] if source["published_on"]]
    assert dated == [date(2022, 11, 7), date(2020, 1, 1)]  # the undated one goes where each database puts NULL


def test_a_case_with_none_of_them_folds_to_empty_relations(db, django_assert_num_queries):
    case = make_case()
    folded = Case.objects.for_detail().get(pk=case.pk)
    with django_assert_num_queries(0):
        assert all(rows == [] for rows in described(folded).values())


def test_a_relation_whose_values_json_would_change_is_refused(db):
    with pytest.raises(ValueError, match="Outcome.value cannot be folded"):
        Case.objects.fold(Fold("outcomes"))


def test_a_fold_into_a_list_keeps_the_first_rows_in_their_order(db, django_assert_num_queries):
    case = make_case()
    figures = [make_figure(case, order=order) for order in (3, 1, 2, 1)]
    first_two = Fold("figures", to_attr="first_figures", limit=2)
    with django_assert_num_queries(1):
        folded = Case.objects.fold(first_two).get(pk=case.pk)
        assert [columns(figure) for figure in folded.first_figures] == [columns(figures[1]), columns(figures[3])]
        assert all(figure.case is folded for figure in folded.first_figures)
    with django_assert_num_queries(1):  # the relation itself is not read, only the list
        assert len(folded.figures.all()) == 4


def test_a_fold_through_a_foreign_key_reads_the_relations_of_the_row_it_points_to(db, django_assert_num_queries):
    places = Fold("regions", to_attr="places")
    organizations = Fold("participations", "organization", to_attr="links")
    cases = [make_case(regions=[make_region(), make_region()], organizations=[make_organization()]) for _ in range(2)]
    list(Case.objects.fold(places))  # the same folds from cases first: each keeps its SQL per model it reads from
    links = Participation.objects.filter(case__in=cases).select_related("case")
    with django_assert_num_queries(1):
        read = {
            link.case.pk: ([columns(r) for r in link.case.places], [columns(p) for p in link.case.links])
            for link in links.fold(places, organizations, through="case")
        }
    assert read == {
        case.pk: ([columns(r) for r in case.regions.all()], [columns(p) for p in case.participations.all()])
        for case in cases
    }


def test_a_list_named_as_a_field_is_refused(db):
    with pytest.raises(ValueError, match="organizations is a field of Case"):
        Case.objects.fold(Fold("participations", to_attr="organizations"))


def test_a_folded_row_is_the_model_instance_a_query_reads(case):
    (folded,) = Case.objects.fold(Fold("themes")).filter(pk=case.pk)
    theme = folded.themes.all()[0]
    loaded = Theme.objects.get(pk=theme.pk)
    assert theme == loaded and theme._state.db == loaded._state.db and not theme._state.adding
    assert {f.attname: getattr(theme, f.attname) for f in Theme._meta.concrete_fields} == {
        f.attname: getattr(loaded, f.attname) for f in Theme._meta.concrete_fields
    }
    with translation.override("zh-hans"):
        assert theme.name == loaded.name
    theme.slug = "renamed"
    theme.save()  # an update of its row, not a second row
    assert Theme.objects.filter(pk=theme.pk, slug="renamed").exists() and Theme.objects.count() == 3

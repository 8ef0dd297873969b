"""Full-text search (?q=): Chinese and English, ranked, highlighted, kept current, safe with bad input."""

import html
import importlib
import re
from datetime import timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from casebook.cases import facets, kept_searches
from casebook.cases.filters import CaseFilter
from casebook.cases.models import Case, CaseFacet, CaseFacetLine, KeptSearch, SearchDocument
from casebook.cases.search import query_groups, tokens
from casebook.cases.signals import cases_changed
from casebook.organizations.models import Organization

from .factories import (
    make_case,
    make_collection,
    make_commissioner,
    make_figure,
    make_organization,
    make_region,
    make_theme,
    make_type,
)

pytestmark = pytest.mark.django_db

with translation.override("en"):
    LIST_URL = reverse("cases:list")


def found(client, q, **params):
    response = client.get(LIST_URL, {"q": q, **params})
    assert response.status_code == 200
    titles = re.findall(r'<h3 class="card-title"><a href="[^"]+">([^<]+)</a>', response.content.decode())
    return [html.unescape(title) for title in titles]


def search(text):
    return list(Case.objects.published().search(text).values_list("title_en", flat=True))


# Tokens


def test_chinese_is_indexed_as_bigrams_then_characters_then_trigrams_and_words_are_lowercased():
    assert tokens("宜君县的Apple茶 宜君县") == [
        *["宜君", "君县", "县的", "apple", "宜君", "君县"],  # in order: their positions make phrases
        *["宜", "君", "县", "的", "茶"],
        *["宜君县", "君县的"],
    ]


def test_a_query_is_grouped_into_words_chinese_tokens_and_phrases():
    assert query_groups("宜君县 Tea 茶 tea 宜君") == [["宜君县"], ["tea"], ["茶"], ["宜君"]]
    assert query_groups("合作社区") == [["合作", "作社", "社区"], ["合作社"], ["作社区"]]
    assert query_groups("!!! ,,,") == []


# Finding


@pytest.mark.parametrize("q", ["宜君", "苹果", "宜君县", "茶"])
def test_short_chinese_queries_find_the_cases_that_contain_them(client, q):
    make_case(title="Yijun", title_zh_hans="宜君县的苹果和茶叶")
    make_case(title="Other", title_zh_hans="普安县的红薯")
    assert found(client, q) == ["Yijun"]


def test_chinese_query_must_match_as_a_phrase_not_as_scattered_characters(client):
    make_case(title="Scattered", summary_zh_hans="君临天下，宜居之地")
    make_case(title="Together", summary_zh_hans="在宜君建设")
    assert found(client, "宜君") == ["Together"]


def test_a_three_character_query_finds_exactly_the_cases_that_contain_it(client):
    make_case(title="Inside", summary_zh_hans="农民专业合作社")
    make_case(title="Alone", title_zh_hans="合作社")
    make_case(title="Two runs", summary_zh_hans="合作 作社")  # 合作 and 作社 side by side, 合作社 nowhere
    make_case(title="Reversed", summary_zh_hans="社会合作")
    assert sorted(found(client, "合作社")) == ["Alone", "Inside"]
    assert sorted(search("合作社")) == ["Alone", "Inside"]


def test_a_longer_query_must_match_as_one_run_in_order(client):
    make_case(title="Together", summary_zh_hans="合作社区建设")
    make_case(title="Two runs", summary_zh_hans="合作社 社区")  # its bigrams in a row across two runs
    make_case(title="Every trigram apart", summary_zh_hans="合作社，作社区")  # not adjacent
    assert found(client, "合作社区") == ["Together"]
    assert found(client, "社区建设") == ["Together"]


def test_one_and_two_character_queries_match_across_runs_as_before(client):
    make_case(title="Both", summary_zh_hans="合作 作社")
    make_case(title="Neither", summary_zh_hans="农户")
    assert found(client, "作社") == ["Both"]
    assert found(client, "社") == ["Both"]


def test_every_word_must_match(client):
    make_case(title="Apple tea")
    make_case(title="Apple pie")
    assert found(client, "tea apple") == ["Apple tea"]
    assert sorted(found(client, "APPLE")) == ["Apple pie", "Apple tea"]


@pytest.mark.parametrize(
    "field", ["summary", "background", "approach", "results", "lessons", "summary_zh_hans", "lessons_zh_hans"]
)
def test_narrative_sections_in_either_language_are_searched(client, field):
    make_case(title="Found", **{field: "A cold chain warehouse"})
    make_case(title="Other")
    assert found(client, "warehouse") == ["Found"]


def test_names_of_places_above_the_case_organizations_commissioners_themes_and_captions_are_searched(client):
    shaanxi = make_region(name="Shaanxi", name_zh_hans="陕西省")
    yijun = make_region(parent=shaanxi, name="Yijun County")
    alibaba = make_organization(name="Alibaba Group", name_zh_hans="阿里巴巴集团")
    case = make_case(title="Found", regions=[yijun], organizations=[alibaba], themes=[make_theme(name="Logistics")])
    case.commissioners.add(make_commissioner(name="Liu Yahui"))
    make_figure(case, caption="Cainiao distribution centre")
    make_case(title="Other")
    for q in ["shaanxi", "陕西", "yijun", "alibaba", "阿里巴巴", "liu yahui", "logistics", "cainiao"]:
        assert found(client, q) == ["Found"], q


def test_drafts_and_scheduled_cases_are_never_found(client):
    make_case(title="Visible tea")
    make_case(title="Draft tea", status=Case.Status.DRAFT)
    assert found(client, "tea") == ["Visible tea"]
    assert search("tea") == ["Visible tea"]


def test_results_are_ranked_by_relevance_unless_another_order_is_chosen(client):
    make_case(title="Once", summary="Tea grows here among many other crops and also a great many other things.")
    make_case(title="Often tea", summary="Tea, tea and tea.")
    assert found(client, "tea") == ["Often tea", "Once"]
    assert found(client, "tea", sort="oldest") == ["Once", "Often tea"]


class FormDefaults(HTMLParser):
    """What a browser sends for the listing's filter form left as it is: inputs' values, ticked boxes, and
    each select's chosen option, else its first."""

    def __init__(self):
        super().__init__()
        self.fields, self.select, self.in_form = {}, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.in_form = "filters" in (attrs.get("class") or "")
        elif not self.in_form:
            return
        elif tag == "input" and attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
            self.fields.setdefault(attrs["name"], attrs.get("value") or "")
        elif tag == "select":
            self.select = attrs["name"]
        elif tag == "option" and self.select and (self.select not in self.fields or "selected" in attrs):
            self.fields[self.select] = attrs.get("value")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "form":
            self.in_form = False


def test_a_search_typed_into_the_listings_form_comes_best_match_first(client):
    make_case(title="Once", summary="Tea grows here among many other crops and also a great many other things.")
    make_case(title="Often tea", summary="Tea, tea and tea.")
    form = FormDefaults()
    form.feed(client.get(LIST_URL).content.decode())
    assert form.fields == {"q": "", "sort": ""}
    assert found(client, **(form.fields | {"q": "tea"})) == ["Often tea", "Once"]


def test_search_combines_with_filters(client):
    shaanxi = make_region(slug="shaanxi")
    make_case(title="Tea in Shaanxi", regions=[shaanxi])
    make_case(title="Tea elsewhere")
    assert found(client, "tea", region="shaanxi") == ["Tea in Shaanxi"]


def test_the_snippet_marks_the_match_and_escapes_the_text(client):
    make_case(title="Tea", summary="<script>alert(1)</script> Sold the tea <b>online</b>.")
    content = client.get(LIST_URL, {"q": "tea"}).content.decode()
    assert "<script>alert" not in content and "<b>online" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Sold the <mark>tea</mark> &lt;b&gt;online&lt;/b&gt;." in content


def test_the_snippet_comes_from_the_section_that_matches(client):
    make_case(title="Tea", summary="Nothing here.", results="Sales of 苹果 doubled.")
    content = client.get(LIST_URL, {"q": "苹果"}).content.decode()
    assert "Sales of <mark>苹果</mark> doubled." in content


@pytest.mark.parametrize(
    ("q", "marked"),
    [
        ("合作社", "农民<mark>合作社</mark>和<mark>合作社</mark>区"),
        ("合作社区", "农民合作社和<mark>合作社区</mark>"),  # its trigram 合作社 alone is not marked
        ("合作", "农民<mark>合作</mark>社和<mark>合作</mark>社区"),
    ],
)
def test_the_snippet_marks_each_chinese_query_run_where_it_appears(client, q, marked):
    make_case(title="Co-op", summary_zh_hans="农民合作社和合作社区")
    with translation.override("zh-hans"):
        content = client.get(reverse("cases:list"), {"q": q}).content.decode()
    assert marked in content


def test_a_search_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    for n in range(25):
        make_case(title=f"Tea {n}", regions=[make_region()], organizations=[make_organization()])
    # With the look for a kept search (kept_searches), the assistance types (its lines are tallied type by type)
    # and, on PostgreSQL, the lock under which a search with many matches is kept, in a savepoint of the test's
    # transaction (3 statements).
    with django_assert_max_num_queries(9 if connection.vendor == "postgresql" else 6):
        assert len(found(client, "tea")) == 20


# Kept current


def test_the_index_follows_edits_and_deletes(client):
    case = make_case(title="Old words")
    case.title = "New words"
    case.save()
    assert found(client, "old") == []
    assert found(client, "new") == ["New words"]
    case.delete()
    assert found(client, "new") == []
    assert not SearchDocument.objects.exists()


def test_deleting_a_case_with_its_parts_leaves_no_rows_of_it(client):
    # Its participations, collection entries and figures go first, each with a post_delete signal: were
    # the case reindexed then, its facet rows would outlive it and the transaction fail on its foreign key.
    case = make_case(
        title="Found", regions=[make_region()], organizations=[make_organization()], collections=[make_collection()]
    )
    make_figure(case)
    other = make_case(title="Kept", organizations=[make_organization()])
    Case.objects.filter(pk=case.pk).delete()
    other.delete()
    assert not CaseFacet.objects.exists()
    assert not CaseFacetLine.objects.exists()
    assert not SearchDocument.objects.exists()


def test_the_index_follows_related_rows(client):
    region = make_region(name="Guizhou")
    organization = make_organization(name="Cainiao")
    case = make_case(title="Found")
    case.regions.add(region)
    assert found(client, "guizhou") == ["Found"]
    case.regions.remove(region)
    assert found(client, "guizhou") == []
    case.regions.add(region)
    assert found(client, "guizhou") == ["Found"]
    region.name = "Puan"
    region.save()
    assert found(client, "puan") == ["Found"]
    case.participations.create(organization=organization)
    organization.name = "Alibaba"
    organization.save()
    assert found(client, "alibaba") == ["Found"] and found(client, "cainiao") == []
    figure = make_figure(case, caption="Warehouse")
    assert found(client, "warehouse") == ["Found"]
    figure.delete()
    assert found(client, "warehouse") == []


def test_deleting_a_place_or_theme_takes_it_out_of_the_index(client):
    region, theme = make_region(name="Guizhou"), make_theme(name="Logistics")
    make_case(title="Found", regions=[region], themes=[theme])
    region.delete()
    theme.delete()
    assert found(client, "guizhou") == [] and found(client, "logistics") == []
    assert not CaseFacet.objects.filter(facet__in=[CaseFacet.Facet.REGION, CaseFacet.Facet.THEME]).exists()


def test_bulk_writers_announce_their_cases_and_the_index_follows(client):
    case = make_case(title="Before")
    Case.objects.filter(pk=case.pk).update(title_en="After")  # no save(), no signal of its own
    assert found(client, "after") == []
    cases_changed.send(sender=Case, case_ids=[case.pk])
    assert found(client, "after") == ["After"]


def test_rebuild_search_index_restores_a_lost_index(client):
    make_case(title="Tea")
    SearchDocument.objects.all().delete()
    assert found(client, "tea") == []
    call_command("rebuild_search_index", verbosity=0)
    assert found(client, "tea") == ["Tea"]


def test_the_trigram_migration_rebuilds_documents_written_by_the_former_tokenizer(client):
    make_case(title="Co-op", summary_zh_hans="农民合作社")
    make_case(title="Other", summary_zh_hans="合作 作社")
    with connection.cursor() as cursor:
        for case_id, document in SearchDocument.objects.values_list("pk", "document"):
            former = " ".join(token for token in document.split() if len(token) < 3 or token.isascii())
            cursor.execute("UPDATE cases_search SET document = %s WHERE rowid = %s", [former, case_id])
    assert found(client, "合作社") == []
    migration = importlib.import_module("casebook.cases.migrations.0013_search_documents_with_trigrams")
    migration.rebuild_search_documents(apps, None)
    assert found(client, "合作社") == ["Co-op"]


# Bad input: never a 500


@pytest.mark.parametrize(
    "query", ["q=%FF", "q=%C3%28", "q=%E5%AE", "q=%00", "q=tea%00", "q=%27%22%3B--", "q=*", "q=AND"]
)
def test_broken_and_hostile_queries_are_never_a_500(client, query):
    make_case(title="Tea")
    response = client.get(f"{LIST_URL}?{query}")
    assert response.status_code in (200, 400)
    if "%00" in query:
        assert response.status_code == 400
        assert "Search: Null characters are not allowed." in response.content.decode()


def test_punctuation_only_finds_nothing_rather_than_everything(client):
    make_case(title="Tea")
    assert found(client, '"()*:^') == []


def test_a_very_long_query_is_a_400_that_says_the_limit(client):
    make_case(title="Tea")
    response = client.get(LIST_URL, {"q": "茶" * 10_000})
    assert response.status_code == 400
    assert "Search: Use at most 200 characters (this search has 10000)." in response.content.decode()


def test_unknown_parameters_are_ignored(client):
    make_case(title="Tea")
    assert found(client, "tea", utm_source="x", foo="\x00") == ["Tea"]


def test_a_huge_page_number_is_a_404_that_leads_back_to_page_one(client):
    make_case(title="Tea")
    response = client.get(LIST_URL, {"q": "tea", "page": "9" * 40})
    assert response.status_code == 404
    assert f'href="{LIST_URL}?q=tea">Go to the first page of this list</a>' in response.content.decode()


# Facet counts of a search


@pytest.fixture
def searchable():
    """Tea cases spread over every facet (a case in two places, a draft, a scheduled one) and others."""
    shaanxi = make_region(name="Shaanxi", slug="shaanxi")
    yijun = make_region(parent=shaanxi, name="Yijun", slug="yijun")
    guizhou = make_region(name="Guizhou", slug="guizhou")
    fund = make_organization(kind=Organization.Kind.FOUNDATION)
    company = make_organization(kind=Organization.Kind.ENTERPRISE)
    themes = [make_theme(), make_theme()]
    collection = make_collection()
    commissioner = make_commissioner()
    tea, roads = make_type(), make_type()
    make_case(title="Tea one", regions=[yijun], organizations=[fund], themes=themes, assistance_type=tea)
    make_case(
        title="Tea two",
        regions=[yijun, guizhou],
        organizations=[fund, company],
        collections=[collection],
        assistance_type=roads,
        start_year=2018,
        end_year=2021,
    )
    make_case(title="Tea three", regions=[guizhou], themes=themes[:1], assistance_type=tea).commissioners.add(
        commissioner
    )
    make_case(title="Roads", regions=[yijun], organizations=[company], assistance_type=roads)
    make_case(title="Draft tea", regions=[yijun], assistance_type=tea, status=Case.Status.DRAFT)
    make_case(title="Later tea", regions=[guizhou], assistance_type=tea, published_at=timezone.now() + timedelta(1))


def panel_counts(q):
    filterset = CaseFilter({"q": q})
    assert filterset.is_valid()
    panel = facets.Panel(filterset)
    return panel.total, {(group.param, o.value): o.count for group in panel.groups for o in group.options}


def test_the_counts_of_a_search_are_what_each_option_would_list(searchable):
    total, counts = panel_counts("tea")
    assert total == 3 == CaseFilter({"q": "tea"}).qs.count()
    assert counts[("region", "shaanxi")] == 2 and counts[("region", "guizhou")] == 2
    assert counts[("year", "2019")] == 1 and counts[("org_kind", "foundation")] == 2
    params = {param for param, _value in counts}
    assert params == {"region", "type", "theme", "organization", "org_kind", "collection", "commissioner", "year"}
    for (param, value), count in counts.items():
        assert count == CaseFilter({"q": "tea", param: [value]}).qs.count(), (param, value)


def test_the_counts_of_a_search_follow_the_cases(searchable):
    Case.objects.filter(title_en="Tea two").get().regions.clear()
    total, counts = panel_counts("tea")
    assert (total, counts[("region", "shaanxi")], counts[("region", "guizhou")]) == (3, 1, 1)
    case = Case.objects.get(title_en="Tea one")
    case.status = Case.Status.DRAFT
    case.save()
    total, counts = panel_counts("tea")
    assert total == 2 and ("region", "shaanxi") not in counts


def test_each_case_has_one_line_of_its_facet_values_as_the_migration_writes_it(searchable):
    expected = {case.pk: set() for case in Case.objects.all()}
    for case_id, facet, value in CaseFacet.objects.values_list("case_id", "facet", "value"):
        expected[case_id].add(f"{facet}:{value}")
    lines = {line.case_id: line for line in CaseFacetLine.objects.all()}
    assert {pk: set(line.facets.split()) for pk, line in lines.items()} == expected
    types = dict(Case.objects.values_list("pk", "assistance_type_id"))
    assert {pk: line.case_type for pk, line in lines.items()} == types
    assert {pk: line.published_at for pk, line in lines.items()} == dict(
        Case.objects.values_list("pk", "published_at").filter(status=Case.Status.PUBLISHED)
    ) | dict.fromkeys(Case.objects.exclude(status=Case.Status.PUBLISHED).values_list("pk", flat=True))

    CaseFacetLine.objects.all().delete()
    migration = importlib.import_module("casebook.cases.migrations.0010_case_facet_lines")
    with connection.cursor() as cursor:
        # fill_lines runs SQL only: a schema editor is more than it needs (and SQLite refuses one in a test).
        migration.fill_lines(apps, SimpleNamespace(connection=connection, execute=cursor.execute))
        assert set(CaseFacetLine.objects.values_list("case_type", flat=True)) == {0}  # written before types were
        typed = importlib.import_module("casebook.cases.migrations.0018_kept_search_counts_per_type")
        editor = SimpleNamespace(connection=connection, execute=cursor.execute, quote_name=connection.ops.quote_name)
        typed.fill_line_types(apps, editor)
    assert {line.case_id: set(line.facets.split()) for line in CaseFacetLine.objects.all()} == expected
    assert dict(CaseFacetLine.objects.values_list("case_id", "case_type")) == types


@pytest.mark.parametrize("kept", [None, "by its first page", "before"])
def test_a_search_with_many_matches_lists_each_once_best_first(client, monkeypatch, kept):
    """On PostgreSQL only the newest RANK_CANDIDATES matches are ranked (ts_rank reads each whole vector),
    then the others follow newest first; SQLite ranks every match. The same whether the search's counts are
    counted, kept by its first page or kept before it (kept_searches), each page counted afresh."""
    from casebook.cases.views import CaseListView

    if kept:
        monkeypatch.setattr(kept_searches, "KEEP_MATCHES", 3)
    monkeypatch.setattr(facets, "RANK_CANDIDATES", 3)
    monkeypatch.setattr(CaseListView, "paginate_by", 2)
    now = timezone.now()
    for days, title, summary in [
        (5, "Old four", "tea tea tea tea"),
        (4, "Old two", "tea tea"),
        (3, "New one", "tea"),
        (2, "Newer three", "tea tea tea"),
        (1, "Newest two", "tea tea"),
    ]:
        make_case(title=title, summary=summary, published_at=now - timedelta(days=days))
    make_case(title="Coffee", summary="coffee")
    if kept == "before":
        kept_searches.keep("tea", now)
    pages = []
    for page in (1, 2, 3):
        cache.clear()
        pages.append(found(client, "tea", page=page))
    assert KeptSearch.objects.filter(text="tea").exists() == bool(kept)
    if connection.vendor == "postgresql":
        assert pages == [["Newer three", "Newest two"], ["New one", "Old two"], ["Old four"]]
    else:
        assert pages == [["Old four", "Newer three"], ["Newest two", "Old two"], ["New one"]]
    assert ">5 cases</h2>" in client.get(LIST_URL, {"q": "tea", "page": 3}).content.decode()

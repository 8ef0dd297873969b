from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casebook.cases.images import rendition_name
from casebook.cases.models import (
    Case,
    Collection,
    CollectionEntry,
    Figure,
    Outcome,
    Participation,
)
from casebook.organizations.models import Commissioner, Organization
from casebook.regions.models import Region

from .factories import (
    image_bytes,
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

pytestmark = pytest.mark.django_db


def admin_url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# Fields that the admin shows once per language (title_zh_hans, title_en).
TRANSLATED_FIELDS = {
    "title",
    "summary",
    "background",
    "approach",
    "results",
    "lessons",
    "translation_note",
    "name",
    "description",
    "bio",
    "note",
    "caption",
    "alt_text",
    "credit",
    "indicator",
    "short_title",
    "unit",
    "display_format",
}


def in_both_languages(data):
    """An admin POST written with plain field names, as the bilingual form sends it: the same text in both."""
    posted = {}
    for key, value in data.items():
        prefix, dash, field = key.rpartition("-")
        if field in TRANSLATED_FIELDS:
            for language in ("zh_hans", "en"):
                posted[f"{prefix}{dash}{field}_{language}"] = value
        else:
            posted[key] = value
    return posted


def form_errors(response):
    """Every error on an admin form page, for assertion messages."""
    context = response.context
    if context is None or "adminform" not in context:
        return f"status {response.status_code}"
    errors = [context["adminform"].form.errors]
    for inline in context["inline_admin_formsets"]:
        errors += [inline.formset.non_form_errors(), *inline.formset.errors]
    return [error for error in errors if error]


def results(response):
    return set(response.context["cl"].result_list)


@pytest.fixture
def reference():
    """What a case refers to, one of each, named as in the first batch."""
    province = make_region(name="Shaanxi", name_zh_hans="陕西省", slug="shaanxi", code="610000")
    city = make_region(parent=province, name="Tongchuan", slug="tongchuan", code="610200", level="prefecture")
    county = make_region(parent=city, name="Yijun County", name_zh_hans="宜君县", slug="yijun", code="610222")
    organization = make_organization(name="Cainiao", slug="cainiao", website="https://www.cainiao.com")
    commissioner = make_commissioner(name="Liu Yahui", slug="liu-yahui", organization=organization)
    make_posting(commissioner, county, start_year=2021)
    publisher = make_organization(name="National Rural Revitalization Administration", kind="government-office")
    source = make_source(title="First batch announcement", publisher=publisher)
    return SimpleNamespace(
        province=province,
        city=city,
        county=county,
        organization=organization,
        publisher=publisher,
        commissioner=commissioner,
        type=make_type(name="Assistance from enterprises", slug="enterprise-social"),
        theme=make_theme(name="E-commerce", slug="e-commerce"),
        metric=make_metric(name="Price", slug="price", unit="RMB", higher_is_better=False),
        source=source,
        collection=make_collection(short_title="First batch (2022)", publisher=publisher, source=source, case_count=36),
        initiative=make_initiative(name="Better County", slug="better-county", organization=organization),
    )


@pytest.fixture
def data(reference):
    """A complete case on top of the reference data."""
    case = make_case(
        title="County distribution center",
        slug="yijun-distribution",
        assistance_type=reference.type,
        regions=[reference.county],
        organizations=[reference.organization],
        themes=[reference.theme],
        collections=[reference.collection],
    )
    case.commissioners.add(reference.commissioner)
    case.initiatives.add(reference.initiative)
    case.sources.add(reference.source)
    make_figure(case, caption="Figure 1 Distribution center")
    make_outcome(
        case,
        metric=reference.metric,
        indicator="Price of 0.5 kg of corn grits",
        value="5.8",
        year=2021,
        baseline_value=16,
        baseline_year=2019,
        region=reference.county,
        source=reference.source,
    )
    reference.case = case
    return reference


# model, attribute of `data`, a search that finds it
ADMINS = [
    ("regions.Region", "county", "Yijun"),
    ("regions.Region", "county", "6102"),
    ("organizations.Organization", "organization", "Cainiao"),
    ("organizations.Commissioner", "commissioner", "Liu"),
    ("organizations.Commissioner", "commissioner", "Cainiao"),
    ("cases.AssistanceType", "type", "enterprises"),
    ("cases.Theme", "theme", "commerce"),
    ("cases.Metric", "metric", "Price"),
    ("cases.Source", "source", "First batch"),
    ("cases.Collection", "collection", "First batch"),
    ("cases.Initiative", "initiative", "Better"),
    ("cases.Case", "case", "distribution"),
    ("cases.Case", "case", "yijun-distribution"),
]


@pytest.mark.parametrize(("label", "attribute", "query"), ADMINS)
def test_changelist_lists_and_finds(admin_client, data, label, attribute, query):
    obj = getattr(data, attribute)
    model = apps.get_model(label)
    response = admin_client.get(admin_url(model))
    assert response.status_code == 200
    assert obj in results(response)

    response = admin_client.get(admin_url(model), {"q": query})
    assert response.status_code == 200
    assert obj in results(response)
    assert str(obj) in response.content.decode()

    response = admin_client.get(admin_url(model), {"q": "nothing-is-called-this"})
    assert response.status_code == 200
    assert results(response) == set()


@pytest.mark.parametrize(("label", "attribute"), sorted({(label, attribute) for label, attribute, _ in ADMINS}))
def test_add_and_change_pages_render(admin_client, data, label, attribute):
    obj = getattr(data, attribute)
    model = apps.get_model(label)
    assert admin_client.get(admin_url(model, "add")).status_code == 200
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200
    assert str(obj) in response.content.decode()


def test_user_admin_renders(admin_client, admin_user):
    user_model = type(admin_user)
    assert admin_client.get(admin_url(user_model), {"q": "admin"}).status_code == 200
    assert admin_client.get(admin_url(user_model, "change", admin_user.pk)).status_code == 200


def test_case_change_page_shows_figure_thumbnail_and_outcome_reading(admin_client, data):
    html = admin_client.get(admin_url(Case, "change", data.case.pk)).content.decode()
    figure = data.case.figures.get()
    assert "/media/renditions/" in html
    assert default_storage.exists(rendition_name(figure.image.name, 160))
    assert "16 RMB (2019) → 5.8 RMB (2021), −64%" in html
    assert 'name="outcomes-0-value" value="5.8"' in html, "stored as 5.8000, shown as typed"
    assert "Organizations" in html and "Collections (batches)" in html


def test_view_on_site_only_for_public_cases(admin_client, data):
    draft = make_case(status=Case.Status.DRAFT)
    assert "View on site" in admin_client.get(admin_url(Case, "change", data.case.pk)).content.decode()
    assert "View on site" not in admin_client.get(admin_url(Case, "change", draft.pk)).content.decode()


def test_case_pages_survive_a_missing_figure_file(admin_client, data):
    figure = data.case.figures.get()
    default_storage.delete(figure.image.name)
    assert admin_client.get(admin_url(Case)).status_code == 200
    response = admin_client.get(admin_url(Case, "change", data.case.pk))
    assert response.status_code == 200
    assert "/media/renditions/" not in response.content.decode()


def test_autocomplete_finds_regions_by_name(admin_client, data):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "cases", "model_name": "case", "field_name": "regions", "term": "yijun"},
    )
    assert response.status_code == 200
    assert [item["text"] for item in response.json()["results"]] == ["Yijun County"]


def test_region_admin_keeps_the_path_read_only(admin_client, data):
    response = admin_client.post(
        admin_url(Region, "add"),
        in_both_languages(
            {
                "name": "Pu'an County",
                "name_local": "",
                "slug": "puan",
                "level": "county",
                "code": "522323",
                "path": "/x/",
            },
        ),
    )
    assert response.status_code == 302, form_errors(response)
    assert Region.objects.get(slug="puan").path == "/522323/"


# The case changelist


def test_case_changelist_filters_by_status(admin_client, data):
    draft = make_case(status=Case.Status.DRAFT, assistance_type=data.type)
    response = admin_client.get(admin_url(Case), {"status__exact": "draft"})
    assert results(response) == {draft}


def test_case_changelist_filters_by_assistance_type(admin_client, data):
    make_case()
    response = admin_client.get(admin_url(Case), {"assistance_type__id__exact": data.type.pk})
    assert results(response) == {data.case}


def test_case_changelist_filters_by_province_including_its_counties(admin_client, data):
    elsewhere = make_case(regions=[make_region(name="Guizhou", slug="guizhou")])
    in_province = make_case(regions=[data.province])
    make_region(name="Yunnan", slug="yunnan")
    response = admin_client.get(admin_url(Case), {"province": "shaanxi"})
    assert results(response) == {data.case, in_province}
    assert elsewhere not in results(response)
    html = response.content.decode()
    assert "?province=guizhou" in html, "the filter lists the provinces that have cases"
    assert "?province=yunnan" not in html


def test_case_changelist_unknown_province_shows_nothing(admin_client, data):
    response = admin_client.get(admin_url(Case), {"province": "atlantis"})
    assert response.status_code == 200
    assert results(response) == set()


def test_case_changelist_filters_by_collection(admin_client, data):
    make_case(collections=[make_collection()])
    response = admin_client.get(admin_url(Case), {"collection_entries__collection__id__exact": data.collection.pk})
    assert results(response) == {data.case}


def test_case_changelist_shows_facet_counts(admin_client, data):
    make_case(regions=[make_region(name="Guizhou")])
    response = admin_client.get(admin_url(Case), {"_facets": "1"})
    assert response.status_code == 200
    assert "Shaanxi (1)" in response.content.decode()


def test_case_changelist_shows_provinces_and_thumbnail(admin_client, data):
    make_case(regions=[data.county, data.city, data.province, make_region(name="Guizhou")], title="Two provinces")
    response = admin_client.get(admin_url(Case))
    html = response.content.decode()
    assert "Guizhou, Shaanxi" in html
    assert html.count("/media/renditions/") == 1


def test_case_changelist_runs_a_constant_number_of_queries(admin_client, reference, django_assert_max_num_queries):
    def full_case():
        case = make_case(
            assistance_type=make_type(),
            regions=[reference.county, make_region(parent=make_region())],
            organizations=[make_organization()],
            themes=[reference.theme],
            collections=[make_collection()],
        )
        make_figure(case)
        make_figure(case)
        make_outcome(case)

    for _ in range(2):
        full_case()
    url = admin_url(Case)
    admin_client.get(url)  # renditions are made on the first view
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(url)
    two_cases = len(queries)  # now: the next request empties the log
    for _ in range(10):
        full_case()
    admin_client.get(url)
    with django_assert_max_num_queries(two_cases):
        response = admin_client.get(url)
    assert len(response.context["cl"].result_list) == 12


# Entering a case in one form


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def figure_form(prefix, image, caption="Figure 1 Cainiao County Distribution Center", slug=""):
    return {
        f"{prefix}-image": image,
        f"{prefix}-caption": caption,
        f"{prefix}-alt_text": "Workers load parcels onto a truck in front of a warehouse",
        f"{prefix}-credit": "Cainiao",
        f"{prefix}-order": "1",
        f"{prefix}-slug": slug,
    }


def case_form(reference, figures=None, **fields):
    """The POST of the case add page: every field, every inline with its management form."""
    figures = figures if figures is not None else [image_upload("center.png")]
    data = {
        "title": "Cainiao builds a county distribution center in Yijun",
        "slug": "cainiao-yijun",
        "summary": "A distribution center and online stores sell Yijun's apples and corn grits nationwide.",
        "background": "Yijun is a mountain county.",
        "approach": "Cainiao **built** a distribution center.",
        "results": "",
        "lessons": "",
        "assistance_type": reference.type.pk,
        "themes": [reference.theme.pk],
        "regions": [reference.county.pk],
        "commissioners": [reference.commissioner.pk],
        "initiatives": [reference.initiative.pk],
        "sources": [reference.source.pk],
        "start_year": "2020",
        "end_year": "2021",
        "status": "draft",
        "published_at_0": "",
        "published_at_1": "",
        **management("participations", 1),
        "participations-0-organization": reference.organization.pk,
        "participations-0-role": "assisting",
        "participations-0-note": "Built and runs the distribution center",
        **management("collection_entries", 1),
        "collection_entries-0-collection": reference.collection.pk,
        "collection_entries-0-number": "12",
        **management("figures", len(figures)),
        **management("outcomes", 1),
        "outcomes-0-metric": reference.metric.pk,
        "outcomes-0-indicator": "Price of 0.5 kg of corn grits, free shipping",
        "outcomes-0-qualifier": "",
        "outcomes-0-value": "5.8",
        "outcomes-0-year": "2021",
        "outcomes-0-baseline_qualifier": "",
        "outcomes-0-baseline_value": "16",
        "outcomes-0-baseline_year": "2019",
        "outcomes-0-region": reference.county.pk,
        "outcomes-0-source": reference.source.pk,
        "outcomes-0-note": "",
        "outcomes-0-order": "0",
        "outcomes-0-slug": "",
    }
    for i, image in enumerate(figures):
        data |= figure_form(f"figures-{i}", image)
    return data | fields


def test_adding_a_complete_case_creates_exactly_its_rows(admin_client, reference, media_root):
    response = admin_client.post(admin_url(Case, "add"), in_both_languages(case_form(reference)))
    assert response.status_code == 302, form_errors(response)

    case = Case.objects.get()
    assert case.title == "Cainiao builds a county distribution center in Yijun"
    assert case.status == Case.Status.DRAFT and case.published_at is None
    assert (case.start_year, case.end_year) == (2020, 2021)
    assert list(case.regions.all()) == [reference.county]
    assert list(case.themes.all()) == [reference.theme]
    assert list(case.commissioners.all()) == [reference.commissioner]
    assert list(case.initiatives.all()) == [reference.initiative]
    assert list(case.sources.all()) == [reference.source]
    assert list(Participation.objects.values_list("case", "organization", "role")) == [
        (case.pk, reference.organization.pk, "assisting")
    ]
    assert list(CollectionEntry.objects.values_list("case", "collection", "number")) == [
        (case.pk, reference.collection.pk, 12)
    ]

    figure = Figure.objects.get()
    assert figure.case == case
    assert figure.slug == "figure-1-cainiao-county-distribution-center"
    assert figure.image.name.startswith("figures/")
    assert (Path(media_root) / figure.image.name).is_file()

    outcome = Outcome.objects.get()
    assert outcome.case == case
    assert outcome.slug == "price-of-05-kg-of-corn-grits-free-shipping"
    assert (outcome.value, outcome.baseline_value, outcome.baseline_year) == (Decimal("5.8"), 16, 2019)
    assert (outcome.region, outcome.source, outcome.metric) == (reference.county, reference.source, reference.metric)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("center.png", b"not an image at all", "not an image in an allowed format (JPEG, PNG, WEBP, GIF)"),
        ("center.bmp", image_bytes("BMP"), "not an image in an allowed format (JPEG, PNG, WEBP, GIF)"),
    ],
    ids=["not-an-image", "bmp"],
)
def test_a_bad_figure_file_shows_an_error_and_creates_nothing(
    admin_client, reference, media_root, name, content, message
):
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = admin_client.post(admin_url(Case, "add"), in_both_languages(case_form(reference, figures=[upload])))
    assert response.status_code == 200
    assert message in str(form_errors(response))
    assert message in response.content.decode()
    assert not Case.objects.exists()
    assert not Figure.objects.exists() and not Outcome.objects.exists() and not Participation.objects.exists()
    assert not (Path(media_root) / "figures").exists()


def test_an_invalid_outcome_shows_an_error_and_creates_nothing(admin_client, reference):
    form = case_form(reference, **{"outcomes-0-baseline_year": "2023"})
    response = admin_client.post(admin_url(Case, "add"), in_both_languages(form))
    assert response.status_code == 200
    assert "The baseline year cannot come after the outcome" in response.content.decode()
    assert not Case.objects.exists()


def test_publishing_without_a_time_sets_it_to_now(admin_client, reference):
    before = timezone.now()
    response = admin_client.post(
        admin_url(Case, "add"), in_both_languages(case_form(reference, status="published")), follow=True
    )
    assert response.status_code == 200, form_errors(response)
    case = Case.objects.get()
    assert case.status == Case.Status.PUBLISHED
    assert before <= case.published_at <= timezone.now()
    assert "had no publication time; it was set to now" in response.content.decode()
    assert Case.objects.published().get() == case


def test_publishing_keeps_a_time_the_editor_gave(admin_client, reference):
    form = case_form(reference, status="published", published_at_0="2022-11-07", published_at_1="10:00:00")
    response = admin_client.post(admin_url(Case, "add"), in_both_languages(form))
    assert response.status_code == 302, form_errors(response)
    assert timezone.localtime(Case.objects.get().published_at).isoformat() == "2022-11-07T10:00:00+08:00"


def test_two_new_figures_with_the_same_caption_get_distinct_slugs(admin_client, reference):
    form = case_form(reference, figures=[image_upload("a.png"), image_upload("b.png")])
    form["figures-1-caption"] = form["figures-0-caption"]
    response = admin_client.post(admin_url(Case, "add"), in_both_languages(form))
    assert response.status_code == 302, form_errors(response)
    assert sorted(Figure.objects.values_list("slug", flat=True)) == [
        "figure-1-cainiao-county-distribution-center",
        "figure-1-cainiao-county-distribution-center-2",
    ]


def change_form(case, new_figures=()):
    """The POST of a case's change page: the case as saved, its figures unchanged, and new figures."""
    published_at = timezone.localtime(case.published_at) if case.published_at else None
    data = {
        "title": case.title,
        "slug": case.slug,
        "summary": case.summary,
        "assistance_type": case.assistance_type_id,
        "regions": [region.pk for region in case.regions.all()],
        "themes": [theme.pk for theme in case.themes.all()],
        "start_year": str(case.start_year),
        "status": case.status,
        "published_at_0": published_at.date().isoformat() if published_at else "",
        "published_at_1": published_at.time().isoformat() if published_at else "",
        # Saved organizations, collections and outcomes are left out: a formset only touches the forms it gets.
        **management("participations", 0),
        **management("collection_entries", 0),
        **management("outcomes", 0),
    }
    saved = list(case.figures.all())
    data |= management("figures", len(saved) + len(new_figures), initial=len(saved))
    for i, figure in enumerate(saved):
        data |= figure_form(f"figures-{i}", "", caption=figure.caption, slug=figure.slug)
        data |= {f"figures-{i}-id": figure.pk, f"figures-{i}-case": case.pk}
    for i, image in enumerate(new_figures, start=len(saved)):
        data |= figure_form(f"figures-{i}", image, caption="Photo")
    return data


def test_new_figures_on_a_saved_case_avoid_its_slugs(admin_client, data):
    make_figure(data.case, caption="Photo", slug="photo")
    form = change_form(data.case, new_figures=[image_upload("c.png"), image_upload("d.png")])
    response = admin_client.post(admin_url(Case, "change", data.case.pk), in_both_languages(form))
    assert response.status_code == 302, form_errors(response)
    assert set(data.case.figures.values_list("slug", flat=True)) >= {"photo", "photo-2", "photo-3"}
    assert data.case.figures.count() == 4


def test_saving_a_case_whose_figure_file_is_missing_says_so(admin_client, data):
    figure = data.case.figures.get()
    default_storage.delete(figure.image.name)
    response = admin_client.post(admin_url(Case, "change", data.case.pk), in_both_languages(change_form(data.case)))
    assert response.status_code == 200
    assert "missing from storage" in response.content.decode()


def test_organization_logo_must_be_an_allowed_image(admin_client, reference):
    form = {
        "name": "Pinduoduo",
        "name_local": "",
        "slug": "pinduoduo",
        "kind": "enterprise",
        "parent": "",
        "website": "",
        "description": "",
    }
    bmp = SimpleUploadedFile("logo.bmp", image_bytes("BMP"), content_type="image/bmp")
    response = admin_client.post(admin_url(Organization, "add"), in_both_languages(form | {"logo": bmp}))
    assert response.status_code == 200
    assert "allowed format" in response.content.decode()

    response = admin_client.post(
        admin_url(Organization, "add"), in_both_languages(form | {"logo": image_upload("logo.png")})
    )
    assert response.status_code == 302, form_errors(response)
    logo = Organization.objects.get(slug="pinduoduo").logo
    assert "/media/renditions/" in admin_client.get(admin_url(Organization)).content.decode()
    assert logo.name.startswith("logos/")


def test_commissioner_is_entered_with_postings(admin_client, reference):
    form = {
        "name": "Wang Fang",
        "name_local": "",
        "slug": "wang-fang",
        "organization": reference.organization.pk,
        "title": "Rural revitalization commissioner",
        "bio": "",
        **management("postings", 1),
        "postings-0-region": reference.county.pk,
        "postings-0-start_year": "2022",
        "postings-0-end_year": "2021",
    }
    response = admin_client.post(admin_url(Commissioner, "add"), in_both_languages(form))
    assert response.status_code == 200
    assert "A posting cannot end before it starts." in response.content.decode()

    response = admin_client.post(admin_url(Commissioner, "add"), in_both_languages(form | {"postings-0-end_year": ""}))
    assert response.status_code == 302, form_errors(response)
    posting = Commissioner.objects.get(slug="wang-fang").postings.get()
    assert (posting.region, posting.start_year, posting.end_year) == (reference.county, 2022, None)


def test_two_undated_postings_in_one_place_are_refused_on_their_row(admin_client, reference):
    undated = {"start_year": "", "end_year": ""}
    form = {
        "name": "Wang Fang",
        "name_local": "",
        "slug": "wang-fang",
        "organization": reference.organization.pk,
        "title": "",
        "bio": "",
        **management("postings", 2),
        **{f"postings-{i}-{field}": value for i in (0, 1) for field, value in undated.items()},
        "postings-0-region": reference.county.pk,
        "postings-1-region": reference.county.pk,
    }
    response = admin_client.post(admin_url(Commissioner, "add"), in_both_languages(form))
    assert response.status_code == 200
    assert "There is already a posting in Yijun County without a start year." in response.content.decode()
    assert not Commissioner.objects.filter(slug="wang-fang").exists()


def test_collection_refuses_a_repeated_case_number_on_its_row(admin_client, reference):
    first, second = make_case(), make_case()
    collection = reference.collection
    form = {
        "title": collection.title,
        "title_local": "",
        "short_title": collection.short_title,
        "slug": collection.slug,
        "publisher": collection.publisher_id,
        "published_on": collection.published_on.isoformat(),
        "batch_number": "1",
        "case_count": "36",
        "source": "",
        "assistance_types": [reference.type.pk],
        "description": "",
        **management("entries", 2),
        "entries-0-case": first.pk,
        "entries-0-number": "3",
        "entries-1-case": second.pk,
        "entries-1-number": "3",
    }
    response = admin_client.post(admin_url(Collection, "change", collection.pk), in_both_languages(form))
    assert response.status_code == 200
    assert "Another case in this collection is number 3." in response.content.decode()
    assert not CollectionEntry.objects.exists()

    response = admin_client.post(
        admin_url(Collection, "change", collection.pk), in_both_languages(form | {"entries-1-number": "4"})
    )
    assert response.status_code == 302, form_errors(response)
    assert dict(collection.entries.values_list("case", "number")) == {first.pk: 3, second.pk: 4}
    assert "2 of 36" in admin_client.get(admin_url(Collection)).content.decode()


def test_publication_time_help_explains_scheduling(admin_client):
    html = admin_client.get(admin_url(Case, "add")).content.decode()
    assert "schedules the case" in html


def test_published_case_in_the_future_is_not_public_yet(admin_client, reference):
    later = timezone.localtime(timezone.now() + timedelta(days=2))
    form = case_form(
        reference,
        status="published",
        published_at_0=later.date().isoformat(),
        published_at_1=later.time().replace(microsecond=0).isoformat(),
    )
    response = admin_client.post(admin_url(Case, "add"), in_both_languages(form))
    assert response.status_code == 302, form_errors(response)
    assert not Case.objects.published().exists()

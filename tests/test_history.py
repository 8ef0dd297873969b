from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from casebook.cases.models import Case, CollectionEntry, Figure, Outcome, Participation

from . import test_admin
from .factories import make_case, make_outcome
from .test_admin import admin_url, case_form, change_form, form_errors, in_both_languages, management

pytestmark = pytest.mark.django_db

reference = test_admin.reference

HOSTILE = '<script>alert(1)</script>" onmouseover=alert(2) x="'


def edit_form(case, **fields):
    """The POST of a case's change page: the case as saved (figures and outcomes included), then ``fields``."""
    data = change_form(case)
    outcomes = list(case.outcomes.all())
    data |= management("outcomes", len(outcomes), initial=len(outcomes))
    for i, outcome in enumerate(outcomes):
        prefix = f"outcomes-{i}-"
        row = {
            "id": outcome.pk,
            "case": case.pk,
            "metric": outcome.metric_id,
            "indicator": outcome.indicator,
            "qualifier": outcome.qualifier,
            "value": f"{outcome.value.normalize():f}",
            "year": str(outcome.year),
            "baseline_qualifier": outcome.baseline_qualifier,
            "baseline_value": f"{outcome.baseline_value.normalize():f}" if outcome.baseline_value is not None else "",
            "baseline_year": str(outcome.baseline_year or ""),
            "region": outcome.region_id or "",
            "source": outcome.source_id or "",
            "note": outcome.note,
            "order": str(outcome.order),
            "slug": outcome.slug,
        }
        data |= {prefix + key: value for key, value in row.items()}
    return data | fields


def history(client, case):
    return client.get(admin_url(Case, "history", case.pk))


def newest_point(client, case):
    return history(client, case).context["entries"][0]["point"]


def compare(client, case, a, b, follow=False, **params):
    return client.get(admin_url(Case, "history_compare", case.pk), {"a": a, "b": b, **params}, follow=follow)


def revert_url(case, point):
    return admin_url(Case, "history_revert", case.pk, point)


@pytest.fixture
def case(admin_client, reference):
    """A complete case entered through the admin: an organization, a collection, a figure, an outcome (5.8)."""
    response = admin_client.post(admin_url(Case, "add"), in_both_languages(case_form(reference)))
    assert response.status_code == 302, form_errors(response)
    return Case.objects.get()


@pytest.fixture
def edited(admin_client, case):
    """The case after a second save: a new title, the outcome at 6.2 and a second outcome, the figure deleted.
    Returns the case and the point before that save."""
    before = newest_point(admin_client, case)
    form = edit_form(case, title="Yijun distribution center, revised", **{"outcomes-0-value": "6.2"})
    form |= management("outcomes", 2, initial=1) | management("figures", 1, initial=1)
    form |= {"figures-0-DELETE": "on"}
    outcome = {key: value for key, value in form.items() if key.startswith("outcomes-0-")}
    form |= {key.replace("-0-", "-1-"): value for key, value in outcome.items() if not key.endswith(("-id", "-slug"))}
    form |= {"outcomes-1-indicator": "Online stores opened", "outcomes-1-value": "120", "outcomes-1-slug": ""}
    response = admin_client.post(admin_url(Case, "change", case.pk), in_both_languages(form))
    assert response.status_code == 302, form_errors(response)
    case.refresh_from_db()
    return case, before


def staff_user(django_user_model, *codenames):
    user = django_user_model.objects.create_user(username="editor", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="cases", codename__in=codenames))
    return user


def logged_in(user):
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


# Recording


def test_saving_through_the_admin_records_every_row_with_the_user(admin_client, admin_user, case, reference):
    assert case.history.exists()
    assert set(case.history.values_list("history_user", flat=True)) == {admin_user.pk}
    for model in (Figure, Outcome, Participation, CollectionEntry):
        rows = model.history.filter(case_id=case.pk)
        assert list(rows.values_list("history_type", "history_user")) == [("+", admin_user.pk)], model

    latest = case.history.latest()
    themes = apps.get_model("cases", "HistoricalCase_themes").objects.filter(history=latest)
    regions = apps.get_model("cases", "HistoricalCase_regions").objects.filter(history=latest)
    assert [row.theme_id for row in themes] == [reference.theme.pk], "the relations are recorded with the case"
    assert [row.region_id for row in regions] == [reference.county.pk]


def test_history_page_lists_case_and_child_changes_newest_first(admin_client, admin_user, edited):
    case, _before = edited
    response = history(admin_client, case)
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Case created: Cainiao builds a county distribution center in Yijun",
        "Outcome created: Online stores opened",
        "Outcome changed: Price of 0.5 kg of corn grits, free shipping",
        "Figure deleted: Figure 1 Cainiao County Distribution Center",
        "Organization",
        "Collection entry created",
    ):
        assert text in html
    dates = [entry["row"].history_date for entry in response.context["entries"]]
    assert dates == sorted(dates, reverse=True)
    assert {entry["row"].history_user for entry in response.context["entries"]} == {admin_user}
    changed_outcome = next(e for e in response.context["entries"] if e["label"].startswith("Price") and e["changed"])
    assert changed_outcome["changed"] == ["value"]


def test_a_long_history_comes_in_pages_each_version_but_the_newest_revertible(admin_client, monkeypatch):
    from casebook.cases.admin import CaseAdmin

    monkeypatch.setattr(CaseAdmin, "history_per_page", 3)
    case = make_case(title="Edited often")
    for n in range(5):
        case.title = f"Edited often, {n}"
        case.save()
    first, second = history(admin_client, case), admin_client.get(admin_url(Case, "history", case.pk), {"page": 2})
    points = [entry["point"] for response in (first, second) for entry in response.context["entries"]]
    assert len(points) == len(set(points)) == 6
    assert first.content.decode().count("revert to this version") == 2  # not the newest
    assert second.content.decode().count("revert to this version") == 3
    assert 'href="?page=2" rel="next"' in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()
    assert history(admin_client, case).context["entries"] == first.context["entries"]


def test_the_history_link_of_the_change_page_leads_to_the_case_history(admin_client, case):
    html = admin_client.get(admin_url(Case, "change", case.pk)).content.decode()
    assert admin_url(Case, "history", case.pk) in html


# Comparing


def test_compare_shows_a_changed_outcome_value_and_title(admin_client, edited):
    case, before = edited
    response = compare(admin_client, case, before, newest_point(admin_client, case))
    assert response.status_code == 200
    changes = {str(change["label"]): change for change in response.context["case_changes"]}
    assert changes["title [en]"]["before"] == "Cainiao builds a county distribution center in Yijun"
    assert changes["title [en]"]["after"] == "Yijun distribution center, revised"
    assert "title [zh-hans]" in changes

    outcomes, figures = response.context["sections"][0], response.context["sections"][1]
    price = next(item for item in outcomes["items"] if item["label"].startswith("Price"))
    assert str(price["status"]) == "changed"
    assert [(str(c["label"]), c["before"], c["after"]) for c in price["changes"]] == [("value", "5.8", "6.2")]
    assert [str(item["status"]) for item in outcomes["items"]] == ["changed", "added"]
    assert [str(item["status"]) for item in figures["items"]] == ["removed"]
    html = response.content.decode()
    assert "5.8" in html and "6.2" in html


def test_compare_in_either_order_shows_older_first(admin_client, edited):
    case, before = edited
    response = compare(admin_client, case, newest_point(admin_client, case), before)
    changes = {str(change["label"]): change for change in response.context["case_changes"]}
    assert changes["title [en]"]["after"] == "Yijun distribution center, revised"


def test_compare_can_show_unchanged_fields(admin_client, edited):
    case, before = edited
    response = compare(admin_client, case, before, newest_point(admin_client, case), all="1")
    labels = [str(change["label"]) for change in response.context["case_changes"]]
    assert "slug" in labels and "themes" in labels


def test_compare_refuses_points_of_another_case(admin_client, case):
    other = make_case()
    other_point = f"case-{other.history.get().history_id}"
    response = compare(admin_client, case, other_point, newest_point(admin_client, case), follow=True)
    assert "Choose two different versions to compare." in response.content.decode()


def test_compare_escapes_everything(admin_client, case):
    before = newest_point(admin_client, case)
    form = edit_form(case, title=HOSTILE, **{"outcomes-0-note": HOSTILE})
    response = admin_client.post(admin_url(Case, "change", case.pk), in_both_languages(form))
    assert response.status_code == 302, form_errors(response)

    for response in (
        compare(admin_client, case, before, newest_point(admin_client, case)),
        history(admin_client, case),
        admin_client.get(revert_url(case, before)),
    ):
        html = response.content.decode()
        assert "<script>alert(1)</script>" not in html
        assert '" onmouseover=' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=alert(2)" in html
    html = compare(admin_client, case, before, newest_point(admin_client, case)).content.decode()
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=alert(2) x=&quot;") >= 3


# Reverting


def test_revert_restores_the_case_its_relations_figures_and_outcomes(admin_client, admin_user, edited, reference):
    case, before = edited
    figure = Figure.history.get(case_id=case.pk, history_type="+")
    assert not case.commissioners.exists(), "the edit form left the commissioners out"

    response = admin_client.post(revert_url(case, before))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.title == "Cainiao builds a county distribution center in Yijun"
    assert case.title_zh_hans == "Cainiao builds a county distribution center in Yijun"
    assert case.background == "Yijun is a mountain county."
    assert list(case.commissioners.all()) == [reference.commissioner]
    assert list(case.initiatives.all()) == [reference.initiative]
    assert list(case.sources.all()) == [reference.source]
    assert list(case.themes.all()) == [reference.theme]

    outcome = case.outcomes.get()
    assert outcome.value == Decimal("5.8")
    assert not Outcome.objects.filter(indicator="Online stores opened").exists()
    restored = case.figures.get()
    assert restored.pk == figure.id
    assert (restored.caption, restored.image.name, restored.alt_text) == (
        figure.caption,
        figure.image,
        figure.alt_text,
    )
    assert (restored.width, restored.height) == (figure.width, figure.height)
    assert restored.image.storage.exists(restored.image.name), "figure files are kept on disk"


def test_a_revert_that_changes_the_address_keeps_the_one_readers_had(admin_client, client):
    case = make_case(title="Moved", slug="old-address")
    before = newest_point(admin_client, case)
    case.slug = "new-address"
    case.save()
    assert admin_client.post(revert_url(case, before)).status_code == 302
    case.refresh_from_db()
    assert case.slug == "old-address"
    response = client.get("/en/cases/new-address/")
    assert (response.status_code, response["Location"]) == (301, "/en/cases/old-address/")
    assert client.get("/en/cases/old-address/").status_code == 200


def test_revert_is_recorded_with_the_user_and_reason(admin_client, admin_user, edited):
    case, before = edited
    response = admin_client.post(revert_url(case, before), follow=True)
    assert "Reverted to version of" in response.content.decode()
    latest = case.history.latest()
    assert latest.history_user == admin_user
    assert latest.history_change_reason.startswith("Reverted to version of ")
    restored_figure = Figure.history.filter(case_id=case.pk).latest()
    assert (restored_figure.history_type, restored_figure.history_user) == ("+", admin_user)
    assert latest.history_date >= restored_figure.history_date, "the case's row comes last and holds the relations"


def test_reverting_the_revert_brings_the_edit_back(admin_client, edited):
    case, before = edited
    edit = newest_point(admin_client, case)
    admin_client.post(revert_url(case, before))
    admin_client.post(revert_url(case, edit))
    case.refresh_from_db()
    assert case.title == "Yijun distribution center, revised"
    assert sorted(case.outcomes.values_list("value", flat=True)) == [Decimal("6.2"), Decimal("120")]
    assert not case.figures.exists()


def test_get_on_revert_asks_and_changes_nothing(admin_client, edited):
    case, before = edited
    rows = case.history.count()
    response = admin_client.get(revert_url(case, before))
    assert response.status_code == 200
    assert "Yes, revert to this version" in response.content.decode()
    case.refresh_from_db()
    assert case.title == "Yijun distribution center, revised"
    assert case.history.count() == rows


def test_revert_needs_a_csrf_token(admin_user, edited):
    case, before = edited
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(revert_url(case, before)).status_code == 403
    case.refresh_from_db()
    assert case.title == "Yijun distribution center, revised"


def test_revert_to_an_unknown_point_changes_nothing(admin_client, case):
    rows = case.history.count()
    response = admin_client.post(revert_url(case, "case-999999"), follow=True)
    assert "That version does not exist." in response.content.decode()
    assert case.history.count() == rows


# Permissions


def test_anonymous_users_are_sent_to_log_in(edited):
    case, before = edited
    client = Client()
    for url in (admin_url(Case, "history", case.pk), admin_url(Case, "history_compare", case.pk)):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.post(revert_url(case, before))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Case.objects.get().title == "Yijun distribution center, revised"


def test_staff_without_permissions_gets_403(django_user_model, edited):
    case, before = edited
    client = logged_in(staff_user(django_user_model))
    assert history(client, case).status_code == 403
    assert compare(client, case, before, before).status_code == 403
    assert client.post(revert_url(case, before)).status_code == 403


def test_viewers_see_the_history_but_cannot_revert(django_user_model, edited):
    case, before = edited
    client = logged_in(staff_user(django_user_model, "view_case"))
    response = history(client, case)
    assert response.status_code == 200
    assert "revert to this version" not in response.content.decode()
    assert client.get(revert_url(case, before)).status_code == 403
    assert client.post(revert_url(case, before)).status_code == 403
    assert Case.objects.get().title == "Yijun distribution center, revised"


def test_an_editor_cannot_publish_by_reverting(django_user_model, admin_client):
    case = make_case(status=Case.Status.PUBLISHED, title="As published")
    make_outcome(case)
    published = f"case-{case.history.get().history_id}"
    case.status, case.published_at, case.title = Case.Status.DRAFT, None, "Back in draft"
    case.save()
    editor = logged_in(staff_user(django_user_model, "view_case", "change_case"))

    response = editor.get(revert_url(case, published))
    assert response.status_code == 200
    assert "Only a publisher can do that." in response.content.decode()
    assert editor.post(revert_url(case, published)).status_code == 403
    case.refresh_from_db()
    assert (case.status, case.title) == (Case.Status.DRAFT, "Back in draft")

    assert admin_client.post(revert_url(case, published)).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.title) == (Case.Status.PUBLISHED, "As published")


def test_an_editor_can_revert_a_draft(django_user_model, admin_client):
    case = make_case(status=Case.Status.DRAFT, title="First draft")
    first = f"case-{case.history.get().history_id}"
    case.title = "Second draft"
    case.save()
    editor_user = staff_user(django_user_model, "view_case", "change_case")
    editor = logged_in(editor_user)
    assert editor.post(revert_url(case, first)).status_code == 302
    case.refresh_from_db()
    assert case.title == "First draft"
    assert case.history.latest().history_user == editor_user
    assert case.updated_at <= timezone.now()

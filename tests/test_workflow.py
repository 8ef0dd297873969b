"""The editorial workflow: roles, transitions and who may make them, scheduled and withdrawn cases on the
public site, previews, earlier addresses and completeness."""

from datetime import timedelta

import pytest
from django import forms
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone, translation

from casebook.cases.models import Case, CaseRedirect
from casebook.cases.signals import cases_changed

from .factories import (
    make_case,
    make_figure,
    make_organization,
    make_outcome,
    make_region,
    make_source,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:cases_case_changelist"


def change_url(case):
    return reverse("admin:cases_case_change", args=[case.pk])


def transition_url(case, name):
    return reverse("admin:cases_case_transition", args=[case.pk, name])


def status_of(case):
    case.refresh_from_db()
    return case.status


def in_the(days):
    return timezone.now() + timedelta(days=days)


# Users


def user_in(django_user_model, username, group=None, **kwargs):
    user = django_user_model.objects.create_user(username, password="pw", is_staff=True, **kwargs)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(client, django_user_model):
    client.force_login(user_in(django_user_model, "editor", "Editors"))
    return client


@pytest.fixture
def publisher(client, django_user_model):
    client.force_login(user_in(django_user_model, "publisher", "Publishers"))
    return client


@pytest.fixture
def staff_without_permissions(client, django_user_model):
    client.force_login(user_in(django_user_model, "staff"))
    return client


def draft(**kwargs):
    """A case as the admin form would save it (Chinese title and summary, a region); a draft unless told."""
    kwargs.setdefault("status", Case.Status.DRAFT)
    kwargs.setdefault("title_zh_hans", "案例")
    kwargs.setdefault("summary_zh_hans", "摘要。")
    if "regions" not in kwargs:
        kwargs["regions"] = [make_region()]
    return make_case(**kwargs)


# The change form as the browser sends it back: every field of the form and its inlines, unchanged.


def form_data(form):
    data = {}
    for field in form:
        value = field.value()
        widget = getattr(field.field.widget, "widget", field.field.widget)  # under the related-field wrapper
        if isinstance(field.field, forms.FileField):
            continue
        if isinstance(widget, forms.MultiWidget):
            for i, part in enumerate(widget.decompress(value)):
                data[f"{field.html_name}_{i}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[field.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[field.html_name] = [str(item) for item in value]
        else:
            data[field.html_name] = "" if value is None else str(value)
    return data


def errors(response):
    context = response.context
    found = [context["adminform"].form.errors]
    for inline in context["inline_admin_formsets"]:
        found += [inline.formset.non_form_errors(), *inline.formset.errors]
    return [error for error in found if error]


def change_form(client, case, **changes):
    response = client.get(change_url(case))
    assert response.status_code == 200
    data = form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= form_data(formset.management_form)
        for form in formset.forms:
            data |= form_data(form)
    return data | changes


# Roles


def test_the_groups_exist_after_migrate_and_only_publishers_may_publish():
    editors, publishers = Group.objects.get(name="Editors"), Group.objects.get(name="Publishers")
    publish = Permission.objects.get(content_type__app_label="cases", codename="publish_case")
    assert publish not in editors.permissions.all()
    assert publish in publishers.permissions.all()
    assert set(publishers.permissions.all()) - set(editors.permissions.all()) == {publish}
    assert editors.permissions.filter(codename__in=["add_case", "change_case", "change_figure"]).count() == 3
    assert not editors.permissions.filter(codename="delete_case").exists()
    assert list(Group.objects.filter(permissions=publish)) == [publishers]


# Who may do what


def test_anonymous_is_sent_to_the_login_and_changes_nothing(client):
    case = draft()
    for url in (reverse(CHANGELIST), change_url(case)):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.post(transition_url(case, "publish"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert status_of(case) == Case.Status.DRAFT


def test_staff_without_permissions_gets_403_everywhere(staff_without_permissions):
    case = draft()
    assert staff_without_permissions.get(reverse(CHANGELIST)).status_code == 403
    assert staff_without_permissions.get(change_url(case)).status_code == 403
    for name in ("submit", "publish", "withdraw"):
        assert staff_without_permissions.post(transition_url(case, name)).status_code == 403
    assert status_of(case) == Case.Status.DRAFT


def test_editor_adds_a_case_as_a_draft_even_when_the_post_says_published(editor):
    region, organization = make_region(), make_organization()
    existing = draft(regions=[region], organizations=[organization])
    data = change_form(editor, existing)
    # The same form posted to the add page: a new case, with a status the editor may not set.
    data |= {
        "title_zh_hans": "新案例",
        "title_en": "New case",
        "slug": "new-case",
        "status": "published",
        "published_at_0": "2020-01-01",
        "published_at_1": "10:00:00",
    }
    for key in [key for key in data if key.endswith("-id") or key.endswith("-case")]:
        data[key] = ""
    for prefix in ("participations", "collection_entries", "figures", "outcomes"):
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    response = editor.post(reverse("admin:cases_case_add"), data)
    assert response.status_code == 302, errors(response)
    case = Case.objects.get(slug="new-case")
    assert case.status == Case.Status.DRAFT
    assert case.published_at is None


def test_editor_edits_a_case_and_submits_it_for_review(editor):
    case = draft(title="Old title")
    response = editor.post(change_url(case), change_form(editor, case, title_en="New title"))
    assert response.status_code == 302, errors(response)
    case.refresh_from_db()
    assert case.title_en == "New title"
    html = editor.get(change_url(case)).content.decode()
    assert "Submit for review" in html and "Publish now" not in html
    assert editor.post(transition_url(case, "submit")).status_code == 302
    assert status_of(case) == Case.Status.REVIEW
    assert LogEntry.objects.get(object_id=str(case.pk), change_message="Submitted for review").user.username == (
        "editor"
    )


def test_editor_sees_the_publication_fields_read_only(editor):
    case = draft()
    form = editor.get(change_url(case)).context["adminform"].form
    assert "status" not in form.fields and "published_at" not in form.fields


def test_editor_cannot_publish_by_a_crafted_post(editor):
    case = draft(status=Case.Status.REVIEW)
    data = change_form(editor, case, status="published", published_at_0="2020-01-01", published_at_1="10:00:00")
    response = editor.post(change_url(case), data)
    assert response.status_code == 302, errors(response)
    case.refresh_from_db()
    assert case.status == Case.Status.REVIEW and case.published_at is None


@pytest.mark.parametrize("name", ["publish", "schedule", "withdraw", "restore"])
def test_editor_cannot_use_a_transition_url(editor, name):
    case = draft(status=Case.Status.REVIEW)
    published = make_case()
    for target in (case, published):
        before = status_of(target)
        response = editor.post(transition_url(target, name), {"published_at": in_the(1).isoformat()})
        assert response.status_code == 403
        assert status_of(target) == before


def test_editor_has_no_publishing_actions_and_calling_one_does_nothing(editor):
    case = draft(status=Case.Status.REVIEW)
    response = editor.get(reverse(CHANGELIST))
    actions = [value for value, _label in response.context["action_form"].fields["action"].choices]
    assert "submit_for_review" in actions
    assert not {"publish_now", "schedule", "withdraw", "back_to_draft"} & set(actions)
    editor.post(reverse(CHANGELIST), {"action": "publish_now", "_selected_action": [case.pk]})
    assert status_of(case) == Case.Status.REVIEW


def test_transition_urls_take_only_post(publisher):
    case = draft()
    assert publisher.get(transition_url(case, "publish")).status_code == 405
    assert status_of(case) == Case.Status.DRAFT


# Publishing


def test_publisher_publishes_now_from_the_change_page(publisher):
    case = draft(status=Case.Status.REVIEW)
    html = publisher.get(change_url(case)).content.decode()
    assert "Publish now" in html and "Schedule" in html
    response = publisher.post(transition_url(case, "publish"), follow=True)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == Case.Status.PUBLISHED and case.published_at <= timezone.now()
    assert Case.objects.published().get() == case
    entry = LogEntry.objects.get(object_id=str(case.pk))
    assert (entry.user.username, entry.change_message) == ("publisher", "Published")


def test_publisher_schedules_withdraws_and_restores(publisher):
    case = draft(status=Case.Status.REVIEW)
    later = timezone.localtime(in_the(3)).replace(second=0, microsecond=0)
    publisher.post(transition_url(case, "schedule"), {"published_at": later.strftime("%Y-%m-%dT%H:%M")})
    case.refresh_from_db()
    assert (case.status, case.published_at) == (Case.Status.PUBLISHED, later)
    assert not Case.objects.published().exists()
    assert "Scheduled for" in publisher.get(change_url(case)).content.decode()
    assert "Scheduled for" in publisher.get(reverse(CHANGELIST)).content.decode()
    assert LogEntry.objects.filter(object_id=str(case.pk), change_message__startswith="Scheduled for").exists()

    publisher.post(transition_url(case, "withdraw"))
    assert status_of(case) == Case.Status.WITHDRAWN
    publisher.post(transition_url(case, "restore"))
    assert status_of(case) == Case.Status.DRAFT
    messages = list(LogEntry.objects.filter(object_id=str(case.pk)).values_list("change_message", flat=True))
    assert {"Withdrawn", "Back to draft"} <= set(messages)


def test_scheduling_needs_a_time_in_the_future(publisher):
    case = draft()
    publisher.post(transition_url(case, "schedule"), {"published_at": "2020-01-01T10:00"})
    publisher.post(transition_url(case, "schedule"), {})
    assert status_of(case) == Case.Status.DRAFT


def test_publisher_uses_the_changelist_actions(publisher):
    first, second = draft(status=Case.Status.REVIEW), draft()
    url = reverse(CHANGELIST)
    publisher.post(url, {"action": "publish_now", "_selected_action": [first.pk, second.pk]})
    assert status_of(first) == status_of(second) == Case.Status.PUBLISHED
    publisher.post(url, {"action": "withdraw", "_selected_action": [first.pk]})
    assert status_of(first) == Case.Status.WITHDRAWN
    publisher.post(url, {"action": "back_to_draft", "_selected_action": [first.pk]})
    assert status_of(first) == Case.Status.DRAFT
    later = timezone.localtime(in_the(2)).strftime("%Y-%m-%dT%H:%M")
    publisher.post(url, {"action": "schedule", "publish_at": later, "_selected_action": [first.pk]})
    first.refresh_from_db()
    assert first.status == Case.Status.PUBLISHED and first.published_at > timezone.now()


def test_superuser_can_do_everything(admin_client):
    case = draft()
    admin_client.post(transition_url(case, "submit"))
    assert status_of(case) == Case.Status.REVIEW
    admin_client.post(transition_url(case, "publish"))
    assert status_of(case) == Case.Status.PUBLISHED
    admin_client.post(transition_url(case, "withdraw"))
    assert status_of(case) == Case.Status.WITHDRAWN


def test_publishing_is_refused_while_a_figure_lacks_alt_text(publisher):
    case = draft()
    make_figure(case, caption="Figure 2 Tea garden", alt_text="")
    response = publisher.post(transition_url(case, "publish"), follow=True)
    assert "Figure 2 Tea garden" in response.content.decode()
    assert "need alt text" in response.content.decode()
    assert status_of(case) == Case.Status.DRAFT
    publisher.post(reverse(CHANGELIST), {"action": "publish_now", "_selected_action": [case.pk]})
    assert status_of(case) == Case.Status.DRAFT


def test_alt_text_in_english_only_is_not_enough(publisher):
    case = draft()
    make_figure(case, alt_text_en="Tea pickers", alt_text_zh_hans="")
    publisher.post(transition_url(case, "publish"))
    assert status_of(case) == Case.Status.DRAFT


def test_a_decorative_figure_needs_no_alt_text(publisher):
    case = draft()
    make_figure(case, alt_text="", decorative=True)
    publisher.post(transition_url(case, "publish"))
    assert status_of(case) == Case.Status.PUBLISHED


def test_publishing_through_the_form_also_needs_alt_text(publisher):
    case = draft()
    make_figure(case, caption="Figure 3 Warehouse", alt_text="")
    data = change_form(publisher, case, status="published")
    response = publisher.post(change_url(case), data)
    assert response.status_code == 200
    assert "Figure 3 Warehouse" in response.content.decode()
    assert status_of(case) == Case.Status.DRAFT


# Scheduled and withdrawn cases on the public site


def public_pages(case):
    with translation.override("en"):
        return {
            "home": reverse("cases:home"),
            "listing": reverse("cases:list"),
            "detail": case.get_absolute_url(),
        }


def shown_on(client, case):
    pages = public_pages(case)
    return {
        "home": case.title in client.get(pages["home"]).content.decode(),
        "listing": case.title in client.get(pages["listing"]).content.decode(),
        "detail": client.get(pages["detail"]).status_code == 200,
    }


def test_a_scheduled_case_appears_when_its_time_has_come(client):
    case = make_case(title="Tea from Puan", status=Case.Status.PUBLISHED, published_at=in_the(1))
    assert shown_on(client, case) == {"home": False, "listing": False, "detail": False}
    Case.objects.filter(pk=case.pk).update(published_at=timezone.now() - timedelta(minutes=1))
    # A write that bypasses save() announces the case, as every bulk writer must (the listing's index).
    cases_changed.send(sender=Case, case_ids=[case.pk])
    assert shown_on(client, case) == {"home": True, "listing": True, "detail": True}


def test_a_withdrawn_case_disappears_at_once(client, publisher):
    case = make_case(title="Apples from Yijun")
    anonymous = type(client)(headers={"accept-language": "en"})
    assert shown_on(anonymous, case) == {"home": True, "listing": True, "detail": True}
    publisher.post(transition_url(case, "withdraw"))
    assert shown_on(anonymous, case) == {"home": False, "listing": False, "detail": False}


# Preview


@pytest.mark.parametrize(
    "status, days",
    [(Case.Status.DRAFT, None), (Case.Status.REVIEW, None), (Case.Status.WITHDRAWN, -1), (Case.Status.PUBLISHED, 1)],
)
def test_staff_preview_an_unpublished_case_with_a_banner_and_noindex(editor, status, days):
    case = make_case(title="Secret case", status=status, published_at=in_the(days) if days else None)
    response = editor.get(case.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Secret case" in html
    assert "Not published — preview" in html
    assert '<meta name="robots" content="noindex">' in html
    assert response["X-Robots-Tag"] == "noindex"
    if status == Case.Status.PUBLISHED:
        assert "Scheduled for" in html


def test_the_preview_banner_is_translated(editor):
    case = draft()
    with translation.override("zh-hans"):
        url = case.get_absolute_url()
    html = editor.get(url).content.decode()
    assert "未发布——预览" in html


def test_staff_see_a_published_case_as_everyone_does(editor):
    case = make_case()
    response = editor.get(case.get_absolute_url())
    assert "preview" not in response.content.decode()
    assert "noindex" not in response.content.decode()
    assert "X-Robots-Tag" not in response


def test_others_get_a_404_for_an_unpublished_case(client, django_user_model, staff_without_permissions):
    case = draft(title="Secret case")
    assert staff_without_permissions.get(case.get_absolute_url()).status_code == 404
    not_staff = django_user_model.objects.create_user("reader", password="pw")
    reader = type(client)(headers={"accept-language": "en"})
    reader.force_login(not_staff)
    assert reader.get(case.get_absolute_url()).status_code == 404
    anonymous = type(client)(headers={"accept-language": "en"})
    assert anonymous.get(case.get_absolute_url()).status_code == 404


# Stable links


def rename(client, case, slug):
    response = client.post(change_url(case), change_form(client, case, slug=slug))
    assert response.status_code == 302, errors(response)


def detail(slug, language="en"):
    with translation.override(language):
        return reverse("cases:detail", kwargs={"slug": slug})


def test_a_published_case_keeps_its_old_address_in_both_languages(admin_client, client):
    case = draft(slug="old-name", status=Case.Status.PUBLISHED)
    rename(admin_client, case, "new-name")
    anonymous = type(client)(headers={"accept-language": "en"})
    for language in ("en", "zh-hans"):
        response = anonymous.get(detail("old-name", language))
        assert response.status_code == 301
        assert response["Location"] == detail("new-name", language)
    # and back again: the address in use is no redirect
    rename(admin_client, case, "old-name")
    assert anonymous.get(detail("old-name")).status_code == 200
    assert anonymous.get(detail("new-name")).status_code == 301
    assert list(CaseRedirect.objects.values_list("old_slug", flat=True)) == ["new-name"]


def test_a_draft_that_was_never_public_leaves_no_redirect(admin_client):
    case = draft(slug="first-try")
    rename(admin_client, case, "second-try")
    assert not CaseRedirect.objects.exists()


def test_a_redirect_to_a_case_no_longer_public_is_a_404(admin_client, client):
    case = draft(slug="old-name", status=Case.Status.PUBLISHED)
    rename(admin_client, case, "new-name")
    Case.objects.filter(pk=case.pk).update(status=Case.Status.WITHDRAWN)
    anonymous = type(client)(headers={"accept-language": "en"})
    response = anonymous.get(detail("old-name"))
    missing = anonymous.get(detail("nothing-here"))
    assert response.status_code == missing.status_code == 404


# Completeness


def completeness_cell(client, case):
    response = client.get(reverse(CHANGELIST))
    html = response.content.decode()
    row = html[html.index(f'href="{change_url(case)}"') :]
    return row[row.index('class="field-completeness"') : row.index("</td>", row.index('class="field-completeness"'))]


def test_the_changelist_shows_what_a_case_still_needs(admin_client):
    bare = draft(slug="bare", regions=[])
    cell = completeness_cell(admin_client, bare)
    # an empty case has figures with alt text and credit: it has no figures
    assert ">2/6<" in cell, cell
    assert "At least one region" in cell and "Narrative" in cell

    source = make_source()
    full = draft(
        slug="full",
        background="b",
        approach="a",
        results="r",
        lessons="l",
        organizations=[make_organization()],
    )
    make_outcome(full, source=source)
    make_figure(full, credit="Cainiao", alt_text_zh_hans="仓库前的货车")
    assert ">6/6<" in completeness_cell(admin_client, full)

    make_figure(full, alt_text="", credit="")
    cell = completeness_cell(admin_client, full)
    assert ">4/6<" in cell and "Alt text" in cell and "credit" in cell


def test_the_change_page_shows_the_checklist(admin_client):
    case = draft()
    html = admin_client.get(change_url(case)).content.decode()
    assert 'class="completeness"' in html and "At least one organization" in html

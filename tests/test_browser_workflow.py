"""The editorial workflow as its people use it, in headless Chromium: an editor drafts a case and submits
it for review, a publisher schedules it, it goes public when its time comes (no job runs), and the
history shows and reverts a changed outcome."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from casebook.cases.models import Case, Outcome

from .factories import image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# The groups come from a data migration, and a transactional test before this one has emptied the tables.
editorial_groups = importlib.import_module("casebook.cases.migrations.0003_editorial_groups")

PASSWORD = "a long test passphrase"


@pytest.fixture
def people(transactional_db, django_user_model):
    editorial_groups.create_groups(apps, schema_editor=None)
    call_command("load_fixtures", verbosity=0)
    editor = django_user_model.objects.create_user("editor", password=PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    publisher = django_user_model.objects.create_user("publisher", password=PASSWORD, is_staff=True)
    publisher.groups.add(Group.objects.get(name="Publishers"))
    return editor, publisher


def log_in(chromium, live_server, username):
    page = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    return page


def choose(page, select_id, text):
    page.locator(f"#{select_id} + .select2").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def test_editor_drafts_publisher_schedules_and_history_reverts_an_outcome(people, chromium, live_server, tmp_path):
    photo = tmp_path / "orchard.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(640, 480)))

    # The editor enters a draft and submits it for review; no publishing control is offered to them.
    editor = log_in(chromium, live_server, "editor")
    editor.goto(f"{live_server.url}/admin/cases/case/add/")
    editor.fill("#id_title_zh_hans", "宜君苹果包装设计")
    editor.locator("#id_title_en").press_sequentially("Packaging for Yijun apples")
    editor.fill("#id_summary_zh_hans", "公益设计师为宜君苹果重新设计包装。")
    editor.fill("#id_summary_en", "Designers redesigned the packaging of Yijun apples.")
    choose(editor, "id_assistance_type", "enterprises and social organizations")
    choose(editor, "id_regions", "Yijun")
    editor.fill("#id_start_year", "2021")
    assert editor.locator("#id_status").count() == 0  # read-only for editors
    editor.set_input_files("#id_figures-0-image", str(photo))
    editor.fill("#id_figures-0-caption_zh_hans", "图1 新包装")
    editor.fill("#id_figures-0-alt_text_zh_hans", "印有宜君字样的苹果礼盒")
    metric = editor.locator("#id_outcomes-0-metric option", has_text="Sales value").first.get_attribute("value")
    editor.select_option("#id_outcomes-0-metric", metric)
    editor.fill("#id_outcomes-0-indicator_zh_hans", "苹果销售额")
    editor.fill("#id_outcomes-0-value", "2000000")
    editor.fill("#id_outcomes-0-year", "2021")
    editor.click("input[name=_continue]")
    editor.wait_for_selector(".messagelist .success")
    assert editor.locator("button", has_text="Publish now").count() == 0
    editor.locator("button", has_text="Submit for review").click()
    editor.wait_for_selector(".messagelist")
    case = Case.objects.get(slug="packaging-for-yijun-apples")
    assert case.status == Case.Status.REVIEW
    assert editor.locator("button", has_text="Publish now").count() == 0
    editor.context.close()

    # The publisher schedules it for tomorrow: the admin says so, the public does not see it yet.
    publisher = log_in(chromium, live_server, "publisher")
    publisher.goto(f"{live_server.url}/admin/cases/case/{case.pk}/change/")
    tomorrow = timezone.localtime(timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    publisher.fill("#schedule-time", tomorrow.strftime("%Y-%m-%dT%H:%M"))
    publisher.locator("button", has_text="Schedule").click()
    publisher.wait_for_selector(".messagelist")
    assert "Scheduled for" in publisher.inner_text(".workflow-state")
    case.refresh_from_db()
    assert (case.status, case.published_at) == (Case.Status.PUBLISHED, tomorrow)
    public = chromium.new_context().new_page()
    response = public.goto(f"{live_server.url}/en/cases/{case.slug}/")
    assert response.status == 404

    # When its time has come (moved into the past here, instead of waiting a day) it is public: no job ran.
    Case.objects.filter(pk=case.pk).update(published_at=timezone.now() - timedelta(minutes=1))
    response = public.goto(f"{live_server.url}/en/cases/{case.slug}/")
    assert response.status == 200
    assert "Packaging for Yijun apples" in public.inner_text("h1")

    # The publisher corrects the outcome; the history compares the two numbers and reverts the change.
    publisher.goto(f"{live_server.url}/admin/cases/case/{case.pk}/change/")
    publisher.fill("#id_outcomes-0-value", "2500000")
    publisher.click("input[name=_continue]")
    publisher.wait_for_selector(".messagelist .success")
    assert Outcome.objects.get(case=case).value == 2500000
    publisher.goto(f"{live_server.url}/admin/cases/case/{case.pk}/history/")
    publisher.locator("a", has_text="compare with previous").first.click()
    comparison = publisher.inner_text("#content")
    assert "2000000" in comparison.replace(",", "") and "2500000" in comparison.replace(",", "")
    publisher.goto(f"{live_server.url}/admin/cases/case/{case.pk}/history/")
    publisher.locator("a", has_text="revert to this version").first.click()
    publisher.locator("input[type=submit][value='Yes, revert to this version']").click()
    publisher.wait_for_selector(".messagelist")
    assert Outcome.objects.get(case=case).value == 2000000
    public.context.close()
    publisher.context.close()

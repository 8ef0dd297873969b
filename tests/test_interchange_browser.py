"""The admin import as a person does it, in headless Chromium: from the case list to the upload, the dry run's
report, and the confirmation."""

import json
import zipfile

import pytest

from casebook.cases.models import Case

from .interchange_helpers import document, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long test passphrase"


def test_upload_dry_run_confirm(chromium, live_server, django_user_model, tmp_path, settings):
    settings.INTERCHANGE_UPLOAD_DIR = tmp_path / "uploads"
    django_user_model.objects.create_superuser("boss", password=PASSWORD)
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("batch.json", json.dumps(document(), ensure_ascii=False))
        zipped.writestr("figures/red.png", png_bytes())
    page = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/cases/case/")
    page.get_by_role("link", name="Import cases").click()
    page.set_input_files("#id_file", str(archive))
    page.get_by_role("button", name="Check the file").click()
    report = page.locator("#report-heading")
    assert report.inner_text() == "Dry run: what the import would do"
    assert page.get_by_role("row", name="Cases 2 0 0").is_visible()
    assert not Case.objects.exists()
    page.get_by_role("button", name="Confirm the import").click()
    page.wait_for_url(f"{live_server.url}/admin/cases/case/")
    assert "Imported batch.json: 8 created, 0 updated, 0 unchanged." in page.locator(".messagelist").inner_text()
    assert sorted(Case.objects.values_list("slug", flat=True)) == ["case-a", "case-b"]

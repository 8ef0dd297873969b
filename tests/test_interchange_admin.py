"""The admin's import page (upload, dry-run report, confirmation; 403 without permission) and export action."""

import io
import json
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casebook.accounts.models import User
from casebook.cases.models import Case

from .interchange_helpers import document, png_bytes, snapshot

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/interchange/import/"


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.INTERCHANGE_UPLOAD_DIR = tmp_path / "uploads"
    return settings.INTERCHANGE_UPLOAD_DIR


def staff(*codenames):
    user = User.objects.create_user("editor", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="cases", codename__in=codenames))
    return user


def zipped(doc):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("batch/batch.json", json.dumps(doc, ensure_ascii=False))
        archive.writestr("batch/figures/red.png", png_bytes())
    return SimpleUploadedFile("batch.zip", buffer.getvalue(), content_type="application/zip")


def test_upload_dry_run_then_confirm(admin_client, upload_dir):
    page = admin_client.get(reverse("admin:cases_case_changelist"))
    assert IMPORT_URL.encode() in page.content
    before = snapshot()
    response = admin_client.post(IMPORT_URL, {"file": zipped(document())})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dry run: what the import would do" in html
    assert "Dry run of batch.json, nothing written: 8 created, 0 updated, 0 unchanged." in html
    assert snapshot() == before
    token = response.context["token"]
    response = admin_client.post(IMPORT_URL, {"token": token, "confirm": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:cases_case_changelist")
    assert "Imported batch.json: 8 created, 0 updated, 0 unchanged." in response.content.decode()
    assert sorted(Case.objects.values_list("slug", "status")) == [("case-a", "published"), ("case-b", "draft")]
    case = Case.objects.get(slug="case-a")
    assert admin_client.get(reverse("admin:cases_case_change", args=[case.pk])).status_code == 200
    history = admin_client.get(reverse("admin:cases_case_history", args=[case.pk]))
    assert "Imported from batch.json" in history.content.decode()
    # The upload is gone once imported: confirming again does nothing.
    assert list(upload_dir.iterdir()) == []
    response = admin_client.post(IMPORT_URL, {"token": token, "confirm": "1"}, follow=True)
    assert "That upload has expired" in response.content.decode()


def test_a_rejected_file_shows_every_problem_and_offers_no_confirmation(admin_client):
    doc = document()
    doc["cases"][0]["start_year"] = "2019"
    doc["cases"][1]["outcomes"][0]["metric"] = "foo"
    upload = SimpleUploadedFile("batch.json", json.dumps(doc).encode(), content_type="application/json")
    response = admin_client.post(IMPORT_URL, {"file": upload})
    html = response.content.decode()
    assert "Rejected: nothing was imported" in html
    assert "batch.json: cases[0] (slug &quot;case-a&quot;): start_year: expected an integer, got a string" in html
    assert "outcomes[0].metric: unknown metric &quot;foo&quot;" in html
    assert 'name="confirm"' not in html
    assert not Case.objects.exists()


def test_an_editor_without_publish_permission_imports_drafts(client):
    client.force_login(staff("add_case", "change_case", "view_case"))
    response = client.post(IMPORT_URL, {"file": zipped(document())})
    assert "1 case has a status or publication time in the file that you may not set" in response.content.decode()
    client.post(IMPORT_URL, {"token": response.context["token"], "confirm": "1"})
    assert set(Case.objects.values_list("status", flat=True)) == {"draft"}
    assert Case.history.filter(history_user__username="editor").count() == 2


def test_others_get_403(client):
    client.force_login(staff("view_case", "change_case"))
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"file": zipped(document())}).status_code == 403
    assert IMPORT_URL.encode() not in client.get(reverse("admin:cases_case_changelist")).content
    assert not Case.objects.exists()


def test_a_zip_with_a_path_outside_its_folder_is_refused(admin_client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("batch.json", "{}")
        archive.writestr("../evil.png", b"x")
    upload = SimpleUploadedFile("batch.zip", buffer.getvalue())
    response = admin_client.post(IMPORT_URL, {"file": upload})
    assert "The .zip holds a path outside its folder: ../evil.png" in response.content.decode()


def test_export_selected_cases_downloads_a_zip_that_imports(admin_client, tmp_path):
    admin_client.post(IMPORT_URL, {"file": zipped(document())})
    admin_client.post(IMPORT_URL, {"token": admin_client.session["interchange_upload"], "confirm": "1"})
    case = Case.objects.get(slug="case-a")
    response = admin_client.post(
        reverse("admin:cases_case_changelist"), {"action": "export_selected", "_selected_action": [case.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["cases.json", "figures/case-a/figure-1.png"]
    exported = json.loads(archive.read("cases.json"))
    assert [entry["slug"] for entry in exported["cases"]] == ["case-a"]
    assert archive.read("figures/case-a/figure-1.png")[:8] == b"\x89PNG\r\n\x1a\n"

"""Faults: the database down or locked, storage full, and the error pages, as a visitor and an editor meet them.

The database going away is simulated in-process (its connection refuses to open); tests/test_outage.py does it
for real, against a gunicorn in front of PostgreSQL, and watches service come back by itself.
"""

import errno
import logging
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from casebook.cases.models import Case, Figure

from . import test_admin
from .factories import image_upload, make_case
from .test_admin import admin_url, case_form, change_form, form_errors, in_both_languages

reference = test_admin.reference  # the fixture: what a case refers to

REFUSED = OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')
LOCKED = OperationalError("database is locked")
GONE = InterfaceError("connection already closed")


def database_down(error=REFUSED):
    """Every query fails as it does when the database cannot be reached (or is locked, or dropped the connection)."""
    return mock.patch.object(connection, "ensure_connection", side_effect=error)


@pytest.fixture
def visitor():
    return Client(headers={"accept-language": "en"}, raise_request_exception=False)


def assert_static_503(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    content = response.content.decode()
    assert "Temporarily unavailable" in content and "暂时无法访问" in content
    for leak in ("Traceback", "OperationalError", "InterfaceError", "5432", "locked", "SECRET"):
        assert leak not in content


@pytest.mark.django_db
@pytest.mark.parametrize("error", [REFUSED, LOCKED, GONE], ids=["unreachable", "locked", "connection-lost"])
@pytest.mark.parametrize("name", ["cases:home", "cases:list", "cases:detail", "cases:feed"])
def test_public_pages_answer_the_static_503_page_while_the_database_is_down(visitor, name, error):
    case = make_case(slug="yijun")
    url = reverse(name, kwargs={"slug": case.slug} if name == "cases:detail" else {})
    with database_down(error):
        assert_static_503(visitor.get(url))
    # Nothing to restart: the next request after the database is back is served.
    assert visitor.get(url).status_code == 200


@pytest.mark.django_db
def test_the_outage_is_logged_as_one_warning_per_request_without_a_traceback(visitor, caplog):
    with database_down(), caplog.at_level(logging.WARNING):
        visitor.get(reverse("cases:list"))
    records = [record for record in caplog.records if record.name == "casebook.faults"]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING and records[0].exc_info is None
    assert "Connection refused" in records[0].getMessage()
    assert not [record for record in caplog.records if record.exc_info]


@pytest.mark.django_db
def test_a_logged_in_editor_gets_the_503_page_in_the_admin_too(admin_user):
    editor = Client(raise_request_exception=False)
    editor.force_login(admin_user)
    with database_down():
        assert_static_503(editor.get(admin_url(Case)))


class FailingMiddleware:
    """Fails outside any view, as the session middleware does when it saves a session to a database that is gone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self.get_response(request)
        raise OperationalError("server closed the connection unexpectedly")


@pytest.mark.django_db
def test_a_database_error_outside_any_view_also_answers_the_503_page(visitor, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_faults.FailingMiddleware"]
    assert_static_503(visitor.get(reverse("cases:list")))


@pytest.mark.django_db
def test_other_errors_outside_a_view_still_answer_the_500_page(visitor, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_faults.BrokenMiddleware"]
    response = visitor.get(reverse("cases:list"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "deliberate" not in response.content.decode()


class BrokenMiddleware(FailingMiddleware):
    def __call__(self, request):
        self.get_response(request)
        raise RuntimeError("A deliberate failure")


@pytest.mark.django_db
def test_healthz_follows_the_database(visitor):
    with database_down():
        assert visitor.get("/healthz").status_code == 503
    assert visitor.get("/healthz").status_code == 200


# The error pages are the site's own, need no database, and say nothing about the server.
# No db fixture here: pytest-django fails any query these requests would make.


def assert_no_detail(content):
    for leak in ("Traceback", "django", "Django", "SECRET", "settings.py", "/work/"):
        assert leak not in content


def test_the_icon_browsers_ask_for_by_default_is_the_pages_icon_without_the_database(visitor):
    # Asked for beside a JSON document or a feed, which name no icon: never a 404 in the browser console.
    response = visitor.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.svg"
    assert finders.find("img/favicon.svg")


def test_404_page_without_the_database(visitor):
    response = visitor.get("/en/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert '<link rel="stylesheet" href="/static/css/casebook.css">' in response.content.decode()
    assert_no_detail(response.content.decode())


def test_400_page_for_a_forged_host_without_the_database(visitor):
    response = visitor.get("/en/", headers={"host": "attacker.example"})
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()
    assert "attacker.example" not in response.content.decode()
    assert_no_detail(response.content.decode())


def test_403_page_for_a_failed_csrf_check_without_the_database():
    strict = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    response = strict.post("/admin/login/", {"username": "someone", "password": "x"})
    assert response.status_code == 403
    content = response.content.decode()
    assert "Access denied" in content and "security check failed" in content
    assert "CSRF" not in content
    assert_no_detail(content)


def test_403_page_for_a_permission_denied_without_the_database(settings):
    from django.core.exceptions import PermissionDenied
    from django.urls import path

    def forbidden(request):
        raise PermissionDenied("internal reason that must not show")

    from casebook.urls import urlpatterns as site_urlpatterns

    urlconf = type("urls", (), {"urlpatterns": [path("forbidden/", forbidden), *site_urlpatterns]})
    settings.ROOT_URLCONF = urlconf
    response = Client(headers={"accept-language": "en"}).get("/forbidden/")
    assert response.status_code == 403
    assert "Access denied" in response.content.decode()
    assert "internal reason" not in response.content.decode()


def test_500_page_without_the_database(settings):
    settings.ROOT_URLCONF = "tests.error_urls"
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    content = response.content.decode()
    assert "Something went wrong on our side" in content
    assert '<link rel="stylesheet" href="/static/css/error.css">' in content
    assert "A deliberate failure" not in content and "<style" not in content


def test_error_page_stylesheets_exist():
    static = Path(__file__).resolve().parent.parent / "static" / "css"
    assert (static / "error.css").is_file() and (static / "casebook.css").is_file()


# Storage full when a figure is saved: a form error, and no row pointing at a file that is not there.


def disk_full(name, content, max_length=None):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.django_db
def test_disk_full_when_adding_a_case_with_a_figure_is_a_form_error_and_saves_nothing(
    admin_client, reference, media_root, monkeypatch, caplog
):
    monkeypatch.setattr(default_storage, "_save", disk_full)
    response = admin_client.post(admin_url(Case, "add"), in_both_languages(case_form(reference)))
    assert response.status_code == 200
    assert "The image could not be stored (No space left on device)" in str(form_errors(response))
    # The form is shown again as sent.
    assert "Cainiao builds a county distribution center in Yijun" in response.content.decode()
    assert not Case.objects.exists() and not Figure.objects.exists()
    assert "A figure could not be stored" in caplog.text


@pytest.mark.django_db
def test_disk_full_when_adding_a_figure_to_a_case_keeps_the_case_as_it_was(admin_client, reference, monkeypatch):
    from .factories import make_figure

    case = make_case(title="Unchanged title", slug="unchanged", regions=[reference.county])
    make_figure(case)
    before = set(Figure.objects.values_list("pk", "image"))
    form = in_both_languages(change_form(case, new_figures=[image_upload("new.png")]) | {"title": "Changed title"})
    monkeypatch.setattr(default_storage, "_save", disk_full)
    response = admin_client.post(admin_url(Case, "change", case.pk), form)
    assert response.status_code == 200
    assert "could not be stored" in str(form_errors(response))
    case.refresh_from_db()
    assert case.title == "Unchanged title"
    assert set(Figure.objects.values_list("pk", "image")) == before
    for figure in Figure.objects.all():
        assert default_storage.exists(figure.image.name)


# A figure file missing or corrupt on disk: tests/test_images.py
# (test_a_broken_original_shows_a_placeholder_and_is_logged_once) and tests/test_detail.py.


@pytest.mark.django_db
def test_a_view_that_returns_normally_is_untouched_by_the_middleware():
    from casebook.faults import DatabaseUnavailableMiddleware

    middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponse("fine"))
    assert middleware.process_exception(None, ValueError("not a database error")) is None

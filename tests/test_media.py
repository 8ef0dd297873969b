"""/media/ serves a file to the public only while a public page shows it (casebook.media)."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from casebook.cases.images import make_renditions, rendition_name
from casebook.cases.models import Case
from casebook.organizations.models import Organization

from .factories import image_upload, make_case, make_figure, make_organization

pytestmark = pytest.mark.django_db


def media(name):
    return f"/media/{name}"


def published_figure():
    figure = make_figure(make_case(title="Shown"))
    make_renditions(figure.image)
    return figure


def test_a_published_cases_figure_and_its_renditions_are_served_to_anyone(client):
    figure = published_figure()
    for name in (figure.image.name, rendition_name(figure.image.name, 160), rendition_name(figure.image.name, 960)):
        response = client.get(media(name))
        assert response.status_code == 200, name
        body = b"".join(response.streaming_content)
        assert body == default_storage.open(name).read()
        assert response["Content-Type"] == ("image/png" if name.endswith(".png") else "image/jpeg")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "public" in response["Cache-Control"]


@pytest.mark.parametrize(
    "state",
    [
        {"status": Case.Status.DRAFT},
        {"status": Case.Status.REVIEW},
        {"status": Case.Status.WITHDRAWN},
        {"status": Case.Status.PUBLISHED, "published_at": timezone.now() + timedelta(days=2)},  # scheduled
    ],
    ids=["draft", "review", "withdrawn", "scheduled"],
)
def test_figures_of_a_case_the_public_cannot_see_are_404_to_the_public_and_served_to_staff(client, admin_user, state):
    figure = make_figure(make_case(title="Hidden", **state))
    make_renditions(figure.image)
    names = [figure.image.name, rendition_name(figure.image.name, 480)]
    for name in names:
        assert default_storage.exists(name)
        response = client.get(media(name))
        assert response.status_code == 404, name
        assert "Hidden" not in response.content.decode()
    client.force_login(admin_user)
    for name in names:
        response = client.get(media(name))
        assert response.status_code == 200, name
        assert "private" in response["Cache-Control"]


def test_withdrawing_a_case_takes_its_figures_off_at_once(client):
    figure = published_figure()
    assert client.get(media(figure.image.name)).status_code == 200  # and now the answer is cached

    case = figure.case
    case.status = Case.Status.WITHDRAWN
    case.save()
    assert client.get(media(figure.image.name)).status_code == 404
    assert client.get(media(rendition_name(figure.image.name, 160))).status_code == 404

    case.status = Case.Status.PUBLISHED
    case.save()
    assert client.get(media(figure.image.name)).status_code == 200


def test_a_replaced_or_deleted_image_stays_on_disk_for_history_but_not_in_public(client):
    figure = published_figure()
    old = figure.image.name
    assert client.get(media(old)).status_code == 200

    figure.image = image_upload("new.png")
    figure.save()
    assert default_storage.exists(old)
    assert client.get(media(old)).status_code == 404
    assert client.get(media(figure.image.name)).status_code == 200

    current = figure.image.name
    figure.delete()
    assert default_storage.exists(current)
    assert client.get(media(current)).status_code == 404


def test_a_file_shared_by_a_published_and_a_draft_case_is_public(client):
    figure = published_figure()
    make_figure(make_case(status=Case.Status.DRAFT), image=figure.image.name)
    assert client.get(media(figure.image.name)).status_code == 200


def test_files_no_public_page_shows_are_staff_only(client, admin_user, media_root):
    organization = make_organization(kind=Organization.Kind.ENTERPRISE)
    organization.logo = image_upload("logo.png")
    organization.save()
    default_storage.save("notes/readme.txt", default_storage.open(organization.logo.name))
    for name in (organization.logo.name, "notes/readme.txt"):
        assert client.get(media(name)).status_code == 404
    client.force_login(admin_user)
    for name in (organization.logo.name, "notes/readme.txt"):
        assert client.get(media(name)).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "../settings.py",
        "figures/../../casebook/settings.py",
        "%2e%2e/%2e%2e/casebook/settings.py",
        "figures//x.png",
        "figures/./x.png",
        "figures",
        "figures/",
        "nothing-here.png",
        "renditions/figures/2026/none-png-w160.jpg",
        "a\\..\\b.png",
        "x%00.png",
    ],
)
def test_odd_and_hostile_paths_are_404_even_for_staff(admin_client, path):
    published_figure()
    assert admin_client.get("/media/" + path).status_code == 404


def test_only_reading_is_allowed(client):
    figure = published_figure()
    assert client.head(media(figure.image.name)).status_code == 200
    assert client.post(media(figure.image.name)).status_code == 405


def test_behind_nginx_the_proxy_sends_the_file(client, settings):
    settings.MEDIA_ACCEL_REDIRECT = "/protected-media/"
    figure = published_figure()
    response = client.get(media(figure.image.name))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{figure.image.name}"
    assert response["Content-Type"] == "image/png"
    assert response.content == b""
    hidden = make_figure(make_case(status=Case.Status.DRAFT))
    response = client.get(media(hidden.image.name))
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response

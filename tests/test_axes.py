"""Admin login throttling (django-axes): repeated failures from one address lock it out with a clear, translated
message; a success resets the count; other addresses are not affected; the limits come from settings."""

import pytest
from django.test import Client
from django.utils import translation

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough password"
LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # Dozens of logins: the production hasher's deliberate slowness would only slow the suite down.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(django_user_model, fast_hashing):
    return django_user_model.objects.create_superuser("editor", password=PASSWORD)


def from_address(address, language="en"):
    return Client(REMOTE_ADDR=address, headers={"accept-language": language})


def log_in(client, password):
    return client.post(LOGIN, {"username": "editor", "password": password})


def test_repeated_failures_lock_out_with_a_clear_message(staff, settings):
    client = from_address("203.0.113.7")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, "wrong")
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()
    response = log_in(client, "wrong")
    assert response.status_code == 429
    content = response.content.decode()
    assert "Too many failed logins" in content
    assert "Try again in 15 minutes" in content
    # Locked out means locked out: the right password does not get in either.
    response = log_in(client, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_message_is_translated(staff, settings):
    client = from_address("203.0.113.8", language="zh-hans")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = log_in(client, "wrong")
    assert response.status_code == 429
    english = "Too many failed logins"
    with translation.override("zh-hans"):
        expected = translation.gettext(english)
    assert expected != english
    assert expected in response.content.decode()


def test_another_address_is_not_locked_out(staff, settings):
    attacker = from_address("203.0.113.9")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(attacker, "wrong")
    response = log_in(from_address("198.51.100.1"), PASSWORD)
    assert response.status_code == 302


def test_a_successful_login_resets_the_count(staff, settings):
    client = from_address("203.0.113.10")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "wrong").status_code == 200
    assert log_in(client, PASSWORD).status_code == 302


def test_the_limit_is_a_setting(staff, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = from_address("203.0.113.11")
    assert log_in(client, "wrong").status_code == 200
    assert log_in(client, "wrong").status_code == 429


def test_behind_a_proxy_the_client_address_comes_from_its_header(staff, settings):
    settings.CASEBOOK_CLIENT_IP_HEADER = "X-Real-IP"
    # Every request arrives from the proxy's address; the proxy names the client.
    attacker = Client(REMOTE_ADDR="127.0.0.1", headers={"x-real-ip": "203.0.113.12"})
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(attacker, "wrong")
    assert log_in(attacker, PASSWORD).status_code == 429
    colleague = Client(REMOTE_ADDR="127.0.0.1", headers={"x-real-ip": "198.51.100.2"})
    assert log_in(colleague, PASSWORD).status_code == 302


def test_limits_come_from_the_environment():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env |= {"DJANGO_LOGIN_FAILURE_LIMIT": "7", "DJANGO_LOGIN_COOLOFF_MINUTES": "45"}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.AXES_FAILURE_LIMIT, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        env=env | {"DJANGO_SETTINGS_MODULE": "casebook.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split()[-2:] == ["7", "45"]


def test_logins_without_a_request_still_work(staff, client):
    # The test client's login() (and scripts) authenticate without a request: no address to throttle.
    assert client.login(username="editor", password=PASSWORD)
    assert not client.login(username="editor", password="wrong")


def test_a_locked_out_address_cannot_log_in_even_with_a_request_built_by_hand(staff, settings, rf):
    from django.contrib.auth import authenticate

    client = from_address("203.0.113.13")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "wrong")
    request = rf.post(LOGIN, REMOTE_ADDR="203.0.113.13")
    assert authenticate(request, username="editor", password=PASSWORD) is None

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from casebook.accounts.management.commands import ensure_admin

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def credentials_file(tmp_path, monkeypatch):
    path = tmp_path / ".admin-credentials"
    monkeypatch.setattr(ensure_admin, "CREDENTIALS_FILE", path)
    monkeypatch.delenv("DJANGO_ADMIN_PASSWORD", raising=False)
    return path


def test_first_run_creates_an_administrator_and_prints_its_password(capsys, credentials_file):
    call_command("ensure_admin")
    out = capsys.readouterr().out
    user = get_user_model().objects.get()
    password = out.split("password: ")[1].split()[0]
    assert user.username == "admin" and user.is_superuser and user.is_staff
    assert user.check_password(password)
    assert f"password: {password}" in credentials_file.read_text()


def test_second_run_changes_nothing(capsys):
    call_command("ensure_admin")
    first = get_user_model().objects.get()
    capsys.readouterr()
    call_command("ensure_admin")
    out = capsys.readouterr().out
    assert get_user_model().objects.count() == 1
    assert get_user_model().objects.get().password == first.password
    assert "changepassword admin" in out


def test_password_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_ADMIN_PASSWORD", "a long local passphrase")
    call_command("ensure_admin", username="editor-in-chief")
    assert get_user_model().objects.get(username="editor-in-chief").check_password("a long local passphrase")

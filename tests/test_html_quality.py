"""Valid HTML on every kind of page (tests/pages.py), in both languages, checked by the Nu HTML Checker
(vnu.jar) in one run of Java for all pages."""

import json
import re
import subprocess

import pytest
from django.core.management import call_command
from django.test import Client

from .pages import each_page
from .tools import vnu_command

pytestmark = pytest.mark.django_db


def test_every_kind_of_page_is_valid_html(settings, tmp_path):
    command = vnu_command()
    folder = tmp_path / "html"  # beside media/, which vnu must not read
    folder.mkdir()
    call_command("load_fixtures", verbosity=0)
    settings.ROOT_URLCONF = "tests.error_urls"  # adds /broken/, a deliberate 500
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client(raise_request_exception=False)
    pages = {}
    for number, (label, path, page) in enumerate(each_page()):
        headers = {"host": page.host} if page.host else {}
        response = client.get(path, headers=headers)
        assert response.status_code == page.status, f"{label}: {path} answered {response.status_code}"
        name = f"{number:02d}-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}.html"
        (folder / name).write_bytes(response.content)
        pages[name] = f"{label} {path}"

    # A page known to be invalid: proof that the checker read the folder, rather than found nothing.
    (folder / "canary.html").write_text("<!DOCTYPE html><title>canary</title><p><div></p>")

    result = subprocess.run(  # noqa: S603 (a fixed command)
        [*command, "--errors-only", "--format", "json", "--skip-non-html", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr)["messages"]
    canary = [message for message in messages if message.get("url", "").endswith("/canary.html")]
    assert canary, "The Nu HTML Checker did not report the invalid canary page: did it check anything?"
    messages = [message for message in messages if message not in canary]
    problems = [
        f"{pages.get(message.get('url', '').rsplit('/', 1)[-1], message.get('url'))}, "
        f"line {message.get('lastLine')}: {message['message']}"
        for message in messages
    ]
    assert not problems, "The Nu HTML Checker found errors:\n" + "\n".join(problems)

import os

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with SQLite's one check of its JSON functions made (a query per connection, on the
    first JSON it builds): otherwise the first page in a run that folds relations (casebook/cases/folding.py)
    counts three more queries than the same page in any later test."""
    from django.db import connection

    with django_db_blocker.unblock():
        assert connection.features.supports_json_field, "folding relations needs the database's JSON functions"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test writes uploads and renditions into its own temporary folder, never into media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: counts cached by one test never answer for another's data."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def english():
    """Tests read in English unless they say otherwise: reverse() gives /en/… addresses, and data created
    with plain field names (title="…") fills the English columns."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """A test client whose browser prefers English: pages outside the language prefix (the admin) read
    in English unless a test asks otherwise. Pages under /zh-hans/ and /en/ follow their address."""
    from django.test import Client

    return Client(headers={"accept-language": "en"})


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session's browser tests."""
    from .browser import LAUNCH_ARGS, chromium_or_skip

    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run beside
    # one unless told it is safe, which it is here: the loop only talks to the browser.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()

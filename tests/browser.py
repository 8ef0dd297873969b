"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright's sync API, for tests marked ``browser``."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_or_skip():
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    message = "Chromium is not installed (apt-get install -y chromium); browser tests need it"
    if os.environ.get("CASEBOOK_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)

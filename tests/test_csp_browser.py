"""The Content Security Policy (default-src 'self': no inline script or style) breaks nothing a person uses: the
public pages and the admin, driven in headless Chromium, report no violation and their scripts still work."""

import pytest
from django.core.management import call_command

from casebook.cases.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def watched(page):
    """The page, recording CSP violations both as DOM events and as Chromium's console errors."""
    page.add_init_script(WATCH_VIOLATIONS)
    page.console_errors = []
    page.on(
        "console",
        lambda message: (
            page.console_errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return page


def violations(page):
    return page.evaluate("window.__cspViolations") + page.console_errors


@pytest.fixture
def seeded(transactional_db):
    call_command("load_fixtures", verbosity=0)
    return Case.objects.get()


def visit(page, url):
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    return response


def test_public_pages_raise_no_csp_violation(seeded, watched, live_server):
    for path in (
        "/en/",
        "/zh-hans/",
        "/en/cases/",
        "/en/cases/?q=apples&region=shaanxi",
        f"/en/cases/{seeded.slug}/",
        f"/zh-hans/cases/{seeded.slug}/",
        "/en/about/",
    ):
        visit(watched, live_server.url + path)
        assert violations(watched) == [], path
    # The error pages too.
    watched.goto(f"{live_server.url}/en/no/such/page/")
    watched.wait_for_load_state("networkidle")
    assert violations(watched) == []


def test_admin_raises_no_csp_violation_and_its_widgets_work(seeded, watched, live_server, django_user_model):
    django_user_model.objects.create_superuser("boss", password="a long test passphrase")
    page = watched
    visit(page, f"{live_server.url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "a long test passphrase")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert violations(page) == []

    for path in ("/admin/", "/admin/cases/case/", "/admin/cases/case/?status__exact=published", "/admin/regions/"):
        visit(page, live_server.url + path)
        assert violations(page) == [], path

    # The case form: autocomplete (select2) widgets, inlines with "add another", prepopulated slug, date widgets.
    visit(page, f"{live_server.url}/admin/cases/case/{seeded.pk}/change/")
    page.locator("#id_regions + .select2").click()
    page.locator(".select2-container--open .select2-search__field").fill("Yi")
    page.wait_for_selector(".select2-results__option")
    page.keyboard.press("Escape")
    figures_before = page.locator(".dynamic-figures").count()
    page.locator("#figures-group .add-row a").click()
    assert page.locator(".dynamic-figures").count() == figures_before + 1
    page.wait_for_load_state("networkidle")
    assert violations(page) == []

    visit(page, f"{live_server.url}/admin/cases/case/add/")
    page.locator("#id_title_en").press_sequentially("Tea gardens go online")
    assert page.input_value("#id_slug") == "tea-gardens-go-online"  # the prepopulated-fields script ran
    page.locator("#id_published_at_0 ~ .datetimeshortcuts a").first.click()  # "Today": the calendar script ran
    assert page.input_value("#id_published_at_0") != ""
    assert violations(page) == []

    for path in (f"/admin/cases/case/{seeded.pk}/history/", "/admin/accounts/user/"):
        visit(page, live_server.url + path)
        assert violations(page) == [], path
    entries = page.locator("#history input[name=a]")
    if entries.count() >= 2:
        page.locator("#content-main input[type=submit]").click()
        page.wait_for_load_state("networkidle")
    assert violations(page) == []

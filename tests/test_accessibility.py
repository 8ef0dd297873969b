"""Accessibility in headless Chromium: axe-core finds no serious or critical violation on any kind of page
(tests/pages.py), the keyboard reaches the search field and the cases with a visible focus, and a 360 px
wide phone never scrolls sideways."""

from pathlib import Path

import pytest
from django.core.management import call_command

from .pages import each_page
from .tools import axe_script

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASE = "/en/cases/alibaba-yijun-puan/"
LISTING = "/en/cases/"


@pytest.fixture
def seeded(transactional_db, settings):
    call_command("load_fixtures", verbosity=0)
    settings.ROOT_URLCONF = "tests.error_urls"  # adds /broken/, a deliberate 500


def test_no_serious_or_critical_axe_violations_on_any_kind_of_page(seeded, page, live_server):
    axe = Path(axe_script()).read_text()
    problems = []
    checked = 0
    for label, path, expected in each_page():
        if expected.host:
            continue  # a forged Host header cannot be sent from a browser; the page is the 404's template
        response = page.goto(live_server.url + path)
        assert response.status == expected.status, f"{label}: {path} answered {response.status}"
        # Evaluated through the DevTools protocol: a <script> tag would be refused by the site's CSP.
        page.evaluate(axe)
        violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
        checked += 1
        for violation in violations:
            if violation["impact"] in ("serious", "critical"):
                targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
                problems.append(
                    f"{label} {path}: {violation['id']} ({violation['impact']}): {violation['help']} — {targets}"
                )
    assert checked >= 10
    assert not problems, "axe-core found violations:\n" + "\n".join(problems)


FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return {
    name: element.getAttribute('name'),
    href: element.getAttribute('href'),
    inCard: !!element.closest('.cards'),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== 'none',
    background: style.backgroundColor,
  };
}"""


def test_the_keyboard_reaches_the_search_field_and_the_first_case_with_a_visible_focus(seeded, page, live_server):
    page.goto(live_server.url + LISTING)
    first_case = page.locator(".cards a").first.get_attribute("href")
    unfocused_background = page.locator(".cards a").first.evaluate("a => getComputedStyle(a).backgroundColor")
    reached_search = reached_case = None
    for _tab in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["name"] == "q" and reached_search is None:
            reached_search = focused
        if focused["inCard"] and focused["href"] == first_case:
            reached_case = focused
            break
    assert reached_search, "Tab never reached the search field"
    assert reached_search["outline"] or reached_search["shadow"], "the focused search field shows no focus"
    assert reached_case, "Tab never reached the first case"
    # Links show focus by a yellow background and an underline bar (static/css/casebook.css).
    assert reached_case["shadow"] or reached_case["outline"] or reached_case["background"] != unfocused_background


@pytest.mark.parametrize("path", [LISTING, CASE, "/zh-hans/cases/", "/zh-hans/cases/alibaba-yijun-puan/"])
def test_a_360_px_wide_phone_never_scrolls_sideways(seeded, chromium, live_server, path):
    context = chromium.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    try:
        phone = context.new_page()
        phone.goto(live_server.url + path)
        phone.wait_for_load_state("load")
        widths = phone.evaluate(
            "() => ({page: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth})"
        )
        assert widths["page"] <= widths["viewport"], f"{path} is {widths['page']} px wide on a 360 px screen"
        # Wide tables scroll inside their own box (.table-scroll), which is fine: the page itself does not.
        wider = phone.evaluate(
            """() => {
                const clipped = e => {
                    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
                        if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(p).overflowX)) return true;
                    }
                    return false;
                };
                return [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                    .filter(e => !clipped(e))
                    .slice(0, 5).map(e => e.tagName + '.' + e.className);
            }"""
        )
        assert wider == [], f"{path}: elements wider than the screen: {wider}"
    finally:
        context.close()

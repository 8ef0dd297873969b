"""Every kind of public page, once: the HTML and accessibility checks (test_html_quality.py,
test_accessibility.py) visit each of these in both languages, with the fixtures loaded
(``load_fixtures``: the Alibaba case, Shaanxi › Tongchuan › Yijun, the NRRA first batch).

Add a line here for every new kind of page; feeds, the sitemap, the API and CSV are not HTML and are
not checked here.
"""

from typing import NamedTuple


class Page(NamedTuple):
    name: str
    path: str  # "{lang}" becomes zh-hans, then en
    status: int = 200
    host: str = ""  # a Host header to send instead of the test server's


PAGES = [
    Page("home", "/{lang}/"),
    Page("listing", "/{lang}/cases/"),
    Page("listing, filtered and sorted", "/{lang}/cases/?region=shaanxi&type=enterprise-social&sort=title"),
    Page("listing, nothing found", "/{lang}/cases/?q=no-such-words-anywhere"),
    Page("listing, invalid filters", "/{lang}/cases/?region=nowhere&year=soon", 400),
    Page("case", "/{lang}/cases/alibaba-yijun-puan/"),
    Page("places", "/{lang}/regions/"),
    Page("place", "/{lang}/regions/shaanxi/"),
    Page("county", "/{lang}/regions/yijun/"),
    Page("organizations", "/{lang}/organizations/"),
    Page("organization", "/{lang}/organizations/alibaba/"),
    Page("commissioner", "/{lang}/commissioners/liu-yahui/"),
    Page("collections", "/{lang}/collections/"),
    Page("collection", "/{lang}/collections/nrra-first-batch-2022/"),
    Page("outcomes", "/{lang}/outcomes/"),
    Page("about", "/{lang}/about/"),
    Page("404", "/{lang}/cases/no-such-case/", 404),
    # The error pages a visitor meets: a forged Host header, a server failure (tests/error_urls.py).
    Page("400, forged host", "/{lang}/", 400, host="evil.example"),
    Page("500", "/broken/", 500),
]

LANGUAGES = ["zh-hans", "en"]


def each_page():
    """``(label, path, page)`` for every page in every language."""
    for page in PAGES:
        languages = LANGUAGES if "{lang}" in page.path else [None]
        for language in languages:
            path = page.path.format(lang=language) if language else page.path
            label = f"{page.name} [{language}]" if language else page.name
            yield label, path, page

"""Hostile input everywhere: arbitrary query strings at every public URL never make a 5xx nor show an
unpublished case, and a walk over every public URL with drafts, cases in review, withdrawn and scheduled cases
present finds none of them. The URLs are found by walking the URLconf, so pages added later are covered too."""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casebook.cases.models import Case

from .factories import make_case, make_collection, make_figure, make_organization, make_region, make_theme, make_type

pytestmark = pytest.mark.django_db

# Not public pages, or not pages at all.
SKIPPED = ("admin:", "healthz")

HIDDEN = {
    # status, published_at offset: each one must stay invisible to the public.
    "draft": (Case.Status.DRAFT, None),
    "review": (Case.Status.REVIEW, None),
    "withdrawn": (Case.Status.WITHDRAWN, timedelta(days=-30)),
    "scheduled": (Case.Status.PUBLISHED, timedelta(days=30)),
}


@pytest.fixture
def site():
    """One public case and one hidden case of each kind, sharing every region, type, theme, organization and
    collection, so any page that lists one would list the others if it leaked them."""
    province = make_region(name="Shaanxi", slug="shaanxi", code="610000")
    county = make_region(parent=province, name="Yijun", slug="yijun", code="610222", level="county")
    shared = {
        "assistance_type": make_type(name="Enterprise help", slug="enterprise"),
        "regions": [county],
        "themes": [make_theme(name="E-commerce", slug="e-commerce")],
        "organizations": [make_organization(name="Cainiao", slug="cainiao")],
        "collections": [make_collection(short_title="First batch", slug="first-batch")],
    }
    public = make_case(title="Visible apple orchards", slug="visible", **shared)
    make_figure(public)
    secrets = []
    for kind, (status, offset) in HIDDEN.items():
        title = f"Unpublished {kind} leakmarker"
        case = make_case(
            title=title,
            title_zh_hans=f"未发布 {kind} leakmarker",
            summary=f"Hidden summary {kind} leakmarker",
            slug=f"hidden-{kind}",
            status=status,
            published_at=timezone.now() + offset if offset is not None else None,
            **shared,
        )
        make_figure(case)
        secrets.append(case)
    assert list(Case.objects.published()) == [public]
    slugs = {
        "case": public.slug,
        "region": province.slug,
        "type": "enterprise",
        "theme": "e-commerce",
        "organization": "cainiao",
        "collection": "first-batch",
        "sitemap section": "cases",
    }
    return {"public": public, "secrets": secrets, "slugs": slugs}


def public_url_names(patterns=None, namespace=""):
    """Every named URL of the site outside the admin, with the names of its parameters."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += public_url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = namespace + pattern.name
            if not name.startswith(SKIPPED) and name not in {n for n, _ in found}:
                found.append((name, list(pattern.pattern.converters)))
    return found


def public_urls(slugs, client):
    """Each public URL name reversed in both languages; a parameter is filled with the first known slug that
    gives a page (a case, a region, a type, an organization, a collection…)."""
    urls = []
    for name, parameters in public_url_names():
        for language in ("en", "zh-hans"):
            with translation.override(language):
                if not parameters:
                    urls.append(reverse(name))
                    continue
                for slug in dict.fromkeys(slugs.values()):
                    try:
                        url = reverse(name, kwargs=dict.fromkeys(parameters, slug))
                    except Exception:  # noqa: S112 (this slug does not fit the pattern: try the next)
                        continue
                    if client.get(url).status_code == 200:
                        urls.append(url)
                        break
    return list(dict.fromkeys(urls))


def assert_no_leak(response, secrets, url):
    assert response.status_code < 500, (url, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    content = body.decode(errors="replace")
    assert "leakmarker" not in content, url
    for case in secrets:
        assert case.get_absolute_url() not in content, url


def test_every_public_url_is_found(site):
    names = {name for name, _ in public_url_names()}
    assert {"cases:home", "cases:list", "cases:detail", "cases:feed", "about"} <= names
    urls = public_urls(site["slugs"], Client())
    assert reverse("cases:detail", kwargs={"slug": "visible"}) in urls
    assert "/sitemap.xml" in urls
    assert "/sitemap-cases.xml" in urls


FILTERS = ["q", "region", "type", "theme", "organization", "org_kind", "commissioner", "collection", "year", "sort"]
# Never the marker itself: pages echo a query string back (search box, language links).
FILTER_VALUES = ["hidden-draft", "Unpublished", "draft", "published", "withdrawn", "-1", "99999999999999999999"]


def test_walk_every_public_url_with_hidden_cases_present(site):
    client = Client()
    secrets = site["secrets"]
    for url in public_urls(site["slugs"], client):
        assert_no_leak(client.get(url), secrets, url)
        if not url.startswith("/en/"):
            continue  # the filters work alike in every language: once is enough
        for i, name in enumerate(FILTERS):
            # Every value on the listings, one per filter elsewhere (the filters are the listing's).
            listing = url.rstrip("/").endswith("/cases")
            for value in FILTER_VALUES if listing else [FILTER_VALUES[i % len(FILTER_VALUES)]]:
                assert_no_leak(client.get(url, {name: value}), secrets, f"{url}?{name}={value}")
    for case in secrets:
        for language in ("en", "zh-hans"):
            assert client.get(f"/{language}/cases/{case.slug}/").status_code == 404
        # Nor its photographs, whose files are on disk beside the public case's.
        for figure in case.figures.all():
            assert client.get(figure.image.url).status_code == 404
    for figure in site["public"].figures.all():
        assert client.get(figure.image.url).status_code == 200


query_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(FILTER_VALUES + ["", "\x00", "'; drop table cases_case; --", "%", "../" * 8, "１２", "🍎"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
queries = st.lists(
    st.tuples(st.one_of(st.sampled_from([*FILTERS, "page", "format", "lang"]), st.text(max_size=12)), query_values),
    max_size=4,
)


@pytest.fixture
def urls(site):
    # Query strings are read alike in every language: the English addresses, and the sitemap.
    return [url for url in public_urls(site["slugs"], Client()) if not url.startswith("/zh-hans/")]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries, raw=st.text(max_size=30))
def test_arbitrary_query_strings_never_fail_nor_leak(site, urls, query, raw):
    client = Client(raise_request_exception=False)
    for url in urls:
        assert_no_leak(client.get(f"{url}?{urlencode(query)}"), site["secrets"], url)
        assert_no_leak(client.get(f"{url}?{quote(raw, safe='=&')}"), site["secrets"], url)


# Templates: autoescaping protects neither an unquoted attribute nor a javascript: URL an editor typed.

TEMPLATES = sorted((Path(__file__).resolve().parent.parent / "templates").rglob("*.html"))
UNQUOTED_ATTRIBUTE = re.compile(r"""\s[\w:-]+=(?=\{[{%])""")
# An editor's link (Source.url, Organization.website: the URLFields) straight into href/src, without |web_url.
RAW_EDITOR_LINK = re.compile(r"""(?:href|src)="\{\{\s*(?:[\w.]*source\.url|[\w.]*\.website)\s*\}\}""")


def test_templates_quote_every_attribute_value():
    offending = [
        f"{path.name}:{number}: {line.strip()}"
        for path in TEMPLATES
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if UNQUOTED_ATTRIBUTE.search(line)
    ]
    assert offending == []


def test_templates_pass_editor_links_through_web_url():
    offending = [
        f"{path.name}:{number}: {line.strip()}"
        for path in TEMPLATES
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if RAW_EDITOR_LINK.search(line)
    ]
    assert offending == []
    # The patterns find what they are for.
    assert UNQUOTED_ATTRIBUTE.search("<a href={{ url }}>")
    assert RAW_EDITOR_LINK.search('<a href="{{ case.source.url }}">')

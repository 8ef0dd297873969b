"""One version of the published data keys every cached figure: counts, facet panels and listing cards."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from casebook.cases.versions import (
    VERSION_KEY,
    cached,
    cached_many,
    data_changed,
    data_version,
    forget_after_the_request,
    remember_for_the_request,
)

from .factories import (
    make_case,
    make_collection,
    make_commissioner,
    make_metric,
    make_organization,
    make_outcome,
    make_region,
    make_theme,
    make_type,
)

pytestmark = pytest.mark.django_db


def test_a_figure_cached_before_a_change_commits_is_not_read_after_it(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        data_changed()
        # Another process reads the data as it was before the commit, and caches its figure under the new version.
        assert cached("cases", lambda: "as before the commit") == "as before the commit"
    assert cached("cases", lambda: "as committed") == "as committed"


def test_many_figures_are_computed_only_where_missing_and_again_after_a_change():
    asked = []

    def compute(items):
        asked.append(sorted(items))
        return {item: item * 10 for item in items if item != 3}  # 3 has no figure: none is kept

    assert cached_many({1: "one", 2: "two"}, compute) == {1: 10, 2: 20}
    assert cached_many({1: "one", 2: "two", 3: "three"}, compute) == {1: 10, 2: 20}
    assert asked == [[1, 2], [3]]
    data_changed()
    assert cached_many({2: "two"}, compute) == {2: 20}
    assert asked[-1] == [2]


def test_a_listing_page_reads_the_version_once(client, monkeypatch):
    region = make_region()
    make_case(regions=[region], themes=[make_theme()])
    reads = []
    get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *args, **kwargs: reads.append(key) or get(key, *args, **kwargs))
    # Its panel, its cards and the page itself are each kept under the version.
    assert client.get(reverse("cases:list"), {"region": region.slug}).status_code == 200
    assert reads.count(VERSION_KEY) == 1
    assert client.get(reverse("cases:list"), {"region": region.slug, "sort": "title"}).status_code == 200
    assert reads.count(VERSION_KEY) == 2  # the next request reads it again


def test_within_a_request_the_version_is_read_once_until_the_request_changes_the_data():
    # The receivers of request_started and request_finished (sending those would also close the connection).
    remember_for_the_request()
    try:
        first = data_version()
        cache.set(VERSION_KEY, {"token": "another process's", "due": None})
        assert data_version() == first  # one request, one version of the data
        data_changed()  # this request changed the data
        changed = data_version()
        assert changed not in (first, "another process's")
    finally:
        forget_after_the_request()
    cache.set(VERSION_KEY, {"token": "another process's", "due": None})
    assert data_version() == "another process's"  # outside a request, read each time


def test_outcomes_and_deleted_cases_make_a_new_version():
    case = make_case()
    before = data_version()
    outcome = make_outcome(case, metric=make_metric())
    assert data_version() != before
    before = data_version()
    outcome.delete()
    assert data_version() != before
    before = data_version()
    case.delete()
    assert data_version() != before


# Renamed reference data: the listing's cached panel and cards show the new name at once

NAME_FIELD = {
    "type": "name",
    "theme": "name",
    "region": "name",
    "organization": "name",
    "commissioner": "name",
    "collection": "short_title",
}


@pytest.fixture
def named():
    """A published case with one of each kind of reference data, each named "Old <kind>"."""
    things = {
        "type": make_type(name="Old type"),
        "theme": make_theme(name="Old theme"),
        "region": make_region(name="Old region"),
        "organization": make_organization(name="Old organization"),
        "collection": make_collection(short_title="Old collection"),
    }
    things["commissioner"] = make_commissioner(name="Old commissioner", organization=things["organization"])
    case = make_case(
        assistance_type=things["type"],
        themes=[things["theme"]],
        regions=[things["region"]],
        organizations=[things["organization"]],
        collections=[things["collection"]],
    )
    case.commissioners.add(things["commissioner"])
    return things


@pytest.mark.parametrize("kind", list(NAME_FIELD))
def test_a_rename_shows_on_the_listing_whose_panel_and_cards_were_cached(client, named, kind):
    listing = reverse("cases:list")
    assert f"Old {kind}" in client.get(listing).content.decode()  # the panel and the cards are cached now

    thing = named[kind]
    setattr(thing, NAME_FIELD[kind], f"New {kind}")
    thing.save()

    content = client.get(listing).content.decode()
    assert f"New {kind}" in content
    assert f"Old {kind}" not in content

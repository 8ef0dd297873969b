"""scripts/load.py (make load) asks for real pages: filter values, case slugs and words found in the data."""

import importlib.util
import io
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

spec = importlib.util.spec_from_file_location("load", Path(__file__).parent.parent / "scripts" / "load.py")
load = importlib.util.module_from_spec(spec)
spec.loader.exec_module(load)


@pytest.fixture
def synthetic(transactional_db):
    call_command("generate_cases", count=40, seed=1, stdout=io.StringIO())


def test_every_kind_asks_for_a_page_that_answers_200_with_real_filters(synthetic, live_server):
    site = load.discover(live_server.url)
    assert {"synthetic-1-000002", "synthetic-1-000003"} <= set(site.slugs)
    assert len(site.regions) == 31 and "sichuan" in site.regions  # every province, not the API's first page
    assert site.below and not set(site.below) & set(site.regions)  # places below the provinces
    assert "east-west-collaboration" in site.types
    assert set(site.options) <= set(load.FACETS) and {"type", "year"} <= set(site.options)
    assert site.api == "/api/cases/"
    mix = load.request_mix(site)
    assert set(mix) == {"listing", "faceted", "search", "case", "api"}
    seen = {kind: set() for kind in mix}
    for _ in range(40):
        for kind, path in ((kind, make()) for kind, make in mix.items()):
            seen[kind].add(path)
            with urllib.request.urlopen(live_server.url + path) as response:  # noqa: S310 (the test server)
                assert response.status == 200, path
    faceted = [urllib.parse.parse_qs(urllib.parse.urlsplit(path).query) for path in seen["faceted"]]
    assert all(query["region"][0] in site.regions + site.below for query in faceted)
    # A place and at least one more filter, drawn from many: the cache does not hold them all after a while.
    assert all(len(set(query) - {"region"}) >= 1 for query in faceted)
    assert len(seen["faceted"]) > 30 and len({param for query in faceted for param in query}) >= 4
    searched = {urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["q"][0] for path in seen["search"]}
    assert searched <= set(load.SEARCH_WORDS) and len(searched) > 1

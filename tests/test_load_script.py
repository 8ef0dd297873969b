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
    slugs, regions, types, listing_pages, api = load.discover(live_server.url)
    assert {"synthetic-1-000002", "synthetic-1-000003"} <= set(slugs)
    assert len(regions) == 31 and "sichuan" in regions  # every province, not the API's first page
    assert "east-west-collaboration" in types
    assert api == "/api/cases/"
    mix = load.request_mix(slugs, regions, types, listing_pages, api)
    assert set(mix) == {"listing", "faceted", "search", "case", "api"}
    seen = {kind: set() for kind in mix}
    for _ in range(40):
        for kind, path in ((kind, make()) for kind, make in mix.items()):
            seen[kind].add(path)
            with urllib.request.urlopen(live_server.url + path) as response:  # noqa: S310 (the test server)
                assert response.status == 200, path
    faceted = urllib.parse.parse_qs(urllib.parse.urlsplit(next(iter(seen["faceted"]))).query)
    assert faceted["region"][0] in regions and faceted["type"][0] in types
    searched = {urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["q"][0] for path in seen["search"]}
    assert searched <= set(load.SEARCH_WORDS) and len(searched) > 1

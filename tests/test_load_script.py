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


@pytest.mark.parametrize(("text", "pause"), [("1-3", (1.0, 3.0)), ("2", (2.0, 2.0)), ("0.5-0.5", (0.5, 0.5))])
def test_think_time_reads_min_max_seconds(text, pause):
    assert load.think_range(text) == pause


@pytest.mark.parametrize("text", ["", "x", "3-1", "-1", "1-2-3"])
def test_think_time_refuses_what_is_not_min_max_seconds(text):
    with pytest.raises(load.argparse.ArgumentTypeError):
        load.think_range(text)


class AnsweringConnection:
    """http.client.HTTPConnection's part the load client uses, answering 200 at once."""

    def __init__(self, *args, **kwargs):
        pass

    def request(self, *args, **kwargs):
        pass

    def getresponse(self):
        return self

    status = 200

    def read(self):
        return b""

    def getheader(self, name, default=""):
        return default

    def close(self):
        pass


def test_a_thinking_client_pauses_between_its_requests(monkeypatch):
    clock, pauses = [0.0], []

    def sleep(seconds):
        pauses.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(load.http.client, "HTTPConnection", AnsweringConnection)
    monkeypatch.setattr(load.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(load.time, "sleep", sleep)
    results = []
    load.client("127.0.0.1", 1, {"listing": lambda: "/en/cases/"}, 10, results, load.threading.Lock(), (1, 3))
    # First a pause of up to 3 s (clients arrive one by one), then 10 seconds of 1 to 3 s pauses: 3 to 10
    # requests, each followed by a pause, the last one cut at the end.
    arrival, pauses = pauses[0], pauses[1:]
    assert 0 <= arrival <= 3
    assert 3 <= len(results) <= 10 and len(pauses) == len(results)
    assert all(1 <= pause <= 3 for pause in pauses[:-1]) and 0 <= pauses[-1] <= 3
    assert clock[0] == pytest.approx(10)

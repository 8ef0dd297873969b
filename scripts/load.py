#!/usr/bin/env python3
"""A bounded load generator for `make load`: CLIENTS concurrent keep-alive clients on loopback for DURATION
seconds against a running Casebook, mixing listing, faceted listing, search, case pages and (when present) the
API. Prints requests per second and p50/p95/p99 latency per kind, and ends with ``errors=<n> 5xx=<n>``.

    scripts/load.py http://127.0.0.1:8000 [--clients 32] [--duration 60] [--think 1-3]

By default each client asks again as soon as it has its answer: a saturation test, where every request waits
behind the others (on 2 cores, 32 clients queue about 16 deep). ``--think MIN-MAX`` makes each client pause a
random MIN to MAX seconds between requests, as a person reading a page does (locust's ``between``), and
the clients arrive over the first MAX seconds rather than all at once.
"""

# Random choices of pages to ask for, not secrets.
# ruff: noqa: S311

import argparse
import http.client
import random
import re
import statistics
import threading
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass

SEARCH_WORDS = ("cooperative", "quinoa", "合作社", "藜麦")  # common and rare words in generate_cases' data


def fetch(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310 (loopback only)
        return response.read().decode()


def discover(base):
    """What to ask for, from the site itself: province slugs from the API (or the listing's facet links), the
    options of the listing's facet checkboxes (types, themes, kinds of organization, years), a few places below
    the provinces (from province pages' facet links), case slugs from listing pages spread over the whole list
    (the first pages and some deep ones), plus generate_cases' two benchmark cases."""
    listing = fetch(base, "/en/cases/")
    pages = max([1, *(int(n) for n in re.findall(r"[?&](?:amp;)?page=(\d+)", listing))])
    options = {}
    for param, value in re.findall(r'name="([a-z_]+)" value="([a-z0-9-]+)"', listing):
        if param in FACETS:
            options.setdefault(param, set()).add(value)
    options = {param: sorted(values) for param, values in options.items()}
    try:
        provinces = fetch(base, "/api/regions/?level=province&page_size=100")
        regions = sorted(set(re.findall(r'"slug": ?"([a-z0-9-]+)"', provinces)))
    except OSError:
        regions = []
    regions = regions or sorted(set(re.findall(r"[?&](?:amp;)?region=([a-z0-9-]+)", listing)))
    below = set()
    for province in random.sample(regions, min(len(regions), 5)):
        html = fetch(base, f"/en/cases/?region={province}")
        below.update(set(re.findall(r"[?&](?:amp;)?region=([a-z0-9-]+)", html)) - set(regions))
    slugs = set()
    for page in sorted({*range(1, min(pages, 3) + 1), *random.sample(range(1, pages + 1), min(pages, 7))}):
        html = listing if page == 1 else fetch(base, f"/en/cases/?page={page}")
        slugs.update(re.findall(r'href="/en/cases/([a-z0-9-]+)/"', html))
    for slug in ("synthetic-1-000002", "synthetic-1-000003"):  # generate_cases' case-page benchmark cases
        try:
            fetch(base, f"/en/cases/{slug}/")
            slugs.add(slug)
        except OSError:
            pass
    api = None
    try:
        fetch(base, "/api/cases/")
        api = "/api/cases/"
    except OSError:
        pass
    # Listing pages: mostly the first ten, as visitors page; now and then a deep one (an index, not a scan).
    listing_pages = [str(n) for n in range(1, min(pages, 10) + 1)] + [str(max(1, pages // 2)), str(pages), "last"]
    return Site(sorted(slugs), regions, sorted(below), options, listing_pages, api)


@dataclass
class Site:
    slugs: list
    regions: list  # provinces
    below: list  # places below a province
    options: dict  # facet parameter -> its values on the listing
    listing_pages: list
    api: str | None

    @property
    def types(self):
        return self.options.get("type", [])


# The facet parameters a visitor combines with a place, and how often each is chosen.
FACETS = {"type": 0.5, "theme": 0.3, "year": 0.3, "org_kind": 0.15}


def request_mix(site):
    """Kind → a function giving the next path of that kind."""
    regions, types = site.regions or [""], site.types or [""]
    choice = random.choice

    def language(word):
        return "zh-hans" if re.search(r"[\u4e00-\u9fff]", word) else "en"

    def search():
        word = choice(SEARCH_WORDS)
        return f"/{language(word)}/cases/?" + urllib.parse.urlencode({"q": word})

    def faceted():
        """A place (a province, now and then one below it) with one or more other filters: thousands of
        filter states, as many visitors make, not a few the cache soon holds."""
        params = [("region", choice(site.below) if site.below and random.random() < 0.2 else choice(regions))]
        for param, share in FACETS.items():
            if site.options.get(param) and random.random() < share:
                params.append((param, choice(site.options[param])))
        if len(params) == 1:
            params.append(("type", choice(types)))
        return "/en/cases/?" + urllib.parse.urlencode(params)

    mix = {
        "listing": lambda: f"/en/cases/?page={choice(site.listing_pages)}",
        "faceted": faceted,
        "search": search,
    }
    if site.slugs:
        mix["case"] = lambda: f"/{choice(('en', 'zh-hans'))}/cases/{choice(site.slugs)}/"
    if site.api:
        mix["api"] = lambda: site.api + "?" + urllib.parse.urlencode({"region": choice(regions), "type": choice(types)})
    return mix


def client(host, port, mix, deadline, results, lock, think=(0, 0)):
    kinds = list(mix)
    connection = http.client.HTTPConnection(host, port, timeout=30)
    mine = []
    if think[1]:
        # People arrive one by one, not all in the same second: a first pause of up to the longest think time
        # (as locust spawns its users over time).
        time.sleep(random.uniform(0, think[1]))
    while time.monotonic() < deadline:
        kind = random.choice(kinds)
        path = mix[kind]()
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers={"Host": f"{host}:{port}"})
            response = connection.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except (OSError, http.client.HTTPException):
            status = 0  # a connection error
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=30)
        mine.append((kind, time.perf_counter() - started, status))
        if think[1]:
            time.sleep(min(random.uniform(*think), max(0, deadline - time.monotonic())))
    with lock:
        results.extend(mine)


def think_range(text):
    """ "1-3" → (1.0, 3.0); "2" → (2.0, 2.0)."""
    low, _, high = text.partition("-")
    try:
        pause = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not MIN-MAX seconds: {text!r}") from None
    if not 0 <= pause[0] <= pause[1]:
        raise argparse.ArgumentTypeError(f"not MIN-MAX seconds with 0 <= MIN <= MAX: {text!r}")
    return pause


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="e.g. http://127.0.0.1:8000 (loopback only)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument(
        "--think", type=think_range, default=(0, 0), help="seconds between a client's requests, MIN-MAX (default 0)"
    )
    parser.add_argument("--kinds", help="only these kinds, comma-separated (e.g. listing,faceted), to isolate one")
    arguments = parser.parse_args()
    url = urllib.parse.urlsplit(arguments.base)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("load is only generated against loopback")

    site = discover(arguments.base)
    mix = request_mix(site)
    if arguments.kinds:
        mix = {kind: mix[kind] for kind in arguments.kinds.split(",")}
    print(
        f"kinds: {', '.join(mix)}; {len(site.slugs)} case pages, {len(site.regions)} provinces "
        f"and {len(site.below)} places below, "
        + ", ".join(f"{len(values)} {param}" for param, values in site.options.items())
        + "; "
        f"words {', '.join(SEARCH_WORDS)}; "
        f"{arguments.clients} clients for {arguments.duration:g} s"
        + (f", thinking {arguments.think[0]:g}-{arguments.think[1]:g} s between requests" if arguments.think[1] else "")
    )
    results, lock = [], threading.Lock()
    deadline = time.monotonic() + arguments.duration
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=client, args=(url.hostname, url.port or 80, mix, deadline, results, lock, arguments.think)
        )
        for _ in range(arguments.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    print(f"{'kind':<10}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    by_kind = defaultdict(list)
    for kind, seconds, _status in results:
        by_kind[kind].append(seconds * 1000)
    for kind in [*mix, "all"]:
        times = sorted(by_kind[kind] if kind != "all" else [seconds * 1000 for _, seconds, _ in results])
        if not times:
            continue
        print(
            f"{kind:<10}{len(times):>10}{len(times) / elapsed:>9.1f}{statistics.median(times):>9.0f}"
            f"{percentile(times, 0.95):>9.0f}{percentile(times, 0.99):>9.0f}"
        )
    statuses = defaultdict(int)
    for _, _, status in results:
        statuses[status or "connection-error"] += 1
    print("statuses: " + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items(), key=str)))
    errors = sum(1 for _, _, status in results if status == 0 or status >= 400)
    server_errors = sum(1 for _, _, status in results if status >= 500)
    print(f"errors={errors} 5xx={server_errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())

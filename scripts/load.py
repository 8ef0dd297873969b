#!/usr/bin/env python3
"""A bounded load generator for `make load`: CLIENTS concurrent keep-alive clients on loopback for DURATION
seconds against a running Casebook, mixing listing, faceted listing, search, case pages and (when present) the
API. Prints requests per second and p50/p95/p99 latency per kind, and ends with ``errors=<n> 5xx=<n>``.

    scripts/load.py http://127.0.0.1:8000 [--clients 32] [--duration 60]
"""

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


def discover(base):
    """What to ask for, from the site itself: case slugs from the listing, filter values from its form."""
    with urllib.request.urlopen(f"{base}/en/cases/", timeout=30) as response:  # noqa: S310 (loopback)
        listing = response.read().decode()
    slugs = sorted(set(re.findall(r'href="/en/cases/([a-z0-9-]+)/"', listing)))
    options = defaultdict(list)
    for name, body in re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', listing, re.S):
        options[name] = [value for value in re.findall(r'<option value="([^"]+)"', body) if value]
    pages = max([1, *(int(n) for n in re.findall(r"[?&]page=(\d+)", listing))])
    options["page"] = [str(n) for n in range(1, min(pages, 50) + 1)]
    words = [word for word in re.findall(r"\b[A-Za-z]{5,}\b", listing) if word.islower()][:50] or ["county"]
    api = None
    for candidate in ("/api/cases/", "/api/v1/cases/"):
        try:
            with urllib.request.urlopen(base + candidate, timeout=30) as response:  # noqa: S310
                if response.status == 200:
                    api = candidate
                    break
        except OSError:
            continue
    return slugs, options, words, api


def request_mix(slugs, options, words, api):
    """Kind → a function giving the next path of that kind."""
    regions = options.get("region") or [""]
    types = options.get("type") or [""]
    mix = {
        "listing": lambda: f"/en/cases/?page={random.choice(options['page'])}",  # noqa: S311 (not cryptography)
        "faceted": lambda: (
            "/en/cases/?"
            + urllib.parse.urlencode(
                {"region": random.choice(regions), "type": random.choice(types)}  # noqa: S311
            )
        ),
        "search": lambda: "/en/cases/?" + urllib.parse.urlencode({"q": random.choice(words)}),  # noqa: S311
    }
    if slugs:
        mix["case"] = lambda: f"/en/cases/{random.choice(slugs)}/"  # noqa: S311
    if api:
        mix["api"] = lambda: api + "?" + urllib.parse.urlencode({"region": random.choice(regions)})  # noqa: S311
    return mix


def client(host, port, mix, deadline, results, lock):
    kinds = list(mix)
    connection = http.client.HTTPConnection(host, port, timeout=30)
    mine = []
    while time.monotonic() < deadline:
        kind = random.choice(kinds)  # noqa: S311
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
    with lock:
        results.extend(mine)


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="e.g. http://127.0.0.1:8000 (loopback only)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60)
    arguments = parser.parse_args()
    url = urllib.parse.urlsplit(arguments.base)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("load is only generated against loopback")

    slugs, options, words, api = discover(arguments.base)
    mix = request_mix(slugs, options, words, api)
    print(
        f"kinds: {', '.join(mix)}; {len(slugs)} case pages, {len(options.get('region', []))} regions; "
        f"{arguments.clients} clients for {arguments.duration:g} s"
    )
    results, lock = [], threading.Lock()
    deadline = time.monotonic() + arguments.duration
    started = time.monotonic()
    threads = [
        threading.Thread(target=client, args=(url.hostname, url.port or 80, mix, deadline, results, lock))
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

"""The benchmark itself; `python -m bench` sets Django up and runs main()."""

import argparse
import json
import os
import statistics
import time
from collections import Counter
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.compare import main as compare_main
from bench.replicate import cases_vouched_for
from casebook.cases import facets
from casebook.cases.filters import CaseFilter
from casebook.cases.kept_searches import kept_in
from casebook.cases.maintenance import refresh_planner_statistics
from casebook.cases.models import Case, CaseFacet, FacetTotal, Source, Theme
from casebook.cases.synthetic import COMMON_WORDS, RARE_WORDS, SLUG_PREFIX, data_version_note, ensure_images
from casebook.regions.models import Region


def seed(count, seed_value):
    settings.BENCH_DATA.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    prefix = f"{SLUG_PREFIX}{seed_value}-"
    synthetic = Case.objects.filter(slug__startswith=SLUG_PREFIX)
    source = Source.objects.filter(slug=f"synthetic-data-seed-{seed_value}").first()
    # generate_cases' note as this generator writes it, or that note plus bench.replicate's account of
    # "N generated, copied to M" (a PostgreSQL database of 1,000,000 cases, see bench/replicate.py).
    vouched = cases_vouched_for(source.text, seed_value) if source is not None else -1
    same_generator = vouched is None or vouched == count
    if same_generator and synthetic.count() == count and synthetic.filter(slug__startswith=prefix).count() == count:
        how = "" if vouched is None else ", " + source.text.removeprefix(data_version_note(seed_value)).strip(" .")
        print(f"Reusing {count} synthetic cases (seed {seed_value}) in {connection.settings_dict['NAME']}{how}.")
        # A database seeded elsewhere (make load's casebook_load) has its figure images in that MEDIA_ROOT:
        # without them here the case pages would measure the placeholder path.
        ensure_images()
        return
    print(f"Seeding {count} synthetic cases (seed {seed_value}) into {connection.settings_dict['NAME']}…", flush=True)
    started = time.perf_counter()
    call_command("load_regions", verbosity=0)
    call_command("generate_cases", count=count, seed=seed_value, replace=True, verbosity=0)
    print(f"Seeded in {time.perf_counter() - started:.1f} s.", flush=True)


def analyze():
    """Every run measures a database in its settled state, with the statistics its planner needs
    (a database seeded by an older generate_cases may lack them) and, on PostgreSQL, vacuumed, as
    autovacuum leaves it in production (this machine's server runs with autovacuum off)."""
    refresh_planner_statistics(vacuum=True)


def largest_province_and_type():
    """The province (with everything below it) and the assistance type with the most published cases."""
    published = Case.objects.published()
    paths = Case.regions.through.objects.filter(case__in=published).values_list("case_id", "region__path")
    provinces = Counter()
    for province_code in {(case_id, path.split("/")[1]) for case_id, path in paths}:
        provinces[province_code[1]] += 1
    province = Region.objects.get(code=provinces.most_common(1)[0][0])
    type_counts = Counter(published.values_list("assistance_type__slug", flat=True))
    return province, type_counts.most_common(1)[0][0]


def largest_theme_and_year():
    """The slug of the theme and the year with the most published cases, by their kept totals."""
    totals = FacetTotal.objects.order_by("-count", "value")
    theme = Theme.objects.get(pk=totals.filter(facet=CaseFacet.Facet.THEME).first().value)
    return theme.slug, totals.filter(facet=CaseFacet.Facet.YEAR).first().value


def pages():
    province, type_slug = largest_province_and_type()
    theme, year = largest_theme_and_year()
    filtered = f"/en/cases/?region={province.slug}&type={type_slug}"
    seed_value = settings.BENCH_SEED
    print(
        f"Largest province: {province.slug} ({province.code}); largest type: {type_slug}; theme: {theme}; year: {year}."
    )
    # (name, url, cold: True, False or FIRST_TIME)
    return [
        ("B", "/bench/baseline/", False),
        ("listing_filtered_cold", filtered, True),
        ("listing_filtered_warm", filtered, False),
        ("listing_unfiltered_cold", "/en/cases/", True),
        ("listing_filtered_last_page", f"{filtered}&page=last", True),
        ("listing_unfiltered_page_2000", "/en/cases/?page=2000", True),
        # One theme (two in five cases): its counts kept as a place's are (FacetCube's anchors).
        ("listing_theme_cold", f"/en/cases/?theme={theme}", True),
        # A theme and a year: their counts kept as a pair's (a KeptSearch without words), each facet's own
        # counts read from FacetCube under the other.
        ("listing_theme_and_year_cold", f"/en/cases/?theme={theme}&year={year}", True),
        # The first time ever: the pair's cases counted, then kept.
        ("listing_theme_and_year_first_time", f"/en/cases/?theme={theme}&year={year}", FIRST_TIME),
        ("search_rare_filtered", f"/en/cases/?q={RARE_WORDS[1]}&type={type_slug}", True),
        ("search_rare_zh_filtered", f"/en/cases/?q={RARE_WORDS[0]}&type={type_slug}", True),
        ("search_common", f"/en/cases/?q={COMMON_WORDS[1]}", True),
        ("search_common_zh", f"/en/cases/?q={COMMON_WORDS[0]}", True),
        # The same word with a type ticked: its counts kept per type.
        ("search_common_filtered", f"/en/cases/?q={COMMON_WORDS[1]}&type={type_slug}", True),
        # A word in half of all cases, in one province: that province's matches (facets.lines_within).
        ("search_common_in_province", f"/en/cases/?q={COMMON_WORDS[1]}&region={province.slug}", True),
        # The same word with a theme: kept in the theme, as in a place.
        ("search_common_with_theme", f"/en/cases/?q={COMMON_WORDS[1]}&theme={theme}", True),
        # The first time ever: the search counted from its matches, then kept (casebook/cases/kept_searches.py).
        ("search_common_first_time", f"/en/cases/?q={COMMON_WORDS[1]}", FIRST_TIME),
        # generate_cases makes these two: 30 figures and 30 outcomes, and one of each.
        ("case_detail_30_figures_30_outcomes", f"/en/cases/{SLUG_PREFIX}{seed_value}-000002/", True),
        # Right after the cold one, as a second reader gets it: kept whole under the data version (CaseDetailView).
        ("case_detail_30_figures_30_outcomes_warm", f"/en/cases/{SLUG_PREFIX}{seed_value}-000002/", False),
        ("case_detail_1_figure_1_outcome", f"/en/cases/{SLUG_PREFIX}{seed_value}-000003/", True),
        ("about", "/en/about/", False),
    ]


FIRST_TIME = "first time"  # cold, and the page's search (or pair of filters) not kept


def make_cold(url, cold):
    clear_caches()
    if cold == FIRST_TIME:
        forget(url)


def forget(url):
    """Drop the counts a page keeps the first time it is asked for: its search's, else its pair's."""
    query = QueryDict(urlsplit(url).query)
    if query.get("q"):
        kept_in(query["q"]).delete()
        return
    filterset = CaseFilter(query)
    assert filterset.is_valid(), filterset.errors
    kept_in("", facets.pair_of(facets.selected_values(filterset))).delete()


def clear_caches():
    for cache in caches.all():
        cache.clear()


def measure(rounds):
    client = Client(headers={"accept-language": "en"})
    plan = pages()
    timings = {name: [] for name, _url, _cold in plan}
    queries, statuses = {}, {}
    for _name, url, _cold in plan:  # warm-up: imports, template loading, connection
        client.get(url)
    for round_number in range(rounds):
        for name, url, cold in plan:
            if cold:
                # Asked once untimed first. "Cold" empties Django's caches, not PostgreSQL's shared buffers
                # (128 MB here): taken in turn, a page found its rows pushed out by the heavy page before it (at
                # 1,000,000 cases the filtered listing took 43 ms alone and 81 to 102 ms right after a common
                # word's count), and its median measured its neighbour as much as itself.
                make_cold(url, cold)
                client.get(url)
                make_cold(url, cold)
            if round_number == rounds - 1:
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(url)
                queries[name] = len(captured.captured_queries)
            else:
                started = time.perf_counter()
                response = client.get(url)
                timings[name].append((time.perf_counter() - started) * 1000)
            statuses[name] = response.status_code
    baseline = statistics.median(timings["B"])
    results = {}
    for name, url, cold in plan:
        median = statistics.median(timings[name])
        results[name] = {
            "url": url,
            "cold": cold,
            "median_ms": round(median, 2),
            "R": round(median / baseline, 2),
            "queries": queries[name],
            "status": statuses[name],
        }
    return results


SCALE_SIZES = (100_000, 1_000_000)  # issue 7: how each page grows from one to the other


def results_path(vendor, count, seed_value):
    return settings.BENCH_DATA / "results" / f"{vendor}-{count}-seed{seed_value}.json"


def save(run):
    """The run's JSON, kept per database kind and size for bench.compare (the latest run of each)."""
    path = results_path(run["database"], run["cases"], run["seed"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run) + "\n", encoding="utf-8")
    return path


def main():
    parser = argparse.ArgumentParser(prog="make bench", description="Issue 5 page benchmark (bench/__main__.py).")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "7")))
    args = parser.parse_args()
    seed(settings.BENCH_COUNT, settings.BENCH_SEED)
    analyze()
    results = measure(max(args.rounds, 2))
    for name, figures in results.items():
        status = "" if figures["status"] == 200 else f"  status={figures['status']}"
        print(f"{name:36} {figures['median_ms']:10.1f}  R={figures['R']:.1f}  queries={figures['queries']}{status}")
    run = {
        "database": connection.vendor,
        "cases": settings.BENCH_COUNT,
        "seed": settings.BENCH_SEED,
        "rounds": args.rounds,
        "pages": results,
    }
    save(run)
    # The growth from the other size, when a run of it on this kind of database was saved (make bench-scale).
    if settings.BENCH_COUNT in SCALE_SIZES:
        small, large = (results_path(run["database"], count, run["seed"]) for count in SCALE_SIZES)
        if small.exists() and large.exists():
            print()
            compare_main([str(small), str(large)])
            print()
    print(json.dumps(run))
    return 0 if all(figures["status"] == 200 for figures in results.values()) else 1

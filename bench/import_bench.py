"""``make bench-import``: how fast import_cases is, in how much memory, against loaddata of the same records.

    python bench/import_bench.py [--count 10000] [--no-loaddata] [--keep]

Generates an interchange file of ``--count`` synthetic cases (3 outcomes and 1 figure each, the figures
pointing at 4 shared images) in a temporary folder, imports it into a freshly migrated SQLite database,
then loads the same records, dumped as a Django fixture (dumpdata --natural-foreign --natural-primary),
into another fresh database with loaddata. With DATABASE_URL set to PostgreSQL the same is done on a
scratch database beside it (<name>_bench, dropped and created). Each measured command runs in a child
process of its own; peak memory is that child's maximum resident set size (getrusage), Python and Django
included.
"""

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

REGIONS = [(f"{province:02d}0000", None) for province in range(11, 16)] + [
    (f"{province:02d}{county:04d}", f"{province:02d}0000") for province in range(11, 16) for county in range(1, 9)
]


def tr(zh, en):
    return {"zh-hans": zh, "en": en}


def write_images(folder):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for number, color in enumerate(["red", "green", "blue", "orange"]):
        buffer = io.BytesIO()
        Image.new("RGB", (640, 480), color).save(buffer, format="JPEG", quality=85)
        name = f"shared-{number}.jpg"
        (folder / name).write_bytes(buffer.getvalue())
        names.append(f"figures/{name}")
    return names


def reference():
    return {
        "regions": [
            {
                "code": code,
                "slug": f"region-{code}",
                "level": "province" if parent is None else "county",
                "parent": parent,
                "name": tr(f"地区{code}", f"Region {code}"),
            }
            for code, parent in REGIONS
        ],
        "organizations": [
            {"slug": f"org-{n}", "kind": "enterprise", "name": tr(f"企业{n}", f"Enterprise {n}")} for n in range(20)
        ],
        "assistance_types": [{"slug": f"type-{n}", "order": n, "name": tr(f"类型{n}", f"Type {n}")} for n in range(3)],
        "themes": [{"slug": f"theme-{n}", "name": tr(f"主题{n}", f"Theme {n}")} for n in range(10)],
        "metrics": [
            {"slug": f"metric-{n}", "kind": "quantity", "name": tr(f"指标{n}", f"Metric {n}"), "unit": tr("元", "RMB")}
            for n in range(5)
        ],
        "sources": [{"slug": f"source-{n}", "title": tr(f"来源{n}", f"Source {n}")} for n in range(5)],
    }


def case(n, images):
    counties = [code for code, parent in REGIONS if parent]
    region = counties[n % len(counties)]
    published = n % 4 != 0
    return {
        "slug": f"synthetic-case-{n:06d}",
        "status": "published" if published else "draft",
        "published_at": f"2023-{n % 12 + 1:02d}-{n % 28 + 1:02d}T08:00:00Z" if published else None,
        "assistance_type": f"type-{n % 3}",
        "start_year": 2015 + n % 8,
        "end_year": 2023,
        "title": tr(f"合成案例 {n}", f"Synthetic case {n}"),
        "summary": tr(f"这是第{n}个合成案例的摘要。" * 3, f"Summary of synthetic case {n}. " * 3),
        "background": tr("背景。" * 20, "Background. " * 20),
        "approach": tr("做法。" * 30, "What was done. " * 30),
        "results": tr("成效。" * 20, "Results. " * 20),
        "lessons": tr("经验。" * 10, "Lessons. " * 10),
        "regions": [region],
        "themes": sorted({f"theme-{n % 10}", f"theme-{(n * 7) % 10}"}),
        "sources": [f"source-{n % 5}"],
        "organizations": [{"organization": f"org-{n % 20}", "role": "assisting", "note": tr("帮扶", "Assisting")}],
        "figures": [
            {
                "slug": "figure-1",
                "image": images[n % len(images)],
                "order": 1,
                "caption": tr(f"图1 案例{n}", f"Figure 1 of case {n}"),
                "alt_text": tr("一张纯色图片", "A plain coloured picture"),
                "credit": tr("合成数据", "Synthetic data"),
            }
        ],
        "outcomes": [
            {
                "slug": f"outcome-{k}",
                "order": k,
                "metric": f"metric-{(n + k) % 5}",
                "indicator": tr(f"指标{k}", f"Indicator {k}"),
                "value": f"{(n * 37 + k) % 100000}.5",
                "year": 2022,
                "baseline_value": f"{(n * 13 + k) % 50000}",
                "baseline_year": 2019,
                "region": region,
                "source": f"source-{k % 5}",
            }
            for k in (1, 2, 3)
        ],
    }


def generate(folder, count):
    """The interchange file, written one case at a time (the generator holds no list of cases either)."""
    images = write_images(folder / "figures")
    path = folder / "bench.json"
    with open(path, "w", encoding="utf-8") as stream:
        stream.write('{"format": "casebook-interchange", "version": 1')
        for key, records in reference().items():
            stream.write(f', "{key}": ' + json.dumps(records, ensure_ascii=False))
        stream.write(', "cases": [\n')
        for n in range(count):
            stream.write(("" if n == 0 else ",\n") + json.dumps(case(n, images), ensure_ascii=False))
        stream.write("\n]}\n")
    return path


def env_for(database_url, media):
    return {**os.environ, "DATABASE_URL": database_url, "DJANGO_MEDIA_ROOT": str(media), "DJANGO_LOG_LEVEL": "WARNING"}


def manage(env, *args, stdout=subprocess.DEVNULL):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=stdout)  # noqa: S603


def measured(env, *args):
    """(wall seconds, CPU seconds, peak RSS in MB) of the command ``args`` in a child process of its own.
    Timing starts after Django is set up. CPU time (user + system) is the fairer figure on a busy machine."""
    code = (
        "import resource, sys, time, django; django.setup()\n"
        "from django.core.management import call_command\n"
        "start = time.perf_counter()\n"
        "call_command(*sys.argv[1:], verbosity=0)\n"
        "seconds = time.perf_counter() - start\n"
        "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print('MEASURED', seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)\n"
    )
    env = {**env, "DJANGO_SETTINGS_MODULE": "casebook.settings", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("MEASURED"))
    _word, seconds, cpu, maxrss_kb = line.split()
    return float(seconds), float(cpu), int(maxrss_kb) / 1024


class SQLite:
    name = "SQLite"

    def __init__(self, folder):
        self.folder = folder
        self.template = folder / "template.sqlite3"
        manage(env_for(f"sqlite:///{self.template}", folder / "media-template"), "migrate", "--noinput")

    def fresh(self, label):
        path = self.folder / f"{label}.sqlite3"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"


class PostgreSQL:
    name = "PostgreSQL"

    def __init__(self, url):
        import dj_database_url

        self.settings = dj_database_url.parse(url)
        self.url = url.rsplit("/", 1)[0]
        self.created = []

    def run(self, *statements):
        import psycopg

        admin = {key: self.settings[key.upper()] for key in ("host", "port", "user") if self.settings.get(key.upper())}
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as connection:
            for statement in statements:
                connection.execute(statement)

    def fresh(self, label):
        name = f"{self.settings['NAME']}_bench_{label}"
        self.run(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        self.created.append(name)
        url = f"{self.url}/{name}"
        manage(env_for(url, Path(tempfile.gettempdir())), "migrate", "--noinput")
        return url

    def clean_up(self):
        self.run(*(f'DROP DATABASE IF EXISTS "{name}"' for name in self.created))


FIXTURE_MODELS = [
    "regions.region",
    "organizations.organization",
    "cases.assistancetype",
    "cases.theme",
    "cases.metric",
    "cases.source",
    "cases.case",
    "cases.participation",
    "cases.figure",
    "cases.outcome",
]


def report(database, command, count, seconds, cpu, peak):
    print(
        f"{database.name:<10} {command:<13} {seconds:7.1f} s ({count / seconds:6,.0f} cases/s)  "
        f"CPU {cpu:7.1f} s ({count / cpu:6,.0f} cases/s)  peak memory {peak:5.0f} MB"
    )


def bench(database, folder, path, count, with_loaddata):
    media = folder / f"media-{database.name}"
    url = database.fresh("import")
    seconds, cpu, peak = measured(env_for(url, media), "import_cases", str(path))
    report(database, "import_cases", count, seconds, cpu, peak)
    if not with_loaddata:
        return
    fixture = folder / f"fixture-{database.name}.json"
    with open(fixture, "w") as stream:
        natural = ("--natural-foreign", "--natural-primary")
        manage(env_for(url, media), "dumpdata", *natural, *FIXTURE_MODELS, stdout=stream)
    loaded = database.fresh("loaddata")
    load_seconds, load_cpu, load_peak = measured(env_for(loaded, media), "loaddata", str(fixture))
    report(database, "loaddata", count, load_seconds, load_cpu, load_peak)
    print(
        f"{database.name:<10} import_cases is {load_seconds / seconds:.1f}x as fast as loaddata of the same records "
        f"({load_cpu / cpu:.1f}x in CPU time)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--no-loaddata", dest="loaddata", action="store_false", help="measure import_cases only")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print it")
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    folder = Path(tempfile.mkdtemp(prefix="casebook-bench-"))
    try:
        start = time.perf_counter()
        path = generate(folder, options.count)
        size = path.stat().st_size / 1024 / 1024
        print(
            f"{options.count:,} cases (3 outcomes, 1 figure each; 4 shared images): {path.name} {size:,.1f} MB, "
            f"generated in {time.perf_counter() - start:.1f} s"
        )
        databases = [SQLite(folder)]
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            databases.append(PostgreSQL(os.environ["DATABASE_URL"]))
        for database in databases:
            bench(database, folder, path, options.count, options.loaddata)
            if isinstance(database, PostgreSQL) and not options.keep:
                database.clean_up()
    finally:
        if options.keep:
            print(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

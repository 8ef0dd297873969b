"""How each page's time grows from one bench size to another (issue 7: from 100,000 to 1,000,000 cases,
the listing, facets, search and case pages should grow by less than 2 times).

    python -m bench.compare SMALL LARGE

SMALL and LARGE are what `make bench` printed: its JSON line, alone in a file or as the last JSON line of a
saved log, or the results file every run writes (bench/data/results/<database>-<cases>-seed<seed>.json).
`make bench-scale` compares the two sizes BENCH_SMALL and BENCH_LARGE (100000 and 1000000) of the database
DATABASE_URL names (SQLite without it). Needs no Django: it only reads the two runs.

Growth is the ratio of the medians in ms; the ratio of R (each median over the run's own baseline B) is
printed beside it, since two runs hours apart on a shared machine may differ in speed as a whole.
"""

import argparse
import json
import sys
from pathlib import Path

LIMIT = 2.0
NOT_TARGETED = {"B", "about"}  # the baseline and a page without cases: shown, not judged


def read_run(path):
    """The last JSON object with "pages" in the file (a bare results file or a whole `make bench` log)."""
    if not Path(path).exists():
        raise SystemExit(f"{path}: no such run (make bench with that BENCH_COUNT and DATABASE_URL saves it)")
    for line in reversed(Path(path).read_text(encoding="utf-8").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                run = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(run, dict) and "pages" in run:
                return run
    raise SystemExit(f"{path}: no `make bench` JSON line in it")


def compare(small, large):
    """[(page, small ms, large ms, growth, R growth, verdict)] for the pages of both runs, in the bench's order."""
    rows = []
    for name, before in small["pages"].items():
        after = large["pages"].get(name)
        if after is None:
            continue
        growth = after["median_ms"] / before["median_ms"] if before["median_ms"] else float("inf")
        r_growth = after["R"] / before["R"] if before["R"] else float("inf")
        if name in NOT_TARGETED:
            verdict = "-"
        else:
            verdict = "ok" if growth < LIMIT else "OVER"
        rows.append((name, before["median_ms"], after["median_ms"], growth, r_growth, verdict))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.splitlines()[0])
    parser.add_argument("small", help="the run at the smaller size (results file or make bench log)")
    parser.add_argument("large", help="the run at the larger size")
    args = parser.parse_args(argv)
    small, large = read_run(args.small), read_run(args.large)
    if small.get("database") != large.get("database"):
        print(f"warning: comparing {small.get('database')} with {large.get('database')}", file=sys.stderr)
    a, b = small.get("cases"), large.get("cases")
    print(f"{small.get('database')}: {a:,} -> {b:,} cases (growth < {LIMIT:g}x targeted)")
    print(f"{'page':36} {f'ms@{a:,}':>12} {f'ms@{b:,}':>12} {'growth':>7} {'R growth':>9}  < {LIMIT:g}x")
    rows = compare(small, large)
    for name, before, after, growth, r_growth, verdict in rows:
        print(f"{name:36} {before:12.1f} {after:12.1f} {growth:6.2f}x {r_growth:8.2f}x  {verdict}")
    over = [row[0] for row in rows if row[5] == "OVER"]
    print(f"over {LIMIT:g}x: {', '.join(over) if over else 'none'}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())

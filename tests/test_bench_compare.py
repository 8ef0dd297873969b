"""bench.compare (make bench-scale): the growth of each page between two `make bench` runs, read from their logs."""

import json

from bench.compare import compare, main, read_run


def run(cases, **medians):
    pages = {name: {"median_ms": ms, "R": ms / medians["B"]} for name, ms in medians.items()}
    return {"database": "postgresql", "cases": cases, "seed": 1, "rounds": 7, "pages": pages}


def test_reads_the_last_json_line_of_a_bench_log(tmp_path):
    log = tmp_path / "bench.log"
    earlier, latest = run(100_000, B=1.0, about=2.0), run(100_000, B=2.0, about=3.0)
    log.write_text(f"Seeding…\n{json.dumps(earlier)}\nabout  3.0  R=1.5\n{json.dumps(latest)}\n\n")
    assert read_run(log) == latest


def test_growth_per_page_and_the_pages_over_two_times(tmp_path, capsys):
    small = run(100_000, B=2.0, listing_filtered_cold=40.0, search_common=50.0, about=4.0)
    large = run(1_000_000, B=2.0, listing_filtered_cold=60.0, search_common=150.0, about=20.0)
    rows = {row[0]: row for row in compare(small, large)}
    assert rows["listing_filtered_cold"][3:] == (1.5, 1.5, "ok")
    assert rows["search_common"][3:] == (3.0, 3.0, "OVER")
    assert rows["about"][5] == "-"  # no cases on it: shown, not judged
    (tmp_path / "a.json").write_text(json.dumps(small))
    (tmp_path / "b.json").write_text(json.dumps(large))
    assert main([str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 1
    assert "over 2x: search_common" in capsys.readouterr().out

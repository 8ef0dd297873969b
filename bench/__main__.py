"""`make bench` (issue 5): public pages with 100,000 synthetic cases against a bare baseline view B.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench [--rounds N]

Seeds the bench database once (`generate_cases --count BENCH_COUNT --seed BENCH_SEED`, reused while
the count and seed match), then requests every page in turn, round after round (interleaved, so
drift hits all pages alike), in one process through the project's middleware with the test Client.
"Cold" pages clear every cache before each request, and are asked once untimed before it, so that
PostgreSQL's buffers hold their own rows rather than the page before's. Prints one line per page, then
one JSON object. Database connections persist between requests (DJANGO_CONN_MAX_AGE, default 600 here), and on
PostgreSQL the run starts with ANALYZE. Times are medians of BENCH_ROUNDS - 1 rounds; the last round
counts the queries. The last filtered page is `?page=last`; the case pages are generate_cases' two
benchmark cases (30 figures and 30 outcomes; one of each).

At 1,000,000 cases (PostgreSQL) the database is the 100,000 generated cases replicated 10 times by
`python -m bench.replicate --factor 10` (generating a million takes over five hours here): the copies
have the same texts, so search and filter matches are exactly 10 times those at 100,000. A database is
reused when the synthetic source's text accounts for BENCH_COUNT cases: generate_cases' note alone (the
count is then checked), or that note and bench.replicate's "N generated cases and F - 1 copies of each".
"""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from bench.run import main  # noqa: E402 - models import only after setup

sys.exit(main())

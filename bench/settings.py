"""Settings for `make bench`: the project's own settings and middleware, plus a bench-only URLconf
with the baseline view, and a dedicated SQLite file unless DATABASE_URL names another database."""

import os

from casebook.settings import *  # noqa: F403
from casebook.settings import BASE_DIR, DATABASES, TEMPLATES

BENCH_COUNT = int(os.environ.get("BENCH_COUNT", "100000"))
BENCH_SEED = int(os.environ.get("BENCH_SEED", "1"))
BENCH_DATA = BASE_DIR / "bench" / "data"

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["testserver"]
DEBUG = False
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
MEDIA_ROOT = BENCH_DATA / "media"

# Persistent connections, as a production server would keep them: B then measures a query and a
# template, not a PostgreSQL connection handshake per request.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DJANGO_CONN_MAX_AGE", "600"))

if "DATABASE_URL" not in os.environ:
    DATABASES["default"]["NAME"] = str(BENCH_DATA / f"cases-{BENCH_COUNT}-seed{BENCH_SEED}.sqlite3")

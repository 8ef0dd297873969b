# Casebook: `make run` serves the site locally, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint check clean messages serve-prod deploy-check backup-restore-check faults load bench bench-scale bench-import

# Translation catalogues are compiled in the build (polib, pure Python: no GNU gettext needed), never committed.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Casebook needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.installed $@

# Local development server on SQLite, with the fixtures and an administrator account.
run: export DJANGO_DEBUG = 1
run: $(VENV)/.installed $(CATALOGUES)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_fixtures
	$(BIN)/python manage.py load_regions
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The production settings locally: gunicorn against PostgreSQL on 127.0.0.1 (database PROD_DB, default
# casebook_prod; created, migrated, static files collected, fixtures loaded if empty). README, "Deploy".
serve-prod: $(VENV)/.installed $(CATALOGUES)
	HOST=$(HOST) PORT=$(PORT) scripts/serve-prod.sh

# check --deploy under production settings (a throwaway key; the database is not connected to).
deploy-check: $(VENV)/.installed
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	DJANGO_ALLOWED_HOSTS=casebook.example.org DATABASE_URL=postgres://casebook@127.0.0.1:5432/casebook \
	DJANGO_PROXY_SSL_HEADER=X-Forwarded-Proto $(BIN)/python manage.py check --deploy --fail-level WARNING

# Dump the PostgreSQL database, restore it into a fresh one and compare (scripts/backup_restore_check.sh).
backup-restore-check: $(VENV)/.installed
	scripts/backup_restore_check.sh

# A bounded load test on loopback: gunicorn with production settings, CLIENTS clients for DURATION seconds
# (default 32 and 60), per-kind requests per second and latency percentiles, then "errors=<n> 5xx=<n>".
load: $(VENV)/.installed $(CATALOGUES)
	scripts/load.sh

# The fault tests on PostgreSQL (the real outage test needs it): database down, locked and back, storage full,
# figures missing or damaged, error pages without the database.
FAULTS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/casebook
faults: $(VENV)/.installed-dev $(CATALOGUES)
	DATABASE_URL=$(FAULTS_DATABASE_URL) $(BIN)/pytest -p no:randomly tests/test_faults.py tests/test_outage.py \
		tests/test_images.py -k "test_faults or test_outage or broken_original or missing"

# The whole suite, on SQLite by default or on the database DATABASE_URL names, one process per core
# (TEST_PROCESSES=0: in this process).
TEST_PROCESSES ?= auto
test: $(VENV)/.installed-dev $(CATALOGUES) node_modules/.installed
	$(BIN)/pytest -n $(TEST_PROCESSES)

# Issue 5's benchmark: seeds 100,000 synthetic cases once into bench/data/ (or DATABASE_URL), then times
# the public pages against a bare baseline view. BENCH_COUNT, BENCH_SEED and BENCH_ROUNDS override.
bench: $(VENV)/.installed $(CATALOGUES)
	DJANGO_SETTINGS_MODULE=bench.settings $(BIN)/python -m bench

# Issue 7: how each page's time grows from BENCH_SMALL to BENCH_LARGE cases on the database DATABASE_URL names
# (SQLite without it), from the results the two `make bench` runs saved in bench/data/results/. Compare any two
# runs (saved results or whole make bench logs) with `python -m bench.compare SMALL LARGE`.
BENCH_SMALL ?= 100000
BENCH_LARGE ?= 1000000
BENCH_DB = $(if $(filter postgres://% postgresql://%,$(DATABASE_URL)),postgresql,sqlite)
bench-scale: $(VENV)/.installed
	$(BIN)/python -m bench.compare bench/data/results/$(BENCH_DB)-$(BENCH_SMALL)-seed$(or $(BENCH_SEED),1).json \
		bench/data/results/$(BENCH_DB)-$(BENCH_LARGE)-seed$(or $(BENCH_SEED),1).json

# The Nu HTML Checker (vnu-jar, run with the machine's Java) and axe-core, pinned in package-lock.json.
# --ignore-scripts: vnu-jar ships its jar; its install script would only look for (or fetch) a Java.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "make test needs npm (apt-get install -y npm) for the HTML and accessibility checks"; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# Import speed and memory against loaddata (docs/interchange-format.md): BENCH_ARGS="--count 100000 --no-loaddata".
# With DATABASE_URL set to PostgreSQL, a scratch database beside it is measured too.
bench-import: $(VENV)/.installed
	$(BIN)/python bench/import_bench.py $(BENCH_ARGS)

%.mo: %.po $(VENV)/.installed
	$(BIN)/python -c 'import sys, polib; polib.pofile(sys.argv[1]).save_as_mofile(sys.argv[2])' $< $@

# After changing interface text: collect the strings into the catalogue, translate them, commit the .po.
messages: $(VENV)/.installed
	$(BIN)/python manage.py makemessages --locale zh_Hans --ignore .venv --ignore node_modules

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: $(VENV)/.installed-dev
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .admin-credentials .prod-secret-key bench/data node_modules

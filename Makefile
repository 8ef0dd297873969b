# Casebook: `make run` serves the site locally, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint check clean messages bench-import

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
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite, on SQLite by default or on the database DATABASE_URL names.
test: $(VENV)/.installed-dev $(CATALOGUES)
	$(BIN)/pytest

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
	rm -rf $(VENV) db.sqlite3 media staticfiles .admin-credentials

"""import_cases and export_cases: round trip, idempotence, updates, dry runs, all-or-nothing writes, the schema."""

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from casebook.cases.models import Case, Figure, Outcome
from casebook.cases.signals import cases_changed
from casebook.interchange.export import export
from casebook.interchange.importer import Importer
from casebook.interchange.spec import schema_text

from .interchange_helpers import document, run_import, snapshot, tr, write

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
SCHEMA = json.loads((ROOT / "casebook/interchange/schema.json").read_text())


def files(folder):
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_export_import_export_is_byte_identical_photos_included(tmp_path):
    call_command("load_fixtures", verbosity=0)
    call_command("export_cases", str(tmp_path / "first"), verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    assert not Case.objects.exists()
    ok, _out, err = run_import(tmp_path / "first" / "cases.json")
    assert ok, err
    call_command("export_cases", str(tmp_path / "second"), verbosity=0)
    first, second = files(tmp_path / "first"), files(tmp_path / "second")
    assert sorted(first) == [
        "cases.json",
        "figures/alibaba-yijun-puan/figure-1.jpg",
        "figures/alibaba-yijun-puan/figure-2.jpg",
        "figures/alibaba-yijun-puan/figure-3.jpg",
    ]
    assert first == second
    jsonschema.validate(json.loads(first["cases.json"]), SCHEMA)


def test_the_shipped_schema_is_the_one_the_format_declares():
    assert (ROOT / "casebook/interchange/schema.json").read_text() == schema_text()


def test_the_documented_example_is_the_first_case_as_exported(tmp_path):
    call_command("load_fixtures", verbosity=0)
    _counts, path = export(tmp_path / "one.json", Case.objects.filter(slug="alibaba-yijun-puan"), everything=False)
    text = (ROOT / "docs/interchange-format.md").read_text()
    example = re.search(r"<!-- example -->\n```json\n(.*?)```", text, re.DOTALL).group(1)
    assert example == path.read_text()
    jsonschema.validate(json.loads(example), SCHEMA)


def test_every_export_validates_against_the_schema(tmp_path):
    write(tmp_path, document())
    assert run_import(tmp_path / "batch.json")[0]
    _counts, path = export(tmp_path / "out", Case.objects.filter(status="draft"), everything=False)
    exported = json.loads(path.read_text())
    jsonschema.validate(exported, SCHEMA)
    assert [case["slug"] for case in exported["cases"]] == ["case-b"]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(tmp_path):
    path = write(tmp_path, document())
    ok, out, _err = run_import(path)
    assert ok
    assert out[-1] == f"Imported {path}: 8 created, 0 updated, 0 unchanged."
    before = snapshot()
    ok, out, _err = run_import(path)
    assert out == [
        "regions: 0 created, 0 updated, 2 unchanged",
        "organizations: 0 created, 0 updated, 1 unchanged",
        "assistance types: 0 created, 0 updated, 1 unchanged",
        "themes: 0 created, 0 updated, 1 unchanged",
        "metrics: 0 created, 0 updated, 1 unchanged",
        "cases: 0 created, 0 updated, 2 unchanged",
        f"Imported {path}: 0 created, 0 updated, 8 unchanged.",
    ]
    assert snapshot() == before


def test_a_changed_file_updates_the_changed_cases_only(tmp_path):
    assert run_import(write(tmp_path, document()))[0]
    untouched = Case.objects.get(slug="case-b")
    doc = document()
    doc["cases"][0]["title"] = tr("新标题", "New title")
    doc["cases"][0]["outcomes"][0]["value"] = "6"
    doc["themes"][0]["name"] = tr("茶", "Tea and coffee")
    ok, out, _err = run_import(write(tmp_path, doc))
    assert ok
    assert "themes: 0 created, 1 updated, 0 unchanged" in out
    assert "cases: 0 created, 1 updated, 1 unchanged" in out
    case = Case.objects.get(slug="case-a")
    assert (case.title_zh_hans, case.title_en) == ("新标题", "New title")
    with connection.cursor() as cursor:  # the original column holds the default language, as the admin writes it
        cursor.execute("SELECT title FROM cases_case WHERE slug = %s", ["case-a"])
        assert cursor.fetchone() == ("新标题",)
    assert [str(outcome.value) for outcome in case.outcomes.all()] == ["6.0000"]
    assert Case.objects.get(slug="case-b").updated_at == untouched.updated_at
    assert case.history.count() == 2


def test_a_dry_run_reports_and_writes_nothing(tmp_path):
    path = write(tmp_path, document())
    before = snapshot()
    ok, out, _err = run_import(path, "--dry-run")
    assert ok
    assert out[-1] == f"Dry run of {path}, nothing written: 8 created, 0 updated, 0 unchanged."
    assert snapshot() == before
    assert not list((Path(settings.MEDIA_ROOT)).rglob("*.png"))


def test_an_import_from_a_deep_folder_names_its_file_in_the_history(tmp_path):
    """The history keeps 100 characters of reason: a file read from a long path is named by its own name."""
    path = write(tmp_path.joinpath(*["a-folder-with-a-rather-long-name"] * 4), document(), name="cases-2026.json")
    assert len(f"Imported from {path}") > 100
    ok, _out, err = run_import(path)
    assert ok, err
    assert set(Case.history.values_list("history_change_reason", flat=True)) == {"Imported from cases-2026.json"}

    long_name = write(tmp_path, document(), name="n" * 120 + ".json")
    doc = document()
    doc["cases"][0]["title"] = tr("改", "Changed")
    ok, _out, err = run_import(write(tmp_path, doc, name=long_name.name))
    assert ok, err
    reason = Case.history.order_by("-history_date").values_list("history_change_reason", flat=True)[0]
    assert reason.startswith("Imported from nnn") and not reason.endswith(".json") and len(reason) == 100


def test_a_failure_in_the_middle_of_writing_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    assert run_import(write(tmp_path, document()))[0]
    doc = document()
    doc["cases"][0]["title"] = tr("改", "Changed")
    doc["cases"].append({**doc["cases"][1], "slug": "case-c"})
    before = snapshot()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Outcome.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        Importer(write(tmp_path, doc)).run()
    assert snapshot() == before


def test_a_process_killed_during_an_import_leaves_the_database_as_it_was(tmp_path):
    """A real process, killed (SIGKILL) after the cases are written and before their outcomes are."""
    database = tmp_path / "killed.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_MEDIA_ROOT": str(tmp_path / "media")}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    path = write(tmp_path, document())
    script = (
        "import os, signal, django; django.setup()\n"
        "from casebook.cases.models import Outcome\n"
        "from casebook.interchange.importer import Importer\n"
        "Outcome.objects.bulk_create = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
        f"Importer({str(path)!r}).run()\n"
    )
    env["DJANGO_SETTINGS_MODULE"] = "casebook.settings"
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=False)  # noqa: S603
    assert killed.returncode == -9
    with sqlite3.connect(database) as killed_db:
        cases = killed_db.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        regions = killed_db.execute("SELECT count(*) FROM regions_region").fetchone()[0]
    assert (cases, regions) == (0, 0)


def test_cases_changed_is_sent_once_the_rows_are_committed(tmp_path, django_capture_on_commit_callbacks):
    received = []

    def listener(sender, case_ids, **kwargs):
        received.append(sorted(case_ids))

    cases_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert run_import(write(tmp_path, document()))[0]
        assert received == []
        for callback in callbacks:
            callback()
        assert received == [sorted(Case.objects.values_list("pk", flat=True))]
    finally:
        cases_changed.disconnect(listener)


def test_without_the_publish_permission_imported_cases_are_drafts(tmp_path):
    report = Importer(write(tmp_path, document()), may_publish=False).run()
    assert report.ok
    assert report.status_ignored == 1
    assert set(Case.objects.values_list("status", flat=True)) == {"draft"}
    assert not Case.objects.exclude(published_at=None).exists()


def test_figures_are_stored_once_by_content_and_keep_their_measurements(tmp_path):
    assert run_import(write(tmp_path, document()))[0]
    figures = Figure.objects.all()
    assert len({figure.image.name for figure in figures}) == 1
    assert {(figure.width, figure.height) for figure in figures} == {(8, 6)}
    assert figures[0].image.name.startswith("figures/imported/")


class Terminal(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


@pytest.mark.parametrize("tty", [True, False])
def test_a_progress_line_on_a_terminal_only(tmp_path, monkeypatch, tty):
    stderr = Terminal(tty)
    monkeypatch.setattr(sys, "stderr", stderr)
    assert run_import(write(tmp_path, document()))[0]
    assert stderr.getvalue() == ("\rCases: 2/2 (100%)\n" if tty else "")


def test_reference_data_alone_changed_by_an_import_shows_on_a_kept_case_page(
    tmp_path, client, django_capture_on_commit_callbacks
):
    assert run_import(write(tmp_path, document()))[0]
    page = Case.objects.get(slug="case-a").get_absolute_url()
    assert "5.8 RMB" in client.get(page, headers={"accept-language": "en"}).content.decode()  # kept now
    doc = document()
    doc["metrics"][0]["unit"] = tr("元", "yuan")
    with django_capture_on_commit_callbacks(execute=True):
        ok, out, _err = run_import(write(tmp_path, doc))
    assert ok
    assert "metrics: 0 created, 1 updated, 0 unchanged" in out
    assert "cases: 0 created, 0 updated, 2 unchanged" in out
    assert "5.8 yuan" in client.get(page, headers={"accept-language": "en"}).content.decode()

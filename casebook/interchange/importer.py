"""Importing the interchange format: check everything, then write everything in one transaction, or nothing.

Two reads of the file, each a stream (a 1 GB file is never in memory whole):

1. ``validate``: every record's fields, types, lengths and ranges (the models' own validation), references
   (to records in the file or in the database), duplicates and figure files. Reference records (regions,
   organizations, …) are few and kept; cases are checked one by one and let go.
2. ``write``: inside one transaction, reference records by kind, then cases in batches: each record is
   compared with what the database holds (``records.record_of``) and created, updated or left unchanged,
   with bulk queries. A dry run does the same writes and rolls them back, so its report is exact.

Problems read ``file: record: field: message``.
"""

import datetime
import functools
import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from casebook.cases.maintenance import refresh_planner_statistics
from casebook.cases.models import Case, CollectionEntry, Figure, Outcome, Participation
from casebook.cases.signals import cases_changed
from casebook.cases.versions import data_changed
from casebook.organizations.models import Posting
from casebook.regions.models import Region

from . import images, reader
from .export import CASE_PREFETCH, case_children
from .records import canonical_datetime, model_values, normalized, parse_datetime, record_of
from .spec import COLUMN, FORMAT, LANGUAGES, VERSION, all_kinds

BATCH = 500
REFERENCE_KINDS = [key for key in all_kinds() if key != "cases"]
CASE_M2M = {
    "themes": "theme",
    "regions": "region",
    "commissioners": "commissioner",
    "initiatives": "initiative",
    "sources": "source",
}
OUTCOMES = ("created", "updated", "unchanged")


@dataclass
class Problem:
    order: tuple
    record: str
    field: str
    message: str

    def text(self, file_name):
        parts = [file_name, self.record, self.field, self.message]
        return ": ".join(part for part in parts if part)


@dataclass
class Report:
    file_name: str
    problems: list = field(default_factory=list)
    counts: dict = field(default_factory=lambda: defaultdict(Counter))
    status_ignored: int = 0
    case_ids: list = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self):
        return not self.problems

    def problem_lines(self):
        return [problem.text(self.file_name) for problem in sorted(self.problems, key=lambda problem: problem.order)]

    def count_lines(self):
        lines = []
        for key in all_kinds():
            counts = self.counts.get(key)
            if counts:
                lines.append(
                    _("%(kind)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged")
                    % {"kind": key.replace("_", " "), **{name: counts[name] for name in OUTCOMES}}
                )
        return lines

    def rows(self):
        """[(kind's name, created, updated, unchanged)] for the kinds the file holds: the admin's report."""
        return [
            (kind.model._meta.verbose_name_plural, *(self.counts[key][name] for name in OUTCOMES))
            for key, kind in all_kinds().items()
            if self.counts.get(key)
        ]

    def summary(self):
        if not self.ok:
            return _("%(file)s: %(count)s problem(s); nothing was imported.") % {
                "file": self.file_name,
                "count": len(self.problems),
            }
        totals = Counter()
        for counts in self.counts.values():
            totals.update(counts)
        text = _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % {
            name: totals[name] for name in OUTCOMES
        }
        if self.dry_run:
            return _("Dry run of %(file)s, nothing written: %(counts)s") % {"file": self.file_name, "counts": text}
        return _("Imported %(file)s: %(counts)s") % {"file": self.file_name, "counts": text}


def json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _("a string")
    if isinstance(value, dict):
        return _("an object")
    if isinstance(value, list):
        return _("an array")
    return _("a number")


DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def expected(item):
    """What a field of ``item``'s type must be, in words."""
    return {
        "integer": _("an integer"),
        "boolean": _("true or false"),
        "decimal": _('a decimal number such as "5.8"'),
        "refs": _("an array of strings"),
        "records": _("an array of objects"),
        "translated": _('an object {"zh-hans": …, "en": …}'),
    }.get(item.type) or _("a string")


@functools.cache
def checked_fields(model):
    """{column: field} of the fields whose values a record gives directly (not relations, images, paths, times,
    nor the original column of a translated field, which follows its languages)."""
    from modeltranslation.translator import translator

    translated = (
        set(translator.get_options_for_model(model).fields) if model in translator.get_registered_models() else set()
    )
    skipped = {"image", "width", "height", "path", "created_at", "updated_at", "id"} | translated
    return {
        field.attname: field
        for field in model._meta.concrete_fields
        if not field.is_relation and field.name not in skipped
    }


def build(model, values):
    """``model(**values)``, made the fast way: positional arguments, which Django and modeltranslation take as
    they are (keyword arguments are rewritten one by one, the largest cost of writing cases)."""
    args = []
    for column in model._meta.concrete_fields:
        name = column.attname
        if name in values:
            args.append(values[name])
        elif f"{name}_{COLUMN[LANGUAGES[0]]}" in values:
            # The original column of a translated field: its default language, else the first text there is.
            texts = (values[f"{name}_{COLUMN[code]}"] for code in LANGUAGES)
            args.append(next((text for text in texts if text), ""))
        else:
            args.append(column.get_default())
    return model(*args)


def record_label(kind, index, data):
    label = f"{kind.key}[{index}]"
    natural = data.get(kind.natural) if isinstance(data, dict) else None
    if isinstance(natural, str):
        label += f' ({kind.natural} "{natural}")'
    return label


class Importer:
    """``Importer(path, may_publish=…).run(dry_run=…)`` → Report. ``progress(done, total)`` is called while
    cases are written. Without ``may_publish`` the status and publication time in the file are ignored:
    new cases come in as drafts, existing cases keep theirs (the admin's rule for editors)."""

    def __init__(self, path, *, may_publish=True, user=None, display_name=None, progress=None):
        self.path = Path(path)
        self.folder = self.path.parent
        self.may_publish = may_publish
        self.user = user
        self.progress = progress
        self.report = Report(display_name or self.path.name)
        self.kinds = all_kinds()
        self.records = {key: [] for key in REFERENCE_KINDS}
        self.file_keys = {key: {} for key in self.kinds}
        self.db_keys = None
        self.pending = defaultdict(list)
        self.figure_files = {}
        self.entry_numbers = {}
        self.case_count = 0
        self.sequence = itertools.count()
        self.ignored = ("", ())

    # Reporting

    def problem(self, record, field_name, message, order=None):
        label, bad = self.ignored
        if record == label and any(
            field_name == path or field_name.startswith((f"{path}.", f"{path}[")) for path in bad
        ):
            return
        order = order if order is not None else (next(self.sequence),)
        self.report.problems.append(Problem(order, record, field_name, str(message)))

    # 1. Validation

    def run(self, dry_run=False):
        self.report.dry_run = dry_run
        self.validate()
        if self.report.ok:
            self.write(dry_run)
        return self.report

    def validate(self):
        self.db_keys = {
            key: set(kind.model.objects.values_list(kind.natural, flat=True))
            for key, kind in self.kinds.items()
            if key != "cases"
        }
        self.db_case_counts = dict(self.kinds["collections"].model.objects.values_list("slug", "case_count"))
        header = {}
        try:
            with open(self.path, "rb") as stream:
                for key, index, value in reader.top_level(stream):
                    self.validate_item(header, key, index, value)
        except reader.NotAnObject:
            self.report.problems = []
            self.problem("", "", _("expected a JSON object"))
            return
        except (reader.ijson.JSONError, reader.ijson.IncompleteJSONError, UnicodeDecodeError) as error:
            self.report.problems = []
            self.problem("", "", reader.syntax_error_text(self.path, error))
            return
        self.check_header(header)
        self.resolve_pending()
        self.check_trees()
        self.check_collection_numbers()
        self.check_region_slugs()

    def validate_item(self, header, key, index, value):
        if key in ("format", "version"):
            header[key] = [] if index == reader.ARRAY else value
            return
        if key not in self.kinds:
            if index is None or index == reader.ARRAY:
                self.problem("", key, _("unknown field"))
            return
        if index == reader.ARRAY:
            return
        if index is None:
            self.problem("", key, _("expected an array, got %(type)s") % {"type": json_type(value)})
            return
        kind = self.kinds[key]
        label = record_label(kind, index, value)
        order = (next(self.sequence),)
        problems_before = len(self.report.problems)
        if key == "cases":
            self.case_count += 1
        if not isinstance(value, dict):
            self.problem(label, "", _("expected an object, got %(type)s") % {"type": json_type(value)}, order)
            return
        # Fields that are missing or of the wrong type are reported once, here; the checks below look at
        # the rest of the record (with defaults in their place) and say nothing more about them.
        data, bad = self.check_fields(kind, value, label, "", order)
        self.ignored = (label, bad)
        record = normalized(kind, data, sort=False)
        self.check_model(kind, record, label, "", order)
        if record[kind.natural] is not None:
            self.check_natural_key(kind, record, index, label, order)
        if key == "cases":
            self.check_case(kind, record, label, order)
        else:
            self.check_references(kind, record, label, "", order)
            if len(self.report.problems) == problems_before:
                self.records[key].append(normalized(kind, data))
        self.ignored = ("", ())

    def check_header(self, header):
        if "format" not in header:
            self.problem("document", "format", _("missing required field"), order=(-2,))
        elif header["format"] != FORMAT:
            self.problem("document", "format", _('must be "%(format)s"') % {"format": FORMAT}, order=(-2,))
        if "version" not in header:
            self.problem("document", "version", _("missing required field"), order=(-1,))
        elif header["version"] != VERSION or isinstance(header["version"], bool):
            self.problem(
                "document",
                "version",
                _("unsupported version %(version)s; this importer reads version %(supported)s")
                % {"version": header["version"], "supported": VERSION},
                order=(-1,),
            )

    def check_fields(self, kind, data, label, prefix, order):
        """Unknown and missing fields and JSON types: (the well-formed part of ``data``, paths of the rest)."""
        clean, bad = {}, set()
        names = {item.name for item in kind.fields}
        for name in data:
            if name not in names:
                self.problem(label, prefix + name, _("unknown field"), order)
        for item in kind.fields:
            where = prefix + item.name
            if item.name not in data:
                if item.required:
                    self.problem(label, where, _("missing required field"), order)
                    bad.add(where)
                continue
            value = data[item.name]
            message = self.type_problem(item, value, label, where, order)
            if message is False:
                bad.add(where)
            elif message:
                self.problem(label, where, message, order)
                bad.add(where)
            elif item.type == "records" and value:
                rows = []
                for number, row in enumerate(value):
                    if not isinstance(row, dict):
                        self.problem(
                            label,
                            f"{where}[{number}]",
                            _("expected an object, got %(type)s") % {"type": json_type(row)},
                            order,
                        )
                        bad.add(where)
                        continue
                    row_clean, row_bad = self.check_fields(item.records, row, label, f"{where}[{number}].", order)
                    rows.append(row_clean)
                    bad |= row_bad
                if where not in bad:
                    clean[item.name] = rows
            else:
                clean[item.name] = value
        return clean, bad

    def type_problem(self, item, value, label, where, order):
        """A message, or None when ``value`` fits ``item``; False when problems were reported already."""
        if value is None:
            return None if item.null else _("must not be null; expected %(expected)s") % {"expected": expected(item)}
        kind = item.type
        if kind == "translated":
            return self.translated_problem(value, label, where, order)
        if kind == "choice":
            if value in item.choices:
                return None
            listed = ", ".join(f'"{choice}"' for choice in item.choices)
            return _('"%(value)s" is not one of %(choices)s') % {"value": value, "choices": listed}
        if kind == "integer":
            fits = isinstance(value, int) and not isinstance(value, bool)
        elif kind == "boolean":
            fits = isinstance(value, bool)
        elif kind == "decimal":
            fits = isinstance(value, int | str | Decimal) and not isinstance(value, bool)
            fits = fits and DECIMAL.fullmatch(str(value)) is not None
        elif kind == "refs":
            fits = isinstance(value, list) and all(isinstance(entry, str) for entry in value)
            if fits and len(set(value)) != len(value):
                duplicate = next(entry for entry in value if value.count(entry) > 1)
                return _('"%(value)s" is listed twice') % {"value": duplicate}
        elif kind == "records":
            fits = isinstance(value, list)
        else:
            fits = isinstance(value, str)
        if not fits:
            return _("expected %(expected)s, got %(type)s") % {"expected": expected(item), "type": json_type(value)}
        if kind == "date":
            try:
                datetime.date.fromisoformat(value)
            except ValueError:
                return _('"%(value)s" is not a date (YYYY-MM-DD)') % {"value": value}
        if kind == "datetime":
            try:
                parse_datetime(value)
            except ValueError:
                return _('"%(value)s" is not a date and time with a time zone, such as "2022-11-06T16:00:00Z"') % {
                    "value": value
                }
        return None

    def translated_problem(self, value, label, where, order):
        if not isinstance(value, dict):
            return _("expected %(expected)s, got %(type)s") % {
                "expected": _('an object {"zh-hans": …, "en": …}'),
                "type": json_type(value),
            }
        if len(value) == len(LANGUAGES) and all(isinstance(value.get(code), str) for code in LANGUAGES):
            return None
        for code in value:
            if code not in LANGUAGES:
                self.problem(label, f"{where}.{code}", _("unknown language"), order)
        for code in LANGUAGES:
            if code not in value:
                self.problem(label, f"{where}.{code}", _("missing language"), order)
            elif not isinstance(value[code], str):
                message = _("expected a string, got %(type)s") % {"type": json_type(value[code])}
                self.problem(label, f"{where}.{code}", message, order)
        return False

    def check_model(self, kind, record, label, prefix, order):
        """The model's own field validation (lengths, ranges, slugs, codes) and its checks."""
        model = kind.model
        translated = {item.name for item in kind.fields if item.type == "translated"}
        errors = {}
        # What Model.clean_fields() does, without making an instance per record (a third of the time).
        for name, value in model_values(kind, record).items():
            field = checked_fields(model).get(name)
            if field is None or (field.blank and value in field.empty_values):
                continue
            try:
                field.clean(value, None)
            except ValidationError as error:
                errors[name] = error.messages
        for name in translated:
            if not model._meta.get_field(name).blank and not any(record[name].values()):
                errors.setdefault(name, []).append(_("required in at least one language"))
        for name, messages in errors.items():
            where = self.field_path(kind, name)
            for message in messages:
                self.problem(label, prefix + where, message, order)
        for where, message in self.checks(kind, record):
            self.problem(label, prefix + where, message, order)
        if kind.key == "metrics" and not errors:
            try:
                model(**model_values(kind, record)).clean()
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    for message in messages:
                        self.problem(label, prefix + self.field_path(kind, name), message, order)
        for item in kind.fields:
            if item.type == "records":
                for number, row in enumerate(record[item.name]):
                    self.check_model(item.records, row, label, f"{prefix}{item.name}[{number}].", order)

    @staticmethod
    def field_path(kind, column):
        """title_en → title.en; start_year → start_year."""
        for item in kind.fields:
            if item.type == "translated":
                for code in LANGUAGES:
                    if column == f"{item.name}_{COLUMN[code]}":
                        return f"{item.name}.{code}"
        return column

    def checks(self, kind, record):
        """The models' check constraints, evaluated here rather than by the database (no query per record)."""
        key = kind.model._meta.label
        start, end = record.get("start_year"), record.get("end_year")
        if key in ("cases.Case", "organizations.Posting") and start is not None and end is not None and end < start:
            yield "end_year", _("The period cannot end before it starts.")
        published = record.get("status") == Case.Status.PUBLISHED
        if key == "cases.Case" and published and not record["published_at"] and self.may_publish:
            yield "published_at", _("A published case needs a publication time.")
        if key == "cases.Outcome":
            if record["baseline_value"] is not None and record["baseline_year"] is None:
                yield "baseline_year", _("Give the year of the baseline value.")
            if record["baseline_year"] is not None and record["baseline_year"] > record["year"]:
                yield "baseline_year", _("The baseline year cannot come after the outcome's year.")

    def check_natural_key(self, kind, record, index, label, order):
        key = record[kind.natural]
        seen = self.file_keys[kind.key]
        if key in seen:
            self.problem(
                label,
                kind.natural,
                _('duplicate %(field)s "%(value)s" (also %(other)s)')
                % {"field": kind.natural, "value": key, "other": seen[key]},
                order,
            )
        else:
            seen[key] = f"{kind.key}[{index}]"

    def check_references(self, kind, record, label, prefix, order):
        for item in kind.fields:
            value = record[item.name]
            if item.type == "ref" and value is not None:
                self.check_reference(item.ref, value, label, prefix + item.name, order)
            elif item.type == "refs":
                for number, entry in enumerate(value):
                    self.check_reference(item.ref, entry, label, f"{prefix}{item.name}[{number}]", order)
            elif item.type == "records":
                for number, row in enumerate(record[item.name]):
                    self.check_references(item.records, row, label, f"{prefix}{item.name}[{number}].", order)

    def check_reference(self, kind_key, value, label, where, order):
        if value in self.file_keys[kind_key] or value in self.db_keys[kind_key]:
            return
        # Perhaps further down in the file: decided at the end.
        self.pending[(kind_key, value)].append((label, where, order))

    def resolve_pending(self):
        for (kind_key, value), places in self.pending.items():
            if value in self.file_keys[kind_key]:
                continue
            label = self.kinds[kind_key].label
            for record_label_, where, order in places:
                self.problem(
                    record_label_, where, _('unknown %(kind)s "%(value)s"') % {"kind": label, "value": value}, order
                )
        self.pending.clear()

    def check_case(self, kind, record, label, order):
        self.check_references(kind, record, label, "", order)
        for name, what in (
            ("figures", "slug"),
            ("outcomes", "slug"),
            ("organizations", None),
            ("collections", "collection"),
        ):
            seen = set()
            for number, row in enumerate(record[name]):
                identity = (row["organization"], row["role"]) if what is None else row[what]
                if identity in seen:
                    where = f"{name}[{number}]" + (f".{what}" if what else "")
                    self.problem(label, where, _("listed twice in this case"), order)
                seen.add(identity)
        for number, entry in enumerate(record["collections"]):
            self.check_entry(entry, record["slug"], label, f"collections[{number}].number", order)
        publishes = self.may_publish and record["status"] == Case.Status.PUBLISHED
        for number, figure in enumerate(record["figures"]):
            where = f"figures[{number}]"
            self.check_figure_file(figure["image"], label, f"{where}.image", order)
            default_alt = figure["alt_text"][settings.MODELTRANSLATION_DEFAULT_LANGUAGE]
            if publishes and not figure["decorative"] and not default_alt.strip():
                self.problem(
                    label,
                    f"{where}.alt_text",
                    _("a published case needs alt text on every figure that is not decorative"),
                    order,
                )

    def check_entry(self, entry, case_slug, label, where, order):
        number, collection = entry["number"], entry["collection"]
        if number is None:
            return
        count = next(
            (row["case_count"] for row in self.records["collections"] if row["slug"] == collection),
            self.db_case_counts.get(collection),
        )
        if count and number > count:
            self.problem(
                label, where, _("The collection has %(count)s cases; choose 1 to %(count)s.") % {"count": count}, order
            )
        taken = self.entry_numbers.setdefault((collection, number), (case_slug, label, where, order))
        if taken[0] != case_slug:
            self.problem(
                label,
                where,
                _('number %(number)s is taken by case "%(case)s"') % {"number": number, "case": taken[0]},
                order,
            )

    def check_figure_file(self, relative, label, where, order):
        if relative not in self.figure_files:
            try:
                path = images.resolve(self.folder, relative)
                images.check(path)
                self.figure_files[relative] = (path, None)
            except images.FigureFileError as error:
                self.figure_files[relative] = (None, str(error))
        _path, error = self.figure_files[relative]
        if error:
            self.problem(label, where, error, order)

    def check_collection_numbers(self):
        """A number in a collection must not be taken by a case outside the file."""
        if not self.entry_numbers or not self.report.ok:
            return
        collections = {collection for collection, _number in self.entry_numbers}
        rows = CollectionEntry.objects.filter(collection__slug__in=collections, number__isnull=False).values_list(
            "collection__slug", "number", "case__slug"
        )
        for collection, number, case_slug in rows:
            taken = self.entry_numbers.get((collection, number))
            if taken and case_slug not in self.file_keys["cases"] and case_slug != taken[0]:
                _slug, label, where, order = taken
                self.problem(
                    label,
                    where,
                    _('number %(number)s is taken by case "%(case)s"') % {"number": number, "case": case_slug},
                    order,
                )

    def check_trees(self):
        """Regions and organizations may name a parent in the file: no record may be its own ancestor."""
        for key in ("regions", "organizations"):
            kind = self.kinds[key]
            parents = {record[kind.natural]: record["parent"] for record in self.records[key]}
            for number, record in enumerate(self.records[key]):
                seen, current = set(), record[kind.natural]
                while current in parents and current not in seen:
                    seen.add(current)
                    current = parents[current]
                if current in seen:
                    label = f'{key}[{number}] ({kind.natural} "{record[kind.natural]}")'
                    self.problem(label, "parent", _("a record cannot be its own parent or ancestor"))

    def check_region_slugs(self):
        regions = {}
        for number, record in enumerate(self.records["regions"]):
            if record["slug"] in regions:
                label = f'regions[{number}] (code "{record["code"]}")'
                self.problem(label, "slug", _('duplicate slug "%(slug)s"') % {"slug": record["slug"]})
            regions[record["slug"]] = record["code"]
        for code, slug in Region.objects.filter(slug__in=list(regions)).values_list("code", "slug"):
            if regions[slug] != code:
                self.problem(
                    "regions", "slug", _('"%(slug)s" is the slug of region %(code)s') % {"slug": slug, "code": code}
                )

    # 2. Writing

    def write(self, dry_run):
        with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
            self.ids = {}
            self.keys = {}
            for key in REFERENCE_KINDS:
                self.write_kind(key)
            self.write_cases(dry_run)
            if dry_run:
                transaction.set_rollback(True)
            elif self.report.case_ids:
                case_ids = list(self.report.case_ids)
                transaction.on_commit(lambda: cases_changed.send(sender=Importer, case_ids=case_ids))
                transaction.on_commit(refresh_planner_statistics)
            else:  # reference data alone (a source's title, a metric's unit) shows on the kept case pages too
                transaction.on_commit(data_changed)

    def refresh_ids(self, key):
        kind = self.kinds[key]
        self.ids[key] = dict(kind.model.objects.values_list(kind.natural, "pk"))
        self.keys[key] = {pk: natural for natural, pk in self.ids[key].items()}

    def existing(self, key, naturals, prefetch=()):
        kind = self.kinds[key]
        found = {}
        naturals = list(naturals)
        for start in range(0, len(naturals), BATCH):
            chunk = naturals[start : start + BATCH]
            queryset = kind.model.objects.filter(**{f"{kind.natural}__in": chunk}).prefetch_related(*prefetch)
            found.update({getattr(obj, kind.natural): obj for obj in queryset})
        return found

    def write_kind(self, key):
        kind = self.kinds[key]
        records = self.records[key]
        for other in {item.ref for item in kind.fields if item.ref and item.ref != key}:
            if other not in self.ids:
                self.refresh_ids(other)
        self.refresh_ids(key)
        prefetch = {"collections": ["assistance_types"], "commissioners": ["postings"]}.get(key, [])
        existing = self.existing(key, [record[kind.natural] for record in records], prefetch)
        counts = self.report.counts[key]
        changed = []
        for record in records:
            obj = existing.get(record[kind.natural])
            if (
                obj is not None
                and record_of(kind, obj, self.keys, children=self.reference_children(key, obj)) == record
            ):
                counts["unchanged"] += 1
                continue
            counts["updated" if obj is not None else "created"] += 1
            changed.append((record, obj))
        if not changed:
            return
        self_ref = next((item for item in kind.fields if item.ref == key), None)
        # Parents before children: in levels, each level's parents written by the levels before.
        for level in self.levels(kind, [record for record, _obj in changed], self_ref):
            self.write_level(
                kind, [(record, obj) for record, obj in changed if record[kind.natural] in level], self_ref
            )
            self.refresh_ids(key)
        if key == "collections":
            through = kind.model.assistance_types.through
            ids = [self.ids[key][record["slug"]] for record, _obj in changed]
            through.objects.filter(collection_id__in=ids).delete()
            through.objects.bulk_create(
                through(
                    collection_id=self.ids[key][record["slug"]], assistancetype_id=self.ids["assistance_types"][slug]
                )
                for record, _obj in changed
                for slug in record["assistance_types"]
            )
        if key == "commissioners":
            ids = [self.ids[key][record["slug"]] for record, _obj in changed]
            Posting.objects.filter(commissioner_id__in=ids).delete()
            Posting.objects.bulk_create(
                Posting(
                    commissioner_id=self.ids[key][record["slug"]],
                    **model_values(kind.get("postings").records, posting, self.ids),
                )
                for record, _obj in changed
                for posting in record["postings"]
            )

    @staticmethod
    def reference_children(key, obj):
        if key == "collections":
            return {"assistance_types": [row.pk for row in obj.assistance_types.all()]}
        if key == "commissioners":
            return {"postings": list(obj.postings.all())}
        return {}

    @staticmethod
    def levels(kind, records, self_ref):
        if self_ref is None:
            return [{record[kind.natural] for record in records}]
        parents = {record[kind.natural]: record[self_ref.name] for record in records}

        def depth(natural):
            level = 0
            while parents.get(natural) in parents:
                natural, level = parents[natural], level + 1
            return level

        by_depth = defaultdict(set)
        for natural in parents:
            by_depth[depth(natural)].add(natural)
        return [by_depth[level] for level in sorted(by_depth)]

    def write_level(self, kind, changed, self_ref):
        model = kind.model
        created, updated, moved = [], [], []
        instances = [(build(model, model_values(kind, record, self.ids)), obj) for record, obj in changed]
        if kind.key == "regions":
            parent_ids = {instance.parent_id for instance, _obj in instances}
            paths = dict(Region.objects.filter(pk__in=parent_ids).values_list("pk", "path"))
        for instance, obj in instances:
            if kind.key == "regions":
                instance.path = f"{paths.get(instance.parent_id, '/')}{instance.code}/"
                if obj is not None and obj.path != instance.path:
                    moved.append((instance, obj.path))
            if obj is None:
                created.append(instance)
            else:
                instance.pk = obj.pk
                updated.append(instance)
        model.objects.bulk_create(created, batch_size=BATCH)
        if updated:
            # rewrite(False): modeltranslation would otherwise turn "name" into "name_<language>" and leave
            # the original column (the default language, as the admin keeps it) stale.
            model.objects.rewrite(False).bulk_update(updated, self.columns(kind), batch_size=BATCH)
        for region, old_path in moved:
            region.move_descendants(old_path)

    def columns(self, kind):
        names = []
        for item in kind.fields:
            if item.type == "translated":
                names += [item.name, *(f"{item.name}_{COLUMN[code]}" for code in LANGUAGES)]
            elif item.type not in ("refs", "records", "path"):
                names.append(item.column)
        if kind.key == "regions":
            names.append("path")
        return [name for name in names if name != kind.natural]

    def write_cases(self, dry_run):
        for key in (
            "regions",
            "themes",
            "commissioners",
            "initiatives",
            "sources",
            "organizations",
            "collections",
            "metrics",
            "assistance_types",
        ):
            if key not in self.ids:
                self.refresh_ids(key)
        kind = self.kinds["cases"]
        done = 0
        with open(self.path, "rb") as stream:
            batch = []
            for raw in reader.items(stream, "cases"):
                batch.append(normalized(kind, raw))
                if len(batch) == BATCH:
                    self.write_case_batch(kind, batch, dry_run)
                    done += len(batch)
                    batch = []
                    if self.progress:
                        self.progress(done, self.case_count)
            if batch:
                self.write_case_batch(kind, batch, dry_run)
                done += len(batch)
                if self.progress:
                    self.progress(done, self.case_count)

    def stored_figure(self, relative, dry_run):
        cached = self.figure_files[relative]
        if len(cached) == 2:
            path, _error = cached
            cached = (path, None, *images.store(path, write=not dry_run))
            self.figure_files[relative] = cached
        return cached[2:]

    def write_case_batch(self, kind, batch, dry_run):
        sizes = {}
        for record in batch:
            for figure in record["figures"]:
                name, width, height = self.stored_figure(figure["image"], dry_run)
                figure["image"] = name
                sizes[name] = (width, height)
        existing = self.existing("cases", [record["slug"] for record in batch], CASE_PREFETCH)
        counts = self.report.counts["cases"]
        created, updated = [], []
        for record in batch:
            obj = existing.get(record["slug"])
            if not self.may_publish:
                # An editor's import: the case keeps its status, a new case starts as a draft.
                wanted = (record["status"], record["published_at"])
                record["status"] = obj.status if obj else Case.Status.DRAFT
                record["published_at"] = canonical_datetime(obj.published_at) if obj and obj.published_at else None
                if wanted != (record["status"], record["published_at"]):
                    self.report.status_ignored += 1
            if obj is not None:
                current = record_of(
                    kind,
                    obj,
                    self.keys,
                    image_of=lambda figure, _record: images.name_by_content(figure.image.name),
                    children=case_children(obj),
                )
                if current == record:
                    counts["unchanged"] += 1
                    continue
                counts["updated"] += 1
            else:
                counts["created"] += 1
            instance = build(Case, model_values(kind, record, self.ids))
            if obj is not None:
                instance.pk, instance.created_at, instance.updated_at = obj.pk, obj.created_at, timezone.now()
                updated.append((instance, record))
            else:
                created.append((instance, record))
        if not created and not updated:
            return
        # The history's reason holds 100 characters: the file's own name, not the folder it was read from.
        reason_length = Case.history.model._meta.get_field("history_change_reason").max_length
        reason = Truncator(f"Imported from {Path(self.report.file_name).name}").chars(reason_length)
        if created:
            objects = Case.objects.bulk_create([instance for instance, _record in created])
            Case.history.bulk_history_create(objects, default_user=self.user, default_change_reason=reason)
        if updated:
            objects = [instance for instance, _record in updated]
            Case.objects.rewrite(False).bulk_update(objects, [*self.columns(kind), "updated_at"])
            Case.history.bulk_history_create(objects, update=True, default_user=self.user, default_change_reason=reason)
            ids = [instance.pk for instance in objects]
            for name in CASE_M2M:
                getattr(Case, name).through.objects.filter(case_id__in=ids).delete()
            for model in (Participation, CollectionEntry, Figure, Outcome):
                model.objects.filter(case_id__in=ids).delete()
        written = created + updated
        self.report.case_ids.extend(instance.pk for instance, _record in written)
        for name, column in CASE_M2M.items():
            through = getattr(Case, name).through
            through.objects.bulk_create(
                [
                    through(case_id=instance.pk, **{f"{column}_id": self.ids[name][natural]})
                    for instance, record in written
                    for natural in record[name]
                ],
                batch_size=BATCH,
            )
        children = {
            "organizations": Participation,
            "collections": CollectionEntry,
            "figures": Figure,
            "outcomes": Outcome,
        }
        for name, model in children.items():
            child_kind = kind.get(name).records
            rows = []
            for instance, record in written:
                for row in record[name]:
                    values = model_values(child_kind, row, self.ids)
                    if model is Figure:
                        # With width and height given, Django does not open the file to measure it.
                        values["image"] = row["image"]
                        values["width"], values["height"] = sizes[row["image"]]
                    rows.append(build(model, {"case_id": instance.pk, **values}))
            model.objects.bulk_create(rows, batch_size=BATCH)

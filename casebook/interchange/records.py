"""Model instance ⇄ interchange record, both ways, by the declarations in ``spec``.

``record_of`` is the exporter's output and also the importer's yardstick: a record in a file is unchanged
when it equals ``record_of`` the database row it names (both in the canonical form ``normalized`` gives)."""

import datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from .spec import COLUMN, LANGUAGES


def canonical_decimal(value):
    """Decimal("16.0000") → "16"; Decimal("5.8000") → "5.8"; never an exponent."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def canonical_datetime(value):
    """Any aware datetime → UTC, ISO 8601 with a Z: "2022-11-06T16:00:00Z"."""
    value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"


def parse_datetime(text):
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if timezone.is_naive(value):
        raise ValueError("no time zone")
    return value


def child_sort_key(record):
    return (record.get("order", 0), record.get("slug", ""))


def record_of(kind, obj, keys, image_of=None, children=None):
    """The record of ``obj``. ``keys[kind_key][pk]`` gives natural keys of referenced rows; ``children`` the
    nested rows by field name (prefetched); ``image_of(figure, record)`` the figure's ``image`` value."""
    record = {}
    for item in kind.fields:
        name = item.name
        if item.type == "translated":
            record[name] = {code: getattr(obj, f"{name}_{COLUMN[code]}") or "" for code in LANGUAGES}
        elif item.type == "ref":
            pk = getattr(obj, f"{item.column}_id")
            record[name] = None if pk is None else keys[item.ref][pk]
        elif item.type == "refs":
            record[name] = sorted(keys[item.ref][pk] for pk in children[name])
        elif item.type == "records":
            rows = [record_of(item.records, child, keys, image_of) for child in children[name]]
            record[name] = sorted(rows, key=child_sort_key) if item.records.natural else sorted(rows, key=str)
        elif item.type == "path":
            record[name] = image_of(obj, record)
        else:
            record[name] = plain_value(item, getattr(obj, item.column))
    return record


def plain_value(item, value):
    if value is None:
        return None
    if item.type == "decimal":
        return canonical_decimal(value)
    if item.type == "date":
        return value.isoformat()
    if item.type == "datetime":
        return canonical_datetime(value)
    return value


def normalized(kind, data, sort=True):
    """A record that passed the type checks, in canonical form: defaults filled in, numbers and times
    written one way, references and nested records sorted (unless ``sort`` is false: validation reports
    positions as in the file). Only ``image`` stays as the file gives it."""
    record = {}
    for item in kind.fields:
        value = data.get(item.name, missing := object())
        if value is missing:
            if item.type == "translated":
                value = dict.fromkeys(LANGUAGES, "")
            elif item.type in ("refs", "records"):
                value = []
            elif item.null:
                value = None
            else:
                value = item.default
        elif value is not None:
            if item.type == "decimal":
                value = canonical_decimal(value)
            elif item.type == "datetime":
                value = canonical_datetime(parse_datetime(value))
            elif item.type == "refs" and sort:
                value = sorted(value)
            elif item.type == "records":
                value = [normalized(item.records, row, sort) for row in value]
                if sort:
                    value = sorted(value, key=child_sort_key) if item.records.natural else sorted(value, key=str)
        record[item.name] = value
    return record


def model_values(kind, record, ids=None):
    """Keyword arguments for ``kind.model(**…)``: plain and translated columns, and foreign keys resolved by
    ``ids[kind_key][natural_key]`` (left out when ``ids`` is None: validation before anything is resolved)."""
    values = {}
    for item in kind.fields:
        value = record.get(item.name)
        if item.type == "translated":
            for code in LANGUAGES:
                values[f"{item.name}_{COLUMN[code]}"] = (value or {}).get(code, "")
        elif item.type == "ref":
            if ids is not None:
                values[f"{item.column}_id"] = None if value is None else ids[item.ref][value]
        elif item.type in ("refs", "records", "path"):
            continue
        elif item.type == "decimal" and value is not None:
            try:
                values[item.column] = Decimal(str(value))
            except InvalidOperation:
                values[item.column] = value
        elif item.type == "datetime" and value is not None:
            values[item.column] = parse_datetime(value)
        elif item.type == "date" and value is not None:
            values[item.column] = datetime.date.fromisoformat(value)
        else:
            values[item.column] = value
    return values

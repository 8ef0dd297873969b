"""The interchange format, declared once: each kind of record, its fields, their types and references.

The importer validates against these declarations, the exporter writes in their order, and the JSON Schema
(``schema.json``) is generated from them (``python -m casebook.interchange.spec > casebook/interchange/schema.json``),
so the three cannot drift apart; a test compares the shipped schema with the generated one.
"""

import json
from dataclasses import dataclass, field

from django.conf import settings

FORMAT = "casebook-interchange"
VERSION = 1

# The language codes of translated values, as in the format ("zh-hans", "en"), and their column suffixes.
LANGUAGES = [code for code, _name in settings.LANGUAGES]
COLUMN = {code: code.replace("-", "_") for code in LANGUAGES}

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATETIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"


@dataclass(frozen=True)
class Field:
    """One field of a record. ``type`` is one of: slug, code, text, translated, integer, boolean, decimal,
    date, datetime, choice, ref, refs, records. ``ref`` names the kind a reference points to; ``model_field``
    the model field it fills when the name differs."""

    name: str
    type: str
    required: bool = False
    null: bool = False
    ref: str = ""
    choices: tuple = ()
    records: "Kind | None" = None
    model_field: str = ""
    default: object = None

    @property
    def column(self):
        return self.model_field or self.name


@dataclass(frozen=True)
class Kind:
    """A kind of record: the top-level list it lives in, its model and its natural key."""

    key: str
    model_label: str
    natural: str
    fields: tuple = field(default_factory=tuple)
    label: str = ""

    def get(self, name):
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(name)

    @property
    def model(self):
        from django.apps import apps

        return apps.get_model(self.model_label)


def choices_of(model_label, field_name):
    from django.apps import apps

    return tuple(value for value, _label in apps.get_model(model_label)._meta.get_field(field_name).choices)


def slug(name="slug"):
    return Field(name, "slug", required=True)


def text(name):
    return Field(name, "text", default="")


def translated(name, required=False):
    return Field(name, "translated", required=required)


def year(name, required=False):
    return Field(name, "integer", required=required, null=not required)


def kinds():
    """The kinds in dependency order: a record refers only to kinds before it (or to its own kind: parents)."""
    region_levels = choices_of("regions.Region", "level")
    qualifiers = choices_of("cases.Outcome", "qualifier")
    regions = Kind(
        "regions",
        "regions.Region",
        "code",
        (
            Field("code", "code", required=True),
            slug(),
            Field("level", "choice", required=True, choices=region_levels),
            Field("parent", "ref", null=True, ref="regions"),
            translated("name", required=True),
        ),
        label="region",
    )
    organizations = Kind(
        "organizations",
        "organizations.Organization",
        "slug",
        (
            slug(),
            Field("kind", "choice", required=True, choices=choices_of("organizations.Organization", "kind")),
            Field("parent", "ref", null=True, ref="organizations"),
            text("website"),
            translated("name", required=True),
            translated("description"),
        ),
        label="organization",
    )
    posting = Kind(
        "postings",
        "organizations.Posting",
        "",
        (Field("region", "ref", required=True, ref="regions"), year("start_year"), year("end_year")),
        label="posting",
    )
    commissioners = Kind(
        "commissioners",
        "organizations.Commissioner",
        "slug",
        (
            slug(),
            Field("organization", "ref", required=True, ref="organizations"),
            translated("name", required=True),
            translated("title"),
            translated("bio"),
            Field("postings", "records", records=posting),
        ),
        label="commissioner",
    )
    assistance_types = Kind(
        "assistance_types",
        "cases.AssistanceType",
        "slug",
        (slug(), Field("order", "integer", default=0), translated("name", required=True), translated("description")),
        label="assistance type",
    )
    themes = Kind("themes", "cases.Theme", "slug", (slug(), translated("name", required=True)), label="theme")
    metrics = Kind(
        "metrics",
        "cases.Metric",
        "slug",
        (
            slug(),
            Field("kind", "choice", required=True, choices=choices_of("cases.Metric", "kind")),
            Field("higher_is_better", "boolean", default=True),
            translated("name", required=True),
            translated("unit"),
            translated("display_format"),
            translated("description"),
        ),
        label="metric",
    )
    sources = Kind(
        "sources",
        "cases.Source",
        "slug",
        (
            slug(),
            Field("publisher", "ref", null=True, ref="organizations"),
            Field("published_on", "date", null=True),
            text("url"),
            translated("title", required=True),
            text("text"),
        ),
        label="source",
    )
    collections = Kind(
        "collections",
        "cases.Collection",
        "slug",
        (
            slug(),
            Field("publisher", "ref", required=True, ref="organizations"),
            Field("published_on", "date", required=True),
            Field("batch_number", "integer", null=True),
            Field("case_count", "integer", null=True),
            Field("source", "ref", null=True, ref="sources"),
            Field("assistance_types", "refs", ref="assistance_types"),
            translated("title", required=True),
            translated("short_title", required=True),
            translated("description"),
        ),
        label="collection",
    )
    initiatives = Kind(
        "initiatives",
        "cases.Initiative",
        "slug",
        (
            slug(),
            Field("organization", "ref", null=True, ref="organizations"),
            year("started_year"),
            translated("name", required=True),
            translated("description"),
        ),
        label="initiative",
    )
    participation = Kind(
        "organizations",
        "cases.Participation",
        "",
        (
            Field("organization", "ref", required=True, ref="organizations"),
            Field("role", "choice", required=True, choices=choices_of("cases.Participation", "role")),
            translated("note"),
        ),
        label="participation",
    )
    entry = Kind(
        "collections",
        "cases.CollectionEntry",
        "",
        (Field("collection", "ref", required=True, ref="collections"), Field("number", "integer", null=True)),
        label="collection entry",
    )
    figure = Kind(
        "figures",
        "cases.Figure",
        "slug",
        (
            slug(),
            Field("image", "path", required=True),
            Field("order", "integer", default=0),
            Field("decorative", "boolean", default=False),
            translated("caption", required=True),
            translated("alt_text"),
            translated("credit"),
        ),
        label="figure",
    )
    outcome = Kind(
        "outcomes",
        "cases.Outcome",
        "slug",
        (
            slug(),
            Field("order", "integer", default=0),
            Field("metric", "ref", required=True, ref="metrics"),
            translated("indicator", required=True),
            Field("qualifier", "choice", choices=qualifiers, default=""),
            Field("value", "decimal", required=True),
            year("year", required=True),
            Field("baseline_qualifier", "choice", choices=qualifiers, default=""),
            Field("baseline_value", "decimal", null=True),
            year("baseline_year"),
            Field("region", "ref", null=True, ref="regions"),
            Field("source", "ref", null=True, ref="sources"),
            translated("note"),
        ),
        label="outcome",
    )
    cases = Kind(
        "cases",
        "cases.Case",
        "slug",
        (
            slug(),
            Field("status", "choice", required=True, choices=choices_of("cases.Case", "status")),
            Field("published_at", "datetime", null=True),
            Field("assistance_type", "ref", required=True, ref="assistance_types"),
            year("start_year", required=True),
            year("end_year"),
            translated("title", required=True),
            translated("summary", required=True),
            translated("background"),
            translated("approach"),
            translated("results"),
            translated("lessons"),
            translated("translation_note"),
            Field("regions", "refs", ref="regions"),
            Field("themes", "refs", ref="themes"),
            Field("commissioners", "refs", ref="commissioners"),
            Field("initiatives", "refs", ref="initiatives"),
            Field("sources", "refs", ref="sources"),
            Field("organizations", "records", records=participation),
            Field("collections", "records", records=entry),
            Field("figures", "records", records=figure),
            Field("outcomes", "records", records=outcome),
        ),
        label="case",
    )
    return [
        regions,
        organizations,
        commissioners,
        assistance_types,
        themes,
        metrics,
        sources,
        collections,
        initiatives,
        cases,
    ]


_KINDS = None


def all_kinds():
    global _KINDS
    if _KINDS is None:
        _KINDS = {kind.key: kind for kind in kinds()}
    return _KINDS


# JSON Schema, generated from the declarations above.


def field_schema(item):
    if item.type == "translated":
        return {"$ref": "#/$defs/translated"}
    if item.type == "records":
        return {"type": "array", "items": record_schema(item.records)}
    if item.type == "refs":
        return {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}
    schema = {
        "slug": {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$"},
        "code": {"type": "string", "pattern": r"^[0-9A-Z]{2,12}$"},
        "text": {"type": "string"},
        "path": {"type": "string", "minLength": 1},
        "integer": {"type": "integer"},
        "boolean": {"type": "boolean"},
        "decimal": {"type": ["string", "number"], "pattern": DECIMAL_PATTERN},
        "date": {"type": "string", "pattern": DATE_PATTERN},
        "datetime": {"type": "string", "pattern": DATETIME_PATTERN},
        "choice": {"enum": list(item.choices)},
        "ref": {"type": "string", "minLength": 1},
    }[item.type]
    if item.null:
        if "enum" in schema:
            schema = {"enum": [*schema["enum"], None]}
        else:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            schema = {**schema, "type": [*types, "null"]}
    return schema


def record_schema(kind):
    return {
        "type": "object",
        "properties": {item.name: field_schema(item) for item in kind.fields},
        "required": [item.name for item in kind.fields if item.required],
        "additionalProperties": False,
    }


def json_schema():
    listed = all_kinds()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://casebook.example/schemas/casebook-interchange-1.json",
        "title": "Casebook interchange format, version 1",
        "description": "See docs/interchange-format.md. Lengths and ranges are the models' own and are checked "
        "by the importer, not by this schema.",
        "type": "object",
        "properties": {
            "format": {"const": FORMAT},
            "version": {"const": VERSION},
            **{key: {"type": "array", "items": record_schema(kind)} for key, kind in listed.items()},
        },
        "required": ["format", "version"],
        "additionalProperties": False,
        "$defs": {
            "translated": {
                "type": "object",
                "properties": {code: {"type": "string"} for code in LANGUAGES},
                "required": list(LANGUAGES),
                "additionalProperties": False,
            }
        },
    }


def schema_text():
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    import django

    django.setup()
    print(schema_text(), end="")

"""A small valid interchange document to start each test from, and a snapshot of everything an import writes."""

import copy
import io
import json

from django.apps import apps
from django.core.management import CommandError, call_command
from PIL import Image

MODELS = [
    "regions.Region",
    "organizations.Organization",
    "organizations.Commissioner",
    "organizations.Posting",
    "cases.AssistanceType",
    "cases.Theme",
    "cases.Metric",
    "cases.Source",
    "cases.Collection",
    "cases.Initiative",
    "cases.Case",
    "cases.Participation",
    "cases.CollectionEntry",
    "cases.Figure",
    "cases.Outcome",
    "cases.HistoricalCase",
]


def tr(zh, en):
    return {"zh-hans": zh, "en": en}


def png_bytes(color="red", size=(8, 6)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def case_record(slug="case-a", **changes):
    record = {
        "slug": slug,
        "status": "published",
        "published_at": "2022-11-06T16:00:00Z",
        "assistance_type": "enterprise-social",
        "start_year": 2019,
        "end_year": 2022,
        "title": tr("案例", f"Case {slug}"),
        "summary": tr("摘要", "Summary."),
        "regions": ["610222"],
        "themes": ["tea"],
        "organizations": [{"organization": "alibaba", "role": "assisting", "note": tr("", "")}],
        "figures": [
            {
                "slug": "figure-1",
                "image": "figures/red.png",
                "order": 1,
                "caption": tr("图1", "Figure 1"),
                "alt_text": tr("红色", "A red square"),
            }
        ],
        "outcomes": [
            {
                "slug": "sales",
                "order": 1,
                "metric": "sales-value",
                "indicator": tr("销售额", "Sales"),
                "value": "5.8",
                "year": 2021,
                "baseline_value": 16,
                "baseline_year": 2019,
                "region": "610222",
            }
        ],
    }
    record.update(changes)
    return record


BASE = {
    "format": "casebook-interchange",
    "version": 1,
    "regions": [
        {"code": "610000", "slug": "shaanxi", "level": "province", "parent": None, "name": tr("陕西省", "Shaanxi")},
        {"code": "610222", "slug": "yijun", "level": "county", "parent": "610000", "name": tr("宜君县", "Yijun")},
    ],
    "organizations": [{"slug": "alibaba", "kind": "enterprise", "name": tr("阿里巴巴", "Alibaba")}],
    "assistance_types": [{"slug": "enterprise-social", "order": 3, "name": tr("企业帮扶", "Enterprises")}],
    "themes": [{"slug": "tea", "name": tr("茶叶", "Tea")}],
    "metrics": [
        {"slug": "sales-value", "kind": "quantity", "name": tr("销售额", "Sales value"), "unit": tr("元", "RMB")}
    ],
    "cases": [case_record("case-a"), case_record("case-b", status="draft", published_at=None)],
}


def document(**changes):
    doc = copy.deepcopy(BASE)
    doc.update(copy.deepcopy(changes))
    return doc


def write(folder, doc, name="batch.json"):
    """The document as a file, with the figure it names in figures/ beside it."""
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    (folder / "figures" / "red.png").write_bytes(png_bytes())
    path = folder / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def run_import(path, *args):
    """(exit ok?, stdout lines, stderr lines); the CommandError's message is the last stderr line."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_cases", str(path), *args, stdout=out, stderr=err)
        ok = True
    except CommandError as error:
        err.write(str(error) + "\n")
        ok = False
    return ok, out.getvalue().splitlines(), err.getvalue().splitlines()


def snapshot():
    """Every row of every model an import writes, as values: to assert that a refused import wrote nothing."""
    state = {}
    for label in MODELS:
        model = apps.get_model(label)
        state[label] = sorted(map(repr, model.objects.values()))
    for name in ("themes", "regions", "commissioners", "initiatives", "sources"):
        through = apps.get_model("cases.Case")._meta.get_field(name).remote_field.through
        state[name] = sorted(map(repr, through.objects.values()))
    return state

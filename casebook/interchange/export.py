"""Writing the interchange format: the selected cases, every record they refer to, and their figure files."""

import json
import shutil
from pathlib import Path, PurePosixPath

from django.core.files.storage import default_storage
from django.db.models import Q

from casebook.cases.models import Case, CollectionEntry, Figure, Initiative, Outcome, Participation, Source
from casebook.organizations.models import Commissioner, Organization, Posting
from casebook.regions.models import Region

from .records import record_of
from .spec import FORMAT, VERSION, all_kinds

CHUNK = 500
FIGURES_DIR = "figures"


def output_paths(out):
    """``OUT`` a folder → OUT/cases.json and OUT/figures/; ``OUT.json`` → OUT.json and figures/ beside it."""
    out = Path(out)
    if out.suffix.lower() == ".json":
        return out, out.parent / FIGURES_DIR
    return out / "cases.json", out / FIGURES_DIR


def figure_path(case_slug, figure, index):
    """figures/<case>/<figure>.<ext>: readable, and the same on every export of the same data."""
    extension = PurePosixPath(figure.image.name).suffix.lower() or ".jpg"
    return f"{FIGURES_DIR}/{case_slug}/{figure.slug or f'figure-{index}'}{extension}"


def natural_keys():
    """{kind: {pk: natural key}} for every referenced kind: a few queries, no query per row."""
    keys = {}
    for key, kind in all_kinds().items():
        if key != "cases":
            keys[key] = dict(kind.model.objects.values_list("pk", kind.natural))
    return keys


def selected_cases(regions=(), collections=(), statuses=()):
    cases = Case.objects.all()
    if regions:
        matches = Q()
        for region in regions:
            within = Case.regions.through.objects.filter(region__path__startswith=region.path)
            matches |= Q(pk__in=within.values("case_id"))
        cases = cases.filter(matches)
    if collections:
        cases = cases.filter(pk__in=CollectionEntry.objects.filter(collection__in=collections).values("case_id"))
    if statuses:
        cases = cases.filter(status__in=statuses)
    return cases.order_by("slug")


def referenced(cases, everything):
    """{kind: queryset} of the records to write: all of them for a whole casebook, else those the cases need."""
    kinds = all_kinds()
    if everything:
        return {key: kind.model.objects.all() for key, kind in kinds.items() if key != "cases"}
    ids = cases.values("pk")
    through = Case.regions.through.objects.filter(case__in=ids)
    outcomes = Outcome.objects.filter(case__in=ids)
    collection_ids = set(CollectionEntry.objects.filter(case__in=ids).values_list("collection_id", flat=True))
    commissioner_ids = set(
        Case.commissioners.through.objects.filter(case__in=ids).values_list("commissioner_id", flat=True)
    )
    initiative_ids = set(Case.initiatives.through.objects.filter(case__in=ids).values_list("initiative_id", flat=True))
    collections = kinds["collections"].model.objects.filter(pk__in=collection_ids)
    source_ids = (
        set(Case.sources.through.objects.filter(case__in=ids).values_list("source_id", flat=True))
        | set(outcomes.exclude(source=None).values_list("source_id", flat=True))
        | set(collections.exclude(source=None).values_list("source_id", flat=True))
    )
    type_ids = set(cases.values_list("assistance_type_id", flat=True)) | set(
        kinds["collections"]
        .model.assistance_types.through.objects.filter(collection__in=collection_ids)
        .values_list("assistancetype_id", flat=True)
    )
    organization_ids = (
        set(Participation.objects.filter(case__in=ids).values_list("organization_id", flat=True))
        | set(Commissioner.objects.filter(pk__in=commissioner_ids).values_list("organization_id", flat=True))
        | set(
            Initiative.objects.filter(pk__in=initiative_ids)
            .exclude(organization=None)
            .values_list("organization_id", flat=True)
        )
        | set(Source.objects.filter(pk__in=source_ids).exclude(publisher=None).values_list("publisher_id", flat=True))
        | set(collections.values_list("publisher_id", flat=True))
    )
    organization_ids = with_parents(organization_ids)
    region_ids = (
        set(through.values_list("region_id", flat=True))
        | set(outcomes.exclude(region=None).values_list("region_id", flat=True))
        | set(Posting.objects.filter(commissioner__in=commissioner_ids).values_list("region_id", flat=True))
    )
    codes = {
        code
        for path in Region.objects.filter(pk__in=region_ids).values_list("path", flat=True)
        for code in path.split("/")
        if code
    }
    return {
        "regions": Region.objects.filter(code__in=codes),
        "organizations": Organization.objects.filter(pk__in=organization_ids),
        "commissioners": Commissioner.objects.filter(pk__in=commissioner_ids),
        "assistance_types": kinds["assistance_types"].model.objects.filter(pk__in=type_ids),
        "themes": kinds["themes"].model.objects.filter(
            pk__in=Case.themes.through.objects.filter(case__in=ids).values("theme_id")
        ),
        "metrics": kinds["metrics"].model.objects.filter(pk__in=outcomes.values("metric_id")),
        "sources": Source.objects.filter(pk__in=source_ids),
        "collections": collections,
        "initiatives": Initiative.objects.filter(pk__in=initiative_ids),
    }


def with_parents(organization_ids):
    ids, new = set(organization_ids), set(organization_ids)
    while new:
        parents = set(Organization.objects.filter(pk__in=new).exclude(parent=None).values_list("parent_id", flat=True))
        new = parents - ids
        ids |= new
    return ids


def reference_records(key, queryset, keys):
    kind = all_kinds()[key]
    queryset = queryset.order_by("path" if key == "regions" else kind.natural)
    if key == "collections":
        queryset = queryset.prefetch_related("assistance_types")
    if key == "commissioners":
        queryset = queryset.prefetch_related("postings")
    for obj in queryset:
        children = {}
        if key == "collections":
            children["assistance_types"] = [row.pk for row in obj.assistance_types.all()]
        if key == "commissioners":
            children["postings"] = list(obj.postings.all())
        yield record_of(kind, obj, keys, children=children)


CASE_PREFETCH = (
    "themes",
    "regions",
    "commissioners",
    "initiatives",
    "sources",
    "participations",
    "collection_entries",
    "figures",
    "outcomes",
)


def case_children(case):
    return {
        "themes": [row.pk for row in case.themes.all()],
        "regions": [row.pk for row in case.regions.all()],
        "commissioners": [row.pk for row in case.commissioners.all()],
        "initiatives": [row.pk for row in case.initiatives.all()],
        "sources": [row.pk for row in case.sources.all()],
        "organizations": list(case.participations.all()),
        "collections": list(case.collection_entries.all()),
        "figures": list(case.figures.all()),
        "outcomes": list(case.outcomes.all()),
    }


def case_records(cases, keys, image_of, collections=None):
    kind = all_kinds()["cases"]
    for case in cases.prefetch_related(*CASE_PREFETCH).iterator(chunk_size=CHUNK):
        children = case_children(case)
        if collections is not None:
            children["collections"] = [entry for entry in children["collections"] if entry.collection_id in collections]
        yield record_of(kind, case, keys, image_of=image_of, children=children)


def indented(record):
    return "    " + json.dumps(record, indent=2, ensure_ascii=False).replace("\n", "\n    ")


def write_document(stream, sections):
    """The document, exactly as ``json.dumps(document, indent=2, ensure_ascii=False)`` would write it, but one
    record at a time: ``sections`` is [(key, iterable of records)]. Returns the number of records per key."""
    counts = {}
    stream.write("{\n" + f'  "format": "{FORMAT}",\n  "version": {VERSION}')
    for key, records in sections:
        stream.write(f',\n  "{key}": [')
        count = 0
        for record in records:
            stream.write(("\n" if count == 0 else ",\n") + indented(record))
            count += 1
        stream.write("\n  ]" if count else "]")
        counts[key] = count
    stream.write("\n}\n")
    return counts


def export(out, cases=None, everything=True):
    """Write ``cases`` (all by default) and what they refer to; returns ({kind: count}, json path)."""
    cases = Case.objects.order_by("slug") if cases is None else cases
    json_path, figures_dir = output_paths(out)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    keys = natural_keys()
    selection = referenced(cases, everything)
    included_collections = None if everything else set(selection["collections"].values_list("pk", flat=True))

    def copy_figure(figure, record):
        case_slug = figure_case_slug[figure.case_id]
        relative = figure_path(case_slug, figure, figure.order)
        target = json_path.parent / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(figure.image.name) as source, open(target, "wb") as copy:
            shutil.copyfileobj(source, copy)
        return relative

    figure_case_slug = dict(
        Case.objects.filter(pk__in=Figure.objects.filter(case__in=cases.values("pk")).values("case_id")).values_list(
            "pk", "slug"
        )
    )
    sections = [(key, reference_records(key, queryset, keys)) for key, queryset in selection.items()]
    sections.append(("cases", case_records(cases, keys, copy_figure, included_collections)))
    with open(json_path, "w", encoding="utf-8") as stream:
        counts = write_document(stream, sections)
    del figures_dir
    return counts, json_path

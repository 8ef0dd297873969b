"""The administrative division tree of mainland China, loaded from fixtures/divisions/china-divisions.csv.

The file is authoritative for each division's code, Chinese name, level and parent. Slugs and English
names are set when a division is created and never overwritten: they are addresses and editorial
text that editors may have refined (the regions of fixtures/regions.json keep theirs).
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import translation

from .models import Region

DIVISIONS_FILE = Path(settings.BASE_DIR) / "fixtures" / "divisions" / "china-divisions.csv"
COLUMNS = ["code", "parent_code", "level", "name_zh_hans", "name_en", "slug"]
LEVELS = {Region.Level.PROVINCE, Region.Level.PREFECTURE, Region.Level.COUNTY}
# Columns the file keeps up to date on every load.
TRACKED = ["name", "name_zh_hans", "level", "parent_id", "path"]
BATCH_SIZE = 1000


class DivisionFileError(Exception):
    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    renamed_slugs: list = field(default_factory=list)

    def __str__(self):
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def read_divisions(path=DIVISIONS_FILE):
    """The file's rows, parents before children; every problem reported as ``file: line N: field: message``."""
    path = Path(path)
    problems, rows = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            raise DivisionFileError([f"{path.name}: line 1: header: expected {','.join(COLUMNS)}"])
        for line, row in enumerate(reader, start=2):
            where = f"{path.name}: line {line}"
            if None in row or None in row.values():
                problems.append(f"{where}: row: expected {len(COLUMNS)} columns")
                continue
            if not (row["code"].isdigit() and len(row["code"]) == 6):
                problems.append(f"{where}: code: {row['code']!r} is not a 6-digit division code")
            if row["level"] not in LEVELS:
                problems.append(f"{where}: level: {row['level']!r} is not one of {', '.join(sorted(LEVELS))}")
            for column in ("name_zh_hans", "name_en", "slug"):
                if not row[column]:
                    problems.append(f"{where}: {column}: must not be empty")
            rows.append((line, row))
    by_code = {}
    for line, row in rows:
        if row["code"] in by_code:
            problems.append(f"{path.name}: line {line}: code: {row['code']} appears twice")
        by_code[row["code"]] = row
    seen_slugs = set()
    for line, row in rows:
        if row["parent_code"] and row["parent_code"] not in by_code:
            problems.append(f"{path.name}: line {line}: parent_code: no division {row['parent_code']} in the file")
        if row["slug"] in seen_slugs:
            problems.append(f"{path.name}: line {line}: slug: {row['slug']} appears twice")
        seen_slugs.add(row["slug"])
    if problems:
        raise DivisionFileError(problems)
    for row in by_code.values():
        row["depth"] = depth(row, by_code)
    return sorted(by_code.values(), key=lambda row: (row["depth"], row["code"]))


def depth(row, by_code, limit=10):
    n = 1
    while row["parent_code"]:
        row, n = by_code[row["parent_code"]], n + 1
        if n > limit:
            raise DivisionFileError([f"{DIVISIONS_FILE.name}: code {row['code']}: parent_code: the tree has a cycle"])
    return n


def load_divisions(rows):
    """Create or update a Region per row in bulk, level by level, in one transaction."""
    result = LoadResult()
    # `name` is modeltranslation's column for the default language: write it under that language.
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        existing = {region.code: region for region in Region.objects.all()}
        taken_slugs = {region.slug for region in existing.values()}
        for level_rows in split_by_depth(rows):
            to_create, to_update = [], []
            for row in level_rows:
                parent = existing[row["parent_code"]] if row["parent_code"] else None
                wanted = {
                    "name": row["name_zh_hans"],
                    "name_zh_hans": row["name_zh_hans"],
                    "level": row["level"],
                    "parent_id": parent.pk if parent else None,
                    "path": f"{parent.path if parent else '/'}{row['code']}/",
                }
                region = existing.get(row["code"])
                if region is None:
                    slug = row["slug"] if row["slug"] not in taken_slugs else f"{row['slug']}-{row['code']}"
                    if slug != row["slug"]:
                        result.renamed_slugs.append((row["code"], slug))
                    taken_slugs.add(slug)
                    region = Region(code=row["code"], slug=slug, name_en=row["name_en"], **wanted)
                    to_create.append(region)
                    existing[row["code"]] = region
                    continue
                changed = [name for name, value in wanted.items() if getattr(region, name) != value]
                if not region.name_en:
                    region.name_en = row["name_en"]
                    changed.append("name_en")
                for name in changed:
                    setattr(region, name, wanted.get(name, getattr(region, name)))
                if changed:
                    to_update.append(region)
                else:
                    result.unchanged += 1
            Region.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
            if to_create and to_create[0].pk is None:  # a backend that returns no ids from a bulk insert
                ids = dict(Region.objects.filter(code__in=[r.code for r in to_create]).values_list("code", "pk"))
                for region in to_create:
                    region.pk = ids[region.code]
            if to_update:
                Region.objects.bulk_update(to_update, TRACKED + ["name_en"], batch_size=BATCH_SIZE)
            result.created += len(to_create)
            result.updated += len(to_update)
    return result


def split_by_depth(rows):
    levels = {}
    for row in rows:
        levels.setdefault(row["depth"], []).append(row)
    return [levels[d] for d in sorted(levels)]

"""Small factories: the least data a test needs, every field overridable."""

import io
import itertools
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from casebook.cases.models import (
    AssistanceType,
    Case,
    Collection,
    CollectionEntry,
    Figure,
    Initiative,
    Metric,
    Outcome,
    Participation,
    Source,
    Theme,
)
from casebook.organizations.models import Commissioner, Organization, Posting
from casebook.regions.models import Region

_counter = itertools.count(1)


def _n():
    return next(_counter)


def make_region(parent=None, **kwargs):
    n = _n()
    kwargs.setdefault("name", f"Region {n}")
    kwargs.setdefault("slug", f"region-{n}")
    kwargs.setdefault("code", f"{n:06d}")
    kwargs.setdefault("level", Region.Level.PROVINCE if parent is None else Region.Level.COUNTY)
    return Region.objects.create(parent=parent, **kwargs)


def make_organization(**kwargs):
    n = _n()
    kwargs.setdefault("name", f"Organization {n}")
    kwargs.setdefault("slug", f"organization-{n}")
    kwargs.setdefault("kind", Organization.Kind.ENTERPRISE)
    return Organization.objects.create(**kwargs)


def make_commissioner(**kwargs):
    n = _n()
    kwargs.setdefault("name", f"Commissioner {n}")
    kwargs.setdefault("slug", f"commissioner-{n}")
    if "organization" not in kwargs:
        kwargs["organization"] = make_organization()
    return Commissioner.objects.create(**kwargs)


def make_type(**kwargs):
    n = _n()
    kwargs.setdefault("name", f"Type {n}")
    kwargs.setdefault("slug", f"type-{n}")
    return AssistanceType.objects.create(**kwargs)


def make_theme(**kwargs):
    n = _n()
    kwargs.setdefault("name", f"Theme {n}")
    kwargs.setdefault("slug", f"theme-{n}")
    return Theme.objects.create(**kwargs)


def make_metric(**kwargs):
    n = _n()
    kwargs.setdefault("name", f"Metric {n}")
    kwargs.setdefault("slug", f"metric-{n}")
    kwargs.setdefault("unit", "RMB")
    return Metric.objects.create(**kwargs)


def make_source(**kwargs):
    n = _n()
    kwargs.setdefault("title", f"Source {n}")
    kwargs.setdefault("slug", f"source-{n}")
    return Source.objects.create(**kwargs)


def make_collection(**kwargs):
    n = _n()
    kwargs.setdefault("title", f"Collection {n}")
    kwargs.setdefault("short_title", f"Collection {n}")
    kwargs.setdefault("slug", f"collection-{n}")
    kwargs.setdefault("published_on", timezone.localdate())
    if "publisher" not in kwargs:
        kwargs["publisher"] = make_organization(kind=Organization.Kind.GOVERNMENT_OFFICE)
    return Collection.objects.create(**kwargs)


def make_case(regions=(), organizations=(), themes=(), collections=(), **kwargs):
    """A published case unless ``status`` says otherwise; relations are lists of objects."""
    n = _n()
    kwargs.setdefault("title", f"Case {n}")
    kwargs.setdefault("slug", f"case-{n}")
    kwargs.setdefault("summary", f"Summary of case {n}.")
    kwargs.setdefault("start_year", 2020)
    kwargs.setdefault("status", Case.Status.PUBLISHED)
    if kwargs["status"] == Case.Status.PUBLISHED:
        kwargs.setdefault("published_at", timezone.now() - timedelta(days=1))
    if "assistance_type" not in kwargs:
        kwargs["assistance_type"] = make_type()
    case = Case.objects.create(**kwargs)
    case.regions.set(regions)
    case.themes.set(themes)
    for organization in organizations:
        Participation.objects.create(case=case, organization=organization)
    for collection in collections:
        CollectionEntry.objects.create(case=case, collection=collection)
    return case


def make_outcome(case, **kwargs):
    n = _n()
    kwargs.setdefault("slug", f"outcome-{n}")
    kwargs.setdefault("indicator", f"Indicator {n}")
    kwargs.setdefault("value", 1)
    kwargs.setdefault("year", 2021)
    if "metric" not in kwargs:
        kwargs["metric"] = make_metric()
    return Outcome.objects.create(case=case, **kwargs)


def image_bytes(format="PNG", size=(40, 30), color=(200, 80, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=format)
    return buffer.getvalue()


def image_upload(name="photo.png", format="PNG", **kwargs):
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}[format]
    return SimpleUploadedFile(name, image_bytes(format, **kwargs), content_type=content_type)


def make_figure(case, **kwargs):
    n = _n()
    kwargs.setdefault("slug", f"figure-{n}")
    kwargs.setdefault("caption", f"Figure {n}")
    kwargs.setdefault("alt_text", f"A photograph for figure {n}")
    kwargs.setdefault("image", image_upload(f"figure-{n}.png"))
    return Figure.objects.create(case=case, **kwargs)


def make_initiative(**kwargs):
    n = _n()
    kwargs.setdefault("name", f"Initiative {n}")
    kwargs.setdefault("slug", f"initiative-{n}")
    return Initiative.objects.create(**kwargs)


def make_posting(commissioner, region, **kwargs):
    return Posting.objects.create(commissioner=commissioner, region=region, **kwargs)

"""What the API says about each kind of record: plain dicts, ready for JSON.

Translated text is given in every language at once, ``{"zh-hans": …, "en": …}`` (``null`` where a
language has no text yet), so a response does not depend on the reader's language and caches as one.
Addresses are absolute: ``request.build_absolute_uri``.
"""

from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from modeltranslation.utils import build_localized_fieldname

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def texts(obj, field):
    """A translated field in every language; ``null`` where empty."""
    return {code: getattr(obj, build_localized_fieldname(field, code)) or None for code in LANGUAGE_CODES}


def in_every_language(request, make_path):
    """An absolute address of a public page in every language: ``make_path()`` runs in each."""
    addresses = {}
    for code in LANGUAGE_CODES:
        with translation.override(code):
            addresses[code] = request.build_absolute_uri(make_path())
    return addresses


def api_url(request, name, **kwargs):
    return request.build_absolute_uri(reverse(f"api:{name}", kwargs=kwargs))


def decimal_text(value):
    """12345.5000 → "12345.5": exact, unlike a JSON number, and without trailing zeros."""
    if value is None:
        return None
    return f"{Decimal(value).normalize():f}"


def local_datetime(value):
    return timezone.localtime(value).isoformat() if value else None


def period(case):
    return {"start_year": case.start_year, "end_year": case.end_year}


def region_brief(region):
    return {"code": region.code, "slug": region.slug, "name": texts(region, "name"), "level": region.level}


def organization_brief(organization):
    return {"slug": organization.slug, "name": texts(organization, "name"), "kind": organization.kind}


def named_brief(obj):
    """Assistance types, themes: a slug and a name."""
    return {"slug": obj.slug, "name": texts(obj, "name")}


def case_brief(request, case):
    """A case as lists show it (prefetched by ``views.cases_for_list``)."""
    return {
        "slug": case.slug,
        "title": texts(case, "title"),
        "summary": texts(case, "summary"),
        "type": named_brief(case.assistance_type),
        "themes": [named_brief(theme) for theme in case.themes.all()],
        "regions": [region_brief(region) for region in case.regions.all()],
        "organizations": [{**organization_brief(p.organization), "role": p.role} for p in case.participations.all()],
        "period": period(case),
        "published_at": local_datetime(case.published_at),
        "url": api_url(request, "case", slug=case.slug),
        "html_url": in_every_language(request, case.get_absolute_url),
    }


def case_detail(request, case):
    """The whole case (prefetched by ``CaseQuerySet.for_detail``)."""
    return {
        **case_brief(request, case),
        "background": texts(case, "background"),
        "approach": texts(case, "approach"),
        "results": texts(case, "results"),
        "lessons": texts(case, "lessons"),
        "translation_note": texts(case, "translation_note"),
        "organizations": [
            {**organization_brief(p.organization), "role": p.role, "note": texts(p, "note")}
            for p in case.participations.all()
        ],
        "commissioners": [
            {
                "slug": commissioner.slug,
                "name": texts(commissioner, "name"),
                "title": texts(commissioner, "title"),
                "organization": commissioner.organization.slug,
            }
            for commissioner in case.commissioners.all()
        ],
        "collections": [
            {
                "slug": entry.collection.slug,
                "short_title": texts(entry.collection, "short_title"),
                "number": entry.number,
                "url": api_url(request, "collection", slug=entry.collection.slug),
            }
            for entry in case.collection_entries.all()
        ],
        "outcomes": [outcome_detail(outcome) for outcome in case.outcomes.all()],
        "figures": [figure_detail(request, figure) for figure in case.figures.all()],
        "sources": [source_detail(source) for source in case.sources.all()],
    }


def outcome_detail(outcome):
    metric = outcome.metric
    return {
        "slug": outcome.slug,
        "indicator": texts(outcome, "indicator"),
        "metric": {
            "slug": metric.slug,
            "name": texts(metric, "name"),
            "unit": texts(metric, "unit"),
            "kind": metric.kind,
            "higher_is_better": metric.higher_is_better,
        },
        "qualifier": outcome.qualifier or None,
        "value": decimal_text(outcome.value),
        "year": outcome.year,
        "baseline": None
        if outcome.baseline_value is None
        else {
            "qualifier": outcome.baseline_qualifier or None,
            "value": decimal_text(outcome.baseline_value),
            "year": outcome.baseline_year,
        },
        "region": outcome.region.code if outcome.region_id else None,
        "note": texts(outcome, "note"),
        "source": outcome.source.slug if outcome.source_id else None,
    }


def figure_detail(request, figure):
    return {
        "slug": figure.slug,
        "image": request.build_absolute_uri(figure.image.url) if figure.image else None,
        "width": figure.width,
        "height": figure.height,
        "caption": texts(figure, "caption"),
        # A decorative figure has no text alternative on purpose: screen readers skip it.
        "alt": None if figure.decorative else texts(figure, "alt_text"),
        "decorative": figure.decorative,
        "credit": texts(figure, "credit"),
    }


def source_detail(source):
    return {
        "slug": source.slug,
        "title": texts(source, "title"),
        "publisher": organization_brief(source.publisher) if source.publisher_id else None,
        "published_on": source.published_on.isoformat() if source.published_on else None,
        "url": source.url or None,
    }


def region_item(request, region):
    return {
        **region_brief(region),
        "parent": region.path_codes[-2] if len(region.path_codes) > 1 else None,
        "path": region.path_codes,
        "url": api_url(request, "region", key=region.code),
        "cases_url": request.build_absolute_uri(reverse("api:cases") + f"?region={region.slug}"),
        "html_url": in_every_language(request, region.get_absolute_url),
    }


def organization_item(request, organization, case_count):
    return {
        **organization_brief(organization),
        "parent": organization.parent.slug if organization.parent_id else None,
        "website": organization.website or None,
        "description": texts(organization, "description"),
        "case_count": case_count,
        "url": api_url(request, "organization", slug=organization.slug),
        "cases_url": request.build_absolute_uri(reverse("api:cases") + f"?organization={organization.slug}"),
        "html_url": in_every_language(request, organization.get_absolute_url),
    }


def collection_item(request, collection, case_count):
    return {
        "slug": collection.slug,
        "title": texts(collection, "title"),
        "short_title": texts(collection, "short_title"),
        "publisher": organization_brief(collection.publisher),
        "published_on": collection.published_on.isoformat(),
        "batch_number": collection.batch_number,
        "announced_case_count": collection.case_count,
        "case_count": case_count,
        "source": source_detail(collection.source) if collection.source_id else None,
        "url": api_url(request, "collection", slug=collection.slug),
        "cases_url": request.build_absolute_uri(reverse("api:cases") + f"?collection={collection.slug}"),
        "html_url": in_every_language(request, collection.get_absolute_url),
    }

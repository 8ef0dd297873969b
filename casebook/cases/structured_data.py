"""What a case page tells machines: Open Graph properties and schema.org JSON-LD, from the same prefetched case."""

from django.utils import translation

from .images import rendition_url

OG_LOCALES = {"zh-hans": "zh_CN", "en": "en_US"}
SCHEMA_LANGUAGES = {"zh-hans": "zh-Hans", "en": "en"}


def first_image_url(case, request):
    """The absolute address of the first figure's large rendition, or "" when the case has none that can be read."""
    for figure in case.figures.all():
        url = rendition_url(figure.image, 960)
        if url:
            return request.build_absolute_uri(url)
    return ""


def open_graph(case, request, image_url):
    language = translation.get_language()
    return {
        "title": case.title,
        "description": case.summary,
        "url": request.build_absolute_uri(case.get_absolute_url()),
        "image": image_url,
        "locale": OG_LOCALES.get(language, language),
        "alternate_locales": [locale for code, locale in OG_LOCALES.items() if code != language],
    }


def case_json_ld(case, request, image_url):
    """A schema.org Article about the case: where (spatialCoverage), who wrote it up (author), what about."""

    def absolute(obj):
        return request.build_absolute_uri(obj.get_absolute_url())

    def organization(org):
        return {"@type": "Organization", "name": org.name, "url": absolute(org)}

    writers = {}
    for source in case.sources.all():
        if source.publisher:
            writers[source.publisher.pk] = source.publisher
    for entry in case.collection_entries.all():
        writers[entry.collection.publisher.pk] = entry.collection.publisher
    period = f"{case.start_year}/{case.end_year}" if case.end_year and case.end_year != case.start_year else ""
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": case.title[:110],
        "name": case.title,
        "description": case.summary,
        "url": absolute(case),
        "mainEntityOfPage": absolute(case),
        "datePublished": case.published_at.isoformat() if case.published_at else None,
        "dateModified": case.updated_at.isoformat() if case.updated_at else None,
        "inLanguage": SCHEMA_LANGUAGES.get(translation.get_language(), translation.get_language()),
        "temporalCoverage": period or str(case.start_year),
        "spatialCoverage": [
            {"@type": "Place", "name": region.name, "url": absolute(region)} for region in case.regions.all()
        ],
        "author": [organization(org) for org in writers.values()],
        "publisher": {"@type": "Organization", "name": str(translation.gettext("Casebook"))},
        "about": [
            {"@type": "Thing", "name": case.assistance_type.name},
            *({"@type": "Thing", "name": theme.name} for theme in case.themes.all()),
            *(organization(participation.organization) for participation in case.participations.all()),
        ],
        "isPartOf": [
            {"@type": "CreativeWork", "name": entry.collection.title, "url": absolute(entry.collection)}
            for entry in case.collection_entries.all()
        ],
    }
    if image_url:
        data["image"] = image_url
    return {key: value for key, value in data.items() if value not in (None, [], "")}

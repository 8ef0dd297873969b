"""What the listing reads instead of joining a case's relations: its facet values and its search document.

``reindex(case_ids)`` rebuilds both for those cases (a missing case loses its rows). It runs on every
save and delete that changes what a case shows, on the ``cases_changed`` signal of bulk writers, and
from ``manage.py rebuild_search_index``.
"""

from django.db import transaction
from django.db.models import Prefetch
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from casebook.organizations.models import Commissioner, Organization
from casebook.regions.models import Region

from . import search
from .facets import data_changed
from .models import (
    TRANSLATED_COLUMNS,
    Case,
    CaseFacet,
    CollectionEntry,
    Figure,
    Participation,
    SearchDocument,
    Theme,
)
from .signals import cases_changed

BATCH = 500
KINDS = {kind: position for position, kind in enumerate(Organization.Kind.values)}
Facet = CaseFacet.Facet


def reindex(case_ids, batch_size=BATCH):
    """Rebuild the facet rows and search documents of ``case_ids``; returns how many cases were indexed."""
    indexed = 0
    for batch in batched(sorted(set(case_ids)), batch_size):
        with transaction.atomic():
            indexed += index_batch(batch)
    data_changed()
    return indexed


def batched(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def index_batch(case_ids):
    cases = list(
        Case.objects.filter(pk__in=case_ids).prefetch_related(
            "regions",
            "themes",
            "commissioners",
            "figures",
            "collection_entries",
            Prefetch("participations", queryset=Participation.objects.select_related("organization")),
        )
    )
    codes = {code for case in cases for region in case.regions.all() for code in region.path_codes}
    regions_by_code = Region.objects.in_bulk(codes, field_name="code")
    facets, documents = [], []
    for case in cases:
        regions = {regions_by_code.get(code) for region in case.regions.all() for code in region.path_codes}
        regions.discard(None)
        facets.extend(facet_rows(case, {region.pk for region in regions}))
        documents.append(SearchDocument(case_id=case.pk, document=search.document(case, names(case, regions))))
    CaseFacet.objects.filter(case_id__in=case_ids).delete()
    SearchDocument.objects.filter(case_id__in=case_ids).delete()
    CaseFacet.objects.bulk_create(facets)
    SearchDocument.objects.bulk_create(documents)
    return len(cases)


def facet_rows(case, region_ids):
    published_at = case.published_at if case.status == Case.Status.PUBLISHED else None
    participations = case.participations.all()
    end_year = max(case.end_year or case.start_year, case.start_year)
    values = {
        Facet.REGION: region_ids,
        Facet.TYPE: {case.assistance_type_id},
        Facet.THEME: {theme.pk for theme in case.themes.all()},
        Facet.ORGANIZATION: {participation.organization_id for participation in participations},
        Facet.ORG_KIND: {KINDS[p.organization.kind] for p in participations if p.organization.kind in KINDS},
        Facet.COLLECTION: {entry.collection_id for entry in case.collection_entries.all()},
        Facet.COMMISSIONER: {commissioner.pk for commissioner in case.commissioners.all()},
        Facet.YEAR: set(range(case.start_year, min(end_year, case.start_year + 200) + 1)),
    }
    return [
        CaseFacet(case_id=case.pk, facet=facet, value=value, published_at=published_at)
        for facet, facet_values in values.items()
        for value in facet_values
    ]


def names(case, regions):
    """The names that find a case besides its own text: places (and the places above them), organizations,
    commissioners, themes and figure captions, in every language."""
    named = [
        *regions,
        *(participation.organization for participation in case.participations.all()),
        *case.commissioners.all(),
        *case.themes.all(),
    ]
    texts = [getattr(obj, f"name_{column}") or "" for obj in named for column in TRANSLATED_COLUMNS]
    texts += [
        getattr(figure, f"caption_{column}") or "" for figure in case.figures.all() for column in TRANSLATED_COLUMNS
    ]
    return texts


# Keeping it up to date


@receiver(cases_changed)
def on_cases_changed(sender, case_ids=(), **kwargs):
    reindex(case_ids)


@receiver(post_save, sender=Case)
def on_case_saved(sender, instance, **kwargs):
    reindex([instance.pk])


@receiver(post_save, sender=Participation)
@receiver(post_delete, sender=Participation)
@receiver(post_save, sender=Figure)
@receiver(post_delete, sender=Figure)
@receiver(post_save, sender=CollectionEntry)
@receiver(post_delete, sender=CollectionEntry)
def on_case_part_changed(sender, instance, **kwargs):
    reindex([instance.case_id])


def on_relation_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """regions, themes, commissioners: from the case's side (case.regions.add) or the other (region.cases.add)."""
    if action == "pre_clear" and reverse:
        # After the clear nothing says which cases had it: remember them now.
        instance._cases_before_clear = list(sender.objects.filter(**{related_column(sender, instance): instance.pk}))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        reindex([instance.pk])
    elif action == "post_clear":
        reindex([row.case_id for row in getattr(instance, "_cases_before_clear", [])])
    else:
        reindex(pk_set or ())


def related_column(through, instance):
    return next(f.name for f in through._meta.fields if f.related_model is type(instance)) + "_id"


for relation in (Case.regions, Case.themes, Case.commissioners):
    m2m_changed.connect(on_relation_changed, sender=relation.through, dispatch_uid=f"reindex-{relation.field.name}")


# Renamed or moved reference data: every case that shows it


@receiver(post_save, sender=Region)
def on_region_saved(sender, instance, created, **kwargs):
    if not created:
        reindex(
            Case.regions.through.objects.filter(region__path__startswith=instance.path).values_list(
                "case_id", flat=True
            )
        )


@receiver(post_save, sender=Organization)
def on_organization_saved(sender, instance, created, **kwargs):
    if not created:
        reindex(Participation.objects.filter(organization=instance).values_list("case_id", flat=True))


@receiver(post_save, sender=Commissioner)
def on_commissioner_saved(sender, instance, created, **kwargs):
    if not created:
        reindex(Case.commissioners.through.objects.filter(commissioner=instance).values_list("case_id", flat=True))


@receiver(post_save, sender=Theme)
def on_theme_saved(sender, instance, created, **kwargs):
    if not created:
        reindex(Case.themes.through.objects.filter(theme=instance).values_list("case_id", flat=True))

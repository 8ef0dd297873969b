"""How many published cases each region, type, organization and collection holds; outcome totals.

Counting every published case takes a pass over all of them (most of a second at 100,000 cases), so the
figures are cached under the version of the published data (``versions``): any change, or a scheduled case
coming due, makes them counted afresh.
"""

from django.db.models import Avg, Count, F, Q, Sum, Value
from django.db.models.functions import StrIndex, Substr

from casebook.regions.models import Region

from .models import AssistanceType, Case, Collection, CollectionEntry, Outcome, Participation
from .versions import cached

# Regions


def with_case_counts(regions):
    """``regions`` (as a rule siblings: the children of one region, or the provinces) as a list, each with
    ``case_count``: the published cases in the region or anywhere below it, a case in two counties of one
    province counted once.
    """
    regions = list(regions)
    by_parent = {}
    for region in regions:
        by_parent.setdefault(parent_path_of(region), []).append(region)
    for parent_path, siblings in by_parent.items():  # siblings all, as a rule: one query
        counts = cached(f"children:{parent_path}", lambda path=parent_path: subtree_counts(path))
        for region in siblings:
            region.case_count = counts.get(region.path, 0)
    return regions


def subtree_counts(parent_path):
    """{path of a child of ``parent_path``: number of published cases in that child's subtree}.

    One GROUP BY over the links between cases and the places below the parent, keyed by the part of each
    place's path that names the child it lies in ("/610000/" for "/610000/610200/610222/"): one pass,
    however many children there are.
    """
    start = len(parent_path) + 1  # where the child's code starts in a path (SQL counts from 1)
    child = Substr("region__path", 1, start + StrIndex(Substr("region__path", start), Value("/")) - 1)
    return dict(
        Case.regions.through.objects.filter(case__in=Case.objects.published(), region__path__startswith=parent_path)
        .exclude(region__path=parent_path)
        .order_by()
        .values_list(child)
        .annotate(n=Count("case", distinct=True))
    )


def parent_path_of(region):
    """The path of the region above ``region``: "/" for a province, "/610000/610200/" for a county in Tongchuan."""
    return region.path[: region.path.rstrip("/").rfind("/") + 1]


def provinces_with_case_counts():
    return with_case_counts(Region.objects.provinces())


# Types and outcomes


def types_with_case_counts():
    """Every assistance type with ``case_count``, in the types' own order."""
    counts = cached(
        "types",
        lambda: dict(Case.objects.published().order_by().values_list("assistance_type").annotate(n=Count("pk"))),
    )
    types = list(AssistanceType.objects.all())
    for assistance_type in types:
        assistance_type.case_count = counts.get(assistance_type.pk, 0)
    return types


def organization_case_counts():
    """{organization id: number of published cases it took part in}: one GROUP BY, cached."""
    return cached(
        "organizations",
        lambda: dict(
            Participation.objects.filter(case__in=Case.objects.published())
            .order_by()
            .values_list("organization")
            .annotate(n=Count("case", distinct=True))
        ),
    )


def collections_with_case_counts():
    """Every collection (newest first) with its publisher and ``published_cases``: its published cases."""
    counts = cached(
        "collections",
        lambda: dict(
            CollectionEntry.objects.filter(case__in=Case.objects.published())
            .order_by()
            .values_list("collection")
            .annotate(n=Count("case"))
        ),
    )
    collections = list(Collection.objects.select_related("publisher"))
    for collection in collections:
        collection.published_cases = counts.get(collection.pk, 0)
    return collections


def published_case_count():
    return cached("cases", lambda: Case.objects.published().count())


HAS_BASELINE = Q(baseline_value__isnull=False)
APPROXIMATE = ~Q(qualifier="") | (HAS_BASELINE & ~Q(baseline_qualifier=""))


def metric_totals():
    """{metric id: its outcomes' figures across published cases}: one GROUP BY, cached. Read by stats.py."""
    return cached("metrics", lambda: {row["metric"]: row for row in _metric_aggregates()})


def _metric_aggregates():
    return (
        Outcome.objects.filter(case__in=Case.objects.published())
        .order_by()
        .values("metric")
        .annotate(
            cases=Count("case", distinct=True),
            outcomes=Count("pk"),
            with_baseline=Count("pk", filter=HAS_BASELINE),
            total=Sum("value"),
            sum_before=Sum("baseline_value", filter=HAS_BASELINE),
            sum_after=Sum("value", filter=HAS_BASELINE),
            avg_before=Avg("baseline_value", filter=HAS_BASELINE),
            avg_after=Avg("value", filter=HAS_BASELINE),
            up=Count("pk", filter=HAS_BASELINE & Q(value__gt=F("baseline_value"))),
            down=Count("pk", filter=HAS_BASELINE & Q(value__lt=F("baseline_value"))),
            approximate=Count("pk", filter=APPROXIMATE),
        )
    )

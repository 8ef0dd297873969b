"""How many published cases each region subtree and each assistance type holds: one query per list."""

from django.db.models import Count, Q, Value
from django.db.models.functions import StrIndex, Substr

from casebook.regions.models import Region

from .models import AssistanceType, Case


def with_case_counts(regions, cases=None):
    """``regions`` (as a rule siblings: the children of one region, or the provinces) as a list, each with
    ``case_count``: the cases of ``cases`` (default: the published ones) in the region or anywhere below it,
    a case in two counties of one province counted once.

    One GROUP BY over the links between cases and the places below their parent, keyed by the part of
    each place's path that names the child it lies in ("/610000/" for "/610000/610200/610222/"): one pass,
    however many siblings there are.
    """
    regions = list(regions)
    if not regions:
        return regions
    cases = Case.objects.published() if cases is None else cases
    by_parent = {}
    for region in regions:
        by_parent.setdefault(parent_path_of(region), []).append(region)
    for parent_path, siblings in by_parent.items():  # siblings all, as a rule: one query
        counts = subtree_counts(parent_path, cases)
        for region in siblings:
            region.case_count = counts.get(region.path, 0)
    return regions


def subtree_counts(parent_path, cases):
    """{path of a child of ``parent_path``: number of ``cases`` in that child's subtree}."""
    start = len(parent_path) + 1  # where the child's code starts in a path (SQL counts from 1)
    child = Substr("region__path", 1, start + StrIndex(Substr("region__path", start), Value("/")) - 1)
    return dict(
        Case.regions.through.objects.filter(case__in=cases, region__path__startswith=parent_path)
        .exclude(region__path=parent_path)
        .order_by()
        .values_list(child)
        .annotate(n=Count("case", distinct=True))
    )


def parent_path_of(region):
    """The path of the region above ``region``: "/" for a province, "/610000/610200/" for a county in Tongchuan."""
    return region.path[: region.path.rstrip("/").rfind("/") + 1]


def provinces_with_case_counts(cases=None):
    return with_case_counts(Region.objects.provinces(), cases)


def types_with_case_counts(cases=None):
    """Every assistance type with ``case_count``, in the types' own order."""
    cases = Case.objects.published() if cases is None else cases
    return AssistanceType.objects.annotate(case_count=Count("cases", filter=Q(cases__in=cases)))

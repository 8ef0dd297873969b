"""How many published cases each region subtree and each assistance type holds: one query per list."""

from django.db.models import Count, Q

from casebook.regions.models import Region

from .models import AssistanceType, Case


def with_case_counts(regions, cases=None):
    """``regions`` as a list, each with ``case_count``: the cases of ``cases`` (default: the published ones)
    in the region or anywhere below it, a case in two counties of one province counted once.

    One aggregate over the regions' subtrees, one conditional distinct count per region.
    """
    regions = list(regions)
    if not regions:
        return regions
    cases = Case.objects.published() if cases is None else cases
    links = Case.regions.through.objects.filter(case__in=cases)
    common = common_path_prefix([region.path for region in regions])
    if common:
        links = links.filter(region__path__startswith=common)
    counts = links.aggregate(
        **{
            f"r{index}": Count("case", distinct=True, filter=Q(region__path__startswith=region.path))
            for index, region in enumerate(regions)
        }
    )
    for index, region in enumerate(regions):
        region.case_count = counts[f"r{index}"] or 0
    return regions


def common_path_prefix(paths):
    """The deepest region path above every one of ``paths`` ("/610000/" for two prefectures of Shaanxi)."""
    first, *others = paths
    segments = first.strip("/").split("/")
    for path in others:
        while segments and not path.startswith("/" + "/".join(segments) + "/"):
            segments.pop()
    return "/" + "/".join(segments) + "/" if segments else ""


def provinces_with_case_counts(cases=None):
    return with_case_counts(Region.objects.provinces(), cases)


def types_with_case_counts(cases=None):
    """Every assistance type with ``case_count``, in the types' own order."""
    cases = Case.objects.published() if cases is None else cases
    return AssistanceType.objects.annotate(case_count=Count("cases", filter=Q(cases__in=cases)))

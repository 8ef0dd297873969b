from django.db.models import Q

from casebook.regions.models import Region

from .models import Case

RELATED_CASES = 4


def related_cases(case):
    """A few published cases in the same places (or below them), then of the same type; newest first.

    Two small queries, each one index range: not one query that ranks every case by likeness.
    """
    others = Case.objects.published().exclude(pk=case.pk).select_related("assistance_type")
    near = Q()
    for region in case.regions.all():
        near |= Q(path__startswith=region.path)
    found = []
    if near:
        # Places first (a small table), then their links by the region index: a prefix match on the
        # joined path would scan every link.
        in_places = Case.regions.through.objects.filter(region__in=Region.objects.filter(near)).values("case")
        found = list(others.filter(pk__in=in_places)[:RELATED_CASES])
    if len(found) < RELATED_CASES:
        same_type = others.of_type(case.assistance_type_id).exclude(pk__in=[other.pk for other in found])
        found += list(same_type[: RELATED_CASES - len(found)])
    return found

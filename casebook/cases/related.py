from django.db.models import Q, Value

from casebook.regions.models import Region

from .models import NARRATIVE_COLUMNS, Case

RELATED_CASES = 4


def related_cases(case):
    """A few published cases in the same places (or below them), then of the same type; newest first.

    One query of two small parts, each one index range: not one query that ranks every case by likeness.
    """
    others = Case.objects.published().exclude(pk=case.pk)
    near = Q()
    for region in case.regions.all():
        near |= Q(path__startswith=region.path)
    # Up to RELATED_CASES of each kind: the ones of the same type fill what the places leave.
    parts = [others.of_type(case.assistance_type_id).values("pk")[:RELATED_CASES]]
    if near:
        # Places first (a small table), then their links by the region index: a prefix match on the
        # joined path would scan every link.
        in_places = Case.regions.through.objects.filter(region__in=Region.objects.filter(near)).values("case")
        parts.insert(0, others.filter(pk__in=in_places).values("pk")[:RELATED_CASES])
    # One UNION ALL of the parts, nearby first, each newest first; a case in both keeps its nearby place.
    # The list shows titles, years and types: the narrative sections, the longest texts, are not read.
    rows = Case.objects.select_related("assistance_type").defer(*NARRATIVE_COLUMNS)
    ranked = [rows.filter(pk__in=part).annotate(rank=Value(rank)).order_by() for rank, part in enumerate(parts)]
    found = {}
    for other in ranked[0].union(*ranked[1:], all=True).order_by("rank", "-published_at", "-pk"):
        found.setdefault(other.pk, other)
    return list(found.values())[:RELATED_CASES]

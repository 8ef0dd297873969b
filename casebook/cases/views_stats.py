from django.shortcuts import render
from django.utils.translation import gettext as _

from .counts import provinces_with_case_counts, published_case_count, types_with_case_counts
from .stats import count_chart, metric_chart, metric_summaries


def outcomes(request):
    """Published cases by province and by type, and each metric's before → after across cases."""
    provinces = sorted(
        (province for province in provinces_with_case_counts() if province.case_count),
        key=lambda province: -province.case_count,
    )
    types = [assistance_type for assistance_type in types_with_case_counts() if assistance_type.case_count]
    summaries = metric_summaries()
    for summary in summaries:
        summary.chart = metric_chart(summary)
    return render(
        request,
        "cases/outcomes.html",
        {
            "case_count": published_case_count(),
            "provinces": provinces,
            "province_chart": count_chart(
                "chart-provinces", _("Cases by province"), [(p.name, p.case_count) for p in provinces]
            ),
            "types": types,
            "type_chart": count_chart(
                "chart-types", _("Cases by type of assistance"), [(t.name, t.case_count) for t in types]
            ),
            "summaries": summaries,
        },
    )

"""CSV of any filtered listing: the same ``CaseFilter`` as the page, so the file holds exactly the cases
the listing finds (published ones only), one row each, in the listing's order.

Streamed: rows are written as the database yields them, so 100,000 cases never sit in memory.
UTF-8 with a byte order mark, which Excel needs to read Chinese correctly.
"""

import csv

from django.db.models import Prefetch
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casebook.cases.filters import CaseFilter
from casebook.cases.models import Case, Participation

from .params import BadRequest, check_text, form_errors

CHUNK_SIZE = 2000

# A cell starting with one of these is a formula to Excel and LibreOffice ("=HYPERLINK(…)"): such text
# is written with a leading apostrophe, which spreadsheets show as plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(text):
    text = str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class Line:
    """A file-like object for ``csv.writer`` that hands back each line instead of storing it."""

    def write(self, line):
        return line


def cases_csv(request):
    filterset = CaseFilter(request.GET or None, queryset=Case.objects.published())
    try:
        check_text(request.GET)
        if filterset.is_bound and not filterset.is_valid():
            raise BadRequest(form_errors(filterset.form))
    except BadRequest as error:
        lines = [f"{name}: {message}" for name, messages in error.errors.items() for message in messages]
        return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8")
    cases = filterset.qs.select_related("assistance_type").prefetch_related(
        "regions", Prefetch("participations", queryset=Participation.objects.select_related("organization"))
    )
    language = translation.get_language()
    site = request.build_absolute_uri("/").rstrip("/")
    response = StreamingHttpResponse(rows(cases, language, site), content_type="text/csv; charset=utf-8")
    filename = f"casebook-cases-{language}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def rows(cases, language, site):
    # The response is written after the view returns: keep the request's language for every row.
    with translation.override(language):
        writer = csv.writer(Line())
        yield "\ufeff" + writer.writerow(
            [
                _("Slug"),
                _("Title"),
                _("Type of assistance"),
                _("Regions"),
                _("Organizations"),
                _("Period"),
                _("Published on"),
                _("Address"),
            ]
        )
        for case in cases.iterator(chunk_size=CHUNK_SIZE):
            organizations = dict.fromkeys(p.organization.name for p in case.participations.all())
            yield writer.writerow(
                [
                    case.slug,
                    cell(case.title),
                    cell(case.assistance_type.name),
                    cell("; ".join(region.name for region in case.regions.all())),
                    cell("; ".join(organizations)),
                    case.period,
                    timezone.localdate(case.published_at).isoformat(),
                    site + case.get_absolute_url(),
                ]
            )

"""CSV of any filtered listing: the same ``CaseFilter`` as the page, so the file holds exactly the cases
the listing finds (published ones only), one row each, in the listing's order.

Streamed: rows are written as the database yields them. A file holds at most CASEBOOK_CSV_MAX_ROWS cases, so
that a sync gunicorn worker finishes it within its timeout; a longer list is a 400 that says so.
UTF-8 with a byte order mark, which Excel needs to read Chinese correctly.
"""

import csv
import itertools
from collections import defaultdict
from types import SimpleNamespace

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casebook.cases.filters import CaseFilter
from casebook.cases.models import TRANSLATED_COLUMNS, Case, Participation, current_column

from .listed import ListedIds
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
    filterset = CaseFilter(request.GET, queryset=Case.objects.published())
    try:
        check_text(request.GET)
        if not filterset.is_valid():
            raise BadRequest(form_errors(filterset.form))
    except BadRequest as error:
        lines = [f"{name}: {message}" for name, messages in error.errors.items() for message in messages]
        return plain_text(400, "\n".join(lines))
    listed = ListedIds(filterset)
    if listed.count() > settings.CASEBOOK_CSV_MAX_ROWS:
        return plain_text(400, too_many(listed.count()))
    # Ids in the listing's order; rows are then read in chunks as plain values, not model instances:
    # an instance per case, region and organization costs about ten times as much at 100,000 rows.
    ids = listed.every(CHUNK_SIZE)
    language = translation.get_language()
    site = request.build_absolute_uri("/").rstrip("/")
    response = StreamingHttpResponse(rows(ids, language, site), content_type="text/csv; charset=utf-8")
    filename = f"casebook-cases-{language}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def plain_text(status, text):
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


def too_many(total):
    return _(
        "These filters list %(count)s cases; a file holds at most %(limit)s. Choose more filters to list fewer."
    ) % {"count": intcomma(total), "limit": intcomma(settings.CASEBOOK_CSV_MAX_ROWS)}


def displayed(field_name):
    """A translated field as the reader sees it: their language's column, else another one (as the pages do)."""
    current = current_column()
    columns = [current] + [column for column in TRANSLATED_COLUMNS if column != current]
    return Coalesce(*(NullIf(F(f"{field_name}_{column}"), Value("")) for column in columns), output_field=CharField())


def chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def names_by_case(links, name_field):
    """``{case_id: "name; name"}`` for link rows (regions of cases, participations), names as the reader reads them."""
    names = defaultdict(dict)
    for case_id, name in links.values_list("case_id", displayed(name_field)):
        names[case_id][name] = None  # an ordered set: one organization in two roles is named once
    return {case_id: "; ".join(found) for case_id, found in names.items()}


def rows(ids, language, site):
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
        # Slugs are [-a-zA-Z0-9_]: the address of each case is this one with its slug in place of the marker.
        address = site + reverse("cases:detail", kwargs={"slug": "SLUG"})
        for chunk in chunks(ids, CHUNK_SIZE):
            cases = Case.objects.filter(pk__in=chunk).values_list(
                "pk",
                "slug",
                displayed("title"),
                displayed("assistance_type__name"),
                "start_year",
                "end_year",
                "published_at",
            )
            by_id = {case[0]: case for case in cases}
            regions = names_by_case(
                Case.regions.through.objects.filter(case_id__in=chunk).order_by("region__path"), "region__name"
            )
            organizations = names_by_case(
                Participation.objects.filter(case_id__in=chunk).order_by("role", "organization__slug"),
                "organization__name",
            )
            for pk in chunk:
                _pk, slug, title, type_name, start_year, end_year, published_at = by_id[pk]
                yield writer.writerow(
                    [
                        slug,
                        cell(title),
                        cell(type_name),
                        cell(regions.get(pk, "")),
                        cell(organizations.get(pk, "")),
                        Case.period.fget(SimpleNamespace(start_year=start_year, end_year=end_year)),
                        timezone.localdate(published_at).isoformat(),
                        address.replace("SLUG", slug),
                    ]
                )

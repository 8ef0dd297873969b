import hashlib
from functools import cached_property

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.template.defaultfilters import truncatewords
from django.template.loader import render_to_string
from django.utils import translation
from django.views import View

from . import facets
from .counts import (
    collections_with_case_counts,
    provinces_with_case_counts,
    published_case_count,
    types_with_case_counts,
)
from .filters import CaseFilter
from .models import Case, CaseRedirect
from .related import related_cases
from .search import highlighter, snippet
from .stats import outcome_chart
from .structured_data import case_json_ld, first_image_url, open_graph
from .templatetags.casebook import case_card, translated_text
from .versions import cached, cached_many

# Querysets are built in methods, never as class attributes: published() compares with the time
# of the request, and a class attribute would freeze it at import, hiding cases scheduled later.


def home(request):
    published = Case.objects.published()
    return render(
        request,
        "home.html",
        {
            "latest": published.for_listing()[:6],
            "case_count": published_case_count(),
            "collections": collections_with_case_counts(),
            "assistance_types": types_with_case_counts(),
            "provinces": [province for province in provinces_with_case_counts() if province.case_count],
        },
    )


class CaseListView(View):
    """The listing with its facets: ids first (one index-covered query for the page), then the page's cases.

    The total comes with the facet counts (one cached query), so no separate COUNT runs. Each page is kept whole
    under the version of the published data, as a case page is (versions.py): the pages asked most, the first
    ones and popular searches, are answered from the cache alone. It shows nobody's own data: no user, no form
    token, no message.
    """

    paginate_by = 20
    template_name = "cases/case_list.html"

    def get(self, request, *args, **kwargs):
        address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
        key = f"listing-page:{translation.get_language()}:{hashlib.sha256(address.encode()).hexdigest()}"
        status, content = cached(key, lambda: self.render_page(request), keep=lambda page: page[0] == 200)
        return HttpResponse(content, status=status)

    def render_page(self, request):
        """(status, content) of the page for ``request``."""
        response = self.respond(request)
        return response.status_code, response.content

    def respond(self, request):
        filterset = CaseFilter(request.GET)
        if not filterset.is_valid():
            # A value that cannot be read lists no case (never all of them); the page says which
            # filter is wrong, and the status says it to programs.
            return render(request, self.template_name, {"filter": filterset, "object_list": []}, status=400)
        panel = facets.panel(filterset)
        paginator = Paginator(filterset.qs.values_list("pk", flat=True), self.paginate_by)
        paginator.count = panel.total  # already counted with the facets
        number = request.GET.get("page") or 1
        if number == "last":  # as Django's ListView allows: the end of a list without counting it first
            number = paginator.num_pages
        try:
            page = paginator.page(number)
        except InvalidPage as error:
            raise Http404(error) from error  # the 404 page links to the first page
        context = {
            "filter": filterset,
            "panel": panel,
            # The page's ids; its cases are loaded only for the cards not kept (PageCases).
            "object_list": PageCases(
                self.page_ids(filterset, page),
                lambda ids: self.page_cases(filterset, ids),
                filterset.form.cleaned_data["q"] if filterset.searching else "",
            ),
            "page_obj": page,
            "paginator": paginator,
            "is_paginated": page.has_other_pages(),
            "csv_max_rows": settings.CASEBOOK_CSV_MAX_ROWS,
        }
        return render(request, self.template_name, context)

    def page_ids(self, filterset, page):
        ids = facets.page_ids(filterset, (page.number - 1) * self.paginate_by, self.paginate_by, page.paginator.count)
        return list(page.object_list) if ids is None else ids

    def page_cases(self, filterset, ids):
        by_id = Case.objects.filter(pk__in=ids).for_listing(snippets=filterset.searching).in_bulk()
        cases = [by_id[pk] for pk in ids if pk in by_id]
        pattern = highlighter(filterset.form.cleaned_data["q"]) if filterset.searching else None
        for case in cases:
            case.snippet = snippet(case, pattern)
        return cases


class PageCases:
    """The cards of a page's cases (``ids``), in its order. Each card is kept alone under the version of the
    published data (and the search, for its snippet), so the card of a case is rendered once whatever filters
    list it: a province's newest cases head the pages of many of its filter states. Only the cases whose cards
    are not kept are loaded (``load``)."""

    def __init__(self, ids, load, search=""):
        self.ids = ids
        self.load = load
        self.search = search

    @cached_property
    def cards(self):
        """The HTML of each case's card, in the page's order (a case gone since its id was read is left out)."""
        search = hashlib.sha256(self.search.encode()).hexdigest()[:16] if self.search else ""
        names = {pk: f"card:{translation.get_language()}:{search}:{pk}" for pk in self.ids}
        cards = cached_many(names, lambda missing: {case.pk: case_card(case) for case in self.load(missing)})
        return [cards[pk] for pk in self.ids if pk in cards]

    def __iter__(self):
        return iter(self.cards)

    def __len__(self):
        return len(self.cards)

    def __bool__(self):
        return bool(self.cards)


class CaseDetailView(View):
    """A case's page. A public case's page is kept under the version of the published data (versions.py): its
    own parts (title, head, content), and the whole page as linked, without a query string. Any change to what
    the public sees makes a new version, and so does a scheduled case coming due, so a kept page always belongs
    to a case that is public now, and a visitor who finds one reads no database at all. Staff previews of
    unpublished cases are rendered each time and never kept."""

    template_name = "cases/case_detail.html"

    def get(self, request, slug):
        address = f"{request.scheme}://{request.get_host()}"
        name = f"case-page:{translation.get_language()}:{address}:{slug}"
        try:
            if request.GET:
                # Its links to the other languages keep the query string: the page is made around the kept parts.
                return self.respond(request, self.parts(name, slug))
            page = cached(f"{name}:whole", lambda: self.whole(request, name, slug), keep=lambda page: page["public"])
        except Case.DoesNotExist:
            earlier = CaseRedirect.objects.filter(old_slug=slug, case__in=self.visible_cases())
            redirect = earlier.select_related("case").first()
            if redirect is None:
                raise Http404("No case at this address.") from None
            return HttpResponsePermanentRedirect(redirect.case.get_absolute_url())
        return self.marked(HttpResponse(page["content"]), page)

    def parts(self, name, slug):
        return cached(name, lambda: self.render_parts(slug), keep=lambda page: page["public"])

    def whole(self, request, name, slug):
        """The page as linked, kept whole as the listing's pages are: a visitor's request then renders no
        template, not even the base one around the parts, which was half of the time of a kept page."""
        page = self.parts(name, slug)
        return {"public": page["public"], "content": self.respond(request, page).content}

    def respond(self, request, page):
        return self.marked(render(request, self.template_name, {"page": page}), page)

    def marked(self, response, page):
        if not page["public"]:
            response["X-Robots-Tag"] = "noindex"
        return response

    def visible_cases(self):
        # Staff who may view cases preview unpublished ones at their public address; for everyone
        # else such a case does not exist.
        user = self.request.user
        if user.is_staff and user.has_perm("cases.view_case"):
            return Case.objects.all()
        return Case.objects.published()

    def render_parts(self, slug):
        """The page's own parts, as text: what base.html places in its title, description, head and content."""
        case = self.visible_cases().for_detail().get(slug=slug)
        context = {
            "case": case,
            "region_trails": [region.trail for region in case.regions.all()],
            "related_cases": related_cases(case),
            "outcome_chart": outcome_chart(case.outcomes.all()),
        }
        if case.is_public:  # a staff preview tells no machine about the case
            image_url = first_image_url(case, self.request)
            context["open_graph"] = open_graph(case, self.request, image_url)
            context["json_ld"] = case_json_ld(case, self.request, image_url)
        return {
            "public": case.is_public,
            "title": translated_text(case, "title"),
            "description": truncatewords(translated_text(case, "summary"), 40),
            "head": render_to_string("cases/case_head.html", context, self.request),
            "content": render_to_string("cases/case_content.html", context, self.request),
        }

from django.core.paginator import InvalidPage, Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.views import View
from django.views.generic import DetailView

from casebook.regions.models import Region

from . import facets
from .filters import CaseFilter
from .models import AssistanceType, Case, CaseRedirect, Collection
from .search import highlighter, snippet

# Querysets are built in methods, never as class attributes: published() compares with the time
# of the request, and a class attribute would freeze it at import, hiding cases scheduled later.


def home(request):
    published = Case.objects.published()
    collections = Collection.objects.select_related("publisher").annotate(
        published_cases=Count("entries", filter=Q(entries__case__in=published))
    )
    return render(
        request,
        "home.html",
        {
            "latest": published.for_listing()[:6],
            "case_count": published.count(),
            "collections": collections,
            "assistance_types": AssistanceType.objects.all(),
        },
    )


class CaseListView(View):
    """The listing with its facets: ids first (one index-covered query for the page), then the page's cases.

    The total comes with the facet counts (one cached query), so no separate COUNT runs.
    """

    paginate_by = 20
    template_name = "cases/case_list.html"

    def get(self, request, *args, **kwargs):
        filterset = CaseFilter(request.GET)
        if not filterset.is_valid():
            # A value that cannot be read lists no case (never all of them); the page says which
            # filter is wrong, and the status says it to programs.
            return render(request, self.template_name, {"filter": filterset, "object_list": []}, status=400)
        panel = facets.panel(filterset)
        paginator = Paginator(filterset.qs.values_list("pk", flat=True), self.paginate_by)
        paginator.count = panel.total  # already counted with the facets
        try:
            page = paginator.page(request.GET.get("page") or 1)
        except InvalidPage as error:
            raise Http404(error) from error  # the 404 page links to the first page
        ids = facets.page_ids(filterset, (page.number - 1) * self.paginate_by, self.paginate_by)
        if ids is None:
            ids = list(page.object_list)
        by_id = Case.objects.filter(pk__in=ids).for_listing().in_bulk()
        cases = [by_id[pk] for pk in ids if pk in by_id]
        if filterset.searching:
            pattern = highlighter(filterset.form.cleaned_data["q"])
            for case in cases:
                case.snippet = snippet(case, pattern)
        context = {
            "filter": filterset,
            "panel": panel,
            "object_list": cases,
            "page_obj": page,
            "paginator": paginator,
            "is_paginated": page.has_other_pages(),
        }
        return render(request, self.template_name, context)


class CaseDetailView(DetailView):
    def get_queryset(self):
        return self.visible_cases().for_detail()

    def visible_cases(self):
        # Staff who may view cases preview unpublished ones at their public address; for everyone
        # else such a case does not exist.
        user = self.request.user
        if user.is_staff and user.has_perm("cases.view_case"):
            return Case.objects.all()
        return Case.objects.published()

    def get(self, request, *args, **kwargs):
        try:
            response = super().get(request, *args, **kwargs)
        except Http404:
            earlier = CaseRedirect.objects.filter(old_slug=kwargs["slug"], case__in=self.visible_cases())
            redirect = earlier.select_related("case").first()
            if redirect is None:
                raise
            return HttpResponsePermanentRedirect(redirect.case.get_absolute_url())
        if not self.object.is_public:
            response["X-Robots-Tag"] = "noindex"
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(region_trails=region_trails(self.object.regions.all()), **kwargs)


def region_trails(regions):
    """Each region with the regions above it, top first (Shaanxi › Tongchuan › Yijun County): one query for all."""
    codes = {code for region in regions for code in region.path_codes}
    by_code = Region.objects.in_bulk(codes, field_name="code")
    return [[by_code[code] for code in region.path_codes if code in by_code] for region in regions]

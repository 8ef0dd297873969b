"""The read-only JSON API: thin views over the same querysets and the same ``CaseFilter`` as the pages.

Every view answers JSON, also when something is wrong: 400 ``{"errors": {"param": ["message"]}}``
for a parameter it cannot use, 404 for an address with nothing published behind it.
"""

import hashlib
from functools import wraps

from django import forms
from django.db.models import Count, F, Prefetch
from django.db.models.functions import Substr
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import conditional_page

from casebook.cases.filters import CaseFilter
from casebook.cases.models import Case, CaseRedirect, Collection, CollectionEntry, Participation
from casebook.cases.versions import cached
from casebook.organizations.models import Organization
from casebook.regions.models import Region

from . import representations as rep
from .listed import ListedIds
from .openapi import openapi_document
from .params import PAGE_PARAMETERS, BadRequest, check_known, check_text, filter_parameter_names, form_errors, page_of
from .params import page_links as make_page_links

# Published cases change when a scheduled case comes out; five minutes of staleness is harmless.
MAX_AGE = 300


def json(data, status=200):
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def errors(status, messages):
    return json({"errors": messages}, status=status)


def api_view(view=None, *, published_only=False):
    """GET and HEAD only; errors as JSON; cacheable, with an ETag (304 on If-None-Match). A view whose answer
    is made of published cases alone (``published_only``) keeps its answers under the version of the
    published data (kept): places and organizations come and go without a new version."""
    if view is None:
        return lambda view: api_view(view, published_only=published_only)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = errors(405, {"method": [_("This address only answers GET and HEAD.")]})
            response["Allow"] = "GET, HEAD"
            return response
        try:
            check_text(request.GET)
            if published_only:
                response = kept(request, lambda: view(request, *args, **kwargs))
            else:
                response = view(request, *args, **kwargs)
        except BadRequest as error:
            return errors(400, error.errors)
        except Http404:
            return errors(404, {"path": [_("Nothing is published at this address.")]})
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=MAX_AGE)
        return response

    return conditional_page(wrapper)


def kept(request, respond):
    """``respond()``, kept when it is a 200 (the same for every reader of the address) under the version of
    the published data: the next reader of the address gets it without a query (a page of cases costs 40 ms
    to make at 100,000 cases). Anything else is answered afresh each time."""
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    key = f"api:{get_language()}:{hashlib.sha256(address.encode()).hexdigest()}"
    answer = cached(key, lambda: as_kept(respond()), keep=lambda answer: "body" in answer)
    if "body" in answer:
        return HttpResponse(answer["body"], content_type=answer["type"])
    return answer["response"]


def as_kept(response):
    if response.status_code == 200 and not response.streaming:
        return {"body": response.content, "type": response["Content-Type"]}
    return {"response": response}


def listing(request, queryset, represent, known=frozenset(), count=None):
    """A page of ``queryset`` as ``{"count", "page", "page_size", "pages", "next", "previous", "results"}``."""
    check_known(request.GET, set(known) | PAGE_PARAMETERS)
    items, count, number, size, last = page_of(request, queryset, count)
    return json(
        {
            "count": count,
            "page": number,
            "page_size": size,
            "pages": last,
            **make_page_links(request, number, last),
            "results": represent(list(items)),
        }
    )


def in_order(queryset, ids):
    by_id = queryset.in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


# Cases


def cases_for_list():
    return Case.objects.select_related("assistance_type").prefetch_related(
        "themes",
        "regions",
        Prefetch("participations", queryset=Participation.objects.select_related("organization")),
    )


@api_view(published_only=True)
def case_list(request):
    filterset = CaseFilter(request.GET, queryset=Case.objects.published())
    known = filter_parameter_names(filterset)
    check_known(request.GET, known | PAGE_PARAMETERS)
    if not filterset.is_valid():
        raise BadRequest(form_errors(filterset.form))
    # Ids first, in the filter set's order (sort, or relevance when searching); then only those rows. The
    # count comes from the kept counts where they answer (a place and a type: 16 ms of COUNT at 100,000 cases);
    # a search's from its facet panel, which also ranks its candidates as the listing page does.
    ids = ListedIds(filterset)
    return listing(
        request,
        ids,
        lambda page_ids: [rep.case_brief(request, case) for case in in_order(cases_for_list(), page_ids)],
        known,
        count=ids.count(),
    )


@api_view(published_only=True)
def case_detail(request, slug):
    check_known(request.GET, set())
    try:
        case = Case.objects.published().for_detail().get(slug=slug)
    except Case.DoesNotExist:
        earlier = CaseRedirect.objects.filter(old_slug=slug, case__in=Case.objects.published()).first()
        if earlier is None:
            raise Http404 from None
        return HttpResponsePermanentRedirect(rep.api_url(request, "case", slug=earlier.case.slug))
    return json(rep.case_detail(request, case))


# Regions


class RegionListForm(forms.Form):
    level = forms.ChoiceField(
        required=False,
        choices=Region.Level.choices,
        error_messages={"invalid_choice": gettext_lazy("There is no such level.")},
    )
    parent = forms.SlugField(
        required=False,
        max_length=120,
        error_messages={"invalid": gettext_lazy("There is no such region.")},
    )

    def clean_parent(self):
        key = self.cleaned_data["parent"]
        if not key:
            return None
        parent = find_region(key)
        if parent is None:
            raise forms.ValidationError(gettext_lazy("There is no such region."))
        return parent


def find_region(key):
    """A region by its administrative code or by its slug."""
    return Region.objects.filter(code=key).first() or Region.objects.filter(slug=key).first()


@api_view
def region_list(request):
    form = RegionListForm(request.GET)
    if not form.is_valid():
        raise BadRequest(form_errors(form))
    regions = Region.objects.order_by("path")
    if form.cleaned_data["level"]:
        regions = regions.filter(level=form.cleaned_data["level"])
    if form.cleaned_data["parent"]:
        regions = regions.filter(parent=form.cleaned_data["parent"])
    return listing(
        request, regions, lambda page: [rep.region_item(request, region) for region in page], set(form.fields)
    )


def subtree_case_counts(regions, cases, within):
    """``{region.path: cases in it or below}`` for sibling regions under ``within``: one grouped query
    per length of path (one, in practice), counting each case once however many places it names."""
    links = Case.regions.through.objects.filter(case__in=cases, region__path__startswith=within.path).order_by()
    counts = {}
    for length in {len(region.path) for region in regions}:
        paths = [region.path for region in regions if len(region.path) == length]
        rows = (
            links.annotate(prefix=Substr("region__path", 1, length))
            .filter(prefix__in=paths)
            .values("prefix")
            .annotate(count=Count("case", distinct=True))
        )
        counts.update((row["prefix"], row["count"]) for row in rows)
    return counts


@api_view
def region_detail(request, key):
    check_known(request.GET, set())
    region = find_region(key)
    if region is None:
        raise Http404
    published = Case.objects.published()
    children = list(region.children.order_by("path"))
    counts = subtree_case_counts(children, published, within=region)
    return json(
        {
            **rep.region_item(request, region),
            "ancestors": [rep.region_brief(ancestor) for ancestor in Region.objects.ancestors_of(region)],
            "case_count": published.in_region(region).count(),
            "children": [
                {**rep.region_item(request, child), "case_count": counts.get(child.path, 0)} for child in children
            ],
        }
    )


# Organizations


class OrganizationListForm(forms.Form):
    kind = forms.ChoiceField(
        required=False,
        choices=Organization.Kind.choices,
        error_messages={"invalid_choice": gettext_lazy("There is no such kind of organization.")},
    )


def published_case_counts(links, key):
    """``{key: published cases}`` from a queryset of link rows (participations, collection entries)."""
    rows = (
        links.filter(case__in=Case.objects.published()).order_by().values(key).annotate(n=Count("case", distinct=True))
    )
    return {row[key]: row["n"] for row in rows}


def organizations_with_counts(request, organizations):
    counts = published_case_counts(Participation.objects.filter(organization__in=organizations), "organization")
    return [rep.organization_item(request, org, counts.get(org.pk, 0)) for org in organizations]


@api_view
def organization_list(request):
    form = OrganizationListForm(request.GET)
    if not form.is_valid():
        raise BadRequest(form_errors(form))
    organizations = Organization.objects.select_related("parent").order_by("slug")
    if form.cleaned_data["kind"]:
        organizations = organizations.filter(kind=form.cleaned_data["kind"])
    return listing(request, organizations, lambda page: organizations_with_counts(request, page), set(form.fields))


@api_view
def organization_detail(request, slug):
    organization = get_object_or_404(Organization.objects.select_related("parent"), slug=slug)
    check_known(request.GET, set())
    by_role = published_case_counts(Participation.objects.filter(organization=organization), "role")
    item = organizations_with_counts(request, [organization])[0]
    return json({**item, "case_count_by_role": {role: by_role.get(role, 0) for role in Participation.Role.values}})


# Collections


def collections():
    return Collection.objects.select_related("publisher", "source__publisher").order_by(
        "-published_on", F("batch_number").asc(nulls_last=True), "pk"
    )


def collections_with_counts(request, page):
    counts = published_case_counts(CollectionEntry.objects.filter(collection__in=page), "collection")
    return [rep.collection_item(request, collection, counts.get(collection.pk, 0)) for collection in page]


@api_view
def collection_list(request):
    return listing(request, collections(), lambda page: collections_with_counts(request, page))


@api_view
def collection_detail(request, slug):
    collection = get_object_or_404(collections(), slug=slug)
    check_known(request.GET, set())
    entries = (
        collection.entries.filter(case__in=Case.objects.published())
        .select_related("case")
        .order_by(F("number").asc(nulls_last=True), "case__published_at", "case__pk")
    )
    item = collections_with_counts(request, [collection])[0]
    return json(
        {
            **item,
            "description": rep.texts(collection, "description"),
            "cases": [
                {
                    "number": entry.number,
                    "slug": entry.case.slug,
                    "title": rep.texts(entry.case, "title"),
                    "url": rep.api_url(request, "case", slug=entry.case.slug),
                    "html_url": rep.in_every_language(request, entry.case.get_absolute_url),
                }
                for entry in entries
            ],
        }
    )


# The description, and addresses that lead nowhere


@api_view
def openapi(request):
    check_known(request.GET, set())
    return json(openapi_document())


def not_found(request, rest=""):
    """A JSON 404 under /api/; an address missing only its final slash is redirected, as elsewhere."""
    if not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    return errors(404, {"path": [_("Nothing is published at this address.")]})

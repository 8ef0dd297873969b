"""A page for every region, organization, commissioner and collection, listing its published cases."""

from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Value, When
from django.shortcuts import get_object_or_404, render
from django.views.generic import ListView

from casebook.organizations.models import Commissioner, Organization, Posting
from casebook.regions.models import Region

from .counts import (
    collections_with_case_counts,
    organization_case_counts,
    provinces_with_case_counts,
    with_case_counts,
)
from .models import Case, Collection, CollectionEntry, Participation

# As on the listing, querysets are built per request: published() compares with the time of the request.

ROLE_ORDER = models.Case(
    *(When(role=role, then=Value(position)) for position, role in enumerate(Participation.Role.values)),
    default=Value(len(Participation.Role.values)),
)


def of_published_cases(links):
    """``links`` (participations, collection entries) whose case is published.

    A correlated EXISTS rather than ``case__in=published``: the links of one organization or collection
    are few, while the IN list would gather every published case first.
    """
    return links.filter(Exists(Case.objects.published().filter(pk=OuterRef("case"))))


class EntityCasesView(ListView):
    """One region, organization… (``self.entity``) and its published cases, 20 a page.

    A slug that names nothing, and a page number past the end, are 404s.
    """

    paginate_by = 20
    context_entity_name = None

    def entity_queryset(self):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        self.entity = get_object_or_404(self.entity_queryset(), slug=kwargs["slug"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**{self.context_entity_name: self.entity}, **kwargs)


class RegionDetailView(EntityCasesView):
    template_name = "regions/region_detail.html"
    context_entity_name = "region"

    def entity_queryset(self):
        return Region.objects.all()

    def get_queryset(self):
        return Case.objects.published().in_region(self.entity).for_listing()

    def get_paginator(self, queryset, per_page, **kwargs):
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        # The region's count among its siblings, cached, instead of a COUNT that checks every published case.
        paginator.count = with_case_counts([self.entity])[0].case_count
        return paginator

    def get_context_data(self, **kwargs):
        region = self.entity
        return super().get_context_data(
            ancestors=Region.objects.ancestors_of(region),
            children=with_case_counts(region.children.order_by("path")),
            **kwargs,
        )


class OrganizationDetailView(EntityCasesView):
    """An organization's cases, grouped by the part it played (assisting, partner, assisted)."""

    template_name = "organizations/organization_detail.html"
    context_entity_name = "organization"

    def entity_queryset(self):
        return Organization.objects.select_related("parent")

    def participations(self):
        return of_published_cases(Participation.objects.filter(organization=self.entity))

    def get_queryset(self):
        return self.participations().for_listing().order_by(ROLE_ORDER, "-case__published_at", "-case__pk")

    def get_context_data(self, **kwargs):
        organization = self.entity
        roles = dict(self.participations().order_by().values_list("role").annotate(n=Count("case", distinct=True)))
        return super().get_context_data(
            role_counts=[(role, label, roles[role]) for role, label in Participation.Role.choices if roles.get(role)],
            case_count=self.participations().values("case").distinct().count(),
            units=organization.units.all(),
            commissioners=organization.commissioners.all(),
            collections=organization.collections_published.all(),
            **kwargs,
        )


class CommissionerDetailView(EntityCasesView):
    template_name = "organizations/commissioner_detail.html"
    context_entity_name = "commissioner"

    def entity_queryset(self):
        return Commissioner.objects.select_related("organization")

    def get_queryset(self):
        return Case.objects.published().with_commissioner(self.entity).for_listing()

    def get_context_data(self, **kwargs):
        postings = Posting.objects.filter(commissioner=self.entity).select_related("region")
        return super().get_context_data(postings=postings, **kwargs)


class CollectionDetailView(EntityCasesView):
    """A collection's published cases in the publisher's numbering; unnumbered ones last."""

    template_name = "cases/collection_detail.html"
    context_entity_name = "collection"
    paginate_by = 50

    def entity_queryset(self):
        return Collection.objects.select_related("publisher", "source__publisher").prefetch_related("assistance_types")

    def get_queryset(self):
        return (
            of_published_cases(CollectionEntry.objects.filter(collection=self.entity))
            .for_listing()
            .order_by(F("number").asc(nulls_last=True), "case__title", "case__pk")
        )


def region_index(request):
    return render(request, "regions/region_list.html", {"provinces": provinces_with_case_counts()})


class OrganizationListView(ListView):
    """Organizations that took part in at least one published case, with how many."""

    template_name = "organizations/organization_list.html"
    context_object_name = "organizations"
    paginate_by = 100

    def get_queryset(self):
        in_public_case = of_published_cases(Participation.objects.filter(organization=OuterRef("pk")))
        return Organization.objects.filter(Exists(in_public_case)).order_by("name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = organization_case_counts()
        for organization in context["organizations"]:
            organization.case_count = counts.get(organization.pk, 0)
        return context


def collection_index(request):
    return render(request, "cases/collection_list.html", {"collections": collections_with_case_counts()})

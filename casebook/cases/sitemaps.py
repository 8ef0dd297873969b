from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef
from django.urls import reverse

from casebook.organizations.models import Commissioner, Organization
from casebook.regions.models import Region

from .models import Case, Collection, Participation


class BilingualSitemap(Sitemap):
    """Each address in every language of settings.LANGUAGES, with hreflang alternates and an x-default
    (the address without a prefix, which sends readers to their browser's language)."""

    i18n = True
    alternates = True
    x_default = True


class PageSitemap(BilingualSitemap):
    def items(self):
        return [
            "cases:home",
            "cases:list",
            "cases:region_index",
            "cases:organization_index",
            "cases:collection_index",
            "cases:outcomes",
        ]

    def location(self, name):
        return reverse(name)


class CaseSitemap(BilingualSitemap):
    def items(self):
        return Case.objects.published()

    def lastmod(self, case):
        return case.updated_at


# The pages of regions, organizations and commissioners with at least one published case: an empty page
# is not worth a search engine's visit. Collections are listed even before their cases are.


class RegionSitemap(BilingualSitemap):
    def items(self):
        # The places published cases name, and every place above them (a province holds its counties' cases).
        paths = Case.regions.through.objects.filter(case__in=Case.objects.published()).values_list(
            "region__path", flat=True
        )
        codes = {code for path in paths.distinct() for code in path.split("/") if code}
        return Region.objects.filter(code__in=codes).order_by("path")


class OrganizationSitemap(BilingualSitemap):
    def items(self):
        in_public_case = Participation.objects.filter(organization=OuterRef("pk"), case__in=Case.objects.published())
        return Organization.objects.filter(Exists(in_public_case)).order_by("slug")


class CommissionerSitemap(BilingualSitemap):
    def items(self):
        named = Case.commissioners.through.objects.filter(
            commissioner=OuterRef("pk"), case__in=Case.objects.published()
        )
        return Commissioner.objects.filter(Exists(named)).order_by("slug")


class CollectionSitemap(BilingualSitemap):
    def items(self):
        return Collection.objects.order_by("slug")


SITEMAPS = {
    "pages": PageSitemap,
    "cases": CaseSitemap,
    "regions": RegionSitemap,
    "organizations": OrganizationSitemap,
    "commissioners": CommissionerSitemap,
    "collections": CollectionSitemap,
}

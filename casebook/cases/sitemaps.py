"""The sitemap: an index at /sitemap.xml naming the pages of each section (/sitemap-cases.xml?p=2), every
address in both languages.

Django's Sitemap puts all of a section's items in memory to count and page them, for the index and again
for each page: at 100,000 cases, every case twice for every request. Here a section counts its items in
the database and reads one page of them at a time (``Pages``). And where Django reverses each address of a
page (an entry and its alternates: 40,000) under a translation.override(), which takes most of a page's
time, ``get_urls`` reverses one address a language and writes each entry's XML itself.
"""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from casebook.organizations.models import Commissioner, Organization
from casebook.regions.models import Region

from .counts import published_case_count
from .models import Case, CaseFacet, Collection, Participation
from .versions import cached

STAND_IN = "sitemap-stand-in-slug"
ALTERNATE = '<xhtml:link rel="alternate" hreflang="{}" href="{}"/>'


class Pages:
    """A sitemap's (item, language) pairs as Django's paginator reads them: counted, then sliced a page
    at a time, which reads that page's items only."""

    def __init__(self, sitemap):
        self.sitemap = sitemap
        self.languages = sitemap._languages()

    def count(self):
        return self.sitemap.count() * len(self.languages)

    def __getitem__(self, pairs):
        per_item = len(self.languages)
        first = pairs.start // per_item
        items = self.sitemap.page(first, -(-pairs.stop // per_item))
        every = [(item, language) for item in items for language in self.languages]
        start = pairs.start - first * per_item
        return every[start : start + pairs.stop - pairs.start]


class BilingualSitemap(Sitemap):
    """Each address in every language of settings.LANGUAGES, with hreflang alternates and an x-default
    (the address without a prefix, which sends readers to their browser's language)."""

    i18n = True
    alternates = True
    x_default = True
    # Addresses a page (a case in two languages is two): a fifth of the protocol's 50,000, a few megabytes.
    limit = 10_000
    url_name = None  # the page of one item, by its slug
    fields = ("slug",)  # what the sitemap writes of an item

    @property
    def paginator(self):
        return Paginator(Pages(self), self.limit)

    def count(self):
        items = self.items()
        if isinstance(items, QuerySet):  # the index counts every section, each page its own
            return cached(f"sitemap-count:{self.url_name}", items.count)
        return len(items)

    def page(self, start, stop):
        """The items from ``start`` to ``stop`` in the order of ``items()``: of a queryset, rows of ``fields``."""
        items = self.items()
        if isinstance(items, QuerySet):
            items = items.values_list(*self.fields, named=True)
        return items[start:stop]

    def location(self, item):
        return self.locations([item])[0]

    def locations(self, items):
        """The addresses of ``items`` in the active language: one reversed for a stand-in slug, the rest alike."""
        before, _stand_in, after = reverse(self.url_name, kwargs={"slug": STAND_IN}).rpartition(STAND_IN)
        return [f"{before}{item.slug}{after}" for item in items]

    def get_urls(self, page=1, site=None, protocol=None):
        """The ``<url>`` elements of page ``page``, as Django's sitemap.xml would write them."""
        origin = f"{self.get_protocol(protocol)}://{self.get_domain(site)}"
        entries = []  # [(item, its languages on this page)]: a page holds an item's pairs one after the other
        for item, language in self.paginator.page(page).object_list:
            if entries and entries[-1][0] is item:
                entries[-1][1].append(language)
            else:
                entries.append((item, [language]))
        items = [item for item, _languages in entries]
        addresses = {}
        for language in self._languages():
            with translation.override(language):
                addresses[language] = [escape(origin + location) for location in self.locations(items)]
        default = settings.LANGUAGE_CODE
        lastmods = [self.lastmod(item) for item in items] if hasattr(self, "lastmod") else [None] * len(items)
        urls = []
        for n, (_item, languages) in enumerate(entries):
            links = [(code, hrefs[n]) for code, hrefs in addresses.items()]
            links.append(("x-default", addresses[default][n].replace(f"/{default}/", "/", 1)))
            alternates = "".join(ALTERNATE.format(code, href) for code, href in links)
            lastmod = f"<lastmod>{timezone.localdate(lastmods[n]).isoformat()}</lastmod>" if lastmods[n] else ""
            for language in languages:
                # The addresses are escaped, the rest is ours.
                urls.append(mark_safe(f"<url><loc>{addresses[language][n]}</loc>{lastmod}{alternates}</url>"))  # noqa: S308
        if lastmods and None not in lastmods:
            self.latest_lastmod = max(lastmods)  # the view's Last-Modified
        return urls


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

    def locations(self, names):
        return [reverse(name) for name in names]


class CaseSitemap(BilingualSitemap):
    url_name = "cases:detail"
    fields = ("slug", "updated_at", "published_at")

    def items(self):
        # Oldest first: a new case joins the last page and the pages before it stay as they were.
        return Case.objects.published().order_by("published_at", "pk")

    def count(self):
        return published_case_count()

    def page(self, start, stop):
        # The page's ids along the index of published cases (a far page skips index entries, not case rows),
        # then the three columns the sitemap writes, of those cases only.
        ids = self.items().values("pk")[start:stop]
        return Case.objects.filter(pk__in=ids).order_by("published_at", "pk").values_list(*self.fields, named=True)

    def lastmod(self, case):
        # A case scheduled for publication changes nothing when it comes out: it was last modified for the
        # public when it appeared.
        return max(case.updated_at, case.published_at)

    def get_latest_lastmod(self):
        return cached(
            "sitemap-lastmod",
            lambda: self.items().aggregate(latest=Max(Greatest("updated_at", "published_at")))["latest"],
        )


def with_published_case(links):
    """``links`` (facet rows, participations) whose case is published, probed one link at a time: the
    search for a published case of one place or organization stops at its first."""
    return links.filter(Exists(Case.objects.published().filter(pk=OuterRef("case"))))


# The pages of regions, organizations and commissioners with at least one published case: an empty page
# is not worth a search engine's visit. Collections are listed even before their cases are.


class RegionSitemap(BilingualSitemap):
    url_name = "cases:region"

    def items(self):
        # The places published cases name, and every place above them (a province holds its counties' cases):
        # the facet index has a row for each.
        in_place = CaseFacet.objects.filter(facet=CaseFacet.Facet.REGION, value=OuterRef("pk"))
        return Region.objects.filter(Exists(with_published_case(in_place))).order_by("path")


class OrganizationSitemap(BilingualSitemap):
    url_name = "cases:organization"

    def items(self):
        taking_part = Participation.objects.filter(organization=OuterRef("pk"))
        return Organization.objects.filter(Exists(with_published_case(taking_part))).order_by("slug")


class CommissionerSitemap(BilingualSitemap):
    url_name = "cases:commissioner"

    def items(self):
        named = Case.commissioners.through.objects.filter(commissioner=OuterRef("pk"))
        return Commissioner.objects.filter(Exists(with_published_case(named))).order_by("slug")


class CollectionSitemap(BilingualSitemap):
    url_name = "cases:collection"

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

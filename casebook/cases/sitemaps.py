from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Case


class BilingualSitemap(Sitemap):
    """Each address in every language of settings.LANGUAGES, with hreflang alternates and an x-default
    (the address without a prefix, which sends readers to their browser's language)."""

    i18n = True
    alternates = True
    x_default = True


class PageSitemap(BilingualSitemap):
    def items(self):
        return ["cases:home", "cases:list"]

    def location(self, name):
        return reverse(name)


class CaseSitemap(BilingualSitemap):
    def items(self):
        return Case.objects.published()

    def lastmod(self, case):
        return case.updated_at

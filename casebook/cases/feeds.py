from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from casebook.regions.models import Region

from .models import AssistanceType, Case

FEED_LENGTH = 20


class NewCasesFeed(Feed):
    """The newest published cases, in the language of the address (/zh-hans/feeds/cases/, /en/feeds/cases/)."""

    feed_type = Atom1Feed

    def title(self, obj):
        return _("Casebook: new cases")

    def link(self, obj):
        return reverse("cases:list")

    def cases(self, obj):
        return Case.objects.published()

    def items(self, obj):
        return self.cases(obj).order_by("-published_at", "-pk")[:FEED_LENGTH]

    def item_title(self, case):
        return case.title

    def item_description(self, case):
        # Atom sends the summary as type="html": plain text must arrive escaped, so "<" stays a character.
        return escape(case.summary)

    def item_pubdate(self, case):
        return case.published_at

    def item_updateddate(self, case):
        return case.updated_at


class RegionCasesFeed(NewCasesFeed):
    """Cases in a region or anywhere below it: a province's feed includes its counties."""

    def get_object(self, request, slug):
        return get_object_or_404(Region, slug=slug)

    def title(self, region):
        return _("Casebook: new cases in %(region)s") % {"region": region.name}

    def link(self, region):
        return region.get_absolute_url()

    def cases(self, region):
        return Case.objects.published().in_region(region)


class TypeCasesFeed(NewCasesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(AssistanceType, slug=slug)

    def title(self, assistance_type):
        return _("Casebook: new cases of type %(type)s") % {"type": assistance_type.name}

    def link(self, assistance_type):
        return assistance_type.get_absolute_url()

    def cases(self, assistance_type):
        return Case.objects.published().of_type(assistance_type)

"""The filters of the public case listing: the same filter set serves HTML, JSON and CSV.

Each filter only wires a ``CaseQuerySet`` method; what a filter means lives on the QuerySet.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db.models.functions import Lower
from django_filters.fields import ModelChoiceField

from casebook.organizations.models import Commissioner, Organization
from casebook.regions.models import Region

from .models import AssistanceType, Case, Collection, Theme


def calls(method_name):
    """Wire a filter to ``queryset.<method_name>(value)``."""

    def apply(queryset, field_name, value):
        return getattr(queryset, method_name)(value)

    return apply


class SlugChoiceField(ModelChoiceField):
    # Anything that cannot be a slug (a NUL byte, spaces, a page of text) is refused before
    # it reaches the database: PostgreSQL answers a NUL byte in a query with an error.
    def to_python(self, value):
        if value not in self.empty_values and not validate_slug.regex.match(str(value)):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class RegionChoiceField(SlugChoiceField):
    def label_from_instance(self, region):
        # No-break spaces: browsers collapse ordinary leading spaces in an <option>.
        return "\u00a0" * 3 * (len(region.path_codes) - 1) + region.name


class SlugFilter(django_filters.ModelChoiceFilter):
    field_class = SlugChoiceField

    def __init__(self, *, what, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("empty_label", f"Any {what}")
        kwargs.setdefault("error_messages", {"invalid_choice": f"There is no such {what}. Choose one from the list."})
        super().__init__(**kwargs)


class RegionFilter(SlugFilter):
    field_class = RegionChoiceField


class YearFilter(django_filters.Filter):
    field_class = forms.IntegerField


class FilterForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class CaseFilter(django_filters.FilterSet):
    SORTS = {
        "newest": ("Newest first", ["-published_at", "-pk"]),
        "oldest": ("Oldest first", ["published_at", "pk"]),
        "title": ("Title A–Z", [Lower("title"), "pk"]),
        "period": ("Period, earliest first", ["start_year", "end_year", Lower("title")]),
    }

    q = django_filters.CharFilter(
        label="Search titles and summaries",
        max_length=200,
        method=calls("search"),
        widget=forms.SearchInput,
        error_messages={"max_length": "Use at most %(limit_value)d characters (this search has %(show_value)d)."},
    )
    region = RegionFilter(
        label="Place",
        what="place",
        queryset=Region.objects.order_by("path"),
        help_text="A province includes its cities and counties.",
        method=calls("in_region"),
    )
    type = SlugFilter(
        label="Type of assistance", what="type", queryset=AssistanceType.objects.all(), method=calls("of_type")
    )
    theme = SlugFilter(label="Theme", what="theme", queryset=Theme.objects.all(), method=calls("with_theme"))
    organization = SlugFilter(
        label="Organization", what="organization", queryset=Organization.objects.all(), method=calls("involving")
    )
    org_kind = django_filters.ChoiceFilter(
        label="Kind of organization",
        choices=Organization.Kind.choices,
        empty_label="Any kind",
        method=calls("involving_kind"),
        error_messages={"invalid_choice": "There is no such kind of organization. Choose one from the list."},
    )
    commissioner = SlugFilter(
        label="Commissioner",
        what="commissioner",
        queryset=Commissioner.objects.all(),
        method=calls("with_commissioner"),
    )
    collection = SlugFilter(
        label="Collection", what="collection", queryset=Collection.objects.all(), method=calls("in_collection")
    )
    year = YearFilter(
        label="Active in year",
        min_value=1900,
        max_value=2100,
        method=calls("active_in"),
        # Text, not type=number: a wrong value stays visible beside its error message, for correcting.
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "invalid": "Enter a year as four digits, such as 2021.",
            "min_value": "Enter a year from 1900 to 2100.",
            "max_value": "Enter a year from 1900 to 2100.",
        },
    )
    sort = django_filters.ChoiceFilter(
        label="Sort by",
        choices=[(key, label) for key, (label, _) in SORTS.items()],
        empty_label=None,  # no choice means the first one, "Newest first"
        method="sort_by",
        error_messages={"invalid_choice": "Choose an order from the list."},
    )

    class Meta:
        model = Case
        fields = []
        form = FilterForm

    def __init__(self, data=None, queryset=None, **kwargs):
        # Whoever reuses this filter set (API, CSV) starts from what the public may see.
        if queryset is None:
            queryset = Case.objects.published()
        super().__init__(data, queryset, **kwargs)

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*self.SORTS[value][1])

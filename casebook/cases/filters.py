"""The filters of the public case listing: the same filter set serves HTML, JSON and CSV.

Each filter only wires a ``CaseQuerySet`` method; what a filter means lives on the QuerySet.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceField

from casebook.organizations.models import Commissioner, Organization
from casebook.regions.models import Region

from .models import TRANSLATED_COLUMNS, AssistanceType, Case, Collection, Theme, current_column


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

    # Whole sentences, not "Any {what}": word order and measure words differ between languages.
    def __init__(self, *, empty_label, invalid, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("error_messages", {"invalid_choice": invalid})
        super().__init__(empty_label=empty_label, **kwargs)


class RegionFilter(SlugFilter):
    field_class = RegionChoiceField


class YearFilter(django_filters.Filter):
    field_class = forms.IntegerField


class FilterForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def displayed(field_name):
    """The text a reader sees for a translated ``Case`` field: their language's column, else another one."""
    current = current_column()
    columns = [current] + [column for column in TRANSLATED_COLUMNS if column != current]
    return Coalesce(*(NullIf(F(f"{field_name}_{column}"), Value("")) for column in columns))


def by_title():
    return Lower(displayed("title"))


class CaseFilter(django_filters.FilterSet):
    # Orderings are built per request (callables): the title a reader sees depends on their language.
    SORTS = {
        "newest": (_("Newest first"), lambda: ["-published_at", "-pk"]),
        "oldest": (_("Oldest first"), lambda: ["published_at", "pk"]),
        "title": (_("Title A–Z"), lambda: [by_title(), "pk"]),
        "period": (_("Period, earliest first"), lambda: ["start_year", "end_year", by_title()]),
    }

    q = django_filters.CharFilter(
        label=_("Search titles and summaries"),
        max_length=200,
        method=calls("search"),
        widget=forms.SearchInput,
        error_messages={"max_length": _("Use at most %(limit_value)d characters (this search has %(show_value)d).")},
    )
    region = RegionFilter(
        label=_("Place"),
        empty_label=_("Any place"),
        invalid=_("There is no such place. Choose one from the list."),
        queryset=Region.objects.order_by("path"),
        help_text=_("A province includes its cities and counties."),
        method=calls("in_region"),
    )
    type = SlugFilter(
        label=_("Type of assistance"),
        empty_label=_("Any type"),
        invalid=_("There is no such type. Choose one from the list."),
        queryset=AssistanceType.objects.all(),
        method=calls("of_type"),
    )
    theme = SlugFilter(
        label=_("Theme"),
        empty_label=_("Any theme"),
        invalid=_("There is no such theme. Choose one from the list."),
        queryset=Theme.objects.all(),
        method=calls("with_theme"),
    )
    organization = SlugFilter(
        label=_("Organization"),
        empty_label=_("Any organization"),
        invalid=_("There is no such organization. Choose one from the list."),
        queryset=Organization.objects.all(),
        method=calls("involving"),
    )
    org_kind = django_filters.ChoiceFilter(
        label=_("Kind of organization"),
        choices=Organization.Kind.choices,
        empty_label=_("Any kind"),
        method=calls("involving_kind"),
        error_messages={"invalid_choice": _("There is no such kind of organization. Choose one from the list.")},
    )
    commissioner = SlugFilter(
        label=_("Commissioner"),
        empty_label=_("Any commissioner"),
        invalid=_("There is no such commissioner. Choose one from the list."),
        queryset=Commissioner.objects.all(),
        method=calls("with_commissioner"),
    )
    collection = SlugFilter(
        label=_("Collection"),
        empty_label=_("Any collection"),
        invalid=_("There is no such collection. Choose one from the list."),
        queryset=Collection.objects.all(),
        method=calls("in_collection"),
    )
    year = YearFilter(
        label=_("Active in year"),
        min_value=1900,
        max_value=2100,
        method=calls("active_in"),
        # Text, not type=number: a wrong value stays visible beside its error message, for correcting.
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "invalid": _("Enter a year as four digits, such as 2021."),
            "min_value": _("Enter a year from 1900 to 2100."),
            "max_value": _("Enter a year from 1900 to 2100."),
        },
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[(key, label) for key, (label, _ordering) in SORTS.items()],
        empty_label=None,  # no choice means the first one, "Newest first"
        method="sort_by",
        error_messages={"invalid_choice": _("Choose an order from the list.")},
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
        return queryset.order_by(*self.SORTS[value][1]())

"""The filters of the public case listing: the same filter set serves HTML, JSON and CSV.

Each filter only wires a ``CaseQuerySet`` method; what a filter means lives on the QuerySet.
"""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils.translation import gettext_lazy as _

from casebook.organizations.models import Commissioner, Organization
from casebook.regions.models import Region

from .models import TRANSLATED_COLUMNS, AssistanceType, Case, CaseFacet, Collection, Theme, current_column

Facet = CaseFacet.Facet


MAX_VALUES = 50  # per parameter: ?type=a&type=b… ORs at most this many


def having(facet):
    """Wire a facet filter to ``queryset.having(facet, values)``: any of the chosen values (OR)."""

    def apply(queryset, field_name, values):
        return queryset.having(facet, [value_of(facet, value) for value in values])

    return apply


def value_of(facet, value):
    if facet == CaseFacet.Facet.ORG_KIND:
        return Organization.Kind.values.index(value)
    return getattr(value, "pk", value)


class MultipleValueInput(forms.TextInput):
    """Several values of one parameter: ``?type=a&type=b``, or "a b" / "a,b" typed into the one field."""

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            values = data.getlist(name)
        else:  # a plain dict, from a program reusing the filter set: {"type": ["a", "b"]} or {"type": "a"}
            values = data.get(name)
            values = values if isinstance(values, list | tuple) else [values]
        return [part for value in values if value for part in re.split(r"[\s,]+", str(value)) if part]

    def format_value(self, value):
        if isinstance(value, list | tuple):
            return " ".join(str(item) for item in value) or None
        return super().format_value(value)


def check_count(values):
    if len(values) > MAX_VALUES:
        raise ValidationError(_("Choose at most %(limit)d values."), code="too_many", params={"limit": MAX_VALUES})


class SlugsField(forms.ModelMultipleChoiceField):
    widget = MultipleValueInput

    def clean(self, value):
        if not value:
            return []  # not even an empty queryset: the landing listing has six of these to clean
        check_count(value)
        # Anything that cannot be a slug (a NUL byte, spaces, a page of text) is refused before
        # it reaches the database: PostgreSQL answers a NUL byte in a query with an error.
        if any(not validate_slug.regex.match(str(item)) for item in value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        # In the order given, so that addresses built from them keep the reader's order.
        position = {slug: index for index, slug in enumerate(value)}
        return sorted(super().clean(value), key=lambda item: position.get(item.slug, 0))

    def _check_values(self, value):
        """The objects of the slugs ``value``, in one query. Django's own also builds a queryset for each
        value to see that it is a valid key, which the slug pattern above has already decided: a tenth of
        the time of a faceted listing."""
        found = list(self.queryset.filter(slug__in=set(value)))
        known = {item.slug for item in found}
        for slug in value:
            if slug not in known:
                message = self.error_messages["invalid_choice"]
                raise ValidationError(message, code="invalid_choice", params={"value": slug})
        return found


class ChoicesField(forms.MultipleChoiceField):
    widget = MultipleValueInput

    def clean(self, value):
        check_count(value or [])
        return super().clean(value)


class YearsField(forms.Field):
    widget = MultipleValueInput
    default_error_messages = {"invalid": "", "range": ""}

    def to_python(self, value):
        years = []
        check_count(value or [])
        for item in value or []:
            if not re.fullmatch(r"[0-9]{1,6}", item):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            if not 1900 <= int(item) <= 2100:
                raise ValidationError(self.error_messages["range"], code="range")
            years.append(int(item))
        return sorted(set(years))


class FacetFilter(django_filters.Filter):
    """One facet: any number of values, ORed; different facets are ANDed."""

    def __init__(self, *, facet, invalid=None, **kwargs):
        if invalid:
            kwargs.setdefault("error_messages", {"invalid_choice": invalid})
        kwargs.setdefault("method", having(facet))
        super().__init__(**kwargs)


class SlugsFilter(FacetFilter):
    field_class = SlugsField

    def __init__(self, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        super().__init__(**kwargs)


class ChoicesFilter(FacetFilter):
    field_class = ChoicesField


class YearsFilter(FacetFilter):
    field_class = YearsField


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
    """Every filter of the listing; a facet filter takes several values (``?type=a&type=b``: a or b)."""

    # Orderings are built per request (callables): the title a reader sees depends on their language.
    SORTS = {
        "newest": (_("Newest first"), lambda: ["-published_at", "-pk"]),
        "oldest": (_("Oldest first"), lambda: ["published_at", "pk"]),
        "title": (_("Title A–Z"), lambda: [by_title(), "pk"]),
        "period": (_("Period, earliest first"), lambda: ["start_year", "end_year", by_title()]),
        "relevance": (_("Best match first (when searching)"), lambda: ["-search_rank", "-published_at", "-pk"]),
    }
    MAX_QUERY = 200

    q = django_filters.CharFilter(
        label=_("Search"),
        max_length=MAX_QUERY,
        method="search",
        widget=forms.SearchInput,
        help_text=_("Words in any order, in Chinese or English: titles, texts, captions, places, organizations."),
        error_messages={"max_length": _("Use at most %(limit_value)d characters (this search has %(show_value)d).")},
    )
    region = SlugsFilter(
        label=_("Place"),
        facet=Facet.REGION,
        invalid=_("There is no such place. Choose one from the list."),
        queryset=Region.objects.all(),
        help_text=_("A province includes its cities and counties."),
    )
    type = SlugsFilter(
        label=_("Type of assistance"),
        facet=Facet.TYPE,
        invalid=_("There is no such type. Choose one from the list."),
        queryset=AssistanceType.objects.all(),
    )
    theme = SlugsFilter(
        label=_("Theme"),
        facet=Facet.THEME,
        invalid=_("There is no such theme. Choose one from the list."),
        queryset=Theme.objects.all(),
    )
    organization = SlugsFilter(
        label=_("Organization"),
        facet=Facet.ORGANIZATION,
        invalid=_("There is no such organization. Choose one from the list."),
        queryset=Organization.objects.all(),
    )
    org_kind = ChoicesFilter(
        label=_("Kind of organization"),
        facet=Facet.ORG_KIND,
        choices=Organization.Kind.choices,
        invalid=_("There is no such kind of organization. Choose one from the list."),
    )
    commissioner = SlugsFilter(
        label=_("Commissioner"),
        facet=Facet.COMMISSIONER,
        invalid=_("There is no such commissioner. Choose one from the list."),
        queryset=Commissioner.objects.all(),
    )
    collection = SlugsFilter(
        label=_("Collection"),
        facet=Facet.COLLECTION,
        invalid=_("There is no such collection. Choose one from the list."),
        queryset=Collection.objects.all(),
    )
    year = YearsFilter(
        label=_("Active in year"),
        facet=Facet.YEAR,
        # Text, not type=number: a wrong value stays visible beside its error message, for correcting.
        widget=MultipleValueInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "invalid": _("Enter a year as four digits, such as 2021."),
            "range": _("Enter a year from 1900 to 2100."),
        },
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[(key, label) for key, (label, _ordering) in SORTS.items()],
        empty_label=None,  # no choice means "Best match first" when searching, else "Newest first"
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

    @property
    def searching(self):
        return bool(self.is_bound and self.is_valid() and self.form.cleaned_data.get("q"))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # The default order: best match when searching, else newest (an explicit ?sort= was applied above).
        if not self.form.cleaned_data.get("sort"):
            queryset = self.sort_by(queryset, "sort", "relevance" if self.searching else "newest")
        return queryset

    def search(self, queryset, name, value):
        return queryset.search(value)

    def sort_by(self, queryset, name, value):
        if value == "relevance" and not self.searching:
            value = "newest"
        return queryset.order_by(*self.SORTS[value][1]())

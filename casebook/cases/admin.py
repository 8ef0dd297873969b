import logging
import re
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminTextareaWidget, AdminTextInputWidget
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.db.models.lookups import StartsWith
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline

from casebook.regions.models import Region

from .history import CaseHistoryMixin
from .images import UploadedImageField, make_renditions, rendition_url
from .models import (
    TRANSLATED_COLUMNS,
    AssistanceType,
    Case,
    Collection,
    CollectionEntry,
    Figure,
    Initiative,
    Metric,
    Outcome,
    Participation,
    Source,
    Theme,
    current_column,
)
from .workflow_admin import CaseWorkflowAdmin

logger = logging.getLogger(__name__)


class FigureStorageError(Exception):
    """An uploaded figure could not be written to storage (disk full, storage gone)."""


def thumbnail(field_file, width=80):
    """An <img> of the stored image's 160-pixel rendition, or "" when the file is missing or unreadable."""
    if field_file and not field_file._committed:
        return ""  # an upload on a form shown again with errors: nothing is stored yet
    url = rendition_url(field_file, 160)
    if not url:
        return ""
    return format_html('<img src="{}" width="{}" alt="" loading="lazy" class="thumbnail">', url, width)


def in_every_language(*fields):
    """search_fields for translated fields: each language's column (name_zh_hans, name_en)."""
    return tuple(f"{field}_{language}" for field in fields for language in TRANSLATED_COLUMNS)


def widgets_in_every_language(widgets):
    return {f"{field}_{language}": widget for field, widget in widgets.items() for language in TRANSLATED_COLUMNS}


class NamedAdmin(TranslationAdmin):
    """Reference data with a name in each language and a slug made from the English name."""

    search_fields = (*in_every_language("name"), "slug")
    prepopulated_fields = {"slug": ("name_en",)}


WIDE = AdminTextInputWidget(attrs={"class": "vLargeTextField"})
SHORT_TEXTAREA = AdminTextareaWidget(attrs={"rows": 2})


def with_case_count(queryset):
    # An aggregate drops Meta.ordering from the query; restore it so lists and autocomplete pages are stable.
    return queryset.annotate(case_count=Count("cases", distinct=True)).order_by(*queryset.model._meta.ordering)


@admin.display(description=_("cases"), ordering="case_count")
def case_count(obj):
    return obj.case_count


@admin.register(AssistanceType)
class AssistanceTypeAdmin(NamedAdmin):
    fields = ("name", "slug", "order", "description")
    list_display = ("name_zh_hans", "name_en", "order", case_count)
    list_editable = ("order",)

    def get_queryset(self, request):
        return with_case_count(super().get_queryset(request))


@admin.register(Theme)
class ThemeAdmin(NamedAdmin):
    list_display = ("name_zh_hans", "name_en", "slug", case_count)

    def get_queryset(self, request):
        return with_case_count(super().get_queryset(request))


@admin.register(Metric)
class MetricAdmin(NamedAdmin):
    fields = (
        "name",
        "slug",
        "kind",
        "unit",
        "display_format",
        "example",
        "higher_is_better",
        "description",
    )
    list_display = ("name", "unit", "kind", "higher_is_better", "example")
    list_filter = ("kind", "higher_is_better")
    search_fields = (*in_every_language("name", "unit"), "slug")
    readonly_fields = ("example",)

    @admin.display(description=_("reads as"))
    def example(self, metric):
        if metric.pk is None:
            return ""
        return metric.format_value(Decimal(13) if metric.kind == Metric.Kind.RANK else Decimal("12345.5"))


@admin.register(Source)
class SourceAdmin(TranslationAdmin):
    fieldsets = (
        (None, {"fields": ("title", "slug", "publisher", "published_on", "url")}),
        (_("Full text"), {"fields": ("text",), "classes": ("collapse",)}),
    )
    list_display = ("title", "publisher", "published_on")
    list_select_related = ("publisher",)
    search_fields = (*in_every_language("title"), "slug")
    autocomplete_fields = ("publisher",)
    prepopulated_fields = {"slug": ("title_en",)}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Initiative)
class InitiativeAdmin(NamedAdmin):
    fields = ("name", "slug", "organization", "started_year", "description")
    list_display = ("name", "organization", "started_year")
    list_select_related = ("organization",)
    search_fields = (*in_every_language("name", "organization__name"), "slug")
    autocomplete_fields = ("organization",)


class CollectionEntryInline(admin.TabularInline):
    model = CollectionEntry
    extra = 1


class CaseEntryFormSet(forms.BaseInlineFormSet):
    # Django's formsets skip unique constraints with a condition (collection_entry_unique_number):
    # a repeated number would fail on save instead of being shown on its row.
    def clean(self):
        numbers = set()
        for form in kept_forms(self):
            number = form.cleaned_data.get("number")
            if number in numbers:
                form.add_error(
                    "number", _("Another case in this collection is number %(number)s.") % {"number": number}
                )
            elif number is not None:
                numbers.add(number)
        super().clean()


class CaseEntryInline(CollectionEntryInline):
    formset = CaseEntryFormSet
    fields = ("case", "number")
    autocomplete_fields = ("case",)
    verbose_name = _("case")
    verbose_name_plural = _("cases in this collection")


@admin.register(Collection)
class CollectionAdmin(TranslationAdmin):
    fieldsets = (
        (None, {"fields": ("title", "short_title", "slug")}),
        (_("Publication"), {"fields": ("publisher", ("published_on", "batch_number", "case_count"), "source")}),
        (None, {"fields": ("assistance_types", "description")}),
    )
    list_display = ("short_title", "publisher", "published_on", "batch_number", "entered")
    list_select_related = ("publisher",)
    search_fields = (*in_every_language("title", "short_title"), "slug")
    autocomplete_fields = ("publisher", "source", "assistance_types")
    prepopulated_fields = {"slug": ("short_title_en",)}
    inlines = [CaseEntryInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entry_count=Count("entries"))

    @admin.display(description=_("cases entered"), ordering="entry_count")
    def entered(self, collection):
        if collection.case_count:
            return _("%(entered)s of %(count)s") % {"entered": collection.entry_count, "count": collection.case_count}
        return collection.entry_count


def kept_forms(formset):
    """The valid forms of an inline formset whose rows will be saved: not deleted, not left empty."""
    return [
        form
        for form in formset.forms
        if form.is_valid() and form.cleaned_data and not formset._should_delete_form(form)
    ]


class ChildSlugFormSet(forms.BaseInlineFormSet):
    """Figures and outcomes left without a slug get one in their clean(), unique among the case's
    saved siblings; two new ones with the same caption would get the same slug, so number them apart
    here, before the formset checks uniqueness."""

    def clean(self):
        forms_with_slug = [form for form in kept_forms(self) if "slug" in form.cleaned_data]
        saved = {}
        if self.instance.pk:
            saved = dict(self.model.objects.filter(case=self.instance).values_list("pk", "slug"))
        given = {form.cleaned_data["slug"] for form in forms_with_slug if form.cleaned_data["slug"]}
        for form in forms_with_slug:
            if form.cleaned_data["slug"]:
                continue
            taken = given | {slug for pk, slug in saved.items() if pk != form.instance.pk}
            slug = form.instance.slug
            match = re.fullmatch(r"(.+)-(\d+)", slug)
            base, n = (match[1], int(match[2]) + 1) if match else (slug, 2)
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            form.instance.slug = form.cleaned_data["slug"] = slug
            given.add(slug)
        super().clean()


class ParticipationInline(TranslationTabularInline):
    model = Participation
    fields = ("organization", "role", "note")
    autocomplete_fields = ("organization",)
    extra = 1
    verbose_name = _("organization")
    verbose_name_plural = _("organizations")


class CaseCollectionInline(CollectionEntryInline):
    fields = ("collection", "number")
    autocomplete_fields = ("collection",)
    verbose_name = _("collection")
    verbose_name_plural = _("collections (batches)")


class FigureForm(forms.ModelForm):
    class Meta:
        widgets = widgets_in_every_language({"caption": WIDE, "alt_text": SHORT_TEXTAREA, "credit": WIDE})
        # A new upload is checked, then only its pixels are stored (no EXIF/GPS, text chunks, comments).
        field_classes = {"image": UploadedImageField}

    def clean(self):
        cleaned_data = super().clean()
        if "image" not in self.changed_data:
            # Left out, the stored file is not assigned again: Django would reopen it to re-read its width
            # and height (and fail if it has gone; the model's validator then says it is missing).
            cleaned_data.pop("image", None)
        return cleaned_data


class FigureFormSet(ChildSlugFormSet):
    # Set on the second pass of a save whose figure could not be stored (CaseAdmin.changeform_view).
    storage_error = None

    def clean(self):
        super().clean()
        if self.storage_error:
            raise forms.ValidationError(self.storage_error, code="storage_error")

    def save(self, commit=True):
        try:
            saved = super().save(commit)
        except OSError as error:
            raise FigureStorageError(error.strerror or str(error)) from error
        if commit:
            # The thumbnails the pages show, made once now rather than on the first view.
            for figure in saved:
                make_renditions(figure.image)
        return saved


class FigureInline(TranslationStackedInline):
    model = Figure
    form = FigureForm
    formset = FigureFormSet
    fields = (("image", "preview"), "caption", "alt_text", "decorative", ("credit", "order", "slug"))
    readonly_fields = ("preview",)
    extra = 1

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.storage_error = getattr(request, "figure_storage_error", None)
        return formset

    @admin.display(description=_("stored image"))
    def preview(self, figure):
        return thumbnail(figure.image, 160)


class OutcomeForm(forms.ModelForm):
    class Meta:
        widgets = widgets_in_every_language({"indicator": WIDE, "note": SHORT_TEXTAREA})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Saved as 100000000.0000 (four decimal places); shown as the editor typed it.
        for name in ("value", "baseline_value"):
            if isinstance(self.initial.get(name), Decimal):
                self.initial[name] = f"{self.initial[name].normalize():f}"


class OutcomeInline(TranslationStackedInline):
    model = Outcome
    form = OutcomeForm
    formset = ChildSlugFormSet
    fields = (
        ("metric", "unit"),
        "indicator",
        ("qualifier", "value", "year"),
        ("baseline_qualifier", "baseline_value", "baseline_year"),
        ("region", "source"),
        "note",
        ("order", "slug"),
        "reads_as",
    )
    readonly_fields = ("unit", "reads_as")
    autocomplete_fields = ("region", "source")
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("metric")

    @admin.display(description=_("unit"))
    def unit(self, outcome):
        return outcome.metric.unit if outcome.pk else ""

    @admin.display(description=_("reads as"))
    def reads_as(self, outcome):
        if outcome.pk is None:
            return ""
        if outcome.baseline_value is None:
            return outcome.display_value
        before = f"{outcome.display_baseline} ({outcome.baseline_year})"
        return f"{before} → {outcome.display_value} ({outcome.year}), {outcome.change}"


class ProvinceFilter(admin.SimpleListFilter):
    """Cases anywhere in a province, its prefectures and counties included."""

    title = _("province")
    parameter_name = "province"

    def lookups(self, request, model_admin):
        with_cases = Case.regions.through.objects.filter(region__path__startswith=OuterRef("path"))
        provinces = Region.objects.provinces().filter(Exists(with_cases)).order_by("path")
        self.provinces = {province.slug: province for province in provinces}
        return [(slug, province.name) for slug, province in self.provinces.items()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        province = self.provinces.get(self.value())
        return queryset.in_region(province) if province else queryset.none()


class CaseForm(forms.ModelForm):
    class Meta:
        widgets = widgets_in_every_language({"title": WIDE, "summary": AdminTextareaWidget(attrs={"rows": 3})})
        help_texts = {
            "published_at": _(
                "Left empty, it becomes the current time when you publish. "
                "A time in the future schedules the case: the public sees it from then on."
            ),
        }

    def clean(self):
        cleaned_data = super().clean()
        # The database refuses a published case without a time (case_published_has_time).
        self.publication_time_set = (
            cleaned_data.get("status") == Case.Status.PUBLISHED
            and "published_at" in cleaned_data
            and cleaned_data["published_at"] is None
        )
        if self.publication_time_set:
            cleaned_data["published_at"] = timezone.now()
        return cleaned_data


@admin.register(Case)
class CaseAdmin(CaseHistoryMixin, CaseWorkflowAdmin, TranslationAdmin):
    form = CaseForm
    fieldsets = (
        (_("Identity"), {"fields": ("title", "slug", "summary")}),
        (_("Narrative"), {"fields": ("background", "approach", "results", "lessons")}),
        (_("Classification"), {"fields": ("assistance_type", "themes")}),
        (
            _("Where and who"),
            {
                "fields": ("regions", "commissioners", "initiatives"),
                "description": _("Organizations and their part in the case are entered under “Organizations” below."),
            },
        ),
        (_("Period"), {"fields": (("start_year", "end_year"),)}),
        (_("Sources"), {"fields": ("sources",)}),
        (
            _("Publication"),
            {"fields": ("status", "published_at", ("created_at", "updated_at"), "completeness_checklist")},
        ),
    )
    readonly_fields = ("created_at", "updated_at")
    autocomplete_fields = ("assistance_type", "themes", "regions", "commissioners", "initiatives", "sources")
    prepopulated_fields = {"slug": ("title_en",)}
    inlines = [ParticipationInline, CaseCollectionInline, FigureInline, OutcomeInline]
    save_on_top = True

    list_display = (
        "first_figure",
        "title",
        "publication_status",
        "completeness",
        "assistance_type",
        "provinces",
        "published_at",
    )
    list_display_links = ("first_figure", "title")
    list_filter = ("status", "assistance_type", ProvinceFilter, "collection_entries__collection")
    list_select_related = ("assistance_type",)
    search_fields = (*in_every_language("title", "summary"), "slug")
    search_help_text = _("Words from the title or summary in either language, or the slug.")
    date_hierarchy = "published_at"
    # Drafts (no publication time yet) on top on every database, then the newest.
    ordering = (F("published_at").desc(nulls_first=True), "-pk")

    class Media:
        css = {"all": ["admin/css/casebook.css"]}

    def get_queryset(self, request):
        # A region's province: the province whose path starts the region's path (itself, for a province).
        province = Region.objects.provinces().filter(StartsWith(OuterRef("path"), F("path")))
        # In the reader's language, else the default language kept in the original column.
        name = Coalesce(NullIf(F(f"name_{current_column()}"), Value("")), F("name"))
        regions = Region.objects.annotate(
            province_name=Subquery(province.annotate(local_name=name).values("local_name")[:1])
        )
        return (
            super()
            .get_queryset(request)
            .prefetch_related("figures", models.Prefetch("regions", queryset=regions, to_attr="regions_with_province"))
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A figure that cannot be stored (disk full) undoes the whole save (the admin saves in one transaction, so
        no row points at a missing file) and the form is shown again, as sent, with the error on the figures."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except FigureStorageError as error:
            logger.error("A figure could not be stored, nothing was saved: %s", error)
            request.figure_storage_error = _(
                "The image could not be stored (%(reason)s), so nothing was saved. Try again later; if it happens "
                "again, tell the site's administrator."
            ) % {"reason": error}
            return super().changeform_view(request, object_id, form_url, extra_context)

    def view_on_site(self, case):
        # Drafts and scheduled cases are not on the public site yet: no link rather than a 404.
        return case.get_absolute_url() if case.is_public else None

    @admin.display(description=_("figure"))
    def first_figure(self, case):
        figures = case.figures.all()
        return thumbnail(figures[0].image, 60) if figures else ""

    @admin.display(description=_("provinces"))
    def provinces(self, case):
        return ", ".join(sorted({region.province_name for region in case.regions_with_province} - {None}))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if getattr(form, "publication_time_set", False):
            when = localize(timezone.localtime(obj.published_at))
            messages.info(
                request,
                _("“%(case)s” had no publication time; it was set to now (%(when)s).") % {"case": obj, "when": when},
            )

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from casebook.cases.admin import kept_forms, thumbnail
from casebook.cases.images import UploadedImageField

from .models import Commissioner, Organization, Posting


class OrganizationForm(forms.ModelForm):
    class Meta:
        # Organization.logo has no validator in the model: new uploads are checked and re-encoded here, as
        # figures are. The stored name is made there (logos/<random>.png), never the client's.
        field_classes = {"logo": UploadedImageField}


@admin.register(Organization)
class OrganizationAdmin(TranslationAdmin):
    form = OrganizationForm
    fields = ("name", "slug", "kind", "parent", "website", ("logo", "logo_preview"), "description")
    list_display = ("logo_thumbnail", "name", "kind", "parent", "website")
    list_display_links = ("logo_thumbnail", "name")
    list_filter = ("kind",)
    list_select_related = ("parent",)
    search_fields = ("name_zh_hans", "name_en", "slug")
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name_en",)}
    readonly_fields = ("logo_preview",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description=_("logo"))
    def logo_thumbnail(self, organization):
        return thumbnail(organization.logo, width=40)

    @admin.display(description=_("preview"))
    def logo_preview(self, organization):
        return thumbnail(organization.logo)


class PostingFormSet(forms.BaseInlineFormSet):
    # Django's formsets skip unique constraints with a condition (posting_unique_undated):
    # a second undated posting in the same place would fail on save instead of being shown on its row.
    def clean(self):
        undated = set()
        for form in kept_forms(self):
            region = form.cleaned_data.get("region")
            if region is None or form.cleaned_data.get("start_year") is not None:
                continue
            if region in undated:
                form.add_error(
                    "region", _("There is already a posting in %(region)s without a start year.") % {"region": region}
                )
            undated.add(region)
        super().clean()


class PostingInline(admin.TabularInline):
    model = Posting
    formset = PostingFormSet
    fields = ("region", "start_year", "end_year")
    autocomplete_fields = ("region",)
    extra = 1


@admin.register(Commissioner)
class CommissionerAdmin(TranslationAdmin):
    fields = ("name", "slug", "organization", "title", "bio")
    list_display = ("name", "organization", "title")
    list_select_related = ("organization",)
    search_fields = ("name_zh_hans", "name_en", "slug", "organization__name_zh_hans", "organization__name_en")
    autocomplete_fields = ("organization",)
    prepopulated_fields = {"slug": ("name_en",)}
    inlines = [PostingInline]

from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.db import models

from casebook.cases.admin import kept_forms, thumbnail
from casebook.cases.images import validate_image

from .models import Commissioner, Organization, Posting


class OrganizationForm(forms.ModelForm):
    def clean_logo(self):
        # Organization.logo has no validator in the model: check new uploads here, as figures are checked.
        logo = self.cleaned_data.get("logo")
        if isinstance(logo, UploadedFile):
            validate_image(logo)
        return logo


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationForm
    fields = ("name", "name_local", "slug", "kind", "parent", "website", ("logo", "logo_preview"), "description")
    list_display = ("logo_thumbnail", "name", "kind", "parent", "website")
    list_display_links = ("logo_thumbnail", "name")
    list_filter = ("kind",)
    list_select_related = ("parent",)
    search_fields = ("name", "name_local", "slug")
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("logo_preview",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="logo")
    def logo_thumbnail(self, organization):
        return thumbnail(organization.logo, width=40)

    @admin.display(description="preview")
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
                form.add_error("region", f"There is already a posting in {region} without a start year.")
            undated.add(region)
        super().clean()


class PostingInline(admin.TabularInline):
    model = Posting
    formset = PostingFormSet
    fields = ("region", "start_year", "end_year")
    autocomplete_fields = ("region",)
    extra = 1


@admin.register(Commissioner)
class CommissionerAdmin(admin.ModelAdmin):
    fields = ("name", "name_local", "slug", "organization", "title", "bio")
    list_display = ("name", "organization", "title")
    list_select_related = ("organization",)
    search_fields = ("name", "name_local", "slug", "organization__name")
    autocomplete_fields = ("organization",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [PostingInline]

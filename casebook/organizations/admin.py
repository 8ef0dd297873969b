from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile

from casebook.cases.admin import thumbnail
from casebook.cases.images import validate_image

from .models import Commissioner, Organization, Posting


class OrganizationForm(forms.ModelForm):
    def clean_logo(self):
        # The model field has no validator (a model change); check new uploads here like figures.
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

    @admin.display(description="logo")
    def logo_thumbnail(self, organization):
        return thumbnail(organization.logo, width=40)

    @admin.display(description="preview")
    def logo_preview(self, organization):
        return thumbnail(organization.logo)


class PostingInline(admin.TabularInline):
    model = Posting
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

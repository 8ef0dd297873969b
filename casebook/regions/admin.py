from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from .models import Region


@admin.register(Region)
class RegionAdmin(TranslationAdmin):
    fields = ("name", "slug", "level", "code", "parent", "path")
    list_display = ("name_zh_hans", "name_en", "level", "code", "parent")
    list_filter = ("level",)
    list_select_related = ("parent",)
    # Codes nest (61 → 6102 → 610222), so a code prefix finds a region and everything in it.
    search_fields = ("name_zh_hans", "name_en", "^code", "slug")
    search_help_text = _(
        "Name in either language, slug, or the start of an administrative code (6102 finds Tongchuan)."
    )
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name_en",)}
    readonly_fields = ("path",)
    ordering = ("path",)

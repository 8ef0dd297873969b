from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    fields = ("name", "name_local", "slug", "level", "code", "parent", "path")
    list_display = ("name", "name_local", "level", "code", "parent")
    list_filter = ("level",)
    list_select_related = ("parent",)
    # Codes nest (61 → 6102 → 610222), so a code prefix finds a region and everything in it.
    search_fields = ("name", "name_local", "^code", "slug")
    search_help_text = "Name, local name, slug, or the start of an administrative code (6102 finds Tongchuan)."
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("path",)
    ordering = ("path",)

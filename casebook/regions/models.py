from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class RegionQuerySet(models.QuerySet):
    def provinces(self):
        return self.filter(level=Region.Level.PROVINCE)

    def descendants_of(self, region, include_self=True):
        """Every region below ``region`` in the tree: one indexed prefix match on ``path``."""
        queryset = self.filter(path__startswith=region.path)
        return queryset if include_self else queryset.exclude(pk=region.pk)

    def ancestors_of(self, region, include_self=False):
        """The trail from the top of the tree down to ``region``, top first."""
        codes = region.path_codes if include_self else region.path_codes[:-1]
        return self.filter(code__in=codes).order_by("path")

    def with_ancestors(self):
        """Each region with every region above it, in the same query: ``region.trail`` then reads no more."""
        return self.select_related("__".join(["parent"] * (len(Region.Level) - 1)))

    def get_by_natural_key(self, code):
        return self.get(code=code)


class Region(models.Model):
    class Level(models.TextChoices):
        COUNTRY = "country", _("Country")
        PROVINCE = "province", _("Province")
        PREFECTURE = "prefecture", _("Prefecture / city")
        COUNTY = "county", _("County / district")
        TOWNSHIP = "township", _("Township")
        VILLAGE = "village", _("Village")

    name = models.CharField(_("name"), max_length=120, help_text=_("e.g. “宜君县” / “Yijun County”."))
    slug = models.SlugField(
        _("slug"),
        max_length=120,
        unique=True,
        help_text=_("Used in addresses such as /cases/?region=yijun. Use pinyin or English, never Chinese characters."),
    )
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    code = models.CharField(
        _("administrative code"),
        max_length=12,
        unique=True,
        validators=[
            RegexValidator(r"^[0-9A-Z]{2,12}$", _("Use the official code: 2 to 12 digits or capital letters."))
        ],
        help_text=_("The official division code, e.g. 610222 for Yijun County (GB/T 2260)."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
    )
    # Materialized path of codes ("/610000/610200/610222/"), kept by save(): a region's
    # descendants are one index-friendly prefix match instead of a recursive walk.
    path = models.CharField(max_length=255, unique=True, editable=False)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        old_path = self.path
        self.path = self.compute_path()
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            self.move_descendants(old_path)

    def get_absolute_url(self):
        return reverse("cases:region", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.code,)

    def compute_path(self):
        prefix = self.parent.path if self.parent_id else "/"
        return f"{prefix}{self.code}/"

    def move_descendants(self, old_path):
        for child in Region.objects.filter(path__startswith=old_path).exclude(pk=self.pk).order_by("path"):
            child.save(update_fields=["path"])

    def clean(self):
        if self.parent_id and self.pk and self.parent.path.startswith(self.path or "\0"):
            raise ValidationError({"parent": _("A region cannot be placed inside itself or one of its own parts.")})

    @property
    def trail(self):
        """The regions from the top of the tree down to this one: Shaanxi › Tongchuan › Yijun County."""
        trail = [self]
        while trail[0].parent_id:
            trail.insert(0, trail[0].parent)
        return trail

    @property
    def path_codes(self):
        return [code for code in self.path.split("/") if code]

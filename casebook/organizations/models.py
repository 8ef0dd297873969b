from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

YEAR_VALIDATORS = [MinValueValidator(1900), MaxValueValidator(2100)]


class SlugQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Organization(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        FOUNDATION = "foundation", _("Foundation / social organization")
        ASSOCIATION = "association", _("Industry association")
        GOVERNMENT_OFFICE = "government-office", _("Government office")
        LOCAL_GOVERNMENT = "local-government", _("Local government")
        PARTNER_REGION = "partner-region", _("Partner province / city")
        UNIVERSITY = "university", _("University")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200, help_text=_("e.g. “阿里巴巴集团” / “Alibaba Group”."))
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="units",
        verbose_name=_("part of"),
        help_text=_("The group this organization belongs to, e.g. Cainiao is part of Alibaba Group."),
    )
    website = models.URLField(_("website"), blank=True, help_text=_("Full address starting with https://."))
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("A few sentences for the public."))

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cases:organization", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)


class Commissioner(models.Model):
    """A person an organization sends to work in a place. Public data only: no contact details."""

    name = models.CharField(_("name"), max_length=150, help_text=_("Full name as published, e.g. “Liu Yahui”."))
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="commissioners", verbose_name=_("organization")
    )
    title = models.CharField(
        _("title / role"), max_length=200, blank=True, help_text=_("e.g. “Rural revitalization commissioner”.")
    )
    bio = models.TextField(
        _("public biography"), blank=True, help_text=_("Shown to the public. No private contact data.")
    )

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("commissioner")
        verbose_name_plural = _("commissioners")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cases:commissioner", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)


class PostingQuerySet(models.QuerySet):
    def get_by_natural_key(self, commissioner_slug, region_code, start_year):
        return self.get(commissioner__slug=commissioner_slug, region__code=region_code, start_year=start_year)


class Posting(models.Model):
    commissioner = models.ForeignKey(
        Commissioner, on_delete=models.CASCADE, related_name="postings", verbose_name=_("commissioner")
    )
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="postings", verbose_name=_("region")
    )
    start_year = models.PositiveSmallIntegerField(
        _("start year"),
        null=True,
        blank=True,
        validators=YEAR_VALIDATORS,
        help_text=_("Leave empty if the source does not say."),
    )
    end_year = models.PositiveSmallIntegerField(
        _("end year"),
        null=True,
        blank=True,
        validators=YEAR_VALIDATORS,
        help_text=_("Leave empty while the posting lasts."),
    )

    objects = PostingQuerySet.as_manager()

    class Meta:
        ordering = ["start_year", "pk"]
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [
            models.UniqueConstraint(fields=["commissioner", "region", "start_year"], name="posting_unique_per_start"),
            # NULLs are distinct in a unique constraint: allow one undated posting per person and place.
            models.UniqueConstraint(
                fields=["commissioner", "region"],
                condition=Q(start_year__isnull=True),
                name="posting_unique_undated",
            ),
            models.CheckConstraint(
                condition=Q(end_year__isnull=True) | Q(start_year__isnull=True) | Q(end_year__gte=F("start_year")),
                name="posting_ends_after_start",
                violation_error_message=_("A posting cannot end before it starts."),
            ),
        ]

    def __str__(self):
        if not self.start_year:
            return _("%(commissioner)s in %(region)s") % {"commissioner": self.commissioner, "region": self.region}
        return _("%(commissioner)s in %(region)s, %(start)s–%(end)s") % {
            "commissioner": self.commissioner,
            "region": self.region,
            "start": self.start_year,
            "end": self.end_year or "",
        }

    def natural_key(self):
        return (self.commissioner.slug, self.region.code, self.start_year)

    natural_key.dependencies = ["organizations.commissioner", "regions.region"]

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

YEAR_VALIDATORS = [MinValueValidator(1900), MaxValueValidator(2100)]


class SlugQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Organization(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", "Enterprise"
        FOUNDATION = "foundation", "Foundation / social organization"
        ASSOCIATION = "association", "Industry association"
        GOVERNMENT_OFFICE = "government-office", "Government office"
        LOCAL_GOVERNMENT = "local-government", "Local government"
        PARTNER_REGION = "partner-region", "Partner province / city"
        UNIVERSITY = "university", "University"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    name_local = models.CharField("local name", max_length=200, blank=True, help_text="e.g. “阿里巴巴集团”.")
    slug = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="units",
        verbose_name="part of",
        help_text="The group this organization belongs to, e.g. Cainiao is part of Alibaba Group.",
    )
    website = models.URLField(blank=True, help_text="Full address starting with https://.")
    logo = models.ImageField(upload_to="logos/", blank=True)
    description = models.TextField(blank=True, help_text="A few sentences for the public. Markdown.")

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cases:list") + f"?organization={self.slug}"

    def natural_key(self):
        return (self.slug,)


class Commissioner(models.Model):
    """A person an organization sends to work in a place. Public data only: no contact details."""

    name = models.CharField(max_length=150, help_text="Full name as published, e.g. “Liu Yahui”.")
    name_local = models.CharField(
        "local name", max_length=150, blank=True, help_text="Name in the local language, as published."
    )
    slug = models.SlugField(max_length=120, unique=True)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="commissioners")
    title = models.CharField(
        "title / role", max_length=200, blank=True, help_text="e.g. “Rural revitalization commissioner”."
    )
    bio = models.TextField("public biography", blank=True, help_text="Shown to the public. No private contact data.")

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cases:list") + f"?commissioner={self.slug}"

    def natural_key(self):
        return (self.slug,)


class PostingQuerySet(models.QuerySet):
    def get_by_natural_key(self, commissioner_slug, region_code, start_year):
        return self.get(commissioner__slug=commissioner_slug, region__code=region_code, start_year=start_year)


class Posting(models.Model):
    commissioner = models.ForeignKey(Commissioner, on_delete=models.CASCADE, related_name="postings")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="postings")
    start_year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=YEAR_VALIDATORS, help_text="Leave empty if the source does not say."
    )
    end_year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=YEAR_VALIDATORS, help_text="Leave empty while the posting lasts."
    )

    objects = PostingQuerySet.as_manager()

    class Meta:
        ordering = ["start_year", "pk"]
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
                violation_error_message="A posting cannot end before it starts.",
            ),
        ]

    def __str__(self):
        if not self.start_year:
            return f"{self.commissioner} in {self.region}"
        return f"{self.commissioner} in {self.region}, {self.start_year}–{self.end_year or ''}"

    def natural_key(self):
        return (self.commissioner.slug, self.region.code, self.start_year)

    natural_key.dependencies = ["organizations.commissioner", "regions.region"]

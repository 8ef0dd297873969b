from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from casebook.organizations.models import YEAR_VALIDATORS, Commissioner, SlugQuerySet

from .images import validate_image


class AssistanceType(models.Model):
    """An official category of assistance, e.g. “Assistance from enterprises and social organizations”."""

    name = models.CharField(max_length=200)
    name_local = models.CharField("local name", max_length=200, blank=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0, help_text="Position in lists; smaller comes first.")

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cases:list") + f"?type={self.slug}"

    def natural_key(self):
        return (self.slug,)


class Theme(models.Model):
    """A free topic across categories: e-commerce, logistics, live streaming, tea…"""

    name = models.CharField(max_length=100)
    name_local = models.CharField("local name", max_length=100, blank=True)
    slug = models.SlugField(max_length=80, unique=True)

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cases:list") + f"?theme={self.slug}"

    def natural_key(self):
        return (self.slug,)


class Metric(models.Model):
    """A shared indicator, so that outcomes compare across cases."""

    class Kind(models.TextChoices):
        QUANTITY = "quantity", "Quantity or amount"
        RANK = "rank", "Rank (1st is best)"

    name = models.CharField(max_length=150)
    name_local = models.CharField("local name", max_length=150, blank=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.QUANTITY)
    unit = models.CharField(
        max_length=50, blank=True, help_text="Short unit for table headings: “RMB”, “kg”, “stores”."
    )
    display_format = models.CharField(
        max_length=80,
        blank=True,
        help_text="How a value reads, with {value} and {unit}: “RMB {value}”, “{value} kg”. "
        "Empty means “{value} {unit}”.",
    )
    higher_is_better = models.BooleanField(
        default=True, help_text="Untick for prices and ranks, where a smaller number is the improvement."
    )
    description = models.TextField(blank=True)

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.unit})" if self.unit else self.name

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        if self.display_format:
            try:
                rendered = self.display_format.format(value="1", unit=self.unit)
            except (KeyError, IndexError, ValueError):
                rendered = None
            if rendered is None or "{value}" not in self.display_format:
                raise ValidationError({"display_format": "Use {value} once, and optionally {unit}; no other braces."})

    def format_value(self, value):
        if value is None:
            return ""
        number = ordinal(value) if self.kind == self.Kind.RANK else format_number(value)
        if self.kind == self.Kind.RANK:
            return number
        pattern = self.display_format or ("{value} {unit}" if self.unit else "{value}")
        return pattern.format(value=number, unit=self.unit)


def format_number(value):
    """12345.5000 → “12,345.5”; 1E+8 → “100,000,000”."""
    value = Decimal(value).normalize()
    return f"{value:,f}"


def ordinal(value):
    number = int(value)
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number:,}{suffix}"


class Source(models.Model):
    """A citation: where a case, a collection or a number comes from."""

    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    publisher = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sources",
    )
    published_on = models.DateField("publication date", null=True, blank=True)
    url = models.URLField("link", max_length=500, blank=True)
    text = models.TextField(
        "full text",
        blank=True,
        help_text="The source as published, word for word, where its terms allow. Shown beside the case.",
    )

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "title"]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.slug,)


class Collection(models.Model):
    """A published list (batch) of typical cases."""

    title = models.CharField(max_length=300)
    title_local = models.CharField("local title", max_length=300, blank=True)
    short_title = models.CharField(max_length=100, help_text="For lists and filters, e.g. “NRRA first batch (2022)”.")
    slug = models.SlugField(max_length=120, unique=True)
    publisher = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="collections_published"
    )
    published_on = models.DateField("publication date")
    batch_number = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 for the first batch.")
    case_count = models.PositiveSmallIntegerField(
        "cases in the batch", null=True, blank=True, help_text="How many cases the publisher announced, e.g. 36."
    )
    assistance_types = models.ManyToManyField(
        AssistanceType, blank=True, related_name="collections", verbose_name="categories"
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, null=True, blank=True, related_name="collections")
    description = models.TextField(blank=True)

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "batch_number"]

    def __str__(self):
        return self.short_title

    def get_absolute_url(self):
        return reverse("cases:list") + f"?collection={self.slug}"

    def natural_key(self):
        return (self.slug,)


class Initiative(models.Model):
    """A named programme or project an organization runs, e.g. “Better Design, Better County”."""

    name = models.CharField(max_length=200)
    name_local = models.CharField("local name", max_length=200, blank=True)
    slug = models.SlugField(max_length=120, unique=True)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="initiatives"
    )
    started_year = models.PositiveSmallIntegerField(null=True, blank=True, validators=YEAR_VALIDATORS)
    description = models.TextField(blank=True)

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class CaseQuerySet(models.QuerySet):
    def published(self):
        """The one definition of what the public may see."""
        return self.filter(status=Case.Status.PUBLISHED, published_at__lte=timezone.now())

    def in_region(self, region):
        """Cases in ``region`` or anywhere below it (a province includes its counties)."""
        in_subtree = Case.regions.through.objects.filter(case=OuterRef("pk"), region__path__startswith=region.path)
        return self.filter(Exists(in_subtree))

    def of_type(self, assistance_type):
        return self.filter(assistance_type=assistance_type)

    def with_theme(self, theme):
        return self.filter(Exists(Case.themes.through.objects.filter(case=OuterRef("pk"), theme=theme)))

    def involving(self, organization):
        return self.filter(Exists(Participation.objects.filter(case=OuterRef("pk"), organization=organization)))

    def involving_kind(self, kind):
        return self.filter(Exists(Participation.objects.filter(case=OuterRef("pk"), organization__kind=kind)))

    def in_collection(self, collection):
        return self.filter(Exists(CollectionEntry.objects.filter(case=OuterRef("pk"), collection=collection)))

    def with_commissioner(self, commissioner):
        return self.filter(
            Exists(Case.commissioners.through.objects.filter(case=OuterRef("pk"), commissioner=commissioner))
        )

    def active_in(self, year):
        """Cases whose period covers ``year``; a case without an end year covers its start year only."""
        return self.filter(start_year__lte=year).filter(
            Q(end_year__gte=year) | Q(end_year__isnull=True, start_year=year)
        )

    def search(self, text):
        return self.filter(Q(title__icontains=text) | Q(summary__icontains=text))

    def for_listing(self):
        return self.select_related("assistance_type").prefetch_related(
            "regions",
            models.Prefetch("participations", queryset=Participation.objects.select_related("organization")),
            models.Prefetch("figures", queryset=Figure.objects.order_by("order", "pk")),
        )

    def for_detail(self):
        return self.select_related("assistance_type").prefetch_related(
            "themes",
            "regions",
            "initiatives",
            models.Prefetch("sources", queryset=Source.objects.select_related("publisher")),
            models.Prefetch("participations", queryset=Participation.objects.select_related("organization")),
            models.Prefetch(
                "commissioners",
                queryset=Commissioner.objects.select_related("organization").prefetch_related("postings__region"),
            ),
            models.Prefetch(
                "collection_entries", queryset=CollectionEntry.objects.select_related("collection__publisher")
            ),
            "figures",
            models.Prefetch("outcomes", queryset=Outcome.objects.select_related("metric", "region", "source")),
        )

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Case(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    title = models.CharField(max_length=255)
    slug = models.SlugField(
        max_length=120, unique=True, help_text="The case's address: /cases/<slug>/. Keep it once published."
    )
    summary = models.TextField(max_length=1500, help_text="Two or three sentences shown in listings and search.")
    background = models.TextField(blank=True, help_text="The situation before the assistance. Markdown.")
    approach = models.TextField("what was done", blank=True, help_text="Markdown.")
    results = models.TextField(blank=True, help_text="Markdown. Numbers also go in Outcomes below, to compare.")
    lessons = models.TextField("lessons", blank=True, help_text="What others can replicate. Markdown.")

    assistance_type = models.ForeignKey(AssistanceType, on_delete=models.PROTECT, related_name="cases")
    themes = models.ManyToManyField(Theme, blank=True, related_name="cases")
    regions = models.ManyToManyField(
        "regions.Region", related_name="cases", help_text="The places helped: choose the most precise level known."
    )
    organizations = models.ManyToManyField("organizations.Organization", through="Participation", related_name="cases")
    commissioners = models.ManyToManyField("organizations.Commissioner", blank=True, related_name="cases")
    initiatives = models.ManyToManyField(Initiative, blank=True, related_name="cases")
    sources = models.ManyToManyField(Source, blank=True, related_name="cases")

    start_year = models.PositiveSmallIntegerField(validators=YEAR_VALIDATORS)
    end_year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=YEAR_VALIDATORS, help_text="Empty for a case of a single year."
    )

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        "publication time", null=True, blank=True, help_text="Set when the case is published."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "published_at"], name="case_status_published_idx"),
            models.Index(fields=["assistance_type", "status", "published_at"], name="case_type_published_idx"),
            models.Index(fields=["start_year", "end_year"], name="case_period_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__isnull=True) | Q(end_year__gte=F("start_year")),
                name="case_period_ends_after_start",
                violation_error_message="The period cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="case_published_has_time",
                violation_error_message="A published case needs a publication time.",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("cases:detail", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)

    @property
    def period(self):
        if self.end_year and self.end_year != self.start_year:
            return f"{self.start_year}–{self.end_year}"
        return str(self.start_year)

    @property
    def is_public(self):
        return self.status == self.Status.PUBLISHED and self.published_at and self.published_at <= timezone.now()


class ParticipationQuerySet(models.QuerySet):
    def get_by_natural_key(self, case_slug, organization_slug, role):
        return self.get(case__slug=case_slug, organization__slug=organization_slug, role=role)


class Participation(models.Model):
    """An organization's part in a case."""

    class Role(models.TextChoices):
        ASSISTING = "assisting", "Assisting"
        PARTNER = "partner", "Partner"
        ASSISTED = "assisted", "Assisted"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participations")
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.ASSISTING)
    note = models.CharField(max_length=300, blank=True, help_text="What this organization did, in a line.")

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["role", "organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["case", "organization", "role"], name="participation_unique_role"),
        ]

    def __str__(self):
        return f"{self.organization} ({self.get_role_display()})"

    def natural_key(self):
        return (self.case.slug, self.organization.slug, self.role)

    natural_key.dependencies = ["cases.case", "organizations.organization"]


class CollectionEntryQuerySet(models.QuerySet):
    def get_by_natural_key(self, collection_slug, case_slug):
        return self.get(collection__slug=collection_slug, case__slug=case_slug)


class CollectionEntry(models.Model):
    """A case's place in a collection: “case 12 of 36”."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="entries")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="collection_entries")
    number = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The case's number in the collection, if the publisher numbered it."
    )

    objects = CollectionEntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "collection entries"
        ordering = ["collection", "number"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "case"], name="collection_entry_unique_case"),
            models.UniqueConstraint(
                fields=["collection", "number"],
                condition=Q(number__isnull=False),
                name="collection_entry_unique_number",
            ),
        ]

    def __str__(self):
        if self.number:
            return f"{self.collection}: case {self.number}"
        return str(self.collection)

    def natural_key(self):
        return (self.collection.slug, self.case.slug)

    natural_key.dependencies = ["cases.collection", "cases.case"]

    def clean(self):
        count = self.collection.case_count if self.collection_id else None
        if self.number and count and self.number > count:
            raise ValidationError({"number": f"The collection has {count} cases; choose 1 to {count}."})


class CaseChildQuerySet(models.QuerySet):
    def get_by_natural_key(self, case_slug, slug):
        return self.get(case__slug=case_slug, slug=slug)


class Figure(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="figures")
    slug = models.SlugField(
        max_length=80, blank=True, help_text="Names the figure in data files; made from the caption if left empty."
    )
    image = models.ImageField(upload_to="figures/%Y/", validators=[validate_image])
    caption = models.CharField(max_length=300, help_text="As published, e.g. “Figure 1 Cainiao County Distribution…”.")
    alt_text = models.CharField(
        "alt text",
        max_length=300,
        help_text="What the photo shows, for people who cannot see it (screen readers, failed loads). "
        "Describe the picture; do not repeat the caption.",
    )
    credit = models.CharField(max_length=200, blank=True, help_text="Photographer or rights holder.")
    order = models.PositiveSmallIntegerField(default=0)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "slug"], name="figure_unique_slug_per_case")]

    def __str__(self):
        return self.caption

    def natural_key(self):
        return (self.case.slug, self.slug)

    natural_key.dependencies = ["cases.case"]

    def clean(self):
        if not self.slug:
            self.slug = unique_child_slug(self, self.caption, "figure")


class Outcome(models.Model):
    """A measured result, shown as before → after when a baseline is known."""

    class Qualifier(models.TextChoices):
        EXACT = "", "exactly"
        MORE_THAN = "more-than", "more than"
        NEARLY = "nearly", "nearly"
        ABOUT = "about", "about"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outcomes")
    slug = models.SlugField(
        max_length=80, blank=True, help_text="Names the outcome in data files; made from the indicator if left empty."
    )
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="outcomes")
    indicator = models.CharField(
        max_length=200, help_text="What exactly was measured, e.g. “Price of 0.5 kg of corn grits, free shipping”."
    )
    qualifier = models.CharField(max_length=10, choices=Qualifier.choices, blank=True, default=Qualifier.EXACT)
    value = models.DecimalField(max_digits=18, decimal_places=4)
    year = models.PositiveSmallIntegerField(validators=YEAR_VALIDATORS)
    baseline_qualifier = models.CharField(max_length=10, choices=Qualifier.choices, blank=True, default=Qualifier.EXACT)
    baseline_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(null=True, blank=True, validators=YEAR_VALIDATORS)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="outcomes"
    )
    note = models.TextField(blank=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, null=True, blank=True, related_name="outcomes")
    order = models.PositiveSmallIntegerField(default=0)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "slug"], name="outcome_unique_slug_per_case"),
            models.CheckConstraint(
                condition=Q(baseline_value__isnull=True) | Q(baseline_year__isnull=False),
                name="outcome_baseline_has_year",
                violation_error_message="Give the year of the baseline value.",
            ),
            models.CheckConstraint(
                condition=Q(baseline_year__isnull=True) | Q(baseline_year__lte=F("year")),
                name="outcome_baseline_before_value",
                violation_error_message="The baseline year cannot come after the outcome's year.",
            ),
        ]

    def __str__(self):
        return f"{self.indicator}: {self.display_value}"

    def natural_key(self):
        return (self.case.slug, self.slug)

    natural_key.dependencies = ["cases.case"]

    def clean(self):
        if not self.slug:
            self.slug = unique_child_slug(self, self.indicator, "outcome")

    @property
    def display_value(self):
        return qualified(self.qualifier, self.metric.format_value(self.value))

    @property
    def display_baseline(self):
        if self.baseline_value is None:
            return ""
        return qualified(self.baseline_qualifier, self.metric.format_value(self.baseline_value))

    @property
    def change(self):
        """The change from baseline to value, in words a reader checks at a glance, or "" without a baseline."""
        if self.baseline_value is None:
            return ""
        before, after = Decimal(self.baseline_value), Decimal(self.value)
        if self.metric.kind == Metric.Kind.RANK:
            places = int(before - after)
            if places == 0:
                return "unchanged"
            direction = "up" if places > 0 else "down"
            return f"{abs(places):,} place{'s' if abs(places) != 1 else ''} {direction}"
        if before == 0:
            return f"{'+' if after >= 0 else '−'}{format_number(abs(after))}"
        ratio = after / before
        if ratio >= 10:
            return f"×{format_number(ratio.quantize(Decimal(1)) if ratio >= 100 else round(ratio, 1))}"
        percent = (ratio - 1) * 100
        places = 0 if abs(percent) >= 1 else 1
        rounded = round(percent, places)
        sign = "+" if rounded > 0 else "−" if rounded < 0 else "±"
        return f"{sign}{format_number(abs(rounded))}%"

    @property
    def improved(self):
        """True when the change went the metric's good way; None without a baseline."""
        if self.baseline_value is None or self.baseline_value == self.value:
            return None
        went_up = self.value > self.baseline_value
        return went_up == self.metric.higher_is_better


def qualified(qualifier, text):
    if not qualifier:
        return text
    return f"{Outcome.Qualifier(qualifier).label} {text}"


def unique_child_slug(child, text, fallback):
    """A slug for a figure or outcome, unique within its case, also for Chinese text (which slugifies to "")."""
    base = slugify(text)[:70].strip("-") or fallback
    siblings = type(child).objects.filter(case_id=child.case_id).exclude(pk=child.pk)
    taken = set(siblings.values_list("slug", flat=True)) if child.case_id else set()
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug

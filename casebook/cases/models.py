import functools
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import ordinal
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.utils import build_localized_fieldname, get_language

from casebook.organizations.models import YEAR_VALIDATORS, SlugQuerySet
from casebook.regions.models import Region

from .folding import Fold, FoldingQuerySet
from .images import figure_upload_to, validate_image

# The language suffixes of translated columns: title_zh_hans, title_en.
TRANSLATED_COLUMNS = [code.replace("-", "_") for code, _name in settings.LANGUAGES]


class AssistanceType(models.Model):
    """An official category of assistance, e.g. “Assistance from enterprises and social organizations”."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Position in lists; smaller comes first.")
    )

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("assistance type")
        verbose_name_plural = _("assistance types")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cases:list") + f"?type={self.slug}"

    def natural_key(self):
        return (self.slug,)


class Theme(models.Model):
    """A free topic across categories: e-commerce, logistics, live streaming, tea…"""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cases:list") + f"?theme={self.slug}"

    def natural_key(self):
        return (self.slug,)


class Metric(models.Model):
    """A shared indicator, so that outcomes compare across cases."""

    class Kind(models.TextChoices):
        QUANTITY = "quantity", _("Quantity or amount")
        RANK = "rank", _("Rank (1st is best)")

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.QUANTITY)
    unit = models.CharField(
        _("unit"), max_length=50, blank=True, help_text=_("Short unit for table headings: “RMB”, “kg”, “stores”.")
    )
    display_format = models.CharField(
        _("display format"),
        max_length=80,
        blank=True,
        help_text=_(
            "How a value reads, with {value} and {unit}: “RMB {value}”, “{value} kg”, “{value}元”. "
            "Empty means “{value} {unit}”."
        ),
    )
    higher_is_better = models.BooleanField(
        _("higher is better"),
        default=True,
        help_text=_("Untick for prices and ranks, where a smaller number is the improvement."),
    )
    description = models.TextField(_("description"), blank=True)

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")

    def __str__(self):
        return f"{self.name} ({self.unit})" if self.unit else self.name

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        errors = {}
        for column in TRANSLATED_COLUMNS:
            pattern = getattr(self, f"display_format_{column}")
            if not pattern:
                continue
            try:
                pattern.format(value="1", unit="")
            except (KeyError, IndexError, ValueError):
                pattern = ""
            if "{value}" not in pattern:
                errors[f"display_format_{column}"] = _("Use {value} once, and optionally {unit}; no other braces.")
        if errors:
            raise ValidationError(errors)

    def format_value(self, value):
        """The value as it reads in the current language: “RMB 5.8”, “5.8元/斤”, “660th”, “第660名”."""
        if value is None:
            return ""
        # Each language's own format and unit, without falling back to the other language's:
        # “{value}元/斤” must never appear on an English page.
        column = current_column()
        pattern = getattr(self, f"display_format_{column}")
        unit = getattr(self, f"unit_{column}")
        if self.kind == self.Kind.RANK:
            return pattern.format(value=f"{int(value):,}", unit=unit) if pattern else ordinal(int(value))
        pattern = pattern or ("{value} {unit}" if unit else "{value}")
        return pattern.format(value=format_number(value), unit=unit)


def current_column():
    """The suffix of the current language's translated columns: "zh_hans" or "en"."""
    return column_of(get_language())


@functools.cache
def column_of(language):
    return build_localized_fieldname("", language).lstrip("_")


NARRATIVE = ["background", "approach", "results", "lessons"]
NARRATIVE_COLUMNS = NARRATIVE + [f"{field}_{column}" for field in NARRATIVE for column in TRANSLATED_COLUMNS]


def format_number(value):
    """12345.5000 → “12,345.5”; 1E+8 → “100,000,000”."""
    value = Decimal(value).normalize()
    return f"{value:,f}"


class Source(models.Model):
    """A citation: where a case, a collection or a number comes from."""

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    publisher = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sources",
        verbose_name=_("publisher"),
    )
    published_on = models.DateField(_("publication date"), null=True, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    # Not translated: a source is a document in the language it was published in.
    text = models.TextField(
        _("full text"),
        blank=True,
        help_text=_("The source as published, word for word, where its terms allow. Shown beside the case."),
    )

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "title"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.slug,)


class Collection(models.Model):
    """A published list (batch) of typical cases."""

    title = models.CharField(_("title"), max_length=300)
    short_title = models.CharField(
        _("short title"), max_length=100, help_text=_("For lists and filters, e.g. “NRRA first batch (2022)”.")
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    publisher = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        related_name="collections_published",
        verbose_name=_("publisher"),
    )
    published_on = models.DateField(_("publication date"))
    batch_number = models.PositiveSmallIntegerField(
        _("batch number"), null=True, blank=True, help_text=_("1 for the first batch.")
    )
    case_count = models.PositiveSmallIntegerField(
        _("cases in the batch"),
        null=True,
        blank=True,
        help_text=_("How many cases the publisher announced, e.g. 36."),
    )
    assistance_types = models.ManyToManyField(
        AssistanceType, blank=True, related_name="collections", verbose_name=_("categories")
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="collections",
        verbose_name=_("source"),
    )
    description = models.TextField(_("description"), blank=True)

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "batch_number"]
        verbose_name = _("collection")
        verbose_name_plural = _("collections")

    def __str__(self):
        return self.short_title

    def get_absolute_url(self):
        return reverse("cases:collection", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)


class Initiative(models.Model):
    """A named programme or project an organization runs, e.g. “Better Design, Better County”."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="initiatives",
        verbose_name=_("organization"),
    )
    started_year = models.PositiveSmallIntegerField(_("started in"), null=True, blank=True, validators=YEAR_VALIDATORS)
    description = models.TextField(_("description"), blank=True)

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


# The case page's short relations, read inside the case's own row (folding.py).
CASE_PAGE_FOLDS = [
    Fold("themes"),
    Fold("initiatives"),
    Fold("sources", "publisher"),
    Fold("participations", "organization"),
    Fold("commissioners", "organization", children=[Fold("postings", "region")]),
    Fold("collection_entries", "collection__publisher"),
]

# What a case card shows beside the case's own columns, read inside the case's row too: its places, its
# organizations and its first figure, into lists (a related manager's cache costs a queryset per case).
CARD_FOLDS = [
    Fold("regions", to_attr="card_places"),
    Fold("participations", "organization", to_attr="card_participations"),
    Fold("figures", to_attr="card_figures", limit=1),
]


def with_cards(rows, through=None, snippets=False):
    """``rows`` with what their case cards show, in one query: cases, or rows that link to a case through the
    foreign key ``through`` (participations, collection entries). The narrative sections, the longest texts, are
    read only for a search's snippets."""
    prefix = f"{through}__" if through else ""
    if not snippets:
        rows = rows.defer(*(prefix + column for column in NARRATIVE_COLUMNS))
    return rows.select_related(prefix + "assistance_type").fold(*CARD_FOLDS, through=through)


class CaseQuerySet(FoldingQuerySet):
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

    def having(self, facet, values):
        """Cases with any of ``values`` in ``facet`` (a ``CaseFacet.Facet``): one index lookup for every facet.

        ``having(Facet.REGION, [shaanxi.pk])`` includes the cases of its counties.
        """
        if facet == CaseFacet.Facet.TYPE:
            # A case's one type is in its own row: a test of the row, no join. (As a probe of the facet rows,
            # a search for a rare word of one type was planned by PostgreSQL as a hash of every case of the
            # type first: 760 ms at 1,000,000 cases, against 16 ms this way.)
            return self.filter(assistance_type__in=values)
        # A probe per case (case_facet_case_idx), not a set built first: the first page of newest cases
        # stops after twenty matches.
        return self.filter(Exists(CaseFacet.objects.filter(case=OuterRef("pk"), facet=facet, value__in=values)))

    def matching(self, text):
        """Cases whose indexed text (search.py) has every word of ``text``, in any language, unranked."""
        from .search import query_groups

        if not query_groups(text):
            return self.none()
        return self.filter(search_document__document__matches=text)

    def search(self, text):
        """``matching(text)`` annotated with ``search_rank`` (higher is better) and ordered by it."""
        from .search import SearchRank

        return self.matching(text).annotate(search_rank=SearchRank(text)).order_by("-search_rank", "-pk")

    def for_listing(self, snippets=False):
        """Cases with what their cards show, in one query (``with_cards``)."""
        return with_cards(self, snippets=snippets)

    def for_detail(self):
        """A case with everything its page shows, in four queries whatever its size: the case with its short
        relations folded into its row (folding.py), then its places (each with the regions above it, for the
        trail Shaanxi › Tongchuan › Yijun County), its figures and its outcomes."""
        return (
            self.select_related("assistance_type")
            .fold(*CASE_PAGE_FOLDS)
            .prefetch_related(
                models.Prefetch("regions", queryset=Region.objects.with_ancestors()),
                "figures",
                models.Prefetch("outcomes", queryset=Outcome.objects.select_related("metric", "region", "source")),
            )
        )

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Case(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    title = models.CharField(_("title"), max_length=255)
    slug = models.SlugField(
        _("slug"),
        max_length=120,
        unique=True,
        help_text=_("The case's address, as in /cases/alibaba-yijun-puan/. Keep it once published."),
    )
    summary = models.TextField(
        _("summary"), max_length=1500, help_text=_("Two or three sentences shown in listings and search.")
    )
    background = models.TextField(
        _("background"), blank=True, help_text=_("The situation before the assistance. Markdown.")
    )
    approach = models.TextField(_("what was done"), blank=True, help_text=_("Markdown."))
    results = models.TextField(
        _("results"), blank=True, help_text=_("Markdown. Numbers also go in Outcomes below, to compare.")
    )
    lessons = models.TextField(_("lessons"), blank=True, help_text=_("What others can replicate. Markdown."))
    translation_note = models.CharField(
        _("note on this language's text"),
        max_length=300,
        blank=True,
        help_text=_("Shown with the case in this language only, e.g. that the text is translated from the source."),
    )

    assistance_type = models.ForeignKey(
        AssistanceType, on_delete=models.PROTECT, related_name="cases", verbose_name=_("assistance type")
    )
    themes = models.ManyToManyField(Theme, blank=True, related_name="cases", verbose_name=_("themes"))
    regions = models.ManyToManyField(
        "regions.Region",
        related_name="cases",
        verbose_name=_("regions"),
        help_text=_("The places helped: choose the most precise level known."),
    )
    organizations = models.ManyToManyField(
        "organizations.Organization", through="Participation", related_name="cases", verbose_name=_("organizations")
    )
    commissioners = models.ManyToManyField(
        "organizations.Commissioner", blank=True, related_name="cases", verbose_name=_("commissioners")
    )
    initiatives = models.ManyToManyField(Initiative, blank=True, related_name="cases", verbose_name=_("initiatives"))
    sources = models.ManyToManyField(Source, blank=True, related_name="cases", verbose_name=_("sources"))

    start_year = models.PositiveSmallIntegerField(_("start year"), validators=YEAR_VALIDATORS)
    end_year = models.PositiveSmallIntegerField(
        _("end year"),
        null=True,
        blank=True,
        validators=YEAR_VALIDATORS,
        help_text=_("Empty for a case of a single year."),
    )

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        _("publication time"), null=True, blank=True, help_text=_("Set when the case is published.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [("publish_case", _("Can publish, schedule, withdraw and restore cases"))]
        indexes = [
            models.Index(fields=["status", "published_at"], name="case_status_published_idx"),
            # The listing's pages of newest cases as an index-only scan on PostgreSQL too, deep OFFSETs
            # included (SQLite's indexes carry the rowid already).
            models.Index(fields=["status", "-published_at", "-id"], name="case_newest_idx"),
            models.Index(fields=["assistance_type", "status", "published_at"], name="case_type_published_idx"),
            # "Is this matching case published?" for every case a search finds, read from the index alone
            # instead of from the wide case rows (4 times faster for a word in half of all cases).
            models.Index(fields=["id", "status", "published_at"], name="case_published_probe_idx"),
            models.Index(fields=["start_year", "end_year"], name="case_period_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__isnull=True) | Q(end_year__gte=F("start_year")),
                name="case_period_ends_after_start",
                violation_error_message=_("The period cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="case_published_has_time",
                violation_error_message=_("A published case needs a publication time."),
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


class CaseLinkQuerySet(FoldingQuerySet):
    """Rows that link to a case, listed as its card (an organization's participations, a collection's entries)."""

    def for_listing(self):
        """The rows, each with its case and what the case's card shows, in one query (``with_cards``)."""
        return with_cards(self, through="case")


class ParticipationQuerySet(CaseLinkQuerySet):
    def get_by_natural_key(self, case_slug, organization_slug, role):
        return self.get(case__slug=case_slug, organization__slug=organization_slug, role=role)


class Participation(models.Model):
    """An organization's part in a case."""

    class Role(models.TextChoices):
        ASSISTING = "assisting", _("Assisting")
        PARTNER = "partner", _("Partner")
        ASSISTED = "assisted", _("Assisted")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participations", verbose_name=_("case"))
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        related_name="participations",
        verbose_name=_("organization"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.ASSISTING)
    note = models.CharField(
        _("note"), max_length=300, blank=True, help_text=_("What this organization did, in a line.")
    )

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["role", "organization__slug"]
        verbose_name = _("participating organization")
        verbose_name_plural = _("participating organizations")
        constraints = [
            models.UniqueConstraint(fields=["case", "organization", "role"], name="participation_unique_role"),
        ]

    def __str__(self):
        return f"{self.organization} ({self.get_role_display()})"

    def natural_key(self):
        return (self.case.slug, self.organization.slug, self.role)

    natural_key.dependencies = ["cases.case", "organizations.organization"]


class CollectionEntryQuerySet(CaseLinkQuerySet):
    def get_by_natural_key(self, collection_slug, case_slug):
        return self.get(collection__slug=collection_slug, case__slug=case_slug)


class CollectionEntry(models.Model):
    """A case's place in a collection: “case 12 of 36”."""

    collection = models.ForeignKey(
        Collection, on_delete=models.CASCADE, related_name="entries", verbose_name=_("collection")
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="collection_entries", verbose_name=_("case"))
    number = models.PositiveSmallIntegerField(
        _("number"),
        null=True,
        blank=True,
        help_text=_("The case's number in the collection, if the publisher numbered it."),
    )

    objects = CollectionEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("collection entry")
        verbose_name_plural = _("collection entries")
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
            return _("%(collection)s: case %(number)s") % {"collection": self.collection, "number": self.number}
        return str(self.collection)

    def natural_key(self):
        return (self.collection.slug, self.case.slug)

    natural_key.dependencies = ["cases.collection", "cases.case"]

    def clean(self):
        count = self.collection.case_count if self.collection_id else None
        if self.number and count and self.number > count:
            raise ValidationError(
                {"number": _("The collection has %(count)s cases; choose 1 to %(count)s.") % {"count": count}}
            )


class CaseChildQuerySet(models.QuerySet):
    def get_by_natural_key(self, case_slug, slug):
        return self.get(case__slug=case_slug, slug=slug)


class Figure(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="figures", verbose_name=_("case"))
    slug = models.SlugField(
        _("slug"),
        max_length=80,
        blank=True,
        help_text=_("Names the figure in data files; made from the caption if left empty."),
    )
    image = models.ImageField(
        _("image"),
        upload_to=figure_upload_to,
        validators=[validate_image],
        width_field="width",
        height_field="height",
        db_index=True,  # /media/ looks a file up by its name (casebook.media)
    )
    width = models.PositiveIntegerField(_("width"), null=True, editable=False)
    height = models.PositiveIntegerField(_("height"), null=True, editable=False)
    caption = models.CharField(
        _("caption"), max_length=300, help_text=_("As published, e.g. “Figure 1 Cainiao County Distribution…”.")
    )
    alt_text = models.CharField(
        _("alt text"),
        max_length=300,
        blank=True,
        help_text=_(
            "What the photo shows, for people who cannot see it (screen readers, failed loads). "
            "Describe the picture; do not repeat the caption. Required before the case is published, "
            "unless the figure is decorative."
        ),
    )
    decorative = models.BooleanField(
        _("decorative"),
        default=False,
        help_text=_("Tick only if the picture adds nothing the text does not say: screen readers then skip it."),
    )
    credit = models.CharField(_("credit"), max_length=200, blank=True, help_text=_("Photographer or rights holder."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        constraints = [models.UniqueConstraint(fields=["case", "slug"], name="figure_unique_slug_per_case")]

    def __str__(self):
        return self.caption

    def natural_key(self):
        return (self.case.slug, self.slug)

    natural_key.dependencies = ["cases.case"]

    def clean(self):
        if not self.slug:
            self.slug = unique_child_slug(self, self.caption_en or self.caption, "figure")


class Outcome(models.Model):
    """A measured result, shown as before → after when a baseline is known."""

    class Qualifier(models.TextChoices):
        EXACT = "", _("exactly")
        MORE_THAN = "more-than", _("more than")
        NEARLY = "nearly", _("nearly")
        ABOUT = "about", _("about")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outcomes", verbose_name=_("case"))
    slug = models.SlugField(
        _("slug"),
        max_length=80,
        blank=True,
        help_text=_("Names the outcome in data files; made from the indicator if left empty."),
    )
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="outcomes", verbose_name=_("metric"))
    indicator = models.CharField(
        _("indicator"),
        max_length=200,
        help_text=_("What exactly was measured, e.g. “Price of 0.5 kg of corn grits, free shipping”."),
    )
    qualifier = models.CharField(
        _("qualifier"), max_length=10, choices=Qualifier.choices, blank=True, default=Qualifier.EXACT
    )
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR_VALIDATORS)
    baseline_qualifier = models.CharField(
        _("baseline qualifier"), max_length=10, choices=Qualifier.choices, blank=True, default=Qualifier.EXACT
    )
    baseline_value = models.DecimalField(_("baseline value"), max_digits=18, decimal_places=4, null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(
        _("baseline year"), null=True, blank=True, validators=YEAR_VALIDATORS
    )
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outcomes",
        verbose_name=_("region"),
    )
    note = models.TextField(_("note"), blank=True)
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="outcomes", verbose_name=_("source")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        constraints = [
            models.UniqueConstraint(fields=["case", "slug"], name="outcome_unique_slug_per_case"),
            models.CheckConstraint(
                condition=Q(baseline_value__isnull=True) | Q(baseline_year__isnull=False),
                name="outcome_baseline_has_year",
                violation_error_message=_("Give the year of the baseline value."),
            ),
            models.CheckConstraint(
                condition=Q(baseline_year__isnull=True) | Q(baseline_year__lte=F("year")),
                name="outcome_baseline_before_value",
                violation_error_message=_("The baseline year cannot come after the outcome's year."),
            ),
        ]

    def __str__(self):
        return f"{self.indicator}: {self.display_value}"

    def natural_key(self):
        return (self.case.slug, self.slug)

    natural_key.dependencies = ["cases.case"]

    def clean(self):
        if not self.slug:
            self.slug = unique_child_slug(self, self.indicator_en or self.indicator, "outcome")

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
                return str(_("unchanged"))
            if places > 0:
                return ngettext("%(count)s place up", "%(count)s places up", places) % {"count": f"{places:,}"}
            return ngettext("%(count)s place down", "%(count)s places down", -places) % {"count": f"{-places:,}"}
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


QUALIFIED = {
    Outcome.Qualifier.MORE_THAN: _("more than %(value)s"),
    Outcome.Qualifier.NEARLY: _("nearly %(value)s"),
    Outcome.Qualifier.ABOUT: _("about %(value)s"),
}


def qualified(qualifier, text):
    if not qualifier:
        return text
    return QUALIFIED[qualifier] % {"value": text}


def unique_child_slug(child, text, fallback):
    """A slug for a figure or outcome, unique within its case, also for Chinese text (which slugifies to "")."""
    base = slugify(text)[:70].strip("-") or fallback
    siblings = type(child).objects.filter(case_id=child.case_id).exclude(pk=child.pk)
    taken = set(siblings.values_list("slug", flat=True)) if child.case_id else set()
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


class CaseRedirect(models.Model):
    """An earlier slug of a case, so that links to it keep working (301) after the slug changes."""

    old_slug = models.SlugField(_("earlier slug"), max_length=120, unique=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="redirects", verbose_name=_("case"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("earlier address")
        verbose_name_plural = _("earlier addresses")

    def __str__(self):
        return f"{self.old_slug} → {self.case.slug}"


class CaseFacet(models.Model):
    """One filterable value of a case, derived from the case and its relations (kept by ``indexing``).

    Listing filters and facet counts read this one table: "cases in Shaanxi or below" is one indexed
    lookup of the value Shaanxi (every ancestor of a case's regions has a row), and a facet's counts are
    one GROUP BY. ``published_at`` is the case's publication time while it is published, else NULL, so
    that "published now" is decided here without joining the case table.
    """

    class Facet(models.IntegerChoices):
        REGION = 1  # the case's regions and every region above them
        TYPE = 2
        THEME = 3
        ORGANIZATION = 4
        ORG_KIND = 5  # the position of the kind in Organization.Kind
        COLLECTION = 6
        COMMISSIONER = 7
        YEAR = 8  # every year of the case's period

    # No index of its own: case_facet_case_idx starts with it.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)
    facet = models.PositiveSmallIntegerField(choices=Facet.choices)
    value = models.BigIntegerField()
    published_at = models.DateTimeField(null=True)
    # The case's assistance type on every row. A case has exactly one, and a type is the filter most often
    # added to another ("Sichuan", of one type): with it in the index, the cases of a place and a type are one
    # range of the place's rows, and the place's cases are counted by type, without a lookup per case.
    case_type = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            # Filtering and counting by value: the case id and type ride along, so both are index-only.
            models.Index(fields=["facet", "value", "published_at", "case", "case_type"], name="case_facet_value_idx"),
            # Counting one facet over an already filtered set of cases.
            models.Index(fields=["case", "facet", "value"], name="case_facet_case_idx"),
        ]

    def __str__(self):
        return f"{self.case_id}: {self.get_facet_display()} {self.value}"


class CaseFacetLine(models.Model):
    """All of a case's ``CaseFacet`` values in one row, "facet:value" tokens apart ("1:12 1:179 2:1 8:2021"),
    with the same ``published_at`` (kept by ``indexing``). Counting every facet over a search that matches
    half of all cases reads one short row per case and counts the tokens in Python (facets.line_counts),
    not a dozen index rows per case sorted by a GROUP BY."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="+")
    published_at = models.DateTimeField(null=True)
    facets = models.TextField()
    # The case's assistance type, as on CaseFacet: a search's lines are tallied type by type in one pass
    # (facets.typed_line_counts), for the counts a kept search keeps per type. A default in the database too:
    # migration 0010 wrote lines before there was a type.
    case_type = models.BigIntegerField(db_default=0)

    def __str__(self):
        return f"{self.case_id}: {self.facets}"


class FacetTotal(models.Model):
    """How many published cases have each facet value (scheduled ones included), kept by ``indexing`` as
    rows of ``CaseFacet`` come and go: the listing without filters reads its counts here, not from a
    GROUP BY over every case. Cases scheduled for later are subtracted when read."""

    facet = models.PositiveSmallIntegerField(choices=CaseFacet.Facet.choices)
    value = models.BigIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["facet", "value"], name="facet_total_unique")]

    def __str__(self):
        return f"{self.get_facet_display()} {self.value}: {self.count}"


class FacetCube(models.Model):
    """How many published cases (scheduled ones included) of each assistance type have each facet value,
    among the cases with one value of an anchor facet (``anchor_facet`` and ``anchor``: a place, a theme, a
    kind of organization, a collection or a year; ANCHOR_FACETS) or among all cases (EVERYWHERE, the place
    0), kept by ``indexing`` as ``FacetTotal`` is. The panel of a listing filtered by one such value, by types
    or by both reads its counts here (facets.cube_rows) instead of walking the facet rows of every case it
    lists: Sichuan and a type are 3,600 cases at 100,000 and 36,000 at 1,000,000, a theme 40,000 and
    400,000, but the same few thousand rows of counts. Cases scheduled for later are subtracted when read.

    Every value of an anchor facet that a case has (every place above its own too) is an anchor, so which
    values are anchors never changes with the data. Organizations and commissioners are not anchor facets:
    there are hundreds of them, each with few cases. ``FacetTotal`` is EVERYWHERE summed over the types,
    kept for the listing without filters, which reads it whole."""

    anchor_facet = models.PositiveSmallIntegerField(choices=CaseFacet.Facet.choices, default=CaseFacet.Facet.REGION)
    anchor = models.BigIntegerField()
    facet = models.PositiveSmallIntegerField(choices=CaseFacet.Facet.choices)
    value = models.BigIntegerField()
    case_type = models.BigIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["anchor_facet", "anchor", "facet", "value", "case_type"], name="facet_cube_unique"
            )
        ]

    def __str__(self):
        return (
            f"{self.get_anchor_facet_display()} {self.anchor}: {self.get_facet_display()} {self.value}"
            f" of type {self.case_type}: {self.count}"
        )


class Anchor(NamedTuple):
    """A set of cases whose counts FacetCube keeps: those with the value ``value`` of the facet ``facet``."""

    facet: int
    value: int


EVERYWHERE = Anchor(int(CaseFacet.Facet.REGION), 0)  # every case


class Pair(NamedTuple):
    """The cases of two anchors of different facets (a theme and a year), ``first`` the one of the lower facet."""

    first: Anchor
    second: Anchor


ANCHOR_FACETS = frozenset(
    int(facet)
    for facet in (
        CaseFacet.Facet.REGION,
        CaseFacet.Facet.THEME,
        CaseFacet.Facet.ORG_KIND,
        CaseFacet.Facet.COLLECTION,
        CaseFacet.Facet.YEAR,
    )
)


class KeptSearch(models.Model):
    """A search matching many cases, whose facet counts (``KeptSearchCount``) ``indexing`` keeps from the
    first time it is counted (``kept_searches``): a word in half of all cases has 500,000 matches at
    1,000,000 cases, and counting them takes a second each time the data changes; its kept counts are a few
    thousand rows. Only the most recently used few are kept, since every write checks each of them.

    A search is kept among all cases (EVERYWHERE) or among the cases of one anchor (``anchor_facet`` and
    ``anchor``, as in ``FacetCube``: a place, a theme, a year…): a common word in Sichuan is 36,210 matches
    at 1,000,000 cases. Without words (``query`` empty) it keeps the counts of the cases of two anchors
    (``Pair``, the second in ``second_facet`` and ``second``): a theme and a year are 7,400 cases at 100,000
    and 74,000 at 1,000,000, which FacetCube, keeping one anchor at a time, does not count."""

    query = models.CharField(max_length=2000, blank=True)  # search.tsquery(text): one row for "Tea" and "tea!"
    anchor_facet = models.PositiveSmallIntegerField(choices=CaseFacet.Facet.choices, default=CaseFacet.Facet.REGION)
    anchor = models.BigIntegerField(default=0)
    second_facet = models.PositiveSmallIntegerField(default=0)  # 0: no second anchor
    second = models.BigIntegerField(default=0)
    text = models.CharField(max_length=2000)  # a search that gives ``query``, as first asked
    used_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["query", "anchor_facet", "anchor", "second_facet", "second"], name="kept_search_unique"
            )
        ]

    def __str__(self):
        if (self.anchor_facet, self.anchor) == EVERYWHERE:
            return self.text
        within = f"{self.get_anchor_facet_display()} {self.anchor}"
        if self.second_facet:
            within += f" and {CaseFacet.Facet(self.second_facet).label} {self.second}"
        return f"{self.text} (in {within})".lstrip()


class KeptSearchCount(models.Model):
    """How many published cases (scheduled ones included) of each assistance type among a kept search's
    matches have each facet value: as ``FacetCube`` per type, so that the panel of the search with types
    ticked reads them too. Cases scheduled for later are subtracted when read."""

    search = models.ForeignKey(KeptSearch, on_delete=models.CASCADE, related_name="counts")
    facet = models.PositiveSmallIntegerField(choices=CaseFacet.Facet.choices)
    value = models.BigIntegerField()
    case_type = models.BigIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["search", "facet", "value", "case_type"], name="kept_search_count_unique")
        ]

    def __str__(self):
        return f"{self.search_id}: {self.get_facet_display()} {self.value}: {self.count}"


class SearchField(models.TextField):
    """The pre-tokenized search text; ``document__matches=query`` is a full-text match (see search.py)."""


class SearchDocument(models.Model):
    """A case's searchable text, tokenized by ``search.tokens``: one row per case.

    Not managed by Django: on SQLite it is an FTS5 virtual table (its ``rowid`` is the case id), on
    PostgreSQL a table with a generated ``tsvector`` column and a GIN index (migration 0005).
    """

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, db_column="rowid", related_name="search_document"
    )
    document = SearchField()

    class Meta:
        managed = False
        db_table = "cases_search"

    def __str__(self):
        return self.document[:80]

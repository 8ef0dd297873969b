"""The editorial workflow: how a case moves from draft to the public and back, what it needs first,
and the earlier addresses it keeps. The admin calls these; saves stay plain."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from .models import TRANSLATED_COLUMNS, Case, CaseRedirect, Figure, Outcome, Participation

Status = Case.Status

# Alt text must exist in the language every other language falls back to.
DEFAULT_ALT_TEXT = build_localized_fieldname("alt_text", settings.MODELTRANSLATION_DEFAULT_LANGUAGE)


class WorkflowError(Exception):
    pass


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    done: str  # the log message
    sources: frozenset
    needs_publish_permission: bool = True

    def allowed_from(self, case):
        if case.status not in self.sources:
            return False
        if self.name in ("publish", "schedule") and case.status == Status.PUBLISHED:
            return not case.is_public  # a scheduled case can be published now or rescheduled
        return True


TRANSITIONS = {
    transition.name: transition
    for transition in [
        Transition(
            "submit",
            _("Submit for review"),
            _("Submitted for review"),
            frozenset({Status.DRAFT}),
            needs_publish_permission=False,
        ),
        Transition(
            "publish", _("Publish now"), _("Published"), frozenset({Status.DRAFT, Status.REVIEW, Status.PUBLISHED})
        ),
        Transition(
            "schedule", _("Schedule"), _("Scheduled"), frozenset({Status.DRAFT, Status.REVIEW, Status.PUBLISHED})
        ),
        Transition("withdraw", _("Withdraw"), _("Withdrawn"), frozenset({Status.PUBLISHED})),
        Transition("restore", _("Back to draft"), _("Back to draft"), frozenset({Status.REVIEW, Status.WITHDRAWN})),
    ]
}


def is_scheduled(case):
    return case.status == Status.PUBLISHED and case.published_at is not None and case.published_at > timezone.now()


def state_label(case):
    """The status as an editor needs it: “Scheduled for 1 December 2026, 10:00” rather than “Published”."""
    if is_scheduled(case):
        return _("Scheduled for %(time)s") % {"time": localize(timezone.localtime(case.published_at))}
    return case.get_status_display()


def figures_without_alt_text(case):
    """The case's figures that are neither decorative nor described in the default language."""
    missing = Q(**{DEFAULT_ALT_TEXT: ""}) | Q(**{f"{DEFAULT_ALT_TEXT}__isnull": True})
    return list(case.figures.filter(decorative=False).filter(missing))


def refused_for_alt_text(figures):
    captions = ", ".join(f"“{figure}”" for figure in figures)
    return _("Not published: these figures need alt text (or the “decorative” tick) first: %(figures)s.") % {
        "figures": captions
    }


def apply(transition, case, when=None):
    """Move ``case`` by ``transition`` and save it; returns the log message. Permissions are the caller's."""
    if not transition.allowed_from(case):
        raise WorkflowError(
            _("“%(case)s” is %(state)s: “%(action)s” does not apply.")
            % {"case": case, "state": state_label(case), "action": transition.label}
        )
    if transition.name in ("publish", "schedule"):
        if transition.name == "schedule" and (when is None or when <= timezone.now()):
            raise WorkflowError(_("Give a publication time in the future to schedule a case."))
        missing = figures_without_alt_text(case)
        if missing:
            raise WorkflowError(refused_for_alt_text(missing))
        case.status = Status.PUBLISHED
        case.published_at = when or timezone.now()
    elif transition.name == "submit":
        case.status = Status.REVIEW
    elif transition.name == "withdraw":
        case.status = Status.WITHDRAWN
    elif transition.name == "restore":
        case.status = Status.DRAFT
    # published_at is kept on withdrawal: the case has been public, and its earlier addresses must keep working.
    case.save(update_fields=["status", "published_at", "updated_at"])
    if transition.name == "schedule":
        return str(state_label(case))
    return str(transition.done)


def has_been_public(status, published_at):
    return status in (Status.PUBLISHED, Status.WITHDRAWN) or published_at is not None


def record_slug_change(case, old_slug, old_status, old_published_at):
    """Keep a case's earlier address once the public may have seen it; free the new one."""
    CaseRedirect.objects.filter(old_slug=case.slug).delete()
    if old_slug != case.slug and has_been_public(old_status, old_published_at):
        CaseRedirect.objects.update_or_create(old_slug=old_slug, defaults={"case": case})


# Completeness: what an editor still has to enter before review.

NARRATIVE = ("background", "approach", "results", "lessons")


def with_completeness(queryset):
    """Annotates each case with what the checklist needs, in the same query (no query per row)."""
    figures = Figure.objects.filter(case=OuterRef("pk"))
    no_credit = Q()
    for column in TRANSLATED_COLUMNS:
        no_credit &= Q(**{f"credit_{column}": ""}) | Q(**{f"credit_{column}__isnull": True})
    missing_alt = Q(**{DEFAULT_ALT_TEXT: ""}) | Q(**{f"{DEFAULT_ALT_TEXT}__isnull": True})
    return queryset.annotate(
        has_sourced_outcome=Exists(Outcome.objects.filter(case=OuterRef("pk"), source__isnull=False)),
        has_figure_without_alt_text=Exists(figures.filter(missing_alt, decorative=False)),
        has_figure_without_credit=Exists(figures.filter(no_credit)),
        has_region=Exists(Case.regions.through.objects.filter(case=OuterRef("pk"))),
        has_organization=Exists(Participation.objects.filter(case=OuterRef("pk"))),
    )


def narrative_complete(case):
    # A section counts in either language: readers of the other one see it through the fallback.
    return all(any(getattr(case, f"{field}_{column}") for column in TRANSLATED_COLUMNS) for field in NARRATIVE)


CHECKS = [
    (_("Narrative: background, what was done, results and lessons"), narrative_complete),
    (_("At least one outcome with a source"), lambda case: case.has_sourced_outcome),
    (_("Alt text on every figure (or marked decorative)"), lambda case: not case.has_figure_without_alt_text),
    (_("A credit on every figure"), lambda case: not case.has_figure_without_credit),
    (_("At least one region"), lambda case: case.has_region),
    (_("At least one organization"), lambda case: case.has_organization),
]


def checklist(case):
    """[(label, done), …] for a case annotated by with_completeness (or fetched again if it is not)."""
    if not hasattr(case, "has_region"):
        case = with_completeness(Case.objects.filter(pk=case.pk)).get()
    return [(label, bool(check(case))) for label, check in CHECKS]

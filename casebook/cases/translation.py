from modeltranslation.translator import TranslationOptions, register
from simple_history import register as register_history

from .models import (
    AssistanceType,
    Case,
    Collection,
    CollectionEntry,
    Figure,
    Initiative,
    Metric,
    Outcome,
    Participation,
    Source,
    Theme,
)


@register(AssistanceType)
class AssistanceTypeTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Theme)
class ThemeTranslation(TranslationOptions):
    fields = ("name",)


@register(Metric)
class MetricTranslation(TranslationOptions):
    fields = ("name", "unit", "display_format", "description")


@register(Source)
class SourceTranslation(TranslationOptions):
    fields = ("title",)


@register(Collection)
class CollectionTranslation(TranslationOptions):
    fields = ("title", "short_title", "description")


@register(Initiative)
class InitiativeTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Case)
class CaseTranslation(TranslationOptions):
    fields = ("title", "summary", "background", "approach", "results", "lessons", "translation_note")


@register(Participation)
class ParticipationTranslation(TranslationOptions):
    fields = ("note",)


@register(Figure)
class FigureTranslation(TranslationOptions):
    fields = ("caption", "alt_text", "credit")


@register(Outcome)
class OutcomeTranslation(TranslationOptions):
    fields = ("indicator", "note")


# History is registered here, after the translated columns exist, so that the historical models
# carry them too (django-simple-history's documented way to work with django-modeltranslation).
register_history(Case, m2m_fields=["themes", "regions", "commissioners", "initiatives", "sources"])
for model in (Participation, Figure, Outcome):
    register_history(model)
register_history(CollectionEntry)

from modeltranslation.translator import TranslationOptions, register

from .models import Commissioner, Organization


@register(Organization)
class OrganizationTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Commissioner)
class CommissionerTranslation(TranslationOptions):
    fields = ("name", "title", "bio")

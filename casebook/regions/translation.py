from modeltranslation.translator import TranslationOptions, register

from .models import Region


@register(Region)
class RegionTranslation(TranslationOptions):
    fields = ("name",)

from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "casebook.regions"
    verbose_name = "Regions"

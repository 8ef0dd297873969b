from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "casebook.api"
    label = "api"
    verbose_name = "API"

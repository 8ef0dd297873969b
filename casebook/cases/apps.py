from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "casebook.cases"
    verbose_name = "Cases"

    def ready(self):
        from . import indexing  # noqa: F401 (connects the receivers that keep the index current)

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "casebook.cases"
    verbose_name = "Cases"

    def ready(self):
        from . import counts

        counts.connect()

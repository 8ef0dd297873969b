from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "casebook.cases"
    verbose_name = "Cases"

    def ready(self):
        # Importing indexing connects the receivers that keep the search and facet index current;
        # counts.connect() makes the cached case counts forget on every change.
        from . import counts, indexing  # noqa: F401

        counts.connect()

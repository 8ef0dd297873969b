from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "casebook.cases"
    verbose_name = "Cases"

    def ready(self):
        # Importing indexing connects the receivers that keep the search and facet index current (each
        # reindex makes a new version of the published data); versions.connect() the changes it does not see.
        from . import indexing, versions  # noqa: F401

        versions.connect()

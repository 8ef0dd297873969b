from django.apps import AppConfig


class CasebookConfig(AppConfig):
    """The site itself (no models): registers the deploy checks of casebook.security."""

    name = "casebook"
    verbose_name = "Casebook"

    def ready(self):
        from . import security  # noqa: F401  (registers its checks)

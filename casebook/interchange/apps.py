from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterchangeConfig(AppConfig):
    name = "casebook.interchange"
    verbose_name = _("Data interchange")

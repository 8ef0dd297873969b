from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "casebook.organizations"
    verbose_name = "Organizations and commissioners"

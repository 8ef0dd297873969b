from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "casebook.accounts"
    verbose_name = "Accounts"

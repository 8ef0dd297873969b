from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """Casebook's own user model, in place from the first migration so it can grow.

    People are named by one ``name`` field: first/last name does not fit Chinese names.
    """

    name = models.CharField("name", max_length=150, blank=True)

    def __str__(self):
        return self.name or self.username
